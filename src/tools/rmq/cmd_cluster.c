/* Cluster, broker and name-server subcommands of rmq, after mqadmin's (4.9.8
 * tools/command/{cluster,broker,namesrv}): clusterList, brokerStatus,
 * getBrokerConfig, wipeWritePerm, getNamesrvConfig, updateKvConfig and
 * deleteKvConfig.  Text output follows mqadmin's lines and columns; --json
 * prints one document. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/time.h"
#include "protocol/bodies.h"
#include "protocol/codes.h"
#include "protocol/namesrv_headers.h"
#include "remoting/client.h"
#include "rocketmq/error.h"
#include "tools/rmq/cli.h"

#define ERRLEN 512

extern const rmq_command_t rmq_cmds_cluster[];

/* ---- helpers ---- */

static int cmp_strp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static const rmq_broker_data_t *find_broker(const rmq_cluster_info_t *ci, const char *name)
{
    for (size_t i = 0; i < ci->nbrokers; i++)
        if (strcmp(ci->brokers[i].broker_name, name) == 0)
            return &ci->brokers[i];
    return NULL;
}

static const rmq_cluster_entry_t *find_cluster(const rmq_cluster_info_t *ci, const char *name)
{
    for (size_t i = 0; i < ci->nclusters; i++)
        if (strcmp(ci->clusters[i].cluster, name) == 0)
            return &ci->clusters[i];
    return NULL;
}

/* Every address (masters and slaves) of a cluster's brokers, sorted
 * (CommandUtil.fetchMasterAndSlaveAddrByClusterName). */
static int cluster_all_addrs(rmq_admin_t *a, const char *cluster, char ***addrs, size_t *n,
                             char *err, size_t errlen)
{
    rmq_cluster_info_t ci;
    *addrs = NULL;
    *n = 0;
    int rc = rmq_admin_cluster_info(a, &ci, err, errlen);
    if (rc != 0)
        return rc;
    const rmq_cluster_entry_t *ce = find_cluster(&ci, cluster);
    for (size_t b = 0; ce && b < ce->nbroker_names; b++) {
        const rmq_broker_data_t *bd = find_broker(&ci, ce->broker_names[b]);
        for (size_t k = 0; bd && k < bd->naddrs; k++) {
            *addrs = rmq_realloc(*addrs, (*n + 1) * sizeof(char *));
            (*addrs)[(*n)++] = rmq_strdup(bd->addrs[k].addr);
        }
    }
    rmq_cluster_info_free(&ci);
    if (!ce) {
        snprintf(err, errlen, "cluster %s not found", cluster);
        return ROCKETMQ_ERR__NOT_FOUND;
    }
    if (*n > 1)
        qsort(*addrs, *n, sizeof(char *), cmp_strp);
    return 0;
}

/* GET_BROKER_RUNTIME_INFO: the KVTable (free with rmq_map_free(m, free)). */
static int runtime_info(rmq_admin_t *a, const char *addr, rmq_map_t **kv, char *err,
                        size_t errlen)
{
    rmq_cmd_t *resp = NULL;
    *kv = NULL;
    int rc = cli_call_ok(a, "broker", addr, rmq_cmd_new_request(RMQ_REQ_GET_BROKER_RUNTIME_INFO),
                     &resp, err, errlen);
    if (rc != 0)
        return rc;
    rc = rmq_kv_table_decode(resp->body, resp->body_len, kv, err, errlen);
    rmq_cmd_free(resp);
    return rc;
}

static const char *kv_str(const rmq_map_t *kv, const char *key)
{
    const char *v = kv ? rmq_smap_get(kv, key) : NULL;
    return v ? v : "";
}

static int64_t kv_i64(const rmq_map_t *kv, const char *key)
{
    return strtoll(kv_str(kv, key), NULL, 10);
}

/* The first field of "123.45 67.8 ..." (the TPS strings); 0 when absent. */
static double kv_first_double(const rmq_map_t *kv, const char *key)
{
    return strtod(kv_str(kv, key), NULL);
}

/* ---- properties text (Java Properties.load) into an ordered JSON object ---- */

static bool prop_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

/* Appends the code point as UTF-8. */
static void put_utf8(rmq_buf_t *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    }
    rmq_buf_append(b, u, n);
}

/* Unescapes s[0..n) (\t \n \r \f \uXXXX, \x is x) into b. */
static void prop_unescape(const char *s, size_t n, rmq_buf_t *b)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != '\\' || i + 1 >= n) {
            rmq_buf_append(b, &c, 1);
            continue;
        }
        c = s[++i];
        if (c == 'u' && i + 4 < n) {
            unsigned cp = 0;
            bool ok = true;
            for (int k = 1; k <= 4; k++) {
                char h = s[i + (size_t)k];
                cp <<= 4;
                if (h >= '0' && h <= '9')
                    cp |= (unsigned)(h - '0');
                else if (h >= 'a' && h <= 'f')
                    cp |= (unsigned)(h - 'a' + 10);
                else if (h >= 'A' && h <= 'F')
                    cp |= (unsigned)(h - 'A' + 10);
                else
                    ok = false;
            }
            if (ok) {
                put_utf8(b, cp);
                i += 4;
                continue;
            }
        }
        char out = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'f' ? '\f' : c;
        rmq_buf_append(b, &out, 1);
    }
}

/* One logical line (continuations joined, leading blanks gone) into obj. */
static void prop_line(const char *s, size_t n, json_t *obj)
{
    size_t k = 0;
    while (k < n) { /* the key ends at an unescaped '=', ':' or blank */
        if (s[k] == '\\') {
            k += 2;
            continue;
        }
        if (s[k] == '=' || s[k] == ':' || prop_ws(s[k]))
            break;
        k++;
    }
    if (k > n)
        k = n;
    size_t v = k;
    while (v < n && prop_ws(s[v]))
        v++;
    if (v < n && (s[v] == '=' || s[v] == ':'))
        v++;
    while (v < n && prop_ws(s[v]))
        v++;
    rmq_buf_t key = RMQ_BUF_INIT, val = RMQ_BUF_INIT;
    prop_unescape(s, k, &key);
    prop_unescape(s + v, n - v, &val);
    json_object_set_new(obj, rmq_buf_cstr(&key), json_string(rmq_buf_cstr(&val)));
    rmq_buf_free(&key);
    rmq_buf_free(&val);
}

static json_t *props_parse(const void *p, size_t n)
{
    json_t *obj = json_object();
    const char *s = p, *end = s + n;
    rmq_buf_t line = RMQ_BUF_INIT;
    bool cont = false;
    while (s && s < end) {
        const char *e = s;
        while (e < end && *e != '\n' && *e != '\r')
            e++;
        const char *b = s;
        while (b < e && prop_ws(*b))
            b++;
        s = e < end && *e == '\r' && e + 1 < end && e[1] == '\n' ? e + 2 : e + 1;
        if (!cont && (b == e || *b == '#' || *b == '!'))
            continue;
        /* an odd number of trailing backslashes continues the line */
        size_t bs = 0;
        while (e - (ptrdiff_t)bs > b && e[-(ptrdiff_t)bs - 1] == '\\')
            bs++;
        rmq_buf_append(&line, b, (size_t)(e - b) - (bs % 2));
        cont = bs % 2 == 1;
        if (!cont) {
            prop_line(line.data ? (const char *)line.data : "", line.len, obj);
            line.len = 0;
        }
    }
    if (line.len > 0)
        prop_line((const char *)line.data, line.len, obj);
    rmq_buf_free(&line);
    return obj;
}

/* "%-50s=  %s" per entry, as mqadmin prints Properties. */
static void props_print(const json_t *props)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)props, k, v)
    {
        printf("%-50s=  %s\n", k, json_string_value(v));
    }
}

/* ---- clusterList ---- */

static int cluster_list_once(rmq_cli_t *cli, rmq_admin_t *a, const char *only, bool more)
{
    char err[ERRLEN];
    rmq_cluster_info_t ci;
    if (rmq_admin_cluster_info(a, &ci, err, sizeof(err)) != 0)
        return cli_fail(cli, "%s", cli_first_line(err));
    if (only && !find_cluster(&ci, only)) {
        rmq_cluster_info_free(&ci);
        return cli_fail(cli, "cluster %s not found", only);
    }
    static const char *const base_headers[] = {
        "#Cluster Name", "#Broker Name",  "#BID",        "#Addr", "#Version",
        "#InTPS(LOAD)",  "#OutTPS(LOAD)", "#PCWait(ms)", "#Hour", "#SPACE",
        NULL,
    };
    static const char *const more_headers[] = {
        "#Cluster Name", "#Broker Name",   "#InTotalYest", "#OutTotalYest",
        "#InTotalToday", "#OutTotalToday", NULL,
    };
    cli_table_t *t = cli->json ? NULL : cli_table_new(more ? more_headers : base_headers);
    json_t *arr = cli->json ? json_array() : NULL;

    /* clusters by name, then their broker names sorted (TreeSet), then each
     * address by broker id */
    char **clusters = rmq_calloc(ci.nclusters + 1, sizeof(char *));
    for (size_t i = 0; i < ci.nclusters; i++)
        clusters[i] = ci.clusters[i].cluster;
    qsort(clusters, ci.nclusters, sizeof(char *), cmp_strp);
    for (size_t ic = 0; ic < ci.nclusters; ic++) {
        if (only && strcmp(clusters[ic], only) != 0)
            continue;
        const rmq_cluster_entry_t *ce = find_cluster(&ci, clusters[ic]);
        char **names = rmq_calloc(ce->nbroker_names + 1, sizeof(char *));
        memcpy(names, ce->broker_names, ce->nbroker_names * sizeof(char *));
        qsort(names, ce->nbroker_names, sizeof(char *), cmp_strp);
        for (size_t ib = 0; ib < ce->nbroker_names; ib++) {
            const rmq_broker_data_t *bd = find_broker(&ci, names[ib]);
            for (size_t k = 0; bd && k < bd->naddrs; k++) {
                const char *addr = bd->addrs[k].addr;
                rmq_map_t *kv = NULL;
                char kerr[ERRLEN] = "";
                if (runtime_info(a, addr, &kv, kerr, sizeof(kerr)) != 0)
                    kv = NULL; /* mqadmin prints the row with zeros */
                char bid[24];
                snprintf(bid, sizeof(bid), "%" PRId64, bd->addrs[k].broker_id);
                json_t *row = NULL;
                if (more) {
                    /* the day totals: today's morning minus yesterday's, now minus this morning */
                    int64_t in_yest = 0, out_yest = 0, in_today = 0, out_today = 0;
                    if (kv) {
                        in_yest = kv_i64(kv, "msgPutTotalTodayMorning") -
                                  kv_i64(kv, "msgPutTotalYesterdayMorning");
                        out_yest = kv_i64(kv, "msgGetTotalTodayMorning") -
                                   kv_i64(kv, "msgGetTotalYesterdayMorning");
                        in_today = kv_i64(kv, "msgPutTotalTodayNow") -
                                   kv_i64(kv, "msgPutTotalTodayMorning");
                        out_today = kv_i64(kv, "msgGetTotalTodayNow") -
                                    kv_i64(kv, "msgGetTotalTodayMorning");
                    }
                    if (t) {
                        char c1[24], c2[24], c3[24], c4[24];
                        snprintf(c1, sizeof(c1), "%" PRId64, in_yest);
                        snprintf(c2, sizeof(c2), "%" PRId64, out_yest);
                        snprintf(c3, sizeof(c3), "%" PRId64, in_today);
                        snprintf(c4, sizeof(c4), "%" PRId64, out_today);
                        cli_table_row(t, clusters[ic], names[ib], c1, c2, c3, c4);
                    } else {
                        row = json_pack("{s:s,s:s,s:I,s:s,s:I,s:I,s:I,s:I}", "clusterName",
                                        clusters[ic], "brokerName", names[ib], "brokerId",
                                        (json_int_t)bd->addrs[k].broker_id, "addr", addr,
                                        "inTotalYest", (json_int_t)in_yest, "outTotalYest",
                                        (json_int_t)out_yest, "inTotalToday", (json_int_t)in_today,
                                        "outTotalToday", (json_int_t)out_today);
                    }
                } else {
                    double in = kv_first_double(kv, "putTps");
                    double out = kv_first_double(kv, "getTransferedTps");
                    /* hours since the earliest stored message (none: 0) */
                    int64_t earliest = kv_i64(kv, "earliestMessageTimeStamp");
                    double hour = earliest > 0
                                      ? (double)(rmq_now_ms() - earliest) / 1000.0 / 3600.0
                                      : 0.0;
                    double space = strtod(kv_str(kv, "commitLogDiskRatio"), NULL);
                    if (t) {
                        char in_s[96], out_s[96], h_s[32], sp_s[32];
                        snprintf(in_s, sizeof(in_s), "%.2f(%s,%sms)", in,
                                 kv_str(kv, "sendThreadPoolQueueSize"),
                                 kv_str(kv, "sendThreadPoolQueueHeadWaitTimeMills"));
                        snprintf(out_s, sizeof(out_s), "%.2f(%s,%sms)", out,
                                 kv_str(kv, "pullThreadPoolQueueSize"),
                                 kv_str(kv, "pullThreadPoolQueueHeadWaitTimeMills"));
                        snprintf(h_s, sizeof(h_s), "%.2f", hour);
                        snprintf(sp_s, sizeof(sp_s), "%.4f", space);
                        cli_table_row(t, clusters[ic], names[ib], bid, addr,
                                      kv_str(kv, "brokerVersionDesc"), in_s, out_s,
                                      kv_str(kv, "pageCacheLockTimeMills"), h_s, sp_s);
                    } else {
                        row = json_pack(
                            "{s:s,s:s,s:I,s:s,s:s,s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:f,s:f}",
                            "clusterName", clusters[ic], "brokerName", names[ib], "brokerId",
                            (json_int_t)bd->addrs[k].broker_id, "addr", addr, "version",
                            kv_str(kv, "brokerVersionDesc"), "inTps", in, "outTps", out,
                            "sendThreadPoolQueueSize",
                            (json_int_t)kv_i64(kv, "sendThreadPoolQueueSize"),
                            "sendThreadPoolQueueHeadWaitTimeMills",
                            (json_int_t)kv_i64(kv, "sendThreadPoolQueueHeadWaitTimeMills"),
                            "pullThreadPoolQueueSize",
                            (json_int_t)kv_i64(kv, "pullThreadPoolQueueSize"),
                            "pullThreadPoolQueueHeadWaitTimeMills",
                            (json_int_t)kv_i64(kv, "pullThreadPoolQueueHeadWaitTimeMills"),
                            "pageCacheLockTimeMills",
                            (json_int_t)kv_i64(kv, "pageCacheLockTimeMills"), "hour", hour,
                            "space", space);
                    }
                }
                if (row) {
                    if (!kv)
                        json_object_set_new(row, "error", json_string(cli_first_line(kerr)));
                    json_array_append_new(arr, row);
                }
                if (kv)
                    rmq_map_free(kv, free);
            }
        }
        free(names);
    }
    free(clusters);
    rmq_cluster_info_free(&ci);
    if (t)
        cli_table_print(cli, t);
    else
        cli_json_print(arr);
    fflush(stdout);
    return RMQ_EXIT_OK;
}

static int cmd_cluster_list(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t longopts[] = {
        {"moreStats", 0, 'm'},
        {"interval", 1, 'i'},
        {"clusterName", 1, 'c'},
        {NULL, 0, 0},
    };
    const char *cluster = NULL, *arg;
    bool more = false;
    int64_t interval = 0;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "mi:c:", longopts, &arg)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case 'm': more = true; break;
        case 'c': cluster = arg; break;
        case 'i':
            if (cli_parse_i64(cli, "-i", arg, 1, 86400, &interval) != 0)
                return RMQ_EXIT_USAGE;
            break;
        default: return RMQ_EXIT_USAGE;
        }
    }
    if (cli_no_operands(cli, argc, argv) != 0)
        return RMQ_EXIT_USAGE;
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    /* -i: again every interval seconds until interrupted */
    for (;;) {
        int rc = cluster_list_once(cli, a, cluster, more);
        if (rc != RMQ_EXIT_OK || interval == 0)
            return rc;
        sleep((unsigned)interval);
    }
}

/* ---- brokerStatus ---- */

static json_t *kv_to_json(const rmq_map_t *kv)
{
    size_t n = 0;
    const char **keys = rmq_smap_keys_sorted(kv, &n);
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, keys[i], json_string(kv_str(kv, keys[i])));
    free(keys);
    return o;
}

/* The options of brokerStatus and getBrokerConfig: -b BROKER_ADDR or -c
 * CLUSTER (-b wins when both are given, as in mqadmin).  -1 to go on with
 * the admin client in *a, otherwise the exit status. */
static int broker_or_cluster(rmq_cli_t *cli, int argc, char **argv, const char **broker,
                             const char **cluster, rmq_admin_t **a)
{
    const cli_str_opt_t opts[] = {
        {'b', "brokerAddr", broker, NULL},
        {'c', "clusterName", cluster, NULL},
    };
    int parsed = cli_parse_str_opts(cli, argc, argv, opts, sizeof(opts) / sizeof(opts[0]), NULL);
    if (parsed >= 0)
        return parsed;
    if (!*broker && !*cluster)
        return cli_usage(cli, "give -b BROKER_ADDR or -c CLUSTER");
    *a = cli_admin(cli);
    return *a ? -1 : RMQ_EXIT_FAIL;
}

static int cmd_broker_status(rmq_cli_t *cli, int argc, char **argv)
{
    const char *broker, *cluster;
    rmq_admin_t *a;
    int parsed = broker_or_cluster(cli, argc, argv, &broker, &cluster, &a);
    if (parsed >= 0)
        return parsed;
    char err[ERRLEN];
    if (broker) { /* -b wins, as in mqadmin */
        rmq_map_t *kv = NULL;
        if (runtime_info(a, broker, &kv, err, sizeof(err)) != 0)
            return cli_fail(cli, "%s", cli_first_line(err));
        json_t *o = kv_to_json(kv);
        rmq_map_free(kv, free);
        if (cli->json) {
            cli_json_print(o);
        } else {
            const char *k;
            json_t *v;
            json_object_foreach(o, k, v)
            {
                printf("%-32s: %s\n", k, json_string_value(v));
            }
            json_decref(o);
        }
        return RMQ_EXIT_OK;
    }
    char **addrs = NULL;
    size_t n = 0;
    if (cluster_all_addrs(a, cluster, &addrs, &n, err, sizeof(err)) != 0)
        return cli_fail(cli, "%s", cli_first_line(err));
    int status = RMQ_EXIT_OK;
    json_t *all = json_object();
    for (size_t i = 0; i < n; i++) {
        rmq_map_t *kv = NULL;
        if (runtime_info(a, addrs[i], &kv, err, sizeof(err)) != 0) {
            /* the others are still printed; the exit status tells */
            status = cli_fail(cli, "%s", cli_first_line(err));
            continue;
        }
        json_t *o = kv_to_json(kv);
        rmq_map_free(kv, free);
        if (!cli->json) {
            const char *k;
            json_t *v;
            json_object_foreach(o, k, v)
            {
                printf("%-24s %-32s: %s\n", addrs[i], k, json_string_value(v));
            }
        }
        json_object_set_new(all, addrs[i], o);
    }
    cli_strv_free(addrs, n);
    if (cli->json)
        cli_json_print(all);
    else
        json_decref(all);
    return status;
}

/* ---- getBrokerConfig ---- */

/* GET_BROKER_CONFIG at addr: the properties as an ordered object. */
static int broker_config(rmq_admin_t *a, const char *addr, json_t **props, char *err,
                         size_t errlen)
{
    rmq_cmd_t *resp = NULL;
    *props = NULL;
    int rc = cli_call_ok(a, "broker", addr, rmq_cmd_new_request(RMQ_REQ_GET_BROKER_CONFIG), &resp,
                     err, errlen);
    if (rc != 0)
        return rc;
    *props = props_parse(resp->body, resp->body_len);
    rmq_cmd_free(resp);
    return 0;
}

/* Prints one broker's config under its banner (text) or adds it to out. */
static int show_broker_config(rmq_cli_t *cli, rmq_admin_t *a, const char *addr,
                              const char *banner, json_t *out)
{
    char err[ERRLEN];
    json_t *props;
    if (broker_config(a, addr, &props, err, sizeof(err)) != 0)
        return cli_fail(cli, "%s", cli_first_line(err));
    if (cli->json) {
        json_object_set_new(out, addr, props);
        return RMQ_EXIT_OK;
    }
    fputs(banner, stdout);
    if (json_object_size(props) == 0)
        printf("Broker[%s] has no config property!\n", addr);
    else
        props_print(props);
    printf("\n");
    json_decref(props);
    return RMQ_EXIT_OK;
}

static int cmd_get_broker_config(rmq_cli_t *cli, int argc, char **argv)
{
    const char *broker, *cluster;
    rmq_admin_t *a;
    int parsed = broker_or_cluster(cli, argc, argv, &broker, &cluster, &a);
    if (parsed >= 0)
        return parsed;
    json_t *out = json_object();
    int status = RMQ_EXIT_OK;
    char banner[512];
    if (broker) {
        snprintf(banner, sizeof(banner), "============%s============\n", broker);
        status = show_broker_config(cli, a, broker, banner, out);
    } else {
        /* CommandUtil.fetchMasterAndSlaveDistinguish: each master, then its slaves */
        char err[ERRLEN];
        rmq_cluster_info_t ci;
        if (rmq_admin_cluster_info(a, &ci, err, sizeof(err)) != 0) {
            json_decref(out);
            return cli_fail(cli, "%s", cli_first_line(err));
        }
        const rmq_cluster_entry_t *ce = find_cluster(&ci, cluster);
        if (!ce) {
            rmq_cluster_info_free(&ci);
            json_decref(out);
            return cli_fail(cli, "cluster %s not found", cluster);
        }
        char **names = rmq_calloc(ce->nbroker_names + 1, sizeof(char *));
        memcpy(names, ce->broker_names, ce->nbroker_names * sizeof(char *));
        qsort(names, ce->nbroker_names, sizeof(char *), cmp_strp);
        for (size_t ib = 0; ib < ce->nbroker_names && status == RMQ_EXIT_OK; ib++) {
            const rmq_broker_data_t *bd = find_broker(&ci, names[ib]);
            if (!bd)
                continue;
            const char *master = rmq_broker_data_get_addr(bd, 0);
            if (master) {
                snprintf(banner, sizeof(banner), "============Master: %s============\n", master);
                status = show_broker_config(cli, a, master, banner, out);
            }
            for (size_t k = 0; k < bd->naddrs && status == RMQ_EXIT_OK; k++) {
                if (bd->addrs[k].broker_id == 0)
                    continue;
                snprintf(banner, sizeof(banner),
                         "============My Master: %s=====Slave: %s============\n",
                         master ? master : "", bd->addrs[k].addr);
                status = show_broker_config(cli, a, bd->addrs[k].addr, banner, out);
            }
        }
        free(names);
        rmq_cluster_info_free(&ci);
    }
    if (cli->json && status == RMQ_EXIT_OK)
        cli_json_print(out);
    else
        json_decref(out);
    return status;
}

/* ---- wipeWritePerm ---- */

static int cmd_wipe_write_perm(rmq_cli_t *cli, int argc, char **argv)
{
    const char *broker;
    rmq_admin_t *a;
    int parsed = cli_parse_one_str_opt(cli, argc, argv, (cli_str_opt_t){'b', "brokerName", &broker, "BROKER_NAME"}, &a);
    if (parsed >= 0)
        return parsed;
    char **ns = NULL;
    size_t nns = cli_namesrv_list(cli, &ns);
    int status = RMQ_EXIT_OK;
    json_t *arr = json_array();
    for (size_t i = 0; i < nns; i++) {
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_WIPE_WRITE_PERM_OF_BROKER);
        rmq_broker_name_req_t h = {broker};
        rmq_header_encode(&rmq_broker_name_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        char err[ERRLEN];
        int rc = cli_call_ok(a, "name server", ns[i], req, &resp, err, sizeof(err));
        rmq_wipe_perm_resp_t rh = {0};
        if (rc == 0) {
            rc = rmq_header_decode(&rmq_wipe_perm_resp_desc, &resp->ext, &rh, err, sizeof(err));
            rmq_cmd_free(resp);
        }
        if (rc == 0) {
            if (!cli->json)
                printf("wipe write perm of broker[%s] in name server[%s] OK, %" PRId32 "\n", broker,
                       ns[i], rh.wipeTopicCount);
            json_array_append_new(arr, json_pack("{s:s,s:i}", "nameServer", ns[i],
                                                 "wipeTopicCount", (int)rh.wipeTopicCount));
        } else {
            if (!cli->json)
                printf("wipe write perm of broker[%s] in name server[%s] Failed\n", broker, ns[i]);
            json_array_append_new(arr, json_pack("{s:s,s:s}", "nameServer", ns[i], "error",
                                                 cli_first_line(err)));
            fflush(stdout);
            status = cli_fail(cli, "%s", cli_first_line(err));
        }
    }
    cli_strv_free(ns, nns);
    if (cli->json)
        cli_json_print(arr);
    else
        json_decref(arr);
    return status;
}

/* ---- getNamesrvConfig ---- */

static int cmd_get_namesrv_config(rmq_cli_t *cli, int argc, char **argv)
{
    const char *arg;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "", NULL, &arg)) != -1) {
        if (c == 'h')
            return cli_help(cli);
        return RMQ_EXIT_USAGE;
    }
    if (cli_no_operands(cli, argc, argv) != 0)
        return RMQ_EXIT_USAGE;
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    char **ns = NULL;
    size_t nns = cli_namesrv_list(cli, &ns);
    json_t *all = json_object();
    int rc = 0;
    char err[ERRLEN];
    /* every name server first: one failing prints nothing but the error */
    for (size_t i = 0; i < nns && rc == 0; i++) {
        rmq_cmd_t *resp = NULL;
        rc = cli_call_ok(a, "name server", ns[i], rmq_cmd_new_request(RMQ_REQ_GET_NAMESRV_CONFIG),
                     &resp, err, sizeof(err));
        if (rc == 0) {
            json_object_set_new(all, ns[i], props_parse(resp->body, resp->body_len));
            rmq_cmd_free(resp);
        }
    }
    cli_strv_free(ns, nns);
    if (rc != 0) {
        json_decref(all);
        return cli_fail(cli, "%s", cli_first_line(err));
    }
    if (cli->json) {
        cli_json_print(all);
    } else {
        const char *addr;
        json_t *props;
        json_object_foreach(all, addr, props)
        {
            printf("============%s============\n", addr);
            props_print(props);
        }
        json_decref(all);
    }
    return RMQ_EXIT_OK;
}

/* ---- updateKvConfig / deleteKvConfig ---- */

/* PUT_KV_CONFIG (value != NULL) or DELETE_KV_CONFIG to every name server,
 * as MQClientAPIImpl does: all are tried; any failure fails the command. */
static int kv_all(rmq_cli_t *cli, const char *space, const char *key, const char *value)
{
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    char **ns = NULL;
    size_t nns = cli_namesrv_list(cli, &ns);
    json_t *done = json_array();
    int status = RMQ_EXIT_OK;
    for (size_t i = 0; i < nns; i++) {
        int code = value ? RMQ_REQ_PUT_KV_CONFIG : RMQ_REQ_DELETE_KV_CONFIG;
        rmq_cmd_t *req = rmq_cmd_new_request(code);
        rmq_kv_req_t h = {space, key, value};
        rmq_header_encode(value ? &rmq_put_kv_req_desc : &rmq_kv_key_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        char err[ERRLEN];
        if (cli_call_ok(a, "name server", ns[i], req, &resp, err, sizeof(err)) != 0) {
            status = cli_fail(cli, "%s", cli_first_line(err));
            continue;
        }
        rmq_cmd_free(resp);
        json_array_append_new(done, json_string(ns[i]));
    }
    cli_strv_free(ns, nns);
    if (status != RMQ_EXIT_OK) {
        json_decref(done);
        return status;
    }
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:s,s:o}", "namespace", space, "key", key, "nameServers", done);
        if (value)
            json_object_set_new(o, "value", json_string(value));
        cli_json_print(o);
    } else {
        printf(value ? "create or update kv config to namespace success.\n"
                     : "delete kv config from namespace success.\n");
        json_decref(done);
    }
    return RMQ_EXIT_OK;
}

static int cmd_kv(rmq_cli_t *cli, int argc, char **argv, bool update)
{
    static const cli_opt_t longopts[] = {
        {"namespace", 1, 's'},
        {"key", 1, 'k'},
        {"value", 1, 'v'},
        {NULL, 0, 0},
    };
    const char *space = NULL, *key = NULL, *value = NULL, *arg;
    int c;
    while ((c = cli_getopt(cli, argc, argv, update ? "s:k:v:" : "s:k:", longopts, &arg)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case 's': space = arg; break;
        case 'k': key = arg; break;
        case 'v':
            if (!update)
                return cli_usage(cli, "option --value is unknown");
            value = arg;
            break;
        default: return RMQ_EXIT_USAGE;
        }
    }
    if (cli_no_operands(cli, argc, argv) != 0)
        return RMQ_EXIT_USAGE;
    if (!space || !*space)
        return cli_usage(cli, "-s NAMESPACE is required");
    if (!key || !*key)
        return cli_usage(cli, "-k KEY is required");
    if (update && !value)
        return cli_usage(cli, "-v VALUE is required");
    return kv_all(cli, space, key, update ? value : NULL);
}

static int cmd_update_kv_config(rmq_cli_t *cli, int argc, char **argv)
{
    return cmd_kv(cli, argc, argv, true);
}

static int cmd_delete_kv_config(rmq_cli_t *cli, int argc, char **argv)
{
    return cmd_kv(cli, argc, argv, false);
}

const rmq_command_t rmq_cmds_cluster[] = {
    {"clusterList", "List all of clusters",
     "usage: rmq clusterList [-c CLUSTER] [-m] [-i SECONDS] [-n NAMESRV]\n"
     "\n"
     "  -c, --clusterName NAME     only this cluster\n"
     "  -m, --moreStats            message totals of yesterday and today instead\n"
     "  -i, --interval SECONDS     print again every SECONDS until interrupted\n"
     "\n"
     "One row per broker address: cluster, broker name, broker id, address, version,\n"
     "InTPS/OutTPS (putTps/getTransferedTps, with the send/pull queue size and head\n"
     "wait), page cache lock time, hours of stored messages, commit log disk ratio,\n"
     "from GET_BROKER_RUNTIME_INFO.  --json: an array of objects (\"error\" set when a\n"
     "broker did not answer).\n",
     cmd_cluster_list},
    {"brokerStatus", "Fetch broker runtime status data",
     "usage: rmq brokerStatus (-b BROKER_ADDR | -c CLUSTER) [-n NAMESRV]\n"
     "\n"
     "  -b, --brokerAddr ADDR      one broker (ip:port)\n"
     "  -c, --clusterName NAME     every broker of the cluster, masters and slaves\n"
     "\n"
     "The GET_BROKER_RUNTIME_INFO table, \"key: value\" sorted by key (with -c\n"
     "prefixed by the address).  --json: the object of -b, or address -> object.\n",
     cmd_broker_status},
    {"getBrokerConfig", "Get broker config by cluster or special broker",
     "usage: rmq getBrokerConfig (-b BROKER_ADDR | -c CLUSTER) [-n NAMESRV]\n"
     "\n"
     "  -b, --brokerAddr ADDR      one broker (ip:port)\n"
     "  -c, --clusterName NAME     each master of the cluster, then its slaves\n"
     "\n"
     "GET_BROKER_CONFIG: \"key=  value\" lines under a banner per broker.\n"
     "--json: address -> {key: value}.\n",
     cmd_get_broker_config},
    {"wipeWritePerm", "Wipe write perm of broker in all name server you defined in the -n param",
     "usage: rmq wipeWritePerm -b BROKER_NAME [-n NAMESRV]\n"
     "\n"
     "  -b, --brokerName NAME      broker name\n"
     "\n"
     "WIPE_WRITE_PERM_OF_BROKER to every name server of -n (\"a:9876;b:9876\");\n"
     "prints the number of topics whose write permission was removed on each.\n"
     "--json: an array of {\"nameServer\",\"wipeTopicCount\"} (or \"error\").\n",
     cmd_wipe_write_perm},
    {"getNamesrvConfig", "Get configs of name server",
     "usage: rmq getNamesrvConfig [-n NAMESRV]\n"
     "\n"
     "GET_NAMESRV_CONFIG from every name server of -n: \"key=  value\" lines under a\n"
     "banner per name server.  --json: address -> {key: value}.\n",
     cmd_get_namesrv_config},
    {"updateKvConfig", "Create or update KV config",
     "usage: rmq updateKvConfig -s NAMESPACE -k KEY -v VALUE [-n NAMESRV]\n"
     "\n"
     "  -s, --namespace NAMESPACE  namespace (e.g. ORDER_TOPIC_CONFIG)\n"
     "  -k, --key KEY              key\n"
     "  -v, --value VALUE          value\n"
     "\n"
     "PUT_KV_CONFIG to every name server of -n.\n",
     cmd_update_kv_config},
    {"deleteKvConfig", "Delete KV config",
     "usage: rmq deleteKvConfig -s NAMESPACE -k KEY [-n NAMESRV]\n"
     "\n"
     "  -s, --namespace NAMESPACE  namespace\n"
     "  -k, --key KEY              key\n"
     "\n"
     "DELETE_KV_CONFIG to every name server of -n.\n",
     cmd_delete_kv_config},
    {NULL, NULL, NULL, NULL},
};
