/* What the example programs share: the name server from NAMESRV_ADDR
 * (default localhost:9876, as the classic examples), the topic from the
 * first argument (default TopicTest), a started producer. */
#ifndef ROCKETMQ_EXAMPLE_COMMON_H
#define ROCKETMQ_EXAMPLE_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#include "rocketmq/producer.h"

static inline const char *example_namesrv(void)
{
    const char *v = getenv("NAMESRV_ADDR");
    return v && *v ? v : "localhost:9876";
}

static inline const char *example_topic(int argc, char **argv)
{
    return argc > 1 ? argv[1] : "TopicTest";
}

/* A started producer of group, or NULL (the reason on stderr). */
static inline rocketmq_producer_t *example_producer(const char *group)
{
    rocketmq_producer_t *p = rocketmq_producer_new(group);
    if (!p)
        return NULL;
    rocketmq_producer_set_namesrv_addr(p, example_namesrv());
    if (rocketmq_producer_start(p) != 0) {
        fprintf(stderr, "start failed: %s\n", rocketmq_last_error_detail());
        rocketmq_producer_destroy(p);
        return NULL;
    }
    return p;
}

static inline void example_print_result(const rocketmq_send_result_t *r)
{
    char line[512];
    rocketmq_send_result_format(r, line, sizeof(line));
    printf("%s\n", line);
}

#endif
