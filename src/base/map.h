/* Hash map from byte-string keys to pointers.
 *
 * Keys are copied into the map; values are the caller's.  String keys use the
 * rmq_smap_* wrappers, integer keys (opaques, ids) the rmq_imap_* ones, so one
 * implementation serves route tables, config tables and pending-request tables.
 * Not thread-safe: each map belongs to one module and is used under its rules. */
#ifndef RMQ_BASE_MAP_H
#define RMQ_BASE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct rmq_map rmq_map_t;
typedef struct rmq_map_entry rmq_map_entry_t;

rmq_map_t *rmq_map_new(void);
/* Frees the map; free_value (may be NULL) is called on every value. */
void rmq_map_free(rmq_map_t *m, void (*free_value)(void *));
void *rmq_map_get(const rmq_map_t *m, const void *key, size_t klen);
/* Stores value under key; returns the value it replaced, or NULL. */
void *rmq_map_put(rmq_map_t *m, const void *key, size_t klen, void *value);
/* Removes key; returns its value, or NULL if absent. */
void *rmq_map_del(rmq_map_t *m, const void *key, size_t klen);
size_t rmq_map_size(const rmq_map_t *m);

/* Iteration in unspecified order.  Deleting the entry just returned is allowed;
 * any other change to the map ends the iteration's validity. */
typedef struct rmq_map_iter {
    const rmq_map_t *m;
    size_t bucket;
    rmq_map_entry_t *next;
} rmq_map_iter_t;

void rmq_map_iter_init(rmq_map_iter_t *it, const rmq_map_t *m);
bool rmq_map_iter_next(rmq_map_iter_t *it, const char **key, size_t *klen, void **value);

/* Keys of a string-keyed map, sorted with strcmp, for deterministic output.
 * Returns a malloc'ed array of *n pointers into the map (free the array only). */
const char **rmq_smap_keys_sorted(const rmq_map_t *m, size_t *n);

static inline void *rmq_smap_get(const rmq_map_t *m, const char *k)
{
    return rmq_map_get(m, k, strlen(k) + 1);
}

static inline void *rmq_smap_put(rmq_map_t *m, const char *k, void *v)
{
    return rmq_map_put(m, k, strlen(k) + 1, v);
}

static inline void *rmq_smap_del(rmq_map_t *m, const char *k)
{
    return rmq_map_del(m, k, strlen(k) + 1);
}

static inline void *rmq_imap_get(const rmq_map_t *m, int64_t k)
{
    return rmq_map_get(m, &k, sizeof(k));
}

static inline void *rmq_imap_put(rmq_map_t *m, int64_t k, void *v)
{
    return rmq_map_put(m, &k, sizeof(k), v);
}

static inline void *rmq_imap_del(rmq_map_t *m, int64_t k)
{
    return rmq_map_del(m, &k, sizeof(k));
}

#endif
