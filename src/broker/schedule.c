/* Delay levels (ScheduleMessageService; reference broker.md 11): a message
 * sent with a DELAY level is stored in SCHEDULE_TOPIC_XXXX, queue level - 1
 * (send.c redirects it), with its delivery time as the consume-queue tags
 * code.  This thread walks each level's queue from its offset in
 * delayOffset.json and, once a message is due, stores it again in its real
 * topic and queue (REAL_TOPIC / REAL_QID) without the DELAY property. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/time.h"
#include "broker/broker_int.h"

#define TICK_MS 100
#define PERSIST_EVERY_MS 10000 /* flushDelayOffsetInterval */
#define MAX_LEVELS 64

struct rmq_schedule {
    rmq_broker_t *b;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    int nlevels;
    int64_t delay_ms[MAX_LEVELS];
    rmq_delay_offsets_t offsets; /* schedule thread only */
    char *path;
    bool dirty;
};

int rmq_parse_delay_levels(const char *spec, int64_t *out, int max)
{
    char *copy = rmq_strdup(spec ? spec : ""), *save = NULL;
    int n = 0;
    for (char *tok = strtok_r(copy, " ", &save); tok && n < max; tok = strtok_r(NULL, " ", &save)) {
        size_t len = strlen(tok);
        char unit = tok[len - 1];
        int64_t mult = unit == 's' ? 1000 : unit == 'm' ? 60000 : unit == 'h' ? 3600000
                       : unit == 'd' ? 86400000 : 0;
        tok[len - 1] = '\0';
        int64_t v;
        if (mult == 0 || rmq_parse_i64(tok, &v) != 0 || v < 0) {
            free(copy);
            return -1;
        }
        out[n++] = v * mult;
    }
    free(copy);
    return n;
}

/* The properties without DELAY (the real topic and queue stay, as in Java). */
static size_t strip_delay(const char *props, size_t len, char *out)
{
    size_t o = 0, i = 0;
    while (i < len) {
        const char *seg = props + i;
        const char *end = memchr(seg, RMQ_PROP_SEP, len - i);
        size_t slen = end ? (size_t)(end - seg) : len - i;
        if (!(slen > 6 && memcmp(seg, "DELAY\001", 6) == 0)) {
            if (o)
                out[o++] = RMQ_PROP_SEP;
            memcpy(out + o, seg, slen);
            o += slen;
        }
        i += slen + 1;
    }
    return o;
}

static bool real_target(const rmq_record_t *rec, char *topic, size_t tn, int32_t *qid)
{
    const char *v;
    size_t n;
    if (!rmq_props_find(rec->properties, (size_t)rec->properties_len, "REAL_TOPIC", &v, &n) ||
        n >= tn)
        return false;
    memcpy(topic, v, n);
    topic[n] = '\0';
    char tmp[16];
    int64_t q;
    if (!rmq_props_find(rec->properties, (size_t)rec->properties_len, "REAL_QID", &v, &n) ||
        n >= sizeof(tmp))
        return false;
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    if (rmq_parse_i64(tmp, &q) != 0 || q < 0 || q > INT32_MAX)
        return false;
    *qid = (int32_t)q;
    return true;
}

/* Stores a due message in its real topic; false if the store refused it
 * (the level retries later from the same offset). */
static bool deliver(rmq_schedule_t *sc, const rmq_record_t *rec)
{
    char topic[RMQ_TOPIC_MAX_LEN + 1];
    rmq_msg_in_t m = {0};
    if (!real_target(rec, topic, sizeof(topic), &m.queue_id)) {
        RMQ_LOGW("broker", "delayed message at %lld has no real topic: dropped",
                 (long long)rec->phys_offset);
        return true;
    }
    char *props = rmq_malloc((size_t)rec->properties_len + 1);
    m.topic = topic;
    m.topic_len = strlen(topic);
    m.flag = rec->flag;
    m.body = rec->body;
    m.body_len = (size_t)rec->body_len;
    m.properties = props;
    m.properties_len = strip_delay(rec->properties, (size_t)rec->properties_len, props);
    m.sysflag = rec->sysflag;
    m.born_timestamp = rec->born_timestamp;
    m.born_host = rec->born_host;
    m.store_host = rec->store_host;
    m.reconsume_times = rec->reconsume_times;
    rmq_put_result_t r;
    rmq_put_status_t st = rmq_store_put_sync(sc->b->store, &m, 1, &r);
    free(props);
    if (st != RMQ_PUT_OK && st != RMQ_PUT_FLUSH_DISK_TIMEOUT) {
        RMQ_LOGW("broker", "delivering a delayed message to %s failed: %s", topic,
                 rmq_put_status_name(st));
        return false;
    }
    return true;
}

/* Delivers what is due in one level's queue; returns how many. */
static int run_level(rmq_schedule_t *sc, int level)
{
    int64_t offset = 0;
    rmq_delay_offsets_get(&sc->offsets, level, &offset);
    int64_t now = rmq_now_ms(), start = offset;
    rmq_get_result_t r;
    rmq_store_get_messages(sc->b->store, RMQ_TOPIC_SCHEDULE, level - 1, offset, 32, NULL, NULL,
                           &r);
    if (r.status == RMQ_GET_OFFSET_TOO_SMALL || r.status == RMQ_GET_OFFSET_OVERFLOW_BADLY)
        offset = r.next_begin_offset; /* files expired under us: continue from what exists */
    for (size_t i = 0; i < r.count; i++) {
        rmq_record_t rec;
        if (rmq_record_parse(r.msgs[i].p, r.msgs[i].len, false, &rec) != RMQ_RECORD_OK) {
            offset++;
            continue;
        }
        if (rec.store_timestamp + sc->delay_ms[level - 1] > now || !deliver(sc, &rec))
            break;
        offset = rec.queue_offset + 1;
    }
    rmq_get_result_release(&r);
    if (offset != start) {
        rmq_delay_offsets_put(&sc->offsets, level, offset);
        sc->dirty = true;
    }
    return (int)(offset - start);
}

static void persist(rmq_schedule_t *sc)
{
    if (!sc->dirty)
        return;
    if (rmq_delay_offsets_file_persist(sc->path, &sc->offsets) == 0)
        sc->dirty = false;
    else
        RMQ_LOGE("broker", "cannot write %s", sc->path);
}

static void *schedule_main(void *arg)
{
    rmq_schedule_t *sc = arg;
    int64_t last_persist = rmq_mono_ms();
    pthread_mutex_lock(&sc->lock);
    while (!sc->stop) {
        pthread_mutex_unlock(&sc->lock);
        int moved = 0;
        for (int level = 1; level <= sc->nlevels; level++)
            moved += run_level(sc, level);
        if (rmq_mono_ms() - last_persist >= PERSIST_EVERY_MS) {
            persist(sc);
            last_persist = rmq_mono_ms();
        }
        pthread_mutex_lock(&sc->lock);
        if (!sc->stop && moved == 0) {
            struct timespec ts;
            rmq_timespec_in(&ts, CLOCK_MONOTONIC, TICK_MS);
            pthread_cond_timedwait(&sc->cond, &sc->lock, &ts);
        }
    }
    pthread_mutex_unlock(&sc->lock);
    persist(sc);
    return NULL;
}

rmq_schedule_t *rmq_schedule_start(rmq_broker_t *b, char *err, size_t errlen)
{
    rmq_schedule_t *sc = rmq_calloc(1, sizeof(*sc));
    sc->b = b;
    sc->nlevels = rmq_parse_delay_levels(b->cfg.messageDelayLevel, sc->delay_ms, MAX_LEVELS);
    if (sc->nlevels <= 0) {
        snprintf(err, errlen, "invalid messageDelayLevel '%s'", b->cfg.messageDelayLevel);
        free(sc);
        return NULL;
    }
    size_t n = strlen(b->cfg.store.storePathRootDir) + 32;
    sc->path = rmq_malloc(n);
    snprintf(sc->path, n, "%s/config/delayOffset.json", b->cfg.store.storePathRootDir);
    rmq_config_source_t src;
    if (rmq_delay_offsets_file_load(sc->path, &sc->offsets, &src, err, errlen) != 0) {
        free(sc->path);
        free(sc);
        return NULL;
    }
    rmq_store_set_delay_levels(b->store, sc->delay_ms, sc->nlevels);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&sc->lock, NULL);
    pthread_cond_init(&sc->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&sc->thread, NULL, schedule_main, sc) != 0) {
        snprintf(err, errlen, "cannot start the schedule thread");
        rmq_delay_offsets_free(&sc->offsets);
        free(sc->path);
        free(sc);
        return NULL;
    }
    return sc;
}

int rmq_schedule_max_level(const rmq_schedule_t *sc)
{
    return sc ? sc->nlevels : 0;
}

void rmq_schedule_stop(rmq_schedule_t *sc)
{
    if (!sc)
        return;
    pthread_mutex_lock(&sc->lock);
    sc->stop = true;
    pthread_cond_signal(&sc->cond);
    pthread_mutex_unlock(&sc->lock);
    pthread_join(sc->thread, NULL);
    pthread_mutex_destroy(&sc->lock);
    pthread_cond_destroy(&sc->cond);
    rmq_delay_offsets_free(&sc->offsets);
    free(sc->path);
    free(sc);
}
