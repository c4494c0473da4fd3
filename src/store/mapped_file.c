#include "store/mapped_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/log.h"
#include "base/mem.h"
#include "rocketmq/error.h"

void rmq_offset_to_name(int64_t offset, char out[21])
{
    snprintf(out, 21, "%020" PRId64, offset);
}

static rmq_mapped_file_t *wrap(char *path, int fd, uint8_t *base, int64_t start, size_t size)
{
    rmq_mapped_file_t *mf = rmq_calloc(1, sizeof(*mf));
    mf->path = path;
    mf->fd = fd;
    mf->base = base;
    mf->size = size;
    mf->start = start;
    atomic_init(&mf->refs, 1); /* the queue's reference */
    return mf;
}

static int map_fd(int fd, size_t size, uint8_t **base)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return -1;
    *base = p;
    return 0;
}

/* A preallocated file (a commit-log segment) is refused unless the file
 * system keeps RMQ_ALLOC_HEADROOM free after it: the consume queues and the
 * index of messages already acknowledged still need room to grow (in
 * RMQ_RESERVE_CHUNK steps), and must not lose a race for the last blocks
 * to the next segment, which would leave those messages unreadable until
 * space is freed.  Where statvfs cannot tell, the allocation decides. */
static bool leaves_headroom(int fd, size_t size)
{
    struct statvfs sv;
    if (fstatvfs(fd, &sv) != 0)
        return true;
    uint64_t avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
    return avail >= (uint64_t)size + RMQ_ALLOC_HEADROOM;
}

int rmq_mapped_file_create(const char *dir, int64_t start, size_t size, bool preallocate,
                           rmq_mapped_file_t **out, char *err, size_t errlen)
{
    char name[21];
    rmq_offset_to_name(start, name);
    size_t plen = strlen(dir) + 22;
    char *path = rmq_malloc(plen);
    snprintf(path, plen, "%s/%s", dir, name);
    /* Sized under a temporary name and renamed when complete: a process
     * killed in between must not leave a short file under the real name,
     * which the next load would refuse (the store could never start again).
     * A leftover <name>.tmp is removed by the next load. */
    size_t tlen = plen + 4;
    char *tmp = rmq_malloc(tlen);
    snprintf(tmp, tlen, "%s.tmp", path);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rmq_set_err(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        free(path);
        return ROCKETMQ_ERR__IO;
    }
    /* posix_fallocate returns the error instead of setting errno. */
    int rc = preallocate ? (leaves_headroom(fd, size) ? posix_fallocate(fd, 0, (off_t)size)
                                                      : ENOSPC)
                         : (ftruncate(fd, (off_t)size) == 0 ? 0 : errno);
    uint8_t *base = NULL;
    if (rc == 0 && map_fd(fd, size, &base) != 0)
        rc = errno;
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = errno;
        munmap(base, size);
    }
    if (rc != 0) {
        rmq_set_err(err, errlen, "cannot allocate %s (%zu bytes): %s", path, size, strerror(rc));
        close(fd);
        unlink(tmp); /* leave no short file behind */
        free(tmp);
        free(path);
        return ROCKETMQ_ERR__IO;
    }
    free(tmp);
    *out = wrap(path, fd, base, start, size);
    (*out)->reserved = preallocate ? (int64_t)size : 0;
    return 0;
}

int rmq_mapped_file_open(const char *path, int64_t start, size_t size, rmq_mapped_file_t **out,
                         char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        rmq_set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return ROCKETMQ_ERR__IO;
    }
    if ((size_t)st.st_size != size) {
        rmq_set_err(err, errlen, "%s is %lld bytes, expected %zu", path, (long long)st.st_size,
                    size);
        close(fd);
        return ROCKETMQ_ERR__IO;
    }
    uint8_t *base;
    if (map_fd(fd, size, &base) != 0) {
        rmq_set_err(err, errlen, "cannot map %s: %s", path, strerror(errno));
        close(fd);
        return ROCKETMQ_ERR__IO;
    }
    rmq_mapped_file_t *mf = wrap(rmq_strdup(path), fd, base, start, size);
    rmq_mapped_file_set_wrote(mf, (int64_t)size);
    atomic_store(&mf->flushed, (int64_t)size);
    *out = mf;
    return 0;
}

bool rmq_mapped_file_allocated(const rmq_mapped_file_t *mf)
{
    struct stat st;
    return fstat(mf->fd, &st) == 0 && (int64_t)st.st_blocks * 512 >= (int64_t)mf->size;
}

bool rmq_mapped_file_hold(rmq_mapped_file_t *mf)
{
    if (atomic_load(&mf->destroyed))
        return false;
    atomic_fetch_add(&mf->refs, 1);
    return true;
}

void rmq_mapped_file_release(rmq_mapped_file_t *mf)
{
    if (atomic_fetch_sub(&mf->refs, 1) != 1)
        return;
    munmap(mf->base, mf->size);
    close(mf->fd);
    free(mf->path);
    free(mf);
}

void rmq_mapped_file_destroy(rmq_mapped_file_t *mf)
{
    atomic_store(&mf->destroyed, true);
    if (unlink(mf->path) != 0 && errno != ENOENT)
        RMQ_LOGW("store", "cannot delete %s: %s", mf->path, strerror(errno));
    rmq_mapped_file_release(mf);
}

/* posix_fallocate of [from, to): 0 or the error (it does not set errno). */
static int allocate(int fd, int64_t from, int64_t to)
{
    int rc;
    do
        rc = posix_fallocate(fd, (off_t)from, (off_t)(to - from));
    while (rc == EINTR);
    return rc;
}

int rmq_reserve_blocks(int fd, int64_t *reserved, int64_t size, int64_t upto)
{
    if (upto > size)
        upto = size;
    if (upto <= *reserved)
        return 0;
    /* A chunk ahead of the writer, so that most writes need no system call. */
    int64_t end = rmq_round_up(upto, RMQ_RESERVE_CHUNK);
    if (end > size)
        end = size;
    int rc = allocate(fd, *reserved, end);
    if (rc == ENOSPC || rc == EFBIG || rc == EDQUOT) {
        /* No room for the chunk: the pages the write needs may still fit
         * (a nearly full disk fails a write later, not 64 KiB early).  The
         * mapping's pages: a fault backs a whole one. */
        long page = sysconf(_SC_PAGESIZE);
        int64_t need = rmq_round_up(upto, page > RMQ_OS_PAGE_SIZE ? page : RMQ_OS_PAGE_SIZE);
        if (need > size)
            need = size;
        if (need < end) {
            end = need;
            rc = allocate(fd, *reserved, end);
        }
    }
    if (rc != 0) {
        errno = rc;
        return ROCKETMQ_ERR__IO;
    }
    *reserved = end;
    return 0;
}

int rmq_mapped_file_reserve(rmq_mapped_file_t *mf, int64_t upto)
{
    return rmq_reserve_blocks(mf->fd, &mf->reserved, (int64_t)mf->size, upto);
}

int rmq_mapped_file_append(rmq_mapped_file_t *mf, const void *p, size_t n)
{
    int64_t pos = atomic_load_explicit(&mf->wrote, memory_order_relaxed);
    if (pos + (int64_t)n > (int64_t)mf->size)
        return -1;
    memcpy(mf->base + pos, p, n);
    rmq_mapped_file_set_wrote(mf, pos + (int64_t)n);
    return 0;
}

void rmq_mapped_file_set_wrote(rmq_mapped_file_t *mf, int64_t pos)
{
    atomic_store_explicit(&mf->staged, pos, memory_order_relaxed);
    atomic_store_explicit(&mf->appended, pos, memory_order_relaxed);
    atomic_store_explicit(&mf->wrote, pos, memory_order_release);
}

void rmq_mapped_file_set_staged(rmq_mapped_file_t *mf, int64_t staged, int64_t appended)
{
    /* staged before appended: a commit thread that sees the file sealed
     * (appended == size) also sees where its last record ends. */
    atomic_store_explicit(&mf->staged, staged, memory_order_release);
    atomic_store_explicit(&mf->appended, appended, memory_order_release);
}

void rmq_mapped_file_publish(rmq_mapped_file_t *mf, int64_t pos)
{
    atomic_store_explicit(&mf->wrote, pos, memory_order_release);
}

/* The whole pages of [from, to) leave the page tables of this process (the
 * page cache keeps them, dirty ones marked dirty).  Writeback of a page
 * still mapped writable has to write-protect it, one TLB shootdown to the
 * other CPU per page, which interrupts the writer there; a range already
 * unmapped costs one shootdown for all of it.  The page holding `to` stays:
 * the writer is still filling it. */
static void unmap_range(rmq_mapped_file_t *mf, int64_t from, int64_t to)
{
    int64_t a = from / RMQ_OS_PAGE_SIZE * RMQ_OS_PAGE_SIZE;
    int64_t b = to / RMQ_OS_PAGE_SIZE * RMQ_OS_PAGE_SIZE;
    /* In steps of 2 MiB: each call holds the address space's lock for its
     * range only, so a mapping change elsewhere (a new consume-queue file)
     * and the faults queued behind it wait for one step, not for tens of
     * MiB written since the last flush. */
    const int64_t step = 2 * 1024 * 1024;
    while (a < b) {
        int64_t n = b - a < step ? b - a : step;
        (void)madvise(mf->base + a, (size_t)n, MADV_DONTNEED);
        a += n;
    }
}

int rmq_mapped_file_flush(rmq_mapped_file_t *mf, int least_pages, unsigned how)
{
    int64_t wrote = rmq_mapped_file_wrote(mf);
    int64_t flushed = atomic_load(&mf->flushed);
    if (wrote <= flushed)
        return 0;
    bool full = wrote >= (int64_t)mf->size;
    if (!full && least_pages > 0 &&
        wrote / RMQ_OS_PAGE_SIZE - flushed / RMQ_OS_PAGE_SIZE < least_pages)
        return 0;
    if (how & RMQ_FLUSH_UNMAP)
        unmap_range(mf, flushed, wrote);
    /* fdatasync where it can: on Linux msync of a shared mapping is a
     * range-limited fdatasync (vfs_fsync_range) after a walk of the
     * mappings under the address-space lock, which measured a quarter
     * slower per group commit on this project's machine. */
    int rc;
    const char *what;
    if (how & RMQ_FLUSH_RANGE) {
        int64_t from = flushed / RMQ_OS_PAGE_SIZE * RMQ_OS_PAGE_SIZE;
        rc = msync(mf->base + from, (size_t)(wrote - from), MS_SYNC);
        what = "msync";
    } else {
        rc = fdatasync(mf->fd);
        what = "fdatasync";
    }
    if (rc != 0) {
        RMQ_LOGE("store", "%s of %s failed: %s", what, mf->path, strerror(errno));
        return ROCKETMQ_ERR__IO;
    }
    atomic_store(&mf->flushed, wrote);
    return 0;
}
