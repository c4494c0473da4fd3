/* Send request/response headers (protocol/send_headers.c): V1 and V2 as
 * the Java and C++ clients send them, required fields, the response header. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "protocol/codes.h"
#include "base/json_str.h"
#include "protocol/send_headers.h"
#include "remoting/command.h"
#include "rocketmq/error.h"

#define PROPS "UNIQ_KEY\001C0A8000100002A9F0000000000001F40\002WAIT\001true\002TAGS\001TagA"

static rmq_cmd_t *request(int32_t code, const char *const *kv)
{
    rmq_cmd_t *cmd = rmq_cmd_new();
    cmd->code = code;
    for (size_t i = 0; kv[i]; i += 2)
        rmq_ext_set(&cmd->ext, kv[i], kv[i + 1]);
    return cmd;
}

/* DefaultMQProducerImpl.sendKernelImpl with sendSmartMsg=false: V1, every
 * value a string, primitives always present. */
static const char *const JAVA_V1[] = {
    "producerGroup", "PG",      "topic",         "TopicTest", "defaultTopic",          "TBW102",
    "defaultTopicQueueNums", "4", "queueId",     "3",         "sysFlag",               "0",
    "bornTimestamp", "1700000000123", "flag",    "0",         "properties",            PROPS,
    "reconsumeTimes", "0",      "unitMode",      "false",     "batch",                 "false",
    "bname",         "broker-a", NULL,
};

static void v1_from_java(void **state)
{
    (void)state;
    rmq_cmd_t *req = request(RMQ_REQ_SEND_MESSAGE, JAVA_V1);
    rmq_send_req_t h;
    char err[128];
    assert_ptr_equal(rmq_send_req_desc_for(req), &rmq_send_req_v1_desc);
    assert_int_equal(rmq_send_req_decode(req, &h, err, sizeof(err)), 0);
    assert_string_equal(h.producerGroup, "PG");
    assert_string_equal(h.topic, "TopicTest");
    assert_string_equal(h.defaultTopic, "TBW102");
    assert_int_equal(h.defaultTopicQueueNums, 4);
    assert_int_equal(h.queueId, 3);
    assert_int_equal(h.sysFlag, 0);
    assert_int_equal(h.bornTimestamp, 1700000000123LL);
    assert_int_equal(h.flag, 0);
    assert_string_equal(h.properties, PROPS);
    assert_true(h.has_reconsumeTimes);
    assert_int_equal(h.reconsumeTimes, 0);
    assert_false(h.has_maxReconsumeTimes);
    assert_false(h.unitMode);
    assert_false(h.batch);
    assert_string_equal(h.bname, "broker-a");
    rmq_cmd_free(req);
}

/* A Java batch: SEND_BATCH_MESSAGE with the V2 header, strings, m=true. */
static void v2_batch_from_java(void **state)
{
    (void)state;
    static const char *const kv[] = {
        "a", "PG", "b", "%RETRY%CG", "c", "TBW102", "d", "4", "e", "-1", "f", "0",
        "g", "1700000000123", "h", "7", "i", "WAIT\001true", "j", "2", "k", "false",
        "l", "16", "m", "true", NULL,
    };
    rmq_cmd_t *req = request(RMQ_REQ_SEND_BATCH_MESSAGE, kv);
    rmq_send_req_t h;
    char err[128];
    assert_ptr_equal(rmq_send_req_desc_for(req), &rmq_send_req_v2_desc);
    assert_int_equal(rmq_send_req_decode(req, &h, err, sizeof(err)), 0);
    assert_string_equal(h.topic, "%RETRY%CG");
    assert_int_equal(h.queueId, -1);
    assert_int_equal(h.flag, 7);
    assert_string_equal(h.properties, "WAIT\001true");
    assert_true(h.has_reconsumeTimes);
    assert_int_equal(h.reconsumeTimes, 2);
    assert_true(h.has_maxReconsumeTimes);
    assert_int_equal(h.maxReconsumeTimes, 16);
    assert_true(h.batch);
    assert_null(h.bname);
    rmq_cmd_free(req);
}

/* rocketmq-client-cpp SendMessageRequestHeaderV2::Encode: d, e, f, h and l
 * as JSON numbers, g and j as strings, k and m as "true"/"false"; batches go
 * as SEND_MESSAGE_V2 with m=true. */
static const char CPP_HEADER[] =
    "{\"code\":310,\"language\":\"CPP\",\"version\":405,\"opaque\":12,\"flag\":0,"
    "\"remark\":\"\",\"extFields\":{\"a\":\"PG\",\"b\":\"TopicTest\",\"c\":\"TBW102\","
    "\"d\":4,\"e\":1,\"f\":0,\"g\":\"1700000000123\",\"h\":0,"
    "\"i\":\"TAGS\\u0001TagA\\u0002WAIT\\u0001true\",\"j\":\"0\",\"k\":\"false\","
    "\"l\":16,\"m\":\"true\"}}";

static void v2_from_cpp_json(void **state)
{
    (void)state;
    rmq_cmd_t *req = rmq_cmd_new();
    char err[128];
    assert_int_equal(rmq_header_json_decode((const uint8_t *)CPP_HEADER, strlen(CPP_HEADER), req,
                                            err, sizeof(err)),
                     0);
    assert_int_equal(req->code, RMQ_REQ_SEND_MESSAGE_V2);
    rmq_send_req_t h;
    assert_int_equal(rmq_send_req_decode(req, &h, err, sizeof(err)), 0);
    assert_string_equal(h.producerGroup, "PG");
    assert_string_equal(h.topic, "TopicTest");
    assert_int_equal(h.defaultTopicQueueNums, 4);
    assert_int_equal(h.queueId, 1);
    assert_int_equal(h.bornTimestamp, 1700000000123LL);
    assert_string_equal(h.properties, "TAGS\001TagA\002WAIT\001true");
    assert_int_equal(h.maxReconsumeTimes, 16);
    assert_true(h.batch);
    rmq_cmd_free(req);
}

static void picked_by_code_or_keys(void **state)
{
    (void)state;
    static const char *const none[] = {NULL};
    static const char *const v2_topic[] = {"b", "T", NULL};
    rmq_cmd_t *req = request(RMQ_REQ_SEND_REPLY_MESSAGE, none);
    assert_ptr_equal(rmq_send_req_desc_for(req), &rmq_send_req_v1_desc);
    req->code = RMQ_REQ_SEND_REPLY_MESSAGE_V2;
    assert_ptr_equal(rmq_send_req_desc_for(req), &rmq_send_req_v2_desc);
    req->code = 9999;
    assert_ptr_equal(rmq_send_req_desc_for(req), &rmq_send_req_v1_desc);
    rmq_cmd_free(req);
    req = request(9999, v2_topic);
    assert_ptr_equal(rmq_send_req_desc_for(req), &rmq_send_req_v2_desc);
    rmq_cmd_free(req);
}

/* The code decides: V1 names under a V2 code are missing fields, and the
 * other way round. */
static void wrong_names_for_code(void **state)
{
    (void)state;
    rmq_cmd_t *req = request(RMQ_REQ_SEND_MESSAGE_V2, JAVA_V1);
    rmq_send_req_t h;
    char err[128];
    assert_int_equal(rmq_send_req_decode(req, &h, err, sizeof(err)), ROCKETMQ_ERR__PROTOCOL);
    assert_string_equal(err, "the custom field <a> is null");
    rmq_cmd_free(req);

    static const char *const v2[] = {"a", "PG", "b", "T", NULL};
    req = request(RMQ_REQ_SEND_MESSAGE, v2);
    assert_int_equal(rmq_send_req_decode(req, &h, err, sizeof(err)), ROCKETMQ_ERR__PROTOCOL);
    assert_string_equal(err, "the custom field <producerGroup> is null");
    rmq_cmd_free(req);
}

static void missing_or_bad_required(void **state)
{
    (void)state;
    static const char *const no_queue[] = {
        "a", "PG", "b", "T", "c", "TBW102", "d", "4", "f", "0", "g", "1", "h", "0", NULL,
    };
    rmq_cmd_t *req = request(RMQ_REQ_SEND_MESSAGE_V2, no_queue);
    rmq_send_req_t h;
    char err[128];
    assert_int_equal(rmq_send_req_decode(req, &h, err, sizeof(err)), ROCKETMQ_ERR__PROTOCOL);
    assert_string_equal(err, "the custom field <e> is null");
    rmq_ext_set(&req->ext, "e", "one");
    assert_int_equal(rmq_send_req_decode(req, &h, err, sizeof(err)), ROCKETMQ_ERR__PROTOCOL);
    assert_non_null(strstr(err, "<e>"));
    /* optional fields may all be absent */
    rmq_ext_set(&req->ext, "e", "0");
    assert_int_equal(rmq_send_req_decode(req, &h, err, sizeof(err)), 0);
    assert_null(h.properties);
    assert_false(h.has_reconsumeTimes);
    assert_false(h.unitMode);
    assert_false(h.batch);
    /* Boolean.parseBoolean: only "true", in any case */
    rmq_ext_set(&req->ext, "m", "TRUE");
    assert_int_equal(rmq_send_req_decode(req, &h, err, sizeof(err)), 0);
    assert_true(h.batch);
    rmq_ext_set(&req->ext, "m", "1");
    assert_int_equal(rmq_send_req_decode(req, &h, err, sizeof(err)), 0);
    assert_false(h.batch);
    rmq_cmd_free(req);
}

static void response_header(void **state)
{
    (void)state;
    rmq_send_resp_t r = {
        .msgId = "C0A8000100002A9F0000000000001F40,C0A8000100002A9F0000000000001FA0",
        .queueId = 3,
        .queueOffset = 17,
    };
    rmq_cmd_t *resp = rmq_cmd_new();
    rmq_ext_set(&resp->ext, "MSG_REGION", "DefaultRegion");
    rmq_header_encode(&rmq_send_resp_desc, &r, &resp->ext);
    assert_string_equal(rmq_ext_get(&resp->ext, "msgId"), r.msgId);
    assert_string_equal(rmq_ext_get(&resp->ext, "queueId"), "3");
    assert_string_equal(rmq_ext_get(&resp->ext, "queueOffset"), "17");
    assert_null(rmq_ext_get(&resp->ext, "transactionId"));
    assert_string_equal(rmq_ext_get(&resp->ext, "MSG_REGION"), "DefaultRegion");

    /* what a client reads back */
    rmq_send_resp_t back;
    char err[128];
    assert_int_equal(rmq_header_decode(&rmq_send_resp_desc, &resp->ext, &back, err, sizeof(err)),
                     0);
    assert_string_equal(back.msgId, r.msgId);
    assert_int_equal(back.queueOffset, 17);
    r.transactionId = "TX";
    rmq_header_encode(&rmq_send_resp_desc, &r, &resp->ext);
    assert_string_equal(rmq_ext_get(&resp->ext, "transactionId"), "TX");

    /* values travel as JSON strings, as Java writes them */
    rmq_buf_t out = RMQ_BUF_INIT;
    assert_int_equal(rmq_header_json_encode(resp, &out), 0);
    const char *json = rmq_buf_cstr(&out);
    assert_non_null(strstr(json, "\"queueOffset\":\"17\""));
    assert_non_null(strstr(json, "\"queueId\":\"3\""));
    rmq_buf_free(&out);
    rmq_cmd_free(resp);
}

static void send_back_header(void **state)
{
    (void)state;
    static const char *const kv[] = {
        "offset", "8000", "group", "CG", "delayLevel", "0", "originMsgId", "ID",
        "originTopic", "TopicTest", "unitMode", "false", NULL,
    };
    rmq_cmd_t *req = request(RMQ_REQ_CONSUMER_SEND_MSG_BACK, kv);
    rmq_send_back_req_t h;
    char err[128];
    assert_int_equal(rmq_header_decode(&rmq_send_back_req_desc, &req->ext, &h, err, sizeof(err)),
                     0);
    assert_int_equal(h.offset, 8000);
    assert_string_equal(h.group, "CG");
    assert_int_equal(h.delayLevel, 0);
    assert_string_equal(h.originMsgId, "ID");
    assert_string_equal(h.originTopic, "TopicTest");
    assert_false(h.has_maxReconsumeTimes);
    rmq_ext_set(&req->ext, "maxReconsumeTimes", "3");
    assert_int_equal(rmq_header_decode(&rmq_send_back_req_desc, &req->ext, &h, err, sizeof(err)),
                     0);
    assert_true(h.has_maxReconsumeTimes);
    assert_int_equal(h.maxReconsumeTimes, 3);
    rmq_ext_del(&req->ext, "delayLevel");
    assert_int_equal(rmq_header_decode(&rmq_send_back_req_desc, &req->ext, &h, err, sizeof(err)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_string_equal(err, "the custom field <delayLevel> is null");
    rmq_cmd_free(req);
}

/* JSON header strings are scanned eight bytes at a time: a quote, a
 * backslash escape, a non-ASCII character or a control character at every
 * position of values 0-40 bytes long must come out as the byte loop reads
 * them. */
static void string_specials_at_every_position(void **state)
{
    (void)state;
    static const struct {
        const char *json; /* as written in the header */
        const char *text; /* as decoded */
    } specials[] = {{"\\\"", "\""}, {"\\\\", "\\"}, {"\\n", "\n"},
                    {"\\u00e9", "\xc3\xa9"}, {"\xc3\xa9", "\xc3\xa9"}};
    for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
        for (int n = 0; n <= 40; n++) {
            for (int at = 0; at <= n; at++) {
                char value[128], want[128], json[320];
                snprintf(value, sizeof(value), "%.*s%s%.*s", at, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                         specials[k].json, n - at, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
                snprintf(want, sizeof(want), "%.*s%s%.*s", at, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                         specials[k].text, n - at, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
                int len = snprintf(json, sizeof(json),
                                   "{\"code\":10,\"extFields\":{\"k\":\"%s\"},\"flag\":0,"
                                   "\"language\":\"JAVA\",\"opaque\":1,\"version\":0}",
                                   value);
                rmq_cmd_t *cmd = rmq_cmd_new();
                char err[128];
                assert_int_equal(rmq_header_json_decode((const uint8_t *)json, (size_t)len, cmd,
                                                        err, sizeof(err)),
                                 0);
                assert_string_equal(rmq_ext_get(&cmd->ext, "k"), want);
                rmq_cmd_free(cmd);
            }
        }
    }
    /* a raw control character anywhere in a string is refused */
    for (int at = 0; at < 20; at++) {
        char json[128];
        int len = snprintf(json, sizeof(json),
                           "{\"code\":10,\"extFields\":{\"k\":\"%.*s\x01%.*s\"},\"flag\":0}", at,
                           "aaaaaaaaaaaaaaaaaaaa", 19 - at, "bbbbbbbbbbbbbbbbbbbb");
        rmq_cmd_t *cmd = rmq_cmd_new();
        char err[128];
        assert_int_not_equal(
            rmq_header_json_decode((const uint8_t *)json, (size_t)len, cmd, err, sizeof(err)), 0);
        rmq_cmd_free(cmd);
    }
}

/* The reference: one byte at a time, as fastjson writes a string. */
static void json_str_bytewise(char *out, const char *s, size_t n)
{
    char *o = out;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            o += sprintf(o, "\\%c", c);
        else if (c == '\n')
            o += sprintf(o, "\\n");
        else if (c == '\t')
            o += sprintf(o, "\\t");
        else if (c < 0x20)
            o += sprintf(o, "\\u%04x", c);
        else
            *o++ = (char)c;
    }
    *o++ = '"';
    *o = '\0';
}

/* Header strings are written eight bytes at a time as well: one or two
 * bytes to escape (or a non-ASCII one) at every position of values 0-40
 * bytes long come out as the byte loop writes them. */
static void string_writing_at_every_position(void **state)
{
    (void)state;
    static const char specials[] = {'"', '\\', '\n', '\t', 0x01, 0x02, 0x1f, (char)0xc3};
    for (size_t k = 0; k < sizeof(specials); k++) {
        for (int n = 1; n <= 40; n++) {
            for (int at = 0; at < n; at++) {
                char value[64], want[512];
                memset(value, 'a', (size_t)n);
                value[at] = specials[k];
                value[n - 1 - at / 2] = specials[(k + 3) % sizeof(specials)];
                json_str_bytewise(want, value, (size_t)n);
                rmq_buf_t b = RMQ_BUF_INIT;
                rmq_buf_append_json_str(&b, value, (size_t)n);
                assert_int_equal(b.len, strlen(want));
                assert_memory_equal(b.data, want, b.len);
                rmq_buf_free(&b);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v1_from_java),
        cmocka_unit_test(v2_batch_from_java),
        cmocka_unit_test(v2_from_cpp_json),
        cmocka_unit_test(picked_by_code_or_keys),
        cmocka_unit_test(wrong_names_for_code),
        cmocka_unit_test(missing_or_bad_required),
        cmocka_unit_test(response_header),
        cmocka_unit_test(send_back_header),
        cmocka_unit_test(string_specials_at_every_position),
        cmocka_unit_test(string_writing_at_every_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
