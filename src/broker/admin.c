/* Admin and query requests (4.9.8 AdminBrokerProcessor, QueryMessageProcessor;
 * reference broker.md 15): topics, subscription groups, statistics, runtime
 * information, configuration, and message lookups by offset or key.  Codes
 * nobody else handles end up here and are refused as Java refuses them. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "broker/broker_int.h"
#include "protocol/codes.h"
#include "protocol/heartbeat.h"
#include "rocketmq/error.h"
#include "store/index.h"

#define MOD "broker"
/* MessageStoreConfig.defaultQueryMaxNum: the maxNum of unique-key queries. */
#define DEFAULT_QUERY_MAX_NUM 32
/* MixAll.UNIQUE_MSG_QUERY_FLAG */
#define UNIQUE_QUERY_FLAG "_UNIQUE_KEY_QUERY"
/* TopicValidator.TOPIC_MAX_LENGTH */
#define TOPIC_MAX_LENGTH 127

static void reply_body(rmq_conn_t *conn, const rmq_cmd_t *req, rmq_buf_t *body)
{
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    rmq_cmd_take_body(resp, body);
    rmq_conn_reply(conn, req, resp);
}

static void reply_fmt(rmq_conn_t *conn, const rmq_cmd_t *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reply_fmt(rmq_conn_t *conn, const rmq_cmd_t *req, int code, const char *fmt, ...)
{
    char remark[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(remark, sizeof(remark), fmt, ap);
    va_end(ap);
    rmq_broker_reply(conn, req, code, remark);
}

/* AdminBrokerProcessor.validateSlave: a slave's tables mirror its master's.
 * Java asks brokerRole; a non-zero brokerId is what makes a slave here. */
static bool refuse_on_slave(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    if (b->cfg.brokerId == 0)
        return false;
    rmq_broker_reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR,
                     "Can't modify topic or subscription group from slave broker, please execute "
                     "it from master broker.");
    return true;
}

/* TopicValidator.validateTopic. */
static bool valid_topic(rmq_conn_t *conn, const rmq_cmd_t *req, const char *topic)
{
    bool blank = true;
    for (const char *p = topic; *p; p++) {
        if ((unsigned char)*p > ' ') {
            blank = false;
            break;
        }
    }
    if (blank) {
        rmq_broker_reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, "The specified topic is blank.");
        return false;
    }
    for (const char *p = topic; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '%' || c == '|' || c == '_' || c == '-')) {
            rmq_broker_reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR,
                             "The specified topic contains illegal characters, allowing only "
                             "^[%|a-zA-Z0-9_-]+$");
            return false;
        }
    }
    if (strlen(topic) > TOPIC_MAX_LENGTH) {
        rmq_broker_reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR,
                         "The specified topic is longer than topic max length.");
        return false;
    }
    return true;
}

/* TopicValidator.isSystemTopic: the built-in system topics, the cluster and
 * broker name topics the broker adds, and the rmq_sys_ prefix. */
static bool system_topic(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req,
                         const char *topic)
{
    static const char *const names[] = {
        RMQ_TOPIC_TBW102,         RMQ_TOPIC_SCHEDULE,          "BenchmarkTest",
        "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRACE_TOPIC",     "RMQ_SYS_TRANS_OP_HALF_TOPIC",
        "TRANS_CHECK_MAX_TIME_TOPIC", "SELF_TEST_TOPIC",       "OFFSET_MOVED_EVENT",
    };
    bool sys = strncmp(topic, "rmq_sys_", 8) == 0 || strcmp(topic, b->cfg.brokerClusterName) == 0 ||
               strcmp(topic, b->cfg.brokerName) == 0;
    for (size_t i = 0; !sys && i < sizeof(names) / sizeof(names[0]); i++)
        sys = strcmp(topic, names[i]) == 0;
    if (sys)
        reply_fmt(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR,
                  "The topic[%s] is conflict with system topic.", topic);
    return sys;
}

/* ---- VIEW_MESSAGE_BY_ID (33) ---- */

static void view_message(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_view_message_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_view_message_req_desc, &h))
        return;
    rmq_buf_t body = RMQ_BUF_INIT;
    if (h.offset < 0 || rmq_store_read_at(b->store, h.offset, &body) != 0) {
        rmq_buf_free(&body);
        reply_fmt(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR,
                  "can not find message by the offset, %" PRId64, h.offset);
        return;
    }
    reply_body(conn, req, &body);
}

/* ---- QUERY_MESSAGE (12) ---- */

static bool token_in(const char *list, size_t len, const char *key)
{
    size_t klen = strlen(key);
    /* KEYS.split(" "), as the index was built. */
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && list[j] != ' ')
            j++;
        if (j - i == klen && memcmp(list + i, key, klen) == 0)
            return true;
        i = j + 1;
    }
    return false;
}

/* The index compares hashes only; this is the comparison Java's client makes
 * (ClientMQAdmin: KEYS words, or UNIQ_KEY for a query by message id). */
static bool record_matches(const rmq_record_t *r, const char *topic, const char *key, bool unique)
{
    if ((size_t)r->topic_len != strlen(topic) || memcmp(r->topic, topic, r->topic_len) != 0)
        return false;
    const char *v;
    size_t vlen;
    if (unique)
        return rmq_props_find(r->properties, (size_t)r->properties_len, "UNIQ_KEY", &v, &vlen) &&
               vlen == strlen(key) && memcmp(v, key, vlen) == 0;
    return rmq_props_find(r->properties, (size_t)r->properties_len, "KEYS", &v, &vlen) &&
           token_in(v, vlen, key);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void query_message(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_query_message_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_query_message_req_desc, &h))
        return;
    const char *flag = rmq_ext_get(&req->ext, UNIQUE_QUERY_FLAG);
    bool unique = flag && strcmp(flag, "true") == 0;
    int max = unique ? DEFAULT_QUERY_MAX_NUM : h.maxNum;
    if (max > RMQ_INDEX_QUERY_MAX)
        max = RMQ_INDEX_QUERY_MAX;
    int64_t offsets[RMQ_INDEX_QUERY_MAX];
    rmq_buf_t body = RMQ_BUF_INIT, rec = RMQ_BUF_INIT;
    int64_t end = h.endTimestamp;
    /* DefaultMessageStore.queryMessage: up to three rounds, each ending at the
     * store time of the oldest candidate of the previous one, so that hash
     * collisions crowding the newest entries do not hide older matches. */
    for (int round = 0; round < 3 && body.len == 0; round++) {
        int n = rmq_store_query_by_key(b->store, h.topic, h.key, max, h.beginTimestamp, end,
                                       offsets);
        if (n <= 0)
            break;
        qsort(offsets, (size_t)n, sizeof(offsets[0]), cmp_i64);
        int64_t oldest = -1;
        for (int m = 0; m < n; m++) {
            if (m > 0 && offsets[m] == offsets[m - 1])
                continue; /* a key listed twice in KEYS is indexed twice */
            rec.len = 0;
            rmq_record_t r;
            if (rmq_store_read_at(b->store, offsets[m], &rec) != 0 ||
                rmq_record_parse(rec.data, rec.len, false, &r) != RMQ_RECORD_OK)
                continue;
            if (oldest < 0)
                oldest = r.store_timestamp;
            if (record_matches(&r, h.topic, h.key, unique))
                rmq_buf_append(&body, rec.data, rec.len);
        }
        if (oldest < 0 || oldest < h.beginTimestamp)
            break;
        end = oldest;
    }
    rmq_buf_free(&rec);
    if (body.len == 0) {
        rmq_broker_reply(conn, req, ROCKETMQ_ERR_QUERY_NOT_FOUND,
                         "can not find message, maybe time range not correct");
        return;
    }
    /* Java reports the newest index file's end; the store does not expose
     * it, so this is the position indexed so far, as of now. */
    rmq_query_message_resp_t rh = {
        .indexLastUpdateTimestamp = rmq_now_ms(),
        .indexLastUpdatePhyoffset = rmq_store_commitlog_max_offset(b->store) -
                                    rmq_store_dispatch_behind(b->store),
    };
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    rmq_header_encode(&rmq_query_message_resp_desc, &rh, &resp->ext);
    rmq_cmd_take_body(resp, &body);
    rmq_conn_reply(conn, req, resp);
}

/* ---- topics (17, 215, 21, 202) ---- */

static void update_topic(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    if (refuse_on_slave(b, conn, req))
        return;
    rmq_create_topic_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_create_topic_req_desc, &h))
        return;
    if (!valid_topic(conn, req, h.topic) || system_topic(b, conn, req, h.topic))
        return;
    /* getTopicFilterTypeEnum: TopicFilterType.valueOf */
    if (strcmp(h.topicFilterType, "SINGLE_TAG") != 0 &&
        strcmp(h.topicFilterType, "MULTI_TAG") != 0) {
        reply_fmt(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR,
                  "No enum constant org.apache.rocketmq.common.TopicFilterType.%s",
                  h.topicFilterType);
        return;
    }
    rmq_topic_config_t tc;
    rmq_topic_config_init(&tc, h.topic);
    tc.read_queue_nums = h.readQueueNums;
    tc.write_queue_nums = h.writeQueueNums;
    tc.perm = h.perm;
    free(tc.topic_filter_type);
    tc.topic_filter_type = rmq_strdup(h.topicFilterType);
    tc.topic_sys_flag = h.has_topicSysFlag ? h.topicSysFlag : 0;
    /* Java ignores the header's order flag here: order topics come from the
     * name server's ORDER_TOPIC_CONFIG. */
    int rc = rmq_topic_mgr_update(b->topics, &tc);
    rmq_topic_config_free(&tc);
    if (rc != 0)
        RMQ_LOGE(MOD, "topic %s updated but not persisted: %d", h.topic, rc);
    rmq_broker_register_all(b, true);
    rmq_broker_reply(conn, req, ROCKETMQ_ERR_SUCCESS, NULL);
}

static void delete_topic(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    if (refuse_on_slave(b, conn, req))
        return;
    rmq_topic_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_delete_topic_req_desc, &h))
        return;
    if (!valid_topic(conn, req, h.topic) || system_topic(b, conn, req, h.topic))
        return;
    /* The consume queues go (cleanUnusedTopic); consumer offsets are kept,
     * as in Java. */
    if (rmq_topic_mgr_delete(b->topics, h.topic) != 0)
        RMQ_LOGE(MOD, "topic %s deleted but not persisted", h.topic);
    rmq_store_delete_topic(b->store, h.topic);
    rmq_broker_reply(conn, req, ROCKETMQ_ERR_SUCCESS, NULL);
}

static void get_all_topic_config(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_register_broker_body_t snap;
    memset(&snap, 0, sizeof(snap));
    rmq_topic_mgr_snapshot(b->topics, &snap);
    if (snap.ntopics == 0) {
        rmq_register_broker_body_free(&snap);
        rmq_broker_reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, "No topic in this broker");
        return;
    }
    rmq_buf_t body = RMQ_BUF_INIT;
    rmq_topic_config_wrapper_encode(&snap, &body);
    rmq_register_broker_body_free(&snap);
    reply_body(conn, req, &body);
}

static void set_mq(rmq_message_queue_t *mq, const char *topic, const char *broker, int32_t qid)
{
    mq->topic = rmq_strdup(topic);
    mq->broker_name = rmq_strdup(broker);
    mq->queue_id = qid;
}

static void get_topic_stats(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_topic_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_get_topic_stats_req_desc, &h))
        return;
    const rmq_topic_config_t *tc = rmq_topic_mgr_get(b->topics, h.topic);
    if (!tc) {
        reply_fmt(conn, req, ROCKETMQ_ERR_TOPIC_NOT_EXIST, "topic[%s] not exist", h.topic);
        return;
    }
    rmq_topic_stats_t ts = {NULL, 0};
    size_t nq = tc->write_queue_nums > 0 ? (size_t)tc->write_queue_nums : 0;
    if (nq > 0)
        ts.entries = rmq_calloc(nq, sizeof(*ts.entries));
    for (int32_t i = 0; (size_t)i < nq; i++) {
        rmq_topic_offset_t *e = &ts.entries[ts.n++];
        set_mq(&e->mq, h.topic, b->cfg.brokerName, i);
        int64_t min = rmq_store_min_offset(b->store, h.topic, i);
        int64_t max = rmq_store_max_offset(b->store, h.topic, i);
        e->min_offset = min < 0 ? 0 : min;
        e->max_offset = max < 0 ? 0 : max;
        e->last_update_timestamp =
            e->max_offset > 0 ? rmq_store_msg_store_time(b->store, h.topic, i, e->max_offset - 1)
                              : 0;
    }
    rmq_buf_t body = RMQ_BUF_INIT;
    rmq_topic_stats_encode(&ts, &body);
    rmq_topic_stats_free(&ts);
    reply_body(conn, req, &body);
}

/* ---- consumers (208, 203, 204) ---- */

typedef struct topic_set {
    char **topics;
    size_t n;
} topic_set_t;

static void topic_set_add(topic_set_t *s, const char *topic)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->topics[i], topic) == 0)
            return;
    s->topics = rmq_realloc(s->topics, (s->n + 1) * sizeof(*s->topics));
    s->topics[s->n++] = rmq_strdup(topic);
}

static void collect_topic(const char *topic, int32_t queue_id, int64_t offset, void *arg)
{
    (void)queue_id;
    (void)offset;
    topic_set_add(arg, topic);
}

static bool blank(const char *s)
{
    if (!s)
        return true;
    for (; *s; s++)
        if ((unsigned char)*s > ' ')
            return false;
    return true;
}

static void get_consume_stats(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_get_consume_stats_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_get_consume_stats_req_desc, &h))
        return;
    const char *group = h.consumerGroup;
    topic_set_t topics = {NULL, 0};
    if (blank(h.topic))
        rmq_offset_mgr_foreach_of_group(b->offsets, group, collect_topic, &topics);
    else
        topic_set_add(&topics, h.topic);
    rmq_consume_stats_t cs = {0.0, NULL, 0};
    size_t cap = 0;
    for (size_t t = 0; t < topics.n; t++) {
        const char *topic = topics.topics[t];
        const rmq_topic_config_t *tc = rmq_topic_mgr_get(b->topics, topic);
        if (!tc)
            continue;
        /* An online group that subscribes other topics is not reported on this one. */
        if (!rmq_client_mgr_find_subscription(b->clients, group, topic) &&
            rmq_client_mgr_subscription_count(b->clients, group) > 0)
            continue;
        int32_t nq = tc->read_queue_nums;
        for (int32_t i = 0; i < nq; i++) {
            if (cs.n == cap) {
                cap = cap ? cap * 2 : 16;
                cs.entries = rmq_realloc(cs.entries, cap * sizeof(*cs.entries));
            }
            rmq_offset_wrapper_t *e = &cs.entries[cs.n++];
            memset(e, 0, sizeof(*e));
            set_mq(&e->mq, topic, b->cfg.brokerName, i);
            int64_t bo = rmq_store_max_offset(b->store, topic, i);
            int64_t co = rmq_offset_mgr_query(b->offsets, group, topic, i);
            e->broker_offset = bo < 0 ? 0 : bo;
            e->consumer_offset = co < 0 ? 0 : co;
            if (e->consumer_offset - 1 >= 0) {
                int64_t ts =
                    rmq_store_msg_store_time(b->store, topic, i, e->consumer_offset - 1);
                if (ts > 0)
                    e->last_timestamp = ts;
            }
        }
    }
    for (size_t t = 0; t < topics.n; t++)
        free(topics.topics[t]);
    free(topics.topics);
    /* consumeTps needs the broker's statistics, which are not kept: 0.0. */
    rmq_buf_t body = RMQ_BUF_INIT;
    rmq_consume_stats_encode(&cs, &body);
    rmq_consume_stats_free(&cs);
    reply_body(conn, req, &body);
}

static void get_consumer_connections(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_consumer_group_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_get_consumer_connection_req_desc, &h))
        return;
    rmq_consumer_connection_t cc;
    if (!rmq_client_mgr_consumer_connection(b->clients, h.consumerGroup, &cc)) {
        reply_fmt(conn, req, ROCKETMQ_ERR_CONSUMER_NOT_ONLINE, "the consumer group[%s] not online",
                  h.consumerGroup);
        return;
    }
    rmq_buf_t body = RMQ_BUF_INIT;
    rmq_consumer_connection_encode(&cc, &body);
    rmq_consumer_connection_free(&cc);
    reply_body(conn, req, &body);
}

static void get_producer_connections(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_producer_group_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_get_producer_connection_req_desc, &h))
        return;
    rmq_producer_connection_t pc;
    if (!rmq_client_mgr_producer_connection(b->clients, h.producerGroup, &pc)) {
        reply_fmt(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, "the producer group[%s] not exist",
                  h.producerGroup);
        return;
    }
    rmq_buf_t body = RMQ_BUF_INIT;
    rmq_producer_connection_encode(&pc, &body);
    rmq_producer_connection_free(&pc);
    reply_body(conn, req, &body);
}

/* ---- subscription groups (200, 201, 207) ---- */

/* One SubscriptionGroupConfig: decoded as the only entry of a
 * subscriptionGroup.json table so that the file's reader (defaults, fastjson
 * tolerance) applies unchanged. */
static int decode_group(const rmq_cmd_t *req, rmq_subscription_group_t *out, char *err,
                        size_t errlen)
{
    if (req->body_len == 0) {
        snprintf(err, errlen, "SubscriptionGroupConfig: empty body");
        return ROCKETMQ_ERR__PROTOCOL;
    }
    rmq_buf_t w = RMQ_BUF_INIT;
    rmq_buf_append_str(&w, "{\"subscriptionGroupTable\":{\"\":");
    rmq_buf_append(&w, req->body, req->body_len);
    rmq_buf_append_str(&w, "\n}}");
    rmq_subscription_groups_t t;
    int rc = rmq_subscription_groups_decode(w.data, w.len, &t, err, errlen);
    rmq_buf_free(&w);
    if (rc != 0)
        return rc;
    if (t.ngroups != 1 || !t.groups[0].group_name || !t.groups[0].group_name[0]) {
        rmq_subscription_groups_free(&t);
        snprintf(err, errlen, "SubscriptionGroupConfig: groupName is missing");
        return ROCKETMQ_ERR__PROTOCOL;
    }
    *out = t.groups[0];
    t.groups[0].group_name = NULL;
    rmq_subscription_groups_free(&t);
    return 0;
}

static void update_group(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    if (refuse_on_slave(b, conn, req))
        return;
    rmq_subscription_group_t g;
    char err[256];
    if (decode_group(req, &g, err, sizeof(err)) != 0) {
        RMQ_LOGW(MOD, "bad subscription group from %s: %s", rmq_conn_peer(conn), err);
        rmq_broker_reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, err);
        return;
    }
    if (rmq_subgroup_mgr_update(b->groups, &g) != 0)
        RMQ_LOGE(MOD, "subscription group %s updated but not persisted", g.group_name);
    rmq_subscription_group_free(&g);
    rmq_broker_reply(conn, req, ROCKETMQ_ERR_SUCCESS, NULL);
}

static void get_all_groups(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_buf_t body = RMQ_BUF_INIT;
    rmq_subgroup_mgr_encode(b->groups, &body);
    reply_body(conn, req, &body);
}

static void delete_group(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    if (refuse_on_slave(b, conn, req))
        return;
    rmq_delete_subgroup_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_delete_subgroup_req_desc, &h))
        return;
    if (rmq_subgroup_mgr_delete(b->groups, h.groupName) != 0)
        RMQ_LOGE(MOD, "subscription group %s deleted but not persisted", h.groupName);
    if (h.removeOffset) {
        int n = rmq_offset_mgr_remove_group(b->offsets, h.groupName);
        RMQ_LOGI(MOD, "group %s deleted with the offsets of %d topics", h.groupName, n);
    }
    rmq_broker_reply(conn, req, ROCKETMQ_ERR_SUCCESS, NULL);
}

/* ---- GET_BROKER_RUNTIME_INFO (28) ---- */

static void kv_put(rmq_map_t *m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void kv_put(rmq_map_t *m, const char *key, const char *fmt, ...)
{
    rmq_buf_t v = RMQ_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    rmq_buf_vprintf(&v, fmt, ap);
    va_end(ap);
    free(rmq_smap_put(m, key, rmq_buf_cstr(&v)));
}

static void kv_put_double(rmq_map_t *m, const char *key, double d)
{
    rmq_buf_t v = RMQ_BUF_INIT;
    rmq_buf_append_java_double(&v, d);
    free(rmq_smap_put(m, key, rmq_buf_cstr(&v)));
}

/* MixAll.humanReadableByteCount(bytes, false). */
static void human_bytes(rmq_buf_t *out, int64_t bytes)
{
    if (bytes < 1024) {
        rmq_buf_printf(out, "%" PRId64 " B", bytes);
        return;
    }
    /* exp = floor(log1024(bytes)), without libm */
    int exp = 0;
    double unit = 1.0;
    while (exp < 6 && (double)bytes >= unit * 1024.0) {
        unit *= 1024.0;
        exp++;
    }
    rmq_buf_printf(out, "%.1f %ciB", (double)bytes / unit, "KMGTPE"[exp - 1]);
}

/* UtilAll.getDiskPartitionSpaceUsedPercent: used / (used + usable),
 * rounded up to a hundredth; -1 when the path does not exist. */
static double disk_used_ratio(const char *path)
{
    struct statvfs st;
    if (statvfs(path, &st) != 0)
        return -1;
    uint64_t total = (uint64_t)st.f_blocks * st.f_frsize;
    if (total == 0)
        return -1;
    uint64_t used = total - (uint64_t)st.f_bfree * st.f_frsize;
    uint64_t entire = used + (uint64_t)st.f_bavail * st.f_frsize;
    if (entire == 0)
        return -1;
    uint64_t pct = used * 100 / entire + (used * 100 % entire != 0);
    return (double)pct / 100.0;
}

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = rmq_malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* putTps, getFoundTps, getMissTps, getTotalTps, getTransferedTps. */
static void tps_entries(rmq_broker_t *b, rmq_map_t *m)
{
    static const char *const keys[RMQ_STATS_KINDS] = {"putTps", "getFoundTps", "getMissTps",
                                                      "getTotalTps", "getTransferedTps"};
    for (int k = 0; k < RMQ_STATS_KINDS; k++) {
        rmq_buf_t v = RMQ_BUF_INIT;
        rmq_broker_stats_tps(b->stats, (rmq_stats_kind_t)k, &v);
        free(rmq_smap_put(m, keys[k], rmq_buf_cstr(&v)));
    }
}

static void runtime_info(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    static const char *const zero_keys[] = {
        "msgPutTotalYesterdayMorning", "msgPutTotalTodayMorning",
        "msgGetTotalYesterdayMorning", "msgGetTotalTodayMorning",
        "sendThreadPoolQueueSize", "pullThreadPoolQueueSize", "queryThreadPoolQueueSize",
        "EndTransactionQueueSize",
        "sendThreadPoolQueueHeadWaitTimeMills", "pullThreadPoolQueueHeadWaitTimeMills",
        "queryThreadPoolQueueHeadWaitTimeMills", "startAcceptSendRequestTimeStamp",
        "getMessageEntireTimeMax", "dispatchMaxBuffer",
    };
    rmq_store_t *s = b->store;
    const rmq_store_config_t *sc = &b->cfg.store;
    rmq_map_t *m = rmq_map_new();

    /* The statistics rocketmq-c does not keep are reported as zero, in the
     * format of the real values, so that tools parsing them keep working. */
    for (size_t i = 0; i < sizeof(zero_keys) / sizeof(zero_keys[0]); i++)
        kv_put(m, zero_keys[i], "0");
    /* Totals since start: the store counts them (the "today" values of Java
     * restart at midnight; here they restart with the broker). */
    rmq_store_stats_t *stp = rmq_malloc(sizeof(*stp)), stats;
    rmq_store_get_stats(s, stp);
    stats = *stp;
    tps_entries(b, m);
    kv_put(m, "msgPutTotalTodayNow", "%" PRId64, stats.put_messages);
    kv_put(m, "msgGetTotalTodayNow", "%" PRId64, stats.get_found);
    kv_put(m, "putMessageTimesTotal", "%" PRId64, stats.put_times);
    kv_put(m, "putMessageSizeTotal", "%" PRId64, stats.put_bytes);
    kv_put(m, "putMessageFailedTimes", "%" PRId64, stats.put_failed);
    kv_put(m, "pageCacheLockTimeMills", "%" PRId64, stats.lock_ms);
    kv_put(m, "putMessageAverageSize", "%.1f",
           stats.put_messages ? (double)stats.put_bytes / (double)stats.put_messages : 0.0);
    kv_put(m, "putMessageEntireTimeMax", "%" PRId64, stats.put_max_ms);
    double p99, p999;
    rmq_buf_t dist = RMQ_BUF_INIT;
    rmq_broker_stats_latency(b->stats, stp, &dist, &p99, &p999);
    free(stp);
    kv_put(m, "putLatency99", "%.2f", p99);
    kv_put(m, "putLatency999", "%.2f", p999);
    free(rmq_smap_put(m, "putMessageDistributeTime", rmq_buf_cstr(&dist)));

    /* BrokerConfig defaults of the thread pool queues Java reports. */
    kv_put(m, "sendThreadPoolQueueCapacity", "10000");
    kv_put(m, "pullThreadPoolQueueCapacity", "100000");
    kv_put(m, "queryThreadPoolQueueCapacity", "20000");
    kv_put(m, "EndTransactionThreadPoolQueueCapacity", "100000");
    kv_put(m, "remainTransientStoreBufferNumbs", "2147483647"); /* pool disabled */
    kv_put(m, "remainHowManyDataToFlush", "0 B");

    kv_put(m, "brokerVersionDesc", "V4_9_8");
    kv_put(m, "brokerVersion", "%d", RMQ_VERSION_CURRENT);
    int64_t min_off = rmq_store_commitlog_min_offset(s);
    int64_t max_off = rmq_store_commitlog_max_offset(s);
    kv_put(m, "commitLogMinOffset", "%" PRId64, min_off);
    kv_put(m, "commitLogMaxOffset", "%" PRId64, max_off);
    kv_put(m, "dispatchBehindBytes", "%" PRId64, rmq_store_dispatch_behind(s));
    kv_put(m, "bootTimestamp", "%" PRId64, b->start_ms);
    int64_t up = rmq_now_ms() - b->start_ms;
    if (up < 0)
        up = 0;
    kv_put(m, "runtime", "[ %" PRId64 " days, %" PRId64 " hours, %" PRId64 " minutes, %" PRId64
                         " seconds ]",
           up / 86400000, up % 86400000 / 3600000, up % 3600000 / 60000, up % 60000 / 1000);

    /* getEarliestMessageTime: store time of the first record of the commit log. */
    int64_t earliest = -1;
    rmq_buf_t rec = RMQ_BUF_INIT;
    rmq_record_t r;
    if (max_off > min_off && rmq_store_read_at(s, min_off, &rec) == 0 &&
        rmq_record_parse(rec.data, rec.len, false, &r) == RMQ_RECORD_OK)
        earliest = r.store_timestamp;
    rmq_buf_free(&rec);
    kv_put(m, "earliestMessageTimeStamp", "%" PRId64, earliest);

    char *cl_path = sc->storePathCommitLog && sc->storePathCommitLog[0]
                        ? rmq_strdup(sc->storePathCommitLog)
                        : path_join(sc->storePathRootDir, "commitlog");
    char *cq_path = path_join(sc->storePathRootDir, "consumequeue");
    double cl_ratio = disk_used_ratio(cl_path);
    rmq_buf_t kb = RMQ_BUF_INIT;
    rmq_buf_printf(&kb, "commitLogDiskRatio_%s", cl_path);
    kv_put_double(m, rmq_buf_cstr(&kb), cl_ratio);
    rmq_buf_free(&kb);
    kv_put_double(m, "commitLogDiskRatio", cl_ratio);
    kv_put_double(m, "consumeQueueDiskRatio", disk_used_ratio(cq_path));
    free(cl_path);
    free(cq_path);

    struct statvfs st;
    if (statvfs(sc->storePathRootDir, &st) == 0) {
        rmq_buf_t cap = RMQ_BUF_INIT;
        rmq_buf_append_str(&cap, "Total : ");
        human_bytes(&cap, (int64_t)((uint64_t)st.f_blocks * st.f_frsize));
        rmq_buf_append_str(&cap, ", Free : ");
        human_bytes(&cap, (int64_t)((uint64_t)st.f_bfree * st.f_frsize));
        rmq_buf_append_str(&cap, ".");
        free(rmq_smap_put(m, "commitLogDirCapacity", rmq_buf_cstr(&cap)));
    }

    rmq_buf_t body = RMQ_BUF_INIT;
    rmq_kv_table_encode(m, &body);
    rmq_map_free(m, free);
    reply_body(conn, req, &body);
}

/* ---- GET_BROKER_CONFIG (26) ---- */

static void get_broker_config(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        rmq_broker_reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, "out of memory");
        return;
    }
    rmq_broker_config_print(&b->cfg, f);
    fclose(f);
    /* Configuration's DataVersion: made at boot, bumped by config updates,
     * which this broker does not take. */
    rmq_data_version_t dv = {.timestamp = b->start_ms, .counter = 0, .state_version = 0};
    rmq_buf_t ver = RMQ_BUF_INIT;
    rmq_data_version_encode(&dv, &ver);
    rmq_broker_config_resp_t rh = {rmq_buf_cstr(&ver)};
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    rmq_header_encode(&rmq_broker_config_resp_desc, &rh, &resp->ext);
    rmq_buf_free(&ver);
    if (len > 0)
        rmq_cmd_set_body(resp, text, len);
    free(text);
    rmq_conn_reply(conn, req, resp);
}

void rmq_broker_admin(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req)
{
    switch (req->code) {
    case RMQ_REQ_VIEW_MESSAGE_BY_ID:
        view_message(b, conn, req);
        break;
    case RMQ_REQ_QUERY_MESSAGE:
        query_message(b, conn, req);
        break;
    case RMQ_REQ_UPDATE_AND_CREATE_TOPIC:
        update_topic(b, conn, req);
        break;
    case RMQ_REQ_DELETE_TOPIC_IN_BROKER:
        delete_topic(b, conn, req);
        break;
    case RMQ_REQ_GET_ALL_TOPIC_CONFIG:
        get_all_topic_config(b, conn, req);
        break;
    case RMQ_REQ_GET_BROKER_RUNTIME_INFO:
        runtime_info(b, conn, req);
        break;
    case RMQ_REQ_GET_TOPIC_STATS_INFO:
        get_topic_stats(b, conn, req);
        break;
    case RMQ_REQ_GET_CONSUME_STATS:
        get_consume_stats(b, conn, req);
        break;
    case RMQ_REQ_GET_CONSUMER_CONNECTION_LIST:
        get_consumer_connections(b, conn, req);
        break;
    case RMQ_REQ_GET_PRODUCER_CONNECTION_LIST:
        get_producer_connections(b, conn, req);
        break;
    case RMQ_REQ_UPDATE_AND_CREATE_SUBSCRIPTIONGROUP:
        update_group(b, conn, req);
        break;
    case RMQ_REQ_GET_ALL_SUBSCRIPTIONGROUP_CONFIG:
        get_all_groups(b, conn, req);
        break;
    case RMQ_REQ_DELETE_SUBSCRIPTIONGROUP:
        delete_group(b, conn, req);
        break;
    case RMQ_REQ_GET_BROKER_CONFIG:
        get_broker_config(b, conn, req);
        break;
    default:
        rmq_conn_reply_not_supported(conn, req);
        break;
    }
    rmq_cmd_free(req);
}
