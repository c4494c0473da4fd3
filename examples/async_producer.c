/* AsyncProducer: 100 messages sent with ASYNC sends; each callback prints
 * its result ("<i> OK <msgId>") or its error.  Waits for every callback,
 * then shuts down.
 *
 *   NAMESRV_ADDR=localhost:9876 ./async_producer [topic] */
#include <pthread.h>
#include <string.h>

#include "example_common.h"

#define COUNT 100

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_done = PTHREAD_COND_INITIALIZER;
static int g_pending, g_failed;

static void on_sent(int err, const rocketmq_send_result_t *result, const char *detail, void *arg)
{
    int i = (int)(intptr_t)arg;
    pthread_mutex_lock(&g_lock);
    if (err == 0 && result->status == ROCKETMQ_SEND_OK) {
        printf("%-10d OK %s\n", i, result->msg_id);
    } else {
        printf("%-10d Exception %s\n", i, err ? detail : rocketmq_send_status_name(result->status));
        g_failed++;
    }
    if (--g_pending == 0)
        pthread_cond_signal(&g_done);
    pthread_mutex_unlock(&g_lock);
}

int main(int argc, char **argv)
{
    rocketmq_producer_t *producer = example_producer("please_rename_unique_group_name");
    if (!producer)
        return 1;
    rocketmq_producer_set_retry_times_when_send_async_failed(producer, 0); /* as the Java example */
    for (int i = 0; i < COUNT; i++) {
        rocketmq_message_t *msg = rocketmq_message_new(example_topic(argc, argv));
        rocketmq_message_set_tags(msg, "TagA");
        rocketmq_message_set_keys(msg, "OrderID188");
        rocketmq_message_set_body(msg, "Hello world", 11);
        pthread_mutex_lock(&g_lock);
        g_pending++;
        pthread_mutex_unlock(&g_lock);
        if (rocketmq_producer_send_async(producer, msg, on_sent, (void *)(intptr_t)i) != 0) {
            fprintf(stderr, "send %d not accepted: %s\n", i, rocketmq_last_error_detail());
            pthread_mutex_lock(&g_lock);
            g_pending--;
            g_failed++;
            pthread_mutex_unlock(&g_lock);
        }
        rocketmq_message_destroy(msg); /* the producer keeps its own copy */
    }
    pthread_mutex_lock(&g_lock);
    while (g_pending > 0) /* every send ends by its timeout (3 s) at the latest */
        pthread_cond_wait(&g_done, &g_lock);
    int failed = g_failed;
    pthread_mutex_unlock(&g_lock);
    rocketmq_producer_shutdown(producer);
    rocketmq_producer_destroy(producer);
    return failed == 0 ? 0 : 1;
}
