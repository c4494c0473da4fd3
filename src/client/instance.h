/* The client instance (MQClientInstance, protocol.md 9.1-9.4): what every
 * producer and consumer with the same client id in a process shares.  One
 * remoting client (connection pool on one I/O thread), the callback threads,
 * the name-server list with its chosen server, the route tables (publish
 * info per topic, broker addresses) and a scheduler thread for the periodic
 * tasks: route refresh every pollNameServerInterval (first after 10 ms) and
 * heartbeats every heartbeatBrokerInterval (first after 1 s).
 *
 * Instances are reference counted in a process-wide table keyed by client
 * id (MQClientManager); the last release shuts the instance down.  Every
 * function is thread-safe. */
#ifndef RMQ_CLIENT_INSTANCE_H
#define RMQ_CLIENT_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "client/delay_queue.h"
#include "client/executor.h"
#include "protocol/heartbeat.h"
#include "client/publish_info.h"
#include "remoting/client.h"

typedef struct rmq_instance rmq_instance_t;

typedef struct rmq_instance_cfg {
    char namesrv[1024]; /* "host:port;host:port"; empty: NAMESRV_ADDR */
    char client_ip[64];
    int poll_ns_interval_ms;   /* pollNameServerInterval, 30000 */
    int heartbeat_interval_ms; /* heartbeatBrokerInterval, 30000 */
    int api_timeout_ms;        /* mqClientApiTimeout, 3000 */
    int persist_interval_ms;   /* persistConsumerOffsetInterval, 5000 */
    int rebalance_interval_ms; /* rocketmq.client.rebalance.waitInterval, 20000 */
} rmq_instance_cfg_t;

void rmq_instance_cfg_defaults(rmq_instance_cfg_t *cfg);

/* getOrCreateMQClientInstance: the instance of client_id, created (not
 * started) with cfg if there is none; one more reference either way. */
rmq_instance_t *rmq_instance_acquire(const char *client_id, const rmq_instance_cfg_t *cfg);
/* Drops a reference; the last one stops the scheduler, the callback threads
 * (after running what is queued) and the connections, then frees it. */
void rmq_instance_release(rmq_instance_t *inst);
/* Starts the remoting client, callback threads and scheduler the first
 * time; later calls return 0.  ROCKETMQ_ERR__STATE after a failed start. */
int rmq_instance_start(rmq_instance_t *inst);

const char *rmq_instance_client_id(const rmq_instance_t *inst);
const char *rmq_instance_client_ip(const rmq_instance_t *inst);
rmq_rclient_t *rmq_instance_rclient(rmq_instance_t *inst);
rmq_executor_t *rmq_instance_executor(rmq_instance_t *inst);
/* The instance's delayed tasks (pull requests put off, retries). */
rmq_delayq_t *rmq_instance_delayq(rmq_instance_t *inst);
int rmq_instance_api_timeout(const rmq_instance_t *inst);

/* registerProducer: ROCKETMQ_ERR__INVALID_ARG if group is registered
 * already ("The producer group[...] has been created before"). */
int rmq_instance_register_producer(rmq_instance_t *inst, const char *group);
/* unregisterProducer: forgets group and sends UNREGISTER_CLIENT for it to
 * every known broker address. */
void rmq_instance_unregister_producer(rmq_instance_t *inst, const char *group);

/* ---- consumers (consumers.c) ---- */

/* What the instance asks of a registered consumer (MQConsumerInner). The
 * functions run on the instance's threads (scheduler, rebalance). */
typedef struct rmq_consumer_iface {
    void *self;
    /* its heartbeat entry (the instance frees it with rmq_consumer_data_free
     * semantics: every string malloc'ed) */
    void (*heartbeat)(void *self, rmq_consumer_data_t *out);
    /* doRebalance */
    void (*rebalance)(void *self);
    /* persistConsumerOffset */
    void (*persist)(void *self);
    /* true for CLUSTERING consumers (BROADCASTING ones heartbeat too) */
    bool clustering;
} rmq_consumer_iface_t;

/* registerConsumer: ROCKETMQ_ERR__INVALID_ARG if group is registered. */
int rmq_instance_register_consumer(rmq_instance_t *inst, const char *group,
                                   const rmq_consumer_iface_t *iface);
/* Forgets group, then UNREGISTER_CLIENT to every broker address.  After it
 * returns the instance calls none of its functions any more. */
void rmq_instance_unregister_consumer(rmq_instance_t *inst, const char *group);
/* Wakes the rebalance thread (NOTIFY_CONSUMER_IDS_CHANGED, consumer start). */
void rmq_instance_rebalance_now(rmq_instance_t *inst);
/* Keeps topic's route refreshed for subscriptions (counted: as many
 * removes as adds). */
void rmq_instance_add_sub_topic(rmq_instance_t *inst, const char *topic);
void rmq_instance_remove_sub_topic(rmq_instance_t *inst, const char *topic);
/* topicRouteData2TopicSubscribeInfo: the readable queues of topic from the
 * cached route (fetched once if there is none), sorted; a malloc'ed array or
 * NULL with *n 0. */
int rmq_instance_subscribe_queues(rmq_instance_t *inst, const char *topic,
                                  rocketmq_message_queue_t **mqs, size_t *n);
/* findBrokerAddressInSubscribe: the address of broker_id of broker_name,
 * else any address of it.  false when the broker is unknown. */
bool rmq_instance_subscribe_addr(rmq_instance_t *inst, const char *broker_name, int64_t broker_id,
                                 char *out, size_t n, bool *is_slave);
/* Any address of a broker hosting topic (for GET_CONSUMER_LIST_BY_GROUP). */
bool rmq_instance_any_broker_of_topic(rmq_instance_t *inst, const char *topic, char *out, size_t n);

/* ---- name servers (namesrv.c) ---- */

bool rmq_instance_has_namesrv(rmq_instance_t *inst);
/* A request to the chosen name server, moving on to the next one (round
 * robin from a random start) when a server cannot be reached; req is
 * consumed.  0 and *resp, or the last transport error. */
int rmq_instance_namesrv_call(rmq_instance_t *inst, rmq_cmd_t *req, int timeout_ms,
                              rmq_cmd_t **resp);

/* ---- routes (routes.c) ---- */

/* Puts topic into the publish table (without queues) so that the route
 * refresh keeps it up to date; TBW102 at producer start. */
void rmq_instance_add_publish_topic(rmq_instance_t *inst, const char *topic);
/* updateTopicRouteInfoFromNameServer(topic): fetches the route and, when it
 * changed, rebuilds the publish info and the broker table.  With
 * default_topic set, the route of that topic (TBW102) stands in for topic's,
 * its queue counts capped at default_queue_nums.  0, or the name server's
 * code (ROCKETMQ_ERR_TOPIC_NOT_EXIST) or a transport error. */
int rmq_instance_update_route(rmq_instance_t *inst, const char *topic, const char *default_topic,
                              int default_queue_nums);
/* tryToFindTopicPublishInfo: the cached publish info if it has queues;
 * otherwise the route from the name server; otherwise default_topic's
 * route.  Never NULL; a reference (rmq_publish_info_unref), with nmqs 0
 * when no route was found. */
rmq_publish_info_t *rmq_instance_find_publish_info(rmq_instance_t *inst, const char *topic,
                                                   const char *default_topic,
                                                   int default_queue_nums);
/* The cached publish info, without asking anybody (a reference or NULL). */
rmq_publish_info_t *rmq_instance_cached_publish_info(rmq_instance_t *inst, const char *topic);
/* findBrokerAddressInPublish: the master's address of broker_name.  Returns
 * false when the broker table has none. */
bool rmq_instance_master_addr(rmq_instance_t *inst, const char *broker_name, char *out, size_t n);
/* Every topic of the publish table, refreshed now (the periodic task). */
void rmq_instance_refresh_routes(rmq_instance_t *inst);

/* ---- heartbeats (heartbeat.c) ---- */

/* cleanOfflineBroker, then HEART_BEAT with every registered producer group
 * (and CLIENT_INNER_PRODUCER) to the master of every known broker. */
void rmq_instance_heartbeat_all(rmq_instance_t *inst);

#endif
