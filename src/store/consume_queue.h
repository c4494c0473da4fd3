/* A consume queue: the index of one topic queue into the commit log
 * (Apache RocketMQ 4.9.8 store/.../ConsumeQueue.java; reference broker.md 1.4,
 * 6.2, 6.4, 7.4).  Files under consumequeue/<topic>/<queueId>/, each of
 * file_size bytes (300,000 entries x 20 by default), named by the logical byte
 * offset of their first entry (entry n is at byte n x 20).  Entry, big-endian:
 *   int64 commit-log offset | int32 record size | int64 tags code
 * Filler entries (0, 0x7FFFFFFF, 0) pad a queue's first file when it starts
 * at an entry other than a multiple of the file's entry count.
 *
 * One writer (the dispatch thread, or recovery); readers on any thread. */
#ifndef RMQ_STORE_CONSUME_QUEUE_H
#define RMQ_STORE_CONSUME_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/mapped_file.h"

#define RMQ_CQ_UNIT_SIZE 20
#define RMQ_CQ_DEFAULT_FILE_SIZE (300000 * RMQ_CQ_UNIT_SIZE)

typedef struct rmq_consume_queue rmq_consume_queue_t;

/* root = <storePathRootDir>/consumequeue; file_size is rounded up to a
 * multiple of 20.  Nothing is read or created yet. */
rmq_consume_queue_t *rmq_cq_new(const char *root, const char *topic, int32_t queue_id,
                                size_t file_size);
void rmq_cq_free(rmq_consume_queue_t *cq);
const char *rmq_cq_topic(const rmq_consume_queue_t *cq);
int32_t rmq_cq_queue_id(const rmq_consume_queue_t *cq);

/* Maps the existing files (each must be exactly file_size bytes). */
int rmq_cq_load(rmq_consume_queue_t *cq, char *err, size_t errlen);
/* After load: scans from the third-last file for the last valid entry
 * (offset >= 0 and size > 0), sets the queue's end after it and drops what
 * follows. */
void rmq_cq_recover(rmq_consume_queue_t *cq);

/* Appends the entry for queue index cq_offset (dispatch thread).  An entry
 * whose record ends at or below the highest one written is a duplicate and
 * ignored; an index below the queue's end is ignored too; an index above it
 * is logged and appended at the end.  Returns 0 or ROCKETMQ_ERR__IO. */
int rmq_cq_put(rmq_consume_queue_t *cq, int64_t phys_offset, int32_t size, int64_t tags_code,
               int64_t cq_offset);

/* In entries: the first valid index, and the next index to be written. */
int64_t rmq_cq_min_offset(rmq_consume_queue_t *cq);
int64_t rmq_cq_max_offset(rmq_consume_queue_t *cq);
/* End (offset + size) in the commit log of the last entry, 0 if none. */
int64_t rmq_cq_max_phys_offset(rmq_consume_queue_t *cq);

/* The entries from index on, as far as the file holding index is written:
 * p points at entry `index`, n entries are readable.  The file is held until
 * rmq_cq_slice_release. */
typedef struct rmq_cq_slice {
    rmq_mapped_file_t *mf;
    const uint8_t *p;
    size_t n;
} rmq_cq_slice_t;

/* 0, or ROCKETMQ_ERR__NOT_FOUND if index is not readable (its file is gone
 * or it is at or beyond the end). */
int rmq_cq_read(rmq_consume_queue_t *cq, int64_t index, rmq_cq_slice_t *s);
void rmq_cq_slice_release(rmq_cq_slice_t *s);
/* One entry; false if not readable. */
bool rmq_cq_entry(rmq_consume_queue_t *cq, int64_t index, int64_t *phys_offset, int32_t *size,
                  int64_t *tags_code);
/* First index of the file after the one holding index (OFFSET_FOUND_NULL). */
int64_t rmq_cq_next_file_index(rmq_consume_queue_t *cq, int64_t index);

/* Recovery: drops every entry whose record starts at or after phys_offset. */
void rmq_cq_truncate_dirty(rmq_consume_queue_t *cq, int64_t phys_offset);
/* The min offset becomes the first entry pointing at or after the commit
 * log's minimum offset. */
void rmq_cq_correct_min_offset(rmq_consume_queue_t *cq, int64_t commitlog_min_offset);
/* Retention: deletes files (never the last) whose last entry points below the
 * commit log's minimum offset; returns how many. */
int rmq_cq_delete_expired(rmq_consume_queue_t *cq, int64_t commitlog_min_offset);
/* Flushes one file's dirty pages (least_pages as the commit log). */
int rmq_cq_flush(rmq_consume_queue_t *cq, int least_pages);
/* Removes every file and the queue's directory. */
void rmq_cq_destroy(rmq_consume_queue_t *cq);

#endif
