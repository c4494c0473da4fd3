/* The name server's route tables (Apache RocketMQ 4.9.8 RouteInfoManager;
 * protocol.md section 7):
 *   topic   -> broker name -> QueueData
 *   broker name -> BrokerData {cluster, brokerId -> address}
 *   cluster -> set of broker names
 *   broker address -> liveness {last update, data version, connection, HA address}
 *   broker address -> filter servers
 * Owned by the name server's loop thread; nothing here locks. */
#ifndef RMQ_NAMESRV_ROUTE_TABLE_H
#define RMQ_NAMESRV_ROUTE_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol/bodies.h"

typedef struct rmq_route_table rmq_route_table_t;

typedef struct rmq_broker_reg {
    const char *cluster;
    const char *broker_name;
    const char *broker_addr;
    const char *ha_server_addr;
    int64_t broker_id;
    uint64_t conn_id;   /* connection it registered over (0: none) */
    int64_t timeout_ms; /* liveness timeout for this broker */
} rmq_broker_reg_t;

/* Filled for slaves: the master's address and HA address (malloc'ed or NULL). */
typedef struct rmq_register_result {
    char *master_addr;
    char *ha_server_addr;
} rmq_register_result_t;

rmq_route_table_t *rmq_route_table_new(void);
void rmq_route_table_free(rmq_route_table_t *rt);
/* Counts every change to the routes, so encoded answers can be cached. */
uint64_t rmq_route_table_version(const rmq_route_table_t *rt);

void rmq_route_table_register(rmq_route_table_t *rt, const rmq_broker_reg_t *reg,
                              const rmq_register_broker_body_t *body, int64_t now_ms,
                              rmq_register_result_t *res);
void rmq_register_result_free(rmq_register_result_t *res);
void rmq_route_table_unregister(rmq_route_table_t *rt, const char *cluster, const char *addr,
                                const char *broker_name, int64_t broker_id);
/* Removes the brokers that registered over a connection that closed. */
void rmq_route_table_conn_closed(rmq_route_table_t *rt, uint64_t conn_id);
/* Removes brokers not heard from within their timeout and calls on_expired
 * (if set) with the connection each had registered over, so the caller can
 * close it as Apache RocketMQ does.  Returns how many were removed. */
int rmq_route_table_scan_expired(rmq_route_table_t *rt, int64_t now_ms,
                                 void (*on_expired)(uint64_t conn_id, void *arg), void *arg);

/* QUERY_DATA_VERSION: *changed unless the recorded version equals dv, in which
 * case the broker's liveness is refreshed.  recorded gets the recorded version
 * when there is one (returns true then). */
bool rmq_route_table_query_data_version(rmq_route_table_t *rt, const char *addr,
                                        const rmq_data_version_t *dv, int64_t now_ms,
                                        bool *changed, rmq_data_version_t *recorded);

/* 0 and a filled route, or ROCKETMQ_ERR_TOPIC_NOT_EXIST. */
int rmq_route_table_get_route(const rmq_route_table_t *rt, const char *topic,
                              rmq_topic_route_t *out);
void rmq_route_table_cluster_info(const rmq_route_table_t *rt, rmq_cluster_info_t *out);
void rmq_route_table_all_topics(const rmq_route_table_t *rt, rmq_topic_list_t *out);
void rmq_route_table_topics_by_cluster(const rmq_route_table_t *rt, const char *cluster,
                                       rmq_topic_list_t *out);
/* Cluster and broker names (topics too), brokerAddr = some broker's address. */
void rmq_route_table_system_topics(const rmq_route_table_t *rt, rmq_topic_list_t *out);

typedef enum rmq_unit_filter {
    RMQ_UNIT_TOPICS,              /* GET_UNIT_TOPIC_LIST: FLAG_UNIT */
    RMQ_HAS_UNIT_SUB_TOPICS,      /* GET_HAS_UNIT_SUB_TOPIC_LIST: FLAG_UNIT_SUB */
    RMQ_HAS_UNIT_SUB_UNUNIT_TOPICS, /* FLAG_UNIT_SUB without FLAG_UNIT */
} rmq_unit_filter_t;
void rmq_route_table_unit_topics(const rmq_route_table_t *rt, rmq_unit_filter_t f,
                                 rmq_topic_list_t *out);

/* Clears (wipe) or restores (add) write permission on every topic of a broker
 * name; returns the number of topics touched. */
int rmq_route_table_wipe_write_perm(rmq_route_table_t *rt, const char *broker_name);
int rmq_route_table_add_write_perm(rmq_route_table_t *rt, const char *broker_name);
/* Deletes a topic; with cluster set, only its queue data on that cluster's brokers. */
void rmq_route_table_delete_topic(rmq_route_table_t *rt, const char *topic, const char *cluster);

#endif
