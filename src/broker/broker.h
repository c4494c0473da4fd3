/* rmq-broker as an object: configuration (Apache RocketMQ's BrokerConfig,
 * NettyServerConfig and MessageStoreConfig keys), and a server that tests can
 * start in-process (main.c only parses options). */
#ifndef RMQ_BROKER_BROKER_H
#define RMQ_BROKER_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "store/store.h"

typedef struct rmq_broker_config {
    char *brokerClusterName;   /* DefaultCluster */
    char *brokerName;          /* hostname-derived in Java; "broker-a" here */
    int64_t brokerId;          /* 0 = master */
    char *brokerIP1;           /* address clients reach the broker at */
    char *brokerIP2;           /* HA address (defaults to brokerIP1) */
    char *namesrvAddr;         /* "host:port;host:port"; NAMESRV_ADDR when empty */
    int32_t listenPort;        /* 10911 */
    char *bindAddress;         /* 0.0.0.0 */
    bool autoCreateTopicEnable;        /* true */
    bool autoCreateSubscriptionGroup;  /* true */
    int32_t defaultTopicQueueNums;     /* 8 */
    int32_t brokerPermission;          /* 6 */
    char *regionId;                    /* DefaultRegion */
    bool traceOn;                      /* true */
    int32_t registerNameServerPeriod;  /* 30000 ms */
    int32_t registerBrokerTimeoutMills; /* 6000 ms */
    int32_t flushConsumerOffsetInterval; /* 5000 ms */
    int32_t channelExpiredTimeout;     /* 120000 ms: clients silent this long are removed */
    bool longPollingEnable;            /* true */
    int32_t shortPollingTimeMills;     /* 1000 */
    char *messageDelayLevel;           /* "1s 5s 10s 30s 1m 2m ... 2h" */
    int32_t serverChannelMaxIdleTimeSeconds; /* 120 */
    int32_t frameMaxLength;            /* 16 MiB */
    rmq_store_config_t store;          /* MessageStoreConfig keys */
} rmq_broker_config_t;

extern const rmq_conf_def_t rmq_broker_conf_defs[];

void rmq_broker_config_defaults(rmq_broker_config_t *cfg);
/* Loads a broker.conf: each key goes to the broker or the store table;
 * unknown keys are logged and ignored. */
int rmq_broker_config_load(rmq_broker_config_t *cfg, const char *path, char *err, size_t errlen);
/* Fills the keys whose default comes from the machine: brokerName (host
 * name), brokerIP1 (first non-loopback IPv4), brokerIP2, namesrvAddr
 * (NAMESRV_ADDR).  rmq_broker_config_load and rmq_broker_new call it. */
void rmq_broker_config_resolve(rmq_broker_config_t *cfg);
int rmq_broker_config_set(rmq_broker_config_t *cfg, const char *key, const char *value, char *err,
                          size_t errlen);
void rmq_broker_config_print(const rmq_broker_config_t *cfg, FILE *out);
void rmq_broker_config_free(rmq_broker_config_t *cfg);

typedef struct rmq_broker rmq_broker_t;

/* Opens the store, loads the config JSON files, binds.  NULL with err on failure. */
rmq_broker_t *rmq_broker_new(const rmq_broker_config_t *cfg, char *err, size_t errlen);
int rmq_broker_port(const rmq_broker_t *b);
/* Registers with the name servers and serves until stopped (SIGINT/SIGTERM
 * with handle_signals); then unregisters, persists and closes the store. */
void rmq_broker_run(rmq_broker_t *b, bool handle_signals);
void rmq_broker_stop(rmq_broker_t *b);
void rmq_broker_free(rmq_broker_t *b);

#endif
