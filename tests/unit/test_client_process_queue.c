/* ProcessQueue (client/process_queue.c): commit offsets, counters, the
 * orderly consuming set, flags and flow control, and many threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "client/msg_decode.h"
#include "client/msg_int.h"
#include "client/process_queue.h"

#define MIB (1024 * 1024)

/* A received message at queue offset off with a body of blen bytes. */
static rocketmq_message_t *mk(int64_t off, size_t blen)
{
    rocketmq_message_t *m = rocketmq_message_new("T");
    assert_non_null(m);
    if (blen) {
        char *b = calloc(1, blen);
        assert_int_equal(rocketmq_message_set_body(m, b, blen), 0);
        free(b);
    }
    rmq_msg_ext_t *e = rmq_msg_ext_mut(m);
    assert_non_null(e);
    e->queue_offset = off;
    return m;
}

/* A message whose body counts blen bytes without holding them, for the
 * size thresholds (the queue only reads body_len). */
static rocketmq_message_t *mk_big(int64_t off, size_t blen)
{
    rocketmq_message_t *m = mk(off, 0);
    m->body_len = blen;
    return m;
}

static bool put_range(rmq_process_queue_t *pq, int64_t from, int64_t to, size_t blen)
{
    size_t n = (size_t)(to - from);
    rocketmq_message_t **v = malloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = mk(from + (int64_t)i, blen);
    bool r = rmq_pq_put(pq, v, n);
    free(v);
    return r;
}

static int64_t rm1(rmq_process_queue_t *pq, int64_t off)
{
    return rmq_pq_remove(pq, &off, 1);
}

/* ---- concurrent consumption: put / remove ---- */

static void remove_in_order(void **state)
{
    (void)state;
    rmq_process_queue_t *pq = rmq_pq_new();
    assert_int_equal(rmq_pq_max_offset(pq), -1);
    assert_int_equal(rm1(pq, 0), -1); /* nothing held */
    assert_int_equal(rmq_pq_max_span(pq), 0);
    put_range(pq, 0, 10, 3);
    assert_int_equal(rmq_pq_count(pq), 10);
    assert_int_equal(rmq_pq_size(pq), 30);
    assert_int_equal(rmq_pq_max_span(pq), 9);
    assert_int_equal(rmq_pq_max_offset(pq), 9);
    assert_int_equal(rm1(pq, 0), 1);
    int64_t two[] = {1, 2};
    assert_int_equal(rmq_pq_remove(pq, two, 2), 3);
    assert_int_equal(rmq_pq_count(pq), 7);
    assert_int_equal(rmq_pq_size(pq), 21);
    assert_int_equal(rmq_pq_max_span(pq), 6);
    int64_t rest[] = {3, 4, 5, 6, 7, 8, 9};
    assert_int_equal(rmq_pq_remove(pq, rest, 7), 10); /* all gone: max + 1 */
    assert_int_equal(rmq_pq_count(pq), 0);
    assert_int_equal(rmq_pq_size(pq), 0);
    assert_int_equal(rmq_pq_max_span(pq), 0);
    assert_int_equal(rm1(pq, 9), -1);
    rmq_pq_unref(pq);
}

static void remove_out_of_order(void **state)
{
    (void)state;
    rmq_process_queue_t *pq = rmq_pq_new();
    put_range(pq, 10, 20, 1);
    assert_int_equal(rm1(pq, 15), 10); /* the lowest unconsumed */
    assert_int_equal(rmq_pq_max_span(pq), 9);
    assert_int_equal(rm1(pq, 10), 11);
    int64_t four[] = {14, 12, 11, 13};
    assert_int_equal(rmq_pq_remove(pq, four, 4), 16);
    assert_int_equal(rm1(pq, 19), 16);
    assert_int_equal(rmq_pq_max_span(pq), 2); /* 16..18 */
    assert_int_equal(rm1(pq, 19), 16);        /* gone already: no change */
    assert_int_equal(rm1(pq, 5), 16);         /* never held */
    assert_int_equal(rmq_pq_count(pq), 3);
    int64_t last[] = {18, 17, 16};
    assert_int_equal(rmq_pq_remove(pq, last, 3), 20);
    /* after the queue emptied, newer messages go on */
    put_range(pq, 20, 23, 1);
    assert_int_equal(rm1(pq, 21), 20);
    assert_int_equal(rmq_pq_remove(pq, NULL, 0), 20);
    rmq_pq_unref(pq); /* frees 20 and 22 */
}

/* Against a model, with interleaved puts and removals in random order and
 * chunk sizes (duplicates and absent offsets included), through many
 * compactions and growths. */
static void remove_random_orders(void **state)
{
    (void)state;
    enum { N = 5000 };
    static bool held[N];
    static int64_t list[N]; /* the held offsets, unordered */
    for (unsigned seed = 1; seed <= 8; seed++) {
        srand(seed);
        rmq_process_queue_t *pq = rmq_pq_new();
        memset(held, 0, sizeof(held));
        int64_t next = 0, low = 0;
        size_t count = 0;
        while (next < N || count > 0) {
            if (next < N && (count == 0 || rand() % 3 == 0)) {
                int64_t k = 1 + rand() % 40;
                if (next + k > N)
                    k = N - next;
                put_range(pq, next, next + k, 2);
                for (int64_t i = next; i < next + k; i++) {
                    held[i] = true;
                    list[count++] = i;
                }
                next += k;
                continue;
            }
            int64_t offs[17];
            size_t n = 1 + (size_t)(rand() % 16);
            for (size_t i = 0; i < n; i++)
                offs[i] = list[rand() % count]; /* may repeat */
            if (rand() % 4 == 0)
                offs[n++] = rand() % (next + 5); /* maybe absent, maybe beyond */
            for (size_t i = 0; i < n; i++) {
                if (offs[i] >= N || !held[offs[i]])
                    continue;
                held[offs[i]] = false;
                for (size_t j = 0; j < count; j++) {
                    if (list[j] == offs[i]) {
                        list[j] = list[--count];
                        break;
                    }
                }
            }
            while (low < next && !held[low])
                low++;
            int64_t r = rmq_pq_remove(pq, offs, n);
            assert_int_equal(r, low); /* the lowest held, or max + 1 = next */
            assert_int_equal(rmq_pq_count(pq), (int64_t)count);
            assert_int_equal(rmq_pq_size(pq), 2 * (int64_t)count);
            int64_t hi = next - 1;
            while (hi >= low && !held[hi])
                hi--;
            assert_int_equal(rmq_pq_max_span(pq), count ? hi - low : 0);
        }
        assert_int_equal(rmq_pq_remove(pq, &next, 1), -1);
        rmq_pq_unref(pq);
    }
}

static void put_ignores_old_offsets(void **state)
{
    (void)state;
    rmq_process_queue_t *pq = rmq_pq_new();
    assert_false(rmq_pq_put(pq, NULL, 0)); /* nothing held: no task */
    assert_true(put_range(pq, 5, 8, 10));
    /* 6 and 7 again (as a re-pull could bring), 8 new */
    assert_false(put_range(pq, 6, 9, 10)); /* a task is consuming already */
    assert_int_equal(rmq_pq_count(pq), 4);
    assert_int_equal(rmq_pq_size(pq), 40);
    assert_int_equal(rmq_pq_max_offset(pq), 8);
    put_range(pq, 3, 4, 10); /* older: freed */
    assert_int_equal(rmq_pq_count(pq), 4);
    /* a batch with an old offset in the middle */
    rocketmq_message_t *v[] = {mk(9, 1), mk(2, 1), mk(10, 1), mk(10, 1)};
    rocketmq_message_t *kept9 = v[0], *kept10 = v[2];
    rmq_pq_put(pq, v, 4);
    /* the freed ones are NULLed in the caller's array, the kept ones stay */
    assert_ptr_equal(v[0], kept9);
    assert_null(v[1]);
    assert_ptr_equal(v[2], kept10);
    assert_null(v[3]);
    assert_int_equal(rmq_pq_count(pq), 6);
    assert_int_equal(rmq_pq_size(pq), 42);
    int64_t all[] = {5, 6, 7, 8, 9, 10};
    assert_int_equal(rmq_pq_remove(pq, all, 6), 11);
    put_range(pq, 8, 11, 1); /* consumed already: not again */
    assert_int_equal(rmq_pq_count(pq), 0);
    assert_int_equal(rmq_pq_max_offset(pq), 10);
    /* a message without an ext part has no offset: never held */
    rocketmq_message_t *local = rocketmq_message_new("T");
    rmq_pq_put(pq, &local, 1);
    assert_int_equal(rmq_pq_count(pq), 0);
    rmq_pq_unref(pq);
}

/* ---- orderly ---- */

static int64_t off_of(const rocketmq_message_t *m)
{
    return rocketmq_message_get_queue_offset(m);
}

static void orderly_take_commit_again(void **state)
{
    (void)state;
    rmq_process_queue_t *pq = rmq_pq_new();
    rocketmq_message_t *out[16];
    assert_int_equal(rmq_pq_commit(pq), -1);
    rmq_pq_consume_again(pq); /* nothing taken: nothing happens */
    assert_true(put_range(pq, 0, 10, 10));
    assert_int_equal(rmq_pq_take(pq, 3, out), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(off_of(out[i]), i);
    assert_int_equal(rmq_pq_consuming_count(pq), 3);
    assert_int_equal(rmq_pq_count(pq), 10); /* taken messages still count */
    assert_int_equal(rmq_pq_size(pq), 100);
    assert_int_equal(rmq_pq_max_span(pq), 6); /* 3..9 */
    assert_int_equal(rmq_pq_commit(pq), 3);
    assert_int_equal(rmq_pq_consuming_count(pq), 0);
    assert_int_equal(rmq_pq_count(pq), 7);
    assert_int_equal(rmq_pq_size(pq), 70);

    assert_int_equal(rmq_pq_take(pq, 4, out), 4);
    assert_int_equal(off_of(out[0]), 3);
    assert_int_equal(rocketmq_message_get_reconsume_times(out[0]), 0);
    rmq_pq_consume_again(pq);
    assert_int_equal(rmq_pq_consuming_count(pq), 0);
    assert_int_equal(rmq_pq_count(pq), 7);
    assert_int_equal(rmq_pq_max_span(pq), 6);
    assert_int_equal(rmq_pq_take(pq, 2, out), 2);
    assert_int_equal(off_of(out[0]), 3);
    assert_int_equal(off_of(out[1]), 4);
    assert_int_equal(rocketmq_message_get_reconsume_times(out[0]), 1);
    /* taken again without a commit: the set grows */
    assert_int_equal(rmq_pq_take(pq, 16, out), 5);
    assert_int_equal(off_of(out[0]), 5);
    assert_int_equal(rocketmq_message_get_reconsume_times(out[0]), 1);
    assert_int_equal(rocketmq_message_get_reconsume_times(out[2]), 0); /* 7 was not taken */
    assert_int_equal(off_of(out[4]), 9);
    assert_int_equal(rmq_pq_consuming_count(pq), 7);
    rmq_pq_consume_again(pq);
    assert_int_equal(rmq_pq_take(pq, 16, out), 7);
    assert_int_equal(rocketmq_message_get_reconsume_times(out[0]), 2); /* offset 3 */
    assert_int_equal(rocketmq_message_get_reconsume_times(out[6]), 1); /* offset 9 */
    assert_int_equal(rmq_pq_commit(pq), 10);
    assert_int_equal(rmq_pq_count(pq), 0);
    assert_int_equal(rmq_pq_size(pq), 0);

    /* empty: take stops the task, and the next put starts one */
    assert_false(put_range(pq, 10, 11, 1)); /* still consuming */
    assert_int_equal(rmq_pq_take(pq, 4, out), 1);
    assert_int_equal(rmq_pq_commit(pq), 11);
    assert_int_equal(rmq_pq_take(pq, 4, out), 0);
    assert_false(put_range(pq, 11, 11, 1)); /* nothing held */
    assert_true(put_range(pq, 11, 12, 1));
    assert_false(put_range(pq, 12, 13, 1));
    rmq_pq_unref(pq); /* frees 11, 12 */
}

/* The set goes back in order even after puts compacted and grew the array
 * while it was out. */
static void consume_again_after_growth(void **state)
{
    (void)state;
    rmq_process_queue_t *pq = rmq_pq_new();
    rocketmq_message_t **out = malloc(5000 * sizeof(*out));
    int64_t next = 0;
    for (int round = 0; round < 20; round++) {
        put_range(pq, next, next + 7, 1);
        next += 7;
        size_t k = rmq_pq_take(pq, 5, out);
        assert_true(k > 0);
        put_range(pq, next, next + 200, 1); /* several growths */
        next += 200;
        rmq_pq_consume_again(pq);
        if (round % 3 == 0) {
            size_t t = rmq_pq_take(pq, 3, out);
            assert_int_equal(t, 3);
            int64_t last = off_of(out[2]); /* commit frees them */
            assert_int_equal(rmq_pq_commit(pq), last + 1);
        }
    }
    size_t all = rmq_pq_take(pq, 5000, out);
    assert_int_equal((int64_t)all, rmq_pq_count(pq));
    for (size_t i = 1; i < all; i++)
        assert_int_equal(off_of(out[i]), off_of(out[i - 1]) + 1);
    assert_int_equal(off_of(out[all - 1]), next - 1);
    assert_int_equal(rmq_pq_commit(pq), next);
    free(out);
    rmq_pq_unref(pq);
}

/* ---- flags and timestamps ---- */

static void flags_and_timestamps(void **state)
{
    (void)state;
    rmq_process_queue_t *pq = rmq_pq_new();
    int64_t now = rmq_mono_ms();
    assert_false(rmq_pq_dropped(pq));
    assert_false(rmq_pq_locked(pq));
    assert_false(rmq_pq_lock_valid(pq, now));
    assert_false(rmq_pq_pull_expired(pq, now)); /* stamped when created */
    assert_true(rmq_pq_pull_expired(pq, now + 120001 + 1000));

    rmq_pq_set_locked(pq, true, 1000);
    assert_true(rmq_pq_locked(pq));
    assert_true(rmq_pq_lock_valid(pq, 1000));
    assert_true(rmq_pq_lock_valid(pq, 31000)); /* expired is > 30000 */
    assert_false(rmq_pq_lock_valid(pq, 31001));
    rmq_pq_set_locked(pq, true, 31001); /* renewed */
    assert_true(rmq_pq_lock_valid(pq, 61001));
    rmq_pq_set_locked(pq, false, 40000);
    assert_false(rmq_pq_locked(pq));
    assert_false(rmq_pq_lock_valid(pq, 40000));

    rmq_pq_touch_pull(pq, 5000);
    assert_false(rmq_pq_pull_expired(pq, 125000));
    assert_true(rmq_pq_pull_expired(pq, 125001));

    rmq_pq_set_dropped(pq, true);
    assert_true(rmq_pq_dropped(pq));
    rmq_pq_set_dropped(pq, false);
    assert_false(rmq_pq_dropped(pq));

    pthread_mutex_t *cl = rmq_pq_consume_lock(pq);
    assert_non_null(cl);
    assert_int_equal(pthread_mutex_lock(cl), 0);
    assert_int_equal(pthread_mutex_trylock(cl), EBUSY);
    assert_int_equal(pthread_mutex_unlock(cl), 0);

    rmq_pq_ref(pq);
    rmq_pq_unref(pq);
    assert_false(rmq_pq_dropped(pq)); /* still alive */
    rmq_pq_unref(pq);
}

/* ---- flow control ---- */

static void flow_count(void **state)
{
    (void)state;
    rmq_flow_limits_t lim = {1000, 100, 2000};
    rmq_process_queue_t *pq = rmq_pq_new();
    assert_int_equal(rmq_pq_flow_delay(pq, &lim), 0);
    put_range(pq, 0, 1000, 1);
    assert_int_equal(rmq_pq_flow_delay(pq, &lim), 0); /* at the limit: pull */
    put_range(pq, 1000, 1001, 1);
    assert_int_equal(rmq_pq_flow_delay(pq, &lim), 50);
    rm1(pq, 500);
    assert_int_equal(rmq_pq_flow_delay(pq, &lim), 0);
    /* taken (orderly) messages still count */
    rmq_flow_limits_t small = {5, 100, -1};
    rmq_process_queue_t *o = rmq_pq_new();
    put_range(o, 0, 6, 1);
    rocketmq_message_t *out[6];
    assert_int_equal(rmq_pq_take(o, 6, out), 6);
    assert_int_equal(rmq_pq_flow_delay(o, &small), 50);
    assert_int_equal(rmq_pq_commit(o), 6);
    assert_int_equal(rmq_pq_flow_delay(o, &small), 0);
    rmq_pq_unref(o);
    rmq_pq_unref(pq);
}

static void flow_size(void **state)
{
    (void)state;
    rmq_flow_limits_t lim = {1000, 100, 2000};
    rmq_process_queue_t *pq = rmq_pq_new();
    rocketmq_message_t *a = mk_big(0, 100 * (size_t)MIB);
    rmq_pq_put(pq, &a, 1);
    assert_int_equal(rmq_pq_size(pq), 100 * (int64_t)MIB);
    assert_int_equal(rmq_pq_flow_delay(pq, &lim), 0); /* 100 MiB: not over */
    rocketmq_message_t *b = mk_big(1, MIB - 1);
    rmq_pq_put(pq, &b, 1);
    assert_int_equal(rmq_pq_flow_delay(pq, &lim), 0); /* 100.99 MiB rounds down */
    rocketmq_message_t *c = mk_big(2, 1);
    rmq_pq_put(pq, &c, 1);
    assert_int_equal(rmq_pq_flow_delay(pq, &lim), 50); /* 101 MiB */
    rm1(pq, 2);
    assert_int_equal(rmq_pq_flow_delay(pq, &lim), 0);
    rmq_pq_unref(pq);
}

static void flow_span(void **state)
{
    (void)state;
    rmq_flow_limits_t lim = {1000, 100, 2000};
    rmq_process_queue_t *pq = rmq_pq_new();
    rocketmq_message_t *v[] = {mk(0, 1), mk(2000, 1)};
    rmq_pq_put(pq, v, 2);
    assert_int_equal(rmq_pq_max_span(pq), 2000);
    assert_int_equal(rmq_pq_flow_delay(pq, &lim), 0); /* at the limit */
    rocketmq_message_t *w = mk(2001, 1);
    rmq_pq_put(pq, &w, 1);
    assert_int_equal(rmq_pq_flow_delay(pq, &lim), 50);
    lim.max_span = -1; /* orderly: not checked */
    assert_int_equal(rmq_pq_flow_delay(pq, &lim), 0);
    lim.max_span = 2000;
    rm1(pq, 0);
    assert_int_equal(rmq_pq_flow_delay(pq, &lim), 0); /* 2000..2001 */
    /* each limit alone, and all at once */
    rmq_flow_limits_t count_only = {1, 100, 1 << 30};
    assert_int_equal(rmq_pq_flow_delay(pq, &count_only), 50);
    rmq_flow_limits_t size_zero = {1000, 0, 1 << 30};
    assert_int_equal(rmq_pq_flow_delay(pq, &size_zero), 0); /* 2 bytes are 0 MiB, not > 0 */
    rmq_flow_limits_t size_neg = {1000, -1, 1 << 30};
    assert_int_equal(rmq_pq_flow_delay(pq, &size_neg), 50);
    rmq_flow_limits_t span_only = {1000, 100, 0};
    assert_int_equal(rmq_pq_flow_delay(pq, &span_only), 50); /* span 1 > 0 */
    rmq_flow_limits_t all = {0, -1, 0};
    assert_int_equal(rmq_pq_flow_delay(pq, &all), 50);
    rmq_pq_unref(pq);
}

/* ---- threads ---- */

enum { MT_N = 40000, MT_REMOVERS = 4 };

typedef struct mt {
    rmq_process_queue_t *pq;
    atomic_llong put_upto; /* offsets below are in the queue (or consumed) */
    atomic_int stop_reader;
} mt_t;

typedef struct remover_arg {
    mt_t *mt;
    int id;
} remover_arg_t;

static void *putter(void *arg)
{
    mt_t *mt = arg;
    for (int64_t off = 0; off < MT_N;) {
        int64_t k = 1 + off % 32;
        if (off + k > MT_N)
            k = MT_N - off;
        rocketmq_message_t *v[32];
        for (int64_t i = 0; i < k; i++)
            v[i] = mk(off + i, 8);
        rmq_pq_put(mt->pq, v, (size_t)k);
        off += k;
        atomic_store(&mt->put_upto, off);
    }
    return NULL;
}

/* Removes the offsets = id (mod MT_REMOVERS), a few at a time; the commit
 * offsets one thread sees never go down. */
static void *remover(void *arg)
{
    remover_arg_t *ra = arg;
    mt_t *mt = ra->mt;
    int64_t next = ra->id, last = -1;
    while (next < MT_N) {
        int64_t upto;
        while ((upto = atomic_load(&mt->put_upto)) <= next)
            sched_yield();
        int64_t offs[8];
        size_t n = 0;
        while (n < 8 && next < upto) {
            offs[n++] = next;
            next += MT_REMOVERS;
        }
        int64_t r = rmq_pq_remove(mt->pq, offs, n);
        /* its own offsets were held, so never -1; the lowest held only
         * grows, so one thread's commit offsets never go down */
        assert_true(r >= 0 && r <= MT_N);
        assert_true(r >= last);
        last = r;
    }
    return NULL;
}

static void *reader(void *arg)
{
    mt_t *mt = arg;
    rmq_flow_limits_t lim = {1000, 100, 2000};
    while (!atomic_load(&mt->stop_reader)) {
        int64_t c = rmq_pq_count(mt->pq);
        assert_true(c >= 0 && c <= MT_N);
        assert_true(rmq_pq_max_span(mt->pq) >= 0);
        int d = rmq_pq_flow_delay(mt->pq, &lim);
        assert_true(d == 0 || d == 50);
    }
    return NULL;
}

static void many_threads(void **state)
{
    (void)state;
    mt_t mt = {.pq = rmq_pq_new()};
    atomic_init(&mt.put_upto, 0);
    atomic_init(&mt.stop_reader, 0);
    pthread_t p, r[MT_REMOVERS], rd;
    remover_arg_t ra[MT_REMOVERS];
    assert_int_equal(pthread_create(&rd, NULL, reader, &mt), 0);
    for (int i = 0; i < MT_REMOVERS; i++) {
        ra[i] = (remover_arg_t){&mt, i};
        rmq_pq_ref(mt.pq);
        assert_int_equal(pthread_create(&r[i], NULL, remover, &ra[i]), 0);
    }
    assert_int_equal(pthread_create(&p, NULL, putter, &mt), 0);
    pthread_join(p, NULL);
    for (int i = 0; i < MT_REMOVERS; i++) {
        pthread_join(r[i], NULL);
        rmq_pq_unref(mt.pq);
    }
    atomic_store(&mt.stop_reader, 1);
    pthread_join(rd, NULL);
    assert_int_equal(rmq_pq_count(mt.pq), 0);
    assert_int_equal(rmq_pq_size(mt.pq), 0);
    assert_int_equal(rmq_pq_max_offset(mt.pq), MT_N - 1);
    assert_int_equal(rm1(mt.pq, 0), -1);
    rmq_pq_unref(mt.pq);
}

/* The last reference frees whatever is still held or taken. */
static void last_unref_frees(void **state)
{
    (void)state;
    rmq_process_queue_t *pq = rmq_pq_new();
    put_range(pq, 0, 100, 16);
    rocketmq_message_t *out[10];
    assert_int_equal(rmq_pq_take(pq, 10, out), 10);
    rm1(pq, 50);
    rmq_pq_ref(pq);
    rmq_pq_unref(pq);
    rmq_pq_unref(pq);
    rmq_pq_unref(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(remove_in_order),
        cmocka_unit_test(remove_out_of_order),
        cmocka_unit_test(remove_random_orders),
        cmocka_unit_test(put_ignores_old_offsets),
        cmocka_unit_test(orderly_take_commit_again),
        cmocka_unit_test(consume_again_after_growth),
        cmocka_unit_test(flags_and_timestamps),
        cmocka_unit_test(flow_count),
        cmocka_unit_test(flow_size),
        cmocka_unit_test(flow_span),
        cmocka_unit_test(many_threads),
        cmocka_unit_test(last_unref_frees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
