/* librocketmq's admin calls (MQAdminImpl / DefaultMQAdminExt, what mqadmin
 * is built on): requests to the name servers (with the client's failover)
 * and to brokers, and the lookups every admin command starts with.  Used
 * by the rmq tool. */
#ifndef RMQ_CLIENT_ADMIN_H
#define RMQ_CLIENT_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "client/instance.h"
#include "protocol/bodies.h"
#include "remoting/command.h"

typedef struct rmq_admin rmq_admin_t;

/* An admin client on its own client instance ("<ip>@rmq-admin-<pid>").
 * namesrv: "host:port;host:port", NULL for NAMESRV_ADDR.  timeout_ms for
 * every request.  NULL with err set when there is no name server address or
 * the instance cannot start. */
rmq_admin_t *rmq_admin_new(const char *namesrv, int timeout_ms, char *err, size_t errlen);
void rmq_admin_free(rmq_admin_t *a);
rmq_instance_t *rmq_admin_instance(rmq_admin_t *a);
int rmq_admin_timeout(const rmq_admin_t *a);

/* One request (consumed) to the name servers / to a broker address.
 * 0 with *resp (the caller frees it; its code may be an error the caller
 * interprets), or a transport error (ROCKETMQ_ERR__TRANSPORT, _TIMEOUT)
 * with a message in err. */
int rmq_admin_namesrv(rmq_admin_t *a, rmq_cmd_t *req, rmq_cmd_t **resp, char *err, size_t errlen);
int rmq_admin_broker(rmq_admin_t *a, const char *addr, rmq_cmd_t *req, rmq_cmd_t **resp, char *err,
                     size_t errlen);
/* The same, and a response code other than 0 is turned into an error
 * ("CODE: 17 DESC: ..." in err). */
int rmq_admin_namesrv_ok(rmq_admin_t *a, rmq_cmd_t *req, rmq_cmd_t **resp, char *err,
                         size_t errlen);
int rmq_admin_broker_ok(rmq_admin_t *a, const char *addr, rmq_cmd_t *req, rmq_cmd_t **resp,
                        char *err, size_t errlen);

/* GET_BROKER_CLUSTER_INFO. */
int rmq_admin_cluster_info(rmq_admin_t *a, rmq_cluster_info_t *out, char *err, size_t errlen);
/* GET_ROUTEINFO_BY_TOPIC (ROCKETMQ_ERR_TOPIC_NOT_EXIST for an unknown topic). */
int rmq_admin_topic_route(rmq_admin_t *a, const char *topic, rmq_topic_route_t *out, char *err,
                          size_t errlen);
/* The master addresses of a cluster's brokers (every cluster's with NULL),
 * sorted; *addrs malloc'ed (free each and the array). */
int rmq_admin_master_addrs(rmq_admin_t *a, const char *cluster, char ***addrs, size_t *n,
                           char *err, size_t errlen);
/* The master address of a broker by name. */
int rmq_admin_broker_addr(rmq_admin_t *a, const char *broker_name, char *out, size_t n, char *err,
                          size_t errlen);

#endif
