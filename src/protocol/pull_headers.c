#include "protocol/pull_headers.h"

#define S RMQ_HF_STR
#define I32 RMQ_HF_I32
#define I64 RMQ_HF_I64

static const rmq_header_field_t pull_req[] = {
    RMQ_HF(rmq_pull_req_t, consumerGroup, S, true),
    RMQ_HF(rmq_pull_req_t, topic, S, true),
    RMQ_HF(rmq_pull_req_t, queueId, I32, true),
    RMQ_HF(rmq_pull_req_t, queueOffset, I64, true),
    RMQ_HF(rmq_pull_req_t, maxMsgNums, I32, true),
    RMQ_HF(rmq_pull_req_t, sysFlag, I32, true),
    RMQ_HF(rmq_pull_req_t, commitOffset, I64, true),
    RMQ_HF(rmq_pull_req_t, suspendTimeoutMillis, I64, true),
    RMQ_HF(rmq_pull_req_t, subscription, S, false),
    RMQ_HF(rmq_pull_req_t, subVersion, I64, true),
    RMQ_HF(rmq_pull_req_t, expressionType, S, false),
};
const rmq_header_desc_t rmq_pull_req_desc = RMQ_HEADER_DESC("PullMessageRequestHeader", pull_req);

/* All four are @CFNotNull and present on every answer that went through the
 * store read (protocol.md 4.2). */
static const rmq_header_field_t pull_resp[] = {
    RMQ_HF(rmq_pull_resp_t, suggestWhichBrokerId, I64, true),
    RMQ_HF(rmq_pull_resp_t, nextBeginOffset, I64, true),
    RMQ_HF(rmq_pull_resp_t, minOffset, I64, true),
    RMQ_HF(rmq_pull_resp_t, maxOffset, I64, true),
};
const rmq_header_desc_t rmq_pull_resp_desc =
    RMQ_HEADER_DESC("PullMessageResponseHeader", pull_resp);

static const rmq_header_field_t query_consumer_offset_req[] = {
    RMQ_HF(rmq_query_consumer_offset_req_t, consumerGroup, S, true),
    RMQ_HF(rmq_query_consumer_offset_req_t, topic, S, true),
    RMQ_HF(rmq_query_consumer_offset_req_t, queueId, I32, true),
};
const rmq_header_desc_t rmq_query_consumer_offset_req_desc =
    RMQ_HEADER_DESC("QueryConsumerOffsetRequestHeader", query_consumer_offset_req);

static const rmq_header_field_t update_consumer_offset_req[] = {
    RMQ_HF(rmq_update_consumer_offset_req_t, consumerGroup, S, true),
    RMQ_HF(rmq_update_consumer_offset_req_t, topic, S, true),
    RMQ_HF(rmq_update_consumer_offset_req_t, queueId, I32, true),
    RMQ_HF(rmq_update_consumer_offset_req_t, commitOffset, I64, true),
};
const rmq_header_desc_t rmq_update_consumer_offset_req_desc =
    RMQ_HEADER_DESC("UpdateConsumerOffsetRequestHeader", update_consumer_offset_req);

static const rmq_header_field_t queue_req[] = {
    RMQ_HF(rmq_queue_req_t, topic, S, true),
    RMQ_HF(rmq_queue_req_t, queueId, I32, true),
};
const rmq_header_desc_t rmq_get_max_offset_req_desc =
    RMQ_HEADER_DESC("GetMaxOffsetRequestHeader", queue_req);
const rmq_header_desc_t rmq_get_min_offset_req_desc =
    RMQ_HEADER_DESC("GetMinOffsetRequestHeader", queue_req);
const rmq_header_desc_t rmq_get_earliest_msg_storetime_req_desc =
    RMQ_HEADER_DESC("GetEarliestMsgStoretimeRequestHeader", queue_req);

static const rmq_header_field_t search_offset_req[] = {
    RMQ_HF(rmq_search_offset_req_t, topic, S, true),
    RMQ_HF(rmq_search_offset_req_t, queueId, I32, true),
    RMQ_HF(rmq_search_offset_req_t, timestamp, I64, true),
};
const rmq_header_desc_t rmq_search_offset_req_desc =
    RMQ_HEADER_DESC("SearchOffsetRequestHeader", search_offset_req);

static const rmq_header_field_t offset_resp[] = {
    RMQ_HF(rmq_offset_resp_t, offset, I64, true),
};
const rmq_header_desc_t rmq_query_consumer_offset_resp_desc =
    RMQ_HEADER_DESC("QueryConsumerOffsetResponseHeader", offset_resp);
const rmq_header_desc_t rmq_get_max_offset_resp_desc =
    RMQ_HEADER_DESC("GetMaxOffsetResponseHeader", offset_resp);
const rmq_header_desc_t rmq_get_min_offset_resp_desc =
    RMQ_HEADER_DESC("GetMinOffsetResponseHeader", offset_resp);
const rmq_header_desc_t rmq_search_offset_resp_desc =
    RMQ_HEADER_DESC("SearchOffsetResponseHeader", offset_resp);

static const rmq_header_field_t store_time_resp[] = {
    RMQ_HF(rmq_store_time_resp_t, timestamp, I64, true),
};
const rmq_header_desc_t rmq_get_earliest_msg_storetime_resp_desc =
    RMQ_HEADER_DESC("GetEarliestMsgStoretimeResponseHeader", store_time_resp);
