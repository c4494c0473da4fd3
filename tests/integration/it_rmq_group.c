/* The rmq tool's group and message subcommands end to end: the real rmq
 * binary ($RMQ_TOOL_BIN) run as a child process against a real rmq-namesrv
 * and rmq-broker, after messages were sent with the library's producer (which
 * stays up, for producerConnection) and consumed by its push consumer (up
 * until the offset reset, for consumerProgress and consumerConnection).
 *
 * Every subcommand of cmd_group.c and cmd_msg.c is run; its text output and
 * its --json document (parsed with jansson) are checked, and what a command
 * changes is looked up at the broker or through another subcommand.  Bad
 * flags must exit 2 and failures (dead name server, unknown topic or group)
 * exit 1, each with exactly one line "rmq <cmd>: ..." on stderr.
 *
 * Each child gets at most RUN_TIMEOUT_MS and is killed by its pid after that;
 * every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "protocol/codes.h"
#include "rocketmq/consumer.h"
#include "rocketmq/error.h"
#include "rocketmq/message.h"
#include "rocketmq/producer.h"

#define RUN_TIMEOUT_MS 15000
#define ROUTE_WAIT_MS 5000
#define BROKER IT_BROKER_NAME
#define CLUSTER IT_BROKER_CLUSTER
#define TOPIC "RmqGrpT1"  /* 4 queues, NMSGS messages from the producer */
#define TOPIC2 "RmqGrpT2" /* sendMessage's */
#define PGROUP "RmqGrpProducer"
#define CGROUP "RmqGrpConsumer"
#define NMSGS 8

typedef struct sent {
    char msg_id[ROCKETMQ_MSG_ID_MAX + 1];
    char offset_id[ROCKETMQ_MSG_ID_MAX + 1];
    int queue_id;
    int64_t queue_offset;
    char key[32];
    char body[64];
    const char *tag;
} sent_t;

static it_namesrv_t g_ns;
static it_broker_proc_t g_br;
static rmq_rclient_t *g_rc;
static rocketmq_producer_t *g_prod;
static rocketmq_push_consumer_t *g_cons;
static atomic_int g_consumed;
static sent_t g_sent[NMSGS];

/* ---- running rmq ---- */

typedef struct run {
    int rc; /* exit status, -1 when it had to be killed */
    char *out;
    char *err;
} run_t;

static void run_free(run_t *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

#define MAX_ARGS 40

/* Runs rmq with the NULL-terminated args through the harness (without
 * NAMESRV_ADDR in its environment); collects stdout, stderr and the exit
 * status. */
static void run_argv(run_t *r, const char *const *args)
{
    it_exec_t x;
    it_rmq_exec(&x, args, RUN_TIMEOUT_MS);
    r->out = x.out;
    r->err = x.err;
    r->rc = x.killed ? -1 : x.status >= 128 ? -1 : x.status;
    if (x.killed)
        fprintf(stderr, "it_rmq_group: rmq %s killed after %d ms\n", args[0], RUN_TIMEOUT_MS);
}

/* run(r, "-n", addr, "consumerProgress", ...) with a NULL at the end; the
 * subcommand first, then its flags. */
static void run(run_t *r, const char *first, ...)
{
    const char *args[MAX_ARGS + 1];
    size_t n = 0;
    args[n++] = first;
    va_list ap;
    va_start(ap, first);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < MAX_ARGS)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    run_argv(r, args);
}

/* The same with "-n <name server>" appended. */
#define RUNN(r, ...) run(r, __VA_ARGS__, "-n", g_ns.addr, NULL)

/* Exit 0 and nothing on stderr. */
static void expect_ok(const run_t *r, const char *what)
{
    if (r->rc != 0 || r->err[0])
        fail_msg("%s: exit %d, stderr: %s, stdout: %s", what, r->rc, r->err, r->out);
}

/* Exit code want and exactly one stderr line "rmq <cmd>: ...". */
static void expect_fail(const run_t *r, int want, const char *cmd, const char *what)
{
    if (r->rc != want)
        fail_msg("%s: exit %d (want %d), stderr: %s, stdout: %s", what, r->rc, want, r->err,
                 r->out);
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "rmq %s: ", cmd);
    if (strncmp(r->err, prefix, strlen(prefix)) != 0)
        fail_msg("%s: stderr does not start with '%s': %s", what, prefix, r->err);
    size_t lines = 0;
    for (const char *p = r->err; *p; p++)
        lines += *p == '\n';
    if (lines != 1 || r->err[strlen(r->err) - 1] != '\n')
        fail_msg("%s: stderr is not one line: %s", what, r->err);
}

static void expect_has(const char *text, const char *needle, const char *what)
{
    if (!strstr(text, needle))
        fail_msg("%s: no '%s' in:\n%s", what, needle, text);
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static json_t *json_of(const run_t *r, const char *what)
{
    json_error_t jerr;
    json_t *j = json_loads(r->out, 0, &jerr);
    if (!j)
        fail_msg("%s: not JSON (%s): %s", what, jerr.text, r->out);
    return j;
}

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    if (!s)
        fail_msg("no string %s in %s", k, json_dumps(o, JSON_COMPACT));
    return s;
}

static int64_t jint(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        fail_msg("no integer %s in %s", k, json_dumps(o, JSON_COMPACT));
    return json_integer_value(v);
}

/* ---- servers, producer, consumer ---- */

static rocketmq_consume_status_t on_msgs(rocketmq_message_t *const *msgs, size_t n,
                                         rocketmq_consume_context_t *ctx, void *arg)
{
    atomic_fetch_add(&g_consumed, (int)n);
    return ROCKETMQ_CONSUME_SUCCESS;
}

static void must(int err, const char *what)
{
    if (err != 0)
        fail_msg("%s: %s (%d): %s", what, rocketmq_err_name(err), err,
                 rocketmq_last_error_detail());
}

/* Setup steps report on stderr and return false (no cmocka assertions
 * outside a test). */
static bool ok(int err, const char *what)
{
    if (err != 0)
        fprintf(stderr, "it_rmq_group: %s: %s (%d): %s\n", what, rocketmq_err_name(err), err,
                rocketmq_last_error_detail());
    return err == 0;
}

static bool create_topic(const char *topic, int queues)
{
    int code = it_create_topic(g_rc, g_br.addr, topic, queues);
    if (code != 0) {
        fprintf(stderr, "it_rmq_group: creating %s: code %d\n", topic, code);
        return false;
    }
    if (!it_wait_route_brokers(g_rc, g_ns.addr, topic, 1, ROUTE_WAIT_MS)) {
        fprintf(stderr, "it_rmq_group: no route of %s after %d ms\n", topic, ROUTE_WAIT_MS);
        return false;
    }
    return true;
}

/* The sum of the group's consumer offsets on TOPIC at the broker, through
 * rmq consumerProgress; -1 when it fails. */
static int64_t committed_sum(bool verbose)
{
    run_t r;
    RUNN(&r, "consumerProgress", "-g", CGROUP, "-t", TOPIC, "--json");
    if (verbose)
        fprintf(stderr, "it_rmq_group: consumerProgress exit %d, stdout: %s, stderr: %s\n", r.rc,
                r.out, r.err);
    int64_t sum = -1;
    json_t *j = r.rc == 0 ? json_loads(r.out, 0, NULL) : NULL;
    if (j) {
        size_t k;
        json_t *q;
        sum = 0;
        json_array_foreach(json_object_get(j, "queues"), k, q) {
            sum += json_integer_value(json_object_get(q, "consumerOffset"));
        }
        json_decref(j);
    }
    run_free(&r);
    return sum;
}

static bool send_all(void)
{
    for (int i = 0; i < NMSGS; i++) {
        sent_t *s = &g_sent[i];
        snprintf(s->key, sizeof(s->key), "key-%d", i);
        snprintf(s->body, sizeof(s->body), "body of message %d", i);
        s->tag = i % 2 == 0 ? "TagA" : "TagB";
        char keys[64];
        snprintf(keys, sizeof(keys), "%s common", s->key);
        rocketmq_message_t *m = rocketmq_message_new(TOPIC);
        if (!m)
            return false;
        rocketmq_message_set_keys(m, keys);
        rocketmq_message_set_tags(m, s->tag);
        rocketmq_message_set_body(m, s->body, strlen(s->body));
        rocketmq_send_result_t res;
        int err = rocketmq_producer_send(g_prod, m, &res);
        rocketmq_message_destroy(m);
        if (!ok(err, "send"))
            return false;
        snprintf(s->msg_id, sizeof(s->msg_id), "%s", res.msg_id);
        snprintf(s->offset_id, sizeof(s->offset_id), "%s", res.offset_msg_id);
        s->queue_id = res.queue.queue_id;
        s->queue_offset = res.queue_offset;
    }
    return true;
}

static bool start_consumer(void)
{
    g_cons = rocketmq_push_consumer_new(CGROUP);
    return g_cons && ok(rocketmq_push_consumer_set_namesrv_addr(g_cons, g_ns.addr), "namesrv") &&
           ok(rocketmq_push_consumer_set_consume_from_where(g_cons,
                                                            ROCKETMQ_CONSUME_FROM_FIRST_OFFSET),
              "from") &&
           ok(rocketmq_push_consumer_set_persist_consumer_offset_interval(g_cons, 500),
              "persist") &&
           ok(rocketmq_push_consumer_set_heartbeat_broker_interval(g_cons, 1000), "heartbeat") &&
           ok(rocketmq_push_consumer_set_rebalance_interval(g_cons, 1000), "rebalance") &&
           ok(rocketmq_push_consumer_subscribe(g_cons, TOPIC, "*"), "subscribe") &&
           ok(rocketmq_push_consumer_register_listener(g_cons, on_msgs, NULL), "listener") &&
           ok(rocketmq_push_consumer_start(g_cons), "consumer start");
}

static bool start_clients(void)
{
    g_prod = rocketmq_producer_new(PGROUP);
    if (!g_prod || !ok(rocketmq_producer_set_namesrv_addr(g_prod, g_ns.addr), "namesrv") ||
        !ok(rocketmq_producer_set_heartbeat_broker_interval(g_prod, 500), "heartbeat") ||
        !ok(rocketmq_producer_start(g_prod), "producer start") || !send_all())
        return false;
    if (!start_consumer())
        return false;
    int64_t deadline = it_now_ms() + 10000;
    while (atomic_load(&g_consumed) < NMSGS && it_now_ms() < deadline)
        it_sleep_ms(20);
    if (atomic_load(&g_consumed) < NMSGS) {
        fprintf(stderr, "it_rmq_group: consumed %d of %d\n", atomic_load(&g_consumed), NMSGS);
        return false;
    }
    /* A running consumer's offsets reach the broker with its next pull or
     * its first persist of all offsets (10 s after its start, as in Java);
     * a shutdown persists them at once.  A second consumer of the group then
     * stays online for the connection and progress tests. */
    if (!ok(rocketmq_push_consumer_shutdown(g_cons), "consumer shutdown"))
        return false;
    rocketmq_push_consumer_destroy(g_cons);
    g_cons = NULL;
    if (!start_consumer())
        return false;
    deadline = it_now_ms() + 10000;
    for (int i = 0; i < 100 && it_now_ms() < deadline; i++) {
        if (committed_sum(false) == NMSGS)
            return true;
        it_sleep_ms(100);
    }
    committed_sum(true);
    fprintf(stderr, "it_rmq_group: the consumer's offsets did not reach %d\n", NMSGS);
    return false;
}

static int group_teardown(void **state);

static int group_setup(void **state)
{
    g_ns.out_fd = g_br.out_fd = -1;
    if (it_namesrv_start(&g_ns, NULL) != 0)
        return -1;
    if (it_broker_start(&g_br, g_ns.addr, "ASYNC_FLUSH", NULL) != 0) {
        it_namesrv_cleanup(&g_ns);
        return -1;
    }
    g_rc = rmq_rclient_new(NULL, NULL);
    if (!getenv("RMQ_TOOL_BIN") || !create_topic(TOPIC, 4) || !create_topic(TOPIC2, 2) ||
        !start_clients()) {
        fprintf(stderr, "it_rmq_group: setup failed\n");
        group_teardown(state);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    if (g_cons)
        rocketmq_push_consumer_destroy(g_cons);
    if (g_prod)
        rocketmq_producer_destroy(g_prod);
    if (g_rc)
        rmq_rclient_destroy(g_rc);
    g_cons = NULL;
    g_prod = NULL;
    g_rc = NULL;
    int status = it_stop_broker_and_namesrv(&g_br, &g_ns);
    if (status != 0)
        fprintf(stderr, "it_rmq_group: the broker or the name server did not exit 0\n");
    return status == 0 ? 0 : -1;
}

/* ---- messages ---- */

static void test_query_msg_by_id(void **state)
{
    const sent_t *s = &g_sent[1];
    run_t r;
    RUNN(&r, "queryMsgById", "-i", s->offset_id);
    expect_ok(&r, "queryMsgById");
    char line[160];
    snprintf(line, sizeof(line), "OffsetID:            %s\n", s->offset_id);
    expect_has(r.out, line, "queryMsgById");
    expect_has(r.out, "Topic:               " TOPIC "\n", "queryMsgById");
    snprintf(line, sizeof(line), "Keys:                [%s common]\n", s->key);
    expect_has(r.out, line, "queryMsgById");
    expect_has(r.out, "Tags:                [TagB]\n", "queryMsgById");
    snprintf(line, sizeof(line), "Queue ID:            %d\n", s->queue_id);
    expect_has(r.out, line, "queryMsgById");
    snprintf(line, sizeof(line), "Message Body:        %s\n", s->body);
    expect_has(r.out, line, "queryMsgById");
    expect_has(r.out, "Born Timestamp:", "queryMsgById");
    expect_has(r.out, "UNIQ_KEY=", "queryMsgById");
    run_free(&r);

    /* two ids, JSON */
    char ids[160];
    snprintf(ids, sizeof(ids), "%s,%s", g_sent[0].offset_id, g_sent[2].offset_id);
    RUNN(&r, "queryMsgById", "-i", ids, "--json");
    expect_ok(&r, "queryMsgById --json");
    json_t *j = json_of(&r, "queryMsgById --json");
    assert_int_equal(json_array_size(j), 2);
    for (size_t i = 0; i < 2; i++) {
        const sent_t *x = &g_sent[i * 2];
        json_t *m = json_array_get(j, i);
        assert_string_equal(jstr(m, "msgId"), x->msg_id);
        assert_string_equal(jstr(m, "offsetMsgId"), x->offset_id);
        assert_string_equal(jstr(m, "topic"), TOPIC);
        assert_string_equal(jstr(m, "tags"), x->tag);
        assert_string_equal(jstr(m, "body"), x->body);
        assert_int_equal(jint(m, "queueId"), x->queue_id);
        assert_int_equal(jint(m, "queueOffset"), x->queue_offset);
        assert_string_equal(jstr(json_object_get(m, "properties"), "UNIQ_KEY"), x->msg_id);
    }
    json_decref(j);
    run_free(&r);

    /* not an offset id: bad usage; an offset past the log: not found */
    RUNN(&r, "queryMsgById", "-i", "not-a-message-id");
    expect_fail(&r, 2, "queryMsgById", "queryMsgById bad id");
    run_free(&r);
    char far[64];
    snprintf(far, sizeof(far), "%.16s00000000FFFFFF00", s->offset_id);
    RUNN(&r, "queryMsgById", "-i", far);
    expect_fail(&r, 1, "queryMsgById", "queryMsgById far offset");
    run_free(&r);
    RUNN(&r, "queryMsgById");
    expect_fail(&r, 2, "queryMsgById", "queryMsgById without -i");
    run_free(&r);
}

static void test_query_msg_by_key(void **state)
{
    run_t r;
    RUNN(&r, "queryMsgByKey", "-t", TOPIC, "-k", "common");
    expect_ok(&r, "queryMsgByKey common");
    expect_has(r.out, "#Message ID", "queryMsgByKey");
    for (int i = 0; i < NMSGS; i++)
        expect_has(r.out, g_sent[i].msg_id, "queryMsgByKey common");
    run_free(&r);

    RUNN(&r, "queryMsgByKey", "-t", TOPIC, "-k", "key-5", "--json");
    expect_ok(&r, "queryMsgByKey key-5");
    json_t *j = json_of(&r, "queryMsgByKey --json");
    assert_int_equal(json_array_size(j), 1);
    json_t *m = json_array_get(j, 0);
    assert_string_equal(jstr(m, "msgId"), g_sent[5].msg_id);
    assert_int_equal(jint(m, "queueId"), g_sent[5].queue_id);
    assert_int_equal(jint(m, "queueOffset"), g_sent[5].queue_offset);
    json_decref(j);
    run_free(&r);

    /* a window that ends before anything was stored */
    RUNN(&r, "queryMsgByKey", "-t", TOPIC, "-k", "common", "-b", "0", "-e", "1000");
    expect_fail(&r, 1, "queryMsgByKey", "queryMsgByKey old window");
    run_free(&r);
    RUNN(&r, "queryMsgByKey", "-t", TOPIC, "-k", "no-such-key");
    expect_fail(&r, 1, "queryMsgByKey", "queryMsgByKey unknown key");
    run_free(&r);
    RUNN(&r, "queryMsgByKey", "-t", "NoSuchTopicG", "-k", "common");
    expect_fail(&r, 1, "queryMsgByKey", "queryMsgByKey unknown topic");
    expect_has(r.err, "does not exist", "queryMsgByKey unknown topic");
    run_free(&r);
    RUNN(&r, "queryMsgByKey", "-t", TOPIC);
    expect_fail(&r, 2, "queryMsgByKey", "queryMsgByKey without -k");
    run_free(&r);
}

static void test_query_msg_by_unique_key(void **state)
{
    const sent_t *s = &g_sent[3];
    run_t r;
    RUNN(&r, "queryMsgByUniqueKey", "-t", TOPIC, "-i", s->msg_id);
    expect_ok(&r, "queryMsgByUniqueKey");
    expect_has(r.out, "Topic:               " TOPIC "\n", "queryMsgByUniqueKey");
    char line[160];
    snprintf(line, sizeof(line), "Message Body:        %s\n", s->body);
    expect_has(r.out, line, "queryMsgByUniqueKey");
    assert_null(strstr(r.out, "OffsetID:"));
    run_free(&r);

    RUNN(&r, "queryMsgByUniqueKey", "-t", TOPIC, "-i", s->msg_id, "-a", "--json");
    expect_ok(&r, "queryMsgByUniqueKey --json");
    json_t *j = json_of(&r, "queryMsgByUniqueKey --json");
    assert_int_equal(json_array_size(j), 1);
    assert_string_equal(jstr(json_array_get(j, 0), "offsetMsgId"), s->offset_id);
    json_decref(j);
    run_free(&r);

    RUNN(&r, "queryMsgByUniqueKey", "-t", TOPIC, "-i", "0A0000000000000000000000000000FF");
    expect_fail(&r, 1, "queryMsgByUniqueKey", "queryMsgByUniqueKey unknown id");
    run_free(&r);
    RUNN(&r, "queryMsgByUniqueKey", "-i", s->msg_id);
    expect_fail(&r, 2, "queryMsgByUniqueKey", "queryMsgByUniqueKey without -t");
    run_free(&r);
}

static void test_query_msg_by_offset(void **state)
{
    const sent_t *s = &g_sent[6];
    char qid[16], off[24];
    snprintf(qid, sizeof(qid), "%d", s->queue_id);
    snprintf(off, sizeof(off), "%" PRId64, s->queue_offset);
    run_t r;
    RUNN(&r, "queryMsgByOffset", "-t", TOPIC, "-b", BROKER, "-i", qid, "-o", off);
    expect_ok(&r, "queryMsgByOffset");
    char line[160];
    snprintf(line, sizeof(line), "OffsetID:            %s\n", s->offset_id);
    expect_has(r.out, line, "queryMsgByOffset");
    run_free(&r);

    RUNN(&r, "queryMsgByOffset", "-t", TOPIC, "-b", BROKER, "-i", qid, "-o", off, "--json");
    expect_ok(&r, "queryMsgByOffset --json");
    json_t *j = json_of(&r, "queryMsgByOffset --json");
    assert_string_equal(jstr(json_array_get(j, 0), "msgId"), s->msg_id);
    assert_string_equal(jstr(json_array_get(j, 0), "brokerName"), BROKER);
    json_decref(j);
    run_free(&r);

    RUNN(&r, "queryMsgByOffset", "-t", TOPIC, "-b", BROKER, "-i", qid, "-o", "1000");
    expect_fail(&r, 1, "queryMsgByOffset", "queryMsgByOffset past the end");
    run_free(&r);
    RUNN(&r, "queryMsgByOffset", "-t", TOPIC, "-b", "no-such-broker", "-i", qid, "-o", off);
    expect_fail(&r, 1, "queryMsgByOffset", "queryMsgByOffset unknown broker");
    run_free(&r);
    RUNN(&r, "queryMsgByOffset", "-t", TOPIC, "-b", BROKER, "-i", "x", "-o", off);
    expect_fail(&r, 2, "queryMsgByOffset", "queryMsgByOffset bad -i");
    run_free(&r);
}

static void test_print_msg(void **state)
{
    run_t r;
    RUNN(&r, "printMsg", "-t", TOPIC);
    expect_ok(&r, "printMsg");
    assert_int_equal(count_of(r.out, "MSGID: "), NMSGS);
    assert_int_equal(count_of(r.out, "minOffset="), 4);
    for (int i = 0; i < NMSGS; i++) {
        char needle[160];
        snprintf(needle, sizeof(needle), "MSGID: %.64s ", g_sent[i].msg_id);
        expect_has(r.out, needle, "printMsg");
        snprintf(needle, sizeof(needle), "BODY: %.63s\n", g_sent[i].body);
        expect_has(r.out, needle, "printMsg");
    }
    run_free(&r);

    RUNN(&r, "printMsg", "-t", TOPIC, "-s", "TagA", "-d", "false");
    expect_ok(&r, "printMsg TagA");
    assert_int_equal(count_of(r.out, "MSGID: "), NMSGS / 2);
    assert_int_equal(count_of(r.out, "NOT PRINT BODY"), NMSGS / 2);
    assert_null(strstr(r.out, "TAGS=TagB"));
    run_free(&r);

    RUNN(&r, "printMsg", "-t", TOPIC, "--json");
    expect_ok(&r, "printMsg --json");
    json_t *j = json_of(&r, "printMsg --json");
    assert_int_equal(json_array_size(j), NMSGS);
    json_decref(j);
    run_free(&r);

    /* up to an end before anything was stored: nothing; -m bounds the count */
    RUNN(&r, "printMsg", "-t", TOPIC, "-e", "1000", "--json");
    expect_ok(&r, "printMsg -e 1000");
    j = json_of(&r, "printMsg -e 1000");
    assert_int_equal(json_array_size(j), 0);
    json_decref(j);
    run_free(&r);
    RUNN(&r, "printMsg", "-t", TOPIC, "-m", "3", "--json");
    expect_ok(&r, "printMsg -m 3");
    j = json_of(&r, "printMsg -m 3");
    assert_int_equal(json_array_size(j), 3);
    json_decref(j);
    run_free(&r);

    RUNN(&r, "printMsg", "-t", TOPIC, "-c", "GBK");
    expect_fail(&r, 2, "printMsg", "printMsg GBK");
    run_free(&r);
    RUNN(&r, "printMsg", "-t", "NoSuchTopicG");
    expect_fail(&r, 1, "printMsg", "printMsg unknown topic");
    run_free(&r);
}

static void test_consume_message(void **state)
{
    run_t r;
    RUNN(&r, "consumeMessage", "-t", TOPIC, "-c", "5", "--json");
    expect_ok(&r, "consumeMessage -c 5");
    json_t *j = json_of(&r, "consumeMessage -c 5");
    assert_int_equal(json_array_size(j), 5);
    json_decref(j);
    run_free(&r);

    RUNN(&r, "consumeMessage", "-t", TOPIC);
    expect_ok(&r, "consumeMessage");
    assert_int_equal(count_of(r.out, "MSGID: "), NMSGS);
    expect_has(r.out, "Consume ok", "consumeMessage");
    run_free(&r);

    /* one queue from an offset */
    const sent_t *s = &g_sent[0];
    int in_queue = 0;
    for (int i = 0; i < NMSGS; i++)
        in_queue += g_sent[i].queue_id == s->queue_id;
    char qid[16];
    snprintf(qid, sizeof(qid), "%d", s->queue_id);
    RUNN(&r, "consumeMessage", "-t", TOPIC, "-b", BROKER, "-i", qid, "-o", "0", "-g", "RmqGrpCm",
         "--json");
    expect_ok(&r, "consumeMessage by queue");
    j = json_of(&r, "consumeMessage by queue");
    assert_int_equal(json_array_size(j), (size_t)in_queue);
    size_t k;
    json_t *m;
    json_array_foreach(j, k, m) {
        assert_int_equal(jint(m, "queueId"), s->queue_id);
    }
    json_decref(j);
    run_free(&r);

    RUNN(&r, "consumeMessage", "-t", TOPIC, "-i", "0");
    expect_fail(&r, 2, "consumeMessage", "consumeMessage -i without -b");
    run_free(&r);
    RUNN(&r, "consumeMessage", "-t", TOPIC, "-c", "0");
    expect_fail(&r, 2, "consumeMessage", "consumeMessage -c 0");
    run_free(&r);
}

static void test_send_message(void **state)
{
    run_t r;
    RUNN(&r, "sendMessage", "-t", TOPIC2, "-p", "hello from rmq", "-k", "sm-key", "-c", "TagS");
    expect_ok(&r, "sendMessage");
    expect_has(r.out, "#Broker Name", "sendMessage");
    expect_has(r.out, "SEND_OK", "sendMessage");
    run_free(&r);

    RUNN(&r, "sendMessage", "-t", TOPIC2, "-p", "to queue 1", "-k", "sm-q1", "-b", BROKER, "-i",
         "1", "--json");
    expect_ok(&r, "sendMessage --json");
    json_t *j = json_of(&r, "sendMessage --json");
    assert_string_equal(jstr(j, "sendStatus"), "SEND_OK");
    assert_string_equal(jstr(j, "brokerName"), BROKER);
    assert_int_equal(jint(j, "queueId"), 1);
    char id[ROCKETMQ_MSG_ID_MAX + 1];
    snprintf(id, sizeof(id), "%s", jstr(j, "msgId"));
    assert_int_equal(strlen(id), 32);
    json_decref(j);
    run_free(&r);

    /* it is there, by its unique id and by its key */
    RUNN(&r, "queryMsgByUniqueKey", "-t", TOPIC2, "-i", id, "--json");
    expect_ok(&r, "sendMessage then queryMsgByUniqueKey");
    j = json_of(&r, "queryMsgByUniqueKey after send");
    assert_string_equal(jstr(json_array_get(j, 0), "body"), "to queue 1");
    assert_int_equal(jint(json_array_get(j, 0), "queueId"), 1);
    json_decref(j);
    run_free(&r);
    RUNN(&r, "queryMsgByKey", "-t", TOPIC2, "-k", "sm-key", "--json");
    expect_ok(&r, "sendMessage then queryMsgByKey");
    j = json_of(&r, "queryMsgByKey after send");
    assert_int_equal(json_array_size(j), 1);
    assert_string_equal(jstr(json_array_get(j, 0), "tags"), "TagS");
    json_decref(j);
    run_free(&r);

    RUNN(&r, "sendMessage", "-t", TOPIC2, "-p", "x", "-i", "1");
    expect_fail(&r, 2, "sendMessage", "sendMessage -i without -b");
    run_free(&r);
    RUNN(&r, "sendMessage", "-t", TOPIC2);
    expect_fail(&r, 2, "sendMessage", "sendMessage without -p");
    run_free(&r);
    RUNN(&r, "sendMessage", "-t", TOPIC2, "-p", "x", "-b", "no-such-broker");
    expect_fail(&r, 1, "sendMessage", "sendMessage unknown broker");
    run_free(&r);
}

/* ---- groups ---- */

static void test_consumer_connection(void **state)
{
    const char *cid = rocketmq_push_consumer_client_id(g_cons);
    assert_non_null(cid);
    run_t r;
    /* the consumer's first heartbeat may still be on its way */
    int64_t deadline = it_now_ms() + 5000;
    for (int i = 0; i < 50; i++) {
        RUNN(&r, "consumerConnection", "-g", CGROUP);
        if ((r.rc == 0 && strstr(r.out, cid)) || it_now_ms() > deadline)
            break;
        run_free(&r);
        it_sleep_ms(100);
    }
    expect_ok(&r, "consumerConnection");
    expect_has(r.out, "#ClientId", "consumerConnection");
    expect_has(r.out, cid, "consumerConnection");
    expect_has(r.out, "Below is subscription:", "consumerConnection");
    expect_has(r.out, TOPIC, "consumerConnection");
    expect_has(r.out, "ConsumeType: CONSUME_PASSIVELY\n", "consumerConnection");
    expect_has(r.out, "MessageModel: CLUSTERING\n", "consumerConnection");
    expect_has(r.out, "ConsumeFromWhere: CONSUME_FROM_FIRST_OFFSET\n", "consumerConnection");
    run_free(&r);

    RUNN(&r, "consumerConnection", "-g", CGROUP, "--json");
    expect_ok(&r, "consumerConnection --json");
    json_t *j = json_of(&r, "consumerConnection --json");
    json_t *conns = json_object_get(j, "connections");
    assert_int_equal(json_array_size(conns), 1);
    assert_string_equal(jstr(json_array_get(conns, 0), "clientId"), cid);
    assert_string_equal(jstr(json_array_get(conns, 0), "language"), "CPP");
    assert_string_equal(jstr(json_array_get(conns, 0), "version"), "V4_9_8");
    bool found = false;
    size_t k;
    json_t *sub;
    json_array_foreach(json_object_get(j, "subscriptions"), k, sub) {
        found |= strcmp(jstr(sub, "topic"), TOPIC) == 0 &&
                 strcmp(jstr(sub, "subExpression"), "*") == 0;
    }
    assert_true(found);
    assert_string_equal(jstr(j, "messageModel"), "CLUSTERING");
    json_decref(j);
    run_free(&r);

    /* straight to the broker */
    RUNN(&r, "consumerConnection", "-g", CGROUP, "-b", g_br.addr, "--json");
    expect_ok(&r, "consumerConnection -b");
    run_free(&r);

    RUNN(&r, "consumerConnection", "-g", "NoSuchGroupG");
    expect_fail(&r, 1, "consumerConnection", "consumerConnection unknown group");
    run_free(&r);
    RUNN(&r, "consumerConnection", "-g", "NoSuchGroupG", "-b", g_br.addr);
    expect_fail(&r, 1, "consumerConnection", "consumerConnection -b unknown group");
    expect_has(r.err, "not online", "consumerConnection -b unknown group");
    run_free(&r);
    RUNN(&r, "consumerConnection");
    expect_fail(&r, 2, "consumerConnection", "consumerConnection without -g");
    run_free(&r);
}

static void test_consumer_progress(void **state)
{
    run_t r;
    RUNN(&r, "consumerProgress", "-g", CGROUP, "-t", TOPIC);
    expect_ok(&r, "consumerProgress");
    expect_has(r.out, "#Topic", "consumerProgress");
    expect_has(r.out, "#Consumer Offset", "consumerProgress");
    expect_has(r.out, "#LastTime", "consumerProgress");
    expect_has(r.out, "\nConsume TPS: 0.00\nDiff Total: 0\n", "consumerProgress");
    assert_int_equal(count_of(r.out, TOPIC "  "), 4);
    run_free(&r);

    RUNN(&r, "consumerProgress", "-g", CGROUP, "--json");
    expect_ok(&r, "consumerProgress --json");
    json_t *j = json_of(&r, "consumerProgress --json");
    assert_string_equal(jstr(j, "group"), CGROUP);
    assert_int_equal(jint(j, "diffTotal"), 0);
    int64_t broker_sum = 0, rows = 0;
    size_t k;
    json_t *q;
    json_array_foreach(json_object_get(j, "queues"), k, q) {
        if (strcmp(jstr(q, "topic"), TOPIC) != 0)
            continue;
        rows++;
        broker_sum += jint(q, "brokerOffset");
        assert_int_equal(jint(q, "consumerOffset"), jint(q, "brokerOffset"));
        assert_int_equal(jint(q, "diff"), 0);
        assert_string_equal(jstr(q, "brokerName"), BROKER);
        if (jint(q, "brokerOffset") > 0)
            assert_true(jint(q, "lastTimestamp") > 0);
    }
    assert_int_equal(rows, 4);
    assert_int_equal(broker_sum, NMSGS);
    json_decref(j);
    run_free(&r);

    /* -s true adds the Client IP column; rmq-broker does not relay
     * GET_CONSUMER_RUNNING_INFO, so it reads N/A */
    RUNN(&r, "consumerProgress", "-g", CGROUP, "-t", TOPIC, "-s", "true");
    expect_ok(&r, "consumerProgress -s true");
    expect_has(r.out, "#Client IP", "consumerProgress -s true");
    expect_has(r.out, "N/A", "consumerProgress -s true");
    run_free(&r);

    /* every group */
    RUNN(&r, "consumerProgress");
    expect_ok(&r, "consumerProgress (all)");
    expect_has(r.out, "#Group", "consumerProgress (all)");
    expect_has(r.out, CGROUP, "consumerProgress (all)");
    run_free(&r);
    RUNN(&r, "consumerProgress", "--json");
    expect_ok(&r, "consumerProgress (all) --json");
    j = json_of(&r, "consumerProgress (all) --json");
    bool found = false;
    json_array_foreach(j, k, q) {
        if (strcmp(jstr(q, "group"), CGROUP) != 0)
            continue;
        found = true;
        assert_int_equal(jint(q, "count"), 1);
        assert_string_equal(jstr(q, "type"), "PUSH");
        assert_string_equal(jstr(q, "model"), "CLUSTERING");
        assert_string_equal(jstr(q, "version"), "V4_9_8");
    }
    assert_true(found);
    json_decref(j);
    run_free(&r);

    RUNN(&r, "consumerProgress", "-g", "NoSuchGroupG");
    expect_fail(&r, 1, "consumerProgress", "consumerProgress unknown group");
    expect_has(r.err, "NoSuchGroupG", "consumerProgress unknown group");
    run_free(&r);
    RUNN(&r, "consumerProgress", "-g", CGROUP, "-s", "maybe");
    expect_fail(&r, 2, "consumerProgress", "consumerProgress -s maybe");
    run_free(&r);
}

static void test_producer_connection(void **state)
{
    const char *cid = rocketmq_producer_client_id(g_prod);
    assert_non_null(cid);
    run_t r;
    /* the producer's heartbeat (every 500 ms) registers it at the broker */
    int64_t deadline = it_now_ms() + 5000;
    for (int i = 0; i < 100; i++) {
        RUNN(&r, "producerConnection", "-g", PGROUP, "-t", TOPIC);
        if (r.rc == 0 || it_now_ms() > deadline)
            break;
        run_free(&r);
        it_sleep_ms(100);
    }
    expect_ok(&r, "producerConnection");
    expect_has(r.out, "#ClientId", "producerConnection");
    expect_has(r.out, cid, "producerConnection");
    expect_has(r.out, "0001", "producerConnection");
    run_free(&r);

    RUNN(&r, "producerConnection", "-g", PGROUP, "-t", TOPIC, "--json");
    expect_ok(&r, "producerConnection --json");
    json_t *j = json_of(&r, "producerConnection --json");
    assert_true(json_array_size(j) >= 1);
    bool found = false;
    size_t k;
    json_t *c;
    json_array_foreach(j, k, c) {
        found |= strcmp(jstr(c, "clientId"), cid) == 0;
    }
    assert_true(found);
    json_decref(j);
    run_free(&r);

    RUNN(&r, "producerConnection", "-g", "NoSuchProducerG", "-t", TOPIC);
    expect_fail(&r, 1, "producerConnection", "producerConnection unknown group");
    run_free(&r);
    RUNN(&r, "producerConnection", "-g", PGROUP, "-t", "NoSuchTopicG");
    expect_fail(&r, 1, "producerConnection", "producerConnection unknown topic");
    run_free(&r);
    RUNN(&r, "producerConnection", "-g", PGROUP);
    expect_fail(&r, 2, "producerConnection", "producerConnection without -t");
    run_free(&r);
}

/* The broker's SubscriptionGroupConfig of group, or NULL. */
static json_t *broker_group(const char *group)
{
    rmq_cmd_t *resp = it_call(g_rc, g_br.addr,
                              rmq_cmd_new_request(RMQ_REQ_GET_ALL_SUBSCRIPTIONGROUP_CONFIG));
    assert_non_null(resp);
    assert_int_equal(resp->code, 0);
    json_t *all = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    rmq_cmd_free(resp);
    assert_non_null(all);
    json_t *g = json_object_get(json_object_get(all, "subscriptionGroupTable"), group);
    json_incref(g);
    json_decref(all);
    return g;
}

static void test_sub_group(void **state)
{
    run_t r;
    RUNN(&r, "updateSubGroup", "-b", g_br.addr, "-g", "RmqGrpSub", "-r", "5", "-q", "2", "-s",
         "false");
    expect_ok(&r, "updateSubGroup -b");
    char line[160];
    snprintf(line, sizeof(line), "create subscription group to %s success.\n", g_br.addr);
    expect_has(r.out, line, "updateSubGroup -b");
    expect_has(r.out, "SubscriptionGroupConfig [groupName=RmqGrpSub, consumeEnable=false",
               "updateSubGroup -b");
    expect_has(r.out, "retryMaxTimes=5", "updateSubGroup -b");
    run_free(&r);
    json_t *g = broker_group("RmqGrpSub");
    assert_non_null(g);
    assert_int_equal(jint(g, "retryMaxTimes"), 5);
    assert_int_equal(jint(g, "retryQueueNums"), 2);
    assert_true(json_is_false(json_object_get(g, "consumeEnable")));
    assert_true(json_is_false(json_object_get(g, "consumeBroadcastEnable")));
    json_decref(g);

    RUNN(&r, "updateSubGroup", "-c", CLUSTER, "-g", "RmqGrpSub", "-d", "true", "--json");
    expect_ok(&r, "updateSubGroup -c");
    json_t *j = json_of(&r, "updateSubGroup -c --json");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "brokers"), 0)),
                        g_br.addr);
    assert_true(json_is_true(json_object_get(json_object_get(j, "config"),
                                             "consumeBroadcastEnable")));
    json_decref(j);
    run_free(&r);
    g = broker_group("RmqGrpSub");
    assert_non_null(g);
    assert_int_equal(jint(g, "retryMaxTimes"), 16);
    assert_true(json_is_true(json_object_get(g, "consumeBroadcastEnable")));
    json_decref(g);

    RUNN(&r, "deleteSubGroup", "-b", g_br.addr, "-g", "RmqGrpSub");
    expect_ok(&r, "deleteSubGroup -b");
    snprintf(line, sizeof(line),
             "delete subscription group [RmqGrpSub] from broker [%s] success.\n", g_br.addr);
    expect_has(r.out, line, "deleteSubGroup -b");
    run_free(&r);
    assert_null(broker_group("RmqGrpSub"));

    /* -c also removes %RETRY% and %DLQ% of the group */
    RUNN(&r, "updateSubGroup", "-c", CLUSTER, "-g", "RmqGrpSub2");
    expect_ok(&r, "updateSubGroup -c (2)");
    run_free(&r);
    RUNN(&r, "deleteSubGroup", "-c", CLUSTER, "-g", "RmqGrpSub2", "-r", "true", "--json");
    expect_ok(&r, "deleteSubGroup -c");
    j = json_of(&r, "deleteSubGroup -c --json");
    assert_true(json_is_true(json_object_get(j, "removeOffset")));
    json_t *topics = json_object_get(j, "deletedTopics");
    assert_int_equal(json_array_size(topics), 2);
    assert_string_equal(json_string_value(json_array_get(topics, 0)), "%RETRY%RmqGrpSub2");
    assert_string_equal(json_string_value(json_array_get(topics, 1)), "%DLQ%RmqGrpSub2");
    json_decref(j);
    run_free(&r);
    assert_null(broker_group("RmqGrpSub2"));

    RUNN(&r, "updateSubGroup", "-g", "RmqGrpSub");
    expect_fail(&r, 2, "updateSubGroup", "updateSubGroup without -b/-c");
    run_free(&r);
    RUNN(&r, "updateSubGroup", "-b", g_br.addr, "-g", "RmqGrpSub", "-s", "maybe");
    expect_fail(&r, 2, "updateSubGroup", "updateSubGroup -s maybe");
    run_free(&r);
    RUNN(&r, "updateSubGroup", "-b", g_br.addr, "-g", "RmqGrpSub", "-q", "many");
    expect_fail(&r, 2, "updateSubGroup", "updateSubGroup -q many");
    run_free(&r);
    RUNN(&r, "updateSubGroup", "-c", "NoSuchClusterG", "-g", "RmqGrpSub");
    expect_fail(&r, 1, "updateSubGroup", "updateSubGroup unknown cluster");
    run_free(&r);
    RUNN(&r, "deleteSubGroup", "-b", g_br.addr);
    expect_fail(&r, 2, "deleteSubGroup", "deleteSubGroup without -g");
    run_free(&r);
}

/* The consumer offsets of the group on TOPIC, by queue id (4 queues). */
static void progress_offsets(int64_t co[4], int64_t bo[4])
{
    run_t r;
    RUNN(&r, "consumerProgress", "-g", CGROUP, "-t", TOPIC, "--json");
    expect_ok(&r, "consumerProgress after reset");
    json_t *j = json_of(&r, "consumerProgress after reset");
    size_t k;
    json_t *q;
    json_array_foreach(json_object_get(j, "queues"), k, q) {
        int64_t id = jint(q, "queueId");
        assert_true(id >= 0 && id < 4);
        co[id] = jint(q, "consumerOffset");
        bo[id] = jint(q, "brokerOffset");
    }
    json_decref(j);
    run_free(&r);
}

/* Last: the consumer is shut down first (running consumers would commit their
 * in-memory offsets over the reset). */
static void test_reset_offset_by_time(void **state)
{
    must(rocketmq_push_consumer_shutdown(g_cons), "consumer shutdown");
    run_t r;
    RUNN(&r, "resetOffsetByTime", "-g", CGROUP, "-t", TOPIC, "-s", "0");
    expect_ok(&r, "resetOffsetByTime -s 0");
    expect_has(r.out, "rollback consumer offset by specified group[" CGROUP "], topic[" TOPIC "]",
               "resetOffsetByTime");
    expect_has(r.out, "#rollbackOffset", "resetOffsetByTime");
    run_free(&r);
    int64_t co[4] = {-1, -1, -1, -1}, bo[4] = {0};
    progress_offsets(co, bo);
    for (int i = 0; i < 4; i++)
        assert_int_equal(co[i], 0);

    /* forward to now, but not forced: nothing moves */
    RUNN(&r, "resetOffsetByTime", "-g", CGROUP, "-t", TOPIC, "-s", "now", "-f", "false", "--json");
    expect_ok(&r, "resetOffsetByTime now -f false");
    json_t *j = json_of(&r, "resetOffsetByTime --json");
    assert_string_equal(jstr(j, "method"), "consumer-offsets");
    assert_int_equal(json_array_size(json_object_get(j, "queues")), 4);
    json_decref(j);
    run_free(&r);
    progress_offsets(co, bo);
    for (int i = 0; i < 4; i++)
        assert_int_equal(co[i], 0);

    /* forced to now: the max offsets */
    RUNN(&r, "resetOffsetByTime", "-g", CGROUP, "-t", TOPIC, "-s", "now", "--json");
    expect_ok(&r, "resetOffsetByTime now");
    j = json_of(&r, "resetOffsetByTime now --json");
    size_t k;
    json_t *q;
    json_array_foreach(json_object_get(j, "queues"), k, q) {
        assert_int_equal(jint(q, "offset"), jint(q, "brokerOffset"));
    }
    json_decref(j);
    run_free(&r);
    progress_offsets(co, bo);
    for (int i = 0; i < 4; i++)
        assert_int_equal(co[i], bo[i]);

    /* the date form, before everything: back to 0 */
    RUNN(&r, "resetOffsetByTime", "-g", CGROUP, "-t", TOPIC, "-s", "2001-01-01#00:00:00:000");
    expect_ok(&r, "resetOffsetByTime date");
    run_free(&r);
    progress_offsets(co, bo);
    for (int i = 0; i < 4; i++)
        assert_int_equal(co[i], 0);

    RUNN(&r, "resetOffsetByTime", "-g", CGROUP, "-t", TOPIC, "-s", "yesterday");
    expect_fail(&r, 2, "resetOffsetByTime", "resetOffsetByTime bad -s");
    run_free(&r);
    RUNN(&r, "resetOffsetByTime", "-g", CGROUP, "-t", "NoSuchTopicG", "-s", "now");
    expect_fail(&r, 1, "resetOffsetByTime", "resetOffsetByTime unknown topic");
    run_free(&r);
    RUNN(&r, "resetOffsetByTime", "-g", CGROUP, "-t", TOPIC);
    expect_fail(&r, 2, "resetOffsetByTime", "resetOffsetByTime without -s");
    run_free(&r);
}

/* ---- failures common to all ---- */

static void test_errors(void **state)
{
    char dead[32];
    snprintf(dead, sizeof(dead), "127.0.0.1:%d", it_closed_port());
    static const char *const cmds[][8] = {
        {"updateSubGroup", "-c", CLUSTER, "-g", "G", NULL},
        {"deleteSubGroup", "-c", CLUSTER, "-g", "G", NULL},
        {"consumerProgress", "-g", CGROUP, NULL},
        {"consumerConnection", "-g", CGROUP, NULL},
        {"producerConnection", "-g", PGROUP, "-t", TOPIC, NULL},
        {"resetOffsetByTime", "-g", CGROUP, "-t", TOPIC, "-s", "now", NULL},
        {"queryMsgByKey", "-t", TOPIC, "-k", "common", NULL},
        {"queryMsgByUniqueKey", "-t", TOPIC, "-i", "X", NULL},
        {"queryMsgByOffset", "-t", TOPIC, "-b", BROKER, "-i", "0", NULL},
        {"printMsg", "-t", TOPIC, NULL},
        {"sendMessage", "-t", TOPIC, "-p", "x", NULL},
        {"consumeMessage", "-t", TOPIC, NULL},
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        const char *args[MAX_ARGS + 1];
        size_t n = 0;
        for (size_t k = 0; cmds[i][k]; k++)
            args[n++] = cmds[i][k];
        if (strcmp(cmds[i][0], "queryMsgByOffset") == 0) {
            args[n++] = "-o";
            args[n++] = "0";
        }
        size_t base = n;
        /* a dead name server */
        args[n++] = "-n";
        args[n++] = dead;
        args[n++] = "--timeout-ms";
        args[n++] = "1000";
        args[n] = NULL;
        run_t r;
        run_argv(&r, args);
        expect_fail(&r, 1, cmds[i][0], cmds[i][0]);
        run_free(&r);
        /* no name server at all */
        args[base] = NULL;
        run_argv(&r, args);
        expect_fail(&r, 1, cmds[i][0], cmds[i][0]);
        expect_has(r.err, "NAMESRV_ADDR", cmds[i][0]);
        run_free(&r);
        /* an unknown flag */
        args[base] = "--no-such-flag";
        args[base + 1] = NULL;
        run_argv(&r, args);
        expect_fail(&r, 2, cmds[i][0], cmds[i][0]);
        run_free(&r);
        /* help */
        const char *help[] = {"help", cmds[i][0], NULL};
        run_argv(&r, help);
        expect_ok(&r, "help");
        char usage[96];
        snprintf(usage, sizeof(usage), "usage: rmq %s", cmds[i][0]);
        expect_has(r.out, usage, "help");
        run_free(&r);
        const char *dash_h[] = {cmds[i][0], "-h", NULL};
        run_argv(&r, dash_h);
        expect_ok(&r, "-h");
        expect_has(r.out, usage, "-h");
        run_free(&r);
    }
    /* an unexpected operand */
    run_t r;
    RUNN(&r, "consumerProgress", "-g", CGROUP, "extra");
    expect_fail(&r, 2, "consumerProgress", "operand");
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_msg_by_id),
        cmocka_unit_test(test_query_msg_by_key),
        cmocka_unit_test(test_query_msg_by_unique_key),
        cmocka_unit_test(test_query_msg_by_offset),
        cmocka_unit_test(test_print_msg),
        cmocka_unit_test(test_consume_message),
        cmocka_unit_test(test_send_message),
        cmocka_unit_test(test_consumer_connection),
        cmocka_unit_test(test_consumer_progress),
        cmocka_unit_test(test_producer_connection),
        cmocka_unit_test(test_sub_group),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_reset_offset_by_time),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
