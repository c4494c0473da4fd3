/* Small helpers shared by the client modules. */
#ifndef RMQ_CLIENT_CLIENT_INT_H
#define RMQ_CLIENT_CLIENT_INT_H

/* Records the calling thread's error detail (rocketmq_last_error_detail)
 * and returns err, so that `return rmq_client_fail(E, "...")` reads as one
 * statement. */
int rmq_client_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rmq_client_clear_error(void);

#endif
