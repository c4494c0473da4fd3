/* rmq bench produce | consume: Apache RocketMQ's benchmark Producer and
 * Consumer (example/.../benchmark/Producer.java and Consumer.java, 4.9.8)
 * on librocketmq.
 *
 * produce: THREADS threads share one producer (group benchmark_producer,
 * instance name the current time in ms, no body compression) and send
 * messages of SIZE random alphanumeric bytes back to back through the
 * library's normal send path (route lookup, queue selection, retries), so
 * a broker that fails mid-run is survived as an application survives it.
 * Failures are counted as Java counts them: a local or network failure is
 * "Send Failed", an error answered by the broker "Response Failed"; after
 * either the thread pauses 3 s (as Java does after RemotingException and
 * MQBrokerException; after any other client-side error, 100 ms).
 *
 * consume: a push consumer (20 consume threads, from the last offset)
 * counting what it receives and the end-to-end latency of each message,
 * from its born timestamp (set by the producer, in ms) to its receipt.
 *
 * Both print a line per second and a summary; latencies are kept in a
 * log-linear histogram of microseconds (exact below 128 us, then 64
 * buckets per power of two: under 1.6 % error), so the summary has true
 * percentiles.  With --json the last line of stdout is one JSON object.
 *
 * Deviations from Java, on purpose: the per-second line is printed every
 * second (Java prints a 10-second average every 10 s) and its Max RT is
 * the largest of that second (Java's producer line keeps the run's
 * maximum, which the summary has); RT is measured in microseconds. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "base/mem.h"
#include "base/time.h"
#include "rocketmq/consumer.h"
#include "rocketmq/producer.h"
#include "tools/rmq/cli.h"

#define BENCH_TOPIC "BenchmarkTest"
#define BENCH_PRODUCER_GROUP "benchmark_producer"
#define BENCH_CONSUMER_GROUP "benchmark_consumer"
#define BENCH_THREADS 64          /* Producer.java threadCount */
#define BENCH_CONSUME_THREADS 20  /* Consumer.java threadCount */
#define BENCH_SIZE 128            /* messageSize */
#define BENCH_SEND_TIMEOUT_MS 3000 /* DefaultMQProducer sendMsgTimeout */
#define BENCH_ASYNC_INFLIGHT 10000 /* MAX_LENGTH_ASYNC_QUEUE */
#define BENCH_PAUSE_MS 3000        /* Java's sleep after a remoting or broker error */
#define BENCH_PAUSE_LOCAL_MS 100
#define BENCH_MAX_SIZE (4 * 1024 * 1024)

/* ---- latency histogram (microseconds) ---- */

#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_BIT 27 /* 2^27 us = 134 s, the cap */
#define HIST_BUCKETS (2 * HIST_SUB + (HIST_MAX_BIT - HIST_SUB_BITS - 1) * HIST_SUB)

typedef struct hist {
    _Atomic uint64_t b[HIST_BUCKETS];
} hist_t;

static unsigned hist_index(uint64_t us)
{
    if (us >= (1ull << HIST_MAX_BIT))
        us = (1ull << HIST_MAX_BIT) - 1;
    if (us < 2 * HIST_SUB)
        return (unsigned)us;
    unsigned msb = 63u - (unsigned)__builtin_clzll(us);
    unsigned shift = msb - HIST_SUB_BITS;
    return 2 * HIST_SUB + (shift - 1) * HIST_SUB + (unsigned)((us >> shift) - HIST_SUB);
}

/* The middle of the bucket's range. */
static uint64_t hist_value(unsigned idx)
{
    if (idx < 2 * HIST_SUB)
        return idx;
    unsigned shift = (idx - 2 * HIST_SUB) / HIST_SUB + 1;
    uint64_t mant = (idx - 2 * HIST_SUB) % HIST_SUB + HIST_SUB;
    return (mant << shift) + ((1ull << shift) >> 1);
}

/* The pct percentile (nearest rank) of the n values recorded, in us;
 * never above max_us, the largest value seen exactly. */
static uint64_t hist_percentile(hist_t *h, uint64_t n, double pct, uint64_t max_us)
{
    if (n == 0)
        return 0;
    uint64_t rank = (uint64_t)(pct / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += atomic_load_explicit(&h->b[i], memory_order_relaxed);
        if (seen >= rank) {
            uint64_t v = hist_value(i);
            return v < max_us ? v : max_us;
        }
    }
    return max_us;
}

/* ---- shared pieces ---- */

/* Latency counters: totals, the run's maximum and the current second's. */
typedef struct lat {
    _Atomic uint64_t n;
    _Atomic uint64_t sum_us;
    _Atomic uint64_t max_us;
    _Atomic uint64_t sec_max_us; /* reset by each per-second line */
    hist_t hist;
} lat_t;

static void atomic_max(_Atomic uint64_t *a, uint64_t v)
{
    uint64_t cur = atomic_load_explicit(a, memory_order_relaxed);
    while (v > cur &&
           !atomic_compare_exchange_weak_explicit(a, &cur, v, memory_order_relaxed,
                                                 memory_order_relaxed)) {
    }
}

static void lat_record(lat_t *l, uint64_t us)
{
    atomic_fetch_add_explicit(&l->hist.b[hist_index(us)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&l->sum_us, us, memory_order_relaxed);
    atomic_max(&l->max_us, us);
    atomic_max(&l->sec_max_us, us);
    atomic_fetch_add_explicit(&l->n, 1, memory_order_relaxed);
}

static volatile sig_atomic_t g_bench_signal;

static void on_bench_signal(int sig)
{
    g_bench_signal = sig;
}

/* Java's UtilAll.timeMillisToHumanString2: "yyyy-MM-dd HH:mm:ss,SSS". */
static void human_time(char *out, size_t n)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char date[24];
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, n, "%s,%03d", date, (int)(tv.tv_usec / 1000) % 1000);
}

static int64_t realtime_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static const char *namesrv_addr(rmq_cli_t *cli)
{
    const char *addr = cli->namesrv;
    if (!addr || !*addr)
        addr = getenv("NAMESRV_ADDR");
    if (!addr || !*addr) {
        cli_usage(cli, "no name server address: pass -n host:port or set NAMESRV_ADDR");
        return NULL;
    }
    return addr;
}

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

/* ---- bench produce ---- */

typedef enum send_mode { MODE_SYNC, MODE_ASYNC, MODE_ONEWAY } send_mode_t;

typedef struct produce {
    /* options */
    const char *topic;
    const char *tags;
    int tag_count;
    bool keys;
    send_mode_t mode;
    int threads;
    int size;
    int64_t duration_s;
    int64_t count;
    int inflight_max;
    /* run */
    rocketmq_producer_t *producer;
    char *body;
    atomic_bool stop;
    _Atomic uint64_t send_failed;
    _Atomic uint64_t resp_failed;
    lat_t lat;
    /* ASYNC sends outstanding */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int inflight;
    int last_err;
    char last_detail[256];
} produce_t;

typedef struct producer_thread {
    produce_t *b;
    pthread_t tid;
    int64_t limit; /* 0: until stopped */
} producer_thread_t;

static void note_error(produce_t *b, int err, const char *detail)
{
    pthread_mutex_lock(&b->lock);
    b->last_err = err;
    snprintf(b->last_detail, sizeof(b->last_detail), "%s", detail ? detail : "");
    pthread_mutex_unlock(&b->lock);
}

/* Counts a failure the way Java's benchmark does; returns how long the
 * sending thread should pause. */
static int count_failure(produce_t *b, int err)
{
    if (err >= 0) { /* a response code of the broker: MQBrokerException */
        atomic_fetch_add(&b->resp_failed, 1);
        return BENCH_PAUSE_MS;
    }
    atomic_fetch_add(&b->send_failed, 1);
    if (err == ROCKETMQ_ERR__TRANSPORT || err == ROCKETMQ_ERR__TIMEOUT)
        return BENCH_PAUSE_MS; /* RemotingException */
    return BENCH_PAUSE_LOCAL_MS;
}

/* Sleeps up to ms, waking early when the run stops. */
static void pause_unless_stopped(produce_t *b, int ms_total)
{
    for (int slept = 0; slept < ms_total && !atomic_load(&b->stop); slept += 50)
        sleep_ms(50);
}

static void on_async_sent(int err, const rocketmq_send_result_t *r, const char *detail, void *arg)
{
    produce_t *b = (produce_t *)((void **)arg)[0];
    uint64_t t0 = (uint64_t)(uintptr_t)((void **)arg)[1];
    free(arg);
    if (err == 0) {
        lat_record(&b->lat, (rmq_mono_ns() - t0) / 1000);
    } else {
        count_failure(b, err); /* no pause: the callback thread is the library's */
        note_error(b, err, detail);
    }
    pthread_mutex_lock(&b->lock);
    b->inflight--;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
}

/* Takes one of the inflight_max ASYNC slots; false if the run stopped. */
static bool async_acquire(produce_t *b)
{
    pthread_mutex_lock(&b->lock);
    while (b->inflight >= b->inflight_max && !atomic_load(&b->stop)) {
        struct timespec ts;
        rmq_timespec_in(&ts, CLOCK_MONOTONIC, 50);
        pthread_cond_timedwait(&b->cond, &b->lock, &ts);
    }
    bool ok = !atomic_load(&b->stop);
    if (ok)
        b->inflight++;
    pthread_mutex_unlock(&b->lock);
    return ok;
}

static void async_release(produce_t *b)
{
    pthread_mutex_lock(&b->lock);
    b->inflight--;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
}

/* One send of msg, timed; a failure is counted and paused for here. */
static void send_one(produce_t *b, rocketmq_message_t *msg)
{
    uint64_t t0 = rmq_mono_ns();
    int err;
    if (b->mode == MODE_ASYNC) {
        if (!async_acquire(b))
            return;
        void **ctx = rmq_malloc(2 * sizeof(void *));
        ctx[0] = b;
        ctx[1] = (void *)(uintptr_t)t0;
        err = rocketmq_producer_send_async(b->producer, msg, on_async_sent, ctx);
        if (err == 0)
            return;
        free(ctx);
        async_release(b);
    } else {
        rocketmq_send_result_t r;
        err = b->mode == MODE_SYNC ? rocketmq_producer_send(b->producer, msg, &r)
                                   : rocketmq_producer_send_oneway(b->producer, msg);
        if (err == 0) {
            lat_record(&b->lat, (rmq_mono_ns() - t0) / 1000);
            return;
        }
    }
    note_error(b, err, rocketmq_last_error_detail());
    pause_unless_stopped(b, count_failure(b, err));
}

static void *producer_main(void *arg)
{
    producer_thread_t *t = arg;
    produce_t *b = t->b;
    rocketmq_message_t *msg = rocketmq_message_new(b->topic);
    rocketmq_message_set_body(msg, b->body, (size_t)b->size);
    if (b->tags)
        rocketmq_message_set_tags(msg, b->tags);
    for (int64_t num = 0; !atomic_load(&b->stop) && (t->limit == 0 || num < t->limit); num++) {
        /* a new message each time, as Java builds one: a new unique id */
        rocketmq_message_set_property(msg, ROCKETMQ_PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, NULL);
        if (b->keys) {
            char k[32];
            snprintf(k, sizeof(k), "%lld", (long long)(rmq_now_ms() / 1000));
            rocketmq_message_set_keys(msg, k);
        }
        if (b->tag_count > 0) {
            char tag[32];
            snprintf(tag, sizeof(tag), "tag%lld", (long long)(rmq_now_ms() % b->tag_count));
            rocketmq_message_set_tags(msg, tag);
        }
        send_one(b, msg);
    }
    rocketmq_message_destroy(msg);
    return NULL;
}

static const char *mode_name(send_mode_t m)
{
    return m == MODE_ASYNC ? "async" : m == MODE_ONEWAY ? "oneway" : "sync";
}

/* The per-second line; prev holds the counters of the previous one. */
static void produce_tick(produce_t *b, uint64_t *prev_n, uint64_t *prev_sum, uint64_t *prev_ns)
{
    uint64_t now = rmq_mono_ns();
    uint64_t n = atomic_load(&b->lat.n), sum = atomic_load(&b->lat.sum_us);
    uint64_t sec_max = atomic_exchange(&b->lat.sec_max_us, 0);
    double secs = (double)(now - *prev_ns) / 1e9;
    uint64_t dn = n - *prev_n;
    char when[48];
    human_time(when, sizeof(when));
    printf("Current Time: %s Send TPS: %.0f Max RT(ms): %.3f Average RT(ms): %7.3f "
           "Send Failed: %llu Response Failed: %llu\n",
           when, secs > 0 ? (double)dn / secs : 0.0, ms(sec_max),
           dn ? ms(sum - *prev_sum) / (double)dn : 0.0,
           (unsigned long long)atomic_load(&b->send_failed),
           (unsigned long long)atomic_load(&b->resp_failed));
    fflush(stdout);
    *prev_n = n;
    *prev_sum = sum;
    *prev_ns = now;
}

static bool workers_done(produce_t *b, atomic_int *running)
{
    if (atomic_load(running) > 0)
        return false;
    if (b->mode != MODE_ASYNC)
        return true;
    pthread_mutex_lock(&b->lock);
    bool idle = b->inflight == 0;
    pthread_mutex_unlock(&b->lock);
    return idle;
}

typedef struct thread_arg {
    producer_thread_t *t;
    atomic_int *running;
} thread_arg_t;

static void *producer_entry(void *arg)
{
    thread_arg_t *a = arg;
    producer_main(a->t);
    atomic_fetch_sub(a->running, 1);
    return NULL;
}

static void produce_summary(rmq_cli_t *cli, produce_t *b, double secs)
{
    uint64_t n = atomic_load(&b->lat.n), sum = atomic_load(&b->lat.sum_us);
    uint64_t max = atomic_load(&b->lat.max_us);
    uint64_t sf = atomic_load(&b->send_failed), rf = atomic_load(&b->resp_failed);
    double tps = secs > 0 ? (double)n / secs : 0;
    double avg = n ? ms(sum) / (double)n : 0;
    uint64_t p50 = hist_percentile(&b->lat.hist, n, 50, max);
    uint64_t p99 = hist_percentile(&b->lat.hist, n, 99, max);
    uint64_t p999 = hist_percentile(&b->lat.hist, n, 99.9, max);
    printf("[Complete] Send Total: %llu Send TPS: %.0f Max RT(ms): %.3f Average RT(ms): %7.3f "
           "Send Failed: %llu Response Failed: %llu\n",
           (unsigned long long)(n + sf + rf), tps, ms(max), avg, (unsigned long long)sf,
           (unsigned long long)rf);
    printf("[Complete] %s, %d thread%s, %d B: %llu sent in %.2f s, RT(ms) p50: %.3f p99: %.3f "
           "p99.9: %.3f max: %.3f\n",
           mode_name(b->mode), b->threads, b->threads == 1 ? "" : "s", b->size,
           (unsigned long long)n, secs, ms(p50), ms(p99), ms(p999), ms(max));
    if (sf + rf > 0 && n > 0) /* with none sent, the caller's error line says it */
        fprintf(stderr, "rmq bench: %llu sends failed, the last with %s: %s\n",
                (unsigned long long)(sf + rf), rocketmq_err_name(b->last_err), b->last_detail);
    if (cli->json) /* printed, not built with jansson: fixed decimals */
        printf("{\"mode\":\"%s\",\"threads\":%d,\"size\":%d,\"seconds\":%.3f,\"sent\":%llu,"
               "\"failed\":%llu,\"send_failed\":%llu,\"response_failed\":%llu,\"tps\":%.1f,"
               "\"rt_avg_ms\":%.3f,\"rt_p50_ms\":%.3f,\"rt_p99_ms\":%.3f,\"rt_p999_ms\":%.3f,"
               "\"rt_max_ms\":%.3f}\n",
               mode_name(b->mode), b->threads, b->size, secs, (unsigned long long)n,
               (unsigned long long)(sf + rf), (unsigned long long)sf, (unsigned long long)rf, tps,
               avg, ms(p50), ms(p99), ms(p999), ms(max));
    fflush(stdout);
}

/* Random alphanumeric bytes, as RandomStringUtils.randomAlphanumeric. */
static char *random_body(int size)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char *s = rmq_malloc((size_t)size + 1);
    uint64_t x = rmq_mono_ns() | 1;
    for (int i = 0; i < size; i++) {
        x ^= x << 13; /* xorshift64 */
        x ^= x >> 7;
        x ^= x << 17;
        s[i] = alnum[x % (sizeof(alnum) - 1)];
    }
    s[size] = '\0';
    return s;
}

static int produce_start(rmq_cli_t *cli, produce_t *b, const char *ns, const char *group)
{
    char inst[32];
    snprintf(inst, sizeof(inst), "%lld", (long long)rmq_now_ms());
    b->producer = rocketmq_producer_new(group);
    int err = rocketmq_producer_set_namesrv_addr(b->producer, ns);
    if (err == 0)
        err = rocketmq_producer_set_instance_name(b->producer, inst);
    if (err == 0)
        err = rocketmq_producer_set_compress_msg_body_over_howmuch(b->producer, 1 << 30);
    if (err == 0)
        err = rocketmq_producer_set_send_msg_timeout(b->producer, cli->timeout_ms);
    if (err == 0)
        err = rocketmq_producer_start(b->producer);
    if (err != 0)
        return cli_fail(cli, "the producer did not start: %s", rocketmq_last_error_detail());
    return 0;
}

/* Runs the threads, prints a line a second until the duration, the count
 * or a signal ends the run.  Returns the seconds the run took. */
static double produce_loop(produce_t *b)
{
    producer_thread_t *ts = rmq_calloc((size_t)b->threads, sizeof(*ts));
    thread_arg_t *args = rmq_calloc((size_t)b->threads, sizeof(*args));
    atomic_int running = 0;
    uint64_t start = rmq_mono_ns();
    int started = 0;
    for (int i = 0; i < b->threads; i++) {
        /* -q split over the threads, the remainder to the first (Java) */
        ts[i].b = b;
        ts[i].limit = b->count > 0 ? b->count / b->threads + (i == 0 ? b->count % b->threads : 0)
                                   : 0;
        if (b->count > 0 && ts[i].limit == 0)
            break;
        args[i] = (thread_arg_t){&ts[i], &running};
        atomic_fetch_add(&running, 1);
        if (pthread_create(&ts[i].tid, NULL, producer_entry, &args[i]) != 0) {
            atomic_fetch_sub(&running, 1);
            break;
        }
        started++;
    }
    uint64_t prev_n = 0, prev_sum = 0, prev_ns = start, next_tick = start + 1000000000ull;
    uint64_t end_at = b->duration_s > 0 ? start + (uint64_t)b->duration_s * 1000000000ull : 0;
    while (!workers_done(b, &running)) {
        uint64_t now = rmq_mono_ns();
        if (!atomic_load(&b->stop) && (g_bench_signal || (end_at && now >= end_at)))
            atomic_store(&b->stop, true);
        if (atomic_load(&b->stop) && atomic_load(&running) == 0)
            break; /* ASYNC sends still out: waited for below */
        if (now >= next_tick) {
            produce_tick(b, &prev_n, &prev_sum, &prev_ns);
            next_tick += 1000000000ull;
        }
        sleep_ms(10);
    }
    atomic_store(&b->stop, true);
    for (int i = 0; i < started; i++)
        pthread_join(ts[i].tid, NULL);
    /* ASYNC: the callbacks of sends out come within the send timeout */
    int64_t until = rmq_mono_ms() + BENCH_SEND_TIMEOUT_MS * 2 + 1000;
    while (!workers_done(b, &running) && rmq_mono_ms() < until)
        sleep_ms(10);
    uint64_t end = rmq_mono_ns();
    free(ts);
    free(args);
    return (double)(end - start) / 1e9;
}

static int bench_produce(rmq_cli_t *cli, int argc, char **argv)
{
    enum { OPT_TAGS = 'T', OPT_ASYNC = 'A', OPT_ONEWAY = 'O', OPT_DURATION = 'D',
           OPT_INFLIGHT = 'I' };
    static const cli_opt_t longopts[] = {
        {"topic", 1, 't'},         {"threads", 1, 'w'},      {"size", 1, 's'},
        {"keys", 0, 'k'},          {"tags", 1, OPT_TAGS},    {"tag-count", 1, 'l'},
        {"async", 0, OPT_ASYNC},   {"oneway", 0, OPT_ONEWAY}, {"duration", 1, OPT_DURATION},
        {"count", 1, 'q'},         {"group", 1, 'g'},        {"inflight", 1, OPT_INFLIGHT},
        {NULL, 0, 0},
    };
    produce_t *b = rmq_calloc(1, sizeof(*b));
    b->topic = BENCH_TOPIC;
    b->size = BENCH_SIZE;
    b->inflight_max = BENCH_ASYNC_INFLIGHT;
    const char *group = BENCH_PRODUCER_GROUP;
    int64_t v, threads = 0;
    bool async = false, oneway = false;
    const char *arg;
    int c, rc = RMQ_EXIT_OK;
    cli->timeout_ms = BENCH_SEND_TIMEOUT_MS; /* --timeout-ms: sendMsgTimeout */
    while (rc == RMQ_EXIT_OK &&
           (c = cli_getopt(cli, argc, argv, "t:w:s:kl:q:g:", longopts, &arg)) != -1) {
        switch (c) {
        case 't': b->topic = arg; break;
        case 'g': group = arg; break;
        case 'k': b->keys = true; break;
        case OPT_TAGS: b->tags = arg; break;
        case OPT_ASYNC: async = true; break;
        case OPT_ONEWAY: oneway = true; break;
        case 'w': rc = cli_parse_i64(cli, "-w", arg, 1, 4096, &threads); break;
        case 's':
            rc = cli_parse_i64(cli, "-s", arg, 1, BENCH_MAX_SIZE, &v);
            b->size = (int)v;
            break;
        case 'l':
            rc = cli_parse_i64(cli, "-l", arg, 1, 1000000, &v);
            b->tag_count = (int)v;
            break;
        case OPT_INFLIGHT:
            rc = cli_parse_i64(cli, "--inflight", arg, 1, 1000000, &v);
            b->inflight_max = (int)v;
            break;
        case OPT_DURATION:
            rc = cli_parse_i64(cli, "--duration", arg, 1, 86400 * 365, &b->duration_s);
            break;
        case 'q': rc = cli_parse_i64(cli, "-q", arg, 1, INT64_MAX / 2, &b->count); break;
        case 'h': printf("%s", rmq_cmds_bench[0].usage); free(b); return RMQ_EXIT_OK;
        default: rc = RMQ_EXIT_USAGE; break;
        }
    }
    if (rc == RMQ_EXIT_OK && cli_optind() < argc)
        rc = cli_usage(cli, "unexpected argument '%s'", argv[cli_optind()]);
    if (rc == RMQ_EXIT_OK && async && oneway)
        rc = cli_usage(cli, "--async and --oneway exclude each other");
    if (rc == RMQ_EXIT_OK && b->tags && b->tag_count)
        rc = cli_usage(cli, "--tags and -l exclude each other");
    const char *ns = rc == RMQ_EXIT_OK ? namesrv_addr(cli) : NULL;
    if (rc != RMQ_EXIT_OK || !ns) {
        free(b);
        return RMQ_EXIT_USAGE;
    }
    b->mode = async ? MODE_ASYNC : oneway ? MODE_ONEWAY : MODE_SYNC;
    /* Java: one thread when sending asynchronously */
    b->threads = threads > 0 ? (int)threads : async ? 1 : BENCH_THREADS;
    pthread_mutex_init(&b->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cond, &ca);
    pthread_condattr_destroy(&ca);
    b->body = random_body(b->size);

    printf("topic: %s threadCount: %d messageSize: %d keyEnable: %s tags: %s tagCount: %d "
           "messageQuantity: %lld duration: %lld s mode: %s\n",
           b->topic, b->threads, b->size, b->keys ? "true" : "false", b->tags ? b->tags : "-",
           b->tag_count, (long long)b->count, (long long)b->duration_s, mode_name(b->mode));
    fflush(stdout);
    rc = produce_start(cli, b, ns, group);
    if (rc == RMQ_EXIT_OK) {
        struct sigaction sa = {.sa_handler = on_bench_signal}, old_int, old_term;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        g_bench_signal = 0;
        double secs = produce_loop(b);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        produce_summary(cli, b, secs);
        uint64_t failed = atomic_load(&b->send_failed) + atomic_load(&b->resp_failed);
        if (atomic_load(&b->lat.n) == 0 && failed > 0)
            rc = cli_fail(cli, "no message was sent: %llu sends failed, the last with %s: %s",
                          (unsigned long long)failed, rocketmq_err_name(b->last_err),
                          b->last_detail);
        else if (atomic_load(&b->lat.n) == 0)
            rc = cli_fail(cli, "no message was sent");
    }
    rocketmq_producer_destroy(b->producer); /* waits for ASYNC callbacks */
    pthread_cond_destroy(&b->cond);
    pthread_mutex_destroy(&b->lock);
    free(b->body);
    free(b);
    return rc;
}

/* ---- bench consume ---- */

typedef struct consume {
    _Atomic uint64_t received;
    lat_t e2e; /* born timestamp to receipt */
    _Atomic uint64_t s2c_sum_us; /* store timestamp to receipt */
} consume_t;

static rocketmq_consume_status_t on_bench_messages(rocketmq_message_t *const *msgs, size_t n,
                                                   rocketmq_consume_context_t *ctx, void *arg)
{
    consume_t *b = arg;
    int64_t now = realtime_us();
    for (size_t i = 0; i < n; i++) {
        int64_t born = rocketmq_message_get_born_timestamp(msgs[i]) * 1000;
        int64_t stored = rocketmq_message_get_store_timestamp(msgs[i]) * 1000;
        lat_record(&b->e2e, (uint64_t)(now > born ? now - born : 0));
        atomic_fetch_add_explicit(&b->s2c_sum_us, (uint64_t)(now > stored ? now - stored : 0),
                                  memory_order_relaxed);
    }
    atomic_fetch_add(&b->received, n);
    return ROCKETMQ_CONSUME_SUCCESS;
}

static void consume_tick(consume_t *b, uint64_t *prev_n, uint64_t *prev_sum, uint64_t *prev_s2c,
                         uint64_t *prev_ns)
{
    uint64_t now = rmq_mono_ns();
    uint64_t n = atomic_load(&b->e2e.n), sum = atomic_load(&b->e2e.sum_us);
    uint64_t s2c = atomic_load(&b->s2c_sum_us);
    uint64_t sec_max = atomic_exchange(&b->e2e.sec_max_us, 0);
    double secs = (double)(now - *prev_ns) / 1e9;
    uint64_t dn = n - *prev_n;
    char when[48];
    human_time(when, sizeof(when));
    printf("Current Time: %s Receive TPS: %.0f AVG(B2C) RT(ms): %7.3f AVG(S2C) RT(ms): %7.3f "
           "MAX(B2C) RT(ms): %.3f Total: %llu\n",
           when, secs > 0 ? (double)dn / secs : 0.0, dn ? ms(sum - *prev_sum) / (double)dn : 0.0,
           dn ? ms(s2c - *prev_s2c) / (double)dn : 0.0, ms(sec_max), (unsigned long long)n);
    fflush(stdout);
    *prev_n = n;
    *prev_sum = sum;
    *prev_s2c = s2c;
    *prev_ns = now;
}

static void consume_summary(rmq_cli_t *cli, consume_t *b, double secs)
{
    uint64_t n = atomic_load(&b->e2e.n), sum = atomic_load(&b->e2e.sum_us);
    uint64_t max = atomic_load(&b->e2e.max_us);
    double tps = secs > 0 ? (double)n / secs : 0;
    double avg = n ? ms(sum) / (double)n : 0;
    uint64_t p50 = hist_percentile(&b->e2e.hist, n, 50, max);
    uint64_t p99 = hist_percentile(&b->e2e.hist, n, 99, max);
    uint64_t p999 = hist_percentile(&b->e2e.hist, n, 99.9, max);
    printf("[Complete] Receive Total: %llu in %.2f s Receive TPS: %.0f e2e (born to receipt) "
           "RT(ms) avg: %.3f p50: %.3f p99: %.3f p99.9: %.3f max: %.3f\n",
           (unsigned long long)n, secs, tps, avg, ms(p50), ms(p99), ms(p999), ms(max));
    if (cli->json)
        printf("{\"seconds\":%.3f,\"received\":%llu,\"tps\":%.1f,\"e2e_avg_ms\":%.3f,"
               "\"e2e_p50_ms\":%.3f,\"e2e_p99_ms\":%.3f,\"e2e_p999_ms\":%.3f,"
               "\"e2e_max_ms\":%.3f}\n",
               secs, (unsigned long long)n, tps, avg, ms(p50), ms(p99), ms(p999), ms(max));
    fflush(stdout);
}

static int bench_consume(rmq_cli_t *cli, int argc, char **argv)
{
    enum { OPT_TAGS = 'T', OPT_DURATION = 'D', OPT_FROM = 'F' };
    static const cli_opt_t longopts[] = {
        {"topic", 1, 't'},        {"group", 1, 'g'},          {"threads", 1, 'w'},
        {"tags", 1, OPT_TAGS},    {"expression", 1, 'e'},     {"duration", 1, OPT_DURATION},
        {"count", 1, 'q'},        {"from", 1, OPT_FROM},      {NULL, 0, 0},
    };
    const char *topic = BENCH_TOPIC, *group = NULL, *expr = "*";
    char group_buf[96];
    int64_t threads = BENCH_CONSUME_THREADS, duration_s = 0, count = 0;
    bool first = false;
    const char *arg;
    int c, rc = RMQ_EXIT_OK;
    while (rc == RMQ_EXIT_OK &&
           (c = cli_getopt(cli, argc, argv, "t:g:w:e:q:", longopts, &arg)) != -1) {
        switch (c) {
        case 't': topic = arg; break;
        case 'g': group = arg; break;
        case 'e':
        case OPT_TAGS: expr = arg; break;
        case 'w': rc = cli_parse_i64(cli, "-w", arg, 1, 1000, &threads); break;
        case OPT_DURATION:
            rc = cli_parse_i64(cli, "--duration", arg, 1, 86400 * 365, &duration_s);
            break;
        case 'q': rc = cli_parse_i64(cli, "-q", arg, 1, INT64_MAX / 2, &count); break;
        case OPT_FROM:
            if (strcmp(arg, "first") != 0 && strcmp(arg, "last") != 0)
                rc = cli_usage(cli, "--from wants first or last, not '%s'", arg);
            first = strcmp(arg, "first") == 0;
            break;
        case 'h': printf("%s", rmq_cmds_bench[0].usage); return RMQ_EXIT_OK;
        default: rc = RMQ_EXIT_USAGE; break;
        }
    }
    if (rc == RMQ_EXIT_OK && cli_optind() < argc)
        rc = cli_usage(cli, "unexpected argument '%s'", argv[cli_optind()]);
    const char *ns = rc == RMQ_EXIT_OK ? namesrv_addr(cli) : NULL;
    if (rc != RMQ_EXIT_OK || !ns)
        return RMQ_EXIT_USAGE;
    if (!group) { /* Java: the prefix and a suffix, so each run is a new group */
        snprintf(group_buf, sizeof(group_buf), "%s_%lld", BENCH_CONSUMER_GROUP,
                 (long long)(rmq_now_ms() % 100000));
        group = group_buf;
    }
    if (cli_check_topic(cli, topic) != 0)
        return RMQ_EXIT_FAIL;
    printf("topic: %s, threadCount %lld, group: %s, expression: %s, from: %s, "
           "messageQuantity: %lld, duration: %lld s\n",
           topic, (long long)threads, group, expr, first ? "first" : "last", (long long)count,
           (long long)duration_s);
    fflush(stdout);

    consume_t *b = rmq_calloc(1, sizeof(*b));
    char inst[32];
    snprintf(inst, sizeof(inst), "%lld", (long long)rmq_now_ms());
    rocketmq_push_consumer_t *pc = rocketmq_push_consumer_new(group);
    int err = rocketmq_push_consumer_set_namesrv_addr(pc, ns);
    if (err == 0)
        err = rocketmq_push_consumer_set_instance_name(pc, inst);
    if (err == 0)
        err = rocketmq_push_consumer_set_consume_thread_count(pc, (int)threads);
    if (err == 0)
        err = rocketmq_push_consumer_set_consume_from_where(
            pc, first ? ROCKETMQ_CONSUME_FROM_FIRST_OFFSET : ROCKETMQ_CONSUME_FROM_LAST_OFFSET);
    if (err == 0)
        err = rocketmq_push_consumer_subscribe(pc, topic, expr);
    if (err == 0)
        err = rocketmq_push_consumer_register_listener(pc, on_bench_messages, b);
    if (err == 0)
        err = rocketmq_push_consumer_start(pc);
    if (err != 0) {
        rc = cli_fail(cli, "the consumer did not start: %s", rocketmq_last_error_detail());
        rocketmq_push_consumer_destroy(pc);
        free(b);
        return rc;
    }
    printf("Consumer Started.\n");
    fflush(stdout);

    struct sigaction sa = {.sa_handler = on_bench_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    g_bench_signal = 0;
    uint64_t start = rmq_mono_ns();
    uint64_t end_at = duration_s > 0 ? start + (uint64_t)duration_s * 1000000000ull : 0;
    uint64_t prev_n = 0, prev_sum = 0, prev_s2c = 0, prev_ns = start;
    uint64_t next_tick = start + 1000000000ull;
    for (;;) {
        uint64_t now = rmq_mono_ns();
        if (g_bench_signal || (end_at && now >= end_at) ||
            (count > 0 && atomic_load(&b->received) >= (uint64_t)count))
            break;
        if (now >= next_tick) {
            consume_tick(b, &prev_n, &prev_sum, &prev_s2c, &prev_ns);
            next_tick += 1000000000ull;
        }
        sleep_ms(10);
    }
    double secs = (double)(rmq_mono_ns() - start) / 1e9;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rocketmq_push_consumer_shutdown(pc) != 0)
        rc = cli_fail(cli, "shutdown: %s", rocketmq_last_error_detail());
    rocketmq_push_consumer_destroy(pc);
    consume_summary(cli, b, secs);
    free(b);
    return rc;
}

/* ---- dispatch ---- */

static int bench_run(rmq_cli_t *cli, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(cli, "wants produce or consume");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        printf("%s", rmq_cmds_bench[0].usage);
        return RMQ_EXIT_OK;
    }
    if (strcmp(argv[1], "produce") == 0)
        return bench_produce(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "consume") == 0)
        return bench_consume(cli, argc - 1, argv + 1);
    return cli_usage(cli, "wants produce or consume, not '%s'", argv[1]);
}

const rmq_command_t rmq_cmds_bench[] = {
    {"bench", "Benchmark clients: bench produce | bench consume (RocketMQ's benchmark tools)",
     "usage: rmq bench produce -n ADDR [-t TOPIC] [-w THREADS] [-s SIZE] [-k] [--tags T | -l N]\n"
     "                         [--async [--inflight N] | --oneway] [--duration S | -q COUNT]\n"
     "                         [-g GROUP] [--timeout-ms MS] [--json]\n"
     "       rmq bench consume -n ADDR [-t TOPIC] [-g GROUP] [-w THREADS] [--tags EXPR]\n"
     "                         [--from first|last] [--duration S | -q COUNT] [--json]\n"
     "\n"
     "The semantics of Apache RocketMQ's benchmark Producer and Consumer.\n"
     "\n"
     "bench produce: THREADS threads share one producer (group benchmark_producer)\n"
     "and send SIZE-byte messages back to back through the normal send path (route\n"
     "lookup, queue selection, retries).  Every second a line with the send TPS,\n"
     "the average and largest RT of that second and the failures so far (Send\n"
     "Failed: local or network errors; Response Failed: errors answered by the\n"
     "broker; a thread pauses 3 s after either); at the end the totals and the\n"
     "p50 / p99 / p99.9 / max RT.\n"
     "  -t, --topic TOPIC   default BenchmarkTest\n"
     "  -w, --threads N     sending threads (default 64; 1 with --async)\n"
     "  -s, --size BYTES    body size, random alphanumeric (default 128)\n"
     "  -k, --keys          KEYS = the send time in seconds\n"
     "  --tags T            TAGS of every message\n"
     "  -l, --tag-count N   TAGS tag<ms % N>, as Java's -l\n"
     "  --async             ASYNC sends, at most --inflight (default 10000) outstanding;\n"
     "                      RT is the time to the callback\n"
     "  --oneway            ONEWAY sends (RT: the time the call took)\n"
     "  --duration S        stop after S seconds (default: run until SIGINT)\n"
     "  -q, --count N       stop after N sends, split over the threads\n"
     "  -g, --group GROUP   producer group (default benchmark_producer)\n"
     "  --timeout-ms MS     sendMsgTimeout (default 3000)\n"
     "  --json              the last line is {mode, threads, size, seconds, sent, failed,\n"
     "                      send_failed, response_failed, tps, rt_avg_ms, rt_p50_ms,\n"
     "                      rt_p99_ms, rt_p999_ms, rt_max_ms}; sent counts stored\n"
     "                      messages (ONEWAY: messages written), tps = sent / seconds\n"
     "\n"
     "bench consume: a push consumer counting what it receives; every second a line\n"
     "with the receive TPS and the end-to-end latency (born timestamp to receipt:\n"
     "average, largest; the born timestamp has millisecond resolution), at the end\n"
     "the total and the p50 / p99 / p99.9 / max latency.\n"
     "  -t, --topic TOPIC   default BenchmarkTest (must exist)\n"
     "  -g, --group GROUP   default benchmark_consumer_<random>: a new group each run\n"
     "  -w, --threads N     consume threads (default 20)\n"
     "  -e, --tags EXPR     subscription expression (default \"*\")\n"
     "  --from first|last   where a new group starts (default last, as Java's)\n"
     "  --duration S        stop after S seconds (default: run until SIGINT)\n"
     "  -q, --count N       stop after N messages\n"
     "  --json              the last line is {seconds, received, tps, e2e_avg_ms,\n"
     "                      e2e_p50_ms, e2e_p99_ms, e2e_p999_ms, e2e_max_ms}\n"
     "\n"
     "Exit status: 0 after a run (produce: 1 if no message was sent), 1 if the\n"
     "client could not start (consume: or the topic does not exist), 2 for bad usage.\n",
     bench_run},
    {NULL, NULL, NULL, NULL},
};
