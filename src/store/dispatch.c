/* Dispatch (Apache RocketMQ ReputMessageService; reference broker.md 5):
 * reads the commit log behind the appenders and builds consume-queue entries
 * and index keys, then tells the broker a message arrived (long polling). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/num.h"
#include "base/time.h"
#include "rocketmq/error.h"
#include "store/store_int.h"

#define SCHEDULE_TOPIC "SCHEDULE_TOPIC_XXXX"

static bool consumable(int32_t sysflag)
{
    int tx = sysflag & RMQ_SYSFLAG_TX_MASK;
    return tx == RMQ_SYSFLAG_TX_NOT || tx == RMQ_SYSFLAG_TX_COMMIT;
}

/* The delivery time of a delayed message (SCHEDULE_TOPIC_XXXX with a DELAY
 * level), or -1 (MessageExtBrokerInner.tagsString2tagsCode / computeDeliverTimestamp). */
static int64_t deliver_time(const rmq_store_t *s, const rmq_record_t *rec)
{
    const char *v;
    size_t n;
    if (rec->topic_len != (int32_t)strlen(SCHEDULE_TOPIC) ||
        memcmp(rec->topic, SCHEDULE_TOPIC, (size_t)rec->topic_len) != 0 ||
        !rmq_props_find(rec->properties, (size_t)rec->properties_len, "DELAY", &v, &n) || n > 9)
        return -1;
    char tmp[10];
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    int64_t level;
    if (rmq_parse_i64(tmp, &level) != 0 || level < 1 || s->ndelay == 0)
        return -1;
    if (level > s->ndelay)
        level = s->ndelay;
    return rec->store_timestamp + s->delay_ms[level - 1];
}

static int64_t tags_code_of(const rmq_store_t *s, const rmq_record_t *rec)
{
    const char *v;
    size_t n;
    int64_t when = deliver_time(s, rec);
    if (when >= 0)
        return when;
    if (!rmq_props_find(rec->properties, (size_t)rec->properties_len, "TAGS", &v, &n))
        return 0;
    return rmq_tags_code(v, n);
}

int rmq_dispatch_record(rmq_store_t *s, const rmq_record_t *rec, int64_t offset)
{
    char topic[RMQ_TOPIC_MAX_LEN + 1];
    size_t tlen = (size_t)rec->topic_len < sizeof(topic) ? (size_t)rec->topic_len : sizeof(topic) - 1;
    memcpy(topic, rec->topic, tlen);
    topic[tlen] = '\0';
    int64_t tags = tags_code_of(s, rec);
    if (consumable(rec->sysflag)) {
        rmq_consume_queue_t *cq = rmq_store_find_cq(s, topic, rec->queue_id, true);
        if (rmq_cq_put(cq, offset, rec->total_size, tags, rec->queue_offset) != 0) {
            /* The record stays undispatched: the dispatcher retries it.
             * Writes are refused first, so nobody who sees the dispatcher
             * failing can still append. */
            if (!(atomic_fetch_or(&s->running_flags, RMQ_RUN_WRITE_LOGICS_ERROR) &
                  RMQ_RUN_WRITE_LOGICS_ERROR))
                RMQ_LOGE("store", "cannot write consume queue %s-%d: store set read-only",
                         topic, rec->queue_id);
            atomic_store(&s->dispatch_failing, true);
            return ROCKETMQ_ERR__IO;
        }
        if (atomic_load_explicit(&s->dispatch_failing, memory_order_relaxed))
            atomic_store(&s->dispatch_failing, false);
        atomic_store(&s->cp->logics_ts, rec->store_timestamp);
    }
    if (s->index && (rec->sysflag & RMQ_SYSFLAG_TX_MASK) != RMQ_SYSFLAG_TX_ROLLBACK) {
        const char *uk = NULL, *keys = NULL;
        size_t ulen = 0, klen = 0;
        rmq_props_find(rec->properties, (size_t)rec->properties_len, "UNIQ_KEY", &uk, &ulen);
        rmq_props_find(rec->properties, (size_t)rec->properties_len, "KEYS", &keys, &klen);
        int rc = uk || keys ? rmq_index_put(s->index, topic, uk, ulen, keys, klen, offset,
                                            rec->store_timestamp)
                            : 0;
        /* Java (IndexService.retryGetAndCreateIndexFile) makes the store
         * refuse writes when the index cannot be written; the message is in
         * its consume queue already, so dispatch goes on without its keys. */
        if (rc == ROCKETMQ_ERR__IO) {
            if (!(atomic_fetch_or(&s->running_flags, RMQ_RUN_WRITE_INDEX_ERROR) &
                  RMQ_RUN_WRITE_INDEX_ERROR))
                RMQ_LOGE("store", "cannot index message at %lld: store set read-only",
                         (long long)offset);
            else
                RMQ_LOGD("store", "cannot index message at %lld", (long long)offset);
        } else if (rc != 0) {
            RMQ_LOGW("store", "cannot index message at %lld", (long long)offset);
        }
    }
    return 0;
}

/* One pass over what the commit log holds beyond reput_from; returns the
 * number of records dispatched, and sets *failed when a record could not be
 * dispatched (reput_from stays at it).  The final pass ignores the stop flag. */
static int do_reput(rmq_store_t *s, bool final, bool *failed)
{
    *failed = false;
    int count = 0;
    int64_t from = atomic_load(&s->reput_from);
    int64_t min = rmq_mq_min_offset(s->cl);
    if (min > from)
        from = min;
    while (final || !atomic_load(&s->stopping)) {
        rmq_mapped_file_t *mf = rmq_mq_find(s->cl, from);
        if (!mf)
            break;
        int64_t pos = from - mf->start, end = rmq_mapped_file_wrote(mf);
        bool next_file = false;
        while (pos < end) {
            rmq_record_t rec;
            rmq_record_status_t st =
                rmq_record_parse(mf->base + pos, (size_t)(end - pos), false, &rec);
            if (st == RMQ_RECORD_BLANK) {
                next_file = true;
                break;
            }
            if (st != RMQ_RECORD_OK) {
                /* A master never has a partial record before its write position. */
                RMQ_LOGE("store", "dispatch: bad record at %lld, skipping the rest of %s",
                         (long long)(mf->start + pos), mf->path);
                next_file = true;
                break;
            }
            if (rmq_dispatch_record(s, &rec, mf->start + pos) != 0) {
                atomic_store(&s->reput_from, mf->start + pos);
                rmq_mapped_file_release(mf);
                *failed = true;
                return count;
            }
            if (s->arrival && consumable(rec.sysflag)) {
                char topic[RMQ_TOPIC_MAX_LEN + 1];
                memcpy(topic, rec.topic, (size_t)rec.topic_len);
                topic[rec.topic_len] = '\0';
                s->arrival(topic, rec.queue_id, rec.queue_offset + 1, tags_code_of(s, &rec),
                           rec.store_timestamp, s->arrival_arg);
            }
            pos += rec.total_size;
            count++;
        }
        from = next_file ? mf->start + (int64_t)mf->size : mf->start + pos;
        atomic_store(&s->reput_from, from);
        rmq_mapped_file_release(mf);
        if (!next_file)
            break;
    }
    return count;
}

void rmq_dispatch_wake(rmq_store_t *s)
{
    /* A busy dispatcher re-reads the commit log end before it sleeps, so
     * appends only pay for the wake-up when it is idle. */
    if (!atomic_load(&s->dispatch_idle) && !atomic_load(&s->stopping))
        return;
    pthread_mutex_lock(&s->dispatch_lock);
    pthread_cond_broadcast(&s->dispatch_cond);
    pthread_mutex_unlock(&s->dispatch_lock);
}

/* Pause before retrying a record that could not be dispatched: from 10 ms,
 * doubling up to 1 s (Java retries a consume-queue write once a second). */
#define RETRY_MIN_MS 10
#define RETRY_MAX_MS 1000
/* Empty 1 ms rounds before the dispatcher sleeps until woken (~0.2 s). */
#define LINGER_ROUNDS 200

void *rmq_dispatch_main(void *arg)
{
    rmq_store_t *s = arg;
    int retry_ms = 0, idle_rounds = LINGER_ROUNDS + 1;
    while (!atomic_load(&s->stopping)) {
        rmq_store_run_topic_deletes(s);
        bool failed;
        int n = do_reput(s, false, &failed);
        if (failed) {
            /* Only stop wakes this sleep: appends (refused anyway) and
             * waiters must not turn the retry into a busy loop. */
            retry_ms = retry_ms == 0 ? RETRY_MIN_MS
                                     : (retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : retry_ms * 2);
            pthread_mutex_lock(&s->dispatch_lock);
            pthread_cond_broadcast(&s->dispatch_cond);
            pthread_mutex_unlock(&s->dispatch_lock);
            rmq_store_sleep(s, &s->stop_lock, &s->stop_cond, retry_ms);
            continue;
        }
        retry_ms = 0;
        idle_rounds = n > 0 ? 0 : idle_rounds + 1;
        /* While appends keep coming, poll every millisecond (as Java's
         * ReputMessageService sleeps 1 ms a round) instead of being woken:
         * a dispatcher faster than the appends would otherwise cost every
         * put a wake-up and two thread switches.  After LINGER_ROUNDS empty
         * rounds it sleeps until an append wakes it. */
        bool linger = idle_rounds <= LINGER_ROUNDS;
        pthread_mutex_lock(&s->dispatch_lock);
        /* Wake anyone waiting for dispatch to catch up, then wait for appends.
         * idle is set before the end is re-read: an append after that read
         * sees idle and signals (see rmq_dispatch_wake). */
        pthread_cond_broadcast(&s->dispatch_cond);
        if (!linger)
            atomic_store(&s->dispatch_idle, true);
        if (n == 0 && !atomic_load(&s->stopping) &&
            atomic_load(&s->reput_from) >= rmq_mq_max_offset(s->cl)) {
            struct timespec ts;
            rmq_timespec_in(&ts, CLOCK_MONOTONIC, linger ? 1 : 10);
            pthread_cond_timedwait(&s->dispatch_cond, &s->dispatch_lock, &ts);
        }
        atomic_store(&s->dispatch_idle, false);
        pthread_mutex_unlock(&s->dispatch_lock);
    }
    bool failed;
    do_reput(s, true, &failed); /* what was appended before stop */
    return NULL;
}
