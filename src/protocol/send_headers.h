/* Headers of the send requests (4.9.8 common/.../protocol/header/
 * SendMessageRequestHeader, SendMessageRequestHeaderV2,
 * SendMessageResponseHeader, ConsumerSendMsgBackRequestHeader; protocol.md
 * 4.1 and 4.7, broker.md 9.1).
 *
 * V1 (SEND_MESSAGE, SEND_REPLY_MESSAGE) uses the Java field names, V2
 * (SEND_MESSAGE_V2, SEND_BATCH_MESSAGE, SEND_REPLY_MESSAGE_V2) one letter
 * each; both decode into one struct, as the Java broker converts V2 to V1. */
#ifndef RMQ_PROTOCOL_SEND_HEADERS_H
#define RMQ_PROTOCOL_SEND_HEADERS_H

#include "protocol/header.h"
#include "remoting/command.h"

typedef struct rmq_send_req {
    const char *producerGroup;     /* a */
    const char *topic;             /* b */
    const char *defaultTopic;      /* c */
    int32_t defaultTopicQueueNums; /* d */
    int32_t queueId;               /* e: negative = the broker picks */
    int32_t sysFlag;               /* f */
    int64_t bornTimestamp;         /* g */
    int32_t flag;                  /* h */
    const char *properties;        /* i: NULL when absent */
    int32_t reconsumeTimes;        /* j */
    bool has_reconsumeTimes;
    bool unitMode;                 /* k */
    int32_t maxReconsumeTimes;     /* l */
    bool has_maxReconsumeTimes;
    bool batch;                    /* m: the body is a batch, whatever the code */
    const char *bname;             /* n */
} rmq_send_req_t;

typedef struct rmq_send_resp {
    const char *msgId; /* offset message id(s), comma-separated for a batch */
    int32_t queueId;
    int64_t queueOffset;
    const char *transactionId; /* NULL: not written (the 4.9 broker never sets it) */
} rmq_send_resp_t;

typedef struct rmq_send_back_req {
    int64_t offset; /* commit-log offset of the message that failed */
    const char *group;
    int32_t delayLevel; /* 0: the broker picks 3 + reconsumeTimes; < 0: straight to the DLQ */
    const char *originMsgId;
    const char *originTopic;
    bool unitMode;
    int32_t maxReconsumeTimes;
    bool has_maxReconsumeTimes;
    const char *bname;
} rmq_send_back_req_t;

extern const rmq_header_desc_t rmq_send_req_v1_desc;
extern const rmq_header_desc_t rmq_send_req_v2_desc;
extern const rmq_header_desc_t rmq_send_resp_desc;
extern const rmq_header_desc_t rmq_send_back_req_desc;

/* The descriptor for a send request: V2 for codes 310, 320 and 325, V1 for
 * 10 and 324; for any other code, V2 if the one-letter topic key "b" is
 * present. */
const rmq_header_desc_t *rmq_send_req_desc_for(const rmq_cmd_t *req);
/* Decodes req's header with that descriptor (see rmq_header_decode). */
int rmq_send_req_decode(const rmq_cmd_t *req, rmq_send_req_t *out, char *err, size_t errlen);

#endif
