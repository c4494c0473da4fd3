#include "protocol/send_headers.h"

#include "protocol/codes.h"

#define S RMQ_HF_STR
#define I32 RMQ_HF_I32
#define I64 RMQ_HF_I64
#define B RMQ_HF_BOOL

/* V2 keys are not the struct's field names, so RMQ_HF cannot name them. */
#define V2(key, field, type, req)                                                                  \
    {key, type, offsetof(rmq_send_req_t, field), req, RMQ_HF_NO_PRESENCE, sizeof(key) - 1}
#define V2_OPT(key, field, type)                                                                   \
    {key, type, offsetof(rmq_send_req_t, field), false, offsetof(rmq_send_req_t, has_##field),     \
     sizeof(key) - 1}

static const rmq_header_field_t send_req_v1[] = {
    RMQ_HF(rmq_send_req_t, producerGroup, S, true),
    RMQ_HF(rmq_send_req_t, topic, S, true),
    RMQ_HF(rmq_send_req_t, defaultTopic, S, true),
    RMQ_HF(rmq_send_req_t, defaultTopicQueueNums, I32, true),
    RMQ_HF(rmq_send_req_t, queueId, I32, true),
    RMQ_HF(rmq_send_req_t, sysFlag, I32, true),
    RMQ_HF(rmq_send_req_t, bornTimestamp, I64, true),
    RMQ_HF(rmq_send_req_t, flag, I32, true),
    RMQ_HF(rmq_send_req_t, properties, S, false),
    RMQ_HF_OPT(rmq_send_req_t, reconsumeTimes, I32),
    RMQ_HF(rmq_send_req_t, unitMode, B, false),
    RMQ_HF_OPT(rmq_send_req_t, maxReconsumeTimes, I32),
    RMQ_HF(rmq_send_req_t, batch, B, false),
    RMQ_HF(rmq_send_req_t, bname, S, false),
};
const rmq_header_desc_t rmq_send_req_v1_desc =
    RMQ_HEADER_DESC("SendMessageRequestHeader", send_req_v1);

static const rmq_header_field_t send_req_v2[] = {
    V2("a", producerGroup, S, true),
    V2("b", topic, S, true),
    V2("c", defaultTopic, S, true),
    V2("d", defaultTopicQueueNums, I32, true),
    V2("e", queueId, I32, true),
    V2("f", sysFlag, I32, true),
    V2("g", bornTimestamp, I64, true),
    V2("h", flag, I32, true),
    V2("i", properties, S, false),
    V2_OPT("j", reconsumeTimes, I32),
    V2("k", unitMode, B, false),
    V2_OPT("l", maxReconsumeTimes, I32),
    V2("m", batch, B, false),
    V2("n", bname, S, false),
};
const rmq_header_desc_t rmq_send_req_v2_desc =
    RMQ_HEADER_DESC("SendMessageRequestHeaderV2", send_req_v2);

static const rmq_header_field_t send_resp[] = {
    RMQ_HF(rmq_send_resp_t, msgId, S, true),
    RMQ_HF(rmq_send_resp_t, queueId, I32, true),
    RMQ_HF(rmq_send_resp_t, queueOffset, I64, true),
    RMQ_HF(rmq_send_resp_t, transactionId, S, false),
};
const rmq_header_desc_t rmq_send_resp_desc =
    RMQ_HEADER_DESC("SendMessageResponseHeader", send_resp);

static const rmq_header_field_t send_back_req[] = {
    RMQ_HF(rmq_send_back_req_t, offset, I64, true),
    RMQ_HF(rmq_send_back_req_t, group, S, true),
    RMQ_HF(rmq_send_back_req_t, delayLevel, I32, true),
    RMQ_HF(rmq_send_back_req_t, originMsgId, S, false),
    RMQ_HF(rmq_send_back_req_t, originTopic, S, false),
    RMQ_HF(rmq_send_back_req_t, unitMode, B, false),
    RMQ_HF_OPT(rmq_send_back_req_t, maxReconsumeTimes, I32),
    RMQ_HF(rmq_send_back_req_t, bname, S, false),
};
const rmq_header_desc_t rmq_send_back_req_desc =
    RMQ_HEADER_DESC("ConsumerSendMsgBackRequestHeader", send_back_req);

const rmq_header_desc_t *rmq_send_req_desc_for(const rmq_cmd_t *req)
{
    switch (req->code) {
    case RMQ_REQ_SEND_MESSAGE_V2:
    case RMQ_REQ_SEND_BATCH_MESSAGE:
    case RMQ_REQ_SEND_REPLY_MESSAGE_V2:
        return &rmq_send_req_v2_desc;
    case RMQ_REQ_SEND_MESSAGE:
    case RMQ_REQ_SEND_REPLY_MESSAGE:
        return &rmq_send_req_v1_desc;
    default:
        return rmq_ext_get(&req->ext, "b") ? &rmq_send_req_v2_desc : &rmq_send_req_v1_desc;
    }
}

int rmq_send_req_decode(const rmq_cmd_t *req, rmq_send_req_t *out, char *err, size_t errlen)
{
    return rmq_header_decode(rmq_send_req_desc_for(req), &req->ext, out, err, errlen);
}
