/* The producer of librocketmq end to end (include/rocketmq/producer.h;
 * protocol.md 9.5, 9.6): real rmq-namesrv and rmq-broker processes on free
 * loopback ports, a producer sending through the public API only, and every
 * message read back from the broker (PULL_MESSAGE, records parsed with the
 * store's codec) to compare body, properties, queue and offset with what
 * the send result said.
 *
 * Most scenarios share one name server and broker (broker-a), each with its
 * own topic; those that pause, stop or add brokers get their own processes.
 * Every wait is bounded in time and iterations; processes are ended by pid
 * through the harness only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "protocol/record.h"
#include "rocketmq/error.h"
#include "rocketmq/message.h"
#include "rocketmq/producer.h"

#define ROUTE_WAIT_MS 5000
#define READ_WAIT_MS 5000
#define QUEUES 4
#define BROKER_A "broker-a"
#define BROKER_B "broker-b"

/* ---- processes ---- */

typedef struct env {
    it_namesrv_t ns;
    it_broker_proc_t br[2];
    int nbr;
    rmq_rclient_t *rc;
} env_t;

/* Brokers stop first (they unregister from the running name server); every
 * process must exit 0 on SIGTERM (under ASan a leak shows up here).  A
 * paused broker is continued by the harness before it waits for it. */
static int env_free(env_t *e)
{
    if (!e)
        return 0;
    if (e->rc)
        rmq_rclient_destroy(e->rc);
    int status = 0;
    for (int i = 1; i >= 0; i--) {
        if (e->br[i].pid > 0 && it_broker_stop(&e->br[i]) != 0)
            status = -1;
        it_broker_cleanup(&e->br[i]);
    }
    if (e->ns.pid > 0 && it_namesrv_stop(&e->ns) != 0)
        status = -1;
    it_namesrv_cleanup(&e->ns);
    free(e);
    return status;
}

/* A name server and nbrokers brokers (broker-a, broker-b) of one cluster. */
static env_t *env_new(int nbrokers)
{
    env_t *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->ns.out_fd = e->br[0].out_fd = e->br[1].out_fd = -1;
    if (it_namesrv_start(&e->ns, NULL) != 0) {
        env_free(e);
        return NULL;
    }
    for (int i = 0; i < nbrokers; i++) {
        char extra[64];
        snprintf(extra, sizeof(extra), "brokerName=broker-%c", 'a' + i);
        if (it_broker_start(&e->br[i], e->ns.addr, "ASYNC_FLUSH", extra) != 0) {
            env_free(e);
            return NULL;
        }
        e->nbr++;
    }
    e->rc = rmq_rclient_new(NULL, NULL);
    return e;
}

static int setup_env(void **state, int nbrokers)
{
    env_t *e = env_new(nbrokers);
    if (!e)
        return -1;
    *state = e;
    return 0;
}

static int group_setup(void **state)
{
    return setup_env(state, 1);
}

static int group_teardown(void **state)
{
    return env_free(*state) == 0 ? 0 : -1;
}

static int setup_one_broker(void **state)
{
    return setup_env(state, 1);
}

static int setup_two_brokers(void **state)
{
    return setup_env(state, 2);
}

static int teardown_env(void **state)
{
    int status = env_free(*state);
    *state = NULL;
    assert_int_equal(status, 0);
    return 0;
}

/* The topic on every broker of e, and its route at the name server naming
 * all of them. */
static void create_topic(env_t *e, const char *topic, int queues)
{
    for (int i = 0; i < e->nbr; i++) {
        int code = it_create_topic(e->rc, e->br[i].addr, topic, queues);
        if (code != 0)
            fail_msg("creating %s on %s: code %d", topic, e->br[i].addr, code);
    }
    if (!it_wait_route_brokers(e->rc, e->ns.addr, topic, (size_t)e->nbr, ROUTE_WAIT_MS))
        fail_msg("the route of %s does not name %d brokers after %d ms", topic, e->nbr,
                 ROUTE_WAIT_MS);
}

static it_broker_proc_t *broker_named(env_t *e, const char *name)
{
    for (int i = 0; i < e->nbr; i++) {
        char want[16];
        snprintf(want, sizeof(want), "broker-%c", 'a' + i);
        if (strcmp(name, want) == 0)
            return &e->br[i];
    }
    fail_msg("no broker named %s", name);
    return NULL;
}

/* ---- producers and messages ---- */

static void must(int err, const char *what)
{
    if (err != 0)
        fail_msg("%s: %s (%d): %s", what, rocketmq_err_name(err), err,
                 rocketmq_last_error_detail());
}

static rocketmq_producer_t *new_producer(const char *group, const char *namesrv)
{
    rocketmq_producer_t *p = rocketmq_producer_new(group);
    assert_non_null(p);
    must(rocketmq_producer_set_namesrv_addr(p, namesrv), "set_namesrv_addr");
    return p;
}

static void start_producer(rocketmq_producer_t *p)
{
    must(rocketmq_producer_start(p), "rocketmq_producer_start");
    assert_int_equal(rocketmq_producer_state(p), ROCKETMQ_RUNNING);
}

static void end_producer(rocketmq_producer_t *p)
{
    assert_int_equal(rocketmq_producer_shutdown(p), 0);
    assert_int_equal(rocketmq_producer_state(p), ROCKETMQ_SHUTDOWN_ALREADY);
    rocketmq_producer_destroy(p);
}

static rocketmq_message_t *text_msg(const char *topic, const char *tags, const char *keys,
                                    const char *body)
{
    rocketmq_message_t *m = rocketmq_message_new(topic);
    assert_non_null(m);
    if (tags)
        assert_int_equal(rocketmq_message_set_tags(m, tags), 0);
    if (keys)
        assert_int_equal(rocketmq_message_set_keys(m, keys), 0);
    assert_int_equal(rocketmq_message_set_body(m, body, strlen(body)), 0);
    return m;
}

/* What a send result said, to find the message on its broker. */
typedef struct sent {
    char id[ROCKETMQ_MSG_ID_MAX + 1];
    char broker[ROCKETMQ_BROKER_NAME_MAX + 1];
    int32_t queue_id;
    int64_t offset;
    char body[64];
} sent_t;

static void record_sent(sent_t *s, const rocketmq_send_result_t *r, const char *body)
{
    snprintf(s->id, sizeof(s->id), "%s", r->msg_id);
    snprintf(s->broker, sizeof(s->broker), "%s", r->queue.broker_name);
    s->queue_id = r->queue.queue_id;
    s->offset = r->queue_offset;
    snprintf(s->body, sizeof(s->body), "%s", body);
}

/* A SYNC result for one message m of topic. */
static void assert_result(const rocketmq_send_result_t *r, const char *topic,
                          const rocketmq_message_t *m)
{
    assert_int_equal(r->status, ROCKETMQ_SEND_OK);
    assert_string_equal(r->queue.topic, topic);
    const char *id = rocketmq_message_get_msg_id(m);
    assert_non_null(id);
    assert_string_equal(r->msg_id, id);
    assert_true(r->queue.queue_id >= 0);
    assert_true(r->queue_offset >= 0);
    assert_int_equal(r->batch_size, 1);
    assert_string_equal(r->region_id, "DefaultRegion");
}

/* Every message in s (those of broker when not NULL) is in msgs at the
 * queue and offset its result named, with its UNIQ_KEY and body. */
static size_t verify_sent(const it_msgs_t *msgs, const sent_t *s, size_t n, const char *broker)
{
    size_t checked = 0;
    for (size_t i = 0; i < n; i++) {
        if (broker && strcmp(s[i].broker, broker) != 0)
            continue;
        const it_msg_t *m = it_msgs_find(msgs, s[i].queue_id, s[i].offset);
        if (!m)
            fail_msg("message %zu (%s) not found on %s queue %d offset %lld", i, s[i].id,
                     s[i].broker, (int)s[i].queue_id, (long long)s[i].offset);
        char *id = it_msg_prop(m, ROCKETMQ_PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
        if (!id || strcmp(id, s[i].id) != 0)
            fail_msg("%s queue %d offset %lld holds UNIQ_KEY %s, the send said %s", s[i].broker,
                     (int)s[i].queue_id, (long long)s[i].offset, id ? id : "(none)", s[i].id);
        free(id);
        uint8_t *body;
        size_t len;
        assert_int_equal(it_msg_body(m, &body, &len), 0);
        if (len != strlen(s[i].body) || memcmp(body, s[i].body, len) != 0)
            fail_msg("message %s: stored body '%.*s', sent '%s'", s[i].id, (int)len, body,
                     s[i].body);
        free(body);
        checked++;
    }
    return checked;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every stored message has a UNIQ_KEY and no two share one. */
static void assert_unique_stored_ids(const it_msgs_t *msgs)
{
    char **ids = calloc(msgs->n + 1, sizeof(char *));
    assert_non_null(ids);
    for (size_t i = 0; i < msgs->n; i++) {
        ids[i] = it_msg_prop(&msgs->v[i], ROCKETMQ_PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
        if (!ids[i])
            fail_msg("queue %d offset %lld has no UNIQ_KEY", (int)msgs->v[i].queue_id,
                     (long long)msgs->v[i].queue_offset);
    }
    qsort(ids, msgs->n, sizeof(char *), cmp_str);
    for (size_t i = 1; i < msgs->n; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            fail_msg("UNIQ_KEY %s stored twice", ids[i]);
    for (size_t i = 0; i < msgs->n; i++)
        free(ids[i]);
    free(ids);
}

/* No two results carry the same msg_id. */
static void assert_unique_sent_ids(const sent_t *s, size_t n)
{
    char **ids = calloc(n + 1, sizeof(char *));
    assert_non_null(ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = (char *)s[i].id;
    qsort(ids, n, sizeof(char *), cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            fail_msg("two sends returned msg_id %s", ids[i]);
    free(ids);
}

/* Reads topic back from broker until want messages are there. */
static void read_back(env_t *e, const char *broker, const char *topic, size_t want,
                      it_msgs_t *out)
{
    it_broker_proc_t *bp = broker_named(e, broker);
    long n = it_pull_wait(e->rc, bp->addr, topic, want, READ_WAIT_MS, out);
    if (n < 0)
        fail_msg("pulling %s from %s failed", topic, broker);
    if ((size_t)n < want)
        fail_msg("%s on %s: %ld messages after %d ms, expected %zu", topic, broker, n,
                 READ_WAIT_MS, want);
}

static void assert_prop(const it_msg_t *m, const char *name, const char *want)
{
    char *v = it_msg_prop(m, name);
    if (!v || strcmp(v, want) != 0)
        fail_msg("queue %d offset %lld: property %s is '%s', expected '%s'", (int)m->queue_id,
                 (long long)m->queue_offset, name, v ? v : "(absent)", want);
    free(v);
}

static int64_t elapsed_since(int64_t start)
{
    return it_now_ms() - start;
}

/* ---- 1. SYNC ---- */

#define SYNC_N 12
#define BIG_INDEX 5
#define BIG_LEN 5000

static void big_body(char *out, size_t len)
{
    size_t pos = 0;
    for (int line = 0; pos < len; line++) {
        char buf[64];
        int n = snprintf(buf, sizeof(buf), "rocketmq-c compressed body, line %04d\n", line);
        for (int i = 0; i < n && pos < len; i++)
            out[pos++] = buf[i];
    }
}

static void test_sync_send(void **state)
{
    env_t *e = *state;
    const char *topic = "ItpSync";
    create_topic(e, topic, QUEUES);
    rocketmq_producer_t *p = new_producer("PG_ITP_SYNC", e->ns.addr);
    start_producer(p);

    static char big[BIG_LEN];
    big_body(big, sizeof(big));
    rocketmq_send_result_t res[SYNC_N];
    char tags[SYNC_N][16], keys[SYNC_N][32], seq[SYNC_N][8];
    for (int i = 0; i < SYNC_N; i++) {
        snprintf(tags[i], sizeof(tags[i]), "Tag%d", i % 3);
        snprintf(keys[i], sizeof(keys[i]), "key-%d alt-%d", i, i);
        snprintf(seq[i], sizeof(seq[i]), "%d", i);
        char body[32];
        snprintf(body, sizeof(body), "sync body %d", i);
        rocketmq_message_t *m = text_msg(topic, tags[i], keys[i], body);
        if (i == BIG_INDEX)
            assert_int_equal(rocketmq_message_set_body(m, big, sizeof(big)), 0);
        assert_int_equal(rocketmq_message_put_user_property(m, "seq", seq[i]), 0);
        assert_int_equal(rocketmq_message_set_flag(m, 100 + i), 0);
        must(rocketmq_producer_send(p, m, &res[i]), "rocketmq_producer_send");
        assert_result(&res[i], topic, m);
        assert_string_equal(res[i].queue.broker_name, BROKER_A);
        /* compression works on the producer's copy, not the caller's message */
        size_t len;
        const void *b = rocketmq_message_get_body(m, &len);
        if (i == BIG_INDEX) {
            assert_int_equal(len, sizeof(big));
            assert_memory_equal(b, big, sizeof(big));
        }
        /* the offset message id: this broker's address and a commit-log offset */
        rmq_host_t host;
        int64_t phys;
        assert_int_equal(rmq_msg_id_decode(res[i].offset_msg_id, &host, &phys), 0);
        char hs[64];
        rmq_host_format(&host, hs, sizeof(hs));
        assert_string_equal(hs, e->br[0].addr);
        rocketmq_message_destroy(m);
    }
    end_producer(p);

    it_msgs_t msgs = {0};
    read_back(e, BROKER_A, topic, SYNC_N, &msgs);
    assert_int_equal(msgs.n, SYNC_N);
    assert_unique_stored_ids(&msgs);
    for (int i = 0; i < SYNC_N; i++) {
        const it_msg_t *m = it_msgs_find(&msgs, res[i].queue.queue_id, res[i].queue_offset);
        if (!m)
            fail_msg("message %d not at queue %d offset %lld", i, res[i].queue.queue_id,
                     (long long)res[i].queue_offset);
        assert_string_equal(m->topic, topic);
        assert_int_equal(m->flag, 100 + i);
        assert_prop(m, ROCKETMQ_PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, res[i].msg_id);
        assert_prop(m, ROCKETMQ_PROPERTY_TAGS, tags[i]);
        assert_prop(m, ROCKETMQ_PROPERTY_KEYS, keys[i]);
        assert_prop(m, "seq", seq[i]);
        /* WAIT=true was sent; the broker drops it from what it stores, as
         * Java's SendMessageProcessor does (src/broker/send.c pe_fix_wait) */
        char hs[64];
        rmq_host_format(&m->store_host, hs, sizeof(hs));
        assert_string_equal(hs, e->br[0].addr);
        rmq_host_t host;
        int64_t phys;
        assert_int_equal(rmq_msg_id_decode(res[i].offset_msg_id, &host, &phys), 0);
        assert_int_equal(phys, m->phys_offset);

        uint8_t *body;
        size_t len;
        assert_int_equal(it_msg_body(m, &body, &len), 0);
        if (i == BIG_INDEX) {
            /* compressed: flag bit 0 with the zlib type bits (0x300) 4.9.8 sends */
            assert_true(m->sysflag & RMQ_SYSFLAG_COMPRESSED);
            assert_int_equal(m->sysflag & 0x700, 0x300);
            assert_true(m->body_len < BIG_LEN);
            assert_int_equal(len, BIG_LEN);
            assert_memory_equal(body, big, BIG_LEN);
            print_message("5000-byte body stored as %zu compressed bytes (sysflag 0x%x)\n",
                          m->body_len, (unsigned)m->sysflag);
        } else {
            char want[32];
            snprintf(want, sizeof(want), "sync body %d", i);
            assert_false(m->sysflag & RMQ_SYSFLAG_COMPRESSED);
            assert_int_equal(len, strlen(want));
            assert_memory_equal(body, want, len);
        }
        free(body);
    }
    it_msgs_free(&msgs);
}

/* ---- 2. ASYNC ---- */

#define ASYNC_N 100
#define ASYNC_WAIT_MS 10000

typedef struct async_ctx async_ctx_t;

typedef struct async_slot {
    async_ctx_t *ctx;
    char id[ROCKETMQ_MSG_ID_MAX + 1]; /* the message's UNIQ_KEY after send_async */
    char body[32];
    int calls;
    int err;
    char detail[256];
    rocketmq_send_result_t res;
    pthread_t thread;
    int64_t done_ms;
} async_slot_t;

struct async_ctx {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
};

static void async_ctx_init(async_ctx_t *c)
{
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->done = 0;
}

static void async_ctx_destroy(async_ctx_t *c)
{
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
}

static void async_cb(int err, const rocketmq_send_result_t *r, const char *detail, void *arg)
{
    async_slot_t *s = arg;
    s->thread = pthread_self();
    s->err = err;
    s->done_ms = it_now_ms();
    if (r)
        s->res = *r;
    snprintf(s->detail, sizeof(s->detail), "%s", detail ? detail : "");
    pthread_mutex_lock(&s->ctx->mu);
    s->calls++;
    s->ctx->done++;
    pthread_cond_broadcast(&s->ctx->cv);
    pthread_mutex_unlock(&s->ctx->mu);
}

/* Waits until want callbacks ran or timeout_ms passed; returns how many ran. */
static int async_wait(async_ctx_t *c, int want, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < 100000 && c->done < want; i++)
        if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) != 0)
            break;
    int done = c->done;
    pthread_mutex_unlock(&c->mu);
    return done;
}

static void test_async_send(void **state)
{
    env_t *e = *state;
    const char *topic = "ItpAsync";
    create_topic(e, topic, QUEUES);
    rocketmq_producer_t *p = new_producer("PG_ITP_ASYNC", e->ns.addr);
    start_producer(p);

    async_ctx_t ctx;
    async_ctx_init(&ctx);
    async_slot_t *slots = calloc(ASYNC_N, sizeof(*slots));
    assert_non_null(slots);
    pthread_t self = pthread_self();
    int64_t t0 = it_now_ms();
    for (int i = 0; i < ASYNC_N; i++) {
        slots[i].ctx = &ctx;
        snprintf(slots[i].body, sizeof(slots[i].body), "async body %d", i);
        rocketmq_message_t *m = text_msg(topic, "TagAsync", NULL, slots[i].body);
        must(rocketmq_producer_send_async(p, m, async_cb, &slots[i]), "send_async");
        const char *id = rocketmq_message_get_msg_id(m);
        assert_non_null(id);
        snprintf(slots[i].id, sizeof(slots[i].id), "%s", id);
        rocketmq_message_destroy(m); /* the producer sends its own copy */
    }
    int done = async_wait(&ctx, ASYNC_N, ASYNC_WAIT_MS);
    int64_t took = elapsed_since(t0);
    /* shutdown waits for callbacks in flight (so none outlives ctx) */
    end_producer(p);
    if (done != ASYNC_N)
        fail_msg("%d of %d async callbacks after %d ms", done, ASYNC_N, ASYNC_WAIT_MS);
    print_message("%d async sends completed in %lld ms\n", ASYNC_N, (long long)took);

    sent_t *sent = calloc(ASYNC_N, sizeof(*sent));
    assert_non_null(sent);
    for (int i = 0; i < ASYNC_N; i++) {
        async_slot_t *s = &slots[i];
        assert_int_equal(s->calls, 1);
        if (s->err != 0)
            fail_msg("async send %d failed: %s: %s", i, rocketmq_err_name(s->err), s->detail);
        assert_int_equal(s->res.status, ROCKETMQ_SEND_OK);
        assert_string_equal(s->res.msg_id, s->id);
        assert_string_equal(s->res.queue.topic, topic);
        assert_string_equal(s->res.queue.broker_name, BROKER_A);
        if (pthread_equal(s->thread, self))
            fail_msg("async callback %d ran on the caller's thread", i);
        record_sent(&sent[i], &s->res, s->body);
    }
    assert_unique_sent_ids(sent, ASYNC_N);
    it_msgs_t msgs = {0};
    read_back(e, BROKER_A, topic, ASYNC_N, &msgs);
    assert_int_equal(msgs.n, ASYNC_N);
    assert_int_equal(verify_sent(&msgs, sent, ASYNC_N, NULL), ASYNC_N);
    assert_unique_stored_ids(&msgs);
    it_msgs_free(&msgs);
    free(sent);
    free(slots);
    async_ctx_destroy(&ctx);
}

/* ---- 3. ONEWAY ---- */

#define ONEWAY_N 50

static void test_oneway_send(void **state)
{
    env_t *e = *state;
    const char *topic = "ItpOneway";
    create_topic(e, topic, QUEUES);
    rocketmq_producer_t *p = new_producer("PG_ITP_ONEWAY", e->ns.addr);
    start_producer(p);
    char ids[ONEWAY_N][ROCKETMQ_MSG_ID_MAX + 1];
    for (int i = 0; i < ONEWAY_N; i++) {
        char body[32];
        snprintf(body, sizeof(body), "oneway body %d", i);
        rocketmq_message_t *m = text_msg(topic, "TagOneway", NULL, body);
        must(rocketmq_producer_send_oneway(p, m), "send_oneway");
        const char *id = rocketmq_message_get_msg_id(m);
        assert_non_null(id);
        snprintf(ids[i], sizeof(ids[i]), "%s", id);
        rocketmq_message_destroy(m);
    }
    /* nothing answers a one-way send: poll the broker until all arrived */
    it_msgs_t msgs = {0};
    read_back(e, BROKER_A, topic, ONEWAY_N, &msgs);
    end_producer(p);
    assert_int_equal(msgs.n, ONEWAY_N);
    assert_unique_stored_ids(&msgs);
    for (int i = 0; i < ONEWAY_N; i++) {
        const it_msg_t *m =
            it_msgs_find_prop(&msgs, ROCKETMQ_PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, ids[i]);
        if (!m)
            fail_msg("one-way message %d (%s) not stored", i, ids[i]);
        char body[32];
        snprintf(body, sizeof(body), "oneway body %d", i);
        assert_int_equal(m->body_len, strlen(body));
        assert_memory_equal(m->body, body, m->body_len);
    }
    it_msgs_free(&msgs);
}

/* ---- 4. one producer, many threads ---- */

#define THREADS 8
#define PER_THREAD 200

typedef struct worker {
    rocketmq_producer_t *p;
    const char *topic;
    int id;
    sent_t sent[PER_THREAD];
    int ok;
    int failed;
    char first_error[512];
} worker_t;

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char body[32];
        snprintf(body, sizeof(body), "thread %d msg %d", w->id, i);
        rocketmq_message_t *m = rocketmq_message_new(w->topic);
        rocketmq_message_set_tags(m, "TagThreads");
        rocketmq_message_set_body(m, body, strlen(body));
        rocketmq_send_result_t r;
        int err = rocketmq_producer_send(w->p, m, &r);
        const char *id = rocketmq_message_get_msg_id(m);
        if (err == 0 && r.status == ROCKETMQ_SEND_OK && id && strcmp(id, r.msg_id) == 0) {
            record_sent(&w->sent[w->ok++], &r, body);
        } else if (w->failed++ == 0) {
            snprintf(w->first_error, sizeof(w->first_error), "%s: %s", rocketmq_err_name(err),
                     err ? rocketmq_last_error_detail() : "wrong result");
        }
        rocketmq_message_destroy(m);
    }
    return NULL;
}

static void test_threads_share_producer(void **state)
{
    env_t *e = *state;
    const char *topic = "ItpThreads";
    create_topic(e, topic, QUEUES);
    rocketmq_producer_t *p = new_producer("PG_ITP_THREADS", e->ns.addr);
    start_producer(p);
    worker_t *w = calloc(THREADS, sizeof(*w));
    assert_non_null(w);
    pthread_t t[THREADS];
    int64_t t0 = it_now_ms();
    for (int i = 0; i < THREADS; i++) {
        w[i].p = p;
        w[i].topic = topic;
        w[i].id = i;
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    print_message("%d threads x %d SYNC sends in %lld ms\n", THREADS, PER_THREAD,
                  (long long)elapsed_since(t0));
    end_producer(p);

    sent_t *all = calloc(THREADS * PER_THREAD, sizeof(*all));
    assert_non_null(all);
    size_t n = 0;
    for (int i = 0; i < THREADS; i++) {
        if (w[i].failed)
            fail_msg("thread %d: %d sends failed, first: %s", i, w[i].failed, w[i].first_error);
        memcpy(all + n, w[i].sent, (size_t)w[i].ok * sizeof(*all));
        n += (size_t)w[i].ok;
    }
    assert_int_equal(n, THREADS * PER_THREAD);
    assert_unique_sent_ids(all, n);
    it_msgs_t msgs = {0};
    read_back(e, BROKER_A, topic, n, &msgs);
    assert_int_equal(msgs.n, n);
    assert_unique_stored_ids(&msgs);
    assert_int_equal(verify_sent(&msgs, all, n, NULL), n);
    it_msgs_free(&msgs);
    free(all);
    free(w);
}

/* ---- 5. a topic the broker creates on the first send ---- */

#define AUTO_N 8

static void test_auto_create_topic(void **state)
{
    env_t *e = *state;
    const char *topic = "ItpAutoCreate";
    assert_int_equal(it_get_route(e->rc, e->ns.addr, topic, NULL), ROCKETMQ_ERR_TOPIC_NOT_EXIST);
    rocketmq_producer_t *p = new_producer("PG_ITP_AUTO", e->ns.addr);
    start_producer(p);
    sent_t sent[AUTO_N];
    for (int i = 0; i < AUTO_N; i++) {
        char body[32];
        snprintf(body, sizeof(body), "auto body %d", i);
        rocketmq_message_t *m = text_msg(topic, "TagAuto", NULL, body);
        rocketmq_send_result_t r;
        must(rocketmq_producer_send(p, m, &r), "send to a new topic");
        assert_result(&r, topic, m);
        assert_string_equal(r.queue.broker_name, BROKER_A);
        /* created with the default topic's queues, capped at defaultTopicQueueNums (4) */
        assert_true(r.queue.queue_id < 4);
        record_sent(&sent[i], &r, body);
        rocketmq_message_destroy(m);
    }
    end_producer(p);
    /* the broker registered the new topic with the name server */
    assert_true(it_wait_route_code(e->rc, e->ns.addr, topic, 0, ROUTE_WAIT_MS));
    it_msgs_t msgs = {0};
    read_back(e, BROKER_A, topic, AUTO_N, &msgs);
    assert_int_equal(msgs.n, AUTO_N);
    assert_int_equal(verify_sent(&msgs, sent, AUTO_N, NULL), AUTO_N);
    it_msgs_free(&msgs);
}

/* ---- 6. a broker stops while sends go on ---- */

#define FAILOVER_MAX 20000
#define FAILOVER_AFTER_MS 1500

typedef struct runner {
    rocketmq_producer_t *p;
    const char *topic;
    atomic_bool stop;
    atomic_int started; /* sends begun */
    atomic_int ok_a, ok_b;
    atomic_int failed_attempts; /* attempts the send hook saw fail (then retried) */
    sent_t *sent;       /* successes, in order; read after join */
    int *seq;           /* the send number of each success */
    int nok;
    int failed;
    char first_error[512];
} runner_t;

static void *runner_main(void *arg)
{
    runner_t *r = arg;
    for (int seq = 0; seq < FAILOVER_MAX && !atomic_load(&r->stop); seq++) {
        char body[32];
        snprintf(body, sizeof(body), "failover %d", seq);
        rocketmq_message_t *m = rocketmq_message_new(r->topic);
        rocketmq_message_set_body(m, body, strlen(body));
        atomic_store(&r->started, seq + 1);
        rocketmq_send_result_t res;
        int err = rocketmq_producer_send(r->p, m, &res);
        if (err == 0) {
            r->seq[r->nok] = seq;
            record_sent(&r->sent[r->nok++], &res, body);
            atomic_fetch_add(strcmp(res.queue.broker_name, BROKER_A) == 0 ? &r->ok_a : &r->ok_b, 1);
        } else if (r->failed++ == 0) {
            snprintf(r->first_error, sizeof(r->first_error), "send %d: %s: %s", seq,
                     rocketmq_err_name(err), rocketmq_last_error_detail());
        }
        rocketmq_message_destroy(m);
        it_sleep_ms(1);
    }
    return NULL;
}

static void count_failed_attempt(const rocketmq_send_context_t *c, void *arg)
{
    runner_t *r = arg;
    if (c->err != 0)
        atomic_fetch_add(&r->failed_attempts, 1);
}

static void test_broker_stopped_mid_run(void **state)
{
    env_t *e = *state;
    const char *topic = "ItpFailover";
    create_topic(e, topic, QUEUES);
    rocketmq_producer_t *p = new_producer("PG_ITP_FAILOVER", e->ns.addr);
    must(rocketmq_producer_set_poll_name_server_interval(p, 500), "poll interval");
    runner_t r = {.p = p, .topic = topic};
    must(rocketmq_producer_add_send_hook(p, NULL, count_failed_attempt, &r), "send hook");
    start_producer(p);

    r.sent = calloc(FAILOVER_MAX, sizeof(*r.sent));
    r.seq = calloc(FAILOVER_MAX, sizeof(*r.seq));
    assert_non_null(r.sent);
    assert_non_null(r.seq);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, runner_main, &r), 0);
    /* both brokers take messages first */
    int64_t deadline = it_now_ms() + 5000;
    for (int i = 0; i < 1000 && (atomic_load(&r.ok_a) < 30 || atomic_load(&r.ok_b) < 30) &&
                    it_now_ms() < deadline;
         i++)
        it_sleep_ms(10);
    int a_before = atomic_load(&r.ok_a), b_before = atomic_load(&r.ok_b);
    int64_t t_stop = it_now_ms();
    int stop_status = it_broker_stop(&e->br[1]);
    int mark = atomic_load(&r.started); /* sends from here on began after broker-b exited */
    int64_t stop_took = elapsed_since(t_stop);
    it_sleep_ms(FAILOVER_AFTER_MS);
    atomic_store(&r.stop, true);
    pthread_join(t, NULL);
    end_producer(p);

    int total = atomic_load(&r.started);
    print_message("failover: %d sends (%d ok: broker-a %d, broker-b %d; before the stop a %d, "
                  "b %d), broker-b took %lld ms to stop, %d sends after it, %d failed; "
                  "%d attempts failed and were retried\n",
                  total, r.nok, atomic_load(&r.ok_a), atomic_load(&r.ok_b), a_before, b_before,
                  (long long)stop_took, total - mark, r.failed,
                  atomic_load(&r.failed_attempts));
    assert_int_equal(stop_status, 0);
    assert_true(a_before > 0 && b_before > 0);
    if (r.failed)
        fail_msg("%d of %d SYNC sends failed around the broker stop; first: %s", r.failed, total,
                 r.first_error);
    assert_true(total - mark >= 50);
    for (int i = 0; i < r.nok; i++)
        if (r.seq[i] >= mark && strcmp(r.sent[i].broker, BROKER_A) != 0)
            fail_msg("send %d after broker-b stopped reports %s", r.seq[i], r.sent[i].broker);
    assert_unique_sent_ids(r.sent, (size_t)r.nok);

    /* broker-b's messages: from its store, restarted */
    assert_int_equal(it_broker_restart(&e->br[1]), 0);
    it_msgs_t a = {0}, b = {0};
    read_back(e, BROKER_A, topic, (size_t)atomic_load(&r.ok_a), &a);
    read_back(e, BROKER_B, topic, (size_t)atomic_load(&r.ok_b), &b);
    assert_int_equal(verify_sent(&a, r.sent, (size_t)r.nok, BROKER_A), atomic_load(&r.ok_a));
    assert_int_equal(verify_sent(&b, r.sent, (size_t)r.nok, BROKER_B), atomic_load(&r.ok_b));
    /* a send whose answer the stop cut off is retried: stored twice at most */
    print_message("stored: broker-a %zu, broker-b %zu for %d acknowledged sends\n", a.n, b.n,
                  r.nok);
    assert_true(a.n + b.n >= (size_t)r.nok);
    it_msgs_free(&a);
    it_msgs_free(&b);
    free(r.sent);
    free(r.seq);
}

/* ---- 7. a hung broker and the latency fault strategy ---- */

#define SLOW_TIMEOUT_MS 1000
#define SLOW_WARMUP_MAX 10
#define SLOW_N 50

static int send_text_timed(rocketmq_producer_t *p, const char *topic, const char *body,
                           rocketmq_send_result_t *r, int64_t *took)
{
    rocketmq_message_t *m = text_msg(topic, "TagSlow", NULL, body);
    int64_t t0 = it_now_ms();
    int err = rocketmq_producer_send(p, m, r);
    *took = elapsed_since(t0);
    rocketmq_message_destroy(m);
    return err;
}

static void test_paused_broker_fault_strategy(void **state)
{
    env_t *e = *state;
    const char *topic = "ItpSlow";
    create_topic(e, topic, QUEUES);
    rocketmq_producer_t *p = new_producer("PG_ITP_SLOW", e->ns.addr);
    must(rocketmq_producer_set_send_latency_fault_enable(p, true), "fault enable");
    must(rocketmq_producer_set_send_msg_timeout(p, SLOW_TIMEOUT_MS), "send timeout");
    start_producer(p);

    /* round robin over 8 queues: 8 sends reach both brokers */
    int to_b = 0;
    for (int i = 0; i < 2 * QUEUES; i++) {
        rocketmq_send_result_t r;
        int64_t took;
        must(send_text_timed(p, topic, "warm-up", &r, &took), "warm-up send");
        to_b += strcmp(r.queue.broker_name, BROKER_B) == 0;
    }
    assert_true(to_b > 0 && to_b < 2 * QUEUES);

    assert_int_equal(it_broker_pause(&e->br[1]), 0);
    /* until a send meets broker-b: it takes the whole timeout and fails */
    int warm = 0, warm_failed = 0, first_err = 0;
    int64_t first_fail_took = 0;
    for (; warm < SLOW_WARMUP_MAX && warm_failed == 0; warm++) {
        rocketmq_send_result_t r;
        int64_t took;
        int err = send_text_timed(p, topic, "first sends", &r, &took);
        if (err != 0) {
            warm_failed++;
            first_err = err;
            first_fail_took = took;
        }
    }
    print_message("broker-b paused: the first failure after %d sends, %s in %lld ms\n", warm,
                  rocketmq_err_name(first_err), (long long)first_fail_took);
    assert_int_equal(warm_failed, 1);
    assert_int_equal(first_err, ROCKETMQ_ERR__TIMEOUT);

    int to_a = 0, failed = 0;
    int64_t t0 = it_now_ms(), slowest = 0;
    for (int i = 0; i < SLOW_N; i++) {
        rocketmq_send_result_t r;
        int64_t took;
        int err = send_text_timed(p, topic, "after isolation", &r, &took);
        if (err != 0)
            failed++;
        else
            to_a += strcmp(r.queue.broker_name, BROKER_A) == 0;
        if (took > slowest)
            slowest = took;
    }
    int64_t phase = elapsed_since(t0);
    print_message("%d sends after isolation: %d to broker-a, %d failed, %lld ms (slowest %lld)\n",
                  SLOW_N, to_a, failed, (long long)phase, (long long)slowest);
    /* continue broker-b before the producer unregisters from it */
    assert_int_equal(it_broker_resume(&e->br[1]), 0);
    end_producer(p);
    assert_int_equal(failed, 0);
    assert_true(to_a * 10 >= SLOW_N * 9);
}

/* ---- 8. a dead name server first in the list ---- */

#define TWO_NS_PRODUCERS 4
#define TWO_NS_SENDS 3

static void test_dead_namesrv_in_list(void **state)
{
    env_t *e = *state;
    const char *topic = "ItpTwoNs";
    create_topic(e, topic, QUEUES);
    int dead1 = it_closed_port(), dead2 = it_closed_port();
    assert_true(dead1 > 0 && dead2 > 0);
    char lists[TWO_NS_PRODUCERS][160];
    snprintf(lists[0], sizeof(lists[0]), "127.0.0.1:%d;%s", dead1, e->ns.addr);
    snprintf(lists[1], sizeof(lists[1]), "127.0.0.1:%d;%s", dead1, e->ns.addr);
    snprintf(lists[2], sizeof(lists[2]), "127.0.0.1:%d;127.0.0.1:%d;%s", dead1, dead2, e->ns.addr);
    snprintf(lists[3], sizeof(lists[3]), "%s;127.0.0.1:%d", e->ns.addr, dead2);
    sent_t sent[TWO_NS_PRODUCERS * TWO_NS_SENDS];
    size_t n = 0;
    for (int k = 0; k < TWO_NS_PRODUCERS; k++) {
        char group[32];
        snprintf(group, sizeof(group), "PG_ITP_TWO_NS_%d", k);
        rocketmq_producer_t *p = new_producer(group, lists[k]);
        start_producer(p);
        for (int i = 0; i < TWO_NS_SENDS; i++) {
            char body[32];
            snprintf(body, sizeof(body), "two ns %d-%d", k, i);
            rocketmq_message_t *m = text_msg(topic, NULL, NULL, body);
            rocketmq_send_result_t r;
            int64_t t0 = it_now_ms();
            int err = rocketmq_producer_send(p, m, &r);
            int64_t took = elapsed_since(t0);
            if (err != 0)
                fail_msg("name servers %s: send %d: %s: %s", lists[k], i, rocketmq_err_name(err),
                         rocketmq_last_error_detail());
            assert_result(&r, topic, m);
            /* a refused connection costs nothing like a timeout */
            if (took > 2000)
                fail_msg("name servers %s: send %d took %lld ms", lists[k], i, (long long)took);
            record_sent(&sent[n++], &r, body);
            rocketmq_message_destroy(m);
        }
        end_producer(p);
    }
    it_msgs_t msgs = {0};
    read_back(e, BROKER_A, topic, n, &msgs);
    assert_int_equal(msgs.n, n);
    assert_int_equal(verify_sent(&msgs, sent, n, NULL), n);
    it_msgs_free(&msgs);
}

/* ---- 9. a send that cannot finish ends after its timeout ---- */

#define TIMEOUT_MS 1000
#define TIMEOUT_MIN_MS 900
#define TIMEOUT_MAX_MS 2500

static void test_send_timeout(void **state)
{
    env_t *e = *state;
    const char *topic = "ItpTimeout";
    create_topic(e, topic, QUEUES);
    rocketmq_producer_t *p = new_producer("PG_ITP_TIMEOUT", e->ns.addr);
    must(rocketmq_producer_set_send_msg_timeout(p, TIMEOUT_MS), "send timeout");
    start_producer(p);
    rocketmq_send_result_t r;
    int64_t took;
    must(send_text_timed(p, topic, "before the pause", &r, &took), "send before the pause");

    assert_int_equal(it_broker_pause(&e->br[0]), 0);
    int err = send_text_timed(p, topic, "sync, broker paused", &r, &took);
    char detail[512];
    snprintf(detail, sizeof(detail), "%s", rocketmq_last_error_detail());
    print_message("SYNC send to the paused broker: %s after %lld ms (%s)\n", rocketmq_err_name(err),
                  (long long)took, detail);

    async_ctx_t ctx;
    async_ctx_init(&ctx);
    async_slot_t slot = {.ctx = &ctx};
    rocketmq_message_t *m = text_msg(topic, "TagSlow", NULL, "async, broker paused");
    int64_t t0 = it_now_ms();
    must(rocketmq_producer_send_async(p, m, async_cb, &slot), "send_async");
    rocketmq_message_destroy(m);
    int done = async_wait(&ctx, 1, 5 * TIMEOUT_MS);
    int64_t async_took = slot.done_ms - t0;
    print_message("ASYNC send to the paused broker: %s after %lld ms (%s)\n",
                  rocketmq_err_name(slot.err), (long long)async_took, slot.detail);

    assert_int_equal(it_broker_resume(&e->br[0]), 0);
    end_producer(p);
    async_ctx_destroy(&ctx);

    assert_int_equal(err, ROCKETMQ_ERR__TIMEOUT);
    if (took < TIMEOUT_MIN_MS || took >= TIMEOUT_MAX_MS)
        fail_msg("the SYNC send failed after %lld ms, sendMsgTimeout %d", (long long)took,
                 TIMEOUT_MS);
    assert_int_equal(done, 1);
    assert_int_equal(slot.err, ROCKETMQ_ERR__TIMEOUT);
    if (async_took < TIMEOUT_MIN_MS || async_took >= TIMEOUT_MAX_MS)
        fail_msg("the ASYNC send failed after %lld ms, sendMsgTimeout %d", (long long)async_took,
                 TIMEOUT_MS);
}

/* ---- 10. service states and client instances ---- */

static void test_states(void **state)
{
    env_t *e = *state;
    const char *topic = "ItpState";
    create_topic(e, topic, QUEUES);
    rocketmq_message_t *m = text_msg(topic, NULL, NULL, "state");
    rocketmq_send_result_t r;

    rocketmq_producer_t *p = new_producer("PG_ITP_STATE", e->ns.addr);
    assert_int_equal(rocketmq_producer_state(p), ROCKETMQ_CREATE_JUST);
    assert_null(rocketmq_producer_client_id(p));
    assert_int_equal(rocketmq_producer_send(p, m, &r), ROCKETMQ_ERR__STATE);
    assert_int_equal(rocketmq_producer_send_oneway(p, m), ROCKETMQ_ERR__STATE);
    assert_int_equal(rocketmq_producer_send_async(p, m, async_cb, NULL), ROCKETMQ_ERR__STATE);
    assert_int_equal(rocketmq_producer_send_batch(p, &m, 1, &r), ROCKETMQ_ERR__STATE);
    /* nothing was sent, so no id was given either */
    assert_null(rocketmq_message_get_msg_id(m));

    assert_int_equal(rocketmq_producer_set_instance_name(p, "itp-shared"), 0);
    start_producer(p);
    assert_int_equal(rocketmq_producer_start(p), ROCKETMQ_ERR__STATE);
    assert_int_equal(rocketmq_producer_state(p), ROCKETMQ_RUNNING);
    assert_int_equal(rocketmq_producer_set_send_msg_timeout(p, 1000), ROCKETMQ_ERR__STATE);
    const char *cid = rocketmq_producer_client_id(p);
    assert_non_null(cid);
    assert_non_null(strstr(cid, "@itp-shared"));

    /* the same group in the same client instance */
    rocketmq_producer_t *dup = new_producer("PG_ITP_STATE", e->ns.addr);
    assert_int_equal(rocketmq_producer_set_instance_name(dup, "itp-shared"), 0);
    assert_int_equal(rocketmq_producer_start(dup), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_producer_state(dup), ROCKETMQ_CREATE_JUST);
    assert_null(rocketmq_producer_client_id(dup));

    /* another group, the same instance name: one client instance */
    rocketmq_producer_t *other = new_producer("PG_ITP_STATE_2", e->ns.addr);
    assert_int_equal(rocketmq_producer_set_instance_name(other, "itp-shared"), 0);
    start_producer(other);
    assert_string_equal(rocketmq_producer_client_id(other), cid);

    /* both send through it */
    must(rocketmq_producer_send(p, m, &r), "send from the first producer");
    assert_result(&r, topic, m);
    rocketmq_message_t *m2 = text_msg(topic, NULL, NULL, "state 2");
    must(rocketmq_producer_send(other, m2, &r), "send from the second producer");
    assert_result(&r, topic, m2);

    assert_int_equal(rocketmq_producer_shutdown(p), 0);
    assert_int_equal(rocketmq_producer_state(p), ROCKETMQ_SHUTDOWN_ALREADY);
    assert_int_equal(rocketmq_producer_send(p, m, &r), ROCKETMQ_ERR__STATE);
    assert_int_equal(rocketmq_producer_send_oneway(p, m), ROCKETMQ_ERR__STATE);
    assert_int_equal(rocketmq_producer_send_async(p, m, async_cb, NULL), ROCKETMQ_ERR__STATE);
    assert_int_equal(rocketmq_producer_start(p), ROCKETMQ_ERR__STATE);
    assert_int_equal(rocketmq_producer_shutdown(p), 0); /* a no-op now */

    /* the instance lives on for the other producer */
    must(rocketmq_producer_send(other, m2, &r), "send after the first producer shut down");
    end_producer(other);
    rocketmq_producer_destroy(p);
    rocketmq_producer_destroy(dup); /* never started */

    /* once the group is gone from the instance it may register again */
    rocketmq_producer_t *again = new_producer("PG_ITP_STATE", e->ns.addr);
    assert_int_equal(rocketmq_producer_set_instance_name(again, "itp-shared"), 0);
    start_producer(again);
    must(rocketmq_producer_send(again, m2, &r), "send from a restarted group");
    end_producer(again);
    rocketmq_message_destroy(m);
    rocketmq_message_destroy(m2);
}

/* ---- 11. ordered messages ---- */

#define ORDER_KEYS 10
#define ORDER_ROUNDS 10

static int32_t java_string_hash(const char *s)
{
    uint32_t h = 0;
    for (; *s; s++)
        h = 31u * h + (uint8_t)*s;
    return (int32_t)h;
}

static void test_orderly(void **state)
{
    env_t *e = *state;
    const char *topic = "ItpOrder";
    create_topic(e, topic, QUEUES);
    rocketmq_producer_t *p = new_producer("PG_ITP_ORDER", e->ns.addr);
    start_producer(p);
    rocketmq_message_queue_t mqs[16];
    size_t nmqs = 0;
    must(rocketmq_producer_fetch_publish_queues(p, topic, mqs, 16, &nmqs), "fetch queues");
    assert_int_equal(nmqs, QUEUES);

    char keys[ORDER_KEYS][16];
    int32_t queue_of[ORDER_KEYS];
    int64_t offset_of[ORDER_KEYS][ORDER_ROUNDS];
    sent_t sent[ORDER_KEYS * ORDER_ROUNDS];
    size_t n = 0;
    for (int k = 0; k < ORDER_KEYS; k++)
        snprintf(keys[k], sizeof(keys[k]), "order-%d", k);
    for (int round = 0; round < ORDER_ROUNDS; round++) {
        for (int k = 0; k < ORDER_KEYS; k++) {
            char body[32];
            snprintf(body, sizeof(body), "order-%d:%d", k, round);
            rocketmq_message_t *m = text_msg(topic, "TagOrder", keys[k], body);
            rocketmq_send_result_t r;
            must(rocketmq_producer_send_orderly(p, m, rocketmq_select_queue_by_hash, keys[k], &r),
                 "send_orderly");
            assert_result(&r, topic, m);
            if (round == 0) {
                queue_of[k] = r.queue.queue_id;
                /* SelectMessageQueueByHash: abs(key.hashCode() % size) */
                int32_t idx = java_string_hash(keys[k]) % (int32_t)nmqs;
                idx = idx < 0 ? -idx : idx;
                assert_int_equal(r.queue.queue_id, mqs[idx].queue_id);
            } else {
                assert_int_equal(r.queue.queue_id, queue_of[k]);
                assert_true(r.queue_offset > offset_of[k][round - 1]);
            }
            offset_of[k][round] = r.queue_offset;
            record_sent(&sent[n++], &r, body);
            rocketmq_message_destroy(m);
        }
    }
    end_producer(p);
    /* stored where the results said, so in send order within each key */
    it_msgs_t msgs = {0};
    read_back(e, BROKER_A, topic, n, &msgs);
    assert_int_equal(msgs.n, n);
    assert_int_equal(verify_sent(&msgs, sent, n, NULL), n);
    for (int k = 0; k < ORDER_KEYS; k++) {
        int next_round = 0;
        for (size_t i = 0; i < msgs.n; i++) { /* queue order, offsets ascending */
            const it_msg_t *m = &msgs.v[i];
            char *key = it_msg_prop(m, ROCKETMQ_PROPERTY_KEYS);
            if (key && strcmp(key, keys[k]) == 0) {
                assert_int_equal(m->queue_id, queue_of[k]);
                char want[32];
                snprintf(want, sizeof(want), "order-%d:%d", k, next_round++);
                assert_int_equal(m->body_len, strlen(want));
                assert_memory_equal(m->body, want, m->body_len);
            }
            free(key);
        }
        assert_int_equal(next_round, ORDER_ROUNDS);
    }
    it_msgs_free(&msgs);
}

/* ---- 12. batches ---- */

#define BATCH_N 10

static void test_batch(void **state)
{
    env_t *e = *state;
    const char *topic = "ItpBatch";
    create_topic(e, topic, QUEUES);
    rocketmq_producer_t *p = new_producer("PG_ITP_BATCH", e->ns.addr);
    start_producer(p);
    rocketmq_message_t *msgs[BATCH_N];
    for (int i = 0; i < BATCH_N; i++) {
        char body[32], key[16];
        snprintf(body, sizeof(body), "batch body %d", i);
        snprintf(key, sizeof(key), "bk-%d", i);
        msgs[i] = text_msg(topic, "TagBatch", key, body);
    }
    rocketmq_send_result_t r;
    must(rocketmq_producer_send_batch(p, msgs, BATCH_N, &r), "send_batch");
    assert_int_equal(r.status, ROCKETMQ_SEND_OK);
    assert_int_equal(r.batch_size, BATCH_N);
    assert_string_equal(r.queue.topic, topic);
    assert_string_equal(r.queue.broker_name, BROKER_A);
    assert_non_null(rocketmq_message_get_msg_id(msgs[0]));
    assert_string_equal(r.msg_id, rocketmq_message_get_msg_id(msgs[0]));

    /* a delay level anywhere in the batch: refused, nothing sent */
    rocketmq_message_t *delayed[BATCH_N];
    for (int i = 0; i < BATCH_N; i++) {
        delayed[i] = text_msg(topic, "TagBatch", NULL, "delayed batch");
        if (i == 3)
            assert_int_equal(rocketmq_message_set_delay_time_level(delayed[i], 2), 0);
    }
    rocketmq_send_result_t r2;
    int err = rocketmq_producer_send_batch(p, delayed, BATCH_N, &r2);
    print_message("batch with a delay level: %s (%s)\n", rocketmq_err_name(err),
                  rocketmq_last_error_detail());
    /* Java: MessageBatch.generateFromList throws, DefaultMQProducer.batch
     * wraps it in MQClientException code -1 (ROCKETMQ_ERR__INVALID_ARG here,
     * src/client/batch.c); the broker would answer MESSAGE_ILLEGAL. */
    assert_true(err == ROCKETMQ_ERR__INVALID_ARG || err == ROCKETMQ_ERR_MESSAGE_ILLEGAL);
    assert_non_null(strstr(rocketmq_last_error_detail(), "TimeDelayLevel"));
    end_producer(p);

    it_msgs_t stored = {0};
    read_back(e, BROKER_A, topic, BATCH_N, &stored);
    it_sleep_ms(200); /* anything more would have arrived by now */
    it_msgs_free(&stored);
    read_back(e, BROKER_A, topic, BATCH_N, &stored);
    assert_int_equal(stored.n, BATCH_N);
    assert_unique_stored_ids(&stored);
    for (int i = 0; i < BATCH_N; i++) {
        /* one queue, consecutive offsets from the result's, in batch order */
        const it_msg_t *m = it_msgs_find(&stored, r.queue.queue_id, r.queue_offset + i);
        if (!m)
            fail_msg("batch message %d not at queue %d offset %lld", i, r.queue.queue_id,
                     (long long)(r.queue_offset + i));
        const char *id = rocketmq_message_get_msg_id(msgs[i]);
        assert_non_null(id);
        assert_prop(m, ROCKETMQ_PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, id);
        char body[32], key[16];
        snprintf(body, sizeof(body), "batch body %d", i);
        snprintf(key, sizeof(key), "bk-%d", i);
        assert_prop(m, ROCKETMQ_PROPERTY_KEYS, key);
        assert_prop(m, ROCKETMQ_PROPERTY_TAGS, "TagBatch");
        assert_false(m->sysflag & RMQ_SYSFLAG_COMPRESSED);
        assert_int_equal(m->body_len, strlen(body));
        assert_memory_equal(m->body, body, m->body_len);
    }
    it_msgs_free(&stored);
    for (int i = 0; i < BATCH_N; i++) {
        rocketmq_message_destroy(msgs[i]);
        rocketmq_message_destroy(delayed[i]);
    }
}

/* ---- 13. hooks ---- */

#define HOOK_OK 5
#define HOOK_FORBIDDEN 2
#define FORBIDDEN_CODE ROCKETMQ_ERR_NO_PERMISSION

typedef struct hook_counts {
    atomic_int before, after, after_ok, after_err, forbidden_calls, bad_ctx;
} hook_counts_t;

static bool ctx_ok(const rocketmq_send_context_t *c)
{
    return c->producer_group && strcmp(c->producer_group, "PG_ITP_HOOKS") == 0 &&
           c->broker_addr && c->broker_addr[0] && c->queue && c->msg && c->born_host;
}

static int forbid_tag(const rocketmq_send_context_t *c, void *arg)
{
    hook_counts_t *h = arg;
    atomic_fetch_add(&h->forbidden_calls, 1);
    if (!ctx_ok(c))
        atomic_fetch_add(&h->bad_ctx, 1);
    const char *tags = c->msg ? rocketmq_message_get_tags(c->msg) : NULL;
    return tags && strcmp(tags, "forbidden") == 0 ? FORBIDDEN_CODE : 0;
}

static void hook_before(const rocketmq_send_context_t *c, void *arg)
{
    hook_counts_t *h = arg;
    atomic_fetch_add(&h->before, 1);
    if (!ctx_ok(c) || c->result || c->err)
        atomic_fetch_add(&h->bad_ctx, 1);
}

static void hook_after(const rocketmq_send_context_t *c, void *arg)
{
    hook_counts_t *h = arg;
    atomic_fetch_add(&h->after, 1);
    if (!ctx_ok(c))
        atomic_fetch_add(&h->bad_ctx, 1);
    if (c->err == 0 && (c->mode == ROCKETMQ_SEND_ONEWAY || c->result))
        atomic_fetch_add(&h->after_ok, 1);
    else
        atomic_fetch_add(&h->after_err, 1);
}

static void test_hooks(void **state)
{
    env_t *e = *state;
    const char *topic = "ItpHooks";
    create_topic(e, topic, QUEUES);
    hook_counts_t h;
    memset(&h, 0, sizeof(h));
    rocketmq_producer_t *p = new_producer("PG_ITP_HOOKS", e->ns.addr);
    must(rocketmq_producer_add_check_forbidden_hook(p, forbid_tag, &h), "forbidden hook");
    must(rocketmq_producer_add_send_hook(p, hook_before, hook_after, &h), "send hook");
    start_producer(p);
    assert_int_equal(rocketmq_producer_add_send_hook(p, hook_before, hook_after, &h),
                     ROCKETMQ_ERR__STATE);

    sent_t sent[HOOK_OK + 1];
    for (int i = 0; i < HOOK_OK; i++) {
        char body[32];
        snprintf(body, sizeof(body), "hooked %d", i);
        rocketmq_message_t *m = text_msg(topic, "allowed", NULL, body);
        rocketmq_send_result_t r;
        must(rocketmq_producer_send(p, m, &r), "allowed send");
        record_sent(&sent[i], &r, body);
        rocketmq_message_destroy(m);
    }
    assert_int_equal(atomic_load(&h.before), HOOK_OK);
    assert_int_equal(atomic_load(&h.after), HOOK_OK);
    assert_int_equal(atomic_load(&h.after_ok), HOOK_OK);
    assert_int_equal(atomic_load(&h.forbidden_calls), HOOK_OK);

    for (int i = 0; i < HOOK_FORBIDDEN; i++) {
        rocketmq_message_t *m = text_msg(topic, "forbidden", NULL, "must not be stored");
        rocketmq_send_result_t r;
        int err = rocketmq_producer_send(p, m, &r);
        if (err != FORBIDDEN_CODE)
            fail_msg("forbidden send returned %s (%d): %s", rocketmq_err_name(err), err,
                     rocketmq_last_error_detail());
        rocketmq_message_destroy(m);
    }
    /* the hook ends the send: one call each, no retry, no send hooks */
    int fcalls = atomic_load(&h.forbidden_calls) - HOOK_OK;
    if (fcalls != HOOK_FORBIDDEN)
        fail_msg("the check-forbidden hook ran %d times for %d forbidden SYNC sends (retried)",
                 fcalls, HOOK_FORBIDDEN);
    assert_int_equal(atomic_load(&h.before), HOOK_OK);
    assert_int_equal(atomic_load(&h.after), HOOK_OK);

    /* ASYNC: forbidden, then allowed (the after hook runs before the callback) */
    async_ctx_t ctx;
    async_ctx_init(&ctx);
    async_slot_t slots[2] = {{.ctx = &ctx}, {.ctx = &ctx}};
    rocketmq_message_t *m = text_msg(topic, "forbidden", NULL, "must not be stored either");
    must(rocketmq_producer_send_async(p, m, async_cb, &slots[0]), "send_async forbidden");
    rocketmq_message_destroy(m);
    snprintf(slots[1].body, sizeof(slots[1].body), "hooked async");
    m = text_msg(topic, "allowed", NULL, slots[1].body);
    must(rocketmq_producer_send_async(p, m, async_cb, &slots[1]), "send_async allowed");
    rocketmq_message_destroy(m);
    int done = async_wait(&ctx, 2, 5000);
    end_producer(p); /* waits for callbacks in flight */
    async_ctx_destroy(&ctx);
    assert_int_equal(done, 2);
    assert_int_equal(slots[0].err, FORBIDDEN_CODE);
    assert_int_equal(slots[1].err, 0);
    record_sent(&sent[HOOK_OK], &slots[1].res, slots[1].body);
    assert_int_equal(atomic_load(&h.forbidden_calls), HOOK_OK + HOOK_FORBIDDEN + 2);
    assert_int_equal(atomic_load(&h.before), HOOK_OK + 1);
    assert_int_equal(atomic_load(&h.after), HOOK_OK + 1);
    assert_int_equal(atomic_load(&h.after_ok), HOOK_OK + 1);
    assert_int_equal(atomic_load(&h.after_err), 0);
    assert_int_equal(atomic_load(&h.bad_ctx), 0);

    it_msgs_t msgs = {0};
    read_back(e, BROKER_A, topic, HOOK_OK + 1, &msgs);
    it_sleep_ms(200);
    it_msgs_free(&msgs);
    read_back(e, BROKER_A, topic, HOOK_OK + 1, &msgs);
    assert_int_equal(msgs.n, HOOK_OK + 1);
    assert_int_equal(verify_sent(&msgs, sent, HOOK_OK + 1, NULL), HOOK_OK + 1);
    assert_null(it_msgs_find_prop(&msgs, ROCKETMQ_PROPERTY_TAGS, "forbidden"));
    it_msgs_free(&msgs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_send),
        cmocka_unit_test(test_async_send),
        cmocka_unit_test(test_oneway_send),
        cmocka_unit_test(test_threads_share_producer),
        cmocka_unit_test(test_auto_create_topic),
        cmocka_unit_test_setup_teardown(test_broker_stopped_mid_run, setup_two_brokers,
                                        teardown_env),
        cmocka_unit_test_setup_teardown(test_paused_broker_fault_strategy, setup_two_brokers,
                                        teardown_env),
        cmocka_unit_test(test_dead_namesrv_in_list),
        cmocka_unit_test_setup_teardown(test_send_timeout, setup_one_broker, teardown_env),
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_orderly),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_hooks),
    };
    int64_t t0 = it_now_ms();
    int failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
    fprintf(stderr, "it_producer: %lld ms\n", (long long)(it_now_ms() - t0));
    return failed;
}
