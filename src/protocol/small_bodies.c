/* Small name-server bodies (protocol.md 5.6): TopicList and KVTable. */
#include "protocol/bodies.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "protocol/bodies_int.h"
#include "rocketmq/error.h"

/* ---- TopicList ---- */

void rmq_topic_list_free(rmq_topic_list_t *tl)
{
    if (!tl)
        return;
    rmq_str_array_free(tl->topics, tl->ntopics);
    free(tl->broker_addr);
    memset(tl, 0, sizeof(*tl));
}

void rmq_topic_list_add(rmq_topic_list_t *tl, const char *topic)
{
    tl->topics = rmq_realloc(tl->topics, (tl->ntopics + 1) * sizeof(*tl->topics));
    tl->topics[tl->ntopics++] = rmq_strdup(topic);
}

void rmq_topic_list_encode(const rmq_topic_list_t *tl, rmq_buf_t *out)
{
    json_t *j = json_object();
    if (tl->broker_addr)
        json_object_set_new(j, "brokerAddr", rmq_json_string(tl->broker_addr));
    json_object_set_new(j, "topicList", rmq_json_str_array_new(tl->topics, tl->ntopics));
    rmq_json_dump_append(j, out);
    json_decref(j);
}

int rmq_topic_list_decode(const void *p, size_t n, rmq_topic_list_t *tl, char *err, size_t errlen)
{
    static const char ctx[] = "TopicList";
    memset(tl, 0, sizeof(*tl));
    json_t *j = rmq_body_parse_object(p, n, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *list;
    int rc;
    if ((rc = rmq_json_get_str(j, "brokerAddr", &tl->broker_addr, ctx, err, errlen)) == 0
        && (rc = rmq_json_get_container(j, "topicList", JSON_ARRAY, &list, ctx, err, errlen)) == 0)
        rc = rmq_json_str_array(list, &tl->topics, &tl->ntopics, "TopicList.topicList", err,
                                errlen);
    json_decref(j);
    if (rc != 0)
        rmq_topic_list_free(tl);
    return rc;
}

/* ---- KVTable ---- */

void rmq_kv_table_encode(const rmq_map_t *table, rmq_buf_t *out)
{
    json_t *t = json_object();
    if (table) {
        rmq_map_iter_t it;
        const char *key;
        size_t klen;
        void *v;
        rmq_map_iter_init(&it, table);
        while (rmq_map_iter_next(&it, &key, &klen, &v)) {
            /* Only rmq_smap_* keys (NUL counted in klen) are strings. */
            if (v && klen > 0 && key[klen - 1] == '\0')
                rmq_json_set(t, key, rmq_json_string(v));
        }
    }
    json_t *j = json_object();
    json_object_set_new(j, "table", t);
    rmq_json_dump_append(j, out);
    json_decref(j);
}

int rmq_kv_table_decode(const void *p, size_t n, rmq_map_t **table, char *err, size_t errlen)
{
    static const char ctx[] = "KVTable";
    *table = NULL;
    json_t *j = rmq_body_parse_object(p, n, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *t;
    int rc = rmq_json_get_container(j, "table", JSON_OBJECT, &t, ctx, err, errlen);
    rmq_map_t *m = rmq_map_new();
    const char *key;
    json_t *v;
    if (rc == 0 && t) {
        json_object_foreach(t, key, v)
        {
            if (json_is_null(v))
                continue;
            char *s = rmq_json_value_strdup(v);
            if (!s) {
                rc = rmq_body_err(err, errlen, "KVTable.table[%.64s]: expected a string, got %s",
                                  key, rmq_json_type_name(v));
                break;
            }
            /* jansson objects have unique keys, so nothing is replaced here. */
            free(rmq_smap_put(m, key, s));
        }
    }
    json_decref(j);
    if (rc != 0) {
        rmq_map_free(m, free);
        return rc;
    }
    *table = m;
    return 0;
}

static json_t *kv_table_json(const rmq_map_t *table)
{
    json_t *t = json_object();
    rmq_map_iter_t it;
    const char *key;
    void *v;
    rmq_map_iter_init(&it, table);
    while (rmq_map_iter_next(&it, &key, NULL, &v))
        rmq_json_set(t, key, rmq_json_string(v));
    return t;
}

void rmq_kv_config_wrapper_encode(const rmq_map_t *namespaces, rmq_buf_t *out)
{
    json_t *ct = json_object();
    rmq_map_iter_t it;
    const char *ns;
    void *m;
    rmq_map_iter_init(&it, namespaces);
    while (rmq_map_iter_next(&it, &ns, NULL, &m))
        rmq_json_set(ct, ns, kv_table_json(m));
    json_t *j = json_object();
    json_object_set_new(j, "configTable", ct);
    rmq_json_dump_append(j, out);
    json_decref(j);
}

static void free_namespace(void *m)
{
    rmq_map_free(m, free);
}

static int kv_namespace_from_json(const char *ns, json_t *kvs, rmq_map_t *out, char *err,
                                  size_t errlen)
{
    if (!json_is_object(kvs))
        return rmq_body_err(err, errlen, "KVConfig.configTable[%.64s]: expected an object, got %s",
                            ns, rmq_json_type_name(kvs));
    rmq_map_t *m = rmq_map_new();
    const char *key;
    json_t *v;
    json_object_foreach(kvs, key, v)
    {
        if (json_is_null(v))
            continue;
        char *s = rmq_json_value_strdup(v);
        if (!s) {
            rmq_map_free(m, free);
            return rmq_body_err(err, errlen, "KVConfig.configTable[%.64s][%.64s]: expected a string",
                                ns, key);
        }
        free(rmq_smap_put(m, key, s));
    }
    rmq_smap_put(out, ns, m);
    return 0;
}

int rmq_kv_config_wrapper_decode(const void *p, size_t n, rmq_map_t **namespaces, char *err,
                                 size_t errlen)
{
    static const char ctx[] = "KVConfig";
    *namespaces = NULL;
    json_t *j = rmq_body_parse_object(p, n, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *ct;
    int rc = rmq_json_get_container(j, "configTable", JSON_OBJECT, &ct, ctx, err, errlen);
    rmq_map_t *out = rmq_map_new();
    const char *ns;
    json_t *kvs;
    if (rc == 0 && ct) {
        json_object_foreach(ct, ns, kvs)
        {
            rc = kv_namespace_from_json(ns, kvs, out, err, errlen);
            if (rc != 0)
                break;
        }
    }
    json_decref(j);
    if (rc != 0) {
        rmq_map_free(out, free_namespace);
        return rc;
    }
    *namespaces = out;
    return 0;
}
