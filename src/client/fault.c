/* Latency fault tolerance (4.9.8 MQFaultStrategy + LatencyFaultToleranceImpl,
 * protocol.md 9.5) and the per-thread index (ThreadLocalIndex).
 *
 * A producer talks to a handful of brokers, so the table is a small array
 * searched linearly under one mutex; every operation is short and none
 * calls out while holding it. */
#include "client/fault.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/mem.h"
#include "base/time.h"
#include "rocketmq/error.h"

typedef struct fault_item {
    char *name;
    int64_t current_latency; /* as measured, also on isolation */
    int64_t start_timestamp; /* available from this time on (ms) */
} fault_item_t;

struct rmq_fault {
    pthread_mutex_t lock; /* guards everything below */
    fault_item_t *items;
    size_t nitems, cap;
    int64_t latency_max[RMQ_FAULT_MAX_LEVELS];
    int64_t not_available[RMQ_FAULT_MAX_LEVELS];
    size_t nlevels;
};

static const int64_t DEFAULT_LATENCY_MAX[] = {50, 100, 550, 1000, 2000, 3000, 15000};
static const int64_t DEFAULT_NOT_AVAILABLE[] = {0, 0, 30000, 60000, 120000, 180000, 600000};

/* MQFaultStrategy.updateFaultItem: a failed attempt is rated as this
 * latency when choosing the duration. */
#define ISOLATION_LATENCY_MS 30000

/* ---- ThreadLocalIndex ---- */

typedef struct thread_index {
    bool seeded;
    uint32_t value;
} thread_index_t;

/* Java has one ThreadLocalIndex for sending (TopicPublishInfo.sendWhichQueue)
 * and another for picks (LatencyFaultToleranceImpl.whichItemWorst).  Picks
 * keep their own counter here too: were it shared, a fallback selection
 * would draw it four times instead of three, and with two write queues (or
 * four) its queue id would never change. */
static _Thread_local thread_index_t t_send_index;
static _Thread_local thread_index_t t_pick_index;

static uint32_t index_seed(const void *salt)
{
    uint32_t r;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
        return r;
    /* No entropy yet (early boot): mix the clock and this thread's TLS
     * address (splitmix64's finalizer); spreading threads is all it takes. */
    uint64_t z = rmq_mono_ns() ^ (uint64_t)(uintptr_t)salt;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (uint32_t)(z ^ (z >> 31));
}

static int32_t index_next(thread_index_t *ti)
{
    if (!ti->seeded) {
        /* Java: Math.abs(random.nextInt()); any start is as good once
         * masked, so the sign is simply dropped. */
        ti->value = index_seed(ti) & 0x7FFFFFFFu;
        ti->seeded = true;
    }
    ti->value++; /* unsigned: wraps where Java's int overflows */
    return (int32_t)(ti->value & 0x7FFFFFFFu);
}

/* ---- the fault table ---- */

rmq_fault_t *rmq_fault_new(void)
{
    rmq_fault_t *f = rmq_calloc(1, sizeof(*f));
    pthread_mutex_init(&f->lock, NULL);
    f->nlevels = sizeof(DEFAULT_LATENCY_MAX) / sizeof(DEFAULT_LATENCY_MAX[0]);
    memcpy(f->latency_max, DEFAULT_LATENCY_MAX, sizeof(DEFAULT_LATENCY_MAX));
    memcpy(f->not_available, DEFAULT_NOT_AVAILABLE, sizeof(DEFAULT_NOT_AVAILABLE));
    return f;
}

void rmq_fault_free(rmq_fault_t *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nitems; i++)
        free(f->items[i].name);
    free(f->items);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

int rmq_fault_set_levels(rmq_fault_t *f, const int64_t *latency_max,
                         const int64_t *not_available_duration, size_t n)
{
    if (!f || !latency_max || !not_available_duration || n == 0 || n > RMQ_FAULT_MAX_LEVELS)
        return ROCKETMQ_ERR__INVALID_ARG;
    pthread_mutex_lock(&f->lock);
    memcpy(f->latency_max, latency_max, n * sizeof(*latency_max));
    memcpy(f->not_available, not_available_duration, n * sizeof(*not_available_duration));
    f->nlevels = n;
    pthread_mutex_unlock(&f->lock);
    return 0;
}

/* computeNotAvailableDuration, from the last level down as Java walks it
 * (so unsorted levels behave the same way too).  Lock held. */
static int64_t duration_locked(const rmq_fault_t *f, int64_t latency_ms)
{
    for (size_t i = f->nlevels; i-- > 0;) {
        if (latency_ms >= f->latency_max[i])
            return f->not_available[i];
    }
    return 0;
}

int64_t rmq_fault_duration(const rmq_fault_t *f, int64_t latency_ms)
{
    rmq_fault_t *mf = (rmq_fault_t *)f; /* the lock is not part of the value */
    pthread_mutex_lock(&mf->lock);
    int64_t d = duration_locked(f, latency_ms);
    pthread_mutex_unlock(&mf->lock);
    return d;
}

static fault_item_t *find_locked(const rmq_fault_t *f, const char *broker)
{
    for (size_t i = 0; i < f->nitems; i++) {
        if (strcmp(f->items[i].name, broker) == 0)
            return &f->items[i];
    }
    return NULL;
}

void rmq_fault_update(rmq_fault_t *f, const char *broker, int64_t latency_ms, bool isolation,
                      int64_t now_ms)
{
    if (!f || !broker)
        return;
    pthread_mutex_lock(&f->lock);
    int64_t duration = duration_locked(f, isolation ? ISOLATION_LATENCY_MS : latency_ms);
    fault_item_t *it = find_locked(f, broker);
    if (!it) {
        if (f->nitems == f->cap) {
            f->cap = f->cap ? f->cap * 2 : 8;
            f->items = rmq_realloc(f->items, f->cap * sizeof(*f->items));
        }
        it = &f->items[f->nitems++];
        it->name = rmq_strdup(broker);
    }
    /* Java keeps the measured latency even when it rates the attempt as
     * 30000 ms; only the duration sees the isolation latency. */
    it->current_latency = latency_ms;
    it->start_timestamp = now_ms + duration;
    pthread_mutex_unlock(&f->lock);
}

static bool item_available(const fault_item_t *it, int64_t now_ms)
{
    return now_ms - it->start_timestamp >= 0;
}

bool rmq_fault_available(const rmq_fault_t *f, const char *broker, int64_t now_ms)
{
    if (!f || !broker)
        return true;
    rmq_fault_t *mf = (rmq_fault_t *)f;
    pthread_mutex_lock(&mf->lock);
    const fault_item_t *it = find_locked(f, broker);
    bool ok = !it || item_available(it, now_ms);
    pthread_mutex_unlock(&mf->lock);
    return ok;
}

void rmq_fault_remove(rmq_fault_t *f, const char *broker)
{
    if (!f || !broker)
        return;
    pthread_mutex_lock(&f->lock);
    fault_item_t *it = find_locked(f, broker);
    if (it) {
        size_t i = (size_t)(it - f->items);
        free(it->name);
        /* Keep the table order: ties in pickOneAtLeast follow it. */
        memmove(&f->items[i], &f->items[i + 1], (f->nitems - i - 1) * sizeof(*f->items));
        f->nitems--;
    }
    pthread_mutex_unlock(&f->lock);
}

typedef struct pick_entry {
    const fault_item_t *item;
    bool available;
    size_t seq; /* table position: makes qsort stable, as Java's sort is */
} pick_entry_t;

/* FaultItem.compareTo: available first, then lower currentLatency, then
 * earlier startTimestamp. */
static int pick_cmp(const void *x, const void *y)
{
    const pick_entry_t *a = x, *b = y;
    if (a->available != b->available)
        return a->available ? -1 : 1;
    if (a->item->current_latency != b->item->current_latency)
        return a->item->current_latency < b->item->current_latency ? -1 : 1;
    if (a->item->start_timestamp != b->item->start_timestamp)
        return a->item->start_timestamp < b->item->start_timestamp ? -1 : 1;
    return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

bool rmq_fault_pick_one_at_least(rmq_fault_t *f, int64_t now_ms, char *out, size_t outlen)
{
    if (!f)
        return false;
    pthread_mutex_lock(&f->lock);
    size_t n = f->nitems;
    if (n == 0) {
        pthread_mutex_unlock(&f->lock);
        return false;
    }
    /* 4.9.8 sorts the entries as the table lists them (the shuffle before
     * the sort was dropped in 4.9.4, ISSUE #3985). */
    pick_entry_t *v = rmq_malloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        v[i].item = &f->items[i];
        v[i].available = item_available(&f->items[i], now_ms);
        v[i].seq = i;
    }
    qsort(v, n, sizeof(*v), pick_cmp);
    size_t half = n / 2;
    size_t k = half == 0 ? 0 : (size_t)index_next(&t_pick_index) % half;
    if (out && outlen) {
        const char *name = v[k].item->name;
        size_t len = strlen(name);
        if (len >= outlen)
            len = outlen - 1;
        memcpy(out, name, len);
        out[len] = '\0';
    }
    free(v);
    pthread_mutex_unlock(&f->lock);
    return true;
}

int32_t rmq_thread_index_next(void)
{
    return index_next(&t_send_index);
}
