#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define _XOPEN_SOURCE_EXTENDED 1
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rocketmq/error.h"
#include "store/consume_queue.h"

/* 10 entries per file: boundaries are easy to cross. */
#define FS 200
#define TOPIC "TopicA"
#define QID 3

typedef struct fixture {
    char tmp[64];
    char root[128];
    char qdir[192];
} fixture_t;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    strcpy(f->tmp, "/tmp/rmq_cq_XXXXXX");
    if (!mkdtemp(f->tmp))
        return -1;
    snprintf(f->root, sizeof(f->root), "%s/consumequeue", f->tmp);
    snprintf(f->qdir, sizeof(f->qdir), "%s/%s/%d", f->root, TOPIC, QID);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    nftw(f->tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static rmq_consume_queue_t *open_cq(fixture_t *f)
{
    rmq_consume_queue_t *cq = rmq_cq_new(f->root, TOPIC, QID, FS);
    char err[256] = "";
    assert_int_equal(rmq_cq_load(cq, err, sizeof(err)), 0);
    rmq_cq_recover(cq);
    return cq;
}

static void file_path(fixture_t *f, int64_t start, char *out, size_t n)
{
    snprintf(out, n, "%s/%020lld", f->qdir, (long long)start);
}

static bool file_exists(fixture_t *f, int64_t start)
{
    char p[256];
    file_path(f, start, p, sizeof(p));
    return access(p, F_OK) == 0;
}

static void read_bytes(fixture_t *f, int64_t start, off_t at, uint8_t *out, size_t n)
{
    char p[256];
    file_path(f, start, p, sizeof(p));
    int fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, out, n, at), (ssize_t)n);
    close(fd);
}

static void zero_bytes(fixture_t *f, int64_t start, off_t at, size_t n)
{
    char p[256];
    file_path(f, start, p, sizeof(p));
    int fd = open(p, O_WRONLY);
    assert_true(fd >= 0);
    uint8_t z[FS] = {0};
    assert_true(n <= sizeof(z));
    assert_int_equal(pwrite(fd, z, n, at), (ssize_t)n);
    close(fd);
}

/* Entry i of the standard fill: record at i x 100, 100 bytes, tags 1000 + i. */
static void put_n(rmq_consume_queue_t *cq, int64_t from, int64_t to)
{
    for (int64_t i = from; i < to; i++)
        assert_int_equal(rmq_cq_put(cq, i * 100, 100, 1000 + i, i), 0);
}

static void assert_entry(rmq_consume_queue_t *cq, int64_t index, int64_t off, int32_t size,
                         int64_t tags)
{
    int64_t o, t;
    int32_t s;
    assert_true(rmq_cq_entry(cq, index, &o, &s, &t));
    assert_int_equal(o, off);
    assert_int_equal(s, size);
    assert_int_equal(t, tags);
}

static void test_golden_entry(void **state)
{
    fixture_t *f = *state;
    rmq_consume_queue_t *cq = open_cq(f);
    assert_int_equal(rmq_cq_max_offset(cq), 0);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 0);
    assert_int_equal(rmq_cq_put(cq, 0x0102030405060708LL, 0x11223344, -2, 0), 0);
    static const uint8_t golden[20] = {
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* commit log offset */
        0x11, 0x22, 0x33, 0x44,                         /* size */
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, /* tags code -2 */
    };
    uint8_t got[20];
    read_bytes(f, 0, 0, got, sizeof(got));
    assert_memory_equal(got, golden, 20);
    assert_int_equal(rmq_cq_max_offset(cq), 1);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 0x0102030405060708LL + 0x11223344);
    assert_entry(cq, 0, 0x0102030405060708LL, 0x11223344, -2);
    assert_int_equal(rmq_cq_flush(cq, 0), 0);
    assert_string_equal(rmq_cq_topic(cq), TOPIC);
    assert_int_equal(rmq_cq_queue_id(cq), QID);
    rmq_cq_free(cq);
}

static void test_file_size_rounded(void **state)
{
    fixture_t *f = *state;
    /* 190 rounds up to 200: the 10th entry still fits the first file */
    rmq_consume_queue_t *cq = rmq_cq_new(f->root, TOPIC, QID, 190);
    put_n(cq, 0, 11);
    assert_true(file_exists(f, 0));
    assert_true(file_exists(f, 200));
    assert_false(file_exists(f, 190));
    struct stat st;
    char p[256];
    file_path(f, 0, p, sizeof(p));
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 200);
    rmq_cq_free(cq);
}

static void test_puts_across_files_and_reads(void **state)
{
    fixture_t *f = *state;
    rmq_consume_queue_t *cq = open_cq(f);
    put_n(cq, 0, 25);
    assert_true(file_exists(f, 0));
    assert_true(file_exists(f, 200));
    assert_true(file_exists(f, 400));
    assert_false(file_exists(f, 600));
    assert_int_equal(rmq_cq_min_offset(cq), 0);
    assert_int_equal(rmq_cq_max_offset(cq), 25);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 2500);

    /* the first entry of the second file, on disk */
    uint8_t got[20];
    read_bytes(f, 200, 0, got, sizeof(got));
    static const uint8_t e10[20] = {0, 0, 0, 0, 0, 0, 0x03, 0xE8, 0, 0, 0, 100,
                                    0, 0, 0, 0, 0, 0, 0x03, 0xF2};
    assert_memory_equal(got, e10, 20);

    /* slices end with the file holding the index */
    rmq_cq_slice_t s;
    assert_int_equal(rmq_cq_read(cq, 3, &s), 0);
    assert_int_equal(s.n, 7);
    assert_int_equal(s.p[7], 0x2C); /* 300 = 0x012C */
    rmq_cq_slice_release(&s);
    assert_null(s.mf);
    assert_int_equal(rmq_cq_read(cq, 10, &s), 0);
    assert_int_equal(s.n, 10);
    rmq_cq_slice_release(&s);
    assert_int_equal(rmq_cq_read(cq, 19, &s), 0);
    assert_int_equal(s.n, 1);
    rmq_cq_slice_release(&s);
    assert_int_equal(rmq_cq_read(cq, 20, &s), 0);
    assert_int_equal(s.n, 5);
    rmq_cq_slice_release(&s);
    assert_int_equal(rmq_cq_read(cq, 25, &s), ROCKETMQ_ERR__NOT_FOUND);
    assert_null(s.mf);
    assert_int_equal(rmq_cq_read(cq, 1000, &s), ROCKETMQ_ERR__NOT_FOUND);
    assert_int_equal(rmq_cq_read(cq, -1, &s), ROCKETMQ_ERR__NOT_FOUND);
    assert_int_equal(rmq_cq_read(cq, INT64_MAX, &s), ROCKETMQ_ERR__NOT_FOUND);

    assert_entry(cq, 0, 0, 100, 1000);
    assert_entry(cq, 13, 1300, 100, 1013);
    assert_entry(cq, 24, 2400, 100, 1024);
    assert_false(rmq_cq_entry(cq, 25, NULL, NULL, NULL));

    assert_int_equal(rmq_cq_next_file_index(cq, 0), 10);
    assert_int_equal(rmq_cq_next_file_index(cq, 13), 20);
    assert_int_equal(rmq_cq_next_file_index(cq, 20), 30);
    rmq_cq_free(cq);
}

static void test_duplicates_and_gaps(void **state)
{
    fixture_t *f = *state;
    rmq_consume_queue_t *cq = open_cq(f);
    put_n(cq, 0, 5);
    /* record ending at or below max_phys: duplicate dispatch */
    assert_int_equal(rmq_cq_put(cq, 400, 100, 7, 5), 0);
    assert_int_equal(rmq_cq_put(cq, 100, 50, 7, 5), 0);
    assert_int_equal(rmq_cq_max_offset(cq), 5);
    /* a new record for an index already written: built repeatedly */
    assert_int_equal(rmq_cq_put(cq, 5000, 100, 7, 3), 0);
    assert_int_equal(rmq_cq_max_offset(cq), 5);
    assert_entry(cq, 3, 300, 100, 1003);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 500);
    /* index 9 while the end is 5: logged, appended at 5 */
    assert_int_equal(rmq_cq_put(cq, 600, 100, 9, 9), 0);
    assert_int_equal(rmq_cq_max_offset(cq), 6);
    assert_entry(cq, 5, 600, 100, 9);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 700);
    /* a partly overlapping record is not a duplicate */
    assert_int_equal(rmq_cq_put(cq, 650, 100, 10, 6), 0);
    assert_int_equal(rmq_cq_max_offset(cq), 7);
    assert_int_equal(rmq_cq_put(cq, 800, 10, 0, -1), ROCKETMQ_ERR__INVALID_ARG);
    rmq_cq_free(cq);
}

static void test_first_file_with_fillers(void **state)
{
    fixture_t *f = *state;
    rmq_consume_queue_t *cq = open_cq(f);
    assert_int_equal(rmq_cq_put(cq, 1000, 50, 77, 25), 0);
    /* 25 x 20 = 500 lies in the file starting at 400 */
    assert_false(file_exists(f, 0));
    assert_false(file_exists(f, 200));
    assert_true(file_exists(f, 400));
    static const uint8_t filler[20] = {0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF,
                                       0, 0, 0, 0, 0, 0, 0, 0};
    uint8_t got[120];
    read_bytes(f, 400, 0, got, sizeof(got));
    for (int i = 0; i < 5; i++)
        assert_memory_equal(got + i * 20, filler, 20);
    static const uint8_t e25[20] = {0, 0, 0, 0, 0, 0, 0x03, 0xE8, 0, 0, 0, 50,
                                    0, 0, 0, 0, 0, 0, 0, 77};
    assert_memory_equal(got + 100, e25, 20);

    assert_int_equal(rmq_cq_min_offset(cq), 25);
    assert_int_equal(rmq_cq_max_offset(cq), 26);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 1050);
    assert_false(rmq_cq_entry(cq, 24, NULL, NULL, NULL)); /* below min */
    assert_false(rmq_cq_entry(cq, 20, NULL, NULL, NULL));
    assert_false(rmq_cq_entry(cq, 3, NULL, NULL, NULL)); /* no file */
    assert_entry(cq, 25, 1000, 50, 77);
    rmq_cq_slice_t s;
    assert_int_equal(rmq_cq_read(cq, 25, &s), 0);
    assert_int_equal(s.n, 1);
    rmq_cq_slice_release(&s);

    /* more entries continue normally, into the next file */
    for (int64_t i = 26; i < 32; i++)
        assert_int_equal(rmq_cq_put(cq, i * 100, 100, 0, i), 0);
    assert_true(file_exists(f, 600));
    assert_int_equal(rmq_cq_max_offset(cq), 32);
    rmq_cq_free(cq);

    /* fillers survive a reload: they count as valid, but set neither the
     * max physical offset nor the min */
    cq = open_cq(f);
    assert_int_equal(rmq_cq_max_offset(cq), 32);
    assert_int_equal(rmq_cq_min_offset(cq), 25);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 3200);
    rmq_cq_correct_min_offset(cq, 0);
    assert_int_equal(rmq_cq_min_offset(cq), 25);
    rmq_cq_free(cq);
}

static void test_fillers_only_on_boundary(void **state)
{
    fixture_t *f = *state;
    rmq_consume_queue_t *cq = open_cq(f);
    /* index 20 starts a file: no filler at all */
    assert_int_equal(rmq_cq_put(cq, 5, 10, 0, 20), 0);
    uint8_t got[20];
    read_bytes(f, 400, 0, got, sizeof(got));
    assert_int_equal(got[7], 5);
    assert_int_equal(rmq_cq_min_offset(cq), 20);
    assert_int_equal(rmq_cq_max_offset(cq), 21);
    rmq_cq_free(cq);
}

static void test_recover_after_reload(void **state)
{
    fixture_t *f = *state;
    rmq_consume_queue_t *cq = open_cq(f);
    put_n(cq, 0, 25);
    rmq_cq_free(cq);

    cq = open_cq(f);
    assert_int_equal(rmq_cq_max_offset(cq), 25);
    assert_int_equal(rmq_cq_min_offset(cq), 0);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 2500);
    assert_entry(cq, 24, 2400, 100, 1024);
    rmq_cq_free(cq);

    /* zero entry 13: entries 14.. are dropped with it, and the third file */
    zero_bytes(f, 200, 3 * 20, 20);
    cq = open_cq(f);
    assert_int_equal(rmq_cq_max_offset(cq), 13);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 1300);
    assert_false(file_exists(f, 400));
    assert_false(rmq_cq_entry(cq, 14, NULL, NULL, NULL));
    /* the next entry lands at 13, over the stale bytes */
    assert_int_equal(rmq_cq_put(cq, 1300, 100, 5, 13), 0);
    assert_entry(cq, 13, 1300, 100, 5);
    assert_int_equal(rmq_cq_max_offset(cq), 14);
    rmq_cq_free(cq);
}

static void test_recover_starts_at_third_last(void **state)
{
    fixture_t *f = *state;
    rmq_consume_queue_t *cq = open_cq(f);
    put_n(cq, 0, 45); /* files 0, 200, 400, 600, 800 */
    rmq_cq_free(cq);
    /* a hole in the first file is not looked at */
    zero_bytes(f, 0, 40, 20);
    cq = open_cq(f);
    assert_int_equal(rmq_cq_max_offset(cq), 45);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 4500);
    rmq_cq_free(cq);
    /* a hole in the third-last file cuts there */
    zero_bytes(f, 400, 0, 20);
    cq = open_cq(f);
    assert_int_equal(rmq_cq_max_offset(cq), 20);
    assert_true(file_exists(f, 400));
    assert_false(file_exists(f, 600));
    assert_false(file_exists(f, 800));
    /* nothing valid was scanned: the entry before the cut gives it */
    assert_int_equal(rmq_cq_max_phys_offset(cq), 2000);
    rmq_cq_free(cq);
    /* a cut in the first file's first entry leaves it empty */
    zero_bytes(f, 0, 0, 20);
    zero_bytes(f, 200, 0, 20);
    cq = open_cq(f);
    assert_int_equal(rmq_cq_max_offset(cq), 0);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 0);
    assert_true(file_exists(f, 0));
    assert_false(file_exists(f, 200));
    assert_int_equal(rmq_cq_put(cq, 7, 3, 0, 0), 0);
    assert_entry(cq, 0, 7, 3, 0);
    rmq_cq_free(cq);
}

static void test_recover_empty_and_full(void **state)
{
    fixture_t *f = *state;
    rmq_consume_queue_t *cq = open_cq(f);
    rmq_cq_recover(cq); /* no file: nothing to do */
    assert_int_equal(rmq_cq_max_offset(cq), 0);
    put_n(cq, 0, 20); /* exactly two full files */
    rmq_cq_free(cq);
    cq = open_cq(f);
    assert_int_equal(rmq_cq_max_offset(cq), 20);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 2000);
    put_n(cq, 20, 21);
    assert_true(file_exists(f, 400));
    assert_int_equal(rmq_cq_max_offset(cq), 21);
    rmq_cq_free(cq);
}

static void test_truncate_dirty(void **state)
{
    fixture_t *f = *state;
    rmq_consume_queue_t *cq = open_cq(f);
    put_n(cq, 0, 25);
    /* records from 1300 on are gone: entries 13.. drop */
    rmq_cq_truncate_dirty(cq, 1300);
    assert_int_equal(rmq_cq_max_offset(cq), 13);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 1300);
    assert_true(file_exists(f, 200));
    assert_false(file_exists(f, 400));
    assert_false(rmq_cq_entry(cq, 13, NULL, NULL, NULL));
    assert_entry(cq, 12, 1200, 100, 1012);
    assert_int_equal(rmq_cq_put(cq, 1300, 30, 0, 13), 0);
    assert_entry(cq, 13, 1300, 30, 0);

    /* a cut at the first entry of a file removes the file too */
    put_n(cq, 14, 25);
    assert_true(file_exists(f, 400));
    rmq_cq_truncate_dirty(cq, 1000);
    assert_int_equal(rmq_cq_max_offset(cq), 10);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 1000);
    assert_true(file_exists(f, 0));
    assert_false(file_exists(f, 200));
    assert_false(file_exists(f, 400));
    rmq_cq_free(cq);

    /* the cut is what a reload sees */
    cq = open_cq(f);
    assert_int_equal(rmq_cq_max_offset(cq), 10);
    put_n(cq, 10, 12);
    assert_int_equal(rmq_cq_max_offset(cq), 12);

    /* a cut above everything keeps everything */
    rmq_cq_truncate_dirty(cq, 99999);
    assert_int_equal(rmq_cq_max_offset(cq), 12);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 1200);

    /* a cut below everything removes every file */
    rmq_cq_correct_min_offset(cq, 500);
    assert_int_equal(rmq_cq_min_offset(cq), 5);
    rmq_cq_truncate_dirty(cq, 0);
    assert_int_equal(rmq_cq_max_offset(cq), 0);
    assert_false(file_exists(f, 0));
    assert_false(file_exists(f, 200));
    assert_int_equal(rmq_cq_max_phys_offset(cq), 0);
    /* the stale min does not hide the queue's new start */
    assert_int_equal(rmq_cq_put(cq, 0, 10, 0, 0), 0);
    assert_int_equal(rmq_cq_min_offset(cq), 0);
    assert_entry(cq, 0, 0, 10, 0);
    rmq_cq_free(cq);
}

static void test_truncate_keeps_fillers(void **state)
{
    fixture_t *f = *state;
    rmq_consume_queue_t *cq = open_cq(f);
    for (int64_t i = 25; i < 28; i++)
        assert_int_equal(rmq_cq_put(cq, i * 100, 100, 0, i), 0);
    rmq_cq_truncate_dirty(cq, 2600);
    assert_int_equal(rmq_cq_max_offset(cq), 26);
    assert_int_equal(rmq_cq_min_offset(cq), 25);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 2600);
    /* the record at 2500 is gone too: only fillers remain, the max physical
     * offset is the cut */
    rmq_cq_truncate_dirty(cq, 2500);
    assert_int_equal(rmq_cq_max_offset(cq), 25);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 2500);
    assert_true(file_exists(f, 400));
    rmq_cq_free(cq);
}

static void test_correct_min_offset(void **state)
{
    fixture_t *f = *state;
    rmq_consume_queue_t *cq = open_cq(f);
    put_n(cq, 0, 25);
    rmq_cq_correct_min_offset(cq, 350);
    assert_int_equal(rmq_cq_min_offset(cq), 4);
    assert_false(rmq_cq_entry(cq, 3, NULL, NULL, NULL));
    assert_entry(cq, 4, 400, 100, 1004);
    rmq_cq_slice_t s;
    assert_int_equal(rmq_cq_read(cq, 3, &s), ROCKETMQ_ERR__NOT_FOUND);
    /* only the first file is looked at: no entry there, min unchanged */
    rmq_cq_correct_min_offset(cq, 1500);
    assert_int_equal(rmq_cq_min_offset(cq), 4);
    rmq_cq_correct_min_offset(cq, 0);
    assert_int_equal(rmq_cq_min_offset(cq), 0);
    rmq_cq_correct_min_offset(cq, 900);
    assert_int_equal(rmq_cq_min_offset(cq), 9);
    rmq_cq_free(cq);
}

static void test_delete_expired(void **state)
{
    fixture_t *f = *state;
    rmq_consume_queue_t *cq = open_cq(f);
    put_n(cq, 0, 25);
    /* file 0 ends with the record at 900 */
    assert_int_equal(rmq_cq_delete_expired(cq, 900), 0);
    assert_int_equal(rmq_cq_min_offset(cq), 9);
    assert_int_equal(rmq_cq_delete_expired(cq, 1000), 1);
    assert_false(file_exists(f, 0));
    assert_true(file_exists(f, 200));
    assert_int_equal(rmq_cq_min_offset(cq), 10);
    assert_false(rmq_cq_entry(cq, 9, NULL, NULL, NULL));
    assert_entry(cq, 10, 1000, 100, 1010);
    assert_int_equal(rmq_cq_max_offset(cq), 25);
    /* everything expired: the last file stays */
    assert_int_equal(rmq_cq_delete_expired(cq, 2200), 1);
    assert_false(file_exists(f, 200));
    assert_true(file_exists(f, 400));
    assert_int_equal(rmq_cq_min_offset(cq), 22);
    assert_int_equal(rmq_cq_delete_expired(cq, 100000), 0);
    assert_true(file_exists(f, 400));
    assert_int_equal(rmq_cq_max_offset(cq), 25);
    rmq_cq_free(cq);

    /* after a reload the min starts at the first file */
    cq = open_cq(f);
    assert_int_equal(rmq_cq_min_offset(cq), 20);
    assert_int_equal(rmq_cq_max_offset(cq), 25);
    rmq_cq_free(cq);
}

static void test_destroy(void **state)
{
    fixture_t *f = *state;
    rmq_consume_queue_t *cq = open_cq(f);
    rmq_consume_queue_t *other = rmq_cq_new(f->root, TOPIC, 4, FS);
    put_n(cq, 0, 15);
    put_n(other, 0, 2);
    char topic_dir[256];
    snprintf(topic_dir, sizeof(topic_dir), "%s/%s", f->root, TOPIC);
    struct stat st;

    rmq_cq_destroy(cq);
    assert_false(file_exists(f, 0));
    assert_int_equal(stat(f->qdir, &st), -1);
    assert_int_equal(stat(topic_dir, &st), 0); /* queue 4 lives there */
    assert_int_equal(rmq_cq_max_offset(cq), 0);
    assert_int_equal(rmq_cq_min_offset(cq), 0);
    assert_int_equal(rmq_cq_max_phys_offset(cq), 0);

    rmq_cq_destroy(other);
    assert_int_equal(stat(topic_dir, &st), -1);
    assert_int_equal(stat(f->root, &st), 0);
    rmq_cq_free(other);

    /* the object stays usable: a later put recreates the directory */
    assert_int_equal(rmq_cq_put(cq, 0, 10, 0, 0), 0);
    assert_true(file_exists(f, 0));
    rmq_cq_destroy(cq);
    rmq_cq_destroy(cq); /* nothing left: harmless */
    rmq_cq_free(cq);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_golden_entry),
        T(test_file_size_rounded),
        T(test_puts_across_files_and_reads),
        T(test_duplicates_and_gaps),
        T(test_first_file_with_fillers),
        T(test_fillers_only_on_boundary),
        T(test_recover_after_reload),
        T(test_recover_starts_at_third_last),
        T(test_recover_empty_and_full),
        T(test_truncate_dirty),
        T(test_truncate_keeps_fillers),
        T(test_correct_min_offset),
        T(test_delete_expired),
        T(test_destroy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
