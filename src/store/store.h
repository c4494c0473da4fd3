/* The message store: commit log, consume queues, index, flush, dispatch,
 * recovery and retention, in Apache RocketMQ's on-disk formats (reference
 * broker.md sections 1-7).  A library with no network code; the broker links
 * it.  Thread-safe: puts and reads may come from any thread. */
#ifndef RMQ_STORE_STORE_H
#define RMQ_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/config.h"
#include "store/mapped_file.h"
#include "protocol/record.h"

/* MessageStoreConfig keys (names and defaults of Apache RocketMQ 4.9.8). */
typedef struct rmq_store_config {
    char *storePathRootDir;        /* ~/store */
    char *storePathCommitLog;      /* <root>/commitlog when empty */
    int32_t mappedFileSizeCommitLog;   /* 1 GiB */
    int32_t mappedFileSizeConsumeQueue; /* 300000 * 20 */
    char *flushDiskType;           /* ASYNC_FLUSH | SYNC_FLUSH */
    int32_t flushIntervalCommitLog;    /* 500 ms */
    int32_t flushCommitLogLeastPages;  /* 4 */
    int32_t flushCommitLogThoroughInterval; /* 10000 ms */
    bool transientStorePoolEnable; /* false: appends go through a staging ring (stage.h) */
    int32_t commitIntervalCommitLog;   /* 200 ms: the commit thread's longest sleep */
    int32_t transientStoreRingSize;    /* rmq-c: bytes of the staging ring, 32 MiB */
    int32_t flushIntervalConsumeQueue;  /* 1000 ms */
    int32_t flushConsumeQueueLeastPages; /* 2 */
    int32_t flushConsumeQueueThoroughInterval; /* 60000 ms */
    int32_t syncFlushTimeout;      /* 5000 ms */
    int32_t maxMessageSize;        /* 4 MiB */
    bool checkCRCOnRecover;        /* true */
    bool messageIndexEnable;       /* true */
    int32_t maxHashSlotNum;        /* 5,000,000 */
    int32_t maxIndexNum;           /* 20,000,000 */
    int32_t fileReservedTime;      /* 72 h */
    char *deleteWhen;              /* "04" */
    int32_t diskMaxUsedSpaceRatio; /* 75 % */
    int32_t cleanResourceInterval; /* 10000 ms */
    bool cleanFileForciblyEnable;  /* true */
    int32_t maxTransferBytesOnMessageInMemory; /* 262144 */
    int32_t maxTransferCountOnMessageInMemory; /* 32 */
    int32_t maxTransferBytesOnMessageInDisk;   /* 65536 */
    int32_t maxTransferCountOnMessageInDisk;   /* 8 */
    int32_t accessMessageInMemoryMaxRatio;     /* 40 */
} rmq_store_config_t;

extern const rmq_conf_def_t rmq_store_conf_defs[];

/* PutMessageStatus, in Java's order. */
typedef enum rmq_put_status {
    RMQ_PUT_OK,
    RMQ_PUT_FLUSH_DISK_TIMEOUT,
    RMQ_PUT_FLUSH_SLAVE_TIMEOUT,
    RMQ_PUT_SLAVE_NOT_AVAILABLE,
    RMQ_PUT_SERVICE_NOT_AVAILABLE,
    RMQ_PUT_CREATE_MAPEDFILE_FAILED,
    RMQ_PUT_MESSAGE_ILLEGAL,
    RMQ_PUT_PROPERTIES_SIZE_EXCEEDED,
    RMQ_PUT_OS_PAGECACHE_BUSY,
    RMQ_PUT_UNKNOWN_ERROR,
} rmq_put_status_t;

const char *rmq_put_status_name(rmq_put_status_t s);

typedef struct rmq_put_result {
    rmq_put_status_t status;
    int64_t wrote_offset;    /* commit-log offset of the first record */
    int32_t wrote_bytes;     /* of all records */
    int64_t store_timestamp;
    int64_t queue_offset;    /* of the first record */
    int32_t msg_num;
} rmq_put_result_t;

/* Called exactly once per put: on the caller's thread before rmq_store_put
 * returns (ASYNC_FLUSH, or an error), or on the flush thread once the records
 * are durable or syncFlushTimeout passed (SYNC_FLUSH).  Must not block. */
typedef void (*rmq_put_cb)(const rmq_put_result_t *res, void *arg);

/* A message arrived in a consume queue (dispatch thread): the broker's long
 * polling wakes held pulls with it.  max_offset = queue offset + 1. */
typedef void (*rmq_arrival_cb)(const char *topic, int32_t queue_id, int64_t max_offset,
                               int64_t tags_code, int64_t store_timestamp, void *arg);

typedef struct rmq_store rmq_store_t;

/* Takes the lock file, loads and recovers (crash recovery when the abort
 * file is present), replays the commit log into the consume queues and index,
 * and starts the flush, dispatch and cleanup threads.  NULL with err filled. */
rmq_store_t *rmq_store_open(const rmq_store_config_t *cfg, char *err, size_t errlen);
/* Stops the threads, flushes everything, writes the checkpoint and removes the
 * abort file (a clean shutdown). */
void rmq_store_close(rmq_store_t *s);
/* Before any put. */
void rmq_store_set_arrival_cb(rmq_store_t *s, rmq_arrival_cb cb, void *arg);
/* The delay of each level (messageDelayLevel), ms, before any put: consume
 * queue entries of SCHEDULE_TOPIC_XXXX then hold the delivery time (store
 * time + delay of the message's DELAY level) instead of a tags hash. */
void rmq_store_set_delay_levels(rmq_store_t *s, const int64_t *delay_ms, int n);

/* Appends msgs[0..n) contiguously, with consecutive queue offsets (a batch
 * must share topic and queue).  See rmq_put_cb for when cb runs. */
void rmq_store_put(rmq_store_t *s, const rmq_msg_in_t *msgs, size_t n, rmq_put_cb cb, void *arg);
/* True while a put has held the append lock for more than 1 s
 * (osPageCacheBusyTimeOutMills): the broker then refuses sends with
 * SYSTEM_BUSY before they queue up behind it. */
bool rmq_store_os_pagecache_busy(rmq_store_t *s);

/* The same, waiting for the result. */
rmq_put_status_t rmq_store_put_sync(rmq_store_t *s, const rmq_msg_in_t *msgs, size_t n,
                                    rmq_put_result_t *res);

/* GetMessageStatus. */
typedef enum rmq_get_status {
    RMQ_GET_FOUND,
    RMQ_GET_NO_MATCHED_MESSAGE,
    RMQ_GET_MESSAGE_WAS_REMOVING,
    RMQ_GET_OFFSET_FOUND_NULL,
    RMQ_GET_OFFSET_OVERFLOW_BADLY,
    RMQ_GET_OFFSET_OVERFLOW_ONE,
    RMQ_GET_OFFSET_TOO_SMALL,
    RMQ_GET_NO_MATCHED_LOGIC_QUEUE,
    RMQ_GET_NO_MESSAGE_IN_QUEUE,
} rmq_get_status_t;

const char *rmq_get_status_name(rmq_get_status_t s);

/* One stored record, as bytes of the mapped commit log (held). */
typedef struct rmq_msg_slice {
    rmq_mapped_file_t *mf;
    const uint8_t *p;
    size_t len;
} rmq_msg_slice_t;

typedef struct rmq_get_result {
    rmq_get_status_t status;
    int64_t next_begin_offset;
    int64_t min_offset;
    int64_t max_offset;
    bool suggest_pulling_from_slave;
    rmq_msg_slice_t *msgs;
    size_t count;
    size_t total_bytes;
} rmq_get_result_t;

/* Consume-queue level filter: true if a message with this tags code may
 * match (NULL: everything matches). */
typedef bool (*rmq_tags_filter)(int64_t tags_code, void *arg);

/* Reads up to max_msgs records of topic/queue_id from queue offset `offset`,
 * with Apache RocketMQ's statuses and next offset (reference 8.3).  Release
 * the result with rmq_get_result_release. */
void rmq_store_get_messages(rmq_store_t *s, const char *topic, int32_t queue_id, int64_t offset,
                            int32_t max_msgs, rmq_tags_filter filter, void *filter_arg,
                            rmq_get_result_t *out);
void rmq_get_result_release(rmq_get_result_t *r);

int64_t rmq_store_min_offset(rmq_store_t *s, const char *topic, int32_t queue_id);
int64_t rmq_store_max_offset(rmq_store_t *s, const char *topic, int32_t queue_id);
/* The first queue offset whose message was stored at or after ts (the last one
 * if all are older), as getOffsetInQueueByTime. */
int64_t rmq_store_offset_by_time(rmq_store_t *s, const char *topic, int32_t queue_id, int64_t ts);
/* Store time of the message at a queue offset; -1 if not readable. */
int64_t rmq_store_msg_store_time(rmq_store_t *s, const char *topic, int32_t queue_id,
                                 int64_t offset);
/* Copies the record at a commit-log offset into out; 0 or ROCKETMQ_ERR__NOT_FOUND. */
int rmq_store_read_at(rmq_store_t *s, int64_t phys_offset, rmq_buf_t *out);
/* Commit-log offsets of messages indexed under topic#key stored in
 * [begin, end] (hash matches; the caller compares keys).  Returns the count. */
int rmq_store_query_by_key(rmq_store_t *s, const char *topic, const char *key, int max_num,
                           int64_t begin, int64_t end, int64_t *offsets);

/* Counters since the store opened (StoreStatsService's totals). */
/* Put latency histogram (StoreStatsService's putMessageDistributeTime, in
 * finer steps): one bucket per millisecond below 1 s, then [1,2) [2,3) [3,4)
 * [4,5) [5,10) and >= 10 s.  A SYNC_FLUSH put ends when its flush does. */
#define RMQ_STORE_LATENCY_BUCKETS 1006
/* The bucket of a latency in ms. */
int rmq_store_latency_bucket(int64_t ms);

typedef struct rmq_store_stats {
    int64_t put_times;     /* successful puts (a batch counts once) */
    int64_t put_messages;  /* messages stored */
    int64_t put_bytes;     /* record bytes stored */
    int64_t put_failed;    /* puts refused */
    int64_t get_found;     /* messages returned by reads */
    int64_t get_times;     /* reads */
    int64_t get_hits;      /* reads that returned messages */
    int64_t put_max_ms;    /* slowest put so far */
    int64_t put_latency[RMQ_STORE_LATENCY_BUCKETS];
    int64_t lock_ms;       /* how long the append lock has been held now, 0 if free */
} rmq_store_stats_t;

void rmq_store_get_stats(rmq_store_t *s, rmq_store_stats_t *out);

int64_t rmq_store_commitlog_min_offset(rmq_store_t *s);
int64_t rmq_store_commitlog_max_offset(rmq_store_t *s);
/* Bytes appended but not yet dispatched to consume queues and index. */
int64_t rmq_store_dispatch_behind(rmq_store_t *s);
/* Blocks until the dispatcher has caught up (or timeout_ms); true if it did.
 * False at once while the dispatcher is failing (a consume queue without
 * disk space: it retries, and the store refuses writes). */
bool rmq_store_wait_dispatched(rmq_store_t *s, int timeout_ms);
/* Forgets a topic (DELETE_TOPIC_IN_BROKER, cleanUnusedTopic): its consume
 * queues lose their files and its queue offsets start again at 0.  Done by
 * the dispatch thread, the consume queues' only writer, shortly after the
 * call; the commit log keeps the records until retention. */
void rmq_store_delete_topic(rmq_store_t *s, const char *topic);

/* Runs one retention pass now, as if deleteWhen matched (tests, admin). */
int rmq_store_clean_now(rmq_store_t *s);

#endif
