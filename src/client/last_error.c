/* rocketmq_last_error_detail(): why the calling thread's last call failed.
 * Per thread, so that one producer shared by many threads never mixes up
 * the reasons of their failures. */
#include <stdarg.h>
#include <stdio.h>

#include "client/client_int.h"
#include "rocketmq/producer.h"

static _Thread_local char t_detail[512];

const char *rocketmq_last_error_detail(void)
{
    return t_detail;
}

int rmq_client_fail(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t_detail, sizeof(t_detail), fmt, ap);
    va_end(ap);
    return err;
}

void rmq_client_clear_error(void)
{
    t_detail[0] = '\0';
}
