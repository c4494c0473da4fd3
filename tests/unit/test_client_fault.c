/* The producer's latency fault table (4.9.8 MQFaultStrategy and
 * LatencyFaultToleranceImpl, protocol.md 9.5) and ThreadLocalIndex. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "client/fault.h"
#include "rocketmq/error.h"

static void test_durations(void **state)
{
    (void)state;
    rmq_fault_t *f = rmq_fault_new();
    static const struct {
        int64_t latency, duration;
    } cases[] = {
        {-1, 0},          {0, 0},           {49, 0},          {50, 0},
        {99, 0},          {100, 0},         {549, 0},         {550, 30000},
        {999, 30000},     {1000, 60000},    {1999, 60000},    {2000, 120000},
        {2999, 120000},   {3000, 180000},   {14999, 180000},  {15000, 600000},
        {30000, 600000},  {INT64_MAX, 600000},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t d = rmq_fault_duration(f, cases[i].latency);
        if (d != cases[i].duration)
            fail_msg("latency %lld: duration %lld, expected %lld", (long long)cases[i].latency,
                     (long long)d, (long long)cases[i].duration);
    }
    rmq_fault_free(f);
}

static void test_set_levels(void **state)
{
    (void)state;
    rmq_fault_t *f = rmq_fault_new();
    int64_t lat[RMQ_FAULT_MAX_LEVELS + 1] = {10, 20};
    int64_t dur[RMQ_FAULT_MAX_LEVELS + 1] = {1000, 2000};
    assert_int_equal(rmq_fault_set_levels(f, lat, dur, 0), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rmq_fault_set_levels(f, lat, dur, RMQ_FAULT_MAX_LEVELS + 1),
                     ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rmq_fault_set_levels(f, NULL, dur, 2), ROCKETMQ_ERR__INVALID_ARG);
    /* Unchanged after the refusals. */
    assert_int_equal(rmq_fault_duration(f, 550), 30000);
    assert_int_equal(rmq_fault_set_levels(f, lat, dur, 2), 0);
    assert_int_equal(rmq_fault_duration(f, 9), 0);
    assert_int_equal(rmq_fault_duration(f, 10), 1000);
    assert_int_equal(rmq_fault_duration(f, 19), 1000);
    assert_int_equal(rmq_fault_duration(f, 20), 2000);
    assert_int_equal(rmq_fault_duration(f, 30000), 2000);
    rmq_fault_free(f);
}

static void test_availability_window(void **state)
{
    (void)state;
    rmq_fault_t *f = rmq_fault_new();
    const int64_t now = 1700000000000;
    /* Unknown brokers are available. */
    assert_true(rmq_fault_available(f, "a", now));

    /* Fast attempt: duration 0, available at once. */
    rmq_fault_update(f, "a", 30, false, now);
    assert_true(rmq_fault_available(f, "a", now));

    /* 600 ms: 30 s out, from now to now + 29999 inclusive. */
    rmq_fault_update(f, "a", 600, false, now);
    assert_false(rmq_fault_available(f, "a", now));
    assert_false(rmq_fault_available(f, "a", now + 29999));
    assert_true(rmq_fault_available(f, "a", now + 30000));
    assert_true(rmq_fault_available(f, "b", now));

    /* A later fast attempt lifts it again (startTimestamp is overwritten). */
    rmq_fault_update(f, "a", 10, false, now + 100);
    assert_true(rmq_fault_available(f, "a", now + 100));

    /* 1000 ms: 60 s. */
    rmq_fault_update(f, "b", 1000, false, now);
    assert_false(rmq_fault_available(f, "b", now + 59999));
    assert_true(rmq_fault_available(f, "b", now + 60000));
    rmq_fault_free(f);
}

static void test_isolation(void **state)
{
    (void)state;
    rmq_fault_t *f = rmq_fault_new();
    const int64_t now = 5000000;
    /* A failure after 3 ms is rated as 30000 ms: 600000 ms out. */
    rmq_fault_update(f, "a", 3, true, now);
    assert_false(rmq_fault_available(f, "a", now + 599999));
    assert_true(rmq_fault_available(f, "a", now + 600000));

    /* The stored latency is the measured one (3), not 30000: an isolated
     * broker with latency 3 sorts before an unavailable one with 700 when
     * both are unavailable. */
    rmq_fault_update(f, "b", 700, false, now);
    char name[64];
    for (int i = 0; i < 10; i++) {
        assert_true(rmq_fault_pick_one_at_least(f, now + 1, name, sizeof(name)));
        assert_string_equal(name, "a");
    }
    rmq_fault_free(f);
}

static void test_remove(void **state)
{
    (void)state;
    rmq_fault_t *f = rmq_fault_new();
    rmq_fault_update(f, "a", 5000, false, 0);
    rmq_fault_update(f, "b", 5000, false, 0);
    assert_false(rmq_fault_available(f, "a", 1));
    rmq_fault_remove(f, "a");
    assert_true(rmq_fault_available(f, "a", 1));
    assert_false(rmq_fault_available(f, "b", 1));
    rmq_fault_remove(f, "a"); /* absent: nothing happens */
    rmq_fault_remove(f, "b");
    char name[64];
    assert_false(rmq_fault_pick_one_at_least(f, 1, name, sizeof(name)));
    rmq_fault_free(f);
}

static void test_pick_empty_and_one(void **state)
{
    (void)state;
    rmq_fault_t *f = rmq_fault_new();
    char name[64] = "untouched";
    assert_false(rmq_fault_pick_one_at_least(f, 0, name, sizeof(name)));
    assert_string_equal(name, "untouched");

    rmq_fault_update(f, "only", 20000, true, 0);
    for (int i = 0; i < 20; i++) {
        memset(name, 0, sizeof(name));
        assert_true(rmq_fault_pick_one_at_least(f, 1, name, sizeof(name)));
        assert_string_equal(name, "only");
    }
    /* Truncated to the buffer. */
    char small[3];
    assert_true(rmq_fault_pick_one_at_least(f, 1, small, sizeof(small)));
    assert_string_equal(small, "on");
    rmq_fault_free(f);
}

static void test_pick_better_half(void **state)
{
    (void)state;
    rmq_fault_t *f = rmq_fault_new();
    const int64_t now = 1000000;
    /* Inserted worst first so that table order does not help. */
    rmq_fault_update(f, "slow", 2500, false, now); /* out for 120 s */
    rmq_fault_update(f, "dead", 10, true, now);    /* out for 600 s */
    rmq_fault_update(f, "ok2", 80, false, now);    /* available, 80 ms */
    rmq_fault_update(f, "ok1", 20, false, now);    /* available, 20 ms */
    int seen1 = 0, seen2 = 0;
    char name[64];
    for (int i = 0; i < 1000; i++) {
        assert_true(rmq_fault_pick_one_at_least(f, now + 1, name, sizeof(name)));
        if (strcmp(name, "ok1") == 0)
            seen1++;
        else if (strcmp(name, "ok2") == 0)
            seen2++;
        else
            fail_msg("picked %s, not one of the better half", name);
    }
    /* index % 2 alternates from one call to the next. */
    assert_int_equal(seen1, 500);
    assert_int_equal(seen2, 500);

    /* With all four unavailable the order is by latency: dead (10), ok1
     * (600), ok2 (1500), slow (2500); the better half is {dead, ok1}... */
    rmq_fault_update(f, "ok1", 600, false, now);  /* out 30 s, latency 600 */
    rmq_fault_update(f, "ok2", 1500, false, now); /* out 60 s, latency 1500 */
    for (int i = 0; i < 100; i++) {
        assert_true(rmq_fault_pick_one_at_least(f, now + 1, name, sizeof(name)));
        if (strcmp(name, "dead") != 0 && strcmp(name, "ok1") != 0)
            fail_msg("picked %s, expected dead or ok1", name);
    }
    /* ...and once ok1's 30 s are over, it sorts first as the only available
     * one; the better half is {ok1, dead}. */
    for (int i = 0; i < 100; i++) {
        assert_true(rmq_fault_pick_one_at_least(f, now + 30000, name, sizeof(name)));
        if (strcmp(name, "dead") != 0 && strcmp(name, "ok1") != 0)
            fail_msg("picked %s, expected dead or ok1", name);
    }
    rmq_fault_free(f);
}

static void test_pick_tie_on_start_timestamp(void **state)
{
    (void)state;
    rmq_fault_t *f = rmq_fault_new();
    /* Same latency, both unavailable: the earlier startTimestamp first.
     * Three entries, half = 1: always the first after sorting. */
    rmq_fault_update(f, "late", 700, false, 2000);
    rmq_fault_update(f, "early", 700, false, 1000);
    rmq_fault_update(f, "worse", 900, false, 0);
    char name[64];
    for (int i = 0; i < 10; i++) {
        assert_true(rmq_fault_pick_one_at_least(f, 1500, name, sizeof(name)));
        assert_string_equal(name, "early");
    }
    rmq_fault_free(f);
}

static void test_thread_index(void **state)
{
    (void)state;
    int32_t prev = rmq_thread_index_next();
    assert_true(prev >= 0);
    for (int i = 0; i < 100000; i++) {
        int32_t v = rmq_thread_index_next();
        assert_true(v >= 0);
        /* +1, or wrapped from 0x7FFFFFFF to 0. */
        if (!(v == prev + 1 || (prev == INT32_MAX && v == 0)))
            fail_msg("index went from %d to %d", prev, v);
        prev = v;
    }
}

static void *index_thread(void *arg)
{
    int32_t *out = arg;
    out[0] = rmq_thread_index_next();
    out[1] = rmq_thread_index_next();
    return NULL;
}

static void test_thread_index_per_thread(void **state)
{
    (void)state;
    /* Each thread has its own counter: another thread's calls do not move
     * ours. */
    int32_t mine = rmq_thread_index_next();
    int32_t theirs[2];
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, index_thread, theirs), 0);
    pthread_join(t, NULL);
    assert_true(theirs[0] >= 0 && theirs[1] >= 0);
    assert_true(theirs[1] == theirs[0] + 1 || (theirs[0] == INT32_MAX && theirs[1] == 0));
    int32_t next = rmq_thread_index_next();
    assert_true(next == mine + 1 || (mine == INT32_MAX && next == 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_set_levels),
        cmocka_unit_test(test_availability_window),
        cmocka_unit_test(test_isolation),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_pick_empty_and_one),
        cmocka_unit_test(test_pick_better_half),
        cmocka_unit_test(test_pick_tie_on_start_timestamp),
        cmocka_unit_test(test_thread_index),
        cmocka_unit_test(test_thread_index_per_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
