/* Growable byte buffer and a bounds-checked reader.
 *
 * rmq_buf_t owns its bytes; append functions grow it (aborting on OOM, see
 * mem.h) and never move data the caller still points into except through the
 * buffer itself, so always re-read b->data after an append.  rmq_reader_t reads
 * big-endian fields out of untrusted input and reports underflow instead of
 * reading past the end. */
#ifndef RMQ_BASE_BUF_H
#define RMQ_BASE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rmq_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} rmq_buf_t;

#define RMQ_BUF_INIT {NULL, 0, 0}

void rmq_buf_init(rmq_buf_t *b);
void rmq_buf_free(rmq_buf_t *b);
void rmq_buf_reserve(rmq_buf_t *b, size_t extra);
void rmq_buf_append(rmq_buf_t *b, const void *p, size_t n);
void rmq_buf_append_str(rmq_buf_t *b, const char *s);
/* One byte: inline, as encoders call it per character. */
static inline void rmq_buf_append_u8(rmq_buf_t *b, uint8_t v)
{
    if (b->len == b->cap)
        rmq_buf_reserve(b, 1);
    b->data[b->len++] = v;
}
void rmq_buf_append_be16(rmq_buf_t *b, uint16_t v);
void rmq_buf_append_be32(rmq_buf_t *b, uint32_t v);
void rmq_buf_append_be64(rmq_buf_t *b, uint64_t v);
/* Decimal text of v, without printf (hot paths). */
void rmq_buf_append_i64(rmq_buf_t *b, int64_t v);
void rmq_buf_printf(rmq_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rmq_buf_vprintf(rmq_buf_t *b, const char *fmt, va_list ap);
/* Drops the first n bytes, keeping the rest. */
void rmq_buf_consume(rmq_buf_t *b, size_t n);
/* Hands the bytes to the caller (who frees them) and leaves b empty. */
uint8_t *rmq_buf_steal(rmq_buf_t *b, size_t *len);
/* NUL-terminates without counting the NUL in len; returns data as a string. */
char *rmq_buf_cstr(rmq_buf_t *b);

static inline uint16_t rmq_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t rmq_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t rmq_be64(const uint8_t *p)
{
    return ((uint64_t)rmq_be32(p) << 32) | rmq_be32(p + 4);
}

static inline void rmq_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

typedef struct rmq_reader {
    const uint8_t *p;
    size_t len;
    size_t pos;
} rmq_reader_t;

static inline void rmq_reader_init(rmq_reader_t *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
}

static inline size_t rmq_reader_left(const rmq_reader_t *r)
{
    return r->len - r->pos;
}

/* Each returns 0, or -1 (leaving the reader where it was) if too few bytes remain. */
int rmq_reader_u8(rmq_reader_t *r, uint8_t *v);
int rmq_reader_be16(rmq_reader_t *r, uint16_t *v);
int rmq_reader_be32(rmq_reader_t *r, uint32_t *v);
int rmq_reader_be64(rmq_reader_t *r, uint64_t *v);
/* Points *p at the next n bytes (no copy). */
int rmq_reader_bytes(rmq_reader_t *r, size_t n, const uint8_t **p);

#endif
