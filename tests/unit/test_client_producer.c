/* Producer behaviour that needs no server: the service states, the
 * configuration rules, the retry and timeout decisions of a send, the hash
 * selector against Java's numbers, and how a send without a name server
 * fails.  Sends against real servers are in tests/integration/it_producer.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/producer_int.h"
#include "rocketmq/producer.h"

static rocketmq_message_t *hello(const char *topic)
{
    rocketmq_message_t *m = rocketmq_message_new(topic);
    rocketmq_message_set_body(m, "hello", 5);
    return m;
}

static void test_states(void **state)
{
    (void)state;
    unsetenv("NAMESRV_ADDR");
    rocketmq_producer_t *p = rocketmq_producer_new("state_group");
    assert_int_equal(rocketmq_producer_state(p), ROCKETMQ_CREATE_JUST);
    rocketmq_message_t *m = hello("TopicTest");
    rocketmq_send_result_t r;
    /* not started */
    assert_int_equal(rocketmq_producer_send(p, m, &r), ROCKETMQ_ERR__STATE);
    assert_non_null(strstr(rocketmq_last_error_detail(), "service state not OK"));
    assert_int_equal(rocketmq_producer_send_oneway(p, m), ROCKETMQ_ERR__STATE);
    assert_null(rocketmq_producer_client_id(p));
    assert_int_equal(rocketmq_producer_start(p), 0);
    assert_int_equal(rocketmq_producer_state(p), ROCKETMQ_RUNNING);
    assert_non_null(strchr(rocketmq_producer_client_id(p), '@'));
    /* started twice */
    assert_int_equal(rocketmq_producer_start(p), ROCKETMQ_ERR__STATE);
    assert_non_null(strstr(rocketmq_last_error_detail(), "maybe started once"));
    /* configuration is closed once running */
    assert_int_equal(rocketmq_producer_set_send_msg_timeout(p, 100), ROCKETMQ_ERR__STATE);
    assert_int_equal(rocketmq_producer_shutdown(p), 0);
    assert_int_equal(rocketmq_producer_state(p), ROCKETMQ_SHUTDOWN_ALREADY);
    assert_int_equal(rocketmq_producer_send(p, m, &r), ROCKETMQ_ERR__STATE);
    assert_int_equal(rocketmq_producer_start(p), ROCKETMQ_ERR__STATE);
    assert_int_equal(rocketmq_producer_shutdown(p), 0); /* a no-op */
    rocketmq_message_destroy(m);
    rocketmq_producer_destroy(p);
}

static void test_bad_groups(void **state)
{
    (void)state;
    const char *bad[] = {"", "DEFAULT_PRODUCER", "has space", "semi;colon"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rocketmq_producer_t *p = rocketmq_producer_new(bad[i]);
        assert_int_not_equal(rocketmq_producer_start(p), 0);
        assert_int_equal(rocketmq_producer_state(p), ROCKETMQ_START_FAILED);
        rocketmq_producer_destroy(p);
    }
}

/* Producers given the same instance name share a client instance, where a
 * group may be registered once. */
static void test_shared_instance(void **state)
{
    (void)state;
    rocketmq_producer_t *a = rocketmq_producer_new("group_a");
    rocketmq_producer_t *b = rocketmq_producer_new("group_b");
    rocketmq_producer_t *a2 = rocketmq_producer_new("group_a");
    rocketmq_producer_t *other = rocketmq_producer_new("group_a");
    rocketmq_producer_set_instance_name(a, "shared");
    rocketmq_producer_set_instance_name(b, "shared");
    rocketmq_producer_set_instance_name(a2, "shared");
    assert_int_equal(rocketmq_producer_start(a), 0);
    assert_int_equal(rocketmq_producer_start(b), 0);
    assert_string_equal(rocketmq_producer_client_id(a), rocketmq_producer_client_id(b));
    assert_int_equal(rocketmq_producer_start(a2), ROCKETMQ_ERR__INVALID_ARG);
    assert_non_null(strstr(rocketmq_last_error_detail(), "has been created before"));
    assert_int_equal(rocketmq_producer_state(a2), ROCKETMQ_CREATE_JUST);
    /* the default instance name is unique per producer: no clash */
    assert_int_equal(rocketmq_producer_start(other), 0);
    assert_string_not_equal(rocketmq_producer_client_id(a), rocketmq_producer_client_id(other));
    rocketmq_producer_destroy(a);
    /* b keeps the instance alive, and group_a is free again */
    assert_int_equal(rocketmq_producer_start(a2), 0);
    assert_string_equal(rocketmq_producer_client_id(a2), rocketmq_producer_client_id(b));
    rocketmq_producer_destroy(a2);
    rocketmq_producer_destroy(b);
    rocketmq_producer_destroy(other);
}

static void test_config_ranges(void **state)
{
    (void)state;
    rocketmq_producer_t *p = rocketmq_producer_new("cfg_group");
    assert_int_equal(rocketmq_producer_set_send_msg_timeout(p, 0), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_producer_set_compress_level(p, 10), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_producer_set_retry_times_when_send_failed(p, -1),
                     ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_producer_set_namesrv_addr(p, NULL), ROCKETMQ_ERR__INVALID_ARG);
    int64_t lat[] = {10, 20}, dur[] = {0, 1000};
    assert_int_equal(rocketmq_producer_set_latency_levels(p, lat, dur, 2), 0);
    assert_int_equal(rocketmq_producer_set_latency_levels(p, lat, dur, 0), ROCKETMQ_ERR__INVALID_ARG);
    assert_int_equal(rocketmq_producer_set_send_msg_timeout(p, 1000), 0);
    assert_int_equal(rocketmq_producer_add_send_hook(p, NULL, NULL, NULL), ROCKETMQ_ERR__INVALID_ARG);
    rocketmq_producer_destroy(p);
}

/* No name server anywhere: the send fails at once with the reason. */
static void test_no_namesrv(void **state)
{
    (void)state;
    unsetenv("NAMESRV_ADDR");
    rocketmq_producer_t *p = rocketmq_producer_new("nons_group");
    assert_int_equal(rocketmq_producer_start(p), 0);
    rocketmq_message_t *m = hello("TopicTest");
    rocketmq_send_result_t r;
    assert_int_equal(rocketmq_producer_send(p, m, &r), ROCKETMQ_ERR__NO_ROUTE);
    assert_non_null(strstr(rocketmq_last_error_detail(), "No name server address"));
    /* the id was set before the first attempt, and stays */
    const char *id = rocketmq_message_get_msg_id(m);
    assert_non_null(id);
    assert_int_equal(strlen(id), 32);
    /* a message that fails validation never reaches the network */
    rocketmq_message_t *empty = rocketmq_message_new("TopicTest");
    assert_int_equal(rocketmq_producer_send(p, empty, &r), ROCKETMQ_ERR_MESSAGE_ILLEGAL);
    rocketmq_message_t *sched = hello("SCHEDULE_TOPIC_XXXX");
    assert_int_not_equal(rocketmq_producer_send(p, sched, &r), 0);
    assert_non_null(strstr(rocketmq_last_error_detail(), "forbidden"));
    rocketmq_message_destroy(sched);
    rocketmq_message_destroy(empty);
    rocketmq_message_destroy(m);
    rocketmq_producer_destroy(p);
}

/* sendDefaultImpl's retry rule: broker codes 1, 14, 16, 17, 204, 205 and
 * client-side failures are retried; everything else ends the send. */
static void test_retry_decisions(void **state)
{
    (void)state;
    int retried[] = {1, 14, 16, 17, 204, 205, ROCKETMQ_ERR__TRANSPORT, ROCKETMQ_ERR__TIMEOUT,
                     ROCKETMQ_ERR__NOT_FOUND};
    int final[] = {2, 3, 13, 15, 26, 215, ROCKETMQ_ERR__INVALID_ARG, ROCKETMQ_ERR__NO_ROUTE,
                   ROCKETMQ_ERR__PROTOCOL};
    for (size_t i = 0; i < sizeof(retried) / sizeof(retried[0]); i++)
        assert_true(rmq_send_retryable(retried[i]));
    for (size_t i = 0; i < sizeof(final) / sizeof(final[0]); i++)
        assert_false(rmq_send_retryable(final[i]));
    /* ASYNC: the network only */
    assert_true(rmq_send_async_retryable(ROCKETMQ_ERR__TRANSPORT));
    assert_true(rmq_send_async_retryable(ROCKETMQ_ERR__TIMEOUT));
    assert_false(rmq_send_async_retryable(ROCKETMQ_ERR_SYSTEM_ERROR));
    assert_false(rmq_send_async_retryable(ROCKETMQ_ERR_TOPIC_NOT_EXIST));
}

/* One timeout for the whole send: each attempt gets what is left. */
static void test_time_left(void **state)
{
    (void)state;
    assert_int_equal(rmq_send_time_left(1000, 1000, 3000), 3000);
    assert_int_equal(rmq_send_time_left(1000, 2500, 3000), 1500);
    assert_true(rmq_send_time_left(1000, 4000, 3000) <= 0);
    assert_true(rmq_send_time_left(1000, 9000, 3000) < 0);
}

/* SelectMessageQueueByHash: abs(String.hashCode() % n), Java's numbers. */
static void test_hash_selector(void **state)
{
    (void)state;
    rocketmq_message_queue_t mqs[3];
    memset(mqs, 0, sizeof(mqs));
    /* "TagA".hashCode() = 2598919, "order-1".hashCode() = -1207111310 */
    assert_int_equal(rocketmq_select_queue_by_hash(mqs, 3, NULL, "TagA"), 1);
    assert_int_equal(rocketmq_select_queue_by_hash(mqs, 3, NULL, "order-1"), 2);
    assert_int_equal(rocketmq_select_queue_by_hash(mqs, 3, NULL, "negative-key-xyz"), 0);
    /* "polygenelubricants".hashCode() is Integer.MIN_VALUE */
    assert_int_equal(rocketmq_select_queue_by_hash(mqs, 3, NULL, "polygenelubricants"), 2);
}

static void test_result_format(void **state)
{
    (void)state;
    rocketmq_send_result_t r;
    memset(&r, 0, sizeof(r));
    r.status = ROCKETMQ_SEND_OK;
    strcpy(r.msg_id, "C0A80001000018B4AAC2");
    strcpy(r.offset_msg_id, "7F00000100002A9F0000000000000000");
    strcpy(r.queue.topic, "TopicTest");
    strcpy(r.queue.broker_name, "broker-a");
    r.queue.queue_id = 3;
    r.queue_offset = 42;
    char line[512];
    rocketmq_send_result_format(&r, line, sizeof(line));
    assert_string_equal(line, "SendResult [sendStatus=SEND_OK, msgId=C0A80001000018B4AAC2, "
                              "offsetMsgId=7F00000100002A9F0000000000000000, messageQueue="
                              "MessageQueue [topic=TopicTest, brokerName=broker-a, queueId=3], "
                              "queueOffset=42]");
    assert_string_equal(rocketmq_send_status_name(ROCKETMQ_SEND_FLUSH_DISK_TIMEOUT),
                        "FLUSH_DISK_TIMEOUT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states),          cmocka_unit_test(test_bad_groups),
        cmocka_unit_test(test_shared_instance), cmocka_unit_test(test_config_ranges),
        cmocka_unit_test(test_no_namesrv),      cmocka_unit_test(test_retry_decisions),
        cmocka_unit_test(test_time_left),       cmocka_unit_test(test_hash_selector),
        cmocka_unit_test(test_result_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
