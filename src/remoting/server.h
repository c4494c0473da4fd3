/* Remoting server: listens on one TCP address and hands every decoded request
 * to the owner's handler, on the loop thread.  Connections idle longer than
 * idle_secs are closed (serverChannelMaxIdleTimeSeconds, 120 s). */
#ifndef RMQ_REMOTING_SERVER_H
#define RMQ_REMOTING_SERVER_H

#include <stddef.h>

#include "remoting/conn.h"
#include "remoting/loop.h"

typedef struct rmq_server rmq_server_t;

typedef struct rmq_server_opts {
    const char *host;   /* bind address, e.g. "0.0.0.0" or "127.0.0.1" */
    int port;           /* 0: an ephemeral port (see rmq_server_port) */
    size_t max_frame;   /* 0: RMQ_FRAME_MAX_DEFAULT */
    int idle_secs;      /* 0: never close idle connections */
    rmq_conn_request_cb on_request;
    rmq_conn_close_cb on_close; /* optional */
    void *ud;
} rmq_server_opts_t;

/* Loop thread.  Binds and listens; NULL with err filled on failure.  The
 * server closes itself when the loop stops. */
rmq_server_t *rmq_server_start(rmq_loop_t *loop, const rmq_server_opts_t *opts, char *err,
                               size_t errlen);
int rmq_server_port(const rmq_server_t *s);
size_t rmq_server_conn_count(const rmq_server_t *s);
/* Loop thread: closes the connection with that id, if it is still open. */
void rmq_server_close_conn(rmq_server_t *s, uint64_t conn_id, const char *why);
/* Loop thread: closes the listener and every connection, then frees itself. */
void rmq_server_close(rmq_server_t *s);

#endif
