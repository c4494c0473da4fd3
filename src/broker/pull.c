/* PULL_MESSAGE (PullMessageProcessor, reference broker.md 8): checks, the
 * store read with the tag filter, the status mapping, the piggy-backed offset
 * commit and the hand-over to long polling (pull_hold.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json_str.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "broker/broker_int.h"
#include "broker/subscription.h"
#include "protocol/pull_headers.h"
#include "rocketmq/error.h"

#define MOD "broker"
#define FAQ_TIP "\nSee http://rocketmq.apache.org/docs/faq/ for further details."
#define TOPIC_OFFSET_MOVED_EVENT "OFFSET_MOVED_EVENT"

typedef struct pull_ctx {
    rmq_broker_t *b;
    rmq_conn_t *conn;
    rmq_cmd_t *req;
    rmq_pull_req_t h;
    const rmq_subscription_group_t *group;
    rmq_sub_expr_t filter;
    bool allow_suspend; /* false when a held pull is re-run */
    rmq_get_result_t *found; /* the records of a SUCCESS answer, sent from the mapping */
} pull_ctx_t;

static bool is_master(const rmq_broker_t *b)
{
    return b->cfg.brokerId == 0;
}

static rmq_cmd_t *fail(const pull_ctx_t *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static rmq_cmd_t *fail(const pull_ctx_t *c, int code, const char *fmt, ...)
{
    char remark[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(remark, sizeof(remark), fmt, ap);
    va_end(ap);
    return rmq_cmd_new_response(c->req, code, remark);
}

/* Checks 1-6 of reference 8.2: broker, group, topic, queue id. */
static rmq_cmd_t *check_access(pull_ctx_t *c)
{
    const rmq_pull_req_t *h = &c->h;
    if (!(c->b->cfg.brokerPermission & RMQ_PERM_READ))
        return fail(c, ROCKETMQ_ERR_NO_PERMISSION, "the broker[%s] pulling message is forbidden",
                    c->b->cfg.brokerIP1);
    c->group = rmq_subgroup_mgr_find(c->b->groups, h->consumerGroup);
    if (!c->group)
        return fail(c, ROCKETMQ_ERR_SUBSCRIPTION_GROUP_NOT_EXIST,
                    "subscription group [%s] does not exist, " FAQ_TIP, h->consumerGroup);
    if (!c->group->consume_enable)
        return fail(c, ROCKETMQ_ERR_NO_PERMISSION, "subscription group no permission, %s",
                    h->consumerGroup);
    const rmq_topic_config_t *tc = rmq_topic_mgr_get(c->b->topics, h->topic);
    if (!tc) {
        RMQ_LOGW(MOD, "the topic %s not exist, consumer: %s", h->topic, rmq_conn_peer(c->conn));
        return fail(c, ROCKETMQ_ERR_TOPIC_NOT_EXIST,
                    "topic[%s] not exist, apply first please! " FAQ_TIP, h->topic);
    }
    if (!(tc->perm & RMQ_PERM_READ))
        return fail(c, ROCKETMQ_ERR_NO_PERMISSION, "the topic[%s] pulling message is forbidden",
                    h->topic);
    if (h->queueId < 0 || h->queueId >= tc->read_queue_nums) {
        rmq_cmd_t *resp = fail(c, ROCKETMQ_ERR_SYSTEM_ERROR,
                               "queueId[%d] is illegal, topic:[%s] topicConfig.readQueueNums:[%d] "
                               "consumer:[/%s]",
                               (int)h->queueId, h->topic, (int)tc->read_queue_nums,
                               rmq_conn_peer(c->conn));
        RMQ_LOGW(MOD, "%s", resp->remark);
        return resp;
    }
    return NULL;
}

/* Check 7a: the expression travels in the header. */
static rmq_cmd_t *filter_from_header(pull_ctx_t *c)
{
    const rmq_pull_req_t *h = &c->h;
    switch (rmq_sub_expr_parse(h->subscription, h->expressionType, &c->filter)) {
    case RMQ_SUB_OK:
        return NULL;
    case RMQ_SUB_BAD:
        RMQ_LOGW(MOD, "Parse the consumer's subscription[%s] failed, group: %s",
                 h->subscription ? h->subscription : "null", h->consumerGroup);
        return fail(c, ROCKETMQ_ERR_SUBSCRIPTION_PARSE_FAILED,
                    "parse the consumer's subscription failed");
    case RMQ_SUB_UNSUPPORTED:
        break;
    }
    /* Check 8: SQL92 needs enablePropertyFilter, which this broker lacks. */
    return fail(c, ROCKETMQ_ERR_SYSTEM_ERROR,
                "The broker does not support consumer to filter message by %s", h->expressionType);
}

/* Check 7b: the subscription the group registered by heartbeat.  The
 * expression is re-parsed: its code set is the one the client computed. */
static rmq_cmd_t *filter_from_heartbeat(pull_ctx_t *c)
{
    const rmq_pull_req_t *h = &c->h;
    char *expr = NULL;
    if (!rmq_client_mgr_subscription(c->b->clients, h->consumerGroup, h->topic, &expr)) {
        RMQ_LOGW(MOD, "the consumer's subscription not exist, group: %s, topic:%s",
                 h->consumerGroup, h->topic);
        return fail(c, ROCKETMQ_ERR_SUBSCRIPTION_NOT_EXIST,
                    "the consumer's subscription not exist" FAQ_TIP);
    }
    /* A client cannot register what its own FilterAPI refused, so a parse
     * failure leaves an empty code set (nothing matches) rather than an error. */
    rmq_sub_expr_parse(expr, NULL, &c->filter);
    free(expr);
    return NULL;
}

static bool tags_filter(int64_t tags_code, void *arg)
{
    return rmq_sub_expr_match(arg, tags_code);
}

/* Reference 8.4. */
static int map_status(const rmq_get_result_t *r, int64_t req_offset)
{
    switch (r->status) {
    case RMQ_GET_FOUND:
        return ROCKETMQ_ERR_SUCCESS;
    case RMQ_GET_NO_MATCHED_MESSAGE:
    case RMQ_GET_MESSAGE_WAS_REMOVING:
        return ROCKETMQ_ERR_PULL_RETRY_IMMEDIATELY;
    case RMQ_GET_NO_MATCHED_LOGIC_QUEUE:
    case RMQ_GET_NO_MESSAGE_IN_QUEUE:
        return req_offset != 0 ? ROCKETMQ_ERR_PULL_OFFSET_MOVED : ROCKETMQ_ERR_PULL_NOT_FOUND;
    case RMQ_GET_OFFSET_FOUND_NULL:
    case RMQ_GET_OFFSET_OVERFLOW_ONE:
        return ROCKETMQ_ERR_PULL_NOT_FOUND;
    case RMQ_GET_OFFSET_OVERFLOW_BADLY:
    case RMQ_GET_OFFSET_TOO_SMALL:
        return ROCKETMQ_ERR_PULL_OFFSET_MOVED;
    }
    return ROCKETMQ_ERR_SYSTEM_ERROR;
}

/* The records are written to the socket straight from the mapped commit log
 * (transferMsgByHeap=false); the store's references keep the files mapped
 * until the write is done. */
static void release_found(void *arg)
{
    rmq_get_result_t *r = arg;
    rmq_get_result_release(r);
    free(r);
}

static void reply_found(rmq_conn_t *conn, const rmq_cmd_t *req, rmq_cmd_t *resp,
                        rmq_get_result_t *r)
{
    rmq_part_t stack[32];
    rmq_part_t *parts = r->count <= 32 ? stack : rmq_malloc(r->count * sizeof(*parts));
    for (size_t i = 0; i < r->count; i++)
        parts[i] = (rmq_part_t){r->msgs[i].p, r->msgs[i].len};
    rmq_conn_reply_parts(conn, req, resp, parts, r->count, release_found, r);
    if (parts != stack)
        free(parts);
}

/* OffsetMovedEvent.encode(): fastjson, fields in name order. */
static void offset_moved_body(const pull_ctx_t *c, int64_t offset_new, rmq_buf_t *out)
{
    const rmq_pull_req_t *h = &c->h;
    rmq_buf_append_str(out, "{\"consumerGroup\":");
    rmq_buf_append_json_str(out, h->consumerGroup, strlen(h->consumerGroup));
    rmq_buf_append_str(out, ",\"messageQueue\":{\"brokerName\":");
    rmq_buf_append_json_str(out, c->b->cfg.brokerName, strlen(c->b->cfg.brokerName));
    rmq_buf_printf(out, ",\"queueId\":%d,\"topic\":", (int)h->queueId);
    rmq_buf_append_json_str(out, h->topic, strlen(h->topic));
    rmq_buf_printf(out, "},\"offsetNew\":%lld,\"offsetRequest\":%lld}", (long long)offset_new,
                   (long long)h->queueOffset);
}

static void on_offset_moved_put(const rmq_put_result_t *res, void *arg)
{
    (void)arg;
    if (res->status != RMQ_PUT_OK)
        RMQ_LOGW(MOD, "cannot store the offset moved event: %s",
                 rmq_put_status_name(res->status));
}

/* generateOffsetMovedEvent: tags and keys are the group, DELAY 0 as
 * setDelayTimeLevel(0) leaves it. */
static void put_offset_moved_event(const pull_ctx_t *c, int64_t offset_new)
{
    const char *g = c->h.consumerGroup;
    rmq_buf_t props = RMQ_BUF_INIT, body = RMQ_BUF_INIT;
    rmq_buf_printf(&props, "TAGS%c%s%cDELAY%c0%cKEYS%c%s%c", RMQ_PROP_NAME_VALUE_SEP, g,
                   RMQ_PROP_SEP, RMQ_PROP_NAME_VALUE_SEP, RMQ_PROP_SEP, RMQ_PROP_NAME_VALUE_SEP, g,
                   RMQ_PROP_SEP);
    offset_moved_body(c, offset_new, &body);
    if (props.len > RMQ_PROPERTIES_MAX_LEN)
        goto out;
    rmq_msg_in_t m = {
        .topic = TOPIC_OFFSET_MOVED_EVENT,
        .topic_len = strlen(TOPIC_OFFSET_MOVED_EVENT),
        .queue_id = 0,
        .body = body.data,
        .body_len = body.len,
        .properties = (const char *)props.data,
        .properties_len = props.len,
        .born_timestamp = rmq_now_ms(),
        .born_host = c->b->store_host_addr,
        .store_host = c->b->store_host_addr,
    };
    rmq_store_put(c->b->store, &m, 1, on_offset_moved_put, NULL);
out:
    rmq_buf_free(&props);
    rmq_buf_free(&body);
}

static void offset_moved(const pull_ctx_t *c, rmq_cmd_t *resp, rmq_pull_resp_t *rh)
{
    const rmq_pull_req_t *h = &c->h;
    if (!is_master(c->b)) {
        /* offsetCheckInSlave=false: no correction from a slave. */
        rh->suggestWhichBrokerId = c->group->broker_id;
        resp->code = ROCKETMQ_ERR_PULL_RETRY_IMMEDIATELY;
        return;
    }
    put_offset_moved_event(c, rh->nextBeginOffset);
    RMQ_LOGW(MOD,
             "PULL_OFFSET_MOVED:correction offset. topic=%s, groupId=%s, requestOffset=%lld, "
             "newOffset=%lld, suggestBrokerId=%lld",
             h->topic, h->consumerGroup, (long long)h->queueOffset,
             (long long)rh->nextBeginOffset, (long long)rh->suggestWhichBrokerId);
}

/* PULL_NOT_FOUND on the first run with the suspend flag: hold it (8.7). */
static bool try_suspend(pull_ctx_t *c)
{
    if (!c->allow_suspend || !(c->h.sysFlag & RMQ_PULL_FLAG_SUSPEND) || !c->b->holds)
        return false;
    int64_t timeout = c->b->cfg.longPollingEnable ? c->h.suspendTimeoutMillis
                                                  : c->b->cfg.shortPollingTimeMills;
    rmq_pull_hold_suspend(c->b, c->conn, c->req, c->h.topic, c->h.queueId, c->h.queueOffset,
                          timeout, &c->filter);
    return true;
}

/* The store read and the answer it makes; NULL when the pull was held. */
static rmq_cmd_t *read_and_answer(pull_ctx_t *c)
{
    const rmq_pull_req_t *h = &c->h;
    rmq_get_result_t r;
    rmq_store_get_messages(c->b->store, h->topic, h->queueId, h->queueOffset, h->maxMsgNums,
                           c->filter.all ? NULL : tags_filter, &c->filter, &r);
    rmq_cmd_t *resp = rmq_cmd_new_response(c->req, map_status(&r, h->queueOffset),
                                           rmq_get_status_name(r.status));
    /* slaveReadEnable is off: always the master. */
    rmq_pull_resp_t rh = {
        .suggestWhichBrokerId = 0,
        .nextBeginOffset = r.next_begin_offset,
        .minOffset = r.min_offset,
        .maxOffset = r.max_offset,
    };
    if (resp->code == ROCKETMQ_ERR_SUCCESS) {
        c->found = rmq_malloc(sizeof(*c->found));
        *c->found = r; /* its references go with the answer */
    } else {
        rmq_get_result_release(&r);
    }
    if (resp->code == ROCKETMQ_ERR_PULL_NOT_FOUND && try_suspend(c)) {
        rmq_cmd_free(resp);
        return NULL;
    }
    if (resp->code == ROCKETMQ_ERR_PULL_OFFSET_MOVED)
        offset_moved(c, resp, &rh);
    rmq_header_encode(&rmq_pull_resp_desc, &rh, &resp->ext);
    return resp;
}

/* Reference 8.6: first run only, master only, whatever the status. */
static void commit_offset(const pull_ctx_t *c)
{
    if (c->allow_suspend && (c->h.sysFlag & RMQ_PULL_FLAG_COMMIT_OFFSET) && is_master(c->b))
        rmq_offset_mgr_commit(c->b->offsets, c->h.consumerGroup, c->h.topic, c->h.queueId,
                              c->h.commitOffset);
}

static rmq_cmd_t *process(pull_ctx_t *c, bool *held)
{
    rmq_cmd_t *resp = check_access(c);
    if (!resp)
        resp = (c->h.sysFlag & RMQ_PULL_FLAG_SUBSCRIPTION) ? filter_from_header(c)
                                                           : filter_from_heartbeat(c);
    if (resp)
        return resp;
    resp = read_and_answer(c);
    *held = resp == NULL;
    /* Still valid when held: the hold keeps req, whose extFields h points into. */
    commit_offset(c);
    return resp;
}

bool rmq_pull_execute(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req, bool allow_suspend)
{
    pull_ctx_t c = {.b = b, .conn = conn, .req = req, .allow_suspend = allow_suspend};
    if (!rmq_broker_decode(conn, req, &rmq_pull_req_desc, &c.h))
        return false;
    bool held = false;
    rmq_cmd_t *resp = process(&c, &held);
    rmq_sub_expr_free(&c.filter);
    if (resp && c.found)
        reply_found(conn, req, resp, c.found);
    else if (resp)
        rmq_conn_reply(conn, req, resp);
    return held;
}

void rmq_broker_pull(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req)
{
    if (!rmq_pull_execute(b, conn, req, true))
        rmq_cmd_free(req);
}
