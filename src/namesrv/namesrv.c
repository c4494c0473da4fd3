#include "namesrv/namesrv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "namesrv/namesrv_int.h"

#define CONF(field, type, def, min, max, doc)                                                      \
    {#field, type, offsetof(rmq_namesrv_config_t, field), def, min, max, doc}

const rmq_conf_def_t rmq_namesrv_conf_defs[] = {
    CONF(rocketmqHome, RMQ_CONF_STRING, NULL, 0, 0, "RocketMQ home directory (informational)"),
    CONF(kvConfigPath, RMQ_CONF_STRING, "~/namesrv/kvConfig.json", 0, 0,
         "file the KV config is persisted to"),
    CONF(configStorePath, RMQ_CONF_STRING, "~/namesrv/namesrv.properties", 0, 0,
         "file UPDATE_NAMESRV_CONFIG persists the configuration to"),
    CONF(productEnvName, RMQ_CONF_STRING, "center", 0, 0, "product environment name"),
    CONF(clusterTest, RMQ_CONF_BOOL, "false", 0, 0, "cluster test mode (unused)"),
    CONF(orderMessageEnable, RMQ_CONF_BOOL, "false", 0, 0,
         "add orderTopicConf from the ORDER_TOPIC_CONFIG KV namespace to routes"),
    CONF(configBlackList, RMQ_CONF_STRING, "configBlackList;configStorePath;kvConfigPath", 0, 0,
         "keys UPDATE_NAMESRV_CONFIG may not change, ';'-separated"),
    CONF(scanNotActiveBrokerInterval, RMQ_CONF_LONG, "10000", 10, 3600000,
         "ms between scans for brokers that stopped registering"),
    CONF(brokerChannelExpiredTime, RMQ_CONF_LONG, "120000", 10, 86400000,
         "ms without registration after which a broker is removed (a 5.x broker's "
         "heartbeatTimeoutMillis overrides it)"),
    CONF(listenPort, RMQ_CONF_INT, "9876", 0, 65535, "TCP port (0: any free port)"),
    CONF(bindAddress, RMQ_CONF_STRING, "0.0.0.0", 0, 0, "address to listen on"),
    CONF(serverChannelMaxIdleTimeSeconds, RMQ_CONF_INT, "120", 0, 86400,
         "close connections idle this long (0: never)"),
    CONF(frameMaxLength, RMQ_CONF_INT, "16777216", 1024, 1073741824,
         "largest frame accepted, bytes (com.rocketmq.remoting.frameMaxLength)"),
    {NULL, RMQ_CONF_INT, 0, NULL, 0, 0, NULL},
};

static void copy_config(rmq_namesrv_config_t *dst, const rmq_namesrv_config_t *src)
{
    *dst = *src;
    rmq_conf_dup_strings(rmq_namesrv_conf_defs, dst);
}

static void close_expired(uint64_t conn_id, void *arg)
{
    rmq_namesrv_t *ns = arg;
    rmq_server_close_conn(ns->server, conn_id, "broker expired");
}

static void on_scan(uv_timer_t *t)
{
    rmq_namesrv_t *ns = t->data;
    rmq_route_table_scan_expired(ns->routes, rmq_mono_ms(), close_expired, ns);
}

static void on_conn_close(rmq_conn_t *conn, void *ud)
{
    rmq_namesrv_t *ns = ud;
    rmq_route_table_conn_closed(ns->routes, rmq_conn_id(conn));
}

static void on_signal(uv_signal_t *s, int signum)
{
    rmq_namesrv_t *ns = s->data;
    RMQ_LOGI("namesrv", "signal %d received, shutting down", signum);
    rmq_loop_stop(ns->loop);
}

/* Stop hook: close the handles the name server owns (the server closes itself). */
static void on_stop(void *arg)
{
    rmq_namesrv_t *ns = arg;
    uv_close((uv_handle_t *)&ns->scan_timer, NULL);
    if (ns->signals) {
        uv_close((uv_handle_t *)&ns->sigint, NULL);
        uv_close((uv_handle_t *)&ns->sigterm, NULL);
    }
}

rmq_namesrv_t *rmq_namesrv_new(const rmq_namesrv_config_t *cfg, char *err, size_t errlen)
{
    rmq_namesrv_t *ns = rmq_calloc(1, sizeof(*ns));
    copy_config(&ns->cfg, cfg);
    ns->routes = rmq_route_table_new();
    ns->route_cache = rmq_map_new();
    ns->loop = rmq_loop_new();
    ns->kv = rmq_kvconfig_open(ns->cfg.kvConfigPath, err, errlen);
    if (!ns->kv || !ns->loop) {
        rmq_namesrv_free(ns);
        return NULL;
    }
    rmq_server_opts_t so = {
        .host = ns->cfg.bindAddress,
        .port = ns->cfg.listenPort,
        .max_frame = (size_t)ns->cfg.frameMaxLength,
        .idle_secs = ns->cfg.serverChannelMaxIdleTimeSeconds,
        .on_request = rmq_namesrv_process,
        .on_close = on_conn_close,
        .ud = ns,
    };
    ns->server = rmq_server_start(ns->loop, &so, err, errlen);
    if (!ns->server) {
        /* run the loop once so the half-made server's handles close */
        uv_run(rmq_loop_uv(ns->loop), UV_RUN_NOWAIT);
        rmq_namesrv_free(ns);
        return NULL;
    }
    ns->cfg.listenPort = rmq_server_port(ns->server); /* what GET_NAMESRV_CONFIG reports */
    uv_timer_init(rmq_loop_uv(ns->loop), &ns->scan_timer);
    ns->scan_timer.data = ns;
    uint64_t every = (uint64_t)ns->cfg.scanNotActiveBrokerInterval;
    uv_timer_start(&ns->scan_timer, on_scan, every, every);
    rmq_loop_add_stop_hook(ns->loop, on_stop, ns);
    return ns;
}

int rmq_namesrv_port(const rmq_namesrv_t *ns)
{
    return rmq_server_port(ns->server);
}

void rmq_namesrv_run(rmq_namesrv_t *ns, bool handle_signals)
{
    if (handle_signals) {
        ns->signals = true;
        uv_signal_init(rmq_loop_uv(ns->loop), &ns->sigint);
        uv_signal_init(rmq_loop_uv(ns->loop), &ns->sigterm);
        ns->sigint.data = ns->sigterm.data = ns;
        uv_signal_start(&ns->sigint, on_signal, SIGINT);
        uv_signal_start(&ns->sigterm, on_signal, SIGTERM);
    }
    rmq_loop_run(ns->loop);
}

void rmq_namesrv_stop(rmq_namesrv_t *ns)
{
    rmq_loop_stop(ns->loop);
}

void rmq_namesrv_free(rmq_namesrv_t *ns)
{
    if (!ns)
        return;
    if (ns->loop) {
        /* a loop that never ran still has its own handles open */
        if (!rmq_loop_stopping(ns->loop)) {
            rmq_loop_stop(ns->loop);
            rmq_loop_run(ns->loop);
        }
        rmq_loop_free(ns->loop);
    }
    if (ns->route_cache)
        rmq_namesrv_cache_clear(ns);
    rmq_map_free(ns->route_cache, NULL);
    rmq_route_table_free(ns->routes);
    rmq_kvconfig_free(ns->kv);
    rmq_conf_free(rmq_namesrv_conf_defs, &ns->cfg);
    free(ns);
}
