/* rmq-namesrv: options in, name server out (see namesrv.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "namesrv/namesrv.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rmq-namesrv [-c FILE] [-p] [-h]\n"
            "  -c FILE  name server config file (Java properties: listenPort, kvConfigPath, ...)\n"
            "  -p       print the effective configuration and exit\n"
            "  -m       print the configuration keys as a Markdown table and exit\n"
            "  -h       this help\n"
            "Environment: RMQ_LOG_LEVEL=error|warn|info|debug (default info).\n");
}

int main(int argc, char **argv)
{
    const char *level = getenv("RMQ_LOG_LEVEL");
    if (level && rmq_log_level_parse(level) >= 0)
        rmq_log_set_level((rmq_log_level_t)rmq_log_level_parse(level));

    const char *conf_file = NULL;
    int print = 0, opt;
    while ((opt = getopt(argc, argv, "c:pmh")) != -1) {
        switch (opt) {
        case 'c': conf_file = optarg; break;
        case 'p': print = 1; break;
        case 'm': rmq_conf_print_markdown(rmq_namesrv_conf_defs, stdout); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rmq-namesrv: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    rmq_namesrv_config_t cfg;
    char err[512];
    rmq_conf_defaults(rmq_namesrv_conf_defs, &cfg);
    if (conf_file && rmq_conf_load_file(rmq_namesrv_conf_defs, &cfg, conf_file, err, sizeof(err))) {
        fprintf(stderr, "rmq-namesrv: %s\n", err);
        rmq_conf_free(rmq_namesrv_conf_defs, &cfg);
        return 1;
    }
    if (print) {
        rmq_conf_print(rmq_namesrv_conf_defs, &cfg, stdout);
        rmq_conf_free(rmq_namesrv_conf_defs, &cfg);
        return 0;
    }
    rmq_namesrv_t *ns = rmq_namesrv_new(&cfg, err, sizeof(err));
    if (!ns) {
        fprintf(stderr, "rmq-namesrv: %s\n", err);
        rmq_conf_free(rmq_namesrv_conf_defs, &cfg);
        return 1;
    }
    /* Scripts and tests wait for this line (it names the port actually bound). */
    printf("The Name Server boot success. serializeType=JSON, listening on %s:%d\n",
           cfg.bindAddress, rmq_namesrv_port(ns));
    fflush(stdout);
    rmq_namesrv_run(ns, true);
    rmq_namesrv_free(ns);
    rmq_conf_free(rmq_namesrv_conf_defs, &cfg);
    RMQ_LOGI("namesrv", "stopped");
    return 0;
}
