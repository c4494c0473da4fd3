/* The broker's configuration table (BrokerConfig + NettyServerConfig keys)
 * and loading of broker.conf, whose keys go to this table or the store's. */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/props.h"
#include "broker/broker.h"

#define CONF(field, type, def, min, max, doc)                                                      \
    {#field, type, offsetof(rmq_broker_config_t, field), def, min, max, doc}

const rmq_conf_def_t rmq_broker_conf_defs[] = {
    CONF(brokerClusterName, RMQ_CONF_STRING, "DefaultCluster", 0, 0, "cluster the broker belongs to"),
    CONF(brokerName, RMQ_CONF_STRING, "", 0, 0, "broker name (empty: the host name)"),
    CONF(brokerId, RMQ_CONF_LONG, "0", 0, 1024, "0 = master, > 0 = slave"),
    CONF(brokerIP1, RMQ_CONF_STRING, "", 0, 0,
         "address clients reach the broker at (empty: the first non-loopback IPv4 address)"),
    CONF(brokerIP2, RMQ_CONF_STRING, "", 0, 0, "HA address (empty: brokerIP1)"),
    CONF(namesrvAddr, RMQ_CONF_STRING, "", 0, 0,
         "name servers, host:port;host:port (empty: NAMESRV_ADDR)"),
    CONF(listenPort, RMQ_CONF_INT, "10911", 0, 65535, "TCP port (0: any free port)"),
    CONF(bindAddress, RMQ_CONF_STRING, "0.0.0.0", 0, 0, "address to listen on"),
    CONF(autoCreateTopicEnable, RMQ_CONF_BOOL, "true", 0, 0,
         "create unknown topics on first send from TBW102"),
    CONF(autoCreateSubscriptionGroup, RMQ_CONF_BOOL, "true", 0, 0,
         "create unknown consumer groups on first use"),
    CONF(defaultTopicQueueNums, RMQ_CONF_INT, "8", 1, 1024, "queues of TBW102"),
    CONF(brokerPermission, RMQ_CONF_INT, "6", 0, 7, "broker permission bits (6 = read/write)"),
    CONF(regionId, RMQ_CONF_STRING, "DefaultRegion", 0, 0, "MSG_REGION of send responses"),
    CONF(traceOn, RMQ_CONF_BOOL, "true", 0, 0, "TRACE_ON of send responses"),
    CONF(registerNameServerPeriod, RMQ_CONF_INT, "30000", 10000, 60000,
         "ms between registrations with the name servers"),
    CONF(registerBrokerTimeoutMills, RMQ_CONF_INT, "6000", 100, 60000,
         "timeout of one registration"),
    CONF(flushConsumerOffsetInterval, RMQ_CONF_INT, "5000", 100, 600000,
         "ms between writes of consumerOffset.json"),
    CONF(channelExpiredTimeout, RMQ_CONF_INT, "120000", 100, 3600000,
         "ms after which a silent client is removed"),
    CONF(longPollingEnable, RMQ_CONF_BOOL, "true", 0, 0, "hold pulls until a message arrives"),
    CONF(shortPollingTimeMills, RMQ_CONF_INT, "1000", 0, 60000,
         "hold time of a pull when long polling is off"),
    CONF(messageDelayLevel, RMQ_CONF_STRING, "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h",
         0, 0, "delay of each level"),
    CONF(serverChannelMaxIdleTimeSeconds, RMQ_CONF_INT, "120", 0, 86400,
         "close connections idle this long (0: never)"),
    CONF(frameMaxLength, RMQ_CONF_INT, "16777216", 1024, 1073741824, "largest frame accepted"),
    {NULL, RMQ_CONF_INT, 0, NULL, 0, 0, NULL},
};

/* First non-loopback IPv4 address, as Java's RemotingUtil.getLocalAddress. */
static void local_ip(char *out, size_t n)
{
    snprintf(out, n, "127.0.0.1");
    struct ifaddrs *ifa, *i;
    if (getifaddrs(&ifa) != 0)
        return;
    for (i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        struct sockaddr_in *sa = (struct sockaddr_in *)i->ifa_addr;
        if ((ntohl(sa->sin_addr.s_addr) >> 24) == 127)
            continue;
        inet_ntop(AF_INET, &sa->sin_addr, out, (socklen_t)n);
        break;
    }
    freeifaddrs(ifa);
}

void rmq_broker_config_defaults(rmq_broker_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    rmq_conf_defaults(rmq_broker_conf_defs, cfg);
    rmq_conf_defaults(rmq_store_conf_defs, &cfg->store);
}

int rmq_broker_config_set(rmq_broker_config_t *cfg, const char *key, const char *value, char *err,
                          size_t errlen)
{
    int rc = rmq_conf_set(rmq_broker_conf_defs, cfg, key, value, err, errlen);
    if (rc == RMQ_CONF_UNKNOWN)
        rc = rmq_conf_set(rmq_store_conf_defs, &cfg->store, key, value, err, errlen);
    return rc;
}

typedef struct load_ctx {
    rmq_broker_config_t *cfg;
    const char *path;
    char *err;
    size_t errlen;
} load_ctx_t;

static int on_prop(const char *key, const char *value, void *arg)
{
    load_ctx_t *c = arg;
    char tmp[256] = "";
    int rc = rmq_broker_config_set(c->cfg, key, value, tmp, sizeof(tmp));
    if (rc == RMQ_CONF_UNKNOWN) {
        RMQ_LOGW("broker", "%s: ignoring unknown key '%s'", c->path, key);
        return 0;
    }
    if (rc != RMQ_CONF_OK)
        rmq_set_err(c->err, c->errlen, "%s: %s", c->path, tmp);
    return rc == RMQ_CONF_OK ? 0 : -1;
}

/* Fills what defaults to the environment (host name, address, NAMESRV_ADDR). */
void rmq_broker_config_resolve(rmq_broker_config_t *cfg)
{
    char buf[256];
    if (!cfg->brokerName || !*cfg->brokerName) {
        if (gethostname(buf, sizeof(buf)) != 0)
            snprintf(buf, sizeof(buf), "localhost");
        free(cfg->brokerName);
        cfg->brokerName = rmq_strdup(buf);
    }
    if (!cfg->brokerIP1 || !*cfg->brokerIP1) {
        local_ip(buf, sizeof(buf));
        free(cfg->brokerIP1);
        cfg->brokerIP1 = rmq_strdup(buf);
    }
    if (!cfg->brokerIP2 || !*cfg->brokerIP2) {
        free(cfg->brokerIP2);
        cfg->brokerIP2 = rmq_strdup(cfg->brokerIP1);
    }
    const char *env = getenv("NAMESRV_ADDR");
    if ((!cfg->namesrvAddr || !*cfg->namesrvAddr) && env && *env) {
        free(cfg->namesrvAddr);
        cfg->namesrvAddr = rmq_strdup(env);
    }
}

int rmq_broker_config_load(rmq_broker_config_t *cfg, const char *path, char *err, size_t errlen)
{
    int rc = 0;
    if (path) {
        load_ctx_t c = {cfg, path, err, errlen};
        char perr[256] = "";
        rc = rmq_props_load_file(path, on_prop, &c, perr, sizeof(perr));
        if (rc != 0 && perr[0])
            rmq_set_err(err, errlen, "%s", perr);
    }
    rmq_broker_config_resolve(cfg);
    return rc;
}

void rmq_broker_config_print(const rmq_broker_config_t *cfg, FILE *out)
{
    rmq_conf_print(rmq_broker_conf_defs, cfg, out);
    rmq_conf_print(rmq_store_conf_defs, &cfg->store, out);
}

void rmq_broker_config_free(rmq_broker_config_t *cfg)
{
    rmq_conf_free(rmq_broker_conf_defs, cfg);
    rmq_conf_free(rmq_store_conf_defs, &cfg->store);
}
