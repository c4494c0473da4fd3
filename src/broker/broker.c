/* The broker object: configuration in, a store, the managers, one loop with
 * the remoting server, timers for registration, offsets and client expiry,
 * and request dispatch by code. */
#include "broker/broker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errmsg.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "broker/broker_int.h"
#include "protocol/codes.h"
#include "rocketmq/error.h"

void rmq_broker_reply(rmq_conn_t *conn, const rmq_cmd_t *req, int code, const char *remark)
{
    rmq_conn_reply(conn, req, rmq_cmd_new_response(req, code, remark));
}

bool rmq_broker_decode(rmq_conn_t *conn, const rmq_cmd_t *req, const rmq_header_desc_t *d,
                       void *out)
{
    char err[256];
    if (rmq_header_decode(d, &req->ext, out, err, sizeof(err)) == 0)
        return true;
    RMQ_LOGW("broker", "bad %s from %s: %s", d->name, rmq_conn_peer(conn), err);
    rmq_broker_reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, err);
    return false;
}

void rmq_broker_post(rmq_broker_t *b, rmq_task_fn fn, void *arg)
{
    /* After the loop stopped nobody else touches the broker: run it here. */
    if (rmq_loop_post(b->loop, fn, arg) != 0)
        fn(arg);
}

static void on_request(rmq_conn_t *conn, rmq_cmd_t *req, void *ud)
{
    rmq_broker_t *b = ud;
    switch (req->code) {
    case RMQ_REQ_SEND_MESSAGE:
    case RMQ_REQ_SEND_MESSAGE_V2:
    case RMQ_REQ_SEND_BATCH_MESSAGE:
    case RMQ_REQ_CONSUMER_SEND_MSG_BACK:
        rmq_broker_send(b, conn, req);
        break;
    case RMQ_REQ_PULL_MESSAGE:
        rmq_broker_pull(b, conn, req);
        break;
    case RMQ_REQ_QUERY_CONSUMER_OFFSET:
    case RMQ_REQ_UPDATE_CONSUMER_OFFSET:
    case RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP:
    case RMQ_REQ_GET_MAX_OFFSET:
    case RMQ_REQ_GET_MIN_OFFSET:
    case RMQ_REQ_GET_EARLIEST_MSG_STORETIME:
        rmq_broker_offsets(b, conn, req);
        break;
    case RMQ_REQ_HEART_BEAT:
    case RMQ_REQ_UNREGISTER_CLIENT:
    case RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP:
    case RMQ_REQ_LOCK_BATCH_MQ:
    case RMQ_REQ_UNLOCK_BATCH_MQ:
        rmq_broker_client_req(b, conn, req);
        break;
    default:
        rmq_broker_admin(b, conn, req);
        break;
    }
}

/* The fast ("VIP") server serves everything but pulls, as Java's does. */
static void on_vip_request(rmq_conn_t *conn, rmq_cmd_t *req, void *ud)
{
    if (req->code == RMQ_REQ_PULL_MESSAGE) {
        rmq_conn_reply_not_supported(conn, req);
        rmq_cmd_free(req);
        return;
    }
    on_request(conn, req, ud);
}

static void on_conn_close(rmq_conn_t *conn, void *ud)
{
    rmq_broker_t *b = ud;
    rmq_client_mgr_conn_closed(b->clients, rmq_conn_id(conn));
}

/* ---- store arrivals: dispatch thread -> loop -> held pulls ---- */

typedef struct arrival {
    rmq_broker_t *b;
    int32_t queue_id;
    int64_t max_offset;
    int64_t tags_code;
    char topic[];
} arrival_t;

static void on_arrival_loop(void *arg)
{
    arrival_t *a = arg;
    if (a->b->holds)
        rmq_pull_hold_notify(a->b, a->topic, a->queue_id, a->max_offset, a->tags_code);
    free(a);
}

static void on_arrival(const char *topic, int32_t queue_id, int64_t max_offset, int64_t tags_code,
                       int64_t store_ts, void *arg)
{
    (void)store_ts;
    rmq_broker_t *b = arg;
    /* Nobody waits: no allocation, no wake-up of the loop per message.  The
     * fence orders the consume-queue write before this read; a pull held
     * meanwhile re-reads the queue's end after publishing its count. */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&b->held_pulls) == 0)
        return;
    size_t n = strlen(topic);
    arrival_t *a = rmq_malloc(sizeof(*a) + n + 1);
    a->b = b;
    a->queue_id = queue_id;
    a->max_offset = max_offset;
    a->tags_code = tags_code;
    memcpy(a->topic, topic, n + 1);
    rmq_broker_post(b, on_arrival_loop, a);
}

/* ---- timers ---- */

static void on_register_timer(uv_timer_t *t)
{
    rmq_broker_register_all(t->data, false);
}

static void on_offset_timer(uv_timer_t *t)
{
    rmq_broker_t *b = t->data;
    if (rmq_offset_mgr_persist(b->offsets) != 0)
        RMQ_LOGE("broker", "cannot persist consumer offsets");
}

static void on_client_scan(uv_timer_t *t)
{
    rmq_broker_t *b = t->data;
    rmq_client_mgr_scan(b->clients, rmq_mono_ms());
}

static void on_stats_timer(uv_timer_t *t)
{
    rmq_broker_t *b = t->data;
    rmq_store_stats_t *now = rmq_malloc(sizeof(*now));
    rmq_store_get_stats(b->store, now);
    rmq_broker_stats_sample(b->stats, now, rmq_now_ms());
    free(now);
}

static void start_timer(rmq_broker_t *b, uv_timer_t *t, uv_timer_cb cb, uint64_t first,
                        uint64_t every)
{
    uv_timer_init(rmq_loop_uv(b->loop), t);
    t->data = b;
    uv_timer_start(t, cb, first, every);
}

static void on_stop(void *arg)
{
    rmq_broker_t *b = arg;
    uv_close((uv_handle_t *)&b->register_timer, NULL);
    uv_close((uv_handle_t *)&b->offset_timer, NULL);
    uv_close((uv_handle_t *)&b->client_scan_timer, NULL);
    uv_close((uv_handle_t *)&b->stats_timer, NULL);
    if (b->signals) {
        uv_close((uv_handle_t *)&b->sigint, NULL);
        uv_close((uv_handle_t *)&b->sigterm, NULL);
    }
    if (b->holds) {
        rmq_pull_hold_free(b->holds);
        b->holds = NULL;
    }
}

/* ---- construction ---- */

static char *config_path(const rmq_broker_t *b, const char *name)
{
    size_t n = strlen(b->cfg.store.storePathRootDir) + strlen(name) + 16;
    char *p = rmq_malloc(n);
    snprintf(p, n, "%s/config/%s", b->cfg.store.storePathRootDir, name);
    return p;
}

static int open_managers(rmq_broker_t *b, char *err, size_t errlen)
{
    char *tp = config_path(b, "topics.json"), *gp = config_path(b, "subscriptionGroup.json"),
         *op = config_path(b, "consumerOffset.json");
    b->topics = rmq_topic_mgr_open(&b->cfg, tp, err, errlen);
    if (b->topics)
        b->groups = rmq_subgroup_mgr_open(gp, b->cfg.autoCreateSubscriptionGroup, err, errlen);
    if (b->groups)
        b->offsets = rmq_offset_mgr_open(op, err, errlen);
    free(tp);
    free(gp);
    free(op);
    if (!b->offsets)
        return -1;
    b->clients = rmq_client_mgr_new(b);
    return 0;
}

static void copy_config(rmq_broker_config_t *dst, const rmq_broker_config_t *src)
{
    *dst = *src;
    rmq_conf_dup_strings(rmq_broker_conf_defs, dst);
    rmq_conf_dup_strings(rmq_store_conf_defs, &dst->store);
}

static int start_server(rmq_broker_t *b, char *err, size_t errlen)
{
    rmq_server_opts_t so = {
        .host = b->cfg.bindAddress,
        .port = b->cfg.listenPort,
        .max_frame = (size_t)b->cfg.frameMaxLength,
        .idle_secs = b->cfg.serverChannelMaxIdleTimeSeconds,
        .on_request = on_request,
        .on_close = on_conn_close,
        .ud = b,
    };
    b->server = rmq_server_start(b->loop, &so, err, errlen);
    if (!b->server)
        return -1;
    b->cfg.listenPort = rmq_server_port(b->server);
    if (so.port > 2) { /* a fixed port (not 0: any free one) */
        /* Clients before 4.5 send to listenPort - 2 (vipChannelEnabled). */
        char verr[256];
        so.port = b->cfg.listenPort - 2;
        so.on_request = on_vip_request;
        b->vip_server = rmq_server_start(b->loop, &so, verr, sizeof(verr));
        if (!b->vip_server)
            RMQ_LOGW("broker", "VIP channel not served: %s", verr);
    }
    snprintf(b->store_host, sizeof(b->store_host), "%s:%d", b->cfg.brokerIP1, b->cfg.listenPort);
    if (rmq_host_parse(b->store_host, &b->store_host_addr) != 0) {
        rmq_set_err(err, errlen, "brokerIP1 '%s' is not an IP address", b->cfg.brokerIP1);
        return -1;
    }
    return 0;
}

rmq_broker_t *rmq_broker_new(const rmq_broker_config_t *cfg, char *err, size_t errlen)
{
    rmq_broker_t *b = rmq_calloc(1, sizeof(*b));
    copy_config(&b->cfg, cfg);
    rmq_broker_config_resolve(&b->cfg);
    b->start_ms = rmq_now_ms();
    b->loop = rmq_loop_new();
    b->store = rmq_store_open(&b->cfg.store, err, errlen);
    if (!b->store || open_managers(b, err, errlen) != 0 || start_server(b, err, errlen) != 0) {
        rmq_broker_free(b);
        return NULL;
    }
    rmq_store_set_arrival_cb(b->store, on_arrival, b);
    b->schedule = rmq_schedule_start(b, err, errlen);
    if (!b->schedule) {
        rmq_broker_free(b);
        return NULL;
    }
    b->holds = rmq_pull_hold_new(b);
    b->ns_client = rmq_rclient_new(b->loop, NULL);
    start_timer(b, &b->register_timer, on_register_timer, 0,
                (uint64_t)b->cfg.registerNameServerPeriod);
    start_timer(b, &b->offset_timer, on_offset_timer, (uint64_t)b->cfg.flushConsumerOffsetInterval,
                (uint64_t)b->cfg.flushConsumerOffsetInterval);
    start_timer(b, &b->client_scan_timer, on_client_scan, 10000, 10000);
    /* StoreStatsService samples every second from the start */
    b->stats = rmq_calloc(1, sizeof(*b->stats));
    rmq_broker_stats_init(b->stats);
    on_stats_timer(&(uv_timer_t){.data = b});
    start_timer(b, &b->stats_timer, on_stats_timer, 1000, 1000);
    rmq_loop_add_stop_hook(b->loop, on_stop, b);
    return b;
}

int rmq_broker_port(const rmq_broker_t *b)
{
    return b->cfg.listenPort;
}

/* Shutdown: unregister from the name servers first (answers or their
 * timeout), then stop the loop. */
static void on_signal(uv_signal_t *s, int signum)
{
    rmq_broker_t *b = s->data;
    RMQ_LOGI("broker", "signal %d received, shutting down", signum);
    rmq_broker_stop(b);
}

static void stop_on_loop(void *arg)
{
    rmq_broker_unregister_all(arg);
}

void rmq_broker_stop(rmq_broker_t *b)
{
    if (rmq_loop_in_thread(b->loop))
        rmq_broker_unregister_all(b);
    else if (rmq_loop_post(b->loop, stop_on_loop, b) != 0)
        rmq_loop_stop(b->loop);
}

void rmq_broker_run(rmq_broker_t *b, bool handle_signals)
{
    if (handle_signals) {
        b->signals = true;
        uv_signal_init(rmq_loop_uv(b->loop), &b->sigint);
        uv_signal_init(rmq_loop_uv(b->loop), &b->sigterm);
        b->sigint.data = b->sigterm.data = b;
        uv_signal_start(&b->sigint, on_signal, SIGINT);
        uv_signal_start(&b->sigterm, on_signal, SIGTERM);
    }
    rmq_loop_run(b->loop);
}

void rmq_broker_free(rmq_broker_t *b)
{
    if (!b)
        return;
    if (b->loop && !rmq_loop_stopping(b->loop)) {
        rmq_loop_stop(b->loop);
        rmq_loop_run(b->loop);
    }
    if (b->ns_client)
        rmq_rclient_destroy(b->ns_client);
    if (b->offsets && rmq_offset_mgr_persist(b->offsets) != 0)
        RMQ_LOGE("broker", "cannot persist consumer offsets at shutdown");
    rmq_schedule_stop(b->schedule);
    /* The store goes last: its flush thread may still answer puts. */
    rmq_store_close(b->store);
    rmq_client_mgr_free(b->clients);
    rmq_offset_mgr_free(b->offsets);
    rmq_subgroup_mgr_free(b->groups);
    rmq_topic_mgr_free(b->topics);
    if (b->loop)
        rmq_loop_free(b->loop);
    rmq_broker_config_free(&b->cfg);
    free(b->stats);
    free(b);
}
