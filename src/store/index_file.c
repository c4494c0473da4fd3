#include "store/index_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/errmsg.h"
#include "base/log.h"
#include "base/mem.h"
#include "rocketmq/error.h"
#include "store/index.h"
#include "store/mapped_file.h"
#include "protocol/record.h"

/* Header field positions (IndexHeader). */
#define HDR_BEGIN_TS 0
#define HDR_END_TS 8
#define HDR_BEGIN_OFF 16
#define HDR_END_OFF 24
#define HDR_SLOT_COUNT 32
#define HDR_COUNT 36

/* Item field positions. */
#define ITEM_HASH 0
#define ITEM_OFFSET 4
#define ITEM_TIME_DIFF 12
#define ITEM_PREV 16

/* Creating a file tries this many millisecond-bumped names before giving up. */
#define NAME_TRIES 1000

static void put_be64(uint8_t *p, uint64_t v)
{
    rmq_put_be32(p, (uint32_t)(v >> 32));
    rmq_put_be32(p + 4, (uint32_t)v);
}

static int64_t get_i64(const uint8_t *p)
{
    return (int64_t)rmq_be64(p);
}

static int32_t get_i32(const uint8_t *p)
{
    return (int32_t)rmq_be32(p);
}

size_t rmq_index_file_size(int32_t slots, int32_t items)
{
    if (slots < 1 || items < 2)
        return 0;
    uint64_t size = RMQ_INDEX_HEADER_SIZE + (uint64_t)slots * RMQ_INDEX_HASH_SLOT_SIZE +
                    (uint64_t)items * RMQ_INDEX_ITEM_SIZE;
    /* off_t is 64-bit (_GNU_SOURCE on a 64-bit host); size_t may not be. */
    if (size > SIZE_MAX)
        return 0;
    return (size_t)size;
}

static size_t slot_pos(const rmq_index_file_t *f, int32_t key_hash)
{
    return RMQ_INDEX_HEADER_SIZE + (size_t)(key_hash % f->slots) * RMQ_INDEX_HASH_SLOT_SIZE;
}

static size_t item_pos(const rmq_index_file_t *f, int32_t item_no)
{
    return RMQ_INDEX_HEADER_SIZE + (size_t)f->slots * RMQ_INDEX_HASH_SLOT_SIZE +
           (size_t)item_no * RMQ_INDEX_ITEM_SIZE;
}

/* Header setters write the mapping at once, as IndexHeader's do. */
static void set_i64(rmq_index_file_t *f, _Atomic int64_t *field, size_t pos, int64_t v)
{
    atomic_store(field, v);
    put_be64(f->map + pos, (uint64_t)v);
}

static void set_i32(rmq_index_file_t *f, _Atomic int32_t *field, size_t pos, int32_t v)
{
    atomic_store(field, v);
    rmq_put_be32(f->map + pos, (uint32_t)v);
}

static void write_header(rmq_index_file_t *f)
{
    set_i64(f, &f->begin_ts, HDR_BEGIN_TS, atomic_load(&f->begin_ts));
    set_i64(f, &f->end_ts, HDR_END_TS, atomic_load(&f->end_ts));
    set_i64(f, &f->begin_off, HDR_BEGIN_OFF, atomic_load(&f->begin_off));
    set_i64(f, &f->end_off, HDR_END_OFF, atomic_load(&f->end_off));
    set_i32(f, &f->slot_count, HDR_SLOT_COUNT, atomic_load(&f->slot_count));
    set_i32(f, &f->count, HDR_COUNT, atomic_load(&f->count));
}

static void read_header(rmq_index_file_t *f)
{
    atomic_store(&f->begin_ts, get_i64(f->map + HDR_BEGIN_TS));
    atomic_store(&f->end_ts, get_i64(f->map + HDR_END_TS));
    atomic_store(&f->begin_off, get_i64(f->map + HDR_BEGIN_OFF));
    atomic_store(&f->end_off, get_i64(f->map + HDR_END_OFF));
    atomic_store(&f->slot_count, get_i32(f->map + HDR_SLOT_COUNT));
    int32_t count = get_i32(f->map + HDR_COUNT);
    atomic_store(&f->count, count <= 0 ? 1 : count);
}

static char *join(const char *dir, const char *name, const char *suffix)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    rmq_buf_printf(&b, "%s/%s%s", dir, name, suffix);
    return rmq_buf_cstr(&b);
}

static rmq_index_file_t *file_new(char *path, const char *name, int fd, uint8_t *map,
                                  size_t size, int32_t slots, int32_t items)
{
    rmq_index_file_t *f = rmq_calloc(1, sizeof(*f));
    f->path = path;
    f->fd = fd;
    memcpy(f->name, name, RMQ_INDEX_NAME_LEN);
    f->name[RMQ_INDEX_NAME_LEN] = '\0';
    f->map = map;
    f->size = size;
    f->slots = slots;
    f->items = items;
    atomic_store(&f->count, 1);
    return f;
}

/* UtilAll.timeMillisToHumanString: local time, yyyyMMddHHmmssSSS.  out holds
 * at least 64 bytes; false if the time does not give 17 digits. */
static bool format_name(int64_t ms, char *out, size_t n)
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    if (ms < 0 || localtime_r(&sec, &tm) == NULL)
        return false;
    int len = snprintf(out, n, "%04d%02d%02d%02d%02d%02d%03d", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       (int)(ms % 1000));
    return len == RMQ_INDEX_NAME_LEN;
}

static bool parse_name(const char *name, int64_t *ms)
{
    struct tm tm;
    int msec;
    memset(&tm, 0, sizeof(tm));
    if (strlen(name) != RMQ_INDEX_NAME_LEN ||
        sscanf(name, "%4d%2d%2d%2d%2d%2d%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &msec) != 7)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return false;
    *ms = (int64_t)t * 1000 + msec;
    return true;
}

static bool name_taken(const char *dir, const char *name)
{
    char *path = join(dir, name, "");
    struct stat st;
    bool taken = stat(path, &st) == 0 || errno != ENOENT;
    free(path);
    return taken;
}

/* Files are ordered by name at load, so a clock that stepped back must not
 * give the new file a name sorting before the newest one; two files created
 * in the same millisecond (small test files) need distinct names too. */
static int choose_name(const char *dir, const char *newest, int64_t now_ms, char *out,
                       size_t n)
{
    int64_t ms = now_ms, newest_ms;
    if (newest && parse_name(newest, &newest_ms) && ms <= newest_ms)
        ms = newest_ms + 1;
    for (int i = 0; i < NAME_TRIES; i++, ms++) {
        if (!format_name(ms, out, n))
            return -1;
        if (!name_taken(dir, out))
            return 0;
    }
    return -1;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* A sparse file of the full size with blocks reserved for the header and the
 * hash slots, mapped; NULL with err filled.  *fd is the open file. */
static uint8_t *create_mapped(const char *path, size_t size, int32_t slots, int *fd,
                              int64_t *reserved, char *err, size_t errlen)
{
    *fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (*fd < 0) {
        rmq_set_err(err, errlen, "cannot create index file %s: %s", path, strerror(errno));
        return NULL;
    }
    /* Slots are written at random: all of them now, the items as they come. */
    int64_t slots_end = RMQ_INDEX_HEADER_SIZE + (int64_t)slots * RMQ_INDEX_HASH_SLOT_SIZE;
    *reserved = 0;
    void *map = MAP_FAILED;
    if (ftruncate(*fd, (off_t)size) != 0)
        rmq_set_err(err, errlen, "cannot size index file %s: %s", path, strerror(errno));
    else if (rmq_reserve_blocks(*fd, reserved, (int64_t)size, slots_end) != 0)
        rmq_set_err(err, errlen, "cannot reserve %lld bytes for index file %s: %s",
                    (long long)slots_end, path, strerror(errno));
    else if ((map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0)) == MAP_FAILED)
        rmq_set_err(err, errlen, "cannot map index file %s: %s", path, strerror(errno));
    if (map == MAP_FAILED) {
        close(*fd);
        *fd = -1;
        return NULL;
    }
    return map;
}

/* The file is built under <name>.tmp and renamed once sized and stamped, so a
 * crash never leaves a short file under a real name for the next load to
 * refuse. */
rmq_index_file_t *rmq_index_file_create(const char *dir, const char *newest, int64_t now_ms,
                                        int32_t slots, int32_t items, int64_t prev_end_off,
                                        int64_t prev_end_ts, char *err, size_t errlen)
{
    size_t size = rmq_index_file_size(slots, items);
    char name[64];
    if (size == 0) {
        rmq_set_err(err, errlen, "bad index file geometry: %d slots, %d items", slots, items);
        return NULL;
    }
    if (choose_name(dir, newest, now_ms, name, sizeof(name)) != 0) {
        rmq_set_err(err, errlen, "no free index file name in %s", dir);
        return NULL;
    }
    char *tmp = join(dir, name, ".tmp");
    int fd;
    int64_t reserved;
    uint8_t *map = create_mapped(tmp, size, slots, &fd, &reserved, err, errlen);
    if (!map) {
        unlink(tmp); /* also frees what a failed reservation left allocated */
        free(tmp);
        return NULL;
    }
    rmq_index_file_t *f = file_new(join(dir, name, ""), name, fd, map, size, slots, items);
    f->reserved = reserved;
    if (prev_end_off > 0) {
        atomic_store(&f->begin_off, prev_end_off);
        atomic_store(&f->end_off, prev_end_off);
    }
    if (prev_end_ts > 0) {
        atomic_store(&f->begin_ts, prev_end_ts);
        atomic_store(&f->end_ts, prev_end_ts);
    }
    write_header(f);
    if (rename(tmp, f->path) != 0) {
        rmq_set_err(err, errlen, "cannot rename %s: %s", tmp, strerror(errno));
        unlink(tmp);
        free(tmp);
        munmap(f->map, f->size);
        close(f->fd);
        free(f->path);
        free(f);
        return NULL;
    }
    free(tmp);
    fsync_dir(dir);
    return f;
}

/* Java would map (and so grow) a short file; mapping past its end here would
 * turn the first access there into SIGBUS, so it is refused instead. */
rmq_index_file_t *rmq_index_file_load(const char *dir, const char *name, int32_t slots,
                                      int32_t items, char *err, size_t errlen)
{
    size_t size = rmq_index_file_size(slots, items);
    if (size == 0 || strlen(name) != RMQ_INDEX_NAME_LEN) {
        rmq_set_err(err, errlen, "bad index file %s or geometry", name);
        return NULL;
    }
    char *path = join(dir, name, "");
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        rmq_set_err(err, errlen, "cannot open index file %s: %s", path, strerror(errno));
        free(path);
        return NULL;
    }
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) != 0)
        rmq_set_err(err, errlen, "cannot stat index file %s: %s", path, strerror(errno));
    else if ((uint64_t)st.st_size < size)
        rmq_set_err(err, errlen, "index file %s is %" PRId64 " bytes, expected %zu", path,
                    (int64_t)st.st_size, size);
    else if ((map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
        rmq_set_err(err, errlen, "cannot map index file %s: %s", path, strerror(errno));
    if (map == MAP_FAILED) {
        close(fd);
        free(path);
        return NULL;
    }
    /* reserved stays 0: the first put reserves from the start of the file */
    rmq_index_file_t *f = file_new(path, name, fd, map, size, slots, items);
    read_header(f);
    return f;
}

int rmq_index_file_flush(rmq_index_file_t *f)
{
    return msync(f->map, f->size, MS_SYNC);
}

static void file_free(rmq_index_file_t *f)
{
    munmap(f->map, f->size);
    close(f->fd);
    free(f->path);
    free(f);
}

void rmq_index_file_close(rmq_index_file_t *f, bool flush)
{
    if (!f)
        return;
    if (flush && rmq_index_file_flush(f) != 0)
        RMQ_LOGE("store", "index file %s: msync failed: %s", f->path, strerror(errno));
    file_free(f);
}

void rmq_index_file_destroy(rmq_index_file_t *f)
{
    if (!f)
        return;
    if (unlink(f->path) != 0)
        RMQ_LOGW("store", "cannot delete index file %s: %s", f->path, strerror(errno));
    file_free(f);
}

bool rmq_index_file_full(const rmq_index_file_t *f)
{
    return atomic_load(&f->count) >= f->items;
}

/* Seconds since the file's beginTimestamp, clamped to [0, INT32_MAX]; 0 while
 * the file has no begin time.  Written so that no subtraction can overflow. */
static int32_t time_diff(int64_t begin_ts, int64_t store_ts)
{
    if (begin_ts <= 0 || store_ts <= begin_ts)
        return 0;
    int64_t secs = (store_ts - begin_ts) / 1000;
    return secs > INT32_MAX ? INT32_MAX : (int32_t)secs;
}

int rmq_index_file_put(rmq_index_file_t *f, int32_t key_hash, int64_t phys_offset,
                       int64_t store_ts)
{
    int32_t count = atomic_load(&f->count);
    if (count >= f->items)
        return RMQ_INDEX_FILE_FULL;
    /* Blocks for the item (and, in a loaded file, everything before it)
     * before anything is stored: nothing changes when the disk is full. */
    if (rmq_reserve_blocks(f->fd, &f->reserved, (int64_t)f->size,
                           (int64_t)(item_pos(f, count) + RMQ_INDEX_ITEM_SIZE)) != 0)
        return ROCKETMQ_ERR__IO;
    size_t spos = slot_pos(f, key_hash);
    int32_t prev = get_i32(f->map + spos);
    if (prev <= 0 || prev > count)
        prev = 0;
    /* Against the current beginTimestamp: the first item of a file that
     * inherited its begin time from the previous file measures from there. */
    int32_t diff = time_diff(atomic_load(&f->begin_ts), store_ts);
    uint8_t *item = f->map + item_pos(f, count);
    rmq_put_be32(item + ITEM_HASH, (uint32_t)key_hash);
    put_be64(item + ITEM_OFFSET, (uint64_t)phys_offset);
    rmq_put_be32(item + ITEM_TIME_DIFF, (uint32_t)diff);
    rmq_put_be32(item + ITEM_PREV, (uint32_t)prev);
    rmq_put_be32(f->map + spos, (uint32_t)count);
    if (count <= 1) {
        set_i64(f, &f->begin_off, HDR_BEGIN_OFF, phys_offset);
        set_i64(f, &f->begin_ts, HDR_BEGIN_TS, store_ts);
    }
    if (prev == 0) {
        /* A loaded counter may hold anything: wrap like a Java int. */
        uint32_t slots_used = (uint32_t)atomic_load(&f->slot_count) + 1u;
        set_i32(f, &f->slot_count, HDR_SLOT_COUNT, (int32_t)slots_used);
    }
    /* Published after the item and the slot, so a reader that sees the new
     * count also sees the item it counts. */
    set_i32(f, &f->count, HDR_COUNT, count + 1);
    set_i64(f, &f->end_off, HDR_END_OFF, phys_offset);
    set_i64(f, &f->end_ts, HDR_END_TS, store_ts);
    return 0;
}

bool rmq_index_file_time_matched(const rmq_index_file_t *f, int64_t begin, int64_t end)
{
    int64_t fb = atomic_load(&f->begin_ts), fe = atomic_load(&f->end_ts);
    return (begin < fb && end > fe) || (begin >= fb && begin <= fe) || (end >= fb && end <= fe);
}

void rmq_index_file_select(const rmq_index_file_t *f, int32_t key_hash, int max_num,
                           int64_t begin, int64_t end, int64_t *out, int *n)
{
    int32_t count = atomic_load(&f->count);
    int64_t file_begin = atomic_load(&f->begin_ts);
    int32_t cur = get_i32(f->map + slot_pos(f, key_hash));
    if (cur <= 0 || cur > count || count <= 1)
        return;
    /* A sound chain strictly descends, so it has fewer than count links; the
     * cap only stops a corrupt file's cycle from hanging the query. */
    for (int32_t steps = 0; steps < count && *n < max_num; steps++) {
        /* A corrupt indexCount may exceed the file; stay inside the mapping. */
        if (cur >= f->items)
            break;
        const uint8_t *item = f->map + item_pos(f, cur);
        int32_t hash = get_i32(item + ITEM_HASH);
        int64_t offset = get_i64(item + ITEM_OFFSET);
        int32_t diff = get_i32(item + ITEM_TIME_DIFF);
        int32_t prev = get_i32(item + ITEM_PREV);
        if (diff < 0)
            break;
        /* Wraps like Java's long arithmetic when a corrupt begin is huge. */
        int64_t time_read = (int64_t)((uint64_t)file_begin + (uint64_t)diff * 1000u);
        if (hash == key_hash && time_read >= begin && time_read <= end)
            out[(*n)++] = offset;
        if (prev <= 0 || prev > count || prev == cur || time_read < begin)
            break;
        cur = prev;
    }
}

int32_t rmq_index_key_hash(const char *key, size_t len)
{
    int32_t h = rmq_java_hash(key, len);
    if (h == INT32_MIN)
        return 0;
    return h < 0 ? -h : h;
}
