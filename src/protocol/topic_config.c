/* TopicConfig, TopicConfigSerializeWrapper and the JSON form of
 * RegisterBrokerBody (protocol.md 5.7, 5.8).  The compressed form of the
 * register body is in register_compressed.c. */
#include "protocol/bodies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "protocol/bodies_int.h"
#include "rocketmq/error.h"

void rmq_topic_config_init(rmq_topic_config_t *tc, const char *name)
{
    memset(tc, 0, sizeof(*tc));
    tc->topic_name = name ? rmq_strdup(name) : NULL;
    tc->read_queue_nums = 16;
    tc->write_queue_nums = 16;
    tc->perm = RMQ_PERM_READ | RMQ_PERM_WRITE;
    tc->topic_filter_type = rmq_strdup("SINGLE_TAG");
    tc->topic_sys_flag = 0;
    tc->order = false;
}

void rmq_topic_config_free(rmq_topic_config_t *tc)
{
    if (!tc)
        return;
    free(tc->topic_name);
    free(tc->topic_filter_type);
    memset(tc, 0, sizeof(*tc));
}

static void topic_config_copy(rmq_topic_config_t *dst, const rmq_topic_config_t *src)
{
    *dst = *src;
    dst->topic_name = src->topic_name ? rmq_strdup(src->topic_name) : NULL;
    dst->topic_filter_type = src->topic_filter_type ? rmq_strdup(src->topic_filter_type) : NULL;
}

static json_t *topic_config_to_json(const rmq_topic_config_t *tc)
{
    json_t *j = json_object();
    json_object_set_new(j, "order", json_boolean(tc->order));
    json_object_set_new(j, "perm", json_integer(tc->perm));
    json_object_set_new(j, "readQueueNums", json_integer(tc->read_queue_nums));
    if (tc->topic_filter_type)
        json_object_set_new(j, "topicFilterType", rmq_json_string(tc->topic_filter_type));
    if (tc->topic_name)
        json_object_set_new(j, "topicName", rmq_json_string(tc->topic_name));
    json_object_set_new(j, "topicSysFlag", json_integer(tc->topic_sys_flag));
    json_object_set_new(j, "writeQueueNums", json_integer(tc->write_queue_nums));
    return j;
}

/* TopicFilterType is a Java enum: fastjson writes the name, the C++ client
 * the ordinal; anything else would make Java's valueOf throw. */
static int filter_type_from_json(const json_t *v, char **out, const char *ctx, char *err,
                                 size_t errlen)
{
    static const char *const names[] = {"SINGLE_TAG", "MULTI_TAG"};
    if (!v || json_is_null(v))
        return 0; /* keep the default */
    if (json_is_string(v)) {
        for (size_t i = 0; i < 2; i++) {
            if (strcmp(json_string_value(v), names[i]) == 0) {
                free(*out);
                *out = rmq_strdup(names[i]);
                return 0;
            }
        }
        return rmq_body_err(err, errlen, "%s.topicFilterType: unknown value", ctx);
    }
    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 1) {
        free(*out);
        *out = rmq_strdup(names[json_integer_value(v)]);
        return 0;
    }
    return rmq_body_err(err, errlen, "%s.topicFilterType: expected a string, got %s", ctx,
                        rmq_json_type_name(v));
}

/* key is the topicConfigTable key, used when the value lacks topicName. */
static int topic_config_from_json(const json_t *j, const char *key, rmq_topic_config_t *tc,
                                  const char *ctx, char *err, size_t errlen)
{
    rmq_topic_config_init(tc, NULL);
    if (!json_is_object(j)) {
        return rmq_body_err(err, errlen, "%s: expected an object, got %s", ctx,
                            rmq_json_type_name(j));
    }
    int rc;
    if ((rc = rmq_json_get_str(j, "topicName", &tc->topic_name, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_i32(j, "readQueueNums", 16, &tc->read_queue_nums, ctx, err,
                                  errlen)) != 0
        || (rc = rmq_json_get_i32(j, "writeQueueNums", 16, &tc->write_queue_nums, ctx, err,
                                  errlen)) != 0
        || (rc = rmq_json_get_i32(j, "perm", 6, &tc->perm, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_i32(j, "topicSysFlag", 0, &tc->topic_sys_flag, ctx, err, errlen))
               != 0
        || (rc = rmq_json_get_bool(j, "order", false, &tc->order, ctx, err, errlen)) != 0
        || (rc = filter_type_from_json(json_object_get(j, "topicFilterType"),
                                       &tc->topic_filter_type, ctx, err, errlen)) != 0)
        return rc;
    if (!tc->topic_name)
        tc->topic_name = rmq_strdup(key);
    return 0;
}

void rmq_register_broker_body_free(rmq_register_broker_body_t *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->ntopics; i++)
        rmq_topic_config_free(&b->topics[i]);
    free(b->topics);
    rmq_str_array_free(b->filter_servers, b->nfilter_servers);
    memset(b, 0, sizeof(*b));
}

void rmq_register_broker_body_add_topic(rmq_register_broker_body_t *b, const rmq_topic_config_t *tc)
{
    b->topics = rmq_realloc(b->topics, (b->ntopics + 1) * sizeof(*b->topics));
    topic_config_copy(&b->topics[b->ntopics++], tc);
}

static json_t *wrapper_to_json(const rmq_register_broker_body_t *b)
{
    json_t *table = json_object();
    for (size_t i = 0; i < b->ntopics; i++) {
        const rmq_topic_config_t *tc = &b->topics[i];
        rmq_json_set(table, tc->topic_name ? tc->topic_name : "", topic_config_to_json(tc));
    }
    json_t *w = json_object();
    json_object_set_new(w, "dataVersion", rmq_data_version_to_json(&b->data_version));
    json_object_set_new(w, "topicConfigTable", table);
    return w;
}

/* The broker's topics.json is this wrapper alone; filter_servers is not part of it. */
void rmq_topic_config_wrapper_encode(const rmq_register_broker_body_t *b, rmq_buf_t *out)
{
    json_t *w = wrapper_to_json(b);
    rmq_json_dump_append(w, out);
    json_decref(w);
}

void rmq_register_broker_body_encode(const rmq_register_broker_body_t *b, rmq_buf_t *out)
{
    json_t *j = json_object();
    json_object_set_new(j, "filterServerList",
                        rmq_json_str_array_new(b->filter_servers, b->nfilter_servers));
    json_object_set_new(j, "topicConfigSerializeWrapper", wrapper_to_json(b));
    rmq_json_dump_append(j, out);
    json_decref(j);
}

/* Fills b (already zeroed) from a TopicConfigSerializeWrapper object. */
static int wrapper_from_json(const json_t *w, rmq_register_broker_body_t *b, const char *ctx,
                             char *err, size_t errlen)
{
    json_t *dv, *table;
    int rc;
    if ((rc = rmq_json_get_container(w, "dataVersion", JSON_OBJECT, &dv, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_container(w, "topicConfigTable", JSON_OBJECT, &table, ctx, err,
                                        errlen)) != 0)
        return rc;
    if (dv && (rc = rmq_data_version_from_json(dv, &b->data_version, err, errlen)) != 0)
        return rc;
    size_t n = json_object_size(table);
    if (n == 0)
        return 0;
    b->topics = rmq_calloc(n, sizeof(*b->topics));
    const char *key;
    json_t *v;
    json_object_foreach(table, key, v)
    {
        char tctx[96];
        snprintf(tctx, sizeof(tctx), "%s.topicConfigTable[%zu]", ctx, b->ntopics);
        /* Counted before the check so that a half-filled entry is freed too. */
        rmq_topic_config_t *tc = &b->topics[b->ntopics++];
        if ((rc = topic_config_from_json(v, key, tc, tctx, err, errlen)) != 0)
            return rc;
    }
    return 0;
}

static int decode_json_body(const void *p, size_t n, rmq_register_broker_body_t *b, bool bare,
                            char *err, size_t errlen)
{
    const char *ctx = bare ? "TopicConfigSerializeWrapper" : "RegisterBrokerBody";
    memset(b, 0, sizeof(*b));
    json_t *j = rmq_body_parse_object(p, n, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    int rc = 0;
    if (bare) {
        rc = wrapper_from_json(j, b, ctx, err, errlen);
    } else {
        json_t *fsl, *w;
        if ((rc = rmq_json_get_container(j, "filterServerList", JSON_ARRAY, &fsl, ctx, err,
                                         errlen)) == 0
            && (rc = rmq_json_get_container(j, "topicConfigSerializeWrapper", JSON_OBJECT, &w,
                                            ctx, err, errlen)) == 0
            && (rc = rmq_json_str_array(fsl, &b->filter_servers, &b->nfilter_servers,
                                        "RegisterBrokerBody.filterServerList", err, errlen))
                   == 0
            && w)
            rc = wrapper_from_json(w, b, "RegisterBrokerBody.topicConfigSerializeWrapper", err,
                                   errlen);
    }
    json_decref(j);
    if (rc != 0)
        rmq_register_broker_body_free(b);
    return rc;
}

int rmq_register_broker_body_decode(const void *p, size_t n, rmq_register_broker_body_t *b,
                                    char *err, size_t errlen)
{
    return decode_json_body(p, n, b, false, err, errlen);
}

int rmq_topic_config_wrapper_decode(const void *p, size_t n, rmq_register_broker_body_t *b,
                                    char *err, size_t errlen)
{
    return decode_json_body(p, n, b, true, err, errlen);
}
