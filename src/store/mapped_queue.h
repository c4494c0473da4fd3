/* A directory of equally sized mapped files covering consecutive logical
 * ranges [name, name + file_size) (Apache RocketMQ MappedFileQueue; reference
 * broker.md 1.2).  One writer appends at the end; readers find files by
 * offset from any thread (the file list is guarded by a read/write lock). */
#ifndef RMQ_STORE_MAPPED_QUEUE_H
#define RMQ_STORE_MAPPED_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/mapped_file.h"

typedef struct rmq_mapped_queue {
    char *dir;
    size_t file_size;
    bool preallocate;
    pthread_rwlock_t lock;
    rmq_mapped_file_t **files; /* ascending start */
    size_t nfiles, cap;
    _Atomic int64_t flushed_where; /* logical offset made durable */
    /* Allocation ahead (commit log): the next file, created and faulted in by
     * a background thread while the current one fills. */
    pthread_t ahead_thread;
    pthread_mutex_t ahead_lock;
    pthread_cond_t ahead_cond;
    rmq_mapped_file_t *ahead;  /* ahead_lock: prepared, not yet in files */
    int64_t ahead_want;        /* ahead_lock: start to prepare, -1 none */
    int64_t ahead_busy;        /* ahead_lock: start being created now, -1 none */
    bool ahead_running, ahead_stop;
    /* How rmq_mapped_file_flush writes this queue's files back
     * (RMQ_FLUSH_UNMAP, RMQ_FLUSH_RANGE). */
    unsigned flush_how;
    /* Warming ahead (rmq_mq_warm_window): the same thread fills the page
     * cache in front of the writer with zeros.  It claims one chunk at a
     * time, at or beyond warm_guard; the writer stores below warm_guard
     * without asking, and moves it (rmq_mq_warm_kick) before it stores past
     * it, waiting for a claim that reaches into its new range. */
    size_t warm_window;   /* 0: off */
    int64_t warm_want;    /* ahead_lock: warm up to this logical offset */
    int64_t warm_done;    /* ahead_lock: claimed or written up to here */
    int64_t warm_guard;   /* writer (ahead_lock when the thread runs) */
    int64_t claim_from;   /* ahead_lock: [claim_from, claim_to) being written */
    int64_t claim_to;     /* now; equal when nothing is */
    bool warm_waiting;    /* ahead_lock: the writer waits for the claim */
    const void *zeros;    /* ahead thread: a read-only anonymous mapping */
    /* Tests: the ahead thread sleeps this long in each claim before it
     * writes, so that a writer catches up with it. */
    unsigned warm_delay_us;
} rmq_mapped_queue_t;

/* How far ahead of the writer the commit log is warmed: 8 ms of appends at
 * 1 GB/s.  4 to 32 MiB measured alike (bench/store.sh); more only holds
 * more pages of zeros. */
#define RMQ_WARM_WINDOW (8 * 1024 * 1024)

/* Creates the queue object (and the directory); loads nothing yet. */
rmq_mapped_queue_t *rmq_mq_new(const char *dir, size_t file_size, bool preallocate);
void rmq_mq_free(rmq_mapped_queue_t *q);
/* Maps every file of the directory in name order; each must be exactly
 * file_size bytes (a different size refuses the load, as Apache RocketMQ does). */
int rmq_mq_load(rmq_mapped_queue_t *q, char *err, size_t errlen);

size_t rmq_mq_count(rmq_mapped_queue_t *q);
/* The file at index i / the last one, held (release it), or NULL. */
rmq_mapped_file_t *rmq_mq_get(rmq_mapped_queue_t *q, size_t i);
rmq_mapped_file_t *rmq_mq_last(rmq_mapped_queue_t *q);
/* Writer: the last file if it has room, else a new one after it (or at
 * start_offset rounded down to a file boundary when the queue is empty).
 * Not held: only the writer uses it, and only the writer deletes the last file. */
rmq_mapped_file_t *rmq_mq_last_or_create(rmq_mapped_queue_t *q, int64_t start_offset, char *err,
                                         size_t errlen);
/* The file containing offset, held, or NULL. */
rmq_mapped_file_t *rmq_mq_find(rmq_mapped_queue_t *q, int64_t offset);

int64_t rmq_mq_min_offset(rmq_mapped_queue_t *q); /* first file's start, -1 if empty */
int64_t rmq_mq_max_offset(rmq_mapped_queue_t *q); /* last file's start + wrote, 0 if empty */
/* Last file's start + appended: beyond max_offset while staged bytes wait. */
int64_t rmq_mq_append_end(rmq_mapped_queue_t *q);

/* Flushes the file holding flushed_where (one file per call, as Java does);
 * returns 0 or ROCKETMQ_ERR__IO. */
int rmq_mq_flush(rmq_mapped_queue_t *q, int least_pages);
/* Flushes everything written. */
int rmq_mq_flush_all(rmq_mapped_queue_t *q);
int64_t rmq_mq_flushed_where(rmq_mapped_queue_t *q);
void rmq_mq_set_flushed_where(rmq_mapped_queue_t *q, int64_t offset);

/* Starts the allocate-ahead thread (AllocateMappedFileService): whenever a
 * new last file is taken, the one after it is created and its blocks
 * reserved, so appends never wait for that.  Stop before
 * freeing; an unused prepared file is deleted. */
int rmq_mq_start_ahead(rmq_mapped_queue_t *q);
void rmq_mq_stop_ahead(rmq_mapped_queue_t *q);

/* Writer appending through the mapping: keep the `window` bytes after the
 * write position in the page cache (call before rmq_mq_start_ahead).  A
 * store into a page that is not cached costs the writer a fault in which the
 * kernel allocates the page and fills it, for a preallocated range by
 * zeroing it, as readahead does when anything reads it.  The ahead thread
 * does that work on the other CPU instead, with pwrite of zeros: the write
 * path fills new pages without zeroing them first, and measured 3x faster
 * than zero-filling reads on this project's machine (docs/storage.md).  The
 * zeros dirty the pages; flushes of this queue must write back only what was
 * written (RMQ_FLUSH_RANGE), or every zero would go to the disk before the
 * record that replaces it. */
void rmq_mq_warm_window(rmq_mapped_queue_t *q, size_t window);
void rmq_mq_warm_kick(rmq_mapped_queue_t *q, int64_t end);
/* Writer: it is about to store bytes up to logical offset end. */
static inline void rmq_mq_will_write(rmq_mapped_queue_t *q, int64_t end)
{
    if (q->warm_window && end > q->warm_guard)
        rmq_mq_warm_kick(q, end);
}

/* Recovery: destroys the files that start after offset and sets the write and
 * flush positions of the one containing it (bytes after it are not trusted). */
void rmq_mq_truncate(rmq_mapped_queue_t *q, int64_t offset);
/* Recovery: destroys the last file (a consume queue drops files whose first
 * entry is dirty, which rmq_mq_truncate cannot express when that file starts
 * exactly at the cut).  True if one was removed; flushed_where is untouched. */
bool rmq_mq_delete_last(rmq_mapped_queue_t *q);
/* Destroys the first file (retention), unless it is the only one.  True if
 * one was removed. */
bool rmq_mq_delete_first(rmq_mapped_queue_t *q);
/* Destroys every file (the queue is emptied). */
void rmq_mq_destroy_all(rmq_mapped_queue_t *q);

#endif
