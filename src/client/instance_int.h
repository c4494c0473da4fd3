/* Inside the client instance: its state, shared by instance.c, namesrv.c,
 * routes.c and heartbeat.c. */
#ifndef RMQ_CLIENT_INSTANCE_INT_H
#define RMQ_CLIENT_INSTANCE_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "base/map.h"
#include "client/instance.h"

/* The group every instance registers for itself (consumer send-back
 * fallbacks); it appears in every heartbeat. */
#define RMQ_CLIENT_INNER_PRODUCER_GROUP "CLIENT_INNER_PRODUCER"

struct rmq_instance {
    char client_id[256];
    char client_ip[64];
    rmq_instance_cfg_t cfg;
    int refs; /* manager lock */

    pthread_mutex_t lock;
    int state; /* rocketmq_service_state_t; lock */
    rmq_rclient_t *rc;
    rmq_executor_t *ex;

    /* name servers (lock) */
    char **ns;
    size_t nns;
    size_t ns_next;  /* round-robin position */
    int ns_chosen;   /* index in ns, -1: none */

    /* tables (lock) */
    rmq_map_t *publish;   /* topic -> rmq_publish_info_t * (a reference) */
    rmq_map_t *routes;    /* topic -> rmq_topic_route_t * (last seen) */
    rmq_map_t *brokers;   /* broker name -> rmq_broker_data_t * */
    rmq_map_t *producers; /* group -> (void *)1 */
    rmq_map_t *consumers; /* group -> rmq_consumer_iface_t * (a copy) */
    rmq_map_t *sub_topics; /* topic -> (intptr_t) count */
    rmq_delayq_t *delayq;

    /* rebalance thread (RebalanceService) */
    pthread_t rebalance;
    bool rebalance_started;
    bool rebalance_wake; /* lock */
    pthread_cond_t rebalance_cond;
    int rebalance_interval_ms;
    /* consumers being called by the instance's threads: unregister waits */
    int consumer_calls; /* lock */
    pthread_cond_t consumer_idle;

    /* one route update at a time (Java's lockNamesrv) */
    pthread_mutex_t route_lock;

    /* scheduler thread */
    pthread_t sched;
    bool sched_started;
    pthread_cond_t sched_cond; /* with lock */
    bool stopping;             /* lock */
};

/* consumers.c */
void rmq_instance_persist_offsets(rmq_instance_t *inst);
void *rmq_instance_rebalance_main(void *arg);
/* The consumers' heartbeat entries (malloc'ed array; free each with
 * rmq_consumer_data_free semantics). */
size_t rmq_instance_consumer_heartbeats(rmq_instance_t *inst, rmq_consumer_data_t **out);
/* heartbeat.c: UNREGISTER_CLIENT for a producer or a consumer group to every
 * broker address. */
void rmq_instance_unregister_group(rmq_instance_t *inst, const char *producer_group,
                                   const char *consumer_group);

void rmq_instance_ns_init(rmq_instance_t *inst);
void rmq_instance_ns_free(rmq_instance_t *inst);
void rmq_instance_routes_free(rmq_instance_t *inst);

#endif
