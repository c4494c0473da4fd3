/* Topic routes of the client instance (MQClientInstance
 * updateTopicRouteInfoFromNameServer, DefaultMQProducerImpl
 * tryToFindTopicPublishInfo; protocol.md 9.3, 9.4): the last route seen per
 * topic, the publish info built from it, and the broker address table the
 * sends and heartbeats use. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "client/instance_int.h"
#include "protocol/bodies.h"
#include "protocol/codes.h"
#include "rocketmq/error.h"

static void free_route(void *p)
{
    rmq_topic_route_free(p);
    free(p);
}

static void free_broker(void *p)
{
    rmq_broker_data_free(p);
    free(p);
}

static void unref_publish(void *p)
{
    rmq_publish_info_unref(p);
}

void rmq_instance_routes_free(rmq_instance_t *inst)
{
    rmq_map_free(inst->publish, unref_publish);
    rmq_map_free(inst->routes, free_route);
    rmq_map_free(inst->brokers, free_broker);
    inst->publish = inst->routes = inst->brokers = NULL;
}

static rmq_publish_info_t *empty_publish_info(const char *topic)
{
    rmq_topic_route_t none;
    memset(&none, 0, sizeof(none));
    return rmq_publish_info_new(topic, &none);
}

void rmq_instance_add_publish_topic(rmq_instance_t *inst, const char *topic)
{
    pthread_mutex_lock(&inst->lock);
    if (!rmq_smap_get(inst->publish, topic))
        rmq_smap_put(inst->publish, topic, empty_publish_info(topic));
    pthread_mutex_unlock(&inst->lock);
}

/* GET_ROUTEINFO_BY_TOPIC.  0 and *route filled, or the error. */
static int fetch_route(rmq_instance_t *inst, const char *topic, rmq_topic_route_t *route)
{
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC);
    rmq_ext_set(&req->ext, "topic", topic);
    rmq_cmd_t *resp = NULL;
    int err = rmq_instance_namesrv_call(inst, req, inst->cfg.api_timeout_ms, &resp);
    if (err != 0)
        return err;
    err = resp->code;
    if (err == 0) {
        char why[128];
        if (rmq_topic_route_decode(resp->body, resp->body_len, route, why, sizeof(why)) != 0) {
            RMQ_LOGW("client", "route of %s: %s", topic, why);
            err = ROCKETMQ_ERR__PROTOCOL;
        }
    }
    rmq_cmd_free(resp);
    return err;
}

/* Stores route as topic's (taking it over) and rebuilds what depends on it
 * when it changed or the publish info has no queues yet.  Caller holds
 * inst->lock. */
static void apply_route(rmq_instance_t *inst, const char *topic, rmq_topic_route_t *route)
{
    rmq_topic_route_t *old = rmq_smap_get(inst->routes, topic);
    rmq_publish_info_t *pi = rmq_smap_get(inst->publish, topic);
    bool changed = !old || !rmq_topic_route_equal(old, route);
    if (!changed && pi && pi->nmqs > 0) {
        rmq_topic_route_free(route);
        return;
    }
    for (size_t i = 0; i < route->nbroker_datas; i++) {
        rmq_broker_data_t *bd = rmq_malloc(sizeof(*bd));
        rmq_broker_data_copy(bd, &route->broker_datas[i]);
        rmq_broker_data_t *prev = rmq_smap_put(inst->brokers, bd->broker_name, bd);
        if (prev)
            free_broker(prev);
    }
    rmq_publish_info_t *npi = rmq_publish_info_new(topic, route);
    rmq_publish_info_t *prev_pi = rmq_smap_put(inst->publish, topic, npi);
    if (prev_pi)
        rmq_publish_info_unref(prev_pi);
    rmq_topic_route_t *copy = rmq_malloc(sizeof(*copy));
    *copy = *route; /* takes the contents over */
    rmq_topic_route_t *prev_route = rmq_smap_put(inst->routes, topic, copy);
    if (prev_route)
        free_route(prev_route);
    RMQ_LOGD("client", "route of %s changed: %zu write queues", topic, npi->nmqs);
}

/* Java's lockNamesrv is taken with a 3 s timeout: a stuck update never
 * blocks the others for longer. */
static bool lock_routes(rmq_instance_t *inst)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 3;
    return pthread_mutex_timedlock(&inst->route_lock, &ts) == 0;
}

int rmq_instance_update_route(rmq_instance_t *inst, const char *topic, const char *default_topic,
                              int default_queue_nums)
{
    if (!lock_routes(inst))
        return ROCKETMQ_ERR__TIMEOUT;
    rmq_topic_route_t route;
    memset(&route, 0, sizeof(route));
    int err = fetch_route(inst, default_topic ? default_topic : topic, &route);
    if (err == 0) {
        if (default_topic) {
            for (size_t i = 0; i < route.nqueue_datas; i++) {
                rmq_queue_data_t *qd = &route.queue_datas[i];
                int n = default_queue_nums < qd->read_queue_nums ? default_queue_nums
                                                                 : qd->read_queue_nums;
                qd->read_queue_nums = qd->write_queue_nums = n;
            }
        }
        pthread_mutex_lock(&inst->lock);
        apply_route(inst, topic, &route);
        pthread_mutex_unlock(&inst->lock);
    } else if (err != ROCKETMQ_ERR_TOPIC_NOT_EXIST) {
        RMQ_LOGW("client", "route of %s from the name server: %s", default_topic ? default_topic : topic,
                 rocketmq_err_str(err));
    }
    pthread_mutex_unlock(&inst->route_lock);
    return err;
}

rmq_publish_info_t *rmq_instance_cached_publish_info(rmq_instance_t *inst, const char *topic)
{
    pthread_mutex_lock(&inst->lock);
    rmq_publish_info_t *pi = rmq_smap_get(inst->publish, topic);
    if (pi)
        rmq_publish_info_ref(pi);
    pthread_mutex_unlock(&inst->lock);
    return pi;
}

rmq_publish_info_t *rmq_instance_find_publish_info(rmq_instance_t *inst, const char *topic,
                                                   const char *default_topic,
                                                   int default_queue_nums)
{
    rmq_publish_info_t *pi = rmq_instance_cached_publish_info(inst, topic);
    if (pi && pi->nmqs > 0)
        return pi;
    if (pi)
        rmq_publish_info_unref(pi);
    rmq_instance_add_publish_topic(inst, topic);
    rmq_instance_update_route(inst, topic, NULL, 0);
    pi = rmq_instance_cached_publish_info(inst, topic);
    if (pi && pi->nmqs > 0)
        return pi;
    if (pi)
        rmq_publish_info_unref(pi);
    /* unknown topic: the default topic's route lets the broker create it */
    if (default_topic)
        rmq_instance_update_route(inst, topic, default_topic, default_queue_nums);
    pi = rmq_instance_cached_publish_info(inst, topic);
    return pi ? pi : empty_publish_info(topic);
}

bool rmq_instance_master_addr(rmq_instance_t *inst, const char *broker_name, char *out, size_t n)
{
    pthread_mutex_lock(&inst->lock);
    rmq_broker_data_t *bd = rmq_smap_get(inst->brokers, broker_name);
    const char *addr = bd ? rmq_broker_data_get_addr(bd, 0) : NULL;
    if (addr)
        rmq_str_copy(out, n, addr);
    pthread_mutex_unlock(&inst->lock);
    return addr != NULL;
}

void rmq_instance_refresh_routes(rmq_instance_t *inst)
{
    pthread_mutex_lock(&inst->lock);
    size_t np = 0, ns = 0;
    const char **pub = rmq_smap_keys_sorted(inst->publish, &np);
    const char **sub = rmq_smap_keys_sorted(inst->sub_topics, &ns);
    char **topics = rmq_calloc(np + ns + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < np; i++)
        topics[n++] = rmq_strdup(pub[i]);
    for (size_t i = 0; i < ns; i++)
        if (!rmq_smap_get(inst->publish, sub[i]))
            topics[n++] = rmq_strdup(sub[i]);
    free(pub);
    free(sub);
    pthread_mutex_unlock(&inst->lock);
    for (size_t i = 0; i < n; i++) {
        rmq_instance_update_route(inst, topics[i], NULL, 0);
        free(topics[i]);
    }
    free(topics);
}
