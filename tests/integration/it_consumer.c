/* The consumers of librocketmq end to end (include/rocketmq/consumer.h;
 * protocol.md 9.7-9.10): real rmq-namesrv and rmq-broker processes on free
 * loopback ports, messages sent with the library's producer, and push and
 * lite pull consumers receiving them through the public API:
 *
 *   - three push consumers of one group share the 8 queues of a topic
 *     without overlap; when one shuts down the other two take its queues;
 *     a producer sends all along and every message is consumed;
 *   - RECONSUME_LATER brings a message back through %RETRY%<group> with
 *     reconsume times 1, 2, then parks it in %DLQ%<group>;
 *   - orderly listeners see each key's messages in order while a third
 *     consumer joins;
 *   - BROADCASTING consumers each receive everything, offsets in local files;
 *   - a restarted group resumes after the offsets its last consumer
 *     committed at shutdown;
 *   - the lite pull consumer: subscribe + poll, assign + seek, commit and
 *     committed (also after shutdown), and the low-level pull statuses;
 *   - a group started twice in one client instance is refused, and starts
 *     under another instance name.
 *
 * One name server and broker serve every scenario (each has its own topic
 * and group); the broker's delay levels are all 1 s so that retries come
 * back quickly.  Consumers run with short intervals (rebalance, heartbeat,
 * route poll 1 s; offsets persisted every 500 ms).  Every wait is bounded in
 * time and iterations; processes are ended by pid through the harness. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "client/consumer_int.h" /* rmq_consumer_owned: the queues a push consumer holds */
#include "harness.h"
#include "protocol/bodies.h"
#include "rocketmq/consumer.h"
#include "rocketmq/error.h"
#include "rocketmq/message.h"
#include "rocketmq/producer.h"

#define ROUTE_WAIT_MS 5000
#define BROKER_NAME IT_BROKER_NAME
/* 18 levels as the default, every one 1 s: a send-back at level 3 + n
 * comes back after a second. */
#define BROKER_EXTRA                                                                             \
    "messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s"

/* ---- processes ---- */

typedef struct env {
    it_namesrv_t ns;
    it_broker_proc_t br;
    rmq_rclient_t *rc;
} env_t;

static int group_setup(void **state)
{
    env_t *e = calloc(1, sizeof(*e));
    if (!e)
        return -1;
    e->ns.out_fd = e->br.out_fd = -1;
    if (it_namesrv_start(&e->ns, NULL) != 0) {
        it_namesrv_cleanup(&e->ns);
        free(e);
        return -1;
    }
    if (it_broker_start(&e->br, e->ns.addr, "ASYNC_FLUSH", BROKER_EXTRA) != 0) {
        it_broker_cleanup(&e->br);
        it_namesrv_cleanup(&e->ns);
        free(e);
        return -1;
    }
    e->rc = rmq_rclient_new(NULL, NULL);
    *state = e;
    return 0;
}

/* Both processes must exit 0 on SIGTERM (under ASan a leak shows here). */
static int group_teardown(void **state)
{
    env_t *e = *state;
    if (!e)
        return 0;
    if (e->rc)
        rmq_rclient_destroy(e->rc);
    int status = it_stop_broker_and_namesrv(&e->br, &e->ns);
    free(e);
    if (status != 0)
        fprintf(stderr, "it_consumer: the broker or the name server did not exit 0\n");
    return status == 0 ? 0 : -1;
}

static void create_topic(env_t *e, const char *topic, int queues)
{
    int code = it_create_topic(e->rc, e->br.addr, topic, queues);
    if (code != 0)
        fail_msg("creating %s: code %d", topic, code);
    if (!it_wait_route_brokers(e->rc, e->ns.addr, topic, 1, ROUTE_WAIT_MS))
        fail_msg("no route of %s after %d ms", topic, ROUTE_WAIT_MS);
}

static void must(int err, const char *what)
{
    if (err != 0)
        fail_msg("%s: %s (%d): %s", what, rocketmq_err_name(err), err,
                 rocketmq_last_error_detail());
}

static rocketmq_message_queue_t queue_of(const char *topic, int qid)
{
    rocketmq_message_queue_t mq;
    memset(&mq, 0, sizeof(mq));
    snprintf(mq.topic, sizeof(mq.topic), "%s", topic);
    snprintf(mq.broker_name, sizeof(mq.broker_name), "%s", BROKER_NAME);
    mq.queue_id = qid;
    return mq;
}

/* ---- producing ---- */

static rocketmq_producer_t *new_producer(env_t *e, const char *group)
{
    rocketmq_producer_t *p = rocketmq_producer_new(group);
    assert_non_null(p);
    must(rocketmq_producer_set_namesrv_addr(p, e->ns.addr), "producer namesrv");
    must(rocketmq_producer_start(p), "rocketmq_producer_start");
    return p;
}

/* Message i of a scenario: key "<prefix>-<i>", tags TagA / TagB
 * alternating, body "body <key> " and, every 50th, 5000 more bytes (the
 * producer compresses those). */
static size_t body_of(const char *prefix, int i, char *buf, size_t n)
{
    int len = snprintf(buf, n, "body %s-%d ", prefix, i);
    if (i % 50 == 0 && (size_t)len + 5000 < n) {
        memset(buf + len, 'y', 5000);
        len += 5000;
    }
    return (size_t)len;
}

#define BODY_MAX 5200

static rocketmq_message_t *keyed_msg(const char *topic, const char *prefix, int i)
{
    char key[64], body[BODY_MAX];
    snprintf(key, sizeof(key), "%s-%d", prefix, i);
    rocketmq_message_t *m = rocketmq_message_new(topic);
    if (!m)
        return NULL;
    rocketmq_message_set_keys(m, key);
    rocketmq_message_set_tags(m, i % 2 == 0 ? "TagA" : "TagB");
    size_t n = body_of(prefix, i, body, sizeof(body));
    rocketmq_message_set_body(m, body, n);
    return m;
}

/* SYNC send of message i; 0 or the error.  r may be NULL. */
static int send_keyed(rocketmq_producer_t *p, const char *topic, const char *prefix, int i,
                      rocketmq_send_result_t *r)
{
    rocketmq_send_result_t tmp;
    rocketmq_message_t *m = keyed_msg(topic, prefix, i);
    if (!m)
        return ROCKETMQ_ERR__FAIL;
    int err = rocketmq_producer_send(p, m, r ? r : &tmp);
    rocketmq_message_destroy(m);
    return err;
}

static void send_range(rocketmq_producer_t *p, const char *topic, const char *prefix, int from,
                       int to)
{
    for (int i = from; i < to; i++)
        must(send_keyed(p, topic, prefix, i, NULL), "send");
}

/* A producer thread: messages from..to-1, pace_ms apart until hurried;
 * gives up at the deadline (counted as failures).  Orderly pumps send
 * message i as seq i / ORD_KEYS of key "ok-<i % ORD_KEYS>" through
 * rocketmq_select_queue_by_hash. */
#define ORD_KEYS 8

typedef struct pump {
    rocketmq_producer_t *p;
    const char *topic;
    const char *prefix;
    int from, to;
    int pace_ms;
    bool orderly;
    int64_t deadline_ms;
    atomic_bool hurry;
    atomic_int sent;
    atomic_int failed;
    int first_err;
    pthread_t thread;
} pump_t;

static int send_ordered(pump_t *pp, int i)
{
    int k = i % ORD_KEYS, seq = i / ORD_KEYS;
    char key[32], seqs[16], body[64];
    snprintf(key, sizeof(key), "ok-%d", k);
    snprintf(seqs, sizeof(seqs), "%d", seq);
    int blen = snprintf(body, sizeof(body), "%s:%d", key, seq);
    rocketmq_message_t *m = rocketmq_message_new(pp->topic);
    if (!m)
        return ROCKETMQ_ERR__FAIL;
    rocketmq_message_set_keys(m, key);
    rocketmq_message_put_user_property(m, "seq", seqs);
    rocketmq_message_set_body(m, body, (size_t)blen);
    rocketmq_send_result_t r;
    int err = rocketmq_producer_send_orderly(pp->p, m, rocketmq_select_queue_by_hash, key, &r);
    rocketmq_message_destroy(m);
    return err;
}

static void *pump_main(void *arg)
{
    pump_t *pp = arg;
    for (int i = pp->from; i < pp->to; i++) {
        if (it_now_ms() > pp->deadline_ms) {
            atomic_fetch_add(&pp->failed, pp->to - i);
            break;
        }
        int err = pp->orderly ? send_ordered(pp, i) : send_keyed(pp->p, pp->topic, pp->prefix, i, NULL);
        if (err == 0) {
            atomic_fetch_add(&pp->sent, 1);
        } else {
            if (atomic_fetch_add(&pp->failed, 1) == 0)
                pp->first_err = err;
        }
        if (!atomic_load(&pp->hurry) && pp->pace_ms > 0)
            it_sleep_ms(pp->pace_ms);
    }
    return NULL;
}

static void pump_start(pump_t *pp, rocketmq_producer_t *p, const char *topic, const char *prefix,
                       int from, int to, int pace_ms, bool orderly, int timeout_ms)
{
    memset(pp, 0, sizeof(*pp));
    pp->p = p;
    pp->topic = topic;
    pp->prefix = prefix;
    pp->from = from;
    pp->to = to;
    pp->pace_ms = pace_ms;
    pp->orderly = orderly;
    pp->deadline_ms = it_now_ms() + timeout_ms;
    atomic_init(&pp->hurry, false);
    atomic_init(&pp->sent, 0);
    atomic_init(&pp->failed, 0);
    assert_int_equal(pthread_create(&pp->thread, NULL, pump_main, pp), 0);
}

static void pump_join(pump_t *pp)
{
    atomic_store(&pp->hurry, true);
    pthread_join(pp->thread, NULL);
    if (atomic_load(&pp->failed) != 0)
        fail_msg("%d of %d sends failed, the first with %s", atomic_load(&pp->failed),
                 pp->to - pp->from, rocketmq_err_name(pp->first_err));
    assert_int_equal(atomic_load(&pp->sent), pp->to - pp->from);
}

/* ---- what a consumer received ---- */

#define MAX_KEYS 2048

/* Deliveries per message index of one consumer; trackers are static so
 * that a failed test leaves no listener pointing into a dead stack. */
typedef struct tracker {
    const char *topic;
    const char *prefix;
    int nkeys;
    atomic_int count[MAX_KEYS];
    atomic_int total;
    atomic_int foreign;   /* keys not of this scenario */
    atomic_int bad_body;  /* body differs from what was sent */
    atomic_int bad_topic; /* topic differs */
    atomic_uint qmask;    /* queue ids seen (bit per id) */
} tracker_t;

static void tracker_reset(tracker_t *t, const char *topic, const char *prefix, int nkeys)
{
    t->topic = topic;
    t->prefix = prefix;
    t->nkeys = nkeys;
    for (int i = 0; i < MAX_KEYS; i++)
        atomic_store(&t->count[i], 0);
    atomic_store(&t->total, 0);
    atomic_store(&t->foreign, 0);
    atomic_store(&t->bad_body, 0);
    atomic_store(&t->bad_topic, 0);
    atomic_store(&t->qmask, 0u);
}

/* The index of key "<prefix>-<i>", or -1. */
static int key_index(const tracker_t *t, const char *key)
{
    size_t pl = strlen(t->prefix);
    if (!key || strncmp(key, t->prefix, pl) != 0 || key[pl] != '-')
        return -1;
    char *end = NULL;
    long i = strtol(key + pl + 1, &end, 10);
    if (end == key + pl + 1 || *end || i < 0 || i >= t->nkeys)
        return -1;
    return (int)i;
}

static void track(tracker_t *t, const rocketmq_message_t *m)
{
    int i = key_index(t, rocketmq_message_get_keys(m));
    if (i < 0) {
        atomic_fetch_add(&t->foreign, 1);
        return;
    }
    char want[BODY_MAX];
    size_t wn = body_of(t->prefix, i, want, sizeof(want)), len = 0;
    const void *body = rocketmq_message_get_body(m, &len);
    if (len != wn || !body || memcmp(body, want, wn) != 0)
        atomic_fetch_add(&t->bad_body, 1);
    const char *topic = rocketmq_message_get_topic(m);
    if (!topic || strcmp(topic, t->topic) != 0)
        atomic_fetch_add(&t->bad_topic, 1);
    int qid = rocketmq_message_get_queue_id(m);
    if (qid >= 0 && qid < 32)
        atomic_fetch_or(&t->qmask, 1u << qid);
    atomic_fetch_add(&t->count[i], 1);
    atomic_fetch_add(&t->total, 1);
}

static rocketmq_consume_status_t track_listener(rocketmq_message_t *const *msgs, size_t n,
                                                rocketmq_consume_context_t *ctx, void *arg)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        track(arg, msgs[i]);
    return ROCKETMQ_CONSUME_SUCCESS;
}

/* Indexes in [from, to) received at least once by any of the n trackers. */
static int distinct(tracker_t *const *ts, size_t n, int from, int to)
{
    int d = 0;
    for (int i = from; i < to; i++) {
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = atomic_load(&ts[k]->count[i]) > 0;
        d += seen;
    }
    return d;
}

/* Waits up to timeout_ms until distinct(...) reaches want; returns it. */
static int wait_distinct(tracker_t *const *ts, size_t n, int from, int to, int want,
                         int timeout_ms)
{
    int64_t deadline = it_now_ms() + timeout_ms;
    int d = 0;
    for (int i = 0; i < timeout_ms / 50 + 2; i++) {
        d = distinct(ts, n, from, to);
        if (d >= want || it_now_ms() > deadline)
            break;
        it_sleep_ms(50);
    }
    return d;
}

static void assert_clean(tracker_t *t)
{
    assert_int_equal(atomic_load(&t->foreign), 0);
    assert_int_equal(atomic_load(&t->bad_body), 0);
    assert_int_equal(atomic_load(&t->bad_topic), 0);
}

/* ---- push consumers ---- */

static rocketmq_push_consumer_t *push_new(env_t *e, const char *group, const char *instance)
{
    rocketmq_push_consumer_t *c = rocketmq_push_consumer_new(group);
    assert_non_null(c);
    must(rocketmq_push_consumer_set_namesrv_addr(c, e->ns.addr), "consumer namesrv");
    if (instance)
        must(rocketmq_push_consumer_set_instance_name(c, instance), "instance name");
    must(rocketmq_push_consumer_set_consume_from_where(c, ROCKETMQ_CONSUME_FROM_FIRST_OFFSET),
         "consume from where");
    must(rocketmq_push_consumer_set_rebalance_interval(c, 1000), "rebalance interval");
    must(rocketmq_push_consumer_set_heartbeat_broker_interval(c, 1000), "heartbeat interval");
    must(rocketmq_push_consumer_set_poll_name_server_interval(c, 1000), "poll interval");
    must(rocketmq_push_consumer_set_persist_consumer_offset_interval(c, 500), "persist interval");
    must(rocketmq_push_consumer_set_consume_thread_count(c, 4), "consume threads");
    return c;
}

static rocketmq_push_consumer_t *push_tracking(env_t *e, const char *group, const char *instance,
                                               const char *topic, tracker_t *t)
{
    rocketmq_push_consumer_t *c = push_new(e, group, instance);
    must(rocketmq_push_consumer_subscribe(c, topic, "*"), "subscribe");
    must(rocketmq_push_consumer_register_listener(c, track_listener, t), "listener");
    must(rocketmq_push_consumer_start(c), "rocketmq_push_consumer_start");
    assert_int_equal(rocketmq_push_consumer_state(c), ROCKETMQ_RUNNING);
    return c;
}

static void push_end(rocketmq_push_consumer_t *c)
{
    must(rocketmq_push_consumer_shutdown(c), "rocketmq_push_consumer_shutdown");
    assert_int_equal(rocketmq_push_consumer_state(c), ROCKETMQ_SHUTDOWN_ALREADY);
    rocketmq_push_consumer_destroy(c);
}

/* The queue ids of topic c holds now, as a bit mask. */
static unsigned owned_mask(rocketmq_push_consumer_t *c, const char *topic)
{
    rocketmq_message_queue_t *mqs = NULL;
    size_t n = rmq_consumer_owned(c, &mqs);
    unsigned m = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(mqs[i].topic, topic) == 0 && mqs[i].queue_id >= 0 && mqs[i].queue_id < 32)
            m |= 1u << mqs[i].queue_id;
    free(mqs);
    return m;
}

static int popcount(unsigned m)
{
    return __builtin_popcount(m);
}

/* Waits up to timeout_ms until the n consumers hold all nqueues queues of
 * topic between them, none twice and each at least one, for 3 polls in a
 * row (100 ms apart).  masks: what each holds then. */
static bool wait_partition(rocketmq_push_consumer_t *const *cs, size_t n, const char *topic,
                           int nqueues, unsigned *masks, int timeout_ms)
{
    int64_t deadline = it_now_ms() + timeout_ms;
    unsigned full = (1u << nqueues) - 1;
    int stable = 0;
    for (int i = 0; i < timeout_ms / 100 + 2; i++) {
        unsigned all = 0;
        bool ok = true;
        for (size_t k = 0; k < n; k++) {
            masks[k] = owned_mask(cs[k], topic);
            if (masks[k] == 0 || (all & masks[k]) != 0)
                ok = false;
            all |= masks[k];
        }
        ok = ok && all == full;
        stable = ok ? stable + 1 : 0;
        if (stable >= 3)
            return true;
        if (it_now_ms() > deadline)
            break;
        it_sleep_ms(100);
    }
    return false;
}

/* ---- a. three consumers share a topic, one leaves ---- */

#define RB_MSGS 2000
static tracker_t g_rb[3];

static void test_rebalance_three_consumers(void **state)
{
    env_t *e = *state;
    const char *topic = "CT_REBALANCE", *group = "CG_REBALANCE";
    create_topic(e, topic, 8);
    rocketmq_producer_t *p = new_producer(e, "PG_REBALANCE");
    static pump_t pump;
    /* ~2000 messages over ~10 s, hurried once the rebalances are checked */
    pump_start(&pump, p, topic, "rb", 0, RB_MSGS, 5, false, 60000);

    rocketmq_push_consumer_t *cs[3];
    tracker_t *ts[3] = {&g_rb[0], &g_rb[1], &g_rb[2]};
    int64_t t0 = it_now_ms();
    for (int k = 0; k < 3; k++) {
        char inst[16];
        snprintf(inst, sizeof(inst), "rb-%d", k + 1);
        tracker_reset(&g_rb[k], topic, "rb", RB_MSGS);
        cs[k] = push_tracking(e, group, inst, topic, &g_rb[k]);
    }
    unsigned masks[3];
    if (!wait_partition(cs, 3, topic, 8, masks, 20000))
        fail_msg("3 consumers did not settle on 8 queues: %#x %#x %#x", masks[0], masks[1],
                 masks[2]);
    int64_t settled = it_now_ms() - t0;
    int sizes[3] = {popcount(masks[0]), popcount(masks[1]), popcount(masks[2])};
    /* AllocateMessageQueueAveragely: 8 queues, 3 consumers -> 3, 3, 2 */
    assert_int_equal(sizes[0] + sizes[1] + sizes[2], 8);
    for (int k = 0; k < 3; k++)
        assert_true(sizes[k] == 2 || sizes[k] == 3);

    /* from now on each one receives messages of its own queues only */
    for (int k = 0; k < 3; k++)
        atomic_store(&g_rb[k].qmask, 0u);
    it_sleep_ms(1500);
    unsigned seen_all = 0;
    for (int k = 0; k < 3; k++) {
        unsigned seen = atomic_load(&g_rb[k].qmask);
        if (seen == 0 || (seen & ~masks[k]) != 0)
            fail_msg("consumer %d holds %#x but received from %#x", k + 1, masks[k], seen);
        assert_int_equal(seen_all & seen, 0);
        seen_all |= seen;
    }
    assert_int_equal(seen_all, 0xffu);
    assert_int_equal(owned_mask(cs[0], topic) | owned_mask(cs[1], topic) | owned_mask(cs[2], topic),
                     0xffu);

    /* the third leaves: the other two take its queues */
    int64_t t1 = it_now_ms();
    push_end(cs[2]);
    int64_t shut = it_now_ms() - t1;
    if (!wait_partition(cs, 2, topic, 8, masks, 15000))
        fail_msg("2 consumers did not take the 8 queues: %#x %#x", masks[0], masks[1]);
    int64_t taken = it_now_ms() - t1;
    assert_int_equal(popcount(masks[0]), 4);
    assert_int_equal(popcount(masks[1]), 4);
    /* NOTIFY_CONSUMER_IDS_CHANGED makes it immediate; a few rebalance
     * intervals (1 s) at most */
    assert_true(taken < 5000);

    int sent_before_hurry = atomic_load(&pump.sent);
    pump_join(&pump);
    int got = wait_distinct(ts, 3, 0, RB_MSGS, RB_MSGS, 30000);
    int64_t all_in = it_now_ms() - t0;
    int dups = 0;
    for (int i = 0; i < RB_MSGS; i++) {
        int c = atomic_load(&g_rb[0].count[i]) + atomic_load(&g_rb[1].count[i]) +
                atomic_load(&g_rb[2].count[i]);
        dups += c > 1 ? c - 1 : 0;
    }
    fprintf(stderr,
            "  rebalance: settled after %lld ms (%d/%d/%d queues), one shut down in %lld ms, "
            "queues retaken after %lld ms; %d sent by then; all %d consumed after %lld ms "
            "(%d duplicates; per consumer %d/%d/%d)\n",
            (long long)settled, sizes[0], sizes[1], sizes[2], (long long)shut, (long long)taken,
            sent_before_hurry, got, (long long)all_in, dups, atomic_load(&g_rb[0].total),
            atomic_load(&g_rb[1].total), atomic_load(&g_rb[2].total));
    assert_int_equal(got, RB_MSGS);
    for (int k = 0; k < 3; k++)
        assert_clean(&g_rb[k]);
    push_end(cs[0]);
    push_end(cs[1]);
    rocketmq_producer_destroy(p);
}

/* ---- b. RECONSUME_LATER: retries, then the DLQ ---- */

#define RT_MSGS 10
#define RT_POISON 5
#define RT_MAX_SEEN 16

static struct {
    pthread_mutex_t lock;
    int n;
    int rt[RT_MAX_SEEN];
    int64_t at[RT_MAX_SEEN];
    bool topic_ok[RT_MAX_SEEN];
    bool body_ok[RT_MAX_SEEN];
} g_poison = {.lock = PTHREAD_MUTEX_INITIALIZER};
static tracker_t g_rt;

static rocketmq_consume_status_t retry_listener(rocketmq_message_t *const *msgs, size_t n,
                                                rocketmq_consume_context_t *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char poison[32];
    snprintf(poison, sizeof(poison), "rt-%d", RT_POISON);
    rocketmq_consume_status_t st = ROCKETMQ_CONSUME_SUCCESS;
    for (size_t i = 0; i < n; i++) {
        const char *key = rocketmq_message_get_keys(msgs[i]);
        if (!key || strcmp(key, poison) != 0) {
            track(&g_rt, msgs[i]);
            continue;
        }
        char want[BODY_MAX];
        size_t wn = body_of("rt", RT_POISON, want, sizeof(want)), len = 0;
        const void *body = rocketmq_message_get_body(msgs[i], &len);
        const char *topic = rocketmq_message_get_topic(msgs[i]);
        pthread_mutex_lock(&g_poison.lock);
        if (g_poison.n < RT_MAX_SEEN) {
            g_poison.rt[g_poison.n] = rocketmq_message_get_reconsume_times(msgs[i]);
            g_poison.at[g_poison.n] = it_now_ms();
            g_poison.topic_ok[g_poison.n] = topic && strcmp(topic, g_rt.topic) == 0;
            g_poison.body_ok[g_poison.n] = len == wn && body && memcmp(body, want, wn) == 0;
        }
        g_poison.n++;
        pthread_mutex_unlock(&g_poison.lock);
        st = ROCKETMQ_RECONSUME_LATER;
    }
    return st;
}

static int poison_seen(void)
{
    pthread_mutex_lock(&g_poison.lock);
    int n = g_poison.n;
    pthread_mutex_unlock(&g_poison.lock);
    return n;
}

static void test_reconsume_later_then_dlq(void **state)
{
    env_t *e = *state;
    const char *topic = "CT_RETRY", *group = "CG_RETRY";
    create_topic(e, topic, 2);
    tracker_reset(&g_rt, topic, "rt", RT_MSGS);
    pthread_mutex_lock(&g_poison.lock);
    g_poison.n = 0;
    pthread_mutex_unlock(&g_poison.lock);

    rocketmq_push_consumer_t *c = push_new(e, group, "rt-1");
    must(rocketmq_push_consumer_set_max_reconsume_times(c, 2), "max reconsume times");
    must(rocketmq_push_consumer_subscribe(c, topic, "*"), "subscribe");
    must(rocketmq_push_consumer_register_listener(c, retry_listener, NULL), "listener");
    must(rocketmq_push_consumer_start(c), "start");
    int64_t t0 = it_now_ms();
    rocketmq_producer_t *p = new_producer(e, "PG_RETRY");
    send_range(p, topic, "rt", 0, RT_MSGS);

    /* delivery 0, then back twice through %RETRY%CG_RETRY (levels 3 and 4,
     * 1 s each here), then the DLQ */
    for (int i = 0; i < 300 && poison_seen() < 3 && it_now_ms() - t0 < 30000; i++)
        it_sleep_ms(100);
    char dlq[64];
    snprintf(dlq, sizeof(dlq), "%%DLQ%%%s", group);
    it_msgs_t parked = {0};
    long nd = it_pull_wait(e->rc, e->br.addr, dlq, 1, 15000, &parked);
    int64_t in_dlq = it_now_ms() - t0;
    it_sleep_ms(1500); /* room for a fourth delivery, which must not come */
    int others = wait_distinct((tracker_t *const[]){&g_rt}, 1, 0, RT_MSGS, RT_MSGS - 1, 5000);

    pthread_mutex_lock(&g_poison.lock);
    int n = g_poison.n;
    fprintf(stderr, "  retry: %d deliveries of the failing message (reconsume times", n);
    for (int i = 0; i < n && i < RT_MAX_SEEN; i++)
        fprintf(stderr, " %d@+%lldms", g_poison.rt[i], (long long)(g_poison.at[i] - t0));
    fprintf(stderr, "), in the DLQ after %lld ms\n", (long long)in_dlq);
    pthread_mutex_unlock(&g_poison.lock);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g_poison.rt[i], i);
        assert_true(g_poison.topic_ok[i]); /* the original topic, not %RETRY% */
        assert_true(g_poison.body_ok[i]);
    }
    /* each retry waited for its delay level (1 s) */
    assert_true(g_poison.at[1] - g_poison.at[0] >= 800);
    assert_true(g_poison.at[2] - g_poison.at[1] >= 800);

    assert_int_equal(nd, 1);
    const it_msg_t *m = &parked.v[0];
    assert_string_equal(m->topic, dlq);
    assert_int_equal(m->queue_id, 0);
    char *keys = it_msg_prop(m, "KEYS");
    char *retry_topic = it_msg_prop(m, "RETRY_TOPIC");
    char *origin = it_msg_prop(m, "ORIGIN_MESSAGE_ID");
    assert_non_null(keys);
    assert_string_equal(keys, "rt-5");
    assert_non_null(retry_topic);
    assert_string_equal(retry_topic, topic);
    assert_non_null(origin);
    free(keys);
    free(retry_topic);
    free(origin);
    uint8_t *body = NULL;
    size_t blen = 0;
    assert_int_equal(it_msg_body(m, &body, &blen), 0);
    char want[BODY_MAX];
    size_t wn = body_of("rt", RT_POISON, want, sizeof(want));
    assert_int_equal(blen, wn);
    assert_memory_equal(body, want, wn);
    free(body);
    it_msgs_free(&parked);

    /* the others: once each */
    assert_int_equal(others, RT_MSGS - 1);
    for (int i = 0; i < RT_MSGS; i++)
        assert_int_equal(atomic_load(&g_rt.count[i]), i == RT_POISON ? 0 : 1);
    assert_clean(&g_rt);
    push_end(c);
    rocketmq_producer_destroy(p);
}

/* ---- c. orderly consumption across a rebalance ---- */

#define ORD_SEQS 100
#define ORD_MSGS (ORD_KEYS * ORD_SEQS)

static struct {
    pthread_mutex_t lock;
    int max_seen[ORD_KEYS]; /* highest seq seen per key, -1 none */
    int qid[ORD_KEYS];      /* the queue of each key, -1 not seen */
    int fresh;              /* first deliveries */
    int repeats;            /* later deliveries of seqs already seen */
    int violations;         /* a seq seen before an earlier one */
    char first_violation[160];
    int wrong_queue;
    int per_consumer[3];
    int concurrent;         /* listener calls overlapping on one queue */
    int busy[32];
} g_ord = {.lock = PTHREAD_MUTEX_INITIALIZER};

static rocketmq_consume_orderly_status_t orderly_listener(rocketmq_message_t *const *msgs,
                                                          size_t n,
                                                          rocketmq_consume_orderly_context_t *ctx,
                                                          void *arg)
{
    int who = (int)(intptr_t)arg;
    int q = ctx->queue ? ctx->queue->queue_id : -1;
    pthread_mutex_lock(&g_ord.lock);
    if (q >= 0 && q < 32 && g_ord.busy[q]++ > 0)
        g_ord.concurrent++;
    pthread_mutex_unlock(&g_ord.lock);
    for (size_t i = 0; i < n; i++) {
        const char *key = rocketmq_message_get_keys(msgs[i]);
        const char *seqs = rocketmq_message_get_property(msgs[i], "seq");
        int k = key && strncmp(key, "ok-", 3) == 0 ? atoi(key + 3) : -1;
        int seq = seqs ? atoi(seqs) : -1;
        int qid = rocketmq_message_get_queue_id(msgs[i]);
        pthread_mutex_lock(&g_ord.lock);
        if (k < 0 || k >= ORD_KEYS || seq < 0) {
            g_ord.violations++;
        } else {
            if (g_ord.qid[k] < 0)
                g_ord.qid[k] = qid;
            else if (g_ord.qid[k] != qid)
                g_ord.wrong_queue++;
            if (seq <= g_ord.max_seen[k]) {
                g_ord.repeats++;
            } else {
                if (seq != g_ord.max_seen[k] + 1 && g_ord.violations++ == 0)
                    snprintf(g_ord.first_violation, sizeof(g_ord.first_violation),
                             "key %d: seq %d after %d (consumer %d, queue %d)", k, seq,
                             g_ord.max_seen[k], who + 1, qid);
                g_ord.max_seen[k] = seq;
                g_ord.fresh++;
            }
            if (who >= 0 && who < 3)
                g_ord.per_consumer[who]++;
        }
        pthread_mutex_unlock(&g_ord.lock);
    }
    pthread_mutex_lock(&g_ord.lock);
    if (q >= 0 && q < 32)
        g_ord.busy[q]--;
    pthread_mutex_unlock(&g_ord.lock);
    return ROCKETMQ_ORDERLY_SUCCESS;
}

static int ord_fresh(void)
{
    pthread_mutex_lock(&g_ord.lock);
    int n = g_ord.fresh;
    pthread_mutex_unlock(&g_ord.lock);
    return n;
}

static rocketmq_push_consumer_t *orderly_consumer(env_t *e, const char *group, const char *topic,
                                                  int who)
{
    char inst[16];
    snprintf(inst, sizeof(inst), "ord-%d", who + 1);
    rocketmq_push_consumer_t *c = push_new(e, group, inst);
    must(rocketmq_push_consumer_subscribe(c, topic, "*"), "subscribe");
    must(rocketmq_push_consumer_register_orderly_listener(c, orderly_listener,
                                                          (void *)(intptr_t)who),
         "orderly listener");
    must(rocketmq_push_consumer_start(c), "start");
    return c;
}

static void test_orderly_with_rebalance(void **state)
{
    env_t *e = *state;
    const char *topic = "CT_ORDER", *group = "CG_ORDER";
    create_topic(e, topic, 8);
    pthread_mutex_lock(&g_ord.lock);
    for (int k = 0; k < ORD_KEYS; k++) {
        g_ord.max_seen[k] = -1;
        g_ord.qid[k] = -1;
    }
    g_ord.fresh = g_ord.repeats = g_ord.violations = g_ord.wrong_queue = g_ord.concurrent = 0;
    memset(g_ord.per_consumer, 0, sizeof(g_ord.per_consumer));
    memset(g_ord.busy, 0, sizeof(g_ord.busy));
    g_ord.first_violation[0] = '\0';
    pthread_mutex_unlock(&g_ord.lock);

    rocketmq_push_consumer_t *cs[3];
    cs[0] = orderly_consumer(e, group, topic, 0);
    cs[1] = orderly_consumer(e, group, topic, 1);
    int64_t t0 = it_now_ms();
    rocketmq_producer_t *p = new_producer(e, "PG_ORDER");
    static pump_t pump;
    pump_start(&pump, p, topic, NULL, 0, ORD_MSGS, 4, true, 60000);

    /* the third joins once a third of the messages are out */
    for (int i = 0; i < 400 && atomic_load(&pump.sent) < ORD_MSGS / 3 && it_now_ms() - t0 < 20000;
         i++)
        it_sleep_ms(50);
    int sent_at_join = atomic_load(&pump.sent);
    cs[2] = orderly_consumer(e, group, topic, 2);
    int64_t tj = it_now_ms();
    unsigned masks[3];
    bool parted = wait_partition(cs, 3, topic, 8, masks, 15000);
    int64_t took = it_now_ms() - tj;
    pump_join(&pump);
    for (int i = 0; i < 600 && ord_fresh() < ORD_MSGS; i++)
        it_sleep_ms(50);
    it_sleep_ms(300);

    pthread_mutex_lock(&g_ord.lock);
    fprintf(stderr,
            "  orderly: third consumer joined after %d sends, queues split %d/%d/%d after %lld "
            "ms; %d first deliveries, %d repeats, per consumer %d/%d/%d, %lld ms in all\n",
            sent_at_join, popcount(masks[0]), popcount(masks[1]), popcount(masks[2]),
            (long long)took, g_ord.fresh, g_ord.repeats, g_ord.per_consumer[0],
            g_ord.per_consumer[1], g_ord.per_consumer[2], (long long)(it_now_ms() - t0));
    int violations = g_ord.violations, fresh = g_ord.fresh, wrong = g_ord.wrong_queue;
    int concurrent = g_ord.concurrent;
    char first[160];
    snprintf(first, sizeof(first), "%s", g_ord.first_violation);
    pthread_mutex_unlock(&g_ord.lock);
    if (violations)
        fail_msg("%d out-of-order deliveries, the first: %s", violations, first);
    assert_true(parted);
    assert_int_equal(fresh, ORD_MSGS);
    assert_int_equal(wrong, 0);
    assert_int_equal(concurrent, 0);
    pthread_mutex_lock(&g_ord.lock);
    int third = g_ord.per_consumer[2];
    pthread_mutex_unlock(&g_ord.lock);
    assert_true(third > 0); /* the newcomer consumed its share */
    for (int k = 0; k < ORD_KEYS; k++)
        assert_int_equal(g_ord.max_seen[k], ORD_SEQS - 1);
    for (int k = 0; k < 3; k++)
        push_end(cs[k]);
    rocketmq_producer_destroy(p);
}

/* ---- d. broadcasting ---- */

#define BC_MSGS 200
static tracker_t g_bc[2];

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

/* The sum of the offsets of topic's queues in a local offsets file, -1 if
 * it cannot be read. */
static long long local_offsets_sum(const char *path, const char *topic)
{
    /* fastjson's shape: the keys are MessageQueue objects, {{...}:offset} */
    rmq_buf_t text = RMQ_BUF_INIT;
    char why[128];
    json_t *j = rmq_file_read(path, &text) == 0
                    ? rmq_json_loads(text.data, text.len, why, sizeof(why))
                    : NULL;
    rmq_buf_free(&text);
    json_t *table = j ? json_object_get(j, "offsetTable") : NULL;
    if (!table) {
        json_decref(j);
        return -1;
    }
    long long sum = 0;
    const char *k;
    json_t *v;
    json_object_foreach(table, k, v)
    {
        json_t *mq = json_loads(k, 0, NULL);
        const char *t = mq ? json_string_value(json_object_get(mq, "topic")) : NULL;
        if (t && strcmp(t, topic) == 0)
            sum += json_integer_value(v);
        json_decref(mq);
    }
    json_decref(j);
    return sum;
}

static void test_broadcasting(void **state)
{
    env_t *e = *state;
    const char *topic = "CT_BCAST", *group = "CG_BCAST";
    create_topic(e, topic, 4);
    char dir[] = "/tmp/rmq-it-offsets-XXXXXX";
    assert_non_null(mkdtemp(dir));
    setenv("ROCKETMQ_CLIENT_LOCAL_OFFSET_STORE_DIR", dir, 1);

    rocketmq_producer_t *p = new_producer(e, "PG_BCAST");
    send_range(p, topic, "bc", 0, BC_MSGS / 2); /* before the consumers start */
    rocketmq_push_consumer_t *cs[2];
    tracker_t *ts[2] = {&g_bc[0], &g_bc[1]};
    char cids[2][256];
    int64_t t0 = it_now_ms();
    for (int k = 0; k < 2; k++) {
        char inst[16];
        snprintf(inst, sizeof(inst), "bc-%d", k + 1);
        tracker_reset(&g_bc[k], topic, "bc", BC_MSGS);
        rocketmq_push_consumer_t *c = push_new(e, group, inst);
        must(rocketmq_push_consumer_set_message_model(c, ROCKETMQ_BROADCASTING), "model");
        must(rocketmq_push_consumer_subscribe(c, topic, "*"), "subscribe");
        must(rocketmq_push_consumer_register_listener(c, track_listener, &g_bc[k]), "listener");
        must(rocketmq_push_consumer_start(c), "start");
        snprintf(cids[k], sizeof(cids[k]), "%s", rocketmq_push_consumer_client_id(c));
        cs[k] = c;
    }
    send_range(p, topic, "bc", BC_MSGS / 2, BC_MSGS); /* and while they run */
    int got0 = wait_distinct(&ts[0], 1, 0, BC_MSGS, BC_MSGS, 20000);
    int got1 = wait_distinct(&ts[1], 1, 0, BC_MSGS, BC_MSGS, 20000);
    int64_t took = it_now_ms() - t0;
    it_sleep_ms(500);
    /* both hold all 4 queues */
    assert_int_equal(owned_mask(cs[0], topic), 0xfu);
    assert_int_equal(owned_mask(cs[1], topic), 0xfu);
    push_end(cs[0]);
    push_end(cs[1]);
    fprintf(stderr, "  broadcasting: %d and %d of %d received in %lld ms\n", got0, got1, BC_MSGS,
            (long long)took);
    assert_int_equal(got0, BC_MSGS);
    assert_int_equal(got1, BC_MSGS);
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < BC_MSGS; i++)
            assert_int_equal(atomic_load(&g_bc[k].count[i]), 1);
        assert_clean(&g_bc[k]);
        /* <dir>/<clientId>/<group>/offsets.json, every message counted */
        char path[768];
        snprintf(path, sizeof(path), "%s/%s/%s/offsets.json", dir, cids[k], group);
        long long sum = local_offsets_sum(path, topic);
        if (sum != BC_MSGS)
            fail_msg("%s: offsets of %s add up to %lld, want %d", path, topic, sum, BC_MSGS);
    }
    unsetenv("ROCKETMQ_CLIENT_LOCAL_OFFSET_STORE_DIR");
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    rocketmq_producer_destroy(p);
}

/* ---- e. a group restarts where it stopped ---- */

#define RS_MSGS 100
static tracker_t g_rs[2];

static void test_restart_resumes_from_committed(void **state)
{
    env_t *e = *state;
    const char *topic = "CT_RESTART", *group = "CG_RESTART";
    create_topic(e, topic, 4);
    rocketmq_producer_t *p = new_producer(e, "PG_RESTART");
    send_range(p, topic, "rs", 0, RS_MSGS);
    tracker_t *ts[2] = {&g_rs[0], &g_rs[1]};
    tracker_reset(&g_rs[0], topic, "rs", 2 * RS_MSGS);
    tracker_reset(&g_rs[1], topic, "rs", 2 * RS_MSGS);

    int64_t t0 = it_now_ms();
    rocketmq_push_consumer_t *c1 = push_tracking(e, group, "rs-1", topic, &g_rs[0]);
    int got1 = wait_distinct(&ts[0], 1, 0, RS_MSGS, RS_MSGS, 20000);
    int64_t first = it_now_ms() - t0;
    push_end(c1); /* commits the offsets to the broker */
    assert_int_equal(got1, RS_MSGS);

    send_range(p, topic, "rs", RS_MSGS, 2 * RS_MSGS);
    int64_t t1 = it_now_ms();
    rocketmq_push_consumer_t *c2 = push_tracking(e, group, "rs-2", topic, &g_rs[1]);
    int got2 = wait_distinct(&ts[1], 1, RS_MSGS, 2 * RS_MSGS, RS_MSGS, 20000);
    int64_t second = it_now_ms() - t1;
    it_sleep_ms(1500); /* room for old messages to show up, which must not */
    push_end(c2);
    int old_again = 0, dup = 0;
    for (int i = 0; i < RS_MSGS; i++)
        old_again += atomic_load(&g_rs[1].count[i]);
    for (int i = 0; i < 2 * RS_MSGS; i++)
        dup += atomic_load(&g_rs[i < RS_MSGS ? 0 : 1].count[i]) > 1;
    fprintf(stderr,
            "  restart: %d consumed in %lld ms; after the restart %d new in %lld ms, %d old "
            "again, %d duplicates\n",
            got1, (long long)first, got2, (long long)second, old_again, dup);
    assert_int_equal(got2, RS_MSGS);
    assert_int_equal(old_again, 0);
    for (int i = 0; i < RS_MSGS; i++) {
        assert_int_equal(atomic_load(&g_rs[0].count[i]), 1);
        assert_int_equal(atomic_load(&g_rs[1].count[RS_MSGS + i]), 1);
    }
    assert_clean(&g_rs[0]);
    assert_clean(&g_rs[1]);
    rocketmq_producer_destroy(p);
}

/* ---- f. the lite pull consumer and the low-level pull ---- */

#define LITE_MSGS 40

static rocketmq_lite_pull_consumer_t *lite_new(env_t *e, const char *group)
{
    rocketmq_lite_pull_consumer_t *c = rocketmq_lite_pull_consumer_new(group);
    assert_non_null(c);
    must(rocketmq_lite_pull_consumer_set_namesrv_addr(c, e->ns.addr), "lite namesrv");
    must(rocketmq_lite_pull_consumer_set_consume_from_where(c, ROCKETMQ_CONSUME_FROM_FIRST_OFFSET),
         "lite from where");
    return c;
}

/* Polls until want messages came or timeout_ms passed; appends their
 * queue offsets to offs (cap entries) and counts keys in t. */
static int poll_n(rocketmq_lite_pull_consumer_t *c, tracker_t *t, int want, int64_t *offs,
                  int cap, int timeout_ms)
{
    int got = 0;
    int64_t deadline = it_now_ms() + timeout_ms;
    for (int i = 0; i < timeout_ms / 100 + 2 && got < want && it_now_ms() < deadline; i++) {
        rocketmq_message_t **msgs = NULL;
        size_t n = 0;
        must(rocketmq_lite_pull_consumer_poll(c, 200, &msgs, &n), "poll");
        for (size_t k = 0; k < n; k++) {
            if (offs && got < cap)
                offs[got] = rocketmq_message_get_queue_offset(msgs[k]);
            track(t, msgs[k]);
            got++;
        }
        rocketmq_messages_free(msgs, n);
    }
    return got;
}

static tracker_t g_lite_sub, g_lite_assign;

static void test_lite_pull(void **state)
{
    env_t *e = *state;
    const char *topic = "CT_LITE";
    create_topic(e, topic, 2);
    rocketmq_producer_t *p = new_producer(e, "PG_LITE");
    int per_queue[2] = {0, 0};
    for (int i = 0; i < LITE_MSGS; i++) {
        rocketmq_send_result_t r;
        must(send_keyed(p, topic, "lt", i, &r), "send");
        assert_true(r.queue.queue_id >= 0 && r.queue.queue_id < 2);
        assert_int_equal(r.queue_offset, per_queue[r.queue.queue_id]);
        per_queue[r.queue.queue_id]++;
    }
    int n0 = per_queue[0];
    assert_true(n0 > 10);

    /* subscribe + poll: everything, once */
    int64_t t0 = it_now_ms();
    tracker_reset(&g_lite_sub, topic, "lt", LITE_MSGS);
    rocketmq_lite_pull_consumer_t *sub = lite_new(e, "CG_LITE_SUB");
    must(rocketmq_lite_pull_consumer_subscribe(sub, topic, "*"), "lite subscribe");
    must(rocketmq_lite_pull_consumer_start(sub), "lite start");
    int got = poll_n(sub, &g_lite_sub, LITE_MSGS, NULL, 0, 20000);
    int64_t sub_ms = it_now_ms() - t0;
    assert_int_equal(got, LITE_MSGS);
    for (int i = 0; i < LITE_MSGS; i++)
        assert_int_equal(atomic_load(&g_lite_sub.count[i]), 1);
    assert_clean(&g_lite_sub);
    must(rocketmq_lite_pull_consumer_shutdown(sub), "lite shutdown");
    rocketmq_lite_pull_consumer_destroy(sub);

    /* its shutdown committed what it polled (auto commit): the group's
     * offsets at the broker are the ends of both queues */
    rocketmq_lite_pull_consumer_t *chk = lite_new(e, "CG_LITE_SUB");
    rocketmq_message_queue_t both[2] = {queue_of(topic, 0), queue_of(topic, 1)};
    must(rocketmq_lite_pull_consumer_assign(chk, both, 2), "assign");
    must(rocketmq_lite_pull_consumer_start(chk), "lite start");
    for (int q = 0; q < 2; q++) {
        int64_t at = -1;
        must(rocketmq_lite_pull_consumer_committed(chk, &both[q], &at), "committed");
        assert_int_equal(at, per_queue[q]);
    }
    must(rocketmq_lite_pull_consumer_shutdown(chk), "lite shutdown");
    rocketmq_lite_pull_consumer_destroy(chk);

    /* assign queue 0, read it, seek back to 5, read from there again */
    rocketmq_message_queue_t q0 = queue_of(topic, 0);
    tracker_reset(&g_lite_assign, topic, "lt", LITE_MSGS);
    rocketmq_lite_pull_consumer_t *c = lite_new(e, "CG_LITE_ASSIGN");
    must(rocketmq_lite_pull_consumer_set_auto_commit(c, false), "auto commit");
    must(rocketmq_lite_pull_consumer_assign(c, &q0, 1), "assign");
    must(rocketmq_lite_pull_consumer_start(c), "lite start");
    int64_t offs[LITE_MSGS];
    int64_t t1 = it_now_ms();
    got = poll_n(c, &g_lite_assign, n0, offs, LITE_MSGS, 10000);
    assert_int_equal(got, n0);
    for (int i = 0; i < n0; i++)
        assert_int_equal(offs[i], i);
    int64_t committed = 0;
    must(rocketmq_lite_pull_consumer_committed(c, &q0, &committed), "committed");
    /* nothing committed yet (no auto commit): the broker has no offset (-1)
     * or, as 4.9.8 does for a queue whose first message is still in memory,
     * answers 0 */
    assert_true(committed == -1 || committed == 0);

    must(rocketmq_lite_pull_consumer_seek(c, &q0, 5), "seek");
    got = poll_n(c, &g_lite_assign, n0 - 5, offs, LITE_MSGS, 10000);
    assert_int_equal(got, n0 - 5);
    for (int i = 0; i < n0 - 5; i++)
        assert_int_equal(offs[i], 5 + i);
    for (int i = 0; i < LITE_MSGS; i++) {
        int c_i = atomic_load(&g_lite_assign.count[i]);
        /* the queue-0 messages at offsets >= 5 were read twice */
        assert_true(c_i <= 2);
    }
    assert_int_equal(atomic_load(&g_lite_assign.total), n0 + n0 - 5);
    assert_clean(&g_lite_assign);
    must(rocketmq_lite_pull_consumer_commit(c), "commit");
    must(rocketmq_lite_pull_consumer_committed(c, &q0, &committed), "committed");
    assert_int_equal(committed, n0);
    int64_t assign_ms = it_now_ms() - t1;

    /* seeks outside [min, max] and of queues not assigned are refused */
    assert_int_equal(rocketmq_lite_pull_consumer_seek(c, &q0, n0 + 1), ROCKETMQ_ERR__INVALID_ARG);
    rocketmq_message_queue_t q1 = queue_of(topic, 1);
    assert_int_equal(rocketmq_lite_pull_consumer_seek(c, &q1, 0), ROCKETMQ_ERR__INVALID_ARG);

    /* fetch_queues, min and max offsets */
    rocketmq_message_queue_t mqs[4];
    size_t nq = 0;
    must(rocketmq_lite_pull_consumer_fetch_queues(c, topic, mqs, 4, &nq), "fetch queues");
    assert_int_equal(nq, 2);
    int64_t off = -1;
    must(rocketmq_min_offset(c, &q0, &off), "min offset");
    assert_int_equal(off, 0);
    must(rocketmq_max_offset(c, &q0, &off), "max offset");
    assert_int_equal(off, n0);

    /* the low-level pull: FOUND, NO_NEW_MSG, OFFSET_ILLEGAL, NO_MATCHED_MSG */
    rocketmq_pull_result_t res;
    must(rocketmq_pull(c, &q0, "*", 0, 8, &res), "pull 0");
    assert_int_equal(res.status, ROCKETMQ_PULL_FOUND);
    assert_int_equal(res.n, 8);
    assert_int_equal(res.next_begin_offset, 8);
    assert_int_equal(res.min_offset, 0);
    assert_int_equal(res.max_offset, n0);
    for (size_t i = 0; i < res.n; i++) {
        assert_int_equal(rocketmq_message_get_queue_offset(res.msgs[i]), (int64_t)i);
        assert_int_equal(rocketmq_message_get_queue_id(res.msgs[i]), 0);
    }
    /* the tag of the queue's first message (the producer's round robin puts
     * only even or only odd messages, so one tag, into each of 2 queues) */
    char tag[16];
    snprintf(tag, sizeof(tag), "%s", rocketmq_message_get_tags(res.msgs[0]));
    rocketmq_messages_free(res.msgs, res.n);

    char expr[40];
    snprintf(expr, sizeof(expr), "%s || NoSuchTag", tag);
    must(rocketmq_pull(c, &q0, expr, 0, 32, &res), "pull by tag");
    assert_int_equal(res.status, ROCKETMQ_PULL_FOUND);
    assert_true(res.n > 0);
    for (size_t i = 0; i < res.n; i++)
        assert_string_equal(rocketmq_message_get_tags(res.msgs[i]), tag);
    rocketmq_messages_free(res.msgs, res.n);

    must(rocketmq_pull(c, &q0, "NoSuchTag", 0, 32, &res), "pull NoSuchTag");
    assert_int_equal(res.status, ROCKETMQ_PULL_NO_MATCHED_MSG);
    assert_int_equal(res.n, 0);
    assert_true(res.next_begin_offset > 0);
    rocketmq_messages_free(res.msgs, res.n);

    must(rocketmq_pull(c, &q0, "*", n0, 32, &res), "pull at max");
    assert_int_equal(res.status, ROCKETMQ_PULL_NO_NEW_MSG);
    assert_int_equal(res.n, 0);
    assert_int_equal(res.next_begin_offset, n0);
    rocketmq_messages_free(res.msgs, res.n);

    must(rocketmq_pull(c, &q0, "*", n0 + 100, 32, &res), "pull past max");
    assert_int_equal(res.status, ROCKETMQ_PULL_OFFSET_ILLEGAL);
    assert_int_equal(res.n, 0);
    assert_int_equal(res.max_offset, n0);
    rocketmq_messages_free(res.msgs, res.n);

    must(rocketmq_lite_pull_consumer_shutdown(c), "lite shutdown");
    /* stopped: no more polls or commits */
    rocketmq_message_t **none = NULL;
    size_t nnone = 0;
    assert_int_equal(rocketmq_lite_pull_consumer_poll(c, 10, &none, &nnone), ROCKETMQ_ERR__STATE);
    assert_int_equal(rocketmq_lite_pull_consumer_commit(c), ROCKETMQ_ERR__STATE);
    rocketmq_lite_pull_consumer_destroy(c);
    fprintf(stderr, "  lite pull: %d by subscribe in %lld ms; assign/seek/commit in %lld ms\n",
            LITE_MSGS, (long long)sub_ms, (long long)assign_ms);
    rocketmq_producer_destroy(p);
}

/* ---- g. a group twice in one client instance ---- */

static tracker_t g_dup[2];

static void test_duplicate_group_in_instance(void **state)
{
    env_t *e = *state;
    const char *topic = "CT_DUP", *group = "CG_DUP";
    create_topic(e, topic, 2);
    tracker_reset(&g_dup[0], topic, "dp", 10);
    tracker_reset(&g_dup[1], topic, "dp", 10);
    rocketmq_push_consumer_t *c1 = push_tracking(e, group, "dup", topic, &g_dup[0]);
    /* the same client id (ip@instance): the group is registered there */
    rocketmq_push_consumer_t *c2 = push_new(e, group, "dup");
    must(rocketmq_push_consumer_subscribe(c2, topic, "*"), "subscribe");
    must(rocketmq_push_consumer_register_listener(c2, track_listener, &g_dup[1]), "listener");
    assert_int_equal(rocketmq_push_consumer_start(c2), ROCKETMQ_ERR__INVALID_ARG);
    assert_non_null(strstr(rocketmq_last_error_detail(), "has been created before"));
    assert_int_equal(rocketmq_push_consumer_state(c2), ROCKETMQ_CREATE_JUST);
    /* another instance name: it starts, and both share the queues */
    must(rocketmq_push_consumer_set_instance_name(c2, "dup-2"), "instance name");
    must(rocketmq_push_consumer_start(c2), "start again");
    rocketmq_push_consumer_t *cs[2] = {c1, c2};
    unsigned masks[2];
    if (!wait_partition(cs, 2, topic, 2, masks, 10000))
        fail_msg("2 consumers did not share 2 queues: %#x %#x", masks[0], masks[1]);
    push_end(c2);
    push_end(c1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rebalance_three_consumers),
        cmocka_unit_test(test_reconsume_later_then_dlq),
        cmocka_unit_test(test_orderly_with_rebalance),
        cmocka_unit_test(test_broadcasting),
        cmocka_unit_test(test_restart_resumes_from_committed),
        cmocka_unit_test(test_lite_pull),
        cmocka_unit_test(test_duplicate_group_in_instance),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
