/* Remoting client: a pool of connections keyed by "host:port", one per
 * address, on one I/O loop.  Callable from any thread: calls made off the
 * loop thread are posted to it.  Requests that the peer sends us (broker to
 * client) go to opts.on_request. */
#ifndef RMQ_REMOTING_CLIENT_H
#define RMQ_REMOTING_CLIENT_H

#include <stddef.h>

#include "remoting/conn.h"
#include "remoting/loop.h"

typedef struct rmq_rclient rmq_rclient_t;

typedef struct rmq_rclient_opts {
    size_t max_frame;        /* 0: RMQ_FRAME_MAX_DEFAULT */
    int connect_timeout_ms;  /* 0: 3000 (com.rocketmq.remoting.client.connect.timeout) */
    rmq_conn_request_cb on_request; /* NULL: answer REQUEST_CODE_NOT_SUPPORTED */
    void *ud;
} rmq_rclient_opts_t;

/* With loop NULL the client starts and owns a loop thread; otherwise it runs
 * on the given loop and must be created and destroyed on that loop's thread. */
rmq_rclient_t *rmq_rclient_new(rmq_loop_t *loop, const rmq_rclient_opts_t *opts);
/* Closes every connection (waiters fail with ROCKETMQ_ERR__TRANSPORT) and, for
 * an owned loop, stops and joins it.  No callback runs after this returns. */
void rmq_rclient_destroy(rmq_rclient_t *rc);
rmq_loop_t *rmq_rclient_loop(rmq_rclient_t *rc);

/* Sends req (consumed) to addr and waits for the response.  Any thread but the
 * loop's.  Returns 0 and *resp (caller frees), or ROCKETMQ_ERR__TIMEOUT,
 * __TRANSPORT, __SHUTDOWN, __STATE (called on the loop thread). */
int rmq_rclient_invoke_sync(rmq_rclient_t *rc, const char *addr, rmq_cmd_t *req, int timeout_ms,
                            rmq_cmd_t **resp);
/* Sends req (consumed); cb runs once on the loop thread (or, if the client is
 * shutting down, on the calling thread before this returns). */
void rmq_rclient_invoke_async(rmq_rclient_t *rc, const char *addr, rmq_cmd_t *req, int timeout_ms,
                              rmq_response_cb cb, void *arg);
/* Sends req (consumed) with the one-way flag; no response is expected. */
int rmq_rclient_invoke_oneway(rmq_rclient_t *rc, const char *addr, rmq_cmd_t *req);
/* Closes the pooled connection to addr, if any (e.g. after a sync timeout). */
void rmq_rclient_close_addr(rmq_rclient_t *rc, const char *addr);

#endif
