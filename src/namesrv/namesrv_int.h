/* Name server internals shared by namesrv.c and processor.c. */
#ifndef RMQ_NAMESRV_NAMESRV_INT_H
#define RMQ_NAMESRV_NAMESRV_INT_H

#include "namesrv/kvconfig.h"
#include "namesrv/namesrv.h"
#include "namesrv/route_table.h"
#include "remoting/conn.h"
#include "remoting/loop.h"
#include "remoting/server.h"

struct rmq_namesrv {
    rmq_namesrv_config_t cfg;
    rmq_loop_t *loop;
    rmq_server_t *server;
    rmq_route_table_t *routes;
    rmq_kvconfig_t *kv;
    uv_timer_t scan_timer;
    uv_signal_t sigint, sigterm;
    bool signals;
    /* GET_ROUTEINFO_BY_TOPIC answers, encoded once per route version: clients
     * ask for the same few topics every 30 s, far more often than routes change. */
    rmq_map_t *route_cache; /* topic -> cached_route_t */
    uint64_t cache_version;
};

/* Loop thread: handles one request (processor.c). */
void rmq_namesrv_process(rmq_conn_t *conn, rmq_cmd_t *req, void *ud);
void rmq_namesrv_cache_clear(rmq_namesrv_t *ns);

#endif
