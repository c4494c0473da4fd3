/* The rmq-broker binary end to end: each test starts its own name server and
 * broker processes (temp store, free loopback ports), drives the broker over
 * real connections with the remoting client and typed headers, and stops
 * both with SIGTERM, expecting clean exits.
 *
 * Message checks decode the pulled bodies with the store's record parser, so
 * the layout on the wire is the commit log's (reference broker.md 2.1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "base/time.h"
#include "protocol/codes.h"
#include "protocol/heartbeat.h"
#include "protocol/pull_headers.h"
#include "protocol/send_headers.h"
#include "rocketmq/error.h"
#include "protocol/record.h"

#define PRODUCER_GROUP "PG_IT"
#define ROUTE_WAIT_MS 5000
#define MAX_RECORDS 64
/* Long polling: how late a held pull may answer after a send, and after its
 * own timeout (the hold timer ticks every 100 ms). */
#define WAKE_LATENCY_MS 100
#define HOLD_MS 3000
#define HOLD_SLACK_MS 1500
#define MAX_MESSAGE_SIZE 65536

typedef struct fixture {
    it_namesrv_t ns;
    it_broker_proc_t br;
    rmq_rclient_t *rc;
} fixture_t;

/* ---- fixture ---- */

static int start_with(void **state, const char *extra)
{
    fixture_t *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->br.out_fd = f->ns.out_fd = -1;
    if (it_namesrv_start(&f->ns, NULL) != 0 ||
        it_broker_start(&f->br, f->ns.addr, "ASYNC_FLUSH", extra) != 0) {
        it_broker_cleanup(&f->br);
        it_namesrv_cleanup(&f->ns);
        free(f);
        return -1;
    }
    f->rc = rmq_rclient_new(NULL, NULL);
    *state = f;
    return 0;
}

static int setup_default(void **state)
{
    return start_with(state, NULL);
}

static int setup_limits(void **state)
{
    return start_with(state, "maxMessageSize=65536");
}

/* The broker first (it unregisters from the running name server), then the
 * name server; both must exit 0 on SIGTERM (under ASan a leak shows up here). */
static int teardown(void **state)
{
    fixture_t *f = *state;
    rmq_rclient_destroy(f->rc);
    int status = it_stop_broker_and_namesrv(&f->br, &f->ns);
    free(f);
    assert_int_equal(status, 0);
    return 0;
}

/* ---- helpers ---- */


static rmq_cmd_t *call(fixture_t *f, rmq_cmd_t *req)
{
    int32_t code = req->code;
    rmq_cmd_t *resp = it_call(f->rc, f->br.addr, req);
    if (!resp)
        fail_msg("request %d to the broker got no answer", code);
    return resp;
}

static rmq_cmd_t *call_code(fixture_t *f, rmq_cmd_t *req, int want)
{
    int32_t code = req->code;
    rmq_cmd_t *resp = call(f, req);
    if (resp->code != want)
        fail_msg("request %d answered %d (%s), expected %d", code, resp->code,
                 resp->remark ? resp->remark : "", want);
    return resp;
}

static void call_expect(fixture_t *f, rmq_cmd_t *req, int want)
{
    rmq_cmd_free(call_code(f, req, want));
}

static void decode_header(const rmq_cmd_t *resp, const rmq_header_desc_t *d, void *out)
{
    char err[200];
    if (rmq_header_decode(d, &resp->ext, out, err, sizeof(err)) != 0)
        fail_msg("%s: %s", d->name, err);
}

static rmq_cmd_t *create_topic_request(const char *topic, int queues, int perm)
{
    rmq_create_topic_req_t h = {
        .topic = topic,
        .defaultTopic = "TBW102",
        .readQueueNums = queues,
        .writeQueueNums = queues,
        .perm = perm,
        .topicFilterType = "SINGLE_TAG",
        .order = false,
    };
    return it_request(RMQ_REQ_UPDATE_AND_CREATE_TOPIC, &rmq_create_topic_req_desc, &h);
}

static void create_topic(fixture_t *f, const char *topic, int queues)
{
    call_expect(f, create_topic_request(topic, queues, RMQ_PERM_READ | RMQ_PERM_WRITE), 0);
}

/* Properties string "k\001v\002k\001v" from NULL-terminated name, value pairs. */
static char *props(const char *name, ...)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    va_list ap;
    va_start(ap, name);
    for (const char *n = name; n; n = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        if (b.len > 0)
            rmq_buf_append_u8(&b, RMQ_PROP_SEP);
        rmq_buf_append_str(&b, n);
        rmq_buf_append_u8(&b, RMQ_PROP_NAME_VALUE_SEP);
        rmq_buf_append_str(&b, v);
    }
    va_end(ap);
    rmq_buf_cstr(&b);
    size_t len;
    return (char *)rmq_buf_steal(&b, &len);
}

typedef struct send_opts {
    int32_t code;           /* 0: SEND_MESSAGE_V2 */
    int32_t queue_id;
    const char *props;      /* NULL: none */
    const void *body;
    size_t body_len;
    int32_t flag;
    int64_t born_ts;        /* 0: now */
    const char *default_topic; /* NULL: TBW102 */
    bool batch;
    uint8_t serialize_type;
} send_opts_t;

static rmq_cmd_t *send_request(const char *topic, const send_opts_t *o)
{
    rmq_send_req_t h = {
        .producerGroup = PRODUCER_GROUP,
        .topic = topic,
        .defaultTopic = o->default_topic ? o->default_topic : "TBW102",
        .defaultTopicQueueNums = 4,
        .queueId = o->queue_id,
        .sysFlag = 0,
        .bornTimestamp = o->born_ts ? o->born_ts : rmq_now_ms(),
        .flag = o->flag,
        .properties = o->props,
        .reconsumeTimes = 0,
        .has_reconsumeTimes = true,
        .unitMode = false,
        .batch = o->batch,
    };
    int32_t code = o->code ? o->code : RMQ_REQ_SEND_MESSAGE_V2;
    const rmq_header_desc_t *d =
        code == RMQ_REQ_SEND_MESSAGE ? &rmq_send_req_v1_desc : &rmq_send_req_v2_desc;
    rmq_cmd_t *req = it_request(code, d, &h);
    req->serialize_type = o->serialize_type;
    if (o->body_len > 0)
        rmq_cmd_set_body(req, o->body, o->body_len);
    return req;
}

/* Sends and expects code.  Every answer made after the header decoded
 * carries MSG_REGION and TRACE_ON (Java's preSend sets them before its
 * checks); on SUCCESS fills *sh (strings borrowed from the response). */
static rmq_cmd_t *send_code(fixture_t *f, const char *topic, const send_opts_t *o, int want,
                            rmq_send_resp_t *sh)
{
    rmq_cmd_t *resp = call_code(f, send_request(topic, o), want);
    const char *region = rmq_ext_get(&resp->ext, "MSG_REGION");
    const char *trace = rmq_ext_get(&resp->ext, "TRACE_ON");
    assert_non_null(region);
    assert_non_null(trace);
    assert_string_equal(region, "DefaultRegion");
    assert_string_equal(trace, "true");
    if (want == 0 && sh)
        decode_header(resp, &rmq_send_resp_desc, sh);
    return resp;
}

/* A text-bodied message to queue_id; returns its queue offset. */
static int64_t send_text(fixture_t *f, const char *topic, int32_t queue_id, const char *tags,
                         const char *text)
{
    char *p = tags ? props("TAGS", tags, NULL) : NULL;
    send_opts_t o = {.queue_id = queue_id, .props = p, .body = text, .body_len = strlen(text)};
    rmq_send_resp_t sh;
    rmq_cmd_t *resp = send_code(f, topic, &o, 0, &sh);
    assert_int_equal(sh.queueId, queue_id);
    int64_t off = sh.queueOffset;
    rmq_cmd_free(resp);
    free(p);
    return off;
}

typedef struct pull_opts {
    const char *group;   /* NULL: CG_IT */
    int32_t max;         /* 0: 32 */
    int32_t sys_flag;    /* -1: none; 0: SUBSCRIPTION */
    const char *sub;     /* NULL: "*" */
    int64_t suspend_ms;
    uint8_t serialize_type;
} pull_opts_t;

static rmq_cmd_t *pull_request(const char *topic, int32_t queue_id, int64_t offset,
                               const pull_opts_t *o)
{
    rmq_pull_req_t h = {
        .consumerGroup = o && o->group ? o->group : "CG_IT",
        .topic = topic,
        .queueId = queue_id,
        .queueOffset = offset,
        .maxMsgNums = o && o->max ? o->max : 32,
        .sysFlag = !o || o->sys_flag == 0 ? RMQ_PULL_FLAG_SUBSCRIPTION
                                          : (o->sys_flag < 0 ? 0 : o->sys_flag),
        .commitOffset = 0,
        .suspendTimeoutMillis = o ? o->suspend_ms : 0,
        .subscription = o && o->sub ? o->sub : "*",
        .subVersion = 0,
        .expressionType = "TAG",
    };
    rmq_cmd_t *req = it_request(RMQ_REQ_PULL_MESSAGE, &rmq_pull_req_desc, &h);
    if (o)
        req->serialize_type = o->serialize_type;
    return req;
}

/* Pulls and expects code; for the pull statuses decodes the four-field
 * response header into *ph (present on every one of them). */
static rmq_cmd_t *pull_code(fixture_t *f, const char *topic, int32_t queue_id, int64_t offset,
                            const pull_opts_t *o, int want, rmq_pull_resp_t *ph)
{
    rmq_cmd_t *resp = call_code(f, pull_request(topic, queue_id, offset, o), want);
    if (ph && (want == 0 || (want >= ROCKETMQ_ERR_PULL_NOT_FOUND &&
                             want <= ROCKETMQ_ERR_PULL_OFFSET_MOVED)))
        decode_header(resp, &rmq_pull_resp_desc, ph);
    return resp;
}

/* Splits a pull body into records (CRC checked); they point into resp. */
static size_t parse_records(const rmq_cmd_t *resp, rmq_record_t *out, size_t max)
{
    size_t n = 0, pos = 0;
    while (pos < resp->body_len) {
        if (n == max)
            fail_msg("more than %zu records in a pull body", max);
        rmq_record_status_t st =
            rmq_record_parse(resp->body + pos, resp->body_len - pos, true, &out[n]);
        if (st != RMQ_RECORD_OK)
            fail_msg("record %zu at byte %zu of the pull body does not parse (%d)", n, pos,
                     (int)st);
        pos += (size_t)out[n].total_size;
        n++;
    }
    assert_int_equal(pos, resp->body_len);
    return n;
}

static void assert_body(const rmq_record_t *r, const void *body, size_t len)
{
    assert_int_equal(r->body_len, len);
    assert_memory_equal(r->body, body, len);
}

static void assert_text(const rmq_record_t *r, const char *text)
{
    assert_body(r, text, strlen(text));
}

static void assert_topic(const rmq_record_t *r, const char *topic)
{
    assert_int_equal(r->topic_len, strlen(topic));
    assert_memory_equal(r->topic, topic, strlen(topic));
}

/* The value of a property of r as a new string, NULL if absent. */
static char *rec_prop(const rmq_record_t *r, const char *name)
{
    const char *v;
    size_t n;
    if (!rmq_props_find(r->properties, (size_t)r->properties_len, name, &v, &n))
        return NULL;
    char *s = malloc(n + 1);
    assert_non_null(s);
    memcpy(s, v, n);
    s[n] = '\0';
    return s;
}

static void assert_prop(const rmq_record_t *r, const char *name, const char *want)
{
    char *v = rec_prop(r, name);
    if (!v)
        fail_msg("property %s missing", name);
    if (strcmp(v, want) != 0)
        fail_msg("property %s is '%s', expected '%s'", name, v, want);
    free(v);
}

static size_t prop_count(const char *p, size_t len)
{
    size_t n = 0;
    for (size_t pos = 0; pos < len;) {
        const char *end = memchr(p + pos, RMQ_PROP_SEP, len - pos);
        size_t seg = end ? (size_t)(end - (p + pos)) : len - pos;
        if (seg > 0)
            n++;
        pos += seg + 1;
    }
    return n;
}

/* The stored properties are exactly the sent ones plus CLUSTER (what
 * SendMessageProcessor adds), every value unchanged. */
static void assert_props_as_sent(const rmq_record_t *r, const char *sent)
{
    size_t len = strlen(sent);
    for (size_t pos = 0; pos < len;) {
        const char *seg = sent + pos;
        const char *end = memchr(seg, RMQ_PROP_SEP, len - pos);
        size_t slen = end ? (size_t)(end - seg) : len - pos;
        const char *kv = memchr(seg, RMQ_PROP_NAME_VALUE_SEP, slen);
        assert_non_null(kv);
        char name[128], value[512];
        snprintf(name, sizeof(name), "%.*s", (int)(kv - seg), seg);
        snprintf(value, sizeof(value), "%.*s", (int)(slen - (size_t)(kv - seg) - 1), kv + 1);
        assert_prop(r, name, value);
        pos += slen + 1;
    }
    assert_prop(r, "CLUSTER", IT_BROKER_CLUSTER);
    assert_int_equal(prop_count(r->properties, (size_t)r->properties_len),
                     prop_count(sent, len) + 1);
}

static void assert_store_host(const fixture_t *f, const rmq_record_t *r)
{
    char host[64];
    rmq_host_format(&r->store_host, host, sizeof(host));
    assert_string_equal(host, f->br.addr);
}

/* The offset message id names this broker and the record's commit-log offset. */
static void assert_msg_id(const fixture_t *f, const char *id, const rmq_record_t *r)
{
    rmq_host_t h;
    int64_t phys;
    assert_int_equal(strlen(id), 32);
    assert_int_equal(rmq_msg_id_decode(id, &h, &phys), 0);
    char host[64];
    rmq_host_format(&h, host, sizeof(host));
    assert_string_equal(host, f->br.addr);
    assert_int_equal(phys, r->phys_offset);
}

static int64_t offset_call(fixture_t *f, int32_t code, const rmq_header_desc_t *d, const void *h,
                           const rmq_header_desc_t *resp_desc)
{
    rmq_cmd_t *resp = call_code(f, it_request(code, d, h), 0);
    int64_t v;
    decode_header(resp, resp_desc, &v);
    rmq_cmd_free(resp);
    return v;
}

static int64_t max_offset(fixture_t *f, const char *topic, int32_t qid)
{
    rmq_queue_req_t h = {topic, qid};
    return offset_call(f, RMQ_REQ_GET_MAX_OFFSET, &rmq_get_max_offset_req_desc, &h,
                       &rmq_get_max_offset_resp_desc);
}

static int64_t min_offset(fixture_t *f, const char *topic, int32_t qid)
{
    rmq_queue_req_t h = {topic, qid};
    return offset_call(f, RMQ_REQ_GET_MIN_OFFSET, &rmq_get_min_offset_req_desc, &h,
                       &rmq_get_min_offset_resp_desc);
}

/* Sends are answered once the record is in the commit log; its consume
 * queue entry follows asynchronously (the dispatcher, as in Java), so a test
 * waits for the queue's max offset before pulling what it just sent. */
static void wait_dispatched(fixture_t *f, const char *topic, int32_t qid, int64_t n)
{
    int64_t deadline = it_now_ms() + 3000, max = -1;
    for (int i = 0; i < 1000; i++) {
        max = max_offset(f, topic, qid);
        if (max >= n || it_now_ms() >= deadline)
            break;
        it_sleep_ms(2);
    }
    if (max < n)
        fail_msg("%s queue %d: max offset %lld, expected %lld after 3 s", topic, (int)qid,
                 (long long)max, (long long)n);
}

static int64_t earliest_store_time(fixture_t *f, const char *topic, int32_t qid)
{
    rmq_queue_req_t h = {topic, qid};
    return offset_call(f, RMQ_REQ_GET_EARLIEST_MSG_STORETIME,
                       &rmq_get_earliest_msg_storetime_req_desc, &h,
                       &rmq_get_earliest_msg_storetime_resp_desc);
}

static int64_t search_offset(fixture_t *f, const char *topic, int32_t qid, int64_t ts)
{
    rmq_search_offset_req_t h = {topic, qid, ts};
    return offset_call(f, RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP, &rmq_search_offset_req_desc, &h,
                       &rmq_search_offset_resp_desc);
}

static rmq_cmd_t *query_offset_request(const char *group, const char *topic, int32_t qid)
{
    rmq_query_consumer_offset_req_t h = {group, topic, qid};
    return it_request(RMQ_REQ_QUERY_CONSUMER_OFFSET, &rmq_query_consumer_offset_req_desc, &h);
}

static int64_t query_offset(fixture_t *f, const char *group, const char *topic, int32_t qid)
{
    rmq_cmd_t *resp = call_code(f, query_offset_request(group, topic, qid), 0);
    rmq_offset_resp_t h;
    decode_header(resp, &rmq_query_consumer_offset_resp_desc, &h);
    rmq_cmd_free(resp);
    return h.offset;
}

static rmq_cmd_t *update_offset_request(const char *group, const char *topic, int32_t qid,
                                        int64_t offset)
{
    rmq_update_consumer_offset_req_t h = {group, topic, qid, offset};
    return it_request(RMQ_REQ_UPDATE_CONSUMER_OFFSET, &rmq_update_consumer_offset_req_desc, &h);
}

/* The route of topic at the name server, waiting for it to appear. */
static void wait_route(fixture_t *f, const char *topic, rmq_topic_route_t *route)
{
    if (!it_wait_route_code(f->rc, f->ns.addr, topic, 0, ROUTE_WAIT_MS))
        fail_msg("no route for %s at the name server after %d ms", topic, ROUTE_WAIT_MS);
    assert_int_equal(it_get_route(f->rc, f->ns.addr, topic, route), 0);
}

static const rmq_queue_data_t *route_queue(const rmq_topic_route_t *r)
{
    for (size_t i = 0; i < r->nqueue_datas; i++)
        if (strcmp(r->queue_datas[i].broker_name, IT_BROKER_NAME) == 0)
            return &r->queue_datas[i];
    fail_msg("no queue data of " IT_BROKER_NAME);
    return NULL;
}

/* The master address of broker-a in the route. */
static const char *route_master(const rmq_topic_route_t *r)
{
    for (size_t i = 0; i < r->nbroker_datas; i++) {
        const rmq_broker_data_t *bd = &r->broker_datas[i];
        if (strcmp(bd->broker_name, IT_BROKER_NAME) != 0)
            continue;
        assert_string_equal(bd->cluster, IT_BROKER_CLUSTER);
        for (size_t j = 0; j < bd->naddrs; j++)
            if (bd->addrs[j].broker_id == 0)
                return bd->addrs[j].addr;
    }
    fail_msg("no master address of " IT_BROKER_NAME);
    return NULL;
}

/* ---- registration and topics ---- */

/* At start the broker registers its topic table: TBW102 (8 queues, R|W|X)
 * routes to it. */
static void test_registers_with_namesrv(void **state)
{
    fixture_t *f = *state;
    rmq_topic_route_t r;
    wait_route(f, "TBW102", &r);
    assert_string_equal(route_master(&r), f->br.addr);
    const rmq_queue_data_t *q = route_queue(&r);
    assert_int_equal(q->read_queue_nums, 8);
    assert_int_equal(q->write_queue_nums, 8);
    assert_int_equal(q->perm, RMQ_PERM_READ | RMQ_PERM_WRITE | RMQ_PERM_INHERIT);
    rmq_topic_route_free(&r);
}

static void test_create_topic_route(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicCreate", 3);
    rmq_topic_route_t r;
    wait_route(f, "TopicCreate", &r);
    assert_string_equal(route_master(&r), f->br.addr);
    const rmq_queue_data_t *q = route_queue(&r);
    assert_int_equal(q->read_queue_nums, 3);
    assert_int_equal(q->write_queue_nums, 3);
    assert_int_equal(q->perm, RMQ_PERM_READ | RMQ_PERM_WRITE);
    rmq_topic_route_free(&r);
    /* Updating it changes the route too. */
    create_topic(f, "TopicCreate", 5);
    int64_t deadline = it_now_ms() + ROUTE_WAIT_MS;
    int queues = 0;
    for (int i = 0; i < ROUTE_WAIT_MS / 50 && it_now_ms() < deadline; i++) {
        assert_int_equal(it_get_route(f->rc, f->ns.addr, "TopicCreate", &r), 0);
        queues = route_queue(&r)->read_queue_nums;
        rmq_topic_route_free(&r);
        if (queues == 5)
            break;
        it_sleep_ms(50);
    }
    assert_int_equal(queues, 5);
}

/* ---- send and pull ---- */

static void test_send_v2_and_v1_then_pull(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicSend", 4);
    char *p1 = props("TAGS", "TagA", "KEYS", "key-1 key-2", "UNIQ_KEY",
                     "7F00000100002A9F0000000000000001", "color", "red", "size", "42", NULL);
    char *p2 = props("TAGS", "TagB", "KEYS", "key-3", "UNIQ_KEY",
                     "7F00000100002A9F0000000000000002", NULL);
    static const uint8_t body1[] = {0, 1, 2, 0xFF, 'x', 0, 'y'};
    const char *body2 = "second message, sent with SEND_MESSAGE (V1 header)";
    int64_t born1 = rmq_now_ms() - 1000, born2 = rmq_now_ms() - 500;

    send_opts_t o1 = {.queue_id = 1, .props = p1, .body = body1, .body_len = sizeof(body1),
                      .flag = 7, .born_ts = born1};
    rmq_send_resp_t s1, s2;
    rmq_cmd_t *r1 = send_code(f, "TopicSend", &o1, 0, &s1);
    assert_int_equal(s1.queueId, 1);
    assert_int_equal(s1.queueOffset, 0);
    send_opts_t o2 = {.code = RMQ_REQ_SEND_MESSAGE, .queue_id = 1, .props = p2, .body = body2,
                      .body_len = strlen(body2), .born_ts = born2};
    rmq_cmd_t *r2 = send_code(f, "TopicSend", &o2, 0, &s2);
    assert_int_equal(s2.queueId, 1);
    assert_int_equal(s2.queueOffset, 1);

    wait_dispatched(f, "TopicSend", 1, 2);
    rmq_pull_resp_t ph;
    rmq_cmd_t *resp = pull_code(f, "TopicSend", 1, 0, NULL, 0, &ph);
    assert_int_equal(ph.nextBeginOffset, 2);
    assert_int_equal(ph.minOffset, 0);
    assert_int_equal(ph.maxOffset, 2);
    assert_int_equal(ph.suggestWhichBrokerId, 0);
    rmq_record_t rec[MAX_RECORDS];
    assert_int_equal(parse_records(resp, rec, MAX_RECORDS), 2);

    assert_topic(&rec[0], "TopicSend");
    assert_int_equal(rec[0].magic, RMQ_MESSAGE_MAGIC);
    assert_int_equal(rec[0].queue_id, 1);
    assert_int_equal(rec[0].queue_offset, 0);
    assert_int_equal(rec[0].flag, 7);
    assert_int_equal(rec[0].sysflag, 0);
    assert_int_equal(rec[0].born_timestamp, born1);
    assert_int_equal(rec[0].reconsume_times, 0);
    assert_true(rec[0].store_timestamp >= born1);
    assert_body(&rec[0], body1, sizeof(body1));
    assert_props_as_sent(&rec[0], p1);
    assert_store_host(f, &rec[0]);
    assert_msg_id(f, s1.msgId, &rec[0]);

    assert_topic(&rec[1], "TopicSend");
    assert_int_equal(rec[1].queue_id, 1);
    assert_int_equal(rec[1].queue_offset, 1);
    assert_int_equal(rec[1].born_timestamp, born2);
    assert_int_equal(rec[1].phys_offset, rec[0].phys_offset + rec[0].total_size);
    assert_text(&rec[1], body2);
    assert_props_as_sent(&rec[1], p2);
    assert_msg_id(f, s2.msgId, &rec[1]);
    rmq_cmd_free(resp);

    /* maxMsgNums is honoured, and the next pull goes on from there. */
    pull_opts_t one = {.max = 1};
    resp = pull_code(f, "TopicSend", 1, 1, &one, 0, &ph);
    assert_int_equal(ph.nextBeginOffset, 2);
    assert_int_equal(parse_records(resp, rec, MAX_RECORDS), 1);
    assert_int_equal(rec[0].queue_offset, 1);
    rmq_cmd_free(resp);

    rmq_cmd_free(r1);
    rmq_cmd_free(r2);
    free(p1);
    free(p2);
}

static void test_tag_filter(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicTags", 1);
    const char *tags[] = {"TagA", "TagB", "TagC", "TagA", "TagD"};
    for (int i = 0; i < 5; i++) {
        char text[32];
        snprintf(text, sizeof(text), "tagged-%d", i);
        assert_int_equal(send_text(f, "TopicTags", 0, tags[i], text), i);
    }
    wait_dispatched(f, "TopicTags", 0, 5);
    rmq_pull_resp_t ph;
    rmq_record_t rec[MAX_RECORDS];
    pull_opts_t ab = {.sub = "TagA || TagB"};
    rmq_cmd_t *resp = pull_code(f, "TopicTags", 0, 0, &ab, 0, &ph);
    assert_int_equal(parse_records(resp, rec, MAX_RECORDS), 3);
    assert_int_equal(rec[0].queue_offset, 0);
    assert_int_equal(rec[1].queue_offset, 1);
    assert_int_equal(rec[2].queue_offset, 3);
    assert_prop(&rec[0], "TAGS", "TagA");
    assert_prop(&rec[1], "TAGS", "TagB");
    assert_prop(&rec[2], "TAGS", "TagA");
    assert_text(&rec[2], "tagged-3");
    assert_int_equal(ph.nextBeginOffset, 5); /* filtered entries are skipped for good */
    rmq_cmd_free(resp);

    pull_opts_t c = {.sub = "TagC"};
    resp = pull_code(f, "TopicTags", 0, 0, &c, 0, &ph);
    assert_int_equal(parse_records(resp, rec, MAX_RECORDS), 1);
    assert_text(&rec[0], "tagged-2");
    rmq_cmd_free(resp);

    /* Nothing matches: PULL_RETRY_IMMEDIATELY past the scanned entries. */
    pull_opts_t z = {.sub = "TagZ"};
    rmq_cmd_free(pull_code(f, "TopicTags", 0, 0, &z, ROCKETMQ_ERR_PULL_RETRY_IMMEDIATELY, &ph));
    assert_int_equal(ph.nextBeginOffset, 5);
    /* "*" takes everything. */
    resp = pull_code(f, "TopicTags", 0, 0, NULL, 0, &ph);
    assert_int_equal(parse_records(resp, rec, MAX_RECORDS), 5);
    rmq_cmd_free(resp);
}

static void test_pull_statuses(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicStatus", 2);
    rmq_pull_resp_t ph;
    /* Empty queue: NOT_FOUND at 0, OFFSET_MOVED (to 0) anywhere else. */
    rmq_cmd_free(pull_code(f, "TopicStatus", 0, 0, NULL, ROCKETMQ_ERR_PULL_NOT_FOUND, &ph));
    assert_int_equal(ph.nextBeginOffset, 0);
    assert_int_equal(ph.maxOffset, 0);
    rmq_cmd_free(pull_code(f, "TopicStatus", 0, 5, NULL, ROCKETMQ_ERR_PULL_OFFSET_MOVED, &ph));
    assert_int_equal(ph.nextBeginOffset, 0);

    for (int i = 0; i < 3; i++)
        send_text(f, "TopicStatus", 0, "T", "status");
    wait_dispatched(f, "TopicStatus", 0, 3);
    /* Caught up: NOT_FOUND, stay there. */
    rmq_cmd_free(pull_code(f, "TopicStatus", 0, 3, NULL, ROCKETMQ_ERR_PULL_NOT_FOUND, &ph));
    assert_int_equal(ph.nextBeginOffset, 3);
    assert_int_equal(ph.minOffset, 0);
    assert_int_equal(ph.maxOffset, 3);
    /* Beyond the end: OFFSET_MOVED to the max offset. */
    rmq_cmd_free(pull_code(f, "TopicStatus", 0, 10, NULL, ROCKETMQ_ERR_PULL_OFFSET_MOVED, &ph));
    assert_int_equal(ph.nextBeginOffset, 3);
    assert_int_equal(ph.maxOffset, 3);
    /* The other queue is untouched. */
    rmq_cmd_free(pull_code(f, "TopicStatus", 1, 0, NULL, ROCKETMQ_ERR_PULL_NOT_FOUND, &ph));
    /* Errors before the store is read. */
    rmq_cmd_free(pull_code(f, "NoSuchTopic", 0, 0, NULL, ROCKETMQ_ERR_TOPIC_NOT_EXIST, NULL));
    rmq_cmd_free(pull_code(f, "TopicStatus", 2, 0, NULL, ROCKETMQ_ERR_SYSTEM_ERROR, NULL));
    /* No subscription in the header and none registered by heartbeat. */
    pull_opts_t nosub = {.sys_flag = -1};
    rmq_cmd_free(
        pull_code(f, "TopicStatus", 0, 0, &nosub, ROCKETMQ_ERR_SUBSCRIPTION_NOT_EXIST, NULL));
}

/* ---- long polling ---- */

typedef struct held_pull {
    rmq_rclient_t *rc;
    const char *addr;
    rmq_cmd_t *req;
    rmq_cmd_t *resp;
    int err;
    int64_t done_ms;
} held_pull_t;

static void *held_pull_main(void *arg)
{
    held_pull_t *h = arg;
    h->err = rmq_rclient_invoke_sync(h->rc, h->addr, h->req, HOLD_MS + 5000, &h->resp);
    h->done_ms = it_now_ms();
    return NULL;
}

static void test_long_polling_wakes_on_send(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicHold", 2);
    send_text(f, "TopicHold", 0, "TagA", "before");
    wait_dispatched(f, "TopicHold", 0, 1);
    pull_opts_t o = {.sys_flag = RMQ_PULL_FLAG_SUSPEND | RMQ_PULL_FLAG_SUBSCRIPTION,
                     .suspend_ms = HOLD_MS};
    held_pull_t h = {.rc = rmq_rclient_new(NULL, NULL), .addr = f->br.addr,
                     .req = pull_request("TopicHold", 0, 1, &o)};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, held_pull_main, &h), 0);
    it_sleep_ms(500);
    bool answered_early = h.done_ms != 0;
    int64_t sent = it_now_ms();
    send_text(f, "TopicHold", 0, "TagA", "wake up");
    pthread_join(t, NULL); /* bounded by the call's timeout */
    rmq_rclient_destroy(h.rc);
    assert_false(answered_early);
    assert_int_equal(h.err, 0);
    assert_non_null(h.resp);
    assert_int_equal(h.resp->code, 0);
    int64_t latency = h.done_ms - sent;
    print_message("held pull answered %lld ms after the send started\n", (long long)latency);
    if (latency > WAKE_LATENCY_MS)
        fail_msg("the held pull answered %lld ms after the send", (long long)latency);
    rmq_record_t rec[MAX_RECORDS];
    assert_int_equal(parse_records(h.resp, rec, MAX_RECORDS), 1);
    assert_text(&rec[0], "wake up");
    assert_int_equal(rec[0].queue_offset, 1);
    rmq_pull_resp_t ph;
    decode_header(h.resp, &rmq_pull_resp_desc, &ph);
    assert_int_equal(ph.nextBeginOffset, 2);
    rmq_cmd_free(h.resp);
}

static void test_long_polling_times_out(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicIdle", 1);
    pull_opts_t o = {.sys_flag = RMQ_PULL_FLAG_SUSPEND | RMQ_PULL_FLAG_SUBSCRIPTION,
                     .suspend_ms = HOLD_MS};
    int64_t start = it_now_ms();
    rmq_cmd_t *resp = it_call_timeout(f->rc, f->br.addr, pull_request("TopicIdle", 0, 0, &o),
                                      HOLD_MS + 5000);
    int64_t took = it_now_ms() - start;
    print_message("idle held pull answered after %lld ms\n", (long long)took);
    assert_non_null(resp);
    assert_int_equal(resp->code, ROCKETMQ_ERR_PULL_NOT_FOUND);
    rmq_pull_resp_t ph;
    decode_header(resp, &rmq_pull_resp_desc, &ph);
    assert_int_equal(ph.nextBeginOffset, 0);
    rmq_cmd_free(resp);
    if (took < HOLD_MS || took > HOLD_MS + HOLD_SLACK_MS)
        fail_msg("the idle held pull answered after %lld ms (hold %d ms)", (long long)took,
                 HOLD_MS);
}

/* ---- offsets ---- */

static void test_consumer_offsets(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicOffsets", 2);
    /* A new group on a queue that never lost a message starts at 0. */
    assert_int_equal(query_offset(f, "CG_OFF", "TopicOffsets", 0), 0);
    call_expect(f, update_offset_request("CG_OFF", "TopicOffsets", 0, 7), 0);
    assert_int_equal(query_offset(f, "CG_OFF", "TopicOffsets", 0), 7);
    call_expect(f, update_offset_request("CG_OFF", "TopicOffsets", 1, 3), 0);
    assert_int_equal(query_offset(f, "CG_OFF", "TopicOffsets", 1), 3);
    /* Going back is allowed (a reset). */
    call_expect(f, update_offset_request("CG_OFF", "TopicOffsets", 0, 2), 0);
    assert_int_equal(query_offset(f, "CG_OFF", "TopicOffsets", 0), 2);
    /* Clients commit one-way. */
    assert_int_equal(rmq_rclient_invoke_oneway(
                         f->rc, f->br.addr, update_offset_request("CG_OFF", "TopicOffsets", 0, 9)),
                     0);
    int64_t v = -1;
    for (int i = 0; i < 100 && v != 9; i++) {
        v = query_offset(f, "CG_OFF", "TopicOffsets", 0);
        if (v != 9)
            it_sleep_ms(20);
    }
    assert_int_equal(v, 9);
    /* Groups do not see each other's offsets. */
    assert_int_equal(query_offset(f, "CG_OTHER", "TopicOffsets", 1), 0);
    /* The pull's commit flag stores commitOffset too. */
    rmq_pull_req_t h = {.consumerGroup = "CG_OFF", .topic = "TopicOffsets", .queueId = 1,
                        .queueOffset = 0, .maxMsgNums = 32,
                        .sysFlag = RMQ_PULL_FLAG_COMMIT_OFFSET | RMQ_PULL_FLAG_SUBSCRIPTION,
                        .commitOffset = 11, .subscription = "*", .expressionType = "TAG"};
    call_expect(f, it_request(RMQ_REQ_PULL_MESSAGE, &rmq_pull_req_desc, &h),
                ROCKETMQ_ERR_PULL_NOT_FOUND);
    assert_int_equal(query_offset(f, "CG_OFF", "TopicOffsets", 1), 11);
}

static void test_offset_lookups(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicLookup", 4);
    int64_t before = rmq_now_ms();
    for (int i = 0; i < 3; i++) {
        char text[16];
        snprintf(text, sizeof(text), "lookup-%d", i);
        send_text(f, "TopicLookup", 2, NULL, text);
        it_sleep_ms(5); /* distinct store times */
    }
    int64_t after = rmq_now_ms();
    wait_dispatched(f, "TopicLookup", 2, 3);
    rmq_cmd_t *resp = pull_code(f, "TopicLookup", 2, 0, NULL, 0, NULL);
    rmq_record_t rec[MAX_RECORDS];
    assert_int_equal(parse_records(resp, rec, MAX_RECORDS), 3);
    assert_int_equal(max_offset(f, "TopicLookup", 2), 3);
    assert_int_equal(min_offset(f, "TopicLookup", 2), 0);
    int64_t earliest = earliest_store_time(f, "TopicLookup", 2);
    assert_int_equal(earliest, rec[0].store_timestamp);
    assert_true(earliest >= before && earliest <= after);
    for (int i = 0; i < 3; i++) {
        if (i > 0 && rec[i].store_timestamp == rec[i - 1].store_timestamp)
            continue;
        assert_int_equal(search_offset(f, "TopicLookup", 2, rec[i].store_timestamp), i);
    }
    rmq_cmd_free(resp);
    /* An empty queue. */
    assert_int_equal(max_offset(f, "TopicLookup", 3), 0);
    assert_int_equal(min_offset(f, "TopicLookup", 3), 0);
    assert_int_equal(earliest_store_time(f, "TopicLookup", 3), -1);
    assert_int_equal(search_offset(f, "TopicLookup", 3, before), 0);
}

/* ---- clients ---- */

static rmq_cmd_t *heartbeat_request(const char *client_id, const char *group, const char *topic,
                                    const char *expr)
{
    char *tags[2] = {"TagA", "TagB"};
    int32_t codes[2] = {rmq_java_hash("TagA", 4), rmq_java_hash("TagB", 4)};
    rmq_subscription_data_t sub = {
        .topic = (char *)topic,
        .sub_string = (char *)expr,
        .tags = tags,
        .ntags = 2,
        .codes = codes,
        .ncodes = 2,
        .sub_version = 1,
        .expression_type = "TAG",
    };
    rmq_consumer_data_t cd = {
        .group_name = (char *)group,
        .consume_type = RMQ_CONSUME_PASSIVELY,
        .message_model = RMQ_MODEL_CLUSTERING,
        .consume_from_where = RMQ_CFW_LAST_OFFSET,
        .subs = &sub,
        .nsubs = 1,
    };
    char *producers[1] = {"PG_HB"};
    rmq_heartbeat_data_t hb = {
        .client_id = (char *)client_id,
        .consumers = &cd,
        .nconsumers = 1,
        .producer_groups = producers,
        .nproducers = 1,
    };
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_HEART_BEAT);
    rmq_buf_t body = RMQ_BUF_INIT;
    rmq_heartbeat_data_encode(&hb, &body);
    rmq_cmd_take_body(req, &body);
    return req;
}

/* The group's consumer ids (sorted as received), or -1 if the broker says
 * it has none (SYSTEM_ERROR). */
static int consumer_list(rmq_rclient_t *rc, const char *addr, const char *group, char ***ids)
{
    rmq_consumer_group_req_t h = {group};
    rmq_cmd_t *resp =
        it_call(rc, addr, it_request(RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP,
                                     &rmq_get_consumer_list_req_desc, &h));
    assert_non_null(resp);
    if (resp->code == ROCKETMQ_ERR_SYSTEM_ERROR) {
        rmq_cmd_free(resp);
        *ids = NULL;
        return -1;
    }
    assert_int_equal(resp->code, 0);
    size_t n;
    char err[200];
    if (rmq_consumer_id_list_decode(resp->body, resp->body_len, ids, &n, err, sizeof(err)) != 0)
        fail_msg("consumer list: %s", err);
    rmq_cmd_free(resp);
    return (int)n;
}

static void free_ids(char **ids, int n)
{
    for (int i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

static bool has_id(char **ids, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return true;
    return false;
}

static void test_heartbeat_consumer_list(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicHb", 1);
    char **ids;
    assert_int_equal(consumer_list(f->rc, f->br.addr, "CG_HB", &ids), -1);
    call_expect(f, heartbeat_request("127.0.0.1@it-a", "CG_HB", "TopicHb", "TagA || TagB"), 0);
    int n = consumer_list(f->rc, f->br.addr, "CG_HB", &ids);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], "127.0.0.1@it-a");
    free_ids(ids, n);

    /* A second client over its own connection joins the group... */
    rmq_rclient_t *rc2 = rmq_rclient_new(NULL, NULL);
    rmq_cmd_t *resp = it_call(
        rc2, f->br.addr, heartbeat_request("127.0.0.1@it-b", "CG_HB", "TopicHb", "TagA || TagB"));
    assert_non_null(resp);
    assert_int_equal(resp->code, 0);
    rmq_cmd_free(resp);
    n = consumer_list(f->rc, f->br.addr, "CG_HB", &ids);
    assert_int_equal(n, 2);
    assert_true(has_id(ids, n, "127.0.0.1@it-a"));
    assert_true(has_id(ids, n, "127.0.0.1@it-b"));
    free_ids(ids, n);
    /* ...and leaves when its connection closes. */
    rmq_rclient_destroy(rc2);
    for (int i = 0; i < 100; i++) {
        n = consumer_list(f->rc, f->br.addr, "CG_HB", &ids);
        free_ids(ids, n);
        if (n == 1)
            break;
        it_sleep_ms(20);
    }
    assert_int_equal(n, 1);

    /* The heartbeat created the group's retry topic. */
    rmq_topic_route_t r;
    wait_route(f, "%RETRY%CG_HB", &r);
    rmq_topic_route_free(&r);

    /* Pulls without a header subscription use the registered one. */
    send_text(f, "TopicHb", 0, "TagA", "hb-a");
    send_text(f, "TopicHb", 0, "TagC", "hb-c");
    send_text(f, "TopicHb", 0, "TagB", "hb-b");
    wait_dispatched(f, "TopicHb", 0, 3);
    pull_opts_t o = {.group = "CG_HB", .sys_flag = -1};
    rmq_pull_resp_t ph;
    resp = pull_code(f, "TopicHb", 0, 0, &o, 0, &ph);
    rmq_record_t rec[MAX_RECORDS];
    assert_int_equal(parse_records(resp, rec, MAX_RECORDS), 2);
    assert_text(&rec[0], "hb-a");
    assert_text(&rec[1], "hb-b");
    assert_int_equal(ph.nextBeginOffset, 3);
    rmq_cmd_free(resp);
}

/* ---- batches, serializations, auto-creation ---- */

static void batch_append(rmq_buf_t *b, int32_t flag, const char *body, const char *p)
{
    size_t blen = strlen(body), plen = strlen(p);
    rmq_buf_append_be32(b, (uint32_t)(4 + 4 + 4 + 4 + 4 + blen + 2 + plen));
    rmq_buf_append_be32(b, 0); /* magic: not used */
    rmq_buf_append_be32(b, 0); /* body CRC: the broker computes it */
    rmq_buf_append_be32(b, (uint32_t)flag);
    rmq_buf_append_be32(b, (uint32_t)blen);
    rmq_buf_append(b, body, blen);
    rmq_buf_append_be16(b, (uint16_t)plen);
    rmq_buf_append(b, p, plen);
}

/* The C++ client sends batches as SEND_MESSAGE_V2 with m=true. */
static void test_batch_as_v2(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicBatch", 2);
    send_text(f, "TopicBatch", 1, "Before", "before the batch");
    char *p[3];
    const char *bodies[3] = {"batch-0", "batch-1 is a bit longer", "batch-2"};
    rmq_buf_t body = RMQ_BUF_INIT;
    for (int i = 0; i < 3; i++) {
        char key[16], uniq[40];
        snprintf(key, sizeof(key), "bk-%d", i);
        snprintf(uniq, sizeof(uniq), "7F00000100002A9F00000000000000B%d", i);
        p[i] = props("TAGS", i == 1 ? "TagY" : "TagX", "KEYS", key, "UNIQ_KEY", uniq, NULL);
        batch_append(&body, i + 1, bodies[i], p[i]);
    }
    send_opts_t o = {.queue_id = 1, .body = body.data, .body_len = body.len, .batch = true};
    rmq_send_resp_t sh;
    rmq_cmd_t *sresp = send_code(f, "TopicBatch", &o, 0, &sh);
    assert_int_equal(sh.queueId, 1);
    assert_int_equal(sh.queueOffset, 1);
    char ids[3][40];
    assert_int_equal(sscanf(sh.msgId, "%32[0-9A-F],%32[0-9A-F],%32[0-9A-F]", ids[0], ids[1],
                            ids[2]),
                     3);

    wait_dispatched(f, "TopicBatch", 1, 4);
    rmq_pull_resp_t ph;
    rmq_cmd_t *resp = pull_code(f, "TopicBatch", 1, 1, NULL, 0, &ph);
    rmq_record_t rec[MAX_RECORDS];
    assert_int_equal(parse_records(resp, rec, MAX_RECORDS), 3);
    assert_int_equal(ph.nextBeginOffset, 4);
    for (int i = 0; i < 3; i++) {
        assert_topic(&rec[i], "TopicBatch");
        assert_int_equal(rec[i].queue_id, 1);
        assert_int_equal(rec[i].queue_offset, 1 + i);
        assert_int_equal(rec[i].flag, i + 1);
        assert_text(&rec[i], bodies[i]);
        assert_props_as_sent(&rec[i], p[i]);
        assert_msg_id(f, ids[i], &rec[i]);
        assert_int_equal(rec[i].store_timestamp, rec[0].store_timestamp);
        free(p[i]);
    }
    rmq_cmd_free(resp);
    rmq_cmd_free(sresp);
    rmq_buf_free(&body);
}

/* Requests in the ROCKETMQ binary header serialization get answers in it. */
static void test_rocketmq_serialization(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicBinary", 1);
    char *p = props("TAGS", "TagBin", "KEYS", "bin-key", "note", "binary header", NULL);
    const char *text = "sent with a ROCKETMQ header";
    send_opts_t o = {.queue_id = 0, .props = p, .body = text, .body_len = strlen(text),
                     .serialize_type = RMQ_SERIALIZE_ROCKETMQ};
    rmq_send_resp_t sh;
    rmq_cmd_t *sresp = send_code(f, "TopicBinary", &o, 0, &sh);
    assert_int_equal(sresp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
    assert_int_equal(sh.queueOffset, 0);

    wait_dispatched(f, "TopicBinary", 0, 1);
    pull_opts_t po = {.serialize_type = RMQ_SERIALIZE_ROCKETMQ, .sub = "TagBin"};
    rmq_pull_resp_t ph;
    rmq_cmd_t *resp = pull_code(f, "TopicBinary", 0, 0, &po, 0, &ph);
    assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
    assert_int_equal(ph.nextBeginOffset, 1);
    rmq_record_t rec[MAX_RECORDS];
    assert_int_equal(parse_records(resp, rec, MAX_RECORDS), 1);
    assert_text(&rec[0], text);
    assert_props_as_sent(&rec[0], p);
    assert_msg_id(f, sh.msgId, &rec[0]);
    rmq_cmd_free(resp);
    rmq_cmd_free(sresp);
    free(p);
}

static void test_auto_create_from_tbw102(void **state)
{
    fixture_t *f = *state;
    send_opts_t o = {.queue_id = 2, .body = "auto", .body_len = 4};
    rmq_send_resp_t sh;
    rmq_cmd_t *sresp = send_code(f, "TopicAuto", &o, 0, &sh);
    assert_int_equal(sh.queueId, 2);
    assert_int_equal(sh.queueOffset, 0);
    rmq_cmd_free(sresp);
    /* min(defaultTopicQueueNums 4, TBW102's 8) queues, TBW102's perm without INHERIT. */
    rmq_topic_route_t r;
    wait_route(f, "TopicAuto", &r);
    assert_string_equal(route_master(&r), f->br.addr);
    const rmq_queue_data_t *q = route_queue(&r);
    assert_int_equal(q->read_queue_nums, 4);
    assert_int_equal(q->write_queue_nums, 4);
    assert_int_equal(q->perm, RMQ_PERM_READ | RMQ_PERM_WRITE);
    rmq_topic_route_free(&r);
    wait_dispatched(f, "TopicAuto", 2, 1);
    rmq_cmd_t *resp = pull_code(f, "TopicAuto", 2, 0, NULL, 0, NULL);
    rmq_record_t rec[MAX_RECORDS];
    assert_int_equal(parse_records(resp, rec, MAX_RECORDS), 1);
    assert_text(&rec[0], "auto");
    rmq_cmd_free(resp);
    /* A negative queue id: the broker picks one of the 4. */
    o.queue_id = -1;
    sresp = send_code(f, "TopicAuto", &o, 0, &sh);
    assert_true(sh.queueId >= 0 && sh.queueId < 4);
    rmq_cmd_free(sresp);
    /* No template topic: nothing to create from. */
    o.default_topic = "NoSuchTemplate";
    rmq_cmd_free(send_code(f, "TopicAuto2", &o, ROCKETMQ_ERR_TOPIC_NOT_EXIST, NULL));
}

/* ---- delay levels ---- */

static void test_delay_level_2(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicDelay", 1);
    char *p = props("TAGS", "TagD", "KEYS", "delayed", "DELAY", "2", "who", "delay", NULL);
    const char *text = "five seconds later";
    send_opts_t o = {.queue_id = 0, .props = p, .body = text, .body_len = strlen(text)};
    int64_t sent = it_now_ms();
    rmq_send_resp_t sh;
    rmq_cmd_t *sresp = send_code(f, "TopicDelay", &o, 0, &sh);
    assert_int_equal(sh.queueId, 0); /* the requested queue, not the schedule queue */
    rmq_cmd_free(sresp);

    rmq_cmd_t *resp = NULL;
    int64_t seen = -1;
    for (int i = 0; i < 100 && it_now_ms() - sent < 7000; i++) {
        resp = call(f, pull_request("TopicDelay", 0, 0, NULL));
        if (resp->code == 0) {
            seen = it_now_ms() - sent;
            break;
        }
        assert_int_equal(resp->code, ROCKETMQ_ERR_PULL_NOT_FOUND);
        rmq_cmd_free(resp);
        resp = NULL;
        it_sleep_ms(100);
    }
    if (seen < 0)
        fail_msg("the delayed message never arrived");
    print_message("the level-2 message became pullable after %lld ms\n", (long long)seen);
    if (seen < 4900 || seen > 6500)
        fail_msg("the level-2 (5 s) message became pullable after %lld ms", (long long)seen);
    rmq_record_t rec[MAX_RECORDS];
    assert_int_equal(parse_records(resp, rec, MAX_RECORDS), 1);
    assert_topic(&rec[0], "TopicDelay");
    assert_int_equal(rec[0].queue_id, 0);
    assert_int_equal(rec[0].queue_offset, 0);
    assert_text(&rec[0], text);
    assert_prop(&rec[0], "TAGS", "TagD");
    assert_prop(&rec[0], "KEYS", "delayed");
    assert_prop(&rec[0], "who", "delay");
    assert_prop(&rec[0], "REAL_TOPIC", "TopicDelay");
    assert_prop(&rec[0], "REAL_QID", "0");
    rmq_cmd_free(resp);
    free(p);
}

/* ---- restart ---- */

static void test_restart_keeps_state(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicRestart", 2);
    for (int i = 0; i < 5; i++) {
        char text[32];
        snprintf(text, sizeof(text), "restart-%d", i);
        assert_int_equal(send_text(f, "TopicRestart", 1, "TagR", text), i);
    }
    call_expect(f, update_offset_request("CG_RESTART", "TopicRestart", 1, 3), 0);
    wait_dispatched(f, "TopicRestart", 1, 5);
    char old_addr[32];
    snprintf(old_addr, sizeof(old_addr), "%s", f->br.addr);

    assert_int_equal(it_broker_stop(&f->br), 0);
    assert_int_equal(it_broker_restart(&f->br), 0);
    /* Like Java's store start, the broker serves once the consume queues
     * caught up with the commit log: no waiting for dispatch here. */

    assert_int_equal(query_offset(f, "CG_RESTART", "TopicRestart", 1), 3);
    assert_int_equal(max_offset(f, "TopicRestart", 1), 5);
    rmq_pull_resp_t ph;
    rmq_cmd_t *resp = pull_code(f, "TopicRestart", 1, 0, NULL, 0, &ph);
    rmq_record_t rec[MAX_RECORDS];
    assert_int_equal(parse_records(resp, rec, MAX_RECORDS), 5);
    for (int i = 0; i < 5; i++) {
        char text[32];
        snprintf(text, sizeof(text), "restart-%d", i);
        assert_text(&rec[i], text);
        assert_int_equal(rec[i].queue_offset, i);
    }
    assert_int_equal(ph.nextBeginOffset, 5);
    rmq_cmd_free(resp);
    /* The topic came back from topics.json and is registered at the new address. */
    rmq_topic_route_t r;
    const char *master = NULL;
    for (int i = 0; i < ROUTE_WAIT_MS / 50; i++) {
        wait_route(f, "TopicRestart", &r);
        master = route_master(&r);
        if (strcmp(master, f->br.addr) == 0)
            break;
        rmq_topic_route_free(&r);
        master = NULL;
        it_sleep_ms(50);
    }
    assert_non_null(master);
    assert_int_equal(route_queue(&r)->read_queue_nums, 2);
    rmq_topic_route_free(&r);
    /* And it keeps going from there. */
    assert_int_equal(send_text(f, "TopicRestart", 1, "TagR", "restart-5"), 5);
}

/* ---- bad input ---- */

static void test_bad_send_input(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicBad", 2);
    send_opts_t o = {.queue_id = 0, .body = "x", .body_len = 1};
    rmq_cmd_free(send_code(f, "bad topic!", &o, ROCKETMQ_ERR_SYSTEM_ERROR, NULL));
    /* Bodies up to maxMessageSize pass, one byte more does not. */
    uint8_t *big = calloc(1, MAX_MESSAGE_SIZE + 1);
    assert_non_null(big);
    o.body = big;
    o.body_len = MAX_MESSAGE_SIZE;
    rmq_cmd_free(send_code(f, "TopicBad", &o, 0, NULL));
    o.body_len = MAX_MESSAGE_SIZE + 1;
    rmq_cmd_free(send_code(f, "TopicBad", &o, ROCKETMQ_ERR_MESSAGE_ILLEGAL, NULL));
    free(big);
    o.body = "x";
    o.body_len = 1;
    o.queue_id = 99;
    rmq_cmd_free(send_code(f, "TopicBad", &o, ROCKETMQ_ERR_SYSTEM_ERROR, NULL));
    /* Nothing of that was stored. */
    wait_dispatched(f, "TopicBad", 0, 1);
    it_sleep_ms(50);
    assert_int_equal(max_offset(f, "TopicBad", 0), 1);
    rmq_cmd_free(pull_code(f, "NoSuchTopic", 0, 0, NULL, ROCKETMQ_ERR_TOPIC_NOT_EXIST, NULL));
}

static rmq_buf_t raw_frame(uint32_t type, const char *header, const char *body)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    size_t hl = strlen(header), bl = body ? strlen(body) : 0;
    rmq_buf_append_be32(&b, (uint32_t)(4 + hl + bl));
    rmq_buf_append_be32(&b, type << 24 | (uint32_t)hl);
    rmq_buf_append(&b, header, hl);
    if (bl)
        rmq_buf_append(&b, body, bl);
    return b;
}

static void expect_closed_after(int port, const void *bytes, size_t n)
{
    int fd = it_raw_connect(port);
    assert_true(fd >= 0);
    (void)it_raw_send(fd, bytes, n);
    bool closed = it_raw_wait_closed(fd, 3000);
    close(fd);
    assert_true(closed);
}

static void test_garbage_frames(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicRaw", 1);
    send_text(f, "TopicRaw", 0, NULL, "survives");
    wait_dispatched(f, "TopicRaw", 0, 1);
    /* A raw request the way ali-ons writes it: numbers as JSON numbers. */
    int fd = it_raw_connect(f->br.port);
    assert_true(fd >= 0);
    rmq_buf_t ok = raw_frame(0,
                             "{\"code\":30,\"extFields\":{\"topic\":\"TopicRaw\",\"queueId\":0},"
                             "\"flag\":0,\"language\":\"JAVA\",\"opaque\":42,\"version\":121}",
                             NULL);
    assert_int_equal(it_raw_send(fd, ok.data, ok.len), 0);
    rmq_buf_t in = RMQ_BUF_INIT;
    rmq_cmd_t *resp = it_raw_read_cmd(fd, &in, 3000);
    assert_non_null(resp);
    assert_int_equal(resp->opaque, 42);
    assert_true(rmq_cmd_is_response(resp));
    assert_int_equal(resp->code, 0);
    assert_string_equal(rmq_ext_get(&resp->ext, "offset"), "1");
    rmq_cmd_free(resp);
    rmq_buf_free(&in);
    rmq_buf_free(&ok);

    /* Garbage closes that connection only. */
    static const uint8_t negative[] = {0xFF, 0xFF, 0xFF, 0xF0, 0, 0, 0, 0};
    expect_closed_after(f->br.port, negative, sizeof(negative));
    rmq_buf_t bad_type = raw_frame(7, "{\"code\":30}", NULL);
    expect_closed_after(f->br.port, bad_type.data, bad_type.len);
    rmq_buf_free(&bad_type);
    rmq_buf_t bad_json = raw_frame(0, "{{{{ not json at all", NULL);
    expect_closed_after(f->br.port, bad_json.data, bad_json.len);
    rmq_buf_free(&bad_json);
    static const uint8_t bad_hlen[] = {0, 0, 0, 8, 0, 0, 0x10, 0, '{', '}', 0, 0};
    expect_closed_after(f->br.port, bad_hlen, sizeof(bad_hlen));

    /* The raw connection that behaved and the remoting client still work. */
    rmq_buf_t again = raw_frame(0,
                                "{\"code\":31,\"extFields\":{\"topic\":\"TopicRaw\",\"queueId\":"
                                "\"0\"},\"flag\":0,\"language\":\"JAVA\",\"opaque\":43,"
                                "\"version\":121}",
                                NULL);
    assert_int_equal(it_raw_send(fd, again.data, again.len), 0);
    resp = it_raw_read_cmd(fd, &in, 3000);
    assert_non_null(resp);
    assert_int_equal(resp->opaque, 43);
    assert_int_equal(resp->code, 0);
    rmq_cmd_free(resp);
    rmq_buf_free(&in);
    rmq_buf_free(&again);
    close(fd);
    assert_int_equal(max_offset(f, "TopicRaw", 0), 1);
    assert_true(it_broker_alive(&f->br));
}

/* GET_BROKER_RUNTIME_INFO: the store's real counters and offsets. */
static void test_runtime_info(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "TopicStats", 1);
    for (int i = 0; i < 3; i++)
        send_text(f, "TopicStats", 0, NULL, "stats");
    rmq_cmd_t *resp = call_code(f, it_request(RMQ_REQ_GET_BROKER_RUNTIME_INFO, NULL, NULL), 0);
    rmq_map_t *kv;
    char err[160];
    assert_int_equal(rmq_kv_table_decode(resp->body, resp->body_len, &kv, err, sizeof(err)), 0);
    int64_t v;
    assert_int_equal(rmq_parse_i64(rmq_smap_get(kv, "msgPutTotalTodayNow"), &v), 0);
    assert_true(v >= 3);
    assert_int_equal(rmq_parse_i64(rmq_smap_get(kv, "putMessageTimesTotal"), &v), 0);
    assert_true(v >= 3);
    assert_int_equal(rmq_parse_i64(rmq_smap_get(kv, "commitLogMaxOffset"), &v), 0);
    assert_true(v > 0);
    assert_string_equal(rmq_smap_get(kv, "brokerVersion"), "409");
    /* StoreStatsService's figures: three TPS windows, the latency buckets */
    const char *tps = rmq_smap_get(kv, "putTps");
    assert_non_null(tps);
    const char *sp = strchr(tps, ' ');
    assert_non_null(sp);
    assert_non_null(strchr(sp + 1, ' '));
    const char *dist = rmq_smap_get(kv, "putMessageDistributeTime");
    assert_non_null(dist);
    assert_int_equal(strncmp(dist, "[<=0ms]:", 8), 0);
    assert_non_null(strstr(dist, "[10s~]:"));
    assert_non_null(rmq_smap_get(kv, "putLatency99"));
    assert_true(strtod(rmq_smap_get(kv, "putLatency99"), NULL) >= 0);
    rmq_map_free(kv, free);
    rmq_cmd_free(resp);
}

static void test_unknown_request_code(void **state)
{
    fixture_t *f = *state;
    rmq_cmd_t *resp = call_code(f, it_request(9999, NULL, NULL),
                                ROCKETMQ_ERR_REQUEST_CODE_NOT_SUPPORTED);
    assert_non_null(resp->remark);
    rmq_cmd_free(resp);
    /* A name-server request sent to the broker is not its business either. */
    call_expect(f, it_request(RMQ_REQ_GET_BROKER_CLUSTER_INFO, NULL, NULL),
                ROCKETMQ_ERR_REQUEST_CODE_NOT_SUPPORTED);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_default, teardown)
#define T_LIMITS(fn) cmocka_unit_test_setup_teardown(fn, setup_limits, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_registers_with_namesrv),
        T(test_create_topic_route),
        T(test_send_v2_and_v1_then_pull),
        T(test_tag_filter),
        T(test_pull_statuses),
        T(test_long_polling_wakes_on_send),
        T(test_long_polling_times_out),
        T(test_consumer_offsets),
        T(test_offset_lookups),
        T(test_heartbeat_consumer_list),
        T(test_batch_as_v2),
        T(test_rocketmq_serialization),
        T(test_auto_create_from_tbw102),
        T(test_delay_level_2),
        T(test_restart_keeps_state),
        T_LIMITS(test_bad_send_input),
        T(test_garbage_frames),
        T(test_unknown_request_code),
        T(test_runtime_info),
    };
    /* Apache RocketMQ's own benchmark producer sends the binary ROCKETMQ
     * header: every request of these tests again in that serialization (the
     * slow timer-bound ones excepted). */
    const struct CMUnitTest binary[] = {
        T(test_registers_with_namesrv),
        T(test_create_topic_route),
        T(test_send_v2_and_v1_then_pull),
        T(test_tag_filter),
        T(test_pull_statuses),
        T(test_long_polling_wakes_on_send),
        T(test_consumer_offsets),
        T(test_offset_lookups),
        T(test_heartbeat_consumer_list),
        T(test_batch_as_v2),
        T(test_auto_create_from_tbw102),
        T_LIMITS(test_bad_send_input),
        T(test_unknown_request_code),
    };
    int failed = cmocka_run_group_tests_name("json", tests, NULL, NULL);
    it_force_serialize = RMQ_SERIALIZE_ROCKETMQ;
    failed += cmocka_run_group_tests_name("rocketmq_binary", binary, NULL, NULL);
    return failed;
}
