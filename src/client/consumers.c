/* The consumers of a client instance (MQClientInstance registerConsumer,
 * RebalanceService, persistAllConsumerOffset, the subscribe side of the
 * route table; protocol.md 9.3, 9.4, 9.8). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "client/allocate.h"
#include "client/instance_int.h"
#include "protocol/bodies.h"
#include "protocol/codes.h"
#include "rocketmq/error.h"

int rmq_instance_register_consumer(rmq_instance_t *inst, const char *group,
                                   const rmq_consumer_iface_t *iface)
{
    pthread_mutex_lock(&inst->lock);
    bool dup = rmq_smap_get(inst->consumers, group) != NULL;
    if (!dup) {
        rmq_consumer_iface_t *copy = rmq_malloc(sizeof(*copy));
        *copy = *iface;
        rmq_smap_put(inst->consumers, group, copy);
    }
    pthread_mutex_unlock(&inst->lock);
    return dup ? ROCKETMQ_ERR__INVALID_ARG : 0;
}

/* Calls fn on a snapshot of the consumers; unregister waits for the calls
 * in progress, so a consumer is never called after it has left. */
static void for_each_consumer(rmq_instance_t *inst, void (*fn)(rmq_consumer_iface_t *, void *),
                              void *arg)
{
    pthread_mutex_lock(&inst->lock);
    size_t n = 0;
    const char **groups = rmq_smap_keys_sorted(inst->consumers, &n);
    rmq_consumer_iface_t *snap = rmq_calloc(n ? n : 1, sizeof(*snap));
    for (size_t i = 0; i < n; i++)
        snap[i] = *(rmq_consumer_iface_t *)rmq_smap_get(inst->consumers, groups[i]);
    free(groups);
    inst->consumer_calls++;
    pthread_mutex_unlock(&inst->lock);
    for (size_t i = 0; i < n; i++)
        fn(&snap[i], arg);
    free(snap);
    pthread_mutex_lock(&inst->lock);
    if (--inst->consumer_calls == 0)
        pthread_cond_broadcast(&inst->consumer_idle);
    pthread_mutex_unlock(&inst->lock);
}

void rmq_instance_unregister_consumer(rmq_instance_t *inst, const char *group)
{
    pthread_mutex_lock(&inst->lock);
    free(rmq_smap_del(inst->consumers, group));
    while (inst->consumer_calls > 0)
        pthread_cond_wait(&inst->consumer_idle, &inst->lock);
    pthread_mutex_unlock(&inst->lock);
    rmq_instance_unregister_group(inst, NULL, group);
}

/* ---- periodic work ---- */

static void call_persist(rmq_consumer_iface_t *c, void *arg)
{
    (void)arg;
    c->persist(c->self);
}

void rmq_instance_persist_offsets(rmq_instance_t *inst)
{
    for_each_consumer(inst, call_persist, NULL);
}

static void call_rebalance(rmq_consumer_iface_t *c, void *arg)
{
    (void)arg;
    c->rebalance(c->self);
}

void rmq_instance_rebalance_now(rmq_instance_t *inst)
{
    pthread_mutex_lock(&inst->lock);
    inst->rebalance_wake = true;
    pthread_cond_signal(&inst->rebalance_cond);
    pthread_mutex_unlock(&inst->lock);
}

/* RebalanceService: every interval, or at once when woken. */
void *rmq_instance_rebalance_main(void *arg)
{
    rmq_instance_t *inst = arg;
    pthread_mutex_lock(&inst->lock);
    while (!inst->stopping) {
        if (!inst->rebalance_wake) {
            struct timespec ts;
            rmq_timespec_in(&ts, CLOCK_MONOTONIC, inst->cfg.rebalance_interval_ms);
            pthread_cond_timedwait(&inst->rebalance_cond, &inst->lock, &ts);
        }
        inst->rebalance_wake = false;
        if (inst->stopping)
            break;
        pthread_mutex_unlock(&inst->lock);
        for_each_consumer(inst, call_rebalance, NULL);
        pthread_mutex_lock(&inst->lock);
    }
    pthread_mutex_unlock(&inst->lock);
    return NULL;
}

typedef struct hb_acc {
    rmq_consumer_data_t *v;
    size_t n;
    bool any_clustering;
} hb_acc_t;

static void call_heartbeat(rmq_consumer_iface_t *c, void *arg)
{
    hb_acc_t *acc = arg;
    acc->v = rmq_realloc(acc->v, (acc->n + 1) * sizeof(*acc->v));
    memset(&acc->v[acc->n], 0, sizeof(acc->v[0]));
    c->heartbeat(c->self, &acc->v[acc->n++]);
}

size_t rmq_instance_consumer_heartbeats(rmq_instance_t *inst, rmq_consumer_data_t **out)
{
    hb_acc_t acc = {0};
    for_each_consumer(inst, call_heartbeat, &acc);
    *out = acc.v;
    return acc.n;
}

/* ---- subscribe side of the routes ---- */

void rmq_instance_add_sub_topic(rmq_instance_t *inst, const char *topic)
{
    pthread_mutex_lock(&inst->lock);
    intptr_t n = (intptr_t)rmq_smap_get(inst->sub_topics, topic);
    rmq_smap_put(inst->sub_topics, topic, (void *)(n + 1));
    pthread_mutex_unlock(&inst->lock);
}

void rmq_instance_remove_sub_topic(rmq_instance_t *inst, const char *topic)
{
    pthread_mutex_lock(&inst->lock);
    intptr_t n = (intptr_t)rmq_smap_get(inst->sub_topics, topic);
    if (n <= 1)
        rmq_smap_del(inst->sub_topics, topic);
    else
        rmq_smap_put(inst->sub_topics, topic, (void *)(n - 1));
    pthread_mutex_unlock(&inst->lock);
}

/* Caller holds inst->lock. */
static size_t read_queues(const char *topic, const rmq_topic_route_t *r,
                          rocketmq_message_queue_t **mqs)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nqueue_datas; i++)
        if (r->queue_datas[i].perm & RMQ_PERM_READ)
            n += (size_t)(r->queue_datas[i].read_queue_nums > 0 ? r->queue_datas[i].read_queue_nums : 0);
    *mqs = n ? rmq_calloc(n, sizeof(**mqs)) : NULL;
    size_t k = 0;
    for (size_t i = 0; i < r->nqueue_datas; i++) {
        const rmq_queue_data_t *qd = &r->queue_datas[i];
        if (!(qd->perm & RMQ_PERM_READ) || strlen(qd->broker_name) > ROCKETMQ_BROKER_NAME_MAX)
            continue;
        for (int q = 0; q < qd->read_queue_nums; q++, k++) {
            rmq_str_copy((*mqs)[k].topic, sizeof((*mqs)[k].topic), topic);
            rmq_str_copy((*mqs)[k].broker_name, sizeof((*mqs)[k].broker_name), qd->broker_name);
            (*mqs)[k].queue_id = q;
        }
    }
    return k;
}

int rmq_instance_subscribe_queues(rmq_instance_t *inst, const char *topic,
                                  rocketmq_message_queue_t **mqs, size_t *n)
{
    *mqs = NULL;
    *n = 0;
    if (strlen(topic) > ROCKETMQ_TOPIC_MAX)
        return ROCKETMQ_ERR__INVALID_ARG;
    for (int pass = 0; pass < 2; pass++) {
        pthread_mutex_lock(&inst->lock);
        rmq_topic_route_t *r = rmq_smap_get(inst->routes, topic);
        if (r)
            *n = read_queues(topic, r, mqs);
        pthread_mutex_unlock(&inst->lock);
        if (r)
            break;
        int err = rmq_instance_update_route(inst, topic, NULL, 0);
        if (err != 0)
            return err;
    }
    rmq_mq_sort(*mqs, *n);
    return *n ? 0 : ROCKETMQ_ERR__NO_ROUTE;
}

bool rmq_instance_subscribe_addr(rmq_instance_t *inst, const char *broker_name, int64_t broker_id,
                                 char *out, size_t n, bool *is_slave)
{
    pthread_mutex_lock(&inst->lock);
    rmq_broker_data_t *bd = rmq_smap_get(inst->brokers, broker_name);
    const char *addr = NULL;
    int64_t id = broker_id;
    if (bd) {
        addr = rmq_broker_data_get_addr(bd, broker_id);
        if (!addr && broker_id != 0) /* a slave id that is gone: the next one */
            addr = rmq_broker_data_get_addr(bd, id = broker_id + 1);
        if (!addr && bd->naddrs > 0) {
            addr = bd->addrs[0].addr;
            id = bd->addrs[0].broker_id;
        }
    }
    if (addr)
        rmq_str_copy(out, n, addr);
    if (is_slave)
        *is_slave = id != 0;
    pthread_mutex_unlock(&inst->lock);
    return addr != NULL;
}

bool rmq_instance_any_broker_of_topic(rmq_instance_t *inst, const char *topic, char *out, size_t n)
{
    pthread_mutex_lock(&inst->lock);
    rmq_topic_route_t *r = rmq_smap_get(inst->routes, topic);
    bool found = false;
    if (r && r->nbroker_datas > 0) {
        /* a random broker of the route spreads the queries */
        const rmq_broker_data_t *bd = &r->broker_datas[(size_t)rand() % r->nbroker_datas];
        const char *addr = rmq_broker_data_get_addr(bd, 0);
        if (!addr && bd->naddrs > 0)
            addr = bd->addrs[0].addr;
        if (addr) {
            rmq_str_copy(out, n, addr);
            found = true;
        }
    }
    pthread_mutex_unlock(&inst->lock);
    return found;
}
