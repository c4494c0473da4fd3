/* Registration with the name servers (BrokerOuterAPI; reference broker.md
 * 13.2-13.3): the whole topic table, with its data version, to every name
 * server at start, every registerNameServerPeriod, and (one-way) whenever a
 * topic is created or changed; UNREGISTER_BROKER at shutdown. */
#include <stdlib.h>
#include <string.h>

#include "base/crc32.h"
#include "base/log.h"
#include "base/mem.h"
#include "broker/broker_int.h"
#include "protocol/codes.h"
#include "protocol/namesrv_headers.h"
#include "rocketmq/error.h"

#define UNREGISTER_TIMEOUT_MS 3000

/* Calls fn for each address of "host:port;host:port". */
static int foreach_namesrv(const char *list, void (*fn)(const char *addr, void *arg), void *arg)
{
    char *copy = rmq_strdup(list ? list : ""), *save = NULL;
    int n = 0;
    for (char *a = strtok_r(copy, ";", &save); a; a = strtok_r(NULL, ";", &save)) {
        while (*a == ' ')
            a++;
        if (*a) {
            fn(a, arg);
            n++;
        }
    }
    free(copy);
    return n;
}

typedef struct reg_ctx {
    rmq_broker_t *b;
    rmq_buf_t body;
    char ha_addr[80];
    bool oneway;
} reg_ctx_t;

static void on_registered(int err, rmq_cmd_t *resp, void *arg)
{
    rmq_broker_t *b = arg;
    if (err != 0 || resp->code != 0) {
        RMQ_LOGW("broker", "register to name server failed: %s %s",
                 err ? rocketmq_err_str(err) : rocketmq_err_name(resp ? resp->code : 0),
                 resp && resp->remark ? resp->remark : "");
        rmq_cmd_free(resp);
        return;
    }
    /* The answer carries the ORDER_TOPIC_CONFIG KV table (order topics). */
    if (resp->body_len > 0) {
        rmq_map_t *kv;
        char e[160];
        if (rmq_kv_table_decode(resp->body, resp->body_len, &kv, e, sizeof(e)) == 0) {
            rmq_topic_mgr_set_order_topics(b->topics, kv);
            rmq_map_free(kv, free);
        }
    }
    rmq_cmd_free(resp);
}

static void register_one(const char *addr, void *arg)
{
    reg_ctx_t *c = arg;
    rmq_broker_t *b = c->b;
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_REGISTER_BROKER);
    rmq_register_broker_req_t h = {
        .brokerName = b->cfg.brokerName,
        .brokerAddr = b->store_host,
        .clusterName = b->cfg.brokerClusterName,
        .haServerAddr = c->ha_addr,
        .brokerId = b->cfg.brokerId,
        .compressed = false,
        .bodyCrc32 = (int32_t)(rmq_crc32(0, c->body.data, c->body.len) & 0x7FFFFFFFu),
        .has_bodyCrc32 = true,
    };
    rmq_header_encode(&rmq_register_broker_req_desc, &h, &req->ext);
    rmq_cmd_set_body(req, c->body.data, c->body.len);
    if (c->oneway)
        rmq_rclient_invoke_oneway(b->ns_client, addr, req);
    else
        rmq_rclient_invoke_async(b->ns_client, addr, req, b->cfg.registerBrokerTimeoutMills,
                                 on_registered, b);
}

void rmq_broker_register_all(rmq_broker_t *b, bool oneway)
{
    reg_ctx_t c = {.b = b, .oneway = oneway};
    snprintf(c.ha_addr, sizeof(c.ha_addr), "%s:%d", b->cfg.brokerIP2, b->cfg.listenPort + 1);
    rmq_register_broker_body_t body;
    rmq_topic_mgr_snapshot(b->topics, &body);
    rmq_register_broker_body_encode(&body, &c.body);
    rmq_register_broker_body_free(&body);
    if (foreach_namesrv(b->cfg.namesrvAddr, register_one, &c) == 0)
        RMQ_LOGD("broker", "no name server configured: not registering");
    rmq_buf_free(&c.body);
}

typedef struct unreg_ctx {
    rmq_broker_t *b;
    int pending;
} unreg_ctx_t;

static void on_unregistered(int err, rmq_cmd_t *resp, void *arg)
{
    unreg_ctx_t *u = arg;
    if (err != 0)
        RMQ_LOGW("broker", "unregister from a name server failed: %s", rocketmq_err_str(err));
    rmq_cmd_free(resp);
    if (--u->pending == 0) {
        rmq_loop_stop(u->b->loop);
        free(u);
    }
}

static void unregister_one(const char *addr, void *arg)
{
    unreg_ctx_t *u = arg;
    rmq_broker_t *b = u->b;
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_UNREGISTER_BROKER);
    rmq_broker_ident_req_t h = {b->cfg.brokerName, b->store_host, b->cfg.brokerClusterName,
                                b->cfg.brokerId};
    rmq_header_encode(&rmq_broker_ident_req_desc, &h, &req->ext);
    u->pending++;
    rmq_rclient_invoke_async(b->ns_client, addr, req, UNREGISTER_TIMEOUT_MS, on_unregistered, u);
}

void rmq_broker_unregister_all(rmq_broker_t *b)
{
    unreg_ctx_t *u = rmq_calloc(1, sizeof(*u));
    u->b = b;
    u->pending = 1; /* held while sending, so an early answer cannot finish it */
    foreach_namesrv(b->cfg.namesrvAddr, unregister_one, u);
    on_unregistered(0, NULL, u);
}
