/* Queue allocation strategies (4.9.8 AllocateMessageQueue*, protocol.md
 * 9.8), the Java orders they sort by, and the MD5 behind the consistent
 * hash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/md5.h"
#include "client/allocate.h"
#include "rocketmq/error.h"

/* ---- helpers ---- */

static rocketmq_message_queue_t mq(const char *topic, const char *broker, int id)
{
    rocketmq_message_queue_t q;
    memset(&q, 0, sizeof(q));
    snprintf(q.topic, sizeof(q.topic), "%s", topic);
    snprintf(q.broker_name, sizeof(q.broker_name), "%s", broker);
    q.queue_id = id;
    return q;
}

/* n queues of one topic and broker, queue ids 0..n-1 (already sorted). */
static rocketmq_message_queue_t *queues(size_t n)
{
    rocketmq_message_queue_t *q = calloc(n ? n : 1, sizeof(*q));
    for (size_t i = 0; i < n; i++)
        q[i] = mq("TopicTest", "broker-a", (int)i);
    return q;
}

/* n client ids "c<i>" padded so that string order is index order. */
static char **cids(size_t n)
{
    char **c = calloc(n ? n : 1, sizeof(*c));
    for (size_t i = 0; i < n; i++) {
        c[i] = malloc(32);
        snprintf(c[i], 32, "c%04zu", i);
    }
    return c;
}

static void cids_free(char **c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i]);
    free(c);
}

/* The queue ids allocated to cid_all[who] as "0,1,2" ("" when none). */
static void ids_of(rocketmq_allocate_strategy_t s, size_t nmq, size_t ncid, size_t who, char *buf,
                   size_t cap)
{
    rocketmq_message_queue_t *q = queues(nmq);
    char **c = cids(ncid);
    rocketmq_message_queue_t *out = (rocketmq_message_queue_t *)1;
    size_t nout = 99;
    assert_int_equal(rmq_allocate(s, c[who], q, nmq, c, ncid, NULL, 0, &out, &nout), 0);
    buf[0] = '\0';
    for (size_t i = 0; i < nout; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, "%s%d", i ? "," : "", out[i].queue_id);
    }
    if (nout == 0)
        assert_null(out);
    free(out);
    cids_free(c, ncid);
    free(q);
}

/* ---- MD5 ---- */

static void test_md5_rfc1321(void **state)
{
    (void)state;
    /* RFC 1321, A.5 test suite. */
    static const struct {
        const char *in, *hex;
    } v[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t d[16];
        char hex[33];
        rmq_md5(v[i].in, strlen(v[i].in), d);
        for (int j = 0; j < 16; j++)
            snprintf(hex + 2 * j, 3, "%02x", d[j]);
        assert_string_equal(hex, v[i].hex);
    }
}

static void test_md5_block_edges(void **state)
{
    (void)state;
    /* Lengths around the padding boundaries (55/56/63/64/65 bytes) of
     * 'a' * n, digests from python3 hashlib.md5. */
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {55, "ef1772b6dff9a122358552954ad0df65"},  {56, "3b0c8ac703f828b04c6c197006d17218"},
        {63, "b06521f39153d618550606be297466d5"},  {64, "014842d480b571495a4a0363793f7367"},
        {65, "c743a45e0d2e6a95cb859adae0248435"},  {1000, "cabe45dcc9ae5b66ba86600cca6b8ba8"},
    };
    char buf[1000];
    memset(buf, 'a', sizeof(buf));
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t d[16];
        char hex[33];
        rmq_md5(buf, v[i].n, d);
        for (int j = 0; j < 16; j++)
            snprintf(hex + 2 * j, 3, "%02x", d[j]);
        if (strcmp(hex, v[i].hex) != 0)
            fail_msg("md5('a' * %zu) = %s, expected %s", v[i].n, hex, v[i].hex);
    }
}

static void test_consistent_hash_value(void **state)
{
    (void)state;
    /* First 4 digest bytes, big-endian, unsigned (MD5("") = d41d8cd9...). */
    assert_int_equal(rmq_consistent_hash("", 0), INT64_C(0xd41d8cd9));
    assert_int_equal(rmq_consistent_hash("a", 1), INT64_C(0x0cc175b9));
    assert_int_equal(rmq_consistent_hash("127.0.0.1@1-0", 13), INT64_C(2658317339));
    const char *k = "MessageQueue [topic=TopicTest, brokerName=broker-a, queueId=0]";
    assert_int_equal(rmq_consistent_hash(k, strlen(k)), INT64_C(1987926524));
}

/* ---- sorting ---- */

static void test_mq_compare(void **state)
{
    (void)state;
    rocketmq_message_queue_t a = mq("A", "b", 1), b = mq("A", "b", 2), c = mq("A", "c", 0),
                             d = mq("B", "a", 0);
    assert_true(rmq_mq_compare(&a, &b) < 0);
    assert_true(rmq_mq_compare(&b, &a) > 0);
    assert_true(rmq_mq_compare(&a, &a) == 0);
    assert_true(rmq_mq_compare(&b, &c) < 0);
    assert_true(rmq_mq_compare(&c, &d) < 0);

    rocketmq_message_queue_t v[] = {d, c, b, a, mq("A", "b", 0), mq("A", "", 5), mq("", "z", 0)};
    rmq_mq_sort(v, sizeof(v) / sizeof(v[0]));
    static const struct {
        const char *topic, *broker;
        int id;
    } want[] = {{"", "z", 0}, {"A", "", 5}, {"A", "b", 0}, {"A", "b", 1},
                {"A", "b", 2}, {"A", "c", 0}, {"B", "a", 0}};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        assert_string_equal(v[i].topic, want[i].topic);
        assert_string_equal(v[i].broker_name, want[i].broker);
        assert_int_equal(v[i].queue_id, want[i].id);
    }
}

static void test_sort_non_ascii(void **state)
{
    (void)state;
    /* Java sorts by UTF-16 code units: a supplementary character (a
     * surrogate pair, D800-DBFF first) comes before U+E000..U+FFFF, unlike
     * byte order.  Expected order from python3:
     * sorted(l, key=lambda s: s.encode('utf-16-be')). */
    const char *want[] = {
        "A",
        "a",
        "ab",
        "z",
        "\xc3\xa9",         /* U+00E9 */
        "\xc3\xa9\x61",     /* U+00E9 a */
        "\xe4\xb8\xad",     /* U+4E2D */
        "\xf0\x90\x80\x80", /* U+10000 */
        "\xf0\x9f\x98\x80", /* U+1F600 */
        "\xee\x80\x80",     /* U+E000 */
        "\xef\xbc\xa1",     /* U+FF21 */
    };
    enum { N = sizeof(want) / sizeof(want[0]) };
    static const size_t shuffle[N] = {10, 3, 7, 0, 9, 5, 1, 8, 2, 6, 4};
    char *ids[N];
    rocketmq_message_queue_t mqs[N];
    for (size_t i = 0; i < N; i++) {
        ids[i] = (char *)want[shuffle[i]];
        mqs[i] = mq("T", want[shuffle[i]], 0);
    }
    rmq_cid_sort(ids, N);
    rmq_mq_sort(mqs, N);
    for (size_t i = 0; i < N; i++) {
        assert_string_equal(ids[i], want[i]);
        assert_string_equal(mqs[i].broker_name, want[i]);
    }
    /* Topic first, then broker name. */
    rocketmq_message_queue_t x = mq("\xf0\x9f\x98\x80", "z", 0), y = mq("\xef\xbc\xa1", "a", 0);
    assert_true(rmq_mq_compare(&x, &y) < 0);
    assert_true(rmq_mq_compare(&y, &x) > 0);
}

/* ---- Averagely, ByCircle ---- */

typedef struct alloc_case {
    size_t nmq, ncid;
    const char *want[6]; /* per consumer index */
} alloc_case_t;

static void check_cases(rocketmq_allocate_strategy_t s, const alloc_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t who = 0; who < cases[i].ncid; who++) {
            char got[256];
            ids_of(s, cases[i].nmq, cases[i].ncid, who, got, sizeof(got));
            if (strcmp(got, cases[i].want[who]) != 0)
                fail_msg("strategy %d, %zu queues, %zu consumers, #%zu: [%s], expected [%s]", (int)s,
                         cases[i].nmq, cases[i].ncid, who, got, cases[i].want[who]);
        }
}

static void test_averagely(void **state)
{
    (void)state;
    static const alloc_case_t cases[] = {
        {8, 3, {"0,1,2", "3,4,5", "6,7"}},
        {8, 1, {"0,1,2,3,4,5,6,7"}},
        {8, 2, {"0,1,2,3", "4,5,6,7"}},
        {8, 4, {"0,1", "2,3", "4,5", "6,7"}},
        {10, 4, {"0,1,2", "3,4,5", "6,7", "8,9"}},
        {2, 5, {"0", "1", "", "", ""}},
        {5, 5, {"0", "1", "2", "3", "4"}},
        {1, 3, {"0", "", ""}},
        {7, 6, {"0,1", "2", "3", "4", "5", "6"}},
    };
    check_cases(ROCKETMQ_ALLOCATE_AVERAGELY, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_by_circle(void **state)
{
    (void)state;
    static const alloc_case_t cases[] = {
        {8, 3, {"0,3,6", "1,4,7", "2,5"}},
        {8, 1, {"0,1,2,3,4,5,6,7"}},
        {8, 2, {"0,2,4,6", "1,3,5,7"}},
        {10, 4, {"0,4,8", "1,5,9", "2,6", "3,7"}},
        {2, 5, {"0", "1", "", "", ""}},
        {1, 3, {"0", "", ""}},
        {7, 6, {"0,6", "1", "2", "3", "4", "5"}},
    };
    check_cases(ROCKETMQ_ALLOCATE_AVERAGELY_BY_CIRCLE, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_empty_and_missing(void **state)
{
    (void)state;
    static const rocketmq_allocate_strategy_t all[] = {ROCKETMQ_ALLOCATE_AVERAGELY,
                                                        ROCKETMQ_ALLOCATE_AVERAGELY_BY_CIRCLE,
                                                        ROCKETMQ_ALLOCATE_CONSISTENT_HASH};
    rocketmq_message_queue_t *q = queues(4);
    char **c = cids(3);
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        rocketmq_message_queue_t *out = (rocketmq_message_queue_t *)1;
        size_t nout = 99;
        /* cid not among the consumers. */
        assert_int_equal(rmq_allocate(all[i], "nobody", q, 4, c, 3, NULL, 0, &out, &nout), 0);
        assert_null(out);
        assert_int_equal(nout, 0);
        /* No consumers, no queues, no cid. */
        out = (rocketmq_message_queue_t *)1;
        assert_int_equal(rmq_allocate(all[i], c[0], q, 4, c, 0, NULL, 0, &out, &nout), 0);
        assert_null(out);
        assert_int_equal(rmq_allocate(all[i], c[0], q, 0, c, 3, NULL, 0, &out, &nout), 0);
        assert_null(out);
        assert_int_equal(rmq_allocate(all[i], "", q, 4, c, 3, NULL, 0, &out, &nout), 0);
        assert_null(out);
        assert_int_equal(rmq_allocate(all[i], NULL, q, 4, c, 3, NULL, 0, &out, &nout), 0);
        assert_null(out);
        assert_int_equal(nout, 0);
        /* The only consumer gets everything, in order. */
        assert_int_equal(rmq_allocate(all[i], c[2], q, 4, c + 2, 1, NULL, 0, &out, &nout), 0);
        assert_int_equal(nout, 4);
        for (size_t k = 0; k < 4; k++)
            assert_int_equal(rmq_mq_compare(&out[k], &q[k]), 0);
        free(out);
    }
    rocketmq_message_queue_t *out = NULL;
    size_t nout = 0;
    assert_int_equal(rmq_allocate((rocketmq_allocate_strategy_t)42, c[0], q, 4, c, 3, NULL, 0, &out,
                                  &nout),
                     ROCKETMQ_ERR__INVALID_ARG);
    assert_null(out);
    assert_int_equal(rmq_allocate(ROCKETMQ_ALLOCATE_AVERAGELY, c[0], q, 4, c, 3, NULL, 0, NULL, &nout),
                     ROCKETMQ_ERR__INVALID_ARG);
    cids_free(c, 3);
    free(q);
}

static void test_by_config(void **state)
{
    (void)state;
    rocketmq_message_queue_t cfg[] = {mq("T", "b", 3), mq("A", "a", 9), mq("T", "b", 1)};
    rocketmq_message_queue_t *q = queues(4);
    char **c = cids(2);
    rocketmq_message_queue_t *out = NULL;
    size_t nout = 0;
    /* The list as configured (order kept), whoever asks: Java's ByConfig
     * does not call check(). */
    const char *who[] = {"c0000", "stranger"};
    for (size_t w = 0; w < 2; w++) {
        assert_int_equal(
            rmq_allocate(ROCKETMQ_ALLOCATE_BY_CONFIG, who[w], q, 4, c, 2, cfg, 3, &out, &nout), 0);
        assert_int_equal(nout, 3);
        assert_non_null(out);
        assert_true(out != cfg);
        for (size_t i = 0; i < 3; i++)
            assert_int_equal(rmq_mq_compare(&out[i], &cfg[i]), 0);
        free(out);
    }
    assert_int_equal(rmq_allocate(ROCKETMQ_ALLOCATE_BY_CONFIG, "c0000", q, 4, c, 2, NULL, 0, &out,
                                  &nout),
                     0);
    assert_null(out);
    assert_int_equal(nout, 0);
    cids_free(c, 2);
    free(q);
}

/* ---- partition property ---- */

static void check_partition(rocketmq_allocate_strategy_t s, const rocketmq_message_queue_t *q,
                            size_t nmq, char **c, size_t ncid)
{
    int *seen = calloc(nmq, sizeof(*seen));
    for (size_t who = 0; who < ncid; who++) {
        rocketmq_message_queue_t *out = NULL;
        size_t nout = 0;
        assert_int_equal(rmq_allocate(s, c[who], q, nmq, c, ncid, NULL, 0, &out, &nout), 0);
        for (size_t i = 0; i < nout; i++) {
            size_t k = 0;
            while (k < nmq && rmq_mq_compare(&out[i], &q[k]) != 0)
                k++;
            if (k == nmq)
                fail_msg("strategy %d: a queue not in mq_all", (int)s);
            if (i > 0 && rmq_mq_compare(&out[i - 1], &out[i]) >= 0)
                fail_msg("strategy %d: result not in mq_all order", (int)s);
            seen[k]++;
        }
        free(out);
    }
    for (size_t k = 0; k < nmq; k++)
        if (seen[k] != 1)
            fail_msg("strategy %d, %zu queues, %zu consumers: queue %zu allocated %d times", (int)s,
                     nmq, ncid, k, seen[k]);
    free(seen);
}

static void test_partition(void **state)
{
    (void)state;
    static const rocketmq_allocate_strategy_t all[] = {ROCKETMQ_ALLOCATE_AVERAGELY,
                                                        ROCKETMQ_ALLOCATE_AVERAGELY_BY_CIRCLE,
                                                        ROCKETMQ_ALLOCATE_CONSISTENT_HASH};
    for (size_t nmq = 1; nmq <= 33; nmq++)
        for (size_t ncid = 1; ncid <= 12; ncid++) {
            rocketmq_message_queue_t *q = queues(nmq);
            char **c = cids(ncid);
            for (size_t s = 0; s < sizeof(all) / sizeof(all[0]); s++)
                check_partition(all[s], q, nmq, c, ncid);
            cids_free(c, ncid);
            free(q);
        }
    /* Bigger, mixed brokers. */
    rocketmq_message_queue_t q[3 * 64];
    const char *brokers[] = {"broker-a", "broker-b", "broker-c"};
    for (size_t i = 0; i < 3 * 64; i++)
        q[i] = mq("TopicTest", brokers[i / 64], (int)(i % 64));
    char **c = cids(37);
    for (size_t s = 0; s < sizeof(all) / sizeof(all[0]); s++)
        check_partition(all[s], q, 3 * 64, c, 37);
    cids_free(c, 37);
}

/* ---- consistent hash golden values ----
 * Expected owners computed with an independent python3 script following
 * ConsistentHashRouter (4.9.8): a dict ring {MD5Hash(cid + "-" + i): cid}
 * built in cid_all order (a later equal hash replaces; i continues from
 * the cid's replicas already on the ring), MD5Hash = int.from_bytes(
 * hashlib.md5(key.encode()).digest()[:4], 'big'), and for each queue the
 * owner of the smallest ring hash >= MD5Hash("MessageQueue [topic=T,
 * brokerName=B, queueId=N]") (bisect_left), else of the smallest hash. */

static void check_golden(const rocketmq_message_queue_t *q, size_t nmq, char **c, size_t ncid,
                         const char *owners)
{
    assert_int_equal(strlen(owners), nmq);
    for (size_t who = 0; who < ncid; who++) {
        rocketmq_message_queue_t *out = NULL;
        size_t nout = 0;
        assert_int_equal(rmq_allocate(ROCKETMQ_ALLOCATE_CONSISTENT_HASH, c[who], q, nmq, c, ncid,
                                      NULL, 0, &out, &nout),
                         0);
        /* A repeated cid owns what its first occurrence owns. */
        size_t first = who;
        for (size_t k = 0; k < who; k++)
            if (strcmp(c[k], c[who]) == 0) {
                first = k;
                break;
            }
        size_t j = 0;
        for (size_t k = 0; k < nmq; k++) {
            if ((size_t)(owners[k] - '0') != first)
                continue;
            if (j >= nout || rmq_mq_compare(&out[j], &q[k]) != 0)
                fail_msg("cid %s: queue %s/%d missing", c[who], q[k].broker_name, q[k].queue_id);
            j++;
        }
        assert_int_equal(j, nout);
        free(out);
    }
}

static void test_consistent_hash_golden(void **state)
{
    (void)state;
    rocketmq_message_queue_t q[8];
    for (int i = 0; i < 8; i++)
        q[i] = mq("TopicTest", i < 4 ? "broker-a" : "broker-b", i % 4);
    char *c[3] = {"127.0.0.1@1", "127.0.0.1@2", "127.0.0.1@3"};
    /* broker-a/1 hashes to 4291349817, above the ring's largest entry
     * (4207645557): it wraps to the smallest (167723452, 127.0.0.1@1). */
    check_golden(q, 8, c, 3, "10101202");
    check_golden(q, 8, c, 2, "10101100");
    /* A repeated client id adds virtual nodes "127.0.0.1@1-10".."-19". */
    char *dup[3] = {"127.0.0.1@1", "127.0.0.1@2", "127.0.0.1@1"};
    check_golden(q, 8, dup, 3, "00101100");

    rocketmq_message_queue_t big[24];
    const char *brokers[] = {"broker-a", "broker-b", "broker-c"};
    for (int i = 0; i < 24; i++)
        big[i] = mq("TopicTest", brokers[i / 8], i % 8);
    char *five[5] = {"192.168.0.10@1000", "192.168.0.11@1001", "192.168.0.12@1002",
                     "192.168.0.13@1003", "192.168.0.14@1004"};
    check_golden(big, 24, five, 5, "142113410023431031231433");

    /* Non-ASCII names hash their UTF-8 bytes (Java's getBytes() on a UTF-8
     * platform): topic "Tést😀", broker "bö". */
    rocketmq_message_queue_t na[4];
    for (int i = 0; i < 4; i++)
        na[i] = mq("T\xc3\xa9st\xf0\x9f\x98\x80", "b\xc3\xb6", i);
    check_golden(na, 4, c, 3, "0212");
}

static void test_consistent_hash_deterministic(void **state)
{
    (void)state;
    rocketmq_message_queue_t *q = queues(50);
    char **c = cids(7);
    for (size_t who = 0; who < 7; who++) {
        rocketmq_message_queue_t *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        assert_int_equal(rmq_allocate(ROCKETMQ_ALLOCATE_CONSISTENT_HASH, c[who], q, 50, c, 7, NULL,
                                      0, &a, &na),
                         0);
        assert_int_equal(rmq_allocate(ROCKETMQ_ALLOCATE_CONSISTENT_HASH, c[who], q, 50, c, 7, NULL,
                                      0, &b, &nb),
                         0);
        assert_int_equal(na, nb);
        if (na > 0)
            assert_memory_equal(a, b, na * sizeof(*a));
        free(a);
        free(b);
    }
    cids_free(c, 7);
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md5_rfc1321),
        cmocka_unit_test(test_md5_block_edges),
        cmocka_unit_test(test_consistent_hash_value),
        cmocka_unit_test(test_mq_compare),
        cmocka_unit_test(test_sort_non_ascii),
        cmocka_unit_test(test_averagely),
        cmocka_unit_test(test_by_circle),
        cmocka_unit_test(test_empty_and_missing),
        cmocka_unit_test(test_by_config),
        cmocka_unit_test(test_partition),
        cmocka_unit_test(test_consistent_hash_golden),
        cmocka_unit_test(test_consistent_hash_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
