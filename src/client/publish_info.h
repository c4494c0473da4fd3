/* TopicPublishInfo (protocol.md 9.4, 9.5): the write queues of a topic as a
 * producer picks from them, built from its route, and the queue selection
 * with and without the latency fault strategy.  Immutable once built and
 * shared by reference count, so senders on many threads read it without a
 * lock while the route refresh swaps in a new one. */
#ifndef RMQ_CLIENT_PUBLISH_INFO_H
#define RMQ_CLIENT_PUBLISH_INFO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "client/fault.h"
#include "protocol/bodies.h"
#include "rocketmq/message.h"

typedef struct rmq_publish_info {
    atomic_int refs;
    bool order_topic;
    rocketmq_message_queue_t *mqs; /* write queues, in selection order */
    size_t nmqs;
    rmq_topic_route_t route; /* a deep copy of the route it came from */
} rmq_publish_info_t;

/* topicRouteData2TopicPublishInfo: with orderTopicConf ("brokerA:4;brokerB:8")
 * those queues and order_topic; otherwise, queue datas sorted by broker name,
 * for each with PERM_WRITE whose broker has a master (id 0), queues
 * 0..writeQueueNums-1.  Broker names longer than ROCKETMQ_BROKER_NAME_MAX and
 * a topic longer than ROCKETMQ_TOPIC_MAX are skipped.  Reference count 1. */
rmq_publish_info_t *rmq_publish_info_new(const char *topic, const rmq_topic_route_t *route);
void rmq_publish_info_ref(rmq_publish_info_t *pi);
void rmq_publish_info_unref(rmq_publish_info_t *pi);
/* writeQueueNums of broker in the route if its queue data is writable
 * (getQueueIdByBroker), else -1. */
int rmq_publish_info_write_queue_nums(const rmq_publish_info_t *pi, const char *broker);

/* selectOneMessageQueue(lastBrokerName), without the fault strategy: round
 * robin by the thread's index; with last_broker, the first queue (up to
 * nmqs tries) of another broker, else any.  nmqs must be > 0. */
void rmq_select_queue(const rmq_publish_info_t *pi, const char *last_broker,
                      rocketmq_message_queue_t *out);
/* MQFaultStrategy.selectOneMessageQueue with sendLatencyFaultEnable: the
 * first available queue from the thread's index; else a queue of
 * pickOneAtLeast's broker (removed from the table if it has no write queues
 * in this route); else round robin.  The fallback's queue is a new one
 * (the chosen broker, id = index % writeQueueNums), never a list entry
 * changed.  last_broker is unused, as in 4.9.8 (the fault table is what
 * keeps retries off a failing broker); f NULL means rmq_select_queue. */
void rmq_select_queue_fault(const rmq_publish_info_t *pi, rmq_fault_t *f, const char *last_broker,
                            int64_t now_ms, rocketmq_message_queue_t *out);

#endif
