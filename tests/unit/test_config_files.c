/* The broker's config files: the example texts of broker.md 1.9 as Java
 * writes them (tabs, newlines, bare integer keys), round trips, fastjson-style
 * output, the .bak fallback of loading and the .bak kept by persisting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "protocol/bodies.h"
#include "rocketmq/error.h"
#include "store/config_files.h"

/* broker.md 1.9, verbatim (the delayOffset example's "..." left out). */
static const char TOPICS_JSON[] =
    "{\n"
    "\t\"dataVersion\":{\"counter\":5,\"timestamp\":1708593987000},\n"
    "\t\"topicConfigTable\":{\n"
    "\t\t\"TopicTest\":{\n"
    "\t\t\t\"order\":false,\n"
    "\t\t\t\"perm\":6,\n"
    "\t\t\t\"readQueueNums\":4,\n"
    "\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n"
    "\t\t\t\"topicName\":\"TopicTest\",\n"
    "\t\t\t\"topicSysFlag\":0,\n"
    "\t\t\t\"writeQueueNums\":4\n"
    "\t\t}\n"
    "\t}\n"
    "}\n";
static const char CONSUMER_OFFSET_JSON[] =
    "{\n"
    "\t\"offsetTable\":{\n"
    "\t\t\"TopicTest@please_rename_unique_group_name\":{0:250,1:249,2:250,3:250},\n"
    "\t\t\"%RETRY%please_rename_unique_group_name@please_rename_unique_group_name\":{0:0},\n"
    "\t\t\"RMQ_SYS_TRANS_HALF_TOPIC@CID_RMQ_SYS_TRANS\":{0:12}\n"
    "\t}\n"
    "}\n";
static const char DELAY_OFFSET_JSON[] = "{\"offsetTable\":{1:37,2:0,3:12}}";
static const char SUBSCRIPTION_GROUP_JSON[] =
    "{\n"
    "\t\"dataVersion\":{\"counter\":3,\"timestamp\":1708593987000},\n"
    "\t\"subscriptionGroupTable\":{\n"
    "\t\t\"myGroup\":{\n"
    "\t\t\t\"brokerId\":0,\n"
    "\t\t\t\"consumeBroadcastEnable\":true,\n"
    "\t\t\t\"consumeEnable\":true,\n"
    "\t\t\t\"consumeFromMinEnable\":true,\n"
    "\t\t\t\"groupName\":\"myGroup\",\n"
    "\t\t\t\"notifyConsumerIdsChangedEnable\":true,\n"
    "\t\t\t\"retryMaxTimes\":16,\n"
    "\t\t\t\"retryQueueNums\":1,\n"
    "\t\t\t\"whichBrokerWhenConsumeSlowly\":1\n"
    "\t\t}\n"
    "\t}\n"
    "}\n";

static char errbuf[1024];
static char g_dir[64];

/* ---- file helpers ---- */

static const char *path_in_dir(const char *name)
{
    static char paths[4][128];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof(paths[0]), "%s/%s", g_dir, name);
    return p;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    assert_int_equal(rmq_file_read(path, &b), 0);
    rmq_buf_cstr(&b);
    return (char *)b.data;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int setup(void **state)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/test_config_files_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    return nftw(g_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- example texts ---- */

static void test_decode_topics_example(void **state)
{
    rmq_register_broker_body_t t;
    assert_int_equal(rmq_topic_config_wrapper_decode(TOPICS_JSON, strlen(TOPICS_JSON), &t, errbuf,
                                                     sizeof(errbuf)),
                     0);
    assert_int_equal(t.data_version.counter, 5);
    assert_int_equal(t.data_version.timestamp, 1708593987000LL);
    assert_int_equal(t.ntopics, 1);
    assert_string_equal(t.topics[0].topic_name, "TopicTest");
    assert_int_equal(t.topics[0].read_queue_nums, 4);
    assert_int_equal(t.topics[0].write_queue_nums, 4);
    assert_int_equal(t.topics[0].perm, 6);
    assert_string_equal(t.topics[0].topic_filter_type, "SINGLE_TAG");
    assert_int_equal(t.topics[0].topic_sys_flag, 0);
    assert_false(t.topics[0].order);
    rmq_register_broker_body_free(&t);
}

static void test_decode_consumer_offset_example(void **state)
{
    rmq_consumer_offsets_t t;
    assert_int_equal(rmq_consumer_offsets_decode(CONSUMER_OFFSET_JSON, strlen(CONSUMER_OFFSET_JSON),
                                                 &t, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(t.nentries, 3);
    const rmq_consumer_offset_entry_t *e =
        rmq_consumer_offsets_find(&t, "TopicTest@please_rename_unique_group_name");
    assert_non_null(e);
    assert_int_equal(e->nqueues, 4);
    static const int64_t want[] = {250, 249, 250, 250};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(e->queues[i].id, i);
        assert_int_equal(e->queues[i].offset, want[i]);
    }
    e = rmq_consumer_offsets_find(
        &t, "%RETRY%please_rename_unique_group_name@please_rename_unique_group_name");
    assert_non_null(e);
    assert_int_equal(e->nqueues, 1);
    assert_int_equal(e->queues[0].id, 0);
    assert_int_equal(e->queues[0].offset, 0);
    e = rmq_consumer_offsets_find(&t, "RMQ_SYS_TRANS_HALF_TOPIC@CID_RMQ_SYS_TRANS");
    assert_non_null(e);
    assert_int_equal(e->nqueues, 1);
    assert_int_equal(e->queues[0].offset, 12);
    assert_null(rmq_consumer_offsets_find(&t, "nope"));
    rmq_consumer_offsets_free(&t);
}

static void test_decode_delay_offset_example(void **state)
{
    rmq_delay_offsets_t d;
    assert_int_equal(rmq_delay_offsets_decode(DELAY_OFFSET_JSON, strlen(DELAY_OFFSET_JSON), &d,
                                              errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(d.nlevels, 3);
    int64_t off;
    assert_true(rmq_delay_offsets_get(&d, 1, &off));
    assert_int_equal(off, 37);
    assert_true(rmq_delay_offsets_get(&d, 2, &off));
    assert_int_equal(off, 0);
    assert_true(rmq_delay_offsets_get(&d, 3, &off));
    assert_int_equal(off, 12);
    assert_false(rmq_delay_offsets_get(&d, 4, &off));
    rmq_delay_offsets_free(&d);
}

static void test_decode_subscription_group_example(void **state)
{
    rmq_subscription_groups_t t;
    assert_int_equal(rmq_subscription_groups_decode(SUBSCRIPTION_GROUP_JSON,
                                                    strlen(SUBSCRIPTION_GROUP_JSON), &t, errbuf,
                                                    sizeof(errbuf)),
                     0);
    assert_int_equal(t.data_version.counter, 3);
    assert_int_equal(t.data_version.timestamp, 1708593987000LL);
    assert_int_equal(t.ngroups, 1);
    const rmq_subscription_group_t *g = &t.groups[0];
    assert_string_equal(g->group_name, "myGroup");
    assert_int_equal(g->broker_id, 0);
    assert_true(g->consume_broadcast_enable);
    assert_true(g->consume_enable);
    assert_true(g->consume_from_min_enable);
    assert_true(g->notify_consumer_ids_changed_enable);
    assert_int_equal(g->retry_max_times, 16);
    assert_int_equal(g->retry_queue_nums, 1);
    assert_int_equal(g->which_broker_when_consume_slowly, 1);
    rmq_subscription_groups_free(&t);
}

/* ---- output format ---- */

static void test_encode_offsets_fastjson_style(void **state)
{
    rmq_consumer_offsets_t t = {0};
    /* Added out of order: keys and queue ids come out sorted. */
    rmq_consumer_offset_entry_t *e = rmq_consumer_offsets_add(&t, "TopicTest@g");
    rmq_consumer_offset_entry_put(e, 1, 249);
    rmq_consumer_offset_entry_put(e, 0, 250);
    rmq_consumer_offset_entry_put(e, 10, 7);
    rmq_consumer_offset_entry_put(e, 1, 251); /* replaces */
    e = rmq_consumer_offsets_add(&t, "A\"quote@g");
    rmq_consumer_offset_entry_put(e, 0, 9000000000LL);
    rmq_consumer_offsets_add(&t, "Empty@g");
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_consumer_offsets_encode(&t, &out);
    assert_string_equal(rmq_buf_cstr(&out), "{\"offsetTable\":{\"A\\\"quote@g\":{0:9000000000},"
                                            "\"Empty@g\":{},\"TopicTest@g\":{0:250,1:251,10:7}}}");
    rmq_buf_free(&out);
    rmq_consumer_offsets_free(&t);

    rmq_consumer_offsets_encode(&t, &out);
    assert_string_equal(rmq_buf_cstr(&out), "{\"offsetTable\":{}}");
    rmq_buf_free(&out);

    rmq_delay_offsets_t d = {0};
    rmq_delay_offsets_put(&d, 18, 5);
    rmq_delay_offsets_put(&d, 2, 0);
    rmq_delay_offsets_put(&d, 1, 37);
    rmq_delay_offsets_encode(&d, &out);
    assert_string_equal(rmq_buf_cstr(&out), "{\"offsetTable\":{1:37,2:0,18:5}}");
    rmq_buf_free(&out);
    rmq_delay_offsets_free(&d);

    rmq_delay_offsets_encode(&d, &out);
    assert_string_equal(rmq_buf_cstr(&out), "{\"offsetTable\":{}}");
    rmq_buf_free(&out);
}

static void test_encode_topics_wrapper(void **state)
{
    rmq_register_broker_body_t t = {0};
    t.data_version.counter = 5;
    t.data_version.timestamp = 1708593987000LL;
    rmq_topic_config_t tc;
    rmq_topic_config_init(&tc, "TopicTest");
    tc.read_queue_nums = 4;
    tc.write_queue_nums = 4;
    rmq_register_broker_body_add_topic(&t, &tc);
    rmq_topic_config_free(&tc);
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_topic_config_wrapper_encode(&t, &out);
    assert_string_equal(rmq_buf_cstr(&out),
                        "{\"dataVersion\":{\"counter\":5,\"timestamp\":1708593987000},"
                        "\"topicConfigTable\":{\"TopicTest\":{\"order\":false,\"perm\":6,"
                        "\"readQueueNums\":4,\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":"
                        "\"TopicTest\",\"topicSysFlag\":0,\"writeQueueNums\":4}}}");
    rmq_buf_free(&out);
    rmq_register_broker_body_free(&t);
}

static void test_encode_subscription_groups(void **state)
{
    rmq_subscription_groups_t t = {0};
    t.data_version.counter = 3;
    t.data_version.timestamp = 1708593987000LL;
    rmq_subscription_group_t g;
    rmq_subscription_group_init(&g, "myGroup");
    rmq_subscription_groups_add(&t, &g);
    rmq_subscription_group_free(&g);
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_subscription_groups_encode(&t, &out);
    assert_string_equal(rmq_buf_cstr(&out),
                        "{\"dataVersion\":{\"counter\":3,\"timestamp\":1708593987000},"
                        "\"subscriptionGroupTable\":{\"myGroup\":{\"brokerId\":0,"
                        "\"consumeBroadcastEnable\":true,\"consumeEnable\":true,"
                        "\"consumeFromMinEnable\":true,\"groupName\":\"myGroup\","
                        "\"notifyConsumerIdsChangedEnable\":true,\"retryMaxTimes\":16,"
                        "\"retryQueueNums\":1,\"whichBrokerWhenConsumeSlowly\":1}}}");
    rmq_buf_free(&out);
    rmq_subscription_groups_free(&t);
}

/* ---- round trips ---- */

static void test_round_trip_topics(void **state)
{
    rmq_register_broker_body_t a;
    assert_int_equal(rmq_topic_config_wrapper_decode(TOPICS_JSON, strlen(TOPICS_JSON), &a, errbuf,
                                                     sizeof(errbuf)),
                     0);
    rmq_topic_config_t tc;
    rmq_topic_config_init(&tc, "%RETRY%g");
    tc.perm = 7;
    tc.order = true;
    tc.topic_sys_flag = 3;
    free(tc.topic_filter_type);
    tc.topic_filter_type = strdup("MULTI_TAG");
    rmq_register_broker_body_add_topic(&a, &tc);
    rmq_topic_config_free(&tc);

    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_topic_config_wrapper_encode(&a, &out);
    assert_null(strstr(rmq_buf_cstr(&out), "filterServerList"));
    rmq_register_broker_body_t b;
    assert_int_equal(rmq_topic_config_wrapper_decode(out.data, out.len, &b, errbuf, sizeof(errbuf)),
                     0);
    assert_true(rmq_data_version_equal(&a.data_version, &b.data_version));
    assert_int_equal(b.ntopics, 2);
    for (size_t i = 0; i < a.ntopics; i++) {
        const rmq_topic_config_t *x = &a.topics[i], *y = NULL;
        for (size_t k = 0; k < b.ntopics; k++) {
            if (strcmp(b.topics[k].topic_name, x->topic_name) == 0)
                y = &b.topics[k];
        }
        assert_non_null(y);
        assert_int_equal(x->read_queue_nums, y->read_queue_nums);
        assert_int_equal(x->write_queue_nums, y->write_queue_nums);
        assert_int_equal(x->perm, y->perm);
        assert_int_equal(x->topic_sys_flag, y->topic_sys_flag);
        assert_int_equal(x->order, y->order);
        assert_string_equal(x->topic_filter_type, y->topic_filter_type);
    }
    /* Encoding is deterministic: a second pass gives the same text. */
    rmq_buf_t again = RMQ_BUF_INIT;
    rmq_topic_config_wrapper_encode(&b, &again);
    assert_string_equal(rmq_buf_cstr(&again), rmq_buf_cstr(&out));
    rmq_buf_free(&again);
    rmq_buf_free(&out);
    rmq_register_broker_body_free(&a);
    rmq_register_broker_body_free(&b);
}

static void test_round_trip_consumer_offsets(void **state)
{
    rmq_consumer_offsets_t a;
    assert_int_equal(rmq_consumer_offsets_decode(CONSUMER_OFFSET_JSON, strlen(CONSUMER_OFFSET_JSON),
                                                 &a, errbuf, sizeof(errbuf)),
                     0);
    rmq_consumer_offset_entry_t *e = rmq_consumer_offsets_add(&a, "T\n\x01\xe4\xb8\xad@g");
    rmq_consumer_offset_entry_put(e, 2147483647, INT64_MAX);
    rmq_consumer_offset_entry_put(e, -1, INT64_MIN);
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_consumer_offsets_encode(&a, &out);
    rmq_consumer_offsets_t b;
    assert_int_equal(rmq_consumer_offsets_decode(out.data, out.len, &b, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(b.nentries, a.nentries);
    for (size_t i = 0; i < a.nentries; i++) {
        const rmq_consumer_offset_entry_t *x = &a.entries[i];
        const rmq_consumer_offset_entry_t *y = rmq_consumer_offsets_find(&b, x->key);
        assert_non_null(y);
        assert_int_equal(x->nqueues, y->nqueues);
        for (size_t q = 0; q < x->nqueues; q++) {
            bool found = false;
            for (size_t k = 0; k < y->nqueues; k++) {
                if (y->queues[k].id == x->queues[q].id) {
                    assert_int_equal(y->queues[k].offset, x->queues[q].offset);
                    found = true;
                }
            }
            assert_true(found);
        }
    }
    rmq_buf_t again = RMQ_BUF_INIT;
    rmq_consumer_offsets_encode(&b, &again);
    assert_string_equal(rmq_buf_cstr(&again), rmq_buf_cstr(&out));
    rmq_buf_free(&again);
    rmq_buf_free(&out);
    rmq_consumer_offsets_free(&a);
    rmq_consumer_offsets_free(&b);
}

static void test_round_trip_delay_offsets(void **state)
{
    rmq_delay_offsets_t a = {0};
    for (int32_t level = 18; level >= 1; level--)
        rmq_delay_offsets_put(&a, level, level * 1000LL);
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_delay_offsets_encode(&a, &out);
    rmq_delay_offsets_t b;
    assert_int_equal(rmq_delay_offsets_decode(out.data, out.len, &b, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(b.nlevels, 18);
    for (int32_t level = 1; level <= 18; level++) {
        int64_t off;
        assert_true(rmq_delay_offsets_get(&b, level, &off));
        assert_int_equal(off, level * 1000LL);
    }
    rmq_buf_free(&out);
    rmq_delay_offsets_free(&a);
    rmq_delay_offsets_free(&b);
}

static void test_round_trip_subscription_groups(void **state)
{
    rmq_subscription_groups_t a = {0};
    a.data_version.counter = 42;
    a.data_version.timestamp = 1700000000123LL;
    rmq_subscription_group_t g;
    rmq_subscription_group_init(&g, "g2");
    g.consume_enable = false;
    g.consume_from_min_enable = false;
    g.consume_broadcast_enable = false;
    g.notify_consumer_ids_changed_enable = false;
    g.retry_queue_nums = 3;
    g.retry_max_times = -1;
    g.broker_id = 5;
    g.which_broker_when_consume_slowly = 9;
    rmq_subscription_groups_add(&a, &g);
    rmq_subscription_group_free(&g);
    rmq_subscription_group_init(&g, "g1");
    rmq_subscription_groups_add(&a, &g);
    rmq_subscription_group_free(&g);

    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_subscription_groups_encode(&a, &out);
    /* Sorted by group name. */
    assert_true(strstr(rmq_buf_cstr(&out), "\"g1\"") < strstr(rmq_buf_cstr(&out), "\"g2\""));
    rmq_subscription_groups_t b;
    assert_int_equal(rmq_subscription_groups_decode(out.data, out.len, &b, errbuf, sizeof(errbuf)),
                     0);
    assert_true(rmq_data_version_equal(&a.data_version, &b.data_version));
    assert_int_equal(b.ngroups, 2);
    for (size_t i = 0; i < a.ngroups; i++) {
        const rmq_subscription_group_t *x = &a.groups[i], *y = NULL;
        for (size_t k = 0; k < b.ngroups; k++) {
            if (strcmp(b.groups[k].group_name, x->group_name) == 0)
                y = &b.groups[k];
        }
        assert_non_null(y);
        assert_int_equal(x->consume_enable, y->consume_enable);
        assert_int_equal(x->consume_from_min_enable, y->consume_from_min_enable);
        assert_int_equal(x->consume_broadcast_enable, y->consume_broadcast_enable);
        assert_int_equal(x->notify_consumer_ids_changed_enable,
                         y->notify_consumer_ids_changed_enable);
        assert_int_equal(x->retry_queue_nums, y->retry_queue_nums);
        assert_int_equal(x->retry_max_times, y->retry_max_times);
        assert_int_equal(x->broker_id, y->broker_id);
        assert_int_equal(x->which_broker_when_consume_slowly, y->which_broker_when_consume_slowly);
    }
    rmq_buf_free(&out);
    rmq_subscription_groups_free(&a);
    rmq_subscription_groups_free(&b);
}

/* ---- tolerance and errors ---- */

static void test_decode_quoted_keys_and_defaults(void **state)
{
    /* Quoted and bare keys mixed, numbers as strings, nulls, unknown and 5.x
     * properties. */
    static const char co[] = "{\"dataVersion\":{\"counter\":1},\"offsetTable\":{\"T@g\":"
                             "{\"0\":5,1:\"6\",\"2\":null},\"U@g\":null,\"V@g\":{}},\"x\":[1]}";
    rmq_consumer_offsets_t t;
    assert_int_equal(rmq_consumer_offsets_decode(co, strlen(co), &t, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(t.nentries, 2);
    const rmq_consumer_offset_entry_t *e = rmq_consumer_offsets_find(&t, "T@g");
    assert_non_null(e);
    assert_int_equal(e->nqueues, 2);
    assert_int_equal(e->queues[0].id, 0);
    assert_int_equal(e->queues[0].offset, 5);
    assert_int_equal(e->queues[1].id, 1);
    assert_int_equal(e->queues[1].offset, 6);
    e = rmq_consumer_offsets_find(&t, "V@g");
    assert_non_null(e);
    assert_int_equal(e->nqueues, 0);
    rmq_consumer_offsets_free(&t);

    /* The same id written twice keeps the last value. */
    static const char dup[] = "{\"offsetTable\":{\"1\":5,1:6}}";
    rmq_delay_offsets_t d;
    assert_int_equal(rmq_delay_offsets_decode(dup, strlen(dup), &d, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(d.nlevels, 1);
    assert_int_equal(d.levels[0].offset, 6);
    rmq_delay_offsets_free(&d);

    /* No offsetTable at all: empty. */
    assert_int_equal(rmq_delay_offsets_decode("{}", 2, &d, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(d.nlevels, 0);
    assert_int_equal(rmq_consumer_offsets_decode("{}", 2, &t, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(t.nentries, 0);

    /* A group with nothing but unknown 5.x fields takes every default and its
     * name from the table key. */
    static const char sg[] = "{\"subscriptionGroupTable\":{\"gx\":{\"consumeTimeoutMinute\":15,"
                             "\"groupRetryPolicy\":{\"type\":\"CUSTOMIZED\"},\"attributes\":{}}}}";
    rmq_subscription_groups_t s;
    assert_int_equal(rmq_subscription_groups_decode(sg, strlen(sg), &s, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(s.data_version.counter, 0);
    assert_int_equal(s.ngroups, 1);
    rmq_subscription_group_t def;
    rmq_subscription_group_init(&def, "gx");
    assert_string_equal(s.groups[0].group_name, "gx");
    assert_int_equal(s.groups[0].consume_enable, def.consume_enable);
    assert_int_equal(s.groups[0].consume_from_min_enable, def.consume_from_min_enable);
    assert_int_equal(s.groups[0].consume_broadcast_enable, def.consume_broadcast_enable);
    assert_int_equal(s.groups[0].notify_consumer_ids_changed_enable,
                     def.notify_consumer_ids_changed_enable);
    assert_int_equal(s.groups[0].retry_queue_nums, 1);
    assert_int_equal(s.groups[0].retry_max_times, 16);
    assert_int_equal(s.groups[0].broker_id, 0);
    assert_int_equal(s.groups[0].which_broker_when_consume_slowly, 1);
    rmq_subscription_group_free(&def);
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_subscription_groups_encode(&s, &out);
    assert_null(strstr(rmq_buf_cstr(&out), "consumeTimeoutMinute"));
    assert_null(strstr(rmq_buf_cstr(&out), "groupRetryPolicy"));
    rmq_buf_free(&out);
    rmq_subscription_groups_free(&s);
}

static void expect_protocol_error(int rc, const char *needle)
{
    assert_int_equal(rc, ROCKETMQ_ERR__PROTOCOL);
    if (!strstr(errbuf, needle))
        fail_msg("error \"%s\" lacks \"%s\"", errbuf, needle);
}

static void test_decode_wrong_types(void **state)
{
    rmq_consumer_offsets_t t;
    rmq_delay_offsets_t d;
    rmq_subscription_groups_t s;
    const char *j;

    j = "{\"offsetTable\":[]}";
    expect_protocol_error(rmq_consumer_offsets_decode(j, strlen(j), &t, errbuf, sizeof(errbuf)),
                          "ConsumerOffset.offsetTable: expected an object, got array");
    j = "{\"offsetTable\":{\"T@g\":{0:1},\"U@g\":5}}";
    expect_protocol_error(rmq_consumer_offsets_decode(j, strlen(j), &t, errbuf, sizeof(errbuf)),
                          "ConsumerOffset.offsetTable[U@g]: expected an object, got integer");
    assert_int_equal(t.nentries, 0);
    assert_null(t.entries);
    j = "{\"offsetTable\":{\"T@g\":{abc:1}}}";
    expect_protocol_error(rmq_consumer_offsets_decode(j, strlen(j), &t, errbuf, sizeof(errbuf)),
                          "key \"abc\" is not an int");
    j = "{\"offsetTable\":{\"T@g\":{4294967296:1}}}";
    expect_protocol_error(rmq_consumer_offsets_decode(j, strlen(j), &t, errbuf, sizeof(errbuf)),
                          "is not an int");
    j = "{\"offsetTable\":{\"T@g\":{0:true}}}";
    expect_protocol_error(rmq_consumer_offsets_decode(j, strlen(j), &t, errbuf, sizeof(errbuf)),
                          "ConsumerOffset.offsetTable[T@g][0]: expected an integer, got boolean");
    j = "{\"offsetTable\":{1:1.5}}";
    expect_protocol_error(rmq_delay_offsets_decode(j, strlen(j), &d, errbuf, sizeof(errbuf)),
                          "DelayOffset.offsetTable[1]: expected an integer, got real");
    assert_null(d.levels);
    j = "{\"offsetTable\":\"x\"}";
    expect_protocol_error(rmq_delay_offsets_decode(j, strlen(j), &d, errbuf, sizeof(errbuf)),
                          "expected an object, got string");
    j = "[1]";
    expect_protocol_error(rmq_delay_offsets_decode(j, strlen(j), &d, errbuf, sizeof(errbuf)),
                          "DelayOffset: expected an object, got array");
    j = "{\"offsetTable\":{1:2";
    expect_protocol_error(rmq_delay_offsets_decode(j, strlen(j), &d, errbuf, sizeof(errbuf)),
                          "DelayOffset: json:");

    j = "{\"subscriptionGroupTable\":{\"a\":{},\"g\":{\"retryMaxTimes\":\"many\"}}}";
    expect_protocol_error(
        rmq_subscription_groups_decode(j, strlen(j), &s, errbuf, sizeof(errbuf)),
        "SubscriptionGroup.subscriptionGroupTable[g].retryMaxTimes: expected an integer");
    assert_int_equal(s.ngroups, 0);
    assert_null(s.groups);
    j = "{\"subscriptionGroupTable\":{\"g\":{\"consumeEnable\":\"yes\"}}}";
    expect_protocol_error(rmq_subscription_groups_decode(j, strlen(j), &s, errbuf, sizeof(errbuf)),
                          "consumeEnable: expected a boolean, got string");
    j = "{\"subscriptionGroupTable\":{\"g\":[]}}";
    expect_protocol_error(rmq_subscription_groups_decode(j, strlen(j), &s, errbuf, sizeof(errbuf)),
                          "[g]: expected an object, got array");
    j = "{\"dataVersion\":5,\"subscriptionGroupTable\":{}}";
    expect_protocol_error(rmq_subscription_groups_decode(j, strlen(j), &s, errbuf, sizeof(errbuf)),
                          "dataVersion: expected an object, got integer");
    j = "{\"subscriptionGroupTable\":{\"g\":{\"retryQueueNums\":3000000000}}}";
    expect_protocol_error(rmq_subscription_groups_decode(j, strlen(j), &s, errbuf, sizeof(errbuf)),
                          "out of int range");
}

/* ---- load / persist mechanics ---- */

/* A parse callback that accepts only "ok:<text>" and records what it saw. */
typedef struct seen {
    int calls;
    char text[64];
} seen_t;

static int parse_ok(const void *p, size_t n, void *arg, char *err, size_t errlen)
{
    seen_t *s = arg;
    s->calls++;
    if (n < 3 || memcmp(p, "ok:", 3) != 0) {
        snprintf(err, errlen, "not ok");
        return ROCKETMQ_ERR__PROTOCOL;
    }
    snprintf(s->text, sizeof(s->text), "%.*s", (int)(n - 3), (const char *)p + 3);
    return 0;
}

static void test_load_fallback(void **state)
{
    const char *f = path_in_dir("fallback.json");
    const char *bak = path_in_dir("fallback.json.bak");
    rmq_config_source_t src;
    seen_t s;

    /* Both missing: success, nothing parsed. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(rmq_config_file_load(f, parse_ok, &s, &src, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(src, RMQ_CONFIG_FROM_NONE);
    assert_int_equal(s.calls, 0);
    assert_non_null(strstr(errbuf, "no such file"));

    /* Main missing, .bak good. */
    write_text(bak, "ok:bak");
    memset(&s, 0, sizeof(s));
    assert_int_equal(rmq_config_file_load(f, parse_ok, &s, &src, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(src, RMQ_CONFIG_FROM_BAK);
    assert_string_equal(s.text, "bak");

    /* Main good: .bak not looked at. */
    write_text(f, "ok:main");
    memset(&s, 0, sizeof(s));
    assert_int_equal(rmq_config_file_load(f, parse_ok, &s, &src, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(src, RMQ_CONFIG_FROM_FILE);
    assert_int_equal(s.calls, 1);
    assert_string_equal(s.text, "main");
    assert_string_equal(errbuf, "");

    /* Main corrupt: .bak used, err says why. */
    write_text(f, "garbage");
    memset(&s, 0, sizeof(s));
    assert_int_equal(rmq_config_file_load(f, parse_ok, &s, &src, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(src, RMQ_CONFIG_FROM_BAK);
    assert_int_equal(s.calls, 2);
    assert_string_equal(s.text, "bak");
    assert_non_null(strstr(errbuf, "not ok"));

    /* Main empty: .bak used. */
    write_text(f, "");
    memset(&s, 0, sizeof(s));
    assert_int_equal(rmq_config_file_load(f, parse_ok, &s, &src, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(src, RMQ_CONFIG_FROM_BAK);
    assert_int_equal(s.calls, 1);
    assert_non_null(strstr(errbuf, "empty"));

    /* Main corrupt, .bak empty: success with nothing loaded (Java's rule). */
    write_text(f, "garbage");
    write_text(bak, "");
    memset(&s, 0, sizeof(s));
    assert_int_equal(rmq_config_file_load(f, parse_ok, &s, &src, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(src, RMQ_CONFIG_FROM_NONE);
    assert_int_equal(s.calls, 1);

    /* Main missing, .bak corrupt: failure naming both. */
    assert_int_equal(unlink(f), 0);
    write_text(bak, "garbage");
    memset(&s, 0, sizeof(s));
    assert_int_equal(rmq_config_file_load(f, parse_ok, &s, &src, errbuf, sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_non_null(strstr(errbuf, "fallback.json: no such file"));
    assert_non_null(strstr(errbuf, "fallback.json.bak: not ok"));

    /* Both corrupt: failure. */
    write_text(f, "garbage");
    assert_int_equal(rmq_config_file_load(f, parse_ok, &s, NULL, errbuf, sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);

    /* An unreadable .bak (a directory) is an I/O failure. */
    assert_int_equal(unlink(bak), 0);
    assert_int_equal(mkdir(bak, 0755), 0);
    assert_int_equal(rmq_config_file_load(f, parse_ok, &s, NULL, errbuf, sizeof(errbuf)),
                     ROCKETMQ_ERR__IO);
    assert_int_equal(rmdir(bak), 0);
    unlink(f);
}

static void test_typed_load_fallback(void **state)
{
    const char *f = path_in_dir("consumerOffset.json");
    const char *bak = path_in_dir("consumerOffset.json.bak");
    rmq_consumer_offsets_t t;
    rmq_config_source_t src;

    /* Both missing: empty. */
    assert_int_equal(rmq_consumer_offsets_file_load(f, &t, &src, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(src, RMQ_CONFIG_FROM_NONE);
    assert_int_equal(t.nentries, 0);

    /* Main corrupt (truncated mid-write), .bak holds the example. */
    write_text(f, "{\"offsetTable\":{\"TopicTest@g\":{0:2");
    write_text(bak, CONSUMER_OFFSET_JSON);
    assert_int_equal(rmq_consumer_offsets_file_load(f, &t, &src, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(src, RMQ_CONFIG_FROM_BAK);
    assert_int_equal(t.nentries, 3);
    assert_non_null(strstr(errbuf, "ConsumerOffset: json:"));
    rmq_consumer_offsets_free(&t);

    /* Main with a wrong type also falls back. */
    write_text(f, "{\"offsetTable\":{\"TopicTest@g\":{0:\"x\"}}}");
    assert_int_equal(rmq_consumer_offsets_file_load(f, &t, &src, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(src, RMQ_CONFIG_FROM_BAK);
    assert_int_equal(t.nentries, 3);
    rmq_consumer_offsets_free(&t);

    /* Main missing, .bak corrupt: failure, nothing left allocated. */
    assert_int_equal(unlink(f), 0);
    write_text(bak, "{\"offsetTable\":{\"A@g\":{0:1},\"B@g\":7}}");
    assert_int_equal(rmq_consumer_offsets_file_load(f, &t, &src, errbuf, sizeof(errbuf)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_int_equal(t.nentries, 0);
    assert_null(t.entries);
    assert_non_null(strstr(errbuf, "consumerOffset.json.bak: ConsumerOffset.offsetTable[B@g]"));
    unlink(bak);

    /* The other files the same way. */
    const char *tf = path_in_dir("topics.json");
    rmq_register_broker_body_t topics;
    write_text(tf, "{");
    write_text(path_in_dir("topics.json.bak"), TOPICS_JSON);
    assert_int_equal(rmq_topics_file_load(tf, &topics, &src, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(src, RMQ_CONFIG_FROM_BAK);
    assert_int_equal(topics.ntopics, 1);
    rmq_register_broker_body_free(&topics);

    const char *sf = path_in_dir("subscriptionGroup.json");
    rmq_subscription_groups_t groups;
    write_text(path_in_dir("subscriptionGroup.json.bak"), SUBSCRIPTION_GROUP_JSON);
    assert_int_equal(rmq_subscription_groups_file_load(sf, &groups, &src, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(src, RMQ_CONFIG_FROM_BAK);
    assert_int_equal(groups.ngroups, 1);
    rmq_subscription_groups_free(&groups);

    const char *df = path_in_dir("delayOffset.json");
    rmq_delay_offsets_t d;
    write_text(df, DELAY_OFFSET_JSON);
    write_text(path_in_dir("delayOffset.json.bak"), "corrupt");
    assert_int_equal(rmq_delay_offsets_file_load(df, &d, &src, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(src, RMQ_CONFIG_FROM_FILE);
    assert_int_equal(d.nlevels, 3);
    rmq_delay_offsets_free(&d);
}

static void test_persist_keeps_bak(void **state)
{
    const char *f = path_in_dir("sub/dir/delayOffset.json");
    const char *bak = path_in_dir("sub/dir/delayOffset.json.bak");

    /* First write: parent directories created, no previous content. */
    rmq_delay_offsets_t d = {0};
    rmq_delay_offsets_put(&d, 1, 37);
    assert_int_equal(rmq_delay_offsets_file_persist(f, &d), 0);
    char *text = read_text(f);
    assert_string_equal(text, "{\"offsetTable\":{1:37}}");
    free(text);
    assert_false(file_exists(bak));
    assert_false(file_exists(path_in_dir("sub/dir/delayOffset.json.tmp")));

    /* Second write: the first content moves to .bak. */
    rmq_delay_offsets_put(&d, 2, 5);
    assert_int_equal(rmq_delay_offsets_file_persist(f, &d), 0);
    text = read_text(f);
    assert_string_equal(text, "{\"offsetTable\":{1:37,2:5}}");
    free(text);
    text = read_text(bak);
    assert_string_equal(text, "{\"offsetTable\":{1:37}}");
    free(text);

    /* Third write: .bak replaced by the second content. */
    rmq_delay_offsets_put(&d, 1, 40);
    assert_int_equal(rmq_delay_offsets_file_persist(f, &d), 0);
    text = read_text(f);
    assert_string_equal(text, "{\"offsetTable\":{1:40,2:5}}");
    free(text);
    text = read_text(bak);
    assert_string_equal(text, "{\"offsetTable\":{1:37,2:5}}");
    free(text);
    assert_false(file_exists(path_in_dir("sub/dir/delayOffset.json.tmp")));

    /* .bak is a separate file: rewriting the main file leaves it alone. */
    assert_int_equal(rmq_config_file_persist(f, "x", 1), 0);
    text = read_text(bak);
    assert_string_equal(text, "{\"offsetTable\":{1:40,2:5}}");
    free(text);

    /* What was persisted loads back; the corrupt "x" falls back to .bak. */
    rmq_delay_offsets_t back;
    rmq_config_source_t src;
    assert_int_equal(rmq_delay_offsets_file_load(f, &back, &src, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(src, RMQ_CONFIG_FROM_BAK);
    int64_t off;
    assert_true(rmq_delay_offsets_get(&back, 1, &off));
    assert_int_equal(off, 40);
    rmq_delay_offsets_free(&back);
    rmq_delay_offsets_free(&d);

    /* A path under a regular file cannot be written. */
    write_text(path_in_dir("plain"), "x");
    assert_int_equal(rmq_config_file_persist(path_in_dir("plain/x.json"), "{}", 2),
                     ROCKETMQ_ERR__IO);
}

static void test_persist_round_trip_files(void **state)
{
    rmq_config_source_t src;

    rmq_register_broker_body_t topics, topics2;
    assert_int_equal(rmq_topic_config_wrapper_decode(TOPICS_JSON, strlen(TOPICS_JSON), &topics,
                                                     errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(rmq_topics_file_persist(path_in_dir("rt/topics.json"), &topics), 0);
    assert_int_equal(rmq_topics_file_load(path_in_dir("rt/topics.json"), &topics2, &src, errbuf,
                                          sizeof(errbuf)),
                     0);
    assert_int_equal(src, RMQ_CONFIG_FROM_FILE);
    assert_int_equal(topics2.ntopics, 1);
    assert_int_equal(topics2.topics[0].read_queue_nums, 4);
    rmq_register_broker_body_free(&topics);
    rmq_register_broker_body_free(&topics2);

    rmq_consumer_offsets_t co, co2;
    assert_int_equal(rmq_consumer_offsets_decode(CONSUMER_OFFSET_JSON, strlen(CONSUMER_OFFSET_JSON),
                                                 &co, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(rmq_consumer_offsets_file_persist(path_in_dir("rt/consumerOffset.json"), &co),
                     0);
    char *text = read_text(path_in_dir("rt/consumerOffset.json"));
    /* fastjson style on disk: bare integer keys. */
    assert_non_null(strstr(text, "\"TopicTest@please_rename_unique_group_name\":"
                                 "{0:250,1:249,2:250,3:250}"));
    assert_null(strstr(text, "\"0\""));
    free(text);
    assert_int_equal(rmq_consumer_offsets_file_load(path_in_dir("rt/consumerOffset.json"), &co2,
                                                    &src, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(src, RMQ_CONFIG_FROM_FILE);
    assert_int_equal(co2.nentries, 3);
    rmq_consumer_offsets_free(&co);
    rmq_consumer_offsets_free(&co2);

    rmq_subscription_groups_t sg, sg2;
    assert_int_equal(rmq_subscription_groups_decode(SUBSCRIPTION_GROUP_JSON,
                                                    strlen(SUBSCRIPTION_GROUP_JSON), &sg, errbuf,
                                                    sizeof(errbuf)),
                     0);
    assert_int_equal(
        rmq_subscription_groups_file_persist(path_in_dir("rt/subscriptionGroup.json"), &sg), 0);
    assert_int_equal(rmq_subscription_groups_file_load(path_in_dir("rt/subscriptionGroup.json"),
                                                       &sg2, &src, errbuf, sizeof(errbuf)),
                     0);
    assert_int_equal(src, RMQ_CONFIG_FROM_FILE);
    assert_int_equal(sg2.ngroups, 1);
    assert_string_equal(sg2.groups[0].group_name, "myGroup");
    assert_int_equal(sg2.data_version.counter, 3);
    rmq_subscription_groups_free(&sg);
    rmq_subscription_groups_free(&sg2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_topics_example),
        cmocka_unit_test(test_decode_consumer_offset_example),
        cmocka_unit_test(test_decode_delay_offset_example),
        cmocka_unit_test(test_decode_subscription_group_example),
        cmocka_unit_test(test_encode_offsets_fastjson_style),
        cmocka_unit_test(test_encode_topics_wrapper),
        cmocka_unit_test(test_encode_subscription_groups),
        cmocka_unit_test(test_round_trip_topics),
        cmocka_unit_test(test_round_trip_consumer_offsets),
        cmocka_unit_test(test_round_trip_delay_offsets),
        cmocka_unit_test(test_round_trip_subscription_groups),
        cmocka_unit_test(test_decode_quoted_keys_and_defaults),
        cmocka_unit_test(test_decode_wrong_types),
        cmocka_unit_test(test_load_fallback),
        cmocka_unit_test(test_typed_load_fallback),
        cmocka_unit_test(test_persist_keeps_bak),
        cmocka_unit_test(test_persist_round_trip_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
