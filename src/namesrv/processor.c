/* The name server's request processor (DefaultRequestProcessor, 4.9.8):
 * one function per request code, each decoding its header, acting on the
 * route table or KV config, and answering. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/props.h"
#include "base/time.h"
#include "namesrv/namesrv_int.h"
#include "protocol/codes.h"
#include "protocol/namesrv_headers.h"
#include "rocketmq/error.h"

/* MQVersion V3_0_11: brokers from this version on send a RegisterBrokerBody. */
#define VERSION_V3_0_11 37

typedef struct cached_route {
    rmq_buf_t body;
} cached_route_t;

static void reply(rmq_conn_t *conn, const rmq_cmd_t *req, int code, const char *remark)
{
    rmq_conn_reply(conn, req, rmq_cmd_new_response(req, code, remark));
}

static void reply_body(rmq_conn_t *conn, const rmq_cmd_t *req, rmq_buf_t *body)
{
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    rmq_cmd_take_body(resp, body);
    rmq_conn_reply(conn, req, resp);
}

/* Decodes req's header; on failure answers SYSTEM_ERROR as Java does. */
static bool decode(rmq_conn_t *conn, const rmq_cmd_t *req, const rmq_header_desc_t *d, void *out)
{
    char err[200];
    if (rmq_header_decode(d, &req->ext, out, err, sizeof(err)) == 0)
        return true;
    RMQ_LOGW("namesrv", "bad %s from %s: %s", d->name, rmq_conn_peer(conn), err);
    reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, err);
    return false;
}

static int decode_register_body(const rmq_cmd_t *req, const rmq_register_broker_req_t *h,
                                rmq_register_broker_body_t *body, char *err, size_t errlen)
{
    memset(body, 0, sizeof(*body));
    if (req->body_len == 0)
        return 0; /* Java: empty table with data version {0, 0} */
    if (req->version < VERSION_V3_0_11)
        return rmq_topic_config_wrapper_decode(req->body, req->body_len, body, err, errlen);
    if (h->compressed)
        return rmq_register_broker_body_decode_compressed(req->body, req->body_len, body, err,
                                                          errlen);
    return rmq_register_broker_body_decode(req->body, req->body_len, body, err, errlen);
}

static void register_broker(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_register_broker_req_t h;
    if (!decode(conn, req, &rmq_register_broker_req_desc, &h))
        return;
    if (h.has_bodyCrc32 && h.bodyCrc32 != 0) {
        uint32_t crc = rmq_crc32(0, req->body, req->body_len) & 0x7FFFFFFFu;
        if ((int32_t)crc != h.bodyCrc32) {
            RMQ_LOGW("namesrv", "register from %s: body crc32 mismatch", h.brokerAddr);
            reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, "crc32 not match");
            return;
        }
    }
    rmq_register_broker_body_t body;
    char err[200];
    if (decode_register_body(req, &h, &body, err, sizeof(err)) != 0) {
        RMQ_LOGW("namesrv", "register from %s: bad body: %s", h.brokerAddr, err);
        reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, err);
        rmq_register_broker_body_free(&body);
        return;
    }
    rmq_broker_reg_t reg = {
        .cluster = h.clusterName,
        .broker_name = h.brokerName,
        .broker_addr = h.brokerAddr,
        .ha_server_addr = h.haServerAddr,
        .broker_id = h.brokerId,
        .conn_id = rmq_conn_id(conn),
        .timeout_ms = h.has_heartbeatTimeoutMillis && h.heartbeatTimeoutMillis > 0
                          ? h.heartbeatTimeoutMillis
                          : ns->cfg.brokerChannelExpiredTime,
    };
    rmq_register_result_t res;
    rmq_route_table_register(ns->routes, &reg, &body, rmq_mono_ms(), &res);
    rmq_register_broker_body_free(&body);

    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    rmq_register_broker_resp_t rh = {res.ha_server_addr, res.master_addr};
    rmq_header_encode(&rmq_register_broker_resp_desc, &rh, &resp->ext);
    const rmq_map_t *order = rmq_kvconfig_namespace(ns->kv, RMQ_NAMESPACE_ORDER_TOPIC_CONFIG);
    if (order) {
        rmq_buf_t b = RMQ_BUF_INIT;
        rmq_kv_table_encode(order, &b);
        rmq_cmd_take_body(resp, &b);
    }
    rmq_register_result_free(&res);
    rmq_conn_reply(conn, req, resp);
}

static void unregister_broker(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_broker_ident_req_t h;
    if (!decode(conn, req, &rmq_broker_ident_req_desc, &h))
        return;
    rmq_route_table_unregister(ns->routes, h.clusterName, h.brokerAddr, h.brokerName, h.brokerId);
    reply(conn, req, ROCKETMQ_ERR_SUCCESS, NULL);
}

static void query_data_version(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_broker_ident_req_t h;
    if (!decode(conn, req, &rmq_broker_ident_req_desc, &h))
        return;
    rmq_data_version_t dv = {0}, recorded = {0};
    char err[200];
    if (req->body_len > 0 &&
        rmq_data_version_decode(req->body, req->body_len, &dv, err, sizeof(err)) != 0) {
        reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, err);
        return;
    }
    bool changed;
    bool has = rmq_route_table_query_data_version(ns->routes, h.brokerAddr, &dv, rmq_mono_ms(),
                                                  &changed, &recorded);
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    rmq_query_data_version_resp_t rh = {changed};
    rmq_header_encode(&rmq_query_data_version_resp_desc, &rh, &resp->ext);
    if (has) {
        rmq_buf_t b = RMQ_BUF_INIT;
        rmq_data_version_encode(&recorded, &b);
        rmq_cmd_take_body(resp, &b);
    }
    rmq_conn_reply(conn, req, resp);
}

void rmq_namesrv_cache_clear(rmq_namesrv_t *ns)
{
    rmq_map_iter_t it;
    void *v;
    rmq_map_iter_init(&it, ns->route_cache);
    while (rmq_map_iter_next(&it, NULL, NULL, &v)) {
        cached_route_t *c = v;
        rmq_buf_free(&c->body);
        free(c);
    }
    rmq_map_free(ns->route_cache, NULL);
    ns->route_cache = rmq_map_new();
}

/* Encodes the topic's route, or answers from the cache. */
static const rmq_buf_t *route_body(rmq_namesrv_t *ns, const char *topic)
{
    if (ns->cache_version != rmq_route_table_version(ns->routes)) {
        rmq_namesrv_cache_clear(ns);
        ns->cache_version = rmq_route_table_version(ns->routes);
    }
    cached_route_t *c = rmq_smap_get(ns->route_cache, topic);
    if (c)
        return &c->body;
    rmq_topic_route_t route;
    if (rmq_route_table_get_route(ns->routes, topic, &route) != 0)
        return NULL;
    if (ns->cfg.orderMessageEnable) {
        const char *conf = rmq_kvconfig_get(ns->kv, RMQ_NAMESPACE_ORDER_TOPIC_CONFIG, topic);
        if (conf)
            route.order_topic_conf = rmq_strdup(conf);
    }
    c = rmq_calloc(1, sizeof(*c));
    rmq_topic_route_encode(&route, &c->body);
    rmq_topic_route_free(&route);
    rmq_smap_put(ns->route_cache, topic, c);
    return &c->body;
}

static void get_route(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_get_route_req_t h;
    if (!decode(conn, req, &rmq_get_route_req_desc, &h))
        return;
    /* Always standard JSON (quoted brokerAddrs keys): fastjson, jsoncpp and
     * JSON.parse all read it, whatever version the client says it is. */
    const rmq_buf_t *body = route_body(ns, h.topic);
    if (!body) {
        rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_TOPIC_NOT_EXIST, NULL);
        rmq_cmd_set_remark(resp,
                           "No topic route info in name server for the topic: %s\n"
                           "See http://rocketmq.apache.org/docs/faq/ for further details.",
                           h.topic);
        rmq_conn_reply(conn, req, resp);
        return;
    }
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    rmq_cmd_set_body(resp, body->data, body->len);
    rmq_conn_reply(conn, req, resp);
}

static void cluster_info(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_cluster_info_t ci;
    rmq_route_table_cluster_info(ns->routes, &ci);
    rmq_buf_t b = RMQ_BUF_INIT;
    rmq_cluster_info_encode(&ci, &b);
    rmq_cluster_info_free(&ci);
    reply_body(conn, req, &b);
}

static void reply_topic_list(rmq_conn_t *conn, const rmq_cmd_t *req, rmq_topic_list_t *tl)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    rmq_topic_list_encode(tl, &b);
    rmq_topic_list_free(tl);
    reply_body(conn, req, &b);
}

static void topic_lists(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_topic_list_t tl;
    switch (req->code) {
    case RMQ_REQ_GET_ALL_TOPIC_LIST_FROM_NAMESERVER:
        rmq_route_table_all_topics(ns->routes, &tl);
        break;
    case RMQ_REQ_GET_SYSTEM_TOPIC_LIST_FROM_NS:
        rmq_route_table_system_topics(ns->routes, &tl);
        break;
    case RMQ_REQ_GET_UNIT_TOPIC_LIST:
        rmq_route_table_unit_topics(ns->routes, RMQ_UNIT_TOPICS, &tl);
        break;
    case RMQ_REQ_GET_HAS_UNIT_SUB_TOPIC_LIST:
        rmq_route_table_unit_topics(ns->routes, RMQ_HAS_UNIT_SUB_TOPICS, &tl);
        break;
    default:
        rmq_route_table_unit_topics(ns->routes, RMQ_HAS_UNIT_SUB_UNUNIT_TOPICS, &tl);
        break;
    }
    reply_topic_list(conn, req, &tl);
}

static void topics_by_cluster(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_topics_by_cluster_req_t h;
    if (!decode(conn, req, &rmq_topics_by_cluster_req_desc, &h))
        return;
    rmq_topic_list_t tl;
    rmq_route_table_topics_by_cluster(ns->routes, h.cluster, &tl);
    reply_topic_list(conn, req, &tl);
}

static void put_kv(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_kv_req_t h;
    if (!decode(conn, req, &rmq_put_kv_req_desc, &h))
        return;
    int rc = rmq_kvconfig_put(ns->kv, h.namespace, h.key, h.value);
    rmq_namesrv_cache_clear(ns); /* order topic confs live in routes */
    reply(conn, req, rc ? ROCKETMQ_ERR_SYSTEM_ERROR : ROCKETMQ_ERR_SUCCESS,
          rc ? "cannot persist the KV config" : NULL);
}

static void get_kv(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_kv_req_t h;
    if (!decode(conn, req, &rmq_kv_key_req_desc, &h))
        return;
    const char *v = rmq_kvconfig_get(ns->kv, h.namespace, h.key);
    if (!v) {
        rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_QUERY_NOT_FOUND, NULL);
        rmq_cmd_set_remark(resp, "No config item, Namespace: %s Key: %s", h.namespace, h.key);
        rmq_conn_reply(conn, req, resp);
        return;
    }
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    rmq_kv_value_resp_t rh = {v};
    rmq_header_encode(&rmq_kv_value_resp_desc, &rh, &resp->ext);
    rmq_conn_reply(conn, req, resp);
}

static void delete_kv(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_kv_req_t h;
    if (!decode(conn, req, &rmq_kv_key_req_desc, &h))
        return;
    int rc = rmq_kvconfig_delete(ns->kv, h.namespace, h.key);
    rmq_namesrv_cache_clear(ns);
    reply(conn, req, rc ? ROCKETMQ_ERR_SYSTEM_ERROR : ROCKETMQ_ERR_SUCCESS,
          rc ? "cannot persist the KV config" : NULL);
}

static void kv_list(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_kv_req_t h;
    if (!decode(conn, req, &rmq_kv_namespace_req_desc, &h))
        return;
    const rmq_map_t *m = rmq_kvconfig_namespace(ns->kv, h.namespace);
    if (!m) {
        rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_QUERY_NOT_FOUND, NULL);
        rmq_cmd_set_remark(resp, "No config item, Namespace: %s", h.namespace);
        rmq_conn_reply(conn, req, resp);
        return;
    }
    rmq_buf_t b = RMQ_BUF_INIT;
    rmq_kv_table_encode(m, &b);
    reply_body(conn, req, &b);
}

static void write_perm(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_broker_name_req_t h;
    if (!decode(conn, req, &rmq_broker_name_req_desc, &h))
        return;
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    if (req->code == RMQ_REQ_WIPE_WRITE_PERM_OF_BROKER) {
        rmq_wipe_perm_resp_t rh = {rmq_route_table_wipe_write_perm(ns->routes, h.brokerName)};
        rmq_header_encode(&rmq_wipe_perm_resp_desc, &rh, &resp->ext);
        RMQ_LOGI("namesrv", "write permission of broker %s wiped on %d topics", h.brokerName,
                 rh.wipeTopicCount);
    } else {
        rmq_add_perm_resp_t rh = {rmq_route_table_add_write_perm(ns->routes, h.brokerName)};
        rmq_header_encode(&rmq_add_perm_resp_desc, &rh, &resp->ext);
        RMQ_LOGI("namesrv", "write permission of broker %s added on %d topics", h.brokerName,
                 rh.addTopicCount);
    }
    rmq_conn_reply(conn, req, resp);
}

static void delete_topic(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_delete_topic_ns_req_t h;
    if (!decode(conn, req, &rmq_delete_topic_ns_req_desc, &h))
        return;
    rmq_route_table_delete_topic(ns->routes, h.topic, h.clusterName);
    RMQ_LOGI("namesrv", "topic %s deleted%s%s", h.topic, h.clusterName ? " from cluster " : "",
             h.clusterName ? h.clusterName : "");
    reply(conn, req, ROCKETMQ_ERR_SUCCESS, NULL);
}

static void get_config(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    rmq_conf_print(rmq_namesrv_conf_defs, &ns->cfg, f);
    fclose(f);
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    rmq_cmd_set_body(resp, text, len);
    free(text);
    rmq_conn_reply(conn, req, resp);
}

/* Keys that must not change at run time (configBlackList plus Java's fixed set). */
static bool blacklisted(const rmq_namesrv_t *ns, const char *key)
{
    static const char *const fixed[] = {"configBlackList", "configStorePath", "kvConfigPath",
                                        "rocketmqHome", "listenPort", "bindAddress"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (strcmp(key, fixed[i]) == 0)
            return true;
    const char *list = ns->cfg.configBlackList ? ns->cfg.configBlackList : "";
    size_t klen = strlen(key);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == klen && strncmp(p, key, n) == 0)
            return true;
        p += n + (end ? 1 : 0);
    }
    return false;
}

typedef struct update_ctx {
    rmq_namesrv_t *ns;
    int code;
    char err[200];
} update_ctx_t;

static int check_update(const char *key, const char *value, void *arg)
{
    update_ctx_t *u = arg;
    (void)value;
    if (blacklisted(u->ns, key)) {
        u->code = ROCKETMQ_ERR_NO_PERMISSION;
        snprintf(u->err, sizeof(u->err), "Can not update config in black list.");
        return 1;
    }
    return 0;
}

static int apply_update(const char *key, const char *value, void *arg)
{
    update_ctx_t *u = arg;
    int rc = rmq_conf_set(rmq_namesrv_conf_defs, &u->ns->cfg, key, value, u->err, sizeof(u->err));
    if (rc == RMQ_CONF_UNKNOWN) {
        RMQ_LOGW("namesrv", "UPDATE_NAMESRV_CONFIG: unknown key %s ignored", key);
        return 0;
    }
    if (rc != RMQ_CONF_OK) {
        u->code = ROCKETMQ_ERR_SYSTEM_ERROR;
        return 1;
    }
    RMQ_LOGI("namesrv", "config updated: %s=%s", key, value);
    return 0;
}

/* Writes the whole configuration to configStorePath, as Java's
 * Configuration.persist does after an update. */
static void persist_config(rmq_namesrv_t *ns)
{
    if (!ns->cfg.configStorePath || !*ns->cfg.configStorePath)
        return;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    rmq_conf_print(rmq_namesrv_conf_defs, &ns->cfg, f);
    fclose(f);
    if (rmq_file_write_atomic(ns->cfg.configStorePath, text, len) != 0)
        RMQ_LOGE("namesrv", "cannot write %s: %s", ns->cfg.configStorePath, strerror(errno));
    free(text);
}

static void update_config(rmq_namesrv_t *ns, rmq_conn_t *conn, rmq_cmd_t *req)
{
    update_ctx_t u = {ns, ROCKETMQ_ERR_SUCCESS, ""};
    const char *text = (const char *)req->body;
    /* Two passes so that a refused key leaves the whole update unapplied. */
    if (text && rmq_props_parse(text, req->body_len, check_update, &u) == 0)
        rmq_props_parse(text, req->body_len, apply_update, &u);
    if (text && u.code == ROCKETMQ_ERR_SUCCESS)
        persist_config(ns);
    rmq_namesrv_cache_clear(ns);
    reply(conn, req, u.code, u.code ? u.err : NULL);
}

void rmq_namesrv_process(rmq_conn_t *conn, rmq_cmd_t *req, void *ud)
{
    rmq_namesrv_t *ns = ud;
    RMQ_LOGD("namesrv", "request %d (%s) from %s", req->code,
             rmq_request_code_name(req->code) ? rmq_request_code_name(req->code) : "?",
             rmq_conn_peer(conn));
    switch (req->code) {
    case RMQ_REQ_REGISTER_BROKER: register_broker(ns, conn, req); break;
    case RMQ_REQ_UNREGISTER_BROKER: unregister_broker(ns, conn, req); break;
    case RMQ_REQ_QUERY_DATA_VERSION: query_data_version(ns, conn, req); break;
    case RMQ_REQ_GET_ROUTEINFO_BY_TOPIC: get_route(ns, conn, req); break;
    case RMQ_REQ_GET_BROKER_CLUSTER_INFO: cluster_info(ns, conn, req); break;
    case RMQ_REQ_GET_ALL_TOPIC_LIST_FROM_NAMESERVER:
    case RMQ_REQ_GET_SYSTEM_TOPIC_LIST_FROM_NS:
    case RMQ_REQ_GET_UNIT_TOPIC_LIST:
    case RMQ_REQ_GET_HAS_UNIT_SUB_TOPIC_LIST:
    case RMQ_REQ_GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST: topic_lists(ns, conn, req); break;
    case RMQ_REQ_GET_TOPICS_BY_CLUSTER: topics_by_cluster(ns, conn, req); break;
    case RMQ_REQ_PUT_KV_CONFIG: put_kv(ns, conn, req); break;
    case RMQ_REQ_GET_KV_CONFIG: get_kv(ns, conn, req); break;
    case RMQ_REQ_DELETE_KV_CONFIG: delete_kv(ns, conn, req); break;
    case RMQ_REQ_GET_KVLIST_BY_NAMESPACE: kv_list(ns, conn, req); break;
    case RMQ_REQ_WIPE_WRITE_PERM_OF_BROKER:
    case RMQ_REQ_ADD_WRITE_PERM_OF_BROKER: write_perm(ns, conn, req); break;
    case RMQ_REQ_DELETE_TOPIC_IN_NAMESRV: delete_topic(ns, conn, req); break;
    case RMQ_REQ_GET_NAMESRV_CONFIG: get_config(ns, conn, req); break;
    case RMQ_REQ_UPDATE_NAMESRV_CONFIG: update_config(ns, conn, req); break;
    default:
        RMQ_LOGD("namesrv", "request code %d not supported (from %s)", req->code,
                 rmq_conn_peer(conn));
        rmq_conn_reply_not_supported(conn, req);
        break;
    }
    rmq_cmd_free(req);
}
