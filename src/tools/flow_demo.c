/* rmq-flow-demo: what `make run` shows once the name server and broker are
 * up: creates TopicTest, sends ten messages through SEND_MESSAGE_V2 and pulls
 * them back, printing each.  It speaks the remoting protocol directly; the
 * client library and the rmq tool replace it in later steps.
 *
 *   rmq-flow-demo NAMESRV_ADDR BROKER_ADDR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/time.h"
#include "protocol/codes.h"
#include "protocol/pull_headers.h"
#include "protocol/send_headers.h"
#include "remoting/client.h"
#include "rocketmq/error.h"
#include "protocol/record.h"

#define TOPIC "TopicTest"
#define TIMEOUT_MS 3000

static rmq_cmd_t *call(rmq_rclient_t *rc, const char *addr, rmq_cmd_t *req)
{
    rmq_cmd_t *resp = NULL;
    int err = rmq_rclient_invoke_sync(rc, addr, req, TIMEOUT_MS, &resp);
    if (err != 0) {
        fprintf(stderr, "rmq-flow-demo: %s: %s\n", addr, rocketmq_err_str(err));
        return NULL;
    }
    return resp;
}

static int create_topic(rmq_rclient_t *rc, const char *broker)
{
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_UPDATE_AND_CREATE_TOPIC);
    rmq_ext_set(&req->ext, "topic", TOPIC);
    rmq_ext_set(&req->ext, "defaultTopic", "TBW102");
    rmq_ext_set(&req->ext, "readQueueNums", "4");
    rmq_ext_set(&req->ext, "writeQueueNums", "4");
    rmq_ext_set(&req->ext, "perm", "6");
    rmq_ext_set(&req->ext, "topicFilterType", "SINGLE_TAG");
    rmq_ext_set(&req->ext, "order", "false");
    rmq_cmd_t *resp = call(rc, broker, req);
    int code = resp ? resp->code : -1;
    rmq_cmd_free(resp);
    return code;
}

/* The broker re-registers after a topic change; wait until the name server
 * knows the route (bounded). */
static bool wait_route(rmq_rclient_t *rc, const char *namesrv)
{
    for (int i = 0; i < 50; i++) {
        rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC);
        rmq_ext_set(&req->ext, "topic", TOPIC);
        rmq_cmd_t *resp = call(rc, namesrv, req);
        int code = resp ? resp->code : -1;
        rmq_cmd_free(resp);
        if (code == 0)
            return true;
        usleep(100 * 1000);
    }
    return false;
}

static int send_one(rmq_rclient_t *rc, const char *broker, int i)
{
    char body[64], props[128];
    snprintf(body, sizeof(body), "Hello RocketMQ %d", i);
    snprintf(props, sizeof(props), "TAGS\001TagA\002KEYS\001key-%d\002WAIT\001true", i);
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_SEND_MESSAGE_V2);
    rmq_send_req_t h = {
        .producerGroup = "please_rename_unique_group_name",
        .topic = TOPIC,
        .defaultTopic = "TBW102",
        .defaultTopicQueueNums = 4,
        .queueId = i % 4,
        .bornTimestamp = rmq_now_ms(),
        .properties = props,
    };
    rmq_header_encode(&rmq_send_req_v2_desc, &h, &req->ext);
    rmq_cmd_set_body(req, body, strlen(body));
    rmq_cmd_t *resp = call(rc, broker, req);
    if (!resp)
        return -1;
    printf("SendResult [sendStatus=%s, msgId=%s, queueId=%s, queueOffset=%s]\n",
           resp->code == 0 ? "SEND_OK" : rocketmq_err_name(resp->code),
           rmq_ext_get(&resp->ext, "msgId") ? rmq_ext_get(&resp->ext, "msgId") : "-",
           rmq_ext_get(&resp->ext, "queueId") ? rmq_ext_get(&resp->ext, "queueId") : "-",
           rmq_ext_get(&resp->ext, "queueOffset") ? rmq_ext_get(&resp->ext, "queueOffset") : "-");
    int code = resp->code;
    rmq_cmd_free(resp);
    return code;
}

static int64_t g_from[4]; /* each queue's end before this run's sends */

static int64_t max_offset(rmq_rclient_t *rc, const char *broker, int qid)
{
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_MAX_OFFSET);
    rmq_queue_req_t h = {TOPIC, qid};
    rmq_header_encode(&rmq_get_max_offset_req_desc, &h, &req->ext);
    rmq_cmd_t *resp = call(rc, broker, req);
    int64_t off = 0;
    if (resp && resp->code == 0)
        rmq_ext_get_i64(&resp->ext, "offset", &off);
    rmq_cmd_free(resp);
    return off;
}

static int pull(rmq_rclient_t *rc, const char *broker, int qid, bool print);

static int count_queue(rmq_rclient_t *rc, const char *broker, int qid)
{
    return pull(rc, broker, qid, false);
}

static int pull_queue(rmq_rclient_t *rc, const char *broker, int qid)
{
    return pull(rc, broker, qid, true);
}

static int pull(rmq_rclient_t *rc, const char *broker, int qid, bool print)
{
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_PULL_MESSAGE);
    rmq_pull_req_t h = {
        .consumerGroup = "please_rename_unique_group_name_4",
        .topic = TOPIC,
        .queueId = qid,
        .queueOffset = g_from[qid],
        .maxMsgNums = 32,
        .sysFlag = RMQ_PULL_FLAG_SUBSCRIPTION,
        .commitOffset = 0,
        .suspendTimeoutMillis = 0,
        .subscription = "*",
        .expressionType = "TAG",
    };
    rmq_header_encode(&rmq_pull_req_desc, &h, &req->ext);
    rmq_cmd_t *resp = call(rc, broker, req);
    if (!resp)
        return 0;
    int n = 0;
    for (size_t at = 0; resp->code == 0 && at < resp->body_len;) {
        rmq_record_t rec;
        if (rmq_record_parse(resp->body + at, resp->body_len - at, true, &rec) != RMQ_RECORD_OK)
            break;
        const char *tags;
        size_t tl;
        if (!rmq_props_find(rec.properties, (size_t)rec.properties_len, "TAGS", &tags, &tl))
            tags = "", tl = 0;
        if (print)
            printf("Receive message: queueId=%d, queueOffset=%lld, tags=%.*s, body=%.*s\n",
               rec.queue_id, (long long)rec.queue_offset, (int)tl, tags, rec.body_len,
               (const char *)rec.body);
        at += (size_t)rec.total_size;
        n++;
    }
    rmq_cmd_free(resp);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: rmq-flow-demo NAMESRV_ADDR BROKER_ADDR\n");
        return 2;
    }
    rmq_rclient_t *rc = rmq_rclient_new(NULL, NULL);
    int rc_code = 1;
    if (create_topic(rc, argv[2]) != 0 || !wait_route(rc, argv[1])) {
        fprintf(stderr, "rmq-flow-demo: topic %s not ready\n", TOPIC);
        goto out;
    }
    printf("Topic %s is routed by the name server at %s\n", TOPIC, argv[1]);
    for (int q = 0; q < 4; q++)
        g_from[q] = max_offset(rc, argv[2], q);
    for (int i = 0; i < 10; i++)
        if (send_one(rc, argv[2], i) != 0)
            goto out;
    /* The broker dispatches to its consume queues just behind the appends:
     * give it a moment before reading back (bounded). */
    int got = 0;
    for (int attempt = 0; attempt < 20 && got < 10; attempt++) {
        if (attempt)
            usleep(100 * 1000);
        got = 0;
        int counts[4];
        for (int q = 0; q < 4; q++)
            got += counts[q] = count_queue(rc, argv[2], q);
    }
    for (int q = 0; q < 4; q++)
        pull_queue(rc, argv[2], q);
    printf("%d messages sent, %d pulled back\n", 10, got);
    rc_code = got >= 10 ? 0 : 1;
out:
    rmq_rclient_destroy(rc);
    return rc_code;
}
