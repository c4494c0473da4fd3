/* extFields: the string key/value map of a RemotingCommand header.
 *
 * A command carries few fields (usually < 20), so a flat array with linear
 * lookup beats a hash map and keeps insertion order, which makes encoded
 * headers deterministic. */
#ifndef RMQ_REMOTING_EXT_FIELDS_H
#define RMQ_REMOTING_EXT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/num.h"

typedef struct rmq_ext_kv {
    char *key;
    char *value;
} rmq_ext_kv_t;

typedef struct rmq_ext {
    rmq_ext_kv_t *kv;
    size_t n;
    size_t cap;
} rmq_ext_t;

void rmq_ext_init(rmq_ext_t *e);
void rmq_ext_free(rmq_ext_t *e);
/* NULL when absent. */
const char *rmq_ext_get(const rmq_ext_t *e, const char *key);
/* Copies key and value; replaces an existing value. */
void rmq_ext_set(rmq_ext_t *e, const char *key, const char *value);
void rmq_ext_setn(rmq_ext_t *e, const char *key, size_t klen, const char *value, size_t vlen);
void rmq_ext_set_i64(rmq_ext_t *e, const char *key, int64_t v);
void rmq_ext_set_bool(rmq_ext_t *e, const char *key, bool v);
bool rmq_ext_del(rmq_ext_t *e, const char *key);

/* Typed reads with Java's parse rules (Integer.parseInt, Long.parseLong,
 * Boolean.parseBoolean).  Return 0, ROCKETMQ_ERR__NOT_FOUND when absent, or
 * ROCKETMQ_ERR__PROTOCOL when the text does not parse or is out of range. */
int rmq_ext_get_i32(const rmq_ext_t *e, const char *key, int32_t *out);
int rmq_ext_get_i64(const rmq_ext_t *e, const char *key, int64_t *out);
int rmq_ext_get_bool(const rmq_ext_t *e, const char *key, bool *out);

#endif
