/* Helpers shared by the store tests (header-only: each test is one file). */
#ifndef RMQ_STORE_TEST_UTIL_H
#define RMQ_STORE_TEST_UTIL_H

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/config.h"
#include "store/store.h"

static inline char *st_tmpdir(void)
{
    char *d = strdup("/tmp/rmq-store-XXXXXX");
    if (!mkdtemp(d)) {
        free(d);
        return NULL;
    }
    return d;
}

/* 1 if [from, to) of the file holds an unwritten (preallocated, never
 * written) extent, 0 if not, -1 when FIEMAP cannot tell (tmpfs).  With
 * sync, the file's dirty pages are written back first; without, it tells
 * what is on the disk now. */
static inline int st_unwritten(const char *path, int64_t from, int64_t to, int sync)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    enum { N = 64 };
    struct fiemap *fm = calloc(1, sizeof(*fm) + N * sizeof(struct fiemap_extent));
    fm->fm_start = (uint64_t)from;
    fm->fm_length = (uint64_t)(to - from);
    fm->fm_flags = sync ? FIEMAP_FLAG_SYNC : 0;
    fm->fm_extent_count = N;
    int r = ioctl(fd, FS_IOC_FIEMAP, fm) == 0 ? 0 : -1;
    for (unsigned i = 0; r == 0 && i < fm->fm_mapped_extents; i++)
        if (fm->fm_extents[i].fe_flags & FIEMAP_EXTENT_UNWRITTEN)
            r = 1;
    free(fm);
    close(fd);
    return r;
}

static inline int st_has_unwritten(const char *path, int64_t from, int64_t to)
{
    return st_unwritten(path, from, to, 1);
}

/* Whether the page holding off of the file mapped at map is in the page
 * cache.  A failing mincore aborts the test: it answers neither way. */
static inline bool st_cached(const uint8_t *map, int64_t off)
{
    unsigned char v = 0;
    if (mincore((void *)(map + off / 4096 * 4096), 4096, &v) != 0) {
        perror("mincore");
        abort();
    }
    return v & 1;
}

static inline void st_rmdir(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", d);
}

/* Defaults with small files: 4 KiB segments, 10-entry consume-queue files,
 * small index files. */
static inline void st_config(rmq_store_config_t *cfg, const char *root)
{
    rmq_conf_defaults(rmq_store_conf_defs, cfg);
    rmq_conf_set(rmq_store_conf_defs, cfg, "storePathRootDir", root, NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, cfg, "mappedFileSizeCommitLog", "4096", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, cfg, "mappedFileSizeConsumeQueue", "200", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, cfg, "maxHashSlotNum", "64", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, cfg, "maxIndexNum", "256", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, cfg, "maxMessageSize", "2048", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, cfg, "flushIntervalCommitLog", "20", NULL, 0);
    /* CTest runs the store tests a second time with appends staged in the
     * smallest ring (transientStorePoolEnable): the same results expected. */
    if (getenv("RMQ_TEST_STORE_STAGE")) {
        rmq_conf_set(rmq_store_conf_defs, cfg, "transientStorePoolEnable", "true", NULL, 0);
        rmq_conf_set(rmq_store_conf_defs, cfg, "transientStoreRingSize", "65536", NULL, 0);
    }
}

/* A message of topic/queue with body text and optional tags and keys. */
typedef struct st_msg {
    rmq_msg_in_t in;
    char props[256];
} st_msg_t;

static inline void st_msg(st_msg_t *m, const char *topic, int32_t qid, const char *body,
                          const char *tags, const char *keys)
{
    memset(m, 0, sizeof(*m));
    size_t n = 0;
    if (tags)
        n += (size_t)snprintf(m->props + n, sizeof(m->props) - n, "TAGS\001%s", tags);
    if (keys)
        n += (size_t)snprintf(m->props + n, sizeof(m->props) - n, "%sKEYS\001%s", n ? "\002" : "",
                              keys);
    m->in.topic = topic;
    m->in.topic_len = strlen(topic);
    m->in.queue_id = qid;
    m->in.body = (const uint8_t *)body;
    m->in.body_len = strlen(body);
    m->in.properties = n ? m->props : NULL;
    m->in.properties_len = n;
    m->in.born_timestamp = 1700000000000;
    rmq_host_parse("127.0.0.1:50000", &m->in.born_host);
    rmq_host_parse("127.0.0.1:10911", &m->in.store_host);
}

#endif
