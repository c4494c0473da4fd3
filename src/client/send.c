/* The producer's send path (DefaultMQProducerImpl sendDefaultImpl,
 * sendKernelImpl, sendSelectImpl; MQClientAPIImpl processSendResponse;
 * protocol.md 4.1, 6.5, 6.6, 9.5, 9.6): SYNC with retries, ONEWAY, to a
 * queue, through a selector, batches. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "client/client_int.h"
#include "client/producer_int.h"
#include "protocol/codes.h"
#include "protocol/record.h"
#include "protocol/send_headers.h"

#define RETRY_GROUP_TOPIC_PREFIX "%RETRY%"
/* MessageSysFlag compression type bits: ZLIB (4.9.4 and later send them). */
#define SYSFLAG_COMPRESSION_ZLIB 0x300

/* ---- payload: what every attempt of one send carries ---- */

static void payload_init(rmq_send_payload_t *pl, const char *topic)
{
    memset(pl, 0, sizeof(*pl));
    rmq_str_copy(pl->topic, sizeof(pl->topic), topic);
    rmq_buf_init(&pl->props);
    rmq_buf_init(&pl->body);
    pl->batch_size = 1;
}

void rmq_payload_free(rmq_send_payload_t *pl)
{
    rmq_buf_free(&pl->props);
    rmq_buf_free(&pl->body);
}

static bool parse_i32(const char *s, int32_t *out)
{
    char *end;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || *end || v < INT32_MIN || v > INT32_MAX)
        return false;
    *out = (int32_t)v;
    return true;
}

/* For %RETRY% topics RECONSUME_TIME and MAX_RECONSUME_TIMES travel in the
 * header, not in the properties. */
static void encode_props(const rocketmq_message_t *msg, rmq_send_payload_t *pl)
{
    bool retry = strncmp(pl->topic, RETRY_GROUP_TOPIC_PREFIX, strlen(RETRY_GROUP_TOPIC_PREFIX)) == 0;
    if (!retry) {
        rmq_msg_encode_props(msg, &pl->props);
        return;
    }
    rocketmq_message_t *copy = rocketmq_message_dup(msg);
    pl->has_reconsume = parse_i32(rocketmq_message_get_property(copy, "RECONSUME_TIME"),
                                  &pl->reconsume_times);
    pl->has_max_reconsume = parse_i32(rocketmq_message_get_property(copy, "MAX_RECONSUME_TIMES"),
                                      &pl->max_reconsume_times);
    rocketmq_message_set_property(copy, "RECONSUME_TIME", NULL);
    rocketmq_message_set_property(copy, "MAX_RECONSUME_TIMES", NULL);
    rmq_msg_encode_props(copy, &pl->props);
    rocketmq_message_destroy(copy);
}

/* tryToCompressMessage: only when it worked is the flag set; the caller's
 * message keeps its body. */
static void set_body(rocketmq_producer_t *p, const rocketmq_message_t *msg,
                     rmq_send_payload_t *pl)
{
    if (msg->body_len >= (size_t)p->compress_over) {
        uint8_t *z = NULL;
        size_t zn = 0;
        if (rmq_compress_zlib(msg->body, msg->body_len, p->compress_level, &z, &zn) == 0) {
            rmq_buf_append(&pl->body, z, zn);
            free(z);
            pl->sys_flag |= RMQ_SYSFLAG_COMPRESSED | SYSFLAG_COMPRESSION_ZLIB;
            return;
        }
        RMQ_LOGW("client", "compression failed: sending %zu bytes as they are", msg->body_len);
    }
    rmq_buf_append(&pl->body, msg->body, msg->body_len);
}

int rmq_payload_prepare(rocketmq_producer_t *p, rocketmq_message_t *msg, rmq_send_payload_t *pl)
{
    char why[256];
    if (!msg)
        return rmq_client_fail(ROCKETMQ_ERR_MESSAGE_ILLEGAL, "the message is null");
    int err = rmq_validate_message(msg, p->max_message_size, why, sizeof(why));
    if (err != 0)
        return rmq_client_fail(err, "%s", why);
    /* the id is the caller's to see, and the same on every attempt */
    if (rmq_msg_set_uniq_id_if_absent(msg) != 0)
        return rmq_client_fail(ROCKETMQ_ERR__NO_MEMORY, "no memory for the message id");
    payload_init(pl, msg->topic);
    rmq_str_copy(pl->msg_id, sizeof(pl->msg_id), rocketmq_message_get_msg_id(msg));
    encode_props(msg, pl);
    rmq_buf_append_u8(&pl->props, 0);
    pl->props.len--; /* NUL-terminated, not counted */
    set_body(p, msg, pl);
    const char *tran = rocketmq_message_get_property(msg, "TRAN_MSG");
    if (tran && strcmp(tran, "true") == 0)
        pl->sys_flag |= RMQ_SYSFLAG_TX_PREPARED;
    pl->flag = msg->flag;
    return 0;
}

int rmq_payload_prepare_batch(rocketmq_producer_t *p, rocketmq_message_t **msgs, size_t n,
                              rmq_send_payload_t *pl)
{
    char why[256];
    if (!msgs || n == 0)
        return rmq_client_fail(ROCKETMQ_ERR_MESSAGE_ILLEGAL, "the batch is empty");
    rmq_buf_t body = RMQ_BUF_INIT;
    int err = rmq_msg_batch_encode(msgs, n, p->max_message_size, &body, why, sizeof(why));
    if (err != 0) {
        rmq_buf_free(&body);
        return rmq_client_fail(err, "%s", why);
    }
    payload_init(pl, msgs[0]->topic);
    rmq_buf_free(&pl->body);
    pl->body = body;
    pl->batch = true;
    pl->batch_size = n;
    rmq_str_copy(pl->msg_id, sizeof(pl->msg_id), rocketmq_message_get_msg_id(msgs[0]));
    /* the batch's own properties: WAIT, as MessageBatch inherits it */
    rocketmq_message_t *head = rocketmq_message_new(pl->topic);
    rocketmq_message_set_wait_store_msg_ok(head, rocketmq_message_get_wait_store_msg_ok(msgs[0]));
    rmq_msg_encode_props(head, &pl->props);
    rocketmq_message_destroy(head);
    rmq_buf_append_u8(&pl->props, 0);
    pl->props.len--;
    return 0;
}

rmq_cmd_t *rmq_payload_request(const rocketmq_producer_t *p, const rmq_send_payload_t *pl,
                               const rocketmq_message_queue_t *mq)
{
    rmq_cmd_t *req = rmq_cmd_new_request(pl->batch ? RMQ_REQ_SEND_BATCH_MESSAGE
                                                   : RMQ_REQ_SEND_MESSAGE_V2);
    rmq_send_req_t h = {
        .producerGroup = p->group,
        .topic = pl->topic,
        .defaultTopic = p->create_topic_key,
        .defaultTopicQueueNums = p->default_topic_queue_nums,
        .queueId = mq->queue_id,
        .sysFlag = pl->sys_flag,
        .bornTimestamp = rmq_now_ms(),
        .flag = pl->flag,
        .properties = (const char *)pl->props.data,
        .reconsumeTimes = pl->reconsume_times,
        .has_reconsumeTimes = true,
        .unitMode = false,
        .maxReconsumeTimes = pl->max_reconsume_times,
        .has_maxReconsumeTimes = pl->has_max_reconsume,
        .batch = pl->batch,
        .bname = mq->broker_name,
    };
    rmq_header_encode(&rmq_send_req_v2_desc, &h, &req->ext);
    rmq_cmd_set_body(req, pl->body.data, pl->body.len);
    return req;
}

/* ---- addresses, selection, fault bookkeeping ---- */

/* brokerVIPChannel: the same host, port - 2. */
static void vip_addr(char *addr, size_t n)
{
    char *colon = strrchr(addr, ':');
    long port = colon ? strtol(colon + 1, NULL, 10) : 0;
    if (colon && port > 2)
        snprintf(colon + 1, n - (size_t)(colon + 1 - addr), "%ld", port - 2);
}

int rmq_producer_broker_addr(rocketmq_producer_t *p, const char *topic, const char *broker,
                             char *out, size_t n)
{
    if (!rmq_instance_master_addr(p->inst, broker, out, n)) {
        rmq_publish_info_t *pi = rmq_instance_find_publish_info(
            p->inst, topic, p->create_topic_key, p->default_topic_queue_nums);
        rmq_publish_info_unref(pi);
        if (!rmq_instance_master_addr(p->inst, broker, out, n))
            return rmq_client_fail(ROCKETMQ_ERR__NOT_FOUND, "The broker[%s] not exist", broker);
    }
    if (p->vip_channel)
        vip_addr(out, n);
    return 0;
}

void rmq_producer_select(rocketmq_producer_t *p, const rmq_publish_info_t *pi,
                         const char *last_broker, rocketmq_message_queue_t *out)
{
    if (p->fault_enable)
        rmq_select_queue_fault(pi, p->fault, last_broker, rmq_now_ms(), out);
    else
        rmq_select_queue(pi, last_broker, out);
}

void rmq_producer_fault_update(rocketmq_producer_t *p, const char *broker, int64_t latency,
                               bool isolation)
{
    if (p->fault_enable)
        rmq_fault_update(p->fault, broker, latency, isolation, rmq_now_ms());
}

int rmq_producer_publish_info(rocketmq_producer_t *p, const char *topic, rmq_publish_info_t **out)
{
    rmq_publish_info_t *pi = rmq_instance_find_publish_info(p->inst, topic, p->create_topic_key,
                                                            p->default_topic_queue_nums);
    if (pi->nmqs > 0) {
        *out = pi;
        return 0;
    }
    rmq_publish_info_unref(pi);
    if (!rmq_instance_has_namesrv(p->inst))
        return rmq_client_fail(ROCKETMQ_ERR__NO_ROUTE,
                               "No name server address, please set it (namesrv address or "
                               "NAMESRV_ADDR)");
    return rmq_client_fail(ROCKETMQ_ERR__NO_ROUTE, "No route info of this topic: %s", topic);
}

/* ---- responses ---- */

static void copy_first(char *dst, size_t n, const char *list)
{
    size_t len = list ? strcspn(list, ",") : 0;
    if (len >= n)
        len = n - 1;
    memcpy(dst, list ? list : "", len);
    dst[len] = '\0';
}

int rmq_send_response(const rmq_cmd_t *resp, const rmq_send_payload_t *pl,
                      const rocketmq_message_queue_t *mq, rocketmq_send_result_t *res,
                      char *detail, size_t dn)
{
    rocketmq_send_status_t status;
    switch (resp->code) {
    case ROCKETMQ_ERR_SUCCESS:
        status = ROCKETMQ_SEND_OK;
        break;
    case ROCKETMQ_ERR_FLUSH_DISK_TIMEOUT:
        status = ROCKETMQ_SEND_FLUSH_DISK_TIMEOUT;
        break;
    case ROCKETMQ_ERR_FLUSH_SLAVE_TIMEOUT:
        status = ROCKETMQ_SEND_FLUSH_SLAVE_TIMEOUT;
        break;
    case ROCKETMQ_ERR_SLAVE_NOT_AVAILABLE:
        status = ROCKETMQ_SEND_SLAVE_NOT_AVAILABLE;
        break;
    default:
        snprintf(detail, dn, "CODE: %d DESC: %s", resp->code, resp->remark ? resp->remark : "");
        return resp->code;
    }
    rmq_send_resp_t h;
    char why[128];
    if (rmq_header_decode(&rmq_send_resp_desc, &resp->ext, &h, why, sizeof(why)) != 0) {
        snprintf(detail, dn, "bad send response: %s", why);
        return ROCKETMQ_ERR__PROTOCOL;
    }
    memset(res, 0, sizeof(*res));
    res->status = status;
    rmq_str_copy(res->msg_id, sizeof(res->msg_id), pl->msg_id);
    copy_first(res->offset_msg_id, sizeof(res->offset_msg_id), h.msgId);
    res->queue = *mq;
    rmq_str_copy(res->queue.topic, sizeof(res->queue.topic), pl->topic);
    res->queue.queue_id = h.queueId;
    res->queue_offset = h.queueOffset;
    copy_first(res->transaction_id, sizeof(res->transaction_id), h.transactionId);
    const char *region = rmq_ext_get(&resp->ext, "MSG_REGION");
    rmq_str_copy(res->region_id, sizeof(res->region_id), region && *region ? region : "DefaultRegion");
    const char *trace = rmq_ext_get(&resp->ext, "TRACE_ON");
    res->trace_on = !(trace && strcmp(trace, "false") == 0);
    res->batch_size = pl->batch_size;
    return 0;
}

/* ---- one SYNC attempt ---- */

typedef struct attempt {
    rocketmq_producer_t *p;
    rocketmq_message_t *msg; /* for hooks */
    const rmq_send_payload_t *pl;
    rocketmq_message_queue_t mq;
    char addr[160];
    char detail[512];
    bool forbidden; /* a check-forbidden hook refused it: never retried */
} attempt_t;

static void context(attempt_t *a, rocketmq_send_mode_t mode, rocketmq_send_context_t *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->producer_group = a->p->group;
    ctx->broker_addr = a->addr;
    ctx->born_host = rmq_instance_client_ip(a->p->inst);
    ctx->queue = &a->mq;
    ctx->mode = mode;
    ctx->msg = a->msg;
}

/* sendKernelImpl in SYNC or ONEWAY mode with timeout_ms left. */
static int send_kernel(attempt_t *a, rocketmq_send_mode_t mode, int64_t timeout_ms,
                       rocketmq_send_result_t *res)
{
    rocketmq_producer_t *p = a->p;
    a->detail[0] = '\0';
    a->forbidden = false;
    int err = rmq_producer_broker_addr(p, a->pl->topic, a->mq.broker_name, a->addr, sizeof(a->addr));
    if (err != 0) {
        rmq_str_copy(a->detail, sizeof(a->detail), rocketmq_last_error_detail());
        return err;
    }
    rocketmq_send_context_t ctx;
    context(a, mode, &ctx);
    err = rmq_producer_run_forbidden(p, &ctx);
    if (err != 0) {
        snprintf(a->detail, sizeof(a->detail), "forbidden by a check-forbidden hook");
        a->forbidden = true;
        return err;
    }
    rmq_producer_run_before(p, &ctx);
    rmq_cmd_t *req = rmq_payload_request(p, a->pl, &a->mq);
    rmq_cmd_t *resp = NULL;
    if (mode == ROCKETMQ_SEND_ONEWAY) {
        err = rmq_rclient_invoke_oneway(rmq_instance_rclient(p->inst), a->addr, req);
    } else {
        err = rmq_rclient_invoke_sync(rmq_instance_rclient(p->inst), a->addr, req,
                                      (int)timeout_ms, &resp);
        if (err == 0)
            err = rmq_send_response(resp, a->pl, &a->mq, res, a->detail, sizeof(a->detail));
        else if (err == ROCKETMQ_ERR__TIMEOUT)
            rmq_rclient_close_addr(rmq_instance_rclient(p->inst), a->addr);
    }
    if (err < 0 && !a->detail[0])
        snprintf(a->detail, sizeof(a->detail), "%s: %s", a->addr, rocketmq_err_str(err));
    rmq_cmd_free(resp);
    ctx.result = err == 0 && mode == ROCKETMQ_SEND_SYNC ? res : NULL;
    ctx.err = err;
    ctx.detail = err ? a->detail : NULL;
    rmq_producer_run_after(p, &ctx);
    return err;
}

/* sendDefaultImpl for SYNC and ONEWAY. */
static int send_default(rocketmq_producer_t *p, rocketmq_message_t *msg, rmq_send_payload_t *pl,
                        rocketmq_send_mode_t mode, int timeout_ms, rocketmq_send_result_t *res)
{
    int64_t begin = rmq_mono_ms();
    rmq_publish_info_t *pi = NULL;
    int err = rmq_producer_publish_info(p, pl->topic, &pi);
    if (err != 0)
        return err;
    int total = mode == ROCKETMQ_SEND_SYNC ? 1 + p->retry_sync : 1;
    attempt_t a = {.p = p, .msg = msg, .pl = pl};
    char sent[256] = "";
    bool have_result = false;
    int last_err = 0, times = 0;
    for (; times < total; times++) {
        rocketmq_message_queue_t prev = a.mq;
        rmq_producer_select(p, pi, times > 0 ? prev.broker_name : NULL, &a.mq);
        int64_t start = rmq_mono_ms();
        int64_t left = rmq_send_time_left(begin, start, timeout_ms);
        if (left <= 0) {
            last_err = ROCKETMQ_ERR__TIMEOUT;
            snprintf(a.detail, sizeof(a.detail), "sendDefaultImpl call timeout");
            break;
        }
        size_t used = strlen(sent);
        snprintf(sent + used, sizeof(sent) - used, "%s%s", used ? ", " : "", a.mq.broker_name);
        err = send_kernel(&a, mode, left, res);
        int64_t latency = rmq_mono_ms() - start;
        rmq_producer_fault_update(p, a.mq.broker_name, latency, err != 0);
        if (err == 0) {
            have_result = mode == ROCKETMQ_SEND_SYNC;
            last_err = 0;
            if (have_result && res->status != ROCKETMQ_SEND_OK && p->retry_another_broker)
                continue;
            break;
        }
        last_err = err;
        RMQ_LOGD("client", "send to %s failed (%s), attempt %d of %d", a.mq.broker_name,
                 a.detail, times + 1, total);
        if (a.forbidden || !rmq_send_retryable(err))
            break;
    }
    rmq_publish_info_unref(pi);
    if (have_result || last_err == 0)
        return 0;
    return rmq_client_fail(last_err,
                           "Send [%d] times, still failed, cost [%" PRId64 "]ms, Topic: %s, "
                           "BrokersSent: [%s]: %s",
                           times < total ? times + 1 : times, rmq_mono_ms() - begin, pl->topic,
                           sent, a.detail);
}

/* ---- public sends ---- */

/* What every public call starts with: a fresh error detail, a producer, the
 * RUNNING state. */
static int begin_call(rocketmq_producer_t *p, bool args_ok, const char *missing)
{
    rmq_client_clear_error();
    if (!p || !args_ok)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "%s", p ? missing : "no producer");
    return rmq_producer_check_running(p);
}

static int send_sync(rocketmq_producer_t *p, rocketmq_message_t *msg, int timeout_ms,
                     rocketmq_send_result_t *res)
{
    int err = begin_call(p, true, "");
    if (err != 0)
        return err;
    rocketmq_send_result_t tmp;
    rmq_send_payload_t pl;
    err = rmq_payload_prepare(p, msg, &pl);
    if (err != 0)
        return err;
    err = send_default(p, msg, &pl, ROCKETMQ_SEND_SYNC, timeout_ms, res ? res : &tmp);
    rmq_payload_free(&pl);
    return err;
}

int rocketmq_producer_send(rocketmq_producer_t *p, rocketmq_message_t *msg,
                           rocketmq_send_result_t *result)
{
    return send_sync(p, msg, p ? p->send_msg_timeout : 0, result);
}

int rocketmq_producer_send_timeout(rocketmq_producer_t *p, rocketmq_message_t *msg, int timeout_ms,
                                   rocketmq_send_result_t *result)
{
    return send_sync(p, msg, timeout_ms, result);
}

int rocketmq_producer_send_oneway(rocketmq_producer_t *p, rocketmq_message_t *msg)
{
    int err = begin_call(p, true, "");
    if (err != 0)
        return err;
    rmq_send_payload_t pl;
    err = rmq_payload_prepare(p, msg, &pl);
    if (err != 0)
        return err;
    err = send_default(p, msg, &pl, ROCKETMQ_SEND_ONEWAY, p->send_msg_timeout, NULL);
    rmq_payload_free(&pl);
    return err;
}

int rocketmq_producer_send_async(rocketmq_producer_t *p, rocketmq_message_t *msg,
                                 rocketmq_send_cb cb, void *arg)
{
    int err = begin_call(p, cb != NULL, "no callback");
    if (err != 0)
        return err;
    return rmq_producer_send_async_impl(p, msg, cb, arg);
}

/* One attempt to a queue the caller chose (send(msg, mq) and the selector
 * path): no retry, as in Java. */
static int send_to(rocketmq_producer_t *p, rocketmq_message_t *msg, rmq_send_payload_t *pl,
                   const rocketmq_message_queue_t *mq, rocketmq_send_result_t *res)
{
    int64_t begin = rmq_mono_ms();
    attempt_t a = {.p = p, .msg = msg, .pl = pl, .mq = *mq};
    rocketmq_send_result_t tmp;
    int err = send_kernel(&a, ROCKETMQ_SEND_SYNC, p->send_msg_timeout, res ? res : &tmp);
    rmq_producer_fault_update(p, a.mq.broker_name, rmq_mono_ms() - begin, err != 0);
    if (err != 0)
        return rmq_client_fail(err, "send to %s queue %d: %s", mq->broker_name, mq->queue_id,
                               a.detail);
    return 0;
}

int rocketmq_producer_send_to_queue(rocketmq_producer_t *p, rocketmq_message_t *msg,
                                    const rocketmq_message_queue_t *mq,
                                    rocketmq_send_result_t *result)
{
    int err = begin_call(p, mq != NULL, "no queue");
    if (err != 0)
        return err;
    if (msg && msg->topic && strcmp(msg->topic, mq->topic) != 0)
        return rmq_client_fail(ROCKETMQ_ERR_MESSAGE_ILLEGAL,
                               "message's topic not equal mq's topic");
    rmq_send_payload_t pl;
    err = rmq_payload_prepare(p, msg, &pl);
    if (err != 0)
        return err;
    err = send_to(p, msg, &pl, mq, result);
    rmq_payload_free(&pl);
    return err;
}

int rocketmq_select_queue_by_hash(const rocketmq_message_queue_t *mqs, size_t n,
                                  const rocketmq_message_t *msg, void *arg)
{
    (void)mqs;
    (void)msg;
    const char *key = arg ? arg : "";
    int32_t h = rmq_java_hash(key, strlen(key));
    int32_t v = h % (int32_t)n; /* Java: Math.abs(arg.hashCode() % size) */
    return v < 0 ? -v : v;
}

int rocketmq_producer_send_orderly(rocketmq_producer_t *p, rocketmq_message_t *msg,
                                   rocketmq_queue_selector selector, void *arg,
                                   rocketmq_send_result_t *result)
{
    int err = begin_call(p, selector != NULL, "no selector");
    if (err != 0)
        return err;
    rmq_send_payload_t pl;
    err = rmq_payload_prepare(p, msg, &pl);
    if (err != 0)
        return err;
    rmq_publish_info_t *pi = NULL;
    err = rmq_producer_publish_info(p, pl.topic, &pi);
    if (err == 0) {
        int idx = selector(pi->mqs, pi->nmqs, msg, arg);
        if (idx < 0 || (size_t)idx >= pi->nmqs)
            err = rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG,
                                  "select message queue return %d, not in [0, %zu)", idx, pi->nmqs);
        else
            err = send_to(p, msg, &pl, &pi->mqs[idx], result);
        rmq_publish_info_unref(pi);
    }
    rmq_payload_free(&pl);
    return err;
}

int rocketmq_producer_send_batch(rocketmq_producer_t *p, rocketmq_message_t **msgs, size_t n,
                                 rocketmq_send_result_t *result)
{
    int err = begin_call(p, true, "");
    if (err != 0)
        return err;
    rmq_send_payload_t pl;
    err = rmq_payload_prepare_batch(p, msgs, n, &pl);
    if (err != 0)
        return err;
    rocketmq_send_result_t tmp;
    err = send_default(p, msgs[0], &pl, ROCKETMQ_SEND_SYNC, p->send_msg_timeout,
                       result ? result : &tmp);
    rmq_payload_free(&pl);
    return err;
}

int rocketmq_producer_fetch_publish_queues(rocketmq_producer_t *p, const char *topic,
                                           rocketmq_message_queue_t *mqs, size_t cap, size_t *n)
{
    int err = begin_call(p, topic && (!cap || mqs), "no topic, or no room for the queues");
    if (err != 0)
        return err;
    rmq_publish_info_t *pi = NULL;
    err = rmq_producer_publish_info(p, topic, &pi);
    if (err != 0)
        return err;
    for (size_t i = 0; i < pi->nmqs && i < cap; i++)
        mqs[i] = pi->mqs[i];
    if (n)
        *n = pi->nmqs;
    rmq_publish_info_unref(pi);
    return 0;
}
