/* rmq: one program for what RocketMQ users do with mqadmin and the
 * benchmark tools.
 *
 *   rmq help [SUBCOMMAND]
 *   rmq SUBCOMMAND [-n NAMESRV] [--json] [flags...]
 *
 * See cli.h for the conventions every subcommand follows. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/rmq/cli.h"

static const rmq_command_t *const g_groups[] = {
    rmq_cmds_topic, rmq_cmds_cluster, rmq_cmds_group, rmq_cmds_msg, rmq_cmds_send, rmq_cmds_bench,
};
#define RMQ_NGROUPS (sizeof(g_groups) / sizeof(g_groups[0]))

static const rmq_command_t *find(const char *name)
{
    for (size_t g = 0; g < RMQ_NGROUPS; g++)
        for (const rmq_command_t *c = g_groups[g]; c->name; c++)
            if (strcmp(c->name, name) == 0)
                return c;
    return NULL;
}

static void list_commands(FILE *out)
{
    fprintf(out, "usage: rmq SUBCOMMAND [-n NAMESRV_ADDR] [--json] [flags]\n"
                 "       rmq help SUBCOMMAND\n\nsubcommands:\n");
    for (size_t g = 0; g < RMQ_NGROUPS; g++)
        for (const rmq_command_t *c = g_groups[g]; c->name; c++)
            fprintf(out, "  %-22s %s\n", c->name, c->summary);
    fprintf(out, "\nCommon flags: -n host:port[;host:port] (default: $NAMESRV_ADDR), --json,\n"
                 "--timeout-ms MS (default 5000), -h.\n");
}

static int help(const char *name)
{
    if (!name) {
        list_commands(stdout);
        return RMQ_EXIT_OK;
    }
    const rmq_command_t *c = find(name);
    if (!c) {
        fprintf(stderr, "rmq help: unknown subcommand '%s' (rmq help lists them)\n", name);
        return RMQ_EXIT_USAGE;
    }
    printf("rmq %s: %s\n\n%s", c->name, c->summary, c->usage);
    return RMQ_EXIT_OK;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    /* The library's own warnings (a server that cannot be reached) would
     * come before the tool's one-line error; RMQ_LOG_LEVEL still wins. */
    setenv("RMQ_LOG_LEVEL", "error", 0);
    if (argc < 2) {
        list_commands(stderr);
        return RMQ_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0)
        return help(argc > 2 ? argv[2] : NULL);
    const rmq_command_t *c = find(name);
    if (!c) {
        fprintf(stderr, "rmq: unknown subcommand '%s' (rmq help lists them)\n", name);
        return RMQ_EXIT_USAGE;
    }
    rmq_cli_t cli = {.cmd = c->name, .command = c, .timeout_ms = 5000};
    int rc = c->run(&cli, argc - 1, argv + 1);
    rmq_admin_free(cli.admin);
    return rc;
}
