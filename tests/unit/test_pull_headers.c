/* Pull and offset request headers (protocol/pull_headers.c) and TAG
 * subscription expressions (broker/subscription.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "broker/subscription.h"
#include "protocol/pull_headers.h"
#include "rocketmq/error.h"
#include "protocol/record.h"

/* What a Java 4.9.8 push consumer sends (PullAPIWrapper.pullKernelImpl). */
static void set_java_pull(rmq_ext_t *ext)
{
    rmq_ext_set(ext, "consumerGroup", "G");
    rmq_ext_set(ext, "topic", "T");
    rmq_ext_set(ext, "queueId", "3");
    rmq_ext_set(ext, "queueOffset", "1234567890123");
    rmq_ext_set(ext, "maxMsgNums", "32");
    rmq_ext_set(ext, "sysFlag", "3");
    rmq_ext_set(ext, "commitOffset", "17");
    rmq_ext_set(ext, "suspendTimeoutMillis", "15000");
    rmq_ext_set(ext, "subVersion", "1708593987000");
    rmq_ext_set(ext, "expressionType", "TAG");
    rmq_ext_set(ext, "bname", "broker-a"); /* ignored, as by Java readers */
}

static void pull_request_decode(void **state)
{
    (void)state;
    rmq_ext_t ext;
    rmq_ext_init(&ext);
    set_java_pull(&ext);
    rmq_pull_req_t h;
    char err[128];
    assert_int_equal(rmq_header_decode(&rmq_pull_req_desc, &ext, &h, err, sizeof(err)), 0);
    assert_string_equal(h.consumerGroup, "G");
    assert_string_equal(h.topic, "T");
    assert_int_equal(h.queueId, 3);
    assert_true(h.queueOffset == INT64_C(1234567890123));
    assert_int_equal(h.maxMsgNums, 32);
    assert_int_equal(h.sysFlag, RMQ_PULL_FLAG_COMMIT_OFFSET | RMQ_PULL_FLAG_SUSPEND);
    assert_int_equal(h.commitOffset, 17);
    assert_int_equal(h.suspendTimeoutMillis, 15000);
    assert_null(h.subscription);
    assert_true(h.subVersion == INT64_C(1708593987000));
    assert_string_equal(h.expressionType, "TAG");
    rmq_ext_free(&ext);
}

static void pull_request_round_trip(void **state)
{
    (void)state;
    rmq_pull_req_t in = {
        .consumerGroup = "G",
        .topic = "T",
        .queueId = 1,
        .queueOffset = -1,
        .maxMsgNums = 16,
        .sysFlag = RMQ_PULL_FLAG_SUBSCRIPTION | RMQ_PULL_FLAG_SUSPEND,
        .commitOffset = 0,
        .suspendTimeoutMillis = 20000,
        .subscription = "TagA || TagB",
        .subVersion = 5,
    };
    rmq_ext_t ext;
    rmq_ext_init(&ext);
    rmq_header_encode(&rmq_pull_req_desc, &in, &ext);
    assert_string_equal(rmq_ext_get(&ext, "sysFlag"), "6");
    assert_string_equal(rmq_ext_get(&ext, "queueOffset"), "-1");
    assert_string_equal(rmq_ext_get(&ext, "subscription"), "TagA || TagB");
    assert_null(rmq_ext_get(&ext, "expressionType")); /* null: omitted */
    rmq_pull_req_t out;
    char err[128];
    assert_int_equal(rmq_header_decode(&rmq_pull_req_desc, &ext, &out, err, sizeof(err)), 0);
    assert_int_equal(out.queueId, 1);
    assert_int_equal(out.suspendTimeoutMillis, 20000);
    assert_string_equal(out.subscription, "TagA || TagB");
    assert_null(out.expressionType);
    rmq_ext_free(&ext);
}

/* Every field but subscription and expressionType is @CFNotNull. */
static void pull_request_required(void **state)
{
    (void)state;
    static const char *const required[] = {
        "consumerGroup", "topic",        "queueId",
        "queueOffset",   "maxMsgNums",   "sysFlag",
        "commitOffset",  "suspendTimeoutMillis", "subVersion",
    };
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        rmq_ext_t ext;
        rmq_ext_init(&ext);
        set_java_pull(&ext);
        assert_true(rmq_ext_del(&ext, required[i]));
        rmq_pull_req_t h;
        char err[128], want[128];
        assert_int_equal(rmq_header_decode(&rmq_pull_req_desc, &ext, &h, err, sizeof(err)),
                         ROCKETMQ_ERR__PROTOCOL);
        snprintf(want, sizeof(want), "the custom field <%s> is null", required[i]);
        assert_string_equal(err, want);
        rmq_ext_free(&ext);
    }
    rmq_ext_t ext;
    rmq_ext_init(&ext);
    set_java_pull(&ext);
    rmq_ext_del(&ext, "expressionType");
    rmq_ext_set(&ext, "queueId", "x");
    rmq_pull_req_t h;
    char err[128];
    assert_int_equal(rmq_header_decode(&rmq_pull_req_desc, &ext, &h, err, sizeof(err)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_non_null(strstr(err, "queueId"));
    rmq_ext_free(&ext);
}

static void pull_response_encode(void **state)
{
    (void)state;
    /* Zero values are written too: clients need all four on every answer. */
    rmq_pull_resp_t r = {.suggestWhichBrokerId = 0, .nextBeginOffset = 42, .minOffset = 0,
                         .maxOffset = 100};
    rmq_ext_t ext;
    rmq_ext_init(&ext);
    rmq_header_encode(&rmq_pull_resp_desc, &r, &ext);
    assert_int_equal(ext.n, 4);
    assert_string_equal(rmq_ext_get(&ext, "suggestWhichBrokerId"), "0");
    assert_string_equal(rmq_ext_get(&ext, "nextBeginOffset"), "42");
    assert_string_equal(rmq_ext_get(&ext, "minOffset"), "0");
    assert_string_equal(rmq_ext_get(&ext, "maxOffset"), "100");
    rmq_pull_resp_t back;
    char err[128];
    assert_int_equal(rmq_header_decode(&rmq_pull_resp_desc, &ext, &back, err, sizeof(err)), 0);
    assert_int_equal(back.nextBeginOffset, 42);
    assert_int_equal(back.maxOffset, 100);
    rmq_ext_free(&ext);
}

static void offset_headers(void **state)
{
    (void)state;
    char err[128];
    rmq_ext_t ext;
    rmq_ext_init(&ext);
    rmq_ext_set(&ext, "consumerGroup", "G");
    rmq_ext_set(&ext, "topic", "T");
    rmq_ext_set(&ext, "queueId", "2");
    rmq_query_consumer_offset_req_t q;
    assert_int_equal(
        rmq_header_decode(&rmq_query_consumer_offset_req_desc, &ext, &q, err, sizeof(err)), 0);
    assert_string_equal(q.consumerGroup, "G");
    assert_int_equal(q.queueId, 2);
    rmq_update_consumer_offset_req_t u;
    assert_int_equal(
        rmq_header_decode(&rmq_update_consumer_offset_req_desc, &ext, &u, err, sizeof(err)),
        ROCKETMQ_ERR__PROTOCOL);
    assert_string_equal(err, "the custom field <commitOffset> is null");
    rmq_ext_set(&ext, "commitOffset", "99");
    assert_int_equal(
        rmq_header_decode(&rmq_update_consumer_offset_req_desc, &ext, &u, err, sizeof(err)), 0);
    assert_int_equal(u.commitOffset, 99);

    rmq_queue_req_t m;
    assert_int_equal(rmq_header_decode(&rmq_get_max_offset_req_desc, &ext, &m, err, sizeof(err)),
                     0);
    assert_string_equal(m.topic, "T");
    assert_int_equal(m.queueId, 2);
    assert_int_equal(rmq_header_decode(&rmq_get_min_offset_req_desc, &ext, &m, err, sizeof(err)),
                     0);
    assert_int_equal(rmq_header_decode(&rmq_get_earliest_msg_storetime_req_desc, &ext, &m, err,
                                       sizeof(err)),
                     0);
    rmq_search_offset_req_t s;
    assert_int_equal(rmq_header_decode(&rmq_search_offset_req_desc, &ext, &s, err, sizeof(err)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_string_equal(err, "the custom field <timestamp> is null");
    rmq_ext_set(&ext, "timestamp", "1700000000000");
    assert_int_equal(rmq_header_decode(&rmq_search_offset_req_desc, &ext, &s, err, sizeof(err)),
                     0);
    assert_true(s.timestamp == INT64_C(1700000000000));
    rmq_ext_free(&ext);

    rmq_ext_init(&ext);
    rmq_offset_resp_t o = {.offset = -1};
    rmq_header_encode(&rmq_query_consumer_offset_resp_desc, &o, &ext);
    assert_string_equal(rmq_ext_get(&ext, "offset"), "-1");
    rmq_store_time_resp_t t = {.timestamp = 1700000000123};
    rmq_header_encode(&rmq_get_earliest_msg_storetime_resp_desc, &t, &ext);
    assert_string_equal(rmq_ext_get(&ext, "timestamp"), "1700000000123");
    rmq_ext_free(&ext);
}

static int32_t hash(const char *s)
{
    return rmq_java_hash(s, strlen(s));
}

static void sub_all(void **state)
{
    (void)state;
    const char *all[] = {NULL, "", "*"};
    for (size_t i = 0; i < 3; i++) {
        rmq_sub_expr_t s;
        assert_int_equal(rmq_sub_expr_parse(all[i], NULL, &s), RMQ_SUB_OK);
        assert_true(s.all);
        assert_int_equal(s.ncodes, 0);
        assert_true(rmq_sub_expr_match(&s, 0));
        assert_true(rmq_sub_expr_match(&s, 2598919));
        rmq_sub_expr_free(&s);
    }
    rmq_sub_expr_t s;
    assert_int_equal(rmq_sub_expr_parse("*", "TAG", &s), RMQ_SUB_OK);
    assert_true(s.all);
    assert_int_equal(rmq_sub_expr_parse("*", "", &s), RMQ_SUB_OK);
    assert_true(s.all);
}

static void sub_tags(void **state)
{
    (void)state;
    rmq_sub_expr_t s;
    assert_int_equal(rmq_sub_expr_parse("TagA || TagB", "TAG", &s), RMQ_SUB_OK);
    assert_false(s.all);
    assert_int_equal(s.ncodes, 2);
    assert_int_equal(s.codes[0], 2598919); /* "TagA".hashCode() */
    assert_int_equal(s.codes[1], 2598920);
    assert_true(rmq_sub_expr_match(&s, rmq_tags_code("TagA", 4)));
    assert_true(rmq_sub_expr_match(&s, rmq_tags_code("TagB", 4)));
    assert_false(rmq_sub_expr_match(&s, rmq_tags_code("TagC", 4)));
    assert_false(rmq_sub_expr_match(&s, 0)); /* no tags */
    rmq_sub_expr_free(&s);
    assert_null(s.codes);

    /* Trimmed, empty parts dropped, duplicates kept once (a HashSet). */
    assert_int_equal(rmq_sub_expr_parse("||\t a ||  || b\r\n||a||", NULL, &s), RMQ_SUB_OK);
    assert_int_equal(s.ncodes, 2);
    assert_int_equal(s.codes[0], hash("a"));
    assert_int_equal(s.codes[1], hash("b"));
    rmq_sub_expr_free(&s);

    /* Only "*" itself means all; " * " is the tag "*". */
    assert_int_equal(rmq_sub_expr_parse(" * ", NULL, &s), RMQ_SUB_OK);
    assert_false(s.all);
    assert_int_equal(s.ncodes, 1);
    assert_int_equal(s.codes[0], 42);
    rmq_sub_expr_free(&s);

    /* A lone '|' is no separator; "|||" leaves the tag "|". */
    assert_int_equal(rmq_sub_expr_parse("a|b", NULL, &s), RMQ_SUB_OK);
    assert_int_equal(s.ncodes, 1);
    assert_int_equal(s.codes[0], hash("a|b"));
    rmq_sub_expr_free(&s);
    assert_int_equal(rmq_sub_expr_parse("|||", NULL, &s), RMQ_SUB_OK);
    assert_int_equal(s.ncodes, 1);
    assert_int_equal(s.codes[0], hash("|"));
    rmq_sub_expr_free(&s);

    /* Blank parts only: Java keeps the part, nothing survives the trim,
     * and nothing matches. */
    assert_int_equal(rmq_sub_expr_parse("  ||  ", NULL, &s), RMQ_SUB_OK);
    assert_false(s.all);
    assert_int_equal(s.ncodes, 0);
    assert_false(rmq_sub_expr_match(&s, 0));
    rmq_sub_expr_free(&s);

    /* Non-ASCII tags hash as Java strings (UTF-16 units). */
    assert_int_equal(rmq_sub_expr_parse("标签", NULL, &s), RMQ_SUB_OK);
    assert_int_equal(s.ncodes, 1);
    assert_int_equal(s.codes[0], 0x6807 * 31 + 0x7b7e);
    rmq_sub_expr_free(&s);
}

/* Java compares (int) tagsCode: only the low 32 bits count. */
static void sub_low_bits(void **state)
{
    (void)state;
    rmq_sub_expr_t s;
    assert_int_equal(rmq_sub_expr_parse("TagA", NULL, &s), RMQ_SUB_OK);
    assert_true(rmq_sub_expr_match(&s, INT64_C(2598919) | (INT64_C(7) << 32)));
    rmq_sub_expr_free(&s);
    /* A tag with a negative hash: the stored code is sign-extended. */
    const char *neg = "TagNeg"; /* hashCode -1797390410 */
    assert_true(hash(neg) < 0);
    assert_int_equal(rmq_sub_expr_parse(neg, NULL, &s), RMQ_SUB_OK);
    assert_true(rmq_sub_expr_match(&s, rmq_tags_code(neg, strlen(neg))));
    assert_true(rmq_sub_expr_match(&s, (int64_t)(uint32_t)hash(neg)));
    rmq_sub_expr_free(&s);
}

static void sub_refused(void **state)
{
    (void)state;
    rmq_sub_expr_t s;
    /* Java's split leaves no part at all: "subString split error". */
    assert_int_equal(rmq_sub_expr_parse("||", NULL, &s), RMQ_SUB_BAD);
    assert_int_equal(rmq_sub_expr_parse("||||", "TAG", &s), RMQ_SUB_BAD);
    assert_null(s.codes);
    /* SQL92: an empty expression cannot be built; others need property filtering. */
    assert_int_equal(rmq_sub_expr_parse(NULL, "SQL92", &s), RMQ_SUB_BAD);
    assert_int_equal(rmq_sub_expr_parse("", "SQL92", &s), RMQ_SUB_BAD);
    assert_int_equal(rmq_sub_expr_parse("a > 5", "SQL92", &s), RMQ_SUB_UNSUPPORTED);
    assert_int_equal(rmq_sub_expr_parse("*", "SQL92", &s), RMQ_SUB_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pull_request_decode),
        cmocka_unit_test(pull_request_round_trip),
        cmocka_unit_test(pull_request_required),
        cmocka_unit_test(pull_response_encode),
        cmocka_unit_test(offset_headers),
        cmocka_unit_test(sub_all),
        cmocka_unit_test(sub_tags),
        cmocka_unit_test(sub_low_bits),
        cmocka_unit_test(sub_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
