/* Heartbeats and unregistration (MQClientInstance sendHeartbeatToAllBroker,
 * cleanOfflineBroker, unregisterClient; protocol.md 9.3, 4.4, 4.5). */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "client/instance_int.h"
#include "protocol/bodies.h"
#include "protocol/codes.h"
#include "protocol/heartbeat.h"
#include "rocketmq/error.h"

typedef struct addr_list {
    char **v;
    size_t n;
} addr_list_t;

static void addr_list_add(addr_list_t *l, const char *a)
{
    l->v = rmq_realloc(l->v, (l->n + 1) * sizeof(char *));
    l->v[l->n++] = rmq_strdup(a);
}

static void addr_list_free(addr_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* Is addr one of broker_name's addresses in some cached route? */
static bool in_some_route(rmq_instance_t *inst, const char *broker_name, const char *addr)
{
    rmq_map_iter_t it;
    const char *k;
    size_t kl;
    void *v;
    rmq_map_iter_init(&it, inst->routes);
    while (rmq_map_iter_next(&it, &k, &kl, &v)) {
        const rmq_topic_route_t *r = v;
        for (size_t i = 0; i < r->nbroker_datas; i++) {
            const rmq_broker_data_t *bd = &r->broker_datas[i];
            if (strcmp(bd->broker_name, broker_name) != 0)
                continue;
            for (size_t j = 0; j < bd->naddrs; j++)
                if (strcmp(bd->addrs[j].addr, addr) == 0)
                    return true;
        }
    }
    return false;
}

/* cleanOfflineBroker: addresses no cached route mentions any more are
 * dropped, and brokers left without an address.  Caller holds inst->lock. */
static void clean_offline_brokers(rmq_instance_t *inst)
{
    rmq_map_iter_t it;
    const char *name;
    size_t kl;
    void *v;
    rmq_map_iter_init(&it, inst->brokers);
    while (rmq_map_iter_next(&it, &name, &kl, &v)) {
        rmq_broker_data_t *bd = v;
        for (size_t j = bd->naddrs; j-- > 0;) {
            if (in_some_route(inst, name, bd->addrs[j].addr))
                continue;
            RMQ_LOGD("client", "broker %s address %s is offline", name, bd->addrs[j].addr);
            rmq_broker_data_set_addr(bd, bd->addrs[j].broker_id, NULL);
        }
        if (bd->naddrs == 0) {
            rmq_map_del(inst->brokers, name, kl);
            rmq_broker_data_free(bd);
            free(bd);
        }
    }
}

/* Addresses of every known broker: masters only, or all of them. */
static void broker_addrs(rmq_instance_t *inst, bool masters_only, addr_list_t *out)
{
    rmq_map_iter_t it;
    const char *k;
    size_t kl;
    void *v;
    rmq_map_iter_init(&it, inst->brokers);
    while (rmq_map_iter_next(&it, &k, &kl, &v)) {
        const rmq_broker_data_t *bd = v;
        for (size_t j = 0; j < bd->naddrs; j++)
            if (!masters_only || bd->addrs[j].broker_id == 0)
                addr_list_add(out, bd->addrs[j].addr);
    }
}

/* The heartbeat body with the consumers' entries, or false when there is
 * nothing to announce. */
static bool build_heartbeat(rmq_instance_t *inst, rmq_consumer_data_t *consumers, size_t ncons,
                            rmq_buf_t *body)
{
    pthread_mutex_lock(&inst->lock);
    size_t n = 0;
    const char **groups = rmq_smap_keys_sorted(inst->producers, &n);
    if (n == 0 && ncons == 0) {
        pthread_mutex_unlock(&inst->lock);
        free(groups);
        return false;
    }
    rmq_heartbeat_data_t hb;
    memset(&hb, 0, sizeof(hb));
    hb.client_id = inst->client_id;
    hb.producer_groups = rmq_calloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        hb.producer_groups[hb.nproducers++] = (char *)groups[i];
    hb.producer_groups[hb.nproducers++] = RMQ_CLIENT_INNER_PRODUCER_GROUP;
    hb.consumers = consumers;
    hb.nconsumers = ncons;
    rmq_heartbeat_data_encode(&hb, body);
    pthread_mutex_unlock(&inst->lock);
    free(hb.producer_groups);
    free(groups);
    return true;
}

void rmq_instance_heartbeat_all(rmq_instance_t *inst)
{
    rmq_buf_t body = RMQ_BUF_INIT;
    addr_list_t addrs = {0};
    rmq_consumer_data_t *consumers = NULL;
    size_t ncons = rmq_instance_consumer_heartbeats(inst, &consumers);
    bool any = build_heartbeat(inst, consumers, ncons, &body);
    for (size_t i = 0; i < ncons; i++)
        rmq_consumer_data_free(&consumers[i]);
    free(consumers);
    pthread_mutex_lock(&inst->lock);
    clean_offline_brokers(inst);
    if (any) /* consumers pull from slaves too: every address then */
        broker_addrs(inst, ncons == 0, &addrs);
    pthread_mutex_unlock(&inst->lock);
    for (size_t i = 0; i < addrs.n; i++) {
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_HEART_BEAT);
        rmq_cmd_set_body(req, body.data, body.len);
        rmq_cmd_t *resp = NULL;
        int err = rmq_rclient_invoke_sync(inst->rc, addrs.v[i], req, inst->cfg.api_timeout_ms, &resp);
        if (err == 0 && resp->code != 0)
            err = resp->code;
        if (err != 0)
            RMQ_LOGW("client", "heartbeat to %s: %s", addrs.v[i], rocketmq_err_str(err));
        rmq_cmd_free(resp);
    }
    addr_list_free(&addrs);
    rmq_buf_free(&body);
}

void rmq_instance_unregister_producer(rmq_instance_t *inst, const char *group)
{
    pthread_mutex_lock(&inst->lock);
    rmq_smap_del(inst->producers, group);
    pthread_mutex_unlock(&inst->lock);
    rmq_instance_unregister_group(inst, group, NULL);
}

void rmq_instance_unregister_group(rmq_instance_t *inst, const char *producer_group,
                                   const char *consumer_group)
{
    const char *group = producer_group ? producer_group : consumer_group;
    addr_list_t addrs = {0};
    pthread_mutex_lock(&inst->lock);
    broker_addrs(inst, false, &addrs);
    pthread_mutex_unlock(&inst->lock);
    for (size_t i = 0; i < addrs.n; i++) {
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_UNREGISTER_CLIENT);
        rmq_unregister_client_req_t h = {.clientID = inst->client_id,
                                         .producerGroup = producer_group,
                                         .consumerGroup = consumer_group};
        rmq_header_encode(&rmq_unregister_client_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        int err = rmq_rclient_invoke_sync(inst->rc, addrs.v[i], req, inst->cfg.api_timeout_ms, &resp);
        if (err != 0)
            RMQ_LOGW("client", "unregister %s from %s: %s", group, addrs.v[i], rocketmq_err_str(err));
        rmq_cmd_free(resp);
    }
    addr_list_free(&addrs);
}
