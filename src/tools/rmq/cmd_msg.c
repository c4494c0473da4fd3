/* Messages: queryMsgById, queryMsgByKey, queryMsgByOffset,
 * queryMsgByUniqueKey, printMsg, sendMessage and consumeMessage, with
 * mqadmin's flags and output (4.9.8 tools/.../command/message).
 *
 * Lookups and reads go straight to the brokers through the admin client
 * (VIEW_MESSAGE_BY_ID, QUERY_MESSAGE, and PULL_MESSAGE without suspending,
 * as DefaultMQPullConsumer.pull does for mqadmin), and the stored records are
 * decoded by the library's decoder; sendMessage sends with the library's
 * producer. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/num.h"
#include "base/time.h"
#include "client/msg_decode.h"
#include "protocol/codes.h"
#include "protocol/heartbeat.h"
#include "protocol/pull_headers.h"
#include "protocol/record.h"
#include "rocketmq/consumer.h"
#include "rocketmq/error.h"
#include "rocketmq/message.h"
#include "rocketmq/producer.h"
#include "tools/rmq/cli.h"

/* MixAll.TOOLS_CONSUMER_GROUP: the group of mqadmin's pulls. */
#define TOOLS_GROUP "TOOLS_CONSUMER"
/* MixAll.UNIQUE_MSG_QUERY_FLAG */
#define UNIQUE_QUERY_FLAG "_UNIQUE_KEY_QUERY"
/* Largest body inflated when decoding. */
#define MAX_BODY (64u * 1024 * 1024)
/* printMsg / consumeMessage: messages per pull, as mqadmin's. */
#define PULL_BATCH 32
/* consumeMessage gives up after this long in all. */
#define CONSUME_DEADLINE_MS 30000

extern const rmq_command_t rmq_cmds_msg[];

/* ---- helpers ---- */

/* timestampFormat: milliseconds or yyyy-MM-dd#HH:mm:ss:SSS. */
static int parse_timestamp(rmq_cli_t *cli, const char *flag, const char *v, int64_t *out)
{
    int64_t x;
    if (rmq_parse_i64(v, &x) == 0 && x >= 0) {
        *out = x;
        return 0;
    }
    if (cli_parse_date_ms(v, out))
        return 0;
    return cli_usage(cli, "%s wants milliseconds or yyyy-MM-dd#HH:mm:ss:SSS, not '%s'", flag, v);
}

/* UtilAll.timeMillisToHumanString2: "yyyy-MM-dd HH:mm:ss,SSS", local time. */
static void fmt_human(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, n, "%s,%03d", base, (int)(ms % 1000));
}

/* new String(bytes, UTF-8): each byte that does not start a well-formed
 * sequence becomes U+FFFD.  Returns a malloc'ed copy (NUL-terminated; *len
 * excludes the NUL, the text may contain NULs). */
static char *utf8_text(const uint8_t *p, size_t n, size_t *len)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        size_t need = 0;
        uint32_t cp = 0, min = 0;
        if (c < 0x80) {
            rmq_buf_append(&b, &p[i++], 1);
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            need = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3, cp = c & 0x07, min = 0x10000;
        }
        bool ok = need > 0;
        for (size_t k = 1; ok && k <= need; k++) {
            if (i + k >= n || (p[i + k] & 0xC0) != 0x80)
                ok = false;
            else
                cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)))
            ok = false;
        if (ok) {
            rmq_buf_append(&b, &p[i], need + 1);
            i += need + 1;
        } else {
            rmq_buf_append(&b, "\xEF\xBF\xBD", 3);
            i++;
        }
    }
    *len = b.len;
    rmq_buf_append_u8(&b, 0);
    size_t cap;
    return (char *)rmq_buf_steal(&b, &cap);
}

static void props_cb(const char *name, const char *value, void *arg)
{
    rmq_buf_t *b = arg;
    if (b->len > 1)
        rmq_buf_append_str(b, ", ");
    rmq_buf_printf(b, "%s=%s", name, value);
}

/* The properties as Java's Map.toString writes them: {K=V, K2=V2}. */
static char *props_text(const rocketmq_message_t *m)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    rmq_buf_append_str(&b, "{");
    rocketmq_message_foreach_property(m, props_cb, &b);
    rmq_buf_append_str(&b, "}");
    return rmq_buf_cstr(&b);
}

static void props_json_cb(const char *name, const char *value, void *arg)
{
    size_t n;
    char *v = utf8_text((const uint8_t *)value, strlen(value), &n);
    json_object_set_new(arg, name, json_stringn(v, n));
    free(v);
}

static void set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v ? json_string(v) : json_null());
}

/* A received message as JSON (MessageExt's fields, body as text). */
static json_t *msg_json(const rocketmq_message_t *m, bool with_body)
{
    json_t *o = json_object();
    set_str(o, "msgId", rocketmq_message_get_msg_id(m));
    set_str(o, "offsetMsgId", rocketmq_message_get_offset_msg_id(m));
    set_str(o, "topic", rocketmq_message_get_topic(m));
    set_str(o, "tags", rocketmq_message_get_tags(m));
    set_str(o, "keys", rocketmq_message_get_keys(m));
    const char *bn = rocketmq_message_get_broker_name(m);
    set_str(o, "brokerName", bn && *bn ? bn : NULL);
    json_object_set_new(o, "queueId", json_integer(rocketmq_message_get_queue_id(m)));
    json_object_set_new(o, "queueOffset", json_integer(rocketmq_message_get_queue_offset(m)));
    json_object_set_new(o, "commitLogOffset",
                        json_integer(rocketmq_message_get_commit_log_offset(m)));
    json_object_set_new(o, "reconsumeTimes", json_integer(rocketmq_message_get_reconsume_times(m)));
    json_object_set_new(o, "bornTimestamp", json_integer(rocketmq_message_get_born_timestamp(m)));
    json_object_set_new(o, "storeTimestamp",
                        json_integer(rocketmq_message_get_store_timestamp(m)));
    set_str(o, "bornHost", rocketmq_message_get_born_host(m));
    set_str(o, "storeHost", rocketmq_message_get_store_host(m));
    json_object_set_new(o, "sysFlag", json_integer(rocketmq_message_get_sys_flag(m)));
    json_object_set_new(o, "bodyCRC", json_integer(rocketmq_message_get_body_crc(m)));
    json_object_set_new(o, "flag", json_integer(rocketmq_message_get_flag(m)));
    json_t *props = json_object();
    rocketmq_message_foreach_property(m, props_json_cb, props);
    json_object_set_new(o, "properties", props);
    size_t blen = 0;
    const void *body = rocketmq_message_get_body(m, &blen);
    json_object_set_new(o, "bodyLength", json_integer((json_int_t)blen));
    if (with_body) {
        size_t n;
        char *text = utf8_text(body, blen, &n);
        json_object_set_new(o, "body", json_stringn(text, n));
        free(text);
    }
    return o;
}

static void print_body(const rocketmq_message_t *m)
{
    size_t blen = 0, n;
    const void *body = rocketmq_message_get_body(m, &blen);
    char *text = utf8_text(body, blen, &n);
    fwrite(text, 1, n, stdout);
    free(text);
}

/* QueryMsgByIdSubCommand.printMsg (OffsetID first) / QueryMsgByUniqueKey
 * showMessage (without it); the body is printed instead of written to a
 * file. */
static void print_msg_detail(const rocketmq_message_t *m, bool offset_id)
{
    char born[64], store[64];
    fmt_human(rocketmq_message_get_born_timestamp(m), born, sizeof(born));
    fmt_human(rocketmq_message_get_store_timestamp(m), store, sizeof(store));
    const char *tags = rocketmq_message_get_tags(m), *keys = rocketmq_message_get_keys(m);
    char *props = props_text(m);
    if (offset_id)
        printf("%-20s %s\n", "OffsetID:", cli_or_empty(rocketmq_message_get_offset_msg_id(m)));
    printf("%-20s %s\n", "Topic:", cli_or_empty(rocketmq_message_get_topic(m)));
    printf("%-20s [%s]\n", "Tags:", tags ? tags : "null");
    printf("%-20s [%s]\n", "Keys:", keys ? keys : "null");
    printf("%-20s %d\n", "Queue ID:", rocketmq_message_get_queue_id(m));
    printf("%-20s %" PRId64 "\n", "Queue Offset:", rocketmq_message_get_queue_offset(m));
    printf("%-20s %" PRId64 "\n", "CommitLog Offset:", rocketmq_message_get_commit_log_offset(m));
    printf("%-20s %d\n", "Reconsume Times:", rocketmq_message_get_reconsume_times(m));
    printf("%-20s %s\n", "Born Timestamp:", born);
    printf("%-20s %s\n", "Store Timestamp:", store);
    printf("%-20s %s\n", "Born Host:", cli_or_empty(rocketmq_message_get_born_host(m)));
    printf("%-20s %s\n", "Store Host:", cli_or_empty(rocketmq_message_get_store_host(m)));
    printf("%-20s %d\n", "System Flag:", rocketmq_message_get_sys_flag(m));
    printf("%-20s %s\n", "Properties:", props);
    printf("%-20s ", "Message Body:");
    print_body(m);
    printf("\n");
    free(props);
}

/* PrintMessageSubCommand.printMessage: "MSGID: <id> MessageExt [...] BODY: <text>". */
static void print_msg_line(const rocketmq_message_t *m, bool with_body)
{
    char *props = props_text(m);
    printf("MSGID: %s MessageExt [brokerName=%s, queueId=%d, queueOffset=%" PRId64
           ", sysFlag=%d, bornTimestamp=%" PRId64 ", bornHost=/%s, storeTimestamp=%" PRId64
           ", storeHost=/%s, msgId=%s, commitLogOffset=%" PRId64 ", bodyCRC=%d, reconsumeTimes=%d, "
           "topic=%s, flag=%d, properties=%s] BODY: ",
           cli_or_empty(rocketmq_message_get_msg_id(m)), cli_or_empty(rocketmq_message_get_broker_name(m)),
           rocketmq_message_get_queue_id(m), rocketmq_message_get_queue_offset(m),
           rocketmq_message_get_sys_flag(m), rocketmq_message_get_born_timestamp(m),
           cli_or_empty(rocketmq_message_get_born_host(m)), rocketmq_message_get_store_timestamp(m),
           cli_or_empty(rocketmq_message_get_store_host(m)),
           cli_or_empty(rocketmq_message_get_offset_msg_id(m)),
           rocketmq_message_get_commit_log_offset(m), rocketmq_message_get_body_crc(m),
           rocketmq_message_get_reconsume_times(m), cli_or_empty(rocketmq_message_get_topic(m)),
           rocketmq_message_get_flag(m), props);
    if (with_body)
        print_body(m);
    else
        printf("NOT PRINT BODY");
    printf("\n");
    free(props);
}

static const char *broker_addr_of(const rmq_topic_route_t *r, const char *broker_name)
{
    for (size_t b = 0; b < r->nbroker_datas; b++)
        if (strcmp(r->broker_datas[b].broker_name, broker_name) == 0)
            return cli_select_addr(&r->broker_datas[b]);
    return NULL;
}

/* fetchSubscribeMessageQueues: the readable queues, by broker name and id. */
typedef struct mq_list {
    rocketmq_message_queue_t *v;
    size_t n;
} mq_list_t;

static int cmp_mq(const void *x, const void *y)
{
    const rocketmq_message_queue_t *a = x, *b = y;
    int c = strcmp(a->broker_name, b->broker_name);
    return c ? c : (a->queue_id > b->queue_id) - (a->queue_id < b->queue_id);
}

static void readable_queues(const rmq_topic_route_t *r, const char *topic, mq_list_t *out)
{
    out->v = NULL;
    out->n = 0;
    for (size_t q = 0; q < r->nqueue_datas; q++) {
        const rmq_queue_data_t *qd = &r->queue_datas[q];
        if (!(qd->perm & RMQ_PERM_READ) || !broker_addr_of(r, qd->broker_name))
            continue;
        for (int32_t i = 0; i < qd->read_queue_nums; i++) {
            out->v = rmq_realloc(out->v, (out->n + 1) * sizeof(*out->v));
            rocketmq_message_queue_t *mq = &out->v[out->n++];
            memset(mq, 0, sizeof(*mq));
            snprintf(mq->topic, sizeof(mq->topic), "%s", topic);
            snprintf(mq->broker_name, sizeof(mq->broker_name), "%s", qd->broker_name);
            mq->queue_id = i;
        }
    }
    if (out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), cmp_mq);
}

/* GET_MIN_OFFSET / GET_MAX_OFFSET / SEARCH_OFFSET_BY_TIMESTAMP (timestamp >= 0). */
enum { OFF_MIN, OFF_MAX, OFF_SEARCH };

static int queue_offset(rmq_admin_t *a, const char *addr, const rocketmq_message_queue_t *mq,
                        int which, int64_t timestamp, int64_t *out, char *err, size_t errlen)
{
    rmq_cmd_t *req;
    if (which == OFF_SEARCH) {
        rmq_search_offset_req_t h = {mq->topic, mq->queue_id, timestamp};
        req = rmq_cmd_new_request(RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP);
        rmq_header_encode(&rmq_search_offset_req_desc, &h, &req->ext);
    } else {
        rmq_queue_req_t h = {mq->topic, mq->queue_id};
        req = rmq_cmd_new_request(which == OFF_MIN ? RMQ_REQ_GET_MIN_OFFSET
                                                   : RMQ_REQ_GET_MAX_OFFSET);
        rmq_header_encode(which == OFF_MIN ? &rmq_get_min_offset_req_desc
                                           : &rmq_get_max_offset_req_desc,
                          &h, &req->ext);
    }
    return cli_broker_offset(a, addr, req, out, err, errlen);
}

/* Tags of a subscription expression: "*" / "" (everything) or "A || B". */
static bool tag_matches(const char *expr, const char *tags)
{
    if (!expr || !*expr || strcmp(expr, "*") == 0)
        return true;
    if (!tags)
        return false;
    size_t tl = strlen(tags);
    for (const char *p = expr; *p;) {
        const char *e = strstr(p, "||");
        const char *end = e ? e : p + strlen(p);
        const char *s = p;
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        const char *t = end;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - s) == tl && memcmp(s, tags, tl) == 0)
            return true;
        p = e ? e + 2 : end;
    }
    return false;
}

typedef struct pulled {
    rocketmq_pull_status_t status;
    int64_t next, min, max;
    rocketmq_message_t **msgs;
    size_t n;
} pulled_t;

static const char *pull_status_name(rocketmq_pull_status_t s)
{
    switch (s) {
    case ROCKETMQ_PULL_FOUND: return "FOUND";
    case ROCKETMQ_PULL_NO_NEW_MSG: return "NO_NEW_MSG";
    case ROCKETMQ_PULL_NO_MATCHED_MSG: return "NO_MATCHED_MSG";
    case ROCKETMQ_PULL_OFFSET_ILLEGAL: return "OFFSET_ILLEGAL";
    }
    return "?";
}

/* DefaultMQPullConsumer.pull(mq, expr, offset, max): one PULL_MESSAGE with
 * the subscription in the header, no suspension, no offset commit; then the
 * client-side tag filter. */
static int pull_once(rmq_admin_t *a, const char *addr, const char *group,
                     const rocketmq_message_queue_t *mq, const char *expr, int64_t offset,
                     int max, pulled_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    rmq_pull_req_t h = {
        .consumerGroup = group,
        .topic = mq->topic,
        .queueId = mq->queue_id,
        .queueOffset = offset,
        .maxMsgNums = max,
        .sysFlag = RMQ_PULL_FLAG_SUBSCRIPTION,
        .commitOffset = 0,
        .suspendTimeoutMillis = 0,
        .subscription = expr && *expr ? expr : "*",
        .subVersion = 0,
        .expressionType = "TAG",
    };
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_PULL_MESSAGE);
    rmq_header_encode(&rmq_pull_req_desc, &h, &req->ext);
    rmq_cmd_t *resp = NULL;
    int rc = rmq_admin_broker(a, addr, req, &resp, err, errlen);
    if (rc != 0)
        return rc;
    switch (resp->code) {
    case ROCKETMQ_ERR_SUCCESS: out->status = ROCKETMQ_PULL_FOUND; break;
    case ROCKETMQ_ERR_PULL_NOT_FOUND: out->status = ROCKETMQ_PULL_NO_NEW_MSG; break;
    case ROCKETMQ_ERR_PULL_RETRY_IMMEDIATELY: out->status = ROCKETMQ_PULL_NO_MATCHED_MSG; break;
    case ROCKETMQ_ERR_PULL_OFFSET_MOVED: out->status = ROCKETMQ_PULL_OFFSET_ILLEGAL; break;
    default:
        snprintf(err, errlen, "broker %s: CODE: %d DESC: %s", addr, resp->code,
                 cli_or_empty(resp->remark));
        rc = resp->code;
        rmq_cmd_free(resp);
        return rc;
    }
    rmq_pull_resp_t rh;
    rc = rmq_header_decode(&rmq_pull_resp_desc, &resp->ext, &rh, err, errlen);
    if (rc == 0) {
        out->next = rh.nextBeginOffset;
        out->min = rh.minOffset;
        out->max = rh.maxOffset;
        if (out->status == ROCKETMQ_PULL_FOUND) {
            rc = rmq_msgs_decode(resp->body, resp->body_len, mq->broker_name, MAX_BODY,
                                 &out->msgs, &out->n);
            if (rc != 0)
                snprintf(err, errlen, "broker %s: undecodable messages: %s", addr,
                         rocketmq_err_str(rc));
        }
    }
    rmq_cmd_free(resp);
    if (rc != 0)
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++) {
        if (tag_matches(expr, rocketmq_message_get_tags(out->msgs[i])))
            out->msgs[k++] = out->msgs[i];
        else
            rocketmq_message_destroy(out->msgs[i]);
    }
    out->n = k;
    return 0;
}

static void pulled_free(pulled_t *p)
{
    rocketmq_messages_free(p->msgs, p->n);
    p->msgs = NULL;
    p->n = 0;
}

/* ---- queryMsgById ---- */

static int cmd_query_msg_by_id(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {{"msgId", 1, 'i'}, {NULL, 0, 0}};
    const char *ids = NULL, *v;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "i:", opts, &v)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case '?': return RMQ_EXIT_USAGE;
        case 'i': ids = v; break;
        default: return cli_usage(cli, "unexpected option");
        }
    }
    if (cli_no_operands(cli, argc, argv))
        return RMQ_EXIT_USAGE;
    if (!ids || !*ids)
        return cli_usage(cli, "-i MSG_ID is required");
    /* mqadmin takes a comma-separated list. */
    char *list = rmq_strdup(ids), *save = NULL;
    size_t nids = 0;
    char *idv[64];
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        char *e = tok + strlen(tok);
        while (e > tok && e[-1] == ' ')
            *--e = '\0';
        if (!*tok)
            continue;
        rmq_host_t host;
        int64_t off;
        if (rmq_msg_id_decode(tok, &host, &off) != 0) {
            int rc = cli_usage(cli, "'%s' is not an offset message id (32 or 56 hex digits); "
                                    "for the unique id of a producer use queryMsgByUniqueKey",
                               tok);
            free(list);
            return rc;
        }
        if (nids == sizeof(idv) / sizeof(idv[0])) {
            free(list);
            return cli_usage(cli, "at most %zu message ids at a time",
                             sizeof(idv) / sizeof(idv[0]));
        }
        idv[nids++] = tok;
    }
    if (nids == 0) {
        free(list);
        return cli_usage(cli, "-i MSG_ID is required");
    }
    rmq_admin_t *a = cli_admin(cli);
    if (!a) {
        free(list);
        return RMQ_EXIT_FAIL;
    }
    json_t *arr = json_array();
    int ret = RMQ_EXIT_OK;
    for (size_t i = 0; i < nids && ret == RMQ_EXIT_OK; i++) {
        rmq_host_t host;
        int64_t off;
        rmq_msg_id_decode(idv[i], &host, &off);
        char addr[64];
        rmq_host_format(&host, addr, sizeof(addr));
        rmq_view_message_req_t h = {off};
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_VIEW_MESSAGE_BY_ID);
        rmq_header_encode(&rmq_view_message_req_desc, &h, &req->ext);
        rmq_cmd_t *resp = NULL;
        char err[512];
        int rc = rmq_admin_broker(a, addr, req, &resp, err, sizeof(err));
        if (rc != 0) {
            ret = cli_fail(cli, "%s", err);
            break;
        }
        if (resp->code != 0) {
            ret = cli_fail(cli, "message %s not found at %s: %s", idv[i], addr,
                           cli_or_empty(resp->remark));
            rmq_cmd_free(resp);
            break;
        }
        rocketmq_message_t **msgs = NULL;
        size_t n = 0;
        rc = rmq_msgs_decode(resp->body, resp->body_len, NULL, MAX_BODY, &msgs, &n);
        rmq_cmd_free(resp);
        if (rc != 0 || n == 0) {
            rocketmq_messages_free(msgs, n);
            ret = cli_fail(cli, "message %s: %s", idv[i],
                           rc != 0 ? rocketmq_err_str(rc) : "no message in the answer");
            break;
        }
        if (cli->json)
            json_array_append_new(arr, msg_json(msgs[0], true));
        else {
            if (i > 0)
                printf("\n");
            print_msg_detail(msgs[0], true);
        }
        rocketmq_messages_free(msgs, n);
    }
    free(list);
    if (ret == RMQ_EXIT_OK && cli->json)
        cli_json_print(arr);
    else
        json_decref(arr);
    return ret;
}

/* ---- QUERY_MESSAGE (queryMsgByKey, queryMsgByUniqueKey) ---- */

typedef struct found {
    rocketmq_message_t **v;
    size_t n;
} found_t;

static bool key_in(const char *keys, const char *key)
{
    if (!keys)
        return false;
    size_t kl = strlen(key);
    for (const char *p = keys; *p;) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == kl && memcmp(p, key, kl) == 0)
            return true;
        p = e ? e + 1 : p + len;
    }
    return false;
}

/* MQAdminImpl.queryMessage: every broker of the topic, then Java's
 * client-side match (KEYS words and the topic, or UNIQ_KEY). */
static int query_message(rmq_cli_t *cli, rmq_admin_t *a, const char *topic, const char *key,
                         int max, int64_t begin, int64_t end, bool unique, found_t *out)
{
    out->v = NULL;
    out->n = 0;
    rmq_topic_route_t route;
    if (cli_topic_route(cli, a, topic, &route) != 0)
        return RMQ_EXIT_FAIL;
    char err[512], first_err[600] = "";
    for (size_t b = 0; b < route.nbroker_datas; b++) {
        const char *addr = cli_select_addr(&route.broker_datas[b]);
        if (!addr)
            continue;
        rmq_query_message_req_t h = {topic, key, max, begin, end};
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_QUERY_MESSAGE);
        rmq_header_encode(&rmq_query_message_req_desc, &h, &req->ext);
        rmq_ext_set(&req->ext, UNIQUE_QUERY_FLAG, unique ? "true" : "false");
        rmq_cmd_t *resp = NULL;
        int rc = rmq_admin_broker(a, addr, req, &resp, err, sizeof(err));
        if (rc != 0) {
            if (!first_err[0])
                snprintf(first_err, sizeof(first_err), "%s", err);
            continue;
        }
        if (resp->code != 0) {
            if (resp->code != ROCKETMQ_ERR_QUERY_NOT_FOUND && !first_err[0])
                snprintf(first_err, sizeof(first_err), "broker %s: CODE: %d DESC: %s", addr,
                         resp->code, cli_or_empty(resp->remark));
            rmq_cmd_free(resp);
            continue;
        }
        rocketmq_message_t **msgs = NULL;
        size_t n = 0;
        rc = rmq_msgs_decode(resp->body, resp->body_len, route.broker_datas[b].broker_name,
                             MAX_BODY, &msgs, &n);
        rmq_cmd_free(resp);
        if (rc != 0) {
            if (!first_err[0])
                snprintf(first_err, sizeof(first_err), "broker %s: undecodable messages: %s",
                         addr, rocketmq_err_str(rc));
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            const rocketmq_message_t *m = msgs[i];
            bool match = unique ? strcmp(cli_or_empty(rocketmq_message_get_msg_id(m)), key) == 0
                                : strcmp(cli_or_empty(rocketmq_message_get_topic(m)), topic) == 0 &&
                                      key_in(rocketmq_message_get_keys(m), key);
            if (!match) {
                rocketmq_message_destroy(msgs[i]);
                continue;
            }
            out->v = rmq_realloc(out->v, (out->n + 1) * sizeof(*out->v));
            out->v[out->n++] = msgs[i];
        }
        free(msgs);
    }
    rmq_topic_route_free(&route);
    if (out->n == 0) {
        if (first_err[0])
            return cli_fail(cli, "%s", first_err);
        return cli_fail(cli, "no message with %s %s in topic %s", unique ? "unique key" : "key",
                        key, topic);
    }
    return 0;
}

static int cmp_store_time(const void *x, const void *y)
{
    int64_t a = rocketmq_message_get_store_timestamp(*(rocketmq_message_t *const *)x);
    int64_t b = rocketmq_message_get_store_timestamp(*(rocketmq_message_t *const *)y);
    return (a > b) - (a < b);
}

static int cmd_query_msg_by_key(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {
        {"topic", 1, 't'},          {"msgKey", 1, 'k'}, {"beginTimestamp", 1, 'b'},
        {"endTimestamp", 1, 'e'}, {"maxNum", 1, 'm'}, {NULL, 0, 0},
    };
    const char *topic = NULL, *key = NULL, *v;
    int64_t begin = 0, end = INT64_MAX, max = 64;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "t:k:b:e:m:", opts, &v)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case '?': return RMQ_EXIT_USAGE;
        case 't': topic = v; break;
        case 'k': key = v; break;
        case 'b':
            if (parse_timestamp(cli, "-b", v, &begin))
                return RMQ_EXIT_USAGE;
            break;
        case 'e':
            if (parse_timestamp(cli, "-e", v, &end))
                return RMQ_EXIT_USAGE;
            break;
        case 'm':
            if (cli_parse_i64(cli, "-m", v, 1, 64 * 1024, &max))
                return RMQ_EXIT_USAGE;
            break;
        default: return cli_usage(cli, "unexpected option");
        }
    }
    if (cli_no_operands(cli, argc, argv))
        return RMQ_EXIT_USAGE;
    if (!topic || !*topic || !key || !*key)
        return cli_usage(cli, "-t TOPIC and -k KEY are required");
    if (begin > end)
        return cli_usage(cli, "-b is after -e");
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    found_t f;
    if (query_message(cli, a, topic, key, (int)max, begin, end, false, &f) != 0)
        return RMQ_EXIT_FAIL;
    if (cli->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < f.n; i++)
            json_array_append_new(arr, msg_json(f.v[i], true));
        cli_json_print(arr);
    } else {
        static const char *const hdr[] = {"#Message ID", "#QID", "#Offset", NULL};
        cli_table_t *t = cli_table_new(hdr);
        for (size_t i = 0; i < f.n; i++) {
            char qid[16], off[24];
            snprintf(qid, sizeof(qid), "%d", rocketmq_message_get_queue_id(f.v[i]));
            snprintf(off, sizeof(off), "%" PRId64, rocketmq_message_get_queue_offset(f.v[i]));
            cli_table_row(t, cli_or_empty(rocketmq_message_get_msg_id(f.v[i])), qid, off);
        }
        cli_table_print(cli, t);
    }
    rocketmq_messages_free(f.v, f.n);
    return RMQ_EXIT_OK;
}

static int cmd_query_msg_by_unique_key(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {
        {"msgId", 1, 'i'}, {"topic", 1, 't'}, {"showAll", 0, 'a'}, {NULL, 0, 0},
    };
    const char *id = NULL, *topic = NULL, *v;
    bool all = false;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "i:t:a", opts, &v)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case '?': return RMQ_EXIT_USAGE;
        case 'i': id = v; break;
        case 't': topic = v; break;
        case 'a': all = true; break;
        default: return cli_usage(cli, "unexpected option");
        }
    }
    if (cli_no_operands(cli, argc, argv))
        return RMQ_EXIT_USAGE;
    if (!id || !*id || !topic || !*topic)
        return cli_usage(cli, "-i UNIQUE_ID and -t TOPIC are required");
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    found_t f;
    if (query_message(cli, a, topic, id, 32, 0, INT64_MAX, true, &f) != 0)
        return RMQ_EXIT_FAIL;
    qsort(f.v, f.n, sizeof(*f.v), cmp_store_time);
    size_t shown = all ? f.n : 1;
    if (cli->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < shown; i++)
            json_array_append_new(arr, msg_json(f.v[i], true));
        cli_json_print(arr);
    } else {
        for (size_t i = 0; i < shown; i++) {
            if (i > 0)
                printf("\n");
            print_msg_detail(f.v[i], false);
        }
    }
    rocketmq_messages_free(f.v, f.n);
    return RMQ_EXIT_OK;
}

/* ---- queryMsgByOffset ---- */

static int cmd_query_msg_by_offset(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {
        {"topic", 1, 't'}, {"brokerName", 1, 'b'}, {"queueId", 1, 'i'},
        {"offset", 1, 'o'}, {NULL, 0, 0},
    };
    const char *topic = NULL, *broker = NULL, *v;
    int64_t qid = -1, offset = -1;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "t:b:i:o:", opts, &v)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case '?': return RMQ_EXIT_USAGE;
        case 't': topic = v; break;
        case 'b': broker = v; break;
        case 'i':
            if (cli_parse_i64(cli, "-i", v, 0, INT32_MAX, &qid))
                return RMQ_EXIT_USAGE;
            break;
        case 'o':
            if (cli_parse_i64(cli, "-o", v, 0, INT64_MAX, &offset))
                return RMQ_EXIT_USAGE;
            break;
        default: return cli_usage(cli, "unexpected option");
        }
    }
    if (cli_no_operands(cli, argc, argv))
        return RMQ_EXIT_USAGE;
    if (!topic || !*topic || !broker || !*broker || qid < 0 || offset < 0)
        return cli_usage(cli, "-t TOPIC, -b BROKER_NAME, -i QUEUE_ID and -o OFFSET are required");
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    rmq_topic_route_t route;
    if (cli_topic_route(cli, a, topic, &route) != 0)
        return RMQ_EXIT_FAIL;
    char addr[256] = "";
    const char *x = broker_addr_of(&route, broker);
    if (x)
        snprintf(addr, sizeof(addr), "%s", x);
    rmq_topic_route_free(&route);
    if (!addr[0])
        return cli_fail(cli, "broker %s does not serve topic %s", broker, topic);
    rocketmq_message_queue_t mq;
    memset(&mq, 0, sizeof(mq));
    snprintf(mq.topic, sizeof(mq.topic), "%s", topic);
    snprintf(mq.broker_name, sizeof(mq.broker_name), "%s", broker);
    mq.queue_id = (int)qid;
    pulled_t p;
    char err[512];
    if (pull_once(a, addr, TOOLS_GROUP, &mq, "*", offset, 1, &p, err, sizeof(err)) != 0)
        return cli_fail(cli, "%s", err);
    if (p.status != ROCKETMQ_PULL_FOUND || p.n == 0) {
        pulled_free(&p);
        return cli_fail(cli, "no message at offset %" PRId64 " of queue %d of %s on %s (%s; "
                             "the queue holds [%" PRId64 ", %" PRId64 "))",
                        offset, mq.queue_id, topic, broker, pull_status_name(p.status), p.min,
                        p.max);
    }
    if (cli->json) {
        json_t *arr = json_array();
        json_array_append_new(arr, msg_json(p.msgs[0], true));
        cli_json_print(arr);
    } else {
        print_msg_detail(p.msgs[0], true);
    }
    pulled_free(&p);
    return RMQ_EXIT_OK;
}

/* ---- printMsg ---- */

static int check_charset(rmq_cli_t *cli, const char *cs)
{
    if (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "UTF8") == 0)
        return 0;
    return cli_usage(cli, "charset %s is not supported (bodies are printed as UTF-8)", cs);
}

static void mq_text(const rocketmq_message_queue_t *mq, char *out, size_t n)
{
    snprintf(out, n, "MessageQueue [topic=%s, brokerName=%s, queueId=%d]", mq->topic,
             mq->broker_name, mq->queue_id);
}

static int cmd_print_msg(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {
        {"topic", 1, 't'},          {"charsetName", 1, 'c'}, {"subExpression", 1, 's'},
        {"beginTimestamp", 1, 'b'}, {"endTimestamp", 1, 'e'}, {"printBody", 1, 'd'},
        {"max", 1, 'm'},            {NULL, 0, 0},
    };
    const char *topic = NULL, *expr = "*", *v;
    bool has_begin = false, has_end = false, body = true;
    int64_t begin = 0, end = 0, max = 10000;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "t:c:s:b:e:d:m:", opts, &v)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case '?': return RMQ_EXIT_USAGE;
        case 't': topic = v; break;
        case 's': expr = v; break;
        case 'c':
            if (check_charset(cli, v))
                return RMQ_EXIT_USAGE;
            break;
        case 'b':
            if (parse_timestamp(cli, "-b", v, &begin))
                return RMQ_EXIT_USAGE;
            has_begin = true;
            break;
        case 'e':
            if (parse_timestamp(cli, "-e", v, &end))
                return RMQ_EXIT_USAGE;
            has_end = true;
            break;
        case 'd':
            if (strcasecmp(v, "true") == 0)
                body = true;
            else if (strcasecmp(v, "false") == 0)
                body = false;
            else
                return cli_usage(cli, "-d wants true or false, not '%s'", v);
            break;
        case 'm':
            if (cli_parse_i64(cli, "-m", v, 1, 10000000, &max))
                return RMQ_EXIT_USAGE;
            break;
        default: return cli_usage(cli, "unexpected option");
        }
    }
    if (cli_no_operands(cli, argc, argv))
        return RMQ_EXIT_USAGE;
    if (!topic || !*topic)
        return cli_usage(cli, "-t TOPIC is required");
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    rmq_topic_route_t route;
    if (cli_topic_route(cli, a, topic, &route) != 0)
        return RMQ_EXIT_FAIL;
    mq_list_t mqs;
    readable_queues(&route, topic, &mqs);
    json_t *arr = json_array();
    int ret = RMQ_EXIT_OK;
    int64_t printed = 0;
    char err[512], mqs_text[512];
    for (size_t q = 0; q < mqs.n && ret == RMQ_EXIT_OK && printed < max; q++) {
        const rocketmq_message_queue_t *mq = &mqs.v[q];
        const char *addr = broker_addr_of(&route, mq->broker_name);
        int64_t lo = 0, hi = 0;
        if (queue_offset(a, addr, mq, OFF_MIN, 0, &lo, err, sizeof(err)) != 0 ||
            queue_offset(a, addr, mq, OFF_MAX, 0, &hi, err, sizeof(err)) != 0 ||
            (has_begin && queue_offset(a, addr, mq, OFF_SEARCH, begin, &lo, err, sizeof(err))) ||
            (has_end && queue_offset(a, addr, mq, OFF_SEARCH, end, &hi, err, sizeof(err)))) {
            ret = cli_fail(cli, "%s", err);
            break;
        }
        mq_text(mq, mqs_text, sizeof(mqs_text));
        if (!cli->json)
            printf("minOffset=%" PRId64 ", maxOffset=%" PRId64 ", %s\n", lo, hi, mqs_text);
        for (int64_t off = lo; off < hi && printed < max;) {
            pulled_t p;
            int want = hi - off < PULL_BATCH ? (int)(hi - off) : PULL_BATCH;
            if (pull_once(a, addr, TOOLS_GROUP, mq, expr, off, want, &p, err, sizeof(err)) != 0) {
                ret = cli_fail(cli, "%s", err);
                break;
            }
            bool stop = false;
            switch (p.status) {
            case ROCKETMQ_PULL_FOUND:
                for (size_t i = 0; i < p.n && printed < max; i++, printed++) {
                    if (rocketmq_message_get_queue_offset(p.msgs[i]) >= hi)
                        break;
                    if (cli->json)
                        json_array_append_new(arr, msg_json(p.msgs[i], body));
                    else
                        print_msg_line(p.msgs[i], body);
                }
                break;
            case ROCKETMQ_PULL_NO_MATCHED_MSG:
                if (!cli->json)
                    printf("%s no matched msg. status=%s, offset=%" PRId64 "\n", mqs_text,
                           pull_status_name(p.status), p.next);
                break;
            default:
                if (!cli->json)
                    printf("%s print msg finished. status=%s, offset=%" PRId64 "\n", mqs_text,
                           pull_status_name(p.status), p.next);
                stop = true;
            }
            pulled_free(&p);
            if (stop || p.next <= off)
                break;
            off = p.next;
        }
        if (!cli->json)
            printf("--------------------------------------------------------\n");
    }
    if (ret == RMQ_EXIT_OK && printed >= max && !cli->json)
        printf("stopped after %" PRId64 " messages (-m)\n", max);
    free(mqs.v);
    rmq_topic_route_free(&route);
    if (ret == RMQ_EXIT_OK && cli->json)
        cli_json_print(arr);
    else
        json_decref(arr);
    return ret;
}

/* ---- sendMessage ---- */

typedef struct broker_sel {
    const char *broker;
    unsigned seed;
} broker_sel_t;

/* -b without -i: a queue of that broker, picked at random. */
static int select_broker_queue(const rocketmq_message_queue_t *mqs, size_t n,
                               const rocketmq_message_t *msg, void *arg)
{
    broker_sel_t *s = arg;
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += strcmp(mqs[i].broker_name, s->broker) == 0;
    if (count == 0)
        return -1;
    size_t pick = (size_t)rand_r(&s->seed) % count;
    for (size_t i = 0; i < n; i++)
        if (strcmp(mqs[i].broker_name, s->broker) == 0 && pick-- == 0)
            return (int)i;
    return -1;
}

static int cmd_send_message(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {
        {"topic", 1, 't'},  {"body", 1, 'p'}, {"key", 1, 'k'},
        {"tags", 1, 'c'},   {"broker", 1, 'b'}, {"qid", 1, 'i'},
        {"msgTraceEnable", 1, 'm'}, {NULL, 0, 0},
    };
    const char *topic = NULL, *body = NULL, *keys = NULL, *tags = NULL, *broker = NULL, *v;
    int64_t qid = -1;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "t:p:k:c:b:i:m:", opts, &v)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case '?': return RMQ_EXIT_USAGE;
        case 't': topic = v; break;
        case 'p': body = v; break;
        case 'k': keys = v; break;
        case 'c': tags = v; break;
        case 'b': broker = v; break;
        case 'i':
            if (cli_parse_i64(cli, "-i", v, 0, INT32_MAX, &qid))
                return RMQ_EXIT_USAGE;
            break;
        case 'm':
            if (strcasecmp(v, "true") == 0)
                return cli_usage(cli, "message trace (-m true) is not supported");
            if (strcasecmp(v, "false") != 0)
                return cli_usage(cli, "-m wants true or false, not '%s'", v);
            break;
        default: return cli_usage(cli, "unexpected option");
        }
    }
    if (cli_no_operands(cli, argc, argv))
        return RMQ_EXIT_USAGE;
    if (!topic || !*topic || !body)
        return cli_usage(cli, "-t TOPIC and -p BODY are required");
    if (qid >= 0 && !broker)
        return cli_usage(cli, "Broker name must be set if the queue is chosen (-i needs -b)");
    const char *ns = cli->namesrv && *cli->namesrv ? cli->namesrv : getenv("NAMESRV_ADDR");
    if (!ns || !*ns)
        return cli_fail(cli, "no name server address: give -n host:port or set NAMESRV_ADDR");
    /* mqadmin's producer group: the current time in milliseconds. */
    char group[32];
    snprintf(group, sizeof(group), "%" PRId64, rmq_now_ms());
    rocketmq_producer_t *p = rocketmq_producer_new(group);
    if (!p)
        return cli_fail(cli, "out of memory");
    int rc = rocketmq_producer_set_namesrv_addr(p, ns);
    if (rc == 0)
        rc = rocketmq_producer_set_send_msg_timeout(p, cli->timeout_ms);
    if (rc == 0)
        rc = rocketmq_producer_set_mq_client_api_timeout(p, cli->timeout_ms);
    if (rc == 0)
        rc = rocketmq_producer_start(p);
    if (rc != 0) {
        int r = cli_fail(cli, "producer: %s", rocketmq_last_error_detail());
        rocketmq_producer_destroy(p);
        return r;
    }
    rocketmq_message_t *m = rocketmq_message_new(topic);
    rocketmq_send_result_t res;
    memset(&res, 0, sizeof(res));
    rc = m ? rocketmq_message_set_body(m, body, strlen(body)) : ROCKETMQ_ERR__NO_MEMORY;
    if (rc == 0 && tags)
        rc = rocketmq_message_set_tags(m, tags);
    if (rc == 0 && keys)
        rc = rocketmq_message_set_keys(m, keys);
    if (rc == 0) {
        if (broker && qid >= 0) {
            rocketmq_message_queue_t mq;
            memset(&mq, 0, sizeof(mq));
            snprintf(mq.topic, sizeof(mq.topic), "%s", topic);
            snprintf(mq.broker_name, sizeof(mq.broker_name), "%s", broker);
            mq.queue_id = (int)qid;
            rc = rocketmq_producer_send_to_queue(p, m, &mq, &res);
        } else if (broker) {
            broker_sel_t sel = {broker, (unsigned)getpid() ^ (unsigned)rmq_now_ms()};
            rc = rocketmq_producer_send_orderly(p, m, select_broker_queue, &sel, &res);
        } else {
            rc = rocketmq_producer_send(p, m, &res);
        }
    }
    char detail[512];
    snprintf(detail, sizeof(detail), "%s", rocketmq_last_error_detail());
    rocketmq_message_destroy(m);
    rocketmq_producer_shutdown(p);
    rocketmq_producer_destroy(p);
    if (rc != 0) {
        if (broker && rc == ROCKETMQ_ERR__INVALID_ARG && qid < 0)
            return cli_fail(cli, "broker %s has no writable queue of topic %s (%s)", broker,
                            topic, detail);
        return cli_fail(cli, "send failed: %s: %s", rocketmq_err_name(rc),
                        detail[0] ? detail : rocketmq_err_str(rc));
    }
    if (cli->json) {
        json_t *o = json_object();
        json_object_set_new(o, "brokerName", json_string(res.queue.broker_name));
        json_object_set_new(o, "queueId", json_integer(res.queue.queue_id));
        json_object_set_new(o, "sendStatus", json_string(rocketmq_send_status_name(res.status)));
        json_object_set_new(o, "msgId", json_string(res.msg_id));
        json_object_set_new(o, "offsetMsgId", json_string(res.offset_msg_id));
        json_object_set_new(o, "queueOffset", json_integer(res.queue_offset));
        cli_json_print(o);
        return RMQ_EXIT_OK;
    }
    static const char *const hdr[] = {"#Broker Name", "#QID", "#Send Result", "#MsgId",
                                      NULL};
    cli_table_t *t = cli_table_new(hdr);
    char q[16];
    snprintf(q, sizeof(q), "%d", res.queue.queue_id);
    cli_table_row(t, res.queue.broker_name, q, rocketmq_send_status_name(res.status), res.msg_id);
    cli_table_print(cli, t);
    return RMQ_EXIT_OK;
}

/* ---- consumeMessage ---- */

typedef struct consume_ctx {
    rmq_cli_t *cli;
    rmq_admin_t *a;
    const char *group;
    json_t *arr;
    int64_t left;
    int64_t deadline;
} consume_ctx_t;

/* pullMessageByQueue: [lo, hi) of one queue, up to ctx->left messages. */
static int consume_queue(consume_ctx_t *x, const char *addr, const rocketmq_message_queue_t *mq,
                         int64_t lo, int64_t hi)
{
    char err[512], text[512];
    mq_text(mq, text, sizeof(text));
    for (int64_t off = lo; off < hi && x->left > 0;) {
        if (rmq_mono_ms() > x->deadline)
            return cli_fail(x->cli, "gave up after %d ms", CONSUME_DEADLINE_MS);
        int64_t want = hi - off;
        if (want > x->left)
            want = x->left;
        if (want > PULL_BATCH)
            want = PULL_BATCH;
        pulled_t p;
        if (pull_once(x->a, addr, x->group, mq, "*", off, (int)want, &p, err, sizeof(err)) != 0)
            return cli_fail(x->cli, "%s", err);
        bool stop = false;
        switch (p.status) {
        case ROCKETMQ_PULL_FOUND:
            if (!x->cli->json)
                printf("Consume ok\n");
            for (size_t i = 0; i < p.n && x->left > 0; i++) {
                if (rocketmq_message_get_queue_offset(p.msgs[i]) >= hi)
                    break;
                x->left--;
                if (x->cli->json)
                    json_array_append_new(x->arr, msg_json(p.msgs[i], true));
                else
                    print_msg_line(p.msgs[i], true);
            }
            break;
        case ROCKETMQ_PULL_NO_MATCHED_MSG:
            if (!x->cli->json)
                printf("%s no matched msg. status=%s, offset=%" PRId64 "\n", text,
                       pull_status_name(p.status), p.next);
            break;
        default:
            if (!x->cli->json)
                printf("%s print msg finished. status=%s, offset=%" PRId64 "\n", text,
                       pull_status_name(p.status), p.next);
            stop = true;
        }
        pulled_free(&p);
        if (stop || p.next <= off)
            break;
        off = p.next;
    }
    return 0;
}

/* The queue's [lo, hi) for consumeMessage: min..max, narrowed by -s / -e. */
static int consume_range(consume_ctx_t *x, const char *addr, const rocketmq_message_queue_t *mq,
                         int64_t begin, int64_t end, int64_t *lo, int64_t *hi)
{
    char err[512];
    if (queue_offset(x->a, addr, mq, OFF_MIN, 0, lo, err, sizeof(err)) != 0 ||
        queue_offset(x->a, addr, mq, OFF_MAX, 0, hi, err, sizeof(err)) != 0 ||
        (begin > 0 && queue_offset(x->a, addr, mq, OFF_SEARCH, begin, lo, err, sizeof(err))) ||
        (end > 0 && queue_offset(x->a, addr, mq, OFF_SEARCH, end, hi, err, sizeof(err))))
        return cli_fail(x->cli, "%s", err);
    return 0;
}

static int cmd_consume_message(rmq_cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {
        {"topic", 1, 't'},          {"brokerName", 1, 'b'},   {"queueId", 1, 'i'},
        {"offset", 1, 'o'},         {"consumerGroup", 1, 'g'}, {"beginTimestamp", 1, 's'},
        {"endTimestamp", 1, 'e'}, {"MessageNumber", 1, 'c'}, {NULL, 0, 0},
    };
    const char *topic = NULL, *broker = NULL, *group = TOOLS_GROUP, *v;
    int64_t qid = -1, offset = -1, begin = 0, end = 0, count = 128;
    int c;
    while ((c = cli_getopt(cli, argc, argv, "t:b:i:o:g:s:e:c:", opts, &v)) != -1) {
        switch (c) {
        case 'h': return cli_help(cli);
        case '?': return RMQ_EXIT_USAGE;
        case 't': topic = v; break;
        case 'b': broker = v; break;
        case 'g': group = v; break;
        case 'i':
            if (cli_parse_i64(cli, "-i", v, 0, INT32_MAX, &qid))
                return RMQ_EXIT_USAGE;
            break;
        case 'o':
            if (cli_parse_i64(cli, "-o", v, 0, INT64_MAX, &offset))
                return RMQ_EXIT_USAGE;
            break;
        case 's':
            if (parse_timestamp(cli, "-s", v, &begin))
                return RMQ_EXIT_USAGE;
            break;
        case 'e':
            if (parse_timestamp(cli, "-e", v, &end))
                return RMQ_EXIT_USAGE;
            break;
        case 'c':
            if (cli_parse_i64(cli, "-c", v, 1, 10000000, &count))
                return RMQ_EXIT_USAGE;
            break;
        default: return cli_usage(cli, "unexpected option");
        }
    }
    if (cli_no_operands(cli, argc, argv))
        return RMQ_EXIT_USAGE;
    if (!topic || !*topic)
        return cli_usage(cli, "-t TOPIC is required");
    if (qid >= 0 && !broker)
        return cli_usage(cli, "Please set the brokerName before queueId (-i needs -b)");
    if (offset >= 0 && qid < 0)
        return cli_usage(cli, "Please set queueId before offset (-o needs -i)");
    int64_t now = rmq_now_ms();
    if (begin > now)
        return cli_usage(cli, "Please set the beginTimestamp before now");
    if (end > now)
        return cli_usage(cli, "Please set the endTimestamp before now");
    if (end > 0 && begin > end)
        return cli_usage(cli, "the beginTimestamp is after the endTimestamp");
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    rmq_topic_route_t route;
    if (cli_topic_route(cli, a, topic, &route) != 0)
        return RMQ_EXIT_FAIL;
    consume_ctx_t x = {cli, a, group, json_array(), count, rmq_mono_ms() + CONSUME_DEADLINE_MS};
    int ret = RMQ_EXIT_OK;
    if (qid >= 0) {
        /* BYQUEUE / BYOFFSET */
        const char *addr = broker_addr_of(&route, broker);
        rocketmq_message_queue_t mq;
        memset(&mq, 0, sizeof(mq));
        snprintf(mq.topic, sizeof(mq.topic), "%s", topic);
        snprintf(mq.broker_name, sizeof(mq.broker_name), "%s", broker);
        mq.queue_id = (int)qid;
        int64_t lo = 0, hi = 0;
        if (!addr)
            ret = cli_fail(cli, "broker %s does not serve topic %s", broker, topic);
        else if (consume_range(&x, addr, &mq, begin, end, &lo, &hi) != 0)
            ret = RMQ_EXIT_FAIL;
        else if (offset > hi) {
            if (!cli->json) {
                char text[512];
                mq_text(&mq, text, sizeof(text));
                printf("%s no matched msg, offset=%" PRId64 "\n", text, offset);
            }
        } else {
            if (offset > lo)
                lo = offset;
            if (hi - lo > count && !cli->json)
                printf("The older %" PRId64 " message will be provided\n", count);
            ret = consume_queue(&x, addr, &mq, lo, hi);
        }
    } else {
        mq_list_t mqs;
        readable_queues(&route, topic, &mqs);
        for (size_t q = 0; q < mqs.n && x.left > 0 && ret == RMQ_EXIT_OK; q++) {
            const rocketmq_message_queue_t *mq = &mqs.v[q];
            if (broker && strcmp(mq->broker_name, broker) != 0)
                continue;
            const char *addr = broker_addr_of(&route, mq->broker_name);
            int64_t lo = 0, hi = 0;
            if (consume_range(&x, addr, mq, begin, end, &lo, &hi) != 0) {
                ret = RMQ_EXIT_FAIL;
                break;
            }
            if (hi - lo > x.left && !cli->json)
                printf("The older %" PRId64 " message of the %d queue will be provided\n", x.left,
                       mq->queue_id);
            ret = consume_queue(&x, addr, mq, lo, hi);
        }
        free(mqs.v);
    }
    rmq_topic_route_free(&route);
    if (ret == RMQ_EXIT_OK && cli->json)
        cli_json_print(x.arr);
    else
        json_decref(x.arr);
    return ret;
}

const rmq_command_t rmq_cmds_msg[] = {
    {"queryMsgById", "Query Message by Id",
     "usage: rmq queryMsgById -i MSG_ID[,MSG_ID...]\n"
     "\n"
     "Decodes each offset message id (the storing broker's address and the\n"
     "commit-log offset) and asks that broker with VIEW_MESSAGE_BY_ID; prints the\n"
     "message as mqadmin does (OffsetID, Topic, Tags, Keys, Queue ID, Queue Offset,\n"
     "CommitLog Offset, Reconsume Times, Born/Store Timestamp, Born/Store Host,\n"
     "System Flag, Properties) with the body as UTF-8 text instead of a body file.\n"
     "\n"
     "  -i, --msgId ID[,ID...]   offset message ids (32 or 56 hex digits)\n",
     cmd_query_msg_by_id},
    {"queryMsgByKey", "Query Message by Key",
     "usage: rmq queryMsgByKey -t TOPIC -k KEY [-b BEGIN] [-e END] [-m MAX]\n"
     "\n"
     "QUERY_MESSAGE (the brokers' key index) at every broker of the topic; lists\n"
     "Message ID, QID and Offset of the messages whose KEYS hold the key.\n"
     "\n"
     "  -t, --topic TOPIC              topic name (required)\n"
     "  -k, --msgKey KEY               message key (required)\n"
     "  -b, --beginTimestamp TS        stored at or after (ms or yyyy-MM-dd#HH:mm:ss:SSS)\n"
     "  -e, --endTimestamp TS          stored at or before (default: no bound)\n"
     "  -m, --maxNum N                 at most N per broker (default 64)\n",
     cmd_query_msg_by_key},
    {"queryMsgByOffset", "Query Message by offset",
     "usage: rmq queryMsgByOffset -t TOPIC -b BROKER_NAME -i QUEUE_ID -o OFFSET\n"
     "\n"
     "Pulls the one message at that queue offset (group TOOLS_CONSUMER, no offset\n"
     "committed) and prints it as queryMsgById does.\n"
     "\n"
     "  -t, --topic TOPIC          topic name (required)\n"
     "  -b, --brokerName NAME      broker name (required)\n"
     "  -i, --queueId ID           queue id (required)\n"
     "  -o, --offset OFFSET        queue offset (required)\n",
     cmd_query_msg_by_offset},
    {"queryMsgByUniqueKey", "Query Message by Unique key",
     "usage: rmq queryMsgByUniqueKey -i UNIQUE_ID -t TOPIC [-a]\n"
     "\n"
     "QUERY_MESSAGE by the producer's unique id (the UNIQ_KEY property the brokers\n"
     "index) at every broker of the topic; prints the earliest stored match, or all\n"
     "with -a (at most 32 per broker).\n"
     "\n"
     "  -i, --msgId ID        the unique message id (SendResult msgId) (required)\n"
     "  -t, --topic TOPIC     topic name (required)\n"
     "  -a, --showAll         print every match\n",
     cmd_query_msg_by_unique_key},
    {"printMsg", "Print Message Detail",
     "usage: rmq printMsg -t TOPIC [-s SUB_EXPRESSION] [-b BEGIN] [-e END] [-d true|false]\n"
     "                    [-c UTF-8] [-m MAX]\n"
     "\n"
     "Pulls every readable queue of the topic from its min offset (or the offset at\n"
     "-b) to its max offset (or the offset at -e), 32 at a time, and prints each\n"
     "message on a line: MSGID: <id> MessageExt [...] BODY: <text>.  Group\n"
     "TOOLS_CONSUMER; no offset is committed.\n"
     "\n"
     "  -t, --topic TOPIC             topic name (required)\n"
     "  -s, --subExpression EXPR      tags, e.g. 'TagA || TagB' (default *)\n"
     "  -b, --beginTimestamp TS       ms or yyyy-MM-dd#HH:mm:ss:SSS\n"
     "  -e, --endTimestamp TS         ms or yyyy-MM-dd#HH:mm:ss:SSS\n"
     "  -d, --printBody BOOL          print the bodies (default true)\n"
     "  -c, --charsetName NAME        UTF-8 only\n"
     "  -m, --max N                   stop after N messages in all (default 10000)\n",
     cmd_print_msg},
    {"sendMessage", "Send a message",
     "usage: rmq sendMessage -t TOPIC -p BODY [-k KEYS] [-c TAGS] [-b BROKER_NAME [-i QUEUE_ID]]\n"
     "\n"
     "Sends one message with librocketmq's producer (group: the current time in ms)\n"
     "and prints Broker Name, QID, Send Result and MsgId (the unique id).\n"
     "\n"
     "  -t, --topic TOPIC         topic name (required)\n"
     "  -p, --body TEXT           the body, UTF-8 (required)\n"
     "  -k, --key KEYS            message keys (space-separated)\n"
     "  -c, --tags TAGS           message tag\n"
     "  -b, --broker NAME         send to this broker (a queue of its choosing\n"
     "                            without -i)\n"
     "  -i, --qid ID              send to this queue (needs -b)\n"
     "  -m, --msgTraceEnable BOOL only false: message trace is not supported\n",
     cmd_send_message},
    {"consumeMessage", "Consume message",
     "usage: rmq consumeMessage -t TOPIC [-b BROKER_NAME [-i QUEUE_ID [-o OFFSET]]]\n"
     "                          [-g GROUP] [-s BEGIN] [-e END] [-c COUNT]\n"
     "\n"
     "Reads messages as mqadmin's consumeMessage does (pulls without suspending\n"
     "or committing offsets): every readable queue, or one queue with -b/-i, from\n"
     "the min offset (the offset at -s, or -o) to the max offset (the offset at -e),\n"
     "at most COUNT messages, and gives up after 30 s.\n"
     "\n"
     "  -t, --topic TOPIC            topic name (required)\n"
     "  -b, --brokerName NAME        only this broker's queues\n"
     "  -i, --queueId ID             only this queue (needs -b)\n"
     "  -o, --offset OFFSET          start at this queue offset (needs -i)\n"
     "  -g, --consumerGroup GROUP    the group named in the pulls (default TOOLS_CONSUMER)\n"
     "  -s, --beginTimestamp TS      ms or yyyy-MM-dd#HH:mm:ss:SSS\n"
     "  -e, --endTimestamp TS        ms or yyyy-MM-dd#HH:mm:ss:SSS\n"
     "  -c, --MessageNumber COUNT    at most COUNT messages (default 128)\n",
     cmd_consume_message},
    {NULL, NULL, NULL, NULL},
};
