/* ASYNC sends (DefaultMQProducerImpl.send(msg, callback) and
 * MQClientAPIImpl.sendMessageAsync / onExceptionImpl; protocol.md 9.6).
 *
 * The caller's thread validates the message and sets its id; everything
 * else runs on the client instance's callback threads: the route lookup
 * (which may wait for the name server), each attempt, and the completion.
 * The I/O thread only hands the response over.  As in Java, an attempt that
 * fails on the network or times out is retried (retryTimesWhenSendAsyncFailed
 * times) on a queue of another broker with what is left of the timeout; a
 * broker's error code ends the send. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "client/client_int.h"
#include "client/producer_int.h"

typedef struct async_send {
    rocketmq_producer_t *p;
    rocketmq_message_t *msg; /* a copy, for the hooks */
    rmq_send_payload_t pl;
    rocketmq_send_cb cb;
    void *arg;
    rmq_publish_info_t *pi;
    rocketmq_message_queue_t mq;
    char addr[160];
    int64_t begin, attempt_start;
    int timeout_ms;
    int retries_left;
    rmq_cmd_t *resp; /* handed over by the I/O thread */
    int err;
    char detail[512];
} async_send_t;

static void attempt(async_send_t *as);

/* The send is over: the user's callback, then the producer learns one
 * fewer send is in flight (its shutdown waits for zero). */
static void finish(async_send_t *as, int err, const rocketmq_send_result_t *res)
{
    rocketmq_producer_t *p = as->p;
    as->cb(err, err == 0 ? res : NULL, err == 0 ? NULL : as->detail, as->arg);
    rmq_cmd_free(as->resp);
    if (as->pi)
        rmq_publish_info_unref(as->pi);
    rmq_payload_free(&as->pl);
    rocketmq_message_destroy(as->msg);
    free(as);
    pthread_mutex_lock(&p->lock);
    if (--p->inflight == 0)
        pthread_cond_broadcast(&p->idle);
    pthread_mutex_unlock(&p->lock);
}

static void context(async_send_t *as, rocketmq_send_context_t *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->producer_group = as->p->group;
    ctx->broker_addr = as->addr;
    ctx->born_host = rmq_instance_client_ip(as->p->inst);
    ctx->queue = &as->mq;
    ctx->mode = ROCKETMQ_SEND_ASYNC;
    ctx->msg = as->msg;
}

/* Callback thread: the outcome of one attempt. */
static void attempt_done(void *arg)
{
    async_send_t *as = arg;
    rocketmq_producer_t *p = as->p;
    rocketmq_send_result_t res;
    int err = as->err;
    if (err == 0)
        err = rmq_send_response(as->resp, &as->pl, &as->mq, &res, as->detail, sizeof(as->detail));
    else
        snprintf(as->detail, sizeof(as->detail), "%s: %s", as->addr, rocketmq_err_str(err));
    rmq_cmd_free(as->resp);
    as->resp = NULL;
    rmq_producer_fault_update(p, as->mq.broker_name, rmq_mono_ms() - as->attempt_start, err != 0);
    rocketmq_send_context_t ctx;
    context(as, &ctx);
    ctx.result = err == 0 ? &res : NULL;
    ctx.err = err;
    ctx.detail = err ? as->detail : NULL;
    rmq_producer_run_after(p, &ctx);
    if (err != 0 && rmq_send_async_retryable(err) && as->retries_left > 0) {
        as->retries_left--;
        RMQ_LOGD("client", "async send to %s failed (%s), retrying", as->mq.broker_name, as->detail);
        char last[ROCKETMQ_BROKER_NAME_MAX + 1];
        rmq_str_copy(last, sizeof(last), as->mq.broker_name);
        rmq_producer_select(p, as->pi, last, &as->mq);
        attempt(as);
        return;
    }
    finish(as, err, &res);
}

/* I/O thread: hand the response to a callback thread at once. */
static void on_response(int err, rmq_cmd_t *resp, void *arg)
{
    async_send_t *as = arg;
    as->err = err;
    as->resp = resp;
    if (rmq_executor_submit(rmq_instance_executor(as->p->inst), attempt_done, as) != 0)
        attempt_done(as); /* cannot happen while the producer waits for us */
}

/* Callback thread: one attempt to as->mq. */
static void attempt(async_send_t *as)
{
    rocketmq_producer_t *p = as->p;
    as->attempt_start = rmq_mono_ms();
    int64_t left = rmq_send_time_left(as->begin, as->attempt_start, as->timeout_ms);
    if (left <= 0) {
        snprintf(as->detail, sizeof(as->detail), "sendDefaultImpl call timeout");
        finish(as, ROCKETMQ_ERR__TIMEOUT, NULL);
        return;
    }
    int err = rmq_producer_broker_addr(p, as->pl.topic, as->mq.broker_name, as->addr,
                                       sizeof(as->addr));
    if (err != 0) {
        rmq_str_copy(as->detail, sizeof(as->detail), rocketmq_last_error_detail());
        finish(as, err, NULL);
        return;
    }
    rocketmq_send_context_t ctx;
    context(as, &ctx);
    err = rmq_producer_run_forbidden(p, &ctx);
    if (err != 0) {
        snprintf(as->detail, sizeof(as->detail), "forbidden by a check-forbidden hook");
        finish(as, err, NULL);
        return;
    }
    rmq_producer_run_before(p, &ctx);
    rmq_cmd_t *req = rmq_payload_request(p, &as->pl, &as->mq);
    rmq_rclient_invoke_async(rmq_instance_rclient(p->inst), as->addr, req, (int)left, on_response,
                             as);
}

/* Callback thread: route lookup and the first attempt. */
static void start(void *arg)
{
    async_send_t *as = arg;
    int err = rmq_producer_publish_info(as->p, as->pl.topic, &as->pi);
    if (err != 0) {
        rmq_str_copy(as->detail, sizeof(as->detail), rocketmq_last_error_detail());
        finish(as, err, NULL);
        return;
    }
    rmq_producer_select(as->p, as->pi, NULL, &as->mq);
    attempt(as);
}

int rmq_producer_send_async_impl(rocketmq_producer_t *p, rocketmq_message_t *msg,
                                 rocketmq_send_cb cb, void *arg)
{
    async_send_t *as = rmq_calloc(1, sizeof(*as));
    int err = rmq_payload_prepare(p, msg, &as->pl);
    if (err != 0) {
        free(as);
        return err;
    }
    as->p = p;
    as->msg = rocketmq_message_dup(msg);
    as->cb = cb;
    as->arg = arg;
    as->begin = rmq_mono_ms();
    as->timeout_ms = p->send_msg_timeout;
    as->retries_left = p->retry_async;
    pthread_mutex_lock(&p->lock);
    bool running = atomic_load(&p->state) == ROCKETMQ_RUNNING;
    if (running)
        p->inflight++;
    pthread_mutex_unlock(&p->lock);
    if (running && rmq_executor_submit(rmq_instance_executor(p->inst), start, as) == 0)
        return 0;
    if (running) {
        pthread_mutex_lock(&p->lock);
        if (--p->inflight == 0)
            pthread_cond_broadcast(&p->idle);
        pthread_mutex_unlock(&p->lock);
    }
    rmq_payload_free(&as->pl);
    rocketmq_message_destroy(as->msg);
    free(as);
    return rmq_client_fail(ROCKETMQ_ERR__STATE, "The producer service state not OK");
}
