/* JSON bodies of the name-server requests, as Apache RocketMQ 4.9.8 writes them
 * (reference: protocol.md sections 5.1-5.8; Java classes under
 * common/src/main/java/org/apache/rocketmq/common/protocol/{body,route}).
 *
 * Writing: standard JSON (quoted keys, bean properties sorted by name, null
 * properties omitted, empty collections written) that fastjson, jsoncpp and
 * JSON.parse all read.  Reading: tolerant of fastjson's output as well, i.e.
 * bare numeric map keys ({0:"addr"}) and object keys ({{...}:v}), through
 * rmq_json_loads() below.  Unknown properties are ignored.
 *
 * Every *_decode returns 0, or ROCKETMQ_ERR__PROTOCOL with a message in err.
 * Every *_encode appends UTF-8 JSON to out.  Structs own all their strings and
 * arrays; *_free releases the contents (not the struct itself). */
#ifndef RMQ_PROTOCOL_BODIES_H
#define RMQ_PROTOCOL_BODIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/map.h"

/* PermName (COMMON/constant/PermName.java). */
#define RMQ_PERM_PRIORITY 0x8
#define RMQ_PERM_READ 0x4
#define RMQ_PERM_WRITE 0x2
#define RMQ_PERM_INHERIT 0x1

/* Parses JSON text as fastjson writes it: bare numeric keys and object keys are
 * turned into string keys (an object key becomes its compact JSON text) before
 * jansson parses it.  Returns a new reference or NULL with err filled. */
json_t *rmq_json_loads(const void *text, size_t len, char *err, size_t errlen);
/* Appends compact JSON with object keys sorted (fastjson SortField / MapSortField). */
void rmq_json_dump_append(const json_t *j, rmq_buf_t *out);

/* DataVersion: {"counter":3,"timestamp":1700000000000} (5.x adds stateVersion). */
typedef struct rmq_data_version {
    int64_t timestamp;
    int64_t counter;
    int64_t state_version; /* 5.x; 0 and not written when zero */
} rmq_data_version_t;

json_t *rmq_data_version_to_json(const rmq_data_version_t *dv);
int rmq_data_version_from_json(const json_t *j, rmq_data_version_t *dv, char *err, size_t errlen);
bool rmq_data_version_equal(const rmq_data_version_t *a, const rmq_data_version_t *b);
/* Bumps counter and sets timestamp to now (DataVersion.nextVersion). */
void rmq_data_version_next(rmq_data_version_t *dv);
void rmq_data_version_encode(const rmq_data_version_t *dv, rmq_buf_t *out);
int rmq_data_version_decode(const void *p, size_t n, rmq_data_version_t *dv, char *err,
                            size_t errlen);

/* TopicConfig (COMMON/TopicConfig.java). Defaults: 16/16 queues, perm 6,
 * SINGLE_TAG, sysflag 0, order false. */
typedef struct rmq_topic_config {
    char *topic_name;
    int32_t read_queue_nums;
    int32_t write_queue_nums;
    int32_t perm;
    char *topic_filter_type; /* "SINGLE_TAG" or "MULTI_TAG" */
    int32_t topic_sys_flag;
    bool order;
} rmq_topic_config_t;

void rmq_topic_config_init(rmq_topic_config_t *tc, const char *name); /* Java defaults */
void rmq_topic_config_free(rmq_topic_config_t *tc);

/* TopicConfigSerializeWrapper + RegisterBrokerBody. */
typedef struct rmq_register_broker_body {
    rmq_data_version_t data_version;
    rmq_topic_config_t *topics;
    size_t ntopics;
    char **filter_servers;
    size_t nfilter_servers;
} rmq_register_broker_body_t;

void rmq_register_broker_body_free(rmq_register_broker_body_t *b);
/* Appends a topic (deep copy). */
void rmq_register_broker_body_add_topic(rmq_register_broker_body_t *b, const rmq_topic_config_t *tc);
/* JSON form: {"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":..,"topicConfigTable":{..}}} */
void rmq_register_broker_body_encode(const rmq_register_broker_body_t *b, rmq_buf_t *out);
int rmq_register_broker_body_decode(const void *p, size_t n, rmq_register_broker_body_t *b,
                                    char *err, size_t errlen);
/* A bare TopicConfigSerializeWrapper {"dataVersion":..,"topicConfigTable":{..}}: the body
 * of brokers older than V3_0_11 (version < 37) and the broker's topics.json.  The encoder
 * ignores filter_servers. */
void rmq_topic_config_wrapper_encode(const rmq_register_broker_body_t *b, rmq_buf_t *out);
int rmq_topic_config_wrapper_decode(const void *p, size_t n, rmq_register_broker_body_t *b,
                                    char *err, size_t errlen);
/* Compressed form (RegisterBrokerBody.encode(true)): zlib stream of length-prefixed parts,
 * protocol.md 4.14.  Loses topicSysFlag and order, as in Java. */
void rmq_register_broker_body_encode_compressed(const rmq_register_broker_body_t *b, rmq_buf_t *out);
int rmq_register_broker_body_decode_compressed(const void *p, size_t n,
                                               rmq_register_broker_body_t *b, char *err,
                                               size_t errlen);

/* QueueData / BrokerData / TopicRouteData (protocol.md 5.2). */
typedef struct rmq_queue_data {
    char *broker_name;
    int32_t read_queue_nums;
    int32_t write_queue_nums;
    int32_t perm;
    int32_t topic_sys_flag;
} rmq_queue_data_t;

typedef struct rmq_broker_addr {
    int64_t broker_id; /* 0 = master */
    char *addr;        /* "ip:port" */
} rmq_broker_addr_t;

typedef struct rmq_broker_data {
    char *cluster;
    char *broker_name;
    rmq_broker_addr_t *addrs; /* sorted by broker_id ascending */
    size_t naddrs;
} rmq_broker_data_t;

typedef struct rmq_topic_route {
    char *order_topic_conf; /* NULL when absent */
    rmq_queue_data_t *queue_datas;
    size_t nqueue_datas;
    rmq_broker_data_t *broker_datas;
    size_t nbroker_datas;
    /* filterServerTable: broker addr -> list; normally empty */
    char **filter_server_addrs;   /* keys */
    char ***filter_server_lists;  /* NULL-terminated lists of addresses */
    size_t nfilter_servers;
} rmq_topic_route_t;

void rmq_broker_data_free(rmq_broker_data_t *bd);
/* Deep copy; dst is overwritten, not freed first. */
void rmq_broker_data_copy(rmq_broker_data_t *dst, const rmq_broker_data_t *src);
/* Sets (or replaces) the address of broker_id, keeping addrs sorted; a NULL
 * addr removes broker_id. */
void rmq_broker_data_set_addr(rmq_broker_data_t *bd, int64_t broker_id, const char *addr);
const char *rmq_broker_data_get_addr(const rmq_broker_data_t *bd, int64_t broker_id);
json_t *rmq_broker_data_to_json(const rmq_broker_data_t *bd);
int rmq_broker_data_from_json(const json_t *j, rmq_broker_data_t *bd, char *err, size_t errlen);

void rmq_topic_route_free(rmq_topic_route_t *r);
/* Deep copy; dst is overwritten, not freed first. */
void rmq_topic_route_copy(rmq_topic_route_t *dst, const rmq_topic_route_t *src);
/* The negation of MQClientInstance.topicRouteDataIsChange: the same
 * orderTopicConf, queue datas and broker datas whatever their order (a
 * broker data's cluster is not compared, as in BrokerData.equals), and the
 * same filter server table. */
bool rmq_topic_route_equal(const rmq_topic_route_t *a, const rmq_topic_route_t *b);
void rmq_topic_route_encode(const rmq_topic_route_t *r, rmq_buf_t *out);
int rmq_topic_route_decode(const void *p, size_t n, rmq_topic_route_t *r, char *err, size_t errlen);

/* ClusterInfo: {"brokerAddrTable":{name:BrokerData},"clusterAddrTable":{cluster:[names]}} */
typedef struct rmq_cluster_entry {
    char *cluster;
    char **broker_names;
    size_t nbroker_names;
} rmq_cluster_entry_t;

typedef struct rmq_cluster_info {
    rmq_broker_data_t *brokers; /* brokerAddrTable values (keyed by broker_name) */
    size_t nbrokers;
    rmq_cluster_entry_t *clusters;
    size_t nclusters;
} rmq_cluster_info_t;

void rmq_cluster_info_free(rmq_cluster_info_t *ci);
void rmq_cluster_info_encode(const rmq_cluster_info_t *ci, rmq_buf_t *out);
int rmq_cluster_info_decode(const void *p, size_t n, rmq_cluster_info_t *ci, char *err,
                            size_t errlen);

/* TopicList: {"topicList":["A","B"]} plus "brokerAddr" when set. */
typedef struct rmq_topic_list {
    char **topics;
    size_t ntopics;
    char *broker_addr; /* NULL when absent */
} rmq_topic_list_t;

void rmq_topic_list_free(rmq_topic_list_t *tl);
void rmq_topic_list_add(rmq_topic_list_t *tl, const char *topic);
void rmq_topic_list_encode(const rmq_topic_list_t *tl, rmq_buf_t *out);
int rmq_topic_list_decode(const void *p, size_t n, rmq_topic_list_t *tl, char *err, size_t errlen);

/* KVTable: {"table":{"k":"v",...}}.  The map holds char* values owned by it. */
void rmq_kv_table_encode(const rmq_map_t *table, rmq_buf_t *out);
/* Fills a new map (string keys, malloc'ed char* values; free with rmq_map_free(m, free)). */
int rmq_kv_table_decode(const void *p, size_t n, rmq_map_t **table, char *err, size_t errlen);

/* KVConfigSerializeWrapper, the name server's kvConfig.json:
 * {"configTable":{"<namespace>":{"<key>":"<value>"}}}.  The map is
 * namespace -> (key -> char *); decode fills a new one (free the inner maps
 * with rmq_map_free(m, free)). */
void rmq_kv_config_wrapper_encode(const rmq_map_t *namespaces, rmq_buf_t *out);
int rmq_kv_config_wrapper_decode(const void *p, size_t n, rmq_map_t **namespaces, char *err,
                                 size_t errlen);

#endif
