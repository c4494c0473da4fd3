/* The C side of the interop test in the other direction: librocketmq's push
 * consumer (group GROUP, from the first offset) receives what an ali-ons
 * producer sent to TOPIC until it has COUNT distinct keys or TIMEOUT_MS
 * passed, lingers a second so that duplicates would show, shuts down and
 * prints one line per delivery, tab-separated:
 *
 *   <keys> <tags> <topic> <msgId> <offsetMsgId> <reconsumeTimes> <property origin>
 *   <bodyLength> <body as lowercase hex>
 *
 * (absent values print as "-").  The node test compares them with what it
 * sent.
 *
 *   interop_c_consume NAMESRV_ADDR TOPIC GROUP COUNT [TIMEOUT_MS]
 *
 * Exits 0 when COUNT distinct keys came, 1 on a timeout or a failure, 2 on
 * bad usage.  Every wait is bounded. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rocketmq/consumer.h"

/* Distinct keys seen: a chained hash set (the listener holds g_lock). */
#define NBUCKETS 4096

typedef struct key_node {
    struct key_node *next;
    char key[];
} key_node_t;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static key_node_t *g_keys[NBUCKETS];
static long g_distinct;
static long g_deliveries;
static int g_out_err;

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Adds key; true if it was new.  Caller holds g_lock. */
static int add_key(const char *key)
{
    uint32_t b = hash_str(key) % NBUCKETS;
    for (key_node_t *n = g_keys[b]; n; n = n->next)
        if (strcmp(n->key, key) == 0)
            return 0;
    size_t len = strlen(key);
    key_node_t *n = malloc(sizeof(*n) + len + 1);
    if (!n)
        return 0;
    memcpy(n->key, key, len + 1);
    n->next = g_keys[b];
    g_keys[b] = n;
    return 1;
}

static void free_keys(void)
{
    for (size_t b = 0; b < NBUCKETS; b++) {
        while (g_keys[b]) {
            key_node_t *n = g_keys[b];
            g_keys[b] = n->next;
            free(n);
        }
    }
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* One line for msg on stdout.  Caller holds g_lock. */
static void print_msg(const rocketmq_message_t *msg)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = 0;
    const unsigned char *body = rocketmq_message_get_body(msg, &len);
    if (printf("%s\t%s\t%s\t%s\t%s\t%d\t%s\t%zu\t", or_dash(rocketmq_message_get_keys(msg)),
               or_dash(rocketmq_message_get_tags(msg)), or_dash(rocketmq_message_get_topic(msg)),
               or_dash(rocketmq_message_get_msg_id(msg)),
               or_dash(rocketmq_message_get_offset_msg_id(msg)),
               rocketmq_message_get_reconsume_times(msg),
               or_dash(rocketmq_message_get_property(msg, "origin")), len) < 0)
        g_out_err = 1;
    for (size_t i = 0; body && i < len; i++) {
        putchar(hex[body[i] >> 4]);
        putchar(hex[body[i] & 15]);
    }
    if (putchar('\n') == EOF)
        g_out_err = 1;
}

static rocketmq_consume_status_t on_messages(rocketmq_message_t *const *msgs, size_t n,
                                             rocketmq_consume_context_t *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < n; i++) {
        print_msg(msgs[i]);
        g_deliveries++;
        const char *key = rocketmq_message_get_keys(msgs[i]);
        if (key && add_key(key))
            g_distinct++;
    }
    pthread_mutex_unlock(&g_lock);
    return ROCKETMQ_CONSUME_SUCCESS;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long distinct_now(void)
{
    pthread_mutex_lock(&g_lock);
    long n = g_distinct;
    pthread_mutex_unlock(&g_lock);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: %s NAMESRV_ADDR TOPIC GROUP COUNT [TIMEOUT_MS]\n", argv[0]);
        return 2;
    }
    long count = atol(argv[4]);
    int timeout_ms = argc > 5 ? atoi(argv[5]) : 60000;
    if (count <= 0 || timeout_ms <= 0) {
        fprintf(stderr, "%s: COUNT and TIMEOUT_MS must be positive\n", argv[0]);
        return 2;
    }
    rocketmq_push_consumer_t *c = rocketmq_push_consumer_new(argv[3]);
    if (!c)
        return 1;
    /* short periods: routes (the retry topic's too) and rebalances within
     * a second or two */
    int err = rocketmq_push_consumer_set_namesrv_addr(c, argv[1]);
    if (err == 0)
        err = rocketmq_push_consumer_set_consume_from_where(c, ROCKETMQ_CONSUME_FROM_FIRST_OFFSET);
    if (err == 0)
        err = rocketmq_push_consumer_set_rebalance_interval(c, 1000);
    if (err == 0)
        err = rocketmq_push_consumer_set_poll_name_server_interval(c, 1000);
    if (err == 0)
        err = rocketmq_push_consumer_set_heartbeat_broker_interval(c, 1000);
    if (err == 0)
        err = rocketmq_push_consumer_set_persist_consumer_offset_interval(c, 1000);
    if (err == 0)
        err = rocketmq_push_consumer_subscribe(c, argv[2], "*");
    if (err == 0)
        err = rocketmq_push_consumer_register_listener(c, on_messages, NULL);
    if (err == 0)
        err = rocketmq_push_consumer_start(c);
    if (err != 0) {
        fprintf(stderr, "%s: %s\n", argv[0], rocketmq_last_error_detail());
        rocketmq_push_consumer_destroy(c);
        return 1;
    }
    int64_t start = now_ms(), deadline = start + timeout_ms;
    while (distinct_now() < count && now_ms() < deadline)
        sleep_ms(50);
    int64_t took = now_ms() - start;
    long got = distinct_now();
    if (got >= count)
        sleep_ms(1000); /* duplicates, if any, show up in the output */
    err = rocketmq_push_consumer_shutdown(c);
    rocketmq_push_consumer_destroy(c);
    pthread_mutex_lock(&g_lock);
    long deliveries = g_deliveries;
    got = g_distinct;
    pthread_mutex_unlock(&g_lock);
    free_keys();
    if (fflush(stdout) != 0)
        g_out_err = 1;
    fprintf(stderr, "%s: %ld distinct keys of %ld in %lld ms, %ld deliveries\n", argv[0], got,
            count, (long long)took, deliveries);
    if (err != 0)
        fprintf(stderr, "%s: shutdown: %s\n", argv[0], rocketmq_last_error_detail());
    return got >= count && err == 0 && !g_out_err ? 0 : 1;
}
