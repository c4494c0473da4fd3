/* Producer objects: configuration, the service states, hooks
 * (DefaultMQProducer / DefaultMQProducerImpl start and shutdown;
 * protocol.md 9.1, 9.2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "client/client_int.h"
#include "client/local_addr.h"
#include "client/producer_int.h"

rocketmq_producer_t *rocketmq_producer_new(const char *group)
{
    rocketmq_producer_t *p = rmq_calloc(1, sizeof(*p));
    p->group = rmq_strdup(group ? group : "");
    rmq_instance_cfg_defaults(&p->icfg);
    snprintf(p->instance_name, sizeof(p->instance_name), "DEFAULT");
    p->send_msg_timeout = 3000;
    p->retry_sync = 2;
    p->retry_async = 2;
    p->compress_over = 4096;
    p->compress_level = 5;
    p->max_message_size = 4 * 1024 * 1024;
    p->fault = rmq_fault_new();
    p->default_topic_queue_nums = 4;
    snprintf(p->create_topic_key, sizeof(p->create_topic_key), "%s", RMQ_DEFAULT_CREATE_TOPIC_KEY);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->idle, NULL);
    atomic_init(&p->state, ROCKETMQ_CREATE_JUST);
    return p;
}

void rocketmq_producer_destroy(rocketmq_producer_t *p)
{
    if (!p)
        return;
    rocketmq_producer_shutdown(p);
    rmq_fault_free(p->fault);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->idle);
    free(p->group);
    free(p);
}

rocketmq_service_state_t rocketmq_producer_state(const rocketmq_producer_t *p)
{
    return (rocketmq_service_state_t)atomic_load(&((rocketmq_producer_t *)p)->state);
}

const char *rocketmq_producer_client_id(const rocketmq_producer_t *p)
{
    return p->inst ? rmq_instance_client_id(p->inst) : NULL;
}

int rmq_producer_check_running(const rocketmq_producer_t *p)
{
    int s = atomic_load(&((rocketmq_producer_t *)p)->state);
    if (s == ROCKETMQ_RUNNING)
        return 0;
    return rmq_client_fail(ROCKETMQ_ERR__STATE, "The producer service state not OK, %s",
                           rocketmq_service_state_name((rocketmq_service_state_t)s));
}

/* ---- start / shutdown ---- */

/* ClientConfig.buildMQClientId: ip@instanceName[@unitName]; the default
 * instance name becomes "<pid>#<nanotime>" (changeInstanceNameToPID), so
 * producers share an instance only when they are given the same name. */
static void client_id(rocketmq_producer_t *p, char *out, size_t n)
{
    if (strcmp(p->instance_name, "DEFAULT") == 0)
        snprintf(p->instance_name, sizeof(p->instance_name), "%d#%llu", (int)getpid(),
                 (unsigned long long)rmq_mono_ns());
    if (!p->icfg.client_ip[0])
        rmq_local_client_ip(p->icfg.client_ip, sizeof(p->icfg.client_ip));
    if (p->unit_name[0])
        snprintf(out, n, "%s@%s@%s", p->icfg.client_ip, p->instance_name, p->unit_name);
    else
        snprintf(out, n, "%s@%s", p->icfg.client_ip, p->instance_name);
}

static int start_locked(rocketmq_producer_t *p)
{
    char why[256];
    int err = rmq_validate_group(p->group, why, sizeof(why));
    if (err != 0)
        return rmq_client_fail(err, "%s", why);
    if (strcmp(p->group, RMQ_DEFAULT_PRODUCER_GROUP) == 0)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG,
                               "producerGroup can not equal %s, please specify another one.",
                               RMQ_DEFAULT_PRODUCER_GROUP);
    char cid[256];
    client_id(p, cid, sizeof(cid));
    p->inst = rmq_instance_acquire(cid, &p->icfg);
    if (rmq_instance_register_producer(p->inst, p->group) != 0) {
        rmq_instance_release(p->inst);
        p->inst = NULL;
        atomic_store(&p->state, ROCKETMQ_CREATE_JUST);
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG,
                               "The producer group[%s] has been created before, specify another "
                               "name please.",
                               p->group);
    }
    rmq_instance_add_publish_topic(p->inst, p->create_topic_key);
    err = rmq_instance_start(p->inst);
    if (err != 0) {
        rmq_instance_unregister_producer(p->inst, p->group);
        rmq_instance_release(p->inst);
        p->inst = NULL;
        return rmq_client_fail(err, "the client instance %s failed to start", cid);
    }
    return 0;
}

int rocketmq_producer_start(rocketmq_producer_t *p)
{
    if (!p)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no producer");
    pthread_mutex_lock(&p->lock);
    int s = atomic_load(&p->state);
    if (s != ROCKETMQ_CREATE_JUST) {
        pthread_mutex_unlock(&p->lock);
        return rmq_client_fail(ROCKETMQ_ERR__STATE,
                               "The producer service state not OK, maybe started once, %s",
                               rocketmq_service_state_name((rocketmq_service_state_t)s));
    }
    atomic_store(&p->state, ROCKETMQ_START_FAILED);
    int err = start_locked(p);
    if (err == 0)
        atomic_store(&p->state, ROCKETMQ_RUNNING);
    pthread_mutex_unlock(&p->lock);
    if (err != 0)
        return err;
    /* as Java: announce the group to the brokers known so far at once */
    rmq_instance_heartbeat_all(p->inst);
    RMQ_LOGD("client", "producer %s started in %s", p->group, rmq_instance_client_id(p->inst));
    return 0;
}

int rocketmq_producer_shutdown(rocketmq_producer_t *p)
{
    if (!p)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no producer");
    pthread_mutex_lock(&p->lock);
    if (atomic_load(&p->state) != ROCKETMQ_RUNNING) {
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    /* A callback thread would wait for its own send to finish, then join
     * itself: refuse instead of hanging. */
    if (rmq_executor_in_thread(rmq_instance_executor(p->inst))) {
        pthread_mutex_unlock(&p->lock);
        return rmq_client_fail(ROCKETMQ_ERR__STATE,
                               "a producer cannot be shut down from its send callback");
    }
    atomic_store(&p->state, ROCKETMQ_SHUTDOWN_ALREADY);
    /* every ASYNC send ends by its timeout, so this wait is bounded */
    while (p->inflight > 0)
        pthread_cond_wait(&p->idle, &p->lock);
    pthread_mutex_unlock(&p->lock);
    rmq_instance_unregister_producer(p->inst, p->group);
    rmq_instance_release(p->inst);
    p->inst = NULL;
    RMQ_LOGD("client", "producer %s shut down", p->group);
    return 0;
}

/* ---- configuration ---- */

static int before_start(rocketmq_producer_t *p)
{
    if (!p)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no producer");
    if (atomic_load(&p->state) != ROCKETMQ_CREATE_JUST)
        return rmq_client_fail(ROCKETMQ_ERR__STATE, "configuration changes must come before start");
    return 0;
}

static int set_str(rocketmq_producer_t *p, char *dst, size_t n, const char *v)
{
    return rmq_cfg_str(before_start(p), dst, n, v);
}

static int set_int(rocketmq_producer_t *p, int *dst, int v, int min, int max)
{
    return rmq_cfg_int(before_start(p), dst, v, min, max);
}

static int set_bool(rocketmq_producer_t *p, bool *dst, bool v)
{
    int err = before_start(p);
    if (err == 0)
        *dst = v;
    return err;
}

int rocketmq_producer_set_namesrv_addr(rocketmq_producer_t *p, const char *addrs)
{
    return set_str(p, p->icfg.namesrv, sizeof(p->icfg.namesrv), addrs);
}

int rocketmq_producer_set_instance_name(rocketmq_producer_t *p, const char *name)
{
    return set_str(p, p->instance_name, sizeof(p->instance_name), name);
}

int rocketmq_producer_set_client_ip(rocketmq_producer_t *p, const char *ip)
{
    return set_str(p, p->icfg.client_ip, sizeof(p->icfg.client_ip), ip);
}

int rocketmq_producer_set_unit_name(rocketmq_producer_t *p, const char *unit)
{
    return set_str(p, p->unit_name, sizeof(p->unit_name), unit);
}

int rocketmq_producer_set_send_msg_timeout(rocketmq_producer_t *p, int ms)
{
    return set_int(p, &p->send_msg_timeout, ms, 1, 3600 * 1000);
}

int rocketmq_producer_set_retry_times_when_send_failed(rocketmq_producer_t *p, int times)
{
    return set_int(p, &p->retry_sync, times, 0, 100);
}

int rocketmq_producer_set_retry_times_when_send_async_failed(rocketmq_producer_t *p, int times)
{
    return set_int(p, &p->retry_async, times, 0, 100);
}

int rocketmq_producer_set_retry_another_broker_when_not_store_ok(rocketmq_producer_t *p, bool on)
{
    return set_bool(p, &p->retry_another_broker, on);
}

int rocketmq_producer_set_compress_msg_body_over_howmuch(rocketmq_producer_t *p, int bytes)
{
    return set_int(p, &p->compress_over, bytes, 0, 1 << 30);
}

int rocketmq_producer_set_compress_level(rocketmq_producer_t *p, int level)
{
    return set_int(p, &p->compress_level, level, 0, 9);
}

int rocketmq_producer_set_max_message_size(rocketmq_producer_t *p, int bytes)
{
    return set_int(p, &p->max_message_size, bytes, 1, 1 << 30);
}

int rocketmq_producer_set_send_latency_fault_enable(rocketmq_producer_t *p, bool on)
{
    return set_bool(p, &p->fault_enable, on);
}

int rocketmq_producer_set_latency_levels(rocketmq_producer_t *p, const int64_t *latency_max,
                                         const int64_t *not_available_duration, size_t n)
{
    int err = before_start(p);
    if (err != 0)
        return err;
    if (!latency_max || !not_available_duration ||
        rmq_fault_set_levels(p->fault, latency_max, not_available_duration, n) != 0)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "latency levels: 1 to %d entries each",
                               RMQ_FAULT_MAX_LEVELS);
    return 0;
}

int rocketmq_producer_set_default_topic_queue_nums(rocketmq_producer_t *p, int n)
{
    return set_int(p, &p->default_topic_queue_nums, n, 1, 1024);
}

int rocketmq_producer_set_create_topic_key(rocketmq_producer_t *p, const char *topic)
{
    return set_str(p, p->create_topic_key, sizeof(p->create_topic_key), topic);
}

int rocketmq_producer_set_poll_name_server_interval(rocketmq_producer_t *p, int ms)
{
    return set_int(p, &p->icfg.poll_ns_interval_ms, ms, 10, 24 * 3600 * 1000);
}

int rocketmq_producer_set_heartbeat_broker_interval(rocketmq_producer_t *p, int ms)
{
    return set_int(p, &p->icfg.heartbeat_interval_ms, ms, 10, 24 * 3600 * 1000);
}

int rocketmq_producer_set_mq_client_api_timeout(rocketmq_producer_t *p, int ms)
{
    return set_int(p, &p->icfg.api_timeout_ms, ms, 1, 3600 * 1000);
}

int rocketmq_producer_set_vip_channel_enabled(rocketmq_producer_t *p, bool on)
{
    return set_bool(p, &p->vip_channel, on);
}

/* ---- hooks ---- */

int rocketmq_producer_add_check_forbidden_hook(rocketmq_producer_t *p,
                                               rocketmq_check_forbidden_fn fn, void *arg)
{
    int err = before_start(p);
    if (err != 0)
        return err;
    if (!fn || p->nforbidden == RMQ_PRODUCER_MAX_HOOKS)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no function, or %d hooks already",
                               RMQ_PRODUCER_MAX_HOOKS);
    p->forbidden[p->nforbidden++] = (rmq_forbidden_hook_t){fn, arg};
    return 0;
}

int rocketmq_producer_add_send_hook(rocketmq_producer_t *p, rocketmq_send_hook_fn before,
                                    rocketmq_send_hook_fn after, void *arg)
{
    int err = before_start(p);
    if (err != 0)
        return err;
    if ((!before && !after) || p->nhooks == RMQ_PRODUCER_MAX_HOOKS)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no function, or %d hooks already",
                               RMQ_PRODUCER_MAX_HOOKS);
    p->hooks[p->nhooks++] = (rmq_send_hook_t){before, after, arg};
    return 0;
}

int rmq_producer_run_forbidden(rocketmq_producer_t *p, const rocketmq_send_context_t *ctx)
{
    for (int i = 0; i < p->nforbidden; i++) {
        int err = p->forbidden[i].fn(ctx, p->forbidden[i].arg);
        if (err != 0)
            return err;
    }
    return 0;
}

void rmq_producer_run_before(rocketmq_producer_t *p, const rocketmq_send_context_t *ctx)
{
    for (int i = 0; i < p->nhooks; i++)
        if (p->hooks[i].before)
            p->hooks[i].before(ctx, p->hooks[i].arg);
}

void rmq_producer_run_after(rocketmq_producer_t *p, const rocketmq_send_context_t *ctx)
{
    for (int i = 0; i < p->nhooks; i++)
        if (p->hooks[i].after)
            p->hooks[i].after(ctx, p->hooks[i].arg);
}

/* ---- names ---- */

const char *rocketmq_send_status_name(rocketmq_send_status_t status)
{
    switch (status) {
    case ROCKETMQ_SEND_OK:
        return "SEND_OK";
    case ROCKETMQ_SEND_FLUSH_DISK_TIMEOUT:
        return "FLUSH_DISK_TIMEOUT";
    case ROCKETMQ_SEND_FLUSH_SLAVE_TIMEOUT:
        return "FLUSH_SLAVE_TIMEOUT";
    case ROCKETMQ_SEND_SLAVE_NOT_AVAILABLE:
        return "SLAVE_NOT_AVAILABLE";
    }
    return "UNKNOWN";
}

const char *rocketmq_service_state_name(rocketmq_service_state_t state)
{
    switch (state) {
    case ROCKETMQ_CREATE_JUST:
        return "CREATE_JUST";
    case ROCKETMQ_RUNNING:
        return "RUNNING";
    case ROCKETMQ_SHUTDOWN_ALREADY:
        return "SHUTDOWN_ALREADY";
    case ROCKETMQ_START_FAILED:
        return "START_FAILED";
    }
    return "UNKNOWN";
}

int rocketmq_send_result_format(const rocketmq_send_result_t *r, char *buf, size_t n)
{
    return snprintf(buf, n,
                    "SendResult [sendStatus=%s, msgId=%s, offsetMsgId=%s, messageQueue=MessageQueue "
                    "[topic=%s, brokerName=%s, queueId=%d], queueOffset=%lld]",
                    rocketmq_send_status_name(r->status), r->msg_id, r->offset_msg_id,
                    r->queue.topic, r->queue.broker_name, r->queue.queue_id,
                    (long long)r->queue_offset);
}
