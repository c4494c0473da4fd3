/* The commit log's staging ring (Apache RocketMQ's transientStorePoolEnable:
 * TransientStorePool + CommitRealTimeService).  With ASYNC_FLUSH appends are
 * copied into a ring of memory that stays mapped and faulted in, and a commit
 * thread writes them to the segment files with pwrite.  Two things are
 * gained: the appending thread never takes a page fault (with mmap every new
 * page of a segment costs one, plus the kernel zeroing the page first), and
 * the copy into the page cache runs on another CPU while appends continue.
 *
 * What readers see: only what the commit thread has written (a segment's
 * `wrote`), always at a record boundary.  What a crash of the process loses:
 * what was staged but not yet written, a few milliseconds of appends at most
 * (the commit thread is woken by the first append after it went idle); as
 * in Java, which is why the option is off by default.
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

/* A ring of at least ring_bytes (rounded up to pages) for the log q, whose
 * readable end is `from` (the commit thread starts there).  interval_ms:
 * the commit thread's longest sleep (commitIntervalCommitLog).  NULL and a
 * message in err when the ring cannot be mapped or the thread started. */
rmq_stage_t *rmq_stage_start(rmq_mapped_queue_t *q, int64_t from, size_t ring_bytes,
                             int interval_ms, rmq_stage_commit_cb on_commit,
                             rmq_stage_error_cb on_error, void *arg, char *err, size_t errlen);

/* Writer (one at a time: the append lock): copies n bytes that go to
 * commit-log offset `at` (of the file mf, at its appended position) into the
 * ring, waiting while the ring is full; then records that mf's records end at
 * staged and its next append goes to appended.  A seal passes the end of its
 * blank record as staged and the file size as appended. */
void rmq_stage_put(rmq_stage_t *st, rmq_mapped_file_t *mf, int64_t at, const uint8_t *p, size_t n,
                   int64_t staged, int64_t appended);

/* Writes out everything staged and stops the commit thread.  The caller
 * has made sure no put runs or will run. */
void rmq_stage_stop(rmq_stage_t *st);

/* The commit-log offset up to which the ring has been written to files. */
int64_t rmq_stage_committed(const rmq_stage_t *st);

#endif
