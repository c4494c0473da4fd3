/* Consumer offsets and queue offset / time lookups: QUERY_CONSUMER_OFFSET (14),
 * UPDATE_CONSUMER_OFFSET (15) of ConsumerManageProcessor, and
 * SEARCH_OFFSET_BY_TIMESTAMP (29), GET_MAX_OFFSET (30), GET_MIN_OFFSET (31),
 * GET_EARLIEST_MSG_STORETIME (32) of AdminBrokerProcessor (reference
 * broker.md 10.5 and 15.3; protocol.md 4.3 and 4.11). */
#include <unistd.h>

#include "base/buf.h"
#include "broker/broker_int.h"
#include "protocol/codes.h"
#include "protocol/pull_headers.h"
#include "rocketmq/error.h"

static void reply_value(rmq_conn_t *conn, const rmq_cmd_t *req, const rmq_header_desc_t *d,
                        int64_t value)
{
    rmq_cmd_t *resp = rmq_cmd_new_response(req, ROCKETMQ_ERR_SUCCESS, NULL);
    /* Both response structs are one int64_t. */
    rmq_header_encode(d, &value, &resp->ext);
    rmq_conn_reply(conn, req, resp);
}

/* Bytes of commit log behind its end still counted as cached: the store's
 * rule (TOTAL_PHYSICAL_MEMORY * accessMessageInMemoryMaxRatio / 100). */
static int64_t in_memory_span(const rmq_broker_t *b)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    int64_t total = pages > 0 && psize > 0 ? (int64_t)pages * psize : INT64_C(24) << 30;
    return total / 100 * b->cfg.store.accessMessageInMemoryMaxRatio;
}

/* !checkInDiskByConsumeOffset(topic, queueId, 0): true when the queue has no
 * entry 0 to look at, or entry 0's message is recent enough to be in memory. */
static bool first_msg_in_memory(rmq_broker_t *b, const char *topic, int32_t queue_id)
{
    rmq_get_result_t r;
    rmq_store_get_messages(b->store, topic, queue_id, 0, 1, NULL, NULL, &r);
    bool in_memory;
    if (r.count > 0 && rmq_be64(r.msgs[0].p + RMQ_REC_OFF_QUEUEOFFSET) == 0) {
        int64_t phys = (int64_t)rmq_be64(r.msgs[0].p + RMQ_REC_OFF_PHYSICALOFFSET);
        in_memory = rmq_store_commitlog_max_offset(b->store) - phys <= in_memory_span(b);
    } else {
        /* Entry 0 exists but its message is gone (an expired commit-log file):
         * old data, on disk as far as Java's check goes. */
        in_memory = r.status != RMQ_GET_FOUND && r.status != RMQ_GET_MESSAGE_WAS_REMOVING;
    }
    rmq_get_result_release(&r);
    return in_memory;
}

static void query_consumer_offset(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_query_consumer_offset_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_query_consumer_offset_req_desc, &h))
        return;
    int64_t offset = rmq_offset_mgr_query(b->offsets, h.consumerGroup, h.topic, h.queueId);
    if (offset >= 0) {
        reply_value(conn, req, &rmq_query_consumer_offset_resp_desc, offset);
        return;
    }
    /* A new group on a queue that never lost messages starts at 0. */
    if (rmq_store_min_offset(b->store, h.topic, h.queueId) <= 0 &&
        first_msg_in_memory(b, h.topic, h.queueId)) {
        reply_value(conn, req, &rmq_query_consumer_offset_resp_desc, 0);
        return;
    }
    rmq_broker_reply(conn, req, ROCKETMQ_ERR_QUERY_NOT_FOUND,
                     "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first");
}

/* Stored unconditionally, as Java does (a reset goes backwards on purpose). */
static void update_consumer_offset(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_update_consumer_offset_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_update_consumer_offset_req_desc, &h))
        return;
    rmq_offset_mgr_commit(b->offsets, h.consumerGroup, h.topic, h.queueId, h.commitOffset);
    rmq_broker_reply(conn, req, ROCKETMQ_ERR_SUCCESS, NULL);
}

static void max_offset(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_queue_req_t h;
    if (rmq_broker_decode(conn, req, &rmq_get_max_offset_req_desc, &h))
        reply_value(conn, req, &rmq_get_max_offset_resp_desc,
                    rmq_store_max_offset(b->store, h.topic, h.queueId));
}

static void min_offset(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_queue_req_t h;
    if (rmq_broker_decode(conn, req, &rmq_get_min_offset_req_desc, &h))
        reply_value(conn, req, &rmq_get_min_offset_resp_desc,
                    rmq_store_min_offset(b->store, h.topic, h.queueId));
}

/* getEarliestMessageTime: the store time at the min offset, -1 if unreadable. */
static void earliest_msg_storetime(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_queue_req_t h;
    if (!rmq_broker_decode(conn, req, &rmq_get_earliest_msg_storetime_req_desc, &h))
        return;
    int64_t min = rmq_store_min_offset(b->store, h.topic, h.queueId);
    reply_value(conn, req, &rmq_get_earliest_msg_storetime_resp_desc,
                rmq_store_msg_store_time(b->store, h.topic, h.queueId, min));
}

static void search_offset(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req)
{
    rmq_search_offset_req_t h;
    if (rmq_broker_decode(conn, req, &rmq_search_offset_req_desc, &h))
        reply_value(conn, req, &rmq_search_offset_resp_desc,
                    rmq_store_offset_by_time(b->store, h.topic, h.queueId, h.timestamp));
}

void rmq_broker_offsets(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req)
{
    switch (req->code) {
    case RMQ_REQ_QUERY_CONSUMER_OFFSET:
        query_consumer_offset(b, conn, req);
        break;
    case RMQ_REQ_UPDATE_CONSUMER_OFFSET:
        update_consumer_offset(b, conn, req);
        break;
    case RMQ_REQ_GET_MAX_OFFSET:
        max_offset(b, conn, req);
        break;
    case RMQ_REQ_GET_MIN_OFFSET:
        min_offset(b, conn, req);
        break;
    case RMQ_REQ_GET_EARLIEST_MSG_STORETIME:
        earliest_msg_storetime(b, conn, req);
        break;
    case RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP:
        search_offset(b, conn, req);
        break;
    default:
        rmq_conn_reply_not_supported(conn, req);
        break;
    }
    rmq_cmd_free(req);
}
