#include "client/delay_queue.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/mem.h"
#include "base/time.h"
#include "rocketmq/error.h"

typedef struct dtask {
    int64_t due_ms;
    uint64_t seq; /* FIFO among equal due times */
    rmq_delay_fn fn;
    void *arg;
} dtask_t;

struct rmq_delayq {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    dtask_t *heap; /* min-heap on (due_ms, seq) */
    size_t n, cap;
    uint64_t seq;
    bool stopping;
    pthread_t thread;
};

static bool before(const dtask_t *a, const dtask_t *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void heap_push(rmq_delayq_t *q, dtask_t t)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 64;
        q->heap = rmq_realloc(q->heap, q->cap * sizeof(dtask_t));
    }
    size_t i = q->n++;
    while (i > 0 && before(&t, &q->heap[(i - 1) / 2])) {
        q->heap[i] = q->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->heap[i] = t;
}

static dtask_t heap_pop(rmq_delayq_t *q)
{
    dtask_t top = q->heap[0], last = q->heap[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && before(&q->heap[c + 1], &q->heap[c]))
            c++;
        if (!before(&q->heap[c], &last))
            break;
        q->heap[i] = q->heap[c];
        i = c;
    }
    if (q->n > 0)
        q->heap[i] = last;
    return top;
}

static void wait_until(rmq_delayq_t *q, int64_t due_ms)
{
    int64_t wait = due_ms - rmq_mono_ms();
    if (wait <= 0)
        return;
    struct timespec ts;
    rmq_timespec_in(&ts, CLOCK_MONOTONIC, wait);
    pthread_cond_timedwait(&q->cond, &q->lock, &ts);
}

static void *run(void *arg)
{
    rmq_delayq_t *q = arg;
    pthread_mutex_lock(&q->lock);
    while (!q->stopping) {
        if (q->n == 0) {
            pthread_cond_wait(&q->cond, &q->lock);
            continue;
        }
        if (q->heap[0].due_ms > rmq_mono_ms()) {
            wait_until(q, q->heap[0].due_ms);
            continue;
        }
        dtask_t t = heap_pop(q);
        pthread_mutex_unlock(&q->lock);
        t.fn(t.arg, false);
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

rmq_delayq_t *rmq_delayq_new(const char *name)
{
    rmq_delayq_t *q = rmq_calloc(1, sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&q->thread, NULL, run, q) != 0) {
        free(q);
        return NULL;
    }
    char tn[16];
    snprintf(tn, sizeof(tn), "%.15s", name ? name : "rmq-delay");
    pthread_setname_np(q->thread, tn);
    return q;
}

int rmq_delayq_add(rmq_delayq_t *q, int64_t delay_ms, rmq_delay_fn fn, void *arg)
{
    pthread_mutex_lock(&q->lock);
    if (q->stopping) {
        pthread_mutex_unlock(&q->lock);
        fn(arg, true);
        return ROCKETMQ_ERR__SHUTDOWN;
    }
    dtask_t t = {rmq_mono_ms() + (delay_ms > 0 ? delay_ms : 0), q->seq++, fn, arg};
    heap_push(q, t);
    if (q->heap[0].seq == t.seq)
        pthread_cond_signal(&q->cond); /* a new earliest task */
    pthread_mutex_unlock(&q->lock);
    return 0;
}

void rmq_delayq_destroy(rmq_delayq_t *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = true;
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
    while (q->n > 0) {
        dtask_t t = heap_pop(q);
        t.fn(t.arg, true);
    }
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->cond);
    free(q->heap);
    free(q);
}
