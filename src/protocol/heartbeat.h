/* Bodies and headers of the client-management and admin requests a broker
 * serves (4.9.8 common/.../protocol/{heartbeat,body,header}; protocol.md
 * 4.4-4.6, 4.9, 4.10, 4.12, 4.13, 5.5, 5.6; broker.md 10 and 15).
 *
 * Conventions as in bodies.h: writers produce what fastjson writes (sorted
 * bean properties, null properties omitted, enums by name); readers take
 * fastjson's output and the C++ client's (enums as ordinals, numbers as
 * strings, missing or null collections).  Every *_decode returns 0, or
 * ROCKETMQ_ERR__PROTOCOL with a message in err, and leaves its struct empty
 * on failure; *_free releases the contents, not the struct.
 *
 * Maps keyed by MessageQueue (TopicStatsTable, ConsumeStats) are written with
 * object keys, {{"brokerName":"b","queueId":0,"topic":"T"}:{...}}: not JSON,
 * but what fastjson writes and what Java admin tools parse. */
#ifndef RMQ_PROTOCOL_HEARTBEAT_H
#define RMQ_PROTOCOL_HEARTBEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/buf.h"
#include "protocol/header.h"

/* ---- enums (Java ordinals; names on the wire) ---- */

/* An enum property that was absent, null or named something unknown: not
 * written back. */
#define RMQ_ENUM_UNSET (-1)

/* ConsumeType */
#define RMQ_CONSUME_ACTIVELY 0  /* pull */
#define RMQ_CONSUME_PASSIVELY 1 /* push */
#define RMQ_CONSUME_POP 2       /* 5.x */
/* MessageModel */
#define RMQ_MODEL_BROADCASTING 0
#define RMQ_MODEL_CLUSTERING 1
/* ConsumeFromWhere */
#define RMQ_CFW_LAST_OFFSET 0
#define RMQ_CFW_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST 1
#define RMQ_CFW_MIN_OFFSET 2
#define RMQ_CFW_MAX_OFFSET 3
#define RMQ_CFW_FIRST_OFFSET 4
#define RMQ_CFW_TIMESTAMP 5

/* Java enum names ("CONSUME_PASSIVELY"), or NULL for an unknown value. */
const char *rmq_consume_type_name(int v);
const char *rmq_message_model_name(int v);
const char *rmq_consume_from_where_name(int v);

/* Appends v as Java's Double.toString writes it ("0.0", "12.5", "1.0E7"):
 * fastjson's form for double properties and the broker's ratio strings. */
void rmq_buf_append_java_double(rmq_buf_t *b, double v);

/* ---- HeartbeatData (HEART_BEAT body) ---- */

/* SubscriptionData.  Defaults: expressionType "TAG", classFilterMode false. */
typedef struct rmq_subscription_data {
    char *topic;
    char *sub_string;
    char **tags; /* tagsSet */
    size_t ntags;
    int32_t *codes; /* codeSet: Java hash codes of the tags */
    size_t ncodes;
    int64_t sub_version;
    char *expression_type; /* never NULL after decode */
    bool class_filter_mode;
} rmq_subscription_data_t;

void rmq_subscription_data_free(rmq_subscription_data_t *sd);
/* Deep copy; dst is overwritten, not freed first. */
void rmq_subscription_data_copy(rmq_subscription_data_t *dst, const rmq_subscription_data_t *src);
json_t *rmq_subscription_data_to_json(const rmq_subscription_data_t *sd);
int rmq_subscription_data_from_json(const json_t *j, rmq_subscription_data_t *sd, char *err,
                                    size_t errlen);

typedef struct rmq_consumer_data {
    char *group_name;
    int consume_type;       /* RMQ_CONSUME_* or RMQ_ENUM_UNSET */
    int message_model;      /* RMQ_MODEL_* or RMQ_ENUM_UNSET */
    int consume_from_where; /* RMQ_CFW_* or RMQ_ENUM_UNSET */
    bool unit_mode;
    rmq_subscription_data_t *subs; /* subscriptionDataSet */
    size_t nsubs;
} rmq_consumer_data_t;

/* Frees the contents, not the struct. */
void rmq_consumer_data_free(rmq_consumer_data_t *cd);

typedef struct rmq_heartbeat_data {
    char *client_id; /* "clientID" on the wire */
    rmq_consumer_data_t *consumers;
    size_t nconsumers;
    char **producer_groups; /* producerDataSet[].groupName */
    size_t nproducers;
} rmq_heartbeat_data_t;

void rmq_heartbeat_data_free(rmq_heartbeat_data_t *hb);
/* Java's shape (enums by name). */
void rmq_heartbeat_data_encode(const rmq_heartbeat_data_t *hb, rmq_buf_t *out);
/* Java's and the C++ client's shapes (protocol.md 5.5).  Consumer and
 * producer entries without a groupName are dropped (Java would fail on them
 * later). */
int rmq_heartbeat_data_decode(const void *p, size_t n, rmq_heartbeat_data_t *hb, char *err,
                              size_t errlen);

/* ---- GetConsumerListByGroupResponseBody: {"consumerIdList":[..]} ---- */

void rmq_consumer_id_list_encode(char *const *ids, size_t n, rmq_buf_t *out);
/* *ids gets *n malloc'ed strings (free each and the array). */
int rmq_consumer_id_list_decode(const void *p, size_t len, char ***ids, size_t *n, char *err,
                                size_t errlen);

/* ---- Connection, ConsumerConnection, ProducerConnection ---- */

typedef struct rmq_connection {
    char *client_id;
    char *client_addr;
    int language; /* rmq_language_t; written by name */
    int32_t version;
} rmq_connection_t;

typedef struct rmq_consumer_connection {
    rmq_connection_t *conns; /* connectionSet */
    size_t nconns;
    rmq_subscription_data_t *subs; /* subscriptionTable values, keyed by topic */
    size_t nsubs;
    int consume_type; /* RMQ_ENUM_UNSET: not written */
    int message_model;
    int consume_from_where;
} rmq_consumer_connection_t;

typedef struct rmq_producer_connection {
    rmq_connection_t *conns;
    size_t nconns;
} rmq_producer_connection_t;

void rmq_consumer_connection_free(rmq_consumer_connection_t *cc);
void rmq_consumer_connection_encode(const rmq_consumer_connection_t *cc, rmq_buf_t *out);
int rmq_consumer_connection_decode(const void *p, size_t n, rmq_consumer_connection_t *cc,
                                   char *err, size_t errlen);
void rmq_producer_connection_free(rmq_producer_connection_t *pc);
void rmq_producer_connection_encode(const rmq_producer_connection_t *pc, rmq_buf_t *out);
int rmq_producer_connection_decode(const void *p, size_t n, rmq_producer_connection_t *pc,
                                   char *err, size_t errlen);

/* ---- MessageQueue sets: LockBatchRequestBody / UnlockBatchRequestBody /
 *      LockBatchResponseBody ---- */

typedef struct rmq_message_queue {
    char *topic;
    char *broker_name;
    int32_t queue_id;
} rmq_message_queue_t;

/* Orders by topic, broker name, queue id (the order the encoders write). */
int rmq_message_queue_cmp(const rmq_message_queue_t *a, const rmq_message_queue_t *b);
json_t *rmq_message_queue_to_json(const rmq_message_queue_t *mq);
int rmq_message_queue_from_json(const json_t *j, rmq_message_queue_t *mq, char *err,
                                size_t errlen);
void rmq_message_queue_free(rmq_message_queue_t *mq);

typedef struct rmq_lock_batch_req {
    char *consumer_group;
    char *client_id;
    rmq_message_queue_t *mqs; /* mqSet */
    size_t nmqs;
} rmq_lock_batch_req_t;

void rmq_lock_batch_req_free(rmq_lock_batch_req_t *r);
void rmq_lock_batch_req_encode(const rmq_lock_batch_req_t *r, rmq_buf_t *out);
/* Duplicate queues in mqSet (a Java Set has none) are dropped. */
int rmq_lock_batch_req_decode(const void *p, size_t n, rmq_lock_batch_req_t *r, char *err,
                              size_t errlen);
/* {"lockOKMQSet":[..]} */
void rmq_lock_batch_resp_encode(const rmq_message_queue_t *mqs, size_t n, rmq_buf_t *out);
int rmq_lock_batch_resp_decode(const void *p, size_t len, rmq_message_queue_t **mqs, size_t *n,
                               char *err, size_t errlen);
void rmq_message_queues_free(rmq_message_queue_t *mqs, size_t n);

/* ---- TopicStatsTable and ConsumeStats (object keys) ---- */

typedef struct rmq_topic_offset {
    rmq_message_queue_t mq;
    int64_t min_offset;
    int64_t max_offset;
    int64_t last_update_timestamp;
} rmq_topic_offset_t;

typedef struct rmq_topic_stats {
    rmq_topic_offset_t *entries;
    size_t n;
} rmq_topic_stats_t;

void rmq_topic_stats_free(rmq_topic_stats_t *ts);
/* {"offsetTable":{MQ:{"lastUpdateTimestamp":..,"maxOffset":..,"minOffset":..}}},
 * entries in rmq_message_queue_cmp order. */
void rmq_topic_stats_encode(const rmq_topic_stats_t *ts, rmq_buf_t *out);
int rmq_topic_stats_decode(const void *p, size_t n, rmq_topic_stats_t *ts, char *err,
                           size_t errlen);

typedef struct rmq_offset_wrapper {
    rmq_message_queue_t mq;
    int64_t broker_offset;
    int64_t consumer_offset;
    int64_t last_timestamp;
} rmq_offset_wrapper_t;

typedef struct rmq_consume_stats {
    double consume_tps;
    rmq_offset_wrapper_t *entries;
    size_t n;
} rmq_consume_stats_t;

void rmq_consume_stats_free(rmq_consume_stats_t *cs);
/* {"consumeTps":0.0,"offsetTable":{MQ:{"brokerOffset":..,"consumerOffset":..,
 * "lastTimestamp":..}}}, entries in rmq_message_queue_cmp order. */
void rmq_consume_stats_encode(const rmq_consume_stats_t *cs, rmq_buf_t *out);
int rmq_consume_stats_decode(const void *p, size_t n, rmq_consume_stats_t *cs, char *err,
                             size_t errlen);

/* ---- headers ---- */

/* UnregisterClientRequestHeader: note the capital ID. */
typedef struct rmq_unregister_client_req {
    const char *clientID;
    const char *producerGroup;
    const char *consumerGroup;
} rmq_unregister_client_req_t;

/* GetConsumerListByGroupRequestHeader, NotifyConsumerIdsChangedRequestHeader,
 * GetConsumerConnectionListRequestHeader. */
typedef struct rmq_consumer_group_req {
    const char *consumerGroup;
} rmq_consumer_group_req_t;

typedef struct rmq_view_message_req {
    int64_t offset;
} rmq_view_message_req_t;

typedef struct rmq_query_message_req {
    const char *topic;
    const char *key;
    int32_t maxNum;
    int64_t beginTimestamp;
    int64_t endTimestamp;
} rmq_query_message_req_t;

typedef struct rmq_query_message_resp {
    int64_t indexLastUpdateTimestamp;
    int64_t indexLastUpdatePhyoffset;
} rmq_query_message_resp_t;

/* CreateTopicRequestHeader. */
typedef struct rmq_create_topic_req {
    const char *topic;
    const char *defaultTopic;
    int32_t readQueueNums;
    int32_t writeQueueNums;
    int32_t perm;
    const char *topicFilterType;
    int32_t topicSysFlag;
    bool has_topicSysFlag;
    bool order;
} rmq_create_topic_req_t;

/* DeleteTopicRequestHeader, GetTopicStatsInfoRequestHeader. */
typedef struct rmq_topic_req {
    const char *topic;
} rmq_topic_req_t;

typedef struct rmq_get_consume_stats_req {
    const char *consumerGroup;
    const char *topic; /* NULL: every topic the group committed offsets of */
} rmq_get_consume_stats_req_t;

typedef struct rmq_producer_group_req {
    const char *producerGroup;
} rmq_producer_group_req_t;

typedef struct rmq_delete_subgroup_req {
    const char *groupName;
    bool removeOffset;
} rmq_delete_subgroup_req_t;

/* GetBrokerConfigResponseHeader: the config's DataVersion as JSON text. */
typedef struct rmq_broker_config_resp {
    const char *version;
} rmq_broker_config_resp_t;

extern const rmq_header_desc_t rmq_unregister_client_req_desc;
extern const rmq_header_desc_t rmq_get_consumer_list_req_desc;
extern const rmq_header_desc_t rmq_notify_consumer_ids_changed_req_desc;
extern const rmq_header_desc_t rmq_view_message_req_desc;
extern const rmq_header_desc_t rmq_query_message_req_desc;
extern const rmq_header_desc_t rmq_query_message_resp_desc;
extern const rmq_header_desc_t rmq_create_topic_req_desc;
extern const rmq_header_desc_t rmq_delete_topic_req_desc;
extern const rmq_header_desc_t rmq_get_topic_stats_req_desc;
extern const rmq_header_desc_t rmq_get_consume_stats_req_desc;
extern const rmq_header_desc_t rmq_get_consumer_connection_req_desc;
extern const rmq_header_desc_t rmq_get_producer_connection_req_desc;
extern const rmq_header_desc_t rmq_delete_subgroup_req_desc;
extern const rmq_header_desc_t rmq_broker_config_resp_desc;

#endif
