#include "base/map.h"

#include <stdlib.h>

#include "base/mem.h"

/* String keys are stored with their NUL (klen includes it), so the key pointer
 * handed out by iteration is directly usable as a C string. */
struct rmq_map_entry {
    rmq_map_entry_t *next;
    uint64_t hash;
    void *value;
    size_t klen;
    char key[];
};

struct rmq_map {
    rmq_map_entry_t **buckets;
    size_t nbuckets; /* power of two */
    size_t size;
};

static uint64_t hash_bytes(const void *key, size_t len)
{
    /* FNV-1a, 64 bit: short keys (topic names, opaques) dominate. */
    const uint8_t *p = key;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

rmq_map_t *rmq_map_new(void)
{
    rmq_map_t *m = rmq_calloc(1, sizeof(*m));
    m->nbuckets = 16;
    m->buckets = rmq_calloc(m->nbuckets, sizeof(*m->buckets));
    return m;
}

void rmq_map_free(rmq_map_t *m, void (*free_value)(void *))
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nbuckets; i++) {
        rmq_map_entry_t *e = m->buckets[i];
        while (e) {
            rmq_map_entry_t *next = e->next;
            if (free_value)
                free_value(e->value);
            free(e);
            e = next;
        }
    }
    free(m->buckets);
    free(m);
}

static rmq_map_entry_t **find_slot(const rmq_map_t *m, const void *key, size_t klen, uint64_t h)
{
    rmq_map_entry_t **pp = &m->buckets[h & (m->nbuckets - 1)];
    while (*pp) {
        rmq_map_entry_t *e = *pp;
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
            return pp;
        pp = &e->next;
    }
    return pp;
}

void *rmq_map_get(const rmq_map_t *m, const void *key, size_t klen)
{
    rmq_map_entry_t **pp = find_slot(m, key, klen, hash_bytes(key, klen));
    return *pp ? (*pp)->value : NULL;
}

static void grow(rmq_map_t *m)
{
    size_t n = m->nbuckets * 2;
    rmq_map_entry_t **b = rmq_calloc(n, sizeof(*b));
    for (size_t i = 0; i < m->nbuckets; i++) {
        rmq_map_entry_t *e = m->buckets[i];
        while (e) {
            rmq_map_entry_t *next = e->next;
            size_t idx = e->hash & (n - 1);
            e->next = b[idx];
            b[idx] = e;
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
}

void *rmq_map_put(rmq_map_t *m, const void *key, size_t klen, void *value)
{
    uint64_t h = hash_bytes(key, klen);
    rmq_map_entry_t **pp = find_slot(m, key, klen, h);
    if (*pp) {
        void *old = (*pp)->value;
        (*pp)->value = value;
        return old;
    }
    rmq_map_entry_t *e = rmq_malloc(sizeof(*e) + klen);
    e->next = NULL;
    e->hash = h;
    e->value = value;
    e->klen = klen;
    memcpy(e->key, key, klen);
    *pp = e;
    if (++m->size > m->nbuckets)
        grow(m);
    return NULL;
}

void *rmq_map_del(rmq_map_t *m, const void *key, size_t klen)
{
    rmq_map_entry_t **pp = find_slot(m, key, klen, hash_bytes(key, klen));
    rmq_map_entry_t *e = *pp;
    if (!e)
        return NULL;
    void *v = e->value;
    *pp = e->next;
    free(e);
    m->size--;
    return v;
}

size_t rmq_map_size(const rmq_map_t *m)
{
    return m->size;
}

void rmq_map_iter_init(rmq_map_iter_t *it, const rmq_map_t *m)
{
    it->m = m;
    it->bucket = 0;
    it->next = NULL;
    while (it->bucket < m->nbuckets && !(it->next = m->buckets[it->bucket]))
        it->bucket++;
}

bool rmq_map_iter_next(rmq_map_iter_t *it, const char **key, size_t *klen, void **value)
{
    rmq_map_entry_t *e = it->next;
    if (!e)
        return false;
    /* Advance before returning so the caller may delete e. */
    it->next = e->next;
    while (!it->next && ++it->bucket < it->m->nbuckets)
        it->next = it->m->buckets[it->bucket];
    if (key)
        *key = e->key;
    if (klen)
        *klen = e->klen;
    if (value)
        *value = e->value;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **rmq_smap_keys_sorted(const rmq_map_t *m, size_t *n)
{
    const char **keys = rmq_malloc(sizeof(*keys) * (m->size ? m->size : 1));
    size_t i = 0;
    rmq_map_iter_t it;
    const char *k;
    rmq_map_iter_init(&it, m);
    while (rmq_map_iter_next(&it, &k, NULL, NULL))
        keys[i++] = k;
    qsort(keys, i, sizeof(*keys), cmp_str);
    *n = i;
    return keys;
}
