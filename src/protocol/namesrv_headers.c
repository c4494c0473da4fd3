#include "protocol/namesrv_headers.h"

#define S RMQ_HF_STR
#define I32 RMQ_HF_I32
#define I64 RMQ_HF_I64
#define B RMQ_HF_BOOL

static const rmq_header_field_t register_broker_req[] = {
    RMQ_HF(rmq_register_broker_req_t, brokerName, S, true),
    RMQ_HF(rmq_register_broker_req_t, brokerAddr, S, true),
    RMQ_HF(rmq_register_broker_req_t, clusterName, S, true),
    RMQ_HF(rmq_register_broker_req_t, haServerAddr, S, true),
    RMQ_HF(rmq_register_broker_req_t, brokerId, I64, true),
    RMQ_HF(rmq_register_broker_req_t, compressed, B, false),
    RMQ_HF_OPT(rmq_register_broker_req_t, bodyCrc32, I32),
    RMQ_HF_OPT(rmq_register_broker_req_t, heartbeatTimeoutMillis, I64),
};
const rmq_header_desc_t rmq_register_broker_req_desc =
    RMQ_HEADER_DESC("RegisterBrokerRequestHeader", register_broker_req);

static const rmq_header_field_t register_broker_resp[] = {
    RMQ_HF(rmq_register_broker_resp_t, haServerAddr, S, false),
    RMQ_HF(rmq_register_broker_resp_t, masterAddr, S, false),
};
const rmq_header_desc_t rmq_register_broker_resp_desc =
    RMQ_HEADER_DESC("RegisterBrokerResponseHeader", register_broker_resp);

static const rmq_header_field_t broker_ident_req[] = {
    RMQ_HF(rmq_broker_ident_req_t, brokerName, S, true),
    RMQ_HF(rmq_broker_ident_req_t, brokerAddr, S, true),
    RMQ_HF(rmq_broker_ident_req_t, clusterName, S, true),
    RMQ_HF(rmq_broker_ident_req_t, brokerId, I64, true),
};
const rmq_header_desc_t rmq_broker_ident_req_desc =
    RMQ_HEADER_DESC("UnRegisterBrokerRequestHeader", broker_ident_req);

static const rmq_header_field_t query_data_version_resp[] = {
    RMQ_HF(rmq_query_data_version_resp_t, changed, B, true),
};
const rmq_header_desc_t rmq_query_data_version_resp_desc =
    RMQ_HEADER_DESC("QueryDataVersionResponseHeader", query_data_version_resp);

static const rmq_header_field_t get_route_req[] = {
    RMQ_HF(rmq_get_route_req_t, topic, S, true),
    RMQ_HF_OPT(rmq_get_route_req_t, acceptStandardJsonOnly, B),
};
const rmq_header_desc_t rmq_get_route_req_desc =
    RMQ_HEADER_DESC("GetRouteInfoRequestHeader", get_route_req);

static const rmq_header_field_t put_kv_req[] = {
    RMQ_HF(rmq_kv_req_t, namespace, S, true),
    RMQ_HF(rmq_kv_req_t, key, S, true),
    RMQ_HF(rmq_kv_req_t, value, S, true),
};
const rmq_header_desc_t rmq_put_kv_req_desc = RMQ_HEADER_DESC("PutKVConfigRequestHeader", put_kv_req);

static const rmq_header_field_t kv_key_req[] = {
    RMQ_HF(rmq_kv_req_t, namespace, S, true),
    RMQ_HF(rmq_kv_req_t, key, S, true),
};
const rmq_header_desc_t rmq_kv_key_req_desc = RMQ_HEADER_DESC("GetKVConfigRequestHeader", kv_key_req);

static const rmq_header_field_t kv_namespace_req[] = {
    RMQ_HF(rmq_kv_req_t, namespace, S, true),
};
const rmq_header_desc_t rmq_kv_namespace_req_desc =
    RMQ_HEADER_DESC("GetKVListByNamespaceRequestHeader", kv_namespace_req);

static const rmq_header_field_t kv_value_resp[] = {
    RMQ_HF(rmq_kv_value_resp_t, value, S, false),
};
const rmq_header_desc_t rmq_kv_value_resp_desc =
    RMQ_HEADER_DESC("GetKVConfigResponseHeader", kv_value_resp);

static const rmq_header_field_t broker_name_req[] = {
    RMQ_HF(rmq_broker_name_req_t, brokerName, S, true),
};
const rmq_header_desc_t rmq_broker_name_req_desc =
    RMQ_HEADER_DESC("WipeWritePermOfBrokerRequestHeader", broker_name_req);

static const rmq_header_field_t wipe_perm_resp[] = {
    RMQ_HF(rmq_wipe_perm_resp_t, wipeTopicCount, I32, true),
};
const rmq_header_desc_t rmq_wipe_perm_resp_desc =
    RMQ_HEADER_DESC("WipeWritePermOfBrokerResponseHeader", wipe_perm_resp);

static const rmq_header_field_t add_perm_resp[] = {
    RMQ_HF(rmq_add_perm_resp_t, addTopicCount, I32, true),
};
const rmq_header_desc_t rmq_add_perm_resp_desc =
    RMQ_HEADER_DESC("AddWritePermOfBrokerResponseHeader", add_perm_resp);

static const rmq_header_field_t delete_topic_ns_req[] = {
    RMQ_HF(rmq_delete_topic_ns_req_t, topic, S, true),
    RMQ_HF(rmq_delete_topic_ns_req_t, clusterName, S, false),
};
const rmq_header_desc_t rmq_delete_topic_ns_req_desc =
    RMQ_HEADER_DESC("DeleteTopicFromNamesrvRequestHeader", delete_topic_ns_req);

static const rmq_header_field_t topics_by_cluster_req[] = {
    RMQ_HF(rmq_topics_by_cluster_req_t, cluster, S, true),
};
const rmq_header_desc_t rmq_topics_by_cluster_req_desc =
    RMQ_HEADER_DESC("GetTopicsByClusterRequestHeader", topics_by_cluster_req);
