/* JetStream publish load generator for bench/peers.sh: the raw NATS client
 * protocol over TCP, libc only (engine and options: bench/pub_load.h).
 *
 *   nats_load --addr 127.0.0.1:PORT [--conns 16] [--inflight 1] [--size 128]
 *             [--seconds 10] [--warmup 1] [--name bench]
 *
 * Set-up: creates the stream NAME (file storage, limits retention, one
 * replica) on subject NAME.p through $JS.API.STREAM.CREATE.NAME; the server
 * must run with JetStream (-js).  Each connection then sends CONNECT,
 * subscribes to its own inbox _INBOX.<conn>.*, and once its PING is answered
 * publishes "PUB NAME.p _INBOX.<conn>.<seq> <size>" with a body of --size
 * bytes.  JetStream answers every stored message on the reply subject with
 * {"stream":"NAME","seq":N}: that is the acknowledgement counted, matched to
 * its publish by the reply subject, so --inflight K keeps K publishes
 * outstanding on one connection (as JetStream's asynchronous publish does);
 * a reply carrying "error" counts as failed. */
#include "pub_load.h"

#define SETUP_TIMEOUT_MS 5000

static const char CONNECT_LINE[] =
    "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":false,\"echo\":false,"
    "\"lang\":\"c\",\"version\":\"0\",\"protocol\":1,\"name\":\"nats_load\"}\r\n";

/* Reads complete lines until a MSG with its payload arrived; the payload is
 * copied to out (NUL-terminated).  0 or -1. */
static int setup_wait_msg(int fd, pl_buf_t *in, char *out, size_t out_size)
{
    for (;;) {
        long eol;
        while ((eol = pl_find_crlf(in->data, in->len)) >= 0) {
            if (strncmp(in->data, "-ERR", 4) == 0) {
                fprintf(stderr, "nats_load: server error: %.*s\n", (int)eol, in->data);
                return -1;
            }
            if (strncmp(in->data, "MSG ", 4) != 0) {
                pl_buf_consume(in, (size_t)eol + 2);
                continue;
            }
            const char *sp = in->data + eol;
            while (sp > in->data && sp[-1] != ' ')
                sp--;
            size_t len = strtoul(sp, NULL, 10);
            if (in->len < (size_t)eol + 2 + len + 2)
                break; /* payload still coming */
            size_t n = len < out_size - 1 ? len : out_size - 1;
            memcpy(out, in->data + eol + 2, n);
            out[n] = '\0';
            pl_buf_consume(in, (size_t)eol + 2 + len + 2);
            return 0;
        }
        if (pl_read_some(fd, in, SETUP_TIMEOUT_MS) < 0) {
            fprintf(stderr, "nats_load: no answer to the stream creation within %d ms "
                            "(is JetStream enabled, -js?)\n",
                    SETUP_TIMEOUT_MS);
            return -1;
        }
    }
}

static int nats_setup(pl_bench_t *b, int fd)
{
    const char *name = b->opt.name;
    char cfg[512], req[1024];
    int clen = snprintf(cfg, sizeof(cfg),
                        "{\"name\":\"%s\",\"subjects\":[\"%s.p\"],\"retention\":\"limits\","
                        "\"max_consumers\":-1,\"max_msgs\":-1,\"max_bytes\":-1,\"max_age\":0,"
                        "\"max_msg_size\":-1,\"storage\":\"file\",\"discard\":\"old\","
                        "\"num_replicas\":1}",
                        name, name);
    int rlen = snprintf(req, sizeof(req),
                        "%sSUB _INBOX.setup 1\r\nPUB $JS.API.STREAM.CREATE.%s _INBOX.setup %d\r\n"
                        "%s\r\nPING\r\n",
                        CONNECT_LINE, name, clen, cfg);
    if (pl_write_all(fd, req, (size_t)rlen) < 0) {
        fprintf(stderr, "nats_load: write: %s\n", strerror(errno));
        return -1;
    }
    pl_buf_t in = {0};
    char reply[2048];
    int rc = setup_wait_msg(fd, &in, reply, sizeof(reply));
    free(in.data);
    if (rc < 0)
        return -1;
    if (strstr(reply, "\"error\"")) {
        fprintf(stderr, "nats_load: stream creation refused: %s\n", reply);
        return -1;
    }
    return 0;
}

static void nats_hello(pl_bench_t *b, pl_conn_t *c)
{
    pl_buf_append(&c->out, CONNECT_LINE, sizeof(CONNECT_LINE) - 1);
    pl_buf_puts(&c->out, "SUB _INBOX.");
    pl_buf_u64(&c->out, (uint64_t)c->idx);
    pl_buf_puts(&c->out, ".* 1\r\nPING\r\n");
}

static void nats_publish(pl_bench_t *b, pl_conn_t *c)
{
    pl_buf_t *o = &c->out;
    pl_buf_puts(o, "PUB ");
    pl_buf_puts(o, b->opt.name);
    pl_buf_puts(o, ".p _INBOX.");
    pl_buf_u64(o, (uint64_t)c->idx);
    pl_buf_append(o, ".", 1);
    pl_buf_u64(o, c->seq);
    pl_buf_append(o, " ", 1);
    pl_buf_u64(o, (uint64_t)b->opt.size);
    pl_buf_append(o, "\r\n", 2);
    pl_buf_append(o, b->body, (size_t)b->opt.size);
    pl_buf_append(o, "\r\n", 2);
}

static long nats_parse(pl_bench_t *b, pl_conn_t *c, const char *p, size_t n)
{
    size_t off = 0;
    for (;;) {
        long eol = pl_find_crlf(p + off, n - off);
        if (eol < 0)
            return (long)off;
        const char *line = p + off;
        size_t next = off + (size_t)eol + 2;
        if (eol >= 4 && memcmp(line, "MSG ", 4) == 0) {
            /* MSG _INBOX.<conn>.<seq> <sid> <bytes>: the size is the last
             * token, the publish number the subject's last part. */
            const char *sp = line + eol;
            while (sp > line && sp[-1] != ' ')
                sp--;
            size_t len = strtoul(sp, NULL, 10);
            const char *subj_end = memchr(line + 4, ' ', (size_t)eol - 4);
            const char *dot =
                subj_end ? memrchr(line + 4, '.', (size_t)(subj_end - (line + 4))) : NULL;
            if (!dot)
                return -1;
            uint64_t seq = strtoull(dot + 1, NULL, 10);
            if (n - next < len + 2)
                return (long)off; /* payload still coming */
            const char *payload = p + next;
            bool err = memmem(payload, len, "\"error\"", 7) != NULL;
            bool has_seq = memmem(payload, len, "\"seq\"", 5) != NULL;
            if (err && c->b->total_failed == 0)
                fprintf(stderr, "nats_load: first refused publish: %.*s\n", (int)len, payload);
            if (pl_ack_seq(c, seq, has_seq && !err) < 0)
                return -1;
            next += len + 2;
        } else if (eol == 4 && memcmp(line, "PING", 4) == 0) {
            pl_buf_append(&c->out, "PONG\r\n", 6);
            pl_mark_dirty(c);
        } else if (eol == 4 && memcmp(line, "PONG", 4) == 0) {
            pl_ready(c);
        } else if (eol >= 4 && memcmp(line, "-ERR", 4) == 0) {
            fprintf(stderr, "nats_load: server error: %.*s\n", (int)eol, line);
            return -1;
        }
        /* INFO and +OK need nothing. */
        off = next;
    }
}

static const pl_proto_t NATS_PROTO = {
    .tool = "nats_load",
    .setup = nats_setup,
    .hello = nats_hello,
    .publish = nats_publish,
    .parse = nats_parse,
};

int main(int argc, char **argv)
{
    return pl_main(argc, argv, &NATS_PROTO);
}
