#include "store/consume_queue.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "rocketmq/error.h"
#include "store/mapped_queue.h"

#define UNIT RMQ_CQ_UNIT_SIZE
#define FILLER_SIZE INT32_MAX

struct rmq_consume_queue {
    char *topic;
    int32_t queue_id;
    char *topic_dir; /* <root>/<topic>, removed by destroy when empty */
    rmq_mapped_queue_t *mq;
    /* Read by pulls and the retention thread while dispatch writes them. */
    _Atomic int64_t min_logic; /* bytes: first readable entry x 20 */
    _Atomic int64_t max_phys;  /* end in the commit log of the last entry written */
};

typedef struct entry {
    int64_t offset;
    int32_t size;
    int64_t tags;
} entry_t;

static void decode(const uint8_t *p, entry_t *e)
{
    e->offset = (int64_t)rmq_be64(p);
    e->size = (int32_t)rmq_be32(p + 8);
    e->tags = (int64_t)rmq_be64(p + 12);
}

static void put_be64(uint8_t *p, uint64_t v)
{
    rmq_put_be32(p, (uint32_t)(v >> 32));
    rmq_put_be32(p + 4, (uint32_t)v);
}

static void encode(uint8_t *p, int64_t offset, int32_t size, int64_t tags)
{
    put_be64(p, (uint64_t)offset);
    rmq_put_be32(p + 8, (uint32_t)size);
    put_be64(p + 12, (uint64_t)tags);
}

/* Recovery counts fillers as valid (offset 0 >= 0, size > 0), as Java does,
 * but they point at no record: letting one set max_phys (to 0x7FFFFFFF)
 * would make the duplicate rule drop the first 2 GiB of the commit log, and
 * letting one be the min offset would hand it to a pull. */
static bool is_filler(const entry_t *e)
{
    return e->offset == 0 && e->size == FILLER_SIZE;
}

rmq_consume_queue_t *rmq_cq_new(const char *root, const char *topic, int32_t queue_id,
                                size_t file_size)
{
    if (file_size == 0)
        file_size = RMQ_CQ_DEFAULT_FILE_SIZE;
    /* Java: ceil(mappedFileSizeConsumeQueue / 20) x 20 */
    file_size = (file_size + UNIT - 1) / UNIT * UNIT;
    rmq_consume_queue_t *cq = rmq_calloc(1, sizeof(*cq));
    cq->topic = rmq_strdup(topic);
    cq->queue_id = queue_id;
    size_t tlen = strlen(root) + strlen(topic) + 2;
    cq->topic_dir = rmq_malloc(tlen);
    snprintf(cq->topic_dir, tlen, "%s/%s", root, topic);
    size_t dlen = tlen + 12;
    char *dir = rmq_malloc(dlen);
    snprintf(dir, dlen, "%s/%" PRId32, cq->topic_dir, queue_id);
    cq->mq = rmq_mq_new(dir, file_size, false);
    cq->mq->flush_how = RMQ_FLUSH_UNMAP; /* entries are stored through the mapping */
    free(dir);
    atomic_init(&cq->min_logic, 0);
    atomic_init(&cq->max_phys, 0);
    return cq;
}

void rmq_cq_free(rmq_consume_queue_t *cq)
{
    if (!cq)
        return;
    rmq_mq_free(cq->mq);
    free(cq->topic_dir);
    free(cq->topic);
    free(cq);
}

const char *rmq_cq_topic(const rmq_consume_queue_t *cq)
{
    return cq->topic;
}

int32_t rmq_cq_queue_id(const rmq_consume_queue_t *cq)
{
    return cq->queue_id;
}

int rmq_cq_load(rmq_consume_queue_t *cq, char *err, size_t errlen)
{
    return rmq_mq_load(cq->mq, err, errlen);
}

/* Logical offset of the first entry of the first file that is not a filler
 * and points at or after phys_min (*found), else the end of that file's
 * written data; -1 if the queue has no file. */
static int64_t scan_first_file(rmq_consume_queue_t *cq, int64_t phys_min, bool *found)
{
    *found = false;
    rmq_mapped_file_t *mf = rmq_mq_get(cq->mq, 0);
    if (!mf)
        return -1;
    int64_t wrote = rmq_mapped_file_wrote(mf);
    int64_t pos = 0;
    for (; pos + UNIT <= wrote; pos += UNIT) {
        entry_t e;
        decode(mf->base + pos, &e);
        if (!is_filler(&e) && e.offset >= phys_min) {
            *found = true;
            break;
        }
    }
    int64_t at = mf->start + pos;
    rmq_mapped_file_release(mf);
    return at;
}

/* End in the commit log of the entry just below logical offset `end`; -1 if
 * there is none or it is a filler (fillers only lead the first file, so no
 * real entry precedes one). */
static int64_t entry_end_before(rmq_mapped_queue_t *q, int64_t end)
{
    rmq_mapped_file_t *mf = rmq_mq_find(q, end - UNIT);
    if (!mf)
        return -1;
    int64_t pos = end - UNIT - mf->start;
    int64_t v = -1;
    if (pos + UNIT <= rmq_mapped_file_wrote(mf)) {
        entry_t e;
        decode(mf->base + pos, &e);
        if (!is_filler(&e) && e.offset >= 0 && e.size > 0)
            v = e.offset + e.size;
    }
    rmq_mapped_file_release(mf);
    return v;
}

/* End of the run of valid entries (offset >= 0, size > 0) from the start of
 * mf, looking no further than limit.  Read with pread rather than through
 * the mapping: past the data the file may be a hole, and on tmpfs a load
 * from a hole through a shared mapping needs a page (SIGBUS on a full disk),
 * while read(2) of a hole just returns zeros. */
static int64_t valid_end(rmq_mapped_file_t *mf, int64_t limit)
{
    enum { BATCH = 3276 }; /* entries per read: just under 64 KiB */
    uint8_t *buf = rmq_malloc(BATCH * UNIT);
    int64_t pos = 0;
    while (pos + UNIT <= limit) {
        int64_t want = limit - pos < BATCH * UNIT ? (limit - pos) / UNIT * UNIT : BATCH * UNIT;
        ssize_t got = pread(mf->fd, buf, (size_t)want, (off_t)pos);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < UNIT) {
            if (got < 0)
                RMQ_LOGE("store", "cannot read %s: %s", mf->path, strerror(errno));
            break;
        }
        bool bad = false;
        for (ssize_t at = 0; at + UNIT <= got; at += UNIT, pos += UNIT) {
            entry_t e;
            decode(buf + at, &e);
            if (e.offset < 0 || e.size <= 0) {
                bad = true;
                break;
            }
        }
        if (bad)
            break;
    }
    free(buf);
    return pos;
}

void rmq_cq_recover(rmq_consume_queue_t *cq)
{
    rmq_mapped_queue_t *q = cq->mq;
    size_t n = rmq_mq_count(q);
    if (n == 0)
        return;
    int64_t process = 0;
    for (size_t i = n >= 3 ? n - 3 : 0; i < n; i++) {
        rmq_mapped_file_t *mf = rmq_mq_get(q, i);
        if (!mf)
            break;
        /* Right after load wrote is the whole file; bounding the scan by it
         * keeps a second recovery from trusting bytes past a cut. */
        int64_t pos = valid_end(mf, rmq_mapped_file_wrote(mf));
        process = mf->start + pos;
        bool whole = pos == (int64_t)mf->size;
        rmq_mapped_file_release(mf);
        if (!whole)
            break;
    }
    RMQ_LOGD("store", "consume queue %s/%d recovered: ends at entry %lld", cq->topic,
             (int)cq->queue_id, (long long)(process / UNIT));
    rmq_mq_truncate(q, process);
    /* Java takes the last valid entry scanned; the entry before the end is
     * that one, and still known when the scan stopped at its file's first
     * entry (the duplicate rule needs it when dispatch replays). */
    int64_t max_phys = entry_end_before(q, process);
    if (max_phys >= 0)
        atomic_store(&cq->max_phys, max_phys);
    /* Java leaves the min at 0 until correctMinOffset; start it at the first
     * real entry so the queue is consistent before that runs. */
    bool found;
    int64_t min = scan_first_file(cq, 0, &found);
    if (min >= 0)
        atomic_store(&cq->min_logic, min);
}

/* Java fillPreBlank: the queue's first file starts at the file boundary below
 * `until`; filler entries cover the indexes nobody will ever write. */
static void fill_pre_blank(rmq_mapped_file_t *mf, int64_t until)
{
    uint8_t filler[UNIT];
    encode(filler, 0, FILLER_SIZE, 0);
    int64_t pos = rmq_mapped_file_wrote(mf);
    int64_t end = until - mf->start;
    for (; pos + UNIT <= end; pos += UNIT)
        memcpy(mf->base + pos, filler, UNIT);
    rmq_mapped_file_set_wrote(mf, pos);
}

int rmq_cq_put(rmq_consume_queue_t *cq, int64_t phys_offset, int32_t size, int64_t tags_code,
               int64_t cq_offset)
{
    if (cq_offset < 0 || cq_offset > INT64_MAX / UNIT) {
        RMQ_LOGE("store", "consume queue %s/%d: bad queue offset %lld", cq->topic,
                 (int)cq->queue_id, (long long)cq_offset);
        return ROCKETMQ_ERR__INVALID_ARG;
    }
    if (phys_offset + size <= atomic_load(&cq->max_phys)) {
        /* Debug only: abnormal recovery re-dispatches every record it scans. */
        RMQ_LOGD("store", "consume queue %s/%d: duplicate entry at %lld ignored", cq->topic,
                 (int)cq->queue_id, (long long)phys_offset);
        return 0;
    }
    rmq_mapped_queue_t *q = cq->mq;
    int64_t expect = cq_offset * UNIT;
    char err[256];
    rmq_mapped_file_t *mf = rmq_mq_last_or_create(q, expect, err, sizeof(err));
    if (!mf) {
        RMQ_LOGE("store", "consume queue %s/%d: %s", cq->topic, (int)cq->queue_id, err);
        return ROCKETMQ_ERR__IO;
    }
    int64_t wrote = rmq_mapped_file_wrote(mf);
    /* The queue's first entry: its only file is still empty (just created,
     * also after truncation or destroy removed every file, or left empty by
     * a write that found no disk space).  It starts the readable range, so a
     * stale min cannot hide it, and filler entries lead up to it. */
    bool fresh = wrote == 0 && rmq_mq_count(q) == 1 && expect >= mf->start &&
                 expect < mf->start + (int64_t)mf->size;
    bool pre_blank = fresh && cq_offset != 0;
    if (cq_offset != 0 && !pre_blank) {
        int64_t cur = mf->start + wrote;
        if (expect < cur) {
            RMQ_LOGD("store", "consume queue %s/%d: entry %lld built again, ignored", cq->topic,
                     (int)cq->queue_id, (long long)cq_offset);
            return 0;
        }
        /* Java appends anyway: the entry's index and its position disagree
         * from here on, which only a bug (or lost files) can cause. */
        if (expect != cur)
            RMQ_LOGE("store", "[BUG] consume queue %s/%d order maybe wrong: entry %lld "
                     "written at index %lld", cq->topic, (int)cq->queue_id,
                     (long long)cq_offset, (long long)(cur / UNIT));
    }
    /* Disk blocks for everything written below (fillers and the entry)
     * before any byte goes through the mapping: a store into a page a full
     * disk cannot back raises SIGBUS.  Nothing has changed when this fails,
     * so the dispatcher can retry the same entry. */
    int64_t upto = (pre_blank ? expect - mf->start : wrote) + UNIT;
    if (rmq_mapped_file_reserve(mf, upto) != 0) {
        RMQ_LOGE("store", "consume queue %s/%d: cannot reserve disk space in %s: %s", cq->topic,
                 (int)cq->queue_id, mf->path, strerror(errno));
        return ROCKETMQ_ERR__IO;
    }
    if (fresh)
        atomic_store(&cq->min_logic, expect);
    if (pre_blank) {
        fill_pre_blank(mf, expect);
        rmq_mq_set_flushed_where(q, expect);
        RMQ_LOGI("store", "consume queue %s/%d starts at entry %lld: filler entries before it",
                 cq->topic, (int)cq->queue_id, (long long)cq_offset);
    }
    uint8_t e[UNIT];
    encode(e, phys_offset, size, tags_code);
    atomic_store(&cq->max_phys, phys_offset + size);
    if (rmq_mapped_file_append(mf, e, UNIT) != 0) {
        RMQ_LOGE("store", "consume queue %s/%d: no room in %s", cq->topic, (int)cq->queue_id,
                 mf->path);
        return ROCKETMQ_ERR__IO;
    }
    return 0;
}

int64_t rmq_cq_min_offset(rmq_consume_queue_t *cq)
{
    return atomic_load(&cq->min_logic) / UNIT;
}

int64_t rmq_cq_max_offset(rmq_consume_queue_t *cq)
{
    return rmq_mq_max_offset(cq->mq) / UNIT;
}

int64_t rmq_cq_max_phys_offset(rmq_consume_queue_t *cq)
{
    return atomic_load(&cq->max_phys);
}

int rmq_cq_read(rmq_consume_queue_t *cq, int64_t index, rmq_cq_slice_t *s)
{
    memset(s, 0, sizeof(*s));
    if (index < 0 || index > INT64_MAX / UNIT)
        return ROCKETMQ_ERR__NOT_FOUND;
    int64_t off = index * UNIT;
    if (off < atomic_load(&cq->min_logic))
        return ROCKETMQ_ERR__NOT_FOUND;
    rmq_mapped_file_t *mf = rmq_mq_find(cq->mq, off);
    if (!mf)
        return ROCKETMQ_ERR__NOT_FOUND;
    int64_t pos = off - mf->start;
    /* acquire: the entries below wrote are complete */
    int64_t wrote = rmq_mapped_file_wrote(mf);
    if (pos + UNIT > wrote) {
        rmq_mapped_file_release(mf);
        return ROCKETMQ_ERR__NOT_FOUND;
    }
    s->mf = mf;
    s->p = mf->base + pos;
    s->n = (size_t)((wrote - pos) / UNIT);
    return 0;
}

void rmq_cq_slice_release(rmq_cq_slice_t *s)
{
    if (s->mf)
        rmq_mapped_file_release(s->mf);
    memset(s, 0, sizeof(*s));
}

bool rmq_cq_entry(rmq_consume_queue_t *cq, int64_t index, int64_t *phys_offset, int32_t *size,
                  int64_t *tags_code)
{
    rmq_cq_slice_t s;
    if (rmq_cq_read(cq, index, &s) != 0)
        return false;
    entry_t e;
    decode(s.p, &e);
    rmq_cq_slice_release(&s);
    if (phys_offset)
        *phys_offset = e.offset;
    if (size)
        *size = e.size;
    if (tags_code)
        *tags_code = e.tags;
    return true;
}

int64_t rmq_cq_next_file_index(rmq_consume_queue_t *cq, int64_t index)
{
    int64_t per_file = (int64_t)cq->mq->file_size / UNIT;
    return index + per_file - index % per_file;
}

void rmq_cq_truncate_dirty(rmq_consume_queue_t *cq, int64_t phys_offset)
{
    rmq_mapped_queue_t *q = cq->mq;
    /* Stays if every entry goes (Java): the commit log ends there, so a
     * record dispatched later cannot be a duplicate of a dropped one. */
    int64_t max_phys = phys_offset;
    for (;;) {
        rmq_mapped_file_t *mf = rmq_mq_last(q);
        if (!mf) {
            /* every file went */
            rmq_mq_set_flushed_where(q, 0);
            break;
        }
        int64_t wrote = rmq_mapped_file_wrote(mf);
        int64_t keep = 0;
        for (int64_t pos = 0; pos + UNIT <= wrote; pos += UNIT) {
            entry_t e;
            decode(mf->base + pos, &e);
            if (e.offset < 0 || e.size <= 0 || e.offset >= phys_offset)
                break;
            keep = pos + UNIT;
            if (!is_filler(&e))
                max_phys = e.offset + e.size;
        }
        int64_t start = mf->start;
        rmq_mapped_file_release(mf);
        if (keep == 0) {
            /* Its first entry is already dirty: the whole file goes. */
            rmq_mq_delete_last(q);
            continue;
        }
        rmq_mq_truncate(q, start + keep);
        break;
    }
    atomic_store(&cq->max_phys, max_phys);
}

void rmq_cq_correct_min_offset(rmq_consume_queue_t *cq, int64_t commitlog_min_offset)
{
    bool found;
    int64_t min = scan_first_file(cq, commitlog_min_offset, &found);
    /* Java leaves the min alone when the first file has no such entry. */
    if (found) {
        atomic_store(&cq->min_logic, min);
        RMQ_LOGD("store", "consume queue %s/%d: min offset %lld", cq->topic, (int)cq->queue_id,
                 (long long)(min / UNIT));
    }
}

int rmq_cq_delete_expired(rmq_consume_queue_t *cq, int64_t commitlog_min_offset)
{
    rmq_mapped_queue_t *q = cq->mq;
    int deleted = 0;
    /* Only retention removes first files, so the file examined is the one
     * rmq_mq_delete_first removes; it never takes the last one. */
    while (rmq_mq_count(q) > 1) {
        rmq_mapped_file_t *mf = rmq_mq_get(q, 0);
        if (!mf)
            break;
        bool expired = false;
        if (rmq_mapped_file_full(mf)) {
            entry_t e;
            decode(mf->base + mf->size - UNIT, &e);
            expired = e.offset < commitlog_min_offset;
        }
        rmq_mapped_file_release(mf);
        if (!expired || !rmq_mq_delete_first(q))
            break;
        deleted++;
    }
    rmq_cq_correct_min_offset(cq, commitlog_min_offset);
    return deleted;
}

int rmq_cq_flush(rmq_consume_queue_t *cq, int least_pages)
{
    return rmq_mq_flush(cq->mq, least_pages);
}

void rmq_cq_destroy(rmq_consume_queue_t *cq)
{
    rmq_mq_destroy_all(cq->mq);
    atomic_store(&cq->min_logic, 0);
    atomic_store(&cq->max_phys, 0);
    if (rmdir(cq->mq->dir) != 0 && errno != ENOENT)
        RMQ_LOGW("store", "cannot remove %s: %s", cq->mq->dir, strerror(errno));
    /* The topic's other queues may still live there. */
    if (rmdir(cq->topic_dir) != 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
        RMQ_LOGW("store", "cannot remove %s: %s", cq->topic_dir, strerror(errno));
}
