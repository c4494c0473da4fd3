/* The commit log's staging ring (Apache RocketMQ's transientStorePoolEnable:
 * TransientStorePool + CommitRealTimeService).  With ASYNC_FLUSH appends are
 * copied into a ring of memory that stays mapped (faulted in after its first
 * lap), and a commit thread writes them to the segment files with pwrite.
 * Two things are gained: the appending thread never takes a page fault (with
 * mmap every new page of a segment costs one, plus the kernel zeroing the
 * page first), and the copy into the page cache runs on another CPU while
 * appends continue.
 *
 * What readers see: only what the commit thread has written (a segment's
 * `wrote`), always at a record boundary.  What a crash of the process loses:
 * what was staged but not yet written, a few milliseconds of appends at most
 * (the commit thread is woken by the first append after it went idle); as
 * in Java, which is why the option is off by default.
 *
 * SYNC_FLUSH uses the ring too, without a thread of its own: the group-commit
 * thread drains it (one pwrite for every put since the last flush) right
 * before each fdatasync.  A put that waits for the flush (the default) is
 * answered after the fdatasync as before; one sent with WAIT=false is
 * answered once staged, and reaches the file with the next group commit,
 * which its put wakes at once.  A put costs a memcpy instead of a system
 * call under the append lock.
 *
 * The ring is addressed by commit-log offset modulo its size and mapped
 * twice in a row, so any range of up to its size is contiguous in memory. */
#ifndef RMQ_STORE_STAGE_H
#define RMQ_STORE_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/mapped_queue.h"

typedef struct rmq_stage rmq_stage_t;

/* Called by the commit thread after it made more of the log readable. */
typedef void (*rmq_stage_commit_cb)(void *arg);
/* Called once when writing to a segment failed: the data staged is lost. */
typedef void (*rmq_stage_error_cb)(void *arg);
/* Without a commit thread: a writer waits for room; whoever drains must run. */
typedef void (*rmq_stage_kick_cb)(void *arg);

typedef struct rmq_stage_opts {
    size_t ring_bytes;   /* rounded up to pages */
    bool threaded;       /* a commit thread of its own; else rmq_stage_drain */
    int interval_ms;     /* the commit thread's longest sleep (commitIntervalCommitLog) */
    rmq_stage_commit_cb on_commit;
    rmq_stage_error_cb on_error;
    rmq_stage_kick_cb kick; /* without a thread */
    bool zero_ahead;        /* zero the blocks ahead of the writer (zero_ahead.h) */
    void *arg;
} rmq_stage_opts_t;

/* A ring for the log q, whose readable end is `from` (where writing to the
 * files starts).  NULL and a message in err when the ring cannot be mapped or
 * the thread started. */
rmq_stage_t *rmq_stage_start(rmq_mapped_queue_t *q, int64_t from, const rmq_stage_opts_t *o,
                             char *err, size_t errlen);

/* Writer (one at a time: the append lock): copies n bytes that go to
 * commit-log offset `at` (of the file mf, at its appended position) into the
 * ring, waiting while the ring is full; then records that mf's records end at
 * staged and its next append goes to appended.  A seal passes the end of its
 * blank record as staged and the file size as appended. */
void rmq_stage_put(rmq_stage_t *st, rmq_mapped_file_t *mf, int64_t at, const uint8_t *p, size_t n,
                   int64_t staged, int64_t appended);

/* Without a commit thread (SYNC_FLUSH: the group-commit thread, before each
 * fdatasync): writes everything staged so far and publishes it.  0, or -1
 * once a write has failed (what was staged since is lost). */
int rmq_stage_drain(rmq_stage_t *st);

/* Writes out everything staged and stops the commit thread.  The caller
 * has made sure no put runs or will run.  NULL is ignored. */
void rmq_stage_stop(rmq_stage_t *st);
/* Frees the ring, once nothing can call in any more. */
void rmq_stage_free(rmq_stage_t *st);

#endif
