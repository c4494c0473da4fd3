/* The consume services of the push consumer (ConsumeMessageConcurrentlyService
 * and ConsumeMessageOrderlyService, 4.9.8; protocol.md 9.10): listener
 * calls on the consumer's consume threads, the results turned into offsets
 * (the lowest unconsumed message of the queue), failed messages sent back
 * to the broker (%RETRY%group, then %DLQ%group) or retried locally. */
#include <limits.h>
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
#include "protocol/send_headers.h"

/* How long an orderly task consumes before it lets other queues run
 * (MAX_TIME_CONSUME_CONTINUOUSLY), and local retry delays. */
#define ORDERLY_SLICE_MS 60000
#define LOCAL_RETRY_MS 5000

typedef struct consume_task {
    rocketmq_push_consumer_t *c; /* a reference */
    rocketmq_message_queue_t mq;
    rmq_process_queue_t *pq;     /* a reference */
    rocketmq_message_t **msgs;   /* concurrent: owned by pq */
    size_t n;
} consume_task_t;

static consume_task_t *task_new(rocketmq_push_consumer_t *c, const rocketmq_message_queue_t *mq,
                                rmq_process_queue_t *pq, rocketmq_message_t **msgs, size_t n)
{
    consume_task_t *t = rmq_calloc(1, sizeof(*t));
    rmq_consumer_ref(c);
    t->c = c;
    t->mq = *mq;
    rmq_pq_ref(pq);
    t->pq = pq;
    if (n) {
        t->msgs = rmq_malloc(n * sizeof(*msgs));
        memcpy(t->msgs, msgs, n * sizeof(*msgs));
    }
    t->n = n;
    return t;
}

static void task_free(consume_task_t *t)
{
    rmq_pq_unref(t->pq);
    rmq_consumer_unref(t->c);
    free(t->msgs);
    free(t);
}

static int max_reconsume(const rocketmq_push_consumer_t *c)
{
    if (c->max_reconsume_times >= 0)
        return c->max_reconsume_times;
    return c->orderly_listener ? INT_MAX : 16;
}

/* For messages of the retry topic the original topic comes back
 * (resetRetryAndNamespace); CONSUME_START_TIME is set for each. */
static void prepare(rocketmq_push_consumer_t *c, rocketmq_message_t **msgs, size_t n)
{
    char retry[ROCKETMQ_TOPIC_MAX + 32], now[24];
    snprintf(retry, sizeof(retry), "%s%s", RMQ_RETRY_GROUP_TOPIC_PREFIX, c->group);
    snprintf(now, sizeof(now), "%lld", (long long)rmq_now_ms());
    for (size_t i = 0; i < n; i++) {
        const char *topic = rocketmq_message_get_topic(msgs[i]);
        const char *orig = rocketmq_message_get_property(msgs[i], "RETRY_TOPIC");
        if (topic && orig && strcmp(topic, retry) == 0) {
            char *o = rmq_strdup(orig);
            rocketmq_message_set_topic(msgs[i], o);
            free(o);
        }
        rocketmq_message_set_property(msgs[i], "CONSUME_START_TIME", now);
    }
}

/* CONSUMER_SEND_MSG_BACK: the broker re-delivers msg through the retry
 * topic after delay_level (0: 3 + reconsume times), or parks it in the DLQ. */
static int send_back(rocketmq_push_consumer_t *c, rocketmq_message_t *msg, int delay_level)
{
    const rmq_msg_ext_t *ext = rmq_msg_ext(msg);
    char addr[160];
    if (!ext || !rmq_instance_subscribe_addr(c->inst, ext->broker_name, 0, addr, sizeof(addr), NULL))
        return ROCKETMQ_ERR__NOT_FOUND;
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_CONSUMER_SEND_MSG_BACK);
    rmq_send_back_req_t h = {
        .offset = ext->commit_log_offset,
        .group = c->group,
        .delayLevel = delay_level,
        .originMsgId = rocketmq_message_get_msg_id(msg),
        .originTopic = rocketmq_message_get_topic(msg),
        .unitMode = false,
        .maxReconsumeTimes = max_reconsume(c),
        .has_maxReconsumeTimes = true,
        .bname = ext->broker_name,
    };
    rmq_header_encode(&rmq_send_back_req_desc, &h, &req->ext);
    rmq_cmd_t *resp = NULL;
    int err = rmq_rclient_invoke_sync(rmq_instance_rclient(c->inst), addr, req, 5000, &resp);
    if (err == 0 && resp->code != 0)
        err = resp->code;
    rmq_cmd_free(resp);
    return err;
}

/* ---- concurrent ---- */

static void run_concurrent(void *arg);

static void retry_later_fn(void *arg, bool cancelled)
{
    consume_task_t *t = arg;
    if (cancelled || !rmq_consumer_enter(t->c)) {
        task_free(t);
        return;
    }
    if (rmq_executor_submit(t->c->consume_pool, run_concurrent, t) != 0)
        task_free(t);
    rmq_consumer_leave(t->c);
}

/* processConsumeResult: messages from ack_index + 1 on failed; clustering
 * sends them back, and those the broker did not take are consumed again
 * here later; the offset moves to the lowest message still unconsumed. */
static void process_result(consume_task_t *t, rocketmq_consume_status_t status,
                           const rocketmq_consume_context_t *ctx)
{
    rocketmq_push_consumer_t *c = t->c;
    int ack = status == ROCKETMQ_CONSUME_SUCCESS
                  ? (ctx->ack_index >= (int)t->n ? (int)t->n - 1 : ctx->ack_index)
                  : -1;
    rocketmq_message_t **again = rmq_calloc(t->n ? t->n : 1, sizeof(*again));
    size_t nagain = 0;
    int64_t *done = rmq_calloc(t->n ? t->n : 1, sizeof(*done));
    size_t ndone = 0;
    for (size_t i = 0; i < t->n; i++) {
        bool failed = (int)i > ack;
        if (failed && c->model == ROCKETMQ_CLUSTERING &&
            send_back(c, t->msgs[i], ctx->delay_level_when_next_consume) != 0) {
            rmq_msg_ext_mut(t->msgs[i])->reconsume_times++;
            again[nagain++] = t->msgs[i];
            continue;
        }
        if (failed && c->model == ROCKETMQ_BROADCASTING)
            RMQ_LOGW("client", "%s: BROADCASTING consumption failed, message %s dropped", c->group,
                     rocketmq_message_get_msg_id(t->msgs[i]));
        done[ndone++] = rocketmq_message_get_queue_offset(t->msgs[i]);
    }
    int64_t offset = rmq_pq_remove(t->pq, done, ndone);
    if (offset >= 0 && !rmq_pq_dropped(t->pq))
        rmq_offset_store_update(c->offsets, &t->mq, offset, true);
    free(done);
    if (nagain > 0) {
        consume_task_t *later = task_new(c, &t->mq, t->pq, again, nagain);
        rmq_delayq_add(rmq_instance_delayq(c->inst), LOCAL_RETRY_MS, retry_later_fn, later);
    }
    free(again);
}

static void run_concurrent(void *arg)
{
    consume_task_t *t = arg;
    rocketmq_push_consumer_t *c = t->c;
    if (rmq_pq_dropped(t->pq) || !rmq_consumer_enter(c)) {
        task_free(t);
        return;
    }
    prepare(c, t->msgs, t->n);
    rocketmq_consume_context_t ctx = {&t->mq, 0, INT_MAX};
    rocketmq_consume_status_t st = c->listener(t->msgs, t->n, &ctx, c->listener_arg);
    if (st != ROCKETMQ_CONSUME_SUCCESS && st != ROCKETMQ_RECONSUME_LATER)
        st = ROCKETMQ_RECONSUME_LATER; /* a value we do not know is no success */
    if (!rmq_pq_dropped(t->pq))
        process_result(t, st, &ctx);
    else
        RMQ_LOGW("client", "%s: queue %s/%d dropped while consuming: its messages come again",
                 c->group, t->mq.broker_name, t->mq.queue_id);
    rmq_consumer_leave(c);
    task_free(t);
}

/* ---- orderly ---- */

static void run_orderly(void *arg);

static void orderly_later_fn(void *arg, bool cancelled)
{
    consume_task_t *t = arg;
    if (cancelled || !rmq_consumer_enter(t->c)) {
        task_free(t);
        return;
    }
    if (rmq_executor_submit(t->c->consume_pool, run_orderly, t) != 0)
        task_free(t);
    rmq_consumer_leave(t->c);
}

static void orderly_later(consume_task_t *t, int64_t ms)
{
    consume_task_t *again = task_new(t->c, &t->mq, t->pq, NULL, 0);
    rmq_delayq_add(rmq_instance_delayq(t->c->inst), ms, orderly_later_fn, again);
}

/* One batch: true to go on with the next one. */
static bool orderly_batch(consume_task_t *t, size_t batch)
{
    rocketmq_push_consumer_t *c = t->c;
    rocketmq_message_t **msgs = rmq_calloc(batch, sizeof(*msgs));
    size_t n = rmq_pq_take(t->pq, batch, msgs);
    if (n == 0) { /* nothing left: the queue's consuming flag is clear */
        free(msgs);
        return false;
    }
    prepare(c, msgs, n);
    rocketmq_consume_orderly_context_t ctx = {&t->mq, true, -1};
    rocketmq_consume_orderly_status_t st = c->orderly_listener(msgs, n, &ctx, c->listener_arg);
    bool go_on = true;
    int64_t commit = -1;
    if (st == ROCKETMQ_ORDERLY_SUCCESS) {
        commit = rmq_pq_commit(t->pq);
    } else {
        /* checkReconsumeTimes: past the maximum a message goes to the DLQ */
        bool all_dead = true;
        for (size_t i = 0; i < n; i++)
            if (rocketmq_message_get_reconsume_times(msgs[i]) < max_reconsume(c) ||
                send_back(c, msgs[i], -1) != 0)
                all_dead = false;
        if (all_dead) {
            commit = rmq_pq_commit(t->pq);
        } else {
            rmq_pq_consume_again(t->pq);
            orderly_later(t, ctx.suspend_millis > 0 ? ctx.suspend_millis : c->suspend_ms);
            go_on = false;
        }
    }
    if (commit >= 0 && !rmq_pq_dropped(t->pq))
        rmq_offset_store_update(c->offsets, &t->mq, commit, false);
    free(msgs);
    return go_on;
}

static void run_orderly(void *arg)
{
    consume_task_t *t = arg;
    rocketmq_push_consumer_t *c = t->c;
    if (rmq_pq_dropped(t->pq) || !rmq_consumer_enter(c)) {
        task_free(t);
        return;
    }
    pthread_mutex_lock(rmq_pq_consume_lock(t->pq));
    bool clustering = c->model == ROCKETMQ_CLUSTERING;
    int64_t begin = rmq_mono_ms();
    for (;;) {
        if (rmq_pq_dropped(t->pq))
            break;
        if (clustering && !rmq_pq_lock_valid(t->pq, rmq_mono_ms())) {
            orderly_later(t, 100); /* tryLockLaterAndReconsume */
            break;
        }
        if (rmq_mono_ms() - begin > ORDERLY_SLICE_MS) {
            orderly_later(t, 10);
            break;
        }
        if (!orderly_batch(t, (size_t)c->batch_max))
            break;
    }
    pthread_mutex_unlock(rmq_pq_consume_lock(t->pq));
    rmq_consumer_leave(c);
    task_free(t);
}

/* ---- submission ---- */

void rmq_consume_submit(rocketmq_push_consumer_t *c, const rocketmq_message_queue_t *mq,
                        rmq_process_queue_t *pq, rocketmq_message_t **msgs, size_t n,
                        bool dispatch)
{
    if (c->orderly_listener) {
        if (!dispatch)
            return; /* a task for this queue is running and will see them */
        consume_task_t *t = task_new(c, mq, pq, NULL, 0);
        if (rmq_executor_submit(c->consume_pool, run_orderly, t) != 0)
            task_free(t);
        return;
    }
    size_t batch = (size_t)c->batch_max;
    for (size_t i = 0; i < n; i += batch) {
        size_t k = n - i < batch ? n - i : batch;
        consume_task_t *t = task_new(c, mq, pq, msgs + i, k);
        if (rmq_executor_submit(c->consume_pool, run_concurrent, t) != 0)
            task_free(t);
    }
}
