/* Received messages: the stored records of PULL, VIEW_MESSAGE_BY_ID and
 * QUERY_MESSAGE bodies (protocol.md 6.7, MessageDecoder.decodes) decoded
 * into rocketmq_message_t objects carrying their MessageExt fields. */
#ifndef RMQ_CLIENT_MSG_DECODE_H
#define RMQ_CLIENT_MSG_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rocketmq/consumer.h"

/* MessageExt fields of a received message (NULL ext: built locally). */
typedef struct rmq_msg_ext {
    int32_t queue_id;
    int64_t queue_offset;
    int64_t commit_log_offset;
    int32_t sys_flag;
    int32_t body_crc;
    int64_t born_timestamp;
    int64_t store_timestamp;
    int32_t reconsume_times;
    int64_t prepared_transaction_offset;
    char born_host[64];  /* "a.b.c.d:port", "[v6addr]:port" for IPv6 */
    char store_host[64];
    char offset_msg_id[ROCKETMQ_MSG_ID_MAX + 1];
    char broker_name[ROCKETMQ_BROKER_NAME_MAX + 1];
} rmq_msg_ext_t;

/* Decodes every record of body (V1 and V2 magic, IPv4 and IPv6 hosts).
 * Compressed bodies (sysFlag bit 0; zlib whatever the type bits say for
 * 0 and 0x300; others refused) are inflated, at most max_body bytes each.
 * Returns 0 with *msgs (malloc'ed array, *n messages; free with
 * rocketmq_messages_free; NULL and 0 for an empty body), or
 * ROCKETMQ_ERR__PROTOCOL (nothing returned) when a record is malformed,
 * ROCKETMQ_ERR__NO_MEMORY when memory ran out. */
int rmq_msgs_decode(const uint8_t *body, size_t len, const char *broker_name, size_t max_body,
                    rocketmq_message_t ***msgs, size_t *n);

/* The ext part of msg, NULL for a message built locally. */
const rmq_msg_ext_t *rmq_msg_ext(const rocketmq_message_t *msg);
/* The ext part of msg, created zeroed if absent. */
rmq_msg_ext_t *rmq_msg_ext_mut(rocketmq_message_t *msg);

#endif
