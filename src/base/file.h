/* Whole-file reads and crash-safe replacement of small files (config JSON,
 * KV config, properties). */
#ifndef RMQ_BASE_FILE_H
#define RMQ_BASE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Appends the file's bytes to out.  Returns 0, 1 if it does not exist, or -1
 * (errno set) on another error. */
int rmq_file_read(const char *path, rmq_buf_t *out);

/* mkdir -p: creates dir and its missing parents.  Returns 0, or -1 with errno set. */
int rmq_mkdir_p(const char *dir);

/* Replaces path with data: <path>.tmp is written and fsynced, the current file
 * is kept as <path>.bak, the tmp file is renamed over path and the directory
 * fsynced, so a crash leaves the old or the new content, never a torn file.
 * Missing parent directories are created.  Returns 0, or -1 with errno set. */
int rmq_file_write_atomic(const char *path, const void *data, size_t len);
/* pwrite of all n bytes at off, across short writes and EINTR: 0, or -1
 * with errno set. */
int rmq_pwrite_all(int fd, const void *data, size_t n, int64_t off);
/* Reads [off, off + n) of fd into buf (bufsize bytes; what lands there is
 * thrown away) piece by piece, for the page cache the reads fill.  Stops at
 * the end of the file or at an error, which only leaves pages uncached. */
void rmq_file_cache_range(int fd, int64_t off, int64_t n, void *buf, size_t bufsize);

#endif
