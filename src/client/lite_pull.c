/* The lite pull consumer (DefaultLitePullConsumer, 4.9.8) and the
 * lower-level pull calls (DefaultMQPullConsumer's pull, min/max/search
 * offset).  The application polls; a pull thread of the consumer keeps a
 * cache of pulled batches per queue (pullThresholdForQueue messages at most
 * each), fed by long-polling pulls; what a poll returns counts as consumed,
 * and the offset after it is committed (every autoCommitIntervalMillis with
 * autoCommit, or by rocketmq_lite_pull_consumer_commit).  Queues come from
 * assign() or, with subscribe(), from the group's rebalance (the instance's
 * rebalance thread, as for push consumers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "client/allocate.h"
#include "client/client_int.h"
#include "client/consumer_int.h"
#include "client/local_addr.h"
#include "client/msg_decode.h"
#include "client/msg_int.h"
#include "protocol/codes.h"
#include "protocol/pull_headers.h"

#define LITE_SUSPEND_MS 2000   /* short long-polls keep seeks and shutdown quick */
#define LITE_QUEUE_MAX 1000    /* pullThresholdForQueue */
#define LITE_AUTO_COMMIT_MS 5000

typedef struct lite_queue {
    rocketmq_message_queue_t mq;
    int64_t pull_offset;     /* next offset to pull */
    int64_t consumed_offset; /* after the last message polled; -1: nothing yet */
    rocketmq_message_t **cache; /* pulled, not polled, in order */
    size_t ncache, cap;
    int64_t next_pull_ms;    /* monotonic: back-off after errors */
    bool paused;
} lite_queue_t;

struct rocketmq_lite_pull_consumer {
    char *group;
    rmq_instance_cfg_t icfg;
    char instance_name[128];
    rocketmq_message_model_t model;
    rocketmq_consume_from_where_t from_where;
    bool auto_commit;
    int pull_batch;
    int state;

    pthread_mutex_t lock;
    pthread_cond_t cond; /* messages arrived, queues changed, stopping */
    rmq_subscription_data_t sub;
    bool subscribed, assigned;
    lite_queue_t *queues;
    size_t nqueues;
    size_t rr; /* round robin over queues for polls */

    rmq_instance_t *inst;
    rmq_offset_store_t *offsets;
    pthread_t puller;
    bool stopping;
    int64_t last_commit_ms;
};

/* ---- queues (caller holds c->lock) ---- */

static lite_queue_t *find_queue(rocketmq_lite_pull_consumer_t *c, const rocketmq_message_queue_t *mq)
{
    for (size_t i = 0; i < c->nqueues; i++)
        if (rmq_mq_compare(&c->queues[i].mq, mq) == 0)
            return &c->queues[i];
    return NULL;
}

static void clear_cache(lite_queue_t *q)
{
    for (size_t i = 0; i < q->ncache; i++)
        rocketmq_message_destroy(q->cache[i]);
    q->ncache = 0;
}

/* Start offset of a queue new to this consumer (computePullFromWhere). */
static int64_t start_offset(rocketmq_lite_pull_consumer_t *c, const rocketmq_message_queue_t *mq)
{
    int64_t off = rmq_offset_store_read(c->offsets, mq, RMQ_READ_FROM_STORE);
    if (off >= 0)
        return off;
    if (off != -1)
        return -1;
    if (c->from_where == ROCKETMQ_CONSUME_FROM_FIRST_OFFSET)
        return 0;
    if (rmq_consumer_max_offset(c->inst, mq, &off) != 0)
        return -1;
    return off;
}

/* Replaces the assigned queues by mqs: queues that stay keep their state,
 * queues that go commit their offset first. */
static void set_queues(rocketmq_lite_pull_consumer_t *c, const rocketmq_message_queue_t *mqs, size_t n)
{
    lite_queue_t *next = rmq_calloc(n ? n : 1, sizeof(*next));
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < n; i++) {
        lite_queue_t *old = find_queue(c, &mqs[i]);
        if (old) {
            next[i] = *old;
            old->cache = NULL;
            old->ncache = 0;
            old->mq.queue_id = -1; /* moved */
        } else {
            next[i].mq = mqs[i];
            next[i].pull_offset = -1; /* found by the pull thread */
            next[i].consumed_offset = -1;
        }
    }
    for (size_t i = 0; i < c->nqueues; i++) {
        lite_queue_t *q = &c->queues[i];
        if (q->mq.queue_id < 0)
            continue;
        if (q->consumed_offset >= 0)
            rmq_offset_store_update(c->offsets, &q->mq, q->consumed_offset, false);
        rmq_offset_store_persist(c->offsets, &q->mq);
        rmq_offset_store_remove(c->offsets, &q->mq);
        clear_cache(q);
        free(q->cache);
    }
    free(c->queues);
    c->queues = next;
    c->nqueues = n;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* ---- the rebalance of subscribe() ---- */

static void iface_heartbeat(void *self, rmq_consumer_data_t *out)
{
    rocketmq_lite_pull_consumer_t *c = self;
    out->group_name = rmq_strdup(c->group);
    out->consume_type = RMQ_CONSUME_ACTIVELY;
    out->message_model = c->model == ROCKETMQ_CLUSTERING ? RMQ_MODEL_CLUSTERING
                                                          : RMQ_MODEL_BROADCASTING;
    out->consume_from_where = (int)c->from_where;
    pthread_mutex_lock(&c->lock);
    if (c->subscribed) {
        out->subs = rmq_calloc(1, sizeof(*out->subs));
        rmq_subscription_data_copy(&out->subs[0], &c->sub);
        out->nsubs = 1;
    }
    pthread_mutex_unlock(&c->lock);
}

static void iface_rebalance(void *self)
{
    rocketmq_lite_pull_consumer_t *c = self;
    if (!c->subscribed || c->stopping)
        return;
    rocketmq_message_queue_t *all = NULL, *mine = NULL;
    size_t nall = 0, nmine = 0;
    if (rmq_instance_subscribe_queues(c->inst, c->sub.topic, &all, &nall) != 0) {
        free(all);
        return;
    }
    if (c->model == ROCKETMQ_BROADCASTING) {
        set_queues(c, all, nall);
    } else {
        char **cids = NULL;
        size_t ncids = 0;
        if (rmq_consumer_id_list(c->inst, c->sub.topic, c->group, &cids, &ncids) == 0 && ncids > 0 &&
            rmq_allocate(ROCKETMQ_ALLOCATE_AVERAGELY, rmq_instance_client_id(c->inst), all, nall,
                         cids, ncids, NULL, 0, &mine, &nmine) == 0)
            set_queues(c, mine, nmine);
        for (size_t i = 0; i < ncids; i++)
            free(cids[i]);
        free(cids);
    }
    free(all);
    free(mine);
}

static void commit_locked(rocketmq_lite_pull_consumer_t *c)
{
    for (size_t i = 0; i < c->nqueues; i++)
        if (c->queues[i].consumed_offset >= 0)
            rmq_offset_store_update(c->offsets, &c->queues[i].mq, c->queues[i].consumed_offset,
                                    false);
}

static void iface_persist(void *self)
{
    rocketmq_lite_pull_consumer_t *c = self;
    pthread_mutex_lock(&c->lock);
    if (c->auto_commit)
        commit_locked(c);
    size_t n = c->nqueues;
    rocketmq_message_queue_t *mqs = rmq_calloc(n ? n : 1, sizeof(*mqs));
    for (size_t i = 0; i < n; i++)
        mqs[i] = c->queues[i].mq;
    pthread_mutex_unlock(&c->lock);
    rmq_offset_store_persist_all(c->offsets, mqs, n);
    free(mqs);
}

/* ---- pulling ---- */

static int pull_once(rmq_instance_t *inst, const char *group, const rocketmq_message_queue_t *mq,
                     const rmq_subscription_data_t *sub, int64_t offset, int max_nums,
                     int64_t suspend_ms, rocketmq_pull_result_t *res)
{
    memset(res, 0, sizeof(*res));
    char addr[160];
    bool slave = false;
    if (!rmq_instance_subscribe_addr(inst, mq->broker_name, 0, addr, sizeof(addr), &slave)) {
        rmq_instance_update_route(inst, mq->topic, NULL, 0);
        if (!rmq_instance_subscribe_addr(inst, mq->broker_name, 0, addr, sizeof(addr), &slave))
            return rmq_client_fail(ROCKETMQ_ERR__NOT_FOUND, "The broker[%s] not exist",
                                   mq->broker_name);
    }
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_PULL_MESSAGE);
    rmq_pull_req_t h = {
        .consumerGroup = group,
        .topic = mq->topic,
        .queueId = mq->queue_id,
        .queueOffset = offset,
        .maxMsgNums = max_nums,
        .sysFlag = RMQ_PULL_FLAG_SUBSCRIPTION | (suspend_ms > 0 ? RMQ_PULL_FLAG_SUSPEND : 0),
        .commitOffset = 0,
        .suspendTimeoutMillis = suspend_ms,
        .subscription = sub->sub_string,
        .subVersion = sub->sub_version,
        .expressionType = "TAG",
    };
    rmq_header_encode(&rmq_pull_req_desc, &h, &req->ext);
    rmq_cmd_t *resp = NULL;
    int err = rmq_rclient_invoke_sync(rmq_instance_rclient(inst), addr, req,
                                      (int)(suspend_ms + 10000), &resp);
    if (err != 0)
        return rmq_client_fail(err, "pull from %s: %s", addr, rocketmq_err_str(err));
    rmq_pull_resp_t ph;
    char why[128];
    int code = resp->code;
    if (rmq_header_decode(&rmq_pull_resp_desc, &resp->ext, &ph, why, sizeof(why)) != 0) {
        rmq_cmd_free(resp);
        return rmq_client_fail(code ? code : ROCKETMQ_ERR__PROTOCOL, "pull answer %d: %s", code,
                               why);
    }
    res->next_begin_offset = ph.nextBeginOffset;
    res->min_offset = ph.minOffset;
    res->max_offset = ph.maxOffset;
    switch (code) {
    case 0:
        res->status = ROCKETMQ_PULL_FOUND;
        err = rmq_msgs_decode(resp->body, resp->body_len, mq->broker_name, 64u << 20, &res->msgs,
                              &res->n);
        break;
    case ROCKETMQ_ERR_PULL_NOT_FOUND:
        res->status = ROCKETMQ_PULL_NO_NEW_MSG;
        break;
    case ROCKETMQ_ERR_PULL_RETRY_IMMEDIATELY:
        res->status = ROCKETMQ_PULL_NO_MATCHED_MSG;
        break;
    case ROCKETMQ_ERR_PULL_OFFSET_MOVED:
        res->status = ROCKETMQ_PULL_OFFSET_ILLEGAL;
        break;
    default:
        err = rmq_client_fail(code, "pull: %s", resp->remark ? resp->remark : "");
    }
    rmq_cmd_free(resp);
    if (err == 0 && res->n > 0 && sub->ntags > 0) { /* client-side tag check */
        size_t k = 0;
        for (size_t i = 0; i < res->n; i++) {
            const char *tags = rocketmq_message_get_tags(res->msgs[i]);
            bool keep = false;
            for (size_t t = 0; tags && t < sub->ntags && !keep; t++)
                keep = strcmp(tags, sub->tags[t]) == 0;
            if (keep)
                res->msgs[k++] = res->msgs[i];
            else
                rocketmq_message_destroy(res->msgs[i]);
        }
        res->n = k;
        if (k == 0)
            res->status = ROCKETMQ_PULL_NO_MATCHED_MSG;
    }
    return err;
}

/* The queue to pull next: one with room in its cache and no back-off,
 * starting after the last one pulled.  Caller holds c->lock. */
static lite_queue_t *next_to_pull(rocketmq_lite_pull_consumer_t *c, size_t *cursor)
{
    int64_t now = rmq_mono_ms();
    for (size_t k = 0; k < c->nqueues; k++) {
        lite_queue_t *q = &c->queues[(*cursor + k) % c->nqueues];
        if (!q->paused && q->ncache < LITE_QUEUE_MAX && q->next_pull_ms <= now) {
            *cursor = (*cursor + k + 1) % (c->nqueues ? c->nqueues : 1);
            return q;
        }
    }
    return NULL;
}

static void store_pulled(rocketmq_lite_pull_consumer_t *c, const rocketmq_message_queue_t *mq,
                         int64_t from, int err, rocketmq_pull_result_t *res)
{
    pthread_mutex_lock(&c->lock);
    lite_queue_t *q = find_queue(c, mq);
    if (!q || q->pull_offset != from) { /* gone, or sought meanwhile */
        pthread_mutex_unlock(&c->lock);
        rocketmq_messages_free(res->msgs, res->n);
        return;
    }
    if (err != 0) {
        q->next_pull_ms = rmq_mono_ms() + RMQ_PULL_DELAY_EXCEPTION_MS;
    } else {
        q->pull_offset = res->next_begin_offset;
        if (res->n > 0) {
            if (q->ncache + res->n > q->cap) {
                q->cap = q->ncache + res->n + 64;
                q->cache = rmq_realloc(q->cache, q->cap * sizeof(*q->cache));
            }
            memcpy(q->cache + q->ncache, res->msgs, res->n * sizeof(*res->msgs));
            q->ncache += res->n;
            pthread_cond_broadcast(&c->cond);
        } else if (q->ncache == 0 && q->consumed_offset < q->pull_offset &&
                   res->status != ROCKETMQ_PULL_OFFSET_ILLEGAL) {
            /* nothing matched: the consumed offset moves along */
            q->consumed_offset = q->pull_offset;
        }
    }
    pthread_mutex_unlock(&c->lock);
    free(res->msgs);
}

static void *puller_main(void *arg)
{
    rocketmq_lite_pull_consumer_t *c = arg;
    size_t cursor = 0;
    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        lite_queue_t *q = next_to_pull(c, &cursor);
        if (!q) {
            struct timespec ts;
            rmq_timespec_in(&ts, CLOCK_REALTIME, 50);
            pthread_cond_timedwait(&c->cond, &c->lock, &ts);
            continue;
        }
        rocketmq_message_queue_t mq = q->mq;
        int64_t from = q->pull_offset;
        rmq_subscription_data_t sub;
        memset(&sub, 0, sizeof(sub));
        if (c->subscribed)
            rmq_subscription_data_copy(&sub, &c->sub);
        pthread_mutex_unlock(&c->lock);
        if (!sub.topic)
            rmq_build_subscription(mq.topic, "*", &sub);
        if (from < 0) {
            int64_t start = start_offset(c, &mq);
            pthread_mutex_lock(&c->lock);
            lite_queue_t *q2 = find_queue(c, &mq);
            if (q2 && q2->pull_offset < 0) {
                if (start >= 0)
                    q2->pull_offset = start;
                else
                    q2->next_pull_ms = rmq_mono_ms() + RMQ_PULL_DELAY_EXCEPTION_MS;
            }
            pthread_mutex_unlock(&c->lock);
        } else {
            rocketmq_pull_result_t res;
            int err = pull_once(c->inst, c->group, &mq, &sub, from, c->pull_batch, LITE_SUSPEND_MS,
                                &res);
            store_pulled(c, &mq, from, err, &res);
        }
        rmq_subscription_data_free(&sub);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* ---- public: life cycle and configuration ---- */

rocketmq_lite_pull_consumer_t *rocketmq_lite_pull_consumer_new(const char *group)
{
    rocketmq_lite_pull_consumer_t *c = rmq_calloc(1, sizeof(*c));
    c->group = rmq_strdup(group ? group : "");
    rmq_instance_cfg_defaults(&c->icfg);
    snprintf(c->instance_name, sizeof(c->instance_name), "DEFAULT");
    c->model = ROCKETMQ_CLUSTERING;
    c->from_where = ROCKETMQ_CONSUME_FROM_LAST_OFFSET;
    c->auto_commit = true;
    c->pull_batch = 10;
    c->state = ROCKETMQ_CREATE_JUST;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    return c;
}

void rocketmq_lite_pull_consumer_destroy(rocketmq_lite_pull_consumer_t *c)
{
    if (!c)
        return;
    rocketmq_lite_pull_consumer_shutdown(c);
    for (size_t i = 0; i < c->nqueues; i++) {
        clear_cache(&c->queues[i]);
        free(c->queues[i].cache);
    }
    free(c->queues);
    rmq_subscription_data_free(&c->sub);
    rmq_offset_store_free(c->offsets);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c->group);
    free(c);
}

static int not_started(rocketmq_lite_pull_consumer_t *c)
{
    if (!c)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no consumer");
    if (c->state != ROCKETMQ_CREATE_JUST)
        return rmq_client_fail(ROCKETMQ_ERR__STATE, "configuration changes must come before start");
    return 0;
}

static int running(rocketmq_lite_pull_consumer_t *c)
{
    if (!c)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no consumer");
    if (c->state != ROCKETMQ_RUNNING)
        return rmq_client_fail(ROCKETMQ_ERR__STATE, "The consumer service state not OK, %s",
                               rocketmq_service_state_name((rocketmq_service_state_t)c->state));
    return 0;
}

int rocketmq_lite_pull_consumer_set_namesrv_addr(rocketmq_lite_pull_consumer_t *c, const char *addrs)
{
    int err = not_started(c);
    if (err == 0 && (!addrs || strlen(addrs) >= sizeof(c->icfg.namesrv)))
        err = rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "bad name server list");
    if (err == 0)
        rmq_str_copy(c->icfg.namesrv, sizeof(c->icfg.namesrv), addrs);
    return err;
}

int rocketmq_lite_pull_consumer_set_instance_name(rocketmq_lite_pull_consumer_t *c, const char *name)
{
    int err = not_started(c);
    if (err == 0 && (!name || strlen(name) >= sizeof(c->instance_name)))
        err = rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "bad instance name");
    if (err == 0)
        rmq_str_copy(c->instance_name, sizeof(c->instance_name), name);
    return err;
}

int rocketmq_lite_pull_consumer_set_message_model(rocketmq_lite_pull_consumer_t *c,
                                                  rocketmq_message_model_t model)
{
    int err = not_started(c);
    if (err == 0)
        c->model = model;
    return err;
}

int rocketmq_lite_pull_consumer_set_consume_from_where(rocketmq_lite_pull_consumer_t *c,
                                                       rocketmq_consume_from_where_t where)
{
    int err = not_started(c);
    if (err == 0)
        c->from_where = where;
    return err;
}

int rocketmq_lite_pull_consumer_set_auto_commit(rocketmq_lite_pull_consumer_t *c, bool on)
{
    int err = not_started(c);
    if (err == 0)
        c->auto_commit = on;
    return err;
}

int rocketmq_lite_pull_consumer_set_pull_batch_size(rocketmq_lite_pull_consumer_t *c, int n)
{
    int err = not_started(c);
    if (err == 0 && (n < 1 || n > 1024))
        err = rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "pullBatchSize in [1, 1024]");
    if (err == 0)
        c->pull_batch = n;
    return err;
}

int rocketmq_lite_pull_consumer_subscribe(rocketmq_lite_pull_consumer_t *c, const char *topic,
                                          const char *expression)
{
    char why[256];
    int err = not_started(c);
    if (err == 0 && (err = rmq_validate_topic(topic, why, sizeof(why))) != 0)
        return rmq_client_fail(err, "%s", why);
    if (err == 0 && c->assigned)
        err = rmq_client_fail(ROCKETMQ_ERR__STATE, "Subscribe and assign are mutually exclusive.");
    if (err != 0)
        return err;
    rmq_subscription_data_free(&c->sub);
    rmq_build_subscription(topic, expression, &c->sub);
    c->subscribed = true;
    return 0;
}

int rocketmq_lite_pull_consumer_assign(rocketmq_lite_pull_consumer_t *c,
                                       const rocketmq_message_queue_t *mqs, size_t n)
{
    if (!c || (n && !mqs))
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no consumer or queues");
    if (c->subscribed)
        return rmq_client_fail(ROCKETMQ_ERR__STATE, "Subscribe and assign are mutually exclusive.");
    c->assigned = true;
    if (c->state == ROCKETMQ_RUNNING) {
        set_queues(c, mqs, n);
        return 0;
    }
    for (size_t i = 0; i < c->nqueues; i++) { /* after a shutdown: what was cached */
        clear_cache(&c->queues[i]);
        free(c->queues[i].cache);
    }
    free(c->queues);
    c->queues = rmq_calloc(n ? n : 1, sizeof(*c->queues));
    for (size_t i = 0; i < n; i++) {
        c->queues[i].mq = mqs[i];
        c->queues[i].pull_offset = -1;
        c->queues[i].consumed_offset = -1;
    }
    c->nqueues = n;
    return 0;
}

int rocketmq_lite_pull_consumer_start(rocketmq_lite_pull_consumer_t *c)
{
    rmq_client_clear_error();
    int err = not_started(c);
    if (err != 0)
        return err;
    char why[256];
    c->state = ROCKETMQ_START_FAILED;
    if ((err = rmq_validate_group(c->group, why, sizeof(why))) != 0)
        return rmq_client_fail(err, "%s", why);
    if (!c->subscribed && !c->assigned)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "subscribe or assign before start");
    if (c->model == ROCKETMQ_CLUSTERING && strcmp(c->instance_name, "DEFAULT") == 0)
        snprintf(c->instance_name, sizeof(c->instance_name), "%d#%llu", (int)getpid(),
                 (unsigned long long)rmq_mono_ns());
    if (!c->icfg.client_ip[0])
        rmq_local_client_ip(c->icfg.client_ip, sizeof(c->icfg.client_ip));
    char cid[256];
    snprintf(cid, sizeof(cid), "%s@%s", c->icfg.client_ip, c->instance_name);
    c->inst = rmq_instance_acquire(cid, &c->icfg);
    /* broadcasting offsets: where the push consumer keeps them too */
    char dir[512];
    const char *d = getenv("ROCKETMQ_CLIENT_LOCAL_OFFSET_STORE_DIR");
    const char *home = getenv("HOME");
    if (d && *d)
        rmq_str_copy(dir, sizeof(dir), d);
    else
        snprintf(dir, sizeof(dir), "%s/.rocketmq_offsets", home && *home ? home : "/tmp");
    c->offsets = rmq_offset_store_new(c->inst, c->group, c->model == ROCKETMQ_CLUSTERING, dir);
    rmq_offset_store_load(c->offsets);
    rmq_consumer_iface_t iface = {c, iface_heartbeat, iface_rebalance, iface_persist,
                                  c->model == ROCKETMQ_CLUSTERING};
    if (rmq_instance_register_consumer(c->inst, c->group, &iface) != 0) {
        rmq_offset_store_free(c->offsets); /* a later start makes a new one */
        c->offsets = NULL;
        rmq_instance_release(c->inst);
        c->inst = NULL;
        c->state = ROCKETMQ_CREATE_JUST;
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG,
                               "The consumer group[%s] has been created before", c->group);
    }
    if (c->subscribed)
        rmq_instance_add_sub_topic(c->inst, c->sub.topic);
    if ((err = rmq_instance_start(c->inst)) != 0 ||
        pthread_create(&c->puller, NULL, puller_main, c) != 0) {
        rmq_instance_unregister_consumer(c->inst, c->group);
        if (c->subscribed)
            rmq_instance_remove_sub_topic(c->inst, c->sub.topic);
        rmq_instance_release(c->inst);
        c->inst = NULL;
        return rmq_client_fail(err ? err : ROCKETMQ_ERR__FAIL, "the consumer failed to start");
    }
    pthread_setname_np(c->puller, "rmq-litepull");
    c->state = ROCKETMQ_RUNNING;
    c->last_commit_ms = rmq_mono_ms();
    if (c->subscribed) {
        rmq_instance_update_route(c->inst, c->sub.topic, NULL, 0);
        rmq_instance_heartbeat_all(c->inst);
        rmq_instance_rebalance_now(c->inst);
    }
    return 0;
}

int rocketmq_lite_pull_consumer_shutdown(rocketmq_lite_pull_consumer_t *c)
{
    if (!c || c->state != ROCKETMQ_RUNNING)
        return 0;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->puller, NULL);
    /* offsets first (one-way), then the synchronous UNREGISTER_CLIENT on
     * the same connections, as Java and the push consumer do */
    if (c->auto_commit)
        rocketmq_lite_pull_consumer_commit(c);
    else
        iface_persist(c);
    rmq_instance_unregister_consumer(c->inst, c->group);
    if (c->subscribed)
        rmq_instance_remove_sub_topic(c->inst, c->sub.topic);
    c->state = ROCKETMQ_SHUTDOWN_ALREADY;
    rmq_instance_release(c->inst);
    c->inst = NULL;
    return 0;
}

/* ---- public: polling and offsets ---- */

/* Takes up to max cached messages of one queue (round robin).  Caller
 * holds c->lock. */
static size_t take(rocketmq_lite_pull_consumer_t *c, size_t max, rocketmq_message_t **out)
{
    for (size_t k = 0; k < c->nqueues; k++) {
        lite_queue_t *q = &c->queues[(c->rr + k) % c->nqueues];
        if (q->ncache == 0)
            continue;
        size_t n = q->ncache < max ? q->ncache : max;
        memcpy(out, q->cache, n * sizeof(*out));
        memmove(q->cache, q->cache + n, (q->ncache - n) * sizeof(*q->cache));
        q->ncache -= n;
        q->consumed_offset = rocketmq_message_get_queue_offset(out[n - 1]) + 1;
        c->rr = (c->rr + k + 1) % c->nqueues;
        pthread_cond_broadcast(&c->cond); /* room for the puller */
        return n;
    }
    return 0;
}

int rocketmq_lite_pull_consumer_poll(rocketmq_lite_pull_consumer_t *c, int timeout_ms,
                                     rocketmq_message_t ***msgs, size_t *n)
{
    *msgs = NULL;
    *n = 0;
    int err = running(c);
    if (err != 0)
        return err;
    rocketmq_message_t **out = rmq_calloc((size_t)c->pull_batch, sizeof(*out));
    int64_t deadline = rmq_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    pthread_mutex_lock(&c->lock);
    size_t got = 0;
    for (;;) {
        got = take(c, (size_t)c->pull_batch, out);
        int64_t left = deadline - rmq_mono_ms();
        if (got > 0 || left <= 0 || c->stopping)
            break;
        struct timespec ts;
        rmq_timespec_in(&ts, CLOCK_REALTIME, left);
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    }
    bool commit = c->auto_commit && rmq_mono_ms() - c->last_commit_ms >= LITE_AUTO_COMMIT_MS;
    pthread_mutex_unlock(&c->lock);
    if (commit)
        rocketmq_lite_pull_consumer_commit(c);
    if (got == 0) {
        free(out);
        return 0;
    }
    *msgs = out;
    *n = got;
    return 0;
}

int rocketmq_lite_pull_consumer_commit(rocketmq_lite_pull_consumer_t *c)
{
    /* RUNNING only: after shutdown the offset store's instance is gone
     * (shutdown itself commits before it changes the state) */
    int err = running(c);
    if (err != 0)
        return err;
    pthread_mutex_lock(&c->lock);
    commit_locked(c);
    size_t n = c->nqueues;
    rocketmq_message_queue_t *mqs = rmq_calloc(n ? n : 1, sizeof(*mqs));
    for (size_t i = 0; i < n; i++)
        mqs[i] = c->queues[i].mq;
    c->last_commit_ms = rmq_mono_ms();
    pthread_mutex_unlock(&c->lock);
    rmq_offset_store_persist_all(c->offsets, mqs, n);
    free(mqs);
    return 0;
}

int rocketmq_lite_pull_consumer_seek(rocketmq_lite_pull_consumer_t *c,
                                     const rocketmq_message_queue_t *mq, int64_t offset)
{
    int err = running(c);
    if (err != 0)
        return err;
    int64_t min = 0, max = 0;
    if ((err = rmq_consumer_min_offset(c->inst, mq, &min)) != 0 ||
        (err = rmq_consumer_max_offset(c->inst, mq, &max)) != 0)
        return rmq_client_fail(err, "offsets of %s/%d: %s", mq->broker_name, mq->queue_id,
                               rocketmq_err_str(err));
    if (offset < min || offset > max)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG,
                               "Seek offset illegal, seek offset = %lld, min offset = %lld, max "
                               "offset = %lld",
                               (long long)offset, (long long)min, (long long)max);
    pthread_mutex_lock(&c->lock);
    lite_queue_t *q = find_queue(c, mq);
    if (q) {
        clear_cache(q);
        q->pull_offset = offset;
        q->consumed_offset = offset;
        q->next_pull_ms = 0;
    }
    pthread_mutex_unlock(&c->lock);
    if (!q)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG,
                               "The message queue is not in assigned list");
    return 0;
}

int rocketmq_lite_pull_consumer_seek_to_begin(rocketmq_lite_pull_consumer_t *c,
                                              const rocketmq_message_queue_t *mq)
{
    int64_t off = 0;
    int err = running(c);
    if (err == 0 && (err = rmq_consumer_min_offset(c->inst, mq, &off)) != 0)
        return rmq_client_fail(err, "min offset: %s", rocketmq_err_str(err));
    return err ? err : rocketmq_lite_pull_consumer_seek(c, mq, off);
}

int rocketmq_lite_pull_consumer_seek_to_end(rocketmq_lite_pull_consumer_t *c,
                                            const rocketmq_message_queue_t *mq)
{
    int64_t off = 0;
    int err = running(c);
    if (err == 0 && (err = rmq_consumer_max_offset(c->inst, mq, &off)) != 0)
        return rmq_client_fail(err, "max offset: %s", rocketmq_err_str(err));
    return err ? err : rocketmq_lite_pull_consumer_seek(c, mq, off);
}

int rocketmq_lite_pull_consumer_committed(rocketmq_lite_pull_consumer_t *c,
                                          const rocketmq_message_queue_t *mq, int64_t *offset)
{
    int err = running(c);
    if (err != 0)
        return err;
    *offset = rmq_offset_store_read(c->offsets, mq, RMQ_READ_FROM_STORE);
    if (*offset == -2)
        return rmq_client_fail(ROCKETMQ_ERR__TRANSPORT, "the broker of %s could not be asked",
                               mq->broker_name);
    return 0;
}

int rocketmq_lite_pull_consumer_fetch_queues(rocketmq_lite_pull_consumer_t *c, const char *topic,
                                             rocketmq_message_queue_t *mqs, size_t cap, size_t *n)
{
    int err = running(c);
    if (err != 0)
        return err;
    rocketmq_message_queue_t *all = NULL;
    size_t nall = 0;
    err = rmq_instance_subscribe_queues(c->inst, topic, &all, &nall);
    if (err != 0) {
        free(all);
        return rmq_client_fail(err, "no route of topic %s", topic);
    }
    for (size_t i = 0; i < nall && i < cap; i++)
        mqs[i] = all[i];
    *n = nall;
    free(all);
    return 0;
}

/* ---- lower-level calls ---- */

int rocketmq_pull(rocketmq_lite_pull_consumer_t *c, const rocketmq_message_queue_t *mq,
                  const char *expression, int64_t offset, int max_nums,
                  rocketmq_pull_result_t *result)
{
    rmq_client_clear_error();
    int err = running(c);
    if (err != 0)
        return err;
    if (!mq || !result || offset < 0 || max_nums <= 0)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "bad pull arguments");
    rmq_subscription_data_t sub;
    rmq_build_subscription(mq->topic, expression, &sub);
    err = pull_once(c->inst, c->group, mq, &sub, offset, max_nums, 0, result);
    rmq_subscription_data_free(&sub);
    return err;
}

int rocketmq_min_offset(rocketmq_lite_pull_consumer_t *c, const rocketmq_message_queue_t *mq,
                        int64_t *offset)
{
    int err = running(c);
    if (err == 0 && (err = rmq_consumer_min_offset(c->inst, mq, offset)) != 0)
        return rmq_client_fail(err, "min offset: %s", rocketmq_err_str(err));
    return err;
}

int rocketmq_max_offset(rocketmq_lite_pull_consumer_t *c, const rocketmq_message_queue_t *mq,
                        int64_t *offset)
{
    int err = running(c);
    if (err == 0 && (err = rmq_consumer_max_offset(c->inst, mq, offset)) != 0)
        return rmq_client_fail(err, "max offset: %s", rocketmq_err_str(err));
    return err;
}

int rocketmq_search_offset(rocketmq_lite_pull_consumer_t *c, const rocketmq_message_queue_t *mq,
                           int64_t timestamp, int64_t *offset)
{
    int err = running(c);
    if (err == 0 && (err = rmq_consumer_search_offset(c->inst, mq, timestamp, offset)) != 0)
        return rmq_client_fail(err, "search offset: %s", rocketmq_err_str(err));
    return err;
}
