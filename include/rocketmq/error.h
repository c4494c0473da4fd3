/* rocketmq-c error codes.
 *
 * One list, ROCKETMQ_ERR_MAP, generates the enum, rocketmq_err_str() and
 * rocketmq_err_name().  Non-negative values are Apache RocketMQ's response codes
 * verbatim (RemotingSysResponseCode + ResponseCode, 4.9.8), so a code read off
 * the wire is already an error value; negative values are local to this
 * process and never travel on the wire. */
#ifndef ROCKETMQ_ERROR_H
#define ROCKETMQ_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ROCKETMQ_EXPORT
#define ROCKETMQ_EXPORT __attribute__((visibility("default")))
#endif

#define ROCKETMQ_ERR_MAP(XX)                                                                       \
    XX(SUCCESS, 0, "success")                                                                      \
    XX(SYSTEM_ERROR, 1, "system error")                                                            \
    XX(SYSTEM_BUSY, 2, "system busy")                                                              \
    XX(REQUEST_CODE_NOT_SUPPORTED, 3, "request code not supported")                                \
    XX(TRANSACTION_FAILED, 4, "transaction failed")                                                \
    XX(FLUSH_DISK_TIMEOUT, 10, "flush disk timeout")                                               \
    XX(SLAVE_NOT_AVAILABLE, 11, "slave not available")                                             \
    XX(FLUSH_SLAVE_TIMEOUT, 12, "flush slave timeout")                                             \
    XX(MESSAGE_ILLEGAL, 13, "message illegal")                                                     \
    XX(SERVICE_NOT_AVAILABLE, 14, "service not available")                                         \
    XX(VERSION_NOT_SUPPORTED, 15, "version not supported")                                         \
    XX(NO_PERMISSION, 16, "no permission")                                                         \
    XX(TOPIC_NOT_EXIST, 17, "topic not exist")                                                     \
    XX(TOPIC_EXIST_ALREADY, 18, "topic exist already")                                             \
    XX(PULL_NOT_FOUND, 19, "pull not found")                                                       \
    XX(PULL_RETRY_IMMEDIATELY, 20, "pull retry immediately")                                       \
    XX(PULL_OFFSET_MOVED, 21, "pull offset moved")                                                 \
    XX(QUERY_NOT_FOUND, 22, "query not found")                                                     \
    XX(SUBSCRIPTION_PARSE_FAILED, 23, "subscription parse failed")                                 \
    XX(SUBSCRIPTION_NOT_EXIST, 24, "subscription not exist")                                       \
    XX(SUBSCRIPTION_NOT_LATEST, 25, "subscription not latest")                                     \
    XX(SUBSCRIPTION_GROUP_NOT_EXIST, 26, "subscription group not exist")                           \
    XX(FILTER_DATA_NOT_EXIST, 27, "filter data not exist")                                         \
    XX(FILTER_DATA_NOT_LATEST, 28, "filter data not latest")                                       \
    XX(TRANSACTION_SHOULD_COMMIT, 200, "transaction should commit")                                \
    XX(TRANSACTION_SHOULD_ROLLBACK, 201, "transaction should rollback")                            \
    XX(TRANSACTION_STATE_UNKNOW, 202, "transaction state unknown")                                 \
    XX(TRANSACTION_STATE_GROUP_WRONG, 203, "transaction state group wrong")                        \
    XX(NO_BUYER_ID, 204, "no buyer id")                                                            \
    XX(NOT_IN_CURRENT_UNIT, 205, "not in current unit")                                            \
    XX(CONSUMER_NOT_ONLINE, 206, "consumer not online")                                            \
    XX(CONSUME_MSG_TIMEOUT, 207, "consume message timeout")                                        \
    XX(NO_MESSAGE, 208, "no message")                                                              \
    XX(UPDATE_AND_CREATE_ACL_CONFIG_FAILED, 209, "update and create acl config failed")            \
    XX(DELETE_ACL_CONFIG_FAILED, 210, "delete acl config failed")                                  \
    XX(UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED, 211, "update global white addrs config failed")    \
    XX(FLOW_CONTROL, 215, "flow control")                                                          \
    XX(_FAIL, -1, "Local: generic failure")                                                        \
    XX(_TIMEOUT, -2, "Local: timed out")                                                           \
    XX(_TRANSPORT, -3, "Local: connection failed or closed")                                       \
    XX(_NO_MEMORY, -4, "Local: out of memory")                                                     \
    XX(_INVALID_ARG, -5, "Local: invalid argument")                                                \
    XX(_NO_ROUTE, -6, "Local: no route")                                                           \
    XX(_PROTOCOL, -7, "Local: malformed protocol data")                                            \
    XX(_STATE, -8, "Local: invalid state")                                                         \
    XX(_IO, -9, "Local: I/O error")                                                                \
    XX(_NOT_FOUND, -10, "Local: not found")                                                        \
    XX(_SHUTDOWN, -11, "Local: shutting down")

typedef enum rocketmq_err {
#define ROCKETMQ_ERR_ENUM_(name, value, text) ROCKETMQ_ERR_##name = (value),
    ROCKETMQ_ERR_MAP(ROCKETMQ_ERR_ENUM_)
#undef ROCKETMQ_ERR_ENUM_
} rocketmq_err_t;

/* Human-readable text for err; "Err-<n>?" for an unknown value, never NULL. */
ROCKETMQ_EXPORT const char *rocketmq_err_str(int err);
/* The symbolic name ("TOPIC_NOT_EXIST", "_TIMEOUT"); "Err-<n>?" if unknown. */
ROCKETMQ_EXPORT const char *rocketmq_err_name(int err);

#ifdef __cplusplus
}
#endif

#endif
