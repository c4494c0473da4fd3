/* The consumers of librocketmq: Apache RocketMQ's DefaultMQPushConsumer
 * (push: listeners called with the messages of assigned queues) and
 * DefaultLitePullConsumer (pull: the application polls), in C.
 *
 * Both share the client instance of their client id with producers (one
 * connection pool, one route table, heartbeats), rebalance the queues of
 * their subscriptions among the group's consumers (CLUSTERING) or take them
 * all (BROADCASTING), and keep consume offsets at the broker (CLUSTERING)
 * or in a local file (BROADCASTING).
 *
 * Received messages are rocketmq_message_t objects with the fields the
 * broker stored (queue, offsets, timestamps, hosts, reconsume times): see
 * the rocketmq_message_get_* calls below.  Functions returning int return 0
 * or a rocketmq_err_t, with rocketmq_last_error_detail() telling why. */
#ifndef ROCKETMQ_CONSUMER_H
#define ROCKETMQ_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rocketmq/error.h"
#include "rocketmq/message.h"
#include "rocketmq/producer.h" /* rocketmq_service_state_t, rocketmq_last_error_detail */

#ifdef __cplusplus
extern "C" {
#endif

/* MessageModel (Java ordinals). */
typedef enum rocketmq_message_model {
    ROCKETMQ_BROADCASTING = 0,
    ROCKETMQ_CLUSTERING = 1,
} rocketmq_message_model_t;

/* ConsumeFromWhere (Java ordinals): where a queue without a committed
 * offset starts. */
typedef enum rocketmq_consume_from_where {
    ROCKETMQ_CONSUME_FROM_LAST_OFFSET = 0,
    ROCKETMQ_CONSUME_FROM_FIRST_OFFSET = 4,
    ROCKETMQ_CONSUME_FROM_TIMESTAMP = 5,
} rocketmq_consume_from_where_t;

/* AllocateMessageQueueStrategy. */
typedef enum rocketmq_allocate_strategy {
    ROCKETMQ_ALLOCATE_AVERAGELY = 0,           /* AVG, the default */
    ROCKETMQ_ALLOCATE_AVERAGELY_BY_CIRCLE = 1, /* AVG_BY_CIRCLE */
    ROCKETMQ_ALLOCATE_CONSISTENT_HASH = 2,     /* CONSISTENT_HASH, 10 virtual nodes */
    ROCKETMQ_ALLOCATE_BY_CONFIG = 3,           /* CONFIG: rocketmq_push_consumer_set_allocate_config */
} rocketmq_allocate_strategy_t;

/* ---- received messages (MessageExt) ----
 * On a message the application built these return 0 / NULL. */

ROCKETMQ_EXPORT int rocketmq_message_get_queue_id(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT int64_t rocketmq_message_get_queue_offset(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT int64_t rocketmq_message_get_commit_log_offset(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT int64_t rocketmq_message_get_born_timestamp(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT int64_t rocketmq_message_get_store_timestamp(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT int rocketmq_message_get_reconsume_times(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT int32_t rocketmq_message_get_sys_flag(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT int32_t rocketmq_message_get_body_crc(const rocketmq_message_t *msg);
/* "ip:port" of the producer and of the broker that stored it ("[ip]:port"
 * for IPv6). */
ROCKETMQ_EXPORT const char *rocketmq_message_get_born_host(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT const char *rocketmq_message_get_store_host(const rocketmq_message_t *msg);
/* The offset message id (store host + commit-log offset). */
ROCKETMQ_EXPORT const char *rocketmq_message_get_offset_msg_id(const rocketmq_message_t *msg);
ROCKETMQ_EXPORT const char *rocketmq_message_get_broker_name(const rocketmq_message_t *msg);
/* Frees what rocketmq_lite_pull_consumer_poll and rocketmq_pull returned. */
ROCKETMQ_EXPORT void rocketmq_messages_free(rocketmq_message_t **msgs, size_t n);

/* ---- push consumer ---- */

typedef struct rocketmq_push_consumer rocketmq_push_consumer_t;

/* ConsumeStatus of a concurrent listener. */
typedef enum rocketmq_consume_status {
    ROCKETMQ_CONSUME_SUCCESS = 0,
    ROCKETMQ_RECONSUME_LATER = 1,
} rocketmq_consume_status_t;

/* ConsumeOrderlyStatus. */
typedef enum rocketmq_consume_orderly_status {
    ROCKETMQ_ORDERLY_SUCCESS = 0,
    ROCKETMQ_SUSPEND_CURRENT_QUEUE_A_MOMENT = 1,
} rocketmq_consume_orderly_status_t;

/* ConsumeConcurrentlyContext. */
typedef struct rocketmq_consume_context {
    const rocketmq_message_queue_t *queue;
    /* 0: the broker picks (3 + reconsume times); -1: straight to the DLQ */
    int delay_level_when_next_consume;
    /* with SUCCESS: messages after this index are reconsumed (default all ok) */
    int ack_index;
} rocketmq_consume_context_t;

/* ConsumeOrderlyContext. */
typedef struct rocketmq_consume_orderly_context {
    const rocketmq_message_queue_t *queue;
    bool auto_commit;         /* default true */
    int64_t suspend_millis;   /* -1: suspendCurrentQueueTimeMillis */
} rocketmq_consume_orderly_context_t;

/* MessageListenerConcurrently: up to consumeMessageBatchMaxSize messages of
 * one queue, on one of the consume threads.  The messages belong to the
 * consumer; they are valid until the listener returns. */
typedef rocketmq_consume_status_t (*rocketmq_listener_concurrently)(
    rocketmq_message_t *const *msgs, size_t n, rocketmq_consume_context_t *ctx, void *arg);
/* MessageListenerOrderly: one thread per queue at a time, in queue order. */
typedef rocketmq_consume_orderly_status_t (*rocketmq_listener_orderly)(
    rocketmq_message_t *const *msgs, size_t n, rocketmq_consume_orderly_context_t *ctx, void *arg);

ROCKETMQ_EXPORT rocketmq_push_consumer_t *rocketmq_push_consumer_new(const char *group);
/* Shuts down if running, then frees. */
ROCKETMQ_EXPORT void rocketmq_push_consumer_destroy(rocketmq_push_consumer_t *c);
/* Needs a listener and at least one subscription. */
ROCKETMQ_EXPORT int rocketmq_push_consumer_start(rocketmq_push_consumer_t *c);
/* Stops pulling, waits for the listeners running, commits the offsets to
 * the broker (or the local file), unregisters, releases the instance. */
ROCKETMQ_EXPORT int rocketmq_push_consumer_shutdown(rocketmq_push_consumer_t *c);
ROCKETMQ_EXPORT rocketmq_service_state_t rocketmq_push_consumer_state(
    const rocketmq_push_consumer_t *c);
ROCKETMQ_EXPORT const char *rocketmq_push_consumer_client_id(const rocketmq_push_consumer_t *c);

/* "*" (or NULL/"") for everything, or "TagA || TagB". */
ROCKETMQ_EXPORT int rocketmq_push_consumer_subscribe(rocketmq_push_consumer_t *c, const char *topic,
                                                     const char *expression);
ROCKETMQ_EXPORT int rocketmq_push_consumer_unsubscribe(rocketmq_push_consumer_t *c,
                                                       const char *topic);
ROCKETMQ_EXPORT int rocketmq_push_consumer_register_listener(rocketmq_push_consumer_t *c,
                                                             rocketmq_listener_concurrently fn,
                                                             void *arg);
ROCKETMQ_EXPORT int rocketmq_push_consumer_register_orderly_listener(rocketmq_push_consumer_t *c,
                                                                     rocketmq_listener_orderly fn,
                                                                     void *arg);

/* Configuration (before start); names and defaults of DefaultMQPushConsumer. */
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_namesrv_addr(rocketmq_push_consumer_t *c,
                                                            const char *addrs);
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_instance_name(rocketmq_push_consumer_t *c,
                                                             const char *name);
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_client_ip(rocketmq_push_consumer_t *c,
                                                         const char *ip);
/* CLUSTERING (default) or BROADCASTING. */
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_message_model(rocketmq_push_consumer_t *c,
                                                             rocketmq_message_model_t model);
/* Default CONSUME_FROM_LAST_OFFSET. */
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_consume_from_where(
    rocketmq_push_consumer_t *c, rocketmq_consume_from_where_t where);
/* consumeTimestamp "yyyyMMddHHmmss" (default: half an hour before start). */
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_consume_timestamp(rocketmq_push_consumer_t *c,
                                                                 const char *yyyymmddhhmmss);
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_allocate_strategy(
    rocketmq_push_consumer_t *c, rocketmq_allocate_strategy_t strategy);
/* The fixed queues of ROCKETMQ_ALLOCATE_BY_CONFIG (copied). */
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_allocate_config(rocketmq_push_consumer_t *c,
                                                               const rocketmq_message_queue_t *mqs,
                                                               size_t n);
/* consumeThreadMin / consumeThreadMax: 20 / 20. */
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_consume_thread_count(rocketmq_push_consumer_t *c,
                                                                    int threads);
/* consumeMessageBatchMaxSize: 1. */
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_consume_message_batch_max_size(
    rocketmq_push_consumer_t *c, int n);
/* pullBatchSize: 32. */
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_pull_batch_size(rocketmq_push_consumer_t *c, int n);
/* pullInterval: 0 ms. */
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_pull_interval(rocketmq_push_consumer_t *c, int ms);
/* pullThresholdForQueue 1000 messages, pullThresholdSizeForQueue 100 MiB,
 * consumeConcurrentlyMaxSpan 2000. */
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_pull_threshold_for_queue(rocketmq_push_consumer_t *c,
                                                                        int messages);
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_pull_threshold_size_for_queue(
    rocketmq_push_consumer_t *c, int mib);
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_consume_concurrently_max_span(
    rocketmq_push_consumer_t *c, int span);
/* maxReconsumeTimes: -1 = 16 (concurrent); for orderly, unlimited local retries. */
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_max_reconsume_times(rocketmq_push_consumer_t *c,
                                                                   int times);
/* suspendCurrentQueueTimeMillis: 1000. */
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_suspend_current_queue_time_millis(
    rocketmq_push_consumer_t *c, int ms);
/* persistConsumerOffsetInterval 5000, pollNameServerInterval 30000,
 * heartbeatBrokerInterval 30000 (shared by the instance), rebalance every
 * 20000 ms. */
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_persist_consumer_offset_interval(
    rocketmq_push_consumer_t *c, int ms);
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_poll_name_server_interval(rocketmq_push_consumer_t *c,
                                                                         int ms);
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_heartbeat_broker_interval(rocketmq_push_consumer_t *c,
                                                                         int ms);
ROCKETMQ_EXPORT int rocketmq_push_consumer_set_rebalance_interval(rocketmq_push_consumer_t *c,
                                                                  int ms);

/* ---- lite pull consumer ---- */

typedef struct rocketmq_lite_pull_consumer rocketmq_lite_pull_consumer_t;

ROCKETMQ_EXPORT rocketmq_lite_pull_consumer_t *rocketmq_lite_pull_consumer_new(const char *group);
ROCKETMQ_EXPORT void rocketmq_lite_pull_consumer_destroy(rocketmq_lite_pull_consumer_t *c);
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_start(rocketmq_lite_pull_consumer_t *c);
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_shutdown(rocketmq_lite_pull_consumer_t *c);
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_set_namesrv_addr(rocketmq_lite_pull_consumer_t *c,
                                                                 const char *addrs);
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_set_instance_name(rocketmq_lite_pull_consumer_t *c,
                                                                  const char *name);
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_set_message_model(
    rocketmq_lite_pull_consumer_t *c, rocketmq_message_model_t model);
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_set_consume_from_where(
    rocketmq_lite_pull_consumer_t *c, rocketmq_consume_from_where_t where);
/* autoCommit: true (offsets of polled messages committed every
 * autoCommitIntervalMillis, 5000). */
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_set_auto_commit(rocketmq_lite_pull_consumer_t *c,
                                                                bool on);
/* pullBatchSize: 10. */
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_set_pull_batch_size(rocketmq_lite_pull_consumer_t *c,
                                                                    int n);
/* subscribe (rebalanced among the group) or assign (fixed queues): one or
 * the other. */
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_subscribe(rocketmq_lite_pull_consumer_t *c,
                                                          const char *topic,
                                                          const char *expression);
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_assign(rocketmq_lite_pull_consumer_t *c,
                                                       const rocketmq_message_queue_t *mqs,
                                                       size_t n);
/* Up to pullBatchSize messages, waiting up to timeout_ms; *msgs is NULL and
 * *n 0 when none came.  Free with rocketmq_messages_free. */
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_poll(rocketmq_lite_pull_consumer_t *c,
                                                     int timeout_ms, rocketmq_message_t ***msgs,
                                                     size_t *n);
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_seek(rocketmq_lite_pull_consumer_t *c,
                                                     const rocketmq_message_queue_t *mq,
                                                     int64_t offset);
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_seek_to_begin(rocketmq_lite_pull_consumer_t *c,
                                                              const rocketmq_message_queue_t *mq);
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_seek_to_end(rocketmq_lite_pull_consumer_t *c,
                                                            const rocketmq_message_queue_t *mq);
/* Commits the offsets of everything polled so far (commitSync). */
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_commit(rocketmq_lite_pull_consumer_t *c);
/* The committed offset of mq at the broker (-1: none). */
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_committed(rocketmq_lite_pull_consumer_t *c,
                                                          const rocketmq_message_queue_t *mq,
                                                          int64_t *offset);
/* The readable queues of topic (fetchMessageQueues). */
ROCKETMQ_EXPORT int rocketmq_lite_pull_consumer_fetch_queues(rocketmq_lite_pull_consumer_t *c,
                                                             const char *topic,
                                                             rocketmq_message_queue_t *mqs,
                                                             size_t cap, size_t *n);

/* ---- lower-level calls (DefaultMQPullConsumer) on a started lite pull
 * consumer ---- */

/* PullStatus. */
typedef enum rocketmq_pull_status {
    ROCKETMQ_PULL_FOUND = 0,
    ROCKETMQ_PULL_NO_NEW_MSG = 1,
    ROCKETMQ_PULL_NO_MATCHED_MSG = 2,
    ROCKETMQ_PULL_OFFSET_ILLEGAL = 3,
} rocketmq_pull_status_t;

typedef struct rocketmq_pull_result {
    rocketmq_pull_status_t status;
    int64_t next_begin_offset;
    int64_t min_offset;
    int64_t max_offset;
    rocketmq_message_t **msgs; /* free with rocketmq_messages_free */
    size_t n;
} rocketmq_pull_result_t;

/* One pull of up to max_nums messages of mq from offset, filtered by
 * expression, without suspending at the broker. */
ROCKETMQ_EXPORT int rocketmq_pull(rocketmq_lite_pull_consumer_t *c, const rocketmq_message_queue_t *mq,
                                  const char *expression, int64_t offset, int max_nums,
                                  rocketmq_pull_result_t *result);
ROCKETMQ_EXPORT int rocketmq_min_offset(rocketmq_lite_pull_consumer_t *c,
                                        const rocketmq_message_queue_t *mq, int64_t *offset);
ROCKETMQ_EXPORT int rocketmq_max_offset(rocketmq_lite_pull_consumer_t *c,
                                        const rocketmq_message_queue_t *mq, int64_t *offset);
/* searchOffset: the queue offset of the first message stored at or after
 * timestamp (ms). */
ROCKETMQ_EXPORT int rocketmq_search_offset(rocketmq_lite_pull_consumer_t *c,
                                           const rocketmq_message_queue_t *mq, int64_t timestamp,
                                           int64_t *offset);

#ifdef __cplusplus
}
#endif

#endif
