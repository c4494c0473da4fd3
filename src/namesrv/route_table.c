#include "namesrv/route_table.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "rocketmq/error.h"

#define TOPIC_SYS_FLAG_UNIT 0x1
#define TOPIC_SYS_FLAG_UNIT_SUB 0x2

typedef struct live {
    int64_t last_update;
    rmq_data_version_t dv;
    uint64_t conn_id;
    char *ha_addr;
    int64_t timeout_ms;
} live_t;

typedef struct filter_list {
    char **v;
    size_t n;
} filter_list_t;

struct rmq_route_table {
    rmq_map_t *topics;   /* topic -> (broker name -> rmq_queue_data_t *) */
    rmq_map_t *brokers;  /* broker name -> rmq_broker_data_t * */
    rmq_map_t *clusters; /* cluster -> (broker name -> marker) */
    rmq_map_t *live;     /* broker address -> live_t * */
    rmq_map_t *filters;  /* broker address -> filter_list_t * */
    uint64_t version;
};

static char g_marker; /* value of set-like maps */

static void free_queue_data(void *p)
{
    rmq_queue_data_t *qd = p;
    free(qd->broker_name);
    free(qd);
}

static void free_queue_map(void *p)
{
    rmq_map_free(p, free_queue_data);
}

static void free_broker_data(void *p)
{
    rmq_broker_data_free(p);
    free(p);
}

static void free_set(void *p)
{
    rmq_map_free(p, NULL);
}

static void free_live(void *p)
{
    live_t *l = p;
    free(l->ha_addr);
    free(l);
}

static void free_filters(void *p)
{
    filter_list_t *f = p;
    for (size_t i = 0; i < f->n; i++)
        free(f->v[i]);
    free(f->v);
    free(f);
}

rmq_route_table_t *rmq_route_table_new(void)
{
    rmq_route_table_t *rt = rmq_calloc(1, sizeof(*rt));
    rt->topics = rmq_map_new();
    rt->brokers = rmq_map_new();
    rt->clusters = rmq_map_new();
    rt->live = rmq_map_new();
    rt->filters = rmq_map_new();
    return rt;
}

void rmq_route_table_free(rmq_route_table_t *rt)
{
    if (!rt)
        return;
    rmq_map_free(rt->topics, free_queue_map);
    rmq_map_free(rt->brokers, free_broker_data);
    rmq_map_free(rt->clusters, free_set);
    rmq_map_free(rt->live, free_live);
    rmq_map_free(rt->filters, free_filters);
    free(rt);
}

uint64_t rmq_route_table_version(const rmq_route_table_t *rt)
{
    return rt->version;
}

void rmq_register_result_free(rmq_register_result_t *res)
{
    free(res->master_addr);
    free(res->ha_server_addr);
    res->master_addr = res->ha_server_addr = NULL;
}

/* Removes addrs[i] from a BrokerData, keeping the rest in order. */
static void broker_data_remove_at(rmq_broker_data_t *bd, size_t i)
{
    free(bd->addrs[i].addr);
    memmove(&bd->addrs[i], &bd->addrs[i + 1], (bd->naddrs - i - 1) * sizeof(bd->addrs[0]));
    bd->naddrs--;
}

static void put_queue_data(rmq_route_table_t *rt, const char *broker_name,
                           const rmq_topic_config_t *tc)
{
    rmq_map_t *qmap = rmq_smap_get(rt->topics, tc->topic_name);
    if (!qmap) {
        qmap = rmq_map_new();
        rmq_smap_put(rt->topics, tc->topic_name, qmap);
        RMQ_LOGI("namesrv", "new topic registered: %s from broker %s", tc->topic_name,
                 broker_name);
    }
    rmq_queue_data_t *qd = rmq_smap_get(qmap, broker_name);
    if (!qd) {
        qd = rmq_calloc(1, sizeof(*qd));
        qd->broker_name = rmq_strdup(broker_name);
        rmq_smap_put(qmap, broker_name, qd);
    }
    qd->read_queue_nums = tc->read_queue_nums;
    qd->write_queue_nums = tc->write_queue_nums;
    qd->perm = tc->perm;
    qd->topic_sys_flag = tc->topic_sys_flag;
}

static void set_filters(rmq_route_table_t *rt, const char *addr, const rmq_register_broker_body_t *b)
{
    filter_list_t *old = rmq_smap_del(rt->filters, addr);
    if (old)
        free_filters(old);
    if (b->nfilter_servers == 0)
        return;
    filter_list_t *f = rmq_calloc(1, sizeof(*f));
    f->v = rmq_calloc(b->nfilter_servers, sizeof(char *));
    for (size_t i = 0; i < b->nfilter_servers; i++)
        f->v[i] = rmq_strdup(b->filter_servers[i]);
    f->n = b->nfilter_servers;
    rmq_smap_put(rt->filters, addr, f);
}

/* Adds the broker to its cluster and its address to its BrokerData; returns
 * true when this is the first registration of that broker id. */
static bool add_broker_addr(rmq_route_table_t *rt, const rmq_broker_reg_t *reg)
{
    rmq_map_t *names = rmq_smap_get(rt->clusters, reg->cluster);
    if (!names) {
        names = rmq_map_new();
        rmq_smap_put(rt->clusters, reg->cluster, names);
    }
    rmq_smap_put(names, reg->broker_name, &g_marker);

    rmq_broker_data_t *bd = rmq_smap_get(rt->brokers, reg->broker_name);
    bool first = bd == NULL;
    if (!bd) {
        bd = rmq_calloc(1, sizeof(*bd));
        bd->cluster = rmq_strdup(reg->cluster);
        bd->broker_name = rmq_strdup(reg->broker_name);
        rmq_smap_put(rt->brokers, reg->broker_name, bd);
    }
    /* A slave promoted to master re-registers its address under id 0: drop
     * the entry of that address under its old id. */
    for (size_t i = 0; i < bd->naddrs;) {
        if (strcmp(bd->addrs[i].addr, reg->broker_addr) == 0 &&
            bd->addrs[i].broker_id != reg->broker_id)
            broker_data_remove_at(bd, i);
        else
            i++;
    }
    first |= rmq_broker_data_get_addr(bd, reg->broker_id) == NULL;
    rmq_broker_data_set_addr(bd, reg->broker_id, reg->broker_addr);
    return first;
}

void rmq_route_table_register(rmq_route_table_t *rt, const rmq_broker_reg_t *reg,
                              const rmq_register_broker_body_t *body, int64_t now_ms,
                              rmq_register_result_t *res)
{
    memset(res, 0, sizeof(*res));
    bool first = add_broker_addr(rt, reg);
    live_t *prev = rmq_smap_get(rt->live, reg->broker_addr);
    /* Only masters define queue data, and only when their topic table changed
     * (its data version moved) or this is their first registration. */
    if (reg->broker_id == 0 &&
        (first || !prev || !rmq_data_version_equal(&prev->dv, &body->data_version))) {
        for (size_t i = 0; i < body->ntopics; i++)
            put_queue_data(rt, reg->broker_name, &body->topics[i]);
    }
    live_t *l = rmq_calloc(1, sizeof(*l));
    l->last_update = now_ms;
    l->dv = body->data_version;
    l->conn_id = reg->conn_id;
    l->ha_addr = rmq_strdup(reg->ha_server_addr ? reg->ha_server_addr : "");
    l->timeout_ms = reg->timeout_ms;
    live_t *old = rmq_smap_put(rt->live, reg->broker_addr, l);
    if (old)
        free_live(old);
    else
        RMQ_LOGI("namesrv", "new broker registered: %s %s id %lld (HA %s)", reg->broker_name,
                 reg->broker_addr, (long long)reg->broker_id, l->ha_addr);
    set_filters(rt, reg->broker_addr, body);
    if (reg->broker_id != 0) {
        const char *master =
            rmq_broker_data_get_addr(rmq_smap_get(rt->brokers, reg->broker_name), 0);
        if (master) {
            live_t *ml = rmq_smap_get(rt->live, master);
            res->master_addr = rmq_strdup(master);
            if (ml)
                res->ha_server_addr = rmq_strdup(ml->ha_addr);
        }
    }
    rt->version++;
}

/* Forgets a broker name altogether: cluster membership and queue data. */
static void drop_broker_name(rmq_route_table_t *rt, const char *cluster, const char *name)
{
    rmq_map_t *names = rmq_smap_get(rt->clusters, cluster);
    if (names) {
        rmq_smap_del(names, name);
        if (rmq_map_size(names) == 0)
            free_set(rmq_smap_del(rt->clusters, cluster));
    }
    rmq_map_iter_t it;
    const char *topic;
    void *v;
    rmq_map_iter_init(&it, rt->topics);
    while (rmq_map_iter_next(&it, &topic, NULL, &v)) {
        rmq_queue_data_t *qd = rmq_smap_del(v, name);
        if (qd)
            free_queue_data(qd);
        if (rmq_map_size(v) == 0) {
            RMQ_LOGI("namesrv", "topic %s removed: no broker left", topic);
            free_queue_map(rmq_smap_del(rt->topics, topic));
        }
    }
}

static void drop_live(rmq_route_table_t *rt, const char *addr)
{
    live_t *l = rmq_smap_del(rt->live, addr);
    if (l)
        free_live(l);
    filter_list_t *f = rmq_smap_del(rt->filters, addr);
    if (f)
        free_filters(f);
}

void rmq_route_table_unregister(rmq_route_table_t *rt, const char *cluster, const char *addr,
                                const char *broker_name, int64_t broker_id)
{
    drop_live(rt, addr);
    rmq_broker_data_t *bd = rmq_smap_get(rt->brokers, broker_name);
    if (bd) {
        for (size_t i = 0; i < bd->naddrs; i++) {
            if (bd->addrs[i].broker_id == broker_id) {
                broker_data_remove_at(bd, i);
                break;
            }
        }
        if (bd->naddrs == 0) {
            free_broker_data(rmq_smap_del(rt->brokers, broker_name));
            drop_broker_name(rt, cluster, broker_name);
        }
    }
    RMQ_LOGI("namesrv", "broker unregistered: %s %s id %lld", broker_name, addr,
             (long long)broker_id);
    rt->version++;
}

/* Removes every trace of one broker address (connection closed or expired). */
static void remove_addr(rmq_route_table_t *rt, const char *addr)
{
    char *a = rmq_strdup(addr); /* addr may point into the live table */
    drop_live(rt, a);
    rmq_map_iter_t it;
    const char *name;
    void *v;
    rmq_map_iter_init(&it, rt->brokers);
    while (rmq_map_iter_next(&it, &name, NULL, &v)) {
        rmq_broker_data_t *bd = v;
        for (size_t i = 0; i < bd->naddrs;) {
            if (strcmp(bd->addrs[i].addr, a) == 0)
                broker_data_remove_at(bd, i);
            else
                i++;
        }
        if (bd->naddrs > 0)
            continue;
        char *cluster = rmq_strdup(bd->cluster);
        char *bname = rmq_strdup(name);
        free_broker_data(rmq_smap_del(rt->brokers, bname));
        drop_broker_name(rt, cluster, bname);
        free(cluster);
        free(bname);
    }
    free(a);
    rt->version++;
}

/* Collects the addresses matching a predicate first: removal edits the table. */
static char **collect_live(rmq_route_table_t *rt, bool (*pred)(const live_t *, const void *),
                           const void *arg, size_t *n)
{
    char **out = rmq_calloc(rmq_map_size(rt->live) + 1, sizeof(char *));
    size_t k = 0;
    rmq_map_iter_t it;
    const char *addr;
    void *v;
    rmq_map_iter_init(&it, rt->live);
    while (rmq_map_iter_next(&it, &addr, NULL, &v))
        if (pred(v, arg))
            out[k++] = rmq_strdup(addr);
    *n = k;
    return out;
}

static bool on_conn(const live_t *l, const void *arg)
{
    return l->conn_id == *(const uint64_t *)arg;
}

static bool expired(const live_t *l, const void *arg)
{
    return l->last_update + l->timeout_ms < *(const int64_t *)arg;
}

void rmq_route_table_conn_closed(rmq_route_table_t *rt, uint64_t conn_id)
{
    size_t n;
    char **addrs = collect_live(rt, on_conn, &conn_id, &n);
    for (size_t i = 0; i < n; i++) {
        RMQ_LOGI("namesrv", "broker %s removed: its connection closed", addrs[i]);
        remove_addr(rt, addrs[i]);
        free(addrs[i]);
    }
    free(addrs);
}

int rmq_route_table_scan_expired(rmq_route_table_t *rt, int64_t now_ms,
                                 void (*on_expired)(uint64_t conn_id, void *arg), void *arg)
{
    size_t n;
    char **addrs = collect_live(rt, expired, &now_ms, &n);
    uint64_t *conns = rmq_calloc(n + 1, sizeof(*conns));
    for (size_t i = 0; i < n; i++) {
        RMQ_LOGW("namesrv", "broker %s expired: no registration within its timeout", addrs[i]);
        conns[i] = ((live_t *)rmq_smap_get(rt->live, addrs[i]))->conn_id;
        remove_addr(rt, addrs[i]);
        free(addrs[i]);
    }
    free(addrs);
    /* Called after the table is consistent: closing may call back into it. */
    for (size_t i = 0; i < n && on_expired; i++)
        if (conns[i])
            on_expired(conns[i], arg);
    free(conns);
    return (int)n;
}

bool rmq_route_table_query_data_version(rmq_route_table_t *rt, const char *addr,
                                        const rmq_data_version_t *dv, int64_t now_ms,
                                        bool *changed, rmq_data_version_t *recorded)
{
    live_t *l = rmq_smap_get(rt->live, addr);
    if (!l) {
        *changed = true;
        return false;
    }
    *changed = !rmq_data_version_equal(&l->dv, dv);
    if (!*changed)
        l->last_update = now_ms;
    *recorded = l->dv;
    return true;
}

static void add_filter_servers(const rmq_route_table_t *rt, const rmq_broker_data_t *bd,
                               rmq_topic_route_t *out)
{
    for (size_t i = 0; i < bd->naddrs; i++) {
        filter_list_t *f = rmq_smap_get(rt->filters, bd->addrs[i].addr);
        if (!f)
            continue;
        size_t k = out->nfilter_servers++;
        out->filter_server_addrs =
            rmq_realloc(out->filter_server_addrs, out->nfilter_servers * sizeof(char *));
        out->filter_server_lists =
            rmq_realloc(out->filter_server_lists, out->nfilter_servers * sizeof(char **));
        out->filter_server_addrs[k] = rmq_strdup(bd->addrs[i].addr);
        out->filter_server_lists[k] = rmq_calloc(f->n + 1, sizeof(char *));
        for (size_t j = 0; j < f->n; j++)
            out->filter_server_lists[k][j] = rmq_strdup(f->v[j]);
    }
}

int rmq_route_table_get_route(const rmq_route_table_t *rt, const char *topic,
                              rmq_topic_route_t *out)
{
    memset(out, 0, sizeof(*out));
    rmq_map_t *qmap = rmq_smap_get(rt->topics, topic);
    if (!qmap)
        return ROCKETMQ_ERR_TOPIC_NOT_EXIST;
    size_t n;
    const char **names = rmq_smap_keys_sorted(qmap, &n);
    out->queue_datas = rmq_calloc(n, sizeof(*out->queue_datas));
    out->broker_datas = rmq_calloc(n, sizeof(*out->broker_datas));
    for (size_t i = 0; i < n; i++) {
        const rmq_queue_data_t *qd = rmq_smap_get(qmap, names[i]);
        rmq_queue_data_t *dst = &out->queue_datas[out->nqueue_datas++];
        *dst = *qd;
        dst->broker_name = rmq_strdup(qd->broker_name);
        const rmq_broker_data_t *bd = rmq_smap_get(rt->brokers, names[i]);
        if (bd) {
            rmq_broker_data_copy(&out->broker_datas[out->nbroker_datas++], bd);
            add_filter_servers(rt, bd, out);
        }
    }
    free(names);
    if (out->nbroker_datas == 0) {
        rmq_topic_route_free(out);
        memset(out, 0, sizeof(*out));
        return ROCKETMQ_ERR_TOPIC_NOT_EXIST;
    }
    return 0;
}

void rmq_route_table_cluster_info(const rmq_route_table_t *rt, rmq_cluster_info_t *out)
{
    memset(out, 0, sizeof(*out));
    size_t n;
    const char **names = rmq_smap_keys_sorted(rt->brokers, &n);
    out->brokers = rmq_calloc(n, sizeof(*out->brokers));
    for (size_t i = 0; i < n; i++)
        rmq_broker_data_copy(&out->brokers[out->nbrokers++], rmq_smap_get(rt->brokers, names[i]));
    free(names);
    const char **clusters = rmq_smap_keys_sorted(rt->clusters, &n);
    out->clusters = rmq_calloc(n, sizeof(*out->clusters));
    for (size_t i = 0; i < n; i++) {
        rmq_cluster_entry_t *ce = &out->clusters[out->nclusters++];
        ce->cluster = rmq_strdup(clusters[i]);
        size_t m;
        const char **bn = rmq_smap_keys_sorted(rmq_smap_get(rt->clusters, clusters[i]), &m);
        ce->broker_names = rmq_calloc(m, sizeof(char *));
        for (size_t j = 0; j < m; j++)
            ce->broker_names[ce->nbroker_names++] = rmq_strdup(bn[j]);
        free(bn);
    }
    free(clusters);
}

void rmq_route_table_all_topics(const rmq_route_table_t *rt, rmq_topic_list_t *out)
{
    memset(out, 0, sizeof(*out));
    size_t n;
    const char **topics = rmq_smap_keys_sorted(rt->topics, &n);
    for (size_t i = 0; i < n; i++)
        rmq_topic_list_add(out, topics[i]);
    free(topics);
}

void rmq_route_table_topics_by_cluster(const rmq_route_table_t *rt, const char *cluster,
                                       rmq_topic_list_t *out)
{
    memset(out, 0, sizeof(*out));
    rmq_map_t *names = rmq_smap_get(rt->clusters, cluster);
    if (!names)
        return;
    size_t n;
    const char **topics = rmq_smap_keys_sorted(rt->topics, &n);
    for (size_t i = 0; i < n; i++) {
        rmq_map_t *qmap = rmq_smap_get(rt->topics, topics[i]);
        rmq_map_iter_t it;
        const char *bname;
        rmq_map_iter_init(&it, qmap);
        while (rmq_map_iter_next(&it, &bname, NULL, NULL)) {
            if (rmq_smap_get(names, bname)) {
                rmq_topic_list_add(out, topics[i]);
                break;
            }
        }
    }
    free(topics);
}

void rmq_route_table_system_topics(const rmq_route_table_t *rt, rmq_topic_list_t *out)
{
    memset(out, 0, sizeof(*out));
    size_t n;
    const char **clusters = rmq_smap_keys_sorted(rt->clusters, &n);
    for (size_t i = 0; i < n; i++) {
        rmq_topic_list_add(out, clusters[i]);
        size_t m;
        const char **names = rmq_smap_keys_sorted(rmq_smap_get(rt->clusters, clusters[i]), &m);
        for (size_t j = 0; j < m; j++)
            rmq_topic_list_add(out, names[j]);
        free(names);
    }
    free(clusters);
    const char **bnames = rmq_smap_keys_sorted(rt->brokers, &n);
    if (n > 0) {
        const rmq_broker_data_t *bd = rmq_smap_get(rt->brokers, bnames[0]);
        if (bd->naddrs > 0)
            out->broker_addr = rmq_strdup(bd->addrs[0].addr);
    }
    free(bnames);
}

static bool unit_match(rmq_unit_filter_t f, int32_t flag)
{
    bool unit = flag & TOPIC_SYS_FLAG_UNIT, sub = flag & TOPIC_SYS_FLAG_UNIT_SUB;
    switch (f) {
    case RMQ_UNIT_TOPICS: return unit;
    case RMQ_HAS_UNIT_SUB_TOPICS: return sub;
    case RMQ_HAS_UNIT_SUB_UNUNIT_TOPICS: return sub && !unit;
    }
    return false;
}

void rmq_route_table_unit_topics(const rmq_route_table_t *rt, rmq_unit_filter_t f,
                                 rmq_topic_list_t *out)
{
    memset(out, 0, sizeof(*out));
    size_t n;
    const char **topics = rmq_smap_keys_sorted(rt->topics, &n);
    for (size_t i = 0; i < n; i++) {
        /* Java looks at the topic's first queue data only; with sorted broker
         * names "first" is at least deterministic here. */
        size_t m;
        rmq_map_t *qmap = rmq_smap_get(rt->topics, topics[i]);
        const char **names = rmq_smap_keys_sorted(qmap, &m);
        if (m > 0) {
            const rmq_queue_data_t *qd = rmq_smap_get(qmap, names[0]);
            if (unit_match(f, qd->topic_sys_flag))
                rmq_topic_list_add(out, topics[i]);
        }
        free(names);
    }
    free(topics);
}

static int change_write_perm(rmq_route_table_t *rt, const char *broker_name, bool wipe)
{
    int count = 0;
    rmq_map_iter_t it;
    void *v;
    rmq_map_iter_init(&it, rt->topics);
    while (rmq_map_iter_next(&it, NULL, NULL, &v)) {
        rmq_queue_data_t *qd = rmq_smap_get(v, broker_name);
        if (!qd)
            continue;
        qd->perm = wipe ? (qd->perm & ~RMQ_PERM_WRITE) : (RMQ_PERM_READ | RMQ_PERM_WRITE);
        count++;
    }
    rt->version++;
    return count;
}

int rmq_route_table_wipe_write_perm(rmq_route_table_t *rt, const char *broker_name)
{
    return change_write_perm(rt, broker_name, true);
}

int rmq_route_table_add_write_perm(rmq_route_table_t *rt, const char *broker_name)
{
    return change_write_perm(rt, broker_name, false);
}

void rmq_route_table_delete_topic(rmq_route_table_t *rt, const char *topic, const char *cluster)
{
    rmq_map_t *qmap = rmq_smap_get(rt->topics, topic);
    if (!qmap)
        return;
    if (cluster && *cluster) {
        rmq_map_t *names = rmq_smap_get(rt->clusters, cluster);
        rmq_map_iter_t it;
        const char *bname;
        rmq_map_iter_init(&it, names ? names : qmap);
        while (names && rmq_map_iter_next(&it, &bname, NULL, NULL)) {
            rmq_queue_data_t *qd = rmq_smap_del(qmap, bname);
            if (qd)
                free_queue_data(qd);
        }
        if (rmq_map_size(qmap) > 0) {
            rt->version++;
            return;
        }
    }
    free_queue_map(rmq_smap_del(rt->topics, topic));
    rt->version++;
}
