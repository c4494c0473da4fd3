/* The client's message module: the public message API (message.c), the
 * properties string, the producer's checks (validate.c), unique ids
 * (uniq_id.c), zlib bodies (compress.c) and the batch body (batch.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/msg_int.h"
#include "rocketmq/message.h"
#include "rocketmq/producer.h"

#define MAX_PROPS 16

typedef struct seen {
    int n;
    char names[MAX_PROPS][32];
    char values[MAX_PROPS][32];
} seen_t;

static void collect(const char *name, const char *value, void *arg)
{
    seen_t *s = arg;
    assert_true(s->n < MAX_PROPS);
    snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
    snprintf(s->values[s->n], sizeof(s->values[0]), "%s", value);
    s->n++;
}

static char *props_string(const rocketmq_message_t *m)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    rmq_msg_encode_props(m, &b);
    char *s = strdup(rmq_buf_cstr(&b));
    rmq_buf_free(&b);
    return s;
}

static rocketmq_message_t *msg_with_body(const char *topic, const char *body)
{
    rocketmq_message_t *m = rocketmq_message_new(topic);
    assert_non_null(m);
    assert_int_equal(rocketmq_message_set_body(m, body, strlen(body)), 0);
    return m;
}

/* ---- the message API ---- */

static void setters_and_getters(void **state)
{
    (void)state;
    rocketmq_message_t *m = rocketmq_message_new("TopicTest");
    assert_non_null(m);
    assert_string_equal(rocketmq_message_get_topic(m), "TopicTest");
    /* Java's Message constructors set WAIT=true. */
    assert_string_equal(rocketmq_message_get_property(m, "WAIT"), "true");
    assert_true(rocketmq_message_get_wait_store_msg_ok(m));
    assert_null(rocketmq_message_get_tags(m));
    assert_null(rocketmq_message_get_msg_id(m));
    size_t len = 99;
    assert_null(rocketmq_message_get_body(m, &len));
    assert_int_equal(len, 0);

    char body[] = "Hello RocketMQ";
    assert_int_equal(rocketmq_message_set_body(m, body, 14), 0);
    body[0] = 'X'; /* the message holds its own copy */
    const char *got = rocketmq_message_get_body(m, &len);
    assert_int_equal(len, 14);
    assert_memory_equal(got, "Hello RocketMQ", 14);

    assert_int_equal(rocketmq_message_set_tags(m, "TagA"), 0);
    assert_int_equal(rocketmq_message_set_keys(m, "k1 k2"), 0);
    assert_int_equal(rocketmq_message_set_flag(m, -7), 0);
    assert_string_equal(rocketmq_message_get_tags(m), "TagA");
    assert_string_equal(rocketmq_message_get_keys(m), "k1 k2");
    assert_int_equal(rocketmq_message_get_flag(m), -7);

    assert_int_equal(rocketmq_message_get_delay_time_level(m), 0);
    assert_int_equal(rocketmq_message_set_delay_time_level(m, 3), 0);
    assert_string_equal(rocketmq_message_get_property(m, "DELAY"), "3");
    assert_int_equal(rocketmq_message_get_delay_time_level(m), 3);
    assert_int_equal(rocketmq_message_set_delay_time_level(m, 0), 0);
    assert_null(rocketmq_message_get_property(m, "DELAY"));
    assert_int_equal(rocketmq_message_set_delay_time_level(m, -1), ROCKETMQ_ERR__INVALID_ARG);
    /* A DELAY that is not a number reads as no delay. */
    assert_int_equal(rocketmq_message_set_property(m, "DELAY", "soon"), 0);
    assert_int_equal(rocketmq_message_get_delay_time_level(m), 0);
    assert_int_equal(rocketmq_message_set_property(m, "DELAY", NULL), 0);

    assert_int_equal(rocketmq_message_set_wait_store_msg_ok(m, false), 0);
    assert_string_equal(rocketmq_message_get_property(m, "WAIT"), "false");
    assert_false(rocketmq_message_get_wait_store_msg_ok(m));
    /* Boolean.parseBoolean ignores case. */
    assert_int_equal(rocketmq_message_set_property(m, "WAIT", "TRUE"), 0);
    assert_true(rocketmq_message_get_wait_store_msg_ok(m));

    assert_int_equal(rocketmq_message_set_property(m, "UNIQ_KEY", "ABC"), 0);
    assert_string_equal(rocketmq_message_get_msg_id(m), "ABC");

    assert_int_equal(rocketmq_message_set_topic(m, "Other"), 0);
    assert_string_equal(rocketmq_message_get_topic(m), "Other");

    /* Order: first set, kept when replaced. */
    seen_t s = {0};
    rocketmq_message_foreach_property(m, collect, &s);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.names[0], "WAIT");
    assert_string_equal(s.values[0], "TRUE");
    assert_string_equal(s.names[1], "TAGS");
    assert_string_equal(s.names[2], "KEYS");
    assert_string_equal(s.names[3], "UNIQ_KEY");

    /* A NULL value removes; the others keep their order. */
    assert_int_equal(rocketmq_message_set_tags(m, NULL), 0);
    assert_null(rocketmq_message_get_tags(m));
    memset(&s, 0, sizeof(s));
    rocketmq_message_foreach_property(m, collect, &s);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.names[0], "WAIT");
    assert_string_equal(s.names[1], "KEYS");
    assert_string_equal(s.names[2], "UNIQ_KEY");

    rocketmq_message_t *d = rocketmq_message_dup(m);
    assert_non_null(d);
    rocketmq_message_destroy(m);
    assert_string_equal(rocketmq_message_get_topic(d), "Other");
    assert_string_equal(rocketmq_message_get_keys(d), "k1 k2");
    assert_int_equal(rocketmq_message_get_flag(d), -7);
    got = rocketmq_message_get_body(d, &len);
    assert_int_equal(len, 14);
    assert_memory_equal(got, "Hello RocketMQ", 14);
    rocketmq_message_destroy(d);

    /* A message without a topic yet. */
    m = rocketmq_message_new(NULL);
    assert_non_null(m);
    assert_null(rocketmq_message_get_topic(m));
    rocketmq_message_destroy(m);
}

static void bad_arguments(void **state)
{
    (void)state;
    assert_int_equal(rocketmq_message_set_topic(NULL, "T"), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_message_set_tags(NULL, "T"), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_message_set_flag(NULL, 1), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_message_put_user_property(NULL, "a", "b"),
                     ROCKETMQ_ERR__INVALID_ARG);
    assert_null(rocketmq_message_get_topic(NULL));
    assert_null(rocketmq_message_dup(NULL));
    rocketmq_message_destroy(NULL);

    rocketmq_message_t *m = rocketmq_message_new("T");
    assert_int_equal(rocketmq_message_set_body(m, NULL, 3), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_message_set_property(m, NULL, "v"), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_message_set_property(m, "", "v"), ROCKETMQ_ERR__INVALID_ARG);
    rocketmq_message_destroy(m);
}

static void reserved_names_refused(void **state)
{
    (void)state;
    static const char *const reserved[] = {
        "TRACE_ON",    "MSG_REGION",     "KEYS",         "TAGS",           "WAIT",
        "DELAY",       "RETRY_TOPIC",    "REAL_TOPIC",   "REAL_QID",       "TRAN_MSG",
        "PGROUP",      "MIN_OFFSET",     "MAX_OFFSET",   "BUYER_ID",       "ORIGIN_MESSAGE_ID",
        "TRANSFER_FLAG", "CORRECTION_FLAG", "MQ2_FLAG",  "RECONSUME_TIME", "UNIQ_KEY",
        "MAX_RECONSUME_TIMES", "CONSUME_START_TIME", "INSTANCE_ID", "CORRELATION_ID",
        "REPLY_TO_CLIENT", "TTL",        "ARRIVE_TIME",  "PUSH_REPLY_TIME", "CLUSTER",
        "MSG_TYPE",    "INNER_MULTI_QUEUE_OFFSET",
    };
    rocketmq_message_t *m = rocketmq_message_new("T");
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        assert_int_equal(rocketmq_message_put_user_property(m, reserved[i], "x"),
                         ROCKETMQ_ERR__INVALID_ARG);
    }
    assert_int_equal(rocketmq_message_put_user_property(m, "TAGS", "x"), ROCKETMQ_ERR__INVALID_ARG);
    assert_string_equal(rocketmq_last_error_detail(),
                        "The Property<TAGS> is used by system, input another please");
    assert_null(rocketmq_message_get_tags(m));

    /* Left out of 4.9.8's set, so allowed there and here. */
    assert_int_equal(rocketmq_message_put_user_property(m, "TRAN_PREPARED_QUEUE_OFFSET", "1"), 0);
    assert_int_equal(rocketmq_message_put_user_property(m, "TRANSACTION_CHECK_TIMES", "1"), 0);

    /* Null or blank names and values. */
    const char *blank_msg = "The name or value of property can not be null or blank string!";
    assert_int_equal(rocketmq_message_put_user_property(m, NULL, "x"), ROCKETMQ_ERR__INVALID_ARG);
    assert_string_equal(rocketmq_last_error_detail(), blank_msg);
    assert_int_equal(rocketmq_message_put_user_property(m, "a", NULL), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_message_put_user_property(m, "", "x"), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_message_put_user_property(m, "a", " \t "), ROCKETMQ_ERR__INVALID_ARG);
    assert_string_equal(rocketmq_last_error_detail(), blank_msg);

    assert_int_equal(rocketmq_message_put_user_property(m, "color", "red"), 0);
    assert_string_equal(rocketmq_message_get_property(m, "color"), "red");
    /* The system setters still work on reserved names. */
    assert_int_equal(rocketmq_message_set_property(m, "TAGS", "x"), 0);
    assert_string_equal(rocketmq_message_get_tags(m), "x");
    rocketmq_message_destroy(m);
}

static void separators_refused(void **state)
{
    (void)state;
    rocketmq_message_t *m = rocketmq_message_new("T");
    assert_int_equal(rocketmq_message_set_tags(m, "a\001b"), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_message_set_keys(m, "a\002b"), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_message_set_property(m, "n\001", "v"), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_message_set_property(m, "n", "\002"), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_message_put_user_property(m, "n", "v\001"),
                     ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_message_put_user_property(m, "n\002", "v"),
                     ROCKETMQ_ERR__INVALID_ARG);
    assert_null(rocketmq_message_get_tags(m));
    assert_null(rocketmq_message_get_keys(m));
    assert_null(rocketmq_message_get_property(m, "n"));
    /* A refused value leaves the old one in place. */
    assert_int_equal(rocketmq_message_set_tags(m, "ok"), 0);
    assert_int_equal(rocketmq_message_set_tags(m, "x\002y"), ROCKETMQ_ERR__INVALID_ARG);
    assert_string_equal(rocketmq_message_get_tags(m), "ok");
    rocketmq_message_destroy(m);
}

static void properties_string(void **state)
{
    (void)state;
    rocketmq_message_t *m = rocketmq_message_new("T");
    rocketmq_message_set_tags(m, "TagA");
    rocketmq_message_set_keys(m, "k1 k2");
    rocketmq_message_put_user_property(m, "a", "b");
    char *s = props_string(m);
    /* No trailing 0x02, as 4.9.8 writes it. */
    assert_string_equal(s, "WAIT\001true\002TAGS\001TagA\002KEYS\001k1 k2\002a\001b");
    free(s);

    rocketmq_message_set_wait_store_msg_ok(m, false); /* replaced in place */
    s = props_string(m);
    assert_string_equal(s, "WAIT\001false\002TAGS\001TagA\002KEYS\001k1 k2\002a\001b");
    free(s);

    rocketmq_message_set_property(m, "WAIT", NULL);
    rocketmq_message_set_property(m, "TAGS", NULL);
    rocketmq_message_set_property(m, "KEYS", NULL);
    s = props_string(m);
    assert_string_equal(s, "a\001b");
    free(s);
    rocketmq_message_set_property(m, "a", NULL);
    s = props_string(m);
    assert_string_equal(s, "");
    free(s);
    rocketmq_message_destroy(m);
}

/* ---- validation ---- */

static void topic_rules(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(rmq_validate_topic(NULL, err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);
    assert_string_equal(err, "The specified topic is blank");
    assert_int_equal(rmq_validate_topic("", err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rmq_validate_topic(" \t", err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);
    assert_string_equal(err, "The specified topic is blank");

    char name[200];
    memset(name, 'a', 127);
    name[127] = '\0';
    assert_int_equal(rmq_validate_topic(name, err, sizeof(err)), 0);
    name[127] = 'b';
    name[128] = '\0';
    assert_int_equal(rmq_validate_topic(name, err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);
    assert_string_equal(err, "The specified topic is longer than topic max length 127.");

    assert_int_equal(rmq_validate_topic("%RETRY%g|x-_9AZaz", err, sizeof(err)), 0);
    assert_int_equal(rmq_validate_topic("a b", err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);
    assert_string_equal(err, "The specified topic[a b] contains illegal characters, allowing only "
                             "^[%|a-zA-Z0-9_-]+$");
    assert_int_equal(rmq_validate_topic("a.b", err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rmq_validate_topic("a/b", err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);

    /* Java counts UTF-16 units: 60 CJK characters (180 bytes) are not
     * "too long" but illegal. */
    char cjk[200] = "";
    for (int i = 0; i < 60; i++)
        strcat(cjk, "\xe4\xb8\xad");
    assert_int_equal(rmq_validate_topic(cjk, err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);
    assert_non_null(strstr(err, "contains illegal characters"));

    /* Forbidden topics, and system topics that are not forbidden. */
    static const char *const forbidden[] = {
        "SCHEDULE_TOPIC_XXXX",        "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC",
        "TRANS_CHECK_MAX_TIME_TOPIC", "SELF_TEST_TOPIC",          "OFFSET_MOVED_EVENT",
    };
    for (size_t i = 0; i < 6; i++)
        assert_true(rmq_topic_send_forbidden(forbidden[i]));
    assert_false(rmq_topic_send_forbidden("TBW102"));
    assert_false(rmq_topic_send_forbidden("RMQ_SYS_TRACE_TOPIC"));
    assert_false(rmq_topic_send_forbidden("TopicTest"));
    assert_false(rmq_topic_send_forbidden(NULL));
}

static void group_rules(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(rmq_validate_group(NULL, err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);
    assert_string_equal(err, "the specified group is blank");
    assert_int_equal(rmq_validate_group("  ", err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);

    char name[300];
    memset(name, 'g', 255);
    name[255] = '\0';
    assert_int_equal(rmq_validate_group(name, err, sizeof(err)), 0);
    name[255] = 'g';
    name[256] = '\0';
    assert_int_equal(rmq_validate_group(name, err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);
    assert_string_equal(err, "the specified group is longer than group max length 255.");

    assert_int_equal(rmq_validate_group("please_rename_unique_group_name", err, sizeof(err)), 0);
    assert_int_equal(rmq_validate_group("my.group", err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);
    assert_string_equal(err, "the specified group[my.group] contains illegal characters, "
                             "allowing only ^[%|a-zA-Z0-9_-]+$");
    /* A NULL err buffer is allowed. */
    assert_int_equal(rmq_validate_group("my.group", NULL, 0), ROCKETMQ_ERR__INVALID_ARG);
}

static void message_rules(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(rmq_validate_message(NULL, 100, err, sizeof(err)),
                     ROCKETMQ_ERR_MESSAGE_ILLEGAL);
    assert_string_equal(err, "the message is null");

    rocketmq_message_t *m = rocketmq_message_new(NULL);
    rocketmq_message_set_body(m, "0123456789", 10);
    assert_int_equal(rmq_validate_message(m, 100, err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);
    assert_string_equal(err, "The specified topic is blank");

    rocketmq_message_set_topic(m, "bad topic");
    assert_int_equal(rmq_validate_message(m, 100, err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);

    rocketmq_message_set_topic(m, "SCHEDULE_TOPIC_XXXX");
    assert_int_equal(rmq_validate_message(m, 100, err, sizeof(err)), ROCKETMQ_ERR__INVALID_ARG);
    assert_string_equal(err, "Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden.");

    rocketmq_message_set_topic(m, "TopicTest");
    assert_int_equal(rmq_validate_message(m, 10, err, sizeof(err)), 0);
    assert_int_equal(rmq_validate_message(m, 9, err, sizeof(err)), ROCKETMQ_ERR_MESSAGE_ILLEGAL);
    assert_string_equal(err, "the message body size over max value, MAX: 9");
    assert_int_equal(rmq_validate_message(m, 4194304, err, sizeof(err)), 0);

    rocketmq_message_set_body(m, NULL, 0);
    assert_int_equal(rmq_validate_message(m, 100, err, sizeof(err)), ROCKETMQ_ERR_MESSAGE_ILLEGAL);
    assert_string_equal(err, "the message body is null");
    rocketmq_message_set_body(m, "", 0);
    assert_int_equal(rmq_validate_message(m, 100, err, sizeof(err)), ROCKETMQ_ERR_MESSAGE_ILLEGAL);
    rocketmq_message_destroy(m);
}

/* ---- unique ids ---- */

static uint32_t hex_u32(const char *p, int digits)
{
    uint32_t v = 0;
    for (int i = 0; i < digits; i++) {
        char c = p[i];
        v = v * 16 + (uint32_t)(c <= '9' ? c - '0' : c - 'A' + 10);
    }
    return v;
}

/* ms since local midnight of the 1st, low 32 bits, as the id carries it. */
static uint32_t expected_month_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    time_t t = ts.tv_sec;
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return (uint32_t)(now - (int64_t)mktime(&tm) * 1000);
}

static void uniq_id_layout(void **state)
{
    (void)state;
    char a[ROCKETMQ_MSG_ID_MAX + 1], b[ROCKETMQ_MSG_ID_MAX + 1];
    uint32_t expect = expected_month_ms();
    rmq_uniq_id_next(a);
    size_t len = strlen(a);
    assert_true(len == 32 || len == 56);
    for (size_t i = 0; i < len; i++)
        assert_non_null(strchr("0123456789ABCDEF", a[i]));

    size_t ip_hex = len == 32 ? 8 : 32;
    char pid[8];
    snprintf(pid, sizeof(pid), "%04X", (unsigned)getpid() & 0xffff);
    assert_memory_equal(a + ip_hex, pid, 4);

    size_t time_at = ip_hex + 4 + 8;
    int32_t skew = (int32_t)(hex_u32(a + time_at, 8) - expect);
    assert_true(skew > -10000 && skew < 10000);

    uint32_t prev_time = hex_u32(a + time_at, 8);
    uint32_t prev_count = hex_u32(a + time_at + 8, 4);
    for (int i = 0; i < 1000; i++) {
        rmq_uniq_id_next(b);
        assert_int_equal(strlen(b), len);
        /* The first 20 (IPv4) or 44 (IPv6) characters never change. */
        assert_memory_equal(a, b, time_at);
        uint32_t t = hex_u32(b + time_at, 8);
        uint32_t c = hex_u32(b + time_at + 8, 4);
        assert_true((int32_t)(t - prev_time) >= 0);
        assert_int_equal(c, (prev_count + 1) & 0xffff);
        prev_time = t;
        prev_count = c;
    }

    rocketmq_message_t *m = rocketmq_message_new("T");
    assert_int_equal(rmq_msg_set_uniq_id_if_absent(m), 0);
    const char *id = rocketmq_message_get_msg_id(m);
    assert_non_null(id);
    assert_int_equal(strlen(id), len);
    char keep[ROCKETMQ_MSG_ID_MAX + 1];
    strcpy(keep, id);
    assert_int_equal(rmq_msg_set_uniq_id_if_absent(m), 0);
    assert_string_equal(rocketmq_message_get_msg_id(m), keep);
    rocketmq_message_destroy(m);
}

#define ID_THREADS 8
#define IDS_PER_THREAD 20000
#define ID_SLOT (ROCKETMQ_MSG_ID_MAX + 1)

static void *make_ids(void *arg)
{
    char *slots = arg;
    for (int i = 0; i < IDS_PER_THREAD; i++)
        rmq_uniq_id_next(slots + (size_t)i * ID_SLOT);
    return NULL;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void uniq_ids_unique_across_threads(void **state)
{
    (void)state;
    size_t total = (size_t)ID_THREADS * IDS_PER_THREAD;
    char *ids = calloc(total, ID_SLOT);
    assert_non_null(ids);
    pthread_t th[ID_THREADS];
    for (int t = 0; t < ID_THREADS; t++) {
        assert_int_equal(pthread_create(&th[t], NULL, make_ids,
                                        ids + (size_t)t * IDS_PER_THREAD * ID_SLOT),
                         0);
    }
    for (int t = 0; t < ID_THREADS; t++)
        pthread_join(th[t], NULL);
    qsort(ids, total, ID_SLOT, cmp_id);
    size_t dups = 0;
    for (size_t i = 1; i < total; i++) {
        if (strcmp(ids + (i - 1) * ID_SLOT, ids + i * ID_SLOT) == 0)
            dups++;
    }
    assert_int_equal(dups, 0);
    free(ids);
}

/* ---- compression ---- */

static void zlib_round_trip(void **state)
{
    (void)state;
    size_t n = 10000;
    uint8_t *in = malloc(n);
    for (size_t i = 0; i < n; i++)
        in[i] = (uint8_t)("RocketMQ message body "[i % 22]);

    uint8_t *z;
    size_t zlen;
    assert_int_equal(rmq_compress_zlib(in, n, 5, &z, &zlen), 0);
    assert_true(zlen < n);
    /* zlib header: deflate, 32K window (0x78); level 5 sets FLEVEL 1. */
    assert_int_equal(z[0], 0x78);
    assert_int_equal(z[1], 0x5e);
    assert_int_equal(((z[0] << 8) | z[1]) % 31, 0);

    uint8_t *out;
    size_t outlen;
    assert_int_equal(rmq_decompress_zlib(z, zlen, n, &out, &outlen), 0);
    assert_int_equal(outlen, n);
    assert_memory_equal(out, in, n);
    free(out);

    /* The bound: one byte short is refused. */
    assert_int_equal(rmq_decompress_zlib(z, zlen, n - 1, &out, &outlen), ROCKETMQ_ERR__PROTOCOL);
    assert_int_equal(rmq_decompress_zlib(z, zlen, 100, &out, &outlen), ROCKETMQ_ERR__PROTOCOL);
    /* Truncated and corrupt streams. */
    assert_int_equal(rmq_decompress_zlib(z, zlen - 5, n, &out, &outlen), ROCKETMQ_ERR__PROTOCOL);
    assert_int_equal(rmq_decompress_zlib(in, 100, n, &out, &outlen), ROCKETMQ_ERR__PROTOCOL);
    z[zlen / 2] ^= 0x55;
    int rc = rmq_decompress_zlib(z, zlen, n, &out, &outlen);
    if (rc == 0) /* a flipped bit may still inflate, never to the same bytes */
        free(out);
    assert_int_equal(rc, ROCKETMQ_ERR__PROTOCOL);
    free(z);

    /* Level 6 and an empty body. */
    assert_int_equal(rmq_compress_zlib("", 0, 6, &z, &zlen), 0);
    assert_int_equal(z[0], 0x78);
    assert_int_equal(z[1], 0x9c);
    assert_int_equal(rmq_decompress_zlib(z, zlen, 0, &out, &outlen), 0);
    assert_int_equal(outlen, 0);
    free(out);
    free(z);

    /* Levels outside zlib's range fail; the caller then sends uncompressed. */
    assert_int_equal(rmq_compress_zlib(in, n, 42, &z, &zlen), ROCKETMQ_ERR__FAIL);
    free(in);
}

/* ---- batches ---- */

static void batch_golden(void **state)
{
    (void)state;
    rocketmq_message_t *a = msg_with_body("BatchT", "ab");
    rocketmq_message_set_flag(a, 7);
    rocketmq_message_set_property(a, "UNIQ_KEY", "ID1");
    rocketmq_message_t *b = msg_with_body("BatchT", "xyz");
    rocketmq_message_set_tags(b, "T2");
    rocketmq_message_set_property(b, "UNIQ_KEY", "ID2");
    rocketmq_message_t *msgs[] = {a, b};

    static const uint8_t golden[] = {
        /* a: 22 + 2 + 22 = 46 */
        0, 0, 0, 46, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 2, 'a', 'b', 0, 22,
        'W', 'A', 'I', 'T', 1, 't', 'r', 'u', 'e', 2, 'U', 'N', 'I', 'Q', '_', 'K', 'E', 'Y', 1,
        'I', 'D', '1',
        /* b: 22 + 3 + 30 = 55 */
        0, 0, 0, 55, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 'x', 'y', 'z', 0, 30,
        'W', 'A', 'I', 'T', 1, 't', 'r', 'u', 'e', 2, 'T', 'A', 'G', 'S', 1, 'T', '2', 2,
        'U', 'N', 'I', 'Q', '_', 'K', 'E', 'Y', 1, 'I', 'D', '2',
    };
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_buf_append(&out, "pre", 3); /* appended after what is there */
    char err[512] = "";
    assert_int_equal(rmq_msg_batch_encode(msgs, 2, 4194304, &out, err, sizeof(err)), 0);
    assert_int_equal(out.len, 3 + sizeof(golden));
    assert_memory_equal(out.data, "pre", 3);
    assert_memory_equal(out.data + 3, golden, sizeof(golden));
    /* Exactly the size of the batch is still allowed. */
    out.len = 0;
    assert_int_equal(rmq_msg_batch_encode(msgs, 2, (int)sizeof(golden), &out, err, sizeof(err)),
                     0);
    rmq_buf_free(&out);
    rocketmq_message_destroy(a);
    rocketmq_message_destroy(b);
}

static void batch_sets_ids(void **state)
{
    (void)state;
    rocketmq_message_t *a = msg_with_body("BatchT", "one");
    rocketmq_message_t *b = msg_with_body("BatchT", "two");
    rocketmq_message_t *msgs[] = {a, b};
    rmq_buf_t out = RMQ_BUF_INIT;
    char err[512];
    assert_int_equal(rmq_msg_batch_encode(msgs, 2, 1000, &out, err, sizeof(err)), 0);
    const char *ida = rocketmq_message_get_msg_id(a), *idb = rocketmq_message_get_msg_id(b);
    assert_non_null(ida);
    assert_non_null(idb);
    assert_string_not_equal(ida, idb);
    /* Each record carries its own id. */
    assert_non_null(memmem(out.data, out.len, ida, strlen(ida)));
    assert_non_null(memmem(out.data, out.len, idb, strlen(idb)));
    rmq_buf_free(&out);
    rocketmq_message_destroy(a);
    rocketmq_message_destroy(b);
}

static void expect_batch_error(rocketmq_message_t **msgs, size_t n, int max_size, int code,
                               const char *text)
{
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_buf_append(&out, "keep", 4);
    char err[512] = "";
    assert_int_equal(rmq_msg_batch_encode(msgs, n, max_size, &out, err, sizeof(err)), code);
    if (!strstr(err, text))
        fail_msg("error \"%s\" does not contain \"%s\"", err, text);
    assert_int_equal(out.len, 4); /* nothing appended */
    rmq_buf_free(&out);
}

static void batch_rules(void **state)
{
    (void)state;
    rocketmq_message_t *a = msg_with_body("BatchT", "aaa");
    rocketmq_message_t *b = msg_with_body("BatchT", "bbb");
    rocketmq_message_t *msgs[] = {a, b};

    expect_batch_error(msgs, 0, 1000, ROCKETMQ_ERR__INVALID_ARG,
                       "Failed to initiate the MessageBatch");

    rocketmq_message_set_topic(b, "Other");
    expect_batch_error(msgs, 2, 1000, ROCKETMQ_ERR__INVALID_ARG,
                       "The topic of the messages in one batch should be the same");
    rocketmq_message_set_topic(b, "BatchT");

    rocketmq_message_set_wait_store_msg_ok(b, false);
    expect_batch_error(msgs, 2, 1000, ROCKETMQ_ERR__INVALID_ARG,
                       "The waitStoreMsgOK of the messages in one batch should the same");
    rocketmq_message_set_wait_store_msg_ok(b, true);

    rocketmq_message_set_delay_time_level(b, 2);
    expect_batch_error(msgs, 2, 1000, ROCKETMQ_ERR__INVALID_ARG,
                       "TimeDelayLevel is not supported for batching");
    rocketmq_message_set_delay_time_level(b, 0);

    rocketmq_message_set_topic(a, "%RETRY%group");
    rocketmq_message_set_topic(b, "%RETRY%group");
    expect_batch_error(msgs, 2, 1000, ROCKETMQ_ERR__INVALID_ARG,
                       "Retry Group is not supported for batching");

    /* Each message is checked as a single one would be. */
    rocketmq_message_set_topic(a, "SCHEDULE_TOPIC_XXXX");
    rocketmq_message_set_topic(b, "SCHEDULE_TOPIC_XXXX");
    expect_batch_error(msgs, 2, 1000, ROCKETMQ_ERR__INVALID_ARG,
                       "Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden.");
    rocketmq_message_set_topic(a, "BatchT");
    rocketmq_message_set_topic(b, "BatchT");
    rocketmq_message_set_body(b, NULL, 0);
    expect_batch_error(msgs, 2, 1000, ROCKETMQ_ERR__INVALID_ARG, "the message body is null");
    rocketmq_message_set_body(b, "bbb", 3);
    expect_batch_error(msgs, 2, 2, ROCKETMQ_ERR__INVALID_ARG,
                       "the message body size over max value, MAX: 2");

    /* Every body fits but the whole batch does not. */
    expect_batch_error(msgs, 2, 60, ROCKETMQ_ERR_MESSAGE_ILLEGAL,
                       "the message body size over max value, MAX: 60");

    /* A properties string longer than a Java short. */
    char *big = malloc(40000);
    memset(big, 'v', 39999);
    big[39999] = '\0';
    assert_int_equal(rocketmq_message_put_user_property(b, "big", big), 0);
    free(big);
    expect_batch_error(msgs, 2, 1 << 20, ROCKETMQ_ERR__INVALID_ARG,
                       "Properties size of message exceeded");

    rocketmq_message_destroy(a);
    rocketmq_message_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(setters_and_getters),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(reserved_names_refused),
        cmocka_unit_test(separators_refused),
        cmocka_unit_test(properties_string),
        cmocka_unit_test(topic_rules),
        cmocka_unit_test(group_rules),
        cmocka_unit_test(message_rules),
        cmocka_unit_test(uniq_id_layout),
        cmocka_unit_test(uniq_ids_unique_across_threads),
        cmocka_unit_test(zlib_round_trip),
        cmocka_unit_test(batch_golden),
        cmocka_unit_test(batch_sets_ids),
        cmocka_unit_test(batch_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
