/* Send processing (SendMessageProcessor; reference broker.md 9, 2.5, 3.2
 * step 2, 3.6, 10.8, 12.1): SEND_MESSAGE, SEND_MESSAGE_V2, SEND_BATCH_MESSAGE
 * and CONSUMER_SEND_MSG_BACK.
 *
 * Everything runs on the broker loop except the store's put callback, which
 * may run on the flush thread (SYNC_FLUSH): the answer is then posted back to
 * the loop.  The request is freed once its records are in the commit log;
 * what the answer needs is copied into a send_op_t that keeps the connection
 * referenced until it is answered. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/time.h"
#include "broker/broker_int.h"
#include "protocol/codes.h"
#include "protocol/send_headers.h"
#include "rocketmq/error.h"

#define TOPIC_TRANS_HALF "RMQ_SYS_TRANS_HALF_TOPIC"
#define FAQ_SUFFIX "\nSee http://rocketmq.apache.org/docs/faq/ for further details."
/* MQVersion.Version.V3_4_9: from it on, the header's maxReconsumeTimes counts. */
#define VERSION_V3_4_9 121
/* TopicSysFlag */
#define TOPIC_FLAG_UNIT 0x1
#define TOPIC_FLAG_UNIT_SUB 0x2
#define PERM_RW (RMQ_PERM_READ | RMQ_PERM_WRITE)
#define REMARK_MAX 512

/* ---- properties strings (reference 0.2) ---- */

#define PE_MAX 8
#define PE_NUMS 4

/* A properties string with some names replaced, added or removed; built
 * once at the end, as Java re-serializes its property map. */
typedef struct prop_edit {
    const char *src;
    size_t src_len;
    struct {
        const char *name;
        const char *val; /* NULL: removed */
        size_t vlen;
    } ov[PE_MAX];
    size_t n;
    char num[PE_NUMS][RMQ_I64_TEXT_MAX + 1];
    size_t nnum;
} prop_edit_t;

static void pe_init(prop_edit_t *pe, const char *src, size_t len)
{
    memset(pe, 0, sizeof(*pe));
    pe->src = src ? src : "";
    pe->src_len = src ? len : 0;
}

static size_t pe_index(const prop_edit_t *pe, const char *name, size_t nlen)
{
    for (size_t i = 0; i < pe->n; i++)
        if (strlen(pe->ov[i].name) == nlen && memcmp(pe->ov[i].name, name, nlen) == 0)
            return i;
    return pe->n;
}

/* val must live until pe_build; NULL removes the name. */
static void pe_setn(prop_edit_t *pe, const char *name, const char *val, size_t vlen)
{
    size_t i = pe_index(pe, name, strlen(name));
    if (i == pe->n) {
        if (pe->n == PE_MAX)
            abort(); /* a programming error: PE_MAX covers every caller */
        pe->n++;
    }
    pe->ov[i].name = name;
    pe->ov[i].val = val;
    pe->ov[i].vlen = vlen;
}

static void pe_set(prop_edit_t *pe, const char *name, const char *val)
{
    pe_setn(pe, name, val, val ? strlen(val) : 0);
}

static void pe_set_int(prop_edit_t *pe, const char *name, int64_t v)
{
    if (pe->nnum == PE_NUMS)
        abort();
    char *t = pe->num[pe->nnum++];
    size_t n = rmq_fmt_i64(t, v);
    t[n] = '\0';
    pe_setn(pe, name, t, n);
}

static bool pe_get(const prop_edit_t *pe, const char *name, const char **val, size_t *vlen)
{
    size_t i = pe_index(pe, name, strlen(name));
    if (i < pe->n) {
        *val = pe->ov[i].val;
        *vlen = pe->ov[i].vlen;
        return *val != NULL;
    }
    return rmq_props_find(pe->src, pe->src_len, name, val, vlen);
}

/* Boolean.parseBoolean of a property: "true" in any case. */
static bool pe_is_true(const prop_edit_t *pe, const char *name)
{
    const char *v;
    size_t n;
    return pe_get(pe, name, &v, &n) && n == 4 && strncasecmp(v, "true", 4) == 0;
}

static void append_entry(rmq_buf_t *out, size_t start, const char *name, size_t nlen,
                         const char *val, size_t vlen)
{
    if (out->len > start)
        rmq_buf_append_u8(out, RMQ_PROP_SEP);
    rmq_buf_append(out, name, nlen);
    rmq_buf_append_u8(out, RMQ_PROP_NAME_VALUE_SEP);
    rmq_buf_append(out, val, vlen);
}

/* messageProperties2String: entries with an empty name or value are dropped
 * (string2messageProperties skips them), no trailing separator (4.9.3+). */
static void pe_build(const prop_edit_t *pe, rmq_buf_t *out)
{
    size_t start = out->len;
    for (size_t pos = 0; pos < pe->src_len;) {
        const char *seg = pe->src + pos;
        const char *end = memchr(seg, RMQ_PROP_SEP, pe->src_len - pos);
        size_t slen = end ? (size_t)(end - seg) : pe->src_len - pos;
        const char *kv = memchr(seg, RMQ_PROP_NAME_VALUE_SEP, slen);
        size_t nlen = kv ? (size_t)(kv - seg) : 0;
        if (kv && nlen > 0 && nlen < slen - 1 && pe_index(pe, seg, nlen) == pe->n)
            append_entry(out, start, seg, nlen, kv + 1, slen - nlen - 1);
        pos += slen + 1;
    }
    for (size_t i = 0; i < pe->n; i++)
        if (pe->ov[i].val && pe->ov[i].vlen > 0)
            append_entry(out, start, pe->ov[i].name, strlen(pe->ov[i].name), pe->ov[i].val,
                         pe->ov[i].vlen);
}

/* WAIT (isWaitStoreMsgOK): absent or "true" in any case means wait.  The
 * store reads it from the stored properties and skips the SYNC_FLUSH wait
 * only for exactly "false", so a no-wait value is written as "false".
 * Java strips WAIT from a plain message's stored properties but keeps it
 * where it re-serializes the map later (delayed, half and batch messages);
 * here a plain message keeps "WAIT=false" too when the store flushes
 * synchronously, the only way to tell the store not to wait. */
static void pe_fix_wait(const rmq_broker_t *b, prop_edit_t *pe, bool java_keeps)
{
    const char *v;
    size_t n;
    if (!pe_get(pe, "WAIT", &v, &n))
        return;
    bool wait = n == 4 && strncasecmp(v, "true", 4) == 0;
    bool sync = strcmp(b->cfg.store.flushDiskType, "SYNC_FLUSH") == 0;
    if (!wait && (java_keeps || sync))
        pe_set(pe, "WAIT", "false");
    else if (!java_keeps)
        pe_set(pe, "WAIT", NULL);
}

/* Message.getDelayTimeLevel: Integer.parseInt of DELAY, 0 when absent;
 * -1 when it does not parse (Java throws NumberFormatException). */
static int delay_level(const prop_edit_t *pe, int32_t *level)
{
    const char *v;
    size_t n;
    *level = 0;
    if (!pe_get(pe, "DELAY", &v, &n))
        return 0;
    char text[32];
    int64_t x;
    if (n >= sizeof(text))
        return -1;
    memcpy(text, v, n);
    text[n] = '\0';
    if (rmq_parse_i64(text, &x) != 0 || x < INT32_MIN || x > INT32_MAX)
        return -1;
    *level = (int32_t)x;
    return 0;
}

/* Levels in messageDelayLevel ("1s 5s ... 2h"): maxDelayLevel. */
static int32_t delay_max_level(const rmq_broker_t *b)
{
    int32_t n = 0;
    for (const char *p = b->cfg.messageDelayLevel; p && *p;) {
        while (*p == ' ')
            p++;
        if (*p)
            n++;
        while (*p && *p != ' ')
            p++;
    }
    return n;
}

/* ---- answering ---- */

enum { OP_SEND, OP_SEND_BACK };
enum { ST_PUTTING, ST_RETURNED, ST_DONE };

typedef struct send_op {
    rmq_broker_t *b;
    rmq_conn_t *conn;
    rmq_cmd_head_t head; /* what answering needs of the request */
    int kind;
    int32_t queue_id; /* answered: the requested or picked queue, not the DLQ/schedule one */
    size_t n;
    size_t *sizes; /* record sizes: records are contiguous, so ids follow from them */
    size_t size1;  /* sizes of a single message: no allocation */
    rmq_put_result_t res;
    atomic_int state;
} send_op_t;

static send_op_t *op_new(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req, int kind)
{
    send_op_t *op = rmq_calloc(1, sizeof(*op));
    op->b = b;
    op->conn = conn;
    op->kind = kind;
    rmq_cmd_head_save(&op->head, req);
    rmq_conn_keep(conn);
    return op;
}

static void op_free(send_op_t *op)
{
    rmq_conn_release(op->conn);
    if (op->sizes != &op->size1)
        free(op->sizes);
    free(op);
}

/* A response carrying MSG_REGION and TRACE_ON, as every send response made
 * after preSend does (the Java client reads MSG_REGION unconditionally). */
static rmq_cmd_t *send_response(const rmq_broker_t *b, const rmq_cmd_t *req, int code,
                                const char *remark)
{
    rmq_cmd_t *resp = rmq_cmd_new_response(req, code, remark);
    rmq_ext_set(&resp->ext, "MSG_REGION", b->cfg.regionId ? b->cfg.regionId : "");
    rmq_ext_set(&resp->ext, "TRACE_ON", b->cfg.traceOn ? "true" : "false");
    return resp;
}

static void send_fail(const rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req, int code,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void send_fail(const rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req, int code,
                      const char *fmt, ...)
{
    char remark[REMARK_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(remark, sizeof(remark), fmt, ap);
    va_end(ap);
    rmq_conn_reply(conn, req, send_response(b, req, code, remark));
}

static void reply_fmt(rmq_conn_t *conn, const rmq_cmd_t *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reply_fmt(rmq_conn_t *conn, const rmq_cmd_t *req, int code, const char *fmt, ...)
{
    char remark[REMARK_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(remark, sizeof(remark), fmt, ap);
    va_end(ap);
    rmq_broker_reply(conn, req, code, remark);
}

/* UtilAll.getDiskPartitionSpaceUsedPercent: a ratio, -1 if unknown. */
static double disk_used(const char *root, const char *sub)
{
    char path[4096];
    struct statvfs st;
    snprintf(path, sizeof(path), "%s%s", root, sub);
    if (statvfs(path, &st) != 0 || st.f_blocks == 0)
        return -1;
    return (double)(st.f_blocks - st.f_bfree) / (double)st.f_blocks;
}

static void illegal_remark(const rmq_broker_t *b, char *out, size_t n)
{
    snprintf(out, n,
             "the message is illegal, maybe msg body or properties length not matched. "
             "msg body length limit %dB, msg properties length limit 32KB.",
             (int)b->cfg.store.maxMessageSize);
}

static void unavailable_remark(const rmq_broker_t *b, char *out, size_t n)
{
    const rmq_store_config_t *sc = &b->cfg.store;
    bool own_cl = sc->storePathCommitLog && *sc->storePathCommitLog;
    double cl = own_cl ? disk_used(sc->storePathCommitLog, "")
                       : disk_used(sc->storePathRootDir, "/commitlog");
    snprintf(out, n,
             "service not available now. It may be caused by one of the following reasons: the "
             "broker's disk is full [CL: %5.2f CQ: %5.2f INDEX: %5.2f], messages are put to the "
             "slave, message store has been shut down, etc.",
             cl, disk_used(sc->storePathRootDir, "/consumequeue"),
             disk_used(sc->storePathRootDir, "/index"));
}

/* handlePutMessageResult: the response code, remark ("" for none); true
 * when the message is stored ("sendOK": the header is filled). */
static bool map_status(const rmq_broker_t *b, rmq_put_status_t st, int *code, char *remark,
                       size_t n)
{
    remark[0] = '\0';
    switch (st) {
    case RMQ_PUT_OK: *code = ROCKETMQ_ERR_SUCCESS; return true;
    case RMQ_PUT_FLUSH_DISK_TIMEOUT: *code = ROCKETMQ_ERR_FLUSH_DISK_TIMEOUT; return true;
    case RMQ_PUT_FLUSH_SLAVE_TIMEOUT: *code = ROCKETMQ_ERR_FLUSH_SLAVE_TIMEOUT; return true;
    case RMQ_PUT_SLAVE_NOT_AVAILABLE: *code = ROCKETMQ_ERR_SLAVE_NOT_AVAILABLE; return true;
    case RMQ_PUT_CREATE_MAPEDFILE_FAILED:
        *code = ROCKETMQ_ERR_SYSTEM_ERROR;
        snprintf(remark, n, "create mapped file failed, server is busy or broken.");
        return false;
    case RMQ_PUT_MESSAGE_ILLEGAL:
    case RMQ_PUT_PROPERTIES_SIZE_EXCEEDED:
        *code = ROCKETMQ_ERR_MESSAGE_ILLEGAL;
        illegal_remark(b, remark, n);
        return false;
    case RMQ_PUT_SERVICE_NOT_AVAILABLE:
        *code = ROCKETMQ_ERR_SERVICE_NOT_AVAILABLE;
        unavailable_remark(b, remark, n);
        return false;
    case RMQ_PUT_OS_PAGECACHE_BUSY:
        *code = ROCKETMQ_ERR_SYSTEM_ERROR;
        snprintf(remark, n, "[PC_SYNCHRONIZED]broker busy, start flow control for a while");
        return false;
    case RMQ_PUT_UNKNOWN_ERROR:
        *code = ROCKETMQ_ERR_SYSTEM_ERROR;
        snprintf(remark, n, "UNKNOWN_ERROR");
        return false;
    }
    *code = ROCKETMQ_ERR_SYSTEM_ERROR;
    snprintf(remark, n, "UNKNOWN_ERROR DEFAULT");
    return false;
}

/* Offset message ids of every record, comma-separated (a batch's are contiguous). */
static void msg_ids(const send_op_t *op, rmq_buf_t *out)
{
    int64_t off = op->res.wrote_offset;
    for (size_t i = 0; i < op->n; i++) {
        char id[57];
        rmq_msg_id_encode(&op->b->store_host_addr, off, id);
        if (i > 0)
            rmq_buf_append_u8(out, ',');
        rmq_buf_append_str(out, id);
        off += (int64_t)op->sizes[i];
    }
}

static rmq_cmd_t *send_result(const send_op_t *op, const rmq_cmd_t *req)
{
    char remark[REMARK_MAX];
    int code;
    bool ok = map_status(op->b, op->res.status, &code, remark, sizeof(remark));
    rmq_cmd_t *resp = send_response(op->b, req, code, remark[0] ? remark : NULL);
    if (!ok)
        return resp;
    rmq_buf_t ids = RMQ_BUF_INIT;
    msg_ids(op, &ids);
    rmq_send_resp_t h = {
        .msgId = rmq_buf_cstr(&ids),
        .queueId = op->queue_id,
        .queueOffset = op->res.queue_offset,
    };
    rmq_header_encode(&rmq_send_resp_desc, &h, &resp->ext);
    rmq_buf_free(&ids);
    return resp;
}

/* asyncConsumerSendMsgBack answers only SUCCESS or the status name. */
static rmq_cmd_t *send_back_result(const send_op_t *op, const rmq_cmd_t *req)
{
    if (op->res.status == RMQ_PUT_OK)
        return rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    return rmq_cmd_new_response(req, ROCKETMQ_ERR_SYSTEM_ERROR,
                                rmq_put_status_name(op->res.status));
}

static void op_answer(void *arg)
{
    send_op_t *op = arg;
    if (op->res.status != RMQ_PUT_OK)
        RMQ_LOGW("broker", "put for %s (code %d) failed: %s", rmq_conn_peer(op->conn),
                 op->head.code, rmq_put_status_name(op->res.status));
    rmq_cmd_t req;
    rmq_cmd_head_restore(&op->head, &req);
    rmq_cmd_t *resp = op->kind == OP_SEND ? send_result(op, &req) : send_back_result(op, &req);
    rmq_conn_reply(op->conn, &req, resp);
    op_free(op);
}

/* Any thread.  Whoever of this callback and op_put comes second answers:
 * the loop thread directly, the flush thread through the loop. */
static void on_put(const rmq_put_result_t *res, void *arg)
{
    send_op_t *op = arg;
    op->res = *res;
    if (atomic_exchange(&op->state, ST_DONE) == ST_RETURNED)
        rmq_broker_post(op->b, op_answer, op);
}

/* Stores msgs and answers when the store says so; op is gone afterwards.
 * msgs may be freed on return: the store copied them. */
static void op_put(send_op_t *op, const rmq_msg_in_t *msgs, size_t n)
{
    op->n = n;
    op->sizes = n > 1 ? rmq_calloc(n, sizeof(*op->sizes)) : &op->size1;
    for (size_t i = 0; i < n; i++)
        op->sizes[i] = rmq_record_size(&msgs[i]);
    atomic_init(&op->state, ST_PUTTING);
    rmq_store_put(op->b->store, msgs, n, on_put, op);
    if (atomic_exchange(&op->state, ST_RETURNED) == ST_DONE)
        op_answer(op);
}

/* ---- checks (preSend, msgCheck) ---- */

/* What the send path needs of the topic config, copied: the manager's
 * pointer dies when the table changes (a DLQ topic being created). */
typedef struct topic_info {
    int32_t read_queue_nums;
    int32_t write_queue_nums;
    bool multi_tag;
} topic_info_t;

static void topic_info(const rmq_topic_config_t *tc, topic_info_t *ti)
{
    ti->read_queue_nums = tc->read_queue_nums;
    ti->write_queue_nums = tc->write_queue_nums;
    ti->multi_tag = tc->topic_filter_type && strcmp(tc->topic_filter_type, "MULTI_TAG") == 0;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* UtilAll.isBlank: empty or whitespace only. */
static bool is_blank(const char *s)
{
    for (; *s; s++)
        if (!strchr(" \t\n\r\f\v\x1c\x1d\x1e\x1f", *s))
            return false;
    return true;
}

static bool topic_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '%' || c == '|' || c == '_' || c == '-';
}

/* TopicValidator.validateTopic: NULL if valid, else the remark. */
static const char *topic_invalid(const char *topic)
{
    if (is_blank(topic))
        return "The specified topic is blank.";
    for (const char *p = topic; *p; p++)
        if (!topic_char_ok((unsigned char)*p))
            return "The specified topic contains illegal characters, allowing only "
                   "^[%|a-zA-Z0-9_-]+$";
    if (strlen(topic) > RMQ_TOPIC_MAX_LEN)
        return "The specified topic is longer than topic max length.";
    return NULL;
}

/* TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET */
static bool topic_forbidden(const char *topic)
{
    static const char *const names[] = {
        RMQ_TOPIC_SCHEDULE, TOPIC_TRANS_HALF,  "RMQ_SYS_TRANS_OP_HALF_TOPIC",
        "TRANS_CHECK_MAX_TIME_TOPIC", "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(topic, names[i]) == 0)
            return true;
    return false;
}

/* createTopicInSendMessageMethod, then for %RETRY% topics
 * createTopicInSendMessageBackMethod; a new topic is registered at once. */
static const rmq_topic_config_t *topic_for_send(rmq_broker_t *b, rmq_conn_t *conn,
                                                const rmq_send_req_t *h)
{
    const rmq_topic_config_t *tc = rmq_topic_mgr_get(b->topics, h->topic);
    if (tc)
        return tc;
    bool retry = starts_with(h->topic, RMQ_RETRY_PREFIX), created = false;
    int32_t sys = h->unitMode ? (retry ? TOPIC_FLAG_UNIT_SUB : TOPIC_FLAG_UNIT) : 0;
    RMQ_LOGW("broker", "the topic %s not exist, producer: %s", h->topic, rmq_conn_peer(conn));
    tc = rmq_topic_mgr_create_on_send(b->topics, h->topic, h->defaultTopic,
                                      h->defaultTopicQueueNums, sys, &created);
    if (!tc && retry)
        tc = rmq_topic_mgr_create_on_send_back(b->topics, h->topic, 1, PERM_RW, sys, &created);
    if (created)
        rmq_broker_register_all(b, true);
    return tc ? rmq_topic_mgr_get(b->topics, h->topic) : NULL;
}

static const char *perm_text(int32_t perm, char out[4])
{
    out[0] = perm & RMQ_PERM_READ ? 'R' : '-';
    out[1] = perm & RMQ_PERM_WRITE ? 'W' : '-';
    out[2] = perm & RMQ_PERM_INHERIT ? 'X' : '-';
    out[3] = '\0';
    return out;
}

static void queue_illegal(const rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req,
                          int32_t qid, const rmq_topic_config_t *tc)
{
    char perm[4];
    send_fail(b, conn, req, ROCKETMQ_ERR_SYSTEM_ERROR,
              "request queueId[%d] is illegal, TopicConfig [topicName=%s, readQueueNums=%d, "
              "writeQueueNums=%d, perm=%s, topicFilterType=%s, topicSysFlag=%d, order=%s] "
              "Producer: %s",
              (int)qid, tc->topic_name ? tc->topic_name : "", (int)tc->read_queue_nums,
              (int)tc->write_queue_nums, perm_text(tc->perm, perm),
              tc->topic_filter_type ? tc->topic_filter_type : "SINGLE_TAG",
              (int)tc->topic_sys_flag, tc->order ? "true" : "false", rmq_conn_peer(conn));
}

/* msgCheck, in Java's order; answers and returns false on failure. */
static bool msg_check(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req,
                      const rmq_send_req_t *h, topic_info_t *ti)
{
    const rmq_topic_config_t *tc = rmq_topic_mgr_get(b->topics, h->topic);
    if (!(b->cfg.brokerPermission & RMQ_PERM_WRITE) && tc && tc->order) {
        send_fail(b, conn, req, ROCKETMQ_ERR_NO_PERMISSION,
                  "the broker[%s] sending message is forbidden", b->cfg.brokerIP1);
        return false;
    }
    const char *why = topic_invalid(h->topic);
    if (why) {
        send_fail(b, conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, "%s", why);
        return false;
    }
    if (topic_forbidden(h->topic)) {
        send_fail(b, conn, req, ROCKETMQ_ERR_NO_PERMISSION,
                  "Sending message to topic[%s] is forbidden.", h->topic);
        return false;
    }
    tc = topic_for_send(b, conn, h);
    if (!tc) {
        send_fail(b, conn, req, ROCKETMQ_ERR_TOPIC_NOT_EXIST,
                  "topic[%s] not exist, apply first please!" FAQ_SUFFIX, h->topic);
        return false;
    }
    int32_t valid = tc->write_queue_nums > tc->read_queue_nums ? tc->write_queue_nums
                                                                 : tc->read_queue_nums;
    if (h->queueId >= valid) {
        queue_illegal(b, conn, req, h->queueId, tc);
        return false;
    }
    topic_info(tc, ti);
    return true;
}

/* ThreadLocalRandom.nextInt(99999999) % n */
static int32_t random_queue(int32_t n)
{
    static _Thread_local uint64_t x;
    if (x == 0)
        x = ((uint64_t)rmq_mono_ns() ^ (uint64_t)rmq_now_ms() << 20) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return (int32_t)((x >> 11) % 99999999u % (uint64_t)n);
}

/* The request's queue, or a random writable one for a negative id. */
static bool pick_queue(const rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req,
                       const rmq_send_req_t *h, const topic_info_t *ti, int32_t *qid)
{
    *qid = h->queueId;
    if (*qid >= 0)
        return true;
    if (ti->write_queue_nums <= 0) { /* Java: ArithmeticException */
        send_fail(b, conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, "topic[%s] has no write queue",
                  h->topic);
        return false;
    }
    *qid = random_queue(ti->write_queue_nums);
    return true;
}

/* ---- single messages ---- */

/* createTopicInSendMessageBackMethod, registering a new topic at once. */
static const rmq_topic_config_t *back_topic(rmq_broker_t *b, const char *topic, int32_t queues,
                                            int32_t sys_flag)
{
    bool created = false;
    const rmq_topic_config_t *tc =
        rmq_topic_mgr_create_on_send_back(b->topics, topic, queues, PERM_RW, sys_flag, &created);
    if (created)
        rmq_broker_register_all(b, true);
    return tc ? rmq_topic_mgr_get(b->topics, topic) : NULL;
}

typedef struct single {
    rmq_msg_in_t m;
    char dlq[RMQ_TOPIC_MAX_LEN + 8]; /* %DLQ%<group>: the group is shorter than the topic */
    bool multi_tag;
} single_t;

/* handleRetryAndDLQ: %RETRY%<group> messages consumed too often go to
 * %DLQ%<group>, queue 0. */
static bool retry_dlq(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req,
                      const rmq_send_req_t *h, single_t *s)
{
    if (!starts_with(h->topic, RMQ_RETRY_PREFIX))
        return true;
    const char *group = h->topic + strlen(RMQ_RETRY_PREFIX);
    const rmq_subscription_group_t *g = rmq_subgroup_mgr_find(b->groups, group);
    if (!g) {
        send_fail(b, conn, req, ROCKETMQ_ERR_SUBSCRIPTION_GROUP_NOT_EXIST,
                  "subscription group not exist, %s " FAQ_SUFFIX, group);
        return false;
    }
    int32_t max = g->retry_max_times;
    if (req->version >= VERSION_V3_4_9 && h->has_maxReconsumeTimes)
        max = h->maxReconsumeTimes;
    if (s->m.reconsume_times < max)
        return true;
    snprintf(s->dlq, sizeof(s->dlq), "%s%s", RMQ_DLQ_PREFIX, group);
    const rmq_topic_config_t *tc = back_topic(b, s->dlq, 1, 0);
    s->m.topic = s->dlq;
    s->m.topic_len = strlen(s->dlq);
    s->m.queue_id = 0;
    if (!tc) {
        send_fail(b, conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, "topic[%s] not exist", s->dlq);
        return false;
    }
    topic_info_t ti;
    topic_info(tc, &ti);
    s->multi_tag = ti.multi_tag;
    return true;
}

/* The peer as a record host; 0.0.0.0:0 if it cannot be parsed. */
static void born_host(rmq_conn_t *conn, rmq_host_t *h)
{
    if (rmq_host_parse(rmq_conn_peer(conn), h) != 0)
        memset(h, 0, sizeof(*h));
}

static void msg_common(const rmq_broker_t *b, rmq_conn_t *conn, const rmq_send_req_t *h,
                       int32_t qid, rmq_msg_in_t *m)
{
    memset(m, 0, sizeof(*m));
    m->topic = h->topic;
    m->topic_len = strlen(h->topic);
    m->queue_id = qid;
    m->flag = h->flag;
    m->born_timestamp = h->bornTimestamp;
    born_host(conn, &m->born_host);
    m->store_host = b->store_host_addr;
    m->reconsume_times = h->has_reconsumeTimes ? h->reconsumeTimes : 0;
}

/* TransactionalMessageBridge.parseHalfMessageInner: parked in the half
 * topic until END_TRANSACTION; the transaction bits are cleared so that it
 * gets a consume-queue entry there. */
static void make_half(prop_edit_t *pe, rmq_msg_in_t *m)
{
    pe_setn(pe, "REAL_TOPIC", m->topic, m->topic_len);
    pe_set_int(pe, "REAL_QID", m->queue_id);
    m->sysflag &= ~RMQ_SYSFLAG_TX_MASK;
    m->topic = TOPIC_TRANS_HALF;
    m->topic_len = strlen(TOPIC_TRANS_HALF);
    m->queue_id = 0;
}

/* CommitLog's delay redirect (3.2 step 2), which our store leaves to the
 * broker: the schedule service delivers the message to REAL_TOPIC/REAL_QID
 * when its level is due.  1 if redirected, 0 if not, -1 if DELAY does not
 * parse. */
static int redirect_delay(const rmq_broker_t *b, prop_edit_t *pe, rmq_msg_in_t *m)
{
    int tx = m->sysflag & RMQ_SYSFLAG_TX_MASK;
    int32_t level, max = delay_max_level(b);
    if (tx != RMQ_SYSFLAG_TX_NOT && tx != RMQ_SYSFLAG_TX_COMMIT)
        return 0;
    if (delay_level(pe, &level) != 0)
        return -1;
    if (level <= 0 || max <= 0)
        return 0;
    if (level > max) {
        level = max;
        pe_set_int(pe, "DELAY", level);
    }
    pe_setn(pe, "REAL_TOPIC", m->topic, m->topic_len);
    pe_set_int(pe, "REAL_QID", m->queue_id);
    m->topic = RMQ_TOPIC_SCHEDULE;
    m->topic_len = strlen(RMQ_TOPIC_SCHEDULE);
    m->queue_id = level - 1;
    return 1;
}

static void bad_delay(const rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req,
                      const prop_edit_t *pe)
{
    const char *v = "";
    size_t n = 0;
    pe_get(pe, "DELAY", &v, &n);
    send_fail(b, conn, req, ROCKETMQ_ERR_SYSTEM_ERROR,
              "java.lang.NumberFormatException: For input string: \"%.*s\"", (int)n, v);
}

static bool body_fits(const rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    if (req->body_len <= (size_t)b->cfg.store.maxMessageSize)
        return true;
    char remark[REMARK_MAX];
    illegal_remark(b, remark, sizeof(remark));
    rmq_conn_reply(conn, req, send_response(b, req, ROCKETMQ_ERR_MESSAGE_ILLEGAL, remark));
    return false;
}

static void send_single(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req,
                        const rmq_send_req_t *h, const topic_info_t *ti, int32_t qid)
{
    single_t s = {.multi_tag = ti->multi_tag};
    msg_common(b, conn, h, qid, &s.m);
    if (!retry_dlq(b, conn, req, h, &s) || !body_fits(b, conn, req))
        return;
    s.m.sysflag = h->sysFlag | (s.multi_tag ? RMQ_SYSFLAG_MULTI_TAGS : 0);
    s.m.body = req->body ? req->body : (const uint8_t *)""; /* never NULL into memcpy */
    s.m.body_len = req->body_len;
    prop_edit_t pe;
    pe_init(&pe, h->properties, h->properties ? strlen(h->properties) : 0);
    pe_set(&pe, "CLUSTER", b->cfg.brokerClusterName);
    bool half = pe_is_true(&pe, "TRAN_MSG");
    if (half)
        make_half(&pe, &s.m);
    int delayed = redirect_delay(b, &pe, &s.m);
    if (delayed < 0) {
        bad_delay(b, conn, req, &pe);
        return;
    }
    pe_fix_wait(b, &pe, half || delayed);
    rmq_buf_t props = RMQ_BUF_INIT;
    pe_build(&pe, &props);
    s.m.properties = rmq_buf_cstr(&props);
    s.m.properties_len = props.len;
    send_op_t *op = op_new(b, conn, req, OP_SEND);
    op->queue_id = qid;
    op_put(op, &s.m, 1);
    rmq_buf_free(&props);
}

/* ---- batches (2.5) ---- */

typedef struct batch {
    rmq_msg_in_t tmpl;
    const char *tail; /* the request's properties + CLUSTER, appended to each message's */
    size_t tail_len;
    rmq_msg_in_t *msgs;
    size_t *prop_off;
    size_t n, cap;
    rmq_buf_t props; /* every message's properties, back to back */
} batch_t;

static int batch_item(const rmq_batch_item_t *it, void *arg)
{
    batch_t *bt = arg;
    if (bt->n == bt->cap) {
        bt->cap = bt->cap ? bt->cap * 2 : 16;
        bt->msgs = rmq_realloc(bt->msgs, bt->cap * sizeof(*bt->msgs));
        bt->prop_off = rmq_realloc(bt->prop_off, bt->cap * sizeof(*bt->prop_off));
    }
    rmq_msg_in_t *m = &bt->msgs[bt->n];
    *m = bt->tmpl;
    m->flag = it->flag;
    m->body = it->body;
    m->body_len = (size_t)it->body_len;
    size_t start = bt->props.len, plen = (size_t)it->properties_len;
    bt->prop_off[bt->n++] = start;
    rmq_buf_append(&bt->props, it->properties, plen);
    /* MessageExtBatchEncoder: a separator only between two non-empty parts */
    if (plen > 0 && bt->tail_len > 0 && it->properties[plen - 1] != RMQ_PROP_SEP)
        rmq_buf_append_u8(&bt->props, RMQ_PROP_SEP);
    rmq_buf_append(&bt->props, bt->tail, bt->tail_len);
    m->properties_len = bt->props.len - start;
    return 0;
}

static void batch_free(batch_t *bt)
{
    free(bt->msgs);
    free(bt->prop_off);
    rmq_buf_free(&bt->props);
}

/* CommitLog.asyncPutMessages refuses transactional and delayed batches. */
static bool batch_allowed(const rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req,
                          const rmq_send_req_t *h, const prop_edit_t *pe)
{
    int32_t level;
    if (delay_level(pe, &level) != 0) {
        bad_delay(b, conn, req, pe);
        return false;
    }
    if ((h->sysFlag & RMQ_SYSFLAG_TX_MASK) == RMQ_SYSFLAG_TX_NOT && level <= 0)
        return true;
    char remark[REMARK_MAX];
    illegal_remark(b, remark, sizeof(remark));
    rmq_conn_reply(conn, req, send_response(b, req, ROCKETMQ_ERR_MESSAGE_ILLEGAL, remark));
    return false;
}

static void batch_put(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req, batch_t *bt,
                      int32_t qid)
{
    if (rmq_batch_foreach(req->body, req->body_len, batch_item, bt) != 0 || bt->n == 0) {
        char remark[REMARK_MAX];
        illegal_remark(b, remark, sizeof(remark));
        rmq_conn_reply(conn, req, send_response(b, req, ROCKETMQ_ERR_MESSAGE_ILLEGAL, remark));
        return;
    }
    const char *all = rmq_buf_cstr(&bt->props);
    for (size_t i = 0; i < bt->n; i++)
        bt->msgs[i].properties = all + bt->prop_off[i];
    send_op_t *op = op_new(b, conn, req, OP_SEND);
    op->queue_id = qid;
    op_put(op, bt->msgs, bt->n);
}

static void send_batch(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req,
                       const rmq_send_req_t *h, const topic_info_t *ti, int32_t qid)
{
    if (strlen(h->topic) > RMQ_TOPIC_MAX_LEN) {
        send_fail(b, conn, req, ROCKETMQ_ERR_MESSAGE_ILLEGAL, "message topic length too long %d",
                  (int)strlen(h->topic));
        return;
    }
    prop_edit_t pe;
    pe_init(&pe, h->properties, h->properties ? strlen(h->properties) : 0);
    pe_set(&pe, "CLUSTER", b->cfg.brokerClusterName);
    pe_fix_wait(b, &pe, true);
    if (!body_fits(b, conn, req) || !batch_allowed(b, conn, req, h, &pe))
        return;
    rmq_buf_t tail = RMQ_BUF_INIT;
    pe_build(&pe, &tail);
    batch_t bt = {.tail = rmq_buf_cstr(&tail), .tail_len = tail.len};
    msg_common(b, conn, h, qid, &bt.tmpl);
    bt.tmpl.sysflag = h->sysFlag | (ti->multi_tag ? RMQ_SYSFLAG_MULTI_TAGS : 0);
    batch_put(b, conn, req, &bt, qid);
    batch_free(&bt);
    rmq_buf_free(&tail);
}

static void send_message(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    rmq_send_req_t h;
    char err[256];
    if (rmq_send_req_decode(req, &h, err, sizeof(err)) != 0) {
        RMQ_LOGW("broker", "bad send header from %s: %s", rmq_conn_peer(conn), err);
        rmq_broker_reply(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, err);
        return;
    }
    topic_info_t ti;
    int32_t qid;
    if (!msg_check(b, conn, req, &h, &ti) || !pick_queue(b, conn, req, &h, &ti, &qid))
        return;
    if (h.batch)
        send_batch(b, conn, req, &h, &ti, qid);
    else
        send_single(b, conn, req, &h, &ti, qid);
}

/* ---- CONSUMER_SEND_MSG_BACK (10.8) ---- */

typedef struct back {
    rmq_send_back_req_t h;
    int32_t retry_queue_nums;
    int32_t max_times;
    char *topic; /* %RETRY%<group>, then maybe %DLQ%<group> */
    int32_t queue_id;
    rmq_buf_t raw; /* the original record */
    rmq_record_t rec;
} back_t;

static bool back_group(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req, back_t *k)
{
    const rmq_subscription_group_t *g = rmq_subgroup_mgr_find(b->groups, k->h.group);
    if (!g) {
        reply_fmt(conn, req, ROCKETMQ_ERR_SUBSCRIPTION_GROUP_NOT_EXIST,
                  "subscription group not exist, %s " FAQ_SUFFIX, k->h.group);
        return false;
    }
    k->retry_queue_nums = g->retry_queue_nums;
    k->max_times = g->retry_max_times;
    if (req->version >= VERSION_V3_4_9 && k->h.has_maxReconsumeTimes)
        k->max_times = k->h.maxReconsumeTimes;
    if (!(b->cfg.brokerPermission & RMQ_PERM_WRITE)) {
        reply_fmt(conn, req, ROCKETMQ_ERR_NO_PERMISSION,
                  "the broker[%s] sending message is forbidden", b->cfg.brokerIP1);
        return false;
    }
    if (k->retry_queue_nums <= 0) { /* retries switched off: the message is dropped */
        rmq_broker_reply(conn, req, ROCKETMQ_ERR_SUCCESS, NULL);
        return false;
    }
    return true;
}

static char *derived_topic(const char *prefix, const char *group)
{
    size_t n = strlen(prefix) + strlen(group) + 1;
    char *t = rmq_malloc(n);
    snprintf(t, n, "%s%s", prefix, group);
    return t;
}

static bool back_retry_topic(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req, back_t *k)
{
    k->topic = derived_topic(RMQ_RETRY_PREFIX, k->h.group);
    k->queue_id = random_queue(k->retry_queue_nums);
    const rmq_topic_config_t *tc =
        back_topic(b, k->topic, k->retry_queue_nums, k->h.unitMode ? TOPIC_FLAG_UNIT_SUB : 0);
    if (!tc) {
        reply_fmt(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, "topic[%s] not exist", k->topic);
        return false;
    }
    if (!(tc->perm & RMQ_PERM_WRITE)) {
        reply_fmt(conn, req, ROCKETMQ_ERR_NO_PERMISSION,
                  "the topic[%s] sending message is forbidden", k->topic);
        return false;
    }
    return true;
}

static bool back_load(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req, back_t *k)
{
    if (rmq_store_read_at(b->store, k->h.offset, &k->raw) == 0 &&
        rmq_record_parse(k->raw.data, k->raw.len, false, &k->rec) == RMQ_RECORD_OK)
        return true;
    reply_fmt(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, "look message by offset failed, %lld",
              (long long)k->h.offset);
    return false;
}

/* Too many retries (or a negative level): the DLQ, no delay; else the retry
 * topic at the requested level, 3 + reconsumeTimes by default. */
static bool back_route(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req, back_t *k,
                       prop_edit_t *pe)
{
    int32_t level = k->h.delayLevel;
    if (k->rec.reconsume_times < k->max_times && level >= 0) {
        pe_set_int(pe, "DELAY", level == 0 ? 3 + k->rec.reconsume_times : level);
        return true;
    }
    free(k->topic);
    k->topic = derived_topic(RMQ_DLQ_PREFIX, k->h.group);
    k->queue_id = 0;
    if (!back_topic(b, k->topic, 1, 0)) {
        reply_fmt(conn, req, ROCKETMQ_ERR_SYSTEM_ERROR, "topic[%s] not exist", k->topic);
        return false;
    }
    pe_set(pe, "DELAY", "0");
    return true;
}

static bool is_blank_n(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\n\r\f\v", s[i]) || s[i] == '\0')
            return false;
    return true;
}

static void back_msg(const back_t *k, rmq_msg_in_t *m)
{
    memset(m, 0, sizeof(*m));
    m->topic = k->topic;
    m->topic_len = strlen(k->topic);
    m->queue_id = k->queue_id;
    m->flag = k->rec.flag;
    m->body = k->rec.body;
    m->body_len = (size_t)k->rec.body_len;
    m->sysflag = k->rec.sysflag;
    m->born_timestamp = k->rec.born_timestamp;
    m->born_host = k->rec.born_host;
    m->store_host = k->rec.store_host;
    m->reconsume_times = k->rec.reconsume_times + 1;
}

static void back_put(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req, back_t *k)
{
    prop_edit_t pe;
    pe_init(&pe, k->rec.properties, (size_t)k->rec.properties_len);
    const char *v;
    size_t n;
    if (!pe_get(&pe, "RETRY_TOPIC", &v, &n))
        pe_setn(&pe, "RETRY_TOPIC", k->rec.topic, (size_t)k->rec.topic_len);
    pe_set(&pe, "WAIT", "false");
    if (!back_route(b, conn, req, k, &pe))
        return;
    char id[57];
    if (!pe_get(&pe, "ORIGIN_MESSAGE_ID", &v, &n) || is_blank_n(v, n)) {
        rmq_msg_id_encode(&k->rec.store_host, k->rec.phys_offset, id);
        pe_set(&pe, "ORIGIN_MESSAGE_ID", id);
    }
    rmq_msg_in_t m;
    back_msg(k, &m);
    redirect_delay(b, &pe, &m); /* DELAY is ours: it parses */
    rmq_buf_t props = RMQ_BUF_INIT;
    pe_build(&pe, &props);
    m.properties = rmq_buf_cstr(&props);
    m.properties_len = props.len;
    op_put(op_new(b, conn, req, OP_SEND_BACK), &m, 1);
    rmq_buf_free(&props);
}

static void send_back(rmq_broker_t *b, rmq_conn_t *conn, const rmq_cmd_t *req)
{
    back_t k;
    memset(&k, 0, sizeof(k));
    rmq_buf_init(&k.raw);
    if (rmq_broker_decode(conn, req, &rmq_send_back_req_desc, &k.h) &&
        back_group(b, conn, req, &k) && back_retry_topic(b, conn, req, &k) &&
        back_load(b, conn, req, &k))
        back_put(b, conn, req, &k);
    free(k.topic);
    rmq_buf_free(&k.raw);
}

void rmq_broker_send(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req)
{
    /* SendMessageProcessor.rejectRequest: flow control before any work. */
    if (rmq_store_os_pagecache_busy(b->store))
        rmq_broker_reply(conn, req, ROCKETMQ_ERR_SYSTEM_BUSY,
                         "[REJECTREQUEST]system busy, start flow control for a while");
    else if (req->code == RMQ_REQ_CONSUMER_SEND_MSG_BACK)
        send_back(b, conn, req);
    else
        send_message(b, conn, req);
    rmq_cmd_free(req);
}
