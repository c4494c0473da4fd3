/* BroadcastConsumer: every consumer of the group gets every message of
 * TopicTest (BROADCASTING; offsets kept in ~/.rocketmq_offsets), one
 * line per message.  Runs until SIGINT or SIGTERM, then shuts down cleanly
 * (offsets written to the local file) and exits 0.
 *
 *   NAMESRV_ADDR=localhost:9876 ./broadcast_consumer [topic [group]] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rocketmq/consumer.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static rocketmq_consume_status_t on_messages(rocketmq_message_t *const *msgs, size_t n,
                                                     rocketmq_consume_context_t *ctx,
                                                     void *arg)
{
    (void)arg;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const char *body = rocketmq_message_get_body(msgs[i], &len);
        printf("queue %s/%d offset %lld tags %s: %.*s\n", ctx->queue->broker_name,
               ctx->queue->queue_id, (long long)rocketmq_message_get_queue_offset(msgs[i]),
               rocketmq_message_get_tags(msgs[i]) ? rocketmq_message_get_tags(msgs[i]) : "",
               (int)len, body ? body : "");
    }
    fflush(stdout);
    return ROCKETMQ_CONSUME_SUCCESS;
}

int main(int argc, char **argv)
{
    const char *topic = argc > 1 ? argv[1] : "TopicTest";
    const char *group = argc > 2 ? argv[2] : "please_rename_unique_group_name_1";
    const char *namesrv = getenv("NAMESRV_ADDR") && *getenv("NAMESRV_ADDR") ? getenv("NAMESRV_ADDR")
                                                                            : "localhost:9876";
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rocketmq_push_consumer_t *consumer = rocketmq_push_consumer_new(group);
    rocketmq_push_consumer_set_namesrv_addr(consumer, namesrv);
    rocketmq_push_consumer_set_message_model(consumer, ROCKETMQ_BROADCASTING);
    rocketmq_push_consumer_set_consume_from_where(consumer, ROCKETMQ_CONSUME_FROM_FIRST_OFFSET);
    rocketmq_push_consumer_subscribe(consumer, topic, "*");
    rocketmq_push_consumer_register_listener(consumer, on_messages, NULL);
    if (rocketmq_push_consumer_start(consumer) != 0) {
        fprintf(stderr, "start failed: %s\n", rocketmq_last_error_detail());
        rocketmq_push_consumer_destroy(consumer);
        return 1;
    }
    printf("Consumer Started.\n");
    fflush(stdout);
    while (!g_stop)
        pause();
    int err = rocketmq_push_consumer_shutdown(consumer);
    rocketmq_push_consumer_destroy(consumer);
    return err == 0 ? 0 : 1;
}
