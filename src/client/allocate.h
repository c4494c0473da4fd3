/* Queue allocation among the consumers of a group (AllocateMessageQueue*
 * strategies of 4.9.8; protocol.md 9.8).  Every strategy gives the same
 * answer as Apache RocketMQ's for the same inputs, so C and Java consumers
 * in one group agree on who owns which queue. */
#ifndef RMQ_CLIENT_ALLOCATE_H
#define RMQ_CLIENT_ALLOCATE_H

#include <stddef.h>
#include <stdint.h>

#include "rocketmq/consumer.h"

/* Java's MessageQueue order: topic, then broker name, then queue id
 * (String.compareTo on UTF-16 code units). */
int rmq_mq_compare(const rocketmq_message_queue_t *a, const rocketmq_message_queue_t *b);
void rmq_mq_sort(rocketmq_message_queue_t *mqs, size_t n);
/* Client ids in String.compareTo order. */
void rmq_cid_sort(char **ids, size_t n);

/* The queues of mq_all (sorted) that client cid gets among cid_all
 * (sorted), copied into a malloc'ed *out (*nout entries; NULL and 0 when
 * none).  Empty when cid is not in cid_all or an input is empty (Java
 * throws on empty inputs and its rebalance then skips the topic: callers
 * should skip too rather than drop their queues).  config/nconfig: the
 * fixed list of ROCKETMQ_ALLOCATE_BY_CONFIG, returned as is whatever the
 * other inputs.  Returns 0, or ROCKETMQ_ERR__INVALID_ARG for an unknown
 * strategy or a NULL out/nout. */
int rmq_allocate(rocketmq_allocate_strategy_t strategy, const char *cid,
                 const rocketmq_message_queue_t *mq_all, size_t nmq, char *const *cid_all,
                 size_t ncid, const rocketmq_message_queue_t *config, size_t nconfig,
                 rocketmq_message_queue_t **out, size_t *nout);

/* ConsistentHashRouter's default hash: the first 4 bytes of MD5(key) read
 * big-endian as an unsigned 32-bit value (kept in int64 as Java's long). */
int64_t rmq_consistent_hash(const char *key, size_t len);

#endif
