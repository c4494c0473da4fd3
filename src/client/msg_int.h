/* The message object behind include/rocketmq/message.h, and what the
 * producer does with messages: validation (CLIENT/Validators.java), the
 * properties string (protocol.md 6.2), unique ids (6.8), compression (6.5)
 * and the batch encoding (6.6). */
#ifndef RMQ_CLIENT_MSG_INT_H
#define RMQ_CLIENT_MSG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "rocketmq/message.h"

/* The MessageExt fields of a received message (client/msg_decode.h). */
typedef struct rmq_msg_ext rmq_msg_ext_t;

typedef struct rmq_msg_prop {
    char *name;
    char *value;
} rmq_msg_prop_t;

struct rocketmq_message {
    char *topic;      /* NULL until set */
    uint8_t *body;    /* NULL when empty */
    size_t body_len;
    int32_t flag;
    rmq_msg_prop_t *props; /* in the order first set */
    size_t nprops, cap;
    rmq_msg_ext_t *ext; /* received messages only; NULL for one built locally */
};

/* Appends the properties string: name 0x01 value 0x02 for each property,
 * without the final 0x02 (as 4.9.8 writes it). */
void rmq_msg_encode_props(const rocketmq_message_t *m, rmq_buf_t *out);

/* ---- validation (Validators.checkTopic / checkGroup / checkMessage) ----
 * Each returns 0, or the error Java gives with its message in err:
 * ROCKETMQ_ERR_MESSAGE_ILLEGAL for a message (body) problem, and the code
 * 4.9.8 uses for topic and group problems. */
int rmq_validate_topic(const char *topic, char *err, size_t errlen);
int rmq_validate_group(const char *group, char *err, size_t errlen);
/* Topics producers may not send to (TopicValidator.isNotAllowedSendTopic). */
bool rmq_topic_send_forbidden(const char *topic);
/* checkMessage: topic, forbidden topics, body present, non-empty and at most
 * max_size bytes. */
int rmq_validate_message(const rocketmq_message_t *m, int max_size, char *err, size_t errlen);

/* ---- unique ids (MessageClientIDSetter) ---- */

/* Writes a new id (uppercase hex, NUL-terminated: 32 characters with an
 * IPv4 client address, 56 with IPv6).  Thread-safe; ids of one process never
 * repeat within 65536 calls per millisecond. */
void rmq_uniq_id_next(char out[ROCKETMQ_MSG_ID_MAX + 1]);
/* Sets UNIQ_KEY on m unless it has one.  Returns 0 or _NO_MEMORY. */
int rmq_msg_set_uniq_id_if_absent(rocketmq_message_t *m);

/* ---- compression ---- */

/* zlib stream (RFC 1950) of len bytes at level (0-9).  Returns 0 and a
 * malloc'ed *out, or ROCKETMQ_ERR__FAIL (the caller then sends uncompressed). */
int rmq_compress_zlib(const void *p, size_t len, int level, uint8_t **out, size_t *outlen);
/* Inflates a zlib stream into at most max_out bytes.  Returns 0 and a
 * malloc'ed *out, or ROCKETMQ_ERR__PROTOCOL. */
int rmq_decompress_zlib(const void *p, size_t len, size_t max_out, uint8_t **out, size_t *outlen);

/* ---- batches (MessageBatch.generateFromList + encode) ---- */

/* Checks the batch rules (n > 0, each message valid, one topic, the same
 * WAIT value, no DELAY, no %RETRY% topic), sets each message's UNIQ_KEY if
 * absent and appends the batch body to out.  Returns 0, or an error with its
 * message in err (nothing appended). */
int rmq_msg_batch_encode(rocketmq_message_t **msgs, size_t n, int max_size, rmq_buf_t *out,
                         char *err, size_t errlen);

#endif
