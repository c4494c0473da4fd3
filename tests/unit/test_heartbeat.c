/* Client-management and admin bodies and headers (protocol/heartbeat.c):
 * HeartbeatData in the Java and C++ shapes of protocol.md 5.5, the exact
 * JSON of the other bodies (object keys for the stats tables), and the
 * header descriptors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "protocol/heartbeat.h"
#include "remoting/command.h"
#include "rocketmq/error.h"

/* protocol.md 5.5: a Java 4.9.8 push consumer. */
static const char HB_JAVA[] =
    "{\"clientID\":\"192.168.1.20@12345#2317264012345\",\"consumerDataSet\":[{\"consumeFromWhere\":"
    "\"CONSUME_FROM_LAST_OFFSET\",\"consumeType\":\"CONSUME_PASSIVELY\",\"groupName\":\"cg\","
    "\"messageModel\":\"CLUSTERING\",\"subscriptionDataSet\":[{\"classFilterMode\":false,"
    "\"codeSet\":[2598919],\"expressionType\":\"TAG\",\"subString\":\"TagA\",\"subVersion\":"
    "1700000000000,\"tagsSet\":[\"TagA\"],\"topic\":\"TopicTest\"},{\"classFilterMode\":false,"
    "\"codeSet\":[],\"expressionType\":\"TAG\",\"subString\":\"*\",\"subVersion\":1700000000001,"
    "\"tagsSet\":[],\"topic\":\"%RETRY%cg\"}],\"unitMode\":false}],\"producerDataSet\":[{"
    "\"groupName\":\"CLIENT_INNER_PRODUCER\"}]}";

/* The C++ client (jsoncpp StyledWriter): enum ordinals, subVersion as a
 * string, no classFilterMode / expressionType / unitMode, empty sets
 * omitted. */
static const char HB_CPP[] =
    "{\n"
    "   \"clientID\" : \"10.0.0.7@4242\",\n"
    "   \"consumerDataSet\" : [\n"
    "      {\n"
    "         \"consumeFromWhere\" : 4,\n"
    "         \"consumeType\" : 1,\n"
    "         \"groupName\" : \"GID_cpp\",\n"
    "         \"messageModel\" : 0,\n"
    "         \"subscriptionDataSet\" : [\n"
    "            {\n"
    "               \"codeSet\" : [ 2598919, 2598920 ],\n"
    "               \"subString\" : \"TagA || TagB\",\n"
    "               \"subVersion\" : \"1708593987000\",\n"
    "               \"tagsSet\" : [ \"TagA\", \"TagB\" ],\n"
    "               \"topic\" : \"T\"\n"
    "            },\n"
    "            {\n"
    "               \"subString\" : \"*\",\n"
    "               \"subVersion\" : \"1708593987001\",\n"
    "               \"topic\" : \"%RETRY%GID_cpp\"\n"
    "            }\n"
    "         ]\n"
    "      }\n"
    "   ],\n"
    "   \"producerDataSet\" : [ { \"groupName\" : \"P\" } ]\n"
    "}\n";

static char errbuf[256];

static char *encoded(rmq_buf_t *b)
{
    return rmq_buf_cstr(b);
}

/* ---- HeartbeatData ---- */

static void heartbeat_java(void **state)
{
    (void)state;
    rmq_heartbeat_data_t hb;
    assert_int_equal(rmq_heartbeat_data_decode(HB_JAVA, strlen(HB_JAVA), &hb, errbuf,
                                               sizeof(errbuf)),
                     0);
    assert_string_equal(hb.client_id, "192.168.1.20@12345#2317264012345");
    assert_int_equal(hb.nconsumers, 1);
    const rmq_consumer_data_t *cd = &hb.consumers[0];
    assert_string_equal(cd->group_name, "cg");
    assert_int_equal(cd->consume_type, RMQ_CONSUME_PASSIVELY);
    assert_int_equal(cd->message_model, RMQ_MODEL_CLUSTERING);
    assert_int_equal(cd->consume_from_where, RMQ_CFW_LAST_OFFSET);
    assert_false(cd->unit_mode);
    assert_int_equal(cd->nsubs, 2);
    assert_string_equal(cd->subs[0].topic, "TopicTest");
    assert_string_equal(cd->subs[0].sub_string, "TagA");
    assert_int_equal(cd->subs[0].sub_version, 1700000000000LL);
    assert_int_equal(cd->subs[0].ntags, 1);
    assert_string_equal(cd->subs[0].tags[0], "TagA");
    assert_int_equal(cd->subs[0].ncodes, 1);
    assert_int_equal(cd->subs[0].codes[0], 2598919);
    assert_string_equal(cd->subs[0].expression_type, "TAG");
    assert_string_equal(cd->subs[1].topic, "%RETRY%cg");
    assert_int_equal(cd->subs[1].ntags, 0);
    assert_int_equal(cd->subs[1].ncodes, 0);
    assert_int_equal(hb.nproducers, 1);
    assert_string_equal(hb.producer_groups[0], "CLIENT_INNER_PRODUCER");

    /* Written back byte for byte as Java wrote it. */
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_heartbeat_data_encode(&hb, &out);
    assert_string_equal(encoded(&out), HB_JAVA);
    rmq_buf_free(&out);
    rmq_heartbeat_data_free(&hb);
}

static void heartbeat_cpp(void **state)
{
    (void)state;
    rmq_heartbeat_data_t hb;
    assert_int_equal(rmq_heartbeat_data_decode(HB_CPP, strlen(HB_CPP), &hb, errbuf,
                                               sizeof(errbuf)),
                     0);
    assert_string_equal(hb.client_id, "10.0.0.7@4242");
    assert_int_equal(hb.nconsumers, 1);
    const rmq_consumer_data_t *cd = &hb.consumers[0];
    assert_string_equal(cd->group_name, "GID_cpp");
    assert_int_equal(cd->consume_type, RMQ_CONSUME_PASSIVELY);
    assert_int_equal(cd->message_model, RMQ_MODEL_BROADCASTING);
    assert_int_equal(cd->consume_from_where, RMQ_CFW_FIRST_OFFSET);
    assert_false(cd->unit_mode);
    assert_int_equal(cd->nsubs, 2);
    assert_int_equal(cd->subs[0].sub_version, 1708593987000LL);
    assert_string_equal(cd->subs[0].expression_type, "TAG"); /* the default */
    assert_false(cd->subs[0].class_filter_mode);
    assert_int_equal(cd->subs[0].ncodes, 2);
    assert_int_equal(cd->subs[0].codes[1], 2598920);
    assert_int_equal(cd->subs[0].ntags, 2);
    assert_string_equal(cd->subs[0].tags[1], "TagB");
    assert_int_equal(cd->subs[1].ntags, 0);
    assert_int_equal(cd->subs[1].ncodes, 0);
    assert_int_equal(cd->subs[1].sub_version, 1708593987001LL);
    assert_int_equal(hb.nproducers, 1);
    assert_string_equal(hb.producer_groups[0], "P");

    /* Re-encoded in Java's shape: names, every property present. */
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_heartbeat_data_encode(&hb, &out);
    assert_string_equal(
        encoded(&out),
        "{\"clientID\":\"10.0.0.7@4242\",\"consumerDataSet\":[{\"consumeFromWhere\":"
        "\"CONSUME_FROM_FIRST_OFFSET\",\"consumeType\":\"CONSUME_PASSIVELY\",\"groupName\":"
        "\"GID_cpp\",\"messageModel\":\"BROADCASTING\",\"subscriptionDataSet\":[{"
        "\"classFilterMode\":false,\"codeSet\":[2598919,2598920],\"expressionType\":\"TAG\","
        "\"subString\":\"TagA || TagB\",\"subVersion\":1708593987000,\"tagsSet\":[\"TagA\","
        "\"TagB\"],\"topic\":\"T\"},{\"classFilterMode\":false,\"codeSet\":[],\"expressionType\":"
        "\"TAG\",\"subString\":\"*\",\"subVersion\":1708593987001,\"tagsSet\":[],\"topic\":"
        "\"%RETRY%GID_cpp\"}],\"unitMode\":false}],\"producerDataSet\":[{\"groupName\":\"P\"}]}");

    /* ... and that decodes to the same data. */
    rmq_heartbeat_data_t again;
    assert_int_equal(rmq_heartbeat_data_decode(out.data, out.len, &again, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(again.consumers[0].consume_from_where, RMQ_CFW_FIRST_OFFSET);
    assert_int_equal(again.consumers[0].subs[0].sub_version, 1708593987000LL);
    rmq_heartbeat_data_free(&again);
    rmq_buf_free(&out);
    rmq_heartbeat_data_free(&hb);
}

/* broker.md 10.1: property order differs from what Java writes. */
static void heartbeat_reference_example(void **state)
{
    (void)state;
    static const char text[] =
        "{\"clientID\":\"192.168.1.10@12345\",\n"
        " \"consumerDataSet\":[{\"groupName\":\"G\",\"consumeType\":\"CONSUME_PASSIVELY\","
        "\"messageModel\":\"CLUSTERING\",\n"
        "    \"consumeFromWhere\":\"CONSUME_FROM_LAST_OFFSET\",\"unitMode\":false,\n"
        "    \"subscriptionDataSet\":[{\"classFilterMode\":false,\"topic\":\"T\",\"subString\":"
        "\"TagA || TagB\",\n"
        "        \"tagsSet\":[\"TagA\",\"TagB\"],\"codeSet\":[2598919,2598920],\"subVersion\":"
        "1708593987000,\n"
        "        \"expressionType\":\"TAG\"}]}],\n"
        " \"producerDataSet\":[{\"groupName\":\"P\"}]}";
    rmq_heartbeat_data_t hb;
    assert_int_equal(rmq_heartbeat_data_decode(text, strlen(text), &hb, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(hb.nconsumers, 1);
    assert_string_equal(hb.consumers[0].subs[0].sub_string, "TagA || TagB");
    assert_int_equal(hb.consumers[0].consume_type, RMQ_CONSUME_PASSIVELY);
    rmq_heartbeat_data_free(&hb);
}

static void heartbeat_tolerance(void **state)
{
    (void)state;
    rmq_heartbeat_data_t hb;
    /* Producer only, consumerDataSet absent (C++), numbers as strings,
     * unknown enum names kept unset, null entries and group-less entries dropped. */
    static const char text[] =
        "{\"clientID\":\"c\",\"producerDataSet\":[null,{\"groupName\":\"P1\"},{}]}";
    assert_int_equal(rmq_heartbeat_data_decode(text, strlen(text), &hb, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(hb.nconsumers, 0);
    assert_int_equal(hb.nproducers, 1);
    assert_string_equal(hb.producer_groups[0], "P1");
    rmq_heartbeat_data_free(&hb);

    static const char text2[] =
        "{\"clientID\":\"c\",\"consumerDataSet\":[null,{\"groupName\":\"G\",\"consumeType\":"
        "\"CONSUME_SOMEHOW\",\"messageModel\":\"1\",\"consumeFromWhere\":99,"
        "\"subscriptionDataSet\":[null,{\"topic\":\"T\",\"codeSet\":[\"5\",null],"
        "\"tagsSet\":null,\"expressionType\":\"SQL92\",\"subString\":\"a > 1\"}]},"
        "{\"consumeType\":0}],\"producerDataSet\":null}";
    assert_int_equal(rmq_heartbeat_data_decode(text2, strlen(text2), &hb, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(hb.nconsumers, 1);
    assert_int_equal(hb.consumers[0].consume_type, RMQ_ENUM_UNSET);
    assert_int_equal(hb.consumers[0].message_model, RMQ_MODEL_CLUSTERING);
    assert_int_equal(hb.consumers[0].consume_from_where, RMQ_ENUM_UNSET);
    assert_int_equal(hb.consumers[0].nsubs, 1);
    assert_int_equal(hb.consumers[0].subs[0].ncodes, 1);
    assert_int_equal(hb.consumers[0].subs[0].codes[0], 5);
    assert_string_equal(hb.consumers[0].subs[0].expression_type, "SQL92");
    /* Unset enums are not written. */
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_heartbeat_data_encode(&hb, &out);
    assert_null(strstr(encoded(&out), "consumeType"));
    assert_null(strstr(encoded(&out), "consumeFromWhere"));
    assert_non_null(strstr(encoded(&out), "\"messageModel\":\"CLUSTERING\""));
    rmq_buf_free(&out);
    rmq_heartbeat_data_free(&hb);
}

static void heartbeat_bad_input(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "[]",
        "{\"clientID\":\"c\",\"consumerDataSet\":{}}",
        "{\"clientID\":\"c\",\"consumerDataSet\":[{\"groupName\":\"G\",\"consumeType\":{}}]}",
        "{\"clientID\":\"c\",\"consumerDataSet\":[{\"groupName\":\"G\",\"subscriptionDataSet\":"
        "[{\"topic\":\"T\",\"codeSet\":[4294967296]}]}]}",
        "{\"clientID\":\"c\",\"consumerDataSet\":[{\"groupName\":\"G\",\"subscriptionDataSet\":"
        "[{\"topic\":\"T\",\"subVersion\":\"soon\"}]}]}",
        "{\"clientID\":\"c\",\"consumerDataSet\":[{\"groupName\":\"G\",\"subscriptionDataSet\":"
        "[{\"topic\":\"T\",\"tagsSet\":[[]]}]}]}",
        "{\"clientID\":\"c\",\"producerDataSet\":[\"P\"]}",
        "{\"clientID\":\"c\",\"consumerDataSet\":[{\"groupName\":\"G\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rmq_heartbeat_data_t hb;
        errbuf[0] = '\0';
        assert_int_equal(rmq_heartbeat_data_decode(bad[i], strlen(bad[i]), &hb, errbuf,
                                                   sizeof(errbuf)),
                         ROCKETMQ_ERR__PROTOCOL);
        assert_true(errbuf[0] != '\0');
        assert_null(hb.client_id);
        assert_null(hb.consumers);
        assert_int_equal(hb.nconsumers, 0);
        assert_int_equal(hb.nproducers, 0);
    }
}

static void enum_names(void **state)
{
    (void)state;
    assert_string_equal(rmq_consume_type_name(RMQ_CONSUME_ACTIVELY), "CONSUME_ACTIVELY");
    assert_string_equal(rmq_consume_type_name(RMQ_CONSUME_POP), "CONSUME_POP");
    assert_null(rmq_consume_type_name(3));
    assert_null(rmq_consume_type_name(RMQ_ENUM_UNSET));
    assert_string_equal(rmq_message_model_name(RMQ_MODEL_BROADCASTING), "BROADCASTING");
    assert_string_equal(rmq_consume_from_where_name(RMQ_CFW_TIMESTAMP), "CONSUME_FROM_TIMESTAMP");
    assert_string_equal(
        rmq_consume_from_where_name(RMQ_CFW_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST),
        "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST");
}

static void java_double(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0.0, "0.0"},
        {1.0, "1.0"},
        {0.35, "0.35"},
        {12.5, "12.5"},
        {-2.5, "-2.5"},
        {0.001, "0.001"},
        {1234567.0, "1234567.0"},
        {100.0, "100.0"},
        {120000.0, "120000.0"},
        {0.0125, "0.0125"},
        {1e7, "1.0E7"},
        {1.5e10, "1.5E10"},
        {1e-4, "1.0E-4"},
        {0.1 + 0.2, "0.30000000000000004"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rmq_buf_t b = RMQ_BUF_INIT;
        rmq_buf_append_java_double(&b, cases[i].v);
        assert_string_equal(encoded(&b), cases[i].text);
        rmq_buf_free(&b);
    }
}

/* ---- small bodies ---- */

static void consumer_id_list(void **state)
{
    (void)state;
    char *ids[] = {"10.0.0.1@1", "10.0.0.2@2"};
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_consumer_id_list_encode(ids, 2, &out);
    assert_string_equal(encoded(&out), "{\"consumerIdList\":[\"10.0.0.1@1\",\"10.0.0.2@2\"]}");
    char **back;
    size_t n;
    assert_int_equal(rmq_consumer_id_list_decode(out.data, out.len, &back, &n, errbuf,
                                                 sizeof(errbuf)),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(back[1], "10.0.0.2@2");
    for (size_t i = 0; i < n; i++)
        free(back[i]);
    free(back);
    rmq_buf_free(&out);

    out.len = 0;
    rmq_consumer_id_list_encode(NULL, 0, &out);
    assert_string_equal(encoded(&out), "{\"consumerIdList\":[]}");
    rmq_buf_free(&out);
}

static rmq_subscription_data_t make_sub(const char *topic, const char *expr, int64_t ver)
{
    rmq_subscription_data_t sd;
    memset(&sd, 0, sizeof(sd));
    sd.topic = rmq_strdup(topic);
    sd.sub_string = rmq_strdup(expr);
    sd.sub_version = ver;
    sd.expression_type = rmq_strdup("TAG");
    if (strcmp(expr, "*") != 0) {
        sd.tags = rmq_calloc(1, sizeof(char *));
        sd.tags[0] = rmq_strdup(expr);
        sd.ntags = 1;
        sd.codes = rmq_calloc(1, sizeof(int32_t));
        sd.codes[0] = 2598919;
        sd.ncodes = 1;
    }
    return sd;
}

static void consumer_connection(void **state)
{
    (void)state;
    rmq_consumer_connection_t cc;
    memset(&cc, 0, sizeof(cc));
    cc.conns = rmq_calloc(1, sizeof(*cc.conns));
    cc.nconns = 1;
    cc.conns[0].client_id = rmq_strdup("10.0.0.1@1");
    cc.conns[0].client_addr = rmq_strdup("10.0.0.1:53000");
    cc.conns[0].language = RMQ_LANG_JAVA;
    cc.conns[0].version = 409;
    cc.subs = rmq_calloc(2, sizeof(*cc.subs));
    cc.subs[0] = make_sub("TopicTest", "TagA", 1700000000000LL);
    cc.subs[1] = make_sub("%RETRY%cg", "*", 1700000000001LL);
    cc.nsubs = 2;
    cc.consume_type = RMQ_CONSUME_PASSIVELY;
    cc.message_model = RMQ_MODEL_CLUSTERING;
    cc.consume_from_where = RMQ_CFW_LAST_OFFSET;
    static const char expect[] =
        "{\"connectionSet\":[{\"clientAddr\":\"10.0.0.1:53000\",\"clientId\":\"10.0.0.1@1\","
        "\"language\":\"JAVA\",\"version\":409}],\"consumeFromWhere\":\"CONSUME_FROM_LAST_OFFSET\","
        "\"consumeType\":\"CONSUME_PASSIVELY\",\"messageModel\":\"CLUSTERING\","
        "\"subscriptionTable\":{\"%RETRY%cg\":{\"classFilterMode\":false,\"codeSet\":[],"
        "\"expressionType\":\"TAG\",\"subString\":\"*\",\"subVersion\":1700000000001,"
        "\"tagsSet\":[],\"topic\":\"%RETRY%cg\"},\"TopicTest\":{\"classFilterMode\":false,"
        "\"codeSet\":[2598919],\"expressionType\":\"TAG\",\"subString\":\"TagA\",\"subVersion\":"
        "1700000000000,\"tagsSet\":[\"TagA\"],\"topic\":\"TopicTest\"}}}";
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_consumer_connection_encode(&cc, &out);
    assert_string_equal(encoded(&out), expect);

    rmq_consumer_connection_t back;
    assert_int_equal(rmq_consumer_connection_decode(out.data, out.len, &back, errbuf,
                                                    sizeof(errbuf)),
                     0);
    assert_int_equal(back.nconns, 1);
    assert_string_equal(back.conns[0].client_addr, "10.0.0.1:53000");
    assert_int_equal(back.conns[0].language, RMQ_LANG_JAVA);
    assert_int_equal(back.conns[0].version, 409);
    assert_int_equal(back.nsubs, 2);
    assert_int_equal(back.consume_type, RMQ_CONSUME_PASSIVELY);
    assert_int_equal(back.message_model, RMQ_MODEL_CLUSTERING);
    rmq_buf_t again = RMQ_BUF_INIT;
    rmq_consumer_connection_encode(&back, &again);
    assert_string_equal(encoded(&again), expect);
    rmq_buf_free(&again);
    rmq_consumer_connection_free(&back);
    rmq_consumer_connection_free(&cc);
    rmq_buf_free(&out);

    /* A C++ client's Connection (language as an ordinal). */
    static const char cpp[] =
        "{\"connectionSet\":[{\"clientId\":\"x\",\"language\":1,\"version\":\"333\"}],"
        "\"subscriptionTable\":{\"T\":{\"subString\":\"*\"}}}";
    assert_int_equal(rmq_consumer_connection_decode(cpp, strlen(cpp), &back, errbuf,
                                                    sizeof(errbuf)),
                     0);
    assert_int_equal(back.conns[0].language, RMQ_LANG_CPP);
    assert_int_equal(back.conns[0].version, 333);
    assert_string_equal(back.subs[0].topic, "T"); /* from the key */
    assert_int_equal(back.consume_type, RMQ_ENUM_UNSET);
    rmq_consumer_connection_free(&back);
}

static void producer_connection(void **state)
{
    (void)state;
    rmq_producer_connection_t pc;
    memset(&pc, 0, sizeof(pc));
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_producer_connection_encode(&pc, &out);
    assert_string_equal(encoded(&out), "{\"connectionSet\":[]}");
    out.len = 0;
    pc.conns = rmq_calloc(1, sizeof(*pc.conns));
    pc.nconns = 1;
    pc.conns[0].client_id = rmq_strdup("p@1");
    pc.conns[0].client_addr = rmq_strdup("127.0.0.1:1");
    pc.conns[0].language = RMQ_LANG_CPP;
    pc.conns[0].version = 333;
    rmq_producer_connection_encode(&pc, &out);
    assert_string_equal(encoded(&out),
                        "{\"connectionSet\":[{\"clientAddr\":\"127.0.0.1:1\",\"clientId\":\"p@1\","
                        "\"language\":\"CPP\",\"version\":333}]}");
    rmq_producer_connection_t back;
    assert_int_equal(rmq_producer_connection_decode(out.data, out.len, &back, errbuf,
                                                    sizeof(errbuf)),
                     0);
    assert_int_equal(back.nconns, 1);
    assert_string_equal(back.conns[0].client_id, "p@1");
    assert_int_equal(back.conns[0].language, RMQ_LANG_CPP);
    rmq_producer_connection_free(&back);
    rmq_producer_connection_free(&pc);
    rmq_buf_free(&out);
}

static void lock_bodies(void **state)
{
    (void)state;
    /* protocol.md 5.6 / broker.md 10.7, with a duplicate and out of order;
     * 5.x adds onlyThisBroker, ignored. */
    static const char req[] =
        "{\"consumerGroup\":\"G\",\"clientId\":\"C\",\"onlyThisBroker\":false,\"mqSet\":["
        "{\"topic\":\"T\",\"brokerName\":\"b\",\"queueId\":1},"
        "{\"topic\":\"T\",\"brokerName\":\"b\",\"queueId\":0},"
        "{\"brokerName\":\"b\",\"queueId\":1,\"topic\":\"T\"}]}";
    rmq_lock_batch_req_t r;
    assert_int_equal(rmq_lock_batch_req_decode(req, strlen(req), &r, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(r.consumer_group, "G");
    assert_string_equal(r.client_id, "C");
    assert_int_equal(r.nmqs, 2);
    assert_int_equal(r.mqs[0].queue_id, 0);
    assert_int_equal(r.mqs[1].queue_id, 1);
    assert_string_equal(r.mqs[1].broker_name, "b");

    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_lock_batch_req_encode(&r, &out);
    assert_string_equal(encoded(&out),
                        "{\"clientId\":\"C\",\"consumerGroup\":\"G\",\"mqSet\":[{\"brokerName\":"
                        "\"b\",\"queueId\":0,\"topic\":\"T\"},{\"brokerName\":\"b\",\"queueId\":1,"
                        "\"topic\":\"T\"}]}");
    out.len = 0;
    rmq_lock_batch_resp_encode(r.mqs, 1, &out);
    assert_string_equal(encoded(&out), "{\"lockOKMQSet\":[{\"brokerName\":\"b\",\"queueId\":0,"
                                       "\"topic\":\"T\"}]}");
    rmq_message_queue_t *mqs;
    size_t n;
    assert_int_equal(rmq_lock_batch_resp_decode(out.data, out.len, &mqs, &n, errbuf,
                                                sizeof(errbuf)),
                     0);
    assert_int_equal(n, 1);
    assert_string_equal(mqs[0].topic, "T");
    rmq_message_queues_free(mqs, n);
    out.len = 0;
    rmq_lock_batch_resp_encode(NULL, 0, &out);
    assert_string_equal(encoded(&out), "{\"lockOKMQSet\":[]}");
    rmq_buf_free(&out);
    rmq_lock_batch_req_free(&r);

    static const char bad[] = "{\"consumerGroup\":\"G\",\"mqSet\":[{\"queueId\":\"x\"}]}";
    assert_int_equal(rmq_lock_batch_req_decode(bad, strlen(bad), &r, errbuf, sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_null(r.consumer_group);
    assert_int_equal(r.nmqs, 0);
}

/* ---- stats tables: object keys ---- */

static void set_mq(rmq_message_queue_t *mq, const char *topic, int32_t qid)
{
    mq->topic = rmq_strdup(topic);
    mq->broker_name = rmq_strdup("broker-a");
    mq->queue_id = qid;
}

static void topic_stats(void **state)
{
    (void)state;
    rmq_topic_stats_t ts;
    ts.n = 2;
    ts.entries = rmq_calloc(2, sizeof(*ts.entries));
    /* given out of order: written sorted by queue */
    set_mq(&ts.entries[0].mq, "T", 1);
    ts.entries[0].min_offset = 0;
    ts.entries[0].max_offset = 0;
    ts.entries[0].last_update_timestamp = 0;
    set_mq(&ts.entries[1].mq, "T", 0);
    ts.entries[1].min_offset = 3;
    ts.entries[1].max_offset = 10;
    ts.entries[1].last_update_timestamp = 1708593987000LL;
    static const char expect[] =
        "{\"offsetTable\":{{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"T\"}:{"
        "\"lastUpdateTimestamp\":1708593987000,\"maxOffset\":10,\"minOffset\":3},"
        "{\"brokerName\":\"broker-a\",\"queueId\":1,\"topic\":\"T\"}:{\"lastUpdateTimestamp\":0,"
        "\"maxOffset\":0,\"minOffset\":0}}}";
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_topic_stats_encode(&ts, &out);
    assert_string_equal(encoded(&out), expect);

    rmq_topic_stats_t back;
    assert_int_equal(rmq_topic_stats_decode(out.data, out.len, &back, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(back.n, 2);
    rmq_buf_t again = RMQ_BUF_INIT;
    rmq_topic_stats_encode(&back, &again);
    assert_string_equal(encoded(&again), expect);
    rmq_buf_free(&again);
    rmq_topic_stats_free(&back);
    rmq_topic_stats_free(&ts);

    out.len = 0;
    rmq_topic_stats_encode(&ts, &out);
    assert_string_equal(encoded(&out), "{\"offsetTable\":{}}");
    rmq_buf_free(&out);

    /* fastjson's key order inside the key object does not matter. */
    static const char other[] =
        "{\"offsetTable\":{{\"topic\":\"T\",\"queueId\":2,\"brokerName\":\"b\"}:"
        "{\"maxOffset\":5}}}";
    assert_int_equal(rmq_topic_stats_decode(other, strlen(other), &back, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(back.n, 1);
    assert_int_equal(back.entries[0].mq.queue_id, 2);
    assert_string_equal(back.entries[0].mq.broker_name, "b");
    assert_int_equal(back.entries[0].max_offset, 5);
    assert_int_equal(back.entries[0].min_offset, 0);
    rmq_topic_stats_free(&back);

    static const char badkey[] = "{\"offsetTable\":{\"T\":{\"maxOffset\":5}}}";
    assert_int_equal(rmq_topic_stats_decode(badkey, strlen(badkey), &back, errbuf, sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_int_equal(back.n, 0);
}

static void consume_stats(void **state)
{
    (void)state;
    rmq_consume_stats_t cs;
    cs.consume_tps = 0.0;
    cs.n = 3;
    cs.entries = rmq_calloc(3, sizeof(*cs.entries));
    set_mq(&cs.entries[0].mq, "U", 0);
    cs.entries[0].broker_offset = 7;
    set_mq(&cs.entries[1].mq, "T", 1);
    cs.entries[1].broker_offset = 4;
    cs.entries[1].consumer_offset = 4;
    cs.entries[1].last_timestamp = 1708593987000LL;
    set_mq(&cs.entries[2].mq, "T", 0);
    static const char expect[] =
        "{\"consumeTps\":0.0,\"offsetTable\":{"
        "{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"T\"}:{\"brokerOffset\":0,"
        "\"consumerOffset\":0,\"lastTimestamp\":0},"
        "{\"brokerName\":\"broker-a\",\"queueId\":1,\"topic\":\"T\"}:{\"brokerOffset\":4,"
        "\"consumerOffset\":4,\"lastTimestamp\":1708593987000},"
        "{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"U\"}:{\"brokerOffset\":7,"
        "\"consumerOffset\":0,\"lastTimestamp\":0}}}";
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_consume_stats_encode(&cs, &out);
    assert_string_equal(encoded(&out), expect);

    rmq_consume_stats_t back;
    assert_int_equal(rmq_consume_stats_decode(out.data, out.len, &back, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(back.n, 3);
    rmq_buf_t again = RMQ_BUF_INIT;
    rmq_consume_stats_encode(&back, &again);
    assert_string_equal(encoded(&again), expect);
    rmq_buf_free(&again);
    rmq_consume_stats_free(&back);

    cs.consume_tps = 12.5;
    out.len = 0;
    rmq_consume_stats_encode(&cs, &out);
    assert_int_equal(strncmp(encoded(&out), "{\"consumeTps\":12.5,", 19), 0);
    assert_int_equal(rmq_consume_stats_decode(out.data, out.len, &back, errbuf, sizeof(errbuf)),
                     0);
    assert_true(back.consume_tps == 12.5);
    rmq_consume_stats_free(&back);
    rmq_consume_stats_free(&cs);
    rmq_buf_free(&out);
}

/* ---- headers ---- */

static void header_unregister_client(void **state)
{
    (void)state;
    rmq_ext_t ext;
    rmq_ext_init(&ext);
    rmq_ext_set(&ext, "consumerGroup", "G");
    rmq_unregister_client_req_t h;
    assert_int_equal(rmq_header_decode(&rmq_unregister_client_req_desc, &ext, &h, errbuf,
                                       sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_string_equal(errbuf, "the custom field <clientID> is null");
    rmq_ext_set(&ext, "clientID", "c@1");
    assert_int_equal(rmq_header_decode(&rmq_unregister_client_req_desc, &ext, &h, errbuf,
                                       sizeof(errbuf)),
                     0);
    assert_string_equal(h.clientID, "c@1");
    assert_string_equal(h.consumerGroup, "G");
    assert_null(h.producerGroup);
    rmq_ext_free(&ext);
}

static void header_create_topic(void **state)
{
    (void)state;
    rmq_create_topic_req_t in = {
        .topic = "T",
        .defaultTopic = "TBW102",
        .readQueueNums = 8,
        .writeQueueNums = 8,
        .perm = 6,
        .topicFilterType = "SINGLE_TAG",
        .order = false,
    };
    rmq_ext_t ext;
    rmq_ext_init(&ext);
    rmq_header_encode(&rmq_create_topic_req_desc, &in, &ext);
    assert_string_equal(rmq_ext_get(&ext, "readQueueNums"), "8");
    assert_string_equal(rmq_ext_get(&ext, "order"), "false");
    assert_null(rmq_ext_get(&ext, "topicSysFlag"));
    rmq_create_topic_req_t out;
    assert_int_equal(rmq_header_decode(&rmq_create_topic_req_desc, &ext, &out, errbuf,
                                       sizeof(errbuf)),
                     0);
    assert_false(out.has_topicSysFlag);
    assert_int_equal(out.perm, 6);
    assert_string_equal(out.topicFilterType, "SINGLE_TAG");
    rmq_ext_set(&ext, "topicSysFlag", "2");
    assert_int_equal(rmq_header_decode(&rmq_create_topic_req_desc, &ext, &out, errbuf,
                                       sizeof(errbuf)),
                     0);
    assert_true(out.has_topicSysFlag);
    assert_int_equal(out.topicSysFlag, 2);
    rmq_ext_del(&ext, "order");
    assert_int_equal(rmq_header_decode(&rmq_create_topic_req_desc, &ext, &out, errbuf,
                                       sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_string_equal(errbuf, "the custom field <order> is null");
    rmq_ext_free(&ext);
}

static void header_query_message(void **state)
{
    (void)state;
    rmq_ext_t ext;
    rmq_ext_init(&ext);
    rmq_ext_set(&ext, "topic", "T");
    rmq_ext_set(&ext, "key", "k1");
    rmq_ext_set(&ext, "maxNum", "32");
    rmq_ext_set(&ext, "beginTimestamp", "0");
    rmq_ext_set(&ext, "endTimestamp", "9223372036854775807");
    rmq_ext_set(&ext, "_UNIQUE_KEY_QUERY", "true");
    rmq_query_message_req_t h;
    assert_int_equal(rmq_header_decode(&rmq_query_message_req_desc, &ext, &h, errbuf,
                                       sizeof(errbuf)),
                     0);
    assert_int_equal(h.maxNum, 32);
    assert_int_equal(h.endTimestamp, INT64_MAX);
    rmq_ext_set(&ext, "maxNum", "many");
    assert_int_equal(rmq_header_decode(&rmq_query_message_req_desc, &ext, &h, errbuf,
                                       sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    rmq_ext_free(&ext);

    rmq_query_message_resp_t rh = {1708593987000LL, 4096};
    rmq_ext_init(&ext);
    rmq_header_encode(&rmq_query_message_resp_desc, &rh, &ext);
    assert_string_equal(rmq_ext_get(&ext, "indexLastUpdateTimestamp"), "1708593987000");
    assert_string_equal(rmq_ext_get(&ext, "indexLastUpdatePhyoffset"), "4096");
    rmq_ext_free(&ext);
}

static void header_misc(void **state)
{
    (void)state;
    rmq_ext_t ext;
    rmq_ext_init(&ext);

    rmq_view_message_req_t v;
    assert_int_equal(rmq_header_decode(&rmq_view_message_req_desc, &ext, &v, errbuf,
                                       sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_string_equal(errbuf, "the custom field <offset> is null");
    rmq_ext_set(&ext, "offset", "1073741824");
    assert_int_equal(rmq_header_decode(&rmq_view_message_req_desc, &ext, &v, errbuf,
                                       sizeof(errbuf)),
                     0);
    assert_int_equal(v.offset, 1073741824LL);

    rmq_get_consume_stats_req_t cs;
    rmq_ext_set(&ext, "consumerGroup", "G");
    assert_int_equal(rmq_header_decode(&rmq_get_consume_stats_req_desc, &ext, &cs, errbuf,
                                       sizeof(errbuf)),
                     0);
    assert_string_equal(cs.consumerGroup, "G");
    assert_null(cs.topic);

    rmq_consumer_group_req_t g;
    assert_int_equal(rmq_header_decode(&rmq_get_consumer_list_req_desc, &ext, &g, errbuf,
                                       sizeof(errbuf)),
                     0);
    assert_string_equal(g.consumerGroup, "G");
    assert_int_equal(rmq_header_decode(&rmq_get_consumer_connection_req_desc, &ext, &g, errbuf,
                                       sizeof(errbuf)),
                     0);

    rmq_producer_group_req_t p;
    assert_int_equal(rmq_header_decode(&rmq_get_producer_connection_req_desc, &ext, &p, errbuf,
                                       sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_string_equal(errbuf, "the custom field <producerGroup> is null");

    rmq_topic_req_t t;
    assert_int_equal(rmq_header_decode(&rmq_get_topic_stats_req_desc, &ext, &t, errbuf,
                                       sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    rmq_ext_set(&ext, "topic", "T");
    assert_int_equal(rmq_header_decode(&rmq_delete_topic_req_desc, &ext, &t, errbuf,
                                       sizeof(errbuf)),
                     0);
    assert_string_equal(t.topic, "T");

    rmq_delete_subgroup_req_t d;
    rmq_ext_set(&ext, "groupName", "G");
    assert_int_equal(rmq_header_decode(&rmq_delete_subgroup_req_desc, &ext, &d, errbuf,
                                       sizeof(errbuf)),
                     0);
    assert_false(d.removeOffset);
    rmq_ext_set(&ext, "removeOffset", "true");
    assert_int_equal(rmq_header_decode(&rmq_delete_subgroup_req_desc, &ext, &d, errbuf,
                                       sizeof(errbuf)),
                     0);
    assert_true(d.removeOffset);
    rmq_ext_free(&ext);

    /* Broker -> client notification header. */
    rmq_ext_init(&ext);
    rmq_consumer_group_req_t n = {"G"};
    rmq_header_encode(&rmq_notify_consumer_ids_changed_req_desc, &n, &ext);
    assert_int_equal(ext.n, 1);
    assert_string_equal(rmq_ext_get(&ext, "consumerGroup"), "G");
    rmq_ext_free(&ext);

    rmq_ext_init(&ext);
    rmq_broker_config_resp_t bc = {"{\"counter\":0,\"timestamp\":1}"};
    rmq_header_encode(&rmq_broker_config_resp_desc, &bc, &ext);
    assert_string_equal(rmq_ext_get(&ext, "version"), "{\"counter\":0,\"timestamp\":1}");
    rmq_ext_free(&ext);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heartbeat_java),
        cmocka_unit_test(heartbeat_cpp),
        cmocka_unit_test(heartbeat_reference_example),
        cmocka_unit_test(heartbeat_tolerance),
        cmocka_unit_test(heartbeat_bad_input),
        cmocka_unit_test(enum_names),
        cmocka_unit_test(java_double),
        cmocka_unit_test(consumer_id_list),
        cmocka_unit_test(consumer_connection),
        cmocka_unit_test(producer_connection),
        cmocka_unit_test(lock_bodies),
        cmocka_unit_test(topic_stats),
        cmocka_unit_test(consume_stats),
        cmocka_unit_test(header_unregister_client),
        cmocka_unit_test(header_create_topic),
        cmocka_unit_test(header_query_message),
        cmocka_unit_test(header_misc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
