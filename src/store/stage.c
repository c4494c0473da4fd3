/* The staging ring and its commit thread; see stage.h.
 *
 * Positions are commit-log offsets.  `head` is where the writer's bytes end
 * in the ring, `done` how far the commit thread has written them to files.
 * The writer may use the ring up to done + size.  A segment's end (after its
 * blank record) is skipped by both: the writer's next bytes go to the next
 * segment's start, and the commit thread moves done there once it has
 * written the sealed segment out.
 *
 * Hand-offs cost nothing while both sides are busy: the writer wakes the
 * commit thread only when it announced that it sleeps (`idle`), and the
 * commit thread wakes the writer only when it announced that it waits for
 * room (`writer_waiting`).  Each side stores its flag, then fences, then
 * re-reads the other's position (and the other stores its position, fences,
 * then reads the flag), so at least one of them sees the other. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "store/stage.h"
#include "store/zero_ahead.h"

/* Bytes per pwrite: frees ring space for the writer in steps. */
#define COMMIT_CHUNK (1024 * 1024)
/* A writer waiting for room re-checks at least this often. */
#define SPACE_WAIT_MS 100

struct rmq_stage {
    rmq_mapped_queue_t *q;
    uint8_t *ring; /* 2 * size bytes of address space, the same pages twice */
    size_t size;
    rmq_stage_opts_t o;
    pthread_mutex_t drain_lock; /* without a thread: one drain at a time */
    bool stopped;
    _Atomic int64_t head;
    _Atomic int64_t done;
    atomic_uint work_seq; /* bumped to wake the commit thread */
    atomic_bool idle;
    atomic_uint space_seq; /* bumped to wake a writer waiting for room */
    atomic_bool writer_waiting;
    atomic_bool stop;
    bool failed; /* commit thread: a write failed; nothing more is published */
    int64_t prev_boundary; /* commit thread: last round's record boundary, -1 none */
    pthread_t thread;
    rmq_zero_ahead_t *zero; /* o.zero_ahead: keeps blocks ahead of head written */
};

static void futex_wait_ms(atomic_uint *word, unsigned seen, int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
}

static void futex_wake_all(atomic_uint *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Maps a memfd of size bytes twice, back to back. */
static uint8_t *map_ring(size_t size)
{
    int fd = memfd_create("rmq-commitlog-stage", MFD_CLOEXEC);
    if (fd < 0)
        return NULL;
    uint8_t *ring = NULL;
    if (ftruncate(fd, (off_t)size) == 0) {
        void *va = mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (va != MAP_FAILED) {
            ring = va;
            if (mmap(ring, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
                    MAP_FAILED ||
                mmap(ring + size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
                    MAP_FAILED) {
                munmap(va, 2 * size);
                ring = NULL;
            }
        }
    }
    /* Not faulted in here: on this project's VM that costs ~75 ms of start-up
     * for 32 MiB; the writer's first lap pays it instead, a page at a time. */
    close(fd);
    return ring;
}

static void wake_writer(rmq_stage_t *st)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&st->writer_waiting)) {
        atomic_store(&st->writer_waiting, false);
        atomic_fetch_add(&st->space_seq, 1);
        futex_wake_all(&st->space_seq);
    }
}

static void wake_committer(rmq_stage_t *st)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&st->idle)) {
        atomic_fetch_add(&st->work_seq, 1);
        futex_wake_all(&st->work_seq);
    }
}

/* Writes [done, limit) of the ring into mf. */
static void write_out(rmq_stage_t *st, rmq_mapped_file_t *mf, int64_t limit)
{
    int64_t done = atomic_load_explicit(&st->done, memory_order_relaxed);
    if (done < limit)
        rmq_zero_ahead_clear(st->zero, limit);
    while (done < limit) {
        size_t n = (size_t)(limit - done) < COMMIT_CHUNK ? (size_t)(limit - done) : COMMIT_CHUNK;
        if (!st->failed &&
            rmq_pwrite_all(mf->fd, st->ring + (size_t)(done % (int64_t)st->size), n,
                           done - mf->start) != 0) {
            RMQ_LOGE("store", "writing staged bytes to %s failed: %s; they are lost", mf->path,
                     strerror(errno));
            st->failed = true;
            st->o.on_error(st->o.arg);
        }
        done += (int64_t)n;
        atomic_store(&st->done, done);
        wake_writer(st);
    }
}

typedef enum round_res {
    ROUND_IDLE,    /* nothing staged beyond done */
    ROUND_PARTIAL, /* whole pages only, and less than a page is staged */
    ROUND_MOVED,   /* bytes written, a record published, or a segment finished */
} round_res_t;

/* Publishes the last record boundary the written bytes cover: the one seen
 * this round, or failing that the one seen last round (written in whole
 * pages, the bytes stop short of the newest boundary). */
static bool publish(rmq_stage_t *st, rmq_mapped_file_t *mf, int64_t staged, bool sealed)
{
    int64_t done = atomic_load_explicit(&st->done, memory_order_relaxed);
    int64_t pub = -1;
    if (done >= mf->start + staged)
        pub = sealed ? (int64_t)mf->size : staged;
    else if (st->prev_boundary > mf->start && done >= st->prev_boundary)
        pub = st->prev_boundary - mf->start;
    st->prev_boundary = mf->start + staged;
    if (pub < 0 || st->failed || pub <= rmq_mapped_file_wrote(mf))
        return false;
    rmq_mapped_file_publish(mf, pub);
    st->o.on_commit(st->o.arg);
    return true;
}

/* One round over the segment holding `done`: writes what is staged there
 * (with whole_pages, only up to the last page boundary, so that the kernel
 * never zeroes the rest of a page the next write fills anyway) and
 * publishes the last whole record written. */
static round_res_t commit_round(rmq_stage_t *st, bool whole_pages)
{
    int64_t done = atomic_load_explicit(&st->done, memory_order_relaxed);
    rmq_mapped_file_t *mf = rmq_mq_find(st->q, done);
    if (!mf)
        return ROUND_IDLE;
    int64_t end = mf->start + (int64_t)mf->size;
    /* staged before head: the writer moves head first, so every record that
     * ends at staged is below head. */
    int64_t staged = atomic_load_explicit(&mf->staged, memory_order_acquire);
    int64_t head = atomic_load_explicit(&st->head, memory_order_acquire);
    bool sealed = rmq_mapped_file_full(mf);
    if (sealed)
        staged = atomic_load_explicit(&mf->staged, memory_order_acquire); /* final */
    int64_t limit = sealed ? mf->start + staged : (head < end ? head : end);
    round_res_t res = ROUND_IDLE;
    if (whole_pages && !sealed && limit > done) {
        int64_t page = mf->start + (limit - mf->start) / RMQ_OS_PAGE_SIZE * RMQ_OS_PAGE_SIZE;
        res = ROUND_PARTIAL;
        limit = page;
    }
    if (limit > done) {
        write_out(st, mf, limit);
        res = ROUND_MOVED;
    }
    if (publish(st, mf, staged, sealed))
        res = ROUND_MOVED;
    if (sealed && atomic_load_explicit(&st->done, memory_order_relaxed) >= mf->start + staged) {
        atomic_store(&st->done, end); /* the rest of the segment is never staged */
        st->prev_boundary = -1;
        wake_writer(st);
        res = ROUND_MOVED;
    }
    rmq_mapped_file_release(mf);
    return res;
}

/* While appends stream in, less than a page staged waits this long for
 * more, at most PARTIAL_NAPS times, before it is written as it is. */
#define PARTIAL_NAP_MS 1
#define PARTIAL_NAPS 2

static void *commit_main(void *arg)
{
    rmq_stage_t *st = arg;
    bool streaming = false;
    int naps = 0;
    for (;;) {
        round_res_t r = commit_round(st, streaming && naps < PARTIAL_NAPS);
        if (r == ROUND_MOVED) {
            streaming = true;
            naps = 0;
            continue;
        }
        if (r == ROUND_PARTIAL && !atomic_load(&st->stop)) {
            /* not idle: appends do not wake it; stop does */
            futex_wait_ms(&st->work_seq, atomic_load(&st->work_seq), PARTIAL_NAP_MS);
            naps++;
            continue;
        }
        if (r == ROUND_PARTIAL) {
            streaming = false; /* stopping: write the tail now */
            continue;
        }
        streaming = false;
        naps = 0;
        unsigned seq = atomic_load(&st->work_seq);
        atomic_store(&st->idle, true);
        atomic_thread_fence(memory_order_seq_cst);
        bool moved = commit_round(st, false) != ROUND_IDLE;
        if (!moved && atomic_load(&st->stop))
            break;
        if (!moved)
            futex_wait_ms(&st->work_seq, seq, st->o.interval_ms);
        atomic_store(&st->idle, false);
    }
    return NULL;
}

rmq_stage_t *rmq_stage_start(rmq_mapped_queue_t *q, int64_t from, const rmq_stage_opts_t *o,
                             char *err, size_t errlen)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t unit = page > 0 ? (size_t)page : 4096;
    size_t size = (o->ring_bytes + unit - 1) / unit * unit;
    rmq_stage_t *st = rmq_calloc(1, sizeof(*st));
    st->q = q;
    st->size = size;
    st->o = *o;
    if (st->o.interval_ms <= 0)
        st->o.interval_ms = 1;
    pthread_mutex_init(&st->drain_lock, NULL);
    atomic_store(&st->head, from);
    atomic_store(&st->done, from);
    st->prev_boundary = -1;
    st->ring = map_ring(size);
    if (!st->ring) {
        rmq_set_err(err, errlen, "cannot map a staging ring of %zu bytes: %s", size,
                    strerror(errno));
        free(st);
        return NULL;
    }
    if (o->threaded && pthread_create(&st->thread, NULL, commit_main, st) != 0) {
        rmq_set_err(err, errlen, "cannot start the commit thread");
        munmap(st->ring, 2 * size);
        free(st);
        return NULL;
    }
    if (o->zero_ahead)
        st->zero = rmq_zero_ahead_start(q, from);
    return st;
}

int rmq_stage_drain(rmq_stage_t *st)
{
    pthread_mutex_lock(&st->drain_lock);
    while (commit_round(st, false) == ROUND_MOVED)
        ;
    int rc = st->failed ? -1 : 0;
    pthread_mutex_unlock(&st->drain_lock);
    return rc;
}

/* Bytes (at most n, at least 1) the writer may copy to offset at now. */
static size_t wait_room(rmq_stage_t *st, int64_t at, size_t n)
{
    for (;;) {
        int64_t done = atomic_load(&st->done);
        int64_t room = (int64_t)st->size - (at - done);
        if (room > 0)
            return (size_t)room < n ? (size_t)room : n;
        unsigned seq = atomic_load(&st->space_seq);
        atomic_store(&st->writer_waiting, true);
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load(&st->done) != done)
            continue;
        if (st->o.threaded)
            wake_committer(st);
        else
            st->o.kick(st->o.arg);
        futex_wait_ms(&st->space_seq, seq, SPACE_WAIT_MS);
    }
}

void rmq_stage_put(rmq_stage_t *st, rmq_mapped_file_t *mf, int64_t at, const uint8_t *p, size_t n,
                   int64_t staged, int64_t appended)
{
    while (n > 0) {
        size_t piece = wait_room(st, at, n);
        memcpy(st->ring + (size_t)(at % (int64_t)st->size), p, piece);
        at += (int64_t)piece;
        p += piece;
        n -= piece;
        atomic_store_explicit(&st->head, at, memory_order_release);
        if (n > 0 && st->o.threaded)
            wake_committer(st); /* a batch larger than the room: let it drain meanwhile */
    }
    rmq_mapped_file_set_staged(mf, staged, appended);
    rmq_zero_ahead_appended(st->zero, mf->start, at);
    if (st->o.threaded)
        wake_committer(st);
}

void rmq_stage_stop(rmq_stage_t *st)
{
    if (!st || st->stopped)
        return;
    st->stopped = true;
    if (!st->o.threaded) {
        rmq_stage_drain(st);
    } else {
        atomic_store(&st->stop, true);
        atomic_fetch_add(&st->work_seq, 1);
        futex_wake_all(&st->work_seq);
        pthread_join(st->thread, NULL);
    }
    /* A group commit may still drain (its writes announce themselves to
     * the zeroing thread): take the thread away between two drains. */
    pthread_mutex_lock(&st->drain_lock);
    rmq_zero_ahead_t *z = st->zero;
    st->zero = NULL;
    pthread_mutex_unlock(&st->drain_lock);
    rmq_zero_ahead_stop(z);
}

void rmq_stage_free(rmq_stage_t *st)
{
    if (!st)
        return;
    rmq_stage_stop(st);
    munmap(st->ring, 2 * st->size);
    pthread_mutex_destroy(&st->drain_lock);
    free(st);
}
