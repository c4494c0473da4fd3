/* The push consumer's pulls (PullMessageService, DefaultMQPushConsumerImpl
 * pullMessage, PullAPIWrapper; protocol.md 4.2, 9.7).  Each assigned queue
 * has one pull request cycling: the instance's delay queue starts the pull
 * (after the flow-control checks), the I/O thread hands the answer to a
 * callback thread, which decodes it, filters by tag, stores the messages in
 * the process queue, hands them to the consume service and queues the next
 * pull.  A request ends when its queue is dropped or the consumer stops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "client/consumer_int.h"
#include "client/msg_decode.h"
#include "client/msg_int.h"
#include "protocol/codes.h"
#include "protocol/pull_headers.h"

typedef struct pull_reply {
    rmq_pull_request_t *pr;
    rmq_executor_t *ex; /* the instance's: it outlives every pending request */
    int err;
    rmq_cmd_t *resp;
    char addr[160];
} pull_reply_t;

void rmq_pull_request_free(rmq_pull_request_t *pr)
{
    rmq_pq_unref(pr->pq);
    rmq_consumer_unref(pr->c);
    free(pr);
}

static void pull_now(void *arg, bool cancelled);

/* Called while the consumer is entered (its instance is alive). */
void rmq_pull_later(rmq_pull_request_t *pr, int64_t delay_ms)
{
    rmq_delayq_add(rmq_instance_delayq(pr->c->inst), delay_ms, pull_now, pr);
}

/* ---- the answer ---- */

/* PullAPIWrapper.processPullResult: keeps the messages whose tag the
 * subscription names (the broker filtered by hash code only), and copies
 * the queue's offsets onto each one. */
static size_t filter_tags(const rmq_subscription_data_t *sub, rocketmq_message_t **msgs, size_t n,
                          const rmq_pull_resp_t *h)
{
    char minv[24], maxv[24];
    snprintf(minv, sizeof(minv), "%lld", (long long)h->minOffset);
    snprintf(maxv, sizeof(maxv), "%lld", (long long)h->maxOffset);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool keep = sub->ntags == 0;
        const char *tags = rocketmq_message_get_tags(msgs[i]);
        for (size_t t = 0; !keep && tags && t < sub->ntags; t++)
            keep = strcmp(sub->tags[t], tags) == 0;
        if (!keep) {
            rocketmq_message_destroy(msgs[i]);
            continue;
        }
        rocketmq_message_set_property(msgs[i], "MIN_OFFSET", minv);
        rocketmq_message_set_property(msgs[i], "MAX_OFFSET", maxv);
        msgs[k++] = msgs[i];
    }
    return k;
}

static void found(rmq_pull_request_t *pr, const rmq_cmd_t *resp, const rmq_pull_resp_t *h)
{
    rocketmq_push_consumer_t *c = pr->c;
    rocketmq_message_t **msgs = NULL;
    size_t n = 0;
    pr->next_offset = h->nextBeginOffset;
    if (rmq_msgs_decode(resp->body, resp->body_len, pr->mq.broker_name, 64u << 20, &msgs, &n) != 0) {
        RMQ_LOGW("client", "%s: undecodable pull answer from %s/%d", c->group, pr->mq.broker_name,
                 pr->mq.queue_id);
        rmq_pull_later(pr, RMQ_PULL_DELAY_EXCEPTION_MS);
        return;
    }
    rmq_subscription_data_t sub;
    memset(&sub, 0, sizeof(sub));
    if (rmq_consumer_sub(c, pr->mq.topic, &sub))
        n = filter_tags(&sub, msgs, n, h);
    rmq_subscription_data_free(&sub);
    if (n > 0) {
        bool dispatch = rmq_pq_put(pr->pq, msgs, n);
        /* messages the queue already had were freed and left NULL */
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (msgs[i])
                msgs[k++] = msgs[i];
        rmq_consume_submit(c, &pr->mq, pr->pq, msgs, k, dispatch);
    }
    free(msgs);
    rmq_pull_later(pr, n > 0 ? c->pull_interval_ms : 0);
}

static void offset_moved_later(void *arg, bool cancelled)
{
    rmq_pull_request_t *pr = arg;
    rocketmq_push_consumer_t *c = pr->c;
    if (!cancelled && rmq_consumer_enter(c)) {
        /* the broker's next offset becomes the committed one; the queue
         * goes, and the next rebalance takes it again from there */
        rmq_offset_store_update(c->offsets, &pr->mq, pr->next_offset, false);
        rmq_offset_store_persist(c->offsets, &pr->mq);
        char key[320];
        rmq_mq_key(&pr->mq, key, sizeof(key));
        pthread_mutex_lock(&c->lock);
        rmq_owned_t *o = rmq_smap_get(c->table, key);
        if (o && o->pq == pr->pq) {
            rmq_smap_del(c->table, key);
            rmq_pq_unref(o->pq);
            free(o);
        }
        pthread_mutex_unlock(&c->lock);
        rmq_consumer_leave(c);
    }
    rmq_pull_request_free(pr);
}

/* Callback thread: what the broker answered. */
static void on_reply(void *arg)
{
    pull_reply_t *r = arg;
    rmq_pull_request_t *pr = r->pr;
    rocketmq_push_consumer_t *c = pr->c;
    if (rmq_pq_dropped(pr->pq) || !rmq_consumer_enter(c)) {
        rmq_cmd_free(r->resp);
        free(r);
        rmq_pull_request_free(pr);
        return;
    }
    rmq_pull_resp_t h;
    char why[128];
    int code = r->err ? r->err : r->resp->code;
    bool hdr_ok = !r->err && rmq_header_decode(&rmq_pull_resp_desc, &r->resp->ext, &h, why,
                                               sizeof(why)) == 0;
    if (hdr_ok)
        pr->suggest_broker_id = h.suggestWhichBrokerId;
    if (code == 0 && hdr_ok) {
        found(pr, r->resp, &h);
    } else if ((code == ROCKETMQ_ERR_PULL_NOT_FOUND || code == ROCKETMQ_ERR_PULL_RETRY_IMMEDIATELY) &&
               hdr_ok) {
        pr->next_offset = h.nextBeginOffset;
        if (rmq_pq_count(pr->pq) == 0) /* correctTagsOffset */
            rmq_offset_store_update(c->offsets, &pr->mq, pr->next_offset, true);
        rmq_pull_later(pr, 0);
    } else if (code == ROCKETMQ_ERR_PULL_OFFSET_MOVED && hdr_ok) {
        RMQ_LOGW("client", "%s: offset of %s/%s/%d moved to %lld", c->group, pr->mq.topic,
                 pr->mq.broker_name, pr->mq.queue_id, (long long)h.nextBeginOffset);
        pr->next_offset = h.nextBeginOffset;
        rmq_pq_set_dropped(pr->pq, true);
        rmq_delayq_add(rmq_instance_delayq(c->inst), RMQ_OFFSET_MOVED_DROP_MS, offset_moved_later, pr);
    } else {
        RMQ_LOGD("client", "%s: pull from %s failed: %s", c->group, r->addr, rocketmq_err_str(code));
        rmq_pull_later(pr, code == ROCKETMQ_ERR_FLOW_CONTROL ? RMQ_PULL_DELAY_BROKER_FLOW_MS
                                                              : RMQ_PULL_DELAY_EXCEPTION_MS);
    }
    rmq_consumer_leave(c);
    rmq_cmd_free(r->resp);
    free(r);
}

/* I/O thread. */
static void on_response(int err, rmq_cmd_t *resp, void *arg)
{
    pull_reply_t *r = arg;
    r->err = err;
    r->resp = resp;
    if (rmq_executor_submit(r->ex, on_reply, r) != 0) {
        rmq_cmd_free(resp);
        rmq_pull_request_free(r->pr);
        free(r);
    }
}

/* ---- the request ---- */

/* 0 when a pull may go now, else how long to wait. */
static int64_t not_yet(rmq_pull_request_t *pr)
{
    rocketmq_push_consumer_t *c = pr->c;
    rmq_flow_limits_t lim = c->limits;
    if (c->orderly_listener)
        lim.max_span = -1; /* orderly queues are not span-limited */
    int delay = rmq_pq_flow_delay(pr->pq, &lim);
    if (delay > 0)
        return delay;
    if (c->orderly_listener && c->model == ROCKETMQ_CLUSTERING) {
        if (!rmq_pq_locked(pr->pq))
            return RMQ_PULL_DELAY_NOT_LOCKED_MS;
        if (!pr->locked_first) {
            /* the first pull after locking starts where the group is now */
            int64_t off = rmq_offset_store_read(c->offsets, &pr->mq, RMQ_READ_FROM_STORE);
            if (off >= 0)
                pr->next_offset = off;
            pr->locked_first = true;
        }
    }
    return 0;
}

static rmq_cmd_t *pull_request_cmd(rmq_pull_request_t *pr, const rmq_subscription_data_t *sub,
                                   bool slave)
{
    rocketmq_push_consumer_t *c = pr->c;
    int64_t commit = c->model == ROCKETMQ_CLUSTERING
                         ? rmq_offset_store_read(c->offsets, &pr->mq, RMQ_READ_FROM_MEMORY)
                         : 0;
    int32_t flag = RMQ_PULL_FLAG_SUSPEND | RMQ_PULL_FLAG_SUBSCRIPTION;
    if (commit > 0 && !slave) /* slaves do not take offsets */
        flag |= RMQ_PULL_FLAG_COMMIT_OFFSET;
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_PULL_MESSAGE);
    rmq_pull_req_t h = {
        .consumerGroup = c->group,
        .topic = pr->mq.topic,
        .queueId = pr->mq.queue_id,
        .queueOffset = pr->next_offset,
        .maxMsgNums = c->pull_batch,
        .sysFlag = flag,
        .commitOffset = commit > 0 ? commit : 0,
        .suspendTimeoutMillis = RMQ_PULL_SUSPEND_MS,
        .subscription = sub->sub_string,
        .subVersion = sub->sub_version,
        .expressionType = sub->expression_type ? sub->expression_type : "TAG",
    };
    rmq_header_encode(&rmq_pull_req_desc, &h, &req->ext);
    return req;
}

/* Delay-queue thread: one pull, if the queue is still ours and may take
 * more messages. */
static void pull_now(void *arg, bool cancelled)
{
    rmq_pull_request_t *pr = arg;
    rocketmq_push_consumer_t *c = pr->c;
    if (cancelled || rmq_pq_dropped(pr->pq) || !rmq_consumer_enter(c)) {
        rmq_pull_request_free(pr);
        return;
    }
    rmq_pq_touch_pull(pr->pq, rmq_mono_ms());
    int64_t wait = not_yet(pr);
    rmq_subscription_data_t sub;
    memset(&sub, 0, sizeof(sub));
    pull_reply_t *r = NULL;
    if (wait == 0 && !rmq_consumer_sub(c, pr->mq.topic, &sub))
        wait = RMQ_PULL_DELAY_EXCEPTION_MS; /* unsubscribed: the rebalance drops it */
    bool slave = false;
    if (wait == 0) {
        r = rmq_calloc(1, sizeof(*r));
        if (!rmq_instance_subscribe_addr(c->inst, pr->mq.broker_name, pr->suggest_broker_id,
                                         r->addr, sizeof(r->addr), &slave)) {
            rmq_instance_update_route(c->inst, pr->mq.topic, NULL, 0);
            if (!rmq_instance_subscribe_addr(c->inst, pr->mq.broker_name, pr->suggest_broker_id,
                                             r->addr, sizeof(r->addr), &slave))
                wait = RMQ_PULL_DELAY_EXCEPTION_MS;
        }
    }
    if (wait > 0) {
        free(r);
        rmq_subscription_data_free(&sub);
        rmq_pull_later(pr, wait); /* while entered: the instance is still there */
        rmq_consumer_leave(c);
        return;
    }
    r->pr = pr;
    r->ex = rmq_instance_executor(c->inst);
    rmq_cmd_t *req = pull_request_cmd(pr, &sub, slave);
    rmq_subscription_data_free(&sub);
    rmq_rclient_invoke_async(rmq_instance_rclient(c->inst), r->addr, req, RMQ_PULL_TIMEOUT_MS,
                             on_response, r);
    rmq_consumer_leave(c);
}
