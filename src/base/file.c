#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"

/* Reads with read(2) rather than sizing by fstat so pipes and /proc files
 * work too. */
int rmq_file_read(const char *path, rmq_buf_t *out)
{
    int fd;
    do {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno == ENOENT ? 1 : -1;
    for (;;) {
        rmq_buf_reserve(out, 4096);
        ssize_t r = read(fd, out->data + out->len, out->cap - out->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        if (r == 0)
            break;
        out->len += (size_t)r;
    }
    close(fd);
    return 0;
}

int rmq_mkdir_p(const char *dir)
{
    char *tmp = rmq_strdup(dir);
    int rc = 0;
    for (char *p = tmp + 1; rc == 0; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            rc = -1;
        *p = c;
        if (c == '\0')
            break;
    }
    int saved = errno;
    free(tmp);
    errno = saved;
    return rc;
}

/* Creates the directories above a file path. */
static int mkdirs(const char *path)
{
    char *dir = rmq_strdup(path);
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash && slash != dir) {
        *slash = '\0';
        rc = rmq_mkdir_p(dir);
    }
    free(dir);
    return rc;
}

int rmq_pwrite_all(int fd, const void *data, size_t n, int64_t off)
{
    const uint8_t *p = data;
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

void rmq_file_cache_range(int fd, int64_t off, int64_t n, void *buf, size_t bufsize)
{
    for (int64_t at = 0; at < n;) {
        size_t len = (uint64_t)(n - at) < bufsize ? (size_t)(n - at) : bufsize;
        ssize_t r = pread(fd, buf, len, (off_t)(off + at));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        at += r;
    }
}

/* tmp -> write -> fsync -> close -> rename over the file -> fsync the
 * directory, so a crash leaves the old or the new file, never a torn one.
 * The previous content is kept as <path>.bak, as Apache RocketMQ does. */
int rmq_file_write_atomic(const char *path, const void *data, size_t len)
{
    if (mkdirs(path) != 0)
        return -1;
    rmq_buf_t tmp = RMQ_BUF_INIT, bak = RMQ_BUF_INIT;
    rmq_buf_printf(&tmp, "%s.tmp", path);
    rmq_buf_printf(&bak, "%s.bak", path);
    int rc = -1;
    int fd = open(rmq_buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        rc = rmq_pwrite_all(fd, data, len, 0) == 0 && fsync(fd) == 0 ? 0 : -1;
        if (close(fd) != 0)
            rc = -1;
    }
    if (rc == 0) {
        if (link(path, rmq_buf_cstr(&bak)) != 0 && errno == EEXIST) {
            unlink(rmq_buf_cstr(&bak));
            link(path, rmq_buf_cstr(&bak)); /* best effort: the .bak is a courtesy */
        }
        rc = rename(rmq_buf_cstr(&tmp), path);
    }
    if (rc != 0) {
        unlink(rmq_buf_cstr(&tmp));
    } else {
        char *dir = rmq_strdup(path);
        int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    rmq_buf_free(&tmp);
    rmq_buf_free(&bak);
    return rc;
}

