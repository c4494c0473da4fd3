#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"
#include "store/index.h"

#define SLOTS 64
#define ITEMS 200
#define FILE_SIZE (RMQ_INDEX_HEADER_SIZE + SLOTS * 4 + ITEMS * 20)
#define T0 1700000000123LL
#define MAX_FILES 16

typedef struct fixture {
    char root[64];
    char dir[96];
} fixture_t;

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof(*fx));
    strcpy(fx->root, "/tmp/rmq_index_XXXXXX");
    if (!mkdtemp(fx->root))
        return -1;
    /* A directory that does not exist yet: open creates it. */
    snprintf(fx->dir, sizeof(fx->dir), "%s/store/index", fx->root);
    *state = fx;
    return 0;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[512];
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        remove_tree(sub);
    }
    closedir(d);
    rmdir(path);
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    remove_tree(fx->root);
    free(fx);
    return 0;
}

static rmq_index_service_t *open_idx(const fixture_t *fx, int32_t items, bool ok, int64_t ckpt)
{
    rmq_index_opts_t o = {fx->dir, SLOTS, items, ok, ckpt};
    char err[256] = "";
    rmq_index_service_t *svc = rmq_index_open(&o, err, sizeof(err));
    if (!svc)
        print_error("open: %s\n", err);
    assert_non_null(svc);
    return svc;
}

/* Java String.hashCode for ASCII text, written out independently of the store. */
static int32_t hand_hash(const char *s)
{
    uint32_t h = 0;
    for (; *s; s++)
        h = 31u * h + (uint8_t)*s;
    return (int32_t)h;
}

static int32_t hand_key_hash(const char *s)
{
    int32_t h = hand_hash(s);
    return h == INT32_MIN ? 0 : (h < 0 ? -h : h);
}

static int put_keys(rmq_index_service_t *svc, const char *keys, int64_t off, int64_t ts)
{
    return rmq_index_put(svc, "TopicTest", NULL, 0, keys, strlen(keys), off, ts);
}

static int query(rmq_index_service_t *svc, const char *key, int max, int64_t b, int64_t e,
                 int64_t *out)
{
    return rmq_index_query(svc, "TopicTest", key, max, b, e, out);
}

/* Sorted names of the files in dir. */
static int list_files(const char *dir, char names[][32])
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(e->d_name);
        assert_true(n < MAX_FILES && len < 32);
        memcpy(names[n++], e->d_name, len + 1);
    }
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char t[32];
            strcpy(t, names[j]);
            strcpy(names[j], names[j - 1]);
            strcpy(names[j - 1], t);
        }
    return n;
}

static void read_nth_file(const fixture_t *fx, int idx, rmq_buf_t *out)
{
    char names[MAX_FILES][32], path[256];
    int n = list_files(fx->dir, names);
    assert_true(idx < n);
    snprintf(path, sizeof(path), "%s/%s", fx->dir, names[idx]);
    assert_int_equal(rmq_file_read(path, out), 0);
}

static void write_file(const fixture_t *fx, const char *name, const void *p, size_t n)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

static int64_t be64_at(const rmq_buf_t *b, size_t pos)
{
    return (int64_t)rmq_be64(b->data + pos);
}

static int32_t be32_at(const rmq_buf_t *b, size_t pos)
{
    return (int32_t)rmq_be32(b->data + pos);
}

static size_t slot_at(int32_t slots, int32_t hash)
{
    return RMQ_INDEX_HEADER_SIZE + (size_t)(hash % slots) * 4;
}

static size_t item_at(int32_t slots, int32_t no)
{
    return RMQ_INDEX_HEADER_SIZE + (size_t)slots * 4 + (size_t)no * 20;
}

static void assert_item(const rmq_buf_t *b, int32_t no, int32_t hash, int64_t off, int32_t diff,
                        int32_t prev)
{
    size_t p = item_at(SLOTS, no);
    assert_int_equal(be32_at(b, p), hash);
    assert_int_equal(be64_at(b, p + 4), off);
    assert_int_equal(be32_at(b, p + 12), diff);
    assert_int_equal(be32_at(b, p + 16), prev);
}

static void test_golden_bytes(void **state)
{
    fixture_t *fx = *state;
    rmq_index_service_t *svc = open_idx(fx, ITEMS, true, 0);
    assert_int_equal(rmq_index_file_count(svc), 0);
    /* "TopicTest#key1".hashCode() is negative: the index keeps its absolute value. */
    int32_t h_key1 = hand_key_hash("TopicTest#key1");
    int32_t h_uniq = hand_key_hash("TopicTest#UNIQ1");
    assert_int_equal(hand_hash("TopicTest#key1"), -1655984460);
    assert_int_equal(h_key1, 1655984460);
    assert_int_equal(h_uniq, 183041550);
    assert_int_not_equal(h_key1 % SLOTS, h_uniq % SLOTS);

    assert_int_equal(rmq_index_put(svc, "TopicTest", "UNIQ1", 5, "key1", 4, 100, T0), 0);
    assert_int_equal(put_keys(svc, "key1", 300, T0 + 5500), 0);
    assert_int_equal(rmq_index_file_count(svc), 1);
    rmq_index_close(svc);

    rmq_buf_t b = RMQ_BUF_INIT;
    read_nth_file(fx, 0, &b);
    assert_int_equal(b.len, FILE_SIZE);
    assert_int_equal(be64_at(&b, 0), T0);         /* beginTimestamp */
    assert_int_equal(be64_at(&b, 8), T0 + 5500);  /* endTimestamp */
    assert_int_equal(be64_at(&b, 16), 100);       /* beginPhyOffset */
    assert_int_equal(be64_at(&b, 24), 300);       /* endPhyOffset */
    assert_int_equal(be32_at(&b, 32), 2);         /* hashSlotCount: two slots used */
    assert_int_equal(be32_at(&b, 36), 4);         /* indexCount: 1 + three items */
    assert_int_equal(be32_at(&b, (size_t)slot_at(SLOTS, h_key1)), 3);
    assert_int_equal(be32_at(&b, (size_t)slot_at(SLOTS, h_uniq)), 1);
    assert_item(&b, 0, 0, 0, 0, 0); /* item 0 is never used */
    assert_item(&b, 1, h_uniq, 100, 0, 0);
    assert_item(&b, 2, h_key1, 100, 0, 0);
    assert_item(&b, 3, h_key1, 300, 5, 2); /* 5.5 s truncated to 5 */
    assert_item(&b, 4, 0, 0, 0, 0);
    rmq_buf_free(&b);
}

static void test_query_keys(void **state)
{
    fixture_t *fx = *state;
    rmq_index_service_t *svc = open_idx(fx, ITEMS, true, 0);
    int64_t out[RMQ_INDEX_QUERY_MAX];
    assert_int_equal(query(svc, "a", 64, 0, INT64_MAX, out), 0); /* no file yet */
    assert_int_equal(rmq_index_put(svc, "TopicTest", "U1", 2, "a  b ", 5, 10, T0), 0);
    assert_int_equal(rmq_index_put(svc, "TopicTest", "U2", 2, NULL, 0, 20, T0 + 1000), 0);
    assert_int_equal(rmq_index_put(svc, "Other", NULL, 0, "a", 1, 30, T0 + 2000), 0);
    assert_int_equal(put_keys(svc, "b", 40, T0 + 3000), 0);

    assert_int_equal(query(svc, "U1", 64, 0, INT64_MAX, out), 1);
    assert_int_equal(out[0], 10);
    assert_int_equal(query(svc, "U2", 64, 0, INT64_MAX, out), 1);
    assert_int_equal(out[0], 20);
    assert_int_equal(query(svc, "a", 64, 0, INT64_MAX, out), 1);
    assert_int_equal(out[0], 10);
    assert_int_equal(rmq_index_query(svc, "Other", "a", 64, 0, INT64_MAX, out), 1);
    assert_int_equal(out[0], 30);
    assert_int_equal(query(svc, "b", 64, 0, INT64_MAX, out), 2); /* newest first */
    assert_int_equal(out[0], 40);
    assert_int_equal(out[1], 10);
    assert_int_equal(query(svc, "", 64, 0, INT64_MAX, out), 0);
    assert_int_equal(query(svc, "missing", 64, 0, INT64_MAX, out), 0);
    rmq_index_close(svc);
}

static void test_time_range(void **state)
{
    fixture_t *fx = *state;
    rmq_index_service_t *svc = open_idx(fx, ITEMS, true, 0);
    int64_t out[RMQ_INDEX_QUERY_MAX];
    for (int i = 0; i < 3; i++)
        assert_int_equal(put_keys(svc, "k", 100 * (i + 1), T0 + 10000 * i), 0);
    assert_int_equal(query(svc, "k", 64, T0 + 5000, T0 + 15000, out), 1);
    assert_int_equal(out[0], 200);
    /* Bounds are inclusive. */
    assert_int_equal(query(svc, "k", 64, T0 + 10000, T0 + 20000, out), 2);
    assert_int_equal(out[0], 300);
    assert_int_equal(out[1], 200);
    assert_int_equal(query(svc, "k", 64, T0 - 60000, T0 + 60000, out), 3);
    /* Entirely outside the file's time range. */
    assert_int_equal(query(svc, "k", 64, T0 + 30000, T0 + 40000, out), 0);
    assert_int_equal(query(svc, "k", 64, 0, T0 - 1, out), 0);
    rmq_index_close(svc);
}

static void test_hash_collisions(void **state)
{
    fixture_t *fx = *state;
    rmq_index_service_t *svc = open_idx(fx, ITEMS, true, 0);
    int64_t out[RMQ_INDEX_QUERY_MAX];
    /* Equal hashes ("Aa" and "BB"): the index cannot tell them apart. */
    assert_int_equal(hand_hash("TopicTest#Aa"), hand_hash("TopicTest#BB"));
    assert_int_equal(put_keys(svc, "Aa", 10, T0), 0);
    assert_int_equal(put_keys(svc, "BB", 20, T0 + 1000), 0);
    assert_int_equal(query(svc, "Aa", 64, 0, INT64_MAX, out), 2);
    assert_int_equal(out[0], 20);
    assert_int_equal(out[1], 10);

    /* Same slot, different hashes: one chain, each key finds its own item. */
    char other[32] = "", full[48] = "";
    int32_t h0 = hand_key_hash("TopicTest#k0");
    for (int i = 1; i < 100000 && !other[0]; i++) {
        snprintf(full, sizeof(full), "TopicTest#k%d", i);
        int32_t h = hand_key_hash(full);
        if (h != h0 && h % SLOTS == h0 % SLOTS)
            snprintf(other, sizeof(other), "k%d", i);
    }
    assert_true(other[0]);
    assert_int_equal(put_keys(svc, "k0", 30, T0 + 2000), 0);
    assert_int_equal(put_keys(svc, other, 40, T0 + 3000), 0);
    assert_int_equal(put_keys(svc, "k0", 50, T0 + 4000), 0);
    assert_int_equal(query(svc, "k0", 64, 0, INT64_MAX, out), 2);
    assert_int_equal(out[0], 50);
    assert_int_equal(out[1], 30);
    assert_int_equal(query(svc, other, 64, 0, INT64_MAX, out), 1);
    assert_int_equal(out[0], 40);
    rmq_index_close(svc);

    rmq_buf_t b = RMQ_BUF_INIT;
    read_nth_file(fx, 0, &b);
    assert_int_equal(be32_at(&b, slot_at(SLOTS, h0)), 5);
    assert_item(&b, 5, h0, 50, 4, 4);
    assert_item(&b, 4, hand_key_hash(full), 40, 3, 3);
    assert_item(&b, 3, h0, 30, 2, 0);
    /* Slots used: one for Aa/BB, one for the k0 chain. */
    assert_int_equal(be32_at(&b, 32), 2);
    rmq_buf_free(&b);
}

/* 10 items per file hold 9 keys (indexCount starts at 1).  Messages m0..m4
 * carry keys "all m<i>", the rest "all", which lays the files out as:
 *   file 1: m0..m3 (both keys), m4 "all"         full, ends at m4
 *   file 2: m4 "m4" (the message straddles), m5..m12  full, ends at m12
 *   file 3: m13..m21                              full, ends at m21
 *   file 4: m22..m24 */
#define SMALL 10
#define NMSG 25
#define TS(i) (T0 + 2000LL * (i))
#define OFF(i) (1000LL * ((i) + 1))

static void put_series(rmq_index_service_t *svc, int from, int to)
{
    for (int i = from; i < to; i++) {
        char keys[32] = "all";
        if (i < 5)
            snprintf(keys, sizeof(keys), "all m%d", i);
        assert_int_equal(put_keys(svc, keys, OFF(i), TS(i)), 0);
    }
}

/* The "all" query over all time returns exactly these messages. */
static void assert_all(rmq_index_service_t *svc, int n, const int *expect)
{
    int64_t out[RMQ_INDEX_QUERY_MAX];
    assert_int_equal(query(svc, "all", 64, 0, INT64_MAX, out), n);
    for (int i = 0; i < n; i++)
        assert_int_equal(out[i], OFF(expect[i]));
}

static void assert_all_descending(rmq_index_service_t *svc, int n)
{
    int expect[NMSG];
    for (int i = 0; i < n; i++)
        expect[i] = n - 1 - i;
    assert_all(svc, n, expect);
}

static void test_rollover(void **state)
{
    fixture_t *fx = *state;
    rmq_index_service_t *svc = open_idx(fx, SMALL, true, 0);
    int64_t out[RMQ_INDEX_QUERY_MAX];
    put_series(svc, 0, 4);
    assert_int_equal(rmq_index_file_count(svc), 1);
    put_series(svc, 4, 5);
    assert_int_equal(rmq_index_file_count(svc), 2);
    assert_int_equal(rmq_index_full_flushed_ts(svc), TS(4));
    put_series(svc, 5, NMSG);
    assert_int_equal(rmq_index_file_count(svc), 4);
    assert_int_equal(rmq_index_full_flushed_ts(svc), TS(21));

    assert_all_descending(svc, NMSG);
    assert_int_equal(query(svc, "m2", 64, 0, INT64_MAX, out), 1);
    assert_int_equal(out[0], OFF(2));
    assert_int_equal(query(svc, "m4", 64, 0, INT64_MAX, out), 1);
    assert_int_equal(out[0], OFF(4));

    /* Spanning files 2 and 1; file 1 begins before `begin`, so the walk ends there. */
    assert_int_equal(query(svc, "all", 64, TS(3), TS(7), out), 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(out[i], OFF(7 - i));
    /* File 3's first item measured its timeDiff from the begin time inherited
     * from file 2, so m13 reads as TS(14) (the Java quirk). */
    assert_int_equal(query(svc, "all", 64, TS(13), TS(13), out), 0);
    assert_int_equal(query(svc, "all", 64, TS(14), TS(14), out), 2);
    assert_int_equal(out[0], OFF(14));
    assert_int_equal(out[1], OFF(13));
    rmq_index_close(svc);

    char names[MAX_FILES][32];
    assert_int_equal(list_files(fx->dir, names), 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(strlen(names[i]), 17);
        assert_int_equal(strspn(names[i], "0123456789"), 17);
    }

    int32_t h_all = hand_key_hash("TopicTest#all"), h_m4 = hand_key_hash("TopicTest#m4");
    assert_int_not_equal(h_all % SLOTS, h_m4 % SLOTS);
    rmq_buf_t b = RMQ_BUF_INIT;
    read_nth_file(fx, 0, &b);
    assert_int_equal(be32_at(&b, 36), SMALL); /* full */
    assert_int_equal(be64_at(&b, 8), TS(4));
    assert_int_equal(be64_at(&b, 24), OFF(4));
    rmq_buf_free(&b);

    read_nth_file(fx, 1, &b);
    assert_int_equal(b.len, RMQ_INDEX_HEADER_SIZE + SLOTS * 4 + SMALL * 20);
    assert_int_equal(be64_at(&b, 0), TS(4));
    assert_int_equal(be64_at(&b, 8), TS(12));
    assert_int_equal(be64_at(&b, 16), OFF(4));
    assert_int_equal(be64_at(&b, 24), OFF(12));
    assert_int_equal(be32_at(&b, 32), 2);
    assert_int_equal(be32_at(&b, 36), SMALL);
    assert_item(&b, 1, h_m4, OFF(4), 0, 0);
    assert_item(&b, 2, h_all, OFF(5), 2, 0);
    assert_item(&b, 9, h_all, OFF(12), 16, 8);
    rmq_buf_free(&b);

    read_nth_file(fx, 2, &b);
    assert_int_equal(be64_at(&b, 0), TS(13));
    assert_int_equal(be64_at(&b, 16), OFF(13));
    assert_item(&b, 1, h_all, OFF(13), 2, 0); /* against the inherited TS(12) */
    assert_item(&b, 2, h_all, OFF(14), 2, 1);
    rmq_buf_free(&b);

    read_nth_file(fx, 3, &b);
    assert_int_equal(be32_at(&b, 36), 4);
    assert_int_equal(be32_at(&b, 32), 1);
    rmq_buf_free(&b);
}

static void test_new_file_inherits_header(void **state)
{
    fixture_t *fx = *state;
    rmq_index_service_t *svc = open_idx(fx, SMALL, true, 0);
    put_series(svc, 0, 4);
    assert_int_equal(put_keys(svc, "all", OFF(4), TS(4)), 0);
    assert_int_equal(rmq_index_file_count(svc), 1);
    rmq_index_close(svc);
    /* Reopened with a full newest file: even a put of an already indexed
     * offset creates the next file first, stamped with file 1's end values. */
    svc = open_idx(fx, SMALL, true, 0);
    assert_int_equal(put_keys(svc, "x", OFF(1), TS(1)), 0);
    assert_int_equal(rmq_index_file_count(svc), 2);
    assert_int_equal(rmq_index_full_flushed_ts(svc), TS(4));
    rmq_index_close(svc);
    rmq_buf_t b = RMQ_BUF_INIT;
    read_nth_file(fx, 1, &b);
    assert_int_equal(be64_at(&b, 0), TS(4));
    assert_int_equal(be64_at(&b, 8), TS(4));
    assert_int_equal(be64_at(&b, 16), OFF(4));
    assert_int_equal(be64_at(&b, 24), OFF(4));
    assert_int_equal(be32_at(&b, 32), 0);
    assert_int_equal(be32_at(&b, 36), 1);
    rmq_buf_free(&b);
}

static void test_reload(void **state)
{
    fixture_t *fx = *state;
    rmq_index_service_t *svc = open_idx(fx, SMALL, true, 0);
    put_series(svc, 0, 20);
    int64_t before[RMQ_INDEX_QUERY_MAX], after[RMQ_INDEX_QUERY_MAX];
    /* 17..13 from file 3, 12..5 from file 2, 4..2 from file 1. */
    int n = query(svc, "all", 64, TS(2), TS(17), before);
    assert_int_equal(n, 16);
    assert_int_equal(before[0], OFF(17));
    assert_int_equal(before[15], OFF(2));
    rmq_index_close(svc);

    svc = open_idx(fx, SMALL, true, 0);
    assert_int_equal(rmq_index_file_count(svc), 3);
    assert_int_equal(query(svc, "all", 64, TS(2), TS(17), after), n);
    assert_memory_equal(before, after, (size_t)n * sizeof(before[0]));
    assert_int_equal(query(svc, "m3", 64, 0, INT64_MAX, after), 1);
    /* The last file is not full: puts continue in it. */
    put_series(svc, 20, NMSG);
    assert_int_equal(rmq_index_file_count(svc), 4);
    assert_all_descending(svc, NMSG);
    rmq_index_close(svc);
}

static void test_crash_reload(void **state)
{
    fixture_t *fx = *state;
    rmq_index_service_t *svc = open_idx(fx, SMALL, true, 0);
    put_series(svc, 0, 20); /* files 1, 2 full; file 3 holds m13..m19 */
    int64_t ckpt = rmq_index_full_flushed_ts(svc);
    assert_int_equal(ckpt, TS(12));
    rmq_index_close(svc);

    /* A clean restart keeps everything whatever the checkpoint says. */
    svc = open_idx(fx, SMALL, true, 0);
    assert_int_equal(rmq_index_file_count(svc), 3);
    rmq_index_close(svc);

    /* After a crash file 3 (ends at TS(19) > checkpoint) goes; file 2 (ends
     * exactly at the checkpoint) stays. */
    svc = open_idx(fx, SMALL, false, ckpt);
    assert_int_equal(rmq_index_file_count(svc), 2);
    char names[MAX_FILES][32];
    assert_int_equal(list_files(fx->dir, names), 2);
    int64_t out[RMQ_INDEX_QUERY_MAX];
    assert_int_equal(query(svc, "all", 64, TS(13), INT64_MAX, out), 0);
    /* Re-dispatch from the start: offsets below file 2's end are skipped; m12
     * itself (== endPhyOffset) is indexed again, as Java does. */
    put_series(svc, 0, 20);
    assert_int_equal(rmq_index_file_count(svc), 3);
    int expect[21];
    for (int i = 0; i < 8; i++)
        expect[i] = 19 - i; /* 19..12 in the new file 3 */
    for (int i = 0; i < 13; i++)
        expect[8 + i] = 12 - i; /* 12..0 in files 2 and 1 */
    assert_all(svc, 21, expect);
    assert_int_equal(query(svc, "m1", 64, 0, INT64_MAX, out), 1);
    rmq_index_close(svc);
}

static void test_delete_expired(void **state)
{
    fixture_t *fx = *state;
    rmq_index_service_t *svc = open_idx(fx, SMALL, true, 0);
    put_series(svc, 0, NMSG); /* ends: OFF(4), OFF(12), OFF(21), OFF(24) */
    assert_int_equal(rmq_index_file_count(svc), 4);
    assert_int_equal(rmq_index_delete_expired(svc, OFF(4)), 0); /* not below */
    assert_int_equal(rmq_index_delete_expired(svc, OFF(4) + 1), 1);
    assert_int_equal(rmq_index_file_count(svc), 3);
    char names[MAX_FILES][32];
    assert_int_equal(list_files(fx->dir, names), 3);
    int64_t out[RMQ_INDEX_QUERY_MAX];
    assert_int_equal(query(svc, "m2", 64, 0, INT64_MAX, out), 0);
    assert_int_equal(query(svc, "m4", 64, 0, INT64_MAX, out), 1);
    assert_int_equal(query(svc, "all", 64, 0, INT64_MAX, out), NMSG - 5);
    /* Never the newest file. */
    assert_int_equal(rmq_index_delete_expired(svc, INT64_MAX), 2);
    assert_int_equal(rmq_index_file_count(svc), 1);
    assert_int_equal(rmq_index_delete_expired(svc, INT64_MAX), 0);
    assert_int_equal(list_files(fx->dir, names), 1);
    assert_int_equal(query(svc, "all", 64, 0, INT64_MAX, out), 3);
    rmq_index_close(svc);
}

static void test_skip_indexed(void **state)
{
    fixture_t *fx = *state;
    rmq_index_service_t *svc = open_idx(fx, ITEMS, true, 0);
    int64_t out[RMQ_INDEX_QUERY_MAX];
    assert_int_equal(put_keys(svc, "a", 1000, T0), 0);
    assert_int_equal(put_keys(svc, "b", 999, T0), 0); /* below endPhyOffset */
    assert_int_equal(query(svc, "b", 64, 0, INT64_MAX, out), 0);
    assert_int_equal(put_keys(svc, "c", 1000, T0), 0); /* equal: indexed */
    assert_int_equal(query(svc, "c", 64, 0, INT64_MAX, out), 1);
    rmq_index_close(svc);
}

static void test_max_num(void **state)
{
    fixture_t *fx = *state;
    rmq_index_service_t *svc = open_idx(fx, ITEMS, true, 0);
    int64_t out[RMQ_INDEX_QUERY_MAX];
    for (int i = 0; i < 100; i++)
        assert_int_equal(put_keys(svc, "hot", 10 * (i + 1), T0 + i), 0);
    assert_int_equal(query(svc, "hot", 1000, 0, INT64_MAX, out), RMQ_INDEX_QUERY_MAX);
    assert_int_equal(out[0], 1000);
    assert_int_equal(out[63], 10 * 37);
    assert_int_equal(query(svc, "hot", 10, 0, INT64_MAX, out), 10);
    assert_int_equal(query(svc, "hot", 0, 0, INT64_MAX, out), 0);
    assert_int_equal(query(svc, "hot", -5, 0, INT64_MAX, out), 0);
    rmq_index_close(svc);
}

static void test_short_file_refused(void **state)
{
    fixture_t *fx = *state;
    rmq_index_service_t *svc = open_idx(fx, ITEMS, true, 0); /* creates the directory */
    rmq_index_close(svc);
    uint8_t junk[100] = {0};
    write_file(fx, "20240101000000000", junk, sizeof(junk));
    /* Foreign names are ignored, unfinished creations removed. */
    write_file(fx, "README", junk, 1);
    write_file(fx, "20240101000000001.tmp", junk, 1);
    rmq_index_opts_t o = {fx->dir, SLOTS, ITEMS, true, 0};
    char err[256] = "";
    assert_null(rmq_index_open(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "20240101000000000"));
    assert_non_null(strstr(err, "100 bytes"));
    char names[MAX_FILES][32];
    assert_int_equal(list_files(fx->dir, names), 2);
    assert_string_equal(names[0], "20240101000000000");
    assert_string_equal(names[1], "README");

    /* Bad geometry. */
    rmq_index_opts_t bad = {fx->dir, SLOTS, 1, true, 0};
    assert_null(rmq_index_open(&bad, err, sizeof(err)));
}

static void put_be32_at(uint8_t *p, size_t pos, int32_t v)
{
    rmq_put_be32(p + pos, (uint32_t)v);
}

static void put_be64_at(uint8_t *p, size_t pos, int64_t v)
{
    rmq_put_be32(p + pos, (uint32_t)((uint64_t)v >> 32));
    rmq_put_be32(p + pos + 4, (uint32_t)v);
}

static void test_corrupt_headers(void **state)
{
    fixture_t *fx = *state;
    rmq_index_service_t *svc = open_idx(fx, ITEMS, true, 0);
    rmq_index_close(svc);
    int32_t h = hand_key_hash("TopicTest#x");
    int64_t out[RMQ_INDEX_QUERY_MAX];
    uint8_t *f = calloc(1, FILE_SIZE + 64); /* longer than needed is fine */

    /* File 1: indexCount far beyond the file, slot pointing past the items. */
    put_be64_at(f, 0, 1);
    put_be64_at(f, 8, INT64_MAX);
    put_be32_at(f, 36, INT32_MAX);
    put_be32_at(f, slot_at(SLOTS, h), ITEMS + 5);
    write_file(fx, "20240101000000000", f, FILE_SIZE + 64);

    /* File 2: a cycle 3 -> 2 -> 3 of matching items, a huge begin time. */
    memset(f, 0, FILE_SIZE);
    put_be64_at(f, 0, INT64_MAX - 5);
    put_be64_at(f, 8, INT64_MAX);
    put_be32_at(f, 36, 5);
    put_be32_at(f, slot_at(SLOTS, h), 3);
    for (int no = 2; no <= 3; no++) {
        put_be32_at(f, item_at(SLOTS, no), h);
        put_be64_at(f, item_at(SLOTS, no) + 4, 70 + no);
        put_be32_at(f, item_at(SLOTS, no) + 12, INT32_MAX);
        put_be32_at(f, item_at(SLOTS, no) + 16, no == 3 ? 2 : 3);
    }
    write_file(fx, "20240101000000001", f, FILE_SIZE);

    svc = open_idx(fx, ITEMS, true, 0);
    assert_int_equal(rmq_index_file_count(svc), 2);
    /* The begin time wraps (as Java's long does) to a negative read time. */
    assert_int_equal(query(svc, "x", 64, INT64_MIN, INT64_MAX, out), 5);
    assert_int_equal(out[0], 73);
    assert_int_equal(out[1], 72);
    rmq_index_close(svc);

    /* A negative timeDiff ends the chain. */
    put_be32_at(f, item_at(SLOTS, 3) + 12, -1);
    write_file(fx, "20240101000000001", f, FILE_SIZE);
    /* File 3: indexCount 0 is read as 1. */
    memset(f, 0, FILE_SIZE);
    write_file(fx, "20240101000000002", f, FILE_SIZE);
    svc = open_idx(fx, ITEMS, true, 0);
    assert_int_equal(query(svc, "x", 64, INT64_MIN, INT64_MAX, out), 0);
    assert_int_equal(put_keys(svc, "x", 5, T0), 0);
    assert_int_equal(rmq_index_file_count(svc), 3);
    assert_int_equal(query(svc, "x", 64, T0, T0, out), 1);
    assert_int_equal(out[0], 5);
    rmq_index_close(svc);
    rmq_buf_t b = RMQ_BUF_INIT;
    read_nth_file(fx, 2, &b);
    assert_int_equal(be32_at(&b, 36), 2);
    assert_item(&b, 1, h, 5, 0, 0);
    rmq_buf_free(&b);
    free(f);
}

typedef struct race {
    rmq_index_service_t *svc;
    _Atomic int stop;
    _Atomic int progress;
    int found;
} race_t;

/* Queries, counts and deletions on another thread while the dispatch thread
 * puts and rolls files (run under the sanitizers). */
static void *query_loop(void *arg)
{
    race_t *r = arg;
    int64_t out[RMQ_INDEX_QUERY_MAX];
    while (!r->stop) {
        int n = query(r->svc, "all", 64, 0, INT64_MAX, out);
        if (n > r->found)
            r->found = n;
        assert_true(rmq_index_file_count(r->svc) >= 0);
        rmq_index_delete_expired(r->svc, OFF(r->progress - 40));
    }
    return NULL;
}

static void test_concurrent_queries(void **state)
{
    fixture_t *fx = *state;
    race_t r = {open_idx(fx, SMALL, true, 0), 0, 0, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, query_loop, &r), 0);
    for (int i = 0; i < 600; i++) {
        assert_int_equal(put_keys(r.svc, "all", OFF(i), TS(i)), 0);
        r.progress = i;
    }
    r.stop = 1;
    pthread_join(t, NULL);
    assert_true(r.found <= RMQ_INDEX_QUERY_MAX);
    /* the query thread may have been starved on a loaded machine: the last
     * deletion is done here, so the count below does not depend on timing */
    rmq_index_delete_expired(r.svc, OFF(r.progress - 40));
    assert_true(rmq_index_file_count(r.svc) < 10);
    assert_int_equal(rmq_index_flush(r.svc), 0);
    rmq_index_close(r.svc);
}

int main(void)
{
    rmq_log_set_level(RMQ_LOG_WARN); /* file roll-overs and deletions log at INFO */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_golden_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hash_collisions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_file_inherits_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_indexed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_num, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_queries, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
