/* Received messages: PULL / VIEW bodies decoded into messages
 * (client/msg_decode.c) and the MessageExt accessors (message_ext.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "client/msg_decode.h"
#include "client/msg_int.h"
#include "protocol/record.h"
#include "rocketmq/consumer.h"

#define MAX_BODY (4u << 20)

/* One record, written out field by field: 91 + body 5 + topic 6 +
 * properties 17 bytes, IPv4 hosts, no UNIQ_KEY. */
static const uint8_t GOLDEN[] = {
    0x00, 0x00, 0x00, 0x77,                         /* TOTALSIZE 119 */
    0xDA, 0xA3, 0x20, 0xA7,                         /* MAGICCODE V1 */
    0x12, 0x34, 0x56, 0x78,                         /* BODYCRC (not checked) */
    0x00, 0x00, 0x00, 0x03,                         /* QUEUEID 3 */
    0x00, 0x00, 0x00, 0x07,                         /* FLAG 7 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A, /* QUEUEOFFSET 42 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F, 0x40, /* PHYSICALOFFSET 8000 */
    0x00, 0x00, 0x00, 0x08,                         /* SYSFLAG: TX COMMIT */
    0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, /* BORNTIMESTAMP 1700000000000 */
    0xC0, 0xA8, 0x00, 0x0A, 0x00, 0x00, 0xD4, 0x31, /* BORNHOST 192.168.0.10:54321 */
    0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x7B, /* STORETIMESTAMP 1700000000123 */
    0xC0, 0xA8, 0x00, 0x01, 0x00, 0x00, 0x2A, 0x9F, /* STOREHOST 192.168.0.1:10911 */
    0x00, 0x00, 0x00, 0x02,                         /* RECONSUMETIMES 2 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x63, /* PREPARED TX OFFSET 99 */
    0x00, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o',
    0x06, 'T', 'o', 'p', 'i', 'c', 'A',
    0x00, 0x11, 'T', 'A', 'G', 'S', 0x01, 't', 'a', 'g', 'A', 0x02,
    'K', 'E', 'Y', 'S', 0x01, 'k', '1',
};

/* ---- a record builder, independent of the library's encoder ---- */

typedef struct spec {
    uint32_t magic;
    int32_t queue_id, flag, sysflag, reconsume;
    int64_t queue_offset, phys_offset, born_ts, store_ts, prepared;
    uint8_t born[16], store[16]; /* 4 bytes used unless the sysflag v6 bit */
    int32_t born_port, store_port;
    const void *body;
    size_t body_len;
    const char *topic;
    const char *props;
    size_t props_len;
} spec_t;

static uint8_t *be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

static uint8_t *raw(uint8_t *p, const void *src, size_t n)
{
    if (n)
        memcpy(p, src, n);
    return p + n;
}

/* Appends the record of s at out; returns its size. */
static size_t build(const spec_t *s, uint8_t *out)
{
    bool v2 = s->magic == 0xDAA320ABu;
    size_t blen = (s->sysflag & 0x10) ? 16 : 4, slen = (s->sysflag & 0x20) ? 16 : 4;
    size_t tlen = strlen(s->topic);
    size_t total = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + blen + 4 + 8 + slen + 4 + 4 + 8 + 4 +
                   s->body_len + (v2 ? 2 : 1) + tlen + 2 + s->props_len;
    uint8_t *p = out;
    p = be(p, total, 4);
    p = be(p, s->magic ? s->magic : 0xDAA320A7u, 4);
    p = be(p, 0x11, 4);
    p = be(p, (uint32_t)s->queue_id, 4);
    p = be(p, (uint32_t)s->flag, 4);
    p = be(p, (uint64_t)s->queue_offset, 8);
    p = be(p, (uint64_t)s->phys_offset, 8);
    p = be(p, (uint32_t)s->sysflag, 4);
    p = be(p, (uint64_t)s->born_ts, 8);
    p = raw(p, s->born, blen);
    p = be(p, (uint32_t)s->born_port, 4);
    p = be(p, (uint64_t)s->store_ts, 8);
    p = raw(p, s->store, slen);
    p = be(p, (uint32_t)s->store_port, 4);
    p = be(p, (uint32_t)s->reconsume, 4);
    p = be(p, (uint64_t)s->prepared, 8);
    p = be(p, s->body_len, 4);
    p = raw(p, s->body, s->body_len);
    p = be(p, tlen, v2 ? 2 : 1);
    p = raw(p, s->topic, tlen);
    p = be(p, s->props_len, 2);
    p = raw(p, s->props, s->props_len);
    assert_int_equal((size_t)(p - out), total);
    return total;
}

static spec_t base_spec(void)
{
    spec_t s;
    memset(&s, 0, sizeof(s));
    s.queue_id = 1;
    s.queue_offset = 5;
    s.phys_offset = 1000;
    s.born[0] = 10, s.born[3] = 2;
    s.store[0] = 10, s.store[3] = 1;
    s.born_port = 40000;
    s.store_port = 10911;
    s.body = "body";
    s.body_len = 4;
    s.topic = "T";
    s.props = "";
    return s;
}

static rocketmq_message_t *decode_one(const uint8_t *buf, size_t len)
{
    rocketmq_message_t **msgs = NULL;
    size_t n = 99;
    assert_int_equal(rmq_msgs_decode(buf, len, "broker-a", MAX_BODY, &msgs, &n), 0);
    assert_int_equal(n, 1);
    rocketmq_message_t *m = msgs[0];
    free(msgs);
    return m;
}

static void expect_protocol(const uint8_t *buf, size_t len, size_t max_body)
{
    rocketmq_message_t **msgs = (rocketmq_message_t **)buf; /* overwritten */
    size_t n = 7;
    assert_int_equal(rmq_msgs_decode(buf, len, "b", max_body, &msgs, &n), ROCKETMQ_ERR__PROTOCOL);
    assert_null(msgs);
    assert_int_equal(n, 0);
}

/* ---- tests ---- */

static void golden_ipv4(void **state)
{
    (void)state;
    rocketmq_message_t *m = decode_one(GOLDEN, sizeof(GOLDEN));
    assert_string_equal(rocketmq_message_get_topic(m), "TopicA");
    assert_int_equal(rocketmq_message_get_flag(m), 7);
    size_t len;
    const void *body = rocketmq_message_get_body(m, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(body, "hello", 5);
    assert_string_equal(rocketmq_message_get_tags(m), "tagA");
    assert_string_equal(rocketmq_message_get_keys(m), "k1");
    assert_int_equal(m->nprops, 2);
    assert_int_equal(rocketmq_message_get_queue_id(m), 3);
    assert_int_equal(rocketmq_message_get_queue_offset(m), 42);
    assert_int_equal(rocketmq_message_get_commit_log_offset(m), 8000);
    assert_int_equal(rocketmq_message_get_sys_flag(m), 8);
    assert_int_equal(rocketmq_message_get_body_crc(m), 0x12345678);
    assert_int_equal(rocketmq_message_get_born_timestamp(m), 1700000000000LL);
    assert_int_equal(rocketmq_message_get_store_timestamp(m), 1700000000123LL);
    assert_int_equal(rocketmq_message_get_reconsume_times(m), 2);
    assert_int_equal(rmq_msg_ext(m)->prepared_transaction_offset, 99);
    assert_string_equal(rocketmq_message_get_born_host(m), "192.168.0.10:54321");
    assert_string_equal(rocketmq_message_get_store_host(m), "192.168.0.1:10911");
    assert_string_equal(rocketmq_message_get_broker_name(m), "broker-a");
    /* protocol.md 6.8's example id */
    assert_string_equal(rocketmq_message_get_offset_msg_id(m), "C0A8000100002A9F0000000000001F40");
    /* no UNIQ_KEY: the msg id is the offset id (MessageClientExt.getMsgId) */
    assert_string_equal(rocketmq_message_get_msg_id(m), "C0A8000100002A9F0000000000001F40");
    rocketmq_message_destroy(m);
}

/* The builder writes the golden bytes for the golden spec, so what it
 * builds for the other tests is laid out the same way. */
static void builder_matches_golden(void **state)
{
    (void)state;
    spec_t s = base_spec();
    s.queue_id = 3, s.flag = 7, s.queue_offset = 42, s.phys_offset = 8000, s.sysflag = 8;
    s.born_ts = 1700000000000LL, s.store_ts = 1700000000123LL, s.reconsume = 2, s.prepared = 99;
    memcpy(s.born, (uint8_t[]){192, 168, 0, 10}, 4);
    memcpy(s.store, (uint8_t[]){192, 168, 0, 1}, 4);
    s.born_port = 54321, s.store_port = 10911;
    s.body = "hello", s.body_len = 5, s.topic = "TopicA";
    s.props = "TAGS\001tagA\002KEYS\001k1", s.props_len = 17;
    uint8_t buf[256];
    size_t n = build(&s, buf);
    assert_int_equal(n, sizeof(GOLDEN));
    buf[8] = 0x12, buf[9] = 0x34, buf[10] = 0x56, buf[11] = 0x78; /* the crc */
    assert_memory_equal(buf, GOLDEN, n);
}

static void ipv6_born_host(void **state)
{
    (void)state;
    spec_t s = base_spec();
    s.sysflag = 0x10;
    static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    memcpy(s.born, a6, 16);
    s.born_port = 40001;
    uint8_t buf[256];
    size_t n = build(&s, buf);
    assert_int_equal(n, 91 + 4 + 1 + 12);
    rocketmq_message_t *m = decode_one(buf, n);
    assert_string_equal(rocketmq_message_get_born_host(m), "[2001:db8::1]:40001");
    assert_string_equal(rocketmq_message_get_store_host(m), "10.0.0.1:10911");
    assert_string_equal(rocketmq_message_get_offset_msg_id(m), "0A00000100002A9F00000000000003E8");
    assert_string_equal(rocketmq_message_get_topic(m), "T");
    size_t len;
    assert_memory_equal(rocketmq_message_get_body(m, &len), "body", 4);
    /* the host text parses back (brackets accepted) */
    rmq_host_t h;
    assert_int_equal(rmq_host_parse(rocketmq_message_get_born_host(m), &h), 0);
    assert_true(h.v6);
    assert_memory_equal(h.addr, a6, 16);
    assert_int_equal(h.port, 40001);
    rocketmq_message_destroy(m);
}

static void ipv6_store_host(void **state)
{
    (void)state;
    spec_t s = base_spec();
    s.sysflag = 0x30;
    memset(s.born, 0, 16);
    s.born[15] = 1; /* ::1 */
    memset(s.store, 0, 16);
    s.store[0] = 0xFE, s.store[1] = 0x80, s.store[15] = 0x22;
    s.phys_offset = 0x0102030405060708LL;
    uint8_t buf[256];
    size_t n = build(&s, buf);
    rocketmq_message_t *m = decode_one(buf, n);
    assert_string_equal(rocketmq_message_get_born_host(m), "[::1]:40000");
    assert_string_equal(rocketmq_message_get_store_host(m), "[fe80::22]:10911");
    const char *id = rocketmq_message_get_offset_msg_id(m);
    assert_int_equal(strlen(id), 56);
    assert_string_equal(id, "FE800000000000000000000000000022" "00002A9F" "0102030405060708");
    rocketmq_message_destroy(m);
}

static void v2_magic_long_topic(void **state)
{
    (void)state;
    char topic[201];
    memset(topic, 'x', 200);
    topic[200] = '\0';
    spec_t s = base_spec();
    s.magic = 0xDAA320ABu;
    s.topic = topic;
    s.props = "UNIQ_KEY\001AABB\002", s.props_len = 14;
    uint8_t buf[512];
    size_t n = build(&s, buf);
    assert_int_equal(n, 92 + 4 + 200 + 14); /* 2-byte topic length */
    rocketmq_message_t *m = decode_one(buf, n);
    assert_string_equal(rocketmq_message_get_topic(m), topic);
    assert_string_equal(rocketmq_message_get_msg_id(m), "AABB");
    /* the same bytes under the V1 magic do not add up */
    buf[7] = 0xA7;
    expect_protocol(buf, n, MAX_BODY);
    rocketmq_message_destroy(m);
}

static size_t zlib_of(const char *text, size_t len, uint8_t *out, size_t cap)
{
    uLongf outlen = cap;
    assert_int_equal(compress2(out, &outlen, (const Bytef *)text, len, 5), Z_OK);
    return outlen;
}

static void compressed_body(void **state)
{
    (void)state;
    char text[5000];
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = (char)('a' + i % 7);
    uint8_t z[6000];
    size_t zlen = zlib_of(text, sizeof(text), z, sizeof(z));
    uint8_t buf[8000];
    /* 4.9.8 writes 0x301, older clients 0x1: both are zlib */
    static const int32_t zlib_flags[] = {0x301, 0x1, 0x309};
    for (size_t i = 0; i < 3; i++) {
        spec_t s = base_spec();
        s.sysflag = zlib_flags[i];
        s.body = z, s.body_len = zlen;
        size_t n = build(&s, buf);
        rocketmq_message_t *m = decode_one(buf, n);
        size_t len;
        const void *b = rocketmq_message_get_body(m, &len);
        assert_int_equal(len, sizeof(text));
        assert_memory_equal(b, text, sizeof(text));
        assert_int_equal(rocketmq_message_get_sys_flag(m), zlib_flags[i]);
        rocketmq_message_destroy(m);
    }
    /* LZ4, ZSTD and unknown types are refused */
    static const int32_t other[] = {0x101, 0x201, 0x401, 0x701};
    for (size_t i = 0; i < 4; i++) {
        spec_t s = base_spec();
        s.sysflag = other[i];
        s.body = z, s.body_len = zlen;
        size_t n = build(&s, buf);
        expect_protocol(buf, n, MAX_BODY);
    }
    /* inflating past max_body, and a corrupt stream */
    spec_t s = base_spec();
    s.sysflag = 0x301;
    s.body = z, s.body_len = zlen;
    size_t n = build(&s, buf);
    expect_protocol(buf, n, sizeof(text) - 1);
    rocketmq_message_t **msgs;
    size_t cnt;
    assert_int_equal(rmq_msgs_decode(buf, n, "b", sizeof(text), &msgs, &cnt), 0);
    rocketmq_messages_free(msgs, cnt);
    s.body_len = zlen - 6; /* truncated stream */
    n = build(&s, buf);
    expect_protocol(buf, n, MAX_BODY);
    /* the compressed flag on an empty body: nothing to inflate (as Java) */
    s.body = NULL, s.body_len = 0;
    n = build(&s, buf);
    rocketmq_message_t *m = decode_one(buf, n);
    size_t len = 9;
    assert_null(rocketmq_message_get_body(m, &len));
    assert_int_equal(len, 0);
    rocketmq_message_destroy(m);
}

static const char *prop(const rocketmq_message_t *m, const char *name)
{
    return rocketmq_message_get_property(m, name);
}

static rocketmq_message_t *with_props(const char *props, size_t len)
{
    spec_t s = base_spec();
    s.props = props, s.props_len = len;
    uint8_t buf[512];
    size_t n = build(&s, buf);
    return decode_one(buf, n);
}

static void properties_rules(void **state)
{
    (void)state;
    /* without and with the trailing 0x02 */
    static const char a[] = "A\0011\002BB\001xy";
    static const char b[] = "A\0011\002BB\001xy\002";
    rocketmq_message_t *m = with_props(a, sizeof(a) - 1);
    assert_int_equal(m->nprops, 2);
    assert_string_equal(prop(m, "A"), "1");
    assert_string_equal(prop(m, "BB"), "xy");
    rocketmq_message_destroy(m);
    m = with_props(b, sizeof(b) - 1);
    assert_int_equal(m->nprops, 2);
    assert_string_equal(prop(m, "A"), "1");
    assert_string_equal(prop(m, "BB"), "xy");
    rocketmq_message_destroy(m);

    /* empty segments, short ones, empty names or values, no separator,
     * and a value holding a 0x01 (kept, as Java keeps it) */
    static const char c[] =
        "\002\002ab\002\001xx\002yy\001\002abc\002k\001v\001w\002z\001\002Q\001R";
    m = with_props(c, sizeof(c) - 1);
    assert_int_equal(m->nprops, 2);
    assert_string_equal(m->props[0].name, "k");
    assert_string_equal(m->props[0].value, "v\001w");
    assert_string_equal(prop(m, "Q"), "R");
    assert_null(prop(m, ""));
    assert_null(prop(m, "yy"));
    assert_null(prop(m, "z"));
    rocketmq_message_destroy(m);

    /* a repeated name keeps its first place and takes the last value */
    static const char d[] = "WAIT\001true\002A\0011\002WAIT\001false\002B\0012\002A\0013";
    m = with_props(d, sizeof(d) - 1);
    assert_int_equal(m->nprops, 3);
    assert_string_equal(m->props[0].name, "WAIT");
    assert_string_equal(m->props[0].value, "false");
    assert_string_equal(m->props[1].name, "A");
    assert_string_equal(m->props[1].value, "3");
    assert_string_equal(m->props[2].name, "B");
    assert_false(rocketmq_message_get_wait_store_msg_ok(m));
    rocketmq_message_destroy(m);

    /* nothing usable: no properties at all */
    static const char e[] = "\002\002\002";
    m = with_props(e, sizeof(e) - 1);
    assert_int_equal(m->nprops, 0);
    rocketmq_message_destroy(m);
}

static void many_records(void **state)
{
    (void)state;
    uint8_t buf[4096];
    size_t len = 0;
    char topics[3][8] = {"t0", "t1", "t2"};
    for (int i = 0; i < 3; i++) {
        spec_t s = base_spec();
        s.topic = topics[i];
        s.queue_offset = 100 + i;
        len += build(&s, buf + len);
    }
    rocketmq_message_t **msgs;
    size_t n;
    assert_int_equal(rmq_msgs_decode(buf, len, NULL, MAX_BODY, &msgs, &n), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(rocketmq_message_get_topic(msgs[i]), topics[i]);
        assert_int_equal(rocketmq_message_get_queue_offset(msgs[i]), 100 + (int64_t)i);
        assert_string_equal(rocketmq_message_get_broker_name(msgs[i]), "");
    }
    rocketmq_messages_free(msgs, n);
    /* an empty body: no messages */
    msgs = (rocketmq_message_t **)buf;
    assert_int_equal(rmq_msgs_decode(buf, 0, "b", MAX_BODY, &msgs, &n), 0);
    assert_null(msgs);
    assert_int_equal(n, 0);
    rocketmq_messages_free(NULL, 0);
}

/* Every cut of a 3-record body that is not a record boundary fails and
 * returns nothing (ASan's leak check covers the records decoded first). */
static void truncated_body(void **state)
{
    (void)state;
    uint8_t buf[4096];
    size_t ends[3], len = 0;
    for (int i = 0; i < 3; i++) {
        spec_t s = base_spec();
        s.props = "UNIQ_KEY\001AA\002TAGS\001t", s.props_len = 18;
        len += build(&s, buf + len);
        ends[i] = len;
    }
    for (size_t cut = 1; cut < len; cut++) {
        if (cut == ends[0] || cut == ends[1]) {
            rocketmq_message_t **msgs;
            size_t n;
            assert_int_equal(rmq_msgs_decode(buf, cut, "b", MAX_BODY, &msgs, &n), 0);
            assert_int_equal(n, cut == ends[0] ? 1 : 2);
            rocketmq_messages_free(msgs, n);
            continue;
        }
        uint8_t *copy = malloc(cut); /* exact size: ASan sees any over-read */
        memcpy(copy, buf, cut);
        expect_protocol(copy, cut, MAX_BODY);
        free(copy);
    }
}

static void corrupt_records(void **state)
{
    (void)state;
    spec_t s = base_spec();
    uint8_t good[256], buf[512];
    size_t n = build(&s, good);
    size_t body_len_at = n - (2 + 0) - (1 + 1) - 4 - 4; /* props len, topic, body, body length */

    memcpy(buf, good, n);
    buf[3]++; /* TOTALSIZE one more than the fields */
    buf[n] = 0;
    expect_protocol(buf, n + 1, MAX_BODY);

    memcpy(buf, good, n);
    buf[4] = 0; /* bad magic */
    expect_protocol(buf, n, MAX_BODY);

    memcpy(buf, good, n);
    buf[4] = 0xCB, buf[5] = 0xD4, buf[6] = 0x31, buf[7] = 0x94; /* BLANK: not in a body */
    expect_protocol(buf, n, MAX_BODY);

    memcpy(buf, good, n);
    buf[body_len_at] = 0x80; /* negative body length */
    expect_protocol(buf, n, MAX_BODY);

    memcpy(buf, good, n);
    buf[n - 2 - 1 - 1] = 0xFF; /* topic length -1 */
    expect_protocol(buf, n, MAX_BODY);

    /* a port InetSocketAddress would refuse */
    s.store_port = 65536;
    n = build(&s, buf);
    expect_protocol(buf, n, MAX_BODY);
    s.store_port = 10911;
    s.born_port = -1;
    n = build(&s, buf);
    expect_protocol(buf, n, MAX_BODY);

    /* a good record followed by garbage: all or nothing */
    s.born_port = 40000;
    n = build(&s, buf);
    memcpy(buf + n, "\x00\x00\x00\x10garbagegarbage", 16);
    expect_protocol(buf, n + 16, MAX_BODY);
}

static void msg_id_rules(void **state)
{
    (void)state;
    /* UNIQ_KEY present: it is the msg id; the offset id stays apart */
    static const char p[] = "UNIQ_KEY\0017F0000010001000000000000000A";
    rocketmq_message_t *m = with_props(p, sizeof(p) - 1);
    assert_string_equal(rocketmq_message_get_msg_id(m), "7F0000010001000000000000000A");
    assert_string_equal(rocketmq_message_get_offset_msg_id(m), "0A00000100002A9F00000000000003E8");
    /* a UNIQ_KEY with an empty value is dropped by the decoder: offset id */
    static const char q[] = "UNIQ_KEY\001\002A\001b";
    rocketmq_message_t *o = with_props(q, sizeof(q) - 1);
    assert_string_equal(rocketmq_message_get_msg_id(o), "0A00000100002A9F00000000000003E8");
    rocketmq_message_destroy(o);

    /* a local message: no ext, ids only from UNIQ_KEY */
    rocketmq_message_t *l = rocketmq_message_new("T");
    assert_null(rmq_msg_ext(l));
    assert_null(rocketmq_message_get_msg_id(l));
    assert_null(rocketmq_message_get_offset_msg_id(l));
    assert_null(rocketmq_message_get_born_host(l));
    assert_null(rocketmq_message_get_store_host(l));
    assert_null(rocketmq_message_get_broker_name(l));
    assert_int_equal(rocketmq_message_get_queue_id(l), 0);
    assert_int_equal(rocketmq_message_get_queue_offset(l), 0);
    assert_int_equal(rocketmq_message_get_commit_log_offset(l), 0);
    assert_int_equal(rocketmq_message_get_born_timestamp(l), 0);
    assert_int_equal(rocketmq_message_get_store_timestamp(l), 0);
    assert_int_equal(rocketmq_message_get_reconsume_times(l), 0);
    assert_int_equal(rocketmq_message_get_sys_flag(l), 0);
    assert_int_equal(rocketmq_message_get_body_crc(l), 0);
    assert_int_equal(rocketmq_message_set_property(l, "UNIQ_KEY", "ABCD"), 0);
    assert_string_equal(rocketmq_message_get_msg_id(l), "ABCD");
    rmq_msg_ext_t *e = rmq_msg_ext_mut(l);
    assert_non_null(e);
    assert_ptr_equal(rmq_msg_ext_mut(l), e);
    assert_int_equal(e->queue_offset, 0);
    rocketmq_message_destroy(l);
    assert_null(rmq_msg_ext(NULL));
    assert_null(rmq_msg_ext_mut(NULL));
    assert_int_equal(rocketmq_message_get_queue_id(NULL), 0);

    /* dup copies the ext part, deeply */
    rocketmq_message_t *d = rocketmq_message_dup(m);
    assert_non_null(rmq_msg_ext(d));
    assert_ptr_not_equal(rmq_msg_ext(d), rmq_msg_ext(m));
    rmq_msg_ext_mut(m)->queue_offset = 777;
    assert_int_equal(rocketmq_message_get_queue_offset(d), 5);
    assert_string_equal(rocketmq_message_get_offset_msg_id(d), "0A00000100002A9F00000000000003E8");
    assert_string_equal(rocketmq_message_get_msg_id(d), "7F0000010001000000000000000A");
    rocketmq_message_destroy(m);
    assert_string_equal(rocketmq_message_get_broker_name(d), "broker-a");
    rocketmq_message_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_ipv4),
        cmocka_unit_test(builder_matches_golden),
        cmocka_unit_test(ipv6_born_host),
        cmocka_unit_test(ipv6_store_host),
        cmocka_unit_test(v2_magic_long_topic),
        cmocka_unit_test(compressed_body),
        cmocka_unit_test(properties_rules),
        cmocka_unit_test(many_records),
        cmocka_unit_test(truncated_body),
        cmocka_unit_test(corrupt_records),
        cmocka_unit_test(msg_id_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
