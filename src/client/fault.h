/* The latency fault tolerance of the producer (4.9.8 CLIENT/latency/
 * MQFaultStrategy.java, LatencyFaultToleranceImpl.java; protocol.md 9.5):
 * after each attempt the broker gets an entry {currentLatency,
 * startTimestamp = now + notAvailableDuration(latency)}; a broker is
 * available when now >= startTimestamp.  Thread-safe. */
#ifndef RMQ_CLIENT_FAULT_H
#define RMQ_CLIENT_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMQ_FAULT_MAX_LEVELS 16

typedef struct rmq_fault rmq_fault_t;

/* With the 4.9.8 levels: latencyMax {50, 100, 550, 1000, 2000, 3000, 15000},
 * notAvailableDuration {0, 0, 30000, 60000, 120000, 180000, 600000}. */
rmq_fault_t *rmq_fault_new(void);
void rmq_fault_free(rmq_fault_t *f);
/* n in [1, RMQ_FAULT_MAX_LEVELS]; returns 0 or ROCKETMQ_ERR__INVALID_ARG. */
int rmq_fault_set_levels(rmq_fault_t *f, const int64_t *latency_max,
                         const int64_t *not_available_duration, size_t n);
/* computeNotAvailableDuration: the duration of the largest level whose
 * latencyMax <= latency, else 0. */
int64_t rmq_fault_duration(const rmq_fault_t *f, int64_t latency_ms);
/* updateFaultItem: isolation (the attempt failed) counts as 30000 ms when
 * choosing the duration; the stored currentLatency is latency_ms either way. */
void rmq_fault_update(rmq_fault_t *f, const char *broker, int64_t latency_ms, bool isolation,
                      int64_t now_ms);
bool rmq_fault_available(const rmq_fault_t *f, const char *broker, int64_t now_ms);
void rmq_fault_remove(rmq_fault_t *f, const char *broker);
/* pickOneAtLeast: the entries sorted (available first, then lower latency,
 * then earlier startTimestamp; ties in table order: 4.9.8 no longer
 * shuffles before sorting); one of the better half
 * by the thread's index (the first if fewer than two).  Copies its name to
 * out and returns true, or false when the table is empty. */
bool rmq_fault_pick_one_at_least(rmq_fault_t *f, int64_t now_ms, char *out, size_t outlen);

/* ThreadLocalIndex: a per-thread counter starting at a random value; each
 * call increments it and returns it & 0x7FFFFFFF. */
int32_t rmq_thread_index_next(void);

#endif
