/* rmq-broker publish load generator for bench/peers.sh: the RocketMQ
 * remoting protocol over TCP (protocol.md 1), libc only, the same engine as
 * the peers' generators (bench/pub_load.h), so the three servers see the
 * same client.
 *
 *   rmq_load --addr 127.0.0.1:BROKER_PORT [--conns 16] [--inflight 1]
 *            [--size 128] [--seconds 10] [--warmup 1] [--name bench]
 *
 * Set-up: UPDATE_AND_CREATE_TOPIC creates topic NAME with 8 read and 8 write
 * queues.  Each connection then sends SEND_MESSAGE_V2 requests as the Java
 * producer does (producer group, topic, queue chosen round robin, born
 * timestamp, properties UNIQ_KEY = a fresh 32-hex-digit id and WAIT = true,
 * body of --size bytes; the opaque numbers the publishes of a connection);
 * a response with code SUCCESS (0) is the acknowledgement counted, any other
 * code counts as failed.  Responses are matched by opaque, so --inflight K
 * carries K sends at once on one connection, as RocketMQ's Java and C
 * clients multiplex the sends of all their threads over one connection per
 * broker. */
#include "pub_load.h"

#define CODE_UPDATE_AND_CREATE_TOPIC 17
#define CODE_SEND_MESSAGE_V2 310
#define VERSION_4_9_8 409
#define FLAG_RESPONSE 0x1
#define QUEUES 8
#define MAX_FRAME (16u * 1024 * 1024)
#define SETUP_TIMEOUT_MS 5000
/* Opaques are positive ints: a publish's number modulo 2^31. */
#define OPAQUE_MASK 0x7FFFFFFFull

/* Fixed part of every UNIQ_KEY: 127.0.0.1, pid, then zeros; the last 12
 * hex digits count messages. */
static char g_uniq_prefix[21];
static uint64_t g_uniq_counter;

static void be32_put(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

static uint32_t be32_get(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* Starts a frame in o: room for the two length words; returns its offset. */
static size_t frame_begin(pl_buf_t *o)
{
    size_t start = o->len;
    pl_buf_reserve(o, 8);
    o->len += 8;
    return start;
}

/* Fills in the length words once header (and body) are appended. */
static void frame_end(pl_buf_t *o, size_t start, size_t header_len)
{
    be32_put(o->data + start, (uint32_t)(o->len - start - 4));
    be32_put(o->data + start + 4, (uint32_t)header_len); /* serialize type 0: JSON */
}

/* The integer value of top-level "key" (given quoted, with its colon) in a
 * JSON response header, or -1 if there is none.  The top-level fields come
 * before anything nested (fastjson sorts them). */
static long header_int(const char *h, size_t hlen, const char *key)
{
    size_t klen = strlen(key);
    const char *k = memmem(h, hlen, key, klen);
    if (!k)
        return -1;
    return strtol(k + klen, NULL, 10);
}

static long header_code(const char *h, size_t hlen)
{
    return header_int(h, hlen, "\"code\":");
}

/* One complete frame at p (length word included) or 0 if more is needed;
 * -1 on a malformed frame.  Sets *header, *hlen, *flag. */
static long frame_parse(const char *p, size_t n, const char **header, size_t *hlen, long *flag)
{
    if (n < 8)
        return 0;
    uint32_t flen = be32_get(p);
    if (flen < 4 || flen > MAX_FRAME)
        return -1;
    if (n - 4 < flen)
        return 0;
    uint32_t hl = be32_get(p + 4) & 0xFFFFFF;
    if (hl > flen - 4)
        return -1;
    *header = p + 8;
    *hlen = hl;
    const char *f = memmem(*header, hl, "\"flag\":", 7);
    *flag = f ? strtol(f + 7, NULL, 10) : 0;
    return (long)flen + 4;
}

static int rmq_setup(pl_bench_t *b, int fd)
{
    pl_buf_t o = {0}, in = {0};
    int rc = -1;
    size_t start = frame_begin(&o);
    char h[512];
    int hl = snprintf(h, sizeof(h),
                      "{\"code\":%d,\"extFields\":{\"defaultTopic\":\"TBW102\",\"order\":\"false\","
                      "\"perm\":\"6\",\"readQueueNums\":\"%d\",\"topic\":\"%s\","
                      "\"topicFilterType\":\"SINGLE_TAG\",\"topicSysFlag\":\"0\","
                      "\"writeQueueNums\":\"%d\"},\"flag\":0,\"language\":\"CPP\",\"opaque\":1,"
                      "\"serializeTypeCurrentRPC\":\"JSON\",\"version\":%d}",
                      CODE_UPDATE_AND_CREATE_TOPIC, QUEUES, b->opt.name, QUEUES, VERSION_4_9_8);
    if (hl < 0 || (size_t)hl >= sizeof(h))
        goto out; /* cannot happen: --name is at most 64 characters */
    pl_buf_append(&o, h, (size_t)hl);
    frame_end(&o, start, (size_t)hl);
    if (pl_write_all(fd, o.data, o.len) < 0) {
        fprintf(stderr, "rmq_load: write: %s\n", strerror(errno));
        goto out;
    }
    for (;;) {
        const char *hdr;
        size_t hlen;
        long flag;
        long used = frame_parse(in.data, in.len, &hdr, &hlen, &flag);
        if (used < 0) {
            fprintf(stderr, "rmq_load: malformed frame from the broker\n");
            goto out;
        }
        if (used > 0) {
            if (header_code(hdr, hlen) != 0) {
                fprintf(stderr, "rmq_load: UPDATE_AND_CREATE_TOPIC refused: %.*s\n", (int)hlen, hdr);
                goto out;
            }
            rc = 0;
            goto out;
        }
        if (pl_read_some(fd, &in, SETUP_TIMEOUT_MS) < 0) {
            fprintf(stderr, "rmq_load: no answer to UPDATE_AND_CREATE_TOPIC within %d ms\n",
                    SETUP_TIMEOUT_MS);
            goto out;
        }
    }
out:
    free(o.data);
    free(in.data);
    return rc;
}

static void append_hex(pl_buf_t *o, uint64_t v, int digits)
{
    static const char hex[] = "0123456789ABCDEF";
    char tmp[16];
    for (int i = digits - 1; i >= 0; i--, v >>= 4)
        tmp[i] = hex[v & 0xF];
    pl_buf_append(o, tmp, (size_t)digits);
}

static void rmq_publish(pl_bench_t *b, pl_conn_t *c)
{
    pl_buf_t *o = &c->out;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t born_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    size_t start = frame_begin(o);
    pl_buf_puts(o, "{\"code\":310,\"extFields\":{\"a\":\"bench_producer\",\"b\":\"");
    pl_buf_puts(o, b->opt.name);
    pl_buf_puts(o, "\",\"c\":\"TBW102\",\"d\":\"4\",\"e\":\"");
    pl_buf_u64(o, (uint64_t)(c->idx + c->seq) % QUEUES);
    pl_buf_puts(o, "\",\"f\":\"0\",\"g\":\"");
    pl_buf_u64(o, born_ms);
    pl_buf_puts(o, "\",\"h\":\"0\",\"i\":\"UNIQ_KEY\\u0001");
    pl_buf_puts(o, g_uniq_prefix);
    append_hex(o, ++g_uniq_counter, 12);
    pl_buf_puts(o, "\\u0002WAIT\\u0001true\\u0002\",\"j\":\"0\",\"k\":\"false\",\"m\":\"false\"},"
                   "\"flag\":0,\"language\":\"CPP\",\"opaque\":");
    pl_buf_u64(o, c->seq & OPAQUE_MASK);
    pl_buf_puts(o, ",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":409}");
    size_t header_len = o->len - start - 8;
    pl_buf_append(o, b->body, (size_t)b->opt.size);
    frame_end(o, start, header_len);
}

static long rmq_parse(pl_bench_t *b, pl_conn_t *c, const char *p, size_t n)
{
    size_t off = 0;
    for (;;) {
        const char *hdr;
        size_t hlen;
        long flag;
        long used = frame_parse(p + off, n - off, &hdr, &hlen, &flag);
        if (used <= 0)
            return used < 0 ? -1 : (long)off;
        off += (size_t)used;
        if (!(flag & FLAG_RESPONSE))
            continue; /* a request from the broker: nothing a producer must answer here */
        long code = header_code(hdr, hlen);
        long opaque = header_int(hdr, hlen, "\"opaque\":");
        if (opaque < 0)
            return -1;
        /* The latest publish number whose low 31 bits the opaque is. */
        uint64_t seq = (c->seq & ~OPAQUE_MASK) | (uint64_t)opaque;
        if (seq >= c->seq)
            seq -= OPAQUE_MASK + 1;
        if (code != 0 && c->b->total_failed == 0)
            fprintf(stderr, "rmq_load: first refused send: %.*s\n", (int)hlen, hdr);
        if (pl_ack_seq(c, seq, code == 0) < 0)
            return -1;
    }
}

static const pl_proto_t RMQ_PROTO = {
    .tool = "rmq_load",
    .setup = rmq_setup,
    .publish = rmq_publish,
    .parse = rmq_parse,
};

int main(int argc, char **argv)
{
    snprintf(g_uniq_prefix, sizeof(g_uniq_prefix), "7F000001%04X00000000",
             (unsigned)getpid() & 0xFFFFu);
    return pl_main(argc, argv, &RMQ_PROTO);
}
