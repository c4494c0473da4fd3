/* TopicPublishInfo: route -> write queues (protocol.md 9.4), queue selection
 * with and without the latency fault strategy (9.5), and the route copy and
 * comparison (topicRouteDataIsChange). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "client/fault.h"
#include "client/publish_info.h"
#include "protocol/bodies.h"

/* ---- route builders ---- */

static void add_qd(rmq_topic_route_t *r, const char *name, int perm, int rq, int wq)
{
    r->queue_datas = rmq_realloc(r->queue_datas, (r->nqueue_datas + 1) * sizeof(*r->queue_datas));
    rmq_queue_data_t *q = &r->queue_datas[r->nqueue_datas++];
    memset(q, 0, sizeof(*q));
    q->broker_name = rmq_strdup(name);
    q->perm = perm;
    q->read_queue_nums = rq;
    q->write_queue_nums = wq;
}

/* A broker with a master (id 0) and a slave (id 1), or only the slave. */
static void add_bd(rmq_topic_route_t *r, const char *name, bool master)
{
    r->broker_datas =
        rmq_realloc(r->broker_datas, (r->nbroker_datas + 1) * sizeof(*r->broker_datas));
    rmq_broker_data_t *bd = &r->broker_datas[r->nbroker_datas++];
    memset(bd, 0, sizeof(*bd));
    bd->cluster = rmq_strdup("DefaultCluster");
    bd->broker_name = rmq_strdup(name);
    char addr[64];
    if (master) {
        snprintf(addr, sizeof(addr), "10.0.0.1:%d", (int)strlen(name) + 10911);
        rmq_broker_data_set_addr(bd, 0, addr);
    }
    snprintf(addr, sizeof(addr), "10.0.0.2:%d", (int)strlen(name) + 10911);
    rmq_broker_data_set_addr(bd, 1, addr);
}

static void add_filter(rmq_topic_route_t *r, const char *addr, const char *s1, const char *s2)
{
    size_t n = r->nfilter_servers + 1;
    r->filter_server_addrs = rmq_realloc(r->filter_server_addrs, n * sizeof(char *));
    r->filter_server_lists = rmq_realloc(r->filter_server_lists, n * sizeof(char **));
    char **list = rmq_calloc(3, sizeof(char *));
    size_t k = 0;
    if (s1)
        list[k++] = rmq_strdup(s1);
    if (s2)
        list[k++] = rmq_strdup(s2);
    r->filter_server_addrs[n - 1] = rmq_strdup(addr);
    r->filter_server_lists[n - 1] = list;
    r->nfilter_servers = n;
}

/* brokerC (2 queues), brokerA (3), brokerB read only, brokerD without a
 * master, brokerE without broker data, brokerF write only (1). */
static void make_route(rmq_topic_route_t *r)
{
    memset(r, 0, sizeof(*r));
    add_qd(r, "brokerC", RMQ_PERM_READ | RMQ_PERM_WRITE, 2, 2);
    add_qd(r, "brokerA", RMQ_PERM_READ | RMQ_PERM_WRITE, 3, 3);
    add_qd(r, "brokerB", RMQ_PERM_READ, 4, 4);
    add_qd(r, "brokerD", RMQ_PERM_READ | RMQ_PERM_WRITE, 2, 2);
    add_qd(r, "brokerE", RMQ_PERM_READ | RMQ_PERM_WRITE, 1, 1);
    add_qd(r, "brokerF", RMQ_PERM_WRITE, 1, 1);
    add_bd(r, "brokerF", true);
    add_bd(r, "brokerD", false);
    add_bd(r, "brokerC", true);
    add_bd(r, "brokerB", true);
    add_bd(r, "brokerA", true);
}

static void assert_mq(const rocketmq_message_queue_t *mq, const char *topic, const char *broker,
                      int qid)
{
    assert_string_equal(mq->topic, topic);
    assert_string_equal(mq->broker_name, broker);
    assert_int_equal(mq->queue_id, qid);
}

/* ---- building ---- */

static void test_build_from_route(void **state)
{
    (void)state;
    rmq_topic_route_t r;
    make_route(&r);
    rmq_publish_info_t *pi = rmq_publish_info_new("TopicTest", &r);
    rmq_topic_route_free(&r); /* the info keeps its own copy */
    assert_non_null(pi);
    assert_false(pi->order_topic);
    assert_int_equal(pi->nmqs, 6);
    assert_mq(&pi->mqs[0], "TopicTest", "brokerA", 0);
    assert_mq(&pi->mqs[1], "TopicTest", "brokerA", 1);
    assert_mq(&pi->mqs[2], "TopicTest", "brokerA", 2);
    assert_mq(&pi->mqs[3], "TopicTest", "brokerC", 0);
    assert_mq(&pi->mqs[4], "TopicTest", "brokerC", 1);
    assert_mq(&pi->mqs[5], "TopicTest", "brokerF", 0);
    assert_int_equal(pi->route.nqueue_datas, 6);
    assert_int_equal(pi->route.nbroker_datas, 5);

    rmq_publish_info_ref(pi);
    rmq_publish_info_unref(pi);
    assert_int_equal(atomic_load(&pi->refs), 1);
    rmq_publish_info_unref(pi);
}

static void test_build_order_topic_conf(void **state)
{
    (void)state;
    rmq_topic_route_t r;
    make_route(&r);
    r.order_topic_conf = rmq_strdup("brokerA:4;brokerB:8");
    rmq_publish_info_t *pi = rmq_publish_info_new("OrderTopic", &r);
    assert_true(pi->order_topic);
    assert_int_equal(pi->nmqs, 12);
    for (int i = 0; i < 4; i++)
        assert_mq(&pi->mqs[i], "OrderTopic", "brokerA", i);
    for (int i = 0; i < 8; i++)
        assert_mq(&pi->mqs[4 + i], "OrderTopic", "brokerB", i);
    rmq_publish_info_unref(pi);

    /* Trailing ';' is fine; items Java would throw on are skipped. */
    free(r.order_topic_conf);
    r.order_topic_conf = rmq_strdup("x;brokerB:2;brokerC:y;brokerZ:-1;");
    pi = rmq_publish_info_new("OrderTopic", &r);
    assert_true(pi->order_topic);
    assert_int_equal(pi->nmqs, 2);
    assert_mq(&pi->mqs[0], "OrderTopic", "brokerB", 0);
    assert_mq(&pi->mqs[1], "OrderTopic", "brokerB", 1);
    rmq_publish_info_unref(pi);

    /* An empty conf counts as absent. */
    free(r.order_topic_conf);
    r.order_topic_conf = rmq_strdup("");
    pi = rmq_publish_info_new("OrderTopic", &r);
    assert_false(pi->order_topic);
    assert_int_equal(pi->nmqs, 6);
    rmq_publish_info_unref(pi);
    rmq_topic_route_free(&r);
}

static void test_build_long_names(void **state)
{
    (void)state;
    char longname[ROCKETMQ_BROKER_NAME_MAX + 2];
    memset(longname, 'b', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    rmq_topic_route_t r;
    memset(&r, 0, sizeof(r));
    add_qd(&r, longname, 6, 2, 2);
    add_qd(&r, "ok", 6, 1, 1);
    add_bd(&r, longname, true);
    add_bd(&r, "ok", true);
    rmq_publish_info_t *pi = rmq_publish_info_new("T", &r);
    assert_int_equal(pi->nmqs, 1);
    assert_mq(&pi->mqs[0], "T", "ok", 0);
    rmq_publish_info_unref(pi);

    char longtopic[ROCKETMQ_TOPIC_MAX + 2];
    memset(longtopic, 't', sizeof(longtopic) - 1);
    longtopic[sizeof(longtopic) - 1] = '\0';
    pi = rmq_publish_info_new(longtopic, &r);
    assert_int_equal(pi->nmqs, 0);
    rmq_publish_info_unref(pi);
    rmq_topic_route_free(&r);
}

static void test_write_queue_nums(void **state)
{
    (void)state;
    rmq_topic_route_t r;
    make_route(&r);
    rmq_publish_info_t *pi = rmq_publish_info_new("T", &r);
    assert_int_equal(rmq_publish_info_write_queue_nums(pi, "brokerA"), 3);
    assert_int_equal(rmq_publish_info_write_queue_nums(pi, "brokerC"), 2);
    assert_int_equal(rmq_publish_info_write_queue_nums(pi, "brokerF"), 1);
    assert_int_equal(rmq_publish_info_write_queue_nums(pi, "brokerB"), -1); /* read only */
    /* getQueueIdByBroker reads the queue datas only: no master check. */
    assert_int_equal(rmq_publish_info_write_queue_nums(pi, "brokerD"), 2);
    assert_int_equal(rmq_publish_info_write_queue_nums(pi, "nobody"), -1);
    assert_int_equal(rmq_publish_info_write_queue_nums(pi, NULL), -1);
    rmq_publish_info_unref(pi);
    rmq_topic_route_free(&r);
}

/* ---- selection without the fault strategy ---- */

static size_t mq_index(const rmq_publish_info_t *pi, const rocketmq_message_queue_t *mq)
{
    for (size_t i = 0; i < pi->nmqs; i++) {
        if (strcmp(pi->mqs[i].broker_name, mq->broker_name) == 0
            && pi->mqs[i].queue_id == mq->queue_id && strcmp(pi->mqs[i].topic, mq->topic) == 0)
            return i;
    }
    fail_msg("queue %s/%d is not in the list", mq->broker_name, mq->queue_id);
    return 0;
}

static void test_select_round_robin(void **state)
{
    (void)state;
    rmq_topic_route_t r;
    make_route(&r);
    rmq_publish_info_t *pi = rmq_publish_info_new("T", &r);
    enum { K = 500 };
    size_t counts[6] = {0};
    for (size_t i = 0; i < pi->nmqs * K; i++) {
        rocketmq_message_queue_t mq;
        rmq_select_queue(pi, NULL, &mq);
        counts[mq_index(pi, &mq)]++;
    }
    /* Consecutive indices: exactly K each, unless the counter wrapped at
     * 2^31 in between, which shifts one queue by one. */
    for (size_t i = 0; i < pi->nmqs; i++)
        assert_true(counts[i] >= K - 1 && counts[i] <= K + 1);
    rmq_publish_info_unref(pi);
    rmq_topic_route_free(&r);
}

static void test_select_avoids_last_broker(void **state)
{
    (void)state;
    rmq_topic_route_t r;
    make_route(&r);
    rmq_publish_info_t *pi = rmq_publish_info_new("T", &r);
    bool seen_c = false, seen_f = false;
    for (int i = 0; i < 1000; i++) {
        rocketmq_message_queue_t mq;
        rmq_select_queue(pi, "brokerA", &mq);
        assert_string_not_equal(mq.broker_name, "brokerA");
        seen_c |= strcmp(mq.broker_name, "brokerC") == 0;
        seen_f |= strcmp(mq.broker_name, "brokerF") == 0;
        (void)mq_index(pi, &mq);
    }
    assert_true(seen_c && seen_f);
    rmq_publish_info_unref(pi);
    rmq_topic_route_free(&r);

    /* Only the last broker exists: one of its queues all the same. */
    memset(&r, 0, sizeof(r));
    add_qd(&r, "brokerA", 6, 2, 2);
    add_bd(&r, "brokerA", true);
    pi = rmq_publish_info_new("T", &r);
    for (int i = 0; i < 10; i++) {
        rocketmq_message_queue_t mq;
        rmq_select_queue(pi, "brokerA", &mq);
        assert_string_equal(mq.broker_name, "brokerA");
        assert_true(mq.queue_id >= 0 && mq.queue_id < 2);
    }
    rmq_publish_info_unref(pi);
    rmq_topic_route_free(&r);
}

/* ---- selection with the fault strategy ---- */

static void test_fault_select_skips_unavailable(void **state)
{
    (void)state;
    rmq_topic_route_t r;
    make_route(&r);
    rmq_publish_info_t *pi = rmq_publish_info_new("T", &r);
    rmq_fault_t *f = rmq_fault_new();
    const int64_t now = 1000000;

    /* Empty table: plain round robin over every queue. */
    size_t counts[6] = {0};
    for (size_t i = 0; i < 600; i++) {
        rocketmq_message_queue_t mq;
        rmq_select_queue_fault(pi, f, NULL, now, &mq);
        counts[mq_index(pi, &mq)]++;
    }
    for (size_t i = 0; i < 6; i++)
        assert_true(counts[i] > 0);

    rmq_fault_update(f, "brokerA", 5000, false, now); /* out for 600 s */
    rmq_fault_update(f, "brokerC", 20, false, now);   /* fine */
    for (int i = 0; i < 1000; i++) {
        rocketmq_message_queue_t mq;
        rmq_select_queue_fault(pi, f, "brokerC", now + 1, &mq);
        assert_string_not_equal(mq.broker_name, "brokerA");
        (void)mq_index(pi, &mq);
    }
    /* After the window brokerA is back. */
    bool seen_a = false;
    for (int i = 0; i < 100; i++) {
        rocketmq_message_queue_t mq;
        rmq_select_queue_fault(pi, f, NULL, now + 600000, &mq);
        seen_a |= strcmp(mq.broker_name, "brokerA") == 0;
    }
    assert_true(seen_a);
    rmq_fault_free(f);
    rmq_publish_info_unref(pi);
    rmq_topic_route_free(&r);
}

static void test_fault_select_fallback(void **state)
{
    (void)state;
    rmq_topic_route_t r;
    make_route(&r);
    rmq_publish_info_t *pi = rmq_publish_info_new("T", &r);
    rocketmq_message_queue_t before[6];
    memcpy(before, pi->mqs, sizeof(before));
    rmq_fault_t *f = rmq_fault_new();
    const int64_t now = 1000000;

    /* Everything out; three entries (half = 1): the one with the lowest
     * latency, brokerC, is picked, with a queue id below its 2 write queues.
     * Each such call draws the send index three times, as Java's does, so
     * the id alternates between 0 and 1. */
    rmq_fault_update(f, "brokerA", 1200, false, now);
    rmq_fault_update(f, "brokerC", 600, false, now);
    rmq_fault_update(f, "brokerF", 2500, false, now);
    bool ids[2] = {false, false};
    for (int i = 0; i < 200; i++) {
        rocketmq_message_queue_t mq;
        rmq_select_queue_fault(pi, f, NULL, now + 1, &mq);
        assert_string_equal(mq.topic, "T");
        assert_string_equal(mq.broker_name, "brokerC");
        assert_true(mq.queue_id >= 0 && mq.queue_id < 2);
        ids[mq.queue_id] = true;
    }
    assert_true(ids[0] && ids[1]);
    /* The result is a copy: the list is as it was. */
    assert_memory_equal(before, pi->mqs, sizeof(before));

    rmq_fault_free(f);
    rmq_publish_info_unref(pi);
    rmq_topic_route_free(&r);
}

static void test_fault_select_removes_broker_without_write_queues(void **state)
{
    (void)state;
    /* brokerA writable (2 queues), brokerB read only, brokerZ writable with
     * 0 write queues. */
    rmq_topic_route_t r;
    memset(&r, 0, sizeof(r));
    add_qd(&r, "brokerA", 6, 2, 2);
    add_qd(&r, "brokerB", 4, 2, 2);
    add_qd(&r, "brokerZ", 6, 0, 0);
    add_bd(&r, "brokerA", true);
    add_bd(&r, "brokerB", true);
    add_bd(&r, "brokerZ", true);
    rmq_publish_info_t *pi = rmq_publish_info_new("T", &r);
    assert_int_equal(pi->nmqs, 2);
    rmq_fault_t *f = rmq_fault_new();
    const int64_t now = 1000000;
    rocketmq_message_queue_t mq;

    /* Two entries (half 0: the first after sorting), brokerA out: the best
     * entry is picked, has no write queues in this route, is removed, and
     * the pick falls back to round robin. */
    static const char *const victims[] = {"brokerB", "brokerZ", "gone"};
    rmq_fault_update(f, "brokerA", 5000, false, now);
    for (size_t i = 0; i < sizeof(victims) / sizeof(victims[0]); i++) {
        rmq_fault_update(f, victims[i], 600, false, now);
        assert_false(rmq_fault_available(f, victims[i], now + 1));
        rmq_select_queue_fault(pi, f, NULL, now + 1, &mq);
        assert_string_equal(mq.broker_name, "brokerA");
        assert_true(mq.queue_id >= 0 && mq.queue_id < 2);
        assert_true(rmq_fault_available(f, victims[i], now + 1)); /* entry gone */
        assert_false(rmq_fault_available(f, "brokerA", now + 1)); /* kept */
    }

    rmq_fault_free(f);
    rmq_publish_info_unref(pi);
    rmq_topic_route_free(&r);
}

/* ---- route copy and comparison ---- */

static void reverse_route(rmq_topic_route_t *r)
{
    for (size_t i = 0, j = r->nqueue_datas; j > 0 && i < --j; i++) {
        rmq_queue_data_t t = r->queue_datas[i];
        r->queue_datas[i] = r->queue_datas[j];
        r->queue_datas[j] = t;
    }
    for (size_t i = 0, j = r->nbroker_datas; j > 0 && i < --j; i++) {
        rmq_broker_data_t t = r->broker_datas[i];
        r->broker_datas[i] = r->broker_datas[j];
        r->broker_datas[j] = t;
    }
}

static void test_route_copy_equal(void **state)
{
    (void)state;
    rmq_topic_route_t a, b;
    make_route(&a);
    add_filter(&a, "10.0.0.1:10911", "10.0.0.9:1", "10.0.0.9:2");
    add_filter(&a, "10.0.0.2:10911", NULL, NULL);
    rmq_topic_route_copy(&b, &a);
    assert_true(rmq_topic_route_equal(&a, &b));
    /* Deep: the copy has its own strings. */
    assert_ptr_not_equal(a.queue_datas[0].broker_name, b.queue_datas[0].broker_name);
    assert_ptr_not_equal(a.broker_datas[0].addrs, b.broker_datas[0].addrs);
    assert_ptr_not_equal(a.filter_server_lists[0], b.filter_server_lists[0]);

    /* Order does not matter (lists and the filter table). */
    reverse_route(&b);
    char *k = b.filter_server_addrs[0];
    b.filter_server_addrs[0] = b.filter_server_addrs[1];
    b.filter_server_addrs[1] = k;
    char **l = b.filter_server_lists[0];
    b.filter_server_lists[0] = b.filter_server_lists[1];
    b.filter_server_lists[1] = l;
    assert_true(rmq_topic_route_equal(&a, &b));
    assert_true(rmq_topic_route_equal(&b, &a));

    /* The cluster is not part of BrokerData.equals. */
    free(b.broker_datas[0].cluster);
    b.broker_datas[0].cluster = rmq_strdup("OtherCluster");
    assert_true(rmq_topic_route_equal(&a, &b));

    /* A queue count changes. */
    b.queue_datas[2].write_queue_nums++;
    assert_false(rmq_topic_route_equal(&a, &b));
    b.queue_datas[2].write_queue_nums--;
    b.queue_datas[2].read_queue_nums++;
    assert_false(rmq_topic_route_equal(&a, &b));
    b.queue_datas[2].read_queue_nums--;
    b.queue_datas[2].perm ^= RMQ_PERM_WRITE;
    assert_false(rmq_topic_route_equal(&a, &b));
    b.queue_datas[2].perm ^= RMQ_PERM_WRITE;
    assert_true(rmq_topic_route_equal(&a, &b));

    /* A broker address changes, or a slave goes away. */
    rmq_broker_data_set_addr(&b.broker_datas[1], 1, "10.9.9.9:10911");
    assert_false(rmq_topic_route_equal(&a, &b));
    rmq_broker_data_set_addr(&b.broker_datas[1], 1, NULL);
    assert_false(rmq_topic_route_equal(&a, &b));
    rmq_topic_route_free(&b);

    /* orderTopicConf: absent vs empty vs set. */
    rmq_topic_route_copy(&b, &a);
    b.order_topic_conf = rmq_strdup("");
    assert_false(rmq_topic_route_equal(&a, &b));
    a.order_topic_conf = rmq_strdup("brokerA:4");
    assert_false(rmq_topic_route_equal(&a, &b));
    free(b.order_topic_conf);
    b.order_topic_conf = rmq_strdup("brokerA:4");
    assert_true(rmq_topic_route_equal(&a, &b));

    /* Filter servers: list order matters, a missing list equals an empty one. */
    char *s = b.filter_server_lists[0][0];
    b.filter_server_lists[0][0] = b.filter_server_lists[0][1];
    b.filter_server_lists[0][1] = s;
    assert_false(rmq_topic_route_equal(&a, &b));
    b.filter_server_lists[0][1] = b.filter_server_lists[0][0];
    b.filter_server_lists[0][0] = s;
    assert_true(rmq_topic_route_equal(&a, &b));
    free(b.filter_server_lists[1]); /* the empty list */
    b.filter_server_lists[1] = NULL;
    assert_true(rmq_topic_route_equal(&a, &b));
    add_filter(&b, "10.0.0.3:10911", "x", NULL);
    assert_false(rmq_topic_route_equal(&a, &b));
    rmq_topic_route_free(&b);

    /* Empty routes. */
    rmq_topic_route_t e1, e2;
    memset(&e1, 0, sizeof(e1));
    rmq_topic_route_copy(&e2, &e1);
    assert_true(rmq_topic_route_equal(&e1, &e2));
    assert_false(rmq_topic_route_equal(&a, &e2));
    rmq_topic_route_free(&e2);

    rmq_topic_route_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_from_route),
        cmocka_unit_test(test_build_order_topic_conf),
        cmocka_unit_test(test_build_long_names),
        cmocka_unit_test(test_write_queue_nums),
        cmocka_unit_test(test_select_round_robin),
        cmocka_unit_test(test_select_avoids_last_broker),
        cmocka_unit_test(test_fault_select_skips_unavailable),
        cmocka_unit_test(test_fault_select_fallback),
        cmocka_unit_test(test_fault_select_removes_broker_without_write_queues),
        cmocka_unit_test(test_route_copy_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
