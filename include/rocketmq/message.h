/* Messages and message queues of librocketmq (Apache RocketMQ's Message and
 * MessageQueue, in C).
 *
 * A message is a topic, a body, a user flag and string properties.  Tags,
 * keys, the delay level and the unique id are properties under the names
 * Apache RocketMQ uses (TAGS, KEYS, DELAY, UNIQ_KEY), so a message sent from
 * C reads the same in a Java consumer and the other way round.
 *
 * Setters copy their arguments.  A message may be read from many threads
 * but changed by one at a time; the producer sets the unique id (UNIQ_KEY)
 * on the caller's message before the first attempt of a send, as the Java
 * client does, so that the id is known to the caller and kept across
 * retries.  Every other change the producer makes (compression, the batch
 * encoding) happens on its own copy. */
#ifndef ROCKETMQ_MESSAGE_H
#define ROCKETMQ_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rocketmq/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest topic name (TopicValidator: 127 characters). */
#define ROCKETMQ_TOPIC_MAX 127
/* Longest broker name this library keeps in a message queue. */
#define ROCKETMQ_BROKER_NAME_MAX 127
/* Room for a message id: 32 hex characters for IPv4 hosts, 56 for IPv6. */
#define ROCKETMQ_MSG_ID_MAX 64

/* Property names (MessageConst). */
#define ROCKETMQ_PROPERTY_KEYS "KEYS"
#define ROCKETMQ_PROPERTY_TAGS "TAGS"
#define ROCKETMQ_PROPERTY_WAIT_STORE_MSG_OK "WAIT"
#define ROCKETMQ_PROPERTY_DELAY_TIME_LEVEL "DELAY"
#define ROCKETMQ_PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX "UNIQ_KEY"

/* A message queue: (topic, broker name, queue id), MessageQueue in Java. */
typedef struct rocketmq_message_queue {
    char topic[ROCKETMQ_TOPIC_MAX + 1];
    char broker_name[ROCKETMQ_BROKER_NAME_MAX + 1];
    int queue_id;
} rocketmq_message_queue_t;

typedef struct rocketmq_message rocketmq_message_t;

/* A message for topic (may be NULL, to be set later) with WAIT=true, as
 * Java's Message constructors set it.  NULL only when out of memory. */
ROCKETMQ_EXPORT rocketmq_message_t *rocketmq_message_new(const char *topic);
ROCKETMQ_EXPORT void rocketmq_message_destroy(rocketmq_message_t *msg);
/* A deep copy, or NULL when out of memory. */
ROCKETMQ_EXPORT rocketmq_message_t *rocketmq_message_dup(const rocketmq_message_t *msg);

/* Setters return 0, or ROCKETMQ_ERR__INVALID_ARG for a NULL message or a
 * value the message cannot hold (a separator character 0x01 or 0x02 in a
 * property, a reserved name given to rocketmq_message_put_user_property). */
ROCKETMQ_EXPORT int rocketmq_message_set_topic(rocketmq_message_t *msg, const char *topic);
/* Copies len bytes (the body may hold any bytes). */
ROCKETMQ_EXPORT int rocketmq_message_set_body(rocketmq_message_t *msg, const void *body,
                                              size_t len);
ROCKETMQ_EXPORT int rocketmq_message_set_tags(rocketmq_message_t *msg, const char *tags);
/* Keys separated by single spaces (KEY_SEPARATOR), as Java joins a list. */
ROCKETMQ_EXPORT int rocketmq_message_set_keys(rocketmq_message_t *msg, const char *keys);
ROCKETMQ_EXPORT int rocketmq_message_set_flag(rocketmq_message_t *msg, int32_t flag);
/* 1..18 with the broker's default messageDelayLevel (1s 5s 10s 30s 1m ...
 * 2h); 0 removes the delay. */
ROCKETMQ_EXPORT int rocketmq_message_set_delay_time_level(rocketmq_message_t *msg, int level);
ROCKETMQ_EXPORT int rocketmq_message_set_wait_store_msg_ok(rocketmq_message_t *msg, bool wait);
/* Any property (system ones included); a NULL value removes it. */
ROCKETMQ_EXPORT int rocketmq_message_set_property(rocketmq_message_t *msg, const char *name,
                                                  const char *value);
/* A user property: refuses the reserved names of MessageConst (TAGS, KEYS,
 * UNIQ_KEY, ...) and empty names or values, as Java's putUserProperty. */
ROCKETMQ_EXPORT int rocketmq_message_put_user_property(rocketmq_message_t *msg, const char *name,
                                                       const char *value);

/* Getters return pointers into the message, valid until it changes or is
 * destroyed; NULL when absent. */
ROCKETMQ_EXPORT const char *rocketmq_message_get_topic(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT const void *rocketmq_message_get_body(const rocketmq_message_t *msg, size_t *len);
ROCKETMQ_EXPORT const char *rocketmq_message_get_tags(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT const char *rocketmq_message_get_keys(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT int32_t rocketmq_message_get_flag(const rocketmq_message_t *msg);
/* 0 when none. */
ROCKETMQ_EXPORT int rocketmq_message_get_delay_time_level(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT bool rocketmq_message_get_wait_store_msg_ok(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT const char *rocketmq_message_get_property(const rocketmq_message_t *msg,
                                                          const char *name);
/* The unique message id (property UNIQ_KEY), set by the producer's first
 * send attempt; NULL before.  A received message without UNIQ_KEY gives
 * its offset message id instead (Java MessageClientExt.getMsgId). */
ROCKETMQ_EXPORT const char *rocketmq_message_get_msg_id(const rocketmq_message_t *msg);
/* Calls fn for every property, in the order they were first set. */
ROCKETMQ_EXPORT void rocketmq_message_foreach_property(const rocketmq_message_t *msg,
                                                       void (*fn)(const char *name,
                                                                  const char *value, void *arg),
                                                       void *arg);

#ifdef __cplusplus
}
#endif

#endif
