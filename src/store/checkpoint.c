#include "store/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/errmsg.h"
#include "base/mem.h"
#include "rocketmq/error.h"

rmq_checkpoint_t *rmq_checkpoint_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        rmq_set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    /* Blocks reserved (and the file sized) before the mapping is used: a
     * store into a hole on a full disk raises SIGBUS, so a full disk has to
     * fail the open here instead.  Cheap when the file is allocated already. */
    int rc = posix_fallocate(fd, 0, RMQ_CHECKPOINT_SIZE);
    if (rc != 0) {
        rmq_set_err(err, errlen, "cannot allocate %s (%d bytes): %s", path, RMQ_CHECKPOINT_SIZE,
                    strerror(rc));
        close(fd);
        return NULL;
    }
    void *p = mmap(NULL, RMQ_CHECKPOINT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        rmq_set_err(err, errlen, "cannot map %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    rmq_checkpoint_t *cp = rmq_calloc(1, sizeof(*cp));
    cp->path = rmq_strdup(path);
    cp->fd = fd;
    cp->base = p;
    atomic_init(&cp->physic_ts, (int64_t)rmq_be64(cp->base));
    atomic_init(&cp->logics_ts, (int64_t)rmq_be64(cp->base + 8));
    atomic_init(&cp->index_ts, (int64_t)rmq_be64(cp->base + 16));
    return cp;
}

void rmq_checkpoint_close(rmq_checkpoint_t *cp)
{
    if (!cp)
        return;
    rmq_checkpoint_flush(cp);
    munmap(cp->base, RMQ_CHECKPOINT_SIZE);
    close(cp->fd);
    free(cp->path);
    free(cp);
}

static void put_be64(uint8_t *p, int64_t v)
{
    rmq_put_be32(p, (uint32_t)((uint64_t)v >> 32));
    rmq_put_be32(p + 4, (uint32_t)v);
}

int rmq_checkpoint_flush(rmq_checkpoint_t *cp)
{
    put_be64(cp->base, atomic_load(&cp->physic_ts));
    put_be64(cp->base + 8, atomic_load(&cp->logics_ts));
    put_be64(cp->base + 16, atomic_load(&cp->index_ts));
    return msync(cp->base, RMQ_CHECKPOINT_SIZE, MS_SYNC) == 0 ? 0 : ROCKETMQ_ERR__IO;
}

int64_t rmq_checkpoint_min_ts(const rmq_checkpoint_t *cp)
{
    int64_t a = atomic_load(&cp->physic_ts), b = atomic_load(&cp->logics_ts);
    int64_t m = (a < b ? a : b) - 3000;
    return m < 0 ? 0 : m;
}
