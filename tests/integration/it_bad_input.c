/* Hostile input against the real rmq-namesrv: every malformed stream must
 * cost only its own connection.  One name server serves the whole group; a
 * broker registered over a connection opened first proves, after each case,
 * that the server still answers and that no other connection was dropped (the
 * broker would lose its routes if its connection closed). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "protocol/codes.h"
#include "rocketmq/error.h"

#define FRAME_MAX 65536
#define CLOSE_WAIT_MS 3000

static it_namesrv_t g_ns;
static rmq_rclient_t *g_broker; /* the "good" connection, opened before any bad input */
static rmq_rclient_t *g_admin;

static const it_broker_t BROKER = {"ClusterA", "broker-a", "127.0.0.1:10911", "127.0.0.1:10912",
                                   0};
static const it_topic_t TOPIC = {"T1", 4, 6};

/* A well-formed JSON header, for cases where only something else is wrong. */
static const char VALID_HEADER[] =
    "{\"code\":105,\"extFields\":{\"topic\":\"T1\"},\"flag\":0,\"language\":\"JAVA\","
    "\"opaque\":1,\"version\":409}";

static int group_setup(void **state)
{
    if (it_namesrv_start(&g_ns, "frameMaxLength=65536") != 0)
        return -1;
    g_broker = rmq_rclient_new(NULL, NULL);
    g_admin = rmq_rclient_new(NULL, NULL);
    if (!g_broker || !g_admin)
        return -1;
    rmq_cmd_t *resp = it_register(g_broker, g_ns.addr, &BROKER, &TOPIC, 1, 1);
    int code = resp ? resp->code : -1;
    rmq_cmd_free(resp);
    return code == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    rmq_rclient_destroy(g_admin);
    rmq_rclient_destroy(g_broker);
    it_namesrv_cleanup(&g_ns);
    return 0;
}

/* The server is alive, answers on the good connections, and still has the
 * broker that registered over its own connection. */
static void assert_healthy(void)
{
    assert_true(it_namesrv_alive(&g_ns));
    rmq_topic_route_t r;
    assert_int_equal(it_get_route(g_admin, g_ns.addr, TOPIC.name, &r), 0);
    assert_int_equal(r.nqueue_datas, 1);
    assert_int_equal(r.queue_datas[0].read_queue_nums, TOPIC.queues);
    rmq_topic_route_free(&r);

    rmq_cmd_t *resp = it_call(g_broker, g_ns.addr, it_request(RMQ_REQ_GET_BROKER_CLUSTER_INFO,
                                                              NULL, NULL));
    assert_non_null(resp);
    assert_int_equal(resp->code, 0);
    rmq_cluster_info_t ci;
    char err[200];
    if (rmq_cluster_info_decode(resp->body, resp->body_len, &ci, err, sizeof(err)) != 0)
        fail_msg("ClusterInfo: %s", err);
    assert_int_equal(ci.nbrokers, 1);
    rmq_cluster_info_free(&ci);
    rmq_cmd_free(resp);
}

/* Sends bytes on a fresh connection (then half-closes it if asked) and
 * expects the server to close it. */
static void expect_close(const rmq_buf_t *bytes, bool shut_wr)
{
    int fd = it_raw_connect(g_ns.port);
    assert_true(fd >= 0);
    /* A send may fail when the server already closed: that is the point. */
    (void)it_raw_send(fd, bytes->data, bytes->len);
    if (shut_wr)
        shutdown(fd, SHUT_WR);
    bool closed = it_raw_wait_closed(fd, CLOSE_WAIT_MS);
    close(fd);
    assert_true(closed);
    assert_healthy();
}

static void run_case(void (*build)(rmq_buf_t *), bool shut_wr)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    build(&b);
    expect_close(&b, shut_wr);
    rmq_buf_free(&b);
}

/* length prefix + type/header-length word + header text. */
static void header_frame(rmq_buf_t *b, uint8_t type, const void *hdr, size_t n)
{
    rmq_buf_append_be32(b, (uint32_t)(4 + n));
    rmq_buf_append_be32(b, ((uint32_t)type << 24) | (uint32_t)n);
    rmq_buf_append(b, hdr, n);
}

static void json_frame(rmq_buf_t *b, const char *hdr)
{
    header_frame(b, RMQ_SERIALIZE_JSON, hdr, strlen(hdr));
}

/* The 21-byte fixed part of a binary header, then remark length. */
static void binary_fixed(rmq_buf_t *h, uint32_t remark_len)
{
    rmq_buf_append_be16(h, RMQ_REQ_GET_ROUTEINFO_BY_TOPIC);
    rmq_buf_append_u8(h, 0);
    rmq_buf_append_be16(h, 409);
    rmq_buf_append_be32(h, 1);
    rmq_buf_append_be32(h, 0);
    rmq_buf_append_be32(h, remark_len);
}

/* ---- the malformed inputs ---- */

static void build_negative_length(rmq_buf_t *b)
{
    rmq_buf_append_be32(b, 0xFFFFFFF0u);
    rmq_buf_append(b, "abcdefgh", 8);
}

static void build_length_below_4(rmq_buf_t *b)
{
    rmq_buf_append_be32(b, 2);
    rmq_buf_append(b, "ab", 2);
}

static void build_length_1mib(rmq_buf_t *b)
{
    rmq_buf_append_be32(b, 1024 * 1024);
    rmq_buf_append_be32(b, (uint32_t)strlen(VALID_HEADER));
    rmq_buf_append_str(b, VALID_HEADER);
}

/* The frame limit counts the length prefix, so this is one byte too many. */
static void build_length_just_over_max(rmq_buf_t *b)
{
    rmq_buf_append_be32(b, FRAME_MAX - 3);
    rmq_buf_append_be32(b, (uint32_t)strlen(VALID_HEADER));
}

static void build_header_beyond_frame(rmq_buf_t *b)
{
    rmq_buf_append_be32(b, 4 + 10);
    rmq_buf_append_be32(b, 100);
    rmq_buf_append(b, "{\"code\":1}", 10);
}

static void build_invalid_json(rmq_buf_t *b)
{
    json_frame(b, "{not json");
}

static void build_json_array(rmq_buf_t *b)
{
    json_frame(b, "[1,2,3]");
}

static void build_json_bad_code(rmq_buf_t *b)
{
    json_frame(b, "{\"code\":\"abc\",\"flag\":0,\"opaque\":1}");
}

static void build_json_ext_not_object(rmq_buf_t *b)
{
    json_frame(b, "{\"code\":105,\"extFields\":[\"topic\",\"T1\"],\"opaque\":1}");
}

static void build_unknown_serialize_type(rmq_buf_t *b)
{
    header_frame(b, 7, VALID_HEADER, strlen(VALID_HEADER));
}

static void build_binary_remark_past_end(rmq_buf_t *b)
{
    rmq_buf_t h = RMQ_BUF_INIT;
    binary_fixed(&h, 1000);
    rmq_buf_append(&h, "hello", 5);
    header_frame(b, RMQ_SERIALIZE_ROCKETMQ, h.data, h.len);
    rmq_buf_free(&h);
}

static void build_binary_ext_past_end(rmq_buf_t *b)
{
    rmq_buf_t h = RMQ_BUF_INIT;
    binary_fixed(&h, 0);
    rmq_buf_append_be32(&h, 500);
    rmq_buf_append(&h, "\x00\x05topi", 6);
    header_frame(b, RMQ_SERIALIZE_ROCKETMQ, h.data, h.len);
    rmq_buf_free(&h);
}

static void build_binary_too_short(rmq_buf_t *b)
{
    header_frame(b, RMQ_SERIALIZE_ROCKETMQ, "\x00\x69\x00\x01\x99\x00\x00", 7);
}

static void build_truncated(rmq_buf_t *b)
{
    rmq_buf_append_be32(b, 200);
    rmq_buf_append_be32(b, (uint32_t)strlen(VALID_HEADER));
    rmq_buf_append(b, VALID_HEADER, 20);
}

static void build_http_request(rmq_buf_t *b)
{
    rmq_buf_append_str(b, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
}

static void build_tls_client_hello(rmq_buf_t *b)
{
    static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01,
                                    0x00, 0x01, 0xfc, 0x03, 0x03};
    rmq_buf_append(b, hello, sizeof(hello));
}

/* A good request first (answered), then garbage on the same connection. */
static void build_valid_then_garbage(rmq_buf_t *b)
{
    json_frame(b, VALID_HEADER);
    rmq_buf_append_be32(b, 0xFFFFFFFFu);
    rmq_buf_append(b, "garbage!", 8);
}

#define CASE(name, shut_wr)                                                                        \
    static void test_##name(void **state)                                                          \
    {                                                                                              \
        run_case(build_##name, shut_wr);                                                           \
    }

CASE(negative_length, false)
CASE(length_below_4, false)
CASE(length_1mib, false)
CASE(length_just_over_max, false)
CASE(header_beyond_frame, false)
CASE(invalid_json, false)
CASE(json_array, false)
CASE(json_bad_code, false)
CASE(json_ext_not_object, false)
CASE(unknown_serialize_type, false)
CASE(binary_remark_past_end, false)
CASE(binary_ext_past_end, false)
CASE(binary_too_short, false)
CASE(truncated, true)
CASE(http_request, false)
CASE(tls_client_hello, false)
CASE(valid_then_garbage, false)

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static void append_random(rmq_buf_t *b, size_t n, uint32_t *seed)
{
    for (size_t k = 0; k < n; k++)
        rmq_buf_append_u8(b, (uint8_t)xorshift32(seed));
}

/* Seeded random blobs.  A blob may happen to start like a plausible frame, so
 * the write side is half-closed: the server must then drop it at end of input
 * if not before, and in no case crash. */
static void test_random_garbage(void **state)
{
    uint32_t seed = 0x2545F491u;
    for (int i = 0; i < 16; i++) {
        rmq_buf_t b = RMQ_BUF_INIT;
        append_random(&b, 1 + xorshift32(&seed) % 2048, &seed);
        expect_close(&b, true);
        rmq_buf_free(&b);
    }
}

static void valid_binary_header(rmq_buf_t *h)
{
    binary_fixed(h, 0);
    rmq_buf_append_be32(h, 2 + 5 + 4 + 2);
    rmq_buf_append_be16(h, 5);
    rmq_buf_append(h, "topic", 5);
    rmq_buf_append_be32(h, 2);
    rmq_buf_append(h, "T1", 2);
}

/* Mutated valid headers inside well-formed frames, alternating JSON and
 * binary, so that the header decoders rather than the frame check see the
 * damage: a few bytes replaced and the header possibly cut short.  Some
 * mutants still decode and get an answer; the half-close ends those. */
static void test_mutated_headers(void **state)
{
    uint32_t seed = 0x9E3779B9u;
    for (int i = 0; i < 32; i++) {
        rmq_buf_t h = RMQ_BUF_INIT, b = RMQ_BUF_INIT;
        if (i % 2 == 0)
            rmq_buf_append_str(&h, VALID_HEADER);
        else
            valid_binary_header(&h);
        for (uint32_t k = 1 + xorshift32(&seed) % 4; k > 0; k--)
            h.data[xorshift32(&seed) % h.len] = (uint8_t)xorshift32(&seed);
        if (xorshift32(&seed) % 4 == 0)
            h.len = 1 + xorshift32(&seed) % h.len;
        header_frame(&b, (uint8_t)(i % 2), h.data, h.len);
        expect_close(&b, true);
        rmq_buf_free(&h);
        rmq_buf_free(&b);
    }
}

/* A request whose whole frame, length prefix included, is size bytes. */
static rmq_cmd_t *frame_of_size(size_t size)
{
    rmq_cmd_t *req = it_request(RMQ_REQ_GET_BROKER_CLUSTER_INFO, NULL, NULL);
    rmq_buf_t b = RMQ_BUF_INIT;
    assert_int_equal(rmq_cmd_encode(req, &b), 0);
    assert_true(b.len < size);
    size_t pad = size - b.len;
    rmq_buf_free(&b);
    uint8_t *body = calloc(1, pad);
    assert_non_null(body);
    rmq_cmd_set_body(req, body, pad);
    free(body);
    return req;
}

/* frameMaxLength counts the whole frame: exactly that much is served, one
 * byte more costs the connection (and only that one). */
static void test_frame_max_boundary(void **state)
{
    rmq_cmd_t *resp = it_call(g_admin, g_ns.addr, frame_of_size(FRAME_MAX));
    assert_non_null(resp);
    assert_int_equal(resp->code, 0);
    rmq_cmd_free(resp);

    rmq_rclient_t *rc = rmq_rclient_new(NULL, NULL);
    assert_non_null(rc);
    resp = it_call(rc, g_ns.addr, frame_of_size(FRAME_MAX + 1));
    rmq_rclient_destroy(rc);
    assert_null(resp);
    assert_healthy();
}

static void test_alive_and_stops_cleanly(void **state)
{
    assert_healthy();
    assert_int_equal(it_namesrv_stop(&g_ns), 0);
    assert_false(it_namesrv_alive(&g_ns));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negative_length),
        cmocka_unit_test(test_length_below_4),
        cmocka_unit_test(test_length_1mib),
        cmocka_unit_test(test_length_just_over_max),
        cmocka_unit_test(test_header_beyond_frame),
        cmocka_unit_test(test_invalid_json),
        cmocka_unit_test(test_json_array),
        cmocka_unit_test(test_json_bad_code),
        cmocka_unit_test(test_json_ext_not_object),
        cmocka_unit_test(test_unknown_serialize_type),
        cmocka_unit_test(test_binary_remark_past_end),
        cmocka_unit_test(test_binary_ext_past_end),
        cmocka_unit_test(test_binary_too_short),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_http_request),
        cmocka_unit_test(test_tls_client_hello),
        cmocka_unit_test(test_valid_then_garbage),
        cmocka_unit_test(test_random_garbage),
        cmocka_unit_test(test_mutated_headers),
        cmocka_unit_test(test_frame_max_boundary),
        cmocka_unit_test(test_alive_and_stops_cleanly),
    };
    return cmocka_run_group_tests_name("it_bad_input", tests, group_setup, group_teardown);
}
