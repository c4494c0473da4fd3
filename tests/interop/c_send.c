/* The C side of the interop test: librocketmq's producer sends COUNT
 * messages to TOPIC (tags TagA / TagB alternating, keys key-<i>, a user
 * property, every 10th body 6000 bytes so that it is compressed) and prints
 * one line per message: "<key> <tags> <offsetMsgId> <msgId> <bodyLength>".
 * The node test then consumes them with ali-ons and compares.
 *
 *   interop_c_send NAMESRV_ADDR TOPIC COUNT
 *
 * Exits 0 only if every send returned SEND_OK. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rocketmq/producer.h"

/* The body of message i: the same text the node test rebuilds. */
static size_t body_of(int i, char *buf, size_t n)
{
    int len = snprintf(buf, n, "c producer message %d ", i);
    if (i % 10 == 0) {
        memset(buf + len, 'x', 6000);
        len += 6000;
    }
    return (size_t)len;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s NAMESRV_ADDR TOPIC COUNT\n", argv[0]);
        return 2;
    }
    int count = atoi(argv[3]);
    rocketmq_producer_t *p = rocketmq_producer_new("PID_C_INTEROP");
    rocketmq_producer_set_namesrv_addr(p, argv[1]);
    if (rocketmq_producer_start(p) != 0) {
        fprintf(stderr, "start: %s\n", rocketmq_last_error_detail());
        return 1;
    }
    static char body[8192];
    int failed = 0;
    for (int i = 0; i < count; i++) {
        char key[32];
        snprintf(key, sizeof(key), "key-%d", i);
        const char *tags = i % 2 == 0 ? "TagA" : "TagB";
        rocketmq_message_t *m = rocketmq_message_new(argv[2]);
        rocketmq_message_set_tags(m, tags);
        rocketmq_message_set_keys(m, key);
        rocketmq_message_put_user_property(m, "origin", "librocketmq");
        size_t n = body_of(i, body, sizeof(body));
        rocketmq_message_set_body(m, body, n);
        rocketmq_send_result_t r;
        if (rocketmq_producer_send(p, m, &r) == 0 && r.status == ROCKETMQ_SEND_OK) {
            printf("%s %s %s %s %zu\n", key, tags, r.offset_msg_id, r.msg_id, n);
        } else {
            fprintf(stderr, "send %d: %s\n", i, rocketmq_last_error_detail());
            failed++;
        }
        rocketmq_message_destroy(m);
    }
    rocketmq_producer_destroy(p);
    return failed ? 1 : 0;
}
