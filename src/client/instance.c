/* Client instance life cycle and the process-wide table of instances. */
#include "client/instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "client/instance_int.h"
#include "protocol/bodies.h"
#include "protocol/codes.h"
#include "rocketmq/producer.h"

/* MQClientManager: every instance of the process, by client id. */
static pthread_mutex_t g_mgr_lock = PTHREAD_MUTEX_INITIALIZER;
static rmq_map_t *g_instances;

void rmq_instance_cfg_defaults(rmq_instance_cfg_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->poll_ns_interval_ms = 30000;
    cfg->heartbeat_interval_ms = 30000;
    cfg->api_timeout_ms = 3000;
    cfg->persist_interval_ms = 5000;
    cfg->rebalance_interval_ms = 20000;
}

static rmq_instance_t *instance_new(const char *client_id, const rmq_instance_cfg_t *cfg)
{
    rmq_instance_t *inst = rmq_calloc(1, sizeof(*inst));
    snprintf(inst->client_id, sizeof(inst->client_id), "%s", client_id);
    inst->cfg = *cfg;
    snprintf(inst->client_ip, sizeof(inst->client_ip), "%s", cfg->client_ip);
    pthread_mutex_init(&inst->lock, NULL);
    pthread_mutex_init(&inst->route_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&inst->sched_cond, &ca);
    inst->state = ROCKETMQ_CREATE_JUST;
    inst->publish = rmq_map_new();
    inst->routes = rmq_map_new();
    inst->brokers = rmq_map_new();
    inst->producers = rmq_map_new();
    inst->consumers = rmq_map_new();
    inst->sub_topics = rmq_map_new();
    pthread_cond_init(&inst->rebalance_cond, &ca);
    pthread_cond_init(&inst->consumer_idle, NULL);
    pthread_condattr_destroy(&ca);
    rmq_instance_ns_init(inst);
    return inst;
}

rmq_instance_t *rmq_instance_acquire(const char *client_id, const rmq_instance_cfg_t *cfg)
{
    pthread_mutex_lock(&g_mgr_lock);
    if (!g_instances) {
        g_instances = rmq_map_new();
        /* a library stays quiet on the application's stderr unless asked */
        const char *lv = getenv("RMQ_LOG_LEVEL");
        int level = lv ? rmq_log_level_parse(lv) : -1;
        rmq_log_set_level(level >= 0 ? (rmq_log_level_t)level : RMQ_LOG_WARN);
    }
    rmq_instance_t *inst = rmq_smap_get(g_instances, client_id);
    if (!inst) {
        inst = instance_new(client_id, cfg);
        rmq_smap_put(g_instances, client_id, inst);
        RMQ_LOGD("client", "created client instance %s", client_id);
    }
    inst->refs++;
    pthread_mutex_unlock(&g_mgr_lock);
    return inst;
}

/* ---- requests from brokers (ClientRemotingProcessor) ---- */

/* I/O thread.  NOTIFY_CONSUMER_IDS_CHANGED wakes the rebalance at once;
 * anything else is answered REQUEST_CODE_NOT_SUPPORTED (nothing for
 * one-way requests). */
static void on_request(rmq_conn_t *conn, rmq_cmd_t *req, void *ud)
{
    rmq_instance_t *inst = ud;
    if (req->code == RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED) {
        RMQ_LOGD("client", "consumer ids changed: rebalancing now");
        rmq_instance_rebalance_now(inst);
        if (!rmq_cmd_is_oneway(req))
            rmq_conn_reply(conn, req, rmq_cmd_new_response(req, 0, NULL));
    } else {
        rmq_conn_reply(conn, req,
                       rmq_cmd_new_response(req, ROCKETMQ_ERR_REQUEST_CODE_NOT_SUPPORTED,
                                            "request type not supported"));
    }
    rmq_cmd_free(req);
}

/* ---- scheduler ---- */

typedef struct sched_task {
    int64_t next_ms;
    int period_ms;
    void (*run)(rmq_instance_t *inst);
} sched_task_t;

static void *sched_main(void *arg)
{
    rmq_instance_t *inst = arg;
    sched_task_t tasks[] = {
        {rmq_mono_ms() + 10, inst->cfg.poll_ns_interval_ms, rmq_instance_refresh_routes},
        {rmq_mono_ms() + 1000, inst->cfg.heartbeat_interval_ms, rmq_instance_heartbeat_all},
        {rmq_mono_ms() + 10000, inst->cfg.persist_interval_ms, rmq_instance_persist_offsets},
    };
    size_t ntasks = sizeof(tasks) / sizeof(tasks[0]);
    pthread_mutex_lock(&inst->lock);
    while (!inst->stopping) {
        int64_t now = rmq_mono_ms(), next = now + 60000;
        for (size_t i = 0; i < ntasks; i++) {
            if (tasks[i].next_ms <= now) {
                pthread_mutex_unlock(&inst->lock);
                tasks[i].run(inst);
                pthread_mutex_lock(&inst->lock);
                tasks[i].next_ms = rmq_mono_ms() + tasks[i].period_ms;
            }
            if (tasks[i].next_ms < next)
                next = tasks[i].next_ms;
        }
        if (inst->stopping)
            break;
        int64_t wait = next - rmq_mono_ms();
        if (wait > 0) {
            struct timespec ts;
            rmq_timespec_in(&ts, CLOCK_MONOTONIC, wait);
            pthread_cond_timedwait(&inst->sched_cond, &inst->lock, &ts);
        }
    }
    pthread_mutex_unlock(&inst->lock);
    return NULL;
}

/* Callback threads: as many as CPUs (Java's async sender executor), 2 at least
 * so that one slow callback leaves another thread for the rest. */
static int callback_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 2 ? 2 : n > 8 ? 8 : (int)n;
}

int rmq_instance_start(rmq_instance_t *inst)
{
    pthread_mutex_lock(&inst->lock);
    int state = inst->state;
    if (state != ROCKETMQ_CREATE_JUST) {
        pthread_mutex_unlock(&inst->lock);
        return state == ROCKETMQ_RUNNING ? 0 : ROCKETMQ_ERR__STATE;
    }
    inst->state = ROCKETMQ_START_FAILED;
    rmq_rclient_opts_t opts = {.connect_timeout_ms = 3000, .on_request = on_request, .ud = inst};
    inst->rc = rmq_rclient_new(NULL, &opts);
    inst->ex = inst->rc ? rmq_executor_new(callback_threads(), "rmq-cb") : NULL;
    inst->delayq = inst->ex ? rmq_delayq_new("rmq-delay") : NULL;
    if (inst->delayq && pthread_create(&inst->sched, NULL, sched_main, inst) == 0) {
        inst->sched_started = true;
        pthread_setname_np(inst->sched, "rmq-sched");
        if (pthread_create(&inst->rebalance, NULL, rmq_instance_rebalance_main, inst) == 0) {
            inst->rebalance_started = true;
            pthread_setname_np(inst->rebalance, "rmq-rebalance");
            inst->state = ROCKETMQ_RUNNING;
        }
    }
    state = inst->state;
    pthread_mutex_unlock(&inst->lock);
    if (state != ROCKETMQ_RUNNING) {
        RMQ_LOGE("client", "client instance %s failed to start", inst->client_id);
        return ROCKETMQ_ERR__STATE;
    }
    RMQ_LOGD("client", "client instance %s started", inst->client_id);
    return 0;
}

static void instance_stop(rmq_instance_t *inst)
{
    pthread_mutex_lock(&inst->lock);
    inst->stopping = true;
    pthread_cond_broadcast(&inst->sched_cond);
    pthread_cond_broadcast(&inst->rebalance_cond);
    pthread_mutex_unlock(&inst->lock);
    if (inst->sched_started)
        pthread_join(inst->sched, NULL);
    if (inst->rebalance_started)
        pthread_join(inst->rebalance, NULL);
    /* delayed tasks hold queues of consumers that are gone: cancelled */
    rmq_delayq_destroy(inst->delayq);
    inst->delayq = NULL;
    /* Requests still pending fail now; their callbacks hand the failure to
     * the callback threads, which run everything queued before they stop
     * (nothing queued then calls the network: its owner has left). */
    if (inst->rc)
        rmq_rclient_destroy(inst->rc);
    inst->rc = NULL;
    rmq_executor_destroy(inst->ex);
    inst->ex = NULL;
    inst->state = ROCKETMQ_SHUTDOWN_ALREADY;
}

static void instance_free(rmq_instance_t *inst)
{
    rmq_instance_routes_free(inst);
    rmq_map_free(inst->producers, NULL);
    rmq_map_free(inst->consumers, free);
    rmq_map_free(inst->sub_topics, NULL);
    pthread_cond_destroy(&inst->rebalance_cond);
    pthread_cond_destroy(&inst->consumer_idle);
    rmq_instance_ns_free(inst);
    pthread_mutex_destroy(&inst->lock);
    pthread_mutex_destroy(&inst->route_lock);
    pthread_cond_destroy(&inst->sched_cond);
    free(inst);
}

void rmq_instance_release(rmq_instance_t *inst)
{
    if (!inst)
        return;
    pthread_mutex_lock(&g_mgr_lock);
    bool last = --inst->refs == 0;
    if (last) {
        rmq_smap_del(g_instances, inst->client_id);
        if (rmq_map_size(g_instances) == 0) {
            rmq_map_free(g_instances, NULL);
            g_instances = NULL;
        }
    }
    pthread_mutex_unlock(&g_mgr_lock);
    if (!last)
        return;
    instance_stop(inst);
    RMQ_LOGD("client", "client instance %s shut down", inst->client_id);
    instance_free(inst);
}

const char *rmq_instance_client_id(const rmq_instance_t *inst)
{
    return inst->client_id;
}

const char *rmq_instance_client_ip(const rmq_instance_t *inst)
{
    return inst->client_ip;
}

rmq_rclient_t *rmq_instance_rclient(rmq_instance_t *inst)
{
    return inst->rc;
}

rmq_executor_t *rmq_instance_executor(rmq_instance_t *inst)
{
    return inst->ex;
}

rmq_delayq_t *rmq_instance_delayq(rmq_instance_t *inst)
{
    return inst->delayq;
}

int rmq_instance_api_timeout(const rmq_instance_t *inst)
{
    return inst->cfg.api_timeout_ms;
}

int rmq_instance_register_producer(rmq_instance_t *inst, const char *group)
{
    pthread_mutex_lock(&inst->lock);
    bool dup = rmq_smap_get(inst->producers, group) != NULL;
    if (!dup)
        rmq_smap_put(inst->producers, group, (void *)1);
    pthread_mutex_unlock(&inst->lock);
    return dup ? ROCKETMQ_ERR__INVALID_ARG : 0;
}
