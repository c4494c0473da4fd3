/* Rebalancing of a push consumer (RebalanceImpl / RebalancePushImpl,
 * 4.9.8; protocol.md 9.8, 9.9): for each subscribed topic the queues this
 * client owns (all of them when broadcasting; its share of the group's by
 * the allocation strategy when clustering); queues that leave are persisted
 * and dropped, queues that arrive start pulling from the committed offset
 * (or where consumeFromWhere says for a group that has none).  Runs on the
 * instance's rebalance thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "client/allocate.h"
#include "client/consumer_int.h"

static bool is_retry_topic(const char *topic)
{
    return strncmp(topic, RMQ_RETRY_GROUP_TOPIC_PREFIX, strlen(RMQ_RETRY_GROUP_TOPIC_PREFIX)) == 0;
}

static bool orderly(const rocketmq_push_consumer_t *c)
{
    return c->orderly_listener != NULL;
}

/* "yyyyMMddHHmmss" in local time -> ms since the epoch (UtilAll.parseDate). */
static int64_t parse_timestamp(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(s, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    return t == (time_t)-1 ? -1 : (int64_t)t * 1000;
}

/* computePullFromWhereWithException: the first offset to pull, or -1 to
 * leave the queue alone this round. */
static int64_t pull_from_where(rocketmq_push_consumer_t *c, const rocketmq_message_queue_t *mq)
{
    int64_t last = rmq_offset_store_read(c->offsets, mq, RMQ_READ_FROM_STORE);
    if (last >= 0)
        return last;
    if (last != -1)
        return -1; /* the broker could not be asked */
    int64_t off = -1;
    switch (c->from_where) {
    case ROCKETMQ_CONSUME_FROM_FIRST_OFFSET:
        return 0;
    case ROCKETMQ_CONSUME_FROM_TIMESTAMP:
        if (is_retry_topic(mq->topic)) {
            if (rmq_consumer_max_offset(c->inst, mq, &off) != 0)
                return -1;
            return off;
        }
        if (rmq_consumer_search_offset(c->inst, mq, parse_timestamp(c->consume_timestamp), &off) != 0)
            return -1;
        return off;
    case ROCKETMQ_CONSUME_FROM_LAST_OFFSET:
    default:
        if (is_retry_topic(mq->topic))
            return 0;
        if (rmq_consumer_max_offset(c->inst, mq, &off) != 0)
            return -1;
        return off;
    }
}

static bool lock_one(rocketmq_push_consumer_t *c, const rocketmq_message_queue_t *mq,
                     rmq_process_queue_t *pq)
{
    rocketmq_message_queue_t *locked = NULL;
    size_t n = 0;
    bool ok = rmq_consumer_lock_batch(c->inst, c->group, mq->broker_name, mq, 1, &locked, &n) == 0 &&
              n == 1;
    free(locked);
    if (ok && pq)
        rmq_pq_set_locked(pq, true, rmq_mono_ms());
    return ok;
}

/* removeUnnecessaryMessageQueue: the offset goes to the broker before the
 * queue is forgotten; an orderly consumer releases its lock. */
static void release_queue(rocketmq_push_consumer_t *c, const rocketmq_message_queue_t *mq,
                          rmq_process_queue_t *pq)
{
    rmq_offset_store_persist(c->offsets, mq);
    rmq_offset_store_remove(c->offsets, mq);
    if (orderly(c) && c->model == ROCKETMQ_CLUSTERING) {
        /* wait for a listener running on this queue, so the lock is not
         * handed to another consumer while this one still consumes */
        pthread_mutex_lock(rmq_pq_consume_lock(pq));
        rmq_consumer_unlock_batch(c->inst, c->group, mq->broker_name, mq, 1, true);
        rmq_pq_set_locked(pq, false, rmq_mono_ms());
        pthread_mutex_unlock(rmq_pq_consume_lock(pq));
    }
}

static bool contains(const rocketmq_message_queue_t *mqs, size_t n, const rocketmq_message_queue_t *mq)
{
    for (size_t i = 0; i < n; i++)
        if (rmq_mq_compare(&mqs[i], mq) == 0)
            return true;
    return false;
}

/* Removes from the table the queues of topic that are not in mine (or all
 * of topic's when mine is NULL), and the expired ones.  Returns whether
 * anything left. */
static bool drop_gone(rocketmq_push_consumer_t *c, const char *topic,
                      const rocketmq_message_queue_t *mine, size_t nmine, bool any_topic_not_subscribed)
{
    rmq_owned_t **gone = NULL;
    size_t ngone = 0;
    int64_t now = rmq_mono_ms();
    pthread_mutex_lock(&c->lock);
    rmq_map_iter_t it;
    const char *key;
    size_t kl;
    void *v;
    rmq_map_iter_init(&it, c->table);
    while (rmq_map_iter_next(&it, &key, &kl, &v)) {
        rmq_owned_t *o = v;
        bool leave;
        if (any_topic_not_subscribed) {
            bool subscribed = false;
            for (size_t i = 0; i < c->nsubs && !subscribed; i++)
                subscribed = strcmp(c->subs[i].data.topic, o->mq.topic) == 0;
            leave = !subscribed;
        } else {
            if (strcmp(o->mq.topic, topic) != 0)
                continue;
            leave = !contains(mine, nmine, &o->mq) || rmq_pq_pull_expired(o->pq, now);
        }
        if (!leave)
            continue;
        rmq_pq_set_dropped(o->pq, true);
        rmq_map_del(c->table, key, kl);
        gone = rmq_realloc(gone, (ngone + 1) * sizeof(*gone));
        gone[ngone++] = o;
    }
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; i < ngone; i++) {
        RMQ_LOGD("client", "%s: drops %s/%s/%d", c->group, gone[i]->mq.topic,
                 gone[i]->mq.broker_name, gone[i]->mq.queue_id);
        release_queue(c, &gone[i]->mq, gone[i]->pq);
        rmq_pq_unref(gone[i]->pq);
        free(gone[i]);
    }
    free(gone);
    return ngone > 0;
}

static bool owned_now(rocketmq_push_consumer_t *c, const rocketmq_message_queue_t *mq)
{
    char key[320];
    rmq_mq_key(mq, key, sizeof(key));
    pthread_mutex_lock(&c->lock);
    bool yes = rmq_smap_get(c->table, key) != NULL;
    pthread_mutex_unlock(&c->lock);
    return yes;
}

/* A queue that arrives: locked first for an orderly consumer, its offset
 * found, a process queue and the first pull request. */
static bool take_queue(rocketmq_push_consumer_t *c, const rocketmq_message_queue_t *mq)
{
    rmq_process_queue_t *pq = rmq_pq_new();
    if (orderly(c) && c->model == ROCKETMQ_CLUSTERING && !lock_one(c, mq, pq)) {
        RMQ_LOGD("client", "%s: %s/%d is locked by another consumer", c->group, mq->broker_name,
                 mq->queue_id);
        rmq_pq_unref(pq);
        return false;
    }
    rmq_offset_store_remove(c->offsets, mq); /* removeDirtyOffset */
    int64_t next = pull_from_where(c, mq);
    if (next < 0) {
        RMQ_LOGW("client", "%s: no start offset for %s/%s/%d yet", c->group, mq->topic,
                 mq->broker_name, mq->queue_id);
        rmq_pq_unref(pq);
        return false;
    }
    rmq_owned_t *o = rmq_malloc(sizeof(*o));
    o->mq = *mq;
    o->pq = pq;
    char key[320];
    rmq_mq_key(mq, key, sizeof(key));
    pthread_mutex_lock(&c->lock);
    rmq_smap_put(c->table, key, o);
    pthread_mutex_unlock(&c->lock);
    rmq_pull_request_t *pr = rmq_calloc(1, sizeof(*pr));
    rmq_consumer_ref(c);
    pr->c = c;
    pr->mq = *mq;
    rmq_pq_ref(pq);
    pr->pq = pq;
    pr->next_offset = next;
    pr->locked_first = false;
    rmq_pq_touch_pull(pq, rmq_mono_ms());
    RMQ_LOGD("client", "%s: takes %s/%s/%d from offset %lld", c->group, mq->topic, mq->broker_name,
             mq->queue_id, (long long)next);
    rmq_pull_later(pr, 0);
    return true;
}

static bool update_table(rocketmq_push_consumer_t *c, const char *topic,
                         const rocketmq_message_queue_t *mine, size_t nmine)
{
    bool changed = drop_gone(c, topic, mine, nmine, false);
    for (size_t i = 0; i < nmine; i++)
        if (!owned_now(c, &mine[i]) && take_queue(c, &mine[i]))
            changed = true;
    return changed;
}

static bool rebalance_topic(rocketmq_push_consumer_t *c, const char *topic)
{
    rocketmq_message_queue_t *all = NULL, *mine = NULL;
    size_t nall = 0, nmine = 0;
    if (rmq_instance_subscribe_queues(c->inst, topic, &all, &nall) != 0 || nall == 0) {
        if (!is_retry_topic(topic))
            RMQ_LOGW("client", "%s: no route of %s", c->group, topic);
        free(all);
        return false;
    }
    bool changed = false;
    if (c->model == ROCKETMQ_BROADCASTING) {
        changed = update_table(c, topic, all, nall);
    } else {
        char **cids = NULL;
        size_t ncids = 0;
        int err = rmq_consumer_id_list(c->inst, topic, c->group, &cids, &ncids);
        /* no answer, or nobody yet: keep what is owned (Java skips too) */
        if (err == 0 && ncids > 0 &&
            rmq_allocate(c->strategy, rmq_instance_client_id(c->inst), all, nall, cids, ncids,
                         c->alloc_config, c->nalloc_config, &mine, &nmine) == 0)
            changed = update_table(c, topic, mine, nmine);
        for (size_t i = 0; i < ncids; i++)
            free(cids[i]);
        free(cids);
    }
    free(all);
    free(mine);
    return changed;
}

void rmq_consumer_rebalance(rocketmq_push_consumer_t *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->nsubs;
    char **topics = rmq_calloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        topics[i] = rmq_strdup(c->subs[i].data.topic);
    pthread_mutex_unlock(&c->lock);
    bool changed = false;
    for (size_t i = 0; i < n; i++) {
        changed |= rebalance_topic(c, topics[i]);
        free(topics[i]);
    }
    free(topics);
    changed |= drop_gone(c, NULL, NULL, 0, true); /* truncateMessageQueueNotMyTopic */
    if (changed) {
        /* messageQueueChanged: the brokers learn the new subscription now */
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < c->nsubs; i++)
            c->subs[i].data.sub_version = rmq_now_ms();
        pthread_mutex_unlock(&c->lock);
        rmq_instance_heartbeat_all(c->inst);
    }
}

void rmq_consumer_drop_all(rocketmq_push_consumer_t *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = rmq_map_size(c->table), k = 0;
    rmq_owned_t **all = rmq_calloc(n ? n : 1, sizeof(*all));
    rmq_map_iter_t it;
    const char *key;
    size_t kl;
    void *v;
    rmq_map_iter_init(&it, c->table);
    while (rmq_map_iter_next(&it, &key, &kl, &v)) {
        all[k++] = v;
        rmq_map_del(c->table, key, kl);
    }
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; i < k; i++) {
        rmq_pq_set_dropped(all[i]->pq, true);
        if (orderly(c) && c->model == ROCKETMQ_CLUSTERING)
            rmq_consumer_unlock_batch(c->inst, c->group, all[i]->mq.broker_name, &all[i]->mq, 1,
                                      false);
        rmq_pq_unref(all[i]->pq);
        free(all[i]);
    }
    free(all);
}

size_t rmq_consumer_owned(rocketmq_push_consumer_t *c, rocketmq_message_queue_t **mqs)
{
    pthread_mutex_lock(&c->lock);
    size_t n = rmq_map_size(c->table), k = 0;
    *mqs = rmq_calloc(n ? n : 1, sizeof(**mqs));
    rmq_map_iter_t it;
    const char *key;
    size_t kl;
    void *v;
    rmq_map_iter_init(&it, c->table);
    while (rmq_map_iter_next(&it, &key, &kl, &v))
        (*mqs)[k++] = ((rmq_owned_t *)v)->mq;
    pthread_mutex_unlock(&c->lock);
    return k;
}

/* lockAll: renews the locks of every owned queue, broker by broker; queues
 * the broker refuses stop being consumed until they are locked again. */
void rmq_consume_lock_all(rocketmq_push_consumer_t *c)
{
    rocketmq_message_queue_t *mqs = NULL;
    size_t n = rmq_consumer_owned(c, &mqs);
    bool *done = rmq_calloc(n ? n : 1, sizeof(bool));
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        rocketmq_message_queue_t *batch = rmq_calloc(n, sizeof(*batch));
        size_t nb = 0;
        for (size_t j = i; j < n; j++)
            if (!done[j] && strcmp(mqs[j].broker_name, mqs[i].broker_name) == 0) {
                batch[nb++] = mqs[j];
                done[j] = true;
            }
        rocketmq_message_queue_t *locked = NULL;
        size_t nlocked = 0;
        bool ok = rmq_consumer_lock_batch(c->inst, c->group, mqs[i].broker_name, batch, nb, &locked,
                                          &nlocked) == 0;
        for (size_t j = 0; ok && j < nb; j++) {
            char key[320];
            rmq_mq_key(&batch[j], key, sizeof(key));
            pthread_mutex_lock(&c->lock);
            rmq_owned_t *o = rmq_smap_get(c->table, key);
            if (o)
                rmq_pq_set_locked(o->pq, contains(locked, nlocked, &batch[j]), rmq_mono_ms());
            pthread_mutex_unlock(&c->lock);
        }
        free(locked);
        free(batch);
    }
    free(done);
    free(mqs);
}
