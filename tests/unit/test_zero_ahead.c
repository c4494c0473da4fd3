/* Zeroing ahead (store/zero_ahead.h): the blocks in front of the appended
 * end become written extents (FIEMAP shows no unwritten flag there), what
 * is behind the end stays untouched, and a writer that races the zeroing
 * thread, announcing each range with rmq_zero_ahead_clear, never loses a
 * byte to its zeros.  Skipped where the file system has no unwritten
 * extents or no O_DIRECT (tmpfs). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "store/mapped_queue.h"
#include "store/zero_ahead.h"
#include "store_test_util.h"

#define FILE_SIZE (4 * 1024 * 1024)

typedef struct fx {
    char *dir;
    rmq_mapped_queue_t *q;
    rmq_mapped_file_t *mf;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    f->dir = st_tmpdir();
    assert_non_null(f->dir);
    f->q = rmq_mq_new(f->dir, FILE_SIZE, true);
    char err[256];
    f->mf = rmq_mq_last_or_create(f->q, 0, err, sizeof(err));
    assert_non_null(f->mf);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    rmq_mq_free(f->q);
    st_rmdir(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* True when this file system marks preallocated blocks unwritten and takes
 * O_DIRECT: only there is there anything to convert. */
static bool applies(const fx_t *f)
{
    if (st_has_unwritten(f->mf->path, 0, FILE_SIZE) != 1) {
        fprintf(stderr, "# skipped: no unwritten extents here\n");
        return false;
    }
    int fd = open(f->mf->path, O_WRONLY | O_DIRECT);
    if (fd < 0) {
        fprintf(stderr, "# skipped: no O_DIRECT here\n");
        return false;
    }
    close(fd);
    return true;
}

/* Waits up to 5 s for [from, to) to hold no unwritten extent. */
static bool wait_written(const char *path, int64_t from, int64_t to)
{
    for (int i = 0; i < 500; i++) {
        if (st_has_unwritten(path, from, to) == 0)
            return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static void blocks_ahead_become_written(void **state)
{
    fx_t *f = *state;
    if (!applies(f))
        skip();
    /* a record's bytes at the start, written before zeroing begins */
    uint8_t rec[3000];
    memset(rec, 0xA5, sizeof(rec));
    assert_int_equal(rmq_pwrite_all(f->mf->fd, rec, sizeof(rec), 0), 0);
    rmq_zero_ahead_t *z = rmq_zero_ahead_start(f->q, (int64_t)sizeof(rec));
    assert_non_null(z);
    /* the window (8 MiB) covers the whole 4 MiB file, from the page after
     * the end on */
    assert_true(wait_written(f->mf->path, 4096, FILE_SIZE));
    rmq_zero_ahead_stop(z);
    uint8_t back[sizeof(rec)];
    assert_int_equal(pread(f->mf->fd, back, sizeof(back), 0), (ssize_t)sizeof(back));
    assert_memory_equal(back, rec, sizeof(rec));
}

/* A writer that appends much faster than the zeros go, with pieces of odd
 * sizes, announcing each; afterwards every byte it wrote must be there. */
static void racing_writer_keeps_its_bytes(void **state)
{
    fx_t *f = *state;
    if (!applies(f))
        skip();
    rmq_zero_ahead_t *z = rmq_zero_ahead_start(f->q, 0);
    assert_non_null(z);
    uint8_t piece[9000];
    int64_t at = 0;
    uint32_t seed = 7;
    while (at < FILE_SIZE) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 8) % sizeof(piece);
        if (at + (int64_t)n > FILE_SIZE)
            n = (size_t)(FILE_SIZE - at);
        for (size_t i = 0; i < n; i++)
            piece[i] = (uint8_t)(((at + (int64_t)i) % 251) + 1); /* never 0 */
        rmq_zero_ahead_clear(z, at + (int64_t)n);
        assert_int_equal(rmq_pwrite_all(f->mf->fd, piece, n, at), 0);
        at += (int64_t)n;
        rmq_zero_ahead_appended(z, 0, at);
    }
    rmq_zero_ahead_stop(z);
    uint8_t *all = malloc(FILE_SIZE);
    assert_int_equal(pread(f->mf->fd, all, FILE_SIZE, 0), FILE_SIZE);
    int64_t bad = -1;
    for (int64_t i = 0; i < FILE_SIZE && bad < 0; i++)
        if (all[i] != (uint8_t)((i % 251) + 1))
            bad = i;
    free(all);
    assert_int_equal(bad, -1);
}

/* A file with holes (as Apache RocketMQ leaves them) gets no zeros: they
 * would take disk space ahead of its writer, which reserves its own. */
static void file_with_holes_left_alone(void **state)
{
    fx_t *f = *state;
    if (!applies(f))
        skip();
    char err[256];
    rmq_mapped_queue_t *q = rmq_mq_new(f->dir, FILE_SIZE, false);
    rmq_mapped_file_t *mf = rmq_mq_last_or_create(q, FILE_SIZE, err, sizeof(err));
    assert_non_null(mf);
    uint8_t rec[100];
    memset(rec, 0x5A, sizeof(rec));
    assert_int_equal(rmq_pwrite_all(mf->fd, rec, sizeof(rec), 0), 0);
    rmq_zero_ahead_t *z = rmq_zero_ahead_start(q, FILE_SIZE + (int64_t)sizeof(rec));
    assert_non_null(z);
    /* let it run: the same wait that sees a preallocated file converted */
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    rmq_zero_ahead_stop(z);
    struct stat st;
    assert_int_equal(fstat(mf->fd, &st), 0);
    assert_true((int64_t)st.st_blocks * 512 <= 64 * 1024);
    rmq_mq_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(blocks_ahead_become_written, setup, teardown),
        cmocka_unit_test_setup_teardown(racing_writer_keeps_its_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(file_with_holes_left_alone, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
