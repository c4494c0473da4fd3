/* extFields: the string key/value map of a RemotingCommand header.
 *
 * A command carries few fields (usually < 20), so a flat array with linear
 * lookup beats a hash map and keeps insertion order, which makes encoded
 * headers deterministic.  Keys and values live in the map's own byte pool:
 * the first RMQ_EXT_INLINE_BYTES inside the struct, then heap chunks freed
 * together, so a typical header (a send's thirteen fields) costs no
 * allocation at all; every command used to cost two per field.  Strings
 * never move once stored, so pointers from rmq_ext_get stay valid until the
 * field is replaced or deleted or the map freed.  The struct holds pointers
 * into itself: never copy it by value. */
#ifndef RMQ_REMOTING_EXT_FIELDS_H
#define RMQ_REMOTING_EXT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/num.h"

#define RMQ_EXT_INLINE_KV 16
#define RMQ_EXT_INLINE_BYTES 512

typedef struct rmq_ext_kv {
    char *key;
    char *value;
    /* Lengths are 32-bit (a header's length has 24 bits): at 24 bytes an entry
     * keeps a whole command under 1 KiB, where malloc serves it from its
     * per-thread cache; above, every command went through the large-request
     * path, which first consolidates the fast bins (1.4 % of the broker). */
    uint32_t klen; /* lookups compare lengths first */
    uint32_t vlen;
} rmq_ext_kv_t;

typedef struct rmq_ext_chunk rmq_ext_chunk_t;

typedef struct rmq_ext {
    rmq_ext_kv_t *kv; /* inline_kv until it outgrows it */
    size_t n;
    size_t cap;
    char *pool; /* where the next string goes: inline_bytes, then the newest chunk */
    size_t pool_left;
    rmq_ext_chunk_t *chunks;
    /* A bit per (first byte, length) class of the keys ever stored: a key
     * whose bit is clear is surely absent, so storing it skips the search
     * (a header's keys arrive one by one, each new). */
    uint64_t key_classes;
    rmq_ext_kv_t inline_kv[RMQ_EXT_INLINE_KV];
    char inline_bytes[RMQ_EXT_INLINE_BYTES];
} rmq_ext_t;

void rmq_ext_init(rmq_ext_t *e);
void rmq_ext_free(rmq_ext_t *e);
/* NULL when absent. */
const char *rmq_ext_get(const rmq_ext_t *e, const char *key);
/* The same for a key of klen bytes, searched from index *hint on (then from
 * the start), and *hint moved past the match: reading fields in the order
 * they were stored costs one comparison each. */
const char *rmq_ext_get_near(const rmq_ext_t *e, const char *key, size_t klen, size_t *hint);
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
/* The same rules on a value already looked up (0 or ROCKETMQ_ERR__PROTOCOL). */
int rmq_ext_parse_i32(const char *v, int32_t *out);
int rmq_ext_parse_i64(const char *v, int64_t *out);
void rmq_ext_parse_bool(const char *v, bool *out);

#endif
