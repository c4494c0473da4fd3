/* Broker internals shared by its modules.  Everything here runs on the
 * broker's loop thread unless a comment says otherwise: the managers keep
 * plain tables without locks. */
#ifndef RMQ_BROKER_BROKER_INT_H
#define RMQ_BROKER_BROKER_INT_H

#include "base/map.h"
#include <stdatomic.h>

#include "broker/broker.h"
#include "broker/stats.h"
#include "protocol/bodies.h"
#include "protocol/header.h"
#include "protocol/heartbeat.h"
#include "remoting/client.h"
#include "remoting/conn.h"
#include "remoting/loop.h"
#include "remoting/server.h"
#include "store/config_files.h"
#include "protocol/record.h"
#include "store/store.h"

#define RMQ_TOPIC_TBW102 "TBW102"
#define RMQ_TOPIC_SCHEDULE "SCHEDULE_TOPIC_XXXX"
#define RMQ_RETRY_PREFIX "%RETRY%"
#define RMQ_DLQ_PREFIX "%DLQ%"

/* ---- topic_mgr.c: topics.json and the topic table (TopicConfigManager) ---- */
typedef struct rmq_topic_mgr rmq_topic_mgr_t;

/* Loads path, normally <root>/config/topics.json (falling back to .bak), over
 * the built-in topics (SELF_TEST_TOPIC, TBW102 if autoCreateTopicEnable, BenchmarkTest,
 * the cluster and broker name topics, OFFSET_MOVED_EVENT,
 * SCHEDULE_TOPIC_XXXX, <cluster>_REPLY_TOPIC).  NULL with err on failure. */
rmq_topic_mgr_t *rmq_topic_mgr_open(const rmq_broker_config_t *cfg, const char *path, char *err,
                                    size_t errlen);
void rmq_topic_mgr_free(rmq_topic_mgr_t *tm);
/* NULL if unknown.  The pointer is valid until the table changes. */
const rmq_topic_config_t *rmq_topic_mgr_get(rmq_topic_mgr_t *tm, const char *topic);
/* Creates or replaces (UPDATE_AND_CREATE_TOPIC); bumps the data version and persists.
 * Both return 0 or the persist error (the table is changed anyway, as in Java);
 * deleting an unknown topic is 0 (Java answers SUCCESS). */
int rmq_topic_mgr_update(rmq_topic_mgr_t *tm, const rmq_topic_config_t *tc);
int rmq_topic_mgr_delete(rmq_topic_mgr_t *tm, const char *topic);
/* createTopicInSendMessageMethod (reference broker.md 9.3): NULL if not
 * creatable; sets *created when a new topic was made.  A %RETRY% topic that
 * cannot be inherited is created as in msgCheck (1 queue, R|W). */
const rmq_topic_config_t *rmq_topic_mgr_create_on_send(rmq_topic_mgr_t *tm, const char *topic,
                                                       const char *default_topic,
                                                       int32_t queue_nums, int32_t sys_flag,
                                                       bool *created);
/* createTopicInSendMessageBackMethod: retry and DLQ topics. */
const rmq_topic_config_t *rmq_topic_mgr_create_on_send_back(rmq_topic_mgr_t *tm,
                                                            const char *topic, int32_t queue_nums,
                                                            int32_t perm, int32_t sys_flag,
                                                            bool *created);
/* The whole table as a TopicConfigSerializeWrapper (register body, GET_ALL_TOPIC_CONFIG).
 * perm is capped by the broker permission when it is not RW. */
void rmq_topic_mgr_snapshot(rmq_topic_mgr_t *tm, rmq_register_broker_body_t *out);
const rmq_data_version_t *rmq_topic_mgr_data_version(rmq_topic_mgr_t *tm);
/* Marks topics listed in the name server's ORDER_TOPIC_CONFIG KV table as order topics. */
void rmq_topic_mgr_set_order_topics(rmq_topic_mgr_t *tm, const rmq_map_t *kv);

/* ---- subgroup_mgr.c: subscriptionGroup.json (SubscriptionGroupManager) ---- */
typedef struct rmq_subgroup_mgr rmq_subgroup_mgr_t;
rmq_subgroup_mgr_t *rmq_subgroup_mgr_open(const char *path, bool auto_create, char *err,
                                          size_t errlen);
void rmq_subgroup_mgr_free(rmq_subgroup_mgr_t *sm);
/* Looks a group up, creating it with defaults when auto-creation is on (persisted). */
const rmq_subscription_group_t *rmq_subgroup_mgr_find(rmq_subgroup_mgr_t *sm, const char *group);
int rmq_subgroup_mgr_update(rmq_subgroup_mgr_t *sm, const rmq_subscription_group_t *g);
int rmq_subgroup_mgr_delete(rmq_subgroup_mgr_t *sm, const char *group);
void rmq_subgroup_mgr_encode(rmq_subgroup_mgr_t *sm, rmq_buf_t *out);

/* ---- offset_mgr.c: consumerOffset.json (ConsumerOffsetManager) ---- */
typedef struct rmq_offset_mgr rmq_offset_mgr_t;
rmq_offset_mgr_t *rmq_offset_mgr_open(const char *path, char *err, size_t errlen);
void rmq_offset_mgr_free(rmq_offset_mgr_t *om);
/* The committed (next to consume) offset, or -1 if none. */
int64_t rmq_offset_mgr_query(rmq_offset_mgr_t *om, const char *group, const char *topic,
                             int32_t queue_id);
void rmq_offset_mgr_commit(rmq_offset_mgr_t *om, const char *group, const char *topic,
                           int32_t queue_id, int64_t offset);
/* Writes the file if anything changed since the last persist. */
int rmq_offset_mgr_persist(rmq_offset_mgr_t *om);
/* Calls fn for every (topic, queue, offset) committed by group (fn must not
 * change the table; same for groups_of_topic). */
void rmq_offset_mgr_foreach_of_group(rmq_offset_mgr_t *om, const char *group,
                                     void (*fn)(const char *topic, int32_t queue_id,
                                                int64_t offset, void *arg),
                                     void *arg);
/* Forgets every offset of group (DELETE_SUBSCRIPTIONGROUP with removeOffset);
 * returns how many topic entries went.  Persisted with the next persist. */
int rmq_offset_mgr_remove_group(rmq_offset_mgr_t *om, const char *group);
/* Groups that committed offsets of topic. */
void rmq_offset_mgr_groups_of_topic(rmq_offset_mgr_t *om, const char *topic,
                                    void (*fn)(const char *group, void *arg), void *arg);

/* ---- client_mgr.c: producers and consumers (ProducerManager, ConsumerManager) ---- */
typedef struct rmq_client_mgr rmq_client_mgr_t;
struct rmq_broker;
rmq_client_mgr_t *rmq_client_mgr_new(struct rmq_broker *b);
void rmq_client_mgr_free(rmq_client_mgr_t *cm);
/* A connection closed: its producers and consumers are removed. */
void rmq_client_mgr_conn_closed(rmq_client_mgr_t *cm, uint64_t conn_id);
/* Removes clients silent for channelExpiredTimeout. */
void rmq_client_mgr_scan(rmq_client_mgr_t *cm, int64_t now_ms);
/* The subscription expression a consumer group registered for topic
 * (malloc'ed into *expr_out); false if none. */
bool rmq_client_mgr_subscription(rmq_client_mgr_t *cm, const char *group, const char *topic,
                                 char **expr_out);
/* The registered SubscriptionData itself (subVersion, expressionType, tags);
 * NULL if none.  Valid until the next heartbeat or removal. */
const rmq_subscription_data_t *rmq_client_mgr_find_subscription(rmq_client_mgr_t *cm,
                                                                const char *group,
                                                                const char *topic);
/* Topics a consumer group subscribes (0 if the group is not online). */
size_t rmq_client_mgr_subscription_count(rmq_client_mgr_t *cm, const char *group);
/* RMQ_MODEL_* of an online group, RMQ_ENUM_UNSET if it did not say, -1 if
 * the group is not online. */
int rmq_client_mgr_message_model(rmq_client_mgr_t *cm, const char *group);
/* GET_CONSUMER_CONNECTION_LIST / GET_PRODUCER_CONNECTION_LIST bodies; false
 * (out empty) if the group has no client.  Free out with its *_free. */
bool rmq_client_mgr_consumer_connection(rmq_client_mgr_t *cm, const char *group,
                                        rmq_consumer_connection_t *out);
bool rmq_client_mgr_producer_connection(rmq_client_mgr_t *cm, const char *group,
                                        rmq_producer_connection_t *out);
/* An open connection of a producer group, round robin (transaction checks);
 * NULL if none.  Borrowed: keep it to hold it past the current callback. */
rmq_conn_t *rmq_client_mgr_producer_conn(rmq_client_mgr_t *cm, const char *group);
/* The open connection of client_id in a consumer group, or NULL (borrowed). */
rmq_conn_t *rmq_client_mgr_consumer_conn(rmq_client_mgr_t *cm, const char *group,
                                         const char *client_id);

/* ---- pull_hold.c: long polling (PullRequestHoldService) ---- */
struct rmq_pull_hold;
struct rmq_pull_hold *rmq_pull_hold_new(struct rmq_broker *b);
void rmq_pull_hold_free(struct rmq_pull_hold *h);
/* A message arrived (loop thread): held pulls of that queue are answered. */
void rmq_pull_hold_notify(struct rmq_broker *b, const char *topic, int32_t queue_id,
                          int64_t max_offset, int64_t tags_code);
struct rmq_sub_expr;
/* A pull found nothing and may wait.  Takes req, a reference to conn
 * and *filter (left empty); answers by re-running the pull (rmq_pull_execute)
 * when a matching message beyond offset arrives or timeout_ms passes. */
void rmq_pull_hold_suspend(struct rmq_broker *b, rmq_conn_t *conn, rmq_cmd_t *req,
                           const char *topic, int32_t queue_id, int64_t offset,
                           int64_t timeout_ms, struct rmq_sub_expr *filter);
/* pull.c: processes a pull and answers it, unless it was held: true then, and
 * req belongs to the hold.  allow_suspend is false for the re-run of a held
 * pull (no second hold, no offset commit). */
bool rmq_pull_execute(struct rmq_broker *b, rmq_conn_t *conn, rmq_cmd_t *req,
                      bool allow_suspend);

/* ---- the broker ---- */
struct rmq_broker {
    rmq_broker_config_t cfg;
    char store_host[64]; /* brokerIP1:listenPort */
    rmq_host_t store_host_addr;
    rmq_loop_t *loop;
    rmq_server_t *server;
    rmq_server_t *vip_server; /* listenPort - 2: old clients' "VIP channel" (no pulls) */
    rmq_rclient_t *ns_client; /* to the name servers, on the broker loop */
    rmq_store_t *store;
    rmq_topic_mgr_t *topics;
    rmq_subgroup_mgr_t *groups;
    rmq_offset_mgr_t *offsets;
    rmq_client_mgr_t *clients;
    struct rmq_pull_hold *holds; /* long polling (pull_hold.c) */
    struct rmq_schedule *schedule; /* delay levels (schedule.c) */
    uv_timer_t register_timer, offset_timer, client_scan_timer, stats_timer;
    rmq_broker_stats_t *stats; /* loop thread */
    /* Pulls held now (pull_hold.c writes it): the dispatch thread posts an
     * arrival to the loop only while some pull waits. */
    _Atomic int64_t held_pulls;
    uv_signal_t sigint, sigterm;
    bool signals;
    int64_t start_ms;
};

/* ---- schedule.c: delay levels (ScheduleMessageService), on its own thread ---- */
typedef struct rmq_schedule rmq_schedule_t;
rmq_schedule_t *rmq_schedule_start(struct rmq_broker *b, char *err, size_t errlen);
void rmq_schedule_stop(rmq_schedule_t *sc);
/* Number of delay levels (18 with the default messageDelayLevel). */
int rmq_schedule_max_level(const rmq_schedule_t *sc);
/* Parses "1s 5s 10s 30s 1m ... 2h" into ms; returns the count, -1 if invalid. */
int rmq_parse_delay_levels(const char *spec, int64_t *out, int max);

/* Request handlers (one file per processor); each owns req. */
void rmq_broker_send(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req);          /* send.c */
void rmq_broker_pull(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req);          /* pull.c */
void rmq_broker_offsets(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req);       /* offsets.c */
void rmq_broker_client_req(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req);    /* client_mgr.c */
void rmq_broker_admin(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req);         /* admin.c */

/* register.c: registers with every name server now (oneway after topic changes). */
void rmq_broker_register_all(rmq_broker_t *b, bool oneway);
void rmq_broker_unregister_all(rmq_broker_t *b);

/* Helpers (broker.c). */
void rmq_broker_reply(rmq_conn_t *conn, const rmq_cmd_t *req, int code, const char *remark);
/* Answers SYSTEM_ERROR with the header decode error, as Java does; false then. */
bool rmq_broker_decode(rmq_conn_t *conn, const rmq_cmd_t *req, const rmq_header_desc_t *d,
                       void *out);
/* Runs fn(arg) on the broker loop (from store threads). */
void rmq_broker_post(rmq_broker_t *b, rmq_task_fn fn, void *arg);

#endif
