/* SyncProducer, the classic Apache RocketMQ quickstart, in C: 100 messages
 * "Hello RocketMQ <i>" with tag TagA to TopicTest, one send result printed
 * per message.
 *
 *   NAMESRV_ADDR=localhost:9876 ./sync_producer [topic]
 *
 * Exits 0 only if every send returned SEND_OK. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rocketmq/producer.h"

int main(int argc, char **argv)
{
    const char *topic = argc > 1 ? argv[1] : "TopicTest";
    const char *namesrv = getenv("NAMESRV_ADDR") ? getenv("NAMESRV_ADDR") : "localhost:9876";

    rocketmq_producer_t *producer = rocketmq_producer_new("please_rename_unique_group_name");
    rocketmq_producer_set_namesrv_addr(producer, namesrv);
    if (rocketmq_producer_start(producer) != 0) {
        fprintf(stderr, "start failed: %s\n", rocketmq_last_error_detail());
        rocketmq_producer_destroy(producer);
        return 1;
    }
    int failed = 0;
    for (int i = 0; i < 100; i++) {
        char body[64];
        int len = snprintf(body, sizeof(body), "Hello RocketMQ %d", i);
        rocketmq_message_t *msg = rocketmq_message_new(topic);
        rocketmq_message_set_tags(msg, "TagA");
        rocketmq_message_set_body(msg, body, (size_t)len);
        rocketmq_send_result_t result;
        if (rocketmq_producer_send(producer, msg, &result) == 0) {
            char line[512];
            rocketmq_send_result_format(&result, line, sizeof(line));
            printf("%s\n", line);
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
