/* rmq-namesrv as an object: its configuration, and a server that tests and
 * other programs can start in-process (main.c only parses options). */
#ifndef RMQ_NAMESRV_NAMESRV_H
#define RMQ_NAMESRV_NAMESRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"

typedef struct rmq_namesrv_config {
    /* NamesrvConfig */
    char *rocketmqHome;
    char *kvConfigPath;
    char *configStorePath;
    char *productEnvName;
    bool clusterTest;
    bool orderMessageEnable;
    char *configBlackList;
    int64_t scanNotActiveBrokerInterval;
    int64_t brokerChannelExpiredTime;
    /* NettyServerConfig */
    int32_t listenPort;
    char *bindAddress;
    int32_t serverChannelMaxIdleTimeSeconds;
    int32_t frameMaxLength;
} rmq_namesrv_config_t;

/* The configuration table (one row per key, RocketMQ's names and defaults). */
extern const rmq_conf_def_t rmq_namesrv_conf_defs[];

typedef struct rmq_namesrv rmq_namesrv_t;

/* Loads the KV config and binds the listener; NULL with err filled on
 * failure.  The configuration is copied. */
rmq_namesrv_t *rmq_namesrv_new(const rmq_namesrv_config_t *cfg, char *err, size_t errlen);
/* The port actually bound (listenPort 0 picks a free one). */
int rmq_namesrv_port(const rmq_namesrv_t *ns);
/* Serves in the calling thread until rmq_namesrv_stop (or, with
 * handle_signals, SIGINT/SIGTERM). */
void rmq_namesrv_run(rmq_namesrv_t *ns, bool handle_signals);
/* Any thread. */
void rmq_namesrv_stop(rmq_namesrv_t *ns);
/* After run returned. */
void rmq_namesrv_free(rmq_namesrv_t *ns);

#endif
