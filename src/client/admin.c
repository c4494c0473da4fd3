#include "client/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "client/instance_int.h"
#include "client/local_addr.h"
#include "protocol/codes.h"

struct rmq_admin {
    rmq_instance_t *inst;
    int timeout_ms;
};

rmq_admin_t *rmq_admin_new(const char *namesrv, int timeout_ms, char *err, size_t errlen)
{
    rmq_instance_cfg_t cfg;
    rmq_instance_cfg_defaults(&cfg);
    const char *ns = namesrv && *namesrv ? namesrv : getenv("NAMESRV_ADDR");
    if (!ns || !*ns) {
        snprintf(err, errlen, "no name server address: give -n host:port or set NAMESRV_ADDR");
        return NULL;
    }
    snprintf(cfg.namesrv, sizeof(cfg.namesrv), "%s", ns);
    cfg.api_timeout_ms = timeout_ms;
    rmq_local_client_ip(cfg.client_ip, sizeof(cfg.client_ip));
    char cid[256];
    snprintf(cid, sizeof(cid), "%s@rmq-admin-%d", cfg.client_ip, (int)getpid());
    rmq_admin_t *a = rmq_calloc(1, sizeof(*a));
    a->timeout_ms = timeout_ms;
    a->inst = rmq_instance_acquire(cid, &cfg);
    if (rmq_instance_start(a->inst) != 0) {
        snprintf(err, errlen, "the client instance failed to start");
        rmq_admin_free(a);
        return NULL;
    }
    return a;
}

void rmq_admin_free(rmq_admin_t *a)
{
    if (!a)
        return;
    rmq_instance_release(a->inst);
    free(a);
}

rmq_instance_t *rmq_admin_instance(rmq_admin_t *a)
{
    return a->inst;
}

int rmq_admin_timeout(const rmq_admin_t *a)
{
    return a->timeout_ms;
}

int rmq_admin_namesrv(rmq_admin_t *a, rmq_cmd_t *req, rmq_cmd_t **resp, char *err, size_t errlen)
{
    int rc = rmq_instance_namesrv_call(a->inst, req, a->timeout_ms, resp);
    if (rc != 0)
        snprintf(err, errlen, "name server %s: %s", a->inst->cfg.namesrv, rocketmq_err_str(rc));
    return rc;
}

int rmq_admin_broker(rmq_admin_t *a, const char *addr, rmq_cmd_t *req, rmq_cmd_t **resp, char *err,
                     size_t errlen)
{
    int rc = rmq_rclient_invoke_sync(rmq_instance_rclient(a->inst), addr, req, a->timeout_ms, resp);
    if (rc != 0)
        snprintf(err, errlen, "broker %s: %s", addr, rocketmq_err_str(rc));
    return rc;
}

static int code_to_err(rmq_cmd_t **resp, char *err, size_t errlen)
{
    int code = (*resp)->code;
    if (code == 0)
        return 0;
    snprintf(err, errlen, "CODE: %d DESC: %s", code, (*resp)->remark ? (*resp)->remark : "");
    rmq_cmd_free(*resp);
    *resp = NULL;
    return code;
}

int rmq_admin_namesrv_ok(rmq_admin_t *a, rmq_cmd_t *req, rmq_cmd_t **resp, char *err, size_t errlen)
{
    int rc = rmq_admin_namesrv(a, req, resp, err, errlen);
    return rc != 0 ? rc : code_to_err(resp, err, errlen);
}

int rmq_admin_broker_ok(rmq_admin_t *a, const char *addr, rmq_cmd_t *req, rmq_cmd_t **resp,
                        char *err, size_t errlen)
{
    int rc = rmq_admin_broker(a, addr, req, resp, err, errlen);
    return rc != 0 ? rc : code_to_err(resp, err, errlen);
}

int rmq_admin_cluster_info(rmq_admin_t *a, rmq_cluster_info_t *out, char *err, size_t errlen)
{
    rmq_cmd_t *resp = NULL;
    int rc = rmq_admin_namesrv_ok(a, rmq_cmd_new_request(RMQ_REQ_GET_BROKER_CLUSTER_INFO), &resp, err,
                                  errlen);
    if (rc == 0) {
        rc = rmq_cluster_info_decode(resp->body, resp->body_len, out, err, errlen);
        rmq_cmd_free(resp);
    }
    return rc;
}

int rmq_admin_topic_route(rmq_admin_t *a, const char *topic, rmq_topic_route_t *out, char *err,
                          size_t errlen)
{
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC);
    rmq_ext_set(&req->ext, "topic", topic);
    rmq_cmd_t *resp = NULL;
    int rc = rmq_admin_namesrv_ok(a, req, &resp, err, errlen);
    if (rc == 0) {
        rc = rmq_topic_route_decode(resp->body, resp->body_len, out, err, errlen);
        rmq_cmd_free(resp);
    }
    return rc;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

int rmq_admin_master_addrs(rmq_admin_t *a, const char *cluster, char ***addrs, size_t *n, char *err,
                           size_t errlen)
{
    *addrs = NULL;
    *n = 0;
    rmq_cluster_info_t ci;
    int rc = rmq_admin_cluster_info(a, &ci, err, errlen);
    if (rc != 0)
        return rc;
    bool cluster_found = !cluster;
    for (size_t c = 0; c < ci.nclusters; c++) {
        if (cluster && strcmp(ci.clusters[c].cluster, cluster) != 0)
            continue;
        cluster_found = true;
        for (size_t b = 0; b < ci.clusters[c].nbroker_names; b++) {
            for (size_t i = 0; i < ci.nbrokers; i++) {
                const char *addr = strcmp(ci.brokers[i].broker_name,
                                          ci.clusters[c].broker_names[b]) == 0
                                       ? rmq_broker_data_get_addr(&ci.brokers[i], 0)
                                       : NULL;
                if (!addr)
                    continue;
                *addrs = rmq_realloc(*addrs, (*n + 1) * sizeof(char *));
                (*addrs)[(*n)++] = rmq_strdup(addr);
            }
        }
    }
    rmq_cluster_info_free(&ci);
    if (!cluster_found) {
        snprintf(err, errlen, "cluster %s not found", cluster);
        return ROCKETMQ_ERR__NOT_FOUND;
    }
    if (*n > 1)
        qsort(*addrs, *n, sizeof(char *), cmp_str);
    return 0;
}

int rmq_admin_broker_addr(rmq_admin_t *a, const char *broker_name, char *out, size_t n, char *err,
                          size_t errlen)
{
    rmq_cluster_info_t ci;
    int rc = rmq_admin_cluster_info(a, &ci, err, errlen);
    if (rc != 0)
        return rc;
    rc = ROCKETMQ_ERR__NOT_FOUND;
    for (size_t i = 0; i < ci.nbrokers; i++) {
        const char *addr = strcmp(ci.brokers[i].broker_name, broker_name) == 0
                               ? rmq_broker_data_get_addr(&ci.brokers[i], 0)
                               : NULL;
        if (addr) {
            snprintf(out, n, "%s", addr);
            rc = 0;
        }
    }
    rmq_cluster_info_free(&ci);
    if (rc != 0)
        snprintf(err, errlen, "broker %s not found in the cluster info", broker_name);
    return rc;
}
