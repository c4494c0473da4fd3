#include "base/num.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int rmq_parse_i64(const char *s, int64_t *out)
{
    /* Long.parseLong: an optional sign, then decimal digits only.  By hand:
     * strtoll and its errno showed in the broker's per-request profile. */
    const char *p = s;
    bool neg = *p == '-';
    if (*p == '+' || *p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return -1;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (limit - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (*p != '\0')
        return -1;
    if (!neg)
        *out = (int64_t)v;
    else
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    return 0;
}

size_t rmq_fmt_i64(char *out, int64_t v)
{
    char tmp[RMQ_I64_TEXT_MAX];
    char *p = tmp + sizeof(tmp);
    /* Work on the magnitude as unsigned so INT64_MIN does not overflow. */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    size_t n = (size_t)(tmp + sizeof(tmp) - p);
    memcpy(out, p, n);
    return n;
}
