/* The broker's table managers: topics (built-ins, auto-creation on send from
 * TBW102, retry and DLQ topics, admin updates, snapshot, order topics),
 * subscription groups and consumer offsets, each persisted to its config file
 * and read back by a new manager over the same files. */
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
#include "base/map.h"
#include "base/mem.h"
#include "broker/broker_int.h"
#include "rocketmq/error.h"

static char g_dir[64];
static char errbuf[1024];

/* ---- helpers ---- */

static const char *path_in_dir(const char *name)
{
    static char paths[4][128];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof(paths[0]), "%s/%s", g_dir, name);
    return p;
}

#define TOPICS_PATH path_in_dir("config/topics.json")
#define GROUPS_PATH path_in_dir("config/subscriptionGroup.json")
#define OFFSETS_PATH path_in_dir("config/consumerOffset.json")

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
    snprintf(g_dir, sizeof(g_dir), "/tmp/test_broker_mgrs_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    return nftw(g_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void config(rmq_broker_config_t *cfg, bool auto_create)
{
    rmq_broker_config_defaults(cfg);
    assert_int_equal(rmq_broker_config_set(cfg, "brokerName", "broker-a", NULL, 0), 0);
    assert_int_equal(
        rmq_broker_config_set(cfg, "autoCreateTopicEnable", auto_create ? "true" : "false", NULL,
                              0),
        0);
}

static rmq_topic_mgr_t *open_topics(bool auto_create)
{
    rmq_broker_config_t cfg;
    config(&cfg, auto_create);
    rmq_topic_mgr_t *tm = rmq_topic_mgr_open(&cfg, TOPICS_PATH, errbuf, sizeof(errbuf));
    rmq_broker_config_free(&cfg);
    assert_non_null(tm);
    return tm;
}

static void assert_topic(rmq_topic_mgr_t *tm, const char *name, int32_t queues, int32_t perm)
{
    const rmq_topic_config_t *tc = rmq_topic_mgr_get(tm, name);
    assert_non_null(tc);
    assert_string_equal(tc->topic_name, name);
    assert_int_equal(tc->read_queue_nums, queues);
    assert_int_equal(tc->write_queue_nums, queues);
    assert_int_equal(tc->perm, perm);
}

static int64_t counter(rmq_topic_mgr_t *tm)
{
    return rmq_topic_mgr_data_version(tm)->counter;
}

static void assert_same_tables(const rmq_register_broker_body_t *a,
                               const rmq_register_broker_body_t *b)
{
    assert_true(rmq_data_version_equal(&a->data_version, &b->data_version));
    assert_int_equal(a->ntopics, b->ntopics);
    for (size_t i = 0; i < a->ntopics; i++) {
        const rmq_topic_config_t *x = &a->topics[i], *y = &b->topics[i];
        assert_string_equal(x->topic_name, y->topic_name);
        assert_int_equal(x->read_queue_nums, y->read_queue_nums);
        assert_int_equal(x->write_queue_nums, y->write_queue_nums);
        assert_int_equal(x->perm, y->perm);
        assert_string_equal(x->topic_filter_type, y->topic_filter_type);
        assert_int_equal(x->topic_sys_flag, y->topic_sys_flag);
        assert_int_equal(x->order, y->order);
    }
}

/* ---- topics ---- */

static void test_topic_builtins(void **state)
{
    rmq_topic_mgr_t *tm = open_topics(true);
    assert_topic(tm, "SELF_TEST_TOPIC", 1, 6);
    assert_topic(tm, "TBW102", 8, 7);
    assert_topic(tm, "BenchmarkTest", 1024, 6);
    assert_topic(tm, "DefaultCluster", 16, 7);
    assert_topic(tm, "broker-a", 1, 7);
    assert_topic(tm, "OFFSET_MOVED_EVENT", 1, 6);
    assert_topic(tm, "SCHEDULE_TOPIC_XXXX", 18, 6);
    assert_topic(tm, "DefaultCluster_REPLY_TOPIC", 1, 6);
    assert_null(rmq_topic_mgr_get(tm, "TopicTest"));
    assert_int_equal(counter(tm), 0);
    assert_true(rmq_topic_mgr_data_version(tm)->timestamp > 0);
    /* Nothing is written until something changes. */
    assert_false(file_exists(TOPICS_PATH));
    rmq_topic_mgr_free(tm);

    tm = open_topics(false);
    assert_null(rmq_topic_mgr_get(tm, "TBW102"));
    assert_topic(tm, "SELF_TEST_TOPIC", 1, 6);
    rmq_topic_mgr_free(tm);
}

static void test_topic_create_on_send(void **state)
{
    rmq_topic_mgr_t *tm = open_topics(true);
    bool created = false;
    const rmq_topic_config_t *tc = rmq_topic_mgr_create_on_send(tm, "TopicA", "TBW102", 4, 0,
                                                                &created);
    assert_non_null(tc);
    assert_true(created);
    assert_topic(tm, "TopicA", 4, 6);
    assert_string_equal(tc->topic_filter_type, "SINGLE_TAG");
    assert_false(tc->order);
    assert_int_equal(counter(tm), 1);
    char *text = read_text(TOPICS_PATH);
    assert_non_null(strstr(text, "\"TopicA\""));
    assert_non_null(strstr(text, "\"TBW102\""));
    free(text);

    /* Existing topic: returned as is, nothing created. */
    assert_ptr_equal(rmq_topic_mgr_create_on_send(tm, "TopicA", "TBW102", 16, 0, &created), tc);
    assert_false(created);
    assert_int_equal(counter(tm), 1);

    /* min(requested, TBW102's write queues), never below 0; sys flag kept. */
    assert_non_null(rmq_topic_mgr_create_on_send(tm, "TopicB", "TBW102", 100, 1, &created));
    assert_true(created);
    assert_topic(tm, "TopicB", 8, 6);
    assert_int_equal(rmq_topic_mgr_get(tm, "TopicB")->topic_sys_flag, 1);
    assert_non_null(rmq_topic_mgr_create_on_send(tm, "TopicC", "TBW102", -3, 0, &created));
    assert_topic(tm, "TopicC", 0, 6);
    assert_int_equal(counter(tm), 3);

    /* The filter type comes from the default topic. */
    rmq_topic_config_t def;
    rmq_topic_config_init(&def, "MyDefault");
    def.perm = 7;
    def.write_queue_nums = 2;
    free(def.topic_filter_type);
    def.topic_filter_type = rmq_strdup("MULTI_TAG");
    assert_int_equal(rmq_topic_mgr_update(tm, &def), 0);
    rmq_topic_config_free(&def);
    tc = rmq_topic_mgr_create_on_send(tm, "TopicD", "MyDefault", 4, 0, &created);
    assert_non_null(tc);
    assert_topic(tm, "TopicD", 2, 6);
    assert_string_equal(tc->topic_filter_type, "MULTI_TAG");

    /* No default topic, or one without INHERIT. */
    assert_null(rmq_topic_mgr_create_on_send(tm, "TopicE", "NoSuchTopic", 4, 0, &created));
    assert_false(created);
    assert_null(rmq_topic_mgr_create_on_send(tm, "TopicE", "SELF_TEST_TOPIC", 4, 0, &created));
    assert_false(created);
    assert_null(rmq_topic_mgr_get(tm, "TopicE"));
    rmq_topic_mgr_free(tm);
}

static void test_topic_create_refused_without_auto_create(void **state)
{
    /* A topics.json written while auto-creation was on still holds TBW102. */
    rmq_topic_mgr_t *tm = open_topics(true);
    bool created;
    assert_non_null(rmq_topic_mgr_create_on_send(tm, "TopicA", "TBW102", 4, 0, &created));
    rmq_topic_mgr_free(tm);

    tm = open_topics(false);
    assert_topic(tm, "TBW102", 8, 6);
    assert_non_null(rmq_topic_mgr_get(tm, "TopicA"));
    int64_t before = counter(tm);
    assert_null(rmq_topic_mgr_create_on_send(tm, "TopicB", "TBW102", 4, 0, &created));
    assert_false(created);
    assert_null(rmq_topic_mgr_get(tm, "TopicB"));
    assert_int_equal(counter(tm), before);

    /* Even a TBW102 given INHERIT back by an admin update cannot be used. */
    rmq_topic_config_t tbw;
    rmq_topic_config_init(&tbw, "TBW102");
    tbw.perm = 7;
    assert_int_equal(rmq_topic_mgr_update(tm, &tbw), 0);
    rmq_topic_config_free(&tbw);
    assert_null(rmq_topic_mgr_create_on_send(tm, "TopicB", "TBW102", 4, 0, &created));
    assert_topic(tm, "TBW102", 16, 6);
    rmq_topic_mgr_free(tm);

    /* No TBW102 at all. */
    assert_int_equal(unlink(TOPICS_PATH), 0);
    assert_int_equal(unlink(path_in_dir("config/topics.json.bak")), 0);
    tm = open_topics(false);
    assert_null(rmq_topic_mgr_create_on_send(tm, "TopicB", "TBW102", 4, 0, &created));
    rmq_topic_mgr_free(tm);
}

static void test_topic_retry_and_dlq(void **state)
{
    rmq_topic_mgr_t *tm = open_topics(false);
    bool created = false;
    /* Not inheritable, but a retry topic is created anyway (msgCheck). */
    const rmq_topic_config_t *tc = rmq_topic_mgr_create_on_send(tm, "%RETRY%g1", "TBW102", 4, 0,
                                                                &created);
    assert_non_null(tc);
    assert_true(created);
    assert_topic(tm, "%RETRY%g1", 1, 6);
    assert_int_equal(counter(tm), 1);

    tc = rmq_topic_mgr_create_on_send_back(tm, "%DLQ%g1", 1, RMQ_PERM_READ | RMQ_PERM_WRITE, 0,
                                           &created);
    assert_non_null(tc);
    assert_true(created);
    assert_topic(tm, "%DLQ%g1", 1, 6);
    assert_int_equal(counter(tm), 2);
    assert_ptr_equal(rmq_topic_mgr_create_on_send_back(tm, "%DLQ%g1", 4, 2, 0, &created), tc);
    assert_false(created);
    assert_int_equal(counter(tm), 2);

    tc = rmq_topic_mgr_create_on_send_back(tm, "%RETRY%g2", 3, 2, 2, &created);
    assert_true(created);
    assert_topic(tm, "%RETRY%g2", 3, 2);
    assert_int_equal(tc->topic_sys_flag, 2);

    char *text = read_text(TOPICS_PATH);
    assert_non_null(strstr(text, "\"%RETRY%g1\""));
    assert_non_null(strstr(text, "\"%DLQ%g1\""));
    free(text);
    rmq_topic_mgr_free(tm);
}

static void test_topic_update_delete_persist(void **state)
{
    rmq_topic_mgr_t *tm = open_topics(true);
    rmq_topic_config_t tc;
    rmq_topic_config_init(&tc, "TopicTest");
    tc.read_queue_nums = 4;
    tc.write_queue_nums = 4;
    assert_int_equal(rmq_topic_mgr_update(tm, &tc), 0);
    assert_int_equal(counter(tm), 1);
    assert_topic(tm, "TopicTest", 4, 6);

    tc.write_queue_nums = 2;
    tc.perm = RMQ_PERM_READ;
    tc.topic_sys_flag = 1;
    assert_int_equal(rmq_topic_mgr_update(tm, &tc), 0);
    rmq_topic_config_free(&tc);
    assert_int_equal(counter(tm), 2);
    assert_int_equal(rmq_topic_mgr_get(tm, "TopicTest")->write_queue_nums, 2);
    assert_int_equal(rmq_topic_mgr_get(tm, "TopicTest")->perm, RMQ_PERM_READ);

    rmq_topic_config_init(&tc, "Gone");
    assert_int_equal(rmq_topic_mgr_update(tm, &tc), 0);
    rmq_topic_config_free(&tc);
    assert_int_equal(rmq_topic_mgr_delete(tm, "Gone"), 0);
    assert_null(rmq_topic_mgr_get(tm, "Gone"));
    assert_int_equal(counter(tm), 4);
    /* Unknown topic: success, no change. */
    assert_int_equal(rmq_topic_mgr_delete(tm, "NoSuchTopic"), 0);
    assert_int_equal(counter(tm), 4);

    char *text = read_text(TOPICS_PATH);
    assert_non_null(strstr(text, "\"topicConfigTable\""));
    assert_non_null(strstr(text, "\"TopicTest\""));
    assert_null(strstr(text, "\"Gone\""));
    assert_non_null(strstr(text, "\"counter\":4"));
    free(text);
    assert_true(file_exists(path_in_dir("config/topics.json.bak")));

    /* A new manager over the same file has the same table and version. */
    rmq_register_broker_body_t before, after;
    rmq_topic_mgr_snapshot(tm, &before);
    rmq_topic_mgr_free(tm);
    tm = open_topics(true);
    rmq_topic_mgr_snapshot(tm, &after);
    assert_same_tables(&before, &after);
    assert_int_equal(counter(tm), 4);
    rmq_register_broker_body_free(&before);
    rmq_register_broker_body_free(&after);

    /* Falls back to the .bak when the file is damaged. */
    FILE *f = fopen(TOPICS_PATH, "w");
    assert_non_null(f);
    fputs("{not json", f);
    fclose(f);
    rmq_topic_mgr_free(tm);
    tm = open_topics(true);
    assert_non_null(rmq_topic_mgr_get(tm, "TopicTest"));
    assert_int_equal(counter(tm), 3); /* the .bak is one change older */
    rmq_topic_mgr_free(tm);
}

static void test_topic_open_fails_on_bad_files(void **state)
{
    rmq_topic_mgr_t *tm = open_topics(true);
    rmq_topic_config_t tc;
    rmq_topic_config_init(&tc, "TopicTest");
    rmq_topic_mgr_update(tm, &tc);
    rmq_topic_mgr_update(tm, &tc);
    rmq_topic_config_free(&tc);
    rmq_topic_mgr_free(tm);
    FILE *f = fopen(TOPICS_PATH, "w");
    fputs("[1]", f);
    fclose(f);
    f = fopen(path_in_dir("config/topics.json.bak"), "w");
    fputs("{", f);
    fclose(f);

    rmq_broker_config_t cfg;
    config(&cfg, true);
    errbuf[0] = '\0';
    assert_null(rmq_topic_mgr_open(&cfg, TOPICS_PATH, errbuf, sizeof(errbuf)));
    assert_true(errbuf[0] != '\0');
    rmq_broker_config_free(&cfg);
}

static void test_topic_snapshot(void **state)
{
    rmq_topic_mgr_t *tm = open_topics(true);
    bool created;
    rmq_topic_mgr_create_on_send(tm, "TopicA", "TBW102", 4, 0, &created);
    rmq_register_broker_body_t snap;
    rmq_topic_mgr_snapshot(tm, &snap);
    assert_true(rmq_data_version_equal(&snap.data_version, rmq_topic_mgr_data_version(tm)));
    assert_int_equal(snap.ntopics, 9);
    bool seen = false;
    for (size_t i = 0; i < snap.ntopics; i++) {
        if (i > 0)
            assert_true(strcmp(snap.topics[i - 1].topic_name, snap.topics[i].topic_name) < 0);
        if (strcmp(snap.topics[i].topic_name, "TopicA") == 0) {
            seen = true;
            assert_int_equal(snap.topics[i].perm, 6);
            /* A deep copy: the table is not shared. */
            assert_ptr_not_equal(snap.topics[i].topic_name,
                                 rmq_topic_mgr_get(tm, "TopicA")->topic_name);
        }
    }
    assert_true(seen);
    rmq_register_broker_body_free(&snap);
    rmq_topic_mgr_free(tm);

    /* A read-only broker announces its permission for every topic. */
    rmq_broker_config_t cfg;
    config(&cfg, true);
    assert_int_equal(rmq_broker_config_set(&cfg, "brokerPermission", "4", NULL, 0), 0);
    tm = rmq_topic_mgr_open(&cfg, TOPICS_PATH, errbuf, sizeof(errbuf));
    rmq_broker_config_free(&cfg);
    assert_non_null(tm);
    rmq_topic_mgr_snapshot(tm, &snap);
    assert_int_equal(snap.ntopics, 9);
    for (size_t i = 0; i < snap.ntopics; i++)
        assert_int_equal(snap.topics[i].perm, 4);
    rmq_register_broker_body_free(&snap);
    /* ... but keeps its own perms. */
    assert_topic(tm, "TopicA", 4, 6);
    rmq_topic_mgr_free(tm);
}

static void test_topic_order_topics(void **state)
{
    rmq_topic_mgr_t *tm = open_topics(true);
    bool created;
    rmq_topic_mgr_create_on_send(tm, "OrderA", "TBW102", 4, 0, &created);
    rmq_topic_mgr_create_on_send(tm, "OrderB", "TBW102", 4, 0, &created);
    int64_t before = counter(tm);

    /* No table from the name server: nothing changes. */
    rmq_topic_mgr_set_order_topics(tm, NULL);
    rmq_map_t *kv = rmq_map_new();
    rmq_topic_mgr_set_order_topics(tm, kv);
    assert_int_equal(counter(tm), before);

    rmq_smap_put(kv, "OrderA", rmq_strdup("broker-a:4"));
    rmq_smap_put(kv, "OrderB", rmq_strdup("broker-a:4"));
    rmq_smap_put(kv, "NotHere", rmq_strdup("broker-b:4"));
    rmq_topic_mgr_set_order_topics(tm, kv);
    assert_true(rmq_topic_mgr_get(tm, "OrderA")->order);
    assert_true(rmq_topic_mgr_get(tm, "OrderB")->order);
    assert_false(rmq_topic_mgr_get(tm, "TBW102")->order);
    assert_null(rmq_topic_mgr_get(tm, "NotHere"));
    assert_int_equal(counter(tm), before + 1);

    /* Same table again: no change, no version bump. */
    rmq_topic_mgr_set_order_topics(tm, kv);
    assert_int_equal(counter(tm), before + 1);

    /* A topic no longer listed stops being an order topic (updateOrderTopicConfig). */
    free(rmq_smap_del(kv, "OrderB"));
    rmq_topic_mgr_set_order_topics(tm, kv);
    assert_true(rmq_topic_mgr_get(tm, "OrderA")->order);
    assert_false(rmq_topic_mgr_get(tm, "OrderB")->order);
    assert_int_equal(counter(tm), before + 2);
    rmq_map_free(kv, free);
    rmq_topic_mgr_free(tm);

    tm = open_topics(true);
    assert_true(rmq_topic_mgr_get(tm, "OrderA")->order);
    rmq_topic_mgr_free(tm);
}

/* ---- subscription groups ---- */

static rmq_subgroup_mgr_t *open_groups(bool auto_create)
{
    rmq_subgroup_mgr_t *sm = rmq_subgroup_mgr_open(GROUPS_PATH, auto_create, errbuf,
                                                   sizeof(errbuf));
    assert_non_null(sm);
    return sm;
}

static void assert_default_group(const rmq_subscription_group_t *g, const char *name)
{
    assert_non_null(g);
    assert_string_equal(g->group_name, name);
    assert_true(g->consume_enable);
    assert_true(g->consume_from_min_enable);
    assert_true(g->consume_broadcast_enable);
    assert_true(g->notify_consumer_ids_changed_enable);
    assert_int_equal(g->retry_queue_nums, 1);
    assert_int_equal(g->retry_max_times, 16);
    assert_int_equal(g->broker_id, 0);
    assert_int_equal(g->which_broker_when_consume_slowly, 1);
}

static void test_subgroup_builtins_and_auto_create(void **state)
{
    static const char *const builtins[] = {
        "TOOLS_CONSUMER",  "FILTERSRV_CONSUMER",    "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY",
        "CID_ONSAPI_PULL", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER",
    };
    rmq_subgroup_mgr_t *sm = open_groups(true);
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
        assert_default_group(rmq_subgroup_mgr_find(sm, builtins[i]), builtins[i]);
    assert_false(file_exists(GROUPS_PATH));

    const rmq_subscription_group_t *g = rmq_subgroup_mgr_find(sm, "myGroup");
    assert_default_group(g, "myGroup");
    assert_ptr_equal(rmq_subgroup_mgr_find(sm, "myGroup"), g);
    char *text = read_text(GROUPS_PATH);
    assert_non_null(strstr(text, "\"myGroup\""));
    assert_non_null(strstr(text, "\"TOOLS_CONSUMER\""));
    assert_non_null(strstr(text, "\"counter\":1"));
    free(text);
    rmq_subgroup_mgr_free(sm);

    /* Without auto-creation only CID_RMQ_SYS_ groups are made. */
    sm = open_groups(false);
    assert_default_group(rmq_subgroup_mgr_find(sm, "myGroup"), "myGroup");
    assert_null(rmq_subgroup_mgr_find(sm, "otherGroup"));
    assert_default_group(rmq_subgroup_mgr_find(sm, "CID_RMQ_SYS_TRANS"), "CID_RMQ_SYS_TRANS");
    rmq_subgroup_mgr_free(sm);

    sm = open_groups(false);
    assert_non_null(rmq_subgroup_mgr_find(sm, "CID_RMQ_SYS_TRANS"));
    rmq_subgroup_mgr_free(sm);
}

static void test_subgroup_update_delete_encode(void **state)
{
    rmq_subgroup_mgr_t *sm = open_groups(false);
    rmq_subscription_group_t g;
    rmq_subscription_group_init(&g, "g1");
    g.retry_max_times = 3;
    g.consume_enable = false;
    assert_int_equal(rmq_subgroup_mgr_update(sm, &g), 0);
    rmq_subscription_group_free(&g);
    const rmq_subscription_group_t *found = rmq_subgroup_mgr_find(sm, "g1");
    assert_non_null(found);
    assert_int_equal(found->retry_max_times, 3);
    assert_false(found->consume_enable);

    rmq_subscription_group_init(&g, "g2");
    assert_int_equal(rmq_subgroup_mgr_update(sm, &g), 0);
    rmq_subscription_group_free(&g);
    assert_int_equal(rmq_subgroup_mgr_delete(sm, "g2"), 0);
    assert_null(rmq_subgroup_mgr_find(sm, "g2"));
    assert_int_equal(rmq_subgroup_mgr_delete(sm, "g2"), 0);

    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_subgroup_mgr_encode(sm, &out);
    rmq_subscription_groups_t decoded;
    assert_int_equal(rmq_subscription_groups_decode(out.data, out.len, &decoded, errbuf,
                                                    sizeof(errbuf)),
                     0);
    assert_int_equal(decoded.ngroups, 8);
    assert_int_equal(decoded.data_version.counter, 3);
    rmq_subscription_groups_free(&decoded);
    rmq_buf_free(&out);
    rmq_subgroup_mgr_free(sm);

    sm = open_groups(false);
    found = rmq_subgroup_mgr_find(sm, "g1");
    assert_non_null(found);
    assert_int_equal(found->retry_max_times, 3);
    assert_false(found->consume_enable);
    assert_null(rmq_subgroup_mgr_find(sm, "g2"));
    rmq_buf_init(&out);
    rmq_subgroup_mgr_encode(sm, &out);
    assert_non_null(strstr(rmq_buf_cstr(&out), "\"counter\":3"));
    rmq_buf_free(&out);
    rmq_subgroup_mgr_free(sm);
}

/* ---- consumer offsets ---- */

static rmq_offset_mgr_t *open_offsets(void)
{
    rmq_offset_mgr_t *om = rmq_offset_mgr_open(OFFSETS_PATH, errbuf, sizeof(errbuf));
    assert_non_null(om);
    return om;
}

static void test_offsets_commit_query_persist(void **state)
{
    rmq_offset_mgr_t *om = open_offsets();
    assert_int_equal(rmq_offset_mgr_query(om, "g1", "TopicA", 0), -1);
    /* Nothing committed: nothing written. */
    assert_int_equal(rmq_offset_mgr_persist(om), 0);
    assert_false(file_exists(OFFSETS_PATH));

    rmq_offset_mgr_commit(om, "g1", "TopicA", 1, 249);
    rmq_offset_mgr_commit(om, "g1", "TopicA", 0, 250);
    rmq_offset_mgr_commit(om, "g2", "TopicA", 0, 7);
    rmq_offset_mgr_commit(om, "g1", "%RETRY%g1", 0, 0);
    assert_int_equal(rmq_offset_mgr_query(om, "g1", "TopicA", 0), 250);
    assert_int_equal(rmq_offset_mgr_query(om, "g1", "TopicA", 1), 249);
    assert_int_equal(rmq_offset_mgr_query(om, "g1", "TopicA", 2), -1);
    assert_int_equal(rmq_offset_mgr_query(om, "g3", "TopicA", 0), -1);
    /* Going back is stored too (offset reset). */
    rmq_offset_mgr_commit(om, "g2", "TopicA", 0, 3);
    assert_int_equal(rmq_offset_mgr_query(om, "g2", "TopicA", 0), 3);
    assert_false(file_exists(OFFSETS_PATH));

    assert_int_equal(rmq_offset_mgr_persist(om), 0);
    char *text = read_text(OFFSETS_PATH);
    assert_string_equal(text, "{\"offsetTable\":{\"%RETRY%g1@g1\":{0:0},"
                              "\"TopicA@g1\":{0:250,1:249},\"TopicA@g2\":{0:3}}}");
    free(text);

    /* Not dirty: the file is not written again. */
    assert_int_equal(unlink(OFFSETS_PATH), 0);
    assert_int_equal(rmq_offset_mgr_persist(om), 0);
    assert_false(file_exists(OFFSETS_PATH));
    rmq_offset_mgr_commit(om, "g1", "TopicA", 2, 10);
    assert_int_equal(rmq_offset_mgr_persist(om), 0);
    assert_true(file_exists(OFFSETS_PATH));
    rmq_offset_mgr_free(om);

    om = open_offsets();
    assert_int_equal(rmq_offset_mgr_query(om, "g1", "TopicA", 0), 250);
    assert_int_equal(rmq_offset_mgr_query(om, "g1", "TopicA", 2), 10);
    assert_int_equal(rmq_offset_mgr_query(om, "g2", "TopicA", 0), 3);
    assert_int_equal(rmq_offset_mgr_query(om, "g1", "%RETRY%g1", 0), 0);
    rmq_offset_mgr_free(om);
}

/* DELETE_SUBSCRIPTIONGROUP with removeOffset: only that group's entries go. */
static void test_offsets_remove_group(void **state)
{
    (void)state;
    rmq_offset_mgr_t *om = open_offsets();
    rmq_offset_mgr_commit(om, "g1", "TopicA", 0, 5);
    rmq_offset_mgr_commit(om, "g1", "TopicB", 0, 6);
    rmq_offset_mgr_commit(om, "g2", "TopicA", 0, 7);
    assert_int_equal(rmq_offset_mgr_remove_group(om, "g1"), 2);
    assert_int_equal(rmq_offset_mgr_query(om, "g1", "TopicA", 0), -1);
    assert_int_equal(rmq_offset_mgr_query(om, "g1", "TopicB", 0), -1);
    assert_int_equal(rmq_offset_mgr_query(om, "g2", "TopicA", 0), 7);
    assert_int_equal(rmq_offset_mgr_remove_group(om, "nobody"), 0);
    assert_int_equal(rmq_offset_mgr_persist(om), 0);
    char *text = read_text(OFFSETS_PATH);
    assert_string_equal(text, "{\"offsetTable\":{\"TopicA@g2\":{0:7}}}");
    free(text);
    rmq_offset_mgr_free(om);
}

static void test_offsets_load_java_file(void **state)
{
    /* broker.md 1.9's example, as fastjson writes it. */
    static const char JAVA[] =
        "{\n"
        "\t\"offsetTable\":{\n"
        "\t\t\"TopicTest@please_rename_unique_group_name\":{0:250,1:249,2:250,3:250},\n"
        "\t\t\"RMQ_SYS_TRANS_HALF_TOPIC@CID_RMQ_SYS_TRANS\":{0:12}\n"
        "\t}\n"
        "}\n";
    assert_int_equal(rmq_file_write_atomic(OFFSETS_PATH, JAVA, strlen(JAVA)), 0);
    rmq_offset_mgr_t *om = open_offsets();
    assert_int_equal(rmq_offset_mgr_query(om, "please_rename_unique_group_name", "TopicTest", 3),
                     250);
    assert_int_equal(rmq_offset_mgr_query(om, "CID_RMQ_SYS_TRANS", "RMQ_SYS_TRANS_HALF_TOPIC", 0),
                     12);
    rmq_offset_mgr_free(om);
}

typedef struct collected {
    char text[512];
    size_t len;
} collected_t;

static void collect_offset(const char *topic, int32_t queue_id, int64_t offset, void *arg)
{
    collected_t *c = arg;
    c->len += (size_t)snprintf(c->text + c->len, sizeof(c->text) - c->len, "%s/%d=%lld;", topic,
                               queue_id, (long long)offset);
}

static void collect_group(const char *group, void *arg)
{
    collected_t *c = arg;
    c->len += (size_t)snprintf(c->text + c->len, sizeof(c->text) - c->len, "%s;", group);
}

static void test_offsets_foreach(void **state)
{
    rmq_offset_mgr_t *om = open_offsets();
    rmq_offset_mgr_commit(om, "g1", "TopicB", 3, 30);
    rmq_offset_mgr_commit(om, "g1", "TopicA", 1, 11);
    rmq_offset_mgr_commit(om, "g1", "TopicA", 0, 10);
    rmq_offset_mgr_commit(om, "g2", "TopicA", 0, 5);
    rmq_offset_mgr_commit(om, "g10", "TopicC", 0, 1);

    collected_t c = {"", 0};
    rmq_offset_mgr_foreach_of_group(om, "g1", collect_offset, &c);
    assert_string_equal(c.text, "TopicA/0=10;TopicA/1=11;TopicB/3=30;");
    c.len = 0;
    c.text[0] = '\0';
    rmq_offset_mgr_foreach_of_group(om, "nobody", collect_offset, &c);
    assert_string_equal(c.text, "");

    rmq_offset_mgr_groups_of_topic(om, "TopicA", collect_group, &c);
    assert_string_equal(c.text, "g1;g2;");
    c.len = 0;
    c.text[0] = '\0';
    rmq_offset_mgr_groups_of_topic(om, "Topic", collect_group, &c);
    assert_string_equal(c.text, "");
    rmq_offset_mgr_groups_of_topic(om, "TopicC", collect_group, &c);
    assert_string_equal(c.text, "g10;");
    rmq_offset_mgr_free(om);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_topic_builtins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_topic_create_on_send, setup, teardown),
        cmocka_unit_test_setup_teardown(test_topic_create_refused_without_auto_create, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_topic_retry_and_dlq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_topic_update_delete_persist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_topic_open_fails_on_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_topic_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_topic_order_topics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subgroup_builtins_and_auto_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subgroup_update_delete_encode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offsets_commit_query_persist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offsets_load_java_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offsets_remove_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offsets_foreach, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
