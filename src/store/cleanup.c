/* Retention (Apache RocketMQ CleanCommitLogService / CleanConsumeQueueService;
 * reference broker.md 7): commit log files older than fileReservedTime hours
 * go at the hours listed in deleteWhen, or at once when the disk is fuller
 * than diskMaxUsedSpaceRatio; consume-queue and index files that only point
 * below the commit log's new minimum go with them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "base/log.h"
#include "base/num.h"
#include "base/time.h"
#include "store/store_int.h"

#define DELETE_FILES_BATCH_MAX 10
#define DISK_WARNING_RATIO 0.90
#define DISK_CLEAN_FORCIBLY_RATIO 0.85

/* isItTimeToDo: the local hour is one of the ';'-separated hours. */
static bool time_to_delete(const char *when)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char *copy = strdup(when ? when : ""), *save = NULL;
    bool hit = false;
    for (char *tok = strtok_r(copy, ";", &save); tok && !hit; tok = strtok_r(NULL, ";", &save)) {
        int64_t h;
        hit = rmq_parse_i64(tok, &h) == 0 && h == tm.tm_hour;
    }
    free(copy);
    return hit;
}

/* Fraction of the file system in use (used / (used + available)), -1 on error. */
static double disk_usage(const char *path)
{
    struct statvfs v;
    if (statvfs(path, &v) != 0 || v.f_blocks == 0)
        return -1;
    double used = (double)(v.f_blocks - v.f_bfree), avail = (double)v.f_bavail;
    return used + avail > 0 ? used / (used + avail) : -1;
}

/* isSpaceToDelete, with the DISK_FULL flag kept up to date. */
static bool space_to_delete(rmq_store_t *s, bool *at_once)
{
    double u = disk_usage(s->cl->dir);
    double ratio = s->cfg.diskMaxUsedSpaceRatio / 100.0;
    if (u > DISK_WARNING_RATIO) {
        if (!(atomic_fetch_or(&s->running_flags, RMQ_RUN_DISK_FULL) & RMQ_RUN_DISK_FULL))
            RMQ_LOGE("store", "disk %.0f%% full: refusing writes until files are deleted", u * 100);
        *at_once = true;
    } else {
        if (u > DISK_CLEAN_FORCIBLY_RATIO)
            *at_once = true;
        if (atomic_fetch_and(&s->running_flags, ~RMQ_RUN_DISK_FULL) & RMQ_RUN_DISK_FULL)
            RMQ_LOGI("store", "disk usage back to %.0f%%: writes accepted again", u * 100);
    }
    return u < 0 || u > ratio;
}

static int64_t mtime_ms(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

/* Deletes expired commit log files, oldest first, never the last one and
 * never out of order. */
static int delete_commitlog(rmq_store_t *s, bool at_once)
{
    int64_t expire = (int64_t)s->cfg.fileReservedTime * 3600 * 1000;
    int deleted = 0;
    while (deleted < DELETE_FILES_BATCH_MAX && rmq_mq_count(s->cl) > 1) {
        rmq_mapped_file_t *first = rmq_mq_get(s->cl, 0);
        if (!first)
            break;
        int64_t mt = mtime_ms(first->path);
        rmq_mapped_file_release(first);
        if (!at_once && (mt < 0 || rmq_now_ms() < mt + expire))
            break;
        if (!rmq_mq_delete_first(s->cl))
            break;
        deleted++;
    }
    return deleted;
}

static void delete_cq_files(rmq_consume_queue_t *cq, void *arg)
{
    int64_t min = *(int64_t *)arg;
    rmq_cq_delete_expired(cq, min);
    rmq_cq_correct_min_offset(cq, min);
}

int rmq_clean_run(rmq_store_t *s, bool force)
{
    bool at_once = false;
    bool space = space_to_delete(s, &at_once);
    int deleted = 0;
    if (force || space || time_to_delete(s->cfg.deleteWhen))
        deleted = delete_commitlog(s, at_once && s->cfg.cleanFileForciblyEnable);
    int64_t min = rmq_mq_min_offset(s->cl);
    if (min > s->last_clean_min_offset) {
        s->last_clean_min_offset = min;
        rmq_store_foreach_cq(s, delete_cq_files, &min);
        if (s->index)
            rmq_index_delete_expired(s->index, min);
    }
    return deleted;
}

void *rmq_clean_main(void *arg)
{
    rmq_store_t *s = arg;
    while (rmq_store_sleep(s, &s->stop_lock, &s->stop_cond, s->cfg.cleanResourceInterval))
        rmq_clean_run(s, false);
    return NULL;
}
