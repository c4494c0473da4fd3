#include "remoting/server.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/time.h"

struct rmq_server {
    rmq_loop_t *loop;
    uv_tcp_t listener;
    uv_timer_t idle_timer;
    int open_handles;
    rmq_server_opts_t opts;
    rmq_map_t *conns; /* conn id -> conn (holding a reference) */
    void *stop_hook;
    bool closing;
    int port;
};

static void srv_on_request(rmq_conn_t *c, rmq_cmd_t *req, void *ud)
{
    rmq_server_t *s = ud;
    s->opts.on_request(c, req, s->opts.ud);
}

static void srv_on_close(rmq_conn_t *c, void *ud)
{
    rmq_server_t *s = ud;
    if (s->opts.on_close)
        s->opts.on_close(c, s->opts.ud);
    if (rmq_imap_del(s->conns, (int64_t)rmq_conn_id(c)))
        rmq_conn_release(c);
}

static void on_connection(uv_stream_t *listener, int status)
{
    rmq_server_t *s = listener->data;
    if (status < 0) {
        RMQ_LOGW("remoting", "accept error: %s", uv_strerror(status));
        return;
    }
    rmq_conn_handlers_t h = {srv_on_request, srv_on_close, s};
    rmq_conn_t *c = rmq_conn_accept(s->loop, listener, s->opts.max_frame, &h);
    if (!c)
        return;
    rmq_conn_keep(c);
    rmq_imap_put(s->conns, (int64_t)rmq_conn_id(c), c);
    RMQ_LOGD("remoting", "accepted %s", rmq_conn_peer(c));
}

static void on_idle_scan(uv_timer_t *t)
{
    rmq_server_t *s = t->data;
    int64_t limit = rmq_mono_ms() - (int64_t)s->opts.idle_secs * 1000;
    rmq_map_iter_t it;
    void *v;
    rmq_map_iter_init(&it, s->conns);
    /* Closing removes the current entry only, which the iterator allows. */
    while (rmq_map_iter_next(&it, NULL, NULL, &v)) {
        rmq_conn_t *c = v;
        if (rmq_conn_last_active_ms(c) < limit && rmq_conn_pending_count(c) == 0) {
            RMQ_LOGI("remoting", "closing idle connection %s", rmq_conn_peer(c));
            rmq_conn_close(c, "idle");
        }
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    rmq_server_t *s = h->data;
    if (--s->open_handles > 0)
        return;
    rmq_map_free(s->conns, NULL);
    free((char *)s->opts.host);
    free(s);
}

static void close_from_hook(void *arg)
{
    rmq_server_t *s = arg;
    s->stop_hook = NULL;
    rmq_server_close(s);
}

static int bind_listen(rmq_server_t *s, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    if (uv_ip4_addr(s->opts.host, s->opts.port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(s->opts.host, s->opts.port, (struct sockaddr_in6 *)&ss) != 0) {
        snprintf(err, errlen, "invalid bind address '%s'", s->opts.host);
        return -1;
    }
    int rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection);
    if (rc != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", s->opts.host, s->opts.port,
                 uv_strerror(rc));
        return -1;
    }
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
    s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    return 0;
}

rmq_server_t *rmq_server_start(rmq_loop_t *loop, const rmq_server_opts_t *opts, char *err,
                               size_t errlen)
{
    rmq_server_t *s = rmq_calloc(1, sizeof(*s));
    s->loop = loop;
    s->opts = *opts;
    s->opts.host = rmq_strdup(opts->host ? opts->host : "0.0.0.0");
    s->conns = rmq_map_new();
    uv_tcp_init(rmq_loop_uv(loop), &s->listener);
    uv_timer_init(rmq_loop_uv(loop), &s->idle_timer);
    s->listener.data = s;
    s->idle_timer.data = s;
    s->open_handles = 2;
    if (bind_listen(s, err, errlen) != 0) {
        s->closing = true;
        uv_close((uv_handle_t *)&s->listener, on_handle_closed);
        uv_close((uv_handle_t *)&s->idle_timer, on_handle_closed);
        return NULL;
    }
    if (opts->idle_secs > 0) {
        uint64_t every = (uint64_t)opts->idle_secs * 250; /* a quarter of the limit */
        uv_timer_start(&s->idle_timer, on_idle_scan, every, every);
    }
    s->stop_hook = rmq_loop_add_stop_hook(loop, close_from_hook, s);
    return s;
}

int rmq_server_port(const rmq_server_t *s)
{
    return s->port;
}

size_t rmq_server_conn_count(const rmq_server_t *s)
{
    return rmq_map_size(s->conns);
}

void rmq_server_close_conn(rmq_server_t *s, uint64_t conn_id, const char *why)
{
    rmq_conn_t *c = rmq_imap_get(s->conns, (int64_t)conn_id);
    if (c)
        rmq_conn_close(c, why);
}

void rmq_server_close(rmq_server_t *s)
{
    if (s->closing)
        return;
    s->closing = true;
    if (s->stop_hook)
        rmq_loop_remove_stop_hook(s->loop, s->stop_hook);
    rmq_map_iter_t it;
    void *v;
    rmq_map_iter_init(&it, s->conns);
    while (rmq_map_iter_next(&it, NULL, NULL, &v))
        rmq_conn_close(v, "server closing");
    uv_close((uv_handle_t *)&s->listener, on_handle_closed);
    uv_close((uv_handle_t *)&s->idle_timer, on_handle_closed);
}
