/* TopicPublishInfo (protocol.md 9.4, 9.5): the producer's write queues of a
 * topic, built from the route (MQClientInstance.topicRouteData2TopicPublishInfo),
 * and queue selection (TopicPublishInfo.selectOneMessageQueue and 4.9.8
 * MQFaultStrategy.selectOneMessageQueue). */
#include "client/publish_info.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"

/* Not in Java: a route asking for more write queues than this (a broken or
 * hostile name server) would otherwise make the client allocate until it
 * aborts.  Real topics have a few dozen queues per broker. */
#define PUBLISH_MAX_QUEUES 65536

typedef struct qd_item {
    rmq_queue_data_t qd;
    size_t seq;
} qd_item_t;

/* QueueData.compareTo (broker name), made stable like Collections.sort. */
static int qd_item_cmp(const void *x, const void *y)
{
    const qd_item_t *a = x, *b = y;
    const char *an = a->qd.broker_name ? a->qd.broker_name : "";
    const char *bn = b->qd.broker_name ? b->qd.broker_name : "";
    int c = strcmp(an, bn);
    if (c != 0)
        return c;
    return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

static void sort_queue_datas(rmq_topic_route_t *r)
{
    size_t n = r->nqueue_datas;
    if (n < 2)
        return;
    qd_item_t *v = rmq_malloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        v[i].qd = r->queue_datas[i];
        v[i].seq = i;
    }
    qsort(v, n, sizeof(*v), qd_item_cmp);
    for (size_t i = 0; i < n; i++)
        r->queue_datas[i] = v[i].qd;
    free(v);
}

static void add_queues(rmq_publish_info_t *pi, size_t *cap, const char *topic, const char *broker,
                       int64_t nums)
{
    if (strlen(broker) > ROCKETMQ_BROKER_NAME_MAX)
        return;
    for (int64_t i = 0; i < nums && pi->nmqs < PUBLISH_MAX_QUEUES; i++) {
        if (pi->nmqs == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            pi->mqs = rmq_realloc(pi->mqs, *cap * sizeof(*pi->mqs));
        }
        rocketmq_message_queue_t *mq = &pi->mqs[pi->nmqs++];
        memset(mq, 0, sizeof(*mq));
        strcpy(mq->topic, topic);
        strcpy(mq->broker_name, broker);
        mq->queue_id = (int)i;
    }
}

/* orderTopicConf "brokerA:4;brokerB:8".  Java splits on ';' (dropping
 * trailing empty items) and each item on ':', then Integer.parseInt(item[1]);
 * an item Java would throw on (no ':', not a number) is skipped here. */
static void add_order_conf_queues(rmq_publish_info_t *pi, size_t *cap, const char *topic,
                                  const char *conf)
{
    char *copy = rmq_strdup(conf);
    char *item = copy;
    while (item) {
        char *next = strchr(item, ';');
        if (next)
            *next++ = '\0';
        char *colon = strchr(item, ':');
        if (colon) {
            *colon = '\0';
            char *num = colon + 1;
            char *end = strchr(num, ':'); /* "a:4:x" reads as "a:4" */
            if (end)
                *end = '\0';
            int64_t n;
            if (rmq_parse_i64(num, &n) == 0 && n >= INT32_MIN && n <= INT32_MAX)
                add_queues(pi, cap, topic, item, n);
        }
        item = next;
    }
    free(copy);
}

static const rmq_broker_data_t *find_broker(const rmq_topic_route_t *r, const char *name)
{
    for (size_t i = 0; i < r->nbroker_datas; i++) {
        const char *bn = r->broker_datas[i].broker_name;
        if (bn && strcmp(bn, name) == 0)
            return &r->broker_datas[i];
    }
    return NULL;
}

rmq_publish_info_t *rmq_publish_info_new(const char *topic, const rmq_topic_route_t *route)
{
    if (!topic || !route)
        return NULL;
    rmq_publish_info_t *pi = rmq_calloc(1, sizeof(*pi));
    atomic_init(&pi->refs, 1);
    rmq_topic_route_copy(&pi->route, route);
    size_t cap = 0;
    bool topic_ok = strlen(topic) <= ROCKETMQ_TOPIC_MAX;

    const char *conf = pi->route.order_topic_conf;
    if (conf && conf[0]) {
        if (topic_ok)
            add_order_conf_queues(pi, &cap, topic, conf);
        pi->order_topic = true;
        return pi;
    }
    /* Java sorts the route's own list, the one getQueueIdByBroker reads. */
    sort_queue_datas(&pi->route);
    for (size_t i = 0; topic_ok && i < pi->route.nqueue_datas; i++) {
        const rmq_queue_data_t *qd = &pi->route.queue_datas[i];
        if (!(qd->perm & RMQ_PERM_WRITE) || !qd->broker_name)
            continue;
        const rmq_broker_data_t *bd = find_broker(&pi->route, qd->broker_name);
        if (!bd || !rmq_broker_data_get_addr(bd, 0))
            continue; /* no broker data, or no master */
        add_queues(pi, &cap, topic, qd->broker_name, qd->write_queue_nums);
    }
    return pi;
}

void rmq_publish_info_ref(rmq_publish_info_t *pi)
{
    if (pi)
        atomic_fetch_add_explicit(&pi->refs, 1, memory_order_relaxed);
}

void rmq_publish_info_unref(rmq_publish_info_t *pi)
{
    if (!pi || atomic_fetch_sub_explicit(&pi->refs, 1, memory_order_acq_rel) != 1)
        return;
    rmq_topic_route_free(&pi->route);
    free(pi->mqs);
    free(pi);
}

int rmq_publish_info_write_queue_nums(const rmq_publish_info_t *pi, const char *broker)
{
    if (!pi || !broker)
        return -1;
    for (size_t i = 0; i < pi->route.nqueue_datas; i++) {
        const rmq_queue_data_t *qd = &pi->route.queue_datas[i];
        if ((qd->perm & RMQ_PERM_WRITE) && qd->broker_name && strcmp(qd->broker_name, broker) == 0)
            return qd->write_queue_nums;
    }
    return -1;
}

/* Math.abs(v) % size with v a Java int, negative results (abs(MIN_VALUE))
 * mapped to 0 as Java's callers do.  v arrives as an index plus a loop count,
 * which Java lets overflow. */
static size_t java_pos(int64_t v, size_t size)
{
    if (v > INT32_MAX)
        v -= (int64_t)1 << 32;
    if (v == INT32_MIN)
        return 0;
    if (v < 0)
        v = -v;
    return (size_t)v % size;
}

static size_t next_pos(size_t size)
{
    return java_pos(rmq_thread_index_next(), size);
}

void rmq_select_queue(const rmq_publish_info_t *pi, const char *last_broker,
                      rocketmq_message_queue_t *out)
{
    if (pi->nmqs == 0) {
        memset(out, 0, sizeof(*out));
        return;
    }
    if (last_broker) {
        for (size_t i = 0; i < pi->nmqs; i++) {
            const rocketmq_message_queue_t *mq = &pi->mqs[next_pos(pi->nmqs)];
            if (strcmp(mq->broker_name, last_broker) != 0) {
                *out = *mq;
                return;
            }
        }
    }
    *out = pi->mqs[next_pos(pi->nmqs)];
}

/* 4.9.8 ignores last_broker here (older versions had a check that preferred
 * it, removed as wrong); the fault table is what steers retries away. */
void rmq_select_queue_fault(const rmq_publish_info_t *pi, rmq_fault_t *f, const char *last_broker,
                            int64_t now_ms, rocketmq_message_queue_t *out)
{
    if (!f) {
        rmq_select_queue(pi, last_broker, out);
        return;
    }
    size_t n = pi->nmqs;
    if (n == 0) {
        memset(out, 0, sizeof(*out));
        return;
    }
    int64_t index = rmq_thread_index_next();
    for (size_t i = 0; i < n; i++) {
        const rocketmq_message_queue_t *mq = &pi->mqs[java_pos(index + (int64_t)i, n)];
        if (rmq_fault_available(f, mq->broker_name, now_ms)) {
            *out = *mq;
            return;
        }
    }

    char best[ROCKETMQ_BROKER_NAME_MAX + 1];
    /* An empty table gives Java a null broker, whose remove() throws and
     * lands in the round robin below: the same as skipping this block. */
    if (rmq_fault_pick_one_at_least(f, now_ms, best, sizeof(best))) {
        int wq = rmq_publish_info_write_queue_nums(pi, best);
        if (wq > 0) {
            /* A new queue: the topic of a round-robin pick, the chosen broker
             * and a queue id below its write queue count. */
            *out = pi->mqs[next_pos(n)];
            strcpy(out->broker_name, best);
            out->queue_id = rmq_thread_index_next() % wq;
            return;
        }
        rmq_fault_remove(f, best);
    }
    *out = pi->mqs[next_pos(n)];
}
