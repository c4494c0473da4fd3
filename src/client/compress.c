/* Message body compression (protocol.md 6.5): a zlib stream (RFC 1950,
 * header and Adler-32 included), what Java's Deflater(level) behind a
 * DeflaterOutputStream writes and its InflaterInputStream reads.  zlib's
 * defaults (window 15, memLevel 8) are Java's, so the bytes match too. */
#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

#include "client/msg_int.h"

/* First guess at the inflated size; the buffer doubles from there. */
#define INFLATE_MIN_GUESS 256

int rmq_compress_zlib(const void *p, size_t len, int level, uint8_t **out, size_t *outlen)
{
    z_stream zs = {0};
    if (deflateInit(&zs, level) != Z_OK)
        return ROCKETMQ_ERR__FAIL;
    /* One deflate call with the whole input and a worst-case output
     * buffer; z_stream counts in uInt, so larger inputs are refused. */
    uLong bound = deflateBound(&zs, (uLong)len);
    uint8_t *buf = NULL;
    if (len > UINT_MAX || bound > UINT_MAX || !(buf = malloc(bound))) {
        deflateEnd(&zs);
        return ROCKETMQ_ERR__FAIL;
    }
    zs.next_in = (Bytef *)p; /* zlib does not write through next_in */
    zs.avail_in = (uInt)len;
    zs.next_out = buf;
    zs.avail_out = (uInt)bound;
    int rc = deflate(&zs, Z_FINISH);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(buf);
        return ROCKETMQ_ERR__FAIL;
    }
    *out = buf;
    *outlen = (size_t)zs.total_out;
    return 0;
}

/* Makes room for at least one more byte, up to limit.  Returns 0, or
 * -1 when the buffer is already at limit or memory ran out (*oom set). */
static int grow(uint8_t **buf, size_t *cap, size_t limit, bool *oom)
{
    if (*cap >= limit)
        return -1;
    size_t ncap = *cap > limit / 2 ? limit : *cap * 2;
    uint8_t *nb = realloc(*buf, ncap);
    if (!nb) {
        *oom = true;
        return -1;
    }
    *buf = nb;
    *cap = ncap;
    return 0;
}

int rmq_decompress_zlib(const void *p, size_t len, size_t max_out, uint8_t **out, size_t *outlen)
{
    if (len > UINT_MAX)
        return ROCKETMQ_ERR__PROTOCOL;
    /* One byte of room past max_out tells "exactly max_out" from "more". */
    size_t limit = max_out == SIZE_MAX ? max_out : max_out + 1;
    size_t cap = len * 4 > INFLATE_MIN_GUESS ? len * 4 : INFLATE_MIN_GUESS;
    if (cap > limit)
        cap = limit;
    z_stream zs = {0};
    uint8_t *buf = malloc(cap);
    if (!buf)
        return ROCKETMQ_ERR__NO_MEMORY;
    if (inflateInit(&zs) != Z_OK) {
        free(buf);
        return ROCKETMQ_ERR__NO_MEMORY;
    }
    zs.next_in = (Bytef *)p;
    zs.avail_in = (uInt)len;
    bool oom = false;
    int rc = Z_BUF_ERROR;
    for (;;) {
        size_t done = (size_t)zs.total_out;
        if (done == cap && grow(&buf, &cap, limit, &oom) != 0)
            break; /* over max_out (or out of memory) */
        size_t room = cap - done;
        zs.next_out = buf + done;
        zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        rc = inflate(&zs, Z_NO_FLUSH);
        /* Bytes after the end of the stream are ignored, as Java's
         * InflaterInputStream ignores them. */
        if (rc == Z_STREAM_END)
            break;
        /* Z_BUF_ERROR with input left means "need more room" (looped on);
         * with no input left the stream is truncated. */
        if ((rc != Z_OK && rc != Z_BUF_ERROR) || (zs.avail_in == 0 && zs.avail_out > 0))
            break;
    }
    size_t total = (size_t)zs.total_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || total > max_out) {
        free(buf);
        return oom ? ROCKETMQ_ERR__NO_MEMORY : ROCKETMQ_ERR__PROTOCOL;
    }
    *out = buf;
    *outlen = total;
    return 0;
}
