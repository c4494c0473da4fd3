/* OrderedProducer: 100 messages for 10 orders; the messages of one order
 * all go to one queue (selected by the hash of the order id), so a
 * consumer sees each order's steps in the order they were sent.
 *
 *   NAMESRV_ADDR=localhost:9876 ./orderly_producer [topic] */
#include "example_common.h"

int main(int argc, char **argv)
{
    static const char *tags[] = {"TagA", "TagB", "TagC", "TagD", "TagE"};
    rocketmq_producer_t *producer = example_producer("please_rename_unique_group_name");
    if (!producer)
        return 1;
    int failed = 0;
    for (int i = 0; i < 100; i++) {
        char order[32], body[64], keys[32];
        snprintf(order, sizeof(order), "order-%d", i % 10);
        int len = snprintf(body, sizeof(body), "Hello RocketMQ %d (%s)", i, order);
        snprintf(keys, sizeof(keys), "KEY%d", i);
        rocketmq_message_t *msg = rocketmq_message_new(example_topic(argc, argv));
        rocketmq_message_set_tags(msg, tags[i % 5]);
        rocketmq_message_set_keys(msg, keys);
        rocketmq_message_set_body(msg, body, (size_t)len);
        rocketmq_send_result_t result;
        if (rocketmq_producer_send_orderly(producer, msg, rocketmq_select_queue_by_hash, order,
                                           &result) == 0) {
            example_print_result(&result);
            failed += result.status != ROCKETMQ_SEND_OK;
        } else {
            fprintf(stderr, "send %d failed: %s\n", i, rocketmq_last_error_detail());
            failed++;
        }
        rocketmq_message_destroy(msg);
    }
    rocketmq_producer_shutdown(producer);
    rocketmq_producer_destroy(producer);
    return failed == 0 ? 0 : 1;
}
