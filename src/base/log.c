#include "base/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static _Atomic int g_level = RMQ_LOG_INFO;
static const char *const g_names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};

void rmq_log_set_level(rmq_log_level_t level)
{
    atomic_store(&g_level, (int)level);
}

rmq_log_level_t rmq_log_get_level(void)
{
    return (rmq_log_level_t)atomic_load(&g_level);
}

int rmq_log_level_parse(const char *s)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, names[i]) == 0)
            return i;
    return -1;
}

void rmq_log(rmq_log_level_t level, const char *module, const char *fmt, ...)
{
    if ((int)level > atomic_load(&g_level))
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char line[2048];
    int n = snprintf(line, sizeof(line), "%04d-%02d-%02d %02d:%02d:%02d.%03d %s [%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (int)(tv.tv_usec / 1000), g_names[level], module);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(line))
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    /* One fputs per line so lines from several threads do not interleave. */
    fprintf(stderr, "%s\n", line);
}
