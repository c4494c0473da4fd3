/* Levelled logging to stderr: "2026-11-26 22:40:29.123 INFO  [namesrv] text".
 * The level is process-wide (set once at start-up from -l / RMQ_LOG_LEVEL). */
#ifndef RMQ_BASE_LOG_H
#define RMQ_BASE_LOG_H

typedef enum rmq_log_level {
    RMQ_LOG_ERROR = 0,
    RMQ_LOG_WARN = 1,
    RMQ_LOG_INFO = 2,
    RMQ_LOG_DEBUG = 3,
} rmq_log_level_t;

void rmq_log_set_level(rmq_log_level_t level);
rmq_log_level_t rmq_log_get_level(void);
/* Parses "error", "warn", "info", "debug" (any case); returns -1 if unknown. */
int rmq_log_level_parse(const char *s);
void rmq_log(rmq_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define RMQ_LOGE(mod, ...) rmq_log(RMQ_LOG_ERROR, mod, __VA_ARGS__)
#define RMQ_LOGW(mod, ...) rmq_log(RMQ_LOG_WARN, mod, __VA_ARGS__)
#define RMQ_LOGI(mod, ...) rmq_log(RMQ_LOG_INFO, mod, __VA_ARGS__)
#define RMQ_LOGD(mod, ...)                                                                         \
    do {                                                                                           \
        if (rmq_log_get_level() >= RMQ_LOG_DEBUG)                                                  \
            rmq_log(RMQ_LOG_DEBUG, mod, __VA_ARGS__);                                              \
    } while (0)

#endif
