/* Clocks.  Wall-clock milliseconds are what RocketMQ puts on the wire
 * (timestamps, data versions); monotonic milliseconds drive timeouts. */
#ifndef RMQ_BASE_TIME_H
#define RMQ_BASE_TIME_H

#include <stdint.h>
#include <time.h>

int64_t rmq_now_ms(void);
int64_t rmq_mono_ms(void);
uint64_t rmq_mono_ns(void);
/* *ts = now on clock + ms: the deadline pthread_cond_timedwait wants. */
void rmq_timespec_in(struct timespec *ts, clockid_t clock, int64_t ms);

#endif
