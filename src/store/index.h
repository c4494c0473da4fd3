/* Index files: lookups of messages by key and by unique key within a time
 * range (Apache RocketMQ 4.9.8 store/.../index/IndexFile.java, IndexHeader,
 * IndexService; reference broker.md 1.6).  All integers big-endian.
 *
 * File <storePathRootDir>/index/<yyyyMMddHHmmssSSS, local time of creation>:
 *   header, 40 bytes: beginTimestamp i64 | endTimestamp i64 | beginPhyOffset i64 |
 *                     endPhyOffset i64 | hashSlotCount i32 | indexCount i32 (starts at 1)
 *   hash slots: maxHashSlotNum x i32 (1-based item number of the newest item of the slot; 0 empty)
 *   items:      maxIndexNum x 20 bytes: keyHash i32 | phyOffset i64 | timeDiff i32 (seconds
 *               since beginTimestamp) | prevIndex i32 (0 = end of chain)
 * Keys: "<topic>#<UNIQ_KEY>" and "<topic>#<each KEYS token split on ' '>";
 * keyHash = abs(Java String.hashCode(key)) (0 if still negative); slot = keyHash % slots. */
#ifndef RMQ_STORE_INDEX_H
#define RMQ_STORE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMQ_INDEX_HEADER_SIZE 40
#define RMQ_INDEX_HASH_SLOT_SIZE 4
#define RMQ_INDEX_ITEM_SIZE 20
/* maxMsgsNumBatch: a query returns at most this many offsets. */
#define RMQ_INDEX_QUERY_MAX 64

typedef struct rmq_index_service rmq_index_service_t;

typedef struct rmq_index_opts {
    const char *dir;          /* <storePathRootDir>/index */
    int32_t max_hash_slot_num; /* 5,000,000 */
    int32_t max_index_num;     /* 20,000,000 */
    /* Recovery after a crash: files whose endTimestamp is newer than the
     * checkpoint's indexMsgTimestamp are destroyed at load (they are rebuilt by
     * re-dispatching the commit log). */
    bool last_exit_ok;
    int64_t checkpoint_index_ts;
} rmq_index_opts_t;

/* Opens (creating the directory) and loads the existing files.  NULL with err
 * filled on failure. */
rmq_index_service_t *rmq_index_open(const rmq_index_opts_t *opts, char *err, size_t errlen);
/* Flushes and unmaps everything. */
void rmq_index_close(rmq_index_service_t *svc);

/* Indexes one dispatched message: the unique key (may be NULL) and every
 * non-empty space-separated token of keys (may be NULL), under topic.  Records
 * at offsets below the newest file's endPhyOffset were indexed already and are
 * skipped.  Returns 0, or ROCKETMQ_ERR__IO if a new file cannot be created or
 * the disk has no room for an item (keys put before it stay).  Called from
 * the dispatch thread only. */
int rmq_index_put(rmq_index_service_t *svc, const char *topic, const char *uniq_key,
                  size_t uniq_len, const char *keys, size_t keys_len, int64_t phys_offset,
                  int64_t store_timestamp);

/* Up to max_num (capped at RMQ_INDEX_QUERY_MAX) commit-log offsets of messages
 * whose key hashes like topic#key and whose store time is in [begin, end],
 * newest files first.  Only hashes are compared: callers check the key.
 * Returns the count written to offsets.  Any thread. */
int rmq_index_query(rmq_index_service_t *svc, const char *topic, const char *key, int max_num,
                    int64_t begin, int64_t end, int64_t *offsets);

/* Flushes every file (msync); returns 0 or ROCKETMQ_ERR__IO. */
int rmq_index_flush(rmq_index_service_t *svc);
/* The endTimestamp of the newest file that became full and was flushed (what
 * the checkpoint keeps as indexMsgTimestamp); 0 if none. */
int64_t rmq_index_full_flushed_ts(const rmq_index_service_t *svc);
/* Deletes index files (except the newest) whose endPhyOffset is below the
 * commit log's minimum offset; returns how many. */
int rmq_index_delete_expired(rmq_index_service_t *svc, int64_t commitlog_min_offset);
/* Number of index files (for tests and stats). */
int rmq_index_file_count(const rmq_index_service_t *svc);

#endif
