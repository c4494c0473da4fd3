/* Push consumer objects: configuration, subscriptions, the service states
 * (DefaultMQPushConsumerImpl start / shutdown; protocol.md 9.2) and what
 * the client instance asks of a consumer (heartbeat entry, rebalance,
 * offset persistence). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "client/client_int.h"
#include "client/consumer_int.h"
#include "client/local_addr.h"
#include "client/msg_int.h"
#include "protocol/record.h"

rocketmq_push_consumer_t *rocketmq_push_consumer_new(const char *group)
{
    rocketmq_push_consumer_t *c = rmq_calloc(1, sizeof(*c));
    c->group = rmq_strdup(group ? group : "");
    rmq_instance_cfg_defaults(&c->icfg);
    snprintf(c->instance_name, sizeof(c->instance_name), "DEFAULT");
    c->model = ROCKETMQ_CLUSTERING;
    c->from_where = ROCKETMQ_CONSUME_FROM_LAST_OFFSET;
    /* consumeTimestamp: half an hour ago, local time, yyyyMMddHHmmss */
    time_t t = time(NULL) - 1800;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(c->consume_timestamp, sizeof(c->consume_timestamp), "%Y%m%d%H%M%S", &tm);
    c->strategy = ROCKETMQ_ALLOCATE_AVERAGELY;
    c->consume_threads = 20;
    c->batch_max = 1;
    c->pull_batch = 32;
    c->limits = (rmq_flow_limits_t){1000, 100, 2000};
    c->max_reconsume_times = -1;
    c->suspend_ms = 1000;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->idle, NULL);
    atomic_init(&c->state, ROCKETMQ_CREATE_JUST);
    atomic_init(&c->refs, 1);
    c->table = rmq_map_new();
    return c;
}

static void free_subs(rocketmq_push_consumer_t *c)
{
    for (size_t i = 0; i < c->nsubs; i++)
        rmq_subscription_data_free(&c->subs[i].data);
    free(c->subs);
    c->subs = NULL;
    c->nsubs = 0;
}

void rmq_consumer_ref(rocketmq_push_consumer_t *c)
{
    atomic_fetch_add(&c->refs, 1);
}

void rmq_consumer_unref(rocketmq_push_consumer_t *c)
{
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    rmq_offset_store_free(c->offsets);
    free_subs(c);
    rmq_map_free(c->table, NULL); /* emptied by the shutdown */
    free(c->alloc_config);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->idle);
    free(c->group);
    free(c);
}

void rocketmq_push_consumer_destroy(rocketmq_push_consumer_t *c)
{
    if (!c)
        return;
    rocketmq_push_consumer_shutdown(c);
    rmq_consumer_unref(c);
}

rocketmq_service_state_t rocketmq_push_consumer_state(const rocketmq_push_consumer_t *c)
{
    return (rocketmq_service_state_t)atomic_load(&((rocketmq_push_consumer_t *)c)->state);
}

const char *rocketmq_push_consumer_client_id(const rocketmq_push_consumer_t *c)
{
    return c->inst ? rmq_instance_client_id(c->inst) : NULL;
}

bool rmq_consumer_enter(rocketmq_push_consumer_t *c)
{
    pthread_mutex_lock(&c->lock);
    bool ok = atomic_load(&c->state) == ROCKETMQ_RUNNING;
    if (ok)
        c->inflight++;
    pthread_mutex_unlock(&c->lock);
    return ok;
}

void rmq_consumer_leave(rocketmq_push_consumer_t *c)
{
    pthread_mutex_lock(&c->lock);
    if (--c->inflight == 0)
        pthread_cond_broadcast(&c->idle);
    pthread_mutex_unlock(&c->lock);
}

void rmq_mq_key(const rocketmq_message_queue_t *mq, char *out, size_t n)
{
    snprintf(out, n, "%s\001%s\001%d", mq->topic, mq->broker_name, mq->queue_id);
}

/* ---- subscriptions ---- */

void rmq_build_subscription(const char *topic, const char *expr, rmq_subscription_data_t *out)
{
    memset(out, 0, sizeof(*out));
    out->topic = rmq_strdup(topic);
    out->expression_type = rmq_strdup("TAG");
    out->sub_version = rmq_now_ms();
    if (!expr || !*expr || strcmp(expr, "*") == 0) {
        out->sub_string = rmq_strdup("*");
        return;
    }
    out->sub_string = rmq_strdup(expr);
    for (const char *p = expr; *p;) {
        const char *bar = strstr(p, "||");
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        const char *b = p, *e = p + len;
        while (b < e && (unsigned char)*b <= ' ')
            b++;
        while (e > b && (unsigned char)e[-1] <= ' ')
            e--;
        if (e > b) {
            out->tags = rmq_realloc(out->tags, (out->ntags + 1) * sizeof(char *));
            out->tags[out->ntags++] = rmq_strndup(b, (size_t)(e - b));
            out->codes = rmq_realloc(out->codes, (out->ncodes + 1) * sizeof(int32_t));
            out->codes[out->ncodes++] = rmq_java_hash(b, (size_t)(e - b));
        }
        p = bar ? bar + 2 : p + len;
    }
}

/* Caller holds c->lock. */
static rmq_sub_t *find_sub(rocketmq_push_consumer_t *c, const char *topic)
{
    for (size_t i = 0; i < c->nsubs; i++)
        if (strcmp(c->subs[i].data.topic, topic) == 0)
            return &c->subs[i];
    return NULL;
}

bool rmq_consumer_sub(rocketmq_push_consumer_t *c, const char *topic, rmq_subscription_data_t *out)
{
    pthread_mutex_lock(&c->lock);
    rmq_sub_t *s = find_sub(c, topic);
    if (s)
        rmq_subscription_data_copy(out, &s->data);
    pthread_mutex_unlock(&c->lock);
    return s != NULL;
}

static void put_sub(rocketmq_push_consumer_t *c, const char *topic, const char *expr)
{
    rmq_sub_t *s = find_sub(c, topic);
    if (s) {
        rmq_subscription_data_free(&s->data);
    } else {
        c->subs = rmq_realloc(c->subs, (c->nsubs + 1) * sizeof(*c->subs));
        s = &c->subs[c->nsubs++];
    }
    rmq_build_subscription(topic, expr, &s->data);
}

int rocketmq_push_consumer_subscribe(rocketmq_push_consumer_t *c, const char *topic,
                                     const char *expression)
{
    rmq_client_clear_error();
    if (!c)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no consumer");
    char why[256];
    int err = rmq_validate_topic(topic, why, sizeof(why));
    if (err != 0)
        return rmq_client_fail(err, "%s", why);
    pthread_mutex_lock(&c->lock);
    bool had = find_sub(c, topic) != NULL;
    put_sub(c, topic, expression);
    bool running = atomic_load(&c->state) == ROCKETMQ_RUNNING;
    pthread_mutex_unlock(&c->lock);
    if (running) {
        if (!had)
            rmq_instance_add_sub_topic(c->inst, topic);
        rmq_instance_heartbeat_all(c->inst);
        rmq_instance_rebalance_now(c->inst);
    }
    return 0;
}

int rocketmq_push_consumer_unsubscribe(rocketmq_push_consumer_t *c, const char *topic)
{
    if (!c || !topic)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no consumer or topic");
    pthread_mutex_lock(&c->lock);
    rmq_sub_t *s = find_sub(c, topic);
    if (s) {
        rmq_subscription_data_free(&s->data);
        *s = c->subs[--c->nsubs];
    }
    bool running = atomic_load(&c->state) == ROCKETMQ_RUNNING;
    pthread_mutex_unlock(&c->lock);
    if (s && running) {
        rmq_instance_remove_sub_topic(c->inst, topic);
        rmq_instance_rebalance_now(c->inst);
    }
    return 0;
}

int rocketmq_push_consumer_register_listener(rocketmq_push_consumer_t *c,
                                             rocketmq_listener_concurrently fn, void *arg)
{
    if (!c || !fn || atomic_load(&c->state) != ROCKETMQ_CREATE_JUST)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no listener, or already started");
    c->listener = fn;
    c->orderly_listener = NULL;
    c->listener_arg = arg;
    return 0;
}

int rocketmq_push_consumer_register_orderly_listener(rocketmq_push_consumer_t *c,
                                                     rocketmq_listener_orderly fn, void *arg)
{
    if (!c || !fn || atomic_load(&c->state) != ROCKETMQ_CREATE_JUST)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no listener, or already started");
    c->orderly_listener = fn;
    c->listener = NULL;
    c->listener_arg = arg;
    return 0;
}

/* ---- what the instance calls ---- */

static void iface_heartbeat(void *self, rmq_consumer_data_t *out)
{
    rocketmq_push_consumer_t *c = self;
    out->group_name = rmq_strdup(c->group);
    out->consume_type = RMQ_CONSUME_PASSIVELY;
    out->message_model = c->model == ROCKETMQ_CLUSTERING ? RMQ_MODEL_CLUSTERING
                                                          : RMQ_MODEL_BROADCASTING;
    out->consume_from_where = (int)c->from_where;
    pthread_mutex_lock(&c->lock);
    out->subs = rmq_calloc(c->nsubs ? c->nsubs : 1, sizeof(*out->subs));
    for (size_t i = 0; i < c->nsubs; i++)
        rmq_subscription_data_copy(&out->subs[out->nsubs++], &c->subs[i].data);
    pthread_mutex_unlock(&c->lock);
}

static void iface_rebalance(void *self)
{
    rocketmq_push_consumer_t *c = self;
    if (!rmq_consumer_enter(c))
        return;
    rmq_consumer_rebalance(c);
    if (c->orderly_listener && c->model == ROCKETMQ_CLUSTERING)
        rmq_consume_lock_all(c); /* the lock renewal rides on the rebalance */
    rmq_consumer_leave(c);
}

static void iface_persist(void *self)
{
    rocketmq_push_consumer_t *c = self;
    if (!rmq_consumer_enter(c))
        return;
    rocketmq_message_queue_t *mqs = NULL;
    size_t n = rmq_consumer_owned(c, &mqs);
    rmq_offset_store_persist_all(c->offsets, mqs, n);
    free(mqs);
    rmq_consumer_leave(c);
}

/* ---- start / shutdown ---- */

static int check_config(rocketmq_push_consumer_t *c)
{
    char why[256];
    int err = rmq_validate_group(c->group, why, sizeof(why));
    if (err != 0)
        return rmq_client_fail(err, "%s", why);
    if (strcmp(c->group, RMQ_DEFAULT_CONSUMER_GROUP) == 0)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG,
                               "consumerGroup can not equal %s, please specify another one.",
                               RMQ_DEFAULT_CONSUMER_GROUP);
    if (!c->listener && !c->orderly_listener)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "messageListener is null");
    if (c->nsubs == 0)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "subscription is empty");
    if (c->strategy == ROCKETMQ_ALLOCATE_BY_CONFIG && c->nalloc_config == 0)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "allocate config is empty");
    return 0;
}

static void client_id(rocketmq_push_consumer_t *c, char *out, size_t n)
{
    if (c->model == ROCKETMQ_CLUSTERING && strcmp(c->instance_name, "DEFAULT") == 0)
        snprintf(c->instance_name, sizeof(c->instance_name), "%d#%llu", (int)getpid(),
                 (unsigned long long)rmq_mono_ns());
    if (!c->icfg.client_ip[0])
        rmq_local_client_ip(c->icfg.client_ip, sizeof(c->icfg.client_ip));
    snprintf(out, n, "%s@%s", c->icfg.client_ip, c->instance_name);
}

/* The local offsets of broadcasting consumers: Java's default directory. */
static void local_offset_dir(char *out, size_t n)
{
    const char *d = getenv("ROCKETMQ_CLIENT_LOCAL_OFFSET_STORE_DIR");
    const char *home = getenv("HOME");
    if (d && *d)
        snprintf(out, n, "%s", d);
    else
        snprintf(out, n, "%s/.rocketmq_offsets", home && *home ? home : "/tmp");
}

static int start_locked(rocketmq_push_consumer_t *c)
{
    int err = check_config(c);
    if (err != 0)
        return err;
    if (c->model == ROCKETMQ_CLUSTERING) {
        char retry[ROCKETMQ_TOPIC_MAX + 32];
        snprintf(retry, sizeof(retry), "%s%s", RMQ_RETRY_GROUP_TOPIC_PREFIX, c->group);
        if (!find_sub(c, retry))
            put_sub(c, retry, "*");
    }
    char cid[256];
    client_id(c, cid, sizeof(cid));
    c->inst = rmq_instance_acquire(cid, &c->icfg);
    char dir[512];
    local_offset_dir(dir, sizeof(dir));
    c->offsets = rmq_offset_store_new(c->inst, c->group, c->model == ROCKETMQ_CLUSTERING, dir);
    rmq_offset_store_load(c->offsets);
    c->consume_pool = rmq_executor_new(c->orderly_listener ? c->consume_threads : c->consume_threads,
                                       "rmq-consume");
    rmq_consumer_iface_t iface = {c, iface_heartbeat, iface_rebalance, iface_persist,
                                  c->model == ROCKETMQ_CLUSTERING};
    if (!c->consume_pool || rmq_instance_register_consumer(c->inst, c->group, &iface) != 0) {
        rmq_executor_destroy(c->consume_pool);
        c->consume_pool = NULL;
        rmq_offset_store_free(c->offsets); /* a later start makes a new one */
        c->offsets = NULL;
        rmq_instance_release(c->inst);
        c->inst = NULL;
        atomic_store(&c->state, ROCKETMQ_CREATE_JUST);
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG,
                               "The consumer group[%s] has been created before, specify another "
                               "name please.",
                               c->group);
    }
    for (size_t i = 0; i < c->nsubs; i++)
        rmq_instance_add_sub_topic(c->inst, c->subs[i].data.topic);
    err = rmq_instance_start(c->inst);
    if (err != 0) {
        rmq_instance_unregister_consumer(c->inst, c->group);
        for (size_t i = 0; i < c->nsubs; i++)
            rmq_instance_remove_sub_topic(c->inst, c->subs[i].data.topic);
        rmq_executor_destroy(c->consume_pool);
        c->consume_pool = NULL;
        rmq_instance_release(c->inst);
        c->inst = NULL;
        return rmq_client_fail(err, "the client instance %s failed to start", cid);
    }
    return 0;
}

int rocketmq_push_consumer_start(rocketmq_push_consumer_t *c)
{
    rmq_client_clear_error();
    if (!c)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no consumer");
    pthread_mutex_lock(&c->lock);
    int s = atomic_load(&c->state);
    if (s != ROCKETMQ_CREATE_JUST) {
        pthread_mutex_unlock(&c->lock);
        return rmq_client_fail(ROCKETMQ_ERR__STATE,
                               "The PushConsumer service state not OK, maybe started once, %s",
                               rocketmq_service_state_name((rocketmq_service_state_t)s));
    }
    atomic_store(&c->state, ROCKETMQ_START_FAILED);
    int err = start_locked(c);
    if (err == 0)
        atomic_store(&c->state, ROCKETMQ_RUNNING);
    size_t nsubs = c->nsubs;
    char **topics = rmq_calloc(nsubs + 1, sizeof(char *));
    for (size_t i = 0; i < nsubs; i++)
        topics[i] = rmq_strdup(c->subs[i].data.topic);
    pthread_mutex_unlock(&c->lock);
    if (err == 0) {
        /* routes of the subscriptions, a heartbeat, a rebalance: at once */
        for (size_t i = 0; i < nsubs; i++)
            rmq_instance_update_route(c->inst, topics[i], NULL, 0);
        rmq_instance_heartbeat_all(c->inst);
        rmq_instance_rebalance_now(c->inst);
        RMQ_LOGD("client", "push consumer %s started in %s", c->group,
                 rmq_instance_client_id(c->inst));
    }
    for (size_t i = 0; i < nsubs; i++)
        free(topics[i]);
    free(topics);
    return err;
}

int rocketmq_push_consumer_shutdown(rocketmq_push_consumer_t *c)
{
    if (!c)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no consumer");
    pthread_mutex_lock(&c->lock);
    if (atomic_load(&c->state) != ROCKETMQ_RUNNING) {
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    if (rmq_executor_in_thread(c->consume_pool) ||
        rmq_executor_in_thread(rmq_instance_executor(c->inst))) {
        pthread_mutex_unlock(&c->lock);
        return rmq_client_fail(ROCKETMQ_ERR__STATE,
                               "a consumer cannot be shut down from its own listener");
    }
    atomic_store(&c->state, ROCKETMQ_SHUTDOWN_ALREADY);
    /* listeners running now finish; their offsets count */
    while (c->inflight > 0)
        pthread_cond_wait(&c->idle, &c->lock);
    pthread_mutex_unlock(&c->lock);
    /* consume tasks not started yet see the consumer stopped and only
     * release their messages */
    rmq_executor_destroy(c->consume_pool);
    c->consume_pool = NULL;
    rocketmq_message_queue_t *mqs = NULL;
    size_t n = rmq_consumer_owned(c, &mqs);
    rmq_offset_store_persist_all(c->offsets, mqs, n);
    free(mqs);
    rmq_consumer_drop_all(c);
    rmq_instance_unregister_consumer(c->inst, c->group);
    for (size_t i = 0; i < c->nsubs; i++)
        rmq_instance_remove_sub_topic(c->inst, c->subs[i].data.topic);
    rmq_instance_release(c->inst);
    c->inst = NULL;
    RMQ_LOGD("client", "push consumer %s shut down", c->group);
    return 0;
}

/* ---- configuration ---- */

static int before_start(rocketmq_push_consumer_t *c)
{
    if (!c)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no consumer");
    if (atomic_load(&c->state) != ROCKETMQ_CREATE_JUST)
        return rmq_client_fail(ROCKETMQ_ERR__STATE, "configuration changes must come before start");
    return 0;
}

static int set_int(rocketmq_push_consumer_t *c, int *dst, int v, int min, int max)
{
    return rmq_cfg_int(before_start(c), dst, v, min, max);
}

static int set_str(rocketmq_push_consumer_t *c, char *dst, size_t n, const char *v)
{
    return rmq_cfg_str(before_start(c), dst, n, v);
}

int rocketmq_push_consumer_set_namesrv_addr(rocketmq_push_consumer_t *c, const char *addrs)
{
    return set_str(c, c->icfg.namesrv, sizeof(c->icfg.namesrv), addrs);
}

int rocketmq_push_consumer_set_instance_name(rocketmq_push_consumer_t *c, const char *name)
{
    return set_str(c, c->instance_name, sizeof(c->instance_name), name);
}

int rocketmq_push_consumer_set_client_ip(rocketmq_push_consumer_t *c, const char *ip)
{
    return set_str(c, c->icfg.client_ip, sizeof(c->icfg.client_ip), ip);
}

int rocketmq_push_consumer_set_message_model(rocketmq_push_consumer_t *c,
                                             rocketmq_message_model_t model)
{
    int err = before_start(c);
    if (err == 0 && model != ROCKETMQ_CLUSTERING && model != ROCKETMQ_BROADCASTING)
        err = rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "unknown message model %d", (int)model);
    if (err == 0)
        c->model = model;
    return err;
}

int rocketmq_push_consumer_set_consume_from_where(rocketmq_push_consumer_t *c,
                                                  rocketmq_consume_from_where_t where)
{
    int err = before_start(c);
    if (err == 0 && where != ROCKETMQ_CONSUME_FROM_LAST_OFFSET &&
        where != ROCKETMQ_CONSUME_FROM_FIRST_OFFSET && where != ROCKETMQ_CONSUME_FROM_TIMESTAMP)
        err = rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "unknown consumeFromWhere %d", (int)where);
    if (err == 0)
        c->from_where = where;
    return err;
}

int rocketmq_push_consumer_set_consume_timestamp(rocketmq_push_consumer_t *c,
                                                 const char *yyyymmddhhmmss)
{
    if (!yyyymmddhhmmss || strlen(yyyymmddhhmmss) != 14 ||
        strspn(yyyymmddhhmmss, "0123456789") != 14)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "consumeTimestamp wants yyyyMMddHHmmss");
    return set_str(c, c->consume_timestamp, sizeof(c->consume_timestamp), yyyymmddhhmmss);
}

int rocketmq_push_consumer_set_allocate_strategy(rocketmq_push_consumer_t *c,
                                                 rocketmq_allocate_strategy_t strategy)
{
    int s = (int)strategy;
    int err = set_int(c, &s, s, ROCKETMQ_ALLOCATE_AVERAGELY, ROCKETMQ_ALLOCATE_BY_CONFIG);
    if (err == 0)
        c->strategy = strategy;
    return err;
}

int rocketmq_push_consumer_set_allocate_config(rocketmq_push_consumer_t *c,
                                               const rocketmq_message_queue_t *mqs, size_t n)
{
    int err = before_start(c);
    if (err != 0)
        return err;
    free(c->alloc_config);
    c->alloc_config = n ? rmq_malloc(n * sizeof(*mqs)) : NULL;
    if (n)
        memcpy(c->alloc_config, mqs, n * sizeof(*mqs));
    c->nalloc_config = n;
    return 0;
}

int rocketmq_push_consumer_set_consume_thread_count(rocketmq_push_consumer_t *c, int threads)
{
    return set_int(c, &c->consume_threads, threads, 1, 1000);
}

int rocketmq_push_consumer_set_consume_message_batch_max_size(rocketmq_push_consumer_t *c, int n)
{
    return set_int(c, &c->batch_max, n, 1, 1024);
}

int rocketmq_push_consumer_set_pull_batch_size(rocketmq_push_consumer_t *c, int n)
{
    return set_int(c, &c->pull_batch, n, 1, 1024);
}

int rocketmq_push_consumer_set_pull_interval(rocketmq_push_consumer_t *c, int ms)
{
    return set_int(c, &c->pull_interval_ms, ms, 0, 65535);
}

int rocketmq_push_consumer_set_pull_threshold_for_queue(rocketmq_push_consumer_t *c, int messages)
{
    int v = (int)c->limits.max_count;
    int err = set_int(c, &v, messages, 1, 65535);
    if (err == 0)
        c->limits.max_count = v;
    return err;
}

int rocketmq_push_consumer_set_pull_threshold_size_for_queue(rocketmq_push_consumer_t *c, int mib)
{
    int v = (int)c->limits.max_size_mib;
    int err = set_int(c, &v, mib, 1, 1024);
    if (err == 0)
        c->limits.max_size_mib = v;
    return err;
}

int rocketmq_push_consumer_set_consume_concurrently_max_span(rocketmq_push_consumer_t *c, int span)
{
    int v = (int)c->limits.max_span;
    int err = set_int(c, &v, span, 1, 65535);
    if (err == 0)
        c->limits.max_span = v;
    return err;
}

int rocketmq_push_consumer_set_max_reconsume_times(rocketmq_push_consumer_t *c, int times)
{
    return set_int(c, &c->max_reconsume_times, times, -1, 1000000);
}

int rocketmq_push_consumer_set_suspend_current_queue_time_millis(rocketmq_push_consumer_t *c,
                                                                 int ms)
{
    return set_int(c, &c->suspend_ms, ms, 10, 30000);
}

int rocketmq_push_consumer_set_persist_consumer_offset_interval(rocketmq_push_consumer_t *c,
                                                                int ms)
{
    return set_int(c, &c->icfg.persist_interval_ms, ms, 10, 3600 * 1000);
}

int rocketmq_push_consumer_set_poll_name_server_interval(rocketmq_push_consumer_t *c, int ms)
{
    return set_int(c, &c->icfg.poll_ns_interval_ms, ms, 10, 24 * 3600 * 1000);
}

int rocketmq_push_consumer_set_heartbeat_broker_interval(rocketmq_push_consumer_t *c, int ms)
{
    return set_int(c, &c->icfg.heartbeat_interval_ms, ms, 10, 24 * 3600 * 1000);
}

int rocketmq_push_consumer_set_rebalance_interval(rocketmq_push_consumer_t *c, int ms)
{
    return set_int(c, &c->icfg.rebalance_interval_ms, ms, 10, 24 * 3600 * 1000);
}
