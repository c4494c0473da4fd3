/* Disk full: appends until the file system cannot hold another commit log
 * segment.  The failing put must say CREATE_MAPEDFILE_FAILED (or
 * SERVICE_NOT_AVAILABLE once the disk-full flag is up), never crash with
 * SIGBUS; everything acknowledged before stays readable, the store keeps
 * answering reads, and a reopen finds it all again.
 *
 * The full disk is a 2 MiB tmpfs mounted on a temporary directory.  Where
 * mount(2) is refused (unprivileged sandboxes) the same run uses a file size
 * limit instead: RLIMIT_FSIZE below the segment size makes posix_fallocate
 * of the next segment fail (EFBIG) as a full disk would.  The second test
 * always runs the limit variant.
 *
 * The appending runs in a child process, so a SIGBUS is reported as such
 * rather than taking the test runner down; the child hands its results back
 * in shared memory.  The parent only opens the store after the child is gone
 * (no fork with store threads running).
 *
 * The sparse-file cases (tmpfs only) fill the disk through the files that are
 * not allocated up front: consume-queue files (6 MB by default) and index
 * files (420 MB by default), written through shared mappings, used to die
 * with SIGBUS on the first store into a page the disk could not back.  Every
 * store step of those runs in a child: appending until puts fail, a reopen
 * on the still full disk (it may refuse writes, or refuse to open with an
 * error), and, once the file system is grown, a reopen that must find every
 * acknowledged message and take writes again. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include "base/buf.h"
#include "base/log.h"
#include "store/index.h"
#include "protocol/record.h"
#include "store_test_util.h"

#define TOPIC "FullTopic"
#define QID 2
#define SEG_SIZE (256 * 1024)
#define TMPFS_OPTS "size=2m,mode=0700"
/* Under the limit: lock, checkpoint (4 KiB), consume queue and index files
 * still fit; a 256 KiB segment does not. */
#define FSIZE_LIMIT (64 * 1024)
/* Segments written before the limit is set (limit variant). */
#define SEGS_BEFORE_LIMIT 3
/* A 2 MiB disk holds a few thousand of these; past this something is wrong. */
#define MAX_PUTS 20000
#define EXTRA_PUTS 3

typedef enum method { METHOD_TMPFS, METHOD_RLIMIT } method_t;

/* Filled by the child in shared memory. */
typedef struct df_result {
    int32_t acked;      /* messages 0..acked-1 acknowledged */
    int32_t fail_status; /* status of the first failed put */
    int64_t cl_max;     /* commit log end when the puts failed */
    char msg[512];      /* why the child failed, if it did */
} df_result_t;

static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* Body of message n: "n=<n>;" then filler from n, 200..3000 bytes. */
static size_t make_body(uint32_t n, uint8_t *out)
{
    size_t len = 200 + mix32(n + 1) % 2801;
    int h = snprintf((char *)out, 32, "n=%u;", n);
    uint32_t x = mix32(n ^ 0x5bd1e995U) | 1;
    for (size_t i = (size_t)h; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (uint8_t)('a' + x % 26);
    }
    return len;
}

static bool put_failure_allowed(rmq_put_status_t st)
{
    return st == RMQ_PUT_CREATE_MAPEDFILE_FAILED || st == RMQ_PUT_SERVICE_NOT_AVAILABLE;
}

static void df_config(rmq_store_config_t *cfg, const char *root)
{
    st_config(cfg, root);
    rmq_conf_set(rmq_store_conf_defs, cfg, "mappedFileSizeCommitLog", "262144", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, cfg, "mappedFileSizeConsumeQueue", "20000", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, cfg, "maxMessageSize", "8192", NULL, 0);
    /* Retention must not delete acknowledged data to make room: a nearly
     * full disk otherwise triggers forced deletion. */
    rmq_conf_set(rmq_store_conf_defs, cfg, "cleanResourceInterval", "3600000", NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, cfg, "cleanFileForciblyEnable", "false", NULL, 0);
}

/* Reads the queue from 0 and checks it holds exactly messages 0..n-1.
 * Returns NULL or a description of the first problem (static buffer). */
static const char *check_queue(rmq_store_t *s, int32_t n)
{
    static char why[256];
    static uint8_t want[3100];
    if (!rmq_store_wait_dispatched(s, 10000))
        return "dispatch did not catch up";
    int64_t off = 0;
    for (int guard = 0; guard < MAX_PUTS + 10; guard++) {
        rmq_get_result_t r;
        rmq_store_get_messages(s, TOPIC, QID, off, 32, NULL, NULL, &r);
        if (r.status != RMQ_GET_FOUND) {
            rmq_get_status_t st = r.status;
            rmq_get_result_release(&r);
            bool end_ok = n == 0 ? st == RMQ_GET_NO_MESSAGE_IN_QUEUE
                                 : st == RMQ_GET_OFFSET_OVERFLOW_ONE;
            if (!end_ok) {
                snprintf(why, sizeof(why), "read at %lld: %s", (long long)off,
                         rmq_get_status_name(st));
                return why;
            }
            break;
        }
        for (size_t i = 0; i < r.count; i++) {
            int64_t qo = off + (int64_t)i;
            rmq_record_t rec;
            size_t wl = make_body((uint32_t)qo, want);
            if (rmq_record_parse(r.msgs[i].p, r.msgs[i].len, true, &rec) != RMQ_RECORD_OK ||
                rec.queue_offset != qo || rec.body_len != (int32_t)wl ||
                memcmp(rec.body, want, wl) != 0) {
                rmq_get_result_release(&r);
                snprintf(why, sizeof(why), "message %lld is damaged", (long long)qo);
                return why;
            }
        }
        off = r.next_begin_offset;
        rmq_get_result_release(&r);
    }
    if (off != n || rmq_store_max_offset(s, TOPIC, QID) != n) {
        snprintf(why, sizeof(why), "read %lld messages, %d acknowledged", (long long)off, n);
        return why;
    }
    return NULL;
}

/* In a child: cmocka's handlers for fatal signals would report a SIGBUS as
 * a plain failure (and unwind into the test runner's frames); the default
 * action lets the parent see the signal. */
static void child_default_signals(void)
{
    static const int sigs[] = {SIGBUS, SIGSEGV, SIGILL, SIGFPE, SIGSYS};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], SIG_DFL);
}

#define CHILD_FAIL(res, ...)                                                                       \
    do {                                                                                           \
        snprintf((res)->msg, sizeof((res)->msg), __VA_ARGS__);                                     \
        _exit(1);                                                                                  \
    } while (0)

/* The child: append until the disk is full, then check the store still
 * serves what it acknowledged. */
static void child_main(const rmq_store_config_t *cfg, method_t method, df_result_t *res)
{
    child_default_signals();
    /* a write past the limit raises SIGXFSZ; the store must see EFBIG instead */
    signal(SIGXFSZ, SIG_IGN);
    char err[256];
    rmq_store_t *s = rmq_store_open(cfg, err, sizeof(err));
    if (!s)
        CHILD_FAIL(res, "open: %s", err);
    static uint8_t body[3100];
    bool limited = method != METHOD_RLIMIT;
    res->fail_status = RMQ_PUT_OK;
    for (uint32_t n = 0; n < MAX_PUTS; n++) {
        if (!limited && rmq_store_commitlog_max_offset(s) >= SEGS_BEFORE_LIMIT * SEG_SIZE) {
            struct rlimit rl = {FSIZE_LIMIT, FSIZE_LIMIT};
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
                CHILD_FAIL(res, "setrlimit: %s", strerror(errno));
            limited = true;
        }
        st_msg_t m;
        st_msg(&m, TOPIC, QID, "", "TagF", NULL);
        m.in.body = body;
        m.in.body_len = make_body(n, body);
        rmq_put_result_t r;
        rmq_put_status_t st = rmq_store_put_sync(s, &m.in, 1, &r);
        if (st != RMQ_PUT_OK) {
            res->fail_status = st;
            break;
        }
        if (r.queue_offset != (int64_t)n)
            CHILD_FAIL(res, "put %u: queue offset %lld", n, (long long)r.queue_offset);
        res->acked = (int32_t)n + 1;
    }
    res->cl_max = rmq_store_commitlog_max_offset(s);
    if (res->fail_status == RMQ_PUT_OK)
        CHILD_FAIL(res, "%d puts and the disk is not full", MAX_PUTS);
    if (!put_failure_allowed(res->fail_status))
        CHILD_FAIL(res, "put %d failed with %s", res->acked,
                   rmq_put_status_name(res->fail_status));
    const char *why = check_queue(s, res->acked);
    if (why)
        CHILD_FAIL(res, "after the failed put: %s", why);
    /* It stays full: further puts fail the same way and change nothing. */
    for (int i = 0; i < EXTRA_PUTS; i++) {
        st_msg_t m;
        st_msg(&m, TOPIC, QID, "small", NULL, NULL);
        rmq_put_status_t st = rmq_store_put_sync(s, &m.in, 1, NULL);
        if (!put_failure_allowed(st))
            CHILD_FAIL(res, "put after the disk filled: %s", rmq_put_status_name(st));
    }
    why = check_queue(s, res->acked);
    if (why)
        CHILD_FAIL(res, "after more failed puts: %s", why);
    rmq_store_close(s);
    _exit(0);
}

static void run(method_t method, const char *root)
{
    rmq_store_config_t cfg;
    df_config(&cfg, root);
    df_result_t *res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(res != MAP_FAILED);
    memset(res, 0, sizeof(*res));
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        child_main(&cfg, method, res);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("appending child killed by signal %d (%s) after %d acks", WTERMSIG(status),
                 strsignal(WTERMSIG(status)), res->acked);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("appending child failed: %s", res->msg);
    printf("disk full after %d messages, commit log end %lld: %s\n", res->acked,
           (long long)res->cl_max, rmq_put_status_name(res->fail_status));
    assert_true(put_failure_allowed(res->fail_status));
    /* it really wrote across segments before filling up */
    assert_true(res->cl_max > SEG_SIZE);
    assert_true(res->acked > 100);

    /* Reopen (a clean shutdown) with the disk still full, or in this process
     * without the limit: everything acknowledged is there. */
    char err[256];
    rmq_store_t *s = rmq_store_open(&cfg, err, sizeof(err));
    if (!s)
        fail_msg("reopen: %s", err);
    const char *why = check_queue(s, res->acked);
    if (why)
        fail_msg("after reopen: %s", why);
    assert_int_equal(rmq_store_commitlog_max_offset(s) <= res->cl_max, true);
    if (method == METHOD_TMPFS) {
        /* Still no room for a segment.  Recovery ends the log before the
         * BLANK record, so the tail of the last segment takes records again
         * until the next one is needed: continue the sequence until it
         * fails once more. */
        static uint8_t body[3100];
        int32_t n = res->acked;
        rmq_put_status_t st = RMQ_PUT_OK;
        for (int i = 0; i < 100 && st == RMQ_PUT_OK; i++) {
            st_msg_t m;
            st_msg(&m, TOPIC, QID, "", "TagF", NULL);
            m.in.body = body;
            m.in.body_len = make_body((uint32_t)n, body);
            rmq_put_result_t r;
            st = rmq_store_put_sync(s, &m.in, 1, &r);
            if (st == RMQ_PUT_OK)
                assert_int_equal(r.queue_offset, n++);
        }
        if (!put_failure_allowed(st))
            fail_msg("put on the full disk after reopen: %s", rmq_put_status_name(st));
        printf("after reopen: %d more messages fit, then %s\n", n - res->acked,
               rmq_put_status_name(st));
        assert_null(check_queue(s, n));
    }
    rmq_store_close(s);
    munmap(res, sizeof(*res));
    rmq_conf_free(rmq_store_conf_defs, &cfg);
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* The temporary directory, and whether a tmpfs is mounted on it: the
 * teardown unmounts it even when an assertion ended the test early. */
typedef struct fx {
    char *dir;
    char *root;
    bool mounted;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    f->dir = st_tmpdir();
    if (!f->dir) {
        free(f);
        return -1;
    }
    f->root = join(f->dir, "store");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    int rc = 0;
    if (f->mounted && umount(f->dir) != 0) {
        fprintf(stderr, "umount %s: %s\n", f->dir, strerror(errno));
        /* never leave the mount behind: detach it at least */
        if (umount2(f->dir, MNT_DETACH) != 0)
            rc = -1;
    }
    st_rmdir(f->dir);
    free(f->root);
    free(f->dir);
    free(f);
    return rc;
}

static bool mount_tmpfs(fx_t *f)
{
    f->mounted = mount("tmpfs", f->dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, TMPFS_OPTS) == 0;
    return f->mounted;
}

static void disk_full(void **state)
{
    fx_t *f = *state;
    mount_tmpfs(f);
    if (f->mounted)
        printf("disk full: method tmpfs (%s on %s)\n", TMPFS_OPTS, f->dir);
    else
        printf("disk full: method RLIMIT_FSIZE (%d bytes): mount refused: %s\n", FSIZE_LIMIT,
               strerror(errno));
    run(f->mounted ? METHOD_TMPFS : METHOD_RLIMIT, f->root);
}

static void file_size_limit(void **state)
{
    fx_t *f = *state;
    printf("file size limit: method RLIMIT_FSIZE (%d bytes)\n", FSIZE_LIMIT);
    run(METHOD_RLIMIT, f->root);
}

/* ---- Sparse files on a full disk ---- */

#define SP_TOPIC "SparseTopic"
#define SP_MAX_QUEUES 200
#define SP_MAX_KEYS 16
/* Consecutive failed puts that end the appending. */
#define SP_FAILS 3
/* Puts tried on the still full disk after a reopen. */
#define SP_REOPEN_PUTS 3
/* Messages put (with keys) once the disk has room again. */
#define SP_AFTER_PUTS 10
/* The operator makes room: the tmpfs is grown to this. */
#define SP_GROWN_OPTS "size=64m,mode=0700"

typedef struct sp_case {
    int queues;              /* messages go round-robin over queues 0..queues-1 */
    int keys;                /* KEYS tokens per message, and a UNIQ_KEY, when > 0 */
    uint32_t body_spread;    /* bodies of 200 .. 200 + spread - 1 bytes */
    const char *cq_size;     /* mappedFileSizeConsumeQueue */
    const char *slots;       /* maxHashSlotNum */
    const char *items;       /* maxIndexNum */
} sp_case_t;

/* Filled by the children in shared memory. */
typedef struct sp_result {
    int32_t acked[SP_MAX_QUEUES]; /* messages 0..acked[q]-1 of queue q acknowledged */
    int32_t total;                /* sum of acked */
    int32_t fail_status;          /* the last failed put */
    int32_t failures;             /* failed puts while appending */
    int32_t readable;             /* readable after the appending */
    int32_t reopened;             /* the reopen on the full disk: 1 opened, 0 refused */
    int32_t reopen_readable;
    int32_t reopen_status;        /* its last put */
    int32_t keys_found;           /* unique keys found after the disk grew, of */
    int32_t keys_tried;
    char reopen_err[256];
    char msg[512];
} sp_result_t;

typedef struct sp_msg {
    rmq_msg_in_t in;
    uint8_t body[3400];
    char props[1024];
} sp_msg_t;

static void sp_uniq(char *out, size_t n, uint32_t q, uint32_t i)
{
    snprintf(out, n, "U%08X%08X", q, i);
}

/* Body of message i of queue q: "q=<q>;n=<i>;" then filler from both. */
static size_t sp_body(const sp_case_t *c, uint32_t q, uint32_t i, uint8_t *out)
{
    size_t len = 200 + mix32(i * 7919u + q + 1) % c->body_spread;
    int h = snprintf((char *)out, 40, "q=%u;n=%u;", q, i);
    uint32_t x = mix32((i << 8) ^ q ^ 0x5bd1e995U) | 1;
    for (size_t k = (size_t)h; k < len; k++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[k] = (uint8_t)('a' + x % 26);
    }
    return len;
}

static void sp_build(const sp_case_t *c, uint32_t q, uint32_t i, sp_msg_t *m)
{
    st_msg_t base;
    st_msg(&base, SP_TOPIC, (int32_t)q, "", NULL, NULL);
    m->in = base.in;
    m->in.body = m->body;
    m->in.body_len = sp_body(c, q, i, m->body);
    size_t n = (size_t)snprintf(m->props, sizeof(m->props), "TAGS\001TagS");
    if (c->keys > 0) {
        n += (size_t)snprintf(m->props + n, sizeof(m->props) - n, "\002KEYS\001");
        for (int k = 0; k < c->keys; k++)
            n += (size_t)snprintf(m->props + n, sizeof(m->props) - n, "%sk%u-%u-%d",
                                  k ? " " : "", q, i, k);
        char uniq[32];
        sp_uniq(uniq, sizeof(uniq), q, i);
        n += (size_t)snprintf(m->props + n, sizeof(m->props) - n, "\002UNIQ_KEY\001%s", uniq);
    }
    m->in.properties = m->props;
    m->in.properties_len = n;
}

/* Whether rec is message i of queue q. */
static bool sp_is(const sp_case_t *c, const rmq_record_t *rec, uint32_t q, uint32_t i)
{
    static uint8_t want[3400];
    size_t wl = sp_body(c, q, i, want);
    return rec->queue_id == (int32_t)q && rec->queue_offset == (int64_t)i &&
           rec->body_len == (int32_t)wl && memcmp(rec->body, want, wl) == 0;
}

/* Reads every queue from 0: each message must be the one put at its queue
 * offset, and none beyond the acknowledged ones; with exact, each queue
 * holds exactly its acknowledged messages.  *readable counts them.  Returns
 * NULL or a description of the first problem (static buffer). */
static const char *sp_check(rmq_store_t *s, const sp_case_t *c, const int32_t *acked, bool exact,
                            int32_t *readable)
{
    static char why[256];
    *readable = 0;
    for (int q = 0; q < c->queues; q++) {
        int64_t off = 0;
        for (;;) {
            rmq_get_result_t r;
            rmq_store_get_messages(s, SP_TOPIC, q, off, 32, NULL, NULL, &r);
            if (r.status != RMQ_GET_FOUND || r.count == 0) {
                rmq_get_status_t st = r.status;
                rmq_get_result_release(&r);
                if (st != RMQ_GET_NO_MATCHED_LOGIC_QUEUE && st != RMQ_GET_NO_MESSAGE_IN_QUEUE &&
                    st != RMQ_GET_OFFSET_OVERFLOW_ONE) {
                    snprintf(why, sizeof(why), "queue %d: read at %lld: %s", q, (long long)off,
                             rmq_get_status_name(st));
                    return why;
                }
                break;
            }
            for (size_t k = 0; k < r.count; k++) {
                int64_t qo = off + (int64_t)k;
                rmq_record_t rec;
                if (qo >= acked[q] ||
                    rmq_record_parse(r.msgs[k].p, r.msgs[k].len, true, &rec) != RMQ_RECORD_OK ||
                    !sp_is(c, &rec, (uint32_t)q, (uint32_t)qo)) {
                    rmq_get_result_release(&r);
                    snprintf(why, sizeof(why), "queue %d: message %lld is %s", q, (long long)qo,
                             qo >= acked[q] ? "not acknowledged" : "damaged");
                    return why;
                }
            }
            int64_t next = r.next_begin_offset;
            rmq_get_result_release(&r);
            if (next <= off) {
                snprintf(why, sizeof(why), "queue %d: read at %lld: next offset %lld", q,
                         (long long)off, (long long)next);
                return why;
            }
            off = next;
        }
        if (exact && (off != acked[q] || rmq_store_max_offset(s, SP_TOPIC, q) != acked[q])) {
            snprintf(why, sizeof(why), "queue %d: %lld messages readable, %d acknowledged", q,
                     (long long)off, acked[q]);
            return why;
        }
        *readable += (int32_t)off;
    }
    return NULL;
}

/* CPU time of the whole process (every store thread), ms. */
static int64_t cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* While dispatch fails for want of space it retries with pauses: half a
 * second of it must cost little CPU (a busy retry loop would burn it all). */
static void sp_check_idle(sp_result_t *res, const char *when)
{
    int64_t before = cpu_ms();
    usleep(500 * 1000);
    int64_t used = cpu_ms() - before;
    if (used > 150)
        CHILD_FAIL(res, "%s: %lld ms of CPU in 500 ms while dispatch fails", when,
                   (long long)used);
}

/* Puts the next message of the round-robin sequence; on PUT_OK checks its
 * queue offset and counts it acknowledged.  Returns the status. */
static rmq_put_status_t sp_put_next(rmq_store_t *s, const sp_case_t *c, sp_result_t *res)
{
    static sp_msg_t m;
    uint32_t q = (uint32_t)res->total % (uint32_t)c->queues;
    uint32_t i = (uint32_t)res->acked[q];
    sp_build(c, q, i, &m);
    rmq_put_result_t r;
    rmq_put_status_t st = rmq_store_put_sync(s, &m.in, 1, &r);
    if (st == RMQ_PUT_OK) {
        if (r.queue_offset != (int64_t)i)
            CHILD_FAIL(res, "queue %u: put %u got queue offset %lld", q, i,
                       (long long)r.queue_offset);
        res->acked[q]++;
        res->total++;
    }
    return st;
}

/* Child: append until SP_FAILS puts in a row fail (a failed put is retried
 * with the same message: it took no queue offset). */
static void sp_append_child(const sp_case_t *c, const rmq_store_config_t *cfg, sp_result_t *res)
{
    char err[256];
    rmq_store_t *s = rmq_store_open(cfg, err, sizeof(err));
    if (!s)
        CHILD_FAIL(res, "open: %s", err);
    int in_row = 0;
    res->fail_status = RMQ_PUT_OK;
    for (int n = 0; n < MAX_PUTS && in_row < SP_FAILS; n++) {
        rmq_put_status_t st = sp_put_next(s, c, res);
        if (st == RMQ_PUT_OK) {
            in_row = 0;
            continue;
        }
        if (!put_failure_allowed(st))
            CHILD_FAIL(res, "put %d failed with %s", res->total, rmq_put_status_name(st));
        res->fail_status = st;
        res->failures++;
        in_row++;
    }
    if (in_row < SP_FAILS)
        CHILD_FAIL(res, "%d puts and the disk is not full", MAX_PUTS);
    /* Dispatch either catches up, and then everything acknowledged is
     * readable, or fails for want of space (the store refuses writes) and
     * what is readable is a sound prefix of each queue. */
    bool caught_up = rmq_store_wait_dispatched(s, 5000);
    const char *why = sp_check(s, c, res->acked, caught_up, &res->readable);
    if (why)
        CHILD_FAIL(res, "after the failed puts: %s", why);
    if (!caught_up)
        sp_check_idle(res, "after the failed puts");
    rmq_store_close(s);
    _exit(0);
}

/* Child: reopen with the disk still full.  Refusing to open (with an error)
 * is allowed; an open store serves what it has and takes or refuses puts. */
static void sp_reopen_full_child(const sp_case_t *c, const rmq_store_config_t *cfg,
                                 sp_result_t *res)
{
    rmq_store_t *s = rmq_store_open(cfg, res->reopen_err, sizeof(res->reopen_err));
    if (!s) {
        if (!res->reopen_err[0])
            CHILD_FAIL(res, "reopen failed without an error");
        _exit(0);
    }
    res->reopened = 1;
    bool caught_up = rmq_store_wait_dispatched(s, 5000);
    const char *why = sp_check(s, c, res->acked, caught_up, &res->reopen_readable);
    if (why)
        CHILD_FAIL(res, "reopen on the full disk: %s", why);
    if (!caught_up)
        sp_check_idle(res, "reopen on the full disk");
    res->reopen_status = RMQ_PUT_OK;
    for (int k = 0; k < SP_REOPEN_PUTS && res->reopen_status == RMQ_PUT_OK; k++) {
        rmq_put_status_t st = sp_put_next(s, c, res);
        if (st != RMQ_PUT_OK && !put_failure_allowed(st))
            CHILD_FAIL(res, "put on the full disk after reopen: %s", rmq_put_status_name(st));
        res->reopen_status = st;
    }
    rmq_store_close(s);
    _exit(0);
}

/* Child: reopen once the disk has room.  Everything acknowledged is read back,
 * puts are taken again, and new keys are found by the index. */
static void sp_reopen_grown_child(const sp_case_t *c, const rmq_store_config_t *cfg,
                                  sp_result_t *res)
{
    char err[256];
    rmq_store_t *s = rmq_store_open(cfg, err, sizeof(err));
    if (!s)
        CHILD_FAIL(res, "reopen with room: %s", err);
    if (!rmq_store_wait_dispatched(s, 10000))
        CHILD_FAIL(res, "reopen with room: dispatch did not catch up");
    int32_t readable;
    const char *why = sp_check(s, c, res->acked, true, &readable);
    if (why)
        CHILD_FAIL(res, "reopen with room: %s", why);
    rmq_buf_t buf = RMQ_BUF_INIT;
    if (c->keys > 0) {
        /* Keys dispatched while the index had no room are not indexed; any
         * offset the index gives must still be a readable record. */
        for (int q = 0; q < c->queues; q++) {
            int32_t picks[3] = {0, res->acked[q] / 2, res->acked[q] - 1};
            for (int p = 0; p < 3; p++) {
                if (picks[p] < 0 || (p > 0 && picks[p] == picks[p - 1]))
                    continue;
                char uniq[32];
                sp_uniq(uniq, sizeof(uniq), (uint32_t)q, (uint32_t)picks[p]);
                int64_t offs[RMQ_INDEX_QUERY_MAX];
                int n = rmq_store_query_by_key(s, SP_TOPIC, uniq, 32, 0, INT64_MAX, offs);
                bool found = false;
                for (int k = 0; k < n; k++) {
                    rmq_record_t rec;
                    buf.len = 0;
                    if (rmq_store_read_at(s, offs[k], &buf) != 0 ||
                        rmq_record_parse(buf.data, buf.len, true, &rec) != RMQ_RECORD_OK)
                        CHILD_FAIL(res, "key %s: offset %lld is no record", uniq,
                                   (long long)offs[k]);
                    found = found || sp_is(c, &rec, (uint32_t)q, (uint32_t)picks[p]);
                }
                res->keys_tried++;
                res->keys_found += found;
            }
        }
    }
    /* Writable again: the sequence goes on, and with keys the index has them. */
    int32_t before[SP_MAX_QUEUES];
    memcpy(before, res->acked, sizeof(before));
    for (int k = 0; k < SP_AFTER_PUTS; k++) {
        rmq_put_status_t st = sp_put_next(s, c, res);
        if (st != RMQ_PUT_OK)
            CHILD_FAIL(res, "put after the disk grew: %s", rmq_put_status_name(st));
    }
    if (!rmq_store_wait_dispatched(s, 10000))
        CHILD_FAIL(res, "dispatch did not catch up after the disk grew");
    why = sp_check(s, c, res->acked, true, &readable);
    if (why)
        CHILD_FAIL(res, "after the disk grew: %s", why);
    for (int q = 0; c->keys > 0 && q < c->queues; q++) {
        for (int32_t i = before[q]; i < res->acked[q]; i++) {
            char uniq[32];
            sp_uniq(uniq, sizeof(uniq), (uint32_t)q, (uint32_t)i);
            int64_t offs[RMQ_INDEX_QUERY_MAX];
            int n = rmq_store_query_by_key(s, SP_TOPIC, uniq, 32, 0, INT64_MAX, offs);
            bool found = false;
            for (int k = 0; k < n && !found; k++) {
                rmq_record_t rec;
                buf.len = 0;
                found = rmq_store_read_at(s, offs[k], &buf) == 0 &&
                        rmq_record_parse(buf.data, buf.len, true, &rec) == RMQ_RECORD_OK &&
                        sp_is(c, &rec, (uint32_t)q, (uint32_t)i);
            }
            if (!found)
                CHILD_FAIL(res, "key %s put after the disk grew is not indexed", uniq);
        }
    }
    rmq_buf_free(&buf);
    rmq_store_close(s);
    _exit(0);
}

/* Takes every block still free in the file system holding path (a file of
 * that name), so that a reopen really has not a page to spare. */
static void fill_disk(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    off_t size = 0;
    for (off_t step = 1 << 20; step >= 4096; step /= 2)
        while (posix_fallocate(fd, size, step) == 0)
            size += step;
    close(fd);
    struct statvfs v;
    assert_int_equal(statvfs(path, &v), 0);
    assert_int_equal(v.f_bavail, 0);
}

typedef void (*sp_child_fn)(const sp_case_t *c, const rmq_store_config_t *cfg, sp_result_t *res);

/* Runs fn in a child; fails the test if it was killed by a signal or failed. */
static void sp_fork(const char *what, sp_child_fn fn, const sp_case_t *c,
                    const rmq_store_config_t *cfg, sp_result_t *res)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_default_signals();
        fn(c, cfg, res);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("%s: child killed by signal %d (%s), %d messages acknowledged", what,
                 WTERMSIG(status), strsignal(WTERMSIG(status)), res->total);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("%s: %s", what, res->msg);
}

static void sp_run(void **state, const sp_case_t *c)
{
    fx_t *f = *state;
    if (!mount_tmpfs(f)) {
        printf("no tmpfs (%s): the file size limit cannot fill a sparse file\n", strerror(errno));
        skip();
    }
    rmq_store_config_t cfg;
    df_config(&cfg, f->root);
    rmq_conf_set(rmq_store_conf_defs, &cfg, "mappedFileSizeConsumeQueue", c->cq_size, NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, &cfg, "maxHashSlotNum", c->slots, NULL, 0);
    rmq_conf_set(rmq_store_conf_defs, &cfg, "maxIndexNum", c->items, NULL, 0);
    sp_result_t *res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(res != MAP_FAILED);
    memset(res, 0, sizeof(*res));

    sp_fork("appending", sp_append_child, c, &cfg, res);
    printf("disk full after %d messages (%d readable): %d failed puts, last %s\n", res->total,
           res->readable, res->failures, rmq_put_status_name(res->fail_status));
    assert_true(put_failure_allowed(res->fail_status));
    assert_true(res->total > 0);

    /* Not a block left: the reopen may refuse writes, or refuse to open
     * with an error, but must not crash. */
    char *ballast = join(f->dir, "ballast");
    fill_disk(ballast);
    sp_fork("reopen on the full disk", sp_reopen_full_child, c, &cfg, res);
    if (res->reopened)
        printf("reopen on the full disk: %d readable, put: %s\n", res->reopen_readable,
               rmq_put_status_name(res->reopen_status));
    else
        printf("reopen on the full disk refused: %s\n", res->reopen_err);
    /* Without its checkpoint file (a first start, or a lost file) the store
     * cannot even allocate one: the open fails with an error. */
    char *cp = join(f->root, "checkpoint"), *cp_aside = join(f->dir, "checkpoint.aside");
    assert_int_equal(rename(cp, cp_aside), 0);
    res->reopened = 0;
    res->reopen_err[0] = '\0';
    sp_fork("reopen without a checkpoint", sp_reopen_full_child, c, &cfg, res);
    if (res->reopened)
        fail_msg("reopen without a checkpoint on the full disk: opened");
    printf("reopen without a checkpoint refused: %s\n", res->reopen_err);
    assert_int_equal(rename(cp_aside, cp), 0);
    assert_int_equal(unlink(ballast), 0);
    free(cp);
    free(cp_aside);
    free(ballast);

    if (mount("tmpfs", f->dir, "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              SP_GROWN_OPTS) != 0)
        fail_msg("cannot grow the tmpfs: %s", strerror(errno));
    sp_fork("reopen with room", sp_reopen_grown_child, c, &cfg, res);
    printf("with room: all %d acknowledged messages readable, writable again", res->total);
    if (c->keys > 0)
        printf("; %d of %d sampled unique keys indexed", res->keys_found, res->keys_tried);
    printf("\n");
    munmap(res, sizeof(*res));
    rmq_conf_free(rmq_store_conf_defs, &cfg);
}

/* 200 queues with consume-queue files of the default 6 MB: the disk fills
 * with their first blocks long before the commit log needs a segment. */
static void many_queues(void **state)
{
    static const sp_case_t c = {200, 0, 2801, "6000000", "64", "256"};
    sp_run(state, &c);
}

/* The default index file (420 MB, 20 MB of hash slots) does not fit at all. */
static void index_default_size(void **state)
{
    static const sp_case_t c = {4, 2, 2801, "20000", "5000000", "20000000"};
    sp_run(state, &c);
}

/* The hash slots fit, the 400 MB of items do not: many keys per message fill
 * the disk through the item region. */
static void index_items(void **state)
{
    static const sp_case_t c = {4, SP_MAX_KEYS, 400, "20000", "100000", "20000000"};
    sp_run(state, &c);
}

/* Both: many default-size consume queues and a large index. */
static void many_queues_keys(void **state)
{
    static const sp_case_t c = {200, 1, 1000, "6000000", "100000", "20000000"};
    sp_run(state, &c);
}

int main(void)
{
    rmq_log_set_level(RMQ_LOG_WARN);
    /* Mounts go to a private mount namespace where possible: a run killed
     * before its teardown unmounts (a timeout) then leaves none behind. */
    if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        fprintf(stderr, "cannot make mounts private: %s\n", strerror(errno));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(disk_full, setup, teardown),
        cmocka_unit_test_setup_teardown(file_size_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(many_queues, setup, teardown),
        cmocka_unit_test_setup_teardown(index_default_size, setup, teardown),
        cmocka_unit_test_setup_teardown(index_items, setup, teardown),
        cmocka_unit_test_setup_teardown(many_queues_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
