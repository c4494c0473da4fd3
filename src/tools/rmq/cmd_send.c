/* rmq send and rmq consume: producing and consuming from the command line
 * with librocketmq's producer (SYNC sends) and push consumer, printing what
 * each message became (id, queue, offset) or what it carried.
 *
 * Text output streams one line per message under a header line; --json
 * streams one JSON object per line instead (JSON Lines), so a script can
 * read messages as they come and a long run never builds up an array. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "base/time.h"
#include "rocketmq/consumer.h"
#include "rocketmq/producer.h"
#include "tools/rmq/cli.h"

/* Largest --file body: the producer's default maxMessageSize. */
#define SEND_FILE_MAX (4 * 1024 * 1024)
/* How long the listener that delivered the last wanted message waits for
 * the shutdown to begin (see on_consume). */
#define CONSUME_LAST_HOLD_MS 10000

/* The name server address: -n, else NAMESRV_ADDR; NULL (after the error
 * line) when neither is set. */
static const char *namesrv_addr(rmq_cli_t *cli)
{
    const char *addr = cli->namesrv;
    if (!addr || !*addr)
        addr = getenv("NAMESRV_ADDR");
    if (!addr || !*addr) {
        cli_usage(cli, "no name server address: pass -n host:port or set NAMESRV_ADDR");
        return NULL;
    }
    return addr;
}

/* Reads a whole file (at most SEND_FILE_MAX bytes).  0 or -1 (errno). */
static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *buf = rmq_malloc(SEND_FILE_MAX + 1);
    size_t n = fread(buf, 1, SEND_FILE_MAX + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed || n > SEND_FILE_MAX) {
        free(buf);
        errno = failed ? EIO : EFBIG;
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* ---- rmq send ---- */

typedef struct send_opts {
    const char *topic;
    const char *group;
    const char *tags;
    const char *keys;
    const char *body;
    const char *file;
    int64_t count;
} send_opts_t;

static void print_send_header(void)
{
    printf("%-32s  %-20s  %4s  %12s  %s\n", "#MsgId", "#BrokerName", "#QID", "#QueueOffset",
           "#Status");
}

static void print_send_ok(rmq_cli_t *cli, const char *topic, const rocketmq_send_result_t *r)
{
    const char *status = rocketmq_send_status_name(r->status);
    if (!cli->json) {
        printf("%-32s  %-20s  %4d  %12lld  %s\n", r->msg_id, r->queue.broker_name,
               r->queue.queue_id, (long long)r->queue_offset, status);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "msgId", json_string(r->msg_id));
    json_object_set_new(o, "offsetMsgId", json_string(r->offset_msg_id));
    json_object_set_new(o, "topic", json_string(topic));
    json_object_set_new(o, "brokerName", json_string(r->queue.broker_name));
    json_object_set_new(o, "queueId", json_integer(r->queue.queue_id));
    json_object_set_new(o, "queueOffset", json_integer(r->queue_offset));
    json_object_set_new(o, "status", json_string(status));
    cli_json_print(o);
}

static void print_send_failed(rmq_cli_t *cli, const char *msg_id, int err, const char *detail)
{
    if (!cli->json) {
        printf("%-32s  %-20s  %4s  %12s  FAILED (%s: %s)\n", msg_id ? msg_id : "-", "-", "-",
               "-", rocketmq_err_name(err), detail);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "msgId", msg_id ? json_string(msg_id) : json_null());
    json_object_set_new(o, "status", json_string("FAILED"));
    json_object_set_new(o, "error", json_string(rocketmq_err_name(err)));
    json_object_set_new(o, "detail", json_string(detail));
    cli_json_print(o);
}

/* Builds message i; NULL (after the error line) if a value is refused. */
static rocketmq_message_t *build_message(rmq_cli_t *cli, const send_opts_t *o, const char *body,
                                         size_t body_len, int64_t i)
{
    rocketmq_message_t *m = rocketmq_message_new(o->topic);
    char dflt[64];
    if (!body) { /* the default body tells the messages apart */
        snprintf(dflt, sizeof(dflt), "Hello RocketMQ %lld", (long long)i);
        body = dflt;
        body_len = strlen(dflt);
    }
    int err = rocketmq_message_set_body(m, body, body_len);
    if (err == 0 && o->tags)
        err = rocketmq_message_set_tags(m, o->tags);
    if (err == 0 && o->keys)
        err = rocketmq_message_set_keys(m, o->keys);
    if (err != 0) {
        cli_usage(cli, "bad message: %s", rocketmq_last_error_detail());
        rocketmq_message_destroy(m);
        return NULL;
    }
    return m;
}

static int send_all(rmq_cli_t *cli, rocketmq_producer_t *p, const send_opts_t *o,
                    const char *body, size_t body_len)
{
    int64_t failed = 0;
    int last_err = 0;
    char last_detail[256] = "";
    if (!cli->json)
        print_send_header();
    for (int64_t i = 0; i < o->count; i++) {
        rocketmq_message_t *m = build_message(cli, o, body, body_len, i);
        if (!m)
            return RMQ_EXIT_USAGE;
        rocketmq_send_result_t r;
        int err = rocketmq_producer_send(p, m, &r);
        if (err == 0) {
            print_send_ok(cli, o->topic, &r);
        } else {
            failed++;
            last_err = err;
            snprintf(last_detail, sizeof(last_detail), "%s", rocketmq_last_error_detail());
            print_send_failed(cli, rocketmq_message_get_msg_id(m), err, last_detail);
        }
        rocketmq_message_destroy(m);
        fflush(stdout);
    }
    if (failed == 0)
        return RMQ_EXIT_OK;
    return cli_fail(cli, "%lld of %lld sends failed, the last with %s: %s", (long long)failed,
                    (long long)o->count, rocketmq_err_name(last_err), last_detail);
}

static int send_run(rmq_cli_t *cli, int argc, char **argv)
{
    enum { OPT_TAGS = 'T', OPT_KEYS = 'K', OPT_BODY = 'B', OPT_FILE = 'F' };
    static const cli_opt_t longopts[] = {
        {"topic", 1, 't'},     {"group", 1, 'g'},     {"count", 1, 'm'},
        {"tags", 1, OPT_TAGS}, {"keys", 1, OPT_KEYS}, {"body", 1, OPT_BODY},
        {"file", 1, OPT_FILE}, {NULL, 0, 0},
    };
    send_opts_t o = {.count = 1};
    const char *arg;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "t:g:m:", longopts, &arg)) != -1) {
        switch (c) {
        case 't': o.topic = arg; break;
        case 'g': o.group = arg; break;
        case OPT_TAGS: o.tags = arg; break;
        case OPT_KEYS: o.keys = arg; break;
        case OPT_BODY: o.body = arg; break;
        case OPT_FILE: o.file = arg; break;
        case 'm':
            if (cli_parse_i64(cli, "-m", arg, 1, 1000000000, &o.count) != 0)
                return RMQ_EXIT_USAGE;
            break;
        case 'h': printf("%s", rmq_cmds_send[0].usage); return RMQ_EXIT_OK;
        default: return RMQ_EXIT_USAGE;
        }
    }
    if (cli_optind() < argc)
        return cli_usage(cli, "unexpected argument '%s'", argv[cli_optind()]);
    if (!o.topic || !*o.topic)
        return cli_usage(cli, "-t TOPIC is required");
    if (o.body && o.file)
        return cli_usage(cli, "--body and --file exclude each other");
    const char *ns = namesrv_addr(cli);
    if (!ns)
        return RMQ_EXIT_USAGE;

    char *file_body = NULL;
    size_t body_len = o.body ? strlen(o.body) : 0;
    if (o.file && read_file(o.file, &file_body, &body_len) != 0)
        return cli_fail(cli, "cannot read %s: %s", o.file,
                        errno == EFBIG ? "larger than 4 MiB" : strerror(errno));
    /* mqadmin sendMessage's producer group: the current time */
    char group[64];
    snprintf(group, sizeof(group), "%s", o.group ? o.group : "");
    if (!o.group)
        snprintf(group, sizeof(group), "rmq_send_%lld", (long long)rmq_now_ms());

    rocketmq_producer_t *p = rocketmq_producer_new(group);
    int err = rocketmq_producer_set_namesrv_addr(p, ns);
    if (err == 0)
        err = rocketmq_producer_set_send_msg_timeout(p, cli->timeout_ms);
    if (err == 0)
        err = rocketmq_producer_start(p);
    int rc;
    if (err != 0)
        rc = cli_fail(cli, "the producer did not start: %s", rocketmq_last_error_detail());
    else
        rc = send_all(cli, p, &o, file_body ? file_body : o.body, body_len);
    rocketmq_producer_destroy(p);
    free(file_body);
    return rc;
}

/* ---- rmq consume ---- */

/* What the listener shares with the waiting main thread. */
typedef struct consume_state {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    rmq_cli_t *cli;
    rocketmq_push_consumer_t *consumer;
    int64_t want; /* 0: no limit */
    int64_t got;
    int out_err;
} consume_state_t;

static volatile sig_atomic_t g_consume_signal;

static void on_consume_signal(int sig)
{
    g_consume_signal = sig;
}

/* Writes s[0..n) on one line: bytes that would break the line or the
 * terminal (controls, DEL, backslash) become \n, \t, \\ or \xNN. */
static void put_escaped(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = s[i];
        if (ch == '\n')
            fputs("\\n", stdout);
        else if (ch == '\t')
            fputs("\\t", stdout);
        else if (ch == '\\')
            fputs("\\\\", stdout);
        else if (ch < 0x20 || ch == 0x7f)
            printf("\\x%02x", ch);
        else
            putchar(ch);
    }
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Prints one message; caller holds the lock. */
static void print_received(consume_state_t *st, const rocketmq_message_t *m)
{
    size_t len = 0;
    const char *body = rocketmq_message_get_body(m, &len);
    if (!st->cli->json) {
        printf("%-32s  %-20s  %4d  %12lld  %-12s  %-16s  ", or_dash(rocketmq_message_get_msg_id(m)),
               or_dash(rocketmq_message_get_broker_name(m)), rocketmq_message_get_queue_id(m),
               (long long)rocketmq_message_get_queue_offset(m),
               or_dash(rocketmq_message_get_tags(m)), or_dash(rocketmq_message_get_keys(m)));
        put_escaped((const unsigned char *)body, body ? len : 0);
        putchar('\n');
    } else {
        json_t *o = json_object();
        const char *tags = rocketmq_message_get_tags(m);
        const char *keys = rocketmq_message_get_keys(m);
        json_object_set_new(o, "msgId", json_string(or_dash(rocketmq_message_get_msg_id(m))));
        json_object_set_new(o, "topic", json_string(or_dash(rocketmq_message_get_topic(m))));
        json_object_set_new(o, "brokerName",
                            json_string(or_dash(rocketmq_message_get_broker_name(m))));
        json_object_set_new(o, "queueId", json_integer(rocketmq_message_get_queue_id(m)));
        json_object_set_new(o, "queueOffset",
                            json_integer(rocketmq_message_get_queue_offset(m)));
        json_object_set_new(o, "tags", tags ? json_string(tags) : json_null());
        json_object_set_new(o, "keys", keys ? json_string(keys) : json_null());
        json_object_set_new(o, "bornTimestamp",
                            json_integer(rocketmq_message_get_born_timestamp(m)));
        json_object_set_new(o, "storeTimestamp",
                            json_integer(rocketmq_message_get_store_timestamp(m)));
        json_object_set_new(o, "reconsumeTimes",
                            json_integer(rocketmq_message_get_reconsume_times(m)));
        /* a body that is not UTF-8 text travels as its bytes in hex */
        json_t *text = json_stringn(body ? body : "", body ? len : 0);
        if (text) {
            json_object_set_new(o, "body", text);
        } else {
            static const char hex[] = "0123456789abcdef";
            char *h = rmq_malloc(2 * len + 1);
            for (size_t i = 0; i < len; i++) {
                h[2 * i] = hex[(unsigned char)body[i] >> 4];
                h[2 * i + 1] = hex[(unsigned char)body[i] & 15];
            }
            h[2 * len] = '\0';
            json_object_set_new(o, "bodyHex", json_string(h));
            free(h);
        }
        cli_json_print(o);
    }
    if (fflush(stdout) != 0)
        st->out_err = 1;
}

/* The consumer runs one consume thread, one message per call.  The call
 * that delivers the last wanted message wakes the main thread and holds on
 * until the shutdown has begun (bounded), so no further call can start in
 * between and take a message this run would neither print nor leave for
 * the next: once the consumer is stopping, queued deliveries are released
 * unconsumed, and the shutdown commits the offsets of what was printed. */
static rocketmq_consume_status_t on_consume(rocketmq_message_t *const *msgs, size_t n,
                                            rocketmq_consume_context_t *ctx, void *arg)
{
    consume_state_t *st = arg;
    bool last = false;
    pthread_mutex_lock(&st->lock);
    size_t i = 0;
    for (; i < n && (st->want == 0 || st->got < st->want); i++) {
        print_received(st, msgs[i]);
        st->got++;
        last = st->want > 0 && st->got == st->want;
    }
    if (last)
        pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
    if (i == 0)
        return ROCKETMQ_RECONSUME_LATER; /* not ours to take: it comes again */
    ctx->ack_index = (int)i - 1;         /* any rest comes again */
    if (last) {
        int64_t until = rmq_mono_ms() + CONSUME_LAST_HOLD_MS;
        while (rocketmq_push_consumer_state(st->consumer) == ROCKETMQ_RUNNING &&
               rmq_mono_ms() < until) {
            struct timespec ts = {0, 2 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return ROCKETMQ_CONSUME_SUCCESS;
}

/* Waits until want messages came, the deadline passed (0: none) or a
 * signal arrived.  Returns the count. */
static int64_t consume_wait(consume_state_t *st, int64_t deadline_ms)
{
    pthread_mutex_lock(&st->lock);
    while ((st->want == 0 || st->got < st->want) && !g_consume_signal &&
           (deadline_ms == 0 || rmq_mono_ms() < deadline_ms)) {
        struct timespec ts;
        rmq_timespec_in(&ts, CLOCK_MONOTONIC, 100); /* signals are polled */
        pthread_cond_timedwait(&st->cond, &st->lock, &ts);
    }
    int64_t got = st->got;
    pthread_mutex_unlock(&st->lock);
    return got;
}

static int consume_start(rmq_cli_t *cli, rocketmq_push_consumer_t *c, const char *ns,
                         const char *topic, const char *expr, bool first, consume_state_t *st)
{
    int err = rocketmq_push_consumer_set_namesrv_addr(c, ns);
    if (err == 0)
        err = rocketmq_push_consumer_set_consume_from_where(
            c, first ? ROCKETMQ_CONSUME_FROM_FIRST_OFFSET : ROCKETMQ_CONSUME_FROM_LAST_OFFSET);
    if (err == 0)
        err = rocketmq_push_consumer_set_consume_thread_count(c, 1);
    if (err == 0)
        err = rocketmq_push_consumer_set_consume_message_batch_max_size(c, 1);
    if (err == 0)
        err = rocketmq_push_consumer_subscribe(c, topic, expr);
    if (err == 0)
        err = rocketmq_push_consumer_register_listener(c, on_consume, st);
    if (err == 0)
        err = rocketmq_push_consumer_start(c);
    if (err != 0)
        return cli_fail(cli, "the consumer did not start: %s", rocketmq_last_error_detail());
    return 0;
}

static int consume_run(rmq_cli_t *cli, int argc, char **argv)
{
    enum { OPT_TAGS = 'T', OPT_FROM = 'F', OPT_TIMEOUT = 'W' };
    static const cli_opt_t longopts[] = {
        {"topic", 1, 't'},        {"group", 1, 'g'},          {"count", 1, 'm'},
        {"tags", 1, OPT_TAGS},    {"from", 1, OPT_FROM},      {"timeout", 1, OPT_TIMEOUT},
        {NULL, 0, 0},
    };
    const char *topic = NULL, *group = NULL, *expr = "*";
    bool first = false;
    int64_t want = 0, timeout_s = 0;
    const char *arg;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "t:g:m:", longopts, &arg)) != -1) {
        switch (c) {
        case 't': topic = arg; break;
        case 'g': group = arg; break;
        case OPT_TAGS: expr = arg; break;
        case OPT_FROM:
            if (strcmp(arg, "first") != 0 && strcmp(arg, "last") != 0)
                return cli_usage(cli, "--from wants first or last, not '%s'", arg);
            first = strcmp(arg, "first") == 0;
            break;
        case 'm':
            if (cli_parse_i64(cli, "-m", arg, 1, 1000000000, &want) != 0)
                return RMQ_EXIT_USAGE;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_i64(cli, "--timeout", arg, 1, 86400 * 365, &timeout_s) != 0)
                return RMQ_EXIT_USAGE;
            break;
        case 'h': printf("%s", rmq_cmds_send[1].usage); return RMQ_EXIT_OK;
        default: return RMQ_EXIT_USAGE;
        }
    }
    if (cli_optind() < argc)
        return cli_usage(cli, "unexpected argument '%s'", argv[cli_optind()]);
    if (!topic || !*topic)
        return cli_usage(cli, "-t TOPIC is required");
    if (!group || !*group)
        return cli_usage(cli, "-g GROUP is required");
    const char *ns = namesrv_addr(cli);
    if (!ns)
        return RMQ_EXIT_USAGE;
    if (cli_check_topic(cli, topic) != 0)
        return RMQ_EXIT_FAIL;

    consume_state_t st = {.cli = cli, .want = want};
    pthread_mutex_init(&st.lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&st.cond, &ca);
    pthread_condattr_destroy(&ca);
    st.consumer = rocketmq_push_consumer_new(group);

    struct sigaction sa = {.sa_handler = on_consume_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    g_consume_signal = 0;

    int rc = consume_start(cli, st.consumer, ns, topic, expr, first, &st);
    int64_t got = 0;
    if (rc == 0) {
        if (!cli->json) {
            printf("%-32s  %-20s  %4s  %12s  %-12s  %-16s  %s\n", "#MsgId", "#BrokerName", "#QID",
                   "#QueueOffset", "#Tags", "#Keys", "#Body");
            fflush(stdout);
        }
        int64_t deadline = timeout_s > 0 ? rmq_mono_ms() + timeout_s * 1000 : 0;
        got = consume_wait(&st, deadline);
        /* stops pulling, lets the listener running finish, commits offsets */
        if (rocketmq_push_consumer_shutdown(st.consumer) != 0)
            rc = cli_fail(cli, "shutdown: %s", rocketmq_last_error_detail());
    }
    rocketmq_push_consumer_destroy(st.consumer);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc == 0 && st.out_err)
        rc = cli_fail(cli, "cannot write the output");
    if (rc == 0 && want > 0 && got < want) {
        if (g_consume_signal)
            rc = cli_fail(cli, "interrupted with %lld of %lld messages", (long long)got,
                          (long long)want);
        else
            rc = cli_fail(cli, "timed out after %lld s with %lld of %lld messages",
                          (long long)timeout_s, (long long)got, (long long)want);
    }
    pthread_cond_destroy(&st.cond);
    pthread_mutex_destroy(&st.lock);
    return rc;
}

const rmq_command_t rmq_cmds_send[] = {
    {"send", "Send messages with a producer (SYNC) and print where each one went",
     "usage: rmq send -n ADDR -t TOPIC [-g GROUP] [--tags T] [--keys K] [-m COUNT]\n"
     "                [--body TEXT | --file F] [--json] [--timeout-ms MS]\n"
     "\n"
     "Sends COUNT messages (default 1), one SYNC send after the other, and prints a\n"
     "line for each: message id, broker name, queue id, queue offset and send status\n"
     "(or FAILED with the error).\n"
     "\n"
     "  -t, --topic TOPIC   topic to send to (the broker may auto-create it)\n"
     "  -g, --group GROUP   producer group (default: rmq_send_<current ms>)\n"
     "  --tags T            TAGS of every message\n"
     "  --keys K            KEYS of every message (several: separated by spaces)\n"
     "  -m, --count COUNT   messages to send (default 1)\n"
     "  --body TEXT         the body (default: \"Hello RocketMQ <i>\", i from 0)\n"
     "  --file F            the body is the content of file F (at most 4 MiB)\n"
     "  --timeout-ms MS     sendMsgTimeout of each send, retries included (5000)\n"
     "  --json              one JSON object per line (JSON Lines), one per message:\n"
     "                      {msgId, offsetMsgId, topic, brokerName, queueId,\n"
     "                      queueOffset, status} or {msgId, status: \"FAILED\",\n"
     "                      error, detail}\n"
     "\n"
     "Exit status: 0 when every send was stored, 1 if any failed, 2 for bad usage.\n",
     send_run},
    {"consume", "Receive messages with a push consumer and print them",
     "usage: rmq consume -n ADDR -t TOPIC -g GROUP [--tags EXPR] [--from first|last]\n"
     "                   [-m COUNT] [--timeout S] [--json]\n"
     "\n"
     "Starts a push consumer of GROUP (clustering) on TOPIC and prints each message\n"
     "received: message id, broker name, queue id, queue offset, tags, keys and\n"
     "body (control characters escaped as \\n, \\t, \\xNN).  Stops after COUNT messages,\n"
     "after S seconds or on SIGINT/SIGTERM, then shuts the consumer down cleanly,\n"
     "which commits the group's offsets to the broker: a second run with the same\n"
     "group continues after the last message printed.\n"
     "\n"
     "  -t, --topic TOPIC   topic to subscribe to (must exist)\n"
     "  -g, --group GROUP   consumer group\n"
     "  --tags EXPR         subscription expression: \"*\" (default) or \"TagA || TagB\"\n"
     "  --from first|last   where a group without a committed offset starts\n"
     "                      (CONSUME_FROM_FIRST_OFFSET / CONSUME_FROM_LAST_OFFSET,\n"
     "                      default last, as DefaultMQPushConsumer)\n"
     "  -m, --count COUNT   stop after COUNT messages (default: no limit)\n"
     "  --timeout S         stop after S seconds (default: none)\n"
     "  --json              one JSON object per line (JSON Lines), one per message:\n"
     "                      {msgId, topic, brokerName, queueId, queueOffset, tags,\n"
     "                      keys, bornTimestamp, storeTimestamp, reconsumeTimes,\n"
     "                      body} (bodyHex instead of body when it is not UTF-8)\n"
     "\n"
     "Exit status: 0 once COUNT messages came (or at the timeout without -m), 1 if\n"
     "the timeout or a signal came first or the consumer failed, 2 for bad usage.\n",
     consume_run},
    {NULL, NULL, NULL, NULL},
};
