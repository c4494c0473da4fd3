/* A reader test that opens a store directory and walks it with nothing but
 * the format description (reference broker.md 1.3, 1.4, 1.6, 1.7, 2.1, 2.3).
 *
 * The store writes a directory the usual way: a few topics and queues, tags
 * (one not ASCII), keys, unique keys, a batch, an IPv6 born host, an empty
 * body, records crossing many small segments, then a clean close.  The
 * walker below then reads the files on its own: it uses libc and zlib's
 * crc32 and no store code at all (no record.h helpers, no store calls), so a
 * drift between the store and the documented layout shows up here even when
 * the store agrees with itself.  The writer only keeps what it sent and what
 * the puts answered, to compare with what the walker finds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "base/log.h"
#include "store_test_util.h"

/* Sizes the writer configures and the walker is told (they are not in the
 * files: a Java reader would take them from the broker configuration). */
#define SEG_SIZE 8192
#define CQ_FILE_SIZE 200 /* 10 entries */
#define HASH_SLOTS 64
#define INDEX_ITEMS 256
#define NMSG 400
#define BATCH 5

/* ======================================================================
 * The writer: the real store.
 * ====================================================================== */

typedef struct sent {
    char topic[32];
    int32_t qid;
    uint8_t body[1100];
    size_t body_len;
    char props[256];
    size_t props_len;
    const char *tags; /* NULL: none */
    bool born_v6;
    int64_t phys;   /* from the put result */
    int64_t qoff;
    int64_t store_ts;
    bool found;     /* the walker met its record */
} sent_t;

static sent_t sent[NMSG + BATCH];
static size_t nsent;

static const char *const TAGS[] = {"TagA", "TagB", "\xe6\xa0\x87\xe7\xad\xbe" /* 标签 */, NULL};
/* the key looked up in the index: not ASCII, one character outside the BMP */
#define LOOKUP_TOPIC "ReaderA"
#define LOOKUP_KEY "\xe8\xae\xa2\xe5\x8d\x95-42-\xf0\x9f\x9a\x80" /* 订单-42-🚀 */

static void fill_msg(sent_t *m, size_t i, const char *topic, int32_t qid)
{
    snprintf(m->topic, sizeof(m->topic), "%s", topic);
    m->qid = qid;
    /* sizes 0..1040: the empty body is legal and has CRC 0 */
    m->body_len = i == 7 ? 0 : (i * 131 + 17) % 1041;
    for (size_t k = 0; k < m->body_len; k++)
        m->body[k] = (uint8_t)(i * 7 + k * 13);
    m->tags = TAGS[i % 4];
    size_t n = 0;
    if (m->tags)
        n += (size_t)snprintf(m->props + n, sizeof(m->props) - n, "TAGS\001%s", m->tags);
    if (i == 42)
        n += (size_t)snprintf(m->props + n, sizeof(m->props) - n, "%sKEYS\001%s",
                              n ? "\002" : "", LOOKUP_KEY);
    else if (i % 3 == 0)
        n += (size_t)snprintf(m->props + n, sizeof(m->props) - n, "%sKEYS\001order-%zu k%zu",
                              n ? "\002" : "", i, i);
    if (i % 5 == 0)
        n += (size_t)snprintf(m->props + n, sizeof(m->props) - n,
                              "%sUNIQ_KEY\001AC11000100002A9F0000%08zX", n ? "\002" : "", i);
    m->props_len = n;
    m->born_v6 = i == 11;
}

static void to_msg_in(const sent_t *m, rmq_msg_in_t *in)
{
    memset(in, 0, sizeof(*in));
    in->topic = m->topic;
    in->topic_len = strlen(m->topic);
    in->queue_id = m->qid;
    in->flag = (int32_t)m->qid * 10;
    in->body = m->body;
    in->body_len = m->body_len;
    in->properties = m->props_len ? m->props : NULL;
    in->properties_len = m->props_len;
    in->born_timestamp = 1700000000000;
    rmq_host_parse(m->born_v6 ? "[2001:db8::7]:50000" : "127.0.0.1:50000", &in->born_host);
    rmq_host_parse("127.0.0.1:10911", &in->store_host);
}

static void write_store(const char *root)
{
    rmq_store_config_t cfg;
    st_config(&cfg, root);
    rmq_conf_set(rmq_store_conf_defs, &cfg, "mappedFileSizeCommitLog", "8192", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, &cfg, "mappedFileSizeConsumeQueue", "200", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, &cfg, "maxHashSlotNum", "64", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, &cfg, "maxIndexNum", "256", NULL, 0);
    /* every put flushed: the checkpoint's physic time is then set */
    rmq_conf_set(rmq_store_conf_defs, &cfg, "flushDiskType", "SYNC_FLUSH", NULL, 0);
    char err[256];
    rmq_store_t *s = rmq_store_open(&cfg, err, sizeof(err));
    if (!s)
        fail_msg("open: %s", err);
    static const char *const topics[] = {"ReaderA", "ReaderB", "ReaderC"};
    nsent = 0;
    for (size_t i = 0; i < NMSG; i++) {
        sent_t *m = &sent[nsent++];
        fill_msg(m, i, i == 42 ? LOOKUP_TOPIC : topics[i % 3], (int32_t)(i % 4));
        rmq_msg_in_t in;
        to_msg_in(m, &in);
        rmq_put_result_t r;
        assert_int_equal(rmq_store_put_sync(s, &in, 1, &r), RMQ_PUT_OK);
        m->phys = r.wrote_offset;
        m->qoff = r.queue_offset;
        m->store_ts = r.store_timestamp;
        if (i == NMSG / 2) {
            /* a batch: five records under one lock, consecutive offsets */
            rmq_msg_in_t b[BATCH];
            size_t first = nsent;
            for (size_t k = 0; k < BATCH; k++) {
                sent_t *bm = &sent[nsent++];
                fill_msg(bm, 1000 + k, "ReaderBatch", 1);
                to_msg_in(bm, &b[k]);
            }
            assert_int_equal(rmq_store_put_sync(s, b, BATCH, &r), RMQ_PUT_OK);
            int64_t phys = r.wrote_offset;
            for (size_t k = 0; k < BATCH; k++) {
                sent_t *bm = &sent[first + k];
                bm->phys = phys;
                bm->qoff = r.queue_offset + (int64_t)k;
                bm->store_ts = r.store_timestamp;
                rmq_msg_in_t tmp;
                to_msg_in(bm, &tmp);
                phys += (int64_t)rmq_record_size(&tmp);
            }
        }
    }
    /* many segments, each closed by a BLANK record */
    assert_true(rmq_store_commitlog_max_offset(s) > 20 * SEG_SIZE);
    rmq_store_close(s);
    rmq_conf_free(rmq_store_conf_defs, &cfg);
}

/* ======================================================================
 * The walker: libc and zlib only, from here on.
 * ====================================================================== */

#define MESSAGE_MAGIC 0xDAA320A7u
#define BLANK_MAGIC 0xCBD43194u

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static char *path2(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* Whole file into memory. */
static uint8_t *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    close(fd);
    *len = got;
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of dir's entries of exactly `len` digits (len 0: any name not
 * starting with a dot). */
static char **list_dir(const char *dir, size_t len, size_t *n)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    char **names = NULL;
    size_t cap = 0;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (len && (strlen(e->d_name) != len || strspn(e->d_name, "0123456789") != len))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            names = realloc(names, cap * sizeof(*names));
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (*n)
        qsort(names, *n, sizeof(*names), cmp_str);
    return names;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Java String.hashCode of UTF-8 text: over UTF-16 code units, a character
 * outside the BMP as its surrogate pair. */
static int32_t java_hash(const char *s, size_t len)
{
    uint32_t h = 0;
    const uint8_t *p = (const uint8_t *)s, *end = p + len;
    while (p < end) {
        uint32_t cp;
        size_t n;
        if (p[0] < 0x80) {
            cp = p[0];
            n = 1;
        } else if ((p[0] & 0xE0) == 0xC0 && end - p >= 2) {
            cp = (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
            n = 2;
        } else if ((p[0] & 0xF0) == 0xE0 && end - p >= 3) {
            cp = (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
            n = 3;
        } else if ((p[0] & 0xF8) == 0xF0 && end - p >= 4) {
            cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
                 (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
            n = 4;
        } else {
            cp = 0xFFFD; /* not UTF-8: Java's decoder substitutes */
            n = 1;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            h = h * 31 + (0xD800 + (cp >> 10));
            h = h * 31 + (0xDC00 + (cp & 0x3FF));
        } else {
            h = h * 31 + cp;
        }
        p += n;
    }
    return (int32_t)h;
}

/* IndexService.indexKeyHashMethod */
static int32_t key_hash(const char *topic, const char *key, size_t klen)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s#%.*s", topic, (int)klen, key);
    int32_t h = java_hash(buf, (size_t)n);
    if (h < 0)
        h = h == INT32_MIN ? 0 : -h;
    return h;
}

/* A property of "k\001v\002k\001v"; true with *v, *vlen. */
static bool prop(const char *props, size_t len, const char *name, const char **v, size_t *vlen)
{
    size_t nl = strlen(name);
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && props[j] != '\002')
            j++;
        if (j - i > nl && memcmp(props + i, name, nl) == 0 && props[i + nl] == '\001') {
            *v = props + i + nl + 1;
            *vlen = j - i - nl - 1;
            return true;
        }
        i = j + 1;
    }
    return false;
}

/* One record as the walker parsed it. */
typedef struct rec {
    int64_t phys;
    int32_t size;
    int32_t queue_id;
    int32_t flag;
    int64_t queue_offset;
    int32_t sysflag;
    int64_t store_ts;
    const uint8_t *body;
    int32_t body_len;
    char topic[128];
    const char *props;
    int32_t props_len;
    int cq_refs;    /* consume-queue entries pointing at it */
} rec_t;

typedef struct walk {
    const char *root;
    rec_t *recs;
    size_t nrecs, cap;
    uint8_t **files; /* commit log file contents, kept: records point into them */
    size_t nfiles;
    int64_t cl_end;
} walk_t;

static rec_t *find_rec(walk_t *w, int64_t phys)
{
    size_t lo = 0, hi = w->nrecs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->recs[mid].phys < phys)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->nrecs && w->recs[lo].phys == phys ? &w->recs[lo] : NULL;
}

/* Parses the message record at p (avail bytes to the file end) per 2.1. */
static void parse_record(const uint8_t *p, size_t avail, int64_t phys, rec_t *r)
{
    assert_true(avail >= 8);
    int32_t total = (int32_t)rd32(p);
    assert_true(total > 0 && (size_t)total <= avail);
    r->phys = phys;
    r->size = total;
    assert_int_equal(rd32(p + 4), MESSAGE_MAGIC);
    uint32_t body_crc = rd32(p + 8);
    r->queue_id = (int32_t)rd32(p + 12);
    r->flag = (int32_t)rd32(p + 16);
    r->queue_offset = (int64_t)rd64(p + 20);
    /* PHYSICALOFFSET = file name + position */
    assert_int_equal((int64_t)rd64(p + 28), phys);
    r->sysflag = (int32_t)rd32(p + 36);
    size_t born_len = (r->sysflag & 0x10) ? 20 : 8;
    size_t store_len = (r->sysflag & 0x20) ? 20 : 8;
    size_t at = 48 + born_len;               /* BORNHOST after BORNTIMESTAMP at 40 */
    r->store_ts = (int64_t)rd64(p + at);
    at += 8 + store_len + 4 + 8;             /* STORETIMESTAMP, STOREHOST, RECONSUME, PREPARED */
    assert_true(at + 4 <= (size_t)total);
    r->body_len = (int32_t)rd32(p + at);
    assert_true(r->body_len >= 0 && at + 4 + (size_t)r->body_len + 1 <= (size_t)total);
    r->body = p + at + 4;
    at += 4 + (size_t)r->body_len;
    uint8_t tlen = p[at];
    assert_true(tlen > 0 && tlen <= 127 && at + 1 + tlen + 2 <= (size_t)total);
    memcpy(r->topic, p + at + 1, tlen);
    r->topic[tlen] = '\0';
    at += 1 + tlen;
    r->props_len = rd16(p + at);
    r->props = (const char *)p + at + 2;
    at += 2 + (size_t)r->props_len;
    /* TOTALSIZE equals the length recomputed from the fields */
    assert_int_equal(at, (size_t)total);
    assert_int_equal(total, 91 - 16 + (int32_t)born_len + (int32_t)store_len + r->body_len +
                                tlen + r->props_len);
    /* BODYCRC = crc32(body) & 0x7FFFFFFF */
    uint32_t crc = (uint32_t)crc32(0, r->body, (uInt)r->body_len) & 0x7FFFFFFFu;
    assert_int_equal(body_crc, crc);
}

/* commitlog/: records back to back; every file but the last ends with a
 * BLANK record covering its rest; after the last record, zeros. */
static void walk_commitlog(walk_t *w)
{
    char *dir = path2(w->root, "commitlog");
    size_t n;
    char **names = list_dir(dir, 20, &n);
    assert_true(n > 1);
    w->files = calloc(n, sizeof(*w->files));
    w->nfiles = n;
    int64_t expect_start = 0;
    bool ended = false;
    for (size_t i = 0; i < n; i++) {
        char *path = path2(dir, names[i]);
        size_t len;
        uint8_t *f = slurp(path, &len);
        free(path);
        w->files[i] = f;
        assert_int_equal(len, SEG_SIZE);
        int64_t start = strtoll(names[i], NULL, 10);
        /* a new store starts at 0; files are contiguous */
        assert_int_equal(start, expect_start);
        expect_start = start + (int64_t)len;
        assert_false(ended); /* no file after the one where the data ended */
        size_t pos = 0;
        for (;;) {
            if (pos + 8 > len) {
                /* only a BLANK may close a file, and it always fits */
                fail_msg("%s: data runs to the end without a BLANK record", names[i]);
            }
            uint32_t total = rd32(f + pos), magic = rd32(f + pos + 4);
            if (magic == BLANK_MAGIC) {
                /* 2.3: TOTALSIZE = bytes left in the file */
                assert_int_equal(total, len - pos);
                assert_true(i + 1 < n);
                break;
            }
            if (magic == 0 && total == 0) {
                /* the end of the data: nothing but zeros after it */
                for (size_t k = pos; k < len; k++)
                    if (f[k] != 0)
                        fail_msg("%s: byte %zu after the last record is not zero", names[i], k);
                ended = true;
                w->cl_end = start + (int64_t)pos;
                break;
            }
            if (w->nrecs == w->cap) {
                w->cap = w->cap ? w->cap * 2 : 256;
                w->recs = realloc(w->recs, w->cap * sizeof(*w->recs));
            }
            rec_t *r = &w->recs[w->nrecs++];
            memset(r, 0, sizeof(*r));
            parse_record(f + pos, len - pos, start + (int64_t)pos, r);
            pos += (size_t)r->size;
        }
    }
    assert_true(ended);
    free_list(names, n);
    free(dir);
}

/* Each record is one the writer sent, at the offsets the put reported. */
static void match_sent(walk_t *w)
{
    assert_int_equal(w->nrecs, nsent);
    for (size_t i = 0; i < nsent; i++) {
        sent_t *m = &sent[i];
        rec_t *r = find_rec(w, m->phys);
        if (!r)
            fail_msg("message %zu: no record at %lld", i, (long long)m->phys);
        assert_string_equal(r->topic, m->topic);
        assert_int_equal(r->queue_id, m->qid);
        assert_int_equal(r->flag, m->qid * 10);
        assert_int_equal(r->queue_offset, m->qoff);
        assert_int_equal(r->store_ts, m->store_ts);
        assert_int_equal(r->body_len, (int32_t)m->body_len);
        assert_memory_equal(r->body, m->body, m->body_len);
        assert_int_equal(r->props_len, (int32_t)m->props_len);
        assert_memory_equal(r->props, m->props, m->props_len);
        assert_int_equal(!!(r->sysflag & 0x10), m->born_v6);
        m->found = true;
    }
    /* the batch: five records back to back, one store time */
    size_t b = NMSG / 2 + 1;
    rec_t *r0 = find_rec(w, sent[b].phys);
    for (size_t k = 1; k < BATCH; k++) {
        assert_int_equal(r0[k].phys, r0[k - 1].phys + r0[k - 1].size);
        assert_int_equal(r0[k].store_ts, r0[0].store_ts);
        assert_int_equal(r0[k].queue_offset, r0[0].queue_offset + (int64_t)k);
    }
}

/* consumequeue/<topic>/<queueId>/: 20-byte entries, entry n at byte n x 20
 * of the queue, file names the byte offset of their first entry. */
static void walk_cq(walk_t *w, const char *topic, int32_t qid, const char *dir)
{
    size_t n;
    char **names = list_dir(dir, 20, &n);
    assert_true(n > 0);
    int64_t expect_start = 0, index = 0;
    bool ended = false;
    for (size_t i = 0; i < n; i++) {
        char *path = path2(dir, names[i]);
        size_t len;
        uint8_t *f = slurp(path, &len);
        free(path);
        /* 1.4: the configured size rounded up to whole entries */
        assert_int_equal(len, CQ_FILE_SIZE);
        assert_int_equal(strtoll(names[i], NULL, 10), expect_start);
        expect_start += (int64_t)len;
        assert_false(ended);
        for (size_t pos = 0; pos + 20 <= len; pos += 20) {
            int64_t off = (int64_t)rd64(f + pos);
            int32_t size = (int32_t)rd32(f + pos + 8);
            int64_t tags = (int64_t)rd64(f + pos + 12);
            if (size == 0) {
                /* end of the queue: zeros from here */
                for (size_t k = pos; k < len; k++)
                    assert_int_equal(f[k], 0);
                ended = true;
                break;
            }
            rec_t *r = find_rec(w, off);
            if (!r)
                fail_msg("%s-%d entry %lld: no record at %lld", topic, qid, (long long)index,
                         (long long)off);
            assert_string_equal(r->topic, topic);
            assert_int_equal(r->queue_id, qid);
            assert_int_equal(r->size, size);
            assert_int_equal(r->queue_offset, index);
            const char *tv;
            size_t tl;
            int64_t want = prop(r->props, (size_t)r->props_len, "TAGS", &tv, &tl)
                               ? (int64_t)java_hash(tv, tl)
                               : 0;
            assert_int_equal(tags, want);
            r->cq_refs++;
            index++;
        }
        free(f);
    }
    free_list(names, n);
}

static void walk_cqs(walk_t *w)
{
    char *root = path2(w->root, "consumequeue");
    size_t nt;
    char **topics = list_dir(root, 0, &nt);
    assert_true(nt >= 4);
    for (size_t t = 0; t < nt; t++) {
        char *tdir = path2(root, topics[t]);
        size_t nq;
        char **qids = list_dir(tdir, 0, &nq);
        assert_true(nq > 0);
        for (size_t q = 0; q < nq; q++) {
            char *end;
            long qid = strtol(qids[q], &end, 10);
            assert_true(*end == '\0' && qid >= 0);
            char *qdir = path2(tdir, qids[q]);
            walk_cq(w, topics[t], (int32_t)qid, qdir);
            free(qdir);
        }
        free_list(qids, nq);
        free(tdir);
    }
    free_list(topics, nt);
    free(root);
    /* every record (none is transactional) has exactly one entry */
    for (size_t i = 0; i < w->nrecs; i++)
        if (w->recs[i].cq_refs != 1)
            fail_msg("record at %lld has %d consume queue entries", (long long)w->recs[i].phys,
                     w->recs[i].cq_refs);
}

/* checkpoint: 4096 bytes, physic | logics | index timestamps. */
static void walk_checkpoint(walk_t *w, int64_t *index_ts)
{
    char *path = path2(w->root, "checkpoint");
    size_t len;
    uint8_t *f = slurp(path, &len);
    free(path);
    assert_int_equal(len, 4096);
    int64_t physic = (int64_t)rd64(f), logics = (int64_t)rd64(f + 8);
    *index_ts = (int64_t)rd64(f + 16);
    int64_t lo = INT64_MAX, hi = 0;
    for (size_t i = 0; i < w->nrecs; i++) {
        if (w->recs[i].store_ts < lo)
            lo = w->recs[i].store_ts;
        if (w->recs[i].store_ts > hi)
            hi = w->recs[i].store_ts;
    }
    /* store times of records: SYNC_FLUSH flushed the last one, and dispatch
     * had caught up with it at the clean close */
    assert_true(physic >= lo && physic <= hi);
    assert_int_equal(logics, hi);
    assert_true(*index_ts == 0 || (*index_ts >= lo && *index_ts <= hi));
    /* plausible as wall-clock time too: within the last hour */
    int64_t now = (int64_t)time(NULL) * 1000;
    assert_true(hi <= now + 1000 && lo > now - 3600 * 1000);
    /* the 5.x fields are not written by a 4.x store */
    for (size_t k = 24; k < len; k++)
        assert_int_equal(f[k], 0);
    free(f);
}

/* The keys a record is indexed under (1.6): UNIQ_KEY, then each KEYS token. */
static bool indexed_under(const rec_t *r, int32_t hash)
{
    const char *v;
    size_t vl;
    if (prop(r->props, (size_t)r->props_len, "UNIQ_KEY", &v, &vl) &&
        key_hash(r->topic, v, vl) == hash)
        return true;
    if (!prop(r->props, (size_t)r->props_len, "KEYS", &v, &vl))
        return false;
    for (size_t i = 0; i < vl;) {
        size_t j = i;
        while (j < vl && v[j] != ' ')
            j++;
        if (j > i && key_hash(r->topic, v + i, j - i) == hash)
            return true;
        i = j + 1;
    }
    return false;
}

static size_t count_keys(const rec_t *r)
{
    const char *v;
    size_t vl, n = 0;
    if (prop(r->props, (size_t)r->props_len, "UNIQ_KEY", &v, &vl))
        n++;
    if (prop(r->props, (size_t)r->props_len, "KEYS", &v, &vl))
        for (size_t i = 0; i < vl;) {
            size_t j = i;
            while (j < vl && v[j] != ' ')
                j++;
            n += j > i;
            i = j + 1;
        }
    return n;
}

/* index/: header, hash slots, items; every item is reachable from its slot,
 * belongs to a record indexed under its hash; one key is looked up. */
static void walk_index(walk_t *w, int64_t index_ts)
{
    char *dir = path2(w->root, "index");
    size_t n;
    char **names = list_dir(dir, 17, &n);
    assert_true(n >= 2); /* more keys than one small file holds */
    size_t want_size = 40 + HASH_SLOTS * 4 + INDEX_ITEMS * 20;
    int32_t lookup = key_hash(LOOKUP_TOPIC, LOOKUP_KEY, strlen(LOOKUP_KEY));
    int64_t found_at = -1;
    size_t total_items = 0;
    bool index_ts_seen = index_ts == 0;
    int64_t prev_end_off = -1;
    for (size_t i = 0; i < n; i++) {
        char *path = path2(dir, names[i]);
        size_t len;
        uint8_t *f = slurp(path, &len);
        free(path);
        assert_int_equal(len, want_size);
        int64_t begin_ts = (int64_t)rd64(f), end_ts = (int64_t)rd64(f + 8);
        int64_t begin_off = (int64_t)rd64(f + 16), end_off = (int64_t)rd64(f + 24);
        int32_t slot_count = (int32_t)rd32(f + 32), count = (int32_t)rd32(f + 36);
        assert_true(count >= 1 && count <= INDEX_ITEMS);
        assert_true(count > 1); /* no empty file is left behind */
        /* offsets and times are those of the first and last indexed record */
        rec_t *rb = find_rec(w, begin_off), *re = find_rec(w, end_off);
        assert_non_null(rb);
        assert_non_null(re);
        assert_int_equal(rb->store_ts, begin_ts);
        assert_int_equal(re->store_ts, end_ts);
        assert_true(begin_off <= end_off && begin_ts <= end_ts);
        assert_true(begin_off >= prev_end_off && end_off < w->cl_end);
        prev_end_off = end_off;
        if (end_ts == index_ts && i + 1 < n)
            index_ts_seen = true;
        assert_true(slot_count >= 1 && slot_count <= HASH_SLOTS && slot_count < count);
        const uint8_t *slots = f + 40, *items = f + 40 + HASH_SLOTS * 4;
        /* walk every chain: each item is met once, from its own slot */
        uint8_t *seen = calloc((size_t)count, 1);
        int32_t used_slots = 0;
        for (int32_t s = 0; s < HASH_SLOTS; s++) {
            int32_t it = (int32_t)rd32(slots + s * 4);
            assert_true(it >= 0 && it < count);
            used_slots += it > 0;
            int32_t last = INT32_MAX;
            while (it > 0) {
                /* chains run from the newest item to older ones */
                assert_true(it < last);
                last = it;
                assert_false(seen[it]);
                seen[it] = 1;
                const uint8_t *item = items + (size_t)it * 20;
                int32_t h = (int32_t)rd32(item);
                int64_t off = (int64_t)rd64(item + 4);
                int32_t tdiff = (int32_t)rd32(item + 12);
                assert_true(h >= 0 && h % HASH_SLOTS == s);
                rec_t *r = find_rec(w, off);
                if (!r)
                    fail_msg("index %s item %d: no record at %lld", names[i], it,
                             (long long)off);
                assert_true(indexed_under(r, h));
                assert_true(off >= begin_off && off <= end_off);
                /* seconds since the file's begin time (the first item of a
                 * later file counts from the previous file's end: 1.6) */
                assert_true(tdiff >= 0 && begin_ts + (int64_t)tdiff * 1000 <= r->store_ts + 1000);
                if (h == lookup && indexed_under(r, lookup) && strcmp(r->topic, LOOKUP_TOPIC) == 0)
                    found_at = off;
                it = (int32_t)rd32(item + 16);
            }
        }
        for (int32_t it = 1; it < count; it++)
            if (!seen[it])
                fail_msg("index %s: item %d is in no slot chain", names[i], it);
        /* hashSlotCount counts slots that went from empty to used */
        assert_int_equal(slot_count, used_slots);
        total_items += (size_t)(count - 1);
        free(seen);
        free(f);
    }
    /* one item per key of every record */
    size_t keys = 0;
    for (size_t i = 0; i < w->nrecs; i++)
        keys += count_keys(&w->recs[i]);
    assert_int_equal(total_items, keys);
    /* the checkpoint's index time is the end of a full (not the newest) file */
    assert_true(index_ts_seen);
    free_list(names, n);
    free(dir);
    /* the lookup through the slot chain found the one record with that key */
    assert_int_equal(found_at, sent[42].phys);
}

/* Looks the key up the way a reader would: slot, then the chain. */
static void lookup_key(walk_t *w)
{
    char *dir = path2(w->root, "index");
    size_t n;
    char **names = list_dir(dir, 17, &n);
    int32_t h = key_hash(LOOKUP_TOPIC, LOOKUP_KEY, strlen(LOOKUP_KEY));
    int hits = 0;
    for (size_t i = n; i-- > 0;) { /* newest first */
        char *path = path2(dir, names[i]);
        size_t len;
        uint8_t *f = slurp(path, &len);
        free(path);
        int32_t count = (int32_t)rd32(f + 36);
        int32_t it = (int32_t)rd32(f + 40 + (h % HASH_SLOTS) * 4);
        for (int guard = 0; it > 0 && it < count && guard < INDEX_ITEMS; guard++) {
            const uint8_t *item = f + 40 + HASH_SLOTS * 4 + (size_t)it * 20;
            if ((int32_t)rd32(item) == h) {
                rec_t *r = find_rec(w, (int64_t)rd64(item + 4));
                assert_non_null(r);
                const char *kv;
                size_t kl;
                assert_true(prop(r->props, (size_t)r->props_len, "KEYS", &kv, &kl));
                if (kl == strlen(LOOKUP_KEY) && memcmp(kv, LOOKUP_KEY, kl) == 0) {
                    assert_int_equal(r->phys, sent[42].phys);
                    hits++;
                }
            }
            it = (int32_t)rd32(item + 16);
        }
        free(f);
    }
    assert_int_equal(hits, 1);
    free_list(names, n);
    free(dir);
}

static void walk_store_dir(void **state)
{
    (void)state;
    char *root = st_tmpdir();
    assert_non_null(root);
    write_store(root);
    /* clean close: no abort file, the lock file says "lock" */
    char *p = path2(root, "abort");
    assert_int_not_equal(access(p, F_OK), 0);
    free(p);
    p = path2(root, "lock");
    size_t len;
    uint8_t *lock = slurp(p, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(lock, "lock", 4);
    free(lock);
    free(p);

    walk_t w = {.root = root};
    walk_commitlog(&w);
    match_sent(&w);
    walk_cqs(&w);
    int64_t index_ts;
    walk_checkpoint(&w, &index_ts);
    walk_index(&w, index_ts);
    lookup_key(&w);
    printf("walked %zu records in %zu segments (log ends at %lld), index time %lld\n", w.nrecs,
           w.nfiles, (long long)w.cl_end, (long long)index_ts);
    for (size_t i = 0; i < w.nfiles; i++)
        free(w.files[i]);
    free(w.files);
    free(w.recs);
    st_rmdir(root);
    free(root);
}

int main(void)
{
    rmq_log_set_level(RMQ_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(walk_store_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
