/* The body of SEND_BATCH_MESSAGE (protocol.md 6.6): DefaultMQProducer.batch
 * = MessageBatch.generateFromList, then Validators.checkMessage and a
 * UNIQ_KEY for each message, then MessageDecoder.encodeMessages.
 *
 * Error codes: Java wraps every failure of batch() in
 * MQClientException("Failed to initiate the MessageBatch", cause), whose
 * code is -1 (ROCKETMQ_ERR__INVALID_ARG), even when the cause was a
 * MESSAGE_ILLEGAL check of one message.  The size of the whole batch is
 * checked later, by checkMessage on the batch itself, so that one is
 * ROCKETMQ_ERR_MESSAGE_ILLEGAL with checkMessage's text. */
#include <string.h>

#include "base/errmsg.h"
#include "client/msg_int.h"

#define RETRY_GROUP_TOPIC_PREFIX "%RETRY%"
/* The properties length is a Java short in the record. */
#define PROPS_MAX 32767
/* TOTALSIZE + MAGICCODE + BODYCRC + FLAG + BODYLEN + PROPLEN. */
#define RECORD_FIXED 22

static int batch_fail(char *err, size_t errlen, const char *why)
{
    rmq_set_err(err, errlen, "Failed to initiate the MessageBatch: %s", why);
    return ROCKETMQ_ERR__INVALID_ARG;
}

static bool same_topic(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* generateFromList: the batch as a whole must be sendable as one message
 * to one queue, with one WAIT value (the broker gives every inner message
 * the batch's properties) and no per-message scheduling. */
static const char *batch_rule_broken(rocketmq_message_t **msgs, size_t n)
{
    if (!msgs || n == 0)
        return "the batch has no messages";
    const rocketmq_message_t *first = msgs[0];
    for (size_t i = 0; i < n; i++) {
        const rocketmq_message_t *m = msgs[i];
        if (!m)
            return "the message is null";
        if (rocketmq_message_get_delay_time_level(m) > 0)
            return "TimeDelayLevel is not supported for batching";
        if (m->topic && strncmp(m->topic, RETRY_GROUP_TOPIC_PREFIX,
                                strlen(RETRY_GROUP_TOPIC_PREFIX)) == 0)
            return "Retry Group is not supported for batching";
        if (!same_topic(first->topic, m->topic))
            return "The topic of the messages in one batch should be the same";
        if (rocketmq_message_get_wait_store_msg_ok(first) !=
            rocketmq_message_get_wait_store_msg_ok(m))
            return "The waitStoreMsgOK of the messages in one batch should the same";
    }
    return NULL;
}

/* MessageDecoder.encodeMessage: flag, body and properties; the broker
 * fills in the rest.  props is scratch space reused across messages. */
static int encode_one(const rocketmq_message_t *m, rmq_buf_t *props, rmq_buf_t *out, char *why,
                      size_t whylen)
{
    props->len = 0;
    rmq_msg_encode_props(m, props);
    if (props->len > PROPS_MAX) {
        rmq_set_err(why, whylen,
                    "Properties size of message exceeded, properties size: %zu, maxSize: %d.",
                    props->len, PROPS_MAX);
        return -1;
    }
    rmq_buf_append_be32(out, (uint32_t)(RECORD_FIXED + m->body_len + props->len));
    rmq_buf_append_be32(out, 0); /* MAGICCODE: the broker writes its own */
    rmq_buf_append_be32(out, 0); /* BODYCRC: the broker computes it */
    rmq_buf_append_be32(out, (uint32_t)m->flag);
    rmq_buf_append_be32(out, (uint32_t)m->body_len);
    rmq_buf_append(out, m->body, m->body_len);
    rmq_buf_append_be16(out, (uint16_t)props->len);
    rmq_buf_append(out, props->data, props->len);
    return 0;
}

int rmq_msg_batch_encode(rocketmq_message_t **msgs, size_t n, int max_size, rmq_buf_t *out,
                         char *err, size_t errlen)
{
    const char *broken = batch_rule_broken(msgs, n);
    if (broken)
        return batch_fail(err, errlen, broken);

    char why[512];
    /* As Java: validate and give an id one message at a time, so messages
     * before an invalid one keep the id they were given. */
    for (size_t i = 0; i < n; i++) {
        if (rmq_validate_message(msgs[i], max_size, why, sizeof(why)) != 0)
            return batch_fail(err, errlen, why);
        int rc = rmq_msg_set_uniq_id_if_absent(msgs[i]);
        if (rc != 0) {
            rmq_set_err(err, errlen, "out of memory setting UNIQ_KEY");
            return rc;
        }
    }

    size_t start = out->len;
    rmq_buf_t props = RMQ_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (encode_one(msgs[i], &props, out, why, sizeof(why)) != 0)
            rc = batch_fail(err, errlen, why);
    }
    rmq_buf_free(&props);
    if (rc == 0 && out->len - start > (size_t)max_size) {
        rmq_set_err(err, errlen, "the message body size over max value, MAX: %d", max_size);
        rc = ROCKETMQ_ERR_MESSAGE_ILLEGAL;
    }
    if (rc != 0)
        out->len = start; /* nothing appended on failure */
    return rc;
}
