/* Request codes (RequestCode.java, 4.9.8; protocol.md 3.1).  Response codes
 * are rocketmq_err_t's non-negative values (include/rocketmq/error.h). */
#ifndef RMQ_PROTOCOL_CODES_H
#define RMQ_PROTOCOL_CODES_H

#define RMQ_REQUEST_CODE_MAP(XX)                                                                   \
    XX(SEND_MESSAGE, 10)                                                                           \
    XX(PULL_MESSAGE, 11)                                                                           \
    XX(QUERY_MESSAGE, 12)                                                                          \
    XX(QUERY_CONSUMER_OFFSET, 14)                                                                  \
    XX(UPDATE_CONSUMER_OFFSET, 15)                                                                 \
    XX(UPDATE_AND_CREATE_TOPIC, 17)                                                                \
    XX(GET_ALL_TOPIC_CONFIG, 21)                                                                   \
    XX(UPDATE_BROKER_CONFIG, 25)                                                                   \
    XX(GET_BROKER_CONFIG, 26)                                                                      \
    XX(GET_BROKER_RUNTIME_INFO, 28)                                                                \
    XX(SEARCH_OFFSET_BY_TIMESTAMP, 29)                                                             \
    XX(GET_MAX_OFFSET, 30)                                                                         \
    XX(GET_MIN_OFFSET, 31)                                                                         \
    XX(GET_EARLIEST_MSG_STORETIME, 32)                                                             \
    XX(VIEW_MESSAGE_BY_ID, 33)                                                                     \
    XX(HEART_BEAT, 34)                                                                             \
    XX(UNREGISTER_CLIENT, 35)                                                                      \
    XX(CONSUMER_SEND_MSG_BACK, 36)                                                                 \
    XX(END_TRANSACTION, 37)                                                                        \
    XX(GET_CONSUMER_LIST_BY_GROUP, 38)                                                             \
    XX(CHECK_TRANSACTION_STATE, 39)                                                                \
    XX(NOTIFY_CONSUMER_IDS_CHANGED, 40)                                                            \
    XX(LOCK_BATCH_MQ, 41)                                                                          \
    XX(UNLOCK_BATCH_MQ, 42)                                                                        \
    XX(GET_ALL_CONSUMER_OFFSET, 43)                                                                \
    XX(GET_ALL_DELAY_OFFSET, 45)                                                                   \
    XX(CHECK_CLIENT_CONFIG, 46)                                                                    \
    XX(PUT_KV_CONFIG, 100)                                                                         \
    XX(GET_KV_CONFIG, 101)                                                                         \
    XX(DELETE_KV_CONFIG, 102)                                                                      \
    XX(REGISTER_BROKER, 103)                                                                       \
    XX(UNREGISTER_BROKER, 104)                                                                     \
    XX(GET_ROUTEINFO_BY_TOPIC, 105)                                                                \
    XX(GET_BROKER_CLUSTER_INFO, 106)                                                               \
    XX(UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, 200)                                                   \
    XX(GET_ALL_SUBSCRIPTIONGROUP_CONFIG, 201)                                                      \
    XX(GET_TOPIC_STATS_INFO, 202)                                                                  \
    XX(GET_CONSUMER_CONNECTION_LIST, 203)                                                          \
    XX(GET_PRODUCER_CONNECTION_LIST, 204)                                                          \
    XX(WIPE_WRITE_PERM_OF_BROKER, 205)                                                             \
    XX(GET_ALL_TOPIC_LIST_FROM_NAMESERVER, 206)                                                    \
    XX(DELETE_SUBSCRIPTIONGROUP, 207)                                                              \
    XX(GET_CONSUME_STATS, 208)                                                                     \
    XX(DELETE_TOPIC_IN_BROKER, 215)                                                                \
    XX(DELETE_TOPIC_IN_NAMESRV, 216)                                                               \
    XX(GET_KVLIST_BY_NAMESPACE, 219)                                                               \
    XX(RESET_CONSUMER_CLIENT_OFFSET, 220)                                                          \
    XX(GET_CONSUMER_STATUS_FROM_CLIENT, 221)                                                       \
    XX(INVOKE_BROKER_TO_RESET_OFFSET, 222)                                                         \
    XX(INVOKE_BROKER_TO_GET_CONSUMER_STATUS, 223)                                                  \
    XX(GET_TOPICS_BY_CLUSTER, 224)                                                                 \
    XX(QUERY_TOPIC_CONSUME_BY_WHO, 300)                                                            \
    XX(QUERY_CONSUME_TIME_SPAN, 303)                                                               \
    XX(GET_SYSTEM_TOPIC_LIST_FROM_NS, 304)                                                         \
    XX(GET_SYSTEM_TOPIC_LIST_FROM_BROKER, 305)                                                     \
    XX(CLEAN_EXPIRED_CONSUMEQUEUE, 306)                                                            \
    XX(GET_CONSUMER_RUNNING_INFO, 307)                                                             \
    XX(QUERY_CORRECTION_OFFSET, 308)                                                               \
    XX(CONSUME_MESSAGE_DIRECTLY, 309)                                                              \
    XX(SEND_MESSAGE_V2, 310)                                                                       \
    XX(GET_UNIT_TOPIC_LIST, 311)                                                                   \
    XX(GET_HAS_UNIT_SUB_TOPIC_LIST, 312)                                                           \
    XX(GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST, 313)                                                    \
    XX(CLONE_GROUP_OFFSET, 314)                                                                    \
    XX(VIEW_BROKER_STATS_DATA, 315)                                                                \
    XX(CLEAN_UNUSED_TOPIC, 316)                                                                    \
    XX(GET_BROKER_CONSUME_STATS, 317)                                                              \
    XX(UPDATE_NAMESRV_CONFIG, 318)                                                                 \
    XX(GET_NAMESRV_CONFIG, 319)                                                                    \
    XX(SEND_BATCH_MESSAGE, 320)                                                                    \
    XX(QUERY_CONSUME_QUEUE, 321)                                                                   \
    XX(QUERY_DATA_VERSION, 322)                                                                    \
    XX(RESUME_CHECK_HALF_MESSAGE, 323)                                                             \
    XX(SEND_REPLY_MESSAGE, 324)                                                                    \
    XX(SEND_REPLY_MESSAGE_V2, 325)                                                                 \
    XX(PUSH_REPLY_MESSAGE_TO_CLIENT, 326)                                                          \
    XX(ADD_WRITE_PERM_OF_BROKER, 327)                                                              \
    XX(GET_ALL_PRODUCER_INFO, 328)                                                                 \
    XX(DELETE_EXPIRED_COMMITLOG, 329)

enum rmq_request_code {
#define RMQ_REQ_ENUM_(name, value) RMQ_REQ_##name = (value),
    RMQ_REQUEST_CODE_MAP(RMQ_REQ_ENUM_)
#undef RMQ_REQ_ENUM_
};

/* "GET_ROUTEINFO_BY_TOPIC", or NULL for a code not in the table. */
const char *rmq_request_code_name(int code);

#endif
