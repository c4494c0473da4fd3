/* The rmq-namesrv binary end to end: each test starts its own name server
 * process on a free loopback port, drives it over real connections (brokers
 * register over their own connections, as they do in production), and stops
 * it with SIGTERM, expecting a clean exit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "harness.h"
#include "namesrv/kvconfig.h"
#include "protocol/codes.h"
#include "protocol/namesrv_headers.h"
#include "rocketmq/error.h"

#define MAX_CLIENTS 4
/* Client 0 plays the admin tool / producer; the others are brokers. */
#define ADMIN 0

typedef struct fixture {
    it_namesrv_t ns;
    rmq_rclient_t *rc[MAX_CLIENTS];
} fixture_t;

static const it_broker_t BROKER_A = {"ClusterA", "broker-a", "127.0.0.1:10911",
                                     "127.0.0.1:10912", 0};
static const it_broker_t BROKER_A_SLAVE = {"ClusterA", "broker-a", "127.0.0.1:10913",
                                           "127.0.0.1:10914", 1};
static const it_broker_t BROKER_B = {"ClusterB", "broker-b", "127.0.0.1:10921",
                                     "127.0.0.1:10922", 0};
static const it_topic_t TOPICS_A[] = {{"T1", 4, 6}, {"T2", 8, 6}};
static const it_topic_t TOPICS_B[] = {{"T2", 2, 6}, {"T3", 4, 6}};
#define NTOPICS(t) (sizeof(t) / sizeof((t)[0]))

/* ---- fixture ---- */

static int start_with(void **state, const char *extra)
{
    fixture_t *f = calloc(1, sizeof(*f));
    if (!f || it_namesrv_start(&f->ns, extra) != 0) {
        if (f)
            it_namesrv_cleanup(&f->ns);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int setup_default(void **state)
{
    return start_with(state, NULL);
}

/* Brokers expire 600 ms after their last registration, checked every 100 ms. */
static int setup_expiry(void **state)
{
    return start_with(state, "scanNotActiveBrokerInterval=100\nbrokerChannelExpiredTime=600");
}

static int setup_idle(void **state)
{
    return start_with(state, "serverChannelMaxIdleTimeSeconds=1");
}

static int setup_order(void **state)
{
    return start_with(state, "orderMessageEnable=true");
}

/* Clients go first so the server sees them leave; then a clean SIGTERM exit
 * (under ASan a leak in the server shows up here as a non-zero status). */
static int teardown(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < MAX_CLIENTS; i++)
        rmq_rclient_destroy(f->rc[i]);
    int status = f->ns.pid > 0 ? it_namesrv_stop(&f->ns) : 0;
    it_namesrv_cleanup(&f->ns);
    free(f);
    assert_int_equal(status, 0);
    return 0;
}

static rmq_rclient_t *client(fixture_t *f, int i)
{
    if (!f->rc[i])
        f->rc[i] = rmq_rclient_new(NULL, NULL);
    assert_non_null(f->rc[i]);
    return f->rc[i];
}

/* ---- helpers ---- */

static rmq_cmd_t *call(fixture_t *f, int i, rmq_cmd_t *req)
{
    rmq_cmd_t *resp = it_call(client(f, i), f->ns.addr, req);
    assert_non_null(resp);
    return resp;
}

/* Sends req and checks the response code; returns the response. */
static rmq_cmd_t *call_code(fixture_t *f, int i, rmq_cmd_t *req, int want)
{
    int32_t code = req->code; /* req is consumed by the call */
    rmq_cmd_t *resp = call(f, i, req);
    if (resp->code != want)
        fail_msg("request %d answered %d (%s), expected %d", code, resp->code,
                 resp->remark ? resp->remark : "", want);
    return resp;
}

static void call_expect(fixture_t *f, int i, rmq_cmd_t *req, int want)
{
    rmq_cmd_free(call_code(f, i, req, want));
}

/* Registers a broker over client i (its own connection) and checks for 0. */
static rmq_cmd_t *register_ok(fixture_t *f, int i, const it_broker_t *b, const it_topic_t *t,
                              size_t n, int64_t counter)
{
    return call_code(f, i, it_register_request(b, t, n, counter), 0);
}

static void register_broker(fixture_t *f, int i, const it_broker_t *b, const it_topic_t *t,
                            size_t n, int64_t counter)
{
    rmq_cmd_free(register_ok(f, i, b, t, n, counter));
}

static void decode_header(const rmq_cmd_t *resp, const rmq_header_desc_t *d, void *out)
{
    char err[200];
    if (rmq_header_decode(d, &resp->ext, out, err, sizeof(err)) != 0)
        fail_msg("%s: %s", d->name, err);
}

static void get_route(fixture_t *f, const char *topic, rmq_topic_route_t *route)
{
    assert_int_equal(it_get_route(client(f, ADMIN), f->ns.addr, topic, route), 0);
}

static int route_code(fixture_t *f, const char *topic)
{
    return it_get_route(client(f, ADMIN), f->ns.addr, topic, NULL);
}

static const rmq_queue_data_t *find_queue(const rmq_topic_route_t *r, const char *broker)
{
    for (size_t i = 0; i < r->nqueue_datas; i++)
        if (strcmp(r->queue_datas[i].broker_name, broker) == 0)
            return &r->queue_datas[i];
    fail_msg("no queue data of %s", broker);
    return NULL;
}

static const rmq_broker_data_t *find_broker(const rmq_broker_data_t *v, size_t n,
                                            const char *broker)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].broker_name, broker) == 0)
            return &v[i];
    fail_msg("no broker data of %s", broker);
    return NULL;
}

static void assert_queue(const rmq_topic_route_t *r, const char *broker, int queues, int perm)
{
    const rmq_queue_data_t *qd = find_queue(r, broker);
    assert_int_equal(qd->read_queue_nums, queues);
    assert_int_equal(qd->write_queue_nums, queues);
    assert_int_equal(qd->perm, perm);
}

static int topic_queues(fixture_t *f, const char *topic, const char *broker)
{
    rmq_topic_route_t r;
    get_route(f, topic, &r);
    int n = find_queue(&r, broker)->read_queue_nums;
    rmq_topic_route_free(&r);
    return n;
}

static bool has_topic(const rmq_topic_list_t *tl, const char *topic)
{
    for (size_t i = 0; i < tl->ntopics; i++)
        if (strcmp(tl->topics[i], topic) == 0)
            return true;
    return false;
}

static void decode_topic_list(const rmq_cmd_t *resp, rmq_topic_list_t *tl)
{
    char err[200];
    if (rmq_topic_list_decode(resp->body, resp->body_len, tl, err, sizeof(err)) != 0)
        fail_msg("TopicList: %s", err);
}

/* The topic list of one request; expected: NULL-terminated topic names. */
static void assert_topic_list(fixture_t *f, rmq_cmd_t *req, const char *const *expected)
{
    rmq_cmd_t *resp = call_code(f, ADMIN, req, 0);
    rmq_topic_list_t tl;
    decode_topic_list(resp, &tl);
    size_t n = 0;
    for (; expected[n]; n++)
        assert_true(has_topic(&tl, expected[n]));
    assert_int_equal(tl.ntopics, n);
    rmq_topic_list_free(&tl);
    rmq_cmd_free(resp);
}

static void assert_cluster_topics(fixture_t *f, const char *cluster, const char *const *expected)
{
    rmq_topics_by_cluster_req_t h = {cluster};
    assert_topic_list(f, it_request(RMQ_REQ_GET_TOPICS_BY_CLUSTER, &rmq_topics_by_cluster_req_desc,
                                    &h),
                      expected);
}

static void get_cluster_info(fixture_t *f, rmq_cluster_info_t *ci)
{
    rmq_cmd_t *resp =
        call_code(f, ADMIN, it_request(RMQ_REQ_GET_BROKER_CLUSTER_INFO, NULL, NULL), 0);
    char err[200];
    if (rmq_cluster_info_decode(resp->body, resp->body_len, ci, err, sizeof(err)) != 0)
        fail_msg("ClusterInfo: %s", err);
    rmq_cmd_free(resp);
}

/* PUT takes namespace, key and value; GET_KVLIST the namespace; the others
 * namespace and key. */
static rmq_cmd_t *kv_request(int code, const char *ns, const char *key, const char *value)
{
    rmq_kv_req_t h = {ns, key, value};
    const rmq_header_desc_t *d = &rmq_kv_key_req_desc;
    if (code == RMQ_REQ_PUT_KV_CONFIG)
        d = &rmq_put_kv_req_desc;
    else if (code == RMQ_REQ_GET_KVLIST_BY_NAMESPACE)
        d = &rmq_kv_namespace_req_desc;
    return it_request(code, d, &h);
}

static void assert_kv_value(fixture_t *f, const char *ns, const char *key, const char *want)
{
    rmq_cmd_t *resp = call_code(f, ADMIN, kv_request(RMQ_REQ_GET_KV_CONFIG, ns, key, NULL), 0);
    rmq_kv_value_resp_t h;
    decode_header(resp, &rmq_kv_value_resp_desc, &h);
    assert_non_null(h.value);
    assert_string_equal(h.value, want);
    rmq_cmd_free(resp);
}

static rmq_map_t *decode_kv_table(const rmq_cmd_t *resp)
{
    rmq_map_t *m = NULL;
    char err[200];
    if (rmq_kv_table_decode(resp->body, resp->body_len, &m, err, sizeof(err)) != 0)
        fail_msg("KVTable: %s", err);
    return m;
}

static rmq_cmd_t *ident_request(int code, const it_broker_t *b)
{
    rmq_broker_ident_req_t h = {b->name, b->addr, b->cluster, b->id};
    return it_request(code, &rmq_broker_ident_req_desc, &h);
}

/* QUERY_DATA_VERSION for b with data version {fixed timestamp, counter}. */
static bool data_version_changed(fixture_t *f, int i, const it_broker_t *b, int64_t counter)
{
    rmq_cmd_t *req = ident_request(RMQ_REQ_QUERY_DATA_VERSION, b);
    rmq_register_broker_body_t body;
    it_body_init(&body, NULL, 0, counter);
    rmq_buf_t buf = RMQ_BUF_INIT;
    rmq_data_version_encode(&body.data_version, &buf);
    rmq_cmd_take_body(req, &buf);
    rmq_register_broker_body_free(&body);
    rmq_cmd_t *resp = call_code(f, i, req, 0);
    rmq_query_data_version_resp_t h;
    decode_header(resp, &rmq_query_data_version_resp_desc, &h);
    rmq_cmd_free(resp);
    return h.changed;
}

static rmq_cmd_t *broker_name_request(int code, const char *broker)
{
    rmq_broker_name_req_t h = {broker};
    return it_request(code, &rmq_broker_name_req_desc, &h);
}

static char *get_config_text(fixture_t *f)
{
    rmq_cmd_t *resp = call_code(f, ADMIN, it_request(RMQ_REQ_GET_NAMESRV_CONFIG, NULL, NULL), 0);
    char *text = it_body_str(resp);
    rmq_cmd_free(resp);
    return text;
}

static rmq_cmd_t *update_config_request(const char *props)
{
    rmq_cmd_t *req = it_request(RMQ_REQ_UPDATE_NAMESRV_CONFIG, NULL, NULL);
    rmq_cmd_set_body(req, props, strlen(props));
    return req;
}

/* ---- tests ---- */

static void register_two_clusters(fixture_t *f)
{
    register_broker(f, 1, &BROKER_A, TOPICS_A, NTOPICS(TOPICS_A), 1);
    register_broker(f, 2, &BROKER_B, TOPICS_B, NTOPICS(TOPICS_B), 1);
}

static void test_slave_learns_master(void **state)
{
    fixture_t *f = *state;
    register_two_clusters(f);
    /* The slave's topic table does not count: only masters define queue data. */
    rmq_cmd_t *resp = register_ok(f, 3, &BROKER_A_SLAVE, TOPICS_A, 1, 1);
    rmq_register_broker_resp_t h;
    decode_header(resp, &rmq_register_broker_resp_desc, &h);
    assert_non_null(h.masterAddr);
    assert_non_null(h.haServerAddr);
    assert_string_equal(h.masterAddr, BROKER_A.addr);
    assert_string_equal(h.haServerAddr, BROKER_A.ha_addr);
    rmq_cmd_free(resp);

    rmq_topic_route_t r;
    get_route(f, "T2", &r);
    assert_int_equal(r.nqueue_datas, 2);
    assert_int_equal(r.nbroker_datas, 2);
    assert_queue(&r, "broker-a", 8, 6);
    assert_queue(&r, "broker-b", 2, 6);
    const rmq_broker_data_t *a = find_broker(r.broker_datas, r.nbroker_datas, "broker-a");
    assert_string_equal(a->cluster, "ClusterA");
    assert_int_equal(a->naddrs, 2);
    assert_string_equal(rmq_broker_data_get_addr(a, 0), BROKER_A.addr);
    assert_string_equal(rmq_broker_data_get_addr(a, 1), BROKER_A_SLAVE.addr);
    const rmq_broker_data_t *b = find_broker(r.broker_datas, r.nbroker_datas, "broker-b");
    assert_string_equal(b->cluster, "ClusterB");
    assert_int_equal(b->naddrs, 1);
    assert_string_equal(rmq_broker_data_get_addr(b, 0), BROKER_B.addr);
    assert_null(r.order_topic_conf);
    rmq_topic_route_free(&r);

    get_route(f, "T1", &r);
    assert_int_equal(r.nqueue_datas, 1);
    assert_queue(&r, "broker-a", 4, 6);
    rmq_topic_route_free(&r);
}

static void test_cluster_info_and_topic_lists(void **state)
{
    fixture_t *f = *state;
    register_two_clusters(f);
    register_broker(f, 3, &BROKER_A_SLAVE, NULL, 0, 1);

    rmq_cluster_info_t ci;
    get_cluster_info(f, &ci);
    assert_int_equal(ci.nbrokers, 2);
    const rmq_broker_data_t *a = find_broker(ci.brokers, ci.nbrokers, "broker-a");
    assert_int_equal(a->naddrs, 2);
    assert_string_equal(rmq_broker_data_get_addr(a, 1), BROKER_A_SLAVE.addr);
    assert_string_equal(find_broker(ci.brokers, ci.nbrokers, "broker-b")->cluster, "ClusterB");
    assert_int_equal(ci.nclusters, 2);
    for (size_t i = 0; i < ci.nclusters; i++) {
        assert_int_equal(ci.clusters[i].nbroker_names, 1);
        bool is_a = strcmp(ci.clusters[i].cluster, "ClusterA") == 0;
        assert_string_equal(ci.clusters[i].broker_names[0], is_a ? "broker-a" : "broker-b");
    }
    rmq_cluster_info_free(&ci);

    static const char *const all[] = {"T1", "T2", "T3", NULL};
    assert_topic_list(f, it_request(RMQ_REQ_GET_ALL_TOPIC_LIST_FROM_NAMESERVER, NULL, NULL), all);
    static const char *const in_a[] = {"T1", "T2", NULL};
    static const char *const in_b[] = {"T2", "T3", NULL};
    static const char *const none[] = {NULL};
    assert_cluster_topics(f, "ClusterA", in_a);
    assert_cluster_topics(f, "ClusterB", in_b);
    assert_cluster_topics(f, "NoSuchCluster", none);

    /* Cluster and broker names are topics too, with some broker to ask. */
    static const char *const sys[] = {"ClusterA", "ClusterB", "broker-a", "broker-b", NULL};
    assert_topic_list(f, it_request(RMQ_REQ_GET_SYSTEM_TOPIC_LIST_FROM_NS, NULL, NULL), sys);
    rmq_cmd_t *resp =
        call_code(f, ADMIN, it_request(RMQ_REQ_GET_SYSTEM_TOPIC_LIST_FROM_NS, NULL, NULL), 0);
    rmq_topic_list_t tl;
    decode_topic_list(resp, &tl);
    assert_non_null(tl.broker_addr);
    assert_string_equal(tl.broker_addr, BROKER_A.addr);
    rmq_topic_list_free(&tl);
    rmq_cmd_free(resp);
}

static void test_unknown_topic(void **state)
{
    fixture_t *f = *state;
    register_two_clusters(f);
    rmq_get_route_req_t h = {.topic = "NoSuchTopic"};
    rmq_cmd_t *resp = call_code(
        f, ADMIN, it_request(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, &rmq_get_route_req_desc, &h),
        ROCKETMQ_ERR_TOPIC_NOT_EXIST);
    assert_non_null(resp->remark);
    assert_non_null(strstr(resp->remark, "No topic route info in name server for the topic: "
                                         "NoSuchTopic"));
    assert_int_equal(resp->body_len, 0);
    rmq_cmd_free(resp);
}

static void test_data_version(void **state)
{
    fixture_t *f = *state;
    it_topic_t t1 = {"T1", 4, 6};
    register_broker(f, 1, &BROKER_A, &t1, 1, 1);
    assert_int_equal(topic_queues(f, "T1", "broker-a"), 4);

    /* Same data version: the broker says its table did not change, so the
     * name server keeps the queue data it has. */
    t1.queues = 8;
    register_broker(f, 1, &BROKER_A, &t1, 1, 1);
    assert_int_equal(topic_queues(f, "T1", "broker-a"), 4);

    assert_false(data_version_changed(f, 1, &BROKER_A, 1));
    assert_true(data_version_changed(f, 1, &BROKER_A, 2));

    register_broker(f, 1, &BROKER_A, &t1, 1, 2);
    assert_int_equal(topic_queues(f, "T1", "broker-a"), 8);
    assert_false(data_version_changed(f, 1, &BROKER_A, 2));
    /* An address that never registered has no recorded version. */
    assert_true(data_version_changed(f, ADMIN, &BROKER_B, 2));
}

static void test_expiry(void **state)
{
    fixture_t *f = *state;
    int64_t t0 = it_now_ms();
    register_broker(f, 1, &BROKER_A, TOPICS_A, NTOPICS(TOPICS_A), 1);
    assert_int_equal(route_code(f, "T1"), 0);
    /* The broker's connection (client 1) stays open: only the timeout can
     * remove it. */
    assert_true(it_wait_route_code(client(f, ADMIN), f->ns.addr, "T1",
                                   ROCKETMQ_ERR_TOPIC_NOT_EXIST, 5000));
    assert_true(it_now_ms() - t0 >= 500);
    assert_int_equal(route_code(f, "T2"), ROCKETMQ_ERR_TOPIC_NOT_EXIST);
    rmq_cluster_info_t ci;
    get_cluster_info(f, &ci);
    assert_int_equal(ci.nbrokers, 0);
    assert_int_equal(ci.nclusters, 0);
    rmq_cluster_info_free(&ci);
}

/* An expired broker's connection is closed too, as Apache RocketMQ does. */
static void test_expiry_closes_connection(void **state)
{
    fixture_t *f = *state;
    int fd = it_raw_connect(f->ns.port);
    assert_true(fd >= 0);
    rmq_cmd_t *req = it_register_request(&BROKER_A, TOPICS_A, NTOPICS(TOPICS_A), 1);
    rmq_buf_t out = RMQ_BUF_INIT, in = RMQ_BUF_INIT;
    assert_int_equal(rmq_cmd_encode(req, &out), 0);
    rmq_cmd_free(req);
    assert_int_equal(it_raw_send(fd, out.data, out.len), 0);
    rmq_cmd_t *resp = it_raw_read_cmd(fd, &in, IT_CALL_TIMEOUT_MS);
    assert_non_null(resp);
    assert_int_equal(resp->code, 0);
    rmq_cmd_free(resp);
    int64_t t0 = it_now_ms();
    assert_true(it_raw_wait_closed(fd, 5000));
    assert_true(it_now_ms() - t0 >= 400);
    assert_int_equal(route_code(f, "T1"), ROCKETMQ_ERR_TOPIC_NOT_EXIST);
    close(fd);
    rmq_buf_free(&out);
    rmq_buf_free(&in);
}

/* Name servers share nothing: a broker registers with each; losing one name
 * server leaves the other answering with the same route. */
static void test_two_name_servers(void **state)
{
    fixture_t *f = *state;
    it_namesrv_t other;
    memset(&other, 0, sizeof(other));
    assert_int_equal(it_namesrv_start(&other, NULL), 0);
    rmq_rclient_t *broker = client(f, 1);
    rmq_cmd_t *r1 = it_register(broker, f->ns.addr, &BROKER_A, TOPICS_A, NTOPICS(TOPICS_A), 1);
    rmq_cmd_t *r2 = it_register(broker, other.addr, &BROKER_A, TOPICS_A, NTOPICS(TOPICS_A), 1);
    assert_non_null(r1);
    assert_non_null(r2);
    assert_int_equal(r1->code, 0);
    assert_int_equal(r2->code, 0);
    rmq_cmd_free(r1);
    rmq_cmd_free(r2);
    rmq_topic_route_t a, b;
    assert_int_equal(it_get_route(client(f, ADMIN), f->ns.addr, "T1", &a), 0);
    assert_int_equal(it_namesrv_stop(&f->ns), 0);
    assert_int_equal(it_get_route(client(f, ADMIN), other.addr, "T1", &b), 0);
    rmq_buf_t ea = RMQ_BUF_INIT, eb = RMQ_BUF_INIT;
    rmq_topic_route_encode(&a, &ea);
    rmq_topic_route_encode(&b, &eb);
    assert_int_equal(ea.len, eb.len);
    assert_memory_equal(ea.data, eb.data, ea.len);
    rmq_buf_free(&ea);
    rmq_buf_free(&eb);
    rmq_topic_route_free(&a);
    rmq_topic_route_free(&b);
    assert_int_equal(it_namesrv_stop(&other), 0);
    it_namesrv_cleanup(&other);
}

/* An unchanged QUERY_DATA_VERSION counts as a sign of life, as in Java. */
static void test_query_data_version_keeps_alive(void **state)
{
    fixture_t *f = *state;
    register_broker(f, 1, &BROKER_A, TOPICS_A, NTOPICS(TOPICS_A), 1);
    int64_t until = it_now_ms() + 1500; /* 2.5 times the 600 ms timeout */
    for (int i = 0; i < 30 && it_now_ms() < until; i++) {
        assert_false(data_version_changed(f, 1, &BROKER_A, 1));
        it_sleep_ms(100);
    }
    assert_int_equal(route_code(f, "T1"), 0);
    assert_true(it_wait_route_code(client(f, ADMIN), f->ns.addr, "T1",
                                   ROCKETMQ_ERR_TOPIC_NOT_EXIST, 5000));
}

/* Connections silent for serverChannelMaxIdleTimeSeconds are closed; a
 * broker's with it. */
static void test_idle_connections_closed(void **state)
{
    fixture_t *f = *state;
    register_broker(f, 1, &BROKER_A, TOPICS_A, NTOPICS(TOPICS_A), 1);
    int fd = it_raw_connect(f->ns.port);
    assert_true(fd >= 0);
    /* The admin connection polls every 50 ms, so it stays. */
    assert_true(it_wait_route_code(client(f, ADMIN), f->ns.addr, "T1",
                                   ROCKETMQ_ERR_TOPIC_NOT_EXIST, 5000));
    bool closed = it_raw_wait_closed(fd, 3000);
    close(fd);
    assert_true(closed);
}

static void test_connection_close_removes_broker(void **state)
{
    fixture_t *f = *state;
    register_two_clusters(f);
    assert_int_equal(route_code(f, "T1"), 0);
    rmq_rclient_destroy(f->rc[1]);
    f->rc[1] = NULL;
    assert_true(it_wait_route_code(client(f, ADMIN), f->ns.addr, "T1",
                                   ROCKETMQ_ERR_TOPIC_NOT_EXIST, 3000));
    /* broker-b registered over its own connection, which is still open. */
    rmq_topic_route_t r;
    get_route(f, "T2", &r);
    assert_int_equal(r.nqueue_datas, 1);
    assert_queue(&r, "broker-b", 2, 6);
    rmq_topic_route_free(&r);
}

/* Polls the route of topic until broker has n addresses, for up to 3 s. */
static bool wait_broker_addrs(fixture_t *f, const char *topic, const char *broker, size_t n)
{
    int64_t deadline = it_now_ms() + 3000;
    for (int i = 0; i < 100; i++) {
        rmq_topic_route_t r;
        get_route(f, topic, &r);
        size_t have = find_broker(r.broker_datas, r.nbroker_datas, broker)->naddrs;
        rmq_topic_route_free(&r);
        if (have == n)
            return true;
        if (it_now_ms() >= deadline)
            break;
        it_sleep_ms(50);
    }
    return false;
}

/* Queue data belongs to the broker name: it stays while a slave is left. */
static void test_master_close_keeps_slave(void **state)
{
    fixture_t *f = *state;
    register_broker(f, 1, &BROKER_A, TOPICS_A, NTOPICS(TOPICS_A), 1);
    register_broker(f, 3, &BROKER_A_SLAVE, NULL, 0, 1);
    rmq_rclient_destroy(f->rc[1]);
    f->rc[1] = NULL;
    assert_true(wait_broker_addrs(f, "T1", "broker-a", 1));
    rmq_topic_route_t r;
    get_route(f, "T1", &r);
    assert_null(rmq_broker_data_get_addr(&r.broker_datas[0], 0));
    assert_string_equal(rmq_broker_data_get_addr(&r.broker_datas[0], 1), BROKER_A_SLAVE.addr);
    assert_queue(&r, "broker-a", 4, 6);
    rmq_topic_route_free(&r);
}

/* A restarted broker registers over a new connection before the old one is
 * gone: closing the old one must not remove it. */
static void test_reregister_over_new_connection(void **state)
{
    fixture_t *f = *state;
    register_broker(f, 1, &BROKER_A, TOPICS_A, NTOPICS(TOPICS_A), 1);
    register_broker(f, 2, &BROKER_A, TOPICS_A, NTOPICS(TOPICS_A), 1);
    rmq_rclient_destroy(f->rc[1]);
    f->rc[1] = NULL;
    it_sleep_ms(300); /* long enough for the close to have reached the server */
    assert_int_equal(route_code(f, "T1"), 0);
    rmq_rclient_destroy(f->rc[2]);
    f->rc[2] = NULL;
    assert_true(it_wait_route_code(client(f, ADMIN), f->ns.addr, "T1",
                                   ROCKETMQ_ERR_TOPIC_NOT_EXIST, 3000));
}

static void test_unregister(void **state)
{
    fixture_t *f = *state;
    register_two_clusters(f);
    call_expect(f, 1, ident_request(RMQ_REQ_UNREGISTER_BROKER, &BROKER_A), 0);
    assert_int_equal(route_code(f, "T1"), ROCKETMQ_ERR_TOPIC_NOT_EXIST);
    rmq_topic_route_t r;
    get_route(f, "T2", &r);
    assert_int_equal(r.nqueue_datas, 1);
    assert_int_equal(r.nbroker_datas, 1);
    assert_string_equal(r.broker_datas[0].broker_name, "broker-b");
    rmq_topic_route_free(&r);
    rmq_cluster_info_t ci;
    get_cluster_info(f, &ci);
    assert_int_equal(ci.nbrokers, 1);
    assert_int_equal(ci.nclusters, 1);
    assert_string_equal(ci.clusters[0].cluster, "ClusterB");
    rmq_cluster_info_free(&ci);
}

static rmq_cmd_t *compressed_register(bool good_crc)
{
    rmq_register_broker_body_t body;
    it_body_init(&body, TOPICS_A, NTOPICS(TOPICS_A), 1);
    rmq_buf_t buf = RMQ_BUF_INIT;
    rmq_register_broker_body_encode_compressed(&body, &buf);
    rmq_register_broker_body_free(&body);
    int32_t crc = (int32_t)(crc32(0L, buf.data, (uInt)buf.len) & 0x7FFFFFFF);
    if (!good_crc)
        crc = crc == 1 ? 2 : crc ^ 1; /* never 0, which would mean "not checked" */
    rmq_register_broker_req_t h = {
        .brokerName = BROKER_A.name,
        .brokerAddr = BROKER_A.addr,
        .clusterName = BROKER_A.cluster,
        .haServerAddr = BROKER_A.ha_addr,
        .brokerId = 0,
        .compressed = true,
        .bodyCrc32 = crc,
        .has_bodyCrc32 = true,
    };
    rmq_cmd_t *req = it_request(RMQ_REQ_REGISTER_BROKER, &rmq_register_broker_req_desc, &h);
    rmq_cmd_take_body(req, &buf);
    return req;
}

static void test_compressed_body_and_crc(void **state)
{
    fixture_t *f = *state;
    rmq_cmd_t *resp = call_code(f, 1, compressed_register(false), ROCKETMQ_ERR_SYSTEM_ERROR);
    assert_non_null(resp->remark);
    assert_non_null(strstr(resp->remark, "crc32"));
    rmq_cmd_free(resp);
    assert_int_equal(route_code(f, "T1"), ROCKETMQ_ERR_TOPIC_NOT_EXIST);

    call_expect(f, 1, compressed_register(true), 0);
    rmq_topic_route_t r;
    get_route(f, "T2", &r);
    assert_queue(&r, "broker-a", 8, 6);
    assert_string_equal(rmq_broker_data_get_addr(&r.broker_datas[0], 0), BROKER_A.addr);
    rmq_topic_route_free(&r);
    assert_int_equal(topic_queues(f, "T1", "broker-a"), 4);
}

static void test_kv_config(void **state)
{
    fixture_t *f = *state;
    call_expect(f, ADMIN, kv_request(RMQ_REQ_PUT_KV_CONFIG, "ns1", "k1", "v1"), 0);
    call_expect(f, ADMIN, kv_request(RMQ_REQ_PUT_KV_CONFIG, "ns1", "k2", "v2"), 0);
    assert_kv_value(f, "ns1", "k1", "v1");

    rmq_cmd_t *resp =
        call_code(f, ADMIN, kv_request(RMQ_REQ_GET_KVLIST_BY_NAMESPACE, "ns1", NULL, NULL), 0);
    rmq_map_t *m = decode_kv_table(resp);
    assert_int_equal(rmq_map_size(m), 2);
    assert_string_equal(rmq_smap_get(m, "k1"), "v1");
    assert_string_equal(rmq_smap_get(m, "k2"), "v2");
    rmq_map_free(m, free);
    rmq_cmd_free(resp);

    call_expect(f, ADMIN, kv_request(RMQ_REQ_DELETE_KV_CONFIG, "ns1", "k2", NULL), 0);
    resp = call_code(f, ADMIN, kv_request(RMQ_REQ_GET_KV_CONFIG, "ns1", "k2", NULL),
                     ROCKETMQ_ERR_QUERY_NOT_FOUND);
    assert_non_null(resp->remark);
    assert_non_null(strstr(resp->remark, "k2"));
    rmq_cmd_free(resp);
    call_expect(f, ADMIN, kv_request(RMQ_REQ_GET_KVLIST_BY_NAMESPACE, "nsX", NULL, NULL),
                ROCKETMQ_ERR_QUERY_NOT_FOUND);

    /* The KV config is the name server's only persistent state. */
    assert_int_equal(it_namesrv_stop(&f->ns), 0);
    assert_int_equal(it_namesrv_restart(&f->ns, NULL), 0);
    assert_kv_value(f, "ns1", "k1", "v1");
    call_expect(f, ADMIN, kv_request(RMQ_REQ_GET_KV_CONFIG, "ns1", "k2", NULL),
                ROCKETMQ_ERR_QUERY_NOT_FOUND);
}

/* Header strings with quotes, backslashes, control characters and non-ASCII
 * text, written in one serialization and read in the other, then read back
 * from the KV file after a restart. */
#define ODD_KEY "k\"\\\x01 \xc3\xa9"
#define ODD_VALUE "v \"quoted\" back\\slash\ttab\nline\x1f \xc3\xa9 \xf0\x9f\x98\x80 end"

static void assert_kv_value_in(fixture_t *f, uint8_t type, const char *key, const char *want)
{
    rmq_cmd_t *req = kv_request(RMQ_REQ_GET_KV_CONFIG, "odd", key, NULL);
    req->serialize_type = type;
    rmq_cmd_t *resp = call_code(f, ADMIN, req, 0);
    rmq_kv_value_resp_t h;
    decode_header(resp, &rmq_kv_value_resp_desc, &h);
    assert_non_null(h.value);
    assert_string_equal(h.value, want);
    rmq_cmd_free(resp);
}

static void test_odd_characters(void **state)
{
    fixture_t *f = *state;
    call_expect(f, ADMIN, kv_request(RMQ_REQ_PUT_KV_CONFIG, "odd", ODD_KEY, ODD_VALUE), 0);
    rmq_cmd_t *req = kv_request(RMQ_REQ_PUT_KV_CONFIG, "odd", "bin", ODD_VALUE);
    req->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
    call_expect(f, ADMIN, req, 0);
    /* Not UTF-8 at all: Java would have decoded each bad byte as U+FFFD. */
    req = kv_request(RMQ_REQ_PUT_KV_CONFIG, "odd", "raw", "x\xff\xfey");
    req->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
    call_expect(f, ADMIN, req, 0);
    for (uint8_t type = 0; type < 2; type++) {
        assert_kv_value_in(f, type, ODD_KEY, ODD_VALUE);
        assert_kv_value_in(f, type, "bin", ODD_VALUE);
    }

    rmq_get_route_req_t h = {.topic = "To\"pic\\\x01\xc3\xa9"};
    rmq_cmd_t *resp = call_code(
        f, ADMIN, it_request(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, &rmq_get_route_req_desc, &h),
        ROCKETMQ_ERR_TOPIC_NOT_EXIST);
    assert_non_null(strstr(resp->remark, h.topic));
    rmq_cmd_free(resp);

    assert_int_equal(it_namesrv_stop(&f->ns), 0);
    assert_int_equal(it_namesrv_restart(&f->ns, NULL), 0);
    assert_kv_value_in(f, RMQ_SERIALIZE_JSON, ODD_KEY, ODD_VALUE);
    assert_kv_value_in(f, RMQ_SERIALIZE_ROCKETMQ, "bin", ODD_VALUE);
    /* The entry survives the file, bad bytes replaced. */
    assert_kv_value_in(f, RMQ_SERIALIZE_ROCKETMQ, "raw", "x\xef\xbf\xbd\xef\xbf\xbdy");
}

static void test_order_topic(void **state)
{
    fixture_t *f = *state;
    call_expect(f, ADMIN,
                kv_request(RMQ_REQ_PUT_KV_CONFIG, RMQ_NAMESPACE_ORDER_TOPIC_CONFIG, "OT",
                           "broker-a:4"),
                0);
    it_topic_t ot = {"OT", 4, 6};
    /* Brokers learn their order topics from the register response. */
    rmq_cmd_t *resp = register_ok(f, 1, &BROKER_A, &ot, 1, 1);
    rmq_map_t *m = decode_kv_table(resp);
    assert_int_equal(rmq_map_size(m), 1);
    assert_string_equal(rmq_smap_get(m, "OT"), "broker-a:4");
    rmq_map_free(m, free);
    rmq_cmd_free(resp);

    rmq_topic_route_t r;
    get_route(f, "OT", &r);
    assert_non_null(r.order_topic_conf);
    assert_string_equal(r.order_topic_conf, "broker-a:4");
    rmq_topic_route_free(&r);
}

static void test_write_perm(void **state)
{
    fixture_t *f = *state;
    register_two_clusters(f);
    rmq_cmd_t *resp =
        call_code(f, ADMIN, broker_name_request(RMQ_REQ_WIPE_WRITE_PERM_OF_BROKER, "broker-a"), 0);
    rmq_wipe_perm_resp_t wh;
    decode_header(resp, &rmq_wipe_perm_resp_desc, &wh);
    assert_int_equal(wh.wipeTopicCount, 2);
    rmq_cmd_free(resp);

    rmq_topic_route_t r;
    get_route(f, "T2", &r);
    assert_queue(&r, "broker-a", 8, RMQ_PERM_READ);
    assert_queue(&r, "broker-b", 2, RMQ_PERM_READ | RMQ_PERM_WRITE);
    rmq_topic_route_free(&r);

    resp = call_code(f, ADMIN,
                     broker_name_request(RMQ_REQ_ADD_WRITE_PERM_OF_BROKER, "broker-a"), 0);
    rmq_add_perm_resp_t ah;
    decode_header(resp, &rmq_add_perm_resp_desc, &ah);
    assert_int_equal(ah.addTopicCount, 2);
    rmq_cmd_free(resp);
    get_route(f, "T1", &r);
    assert_queue(&r, "broker-a", 4, RMQ_PERM_READ | RMQ_PERM_WRITE);
    rmq_topic_route_free(&r);
}

static void test_delete_topic(void **state)
{
    fixture_t *f = *state;
    register_two_clusters(f);
    rmq_delete_topic_ns_req_t h = {"T1", NULL};
    call_expect(f, ADMIN,
                it_request(RMQ_REQ_DELETE_TOPIC_IN_NAMESRV, &rmq_delete_topic_ns_req_desc, &h), 0);
    assert_int_equal(route_code(f, "T1"), ROCKETMQ_ERR_TOPIC_NOT_EXIST);
    static const char *const left[] = {"T2", "T3", NULL};
    assert_topic_list(f, it_request(RMQ_REQ_GET_ALL_TOPIC_LIST_FROM_NAMESERVER, NULL, NULL), left);

    /* With a cluster, only that cluster's queue data goes. */
    rmq_delete_topic_ns_req_t hc = {"T2", "ClusterA"};
    call_expect(f, ADMIN,
                it_request(RMQ_REQ_DELETE_TOPIC_IN_NAMESRV, &rmq_delete_topic_ns_req_desc, &hc), 0);
    rmq_topic_route_t r;
    get_route(f, "T2", &r);
    assert_int_equal(r.nqueue_datas, 1);
    assert_string_equal(r.queue_datas[0].broker_name, "broker-b");
    rmq_topic_route_free(&r);
}

static void test_unknown_request_code(void **state)
{
    fixture_t *f = *state;
    rmq_cmd_t *resp =
        call_code(f, ADMIN, it_request(9999, NULL, NULL), ROCKETMQ_ERR_REQUEST_CODE_NOT_SUPPORTED);
    assert_non_null(resp->remark);
    assert_non_null(strstr(resp->remark, "9999"));
    rmq_cmd_free(resp);
    /* The connection is still usable afterwards. */
    assert_int_equal(route_code(f, "T1"), ROCKETMQ_ERR_TOPIC_NOT_EXIST);
}

static rmq_cmd_t *binary(rmq_cmd_t *req)
{
    req->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
    return req;
}

static void test_binary_serialization(void **state)
{
    fixture_t *f = *state;
    register_two_clusters(f);
    rmq_get_route_req_t h = {.topic = "T2"};
    rmq_cmd_t *resp = call_code(
        f, ADMIN, binary(it_request(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, &rmq_get_route_req_desc, &h)),
        0);
    assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
    rmq_topic_route_t r;
    char err[200];
    if (rmq_topic_route_decode(resp->body, resp->body_len, &r, err, sizeof(err)) != 0)
        fail_msg("route: %s", err);
    assert_queue(&r, "broker-a", 8, 6);
    assert_queue(&r, "broker-b", 2, 6);
    rmq_topic_route_free(&r);
    rmq_cmd_free(resp);

    /* Remarks and response headers travel in the binary form too. */
    h.topic = "NoSuchTopic";
    resp = call_code(
        f, ADMIN, binary(it_request(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, &rmq_get_route_req_desc, &h)),
        ROCKETMQ_ERR_TOPIC_NOT_EXIST);
    assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
    assert_non_null(resp->remark);
    assert_non_null(strstr(resp->remark, "NoSuchTopic"));
    rmq_cmd_free(resp);

    call_expect(f, ADMIN, binary(kv_request(RMQ_REQ_PUT_KV_CONFIG, "ns", "key", "value")), 0);
    resp = call_code(f, ADMIN, binary(kv_request(RMQ_REQ_GET_KV_CONFIG, "ns", "key", NULL)), 0);
    assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
    rmq_kv_value_resp_t vh;
    decode_header(resp, &rmq_kv_value_resp_desc, &vh);
    assert_string_equal(vh.value, "value");
    rmq_cmd_free(resp);

    resp = call_code(f, ADMIN, binary(it_request(9999, NULL, NULL)),
                     ROCKETMQ_ERR_REQUEST_CODE_NOT_SUPPORTED);
    assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
    rmq_cmd_free(resp);
}

static char *read_text_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *text = calloc(1, 65536);
    if (text)
        text[fread(text, 1, 65535, fp)] = '\0';
    fclose(fp);
    return text;
}

static void test_namesrv_config(void **state)
{
    fixture_t *f = *state;
    char *text = get_config_text(f);
    assert_non_null(strstr(text, "listenPort="));
    assert_non_null(strstr(text, "orderMessageEnable=false"));
    free(text);

    rmq_cmd_t *resp = call_code(f, ADMIN, update_config_request("kvConfigPath=/x"),
                                ROCKETMQ_ERR_NO_PERMISSION);
    rmq_cmd_free(resp);
    call_expect(f, ADMIN, update_config_request("orderMessageEnable=true"), 0);

    text = get_config_text(f);
    assert_non_null(strstr(text, "orderMessageEnable=true"));
    free(text);
    /* Persisted to configStorePath, as Java's Configuration.persist does. */
    char path[160];
    snprintf(path, sizeof(path), "%s/namesrv.properties", f->ns.dir);
    text = read_text_file(path);
    assert_non_null(text);
    assert_non_null(strstr(text, "orderMessageEnable=true"));
    char want[200];
    snprintf(want, sizeof(want), "kvConfigPath=%s\n", f->ns.kv_path);
    assert_non_null(strstr(text, want));
    free(text);
}

/* Brokers re-register one-way when a topic changes: no answer, same effect. */
static void test_oneway_register(void **state)
{
    fixture_t *f = *state;
    rmq_rclient_t *rc = client(f, 1);
    assert_int_equal(rmq_rclient_invoke_oneway(rc, f->ns.addr,
                                               it_register_request(&BROKER_A, TOPICS_A, 1, 1)),
                     0);
    assert_true(it_wait_route_code(client(f, ADMIN), f->ns.addr, "T1", 0, 3000));
    /* The connection it went over is the broker's: closing it removes the broker. */
    rmq_rclient_destroy(f->rc[1]);
    f->rc[1] = NULL;
    assert_true(it_wait_route_code(client(f, ADMIN), f->ns.addr, "T1",
                                   ROCKETMQ_ERR_TOPIC_NOT_EXIST, 3000));
}

#define MANY_TOPICS 2000
#define PIPELINED 200

static void register_many_topics(fixture_t *f)
{
    it_topic_t *t = calloc(MANY_TOPICS, sizeof(*t));
    char(*names)[16] = calloc(MANY_TOPICS, sizeof(*names));
    assert_non_null(t);
    assert_non_null(names);
    for (int i = 0; i < MANY_TOPICS; i++) {
        snprintf(names[i], sizeof(names[i]), "Topic-%04d", i);
        t[i] = (it_topic_t){names[i], 4, 6};
    }
    register_broker(f, 1, &BROKER_A, t, MANY_TOPICS, 1);
    free(names);
    free(t);
}

/* Many requests in one write, with answers (megabytes in all) left unread for
 * a while so the server's socket buffer fills and its queued-write path runs:
 * every answer must come back whole, in order, matched by opaque. */
static void test_pipelined_large_responses(void **state)
{
    fixture_t *f = *state;
    register_many_topics(f);
    rmq_buf_t out = RMQ_BUF_INIT, in = RMQ_BUF_INIT;
    int32_t first = 0;
    for (int i = 0; i < PIPELINED; i++) {
        rmq_cmd_t *req = it_request(RMQ_REQ_GET_ALL_TOPIC_LIST_FROM_NAMESERVER, NULL, NULL);
        if (i == 0)
            first = req->opaque;
        req->opaque = first + i;
        assert_int_equal(rmq_cmd_encode(req, &out), 0);
        rmq_cmd_free(req);
    }
    int fd = it_raw_connect(f->ns.port);
    assert_true(fd >= 0);
    assert_int_equal(it_raw_send(fd, out.data, out.len), 0);
    it_sleep_ms(200);

    rmq_buf_t body0 = RMQ_BUF_INIT;
    for (int i = 0; i < PIPELINED; i++) {
        rmq_cmd_t *resp = it_raw_read_cmd(fd, &in, 5000);
        if (!resp)
            fail_msg("response %d of %d missing", i, PIPELINED);
        assert_true(rmq_cmd_is_response(resp));
        assert_int_equal(resp->opaque, first + i);
        assert_int_equal(resp->code, 0);
        if (i == 0) {
            rmq_topic_list_t tl;
            decode_topic_list(resp, &tl);
            assert_int_equal(tl.ntopics, MANY_TOPICS);
            assert_true(has_topic(&tl, "Topic-1999"));
            rmq_topic_list_free(&tl);
            rmq_buf_append(&body0, resp->body, resp->body_len);
        } else {
            assert_int_equal(resp->body_len, body0.len);
            assert_memory_equal(resp->body, body0.data, body0.len);
        }
        rmq_cmd_free(resp);
    }
    close(fd);
    rmq_buf_free(&body0);
    rmq_buf_free(&in);
    rmq_buf_free(&out);
}

#define RAW_BROKERS 100

/* Registers broker i over its own raw connection; returns the socket. */
static int raw_register(fixture_t *f, int i)
{
    char name[32], addr[32];
    snprintf(name, sizeof(name), "raw-broker-%03d", i);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", 20000 + i);
    it_broker_t b = {"RawCluster", name, addr, addr, 0};
    it_topic_t t = {name, 1, 6}; /* each broker's own topic */
    rmq_cmd_t *req = it_register_request(&b, &t, 1, 1);
    rmq_buf_t out = RMQ_BUF_INIT, in = RMQ_BUF_INIT;
    assert_int_equal(rmq_cmd_encode(req, &out), 0);
    int32_t opaque = req->opaque;
    rmq_cmd_free(req);
    int fd = it_raw_connect(f->ns.port);
    assert_true(fd >= 0);
    assert_int_equal(it_raw_send(fd, out.data, out.len), 0);
    rmq_cmd_t *resp = it_raw_read_cmd(fd, &in, 3000);
    assert_non_null(resp);
    assert_int_equal(resp->opaque, opaque);
    assert_int_equal(resp->code, 0);
    rmq_cmd_free(resp);
    rmq_buf_free(&in);
    rmq_buf_free(&out);
    return fd;
}

static size_t broker_count(fixture_t *f)
{
    rmq_cluster_info_t ci;
    get_cluster_info(f, &ci);
    size_t n = ci.nbrokers;
    rmq_cluster_info_free(&ci);
    return n;
}

/* Many brokers, each over its own connection, all closing at once. */
static void test_many_broker_connections(void **state)
{
    fixture_t *f = *state;
    int fds[RAW_BROKERS];
    for (int i = 0; i < RAW_BROKERS; i++)
        fds[i] = raw_register(f, i);
    assert_int_equal(broker_count(f), RAW_BROKERS);
    assert_int_equal(route_code(f, "raw-broker-042"), 0);
    for (int i = 0; i < RAW_BROKERS; i++)
        close(fds[i]);
    int64_t deadline = it_now_ms() + 3000;
    size_t left = RAW_BROKERS;
    for (int i = 0; i < 100 && left > 0 && it_now_ms() < deadline; i++) {
        left = broker_count(f);
        if (left > 0)
            it_sleep_ms(50);
    }
    assert_int_equal(left, 0);
    static const char *const none[] = {NULL};
    assert_topic_list(f, it_request(RMQ_REQ_GET_ALL_TOPIC_LIST_FROM_NAMESERVER, NULL, NULL), none);
}

#define CALLER_THREADS 4
#define CALLS_PER_THREAD 100

typedef struct caller {
    fixture_t *f;
    int ok;
} caller_t;

static void *caller_main(void *arg)
{
    caller_t *c = arg;
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        rmq_topic_route_t r;
        if (it_get_route(c->f->rc[ADMIN], c->f->ns.addr, "T2", &r) != 0)
            continue;
        c->ok += r.nqueue_datas == 2;
        rmq_topic_route_free(&r);
    }
    return NULL;
}

/* One client shared by several threads: every sync call gets its own answer. */
static void test_concurrent_callers(void **state)
{
    fixture_t *f = *state;
    register_two_clusters(f);
    client(f, ADMIN);
    pthread_t th[CALLER_THREADS];
    caller_t c[CALLER_THREADS];
    for (int i = 0; i < CALLER_THREADS; i++) {
        c[i] = (caller_t){f, 0};
        assert_int_equal(pthread_create(&th[i], NULL, caller_main, &c[i]), 0);
    }
    for (int i = 0; i < CALLER_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(c[i].ok, CALLS_PER_THREAD);
    }
}

static void test_sigterm_with_open_connections(void **state)
{
    fixture_t *f = *state;
    register_two_clusters(f);
    assert_int_equal(route_code(f, "T1"), 0);
    assert_int_equal(it_namesrv_stop(&f->ns), 0);
    assert_false(it_namesrv_alive(&f->ns));
}

#define NS_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup_default, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        NS_TEST(test_slave_learns_master),
        NS_TEST(test_cluster_info_and_topic_lists),
        NS_TEST(test_unknown_topic),
        NS_TEST(test_data_version),
        cmocka_unit_test_setup_teardown(test_expiry, setup_expiry, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_closes_connection, setup_expiry, teardown),
        NS_TEST(test_two_name_servers),
        cmocka_unit_test_setup_teardown(test_query_data_version_keeps_alive, setup_expiry,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idle_connections_closed, setup_idle, teardown),
        NS_TEST(test_connection_close_removes_broker),
        NS_TEST(test_master_close_keeps_slave),
        NS_TEST(test_reregister_over_new_connection),
        NS_TEST(test_unregister),
        NS_TEST(test_compressed_body_and_crc),
        NS_TEST(test_kv_config),
        NS_TEST(test_odd_characters),
        cmocka_unit_test_setup_teardown(test_order_topic, setup_order, teardown),
        NS_TEST(test_write_perm),
        NS_TEST(test_delete_topic),
        NS_TEST(test_unknown_request_code),
        NS_TEST(test_binary_serialization),
        NS_TEST(test_namesrv_config),
        NS_TEST(test_oneway_register),
        NS_TEST(test_pipelined_large_responses),
        NS_TEST(test_many_broker_connections),
        NS_TEST(test_concurrent_callers),
        NS_TEST(test_sigterm_with_open_connections),
    };
    return cmocka_run_group_tests_name("it_namesrv", tests, NULL, NULL);
}
