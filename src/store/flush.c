/* Flushing (reference broker.md 4): the commit log's flush thread runs either
 * as FlushRealTimeService (ASYNC_FLUSH: every flushIntervalCommitLog, at least
 * flushCommitLogLeastPages pages unless a thorough flush is due) or as
 * GroupCommitService (SYNC_FLUSH: each put waits until the flushed offset
 * passes its records; one msync serves every waiter queued meanwhile).  A
 * second thread flushes consume queues and writes the checkpoint. */
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/time.h"
#include "store/store_int.h"

bool rmq_store_sleep(rmq_store_t *s, pthread_mutex_t *m, pthread_cond_t *c, int ms)
{
    struct timespec ts;
    rmq_timespec_in(&ts, CLOCK_MONOTONIC, ms);
    pthread_mutex_lock(m);
    if (!atomic_load(&s->stopping))
        pthread_cond_timedwait(c, m, &ts);
    pthread_mutex_unlock(m);
    return !atomic_load(&s->stopping);
}

/* Flushes the commit log (SYNC_FLUSH: after writing out the staging ring);
 * on failure the store stops accepting writes (a failed write or sync is
 * never retried and then acknowledged). */
static int flush_commitlog(rmq_store_t *s, int least_pages)
{
    int rc = 0;
    if (s->sync_flush && s->stage)
        rc = rmq_stage_drain(s->stage);
    if (rc == 0)
        rc = least_pages == 0 ? rmq_mq_flush_all(s->cl) : rmq_mq_flush(s->cl, least_pages);
    if (rc != 0) {
        if (!(atomic_fetch_or(&s->running_flags, RMQ_RUN_NOT_WRITEABLE) & RMQ_RUN_NOT_WRITEABLE))
            RMQ_LOGE("store", "commit log flush failed: the store refuses writes from now on");
        return rc;
    }
    if (least_pages == 0) {
        /* physicMsgTimestamp: store time of the last record a full flush covered */
        rmq_mapped_file_t *mf = rmq_mq_last(s->cl);
        if (mf) {
            int64_t ts = atomic_load(&mf->last_store_ts);
            if (ts > 0)
                atomic_store(&s->cp->physic_ts, ts);
            rmq_mapped_file_release(mf);
        }
    }
    return 0;
}

void rmq_flush_wake(rmq_store_t *s)
{
    pthread_mutex_lock(&s->flush_lock);
    s->flush_wake = true;
    pthread_cond_signal(&s->flush_cond);
    pthread_mutex_unlock(&s->flush_lock);
}

uint64_t rmq_flush_submit(rmq_store_t *s, flush_req_t *req)
{
    req->next = NULL;
    pthread_mutex_lock(&s->flush_lock);
    if (s->flush_exited) {
        /* A put that raced with close: nobody will flush for it any more. */
        pthread_mutex_unlock(&s->flush_lock);
        bool ok = flush_commitlog(s, 0) == 0 && rmq_mq_flushed_where(s->cl) >= req->next_offset;
        req->res.status = ok ? RMQ_PUT_OK : RMQ_PUT_FLUSH_DISK_TIMEOUT;
        req->cb(&req->res, req->arg);
        free(req);
        return 0;
    }
    uint64_t batch = req->batch = s->flush_swaps + 1;
    *s->flush_tail = req;
    s->flush_tail = &req->next;
    s->flush_wake = true;
    /* A flush thread that is busy takes this request in its next swap:
     * signalling it would only cost a system call per put. */
    if (s->flush_waiting)
        pthread_cond_signal(&s->flush_cond);
    pthread_mutex_unlock(&s->flush_lock);
    return batch;
}

static void wake_sync_words(rmq_store_t *s, unsigned mask)
{
    for (int i = 0; i < RMQ_SYNC_WORDS; i++) {
        if (!(mask & (1u << i)))
            continue;
        atomic_fetch_add(&s->sync_words[i].word, 1);
        syscall(SYS_futex, &s->sync_words[i].word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    }
}

static void async_loop(rmq_store_t *s)
{
    int64_t last_thorough = rmq_mono_ms();
    while (rmq_store_sleep(s, &s->flush_lock, &s->flush_cond, s->cfg.flushIntervalCommitLog)) {
        int least = s->cfg.flushCommitLogLeastPages;
        if (rmq_mono_ms() >= last_thorough + s->cfg.flushCommitLogThoroughInterval) {
            last_thorough = rmq_mono_ms();
            least = 0;
        }
        flush_commitlog(s, least);
    }
}

/* Completes the waiters the flushed offset has passed, and those whose
 * deadline is over; keeps the rest, in order. */
static flush_req_t *complete(rmq_store_t *s, flush_req_t *list, int64_t flushed, bool flush_ok,
                             bool all)
{
    flush_req_t *keep = NULL, **tail = &keep;
    int64_t now = rmq_mono_ms();
    unsigned wake = 0; /* sync_words with a writer answered */
    while (list) {
        flush_req_t *r = list;
        list = r->next;
        if (flush_ok && r->next_offset <= flushed) {
            r->res.status = RMQ_PUT_OK;
        } else if (all || now >= r->deadline || !flush_ok) {
            r->res.status = RMQ_PUT_FLUSH_DISK_TIMEOUT;
        } else {
            r->next = NULL;
            *tail = r;
            tail = &r->next;
            continue;
        }
        rmq_store_note_put_latency(s, rmq_now_ms() - r->begin_ms);
        if (r->shared_wake)
            wake |= 1u << (r->batch % RMQ_SYNC_WORDS);
        r->cb(&r->res, r->arg);
        free(r);
    }
    wake_sync_words(s, wake);
    return keep;
}

static flush_req_t *append(flush_req_t *list, flush_req_t *more)
{
    flush_req_t **t = &list;
    while (*t)
        t = &(*t)->next;
    *t = more;
    return list;
}

/* The completer: answers the waiters of each flush while the flush thread
 * already runs the next one, so the disk never idles while wake-ups are
 * being sent (on 2 CPUs those took a sixth of every group-commit cycle). */
typedef struct completer {
    rmq_store_t *s;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    flush_req_t *list; /* lock: flushed batches not yet answered */
    flush_req_t **tail;
    int64_t flushed;   /* lock: the flushed offset after the last flush */
    bool failed;       /* lock: a flush failed since the last take */
    bool stop;         /* lock: the flush thread has exited its loop */
    bool waiting;      /* lock: the completer sleeps on cond */
} completer_t;

static void completer_post(completer_t *c, flush_req_t *batch, int64_t flushed, bool ok,
                           bool stop)
{
    pthread_mutex_lock(&c->lock);
    if (batch) {
        *c->tail = batch;
        while (batch->next)
            batch = batch->next;
        c->tail = &batch->next;
    }
    c->flushed = flushed;
    c->failed |= !ok;
    c->stop |= stop;
    if (c->waiting)
        pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

static void *completer_main(void *arg)
{
    completer_t *c = arg;
    flush_req_t *pending = NULL;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        if (!c->list && !c->stop) {
            /* wakes at least every 10 ms for the waiters' deadlines */
            struct timespec ts;
            rmq_timespec_in(&ts, CLOCK_MONOTONIC, 10);
            c->waiting = true;
            pthread_cond_timedwait(&c->cond, &c->lock, &ts);
            c->waiting = false;
        }
        flush_req_t *batch = c->list;
        c->list = NULL;
        c->tail = &c->list;
        int64_t flushed = c->flushed;
        bool ok = !c->failed, stop = c->stop;
        c->failed = false;
        pthread_mutex_unlock(&c->lock);
        pending = complete(c->s, append(pending, batch), flushed, ok, stop);
        if (stop)
            return NULL;
    }
}

/* A few waiters are answered here: handing them over would cost a thread
 * switch that a lone writer feels as latency, for no overlap to gain. */
static bool small_batch(const flush_req_t *b)
{
    for (int n = 0; b; b = b->next)
        if (++n > 4)
            return false;
    return true;
}

static bool completer_idle(completer_t *c)
{
    pthread_mutex_lock(&c->lock);
    bool idle = c->waiting && !c->list;
    pthread_mutex_unlock(&c->lock);
    return idle;
}

static void group_commit_loop(rmq_store_t *s)
{
    completer_t c = {.s = s};
    pthread_mutex_init(&c.lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c.cond, &ca);
    pthread_condattr_destroy(&ca);
    c.tail = &c.list;
    flush_req_t *pending = NULL; /* without a completer thread */
    pthread_t completer;
    bool threaded = pthread_create(&completer, NULL, completer_main, &c) == 0;
    if (!threaded)
        RMQ_LOGW("store", "no completer thread: the flush thread answers waiters itself");
    for (;;) {
        pthread_mutex_lock(&s->flush_lock);
        if (!s->flush_wake && !atomic_load(&s->stopping)) {
            struct timespec ts;
            rmq_timespec_in(&ts, CLOCK_MONOTONIC, 10); /* GroupCommitService waits 10 ms */
            s->flush_waiting = true;
            pthread_cond_timedwait(&s->flush_cond, &s->flush_lock, &ts);
            s->flush_waiting = false;
        }
        s->flush_wake = false;
        /* Swap: everything queued so far is served by the flush below. */
        flush_req_t *batch = s->flush_reqs;
        s->flush_swaps++;
        s->flush_reqs = NULL;
        s->flush_tail = &s->flush_reqs;
        bool stop = atomic_load(&s->stopping);
        if (stop && !batch)
            s->flush_exited = true; /* later submits flush for themselves */
        pthread_mutex_unlock(&s->flush_lock);
        bool ok = flush_commitlog(s, 0) == 0;
        int64_t flushed = rmq_mq_flushed_where(s->cl);
        bool last = stop && !batch;
        if (!threaded) {
            pending = complete(s, append(pending, batch), flushed, ok, last);
        } else {
            if (ok && small_batch(batch) && completer_idle(&c))
                batch = complete(s, batch, flushed, ok, false); /* the rest wait for later */
            completer_post(&c, batch, flushed, ok, last);
        }
        if (last)
            break;
    }
    if (threaded)
        pthread_join(completer, NULL);
    pthread_mutex_destroy(&c.lock);
    pthread_cond_destroy(&c.cond);
}

void *rmq_flush_main(void *arg)
{
    rmq_store_t *s = arg;
    if (s->sync_flush)
        group_commit_loop(s);
    else
        async_loop(s);
    return NULL;
}

typedef struct cq_flush_ctx {
    int least;
    int failed;
} cq_flush_ctx_t;

static void flush_one_cq(rmq_consume_queue_t *cq, void *arg)
{
    cq_flush_ctx_t *c = arg;
    if (rmq_cq_flush(cq, c->least) != 0)
        c->failed++;
}

/* Flushes every consume queue; thorough passes also write the checkpoint with
 * the logics timestamp captured before the flush (what is surely covered). */
void rmq_store_flush_cqs(rmq_store_t *s, bool thorough)
{
    int64_t logics = atomic_load(&s->cp->logics_ts);
    cq_flush_ctx_t c = {thorough ? 0 : s->cfg.flushConsumeQueueLeastPages, 0};
    rmq_store_foreach_cq(s, flush_one_cq, &c);
    if (c.failed)
        RMQ_LOGE("store", "%d consume queue flushes failed", c.failed);
    if (!thorough)
        return;
    if (s->index) {
        int64_t its = rmq_index_full_flushed_ts(s->index);
        if (its > 0)
            atomic_store(&s->cp->index_ts, its);
    }
    int64_t now_logics = atomic_load(&s->cp->logics_ts);
    atomic_store(&s->cp->logics_ts, logics);
    rmq_checkpoint_flush(s->cp);
    atomic_store(&s->cp->logics_ts, now_logics);
}

void *rmq_cq_flush_main(void *arg)
{
    rmq_store_t *s = arg;
    int64_t last_thorough = rmq_mono_ms();
    /* the final thorough flush happens in rmq_store_close */
    while (rmq_store_sleep(s, &s->stop_lock, &s->stop_cond, s->cfg.flushIntervalConsumeQueue)) {
        bool thorough = rmq_mono_ms() >= last_thorough + s->cfg.flushConsumeQueueThoroughInterval;
        if (thorough)
            last_thorough = rmq_mono_ms();
        rmq_store_flush_cqs(s, thorough);
    }
    return NULL;
}
