/* Warming ahead of a writer that stores through the mapping
 * (rmq_mq_warm_window): the ahead thread fills the pages in front of the
 * writer with zeros by pwrite.  A writer racing it, moving its guard with
 * rmq_mq_will_write before each store, never loses a byte to the zeros,
 * across file boundaries; the zeros reach the page cache within the window;
 * and a flush writes back only what was written, so the zeros ahead never
 * go to the disk on their own (FIEMAP still shows those blocks unwritten);
 * a file with holes gets none. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/mapped_queue.h"
#include "store_test_util.h"

#define MIB (1024 * 1024)

typedef struct fx {
    char *dir;
    rmq_mapped_queue_t *q;
} fx_t;

static fx_t *fx_new(size_t file_size)
{
    fx_t *f = calloc(1, sizeof(*f));
    f->dir = st_tmpdir();
    assert_non_null(f->dir);
    f->q = rmq_mq_new(f->dir, file_size, true);
    assert_non_null(f->q);
    rmq_mq_warm_window(f->q, 8 * MIB);
    assert_int_equal(rmq_mq_start_ahead(f->q), 0);
    return f;
}

static void fx_free(fx_t *f)
{
    rmq_mq_stop_ahead(f->q);
    rmq_mq_free(f->q);
    st_rmdir(f->dir);
    free(f->dir);
    free(f);
}

static uint8_t byte_at(int64_t off)
{
    return (uint8_t)((off % 251) + 1); /* never 0 */
}

#define PIECE_MAX 9000

/* The pattern from offset 0 on, long enough for a piece starting anywhere
 * in its period. */
static uint8_t g_pattern[PIECE_MAX + 251];

/* Appends n bytes of the pattern as a writer does: guard first, then the
 * store into the mapping, then the new write position. */
static void append(rmq_mapped_queue_t *q, rmq_mapped_file_t *mf, size_t n)
{
    if (!g_pattern[0])
        for (size_t i = 0; i < sizeof(g_pattern); i++)
            g_pattern[i] = byte_at((int64_t)i);
    int64_t pos = rmq_mapped_file_appended(mf);
    int64_t at = mf->start + pos;
    rmq_mq_will_write(q, at + (int64_t)n);
    memcpy(mf->base + pos, g_pattern + at % 251, n);
    rmq_mapped_file_set_wrote(mf, pos + (int64_t)n);
}

static void sleep_us(long us)
{
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* Five 4 MiB files of pieces of odd sizes, while the ahead thread pauses in
 * each claim: the writer catches up with it time and again, and must wait
 * where the claim reaches into the range it moves its guard over. */
static void racing_writer_keeps_its_bytes(void **state)
{
    (void)state;
    enum { FILE_SIZE = 4 * MIB, FILES = 5 };
    fx_t *f = fx_new(FILE_SIZE);
    f->q->warm_delay_us = 2000;
    char err[256];
    uint32_t seed = 11;
    int64_t total = 0;
    while (total < (int64_t)FILES * FILE_SIZE) {
        rmq_mapped_file_t *mf = rmq_mq_last_or_create(f->q, 0, err, sizeof(err));
        assert_non_null(mf);
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 8) % PIECE_MAX;
        int64_t room = FILE_SIZE - rmq_mapped_file_appended(mf);
        if ((int64_t)n > room)
            n = (size_t)room; /* the last piece fills the file */
        append(f->q, mf, n);
        total = mf->start + rmq_mapped_file_appended(mf);
    }
    rmq_mq_stop_ahead(f->q); /* no zeros after this */
    uint8_t *buf = malloc(FILE_SIZE);
    int64_t bad = -1;
    for (int i = 0; i < FILES && bad < 0; i++) {
        rmq_mapped_file_t *mf = rmq_mq_get(f->q, (size_t)i);
        assert_non_null(mf);
        assert_int_equal(pread(mf->fd, buf, FILE_SIZE, 0), FILE_SIZE);
        for (int64_t j = 0; j < FILE_SIZE && bad < 0; j++)
            if (buf[j] != byte_at(mf->start + j))
                bad = mf->start + j;
        rmq_mapped_file_release(mf);
    }
    free(buf);
    assert_int_equal(bad, -1);
    fx_free(f);
}

/* The zeros fill the window in front of the writer, and the flush that
 * makes the written range durable leaves them to the page cache. */
static void zeros_fill_the_window_and_stay_off_the_disk(void **state)
{
    (void)state;
    fx_t *f = fx_new(32 * MIB);
    char err[256];
    rmq_mapped_file_t *mf = rmq_mq_last_or_create(f->q, 0, err, sizeof(err));
    assert_non_null(mf);
    if (st_unwritten(mf->path, 0, 32 * MIB, 0) != 1) {
        fprintf(stderr, "# skipped: no unwritten extents here\n");
        fx_free(f);
        skip();
    }
    for (int i = 0; i < 300; i++)
        append(f->q, mf, 5000); /* 1.5 MB */
    int64_t end = rmq_mapped_file_appended(mf);
    bool warm = false;
    for (int i = 0; i < 500 && !warm; i++) {
        warm = st_cached(mf->base, end + 7 * MIB);
        if (!warm)
            sleep_us(10000);
    }
    assert_true(warm);
    assert_false(st_cached(mf->base, end + 12 * MIB)); /* bounded by the window */
    assert_int_equal(rmq_mq_flush_all(f->q), 0);
    assert_int_equal(rmq_mq_flushed_where(f->q), end);
    /* what was written is on the disk; the zeros past the guard are not */
    assert_int_equal(st_unwritten(mf->path, 0, end / 4096 * 4096, 0), 0);
    assert_int_equal(st_unwritten(mf->path, end + 2 * MIB, end + 7 * MIB, 0), 1);
    /* and they read as zeros */
    uint8_t z[4096];
    assert_int_equal(pread(mf->fd, z, sizeof(z), end + 3 * MIB), (ssize_t)sizeof(z));
    for (size_t i = 0; i < sizeof(z); i++)
        assert_int_equal(z[i], 0);
    fx_free(f);
}

/* A file with holes (as Apache RocketMQ leaves them, and as one opened
 * from disk may be) gets no zeros: they would take disk space ahead of its
 * writer, which reserves its own. */
static void file_with_holes_left_alone(void **state)
{
    (void)state;
    enum { FILE_SIZE = 16 * MIB };
    char *dir = st_tmpdir();
    assert_non_null(dir);
    rmq_mapped_queue_t *q = rmq_mq_new(dir, FILE_SIZE, false);
    rmq_mq_warm_window(q, 8 * MIB);
    assert_int_equal(rmq_mq_start_ahead(q), 0);
    char err[256];
    rmq_mapped_file_t *mf = rmq_mq_last_or_create(q, 0, err, sizeof(err));
    assert_non_null(mf);
    append(q, mf, 100);
    /* let it run: longer than the window takes to fill in the other tests */
    sleep_us(300 * 1000);
    struct stat st;
    assert_int_equal(fstat(mf->fd, &st), 0);
    assert_true((int64_t)st.st_blocks * 512 <= 64 * 1024);
    rmq_mq_stop_ahead(q);
    rmq_mq_free(q);
    st_rmdir(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(racing_writer_keeps_its_bytes),
        cmocka_unit_test(zeros_fill_the_window_and_stay_off_the_disk),
        cmocka_unit_test(file_with_holes_left_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
