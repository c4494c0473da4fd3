/* The rmq tool's send, consume and bench subcommands end to end: the real
 * rmq binary ($RMQ_TOOL_BIN) run as a child process against real
 * rmq-namesrv and rmq-broker processes, its stdout, stderr and exit code
 * checked.
 *
 *   - send -m 10 then consume -m 10 of a new group: the same ten message
 *     ids, tags, keys and bodies; a second consume of that group finds
 *     nothing (the first one committed its offsets) and times out;
 *   - consume of an empty topic with a short --timeout exits 1;
 *   - bench produce --duration 2 --json and bench consume --duration 2
 *     --json: per-second lines, then a last line that parses as JSON with
 *     the documented fields;
 *   - bad flags exit 2 with exactly one line on stderr; an unreachable name
 *     server exits 1 with one line.
 *
 * Every child gets a bounded time; one that overruns is killed by its pid
 * and fails the test. */
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

#define ROUTE_WAIT_MS 5000
#define RUN_TIMEOUT_MS 20000
#define QUEUES 4
#define TOPIC_SEND "RmqSendTopic"
#define TOPIC_EMPTY "RmqEmptyTopic"
#define TOPIC_BENCH "RmqBenchTopic"
#define MAX_ARGS 40

typedef struct env {
    it_namesrv_t ns;
    it_broker_proc_t br;
    rmq_rclient_t *rc;
} env_t;

/* What one run of rmq left behind. */
typedef struct run {
    int status; /* exit code, 128 + signal, -1 when it had to be killed */
    char *out;
    char *err;
    int64_t ms;
} run_t;

static void run_free(run_t *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

/* Runs rmq with the NULL-terminated argv (argv[0] is not included: the
 * binary comes first) for up to timeout_ms, capturing both outputs. */
static void run_rmq_v(run_t *r, int timeout_ms, const char *const *args)
{
    it_exec_t x;
    it_rmq_exec(&x, args, timeout_ms);
    r->out = x.out;
    r->err = x.err;
    r->ms = x.ms;
    r->status = x.status;
    if (x.killed)
        fail_msg("rmq %s ran longer than %d ms; stderr: %s", args[0], timeout_ms, r->err);
}

#define RUN_RMQ(r, timeout_ms, ...)                                                                \
    do {                                                                                           \
        const char *const args_[] = {__VA_ARGS__, NULL};                                           \
        run_rmq_v((r), (timeout_ms), args_);                                                       \
    } while (0)

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The last line of s (without its newline), as a new string. */
static char *last_line(const char *s)
{
    size_t len = strlen(s);
    while (len > 0 && s[len - 1] == '\n')
        len--;
    size_t start = len;
    while (start > 0 && s[start - 1] != '\n')
        start--;
    char *l = malloc(len - start + 1);
    assert_non_null(l);
    memcpy(l, s + start, len - start);
    l[len - start] = '\0';
    return l;
}

/* A usage error: exit 2, exactly one line on stderr naming the subcommand. */
static void assert_usage_error(const run_t *r, const char *prefix)
{
    if (r->status != 2 || count_lines(r->err) != 1 || strncmp(r->err, prefix, strlen(prefix)) != 0)
        fail_msg("want exit 2 and one line starting '%s', got %d and: %s", prefix, r->status,
                 r->err);
}

/* ---- processes ---- */

static int env_free(env_t *e)
{
    if (!e)
        return 0;
    if (e->rc)
        rmq_rclient_destroy(e->rc);
    int status = it_stop_broker_and_namesrv(&e->br, &e->ns);
    free(e);
    return status;
}

static int group_setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    env_t *e = calloc(1, sizeof(*e));
    if (!e)
        return -1;
    e->ns.out_fd = e->br.out_fd = -1;
    if (it_namesrv_start(&e->ns, NULL) != 0 ||
        it_broker_start(&e->br, e->ns.addr, "ASYNC_FLUSH", NULL) != 0) {
        env_free(e);
        return -1;
    }
    e->rc = rmq_rclient_new(NULL, NULL);
    const char *topics[] = {TOPIC_SEND, TOPIC_EMPTY, TOPIC_BENCH};
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
        if (it_create_topic(e->rc, e->br.addr, topics[i], QUEUES) != 0 ||
            !it_wait_route_brokers(e->rc, e->ns.addr, topics[i], 1, ROUTE_WAIT_MS)) {
            fprintf(stderr, "it_rmq_send: topic %s not created\n", topics[i]);
            env_free(e);
            return -1;
        }
    }
    *state = e;
    return 0;
}

static int group_teardown(void **state)
{
    return env_free(*state) == 0 ? 0 : -1;
}

/* ---- send and consume ---- */

static json_t *parse_line(const char *line)
{
    json_error_t jerr;
    json_t *v = json_loads(line, 0, &jerr);
    if (!v || !json_is_object(v))
        fail_msg("not a JSON object: '%s' (%s)", line, jerr.text);
    return v;
}

/* The JSON Lines of out, one object each, into a new array. */
static json_t *parse_lines(const char *out)
{
    json_t *arr = json_array();
    char *copy = strdup(out);
    char *save = NULL;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        json_array_append_new(arr, parse_line(l));
    free(copy);
    return arr;
}

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s)
        fail_msg("no string %s in %s", key, json_dumps(o, JSON_COMPACT));
    return s;
}

static bool has_id(json_t *arr, const char *id)
{
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
        if (strcmp(jstr(o, "msgId"), id) == 0)
            return true;
    }
    return false;
}

static void test_send_then_consume(void **state)
{
    env_t *e = *state;
    run_t r;
    /* text: a header and one line per message */
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "send", "-n", e->ns.addr, "-t", TOPIC_SEND, "--body", "first");
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 2);
    assert_non_null(strstr(r.out, "#MsgId"));
    assert_non_null(strstr(r.out, "SEND_OK"));
    assert_non_null(strstr(r.out, IT_BROKER_NAME));
    run_free(&r);

    RUN_RMQ(&r, RUN_TIMEOUT_MS, "send", "-n", e->ns.addr, "-t", TOPIC_SEND, "-m", "10", "--tags",
            "TagA", "--keys", "k1 k2", "--json");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    json_t *sent = parse_lines(r.out);
    assert_int_equal(json_array_size(sent), 10);
    size_t i;
    json_t *o;
    json_array_foreach(sent, i, o) {
        assert_string_equal(jstr(o, "status"), "SEND_OK");
        assert_string_equal(jstr(o, "topic"), TOPIC_SEND);
        assert_string_equal(jstr(o, "brokerName"), IT_BROKER_NAME);
        assert_true(json_is_integer(json_object_get(o, "queueId")));
        assert_true(json_integer_value(json_object_get(o, "queueOffset")) >= 0);
        assert_int_equal(strlen(jstr(o, "msgId")), 32);
    }
    run_free(&r);

    /* a new group from the first offset: the 11 messages, ours among them */
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "consume", "-n", e->ns.addr, "-t", TOPIC_SEND, "-g", "rmq_it_g1",
            "--from", "first", "-m", "11", "--timeout", "15", "--json");
    if (r.status != 0)
        fail_msg("consume exited %d: %s", r.status, r.err);
    json_t *got = parse_lines(r.out);
    assert_int_equal(json_array_size(got), 11);
    json_array_foreach(sent, i, o) {
        if (!has_id(got, jstr(o, "msgId")))
            fail_msg("message %s was sent but not consumed", jstr(o, "msgId"));
    }
    int hello = 0;
    json_array_foreach(got, i, o) {
        const char *body = jstr(o, "body");
        if (strcmp(body, "first") == 0)
            continue;
        assert_string_equal(jstr(o, "tags"), "TagA");
        assert_string_equal(jstr(o, "keys"), "k1 k2");
        assert_string_equal(jstr(o, "topic"), TOPIC_SEND);
        assert_int_equal(strncmp(body, "Hello RocketMQ ", 15), 0);
        hello++;
    }
    assert_int_equal(hello, 10);
    json_decref(got);
    json_decref(sent);
    run_free(&r);

    /* the offsets were committed: the same group finds nothing new */
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "consume", "-n", e->ns.addr, "-t", TOPIC_SEND, "-g", "rmq_it_g1",
            "--from", "first", "-m", "1", "--timeout", "2");
    assert_int_equal(r.status, 1);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "timed out"));
    assert_int_equal(count_lines(r.out), 1); /* the header only */
    run_free(&r);

    /* one more message: the group continues with exactly that one (text) */
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "send", "-n", e->ns.addr, "-t", TOPIC_SEND, "--body",
            "line one\nline two");
    assert_int_equal(r.status, 0);
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "consume", "-n", e->ns.addr, "-t", TOPIC_SEND, "-g", "rmq_it_g1",
            "-m", "1", "--timeout", "15");
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 2);
    assert_non_null(strstr(r.out, "line one\\nline two"));
    run_free(&r);
}

static void test_consume_timeout(void **state)
{
    env_t *e = *state;
    run_t r;
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "consume", "-n", e->ns.addr, "-t", TOPIC_EMPTY, "-g", "rmq_it_g2",
            "-m", "1", "--timeout", "2", "--json");
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "");
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "rmq consume: timed out after 2 s with 0 of 1 messages"));
    assert_true(r.ms >= 2000);
    run_free(&r);

    RUN_RMQ(&r, RUN_TIMEOUT_MS, "bench", "consume", "-n", e->ns.addr, "-t", "NoSuchTopicHere",
            "--duration", "5");
    assert_int_equal(r.status, 1);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "does not exist"));
    run_free(&r);

    /* an unknown topic fails at once */
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "consume", "-n", e->ns.addr, "-t", "NoSuchTopicHere", "-g",
            "rmq_it_g2", "-m", "1", "--timeout", "10");
    assert_int_equal(r.status, 1);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "does not exist"));
    assert_true(r.ms < 8000);
    run_free(&r);
}

/* ---- bench ---- */

static double jnum(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        fail_msg("no number %s", key);
    return json_number_value(v);
}

static void test_bench_produce(void **state)
{
    env_t *e = *state;
    run_t r;
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "bench", "produce", "-n", e->ns.addr, "-t", TOPIC_BENCH, "-w",
            "4", "-s", "256", "-k", "--duration", "2", "--json");
    if (r.status != 0)
        fail_msg("bench produce exited %d: %s", r.status, r.err);
    assert_non_null(strstr(r.out, "Send TPS: "));
    assert_non_null(strstr(r.out, "Max RT(ms): "));
    assert_non_null(strstr(r.out, "[Complete] Send Total: "));
    assert_non_null(strstr(r.out, "p99.9: "));
    char *line = last_line(r.out);
    json_t *o = parse_line(line);
    assert_true(jnum(o, "sent") > 0);
    assert_true(jnum(o, "failed") == 0);
    assert_true(jnum(o, "tps") > 0);
    assert_true(jnum(o, "rt_p50_ms") > 0);
    assert_true(jnum(o, "rt_p99_ms") >= jnum(o, "rt_p50_ms"));
    assert_true(jnum(o, "rt_max_ms") >= jnum(o, "rt_p99_ms"));
    assert_true(jnum(o, "rt_avg_ms") > 0);
    assert_true(jnum(o, "seconds") >= 2);
    json_decref(o);
    free(line);
    run_free(&r);

    /* -q: exactly that many, asynchronously */
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "bench", "produce", "-n", e->ns.addr, "-t", TOPIC_BENCH, "-q",
            "500", "--async", "--json");
    assert_int_equal(r.status, 0);
    line = last_line(r.out);
    o = parse_line(line);
    assert_true(jnum(o, "sent") == 500);
    assert_true(jnum(o, "failed") == 0);
    json_decref(o);
    free(line);
    run_free(&r);
}

static void test_bench_consume(void **state)
{
    env_t *e = *state;
    run_t r;
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "bench", "produce", "-n", e->ns.addr, "-t", TOPIC_BENCH, "-w",
            "2", "-q", "200");
    assert_int_equal(r.status, 0);
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "bench", "consume", "-n", e->ns.addr, "-t", TOPIC_BENCH,
            "--from", "first", "--duration", "2", "--json");
    if (r.status != 0)
        fail_msg("bench consume exited %d: %s", r.status, r.err);
    assert_non_null(strstr(r.out, "Consumer Started."));
    assert_non_null(strstr(r.out, "Receive TPS: "));
    assert_non_null(strstr(r.out, "[Complete] Receive Total: "));
    char *line = last_line(r.out);
    json_t *o = parse_line(line);
    assert_true(jnum(o, "received") >= 200);
    assert_true(jnum(o, "tps") > 0);
    assert_true(jnum(o, "e2e_avg_ms") >= 0);
    assert_true(jnum(o, "e2e_p99_ms") >= jnum(o, "e2e_p50_ms"));
    assert_true(jnum(o, "e2e_max_ms") >= jnum(o, "e2e_p99_ms"));
    json_decref(o);
    free(line);
    run_free(&r);
}

/* ---- errors ---- */

static void test_bad_flags(void **state)
{
    env_t *e = *state;
    run_t r;
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "send", "-n", e->ns.addr, "-t", TOPIC_SEND, "--bogus");
    assert_usage_error(&r, "rmq send: ");
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "send", "-n", e->ns.addr);
    assert_usage_error(&r, "rmq send: ");
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "send", "-n", e->ns.addr, "-t", TOPIC_SEND, "-m", "zero");
    assert_usage_error(&r, "rmq send: ");
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "send", "-n", e->ns.addr, "-t", TOPIC_SEND, "--body", "a",
            "--file", "/etc/hostname");
    assert_usage_error(&r, "rmq send: ");
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "consume", "-n", e->ns.addr, "-t", TOPIC_SEND);
    assert_usage_error(&r, "rmq consume: ");
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "consume", "-n", e->ns.addr, "-t", TOPIC_SEND, "-g", "g",
            "--from", "middle");
    assert_usage_error(&r, "rmq consume: ");
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "bench");
    assert_usage_error(&r, "rmq bench: ");
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "bench", "frobnicate");
    assert_usage_error(&r, "rmq bench: ");
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "bench", "produce", "-n", e->ns.addr, "-w", "many");
    assert_usage_error(&r, "rmq bench: ");
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "bench", "produce", "-n", e->ns.addr, "--async", "--oneway");
    assert_usage_error(&r, "rmq bench: ");
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "bench", "consume", "-n", e->ns.addr, "--nope");
    assert_usage_error(&r, "rmq bench: ");
    run_free(&r);
    /* no -n and no NAMESRV_ADDR (the child runs without it) */
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "send", "-t", TOPIC_SEND);
    assert_usage_error(&r, "rmq send: ");
    run_free(&r);

    /* help works and exits 0 */
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "help", "bench");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "bench produce"));
    assert_non_null(strstr(r.out, "bench consume"));
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "send", "-h");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: rmq send"));
    run_free(&r);
}

static void test_unreachable_namesrv(void **state)
{
    (void)state;
    char addr[32];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", it_closed_port());
    run_t r;
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "send", "-n", addr, "-t", TOPIC_SEND, "--timeout-ms", "2000");
    assert_int_equal(r.status, 1);
    assert_int_equal(count_lines(r.err), 1);
    assert_int_equal(strncmp(r.err, "rmq send: ", 10), 0);
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "consume", "-n", addr, "-t", TOPIC_SEND, "-g", "g", "-m", "1",
            "--timeout", "2");
    assert_int_equal(r.status, 1);
    assert_int_equal(count_lines(r.err), 1);
    assert_int_equal(strncmp(r.err, "rmq consume: ", 13), 0);
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "bench", "consume", "-n", addr, "--duration", "1");
    assert_int_equal(r.status, 1);
    assert_int_equal(count_lines(r.err), 1);
    assert_int_equal(strncmp(r.err, "rmq bench: ", 11), 0);
    run_free(&r);
    RUN_RMQ(&r, RUN_TIMEOUT_MS, "bench", "produce", "-n", addr, "-w", "2", "--duration", "1");
    assert_int_equal(r.status, 1);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "rmq bench: no message was sent: "));
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_then_consume),
        cmocka_unit_test(test_consume_timeout),
        cmocka_unit_test(test_bench_produce),
        cmocka_unit_test(test_bench_consume),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_unreachable_namesrv),
    };
    int64_t t0 = it_now_ms();
    int failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
    fprintf(stderr, "it_rmq_send: %lld ms\n", (long long)(it_now_ms() - t0));
    return failed;
}
