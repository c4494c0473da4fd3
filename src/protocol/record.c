/* Commit log record encoding and parsing, batch bodies, body CRC. */
#include "protocol/record.h"

#include <string.h>

#include "base/crc32.h"
#include "base/buf.h"

/* Bytes of every fixed field plus the length prefixes of body and properties,
 * hosts and the topic length prefix excluded: 4+4+4+4+4+8+8+4+8+8+4+8 + 4 + 2. */
#define FIXED_LEN 74
/* Batch block: total size, magic, body crc, flag, body length, properties length. */
#define BATCH_FIXED_LEN 22

static size_t host_len(bool v6)
{
    return v6 ? 16 + 4 : 4 + 4;
}

/* CommitLog.calMsgLength, with the topic length prefix of the record's version. */
static size_t record_len(bool born_v6, bool store_v6, size_t topic_prefix, size_t body_len,
                         size_t topic_len, size_t props_len)
{
    return FIXED_LEN + host_len(born_v6) + host_len(store_v6) + topic_prefix + body_len +
           topic_len + props_len;
}

size_t rmq_record_size(const rmq_msg_in_t *m)
{
    size_t props_len = m->properties ? m->properties_len : 0;
    return record_len(m->born_host.v6, m->store_host.v6, 1, m->body_len, m->topic_len,
                      props_len);
}

int32_t rmq_crc32_masked(const void *p, size_t n)
{
    return (int32_t)(rmq_crc32(0, p, n) & 0x7FFFFFFFu);
}

/* ---- writing ---- */

static uint8_t *put8(uint8_t *p, uint8_t v)
{
    *p = v;
    return p + 1;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
    rmq_put_be32(p, v);
    return p + 4;
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    return put32(p + 4, (uint32_t)v);
}

static uint8_t *put_bytes(uint8_t *p, const void *src, size_t n)
{
    /* memcpy from NULL is undefined even for n == 0 (empty body, no properties). */
    if (n)
        memcpy(p, src, n);
    return p + n;
}

static uint8_t *put_host(uint8_t *p, const rmq_host_t *h)
{
    p = put_bytes(p, h->addr, h->v6 ? 16 : 4);
    return put32(p, (uint32_t)h->port);
}

static int32_t encode_sysflag(const rmq_msg_in_t *m)
{
    /* The broker decides the host flags from the actual address families, whatever
     * the producer claimed. */
    int32_t f = m->sysflag & ~(RMQ_SYSFLAG_BORNHOST_V6 | RMQ_SYSFLAG_STOREHOST_V6);
    if (m->born_host.v6)
        f |= RMQ_SYSFLAG_BORNHOST_V6;
    if (m->store_host.v6)
        f |= RMQ_SYSFLAG_STOREHOST_V6;
    return f;
}

size_t rmq_record_encode(const rmq_msg_in_t *m, uint8_t *out)
{
    size_t size = rmq_record_size(m);
    size_t props_len = m->properties ? m->properties_len : 0;
    uint8_t *p = out;
    p = put32(p, (uint32_t)size);
    p = put32(p, RMQ_MESSAGE_MAGIC);
    p = put32(p, (uint32_t)rmq_crc32_masked(m->body, m->body_len));
    p = put32(p, (uint32_t)m->queue_id);
    p = put32(p, (uint32_t)m->flag);
    p = put64(p, 0); /* QUEUEOFFSET, PHYSICALOFFSET: rmq_record_patch */
    p = put64(p, 0);
    p = put32(p, (uint32_t)encode_sysflag(m));
    p = put64(p, (uint64_t)m->born_timestamp);
    p = put_host(p, &m->born_host);
    p = put64(p, 0); /* STORETIMESTAMP: rmq_record_patch */
    p = put_host(p, &m->store_host);
    p = put32(p, (uint32_t)m->reconsume_times);
    p = put64(p, (uint64_t)m->prepared_tx_offset);
    p = put32(p, (uint32_t)m->body_len);
    p = put_bytes(p, m->body, m->body_len);
    p = put8(p, (uint8_t)m->topic_len);
    p = put_bytes(p, m->topic, m->topic_len);
    p = put16(p, (uint16_t)props_len);
    put_bytes(p, m->properties, props_len);
    return size;
}

void rmq_record_patch(uint8_t *rec, int64_t queue_offset, int64_t phys_offset, int64_t store_ts)
{
    int32_t sysflag = (int32_t)rmq_be32(rec + RMQ_REC_OFF_SYSFLAG);
    size_t store_ts_off = RMQ_REC_OFF_BORNHOST + host_len(sysflag & RMQ_SYSFLAG_BORNHOST_V6);
    put64(rec + RMQ_REC_OFF_QUEUEOFFSET, (uint64_t)queue_offset);
    put64(rec + RMQ_REC_OFF_PHYSICALOFFSET, (uint64_t)phys_offset);
    put64(rec + store_ts_off, (uint64_t)store_ts);
}

void rmq_record_write_blank(uint8_t *p, int32_t remaining)
{
    put32(p, (uint32_t)remaining);
    put32(p + 4, RMQ_BLANK_MAGIC);
}

/* ---- reading ---- */

/* A reader over untrusted bytes whose error sticks: after the first overrun
 * every read fails and returns zero, so a parse checks once at the end. */
typedef struct cursor {
    const uint8_t *p;
    size_t len;
    size_t pos;
    bool bad;
} cursor_t;

static const uint8_t *take(cursor_t *c, size_t n)
{
    if (c->bad || n > c->len - c->pos) {
        c->bad = true;
        return NULL;
    }
    const uint8_t *q = c->p + c->pos;
    c->pos += n;
    return q;
}

static uint8_t take8(cursor_t *c)
{
    const uint8_t *q = take(c, 1);
    return q ? q[0] : 0;
}

static uint16_t take16(cursor_t *c)
{
    const uint8_t *q = take(c, 2);
    return q ? rmq_be16(q) : 0;
}

static uint32_t take32(cursor_t *c)
{
    const uint8_t *q = take(c, 4);
    return q ? rmq_be32(q) : 0;
}

static uint64_t take64(cursor_t *c)
{
    const uint8_t *q = take(c, 8);
    return q ? rmq_be64(q) : 0;
}

/* A length field read as Java reads it (signed); a negative one poisons c. */
static int32_t take_len(cursor_t *c, int32_t v)
{
    if (v < 0)
        c->bad = true;
    return c->bad ? 0 : v;
}

static const uint8_t *take_bytes(cursor_t *c, int32_t n)
{
    return take(c, (size_t)n);
}

static void take_host(cursor_t *c, bool v6, rmq_host_t *h)
{
    memset(h, 0, sizeof(*h));
    h->v6 = v6;
    const uint8_t *a = take(c, v6 ? 16 : 4);
    if (a)
        memcpy(h->addr, a, v6 ? 16 : 4);
    h->port = (int32_t)take32(c);
}

static rmq_record_status_t parse_blank(int32_t total, rmq_record_t *rec)
{
    /* A writer always leaves at least the 8 bytes of the blank itself; a smaller
     * size is corruption, and a caller skipping it would never advance. */
    if (total < RMQ_END_FILE_MIN_BLANK)
        return RMQ_RECORD_BAD;
    memset(rec, 0, sizeof(*rec));
    rec->total_size = total;
    rec->magic = RMQ_BLANK_MAGIC;
    return RMQ_RECORD_BLANK;
}

/* Reads the fields of a message record from c, lengths and bounds checked. */
static void parse_fields(cursor_t *c, rmq_record_t *rec)
{
    rec->total_size = (int32_t)take32(c);
    rec->magic = take32(c);
    rec->body_crc = (int32_t)take32(c);
    rec->queue_id = (int32_t)take32(c);
    rec->flag = (int32_t)take32(c);
    rec->queue_offset = (int64_t)take64(c);
    rec->phys_offset = (int64_t)take64(c);
    rec->sysflag = (int32_t)take32(c);
    rec->born_timestamp = (int64_t)take64(c);
    take_host(c, rec->sysflag & RMQ_SYSFLAG_BORNHOST_V6, &rec->born_host);
    rec->store_timestamp = (int64_t)take64(c);
    take_host(c, rec->sysflag & RMQ_SYSFLAG_STOREHOST_V6, &rec->store_host);
    rec->reconsume_times = (int32_t)take32(c);
    rec->prepared_tx_offset = (int64_t)take64(c);
    rec->body_len = take_len(c, (int32_t)take32(c));
    rec->body = take_bytes(c, rec->body_len);
    if (rec->magic == RMQ_MESSAGE_MAGIC_V2)
        rec->topic_len = take_len(c, (int16_t)take16(c));
    else
        rec->topic_len = take_len(c, (int8_t)take8(c));
    rec->topic = (const char *)take_bytes(c, rec->topic_len);
    rec->properties_len = take_len(c, (int16_t)take16(c));
    rec->properties = (const char *)take_bytes(c, rec->properties_len);
}

rmq_record_status_t rmq_record_parse(const uint8_t *p, size_t avail, bool check_crc,
                                     rmq_record_t *rec)
{
    if (avail < RMQ_END_FILE_MIN_BLANK)
        return RMQ_RECORD_BAD;
    int32_t total = (int32_t)rmq_be32(p);
    uint32_t magic = rmq_be32(p + 4);
    if (magic == RMQ_BLANK_MAGIC)
        return parse_blank(total, rec);
    if (magic != RMQ_MESSAGE_MAGIC && magic != RMQ_MESSAGE_MAGIC_V2)
        return RMQ_RECORD_BAD;
    if (total < 0 || (size_t)total > avail)
        return RMQ_RECORD_BAD;

    cursor_t c = {p, (size_t)total, 0, false};
    parse_fields(&c, rec);
    if (c.bad)
        return RMQ_RECORD_BAD;
    size_t topic_prefix = magic == RMQ_MESSAGE_MAGIC_V2 ? 2 : 1;
    size_t expect = record_len(rec->born_host.v6, rec->store_host.v6, topic_prefix,
                               (size_t)rec->body_len, (size_t)rec->topic_len,
                               (size_t)rec->properties_len);
    if (expect != (size_t)total)
        return RMQ_RECORD_BAD;
    /* As checkMessageAndReturnSize: an empty body's CRC is not checked. */
    if (check_crc && rec->body_len > 0 &&
        rmq_crc32_masked(rec->body, (size_t)rec->body_len) != rec->body_crc)
        return RMQ_RECORD_BAD;
    return RMQ_RECORD_OK;
}

/* ---- batch bodies ---- */

/* Parses the block at the front of p into it; returns its size, or 0 if the
 * block is malformed (a block is never empty, so 0 is free as the error). */
static size_t batch_block(const uint8_t *p, size_t left, rmq_batch_item_t *it)
{
    if (left < 4)
        return 0;
    int32_t total = (int32_t)rmq_be32(p);
    if (total < BATCH_FIXED_LEN || (size_t)total > left)
        return 0;
    cursor_t c = {p, (size_t)total, 4, false};
    take32(&c); /* magic: the client writes 0 and the broker ignores it */
    take32(&c); /* body crc: likewise, recomputed when the record is built */
    it->flag = (int32_t)take32(&c);
    it->body_len = take_len(&c, (int32_t)take32(&c));
    it->body = take_bytes(&c, it->body_len);
    it->properties_len = take_len(&c, (int16_t)take16(&c));
    it->properties = (const char *)take_bytes(&c, it->properties_len);
    if (c.bad || c.pos != (size_t)total)
        return 0;
    return (size_t)total;
}

int rmq_batch_foreach(const uint8_t *body, size_t len,
                      int (*cb)(const rmq_batch_item_t *item, void *arg), void *arg)
{
    rmq_batch_item_t it;
    /* All or nothing: a caller appending records as it goes must not be left
     * with half a batch written. */
    for (size_t off = 0, n; off < len; off += n)
        if ((n = batch_block(body + off, len - off, &it)) == 0)
            return -1;
    for (size_t off = 0, n; off < len; off += n) {
        n = batch_block(body + off, len - off, &it);
        int rc = cb(&it, arg);
        if (rc)
            return rc;
    }
    return 0;
}
