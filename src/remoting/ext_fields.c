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

/* A heap chunk of the byte pool (the inline bytes come first). */
struct rmq_ext_chunk {
    rmq_ext_chunk_t *next;
    char data[];
};

#define CHUNK_MIN 1024

void rmq_ext_init(rmq_ext_t *e)
{
    e->kv = e->inline_kv;
    e->n = 0;
    e->cap = RMQ_EXT_INLINE_KV;
    e->pool = e->inline_bytes;
    e->pool_left = sizeof(e->inline_bytes);
    e->chunks = NULL;
    e->key_classes = 0;
}

static uint64_t key_class(const char *key, size_t klen)
{
    unsigned first = klen ? (unsigned char)key[0] : 0; /* a slice's "" has no byte */
    return 1ULL << ((first + klen * 7) & 63);
}

void rmq_ext_free(rmq_ext_t *e)
{
    if (e->kv != e->inline_kv)
        free(e->kv);
    while (e->chunks) {
        rmq_ext_chunk_t *c = e->chunks;
        e->chunks = c->next;
        free(c);
    }
    rmq_ext_init(e);
}

/* n bytes from the pool; a new chunk when the current one is short (the
 * rest of the old one is left unused). */
static char *pool_take(rmq_ext_t *e, size_t n)
{
    if (n > e->pool_left) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        rmq_ext_chunk_t *c = rmq_malloc(sizeof(*c) + cap);
        c->next = e->chunks;
        e->chunks = c;
        e->pool = c->data;
        e->pool_left = cap;
    }
    char *p = e->pool;
    e->pool += n;
    e->pool_left -= n;
    return p;
}

static char *pool_strndup(rmq_ext_t *e, const char *s, size_t n)
{
    char *p = pool_take(e, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static bool same_key(const rmq_ext_kv_t *kv, const char *key, size_t klen)
{
    return kv->klen == klen &&
           (klen == 0 || (kv->key[0] == key[0] && memcmp(kv->key + 1, key + 1, klen - 1) == 0));
}

static rmq_ext_kv_t *find(const rmq_ext_t *e, const char *key, size_t klen)
{
    for (size_t i = 0; i < e->n; i++)
        if (same_key(&e->kv[i], key, klen))
            return &e->kv[i];
    return NULL;
}

const char *rmq_ext_get_near(const rmq_ext_t *e, const char *key, size_t klen, size_t *hint)
{
    size_t from = *hint < e->n ? *hint : 0;
    for (size_t k = 0; k < e->n; k++) {
        size_t i = from + k < e->n ? from + k : from + k - e->n;
        if (same_key(&e->kv[i], key, klen)) {
            *hint = i + 1;
            return e->kv[i].value;
        }
    }
    return NULL;
}

const char *rmq_ext_get(const rmq_ext_t *e, const char *key)
{
    rmq_ext_kv_t *kv = find(e, key, strlen(key));
    return kv ? kv->value : NULL;
}

void rmq_ext_setn(rmq_ext_t *e, const char *key, size_t klen, const char *value, size_t vlen)
{
    uint64_t cls = key_class(key, klen);
    rmq_ext_kv_t *kv = e->key_classes & cls ? find(e, key, klen) : NULL;
    e->key_classes |= cls;
    if (kv) {
        kv->value = pool_strndup(e, value, vlen); /* the old bytes stay until free */
        kv->vlen = (uint32_t)vlen;
        return;
    }
    if (e->n == e->cap) {
        size_t cap = e->cap * 2;
        rmq_ext_kv_t *grown = rmq_malloc(cap * sizeof(*grown));
        memcpy(grown, e->kv, e->n * sizeof(*grown));
        if (e->kv != e->inline_kv)
            free(e->kv);
        e->kv = grown;
        e->cap = cap;
    }
    e->kv[e->n].key = pool_strndup(e, key, klen);
    e->kv[e->n].klen = (uint32_t)klen;
    e->kv[e->n].vlen = (uint32_t)vlen;
    e->kv[e->n].value = pool_strndup(e, value, vlen);
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
    size_t i = (size_t)(kv - e->kv);
    memmove(&e->kv[i], &e->kv[i + 1], (e->n - i - 1) * sizeof(*kv));
    e->n--;
    return true;
}

int rmq_ext_parse_i64(const char *v, int64_t *out)
{
    return rmq_parse_i64(v, out) == 0 ? 0 : ROCKETMQ_ERR__PROTOCOL;
}

int rmq_ext_parse_i32(const char *v, int32_t *out)
{
    int64_t x;
    if (rmq_parse_i64(v, &x) != 0 || x < INT32_MIN || x > INT32_MAX)
        return ROCKETMQ_ERR__PROTOCOL;
    *out = (int32_t)x;
    return 0;
}

void rmq_ext_parse_bool(const char *v, bool *out)
{
    /* Boolean.parseBoolean: "true" in any case, everything else is false. */
    *out = strcasecmp(v, "true") == 0;
}

int rmq_ext_get_i64(const rmq_ext_t *e, const char *key, int64_t *out)
{
    const char *v = rmq_ext_get(e, key);
    return v ? rmq_ext_parse_i64(v, out) : ROCKETMQ_ERR__NOT_FOUND;
}

int rmq_ext_get_i32(const rmq_ext_t *e, const char *key, int32_t *out)
{
    const char *v = rmq_ext_get(e, key);
    return v ? rmq_ext_parse_i32(v, out) : ROCKETMQ_ERR__NOT_FOUND;
}

int rmq_ext_get_bool(const rmq_ext_t *e, const char *key, bool *out)
{
    const char *v = rmq_ext_get(e, key);
    if (!v)
        return ROCKETMQ_ERR__NOT_FOUND;
    rmq_ext_parse_bool(v, out);
    return 0;
}
