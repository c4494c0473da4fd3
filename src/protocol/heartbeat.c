/* Client-management and admin bodies and headers (see heartbeat.h). */
#include "protocol/heartbeat.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "protocol/bodies_int.h"
#include "remoting/command.h"
#include "rocketmq/error.h"

/* ---- enums ---- */

static const char *const g_consume_types[] = {"CONSUME_ACTIVELY", "CONSUME_PASSIVELY",
                                              "CONSUME_POP"};
static const char *const g_message_models[] = {"BROADCASTING", "CLUSTERING"};
static const char *const g_consume_from[] = {
    "CONSUME_FROM_LAST_OFFSET", "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
    "CONSUME_FROM_MIN_OFFSET",  "CONSUME_FROM_MAX_OFFSET",
    "CONSUME_FROM_FIRST_OFFSET", "CONSUME_FROM_TIMESTAMP",
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *enum_name(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t)v < n ? names[v] : NULL;
}

const char *rmq_consume_type_name(int v)
{
    return enum_name(g_consume_types, NELEM(g_consume_types), v);
}

const char *rmq_message_model_name(int v)
{
    return enum_name(g_message_models, NELEM(g_message_models), v);
}

const char *rmq_consume_from_where_name(int v)
{
    return enum_name(g_consume_from, NELEM(g_consume_from), v);
}

/* Java writes enum names, the C++ client ordinals (sometimes as strings).
 * An unknown name or ordinal is kept as unset rather than refused: it comes
 * from a newer client, and refusing would drop the whole heartbeat. */
static int get_enum(const json_t *obj, const char *key, const char *const *names, size_t n,
                    int *out, const char *ctx, char *err, size_t errlen)
{
    *out = RMQ_ENUM_UNSET;
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    int64_t ord;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(s, names[i]) == 0) {
                *out = (int)i;
                return 0;
            }
        }
        if (rmq_parse_i64(s, &ord) != 0)
            return 0;
    } else if (rmq_json_value_i64(v, &ord) != 0) {
        return rmq_body_err(err, errlen, "%s.%s: expected an enum name or ordinal, got %s", ctx,
                            key, rmq_json_type_name(v));
    }
    if (ord >= 0 && (uint64_t)ord < n)
        *out = (int)ord;
    return 0;
}

static void set_enum(json_t *obj, const char *key, const char *name)
{
    if (name)
        json_object_set_new(obj, key, json_string(name));
}

/* ---- Java Double.toString ---- */

/* The shortest decimal that reads back as v, as Java prints it: plain
 * digits with at least one decimal in [1e-3, 1e7) ("100.0", "0.001"),
 * computerized scientific notation outside ("1.5E7", "1.0E-5"). */
static void append_shortest(rmq_buf_t *b, double v, bool plain)
{
    char tmp[48];
    int p = 1;
    for (; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    char *e = strchr(tmp, 'e');
    long exp10 = strtol(e + 1, NULL, 10);
    if (plain) {
        /* p significant digits, exp10 of them before the point */
        long decimals = p - 1 - exp10;
        snprintf(tmp, sizeof(tmp), "%.*f", decimals > 0 ? (int)decimals : 0, v);
        rmq_buf_append_str(b, tmp);
        if (!strchr(tmp, '.'))
            rmq_buf_append_str(b, ".0");
        return;
    }
    /* "1.5e+07" -> "1.5E7"; "1e-05" -> "1.0E-5" */
    *e = '\0';
    rmq_buf_append_str(b, tmp);
    if (!strchr(tmp, '.'))
        rmq_buf_append_str(b, ".0");
    rmq_buf_printf(b, "E%ld", exp10);
}

void rmq_buf_append_java_double(rmq_buf_t *b, double v)
{
    if (isnan(v)) {
        rmq_buf_append_str(b, "NaN");
    } else if (isinf(v)) {
        rmq_buf_append_str(b, v > 0 ? "Infinity" : "-Infinity");
    } else if (v == 0) {
        rmq_buf_append_str(b, signbit(v) ? "-0.0" : "0.0");
    } else {
        /* Java switches to computerized scientific notation outside [1e-3, 1e7). */
        double a = v < 0 ? -v : v;
        append_shortest(b, v, a >= 1e-3 && a < 1e7);
    }
}

/* ---- SubscriptionData ---- */

void rmq_subscription_data_free(rmq_subscription_data_t *sd)
{
    if (!sd)
        return;
    free(sd->topic);
    free(sd->sub_string);
    rmq_str_array_free(sd->tags, sd->ntags);
    free(sd->codes);
    free(sd->expression_type);
    memset(sd, 0, sizeof(*sd));
}

static char *dup_or_null(const char *s)
{
    return s ? rmq_strdup(s) : NULL;
}

void rmq_subscription_data_copy(rmq_subscription_data_t *dst, const rmq_subscription_data_t *src)
{
    *dst = *src;
    dst->topic = dup_or_null(src->topic);
    dst->sub_string = dup_or_null(src->sub_string);
    dst->expression_type = dup_or_null(src->expression_type);
    dst->tags = NULL;
    dst->codes = NULL;
    if (src->ntags) {
        dst->tags = rmq_calloc(src->ntags, sizeof(*dst->tags));
        for (size_t i = 0; i < src->ntags; i++)
            dst->tags[i] = rmq_strdup(src->tags[i]);
    }
    if (src->ncodes) {
        dst->codes = rmq_calloc(src->ncodes, sizeof(*dst->codes));
        memcpy(dst->codes, src->codes, src->ncodes * sizeof(*dst->codes));
    }
}

json_t *rmq_subscription_data_to_json(const rmq_subscription_data_t *sd)
{
    json_t *j = json_object();
    json_object_set_new(j, "classFilterMode", json_boolean(sd->class_filter_mode));
    json_t *codes = json_array();
    for (size_t i = 0; i < sd->ncodes; i++)
        json_array_append_new(codes, json_integer(sd->codes[i]));
    json_object_set_new(j, "codeSet", codes);
    if (sd->expression_type)
        json_object_set_new(j, "expressionType", rmq_json_string(sd->expression_type));
    if (sd->sub_string)
        json_object_set_new(j, "subString", rmq_json_string(sd->sub_string));
    json_object_set_new(j, "subVersion", json_integer(sd->sub_version));
    json_object_set_new(j, "tagsSet", rmq_json_str_array_new(sd->tags, sd->ntags));
    if (sd->topic)
        json_object_set_new(j, "topic", rmq_json_string(sd->topic));
    return j;
}

static int codes_from_json(const json_t *arr, rmq_subscription_data_t *sd, const char *ctx,
                           char *err, size_t errlen)
{
    size_t count = json_array_size(arr);
    if (count == 0)
        return 0;
    sd->codes = rmq_calloc(count, sizeof(*sd->codes));
    for (size_t i = 0; i < count; i++) {
        const json_t *v = json_array_get(arr, i);
        int64_t c;
        if (json_is_null(v))
            continue;
        if (rmq_json_value_i64(v, &c) != 0 || c < INT32_MIN || c > INT32_MAX)
            return rmq_body_err(err, errlen, "%s.codeSet[%zu]: expected an int, got %s", ctx, i,
                                rmq_json_type_name(v));
        sd->codes[sd->ncodes++] = (int32_t)c;
    }
    return 0;
}

static int sub_from_json(const json_t *j, rmq_subscription_data_t *sd, const char *ctx, char *err,
                         size_t errlen)
{
    memset(sd, 0, sizeof(*sd));
    if (!json_is_object(j))
        return rmq_body_err(err, errlen, "%s: expected an object, got %s", ctx,
                            rmq_json_type_name(j));
    json_t *tags = NULL, *codes = NULL;
    char tctx[160];
    snprintf(tctx, sizeof(tctx), "%s.tagsSet", ctx);
    int rc;
    if ((rc = rmq_json_get_str(j, "topic", &sd->topic, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_str(j, "subString", &sd->sub_string, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_str(j, "expressionType", &sd->expression_type, ctx, err, errlen))
               != 0
        || (rc = rmq_json_get_bool(j, "classFilterMode", false, &sd->class_filter_mode, ctx, err,
                                   errlen)) != 0
        || (rc = rmq_json_get_i64(j, "subVersion", 0, &sd->sub_version, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_container(j, "tagsSet", JSON_ARRAY, &tags, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_container(j, "codeSet", JSON_ARRAY, &codes, ctx, err, errlen)) != 0
        || (rc = rmq_json_str_array(tags, &sd->tags, &sd->ntags, tctx, err, errlen)) != 0
        || (rc = codes_from_json(codes, sd, ctx, err, errlen)) != 0) {
        rmq_subscription_data_free(sd);
        return rc;
    }
    /* The C++ client does not send it; SubscriptionData's default. */
    if (!sd->expression_type)
        sd->expression_type = rmq_strdup("TAG");
    return 0;
}

int rmq_subscription_data_from_json(const json_t *j, rmq_subscription_data_t *sd, char *err,
                                    size_t errlen)
{
    return sub_from_json(j, sd, "SubscriptionData", err, errlen);
}

static void subs_free(rmq_subscription_data_t *subs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rmq_subscription_data_free(&subs[i]);
    free(subs);
}

/* ---- HeartbeatData ---- */

void rmq_consumer_data_free(rmq_consumer_data_t *cd)
{
    free(cd->group_name);
    subs_free(cd->subs, cd->nsubs);
    memset(cd, 0, sizeof(*cd));
}

void rmq_heartbeat_data_free(rmq_heartbeat_data_t *hb)
{
    if (!hb)
        return;
    free(hb->client_id);
    for (size_t i = 0; i < hb->nconsumers; i++)
        rmq_consumer_data_free(&hb->consumers[i]);
    free(hb->consumers);
    rmq_str_array_free(hb->producer_groups, hb->nproducers);
    memset(hb, 0, sizeof(*hb));
}

void rmq_heartbeat_data_encode(const rmq_heartbeat_data_t *hb, rmq_buf_t *out)
{
    json_t *j = json_object();
    if (hb->client_id)
        json_object_set_new(j, "clientID", rmq_json_string(hb->client_id));
    json_t *consumers = json_array();
    for (size_t i = 0; i < hb->nconsumers; i++) {
        const rmq_consumer_data_t *cd = &hb->consumers[i];
        json_t *c = json_object();
        set_enum(c, "consumeFromWhere", rmq_consume_from_where_name(cd->consume_from_where));
        set_enum(c, "consumeType", rmq_consume_type_name(cd->consume_type));
        if (cd->group_name)
            json_object_set_new(c, "groupName", rmq_json_string(cd->group_name));
        set_enum(c, "messageModel", rmq_message_model_name(cd->message_model));
        json_t *subs = json_array();
        for (size_t k = 0; k < cd->nsubs; k++)
            json_array_append_new(subs, rmq_subscription_data_to_json(&cd->subs[k]));
        json_object_set_new(c, "subscriptionDataSet", subs);
        json_object_set_new(c, "unitMode", json_boolean(cd->unit_mode));
        json_array_append_new(consumers, c);
    }
    json_object_set_new(j, "consumerDataSet", consumers);
    json_t *producers = json_array();
    for (size_t i = 0; i < hb->nproducers; i++) {
        json_t *p = json_object();
        json_object_set_new(p, "groupName", rmq_json_string(hb->producer_groups[i]));
        json_array_append_new(producers, p);
    }
    json_object_set_new(j, "producerDataSet", producers);
    rmq_json_dump_append(j, out);
    json_decref(j);
}

static int consumer_data_from_json(const json_t *j, rmq_consumer_data_t *cd, const char *ctx,
                                   char *err, size_t errlen)
{
    memset(cd, 0, sizeof(*cd));
    cd->consume_type = cd->message_model = cd->consume_from_where = RMQ_ENUM_UNSET;
    if (!json_is_object(j))
        return rmq_body_err(err, errlen, "%s: expected an object, got %s", ctx,
                            rmq_json_type_name(j));
    json_t *subs = NULL;
    int rc;
    if ((rc = rmq_json_get_str(j, "groupName", &cd->group_name, ctx, err, errlen)) != 0
        || (rc = get_enum(j, "consumeType", g_consume_types, NELEM(g_consume_types),
                          &cd->consume_type, ctx, err, errlen)) != 0
        || (rc = get_enum(j, "messageModel", g_message_models, NELEM(g_message_models),
                          &cd->message_model, ctx, err, errlen)) != 0
        || (rc = get_enum(j, "consumeFromWhere", g_consume_from, NELEM(g_consume_from),
                          &cd->consume_from_where, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_bool(j, "unitMode", false, &cd->unit_mode, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_container(j, "subscriptionDataSet", JSON_ARRAY, &subs, ctx, err,
                                        errlen)) != 0)
        goto fail;
    size_t count = json_array_size(subs);
    if (count > 0)
        cd->subs = rmq_calloc(count, sizeof(*cd->subs));
    for (size_t i = 0; i < count; i++) {
        const json_t *v = json_array_get(subs, i);
        if (json_is_null(v))
            continue;
        char sctx[160];
        snprintf(sctx, sizeof(sctx), "%s.subscriptionDataSet[%zu]", ctx, i);
        if ((rc = sub_from_json(v, &cd->subs[cd->nsubs], sctx, err, errlen)) != 0)
            goto fail;
        cd->nsubs++;
    }
    return 0;
fail:
    rmq_consumer_data_free(cd);
    return rc;
}

int rmq_heartbeat_data_decode(const void *p, size_t n, rmq_heartbeat_data_t *hb, char *err,
                              size_t errlen)
{
    static const char ctx[] = "HeartbeatData";
    memset(hb, 0, sizeof(*hb));
    json_t *j = rmq_body_parse_object(p, n, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *consumers = NULL, *producers = NULL;
    int rc;
    if ((rc = rmq_json_get_str(j, "clientID", &hb->client_id, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_container(j, "consumerDataSet", JSON_ARRAY, &consumers, ctx, err,
                                        errlen)) != 0
        || (rc = rmq_json_get_container(j, "producerDataSet", JSON_ARRAY, &producers, ctx, err,
                                        errlen)) != 0)
        goto out;
    size_t count = json_array_size(consumers);
    if (count > 0)
        hb->consumers = rmq_calloc(count, sizeof(*hb->consumers));
    for (size_t i = 0; i < count; i++) {
        const json_t *v = json_array_get(consumers, i);
        if (json_is_null(v))
            continue;
        char cctx[96];
        snprintf(cctx, sizeof(cctx), "%s.consumerDataSet[%zu]", ctx, i);
        rmq_consumer_data_t *cd = &hb->consumers[hb->nconsumers];
        if ((rc = consumer_data_from_json(v, cd, cctx, err, errlen)) != 0)
            goto out;
        if (cd->group_name)
            hb->nconsumers++;
        else
            rmq_consumer_data_free(cd);
    }
    count = json_array_size(producers);
    if (count > 0)
        hb->producer_groups = rmq_calloc(count, sizeof(*hb->producer_groups));
    for (size_t i = 0; i < count; i++) {
        const json_t *v = json_array_get(producers, i);
        if (json_is_null(v))
            continue;
        char pctx[96];
        snprintf(pctx, sizeof(pctx), "%s.producerDataSet[%zu]", ctx, i);
        if (!json_is_object(v)) {
            rc = rmq_body_err(err, errlen, "%s: expected an object, got %s", pctx,
                              rmq_json_type_name(v));
            goto out;
        }
        char *g;
        if ((rc = rmq_json_get_str(v, "groupName", &g, pctx, err, errlen)) != 0)
            goto out;
        if (g)
            hb->producer_groups[hb->nproducers++] = g;
    }
out:
    json_decref(j);
    if (rc != 0)
        rmq_heartbeat_data_free(hb);
    return rc;
}

/* ---- GetConsumerListByGroupResponseBody ---- */

void rmq_consumer_id_list_encode(char *const *ids, size_t n, rmq_buf_t *out)
{
    json_t *j = json_object();
    json_object_set_new(j, "consumerIdList", rmq_json_str_array_new(ids, n));
    rmq_json_dump_append(j, out);
    json_decref(j);
}

int rmq_consumer_id_list_decode(const void *p, size_t len, char ***ids, size_t *n, char *err,
                                size_t errlen)
{
    static const char ctx[] = "GetConsumerListByGroupResponseBody";
    *ids = NULL;
    *n = 0;
    json_t *j = rmq_body_parse_object(p, len, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *list;
    int rc = rmq_json_get_container(j, "consumerIdList", JSON_ARRAY, &list, ctx, err, errlen);
    if (rc == 0)
        rc = rmq_json_str_array(list, ids, n, "GetConsumerListByGroupResponseBody.consumerIdList",
                                err, errlen);
    json_decref(j);
    return rc;
}

/* ---- Connection / ConsumerConnection / ProducerConnection ---- */

static void conns_free(rmq_connection_t *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].client_id);
        free(c[i].client_addr);
    }
    free(c);
}

static json_t *conns_to_json(const rmq_connection_t *c, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        if (c[i].client_addr)
            json_object_set_new(o, "clientAddr", rmq_json_string(c[i].client_addr));
        if (c[i].client_id)
            json_object_set_new(o, "clientId", rmq_json_string(c[i].client_id));
        json_object_set_new(o, "language", json_string(rmq_language_name(c[i].language)));
        json_object_set_new(o, "version", json_integer(c[i].version));
        json_array_append_new(arr, o);
    }
    return arr;
}

static int language_from_json(const json_t *o, int *out, const char *ctx, char *err,
                              size_t errlen)
{
    const json_t *v = json_object_get(o, "language");
    int64_t ord;
    *out = RMQ_LANG_OTHER;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        int l = rmq_language_from_name(json_string_value(v), json_string_length(v));
        if (l >= 0)
            *out = l;
        return 0;
    }
    if (rmq_json_value_i64(v, &ord) != 0)
        return rmq_body_err(err, errlen, "%s.language: expected a name, got %s", ctx,
                            rmq_json_type_name(v));
    if (ord >= 0 && ord <= RMQ_LANG_NODE_JS)
        *out = (int)ord;
    return 0;
}

static int conns_from_json(const json_t *arr, rmq_connection_t **out, size_t *nout,
                           const char *ctx, char *err, size_t errlen)
{
    *out = NULL;
    *nout = 0;
    size_t count = json_array_size(arr);
    if (count == 0)
        return 0;
    rmq_connection_t *c = rmq_calloc(count, sizeof(*c));
    size_t k = 0;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const json_t *v = json_array_get(arr, i);
        if (json_is_null(v))
            continue;
        char cctx[128];
        snprintf(cctx, sizeof(cctx), "%s.connectionSet[%zu]", ctx, i);
        if (!json_is_object(v)) {
            rc = rmq_body_err(err, errlen, "%s: expected an object, got %s", cctx,
                              rmq_json_type_name(v));
            break;
        }
        rmq_connection_t *e = &c[k++];
        if ((rc = rmq_json_get_str(v, "clientId", &e->client_id, cctx, err, errlen)) == 0
            && (rc = rmq_json_get_str(v, "clientAddr", &e->client_addr, cctx, err, errlen)) == 0
            && (rc = language_from_json(v, &e->language, cctx, err, errlen)) == 0)
            rc = rmq_json_get_i32(v, "version", 0, &e->version, cctx, err, errlen);
    }
    if (rc != 0) {
        conns_free(c, k);
        return rc;
    }
    *out = c;
    *nout = k;
    return 0;
}

void rmq_consumer_connection_free(rmq_consumer_connection_t *cc)
{
    if (!cc)
        return;
    conns_free(cc->conns, cc->nconns);
    subs_free(cc->subs, cc->nsubs);
    memset(cc, 0, sizeof(*cc));
}

void rmq_consumer_connection_encode(const rmq_consumer_connection_t *cc, rmq_buf_t *out)
{
    json_t *j = json_object();
    json_object_set_new(j, "connectionSet", conns_to_json(cc->conns, cc->nconns));
    set_enum(j, "consumeFromWhere", rmq_consume_from_where_name(cc->consume_from_where));
    set_enum(j, "consumeType", rmq_consume_type_name(cc->consume_type));
    set_enum(j, "messageModel", rmq_message_model_name(cc->message_model));
    json_t *table = json_object();
    for (size_t i = 0; i < cc->nsubs; i++) {
        const rmq_subscription_data_t *sd = &cc->subs[i];
        rmq_json_set(table, sd->topic ? sd->topic : "", rmq_subscription_data_to_json(sd));
    }
    json_object_set_new(j, "subscriptionTable", table);
    rmq_json_dump_append(j, out);
    json_decref(j);
}

int rmq_consumer_connection_decode(const void *p, size_t n, rmq_consumer_connection_t *cc,
                                   char *err, size_t errlen)
{
    static const char ctx[] = "ConsumerConnection";
    memset(cc, 0, sizeof(*cc));
    cc->consume_type = cc->message_model = cc->consume_from_where = RMQ_ENUM_UNSET;
    json_t *j = rmq_body_parse_object(p, n, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *conns = NULL, *table = NULL;
    int rc;
    if ((rc = rmq_json_get_container(j, "connectionSet", JSON_ARRAY, &conns, ctx, err, errlen))
            != 0
        || (rc = rmq_json_get_container(j, "subscriptionTable", JSON_OBJECT, &table, ctx, err,
                                        errlen)) != 0
        || (rc = get_enum(j, "consumeType", g_consume_types, NELEM(g_consume_types),
                          &cc->consume_type, ctx, err, errlen)) != 0
        || (rc = get_enum(j, "messageModel", g_message_models, NELEM(g_message_models),
                          &cc->message_model, ctx, err, errlen)) != 0
        || (rc = get_enum(j, "consumeFromWhere", g_consume_from, NELEM(g_consume_from),
                          &cc->consume_from_where, ctx, err, errlen)) != 0
        || (rc = conns_from_json(conns, &cc->conns, &cc->nconns, ctx, err, errlen)) != 0)
        goto out;
    size_t count = json_object_size(table);
    if (count > 0)
        cc->subs = rmq_calloc(count, sizeof(*cc->subs));
    const char *key;
    json_t *v;
    json_object_foreach(table, key, v)
    {
        if (json_is_null(v))
            continue;
        char sctx[128];
        snprintf(sctx, sizeof(sctx), "%s.subscriptionTable[%.64s]", ctx, key);
        rmq_subscription_data_t *sd = &cc->subs[cc->nsubs];
        if ((rc = sub_from_json(v, sd, sctx, err, errlen)) != 0)
            break;
        cc->nsubs++;
        if (!sd->topic)
            sd->topic = rmq_strdup(key);
    }
out:
    json_decref(j);
    if (rc != 0)
        rmq_consumer_connection_free(cc);
    return rc;
}

void rmq_producer_connection_free(rmq_producer_connection_t *pc)
{
    if (!pc)
        return;
    conns_free(pc->conns, pc->nconns);
    memset(pc, 0, sizeof(*pc));
}

void rmq_producer_connection_encode(const rmq_producer_connection_t *pc, rmq_buf_t *out)
{
    json_t *j = json_object();
    json_object_set_new(j, "connectionSet", conns_to_json(pc->conns, pc->nconns));
    rmq_json_dump_append(j, out);
    json_decref(j);
}

int rmq_producer_connection_decode(const void *p, size_t n, rmq_producer_connection_t *pc,
                                   char *err, size_t errlen)
{
    static const char ctx[] = "ProducerConnection";
    memset(pc, 0, sizeof(*pc));
    json_t *j = rmq_body_parse_object(p, n, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *conns;
    int rc = rmq_json_get_container(j, "connectionSet", JSON_ARRAY, &conns, ctx, err, errlen);
    if (rc == 0)
        rc = conns_from_json(conns, &pc->conns, &pc->nconns, ctx, err, errlen);
    json_decref(j);
    return rc;
}

/* ---- MessageQueue ---- */

static int str_cmp_null(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

int rmq_message_queue_cmp(const rmq_message_queue_t *a, const rmq_message_queue_t *b)
{
    int c = str_cmp_null(a->topic, b->topic);
    if (c == 0)
        c = str_cmp_null(a->broker_name, b->broker_name);
    if (c == 0)
        c = (a->queue_id > b->queue_id) - (a->queue_id < b->queue_id);
    return c;
}

json_t *rmq_message_queue_to_json(const rmq_message_queue_t *mq)
{
    json_t *j = json_object();
    if (mq->broker_name)
        json_object_set_new(j, "brokerName", rmq_json_string(mq->broker_name));
    json_object_set_new(j, "queueId", json_integer(mq->queue_id));
    if (mq->topic)
        json_object_set_new(j, "topic", rmq_json_string(mq->topic));
    return j;
}

static int mq_from_json(const json_t *j, rmq_message_queue_t *mq, const char *ctx, char *err,
                        size_t errlen)
{
    memset(mq, 0, sizeof(*mq));
    if (!json_is_object(j))
        return rmq_body_err(err, errlen, "%s: expected an object, got %s", ctx,
                            rmq_json_type_name(j));
    int rc;
    if ((rc = rmq_json_get_str(j, "topic", &mq->topic, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_str(j, "brokerName", &mq->broker_name, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_i32(j, "queueId", 0, &mq->queue_id, ctx, err, errlen)) != 0)
        rmq_message_queue_free(mq);
    return rc;
}

int rmq_message_queue_from_json(const json_t *j, rmq_message_queue_t *mq, char *err,
                                size_t errlen)
{
    return mq_from_json(j, mq, "MessageQueue", err, errlen);
}

void rmq_message_queue_free(rmq_message_queue_t *mq)
{
    if (!mq)
        return;
    free(mq->topic);
    free(mq->broker_name);
    memset(mq, 0, sizeof(*mq));
}

void rmq_message_queues_free(rmq_message_queue_t *mqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rmq_message_queue_free(&mqs[i]);
    free(mqs);
}

static int mq_qsort_cmp(const void *a, const void *b)
{
    return rmq_message_queue_cmp(a, b);
}

static json_t *mq_array_json(const rmq_message_queue_t *mqs, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, rmq_message_queue_to_json(&mqs[i]));
    return arr;
}

/* A JSON array of MessageQueue into a sorted set without duplicates. */
static int mq_set_from_json(const json_t *arr, rmq_message_queue_t **out, size_t *nout,
                            const char *ctx, char *err, size_t errlen)
{
    *out = NULL;
    *nout = 0;
    size_t count = json_array_size(arr);
    if (count == 0)
        return 0;
    rmq_message_queue_t *mqs = rmq_calloc(count, sizeof(*mqs));
    size_t k = 0;
    for (size_t i = 0; i < count; i++) {
        const json_t *v = json_array_get(arr, i);
        if (json_is_null(v))
            continue;
        char mctx[128];
        snprintf(mctx, sizeof(mctx), "%s[%zu]", ctx, i);
        int rc = mq_from_json(v, &mqs[k], mctx, err, errlen);
        if (rc != 0) {
            rmq_message_queues_free(mqs, k);
            return rc;
        }
        k++;
    }
    qsort(mqs, k, sizeof(*mqs), mq_qsort_cmp);
    size_t u = 0;
    for (size_t i = 0; i < k; i++) {
        if (u > 0 && rmq_message_queue_cmp(&mqs[u - 1], &mqs[i]) == 0)
            rmq_message_queue_free(&mqs[i]);
        else
            mqs[u++] = mqs[i];
    }
    if (u == 0) {
        free(mqs);
        return 0;
    }
    *out = mqs;
    *nout = u;
    return 0;
}

void rmq_lock_batch_req_free(rmq_lock_batch_req_t *r)
{
    if (!r)
        return;
    free(r->consumer_group);
    free(r->client_id);
    rmq_message_queues_free(r->mqs, r->nmqs);
    memset(r, 0, sizeof(*r));
}

void rmq_lock_batch_req_encode(const rmq_lock_batch_req_t *r, rmq_buf_t *out)
{
    json_t *j = json_object();
    if (r->client_id)
        json_object_set_new(j, "clientId", rmq_json_string(r->client_id));
    if (r->consumer_group)
        json_object_set_new(j, "consumerGroup", rmq_json_string(r->consumer_group));
    json_object_set_new(j, "mqSet", mq_array_json(r->mqs, r->nmqs));
    rmq_json_dump_append(j, out);
    json_decref(j);
}

int rmq_lock_batch_req_decode(const void *p, size_t n, rmq_lock_batch_req_t *r, char *err,
                              size_t errlen)
{
    static const char ctx[] = "LockBatchRequestBody";
    memset(r, 0, sizeof(*r));
    json_t *j = rmq_body_parse_object(p, n, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *set;
    int rc;
    if ((rc = rmq_json_get_str(j, "consumerGroup", &r->consumer_group, ctx, err, errlen)) == 0
        && (rc = rmq_json_get_str(j, "clientId", &r->client_id, ctx, err, errlen)) == 0
        && (rc = rmq_json_get_container(j, "mqSet", JSON_ARRAY, &set, ctx, err, errlen)) == 0)
        rc = mq_set_from_json(set, &r->mqs, &r->nmqs, "LockBatchRequestBody.mqSet", err, errlen);
    json_decref(j);
    if (rc != 0)
        rmq_lock_batch_req_free(r);
    return rc;
}

void rmq_lock_batch_resp_encode(const rmq_message_queue_t *mqs, size_t n, rmq_buf_t *out)
{
    json_t *j = json_object();
    json_object_set_new(j, "lockOKMQSet", mq_array_json(mqs, n));
    rmq_json_dump_append(j, out);
    json_decref(j);
}

int rmq_lock_batch_resp_decode(const void *p, size_t len, rmq_message_queue_t **mqs, size_t *n,
                               char *err, size_t errlen)
{
    static const char ctx[] = "LockBatchResponseBody";
    *mqs = NULL;
    *n = 0;
    json_t *j = rmq_body_parse_object(p, len, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *set;
    int rc = rmq_json_get_container(j, "lockOKMQSet", JSON_ARRAY, &set, ctx, err, errlen);
    if (rc == 0)
        rc = mq_set_from_json(set, mqs, n, "LockBatchResponseBody.lockOKMQSet", err, errlen);
    json_decref(j);
    return rc;
}

/* ---- maps keyed by MessageQueue ---- */

/* Writes {"brokerName":..,"queueId":..,"topic":..} as a key. */
static void append_mq_key(rmq_buf_t *out, const rmq_message_queue_t *mq)
{
    json_t *k = rmq_message_queue_to_json(mq);
    rmq_json_dump_append(k, out);
    json_decref(k);
}

/* Indexes of n elements of size sz at base, sorted by their leading
 * MessageQueue (both entry structs start with one). */
static size_t *sorted_by_mq(const void *base, size_t n, size_t sz)
{
    size_t *idx = rmq_calloc(n ? n : 1, sizeof(*idx));
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    /* insertion sort: tables hold a few dozen queues, and qsort cannot carry base */
    for (size_t i = 1; i < n; i++) {
        size_t v = idx[i], k = i;
        const rmq_message_queue_t *mv = (const void *)((const char *)base + v * sz);
        while (k > 0 && rmq_message_queue_cmp((const void *)((const char *)base + idx[k - 1] * sz),
                                              mv) > 0) {
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = v;
    }
    return idx;
}

/* Calls fn for every entry of an {MQ-key: object} table, the MQ parsed from
 * the key (rmq_json_loads made it a string holding compact JSON). */
static int mq_table_foreach(const json_t *table, const char *ctx,
                            int (*fn)(const rmq_message_queue_t *mq, const json_t *v, void *arg,
                                      char *err, size_t errlen),
                            void *arg, char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)table, key, v)
    {
        if (json_is_null(v))
            continue;
        char kctx[160];
        snprintf(kctx, sizeof(kctx), "%s.offsetTable key", ctx);
        json_error_t je;
        json_t *kj = json_loads(key, 0, &je);
        if (!kj)
            return rmq_body_err(err, errlen, "%s: not a MessageQueue: %.64s", kctx, key);
        rmq_message_queue_t mq;
        int rc = mq_from_json(kj, &mq, kctx, err, errlen);
        json_decref(kj);
        if (rc != 0)
            return rc;
        if (!json_is_object(v)) {
            rmq_message_queue_free(&mq);
            return rmq_body_err(err, errlen, "%s.offsetTable[%.64s]: expected an object, got %s",
                                ctx, key, rmq_json_type_name(v));
        }
        rc = fn(&mq, v, arg, err, errlen);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void rmq_topic_stats_free(rmq_topic_stats_t *ts)
{
    if (!ts)
        return;
    for (size_t i = 0; i < ts->n; i++)
        rmq_message_queue_free(&ts->entries[i].mq);
    free(ts->entries);
    memset(ts, 0, sizeof(*ts));
}

void rmq_topic_stats_encode(const rmq_topic_stats_t *ts, rmq_buf_t *out)
{
    size_t *idx = sorted_by_mq(ts->entries, ts->n, sizeof(*ts->entries));
    rmq_buf_append_str(out, "{\"offsetTable\":{");
    for (size_t i = 0; i < ts->n; i++) {
        const rmq_topic_offset_t *e = &ts->entries[idx[i]];
        if (i > 0)
            rmq_buf_append_u8(out, ',');
        append_mq_key(out, &e->mq);
        rmq_buf_printf(out,
                       ":{\"lastUpdateTimestamp\":%" PRId64 ",\"maxOffset\":%" PRId64
                       ",\"minOffset\":%" PRId64 "}",
                       e->last_update_timestamp, e->max_offset, e->min_offset);
    }
    rmq_buf_append_str(out, "}}");
    free(idx);
}

static int topic_offset_add(const rmq_message_queue_t *mq, const json_t *v, void *arg, char *err,
                            size_t errlen)
{
    static const char ctx[] = "TopicStatsTable.offsetTable";
    rmq_topic_stats_t *ts = arg;
    rmq_topic_offset_t *e = &ts->entries[ts->n++];
    e->mq = *mq;
    int rc;
    if ((rc = rmq_json_get_i64(v, "minOffset", 0, &e->min_offset, ctx, err, errlen)) == 0
        && (rc = rmq_json_get_i64(v, "maxOffset", 0, &e->max_offset, ctx, err, errlen)) == 0)
        rc = rmq_json_get_i64(v, "lastUpdateTimestamp", 0, &e->last_update_timestamp, ctx, err,
                              errlen);
    return rc;
}

int rmq_topic_stats_decode(const void *p, size_t n, rmq_topic_stats_t *ts, char *err,
                           size_t errlen)
{
    static const char ctx[] = "TopicStatsTable";
    memset(ts, 0, sizeof(*ts));
    json_t *j = rmq_body_parse_object(p, n, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *table;
    int rc = rmq_json_get_container(j, "offsetTable", JSON_OBJECT, &table, ctx, err, errlen);
    if (rc == 0 && json_object_size(table) > 0) {
        ts->entries = rmq_calloc(json_object_size(table), sizeof(*ts->entries));
        rc = mq_table_foreach(table, ctx, topic_offset_add, ts, err, errlen);
    }
    json_decref(j);
    if (rc != 0)
        rmq_topic_stats_free(ts);
    return rc;
}

void rmq_consume_stats_free(rmq_consume_stats_t *cs)
{
    if (!cs)
        return;
    for (size_t i = 0; i < cs->n; i++)
        rmq_message_queue_free(&cs->entries[i].mq);
    free(cs->entries);
    memset(cs, 0, sizeof(*cs));
}

void rmq_consume_stats_encode(const rmq_consume_stats_t *cs, rmq_buf_t *out)
{
    size_t *idx = sorted_by_mq(cs->entries, cs->n, sizeof(*cs->entries));
    rmq_buf_append_str(out, "{\"consumeTps\":");
    rmq_buf_append_java_double(out, cs->consume_tps);
    rmq_buf_append_str(out, ",\"offsetTable\":{");
    for (size_t i = 0; i < cs->n; i++) {
        const rmq_offset_wrapper_t *e = &cs->entries[idx[i]];
        if (i > 0)
            rmq_buf_append_u8(out, ',');
        append_mq_key(out, &e->mq);
        rmq_buf_printf(out,
                       ":{\"brokerOffset\":%" PRId64 ",\"consumerOffset\":%" PRId64
                       ",\"lastTimestamp\":%" PRId64 "}",
                       e->broker_offset, e->consumer_offset, e->last_timestamp);
    }
    rmq_buf_append_str(out, "}}");
    free(idx);
}

static int offset_wrapper_add(const rmq_message_queue_t *mq, const json_t *v, void *arg,
                              char *err, size_t errlen)
{
    static const char ctx[] = "ConsumeStats.offsetTable";
    rmq_consume_stats_t *cs = arg;
    rmq_offset_wrapper_t *e = &cs->entries[cs->n++];
    e->mq = *mq;
    int rc;
    if ((rc = rmq_json_get_i64(v, "brokerOffset", 0, &e->broker_offset, ctx, err, errlen)) == 0
        && (rc = rmq_json_get_i64(v, "consumerOffset", 0, &e->consumer_offset, ctx, err,
                                  errlen)) == 0)
        rc = rmq_json_get_i64(v, "lastTimestamp", 0, &e->last_timestamp, ctx, err, errlen);
    return rc;
}

int rmq_consume_stats_decode(const void *p, size_t n, rmq_consume_stats_t *cs, char *err,
                             size_t errlen)
{
    static const char ctx[] = "ConsumeStats";
    memset(cs, 0, sizeof(*cs));
    json_t *j = rmq_body_parse_object(p, n, ctx, err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    json_t *table;
    int rc = rmq_json_get_container(j, "offsetTable", JSON_OBJECT, &table, ctx, err, errlen);
    const json_t *tps = json_object_get(j, "consumeTps");
    if (rc == 0 && tps && !json_is_null(tps)) {
        if (json_is_number(tps))
            cs->consume_tps = json_number_value(tps);
        else if (json_is_string(tps))
            cs->consume_tps = strtod(json_string_value(tps), NULL);
        else
            rc = rmq_body_err(err, errlen, "ConsumeStats.consumeTps: expected a number, got %s",
                              rmq_json_type_name(tps));
    }
    if (rc == 0 && json_object_size(table) > 0) {
        cs->entries = rmq_calloc(json_object_size(table), sizeof(*cs->entries));
        rc = mq_table_foreach(table, ctx, offset_wrapper_add, cs, err, errlen);
    }
    json_decref(j);
    if (rc != 0)
        rmq_consume_stats_free(cs);
    return rc;
}

/* ---- headers ---- */

#define S RMQ_HF_STR
#define I32 RMQ_HF_I32
#define I64 RMQ_HF_I64
#define B RMQ_HF_BOOL

static const rmq_header_field_t unregister_client_req[] = {
    RMQ_HF(rmq_unregister_client_req_t, clientID, S, true),
    RMQ_HF(rmq_unregister_client_req_t, producerGroup, S, false),
    RMQ_HF(rmq_unregister_client_req_t, consumerGroup, S, false),
};
const rmq_header_desc_t rmq_unregister_client_req_desc =
    RMQ_HEADER_DESC("UnregisterClientRequestHeader", unregister_client_req);

static const rmq_header_field_t consumer_group_req[] = {
    RMQ_HF(rmq_consumer_group_req_t, consumerGroup, S, true),
};
const rmq_header_desc_t rmq_get_consumer_list_req_desc =
    RMQ_HEADER_DESC("GetConsumerListByGroupRequestHeader", consumer_group_req);
const rmq_header_desc_t rmq_notify_consumer_ids_changed_req_desc =
    RMQ_HEADER_DESC("NotifyConsumerIdsChangedRequestHeader", consumer_group_req);
const rmq_header_desc_t rmq_get_consumer_connection_req_desc =
    RMQ_HEADER_DESC("GetConsumerConnectionListRequestHeader", consumer_group_req);

static const rmq_header_field_t view_message_req[] = {
    RMQ_HF(rmq_view_message_req_t, offset, I64, true),
};
const rmq_header_desc_t rmq_view_message_req_desc =
    RMQ_HEADER_DESC("ViewMessageRequestHeader", view_message_req);

static const rmq_header_field_t query_message_req[] = {
    RMQ_HF(rmq_query_message_req_t, topic, S, true),
    RMQ_HF(rmq_query_message_req_t, key, S, true),
    RMQ_HF(rmq_query_message_req_t, maxNum, I32, true),
    RMQ_HF(rmq_query_message_req_t, beginTimestamp, I64, true),
    RMQ_HF(rmq_query_message_req_t, endTimestamp, I64, true),
};
const rmq_header_desc_t rmq_query_message_req_desc =
    RMQ_HEADER_DESC("QueryMessageRequestHeader", query_message_req);

static const rmq_header_field_t query_message_resp[] = {
    RMQ_HF(rmq_query_message_resp_t, indexLastUpdateTimestamp, I64, true),
    RMQ_HF(rmq_query_message_resp_t, indexLastUpdatePhyoffset, I64, true),
};
const rmq_header_desc_t rmq_query_message_resp_desc =
    RMQ_HEADER_DESC("QueryMessageResponseHeader", query_message_resp);

static const rmq_header_field_t create_topic_req[] = {
    RMQ_HF(rmq_create_topic_req_t, topic, S, true),
    RMQ_HF(rmq_create_topic_req_t, defaultTopic, S, true),
    RMQ_HF(rmq_create_topic_req_t, readQueueNums, I32, true),
    RMQ_HF(rmq_create_topic_req_t, writeQueueNums, I32, true),
    RMQ_HF(rmq_create_topic_req_t, perm, I32, true),
    RMQ_HF(rmq_create_topic_req_t, topicFilterType, S, true),
    RMQ_HF_OPT(rmq_create_topic_req_t, topicSysFlag, I32),
    RMQ_HF(rmq_create_topic_req_t, order, B, true),
};
const rmq_header_desc_t rmq_create_topic_req_desc =
    RMQ_HEADER_DESC("CreateTopicRequestHeader", create_topic_req);

static const rmq_header_field_t topic_req[] = {
    RMQ_HF(rmq_topic_req_t, topic, S, true),
};
const rmq_header_desc_t rmq_delete_topic_req_desc =
    RMQ_HEADER_DESC("DeleteTopicRequestHeader", topic_req);
const rmq_header_desc_t rmq_get_topic_stats_req_desc =
    RMQ_HEADER_DESC("GetTopicStatsInfoRequestHeader", topic_req);

static const rmq_header_field_t get_consume_stats_req[] = {
    RMQ_HF(rmq_get_consume_stats_req_t, consumerGroup, S, true),
    RMQ_HF(rmq_get_consume_stats_req_t, topic, S, false),
};
const rmq_header_desc_t rmq_get_consume_stats_req_desc =
    RMQ_HEADER_DESC("GetConsumeStatsRequestHeader", get_consume_stats_req);

static const rmq_header_field_t producer_group_req[] = {
    RMQ_HF(rmq_producer_group_req_t, producerGroup, S, true),
};
const rmq_header_desc_t rmq_get_producer_connection_req_desc =
    RMQ_HEADER_DESC("GetProducerConnectionListRequestHeader", producer_group_req);

static const rmq_header_field_t delete_subgroup_req[] = {
    RMQ_HF(rmq_delete_subgroup_req_t, groupName, S, true),
    RMQ_HF(rmq_delete_subgroup_req_t, removeOffset, B, false),
};
const rmq_header_desc_t rmq_delete_subgroup_req_desc =
    RMQ_HEADER_DESC("DeleteSubscriptionGroupRequestHeader", delete_subgroup_req);

static const rmq_header_field_t broker_config_resp[] = {
    RMQ_HF(rmq_broker_config_resp_t, version, S, true),
};
const rmq_header_desc_t rmq_broker_config_resp_desc =
    RMQ_HEADER_DESC("GetBrokerConfigResponseHeader", broker_config_resp);
