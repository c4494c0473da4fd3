#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "protocol/record.h"

static const char PROPS[] = "TAGS\001TagA\002KEYS\001k1";
#define PROPS_LEN (sizeof(PROPS) - 1)

/* The record of the reference message, written out field by field from
 * broker.md 2.1: 91 + body 5 + topic 9 + properties 17 bytes. */
static const uint8_t GOLDEN[] = {
    0x00, 0x00, 0x00, 0x7A,                         /* TOTALSIZE 122 */
    0xDA, 0xA3, 0x20, 0xA7,                         /* MAGICCODE */
    0x77, 0xD1, 0x89, 0x82,                         /* BODYCRC crc32("Hello") & 0x7FFFFFFF */
    0x00, 0x00, 0x00, 0x01,                         /* QUEUEID 1 */
    0x00, 0x00, 0x00, 0x00,                         /* FLAG 0 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, /* QUEUEOFFSET 7 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xD2, /* PHYSICALOFFSET 1234 */
    0x00, 0x00, 0x00, 0x00,                         /* SYSFLAG 0 */
    0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, /* BORNTIMESTAMP 1700000000000 */
    0xC0, 0xA8, 0x01, 0x14, 0x00, 0x00, 0xC3, 0x50, /* BORNHOST 192.168.1.20:50000 */
    0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x7B, /* STORETIMESTAMP 1700000000123 */
    0xC0, 0xA8, 0x01, 0x0A, 0x00, 0x00, 0x2A, 0x9F, /* STOREHOST 192.168.1.10:10911 */
    0x00, 0x00, 0x00, 0x00,                         /* RECONSUMETIMES 0 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* PREPARED TX OFFSET 0 */
    0x00, 0x00, 0x00, 0x05, 'H', 'e', 'l', 'l', 'o',
    0x09, 'T', 'o', 'p', 'i', 'c', 'T', 'e', 's', 't',
    0x00, 0x11, 'T', 'A', 'G', 'S', 0x01, 'T', 'a', 'g', 'A', 0x02,
    'K', 'E', 'Y', 'S', 0x01, 'k', '1',
};

static rmq_host_t v4_host(uint8_t a, uint8_t b, uint8_t c, uint8_t d, int32_t port)
{
    rmq_host_t h;
    memset(&h, 0, sizeof(h));
    h.addr[0] = a;
    h.addr[1] = b;
    h.addr[2] = c;
    h.addr[3] = d;
    h.port = port;
    return h;
}

static rmq_host_t v6_host(uint8_t last, int32_t port)
{
    rmq_host_t h;
    memset(&h, 0, sizeof(h));
    h.addr[0] = 0xFE;
    h.addr[1] = 0x80;
    h.addr[15] = last;
    h.v6 = true;
    h.port = port;
    return h;
}

static rmq_msg_in_t reference_msg(void)
{
    rmq_msg_in_t m;
    memset(&m, 0, sizeof(m));
    m.topic = "TopicTest";
    m.topic_len = 9;
    m.queue_id = 1;
    m.body = (const uint8_t *)"Hello";
    m.body_len = 5;
    m.properties = PROPS;
    m.properties_len = PROPS_LEN;
    m.born_timestamp = 1700000000000LL;
    m.born_host = v4_host(192, 168, 1, 20, 50000);
    m.store_host = v4_host(192, 168, 1, 10, 10911);
    return m;
}

static uint8_t *encode_patched(const rmq_msg_in_t *m, size_t *len)
{
    size_t size = rmq_record_size(m);
    uint8_t *rec = malloc(size);
    assert_non_null(rec);
    assert_int_equal(rmq_record_encode(m, rec), size);
    rmq_record_patch(rec, 7, 1234, 1700000000123LL);
    *len = size;
    return rec;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- encoding ---- */

static void test_golden_v4(void **state)
{
    rmq_msg_in_t m = reference_msg();
    assert_int_equal(sizeof(GOLDEN), 91 + 5 + 9 + 17);
    assert_int_equal(rmq_record_size(&m), sizeof(GOLDEN));
    size_t len;
    uint8_t *rec = encode_patched(&m, &len);
    assert_memory_equal(rec, GOLDEN, sizeof(GOLDEN));
    free(rec);
}

static void test_encode_before_patch_has_zeros(void **state)
{
    rmq_msg_in_t m = reference_msg();
    uint8_t rec[sizeof(GOLDEN)];
    rmq_record_encode(&m, rec);
    uint8_t zeros[8] = {0};
    assert_memory_equal(rec + 20, zeros, 8);
    assert_memory_equal(rec + 28, zeros, 8);
    assert_memory_equal(rec + 56, zeros, 8);
    assert_memory_equal(rec + 64, GOLDEN + 64, sizeof(GOLDEN) - 64);
}

static void test_sysflag_v6_bits_follow_hosts(void **state)
{
    rmq_msg_in_t m = reference_msg();
    /* Claimed v6 bits with v4 hosts are cleared; other bits are kept. */
    m.sysflag = RMQ_SYSFLAG_BORNHOST_V6 | RMQ_SYSFLAG_STOREHOST_V6 | RMQ_SYSFLAG_MULTI_TAGS;
    uint8_t rec[sizeof(GOLDEN)];
    rmq_record_encode(&m, rec);
    static const uint8_t flag[4] = {0, 0, 0, RMQ_SYSFLAG_MULTI_TAGS};
    assert_memory_equal(rec + RMQ_REC_OFF_SYSFLAG, flag, 4);
}

static void test_ipv6_layout(void **state)
{
    rmq_msg_in_t m = reference_msg();
    m.born_host = v6_host(0x14, 50000);
    m.store_host = v6_host(0x0A, 10911);
    assert_int_equal(rmq_record_size(&m), 115 + 5 + 9 + 17);
    size_t len;
    uint8_t *rec = encode_patched(&m, &len);
    assert_int_equal(len, 146);
    static const uint8_t size[4] = {0, 0, 0, 146};
    static const uint8_t flag[4] = {0, 0, 0, 0x30};
    static const uint8_t born[20] = {0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0,    0,    0, 0, 0, 0x14, 0, 0, 0xC3, 0x50};
    static const uint8_t store_ts[8] = {0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x7B};
    static const uint8_t store[20] = {0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0, 0,
                                      0,    0,    0, 0, 0, 0x0A, 0, 0, 0x2A, 0x9F};
    assert_memory_equal(rec, size, 4);
    assert_memory_equal(rec + 36, flag, 4);
    assert_memory_equal(rec + 48, born, 20);
    assert_memory_equal(rec + 68, store_ts, 8);
    assert_memory_equal(rec + 76, store, 20);
    /* From RECONSUMETIMES on, the v4 record shifted by 24. */
    assert_memory_equal(rec + 96, GOLDEN + 72, sizeof(GOLDEN) - 72);

    rmq_record_t r;
    assert_int_equal(rmq_record_parse(rec, len, true, &r), RMQ_RECORD_OK);
    assert_true(r.born_host.v6);
    assert_true(r.store_host.v6);
    assert_memory_equal(r.store_host.addr, m.store_host.addr, 16);
    assert_int_equal(r.store_host.port, 10911);
    assert_int_equal(r.store_timestamp, 1700000000123LL);
    free(rec);
}

static void test_mixed_hosts(void **state)
{
    rmq_msg_in_t m = reference_msg();
    m.born_host = v6_host(1, 1);
    assert_int_equal(rmq_record_size(&m), 91 + 12 + 5 + 9 + 17);
    size_t len;
    uint8_t *rec = encode_patched(&m, &len);
    rmq_record_t r;
    assert_int_equal(rmq_record_parse(rec, len, true, &r), RMQ_RECORD_OK);
    assert_int_equal(r.sysflag, RMQ_SYSFLAG_BORNHOST_V6);
    assert_true(r.born_host.v6);
    assert_false(r.store_host.v6);
    assert_int_equal(r.store_timestamp, 1700000000123LL);
    assert_int_equal(r.store_host.port, 10911);
    free(rec);
}

static void test_empty_body_no_properties(void **state)
{
    rmq_msg_in_t m = reference_msg();
    m.body = NULL;
    m.body_len = 0;
    m.properties = NULL;
    m.properties_len = 99; /* ignored without a string */
    assert_int_equal(rmq_record_size(&m), 91 + 9);
    size_t len;
    uint8_t *rec = encode_patched(&m, &len);
    static const uint8_t crc0[4] = {0, 0, 0, 0};
    assert_memory_equal(rec + 8, crc0, 4);
    rmq_record_t r;
    assert_int_equal(rmq_record_parse(rec, len, true, &r), RMQ_RECORD_OK);
    assert_int_equal(r.body_len, 0);
    assert_int_equal(r.properties_len, 0);
    assert_int_equal(r.topic_len, 9);
    free(rec);
}

static void test_golden_blank(void **state)
{
    static const uint8_t expect[8] = {0x00, 0x00, 0x10, 0x00, 0xCB, 0xD4, 0x31, 0x94};
    uint8_t b[8];
    rmq_record_write_blank(b, 4096);
    assert_memory_equal(b, expect, 8);

    rmq_record_t r;
    assert_int_equal(rmq_record_parse(b, 8, true, &r), RMQ_RECORD_BLANK);
    assert_int_equal(r.total_size, 4096);
    assert_int_equal(rmq_record_parse(b, 7, true, &r), RMQ_RECORD_BAD);

    /* A blank smaller than itself cannot be skipped over. */
    rmq_record_write_blank(b, 7);
    assert_int_equal(rmq_record_parse(b, 8, true, &r), RMQ_RECORD_BAD);
    rmq_record_write_blank(b, -8);
    assert_int_equal(rmq_record_parse(b, 8, true, &r), RMQ_RECORD_BAD);
    rmq_record_write_blank(b, 8);
    assert_int_equal(rmq_record_parse(b, 8, true, &r), RMQ_RECORD_BLANK);
    assert_int_equal(r.total_size, 8);
}

/* ---- parsing ---- */

static void test_parse_golden(void **state)
{
    uint8_t buf[sizeof(GOLDEN) + 16];
    memcpy(buf, GOLDEN, sizeof(GOLDEN));
    memset(buf + sizeof(GOLDEN), 0xEE, 16); /* the next record's bytes are not ours */
    rmq_record_t r;
    assert_int_equal(rmq_record_parse(buf, sizeof(buf), true, &r), RMQ_RECORD_OK);
    assert_int_equal(r.total_size, 122);
    assert_int_equal(r.magic, RMQ_MESSAGE_MAGIC);
    assert_int_equal(r.body_crc, 0x77D18982);
    assert_int_equal(r.queue_id, 1);
    assert_int_equal(r.flag, 0);
    assert_int_equal(r.queue_offset, 7);
    assert_int_equal(r.phys_offset, 1234);
    assert_int_equal(r.sysflag, 0);
    assert_int_equal(r.born_timestamp, 1700000000000LL);
    assert_false(r.born_host.v6);
    assert_memory_equal(r.born_host.addr, "\xC0\xA8\x01\x14", 4);
    assert_int_equal(r.born_host.port, 50000);
    assert_int_equal(r.store_timestamp, 1700000000123LL);
    assert_memory_equal(r.store_host.addr, "\xC0\xA8\x01\x0A", 4);
    assert_int_equal(r.store_host.port, 10911);
    assert_int_equal(r.reconsume_times, 0);
    assert_int_equal(r.prepared_tx_offset, 0);
    assert_int_equal(r.body_len, 5);
    assert_memory_equal(r.body, "Hello", 5);
    assert_int_equal(r.topic_len, 9);
    assert_memory_equal(r.topic, "TopicTest", 9);
    assert_int_equal(r.properties_len, PROPS_LEN);
    assert_memory_equal(r.properties, PROPS, PROPS_LEN);
}

static void test_parse_round_trip_fields(void **state)
{
    rmq_msg_in_t m = reference_msg();
    m.queue_id = -3;
    m.flag = 0x7FFFFFFF;
    m.sysflag = RMQ_SYSFLAG_TX_COMMIT | RMQ_SYSFLAG_COMPRESSED;
    m.reconsume_times = 16;
    m.prepared_tx_offset = 987654321012LL;
    m.born_timestamp = -1;
    size_t len;
    uint8_t *rec = encode_patched(&m, &len);
    rmq_record_patch(rec, INT64_MAX, INT64_MIN, 42);
    rmq_record_t r;
    assert_int_equal(rmq_record_parse(rec, len, true, &r), RMQ_RECORD_OK);
    assert_int_equal(r.queue_id, -3);
    assert_int_equal(r.flag, 0x7FFFFFFF);
    assert_int_equal(r.sysflag, RMQ_SYSFLAG_TX_COMMIT | RMQ_SYSFLAG_COMPRESSED);
    assert_int_equal(r.reconsume_times, 16);
    assert_int_equal(r.prepared_tx_offset, 987654321012LL);
    assert_int_equal(r.born_timestamp, -1);
    assert_int_equal(r.queue_offset, INT64_MAX);
    assert_int_equal(r.phys_offset, INT64_MIN);
    assert_int_equal(r.store_timestamp, 42);
    free(rec);
}

static void test_parse_back_to_back(void **state)
{
    uint8_t buf[2 * sizeof(GOLDEN) + 8];
    memcpy(buf, GOLDEN, sizeof(GOLDEN));
    memcpy(buf + sizeof(GOLDEN), GOLDEN, sizeof(GOLDEN));
    rmq_record_write_blank(buf + 2 * sizeof(GOLDEN), 8);
    size_t off = 0;
    int n = 0;
    rmq_record_t r;
    rmq_record_status_t st;
    while ((st = rmq_record_parse(buf + off, sizeof(buf) - off, true, &r)) == RMQ_RECORD_OK) {
        off += (size_t)r.total_size;
        n++;
    }
    assert_int_equal(n, 2);
    assert_int_equal(st, RMQ_RECORD_BLANK);
    assert_int_equal(off, 2 * sizeof(GOLDEN));
}

static rmq_record_status_t parse_copy(const uint8_t *p, size_t len, bool crc)
{
    /* A heap copy of exactly len bytes, so ASan sees any read past avail. */
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, p, len);
    rmq_record_t r;
    rmq_record_status_t st = rmq_record_parse(copy, len, crc, &r);
    free(copy);
    return st;
}

static void test_bad_magic(void **state)
{
    uint8_t b[sizeof(GOLDEN)];
    memcpy(b, GOLDEN, sizeof(b));
    put_be32(b + 4, 0xDAA320A8);
    assert_int_equal(parse_copy(b, sizeof(b), false), RMQ_RECORD_BAD);
    put_be32(b + 4, 0);
    assert_int_equal(parse_copy(b, sizeof(b), false), RMQ_RECORD_BAD);
}

static void test_truncated_everywhere(void **state)
{
    for (size_t n = 0; n < sizeof(GOLDEN); n++)
        assert_int_equal(parse_copy(GOLDEN, n, true), RMQ_RECORD_BAD);
    assert_int_equal(parse_copy(GOLDEN, sizeof(GOLDEN), true), RMQ_RECORD_OK);
}

static void test_size_mismatch(void **state)
{
    uint8_t b[sizeof(GOLDEN) + 8];
    memset(b, 0, sizeof(b));
    memcpy(b, GOLDEN, sizeof(GOLDEN));
    put_be32(b, sizeof(GOLDEN) + 1);
    assert_int_equal(parse_copy(b, sizeof(b), false), RMQ_RECORD_BAD);
    put_be32(b, sizeof(GOLDEN) - 1);
    assert_int_equal(parse_copy(b, sizeof(b), false), RMQ_RECORD_BAD);
    put_be32(b, 0x80000000u);
    assert_int_equal(parse_copy(b, sizeof(b), false), RMQ_RECORD_BAD);
    put_be32(b, 0);
    assert_int_equal(parse_copy(b, sizeof(b), false), RMQ_RECORD_BAD);
    put_be32(b, sizeof(GOLDEN));
    assert_int_equal(parse_copy(b, sizeof(b), false), RMQ_RECORD_OK);

    /* A v6 flag on v4 hosts makes the recomputed size 12 too big. */
    memcpy(b, GOLDEN, sizeof(GOLDEN));
    b[39] = RMQ_SYSFLAG_STOREHOST_V6;
    assert_int_equal(parse_copy(b, sizeof(b), false), RMQ_RECORD_BAD);
}

static void test_bad_lengths(void **state)
{
    uint8_t b[sizeof(GOLDEN)];
    /* Body length negative, too long, too short. */
    static const uint32_t body_lens[] = {0xFFFFFFFFu, 0x80000000u, 6, 4, 1000};
    for (size_t i = 0; i < sizeof(body_lens) / sizeof(body_lens[0]); i++) {
        memcpy(b, GOLDEN, sizeof(b));
        put_be32(b + 84, body_lens[i]);
        assert_int_equal(parse_copy(b, sizeof(b), false), RMQ_RECORD_BAD);
    }
    /* Topic length: negative as a Java byte, or off by one. */
    static const uint8_t topic_lens[] = {0x80, 0xFF, 8, 10};
    for (size_t i = 0; i < sizeof(topic_lens); i++) {
        memcpy(b, GOLDEN, sizeof(b));
        b[93] = topic_lens[i];
        assert_int_equal(parse_copy(b, sizeof(b), false), RMQ_RECORD_BAD);
    }
    /* Properties length: negative as a Java short, or off by one. */
    static const uint16_t prop_lens[] = {0xFFFF, 0x8000, 16, 18};
    for (size_t i = 0; i < sizeof(prop_lens) / sizeof(prop_lens[0]); i++) {
        memcpy(b, GOLDEN, sizeof(b));
        b[103] = (uint8_t)(prop_lens[i] >> 8);
        b[104] = (uint8_t)prop_lens[i];
        assert_int_equal(parse_copy(b, sizeof(b), false), RMQ_RECORD_BAD);
    }
}

static void test_crc_mismatch(void **state)
{
    uint8_t b[sizeof(GOLDEN)];
    memcpy(b, GOLDEN, sizeof(b));
    b[88] = 'J'; /* "Jello" */
    assert_int_equal(parse_copy(b, sizeof(b), true), RMQ_RECORD_BAD);
    assert_int_equal(parse_copy(b, sizeof(b), false), RMQ_RECORD_OK);
    memcpy(b, GOLDEN, sizeof(b));
    b[11] ^= 1;
    assert_int_equal(parse_copy(b, sizeof(b), true), RMQ_RECORD_BAD);
    assert_int_equal(parse_copy(b, sizeof(b), false), RMQ_RECORD_OK);
}

static void test_v2_magic(void **state)
{
    /* The same message with the 5.x magic and a 2-byte topic length. */
    uint8_t b[sizeof(GOLDEN) + 1];
    memcpy(b, GOLDEN, 93);
    put_be32(b, sizeof(b));
    put_be32(b + 4, RMQ_MESSAGE_MAGIC_V2);
    b[93] = 0x00;
    b[94] = 0x09;
    memcpy(b + 95, GOLDEN + 94, sizeof(GOLDEN) - 94);
    rmq_record_t r;
    assert_int_equal(rmq_record_parse(b, sizeof(b), true, &r), RMQ_RECORD_OK);
    assert_int_equal(r.magic, RMQ_MESSAGE_MAGIC_V2);
    assert_int_equal(r.total_size, 123);
    assert_int_equal(r.topic_len, 9);
    assert_memory_equal(r.topic, "TopicTest", 9);
    assert_int_equal(r.properties_len, PROPS_LEN);
    assert_memory_equal(r.properties, PROPS, PROPS_LEN);

    /* Read with a 1-byte length, the size no longer adds up. */
    put_be32(b + 4, RMQ_MESSAGE_MAGIC);
    assert_int_equal(parse_copy(b, sizeof(b), true), RMQ_RECORD_BAD);
    /* A negative 2-byte topic length. */
    put_be32(b + 4, RMQ_MESSAGE_MAGIC_V2);
    b[93] = 0xFF;
    assert_int_equal(parse_copy(b, sizeof(b), true), RMQ_RECORD_BAD);
    for (size_t n = 0; n < sizeof(b); n++) {
        b[93] = 0;
        assert_int_equal(parse_copy(b, n, true), RMQ_RECORD_BAD);
    }
}

static void test_mutations_never_overread(void **state)
{
    /* Cheap in-test fuzzing: random byte flips of the golden record must give
     * OK or BAD and never read outside the buffer (ASan build). */
    uint32_t seed = 12345;
    uint8_t b[sizeof(GOLDEN)];
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(b, GOLDEN, sizeof(b));
        for (int k = 0; k < 3; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % sizeof(b);
            seed = seed * 1103515245u + 12345u;
            b[pos] = (uint8_t)(seed >> 16);
        }
        seed = seed * 1103515245u + 12345u;
        size_t len = sizeof(b) - (seed >> 8) % 4;
        rmq_record_status_t st = parse_copy(b, len, (iter & 1) != 0);
        assert_true(st == RMQ_RECORD_OK || st == RMQ_RECORD_BAD || st == RMQ_RECORD_BLANK);
    }
}

/* ---- hashing and CRC ---- */

static int32_t jh(const char *s)
{
    return rmq_java_hash(s, strlen(s));
}

static void test_java_hash_vectors(void **state)
{
    assert_int_equal(rmq_java_hash("", 0), 0);
    assert_int_equal(rmq_java_hash(NULL, 0), 0);
    assert_int_equal(jh("a"), 97);
    assert_int_equal(jh("TagA"), 2598919);
    /* U+4E2D U+6587: 0x4E2D * 31 + 0x6587. */
    assert_int_equal(jh("\xE4\xB8\xAD\xE6\x96\x87"), 0x4E2D * 31 + 0x6587);
    assert_int_equal(jh("\xE4\xB8\xAD\xE6\x96\x87"), 646394);
    /* U+1F600 hashes as its surrogates D83D DE00. */
    assert_int_equal(jh("\xF0\x9F\x98\x80"), 0xD83D * 31 + 0xDE00);
    assert_int_equal(jh("\xF0\x9F\x98\x80"), 1772899);
    assert_int_equal(jh("TopicTest#k1"), 2746024);
    /* Wraps around to negative values. */
    assert_int_equal(jh("Hello, World"), -505841268);
    assert_int_equal(jh("polygenelubricants"), INT32_MIN);
    /* Embedded NUL is a character like any other. */
    assert_int_equal(rmq_java_hash("a\0", 2), 97 * 31);
}

static void test_java_hash_invalid_utf8(void **state)
{
    const int32_t R = 0xFFFD;
    assert_int_equal(jh("\xFF"), R);
    assert_int_equal(jh("\x80"), R);
    assert_int_equal(jh("a\xFF" "b"), 2124838); /* 'a' U+FFFD 'b' */
    /* A truncated sequence is one replacement for its valid prefix. */
    assert_int_equal(jh("\xE4\xB8"), R);
    assert_int_equal(jh("\xE4\xB8" "a"), R * 31 + 97);
    assert_int_equal(jh("\xF0\x9F\x98"), R);
    assert_int_equal(jh("\xF0\x9F\x98" "a"), R * 31 + 97);
    /* Overlong forms and out-of-range leads: one replacement per byte. */
    assert_int_equal(jh("\xC0\xAF"), R * 31 + R);
    assert_int_equal(jh("\xE0\x80\x80"), 65074269);
    assert_int_equal(jh("\xF5\x80"), R * 31 + R);
    assert_int_equal(jh("\xF4\x90\x80\x80"), 2017367872); /* four U+FFFD */
    /* An encoded surrogate: Java's decoder gives one replacement for all three bytes. */
    assert_int_equal(jh("\xED\xA0\x80"), R);
    /* Highest code point U+10FFFF = DBFF DFFF. */
    assert_int_equal(jh("\xF4\x8F\xBF\xBF"), 0xDBFF * 31 + 0xDFFF);
    /* U+FFFD itself, well-formed. */
    assert_int_equal(jh("\xEF\xBF\xBD"), R);
}

static void test_tags_code(void **state)
{
    assert_int_equal(rmq_tags_code(NULL, 0), 0);
    assert_int_equal(rmq_tags_code("TagA", 0), 0);
    assert_int_equal(rmq_tags_code("TagA", 4), 2598919);
    assert_int_equal(rmq_tags_code("polygenelubricants", 18), (int64_t)INT32_MIN);
    assert_int_equal(rmq_tags_code("Hello, World", 12), -505841268LL);
}

static void test_crc32_masked(void **state)
{
    assert_int_equal(rmq_crc32_masked("Hello", 5), 0x77D18982);
    assert_int_equal(rmq_crc32_masked("", 0), 0);
    assert_int_equal(rmq_crc32_masked(NULL, 0), 0);
    /* "123456789" is the CRC-32 check value 0xCBF43926, top bit cleared. */
    assert_int_equal(rmq_crc32_masked("123456789", 9), 0x4BF43926);
}

/* ---- properties ---- */

static bool find(const char *props, const char *name, const char **v, size_t *vl)
{
    return rmq_props_find(props, props ? strlen(props) : 0, name, v, vl);
}

static void assert_prop(const char *props, const char *name, const char *expect)
{
    const char *v = NULL;
    size_t vl = 0;
    assert_true(find(props, name, &v, &vl));
    assert_int_equal(vl, strlen(expect));
    assert_memory_equal(v, expect, vl);
}

static void assert_no_prop(const char *props, const char *name)
{
    const char *v = NULL;
    size_t vl = 0;
    assert_false(find(props, name, &v, &vl));
}

static void test_props_find(void **state)
{
    assert_prop(PROPS, "TAGS", "TagA");
    assert_prop(PROPS, "KEYS", "k1");
    assert_no_prop(PROPS, "TAG");
    assert_no_prop(PROPS, "TAGSX");
    assert_no_prop(PROPS, "");
    assert_no_prop(PROPS, "k1");
    assert_no_prop(NULL, "TAGS");
    assert_no_prop("", "TAGS");
    /* A trailing separator is harmless. */
    assert_prop("A\001x\002", "A", "x");
    /* Empty value or name: ignored, as string2messageProperties does. */
    assert_no_prop("A\001\002B\001y", "A");
    assert_prop("A\001\002B\001y", "B", "y");
    assert_no_prop("\001v\002B\001y", "");
    /* No separator at all, or the \001 of the next segment. */
    assert_no_prop("A\002\001v", "A");
    assert_no_prop("Av", "Av");
    /* The value runs to the next \002 and may hold \001. */
    assert_prop("A\001x\001y\002B\001z", "A", "x\001y");
    /* A repeated name: the last value wins (HashMap.put). */
    assert_prop("A\001first\002A\001second", "A", "second");
    assert_prop("A\001first\002A\001", "A", "first");
    /* Only len bytes are looked at. */
    const char *v;
    size_t vl;
    assert_false(rmq_props_find("A\001xyz", 2, "A", &v, &vl));
    assert_true(rmq_props_find("A\001xyz", 3, "A", &v, &vl));
    assert_int_equal(vl, 1);
}

/* ---- message ids and hosts ---- */

static void test_msg_id_v4(void **state)
{
    rmq_host_t h = v4_host(192, 168, 1, 10, 10911);
    char id[57];
    rmq_msg_id_encode(&h, 8000, id);
    assert_string_equal(id, "C0A8010A00002A9F0000000000001F40");

    rmq_host_t back;
    int64_t off;
    assert_int_equal(rmq_msg_id_decode(id, &back, &off), 0);
    assert_false(back.v6);
    assert_memory_equal(back.addr, h.addr, 16);
    assert_int_equal(back.port, 10911);
    assert_int_equal(off, 8000);

    assert_int_equal(rmq_msg_id_decode("c0a8010a00002a9f0000000000001f40", &back, &off), 0);
    assert_int_equal(off, 8000);
    assert_memory_equal(back.addr, h.addr, 4);

    h = v4_host(255, 255, 255, 255, -1);
    rmq_msg_id_encode(&h, INT64_MIN, id);
    assert_string_equal(id, "FFFFFFFFFFFFFFFF8000000000000000");
    assert_int_equal(rmq_msg_id_decode(id, &back, &off), 0);
    assert_int_equal(back.port, -1);
    assert_int_equal(off, INT64_MIN);
}

static void test_msg_id_v6(void **state)
{
    rmq_host_t h = v6_host(0x0A, 10911);
    char id[57];
    rmq_msg_id_encode(&h, 8000, id);
    assert_int_equal(strlen(id), 56);
    assert_string_equal(id, "FE80000000000000000000000000000A00002A9F0000000000001F40");
    rmq_host_t back;
    int64_t off;
    assert_int_equal(rmq_msg_id_decode(id, &back, &off), 0);
    assert_true(back.v6);
    assert_memory_equal(back.addr, h.addr, 16);
    assert_int_equal(back.port, 10911);
    assert_int_equal(off, 8000);
}

static void test_msg_id_bad(void **state)
{
    rmq_host_t h = v4_host(1, 2, 3, 4, 5);
    int64_t off = 77;
    assert_int_equal(rmq_msg_id_decode("", &h, &off), -1);
    assert_int_equal(rmq_msg_id_decode("C0A8010A00002A9F0000000000001F4", &h, &off), -1);
    assert_int_equal(rmq_msg_id_decode("C0A8010A00002A9F0000000000001F400", &h, &off), -1);
    assert_int_equal(rmq_msg_id_decode("C0A8010A00002A9F0000000000001F4G", &h, &off), -1);
    assert_int_equal(rmq_msg_id_decode("C0A8010A00002A9F 000000000001F40", &h, &off), -1);
    assert_int_equal(
        rmq_msg_id_decode("FE80000000000000000000000000000A00002A9F0000000000001F40A", &h, &off),
        -1);
    /* Outputs are left alone on failure. */
    assert_int_equal(off, 77);
    assert_int_equal(h.port, 5);
}

static void test_host_parse(void **state)
{
    rmq_host_t h;
    assert_int_equal(rmq_host_parse("192.168.1.10:10911", &h), 0);
    assert_false(h.v6);
    assert_memory_equal(h.addr, "\xC0\xA8\x01\x0A", 4);
    assert_int_equal(h.port, 10911);

    assert_int_equal(rmq_host_parse("0.0.0.0:0", &h), 0);
    assert_int_equal(h.port, 0);
    assert_int_equal(rmq_host_parse("1.2.3.4:65535", &h), 0);
    assert_int_equal(h.port, 65535);

    static const uint8_t loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    assert_int_equal(rmq_host_parse("[::1]:10911", &h), 0);
    assert_true(h.v6);
    assert_memory_equal(h.addr, loop6, 16);
    assert_int_equal(h.port, 10911);
    assert_int_equal(rmq_host_parse("::1:10911", &h), 0);
    assert_true(h.v6);
    assert_memory_equal(h.addr, loop6, 16);

    /* IPv4-mapped addresses are IPv4 (as Java's InetAddress has them). */
    assert_int_equal(rmq_host_parse("[::ffff:10.0.0.1]:9876", &h), 0);
    assert_false(h.v6);
    assert_memory_equal(h.addr, "\x0A\x00\x00\x01", 4);

    static const char *bad[] = {
        "1.2.3.4",     "1.2.3.4:",     "1.2.3.4:65536", "1.2.3.4:-1",  "1.2.3.4:+1",
        "1.2.3.4:1x",  ":80",          "[]:80",         "host:80",     "1.2.3:80",
        "::1",         "[::1]",        "[::1:80",       "1.2.3.4:123456",
        "1.2.3.4 :80", "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        h.port = 4242;
        assert_int_equal(rmq_host_parse(bad[i], &h), -1);
        assert_int_equal(h.port, 4242);
    }
}

static void test_host_format(void **state)
{
    char out[64];
    rmq_host_t h = v4_host(192, 168, 1, 10, 10911);
    rmq_host_format(&h, out, sizeof(out));
    assert_string_equal(out, "192.168.1.10:10911");
    h = v6_host(0x0A, 10911);
    rmq_host_format(&h, out, sizeof(out));
    assert_string_equal(out, "fe80::a:10911");

    rmq_host_t back;
    assert_int_equal(rmq_host_parse(out, &back), 0);
    assert_true(back.v6);
    assert_memory_equal(back.addr, h.addr, 16);
    assert_int_equal(back.port, 10911);

    /* A short buffer is truncated, still terminated. */
    h = v4_host(192, 168, 1, 10, 10911);
    rmq_host_format(&h, out, 5);
    assert_string_equal(out, "192.");
}

/* ---- batch bodies ---- */

typedef struct batch {
    uint8_t data[512];
    size_t len;
} batch_t;

/* Appends one block as MessageDecoder.encodeMessage writes it. */
static void batch_add(batch_t *b, int32_t flag, const char *body, const char *props)
{
    size_t bl = strlen(body), pl = strlen(props);
    uint8_t *p = b->data + b->len;
    put_be32(p, (uint32_t)(20 + bl + 2 + pl));
    put_be32(p + 4, 0);
    put_be32(p + 8, 0);
    put_be32(p + 12, (uint32_t)flag);
    put_be32(p + 16, (uint32_t)bl);
    memcpy(p + 20, body, bl);
    p[20 + bl] = (uint8_t)(pl >> 8);
    p[21 + bl] = (uint8_t)pl;
    memcpy(p + 22 + bl, props, pl);
    b->len += 22 + bl + pl;
}

typedef struct seen {
    int n;
    int stop_at;
    int32_t flags[8];
    char bodies[8][32];
    char props[8][32];
} seen_t;

static int collect(const rmq_batch_item_t *it, void *arg)
{
    seen_t *s = arg;
    assert_true(s->n < 8);
    s->flags[s->n] = it->flag;
    memcpy(s->bodies[s->n], it->body, (size_t)it->body_len);
    s->bodies[s->n][it->body_len] = '\0';
    memcpy(s->props[s->n], it->properties, (size_t)it->properties_len);
    s->props[s->n][it->properties_len] = '\0';
    s->n++;
    return s->n == s->stop_at ? 9 : 0;
}

static void test_batch_valid(void **state)
{
    batch_t b = {{0}, 0};
    batch_add(&b, 1, "one", "KEYS\001a");
    batch_add(&b, -2, "", "");
    batch_add(&b, 3, "three", "");
    seen_t s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(rmq_batch_foreach(b.data, b.len, collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.flags[0], 1);
    assert_string_equal(s.bodies[0], "one");
    assert_string_equal(s.props[0], "KEYS\001a");
    assert_int_equal(s.flags[1], -2);
    assert_string_equal(s.bodies[1], "");
    assert_string_equal(s.bodies[2], "three");

    /* A non-zero callback result stops the walk and is returned. */
    memset(&s, 0, sizeof(s));
    s.stop_at = 2;
    assert_int_equal(rmq_batch_foreach(b.data, b.len, collect, &s), 9);
    assert_int_equal(s.n, 2);

    memset(&s, 0, sizeof(s));
    assert_int_equal(rmq_batch_foreach(b.data, 0, collect, &s), 0);
    assert_int_equal(s.n, 0);
}

static void expect_malformed(const batch_t *b, size_t len)
{
    seen_t s;
    memset(&s, 0, sizeof(s));
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, b->data, len);
    assert_int_equal(rmq_batch_foreach(copy, len, collect, &s), -1);
    assert_int_equal(s.n, 0); /* nothing is called for a bad body */
    free(copy);
}

static void test_batch_malformed(void **state)
{
    batch_t good = {{0}, 0};
    batch_add(&good, 1, "one", "KEYS\001a");
    size_t first = good.len;
    batch_add(&good, 2, "two", "");

    /* Every truncation inside the second block. */
    for (size_t n = first + 1; n < good.len; n++)
        expect_malformed(&good, n);
    for (size_t n = 1; n < first; n++)
        expect_malformed(&good, n);

    batch_t b = good;
    put_be32(b.data + first, (uint32_t)(good.len - first + 1)); /* total too big */
    expect_malformed(&b, b.len);
    b = good;
    put_be32(b.data + first, (uint32_t)(good.len - first - 1)); /* total too small */
    expect_malformed(&b, b.len);
    b = good;
    put_be32(b.data, 0); /* a zero-size block */
    expect_malformed(&b, b.len);
    b = good;
    put_be32(b.data, 0xFFFFFFFFu);
    expect_malformed(&b, b.len);
    b = good;
    put_be32(b.data + 16, 0xFFFFFFFFu); /* negative body length */
    expect_malformed(&b, b.len);
    b = good;
    put_be32(b.data + 16, 4); /* body length disagrees with the total */
    expect_malformed(&b, b.len);
    b = good;
    b.data[20 + 3] = 0xFF; /* negative properties length */
    expect_malformed(&b, b.len);
    b = good;
    b.data[b.len++] = 0; /* trailing bytes that are no block */
    expect_malformed(&b, b.len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_v4),
        cmocka_unit_test(test_encode_before_patch_has_zeros),
        cmocka_unit_test(test_sysflag_v6_bits_follow_hosts),
        cmocka_unit_test(test_ipv6_layout),
        cmocka_unit_test(test_mixed_hosts),
        cmocka_unit_test(test_empty_body_no_properties),
        cmocka_unit_test(test_golden_blank),
        cmocka_unit_test(test_parse_golden),
        cmocka_unit_test(test_parse_round_trip_fields),
        cmocka_unit_test(test_parse_back_to_back),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_size_mismatch),
        cmocka_unit_test(test_bad_lengths),
        cmocka_unit_test(test_crc_mismatch),
        cmocka_unit_test(test_v2_magic),
        cmocka_unit_test(test_mutations_never_overread),
        cmocka_unit_test(test_java_hash_vectors),
        cmocka_unit_test(test_java_hash_invalid_utf8),
        cmocka_unit_test(test_tags_code),
        cmocka_unit_test(test_crc32_masked),
        cmocka_unit_test(test_props_find),
        cmocka_unit_test(test_msg_id_v4),
        cmocka_unit_test(test_msg_id_v6),
        cmocka_unit_test(test_msg_id_bad),
        cmocka_unit_test(test_host_parse),
        cmocka_unit_test(test_host_format),
        cmocka_unit_test(test_batch_valid),
        cmocka_unit_test(test_batch_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
