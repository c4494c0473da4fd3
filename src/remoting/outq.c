#include "remoting/outq.h"

#include <stdlib.h>

#include "base/mem.h"

struct rmq_out_chunk {
    rmq_out_chunk_t *next;
    rmq_buf_t own;
    const uint8_t *ext;
    size_t ext_len;
    rmq_release_fn release;
    void *arg;
};

/* A spare chunk keeps a buffer up to this size; larger ones are freed. */
#define SPARE_KEEP (64 * 1024)

void rmq_outq_init(rmq_outq_t *q)
{
    q->head = q->tail = q->inflight_last = NULL;
    q->head_sent = 0;
    q->spare = NULL;
}

static void chunk_free(rmq_out_chunk_t *c)
{
    rmq_buf_free(&c->own);
    free(c);
}

/* Runs the chunk's release callback, then keeps it as the spare (so that
 * every batch of answers does not grow a new buffer from nothing) or frees
 * it. */
static void chunk_done(rmq_outq_t *q, rmq_out_chunk_t *c)
{
    if (c->release)
        c->release(c->arg);
    if (q->spare || c->own.cap > SPARE_KEEP) {
        chunk_free(c);
        return;
    }
    rmq_buf_t own = c->own;
    own.len = 0;
    *c = (rmq_out_chunk_t){.own = own};
    q->spare = c;
}

static void pop_head(rmq_outq_t *q)
{
    rmq_out_chunk_t *c = q->head;
    q->head = c->next;
    if (!q->head)
        q->tail = NULL;
    if (q->inflight_last == c)
        q->inflight_last = NULL;
    q->head_sent = 0;
    chunk_done(q, c);
}

void rmq_outq_free(rmq_outq_t *q)
{
    while (q->head)
        pop_head(q);
    if (q->spare)
        chunk_free(q->spare);
    q->spare = NULL;
}

bool rmq_outq_empty(const rmq_outq_t *q)
{
    return q->head == NULL;
}

static rmq_out_chunk_t *push(rmq_outq_t *q)
{
    rmq_out_chunk_t *c = q->spare;
    q->spare = NULL;
    if (!c)
        c = rmq_calloc(1, sizeof(*c));
    if (q->tail)
        q->tail->next = c;
    else
        q->head = c;
    q->tail = c;
    return c;
}

/* The tail takes more bytes unless it ends with external bytes or is part
 * of the write in flight (its buffer may not move now). */
static bool tail_open(const rmq_outq_t *q)
{
    return q->tail && !q->tail->ext && q->tail != q->inflight_last;
}

rmq_buf_t *rmq_outq_tail_buf(rmq_outq_t *q)
{
    return tail_open(q) ? &q->tail->own : &push(q)->own;
}

void rmq_outq_add_ext(rmq_outq_t *q, const void *p, size_t n, rmq_release_fn release, void *arg)
{
    rmq_out_chunk_t *c = tail_open(q) ? q->tail : push(q);
    c->ext = p;
    c->ext_len = n;
    c->release = release;
    c->arg = arg;
}

static size_t chunk_len(const rmq_out_chunk_t *c)
{
    return c->own.len + c->ext_len;
}

size_t rmq_outq_bufs(rmq_outq_t *q, uv_buf_t *bufs, size_t max, rmq_out_chunk_t **last)
{
    size_t nb = 0, skip = q->head_sent;
    *last = NULL;
    for (rmq_out_chunk_t *c = q->head; c && nb + 2 <= max; c = c->next, skip = 0) {
        if (skip < c->own.len)
            bufs[nb++] = uv_buf_init((char *)c->own.data + skip, (unsigned)(c->own.len - skip));
        size_t eskip = skip > c->own.len ? skip - c->own.len : 0;
        if (eskip < c->ext_len)
            bufs[nb++] = uv_buf_init((char *)c->ext + eskip, (unsigned)(c->ext_len - eskip));
        *last = c;
    }
    return nb;
}

void rmq_outq_consume(rmq_outq_t *q, size_t n)
{
    while (n > 0 && q->head) {
        size_t left = chunk_len(q->head) - q->head_sent;
        if (n < left) {
            q->head_sent += n;
            return;
        }
        n -= left;
        pop_head(q);
    }
    /* Chunks that were empty to begin with go too. */
    while (q->head && q->head != q->inflight_last && chunk_len(q->head) == q->head_sent)
        pop_head(q);
}

void rmq_outq_mark_inflight(rmq_outq_t *q, rmq_out_chunk_t *last)
{
    q->inflight_last = last;
}

void rmq_outq_done_inflight(rmq_outq_t *q)
{
    rmq_out_chunk_t *last = q->inflight_last;
    while (last && q->head) {
        bool end = q->head == last;
        pop_head(q);
        if (end)
            break;
    }
    q->inflight_last = NULL;
}
