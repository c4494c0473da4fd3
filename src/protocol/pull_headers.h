/* Headers of the consumer requests: PULL_MESSAGE (11), the consumer offsets
 * (14, 15) and the offset / time lookups (29-32) (4.9.8
 * common/.../protocol/header/ classes; protocol.md 4.2, 4.3, 4.11). */
#ifndef RMQ_PROTOCOL_PULL_HEADERS_H
#define RMQ_PROTOCOL_PULL_HEADERS_H

#include "protocol/header.h"

/* PullSysFlag bits. */
#define RMQ_PULL_FLAG_COMMIT_OFFSET 0x1
#define RMQ_PULL_FLAG_SUSPEND 0x2
#define RMQ_PULL_FLAG_SUBSCRIPTION 0x4
#define RMQ_PULL_FLAG_CLASS_FILTER 0x8
#define RMQ_PULL_FLAG_LITE_PULL 0x10

typedef struct rmq_pull_req {
    const char *consumerGroup;
    const char *topic;
    int32_t queueId;
    int64_t queueOffset;
    int32_t maxMsgNums;
    int32_t sysFlag;
    int64_t commitOffset;
    int64_t suspendTimeoutMillis;
    const char *subscription;   /* only meaningful with RMQ_PULL_FLAG_SUBSCRIPTION */
    int64_t subVersion;
    const char *expressionType; /* "TAG" when NULL */
} rmq_pull_req_t;

typedef struct rmq_pull_resp {
    int64_t suggestWhichBrokerId;
    int64_t nextBeginOffset;
    int64_t minOffset;
    int64_t maxOffset;
} rmq_pull_resp_t;

/* QueryConsumerOffsetRequestHeader. */
typedef struct rmq_query_consumer_offset_req {
    const char *consumerGroup;
    const char *topic;
    int32_t queueId;
} rmq_query_consumer_offset_req_t;

/* UpdateConsumerOffsetRequestHeader. */
typedef struct rmq_update_consumer_offset_req {
    const char *consumerGroup;
    const char *topic;
    int32_t queueId;
    int64_t commitOffset;
} rmq_update_consumer_offset_req_t;

/* GetMaxOffset / GetMinOffset / GetEarliestMsgStoretime request headers. */
typedef struct rmq_queue_req {
    const char *topic;
    int32_t queueId;
} rmq_queue_req_t;

/* SearchOffsetRequestHeader. */
typedef struct rmq_search_offset_req {
    const char *topic;
    int32_t queueId;
    int64_t timestamp;
} rmq_search_offset_req_t;

/* QueryConsumerOffset / GetMaxOffset / GetMinOffset / SearchOffset response headers. */
typedef struct rmq_offset_resp {
    int64_t offset;
} rmq_offset_resp_t;

/* GetEarliestMsgStoretimeResponseHeader. */
typedef struct rmq_store_time_resp {
    int64_t timestamp;
} rmq_store_time_resp_t;

extern const rmq_header_desc_t rmq_pull_req_desc;
extern const rmq_header_desc_t rmq_pull_resp_desc;
extern const rmq_header_desc_t rmq_query_consumer_offset_req_desc;
extern const rmq_header_desc_t rmq_query_consumer_offset_resp_desc;
extern const rmq_header_desc_t rmq_update_consumer_offset_req_desc;
extern const rmq_header_desc_t rmq_get_max_offset_req_desc;
extern const rmq_header_desc_t rmq_get_max_offset_resp_desc;
extern const rmq_header_desc_t rmq_get_min_offset_req_desc;
extern const rmq_header_desc_t rmq_get_min_offset_resp_desc;
extern const rmq_header_desc_t rmq_get_earliest_msg_storetime_req_desc;
extern const rmq_header_desc_t rmq_get_earliest_msg_storetime_resp_desc;
extern const rmq_header_desc_t rmq_search_offset_req_desc;
extern const rmq_header_desc_t rmq_search_offset_resp_desc;

#endif
