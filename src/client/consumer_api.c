/* Broker calls the consumers share (MQClientAPIImpl / MQAdminImpl:
 * getMaxOffset, getMinOffset, searchOffset, getConsumerIdListByGroup,
 * lockBatchMQ, unlockBatchMQ; protocol.md 4.6, 4.10, 4.11). */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "client/allocate.h"
#include "client/consumer_int.h"
#include "protocol/codes.h"
#include "protocol/heartbeat.h"
#include "protocol/pull_headers.h"

/* The master of mq's broker, refreshing the route once if unknown. */
static int queue_addr(rmq_instance_t *inst, const rocketmq_message_queue_t *mq, char *out, size_t n)
{
    if (rmq_instance_subscribe_addr(inst, mq->broker_name, 0, out, n, NULL))
        return 0;
    rmq_instance_update_route(inst, mq->topic, NULL, 0);
    if (rmq_instance_subscribe_addr(inst, mq->broker_name, 0, out, n, NULL))
        return 0;
    return ROCKETMQ_ERR__NOT_FOUND;
}

/* A request whose answer is {offset}: GET_MAX/MIN_OFFSET, SEARCH_OFFSET. */
static int offset_call(rmq_instance_t *inst, const rocketmq_message_queue_t *mq, rmq_cmd_t *req,
                       const rmq_header_desc_t *resp_desc, int64_t *out)
{
    char addr[160];
    int err = queue_addr(inst, mq, addr, sizeof(addr));
    if (err != 0) {
        rmq_cmd_free(req);
        return err;
    }
    rmq_cmd_t *resp = NULL;
    err = rmq_rclient_invoke_sync(rmq_instance_rclient(inst), addr, req,
                                  rmq_instance_api_timeout(inst), &resp);
    if (err == 0 && resp->code != 0)
        err = resp->code;
    if (err == 0) {
        rmq_offset_resp_t r;
        char why[128];
        err = rmq_header_decode(resp_desc, &resp->ext, &r, why, sizeof(why));
        if (err == 0)
            *out = r.offset;
    }
    rmq_cmd_free(resp);
    return err;
}

int rmq_consumer_max_offset(rmq_instance_t *inst, const rocketmq_message_queue_t *mq, int64_t *out)
{
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_MAX_OFFSET);
    rmq_queue_req_t h = {mq->topic, mq->queue_id};
    rmq_header_encode(&rmq_get_max_offset_req_desc, &h, &req->ext);
    return offset_call(inst, mq, req, &rmq_get_max_offset_resp_desc, out);
}

int rmq_consumer_min_offset(rmq_instance_t *inst, const rocketmq_message_queue_t *mq, int64_t *out)
{
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_MIN_OFFSET);
    rmq_queue_req_t h = {mq->topic, mq->queue_id};
    rmq_header_encode(&rmq_get_min_offset_req_desc, &h, &req->ext);
    return offset_call(inst, mq, req, &rmq_get_min_offset_resp_desc, out);
}

int rmq_consumer_search_offset(rmq_instance_t *inst, const rocketmq_message_queue_t *mq,
                               int64_t timestamp, int64_t *out)
{
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP);
    rmq_search_offset_req_t h = {mq->topic, mq->queue_id, timestamp};
    rmq_header_encode(&rmq_search_offset_req_desc, &h, &req->ext);
    return offset_call(inst, mq, req, &rmq_search_offset_resp_desc, out);
}

int rmq_consumer_id_list(rmq_instance_t *inst, const char *topic, const char *group, char ***ids,
                         size_t *n)
{
    *ids = NULL;
    *n = 0;
    char addr[160];
    if (!rmq_instance_any_broker_of_topic(inst, topic, addr, sizeof(addr))) {
        rmq_instance_update_route(inst, topic, NULL, 0);
        if (!rmq_instance_any_broker_of_topic(inst, topic, addr, sizeof(addr)))
            return ROCKETMQ_ERR__NOT_FOUND;
    }
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP);
    rmq_consumer_group_req_t h = {group};
    rmq_header_encode(&rmq_get_consumer_list_req_desc, &h, &req->ext);
    rmq_cmd_t *resp = NULL;
    int err = rmq_rclient_invoke_sync(rmq_instance_rclient(inst), addr, req,
                                      rmq_instance_api_timeout(inst), &resp);
    if (err == 0 && resp->code != 0)
        err = resp->code;
    if (err == 0) {
        char why[128];
        err = rmq_consumer_id_list_decode(resp->body, resp->body_len, ids, n, why, sizeof(why));
    }
    rmq_cmd_free(resp);
    if (err == 0)
        rmq_cid_sort(*ids, *n);
    return err;
}

static rmq_message_queue_t *to_wire(const rocketmq_message_queue_t *mqs, size_t n)
{
    rmq_message_queue_t *w = rmq_calloc(n ? n : 1, sizeof(*w));
    for (size_t i = 0; i < n; i++)
        w[i] = (rmq_message_queue_t){(char *)mqs[i].topic, (char *)mqs[i].broker_name,
                                     mqs[i].queue_id};
    return w;
}

static void lock_body(const char *group, const char *client_id, const rocketmq_message_queue_t *mqs,
                      size_t n, rmq_buf_t *body)
{
    rmq_message_queue_t *w = to_wire(mqs, n);
    rmq_lock_batch_req_t r = {(char *)group, (char *)client_id, w, n};
    rmq_lock_batch_req_encode(&r, body);
    free(w);
}

int rmq_consumer_lock_batch(rmq_instance_t *inst, const char *group, const char *broker,
                            const rocketmq_message_queue_t *mqs, size_t n,
                            rocketmq_message_queue_t **locked, size_t *nlocked)
{
    *locked = NULL;
    *nlocked = 0;
    char addr[160];
    if (!rmq_instance_subscribe_addr(inst, broker, 0, addr, sizeof(addr), NULL))
        return ROCKETMQ_ERR__NOT_FOUND;
    rmq_buf_t body = RMQ_BUF_INIT;
    lock_body(group, rmq_instance_client_id(inst), mqs, n, &body);
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_LOCK_BATCH_MQ);
    rmq_cmd_take_body(req, &body);
    rmq_cmd_t *resp = NULL;
    int err = rmq_rclient_invoke_sync(rmq_instance_rclient(inst), addr, req, 1000, &resp);
    if (err == 0 && resp->code != 0)
        err = resp->code;
    rmq_message_queue_t *got = NULL;
    size_t ngot = 0;
    if (err == 0) {
        char why[128];
        err = rmq_lock_batch_resp_decode(resp->body, resp->body_len, &got, &ngot, why, sizeof(why));
    }
    rmq_cmd_free(resp);
    if (err != 0)
        return err;
    *locked = rmq_calloc(ngot ? ngot : 1, sizeof(**locked));
    for (size_t i = 0; i < ngot; i++) {
        if (strlen(got[i].topic) > ROCKETMQ_TOPIC_MAX ||
            strlen(got[i].broker_name) > ROCKETMQ_BROKER_NAME_MAX)
            continue;
        rocketmq_message_queue_t *m = &(*locked)[(*nlocked)++];
        snprintf(m->topic, sizeof(m->topic), "%s", got[i].topic);
        snprintf(m->broker_name, sizeof(m->broker_name), "%s", got[i].broker_name);
        m->queue_id = got[i].queue_id;
    }
    rmq_message_queues_free(got, ngot);
    return 0;
}

void rmq_consumer_unlock_batch(rmq_instance_t *inst, const char *group, const char *broker,
                               const rocketmq_message_queue_t *mqs, size_t n, bool oneway)
{
    char addr[160];
    if (n == 0 || !rmq_instance_subscribe_addr(inst, broker, 0, addr, sizeof(addr), NULL))
        return;
    rmq_buf_t body = RMQ_BUF_INIT;
    lock_body(group, rmq_instance_client_id(inst), mqs, n, &body);
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_UNLOCK_BATCH_MQ);
    rmq_cmd_take_body(req, &body);
    if (oneway) {
        rmq_rclient_invoke_oneway(rmq_instance_rclient(inst), addr, req);
        return;
    }
    rmq_cmd_t *resp = NULL;
    rmq_rclient_invoke_sync(rmq_instance_rclient(inst), addr, req, 1000, &resp);
    rmq_cmd_free(resp);
}
