/* The rmq command-line tool: what RocketMQ users do with mqadmin and the
 * benchmark tools, on librocketmq.  Each source file of src/tools/rmq
 * defines a group of subcommands (a table ending with a NULL name); main.c
 * dispatches.
 *
 * Conventions for every subcommand:
 *   - mqadmin's names and flags (-n name server, -t topic, -c cluster,
 *     -b broker address, -g group, ...); -n falls back to NAMESRV_ADDR;
 *     --json prints one JSON document instead of the table; -h prints the
 *     subcommand's help;
 *   - exit status 0 on success, 1 when the operation failed (unreachable
 *     server, unknown topic or group, error answered by a server), 2 for bad
 *     usage; failures print exactly one line on stderr:
 *     "rmq <subcommand>: <what went wrong>". */
#ifndef RMQ_TOOLS_RMQ_CLI_H
#define RMQ_TOOLS_RMQ_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "client/admin.h"

#define RMQ_EXIT_OK 0
#define RMQ_EXIT_FAIL 1
#define RMQ_EXIT_USAGE 2

typedef struct rmq_cli rmq_cli_t;

typedef struct rmq_command {
    const char *name;    /* "updateTopic", "bench produce" is "bench" + its own dispatch */
    const char *summary; /* one line for `rmq help` */
    const char *usage;   /* the text of `rmq help NAME`: synopsis and flags */
    /* argv[0] is the subcommand name; getopt_long-style parsing is the
     * subcommand's (cli_getopt below) */
    int (*run)(rmq_cli_t *cli, int argc, char **argv);
} rmq_command_t;

/* The groups (each array ends with {NULL}). */
extern const rmq_command_t rmq_cmds_topic[];   /* cmd_topic.c */
extern const rmq_command_t rmq_cmds_cluster[]; /* cmd_cluster.c */
extern const rmq_command_t rmq_cmds_group[];   /* cmd_group.c */
extern const rmq_command_t rmq_cmds_msg[];     /* cmd_msg.c */
extern const rmq_command_t rmq_cmds_send[];    /* cmd_send.c: send, consume */
extern const rmq_command_t rmq_cmds_bench[];   /* cmd_bench.c: bench produce|consume */

/* ---- per-invocation state (cli.c) ---- */

struct rmq_cli {
    const char *cmd;     /* the subcommand name, for messages */
    const rmq_command_t *command; /* the subcommand (cli_help) */
    const char *namesrv; /* -n, else NULL (NAMESRV_ADDR) */
    bool json;           /* --json */
    int timeout_ms;      /* --timeout-ms, default 5000 */
    rmq_admin_t *admin;  /* created by cli_admin() on first use */
};

/* The admin client (connecting with -n / NAMESRV_ADDR), or NULL after
 * printing the one-line error. */
rmq_admin_t *cli_admin(rmq_cli_t *cli);
/* Prints "rmq <cmd>: <message>" on stderr, on one line (line breaks in
 * server remarks become spaces), and returns RMQ_EXIT_FAIL. */
int cli_fail(rmq_cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same for bad usage: also points at `rmq help <cmd>`; returns RMQ_EXIT_USAGE. */
int cli_usage(rmq_cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Option parsing shared by subcommands: the subcommand's own options in
 * getopt_long form plus the common ones (-n ADDR, --json, --timeout-ms MS,
 * -h/--help), which cli_getopt handles itself.  Returns the next option
 * character of the subcommand's, -1 at the end, or:
 *   '?'  bad option (message printed; return RMQ_EXIT_USAGE),
 *   'h'  help wanted (print the usage; return RMQ_EXIT_OK). */
typedef struct cli_opt {
    const char *name; /* long name, or NULL */
    int has_arg;      /* 0 or 1 */
    int val;          /* the short option character (also returned for the long name) */
} cli_opt_t;
int cli_getopt(rmq_cli_t *cli, int argc, char **argv, const char *shortopts,
               const cli_opt_t *longopts, const char **optarg_out);
/* Index of the first non-option argument after cli_getopt returned -1. */
int cli_optind(void);

/* One string option of a subcommand whose options are all strings:
 * -c / --name VALUE into *value; `required` names the value for the usage
 * error ("TOPIC": "-t TOPIC is required"), NULL for an optional one. */
typedef struct cli_str_opt {
    char c;
    const char *name;
    const char **value;
    const char *required;
} cli_str_opt_t;
/* The start of such a subcommand: the options (help, bad options), no
 * operands, the required ones present and non-empty, then the admin client
 * into *admin (admin NULL: the caller checks more first and connects
 * itself).  -1 to go on, otherwise the exit status to return. */
int cli_parse_str_opts(rmq_cli_t *cli, int argc, char **argv, const cli_str_opt_t *opts,
                       size_t n, rmq_admin_t **admin);
/* The same for a subcommand whose only option is one required string. */
int cli_parse_one_str_opt(rmq_cli_t *cli, int argc, char **argv, cli_str_opt_t opt,
                          rmq_admin_t **admin);
/* The brokers an admin write goes to: broker (-b) alone, or the masters of
 * cluster (-c).  0 and *addrs (cli_strv_free), or the one-line failure and
 * RMQ_EXIT_FAIL; with need_one, a cluster without a master is a failure. */
int cli_target_addrs(rmq_cli_t *cli, rmq_admin_t *a, const char *broker, const char *cluster,
                     bool need_one, char ***addrs, size_t *n);
/* One offset request (GET_MIN/MAX_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP;
 * consumed) to the broker at addr: 0 and *out, or the error in err. */
int cli_broker_offset(rmq_admin_t *a, const char *addr, rmq_cmd_t *req, int64_t *out, char *err,
                      size_t errlen);

/* 0 when the name server knows topic; otherwise the one-line failure
 * ("topic T does not exist", or why the name server could not be asked):
 * a consumer of an unknown topic would wait for nothing. */
int cli_check_topic(rmq_cli_t *cli, const char *topic);
/* ---- helpers the subcommands share ---- */

/* Cuts s at its first line break: server remarks may carry more lines (the
 * name server adds a FAQ link). */
const char *cli_first_line(char *s);
/* s, or "" for NULL. */
const char *cli_or_empty(const char *s);
/* The name servers of -n / NAMESRV_ADDR, split at ';' and trimmed, as the
 * client splits them; *out malloc'ed (cli_strv_free). */
size_t cli_namesrv_list(const rmq_cli_t *cli, char ***out);
void cli_strv_free(char **v, size_t n);
/* One request (consumed) to the server at addr (what: "broker" or "name
 * server"); a response code other than 0 is an error too.  err names the
 * server. */
int cli_call_ok(rmq_admin_t *a, const char *what, const char *addr, rmq_cmd_t *req,
                rmq_cmd_t **resp, char *err, size_t errlen);
/* BrokerData.selectBrokerAddr: the master, else the first slave (Java picks
 * a random one); NULL when none. */
const char *cli_select_addr(const rmq_broker_data_t *bd);
/* UtilAll.parseDate(s, "yyyy-MM-dd#HH:mm:ss:SSS") in local time. */
bool cli_parse_date_ms(const char *s, int64_t *out);
/* The route of topic, or the one-line failure ("topic T does not exist ..."
 * for an unknown topic) and RMQ_EXIT_FAIL. */
int cli_topic_route(rmq_cli_t *cli, rmq_admin_t *a, const char *topic, rmq_topic_route_t *route);

/* The subcommand's help text on stdout; returns RMQ_EXIT_OK. */
int cli_help(rmq_cli_t *cli);
/* RMQ_EXIT_USAGE (with the message) when arguments are left after the
 * options, 0 otherwise. */
int cli_no_operands(rmq_cli_t *cli, int argc, char **argv);
/* Only "true" or "false" (any case): Java's parseBoolean would take a typo
 * as false.  0, or RMQ_EXIT_USAGE with the message. */
int cli_parse_bool(rmq_cli_t *cli, const char *flag, const char *v, bool *out);

/* Number parsing with a clear error (RMQ_EXIT_USAGE on failure). */
int cli_parse_i64(rmq_cli_t *cli, const char *flag, const char *v, int64_t min, int64_t max,
                  int64_t *out);

/* ---- output: tables like mqadmin's, or JSON with --json ---- */

typedef struct cli_table cli_table_t;
/* A table with the given column headers (NULL-terminated). */
cli_table_t *cli_table_new(const char *const *headers);
/* Adds a row of ncols printf-formatted cells: each argument is a string. */
void cli_table_row(cli_table_t *t, ...);
/* Prints it: aligned columns (text) or an array of objects keyed by the
 * headers (--json), then frees it. */
void cli_table_print(rmq_cli_t *cli, cli_table_t *t);
/* Prints a JSON value (--json) with a newline, and decrefs it. */
void cli_json_print(json_t *v);

#endif
