/* Frame and header codec: golden bytes from protocol.md 1.4, what other
 * clients send, and malformed input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remoting/command.h"
#include "rocketmq/error.h"

static const char JAVA_ROUTE_HEADER[] =
    "{\"code\":105,\"extFields\":{\"topic\":\"TopicTest\"},\"flag\":0,\"language\":\"JAVA\","
    "\"opaque\":7,\"serializeTypeCurrentRPC\":\"JSON\",\"version\":409}";

static const uint8_t BINARY_ROUTE_FRAME[] = {
    0x00, 0x00, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29, 0x00, 0x69, 0x00, 0x01, 0x99, 0x00, 0x00,
    0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00,
    0x05, 't',  'o',  'p',  'i',  'c',  0x00, 0x00, 0x00, 0x09, 'T',  'o',  'p',  'i',  'c',
    'T',  'e',  's',  't',
};

static rmq_cmd_t *route_request(uint8_t type)
{
    rmq_cmd_t *cmd = rmq_cmd_new();
    cmd->code = 105;
    cmd->language = RMQ_LANG_JAVA;
    cmd->opaque = 7;
    cmd->serialize_type = type;
    rmq_ext_set(&cmd->ext, "topic", "TopicTest");
    return cmd;
}

/* Wraps a header (and body) into a frame of the given type. */
static void frame(rmq_buf_t *out, uint8_t type, const void *hdr, size_t hlen, const void *body,
                  size_t blen)
{
    rmq_buf_append_be32(out, (uint32_t)(4 + hlen + blen));
    rmq_buf_append_be32(out, ((uint32_t)type << 24) | (uint32_t)hlen);
    rmq_buf_append(out, hdr, hlen);
    rmq_buf_append(out, body, blen);
}

static rmq_cmd_t *decode_json(const char *hdr, char *err, size_t errlen)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    frame(&b, RMQ_SERIALIZE_JSON, hdr, strlen(hdr), NULL, 0);
    rmq_cmd_t *cmd = NULL;
    rmq_cmd_decode(b.data, b.len, &cmd, err, errlen);
    rmq_buf_free(&b);
    return cmd;
}

static void json_golden_encode(void **state)
{
    (void)state;
    rmq_cmd_t *cmd = route_request(RMQ_SERIALIZE_JSON);
    rmq_buf_t b = RMQ_BUF_INIT;
    assert_int_equal(rmq_cmd_encode(cmd, &b), 0);
    assert_int_equal(b.len, 8 + 131);
    static const uint8_t head[8] = {0x00, 0x00, 0x00, 0x87, 0x00, 0x00, 0x00, 0x83};
    assert_memory_equal(b.data, head, 8);
    assert_memory_equal(b.data + 8, JAVA_ROUTE_HEADER, 131);
    rmq_buf_free(&b);
    rmq_cmd_free(cmd);
}

static void binary_golden_encode(void **state)
{
    (void)state;
    rmq_cmd_t *cmd = route_request(RMQ_SERIALIZE_ROCKETMQ);
    rmq_buf_t b = RMQ_BUF_INIT;
    assert_int_equal(rmq_cmd_encode(cmd, &b), 0);
    assert_int_equal(b.len, sizeof(BINARY_ROUTE_FRAME));
    assert_memory_equal(b.data, BINARY_ROUTE_FRAME, sizeof(BINARY_ROUTE_FRAME));
    rmq_buf_free(&b);
    rmq_cmd_free(cmd);
}

static void check_route_request(const rmq_cmd_t *cmd)
{
    assert_int_equal(cmd->code, 105);
    assert_int_equal(cmd->language, RMQ_LANG_JAVA);
    assert_int_equal(cmd->version, 409);
    assert_int_equal(cmd->opaque, 7);
    assert_int_equal(cmd->flag, 0);
    assert_null(cmd->remark);
    assert_string_equal(rmq_ext_get(&cmd->ext, "topic"), "TopicTest");
    assert_int_equal(cmd->body_len, 0);
}

static void golden_decode(void **state)
{
    (void)state;
    char err[128];
    rmq_cmd_t *cmd = decode_json(JAVA_ROUTE_HEADER, err, sizeof(err));
    assert_non_null(cmd);
    assert_int_equal(cmd->serialize_type, RMQ_SERIALIZE_JSON);
    check_route_request(cmd);
    rmq_cmd_free(cmd);

    size_t flen;
    const char *why;
    assert_int_equal(rmq_frame_check(BINARY_ROUTE_FRAME, sizeof(BINARY_ROUTE_FRAME), 1 << 20,
                                     &flen, &why),
                     1);
    assert_int_equal(flen, sizeof(BINARY_ROUTE_FRAME));
    assert_int_equal(rmq_cmd_decode(BINARY_ROUTE_FRAME, flen, &cmd, err, sizeof(err)), 0);
    assert_int_equal(cmd->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
    check_route_request(cmd);
    rmq_cmd_free(cmd);
}

static void java_send_response(void **state)
{
    (void)state;
    char err[128];
    rmq_cmd_t *cmd = decode_json(
        "{\"code\":0,\"extFields\":{\"queueId\":\"2\",\"TRACE_ON\":\"true\",\"MSG_REGION\":"
        "\"DefaultRegion\",\"msgId\":\"C0A8000100002A9F0000000000001F40\",\"queueOffset\":\"17\"},"
        "\"flag\":1,\"language\":\"JAVA\",\"opaque\":42,\"serializeTypeCurrentRPC\":\"JSON\","
        "\"version\":409}",
        err, sizeof(err));
    assert_non_null(cmd);
    assert_true(rmq_cmd_is_response(cmd));
    assert_int_equal(cmd->opaque, 42);
    int64_t off;
    assert_int_equal(rmq_ext_get_i64(&cmd->ext, "queueOffset", &off), 0);
    assert_int_equal(off, 17);
    assert_string_equal(rmq_ext_get(&cmd->ext, "MSG_REGION"), "DefaultRegion");
    rmq_cmd_free(cmd);
}

/* rocketmq-client-cpp: numbers inside extFields, remark "", ACL fields. */
static void cpp_client_header(void **state)
{
    (void)state;
    char err[128];
    rmq_cmd_t *cmd = decode_json(
        "{\"code\":310,\"language\":\"CPP\",\"version\":333,\"opaque\":5,\"flag\":0,"
        "\"remark\":\"\",\"extFields\":{\"e\":3,\"h\":0,\"g\":\"1700000000000\",\"k\":\"false\","
        "\"Signature\":\"\",\"AccessKey\":\"\",\"OnsChannel\":\"\"}}",
        err, sizeof(err));
    assert_non_null(cmd);
    assert_int_equal(cmd->language, RMQ_LANG_CPP);
    assert_int_equal(cmd->version, 333);
    assert_non_null(cmd->remark);
    assert_string_equal(cmd->remark, "");
    assert_string_equal(rmq_ext_get(&cmd->ext, "e"), "3");
    assert_string_equal(rmq_ext_get(&cmd->ext, "Signature"), "");
    int32_t q;
    assert_int_equal(rmq_ext_get_i32(&cmd->ext, "e", &q), 0);
    assert_int_equal(q, 3);
    rmq_cmd_free(cmd);
}

/* ali-ons: raw booleans and numbers, whitespace, language JAVA version 121. */
static void ali_ons_header(void **state)
{
    (void)state;
    char err[128];
    rmq_cmd_t *cmd = decode_json(
        "{ \"code\": 11, \"language\": \"JAVA\", \"version\": 121, \"opaque\": 9, \"flag\": 0,"
        " \"extFields\": { \"queueId\": 3, \"unitMode\": false, \"sysFlag\": 2.5, \"x\": null } }",
        err, sizeof(err));
    assert_non_null(cmd);
    assert_string_equal(rmq_ext_get(&cmd->ext, "queueId"), "3");
    assert_string_equal(rmq_ext_get(&cmd->ext, "unitMode"), "false");
    assert_string_equal(rmq_ext_get(&cmd->ext, "sysFlag"), "2.5");
    assert_null(rmq_ext_get(&cmd->ext, "x"));
    bool b = true;
    assert_int_equal(rmq_ext_get_bool(&cmd->ext, "unitMode", &b), 0);
    assert_false(b);
    rmq_cmd_free(cmd);
}

static void unknown_language_and_defaults(void **state)
{
    (void)state;
    char err[128];
    rmq_cmd_t *cmd = decode_json("{\"code\":34,\"language\":\"NODE_JS_NEXT\",\"extra\":[1,2]}",
                                 err, sizeof(err));
    assert_non_null(cmd);
    assert_int_equal(cmd->language, RMQ_LANG_OTHER);
    assert_int_equal(cmd->version, 0);
    assert_int_equal(cmd->opaque, 0);
    rmq_cmd_free(cmd);
    cmd = decode_json("{\"code\":34,\"language\":9}", err, sizeof(err));
    assert_non_null(cmd);
    assert_int_equal(cmd->language, RMQ_LANG_GO);
    rmq_cmd_free(cmd);
}

/* A key given twice keeps its last value (fastjson), the empty key and keys
 * sharing a first byte and length included; the typed lookup finds fields
 * in any order. */
static void repeated_ext_keys(void **state)
{
    (void)state;
    char err[128];
    rmq_cmd_t *cmd = decode_json(
        "{\"code\":310,\"extFields\":{\"ab\":\"1\",\"\":\"e1\",\"ac\":\"2\",\"ab\":\"3\","
        "\"\":\"e2\",\"b\":\"x\",\"a\\u0062\":\"4\"}}",
        err, sizeof(err));
    assert_non_null(cmd);
    assert_int_equal(cmd->ext.n, 4);
    assert_string_equal(rmq_ext_get(&cmd->ext, "ab"), "4");
    assert_string_equal(rmq_ext_get(&cmd->ext, "ac"), "2");
    assert_string_equal(rmq_ext_get(&cmd->ext, ""), "e2");
    assert_string_equal(rmq_ext_get(&cmd->ext, "b"), "x");
    size_t hint = 3;
    assert_string_equal(rmq_ext_get_near(&cmd->ext, "ab", 2, &hint), "4");
    assert_int_equal(hint, 1);
    assert_string_equal(rmq_ext_get_near(&cmd->ext, "b", 1, &hint), "x");
    assert_null(rmq_ext_get_near(&cmd->ext, "c", 1, &hint));
    rmq_cmd_free(cmd);
}

/* Message properties use U+0001/U+0002 separators: written as \u0001 like
 * fastjson, read back unchanged, in both serializations. */
static void control_chars_round_trip(void **state)
{
    (void)state;
    const char props[] = "KEYS\001k1\002TAGS\001TagA\002WAIT\001true \"q\" \\ \n\t";
    for (uint8_t type = 0; type <= 1; type++) {
        rmq_cmd_t *cmd = rmq_cmd_new_request(310);
        cmd->serialize_type = type;
        rmq_ext_set(&cmd->ext, "i", props);
        rmq_cmd_set_remark(cmd, "r\001%s", "é");
        rmq_cmd_set_body(cmd, "BODY", 4);
        rmq_buf_t b = RMQ_BUF_INIT;
        assert_int_equal(rmq_cmd_encode(cmd, &b), 0);
        if (type == RMQ_SERIALIZE_JSON)
            assert_non_null(memmem(b.data, b.len, "KEYS\\u0001k1\\u0002", 18));
        rmq_cmd_t *back;
        char err[128];
        assert_int_equal(rmq_cmd_decode(b.data, b.len, &back, err, sizeof(err)), 0);
        assert_string_equal(rmq_ext_get(&back->ext, "i"), props);
        assert_string_equal(back->remark, "r\001é");
        assert_int_equal(back->opaque, cmd->opaque);
        assert_int_equal(back->language, RMQ_LANG_SELF);
        assert_int_equal(back->body_len, 4);
        assert_memory_equal(back->body, "BODY", 4);
        rmq_cmd_free(back);
        rmq_cmd_free(cmd);
        rmq_buf_free(&b);
    }
}

static void response_and_flags(void **state)
{
    (void)state;
    rmq_cmd_t *req = rmq_cmd_new_request(105);
    req->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
    req->flag |= RMQ_FLAG_ONEWAY;
    assert_true(rmq_cmd_is_oneway(req));
    assert_false(rmq_cmd_is_response(req));
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_TOPIC_NOT_EXIST, "no route");
    assert_true(rmq_cmd_is_response(resp));
    assert_int_equal(resp->opaque, req->opaque);
    assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
    assert_string_equal(resp->remark, "no route");
    assert_true(rmq_cmd_next_opaque() >= 0);
    rmq_cmd_free(req);
    rmq_cmd_free(resp);
}

static void binary_limits(void **state)
{
    (void)state;
    /* 5.x POP codes do not fit the binary header's short. */
    rmq_cmd_t *cmd = rmq_cmd_new_request(200050);
    cmd->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
    rmq_buf_t b = RMQ_BUF_INIT;
    assert_int_equal(rmq_cmd_encode(cmd, &b), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(b.len, 0);
    cmd->serialize_type = RMQ_SERIALIZE_JSON;
    assert_int_equal(rmq_cmd_encode(cmd, &b), 0);
    rmq_cmd_free(cmd);
    rmq_buf_free(&b);

    /* Empty values are null in binary: not written, absent when read. */
    cmd = rmq_cmd_new_request(1);
    cmd->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
    rmq_ext_set(&cmd->ext, "empty", "");
    rmq_ext_set(&cmd->ext, "k", "v");
    assert_int_equal(rmq_cmd_encode(cmd, &b), 0);
    rmq_cmd_t *back;
    char err[128];
    assert_int_equal(rmq_cmd_decode(b.data, b.len, &back, err, sizeof(err)), 0);
    assert_null(rmq_ext_get(&back->ext, "empty"));
    assert_string_equal(rmq_ext_get(&back->ext, "k"), "v");
    rmq_cmd_free(back);
    rmq_cmd_free(cmd);
    rmq_buf_free(&b);
}

static void frame_check_limits(void **state)
{
    (void)state;
    size_t flen = 0;
    const char *why = NULL;
    uint8_t neg[8] = {0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0};
    assert_int_equal(rmq_frame_check(neg, 3, 1024, &flen, &why), 0); /* needs more */
    assert_int_equal(rmq_frame_check(neg, 8, 1024, &flen, &why), -1);
    assert_non_null(strstr(why, "negative"));
    uint8_t small[8] = {0, 0, 0, 2, 0, 0, 0, 0};
    assert_int_equal(rmq_frame_check(small, 8, 1024, &flen, &why), -1);
    uint8_t big[8] = {0, 0, 0x10, 0, 0, 0, 0, 0}; /* 1 MiB */
    assert_int_equal(rmq_frame_check(big, 8, 1024, &flen, &why), -1);
    assert_non_null(strstr(why, "maximum"));
    uint8_t ok[8] = {0, 0, 0, 4, 0, 0, 0, 0};
    assert_int_equal(rmq_frame_check(ok, 7, 1024, &flen, &why), 0);
    assert_int_equal(rmq_frame_check(ok, 8, 1024, &flen, &why), 1);
    assert_int_equal(flen, 8);
    /* The limit counts the length prefix too (Netty's maxFrameLength). */
    uint8_t edge[4] = {0, 0, 0x03, 0xfc};
    assert_int_equal(rmq_frame_check(edge, 4, 1024, &flen, &why), 0);
    edge[3] = 0xfd;
    assert_int_equal(rmq_frame_check(edge, 4, 1024, &flen, &why), -1);
}

static void expect_decode_error(const rmq_buf_t *b, const char *needle)
{
    rmq_cmd_t *cmd = (rmq_cmd_t *)1;
    char err[160] = "";
    assert_int_equal(rmq_cmd_decode(b->data, b->len, &cmd, err, sizeof(err)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_null(cmd);
    if (!strstr(err, needle))
        fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void malformed_frames(void **state)
{
    (void)state;
    rmq_buf_t b = RMQ_BUF_INIT;
    /* header length beyond the frame */
    rmq_buf_append_be32(&b, 10);
    rmq_buf_append_be32(&b, 100);
    rmq_buf_append(&b, "{}{}{}", 6);
    expect_decode_error(&b, "beyond");
    rmq_buf_free(&b);

    frame(&b, 7, "{}", 2, NULL, 0);
    expect_decode_error(&b, "serialize type");
    rmq_buf_free(&b);

    frame(&b, 0, "{not json", 9, NULL, 0);
    expect_decode_error(&b, "JSON");
    rmq_buf_free(&b);

    frame(&b, 0, "[1,2]", 5, NULL, 0);
    expect_decode_error(&b, "object");
    rmq_buf_free(&b);

    frame(&b, 0, "{\"code\":\"abc\"}", 14, NULL, 0);
    expect_decode_error(&b, "code");
    rmq_buf_free(&b);

    frame(&b, 0, "{\"code\":99999999999}", 20, NULL, 0);
    expect_decode_error(&b, "range");
    rmq_buf_free(&b);

    frame(&b, 0, "{\"extFields\":{\"a\":{\"b\":1}}}", 27, NULL, 0);
    expect_decode_error(&b, "scalar");
    rmq_buf_free(&b);

    /* binary: shorter than the fixed part, remark past the end, bad entry */
    frame(&b, 1, "\x00\x69\x00", 3, NULL, 0);
    expect_decode_error(&b, "fixed part");
    rmq_buf_free(&b);
    uint8_t hdr[21] = {0, 0x69, 0, 0x01, 0x99, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 50, 0, 0, 0, 0};
    frame(&b, 1, hdr, sizeof(hdr), NULL, 0);
    expect_decode_error(&b, "remark");
    rmq_buf_free(&b);
    hdr[16] = 0;
    hdr[20] = 5; /* ext block of 5 bytes that holds a truncated entry */
    frame(&b, 1, hdr, sizeof(hdr), "\x00\x09"
                                   "abc",
          5);
    expect_decode_error(&b, "extFields");
    rmq_buf_free(&b);
}

/* The hand-written JSON scanner: escapes, unknown nested properties, limits. */
static void json_scanner_edges(void **state)
{
    (void)state;
    char err[160];
    rmq_cmd_t *cmd = decode_json(
        "{\"co\\u0064e\":12,\"unknown\":{\"a\":[1,{\"b\":[true,false,null]}],\"c\":-1.5e+3},"
        "\"extFields\":{\"k\\\"q\":\"\\u00e9\\ud83d\\ude00\\ud800x\\/\",\"n\":1e3,"
        "\"dup\":\"1\",\"dup\":\"2\"},\"remark\":null}  \n",
        err, sizeof(err));
    if (!cmd)
        fail_msg("decode failed: %s", err);
    assert_int_equal(cmd->code, 12);
    assert_null(cmd->remark);
    /* é, U+1F600 as a surrogate pair, a lone surrogate as U+FFFD, then "x/" */
    assert_string_equal(rmq_ext_get(&cmd->ext, "k\"q"),
                        "\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx/");
    assert_string_equal(rmq_ext_get(&cmd->ext, "n"), "1e3");
    assert_string_equal(rmq_ext_get(&cmd->ext, "dup"), "2");
    rmq_cmd_free(cmd);

    static const char *const bad[] = {
        "{\"code\":1} x",            /* trailing characters */
        "{\"code\":1,}",             /* trailing comma */
        "{\"code\":01}",             /* leading zero */
        "{\"code\":1",               /* unterminated object */
        "{\"remark\":\"a\tb\"}",     /* raw control character */
        "{\"remark\":\"\\x\"}",      /* bad escape */
        "{\"remark\":\"\\u12\"}",    /* short \\u */
        "{\"remark\":tru}",          /* bad literal */
        "{\"extFields\":{\"a\":\"\\u0000\"}}", /* NUL inside a value */
        "{code:1}",                  /* unquoted key */
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cmd = decode_json(bad[i], err, sizeof(err));
        if (cmd)
            fail_msg("accepted %s", bad[i]);
    }
    /* nesting deeper than the scanner's bound is refused, not recursed into */
    char deep[400];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof(deep), "{\"x\":");
    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    cmd = decode_json(deep, err, sizeof(err));
    assert_null(cmd);
    assert_non_null(strstr(err, "deep"));
}

static void integer_text(void **state)
{
    (void)state;
    char tmp[RMQ_I64_TEXT_MAX + 1];
    tmp[rmq_fmt_i64(tmp, INT64_MIN)] = '\0';
    assert_string_equal(tmp, "-9223372036854775808");
    tmp[rmq_fmt_i64(tmp, 0)] = '\0';
    assert_string_equal(tmp, "0");
    tmp[rmq_fmt_i64(tmp, 409)] = '\0';
    assert_string_equal(tmp, "409");
    int64_t v;
    assert_int_equal(rmq_parse_i64("-9223372036854775808", &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(rmq_parse_i64("9223372036854775808", &v), -1);
    assert_int_equal(rmq_parse_i64(" 1", &v), -1);
    assert_int_equal(rmq_parse_i64("1 ", &v), -1);
    assert_int_equal(rmq_parse_i64("", &v), -1);
    assert_int_equal(rmq_parse_i64("9223372036854775807", &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(rmq_parse_i64("-9223372036854775809", &v), -1);
    assert_int_equal(rmq_parse_i64("99999999999999999999", &v), -1);
    assert_int_equal(rmq_parse_i64("+42", &v), 0);
    assert_true(v == 42);
    assert_int_equal(rmq_parse_i64("-0", &v), 0);
    assert_true(v == 0);
    assert_int_equal(rmq_parse_i64("-", &v), -1);
    assert_int_equal(rmq_parse_i64("12a", &v), -1);
    assert_int_equal(rmq_parse_i64("0x10", &v), -1);
}

static void error_strings(void **state)
{
    (void)state;
    assert_string_equal(rocketmq_err_name(ROCKETMQ_ERR_TOPIC_NOT_EXIST), "TOPIC_NOT_EXIST");
    assert_int_equal(ROCKETMQ_ERR_REQUEST_CODE_NOT_SUPPORTED, 3);
    assert_int_equal(ROCKETMQ_ERR_MESSAGE_ILLEGAL, 13);
    assert_string_equal(rocketmq_err_str(ROCKETMQ_ERR__TIMEOUT), "Local: timed out");
    assert_string_equal(rocketmq_err_str(12345), "Err-12345?");
    assert_string_equal(rocketmq_err_name(-999), "Err--999?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_golden_encode),
        cmocka_unit_test(binary_golden_encode),
        cmocka_unit_test(golden_decode),
        cmocka_unit_test(java_send_response),
        cmocka_unit_test(cpp_client_header),
        cmocka_unit_test(ali_ons_header),
        cmocka_unit_test(unknown_language_and_defaults),
        cmocka_unit_test(repeated_ext_keys),
        cmocka_unit_test(control_chars_round_trip),
        cmocka_unit_test(response_and_flags),
        cmocka_unit_test(binary_limits),
        cmocka_unit_test(frame_check_limits),
        cmocka_unit_test(malformed_frames),
        cmocka_unit_test(json_scanner_edges),
        cmocka_unit_test(integer_text),
        cmocka_unit_test(error_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
