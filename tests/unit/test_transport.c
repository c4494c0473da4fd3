/* The libuv transport in one process: a server on its own loop thread and a
 * client pool talking over loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/time.h"
#include "remoting/client.h"
#include "remoting/server.h"
#include "rocketmq/error.h"

/* Request codes the test server understands. */
enum {
    C_ECHO = 1,       /* answers with the request's body and extFields */
    C_NEVER = 2,      /* never answers */
    C_DROP = 3,       /* closes the connection */
    C_COUNT = 4,      /* one-way: counts */
    C_CALL_BACK = 5,  /* asks the client something over the same connection first */
    C_PARTS = 6,      /* answers with a body of 100 uncopied parts */
};

typedef struct fixture {
    rmq_loop_t *loop;
    rmq_server_t *server;
    int port;
    char addr[32];
    atomic_int oneways;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool started;
} fixture_t;

typedef struct callback_ctx {
    rmq_conn_t *conn;
    rmq_cmd_t *req;
} callback_ctx_t;

static void on_client_answer(int err, rmq_cmd_t *resp, void *arg)
{
    callback_ctx_t *ctx = arg;
    rmq_cmd_t *out = rmq_cmd_new_response(ctx->req, err ? ROCKETMQ_ERR_SYSTEM_ERROR : resp->code, NULL);
    if (resp)
        rmq_cmd_set_body(out, resp->body, resp->body_len);
    rmq_conn_reply(ctx->conn, ctx->req, out);
    rmq_cmd_free(resp);
    rmq_cmd_free(ctx->req);
    rmq_conn_release(ctx->conn);
    free(ctx);
}

/* 100 parts of 1000 bytes: more than one writev's worth of buffers. */
#define NPARTS 100
#define PART_LEN 1000
static uint8_t g_part_bytes[NPARTS * PART_LEN];
static atomic_int g_releases;

static void on_parts_released(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_releases, 1);
}

static void reply_parts(rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_part_t parts[NPARTS];
    for (int i = 0; i < NPARTS; i++)
        parts[i] = (rmq_part_t){g_part_bytes + i * PART_LEN, PART_LEN};
    rmq_cmd_t *resp = rmq_cmd_new_response(req, 0, NULL);
    rmq_ext_set(&resp->ext, "k", "v");
    rmq_conn_reply_parts(conn, req, resp, parts, NPARTS, on_parts_released, NULL);
}

static void server_handler(rmq_conn_t *conn, rmq_cmd_t *req, void *ud)
{
    fixture_t *fx = ud;
    switch (req->code) {
    case C_ECHO: {
        rmq_cmd_t *resp = rmq_cmd_new_response(req, 0, NULL);
        rmq_cmd_set_body(resp, req->body, req->body_len);
        for (size_t i = 0; i < req->ext.n; i++)
            rmq_ext_set(&resp->ext, req->ext.kv[i].key, req->ext.kv[i].value);
        rmq_conn_reply(conn, req, resp);
        break;
    }
    case C_NEVER:
        break;
    case C_DROP:
        rmq_conn_close(conn, "test asked for it");
        break;
    case C_COUNT:
        atomic_fetch_add(&fx->oneways, 1);
        break;
    case C_PARTS:
        reply_parts(conn, req);
        break;
    case C_CALL_BACK: {
        callback_ctx_t *ctx = calloc(1, sizeof(*ctx));
        ctx->conn = conn;
        ctx->req = req;
        rmq_conn_keep(conn);
        rmq_conn_request(conn, rmq_cmd_new_request(77), 2000, on_client_answer, ctx);
        return; /* req is owned by ctx now */
    }
    default:
        rmq_conn_reply_not_supported(conn, req);
    }
    rmq_cmd_free(req);
}

static int g_idle_secs; /* idle limit of the next fixture's server */

static void start_server(void *arg)
{
    fixture_t *fx = arg;
    rmq_server_opts_t o = {.host = "127.0.0.1", .port = 0, .max_frame = 8 << 20,
                           .idle_secs = g_idle_secs, .on_request = server_handler, .ud = fx};
    char err[128];
    fx->server = rmq_server_start(fx->loop, &o, err, sizeof(err));
    pthread_mutex_lock(&fx->lock);
    fx->port = fx->server ? rmq_server_port(fx->server) : -1;
    fx->started = true;
    pthread_cond_signal(&fx->cond);
    pthread_mutex_unlock(&fx->lock);
}

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof(*fx));
    pthread_mutex_init(&fx->lock, NULL);
    pthread_cond_init(&fx->cond, NULL);
    fx->loop = rmq_loop_new();
    assert_int_equal(rmq_loop_start_thread(fx->loop), 0);
    assert_int_equal(rmq_loop_post(fx->loop, start_server, fx), 0);
    pthread_mutex_lock(&fx->lock);
    while (!fx->started)
        pthread_cond_wait(&fx->cond, &fx->lock);
    pthread_mutex_unlock(&fx->lock);
    assert_true(fx->port > 0);
    snprintf(fx->addr, sizeof(fx->addr), "127.0.0.1:%d", fx->port);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    rmq_loop_stop(fx->loop);
    rmq_loop_join(fx->loop);
    rmq_loop_free(fx->loop);
    pthread_mutex_destroy(&fx->lock);
    pthread_cond_destroy(&fx->cond);
    free(fx);
    return 0;
}

static void sync_echo(void **state)
{
    fixture_t *fx = *state;
    rmq_rclient_t *rc = rmq_rclient_new(NULL, NULL);
    for (int i = 0; i < 20; i++) {
        rmq_cmd_t *req = rmq_cmd_new_request(C_ECHO);
        rmq_ext_set_i64(&req->ext, "i", i);
        rmq_cmd_set_body(req, "hello", 5);
        int32_t opaque = req->opaque;
        rmq_cmd_t *resp;
        assert_int_equal(rmq_rclient_invoke_sync(rc, fx->addr, req, 3000, &resp), 0);
        assert_int_equal(resp->code, 0);
        assert_int_equal(resp->opaque, opaque);
        assert_true(rmq_cmd_is_response(resp));
        int64_t v;
        assert_int_equal(rmq_ext_get_i64(&resp->ext, "i", &v), 0);
        assert_int_equal(v, i);
        assert_int_equal(resp->body_len, 5);
        assert_memory_equal(resp->body, "hello", 5);
        rmq_cmd_free(resp);
    }
    rmq_rclient_destroy(rc);
}

typedef struct async_state {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done, ok, mismatched;
} async_state_t;

static void on_async(int err, rmq_cmd_t *resp, void *arg)
{
    async_state_t *st = arg;
    pthread_mutex_lock(&st->lock);
    if (err == 0) {
        int64_t v;
        /* each response carries the index its request was sent with */
        if (rmq_ext_get_i64(&resp->ext, "i", &v) == 0 && resp->body_len == sizeof(v) &&
            memcmp(resp->body, &v, sizeof(v)) == 0)
            st->ok++;
        else
            st->mismatched++;
    }
    st->done++;
    pthread_cond_signal(&st->cond);
    pthread_mutex_unlock(&st->lock);
    rmq_cmd_free(resp);
}

static void many_async_in_flight(void **state)
{
    fixture_t *fx = *state;
    enum { N = 2000 };
    rmq_rclient_t *rc = rmq_rclient_new(NULL, NULL);
    async_state_t st = {.done = 0};
    pthread_mutex_init(&st.lock, NULL);
    pthread_cond_init(&st.cond, NULL);
    for (int64_t i = 0; i < N; i++) {
        rmq_cmd_t *req = rmq_cmd_new_request(C_ECHO);
        rmq_ext_set_i64(&req->ext, "i", i);
        rmq_cmd_set_body(req, &i, sizeof(i));
        rmq_rclient_invoke_async(rc, fx->addr, req, 5000, on_async, &st);
    }
    int64_t deadline = rmq_mono_ms() + 10000;
    pthread_mutex_lock(&st.lock);
    while (st.done < N && rmq_mono_ms() < deadline) {
        pthread_mutex_unlock(&st.lock);
        usleep(1000);
        pthread_mutex_lock(&st.lock);
    }
    pthread_mutex_unlock(&st.lock);
    assert_int_equal(st.done, N);
    assert_int_equal(st.ok, N);
    assert_int_equal(st.mismatched, 0);
    rmq_rclient_destroy(rc);
    pthread_mutex_destroy(&st.lock);
    pthread_cond_destroy(&st.cond);
}

static void timeout_fails_waiter(void **state)
{
    fixture_t *fx = *state;
    rmq_rclient_t *rc = rmq_rclient_new(NULL, NULL);
    rmq_cmd_t *resp = NULL;
    int64_t t0 = rmq_mono_ms();
    assert_int_equal(rmq_rclient_invoke_sync(rc, fx->addr, rmq_cmd_new_request(C_NEVER), 200, &resp),
                     ROCKETMQ_ERR__TIMEOUT);
    int64_t took = rmq_mono_ms() - t0;
    assert_null(resp);
    assert_true(took >= 190 && took < 2000);
    /* the connection is still usable */
    assert_int_equal(rmq_rclient_invoke_sync(rc, fx->addr, rmq_cmd_new_request(C_ECHO), 3000, &resp),
                     0);
    rmq_cmd_free(resp);
    rmq_rclient_destroy(rc);
}

static void drop_fails_all_waiters(void **state)
{
    fixture_t *fx = *state;
    rmq_rclient_t *rc = rmq_rclient_new(NULL, NULL);
    async_state_t st = {.done = 0};
    pthread_mutex_init(&st.lock, NULL);
    pthread_cond_init(&st.cond, NULL);
    for (int i = 0; i < 5; i++)
        rmq_rclient_invoke_async(rc, fx->addr, rmq_cmd_new_request(C_NEVER), 30000, on_async, &st);
    rmq_cmd_t *resp = NULL;
    int64_t t0 = rmq_mono_ms();
    assert_int_equal(rmq_rclient_invoke_sync(rc, fx->addr, rmq_cmd_new_request(C_DROP), 30000, &resp),
                     ROCKETMQ_ERR__TRANSPORT);
    assert_true(rmq_mono_ms() - t0 < 3000);
    pthread_mutex_lock(&st.lock);
    int64_t deadline = rmq_mono_ms() + 3000;
    while (st.done < 5 && rmq_mono_ms() < deadline) {
        pthread_mutex_unlock(&st.lock);
        usleep(1000);
        pthread_mutex_lock(&st.lock);
    }
    pthread_mutex_unlock(&st.lock);
    assert_int_equal(st.done, 5);
    assert_int_equal(st.ok, 0);
    /* a new connection is opened on the next call */
    assert_int_equal(rmq_rclient_invoke_sync(rc, fx->addr, rmq_cmd_new_request(C_ECHO), 3000, &resp),
                     0);
    rmq_cmd_free(resp);
    rmq_rclient_destroy(rc);
    pthread_mutex_destroy(&st.lock);
    pthread_cond_destroy(&st.cond);
}

static void connect_refused_and_bad_address(void **state)
{
    (void)state;
    rmq_rclient_t *rc = rmq_rclient_new(NULL, NULL);
    rmq_cmd_t *resp = NULL;
    /* port 1 on loopback: nobody listens there */
    int64_t t0 = rmq_mono_ms();
    assert_int_equal(rmq_rclient_invoke_sync(rc, "127.0.0.1:1", rmq_cmd_new_request(C_ECHO), 3000,
                                             &resp),
                     ROCKETMQ_ERR__TRANSPORT);
    assert_true(rmq_mono_ms() - t0 < 2000);
    assert_int_equal(rmq_rclient_invoke_sync(rc, "no-port-here", rmq_cmd_new_request(C_ECHO), 3000,
                                             &resp),
                     ROCKETMQ_ERR__TRANSPORT);
    rmq_rclient_destroy(rc);
}

static void localhost_resolves(void **state)
{
    fixture_t *fx = *state;
    rmq_rclient_t *rc = rmq_rclient_new(NULL, NULL);
    char addr[48];
    snprintf(addr, sizeof(addr), "localhost:%d", fx->port);
    rmq_cmd_t *resp = NULL;
    int rc2 = rmq_rclient_invoke_sync(rc, addr, rmq_cmd_new_request(C_ECHO), 3000, &resp);
    /* localhost may resolve to ::1 first where the server listens on IPv4 only */
    assert_true(rc2 == 0 || rc2 == ROCKETMQ_ERR__TRANSPORT);
    rmq_cmd_free(resp);
    rmq_rclient_destroy(rc);
}

static void not_supported_and_oneway(void **state)
{
    fixture_t *fx = *state;
    rmq_rclient_t *rc = rmq_rclient_new(NULL, NULL);
    for (int i = 0; i < 10; i++)
        rmq_rclient_invoke_oneway(rc, fx->addr, rmq_cmd_new_request(C_COUNT));
    rmq_cmd_t *resp = NULL;
    /* requests on one connection are handled in order: the one-ways came first */
    assert_int_equal(rmq_rclient_invoke_sync(rc, fx->addr, rmq_cmd_new_request(777), 3000, &resp),
                     0);
    assert_int_equal(resp->code, ROCKETMQ_ERR_REQUEST_CODE_NOT_SUPPORTED);
    assert_string_equal(resp->remark, " request type 777 not supported");
    assert_int_equal(atomic_load(&fx->oneways), 10);
    rmq_cmd_free(resp);
    rmq_rclient_destroy(rc);
}

static void large_bodies(void **state)
{
    fixture_t *fx = *state;
    rmq_rclient_t *rc = rmq_rclient_new(NULL, NULL);
    size_t n = 4 << 20;
    uint8_t *body = malloc(n);
    for (size_t i = 0; i < n; i++)
        body[i] = (uint8_t)(i * 31 + 7);
    for (int k = 0; k < 3; k++) {
        rmq_cmd_t *req = rmq_cmd_new_request(C_ECHO);
        rmq_cmd_set_body(req, body, n);
        rmq_cmd_t *resp = NULL;
        assert_int_equal(rmq_rclient_invoke_sync(rc, fx->addr, req, 10000, &resp), 0);
        assert_int_equal(resp->body_len, n);
        assert_memory_equal(resp->body, body, n);
        rmq_cmd_free(resp);
    }
    free(body);
    rmq_rclient_destroy(rc);
}

/* The client answers requests the server sends over the client's connection. */
static void client_side_handler(rmq_conn_t *conn, rmq_cmd_t *req, void *ud)
{
    (void)ud;
    rmq_cmd_t *resp = rmq_cmd_new_response(req, 0, NULL);
    rmq_cmd_set_body(resp, "from-client", 11);
    rmq_conn_reply(conn, req, resp);
    rmq_cmd_free(req);
}

static void server_to_client_requests(void **state)
{
    fixture_t *fx = *state;
    rmq_rclient_opts_t o = {.on_request = client_side_handler};
    rmq_rclient_t *rc = rmq_rclient_new(NULL, &o);
    rmq_cmd_t *resp = NULL;
    assert_int_equal(
        rmq_rclient_invoke_sync(rc, fx->addr, rmq_cmd_new_request(C_CALL_BACK), 3000, &resp), 0);
    assert_int_equal(resp->code, 0);
    assert_int_equal(resp->body_len, 11);
    assert_memory_equal(resp->body, "from-client", 11);
    rmq_cmd_free(resp);
    rmq_rclient_destroy(rc);

    /* without a handler the client answers REQUEST_CODE_NOT_SUPPORTED */
    rc = rmq_rclient_new(NULL, NULL);
    assert_int_equal(
        rmq_rclient_invoke_sync(rc, fx->addr, rmq_cmd_new_request(C_CALL_BACK), 3000, &resp), 0);
    assert_int_equal(resp->code, ROCKETMQ_ERR_REQUEST_CODE_NOT_SUPPORTED);
    rmq_cmd_free(resp);
    rmq_rclient_destroy(rc);
}

static void destroy_with_pending(void **state)
{
    fixture_t *fx = *state;
    rmq_rclient_t *rc = rmq_rclient_new(NULL, NULL);
    async_state_t st = {.done = 0};
    pthread_mutex_init(&st.lock, NULL);
    pthread_cond_init(&st.cond, NULL);
    for (int i = 0; i < 50; i++)
        rmq_rclient_invoke_async(rc, fx->addr, rmq_cmd_new_request(C_NEVER), 60000, on_async, &st);
    int64_t t0 = rmq_mono_ms();
    rmq_rclient_destroy(rc);
    assert_true(rmq_mono_ms() - t0 < 2000);
    /* every callback ran, with an error, before destroy returned */
    assert_int_equal(st.done, 50);
    assert_int_equal(st.ok, 0);
    pthread_mutex_destroy(&st.lock);
    pthread_cond_destroy(&st.cond);
}

/* A silent connection is closed after idle_secs (its waiter fails); a busy
 * one is not. */
static void idle_connections_closed(void **state)
{
    fixture_t *fx = *state;
    rmq_rclient_t *idle = rmq_rclient_new(NULL, NULL), *busy = rmq_rclient_new(NULL, NULL);
    async_state_t st = {.done = 0};
    pthread_mutex_init(&st.lock, NULL);
    pthread_cond_init(&st.cond, NULL);
    rmq_rclient_invoke_async(idle, fx->addr, rmq_cmd_new_request(C_NEVER), 60000, on_async, &st);
    int64_t t0 = rmq_mono_ms();
    int done = 0, echoes = 0;
    while (done == 0 && rmq_mono_ms() - t0 < 5000) {
        rmq_cmd_t *resp = NULL;
        /* keeps the busy connection active meanwhile */
        assert_int_equal(
            rmq_rclient_invoke_sync(busy, fx->addr, rmq_cmd_new_request(C_ECHO), 3000, &resp), 0);
        rmq_cmd_free(resp);
        echoes++;
        usleep(50 * 1000);
        pthread_mutex_lock(&st.lock);
        done = st.done;
        pthread_mutex_unlock(&st.lock);
    }
    int64_t took = rmq_mono_ms() - t0;
    assert_int_equal(done, 1);
    assert_int_equal(st.ok, 0);
    assert_true(took >= 900 && took < 3000); /* 1 s limit, scanned every 250 ms */
    assert_true(echoes > 5);
    rmq_rclient_destroy(idle);
    rmq_rclient_destroy(busy);
    pthread_mutex_destroy(&st.lock);
    pthread_cond_destroy(&st.cond);
}

static int setup_idle(void **state)
{
    g_idle_secs = 1;
    int rc = setup(state);
    g_idle_secs = 0;
    return rc;
}

/* Bodies sent from external buffers arrive whole and in order, between
 * ordinary frames, and each set of parts is released exactly once. */
static void uncopied_bodies(void **state)
{
    fixture_t *fx = *state;
    for (size_t i = 0; i < sizeof(g_part_bytes); i++)
        g_part_bytes[i] = (uint8_t)(i * 7 + 3);
    atomic_store(&g_releases, 0);
    rmq_rclient_t *rc = rmq_rclient_new(NULL, NULL);
    async_state_t st = {.done = 0};
    pthread_mutex_init(&st.lock, NULL);
    pthread_cond_init(&st.cond, NULL);
    for (int round = 0; round < 20; round++) {
        /* an ordinary request in flight next to it shares the connection */
        int64_t i = round;
        rmq_cmd_t *echo = rmq_cmd_new_request(C_ECHO);
        rmq_ext_set_i64(&echo->ext, "i", i);
        rmq_cmd_set_body(echo, &i, sizeof(i));
        rmq_rclient_invoke_async(rc, fx->addr, echo, 5000, on_async, &st);
        rmq_cmd_t *resp = NULL;
        assert_int_equal(
            rmq_rclient_invoke_sync(rc, fx->addr, rmq_cmd_new_request(C_PARTS), 5000, &resp), 0);
        assert_int_equal(resp->code, 0);
        assert_string_equal(rmq_ext_get(&resp->ext, "k"), "v");
        assert_int_equal(resp->body_len, sizeof(g_part_bytes));
        assert_memory_equal(resp->body, g_part_bytes, sizeof(g_part_bytes));
        rmq_cmd_free(resp);
    }
    int64_t deadline = rmq_mono_ms() + 5000;
    while ((st.done < 20 || atomic_load(&g_releases) < 20) && rmq_mono_ms() < deadline)
        usleep(1000);
    assert_int_equal(st.ok, 20);
    assert_int_equal(atomic_load(&g_releases), 20);
    rmq_rclient_destroy(rc);
    pthread_mutex_destroy(&st.lock);
    pthread_cond_destroy(&st.cond);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sync_echo, setup, teardown),
        cmocka_unit_test_setup_teardown(many_async_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(timeout_fails_waiter, setup, teardown),
        cmocka_unit_test_setup_teardown(drop_fails_all_waiters, setup, teardown),
        cmocka_unit_test_setup_teardown(connect_refused_and_bad_address, setup, teardown),
        cmocka_unit_test_setup_teardown(localhost_resolves, setup, teardown),
        cmocka_unit_test_setup_teardown(not_supported_and_oneway, setup, teardown),
        cmocka_unit_test_setup_teardown(large_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(server_to_client_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(destroy_with_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(idle_connections_closed, setup_idle, teardown),
        cmocka_unit_test_setup_teardown(uncopied_bodies, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
