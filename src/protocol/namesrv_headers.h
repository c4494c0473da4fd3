/* Headers of the name-server requests (4.9.8
 * common/.../protocol/header/namesrv/ classes; protocol.md 4.14). */
#ifndef RMQ_PROTOCOL_NAMESRV_HEADERS_H
#define RMQ_PROTOCOL_NAMESRV_HEADERS_H

#include "protocol/header.h"

typedef struct rmq_register_broker_req {
    const char *brokerName;
    const char *brokerAddr;
    const char *clusterName;
    const char *haServerAddr;
    int64_t brokerId;
    bool compressed;
    int32_t bodyCrc32;
    bool has_bodyCrc32;
    int64_t heartbeatTimeoutMillis; /* 5.x */
    bool has_heartbeatTimeoutMillis;
} rmq_register_broker_req_t;

typedef struct rmq_register_broker_resp {
    const char *haServerAddr;
    const char *masterAddr;
} rmq_register_broker_resp_t;

/* UnRegisterBrokerRequestHeader and QueryDataVersionRequestHeader share it. */
typedef struct rmq_broker_ident_req {
    const char *brokerName;
    const char *brokerAddr;
    const char *clusterName;
    int64_t brokerId;
} rmq_broker_ident_req_t;

typedef struct rmq_query_data_version_resp {
    bool changed;
} rmq_query_data_version_resp_t;

typedef struct rmq_get_route_req {
    const char *topic;
    bool acceptStandardJsonOnly;
    bool has_acceptStandardJsonOnly;
} rmq_get_route_req_t;

/* PutKVConfig / GetKVConfig / DeleteKVConfig / GetKVListByNamespace. */
typedef struct rmq_kv_req {
    const char *namespace;
    const char *key;
    const char *value;
} rmq_kv_req_t;

typedef struct rmq_kv_value_resp {
    const char *value;
} rmq_kv_value_resp_t;

typedef struct rmq_broker_name_req {
    const char *brokerName;
} rmq_broker_name_req_t;

typedef struct rmq_wipe_perm_resp {
    int32_t wipeTopicCount;
} rmq_wipe_perm_resp_t;

typedef struct rmq_add_perm_resp {
    int32_t addTopicCount;
} rmq_add_perm_resp_t;

typedef struct rmq_delete_topic_ns_req {
    const char *topic;
    const char *clusterName;
} rmq_delete_topic_ns_req_t;

typedef struct rmq_topics_by_cluster_req {
    const char *cluster;
} rmq_topics_by_cluster_req_t;

extern const rmq_header_desc_t rmq_register_broker_req_desc;
extern const rmq_header_desc_t rmq_register_broker_resp_desc;
extern const rmq_header_desc_t rmq_broker_ident_req_desc;
extern const rmq_header_desc_t rmq_query_data_version_resp_desc;
extern const rmq_header_desc_t rmq_get_route_req_desc;
extern const rmq_header_desc_t rmq_put_kv_req_desc;
extern const rmq_header_desc_t rmq_kv_key_req_desc;      /* namespace + key */
extern const rmq_header_desc_t rmq_kv_namespace_req_desc; /* namespace */
extern const rmq_header_desc_t rmq_kv_value_resp_desc;
extern const rmq_header_desc_t rmq_broker_name_req_desc;
extern const rmq_header_desc_t rmq_wipe_perm_resp_desc;
extern const rmq_header_desc_t rmq_add_perm_resp_desc;
extern const rmq_header_desc_t rmq_delete_topic_ns_req_desc;
extern const rmq_header_desc_t rmq_topics_by_cluster_req_desc;

#endif
