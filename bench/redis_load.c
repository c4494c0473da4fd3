/* Redis Streams publish load generator for bench/peers.sh: RESP over TCP,
 * libc only (engine and options: bench/pub_load.h).
 *
 *   redis_load --addr 127.0.0.1:PORT [--conns 16] [--inflight 1] [--size 128]
 *              [--seconds 10] [--warmup 1] [--name bench]
 *
 * Each connection sends PING (its +PONG makes it ready), then
 * "XADD NAME * f <body>" with a body of --size bytes; the new entry's id
 * (a bulk string) is the acknowledgement counted, an error reply counts as
 * failed.  Replies come in request order, so --inflight K pipelines K XADDs
 * on one connection.  Whether an acknowledged entry is on disk is the server's
 * appendfsync setting (bench/peers.sh: appendonly yes, everysec). */
#include "pub_load.h"

static void redis_hello(pl_bench_t *b, pl_conn_t *c)
{
    pl_buf_puts(&c->out, "*1\r\n$4\r\nPING\r\n");
}

/* Appends one RESP bulk string. */
static void bulk(pl_buf_t *o, const char *p, size_t n)
{
    pl_buf_append(o, "$", 1);
    pl_buf_u64(o, n);
    pl_buf_append(o, "\r\n", 2);
    pl_buf_append(o, p, n);
    pl_buf_append(o, "\r\n", 2);
}

static void redis_publish(pl_bench_t *b, pl_conn_t *c)
{
    pl_buf_t *o = &c->out;
    pl_buf_puts(o, "*5\r\n$4\r\nXADD\r\n");
    bulk(o, b->opt.name, strlen(b->opt.name));
    pl_buf_puts(o, "$1\r\n*\r\n$1\r\nf\r\n");
    bulk(o, b->body, (size_t)b->opt.size);
}

static long redis_parse(pl_bench_t *b, pl_conn_t *c, const char *p, size_t n)
{
    size_t off = 0;
    for (;;) {
        long eol = pl_find_crlf(p + off, n - off);
        if (eol < 0)
            return (long)off;
        const char *line = p + off;
        size_t next = off + (size_t)eol + 2;
        switch (line[0]) {
        case '+': /* +PONG to the handshake */
            if (c->ready)
                return -1;
            pl_ready(c);
            break;
        case '$': { /* the entry id */
            long len = strtol(line + 1, NULL, 10);
            if (len < 0)
                return -1; /* a nil: XADD without NOMKSTREAM never answers it */
            if (n - next < (size_t)len + 2)
                return (long)off;
            next += (size_t)len + 2;
            if (pl_ack(c, true) < 0)
                return -1;
            break;
        }
        case '-':
            if (c->b->total_failed == 0)
                fprintf(stderr, "redis_load: first refused XADD: %.*s\n", (int)eol, line);
            if (!c->ready) {
                fprintf(stderr, "redis_load: PING refused\n");
                return -1;
            }
            if (pl_ack(c, false) < 0)
                return -1;
            break;
        default:
            return -1;
        }
        off = next;
    }
}

static const pl_proto_t REDIS_PROTO = {
    .tool = "redis_load",
    .hello = redis_hello,
    .publish = redis_publish,
    .parse = redis_parse,
};

int main(int argc, char **argv)
{
    return pl_main(argc, argv, &REDIS_PROTO);
}
