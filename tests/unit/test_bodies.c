/* Name-server bodies: round trips, the golden texts of protocol.md 5.2, 5.4
 * and 5.8, the compressed register body, and hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/buf.h"
#include "base/map.h"
#include "base/mem.h"
#include "protocol/bodies.h"
#include "rocketmq/error.h"

/* protocol.md 5.2, legacy and standard forms. */
static const char ROUTE_LEGACY[] =
    "{\"brokerDatas\":[{\"brokerAddrs\":{0:\"192.168.1.10:10911\",1:\"192.168.1.11:10911\"},"
    "\"brokerName\":\"broker-a\",\"cluster\":\"DefaultCluster\"}],\"filterServerTable\":{},"
    "\"queueDatas\":[{\"brokerName\":\"broker-a\",\"perm\":6,\"readQueueNums\":4,\"topicSysFlag\":0,"
    "\"writeQueueNums\":4}]}";
static const char ROUTE_STANDARD[] =
    "{\"brokerDatas\":[{\"brokerAddrs\":{\"0\":\"192.168.1.10:10911\",\"1\":\"192.168.1.11:10911\"},"
    "\"brokerName\":\"broker-a\",\"cluster\":\"DefaultCluster\"}],\"filterServerTable\":{},"
    "\"queueDatas\":[{\"brokerName\":\"broker-a\",\"perm\":6,\"readQueueNums\":4,\"topicSysFlag\":0,"
    "\"writeQueueNums\":4}]}";
/* protocol.md 5.4. */
static const char CLUSTER_INFO[] =
    "{\"brokerAddrTable\":{\"broker-a\":{\"brokerAddrs\":{0:\"192.168.1.10:10911\"},\"brokerName\":"
    "\"broker-a\",\"cluster\":\"DefaultCluster\"}},\"clusterAddrTable\":{\"DefaultCluster\":["
    "\"broker-a\"]}}";
/* protocol.md 5.8. */
static const char REGISTER_BODY[] =
    "{\"filterServerList\":[],\"topicConfigSerializeWrapper\":{\"dataVersion\":{\"counter\":5,"
    "\"timestamp\":1700000000000},\"topicConfigTable\":{\"TopicTest\":{\"order\":false,\"perm\":6,"
    "\"readQueueNums\":4,\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"TopicTest\","
    "\"topicSysFlag\":0,\"writeQueueNums\":4},\"TBW102\":{\"order\":false,\"perm\":7,"
    "\"readQueueNums\":8,\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"TBW102\","
    "\"topicSysFlag\":0,\"writeQueueNums\":8}}}}";

static char errbuf[256];

static char *buf_str(rmq_buf_t *b)
{
    return rmq_buf_cstr(b);
}

/* ---- comparison helpers ---- */

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static void assert_broker_data_equal(const rmq_broker_data_t *a, const rmq_broker_data_t *b)
{
    assert_true(str_eq(a->cluster, b->cluster));
    assert_true(str_eq(a->broker_name, b->broker_name));
    assert_int_equal(a->naddrs, b->naddrs);
    for (size_t i = 0; i < a->naddrs; i++) {
        assert_int_equal(a->addrs[i].broker_id, b->addrs[i].broker_id);
        assert_string_equal(a->addrs[i].addr, b->addrs[i].addr);
    }
}

static void assert_topic_config_equal(const rmq_topic_config_t *a, const rmq_topic_config_t *b,
                                      bool full)
{
    assert_true(str_eq(a->topic_name, b->topic_name));
    assert_int_equal(a->read_queue_nums, b->read_queue_nums);
    assert_int_equal(a->write_queue_nums, b->write_queue_nums);
    assert_int_equal(a->perm, b->perm);
    assert_true(str_eq(a->topic_filter_type, b->topic_filter_type));
    if (full) {
        assert_int_equal(a->topic_sys_flag, b->topic_sys_flag);
        assert_int_equal(a->order, b->order);
    }
}

static const rmq_topic_config_t *find_topic(const rmq_register_broker_body_t *b, const char *name)
{
    for (size_t i = 0; i < b->ntopics; i++) {
        if (str_eq(b->topics[i].topic_name, name))
            return &b->topics[i];
    }
    return NULL;
}

/* Topic order is not kept by the JSON form (it is a map), so compare by name. */
static void assert_register_body_equal(const rmq_register_broker_body_t *a,
                                       const rmq_register_broker_body_t *b, bool full)
{
    assert_true(rmq_data_version_equal(&a->data_version, &b->data_version));
    assert_int_equal(a->ntopics, b->ntopics);
    for (size_t i = 0; i < a->ntopics; i++) {
        const rmq_topic_config_t *t = find_topic(b, a->topics[i].topic_name);
        assert_non_null(t);
        assert_topic_config_equal(&a->topics[i], t, full);
    }
    assert_int_equal(a->nfilter_servers, b->nfilter_servers);
    for (size_t i = 0; i < a->nfilter_servers; i++)
        assert_string_equal(a->filter_servers[i], b->filter_servers[i]);
}

/* ---- DataVersion ---- */

static void test_data_version(void **state)
{
    (void)state;
    rmq_data_version_t dv = {1700000000000LL, 3, 0}, back;
    rmq_buf_t b = RMQ_BUF_INIT;
    rmq_data_version_encode(&dv, &b);
    assert_string_equal(buf_str(&b), "{\"counter\":3,\"timestamp\":1700000000000}");
    assert_int_equal(rmq_data_version_decode(b.data, b.len, &back, errbuf, sizeof(errbuf)), 0);
    assert_true(rmq_data_version_equal(&dv, &back));

    dv.state_version = 9;
    b.len = 0;
    rmq_data_version_encode(&dv, &b);
    assert_string_equal(buf_str(&b),
                        "{\"counter\":3,\"stateVersion\":9,\"timestamp\":1700000000000}");
    assert_int_equal(rmq_data_version_decode(b.data, b.len, &back, errbuf, sizeof(errbuf)), 0);
    assert_true(rmq_data_version_equal(&dv, &back));
    assert_false(rmq_data_version_equal(&dv, &(rmq_data_version_t){1700000000000LL, 3, 0}));

    rmq_data_version_t next = dv;
    rmq_data_version_next(&next);
    assert_int_equal(next.counter, 4);
    assert_true(next.timestamp > 1700000000000LL);

    /* Numbers as strings (BrowserCompatible longs), unknown and missing properties. */
    const char *s = "{\"counter\":\"12\",\"timestamp\":\"-5\",\"extra\":[1,{}]}";
    assert_int_equal(rmq_data_version_decode(s, strlen(s), &back, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(back.counter, 12);
    assert_int_equal(back.timestamp, -5);
    assert_int_equal(back.state_version, 0);
    s = "{}";
    assert_int_equal(rmq_data_version_decode(s, strlen(s), &back, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(back.counter, 0);

    /* Wrong types. */
    s = "{\"counter\":\"12x\"}";
    assert_int_equal(rmq_data_version_decode(s, strlen(s), &back, errbuf, sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_non_null(strstr(errbuf, "counter"));
    s = "{\"counter\":true}";
    assert_int_equal(rmq_data_version_decode(s, strlen(s), &back, NULL, 0), ROCKETMQ_ERR__PROTOCOL);
    s = "[1]";
    assert_int_equal(rmq_data_version_decode(s, strlen(s), &back, errbuf, sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_int_equal(rmq_data_version_decode("", 0, &back, errbuf, sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);

    /* to_json/from_json. */
    json_t *j = rmq_data_version_to_json(&dv);
    assert_int_equal(rmq_data_version_from_json(j, &back, NULL, 0), 0);
    assert_true(rmq_data_version_equal(&dv, &back));
    json_decref(j);
    assert_int_equal(rmq_data_version_from_json(NULL, &back, NULL, 0), ROCKETMQ_ERR__PROTOCOL);
    rmq_buf_free(&b);
}

/* ---- TopicConfig / RegisterBrokerBody ---- */

static void make_register_body(rmq_register_broker_body_t *b)
{
    memset(b, 0, sizeof(*b));
    b->data_version.counter = 5;
    b->data_version.timestamp = 1700000000000LL;
    rmq_topic_config_t tc;
    rmq_topic_config_init(&tc, "TBW102");
    tc.read_queue_nums = 8;
    tc.write_queue_nums = 8;
    tc.perm = 7;
    rmq_register_broker_body_add_topic(b, &tc);
    rmq_topic_config_free(&tc);
    rmq_topic_config_init(&tc, "TopicTest");
    tc.read_queue_nums = 4;
    tc.write_queue_nums = 4;
    rmq_register_broker_body_add_topic(b, &tc);
    rmq_topic_config_free(&tc);
    rmq_topic_config_init(&tc, "%RETRY%cg");
    tc.read_queue_nums = 1;
    tc.write_queue_nums = 1;
    tc.topic_sys_flag = 3;
    tc.order = true;
    free(tc.topic_filter_type);
    tc.topic_filter_type = rmq_strdup("MULTI_TAG");
    rmq_register_broker_body_add_topic(b, &tc);
    rmq_topic_config_free(&tc);
}

static void test_topic_config_init(void **state)
{
    (void)state;
    rmq_topic_config_t tc;
    rmq_topic_config_init(&tc, "T");
    assert_string_equal(tc.topic_name, "T");
    assert_int_equal(tc.read_queue_nums, 16);
    assert_int_equal(tc.write_queue_nums, 16);
    assert_int_equal(tc.perm, 6);
    assert_string_equal(tc.topic_filter_type, "SINGLE_TAG");
    assert_int_equal(tc.topic_sys_flag, 0);
    assert_false(tc.order);
    rmq_topic_config_free(&tc);
    rmq_topic_config_free(&tc); /* idempotent after free */
    rmq_topic_config_free(NULL);
}

static void test_register_body_golden(void **state)
{
    (void)state;
    rmq_register_broker_body_t b;
    assert_int_equal(rmq_register_broker_body_decode(REGISTER_BODY, strlen(REGISTER_BODY), &b,
                                                     errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(b.data_version.counter, 5);
    assert_int_equal(b.data_version.timestamp, 1700000000000LL);
    assert_int_equal(b.ntopics, 2);
    assert_int_equal(b.nfilter_servers, 0);
    /* jansson keeps document order. */
    assert_string_equal(b.topics[0].topic_name, "TopicTest");
    assert_int_equal(b.topics[0].read_queue_nums, 4);
    assert_int_equal(b.topics[0].perm, 6);
    assert_string_equal(b.topics[1].topic_name, "TBW102");
    assert_int_equal(b.topics[1].write_queue_nums, 8);
    assert_int_equal(b.topics[1].perm, 7);
    assert_string_equal(b.topics[1].topic_filter_type, "SINGLE_TAG");

    /* Our encoding is the same text with the table sorted by topic name. */
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_register_broker_body_encode(&b, &out);
    assert_string_equal(
        buf_str(&out),
        "{\"filterServerList\":[],\"topicConfigSerializeWrapper\":{\"dataVersion\":{\"counter\":5,"
        "\"timestamp\":1700000000000},\"topicConfigTable\":{\"TBW102\":{\"order\":false,\"perm\":7,"
        "\"readQueueNums\":8,\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"TBW102\","
        "\"topicSysFlag\":0,\"writeQueueNums\":8},\"TopicTest\":{\"order\":false,\"perm\":6,"
        "\"readQueueNums\":4,\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"TopicTest\","
        "\"topicSysFlag\":0,\"writeQueueNums\":4}}}}");
    rmq_buf_free(&out);
    rmq_register_broker_body_free(&b);
    rmq_register_broker_body_free(&b);
}

static void test_register_body_roundtrip(void **state)
{
    (void)state;
    rmq_register_broker_body_t b, back;
    make_register_body(&b);
    b.filter_servers = rmq_calloc(2, sizeof(char *));
    b.filter_servers[0] = rmq_strdup("10.0.0.1:3000");
    b.filter_servers[1] = rmq_strdup("10.0.0.2:3000");
    b.nfilter_servers = 2;

    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_register_broker_body_encode(&b, &out);
    assert_int_equal(rmq_register_broker_body_decode(out.data, out.len, &back, errbuf,
                                                     sizeof(errbuf)),
                     0);
    assert_register_body_equal(&b, &back, true);
    rmq_register_broker_body_free(&back);
    rmq_register_broker_body_free(&b);
    rmq_buf_free(&out);

    /* Empty body. */
    memset(&b, 0, sizeof(b));
    rmq_register_broker_body_encode(&b, &out);
    assert_string_equal(buf_str(&out),
                        "{\"filterServerList\":[],\"topicConfigSerializeWrapper\":{\"dataVersion\":"
                        "{\"counter\":0,\"timestamp\":0},\"topicConfigTable\":{}}}");
    assert_int_equal(rmq_register_broker_body_decode(out.data, out.len, &back, NULL, 0), 0);
    assert_int_equal(back.ntopics, 0);
    rmq_register_broker_body_free(&back);
    rmq_buf_free(&out);
}

static void test_topic_config_wrapper(void **state)
{
    (void)state;
    /* Old brokers: the bare wrapper; topicName missing (key used), numeric
     * strings, enum ordinal, 5.x attributes and extra wrapper fields ignored. */
    const char *s =
        "{\"dataVersion\":{\"counter\":2,\"timestamp\":7},\"mappingDataVersion\":{},"
        "\"topicConfigTable\":{\"A\":{\"perm\":\"4\",\"readQueueNums\":2,\"topicFilterType\":1,"
        "\"attributes\":{\"+message.type\":\"NORMAL\"}},\"B\":{}}}";
    rmq_register_broker_body_t b;
    assert_int_equal(rmq_topic_config_wrapper_decode(s, strlen(s), &b, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(b.data_version.counter, 2);
    assert_int_equal(b.ntopics, 2);
    assert_string_equal(b.topics[0].topic_name, "A");
    assert_int_equal(b.topics[0].perm, 4);
    assert_int_equal(b.topics[0].read_queue_nums, 2);
    assert_int_equal(b.topics[0].write_queue_nums, 16);
    assert_string_equal(b.topics[0].topic_filter_type, "MULTI_TAG");
    assert_string_equal(b.topics[1].topic_name, "B");
    assert_int_equal(b.topics[1].perm, 6);
    rmq_register_broker_body_free(&b);

    /* Register body without a wrapper at all. */
    s = "{\"filterServerList\":[\"x\"]}";
    assert_int_equal(rmq_register_broker_body_decode(s, strlen(s), &b, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(b.nfilter_servers, 1);
    assert_string_equal(b.filter_servers[0], "x");
    assert_int_equal(b.ntopics, 0);
    rmq_register_broker_body_free(&b);
}

static void test_register_body_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"filterServerList\":{}}",
        "{\"filterServerList\":[1.5]}",
        "{\"topicConfigSerializeWrapper\":[]}",
        "{\"topicConfigSerializeWrapper\":{\"dataVersion\":1}}",
        "{\"topicConfigSerializeWrapper\":{\"dataVersion\":{\"counter\":{}}}}",
        "{\"topicConfigSerializeWrapper\":{\"topicConfigTable\":[]}}",
        "{\"topicConfigSerializeWrapper\":{\"topicConfigTable\":{\"A\":{},\"B\":3}}}",
        "{\"topicConfigSerializeWrapper\":{\"topicConfigTable\":{\"A\":{\"perm\":\"rw\"}}}}",
        "{\"topicConfigSerializeWrapper\":{\"topicConfigTable\":{\"A\":{\"perm\":4294967296}}}}",
        "{\"topicConfigSerializeWrapper\":{\"topicConfigTable\":{\"A\":{\"order\":\"yes\"}}}}",
        "{\"topicConfigSerializeWrapper\":{\"topicConfigTable\":{\"A\":{\"topicFilterType\":\"X\"}}}}",
        "{\"topicConfigSerializeWrapper\":{\"topicConfigTable\":{\"A\":{\"topicName\":[]}}}}",
        "{\"topicConfigSerializeWrapper\":{\"topicConfigTable\":{\"A\":{\"readQueueNums\":4}",
        "[]",
        "null",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rmq_register_broker_body_t b;
        errbuf[0] = '\0';
        int rc = rmq_register_broker_body_decode(bad[i], strlen(bad[i]), &b, errbuf,
                                                 sizeof(errbuf));
        if (rc == 0)
            print_message("accepted: %s\n", bad[i]);
        assert_int_equal(rc, ROCKETMQ_ERR__PROTOCOL);
        assert_true(errbuf[0] != '\0');
        /* Safe to free after failure. */
        assert_int_equal(b.ntopics, 0);
        assert_null(b.topics);
        rmq_register_broker_body_free(&b);
    }
    rmq_register_broker_body_t b;
    assert_int_equal(rmq_topic_config_wrapper_decode("{\"topicConfigTable\":1}", 22, &b, NULL, 0),
                     ROCKETMQ_ERR__PROTOCOL);
    rmq_register_broker_body_free(&b);
}

/* ---- compressed register body ---- */

static void zlib_compress(const void *raw, size_t n, rmq_buf_t *out)
{
    uLongf dlen = compressBound(n);
    rmq_buf_reserve(out, dlen);
    assert_int_equal(compress2(out->data + out->len, &dlen, raw, n, 1), Z_OK);
    out->len += dlen;
}

static void put_part(rmq_buf_t *raw, const char *s)
{
    rmq_buf_append_be32(raw, (uint32_t)strlen(s));
    rmq_buf_append_str(raw, s);
}

static void test_compressed_roundtrip(void **state)
{
    (void)state;
    rmq_register_broker_body_t b, back;
    make_register_body(&b);
    b.filter_servers = rmq_calloc(1, sizeof(char *));
    b.filter_servers[0] = rmq_strdup("10.0.0.1:3000");
    b.nfilter_servers = 1;

    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_register_broker_body_encode_compressed(&b, &out);
    /* zlib header (RFC 1950): CMF 0x78, FLEVEL 3 for level 9. */
    assert_true(out.len > 2);
    assert_int_equal(out.data[0], 0x78);
    assert_int_equal(out.data[1], 0xda);

    assert_int_equal(rmq_register_broker_body_decode_compressed(out.data, out.len, &back, errbuf,
                                                                sizeof(errbuf)),
                     0);
    /* The compressed form keeps topic order but loses sysflag and order. */
    assert_register_body_equal(&b, &back, false);
    for (size_t i = 0; i < b.ntopics; i++)
        assert_string_equal(b.topics[i].topic_name, back.topics[i].topic_name);
    const rmq_topic_config_t *retry = find_topic(&back, "%RETRY%cg");
    assert_non_null(retry);
    assert_int_equal(retry->topic_sys_flag, 0);
    assert_false(retry->order);
    assert_string_equal(retry->topic_filter_type, "MULTI_TAG");

    /* Check the uncompressed layout exactly. */
    uint8_t raw[1024];
    uLongf rawlen = sizeof(raw);
    assert_int_equal(uncompress(raw, &rawlen, out.data, out.len), Z_OK);
    rmq_buf_t expect = RMQ_BUF_INIT;
    put_part(&expect, "{\"counter\":5,\"timestamp\":1700000000000}");
    rmq_buf_append_be32(&expect, 3);
    put_part(&expect, "TBW102 8 8 7 SINGLE_TAG");
    put_part(&expect, "TopicTest 4 4 6 SINGLE_TAG");
    put_part(&expect, "%RETRY%cg 1 1 6 MULTI_TAG");
    put_part(&expect, "[\"10.0.0.1:3000\"]");
    assert_int_equal(rawlen, expect.len);
    assert_memory_equal(raw, expect.data, expect.len);

    rmq_buf_free(&expect);
    rmq_buf_free(&out);
    rmq_register_broker_body_free(&back);
    rmq_register_broker_body_free(&b);

    /* Empty body. */
    memset(&b, 0, sizeof(b));
    rmq_register_broker_body_encode_compressed(&b, &out);
    assert_int_equal(rmq_register_broker_body_decode_compressed(out.data, out.len, &back, errbuf,
                                                                sizeof(errbuf)),
                     0);
    assert_int_equal(back.ntopics, 0);
    assert_int_equal(back.nfilter_servers, 0);
    rmq_register_broker_body_free(&back);
    rmq_buf_free(&out);
}

static void test_compressed_5x(void **state)
{
    (void)state;
    /* 5.x: attributes after the filter type (with the trailing separator
     * 5.x always writes) and a topic queue mapping section. */
    rmq_buf_t raw = RMQ_BUF_INIT, z = RMQ_BUF_INIT;
    put_part(&raw, "{\"counter\":1,\"stateVersion\":0,\"timestamp\":2}");
    rmq_buf_append_be32(&raw, 3);
    put_part(&raw, "A 4 4 6 SINGLE_TAG {\"+message.type\":\"NORMAL\"}");
    put_part(&raw, "B 2 3 2 MULTI_TAG ");
    put_part(&raw, "C -1 0 +6 SINGLE_TAG");
    put_part(&raw, "[]");
    rmq_buf_append_be32(&raw, 2);
    put_part(&raw, "{\"bname\":\"b\"}");
    put_part(&raw, "{}");
    zlib_compress(raw.data, raw.len, &z);

    rmq_register_broker_body_t b;
    assert_int_equal(rmq_register_broker_body_decode_compressed(z.data, z.len, &b, errbuf,
                                                                sizeof(errbuf)),
                     0);
    assert_int_equal(b.data_version.counter, 1);
    assert_int_equal(b.ntopics, 3);
    assert_string_equal(b.topics[0].topic_name, "A");
    assert_string_equal(b.topics[0].topic_filter_type, "SINGLE_TAG");
    assert_string_equal(b.topics[1].topic_name, "B");
    assert_int_equal(b.topics[1].read_queue_nums, 2);
    assert_int_equal(b.topics[1].write_queue_nums, 3);
    assert_int_equal(b.topics[1].perm, 2);
    assert_string_equal(b.topics[1].topic_filter_type, "MULTI_TAG");
    assert_int_equal(b.topics[2].read_queue_nums, -1);
    assert_int_equal(b.topics[2].perm, 6);
    rmq_register_broker_body_free(&b);
    rmq_buf_free(&raw);
    rmq_buf_free(&z);
}

/* Builds a raw body from parts and checks decoding fails cleanly. */
static void assert_compressed_rejected(const rmq_buf_t *raw, const char *why)
{
    rmq_buf_t z = RMQ_BUF_INIT;
    zlib_compress(raw->data, raw->len, &z);
    rmq_register_broker_body_t b;
    errbuf[0] = '\0';
    int rc = rmq_register_broker_body_decode_compressed(z.data, z.len, &b, errbuf, sizeof(errbuf));
    if (rc == 0)
        print_message("accepted: %s\n", why);
    assert_int_equal(rc, ROCKETMQ_ERR__PROTOCOL);
    assert_true(errbuf[0] != '\0');
    assert_null(b.topics);
    assert_int_equal(b.ntopics, 0);
    rmq_register_broker_body_free(&b);
    rmq_buf_free(&z);
}

static void test_compressed_bad(void **state)
{
    (void)state;
    rmq_buf_t raw = RMQ_BUF_INIT;

    /* Huge topic count. */
    put_part(&raw, "{\"counter\":1,\"timestamp\":2}");
    rmq_buf_append_be32(&raw, 0x7fffffff);
    put_part(&raw, "A 1 1 6 SINGLE_TAG");
    assert_compressed_rejected(&raw, "huge count");
    raw.len = 0;
    put_part(&raw, "{\"counter\":1,\"timestamp\":2}");
    rmq_buf_append_be32(&raw, 0xffffffff);
    assert_compressed_rejected(&raw, "negative count");

    /* Lengths beyond the body, negative lengths. */
    raw.len = 0;
    rmq_buf_append_be32(&raw, 1000);
    rmq_buf_append_str(&raw, "{}");
    assert_compressed_rejected(&raw, "long dataVersion");
    raw.len = 0;
    rmq_buf_append_be32(&raw, 0x80000002u);
    rmq_buf_append_str(&raw, "{}");
    assert_compressed_rejected(&raw, "negative length");

    /* Truncated at every position. */
    rmq_buf_t full = RMQ_BUF_INIT;
    put_part(&full, "{\"counter\":1,\"timestamp\":2}");
    rmq_buf_append_be32(&full, 1);
    put_part(&full, "A 1 1 6 SINGLE_TAG");
    put_part(&full, "[]");
    for (size_t cut = 0; cut < full.len; cut++) {
        raw.len = 0;
        rmq_buf_append(&raw, full.data, cut);
        assert_compressed_rejected(&raw, "truncated");
    }
    rmq_buf_free(&full);

    /* Malformed topic text and bad JSON parts. */
    static const char *const topics[] = {
        "", "A", "A 1 1 6", "A 1 1 6 ", "A x 1 6 SINGLE_TAG", "A 1 1 6 OTHER", " 1 1 6 SINGLE_TAG",
        "A 1  1 6 SINGLE_TAG", "A 99999999999 1 6 SINGLE_TAG", "A 1 1 6 SINGLE_TAGX",
    };
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
        raw.len = 0;
        put_part(&raw, "{\"counter\":1,\"timestamp\":2}");
        rmq_buf_append_be32(&raw, 2);
        put_part(&raw, "OK 1 1 6 SINGLE_TAG");
        put_part(&raw, topics[i]);
        put_part(&raw, "[]");
        assert_compressed_rejected(&raw, topics[i]);
    }
    raw.len = 0;
    put_part(&raw, "{\"counter\":1,\"timestamp\":2}");
    rmq_buf_append_be32(&raw, 1);
    rmq_buf_append_be32(&raw, 3);
    rmq_buf_append(&raw, "A\0B", 3);
    put_part(&raw, "[]");
    assert_compressed_rejected(&raw, "NUL in topic");

    raw.len = 0;
    put_part(&raw, "[1]");
    rmq_buf_append_be32(&raw, 0);
    put_part(&raw, "[]");
    assert_compressed_rejected(&raw, "dataVersion not an object");
    raw.len = 0;
    put_part(&raw, "{}");
    rmq_buf_append_be32(&raw, 0);
    put_part(&raw, "{}");
    assert_compressed_rejected(&raw, "filter list not an array");
    raw.len = 0;
    put_part(&raw, "{}");
    rmq_buf_append_be32(&raw, 0);
    put_part(&raw, "[1.5]");
    assert_compressed_rejected(&raw, "filter list of numbers");
    raw.len = 0;
    put_part(&raw, "{}");
    rmq_buf_append_be32(&raw, 0);
    put_part(&raw, "[]");
    rmq_buf_append_be32(&raw, 100000);
    assert_compressed_rejected(&raw, "huge mapping count");
    raw.len = 0;
    put_part(&raw, "{}");
    rmq_buf_append_be32(&raw, 0);
    put_part(&raw, "[]");
    rmq_buf_append_be32(&raw, 1);
    rmq_buf_append_be32(&raw, 10);
    assert_compressed_rejected(&raw, "truncated mapping");
    rmq_buf_free(&raw);

    /* Not zlib at all, truncated zlib, corrupted zlib, empty. */
    rmq_register_broker_body_t b;
    const char *plain = REGISTER_BODY;
    assert_int_equal(rmq_register_broker_body_decode_compressed(plain, strlen(plain), &b, errbuf,
                                                                sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    rmq_register_broker_body_free(&b);
    assert_int_equal(rmq_register_broker_body_decode_compressed("", 0, &b, NULL, 0),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_int_equal(rmq_register_broker_body_decode_compressed(NULL, 0, &b, NULL, 0),
                     ROCKETMQ_ERR__PROTOCOL);

    rmq_register_broker_body_t good;
    make_register_body(&good);
    rmq_buf_t z = RMQ_BUF_INIT;
    rmq_register_broker_body_encode_compressed(&good, &z);
    rmq_register_broker_body_free(&good);
    for (size_t cut = 0; cut < z.len; cut++) {
        assert_int_equal(rmq_register_broker_body_decode_compressed(z.data, cut, &b, errbuf,
                                                                    sizeof(errbuf)),
                         ROCKETMQ_ERR__PROTOCOL);
        rmq_register_broker_body_free(&b);
    }
    for (size_t i = 2; i < z.len; i++) {
        uint8_t saved = z.data[i];
        z.data[i] ^= 0x5a;
        /* A flipped byte is caught by inflate, Adler-32 or the parser. */
        int rc = rmq_register_broker_body_decode_compressed(z.data, z.len, &b, NULL, 0);
        assert_true(rc == ROCKETMQ_ERR__PROTOCOL || rc == 0);
        rmq_register_broker_body_free(&b);
        z.data[i] = saved;
    }
    /* Preset dictionary flag (FDICT) is refused. */
    uint8_t dict[] = {0x78, 0xbb, 0, 0, 0, 1, 0x03, 0x00};
    assert_int_equal(rmq_register_broker_body_decode_compressed(dict, sizeof(dict), &b, NULL, 0),
                     ROCKETMQ_ERR__PROTOCOL);
    rmq_buf_free(&z);
}

static void test_compressed_bomb(void **state)
{
    (void)state;
    /* 65 MiB of zeros compresses to ~64 KiB and must be refused, not inflated. */
    size_t n = ((size_t)64 << 20) + 4096;
    uint8_t *zeros = calloc(1, n);
    assert_non_null(zeros);
    rmq_buf_t z = RMQ_BUF_INIT;
    zlib_compress(zeros, n, &z);
    free(zeros);
    rmq_register_broker_body_t b;
    errbuf[0] = '\0';
    assert_int_equal(rmq_register_broker_body_decode_compressed(z.data, z.len, &b, errbuf,
                                                                sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_non_null(strstr(errbuf, "exceeds"));
    rmq_register_broker_body_free(&b);
    rmq_buf_free(&z);
}

/* ---- TopicRouteData ---- */

static void check_golden_route(const rmq_topic_route_t *r)
{
    assert_null(r->order_topic_conf);
    assert_int_equal(r->nbroker_datas, 1);
    const rmq_broker_data_t *bd = &r->broker_datas[0];
    assert_string_equal(bd->cluster, "DefaultCluster");
    assert_string_equal(bd->broker_name, "broker-a");
    assert_int_equal(bd->naddrs, 2);
    assert_int_equal(bd->addrs[0].broker_id, 0);
    assert_string_equal(bd->addrs[0].addr, "192.168.1.10:10911");
    assert_int_equal(bd->addrs[1].broker_id, 1);
    assert_string_equal(bd->addrs[1].addr, "192.168.1.11:10911");
    assert_string_equal(rmq_broker_data_get_addr(bd, 1), "192.168.1.11:10911");
    assert_null(rmq_broker_data_get_addr(bd, 2));
    assert_int_equal(r->nqueue_datas, 1);
    const rmq_queue_data_t *q = &r->queue_datas[0];
    assert_string_equal(q->broker_name, "broker-a");
    assert_int_equal(q->perm, 6);
    assert_int_equal(q->read_queue_nums, 4);
    assert_int_equal(q->write_queue_nums, 4);
    assert_int_equal(q->topic_sys_flag, 0);
    assert_int_equal(r->nfilter_servers, 0);
}

static void test_route_golden(void **state)
{
    (void)state;
    rmq_topic_route_t r;
    assert_int_equal(rmq_topic_route_decode(ROUTE_LEGACY, strlen(ROUTE_LEGACY), &r, errbuf,
                                            sizeof(errbuf)),
                     0);
    check_golden_route(&r);
    rmq_topic_route_free(&r);

    assert_int_equal(rmq_topic_route_decode(ROUTE_STANDARD, strlen(ROUTE_STANDARD), &r, errbuf,
                                            sizeof(errbuf)),
                     0);
    check_golden_route(&r);

    /* Encoding gives the standard form byte for byte. */
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_topic_route_encode(&r, &out);
    assert_string_equal(buf_str(&out), ROUTE_STANDARD);
    rmq_buf_free(&out);
    rmq_topic_route_free(&r);

    /* Built by hand, too. */
    memset(&r, 0, sizeof(r));
    r.broker_datas = rmq_calloc(1, sizeof(*r.broker_datas));
    r.nbroker_datas = 1;
    r.broker_datas[0].cluster = rmq_strdup("DefaultCluster");
    r.broker_datas[0].broker_name = rmq_strdup("broker-a");
    rmq_broker_data_set_addr(&r.broker_datas[0], 1, "192.168.1.11:10911");
    rmq_broker_data_set_addr(&r.broker_datas[0], 0, "192.168.1.10:10911");
    r.queue_datas = rmq_calloc(1, sizeof(*r.queue_datas));
    r.nqueue_datas = 1;
    r.queue_datas[0] = (rmq_queue_data_t){rmq_strdup("broker-a"), 4, 4, 6, 0};
    rmq_topic_route_encode(&r, &out);
    assert_string_equal(buf_str(&out), ROUTE_STANDARD);
    rmq_buf_free(&out);
    rmq_topic_route_free(&r);
}

static void test_route_roundtrip(void **state)
{
    (void)state;
    rmq_topic_route_t r, back;
    memset(&r, 0, sizeof(r));
    r.order_topic_conf = rmq_strdup("broker-a:4;broker-b:4");
    r.nbroker_datas = 2;
    r.broker_datas = rmq_calloc(2, sizeof(*r.broker_datas));
    for (int i = 0; i < 2; i++) {
        rmq_broker_data_t *bd = &r.broker_datas[i];
        bd->cluster = rmq_strdup("C");
        bd->broker_name = rmq_strdup(i ? "broker-b" : "broker-a");
        rmq_broker_data_set_addr(bd, 2, "h2:1");
        rmq_broker_data_set_addr(bd, 0, "h0:1");
        rmq_broker_data_set_addr(bd, 1, "h1:1");
    }
    r.nqueue_datas = 2;
    r.queue_datas = rmq_calloc(2, sizeof(*r.queue_datas));
    r.queue_datas[0] = (rmq_queue_data_t){rmq_strdup("broker-a"), 8, 4, 7, 1};
    r.queue_datas[1] = (rmq_queue_data_t){rmq_strdup("broker-b"), 1, 2, 4, 2};
    r.nfilter_servers = 1;
    r.filter_server_addrs = rmq_calloc(1, sizeof(char *));
    r.filter_server_addrs[0] = rmq_strdup("h0:1");
    r.filter_server_lists = rmq_calloc(1, sizeof(char **));
    r.filter_server_lists[0] = rmq_calloc(3, sizeof(char *));
    r.filter_server_lists[0][0] = rmq_strdup("f1:2");
    r.filter_server_lists[0][1] = rmq_strdup("f2:2");

    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_topic_route_encode(&r, &out);
    assert_int_equal(rmq_topic_route_decode(out.data, out.len, &back, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(back.order_topic_conf, r.order_topic_conf);
    assert_int_equal(back.nbroker_datas, 2);
    for (size_t i = 0; i < 2; i++)
        assert_broker_data_equal(&r.broker_datas[i], &back.broker_datas[i]);
    assert_int_equal(back.nqueue_datas, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(back.queue_datas[i].broker_name, r.queue_datas[i].broker_name);
        assert_int_equal(back.queue_datas[i].read_queue_nums, r.queue_datas[i].read_queue_nums);
        assert_int_equal(back.queue_datas[i].write_queue_nums, r.queue_datas[i].write_queue_nums);
        assert_int_equal(back.queue_datas[i].perm, r.queue_datas[i].perm);
        assert_int_equal(back.queue_datas[i].topic_sys_flag, r.queue_datas[i].topic_sys_flag);
    }
    assert_int_equal(back.nfilter_servers, 1);
    assert_string_equal(back.filter_server_addrs[0], "h0:1");
    assert_string_equal(back.filter_server_lists[0][0], "f1:2");
    assert_string_equal(back.filter_server_lists[0][1], "f2:2");
    assert_null(back.filter_server_lists[0][2]);

    /* Encoding the decoded value gives the same text. */
    rmq_buf_t again = RMQ_BUF_INIT;
    rmq_topic_route_encode(&back, &again);
    assert_int_equal(again.len, out.len);
    assert_memory_equal(again.data, out.data, out.len);
    rmq_buf_free(&again);
    rmq_buf_free(&out);
    rmq_topic_route_free(&back);
    rmq_topic_route_free(&r);

    /* Empty route. */
    memset(&r, 0, sizeof(r));
    rmq_topic_route_encode(&r, &out);
    assert_string_equal(buf_str(&out), "{\"brokerDatas\":[],\"filterServerTable\":{},\"queueDatas\":[]}");
    rmq_buf_free(&out);
}

static void test_route_tolerant(void **state)
{
    (void)state;
    /* Missing properties, unknown properties (5.x), numeric strings, null
     * values, duplicate ids spelled differently (last wins), negative ids. */
    const char *s =
        "{\"brokerDatas\":[{\"brokerAddrs\":{2:\"b\",\"00\":\"x\",0:\"a\",-1:\"n\",\"3\":null},"
        "\"brokerName\":\"bn\",\"enableActingMaster\":false,\"zoneName\":\"z\"},{}],"
        "\"queueDatas\":[{\"brokerName\":\"bn\",\"perm\":\"6\",\"readQueueNums\":4.0}],"
        "\"topicQueueMappingByBroker\":{\"bn\":{}},\"orderTopicConf\":null,"
        "\"filterServerTable\":{\"h\":null}}";
    rmq_topic_route_t r;
    assert_int_equal(rmq_topic_route_decode(s, strlen(s), &r, errbuf, sizeof(errbuf)), 0);
    assert_null(r.order_topic_conf);
    assert_int_equal(r.nbroker_datas, 2);
    const rmq_broker_data_t *bd = &r.broker_datas[0];
    assert_null(bd->cluster);
    assert_int_equal(bd->naddrs, 3);
    assert_int_equal(bd->addrs[0].broker_id, -1);
    assert_int_equal(bd->addrs[1].broker_id, 0);
    assert_string_equal(bd->addrs[1].addr, "a");
    assert_int_equal(bd->addrs[2].broker_id, 2);
    assert_int_equal(r.broker_datas[1].naddrs, 0);
    assert_null(r.broker_datas[1].broker_name);
    assert_int_equal(r.queue_datas[0].perm, 6);
    assert_int_equal(r.queue_datas[0].read_queue_nums, 4);
    assert_int_equal(r.queue_datas[0].write_queue_nums, 0);
    assert_int_equal(r.nfilter_servers, 1);
    assert_null(r.filter_server_lists[0][0]);
    rmq_topic_route_free(&r);

    s = "{}";
    assert_int_equal(rmq_topic_route_decode(s, strlen(s), &r, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(r.nbroker_datas + r.nqueue_datas + r.nfilter_servers, 0);
    rmq_topic_route_free(&r);
}

static void test_route_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"brokerDatas\":{}}",
        "{\"brokerDatas\":[1]}",
        "{\"brokerDatas\":[{\"brokerAddrs\":[]}]}",
        "{\"brokerDatas\":[{\"brokerAddrs\":{\"master\":\"a\"}}]}",
        "{\"brokerDatas\":[{\"brokerAddrs\":{0:\"a\",1:{}}}]}",
        "{\"brokerDatas\":[{\"brokerAddrs\":{99999999999999999999:\"a\"}}]}",
        "{\"brokerDatas\":[{\"brokerName\":5.5}]}",
        "{\"brokerDatas\":[{\"cluster\":[]}]}",
        "{\"queueDatas\":[{\"perm\":\"six\"}]}",
        "{\"queueDatas\":[{\"perm\":6.5}]}",
        "{\"queueDatas\":[{\"perm\":-2147483649}]}",
        "{\"queueDatas\":[{\"writeQueueNums\":[]}]}",
        "{\"queueDatas\":[null]}",
        "{\"queueDatas\":\"x\"}",
        "{\"filterServerTable\":[]}",
        "{\"filterServerTable\":{\"h\":\"x\"}}",
        "{\"filterServerTable\":{\"h\":[{}]}}",
        "{\"orderTopicConf\":{}}",
        "{\"brokerDatas\":[{\"brokerAddrs\":{0:\"a\"}}],\"queueDatas\":[{\"brokerName\":\"b\"",
        "[]",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rmq_topic_route_t r;
        errbuf[0] = '\0';
        int rc = rmq_topic_route_decode(bad[i], strlen(bad[i]), &r, errbuf, sizeof(errbuf));
        if (rc == 0)
            print_message("accepted: %s\n", bad[i]);
        assert_int_equal(rc, ROCKETMQ_ERR__PROTOCOL);
        assert_true(errbuf[0] != '\0');
        assert_null(r.broker_datas);
        assert_null(r.queue_datas);
        rmq_topic_route_free(&r);
    }
    /* The message names the culprit. */
    rmq_topic_route_t r;
    const char *s = "{\"queueDatas\":[{},{\"perm\":\"six\"}]}";
    rmq_topic_route_decode(s, strlen(s), &r, errbuf, sizeof(errbuf));
    assert_non_null(strstr(errbuf, "queueDatas[1].perm"));
}

static void test_broker_data_ops(void **state)
{
    (void)state;
    rmq_broker_data_t bd, copy;
    memset(&bd, 0, sizeof(bd));
    rmq_broker_data_set_addr(&bd, 5, "e");
    rmq_broker_data_set_addr(&bd, 1, "b");
    rmq_broker_data_set_addr(&bd, 3, "d");
    rmq_broker_data_set_addr(&bd, 0, "a");
    assert_int_equal(bd.naddrs, 4);
    int64_t ids[] = {0, 1, 3, 5};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(bd.addrs[i].broker_id, ids[i]);
    rmq_broker_data_set_addr(&bd, 3, "D");
    assert_string_equal(rmq_broker_data_get_addr(&bd, 3), "D");
    rmq_broker_data_set_addr(&bd, 3, rmq_broker_data_get_addr(&bd, 3)); /* self-assign */
    assert_string_equal(rmq_broker_data_get_addr(&bd, 3), "D");
    rmq_broker_data_set_addr(&bd, 1, NULL);
    assert_int_equal(bd.naddrs, 3);
    assert_null(rmq_broker_data_get_addr(&bd, 1));
    rmq_broker_data_set_addr(&bd, 42, NULL); /* absent: no-op */
    assert_int_equal(bd.naddrs, 3);

    bd.cluster = rmq_strdup("c");
    rmq_broker_data_copy(&copy, &bd);
    assert_broker_data_equal(&bd, &copy);
    assert_ptr_not_equal(copy.addrs, bd.addrs);

    json_t *j = rmq_broker_data_to_json(&bd);
    rmq_broker_data_t back;
    assert_int_equal(rmq_broker_data_from_json(j, &back, errbuf, sizeof(errbuf)), 0);
    assert_broker_data_equal(&bd, &back);
    json_decref(j);
    rmq_broker_data_free(&back);
    assert_int_equal(rmq_broker_data_from_json(NULL, &back, errbuf, sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    rmq_broker_data_free(&back);

    rmq_broker_data_free(&copy);
    rmq_broker_data_free(&bd);
    rmq_broker_data_free(&bd);
    rmq_broker_data_free(NULL);

    /* Ids are written in decimal, including negative and large ones. */
    memset(&bd, 0, sizeof(bd));
    rmq_broker_data_set_addr(&bd, -1, "x");
    rmq_broker_data_set_addr(&bd, INT64_MAX, "y");
    rmq_buf_t out = RMQ_BUF_INIT;
    j = rmq_broker_data_to_json(&bd);
    rmq_json_dump_append(j, &out);
    json_decref(j);
    assert_string_equal(buf_str(&out),
                        "{\"brokerAddrs\":{\"-1\":\"x\",\"9223372036854775807\":\"y\"}}");
    rmq_buf_free(&out);
    rmq_broker_data_free(&bd);
}

/* ---- ClusterInfo ---- */

static void test_cluster_info(void **state)
{
    (void)state;
    rmq_cluster_info_t ci, back;
    assert_int_equal(rmq_cluster_info_decode(CLUSTER_INFO, strlen(CLUSTER_INFO), &ci, errbuf,
                                             sizeof(errbuf)),
                     0);
    assert_int_equal(ci.nbrokers, 1);
    assert_string_equal(ci.brokers[0].broker_name, "broker-a");
    assert_string_equal(ci.brokers[0].cluster, "DefaultCluster");
    assert_string_equal(rmq_broker_data_get_addr(&ci.brokers[0], 0), "192.168.1.10:10911");
    assert_int_equal(ci.nclusters, 1);
    assert_string_equal(ci.clusters[0].cluster, "DefaultCluster");
    assert_int_equal(ci.clusters[0].nbroker_names, 1);
    assert_string_equal(ci.clusters[0].broker_names[0], "broker-a");

    /* Standard-form encoding of the same value. */
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_cluster_info_encode(&ci, &out);
    assert_string_equal(
        buf_str(&out),
        "{\"brokerAddrTable\":{\"broker-a\":{\"brokerAddrs\":{\"0\":\"192.168.1.10:10911\"},"
        "\"brokerName\":\"broker-a\",\"cluster\":\"DefaultCluster\"}},\"clusterAddrTable\":{"
        "\"DefaultCluster\":[\"broker-a\"]}}");
    rmq_buf_free(&out);
    rmq_cluster_info_free(&ci);

    /* Round trip of a bigger one. */
    memset(&ci, 0, sizeof(ci));
    ci.nbrokers = 3;
    ci.brokers = rmq_calloc(3, sizeof(*ci.brokers));
    const char *names[] = {"a", "b", "c"};
    for (size_t i = 0; i < 3; i++) {
        ci.brokers[i].broker_name = rmq_strdup(names[i]);
        ci.brokers[i].cluster = rmq_strdup(i < 2 ? "C1" : "C2");
        rmq_broker_data_set_addr(&ci.brokers[i], 0, "m:1");
        rmq_broker_data_set_addr(&ci.brokers[i], (int64_t)i + 1, "s:1");
    }
    ci.nclusters = 2;
    ci.clusters = rmq_calloc(2, sizeof(*ci.clusters));
    ci.clusters[0].cluster = rmq_strdup("C1");
    ci.clusters[0].nbroker_names = 2;
    ci.clusters[0].broker_names = rmq_calloc(2, sizeof(char *));
    ci.clusters[0].broker_names[0] = rmq_strdup("a");
    ci.clusters[0].broker_names[1] = rmq_strdup("b");
    ci.clusters[1].cluster = rmq_strdup("C2");
    ci.clusters[1].nbroker_names = 1;
    ci.clusters[1].broker_names = rmq_calloc(1, sizeof(char *));
    ci.clusters[1].broker_names[0] = rmq_strdup("c");
    rmq_cluster_info_encode(&ci, &out);
    assert_int_equal(rmq_cluster_info_decode(out.data, out.len, &back, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(back.nbrokers, 3);
    for (size_t i = 0; i < 3; i++)
        assert_broker_data_equal(&ci.brokers[i], &back.brokers[i]); /* sorted names: same order */
    assert_int_equal(back.nclusters, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(back.clusters[i].cluster, ci.clusters[i].cluster);
        assert_int_equal(back.clusters[i].nbroker_names, ci.clusters[i].nbroker_names);
        for (size_t k = 0; k < ci.clusters[i].nbroker_names; k++)
            assert_string_equal(back.clusters[i].broker_names[k], ci.clusters[i].broker_names[k]);
    }
    rmq_cluster_info_free(&back);
    rmq_cluster_info_free(&ci);
    rmq_buf_free(&out);

    /* Broker name from the key when the value lacks it; empty tables. */
    const char *s = "{\"brokerAddrTable\":{\"k\":{\"brokerAddrs\":{}}},\"clusterAddrTable\":{}}";
    assert_int_equal(rmq_cluster_info_decode(s, strlen(s), &back, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(back.brokers[0].broker_name, "k");
    assert_int_equal(back.nclusters, 0);
    rmq_cluster_info_free(&back);

    static const char *const bad[] = {
        "{\"brokerAddrTable\":[]}",
        "{\"brokerAddrTable\":{\"a\":1}}",
        "{\"brokerAddrTable\":{\"a\":{\"brokerAddrs\":{x:\"y\"}}}}",
        "{\"clusterAddrTable\":{\"c\":\"a\"}}",
        "{\"clusterAddrTable\":{\"c\":[\"a\",[]]}}",
        "{\"clusterAddrTable\":{\"c\":[\"a\"]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errbuf[0] = '\0';
        assert_int_equal(rmq_cluster_info_decode(bad[i], strlen(bad[i]), &back, errbuf,
                                                 sizeof(errbuf)),
                         ROCKETMQ_ERR__PROTOCOL);
        assert_true(errbuf[0] != '\0');
        assert_null(back.brokers);
        assert_null(back.clusters);
        rmq_cluster_info_free(&back);
    }
}

/* ---- TopicList / KVTable ---- */

static void test_topic_list(void **state)
{
    (void)state;
    rmq_topic_list_t tl, back;
    memset(&tl, 0, sizeof(tl));
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_topic_list_encode(&tl, &out);
    assert_string_equal(buf_str(&out), "{\"topicList\":[]}");
    out.len = 0;

    rmq_topic_list_add(&tl, "B");
    rmq_topic_list_add(&tl, "A");
    rmq_topic_list_encode(&tl, &out);
    assert_string_equal(buf_str(&out), "{\"topicList\":[\"B\",\"A\"]}");
    assert_int_equal(rmq_topic_list_decode(out.data, out.len, &back, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(back.ntopics, 2);
    assert_string_equal(back.topics[0], "B");
    assert_string_equal(back.topics[1], "A");
    assert_null(back.broker_addr);
    rmq_topic_list_free(&back);

    out.len = 0;
    tl.broker_addr = rmq_strdup("10.0.0.1:10911");
    rmq_topic_list_encode(&tl, &out);
    assert_string_equal(buf_str(&out),
                        "{\"brokerAddr\":\"10.0.0.1:10911\",\"topicList\":[\"B\",\"A\"]}");
    assert_int_equal(rmq_topic_list_decode(out.data, out.len, &back, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(back.broker_addr, "10.0.0.1:10911");
    assert_int_equal(back.ntopics, 2);
    rmq_topic_list_free(&back);
    rmq_topic_list_free(&tl);
    rmq_buf_free(&out);

    static const char *const bad[] = {"{\"topicList\":{}}", "{\"topicList\":[1.5]}",
                                      "{\"brokerAddr\":[]}", "{\"topicList\":[\"a\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(rmq_topic_list_decode(bad[i], strlen(bad[i]), &back, errbuf,
                                               sizeof(errbuf)),
                         ROCKETMQ_ERR__PROTOCOL);
        assert_null(back.topics);
        rmq_topic_list_free(&back);
    }
}

static void test_kv_table(void **state)
{
    (void)state;
    rmq_map_t *m = rmq_map_new();
    rmq_smap_put(m, "zeta", rmq_strdup("1"));
    rmq_smap_put(m, "alpha", rmq_strdup("broker-a:4;broker-b:4"));
    rmq_smap_put(m, "q\"uote", rmq_strdup("new\nline"));
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_kv_table_encode(m, &out);
    assert_string_equal(buf_str(&out), "{\"table\":{\"alpha\":\"broker-a:4;broker-b:4\","
                                        "\"q\\\"uote\":\"new\\nline\",\"zeta\":\"1\"}}");
    rmq_map_t *back;
    assert_int_equal(rmq_kv_table_decode(out.data, out.len, &back, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(rmq_map_size(back), 3);
    assert_string_equal(rmq_smap_get(back, "alpha"), "broker-a:4;broker-b:4");
    assert_string_equal(rmq_smap_get(back, "q\"uote"), "new\nline");
    rmq_map_free(back, free);
    rmq_map_free(m, free);

    /* Invalid UTF-8 from C code is replaced, not dropped. */
    m = rmq_map_new();
    rmq_smap_put(m, "k\xff", rmq_strdup("v\xc3"));
    out.len = 0;
    rmq_kv_table_encode(m, &out);
    assert_string_equal(buf_str(&out), "{\"table\":{\"k\xef\xbf\xbd\":\"v\xef\xbf\xbd\"}}");
    rmq_map_free(m, free);

    out.len = 0;
    rmq_kv_table_encode(NULL, &out);
    assert_string_equal(buf_str(&out), "{\"table\":{}}");
    rmq_buf_free(&out);

    const char *s = "{\"table\":{\"n\":5,\"x\":null}}";
    assert_int_equal(rmq_kv_table_decode(s, strlen(s), &back, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(rmq_smap_get(back, "n"), "5");
    assert_null(rmq_smap_get(back, "x"));
    rmq_map_free(back, free);
    s = "{}";
    assert_int_equal(rmq_kv_table_decode(s, strlen(s), &back, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(rmq_map_size(back), 0);
    rmq_map_free(back, free);

    static const char *const bad[] = {"{\"table\":[]}", "{\"table\":{\"a\":\"b\",\"c\":{}}}",
                                      "{\"table\":{\"a\":\"b\"}", "[]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        back = (rmq_map_t *)1;
        assert_int_equal(rmq_kv_table_decode(bad[i], strlen(bad[i]), &back, errbuf,
                                             sizeof(errbuf)),
                         ROCKETMQ_ERR__PROTOCOL);
        assert_null(back);
    }
}

/* ---- hostile input against every decoder ---- */

static uint32_t rng_state = 99;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void decode_all(const void *p, size_t n)
{
    rmq_data_version_t dv;
    rmq_data_version_decode(p, n, &dv, errbuf, sizeof(errbuf));
    rmq_register_broker_body_t rb;
    rmq_register_broker_body_decode(p, n, &rb, errbuf, sizeof(errbuf));
    rmq_register_broker_body_free(&rb);
    rmq_topic_config_wrapper_decode(p, n, &rb, errbuf, sizeof(errbuf));
    rmq_register_broker_body_free(&rb);
    rmq_register_broker_body_decode_compressed(p, n, &rb, errbuf, sizeof(errbuf));
    rmq_register_broker_body_free(&rb);
    rmq_topic_route_t r;
    rmq_topic_route_decode(p, n, &r, errbuf, sizeof(errbuf));
    rmq_topic_route_free(&r);
    rmq_cluster_info_t ci;
    rmq_cluster_info_decode(p, n, &ci, errbuf, sizeof(errbuf));
    rmq_cluster_info_free(&ci);
    rmq_topic_list_t tl;
    rmq_topic_list_decode(p, n, &tl, errbuf, sizeof(errbuf));
    rmq_topic_list_free(&tl);
    rmq_map_t *m;
    if (rmq_kv_table_decode(p, n, &m, errbuf, sizeof(errbuf)) == 0)
        rmq_map_free(m, free);
}

static void test_mutation_fuzz(void **state)
{
    (void)state;
    const char *seeds[] = {ROUTE_LEGACY, CLUSTER_INFO, REGISTER_BODY,
                           "{\"brokerAddr\":\"a\",\"topicList\":[\"x\"],\"table\":{\"k\":\"v\"}}"};
    static const char alphabet[] = "{}[]:,\"\\ 0-1a9.e\x00\xff";
    char buf[1024];
    for (int iter = 0; iter < 4000; iter++) {
        const char *seed = seeds[iter % 4];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        int muts = 1 + (int)(rng() % 3);
        for (int k = 0; k < muts; k++) {
            size_t pos = rng() % n;
            if (rng() % 4 == 0)
                n = pos + 1;
            else
                buf[pos] = alphabet[rng() % (sizeof(alphabet) - 1)];
        }
        decode_all(buf, n);
    }
    /* Random bytes for the compressed decoder behind a valid zlib header. */
    uint8_t raw[256];
    for (int iter = 0; iter < 2000; iter++) {
        size_t n = rng() % sizeof(raw);
        for (size_t i = 0; i < n; i++)
            raw[i] = (uint8_t)rng();
        rmq_buf_t z = RMQ_BUF_INIT;
        zlib_compress(raw, n, &z);
        rmq_register_broker_body_t rb;
        rmq_register_broker_body_decode_compressed(z.data, z.len, &rb, NULL, 0);
        rmq_register_broker_body_free(&rb);
        rmq_buf_free(&z);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_version),
        cmocka_unit_test(test_topic_config_init),
        cmocka_unit_test(test_register_body_golden),
        cmocka_unit_test(test_register_body_roundtrip),
        cmocka_unit_test(test_topic_config_wrapper),
        cmocka_unit_test(test_register_body_bad),
        cmocka_unit_test(test_compressed_roundtrip),
        cmocka_unit_test(test_compressed_5x),
        cmocka_unit_test(test_compressed_bad),
        cmocka_unit_test(test_compressed_bomb),
        cmocka_unit_test(test_route_golden),
        cmocka_unit_test(test_route_roundtrip),
        cmocka_unit_test(test_route_tolerant),
        cmocka_unit_test(test_route_bad),
        cmocka_unit_test(test_broker_data_ops),
        cmocka_unit_test(test_cluster_info),
        cmocka_unit_test(test_topic_list),
        cmocka_unit_test(test_kv_table),
        cmocka_unit_test(test_mutation_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
