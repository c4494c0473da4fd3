/* The connection's fields, shared by conn.c and loop.c only. */
#ifndef RMQ_REMOTING_CONN_INT_H
#define RMQ_REMOTING_CONN_INT_H

#include <stdatomic.h>

#include "base/buf.h"
#include "base/map.h"
#include "remoting/conn.h"
#include "remoting/outq.h"

typedef enum conn_state {
    CONN_RESOLVING,
    CONN_CONNECTING,
    CONN_OPEN,
    CONN_CLOSING,
} conn_state_t;

struct rmq_conn {
    uv_tcp_t tcp;
    uv_timer_t tick; /* pending-request deadlines and the connect deadline */
    uv_write_t wreq;
    uv_connect_t creq;
    uv_getaddrinfo_t gai;
    rmq_loop_t *loop;
    atomic_int refs;
    int open_handles; /* tcp and tick, until their close callbacks ran */
    conn_state_t state;
    uint64_t id;
    char peer[64];
    char *target; /* client side: the address asked for */
    rmq_conn_handlers_t h;
    size_t max_frame;
    rmq_buf_t in;   /* bytes read, not yet decoded */
    rmq_outq_t outq; /* frames and external bodies not yet handed to the kernel */
    bool writing;
    bool dirty;
    rmq_conn_t *next_dirty;
    rmq_map_t *pending; /* opaque -> pending_t */
    int64_t connect_deadline;
    int64_t last_active;
    bool tick_running;
};

#endif
