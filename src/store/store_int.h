/* The store's internals, shared by store.c (open/close, reads), commitlog.c
 * (append, recovery), flush.c, dispatch.c and cleanup.c. */
#ifndef RMQ_STORE_STORE_INT_H
#define RMQ_STORE_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "base/map.h"
#include "store/checkpoint.h"
#include "store/consume_queue.h"
#include "store/index.h"
#include "store/mapped_queue.h"
#include "store/stage.h"
#include "store/store.h"

/* RunningFlags bits that make the store refuse writes. */
#define RMQ_RUN_NOT_WRITEABLE 0x2
#define RMQ_RUN_WRITE_LOGICS_ERROR 0x4
#define RMQ_RUN_WRITE_INDEX_ERROR 0x8
#define RMQ_RUN_DISK_FULL 0x10

/* osPageCacheBusyTimeOutMills */
#define RMQ_PAGECACHE_BUSY_MS 1000

/* A SYNC_FLUSH put waiting for the flushed offset to pass its records. */
typedef struct flush_req {
    struct flush_req *next;
    int64_t next_offset;
    int64_t deadline; /* monotonic ms */
    int64_t begin_ms; /* wall clock when the put began, for the statistics */
    rmq_put_result_t res;
    rmq_put_cb cb;
    void *arg;
    uint64_t batch; /* the flush that takes it: flush_swaps + 1 when queued */
    bool shared_wake; /* a blocked writer waits on sync_words[batch % 4] */
} flush_req_t;

/* Blocked writers (rmq_store_put_sync) sleep on one of these words, chosen
 * by the flush that will cover them: a finished flush then wakes its own
 * writers with one system call, and no writer of a later flush. Four, as
 * at most three flushes are in progress at once: queued, flushing, being
 * answered. */
#define RMQ_SYNC_WORDS 4

struct rmq_store {
    rmq_store_config_t cfg;
    bool sync_flush;
    bool last_exit_ok;
    char *abort_path;
    int lock_fd;
    atomic_int running_flags;
    atomic_bool closing;  /* puts are refused: set first when the store closes */
    atomic_bool stopping; /* the threads end */
    int64_t mem_total; /* bytes of RAM: decides "in memory" for read batch limits */
    /* statistics (rmq_store_get_stats) */
    _Atomic int64_t st_put_times, st_put_msgs, st_put_bytes, st_put_failed;
    _Atomic int64_t st_get_found, st_get_times, st_get_hits;
    _Atomic int64_t st_put_latency[RMQ_STORE_LATENCY_BUCKETS]; /* see store.h */
    _Atomic int64_t st_put_max_ms;

    /* commit log */
    rmq_mapped_queue_t *cl;
    rmq_stage_t *stage; /* transientStorePoolEnable with ASYNC_FLUSH, else NULL */
    pthread_mutex_t put_lock;
    rmq_map_t *queue_table; /* "topic-queueId" -> int64_t * next queue offset; put_lock */
    _Atomic int64_t begin_time_in_lock; /* wall ms while a put holds the lock, else 0 */

    /* consume queues: "topic\0" + queueId bytes -> rmq_consume_queue_t * */
    pthread_mutex_t cq_lock;
    rmq_map_t *cqs;
    char *cq_root;

    rmq_index_service_t *index;
    rmq_checkpoint_t *cp;

    /* flush thread (async flush, or group commit for SYNC_FLUSH) */
    pthread_t flush_thread;
    pthread_mutex_t flush_lock;
    pthread_cond_t flush_cond;
    flush_req_t *flush_reqs; /* flush_lock */
    flush_req_t **flush_tail;
    bool flush_wake;
    bool flush_waiting; /* flush_lock: the flush thread sleeps on flush_cond */
    bool flush_exited; /* flush_lock: the flush thread answers no more requests */
    uint64_t flush_swaps; /* flush_lock: batches taken by the flush thread */
    struct {
        _Alignas(64) _Atomic uint32_t word;
    } sync_words[RMQ_SYNC_WORDS];

    /* timer threads (consume-queue flush, cleanup) sleep on this; only stop signals it */
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;

    /* consume-queue flush, dispatch and cleanup threads */
    pthread_t cq_flush_thread, dispatch_thread, clean_thread;
    bool threads_started;
    _Atomic int64_t reput_from;
    /* Crash recovery could not dispatch the record here (-1: it dispatched
     * everything); the dispatcher starts no later than this. */
    int64_t redispatch_from;
    /* The dispatcher's last record failed (a consume queue had no disk
     * space); it retries with a pause, and waiters give up meanwhile. */
    atomic_bool dispatch_failing;
    atomic_bool dispatch_idle; /* the dispatcher sleeps: appends must wake it */
    char **topic_deletes; /* dispatch_lock: topics to forget (rmq_store_delete_topic) */
    size_t ntopic_deletes;
    pthread_mutex_t dispatch_lock;
    pthread_cond_t dispatch_cond; /* appends signal it; waiters for catch-up use it too */
    int64_t last_clean_min_offset;
    int64_t *delay_ms; /* per delay level, index level - 1 */
    int ndelay;
    rmq_arrival_cb arrival;
    void *arrival_arg;
};

/* commitlog.c */
/* *waited_since: when the put started waiting for the append lock (wall
 * clock ms), 0 if the lock was free: the only part of an ASYNC put that can
 * take a millisecond, so a free lock costs no clock read. */
void rmq_store_append(rmq_store_t *s, const rmq_msg_in_t *msgs, size_t n, rmq_put_result_t *res,
                      int64_t *waited_since);
/* Recovery after load; dispatches records itself after a crash. */
void rmq_commitlog_recover(rmq_store_t *s);
/* Rebuilds the topic-queue table from the consume queues. */
void rmq_store_rebuild_queue_table(rmq_store_t *s);

/* dispatch.c */
void *rmq_dispatch_main(void *arg);
/* Builds the consume-queue entry and index keys of one record. */
int rmq_dispatch_record(rmq_store_t *s, const rmq_record_t *rec, int64_t offset);
void rmq_dispatch_wake(rmq_store_t *s);
/* Dispatch thread: carries out pending rmq_store_delete_topic requests. */
void rmq_store_run_topic_deletes(rmq_store_t *s);

/* flush.c */
void *rmq_flush_main(void *arg);
void *rmq_cq_flush_main(void *arg);
/* Queues a SYNC_FLUSH waiter; returns the flush that will take it, or 0 when
 * it was answered before returning (the flush thread had exited). */
uint64_t rmq_flush_submit(rmq_store_t *s, flush_req_t *req);
void rmq_flush_wake(rmq_store_t *s);
/* Counts a put that took ms milliseconds. */
void rmq_store_note_put_latency(rmq_store_t *s, int64_t ms);
/* Flushes every consume queue; thorough also writes the checkpoint. */
void rmq_store_flush_cqs(rmq_store_t *s, bool thorough);

/* cleanup.c */
void *rmq_clean_main(void *arg);
int rmq_clean_run(rmq_store_t *s, bool force);

/* store.c */
rmq_consume_queue_t *rmq_store_find_cq(rmq_store_t *s, const char *topic, int32_t queue_id,
                                       bool create);
/* Calls fn for every consume queue (under cq_lock: fn must not call back in). */
void rmq_store_foreach_cq(rmq_store_t *s, void (*fn)(rmq_consume_queue_t *cq, void *arg),
                          void *arg);
/* Sleeps up to ms unless the store is stopping; false once stopping. */
bool rmq_store_sleep(rmq_store_t *s, pthread_mutex_t *m, pthread_cond_t *c, int ms);

#endif
