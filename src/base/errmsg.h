/* Error messages for callers that pass (char *err, size_t errlen). */
#ifndef RMQ_BASE_ERRMSG_H
#define RMQ_BASE_ERRMSG_H

#include <stddef.h>

/* Formats into err; does nothing when err is NULL or errlen is 0. */
void rmq_set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
