#include "remoting/client.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/time.h"
#include "rocketmq/error.h"

#define CONNECT_TIMEOUT_DEFAULT 3000

struct rmq_rclient {
    rmq_loop_t *loop;
    bool own_loop;
    rmq_rclient_opts_t opts;
    rmq_map_t *pool; /* addr -> conn (holding a reference); loop thread only */
    void *stop_hook;
    bool closed;
};

typedef enum job_kind { JOB_REQUEST, JOB_ONEWAY, JOB_CLOSE } job_kind_t;

typedef struct job {
    rmq_rclient_t *rc;
    job_kind_t kind;
    rmq_cmd_t *req;
    int timeout_ms;
    rmq_response_cb cb;
    void *arg;
    char addr[]; /* one allocation per job */
} job_t;

static void pool_on_request(rmq_conn_t *c, rmq_cmd_t *req, void *ud)
{
    rmq_rclient_t *rc = ud;
    if (rc->opts.on_request) {
        rc->opts.on_request(c, req, rc->opts.ud);
        return;
    }
    rmq_conn_reply_not_supported(c, req);
    rmq_cmd_free(req);
}

static void pool_on_close(rmq_conn_t *c, void *ud)
{
    rmq_rclient_t *rc = ud;
    const char *addr = rmq_conn_target(c);
    if (rmq_smap_get(rc->pool, addr) == c) {
        rmq_smap_del(rc->pool, addr);
        rmq_conn_release(c);
    }
}

static rmq_conn_t *get_conn(rmq_rclient_t *rc, const char *addr)
{
    rmq_conn_t *c = rmq_smap_get(rc->pool, addr);
    if (c && rmq_conn_is_open(c))
        return c;
    rmq_conn_handlers_t h = {pool_on_request, pool_on_close, rc};
    c = rmq_conn_connect(rc->loop, addr, rc->opts.max_frame, rc->opts.connect_timeout_ms, &h);
    if (!rmq_conn_is_open(c)) /* failed at once (bad address): not pooled */
        return c;
    rmq_conn_keep(c);
    rmq_conn_t *old = rmq_smap_put(rc->pool, addr, c);
    if (old) /* a closing connection leaves the pool in its close callback; be safe */
        rmq_conn_release(old);
    return c;
}

static void run_job(void *arg)
{
    job_t *j = arg;
    rmq_rclient_t *rc = j->rc;
    if (j->kind == JOB_CLOSE) {
        rmq_conn_t *c = rmq_smap_get(rc->pool, j->addr);
        if (c)
            rmq_conn_close(c, "closed by client");
    } else if (rc->closed) {
        rmq_cmd_free(j->req);
        if (j->cb)
            j->cb(ROCKETMQ_ERR__SHUTDOWN, NULL, j->arg);
    } else {
        rmq_conn_t *c = get_conn(rc, j->addr);
        if (j->kind == JOB_ONEWAY) {
            j->req->flag |= RMQ_FLAG_ONEWAY;
            rmq_conn_send(c, j->req);
            rmq_cmd_free(j->req);
        } else {
            rmq_conn_request(c, j->req, j->timeout_ms, j->cb, j->arg);
        }
    }
    free(j);
}

/* Runs the job now on the loop thread, or posts it there. */
static void submit(rmq_rclient_t *rc, job_t *j)
{
    if (rmq_loop_in_thread(rc->loop)) {
        run_job(j);
        return;
    }
    if (rmq_loop_post(rc->loop, run_job, j) == 0)
        return;
    /* The loop is gone: fail here, on the caller's thread. */
    rmq_cmd_free(j->req);
    if (j->cb)
        j->cb(ROCKETMQ_ERR__SHUTDOWN, NULL, j->arg);
    free(j);
}

static job_t *job_new(rmq_rclient_t *rc, job_kind_t kind, const char *addr, rmq_cmd_t *req)
{
    size_t n = strlen(addr) + 1;
    job_t *j = rmq_malloc(sizeof(*j) + n);
    *j = (job_t){.rc = rc, .kind = kind, .req = req};
    memcpy(j->addr, addr, n);
    return j;
}

void rmq_rclient_invoke_async(rmq_rclient_t *rc, const char *addr, rmq_cmd_t *req, int timeout_ms,
                              rmq_response_cb cb, void *arg)
{
    job_t *j = job_new(rc, JOB_REQUEST, addr, req);
    j->timeout_ms = timeout_ms;
    j->cb = cb;
    j->arg = arg;
    submit(rc, j);
}

int rmq_rclient_invoke_oneway(rmq_rclient_t *rc, const char *addr, rmq_cmd_t *req)
{
    submit(rc, job_new(rc, JOB_ONEWAY, addr, req));
    return 0;
}

void rmq_rclient_close_addr(rmq_rclient_t *rc, const char *addr)
{
    submit(rc, job_new(rc, JOB_CLOSE, addr, NULL));
}

/* A synchronous call: the caller waits on a futex word that the loop thread
 * sets and wakes (no mutex for the woken caller to contend for).  Two
 * references (caller and callback), so whichever side finishes last frees
 * it, and the word is still there when the callback wakes it. */
typedef struct waiter {
    _Atomic uint32_t done;
    atomic_int refs;
    int err;
    rmq_cmd_t *resp;
} waiter_t;

static void waiter_release(waiter_t *w)
{
    if (atomic_fetch_sub(&w->refs, 1) != 1)
        return;
    rmq_cmd_free(w->resp);
    free(w);
}

static void on_sync_response(int err, rmq_cmd_t *resp, void *arg)
{
    waiter_t *w = arg;
    w->err = err;
    w->resp = resp;
    atomic_store_explicit(&w->done, 1, memory_order_release);
    syscall(SYS_futex, &w->done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    waiter_release(w);
}

/* Waits until done or the absolute monotonic deadline; true when done. */
static bool wait_done(waiter_t *w, const struct timespec *until)
{
    while (atomic_load_explicit(&w->done, memory_order_acquire) == 0) {
        long rc = syscall(SYS_futex, &w->done, FUTEX_WAIT_BITSET_PRIVATE, 0, until, NULL,
                          FUTEX_BITSET_MATCH_ANY);
        if (rc != 0 && errno == ETIMEDOUT)
            return atomic_load_explicit(&w->done, memory_order_acquire) != 0;
    }
    return true;
}

int rmq_rclient_invoke_sync(rmq_rclient_t *rc, const char *addr, rmq_cmd_t *req, int timeout_ms,
                            rmq_cmd_t **resp)
{
    *resp = NULL;
    if (rmq_loop_in_thread(rc->loop)) {
        rmq_cmd_free(req);
        return ROCKETMQ_ERR__STATE;
    }
    waiter_t *w = rmq_calloc(1, sizeof(*w));
    atomic_init(&w->refs, 2);
    rmq_rclient_invoke_async(rc, addr, req, timeout_ms, on_sync_response, w);

    /* The loop enforces the deadline; this wait only guards against a loop
     * that stopped answering altogether. */
    struct timespec until;
    rmq_timespec_in(&until, CLOCK_MONOTONIC, (int64_t)timeout_ms + 5000);
    int err = ROCKETMQ_ERR__TIMEOUT;
    if (wait_done(w, &until)) {
        err = w->err;
        *resp = w->resp;
        w->resp = NULL;
    }
    waiter_release(w);
    return err;
}

static void close_all(rmq_rclient_t *rc)
{
    rc->closed = true;
    rmq_map_iter_t it;
    void *v;
    rmq_map_iter_init(&it, rc->pool);
    while (rmq_map_iter_next(&it, NULL, NULL, &v))
        rmq_conn_close(v, "client shutting down");
}

static void close_from_hook(void *arg)
{
    rmq_rclient_t *rc = arg;
    rc->stop_hook = NULL;
    close_all(rc);
}

rmq_rclient_t *rmq_rclient_new(rmq_loop_t *loop, const rmq_rclient_opts_t *opts)
{
    rmq_rclient_t *rc = rmq_calloc(1, sizeof(*rc));
    if (opts)
        rc->opts = *opts;
    if (rc->opts.connect_timeout_ms <= 0)
        rc->opts.connect_timeout_ms = CONNECT_TIMEOUT_DEFAULT;
    rc->pool = rmq_map_new();
    rc->own_loop = loop == NULL;
    rc->loop = loop ? loop : rmq_loop_new();
    if (!rc->loop) {
        rmq_map_free(rc->pool, NULL);
        free(rc);
        return NULL;
    }
    /* The hook is registered before the thread starts, so no race with it. */
    rc->stop_hook = rmq_loop_add_stop_hook(rc->loop, close_from_hook, rc);
    if (rc->own_loop && rmq_loop_start_thread(rc->loop) != 0) {
        rmq_loop_free(rc->loop);
        rmq_map_free(rc->pool, NULL);
        free(rc);
        return NULL;
    }
    return rc;
}

rmq_loop_t *rmq_rclient_loop(rmq_rclient_t *rc)
{
    return rc->loop;
}

void rmq_rclient_destroy(rmq_rclient_t *rc)
{
    if (!rc)
        return;
    if (rc->own_loop) {
        rmq_loop_stop(rc->loop);
        rmq_loop_join(rc->loop);
        rmq_loop_free(rc->loop);
    } else {
        if (rc->stop_hook)
            rmq_loop_remove_stop_hook(rc->loop, rc->stop_hook);
        close_all(rc);
    }
    rmq_map_free(rc->pool, NULL);
    free(rc);
}
