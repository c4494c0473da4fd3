/* Zeroing ahead (SYNC_FLUSH): keeps the blocks in front of the commit log's
 * end written with zeros, by direct I/O from a thread of its own, so that a
 * group commit's fdatasync writes data pages only.
 *
 * Why: a segment is preallocated with posix_fallocate, which leaves its
 * blocks "unwritten" in the file system.  The first write-back into an
 * unwritten block converts it, and the fdatasync that covers it must then
 * also write the changed extent metadata.  Measured on this project's ext4
 * (bench/store.sh): an fdatasync that appends within a written page took
 * ~90 us, one that reached a new page ~200 us.  One writer waiting for each
 * put reaches a new page every 16 puts at 128 B; 64 writers sharing a group
 * commit reach one with nearly every flush, so their flushes took twice as
 * long as a lone writer's.  Apache RocketMQ's answer is warmMapedFileEnable
 * (zeros through the mapping into the whole new file); here the zeros go a
 * window at a time, by O_DIRECT (no page cache, no dirty pages for the
 * group commit to wait on), and only in SYNC_FLUSH, where fdatasyncs are
 * small and frequent.  The cost is writing the log's bytes to the disk twice.
 *
 * Safety: the zeros must never land on records.  The log's only file writer
 * (the staging ring's drain) announces each range before writing it
 * (rmq_zero_ahead_clear); the zeroing thread claims a range at or beyond
 * everything announced, under the same lock, and a drain whose range reaches
 * into a claim waits for that claim to finish.  So every record byte is
 * written after any zeros at its place. */
#ifndef RMQ_STORE_ZERO_AHEAD_H
#define RMQ_STORE_ZERO_AHEAD_H

#include <stdint.h>

#include "store/mapped_queue.h"

typedef struct rmq_zero_ahead rmq_zero_ahead_t;

/* How far in front of the appended end the blocks are kept written, and the
 * size of each direct write. */
#define RMQ_ZERO_WINDOW (8 * 1024 * 1024)
#define RMQ_ZERO_CHUNK (256 * 1024)

/* Starts the thread for the log q, whose appends end at `from` now.  NULL
 * when it cannot run (no thread, or no aligned buffer); zeroing is then off
 * and nothing else changes. */
rmq_zero_ahead_t *rmq_zero_ahead_start(rmq_mapped_queue_t *q, int64_t from);
/* Appender: the log's appended end is now `end`, in the file that starts at
 * file_start.  Costs two comparisons unless the end passed the next step or
 * moved to a new file (the thread waits for a file to be the log's before
 * it zeroes in it), when it wakes the thread. */
void rmq_zero_ahead_appended(rmq_zero_ahead_t *z, int64_t file_start, int64_t end);
/* File writer, before writing the log below `limit`: waits while a range
 * being zeroed starts below limit, and keeps later zeros at or beyond it. */
void rmq_zero_ahead_clear(rmq_zero_ahead_t *z, int64_t limit);
/* Stops and joins the thread; NULL is a no-op. */
void rmq_zero_ahead_stop(rmq_zero_ahead_t *z);

#endif
