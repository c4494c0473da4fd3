/* Reads: messages of a queue from an offset (DefaultMessageStore.getMessage,
 * reference broker.md 8.3), offsets, lookups by time, commit-log offset and key. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/time.h"
#include "rocketmq/error.h"
#include "store/store_int.h"

/* Consume-queue bytes scanned per read at least (maxFilterMessageCount). */
#define MIN_SCAN_BYTES 16000

void rmq_get_result_release(rmq_get_result_t *r)
{
    for (size_t i = 0; i < r->count; i++)
        rmq_mapped_file_release(r->msgs[i].mf);
    free(r->msgs);
    r->msgs = NULL;
    r->count = 0;
    r->total_bytes = 0;
}

static bool in_disk(const rmq_store_t *s, int64_t cl_max, int64_t phys)
{
    return cl_max - phys > s->mem_total / 100 * s->cfg.accessMessageInMemoryMaxRatio;
}

/* MessageStore.isTheBatchFull: never empty-handed, then count and byte caps
 * that are tighter when the data has to come from disk. */
static bool batch_full(const rmq_store_t *s, const rmq_get_result_t *r, int32_t size,
                       int32_t max_msgs, bool disk)
{
    if (r->count == 0)
        return false;
    if ((int64_t)r->count >= max_msgs)
        return true;
    int64_t bytes = (int64_t)r->total_bytes + size;
    if (disk)
        return bytes > s->cfg.maxTransferBytesOnMessageInDisk ||
               (int64_t)r->count > s->cfg.maxTransferCountOnMessageInDisk - 1;
    return bytes > s->cfg.maxTransferBytesOnMessageInMemory ||
           (int64_t)r->count > s->cfg.maxTransferCountOnMessageInMemory - 1;
}

/* Holds the commit-log bytes [phys, phys + size) if they are all written. */
static bool hold_record(rmq_store_t *s, int64_t phys, int32_t size, rmq_msg_slice_t *out)
{
    if (phys < 0 || size <= 0)
        return false;
    rmq_mapped_file_t *mf = rmq_mq_find(s->cl, phys);
    if (!mf)
        return false;
    int64_t pos = phys - mf->start;
    if (pos + size > rmq_mapped_file_wrote(mf)) {
        rmq_mapped_file_release(mf);
        return false;
    }
    out->mf = mf;
    out->p = mf->base + pos;
    out->len = (size_t)size;
    return true;
}

static void add_msg(rmq_get_result_t *r, const rmq_msg_slice_t *m, size_t *cap)
{
    if (r->count == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        r->msgs = rmq_realloc(r->msgs, *cap * sizeof(*r->msgs));
    }
    r->msgs[r->count++] = *m;
    r->total_bytes += m->len;
}

static void scan(rmq_store_t *s, rmq_consume_queue_t *cq, int64_t offset, int32_t max_msgs,
                 rmq_tags_filter filter, void *farg, rmq_get_result_t *r)
{
    rmq_cq_slice_t sl;
    if (rmq_cq_read(cq, offset, &sl) != 0) {
        r->status = RMQ_GET_OFFSET_FOUND_NULL;
        r->next_begin_offset = rmq_cq_next_file_index(cq, offset);
        return;
    }
    r->status = RMQ_GET_NO_MATCHED_MESSAGE;
    int64_t cl_max = rmq_mq_max_offset(s->cl), last_phys = 0;
    size_t limit = (size_t)max_msgs * RMQ_CQ_UNIT_SIZE;
    if (limit < MIN_SCAN_BYTES)
        limit = MIN_SCAN_BYTES;
    size_t cap = 0, i = 0;
    for (; i < sl.n && i * RMQ_CQ_UNIT_SIZE < limit; i++) {
        const uint8_t *e = sl.p + i * RMQ_CQ_UNIT_SIZE;
        int64_t phys = (int64_t)rmq_be64(e), tags = (int64_t)rmq_be64(e + 12);
        int32_t size = (int32_t)rmq_be32(e + 8);
        last_phys = phys;
        if (batch_full(s, r, size, max_msgs, in_disk(s, cl_max, phys)))
            break;
        if (filter && !filter(tags, farg))
            continue;
        rmq_msg_slice_t m;
        if (!hold_record(s, phys, size, &m)) {
            if (r->status != RMQ_GET_FOUND)
                r->status = RMQ_GET_MESSAGE_WAS_REMOVING;
            continue;
        }
        add_msg(r, &m, &cap);
        r->status = RMQ_GET_FOUND;
    }
    rmq_cq_slice_release(&sl);
    r->next_begin_offset = offset + (int64_t)i;
    r->suggest_pulling_from_slave = in_disk(s, cl_max, last_phys);
}

void rmq_store_get_messages(rmq_store_t *s, const char *topic, int32_t queue_id, int64_t offset,
                            int32_t max_msgs, rmq_tags_filter filter, void *filter_arg,
                            rmq_get_result_t *out)
{
    memset(out, 0, sizeof(*out));
    if (max_msgs <= 0)
        max_msgs = 1;
    rmq_consume_queue_t *cq = rmq_store_find_cq(s, topic, queue_id, false);
    if (!cq) {
        /* Java creates an empty queue object here, so the caller sees an empty queue. */
        out->status = RMQ_GET_NO_MESSAGE_IN_QUEUE;
        return;
    }
    out->min_offset = rmq_cq_min_offset(cq);
    out->max_offset = rmq_cq_max_offset(cq);
    if (out->max_offset == 0) {
        out->status = RMQ_GET_NO_MESSAGE_IN_QUEUE;
    } else if (offset < out->min_offset) {
        out->status = RMQ_GET_OFFSET_TOO_SMALL;
        out->next_begin_offset = out->min_offset;
    } else if (offset == out->max_offset) {
        out->status = RMQ_GET_OFFSET_OVERFLOW_ONE;
        out->next_begin_offset = offset;
    } else if (offset > out->max_offset) {
        out->status = RMQ_GET_OFFSET_OVERFLOW_BADLY;
        out->next_begin_offset = out->max_offset;
    } else {
        scan(s, cq, offset, max_msgs, filter, filter_arg, out);
    }
    atomic_fetch_add_explicit(&s->st_get_times, 1, memory_order_relaxed);
    if (out->count > 0)
        atomic_fetch_add_explicit(&s->st_get_hits, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->st_get_found, (int64_t)out->count, memory_order_relaxed);
}

int rmq_store_latency_bucket(int64_t ms)
{
    if (ms < 1000)
        return ms < 0 ? 0 : (int)ms;
    static const int64_t upper[] = {2000, 3000, 4000, 5000, 10000};
    for (int i = 0; i < 5; i++)
        if (ms < upper[i])
            return 1000 + i;
    return RMQ_STORE_LATENCY_BUCKETS - 1;
}

void rmq_store_note_put_latency(rmq_store_t *s, int64_t ms)
{
    if (ms < 0)
        ms = 0; /* the wall clock stepped back */
    atomic_fetch_add_explicit(&s->st_put_latency[rmq_store_latency_bucket(ms)], 1,
                              memory_order_relaxed);
    int64_t max = atomic_load_explicit(&s->st_put_max_ms, memory_order_relaxed);
    while (ms > max && !atomic_compare_exchange_weak(&s->st_put_max_ms, &max, ms))
        ;
}

void rmq_store_get_stats(rmq_store_t *s, rmq_store_stats_t *out)
{
    out->put_times = atomic_load(&s->st_put_times);
    out->put_messages = atomic_load(&s->st_put_msgs);
    out->put_bytes = atomic_load(&s->st_put_bytes);
    out->put_failed = atomic_load(&s->st_put_failed);
    out->get_found = atomic_load(&s->st_get_found);
    out->get_times = atomic_load(&s->st_get_times);
    out->get_hits = atomic_load(&s->st_get_hits);
    out->put_max_ms = atomic_load(&s->st_put_max_ms);
    for (int i = 0; i < RMQ_STORE_LATENCY_BUCKETS; i++)
        out->put_latency[i] = atomic_load_explicit(&s->st_put_latency[i], memory_order_relaxed);
    int64_t begin = atomic_load(&s->begin_time_in_lock);
    out->lock_ms = begin ? rmq_now_ms() - begin : 0;
}

int64_t rmq_store_min_offset(rmq_store_t *s, const char *topic, int32_t queue_id)
{
    rmq_consume_queue_t *cq = rmq_store_find_cq(s, topic, queue_id, false);
    return cq ? rmq_cq_min_offset(cq) : 0;
}

int64_t rmq_store_max_offset(rmq_store_t *s, const char *topic, int32_t queue_id)
{
    rmq_consume_queue_t *cq = rmq_store_find_cq(s, topic, queue_id, false);
    return cq ? rmq_cq_max_offset(cq) : 0;
}

/* Store timestamp of the record at phys (its position moves with the born
 * host's size). */
static int64_t record_store_time(rmq_store_t *s, int64_t phys, int32_t size)
{
    rmq_msg_slice_t m;
    if (size < 72 || !hold_record(s, phys, size, &m))
        return -1;
    int32_t sysflag = (int32_t)rmq_be32(m.p + RMQ_REC_OFF_SYSFLAG);
    size_t at = RMQ_REC_OFF_BORNHOST + ((sysflag & RMQ_SYSFLAG_BORNHOST_V6) ? 20 : 8);
    int64_t ts = (int64_t)rmq_be64(m.p + at);
    rmq_mapped_file_release(m.mf);
    return ts;
}

int64_t rmq_store_msg_store_time(rmq_store_t *s, const char *topic, int32_t queue_id,
                                 int64_t offset)
{
    rmq_consume_queue_t *cq = rmq_store_find_cq(s, topic, queue_id, false);
    int64_t phys, tags;
    int32_t size;
    if (!cq || !rmq_cq_entry(cq, offset, &phys, &size, &tags))
        return -1;
    return record_store_time(s, phys, size);
}

int64_t rmq_store_offset_by_time(rmq_store_t *s, const char *topic, int32_t queue_id, int64_t ts)
{
    rmq_consume_queue_t *cq = rmq_store_find_cq(s, topic, queue_id, false);
    if (!cq)
        return 0;
    /* Store times grow with queue offsets: binary search for the first >= ts.
     * Unreadable entries (filler, removed files) count as older. */
    int64_t lo = rmq_cq_min_offset(cq), hi = rmq_cq_max_offset(cq), max = hi;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int64_t t = rmq_store_msg_store_time(s, topic, queue_id, mid);
        if (t >= ts)
            hi = mid;
        else
            lo = mid + 1;
    }
    /* All older: the last message, as Java's search settles on it. */
    return lo == max && max > rmq_cq_min_offset(cq) ? max - 1 : lo;
}

int rmq_store_read_at(rmq_store_t *s, int64_t phys_offset, rmq_buf_t *out)
{
    rmq_mapped_file_t *mf = rmq_mq_find(s->cl, phys_offset);
    if (!mf)
        return ROCKETMQ_ERR__NOT_FOUND;
    int64_t pos = phys_offset - mf->start, end = rmq_mapped_file_wrote(mf);
    rmq_record_t rec;
    int rc = ROCKETMQ_ERR__NOT_FOUND;
    if (pos < end && rmq_record_parse(mf->base + pos, (size_t)(end - pos), false, &rec) ==
                         RMQ_RECORD_OK) {
        rmq_buf_append(out, mf->base + pos, (size_t)rec.total_size);
        rc = 0;
    }
    rmq_mapped_file_release(mf);
    return rc;
}

int rmq_store_query_by_key(rmq_store_t *s, const char *topic, const char *key, int max_num,
                           int64_t begin, int64_t end, int64_t *offsets)
{
    if (!s->index)
        return 0;
    return rmq_index_query(s->index, topic, key, max_num, begin, end, offsets);
}
