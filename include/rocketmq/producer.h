/* The producer of librocketmq: Apache RocketMQ's DefaultMQProducer in C.
 *
 *   rocketmq_producer_t *p = rocketmq_producer_new("please_rename_unique_group_name");
 *   rocketmq_producer_set_namesrv_addr(p, "localhost:9876");
 *   if (rocketmq_producer_start(p) != 0) ... rocketmq_last_error_detail() ...
 *   rocketmq_message_t *m = rocketmq_message_new("TopicTest");
 *   rocketmq_message_set_tags(m, "TagA");
 *   rocketmq_message_set_body(m, "Hello RocketMQ", 14);
 *   rocketmq_send_result_t r;
 *   if (rocketmq_producer_send(p, m, &r) == 0) printf("%s\n", rocketmq_send_status_name(r.status));
 *   rocketmq_message_destroy(m);
 *   rocketmq_producer_shutdown(p);
 *   rocketmq_producer_destroy(p);
 *
 * Behaviour follows DefaultMQProducer 4.9.8: the service states, the route
 * lookup (cached publish info, the name server, the TBW102 route for a topic
 * the broker may auto-create), round-robin queue selection avoiding the
 * broker of the failed attempt, the latency fault strategy when enabled, one
 * timeout for the whole send with each retry getting what is left, unique
 * ids, compression of bodies of compressMsgBodyOverHowmuch bytes and more.
 *
 * Producers with the same client id (client IP "@" instance name) share one
 * client instance: one connection pool, one I/O thread, one route table,
 * and its scheduled tasks (route refresh every pollNameServerInterval,
 * heartbeats every heartbeatBrokerInterval).
 *
 * Every function may be called from any thread; one producer serves many
 * threads at once.  Functions returning int return 0 or a rocketmq_err_t;
 * on failure rocketmq_last_error_detail() tells the calling thread why. */
#ifndef ROCKETMQ_PRODUCER_H
#define ROCKETMQ_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rocketmq/error.h"
#include "rocketmq/message.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ServiceState. */
typedef enum rocketmq_service_state {
    ROCKETMQ_CREATE_JUST = 0,
    ROCKETMQ_RUNNING = 1,
    ROCKETMQ_SHUTDOWN_ALREADY = 2,
    ROCKETMQ_START_FAILED = 3,
} rocketmq_service_state_t;

/* SendStatus: every one of them means the broker stored the message. */
typedef enum rocketmq_send_status {
    ROCKETMQ_SEND_OK = 0,
    ROCKETMQ_SEND_FLUSH_DISK_TIMEOUT = 1,
    ROCKETMQ_SEND_FLUSH_SLAVE_TIMEOUT = 2,
    ROCKETMQ_SEND_SLAVE_NOT_AVAILABLE = 3,
} rocketmq_send_status_t;

/* CommunicationMode. */
typedef enum rocketmq_send_mode {
    ROCKETMQ_SEND_SYNC = 0,
    ROCKETMQ_SEND_ASYNC = 1,
    ROCKETMQ_SEND_ONEWAY = 2,
} rocketmq_send_mode_t;

/* SendResult.  For a batch, msg_id and offset_msg_id are the first
 * message's (each message of the batch carries its own id, see
 * rocketmq_message_get_msg_id) and batch_size says how many were stored. */
typedef struct rocketmq_send_result {
    rocketmq_send_status_t status;
    char msg_id[ROCKETMQ_MSG_ID_MAX + 1];        /* the unique id (UNIQ_KEY) */
    char offset_msg_id[ROCKETMQ_MSG_ID_MAX + 1]; /* store host + commit-log offset */
    rocketmq_message_queue_t queue;
    int64_t queue_offset;
    char transaction_id[ROCKETMQ_MSG_ID_MAX + 1]; /* empty unless the broker sent one */
    char region_id[64];                           /* MSG_REGION; "DefaultRegion" if absent */
    bool trace_on;                                /* TRACE_ON != "false" */
    size_t batch_size;                            /* 1 for a single message */
} rocketmq_send_result_t;

typedef struct rocketmq_producer rocketmq_producer_t;

/* The detail of the last failure of a call made by this thread (never NULL;
 * "" when there is none). */
ROCKETMQ_EXPORT const char *rocketmq_last_error_detail(void);
ROCKETMQ_EXPORT const char *rocketmq_send_status_name(rocketmq_send_status_t status);
/* Java's SendResult.toString(): "SendResult [sendStatus=SEND_OK, msgId=...,
 * offsetMsgId=..., messageQueue=MessageQueue [topic=..., brokerName=...,
 * queueId=...], queueOffset=...]".  Returns what snprintf returns. */
ROCKETMQ_EXPORT int rocketmq_send_result_format(const rocketmq_send_result_t *r, char *buf,
                                                size_t n);
ROCKETMQ_EXPORT const char *rocketmq_service_state_name(rocketmq_service_state_t state);

/* ---- life cycle ---- */

/* A producer of group (validated at start).  NULL only when out of memory. */
ROCKETMQ_EXPORT rocketmq_producer_t *rocketmq_producer_new(const char *group);
/* Shuts the producer down if it runs, then frees it. */
ROCKETMQ_EXPORT void rocketmq_producer_destroy(rocketmq_producer_t *p);
/* CREATE_JUST -> RUNNING.  ROCKETMQ_ERR__STATE if it was started before
 * ("The producer service state not OK"), ROCKETMQ_ERR__INVALID_ARG for a bad
 * group or a group already registered in the same client instance. */
ROCKETMQ_EXPORT int rocketmq_producer_start(rocketmq_producer_t *p);
/* RUNNING -> SHUTDOWN_ALREADY: unregisters the group from every broker and
 * releases the client instance; waits for the callbacks of async sends in
 * flight.  A no-op in other states.  ROCKETMQ_ERR__STATE when called from
 * a send callback (it would wait for itself). */
ROCKETMQ_EXPORT int rocketmq_producer_shutdown(rocketmq_producer_t *p);
ROCKETMQ_EXPORT rocketmq_service_state_t rocketmq_producer_state(const rocketmq_producer_t *p);
/* The client id of the started producer ("ip@instance"), NULL before. */
ROCKETMQ_EXPORT const char *rocketmq_producer_client_id(const rocketmq_producer_t *p);

/* ---- configuration (before start; ROCKETMQ_ERR__STATE afterwards) ----
 * Names and defaults of DefaultMQProducer / ClientConfig. */

/* "host:port;host:port".  Default: the NAMESRV_ADDR environment variable. */
ROCKETMQ_EXPORT int rocketmq_producer_set_namesrv_addr(rocketmq_producer_t *p, const char *addrs);
/* Default "DEFAULT", replaced at start by "<pid>#<nanotime>" as Java does. */
ROCKETMQ_EXPORT int rocketmq_producer_set_instance_name(rocketmq_producer_t *p, const char *name);
/* Default: the first non-loopback IPv4 address of this host. */
ROCKETMQ_EXPORT int rocketmq_producer_set_client_ip(rocketmq_producer_t *p, const char *ip);
ROCKETMQ_EXPORT int rocketmq_producer_set_unit_name(rocketmq_producer_t *p, const char *unit);
/* sendMsgTimeout, default 3000 ms: the whole send, retries included. */
ROCKETMQ_EXPORT int rocketmq_producer_set_send_msg_timeout(rocketmq_producer_t *p, int ms);
/* retryTimesWhenSendFailed, default 2 (SYNC sends). */
ROCKETMQ_EXPORT int rocketmq_producer_set_retry_times_when_send_failed(rocketmq_producer_t *p,
                                                                       int times);
/* retryTimesWhenSendAsyncFailed, default 2 (ASYNC sends: network errors). */
ROCKETMQ_EXPORT int rocketmq_producer_set_retry_times_when_send_async_failed(rocketmq_producer_t *p,
                                                                             int times);
/* retryAnotherBrokerWhenNotStoreOK, default false. */
ROCKETMQ_EXPORT int rocketmq_producer_set_retry_another_broker_when_not_store_ok(
    rocketmq_producer_t *p, bool on);
/* compressMsgBodyOverHowmuch, default 4096 bytes; compression level 5. */
ROCKETMQ_EXPORT int rocketmq_producer_set_compress_msg_body_over_howmuch(rocketmq_producer_t *p,
                                                                         int bytes);
ROCKETMQ_EXPORT int rocketmq_producer_set_compress_level(rocketmq_producer_t *p, int level);
/* maxMessageSize, default 4 MiB. */
ROCKETMQ_EXPORT int rocketmq_producer_set_max_message_size(rocketmq_producer_t *p, int bytes);
/* sendLatencyFaultEnable, default false. */
ROCKETMQ_EXPORT int rocketmq_producer_set_send_latency_fault_enable(rocketmq_producer_t *p,
                                                                    bool on);
/* latencyMax / notAvailableDuration (n entries each, ascending). */
ROCKETMQ_EXPORT int rocketmq_producer_set_latency_levels(rocketmq_producer_t *p,
                                                         const int64_t *latency_max,
                                                         const int64_t *not_available_duration,
                                                         size_t n);
/* defaultTopicQueueNums, default 4; createTopicKey, default "TBW102". */
ROCKETMQ_EXPORT int rocketmq_producer_set_default_topic_queue_nums(rocketmq_producer_t *p, int n);
ROCKETMQ_EXPORT int rocketmq_producer_set_create_topic_key(rocketmq_producer_t *p,
                                                           const char *topic);
/* pollNameServerInterval and heartbeatBrokerInterval, default 30000 ms;
 * mqClientApiTimeout, default 3000 ms.  Shared by the client instance: the
 * first producer to start it decides. */
ROCKETMQ_EXPORT int rocketmq_producer_set_poll_name_server_interval(rocketmq_producer_t *p,
                                                                    int ms);
ROCKETMQ_EXPORT int rocketmq_producer_set_heartbeat_broker_interval(rocketmq_producer_t *p,
                                                                    int ms);
ROCKETMQ_EXPORT int rocketmq_producer_set_mq_client_api_timeout(rocketmq_producer_t *p, int ms);
/* vipChannelEnabled, default false: send to the broker's port - 2. */
ROCKETMQ_EXPORT int rocketmq_producer_set_vip_channel_enabled(rocketmq_producer_t *p, bool on);

/* ---- sending (RUNNING only; ROCKETMQ_ERR__STATE otherwise) ---- */

/* SYNC: up to 1 + retryTimesWhenSendFailed attempts within sendMsgTimeout.
 * 0 with *result filled (status may be a FLUSH_ or SLAVE_ one: stored, not
 * fully replicated or flushed), or the error of the last attempt: a broker
 * response code (rocketmq_err_t >= 0) or a local one. */
ROCKETMQ_EXPORT int rocketmq_producer_send(rocketmq_producer_t *p, rocketmq_message_t *msg,
                                           rocketmq_send_result_t *result);
/* The same with its own timeout instead of sendMsgTimeout. */
ROCKETMQ_EXPORT int rocketmq_producer_send_timeout(rocketmq_producer_t *p, rocketmq_message_t *msg,
                                                   int timeout_ms, rocketmq_send_result_t *result);

/* Completion of an ASYNC send: err 0 with the result, or an error with
 * result NULL and detail saying why.  Runs on one of the client instance's
 * callback threads, never on its I/O thread, exactly once per accepted send. */
typedef void (*rocketmq_send_cb)(int err, const rocketmq_send_result_t *result,
                                 const char *detail, void *arg);
/* ASYNC: returns at once; 0 means cb will run.  The message is copied: the
 * caller may destroy it when this returns (its UNIQ_KEY is set first). */
ROCKETMQ_EXPORT int rocketmq_producer_send_async(rocketmq_producer_t *p, rocketmq_message_t *msg,
                                                 rocketmq_send_cb cb, void *arg);
/* ONEWAY: one attempt, no response, no retry. */
ROCKETMQ_EXPORT int rocketmq_producer_send_oneway(rocketmq_producer_t *p, rocketmq_message_t *msg);

/* To a given queue (send(msg, mq)): SYNC, no retry. */
ROCKETMQ_EXPORT int rocketmq_producer_send_to_queue(rocketmq_producer_t *p, rocketmq_message_t *msg,
                                                    const rocketmq_message_queue_t *mq,
                                                    rocketmq_send_result_t *result);

/* MessageQueueSelector: returns the index in [0, n) of the queue to use
 * (out of range fails the send with ROCKETMQ_ERR__INVALID_ARG). */
typedef int (*rocketmq_queue_selector)(const rocketmq_message_queue_t *mqs, size_t n,
                                       const rocketmq_message_t *msg, void *arg);
/* SelectMessageQueueByHash for a string key (arg: const char *): Java's
 * String.hashCode of the key, then abs(hash % n), so C and Java producers
 * sharding by the same string keys pick the same queue. */
ROCKETMQ_EXPORT int rocketmq_select_queue_by_hash(const rocketmq_message_queue_t *mqs, size_t n,
                                                  const rocketmq_message_t *msg, void *arg);
/* Ordered sends: SYNC through a selector, no retry (send(msg, selector, arg)). */
ROCKETMQ_EXPORT int rocketmq_producer_send_orderly(rocketmq_producer_t *p, rocketmq_message_t *msg,
                                                   rocketmq_queue_selector selector, void *arg,
                                                   rocketmq_send_result_t *result);

/* A batch (send(Collection<Message>)): one topic, no delay level, no retry
 * topic, the same WAIT value; encoded as MessageBatch and sent as
 * SEND_BATCH_MESSAGE with SYNC retries; the encoded size counts against
 * maxMessageSize.  Every message gets its own UNIQ_KEY. */
ROCKETMQ_EXPORT int rocketmq_producer_send_batch(rocketmq_producer_t *p, rocketmq_message_t **msgs,
                                                 size_t n, rocketmq_send_result_t *result);

/* The topic's write queues as this producer would pick from them
 * (fetchPublishMessageQueues).  Fills up to cap entries and sets *n to how
 * many there are. */
ROCKETMQ_EXPORT int rocketmq_producer_fetch_publish_queues(rocketmq_producer_t *p,
                                                           const char *topic,
                                                           rocketmq_message_queue_t *mqs,
                                                           size_t cap, size_t *n);

/* ---- hooks (register before start) ---- */

/* SendMessageContext. */
typedef struct rocketmq_send_context {
    const char *producer_group;
    const char *broker_addr;
    const char *born_host; /* this client's IP */
    const rocketmq_message_queue_t *queue;
    rocketmq_send_mode_t mode;
    const rocketmq_message_t *msg;
    /* after the send only: */
    const rocketmq_send_result_t *result; /* NULL on error, and for ONEWAY */
    int err;                              /* 0 or the attempt's error */
    const char *detail;                   /* why err, or NULL */
} rocketmq_send_context_t;

/* CheckForbiddenHook: runs before each attempt; a non-zero return ends the
 * send with that error (not retried). */
typedef int (*rocketmq_check_forbidden_fn)(const rocketmq_send_context_t *ctx, void *arg);
/* SendMessageHook: before runs before each attempt, after when its outcome
 * is known (on a callback thread for ASYNC sends). */
typedef void (*rocketmq_send_hook_fn)(const rocketmq_send_context_t *ctx, void *arg);

ROCKETMQ_EXPORT int rocketmq_producer_add_check_forbidden_hook(rocketmq_producer_t *p,
                                                               rocketmq_check_forbidden_fn fn,
                                                               void *arg);
ROCKETMQ_EXPORT int rocketmq_producer_add_send_hook(rocketmq_producer_t *p,
                                                    rocketmq_send_hook_fn before,
                                                    rocketmq_send_hook_fn after, void *arg);

#ifdef __cplusplus
}
#endif

#endif
