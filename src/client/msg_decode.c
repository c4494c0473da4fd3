/* Decoding the stored records of PULL / VIEW_MESSAGE_BY_ID / QUERY_MESSAGE
 * bodies into messages (MessageDecoder.decodes + clientDecode, 4.9.8).
 *
 * Differences from Java, on purpose:
 *  - one malformed record fails the whole body (Java stops at it and hands
 *    over the records before it, silently losing the rest);
 *  - TOTALSIZE must equal the size recomputed from the lengths
 *    (rmq_record_parse), which Java does not check;
 *  - property names and values are kept as the bytes stored (Java decodes
 *    UTF-8 and would turn invalid sequences into U+FFFD), and a NUL byte in
 *    the topic or a property ends that string early.
 * Like Java, the body CRC is not checked on the client. */
#include "client/msg_decode.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "client/client_int.h"
#include "client/msg_int.h"
#include "protocol/record.h"

/* MessageSysFlag compression type bits (4.9.4+); 0 is zlib from older senders. */
#define COMPRESSION_TYPE_MASK 0x700
#define COMPRESSION_ZLIB 0x300

/* Property pairs found in one properties string, before duplicate names
 * are merged. */
typedef struct prop_ref {
    const char *name;
    size_t idx;
} prop_ref_t;

static char *dup_bytes(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* "a.b.c.d:port", or "[v6addr]:port" so that the colons of the address
 * cannot be mistaken for the port separator.  (Java 8 would print
 * "/0:0:0:0:0:0:0:1:port", Java 14+ "/[0:0:0:0:0:0:0:1]:port".) */
static void format_host(const rmq_host_t *h, char *out, size_t n)
{
    char ip[INET6_ADDRSTRLEN];
    if (!inet_ntop(h->v6 ? AF_INET6 : AF_INET, h->addr, ip, sizeof(ip)))
        ip[0] = '\0';
    if (h->v6)
        snprintf(out, n, "[%s]:%d", ip, (int)h->port);
    else
        snprintf(out, n, "%s:%d", ip, (int)h->port);
}

static int cmp_prop_ref(const void *a, const void *b)
{
    const prop_ref_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A repeated name keeps its first place and its last value, as Java's
 * HashMap.put would leave it (a broker appending the properties of a batch
 * to each inner message can repeat WAIT, for one).  Sorting keeps this
 * O(n log n) for a hostile 32 KiB string of tiny pairs. */
static int merge_duplicates(rocketmq_message_t *m)
{
    size_t n = m->nprops;
    if (n < 2)
        return 0;
    prop_ref_t *refs = malloc(n * sizeof(*refs));
    if (!refs)
        return ROCKETMQ_ERR__NO_MEMORY;
    for (size_t i = 0; i < n; i++)
        refs[i] = (prop_ref_t){m->props[i].name, i};
    qsort(refs, n, sizeof(*refs), cmp_prop_ref);
    bool any = false;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && strcmp(refs[i].name, refs[j].name) == 0; j++)
            ;
        if (j - i == 1)
            continue;
        any = true;
        rmq_msg_prop_t *keep = &m->props[refs[i].idx];
        rmq_msg_prop_t *last = &m->props[refs[j - 1].idx];
        free(keep->value);
        keep->value = last->value;
        last->value = NULL;
        for (size_t k = i + 1; k < j; k++) {
            rmq_msg_prop_t *gone = &m->props[refs[k].idx];
            free(gone->name);
            free(gone->value);
            gone->name = NULL; /* compacted away below */
            gone->value = NULL;
        }
    }
    free(refs);
    if (any) {
        size_t w = 0;
        for (size_t r = 0; r < n; r++)
            if (m->props[r].name)
                m->props[w++] = m->props[r];
        m->nprops = w;
    }
    return 0;
}

/* MessageDecoder.string2messageProperties over bytes: split at 0x02, skip
 * segments under 3 bytes, the name ends at the first 0x01, and a pair is
 * kept only with a non-empty name and a non-empty value.  0x01 and 0x02
 * never occur inside a UTF-8 multi-byte sequence, so bytes split as Java's
 * characters do. */
static int decode_props(rocketmq_message_t *m, const char *s, size_t len)
{
    if (len == 0)
        return 0;
    size_t count = 1; /* segments: an upper bound on the pairs */
    for (size_t i = 0; i < len; i++)
        count += s[i] == RMQ_PROP_SEP;
    m->props = calloc(count, sizeof(*m->props));
    if (!m->props)
        return ROCKETMQ_ERR__NO_MEMORY;
    m->cap = count;
    for (size_t i = 0; i < len;) {
        const char *sep = memchr(s + i, RMQ_PROP_SEP, len - i);
        size_t end = sep ? (size_t)(sep - s) : len;
        if (end - i >= 3) {
            const char *kv = memchr(s + i, RMQ_PROP_NAME_VALUE_SEP, end - i);
            size_t k = kv ? (size_t)(kv - s) : end;
            if (kv && k > i && k < end - 1) {
                rmq_msg_prop_t *p = &m->props[m->nprops];
                p->name = dup_bytes(s + i, k - i);
                p->value = dup_bytes(s + k + 1, end - k - 1);
                if (!p->name || !p->value) {
                    free(p->name);
                    free(p->value);
                    return ROCKETMQ_ERR__NO_MEMORY;
                }
                m->nprops++;
            }
        }
        i = end + 1;
    }
    return merge_duplicates(m);
}

static int decode_body(rocketmq_message_t *m, const rmq_record_t *rec, size_t max_body)
{
    if (rec->body_len == 0)
        return 0; /* Java leaves the body null and never inflates nothing */
    if (!(rec->sysflag & RMQ_SYSFLAG_COMPRESSED)) {
        if (!(m->body = malloc((size_t)rec->body_len)))
            return ROCKETMQ_ERR__NO_MEMORY;
        memcpy(m->body, rec->body, (size_t)rec->body_len);
        m->body_len = (size_t)rec->body_len;
        return 0;
    }
    int type = rec->sysflag & COMPRESSION_TYPE_MASK;
    if (type != 0 && type != COMPRESSION_ZLIB)
        return rmq_client_fail(ROCKETMQ_ERR__PROTOCOL,
                               "message at queue offset %lld: compression type 0x%x (LZ4 0x100, "
                               "ZSTD 0x200) is not supported",
                               (long long)rec->queue_offset, (unsigned)type);
    int rc = rmq_decompress_zlib(rec->body, (size_t)rec->body_len, max_body, &m->body,
                                 &m->body_len);
    if (rc == ROCKETMQ_ERR__NO_MEMORY)
        return rc;
    if (rc != 0)
        return rmq_client_fail(ROCKETMQ_ERR__PROTOCOL,
                               "message at queue offset %lld: the zlib body is corrupt or "
                               "inflates to more than %zu bytes",
                               (long long)rec->queue_offset, max_body);
    return 0;
}

static bool port_ok(int32_t port)
{
    return port >= 0 && port <= 65535; /* InetSocketAddress refuses others */
}

static int fill_ext(rocketmq_message_t *m, const rmq_record_t *rec, const char *broker_name)
{
    rmq_msg_ext_t *e = rmq_msg_ext_mut(m);
    if (!e)
        return ROCKETMQ_ERR__NO_MEMORY;
    e->queue_id = rec->queue_id;
    e->queue_offset = rec->queue_offset;
    e->commit_log_offset = rec->phys_offset;
    e->sys_flag = rec->sysflag;
    e->body_crc = rec->body_crc;
    e->born_timestamp = rec->born_timestamp;
    e->store_timestamp = rec->store_timestamp;
    e->reconsume_times = rec->reconsume_times;
    e->prepared_transaction_offset = rec->prepared_tx_offset;
    format_host(&rec->born_host, e->born_host, sizeof(e->born_host));
    format_host(&rec->store_host, e->store_host, sizeof(e->store_host));
    rmq_msg_id_encode(&rec->store_host, rec->phys_offset, e->offset_msg_id);
    rmq_str_copy(e->broker_name, sizeof(e->broker_name), broker_name ? broker_name : "");
    return 0;
}

/* One record into a new message; *out NULL on error. */
static int decode_one(const rmq_record_t *rec, const char *broker_name, size_t max_body,
                      rocketmq_message_t **out)
{
    *out = NULL;
    if (!port_ok(rec->born_host.port) || !port_ok(rec->store_host.port))
        return rmq_client_fail(ROCKETMQ_ERR__PROTOCOL,
                               "message at queue offset %lld: host port out of range",
                               (long long)rec->queue_offset);
    rocketmq_message_t *m = calloc(1, sizeof(*m));
    if (!m)
        return ROCKETMQ_ERR__NO_MEMORY;
    m->flag = rec->flag;
    int rc = ROCKETMQ_ERR__NO_MEMORY;
    if (!(m->topic = dup_bytes(rec->topic, (size_t)rec->topic_len)))
        goto err;
    if ((rc = decode_body(m, rec, max_body)) != 0 ||
        (rc = decode_props(m, rec->properties, (size_t)rec->properties_len)) != 0 ||
        (rc = fill_ext(m, rec, broker_name)) != 0)
        goto err;
    *out = m;
    return 0;
err:
    rocketmq_message_destroy(m);
    if (rc == ROCKETMQ_ERR__NO_MEMORY)
        return rmq_client_fail(rc, "out of memory decoding a message");
    return rc;
}

int rmq_msgs_decode(const uint8_t *body, size_t len, const char *broker_name, size_t max_body,
                    rocketmq_message_t ***msgs, size_t *n)
{
    *msgs = NULL;
    *n = 0;
    rocketmq_message_t **arr = NULL;
    size_t cnt = 0, cap = 0;
    int rc = 0;
    for (size_t off = 0; off < len;) {
        rmq_record_t rec;
        rmq_record_status_t st = rmq_record_parse(body + off, len - off, false, &rec);
        if (st != RMQ_RECORD_OK) {
            /* A BLANK marker belongs to commit-log files, never to a body. */
            rc = rmq_client_fail(ROCKETMQ_ERR__PROTOCOL,
                                 "malformed message record at byte %zu of a %zu-byte body", off,
                                 len);
            goto err;
        }
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            rocketmq_message_t **na = realloc(arr, ncap * sizeof(*na));
            if (!na) {
                rc = rmq_client_fail(ROCKETMQ_ERR__NO_MEMORY, "out of memory decoding messages");
                goto err;
            }
            arr = na;
            cap = ncap;
        }
        if ((rc = decode_one(&rec, broker_name, max_body, &arr[cnt])) != 0)
            goto err;
        cnt++;
        off += (size_t)rec.total_size;
    }
    *msgs = arr;
    *n = cnt;
    return 0;
err:
    rocketmq_messages_free(arr, cnt);
    return rc;
}
