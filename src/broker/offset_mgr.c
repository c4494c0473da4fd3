/* Committed consumer offsets and consumerOffset.json (ConsumerOffsetManager,
 * reference broker.md 1.9, 10.5).  Commits only mark the table dirty: the
 * broker writes it every flushConsumerOffsetInterval and at shutdown. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/log.h"
#include "base/mem.h"
#include "broker/broker_int.h"

#define MOD "broker"

/* One "topic@group" key: queue id -> next offset to consume, sorted by id. */
typedef struct offset_entry {
    char *topic;
    char *group; /* NULL for a key without '@' (kept, but matches no group) */
    rmq_offset_pair_t *queues;
    size_t nqueues;
} offset_entry_t;

struct rmq_offset_mgr {
    char *path;
    rmq_map_t *table; /* "topic@group" -> offset_entry_t * */
    bool dirty;
};

static void entry_free(void *p)
{
    offset_entry_t *e = p;
    free(e->topic);
    free(e->group);
    free(e->queues);
    free(e);
}

/* Java splits the key at "@"; topic and group names cannot contain one. */
static offset_entry_t *entry_new(rmq_offset_mgr_t *om, const char *key)
{
    offset_entry_t *e = rmq_calloc(1, sizeof(*e));
    const char *at = strchr(key, '@');
    e->topic = at ? rmq_strndup(key, (size_t)(at - key)) : rmq_strdup(key);
    e->group = at ? rmq_strdup(at + 1) : NULL;
    rmq_smap_put(om->table, key, e);
    return e;
}

/* Sets queue_id's offset, keeping the queues sorted; returns the previous
 * offset or -1. */
static int64_t entry_put(offset_entry_t *e, int32_t queue_id, int64_t offset)
{
    size_t i = 0;
    while (i < e->nqueues && e->queues[i].id < queue_id)
        i++;
    if (i < e->nqueues && e->queues[i].id == queue_id) {
        int64_t old = e->queues[i].offset;
        e->queues[i].offset = offset;
        return old;
    }
    e->queues = rmq_realloc(e->queues, (e->nqueues + 1) * sizeof(*e->queues));
    memmove(&e->queues[i + 1], &e->queues[i], (e->nqueues - i) * sizeof(*e->queues));
    e->queues[i] = (rmq_offset_pair_t){queue_id, offset};
    e->nqueues++;
    return -1;
}

static void load_entries(rmq_offset_mgr_t *om, const rmq_consumer_offsets_t *file)
{
    for (size_t i = 0; i < file->nentries; i++) {
        const rmq_consumer_offset_entry_t *fe = &file->entries[i];
        offset_entry_t *e = rmq_smap_get(om->table, fe->key);
        if (!e)
            e = entry_new(om, fe->key);
        for (size_t q = 0; q < fe->nqueues; q++)
            entry_put(e, fe->queues[q].id, fe->queues[q].offset);
    }
}

rmq_offset_mgr_t *rmq_offset_mgr_open(const char *path, char *err, size_t errlen)
{
    rmq_offset_mgr_t *om = rmq_calloc(1, sizeof(*om));
    om->path = rmq_strdup(path);
    om->table = rmq_map_new();
    rmq_consumer_offsets_t file;
    rmq_config_source_t source;
    char why[1024];
    int rc = rmq_consumer_offsets_file_load(path, &file, &source, why, sizeof(why));
    if (rc != 0) {
        rmq_set_err(err, errlen, "cannot load consumer offsets: %s", why);
        rmq_offset_mgr_free(om);
        return NULL;
    }
    /* A missing file is a first start; anything else lost data. */
    if (source == RMQ_CONFIG_FROM_BAK
        || (source == RMQ_CONFIG_FROM_NONE && access(path, F_OK) == 0))
        RMQ_LOGW(MOD, "consumer offsets: %s", why);
    if (source != RMQ_CONFIG_FROM_NONE) {
        load_entries(om, &file);
        RMQ_LOGI(MOD, "%zu consumer offset entries loaded from %s%s", file.nentries, path,
                 source == RMQ_CONFIG_FROM_BAK ? ".bak" : "");
    }
    rmq_consumer_offsets_free(&file);
    return om;
}

void rmq_offset_mgr_free(rmq_offset_mgr_t *om)
{
    if (!om)
        return;
    rmq_map_free(om->table, entry_free);
    free(om->path);
    free(om);
}

/* The entry of topic@group; created empty when create is set. */
static offset_entry_t *find(rmq_offset_mgr_t *om, const char *group, const char *topic,
                            bool create)
{
    rmq_buf_t key = RMQ_BUF_INIT;
    rmq_buf_printf(&key, "%s@%s", topic, group);
    offset_entry_t *e = rmq_smap_get(om->table, rmq_buf_cstr(&key));
    if (!e && create)
        e = entry_new(om, rmq_buf_cstr(&key));
    rmq_buf_free(&key);
    return e;
}

int64_t rmq_offset_mgr_query(rmq_offset_mgr_t *om, const char *group, const char *topic,
                             int32_t queue_id)
{
    const offset_entry_t *e = find(om, group, topic, false);
    for (size_t i = 0; e && i < e->nqueues; i++) {
        if (e->queues[i].id == queue_id)
            return e->queues[i].offset;
    }
    return -1;
}

void rmq_offset_mgr_commit(rmq_offset_mgr_t *om, const char *group, const char *topic,
                           int32_t queue_id, int64_t offset)
{
    offset_entry_t *e = find(om, group, topic, true);
    int64_t old = entry_put(e, queue_id, offset);
    /* Stored anyway, as in Java: a reset offset goes backwards on purpose. */
    if (old >= 0 && offset < old)
        RMQ_LOGW(MOD, "offset of %s@%s queue %d goes back from %lld to %lld", topic, group,
                 queue_id, (long long)old, (long long)offset);
    om->dirty = true;
}

int rmq_offset_mgr_persist(rmq_offset_mgr_t *om)
{
    if (!om->dirty)
        return 0;
    rmq_consumer_offsets_t file = {NULL, 0};
    rmq_map_iter_t it;
    const char *key;
    void *v;
    rmq_map_iter_init(&it, om->table);
    while (rmq_map_iter_next(&it, &key, NULL, &v)) {
        const offset_entry_t *e = v;
        rmq_consumer_offset_entry_t *fe = rmq_consumer_offsets_add(&file, key);
        for (size_t i = 0; i < e->nqueues; i++)
            rmq_consumer_offset_entry_put(fe, e->queues[i].id, e->queues[i].offset);
    }
    int rc = rmq_consumer_offsets_file_persist(om->path, &file);
    rmq_consumer_offsets_free(&file);
    if (rc != 0) {
        /* Still dirty: the next round tries again. */
        RMQ_LOGE(MOD, "cannot write %s: %s", om->path, strerror(errno));
        return rc;
    }
    om->dirty = false;
    return 0;
}

void rmq_offset_mgr_foreach_of_group(rmq_offset_mgr_t *om, const char *group,
                                     void (*fn)(const char *topic, int32_t queue_id,
                                                int64_t offset, void *arg),
                                     void *arg)
{
    size_t n;
    const char **keys = rmq_smap_keys_sorted(om->table, &n);
    for (size_t k = 0; k < n; k++) {
        const offset_entry_t *e = rmq_smap_get(om->table, keys[k]);
        if (!e->group || strcmp(e->group, group) != 0)
            continue;
        for (size_t i = 0; i < e->nqueues; i++)
            fn(e->topic, e->queues[i].id, e->queues[i].offset, arg);
    }
    free(keys);
}

void rmq_offset_mgr_groups_of_topic(rmq_offset_mgr_t *om, const char *topic,
                                    void (*fn)(const char *group, void *arg), void *arg)
{
    size_t n;
    const char **keys = rmq_smap_keys_sorted(om->table, &n);
    for (size_t k = 0; k < n; k++) {
        const offset_entry_t *e = rmq_smap_get(om->table, keys[k]);
        if (e->group && strcmp(e->topic, topic) == 0)
            fn(e->group, arg);
    }
    free(keys);
}

int rmq_offset_mgr_remove_group(rmq_offset_mgr_t *om, const char *group)
{
    int removed = 0;
    rmq_map_iter_t it;
    const char *key;
    size_t klen;
    void *v;
    rmq_map_iter_init(&it, om->table);
    while (rmq_map_iter_next(&it, &key, &klen, &v)) {
        offset_entry_t *e = v;
        if (!e->group || strcmp(e->group, group) != 0)
            continue;
        rmq_map_del(om->table, key, klen);
        entry_free(e);
        removed++;
    }
    if (removed)
        om->dirty = true;
    return removed;
}
