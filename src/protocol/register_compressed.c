/* Compressed RegisterBrokerBody (RegisterBrokerBody.encode(true) / decode,
 * protocol.md 4.14): a zlib stream of big-endian length-prefixed parts.
 *
 * The body comes from any peer that can reach the name server, so decoding
 * assumes it is hostile: the inflated size is capped, and every count is
 * checked against the bytes that remain before anything is allocated for it. */
#include "protocol/bodies.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/mem.h"
#include "protocol/bodies_int.h"
#include "rocketmq/error.h"

/* A broker with 100k topics inflates to a few MiB; 64 MiB is far beyond any
 * real body yet small enough that a zlib bomb cannot hurt the server. */
#define MAX_INFLATED ((size_t)64 << 20)

static void append_part(rmq_buf_t *raw, const void *p, size_t n)
{
    rmq_buf_append_be32(raw, (uint32_t)n);
    rmq_buf_append(raw, p, n);
}

void rmq_register_broker_body_encode_compressed(const rmq_register_broker_body_t *b, rmq_buf_t *out)
{
    rmq_buf_t raw = RMQ_BUF_INIT, part = RMQ_BUF_INIT;

    rmq_data_version_encode(&b->data_version, &part);
    append_part(&raw, part.data, part.len);

    rmq_buf_append_be32(&raw, (uint32_t)b->ntopics);
    for (size_t i = 0; i < b->ntopics; i++) {
        const rmq_topic_config_t *tc = &b->topics[i];
        part.len = 0;
        /* TopicConfig.encode(): space-separated, as Java's decode splits on " ". */
        rmq_buf_printf(&part, "%s %d %d %d %s", tc->topic_name ? tc->topic_name : "",
                       (int)tc->read_queue_nums, (int)tc->write_queue_nums, (int)tc->perm,
                       tc->topic_filter_type ? tc->topic_filter_type : "SINGLE_TAG");
        append_part(&raw, part.data, part.len);
    }

    part.len = 0;
    json_t *fsl = rmq_json_str_array_new(b->filter_servers, b->nfilter_servers);
    rmq_json_dump_append(fsl, &part);
    json_decref(fsl);
    append_part(&raw, part.data, part.len);
    rmq_buf_free(&part);

    /* Java: Deflater(BEST_COMPRESSION) behind a DeflaterOutputStream, i.e. a
     * zlib (RFC 1950) stream, which is exactly what compress2 produces. */
    uLongf dlen = compressBound(raw.len);
    rmq_buf_reserve(out, dlen);
    if (compress2(out->data + out->len, &dlen, raw.data, raw.len, Z_BEST_COMPRESSION) == Z_OK)
        out->len += dlen;
    rmq_buf_free(&raw);
}

/* Inflates p into *out (malloc'ed), failing beyond MAX_INFLATED. */
static int inflate_body(const uint8_t *p, size_t n, uint8_t **out, size_t *outlen, char *err,
                        size_t errlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK)
        return rmq_body_err(err, errlen, "RegisterBrokerBody: inflateInit failed");

    size_t cap = n < 4096 ? 16384 : (n < MAX_INFLATED / 4 ? n * 4 : MAX_INFLATED);
    uint8_t *buf = rmq_malloc(cap);
    size_t len = 0, in_pos = 0;
    int rc = 0;
    for (;;) {
        if (zs.avail_in == 0 && in_pos < n) {
            size_t chunk = n - in_pos < UINT_MAX ? n - in_pos : UINT_MAX;
            zs.next_in = (Bytef *)(p + in_pos);
            zs.avail_in = (uInt)chunk;
            in_pos += chunk;
        }
        if (len == cap) {
            if (cap >= MAX_INFLATED) {
                rc = rmq_body_err(err, errlen, "RegisterBrokerBody: inflated body exceeds %zu bytes",
                                  MAX_INFLATED);
                break;
            }
            cap = cap * 2 < MAX_INFLATED ? cap * 2 : MAX_INFLATED;
            buf = rmq_realloc(buf, cap);
        }
        size_t room = cap - len < UINT_MAX ? cap - len : UINT_MAX;
        zs.next_out = buf + len;
        zs.avail_out = (uInt)room;
        int zrc = inflate(&zs, Z_NO_FLUSH);
        len += room - zs.avail_out;
        if (zrc == Z_STREAM_END)
            break;
        if (zrc == Z_BUF_ERROR && zs.avail_in == 0 && in_pos == n) {
            rc = rmq_body_err(err, errlen, "RegisterBrokerBody: truncated zlib stream");
            break;
        }
        if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
            rc = rmq_body_err(err, errlen, "RegisterBrokerBody: bad zlib stream (%s)",
                              zs.msg ? zs.msg : "error");
            break;
        }
    }
    inflateEnd(&zs);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *outlen = len;
    return 0;
}

/* Reads an int32 length and points *part at that many bytes. */
static int read_part(rmq_reader_t *r, const uint8_t **part, size_t *n, const char *what,
                     char *err, size_t errlen)
{
    uint32_t len;
    if (rmq_reader_be32(r, &len) != 0)
        return rmq_body_err(err, errlen, "RegisterBrokerBody: truncated before %s length", what);
    /* Java reads the length as a signed int; a negative one is garbage. */
    if (len > INT32_MAX || rmq_reader_bytes(r, len, part) != 0)
        return rmq_body_err(err, errlen, "RegisterBrokerBody: %s length %u exceeds the body",
                            what, len);
    *n = len;
    return 0;
}

static int parse_int_field(const char **s, const char *end, int32_t *out)
{
    const char *p = *s;
    bool neg = false;
    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    if (p == end || *p < '0' || *p > '9')
        return -1;
    int64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        v = v * 10 + (*p++ - '0');
        if (v > (int64_t)INT32_MAX + 1)
            return -1;
    }
    v = neg ? -v : v;
    if (v > INT32_MAX || (p < end && *p != ' '))
        return -1;
    *out = (int32_t)v;
    *s = p < end ? p + 1 : p;
    return 0;
}

/* "<topicName> <read> <write> <perm> <filterType>[ <attributes JSON>]"; the
 * 5.x attributes (and a trailing separator) are accepted and ignored. */
static int topic_from_text(const uint8_t *p, size_t n, rmq_topic_config_t *tc, size_t idx,
                           char *err, size_t errlen)
{
    const char *s = (const char *)p, *end = s + n;
    rmq_topic_config_init(tc, NULL);
    if (memchr(s, '\0', n))
        return rmq_body_err(err, errlen, "RegisterBrokerBody: topic %zu contains NUL", idx);
    const char *sp = memchr(s, ' ', n);
    if (!sp || sp == s)
        return rmq_body_err(err, errlen, "RegisterBrokerBody: topic %zu: malformed \"%.*s\"", idx,
                            (int)(n < 64 ? n : 64), s);
    tc->topic_name = rmq_strndup(s, (size_t)(sp - s));
    const char *q = sp + 1;
    if (parse_int_field(&q, end, &tc->read_queue_nums) != 0
        || parse_int_field(&q, end, &tc->write_queue_nums) != 0
        || parse_int_field(&q, end, &tc->perm) != 0)
        return rmq_body_err(err, errlen, "RegisterBrokerBody: topic %s: bad number",
                            tc->topic_name);
    const char *ft_end = memchr(q, ' ', (size_t)(end - q));
    size_t ftlen = (size_t)((ft_end ? ft_end : end) - q);
    if ((ftlen == 10 && memcmp(q, "SINGLE_TAG", 10) == 0)
        || (ftlen == 9 && memcmp(q, "MULTI_TAG", 9) == 0)) {
        free(tc->topic_filter_type);
        tc->topic_filter_type = rmq_strndup(q, ftlen);
        return 0;
    }
    return rmq_body_err(err, errlen, "RegisterBrokerBody: topic %s: bad topicFilterType",
                        tc->topic_name);
}

static int parse_raw(const uint8_t *raw, size_t rawlen, rmq_register_broker_body_t *b, char *err,
                     size_t errlen)
{
    rmq_reader_t r;
    rmq_reader_init(&r, raw, rawlen);
    const uint8_t *part;
    size_t n;
    int rc;

    if ((rc = read_part(&r, &part, &n, "dataVersion", err, errlen)) != 0
        || (rc = rmq_data_version_decode(part, n, &b->data_version, err, errlen)) != 0)
        return rc;

    uint32_t count;
    if (rmq_reader_be32(&r, &count) != 0)
        return rmq_body_err(err, errlen, "RegisterBrokerBody: truncated before topic count");
    /* Each topic takes at least its 4-byte length. */
    if (count > INT32_MAX || count > rmq_reader_left(&r) / 4)
        return rmq_body_err(err, errlen, "RegisterBrokerBody: topic count %u exceeds the body",
                            count);
    if (count)
        b->topics = rmq_calloc(count, sizeof(*b->topics));
    for (uint32_t i = 0; i < count; i++) {
        if ((rc = read_part(&r, &part, &n, "topic", err, errlen)) != 0)
            return rc;
        /* Counted before parsing so that a half-filled entry is freed too. */
        rmq_topic_config_t *tc = &b->topics[b->ntopics++];
        if ((rc = topic_from_text(part, n, tc, i, err, errlen)) != 0)
            return rc;
    }

    if ((rc = read_part(&r, &part, &n, "filterServerList", err, errlen)) != 0)
        return rc;
    char jerr[160] = "";
    json_t *fsl = rmq_json_loads(part, n, jerr, sizeof(jerr));
    if (!fsl)
        return rmq_body_err(err, errlen, "RegisterBrokerBody.filterServerList: %s", jerr);
    if (!json_is_array(fsl)) {
        rc = rmq_body_err(err, errlen, "RegisterBrokerBody.filterServerList: expected an array, "
                                       "got %s", rmq_json_type_name(fsl));
    } else {
        rc = rmq_json_str_array(fsl, &b->filter_servers, &b->nfilter_servers,
                                "RegisterBrokerBody.filterServerList", err, errlen);
    }
    json_decref(fsl);
    if (rc != 0)
        return rc;

    /* 5.x brokers append topic queue mappings (static topics), which this
     * name server does not serve: check the framing, ignore the content. */
    if (rmq_reader_left(&r) >= 4) {
        uint32_t nmap;
        rmq_reader_be32(&r, &nmap);
        if (nmap > INT32_MAX || nmap > rmq_reader_left(&r) / 4)
            return rmq_body_err(err, errlen,
                                "RegisterBrokerBody: mapping count %u exceeds the body", nmap);
        for (uint32_t i = 0; i < nmap; i++) {
            if ((rc = read_part(&r, &part, &n, "topic queue mapping", err, errlen)) != 0)
                return rc;
        }
    }
    return 0;
}

int rmq_register_broker_body_decode_compressed(const void *p, size_t n,
                                               rmq_register_broker_body_t *b, char *err,
                                               size_t errlen)
{
    memset(b, 0, sizeof(*b));
    if (!p || n == 0)
        return rmq_body_err(err, errlen, "RegisterBrokerBody: empty body");
    uint8_t *raw = NULL;
    size_t rawlen = 0;
    int rc = inflate_body(p, n, &raw, &rawlen, err, errlen);
    if (rc != 0)
        return rc;
    rc = parse_raw(raw, rawlen, b, err, errlen);
    free(raw);
    if (rc != 0)
        rmq_register_broker_body_free(b);
    return rc;
}
