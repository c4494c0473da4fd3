/* Shared engine of the load generators of bench/peers.sh (bench/rmq_load.c,
 * bench/nats_load.c, bench/redis_load.c): persisted publishes with
 * acknowledgements over plain TCP, libc only, one thread, one epoll loop.
 *
 *   <tool> --addr 127.0.0.1:PORT [--conns 16] [--inflight 1] [--size 128]
 *          [--seconds 10] [--warmup 1] [--name bench]
 *
 * Every connection keeps --inflight publishes outstanding: the next one
 * leaves as soon as an acknowledgement comes back.  16 in flight is either
 * --conns 1 --inflight 16 (16 threads sharing one client that multiplexes
 * their sends over one connection, as RocketMQ's clients do) or --conns 16
 * --inflight 1 (a connection per thread, each blocked in a synchronous
 * send).  Writes are gathered per loop turn, one write(2) per connection.
 *
 * --seconds 0 runs the protocol's set-up only (e.g. creates the stream) and
 * prints nothing.
 *
 * Prints one JSON line: tool, conns, inflight, size, seconds, sent, acked,
 * failed, tps, p50_us, p99_us (acknowledgements received after the warm-up,
 * latencies of those), and total_sent / total_acked (the whole run, warm-up
 * and the final drain included, to pair with whole-run CPU samples of the
 * server).  Exits non-zero on bad arguments, a failed set-up or a lost
 * connection.
 *
 * A protocol supplies a pl_proto_t: its set-up (a blocking exchange before
 * the load, e.g. creating a stream), the bytes a connection opens with, the
 * bytes of one publish, and a parser that reports complete replies. */
#ifndef RMQ_BENCH_PUB_LOAD_H
#define RMQ_BENCH_PUB_LOAD_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PL_MAX_INFLIGHT 1024
#define PL_READ_CHUNK (64u * 1024)
#define PL_CONNECT_TIMEOUT_MS 5000
#define PL_DRAIN_TIMEOUT_MS 3000

/* Log-linear latency histogram in microseconds: exact below 128 µs, then 64
 * buckets per power of two (under 1.6 % error), capped at 2^27 µs. */
#define PL_HIST_SUB_BITS 6
#define PL_HIST_SUB (1u << PL_HIST_SUB_BITS)
#define PL_HIST_MAX_BIT 27
#define PL_HIST_BUCKETS (2 * PL_HIST_SUB + (PL_HIST_MAX_BIT - PL_HIST_SUB_BITS - 1) * PL_HIST_SUB)

typedef struct pl_buf {
    char *data;
    size_t len;
    size_t cap;
} pl_buf_t;

typedef struct pl_options {
    char host[64];
    int port;
    int conns;
    int inflight;
    int size;
    int seconds;
    int warmup;
    const char *name;
} pl_options_t;

struct pl_bench;

typedef struct pl_conn {
    int fd;
    int idx;
    struct pl_bench *b;
    pl_buf_t in;
    pl_buf_t out;
    size_t out_off;     /* bytes of out already written */
    bool want_write;    /* EPOLLOUT armed */
    bool dirty;         /* on the flush list this turn */
    bool ready;         /* handshake answered; publishes may flow */
    int outstanding;    /* publishes sent, not yet acknowledged */
    /* Publish number seq is in slot seq % PL_MAX_INFLIGHT until answered. */
    uint64_t sent_ns[PL_MAX_INFLIGHT];
    uint64_t sent_seq[PL_MAX_INFLIGHT]; /* seq + 1; 0: the slot is free */
    uint64_t seq;       /* number of the next publish on this connection */
    uint64_t fifo_next; /* pl_ack: the publish its next reply answers */
} pl_conn_t;

typedef struct pl_proto {
    const char *tool;
    /* Optional blocking set-up on a connection of its own; 0 or -1. */
    int (*setup)(struct pl_bench *b, int fd);
    /* Appends what a connection sends first; its reply must call
     * pl_ready(c).  NULL: the connection is ready at once. */
    void (*hello)(struct pl_bench *b, pl_conn_t *c);
    /* Appends one publish of b->body; c->seq is its number (its first is 0). */
    void (*publish)(struct pl_bench *b, pl_conn_t *c);
    /* Consumes complete replies from p[0..n), calling pl_ready, and pl_ack
     * (replies in publish order) or pl_ack_seq (replies naming the publish)
     * for each; returns the bytes consumed, or -1 on a protocol error. */
    long (*parse)(struct pl_bench *b, pl_conn_t *c, const char *p, size_t n);
} pl_proto_t;

typedef struct pl_bench {
    pl_options_t opt;
    const pl_proto_t *proto;
    char *body;
    int epfd;
    pl_conn_t *conns;
    pl_conn_t **flush;
    int nflush;
    int nready;
    bool measuring;
    bool stopping;
    uint64_t start_ns;
    uint64_t measure_start_ns;
    uint64_t measure_end_ns;
    uint64_t sent;
    uint64_t acked;
    uint64_t failed;
    uint64_t total_sent;
    uint64_t total_acked;
    uint64_t total_failed;
    uint64_t hist[PL_HIST_BUCKETS];
} pl_bench_t;

/* ---- small helpers -------------------------------------------------------- */

static inline uint64_t pl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void pl_die(const char *what)
{
    fprintf(stderr, "%s\n", what);
    exit(1);
}

static inline void pl_buf_reserve(pl_buf_t *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        pl_die("pub_load: out of memory");
    b->data = p;
    b->cap = cap;
}

static inline void pl_buf_append(pl_buf_t *b, const void *p, size_t n)
{
    pl_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline void pl_buf_puts(pl_buf_t *b, const char *s)
{
    pl_buf_append(b, s, strlen(s));
}

/* Appends v in decimal, without printf. */
static inline void pl_buf_u64(pl_buf_t *b, uint64_t v)
{
    char tmp[24];
    int i = (int)sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    pl_buf_append(b, tmp + i, sizeof(tmp) - (size_t)i);
}

static inline void pl_buf_consume(pl_buf_t *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

/* Finds "\r\n" in p[0..n); returns its offset or -1. */
static inline long pl_find_crlf(const char *p, size_t n)
{
    const char *q = p;
    while (n > 1) {
        const char *cr = memchr(q, '\r', n - 1);
        if (!cr)
            return -1;
        if (cr[1] == '\n')
            return (long)(cr - p);
        n -= (size_t)(cr - q) + 1;
        q = cr + 1;
    }
    return -1;
}

/* ---- histogram ------------------------------------------------------------ */

static inline unsigned pl_hist_index(uint64_t us)
{
    if (us >= (1ull << PL_HIST_MAX_BIT))
        us = (1ull << PL_HIST_MAX_BIT) - 1;
    if (us < 2 * PL_HIST_SUB)
        return (unsigned)us;
    unsigned msb = 63u - (unsigned)__builtin_clzll(us);
    unsigned shift = msb - PL_HIST_SUB_BITS;
    return 2 * PL_HIST_SUB + (shift - 1) * PL_HIST_SUB + (unsigned)((us >> shift) - PL_HIST_SUB);
}

static inline uint64_t pl_hist_value(unsigned idx)
{
    if (idx < 2 * PL_HIST_SUB)
        return idx;
    unsigned shift = (idx - 2 * PL_HIST_SUB) / PL_HIST_SUB + 1;
    uint64_t mant = (idx - 2 * PL_HIST_SUB) % PL_HIST_SUB + PL_HIST_SUB;
    return (mant << shift) + ((1ull << shift) >> 1);
}

static inline uint64_t pl_hist_percentile(const pl_bench_t *b, double pct)
{
    if (b->acked == 0)
        return 0;
    uint64_t rank = (uint64_t)(pct / 100.0 * (double)b->acked + 0.5);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < PL_HIST_BUCKETS; i++) {
        seen += b->hist[i];
        if (seen >= rank)
            return pl_hist_value(i);
    }
    return pl_hist_value(PL_HIST_BUCKETS - 1);
}

/* ---- blocking helpers for set-up ------------------------------------------ */

static inline int pl_connect(const pl_options_t *o)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
    if (inet_pton(AF_INET, o->host, &addr.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static inline int pl_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads more bytes into in, waiting up to timeout_ms; 0 or -1. */
static inline int pl_read_some(int fd, pl_buf_t *in, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int rc = poll(&pfd, 1, timeout_ms);
    if (rc <= 0)
        return -1;
    pl_buf_reserve(in, PL_READ_CHUNK);
    ssize_t r = read(fd, in->data + in->len, in->cap - in->len);
    if (r <= 0)
        return -1;
    in->len += (size_t)r;
    return 0;
}

/* ---- the load ------------------------------------------------------------- */

static inline void pl_mark_dirty(pl_conn_t *c)
{
    if (!c->dirty) {
        c->dirty = true;
        c->b->flush[c->b->nflush++] = c;
    }
}

static inline void pl_conn_fail(pl_conn_t *c, const char *what, int err)
{
    fprintf(stderr, "%s: connection %d: %s%s%s\n", c->b->proto->tool, c->idx, what,
            err ? ": " : "", err ? strerror(err) : "");
    exit(1);
}

static inline void pl_send_publish(pl_bench_t *b, pl_conn_t *c, uint64_t now)
{
    unsigned slot = (unsigned)(c->seq % PL_MAX_INFLIGHT);
    if (c->sent_seq[slot] != 0)
        pl_conn_fail(c, "a publish unanswered for too long", 0);
    c->sent_ns[slot] = now;
    c->sent_seq[slot] = c->seq + 1;
    c->outstanding++;
    b->total_sent++;
    if (b->measuring)
        b->sent++;
    b->proto->publish(b, c);
    c->seq++;
    pl_mark_dirty(c);
}

/* Fills a ready connection up to --inflight publishes. */
static inline void pl_top_up(pl_bench_t *b, pl_conn_t *c, uint64_t now)
{
    while (!b->stopping && c->ready && c->outstanding < b->opt.inflight)
        pl_send_publish(b, c, now);
}

/* The handshake of c was answered. */
static inline void pl_ready(pl_conn_t *c)
{
    if (c->ready)
        return;
    c->ready = true;
    c->b->nready++;
}

/* One acknowledgement (ok) or refusal (!ok) of c's publish number seq;
 * -1 if that publish is not outstanding (the parser lost its place). */
static inline int pl_ack_seq(pl_conn_t *c, uint64_t seq, bool ok)
{
    pl_bench_t *b = c->b;
    unsigned slot = (unsigned)(seq % PL_MAX_INFLIGHT);
    if (c->sent_seq[slot] != seq + 1)
        return -1;
    c->sent_seq[slot] = 0;
    uint64_t sent = c->sent_ns[slot];
    c->outstanding--;
    if (ok)
        b->total_acked++;
    else
        b->total_failed++;
    if (b->measuring && sent >= b->measure_start_ns) {
        if (ok) {
            b->acked++;
            b->hist[pl_hist_index((pl_now_ns() - sent) / 1000)]++;
        } else {
            b->failed++;
        }
    }
    return 0;
}

/* The same for protocols that answer in publish order: the oldest one. */
static inline int pl_ack(pl_conn_t *c, bool ok)
{
    return pl_ack_seq(c, c->fifo_next++, ok);
}

static inline void pl_flush_conn(pl_bench_t *b, pl_conn_t *c)
{
    c->dirty = false;
    while (c->out_off < c->out.len) {
        ssize_t w = write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w < 0)
            pl_conn_fail(c, "write", errno);
        c->out_off += (size_t)w;
    }
    if (c->out_off == c->out.len) {
        c->out.len = 0;
        c->out_off = 0;
    }
    bool want = c->out_off < c->out.len;
    if (want != c->want_write) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0u), .data.ptr = c};
        if (epoll_ctl(b->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
            pl_conn_fail(c, "epoll_ctl", errno);
        c->want_write = want;
    }
}

static inline void pl_on_readable(pl_bench_t *b, pl_conn_t *c)
{
    for (;;) {
        pl_buf_reserve(&c->in, PL_READ_CHUNK);
        ssize_t r = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r < 0)
            pl_conn_fail(c, "read", errno);
        if (r == 0)
            pl_conn_fail(c, "closed by the server", 0);
        c->in.len += (size_t)r;
        if ((size_t)r < PL_READ_CHUNK)
            break;
    }
    long used = b->proto->parse(b, c, c->in.data, c->in.len);
    if (used < 0)
        pl_conn_fail(c, "unexpected reply", 0);
    pl_buf_consume(&c->in, (size_t)used);
    pl_top_up(b, c, pl_now_ns());
}

static inline void pl_open_conns(pl_bench_t *b)
{
    for (int i = 0; i < b->opt.conns; i++) {
        pl_conn_t *c = &b->conns[i];
        c->idx = i;
        c->b = b;
        c->fd = pl_connect(&b->opt);
        if (c->fd < 0)
            pl_conn_fail(c, "connect", errno);
        int fl = fcntl(c->fd, F_GETFL);
        if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0)
            pl_conn_fail(c, "non-blocking mode", errno);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
            pl_conn_fail(c, "epoll_ctl", errno);
        if (b->proto->hello) {
            b->proto->hello(b, c);
            pl_mark_dirty(c);
        } else {
            pl_ready(c);
        }
    }
}

/* One epoll turn: read what arrived, top up, then one write per connection. */
static inline void pl_turn(pl_bench_t *b, int timeout_ms)
{
    struct epoll_event evs[256];
    int n = epoll_wait(b->epfd, evs, 256, timeout_ms);
    if (n < 0 && errno != EINTR)
        pl_die("pub_load: epoll_wait failed");
    for (int i = 0; i < n; i++) {
        pl_conn_t *c = evs[i].data.ptr;
        if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
            pl_on_readable(b, c);
        if (evs[i].events & EPOLLOUT)
            pl_mark_dirty(c);
    }
    for (int i = 0; i < b->nflush; i++)
        pl_flush_conn(b, b->flush[i]);
    b->nflush = 0;
}

static inline int pl_timeout_ms(uint64_t now, uint64_t deadline)
{
    if (now >= deadline)
        return 0;
    uint64_t ms = (deadline - now + 999999) / 1000000;
    return ms > 1000 ? 1000 : (int)ms;
}

static inline void pl_run(pl_bench_t *b)
{
    uint64_t t0 = pl_now_ns();
    pl_open_conns(b);
    for (int i = 0; i < b->nflush; i++)
        pl_flush_conn(b, b->flush[i]);
    b->nflush = 0;
    /* Every handshake answered before the clock starts. */
    uint64_t deadline = t0 + (uint64_t)PL_CONNECT_TIMEOUT_MS * 1000000;
    while (b->nready < b->opt.conns) {
        uint64_t now = pl_now_ns();
        if (now >= deadline)
            pl_die("pub_load: connections not ready in time");
        pl_turn(b, pl_timeout_ms(now, deadline));
    }
    b->start_ns = pl_now_ns();
    b->measure_start_ns = b->start_ns + (uint64_t)b->opt.warmup * 1000000000u;
    b->measure_end_ns = b->measure_start_ns + (uint64_t)b->opt.seconds * 1000000000u;
    b->measuring = b->opt.warmup == 0;
    for (int i = 0; i < b->opt.conns; i++)
        pl_top_up(b, &b->conns[i], b->start_ns);
    for (int i = 0; i < b->nflush; i++)
        pl_flush_conn(b, b->flush[i]);
    b->nflush = 0;
    for (;;) {
        uint64_t now = pl_now_ns();
        if (!b->measuring && now >= b->measure_start_ns)
            b->measuring = true;
        if (now >= b->measure_end_ns)
            break;
        uint64_t next = b->measuring ? b->measure_end_ns : b->measure_start_ns;
        pl_turn(b, pl_timeout_ms(now, next));
    }
    /* Stop issuing, collect what is still in flight (not counted in tps). */
    b->measuring = false;
    b->stopping = true;
    deadline = pl_now_ns() + (uint64_t)PL_DRAIN_TIMEOUT_MS * 1000000;
    for (;;) {
        int left = 0;
        for (int i = 0; i < b->opt.conns; i++)
            left += b->conns[i].outstanding;
        uint64_t now = pl_now_ns();
        if (left == 0 || now >= deadline)
            break;
        pl_turn(b, pl_timeout_ms(now, deadline));
    }
}

/* ---- options and output --------------------------------------------------- */

static inline int pl_parse_int(const char *s, int min, int max, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static inline int pl_parse_addr(const char *s, pl_options_t *o)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || (size_t)(colon - s) >= sizeof(o->host) || colon == s)
        return -1;
    memcpy(o->host, s, (size_t)(colon - s));
    o->host[colon - s] = '\0';
    struct in_addr a;
    if (inet_pton(AF_INET, o->host, &a) != 1)
        return -1; /* a numeric IPv4 address: nothing here resolves names */
    return pl_parse_int(colon + 1, 1, 65535, &o->port);
}

static inline int pl_parse_option(pl_options_t *o, const char *name, const char *val)
{
    if (strcmp(name, "--addr") == 0)
        return pl_parse_addr(val, o);
    if (strcmp(name, "--conns") == 0)
        return pl_parse_int(val, 1, 4096, &o->conns);
    if (strcmp(name, "--inflight") == 0)
        return pl_parse_int(val, 1, PL_MAX_INFLIGHT, &o->inflight);
    if (strcmp(name, "--size") == 0)
        return pl_parse_int(val, 1, 1 << 20, &o->size);
    if (strcmp(name, "--seconds") == 0)
        return pl_parse_int(val, 0, 86400, &o->seconds);
    if (strcmp(name, "--warmup") == 0)
        return pl_parse_int(val, 0, 86400, &o->warmup);
    if (strcmp(name, "--name") == 0) {
        o->name = val;
        /* Spliced into protocol lines and JSON unescaped. */
        return val[0] == '\0' || strpbrk(val, "\"\\ \t\r\n*>.") || strlen(val) > 64 ? -1 : 0;
    }
    return -1;
}

static inline int pl_main(int argc, char **argv, const pl_proto_t *proto)
{
    static pl_bench_t bench;
    pl_bench_t *b = &bench;
    b->proto = proto;
    b->opt = (pl_options_t){.conns = 16, .inflight = 1, .size = 128, .seconds = 10,
                            .warmup = 1, .name = "bench"};
    bool have_addr = false;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc || pl_parse_option(&b->opt, argv[i], argv[i + 1]) < 0) {
            fprintf(stderr, "%s: bad option %s\n", proto->tool, argv[i]);
            fprintf(stderr,
                    "usage: %s --addr HOST:PORT [--conns N] [--inflight K] [--size BYTES] "
                    "[--seconds S] [--warmup S] [--name NAME]\n",
                    proto->tool);
            return 2;
        }
        have_addr |= strcmp(argv[i], "--addr") == 0;
    }
    if (!have_addr) {
        fprintf(stderr, "%s: --addr HOST:PORT is required\n", proto->tool);
        return 2;
    }
    if (proto->setup) {
        int fd = pl_connect(&b->opt);
        if (fd < 0) {
            fprintf(stderr, "%s: cannot connect to %s:%d: %s\n", proto->tool, b->opt.host,
                    b->opt.port, strerror(errno));
            return 1;
        }
        int rc = proto->setup(b, fd);
        close(fd);
        if (rc < 0)
            return 1;
    }
    if (b->opt.seconds == 0)
        return 0; /* set-up only */
    b->body = malloc((size_t)b->opt.size);
    b->conns = calloc((size_t)b->opt.conns, sizeof(pl_conn_t));
    b->flush = calloc((size_t)b->opt.conns, sizeof(pl_conn_t *));
    if (!b->body || !b->conns || !b->flush)
        pl_die("pub_load: out of memory");
    for (int i = 0; i < b->opt.size; i++)
        b->body[i] = (char)('a' + i % 26);
    b->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (b->epfd < 0)
        pl_die("pub_load: epoll_create1 failed");
    pl_run(b);
    double secs = (double)b->opt.seconds;
    printf("{\"tool\":\"%s\",\"conns\":%d,\"inflight\":%d,\"size\":%d,\"seconds\":%d,"
           "\"sent\":%llu,\"acked\":%llu,\"failed\":%llu,\"tps\":%.0f,\"p50_us\":%llu,"
           "\"p99_us\":%llu,\"total_sent\":%llu,\"total_acked\":%llu,\"total_failed\":%llu}\n",
           proto->tool, b->opt.conns, b->opt.inflight, b->opt.size, b->opt.seconds,
           (unsigned long long)b->sent, (unsigned long long)b->acked,
           (unsigned long long)b->failed, (double)b->acked / secs,
           (unsigned long long)pl_hist_percentile(b, 50),
           (unsigned long long)pl_hist_percentile(b, 99), (unsigned long long)b->total_sent,
           (unsigned long long)b->total_acked, (unsigned long long)b->total_failed);
    for (int i = 0; i < b->opt.conns; i++) {
        close(b->conns[i].fd);
        free(b->conns[i].in.data);
        free(b->conns[i].out.data);
    }
    close(b->epfd);
    free(b->conns);
    free(b->flush);
    free(b->body);
    return 0;
}

#endif
