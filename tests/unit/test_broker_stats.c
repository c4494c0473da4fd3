/* The broker's runtime statistics (StoreStatsService): TPS over 10, 60 and
 * 600 one-second samples, empty until there are enough, and the put
 * latency distribution of the last complete minute. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/stats.h"

static rmq_store_stats_t *at(int64_t puts, int64_t reads, int64_t hits, int64_t msgs_out)
{
    static rmq_store_stats_t s;
    memset(&s, 0, sizeof(s));
    s.put_messages = puts;
    s.get_times = reads;
    s.get_hits = hits;
    s.get_found = msgs_out;
    return &s;
}

static char *tps(const rmq_broker_stats_t *st, rmq_stats_kind_t k)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    rmq_broker_stats_tps(st, k, &b);
    return rmq_buf_cstr(&b); /* the caller frees */
}

static void test_tps_windows(void **state)
{
    (void)state;
    rmq_broker_stats_t *st = calloc(1, sizeof(*st));
    rmq_broker_stats_init(st);
    rmq_broker_stats_sample(st, at(0, 0, 0, 0), 1000);
    char *s = tps(st, RMQ_STATS_PUT);
    assert_string_equal(s, "  "); /* Java prints nothing for missing windows */
    free(s);
    /* 100 puts a second, 10 reads a second of which 4 found 32 messages */
    for (int i = 1; i <= 60; i++)
        rmq_broker_stats_sample(st, at(100 * i, 10 * i, 4 * i, 128 * i), 1000 + 1000 * i);
    s = tps(st, RMQ_STATS_PUT);
    assert_string_equal(s, "100.0 100.0 ");
    free(s);
    s = tps(st, RMQ_STATS_GET_MISS);
    assert_string_equal(s, "6.0 6.0 ");
    free(s);
    s = tps(st, RMQ_STATS_TRANSFERED);
    assert_string_equal(s, "128.0 128.0 ");
    free(s);
    /* ten minutes later the ring has rolled: the oldest samples are gone */
    for (int i = 61; i <= 700; i++)
        rmq_broker_stats_sample(st, at(100 * 60 + 50 * (i - 60), 0, 0, 0), 1000 + 1000 * i);
    s = tps(st, RMQ_STATS_PUT);
    assert_string_equal(s, "50.0 50.0 50.0");
    free(s);
    free(st);
}

static void test_latency_minutes(void **state)
{
    (void)state;
    rmq_broker_stats_t *st = calloc(1, sizeof(*st));
    rmq_store_stats_t *now = calloc(1, sizeof(*now));
    rmq_broker_stats_init(st);
    rmq_broker_stats_sample(st, now, 0);
    /* during the first minute: what arrived so far */
    now->put_latency[0] = 900;                               /* 0 ms */
    now->put_latency[rmq_store_latency_bucket(5)] = 90;      /* 5 ms */
    now->put_latency[rmq_store_latency_bucket(250)] = 9;     /* 250 ms */
    now->put_latency[rmq_store_latency_bucket(12000)] = 1;   /* 12 s */
    rmq_buf_t d = RMQ_BUF_INIT;
    double p99, p999;
    rmq_broker_stats_latency(st, now, &d, &p99, &p999);
    assert_string_equal(rmq_buf_cstr(&d),
                        "[<=0ms]:900 [0~10ms]:90 [10~50ms]:0 [50~100ms]:0 [100~200ms]:0 "
                        "[200~500ms]:9 [500ms~1s]:0 [1~2s]:0 [2~3s]:0 [3~4s]:0 [4~5s]:0 "
                        "[5~10s]:0 [10s~]:1 ");
    assert_true(p99 == 6.0);    /* 990 of 1000 are at most 5 ms */
    assert_true(p999 == 251.0); /* 999 of 1000 are at most 250 ms */
    rmq_buf_free(&d);
    /* the minute rolls over: the report is that minute, later puts wait */
    rmq_broker_stats_sample(st, now, 60000);
    now->put_latency[0] += 5000;
    rmq_broker_stats_latency(st, now, &d, &p99, &p999);
    assert_non_null(strstr(rmq_buf_cstr(&d), "[<=0ms]:900 "));
    rmq_buf_free(&d);
    rmq_broker_stats_sample(st, now, 120000);
    rmq_broker_stats_latency(st, now, &d, &p99, &p999);
    assert_non_null(strstr(rmq_buf_cstr(&d), "[<=0ms]:5000 [0~10ms]:0 "));
    assert_true(p99 == 1.0);
    rmq_buf_free(&d);
    free(now);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tps_windows),
        cmocka_unit_test(test_latency_minutes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
