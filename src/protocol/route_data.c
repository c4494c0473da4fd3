/* QueueData, BrokerData and TopicRouteData (protocol.md 5.2): the answer to
 * GET_ROUTEINFO_BY_TOPIC, and BrokerData is reused by ClusterInfo. */
#include "protocol/bodies.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "protocol/bodies_int.h"
#include "rocketmq/error.h"

/* ---- QueueData ---- */

static void queue_data_free(rmq_queue_data_t *q)
{
    free(q->broker_name);
    memset(q, 0, sizeof(*q));
}

static json_t *queue_data_to_json(const rmq_queue_data_t *q)
{
    json_t *j = json_object();
    if (q->broker_name)
        json_object_set_new(j, "brokerName", rmq_json_string(q->broker_name));
    json_object_set_new(j, "perm", json_integer(q->perm));
    json_object_set_new(j, "readQueueNums", json_integer(q->read_queue_nums));
    json_object_set_new(j, "topicSysFlag", json_integer(q->topic_sys_flag));
    json_object_set_new(j, "writeQueueNums", json_integer(q->write_queue_nums));
    return j;
}

static int queue_data_from_json(const json_t *j, rmq_queue_data_t *q, const char *ctx, char *err,
                                size_t errlen)
{
    memset(q, 0, sizeof(*q));
    if (!json_is_object(j))
        return rmq_body_err(err, errlen, "%s: expected an object, got %s", ctx,
                            rmq_json_type_name(j));
    int rc;
    if ((rc = rmq_json_get_str(j, "brokerName", &q->broker_name, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_i32(j, "readQueueNums", 0, &q->read_queue_nums, ctx, err, errlen))
               != 0
        || (rc = rmq_json_get_i32(j, "writeQueueNums", 0, &q->write_queue_nums, ctx, err,
                                  errlen)) != 0
        || (rc = rmq_json_get_i32(j, "perm", 0, &q->perm, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_i32(j, "topicSysFlag", 0, &q->topic_sys_flag, ctx, err, errlen))
               != 0)
        return rc;
    return 0;
}

/* ---- BrokerData ---- */

void rmq_broker_data_free(rmq_broker_data_t *bd)
{
    if (!bd)
        return;
    free(bd->cluster);
    free(bd->broker_name);
    for (size_t i = 0; i < bd->naddrs; i++)
        free(bd->addrs[i].addr);
    free(bd->addrs);
    memset(bd, 0, sizeof(*bd));
}

void rmq_broker_data_copy(rmq_broker_data_t *dst, const rmq_broker_data_t *src)
{
    dst->cluster = src->cluster ? rmq_strdup(src->cluster) : NULL;
    dst->broker_name = src->broker_name ? rmq_strdup(src->broker_name) : NULL;
    dst->naddrs = src->naddrs;
    dst->addrs = NULL;
    if (src->naddrs) {
        dst->addrs = rmq_calloc(src->naddrs, sizeof(*dst->addrs));
        for (size_t i = 0; i < src->naddrs; i++) {
            dst->addrs[i].broker_id = src->addrs[i].broker_id;
            dst->addrs[i].addr = rmq_strdup(src->addrs[i].addr);
        }
    }
}

/* Index of the first entry with broker_id >= id. */
static size_t addr_lower_bound(const rmq_broker_data_t *bd, int64_t id)
{
    size_t lo = 0, hi = bd->naddrs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bd->addrs[mid].broker_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void rmq_broker_data_set_addr(rmq_broker_data_t *bd, int64_t broker_id, const char *addr)
{
    size_t i = addr_lower_bound(bd, broker_id);
    bool found = i < bd->naddrs && bd->addrs[i].broker_id == broker_id;
    if (found) {
        if (addr) {
            /* Copy first: addr may be the very string being replaced. */
            char *copy = rmq_strdup(addr);
            free(bd->addrs[i].addr);
            bd->addrs[i].addr = copy;
        } else {
            free(bd->addrs[i].addr);
            memmove(&bd->addrs[i], &bd->addrs[i + 1], (bd->naddrs - i - 1) * sizeof(*bd->addrs));
            bd->naddrs--;
        }
        return;
    }
    if (!addr)
        return;
    bd->addrs = rmq_realloc(bd->addrs, (bd->naddrs + 1) * sizeof(*bd->addrs));
    memmove(&bd->addrs[i + 1], &bd->addrs[i], (bd->naddrs - i) * sizeof(*bd->addrs));
    bd->addrs[i].broker_id = broker_id;
    bd->addrs[i].addr = rmq_strdup(addr);
    bd->naddrs++;
}

const char *rmq_broker_data_get_addr(const rmq_broker_data_t *bd, int64_t broker_id)
{
    size_t i = addr_lower_bound(bd, broker_id);
    if (i < bd->naddrs && bd->addrs[i].broker_id == broker_id)
        return bd->addrs[i].addr;
    return NULL;
}

json_t *rmq_broker_data_to_json(const rmq_broker_data_t *bd)
{
    json_t *addrs = json_object();
    for (size_t i = 0; i < bd->naddrs; i++) {
        char key[24];
        snprintf(key, sizeof(key), "%" PRId64, bd->addrs[i].broker_id);
        if (bd->addrs[i].addr)
            json_object_set_new(addrs, key, rmq_json_string(bd->addrs[i].addr));
    }
    json_t *j = json_object();
    json_object_set_new(j, "brokerAddrs", addrs);
    if (bd->broker_name)
        json_object_set_new(j, "brokerName", rmq_json_string(bd->broker_name));
    if (bd->cluster)
        json_object_set_new(j, "cluster", rmq_json_string(bd->cluster));
    return j;
}

typedef struct addr_item {
    rmq_broker_addr_t a;
    size_t seq;
} addr_item_t;

static int addr_item_cmp(const void *x, const void *y)
{
    const addr_item_t *p = x, *q = y;
    if (p->a.broker_id != q->a.broker_id)
        return p->a.broker_id < q->a.broker_id ? -1 : 1;
    return p->seq < q->seq ? -1 : (p->seq > q->seq);
}

/* brokerAddrs keys arrive as "0" or (after rmq_json_loads) from bare 0 alike.
 * Sorting once and keeping the last of equal ids ("0" vs "00") matches a
 * Java HashMap fed in document order, without quadratic inserts. */
static int broker_addrs_from_json(const json_t *obj, rmq_broker_data_t *bd, const char *ctx,
                                  char *err, size_t errlen)
{
    size_t n = json_object_size(obj);
    if (n == 0)
        return 0;
    addr_item_t *items = rmq_calloc(n, sizeof(*items));
    size_t k = 0;
    int rc = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        int64_t id;
        if (rmq_parse_i64(key, &id) != 0) {
            rc = rmq_body_err(err, errlen, "%s.brokerAddrs: key \"%.32s\" is not a broker id",
                              ctx, key);
            break;
        }
        if (json_is_null(v))
            continue;
        char *addr = rmq_json_value_strdup(v);
        if (!addr) {
            rc = rmq_body_err(err, errlen, "%s.brokerAddrs[%s]: expected a string, got %s", ctx,
                              key, rmq_json_type_name(v));
            break;
        }
        items[k].a.broker_id = id;
        items[k].a.addr = addr;
        items[k].seq = k;
        k++;
    }
    if (rc != 0) {
        for (size_t i = 0; i < k; i++)
            free(items[i].a.addr);
        free(items);
        return rc;
    }
    qsort(items, k, sizeof(*items), addr_item_cmp);
    bd->addrs = k ? rmq_calloc(k, sizeof(*bd->addrs)) : NULL;
    for (size_t i = 0; i < k; i++) {
        if (i + 1 < k && items[i + 1].a.broker_id == items[i].a.broker_id) {
            free(items[i].a.addr);
            continue;
        }
        bd->addrs[bd->naddrs++] = items[i].a;
    }
    free(items);
    return 0;
}

static int broker_data_fill(const json_t *j, rmq_broker_data_t *bd, const char *ctx, char *err,
                            size_t errlen)
{
    if (!json_is_object(j))
        return rmq_body_err(err, errlen, "%s: expected an object, got %s", ctx,
                            j ? rmq_json_type_name(j) : "nothing");
    json_t *addrs;
    int rc;
    if ((rc = rmq_json_get_str(j, "cluster", &bd->cluster, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_str(j, "brokerName", &bd->broker_name, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_container(j, "brokerAddrs", JSON_OBJECT, &addrs, ctx, err, errlen))
               != 0)
        return rc;
    if (addrs)
        return broker_addrs_from_json(addrs, bd, ctx, err, errlen);
    return 0;
}

/* Internal variant with a context for messages (used by ClusterInfo too). */
int rmq_broker_data_from_json_ctx(const json_t *j, rmq_broker_data_t *bd, const char *ctx,
                                  char *err, size_t errlen)
{
    memset(bd, 0, sizeof(*bd));
    int rc = broker_data_fill(j, bd, ctx, err, errlen);
    if (rc != 0)
        rmq_broker_data_free(bd);
    return rc;
}

int rmq_broker_data_from_json(const json_t *j, rmq_broker_data_t *bd, char *err, size_t errlen)
{
    return rmq_broker_data_from_json_ctx(j, bd, "BrokerData", err, errlen);
}

/* ---- TopicRouteData ---- */

static void filter_list_free(char **list)
{
    if (!list)
        return;
    for (char **p = list; *p; p++)
        free(*p);
    free(list);
}

void rmq_topic_route_free(rmq_topic_route_t *r)
{
    if (!r)
        return;
    free(r->order_topic_conf);
    for (size_t i = 0; i < r->nqueue_datas; i++)
        queue_data_free(&r->queue_datas[i]);
    free(r->queue_datas);
    for (size_t i = 0; i < r->nbroker_datas; i++)
        rmq_broker_data_free(&r->broker_datas[i]);
    free(r->broker_datas);
    for (size_t i = 0; i < r->nfilter_servers; i++) {
        free(r->filter_server_addrs[i]);
        filter_list_free(r->filter_server_lists ? r->filter_server_lists[i] : NULL);
    }
    free(r->filter_server_addrs);
    free(r->filter_server_lists);
    memset(r, 0, sizeof(*r));
}

void rmq_topic_route_encode(const rmq_topic_route_t *r, rmq_buf_t *out)
{
    json_t *j = json_object();

    json_t *bds = json_array();
    for (size_t i = 0; i < r->nbroker_datas; i++)
        json_array_append_new(bds, rmq_broker_data_to_json(&r->broker_datas[i]));
    json_object_set_new(j, "brokerDatas", bds);

    json_t *fst = json_object();
    for (size_t i = 0; i < r->nfilter_servers; i++) {
        json_t *list = json_array();
        char **l = r->filter_server_lists ? r->filter_server_lists[i] : NULL;
        for (; l && *l; l++)
            json_array_append_new(list, rmq_json_string(*l));
        rmq_json_set(fst, r->filter_server_addrs[i] ? r->filter_server_addrs[i] : "", list);
    }
    json_object_set_new(j, "filterServerTable", fst);

    if (r->order_topic_conf)
        json_object_set_new(j, "orderTopicConf", rmq_json_string(r->order_topic_conf));

    json_t *qds = json_array();
    for (size_t i = 0; i < r->nqueue_datas; i++)
        json_array_append_new(qds, queue_data_to_json(&r->queue_datas[i]));
    json_object_set_new(j, "queueDatas", qds);

    rmq_json_dump_append(j, out);
    json_decref(j);
}

static int filter_table_from_json(const json_t *fst, rmq_topic_route_t *r, char *err,
                                  size_t errlen)
{
    size_t n = json_object_size(fst);
    if (n == 0)
        return 0;
    r->filter_server_addrs = rmq_calloc(n, sizeof(*r->filter_server_addrs));
    r->filter_server_lists = rmq_calloc(n, sizeof(*r->filter_server_lists));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)fst, key, v)
    {
        size_t i = r->nfilter_servers++;
        r->filter_server_addrs[i] = rmq_strdup(key);
        char **a = NULL;
        size_t na = 0;
        if (!json_is_array(v) && !json_is_null(v))
            return rmq_body_err(err, errlen,
                                "TopicRouteData.filterServerTable[%.64s]: expected an array, "
                                "got %s", key, rmq_json_type_name(v));
        int rc = rmq_json_str_array(v, &a, &na, "TopicRouteData.filterServerTable", err, errlen);
        if (rc != 0)
            return rc;
        /* Re-pack as the NULL-terminated list the struct promises. */
        char **list = rmq_calloc(na + 1, sizeof(*list));
        if (na)
            memcpy(list, a, na * sizeof(*list));
        free(a);
        r->filter_server_lists[i] = list;
    }
    return 0;
}

static int route_fill(const json_t *j, rmq_topic_route_t *r, char *err, size_t errlen)
{
    static const char ctx[] = "TopicRouteData";
    json_t *qds, *bds, *fst;
    int rc;
    if ((rc = rmq_json_get_str(j, "orderTopicConf", &r->order_topic_conf, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_container(j, "queueDatas", JSON_ARRAY, &qds, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_container(j, "brokerDatas", JSON_ARRAY, &bds, ctx, err, errlen))
               != 0
        || (rc = rmq_json_get_container(j, "filterServerTable", JSON_OBJECT, &fst, ctx, err,
                                        errlen)) != 0)
        return rc;

    size_t n = json_array_size(qds);
    if (n)
        r->queue_datas = rmq_calloc(n, sizeof(*r->queue_datas));
    for (size_t i = 0; i < n; i++) {
        char ictx[64];
        snprintf(ictx, sizeof(ictx), "%s.queueDatas[%zu]", ctx, i);
        rmq_queue_data_t *q = &r->queue_datas[r->nqueue_datas++];
        if ((rc = queue_data_from_json(json_array_get(qds, i), q, ictx, err, errlen)) != 0)
            return rc;
    }

    n = json_array_size(bds);
    if (n)
        r->broker_datas = rmq_calloc(n, sizeof(*r->broker_datas));
    for (size_t i = 0; i < n; i++) {
        char ictx[64];
        snprintf(ictx, sizeof(ictx), "%s.brokerDatas[%zu]", ctx, i);
        rmq_broker_data_t *bd = &r->broker_datas[r->nbroker_datas++];
        if ((rc = broker_data_fill(json_array_get(bds, i), bd, ictx, err, errlen)) != 0)
            return rc;
    }

    return filter_table_from_json(fst, r, err, errlen);
}

int rmq_topic_route_decode(const void *p, size_t n, rmq_topic_route_t *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    json_t *j = rmq_body_parse_object(p, n, "TopicRouteData", err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    int rc = route_fill(j, r, err, errlen);
    json_decref(j);
    if (rc != 0)
        rmq_topic_route_free(r);
    return rc;
}

/* ---- copy and comparison (MQClientInstance.topicRouteDataIsChange) ---- */

static char **filter_list_copy(char **list)
{
    if (!list)
        return NULL;
    size_t n = 0;
    while (list[n])
        n++;
    char **c = rmq_calloc(n + 1, sizeof(*c));
    for (size_t i = 0; i < n; i++)
        c[i] = rmq_strdup(list[i]);
    return c;
}

void rmq_topic_route_copy(rmq_topic_route_t *dst, const rmq_topic_route_t *src)
{
    memset(dst, 0, sizeof(*dst));
    if (src->order_topic_conf)
        dst->order_topic_conf = rmq_strdup(src->order_topic_conf);
    if (src->nqueue_datas) {
        dst->queue_datas = rmq_calloc(src->nqueue_datas, sizeof(*dst->queue_datas));
        for (size_t i = 0; i < src->nqueue_datas; i++) {
            dst->queue_datas[i] = src->queue_datas[i];
            if (src->queue_datas[i].broker_name)
                dst->queue_datas[i].broker_name = rmq_strdup(src->queue_datas[i].broker_name);
        }
        dst->nqueue_datas = src->nqueue_datas;
    }
    if (src->nbroker_datas) {
        dst->broker_datas = rmq_calloc(src->nbroker_datas, sizeof(*dst->broker_datas));
        for (size_t i = 0; i < src->nbroker_datas; i++)
            rmq_broker_data_copy(&dst->broker_datas[i], &src->broker_datas[i]);
        dst->nbroker_datas = src->nbroker_datas;
    }
    if (src->nfilter_servers) {
        size_t n = src->nfilter_servers;
        dst->filter_server_addrs = rmq_calloc(n, sizeof(*dst->filter_server_addrs));
        dst->filter_server_lists = rmq_calloc(n, sizeof(*dst->filter_server_lists));
        for (size_t i = 0; i < n; i++) {
            if (src->filter_server_addrs[i])
                dst->filter_server_addrs[i] = rmq_strdup(src->filter_server_addrs[i]);
            if (src->filter_server_lists)
                dst->filter_server_lists[i] = filter_list_copy(src->filter_server_lists[i]);
        }
        dst->nfilter_servers = n;
    }
}

/* strcmp with NULL first (Java would throw; a decoded route never has one). */
static int nstrcmp(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int i64cmp(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

/* Java sorts by broker name only, stably, and then compares the lists in
 * order.  Ordering by every compared field instead makes the result
 * independent of the input order even for repeated broker names. */
static int queue_data_cmp(const void *x, const void *y)
{
    const rmq_queue_data_t *a = *(const rmq_queue_data_t *const *)x;
    const rmq_queue_data_t *b = *(const rmq_queue_data_t *const *)y;
    int c = nstrcmp(a->broker_name, b->broker_name);
    if (c == 0)
        c = i64cmp(a->perm, b->perm);
    if (c == 0)
        c = i64cmp(a->read_queue_nums, b->read_queue_nums);
    if (c == 0)
        c = i64cmp(a->write_queue_nums, b->write_queue_nums);
    if (c == 0)
        c = i64cmp(a->topic_sys_flag, b->topic_sys_flag);
    return c;
}

/* BrokerData.equals: brokerName and brokerAddrs; the cluster is not part of
 * it.  addrs are kept sorted by id, so comparing them in order compares the
 * maps. */
static int broker_data_cmp(const void *x, const void *y)
{
    const rmq_broker_data_t *a = *(const rmq_broker_data_t *const *)x;
    const rmq_broker_data_t *b = *(const rmq_broker_data_t *const *)y;
    int c = nstrcmp(a->broker_name, b->broker_name);
    if (c == 0)
        c = i64cmp((int64_t)a->naddrs, (int64_t)b->naddrs);
    for (size_t i = 0; c == 0 && i < a->naddrs; i++) {
        c = i64cmp(a->addrs[i].broker_id, b->addrs[i].broker_id);
        if (c == 0)
            c = nstrcmp(a->addrs[i].addr, b->addrs[i].addr);
    }
    return c;
}

typedef struct filter_entry {
    const char *addr;
    char **list;
} filter_entry_t;

static int filter_entry_cmp(const void *x, const void *y)
{
    const filter_entry_t *a = x, *b = y;
    return nstrcmp(a->addr, b->addr);
}

/* List.equals, with a missing list the same as an empty one. */
static bool filter_list_equal(char **a, char **b)
{
    size_t i = 0;
    for (; a && b && a[i] && b[i]; i++) {
        if (strcmp(a[i], b[i]) != 0)
            return false;
    }
    bool a_end = !a || !a[i], b_end = !b || !b[i];
    return a_end && b_end;
}

static filter_entry_t *filter_entries_sorted(const rmq_topic_route_t *r)
{
    filter_entry_t *e = rmq_calloc(r->nfilter_servers, sizeof(*e));
    for (size_t i = 0; i < r->nfilter_servers; i++) {
        e[i].addr = r->filter_server_addrs[i];
        e[i].list = r->filter_server_lists ? r->filter_server_lists[i] : NULL;
    }
    qsort(e, r->nfilter_servers, sizeof(*e), filter_entry_cmp);
    return e;
}

static bool sorted_ptrs_equal(const void *abase, const void *bbase, size_t n, size_t size,
                              int (*cmp)(const void *, const void *))
{
    const void **a = rmq_calloc(n, sizeof(*a));
    const void **b = rmq_calloc(n, sizeof(*b));
    for (size_t i = 0; i < n; i++) {
        a[i] = (const char *)abase + i * size;
        b[i] = (const char *)bbase + i * size;
    }
    qsort(a, n, sizeof(*a), cmp);
    qsort(b, n, sizeof(*b), cmp);
    bool eq = true;
    for (size_t i = 0; eq && i < n; i++)
        eq = cmp(&a[i], &b[i]) == 0;
    free(a);
    free(b);
    return eq;
}

bool rmq_topic_route_equal(const rmq_topic_route_t *a, const rmq_topic_route_t *b)
{
    if (!a || !b)
        return a == b;
    if (nstrcmp(a->order_topic_conf, b->order_topic_conf) != 0
        || a->nqueue_datas != b->nqueue_datas || a->nbroker_datas != b->nbroker_datas
        || a->nfilter_servers != b->nfilter_servers)
        return false;
    if (!sorted_ptrs_equal(a->queue_datas, b->queue_datas, a->nqueue_datas,
                           sizeof(*a->queue_datas), queue_data_cmp)
        || !sorted_ptrs_equal(a->broker_datas, b->broker_datas, a->nbroker_datas,
                              sizeof(*a->broker_datas), broker_data_cmp))
        return false;
    if (a->nfilter_servers == 0)
        return true;
    filter_entry_t *fa = filter_entries_sorted(a);
    filter_entry_t *fb = filter_entries_sorted(b);
    bool eq = true;
    for (size_t i = 0; eq && i < a->nfilter_servers; i++)
        eq = nstrcmp(fa[i].addr, fb[i].addr) == 0 && filter_list_equal(fa[i].list, fb[i].list);
    free(fa);
    free(fb);
    return eq;
}
