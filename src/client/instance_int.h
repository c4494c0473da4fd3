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

    /* one route update at a time (Java's lockNamesrv) */
    pthread_mutex_t route_lock;

    /* scheduler thread */
    pthread_t sched;
    bool sched_started;
    pthread_cond_t sched_cond; /* with lock */
    bool stopping;             /* lock */
};

void rmq_instance_ns_init(rmq_instance_t *inst);
void rmq_instance_ns_free(rmq_instance_t *inst);
void rmq_instance_routes_free(rmq_instance_t *inst);

#endif
