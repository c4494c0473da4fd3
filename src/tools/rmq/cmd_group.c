/* Consumer and producer groups: updateSubGroup, deleteSubGroup,
 * consumerProgress, consumerConnection, producerConnection and
 * resetOffsetByTime, with mqadmin's flags (4.9.8
 * tools/.../command/{consumer,connection,offset}) and its admin lookups
 * (DefaultMQAdminExtImpl: a group's brokers are those of its %RETRY% topic's
 * route). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/mem.h"
#include "base/num.h"
#include "protocol/codes.h"
#include "protocol/heartbeat.h"
#include "protocol/pull_headers.h"
#include "rocketmq/error.h"
#include "tools/rmq/cli.h"

/* MixAll.RETRY_GROUP_TOPIC_PREFIX / DLQ_GROUP_TOPIC_PREFIX */
#define RETRY_PREFIX "%RETRY%"
#define DLQ_PREFIX "%DLQ%"

extern const rmq_command_t rmq_cmds_group[];

/* ---- helpers ---- */

/* A timestamp flag: milliseconds, yyyy-MM-dd#HH:mm:ss:SSS, or "now" (-1)
 * when allowed. */
static int parse_timestamp(rmq_cli_t *cli, const char *flag, const char *v, bool allow_now,
                           int64_t *out)
{
    if (allow_now && strcmp(v, "now") == 0) {
        *out = -1;
        return 0;
    }
    int64_t x;
    if (rmq_parse_i64(v, &x) == 0 && x >= 0) {
        *out = x;
        return 0;
    }
    if (cli_parse_date_ms(v, out))
        return 0;
    return cli_usage(cli, "%s wants %smilliseconds or yyyy-MM-dd#HH:mm:ss:SSS, not '%s'", flag,
                     allow_now ? "now, " : "", v);
}

/* UtilAll.formatDate(.., "yyyy-MM-dd HH:mm:ss") in local time. */
static void fmt_time(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* MQVersion.getVersionDesc: the name of Version.values()[v].  Ordinals 0-15
 * are 3.0.0's pre-releases; from 16 on each release X_Y_Z is preceded by
 * X_Y_Z_SNAPSHOT, over these (major, minor, first patch, last patch) runs;
 * past the last one comes HIGHER_VERSION. */
static const char *version_desc(int v, char *out, size_t n)
{
    static const char *const first[16] = {
        "V3_0_0_SNAPSHOT",       "V3_0_0_ALPHA1", "V3_0_0_BETA1",          "V3_0_0_BETA2",
        "V3_0_0_BETA3",          "V3_0_0_BETA4",  "V3_0_0_BETA5",          "V3_0_0_BETA6_SNAPSHOT",
        "V3_0_0_BETA6",          "V3_0_0_BETA7_SNAPSHOT", "V3_0_0_BETA7",  "V3_0_0_BETA8_SNAPSHOT",
        "V3_0_0_BETA8",          "V3_0_0_BETA9_SNAPSHOT", "V3_0_0_BETA9",  "V3_0_0_FINAL",
    };
    static const struct {
        int major, minor, lo, hi;
    } runs[] = {
        {3, 0, 1, 15}, {3, 1, 0, 9}, {3, 2, 0, 9}, {3, 3, 1, 9}, {3, 4, 1, 9}, {3, 5, 1, 9},
        {3, 6, 1, 9},  {3, 7, 1, 9}, {3, 8, 1, 9}, {3, 9, 1, 9}, {4, 0, 0, 9}, {4, 1, 0, 9},
        {4, 2, 0, 9},  {4, 3, 0, 9}, {4, 4, 0, 9}, {4, 5, 0, 9}, {4, 6, 0, 9}, {4, 7, 0, 9},
        {4, 8, 0, 9},  {4, 9, 0, 9}, {5, 0, 0, 9}, {5, 1, 0, 9}, {5, 2, 0, 9}, {5, 3, 0, 9},
        {5, 4, 0, 9},  {5, 5, 0, 9}, {5, 6, 0, 9}, {5, 7, 0, 9}, {5, 8, 0, 9}, {5, 9, 0, 9},
    };
    if (v < 0) {
        snprintf(out, n, "%d", v);
        return out;
    }
    if (v < 16)
        return first[v];
    int k = v - 16;
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        int count = 2 * (runs[i].hi - runs[i].lo + 1);
        if (k < count) {
            snprintf(out, n, "V%d_%d_%d%s", runs[i].major, runs[i].minor, runs[i].lo + k / 2,
                     k % 2 == 0 ? "_SNAPSHOT" : "");
            return out;
        }
        k -= count;
    }
    return "HIGHER_VERSION";
}

/* The route of %RETRY%<group>: the brokers that know the group.  A group that
 * never had a consumer online has none. */
static int group_route(rmq_cli_t *cli, rmq_admin_t *a, const char *group, rmq_topic_route_t *r)
{
    char topic[512], err[512];
    snprintf(topic, sizeof(topic), "%s%s", RETRY_PREFIX, group);
    int rc = rmq_admin_topic_route(a, topic, r, err, sizeof(err));
    if (rc == ROCKETMQ_ERR_TOPIC_NOT_EXIST)
        return cli_fail(cli, "consumer group %s not found (no route of %s)", group, topic);
    if (rc != 0)
        return cli_fail(cli, "%s", err);
    return 0;
}

static void json_set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v ? json_string(v) : json_null());
}

/* ---- updateSubGroup ---- */

typedef struct subgroup {
    const char *group;
    bool consume_enable, from_min, broadcast, notify;
    int64_t retry_queues, retry_max, broker_id, slow_broker;
} subgroup_t;

/* SubscriptionGroupConfig as fastjson writes it (properties sorted). */
static json_t *subgroup_json(const subgroup_t *g)
{
    json_t *o = json_object();
    json_object_set_new(o, "brokerId", json_integer(g->broker_id));
    json_object_set_new(o, "consumeBroadcastEnable", json_boolean(g->broadcast));
    json_object_set_new(o, "consumeEnable", json_boolean(g->consume_enable));
    json_object_set_new(o, "consumeFromMinEnable", json_boolean(g->from_min));
    json_object_set_new(o, "groupName", json_string(g->group));
    json_object_set_new(o, "notifyConsumerIdsChangedEnable", json_boolean(g->notify));
    json_object_set_new(o, "retryMaxTimes", json_integer(g->retry_max));
    json_object_set_new(o, "retryQueueNums", json_integer(g->retry_queues));
    json_object_set_new(o, "whichBrokerWhenConsumeSlowly", json_integer(g->slow_broker));
    return o;
}

static int cmd_update_sub_group(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {
        {"brokerAddr", 1, 'b'},
        {"clusterName", 1, 'c'},
        {"groupName", 1, 'g'},
        {"consumeEnable", 1, 's'},
        {"consumeFromMinEnable", 1, 'm'},
        {"consumeBroadcastEnable", 1, 'd'},
        {"retryQueueNums", 1, 'q'},
        {"retryMaxTimes", 1, 'r'},
        {"brokerId", 1, 'i'},
        {"whichBrokerWhenConsumeSlowly", 1, 'w'},
        {"notifyConsumerIdsChanged", 1, 'a'},
        {NULL, 0, 0},
    };
    /* mqadmin's defaults: the class's, but no broadcast and not from min. */
    subgroup_t g = {NULL, true, false, false, true, 1, 16, 0, 1};
    const char *broker = NULL, *cluster = NULL, *v;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "b:c:g:s:m:d:q:r:i:w:a:", opts, &v)) != -1) {
        int bad = 0;
        switch (c) {
        case 'h': return cli_help(cli);
        case '?': return RMQ_EXIT_USAGE;
        case 'b': broker = v; break;
        case 'c': cluster = v; break;
        case 'g': g.group = v; break;
        case 's': bad = cli_parse_bool(cli, "-s", v, &g.consume_enable); break;
        case 'm': bad = cli_parse_bool(cli, "-m", v, &g.from_min); break;
        case 'd': bad = cli_parse_bool(cli, "-d", v, &g.broadcast); break;
        case 'a': bad = cli_parse_bool(cli, "-a", v, &g.notify); break;
        case 'q': bad = cli_parse_i64(cli, "-q", v, 0, INT32_MAX, &g.retry_queues); break;
        case 'r': bad = cli_parse_i64(cli, "-r", v, -1, INT32_MAX, &g.retry_max); break;
        case 'i': bad = cli_parse_i64(cli, "-i", v, 0, INT64_MAX, &g.broker_id); break;
        case 'w': bad = cli_parse_i64(cli, "-w", v, 0, INT64_MAX, &g.slow_broker); break;
        default: return cli_usage(cli, "unexpected option");
        }
        if (bad)
            return RMQ_EXIT_USAGE;
    }
    if (cli_no_operands(cli, argc, argv))
        return RMQ_EXIT_USAGE;
    if (!g.group || !*g.group)
        return cli_usage(cli, "-g GROUP is required");
    if (!broker == !cluster)
        return cli_usage(cli, "give one of -b BROKER_ADDR and -c CLUSTER");
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    char err[512];
    char **addrs;
    size_t naddrs;
    if (cli_target_addrs(cli, a, broker, cluster, true, &addrs, &naddrs) != 0)
        return RMQ_EXIT_FAIL;
    json_t *cfg = subgroup_json(&g);
    char *body = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *done = json_array();
    int failed = 0;
    char first_err[1024] = "";
    for (size_t i = 0; i < naddrs; i++) {
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
        rmq_cmd_set_body(req, body, strlen(body));
        rmq_cmd_t *resp = NULL;
        int rc = rmq_admin_broker_ok(a, addrs[i], req, &resp, err, sizeof(err));
        rmq_cmd_free(resp);
        if (rc != 0) {
            if (!failed++)
                snprintf(first_err, sizeof(first_err), "broker %s: %s", addrs[i], err);
            continue;
        }
        if (cli->json)
            json_array_append_new(done, json_string(addrs[i]));
        else
            printf("create subscription group to %s success.\n", addrs[i]);
    }
    free(body);
    cli_strv_free(addrs, naddrs);
    if (failed) {
        json_decref(cfg);
        json_decref(done);
        return cli_fail(cli, "%s%s", first_err, failed > 1 ? " (and more brokers failed)" : "");
    }
    if (cli->json) {
        json_t *o = json_object();
        json_object_set_new(o, "brokers", done);
        json_object_set_new(o, "config", cfg);
        cli_json_print(o);
    } else {
        json_decref(done);
        json_decref(cfg);
        printf("SubscriptionGroupConfig [groupName=%s, consumeEnable=%s, consumeFromMinEnable=%s, "
               "consumeBroadcastEnable=%s, retryQueueNums=%" PRId64 ", retryMaxTimes=%" PRId64
               ", brokerId=%" PRId64 ", whichBrokerWhenConsumeSlowly=%" PRId64
               ", notifyConsumerIdsChangedEnable=%s]\n",
               g.group, g.consume_enable ? "true" : "false", g.from_min ? "true" : "false",
               g.broadcast ? "true" : "false", g.retry_queues, g.retry_max, g.broker_id,
               g.slow_broker, g.notify ? "true" : "false");
    }
    return RMQ_EXIT_OK;
}

/* ---- deleteSubGroup ---- */

/* DeleteTopicSubCommand.deleteTopic: from the cluster's masters, then from
 * every name server. */
static int delete_topic_everywhere(rmq_cli_t *cli, rmq_admin_t *a, const char *cluster,
                                   char **masters, size_t nmasters, const char *topic,
                                   json_t *log)
{
    char err[512];
    for (size_t i = 0; i < nmasters; i++) {
        rmq_topic_req_t h = {topic};
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_DELETE_TOPIC_IN_BROKER);
        rmq_header_encode(&rmq_delete_topic_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        int rc = rmq_admin_broker_ok(a, masters[i], req, &resp, err, sizeof(err));
        rmq_cmd_free(resp);
        if (rc != 0)
            return cli_fail(cli, "deleting topic %s from broker %s: %s", topic, masters[i], err);
    }
    if (!cli->json)
        printf("delete topic [%s] from cluster [%s] success.\n", topic, cluster);
    char **ns = NULL;
    size_t nns = cli_namesrv_list(cli, &ns);
    for (size_t i = 0; i < nns; i++) {
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_DELETE_TOPIC_IN_NAMESRV);
        rmq_ext_set(&req->ext, "topic", topic);
        rmq_ext_set(&req->ext, "clusterName", cluster);
        rmq_cmd_t *resp = NULL;
        int rc = rmq_admin_broker_ok(a, ns[i], req, &resp, err, sizeof(err));
        rmq_cmd_free(resp);
        if (rc != 0) {
            cli_strv_free(ns, nns);
            return cli_fail(cli, "deleting topic %s from name server %s: %s", topic, ns[i], err);
        }
    }
    cli_strv_free(ns, nns);
    if (cli->json)
        json_array_append_new(log, json_string(topic));
    else
        printf("delete topic [%s] from NameServer success.\n", topic);
    return 0;
}

static int cmd_delete_sub_group(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {
        {"brokerAddr", 1, 'b'},
        {"clusterName", 1, 'c'},
        {"groupName", 1, 'g'},
        {"removeOffset", 1, 'r'},
        {NULL, 0, 0},
    };
    const char *broker = NULL, *cluster = NULL, *group = NULL, *v;
    bool remove_offset = false;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "b:c:g:r:", opts, &v)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case '?': return RMQ_EXIT_USAGE;
        case 'b': broker = v; break;
        case 'c': cluster = v; break;
        case 'g': group = v; break;
        case 'r':
            if (cli_parse_bool(cli, "-r", v, &remove_offset))
                return RMQ_EXIT_USAGE;
            break;
        default: return cli_usage(cli, "unexpected option");
        }
    }
    if (cli_no_operands(cli, argc, argv))
        return RMQ_EXIT_USAGE;
    if (!group || !*group)
        return cli_usage(cli, "-g GROUP is required");
    if (!broker == !cluster)
        return cli_usage(cli, "give one of -b BROKER_ADDR and -c CLUSTER");
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    char err[512];
    char **addrs;
    size_t naddrs;
    if (cli_target_addrs(cli, a, broker, cluster, false, &addrs, &naddrs) != 0)
        return RMQ_EXIT_FAIL;
    json_t *brokers = json_array(), *topics = json_array();
    int ret = RMQ_EXIT_OK;
    for (size_t i = 0; i < naddrs && ret == RMQ_EXIT_OK; i++) {
        rmq_delete_subgroup_req_t h = {group, remove_offset};
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_DELETE_SUBSCRIPTIONGROUP);
        rmq_header_encode(&rmq_delete_subgroup_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        int rc = rmq_admin_broker_ok(a, addrs[i], req, &resp, err, sizeof(err));
        rmq_cmd_free(resp);
        if (rc != 0) {
            ret = cli_fail(cli, "broker %s: %s", addrs[i], err);
            break;
        }
        if (cli->json)
            json_array_append_new(brokers, json_string(addrs[i]));
        else if (cluster)
            printf("delete subscription group [%s] from broker [%s] in cluster [%s] success.\n",
                   group, addrs[i], cluster);
        else
            printf("delete subscription group [%s] from broker [%s] success.\n", group, addrs[i]);
    }
    /* With -c mqadmin also removes the group's retry and dead-letter topics. */
    if (ret == RMQ_EXIT_OK && cluster) {
        const char *prefixes[] = {RETRY_PREFIX, DLQ_PREFIX};
        for (size_t p = 0; p < 2 && ret == RMQ_EXIT_OK; p++) {
            char topic[512];
            snprintf(topic, sizeof(topic), "%s%s", prefixes[p], group);
            ret = delete_topic_everywhere(cli, a, cluster, addrs, naddrs, topic, topics);
        }
    }
    cli_strv_free(addrs, naddrs);
    if (ret == RMQ_EXIT_OK && cli->json) {
        json_t *o = json_object();
        json_object_set_new(o, "group", json_string(group));
        json_object_set_new(o, "removeOffset", json_boolean(remove_offset));
        json_object_set_new(o, "brokers", brokers);
        json_object_set_new(o, "deletedTopics", topics);
        cli_json_print(o);
    } else {
        json_decref(brokers);
        json_decref(topics);
    }
    return ret;
}

/* ---- consume stats and connections (DefaultMQAdminExtImpl) ---- */

/* examineConsumeStats: GET_CONSUME_STATS from every broker of the group's
 * route, merged and sorted.  0, or an error code with err set. */
static int examine_consume_stats(rmq_admin_t *a, const rmq_topic_route_t *route, const char *group,
                                 const char *topic, rmq_consume_stats_t *out, char *err,
                                 size_t errlen)
{
    memset(out, 0, sizeof(*out));
    for (size_t b = 0; b < route->nbroker_datas; b++) {
        const char *addr = cli_select_addr(&route->broker_datas[b]);
        if (!addr)
            continue;
        rmq_get_consume_stats_req_t h = {group, topic};
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_CONSUME_STATS);
        rmq_header_encode(&rmq_get_consume_stats_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        int rc = rmq_admin_broker_ok(a, addr, req, &resp, err, errlen);
        if (rc != 0) {
            rmq_consume_stats_free(out);
            char tmp[512];
            snprintf(tmp, sizeof(tmp), "broker %s: %s", addr, err);
            snprintf(err, errlen, "%s", tmp);
            return rc;
        }
        rmq_consume_stats_t one;
        rc = rmq_consume_stats_decode(resp->body, resp->body_len, &one, err, errlen);
        rmq_cmd_free(resp);
        if (rc != 0) {
            rmq_consume_stats_free(out);
            return rc;
        }
        out->consume_tps += one.consume_tps;
        if (one.n > 0) {
            out->entries = rmq_realloc(out->entries, (out->n + one.n) * sizeof(*out->entries));
            memcpy(out->entries + out->n, one.entries, one.n * sizeof(*one.entries));
            out->n += one.n;
        }
        free(one.entries); /* the strings moved to out */
    }
    if (out->n == 0) {
        snprintf(err, errlen,
                 "no consume stats for group %s%s%s: no broker has offsets of it (has it consumed "
                 "anything?)",
                 group, topic ? " on topic " : "", topic ? topic : "");
        return ROCKETMQ_ERR_CONSUMER_NOT_ONLINE;
    }
    return 0;
}

static int cmp_wrapper(const void *x, const void *y)
{
    const rmq_offset_wrapper_t *a = x, *b = y;
    return rmq_message_queue_cmp(&a->mq, &b->mq);
}

/* examineConsumerConnectionInfo: GET_CONSUMER_CONNECTION_LIST from one
 * broker of the group's route (or from addr).  0, or an error with err. */
static int examine_consumer_connection(rmq_admin_t *a, const rmq_topic_route_t *route,
                                       const char *addr, const char *group,
                                       rmq_consumer_connection_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    for (size_t b = 0; !addr && route && b < route->nbroker_datas; b++)
        addr = cli_select_addr(&route->broker_datas[b]);
    if (!addr) {
        snprintf(err, errlen, "consumer group %s is not online (no broker)", group);
        return ROCKETMQ_ERR_CONSUMER_NOT_ONLINE;
    }
    rmq_consumer_group_req_t h = {group};
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_CONSUMER_CONNECTION_LIST);
    rmq_header_encode(&rmq_get_consumer_connection_req_desc, &h, &req->ext);
    rmq_cmd_t *resp = NULL;
    int rc = rmq_admin_broker(a, addr, req, &resp, err, errlen);
    if (rc != 0)
        return rc;
    if (resp->code == ROCKETMQ_ERR_CONSUMER_NOT_ONLINE) {
        rmq_cmd_free(resp);
        snprintf(err, errlen, "consumer group %s is not online", group);
        return ROCKETMQ_ERR_CONSUMER_NOT_ONLINE;
    }
    if (resp->code != 0) {
        snprintf(err, errlen, "broker %s: CODE: %d DESC: %s", addr, resp->code,
                 cli_or_empty(resp->remark));
        rc = resp->code;
        rmq_cmd_free(resp);
        return rc;
    }
    rc = rmq_consumer_connection_decode(resp->body, resp->body_len, out, err, errlen);
    rmq_cmd_free(resp);
    if (rc == 0 && out->nconns == 0) {
        rmq_consumer_connection_free(out);
        snprintf(err, errlen, "consumer group %s is not online", group);
        return ROCKETMQ_ERR_CONSUMER_NOT_ONLINE;
    }
    return rc;
}

/* getMessageQueueAllocationResult: which client holds each queue, from
 * GET_CONSUMER_RUNNING_INFO (relayed by the broker to each client).  Entries
 * stay NULL ("N/A") where a broker or client does not answer it. */
static void queue_owners(rmq_admin_t *a, const rmq_topic_route_t *route, const char *group,
                         const rmq_consume_stats_t *cs, char **owners)
{
    rmq_consumer_connection_t cc;
    char err[512];
    if (examine_consumer_connection(a, route, NULL, group, &cc, err, sizeof(err)) != 0)
        return;
    const char *addr = NULL;
    for (size_t b = 0; !addr && b < route->nbroker_datas; b++)
        addr = cli_select_addr(&route->broker_datas[b]);
    for (size_t c = 0; addr && c < cc.nconns; c++) {
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_CONSUMER_RUNNING_INFO);
        rmq_ext_set(&req->ext, "consumerGroup", group);
        rmq_ext_set(&req->ext, "clientId", cc.conns[c].client_id);
        rmq_ext_set(&req->ext, "jstackEnable", "false");
        rmq_cmd_t *resp = NULL;
        if (rmq_admin_broker_ok(a, addr, req, &resp, err, sizeof(err)) != 0)
            continue;
        json_t *info = rmq_json_loads(resp->body, resp->body_len, err, sizeof(err));
        rmq_cmd_free(resp);
        json_t *table = info ? json_object_get(info, "mqTable") : NULL;
        const char *key;
        json_t *val;
        char ip[256];
        snprintf(ip, sizeof(ip), "%s", cc.conns[c].client_id);
        char *at = strchr(ip, '@');
        if (at)
            *at = '\0';
        json_object_foreach(table, key, val) {
            json_t *kj = json_loads(key, 0, NULL);
            rmq_message_queue_t mq;
            if (kj && rmq_message_queue_from_json(kj, &mq, err, sizeof(err)) == 0) {
                for (size_t i = 0; i < cs->n; i++) {
                    if (rmq_message_queue_cmp(&mq, &cs->entries[i].mq) == 0) {
                        free(owners[i]);
                        owners[i] = rmq_strdup(ip);
                    }
                }
                rmq_message_queue_free(&mq);
            }
            json_decref(kj);
        }
        json_decref(info);
    }
    rmq_consumer_connection_free(&cc);
}

/* ---- consumerProgress ---- */

static int progress_of_group(rmq_cli_t *cli, rmq_admin_t *a, const char *group, const char *topic,
                             bool show_ip)
{
    rmq_topic_route_t route;
    if (group_route(cli, a, group, &route) != 0)
        return RMQ_EXIT_FAIL;
    rmq_consume_stats_t cs;
    char err[512];
    int rc = examine_consume_stats(a, &route, group, topic, &cs, err, sizeof(err));
    if (rc != 0) {
        rmq_topic_route_free(&route);
        return cli_fail(cli, "%s", err);
    }
    qsort(cs.entries, cs.n, sizeof(*cs.entries), cmp_wrapper);
    char **owners = rmq_calloc(cs.n ? cs.n : 1, sizeof(char *));
    if (show_ip)
        queue_owners(a, &route, group, &cs, owners);
    rmq_topic_route_free(&route);

    int64_t diff_total = 0;
    json_t *queues = json_array();
    static const char *const hdr[] = {"#Topic",           "#Broker Name", "#QID",
                                      "#Broker Offset",   "#Consumer Offset", "#Diff",
                                      "#LastTime",        NULL};
    static const char *const hdr_ip[] = {"#Topic",          "#Broker Name", "#QID",
                                         "#Broker Offset",  "#Consumer Offset", "#Client IP",
                                         "#Diff",           "#LastTime",        NULL};
    cli_table_t *t = cli->json ? NULL : cli_table_new(show_ip ? hdr_ip : hdr);
    for (size_t i = 0; i < cs.n; i++) {
        const rmq_offset_wrapper_t *w = &cs.entries[i];
        int64_t diff = w->broker_offset - w->consumer_offset;
        diff_total += diff;
        char last[64];
        if (w->last_timestamp == 0)
            snprintf(last, sizeof(last), "N/A");
        else
            fmt_time(w->last_timestamp, last, sizeof(last));
        const char *ip = owners[i] ? owners[i] : "N/A";
        if (cli->json) {
            json_t *o = json_object();
            json_object_set_new(o, "topic", json_string(w->mq.topic));
            json_object_set_new(o, "brokerName", json_string(w->mq.broker_name));
            json_object_set_new(o, "queueId", json_integer(w->mq.queue_id));
            json_object_set_new(o, "brokerOffset", json_integer(w->broker_offset));
            json_object_set_new(o, "consumerOffset", json_integer(w->consumer_offset));
            if (show_ip)
                json_set_str(o, "clientIp", owners[i]);
            json_object_set_new(o, "diff", json_integer(diff));
            json_object_set_new(o, "lastTimestamp", json_integer(w->last_timestamp));
            json_array_append_new(queues, o);
            continue;
        }
        char qid[16], bo[24], co[24], df[24];
        snprintf(qid, sizeof(qid), "%d", w->mq.queue_id);
        snprintf(bo, sizeof(bo), "%" PRId64, w->broker_offset);
        snprintf(co, sizeof(co), "%" PRId64, w->consumer_offset);
        snprintf(df, sizeof(df), "%" PRId64, diff);
        if (show_ip)
            cli_table_row(t, w->mq.topic, w->mq.broker_name, qid, bo, co, ip, df, last);
        else
            cli_table_row(t, w->mq.topic, w->mq.broker_name, qid, bo, co, df, last);
    }
    if (cli->json) {
        json_t *o = json_object();
        json_object_set_new(o, "group", json_string(group));
        json_object_set_new(o, "queues", queues);
        json_object_set_new(o, "consumeTps", json_real(cs.consume_tps));
        json_object_set_new(o, "diffTotal", json_integer(diff_total));
        cli_json_print(o);
    } else {
        json_decref(queues);
        cli_table_print(cli, t);
        printf("\nConsume TPS: %.2f\nDiff Total: %" PRId64 "\n", cs.consume_tps, diff_total);
    }
    for (size_t i = 0; i < cs.n; i++)
        free(owners[i]);
    free(owners);
    rmq_consume_stats_free(&cs);
    return RMQ_EXIT_OK;
}

/* Without -g: every group that has a %RETRY% topic, with its consumers. */
static int progress_of_all(rmq_cli_t *cli, rmq_admin_t *a)
{
    char err[512];
    rmq_cmd_t *resp = NULL;
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
    int rc = rmq_admin_namesrv_ok(a, req, &resp, err, sizeof(err));
    if (rc != 0)
        return cli_fail(cli, "%s", err);
    rmq_topic_list_t tl;
    rc = rmq_topic_list_decode(resp->body, resp->body_len, &tl, err, sizeof(err));
    rmq_cmd_free(resp);
    if (rc != 0)
        return cli_fail(cli, "%s", err);
    static const char *const hdr[] = {"#Group", "#Count", "#Version",    "#Type",
                                      "#Model", "#TPS",   "#Diff Total", NULL};
    cli_table_t *t = cli->json ? NULL : cli_table_new(hdr);
    json_t *arr = json_array();
    size_t plen = strlen(RETRY_PREFIX);
    for (size_t i = 0; i < tl.ntopics; i++) {
        if (strncmp(tl.topics[i], RETRY_PREFIX, plen) != 0)
            continue;
        const char *group = tl.topics[i] + plen;
        rmq_topic_route_t route;
        if (rmq_admin_topic_route(a, tl.topics[i], &route, err, sizeof(err)) != 0)
            continue;
        rmq_consume_stats_t cs;
        double tps = 0;
        int64_t diff = 0;
        if (examine_consume_stats(a, &route, group, NULL, &cs, err, sizeof(err)) == 0) {
            tps = cs.consume_tps;
            for (size_t k = 0; k < cs.n; k++)
                diff += cs.entries[k].broker_offset - cs.entries[k].consumer_offset;
            rmq_consume_stats_free(&cs);
        }
        rmq_consumer_connection_t cc;
        size_t count = 0;
        char version[32] = "OFFLINE";
        const char *type = "", *model = "";
        if (examine_consumer_connection(a, &route, NULL, group, &cc, err, sizeof(err)) == 0) {
            count = cc.nconns;
            int min = INT32_MAX;
            for (size_t k = 0; k < cc.nconns; k++)
                if (cc.conns[k].version < min)
                    min = cc.conns[k].version;
            char vb[32];
            snprintf(version, sizeof(version), "%s", version_desc(min, vb, sizeof(vb)));
            type = cc.consume_type == RMQ_CONSUME_ACTIVELY ? "PULL" : "PUSH";
            if (cc.consume_type == RMQ_CONSUME_PASSIVELY)
                model = cli_or_empty(rmq_message_model_name(cc.message_model));
            rmq_consumer_connection_free(&cc);
        }
        rmq_topic_route_free(&route);
        if (cli->json) {
            json_t *o = json_object();
            json_object_set_new(o, "group", json_string(group));
            json_object_set_new(o, "count", json_integer((json_int_t)count));
            json_object_set_new(o, "version", json_string(version));
            json_object_set_new(o, "type", json_string(type));
            json_object_set_new(o, "model", json_string(model));
            json_object_set_new(o, "tps", json_integer((int)tps));
            json_object_set_new(o, "diffTotal", json_integer(diff));
            json_array_append_new(arr, o);
            continue;
        }
        char cnt[24], tp[24], df[24];
        snprintf(cnt, sizeof(cnt), "%zu", count);
        snprintf(tp, sizeof(tp), "%d", (int)tps);
        snprintf(df, sizeof(df), "%" PRId64, diff);
        cli_table_row(t, group, cnt, version, type, model, tp, df);
    }
    rmq_topic_list_free(&tl);
    if (cli->json) {
        cli_json_print(arr);
    } else {
        json_decref(arr);
        cli_table_print(cli, t);
    }
    return RMQ_EXIT_OK;
}

static int cmd_consumer_progress(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {
        {"groupName", 1, 'g'},
        {"topicName", 1, 't'},
        {"showClientIP", 1, 's'},
        {NULL, 0, 0},
    };
    const char *group = NULL, *topic = NULL, *v;
    bool show_ip = false;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "g:t:s:", opts, &v)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case '?': return RMQ_EXIT_USAGE;
        case 'g': group = v; break;
        case 't': topic = v; break;
        case 's':
            if (cli_parse_bool(cli, "-s", v, &show_ip))
                return RMQ_EXIT_USAGE;
            break;
        default: return cli_usage(cli, "unexpected option");
        }
    }
    if (cli_no_operands(cli, argc, argv))
        return RMQ_EXIT_USAGE;
    if (topic && !group)
        return cli_usage(cli, "-t TOPIC needs -g GROUP");
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    return group ? progress_of_group(cli, a, group, topic, show_ip) : progress_of_all(cli, a);
}

/* ---- consumerConnection ---- */

static int cmd_consumer_connection(rmq_cli_t *cli, int argc, char **argv)
{
    const char *group, *broker;
    const cli_str_opt_t opts[] = {
        {'g', "consumerGroup", &group, "GROUP"},
        {'b', "brokerAddr", &broker, NULL},
    };
    rmq_admin_t *a;
    int parsed = cli_parse_str_opts(cli, argc, argv, opts, sizeof(opts) / sizeof(opts[0]), &a);
    if (parsed >= 0)
        return parsed;
    rmq_topic_route_t route;
    bool have_route = false;
    if (!broker) {
        if (group_route(cli, a, group, &route) != 0)
            return RMQ_EXIT_FAIL;
        have_route = true;
    }
    rmq_consumer_connection_t cc;
    char err[512];
    int rc = examine_consumer_connection(a, have_route ? &route : NULL, broker, group, &cc, err,
                                         sizeof(err));
    if (have_route)
        rmq_topic_route_free(&route);
    if (rc != 0)
        return cli_fail(cli, "%s", err);
    const char *type = cli_or_empty(rmq_consume_type_name(cc.consume_type));
    const char *model = cli_or_empty(rmq_message_model_name(cc.message_model));
    const char *from = cli_or_empty(rmq_consume_from_where_name(cc.consume_from_where));
    char vb[32];
    if (cli->json) {
        json_t *o = json_object(), *conns = json_array(), *subs = json_array();
        for (size_t i = 0; i < cc.nconns; i++) {
            json_t *x = json_object();
            json_set_str(x, "clientId", cc.conns[i].client_id);
            json_set_str(x, "clientAddr", cc.conns[i].client_addr);
            json_object_set_new(x, "language",
                                json_string(rmq_language_name(cc.conns[i].language)));
            json_object_set_new(x, "version",
                                json_string(version_desc(cc.conns[i].version, vb, sizeof(vb))));
            json_array_append_new(conns, x);
        }
        for (size_t i = 0; i < cc.nsubs; i++) {
            json_t *x = json_object();
            json_set_str(x, "topic", cc.subs[i].topic);
            json_set_str(x, "subExpression", cc.subs[i].sub_string);
            json_set_str(x, "expressionType", cc.subs[i].expression_type);
            json_array_append_new(subs, x);
        }
        json_object_set_new(o, "group", json_string(group));
        json_object_set_new(o, "connections", conns);
        json_object_set_new(o, "subscriptions", subs);
        json_object_set_new(o, "consumeType", json_string(type));
        json_object_set_new(o, "messageModel", json_string(model));
        json_object_set_new(o, "consumeFromWhere", json_string(from));
        cli_json_print(o);
    } else {
        static const char *const hc[] = {"#ClientId", "#ClientAddr", "#Language", "#Version",
                                         NULL};
        cli_table_t *t = cli_table_new(hc);
        for (size_t i = 0; i < cc.nconns; i++)
            cli_table_row(t, cli_or_empty(cc.conns[i].client_id), cli_or_empty(cc.conns[i].client_addr),
                          rmq_language_name(cc.conns[i].language),
                          version_desc(cc.conns[i].version, vb, sizeof(vb)));
        cli_table_print(cli, t);
        printf("\nBelow is subscription:\n");
        static const char *const hs[] = {"#Topic", "#SubExpression", NULL};
        t = cli_table_new(hs);
        for (size_t i = 0; i < cc.nsubs; i++)
            cli_table_row(t, cli_or_empty(cc.subs[i].topic), cli_or_empty(cc.subs[i].sub_string));
        cli_table_print(cli, t);
        printf("\nConsumeType: %s\nMessageModel: %s\nConsumeFromWhere: %s\n", type, model, from);
    }
    rmq_consumer_connection_free(&cc);
    return RMQ_EXIT_OK;
}

/* ---- producerConnection ---- */

static int cmd_producer_connection(rmq_cli_t *cli, int argc, char **argv)
{
    const char *group, *topic;
    const cli_str_opt_t opts[] = {
        {'g', "producerGroup", &group, NULL},
        {'t', "topic", &topic, NULL},
    };
    int parsed = cli_parse_str_opts(cli, argc, argv, opts, sizeof(opts) / sizeof(opts[0]), NULL);
    if (parsed >= 0)
        return parsed;
    if (!group || !*group || !topic || !*topic)
        return cli_usage(cli, "-g PRODUCER_GROUP and -t TOPIC are required");
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    rmq_topic_route_t route;
    if (cli_topic_route(cli, a, topic, &route) != 0)
        return RMQ_EXIT_FAIL;
    char addr[256] = "";
    for (size_t b = 0; !addr[0] && b < route.nbroker_datas; b++) {
        const char *x = cli_select_addr(&route.broker_datas[b]);
        if (x)
            snprintf(addr, sizeof(addr), "%s", x);
    }
    rmq_topic_route_free(&route);
    if (!addr[0])
        return cli_fail(cli, "topic %s has no broker", topic);
    rmq_producer_group_req_t h = {group};
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_PRODUCER_CONNECTION_LIST);
    rmq_header_encode(&rmq_get_producer_connection_req_desc, &h, &req->ext);
    rmq_cmd_t *resp = NULL;
    char err[512];
    int rc = rmq_admin_broker(a, addr, req, &resp, err, sizeof(err));
    if (rc != 0)
        return cli_fail(cli, "%s", err);
    if (resp->code != 0) {
        /* Java's broker and ours: SYSTEM_ERROR "the producer group[g] not exist" */
        int code = resp->code;
        char remark[256];
        snprintf(remark, sizeof(remark), "%s", cli_or_empty(resp->remark));
        rmq_cmd_free(resp);
        if (code == ROCKETMQ_ERR_SYSTEM_ERROR && strstr(remark, "not exist"))
            return cli_fail(cli, "producer group %s is not online (broker %s)", group, addr);
        return cli_fail(cli, "broker %s: CODE: %d DESC: %s", addr, code, remark);
    }
    rmq_producer_connection_t pc;
    rc = rmq_producer_connection_decode(resp->body, resp->body_len, &pc, err, sizeof(err));
    rmq_cmd_free(resp);
    if (rc != 0)
        return cli_fail(cli, "%s", err);
    if (pc.nconns == 0) {
        rmq_producer_connection_free(&pc);
        return cli_fail(cli, "producer group %s is not online (broker %s)", group, addr);
    }
    if (cli->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < pc.nconns; i++) {
            char vb[32];
            json_t *o = json_object();
            json_set_str(o, "clientId", pc.conns[i].client_id);
            json_set_str(o, "clientAddr", pc.conns[i].client_addr);
            json_object_set_new(o, "language",
                                json_string(rmq_language_name(pc.conns[i].language)));
            json_object_set_new(o, "version",
                                json_string(version_desc(pc.conns[i].version, vb, sizeof(vb))));
            json_array_append_new(arr, o);
        }
        rmq_producer_connection_free(&pc);
        cli_json_print(arr);
        return RMQ_EXIT_OK;
    }
    static const char *const hdr[] = {"#No", "#ClientId", "#ClientAddr", "#Language", "#Version",
                                      NULL};
    cli_table_t *t = cli_table_new(hdr);
    for (size_t i = 0; i < pc.nconns; i++) {
        char no[24], vb[32];
        snprintf(no, sizeof(no), "%04zu", i + 1);
        cli_table_row(t, no, cli_or_empty(pc.conns[i].client_id), cli_or_empty(pc.conns[i].client_addr),
                      rmq_language_name(pc.conns[i].language),
                      version_desc(pc.conns[i].version, vb, sizeof(vb)));
    }
    rmq_producer_connection_free(&pc);
    cli_table_print(cli, t);
    return RMQ_EXIT_OK;
}

/* ---- resetOffsetByTime ---- */

typedef struct reset_row {
    char *broker_name;
    int32_t queue_id;
    int64_t broker_offset, consumer_offset, timestamp_offset, rollback_offset;
} reset_row_t;

typedef struct reset_rows {
    reset_row_t *v;
    size_t n;
} reset_rows_t;

static void rows_add(reset_rows_t *r, const char *broker, int32_t qid, int64_t bo, int64_t co,
                     int64_t to, int64_t ro)
{
    r->v = rmq_realloc(r->v, (r->n + 1) * sizeof(*r->v));
    r->v[r->n++] = (reset_row_t){rmq_strdup(broker), qid, bo, co, to, ro};
}

static void rows_free(reset_rows_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].broker_name);
    free(r->v);
}

static int cmp_row(const void *x, const void *y)
{
    const reset_row_t *a = x, *b = y;
    int c = strcmp(a->broker_name, b->broker_name);
    return c ? c : (a->queue_id > b->queue_id) - (a->queue_id < b->queue_id);
}

/* One offset request (GET_MAX_OFFSET / SEARCH_OFFSET_BY_TIMESTAMP) to addr. */
static int queue_offset(rmq_admin_t *a, const char *addr, const char *topic, int32_t qid,
                        int64_t timestamp, int64_t *out, char *err, size_t errlen)
{
    rmq_cmd_t *req;
    if (timestamp < 0) {
        rmq_queue_req_t h = {topic, qid};
        req = rmq_cmd_new_request(RMQ_REQ_GET_MAX_OFFSET);
        rmq_header_encode(&rmq_get_max_offset_req_desc, &h, &req->ext);
    } else {
        rmq_search_offset_req_t h = {topic, qid, timestamp};
        req = rmq_cmd_new_request(RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP);
        rmq_header_encode(&rmq_search_offset_req_desc, &h, &req->ext);
    }
    return cli_broker_offset(a, addr, req, out, err, errlen);
}

/* resetOffsetConsumeOffset: the offset at timestamp, written when forced or
 * when it goes back. */
static int reset_queue(rmq_admin_t *a, const char *addr, const char *group,
                       const rmq_message_queue_t *mq, int64_t bo, int64_t co, int64_t timestamp,
                       bool force, reset_rows_t *rows, char *err, size_t errlen)
{
    int64_t to = 0;
    int rc = queue_offset(a, addr, mq->topic, mq->queue_id, timestamp, &to, err, errlen);
    if (rc != 0)
        return rc;
    int64_t ro = co;
    if (force || to <= co) {
        ro = to;
        rmq_update_consumer_offset_req_t h = {group, mq->topic, mq->queue_id, to};
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_UPDATE_CONSUMER_OFFSET);
        rmq_header_encode(&rmq_update_consumer_offset_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        rc = rmq_admin_broker_ok(a, addr, req, &resp, err, errlen);
        rmq_cmd_free(resp);
        if (rc != 0)
            return rc;
    }
    rows_add(rows, mq->broker_name, mq->queue_id, bo, co, to, ro);
    return 0;
}

/* resetOffsetByTimestampOld: per queue, at each master of the topic. */
static int reset_by_offsets(rmq_admin_t *a, const rmq_topic_route_t *route, const char *group,
                            const char *topic, int64_t timestamp, bool force, reset_rows_t *rows,
                            char *err, size_t errlen)
{
    for (size_t b = 0; b < route->nbroker_datas; b++) {
        const rmq_broker_data_t *bd = &route->broker_datas[b];
        const char *addr = cli_select_addr(bd);
        if (!addr)
            continue;
        int32_t nread = 0;
        for (size_t q = 0; q < route->nqueue_datas; q++)
            if (strcmp(route->queue_datas[q].broker_name, bd->broker_name) == 0)
                nread = route->queue_datas[q].read_queue_nums;
        rmq_get_consume_stats_req_t h = {group, NULL};
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_CONSUME_STATS);
        rmq_header_encode(&rmq_get_consume_stats_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        int rc = rmq_admin_broker_ok(a, addr, req, &resp, err, errlen);
        if (rc != 0)
            return rc;
        rmq_consume_stats_t cs;
        rc = rmq_consume_stats_decode(resp->body, resp->body_len, &cs, err, errlen);
        rmq_cmd_free(resp);
        if (rc != 0)
            return rc;
        bool consumed = false;
        for (size_t i = 0; i < cs.n && rc == 0; i++) {
            const rmq_offset_wrapper_t *w = &cs.entries[i];
            if (strcmp(w->mq.topic, topic) != 0)
                continue;
            consumed = true;
            rc = reset_queue(a, addr, group, &w->mq, w->broker_offset, w->consumer_offset,
                             timestamp, force, rows, err, errlen);
        }
        rmq_consume_stats_free(&cs);
        if (rc != 0)
            return rc;
        if (consumed)
            continue;
        /* Never consumed here: every readable queue, from its min offset. */
        rmq_topic_req_t th = {topic};
        req = rmq_cmd_new_request(RMQ_REQ_GET_TOPIC_STATS_INFO);
        rmq_header_encode(&rmq_get_topic_stats_req_desc, &th, &req->ext);
        rc = rmq_admin_broker_ok(a, addr, req, &resp, err, errlen);
        if (rc != 0)
            return rc;
        rmq_topic_stats_t ts;
        rc = rmq_topic_stats_decode(resp->body, resp->body_len, &ts, err, errlen);
        rmq_cmd_free(resp);
        if (rc != 0)
            return rc;
        for (int32_t qid = 0; qid < nread && rc == 0; qid++) {
            int64_t bo = 0, co = 0;
            for (size_t k = 0; k < ts.n; k++) {
                if (ts.entries[k].mq.queue_id == qid &&
                    strcmp(ts.entries[k].mq.broker_name, bd->broker_name) == 0) {
                    bo = ts.entries[k].max_offset;
                    co = ts.entries[k].min_offset;
                }
            }
            rmq_message_queue_t mq = {(char *)topic, bd->broker_name, qid};
            rc = reset_queue(a, addr, group, &mq, bo, co, timestamp, force, rows, err, errlen);
        }
        rmq_topic_stats_free(&ts);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* resetOffsetByTimestamp: INVOKE_BROKER_TO_RESET_OFFSET (222) at every
 * master, which resets and tells the online consumers.  1 when a broker does
 * not support it or the group is not online there (then the per-queue way
 * is the one, as mqadmin falls back), 0 with the rows, or an error. */
static int reset_by_broker(rmq_admin_t *a, const rmq_topic_route_t *route, const char *group,
                           const char *topic, int64_t timestamp, bool force, bool cpp,
                           reset_rows_t *rows, char *err, size_t errlen)
{
    for (size_t b = 0; b < route->nbroker_datas; b++) {
        const char *addr = cli_select_addr(&route->broker_datas[b]);
        if (!addr)
            continue;
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_INVOKE_BROKER_TO_RESET_OFFSET);
        /* A CPP request makes a Java broker send the C++ body to the clients. */
        req->language = cpp ? RMQ_LANG_CPP : RMQ_LANG_JAVA;
        rmq_ext_set(&req->ext, "topic", topic);
        rmq_ext_set(&req->ext, "group", group);
        rmq_ext_set_i64(&req->ext, "timestamp", timestamp);
        rmq_ext_set_bool(&req->ext, "isForce", force);
        rmq_cmd_t *resp = NULL;
        int rc = rmq_admin_broker(a, addr, req, &resp, err, errlen);
        if (rc != 0)
            return rc;
        int code = resp->code;
        if (code == ROCKETMQ_ERR_REQUEST_CODE_NOT_SUPPORTED ||
            code == ROCKETMQ_ERR_CONSUMER_NOT_ONLINE) {
            rmq_cmd_free(resp);
            return 1;
        }
        if (code != 0) {
            snprintf(err, errlen, "broker %s: CODE: %d DESC: %s", addr, code,
                     cli_or_empty(resp->remark));
            rmq_cmd_free(resp);
            return code;
        }
        /* ResetOffsetBody: {"offsetTable":{MQ:offset}} */
        json_t *body = resp->body_len ? rmq_json_loads(resp->body, resp->body_len, err, errlen)
                                      : NULL;
        rmq_cmd_free(resp);
        json_t *table = body ? json_object_get(body, "offsetTable") : NULL;
        const char *key;
        json_t *val;
        json_object_foreach(table, key, val) {
            json_t *kj = json_loads(key, 0, NULL);
            rmq_message_queue_t mq;
            if (kj && json_is_integer(val) &&
                rmq_message_queue_from_json(kj, &mq, err, errlen) == 0) {
                int64_t off = json_integer_value(val);
                rows_add(rows, mq.broker_name, mq.queue_id, -1, -1, off, off);
                rmq_message_queue_free(&mq);
            }
            json_decref(kj);
        }
        json_decref(body);
    }
    return 0;
}

static int cmd_reset_offset_by_time(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {
        {"group", 1, 'g'}, {"topic", 1, 't'}, {"timestamp", 1, 's'},
        {"force", 1, 'f'}, {"cplus", 0, 'c'}, {NULL, 0, 0},
    };
    const char *group = NULL, *topic = NULL, *ts = NULL, *v;
    bool force = true, cpp = false;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "g:t:s:f:c", opts, &v)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case '?': return RMQ_EXIT_USAGE;
        case 'g': group = v; break;
        case 't': topic = v; break;
        case 's': ts = v; break;
        case 'c': cpp = true; break;
        case 'f':
            if (cli_parse_bool(cli, "-f", v, &force))
                return RMQ_EXIT_USAGE;
            break;
        default: return cli_usage(cli, "unexpected option");
        }
    }
    if (cli_no_operands(cli, argc, argv))
        return RMQ_EXIT_USAGE;
    if (!group || !*group || !topic || !*topic || !ts)
        return cli_usage(cli, "-g GROUP, -t TOPIC and -s TIMESTAMP are required");
    int64_t timestamp = 0;
    if (parse_timestamp(cli, "-s", ts, true, &timestamp) != 0)
        return RMQ_EXIT_USAGE;
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    rmq_topic_route_t route;
    if (cli_topic_route(cli, a, topic, &route) != 0)
        return RMQ_EXIT_FAIL;
    reset_rows_t rows = {NULL, 0};
    char err[512];
    int rc = reset_by_broker(a, &route, group, topic, timestamp, force, cpp, &rows, err,
                             sizeof(err));
    bool per_queue = rc == 1;
    if (per_queue) {
        rows_free(&rows);
        rows = (reset_rows_t){NULL, 0};
        rc = reset_by_offsets(a, &route, group, topic, timestamp, force, &rows, err, sizeof(err));
    }
    rmq_topic_route_free(&route);
    if (rc != 0) {
        rows_free(&rows);
        return cli_fail(cli, "%s", err);
    }
    if (rows.n > 1)
        qsort(rows.v, rows.n, sizeof(*rows.v), cmp_row);
    if (cli->json) {
        json_t *o = json_object(), *qs = json_array();
        json_object_set_new(o, "group", json_string(group));
        json_object_set_new(o, "topic", json_string(topic));
        json_object_set_new(o, "force", json_boolean(force));
        json_object_set_new(o, "timestamp", json_integer(timestamp));
        json_object_set_new(o, "method", json_string(per_queue ? "consumer-offsets" : "broker"));
        for (size_t i = 0; i < rows.n; i++) {
            const reset_row_t *r = &rows.v[i];
            json_t *x = json_object();
            json_object_set_new(x, "brokerName", json_string(r->broker_name));
            json_object_set_new(x, "queueId", json_integer(r->queue_id));
            if (per_queue) {
                json_object_set_new(x, "brokerOffset", json_integer(r->broker_offset));
                json_object_set_new(x, "consumerOffset", json_integer(r->consumer_offset));
                json_object_set_new(x, "timestampOffset", json_integer(r->timestamp_offset));
            }
            json_object_set_new(x, "offset", json_integer(r->rollback_offset));
            json_array_append_new(qs, x);
        }
        json_object_set_new(o, "queues", qs);
        cli_json_print(o);
        rows_free(&rows);
        return RMQ_EXIT_OK;
    }
    printf("rollback consumer offset by specified group[%s], topic[%s], force[%s], "
           "timestamp(string)[%s], timestamp(long)[%" PRId64 "]\n",
           group, topic, force ? "true" : "false", ts, timestamp);
    static const char *const h_broker[] = {"#brokerName", "#queueId", "#offset", NULL};
    static const char *const h_queue[] = {"#brokerName",     "#queueId",         "#brokerOffset",
                                          "#consumerOffset", "#timestampOffset", "#rollbackOffset",
                                          NULL};
    cli_table_t *t = cli_table_new(per_queue ? h_queue : h_broker);
    for (size_t i = 0; i < rows.n; i++) {
        const reset_row_t *r = &rows.v[i];
        char qid[16], bo[24], co[24], to[24], ro[24];
        snprintf(qid, sizeof(qid), "%d", r->queue_id);
        snprintf(bo, sizeof(bo), "%" PRId64, r->broker_offset);
        snprintf(co, sizeof(co), "%" PRId64, r->consumer_offset);
        snprintf(to, sizeof(to), "%" PRId64, r->timestamp_offset);
        snprintf(ro, sizeof(ro), "%" PRId64, r->rollback_offset);
        if (per_queue)
            cli_table_row(t, r->broker_name, qid, bo, co, to, ro);
        else
            cli_table_row(t, r->broker_name, qid, ro);
    }
    cli_table_print(cli, t);
    rows_free(&rows);
    return RMQ_EXIT_OK;
}

const rmq_command_t rmq_cmds_group[] = {
    {"updateSubGroup", "Update or create subscription group",
     "usage: rmq updateSubGroup (-b BROKER_ADDR | -c CLUSTER) -g GROUP [options]\n"
     "\n"
     "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP with the SubscriptionGroupConfig to one\n"
     "broker or to every master of a cluster.  Values as mqadmin's defaults unless given.\n"
     "\n"
     "  -b, --brokerAddr ADDR                 the broker (host:port)\n"
     "  -c, --clusterName NAME                every master broker of the cluster\n"
     "  -g, --groupName GROUP                 consumer group name (required)\n"
     "  -s, --consumeEnable true|false        consume enable (default true)\n"
     "  -m, --consumeFromMinEnable true|false from min offset (default false)\n"
     "  -d, --consumeBroadcastEnable true|false  broadcast (default false)\n"
     "  -q, --retryQueueNums N                retry queue nums (default 1)\n"
     "  -r, --retryMaxTimes N                 retry max times (default 16)\n"
     "  -i, --brokerId ID                     consume from which broker id (default 0)\n"
     "  -w, --whichBrokerWhenConsumeSlowly ID which broker id when consuming slowly (default 1)\n"
     "  -a, --notifyConsumerIdsChanged true|false  notify consumer id changes (default true)\n",
     cmd_update_sub_group},
    {"deleteSubGroup", "Delete subscription group from broker",
     "usage: rmq deleteSubGroup (-b BROKER_ADDR | -c CLUSTER) -g GROUP [-r true|false]\n"
     "\n"
     "DELETE_SUBSCRIPTIONGROUP on one broker or every master of a cluster; with -c the\n"
     "group's %RETRY% and %DLQ% topics are deleted too (brokers and name servers).\n"
     "\n"
     "  -b, --brokerAddr ADDR       the broker (host:port)\n"
     "  -c, --clusterName NAME      every master broker of the cluster\n"
     "  -g, --groupName GROUP       subscription group name (required)\n"
     "  -r, --removeOffset BOOL     also forget the group's consumer offsets (default false)\n",
     cmd_delete_sub_group},
    {"consumerProgress", "Query consumers' progress, speed",
     "usage: rmq consumerProgress [-g GROUP [-t TOPIC] [-s true|false]]\n"
     "\n"
     "With -g: GET_CONSUME_STATS from every broker of the group's %RETRY% route; one\n"
     "row per queue (Topic, Broker Name, QID, Broker Offset, Consumer Offset, Diff,\n"
     "LastTime), then Consume TPS and Diff Total.  Without -g: every group that has\n"
     "a %RETRY% topic, with its online consumers (Count, Version, Type, Model), TPS\n"
     "and Diff Total.\n"
     "\n"
     "  -g, --groupName GROUP       consumer group name\n"
     "  -t, --topicName TOPIC       only this topic of the group\n"
     "  -s, --showClientIP BOOL     add the Client IP column (which client holds each\n"
     "                              queue, from GET_CONSUMER_RUNNING_INFO; N/A where the\n"
     "                              broker or client does not answer it)\n",
     cmd_consumer_progress},
    {"consumerConnection", "Query consumer's socket connection, client version and subscription",
     "usage: rmq consumerConnection -g GROUP [-b BROKER_ADDR]\n"
     "\n"
     "GET_CONSUMER_CONNECTION_LIST from a broker of the group's %RETRY% route (or -b):\n"
     "the clients (ClientId, ClientAddr, Language, Version), the subscriptions, and\n"
     "ConsumeType / MessageModel / ConsumeFromWhere.\n"
     "\n"
     "  -g, --consumerGroup GROUP   consumer group name (required)\n"
     "  -b, --brokerAddr ADDR       ask this broker\n",
     cmd_consumer_connection},
    {"producerConnection", "Query producer's socket connection and client version",
     "usage: rmq producerConnection -g PRODUCER_GROUP -t TOPIC\n"
     "\n"
     "GET_PRODUCER_CONNECTION_LIST from a broker of the topic's route.\n"
     "\n"
     "  -g, --producerGroup GROUP   producer group name (required)\n"
     "  -t, --topic TOPIC           a topic the group sends to (required)\n",
     cmd_producer_connection},
    {"resetOffsetByTime", "Reset consumer offset by timestamp",
     "usage: rmq resetOffsetByTime -g GROUP -t TOPIC -s TIMESTAMP [-f true|false] [-c]\n"
     "\n"
     "Moves the group's consume offsets of every queue of the topic to the first\n"
     "message stored at or after TIMESTAMP.  First INVOKE_BROKER_TO_RESET_OFFSET is\n"
     "asked of each master (Apache RocketMQ brokers reset and tell the online\n"
     "consumers); where the broker does not support it (rmq-broker) or the group is\n"
     "not online, as mqadmin does, the offsets are written per queue:\n"
     "SEARCH_OFFSET_BY_TIMESTAMP (GET_MAX_OFFSET for now), then UPDATE_CONSUMER_OFFSET.\n"
     "Written that way, consumers that are running keep the offsets they hold in\n"
     "memory and commit them again: stop the group's consumers first, reset, then\n"
     "start them.\n"
     "\n"
     "  -g, --group GROUP           consumer group (required)\n"
     "  -t, --topic TOPIC           topic (required)\n"
     "  -s, --timestamp TS          now, milliseconds, or yyyy-MM-dd#HH:mm:ss:SSS (required)\n"
     "  -f, --force BOOL            also move offsets forward (default true); with false\n"
     "                              a queue only goes back\n"
     "  -c, --cplus                 the consumers are C++ clients (broker reset)\n",
     cmd_reset_offset_by_time},
    {NULL, NULL, NULL, NULL},
};
