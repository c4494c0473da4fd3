/* Name-server route table (protocol.md section 7), driven through its API
 * directly: registration rules (masters only, data versions, promotion),
 * removal paths (unregister, connection close, expiry), the read-side
 * queries and the administrative edits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "namesrv/route_table.h"
#include "protocol/bodies.h"
#include "rocketmq/error.h"

#define ADDR_A0 "10.0.0.1:10911"
#define ADDR_A1 "10.0.0.2:10911"
#define ADDR_B0 "10.0.0.3:10911"
#define ADDR_C0 "10.0.0.4:10911"
#define HA_A0 "10.0.0.1:10912"
#define HA_A1 "10.0.0.2:10912"

#define TIMEOUT_DEFAULT 120000

/* ---- helpers ---- */

typedef struct topic_spec {
    const char *name;
    int32_t queues; /* read and write */
    int32_t perm;
    int32_t sys_flag;
} topic_spec_t;

/* A register body with data version {counter, timestamp 1000 + counter}. */
static void body_init(rmq_register_broker_body_t *b, int64_t counter, const topic_spec_t *specs,
                      size_t n)
{
    memset(b, 0, sizeof(*b));
    b->data_version.counter = counter;
    b->data_version.timestamp = 1000 + counter;
    for (size_t i = 0; i < n; i++) {
        rmq_topic_config_t tc;
        rmq_topic_config_init(&tc, specs[i].name);
        tc.read_queue_nums = specs[i].queues;
        tc.write_queue_nums = specs[i].queues;
        tc.perm = specs[i].perm;
        tc.topic_sys_flag = specs[i].sys_flag;
        rmq_register_broker_body_add_topic(b, &tc);
        rmq_topic_config_free(&tc);
    }
}

/* Registers and frees both the body and the result; for callers that do not
 * look at the result. */
static void reg_simple(rmq_route_table_t *rt, const char *cluster, const char *name,
                       const char *addr, int64_t id, uint64_t conn, int64_t counter,
                       const topic_spec_t *specs, size_t n, int64_t now)
{
    rmq_broker_reg_t reg = {cluster, name, addr, NULL, id, conn, TIMEOUT_DEFAULT};
    rmq_register_broker_body_t body;
    rmq_register_result_t res;
    body_init(&body, counter, specs, n);
    rmq_route_table_register(rt, &reg, &body, now, &res);
    rmq_register_result_free(&res);
    rmq_register_broker_body_free(&body);
}

static bool has_route(const rmq_route_table_t *rt, const char *topic)
{
    rmq_topic_route_t r;
    int rc = rmq_route_table_get_route(rt, topic, &r);
    rmq_topic_route_free(&r);
    return rc == 0;
}

/* The QueueData of broker_name in topic's route; fails the test if absent. */
static rmq_queue_data_t queue_data_of(const rmq_route_table_t *rt, const char *topic,
                                      const char *broker_name)
{
    rmq_topic_route_t r;
    assert_int_equal(rmq_route_table_get_route(rt, topic, &r), 0);
    rmq_queue_data_t out;
    bool found = false;
    memset(&out, 0, sizeof(out));
    for (size_t i = 0; i < r.nqueue_datas; i++) {
        if (strcmp(r.queue_datas[i].broker_name, broker_name) == 0) {
            out = r.queue_datas[i];
            out.broker_name = NULL; /* freed with the route */
            found = true;
        }
    }
    rmq_topic_route_free(&r);
    assert_true(found);
    return out;
}

static void assert_topics(const rmq_topic_list_t *tl, const char *const *want, size_t n)
{
    assert_int_equal(tl->ntopics, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(tl->topics[i], want[i]);
}

#define ASSERT_TOPICS(tl, ...)                                                                    \
    do {                                                                                          \
        static const char *const want_[] = {__VA_ARGS__};                                         \
        assert_topics((tl), want_, sizeof(want_) / sizeof(want_[0]));                              \
    } while (0)

/* ---- registration ---- */

static void test_register_master_and_slave(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t master_topics[] = {{"TopicA", 4, 6, 0}};
    static const topic_spec_t slave_topics[] = {{"TopicA", 4, 6, 0}, {"OnlySlave", 2, 6, 0}};

    /* A slave that comes up before its master learns no master yet. */
    rmq_broker_reg_t sreg = {"C1", "broker-a", ADDR_A1, HA_A1, 1, 2, TIMEOUT_DEFAULT};
    rmq_register_broker_body_t body;
    rmq_register_result_t res;
    body_init(&body, 1, slave_topics, 2);
    rmq_route_table_register(rt, &sreg, &body, 100, &res);
    assert_null(res.master_addr);
    assert_null(res.ha_server_addr);
    rmq_register_result_free(&res);
    rmq_register_broker_body_free(&body);
    /* Slaves never contribute queue data. */
    assert_false(has_route(rt, "TopicA"));
    assert_false(has_route(rt, "OnlySlave"));

    rmq_broker_reg_t mreg = {"C1", "broker-a", ADDR_A0, HA_A0, 0, 1, TIMEOUT_DEFAULT};
    body_init(&body, 1, master_topics, 1);
    rmq_route_table_register(rt, &mreg, &body, 100, &res);
    assert_null(res.master_addr); /* masters get no master address back */
    assert_null(res.ha_server_addr);
    rmq_register_result_free(&res);
    rmq_register_broker_body_free(&body);

    /* The slave's next registration is told its master and the master's HA address. */
    body_init(&body, 1, slave_topics, 2);
    rmq_route_table_register(rt, &sreg, &body, 200, &res);
    assert_non_null(res.master_addr);
    assert_string_equal(res.master_addr, ADDR_A0);
    assert_non_null(res.ha_server_addr);
    assert_string_equal(res.ha_server_addr, HA_A0);
    rmq_register_result_free(&res);
    assert_null(res.master_addr);
    rmq_register_broker_body_free(&body);

    rmq_topic_route_t r;
    assert_int_equal(rmq_route_table_get_route(rt, "TopicA", &r), 0);
    assert_int_equal(r.nqueue_datas, 1);
    assert_string_equal(r.queue_datas[0].broker_name, "broker-a");
    assert_int_equal(r.queue_datas[0].read_queue_nums, 4);
    assert_int_equal(r.queue_datas[0].write_queue_nums, 4);
    assert_int_equal(r.queue_datas[0].perm, 6);
    assert_int_equal(r.nbroker_datas, 1);
    assert_string_equal(r.broker_datas[0].cluster, "C1");
    assert_string_equal(r.broker_datas[0].broker_name, "broker-a");
    assert_int_equal(r.broker_datas[0].naddrs, 2);
    assert_int_equal(r.broker_datas[0].addrs[0].broker_id, 0);
    assert_string_equal(r.broker_datas[0].addrs[0].addr, ADDR_A0);
    assert_int_equal(r.broker_datas[0].addrs[1].broker_id, 1);
    assert_string_equal(r.broker_datas[0].addrs[1].addr, ADDR_A1);
    assert_int_equal(r.nfilter_servers, 0);
    assert_null(r.order_topic_conf);
    rmq_topic_route_free(&r);
    /* The slave's extra topic still has no route. */
    assert_false(has_route(rt, "OnlySlave"));

    rmq_route_table_free(rt);
}

static void test_register_without_ha_addr(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, NULL, 0, 0);
    rmq_broker_reg_t sreg = {"C1", "broker-a", ADDR_A1, NULL, 1, 2, TIMEOUT_DEFAULT};
    rmq_register_broker_body_t body;
    rmq_register_result_t res;
    body_init(&body, 1, NULL, 0);
    rmq_route_table_register(rt, &sreg, &body, 0, &res);
    assert_string_equal(res.master_addr, ADDR_A0);
    /* A master that sent no HA address is recorded with an empty one. */
    assert_non_null(res.ha_server_addr);
    assert_string_equal(res.ha_server_addr, "");
    rmq_register_result_free(&res);
    rmq_register_broker_body_free(&body);
    rmq_route_table_free(rt);
}

static void test_data_version_rule(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t v1[] = {{"T", 4, 6, 0}};
    static const topic_spec_t v1_changed[] = {{"T", 8, 6, 0}, {"New", 1, 6, 0}};

    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, v1, 1, 0);
    assert_int_equal(queue_data_of(rt, "T", "broker-a").read_queue_nums, 4);

    /* Same data version: the topic table is taken as unchanged. */
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, v1_changed, 2, 10);
    assert_int_equal(queue_data_of(rt, "T", "broker-a").read_queue_nums, 4);
    assert_false(has_route(rt, "New"));

    /* A new data version replaces the queue data. */
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 2, v1_changed, 2, 20);
    rmq_queue_data_t qd = queue_data_of(rt, "T", "broker-a");
    assert_int_equal(qd.read_queue_nums, 8);
    assert_int_equal(qd.write_queue_nums, 8);
    assert_true(has_route(rt, "New"));

    /* A topic that disappears from the broker's table is not removed (4.9.8). */
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 3, v1, 1, 30);
    assert_int_equal(queue_data_of(rt, "T", "broker-a").read_queue_nums, 4);
    assert_true(has_route(rt, "New"));

    /* A version differing only in the 5.x stateVersion is a change too. */
    rmq_broker_reg_t reg = {"C1", "broker-a", ADDR_A0, NULL, 0, 1, TIMEOUT_DEFAULT};
    rmq_register_broker_body_t body;
    rmq_register_result_t res;
    body_init(&body, 3, v1_changed, 2);
    body.data_version.state_version = 7;
    rmq_route_table_register(rt, &reg, &body, 40, &res);
    rmq_register_result_free(&res);
    rmq_register_broker_body_free(&body);
    assert_int_equal(queue_data_of(rt, "T", "broker-a").read_queue_nums, 8);

    rmq_route_table_free(rt);
}

/* The master's own queue data is replaced wholesale per broker name; other
 * brokers' queue data of the same topic are untouched. */
static void test_queue_data_per_broker_name(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t a[] = {{"T", 4, 6, 0}};
    static const topic_spec_t b[] = {{"T", 2, 4, 0}};
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, a, 1, 0);
    reg_simple(rt, "C1", "broker-b", ADDR_B0, 0, 2, 1, b, 1, 0);

    rmq_topic_route_t r;
    assert_int_equal(rmq_route_table_get_route(rt, "T", &r), 0);
    assert_int_equal(r.nqueue_datas, 2);
    assert_int_equal(r.nbroker_datas, 2);
    /* Sorted by broker name, queue data and broker data alike. */
    assert_string_equal(r.queue_datas[0].broker_name, "broker-a");
    assert_int_equal(r.queue_datas[0].read_queue_nums, 4);
    assert_string_equal(r.queue_datas[1].broker_name, "broker-b");
    assert_int_equal(r.queue_datas[1].read_queue_nums, 2);
    assert_int_equal(r.queue_datas[1].perm, 4);
    assert_string_equal(r.broker_datas[0].broker_name, "broker-a");
    assert_string_equal(r.broker_datas[1].broker_name, "broker-b");
    assert_string_equal(r.broker_datas[1].addrs[0].addr, ADDR_B0);
    rmq_topic_route_free(&r);
    rmq_route_table_free(rt);
}

static void test_filter_servers(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t t[] = {{"T", 4, 6, 0}};
    rmq_broker_reg_t reg = {"C1", "broker-a", ADDR_A0, NULL, 0, 1, TIMEOUT_DEFAULT};
    rmq_register_broker_body_t body;
    rmq_register_result_t res;
    body_init(&body, 1, t, 1);
    body.filter_servers = calloc(2, sizeof(char *));
    body.filter_servers[0] = strdup("10.0.0.9:30000");
    body.filter_servers[1] = strdup("10.0.0.9:30001");
    body.nfilter_servers = 2;
    rmq_route_table_register(rt, &reg, &body, 0, &res);
    rmq_register_result_free(&res);
    rmq_register_broker_body_free(&body);

    rmq_topic_route_t r;
    assert_int_equal(rmq_route_table_get_route(rt, "T", &r), 0);
    assert_int_equal(r.nfilter_servers, 1);
    assert_string_equal(r.filter_server_addrs[0], ADDR_A0);
    assert_string_equal(r.filter_server_lists[0][0], "10.0.0.9:30000");
    assert_string_equal(r.filter_server_lists[0][1], "10.0.0.9:30001");
    assert_null(r.filter_server_lists[0][2]);
    rmq_topic_route_free(&r);

    /* An empty list on the next registration removes them. */
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, t, 1, 10);
    assert_int_equal(rmq_route_table_get_route(rt, "T", &r), 0);
    assert_int_equal(r.nfilter_servers, 0);
    rmq_topic_route_free(&r);
    rmq_route_table_free(rt);
}

/* A slave re-registering its address as master (id 0) replaces its id-1
 * entry rather than appearing twice. */
static void test_slave_promoted(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t t[] = {{"T", 4, 6, 0}};
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, t, 1, 0);
    reg_simple(rt, "C1", "broker-a", ADDR_A1, 1, 2, 1, t, 1, 0);

    reg_simple(rt, "C1", "broker-a", ADDR_A1, 0, 3, 1, t, 1, 10);
    rmq_cluster_info_t ci;
    rmq_route_table_cluster_info(rt, &ci);
    assert_int_equal(ci.nbrokers, 1);
    assert_int_equal(ci.brokers[0].naddrs, 1);
    assert_int_equal(ci.brokers[0].addrs[0].broker_id, 0);
    assert_string_equal(ci.brokers[0].addrs[0].addr, ADDR_A1);
    rmq_cluster_info_free(&ci);
    rmq_route_table_free(rt);
}

/* After the master's connection dies, the slave's promotion is the first
 * registration of id 0, so its queue data is taken even though its data
 * version is the one already recorded for that address. */
static void test_promotion_is_first_registration(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t master[] = {{"T", 4, 6, 0}};
    static const topic_spec_t slave[] = {{"T", 2, 6, 0}, {"U", 1, 6, 0}};
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, master, 1, 0);
    reg_simple(rt, "C1", "broker-a", ADDR_A1, 1, 2, 5, slave, 2, 0);

    rmq_route_table_conn_closed(rt, 1);
    /* The slave keeps the broker name, and with it the queue data. */
    assert_int_equal(queue_data_of(rt, "T", "broker-a").read_queue_nums, 4);
    assert_false(has_route(rt, "U"));

    reg_simple(rt, "C1", "broker-a", ADDR_A1, 0, 3, 5, slave, 2, 10);
    assert_int_equal(queue_data_of(rt, "T", "broker-a").read_queue_nums, 2);
    assert_true(has_route(rt, "U"));

    rmq_topic_route_t r;
    assert_int_equal(rmq_route_table_get_route(rt, "U", &r), 0);
    assert_int_equal(r.nbroker_datas, 1);
    assert_int_equal(r.broker_datas[0].naddrs, 1);
    assert_int_equal(r.broker_datas[0].addrs[0].broker_id, 0);
    assert_string_equal(r.broker_datas[0].addrs[0].addr, ADDR_A1);
    rmq_topic_route_free(&r);
    rmq_route_table_free(rt);
}

/* ---- removal ---- */

static void test_unregister(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t a[] = {{"Shared", 4, 6, 0}, {"OnlyA", 4, 6, 0}};
    static const topic_spec_t b[] = {{"Shared", 4, 6, 0}};
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, a, 2, 0);
    reg_simple(rt, "C1", "broker-a", ADDR_A1, 1, 2, 1, a, 2, 0);
    reg_simple(rt, "C1", "broker-b", ADDR_B0, 0, 3, 1, b, 1, 0);

    /* The master goes; the slave keeps broker-a and its queue data alive. */
    rmq_route_table_unregister(rt, "C1", ADDR_A0, "broker-a", 0);
    assert_true(has_route(rt, "OnlyA"));
    rmq_topic_route_t r;
    assert_int_equal(rmq_route_table_get_route(rt, "OnlyA", &r), 0);
    assert_int_equal(r.broker_datas[0].naddrs, 1);
    assert_int_equal(r.broker_datas[0].addrs[0].broker_id, 1);
    rmq_topic_route_free(&r);
    bool changed;
    rmq_data_version_t dv = {1001, 1, 0}, rec;
    assert_false(rmq_route_table_query_data_version(rt, ADDR_A0, &dv, 0, &changed, &rec));

    /* Unregistering an id the broker does not have changes nothing. */
    rmq_route_table_unregister(rt, "C1", ADDR_A0, "broker-a", 7);
    assert_true(has_route(rt, "OnlyA"));

    /* The last address goes: broker-a leaves the cluster and every topic. */
    rmq_route_table_unregister(rt, "C1", ADDR_A1, "broker-a", 1);
    assert_false(has_route(rt, "OnlyA"));
    assert_int_equal(rmq_route_table_get_route(rt, "Shared", &r), 0);
    assert_int_equal(r.nqueue_datas, 1);
    assert_string_equal(r.queue_datas[0].broker_name, "broker-b");
    assert_int_equal(r.nbroker_datas, 1);
    assert_string_equal(r.broker_datas[0].broker_name, "broker-b");
    rmq_topic_route_free(&r);

    rmq_cluster_info_t ci;
    rmq_route_table_cluster_info(rt, &ci);
    assert_int_equal(ci.nbrokers, 1);
    assert_string_equal(ci.brokers[0].broker_name, "broker-b");
    assert_int_equal(ci.nclusters, 1);
    assert_int_equal(ci.clusters[0].nbroker_names, 1);
    assert_string_equal(ci.clusters[0].broker_names[0], "broker-b");
    rmq_cluster_info_free(&ci);

    rmq_topic_list_t tl;
    rmq_route_table_all_topics(rt, &tl);
    ASSERT_TOPICS(&tl, "Shared");
    rmq_topic_list_free(&tl);

    /* The cluster's last broker goes: the cluster and all topics are gone. */
    rmq_route_table_unregister(rt, "C1", ADDR_B0, "broker-b", 0);
    rmq_route_table_cluster_info(rt, &ci);
    assert_int_equal(ci.nbrokers, 0);
    assert_int_equal(ci.nclusters, 0);
    rmq_cluster_info_free(&ci);
    rmq_route_table_all_topics(rt, &tl);
    assert_int_equal(tl.ntopics, 0);
    rmq_topic_list_free(&tl);
    assert_int_equal(rmq_route_table_get_route(rt, "Shared", &r), ROCKETMQ_ERR_TOPIC_NOT_EXIST);

    /* Unknown brokers are harmless. */
    rmq_route_table_unregister(rt, "C9", "1.2.3.4:5", "nobody", 0);
    rmq_route_table_free(rt);
}

static void test_conn_closed(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t a[] = {{"TA", 4, 6, 0}};
    static const topic_spec_t b[] = {{"TB", 4, 6, 0}};
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 11, 1, a, 1, 0);
    reg_simple(rt, "C1", "broker-a", ADDR_A1, 1, 12, 1, a, 1, 0);
    reg_simple(rt, "C1", "broker-b", ADDR_B0, 0, 13, 1, b, 1, 0);

    uint64_t v = rmq_route_table_version(rt);
    rmq_route_table_conn_closed(rt, 99); /* nobody registered over it */
    assert_int_equal(rmq_route_table_version(rt), v);

    rmq_route_table_conn_closed(rt, 13);
    assert_false(has_route(rt, "TB"));
    assert_true(has_route(rt, "TA"));
    assert_true(rmq_route_table_version(rt) > v);

    rmq_route_table_conn_closed(rt, 11);
    rmq_topic_route_t r;
    assert_int_equal(rmq_route_table_get_route(rt, "TA", &r), 0);
    assert_int_equal(r.broker_datas[0].naddrs, 1);
    assert_string_equal(r.broker_datas[0].addrs[0].addr, ADDR_A1);
    rmq_topic_route_free(&r);

    rmq_route_table_conn_closed(rt, 12);
    assert_false(has_route(rt, "TA"));
    rmq_cluster_info_t ci;
    rmq_route_table_cluster_info(rt, &ci);
    assert_int_equal(ci.nbrokers, 0);
    assert_int_equal(ci.nclusters, 0);
    rmq_cluster_info_free(&ci);
    rmq_route_table_free(rt);
}

static void test_scan_expired(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t a[] = {{"TA", 4, 6, 0}};
    static const topic_spec_t b[] = {{"TB", 4, 6, 0}};
    rmq_register_broker_body_t body;
    rmq_register_result_t res;

    rmq_broker_reg_t ra = {"C1", "broker-a", ADDR_A0, NULL, 0, 1, 1000};
    body_init(&body, 1, a, 1);
    rmq_route_table_register(rt, &ra, &body, 0, &res);
    rmq_register_result_free(&res);
    rmq_register_broker_body_free(&body);

    rmq_broker_reg_t rb = {"C1", "broker-b", ADDR_B0, NULL, 0, 2, 5000};
    body_init(&body, 1, b, 1);
    rmq_route_table_register(rt, &rb, &body, 0, &res);
    rmq_register_result_free(&res);
    rmq_register_broker_body_free(&body);

    /* Expired means strictly older than last update + timeout. */
    assert_int_equal(rmq_route_table_scan_expired(rt, 1000, NULL, NULL), 0);
    assert_true(has_route(rt, "TA"));
    assert_int_equal(rmq_route_table_scan_expired(rt, 1001, NULL, NULL), 1);
    assert_false(has_route(rt, "TA"));
    assert_true(has_route(rt, "TB"));

    /* An unchanged data version reported by QUERY_DATA_VERSION refreshes liveness. */
    bool changed = true;
    rmq_data_version_t dv = {1001, 1, 0}, rec;
    assert_true(rmq_route_table_query_data_version(rt, ADDR_B0, &dv, 3000, &changed, &rec));
    assert_false(changed);
    assert_int_equal(rmq_route_table_scan_expired(rt, 5001, NULL, NULL), 0);
    assert_true(has_route(rt, "TB"));

    /* A changed one does not. */
    rmq_data_version_t dv2 = {1002, 2, 0};
    assert_true(rmq_route_table_query_data_version(rt, ADDR_B0, &dv2, 7000, &changed, &rec));
    assert_true(changed);
    assert_int_equal(rmq_route_table_scan_expired(rt, 8000, NULL, NULL), 0);
    assert_int_equal(rmq_route_table_scan_expired(rt, 8001, NULL, NULL), 1);
    assert_false(has_route(rt, "TB"));

    rmq_cluster_info_t ci;
    rmq_route_table_cluster_info(rt, &ci);
    assert_int_equal(ci.nbrokers, 0);
    assert_int_equal(ci.nclusters, 0);
    rmq_cluster_info_free(&ci);
    assert_int_equal(rmq_route_table_scan_expired(rt, 100000, NULL, NULL), 0);
    rmq_route_table_free(rt);
}

/* A master and its slave expiring in the same scan. */
static void test_scan_expired_whole_broker(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t a[] = {{"TA", 4, 6, 0}};
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, a, 1, 0);
    reg_simple(rt, "C1", "broker-a", ADDR_A1, 1, 2, 1, a, 1, 0);
    reg_simple(rt, "C2", "broker-c", ADDR_C0, 0, 3, 1, a, 1, 100000);
    assert_int_equal(rmq_route_table_scan_expired(rt, TIMEOUT_DEFAULT + 1, NULL, NULL), 2);
    rmq_topic_route_t r;
    assert_int_equal(rmq_route_table_get_route(rt, "TA", &r), 0);
    assert_int_equal(r.nbroker_datas, 1);
    assert_string_equal(r.broker_datas[0].broker_name, "broker-c");
    rmq_topic_route_free(&r);
    rmq_route_table_free(rt);
}

typedef struct expired_calls {
    rmq_route_table_t *rt;
    uint64_t conns[8];
    size_t n;
    bool route_gone; /* TA already removed when called */
} expired_calls_t;

static void on_expired(uint64_t conn_id, void *arg)
{
    expired_calls_t *c = arg;
    assert_true(c->n < 8);
    c->conns[c->n++] = conn_id;
    c->route_gone = !has_route(c->rt, "TA");
}

/* The callback names the connection of each expired broker, after the table
 * has dropped it, and skips brokers that registered over no connection. */
static void test_scan_expired_callback(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t a[] = {{"TA", 4, 6, 0}};
    static const topic_spec_t b[] = {{"TB", 4, 6, 0}};
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 5, 1, a, 1, 0);
    reg_simple(rt, "C1", "broker-b", ADDR_B0, 0, 0, 1, b, 1, 0);
    reg_simple(rt, "C2", "broker-c", ADDR_C0, 0, 6, 1, b, 1, 100000);

    expired_calls_t calls = {rt, {0}, 0, false};
    assert_int_equal(rmq_route_table_scan_expired(rt, TIMEOUT_DEFAULT + 1, on_expired, &calls),
                     2);
    assert_int_equal(calls.n, 1);
    assert_int_equal(calls.conns[0], 5);
    assert_true(calls.route_gone);
    assert_true(has_route(rt, "TB")); /* still on broker-c */

    calls.n = 0;
    assert_int_equal(rmq_route_table_scan_expired(rt, TIMEOUT_DEFAULT + 2, on_expired, &calls),
                     0);
    assert_int_equal(calls.n, 0);
    rmq_route_table_free(rt);
}

/* ---- queries ---- */

static void test_query_data_version(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    bool changed = false;
    rmq_data_version_t dv = {1001, 1, 0}, rec = {0, 0, 0};
    /* Unknown broker: always changed, nothing recorded. */
    assert_false(rmq_route_table_query_data_version(rt, ADDR_A0, &dv, 0, &changed, &rec));
    assert_true(changed);

    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, NULL, 0, 0);
    assert_true(rmq_route_table_query_data_version(rt, ADDR_A0, &dv, 10, &changed, &rec));
    assert_false(changed);
    assert_int_equal(rec.counter, 1);
    assert_int_equal(rec.timestamp, 1001);

    rmq_data_version_t other = {1001, 2, 0};
    assert_true(rmq_route_table_query_data_version(rt, ADDR_A0, &other, 10, &changed, &rec));
    assert_true(changed);
    assert_int_equal(rec.counter, 1); /* the recorded one, not the query's */
    rmq_route_table_free(rt);
}

static void test_get_route_unknown(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    rmq_topic_route_t r;
    assert_int_equal(rmq_route_table_get_route(rt, "Nope", &r), ROCKETMQ_ERR_TOPIC_NOT_EXIST);
    assert_int_equal(r.nqueue_datas, 0);
    assert_int_equal(r.nbroker_datas, 0);
    assert_null(r.queue_datas);
    assert_null(r.broker_datas);
    rmq_topic_route_free(&r);

    static const topic_spec_t t[] = {{"T", 4, 6, 0}};
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, t, 1, 0);
    assert_int_equal(rmq_route_table_get_route(rt, "t", &r), ROCKETMQ_ERR_TOPIC_NOT_EXIST);
    rmq_topic_route_free(&r);
    assert_int_equal(rmq_route_table_get_route(rt, "T", &r), 0);
    rmq_topic_route_free(&r);
    rmq_route_table_free(rt);
}

/* Two clusters: C1 = {broker-a (master + slave), broker-b}, C2 = {broker-c}. */
static rmq_route_table_t *two_clusters(void)
{
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t a[] = {{"TA", 4, 6, 0}, {"TAll", 4, 6, 0}};
    static const topic_spec_t b[] = {{"TB", 4, 6, 0}, {"TAll", 4, 6, 0}};
    static const topic_spec_t c[] = {{"TC", 4, 6, 0}, {"TAll", 4, 6, 0}};
    reg_simple(rt, "C1", "broker-b", ADDR_B0, 0, 3, 1, b, 2, 0);
    reg_simple(rt, "C1", "broker-a", ADDR_A1, 1, 2, 1, a, 2, 0);
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, a, 2, 0);
    reg_simple(rt, "C2", "broker-c", ADDR_C0, 0, 4, 1, c, 2, 0);
    return rt;
}

static void test_cluster_info(void **state)
{
    (void)state;
    rmq_route_table_t *rt = two_clusters();
    rmq_cluster_info_t ci;
    rmq_route_table_cluster_info(rt, &ci);

    assert_int_equal(ci.nbrokers, 3);
    assert_string_equal(ci.brokers[0].broker_name, "broker-a");
    assert_string_equal(ci.brokers[0].cluster, "C1");
    assert_int_equal(ci.brokers[0].naddrs, 2);
    assert_int_equal(ci.brokers[0].addrs[0].broker_id, 0);
    assert_string_equal(ci.brokers[0].addrs[0].addr, ADDR_A0);
    assert_int_equal(ci.brokers[0].addrs[1].broker_id, 1);
    assert_string_equal(ci.brokers[0].addrs[1].addr, ADDR_A1);
    assert_string_equal(ci.brokers[1].broker_name, "broker-b");
    assert_string_equal(ci.brokers[2].broker_name, "broker-c");
    assert_string_equal(ci.brokers[2].cluster, "C2");

    assert_int_equal(ci.nclusters, 2);
    assert_string_equal(ci.clusters[0].cluster, "C1");
    assert_int_equal(ci.clusters[0].nbroker_names, 2);
    assert_string_equal(ci.clusters[0].broker_names[0], "broker-a");
    assert_string_equal(ci.clusters[0].broker_names[1], "broker-b");
    assert_string_equal(ci.clusters[1].cluster, "C2");
    assert_int_equal(ci.clusters[1].nbroker_names, 1);
    assert_string_equal(ci.clusters[1].broker_names[0], "broker-c");
    rmq_cluster_info_free(&ci);

    rmq_route_table_t *empty = rmq_route_table_new();
    rmq_route_table_cluster_info(empty, &ci);
    assert_int_equal(ci.nbrokers, 0);
    assert_int_equal(ci.nclusters, 0);
    rmq_cluster_info_free(&ci);
    rmq_route_table_free(empty);
    rmq_route_table_free(rt);
}

static void test_topic_lists(void **state)
{
    (void)state;
    rmq_route_table_t *rt = two_clusters();
    rmq_topic_list_t tl;

    rmq_route_table_all_topics(rt, &tl);
    ASSERT_TOPICS(&tl, "TA", "TAll", "TB", "TC");
    assert_null(tl.broker_addr);
    rmq_topic_list_free(&tl);

    rmq_route_table_topics_by_cluster(rt, "C1", &tl);
    ASSERT_TOPICS(&tl, "TA", "TAll", "TB");
    rmq_topic_list_free(&tl);
    rmq_route_table_topics_by_cluster(rt, "C2", &tl);
    ASSERT_TOPICS(&tl, "TAll", "TC");
    rmq_topic_list_free(&tl);
    rmq_route_table_topics_by_cluster(rt, "NoSuchCluster", &tl);
    assert_int_equal(tl.ntopics, 0);
    rmq_topic_list_free(&tl);

    /* Cluster names and broker names, plus one broker address. */
    rmq_route_table_system_topics(rt, &tl);
    ASSERT_TOPICS(&tl, "C1", "broker-a", "broker-b", "C2", "broker-c");
    assert_non_null(tl.broker_addr);
    assert_string_equal(tl.broker_addr, ADDR_A0);
    rmq_topic_list_free(&tl);

    rmq_route_table_t *empty = rmq_route_table_new();
    rmq_route_table_all_topics(empty, &tl);
    assert_int_equal(tl.ntopics, 0);
    rmq_topic_list_free(&tl);
    rmq_route_table_system_topics(empty, &tl);
    assert_int_equal(tl.ntopics, 0);
    assert_null(tl.broker_addr);
    rmq_topic_list_free(&tl);
    rmq_route_table_free(empty);
    rmq_route_table_free(rt);
}

static void test_unit_topics(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t t[] = {
        {"Plain", 4, 6, 0}, {"Unit", 4, 6, 1}, {"UnitSub", 4, 6, 2}, {"Both", 4, 6, 3}};
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, t, 4, 0);
    rmq_topic_list_t tl;

    rmq_route_table_unit_topics(rt, RMQ_UNIT_TOPICS, &tl);
    ASSERT_TOPICS(&tl, "Both", "Unit");
    rmq_topic_list_free(&tl);
    rmq_route_table_unit_topics(rt, RMQ_HAS_UNIT_SUB_TOPICS, &tl);
    ASSERT_TOPICS(&tl, "Both", "UnitSub");
    rmq_topic_list_free(&tl);
    rmq_route_table_unit_topics(rt, RMQ_HAS_UNIT_SUB_UNUNIT_TOPICS, &tl);
    ASSERT_TOPICS(&tl, "UnitSub");
    rmq_topic_list_free(&tl);
    rmq_route_table_free(rt);
}

/* ---- administrative edits ---- */

static void test_write_perm(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t a[] = {{"T1", 4, 6, 0}, {"T2", 4, 7, 0}};
    static const topic_spec_t b[] = {{"T1", 4, 6, 0}};
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, a, 2, 0);
    reg_simple(rt, "C1", "broker-b", ADDR_B0, 0, 2, 1, b, 1, 0);

    assert_int_equal(rmq_route_table_wipe_write_perm(rt, "broker-a"), 2);
    assert_int_equal(queue_data_of(rt, "T1", "broker-a").perm, RMQ_PERM_READ);
    assert_int_equal(queue_data_of(rt, "T2", "broker-a").perm, RMQ_PERM_READ | RMQ_PERM_INHERIT);
    assert_int_equal(queue_data_of(rt, "T1", "broker-b").perm, 6);
    assert_int_equal(rmq_route_table_wipe_write_perm(rt, "nobody"), 0);

    /* Re-registering with the same data version keeps the wipe in force. */
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, a, 2, 10);
    assert_int_equal(queue_data_of(rt, "T1", "broker-a").perm, RMQ_PERM_READ);

    assert_int_equal(rmq_route_table_add_write_perm(rt, "broker-a"), 2);
    assert_int_equal(queue_data_of(rt, "T1", "broker-a").perm, RMQ_PERM_READ | RMQ_PERM_WRITE);
    /* add sets exactly RW: INHERIT is not restored. */
    assert_int_equal(queue_data_of(rt, "T2", "broker-a").perm, RMQ_PERM_READ | RMQ_PERM_WRITE);
    assert_int_equal(rmq_route_table_add_write_perm(rt, "broker-b"), 1);
    assert_int_equal(rmq_route_table_add_write_perm(rt, "nobody"), 0);

    /* A new data version brings the broker's own perms back. */
    assert_int_equal(rmq_route_table_wipe_write_perm(rt, "broker-a"), 2);
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 2, a, 2, 20);
    assert_int_equal(queue_data_of(rt, "T1", "broker-a").perm, 6);
    assert_int_equal(queue_data_of(rt, "T2", "broker-a").perm, 7);
    rmq_route_table_free(rt);
}

static void test_delete_topic(void **state)
{
    (void)state;
    rmq_route_table_t *rt = two_clusters();
    uint64_t v = rmq_route_table_version(rt);

    /* With a cluster: only that cluster's queue data goes. */
    rmq_route_table_delete_topic(rt, "TAll", "C1");
    rmq_topic_route_t r;
    assert_int_equal(rmq_route_table_get_route(rt, "TAll", &r), 0);
    assert_int_equal(r.nqueue_datas, 1);
    assert_string_equal(r.queue_datas[0].broker_name, "broker-c");
    assert_int_equal(r.nbroker_datas, 1);
    rmq_topic_route_free(&r);
    assert_true(rmq_route_table_version(rt) > v);

    /* An unknown cluster leaves the topic alone. */
    rmq_route_table_delete_topic(rt, "TAll", "NoSuchCluster");
    assert_true(has_route(rt, "TAll"));

    /* Removing the last queue data removes the topic. */
    rmq_route_table_delete_topic(rt, "TAll", "C2");
    assert_false(has_route(rt, "TAll"));

    /* Without a cluster (NULL or empty): the whole topic. */
    rmq_route_table_delete_topic(rt, "TA", NULL);
    assert_false(has_route(rt, "TA"));
    rmq_route_table_delete_topic(rt, "TB", "");
    assert_false(has_route(rt, "TB"));

    v = rmq_route_table_version(rt);
    rmq_route_table_delete_topic(rt, "NoSuchTopic", NULL);
    rmq_route_table_delete_topic(rt, "NoSuchTopic", "C1");
    assert_int_equal(rmq_route_table_version(rt), v);

    rmq_topic_list_t tl;
    rmq_route_table_all_topics(rt, &tl);
    ASSERT_TOPICS(&tl, "TC");
    rmq_topic_list_free(&tl);
    /* Brokers stay registered; only queue data went. */
    rmq_cluster_info_t ci;
    rmq_route_table_cluster_info(rt, &ci);
    assert_int_equal(ci.nbrokers, 3);
    rmq_cluster_info_free(&ci);
    rmq_route_table_free(rt);
}

static void test_version_counter(void **state)
{
    (void)state;
    rmq_route_table_t *rt = rmq_route_table_new();
    static const topic_spec_t t[] = {{"T", 4, 6, 0}};
    uint64_t v = rmq_route_table_version(rt);
    assert_int_equal(v, 0);

    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, t, 1, 0);
    assert_true(rmq_route_table_version(rt) > v);
    v = rmq_route_table_version(rt);
    /* Even an unchanged re-registration counts (liveness, filter servers). */
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, t, 1, 10);
    assert_true(rmq_route_table_version(rt) > v);
    v = rmq_route_table_version(rt);

    /* Reads do not. */
    rmq_topic_route_t r;
    assert_int_equal(rmq_route_table_get_route(rt, "T", &r), 0);
    rmq_topic_route_free(&r);
    rmq_cluster_info_t ci;
    rmq_route_table_cluster_info(rt, &ci);
    rmq_cluster_info_free(&ci);
    rmq_topic_list_t tl;
    rmq_route_table_all_topics(rt, &tl);
    rmq_topic_list_free(&tl);
    assert_int_equal(rmq_route_table_scan_expired(rt, 20, NULL, NULL), 0);
    assert_int_equal(rmq_route_table_version(rt), v);

    assert_int_equal(rmq_route_table_wipe_write_perm(rt, "broker-a"), 1);
    assert_true(rmq_route_table_version(rt) > v);
    v = rmq_route_table_version(rt);
    assert_int_equal(rmq_route_table_add_write_perm(rt, "broker-a"), 1);
    assert_true(rmq_route_table_version(rt) > v);
    v = rmq_route_table_version(rt);
    rmq_route_table_delete_topic(rt, "T", NULL);
    assert_true(rmq_route_table_version(rt) > v);
    v = rmq_route_table_version(rt);
    rmq_route_table_unregister(rt, "C1", ADDR_A0, "broker-a", 0);
    assert_true(rmq_route_table_version(rt) > v);
    v = rmq_route_table_version(rt);
    reg_simple(rt, "C1", "broker-a", ADDR_A0, 0, 1, 1, t, 1, 30);
    assert_true(rmq_route_table_version(rt) > v);
    v = rmq_route_table_version(rt);
    assert_int_equal(rmq_route_table_scan_expired(rt, 30 + TIMEOUT_DEFAULT + 1, NULL, NULL), 1);
    assert_true(rmq_route_table_version(rt) > v);
    rmq_route_table_free(rt);
}

static void test_free_null(void **state)
{
    (void)state;
    rmq_route_table_free(NULL);
}

int main(void)
{
    /* The table logs every registration at INFO; keep the test output readable. */
    rmq_log_set_level(RMQ_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_master_and_slave),
        cmocka_unit_test(test_register_without_ha_addr),
        cmocka_unit_test(test_data_version_rule),
        cmocka_unit_test(test_queue_data_per_broker_name),
        cmocka_unit_test(test_filter_servers),
        cmocka_unit_test(test_slave_promoted),
        cmocka_unit_test(test_promotion_is_first_registration),
        cmocka_unit_test(test_unregister),
        cmocka_unit_test(test_conn_closed),
        cmocka_unit_test(test_scan_expired),
        cmocka_unit_test(test_scan_expired_whole_broker),
        cmocka_unit_test(test_scan_expired_callback),
        cmocka_unit_test(test_query_data_version),
        cmocka_unit_test(test_get_route_unknown),
        cmocka_unit_test(test_cluster_info),
        cmocka_unit_test(test_topic_lists),
        cmocka_unit_test(test_unit_topics),
        cmocka_unit_test(test_write_perm),
        cmocka_unit_test(test_delete_topic),
        cmocka_unit_test(test_version_counter),
        cmocka_unit_test(test_free_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
