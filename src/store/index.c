/* The index service (Apache RocketMQ 4.9.8 IndexService): the list of index
 * files, oldest first, and the key-level put and query on top of index_file.
 *
 * Threads: one dispatch thread puts; queries, flushes and deletion run on any
 * thread.  The rwlock guards the list.  Deletion never removes the newest file
 * and only the dispatch thread appends, so the dispatch thread may keep using
 * the newest file after releasing the lock. */
#include "store/index.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "rocketmq/error.h"
#include "store/index_file.h"

struct rmq_index_service {
    char *dir;
    int32_t slots;
    int32_t items;
    pthread_rwlock_t lock;
    rmq_index_file_t **files; /* oldest first */
    int nfiles;
    int cap;
    _Atomic int64_t full_flushed_ts;
    /* Dispatch thread: after a file could not be created (full disk), no new
     * try before this (monotonic ms), so that each message dispatched
     * meanwhile neither allocates and frees a file nor logs it again. */
    int64_t create_retry_at;
    bool put_failing; /* dispatch thread: the last item found no disk space */
};

#define CREATE_RETRY_MS 1000

static void list_append(rmq_index_service_t *svc, rmq_index_file_t *f)
{
    if (svc->nfiles == svc->cap) {
        svc->cap = svc->cap ? svc->cap * 2 : 8;
        svc->files = rmq_realloc(svc->files, (size_t)svc->cap * sizeof(*svc->files));
    }
    svc->files[svc->nfiles++] = f;
}

static int make_dirs(const char *dir, char *err, size_t errlen)
{
    if (rmq_mkdir_p(dir) == 0)
        return 0;
    rmq_set_err(err, errlen, "cannot create %s: %s", dir, strerror(errno));
    return -1;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Index file names, sorted.  Leftovers of a creation cut short by a crash
 * (<name>.tmp) are removed; anything else foreign is left alone. */
static char **list_names(const char *dir, int *count, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        rmq_set_err(err, errlen, "cannot list %s: %s", dir, strerror(errno));
        return NULL;
    }
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len == RMQ_INDEX_NAME_LEN + 4 && all_digits(e->d_name, RMQ_INDEX_NAME_LEN) &&
            strcmp(e->d_name + RMQ_INDEX_NAME_LEN, ".tmp") == 0) {
            if (unlinkat(dirfd(d), e->d_name, 0) == 0)
                RMQ_LOGI("store", "removed unfinished index file %s/%s", dir, e->d_name);
            continue;
        }
        if (len != RMQ_INDEX_NAME_LEN || !all_digits(e->d_name, len)) {
            if (e->d_name[0] != '.')
                RMQ_LOGW("store", "ignoring %s/%s: not an index file name", dir, e->d_name);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = rmq_realloc(names, (size_t)cap * sizeof(*names));
        }
        names[n++] = rmq_strdup(e->d_name);
    }
    closedir(d);
    if (n > 0)
        qsort(names, (size_t)n, sizeof(*names), cmp_names);
    *count = n;
    return names ? names : rmq_calloc(1, sizeof(*names));
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* IndexService.load: every file in name order; after a crash the files that
 * indexed past the checkpoint are destroyed, to be rebuilt by re-dispatch. */
static int load_files(rmq_index_service_t *svc, const rmq_index_opts_t *opts, char *err,
                      size_t errlen)
{
    int n = 0;
    char **names = list_names(svc->dir, &n, err, errlen);
    if (!names)
        return -1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        rmq_index_file_t *f =
            rmq_index_file_load(svc->dir, names[i], svc->slots, svc->items, err, errlen);
        if (!f) {
            rc = -1;
        } else if (!opts->last_exit_ok && atomic_load(&f->end_ts) > opts->checkpoint_index_ts) {
            RMQ_LOGI("store", "index file %s is newer than the checkpoint, destroyed", f->path);
            rmq_index_file_destroy(f);
        } else {
            list_append(svc, f);
        }
    }
    free_names(names, n);
    return rc;
}

rmq_index_service_t *rmq_index_open(const rmq_index_opts_t *opts, char *err, size_t errlen)
{
    if (!opts || !opts->dir || !opts->dir[0] ||
        rmq_index_file_size(opts->max_hash_slot_num, opts->max_index_num) == 0) {
        rmq_set_err(err, errlen, "bad index options");
        return NULL;
    }
    if (make_dirs(opts->dir, err, errlen) != 0)
        return NULL;
    rmq_index_service_t *svc = rmq_calloc(1, sizeof(*svc));
    svc->dir = rmq_strdup(opts->dir);
    svc->slots = opts->max_hash_slot_num;
    svc->items = opts->max_index_num;
    pthread_rwlock_init(&svc->lock, NULL);
    if (load_files(svc, opts, err, errlen) != 0) {
        rmq_index_close(svc);
        return NULL;
    }
    return svc;
}

void rmq_index_close(rmq_index_service_t *svc)
{
    if (!svc)
        return;
    for (int i = 0; i < svc->nfiles; i++)
        rmq_index_file_close(svc->files[i], true);
    pthread_rwlock_destroy(&svc->lock);
    free(svc->files);
    free(svc->dir);
    free(svc);
}

static rmq_index_file_t *newest(rmq_index_service_t *svc)
{
    pthread_rwlock_rdlock(&svc->lock);
    rmq_index_file_t *f = svc->nfiles ? svc->files[svc->nfiles - 1] : NULL;
    pthread_rwlock_unlock(&svc->lock);
    return f;
}

/* The full file is flushed while it is still the newest, hence out of
 * deletion's reach; only a flushed file's end time may go to the checkpoint. */
static void flush_full(rmq_index_service_t *svc, rmq_index_file_t *full)
{
    int64_t end_ts = atomic_load(&full->end_ts);
    if (rmq_index_file_flush(full) != 0) {
        RMQ_LOGE("store", "index file %s: msync failed: %s", full->path, strerror(errno));
        return;
    }
    if (end_ts > 0)
        atomic_store(&svc->full_flushed_ts, end_ts);
}

/* getAndCreateLastIndexFile: the newest file, or a new one when there is none
 * or the newest is full (inheriting its end offset and time). */
static rmq_index_file_t *writable_file(rmq_index_service_t *svc)
{
    rmq_index_file_t *prev = newest(svc);
    if (prev && !rmq_index_file_full(prev))
        return prev;
    int64_t now = rmq_mono_ms();
    if (svc->create_retry_at != 0 && now < svc->create_retry_at)
        return NULL;
    char err[512];
    rmq_index_file_t *f = rmq_index_file_create(
        svc->dir, prev ? prev->name : NULL, rmq_now_ms(), svc->slots, svc->items,
        prev ? atomic_load(&prev->end_off) : 0, prev ? atomic_load(&prev->end_ts) : 0, err,
        sizeof(err));
    if (!f) {
        RMQ_LOGE("store", "%s", err);
        svc->create_retry_at = now + CREATE_RETRY_MS;
        return NULL;
    }
    svc->create_retry_at = 0;
    if (prev)
        flush_full(svc, prev);
    pthread_rwlock_wrlock(&svc->lock);
    list_append(svc, f);
    pthread_rwlock_unlock(&svc->lock);
    return f;
}

/* abs(hashCode("<topic>#<key>")); the key is hashed as one string because
 * the UTF-16 length of each part is not known before decoding it. */
static int32_t topic_key_hash(const char *topic, const char *key, size_t klen)
{
    char stack[256];
    size_t tlen = strlen(topic), n = tlen + 1 + klen;
    char *buf = n <= sizeof(stack) ? stack : rmq_malloc(n);
    memcpy(buf, topic, tlen);
    buf[tlen] = '#';
    memcpy(buf + tlen + 1, key, klen);
    int32_t h = rmq_index_key_hash(buf, n);
    if (buf != stack)
        free(buf);
    return h;
}

/* IndexService.putKey: a full file is replaced by a new one and the put
 * retried; a file the disk has no room for fails the put. */
static int put_key(rmq_index_service_t *svc, rmq_index_file_t **f, const char *topic,
                   const char *key, size_t klen, int64_t phys_offset, int64_t store_ts)
{
    int32_t h = topic_key_hash(topic, key, klen);
    int rc;
    while ((rc = rmq_index_file_put(*f, h, phys_offset, store_ts)) == RMQ_INDEX_FILE_FULL) {
        RMQ_LOGI("store", "index file %s is full, creating another one", (*f)->path);
        *f = writable_file(svc);
        if (!*f)
            return ROCKETMQ_ERR__IO;
    }
    if (rc != 0) {
        if (!svc->put_failing)
            RMQ_LOGE("store", "index file %s: cannot reserve disk space: %s", (*f)->path,
                     strerror(errno));
        svc->put_failing = true;
        return ROCKETMQ_ERR__IO;
    }
    svc->put_failing = false;
    return 0;
}

int rmq_index_put(rmq_index_service_t *svc, const char *topic, const char *uniq_key,
                  size_t uniq_len, const char *keys, size_t keys_len, int64_t phys_offset,
                  int64_t store_timestamp)
{
    rmq_index_file_t *f = writable_file(svc);
    if (!f)
        return ROCKETMQ_ERR__IO;
    if (phys_offset < atomic_load(&f->end_off))
        return 0; /* indexed before a crash, dispatched again */
    int rc = 0;
    if (uniq_key)
        rc = put_key(svc, &f, topic, uniq_key, uniq_len, phys_offset, store_timestamp);
    /* KEYS.split(" "): empty tokens (runs of spaces) are skipped. */
    for (size_t i = 0; keys && rc == 0 && i < keys_len;) {
        size_t j = i;
        while (j < keys_len && keys[j] != ' ')
            j++;
        if (j > i)
            rc = put_key(svc, &f, topic, keys + i, j - i, phys_offset, store_timestamp);
        i = j + 1;
    }
    return rc;
}

int rmq_index_query(rmq_index_service_t *svc, const char *topic, const char *key, int max_num,
                    int64_t begin, int64_t end, int64_t *offsets)
{
    if (max_num > RMQ_INDEX_QUERY_MAX)
        max_num = RMQ_INDEX_QUERY_MAX;
    if (max_num <= 0)
        return 0;
    int32_t h = topic_key_hash(topic, key, strlen(key));
    int n = 0;
    pthread_rwlock_rdlock(&svc->lock);
    for (int i = svc->nfiles - 1; i >= 0; i--) {
        rmq_index_file_t *f = svc->files[i];
        if (rmq_index_file_time_matched(f, begin, end))
            rmq_index_file_select(f, h, max_num, begin, end, offsets, &n);
        if (atomic_load(&f->begin_ts) < begin || n >= max_num)
            break;
    }
    pthread_rwlock_unlock(&svc->lock);
    return n;
}

int rmq_index_flush(rmq_index_service_t *svc)
{
    int rc = 0;
    pthread_rwlock_rdlock(&svc->lock);
    for (int i = 0; i < svc->nfiles; i++) {
        if (rmq_index_file_flush(svc->files[i]) != 0) {
            RMQ_LOGE("store", "index file %s: msync failed: %s", svc->files[i]->path,
                     strerror(errno));
            rc = ROCKETMQ_ERR__IO;
        }
    }
    pthread_rwlock_unlock(&svc->lock);
    return rc;
}

int64_t rmq_index_full_flushed_ts(const rmq_index_service_t *svc)
{
    return atomic_load(&svc->full_flushed_ts);
}

/* Files leave the list under the write lock, so no query still reads them
 * when they are unmapped. */
int rmq_index_delete_expired(rmq_index_service_t *svc, int64_t commitlog_min_offset)
{
    pthread_rwlock_wrlock(&svc->lock);
    int k = 0;
    while (k < svc->nfiles - 1 && atomic_load(&svc->files[k]->end_off) < commitlog_min_offset)
        k++;
    rmq_index_file_t **gone = NULL;
    if (k > 0) {
        gone = rmq_malloc((size_t)k * sizeof(*gone));
        memcpy(gone, svc->files, (size_t)k * sizeof(*gone));
        memmove(svc->files, svc->files + k, (size_t)(svc->nfiles - k) * sizeof(*gone));
        svc->nfiles -= k;
    }
    pthread_rwlock_unlock(&svc->lock);
    for (int i = 0; i < k; i++) {
        RMQ_LOGI("store", "deleting expired index file %s", gone[i]->path);
        rmq_index_file_destroy(gone[i]);
    }
    free(gone);
    return k;
}

int rmq_index_file_count(const rmq_index_service_t *svc)
{
    rmq_index_service_t *s = (rmq_index_service_t *)svc; /* the lock is not const */
    pthread_rwlock_rdlock(&s->lock);
    int n = s->nfiles;
    pthread_rwlock_unlock(&s->lock);
    return n;
}
