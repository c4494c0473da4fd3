/* Prints a configuration table as Markdown (the docs/ config tables are generated
 * from the tables with it, and a test checks they did not drift). */
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "broker/broker.h"
#include "namesrv/namesrv.h"
#include "store/store.h"

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "namesrv") == 0)
        rmq_conf_print_markdown(rmq_namesrv_conf_defs, stdout);
    else if (strcmp(which, "broker") == 0)
        rmq_conf_print_markdown(rmq_broker_conf_defs, stdout);
    else if (strcmp(which, "store") == 0)
        rmq_conf_print_markdown(rmq_store_conf_defs, stdout);
    else {
        fprintf(stderr, "usage: print_conf namesrv|broker|store\n");
        return 2;
    }
    return 0;
}
