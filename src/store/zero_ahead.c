/* Zeroing ahead of the commit log's end; see zero_ahead.h.
 *
 * Positions are commit-log offsets.  Under `lock`: `cleared`, the end of what
 * the file writer announced; `claim`, the start of the range being zeroed
 * (INT64_MAX when none); `zeroed`, the end of the last range zeroed; `want`,
 * how far the appends ask for.  The thread claims from max(zeroed, cleared,
 * the appended end) rounded up to a page, so it never writes below what the
 * file writer may already be writing. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "store/zero_ahead.h"

/* The appender wakes the thread each time its end passes one of these. */
#define ZERO_STEP RMQ_ZERO_CHUNK
/* Size of each read that brings zeroed pages into the page cache. */
#define READ_PIECE (128 * 1024)

struct rmq_zero_ahead {
    rmq_mapped_queue_t *q;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;      /* the thread sleeps on it; drains wait on it for a claim */
    int64_t cleared;          /* lock */
    int64_t claim;            /* lock */
    int64_t zeroed;           /* lock */
    int64_t want;             /* lock */
    int64_t appended;         /* lock: the appended end last reported */
    bool stop;                /* lock */
    int64_t next_kick;        /* appender only: report again at this end, */
    int64_t kick_file;        /* or when appends go to another file than this one's */
    uint8_t *zeros;           /* RMQ_ZERO_CHUNK bytes, page aligned */
    uint8_t *rbuf;            /* READ_PIECE bytes: where cache-filling reads land */
    int fd;                   /* O_DIRECT descriptor of fd_start's file, or -1 */
    int64_t fd_start;
};

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* The direct descriptor of mf, opened once per file; -1 when the file has
 * holes, or its file system refuses O_DIRECT (tmpfs, where unwritten blocks
 * do not exist). */
static int direct_fd(rmq_zero_ahead_t *z, const rmq_mapped_file_t *mf)
{
    if (z->fd >= 0 && z->fd_start == mf->start)
        return z->fd;
    if (z->fd >= 0)
        close(z->fd);
    z->fd_start = mf->start;
    if (!rmq_mapped_file_allocated(mf)) {
        z->fd = -1;
        return -1;
    }
    z->fd = open(mf->path, O_WRONLY | O_DIRECT | O_CLOEXEC);
    if (z->fd < 0)
        RMQ_LOGD("store", "no zeroing ahead in %s: %s", mf->path, strerror(errno));
    return z->fd;
}

/* Writes zeros over [from, to) of mf (at most RMQ_ZERO_CHUNK bytes); false
 * when the file takes none (see direct_fd) or on an error. */
static bool write_zeros(rmq_zero_ahead_t *z, const rmq_mapped_file_t *mf, int64_t from, int64_t to)
{
    int fd = direct_fd(z, mf);
    if (fd < 0)
        return false;
    if (rmq_pwrite_all(fd, z->zeros, (size_t)(to - from), from - mf->start) != 0) {
        RMQ_LOGD("store", "zeroing ahead in %s stopped: %s", mf->path, strerror(errno));
        return false;
    }
    return true;
}

/* Called and returns with the lock held: zeroes the next chunk, if any is
 * wanted.  False when there is nothing to do until the next report. */
static bool zero_step(rmq_zero_ahead_t *z)
{
    int64_t from = rmq_round_up(max64(max64(z->zeroed, z->cleared), z->appended), RMQ_OS_PAGE_SIZE);
    if (from >= z->want)
        return false;
    rmq_mapped_file_t *mf = rmq_mq_find(z->q, from);
    if (!mf)
        return false; /* the next file is not the log's yet */
    int64_t file_end = mf->start + (int64_t)mf->size;
    /* whole pages only, for direct I/O (a test's segment size may not be a
     * multiple of a page: its last part stays as it is) */
    int64_t to = file_end / RMQ_OS_PAGE_SIZE * RMQ_OS_PAGE_SIZE;
    to = to < from + RMQ_ZERO_CHUNK ? to : from + RMQ_ZERO_CHUNK;
    int64_t want = rmq_round_up(z->want, RMQ_OS_PAGE_SIZE);
    to = to < want ? to : want;
    if (to <= from) {
        z->zeroed = file_end;
        rmq_mapped_file_release(mf);
        return true;
    }
    z->claim = from;
    pthread_mutex_unlock(&z->lock);
    bool ok = write_zeros(z, mf, from, to);
    pthread_mutex_lock(&z->lock);
    z->claim = INT64_MAX;
    z->zeroed = ok ? to : file_end; /* a file that takes no zeros is skipped */
    pthread_cond_broadcast(&z->cond);
    pthread_mutex_unlock(&z->lock);
    /* Read back through the page cache: the direct write left no pages
     * there, and a buffered write of part of a page that is not cached must
     * first read the page, now that its block is written; the group
     * commit's writes would wait for those reads, one per new page.  After
     * the claim: a write that lands meanwhile only finds its page cached
     * sooner, and what this read sees is thrown away. */
    if (ok)
        rmq_file_cache_range(mf->fd, from - mf->start, to - from, z->rbuf, READ_PIECE);
    rmq_mapped_file_release(mf);
    pthread_mutex_lock(&z->lock);
    return true;
}

static void *zero_main(void *arg)
{
    rmq_zero_ahead_t *z = arg;
    pthread_mutex_lock(&z->lock);
    while (!z->stop) {
        if (!zero_step(z))
            pthread_cond_wait(&z->cond, &z->lock);
    }
    pthread_mutex_unlock(&z->lock);
    if (z->fd >= 0)
        close(z->fd);
    return NULL;
}

rmq_zero_ahead_t *rmq_zero_ahead_start(rmq_mapped_queue_t *q, int64_t from)
{
    rmq_zero_ahead_t *z = rmq_calloc(1, sizeof(*z));
    z->q = q;
    z->fd = -1;
    z->claim = INT64_MAX;
    z->cleared = z->zeroed = z->appended = from;
    z->want = from + RMQ_ZERO_WINDOW;
    z->next_kick = from; /* the first append reports: its file exists by then */
    z->kick_file = -1;
    pthread_mutex_init(&z->lock, NULL);
    pthread_cond_init(&z->cond, NULL);
    if (posix_memalign((void **)&z->zeros, RMQ_OS_PAGE_SIZE, RMQ_ZERO_CHUNK) != 0)
        z->zeros = NULL;
    if (z->zeros)
        memset(z->zeros, 0, RMQ_ZERO_CHUNK);
    z->rbuf = rmq_malloc(READ_PIECE);
    if (!z->zeros || pthread_create(&z->thread, NULL, zero_main, z) != 0) {
        RMQ_LOGW("store", "no zeroing ahead of the commit log: cannot start its thread");
        free(z->zeros);
        free(z->rbuf);
        pthread_mutex_destroy(&z->lock);
        pthread_cond_destroy(&z->cond);
        free(z);
        return NULL;
    }
    return z;
}

void rmq_zero_ahead_appended(rmq_zero_ahead_t *z, int64_t file_start, int64_t end)
{
    if (!z || (end < z->next_kick && file_start == z->kick_file))
        return;
    z->next_kick = end + ZERO_STEP;
    z->kick_file = file_start;
    pthread_mutex_lock(&z->lock);
    z->appended = max64(z->appended, end);
    z->want = max64(z->want, end + RMQ_ZERO_WINDOW);
    pthread_cond_broadcast(&z->cond);
    pthread_mutex_unlock(&z->lock);
}

void rmq_zero_ahead_clear(rmq_zero_ahead_t *z, int64_t limit)
{
    if (!z)
        return;
    pthread_mutex_lock(&z->lock);
    while (z->claim < limit)
        pthread_cond_wait(&z->cond, &z->lock);
    z->cleared = max64(z->cleared, limit);
    pthread_mutex_unlock(&z->lock);
}

void rmq_zero_ahead_stop(rmq_zero_ahead_t *z)
{
    if (!z)
        return;
    pthread_mutex_lock(&z->lock);
    z->stop = true;
    pthread_cond_broadcast(&z->cond);
    pthread_mutex_unlock(&z->lock);
    pthread_join(z->thread, NULL);
    pthread_mutex_destroy(&z->lock);
    pthread_cond_destroy(&z->cond);
    free(z->zeros);
    free(z->rbuf);
    free(z);
}
