#include "remoting/ext_fields.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "base/num.h"
#include "rocketmq/error.h"

void rmq_ext_init(rmq_ext_t *e)
{
    e->kv = NULL;
    e->n = 0;
    e->cap = 0;
}

void rmq_ext_free(rmq_ext_t *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->kv[i].key);
        free(e->kv[i].value);
    }
    free(e->kv);
    rmq_ext_init(e);
}

static rmq_ext_kv_t *find(const rmq_ext_t *e, const char *key, size_t klen)
{
    for (size_t i = 0; i < e->n; i++)
        if (strncmp(e->kv[i].key, key, klen) == 0 && e->kv[i].key[klen] == '\0')
            return &e->kv[i];
    return NULL;
}

const char *rmq_ext_get(const rmq_ext_t *e, const char *key)
{
    rmq_ext_kv_t *kv = find(e, key, strlen(key));
    return kv ? kv->value : NULL;
}

void rmq_ext_setn(rmq_ext_t *e, const char *key, size_t klen, const char *value, size_t vlen)
{
    rmq_ext_kv_t *kv = find(e, key, klen);
    if (kv) {
        free(kv->value);
        kv->value = rmq_strndup(value, vlen);
        return;
    }
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 8;
        e->kv = rmq_realloc(e->kv, e->cap * sizeof(*e->kv));
    }
    e->kv[e->n].key = rmq_strndup(key, klen);
    e->kv[e->n].value = rmq_strndup(value, vlen);
    e->n++;
}

void rmq_ext_set(rmq_ext_t *e, const char *key, const char *value)
{
    rmq_ext_setn(e, key, strlen(key), value, strlen(value));
}

void rmq_ext_set_i64(rmq_ext_t *e, const char *key, int64_t v)
{
    char tmp[RMQ_I64_TEXT_MAX];
    rmq_ext_setn(e, key, strlen(key), tmp, rmq_fmt_i64(tmp, v));
}

void rmq_ext_set_bool(rmq_ext_t *e, const char *key, bool v)
{
    rmq_ext_set(e, key, v ? "true" : "false");
}

bool rmq_ext_del(rmq_ext_t *e, const char *key)
{
    rmq_ext_kv_t *kv = find(e, key, strlen(key));
    if (!kv)
        return false;
    free(kv->key);
    free(kv->value);
    size_t i = (size_t)(kv - e->kv);
    memmove(&e->kv[i], &e->kv[i + 1], (e->n - i - 1) * sizeof(*kv));
    e->n--;
    return true;
}

int rmq_ext_get_i64(const rmq_ext_t *e, const char *key, int64_t *out)
{
    const char *v = rmq_ext_get(e, key);
    if (!v)
        return ROCKETMQ_ERR__NOT_FOUND;
    return rmq_parse_i64(v, out) == 0 ? 0 : ROCKETMQ_ERR__PROTOCOL;
}

int rmq_ext_get_i32(const rmq_ext_t *e, const char *key, int32_t *out)
{
    int64_t v;
    int rc = rmq_ext_get_i64(e, key, &v);
    if (rc)
        return rc;
    if (v < INT32_MIN || v > INT32_MAX)
        return ROCKETMQ_ERR__PROTOCOL;
    *out = (int32_t)v;
    return 0;
}

int rmq_ext_get_bool(const rmq_ext_t *e, const char *key, bool *out)
{
    const char *v = rmq_ext_get(e, key);
    if (!v)
        return ROCKETMQ_ERR__NOT_FOUND;
    /* Boolean.parseBoolean: "true" in any case, everything else is false. */
    *out = strcasecmp(v, "true") == 0;
    return 0;
}
