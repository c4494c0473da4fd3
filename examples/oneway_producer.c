/* OnewayProducer: 100 messages sent ONEWAY (no response, no retry; for logs
 * and metrics where speed beats certainty).  Exits 0 if every send left.
 *
 *   NAMESRV_ADDR=localhost:9876 ./oneway_producer [topic] */
#include "example_common.h"

int main(int argc, char **argv)
{
    rocketmq_producer_t *producer = example_producer("please_rename_unique_group_name");
    if (!producer)
        return 1;
    int failed = 0;
    for (int i = 0; i < 100; i++) {
        char body[64];
        int len = snprintf(body, sizeof(body), "Hello RocketMQ %d", i);
        rocketmq_message_t *msg = rocketmq_message_new(example_topic(argc, argv));
        rocketmq_message_set_tags(msg, "TagA");
        rocketmq_message_set_body(msg, body, (size_t)len);
        if (rocketmq_producer_send_oneway(producer, msg) != 0) {
            fprintf(stderr, "send %d failed: %s\n", i, rocketmq_last_error_detail());
            failed++;
        } else {
            printf("sent %d %s\n", i, rocketmq_message_get_msg_id(msg));
        }
        rocketmq_message_destroy(msg);
    }
    rocketmq_producer_shutdown(producer);
    rocketmq_producer_destroy(producer);
    return failed == 0 ? 0 : 1;
}
