/* rmq-broker: options in, broker out (see broker.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "broker/broker.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rmq-broker [-c FILE] [-n ADDR] [-p] [-m] [-h]\n"
            "  -c FILE  broker config file (Java properties: brokerClusterName, brokerName,\n"
            "           listenPort, namesrvAddr, storePathRootDir, flushDiskType, ...)\n"
            "  -n ADDR  name server address(es), host:port;host:port (overrides the file)\n"
            "  -p       print the effective configuration and exit\n"
            "  -m       print the configuration keys as a Markdown table and exit\n"
            "  -h       this help\n"
            "Environment: NAMESRV_ADDR, RMQ_LOG_LEVEL=error|warn|info|debug.\n");
}

int main(int argc, char **argv)
{
    const char *level = getenv("RMQ_LOG_LEVEL");
    if (level && rmq_log_level_parse(level) >= 0)
        rmq_log_set_level((rmq_log_level_t)rmq_log_level_parse(level));
    const char *conf_file = NULL, *namesrv = NULL;
    int print = 0, opt;
    while ((opt = getopt(argc, argv, "c:n:pmh")) != -1) {
        switch (opt) {
        case 'c': conf_file = optarg; break;
        case 'n': namesrv = optarg; break;
        case 'p': print = 1; break;
        case 'm':
            rmq_conf_print_markdown(rmq_broker_conf_defs, stdout);
            rmq_conf_print_markdown(rmq_store_conf_defs, stdout);
            return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rmq-broker: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    rmq_broker_config_t cfg;
    char err[512] = "";
    rmq_broker_config_defaults(&cfg);
    if (namesrv)
        rmq_broker_config_set(&cfg, "namesrvAddr", namesrv, NULL, 0);
    if (rmq_broker_config_load(&cfg, conf_file, err, sizeof(err)) != 0) {
        fprintf(stderr, "rmq-broker: %s\n", err);
        rmq_broker_config_free(&cfg);
        return 1;
    }
    if (namesrv) /* -n wins over the file, as mqbroker's does */
        rmq_broker_config_set(&cfg, "namesrvAddr", namesrv, NULL, 0);
    if (print) {
        rmq_broker_config_print(&cfg, stdout);
        rmq_broker_config_free(&cfg);
        return 0;
    }
    rmq_broker_t *b = rmq_broker_new(&cfg, err, sizeof(err));
    if (!b) {
        fprintf(stderr, "rmq-broker: %s\n", err);
        rmq_broker_config_free(&cfg);
        return 1;
    }
    printf("The broker[%s, %s:%d] boot success. serializeType=JSON and name server is %s\n",
           cfg.brokerName, cfg.brokerIP1, rmq_broker_port(b),
           cfg.namesrvAddr && *cfg.namesrvAddr ? cfg.namesrvAddr : "(none)");
    fflush(stdout);
    rmq_broker_run(b, true);
    rmq_broker_free(b);
    rmq_broker_config_free(&cfg);
    RMQ_LOGI("broker", "stopped");
    return 0;
}
