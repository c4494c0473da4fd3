/* Small helpers shared by the client modules. */
#ifndef RMQ_CLIENT_CLIENT_INT_H
#define RMQ_CLIENT_CLIENT_INT_H

#include <stddef.h>

/* Records the calling thread's error detail (rocketmq_last_error_detail)
 * and returns err, so that `return rmq_client_fail(E, "...")` reads as one
 * statement. */
int rmq_client_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rmq_client_clear_error(void);

/* Configuration setters shared by producers and consumers: err is what the
 * object's own before-start check returned (0 to go on); the value is
 * checked, stored, and the error detail set when it is refused. */
int rmq_cfg_str(int err, char *dst, size_t n, const char *v);
int rmq_cfg_int(int err, int *dst, int v, int min, int max);

#endif
