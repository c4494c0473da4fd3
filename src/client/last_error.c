/* rocketmq_last_error_detail(): why the calling thread's last call failed.
 * Per thread, so that one producer shared by many threads never mixes up
 * the reasons of their failures. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

int rmq_cfg_str(int err, char *dst, size_t n, const char *v)
{
    if (err != 0)
        return err;
    if (!v || strlen(v) >= n)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "value missing or longer than %zu", n - 1);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

int rmq_cfg_int(int err, int *dst, int v, int min, int max)
{
    if (err != 0)
        return err;
    if (v < min || v > max)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "%d is out of range [%d, %d]", v, min, max);
    *dst = v;
    return 0;
}
