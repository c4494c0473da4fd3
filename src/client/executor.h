/* The client instance's callback threads: a fixed pool running posted
 * tasks in order of submission.  ASYNC send completions and user callbacks
 * run here, never on the I/O loop, so a slow callback delays other
 * callbacks but never the network (DESIGN.md, Threads). */
#ifndef RMQ_CLIENT_EXECUTOR_H
#define RMQ_CLIENT_EXECUTOR_H

typedef struct rmq_executor rmq_executor_t;
typedef void (*rmq_exec_fn)(void *arg);

/* nthreads >= 1.  NULL if no thread could be started. */
rmq_executor_t *rmq_executor_new(int nthreads, const char *name);
/* Any thread: queues fn(arg).  Returns 0, or ROCKETMQ_ERR__SHUTDOWN once
 * the executor is stopping (fn will not run). */
int rmq_executor_submit(rmq_executor_t *ex, rmq_exec_fn fn, void *arg);
/* Runs every task already queued, then stops and joins the threads and
 * frees the executor.  Not from one of its own threads. */
void rmq_executor_destroy(rmq_executor_t *ex);
/* True on one of ex's threads. */
int rmq_executor_in_thread(const rmq_executor_t *ex);

#endif
