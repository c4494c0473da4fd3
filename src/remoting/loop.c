#include "remoting/loop.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "base/log.h"
#include "base/mem.h"
#include "remoting/conn_int.h"
#include "rocketmq/error.h"

typedef struct task {
    rmq_task_fn fn;
    void *arg;
} task_t;

typedef struct stop_hook {
    struct stop_hook *next;
    rmq_task_fn fn;
    void *arg;
} stop_hook_t;

struct rmq_loop {
    uv_loop_t uv;
    uv_async_t wakeup;
    uv_check_t flush_check;
    uv_idle_t no_block; /* active while output is pending: the poll must not sleep */
    pthread_mutex_t lock;
    task_t *tasks; /* guarded by lock */
    size_t ntasks, cap;
    task_t *spare; /* lock: the array of the last batch run, reused */
    size_t spare_cap;
    bool stop_requested; /* guarded by lock */
    bool stopping;       /* loop thread */
    stop_hook_t *hooks;
    rmq_conn_t *dirty; /* singly linked through c->next_dirty */
    pthread_t thread;
    bool has_thread;
    uv_thread_t owner; /* thread running the loop */
    atomic_bool running;
};

static void run_stop(rmq_loop_t *loop);

static void on_wakeup(uv_async_t *h)
{
    rmq_loop_t *loop = h->data;
    pthread_mutex_lock(&loop->lock);
    /* Swap in the spare array: posting goes on while these run, and no
     * array is allocated per batch. */
    task_t *tasks = loop->tasks;
    size_t n = loop->ntasks, cap = loop->cap;
    bool stop = loop->stop_requested;
    loop->tasks = loop->spare;
    loop->cap = loop->spare_cap;
    loop->ntasks = 0;
    loop->spare = NULL;
    loop->spare_cap = 0;
    pthread_mutex_unlock(&loop->lock);
    for (size_t i = 0; i < n; i++)
        tasks[i].fn(tasks[i].arg);
    pthread_mutex_lock(&loop->lock);
    if (!loop->spare) {
        loop->spare = tasks;
        loop->spare_cap = cap;
        tasks = NULL;
    }
    pthread_mutex_unlock(&loop->lock);
    free(tasks);
    if (stop && !loop->stopping)
        run_stop(loop);
}

static void on_flush(uv_check_t *h)
{
    rmq_loop_t *loop = h->data;
    /* Flushing may queue more output (a failed write closes a connection and
     * fails its waiters, whose callbacks may write elsewhere): drain fully. */
    while (loop->dirty) {
        rmq_conn_t *c = loop->dirty;
        loop->dirty = c->next_dirty;
        c->next_dirty = NULL;
        c->dirty = false;
        rmq_conn_flush(c);
        rmq_conn_release(c);
    }
    uv_idle_stop(&loop->no_block);
}

static void on_idle(uv_idle_t *h)
{
    (void)h;
}

rmq_loop_t *rmq_loop_new(void)
{
    rmq_loop_t *loop = rmq_calloc(1, sizeof(*loop));
    if (uv_loop_init(&loop->uv) != 0) {
        free(loop);
        return NULL;
    }
    pthread_mutex_init(&loop->lock, NULL);
    uv_async_init(&loop->uv, &loop->wakeup, on_wakeup);
    loop->wakeup.data = loop;
    uv_check_init(&loop->uv, &loop->flush_check);
    loop->flush_check.data = loop;
    uv_check_start(&loop->flush_check, on_flush);
    uv_unref((uv_handle_t *)&loop->flush_check);
    uv_idle_init(&loop->uv, &loop->no_block);
    loop->no_block.data = loop;
    uv_unref((uv_handle_t *)&loop->no_block);
    return loop;
}

void rmq_loop_free(rmq_loop_t *loop)
{
    if (!loop)
        return;
    if (uv_loop_close(&loop->uv) != 0)
        RMQ_LOGW("loop", "libuv loop closed with handles still open");
    pthread_mutex_destroy(&loop->lock);
    free(loop->tasks);
    free(loop->spare);
    while (loop->hooks) {
        stop_hook_t *h = loop->hooks;
        loop->hooks = h->next;
        free(h);
    }
    free(loop);
}

uv_loop_t *rmq_loop_uv(rmq_loop_t *loop)
{
    return &loop->uv;
}

void rmq_loop_run(rmq_loop_t *loop)
{
    loop->owner = uv_thread_self();
    atomic_store(&loop->running, true);
    uv_run(&loop->uv, UV_RUN_DEFAULT);
    atomic_store(&loop->running, false);
}

static void *thread_main(void *arg)
{
    rmq_loop_run(arg);
    return NULL;
}

int rmq_loop_start_thread(rmq_loop_t *loop)
{
    if (pthread_create(&loop->thread, NULL, thread_main, loop) != 0)
        return ROCKETMQ_ERR__FAIL;
    loop->has_thread = true;
    return 0;
}

void rmq_loop_join(rmq_loop_t *loop)
{
    if (loop->has_thread) {
        pthread_join(loop->thread, NULL);
        loop->has_thread = false;
    }
}

bool rmq_loop_in_thread(const rmq_loop_t *loop)
{
    uv_thread_t self = uv_thread_self();
    return atomic_load(&loop->running) && uv_thread_equal(&self, &loop->owner);
}

bool rmq_loop_stopping(const rmq_loop_t *loop)
{
    return loop->stopping;
}

int rmq_loop_post(rmq_loop_t *loop, rmq_task_fn fn, void *arg)
{
    pthread_mutex_lock(&loop->lock);
    if (loop->stop_requested) {
        pthread_mutex_unlock(&loop->lock);
        return ROCKETMQ_ERR__SHUTDOWN;
    }
    if (loop->ntasks == loop->cap) {
        loop->cap = loop->cap ? loop->cap * 2 : 16;
        loop->tasks = rmq_realloc(loop->tasks, loop->cap * sizeof(*loop->tasks));
    }
    loop->tasks[loop->ntasks++] = (task_t){fn, arg};
    pthread_mutex_unlock(&loop->lock);
    uv_async_send(&loop->wakeup);
    return 0;
}

void rmq_loop_stop(rmq_loop_t *loop)
{
    pthread_mutex_lock(&loop->lock);
    bool again = loop->stop_requested;
    loop->stop_requested = true;
    pthread_mutex_unlock(&loop->lock);
    /* Once stopping, the wakeup handle may already be closed. */
    if (!again)
        uv_async_send(&loop->wakeup);
}

void *rmq_loop_add_stop_hook(rmq_loop_t *loop, rmq_task_fn fn, void *arg)
{
    stop_hook_t *h = rmq_malloc(sizeof(*h));
    h->fn = fn;
    h->arg = arg;
    h->next = loop->hooks;
    loop->hooks = h;
    return h;
}

void rmq_loop_remove_stop_hook(rmq_loop_t *loop, void *hook)
{
    for (stop_hook_t **pp = &loop->hooks; *pp; pp = &(*pp)->next) {
        if (*pp == hook) {
            *pp = ((stop_hook_t *)hook)->next;
            free(hook);
            return;
        }
    }
}

static void run_stop(rmq_loop_t *loop)
{
    loop->stopping = true;
    while (loop->hooks) {
        stop_hook_t *h = loop->hooks;
        loop->hooks = h->next;
        h->fn(h->arg);
        free(h);
        /* Output a hook queued (a last one-way request) leaves before a later
         * hook closes the connection it was queued on. */
        on_flush(&loop->flush_check);
    }
    uv_close((uv_handle_t *)&loop->wakeup, NULL);
    uv_close((uv_handle_t *)&loop->flush_check, NULL);
    uv_close((uv_handle_t *)&loop->no_block, NULL);
}

void rmq_loop_mark_dirty(rmq_loop_t *loop, rmq_conn_t *c)
{
    if (c->dirty)
        return;
    c->dirty = true;
    rmq_conn_keep(c);
    c->next_dirty = loop->dirty;
    loop->dirty = c;
    if (!uv_is_closing((uv_handle_t *)&loop->no_block))
        uv_idle_start(&loop->no_block, on_idle);
}
