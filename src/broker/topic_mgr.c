/* The topic table and topics.json (TopicConfigManager, reference broker.md
 * 1.9, 9.3, 15.1).  Topics live in a map of heap-allocated configs, so a
 * pointer handed out stays valid until that topic is replaced or deleted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "broker/broker_int.h"
#include "rocketmq/error.h"

#define MOD "broker"
#define PERM_RW (RMQ_PERM_READ | RMQ_PERM_WRITE)

struct rmq_topic_mgr {
    char *path;
    rmq_map_t *table; /* topic -> rmq_topic_config_t * */
    rmq_data_version_t version;
    /* Copied from the broker config, which may be freed before us. */
    bool auto_create;
    int32_t broker_perm;
};

static void config_free(void *p)
{
    rmq_topic_config_free(p);
    free(p);
}

static rmq_topic_config_t *config_dup(const rmq_topic_config_t *src)
{
    rmq_topic_config_t *tc = rmq_malloc(sizeof(*tc));
    *tc = *src;
    tc->topic_name = rmq_strdup(src->topic_name);
    /* Java's TopicConfig never has a null filter type. */
    tc->topic_filter_type = rmq_strdup(src->topic_filter_type ? src->topic_filter_type
                                                              : "SINGLE_TAG");
    return tc;
}

/* Stores a copy of tc, replacing (and freeing) any previous config. */
static rmq_topic_config_t *table_put(rmq_topic_mgr_t *tm, const rmq_topic_config_t *tc)
{
    rmq_topic_config_t *copy = config_dup(tc);
    rmq_topic_config_t *old = rmq_smap_put(tm->table, copy->topic_name, copy);
    if (old)
        config_free(old);
    return copy;
}

static void put_builtin(rmq_topic_mgr_t *tm, const char *name, int32_t queues, int32_t perm)
{
    if (!name || !name[0])
        return;
    rmq_topic_config_t tc;
    rmq_topic_config_init(&tc, name);
    tc.read_queue_nums = queues;
    tc.write_queue_nums = queues;
    tc.perm = perm;
    table_put(tm, &tc);
    rmq_topic_config_free(&tc);
}

/* TopicConfigManager's constructor.  The cluster and broker-name topics keep
 * INHERIT as Java sets it, with R|W because clusterTopicEnable and
 * brokerTopicEnable default to true (they are not configurable here); the
 * trace topic is left out because traceTopicEnable defaults to false. */
static void add_builtins(rmq_topic_mgr_t *tm, const rmq_broker_config_t *cfg)
{
    put_builtin(tm, "SELF_TEST_TOPIC", 1, PERM_RW);
    if (cfg->autoCreateTopicEnable)
        put_builtin(tm, RMQ_TOPIC_TBW102, cfg->defaultTopicQueueNums,
                    RMQ_PERM_INHERIT | PERM_RW);
    put_builtin(tm, "BenchmarkTest", 1024, PERM_RW);
    put_builtin(tm, cfg->brokerClusterName, 16, RMQ_PERM_INHERIT | PERM_RW);
    put_builtin(tm, cfg->brokerName, 1, RMQ_PERM_INHERIT | PERM_RW);
    put_builtin(tm, "OFFSET_MOVED_EVENT", 1, PERM_RW);
    put_builtin(tm, RMQ_TOPIC_SCHEDULE, 18, PERM_RW);
    if (cfg->brokerClusterName && cfg->brokerClusterName[0]) {
        rmq_buf_t reply = RMQ_BUF_INIT;
        rmq_buf_printf(&reply, "%s_REPLY_TOPIC", cfg->brokerClusterName);
        put_builtin(tm, rmq_buf_cstr(&reply), 1, PERM_RW);
        rmq_buf_free(&reply);
    }
}

/* The file's entries overwrite the built-ins; its data version is taken as is. */
static int load_file(rmq_topic_mgr_t *tm, char *err, size_t errlen)
{
    rmq_register_broker_body_t file;
    rmq_config_source_t source;
    char why[1024];
    int rc = rmq_topics_file_load(tm->path, &file, &source, why, sizeof(why));
    if (rc != 0) {
        rmq_set_err(err, errlen, "cannot load topics: %s", why);
        return rc;
    }
    /* A missing file is a first start; anything else lost data. */
    if (source == RMQ_CONFIG_FROM_BAK
        || (source == RMQ_CONFIG_FROM_NONE && access(tm->path, F_OK) == 0))
        RMQ_LOGW(MOD, "topics: %s", why);
    if (source != RMQ_CONFIG_FROM_NONE) {
        for (size_t i = 0; i < file.ntopics; i++)
            table_put(tm, &file.topics[i]);
        tm->version = file.data_version;
        RMQ_LOGI(MOD, "%zu topics loaded from %s%s", file.ntopics, tm->path,
                 source == RMQ_CONFIG_FROM_BAK ? ".bak" : "");
    }
    rmq_register_broker_body_free(&file);
    return 0;
}

rmq_topic_mgr_t *rmq_topic_mgr_open(const rmq_broker_config_t *cfg, const char *path, char *err,
                                    size_t errlen)
{
    rmq_topic_mgr_t *tm = rmq_calloc(1, sizeof(*tm));
    tm->path = rmq_strdup(path);
    tm->table = rmq_map_new();
    tm->auto_create = cfg->autoCreateTopicEnable;
    tm->broker_perm = cfg->brokerPermission;
    /* new DataVersion(): counter 0, timestamp now. */
    tm->version.timestamp = rmq_now_ms();
    add_builtins(tm, cfg);
    if (load_file(tm, err, errlen) != 0) {
        rmq_topic_mgr_free(tm);
        return NULL;
    }
    /* A TBW102 left in the file from when auto-creation was on must not let
     * sends create topics now. */
    rmq_topic_config_t *tbw = rmq_smap_get(tm->table, RMQ_TOPIC_TBW102);
    if (tbw && !tm->auto_create)
        tbw->perm &= ~RMQ_PERM_INHERIT;
    return tm;
}

void rmq_topic_mgr_free(rmq_topic_mgr_t *tm)
{
    if (!tm)
        return;
    rmq_map_free(tm->table, config_free);
    free(tm->path);
    free(tm);
}

const rmq_topic_config_t *rmq_topic_mgr_get(rmq_topic_mgr_t *tm, const char *topic)
{
    return rmq_smap_get(tm->table, topic);
}

/* The table sorted by name; perm_override >= 0 replaces every perm. */
static void fill_wrapper(rmq_topic_mgr_t *tm, rmq_register_broker_body_t *out,
                         int32_t perm_override)
{
    memset(out, 0, sizeof(*out));
    out->data_version = tm->version;
    size_t n;
    const char **keys = rmq_smap_keys_sorted(tm->table, &n);
    for (size_t i = 0; i < n; i++) {
        rmq_register_broker_body_add_topic(out, rmq_smap_get(tm->table, keys[i]));
        if (perm_override >= 0)
            out->topics[out->ntopics - 1].perm = perm_override;
    }
    free(keys);
}

/* ConfigManager.persist(): a failure is logged and the table kept, as in Java. */
static int persist(rmq_topic_mgr_t *tm)
{
    rmq_register_broker_body_t w;
    fill_wrapper(tm, &w, -1);
    int rc = rmq_topics_file_persist(tm->path, &w);
    if (rc != 0)
        RMQ_LOGE(MOD, "cannot write %s: %s", tm->path, strerror(errno));
    rmq_register_broker_body_free(&w);
    return rc;
}

/* Every change of the table: next data version, then the file. */
static int changed(rmq_topic_mgr_t *tm)
{
    rmq_data_version_next(&tm->version);
    return persist(tm);
}

int rmq_topic_mgr_update(rmq_topic_mgr_t *tm, const rmq_topic_config_t *tc)
{
    if (!tc->topic_name || !tc->topic_name[0])
        return ROCKETMQ_ERR__INVALID_ARG;
    RMQ_LOGI(MOD, "topic %s %s: queues %d/%d perm %d", tc->topic_name,
             rmq_smap_get(tm->table, tc->topic_name) ? "updated" : "created",
             tc->read_queue_nums, tc->write_queue_nums, tc->perm);
    table_put(tm, tc);
    return changed(tm);
}

int rmq_topic_mgr_delete(rmq_topic_mgr_t *tm, const char *topic)
{
    rmq_topic_config_t *old = rmq_smap_del(tm->table, topic);
    if (!old) {
        /* Java answers SUCCESS for an unknown topic too. */
        RMQ_LOGW(MOD, "delete of unknown topic %s", topic);
        return 0;
    }
    config_free(old);
    RMQ_LOGI(MOD, "topic %s deleted", topic);
    return changed(tm);
}

/* The new topic of createTopicInSendMessageMethod, or NULL when def does not
 * allow inheritance. */
static const rmq_topic_config_t *inherit_from(rmq_topic_mgr_t *tm, const char *topic,
                                              rmq_topic_config_t *def, int32_t queue_nums,
                                              int32_t sys_flag)
{
    /* TBW102 may come from an older topics.json while auto-creation is off. */
    if (strcmp(def->topic_name, RMQ_TOPIC_TBW102) == 0 && !tm->auto_create)
        def->perm = PERM_RW;
    if (!(def->perm & RMQ_PERM_INHERIT)) {
        RMQ_LOGW(MOD, "cannot create topic %s: default topic %s has perm %d", topic,
                 def->topic_name, def->perm);
        return NULL;
    }
    rmq_topic_config_t tc;
    rmq_topic_config_init(&tc, topic);
    int32_t n = queue_nums < def->write_queue_nums ? queue_nums : def->write_queue_nums;
    tc.read_queue_nums = tc.write_queue_nums = n < 0 ? 0 : n;
    tc.perm = def->perm & ~RMQ_PERM_INHERIT;
    tc.topic_sys_flag = sys_flag;
    free(tc.topic_filter_type);
    tc.topic_filter_type = rmq_strdup(def->topic_filter_type ? def->topic_filter_type
                                                             : "SINGLE_TAG");
    const rmq_topic_config_t *made = table_put(tm, &tc);
    rmq_topic_config_free(&tc);
    RMQ_LOGI(MOD, "topic %s created from %s: %d queues, perm %d", topic, def->topic_name,
             made->write_queue_nums, made->perm);
    changed(tm);
    return made;
}

const rmq_topic_config_t *rmq_topic_mgr_create_on_send(rmq_topic_mgr_t *tm, const char *topic,
                                                       const char *default_topic,
                                                       int32_t queue_nums, int32_t sys_flag,
                                                       bool *created)
{
    *created = false;
    const rmq_topic_config_t *tc = rmq_smap_get(tm->table, topic);
    if (tc)
        return tc;
    rmq_topic_config_t *def = default_topic ? rmq_smap_get(tm->table, default_topic) : NULL;
    if (def)
        tc = inherit_from(tm, topic, def, queue_nums, sys_flag);
    else
        RMQ_LOGW(MOD, "cannot create topic %s: default topic %s does not exist", topic,
                 default_topic ? default_topic : "(none)");
    if (tc) {
        *created = true;
        return tc;
    }
    /* AbstractSendMessageProcessor.msgCheck: a retry topic is created anyway. */
    if (strncmp(topic, RMQ_RETRY_PREFIX, strlen(RMQ_RETRY_PREFIX)) == 0)
        return rmq_topic_mgr_create_on_send_back(tm, topic, 1, PERM_RW, sys_flag, created);
    return NULL;
}

const rmq_topic_config_t *rmq_topic_mgr_create_on_send_back(rmq_topic_mgr_t *tm,
                                                            const char *topic, int32_t queue_nums,
                                                            int32_t perm, int32_t sys_flag,
                                                            bool *created)
{
    *created = false;
    const rmq_topic_config_t *tc = rmq_smap_get(tm->table, topic);
    if (tc)
        return tc;
    rmq_topic_config_t nc;
    rmq_topic_config_init(&nc, topic);
    nc.read_queue_nums = nc.write_queue_nums = queue_nums;
    nc.perm = perm;
    nc.topic_sys_flag = sys_flag;
    tc = table_put(tm, &nc);
    rmq_topic_config_free(&nc);
    RMQ_LOGI(MOD, "topic %s created: %d queues, perm %d", topic, queue_nums, perm);
    changed(tm);
    *created = true;
    return tc;
}

void rmq_topic_mgr_snapshot(rmq_topic_mgr_t *tm, rmq_register_broker_body_t *out)
{
    /* registerBrokerAll: a broker that is not read-write announces its own
     * permission for every topic. */
    bool rw = (tm->broker_perm & PERM_RW) == PERM_RW;
    fill_wrapper(tm, out, rw ? -1 : tm->broker_perm);
}

const rmq_data_version_t *rmq_topic_mgr_data_version(rmq_topic_mgr_t *tm)
{
    return &tm->version;
}

/* updateOrderTopicConfig: topics listed in the name server's table are order
 * topics and every other topic is not.  No table (NULL or empty: the name
 * server sends none when order messages are off or none are configured)
 * changes nothing, so order flags are not cleared by a silent name server. */
void rmq_topic_mgr_set_order_topics(rmq_topic_mgr_t *tm, const rmq_map_t *kv)
{
    if (!kv || rmq_map_size(kv) == 0)
        return;
    bool change = false;
    rmq_map_iter_t it;
    const char *topic;
    void *v;
    rmq_map_iter_init(&it, tm->table);
    while (rmq_map_iter_next(&it, &topic, NULL, &v)) {
        rmq_topic_config_t *tc = v;
        bool order = rmq_smap_get(kv, topic) != NULL;
        if (tc->order != order) {
            tc->order = order;
            change = true;
        }
    }
    if (change)
        changed(tm);
}
