/* Bounded string copy for fixed-size fields on hot paths, where
 * snprintf(dst, n, "%s", src) costs a format parse per call. */
#ifndef RMQ_BASE_STR_H
#define RMQ_BASE_STR_H

#include <stddef.h>
#include <string.h>

/* Copies src into dst[n] (n > 0), truncated and always terminated; returns
 * the length copied. */
static inline size_t rmq_str_copy(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
    return len;
}

#endif
