/* Request/response load generator for the transport benchmark.
 *
 *   rr_load --addr 127.0.0.1:PORT --conns 16 --seconds 5 --mode echo|route
 *           [--topic TopicTest] [--warmup 1] [--size BYTES]
 *
 * Every connection keeps exactly one GET_ROUTEINFO_BY_TOPIC request (the JSON
 * frame of protocol.md 1.4) in flight, back to back, so the rate measures the
 * server's round trip and not its queueing.  In echo mode --size appends a
 * body of that many bytes to each request (the echo server returns the
 * whole frame), so the floor moves the bytes of a message of that size.
 * In route mode a broker serving the topic is registered first, over a
 * connection held open to the end because the name server drops a broker
 * when its connection closes.
 *
 * Prints one JSON line: mode, conns, size, seconds, requests, errors, rps, p50_us,
 * p99_us (counting only requests sent after the warm-up), plus
 * total_requests (warm-up included, to pair with whole-run CPU samples).
 * Exits non-zero on bad arguments, a failed registration or a lost connection. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/time.h"

#define CODE_REGISTER_BROKER 103
#define CODE_GET_ROUTEINFO_BY_TOPIC 105
#define VERSION_4_9_8 409
#define FLAG_RESPONSE 0x1
#define MAX_FRAME (16u * 1024 * 1024)
#define READ_CHUNK (64u * 1024)
#define REGISTER_TIMEOUT_MS 5000

/* Log-linear latency histogram in microseconds: exact below 128 µs, then 64
 * buckets per power of two (under 1.6 % error), capped at 2^27 µs (134 s). */
#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_BIT 27
#define HIST_BUCKETS (2 * HIST_SUB + (HIST_MAX_BIT - HIST_SUB_BITS - 1) * HIST_SUB)

typedef enum load_mode { MODE_ECHO, MODE_ROUTE } load_mode_t;

typedef struct options {
    char host[64];
    int port;
    int conns;
    int seconds;
    int warmup;
    load_mode_t mode;
    const char *topic;
    int size; /* echo mode: body bytes after the header */
} options_t;

/* GET_ROUTEINFO_BY_TOPIC header text before and after the opaque. */
typedef struct route_template {
    char prefix[384];
    char suffix[64];
} route_template_t;

struct bench;

typedef struct conn {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    struct bench *b;
    bool is_register;
    rmq_buf_t in;
    rmq_buf_t out; /* the request in flight, kept to check an echo against */
    int32_t opaque;
    uint64_t sent_ns;
} conn_t;

typedef struct bench {
    options_t opt;
    route_template_t route;
    uint8_t *body; /* opt.size bytes */
    uv_loop_t *loop;
    uv_timer_t timer;
    conn_t *conns;
    conn_t reg;
    bool registered;
    bool measuring;
    bool stopping;
    int exit_code;
    uint32_t next_opaque;
    uint64_t measure_start_ns;
    uint64_t measure_end_ns;
    uint64_t requests;
    uint64_t total_requests;
    uint64_t errors;
    uint64_t hist[HIST_BUCKETS];
} bench_t;

typedef struct write_req {
    uv_write_t req;
    uint8_t data[];
} write_req_t;

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void start_load(bench_t *b);

/* ---- histogram ---------------------------------------------------------- */

static unsigned hist_index(uint64_t us)
{
    if (us >= (1ull << HIST_MAX_BIT))
        us = (1ull << HIST_MAX_BIT) - 1;
    if (us < 2 * HIST_SUB)
        return (unsigned)us;
    unsigned msb = 63u - (unsigned)__builtin_clzll(us);
    unsigned shift = msb - HIST_SUB_BITS;
    return 2 * HIST_SUB + (shift - 1) * HIST_SUB + (unsigned)((us >> shift) - HIST_SUB);
}

/* Middle of the bucket's range, so the reported error is half a bucket. */
static uint64_t hist_value(unsigned idx)
{
    if (idx < 2 * HIST_SUB)
        return idx;
    unsigned shift = (idx - 2 * HIST_SUB) / HIST_SUB + 1;
    uint64_t mant = (idx - 2 * HIST_SUB) % HIST_SUB + HIST_SUB;
    return (mant << shift) + ((1ull << shift) >> 1);
}

static uint64_t hist_percentile(const bench_t *b, double pct)
{
    if (b->requests == 0)
        return 0;
    uint64_t rank = (uint64_t)(pct / 100.0 * (double)b->requests + 0.5);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += b->hist[i];
        if (seen >= rank)
            return hist_value(i);
    }
    return hist_value(HIST_BUCKETS - 1);
}

/* ---- frames ------------------------------------------------------------- */

/* Appends one JSON-header frame (protocol.md 1.1, 2.6) with the given body. */
static void frame_begin(rmq_buf_t *f)
{
    f->len = 0;
    rmq_buf_append_be32(f, 0);
    rmq_buf_append_be32(f, 0);
}

static void frame_end(rmq_buf_t *f, size_t header_len)
{
    rmq_put_be32(f->data, (uint32_t)(f->len - 4));
    rmq_put_be32(f->data + 4, (uint32_t)header_len); /* type 0 = JSON */
}

/* The route request differs between sends only in its opaque, so the text
 * around it is formatted once and the digits are spliced in per request:
 * the generator shares the two cores with the server and must stay cheap. */
static void build_route_request(rmq_buf_t *f, const route_template_t *t, int32_t opaque)
{
    char digits[16];
    int n = 0;
    for (uint32_t v = (uint32_t)opaque; n == 0 || v != 0; v /= 10)
        digits[n++] = (char)('0' + v % 10);
    frame_begin(f);
    rmq_buf_append_str(f, t->prefix);
    rmq_buf_reserve(f, (size_t)n);
    while (n > 0)
        f->data[f->len++] = (uint8_t)digits[--n];
    rmq_buf_append_str(f, t->suffix);
    frame_end(f, f->len - 8);
}

static void route_template_init(route_template_t *t, const char *topic)
{
    snprintf(t->prefix, sizeof(t->prefix),
             "{\"code\":%d,\"extFields\":{\"topic\":\"%s\"},\"flag\":0,\"language\":\"CPP\","
             "\"opaque\":",
             CODE_GET_ROUTEINFO_BY_TOPIC, topic);
    snprintf(t->suffix, sizeof(t->suffix), ",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":%d}",
             VERSION_4_9_8);
}

/* RegisterBrokerBody (protocol.md 5.8) announcing the topic on 4+4 queues. */
static void append_register_body(rmq_buf_t *f, const char *topic, long long now_ms)
{
    rmq_buf_printf(f,
                   "{\"filterServerList\":[],\"topicConfigSerializeWrapper\":{\"dataVersion\":"
                   "{\"counter\":1,\"timestamp\":%lld},\"topicConfigTable\":{\"%s\":"
                   "{\"order\":false,\"perm\":6,\"readQueueNums\":4,\"topicFilterType\":"
                   "\"SINGLE_TAG\",\"topicName\":\"%s\",\"topicSysFlag\":0,\"writeQueueNums\":4}}}}",
                   now_ms, topic, topic);
}

static void build_register_request(rmq_buf_t *f, const char *topic, int32_t opaque)
{
    frame_begin(f);
    rmq_buf_printf(f,
                   "{\"code\":%d,\"extFields\":{\"brokerName\":\"bench-broker-a\","
                   "\"brokerAddr\":\"127.0.0.1:10911\",\"clusterName\":\"BenchCluster\","
                   "\"haServerAddr\":\"127.0.0.1:10912\",\"brokerId\":\"0\","
                   "\"compressed\":\"false\",\"bodyCrc32\":\"0\"},\"flag\":0,"
                   "\"language\":\"CPP\",\"opaque\":%d,\"serializeTypeCurrentRPC\":\"JSON\","
                   "\"version\":%d}",
                   CODE_REGISTER_BROKER, opaque, VERSION_4_9_8);
    size_t header_len = f->len - 8;
    append_register_body(f, topic, (long long)rmq_now_ms());
    frame_end(f, header_len);
}

/* Finds `"key":` in a JSON header and reads the integer after it.  This is
 * not a JSON parser: the top-level fields of a RocketMQ header come before
 * anything nested that could repeat the name (fastjson sorts them). */
static int header_int(const uint8_t *h, size_t hlen, const char *key, long long *out)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i + klen < hlen; i++) {
        if (h[i] != '"' || memcmp(h + i, key, klen) != 0)
            continue;
        size_t j = i + klen;
        bool neg = j < hlen && h[j] == '-';
        j += neg;
        if (j >= hlen || h[j] < '0' || h[j] > '9')
            return -1;
        long long v = 0;
        while (j < hlen && h[j] >= '0' && h[j] <= '9')
            v = v * 10 + (h[j++] - '0');
        *out = neg ? -v : v;
        return 0;
    }
    return -1;
}

/* A response is good if it is a JSON response to our opaque with code 0. */
static bool route_response_ok(const uint8_t *f, size_t flen, int32_t opaque)
{
    if (flen < 4)
        return false;
    uint32_t word = rmq_be32(f);
    size_t hlen = word & 0xFFFFFF;
    if ((word >> 24) != 0 || hlen > flen - 4)
        return false;
    const uint8_t *h = f + 4;
    long long code, flag, op;
    if (header_int(h, hlen, "\"code\":", &code) < 0 || header_int(h, hlen, "\"flag\":", &flag) < 0 ||
        header_int(h, hlen, "\"opaque\":", &op) < 0)
        return false;
    return code == 0 && (flag & FLAG_RESPONSE) && op == opaque;
}

/* ---- run control -------------------------------------------------------- */

static void close_conn(conn_t *c)
{
    if (c->b != NULL && !uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, NULL);
}

static void stop_run(bench_t *b, int exit_code)
{
    if (b->stopping)
        return;
    b->stopping = true;
    b->exit_code = exit_code;
    if (b->measuring)
        b->measure_end_ns = uv_hrtime();
    uv_timer_stop(&b->timer);
    uv_close((uv_handle_t *)&b->timer, NULL);
    close_conn(&b->reg);
    for (int i = 0; i < b->opt.conns; i++)
        close_conn(&b->conns[i]);
}

static void fail(conn_t *c, const char *what, int status)
{
    bench_t *b = c->b;
    if (b->stopping)
        return;
    fprintf(stderr, "rr_load: %s connection: %s%s%s\n", c->is_register ? "register" : "load",
            what, status ? ": " : "", status ? uv_strerror(status) : "");
    stop_run(b, 1);
}

static void on_end_timer(uv_timer_t *t)
{
    stop_run(t->data, 0);
}

static void on_warmup_timer(uv_timer_t *t)
{
    bench_t *b = t->data;
    b->measuring = true;
    b->measure_start_ns = uv_hrtime();
    uv_timer_start(&b->timer, on_end_timer, (uint64_t)b->opt.seconds * 1000, 0);
}

static void on_register_timeout(uv_timer_t *t)
{
    bench_t *b = t->data;
    fprintf(stderr, "rr_load: no REGISTER_BROKER response within %d ms\n", REGISTER_TIMEOUT_MS);
    stop_run(b, 1);
}

/* ---- connections -------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    conn_t *c = h->data;
    rmq_buf_reserve(&c->in, READ_CHUNK);
    buf->base = (char *)c->in.data + c->in.len;
    buf->len = c->in.cap - c->in.len;
}

static void on_write(uv_write_t *req, int status)
{
    conn_t *c = req->handle->data;
    free(req);
    if (status < 0 && status != UV_ECANCELED)
        fail(c, "write", status);
}

/* Writes c->out: directly when the socket takes it all (always, for frames
 * this small), through a queued copy otherwise. */
static void send_out(conn_t *c)
{
    uv_stream_t *s = (uv_stream_t *)&c->tcp;
    uv_buf_t b = uv_buf_init((char *)c->out.data, (unsigned)c->out.len);
    c->sent_ns = uv_hrtime();
    int n = uv_try_write(s, &b, 1);
    if (n == (int)c->out.len)
        return;
    if (n < 0 && n != UV_EAGAIN) {
        fail(c, "write", n);
        return;
    }
    size_t done = n > 0 ? (size_t)n : 0;
    write_req_t *w = rmq_malloc(sizeof(*w) + c->out.len - done);
    memcpy(w->data, c->out.data + done, c->out.len - done);
    b = uv_buf_init((char *)w->data, (unsigned)(c->out.len - done));
    int rc = uv_write(&w->req, s, &b, 1, on_write);
    if (rc < 0) {
        free(w);
        fail(c, "write", rc);
    }
}

/* Positive and wrapping, like the C++ client's counter (protocol.md 2.3). */
static int32_t next_opaque(bench_t *b)
{
    return (int32_t)(b->next_opaque++ & 0x7FFFFFFF);
}

static void send_next_request(conn_t *c)
{
    bench_t *b = c->b;
    c->opaque = next_opaque(b);
    build_route_request(&c->out, &b->route, c->opaque);
    if (b->opt.mode == MODE_ECHO && b->opt.size > 0) {
        rmq_buf_append(&c->out, b->body, (size_t)b->opt.size);
        rmq_put_be32(c->out.data, (uint32_t)(c->out.len - 4)); /* header length stays */
    }
    send_out(c);
}

static void record(bench_t *b, conn_t *c, bool ok)
{
    b->total_requests++;
    if (!b->measuring || c->sent_ns < b->measure_start_ns)
        return;
    if (!ok) {
        b->errors++;
        return;
    }
    b->requests++;
    b->hist[hist_index((uv_hrtime() - c->sent_ns) / 1000)]++;
}

static bool response_ok(bench_t *b, conn_t *c, const uint8_t *frame, size_t flen)
{
    if (b->opt.mode == MODE_ROUTE)
        return route_response_ok(frame, flen, c->opaque);
    return flen + 4 == c->out.len && memcmp(frame, c->out.data + 4, flen) == 0;
}

static void on_register_response(conn_t *c, const uint8_t *frame, size_t flen)
{
    bench_t *b = c->b;
    if (b->registered)
        return; /* the name server has nothing more to say to a broker */
    if (!route_response_ok(frame, flen, c->opaque)) {
        size_t hlen = flen >= 4 ? rmq_be32(frame) & 0xFFFFFF : 0;
        hlen = hlen <= flen - 4 ? hlen : 0;
        fprintf(stderr, "rr_load: REGISTER_BROKER failed, response header: %.*s\n", (int)hlen,
                (const char *)frame + 4);
        stop_run(b, 1);
        return;
    }
    b->registered = true;
    uv_timer_stop(&b->timer);
    start_load(b);
}

static void on_frame(conn_t *c, const uint8_t *frame, size_t flen)
{
    bench_t *b = c->b;
    if (c->is_register) {
        on_register_response(c, frame, flen);
        return;
    }
    record(b, c, response_ok(b, c, frame, flen));
    if (!b->stopping)
        send_next_request(c);
}

/* Hands every complete frame (without its length prefix) to on_frame. */
static int drain_frames(conn_t *c)
{
    size_t off = 0;
    while (c->in.len - off >= 4 && !c->b->stopping) {
        uint32_t flen = rmq_be32(c->in.data + off);
        if (flen > MAX_FRAME)
            return -1;
        if (c->in.len - off - 4 < flen)
            break;
        on_frame(c, c->in.data + off + 4, flen);
        off += 4 + (size_t)flen;
    }
    rmq_buf_consume(&c->in, off);
    return 0;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = s->data;
    if (nread < 0) {
        fail(c, nread == UV_EOF ? "closed by server" : "read", nread == UV_EOF ? 0 : (int)nread);
        return;
    }
    c->in.len += (size_t)nread;
    if (drain_frames(c) < 0)
        fail(c, "oversized frame", 0);
}

static void on_connect(uv_connect_t *req, int status)
{
    conn_t *c = req->handle->data;
    if (status == UV_ECANCELED)
        return;
    if (status < 0) {
        fail(c, "connect", status);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (c->is_register) {
        c->opaque = next_opaque(c->b);
        build_register_request(&c->out, c->b->opt.topic, c->opaque);
        send_out(c);
    } else {
        send_next_request(c);
    }
}

static void open_conn(bench_t *b, conn_t *c, bool is_register)
{
    struct sockaddr_in addr;
    uv_ip4_addr(b->opt.host, b->opt.port, &addr); /* validated by parse_addr */
    c->b = b;
    c->is_register = is_register;
    uv_tcp_init(b->loop, &c->tcp);
    c->tcp.data = c;
    int rc = uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&addr, on_connect);
    if (rc < 0)
        fail(c, "connect", rc);
}

static void start_load(bench_t *b)
{
    uint64_t warmup_ms = (uint64_t)b->opt.warmup * 1000;
    uv_timer_start(&b->timer, on_warmup_timer, warmup_ms, 0);
    for (int i = 0; i < b->opt.conns && !b->stopping; i++)
        open_conn(b, &b->conns[i], false);
}

/* ---- main --------------------------------------------------------------- */

static int parse_int(const char *s, int min, int max, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_addr(const char *s, options_t *o)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || (size_t)(colon - s) >= sizeof(o->host) || colon == s)
        return -1;
    memcpy(o->host, s, (size_t)(colon - s));
    o->host[colon - s] = '\0';
    struct sockaddr_in addr;
    if (uv_ip4_addr(o->host, 0, &addr) < 0)
        return -1; /* a numeric IPv4 address: nothing here resolves names */
    return parse_int(colon + 1, 1, 65535, &o->port);
}

static int parse_option(options_t *o, const char *name, const char *val)
{
    if (strcmp(name, "--addr") == 0)
        return parse_addr(val, o);
    if (strcmp(name, "--conns") == 0)
        return parse_int(val, 1, 10000, &o->conns);
    if (strcmp(name, "--seconds") == 0)
        return parse_int(val, 1, 86400, &o->seconds);
    if (strcmp(name, "--warmup") == 0)
        return parse_int(val, 0, 86400, &o->warmup);
    if (strcmp(name, "--size") == 0)
        return parse_int(val, 0, 4 * 1024 * 1024, &o->size);
    if (strcmp(name, "--topic") == 0) {
        o->topic = val;
        /* Spliced into JSON unescaped, and into a fixed-size template. */
        return strpbrk(val, "\"\\") || strlen(val) > 255 ? -1 : 0;
    }
    if (strcmp(name, "--mode") == 0) {
        o->mode = strcmp(val, "route") == 0 ? MODE_ROUTE : MODE_ECHO;
        return strcmp(val, "route") == 0 || strcmp(val, "echo") == 0 ? 0 : -1;
    }
    return -1;
}

static int parse_args(int argc, char **argv, options_t *o)
{
    *o = (options_t){.conns = 16, .seconds = 5, .warmup = 1, .mode = MODE_ECHO,
                     .topic = "TopicTest"};
    bool have_addr = false;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc || parse_option(o, argv[i], argv[i + 1]) < 0) {
            fprintf(stderr, "rr_load: bad option %s\n", argv[i]);
            return -1;
        }
        have_addr |= strcmp(argv[i], "--addr") == 0;
    }
    if (!have_addr)
        fprintf(stderr, "rr_load: --addr HOST:PORT is required\n");
    return have_addr ? 0 : -1;
}

static void print_result(const bench_t *b)
{
    double secs = (double)(b->measure_end_ns - b->measure_start_ns) / 1e9;
    double rps = secs > 0 ? (double)b->requests / secs : 0;
    printf("{\"mode\":\"%s\",\"conns\":%d,\"size\":%d,\"seconds\":%d,\"requests\":%llu,"
           "\"errors\":%llu,\"rps\":%.0f,\"p50_us\":%llu,\"p99_us\":%llu,"
           "\"total_requests\":%llu}\n",
           b->opt.mode == MODE_ROUTE ? "route" : "echo", b->opt.conns, b->opt.size, b->opt.seconds,
           (unsigned long long)b->requests, (unsigned long long)b->errors, rps,
           (unsigned long long)hist_percentile(b, 50), (unsigned long long)hist_percentile(b, 99),
           (unsigned long long)b->total_requests);
}

static void free_bench(bench_t *b)
{
    rmq_buf_free(&b->reg.in);
    rmq_buf_free(&b->reg.out);
    for (int i = 0; i < b->opt.conns; i++) {
        rmq_buf_free(&b->conns[i].in);
        rmq_buf_free(&b->conns[i].out);
    }
    free(b->conns);
    free(b->body);
    free(b);
}

int main(int argc, char **argv)
{
    bench_t *b = rmq_calloc(1, sizeof(*b));
    if (parse_args(argc, argv, &b->opt) < 0) {
        fprintf(stderr, "usage: rr_load --addr HOST:PORT [--conns N] [--seconds S] "
                        "[--mode echo|route] [--topic T] [--warmup S] [--size BYTES]\n");
        free(b);
        return 2;
    }
    b->loop = uv_default_loop();
    b->conns = rmq_calloc((size_t)b->opt.conns, sizeof(conn_t));
    b->next_opaque = 1;
    route_template_init(&b->route, b->opt.topic);
    b->body = rmq_malloc((size_t)b->opt.size + 1);
    memset(b->body, 'x', (size_t)b->opt.size);
    uv_timer_init(b->loop, &b->timer);
    b->timer.data = b;
    if (b->opt.mode == MODE_ROUTE) {
        uv_timer_start(&b->timer, on_register_timeout, REGISTER_TIMEOUT_MS, 0);
        open_conn(b, &b->reg, true);
    } else {
        start_load(b);
    }
    uv_run(b->loop, UV_RUN_DEFAULT);
    int rc = b->exit_code;
    if (rc == 0)
        print_result(b);
    uv_loop_close(b->loop);
    free_bench(b);
    return rc;
}
