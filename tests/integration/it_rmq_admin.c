/* The rmq tool's topic, cluster and name-server subcommands end to end: the
 * real rmq binary ($RMQ_TOOL_BIN) run as a child process against two real
 * rmq-namesrv processes and one rmq-broker registered with both.  Each
 * subcommand's text output and its --json document (parsed with jansson) are
 * checked, and where a command changes something the servers are asked
 * directly (routes, KV entries) whether it happened on every name server.
 * Bad flags must exit 2, failures (dead name server, unknown topic) exit 1,
 * each with one line "rmq <cmd>: ..." on stderr.
 *
 * Every child gets at most RUN_TIMEOUT_MS and is killed by its pid after
 * that; every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "protocol/codes.h"
#include "protocol/heartbeat.h"
#include "protocol/namesrv_headers.h"
#include "rocketmq/error.h"
#include "rocketmq/message.h"
#include "rocketmq/producer.h"

#define RUN_TIMEOUT_MS 15000
#define ROUTE_WAIT_MS 5000
#define CLUSTER IT_BROKER_CLUSTER
#define BROKER IT_BROKER_NAME
#define TOPIC "RmqAdminT1" /* 4 queues, NMSGS messages */
#define NMSGS 8

static it_namesrv_t g_ns[2];
static it_broker_proc_t g_br;
static rmq_rclient_t *g_rc;
static char g_nsaddrs[80]; /* "ns1;ns2" */

/* ---- running rmq ---- */

typedef struct run {
    int rc; /* exit status; -1 if killed or not reaped */
    char *out;
    char *err;
} run_t;

static void run_free(run_t *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

#define MAX_ARGS 32

/* Runs rmq with args (NULL-terminated) through the harness (NAMESRV_ADDR
 * removed from its environment) and collects stdout, stderr and the exit
 * status. */
static void rmq_argv(run_t *r, const char *const *args)
{
    it_exec_t x;
    it_rmq_exec(&x, args, RUN_TIMEOUT_MS);
    r->out = x.out;
    r->err = x.err;
    r->rc = x.killed ? -1 : x.status >= 128 ? -1 : x.status;
    if (x.killed)
        fail_msg("rmq %s did not finish within %d ms", args[0] ? args[0] : "", RUN_TIMEOUT_MS);
}

static void rmq_v(run_t *r, const char *first, va_list ap)
{
    const char *args[MAX_ARGS + 1];
    size_t n = 0;
    for (const char *a = first; a && n < MAX_ARGS; a = va_arg(ap, const char *))
        args[n++] = a;
    args[n] = NULL;
    rmq_argv(r, args);
}

static void rmq(run_t *r, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    rmq_v(r, first, ap);
    va_end(ap);
}

/* rmq ... expecting exit 0. */
static void rmq_ok(run_t *r, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    rmq_v(r, first, ap);
    va_end(ap);
    if (r->rc != 0)
        fail_msg("rmq %s: exit %d, stderr: %s", first, r->rc, r->err);
}

/* rmq CMD -n NAMESRV ARGS... with ARGS NULL-terminated. */
static void rmq_cmd(run_t *r, const char *cmd, const char *ns, const char *const *args)
{
    const char *all[MAX_ARGS + 1] = {cmd, "-n", ns};
    size_t n = 3;
    for (size_t i = 0; args[i] && n < MAX_ARGS; i++)
        all[n++] = args[i];
    all[n] = NULL;
    rmq_argv(r, all);
}

/* A line the library logged ("2026-11-27 02:08:52.625 WARN  [client] ..."),
 * not one the tool wrote. */
static bool is_log_line(const char *s, size_t n)
{
    return n > 24 && s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' && s[19] == '.';
}

/* The exit status is want and stderr holds exactly one line of the tool's,
 * starting with prefix; stdout is empty. */
static void expect_failure(const run_t *r, int want, const char *prefix)
{
    if (r->rc != want)
        fail_msg("exit %d, want %d; stderr: %s", r->rc, want, r->err);
    size_t lines = 0;
    const char *line = NULL;
    for (const char *p = r->err; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > 0 && !is_log_line(p, n)) {
            lines++;
            line = p;
        }
        p += n + (nl ? 1 : 0);
    }
    if (lines != 1 || strncmp(line, prefix, strlen(prefix)) != 0)
        fail_msg("want one stderr line starting '%s', got: %s", prefix, r->err);
    assert_string_equal(r->out, "");
}

static json_t *parse_json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("not JSON (%s): %s", e.text, text);
    return j;
}

/* True when text holds exactly this line. */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

/* ---- the servers ---- */

/* GET_KV_CONFIG at one name server: the response code, *value (caller
 * frees) on 0. */
static int kv_get(const char *ns, const char *space, const char *key, char **value)
{
    rmq_kv_req_t h = {space, key, NULL};
    rmq_cmd_t *resp =
        it_call(g_rc, ns, it_request(RMQ_REQ_GET_KV_CONFIG, &rmq_kv_key_req_desc, &h));
    assert_non_null(resp);
    int code = resp->code;
    if (code == 0 && value) {
        const char *v = rmq_ext_get(&resp->ext, "value");
        *value = strdup(v ? v : "");
    }
    rmq_cmd_free(resp);
    return code;
}

static void wait_route_both(const char *topic, int code)
{
    for (int i = 0; i < 2; i++)
        if (!it_wait_route_code(g_rc, g_ns[i].addr, topic, code, ROUTE_WAIT_MS))
            fail_msg("route of %s at %s: never code %d", topic, g_ns[i].addr, code);
}

static void send_messages(const char *topic, int n)
{
    rocketmq_producer_t *p = rocketmq_producer_new("rmq_admin_it_producer");
    assert_non_null(p);
    assert_int_equal(rocketmq_producer_set_namesrv_addr(p, g_nsaddrs), 0);
    assert_int_equal(rocketmq_producer_start(p), 0);
    for (int i = 0; i < n; i++) {
        rocketmq_message_t *m = rocketmq_message_new(topic);
        assert_int_equal(rocketmq_message_set_body(m, "hello", 5), 0);
        rocketmq_send_result_t res;
        int rc = rocketmq_producer_send(p, m, &res);
        if (rc != 0)
            fail_msg("send %d: %s: %s", i, rocketmq_err_name(rc), rocketmq_last_error_detail());
        rocketmq_message_destroy(m);
    }
    assert_int_equal(rocketmq_producer_shutdown(p), 0);
    rocketmq_producer_destroy(p);
}

static int group_setup(void **state)
{
    (void)state;
    g_ns[0].out_fd = g_ns[1].out_fd = g_br.out_fd = -1;
    if (it_namesrv_start(&g_ns[0], NULL) != 0 || it_namesrv_start(&g_ns[1], NULL) != 0)
        return -1;
    snprintf(g_nsaddrs, sizeof(g_nsaddrs), "%s;%s", g_ns[0].addr, g_ns[1].addr);
    if (it_broker_start(&g_br, g_nsaddrs, NULL, NULL) != 0)
        return -1;
    g_rc = rmq_rclient_new(NULL, NULL);
    if (!g_rc)
        return -1;
    /* the broker is in both name servers' cluster info */
    for (int i = 0; i < 2; i++)
        if (!it_wait_route_code(g_rc, g_ns[i].addr, BROKER, 0, ROUTE_WAIT_MS))
            return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (g_rc)
        rmq_rclient_destroy(g_rc);
    int status = 0;
    if (g_br.pid > 0 && it_broker_stop(&g_br) != 0)
        status = -1;
    it_broker_cleanup(&g_br);
    for (int i = 0; i < 2; i++) {
        if (g_ns[i].pid > 0 && it_namesrv_stop(&g_ns[i]) != 0)
            status = -1;
        it_namesrv_cleanup(&g_ns[i]);
    }
    return status;
}

/* ---- help ---- */

static void test_help(void **state)
{
    (void)state;
    static const char *const mine[] = {
        "updateTopic",     "deleteTopic",      "topicList",      "topicRoute",
        "topicStatus",     "topicClusterList", "clusterList",    "brokerStatus",
        "getBrokerConfig", "wipeWritePerm",    "getNamesrvConfig", "updateKvConfig",
        "deleteKvConfig",
    };
    run_t r;
    rmq_ok(&r, "help", NULL);
    for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
        char want[64];
        snprintf(want, sizeof(want), "  %s ", mine[i]);
        if (!strstr(r.out, want))
            fail_msg("rmq help does not list %s:\n%s", mine[i], r.out);
    }
    run_free(&r);

    rmq_ok(&r, "help", "updateTopic", NULL);
    assert_non_null(strstr(r.out, "rmq updateTopic: Update or create topic"));
    assert_non_null(strstr(r.out, "usage: rmq updateTopic (-b BROKER_ADDR | -c CLUSTER) -t TOPIC"));
    for (const char *f = "btrwpo"; *f; f++) {
        char want[8];
        snprintf(want, sizeof(want), "  -%c, ", *f);
        assert_non_null(strstr(r.out, want));
    }
    char *help_text = strdup(r.out);
    run_free(&r);

    /* -h of the subcommand prints the same text */
    rmq_ok(&r, "updateTopic", "-h", NULL);
    assert_string_equal(r.out, help_text);
    free(help_text);
    run_free(&r);

    for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
        rmq_ok(&r, "help", mine[i], NULL);
        assert_non_null(strstr(r.out, "usage: rmq "));
        run_free(&r);
    }
}

/* ---- topics ---- */

static void test_update_topic(void **state)
{
    (void)state;
    run_t r;
    char line[160];
    /* -c: every master of the cluster */
    rmq_ok(&r, "updateTopic", "-n", g_nsaddrs, "-c", CLUSTER, "-t", TOPIC, "-r", "4", "-w", "4",
           NULL);
    snprintf(line, sizeof(line), "create topic to %s success.", g_br.addr);
    assert_true(has_line(r.out, line));
    assert_true(has_line(r.out, "TopicConfig [topicName=" TOPIC ", readQueueNums=4, "
                                "writeQueueNums=4, perm=RW-, topicFilterType=SINGLE_TAG, "
                                "topicSysFlag=0, order=false]"));
    run_free(&r);
    wait_route_both(TOPIC, 0);

    /* -b with --json, read-only perm */
    rmq_ok(&r, "updateTopic", "-n", g_nsaddrs, "-b", g_br.addr, "-t", "RmqAdminT2", "-p", "4",
           "--json", NULL);
    json_t *j = parse_json(r.out);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "brokers"), 0)),
                        g_br.addr);
    json_t *tc = json_object_get(j, "topicConfig");
    assert_string_equal(json_string_value(json_object_get(tc, "topicName")), "RmqAdminT2");
    assert_int_equal(json_integer_value(json_object_get(tc, "readQueueNums")), 8);
    assert_int_equal(json_integer_value(json_object_get(tc, "writeQueueNums")), 8);
    assert_int_equal(json_integer_value(json_object_get(tc, "perm")), 4);
    assert_true(json_is_false(json_object_get(tc, "order")));
    assert_null(json_object_get(j, "orderConf"));
    json_decref(j);
    run_free(&r);
    wait_route_both("RmqAdminT2", 0);
    rmq_topic_route_t route;
    assert_int_equal(it_get_route(g_rc, g_ns[1].addr, "RmqAdminT2", &route), 0);
    assert_int_equal(route.nqueue_datas, 1);
    assert_int_equal(route.queue_datas[0].perm, 4);
    assert_int_equal(route.queue_datas[0].read_queue_nums, 8);
    rmq_topic_route_free(&route);
}

static void test_update_topic_order(void **state)
{
    (void)state;
    run_t r;
    /* -b -o true: this broker's entry in ORDER_TOPIC_CONFIG on every name server */
    rmq_ok(&r, "updateTopic", "-n", g_nsaddrs, "-b", g_br.addr, "-t", "RmqAdminOrder", "-w", "2",
           "-r", "2", "-o", "true", NULL);
    assert_true(has_line(r.out, "set broker orderConf. isOrder=true, orderConf=[" BROKER ":2]"));
    assert_non_null(strstr(r.out, "order=true]"));
    run_free(&r);
    for (int i = 0; i < 2; i++) {
        char *v = NULL;
        assert_int_equal(kv_get(g_ns[i].addr, "ORDER_TOPIC_CONFIG", "RmqAdminOrder", &v), 0);
        assert_string_equal(v, BROKER ":2");
        free(v);
    }
    /* -c -o true --json: every broker name of the cluster */
    rmq_ok(&r, "updateTopic", "-n", g_nsaddrs, "-c", CLUSTER, "-t", "RmqAdminOrder", "-w", "3",
           "-r", "3", "-o", "true", "--json", NULL);
    json_t *j = parse_json(r.out);
    assert_string_equal(json_string_value(json_object_get(j, "orderConf")), BROKER ":3");
    assert_true(json_is_true(json_object_get(json_object_get(j, "topicConfig"), "order")));
    json_decref(j);
    run_free(&r);
    for (int i = 0; i < 2; i++) {
        char *v = NULL;
        assert_int_equal(kv_get(g_ns[i].addr, "ORDER_TOPIC_CONFIG", "RmqAdminOrder", &v), 0);
        assert_string_equal(v, BROKER ":3");
        free(v);
    }
}

static void test_topic_route(void **state)
{
    (void)state;
    run_t r;
    /* the text form is TopicRouteData as indented JSON, the --json form compact */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0)
            rmq_ok(&r, "topicRoute", "-n", g_nsaddrs, "-t", TOPIC, NULL);
        else
            rmq_ok(&r, "topicRoute", "-n", g_nsaddrs, "-t", TOPIC, "--json", NULL);
        assert_int_equal(count_lines(r.out) > 1, pass == 0);
        json_t *j = parse_json(r.out);
        json_t *qd = json_array_get(json_object_get(j, "queueDatas"), 0);
        assert_string_equal(json_string_value(json_object_get(qd, "brokerName")), BROKER);
        assert_int_equal(json_integer_value(json_object_get(qd, "readQueueNums")), 4);
        assert_int_equal(json_integer_value(json_object_get(qd, "writeQueueNums")), 4);
        assert_int_equal(json_integer_value(json_object_get(qd, "perm")), 6);
        json_t *bd = json_array_get(json_object_get(j, "brokerDatas"), 0);
        assert_string_equal(json_string_value(json_object_get(bd, "cluster")), CLUSTER);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(bd, "brokerAddrs"), "0")), g_br.addr);
        assert_true(json_is_object(json_object_get(j, "filterServerTable")));
        json_decref(j);
        run_free(&r);
    }
    /* -l: a row per broker and the totals */
    rmq_ok(&r, "topicRoute", "-n", g_nsaddrs, "-t", TOPIC, "-l", NULL);
    assert_non_null(strstr(r.out, "#ClusterName"));
    assert_non_null(strstr(r.out, "#WriteQueue"));
    char want[96];
    snprintf(want, sizeof(want), "{0=%s}", g_br.addr);
    assert_non_null(strstr(r.out, want));
    assert_non_null(strstr(r.out, "Total:"));
    assert_int_equal(count_lines(r.out), 3);
    run_free(&r);
}

static void test_topic_list(void **state)
{
    (void)state;
    run_t r;
    rmq_ok(&r, "topicList", "-n", g_nsaddrs, NULL);
    assert_true(has_line(r.out, TOPIC));
    assert_true(has_line(r.out, "RmqAdminT2"));
    assert_true(has_line(r.out, "TBW102"));
    run_free(&r);

    rmq_ok(&r, "topicList", "-n", g_nsaddrs, "--json", NULL);
    json_t *j = parse_json(r.out);
    assert_true(json_is_array(j));
    bool found = false;
    for (size_t i = 0; i < json_array_size(j); i++)
        found = found || strcmp(json_string_value(json_array_get(j, i)), TOPIC) == 0;
    assert_true(found);
    json_decref(j);
    run_free(&r);

    /* -c: cluster, topic, consumer group */
    rmq_ok(&r, "topicList", "-n", g_nsaddrs, "-c", NULL);
    assert_non_null(strstr(r.out, "#Cluster Name"));
    assert_non_null(strstr(r.out, "#Consumer Group"));
    bool row = false;
    for (const char *p = r.out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        char c[64], t[128];
        if (sscanf(p, "%63s %127s", c, t) == 2 && strcmp(c, CLUSTER) == 0 &&
            strcmp(t, TOPIC) == 0)
            row = true;
    }
    assert_true(row);
    run_free(&r);

    rmq_ok(&r, "topicList", "-n", g_nsaddrs, "-c", "--json", NULL);
    j = parse_json(r.out);
    found = false;
    for (size_t i = 0; i < json_array_size(j); i++) {
        json_t *o = json_array_get(j, i);
        if (strcmp(json_string_value(json_object_get(o, "topic")), TOPIC) == 0) {
            assert_string_equal(json_string_value(json_object_get(o, "clusterName")), CLUSTER);
            assert_true(json_is_string(json_object_get(o, "consumerGroup")));
            found = true;
        }
    }
    assert_true(found);
    json_decref(j);
    run_free(&r);
}

/* The --json topicStatus of TOPIC: total of max offsets, rows. */
static json_t *topic_status_json(void)
{
    run_t r;
    rmq_ok(&r, "topicStatus", "-n", g_nsaddrs, "-t", TOPIC, "--json", NULL);
    json_t *j = parse_json(r.out);
    run_free(&r);
    return j;
}

static void test_topic_status(void **state)
{
    (void)state;
    send_messages(TOPIC, NMSGS);
    /* the consume queues are written just after the sends are answered */
    json_t *j = NULL;
    int64_t total = -1;
    for (int i = 0; i < 100 && total != NMSGS; i++) {
        json_decref(j);
        j = topic_status_json();
        total = 0;
        for (size_t k = 0; k < json_array_size(j); k++)
            total += json_integer_value(json_object_get(json_array_get(j, k), "maxOffset"));
        if (total != NMSGS)
            it_sleep_ms(30);
    }
    assert_int_equal(total, NMSGS);
    assert_int_equal(json_array_size(j), 4);
    for (size_t k = 0; k < 4; k++) {
        json_t *o = json_array_get(j, k);
        assert_string_equal(json_string_value(json_object_get(o, "brokerName")), BROKER);
        assert_int_equal(json_integer_value(json_object_get(o, "queueId")), (json_int_t)k);
        assert_int_equal(json_integer_value(json_object_get(o, "minOffset")), 0);
        if (json_integer_value(json_object_get(o, "maxOffset")) > 0)
            assert_true(json_integer_value(json_object_get(o, "lastUpdateTimestamp")) > 0);
    }
    json_decref(j);

    run_t r;
    rmq_ok(&r, "topicStatus", "-n", g_nsaddrs, "-t", TOPIC, NULL);
    assert_non_null(strstr(r.out, "#Broker Name"));
    assert_non_null(strstr(r.out, "#QID"));
    assert_non_null(strstr(r.out, "#Min Offset"));
    assert_non_null(strstr(r.out, "#Max Offset"));
    assert_non_null(strstr(r.out, "#Last Updated"));
    assert_int_equal(count_lines(r.out), 5);
    /* the rows: broker, qid, min, max (summed), "yyyy-MM-dd HH:mm:ss,SSS" */
    int64_t sum = 0;
    int rows = 0;
    for (const char *p = strchr(r.out, '\n') + 1; *p; p = strchr(p, '\n') + 1) {
        char b[64], date[16], tm[16];
        int qid;
        long long mn, mx;
        int n = sscanf(p, "%63s %d %lld %lld %15s %15s", b, &qid, &mn, &mx, date, tm);
        assert_true(n >= 4);
        assert_string_equal(b, BROKER);
        assert_int_equal(qid, rows);
        if (mx > 0) {
            assert_int_equal(n, 6);
            assert_int_equal(strlen(date), 10);
            assert_int_equal(strlen(tm), 12);
            assert_int_equal(tm[8], ',');
        }
        sum += mx;
        rows++;
    }
    assert_int_equal(rows, 4);
    assert_int_equal(sum, NMSGS);
    run_free(&r);
}

static void test_topic_cluster_list(void **state)
{
    (void)state;
    run_t r;
    rmq_ok(&r, "topicClusterList", "-n", g_nsaddrs, "-t", TOPIC, NULL);
    assert_string_equal(r.out, CLUSTER "\n");
    run_free(&r);
    rmq_ok(&r, "topicClusterList", "-n", g_nsaddrs, "-t", TOPIC, "--json", NULL);
    json_t *j = parse_json(r.out);
    assert_int_equal(json_array_size(j), 1);
    assert_string_equal(json_string_value(json_array_get(j, 0)), CLUSTER);
    json_decref(j);
    run_free(&r);
}

static void test_delete_topic(void **state)
{
    (void)state;
    run_t r;
    rmq_ok(&r, "updateTopic", "-n", g_nsaddrs, "-b", g_br.addr, "-t", "RmqAdminDel", NULL);
    run_free(&r);
    wait_route_both("RmqAdminDel", 0);
    rmq_ok(&r, "deleteTopic", "-n", g_nsaddrs, "-t", "RmqAdminDel", "-c", CLUSTER, NULL);
    assert_true(has_line(r.out, "delete topic [RmqAdminDel] from cluster [" CLUSTER "] success."));
    assert_true(has_line(r.out, "delete topic [RmqAdminDel] from NameServer success."));
    run_free(&r);
    for (int i = 0; i < 2; i++)
        assert_int_equal(it_get_route(g_rc, g_ns[i].addr, "RmqAdminDel", NULL),
                         ROCKETMQ_ERR_TOPIC_NOT_EXIST);
    /* the broker no longer has it either */
    rmq_topic_req_t h = {"RmqAdminDel"};
    rmq_cmd_t *resp = it_call(g_rc, g_br.addr, it_request(RMQ_REQ_GET_TOPIC_STATS_INFO,
                                                          &rmq_get_topic_stats_req_desc, &h));
    assert_non_null(resp);
    assert_int_equal(resp->code, ROCKETMQ_ERR_TOPIC_NOT_EXIST);
    rmq_cmd_free(resp);

    rmq_ok(&r, "updateTopic", "-n", g_nsaddrs, "-b", g_br.addr, "-t", "RmqAdminDel2", NULL);
    run_free(&r);
    wait_route_both("RmqAdminDel2", 0);
    rmq_ok(&r, "deleteTopic", "-n", g_nsaddrs, "-t", "RmqAdminDel2", "-c", CLUSTER, "--json",
           NULL);
    json_t *j = parse_json(r.out);
    assert_string_equal(json_string_value(json_object_get(j, "topic")), "RmqAdminDel2");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "brokers"), 0)),
                        g_br.addr);
    assert_int_equal(json_array_size(json_object_get(j, "nameServers")), 2);
    json_decref(j);
    run_free(&r);
    for (int i = 0; i < 2; i++)
        assert_int_equal(it_get_route(g_rc, g_ns[i].addr, "RmqAdminDel2", NULL),
                         ROCKETMQ_ERR_TOPIC_NOT_EXIST);
}

/* ---- cluster, broker, name server ---- */

static void test_cluster_list(void **state)
{
    (void)state;
    run_t r;
    rmq_ok(&r, "clusterList", "-n", g_nsaddrs, NULL);
    static const char *const cols[] = {"#Cluster Name", "#Broker Name", "#BID", "#Addr",
                                       "#Version", "#InTPS(LOAD)", "#OutTPS(LOAD)",
                                       "#PCWait(ms)", "#Hour", "#SPACE"};
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
        assert_non_null(strstr(r.out, cols[i]));
    assert_int_equal(count_lines(r.out), 2);
    char c[64], b[64], addr[64], ver[64];
    int bid;
    const char *row = strchr(r.out, '\n') + 1;
    assert_int_equal(sscanf(row, "%63s %63s %d %63s %63s", c, b, &bid, addr, ver), 5);
    assert_string_equal(c, CLUSTER);
    assert_string_equal(b, BROKER);
    assert_int_equal(bid, 0);
    assert_string_equal(addr, g_br.addr);
    assert_string_equal(ver, "V4_9_8");
    run_free(&r);

    rmq_ok(&r, "clusterList", "-n", g_nsaddrs, "--json", NULL);
    json_t *j = parse_json(r.out);
    assert_int_equal(json_array_size(j), 1);
    json_t *o = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(o, "clusterName")), CLUSTER);
    assert_string_equal(json_string_value(json_object_get(o, "brokerName")), BROKER);
    assert_int_equal(json_integer_value(json_object_get(o, "brokerId")), 0);
    assert_string_equal(json_string_value(json_object_get(o, "addr")), g_br.addr);
    assert_string_equal(json_string_value(json_object_get(o, "version")), "V4_9_8");
    assert_true(json_is_real(json_object_get(o, "inTps")));
    assert_true(json_is_real(json_object_get(o, "outTps")));
    assert_null(json_object_get(o, "error"));
    json_decref(j);
    run_free(&r);

    /* -m: yesterday's and today's totals; messages were sent today */
    rmq_ok(&r, "clusterList", "-n", g_nsaddrs, "-m", "-c", CLUSTER, "--json", NULL);
    j = parse_json(r.out);
    o = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(o, "brokerName")), BROKER);
    assert_true(json_integer_value(json_object_get(o, "inTotalToday")) >= NMSGS);
    assert_true(json_is_integer(json_object_get(o, "outTotalYest")));
    json_decref(j);
    run_free(&r);
    rmq_ok(&r, "clusterList", "-n", g_nsaddrs, "-m", NULL);
    assert_non_null(strstr(r.out, "#InTotalYest"));
    assert_non_null(strstr(r.out, "#OutTotalToday"));
    assert_int_equal(count_lines(r.out), 2);
    run_free(&r);

    rmq(&r, "clusterList", "-n", g_nsaddrs, "-c", "NoSuchCluster", NULL);
    expect_failure(&r, 1, "rmq clusterList: cluster NoSuchCluster not found");
    run_free(&r);
}

static void test_broker_status(void **state)
{
    (void)state;
    run_t r;
    rmq_ok(&r, "brokerStatus", "-n", g_nsaddrs, "-b", g_br.addr, NULL);
    /* "%-32s: %s", sorted by key */
    char want[96];
    snprintf(want, sizeof(want), "%-32s: %s", "brokerVersionDesc", "V4_9_8");
    assert_true(has_line(r.out, want));
    assert_non_null(strstr(r.out, "\nputTps "));
    assert_true(strstr(r.out, "bootTimestamp") < strstr(r.out, "putTps"));
    run_free(&r);

    rmq_ok(&r, "brokerStatus", "-n", g_nsaddrs, "-b", g_br.addr, "--json", NULL);
    json_t *j = parse_json(r.out);
    assert_string_equal(json_string_value(json_object_get(j, "brokerVersionDesc")), "V4_9_8");
    assert_true(json_is_string(json_object_get(j, "putTps")));
    assert_true(json_is_string(json_object_get(j, "msgPutTotalTodayNow")));
    json_decref(j);
    run_free(&r);

    /* -c: every address of the cluster, each line prefixed with it */
    rmq_ok(&r, "brokerStatus", "-n", g_nsaddrs, "-c", CLUSTER, NULL);
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "%-24s %-32s: ", g_br.addr, "brokerVersionDesc");
    assert_non_null(strstr(r.out, prefix));
    run_free(&r);
    rmq_ok(&r, "brokerStatus", "-n", g_nsaddrs, "-c", CLUSTER, "--json", NULL);
    j = parse_json(r.out);
    assert_int_equal(json_object_size(j), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, g_br.addr), "brokerVersionDesc")),
        "V4_9_8");
    json_decref(j);
    run_free(&r);
}

static void test_get_broker_config(void **state)
{
    (void)state;
    run_t r;
    char banner[128], line[256];
    rmq_ok(&r, "getBrokerConfig", "-n", g_nsaddrs, "-b", g_br.addr, NULL);
    snprintf(banner, sizeof(banner), "============%s============", g_br.addr);
    assert_true(strncmp(r.out, banner, strlen(banner)) == 0);
    snprintf(line, sizeof(line), "%-50s=  %s", "brokerName", BROKER);
    assert_true(has_line(r.out, line));
    snprintf(line, sizeof(line), "%-50s=  %s", "brokerClusterName", CLUSTER);
    assert_true(has_line(r.out, line));
    snprintf(line, sizeof(line), "%-50s=  %s", "namesrvAddr", g_nsaddrs);
    assert_true(has_line(r.out, line));
    run_free(&r);

    rmq_ok(&r, "getBrokerConfig", "-n", g_nsaddrs, "-c", CLUSTER, NULL);
    snprintf(banner, sizeof(banner), "============Master: %s============", g_br.addr);
    assert_true(has_line(r.out, banner));
    run_free(&r);

    rmq_ok(&r, "getBrokerConfig", "-n", g_nsaddrs, "-c", CLUSTER, "--json", NULL);
    json_t *j = parse_json(r.out);
    json_t *cfg = json_object_get(j, g_br.addr);
    assert_string_equal(json_string_value(json_object_get(cfg, "brokerName")), BROKER);
    assert_string_equal(json_string_value(json_object_get(cfg, "brokerId")), "0");
    assert_string_equal(json_string_value(json_object_get(cfg, "storePathRootDir")), g_br.store);
    json_decref(j);
    run_free(&r);
}

static void test_get_namesrv_config(void **state)
{
    (void)state;
    run_t r;
    rmq_ok(&r, "getNamesrvConfig", "-n", g_nsaddrs, NULL);
    for (int i = 0; i < 2; i++) {
        char banner[96], line[256];
        snprintf(banner, sizeof(banner), "============%s============", g_ns[i].addr);
        assert_true(has_line(r.out, banner));
        snprintf(line, sizeof(line), "%-50s=  %s", "kvConfigPath", g_ns[i].kv_path);
        assert_true(has_line(r.out, line));
    }
    run_free(&r);
    rmq_ok(&r, "getNamesrvConfig", "-n", g_nsaddrs, "--json", NULL);
    json_t *j = parse_json(r.out);
    assert_int_equal(json_object_size(j), 2);
    for (int i = 0; i < 2; i++) {
        json_t *cfg = json_object_get(j, g_ns[i].addr);
        assert_string_equal(json_string_value(json_object_get(cfg, "kvConfigPath")),
                            g_ns[i].kv_path);
        assert_non_null(json_object_get(cfg, "orderMessageEnable"));
    }
    json_decref(j);
    run_free(&r);
}

static void test_kv_config(void **state)
{
    (void)state;
    run_t r;
    rmq_ok(&r, "updateKvConfig", "-n", g_nsaddrs, "-s", "RMQ_IT_NS", "-k", "key1", "-v",
           "value one", NULL);
    assert_string_equal(r.out, "create or update kv config to namespace success.\n");
    run_free(&r);
    for (int i = 0; i < 2; i++) {
        char *v = NULL;
        assert_int_equal(kv_get(g_ns[i].addr, "RMQ_IT_NS", "key1", &v), 0);
        assert_string_equal(v, "value one");
        free(v);
    }
    rmq_ok(&r, "updateKvConfig", "-n", g_nsaddrs, "-s", "RMQ_IT_NS", "-k", "key2", "-v", "v2",
           "--json", NULL);
    json_t *j = parse_json(r.out);
    assert_string_equal(json_string_value(json_object_get(j, "namespace")), "RMQ_IT_NS");
    assert_string_equal(json_string_value(json_object_get(j, "key")), "key2");
    assert_string_equal(json_string_value(json_object_get(j, "value")), "v2");
    assert_int_equal(json_array_size(json_object_get(j, "nameServers")), 2);
    json_decref(j);
    run_free(&r);

    rmq_ok(&r, "deleteKvConfig", "-n", g_nsaddrs, "-s", "RMQ_IT_NS", "-k", "key1", NULL);
    assert_string_equal(r.out, "delete kv config from namespace success.\n");
    run_free(&r);
    rmq_ok(&r, "deleteKvConfig", "-n", g_nsaddrs, "-s", "RMQ_IT_NS", "-k", "key2", "--json",
           NULL);
    j = parse_json(r.out);
    assert_string_equal(json_string_value(json_object_get(j, "key")), "key2");
    json_decref(j);
    run_free(&r);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(kv_get(g_ns[i].addr, "RMQ_IT_NS", "key1", NULL),
                         ROCKETMQ_ERR_QUERY_NOT_FOUND);
        assert_int_equal(kv_get(g_ns[i].addr, "RMQ_IT_NS", "key2", NULL),
                         ROCKETMQ_ERR_QUERY_NOT_FOUND);
    }
}

/* Last of the tests using the broker's routes: it takes the write
 * permission away on both name servers. */
static void test_wipe_write_perm(void **state)
{
    (void)state;
    run_t r;
    rmq_ok(&r, "wipeWritePerm", "-n", g_nsaddrs, "-b", BROKER, NULL);
    assert_int_equal(count_lines(r.out), 2);
    for (int i = 0; i < 2; i++) {
        char prefix[128];
        snprintf(prefix, sizeof(prefix),
                 "wipe write perm of broker[" BROKER "] in name server[%s] OK, ", g_ns[i].addr);
        const char *p = strstr(r.out, prefix);
        assert_non_null(p);
        assert_true(atoi(p + strlen(prefix)) >= 3); /* TOPIC, RmqAdminT2, TBW102, ... */
    }
    run_free(&r);
    for (int i = 0; i < 2; i++) {
        rmq_topic_route_t route;
        assert_int_equal(it_get_route(g_rc, g_ns[i].addr, TOPIC, &route), 0);
        assert_int_equal(route.queue_datas[0].perm, RMQ_PERM_READ);
        rmq_topic_route_free(&route);
    }
    rmq_ok(&r, "wipeWritePerm", "-n", g_nsaddrs, "-b", BROKER, "--json", NULL);
    json_t *j = parse_json(r.out);
    assert_int_equal(json_array_size(j), 2);
    for (int i = 0; i < 2; i++) {
        json_t *o = json_array_get(j, (size_t)i);
        assert_string_equal(json_string_value(json_object_get(o, "nameServer")), g_ns[i].addr);
        assert_true(json_integer_value(json_object_get(o, "wipeTopicCount")) >= 3);
    }
    json_decref(j);
    run_free(&r);
}

/* ---- failures ---- */

static void test_bad_flags(void **state)
{
    (void)state;
    static const struct {
        const char *cmd;
        const char *args[8];
    } cases[] = {
        {"topicRoute", {NULL}},                                    /* -t missing */
        {"topicRoute", {"-t", NULL}},                              /* no value */
        {"topicRoute", {"-Z", "x", NULL}},                         /* unknown option */
        {"topicRoute", {"-t", "A", "extra", NULL}},                /* stray argument */
        {"topicStatus", {NULL}},
        {"topicClusterList", {NULL}},
        {"updateTopic", {"-t", "X", NULL}},                        /* neither -b nor -c */
        {"updateTopic", {"-t", "X", "-b", "a:1", "-c", "C", NULL}}, /* both */
        {"updateTopic", {"-c", "C", NULL}},                        /* -t missing */
        {"updateTopic", {"-t", "X", "-c", "C", "-r", "abc", NULL}},
        {"updateTopic", {"-t", "X", "-c", "C", "-w", "0", NULL}},
        {"updateTopic", {"-t", "X", "-c", "C", "-o", "maybe", NULL}},
        {"deleteTopic", {"-t", "X", NULL}},                        /* -c missing */
        {"topicList", {"-x", NULL}},
        {"clusterList", {"-i", "never", NULL}},
        {"brokerStatus", {NULL}},
        {"getBrokerConfig", {NULL}},
        {"wipeWritePerm", {NULL}},
        {"getNamesrvConfig", {"-t", "X", NULL}},
        {"updateKvConfig", {"-s", "NS", "-k", "K", NULL}},         /* -v missing */
        {"deleteKvConfig", {"-s", "NS", NULL}},                    /* -k missing */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_t r;
        rmq_cmd(&r, cases[i].cmd, g_nsaddrs, cases[i].args);
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "rmq %s: ", cases[i].cmd);
        expect_failure(&r, 2, prefix);
        if (!strstr(r.err, "rmq help"))
            fail_msg("%s: the usage error does not point at rmq help: %s", cases[i].cmd, r.err);
        run_free(&r);
    }
}

static void test_unreachable_namesrv(void **state)
{
    (void)state;
    int port = it_closed_port();
    assert_true(port > 0);
    char dead[32];
    snprintf(dead, sizeof(dead), "127.0.0.1:%d", port);
    char want[96];
    snprintf(want, sizeof(want), "rmq topicRoute: name server %s: ", dead);

    run_t r;
    rmq(&r, "topicRoute", "-n", dead, "-t", TOPIC, NULL);
    expect_failure(&r, 1, want);
    assert_non_null(strstr(r.err, "connection failed"));
    run_free(&r);

    static const struct {
        const char *cmd;
        const char *args[6];
    } cmds[] = {
        {"topicList", {NULL}},
        {"topicStatus", {"-t", TOPIC, NULL}},
        {"topicClusterList", {"-t", TOPIC, NULL}},
        {"clusterList", {NULL}},
        {"brokerStatus", {"-c", CLUSTER, NULL}},
        {"getBrokerConfig", {"-c", CLUSTER, NULL}},
        {"getNamesrvConfig", {NULL}},
        {"wipeWritePerm", {"-b", BROKER, NULL}},
        {"updateKvConfig", {"-s", "NS", "-k", "K", "-v", "V"}},
        {"deleteKvConfig", {"-s", "NS", "-k", "K", NULL}},
        {"deleteTopic", {"-t", TOPIC, "-c", CLUSTER, NULL}},
        {"updateTopic", {"-t", "X", "-c", CLUSTER, NULL}},
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        const char *args[8] = {0};
        memcpy(args, cmds[i].args, sizeof(cmds[i].args));
        rmq_cmd(&r, cmds[i].cmd, dead, args);
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "rmq %s: name server ", cmds[i].cmd);
        if (strcmp(cmds[i].cmd, "wipeWritePerm") == 0) {
            /* mqadmin's "... Failed" line on stdout, then the error */
            snprintf(want, sizeof(want),
                     "wipe write perm of broker[" BROKER "] in name server[%s] Failed\n", dead);
            assert_string_equal(r.out, want);
            r.out[0] = '\0';
        }
        expect_failure(&r, 1, prefix);
        run_free(&r);
    }

    /* no name server at all */
    rmq(&r, "topicList", NULL);
    expect_failure(&r, 1, "rmq topicList: no name server address");
    run_free(&r);

    /* a dead one in the list: lookups go to the live one ... */
    char list[96];
    snprintf(list, sizeof(list), "%s;%s", dead, g_ns[0].addr);
    rmq_ok(&r, "topicRoute", "-n", list, "-t", TOPIC, "--json", NULL);
    json_decref(parse_json(r.out));
    run_free(&r);
    /* ... but commands for every name server fail on it */
    rmq(&r, "getNamesrvConfig", "-n", list, NULL);
    snprintf(want, sizeof(want), "rmq getNamesrvConfig: name server %s: ", dead);
    expect_failure(&r, 1, want);
    run_free(&r);
}

static void test_unknown_topic(void **state)
{
    (void)state;
    static const char *const cmds[] = {"topicRoute", "topicStatus", "topicClusterList"};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        run_t r;
        rmq(&r, cmds[i], "-n", g_nsaddrs, "-t", "NoSuchTopicHere", NULL);
        char want[128];
        snprintf(want, sizeof(want), "rmq %s: topic NoSuchTopicHere does not exist", cmds[i]);
        expect_failure(&r, 1, want);
        run_free(&r);
    }
    /* a broker that does not answer */
    int port = it_closed_port();
    char dead[32];
    snprintf(dead, sizeof(dead), "127.0.0.1:%d", port);
    run_t r;
    rmq(&r, "brokerStatus", "-n", g_nsaddrs, "-b", dead, NULL);
    char want[96];
    snprintf(want, sizeof(want), "rmq brokerStatus: broker %s: ", dead);
    expect_failure(&r, 1, want);
    run_free(&r);
    /* an error answered by the broker: an illegal topic name */
    rmq(&r, "updateTopic", "-n", g_nsaddrs, "-b", g_br.addr, "-t", "bad/topic", NULL);
    snprintf(want, sizeof(want), "rmq updateTopic: broker %s: CODE: 1 ", g_br.addr);
    expect_failure(&r, 1, want);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_update_topic),
        cmocka_unit_test(test_update_topic_order),
        cmocka_unit_test(test_topic_route),
        cmocka_unit_test(test_topic_list),
        cmocka_unit_test(test_topic_status),
        cmocka_unit_test(test_topic_cluster_list),
        cmocka_unit_test(test_delete_topic),
        cmocka_unit_test(test_cluster_list),
        cmocka_unit_test(test_broker_status),
        cmocka_unit_test(test_get_broker_config),
        cmocka_unit_test(test_get_namesrv_config),
        cmocka_unit_test(test_kv_config),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_unreachable_namesrv),
        cmocka_unit_test(test_unknown_topic),
        cmocka_unit_test(test_wipe_write_perm),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
