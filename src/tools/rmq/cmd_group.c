#include "tools/rmq/cli.h"

const rmq_command_t rmq_cmds_group[] = {
    {NULL, NULL, NULL, NULL},
};
