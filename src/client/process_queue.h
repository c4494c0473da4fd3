/* ProcessQueue (4.9.8 client/impl/consumer/ProcessQueue.java; protocol.md
 * 9.7): the messages of one assigned queue pulled and not yet consumed, in
 * queue-offset order, with the counters flow control reads and the lowest
 * unconsumed offset the offset store commits (so a crash never skips a
 * message).  For orderly consumption, the messages being consumed are kept
 * apart until committed or put back.
 *
 * Thread-safe (one mutex).  Reference counted: the pull service, the
 * rebalance table and every consume task in flight hold a reference, so a
 * dropped queue lives until its last task is done. */
#ifndef RMQ_CLIENT_PROCESS_QUEUE_H
#define RMQ_CLIENT_PROCESS_QUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rocketmq/consumer.h"

typedef struct rmq_process_queue rmq_process_queue_t;

rmq_process_queue_t *rmq_pq_new(void);
void rmq_pq_ref(rmq_process_queue_t *pq);
/* The last reference frees the queue and the messages it still holds. */
void rmq_pq_unref(rmq_process_queue_t *pq);

/* putMessage: takes the n messages over (queue offsets ascending; ones at
 * or below the highest offset ever held are freed, not added, and their
 * slots in msgs set to NULL: a caller passing msgs on must skip the NULLs).
 * Returns true when an orderly consumer should start a consume task:
 * messages are held and no task is consuming (the consuming flag is then
 * set), Java's test.  Out of memory, all are freed (msgs all NULL) and the
 * queue is marked dropped, so the rebalance recreates it from the committed
 * offset and they come again. */
bool rmq_pq_put(rmq_process_queue_t *pq, rocketmq_message_t **msgs, size_t n);
/* removeMessage (concurrent consumption): removes and frees the messages at
 * these queue offsets.  Returns the offset to commit: the smallest offset
 * still held, or the highest offset ever held + 1 when none is left; -1 when
 * the queue held nothing before the call. */
int64_t rmq_pq_remove(rmq_process_queue_t *pq, const int64_t *offsets, size_t n);
int64_t rmq_pq_count(rmq_process_queue_t *pq);      /* messages held */
int64_t rmq_pq_size(rmq_process_queue_t *pq);       /* body bytes held */
/* getMaxSpan: highest - lowest offset held, 0 when empty. */
int64_t rmq_pq_max_span(rmq_process_queue_t *pq);
/* The highest offset ever held, -1 before the first message. */
int64_t rmq_pq_max_offset(rmq_process_queue_t *pq);

/* ---- orderly ---- */

/* takeMessages: moves up to batch messages (lowest offsets) into the
 * consuming set and returns pointers to them (still owned by the queue);
 * 0 when none is left, which also clears the consuming flag. */
size_t rmq_pq_take(rmq_process_queue_t *pq, size_t batch, rocketmq_message_t **out);
/* commit: frees the consuming set; returns the offset to commit (highest
 * consumed + 1), or -1 if the set was empty. */
int64_t rmq_pq_commit(rmq_process_queue_t *pq);
/* makeMessageToConsumeAgain: puts the consuming set back (reconsume times
 * + 1 each, as Java counts). */
void rmq_pq_consume_again(rmq_process_queue_t *pq);
/* Messages currently taken (consumingMsgOrderlyTreeMap). */
size_t rmq_pq_consuming_count(rmq_process_queue_t *pq);

/* ---- state flags and timestamps (monotonic ms) ---- */

void rmq_pq_set_dropped(rmq_process_queue_t *pq, bool v);
bool rmq_pq_dropped(rmq_process_queue_t *pq);
void rmq_pq_set_locked(rmq_process_queue_t *pq, bool v, int64_t now_ms);
bool rmq_pq_locked(rmq_process_queue_t *pq);
/* locked and renewed within the last 30 s (REBALANCE_LOCK_MAX_LIVE_TIME). */
bool rmq_pq_lock_valid(rmq_process_queue_t *pq, int64_t now_ms);
void rmq_pq_touch_pull(rmq_process_queue_t *pq, int64_t now_ms);
/* isPullExpired: no pull for more than 120 s. */
bool rmq_pq_pull_expired(rmq_process_queue_t *pq, int64_t now_ms);
/* The per-queue mutex an orderly consume task holds while the listener
 * runs, so one queue is consumed by one thread at a time. */
pthread_mutex_t *rmq_pq_consume_lock(rmq_process_queue_t *pq);

/* ---- flow control (DefaultMQPushConsumerImpl.pullMessage) ---- */

typedef struct rmq_flow_limits {
    int64_t max_count;     /* pullThresholdForQueue, 1000 */
    int64_t max_size_mib;  /* pullThresholdSizeForQueue, 100 */
    int64_t max_span;      /* consumeConcurrentlyMaxSpan, 2000; < 0: not checked (orderly) */
} rmq_flow_limits_t;

/* 0 when a pull may go now, else the delay before trying again (50 ms, as
 * PULL_TIME_DELAY_MILLS_WHEN_FLOW_CONTROL), checking count, size, then span
 * in Java's order. */
int rmq_pq_flow_delay(rmq_process_queue_t *pq, const rmq_flow_limits_t *lim);

#endif
