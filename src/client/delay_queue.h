/* A thread running tasks at given times (the client's
 * ScheduledExecutorService): pull requests put off by flow control or
 * errors, consume retries, dropped queues cleaned up later.  Tasks should be
 * short; one that blocks delays the others. */
#ifndef RMQ_CLIENT_DELAY_QUEUE_H
#define RMQ_CLIENT_DELAY_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rmq_delayq rmq_delayq_t;
/* cancelled: the queue is being destroyed and the task will not run; fn
 * must only release what arg holds. */
typedef void (*rmq_delay_fn)(void *arg, bool cancelled);

rmq_delayq_t *rmq_delayq_new(const char *name);
/* Any thread: runs fn(arg, false) after delay_ms (0: as soon as possible),
 * tasks due at the same time in the order added.  Returns 0, or
 * ROCKETMQ_ERR__SHUTDOWN once the queue is stopping (fn is then called at
 * once with cancelled = true). */
int rmq_delayq_add(rmq_delayq_t *q, int64_t delay_ms, rmq_delay_fn fn, void *arg);
/* Stops the thread; tasks not run yet get fn(arg, true).  Not from a task. */
void rmq_delayq_destroy(rmq_delayq_t *q);

#endif
