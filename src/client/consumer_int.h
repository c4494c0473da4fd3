/* Inside the push consumer (DefaultMQPushConsumerImpl and its services;
 * protocol.md 9.7-9.10): configuration, subscriptions, the table of
 * assigned queues with their process queues, the offset store and the
 * consume services. */
#ifndef RMQ_CLIENT_CONSUMER_INT_H
#define RMQ_CLIENT_CONSUMER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "base/map.h"
#include "client/instance.h"
#include "client/process_queue.h"
#include "protocol/heartbeat.h"
#include "rocketmq/consumer.h"

#define RMQ_RETRY_GROUP_TOPIC_PREFIX "%RETRY%"
#define RMQ_DLQ_GROUP_TOPIC_PREFIX "%DLQ%"
#define RMQ_DEFAULT_CONSUMER_GROUP "DEFAULT_CONSUMER"
/* BROKER_SUSPEND_MAX_TIME_MILLIS and CONSUMER_TIMEOUT_MILLIS_WHEN_SUSPEND. */
#define RMQ_PULL_SUSPEND_MS 15000
#define RMQ_PULL_TIMEOUT_MS 30000
/* pullTimeDelayMillsWhenException (1000), PULL_TIME_DELAY_MILLS_WHEN_EXCEPTION
 * (3000: an orderly queue not locked yet), flow control (50), FLOW_CONTROL
 * answers (20), and how long a queue whose offset moved waits before it is
 * dropped (10 s). */
#define RMQ_PULL_DELAY_EXCEPTION_MS 1000
#define RMQ_PULL_DELAY_NOT_LOCKED_MS 3000
#define RMQ_PULL_DELAY_FLOW_MS 50
#define RMQ_PULL_DELAY_BROKER_FLOW_MS 20
#define RMQ_OFFSET_MOVED_DROP_MS 10000

typedef struct rmq_offset_store rmq_offset_store_t;

/* A subscription (SubscriptionData). */
typedef struct rmq_sub {
    rmq_subscription_data_t data; /* topic, subString, tags, codes, subVersion */
} rmq_sub_t;

/* An assigned queue in the consumer's table. */
typedef struct rmq_owned {
    rocketmq_message_queue_t mq;
    rmq_process_queue_t *pq; /* a reference */
} rmq_owned_t;

/* The PullRequest cycling through the pull service for one assigned queue;
 * it holds references to the consumer and the process queue, and ends when
 * the queue is dropped or the consumer stops. */
typedef struct rmq_pull_request {
    rocketmq_push_consumer_t *c; /* a reference */
    rocketmq_message_queue_t mq;
    rmq_process_queue_t *pq; /* a reference */
    int64_t next_offset;
    int64_t suggest_broker_id;
    bool locked_first; /* orderly: the first pull after locking re-reads the offset */
} rmq_pull_request_t;

struct rocketmq_push_consumer {
    char *group;
    rmq_instance_cfg_t icfg;
    char instance_name[128];
    rocketmq_message_model_t model;
    rocketmq_consume_from_where_t from_where;
    char consume_timestamp[16];
    rocketmq_allocate_strategy_t strategy;
    rocketmq_message_queue_t *alloc_config;
    size_t nalloc_config;
    int consume_threads;
    int batch_max;
    int pull_batch;
    int pull_interval_ms;
    rmq_flow_limits_t limits;
    int max_reconsume_times;
    int suspend_ms;

    rocketmq_listener_concurrently listener;
    rocketmq_listener_orderly orderly_listener;
    void *listener_arg;

    pthread_mutex_t lock;      /* subscriptions, table, state changes */
    atomic_int state;          /* rocketmq_service_state_t */
    rmq_sub_t *subs;           /* lock */
    size_t nsubs;
    rmq_map_t *table;          /* "topic\1broker\1qid" -> rmq_owned_t * (lock) */

    rmq_instance_t *inst;
    rmq_offset_store_t *offsets;
    rmq_executor_t *consume_pool;

    /* Work using the instance or the offsets runs between rmq_consumer_enter
     * and rmq_consumer_leave; shutdown waits until none is left, and later
     * work sees the consumer stopped and only releases what it holds. */
    int inflight;              /* lock */
    pthread_cond_t idle;
    /* the application's handle, pull requests and consume tasks */
    atomic_int refs;
};

/* ---- push_consumer.c ---- */

/* true (and counted) while the consumer runs; false once it stops. */
bool rmq_consumer_enter(rocketmq_push_consumer_t *c);
void rmq_consumer_leave(rocketmq_push_consumer_t *c);
void rmq_consumer_ref(rocketmq_push_consumer_t *c);
void rmq_consumer_unref(rocketmq_push_consumer_t *c);
/* A copy of topic's subscription (the caller frees it), false if none. */
bool rmq_consumer_sub(rocketmq_push_consumer_t *c, const char *topic, rmq_subscription_data_t *out);
/* FilterAPI.buildSubscriptionData: "*" / "" / NULL, or "A || B". */
void rmq_build_subscription(const char *topic, const char *expr, rmq_subscription_data_t *out);
/* The table key of mq. */
void rmq_mq_key(const rocketmq_message_queue_t *mq, char *out, size_t n);

/* ---- offset_store.c ---- */

/* ReadOffsetType */
#define RMQ_READ_FROM_MEMORY 0
#define RMQ_READ_FROM_STORE 1
#define RMQ_MEMORY_FIRST_THEN_STORE 2

/* RemoteBrokerOffsetStore (clustering) or LocalFileOffsetStore
 * (broadcasting: <dir>/<clientId>/<group>/offsets.json). */
rmq_offset_store_t *rmq_offset_store_new(rmq_instance_t *inst, const char *group, bool remote,
                                         const char *local_dir);
void rmq_offset_store_free(rmq_offset_store_t *os);
/* load(): the local file's offsets (broadcasting). */
void rmq_offset_store_load(rmq_offset_store_t *os);
void rmq_offset_store_update(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq,
                             int64_t offset, bool increase_only);
/* readOffset: >= 0 the offset; -1 none stored; -2 could not ask. */
int64_t rmq_offset_store_read(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq,
                              int type);
/* persistAll for the queues owned now (others are forgotten). */
void rmq_offset_store_persist_all(rmq_offset_store_t *os, const rocketmq_message_queue_t *mqs,
                                  size_t n);
void rmq_offset_store_persist(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq);
void rmq_offset_store_remove(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq);
/* updateConsumeOffsetToBroker: one UPDATE_CONSUMER_OFFSET, one-way or not. */
int rmq_offset_store_to_broker(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq,
                               int64_t offset, bool oneway);

/* ---- broker calls shared by the consumers (consumer_api.c) ---- */

int rmq_consumer_max_offset(rmq_instance_t *inst, const rocketmq_message_queue_t *mq,
                            int64_t *out);
int rmq_consumer_min_offset(rmq_instance_t *inst, const rocketmq_message_queue_t *mq,
                            int64_t *out);
int rmq_consumer_search_offset(rmq_instance_t *inst, const rocketmq_message_queue_t *mq,
                               int64_t timestamp, int64_t *out);
/* GET_CONSUMER_LIST_BY_GROUP from a broker of topic: sorted client ids. */
int rmq_consumer_id_list(rmq_instance_t *inst, const char *topic, const char *group, char ***ids,
                         size_t *n);
/* LOCK_BATCH_MQ for mqs (one broker): the locked ones (malloc'ed). */
int rmq_consumer_lock_batch(rmq_instance_t *inst, const char *group, const char *broker,
                            const rocketmq_message_queue_t *mqs, size_t n,
                            rocketmq_message_queue_t **locked, size_t *nlocked);
void rmq_consumer_unlock_batch(rmq_instance_t *inst, const char *group, const char *broker,
                               const rocketmq_message_queue_t *mqs, size_t n, bool oneway);

/* ---- rebalance.c ---- */

void rmq_consumer_rebalance(rocketmq_push_consumer_t *c);
/* Drops every assigned queue (shutdown). */
void rmq_consumer_drop_all(rocketmq_push_consumer_t *c);
/* The assigned queues now (malloc'ed). */
size_t rmq_consumer_owned(rocketmq_push_consumer_t *c, rocketmq_message_queue_t **mqs);

/* ---- pull.c ---- */

/* Queues a pull of pr after delay_ms (takes pr over). */
void rmq_pull_later(rmq_pull_request_t *pr, int64_t delay_ms);
void rmq_pull_request_free(rmq_pull_request_t *pr);

/* ---- consume.c ---- */

/* Hands messages just put in pq to the consume service (concurrent: the
 * messages in batches of consumeMessageBatchMaxSize; orderly: a task for the
 * queue when dispatch says none is running). */
void rmq_consume_submit(rocketmq_push_consumer_t *c, const rocketmq_message_queue_t *mq,
                        rmq_process_queue_t *pq, rocketmq_message_t **msgs, size_t n,
                        bool dispatch);
/* Orderly: LOCK_BATCH_MQ renewal for every owned queue (every 20 s). */
void rmq_consume_lock_all(rocketmq_push_consumer_t *c);

#endif
