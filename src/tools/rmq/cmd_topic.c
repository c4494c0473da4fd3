/* Topic subcommands of rmq, after mqadmin's (4.9.8 tools/command/topic):
 * updateTopic, deleteTopic, topicList, topicRoute, topicStatus and
 * topicClusterList.  Text output follows mqadmin's lines and columns; --json
 * prints one document with camelCase keys and numbers as numbers. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/mem.h"
#include "protocol/bodies.h"
#include "protocol/codes.h"
#include "protocol/heartbeat.h"
#include "protocol/namesrv_headers.h"
#include "remoting/client.h"
#include "rocketmq/error.h"
#include "tools/rmq/cli.h"

/* MixAll / NamesrvUtil constants. */
#define AUTO_CREATE_TOPIC "TBW102"
#define RETRY_PREFIX "%RETRY%"
#define DLQ_PREFIX "%DLQ%"
#define NS_ORDER_TOPIC_CONFIG "ORDER_TOPIC_CONFIG"

#define ERRLEN 512

extern const rmq_command_t rmq_cmds_topic[];

/* ---- helpers shared by the topic commands ---- */

static int parse_bool(rmq_cli_t *cli, char flag, const char *v, bool *out)
{
    if (strcasecmp(v, "true") == 0)
        *out = true;
    else if (strcasecmp(v, "false") == 0)
        *out = false;
    else
        return cli_usage(cli, "-%c wants true or false, not '%s'", flag, v);
    return 0;
}

static int parse_i32(rmq_cli_t *cli, char flag, const char *v, int64_t min, int64_t max,
                     int32_t *out)
{
    char name[4] = {'-', flag, '\0', '\0'};
    int64_t x = 0;
    int rc = cli_parse_i64(cli, name, v, min, max, &x);
    if (rc == 0)
        *out = (int32_t)x;
    return rc;
}

static int broker_ok(rmq_admin_t *a, const char *addr, rmq_cmd_t *req, rmq_cmd_t **resp,
                     char *err, size_t errlen)
{
    return cli_call_ok(a, "broker", addr, req, resp, err, errlen);
}

/* The cluster whose broker names hold broker_name, or NULL. */
static const char *cluster_of(const rmq_cluster_info_t *ci, const char *broker_name)
{
    for (size_t c = 0; c < ci->nclusters; c++)
        for (size_t b = 0; b < ci->clusters[c].nbroker_names; b++)
            if (strcmp(ci->clusters[c].broker_names[b], broker_name) == 0)
                return ci->clusters[c].cluster;
    return NULL;
}

static int cmp_strp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* ---- updateTopic ---- */

/* PermName.perm2String. */
static const char *perm_str(int32_t perm, char buf[4])
{
    buf[0] = (perm & RMQ_PERM_READ) ? 'R' : '-';
    buf[1] = (perm & RMQ_PERM_WRITE) ? 'W' : '-';
    buf[2] = (perm & RMQ_PERM_INHERIT) ? 'X' : '-';
    buf[3] = '\0';
    return buf;
}

/* The broker name whose addresses include addr (CommandUtil.fetchBrokerNameByAddr). */
static int broker_name_of_addr(rmq_admin_t *a, const char *addr, char **name, char *err,
                               size_t errlen)
{
    rmq_cluster_info_t ci;
    int rc = rmq_admin_cluster_info(a, &ci, err, errlen);
    if (rc != 0)
        return rc;
    *name = NULL;
    for (size_t i = 0; i < ci.nbrokers && !*name; i++)
        for (size_t k = 0; k < ci.brokers[i].naddrs && !*name; k++)
            if (strcmp(ci.brokers[i].addrs[k].addr, addr) == 0)
                *name = rmq_strdup(ci.brokers[i].broker_name);
    rmq_cluster_info_free(&ci);
    if (!*name) {
        snprintf(err, errlen, "no broker with address %s in the cluster info", addr);
        return ROCKETMQ_ERR__NOT_FOUND;
    }
    return 0;
}

/* The broker names of a cluster, sorted. */
static int cluster_broker_names(rmq_admin_t *a, const char *cluster, char ***names, size_t *n,
                                char *err, size_t errlen)
{
    rmq_cluster_info_t ci;
    int rc = rmq_admin_cluster_info(a, &ci, err, errlen);
    if (rc != 0)
        return rc;
    *names = NULL;
    *n = 0;
    for (size_t c = 0; c < ci.nclusters; c++) {
        if (strcmp(ci.clusters[c].cluster, cluster) != 0)
            continue;
        for (size_t b = 0; b < ci.clusters[c].nbroker_names; b++) {
            *names = rmq_realloc(*names, (*n + 1) * sizeof(char *));
            (*names)[(*n)++] = rmq_strdup(ci.clusters[c].broker_names[b]);
        }
    }
    rmq_cluster_info_free(&ci);
    if (*n == 0) {
        snprintf(err, errlen, "cluster %s not found", cluster);
        return ROCKETMQ_ERR__NOT_FOUND;
    }
    qsort(*names, *n, sizeof(char *), cmp_strp);
    return 0;
}

/* PUT_KV_CONFIG to every name server (MQClientAPIImpl.putKVConfigValue). */
static int put_kv_all(rmq_cli_t *cli, rmq_admin_t *a, const char *ns, const char *key,
                      const char *value, char *err, size_t errlen)
{
    char **addrs;
    size_t n = cli_namesrv_list(cli, &addrs);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_PUT_KV_CONFIG);
        rmq_kv_req_t h = {ns, key, value};
        rmq_header_encode(&rmq_put_kv_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        rc = cli_call_ok(a, "name server", addrs[i], req, &resp, err, errlen);
        rmq_cmd_free(resp);
    }
    cli_strv_free(addrs, n);
    return rc;
}

/* DefaultMQAdminExtImpl.createOrUpdateOrderConf(topic, "broker:N", false):
 * the broker's entry replaces its old one in the topic's order conf. */
static int merge_order_conf(rmq_admin_t *a, const char *topic, const char *broker_name,
                            const char *entry, rmq_buf_t *out, char *err, size_t errlen)
{
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_KV_CONFIG);
    rmq_kv_req_t h = {NS_ORDER_TOPIC_CONFIG, topic, NULL};
    rmq_header_encode(&rmq_kv_key_req_desc, &h, &req->ext);
    rmq_cmd_t *resp = NULL;
    int rc = rmq_admin_namesrv(a, req, &resp, err, errlen);
    if (rc != 0)
        return rc;
    const char *old = resp->code == 0 ? rmq_ext_get(&resp->ext, "value") : NULL;
    size_t blen = strlen(broker_name);
    bool replaced = false;
    for (const char *p = old; p && *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            if (out->len > 0)
                rmq_buf_append_str(out, ";");
            if (len >= blen && strncmp(p, broker_name, blen) == 0 &&
                (len == blen || p[blen] == ':')) {
                rmq_buf_append_str(out, entry);
                replaced = true;
            } else {
                rmq_buf_append(out, p, len);
            }
        }
        p = end ? end + 1 : p + len;
    }
    if (!replaced) {
        if (out->len > 0)
            rmq_buf_append_str(out, ";");
        rmq_buf_append_str(out, entry);
    }
    rmq_cmd_free(resp);
    return 0;
}

static int cmd_update_topic(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t longopts[] = {
        {"brokerAddr", 1, 'b'},    {"clusterName", 1, 'c'},    {"topic", 1, 't'},
        {"readQueueNums", 1, 'r'}, {"writeQueueNums", 1, 'w'}, {"perm", 1, 'p'},
        {"order", 1, 'o'},         {"unit", 1, 'u'},           {"hasUnitSub", 1, 's'},
        {NULL, 0, 0},
    };
    const char *broker = NULL, *cluster = NULL, *topic = NULL, *arg;
    int32_t rq = 8, wq = 8, perm = RMQ_PERM_READ | RMQ_PERM_WRITE;
    bool order = false, unit = false, unit_sub = false;
    int c, rc = 0;
    while ((c = cli_getopt(cli, argc, argv, "b:c:t:r:w:p:o:u:s:", longopts, &arg)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case 'b': broker = arg; break;
        case 'c': cluster = arg; break;
        case 't': topic = arg; break;
        case 'r': rc = parse_i32(cli, 'r', arg, 1, 65536, &rq); break;
        case 'w': rc = parse_i32(cli, 'w', arg, 1, 65536, &wq); break;
        case 'p': rc = parse_i32(cli, 'p', arg, 0, 15, &perm); break;
        case 'o': rc = parse_bool(cli, 'o', arg, &order); break;
        case 'u': rc = parse_bool(cli, 'u', arg, &unit); break;
        case 's': rc = parse_bool(cli, 's', arg, &unit_sub); break;
        default: return RMQ_EXIT_USAGE;
        }
        if (rc != 0)
            return RMQ_EXIT_USAGE;
    }
    if (cli_no_operands(cli, argc, argv) != 0)
        return RMQ_EXIT_USAGE;
    if (!topic || !*topic)
        return cli_usage(cli, "-t TOPIC is required");
    if ((broker != NULL) == (cluster != NULL))
        return cli_usage(cli, "give exactly one of -b BROKER_ADDR and -c CLUSTER");
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;

    char err[ERRLEN];
    char **addrs;
    size_t naddrs;
    if (cli_target_addrs(cli, a, broker, cluster, true, &addrs, &naddrs) != 0)
        return RMQ_EXIT_FAIL;

    /* TopicSysFlag.buildSysFlag(unit, hasUnitSub) */
    int32_t sysflag = (unit ? 0x1 : 0) | (unit_sub ? 0x2 : 0);
    rmq_create_topic_req_t h = {
        .topic = topic,
        .defaultTopic = AUTO_CREATE_TOPIC,
        .readQueueNums = rq,
        .writeQueueNums = wq,
        .perm = perm,
        .topicFilterType = "SINGLE_TAG",
        .topicSysFlag = sysflag,
        .has_topicSysFlag = true,
        .order = order,
    };
    rmq_buf_t lines = RMQ_BUF_INIT; /* the text output, printed once all succeeded */
    rmq_buf_t order_conf = RMQ_BUF_INIT;
    json_t *jbrokers = json_array();
    for (size_t i = 0; i < naddrs && rc == 0; i++) {
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_UPDATE_AND_CREATE_TOPIC);
        rmq_header_encode(&rmq_create_topic_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        rc = broker_ok(a, addrs[i], req, &resp, err, sizeof(err));
        rmq_cmd_free(resp);
        if (rc != 0)
            break;
        json_array_append_new(jbrokers, json_string(addrs[i]));
        if (cluster)
            rmq_buf_printf(&lines, "create topic to %s success.\n", addrs[i]);
    }
    /* Order topics: the name servers' ORDER_TOPIC_CONFIG entry, "broker:N[;..]". */
    if (rc == 0 && order) {
        char entry[512] = "";
        if (broker) {
            char *bname = NULL;
            rc = broker_name_of_addr(a, broker, &bname, err, sizeof(err));
            if (rc == 0) {
                snprintf(entry, sizeof(entry), "%s:%" PRId32, bname, wq);
                rc = merge_order_conf(a, topic, bname, entry, &order_conf, err, sizeof(err));
                free(bname);
            }
        } else {
            char **names = NULL;
            size_t nn = 0;
            rc = cluster_broker_names(a, cluster, &names, &nn, err, sizeof(err));
            for (size_t i = 0; rc == 0 && i < nn; i++)
                rmq_buf_printf(&order_conf, "%s%s:%" PRId32, i ? ";" : "", names[i], wq);
            cli_strv_free(names, nn);
        }
        if (rc == 0)
            rc = put_kv_all(cli, a, NS_ORDER_TOPIC_CONFIG, topic, rmq_buf_cstr(&order_conf), err,
                            sizeof(err));
        /* mqadmin shows the broker's own entry with -b, the whole value with -c */
        if (rc == 0)
            rmq_buf_printf(&lines, "set %s orderConf. isOrder=true, orderConf=[%s]\n",
                           broker ? "broker" : "cluster",
                           broker ? entry : rmq_buf_cstr(&order_conf));
    }
    if (rc == 0 && broker)
        rmq_buf_printf(&lines, "create topic to %s success.\n", broker);

    if (rc != 0) {
        cli_fail(cli, "%s", cli_first_line(err));
    } else if (cli->json) {
        json_t *tc = json_pack("{s:s,s:i,s:i,s:i,s:s,s:i,s:b}", "topicName", topic,
                               "readQueueNums", (int)rq, "writeQueueNums", (int)wq, "perm",
                               (int)perm, "topicFilterType", "SINGLE_TAG", "topicSysFlag",
                               (int)sysflag, "order", order);
        json_t *out = json_pack("{s:O,s:o}", "brokers", jbrokers, "topicConfig", tc);
        if (order)
            json_object_set_new(out, "orderConf", json_string(rmq_buf_cstr(&order_conf)));
        cli_json_print(out);
    } else {
        char pbuf[4];
        fputs(rmq_buf_cstr(&lines), stdout);
        printf("TopicConfig [topicName=%s, readQueueNums=%" PRId32 ", writeQueueNums=%" PRId32
               ", perm=%s, topicFilterType=SINGLE_TAG, topicSysFlag=%" PRId32 ", order=%s]\n",
               topic, rq, wq, perm_str(perm, pbuf), sysflag, order ? "true" : "false");
    }
    json_decref(jbrokers);
    rmq_buf_free(&lines);
    rmq_buf_free(&order_conf);
    cli_strv_free(addrs, naddrs);
    return rc == 0 ? RMQ_EXIT_OK : RMQ_EXIT_FAIL;
}

/* ---- deleteTopic ---- */

static int cmd_delete_topic(rmq_cli_t *cli, int argc, char **argv)
{
    const char *topic, *cluster;
    const cli_str_opt_t opts[] = {
        {'t', "topic", &topic, "TOPIC"},
        {'c', "clusterName", &cluster, "CLUSTER"},
    };
    rmq_admin_t *a;
    int parsed = cli_parse_str_opts(cli, argc, argv, opts, sizeof(opts) / sizeof(opts[0]), &a);
    if (parsed >= 0)
        return parsed;

    char err[ERRLEN];
    char **addrs;
    size_t naddrs;
    if (cli_target_addrs(cli, a, NULL, cluster, false, &addrs, &naddrs) != 0)
        return RMQ_EXIT_FAIL;
    int rc = 0;
    json_t *jbrokers = json_array(), *jns = json_array();
    for (size_t i = 0; i < naddrs && rc == 0; i++) {
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_DELETE_TOPIC_IN_BROKER);
        rmq_topic_req_t h = {topic};
        rmq_header_encode(&rmq_delete_topic_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        rc = broker_ok(a, addrs[i], req, &resp, err, sizeof(err));
        rmq_cmd_free(resp);
        if (rc == 0)
            json_array_append_new(jbrokers, json_string(addrs[i]));
    }
    cli_strv_free(addrs, naddrs);
    if (rc == 0 && !cli->json)
        printf("delete topic [%s] from cluster [%s] success.\n", topic, cluster);

    /* Then every name server (DeleteTopicSubCommand.deleteTopic). */
    char **ns = NULL;
    size_t nns = rc == 0 ? cli_namesrv_list(cli, &ns) : 0;
    for (size_t i = 0; i < nns && rc == 0; i++) {
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_DELETE_TOPIC_IN_NAMESRV);
        rmq_delete_topic_ns_req_t h = {topic, cluster};
        rmq_header_encode(&rmq_delete_topic_ns_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        rc = cli_call_ok(a, "name server", ns[i], req, &resp, err, sizeof(err));
        rmq_cmd_free(resp);
        if (rc == 0)
            json_array_append_new(jns, json_string(ns[i]));
    }
    cli_strv_free(ns, nns);
    if (rc != 0) {
        json_decref(jbrokers);
        json_decref(jns);
        return cli_fail(cli, "%s", cli_first_line(err));
    }
    if (cli->json) {
        cli_json_print(json_pack("{s:s,s:s,s:o,s:o}", "topic", topic, "clusterName", cluster,
                                 "brokers", jbrokers, "nameServers", jns));
    } else {
        printf("delete topic [%s] from NameServer success.\n", topic);
        json_decref(jbrokers);
        json_decref(jns);
    }
    return RMQ_EXIT_OK;
}

/* ---- topicList ---- */

/* QUERY_TOPIC_CONSUME_BY_WHO at addr: the groups, or none when the broker
 * does not answer it (rmq-broker does not; mqadmin ignores the failure too). */
static size_t consumed_by(rmq_admin_t *a, const char *addr, const char *topic, char ***groups)
{
    *groups = NULL;
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_QUERY_TOPIC_CONSUME_BY_WHO);
    rmq_ext_set(&req->ext, "topic", topic);
    rmq_cmd_t *resp = NULL;
    char err[ERRLEN];
    if (broker_ok(a, addr, req, &resp, err, sizeof(err)) != 0)
        return 0;
    size_t n = 0;
    json_t *j = rmq_json_loads(resp->body, resp->body_len, err, sizeof(err));
    json_t *list = j ? json_object_get(j, "groupList") : NULL;
    size_t i;
    json_t *g;
    json_array_foreach(list, i, g)
    {
        if (!json_is_string(g))
            continue;
        *groups = rmq_realloc(*groups, (n + 1) * sizeof(char *));
        (*groups)[n++] = rmq_strdup(json_string_value(g));
    }
    json_decref(j);
    rmq_cmd_free(resp);
    if (n > 1)
        qsort(*groups, n, sizeof(char *), cmp_strp);
    return n;
}

static int cmd_topic_list(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t longopts[] = {
        {"clusterModel", 0, 'c'},
        {NULL, 0, 0},
    };
    bool cluster_mode = false;
    const char *arg;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "c", longopts, &arg)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case 'c': cluster_mode = true; break;
        default: return RMQ_EXIT_USAGE;
        }
    }
    if (cli_no_operands(cli, argc, argv) != 0)
        return RMQ_EXIT_USAGE;
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;

    char err[ERRLEN];
    rmq_cluster_info_t ci;
    memset(&ci, 0, sizeof(ci));
    if (cluster_mode && rmq_admin_cluster_info(a, &ci, err, sizeof(err)) != 0)
        return cli_fail(cli, "%s", cli_first_line(err));
    rmq_cmd_t *resp = NULL;
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
    int rc = rmq_admin_namesrv_ok(a, req, &resp, err, sizeof(err));
    rmq_topic_list_t tl;
    memset(&tl, 0, sizeof(tl));
    if (rc == 0) {
        rc = rmq_topic_list_decode(resp->body, resp->body_len, &tl, err, sizeof(err));
        rmq_cmd_free(resp);
    }
    if (rc != 0) {
        rmq_cluster_info_free(&ci);
        return cli_fail(cli, "%s", cli_first_line(err));
    }
    qsort(tl.topics, tl.ntopics, sizeof(char *), cmp_strp);

    if (!cluster_mode) {
        if (cli->json) {
            json_t *arr = json_array();
            for (size_t i = 0; i < tl.ntopics; i++)
                json_array_append_new(arr, json_string(tl.topics[i]));
            cli_json_print(arr);
        } else {
            for (size_t i = 0; i < tl.ntopics; i++)
                printf("%s\n", tl.topics[i]);
        }
        rmq_topic_list_free(&tl);
        return RMQ_EXIT_OK;
    }

    /* -c: cluster, topic and consumer groups, retry and DLQ topics left out. */
    static const char *const headers[] = {"#Cluster Name", "#Topic", "#Consumer Group", NULL};
    cli_table_t *t = cli->json ? NULL : cli_table_new(headers);
    json_t *arr = cli->json ? json_array() : NULL;
    for (size_t i = 0; i < tl.ntopics; i++) {
        const char *topic = tl.topics[i];
        if (strncmp(topic, RETRY_PREFIX, strlen(RETRY_PREFIX)) == 0 ||
            strncmp(topic, DLQ_PREFIX, strlen(DLQ_PREFIX)) == 0)
            continue;
        const char *cluster = NULL;
        char **groups = NULL;
        size_t ngroups = 0;
        rmq_topic_route_t route;
        if (rmq_admin_topic_route(a, topic, &route, err, sizeof(err)) == 0) {
            if (route.nbroker_datas > 0)
                cluster = cluster_of(&ci, route.broker_datas[0].broker_name);
            for (size_t b = 0; b < route.nbroker_datas && ngroups == 0; b++) {
                const char *addr = cli_select_addr(&route.broker_datas[b]);
                if (addr) {
                    ngroups = consumed_by(a, addr, topic, &groups);
                    break;
                }
            }
            rmq_topic_route_free(&route);
        }
        for (size_t g = 0; g < (ngroups ? ngroups : 1); g++) {
            const char *group = ngroups ? groups[g] : "";
            if (t)
                cli_table_row(t, cluster ? cluster : "", topic, group);
            else
                json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "clusterName",
                                                     cluster ? cluster : "", "topic", topic,
                                                     "consumerGroup", group));
        }
        cli_strv_free(groups, ngroups);
    }
    if (t)
        cli_table_print(cli, t);
    else
        cli_json_print(arr);
    rmq_topic_list_free(&tl);
    rmq_cluster_info_free(&ci);
    return RMQ_EXIT_OK;
}

/* ---- topicRoute ---- */

static int cmd_topic_route(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t longopts[] = {
        {"topic", 1, 't'},
        {"list", 0, 'l'},
        {NULL, 0, 0},
    };
    const char *topic = NULL, *arg;
    bool list = false;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "t:l", longopts, &arg)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case 't': topic = arg; break;
        case 'l': list = true; break;
        default: return RMQ_EXIT_USAGE;
        }
    }
    if (cli_no_operands(cli, argc, argv) != 0)
        return RMQ_EXIT_USAGE;
    if (!topic || !*topic)
        return cli_usage(cli, "-t TOPIC is required");
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    rmq_topic_route_t route;
    if (cli_topic_route(cli, a, topic, &route) != 0)
        return RMQ_EXIT_FAIL;

    if (list && !cli->json) {
        /* TopicRouteSubCommand -l: one row per broker, sorted by name, and totals. */
        static const char *const headers[] = {"#ClusterName", "#BrokerName", "#BrokerAddrs",
                                              "#ReadQueue",   "#WriteQueue", "#Perm",
                                              NULL};
        cli_table_t *t = cli_table_new(headers);
        rmq_broker_data_t **bds = rmq_calloc(route.nbroker_datas + 1, sizeof(*bds));
        for (size_t i = 0; i < route.nbroker_datas; i++)
            bds[i] = &route.broker_datas[i];
        for (size_t i = 1; i < route.nbroker_datas; i++)
            for (size_t k = i; k > 0 && strcmp(bds[k - 1]->broker_name, bds[k]->broker_name) > 0;
                 k--) {
                rmq_broker_data_t *x = bds[k];
                bds[k] = bds[k - 1];
                bds[k - 1] = x;
            }
        int64_t total_r = 0, total_w = 0;
        for (size_t i = 0; i < route.nbroker_datas; i++) {
            const rmq_queue_data_t *qd = NULL;
            for (size_t q = 0; q < route.nqueue_datas; q++)
                if (strcmp(route.queue_datas[q].broker_name, bds[i]->broker_name) == 0)
                    qd = &route.queue_datas[q];
            rmq_buf_t addrs = RMQ_BUF_INIT; /* HashMap.toString: {0=ip:port, 1=...} */
            rmq_buf_append_str(&addrs, "{");
            for (size_t k = 0; k < bds[i]->naddrs; k++)
                rmq_buf_printf(&addrs, "%s%" PRId64 "=%s", k ? ", " : "",
                               bds[i]->addrs[k].broker_id, bds[i]->addrs[k].addr);
            rmq_buf_append_str(&addrs, "}");
            char r[16] = "", w[16] = "", p[16] = "";
            if (qd) {
                snprintf(r, sizeof(r), "%" PRId32, qd->read_queue_nums);
                snprintf(w, sizeof(w), "%" PRId32, qd->write_queue_nums);
                snprintf(p, sizeof(p), "%" PRId32, qd->perm);
                total_r += qd->read_queue_nums;
                total_w += qd->write_queue_nums;
            }
            cli_table_row(t, bds[i]->cluster ? bds[i]->cluster : "", bds[i]->broker_name,
                          rmq_buf_cstr(&addrs), r, w, p);
            rmq_buf_free(&addrs);
        }
        free(bds);
        char nb[24], tr[24], tw[24];
        snprintf(nb, sizeof(nb), "%zu", route.nqueue_datas);
        snprintf(tr, sizeof(tr), "%" PRId64, total_r);
        snprintf(tw, sizeof(tw), "%" PRId64, total_w);
        cli_table_row(t, "Total:", nb, "", tr, tw, "");
        cli_table_print(cli, t);
    } else {
        /* TopicRouteData.toJson(true): the route as JSON, indented. */
        rmq_buf_t b = RMQ_BUF_INIT;
        rmq_topic_route_encode(&route, &b);
        char err[ERRLEN];
        json_t *j = rmq_json_loads(b.data, b.len, err, sizeof(err));
        rmq_buf_free(&b);
        if (!j) {
            rmq_topic_route_free(&route);
            return cli_fail(cli, "%s", err);
        }
        if (cli->json) {
            cli_json_print(j);
        } else {
            char *s = json_dumps(j, JSON_INDENT(4) | JSON_SORT_KEYS);
            if (s)
                printf("%s\n", s);
            free(s);
            json_decref(j);
        }
    }
    rmq_topic_route_free(&route);
    return RMQ_EXIT_OK;
}

/* ---- topicStatus ---- */

static int cmp_offset(const void *x, const void *y)
{
    const rmq_topic_offset_t *a = x, *b = y;
    return rmq_message_queue_cmp(&a->mq, &b->mq);
}

/* UtilAll.timeMillisToHumanString2: local time "yyyy-MM-dd HH:mm:ss,SSS". */
static void human_time(int64_t ms, char *out, size_t n)
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&sec, &tm);
    snprintf(out, n, "%04d-%02d-%02d %02d:%02d:%02d,%03d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static int cmd_topic_status(rmq_cli_t *cli, int argc, char **argv)
{
    const char *topic;
    rmq_admin_t *a;
    int parsed = cli_parse_one_str_opt(cli, argc, argv, (cli_str_opt_t){'t', "topic", &topic, "TOPIC"}, &a);
    if (parsed >= 0)
        return parsed;
    rmq_topic_route_t route;
    if (cli_topic_route(cli, a, topic, &route) != 0)
        return RMQ_EXIT_FAIL;

    /* DefaultMQAdminExtImpl.examineTopicStats: every broker of the route. */
    char err[ERRLEN];
    int rc = 0;
    rmq_topic_stats_t all;
    memset(&all, 0, sizeof(all));
    for (size_t b = 0; b < route.nbroker_datas && rc == 0; b++) {
        const char *addr = cli_select_addr(&route.broker_datas[b]);
        if (!addr)
            continue;
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_TOPIC_STATS_INFO);
        rmq_topic_req_t h = {topic};
        rmq_header_encode(&rmq_get_topic_stats_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        rc = broker_ok(a, addr, req, &resp, err, sizeof(err));
        if (rc != 0)
            break;
        rmq_topic_stats_t ts;
        rc = rmq_topic_stats_decode(resp->body, resp->body_len, &ts, err, sizeof(err));
        rmq_cmd_free(resp);
        if (rc != 0)
            break;
        all.entries = rmq_realloc(all.entries, (all.n + ts.n + 1) * sizeof(*all.entries));
        memcpy(all.entries + all.n, ts.entries, ts.n * sizeof(*ts.entries));
        all.n += ts.n;
        free(ts.entries); /* the strings moved to all */
    }
    rmq_topic_route_free(&route);
    if (rc == 0 && all.n == 0) {
        snprintf(err, sizeof(err), "no topic stats for %s on its brokers", topic);
        rc = ROCKETMQ_ERR__NOT_FOUND;
    }
    if (rc != 0) {
        rmq_topic_stats_free(&all);
        return cli_fail(cli, "%s", cli_first_line(err));
    }
    qsort(all.entries, all.n, sizeof(*all.entries), cmp_offset);

    if (cli->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < all.n; i++) {
            const rmq_topic_offset_t *o = &all.entries[i];
            json_array_append_new(
                arr, json_pack("{s:s,s:i,s:I,s:I,s:I}", "brokerName", o->mq.broker_name, "queueId",
                               (int)o->mq.queue_id, "minOffset", (json_int_t)o->min_offset,
                               "maxOffset", (json_int_t)o->max_offset, "lastUpdateTimestamp",
                               (json_int_t)o->last_update_timestamp));
        }
        cli_json_print(arr);
    } else {
        static const char *const headers[] = {"#Broker Name", "#QID", "#Min Offset",
                                              "#Max Offset", "#Last Updated", NULL};
        cli_table_t *t = cli_table_new(headers);
        for (size_t i = 0; i < all.n; i++) {
            const rmq_topic_offset_t *o = &all.entries[i];
            char qid[16], mn[24], mx[24], when[40] = "";
            snprintf(qid, sizeof(qid), "%" PRId32, o->mq.queue_id);
            snprintf(mn, sizeof(mn), "%" PRId64, o->min_offset);
            snprintf(mx, sizeof(mx), "%" PRId64, o->max_offset);
            if (o->last_update_timestamp > 0)
                human_time(o->last_update_timestamp, when, sizeof(when));
            cli_table_row(t, o->mq.broker_name, qid, mn, mx, when);
        }
        cli_table_print(cli, t);
    }
    rmq_topic_stats_free(&all);
    return RMQ_EXIT_OK;
}

/* ---- topicClusterList ---- */

static int cmd_topic_cluster_list(rmq_cli_t *cli, int argc, char **argv)
{
    const char *topic;
    rmq_admin_t *a;
    int parsed = cli_parse_one_str_opt(cli, argc, argv, (cli_str_opt_t){'t', "topic", &topic, "TOPIC"}, &a);
    if (parsed >= 0)
        return parsed;
    char err[ERRLEN];
    rmq_cluster_info_t ci;
    if (rmq_admin_cluster_info(a, &ci, err, sizeof(err)) != 0)
        return cli_fail(cli, "%s", cli_first_line(err));
    rmq_topic_route_t route;
    if (cli_topic_route(cli, a, topic, &route) != 0) {
        rmq_cluster_info_free(&ci);
        return RMQ_EXIT_FAIL;
    }
    /* DefaultMQAdminExtImpl.getTopicClusterList: the clusters holding the
     * route's first broker. */
    json_t *arr = json_array();
    if (route.nbroker_datas > 0) {
        const char *bname = route.broker_datas[0].broker_name;
        for (size_t k = 0; k < ci.nclusters; k++)
            for (size_t b = 0; b < ci.clusters[k].nbroker_names; b++)
                if (strcmp(ci.clusters[k].broker_names[b], bname) == 0)
                    json_array_append_new(arr, json_string(ci.clusters[k].cluster));
    }
    if (cli->json) {
        cli_json_print(arr);
    } else {
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v)
        {
            printf("%s\n", json_string_value(v));
        }
        json_decref(arr);
    }
    rmq_topic_route_free(&route);
    rmq_cluster_info_free(&ci);
    return RMQ_EXIT_OK;
}

const rmq_command_t rmq_cmds_topic[] = {
    {"updateTopic", "Update or create topic",
     "usage: rmq updateTopic (-b BROKER_ADDR | -c CLUSTER) -t TOPIC [-r N] [-w N] [-p PERM]\n"
     "                       [-o true|false] [-u true|false] [-s true|false] [-n NAMESRV]\n"
     "\n"
     "  -b, --brokerAddr ADDR      create the topic on this broker (ip:port)\n"
     "  -c, --clusterName NAME     create it on every master of this cluster\n"
     "  -t, --topic TOPIC          topic name\n"
     "  -r, --readQueueNums N      read queues (default 8)\n"
     "  -w, --writeQueueNums N     write queues (default 8)\n"
     "  -p, --perm PERM            permission: 2 W, 4 R, 6 RW (default 6)\n"
     "  -o, --order true|false     order topic: also writes the ORDER_TOPIC_CONFIG\n"
     "                             entry (brokerName:writeQueueNums) on every name server\n"
     "  -u, --unit true|false      unit topic (topicSysFlag bit 0)\n"
     "  -s, --hasUnitSub true|false  has unit subscription (topicSysFlag bit 1)\n"
     "\n"
     "Sends UPDATE_AND_CREATE_TOPIC to the broker(s); prints one line per broker and\n"
     "the TopicConfig.  --json: {\"brokers\":[..],\"topicConfig\":{..}} and with -o true\n"
     "\"orderConf\", the value now stored on the name servers.\n",
     cmd_update_topic},
    {"deleteTopic", "Delete topic from broker and NameServer",
     "usage: rmq deleteTopic -t TOPIC -c CLUSTER [-n NAMESRV]\n"
     "\n"
     "  -t, --topic TOPIC          topic name\n"
     "  -c, --clusterName NAME     delete it from every master of this cluster\n"
     "\n"
     "DELETE_TOPIC_IN_BROKER to each master of the cluster, then\n"
     "DELETE_TOPIC_IN_NAMESRV to every name server of -n.\n"
     "--json: {\"topic\":..,\"clusterName\":..,\"brokers\":[..],\"nameServers\":[..]}.\n",
     cmd_delete_topic},
    {"topicList", "Fetch all topic list from name server",
     "usage: rmq topicList [-c] [-n NAMESRV]\n"
     "\n"
     "  -c, --clusterModel         print cluster, topic and consumer group columns\n"
     "                             (retry and DLQ topics left out)\n"
     "\n"
     "One topic per line (sorted).  --json: an array of topic names, or with -c an\n"
     "array of {\"clusterName\",\"topic\",\"consumerGroup\"}.\n",
     cmd_topic_list},
    {"topicRoute", "Examine topic route info",
     "usage: rmq topicRoute -t TOPIC [-l] [-n NAMESRV]\n"
     "\n"
     "  -t, --topic TOPIC          topic name\n"
     "  -l, --list                 a table per broker (cluster, name, addresses,\n"
     "                             read/write queues, perm) with totals\n"
     "\n"
     "Prints the TopicRouteData as indented JSON; --json prints it compact.\n",
     cmd_topic_route},
    {"topicStatus", "Examine topic Status info",
     "usage: rmq topicStatus -t TOPIC [-n NAMESRV]\n"
     "\n"
     "  -t, --topic TOPIC          topic name\n"
     "\n"
     "Per queue: broker name, queue id, min offset, max offset, last update time\n"
     "(GET_TOPIC_STATS_INFO to each broker of the route).  --json: an array of\n"
     "{\"brokerName\",\"queueId\",\"minOffset\",\"maxOffset\",\"lastUpdateTimestamp\"}.\n",
     cmd_topic_status},
    {"topicClusterList", "get cluster info for topic",
     "usage: rmq topicClusterList -t TOPIC [-n NAMESRV]\n"
     "\n"
     "  -t, --topic TOPIC          topic name\n"
     "\n"
     "The clusters the topic is in, one per line.  --json: an array of names.\n",
     cmd_topic_cluster_list},
    {NULL, NULL, NULL, NULL},
};
