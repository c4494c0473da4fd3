/* Bare length-prefixed echo server: the floor of the transport benchmark.
 *
 * It does what any RocketMQ server must do at minimum per request (read a
 * frame whose first 4 bytes are its big-endian length, write a frame back) and
 * nothing else, so `bench/namesrv.sh` can compare rmq-namesrv against the best
 * this machine, libuv and one loop thread can do.
 *
 * Usage: echo_server PORT   (binds 127.0.0.1; PORT 0 picks an ephemeral port)
 * Prints "listening on 127.0.0.1:<port>" once bound; exits on SIGINT/SIGTERM. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/buf.h"
#include "base/mem.h"

/* Same ceiling as the Java decoder (protocol.md 1.2); a larger length means a
 * broken peer, and buffering it would only eat memory. */
#define MAX_FRAME (16u * 1024 * 1024)
#define READ_CHUNK (64u * 1024)
/* Stop reading from a peer that does not drain its replies. */
#define MAX_QUEUED (4u * 1024 * 1024)

typedef struct conn {
    uv_tcp_t tcp;
    rmq_buf_t in;
} conn_t;

typedef struct write_req {
    uv_write_t req;
    uint8_t data[];
} write_req_t;

static uv_tcp_t g_server;
static uv_signal_t g_sigint, g_sigterm;

static void on_conn_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    rmq_buf_free(&c->in);
    free(c);
}

static void conn_close(conn_t *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    conn_t *c = h->data;
    rmq_buf_reserve(&c->in, READ_CHUNK);
    buf->base = (char *)c->in.data + c->in.len;
    buf->len = c->in.cap - c->in.len;
}

/* Length of the run of complete frames at the start of p, or -1 if a frame
 * announces an absurd length. */
static long complete_frames(const uint8_t *p, size_t len)
{
    size_t off = 0;
    while (len - off >= 4) {
        uint32_t flen = rmq_be32(p + off);
        if (flen > MAX_FRAME)
            return -1;
        if (len - off - 4 < flen)
            break;
        off += 4 + (size_t)flen;
    }
    return (long)off;
}

static void on_write(uv_write_t *req, int status)
{
    uv_stream_t *s = req->handle;
    free(req);
    if (status < 0)
        conn_close(s->data);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Completion of the write that made echo_bytes pause reading: nothing was
 * queued after it, so the peer has drained its replies and may send again. */
static void on_write_resume(uv_write_t *req, int status)
{
    uv_stream_t *s = req->handle;
    on_write(req, status);
    if (status >= 0 && !uv_is_closing((uv_handle_t *)s))
        uv_read_start(s, on_alloc, on_read);
}

/* Sends p[0..len) with a direct write when the socket takes it all (the
 * usual case, no allocation); queues a copy of whatever is left otherwise. */
static int echo_bytes(conn_t *c, const uint8_t *p, size_t len)
{
    uv_stream_t *s = (uv_stream_t *)&c->tcp;
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)len);
    int n = uv_try_write(s, &b, 1);
    if (n == (int)len)
        return 0;
    if (n < 0 && n != UV_EAGAIN)
        return n;
    size_t done = n > 0 ? (size_t)n : 0;
    size_t left = len - done;
    write_req_t *w = rmq_malloc(sizeof(*w) + left);
    memcpy(w->data, p + done, left);
    b = uv_buf_init((char *)w->data, (unsigned)left);
    bool pause = s->write_queue_size + left > MAX_QUEUED;
    int rc = uv_write(&w->req, s, &b, 1, pause ? on_write_resume : on_write);
    if (rc < 0) {
        free(w);
        return rc;
    }
    if (pause)
        uv_read_stop(s);
    return 0;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = s->data;
    if (nread < 0) {
        conn_close(c);
        return;
    }
    c->in.len += (size_t)nread;
    long whole = complete_frames(c->in.data, c->in.len);
    if (whole < 0) {
        conn_close(c);
        return;
    }
    if (whole == 0)
        return;
    /* One write for every frame this read completed: batching is what a
     * real server would do too, so the floor stays honest. */
    if (echo_bytes(c, c->in.data, (size_t)whole) < 0) {
        conn_close(c);
        return;
    }
    rmq_buf_consume(&c->in, (size_t)whole);
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    conn_t *c = rmq_calloc(1, sizeof(*c));
    uv_tcp_init(server->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void close_any(uv_handle_t *h, void *arg)
{
    if (uv_is_closing(h))
        return;
    /* Connections carry their conn_t in data; the rest are static. */
    uv_close(h, h->data ? on_conn_closed : NULL);
}

static void on_signal(uv_signal_t *sig, int signum)
{
    uv_walk(sig->loop, close_any, NULL);
}

static int start_listening(uv_loop_t *loop, int port)
{
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", port, &addr);
    uv_tcp_init(loop, &g_server);
    int rc = uv_tcp_bind(&g_server, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&g_server, 1024, on_connection);
    if (rc < 0) {
        fprintf(stderr, "echo_server: cannot listen on 127.0.0.1:%d: %s\n", port, uv_strerror(rc));
        return -1;
    }
    struct sockaddr_storage bound;
    int blen = sizeof(bound);
    uv_tcp_getsockname(&g_server, (struct sockaddr *)&bound, &blen);
    printf("listening on 127.0.0.1:%d\n", ntohs(((struct sockaddr_in *)&bound)->sin_port));
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    long port = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    if (argc != 2 || *end != '\0' || port < 0 || port > 65535) {
        fprintf(stderr, "usage: echo_server PORT   (0 = ephemeral)\n");
        return 2;
    }
    uv_loop_t *loop = uv_default_loop();
    if (start_listening(loop, (int)port) < 0)
        return 1;
    uv_signal_init(loop, &g_sigint);
    uv_signal_init(loop, &g_sigterm);
    uv_signal_start(&g_sigint, on_signal, SIGINT);
    uv_signal_start(&g_sigterm, on_signal, SIGTERM);
    uv_run(loop, UV_RUN_DEFAULT);
    return uv_loop_close(loop) == 0 ? 0 : 1;
}
