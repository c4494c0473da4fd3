/* LitePullConsumerSubscribe: a lite pull consumer of TopicTest (group
 * please_rename_unique_group_name_5, from the first offset) polling in a
 * loop and printing each message; offsets of what it polled are committed
 * automatically.  Runs until SIGINT or SIGTERM, then shuts down cleanly
 * (offsets committed) and exits 0.
 *
 *   NAMESRV_ADDR=localhost:9876 ./pull_consumer [topic [group]] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "rocketmq/consumer.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

int main(int argc, char **argv)
{
    const char *topic = argc > 1 ? argv[1] : "TopicTest";
    const char *group = argc > 2 ? argv[2] : "please_rename_unique_group_name_5";
    const char *namesrv = getenv("NAMESRV_ADDR") && *getenv("NAMESRV_ADDR") ? getenv("NAMESRV_ADDR")
                                                                            : "localhost:9876";
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rocketmq_lite_pull_consumer_t *consumer = rocketmq_lite_pull_consumer_new(group);
    rocketmq_lite_pull_consumer_set_namesrv_addr(consumer, namesrv);
    rocketmq_lite_pull_consumer_set_consume_from_where(consumer, ROCKETMQ_CONSUME_FROM_FIRST_OFFSET);
    rocketmq_lite_pull_consumer_subscribe(consumer, topic, "*");
    if (rocketmq_lite_pull_consumer_start(consumer) != 0) {
        fprintf(stderr, "start failed: %s\n", rocketmq_last_error_detail());
        rocketmq_lite_pull_consumer_destroy(consumer);
        return 1;
    }
    printf("Consumer Started.\n");
    fflush(stdout);
    while (!g_stop) {
        rocketmq_message_t **msgs = NULL;
        size_t n = 0;
        if (rocketmq_lite_pull_consumer_poll(consumer, 1000, &msgs, &n) != 0) {
            fprintf(stderr, "poll: %s\n", rocketmq_last_error_detail());
            break;
        }
        for (size_t i = 0; i < n; i++) {
            size_t len = 0;
            const char *body = rocketmq_message_get_body(msgs[i], &len);
            printf("queue %d offset %lld: %.*s\n", rocketmq_message_get_queue_id(msgs[i]),
                   (long long)rocketmq_message_get_queue_offset(msgs[i]), (int)len,
                   body ? body : "");
        }
        fflush(stdout);
        rocketmq_messages_free(msgs, n);
    }
    int err = rocketmq_lite_pull_consumer_shutdown(consumer);
    rocketmq_lite_pull_consumer_destroy(consumer);
    return err == 0 ? 0 : 1;
}
