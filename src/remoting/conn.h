/* A remoting connection: one TCP stream carrying frames both ways.
 *
 * Either side may send requests; responses are matched to their request by
 * opaque through the connection's pending table, each with its own deadline.
 * When the connection drops, every waiter is failed with ROCKETMQ_ERR__TRANSPORT.
 * Every function here runs on the connection's loop thread, except
 * rmq_conn_keep / rmq_conn_release, which any thread may call. */
#ifndef RMQ_REMOTING_CONN_H
#define RMQ_REMOTING_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remoting/command.h"
#include "remoting/loop.h"
#include "remoting/outq.h"

/* A request arrived; the callee owns req. */
typedef void (*rmq_conn_request_cb)(rmq_conn_t *conn, rmq_cmd_t *req, void *ud);
/* The connection is closing (called once, before its handles are freed). */
typedef void (*rmq_conn_close_cb)(rmq_conn_t *conn, void *ud);
/* A response (err == 0; the callee owns resp) or a failure (err < 0, resp NULL):
 * ROCKETMQ_ERR__TIMEOUT, __TRANSPORT, __SHUTDOWN.  Runs on the loop thread. */
typedef void (*rmq_response_cb)(int err, rmq_cmd_t *resp, void *arg);

typedef struct rmq_conn_handlers {
    rmq_conn_request_cb on_request; /* NULL: answer REQUEST_CODE_NOT_SUPPORTED */
    rmq_conn_close_cb on_close;
    void *ud;
} rmq_conn_handlers_t;

/* Sends cmd as is (its opaque, flag and serialize type).  Returns 0, or
 * ROCKETMQ_ERR__TRANSPORT if the connection is closing, or an encode error. */
int rmq_conn_send(rmq_conn_t *c, const rmq_cmd_t *cmd);
/* Sends req (consumed) and calls cb with the response or a failure; cb is
 * always called exactly once, possibly before this returns on failure. */
void rmq_conn_request(rmq_conn_t *c, rmq_cmd_t *req, int timeout_ms, rmq_response_cb cb,
                      void *arg);
/* Answers req with resp (consumed): sets the opaque, response flag and the
 * request's serialize type; nothing is sent for a one-way request. */
void rmq_conn_reply(rmq_conn_t *c, const rmq_cmd_t *req, rmq_cmd_t *resp);
/* A byte range sent as part of a body without being copied. */
typedef struct rmq_part {
    const void *p;
    size_t len;
} rmq_part_t;

/* Sends cmd (which must have no body) followed by parts[0..n) as its body,
 * without copying them: they must stay valid until release(arg) runs, which
 * happens once they are written or the connection drops (on the loop thread,
 * or on whichever thread drops the last connection reference).  release runs
 * at once if nothing is queued. */
int rmq_conn_send_parts(rmq_conn_t *c, const rmq_cmd_t *cmd, const rmq_part_t *parts, size_t n,
                        rmq_release_fn release, void *arg);
/* rmq_conn_reply with an uncopied body (see rmq_conn_send_parts). */
void rmq_conn_reply_parts(rmq_conn_t *c, const rmq_cmd_t *req, rmq_cmd_t *resp,
                          const rmq_part_t *parts, size_t n, rmq_release_fn release, void *arg);
/* Answers REQUEST_CODE_NOT_SUPPORTED with the remark Java servers use. */
void rmq_conn_reply_not_supported(rmq_conn_t *c, const rmq_cmd_t *req);
/* Starts closing (idempotent); why is logged. */
void rmq_conn_close(rmq_conn_t *c, const char *why);

void rmq_conn_keep(rmq_conn_t *c);
void rmq_conn_release(rmq_conn_t *c);

bool rmq_conn_is_open(const rmq_conn_t *c);
/* "ip:port" of the peer ("" before connected). */
const char *rmq_conn_peer(const rmq_conn_t *c);
/* Process-unique id, never reused: safe to keep after the connection is gone. */
uint64_t rmq_conn_id(const rmq_conn_t *c);
/* Client side: the address the connection was opened to (NULL on servers). */
const char *rmq_conn_target(const rmq_conn_t *c);
rmq_loop_t *rmq_conn_loop(const rmq_conn_t *c);
int64_t rmq_conn_last_active_ms(const rmq_conn_t *c);
size_t rmq_conn_pending_count(const rmq_conn_t *c);

/* Client side: starts resolving and connecting to "host:port"; requests may be
 * issued at once and are sent when connected.  Fails them all if connecting
 * takes longer than connect_timeout_ms. */
rmq_conn_t *rmq_conn_connect(rmq_loop_t *loop, const char *addr, size_t max_frame,
                             int connect_timeout_ms, const rmq_conn_handlers_t *h);

/* Server side (server.c): wraps an accepted stream. */
rmq_conn_t *rmq_conn_accept(rmq_loop_t *loop, uv_stream_t *listener, size_t max_frame,
                            const rmq_conn_handlers_t *h);

#endif
