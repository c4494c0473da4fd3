/* ProcessQueue (4.9.8 ProcessQueue.java).
 *
 * Java keeps a TreeMap offset -> message.  Here the messages of a queue
 * arrive in ascending offset order, so they sit in one array sorted by
 * offset, [head, tail): removal leaves a hole (msg NULL) that keeps its
 * offset, so a binary search still finds any offset, and the holes at both
 * ends are trimmed at once, so ents[head] and ents[tail - 1] are always
 * messages (the lowest and highest held).  An append that finds the array
 * full compacts it or doubles it, whichever leaves at least half free, so
 * puts and removes cost O(1) amortised and O(log n) each.
 *
 * The orderly consuming set (consumingMsgOrderlyTreeMap) is a second
 * array, filled from the front of the first in offset order.  The slots it
 * came from stay free in front of head (head >= ntaking always holds:
 * compaction starts the messages at index ntaking), so putting the set back
 * (makeMessageToConsumeAgain) never needs memory.
 *
 * msg_count and msg_size are Java's msgCount / msgSize: they count the
 * consuming set too (takeMessages leaves them, commit subtracts), and they
 * are what flow control reads. */
#include "client/process_queue.h"

#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "client/msg_decode.h"
#include "client/msg_int.h"

#define REBALANCE_LOCK_MAX_LIVE_TIME_MS 30000
#define PULL_MAX_IDLE_TIME_MS 120000
#define PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL 50
#define MIN_CAP 64

typedef struct pq_entry {
    int64_t offset;
    rocketmq_message_t *msg; /* NULL: removed or taken */
} pq_entry_t;

struct rmq_process_queue {
    atomic_int refs;
    pthread_mutex_t mu; /* guards everything below but the atomics */
    pthread_mutex_t consume_lock;

    pq_entry_t *ents; /* msgTreeMap, sorted by offset */
    size_t cap, head, tail, live;
    pq_entry_t *taking; /* consumingMsgOrderlyTreeMap, ascending */
    size_t ntaking, taking_cap;

    int64_t msg_count;  /* msgCount */
    int64_t msg_size;   /* msgSize: body bytes */
    int64_t max_offset; /* queueOffsetMax; -1 before the first message */
    bool consuming;

    atomic_bool dropped;
    atomic_bool locked;
    _Atomic int64_t last_lock_ms;
    _Atomic int64_t last_pull_ms;
};

static int64_t msg_offset(const rocketmq_message_t *m)
{
    const rmq_msg_ext_t *e = rmq_msg_ext(m);
    return e ? e->queue_offset : -1;
}

static int64_t body_len(const rocketmq_message_t *m)
{
    return (int64_t)m->body_len;
}

rmq_process_queue_t *rmq_pq_new(void)
{
    rmq_process_queue_t *pq = calloc(1, sizeof(*pq));
    if (!pq)
        return NULL;
    if (pthread_mutex_init(&pq->mu, NULL) != 0) {
        free(pq);
        return NULL;
    }
    if (pthread_mutex_init(&pq->consume_lock, NULL) != 0) {
        pthread_mutex_destroy(&pq->mu);
        free(pq);
        return NULL;
    }
    atomic_init(&pq->refs, 1);
    pq->max_offset = -1;
    /* Java stamps both at construction: a new queue is neither
     * pull-expired nor lock-expired. */
    int64_t now = rmq_mono_ms();
    atomic_init(&pq->dropped, false);
    atomic_init(&pq->locked, false);
    atomic_init(&pq->last_lock_ms, now);
    atomic_init(&pq->last_pull_ms, now);
    return pq;
}

void rmq_pq_ref(rmq_process_queue_t *pq)
{
    atomic_fetch_add(&pq->refs, 1);
}

void rmq_pq_unref(rmq_process_queue_t *pq)
{
    if (!pq || atomic_fetch_sub(&pq->refs, 1) != 1)
        return;
    for (size_t i = pq->head; i < pq->tail; i++)
        rocketmq_message_destroy(pq->ents[i].msg);
    for (size_t i = 0; i < pq->ntaking; i++)
        rocketmq_message_destroy(pq->taking[i].msg);
    free(pq->ents);
    free(pq->taking);
    pthread_mutex_destroy(&pq->consume_lock);
    pthread_mutex_destroy(&pq->mu);
    free(pq);
}

/* Drops the holes at both ends; an empty array restarts at ntaking. */
static void trim(rmq_process_queue_t *pq)
{
    if (pq->live == 0) {
        pq->head = pq->tail = pq->ntaking;
        return;
    }
    while (!pq->ents[pq->head].msg)
        pq->head++;
    while (!pq->ents[pq->tail - 1].msg)
        pq->tail--;
}

/* Room for n more at the tail.  Returns 0 or -1 (out of memory). */
static int reserve(rmq_process_queue_t *pq, size_t n)
{
    if (pq->cap - pq->tail >= n)
        return 0;
    size_t need = pq->ntaking + pq->live + n;
    pq_entry_t *dst = pq->ents;
    size_t ncap = pq->cap;
    if (need > pq->cap / 2) {
        ncap = pq->cap * 2 > need * 2 ? pq->cap * 2 : need * 2;
        if (ncap < MIN_CAP)
            ncap = MIN_CAP;
        if (ncap > SIZE_MAX / sizeof(*dst) || !(dst = malloc(ncap * sizeof(*dst))))
            return -1;
    }
    /* Copy the messages down (holes dropped) to start at ntaking; moving
     * forward within one array never overwrites what is still to be read,
     * since the destination index never passes the source index. */
    size_t w = pq->ntaking;
    for (size_t r = pq->head; r < pq->tail; r++)
        if (pq->ents[r].msg)
            dst[w++] = pq->ents[r];
    if (dst != pq->ents) {
        free(pq->ents);
        pq->ents = dst;
        pq->cap = ncap;
    }
    pq->head = pq->ntaking;
    pq->tail = w;
    return 0;
}

bool rmq_pq_put(rmq_process_queue_t *pq, rocketmq_message_t **msgs, size_t n)
{
    bool dispatch = false;
    pthread_mutex_lock(&pq->mu);
    if (reserve(pq, n) != 0) {
        /* Nothing is added and queueOffsetMax stays, so no commit can pass
         * these offsets; dropping the queue makes the rebalance recreate it
         * from the committed offset once the pull has expired, and the
         * messages are delivered again. */
        atomic_store(&pq->dropped, true);
        for (size_t i = 0; i < n; i++) {
            rocketmq_message_destroy(msgs[i]);
            msgs[i] = NULL;
        }
        pthread_mutex_unlock(&pq->mu);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t off = msg_offset(msgs[i]);
        if (off <= pq->max_offset) {
            /* Already held (Java's TreeMap.put would replace it without
             * counting) or older than what the queue has seen: a queue's
             * offsets only grow while this object lives. */
            rocketmq_message_destroy(msgs[i]);
            msgs[i] = NULL; /* so the caller cannot hand it on */
            continue;
        }
        pq->ents[pq->tail++] = (pq_entry_t){off, msgs[i]};
        pq->live++;
        pq->max_offset = off;
        pq->msg_count++;
        pq->msg_size += body_len(msgs[i]);
    }
    if (pq->live > 0 && !pq->consuming) {
        pq->consuming = true;
        dispatch = true;
    }
    pthread_mutex_unlock(&pq->mu);
    return dispatch;
}

/* The slot holding offset in [head, tail), or SIZE_MAX. */
static size_t find(const rmq_process_queue_t *pq, int64_t offset)
{
    size_t lo = pq->head, hi = pq->tail;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pq->ents[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < pq->tail && pq->ents[lo].offset == offset ? lo : SIZE_MAX;
}

int64_t rmq_pq_remove(rmq_process_queue_t *pq, const int64_t *offsets, size_t n)
{
    pthread_mutex_lock(&pq->mu);
    if (pq->live == 0) {
        pthread_mutex_unlock(&pq->mu);
        return -1;
    }
    int64_t result = pq->max_offset + 1;
    for (size_t i = 0; i < n; i++) {
        size_t at = find(pq, offsets[i]);
        if (at == SIZE_MAX || !pq->ents[at].msg)
            continue;
        pq->msg_size -= body_len(pq->ents[at].msg);
        rocketmq_message_destroy(pq->ents[at].msg);
        pq->ents[at].msg = NULL;
        pq->live--;
        pq->msg_count--;
    }
    if (pq->msg_count == 0)
        pq->msg_size = 0;
    trim(pq);
    if (pq->live > 0)
        result = pq->ents[pq->head].offset;
    pthread_mutex_unlock(&pq->mu);
    return result;
}

int64_t rmq_pq_count(rmq_process_queue_t *pq)
{
    pthread_mutex_lock(&pq->mu);
    int64_t v = pq->msg_count;
    pthread_mutex_unlock(&pq->mu);
    return v;
}

int64_t rmq_pq_size(rmq_process_queue_t *pq)
{
    pthread_mutex_lock(&pq->mu);
    int64_t v = pq->msg_size;
    pthread_mutex_unlock(&pq->mu);
    return v;
}

static int64_t span_locked(const rmq_process_queue_t *pq)
{
    return pq->live ? pq->ents[pq->tail - 1].offset - pq->ents[pq->head].offset : 0;
}

int64_t rmq_pq_max_span(rmq_process_queue_t *pq)
{
    pthread_mutex_lock(&pq->mu);
    int64_t v = span_locked(pq);
    pthread_mutex_unlock(&pq->mu);
    return v;
}

int64_t rmq_pq_max_offset(rmq_process_queue_t *pq)
{
    pthread_mutex_lock(&pq->mu);
    int64_t v = pq->max_offset;
    pthread_mutex_unlock(&pq->mu);
    return v;
}

/* ---- orderly ---- */

size_t rmq_pq_take(rmq_process_queue_t *pq, size_t batch, rocketmq_message_t **out)
{
    pthread_mutex_lock(&pq->mu);
    size_t want = batch < pq->live ? batch : pq->live;
    if (pq->taking_cap - pq->ntaking < want) {
        size_t ncap = pq->taking_cap * 2 > pq->ntaking + want ? pq->taking_cap * 2
                                                               : pq->ntaking + want;
        pq_entry_t *nt = realloc(pq->taking, ncap * sizeof(*nt));
        if (nt) {
            pq->taking = nt;
            pq->taking_cap = ncap;
        } else {
            want = pq->taking_cap - pq->ntaking; /* take what fits */
        }
    }
    size_t k = 0;
    while (k < want) {
        pq_entry_t *e = &pq->ents[pq->head];
        out[k++] = e->msg;
        pq->taking[pq->ntaking++] = *e;
        e->msg = NULL;
        pq->live--;
        pq->head++; /* head >= ntaking: one slot each */
        trim(pq);
    }
    if (k == 0)
        pq->consuming = false; /* the consume task stops; the next put restarts one */
    pthread_mutex_unlock(&pq->mu);
    return k;
}

int64_t rmq_pq_commit(rmq_process_queue_t *pq)
{
    pthread_mutex_lock(&pq->mu);
    if (pq->ntaking == 0) {
        pthread_mutex_unlock(&pq->mu);
        return -1;
    }
    int64_t last = pq->taking[pq->ntaking - 1].offset;
    pq->msg_count -= (int64_t)pq->ntaking;
    for (size_t i = 0; i < pq->ntaking; i++) {
        pq->msg_size -= body_len(pq->taking[i].msg);
        rocketmq_message_destroy(pq->taking[i].msg);
    }
    if (pq->msg_count == 0)
        pq->msg_size = 0;
    pq->ntaking = 0;
    pthread_mutex_unlock(&pq->mu);
    return last + 1;
}

void rmq_pq_consume_again(rmq_process_queue_t *pq)
{
    pthread_mutex_lock(&pq->mu);
    size_t k = pq->ntaking;
    if (k > 0) {
        /* The set was taken from the front and puts only add higher
         * offsets, so it goes back in front of head, in order, into the
         * slots kept free for it (head >= ntaking). */
        if (pq->live == 0)
            pq->head = pq->tail = k;
        for (size_t i = 0; i < k; i++) {
            rmq_msg_ext_t *e = rmq_msg_ext_mut(pq->taking[i].msg);
            if (e)
                e->reconsume_times++;
            pq->ents[pq->head - k + i] = pq->taking[i];
        }
        pq->head -= k;
        pq->live += k;
        pq->ntaking = 0;
    }
    pthread_mutex_unlock(&pq->mu);
}

size_t rmq_pq_consuming_count(rmq_process_queue_t *pq)
{
    pthread_mutex_lock(&pq->mu);
    size_t v = pq->ntaking;
    pthread_mutex_unlock(&pq->mu);
    return v;
}

/* ---- state flags and timestamps ---- */

void rmq_pq_set_dropped(rmq_process_queue_t *pq, bool v)
{
    atomic_store(&pq->dropped, v);
}

bool rmq_pq_dropped(rmq_process_queue_t *pq)
{
    return atomic_load(&pq->dropped);
}

void rmq_pq_set_locked(rmq_process_queue_t *pq, bool v, int64_t now_ms)
{
    /* As RebalanceImpl.lock/lockAll: locking stamps lastLockTimestamp (first,
     * so a reader seeing locked sees the new stamp); unlocking leaves it. */
    if (v)
        atomic_store(&pq->last_lock_ms, now_ms);
    atomic_store(&pq->locked, v);
}

bool rmq_pq_locked(rmq_process_queue_t *pq)
{
    return atomic_load(&pq->locked);
}

bool rmq_pq_lock_valid(rmq_process_queue_t *pq, int64_t now_ms)
{
    /* isLocked() && !isLockExpired(): expired is now - last > 30000. */
    return atomic_load(&pq->locked) &&
           now_ms - atomic_load(&pq->last_lock_ms) <= REBALANCE_LOCK_MAX_LIVE_TIME_MS;
}

void rmq_pq_touch_pull(rmq_process_queue_t *pq, int64_t now_ms)
{
    atomic_store(&pq->last_pull_ms, now_ms);
}

bool rmq_pq_pull_expired(rmq_process_queue_t *pq, int64_t now_ms)
{
    return now_ms - atomic_load(&pq->last_pull_ms) > PULL_MAX_IDLE_TIME_MS;
}

pthread_mutex_t *rmq_pq_consume_lock(rmq_process_queue_t *pq)
{
    return &pq->consume_lock;
}

/* ---- flow control ---- */

int rmq_pq_flow_delay(rmq_process_queue_t *pq, const rmq_flow_limits_t *lim)
{
    pthread_mutex_lock(&pq->mu);
    int64_t count = pq->msg_count;
    int64_t size_mib = pq->msg_size / (1024 * 1024);
    int64_t span = span_locked(pq);
    pthread_mutex_unlock(&pq->mu);
    /* DefaultMQPushConsumerImpl.pullMessage: count, then size in whole MiB
     * (rounded down), then span (concurrent consumers only); each "> limit". */
    if (count > lim->max_count)
        return PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL;
    if (size_mib > lim->max_size_mib)
        return PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL;
    if (lim->max_span >= 0 && span > lim->max_span)
        return PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL;
    return 0;
}
