/* An I/O loop: one libuv loop, one thread, and the two mechanisms every
 * component on it shares:
 *   - tasks posted from other threads (a locked queue drained whole by one
 *     uv_async wakeup, since uv_async_send coalesces);
 *   - write batching: connections that produced output during this loop turn
 *     are flushed once, after all reads of the turn (a uv_check handle), so
 *     many responses to one connection leave in one write.
 * Components register stop hooks; rmq_loop_stop() runs them on the loop
 * thread so each closes its own handles, and the loop ends when all are
 * closed. */
#ifndef RMQ_REMOTING_LOOP_H
#define RMQ_REMOTING_LOOP_H

#include <stdbool.h>
#include <uv.h>

typedef struct rmq_loop rmq_loop_t;
typedef struct rmq_conn rmq_conn_t;
typedef void (*rmq_task_fn)(void *arg);

rmq_loop_t *rmq_loop_new(void);
/* Frees a loop whose run has returned (or that never ran). */
void rmq_loop_free(rmq_loop_t *loop);
uv_loop_t *rmq_loop_uv(rmq_loop_t *loop);

/* Runs the loop in the calling thread until stopped. */
void rmq_loop_run(rmq_loop_t *loop);
/* Runs the loop in a new thread. */
int rmq_loop_start_thread(rmq_loop_t *loop);
/* Any thread: asks the loop to stop (stop hooks run on the loop thread). */
void rmq_loop_stop(rmq_loop_t *loop);
/* Waits for the thread started by rmq_loop_start_thread. */
void rmq_loop_join(rmq_loop_t *loop);
bool rmq_loop_in_thread(const rmq_loop_t *loop);

/* Any thread: runs fn(arg) on the loop thread.  Returns 0, or
 * ROCKETMQ_ERR__SHUTDOWN if the loop is stopping (fn will not run). */
int rmq_loop_post(rmq_loop_t *loop, rmq_task_fn fn, void *arg);

/* Loop thread: fn(arg) runs when the loop stops, latest registration first.
 * Returns a handle for rmq_loop_remove_stop_hook. */
void *rmq_loop_add_stop_hook(rmq_loop_t *loop, rmq_task_fn fn, void *arg);
void rmq_loop_remove_stop_hook(rmq_loop_t *loop, void *hook);
bool rmq_loop_stopping(const rmq_loop_t *loop);

/* Loop thread, for conn.c: queue c for a flush at the end of this turn. */
void rmq_loop_mark_dirty(rmq_loop_t *loop, rmq_conn_t *c);
/* Flushes one connection (conn.c). */
void rmq_conn_flush(rmq_conn_t *c);

#endif
