#include "store/mapped_queue.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/num.h"
#include "rocketmq/error.h"

rmq_mapped_queue_t *rmq_mq_new(const char *dir, size_t file_size, bool preallocate)
{
    rmq_mapped_queue_t *q = rmq_calloc(1, sizeof(*q));
    q->dir = rmq_strdup(dir);
    q->file_size = file_size;
    q->preallocate = preallocate;
    pthread_rwlock_init(&q->lock, NULL);
    return q;
}

void rmq_mq_free(rmq_mapped_queue_t *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->nfiles; i++)
        rmq_mapped_file_release(q->files[i]);
    free(q->files);
    pthread_rwlock_destroy(&q->lock);
    free(q->dir);
    free(q);
}

static void push(rmq_mapped_queue_t *q, rmq_mapped_file_t *mf)
{
    if (q->nfiles == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 8;
        q->files = rmq_realloc(q->files, q->cap * sizeof(*q->files));
    }
    q->files[q->nfiles++] = mf;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of the 20-digit files in dir, sorted (zero padding: text order is
 * offset order). */
static char **list_files(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    *n = 0;
    if (!d)
        return NULL;
    size_t cap = 16;
    char **names = rmq_malloc(cap * sizeof(char *));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        /* A creation cut short by a crash (rmq_mapped_file_create). */
        if (len == 24 && strspn(e->d_name, "0123456789") == 20 &&
            strcmp(e->d_name + 20, ".tmp") == 0) {
            if (unlinkat(dirfd(d), e->d_name, 0) == 0)
                RMQ_LOGI("store", "removed unfinished file %s/%s", dir, e->d_name);
            continue;
        }
        if (len != 20 || strspn(e->d_name, "0123456789") != 20)
            continue;
        if (*n == cap) {
            cap *= 2;
            names = rmq_realloc(names, cap * sizeof(char *));
        }
        names[(*n)++] = rmq_strdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof(char *), cmp_names);
    return names;
}

int rmq_mq_load(rmq_mapped_queue_t *q, char *err, size_t errlen)
{
    if (rmq_mkdir_p(q->dir) != 0) {
        rmq_set_err(err, errlen, "cannot create %s: %s", q->dir, strerror(errno));
        return ROCKETMQ_ERR__IO;
    }
    size_t n;
    char **names = list_files(q->dir, &n);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t start = 0;
        rmq_parse_i64(names[i], &start);
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", q->dir, names[i]);
        rmq_mapped_file_t *mf;
        if (rc == 0 && (rc = rmq_mapped_file_open(path, start, q->file_size, &mf, err, errlen)) == 0)
            push(q, mf);
        free(names[i]);
    }
    free(names);
    return rc;
}

size_t rmq_mq_count(rmq_mapped_queue_t *q)
{
    pthread_rwlock_rdlock(&q->lock);
    size_t n = q->nfiles;
    pthread_rwlock_unlock(&q->lock);
    return n;
}

rmq_mapped_file_t *rmq_mq_get(rmq_mapped_queue_t *q, size_t i)
{
    rmq_mapped_file_t *mf = NULL;
    pthread_rwlock_rdlock(&q->lock);
    if (i < q->nfiles && rmq_mapped_file_hold(q->files[i]))
        mf = q->files[i];
    pthread_rwlock_unlock(&q->lock);
    return mf;
}

rmq_mapped_file_t *rmq_mq_last(rmq_mapped_queue_t *q)
{
    rmq_mapped_file_t *mf = NULL;
    pthread_rwlock_rdlock(&q->lock);
    if (q->nfiles && rmq_mapped_file_hold(q->files[q->nfiles - 1]))
        mf = q->files[q->nfiles - 1];
    pthread_rwlock_unlock(&q->lock);
    return mf;
}

static void request_ahead(rmq_mapped_queue_t *q, int64_t start)
{
    if (!q->ahead_running)
        return;
    pthread_mutex_lock(&q->ahead_lock);
    q->ahead_want = start;
    pthread_cond_broadcast(&q->ahead_cond);
    pthread_mutex_unlock(&q->ahead_lock);
}

/* The prepared file if it is the one wanted at start, else NULL (the caller
 * creates it).  A file the thread is creating right now is waited for: two
 * creators of one name would replace each other's file. */
static rmq_mapped_file_t *take_ahead(rmq_mapped_queue_t *q, int64_t start)
{
    if (!q->ahead_running)
        return NULL;
    pthread_mutex_lock(&q->ahead_lock);
    while (q->ahead_busy == start)
        pthread_cond_wait(&q->ahead_cond, &q->ahead_lock);
    rmq_mapped_file_t *mf = q->ahead && q->ahead->start == start ? q->ahead : NULL;
    if (mf)
        q->ahead = NULL;
    if (q->ahead_want == start)
        q->ahead_want = -1;
    pthread_mutex_unlock(&q->ahead_lock);
    return mf;
}

rmq_mapped_file_t *rmq_mq_last_or_create(rmq_mapped_queue_t *q, int64_t start_offset, char *err,
                                         size_t errlen)
{
    pthread_rwlock_rdlock(&q->lock);
    rmq_mapped_file_t *last = q->nfiles ? q->files[q->nfiles - 1] : NULL;
    pthread_rwlock_unlock(&q->lock);
    if (last && !rmq_mapped_file_full(last))
        return last;
    int64_t start = last ? last->start + (int64_t)q->file_size
                         : start_offset - start_offset % (int64_t)q->file_size;
    if (!last && rmq_mkdir_p(q->dir) != 0) {
        rmq_set_err(err, errlen, "cannot create %s: %s", q->dir, strerror(errno));
        return NULL;
    }
    rmq_mapped_file_t *mf = take_ahead(q, start);
    if (!mf &&
        rmq_mapped_file_create(q->dir, start, q->file_size, q->preallocate, &mf, err, errlen) != 0)
        return NULL;
    pthread_rwlock_wrlock(&q->lock);
    push(q, mf);
    pthread_rwlock_unlock(&q->lock);
    request_ahead(q, start + (int64_t)q->file_size);
    return mf;
}

/* Warming steps: the writer moves its guard this far past its end each time
 * it reaches the guard. */
#define RMQ_WARM_STEP (1024 * 1024)
/* Each claim of the warming thread, the longest a writer reaching into one
 * waits for: a pwrite of 1 MiB, ~0.7 ms at the 1.5 GB/s measured here. 256
 * KiB cost the broker more CPU per message (more, smaller folios to fault
 * in); 2 MiB measured no better. */
#define RMQ_WARM_CHUNK (1024 * 1024)

void rmq_mq_warm_window(rmq_mapped_queue_t *q, size_t window)
{
    q->warm_window = window;
    q->warm_want = -1;
    q->warm_done = -1;
    q->warm_guard = -1;
    q->claim_from = q->claim_to = 0;
    q->warm_waiting = false;
    q->flush_how |= RMQ_FLUSH_RANGE;
}

static bool claim_blocks(const rmq_mapped_queue_t *q, int64_t guard)
{
    return q->claim_from < q->claim_to && q->claim_from < guard;
}

void rmq_mq_warm_kick(rmq_mapped_queue_t *q, int64_t end)
{
    int64_t guard = end + RMQ_WARM_STEP;
    if (!q->ahead_running) {
        q->warm_guard = guard; /* nobody claims anything */
        return;
    }
    pthread_mutex_lock(&q->ahead_lock);
    while (claim_blocks(q, guard)) {
        q->warm_waiting = true;
        pthread_cond_wait(&q->ahead_cond, &q->ahead_lock);
    }
    q->warm_guard = guard;
    q->warm_want = end + (int64_t)q->warm_window;
    if (q->warm_done < guard)
        q->warm_done = guard; /* the writer's from here on; behind is too late */
    pthread_cond_broadcast(&q->ahead_cond);
    pthread_mutex_unlock(&q->ahead_lock);
}

static bool file_wanted(const rmq_mapped_queue_t *q)
{
    return q->ahead_want >= 0 && !(q->ahead && q->ahead->start == q->ahead_want);
}

/* Called and returns with ahead_lock held.  The file holding from: in the
 * queue, or the one prepared ahead; held, or NULL. */
static rmq_mapped_file_t *warm_target(rmq_mapped_queue_t *q, int64_t from)
{
    pthread_mutex_unlock(&q->ahead_lock);
    rmq_mapped_file_t *mf = rmq_mq_find(q, from);
    pthread_mutex_lock(&q->ahead_lock);
    if (!mf && q->ahead && from >= q->ahead->start &&
        from < q->ahead->start + (int64_t)q->file_size && rmq_mapped_file_hold(q->ahead))
        mf = q->ahead;
    return mf;
}

/* Writes zeros over [off, off + n) of fd.  The source is a mapping nobody
 * writes: every page of it is the kernel's one zero page, so it costs no
 * memory.  A failure (a full disk under a file that was loaded sparse) only
 * leaves the pages to the writer's own faults. */
static void warm_write(rmq_mapped_queue_t *q, int fd, int64_t off, int64_t n)
{
    if (!q->zeros) {
        void *z = mmap(NULL, RMQ_WARM_CHUNK, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (z == MAP_FAILED)
            return;
        q->zeros = z;
    }
    (void)rmq_pwrite_all(fd, q->zeros, (size_t)n, off);
}

/* Called and returns with ahead_lock held: zeroes the next chunk. */
static void warm_step(rmq_mapped_queue_t *q)
{
    /* From a page boundary: no page is shared with the writer's bytes. */
    int64_t done = q->warm_done;
    int64_t from = rmq_round_up(done, RMQ_OS_PAGE_SIZE);
    rmq_mapped_file_t *mf = warm_target(q, from);
    if (q->warm_done != done) { /* the writer moved its guard meanwhile */
        if (mf)
            rmq_mapped_file_release(mf);
        return;
    }
    if (!mf || from >= q->warm_want) {
        /* Not created yet: done once the writer takes the file (its kick
         * moves warm_done); until then there is nothing to warm. */
        q->warm_done = q->warm_want;
        if (mf)
            rmq_mapped_file_release(mf);
        return;
    }
    /* Up to the next chunk boundary: aligned writes get the largest folios. */
    int64_t to = (from / RMQ_WARM_CHUNK + 1) * RMQ_WARM_CHUNK;
    if (to > q->warm_want)
        to = q->warm_want;
    int64_t file_end = mf->start + (int64_t)mf->size;
    if (to > file_end)
        to = file_end;
    q->warm_done = to;
    if (!rmq_mapped_file_allocated(mf)) { /* left to the writer's faults */
        rmq_mapped_file_release(mf);
        return;
    }
    q->claim_from = from;
    q->claim_to = to;
    pthread_mutex_unlock(&q->ahead_lock);
    if (q->warm_delay_us)
        usleep(q->warm_delay_us);
    warm_write(q, mf->fd, from - mf->start, to - from);
    rmq_mapped_file_release(mf);
    pthread_mutex_lock(&q->ahead_lock);
    q->claim_from = q->claim_to = 0;
    if (q->warm_waiting) {
        q->warm_waiting = false;
        pthread_cond_broadcast(&q->ahead_cond);
    }
}

/* Called and returns with ahead_lock held: creates the file wanted. */
static void create_ahead(rmq_mapped_queue_t *q)
{
    int64_t start = q->ahead_want;
    q->ahead_want = -1;
    q->ahead_busy = start;
    rmq_mapped_file_t *old = q->ahead;
    q->ahead = NULL;
    pthread_mutex_unlock(&q->ahead_lock);
    if (old)
        rmq_mapped_file_destroy(old);
    rmq_mapped_file_t *mf = NULL;
    char err[256];
    /* Only the blocks are reserved here; the pages are warmed step by step
     * in front of the writer (rmq_mq_warm_window), not all at once. */
    if (rmq_mapped_file_create(q->dir, start, q->file_size, q->preallocate, &mf, err,
                               sizeof(err)) != 0)
        RMQ_LOGW("store", "allocating the next file ahead failed: %s", err);
    pthread_mutex_lock(&q->ahead_lock);
    q->ahead = mf;
    q->ahead_busy = -1;
    pthread_cond_broadcast(&q->ahead_cond);
}

static void *ahead_main(void *arg)
{
    rmq_mapped_queue_t *q = arg;
    pthread_mutex_lock(&q->ahead_lock);
    while (!q->ahead_stop) {
        if (file_wanted(q))
            create_ahead(q);
        else if (q->warm_done < q->warm_want)
            warm_step(q);
        else
            pthread_cond_wait(&q->ahead_cond, &q->ahead_lock);
    }
    pthread_mutex_unlock(&q->ahead_lock);
    return NULL;
}

int rmq_mq_start_ahead(rmq_mapped_queue_t *q)
{
    pthread_mutex_init(&q->ahead_lock, NULL);
    pthread_cond_init(&q->ahead_cond, NULL);
    q->ahead_want = -1;
    q->ahead_busy = -1;
    q->ahead_stop = false;
    if (pthread_create(&q->ahead_thread, NULL, ahead_main, q) != 0)
        return -1;
    q->ahead_running = true;
    pthread_rwlock_rdlock(&q->lock);
    int64_t next = q->nfiles ? q->files[q->nfiles - 1]->start + (int64_t)q->file_size : -1;
    pthread_rwlock_unlock(&q->lock);
    if (next >= 0)
        request_ahead(q, next);
    return 0;
}

void rmq_mq_stop_ahead(rmq_mapped_queue_t *q)
{
    if (!q->ahead_running)
        return;
    pthread_mutex_lock(&q->ahead_lock);
    q->ahead_stop = true;
    pthread_cond_broadcast(&q->ahead_cond);
    pthread_mutex_unlock(&q->ahead_lock);
    pthread_join(q->ahead_thread, NULL);
    q->ahead_running = false;
    if (q->ahead) /* prepared but never used: it must not look like data */
        rmq_mapped_file_destroy(q->ahead);
    q->ahead = NULL;
    if (q->zeros)
        munmap((void *)q->zeros, RMQ_WARM_CHUNK);
    q->zeros = NULL;
    pthread_mutex_destroy(&q->ahead_lock);
    pthread_cond_destroy(&q->ahead_cond);
}

rmq_mapped_file_t *rmq_mq_find(rmq_mapped_queue_t *q, int64_t offset)
{
    rmq_mapped_file_t *mf = NULL;
    pthread_rwlock_rdlock(&q->lock);
    if (q->nfiles > 0 && offset >= q->files[0]->start) {
        /* Files are contiguous: index arithmetic, checked. */
        size_t i = (size_t)((offset - q->files[0]->start) / (int64_t)q->file_size);
        if (i < q->nfiles && offset >= q->files[i]->start &&
            offset < q->files[i]->start + (int64_t)q->file_size &&
            rmq_mapped_file_hold(q->files[i]))
            mf = q->files[i];
    }
    pthread_rwlock_unlock(&q->lock);
    return mf;
}

int64_t rmq_mq_min_offset(rmq_mapped_queue_t *q)
{
    pthread_rwlock_rdlock(&q->lock);
    int64_t v = q->nfiles ? q->files[0]->start : -1;
    pthread_rwlock_unlock(&q->lock);
    return v;
}

static int64_t last_end(rmq_mapped_queue_t *q, bool appended)
{
    pthread_rwlock_rdlock(&q->lock);
    int64_t v = 0;
    if (q->nfiles) {
        rmq_mapped_file_t *last = q->files[q->nfiles - 1];
        v = last->start +
            (appended ? rmq_mapped_file_appended(last) : rmq_mapped_file_wrote(last));
    }
    pthread_rwlock_unlock(&q->lock);
    return v;
}

int64_t rmq_mq_max_offset(rmq_mapped_queue_t *q)
{
    return last_end(q, false);
}

int64_t rmq_mq_append_end(rmq_mapped_queue_t *q)
{
    return last_end(q, true);
}

int64_t rmq_mq_flushed_where(rmq_mapped_queue_t *q)
{
    return atomic_load(&q->flushed_where);
}

void rmq_mq_set_flushed_where(rmq_mapped_queue_t *q, int64_t offset)
{
    atomic_store(&q->flushed_where, offset);
}

/* Flushes the file holding the flushed offset; *file_done says it is now
 * flushed to its end, so the data that follows lives in the next file. */
static int flush_one(rmq_mapped_queue_t *q, int least_pages, bool *file_done)
{
    *file_done = false;
    int64_t where = atomic_load(&q->flushed_where);
    rmq_mapped_file_t *mf = rmq_mq_find(q, where);
    if (!mf) {
        /* flushed_where 0 on a queue starting later, or at a file boundary
         * whose next file does not exist yet */
        int64_t min = rmq_mq_min_offset(q);
        if (min < 0 || where >= min)
            return 0;
        mf = rmq_mq_get(q, 0);
        if (!mf)
            return 0;
    }
    int rc = rmq_mapped_file_flush(mf, least_pages, q->flush_how);
    if (rc == 0) {
        int64_t flushed = atomic_load(&mf->flushed);
        atomic_store(&q->flushed_where, mf->start + flushed);
        *file_done = flushed >= (int64_t)mf->size;
    }
    rmq_mapped_file_release(mf);
    return rc;
}

int rmq_mq_flush(rmq_mapped_queue_t *q, int least_pages)
{
    bool file_done;
    return flush_one(q, least_pages, &file_done);
}

int rmq_mq_flush_all(rmq_mapped_queue_t *q)
{
    /* One file per flush; go on only when that file is complete.  Flushing
     * again what was appended meanwhile to the same file would hold back the
     * group commit's waiters for a second disk flush they do not need. */
    for (int i = 0; i < 1 << 20; i++) {
        bool file_done;
        int rc = flush_one(q, 0, &file_done);
        if (rc != 0 || !file_done)
            return rc;
    }
    return 0;
}

void rmq_mq_truncate(rmq_mapped_queue_t *q, int64_t offset)
{
    pthread_rwlock_wrlock(&q->lock);
    while (q->nfiles > 0 && q->files[q->nfiles - 1]->start > offset) {
        rmq_mapped_file_t *mf = q->files[--q->nfiles];
        RMQ_LOGI("store", "truncate: removing %s", mf->path);
        rmq_mapped_file_destroy(mf);
    }
    if (q->nfiles > 0) {
        rmq_mapped_file_t *mf = q->files[q->nfiles - 1];
        int64_t pos = offset - mf->start;
        if (pos > (int64_t)q->file_size)
            pos = (int64_t)q->file_size;
        rmq_mapped_file_set_wrote(mf, pos);
        atomic_store(&mf->flushed, pos);
    }
    pthread_rwlock_unlock(&q->lock);
    atomic_store(&q->flushed_where, offset);
}

bool rmq_mq_delete_last(rmq_mapped_queue_t *q)
{
    pthread_rwlock_wrlock(&q->lock);
    rmq_mapped_file_t *mf = q->nfiles ? q->files[--q->nfiles] : NULL;
    pthread_rwlock_unlock(&q->lock);
    if (!mf)
        return false;
    RMQ_LOGI("store", "truncate: removing %s", mf->path);
    rmq_mapped_file_destroy(mf);
    return true;
}

bool rmq_mq_delete_first(rmq_mapped_queue_t *q)
{
    pthread_rwlock_wrlock(&q->lock);
    rmq_mapped_file_t *mf = NULL;
    if (q->nfiles > 1) {
        mf = q->files[0];
        memmove(q->files, q->files + 1, (q->nfiles - 1) * sizeof(*q->files));
        q->nfiles--;
    }
    pthread_rwlock_unlock(&q->lock);
    if (!mf)
        return false;
    RMQ_LOGI("store", "deleting expired file %s", mf->path);
    rmq_mapped_file_destroy(mf);
    return true;
}

void rmq_mq_destroy_all(rmq_mapped_queue_t *q)
{
    pthread_rwlock_wrlock(&q->lock);
    for (size_t i = 0; i < q->nfiles; i++)
        rmq_mapped_file_destroy(q->files[i]);
    q->nfiles = 0;
    pthread_rwlock_unlock(&q->lock);
    atomic_store(&q->flushed_where, 0);
}
