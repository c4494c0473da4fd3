/* Clocks.  Wall-clock milliseconds are what RocketMQ puts on the wire
 * (timestamps, data versions); monotonic milliseconds drive timeouts. */
#ifndef RMQ_BASE_TIME_H
#define RMQ_BASE_TIME_H

#include <stdint.h>

int64_t rmq_now_ms(void);
int64_t rmq_mono_ms(void);
uint64_t rmq_mono_ns(void);

#endif
