/* The crash test: a child process appends with SYNC_FLUSH and is killed with
 * SIGKILL at random moments, many times; after each recovery every
 * acknowledged message is present and readable, in order, and nothing after
 * the last good record is served.
 *
 * Each round forks a child that opens the store (the same directory every
 * round, 64 KiB segments so records cross segments), appends messages whose
 * bodies carry their sequence number and a checksum of themselves, and
 * reports each acknowledged sequence number on a pipe.  The parent kills it
 * after 20..300 ms, then opens the store itself: the abort file the child
 * left behind sends it through crash recovery.  The parent never forks while
 * it has a store open (the store runs threads).
 *
 * RMQ_CRASH_SEED fixes the seed (printed every run); RMQ_CRASH_ROUNDS sets
 * the number of rounds (at least 10; the default is lower under ASan). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <zlib.h>

#include "base/log.h"
#include "base/time.h"
#include "rocketmq/error.h"
#include "protocol/record.h"
#include "store_test_util.h"

#define TOPIC "CrashTopic"
#define QID 0
#define SEG_SIZE 65536
#define BODY_MIN 10
#define BODY_MAX 3000
#define KILL_MIN_MS 20
#define KILL_MAX_MS 300
#define MIN_ROUNDS 10
#if defined(__SANITIZE_ADDRESS__)
#define DEFAULT_ROUNDS 25
#else
#define DEFAULT_ROUNDS 30
#endif
/* Stop starting rounds after this long, so the test stays far from CTest's
 * 60 s timeout even on a slow disk (MIN_ROUNDS must still have run). */
#define TIME_BUDGET_MS 40000
/* A child appending for longer than a round lasts is a runaway. */
#define CHILD_MAX_SEQS 1000000u

/* Bodies: seq (u32 BE) | crc32(filler) ^ seq (u32 BE) | filler, where the
 * length and the filler are functions of seq alone, so a reader can tell a
 * body that is whole and in the right place from anything else. */
static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

static size_t body_len_of(uint32_t seq)
{
    return BODY_MIN + mix32(seq * 2654435761U + 17) % (BODY_MAX - BODY_MIN + 1);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t make_body(uint32_t seq, uint8_t *out)
{
    size_t n = body_len_of(seq);
    uint32_t x = mix32(seq ^ 0xA5A5A5A5U) | 1;
    for (size_t i = 8; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (uint8_t)x;
    }
    put_be32(out, seq);
    put_be32(out + 4, (uint32_t)crc32(0, out + 8, (uInt)(n - 8)) ^ seq);
    return n;
}

/* True if body is exactly the body of seq. */
static bool body_ok(const uint8_t *body, size_t len, uint32_t seq)
{
    if (len != body_len_of(seq) || len < 8 || get_be32(body) != seq)
        return false;
    return get_be32(body + 4) == ((uint32_t)crc32(0, body + 8, (uInt)(len - 8)) ^ seq);
}

static void crash_config(rmq_store_config_t *cfg, const char *root)
{
    st_config(cfg, root);
    rmq_conf_set(rmq_store_conf_defs, cfg, "mappedFileSizeCommitLog", "65536", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, cfg, "mappedFileSizeConsumeQueue", "2000", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, cfg, "maxMessageSize", "4096", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, cfg, "flushDiskType", "SYNC_FLUSH", NULL, 0);
    /* keep retention out of the way: nothing may disappear but a bad tail */
    rmq_conf_set(rmq_store_conf_defs, cfg, "cleanResourceInterval", "3600000", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, cfg, "cleanFileForciblyEnable", "false", NULL, 0);
}

static uint64_t prng_state;

static uint32_t prng(void)
{
    /* splitmix64: reproducible from the printed seed */
    uint64_t z = (prng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/* ---- the child ---- */

/* Child exit codes (it is normally killed, so any exit is a failure). */
enum { CHILD_OPEN_FAILED = 10, CHILD_PUT_FAILED, CHILD_BAD_OFFSET, CHILD_PIPE, CHILD_RUNAWAY };

static void child_main(const rmq_store_config_t *cfg, uint32_t first_seq, int wfd)
{
    /* Orphaned (the test process died): do not append forever. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(CHILD_PIPE);
    char err[256];
    rmq_store_t *s = rmq_store_open(cfg, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "child: open failed: %s\n", err);
        _exit(CHILD_OPEN_FAILED);
    }
    static uint8_t body[BODY_MAX];
    char keys[32];
    for (uint32_t seq = first_seq; seq < first_seq + CHILD_MAX_SEQS; seq++) {
        st_msg_t m;
        /* a key per message: index files are created and rebuilt too */
        snprintf(keys, sizeof(keys), "k%u", seq);
        st_msg(&m, TOPIC, QID, "", seq % 3 ? "TagA" : "TagB", keys);
        m.in.body = body;
        m.in.body_len = make_body(seq, body);
        rmq_put_result_t r;
        rmq_put_status_t st = rmq_store_put_sync(s, &m.in, 1, &r);
        if (st != RMQ_PUT_OK) {
            fprintf(stderr, "child: put %u: %s\n", seq, rmq_put_status_name(st));
            _exit(CHILD_PUT_FAILED);
        }
        /* the queue continues exactly where recovery left it */
        if (r.queue_offset != (int64_t)seq) {
            fprintf(stderr, "child: put %u got queue offset %lld\n", seq,
                    (long long)r.queue_offset);
            _exit(CHILD_BAD_OFFSET);
        }
        uint8_t b[4];
        put_be32(b, seq);
        if (write(wfd, b, 4) != 4)
            _exit(CHILD_PIPE);
    }
    _exit(CHILD_RUNAWAY);
}

/* ---- the parent ---- */

typedef struct acks {
    uint32_t next;  /* the sequence number the next ack must carry */
    uint32_t count; /* acks this round */
    uint8_t part[4];
    size_t npart;
} acks_t;

static void take_acks(acks_t *a, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        a->part[a->npart++] = p[i];
        if (a->npart < 4)
            continue;
        a->npart = 0;
        uint32_t seq = get_be32(a->part);
        /* the child acknowledges in order, without gaps */
        if (seq != a->next)
            fail_msg("ack %u, expected %u", seq, a->next);
        a->next++;
        a->count++;
    }
}

/* Reads acks until deadline (monotonic ms) or EOF; true on EOF. */
static bool read_acks(int fd, acks_t *a, int64_t deadline)
{
    uint8_t buf[4096];
    for (;;) {
        int64_t left = deadline - rmq_mono_ms();
        if (deadline >= 0 && left <= 0)
            return false;
        struct pollfd pfd = {fd, POLLIN, 0};
        int rc = poll(&pfd, 1, deadline >= 0 ? (int)left : 1000);
        if (rc < 0 && errno == EINTR)
            continue;
        assert_true(rc >= 0);
        if (rc == 0)
            continue;
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n >= 0);
        if (n == 0)
            return true;
        take_acks(a, buf, (size_t)n);
    }
}

typedef struct verify_out {
    uint32_t count;       /* messages in the queue */
    int64_t cl_end;       /* end of the last record in the commit log */
} verify_out_t;

/* Reads the whole queue and checks every record; returns what it saw. */
static verify_out_t verify_store(rmq_store_t *s)
{
    verify_out_t v = {0, 0};
    /* nothing is ever deleted here: the queue starts at 0 */
    int64_t min = rmq_store_min_offset(s, TOPIC, QID);
    assert_int_equal(min, 0);
    int64_t max = rmq_store_max_offset(s, TOPIC, QID);
    int64_t off = min, last_phys = -1;
    for (int guard = 0; guard < 1000000; guard++) {
        rmq_get_result_t r;
        rmq_store_get_messages(s, TOPIC, QID, off, 32, NULL, NULL, &r);
        if (r.status != RMQ_GET_FOUND) {
            if (max == 0)
                assert_int_equal(r.status, RMQ_GET_NO_MESSAGE_IN_QUEUE);
            else
                assert_int_equal(r.status, RMQ_GET_OFFSET_OVERFLOW_ONE);
            rmq_get_result_release(&r);
            break;
        }
        assert_int_equal(r.count, r.next_begin_offset - off);
        for (size_t i = 0; i < r.count; i++) {
            int64_t qo = off + (int64_t)i;
            rmq_record_t rec;
            if (rmq_record_parse(r.msgs[i].p, r.msgs[i].len, true, &rec) != RMQ_RECORD_OK)
                fail_msg("queue offset %lld: record does not parse", (long long)qo);
            assert_int_equal(rec.total_size, (int32_t)r.msgs[i].len);
            assert_int_equal(rec.queue_offset, qo);
            assert_int_equal(rec.queue_id, QID);
            assert_int_equal(rec.topic_len, (int32_t)strlen(TOPIC));
            assert_memory_equal(rec.topic, TOPIC, strlen(TOPIC));
            assert_true(rec.phys_offset > last_phys);
            if (!body_ok(rec.body, (size_t)rec.body_len, (uint32_t)qo))
                fail_msg("queue offset %lld: body of %d bytes is not message %lld",
                         (long long)qo, rec.body_len, (long long)qo);
            last_phys = rec.phys_offset;
            v.cl_end = rec.phys_offset + rec.total_size;
        }
        off = r.next_begin_offset;
        rmq_get_result_release(&r);
    }
    v.count = (uint32_t)off;
    assert_int_equal(off, max);
    assert_int_equal(rmq_store_dispatch_behind(s), 0);
    /* Nothing after the last good record: no record at its end, and the
     * commit log ends there (or at the next segment's start when a BLANK
     * closed the segment). */
    rmq_buf_t b = RMQ_BUF_INIT;
    assert_int_equal(rmq_store_read_at(s, v.cl_end, &b), ROCKETMQ_ERR__NOT_FOUND);
    rmq_buf_free(&b);
    int64_t cl_max = rmq_store_commitlog_max_offset(s);
    if (cl_max != v.cl_end) {
        assert_true(cl_max > v.cl_end);
        assert_int_equal(cl_max % SEG_SIZE, 0);
        assert_true(cl_max - v.cl_end <= SEG_SIZE);
    }
    rmq_get_result_t r;
    rmq_store_get_messages(s, TOPIC, QID, max + 1, 32, NULL, NULL, &r);
    assert_int_equal(r.count, 0);
    return v;
}

/* Files named <20 digits>.tmp in dir: segment creations a kill cut short
 * (the store removes them when it loads). */
static int count_tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        n += len == 24 && strcmp(e->d_name + 20, ".tmp") == 0;
    }
    closedir(d);
    return n;
}

static int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : def;
}

static void crash_rounds(void **state)
{
    (void)state;
    uint64_t seed = (uint64_t)rmq_now_ms() ^ ((uint64_t)getpid() << 32);
    const char *se = getenv("RMQ_CRASH_SEED");
    if (se && *se)
        seed = strtoull(se, NULL, 0);
    prng_state = seed;
    int rounds = env_int("RMQ_CRASH_ROUNDS", DEFAULT_ROUNDS);
    if (rounds < MIN_ROUNDS)
        rounds = MIN_ROUNDS;
    printf("crash test: seed %llu (RMQ_CRASH_SEED), %d rounds\n", (unsigned long long)seed,
           rounds);
    fflush(stdout);

    char *dir = st_tmpdir();
    assert_non_null(dir);
    rmq_store_config_t cfg;
    crash_config(&cfg, dir);
    char abort_path[512], cl_dir[512], cq_dir[512];
    snprintf(abort_path, sizeof(abort_path), "%s/abort", dir);
    snprintf(cl_dir, sizeof(cl_dir), "%s/commitlog", dir);
    snprintf(cq_dir, sizeof(cq_dir), "%s/consumequeue/%s/%d", dir, TOPIC, QID);

    uint32_t next_seq = 0, acked_total = 0;
    int crashes = 0, done = 0;
    int64_t t0 = rmq_mono_ms();
    for (int round = 0; round < rounds; round++) {
        if (round >= MIN_ROUNDS && rmq_mono_ms() - t0 > TIME_BUDGET_MS) {
            printf("crash test: time budget spent after %d rounds\n", round);
            break;
        }
        int p[2];
        assert_int_equal(pipe(p), 0);
        fflush(NULL); /* nothing buffered twice */
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            child_main(&cfg, next_seq, p[1]);
        }
        close(p[1]);
        int delay = KILL_MIN_MS + (int)(prng() % (KILL_MAX_MS - KILL_MIN_MS + 1));
        acks_t a = {next_seq, 0, {0}, 0};
        bool eof = read_acks(p[0], &a, rmq_mono_ms() + delay);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!eof)
            read_acks(p[0], &a, -1); /* what the child wrote before it died */
        close(p[0]);
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
            fail_msg("round %d: child ended by itself (status 0x%x)", round, status);
        assert_int_equal(a.npart, 0);
        acked_total += a.count;
        bool crashed = access(abort_path, F_OK) == 0;
        crashes += crashed;

        char err[256];
        rmq_store_t *s = rmq_store_open(&cfg, err, sizeof(err));
        if (!s)
            fail_msg("round %d: reopen after the kill failed: %s", round, err);
        verify_out_t v = verify_store(s);
        rmq_store_close(s);
        /* A creation the kill interrupted left nothing behind (checked once
         * closed: an open store may be allocating its next file ahead). */
        assert_int_equal(count_tmp_files(cl_dir), 0);
        assert_int_equal(count_tmp_files(cq_dir), 0);
        /* Every ack is there; at most the put in flight (appended, not yet
         * acknowledged) and the one acknowledged just before the kill but not
         * yet reported may be there too. */
        if (v.count < acked_total || v.count > acked_total + 2)
            fail_msg("round %d: %u messages stored, %u acknowledged", round, v.count,
                     acked_total);
        printf("round %2d: killed after %3d ms, %5u acks, %6u stored, %s\n", round, delay,
               a.count, v.count, crashed ? "crash recovery" : "killed before open finished");
        /* the child's unacknowledged survivors count as sent from now on */
        next_seq = v.count;
        acked_total = v.count;
        done++;
    }
    printf("crash test: %d rounds, %d crash recoveries, %u messages, %lld ms\n", done, crashes,
           next_seq, (long long)(rmq_mono_ms() - t0));
    assert_true(done >= MIN_ROUNDS);
    /* most kills land after the child's open finished */
    assert_true(crashes >= done / 2);
    assert_true(next_seq > 0);
    rmq_conf_free(rmq_store_conf_defs, &cfg);
    st_rmdir(dir);
    free(dir);
}

/* A kill between creating a segment and sizing it used to leave a short file
 * under the segment's name, and the store then refused to load (every
 * segment must have the configured size).  Creation now sizes a <name>.tmp
 * and renames it; a leftover .tmp, empty or half sized, is removed at load. */
static void unfinished_creation_is_dropped(void **state)
{
    (void)state;
    char *dir = st_tmpdir();
    assert_non_null(dir);
    rmq_store_config_t cfg;
    crash_config(&cfg, dir);
    char err[256];
    rmq_store_t *s = rmq_store_open(&cfg, err, sizeof(err));
    assert_non_null(s);
    static uint8_t body[BODY_MAX];
    for (uint32_t seq = 0; seq < 100; seq++) {
        st_msg_t m;
        st_msg(&m, TOPIC, QID, "", NULL, NULL);
        m.in.body = body;
        m.in.body_len = make_body(seq, body);
        assert_int_equal(rmq_store_put_sync(s, &m.in, 1, NULL), RMQ_PUT_OK);
    }
    int64_t end = rmq_store_commitlog_max_offset(s);
    rmq_store_close(s);
    /* what a kill during the next creations leaves: an empty commit log
     * segment, a half-sized one, a consume queue file */
    char path[600];
    int64_t next = end - end % SEG_SIZE + SEG_SIZE;
    snprintf(path, sizeof(path), "%s/commitlog/%020lld.tmp", dir, (long long)next);
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    assert_true(fd >= 0);
    close(fd);
    snprintf(path, sizeof(path), "%s/commitlog/%020lld.tmp", dir, (long long)(next + SEG_SIZE));
    fd = open(path, O_CREAT | O_WRONLY, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, SEG_SIZE / 2), 0);
    close(fd);
    snprintf(path, sizeof(path), "%s/consumequeue/%s/%d/%020d.tmp", dir, TOPIC, QID, 2000);
    fd = open(path, O_CREAT | O_WRONLY, 0644);
    assert_true(fd >= 0);
    close(fd);
    /* and the abort file: the next open is a crash recovery */
    snprintf(path, sizeof(path), "%s/abort", dir);
    fd = open(path, O_CREAT | O_WRONLY, 0644);
    assert_true(fd >= 0);
    close(fd);

    s = rmq_store_open(&cfg, err, sizeof(err));
    if (!s)
        fail_msg("open with leftovers: %s", err);
    verify_out_t v = verify_store(s);
    assert_int_equal(v.count, 100);
    char cl_dir[512], cq_dir[512];
    snprintf(cl_dir, sizeof(cl_dir), "%s/commitlog", dir);
    snprintf(cq_dir, sizeof(cq_dir), "%s/consumequeue/%s/%d", dir, TOPIC, QID);
    /* The consume-queue leftover is gone at open; the commit-log directory is
     * checked once closed (an open store allocates its next segment ahead,
     * through a .tmp file of its own). */
    assert_int_equal(count_tmp_files(cq_dir), 0);
    /* and the segments the leftovers stood for are created properly now */
    for (uint32_t seq = 100; rmq_store_commitlog_max_offset(s) < next + 2 * SEG_SIZE; seq++) {
        st_msg_t m;
        st_msg(&m, TOPIC, QID, "", NULL, NULL);
        m.in.body = body;
        m.in.body_len = make_body(seq, body);
        assert_int_equal(rmq_store_put_sync(s, &m.in, 1, NULL), RMQ_PUT_OK);
    }
    rmq_store_close(s);
    assert_int_equal(count_tmp_files(cl_dir), 0);
    s = rmq_store_open(&cfg, err, sizeof(err));
    if (!s)
        fail_msg("reopen: %s", err);
    verify_store(s);
    rmq_store_close(s);
    assert_int_equal(count_tmp_files(cl_dir), 0);
    rmq_conf_free(rmq_store_conf_defs, &cfg);
    st_rmdir(dir);
    free(dir);
}

int main(void)
{
    rmq_log_set_level(RMQ_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unfinished_creation_is_dropped),
        cmocka_unit_test(crash_rounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
