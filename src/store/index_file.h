/* One index file (Apache RocketMQ 4.9.8 IndexFile + IndexHeader; layout in
 * index.h, reference broker.md 1.6).  Internal to the index service.
 *
 * The file is mapped MAP_SHARED at its full size.  The header fields are kept
 * in atomics and written through to the mapping on every change, so the
 * mapped header is always current (as IndexHeader's setters do) while readers
 * on other threads can use the in-memory copy without tearing.  One thread
 * writes (puts); any number may select concurrently: item reads may race with
 * the writer, as in Java, but every position is checked against the mapping.
 *
 * Disk blocks: the file is sparse (420 MB by default).  Creation reserves the
 * header and the hash-slot table, which are written at random; the items are
 * reserved in chunks ahead of the next one (rmq_reserve_blocks), so a full
 * disk fails a put with an error instead of raising SIGBUS. */
#ifndef RMQ_STORE_INDEX_FILE_H
#define RMQ_STORE_INDEX_FILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of a file name: yyyyMMddHHmmssSSS. */
#define RMQ_INDEX_NAME_LEN 17

typedef struct rmq_index_file {
    char *path;
    char name[RMQ_INDEX_NAME_LEN + 1];
    int fd;
    uint8_t *map;
    size_t size;
    /* Writer only: [0, reserved) has its blocks allocated.  0 for a loaded
     * file (it may have holes): its first put reserves from the start. */
    int64_t reserved;
    int32_t slots; /* maxHashSlotNum */
    int32_t items; /* maxIndexNum */
    _Atomic int64_t begin_ts;
    _Atomic int64_t end_ts;
    _Atomic int64_t begin_off;
    _Atomic int64_t end_off;
    _Atomic int32_t slot_count;
    _Atomic int32_t count; /* indexCount: the next item number; starts at 1 */
} rmq_index_file_t;

/* 40 + slots*4 + items*20, or 0 if the parameters are out of range
 * (slots < 1, items < 2, or a size the platform cannot map). */
size_t rmq_index_file_size(int32_t slots, int32_t items);

/* Creates a new file in dir named after the local time of now_ms, bumped by a
 * millisecond at a time until the name is free and sorts after newest (the
 * newest existing name, may be NULL).  begin/end offset and timestamp start
 * at prev_end_off / prev_end_ts when positive (IndexFile's constructor).
 * NULL with err filled when the disk cannot hold the header and slot table
 * (nothing is left behind). */
rmq_index_file_t *rmq_index_file_create(const char *dir, const char *newest, int64_t now_ms,
                                        int32_t slots, int32_t items, int64_t prev_end_off,
                                        int64_t prev_end_ts, char *err, size_t errlen);
/* Maps an existing file and reads its header.  A file shorter than the size
 * of (slots, items) is refused. */
rmq_index_file_t *rmq_index_file_load(const char *dir, const char *name, int32_t slots,
                                      int32_t items, char *err, size_t errlen);
/* Unmaps and frees f (after a flush when flush is true). */
void rmq_index_file_close(rmq_index_file_t *f, bool flush);
/* Unmaps and frees f and deletes the file. */
void rmq_index_file_destroy(rmq_index_file_t *f);
/* msync of the whole mapping: 0 or -1 (errno set). */
int rmq_index_file_flush(rmq_index_file_t *f);

/* isWriteFull: indexCount >= maxIndexNum. */
bool rmq_index_file_full(const rmq_index_file_t *f);
/* rmq_index_file_put's answer when the file is full. */
#define RMQ_INDEX_FILE_FULL 1
/* putKey with an already computed key hash (>= 0): 0, RMQ_INDEX_FILE_FULL,
 * or ROCKETMQ_ERR__IO (errno set) when no disk blocks could be reserved for
 * the item; the file is unchanged unless 0. */
int rmq_index_file_put(rmq_index_file_t *f, int32_t key_hash, int64_t phys_offset,
                       int64_t store_ts);
/* isTimeMatched: whether [begin, end] overlaps the file's time range. */
bool rmq_index_file_time_matched(const rmq_index_file_t *f, int64_t begin, int64_t end);
/* selectPhyOffset: appends to out[*n] the offsets of items hashed key_hash
 * with store time in [begin, end] until *n reaches max_num. */
void rmq_index_file_select(const rmq_index_file_t *f, int32_t key_hash, int max_num,
                           int64_t begin, int64_t end, int64_t *out, int *n);

/* indexKeyHashMethod: abs(Java hashCode) of the UTF-8 key, 0 if still negative. */
int32_t rmq_index_key_hash(const char *key, size_t len);

#endif
