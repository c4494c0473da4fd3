#include "base/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"

void rmq_buf_init(rmq_buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void rmq_buf_free(rmq_buf_t *b)
{
    free(b->data);
    rmq_buf_init(b);
}

void rmq_buf_reserve(rmq_buf_t *b, size_t extra)
{
    size_t need = b->len + extra;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->data = rmq_realloc(b->data, cap);
    b->cap = cap;
}

void rmq_buf_append(rmq_buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    rmq_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void rmq_buf_append_str(rmq_buf_t *b, const char *s)
{
    rmq_buf_append(b, s, strlen(s));
}

void rmq_buf_append_be16(rmq_buf_t *b, uint16_t v)
{
    uint8_t p[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    rmq_buf_append(b, p, 2);
}

void rmq_buf_append_be32(rmq_buf_t *b, uint32_t v)
{
    uint8_t p[4];
    rmq_put_be32(p, v);
    rmq_buf_append(b, p, 4);
}

void rmq_buf_append_be64(rmq_buf_t *b, uint64_t v)
{
    rmq_buf_append_be32(b, (uint32_t)(v >> 32));
    rmq_buf_append_be32(b, (uint32_t)v);
}

void rmq_buf_append_i64(rmq_buf_t *b, int64_t v)
{
    char tmp[RMQ_I64_TEXT_MAX];
    rmq_buf_append(b, tmp, rmq_fmt_i64(tmp, v));
}

void rmq_buf_vprintf(rmq_buf_t *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n <= 0)
        return;
    rmq_buf_reserve(b, (size_t)n + 1);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void rmq_buf_printf(rmq_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rmq_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void rmq_buf_consume(rmq_buf_t *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

uint8_t *rmq_buf_steal(rmq_buf_t *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len)
        *len = b->len;
    rmq_buf_init(b);
    return p;
}

char *rmq_buf_cstr(rmq_buf_t *b)
{
    rmq_buf_reserve(b, 1);
    b->data[b->len] = '\0';
    return (char *)b->data;
}

int rmq_reader_bytes(rmq_reader_t *r, size_t n, const uint8_t **p)
{
    if (rmq_reader_left(r) < n)
        return -1;
    *p = r->p + r->pos;
    r->pos += n;
    return 0;
}

int rmq_reader_u8(rmq_reader_t *r, uint8_t *v)
{
    const uint8_t *p;
    if (rmq_reader_bytes(r, 1, &p))
        return -1;
    *v = p[0];
    return 0;
}

int rmq_reader_be16(rmq_reader_t *r, uint16_t *v)
{
    const uint8_t *p;
    if (rmq_reader_bytes(r, 2, &p))
        return -1;
    *v = rmq_be16(p);
    return 0;
}

int rmq_reader_be32(rmq_reader_t *r, uint32_t *v)
{
    const uint8_t *p;
    if (rmq_reader_bytes(r, 4, &p))
        return -1;
    *v = rmq_be32(p);
    return 0;
}

int rmq_reader_be64(rmq_reader_t *r, uint64_t *v)
{
    const uint8_t *p;
    if (rmq_reader_bytes(r, 8, &p))
        return -1;
    *v = rmq_be64(p);
    return 0;
}
