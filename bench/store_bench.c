/* Storage-engine benchmark: the message store next to the raw file system it
 * writes to, measured by this one driver in one run, so both sides see the
 * same disk, the same page cache and the same machine state.
 *
 *   store_bench [options] [DIR]
 *     DIR                 where to work (default /var/tmp); a fresh
 *                         subdirectory is made there and removed at the end
 *     --async-seconds N   time bound of each ASYNC_FLUSH run (default 10; the
 *                         byte bound ends them first on a disk doing 110 MB/s)
 *     --async-mib N       byte bound of each ASYNC_FLUSH run (default 1024)
 *     --sync-seconds N    length of each SYNC_FLUSH run and of the raw
 *                         fdatasync loop (default 3)
 *     --recovery-mib N    commit log size for the recovery runs (default 1024)
 *     --segment-mib N     mappedFileSizeCommitLog (default 1024, the default
 *                         of the store)
 *     --reps N            runs of each ASYNC_FLUSH case (store and raw alike)
 *                         and of each SYNC_FLUSH row; the median is
 *                         reported (default 3)
 *     --only PART         async, staged, sync or recovery: one part (for
 *                         profiling)
 *
 * 1. ASYNC_FLUSH appends (rmq_store_put) of 128 B, 1 KiB and 4 KiB bodies
 *    from one writer, and 128 B from two, until the byte bound or the time
 *    bound.  The clock runs from the first put to the end of rmq_store_close,
 *    so creating the segment (posix_fallocate) and the final flush are in
 *    it.  Next to each run, the same number of bytes written into a
 *    preallocated file with write(2) of 1 MiB buffers + one fsync, and copied
 *    with memcpy into an mmap of a preallocated file + one msync (the floor
 *    of a store that appends into mapped files); runs that wrote the same
 *    bytes (within 0.1 %) share one set of raw runs.  Each store case and
 *    each raw run is made --reps times; the medians are reported, with the
 *    slowest and fastest run.  Every run starts after quiesce() (see
 *    there).  The four store runs twice: the default append path (mmap),
 *    then with transientStorePoolEnable (staged: a commit thread writes the
 *    records with pwrite), keys async_* and staged_*.
 * 2. The raw fdatasync rate (pwrite of one 128 B-body record's size at the
 *    end of a preallocated file, then fdatasync, in a loop), and SYNC_FLUSH
 *    puts of 128 B bodies from 1, 16 and 64 writers, each writer putting
 *    again once its last put is acknowledged, in two kinds: writer threads
 *    blocked in rmq_store_put_sync, and writers answered by callback
 *    (rmq_store_put) on one driver thread, as a broker's connections are.
 *    The six take turns for --reps rounds; each reports its median run.
 *    Both start after quiesce(), as the append runs do.
 * 3. Recovery: a child process fills a commit log with 1 KiB messages and
 *    dies by SIGKILL right after its last put returned; the parent times
 *    rmq_store_open (crash recovery, the abort file present), then a reopen
 *    after a clean shutdown.  Both again with the store's files pushed out of
 *    the page cache (fdatasync + POSIX_FADV_DONTNEED), as after a reboot.
 *
 * Progress goes to stderr; stdout gets one JSON line with every number
 * (bench/store.sh turns it into tables).  Exits non-zero when a run fails
 * (a put error, a store that does not open, recovered data that does not
 * match what the child wrote): a number from a broken run is no number. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/time.h"
#include "protocol/record.h"
#include "store/store.h"

#define MIB ((int64_t)1024 * 1024)
#define TOPIC "BenchTopic"
/* What a Java producer's message carries at least: its tags and WAIT=true.
 * No keys, so the index stays idle: this measures the commit log. */
#define PROPS "TAGS\001TagA\002WAIT\001true"
#define MAX_BODY 4096
#define WRITE_CHUNK (1024 * 1024)
#define MMAP_CHUNK (64 * 1024)
/* Headroom on top of the largest file the runs create (consume queues,
 * checkpoint, the raw fdatasync file). */
#define DISK_SLACK (512 * MIB)
/* The raw fdatasync loop appends into a preallocated file of this size and
 * stops at its end: a bound on the loop whatever the disk. */
#define SYNC_FILE_SIZE (256 * MIB)
/* A recovery child that is still writing after this long is a runaway:
 * SIGALRM ends it. */
#define CHILD_TIMEOUT_S 120
/* Most writer threads of one run. */
#define MAX_WRITERS 64
#define JSON_MAX 8192

/* ---- small helpers ---- */

static double now_s(void)
{
    return (double)rmq_mono_ns() / 1e9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static char g_workdir[PATH_MAX]; /* removed on the way out, also by die() */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    /* Keep walking past a failure: remove as much as possible. */
    if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0)
        fprintf(stderr, "store_bench: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

static void rm_tree(const char *path)
{
    if (access(path, F_OK) == 0)
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("store_bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (g_workdir[0])
        rm_tree(g_workdir);
    exit(1);
}

/* Lets the previous run's deletes and writeback land (syncfs of this file
 * system only) before the next measurement starts. */
static void settle(void)
{
    int fd = open(g_workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        syncfs(fd);
        close(fd);
    }
}

/* On a VM whose balloon driver reports free guest memory to the host (free
 * page reporting), memory the guest freed costs a host fault again when it is
 * next touched: on the machine this was written on, the first GiB of new page
 * cache after an idle moment takes ~2.4 s to fill, with write(2) or mmap
 * alike, against ~0.3 s right after another GiB was freed.  Whether a run
 * pays that depends on how long ago the previous run freed its pages, which
 * would decide the ratios more than the code under test.  So every measured
 * append run starts from the same state: freed memory all reported (the
 * counter below stopped moving), as on a machine that was idle.  Elsewhere
 * the file does not exist and this is only the syncfs.  Returns the wait. */
#define REPORTED_KIB "/sys/module/page_reporting/parameters/reported_kib"
#define QUIET_MS 2500 /* reporting runs in bursts about 2 s apart */
#define QUIESCE_MAX_MS 20000

static long long reported_kib(void)
{
    FILE *f = fopen(REPORTED_KIB, "r");
    long long v = -1;
    if (f) {
        if (fscanf(f, "%lld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static double g_quiesce_s; /* total, for the JSON line */

static double quiesce(void)
{
    settle();
    long long last = reported_kib();
    if (last < 0)
        return 0;
    double t0 = now_s(), changed = t0;
    while (now_s() - changed < QUIET_MS / 1000.0 && now_s() - t0 < QUIESCE_MAX_MS / 1000.0) {
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
        long long v = reported_kib();
        if (v != last) {
            last = v;
            changed = now_s();
        }
    }
    double dt = now_s() - t0;
    g_quiesce_s += dt;
    return dt;
}

static void path_in(char *out, size_t n, const char *name)
{
    if ((size_t)snprintf(out, n, "%s/%s", g_workdir, name) >= n)
        die("path too long: %s/%s", g_workdir, name);
}

/* ---- JSON output: one flat object, numbers and strings ---- */

static char g_json[JSON_MAX];
static size_t g_json_len;

static void json_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void json_add(const char *fmt, ...)
{
    if (g_json_len >= sizeof(g_json))
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(g_json + g_json_len, sizeof(g_json) - g_json_len, fmt, ap);
    va_end(ap);
    if (n > 0)
        g_json_len += (size_t)n;
}

static void json_num(const char *key, double v)
{
    json_add("%s\"%s\":%.6g", g_json_len > 1 ? "," : "", key, v);
}

static void json_int(const char *key, int64_t v)
{
    json_add("%s\"%s\":%" PRId64, g_json_len > 1 ? "," : "", key, v);
}

/* Only for values this program makes (no quotes or backslashes expected;
 * anything unusual is replaced rather than escaped). */
static void json_str(const char *key, const char *v)
{
    json_add("%s\"%s\":\"", g_json_len > 1 ? "," : "", key);
    for (const char *p = v; *p; p++)
        json_add("%c", (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) ? '?' : *p);
    json_add("\"");
}

/* ---- latency histogram (µs): exact below 64, then 16 buckets per power of two ---- */

#define HIST_BUCKETS (64 + 40 * 16)

typedef struct hist {
    uint64_t n[HIST_BUCKETS];
} hist_t;

static int hist_bucket(uint64_t us)
{
    if (us < 64)
        return (int)us;
    int msb = 63 - __builtin_clzll(us);
    int b = 64 + (msb - 6) * 16 + (int)((us >> (msb - 4)) & 15);
    return b < HIST_BUCKETS ? b : HIST_BUCKETS - 1;
}

static uint64_t hist_value(int b)
{
    if (b < 64)
        return (uint64_t)b;
    int msb = (b - 64) / 16 + 6;
    return ((uint64_t)(16 + (b - 64) % 16)) << (msb - 4);
}

static void hist_merge(hist_t *dst, const hist_t *src)
{
    for (int i = 0; i < HIST_BUCKETS; i++)
        dst->n[i] += src->n[i];
}

static uint64_t hist_pct(const hist_t *h, double pct)
{
    uint64_t total = 0;
    for (int i = 0; i < HIST_BUCKETS; i++)
        total += h->n[i];
    if (total == 0)
        return 0;
    uint64_t want = (uint64_t)((double)total * pct / 100.0 + 0.5), seen = 0;
    if (want == 0)
        want = 1;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += h->n[i];
        if (seen >= want)
            return hist_value(i);
    }
    return hist_value(HIST_BUCKETS - 1);
}

/* ---- the file system under the work directory ---- */

static const char *fs_magic_name(unsigned long magic)
{
    switch (magic) {
    case 0xEF53: return "ext2/3/4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0xF2F52010: return "f2fs";
    case 0x2FC12FC1: return "zfs";
    case 0x01021994: return "tmpfs";
    case 0x858458F6: return "ramfs";
    case 0x794C7630: return "overlayfs";
    case 0x6969: return "nfs";
    default: return "unknown";
    }
}

typedef struct fs_info {
    char type[64];   /* mountinfo's file system type, else the statfs magic's name */
    char source[256];
    char mnt[PATH_MAX];
    unsigned long magic;
    double avail_gib, total_gib;
    bool memory; /* tmpfs or ramfs: no disk under it */
} fs_info_t;

/* Finds the mount holding dir in /proc/self/mountinfo: same device, longest
 * mount point that prefixes dir's real path. */
static void fs_mountinfo(const char *dir, dev_t dev, fs_info_t *fi)
{
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return;
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f)
        return;
    char line[4096];
    size_t best = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned maj, min;
        char mnt[PATH_MAX];
        if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &maj, &min, mnt) != 3)
            continue;
        if (maj != major(dev) || min != minor(dev))
            continue;
        size_t ml = strlen(mnt);
        bool prefix = strcmp(mnt, "/") == 0 ||
                      (strncmp(real, mnt, ml) == 0 && (real[ml] == '/' || real[ml] == '\0'));
        const char *sep = strstr(line, " - ");
        char type[64], source[256];
        if (!prefix || ml < best || !sep || sscanf(sep + 3, "%63s %255s", type, source) != 2)
            continue;
        best = ml;
        snprintf(fi->type, sizeof(fi->type), "%s", type);
        snprintf(fi->source, sizeof(fi->source), "%s", source);
        snprintf(fi->mnt, sizeof(fi->mnt), "%s", mnt);
    }
    fclose(f);
}

static void fs_probe(const char *dir, fs_info_t *fi)
{
    memset(fi, 0, sizeof(*fi));
    struct statfs sf;
    struct stat st;
    if (statfs(dir, &sf) != 0 || stat(dir, &st) != 0)
        die("cannot statfs %s: %s", dir, strerror(errno));
    fi->magic = (unsigned long)sf.f_type;
    fi->avail_gib = (double)sf.f_bavail * (double)sf.f_bsize / (double)(1024 * MIB);
    fi->total_gib = (double)sf.f_blocks * (double)sf.f_bsize / (double)(1024 * MIB);
    fi->memory = fi->magic == 0x01021994 || fi->magic == 0x858458F6;
    snprintf(fi->type, sizeof(fi->type), "%s", fs_magic_name(fi->magic));
    snprintf(fi->source, sizeof(fi->source), "?");
    snprintf(fi->mnt, sizeof(fi->mnt), "?");
    fs_mountinfo(dir, st.st_dev, fi);
}

/* ---- messages and stores ---- */

static uint8_t g_body[MAX_BODY];

static void make_msg(rmq_msg_in_t *m, size_t body_len, int32_t queue_id)
{
    memset(m, 0, sizeof(*m));
    m->topic = TOPIC;
    m->topic_len = strlen(TOPIC);
    m->queue_id = queue_id;
    m->body = g_body;
    m->body_len = body_len;
    m->properties = PROPS;
    m->properties_len = sizeof(PROPS) - 1;
    m->born_timestamp = rmq_now_ms();
    rmq_host_parse("127.0.0.1:50000", &m->born_host);
    rmq_host_parse("127.0.0.1:10911", &m->store_host);
}

static size_t record_size(size_t body_len)
{
    rmq_msg_in_t m;
    make_msg(&m, body_len, 0);
    return rmq_record_size(&m);
}

static void store_config(rmq_store_config_t *cfg, const char *root, const char *flush,
                         int64_t segment)
{
    char seg[32], err[256];
    snprintf(seg, sizeof(seg), "%" PRId64, segment);
    rmq_conf_defaults(rmq_store_conf_defs, cfg);
    if (rmq_conf_set(rmq_store_conf_defs, cfg, "storePathRootDir", root, err, sizeof(err)) != 0 ||
        rmq_conf_set(rmq_store_conf_defs, cfg, "mappedFileSizeCommitLog", seg, err,
                     sizeof(err)) != 0 ||
        rmq_conf_set(rmq_store_conf_defs, cfg, "flushDiskType", flush, err, sizeof(err)) != 0)
        die("store config: %s", err);
}

static rmq_store_t *store_open(const rmq_store_config_t *cfg)
{
    char err[512];
    rmq_store_t *s = rmq_store_open(cfg, err, sizeof(err));
    if (!s)
        die("cannot open the store at %s: %s", cfg->storePathRootDir, err);
    return s;
}

/* ---- writers ---- */

typedef struct run {
    rmq_store_t *s;
    size_t body_len;
    int64_t max_msgs;      /* ASYNC: the byte bound, in messages */
    atomic_llong claimed;  /* ASYNC: messages the writers took from max_msgs */
    uint64_t deadline_ns;
    pthread_barrier_t start;
} run_t;

typedef struct writer {
    run_t *run;
    pthread_t thread;
    int idx;
    int64_t ok, failed;
    int64_t last_queue_offset; /* of the last acknowledged put */
    rmq_put_status_t first_error;
    uint64_t end_ns;
    hist_t hist; /* SYNC: put latency */
} writer_t;

static void on_put(const rmq_put_result_t *res, void *arg)
{
    writer_t *w = arg;
    if (res->status == RMQ_PUT_OK) {
        w->ok++;
        w->last_queue_offset = res->queue_offset;
    } else if (w->failed++ == 0) {
        w->first_error = res->status;
    }
}

/* ASYNC_FLUSH: the callback runs before rmq_store_put returns. */
static void *async_writer(void *arg)
{
    writer_t *w = arg;
    run_t *r = w->run;
    rmq_msg_in_t m;
    make_msg(&m, r->body_len, w->idx);
    pthread_barrier_wait(&r->start);
    for (uint64_t i = 0; w->failed == 0; i++) {
        /* The clock is read every 64 puts: cheap, and 64 puts are far
         * below a millisecond. */
        if ((i & 63) == 0 && rmq_mono_ns() >= r->deadline_ns)
            break;
        if (atomic_fetch_add(&r->claimed, 1) >= r->max_msgs)
            break;
        rmq_store_put(r->s, &m, 1, on_put, w);
    }
    w->end_ns = rmq_mono_ns();
    return NULL;
}

static void *sync_writer(void *arg)
{
    writer_t *w = arg;
    run_t *r = w->run;
    rmq_msg_in_t m;
    make_msg(&m, r->body_len, w->idx % 8);
    pthread_barrier_wait(&r->start);
    /* A put that fails waits up to syncFlushTimeout: stop at the first. */
    while (w->failed == 0 && rmq_mono_ns() < r->deadline_ns) {
        uint64_t t0 = rmq_mono_ns();
        rmq_put_result_t res;
        rmq_store_put_sync(r->s, &m, 1, &res);
        on_put(&res, w);
        w->hist.n[hist_bucket((rmq_mono_ns() - t0) / 1000)]++;
    }
    w->end_ns = rmq_mono_ns();
    return NULL;
}

/* Starts n writers on r, releases them together at t0 and joins them;
 * returns the time from t0 to the last writer's end. */
static double run_writers(run_t *r, writer_t *w, int n, void *(*fn)(void *), double seconds)
{
    if (pthread_barrier_init(&r->start, NULL, (unsigned)n + 1) != 0)
        die("pthread_barrier_init failed");
    for (int i = 0; i < n; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].run = r;
        w[i].idx = i;
        if (pthread_create(&w[i].thread, NULL, fn, &w[i]) != 0)
            die("cannot start writer %d", i);
    }
    uint64_t t0 = rmq_mono_ns();
    r->deadline_ns = t0 + (uint64_t)(seconds * 1e9);
    pthread_barrier_wait(&r->start);
    uint64_t end = t0;
    for (int i = 0; i < n; i++) {
        pthread_join(w[i].thread, NULL);
        if (w[i].end_ns > end)
            end = w[i].end_ns;
    }
    pthread_barrier_destroy(&r->start);
    return (double)(end - t0) / 1e9;
}

static void check_writers(const writer_t *w, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        if (w[i].failed)
            die("%s: writer %d: %" PRId64 " puts failed, first with %s", what, i, w[i].failed,
                rmq_put_status_name(w[i].first_error));
}

/* ---- 1. ASYNC_FLUSH appends next to raw sequential writes ---- */

typedef struct async_res {
    int64_t msgs, bytes;
    double put_s, total_s;
} async_res_t;

static void async_store(size_t body_len, int writers, int64_t max_bytes, double seconds,
                        int64_t segment, bool staged, async_res_t *out)
{
    char root[PATH_MAX];
    path_in(root, sizeof(root), "async");
    rmq_store_config_t cfg;
    store_config(&cfg, root, "ASYNC_FLUSH", segment);
    if (staged &&
        rmq_conf_set(rmq_store_conf_defs, &cfg, "transientStorePoolEnable", "true", NULL, 0) != 0)
        die("store config: transientStorePoolEnable");
    rmq_store_t *s = store_open(&cfg);
    size_t rec = record_size(body_len);
    /* Up to max_bytes of records; with the default sizes that is one full
     * segment less the end-of-file blank, so no second file is created. */
    run_t r = {.s = s, .body_len = body_len,
               .max_msgs = (max_bytes - RMQ_END_FILE_MIN_BLANK) / (int64_t)rec};
    atomic_init(&r.claimed, 0);
    static writer_t w[MAX_WRITERS]; /* histograms: too large for the stack */
    uint64_t t0 = rmq_mono_ns();
    double put_s = run_writers(&r, w, writers, async_writer, seconds);
    check_writers(w, writers, "ASYNC_FLUSH put");
    int64_t msgs = 0;
    for (int i = 0; i < writers; i++)
        msgs += w[i].ok;
    /* Staged appends become readable when the commit thread has written
     * them: wait for that (close would, too) before reading the end. */
    if (!rmq_store_wait_dispatched(s, 60000))
        die("ASYNC_FLUSH: the store did not make its appends readable within 60 s");
    int64_t end_off = rmq_store_commitlog_max_offset(s);
    rmq_store_close(s);
    double total_s = (double)(rmq_mono_ns() - t0) / 1e9;
    rmq_conf_free(rmq_store_conf_defs, &cfg);
    out->msgs = msgs;
    out->bytes = msgs * (int64_t)rec;
    out->put_s = put_s;
    out->total_s = total_s;
    /* Every acknowledged record is in the log (more only by blank tails). */
    if (end_off < out->bytes)
        die("ASYNC_FLUSH: commit log ends at %" PRId64 ", %" PRId64 " bytes were acknowledged",
            end_off, out->bytes);
    rm_tree(root);
    settle();
}

static void fill_pattern(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)('a' + i % 26);
}

/* write(2) of 1 MiB buffers into a preallocated file, one fsync: seconds,
 * allocation and close included. */
static double raw_write(int64_t bytes, int64_t alloc)
{
    char path[PATH_MAX];
    path_in(path, sizeof(path), "raw-write");
    uint8_t *buf = malloc(WRITE_CHUNK);
    if (!buf)
        die("out of memory");
    fill_pattern(buf, WRITE_CHUNK);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die("cannot create %s: %s", path, strerror(errno));
    double t0 = now_s();
    int rc = posix_fallocate(fd, 0, (off_t)alloc);
    if (rc != 0)
        die("posix_fallocate %s: %s", path, strerror(rc));
    for (int64_t done = 0; done < bytes;) {
        size_t n = (size_t)(bytes - done < WRITE_CHUNK ? bytes - done : WRITE_CHUNK);
        ssize_t w = write(fd, buf, n);
        if (w <= 0)
            die("write %s: %s", path, strerror(errno));
        done += w;
    }
    if (fsync(fd) != 0)
        die("fsync %s: %s", path, strerror(errno));
    close(fd);
    double dt = now_s() - t0;
    free(buf);
    unlink(path);
    settle();
    return dt;
}

/* memcpy into a shared mapping of a preallocated file, one msync: the same
 * mechanism as the store's appends, without the store. */
static double raw_mmap(int64_t bytes, int64_t alloc)
{
    char path[PATH_MAX];
    path_in(path, sizeof(path), "raw-mmap");
    uint8_t *src = malloc(MMAP_CHUNK);
    if (!src)
        die("out of memory");
    fill_pattern(src, MMAP_CHUNK);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die("cannot create %s: %s", path, strerror(errno));
    double t0 = now_s();
    int rc = posix_fallocate(fd, 0, (off_t)alloc);
    if (rc != 0)
        die("posix_fallocate %s: %s", path, strerror(rc));
    uint8_t *map = mmap(NULL, (size_t)alloc, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        die("mmap %s: %s", path, strerror(errno));
    for (int64_t done = 0; done < bytes;) {
        size_t n = (size_t)(bytes - done < MMAP_CHUNK ? bytes - done : MMAP_CHUNK);
        memcpy(map + done, src, n);
        done += (int64_t)n;
    }
    if (msync(map, (size_t)bytes, MS_SYNC) != 0)
        die("msync %s: %s", path, strerror(errno));
    munmap(map, (size_t)alloc);
    close(fd);
    double dt = now_s() - t0;
    free(src);
    unlink(path);
    settle();
    return dt;
}

/* Each append run, store and raw alike, is made g_reps times and the median
 * is reported (with the slowest and fastest): on this project's VM the cost
 * of new page cache varies by up to 3x from one minute to the next (see
 * quiesce()), more than the code under test changes it. */
static int g_reps = 3;

#define MAX_REPS 15

/* The median, smallest and largest of v[0..n) (n <= MAX_REPS), as indexes
 * into v; with an even n the median is the larger of the middle two. */
typedef struct spread {
    int mid, lo, hi;
} spread_t;

static spread_t spread_of(const double *v, int n)
{
    int idx[MAX_REPS];
    for (int i = 0; i < n; i++) {
        int j = i;
        for (; j > 0 && v[idx[j - 1]] > v[i]; j--)
            idx[j] = idx[j - 1];
        idx[j] = i;
    }
    return (spread_t){.mid = idx[n / 2], .lo = idx[0], .hi = idx[n - 1]};
}

/* The raw runs of an earlier store run are reused when this one wrote the
 * same bytes within RAW_REUSE_TOLERANCE: runs that all stop at the byte bound
 * differ by less than one record, and each raw run costs a quiesce. */
#define RAW_REUSE_TOLERANCE 0.001
static int64_t g_raw_bytes = -1;
static double g_raw_write_s[MAX_REPS], g_raw_mmap_s[MAX_REPS];
static spread_t g_raw_write, g_raw_mmap; /* of the two arrays above */

static void raw_runs(int64_t bytes, int64_t segment)
{
    /* The raw files are as large as the store's segment: the same allocation. */
    int64_t alloc = bytes > segment ? bytes : segment;
    for (int i = 0; i < g_reps; i++) {
        fprintf(stderr, " write(2)...");
        quiesce();
        g_raw_write_s[i] = raw_write(bytes, alloc);
        fprintf(stderr, " %.0f MB/s; mmap...", (double)bytes / g_raw_write_s[i] / 1e6);
        quiesce();
        g_raw_mmap_s[i] = raw_mmap(bytes, alloc);
        fprintf(stderr, " %.0f MB/s;", (double)bytes / g_raw_mmap_s[i] / 1e6);
    }
    g_raw_write = spread_of(g_raw_write_s, g_reps);
    g_raw_mmap = spread_of(g_raw_mmap_s, g_reps);
    g_raw_bytes = bytes;
}

static void bench_async(size_t body_len, int writers, int64_t max_bytes, double seconds,
                        int64_t segment, bool staged)
{
    async_res_t runs[MAX_REPS];
    double mbs[MAX_REPS];
    fprintf(stderr, "ASYNC_FLUSH%s, %zu B bodies, %d writer(s): store...",
            staged ? " staged" : "", body_len, writers);
    for (int i = 0; i < g_reps; i++) {
        quiesce();
        async_store(body_len, writers, max_bytes, seconds, segment, staged, &runs[i]);
        mbs[i] = (double)runs[i].bytes / runs[i].total_s / 1e6;
        fprintf(stderr, " %.0f", mbs[i]);
    }
    fprintf(stderr, " MB/s;");
    /* The median run by MB/s stands for the store; its bytes scale the raw
     * runs. */
    spread_t sp = spread_of(mbs, g_reps);
    const async_res_t *r = &runs[sp.mid];
    if (g_raw_bytes < 0 ||
        (double)llabs(r->bytes - g_raw_bytes) > RAW_REUSE_TOLERANCE * (double)g_raw_bytes)
        raw_runs(r->bytes, segment);
    else
        fprintf(stderr, " raw runs of %" PRId64 " bytes reused", g_raw_bytes);
    fputc('\n', stderr);
    /* Raw times scaled to this run's bytes (a difference of under 0.1 %). */
    double scale = (double)r->bytes / (double)g_raw_bytes;
    double write_s = g_raw_write_s[g_raw_write.mid] * scale;
    double mmap_s = g_raw_mmap_s[g_raw_mmap.mid] * scale;
    double mb = (double)r->bytes / 1e6;

    char k[64];
#define ASYNC_KEY(name)                                                                            \
    (snprintf(k, sizeof(k), "%s_%zu_w%d_%s", staged ? "staged" : "async", body_len, writers, name), \
     k)
    json_int(ASYNC_KEY("record_bytes"), (int64_t)record_size(body_len));
    json_int(ASYNC_KEY("reps"), g_reps);
    json_int(ASYNC_KEY("msgs"), r->msgs);
    json_int(ASYNC_KEY("bytes"), r->bytes);
    json_num(ASYNC_KEY("put_s"), r->put_s);
    json_num(ASYNC_KEY("total_s"), r->total_s);
    json_num(ASYNC_KEY("msgs_per_s"), (double)r->msgs / r->total_s);
    json_num(ASYNC_KEY("mb_per_s"), mbs[sp.mid]);
    json_num(ASYNC_KEY("mb_per_s_min"), mbs[sp.lo]);
    json_num(ASYNC_KEY("mb_per_s_max"), mbs[sp.hi]);
    json_int(ASYNC_KEY("raw_bytes"), g_raw_bytes);
    json_num(ASYNC_KEY("write_s"), write_s);
    json_num(ASYNC_KEY("write_mb_per_s"), mb / write_s);
    json_num(ASYNC_KEY("write_mb_per_s_min"), mb / (g_raw_write_s[g_raw_write.hi] * scale));
    json_num(ASYNC_KEY("write_mb_per_s_max"), mb / (g_raw_write_s[g_raw_write.lo] * scale));
    json_num(ASYNC_KEY("mmap_s"), mmap_s);
    json_num(ASYNC_KEY("mmap_mb_per_s"), mb / mmap_s);
    json_num(ASYNC_KEY("ratio_write"), write_s / r->total_s);
    json_num(ASYNC_KEY("ratio_mmap"), mmap_s / r->total_s);
#undef ASYNC_KEY
}

/* ---- 2. SYNC_FLUSH group commit next to the raw fdatasync rate ---- */

static void bench_fdatasync(double seconds)
{
    char path[PATH_MAX];
    path_in(path, sizeof(path), "raw-sync");
    size_t rec = record_size(128);
    uint8_t buf[MAX_BODY + 512];
    fill_pattern(buf, rec);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die("cannot create %s: %s", path, strerror(errno));
    int rc = posix_fallocate(fd, 0, SYNC_FILE_SIZE);
    if (rc != 0)
        die("posix_fallocate %s: %s", path, strerror(rc));
    fprintf(stderr, "raw pwrite+fdatasync of %zu B...", rec);
    static hist_t h; /* zero; too large for the stack of a small function */
    memset(&h, 0, sizeof(h));
    int64_t n = 0, off = 0;
    double t0 = now_s(), end = t0 + seconds, t = t0;
    /* Appends, like the commit log: each sync covers fresh bytes of the
     * preallocated extent, as a group commit does. */
    while (t < end && off + (int64_t)rec <= SYNC_FILE_SIZE) {
        uint64_t a = rmq_mono_ns();
        if (pwrite(fd, buf, rec, off) != (ssize_t)rec)
            die("pwrite %s: %s", path, strerror(errno));
        if (fdatasync(fd) != 0)
            die("fdatasync %s: %s", path, strerror(errno));
        h.n[hist_bucket((rmq_mono_ns() - a) / 1000)]++;
        off += (int64_t)rec;
        n++;
        t = now_s();
    }
    close(fd);
    unlink(path);
    settle();
    double rate = (double)n / (t - t0);
    fprintf(stderr, " %.0f syncs/s\n", rate);
    json_int("raw_fdatasync_record_bytes", (int64_t)rec);
    json_num("raw_fdatasync_per_s", rate);
    json_int("raw_fdatasync_p50_us", (int64_t)hist_pct(&h, 50));
    json_int("raw_fdatasync_p99_us", (int64_t)hist_pct(&h, 99));
}

/* Writers driven by callbacks, as a broker drives the store: its I/O
 * threads never wait on a put, and each producer connection is a writer
 * whose next send follows the acknowledgement of the last.  Here n writers
 * live on one driver thread; each keeps exactly one put in flight and puts
 * again once its callback (on the store's flush thread) has answered it.
 * The same writers as the blocked threads, without the thread switches
 * that 64 sleeping threads cost on each put. */
typedef struct cb_writer {
    struct cb_pool *pool;
    int idx;
    uint64_t put_ns; /* when its put in flight was made */
} cb_writer_t;

typedef struct cb_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int ready[MAX_WRITERS]; /* lock: answered writers, to put again */
    int nready;
    int inflight;           /* lock */
    bool waiting, signalled;
    int64_t ok, failed;
    rmq_put_status_t first_error;
    hist_t hist;            /* put latency, µs */
    cb_writer_t w[MAX_WRITERS];
} cb_pool_t;

static void on_cb_put(const rmq_put_result_t *res, void *arg)
{
    cb_writer_t *w = arg;
    cb_pool_t *p = w->pool;
    uint64_t us = (rmq_mono_ns() - w->put_ns) / 1000;
    pthread_mutex_lock(&p->lock);
    p->inflight--;
    p->hist.n[hist_bucket(us)]++;
    if (res->status == RMQ_PUT_OK) {
        p->ok++;
        p->ready[p->nready++] = w->idx;
    } else if (p->failed++ == 0) {
        p->first_error = res->status;
    }
    /* One wake-up per sleep, as a broker's loop gets one uv_async wake for
     * any number of answers posted before it runs. */
    if (p->waiting && !p->signalled) {
        p->signalled = true;
        pthread_cond_signal(&p->cond);
    }
    pthread_mutex_unlock(&p->lock);
}

/* Waits, with p->lock held, until a writer is ready (or, draining, until no
 * put is in flight).  Every put is answered by syncFlushTimeout at the
 * latest. */
static void cb_wait(cb_pool_t *p, bool drain)
{
    while (p->inflight > 0 && (drain || p->nready == 0)) {
        p->waiting = true;
        p->signalled = false;
        pthread_cond_wait(&p->cond, &p->lock);
    }
    p->waiting = false;
}

static void cb_put(rmq_store_t *s, cb_pool_t *p, const rmq_msg_in_t *m, int idx)
{
    p->w[idx].put_ns = rmq_mono_ns();
    rmq_store_put(s, &m[idx % 8], 1, on_cb_put, &p->w[idx]);
}

/* One run of n callback-driven writers for seconds: ok and the latency
 * histogram into p (zeroed here); returns the seconds taken. */
static double run_cb_writers(rmq_store_t *s, cb_pool_t *p, int n, double seconds)
{
    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    rmq_msg_in_t m[8];
    for (int i = 0; i < 8; i++)
        make_msg(&m[i], 128, i);
    uint64_t t0 = rmq_mono_ns(), deadline = t0 + (uint64_t)(seconds * 1e9);
    pthread_mutex_lock(&p->lock);
    p->inflight = n;
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < n; i++) {
        p->w[i] = (cb_writer_t){.pool = p, .idx = i};
        cb_put(s, p, m, i);
    }
    int batch[MAX_WRITERS];
    for (;;) {
        pthread_mutex_lock(&p->lock);
        cb_wait(p, false);
        bool go = p->failed == 0 && rmq_mono_ns() < deadline;
        int k = go ? p->nready : 0;
        memcpy(batch, p->ready, (size_t)k * sizeof(int));
        p->nready = 0;
        p->inflight += k;
        if (!go)
            cb_wait(p, true);
        pthread_mutex_unlock(&p->lock);
        if (!go)
            break;
        for (int i = 0; i < k; i++)
            cb_put(s, p, m, batch[i]);
    }
    double dt = (double)(rmq_mono_ns() - t0) / 1e9;
    if (p->failed)
        die("SYNC_FLUSH put with callback: %" PRId64 " failed, first with %s", p->failed,
            rmq_put_status_name(p->first_error));
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    return dt;
}

typedef struct sync_run {
    int64_t ok;
    double seconds, rate;
    int64_t p50_us, p99_us;
} sync_run_t;

/* The run of median rate among runs[0..n). */
static const sync_run_t *median_run(const sync_run_t *runs, int n)
{
    double rates[MAX_REPS];
    for (int i = 0; i < n; i++)
        rates[i] = runs[i].rate;
    return &runs[spread_of(rates, n).mid];
}

/* A run's numbers from what it acknowledged, in dt seconds, and its put
 * latencies. */
static sync_run_t sync_result(int64_t ok, double dt, const hist_t *h)
{
    return (sync_run_t){.ok = ok, .seconds = dt, .rate = (double)ok / dt,
                        .p50_us = (int64_t)hist_pct(h, 50), .p99_us = (int64_t)hist_pct(h, 99)};
}

/* One run of n blocked writers for seconds. */
static void sync_run(rmq_store_t *s, int n, double seconds, sync_run_t *out)
{
    static writer_t w[MAX_WRITERS]; /* histograms: too large for the stack */
    run_t r = {.s = s, .body_len = 128};
    atomic_init(&r.claimed, 0);
    double dt = run_writers(&r, w, n, sync_writer, seconds);
    check_writers(w, n, "SYNC_FLUSH put");
    int64_t ok = 0;
    static hist_t h;
    memset(&h, 0, sizeof(h));
    for (int i = 0; i < n; i++) {
        ok += w[i].ok;
        hist_merge(&h, &w[i].hist);
    }
    *out = sync_result(ok, dt, &h);
}

/* One run of n callback-driven writers for seconds. */
static void cb_run(rmq_store_t *s, int n, double seconds, sync_run_t *out)
{
    static cb_pool_t p; /* histogram: too large for the stack */
    double dt = run_cb_writers(s, &p, n, seconds);
    *out = sync_result(p.ok, dt, &p.hist);
}

/* Each writer count's median run into the JSON line, keys PREFIX<n>_*,
 * with its rate against the median of one writer of the same kind. */
static void json_sync_rows(const char *prefix, const int *counts, int ncounts,
                           sync_run_t runs[][MAX_REPS])
{
    double single = median_run(runs[0], g_reps)->rate;
    for (int c = 0; c < ncounts; c++) {
        const sync_run_t *r = median_run(runs[c], g_reps);
        char k[64];
#define SYNC_KEY(name) (snprintf(k, sizeof(k), "%s%d_%s", prefix, counts[c], name), k)
        json_int(SYNC_KEY("msgs"), r->ok);
        json_num(SYNC_KEY("seconds"), r->seconds);
        json_num(SYNC_KEY("msgs_per_s"), r->rate);
        json_int(SYNC_KEY("p50_us"), r->p50_us);
        json_int(SYNC_KEY("p99_us"), r->p99_us);
        json_num(SYNC_KEY("vs_w1"), single > 0 ? r->rate / single : 0);
#undef SYNC_KEY
    }
}

/* The writer counts and both kinds of writer take turns, g_reps rounds, so
 * that a change in the disk's pace during the part falls on all of them;
 * each reports its median run. */
static void bench_sync(double seconds, int64_t segment)
{
    enum { COUNTS = 3 };
    static const int writer_counts[COUNTS] = {1, 16, 64};
    char root[PATH_MAX];
    path_in(root, sizeof(root), "sync");
    rmq_store_config_t cfg;
    store_config(&cfg, root, "SYNC_FLUSH", segment);
    rmq_store_t *s = store_open(&cfg);
    /* One put first, so creating the segment is not in the first run. */
    rmq_msg_in_t m;
    make_msg(&m, 128, 0);
    rmq_put_result_t res;
    if (rmq_store_put_sync(s, &m, 1, &res) != RMQ_PUT_OK)
        die("SYNC_FLUSH warm-up put: %s", rmq_put_status_name(res.status));
    static sync_run_t threads[COUNTS][MAX_REPS], cbs[COUNTS][MAX_REPS];
    for (int rep = 0; rep < g_reps; rep++) {
        for (int c = 0; c < COUNTS; c++) {
            int n = writer_counts[c];
            fprintf(stderr, "SYNC_FLUSH, 128 B bodies, %d writer thread(s)...", n);
            sync_run(s, n, seconds, &threads[c][rep]);
            fprintf(stderr, " %.0f msgs/s\n", threads[c][rep].rate);
            fprintf(stderr, "SYNC_FLUSH, 128 B bodies, %d writer(s) on callbacks...", n);
            cb_run(s, n, seconds, &cbs[c][rep]);
            fprintf(stderr, " %.0f msgs/s\n", cbs[c][rep].rate);
        }
    }
    json_int("sync_reps", g_reps);
    json_sync_rows("sync_w", writer_counts, COUNTS, threads);
    json_sync_rows("sync_cb", writer_counts, COUNTS, cbs);
    rmq_store_close(s);
    rmq_conf_free(rmq_store_conf_defs, &cfg);
    rm_tree(root);
    settle();
}

/* ---- 3. recovery ---- */

typedef struct child_report {
    int64_t max_offset; /* commit-log end after the last put */
    int64_t msgs;       /* messages in queue 0: last acknowledged queue offset + 1 */
} child_report_t;

/* In a fresh process: opens the store, appends n messages of body_len bytes,
 * reports, and dies by SIGKILL: a crash right after the last put returned. */
static void __attribute__((noreturn))
crash_child(const rmq_store_config_t *cfg, int64_t n, size_t body_len, int report_fd)
{
    alarm(CHILD_TIMEOUT_S);
    char err[512];
    rmq_store_t *s = rmq_store_open(cfg, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "store_bench: crash child: cannot open the store: %s\n", err);
        _exit(2);
    }
    rmq_msg_in_t m;
    make_msg(&m, body_len, 0);
    static writer_t w;
    for (int64_t i = 0; i < n && w.failed == 0; i++)
        rmq_store_put(s, &m, 1, on_put, &w);
    if (w.failed) {
        fprintf(stderr, "store_bench: crash child: put failed with %s\n",
                rmq_put_status_name(w.first_error));
        _exit(3);
    }
    /* From the put results, not rmq_store_max_offset: the consume queue is
     * built behind the appends and may lag at this moment. */
    child_report_t rep = {rmq_store_commitlog_max_offset(s), w.last_queue_offset + 1};
    if (write(report_fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
        _exit(4);
    raise(SIGKILL);
    _exit(5); /* not reached */
}

/* Forks crash_child and waits for it; the child's report, or die. */
static child_report_t crash(const rmq_store_config_t *cfg, int64_t n, size_t body_len)
{
    int p[2];
    if (pipe(p) != 0)
        die("pipe: %s", strerror(errno));
    fflush(NULL); /* the child must not write the parent's buffered output again */
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        close(p[0]);
        crash_child(cfg, n, body_len, p[1]);
    }
    close(p[1]);
    child_report_t rep;
    ssize_t got = read(p[0], &rep, sizeof(rep));
    close(p[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid: %s", strerror(errno));
    if (got != (ssize_t)sizeof(rep) || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        die("crash child did not report and die by SIGKILL (status %d)", status);
    return rep;
}

static int drop_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag != FTW_F)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    /* Dirty pages are not dropped: write them first. */
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
    return 0;
}

/* Pushes every file of the store out of the page cache, as after a reboot. */
static void drop_cache(const char *root)
{
    nftw(root, drop_entry, 16, FTW_PHYS);
}

/* Share of the first commit-log segment's pages in the page cache, in %. */
static double resident_pct(const char *root, int64_t segment)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/commitlog/00000000000000000000", root);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    void *map = mmap(NULL, (size_t)segment, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return -1;
    size_t pages = (size_t)segment / RMQ_OS_PAGE_SIZE, in = 0;
    unsigned char *vec = malloc(pages);
    if (vec && mincore(map, (size_t)segment, vec) == 0)
        for (size_t i = 0; i < pages; i++)
            in += vec[i] & 1;
    free(vec);
    munmap(map, (size_t)segment);
    return 100.0 * (double)in / (double)pages;
}

/* Times one rmq_store_open and checks the recovered store holds exactly
 * what the child reported; leaves the store closed (cleanly). */
static double timed_open(const rmq_store_config_t *cfg, const child_report_t *want,
                         const char *what)
{
    double t0 = now_s();
    rmq_store_t *s = store_open(cfg);
    double dt = now_s() - t0;
    int64_t end = rmq_store_commitlog_max_offset(s), msgs = rmq_store_max_offset(s, TOPIC, 0);
    rmq_store_close(s);
    if (end != want->max_offset || msgs != want->msgs)
        die("%s: recovered commit log end %" PRId64 " and %" PRId64 " messages, the child "
            "wrote up to %" PRId64 " and %" PRId64,
            what, end, msgs, want->max_offset, want->msgs);
    fprintf(stderr, " %s %.2f s;", what, dt);
    return dt;
}

static void bench_recovery(int64_t bytes, int64_t segment)
{
    char root[PATH_MAX], abort_path[PATH_MAX + 16];
    path_in(root, sizeof(root), "recovery");
    snprintf(abort_path, sizeof(abort_path), "%s/abort", root);
    rmq_store_config_t cfg;
    store_config(&cfg, root, "ASYNC_FLUSH", segment);
    size_t rec = record_size(1024);
    /* Room is left for the second crash's one message, so that it does not
     * open a new segment: both crashes recover the same file. */
    int64_t n = (bytes - RMQ_END_FILE_MIN_BLANK) / (int64_t)rec - 1;
    fprintf(stderr, "recovery of %" PRId64 " MiB (%" PRId64 " 1 KiB messages): writing...",
            bytes / MIB, n);
    double t0 = now_s();
    child_report_t rep = crash(&cfg, n, 1024);
    fprintf(stderr, " %.1f s, SIGKILL;", now_s() - t0);
    if (access(abort_path, F_OK) != 0)
        die("no abort file after the crash: recovery would not run");
    double warm_pct = resident_pct(root, segment);
    double crash_s = timed_open(&cfg, &rep, "crash");
    double clean_s = timed_open(&cfg, &rep, "clean");

    /* The same two after a reboot: a second crash (one more message), then
     * the files pushed out of the page cache before each open. */
    child_report_t rep2 = crash(&cfg, 1, 1024);
    if (rep2.max_offset != rep.max_offset + (int64_t)rec || rep2.msgs != rep.msgs + 1)
        die("second crash child: unexpected end %" PRId64 " / %" PRId64 " messages",
            rep2.max_offset, rep2.msgs);
    drop_cache(root);
    double cold_pct = resident_pct(root, segment);
    double crash_cold_s = timed_open(&cfg, &rep2, "crash (cold)");
    drop_cache(root);
    double clean_cold_s = timed_open(&cfg, &rep2, "clean (cold)");
    fputc('\n', stderr);
    rmq_conf_free(rmq_store_conf_defs, &cfg);
    rm_tree(root);
    settle();

    json_int("recovery_bytes", rep.max_offset);
    json_int("recovery_msgs", rep.msgs);
    json_num("recovery_crash_s", crash_s);
    json_num("recovery_clean_s", clean_s);
    json_num("recovery_crash_cold_s", crash_cold_s);
    json_num("recovery_clean_cold_s", clean_cold_s);
    json_num("recovery_warm_resident_pct", warm_pct);
    json_num("recovery_cold_resident_pct", cold_pct);
}

/* ---- main ---- */

static int64_t arg_int(const char *name, const char *v, int64_t min, int64_t max)
{
    char *end;
    errno = 0;
    long long x = strtoll(v ? v : "", &end, 10);
    if (!v || *end || errno || x < min || x > max)
        die("%s wants an integer in [%" PRId64 ", %" PRId64 "]", name, min, max);
    return x;
}

int main(int argc, char **argv)
{
    const char *base = "/var/tmp";
    int64_t async_seconds = 10, async_mib = 1024, sync_seconds = 3, recovery_mib = 1024,
            segment_mib = 1024;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--async-seconds") == 0)
            async_seconds = arg_int(a, v, 1, 600), i++;
        else if (strcmp(a, "--async-mib") == 0)
            async_mib = arg_int(a, v, 1, 16384), i++;
        else if (strcmp(a, "--sync-seconds") == 0)
            sync_seconds = arg_int(a, v, 1, 600), i++;
        else if (strcmp(a, "--recovery-mib") == 0)
            recovery_mib = arg_int(a, v, 1, 16384), i++;
        else if (strcmp(a, "--segment-mib") == 0)
            segment_mib = arg_int(a, v, 1, 2047), i++;
        else if (strcmp(a, "--reps") == 0)
            g_reps = (int)arg_int(a, v, 1, MAX_REPS), i++;
        else if (strcmp(a, "--only") == 0 && v &&
                 (strcmp(v, "async") == 0 || strcmp(v, "staged") == 0 ||
                  strcmp(v, "sync") == 0 || strcmp(v, "recovery") == 0))
            only = v, i++;
        else if (strcmp(a, "--only") == 0)
            die("--only wants async, staged, sync or recovery");
        else if (a[0] == '-')
            die("unknown option %s (see the comment at the top of bench/store_bench.c)", a);
        else
            base = a;
    }
    int64_t segment = segment_mib * MIB;
    rmq_log_set_level(RMQ_LOG_WARN);
    fill_pattern(g_body, sizeof(g_body));

    fs_info_t fi;
    fs_probe(base, &fi);
    int64_t biggest = async_mib > recovery_mib ? async_mib : recovery_mib;
    if (segment_mib > biggest)
        biggest = segment_mib;
    double need_gib = (double)(biggest * MIB + DISK_SLACK) / (double)(1024 * MIB);
    fprintf(stderr, "store_bench: %s is %s (%s on %s), %.1f of %.1f GiB free\n", base, fi.type,
            fi.source, fi.mnt, fi.avail_gib, fi.total_gib);
    if (fi.memory)
        fprintf(stderr, "store_bench: WARNING: %s is in memory: no disk is measured\n", base);
    if (fi.avail_gib < need_gib)
        die("%s has %.1f GiB free, the runs need %.1f", base, fi.avail_gib, need_gib);

    if ((size_t)snprintf(g_workdir, sizeof(g_workdir), "%s/rmq-store-bench-XXXXXX", base) >=
        sizeof(g_workdir))
        die("path too long: %s", base);
    if (!mkdtemp(g_workdir))
        die("cannot create a directory under %s: %s", base, strerror(errno));

    double t_start = now_s();
    json_add("{");
    json_str("dir", base);
    json_str("fs_type", fi.type);
    json_str("fs_source", fi.source);
    json_str("fs_mount", fi.mnt);
    json_num("fs_free_gib", fi.avail_gib);
    json_add(",\"fs_in_memory\":%s", fi.memory ? "true" : "false");
    json_int("segment_mib", segment_mib);
    json_int("async_seconds", async_seconds);
    json_int("async_mib", async_mib);
    json_int("sync_seconds", sync_seconds);

    if (!only || strcmp(only, "async") == 0) {
        static const size_t bodies[] = {128, 1024, 4096};
        for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
            bench_async(bodies[i], 1, async_mib * MIB, (double)async_seconds, segment, false);
        bench_async(128, 2, async_mib * MIB, (double)async_seconds, segment, false);
    }
    if (!only || strcmp(only, "staged") == 0) {
        static const size_t bodies[] = {128, 1024, 4096};
        for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
            bench_async(bodies[i], 1, async_mib * MIB, (double)async_seconds, segment, true);
        bench_async(128, 2, async_mib * MIB, (double)async_seconds, segment, true);
    }
    if (!only || strcmp(only, "sync") == 0) {
        /* The group commit's 64 writers are bound by the CPU (a sleep and a
         * wake-up per put): the driver reporting the GiBs the append runs
         * freed would take its share of it.  Measured right after the
         * append runs, 64 writers carried 170,000 msgs/s, after the
         * reporting stopped 222,000. */
        quiesce();
        bench_fdatasync((double)sync_seconds);
        quiesce();
        bench_sync((double)sync_seconds, segment);
    }
    if (!only || strcmp(only, "recovery") == 0)
        bench_recovery(recovery_mib * MIB, segment);

    json_add(",\"page_reporting\":%s", reported_kib() >= 0 ? "true" : "false");
    json_num("quiesce_s", g_quiesce_s);
    json_num("total_s", now_s() - t_start);
    json_add("}");
    rm_tree(g_workdir);
    printf("%s\n", g_json);
    return 0;
}
