/* The commit log: appends under one lock, and recovery (reference broker.md
 * sections 2, 3 and 6).  Records are encoded outside the lock; inside it only
 * the offsets and store time are patched and the bytes copied, so the
 * critical section is a memcpy. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/time.h"
#include "store/store_int.h"

/* The encoder refuses records larger than maxMessageSize + 64 KiB. */
#define RECORD_SLACK (64 * 1024)

/* The next queue offset of "topic-queueId" (built without printf: every put
 * looks it up). */
static int64_t *queue_slot(rmq_store_t *s, const char *topic, size_t tlen, int32_t qid)
{
    char key[RMQ_TOPIC_MAX_LEN + 2 + RMQ_I64_TEXT_MAX];
    if (tlen > RMQ_TOPIC_MAX_LEN)
        tlen = RMQ_TOPIC_MAX_LEN;
    memcpy(key, topic, tlen);
    key[tlen] = '-';
    size_t n = tlen + 1 + rmq_fmt_i64(key + tlen + 1, qid);
    key[n] = '\0';
    int64_t *slot = rmq_map_get(s->queue_table, key, n + 1);
    if (!slot) {
        slot = rmq_calloc(1, sizeof(*slot));
        rmq_map_put(s->queue_table, key, n + 1, slot);
    }
    return slot;
}

static rmq_put_status_t check_msg(const rmq_store_t *s, const rmq_msg_in_t *m)
{
    if (m->topic_len == 0 || m->topic_len > RMQ_TOPIC_MAX_LEN)
        return RMQ_PUT_MESSAGE_ILLEGAL;
    if (m->properties_len > RMQ_PROPERTIES_MAX_LEN)
        return RMQ_PUT_PROPERTIES_SIZE_EXCEEDED;
    if (m->body_len > (size_t)s->cfg.maxMessageSize)
        return RMQ_PUT_MESSAGE_ILLEGAL;
    if (rmq_record_size(m) > (size_t)s->cfg.maxMessageSize + RECORD_SLACK)
        return RMQ_PUT_MESSAGE_ILLEGAL;
    return RMQ_PUT_OK;
}

static bool consumable(int32_t sysflag)
{
    int tx = sysflag & RMQ_SYSFLAG_TX_MASK;
    return tx == RMQ_SYSFLAG_TX_NOT || tx == RMQ_SYSFLAG_TX_COMMIT;
}

/* Stores n bytes at position pos of mf, after which the file's next append
 * goes to next (pos + n, or its size when the bytes are its blank record).
 * With the staging ring (SYNC_FLUSH, or transientStorePoolEnable) they are
 * handed over to be written by another thread; otherwise they are copied
 * into the mapping: no system call per message. */
static void store_bytes(rmq_store_t *s, rmq_mapped_file_t *mf, const uint8_t *p, size_t n,
                        int64_t pos, int64_t next)
{
    if (s->stage) {
        rmq_stage_put(s->stage, mf, mf->start + pos, p, n, pos + (int64_t)n, next);
        return;
    }
    rmq_mq_will_write(s->cl, mf->start + pos + (int64_t)n);
    memcpy(mf->base + pos, p, n);
    rmq_mapped_file_set_wrote(mf, next);
}

/* Copies the encoded batch into mf at its write position; caller holds put_lock. */
static void write_records(rmq_store_t *s, rmq_mapped_file_t *mf, uint8_t *enc, size_t total,
                         const size_t *sizes, size_t n, int64_t qoff, int64_t now,
                         rmq_put_result_t *res)
{
    int64_t pos = rmq_mapped_file_appended(mf);
    int64_t phys = mf->start + pos;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        rmq_record_patch(enc + at, qoff < 0 ? 0 : qoff + (int64_t)i, phys + (int64_t)at, now);
        at += sizes[i];
    }
    atomic_store(&mf->last_store_ts, now);
    store_bytes(s, mf, enc, total, pos, pos + (int64_t)total);
    res->wrote_offset = phys;
    res->wrote_bytes = (int32_t)total;
    res->store_timestamp = now;
    res->queue_offset = qoff < 0 ? 0 : qoff;
    res->msg_num = (int32_t)n;
}

/* Inside the lock: finds room (writing the BLANK end-of-file record when the
 * batch does not fit), then writes.  Returns the status. */
static rmq_put_status_t append_locked(rmq_store_t *s, const rmq_msg_in_t *msgs, size_t n,
                                      uint8_t *enc, size_t total, const size_t *sizes,
                                      rmq_put_result_t *res)
{
    if (atomic_load(&s->closing))
        return RMQ_PUT_SERVICE_NOT_AVAILABLE; /* the staging ring may be gone */
    int64_t now = rmq_now_ms();
    atomic_store(&s->begin_time_in_lock, now);
    char err[256];
    for (int attempt = 0; attempt < 2; attempt++) {
        rmq_mapped_file_t *mf = rmq_mq_last_or_create(s->cl, 0, err, sizeof(err));
        if (!mf) {
            RMQ_LOGE("store", "create commit log file failed: %s", err);
            return RMQ_PUT_CREATE_MAPEDFILE_FAILED;
        }
        int64_t pos = rmq_mapped_file_appended(mf);
        int64_t remaining = (int64_t)mf->size - pos;
        /* Segments are created with all their blocks; one loaded from disk
         * (it may be sparse) gets them before the first store into it. */
        int64_t upto = pos + ((int64_t)total + RMQ_END_FILE_MIN_BLANK <= remaining
                                  ? (int64_t)total
                                  : RMQ_END_FILE_MIN_BLANK);
        if (rmq_mapped_file_reserve(mf, upto) != 0) {
            RMQ_LOGE("store", "cannot reserve disk space in %s: %s", mf->path, strerror(errno));
            return RMQ_PUT_CREATE_MAPEDFILE_FAILED;
        }
        if ((int64_t)total + RMQ_END_FILE_MIN_BLANK <= remaining) {
            int64_t *slot = queue_slot(s, msgs[0].topic, msgs[0].topic_len, msgs[0].queue_id);
            bool adv = consumable(msgs[0].sysflag);
            write_records(s, mf, enc, total, sizes, n, adv ? *slot : -1, now, res);
            if (adv)
                *slot += (int64_t)n;
            return RMQ_PUT_OK;
        }
        /* Does not fit: the blank record covers the rest; retry in a new file. */
        uint8_t blank[RMQ_END_FILE_MIN_BLANK];
        size_t nblank = remaining >= RMQ_END_FILE_MIN_BLANK ? sizeof(blank) : 0;
        if (nblank)
            rmq_record_write_blank(blank, (int32_t)remaining);
        store_bytes(s, mf, blank, nblank, pos, (int64_t)mf->size);
    }
    return RMQ_PUT_UNKNOWN_ERROR; /* a fresh file could not hold it: checked before */
}

/* Encode buffer of the calling thread: appends come from a few threads and
 * reuse it instead of allocating per message.  A thread-specific key frees
 * it when the thread ends. */
typedef struct enc_buf {
    uint8_t *p;
    size_t cap;
} enc_buf_t;

static pthread_key_t g_enc_key;
static pthread_once_t g_enc_once = PTHREAD_ONCE_INIT;

static void enc_free(void *arg)
{
    enc_buf_t *b = arg;
    free(b->p);
    free(b);
}

static void enc_key_init(void)
{
    pthread_key_create(&g_enc_key, enc_free);
}

static uint8_t *enc_buffer(size_t need)
{
    pthread_once(&g_enc_once, enc_key_init);
    enc_buf_t *b = pthread_getspecific(g_enc_key);
    if (!b) {
        b = rmq_calloc(1, sizeof(*b));
        pthread_setspecific(g_enc_key, b);
    }
    if (need > b->cap) {
        free(b->p);
        b->cap = need < 65536 ? 65536 : need;
        b->p = rmq_malloc(b->cap);
    }
    return b->p;
}

void rmq_store_append(rmq_store_t *s, const rmq_msg_in_t *msgs, size_t n, rmq_put_result_t *res,
                      int64_t *waited_since)
{
    memset(res, 0, sizeof(*res));
    *waited_since = 0;
    size_t one;
    size_t *sizes = n == 1 ? &one : rmq_malloc(n * sizeof(*sizes));
    size_t total = 0;
    for (size_t i = 0; i < n && res->status == RMQ_PUT_OK; i++) {
        res->status = check_msg(s, &msgs[i]);
        sizes[i] = rmq_record_size(&msgs[i]);
        total += sizes[i];
    }
    if (res->status == RMQ_PUT_OK && total + RMQ_END_FILE_MIN_BLANK > (size_t)s->cfg.mappedFileSizeCommitLog)
        res->status = RMQ_PUT_MESSAGE_ILLEGAL; /* could never fit a segment */
    if (res->status != RMQ_PUT_OK) {
        if (sizes != &one)
            free(sizes);
        return;
    }
    uint8_t *enc = enc_buffer(total);
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        at += rmq_record_encode(&msgs[i], enc + at);
    if (pthread_mutex_trylock(&s->put_lock) != 0) {
        *waited_since = rmq_now_ms();
        pthread_mutex_lock(&s->put_lock);
    }
    res->status = append_locked(s, msgs, n, enc, total, sizes, res);
    atomic_store(&s->begin_time_in_lock, 0);
    pthread_mutex_unlock(&s->put_lock);
    if (sizes != &one)
        free(sizes);
    if (res->status == RMQ_PUT_OK) {
        atomic_fetch_add_explicit(&s->st_put_times, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->st_put_msgs, (int64_t)n, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->st_put_bytes, (int64_t)total, memory_order_relaxed);
        if (!s->stage) /* else the commit thread wakes it once the bytes are readable */
            rmq_dispatch_wake(s);
    } else {
        atomic_fetch_add_explicit(&s->st_put_failed, 1, memory_order_relaxed);
    }
}

/* ---- recovery ---- */

/* Parses one file from position 0; returns the end of the last good record
 * (relative), and sets *blank when the file ended with its BLANK record. */
static int64_t scan_file(rmq_store_t *s, rmq_mapped_file_t *mf, bool *dispatch, bool *blank)
{
    int64_t pos = 0;
    *blank = false;
    while (pos < (int64_t)mf->size) {
        rmq_record_t rec;
        rmq_record_status_t st = rmq_record_parse(mf->base + pos, mf->size - (size_t)pos,
                                                  s->cfg.checkCRCOnRecover, &rec);
        if (st == RMQ_RECORD_BLANK) {
            *blank = true;
            break;
        }
        if (st != RMQ_RECORD_OK || rec.total_size <= 0)
            break;
        if (*dispatch && rmq_dispatch_record(s, &rec, mf->start + pos) != 0) {
            /* A consume queue cannot take the entry (full disk): dispatch
             * stops here, and the dispatcher retries from this record once
             * it runs, so no later record of that queue goes in first. */
            *dispatch = false;
            s->redispatch_from = mf->start + pos;
            RMQ_LOGE("store", "recovery: dispatch failed at %lld, retried later",
                     (long long)(mf->start + pos));
        }
        pos += rec.total_size;
    }
    return pos;
}

/* Crash recovery starts at the newest file whose first record is older than
 * the checkpoint (minus 3 s): everything before it was dispatched and flushed. */
static size_t abnormal_start(rmq_store_t *s, size_t nfiles)
{
    int64_t min_ts = rmq_checkpoint_min_ts(s->cp);
    for (size_t i = nfiles; i-- > 0;) {
        rmq_mapped_file_t *mf = rmq_mq_get(s->cl, i);
        rmq_record_t rec;
        bool ok = mf && rmq_record_parse(mf->base, mf->size, false, &rec) == RMQ_RECORD_OK &&
                  rec.store_timestamp != 0 && rec.store_timestamp <= min_ts;
        if (mf)
            rmq_mapped_file_release(mf);
        if (ok)
            return i;
    }
    return 0;
}

static void truncate_cq(rmq_consume_queue_t *cq, void *arg)
{
    rmq_cq_truncate_dirty(cq, *(int64_t *)arg);
}

static void destroy_cq(rmq_consume_queue_t *cq, void *arg)
{
    (void)arg;
    rmq_cq_destroy(cq);
}

static void max_phys(rmq_consume_queue_t *cq, void *arg)
{
    int64_t *m = arg;
    int64_t v = rmq_cq_max_phys_offset(cq);
    if (v > *m)
        *m = v;
}

void rmq_commitlog_recover(rmq_store_t *s)
{
    size_t nfiles = rmq_mq_count(s->cl);
    if (nfiles == 0) {
        rmq_store_foreach_cq(s, destroy_cq, NULL);
        rmq_mq_set_flushed_where(s->cl, 0);
        return;
    }
    bool abnormal = !s->last_exit_ok;
    size_t i = abnormal ? abnormal_start(s, nfiles) : (nfiles >= 3 ? nfiles - 3 : 0);
    int64_t process = 0;
    bool dispatch = abnormal;
    for (; i < nfiles; i++) {
        rmq_mapped_file_t *mf = rmq_mq_get(s->cl, i);
        bool blank;
        int64_t end = scan_file(s, mf, &dispatch, &blank);
        process = mf->start + end;
        bool next = blank && i + 1 < nfiles;
        rmq_mapped_file_release(mf);
        if (!next)
            break;
    }
    RMQ_LOGI("store", "commit log recovered %s: valid data ends at offset %lld",
             abnormal ? "after a crash" : "after a clean shutdown", (long long)process);
    rmq_mq_truncate(s->cl, process);
    int64_t cq_max = 0;
    rmq_store_foreach_cq(s, max_phys, &cq_max);
    if (cq_max >= process)
        rmq_store_foreach_cq(s, truncate_cq, &process);
}

typedef struct rebuild_ctx {
    rmq_store_t *s;
    int64_t cl_min;
} rebuild_ctx_t;

static void rebuild_one(rmq_consume_queue_t *cq, void *arg)
{
    rebuild_ctx_t *c = arg;
    const char *topic = rmq_cq_topic(cq);
    *queue_slot(c->s, topic, strlen(topic), rmq_cq_queue_id(cq)) = rmq_cq_max_offset(cq);
    rmq_cq_correct_min_offset(cq, c->cl_min);
}

void rmq_store_rebuild_queue_table(rmq_store_t *s)
{
    rebuild_ctx_t c = {s, rmq_mq_min_offset(s->cl)};
    if (c.cl_min < 0)
        c.cl_min = 0;
    pthread_mutex_lock(&s->put_lock);
    rmq_store_foreach_cq(s, rebuild_one, &c);
    pthread_mutex_unlock(&s->put_lock);
}
