#include "remoting/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "remoting/conn_int.h"
#include "rocketmq/error.h"

#define TICK_MS 50
#define READ_CHUNK 65536
/* A read buffer grown past this by a large frame is given back once empty. */
#define READ_BUF_KEEP (1024 * 1024)

typedef struct pending {
    rmq_response_cb cb;
    void *arg;
    int64_t deadline;
} pending_t;

static atomic_uint_fast64_t g_next_id = 1;

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static rmq_conn_t *conn_new(rmq_loop_t *loop, size_t max_frame, const rmq_conn_handlers_t *h)
{
    rmq_conn_t *c = rmq_calloc(1, sizeof(*c));
    c->loop = loop;
    atomic_init(&c->refs, 1); /* owned by the open handles */
    c->id = atomic_fetch_add(&g_next_id, 1);
    c->h = *h;
    c->max_frame = max_frame ? max_frame : RMQ_FRAME_MAX_DEFAULT;
    c->pending = rmq_map_new();
    rmq_outq_init(&c->outq);
    c->last_active = rmq_mono_ms();
    uv_tcp_init(rmq_loop_uv(loop), &c->tcp);
    uv_timer_init(rmq_loop_uv(loop), &c->tick);
    c->tcp.data = c;
    c->tick.data = c;
    c->open_handles = 2;
    return c;
}

void rmq_conn_keep(rmq_conn_t *c)
{
    atomic_fetch_add(&c->refs, 1);
}

void rmq_conn_release(rmq_conn_t *c)
{
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    rmq_buf_free(&c->in);
    rmq_outq_free(&c->outq);
    rmq_map_free(c->pending, free);
    free(c->target);
    free(c);
}

bool rmq_conn_is_open(const rmq_conn_t *c)
{
    return c->state != CONN_CLOSING;
}

const char *rmq_conn_peer(const rmq_conn_t *c)
{
    return c->peer;
}

uint64_t rmq_conn_id(const rmq_conn_t *c)
{
    return c->id;
}

const char *rmq_conn_target(const rmq_conn_t *c)
{
    return c->target;
}

rmq_loop_t *rmq_conn_loop(const rmq_conn_t *c)
{
    return c->loop;
}

int64_t rmq_conn_last_active_ms(const rmq_conn_t *c)
{
    return c->last_active;
}

size_t rmq_conn_pending_count(const rmq_conn_t *c)
{
    return rmq_map_size(c->pending);
}

static void format_addr(const struct sockaddr_storage *ss, char *out, size_t n)
{
    char ip[INET6_ADDRSTRLEN] = "";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        uv_ip4_name(a, ip, sizeof(ip));
        port = ntohs(a->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        uv_ip6_name(a, ip, sizeof(ip));
        port = ntohs(a->sin6_port);
    }
    snprintf(out, n, "%s:%d", ip, port);
}

static void on_handle_closed(uv_handle_t *h)
{
    rmq_conn_t *c = h->data;
    if (--c->open_handles == 0)
        rmq_conn_release(c);
}

/* Takes every waiter out of the table first: callbacks may issue requests. */
static pending_t **take_pending(rmq_conn_t *c, bool expired_only, int64_t now, size_t *n)
{
    pending_t **out = rmq_malloc(sizeof(*out) * (rmq_map_size(c->pending) + 1));
    size_t k = 0;
    rmq_map_iter_t it;
    const char *key;
    size_t klen;
    void *v;
    rmq_map_iter_init(&it, c->pending);
    while (rmq_map_iter_next(&it, &key, &klen, &v)) {
        pending_t *p = v;
        if (expired_only && p->deadline > now)
            continue;
        rmq_map_del(c->pending, key, klen);
        out[k++] = p;
    }
    *n = k;
    return out;
}

static void fail_pending(pending_t **list, size_t n, int err)
{
    for (size_t i = 0; i < n; i++) {
        list[i]->cb(err, NULL, list[i]->arg);
        free(list[i]);
    }
    free(list);
}

void rmq_conn_close(rmq_conn_t *c, const char *why)
{
    if (c->state == CONN_CLOSING)
        return;
    c->state = CONN_CLOSING;
    RMQ_LOGD("remoting", "closing connection %s%s: %s", c->peer,
             c->target ? c->target : "", why);
    rmq_conn_keep(c); /* the close callbacks below may drop the last other ref */
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->tick, on_handle_closed);
    size_t n;
    pending_t **list = take_pending(c, false, 0, &n);
    fail_pending(list, n, ROCKETMQ_ERR__TRANSPORT);
    if (c->h.on_close)
        c->h.on_close(c, c->h.ud);
    rmq_conn_release(c);
}

static void on_tick(uv_timer_t *t)
{
    rmq_conn_t *c = t->data;
    int64_t now = rmq_mono_ms();
    if ((c->state == CONN_RESOLVING || c->state == CONN_CONNECTING) &&
        now >= c->connect_deadline) {
        RMQ_LOGW("remoting", "connect to %s timed out", c->target);
        rmq_conn_close(c, "connect timeout");
        return;
    }
    size_t n;
    pending_t **list = take_pending(c, true, now, &n);
    rmq_conn_keep(c);
    fail_pending(list, n, ROCKETMQ_ERR__TIMEOUT);
    if (c->state == CONN_OPEN && rmq_map_size(c->pending) == 0) {
        uv_timer_stop(&c->tick);
        c->tick_running = false;
    }
    rmq_conn_release(c);
}

static void start_tick(rmq_conn_t *c)
{
    if (c->tick_running || c->state == CONN_CLOSING)
        return;
    c->tick_running = true;
    uv_timer_start(&c->tick, on_tick, TICK_MS, TICK_MS);
}

static void on_write(uv_write_t *req, int status)
{
    rmq_conn_t *c = req->data;
    c->writing = false;
    if (status < 0) {
        rmq_conn_close(c, uv_strerror(status));
    } else {
        rmq_outq_done_inflight(&c->outq);
        if (!rmq_outq_empty(&c->outq))
            rmq_conn_flush(c);
    }
    rmq_conn_release(c);
}

#define FLUSH_BUFS 64

void rmq_conn_flush(rmq_conn_t *c)
{
    rmq_outq_consume(&c->outq, 0); /* drops chunks with nothing left in them */
    if (c->state != CONN_OPEN || c->writing || rmq_outq_empty(&c->outq))
        return;
    /* Try the write now; only what the socket refuses waits for a callback. */
    uv_buf_t bufs[FLUSH_BUFS];
    rmq_out_chunk_t *last;
    size_t nb = rmq_outq_bufs(&c->outq, bufs, FLUSH_BUFS, &last);
    int n = uv_try_write((uv_stream_t *)&c->tcp, bufs, (unsigned)nb);
    if (n < 0 && n != UV_EAGAIN) {
        rmq_conn_close(c, uv_strerror(n));
        return;
    }
    if (n > 0)
        rmq_outq_consume(&c->outq, (size_t)n);
    if (rmq_outq_empty(&c->outq))
        return;
    nb = rmq_outq_bufs(&c->outq, bufs, FLUSH_BUFS, &last);
    rmq_outq_mark_inflight(&c->outq, last);
    c->writing = true;
    c->wreq.data = c;
    rmq_conn_keep(c);
    int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, bufs, (unsigned)nb, on_write);
    if (rc < 0) {
        c->writing = false;
        rmq_outq_mark_inflight(&c->outq, NULL);
        rmq_conn_close(c, uv_strerror(rc));
        rmq_conn_release(c);
    }
}

int rmq_conn_send(rmq_conn_t *c, const rmq_cmd_t *cmd)
{
    if (c->state == CONN_CLOSING)
        return ROCKETMQ_ERR__TRANSPORT;
    int rc = rmq_cmd_encode(cmd, rmq_outq_tail_buf(&c->outq));
    if (rc != 0)
        return rc;
    if (c->state == CONN_OPEN)
        rmq_loop_mark_dirty(c->loop, c);
    return 0;
}

int rmq_conn_send_parts(rmq_conn_t *c, const rmq_cmd_t *cmd, const rmq_part_t *parts, size_t n,
                        rmq_release_fn release, void *arg)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += parts[i].len;
    int rc = c->state == CONN_CLOSING ? ROCKETMQ_ERR__TRANSPORT : 0;
    rmq_buf_t *b = rc == 0 ? rmq_outq_tail_buf(&c->outq) : NULL;
    size_t start = b ? b->len : 0;
    if (rc == 0 && (cmd->body_len != 0 || total > (size_t)INT32_MAX / 2))
        rc = ROCKETMQ_ERR__INVALID_ARG;
    if (rc == 0)
        rc = rmq_cmd_encode(cmd, b);
    if (rc != 0 || n == 0) {
        if (release)
            release(arg);
        if (rc == 0 && c->state == CONN_OPEN)
            rmq_loop_mark_dirty(c->loop, c);
        return rc;
    }
    /* The frame's length covers the parts that follow it. */
    rmq_put_be32(b->data + start, rmq_be32(b->data + start) + (uint32_t)total);
    for (size_t i = 0; i < n; i++)
        rmq_outq_add_ext(&c->outq, parts[i].p, parts[i].len, i + 1 == n ? release : NULL, arg);
    if (c->state == CONN_OPEN)
        rmq_loop_mark_dirty(c->loop, c);
    return 0;
}

void rmq_conn_reply_parts(rmq_conn_t *c, const rmq_cmd_t *req, rmq_cmd_t *resp,
                          const rmq_part_t *parts, size_t n, rmq_release_fn release, void *arg)
{
    if (rmq_cmd_is_oneway(req)) {
        if (release)
            release(arg);
    } else {
        resp->opaque = req->opaque;
        resp->flag |= RMQ_FLAG_RESPONSE;
        resp->serialize_type = req->serialize_type;
        rmq_conn_send_parts(c, resp, parts, n, release, arg);
    }
    rmq_cmd_free(resp);
}

void rmq_conn_request(rmq_conn_t *c, rmq_cmd_t *req, int timeout_ms, rmq_response_cb cb,
                      void *arg)
{
    req->flag &= ~RMQ_FLAG_RESPONSE;
    int rc = c->state == CONN_CLOSING ? ROCKETMQ_ERR__TRANSPORT : 0;
    pending_t *p = NULL;
    if (rc == 0) {
        p = rmq_malloc(sizeof(*p));
        p->cb = cb;
        p->arg = arg;
        p->deadline = rmq_mono_ms() + timeout_ms;
        pending_t *old = rmq_imap_put(c->pending, req->opaque, p);
        if (old) { /* opaque reuse after 2^31 requests: the old waiter lost */
            old->cb(ROCKETMQ_ERR__TIMEOUT, NULL, old->arg);
            free(old);
        }
        rc = rmq_conn_send(c, req);
        if (rc != 0)
            rmq_imap_del(c->pending, req->opaque);
    }
    rmq_cmd_free(req);
    if (rc != 0) {
        free(p);
        cb(rc, NULL, arg);
        return;
    }
    start_tick(c);
}

void rmq_conn_reply(rmq_conn_t *c, const rmq_cmd_t *req, rmq_cmd_t *resp)
{
    if (!rmq_cmd_is_oneway(req)) {
        resp->opaque = req->opaque;
        resp->flag |= RMQ_FLAG_RESPONSE;
        resp->serialize_type = req->serialize_type;
        int rc = rmq_conn_send(c, resp);
        if (rc != 0 && rc != ROCKETMQ_ERR__TRANSPORT)
            RMQ_LOGW("remoting", "cannot encode response to code %d for %s: %s", req->code,
                     c->peer, rocketmq_err_str(rc));
    }
    rmq_cmd_free(resp);
}

void rmq_conn_reply_not_supported(rmq_conn_t *c, const rmq_cmd_t *req)
{
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_REQUEST_CODE_NOT_SUPPORTED, NULL);
    rmq_cmd_set_remark(resp, " request type %d not supported", req->code);
    rmq_conn_reply(c, req, resp);
}

static void dispatch(rmq_conn_t *c, rmq_cmd_t *cmd)
{
    if (rmq_cmd_is_response(cmd)) {
        pending_t *p = rmq_imap_del(c->pending, cmd->opaque);
        if (!p) {
            RMQ_LOGD("remoting", "response with unknown opaque %d from %s (late?)", cmd->opaque,
                     c->peer);
            rmq_cmd_free(cmd);
            return;
        }
        p->cb(0, cmd, p->arg);
        free(p);
        return;
    }
    if (c->h.on_request) {
        c->h.on_request(c, cmd, c->h.ud);
        return;
    }
    rmq_conn_reply_not_supported(c, cmd);
    rmq_cmd_free(cmd);
}

static void process_input(rmq_conn_t *c)
{
    size_t off = 0;
    while (c->state == CONN_OPEN) {
        size_t flen;
        const char *why = NULL;
        int rc = rmq_frame_check(c->in.data + off, c->in.len - off, c->max_frame, &flen, &why);
        if (rc == 0)
            break;
        if (rc < 0) {
            RMQ_LOGW("remoting", "closing %s: %s", c->peer, why);
            rmq_conn_close(c, why);
            break;
        }
        rmq_cmd_t *cmd;
        char err[160];
        if (rmq_cmd_decode(c->in.data + off, flen, &cmd, err, sizeof(err)) != 0) {
            RMQ_LOGW("remoting", "closing %s: %s", c->peer, err);
            rmq_conn_close(c, err);
            break;
        }
        off += flen;
        dispatch(c, cmd);
    }
    rmq_buf_consume(&c->in, off);
    if (c->in.len == 0 && c->in.cap > READ_BUF_KEEP)
        rmq_buf_free(&c->in);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    rmq_conn_t *c = h->data;
    (void)suggested;
    rmq_buf_reserve(&c->in, READ_CHUNK);
    *buf = uv_buf_init((char *)c->in.data + c->in.len, (unsigned)(c->in.cap - c->in.len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    rmq_conn_t *c = s->data;
    (void)buf;
    if (nread < 0) {
        rmq_conn_close(c, nread == UV_EOF ? "closed by peer" : uv_strerror((int)nread));
        return;
    }
    if (nread == 0)
        return;
    c->in.len += (size_t)nread;
    c->last_active = rmq_mono_ms();
    rmq_conn_keep(c);
    process_input(c);
    rmq_conn_release(c);
}

static void set_open(rmq_conn_t *c)
{
    c->state = CONN_OPEN;
    uv_tcp_nodelay(&c->tcp, 1);
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
        format_addr(&ss, c->peer, sizeof(c->peer));
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

rmq_conn_t *rmq_conn_accept(rmq_loop_t *loop, uv_stream_t *listener, size_t max_frame,
                            const rmq_conn_handlers_t *h)
{
    rmq_conn_t *c = conn_new(loop, max_frame, h);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        c->state = CONN_CONNECTING; /* not open: close without calling on_close */
        c->h.on_close = NULL;
        rmq_conn_close(c, "accept failed");
        return NULL;
    }
    set_open(c);
    return c;
}

static void on_connect(uv_connect_t *req, int status)
{
    rmq_conn_t *c = req->data;
    if (c->state != CONN_CLOSING) {
        if (status < 0) {
            RMQ_LOGW("remoting", "connect to %s failed: %s", c->target, uv_strerror(status));
            rmq_conn_close(c, "connect failed");
        } else {
            set_open(c);
            RMQ_LOGD("remoting", "connected to %s", c->target);
            if (rmq_map_size(c->pending) == 0) {
                uv_timer_stop(&c->tick);
                c->tick_running = false;
            }
            rmq_conn_flush(c);
        }
    }
    rmq_conn_release(c);
}

static void start_connect(rmq_conn_t *c, const struct sockaddr *sa)
{
    c->state = CONN_CONNECTING;
    c->creq.data = c;
    rmq_conn_keep(c);
    int rc = uv_tcp_connect(&c->creq, &c->tcp, sa, on_connect);
    if (rc < 0) {
        RMQ_LOGW("remoting", "connect to %s failed: %s", c->target, uv_strerror(rc));
        rmq_conn_close(c, "connect failed");
        rmq_conn_release(c);
    }
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    rmq_conn_t *c = req->data;
    if (c->state != CONN_CLOSING) {
        if (status < 0 || !res) {
            RMQ_LOGW("remoting", "cannot resolve %s: %s", c->target, uv_strerror(status));
            rmq_conn_close(c, "resolve failed");
        } else {
            start_connect(c, res->ai_addr);
        }
    }
    uv_freeaddrinfo(res);
    rmq_conn_release(c);
}

/* Splits "host:port" at the last colon (IPv6 literals come without brackets). */
static int split_addr(const char *addr, char *host, size_t hn, int *port)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || (size_t)(colon - addr) >= hn)
        return -1;
    int64_t p;
    if (rmq_parse_i64(colon + 1, &p) != 0 || p <= 0 || p > 65535)
        return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    *port = (int)p;
    return 0;
}

rmq_conn_t *rmq_conn_connect(rmq_loop_t *loop, const char *addr, size_t max_frame,
                             int connect_timeout_ms, const rmq_conn_handlers_t *h)
{
    rmq_conn_t *c = conn_new(loop, max_frame, h);
    c->target = rmq_strdup(addr);
    c->state = CONN_RESOLVING;
    c->connect_deadline = rmq_mono_ms() + connect_timeout_ms;
    start_tick(c);
    char host[256];
    int port;
    if (split_addr(addr, host, sizeof(host), &port) != 0) {
        RMQ_LOGW("remoting", "invalid address '%s' (expected host:port)", addr);
        rmq_conn_close(c, "invalid address");
        return c;
    }
    struct sockaddr_storage ss;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) == 0 ||
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) == 0) {
        start_connect(c, (struct sockaddr *)&ss);
        return c;
    }
    char service[8];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    c->gai.data = c;
    rmq_conn_keep(c);
    int rc = uv_getaddrinfo(rmq_loop_uv(loop), &c->gai, on_resolved, host, service, &hints);
    if (rc < 0) {
        RMQ_LOGW("remoting", "cannot resolve %s: %s", addr, uv_strerror(rc));
        rmq_conn_close(c, "resolve failed");
        rmq_conn_release(c);
    }
    return c;
}
