/* The broker's JSON config files: load with .bak fallback, atomic persist, and
 * the codecs of consumerOffset.json, delayOffset.json and
 * subscriptionGroup.json (topics.json reuses the TopicConfigSerializeWrapper
 * codec of the protocol module).
 *
 * The typed property getters of protocol/bodies_int.h are used as they are:
 * these files are fastjson documents like the bodies, and must convert and
 * reject values by the same rules. */
#include "store/config_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errmsg.h"
#include "base/file.h"
#include "base/json_str.h"
#include "base/mem.h"
#include "base/num.h"
#include "protocol/bodies_int.h"
#include "rocketmq/error.h"

/* ---- Generic mechanics ---- */

int rmq_config_file_load(const char *path, rmq_config_parse_fn parse, void *arg,
                         rmq_config_source_t *source, char *err, size_t errlen)
{
    rmq_config_source_t unused;
    if (!source)
        source = &unused;
    *source = RMQ_CONFIG_FROM_NONE;
    if (err && errlen)
        err[0] = '\0';

    /* Why FILE was not used, kept for the caller's warning or error. */
    char why[512];
    char perr[320] = "";
    rmq_buf_t text = RMQ_BUF_INIT;
    int rc = rmq_file_read(path, &text);
    if (rc == 0 && text.len > 0) {
        if (parse(text.data, text.len, arg, perr, sizeof(perr)) == 0) {
            rmq_buf_free(&text);
            *source = RMQ_CONFIG_FROM_FILE;
            return 0;
        }
        snprintf(why, sizeof(why), "%s: %s", path, perr);
    } else if (rc < 0) {
        snprintf(why, sizeof(why), "%s: %s", path, strerror(errno));
    } else {
        snprintf(why, sizeof(why), "%s: %s", path, rc == 1 ? "no such file" : "empty");
    }

    rmq_buf_t bak = RMQ_BUF_INIT;
    rmq_buf_printf(&bak, "%s.bak", path);
    text.len = 0;
    int result = 0;
    rc = rmq_file_read(rmq_buf_cstr(&bak), &text);
    if (rc < 0) {
        rmq_set_err(err, errlen, "%s; %s: %s", why, rmq_buf_cstr(&bak), strerror(errno));
        result = ROCKETMQ_ERR__IO;
    } else if (rc == 1 || text.len == 0) {
        /* ConfigManager.loadBak(): nothing to load is not an error. */
        rmq_set_err(err, errlen, "%s", why);
    } else if ((result = parse(text.data, text.len, arg, perr, sizeof(perr))) != 0) {
        rmq_set_err(err, errlen, "%s; %s: %s", why, rmq_buf_cstr(&bak), perr);
    } else {
        rmq_set_err(err, errlen, "%s", why);
        *source = RMQ_CONFIG_FROM_BAK;
    }
    rmq_buf_free(&bak);
    rmq_buf_free(&text);
    return result;
}

int rmq_config_file_persist(const char *path, const void *data, size_t len)
{
    return rmq_file_write_atomic(path, data, len) == 0 ? 0 : ROCKETMQ_ERR__IO;
}

/* ---- Integer-keyed offset maps ---- */

static int cmp_pair(const void *a, const void *b)
{
    const rmq_offset_pair_t *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static void pairs_put(rmq_offset_pair_t **pairs, size_t *n, int32_t id, int64_t offset)
{
    for (size_t i = 0; i < *n; i++) {
        if ((*pairs)[i].id == id) {
            (*pairs)[i].offset = offset;
            return;
        }
    }
    *pairs = rmq_realloc(*pairs, (*n + 1) * sizeof(**pairs));
    (*pairs)[(*n)++] = (rmq_offset_pair_t){id, offset};
}

/* {0:250,1:249}: bare keys, as fastjson writes a Map<Integer, Long>, in
 * ascending order as Java's hash maps iterate small Integer keys. */
static void pairs_encode(const rmq_offset_pair_t *pairs, size_t n, rmq_buf_t *out)
{
    rmq_offset_pair_t *sorted = NULL;
    if (n > 0) {
        sorted = rmq_malloc(n * sizeof(*sorted));
        memcpy(sorted, pairs, n * sizeof(*sorted));
        qsort(sorted, n, sizeof(*sorted), cmp_pair);
    }
    rmq_buf_append_u8(out, '{');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            rmq_buf_append_u8(out, ',');
        rmq_buf_append_i64(out, sorted[i].id);
        rmq_buf_append_u8(out, ':');
        rmq_buf_append_i64(out, sorted[i].offset);
    }
    rmq_buf_append_u8(out, '}');
    free(sorted);
}

/* obj's keys are the map's Integer keys, bare or quoted in the text (both are
 * strings once rmq_json_loads() has normalised them).  A key that appears
 * twice, e.g. as 1 and "1", keeps its last value, as a Java map would. */
static int pairs_decode(json_t *obj, rmq_offset_pair_t **out, size_t *nout,
                        const char *ctx, char *err, size_t errlen)
{
    *out = NULL;
    *nout = 0;
    if (!json_is_object(obj))
        return rmq_body_err(err, errlen, "%s: expected an object, got %s", ctx,
                            rmq_json_type_name(obj));
    size_t cap = json_object_size(obj);
    if (cap == 0)
        return 0;
    rmq_offset_pair_t *pairs = rmq_calloc(cap, sizeof(*pairs));
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        /* A Java map cannot hold a null value: nothing to keep. */
        if (json_is_null(v))
            continue;
        int64_t id, offset;
        if (rmq_parse_i64(key, &id) != 0 || id < INT32_MIN || id > INT32_MAX) {
            free(pairs);
            return rmq_body_err(err, errlen, "%s: key \"%.32s\" is not an int", ctx, key);
        }
        if (rmq_json_value_i64(v, &offset) != 0) {
            free(pairs);
            return rmq_body_err(err, errlen, "%s[%.32s]: expected an integer, got %s", ctx, key,
                                rmq_json_type_name(v));
        }
        size_t k = 0;
        while (k < n && pairs[k].id != (int32_t)id)
            k++;
        pairs[k] = (rmq_offset_pair_t){(int32_t)id, offset};
        if (k == n)
            n++;
    }
    if (n == 0) {
        free(pairs);
        return 0;
    }
    qsort(pairs, n, sizeof(*pairs), cmp_pair);
    *out = pairs;
    *nout = n;
    return 0;
}

/* ---- consumerOffset.json ---- */

void rmq_consumer_offsets_free(rmq_consumer_offsets_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nentries; i++) {
        free(t->entries[i].key);
        free(t->entries[i].queues);
    }
    free(t->entries);
    memset(t, 0, sizeof(*t));
}

rmq_consumer_offset_entry_t *rmq_consumer_offsets_add(rmq_consumer_offsets_t *t, const char *key)
{
    t->entries = rmq_realloc(t->entries, (t->nentries + 1) * sizeof(*t->entries));
    rmq_consumer_offset_entry_t *e = &t->entries[t->nentries++];
    memset(e, 0, sizeof(*e));
    e->key = rmq_strdup(key);
    return e;
}

rmq_consumer_offset_entry_t *rmq_consumer_offsets_find(const rmq_consumer_offsets_t *t,
                                                       const char *key)
{
    for (size_t i = 0; i < t->nentries; i++) {
        if (strcmp(t->entries[i].key, key) == 0)
            return &t->entries[i];
    }
    return NULL;
}

void rmq_consumer_offset_entry_put(rmq_consumer_offset_entry_t *e, int32_t queue_id,
                                   int64_t offset)
{
    pairs_put(&e->queues, &e->nqueues, queue_id, offset);
}

static int cmp_entry_key(const void *a, const void *b)
{
    const rmq_consumer_offset_entry_t *const *x = a, *const *y = b;
    return strcmp((*x)->key, (*y)->key);
}

/* Written by hand: jansson cannot produce the bare inner keys. */
void rmq_consumer_offsets_encode(const rmq_consumer_offsets_t *t, rmq_buf_t *out)
{
    const rmq_consumer_offset_entry_t **sorted = NULL;
    if (t->nentries > 0) {
        sorted = rmq_malloc(t->nentries * sizeof(*sorted));
        for (size_t i = 0; i < t->nentries; i++)
            sorted[i] = &t->entries[i];
        qsort(sorted, t->nentries, sizeof(*sorted), cmp_entry_key);
    }
    rmq_buf_append_str(out, "{\"offsetTable\":{");
    for (size_t i = 0; i < t->nentries; i++) {
        if (i > 0)
            rmq_buf_append_u8(out, ',');
        rmq_buf_append_json_str(out, sorted[i]->key, strlen(sorted[i]->key));
        rmq_buf_append_u8(out, ':');
        pairs_encode(sorted[i]->queues, sorted[i]->nqueues, out);
    }
    rmq_buf_append_str(out, "}}");
    free(sorted);
}

int rmq_consumer_offsets_decode(const void *p, size_t n, rmq_consumer_offsets_t *t, char *err,
                                size_t errlen)
{
    static const char ctx[] = "ConsumerOffset";
    memset(t, 0, sizeof(*t));
    json_t *j = rmq_body_parse_object(p, n, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *table = NULL;
    int rc = rmq_json_get_container(j, "offsetTable", JSON_OBJECT, &table, ctx, err, errlen);
    size_t cap = json_object_size(table);
    if (rc == 0 && cap > 0) {
        t->entries = rmq_calloc(cap, sizeof(*t->entries));
        const char *key;
        json_t *v;
        json_object_foreach(table, key, v)
        {
            if (json_is_null(v))
                continue;
            char qctx[128];
            snprintf(qctx, sizeof(qctx), "%s.offsetTable[%.64s]", ctx, key);
            /* Counted before decoding so that a failure frees the key too. */
            rmq_consumer_offset_entry_t *e = &t->entries[t->nentries++];
            e->key = rmq_strdup(key);
            if ((rc = pairs_decode(v, &e->queues, &e->nqueues, qctx, err, errlen)) != 0)
                break;
        }
    }
    json_decref(j);
    if (rc != 0)
        rmq_consumer_offsets_free(t);
    return rc;
}

/* ---- delayOffset.json ---- */

void rmq_delay_offsets_free(rmq_delay_offsets_t *d)
{
    if (!d)
        return;
    free(d->levels);
    memset(d, 0, sizeof(*d));
}

void rmq_delay_offsets_put(rmq_delay_offsets_t *d, int32_t level, int64_t offset)
{
    pairs_put(&d->levels, &d->nlevels, level, offset);
}

bool rmq_delay_offsets_get(const rmq_delay_offsets_t *d, int32_t level, int64_t *offset)
{
    for (size_t i = 0; i < d->nlevels; i++) {
        if (d->levels[i].id == level) {
            *offset = d->levels[i].offset;
            return true;
        }
    }
    return false;
}

void rmq_delay_offsets_encode(const rmq_delay_offsets_t *d, rmq_buf_t *out)
{
    rmq_buf_append_str(out, "{\"offsetTable\":");
    pairs_encode(d->levels, d->nlevels, out);
    rmq_buf_append_u8(out, '}');
}

int rmq_delay_offsets_decode(const void *p, size_t n, rmq_delay_offsets_t *d, char *err,
                             size_t errlen)
{
    static const char ctx[] = "DelayOffset";
    memset(d, 0, sizeof(*d));
    json_t *j = rmq_body_parse_object(p, n, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *table;
    int rc = rmq_json_get_container(j, "offsetTable", JSON_OBJECT, &table, ctx, err, errlen);
    if (rc == 0 && table)
        rc = pairs_decode(table, &d->levels, &d->nlevels, "DelayOffset.offsetTable", err, errlen);
    json_decref(j);
    return rc;
}

/* ---- subscriptionGroup.json ---- */

void rmq_subscription_group_init(rmq_subscription_group_t *g, const char *name)
{
    memset(g, 0, sizeof(*g));
    g->group_name = name ? rmq_strdup(name) : NULL;
    g->consume_enable = true;
    g->consume_from_min_enable = true;
    g->consume_broadcast_enable = true;
    g->notify_consumer_ids_changed_enable = true;
    g->retry_queue_nums = 1;
    g->retry_max_times = 16;
    g->broker_id = 0;
    g->which_broker_when_consume_slowly = 1;
}

void rmq_subscription_group_free(rmq_subscription_group_t *g)
{
    if (!g)
        return;
    free(g->group_name);
    memset(g, 0, sizeof(*g));
}

void rmq_subscription_groups_free(rmq_subscription_groups_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ngroups; i++)
        rmq_subscription_group_free(&t->groups[i]);
    free(t->groups);
    memset(t, 0, sizeof(*t));
}

void rmq_subscription_groups_add(rmq_subscription_groups_t *t, const rmq_subscription_group_t *g)
{
    t->groups = rmq_realloc(t->groups, (t->ngroups + 1) * sizeof(*t->groups));
    rmq_subscription_group_t *copy = &t->groups[t->ngroups++];
    *copy = *g;
    copy->group_name = g->group_name ? rmq_strdup(g->group_name) : NULL;
}

static json_t *group_to_json(const rmq_subscription_group_t *g)
{
    json_t *j = json_object();
    json_object_set_new(j, "brokerId", json_integer(g->broker_id));
    json_object_set_new(j, "consumeBroadcastEnable", json_boolean(g->consume_broadcast_enable));
    json_object_set_new(j, "consumeEnable", json_boolean(g->consume_enable));
    json_object_set_new(j, "consumeFromMinEnable", json_boolean(g->consume_from_min_enable));
    if (g->group_name)
        json_object_set_new(j, "groupName", rmq_json_string(g->group_name));
    json_object_set_new(j, "notifyConsumerIdsChangedEnable",
                        json_boolean(g->notify_consumer_ids_changed_enable));
    json_object_set_new(j, "retryMaxTimes", json_integer(g->retry_max_times));
    json_object_set_new(j, "retryQueueNums", json_integer(g->retry_queue_nums));
    json_object_set_new(j, "whichBrokerWhenConsumeSlowly",
                        json_integer(g->which_broker_when_consume_slowly));
    return j;
}

void rmq_subscription_groups_encode(const rmq_subscription_groups_t *t, rmq_buf_t *out)
{
    json_t *table = json_object();
    for (size_t i = 0; i < t->ngroups; i++) {
        const rmq_subscription_group_t *g = &t->groups[i];
        rmq_json_set(table, g->group_name ? g->group_name : "", group_to_json(g));
    }
    json_t *j = json_object();
    json_object_set_new(j, "dataVersion", rmq_data_version_to_json(&t->data_version));
    json_object_set_new(j, "subscriptionGroupTable", table);
    rmq_json_dump_append(j, out);
    json_decref(j);
}

/* key is the table key, used when the value lacks groupName. */
static int group_from_json(const json_t *j, const char *key, rmq_subscription_group_t *g,
                           const char *ctx, char *err, size_t errlen)
{
    rmq_subscription_group_init(g, NULL);
    if (!json_is_object(j))
        return rmq_body_err(err, errlen, "%s: expected an object, got %s", ctx,
                            rmq_json_type_name(j));
    int rc;
    if ((rc = rmq_json_get_str(j, "groupName", &g->group_name, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_bool(j, "consumeEnable", true, &g->consume_enable, ctx, err,
                                   errlen)) != 0
        || (rc = rmq_json_get_bool(j, "consumeFromMinEnable", true, &g->consume_from_min_enable,
                                   ctx, err, errlen)) != 0
        || (rc = rmq_json_get_bool(j, "consumeBroadcastEnable", true,
                                   &g->consume_broadcast_enable, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_bool(j, "notifyConsumerIdsChangedEnable", true,
                                   &g->notify_consumer_ids_changed_enable, ctx, err, errlen))
               != 0
        || (rc = rmq_json_get_i32(j, "retryQueueNums", 1, &g->retry_queue_nums, ctx, err,
                                  errlen)) != 0
        || (rc = rmq_json_get_i32(j, "retryMaxTimes", 16, &g->retry_max_times, ctx, err,
                                  errlen)) != 0
        || (rc = rmq_json_get_i64(j, "brokerId", 0, &g->broker_id, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_i64(j, "whichBrokerWhenConsumeSlowly", 1,
                                  &g->which_broker_when_consume_slowly, ctx, err, errlen)) != 0)
        return rc;
    if (!g->group_name)
        g->group_name = rmq_strdup(key);
    return 0;
}

int rmq_subscription_groups_decode(const void *p, size_t n, rmq_subscription_groups_t *t,
                                   char *err, size_t errlen)
{
    static const char ctx[] = "SubscriptionGroup";
    memset(t, 0, sizeof(*t));
    json_t *j = rmq_body_parse_object(p, n, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *dv = NULL, *table = NULL;
    int rc;
    if ((rc = rmq_json_get_container(j, "dataVersion", JSON_OBJECT, &dv, ctx, err, errlen)) == 0
        && (rc = rmq_json_get_container(j, "subscriptionGroupTable", JSON_OBJECT, &table, ctx,
                                        err, errlen)) == 0
        && dv)
        rc = rmq_data_version_from_json(dv, &t->data_version, err, errlen);
    size_t cap = json_object_size(table);
    if (rc == 0 && cap > 0) {
        t->groups = rmq_calloc(cap, sizeof(*t->groups));
        const char *key;
        json_t *v;
        json_object_foreach(table, key, v)
        {
            if (json_is_null(v))
                continue;
            char gctx[128];
            snprintf(gctx, sizeof(gctx), "%s.subscriptionGroupTable[%.64s]", ctx, key);
            /* Counted before decoding so that a half-filled entry is freed too. */
            rmq_subscription_group_t *g = &t->groups[t->ngroups++];
            if ((rc = group_from_json(v, key, g, gctx, err, errlen)) != 0)
                break;
        }
    }
    json_decref(j);
    if (rc != 0)
        rmq_subscription_groups_free(t);
    return rc;
}

/* ---- Whole files ---- */

static int parse_topics(const void *p, size_t n, void *arg, char *err, size_t errlen)
{
    return rmq_topic_config_wrapper_decode(p, n, arg, err, errlen);
}

static int parse_consumer_offsets(const void *p, size_t n, void *arg, char *err, size_t errlen)
{
    return rmq_consumer_offsets_decode(p, n, arg, err, errlen);
}

static int parse_delay_offsets(const void *p, size_t n, void *arg, char *err, size_t errlen)
{
    return rmq_delay_offsets_decode(p, n, arg, err, errlen);
}

static int parse_subscription_groups(const void *p, size_t n, void *arg, char *err,
                                     size_t errlen)
{
    return rmq_subscription_groups_decode(p, n, arg, err, errlen);
}

/* Frees the encoded text without losing the errno of a failed write. */
static int persist_buf(const char *path, rmq_buf_t *text)
{
    int rc = rmq_config_file_persist(path, text->data, text->len);
    int saved = errno;
    rmq_buf_free(text);
    errno = saved;
    return rc;
}

int rmq_topics_file_load(const char *path, rmq_register_broker_body_t *t,
                         rmq_config_source_t *source, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    return rmq_config_file_load(path, parse_topics, t, source, err, errlen);
}

int rmq_topics_file_persist(const char *path, const rmq_register_broker_body_t *t)
{
    rmq_buf_t text = RMQ_BUF_INIT;
    rmq_topic_config_wrapper_encode(t, &text);
    return persist_buf(path, &text);
}

int rmq_consumer_offsets_file_load(const char *path, rmq_consumer_offsets_t *t,
                                   rmq_config_source_t *source, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    return rmq_config_file_load(path, parse_consumer_offsets, t, source, err, errlen);
}

int rmq_consumer_offsets_file_persist(const char *path, const rmq_consumer_offsets_t *t)
{
    rmq_buf_t text = RMQ_BUF_INIT;
    rmq_consumer_offsets_encode(t, &text);
    return persist_buf(path, &text);
}

int rmq_delay_offsets_file_load(const char *path, rmq_delay_offsets_t *d,
                                rmq_config_source_t *source, char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    return rmq_config_file_load(path, parse_delay_offsets, d, source, err, errlen);
}

int rmq_delay_offsets_file_persist(const char *path, const rmq_delay_offsets_t *d)
{
    rmq_buf_t text = RMQ_BUF_INIT;
    rmq_delay_offsets_encode(d, &text);
    return persist_buf(path, &text);
}

int rmq_subscription_groups_file_load(const char *path, rmq_subscription_groups_t *t,
                                      rmq_config_source_t *source, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    return rmq_config_file_load(path, parse_subscription_groups, t, source, err, errlen);
}

int rmq_subscription_groups_file_persist(const char *path, const rmq_subscription_groups_t *t)
{
    rmq_buf_t text = RMQ_BUF_INIT;
    rmq_subscription_groups_encode(t, &text);
    return persist_buf(path, &text);
}
