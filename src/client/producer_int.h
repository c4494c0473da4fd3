/* Inside the producer: its state and the pieces of a send shared by the
 * SYNC, ASYNC and ONEWAY paths (send.c, send_async.c). */
#ifndef RMQ_CLIENT_PRODUCER_INT_H
#define RMQ_CLIENT_PRODUCER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "base/buf.h"
#include "client/fault.h"
#include "client/instance.h"
#include "client/msg_int.h"
#include "rocketmq/producer.h"

#define RMQ_PRODUCER_MAX_HOOKS 8
#define RMQ_DEFAULT_PRODUCER_GROUP "DEFAULT_PRODUCER"
#define RMQ_DEFAULT_CREATE_TOPIC_KEY "TBW102"

typedef struct rmq_forbidden_hook {
    rocketmq_check_forbidden_fn fn;
    void *arg;
} rmq_forbidden_hook_t;

typedef struct rmq_send_hook {
    rocketmq_send_hook_fn before, after;
    void *arg;
} rmq_send_hook_t;

struct rocketmq_producer {
    char *group;
    rmq_instance_cfg_t icfg;
    char instance_name[128];
    char unit_name[64];
    int send_msg_timeout;
    int retry_sync;  /* retryTimesWhenSendFailed */
    int retry_async; /* retryTimesWhenSendAsyncFailed */
    bool retry_another_broker;
    int compress_over;
    int compress_level;
    int max_message_size;
    bool fault_enable;
    rmq_fault_t *fault;
    int default_topic_queue_nums;
    char create_topic_key[ROCKETMQ_TOPIC_MAX + 1];
    bool vip_channel;

    rmq_forbidden_hook_t forbidden[RMQ_PRODUCER_MAX_HOOKS];
    int nforbidden;
    rmq_send_hook_t hooks[RMQ_PRODUCER_MAX_HOOKS];
    int nhooks;

    pthread_mutex_t lock; /* state changes, inflight */
    pthread_cond_t idle;  /* inflight reached 0 */
    atomic_int state;     /* rocketmq_service_state_t */
    int inflight;         /* ASYNC sends not completed yet */
    rmq_instance_t *inst;
};

/* What a send carries to the broker, prepared once and reused by every
 * attempt: the encoded properties, the body as sent (compressed or a
 * batch), the header values that do not depend on the queue. */
typedef struct rmq_send_payload {
    char topic[ROCKETMQ_TOPIC_MAX + 1];
    char msg_id[ROCKETMQ_MSG_ID_MAX + 1]; /* UNIQ_KEY (the first one for a batch) */
    rmq_buf_t props;  /* NUL-terminated */
    rmq_buf_t body;
    int32_t sys_flag;
    int32_t flag;
    int32_t reconsume_times;
    int32_t max_reconsume_times;
    bool has_reconsume, has_max_reconsume;
    bool batch;
    size_t batch_size;
} rmq_send_payload_t;

/* ---- send.c ---- */

int rmq_payload_prepare(rocketmq_producer_t *p, rocketmq_message_t *msg,
                        rmq_send_payload_t *pl);
int rmq_payload_prepare_batch(rocketmq_producer_t *p, rocketmq_message_t **msgs, size_t n,
                              rmq_send_payload_t *pl);
void rmq_payload_free(rmq_send_payload_t *pl);
/* The request of one attempt to mq. */
rmq_cmd_t *rmq_payload_request(const rocketmq_producer_t *p, const rmq_send_payload_t *pl,
                               const rocketmq_message_queue_t *mq);
/* The broker address for mq (refreshing the route once if it is unknown),
 * with the VIP port when enabled.  0 or ROCKETMQ_ERR__NOT_FOUND. */
int rmq_producer_broker_addr(rocketmq_producer_t *p, const char *topic, const char *broker,
                             char *out, size_t n);
/* processSendResponse: 0 with *res, or the broker's code with detail. */
int rmq_send_response(const rmq_cmd_t *resp, const rmq_send_payload_t *pl,
                      const rocketmq_message_queue_t *mq, rocketmq_send_result_t *res,
                      char *detail, size_t dn);
/* The queue for an attempt (fault strategy or round robin). */
void rmq_producer_select(rocketmq_producer_t *p, const rmq_publish_info_t *pi,
                         const char *last_broker, rocketmq_message_queue_t *out);
void rmq_producer_fault_update(rocketmq_producer_t *p, const char *broker, int64_t latency,
                               bool isolation);
/* Hooks around an attempt. */
int rmq_producer_run_forbidden(rocketmq_producer_t *p, const rocketmq_send_context_t *ctx);
void rmq_producer_run_before(rocketmq_producer_t *p, const rocketmq_send_context_t *ctx);
void rmq_producer_run_after(rocketmq_producer_t *p, const rocketmq_send_context_t *ctx);
/* RUNNING, or an error with the detail Java gives. */
int rmq_producer_check_running(const rocketmq_producer_t *p);
/* The route lookup of a send: the publish info with queues, or an error. */
int rmq_producer_publish_info(rocketmq_producer_t *p, const char *topic,
                              rmq_publish_info_t **out);

/* ---- send_policy.c: decisions kept apart to be tested alone ---- */

/* Whether a SYNC send tries again after an attempt failed with err (a
 * broker response code >= 0 or a local error), as sendDefaultImpl decides. */
bool rmq_send_retryable(int err);
/* Whether an ASYNC send retries: network failures and timeouts only. */
bool rmq_send_async_retryable(int err);
/* Milliseconds left of timeout_ms for an attempt starting at now of a send
 * that began at begin; <= 0 when the send is out of time. */
int64_t rmq_send_time_left(int64_t begin, int64_t now, int timeout_ms);

/* ---- send_async.c ---- */

int rmq_producer_send_async_impl(rocketmq_producer_t *p, rocketmq_message_t *msg,
                                 rocketmq_send_cb cb, void *arg);

#endif
