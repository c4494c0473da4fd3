/* A connection's output queue: frames encoded into owned buffers, and
 * external byte ranges (a pull's records, straight from the mapped commit
 * log) written in between without being copied.  An external range carries a
 * release callback that runs once its bytes are written, or dropped with the
 * connection.  Chunks handed to an in-flight uv_write are frozen; later
 * frames go to new chunks. */
#ifndef RMQ_REMOTING_OUTQ_H
#define RMQ_REMOTING_OUTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "base/buf.h"

typedef void (*rmq_release_fn)(void *arg);

typedef struct rmq_out_chunk rmq_out_chunk_t;

typedef struct rmq_outq {
    rmq_out_chunk_t *head, *tail;
    rmq_out_chunk_t *inflight_last; /* last chunk of the uv_write in flight, or NULL */
    size_t head_sent;               /* bytes of head already written */
    rmq_out_chunk_t *spare;         /* a written chunk kept with its buffer for the next */
} rmq_outq_t;

void rmq_outq_init(rmq_outq_t *q);
/* Drops everything, running the release callbacks. */
void rmq_outq_free(rmq_outq_t *q);
bool rmq_outq_empty(const rmq_outq_t *q);
/* The owned buffer new frame bytes are appended to. */
rmq_buf_t *rmq_outq_tail_buf(rmq_outq_t *q);
/* Queues n external bytes after what is queued; release (may be NULL) runs
 * when they are written or dropped. */
void rmq_outq_add_ext(rmq_outq_t *q, const void *p, size_t n, rmq_release_fn release, void *arg);
/* Fills bufs (at most max entries, whole chunks only) from the head; sets
 * *last to the last chunk covered.  Returns the count. */
size_t rmq_outq_bufs(rmq_outq_t *q, uv_buf_t *bufs, size_t max, rmq_out_chunk_t **last);
/* n bytes were written (uv_try_write): finished chunks are released. */
void rmq_outq_consume(rmq_outq_t *q, size_t n);
/* A uv_write now covers the chunks up to last / it completed. */
void rmq_outq_mark_inflight(rmq_outq_t *q, rmq_out_chunk_t *last);
void rmq_outq_done_inflight(rmq_outq_t *q);

#endif
