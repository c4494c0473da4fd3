/* One memory-mapped store file of fixed size (commit log segment, consume
 * queue file), named by the 20-digit logical offset of its first byte
 * (Apache RocketMQ MappedFile / UtilAll.offset2FileName).
 *
 * Positions: `wrote` is how far bytes are readable in the file (published
 * with release order, so a reader that loads it with acquire sees the bytes);
 * `flushed` is how far they were made durable.  `appended` is the writer's
 * position: the same as `wrote`, except for a commit log whose appends go
 * through the staging ring (stage.h), where the commit thread moves `wrote`
 * up to `staged` once it has written the bytes to the file.
 *
 * Disk blocks: a sparse file (preallocate false) gets its blocks reserved
 * ahead of the writer in chunks (rmq_mapped_file_reserve), so that a full
 * disk is an error returned by the reservation, never a SIGBUS raised by a
 * store into a page the file system cannot back.
 *
 * Lifetime: readers hold a reference while they use bytes of the mapping
 * (a pull response may be written from it).  Destroying a file unlinks it at
 * once; the mapping goes away when the last holder releases it. */
#ifndef RMQ_STORE_MAPPED_FILE_H
#define RMQ_STORE_MAPPED_FILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMQ_OS_PAGE_SIZE 4096

/* v rounded up to a multiple of unit (> 0). */
static inline int64_t rmq_round_up(int64_t v, int64_t unit)
{
    return (v + unit - 1) / unit * unit;
}
/* Blocks of a sparse file are reserved this far ahead of the writer. */
#define RMQ_RESERVE_CHUNK (64 * 1024)
/* Free space a new preallocated file must leave (see rmq_mapped_file_create). */
#define RMQ_ALLOC_HEADROOM (4 * RMQ_RESERVE_CHUNK)

typedef struct rmq_mapped_file {
    char *path;
    int fd;
    uint8_t *base;
    size_t size;
    int64_t start; /* logical offset of byte 0 */
    _Atomic int64_t wrote;
    _Atomic int64_t flushed;
    _Atomic int64_t appended; /* writer: next append position; the size once sealed */
    _Atomic int64_t staged;   /* staging only: end of the last whole record handed over */
    _Atomic int64_t last_store_ts; /* store time of the last record appended (commit log) */
    /* Writer only: [0, reserved) has its disk blocks allocated.  The whole
     * file for a preallocated one; 0 for a file opened from disk (it may
     * have holes: its first write reserves from the start). */
    int64_t reserved;
    atomic_int refs;
    atomic_bool destroyed;
} rmq_mapped_file_t;

/* "%020lld" of offset into out[21]. */
void rmq_offset_to_name(int64_t offset, char out[21]);

/* Creates a new file of `size` bytes at dir/<name of start>.  With
 * preallocate the blocks are reserved now (posix_fallocate), so a full disk
 * fails here, with ROCKETMQ_ERR__IO and ENOSPC in err, and never later as a
 * SIGBUS on a write into the mapping.  Without, the file is sparse and its
 * writer reserves blocks ahead of its writes (rmq_mapped_file_reserve).  New
 * files read as zeros. */
int rmq_mapped_file_create(const char *dir, int64_t start, size_t size, bool preallocate,
                           rmq_mapped_file_t **out, char *err, size_t errlen);
/* Maps an existing file, which must be exactly `size` bytes.  Its positions
 * start at `size` (full); recovery sets the real end.  Nothing is reserved:
 * the writer's first rmq_mapped_file_reserve covers what is already there
 * (cheap where it is allocated).  The file may have holes: on tmpfs even a
 * load through the mapping from a hole needs a page (SIGBUS when none is
 * left), so a scan for the end of the data reads with pread instead. */
int rmq_mapped_file_open(const char *path, int64_t start, size_t size, rmq_mapped_file_t **out,
                         char *err, size_t errlen);

/* Any thread: true when every block of the file is allocated (a
 * preallocated file); false for one with holes (as Apache RocketMQ leaves
 * its files, and so one opened from disk may be), or when fstat fails.
 * Zeros written ahead of a writer go only into the first kind: in the holes
 * of the second they would take disk space the writer reserves itself, with
 * headroom for the consume queues (rmq_mapped_file_reserve). */
bool rmq_mapped_file_allocated(const rmq_mapped_file_t *mf);

/* Any thread: true and a reference if the file is still in service. */
bool rmq_mapped_file_hold(rmq_mapped_file_t *mf);
void rmq_mapped_file_release(rmq_mapped_file_t *mf);
/* Unlinks the file and drops the queue's reference (unmaps when unused). */
void rmq_mapped_file_destroy(rmq_mapped_file_t *mf);

static inline int64_t rmq_mapped_file_wrote(const rmq_mapped_file_t *mf)
{
    return atomic_load_explicit(&mf->wrote, memory_order_acquire);
}

static inline int64_t rmq_mapped_file_appended(const rmq_mapped_file_t *mf)
{
    return atomic_load_explicit(&mf->appended, memory_order_acquire);
}

/* The writer's view: no room left to append (readers may not see it all yet). */
static inline bool rmq_mapped_file_full(const rmq_mapped_file_t *mf)
{
    return rmq_mapped_file_appended(mf) >= (int64_t)mf->size;
}

/* The reservation step shared with files not mapped through this type
 * (index files): reserves blocks of fd so that [0, upto) is covered, given
 * that [0, *reserved) already is, in a file of `size` bytes; see
 * rmq_mapped_file_reserve.  0 or ROCKETMQ_ERR__IO with errno set. */
int rmq_reserve_blocks(int fd, int64_t *reserved, int64_t size, int64_t upto);

/* Writer: makes sure the disk blocks of [0, upto) are allocated before bytes
 * there are stored through the mapping.  When upto is past what is reserved,
 * posix_fallocate reserves up to upto rounded up to RMQ_RESERVE_CHUNK (at
 * most the file size); when that chunk does not fit, just the pages up to
 * upto.  Returns 0, or ROCKETMQ_ERR__IO with errno set (ENOSPC on a full
 * disk); the mapping is not touched either way. */
int rmq_mapped_file_reserve(rmq_mapped_file_t *mf, int64_t upto);

/* Appends n bytes at the write position (single writer); -1 if they do not fit. */
int rmq_mapped_file_append(rmq_mapped_file_t *mf, const void *p, size_t n);
/* Publishes a write position after the caller wrote into the file directly
 * (all positions: appended, staged and wrote). */
void rmq_mapped_file_set_wrote(rmq_mapped_file_t *mf, int64_t pos);
/* Staging writer: records now end at staged (handed to the commit thread),
 * and the next append goes to appended (the size once the file is sealed). */
void rmq_mapped_file_set_staged(rmq_mapped_file_t *mf, int64_t staged, int64_t appended);
/* Commit thread: bytes up to pos are in the file and readable. */
void rmq_mapped_file_publish(rmq_mapped_file_t *mf, int64_t pos);

/* Ways of flushing (rmq_mapped_file_flush's how). */
enum {
    /* A file written through its mapping: the pages to flush are first
     * dropped from this process's page tables; readers fault them in again
     * from the page cache. */
    RMQ_FLUSH_UNMAP = 1,
    /* Only [flushed, wrote) is written back (msync of that range), not every
     * dirty page of the file: the pages beyond hold zeros written ahead of
     * the writer (rmq_mq_warm_window). */
    RMQ_FLUSH_RANGE = 2,
};

/* Makes [flushed, wrote) durable when at least least_pages pages are dirty,
 * or any dirty byte with least_pages 0, or always once the file is full:
 * fdatasync, or msync of the range with RMQ_FLUSH_RANGE in how.  Returns 0
 * (flushed or nothing to do) or ROCKETMQ_ERR__IO. */
int rmq_mapped_file_flush(rmq_mapped_file_t *mf, int least_pages, unsigned how);

#endif
