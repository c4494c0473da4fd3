#include "tools/rmq/cli.h"

const rmq_command_t rmq_cmds_send[] = {
    {NULL, NULL, NULL, NULL},
};
