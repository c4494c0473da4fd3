/* libFuzzer target for the client library's decoders: PULL / VIEW bodies
 * turned into received messages (records, properties, zlib bodies, hosts,
 * message ids), and subscription expressions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/consumer_int.h"
#include "client/msg_decode.h"
#include "rocketmq/consumer.h"

static void pull_body(const uint8_t *data, size_t size)
{
    rocketmq_message_t **msgs = NULL;
    size_t n = 0;
    if (rmq_msgs_decode(data, size, "broker-a", 1u << 20, &msgs, &n) != 0) {
        if (msgs || n)
            abort(); /* a failed decode returns nothing */
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const void *body = rocketmq_message_get_body(msgs[i], &len);
        if (len && !body)
            abort();
        (void)rocketmq_message_get_msg_id(msgs[i]);
        (void)rocketmq_message_get_tags(msgs[i]);
        (void)rocketmq_message_get_store_host(msgs[i]);
        rocketmq_message_t *copy = rocketmq_message_dup(msgs[i]);
        rocketmq_message_destroy(copy);
    }
    rocketmq_messages_free(msgs, n);
}

static void expression(const uint8_t *data, size_t size)
{
    char expr[512];
    size_t n = size < sizeof(expr) - 1 ? size : sizeof(expr) - 1;
    memcpy(expr, data, n);
    expr[n] = '\0';
    rmq_subscription_data_t sub;
    rmq_build_subscription("TopicTest", expr, &sub);
    if (sub.ntags != sub.ncodes)
        abort();
    rmq_subscription_data_free(&sub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pull_body(data, size);
    expression(data, size);
    return 0;
}
