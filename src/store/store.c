/* The store facade: open (lock, load, recover, replay), close, puts and reads. */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/time.h"
#include "store/store_int.h"

#define CONF(field, type, def, min, max, doc)                                                      \
    {#field, type, offsetof(rmq_store_config_t, field), def, min, max, doc}

const rmq_conf_def_t rmq_store_conf_defs[] = {
    CONF(storePathRootDir, RMQ_CONF_STRING, "~/store", 0, 0, "root directory of the store"),
    CONF(storePathCommitLog, RMQ_CONF_STRING, "", 0, 0,
         "commit log directory (empty: <storePathRootDir>/commitlog)"),
    CONF(mappedFileSizeCommitLog, RMQ_CONF_INT, "1073741824", 4096, 2147483647,
         "bytes per commit log segment, allocated in full when created"),
    CONF(mappedFileSizeConsumeQueue, RMQ_CONF_INT, "6000000", 20, 2147483647,
         "bytes per consume queue file (rounded up to 20-byte entries)"),
    CONF(flushDiskType, RMQ_CONF_STRING, "ASYNC_FLUSH", 0, 0,
         "ASYNC_FLUSH or SYNC_FLUSH (which also keeps the 8 MiB ahead of the log "
         "written with zeros: docs/storage.md)"),
    CONF(flushIntervalCommitLog, RMQ_CONF_INT, "500", 1, 60000,
         "ms between commit log flushes (ASYNC_FLUSH)"),
    CONF(flushCommitLogLeastPages, RMQ_CONF_INT, "4", 0, 1048576,
         "dirty 4 KiB pages needed before a commit log flush"),
    CONF(flushCommitLogThoroughInterval, RMQ_CONF_INT, "10000", 0, 3600000,
         "ms after which a flush ignores flushCommitLogLeastPages"),
    CONF(transientStorePoolEnable, RMQ_CONF_BOOL, "false", 0, 0,
         "ASYNC_FLUSH: stage appends in memory, written to the commit log by a commit thread"),
    CONF(commitIntervalCommitLog, RMQ_CONF_INT, "200", 1, 60000,
         "ms the commit thread sleeps at most when not woken (transientStorePoolEnable)"),
    CONF(transientStoreRingSize, RMQ_CONF_INT, "33554432", 65536, 1073741824,
         "bytes of the staging ring (transientStorePoolEnable; rmq-c only)"),
    CONF(flushIntervalConsumeQueue, RMQ_CONF_INT, "1000", 1, 60000,
         "ms between consume queue flushes"),
    CONF(flushConsumeQueueLeastPages, RMQ_CONF_INT, "2", 0, 1048576,
         "dirty pages needed before a consume queue flush"),
    CONF(flushConsumeQueueThoroughInterval, RMQ_CONF_INT, "60000", 0, 3600000,
         "ms between thorough consume queue flushes (and checkpoint writes)"),
    CONF(syncFlushTimeout, RMQ_CONF_INT, "5000", 1, 600000,
         "ms a SYNC_FLUSH put waits before FLUSH_DISK_TIMEOUT"),
    CONF(maxMessageSize, RMQ_CONF_INT, "4194304", 1, 1073741824, "largest message body, bytes"),
    CONF(checkCRCOnRecover, RMQ_CONF_BOOL, "true", 0, 0, "check body CRCs when recovering"),
    CONF(messageIndexEnable, RMQ_CONF_BOOL, "true", 0, 0, "build index files (keys, unique keys)"),
    CONF(maxHashSlotNum, RMQ_CONF_INT, "5000000", 1, 100000000, "hash slots per index file"),
    CONF(maxIndexNum, RMQ_CONF_INT, "20000000", 1, 400000000, "items per index file"),
    CONF(fileReservedTime, RMQ_CONF_INT, "72", 0, 100000, "hours commit log files are kept"),
    CONF(deleteWhen, RMQ_CONF_STRING, "04", 0, 0, "hours (local, ';'-separated) expired files are deleted"),
    CONF(diskMaxUsedSpaceRatio, RMQ_CONF_INT, "75", 10, 95,
         "disk usage % above which expired files are deleted at once"),
    CONF(cleanResourceInterval, RMQ_CONF_INT, "10000", 10, 3600000, "ms between retention runs"),
    CONF(cleanFileForciblyEnable, RMQ_CONF_BOOL, "true", 0, 0,
         "on a nearly full disk, delete the oldest files even if not expired"),
    CONF(maxTransferBytesOnMessageInMemory, RMQ_CONF_INT, "262144", 1, 1073741824,
         "bytes per pull when the data is in page cache"),
    CONF(maxTransferCountOnMessageInMemory, RMQ_CONF_INT, "32", 1, 65536,
         "messages per pull when the data is in page cache"),
    CONF(maxTransferBytesOnMessageInDisk, RMQ_CONF_INT, "65536", 1, 1073741824,
         "bytes per pull when the data is cold"),
    CONF(maxTransferCountOnMessageInDisk, RMQ_CONF_INT, "8", 1, 65536,
         "messages per pull when the data is cold"),
    CONF(accessMessageInMemoryMaxRatio, RMQ_CONF_INT, "40", 0, 100,
         "% of RAM behind the commit log end still counted as in memory"),
    {NULL, RMQ_CONF_INT, 0, NULL, 0, 0, NULL},
};

const char *rmq_put_status_name(rmq_put_status_t st)
{
    static const char *const names[] = {
        "PUT_OK", "FLUSH_DISK_TIMEOUT", "FLUSH_SLAVE_TIMEOUT", "SLAVE_NOT_AVAILABLE",
        "SERVICE_NOT_AVAILABLE", "CREATE_MAPEDFILE_FAILED", "MESSAGE_ILLEGAL",
        "PROPERTIES_SIZE_EXCEEDED", "OS_PAGECACHE_BUSY", "UNKNOWN_ERROR",
    };
    return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "UNKNOWN_ERROR";
}

const char *rmq_get_status_name(rmq_get_status_t st)
{
    static const char *const names[] = {
        "FOUND", "NO_MATCHED_MESSAGE", "MESSAGE_WAS_REMOVING", "OFFSET_FOUND_NULL",
        "OFFSET_OVERFLOW_BADLY", "OFFSET_OVERFLOW_ONE", "OFFSET_TOO_SMALL",
        "NO_MATCHED_LOGIC_QUEUE", "NO_MESSAGE_IN_QUEUE",
    };
    return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

static char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = rmq_malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* ---- consume queue table ---- */

static size_t cq_key(char *key, const char *topic, int32_t qid)
{
    size_t n = strlen(topic);
    memcpy(key, topic, n + 1);
    memcpy(key + n + 1, &qid, sizeof(qid));
    return n + 1 + sizeof(qid);
}

rmq_consume_queue_t *rmq_store_find_cq(rmq_store_t *s, const char *topic, int32_t queue_id,
                                       bool create)
{
    char key[RMQ_TOPIC_MAX_LEN + 8];
    if (strlen(topic) > RMQ_TOPIC_MAX_LEN)
        return NULL;
    size_t klen = cq_key(key, topic, queue_id);
    pthread_mutex_lock(&s->cq_lock);
    rmq_consume_queue_t *cq = rmq_map_get(s->cqs, key, klen);
    if (!cq && create) {
        cq = rmq_cq_new(s->cq_root, topic, queue_id, (size_t)s->cfg.mappedFileSizeConsumeQueue);
        rmq_map_put(s->cqs, key, klen, cq);
    }
    pthread_mutex_unlock(&s->cq_lock);
    return cq;
}

void rmq_store_foreach_cq(rmq_store_t *s, void (*fn)(rmq_consume_queue_t *cq, void *arg),
                          void *arg)
{
    pthread_mutex_lock(&s->cq_lock);
    rmq_map_iter_t it;
    void *v;
    rmq_map_iter_init(&it, s->cqs);
    while (rmq_map_iter_next(&it, NULL, NULL, &v))
        fn(v, arg);
    pthread_mutex_unlock(&s->cq_lock);
}

/* consumequeue/<topic>/<queueId>/: one consume queue per numeric directory. */
static int load_cqs(rmq_store_t *s, char *err, size_t errlen)
{
    DIR *d = opendir(s->cq_root);
    if (!d)
        return 0;
    struct dirent *t;
    int rc = 0;
    while (rc == 0 && (t = readdir(d)) != NULL) {
        if (t->d_name[0] == '.' || strlen(t->d_name) > RMQ_TOPIC_MAX_LEN)
            continue;
        char *tdir = path_join(s->cq_root, t->d_name);
        DIR *qd = opendir(tdir);
        struct dirent *q;
        while (qd && rc == 0 && (q = readdir(qd)) != NULL) {
            int64_t qid;
            if (rmq_parse_i64(q->d_name, &qid) != 0 || qid < 0 || qid > INT32_MAX)
                continue;
            rmq_consume_queue_t *cq = rmq_store_find_cq(s, t->d_name, (int32_t)qid, true);
            rc = rmq_cq_load(cq, err, errlen);
            if (rc == 0)
                rmq_cq_recover(cq);
        }
        if (qd)
            closedir(qd);
        free(tdir);
    }
    closedir(d);
    return rc;
}

static void free_cq(void *p)
{
    rmq_cq_free(p);
}

/* ---- open / close ---- */

static int take_lock(rmq_store_t *s, const char *root, char *err, size_t errlen)
{
    char *path = path_join(root, "lock");
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    int rc = 0;
    if (s->lock_fd < 0 || fcntl(s->lock_fd, F_SETLK, &fl) != 0) {
        rmq_set_err(err, errlen, "Lock failed, MQ already started (%s: %s)", path,
                    strerror(errno));
        rc = -1;
    } else if (pwrite(s->lock_fd, "lock", 4, 0) != 4 || fdatasync(s->lock_fd) != 0) {
        rmq_set_err(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(path);
    return rc;
}

static void init_sync(rmq_store_t *s)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->put_lock, NULL);
    pthread_mutex_init(&s->cq_lock, NULL);
    pthread_mutex_init(&s->flush_lock, NULL);
    pthread_mutex_init(&s->dispatch_lock, NULL);
    pthread_mutex_init(&s->stop_lock, NULL);
    pthread_cond_init(&s->flush_cond, &ca);
    pthread_cond_init(&s->dispatch_cond, &ca);
    pthread_cond_init(&s->stop_cond, &ca);
    pthread_condattr_destroy(&ca);
    s->flush_tail = &s->flush_reqs;
}

static void copy_config(rmq_store_config_t *dst, const rmq_store_config_t *src)
{
    *dst = *src;
    rmq_conf_dup_strings(rmq_store_conf_defs, dst);
}

static int open_parts(rmq_store_t *s, char *err, size_t errlen)
{
    const char *root = s->cfg.storePathRootDir;
    if (rmq_mkdir_p(root) != 0) {
        rmq_set_err(err, errlen, "cannot create %s: %s", root, strerror(errno));
        return -1;
    }
    if (take_lock(s, root, err, errlen) != 0)
        return -1;
    s->abort_path = path_join(root, "abort");
    s->last_exit_ok = access(s->abort_path, F_OK) != 0;
    char *cl_dir = *s->cfg.storePathCommitLog ? rmq_strdup(s->cfg.storePathCommitLog)
                                              : path_join(root, "commitlog");
    s->cl = rmq_mq_new(cl_dir, (size_t)s->cfg.mappedFileSizeCommitLog, true);
    free(cl_dir);
    s->cq_root = path_join(root, "consumequeue");
    if (rmq_mq_load(s->cl, err, errlen) != 0 || load_cqs(s, err, errlen) != 0)
        return -1;
    char *cp_path = path_join(root, "checkpoint");
    s->cp = rmq_checkpoint_open(cp_path, err, errlen);
    free(cp_path);
    if (!s->cp)
        return -1;
    if (s->cfg.messageIndexEnable) {
        char *idx = path_join(root, "index");
        rmq_index_opts_t io = {idx, s->cfg.maxHashSlotNum, s->cfg.maxIndexNum, s->last_exit_ok,
                               atomic_load(&s->cp->index_ts)};
        s->index = rmq_index_open(&io, err, errlen);
        free(idx);
        if (!s->index)
            return -1;
    }
    return 0;
}

static int64_t cq_max_phys(rmq_store_t *s)
{
    int64_t m = 0;
    pthread_mutex_lock(&s->cq_lock);
    rmq_map_iter_t it;
    void *v;
    rmq_map_iter_init(&it, s->cqs);
    while (rmq_map_iter_next(&it, NULL, NULL, &v)) {
        int64_t x = rmq_cq_max_phys_offset(v);
        if (x > m)
            m = x;
    }
    pthread_mutex_unlock(&s->cq_lock);
    return m;
}

static void stage_committed(void *arg)
{
    rmq_dispatch_wake(arg);
}

static void stage_kick(void *arg)
{
    rmq_flush_wake(arg);
}

static void stage_failed(void *arg)
{
    rmq_store_t *s = arg;
    atomic_fetch_or(&s->running_flags, RMQ_RUN_NOT_WRITEABLE);
}

static int start_threads(rmq_store_t *s, char *err, size_t errlen)
{
    int64_t from = cq_max_phys(s), min = rmq_mq_min_offset(s->cl);
    if (s->redispatch_from >= 0 && s->redispatch_from < from)
        from = s->redispatch_from;
    atomic_store(&s->reput_from, from < min ? min : from);
    /* SYNC_FLUSH always stages (drained by the group-commit thread), as
     * ASYNC_FLUSH does with transientStorePoolEnable (its own commit thread). */
    if (s->sync_flush || s->cfg.transientStorePoolEnable) {
        rmq_stage_opts_t o = {.ring_bytes = (size_t)s->cfg.transientStoreRingSize,
                              .threaded = !s->sync_flush,
                              .interval_ms = s->cfg.commitIntervalCommitLog,
                              .on_commit = stage_committed,
                              .on_error = stage_failed,
                              .kick = stage_kick,
                              .zero_ahead = s->sync_flush,
                              .arg = s};
        s->stage = rmq_stage_start(s->cl, rmq_mq_max_offset(s->cl), &o, err, errlen);
        if (!s->stage)
            return -1;
        if (!s->sync_flush)
            RMQ_LOGI("store", "appends staged in a %d-byte ring, written by a commit thread "
                     "(transientStorePoolEnable)", s->cfg.transientStoreRingSize);
    } else {
        /* Appends copy into the mapping: warm the pages in front of the
         * writer (its flushes then write back only what was written), and
         * unmap what a flush writes back (mapped_queue.h). */
        rmq_mq_warm_window(s->cl, RMQ_WARM_WINDOW);
        s->cl->flush_how |= RMQ_FLUSH_UNMAP;
    }
    if (rmq_mq_start_ahead(s->cl) != 0 ||
        pthread_create(&s->dispatch_thread, NULL, rmq_dispatch_main, s) != 0 ||
        pthread_create(&s->flush_thread, NULL, rmq_flush_main, s) != 0 ||
        pthread_create(&s->cq_flush_thread, NULL, rmq_cq_flush_main, s) != 0 ||
        pthread_create(&s->clean_thread, NULL, rmq_clean_main, s) != 0) {
        rmq_set_err(err, errlen, "cannot start store threads");
        return -1;
    }
    s->threads_started = true;
    return 0;
}

rmq_store_t *rmq_store_open(const rmq_store_config_t *cfg, char *err, size_t errlen)
{
    rmq_store_t *s = rmq_calloc(1, sizeof(*s));
    copy_config(&s->cfg, cfg);
    s->lock_fd = -1;
    s->redispatch_from = -1;
    s->sync_flush = strcmp(s->cfg.flushDiskType, "SYNC_FLUSH") == 0;
    s->queue_table = rmq_map_new();
    s->cqs = rmq_map_new();
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    s->mem_total = pages > 0 && psize > 0 ? (int64_t)pages * psize : 24LL << 30;
    init_sync(s);
    if (open_parts(s, err, errlen) != 0) {
        rmq_store_close(s);
        return NULL;
    }
    rmq_commitlog_recover(s);
    rmq_store_rebuild_queue_table(s);
    if (start_threads(s, err, errlen) != 0) {
        rmq_store_close(s);
        return NULL;
    }
    /* Replay what the consume queues lack before serving, then rebuild the
     * queue table from them (DefaultMessageStore.start).  A consume queue
     * without disk space stops the replay: the store then opens refusing
     * writes, and the dispatcher keeps retrying. */
    if (!rmq_store_wait_dispatched(s, 600000))
        RMQ_LOGE("store", "the commit log could not be dispatched up to its end (%lld of %lld)",
                 (long long)atomic_load(&s->reput_from), (long long)rmq_mq_max_offset(s->cl));
    rmq_store_rebuild_queue_table(s);
    int fd = open(s->abort_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
    RMQ_LOGI("store", "store open at %s: commit log [%lld, %lld), %zu consume queues",
             s->cfg.storePathRootDir, (long long)rmq_store_commitlog_min_offset(s),
             (long long)rmq_mq_max_offset(s->cl), rmq_map_size(s->cqs));
    return s;
}

static void stop_threads(rmq_store_t *s)
{
    /* Puts are refused, the one holding the append lock (if any) finishes,
     * and the staging ring is written out before the dispatcher's last pass. */
    atomic_store(&s->closing, true);
    pthread_mutex_lock(&s->put_lock);
    pthread_mutex_unlock(&s->put_lock);
    rmq_stage_stop(s->stage);
    atomic_store(&s->stopping, true);
    rmq_dispatch_wake(s);
    rmq_flush_wake(s);
    pthread_mutex_lock(&s->stop_lock);
    pthread_cond_broadcast(&s->stop_cond);
    pthread_mutex_unlock(&s->stop_lock);
    pthread_mutex_lock(&s->flush_lock);
    pthread_cond_broadcast(&s->flush_cond);
    pthread_mutex_unlock(&s->flush_lock);
    pthread_join(s->dispatch_thread, NULL);
    pthread_join(s->flush_thread, NULL);
    pthread_join(s->cq_flush_thread, NULL);
    pthread_join(s->clean_thread, NULL);
}

void rmq_store_close(rmq_store_t *s)
{
    if (!s)
        return;
    bool clean = false;
    if (s->threads_started) {
        stop_threads(s);
        bool flushed = rmq_mq_flush_all(s->cl) == 0;
        rmq_store_flush_cqs(s, true);
        if (s->index)
            rmq_index_flush(s->index);
        /* The abort file goes only if everything was written and dispatched. */
        clean = flushed && atomic_load(&s->running_flags) == 0 &&
                atomic_load(&s->reput_from) >= rmq_mq_max_offset(s->cl);
    }
    rmq_stage_free(s->stage); /* every thread that could call in has ended */
    if (clean && unlink(s->abort_path) != 0 && errno != ENOENT)
        RMQ_LOGW("store", "cannot remove %s: %s", s->abort_path, strerror(errno));
    if (s->cl)
        rmq_mq_stop_ahead(s->cl);
    rmq_index_close(s->index);
    rmq_checkpoint_close(s->cp);
    rmq_map_free(s->cqs, free_cq);
    rmq_mq_free(s->cl);
    rmq_map_free(s->queue_table, free);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    for (size_t i = 0; i < s->ntopic_deletes; i++)
        free(s->topic_deletes[i]);
    free(s->topic_deletes);
    free(s->abort_path);
    free(s->cq_root);
    free(s->delay_ms);
    rmq_conf_free(rmq_store_conf_defs, &s->cfg);
    free(s);
}

void rmq_store_set_delay_levels(rmq_store_t *s, const int64_t *delay_ms, int n)
{
    free(s->delay_ms);
    s->delay_ms = rmq_malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    memcpy(s->delay_ms, delay_ms, sizeof(int64_t) * (size_t)(n > 0 ? n : 0));
    s->ndelay = n;
}

void rmq_store_set_arrival_cb(rmq_store_t *s, rmq_arrival_cb cb, void *arg)
{
    s->arrival_arg = arg;
    s->arrival = cb;
}

/* ---- puts ---- */

bool rmq_store_os_pagecache_busy(rmq_store_t *s)
{
    int64_t begin = atomic_load(&s->begin_time_in_lock);
    if (begin == 0) /* the lock is free: no clock read on the common path */
        return false;
    int64_t diff = rmq_now_ms() - begin;
    return diff < 10000000 && diff > RMQ_PAGECACHE_BUSY_MS;
}

static bool wants_wait(const rmq_msg_in_t *m)
{
    const char *v;
    size_t n;
    return !(rmq_props_find(m->properties, m->properties_len, "WAIT", &v, &n) && n == 5 &&
             memcmp(v, "false", 5) == 0);
}

/* Appends, then answers through cb at once or queues a flush request;
 * returns the flush that will answer it, 0 if cb was called already. */
static uint64_t put(rmq_store_t *s, const rmq_msg_in_t *msgs, size_t n, rmq_put_cb cb, void *arg,
                    bool shared_wake)
{
    int64_t waited_since = 0;
    rmq_put_result_t res = {.status = RMQ_PUT_OK};
    if (n == 0 || atomic_load(&s->closing) || atomic_load(&s->running_flags) != 0)
        res.status = n == 0 ? RMQ_PUT_MESSAGE_ILLEGAL : RMQ_PUT_SERVICE_NOT_AVAILABLE;
    else if (rmq_store_os_pagecache_busy(s))
        res.status = RMQ_PUT_OS_PAGECACHE_BUSY;
    else
        rmq_store_append(s, msgs, n, &res, &waited_since);
    /* A put begins when it waits for the append lock, or at its store
     * timestamp when the lock was free (encoding takes microseconds). */
    int64_t begin_ms = waited_since ? waited_since : res.store_timestamp;
    if (res.status != RMQ_PUT_OK || !s->sync_flush || !wants_wait(&msgs[0])) {
        if (res.status == RMQ_PUT_OK && s->sync_flush)
            rmq_flush_wake(s);
        if (res.status == RMQ_PUT_OK)
            rmq_store_note_put_latency(s, res.store_timestamp - begin_ms); /* ends when stored */
        cb(&res, arg);
        return 0;
    }
    flush_req_t *req = rmq_calloc(1, sizeof(*req));
    req->next_offset = res.wrote_offset + res.wrote_bytes;
    req->deadline = rmq_mono_ms() + s->cfg.syncFlushTimeout;
    req->begin_ms = begin_ms;
    req->res = res;
    req->cb = cb;
    req->arg = arg;
    req->shared_wake = shared_wake;
    return rmq_flush_submit(s, req);
}

void rmq_store_put(rmq_store_t *s, const rmq_msg_in_t *msgs, size_t n, rmq_put_cb cb, void *arg)
{
    put(s, msgs, n, cb, arg, false);
}

/* A blocked writer sleeps on the word of the flush that covers it, and that
 * flush's completion wakes all its writers with one system call: waking
 * each on a word of its own took a system call per writer, the answering
 * thread's whole time with 64 writers on 2 CPUs. */
typedef struct sync_put {
    atomic_bool done;
    rmq_put_result_t res;
} sync_put_t;

/* Called by the answering thread, or by the writer itself (refused, or the
 * flush thread gone): the wake follows in the first case, is not needed in
 * the second. */
static void on_sync_put(const rmq_put_result_t *res, void *arg)
{
    sync_put_t *sp = arg;
    sp->res = *res;
    atomic_store_explicit(&sp->done, true, memory_order_release);
}

rmq_put_status_t rmq_store_put_sync(rmq_store_t *s, const rmq_msg_in_t *msgs, size_t n,
                                    rmq_put_result_t *res)
{
    sync_put_t sp = {.done = false};
    uint64_t batch = put(s, msgs, n, on_sync_put, &sp, true);
    _Atomic uint32_t *word = &s->sync_words[batch % RMQ_SYNC_WORDS].word;
    /* the flush thread answers every request by its deadline; the word is
     * read before done, so an answer in between changes it and the wait
     * returns at once */
    for (;;) {
        uint32_t seen = atomic_load(word);
        if (atomic_load_explicit(&sp.done, memory_order_acquire))
            break;
        syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
    }
    if (res)
        *res = sp.res;
    return sp.res.status;
}

bool rmq_store_wait_dispatched(rmq_store_t *s, int timeout_ms)
{
    int64_t deadline = rmq_mono_ms() + timeout_ms;
    /* what was appended, even if still staged: the commit thread follows */
    while (atomic_load(&s->reput_from) < rmq_mq_append_end(s->cl)) {
        if (rmq_mono_ms() >= deadline || atomic_load(&s->stopping) ||
            atomic_load(&s->dispatch_failing))
            return false;
        rmq_dispatch_wake(s);
        rmq_store_sleep(s, &s->dispatch_lock, &s->dispatch_cond, 5);
    }
    return true;
}

int64_t rmq_store_dispatch_behind(rmq_store_t *s)
{
    int64_t d = rmq_mq_max_offset(s->cl) - atomic_load(&s->reput_from);
    return d < 0 ? 0 : d;
}

int64_t rmq_store_commitlog_min_offset(rmq_store_t *s)
{
    int64_t v = rmq_mq_min_offset(s->cl);
    return v < 0 ? 0 : v;
}

int64_t rmq_store_commitlog_max_offset(rmq_store_t *s)
{
    return rmq_mq_max_offset(s->cl);
}

void rmq_store_delete_topic(rmq_store_t *s, const char *topic)
{
    pthread_mutex_lock(&s->dispatch_lock);
    s->topic_deletes =
        rmq_realloc(s->topic_deletes, (s->ntopic_deletes + 1) * sizeof(*s->topic_deletes));
    s->topic_deletes[s->ntopic_deletes++] = rmq_strdup(topic);
    pthread_cond_broadcast(&s->dispatch_cond);
    pthread_mutex_unlock(&s->dispatch_lock);
}

typedef struct topic_match {
    const char *topic;
} topic_match_t;

static void destroy_if_topic(rmq_consume_queue_t *cq, void *arg)
{
    topic_match_t *m = arg;
    if (strcmp(rmq_cq_topic(cq), m->topic) == 0)
        rmq_cq_destroy(cq);
}

/* The queue offsets of "topic-N" go with the topic. */
static void forget_queue_offsets(rmq_store_t *s, const char *topic)
{
    size_t tlen = strlen(topic);
    pthread_mutex_lock(&s->put_lock);
    rmq_map_iter_t it;
    const char *key;
    size_t klen;
    void *v;
    rmq_map_iter_init(&it, s->queue_table);
    while (rmq_map_iter_next(&it, &key, &klen, &v)) {
        if (klen > tlen + 1 && memcmp(key, topic, tlen) == 0 && key[tlen] == '-' &&
            strspn(key + tlen + 1, "0123456789") == klen - tlen - 2) {
            rmq_map_del(s->queue_table, key, klen);
            free(v);
        }
    }
    pthread_mutex_unlock(&s->put_lock);
}

void rmq_store_run_topic_deletes(rmq_store_t *s)
{
    pthread_mutex_lock(&s->dispatch_lock);
    char **topics = s->topic_deletes;
    size_t n = s->ntopic_deletes;
    s->topic_deletes = NULL;
    s->ntopic_deletes = 0;
    pthread_mutex_unlock(&s->dispatch_lock);
    for (size_t i = 0; i < n; i++) {
        topic_match_t m = {topics[i]};
        rmq_store_foreach_cq(s, destroy_if_topic, &m);
        forget_queue_offsets(s, topics[i]);
        RMQ_LOGI("store", "topic %s: consume queues removed", topics[i]);
        free(topics[i]);
    }
    free(topics);
}

int rmq_store_clean_now(rmq_store_t *s)
{
    return rmq_clean_run(s, true);
}
