/* The MessageExt side of a message: what the broker stored with a received
 * message (queue, offsets, timestamps, hosts), read through the accessors
 * of include/rocketmq/consumer.h.  A message the application built has no
 * ext part and reads as zeros and NULLs. */
#include <stdlib.h>

#include "client/msg_decode.h"
#include "client/msg_int.h"

const rmq_msg_ext_t *rmq_msg_ext(const rocketmq_message_t *msg)
{
    return msg ? msg->ext : NULL;
}

rmq_msg_ext_t *rmq_msg_ext_mut(rocketmq_message_t *msg)
{
    if (!msg)
        return NULL;
    if (!msg->ext)
        msg->ext = calloc(1, sizeof(*msg->ext));
    return msg->ext;
}

int rocketmq_message_get_queue_id(const rocketmq_message_t *msg)
{
    const rmq_msg_ext_t *e = rmq_msg_ext(msg);
    return e ? e->queue_id : 0;
}

int64_t rocketmq_message_get_queue_offset(const rocketmq_message_t *msg)
{
    const rmq_msg_ext_t *e = rmq_msg_ext(msg);
    return e ? e->queue_offset : 0;
}

int64_t rocketmq_message_get_commit_log_offset(const rocketmq_message_t *msg)
{
    const rmq_msg_ext_t *e = rmq_msg_ext(msg);
    return e ? e->commit_log_offset : 0;
}

int64_t rocketmq_message_get_born_timestamp(const rocketmq_message_t *msg)
{
    const rmq_msg_ext_t *e = rmq_msg_ext(msg);
    return e ? e->born_timestamp : 0;
}

int64_t rocketmq_message_get_store_timestamp(const rocketmq_message_t *msg)
{
    const rmq_msg_ext_t *e = rmq_msg_ext(msg);
    return e ? e->store_timestamp : 0;
}

int rocketmq_message_get_reconsume_times(const rocketmq_message_t *msg)
{
    const rmq_msg_ext_t *e = rmq_msg_ext(msg);
    return e ? e->reconsume_times : 0;
}

int32_t rocketmq_message_get_sys_flag(const rocketmq_message_t *msg)
{
    const rmq_msg_ext_t *e = rmq_msg_ext(msg);
    return e ? e->sys_flag : 0;
}

int32_t rocketmq_message_get_body_crc(const rocketmq_message_t *msg)
{
    const rmq_msg_ext_t *e = rmq_msg_ext(msg);
    return e ? e->body_crc : 0;
}

const char *rocketmq_message_get_born_host(const rocketmq_message_t *msg)
{
    const rmq_msg_ext_t *e = rmq_msg_ext(msg);
    return e ? e->born_host : NULL;
}

const char *rocketmq_message_get_store_host(const rocketmq_message_t *msg)
{
    const rmq_msg_ext_t *e = rmq_msg_ext(msg);
    return e ? e->store_host : NULL;
}

const char *rocketmq_message_get_offset_msg_id(const rocketmq_message_t *msg)
{
    const rmq_msg_ext_t *e = rmq_msg_ext(msg);
    return e ? e->offset_msg_id : NULL;
}

const char *rocketmq_message_get_broker_name(const rocketmq_message_t *msg)
{
    const rmq_msg_ext_t *e = rmq_msg_ext(msg);
    return e ? e->broker_name : NULL;
}

void rocketmq_messages_free(rocketmq_message_t **msgs, size_t n)
{
    if (!msgs)
        return;
    for (size_t i = 0; i < n; i++)
        rocketmq_message_destroy(msgs[i]);
    free(msgs);
}
