/* Producers, consumers and queue locks (4.9.8 ClientManageProcessor,
 * ConsumerManager, ConsumerGroupInfo, ProducerManager, RebalanceLockManager,
 * DefaultConsumerIdsChangeListener; reference broker.md 10.1-10.4, 10.7).
 *
 * Clients are keyed by connection, as Java keys them by Netty channel: a
 * client id is only a label of the connection that heartbeats with it.
 * Every table entry keeps a reference on its connection so that a closed
 * connection's pointer stays valid until the entry goes.
 *
 * Re-entrancy: sending a notification or closing a connection may run the
 * broker's close hook (rmq_client_mgr_conn_closed) before it returns, which
 * edits these tables.  So every operation finishes its table changes first,
 * and only then notifies or closes, from copies of what it needs. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "broker/broker_int.h"
#include "protocol/codes.h"
#include "protocol/heartbeat.h"
#include "rocketmq/error.h"

#define MOD "broker"
/* RebalanceLockManager.REBALANCE_LOCK_MAX_LIVE_TIME (rocketmq.broker.rebalance.lockMaxLiveTime). */
#define LOCK_MAX_LIVE_MS 60000
/* TopicSysFlag.buildSysFlag(false, true): FLAG_UNIT_SUB. */
#define TOPIC_SYSFLAG_UNIT_SUB 0x2

/* ClientChannelInfo. */
typedef struct client_chan {
    rmq_conn_t *conn; /* kept */
    char *client_id;
    int language;
    int32_t version;
    int64_t last_update; /* rmq_mono_ms */
} client_chan_t;

/* ConsumerGroupInfo. */
typedef struct consumer_group {
    char *name;
    int consume_type;
    int message_model;
    int consume_from_where;
    rmq_map_t *chans; /* conn id -> client_chan_t */
    rmq_map_t *subs;  /* topic -> rmq_subscription_data_t */
    /* The group config's notifyConsumerIdsChangedEnable at the last
     * heartbeat: a close or an expiry has no request to look it up for. */
    bool notify;
} consumer_group_t;

typedef struct producer_group {
    rmq_map_t *chans; /* conn id -> client_chan_t */
} producer_group_t;

/* RebalanceLockManager.LockEntry. */
typedef struct lock_entry {
    char *client_id;
    int64_t last_update; /* rmq_mono_ms */
} lock_entry_t;

struct rmq_client_mgr {
    rmq_broker_t *b;
    rmq_map_t *consumers; /* group -> consumer_group_t */
    rmq_map_t *producers; /* group -> producer_group_t */
    rmq_map_t *locks;     /* group -> (queue key -> lock_entry_t) */
    uint32_t producer_rr; /* round-robin start for rmq_client_mgr_producer_conn */
};

/* Group names collected while editing the tables, notified afterwards. */
typedef struct name_list {
    char **names;
    size_t n;
} name_list_t;

static void name_list_add(name_list_t *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0)
            return;
    l->names = rmq_realloc(l->names, (l->n + 1) * sizeof(*l->names));
    l->names[l->n++] = rmq_strdup(name);
}

static void name_list_free(name_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->n = 0;
}

/* Connections collected while editing the tables (each kept), closed afterwards. */
typedef struct conn_list {
    rmq_conn_t **conns;
    size_t n;
} conn_list_t;

static void conn_list_add(conn_list_t *l, rmq_conn_t *conn)
{
    l->conns = rmq_realloc(l->conns, (l->n + 1) * sizeof(*l->conns));
    rmq_conn_keep(conn);
    l->conns[l->n++] = conn;
}

static void conn_list_release(conn_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        rmq_conn_release(l->conns[i]);
    free(l->conns);
    l->conns = NULL;
    l->n = 0;
}

/* ---- table entries ---- */

static client_chan_t *chan_new(rmq_conn_t *conn, const char *client_id, int language,
                               int32_t version, int64_t now)
{
    client_chan_t *ch = rmq_calloc(1, sizeof(*ch));
    rmq_conn_keep(conn);
    ch->conn = conn;
    ch->client_id = rmq_strdup(client_id);
    ch->language = language;
    ch->version = version;
    ch->last_update = now;
    return ch;
}

static void chan_free(void *p)
{
    client_chan_t *ch = p;
    if (!ch)
        return;
    rmq_conn_release(ch->conn);
    free(ch->client_id);
    free(ch);
}

/* Updates a known channel (ConsumerGroupInfo.updateChannel's else branch):
 * a different client id on the same connection replaces the old one. */
static void chan_refresh(client_chan_t *ch, const char *group, const char *client_id,
                         int language, int32_t version, int64_t now)
{
    if (strcmp(ch->client_id, client_id) != 0) {
        RMQ_LOGW(MOD, "group %s: connection %s changed client id %s -> %s", group,
                 rmq_conn_peer(ch->conn), ch->client_id, client_id);
        free(ch->client_id);
        ch->client_id = rmq_strdup(client_id);
    }
    ch->language = language;
    ch->version = version;
    ch->last_update = now;
}

static void sub_free(void *p)
{
    rmq_subscription_data_free(p);
    free(p);
}

static void consumer_group_free(void *p)
{
    consumer_group_t *g = p;
    if (!g)
        return;
    rmq_map_free(g->chans, chan_free);
    rmq_map_free(g->subs, sub_free);
    free(g->name);
    free(g);
}

static void producer_group_free(void *p)
{
    producer_group_t *g = p;
    if (!g)
        return;
    rmq_map_free(g->chans, chan_free);
    free(g);
}

static void lock_entry_free(void *p)
{
    lock_entry_t *e = p;
    if (!e)
        return;
    free(e->client_id);
    free(e);
}

static void lock_group_free(void *p)
{
    rmq_map_free(p, lock_entry_free);
}

rmq_client_mgr_t *rmq_client_mgr_new(struct rmq_broker *b)
{
    rmq_client_mgr_t *cm = rmq_calloc(1, sizeof(*cm));
    cm->b = b;
    cm->consumers = rmq_map_new();
    cm->producers = rmq_map_new();
    cm->locks = rmq_map_new();
    return cm;
}

void rmq_client_mgr_free(rmq_client_mgr_t *cm)
{
    if (!cm)
        return;
    rmq_map_free(cm->consumers, consumer_group_free);
    rmq_map_free(cm->producers, producer_group_free);
    rmq_map_free(cm->locks, lock_group_free);
    free(cm);
}

/* ---- NOTIFY_CONSUMER_IDS_CHANGED ---- */

static void send_notify(rmq_conn_t *conn, const char *group)
{
    if (!rmq_conn_is_open(conn))
        return;
    rmq_cmd_t *cmd = rmq_cmd_new_request(RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED);
    cmd->flag |= RMQ_FLAG_ONEWAY;
    /* Every client reads JSON headers; not all of them the binary form. */
    cmd->serialize_type = RMQ_SERIALIZE_JSON;
    rmq_consumer_group_req_t h = {group};
    rmq_header_encode(&rmq_notify_consumer_ids_changed_req_desc, &h, &cmd->ext);
    int rc = rmq_conn_send(conn, cmd);
    if (rc != 0)
        RMQ_LOGD(MOD, "notify consumer ids changed of %s to %s failed: %d", group,
                 rmq_conn_peer(conn), rc);
    rmq_cmd_free(cmd);
}

/* Tells every consumer connection of group to rebalance now. */
static void notify_group(rmq_client_mgr_t *cm, const char *group)
{
    consumer_group_t *g = rmq_smap_get(cm->consumers, group);
    if (!g || !g->notify)
        return;
    conn_list_t l = {NULL, 0};
    rmq_map_iter_t it;
    void *v;
    rmq_map_iter_init(&it, g->chans);
    while (rmq_map_iter_next(&it, NULL, NULL, &v))
        conn_list_add(&l, ((client_chan_t *)v)->conn);
    /* g may be gone once the first send has run the close hook. */
    for (size_t i = 0; i < l.n; i++)
        send_notify(l.conns[i], group);
    conn_list_release(&l);
}

static void notify_all(rmq_client_mgr_t *cm, name_list_t *groups)
{
    for (size_t i = 0; i < groups->n; i++)
        notify_group(cm, groups->names[i]);
    name_list_free(groups);
}

/* ---- registration ---- */

static consumer_group_t *consumer_group_get(rmq_client_mgr_t *cm, const char *name)
{
    consumer_group_t *g = rmq_smap_get(cm->consumers, name);
    if (!g) {
        g = rmq_calloc(1, sizeof(*g));
        g->name = rmq_strdup(name);
        g->chans = rmq_map_new();
        g->subs = rmq_map_new();
        g->notify = true;
        rmq_smap_put(cm->consumers, name, g);
    }
    return g;
}

static bool sub_listed(const rmq_consumer_data_t *cd, const char *topic)
{
    for (size_t i = 0; i < cd->nsubs; i++)
        if (cd->subs[i].topic && strcmp(cd->subs[i].topic, topic) == 0)
            return true;
    return false;
}

/* ConsumerGroupInfo.updateSubscription: new topics and dropped topics are
 * changes; a newer subVersion of a known topic replaces it silently. */
static bool update_subscriptions(consumer_group_t *g, const rmq_consumer_data_t *cd)
{
    bool changed = false;
    for (size_t i = 0; i < cd->nsubs; i++) {
        const rmq_subscription_data_t *sd = &cd->subs[i];
        if (!sd->topic)
            continue;
        rmq_subscription_data_t *old = rmq_smap_get(g->subs, sd->topic);
        if (old && sd->sub_version <= old->sub_version)
            continue;
        rmq_subscription_data_t *copy = rmq_malloc(sizeof(*copy));
        rmq_subscription_data_copy(copy, sd);
        rmq_smap_put(g->subs, copy->topic, copy);
        if (old) {
            sub_free(old);
        } else {
            RMQ_LOGI(MOD, "group %s subscribes %s: %s", g->name, sd->topic,
                     sd->sub_string ? sd->sub_string : "");
            changed = true;
        }
    }
    rmq_map_iter_t it;
    const char *topic;
    void *v;
    rmq_map_iter_init(&it, g->subs);
    while (rmq_map_iter_next(&it, &topic, NULL, &v)) {
        if (sub_listed(cd, topic))
            continue;
        RMQ_LOGI(MOD, "group %s no longer subscribes %s", g->name, topic);
        rmq_smap_del(g->subs, topic);
        sub_free(v);
        changed = true;
    }
    return changed;
}

/* ConsumerManager.registerConsumer; true if the group changed (a new
 * connection or a different topic set). */
static bool register_consumer(rmq_client_mgr_t *cm, const rmq_consumer_data_t *cd,
                              rmq_conn_t *conn, const char *client_id, int language,
                              int32_t version, bool notify, int64_t now)
{
    consumer_group_t *g = consumer_group_get(cm, cd->group_name);
    g->consume_type = cd->consume_type;
    g->message_model = cd->message_model;
    g->consume_from_where = cd->consume_from_where;
    g->notify = notify;
    bool changed = false;
    uint64_t id = rmq_conn_id(conn);
    client_chan_t *ch = rmq_imap_get(g->chans, (int64_t)id);
    if (!ch) {
        rmq_imap_put(g->chans, (int64_t)id, chan_new(conn, client_id, language, version, now));
        RMQ_LOGI(MOD, "new consumer connected, group %s, client %s, %s", g->name, client_id,
                 rmq_conn_peer(conn));
        changed = true;
    } else {
        chan_refresh(ch, g->name, client_id, language, version, now);
    }
    if (update_subscriptions(g, cd))
        changed = true;
    return changed;
}

static void register_producer(rmq_client_mgr_t *cm, const char *group, rmq_conn_t *conn,
                              const char *client_id, int language, int32_t version, int64_t now)
{
    producer_group_t *g = rmq_smap_get(cm->producers, group);
    if (!g) {
        g = rmq_calloc(1, sizeof(*g));
        g->chans = rmq_map_new();
        rmq_smap_put(cm->producers, group, g);
    }
    uint64_t id = rmq_conn_id(conn);
    client_chan_t *ch = rmq_imap_get(g->chans, (int64_t)id);
    if (!ch) {
        rmq_imap_put(g->chans, (int64_t)id, chan_new(conn, client_id, language, version, now));
        RMQ_LOGI(MOD, "new producer connected, group %s, client %s, %s", group, client_id,
                 rmq_conn_peer(conn));
    } else {
        chan_refresh(ch, group, client_id, language, version, now);
    }
}

/* Removes a connection from a consumer group, dropping the group when it
 * empties; true if the connection was there and the group lives on. */
static bool unregister_consumer(rmq_client_mgr_t *cm, const char *group, uint64_t conn_id)
{
    consumer_group_t *g = rmq_smap_get(cm->consumers, group);
    if (!g)
        return false;
    client_chan_t *ch = rmq_imap_del(g->chans, (int64_t)conn_id);
    if (!ch)
        return false;
    RMQ_LOGI(MOD, "consumer %s of group %s gone (%s)", ch->client_id, group,
             rmq_conn_peer(ch->conn));
    chan_free(ch);
    if (rmq_map_size(g->chans) == 0) {
        rmq_smap_del(cm->consumers, group);
        consumer_group_free(g);
        return false;
    }
    return true;
}

static void unregister_producer(rmq_client_mgr_t *cm, const char *group, uint64_t conn_id)
{
    producer_group_t *g = rmq_smap_get(cm->producers, group);
    if (!g)
        return;
    chan_free(rmq_imap_del(g->chans, (int64_t)conn_id));
    if (rmq_map_size(g->chans) == 0) {
        rmq_smap_del(cm->producers, group);
        producer_group_free(g);
    }
}

/* ---- HEART_BEAT (34) ---- */

/* The retry topic of a consumer group (createTopicInSendMessageBackMethod);
 * true if it was created. */
static bool ensure_retry_topic(rmq_broker_t *b, const rmq_consumer_data_t *cd,
                               const rmq_subscription_group_t *sg)
{
    size_t n = strlen(RMQ_RETRY_PREFIX) + strlen(cd->group_name) + 1;
    char *topic = rmq_malloc(n);
    snprintf(topic, n, "%s%s", RMQ_RETRY_PREFIX, cd->group_name);
    bool created = false;
    rmq_topic_mgr_create_on_send_back(b->topics, topic, sg->retry_queue_nums,
                                      RMQ_PERM_READ | RMQ_PERM_WRITE,
                                      cd->unit_mode ? TOPIC_SYSFLAG_UNIT_SUB : 0, &created);
    free(topic);
    return created;
}

static void heartbeat(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_client_mgr_t *cm = b->clients;
    rmq_heartbeat_data_t hb;
    char err[256];
    if (rmq_heartbeat_data_decode(req->body, req->body_len, &hb, err, sizeof(err)) != 0) {
        RMQ_LOGW(MOD, "bad heartbeat from %s: %s", rmq_conn_peer(conn), err);
        rmq_broker_reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, err);
        return;
    }
    if (!hb.client_id) {
        /* Java would register a null id and fail in rebalancing later. */
        rmq_broker_reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, "HeartbeatData.clientID is null");
        rmq_heartbeat_data_free(&hb);
        return;
    }
    int64_t now = rmq_mono_ms();
    /* A heartbeat racing its connection's close must not leave entries that
     * no close hook will ever remove. */
    bool open = rmq_conn_is_open(conn);
    bool created = false;
    name_list_t changed = {NULL, 0};
    for (size_t i = 0; i < hb.nconsumers; i++) {
        const rmq_consumer_data_t *cd = &hb.consumers[i];
        const rmq_subscription_group_t *sg = rmq_subgroup_mgr_find(b->groups, cd->group_name);
        bool notify = true;
        if (sg) {
            notify = sg->notify_consumer_ids_changed_enable;
            if (ensure_retry_topic(b, cd, sg))
                created = true;
        }
        if (open && register_consumer(cm, cd, conn, hb.client_id, req->language, req->version,
                                      notify, now))
            name_list_add(&changed, cd->group_name);
    }
    for (size_t i = 0; open && i < hb.nproducers; i++)
        register_producer(cm, hb.producer_groups[i], conn, hb.client_id, req->language,
                          req->version, now);
    rmq_heartbeat_data_free(&hb);
    if (created)
        rmq_broker_register_all(b, true);
    rmq_broker_reply(conn, req, ROCKETMQ_ERR_SUCCESS, NULL);
    notify_all(cm, &changed);
}

/* ---- UNREGISTER_CLIENT (35) ---- */

static void unregister_client(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_unregister_client_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_unregister_client_req_desc, &h))
        return;
    rmq_client_mgr_t *cm = b->clients;
    uint64_t id = rmq_conn_id(conn);
    if (h.producerGroup)
        unregister_producer(cm, h.producerGroup, id);
    bool notify = false;
    if (h.consumerGroup) {
        const rmq_subscription_group_t *sg = rmq_subgroup_mgr_find(b->groups, h.consumerGroup);
        bool enabled = sg ? sg->notify_consumer_ids_changed_enable : true;
        notify = unregister_consumer(cm, h.consumerGroup, id) && enabled;
    }
    rmq_broker_reply(conn, req, ROCKETMQ_ERR_SUCCESS, NULL);
    if (notify)
        notify_group(cm, h.consumerGroup);
}

/* ---- GET_CONSUMER_LIST_BY_GROUP (38) ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void get_consumer_list(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_consumer_group_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_get_consumer_list_req_desc, &h))
        return;
    consumer_group_t *g = rmq_smap_get(b->clients->consumers, h.consumerGroup);
    size_t n = g ? rmq_map_size(g->chans) : 0;
    if (n == 0) {
        rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SYSTEM_ERROR, NULL);
        rmq_cmd_set_remark(resp, "no consumer for this group, %s", h.consumerGroup);
        rmq_conn_reply(conn, req, resp);
        return;
    }
    char **ids = rmq_calloc(n, sizeof(*ids));
    size_t k = 0;
    rmq_map_iter_t it;
    void *v;
    rmq_map_iter_init(&it, g->chans);
    while (k < n && rmq_map_iter_next(&it, NULL, NULL, &v))
        ids[k++] = ((client_chan_t *)v)->client_id;
    /* Clients sort the list themselves; sorted here for stable output. */
    qsort(ids, k, sizeof(*ids), cmp_str);
    rmq_buf_t body = RMQ_BUF_INIT;
    rmq_consumer_id_list_encode(ids, k, &body);
    free(ids);
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    rmq_cmd_take_body(resp, &body);
    rmq_conn_reply(conn, req, resp);
}

/* ---- LOCK_BATCH_MQ (41) / UNLOCK_BATCH_MQ (42) ---- */

/* topic NUL brokerName NUL queueId: MessageQueue equality. */
static void lock_key(const rmq_message_queue_t *mq, rmq_buf_t *key)
{
    key->len = 0;
    rmq_buf_append(key, mq->topic ? mq->topic : "", strlen(mq->topic ? mq->topic : "") + 1);
    rmq_buf_append(key, mq->broker_name ? mq->broker_name : "",
                   strlen(mq->broker_name ? mq->broker_name : "") + 1);
    rmq_buf_append_be32(key, (uint32_t)mq->queue_id);
}

static bool lock_expired(const lock_entry_t *e, int64_t now)
{
    return now - e->last_update > LOCK_MAX_LIVE_MS;
}

/* RebalanceLockManager.tryLockBatch: a queue is granted if it is free, held
 * by this client, or held by a lock nobody renewed for 60 s. */
static bool try_lock(rmq_map_t *gm, const rmq_message_queue_t *mq, const char *client_id,
                     int64_t now, rmq_buf_t *key)
{
    lock_key(mq, key);
    lock_entry_t *e = rmq_map_get(gm, key->data, key->len);
    if (!e) {
        e = rmq_calloc(1, sizeof(*e));
        e->client_id = rmq_strdup(client_id);
        e->last_update = now;
        rmq_map_put(gm, key->data, key->len, e);
        return true;
    }
    bool mine = strcmp(e->client_id, client_id) == 0;
    if (mine && !lock_expired(e, now)) {
        e->last_update = now;
        return true;
    }
    if (lock_expired(e, now)) {
        if (!mine) {
            RMQ_LOGW(MOD, "queue %s:%d lock of %s expired, given to %s", mq->topic ? mq->topic : "",
                     mq->queue_id, e->client_id, client_id);
            free(e->client_id);
            e->client_id = rmq_strdup(client_id);
        }
        e->last_update = now;
        return true;
    }
    return false;
}

static bool decode_lock_body(rmq_conn_t *conn, const rmq_cmd_t *req, rmq_lock_batch_req_t *r)
{
    char err[256];
    int rc = rmq_lock_batch_req_decode(req->body, req->body_len, r, err, sizeof(err));
    if (rc == 0 && (!r->consumer_group || !r->client_id)) {
        snprintf(err, sizeof(err), "%s: consumerGroup and clientId are required",
                 rmq_request_code_name(req->code));
        rmq_lock_batch_req_free(r);
        rc = ROCKETMQ_ERR__PROTOCOL;
    }
    if (rc != 0) {
        RMQ_LOGW(MOD, "bad lock request from %s: %s", rmq_conn_peer(conn), err);
        rmq_broker_reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, err);
        return false;
    }
    return true;
}

static void lock_batch(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_lock_batch_req_t r;
    if (!decode_lock_body(conn, req, &r))
        return;
    rmq_map_t *gm = rmq_smap_get(b->clients->locks, r.consumer_group);
    if (!gm) {
        gm = rmq_map_new();
        rmq_smap_put(b->clients->locks, r.consumer_group, gm);
    }
    int64_t now = rmq_mono_ms();
    rmq_buf_t key = RMQ_BUF_INIT;
    /* Locked queues are moved to the front; the set is sorted and stays so. */
    size_t nok = 0;
    for (size_t i = 0; i < r.nmqs; i++) {
        if (!try_lock(gm, &r.mqs[i], r.client_id, now, &key))
            continue;
        rmq_message_queue_t t = r.mqs[nok];
        r.mqs[nok++] = r.mqs[i];
        r.mqs[i] = t;
    }
    rmq_buf_free(&key);
    rmq_buf_t body = RMQ_BUF_INIT;
    rmq_lock_batch_resp_encode(r.mqs, nok, &body);
    rmq_lock_batch_req_free(&r);
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    rmq_cmd_take_body(resp, &body);
    rmq_conn_reply(conn, req, resp);
}

static void unlock_batch(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_lock_batch_req_t r;
    if (!decode_lock_body(conn, req, &r))
        return;
    rmq_map_t *gm = rmq_smap_get(b->clients->locks, r.consumer_group);
    rmq_buf_t key = RMQ_BUF_INIT;
    for (size_t i = 0; gm && i < r.nmqs; i++) {
        lock_key(&r.mqs[i], &key);
        lock_entry_t *e = rmq_map_get(gm, key.data, key.len);
        /* Only the owner releases (an expired lock of another client stays
         * until someone takes it). */
        if (e && strcmp(e->client_id, r.client_id) == 0)
            lock_entry_free(rmq_map_del(gm, key.data, key.len));
    }
    if (gm && rmq_map_size(gm) == 0) {
        rmq_smap_del(b->clients->locks, r.consumer_group);
        lock_group_free(gm);
    }
    rmq_buf_free(&key);
    rmq_lock_batch_req_free(&r);
    rmq_broker_reply(conn, req, ROCKETMQ_ERR_SUCCESS, NULL);
}

void rmq_broker_client_req(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req)
{
    switch (req->code) {
    case RMQ_REQ_HEART_BEAT:
        heartbeat(b, conn, req);
        break;
    case RMQ_REQ_UNREGISTER_CLIENT:
        unregister_client(b, conn, req);
        break;
    case RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP:
        get_consumer_list(b, conn, req);
        break;
    case RMQ_REQ_LOCK_BATCH_MQ:
        lock_batch(b, conn, req);
        break;
    case RMQ_REQ_UNLOCK_BATCH_MQ:
        unlock_batch(b, conn, req);
        break;
    default:
        rmq_conn_reply_not_supported(conn, req);
        break;
    }
    rmq_cmd_free(req);
}

/* ---- connection close and expiry ---- */

void rmq_client_mgr_conn_closed(rmq_client_mgr_t *cm, uint64_t conn_id)
{
    if (!cm)
        return;
    name_list_t changed = {NULL, 0};
    rmq_map_iter_t it;
    const char *name;
    void *v;
    rmq_map_iter_init(&it, cm->consumers);
    while (rmq_map_iter_next(&it, &name, NULL, &v)) {
        consumer_group_t *g = v;
        client_chan_t *ch = rmq_imap_del(g->chans, (int64_t)conn_id);
        if (!ch)
            continue;
        RMQ_LOGI(MOD, "consumer %s of group %s disconnected (%s)", ch->client_id, g->name,
                 rmq_conn_peer(ch->conn));
        chan_free(ch);
        if (rmq_map_size(g->chans) == 0) {
            rmq_smap_del(cm->consumers, name);
            consumer_group_free(g);
        } else {
            name_list_add(&changed, g->name);
        }
    }
    rmq_map_iter_init(&it, cm->producers);
    while (rmq_map_iter_next(&it, &name, NULL, &v)) {
        producer_group_t *g = v;
        client_chan_t *ch = rmq_imap_del(g->chans, (int64_t)conn_id);
        if (!ch)
            continue;
        chan_free(ch);
        if (rmq_map_size(g->chans) == 0) {
            rmq_smap_del(cm->producers, name);
            producer_group_free(g);
        }
    }
    notify_all(cm, &changed);
}

/* Drops the channels of chans silent for longer than timeout, collecting
 * their connections; returns how many were dropped. */
static size_t expire_chans(rmq_map_t *chans, const char *group, const char *role, int64_t now,
                           int64_t timeout, conn_list_t *doomed)
{
    size_t dropped = 0;
    rmq_map_iter_t it;
    const char *key;
    size_t klen;
    void *v;
    rmq_map_iter_init(&it, chans);
    while (rmq_map_iter_next(&it, &key, &klen, &v)) {
        client_chan_t *ch = v;
        if (now - ch->last_update <= timeout)
            continue;
        RMQ_LOGW(MOD, "%s %s of group %s silent for %" PRId64 " ms, removed (%s)", role,
                 ch->client_id, group, now - ch->last_update, rmq_conn_peer(ch->conn));
        conn_list_add(doomed, ch->conn);
        rmq_map_del(chans, key, klen);
        chan_free(ch);
        dropped++;
    }
    return dropped;
}

void rmq_client_mgr_scan(rmq_client_mgr_t *cm, int64_t now_ms)
{
    if (!cm)
        return;
    int64_t timeout = cm->b->cfg.channelExpiredTimeout;
    name_list_t changed = {NULL, 0};
    conn_list_t doomed = {NULL, 0};
    rmq_map_iter_t it;
    const char *name;
    void *v;
    rmq_map_iter_init(&it, cm->consumers);
    while (rmq_map_iter_next(&it, &name, NULL, &v)) {
        consumer_group_t *g = v;
        if (expire_chans(g->chans, g->name, "consumer", now_ms, timeout, &doomed) == 0)
            continue;
        if (rmq_map_size(g->chans) == 0) {
            RMQ_LOGW(MOD, "consumer group %s has no client left, removed", g->name);
            rmq_smap_del(cm->consumers, name);
            consumer_group_free(g);
        } else {
            name_list_add(&changed, g->name);
        }
    }
    rmq_map_iter_init(&it, cm->producers);
    while (rmq_map_iter_next(&it, &name, NULL, &v)) {
        producer_group_t *g = v;
        if (expire_chans(g->chans, name, "producer", now_ms, timeout, &doomed) > 0 &&
            rmq_map_size(g->chans) == 0) {
            rmq_smap_del(cm->producers, name);
            producer_group_free(g);
        }
    }
    /* Expired locks behave as absent ones; dropping them bounds the table. */
    rmq_map_iter_init(&it, cm->locks);
    while (rmq_map_iter_next(&it, &name, NULL, &v)) {
        rmq_map_t *gm = v;
        rmq_map_iter_t lit;
        const char *key;
        size_t klen;
        void *e;
        rmq_map_iter_init(&lit, gm);
        while (rmq_map_iter_next(&lit, &key, &klen, &e)) {
            if (lock_expired(e, now_ms)) {
                rmq_map_del(gm, key, klen);
                lock_entry_free(e);
            }
        }
        if (rmq_map_size(gm) == 0) {
            rmq_smap_del(cm->locks, name);
            lock_group_free(gm);
        }
    }
    notify_all(cm, &changed);
    /* Java closes the channel of an expired client (ClientHousekeepingService). */
    for (size_t i = 0; i < doomed.n; i++)
        rmq_conn_close(doomed.conns[i], "client heartbeat expired");
    conn_list_release(&doomed);
}

/* ---- queries ---- */

const rmq_subscription_data_t *rmq_client_mgr_find_subscription(rmq_client_mgr_t *cm,
                                                                const char *group,
                                                                const char *topic)
{
    consumer_group_t *g = rmq_smap_get(cm->consumers, group);
    return g ? rmq_smap_get(g->subs, topic) : NULL;
}

bool rmq_client_mgr_subscription(rmq_client_mgr_t *cm, const char *group, const char *topic,
                                 char **expr_out)
{
    const rmq_subscription_data_t *sd = rmq_client_mgr_find_subscription(cm, group, topic);
    if (!sd)
        return false;
    if (expr_out)
        *expr_out = rmq_strdup(sd->sub_string ? sd->sub_string : "");
    return true;
}

size_t rmq_client_mgr_subscription_count(rmq_client_mgr_t *cm, const char *group)
{
    consumer_group_t *g = rmq_smap_get(cm->consumers, group);
    return g ? rmq_map_size(g->subs) : 0;
}

int rmq_client_mgr_message_model(rmq_client_mgr_t *cm, const char *group)
{
    consumer_group_t *g = rmq_smap_get(cm->consumers, group);
    return g ? g->message_model : -1;
}

static void fill_conns(rmq_map_t *chans, rmq_connection_t **out, size_t *nout)
{
    size_t n = rmq_map_size(chans), k = 0;
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return;
    rmq_connection_t *c = rmq_calloc(n, sizeof(*c));
    rmq_map_iter_t it;
    void *v;
    rmq_map_iter_init(&it, chans);
    while (k < n && rmq_map_iter_next(&it, NULL, NULL, &v)) {
        const client_chan_t *ch = v;
        c[k].client_id = rmq_strdup(ch->client_id);
        c[k].client_addr = rmq_strdup(rmq_conn_peer(ch->conn));
        c[k].language = ch->language;
        c[k].version = ch->version;
        k++;
    }
    *out = c;
    *nout = k;
}

bool rmq_client_mgr_consumer_connection(rmq_client_mgr_t *cm, const char *group,
                                        rmq_consumer_connection_t *out)
{
    memset(out, 0, sizeof(*out));
    consumer_group_t *g = rmq_smap_get(cm->consumers, group);
    if (!g)
        return false;
    out->consume_type = g->consume_type;
    out->message_model = g->message_model;
    out->consume_from_where = g->consume_from_where;
    fill_conns(g->chans, &out->conns, &out->nconns);
    size_t n = rmq_map_size(g->subs);
    if (n > 0)
        out->subs = rmq_calloc(n, sizeof(*out->subs));
    rmq_map_iter_t it;
    void *v;
    rmq_map_iter_init(&it, g->subs);
    while (out->nsubs < n && rmq_map_iter_next(&it, NULL, NULL, &v))
        rmq_subscription_data_copy(&out->subs[out->nsubs++], v);
    return true;
}

bool rmq_client_mgr_producer_connection(rmq_client_mgr_t *cm, const char *group,
                                        rmq_producer_connection_t *out)
{
    memset(out, 0, sizeof(*out));
    producer_group_t *g = rmq_smap_get(cm->producers, group);
    if (!g)
        return false;
    fill_conns(g->chans, &out->conns, &out->nconns);
    return true;
}

rmq_conn_t *rmq_client_mgr_producer_conn(rmq_client_mgr_t *cm, const char *group)
{
    producer_group_t *g = rmq_smap_get(cm->producers, group);
    size_t n = g ? rmq_map_size(g->chans) : 0;
    if (n == 0)
        return NULL;
    /* ProducerManager.getAvailableChannel: round robin over the open ones. */
    size_t start = cm->producer_rr++ % n, i = 0;
    rmq_conn_t *first_open = NULL;
    rmq_map_iter_t it;
    void *v;
    rmq_map_iter_init(&it, g->chans);
    while (rmq_map_iter_next(&it, NULL, NULL, &v)) {
        rmq_conn_t *c = ((client_chan_t *)v)->conn;
        if (rmq_conn_is_open(c)) {
            if (i >= start)
                return c;
            if (!first_open)
                first_open = c;
        }
        i++;
    }
    return first_open;
}

rmq_conn_t *rmq_client_mgr_consumer_conn(rmq_client_mgr_t *cm, const char *group,
                                         const char *client_id)
{
    consumer_group_t *g = rmq_smap_get(cm->consumers, group);
    if (!g)
        return NULL;
    rmq_map_iter_t it;
    void *v;
    rmq_map_iter_init(&it, g->chans);
    while (rmq_map_iter_next(&it, NULL, NULL, &v)) {
        client_chan_t *ch = v;
        if (strcmp(ch->client_id, client_id) == 0 && rmq_conn_is_open(ch->conn))
            return ch->conn;
    }
    return NULL;
}
