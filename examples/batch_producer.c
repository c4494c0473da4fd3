/* SimpleBatchProducer: three messages to one topic in one batch (one
 * request, stored consecutively in one queue).
 *
 *   NAMESRV_ADDR=localhost:9876 ./batch_producer [topic] */
#include "example_common.h"

int main(int argc, char **argv)
{
    rocketmq_producer_t *producer = example_producer("BatchProducerGroupName");
    if (!producer)
        return 1;
    rocketmq_message_t *msgs[3];
    for (int i = 0; i < 3; i++) {
        char body[64], keys[32];
        int len = snprintf(body, sizeof(body), "Hello world %d", i);
        snprintf(keys, sizeof(keys), "OrderID%03d", i + 1);
        msgs[i] = rocketmq_message_new(example_topic(argc, argv));
        rocketmq_message_set_tags(msgs[i], "Tag");
        rocketmq_message_set_keys(msgs[i], keys);
        rocketmq_message_set_body(msgs[i], body, (size_t)len);
    }
    rocketmq_send_result_t result;
    int err = rocketmq_producer_send_batch(producer, msgs, 3, &result);
    if (err == 0) {
        example_print_result(&result);
        for (int i = 0; i < 3; i++)
            printf("  message %d: %s\n", i, rocketmq_message_get_msg_id(msgs[i]));
    } else {
        fprintf(stderr, "batch failed: %s\n", rocketmq_last_error_detail());
    }
    for (int i = 0; i < 3; i++)
        rocketmq_message_destroy(msgs[i]);
    rocketmq_producer_shutdown(producer);
    rocketmq_producer_destroy(producer);
    return err == 0 && result.status == ROCKETMQ_SEND_OK ? 0 : 1;
}
