#include "tools/rmq/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include "base/mem.h"
#include "base/num.h"
#include "protocol/pull_headers.h"
#include "remoting/client.h"

rmq_admin_t *cli_admin(rmq_cli_t *cli)
{
    if (cli->admin)
        return cli->admin;
    char err[256];
    cli->admin = rmq_admin_new(cli->namesrv, cli->timeout_ms, err, sizeof(err));
    if (!cli->admin)
        cli_fail(cli, "%s", err);
    return cli->admin;
}

static void vfail(rmq_cli_t *cli, const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof(line), fmt, ap);
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "rmq %s: %s\n", cli->cmd ? cli->cmd : "", line);
}

int cli_fail(rmq_cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(cli, fmt, ap);
    va_end(ap);
    return RMQ_EXIT_FAIL;
}

int cli_usage(rmq_cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "rmq %s: ", cli->cmd ? cli->cmd : "");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see rmq help %s)\n", cli->cmd ? cli->cmd : "");
    va_end(ap);
    return RMQ_EXIT_USAGE;
}

const char *cli_first_line(char *s)
{
    char *nl = strchr(s, '\n');
    if (nl)
        *nl = '\0';
    return s;
}

const char *cli_or_empty(const char *s)
{
    return s ? s : "";
}

size_t cli_namesrv_list(const rmq_cli_t *cli, char ***out)
{
    const char *list = cli->namesrv && *cli->namesrv ? cli->namesrv : getenv("NAMESRV_ADDR");
    size_t n = 0;
    *out = NULL;
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        size_t k = len;
        while (k > 0 && (*s == ' ' || *s == '\t'))
            s++, k--;
        while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t' || s[k - 1] == '\n'))
            k--;
        if (k > 0) {
            *out = rmq_realloc(*out, (n + 1) * sizeof(char *));
            (*out)[n++] = rmq_strndup(s, k);
        }
        p = end ? end + 1 : p + len;
    }
    return n;
}

void cli_strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int cli_call_ok(rmq_admin_t *a, const char *what, const char *addr, rmq_cmd_t *req,
                rmq_cmd_t **resp, char *err, size_t errlen)
{
    *resp = NULL;
    int rc = rmq_rclient_invoke_sync(rmq_instance_rclient(rmq_admin_instance(a)), addr, req,
                                     rmq_admin_timeout(a), resp);
    if (rc != 0) {
        snprintf(err, errlen, "%s %s: %s", what, addr, rocketmq_err_str(rc));
        return rc;
    }
    int code = (*resp)->code;
    if (code != 0) {
        snprintf(err, errlen, "%s %s: CODE: %d DESC: %s", what, addr, code,
                 (*resp)->remark ? (*resp)->remark : "");
        rmq_cmd_free(*resp);
        *resp = NULL;
        return code;
    }
    return 0;
}

const char *cli_select_addr(const rmq_broker_data_t *bd)
{
    const char *m = rmq_broker_data_get_addr(bd, 0);
    return m ? m : (bd->naddrs > 0 ? bd->addrs[0].addr : NULL);
}

bool cli_parse_date_ms(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, ms, end = 0;
    if (sscanf(s, "%4d-%2d-%2d#%2d:%2d:%2d:%3d%n", &y, &mo, &d, &h, &mi, &sec, &ms, &end) != 7 ||
        s[end] != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || sec < 0 || sec > 60 || ms < 0)
        return false;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return false;
    *out = (int64_t)t * 1000 + ms;
    return true;
}

int cli_topic_route(rmq_cli_t *cli, rmq_admin_t *a, const char *topic, rmq_topic_route_t *route)
{
    char err[512];
    int rc = rmq_admin_topic_route(a, topic, route, err, sizeof(err));
    if (rc == ROCKETMQ_ERR_TOPIC_NOT_EXIST)
        return cli_fail(cli, "topic %s does not exist (no route info on the name server)", topic);
    if (rc != 0)
        return cli_fail(cli, "%s", cli_first_line(err));
    return 0;
}

int cli_check_topic(rmq_cli_t *cli, const char *topic)
{
    rmq_admin_t *a = cli_admin(cli);
    if (!a)
        return RMQ_EXIT_FAIL;
    rmq_topic_route_t route;
    int rc = cli_topic_route(cli, a, topic, &route);
    if (rc == 0)
        rmq_topic_route_free(&route);
    return rc;
}

int cli_help(rmq_cli_t *cli)
{
    if (cli->command)
        printf("rmq %s: %s\n\n%s", cli->command->name, cli->command->summary, cli->command->usage);
    return RMQ_EXIT_OK;
}

int cli_no_operands(rmq_cli_t *cli, int argc, char **argv)
{
    int i = cli_optind();
    if (i < argc)
        return cli_usage(cli, "unexpected argument '%s'", argv[i]);
    return 0;
}

int cli_parse_bool(rmq_cli_t *cli, const char *flag, const char *v, bool *out)
{
    if (v && strcasecmp(v, "true") == 0)
        *out = true;
    else if (v && strcasecmp(v, "false") == 0)
        *out = false;
    else
        return cli_usage(cli, "%s wants true or false, not '%s'", flag, v ? v : "");
    return 0;
}

/* ---- options ---- */

enum { OPT_JSON = 1000, OPT_TIMEOUT, OPT_HELP };

int cli_getopt(rmq_cli_t *cli, int argc, char **argv, const char *shortopts,
               const cli_opt_t *longopts, const char **optarg_out)
{
    static char spec[128];
    static struct option opts[64];
    static int prepared_for = -1;
    if (prepared_for != argc) { /* the first call of a parse */
        snprintf(spec, sizeof(spec), "+:n:h%s", shortopts ? shortopts : "");
        size_t k = 0;
        for (const cli_opt_t *o = longopts; o && o->val && k < 58; o++)
            if (o->name)
                opts[k++] = (struct option){o->name, o->has_arg, NULL, o->val};
        opts[k++] = (struct option){"json", 0, NULL, OPT_JSON};
        opts[k++] = (struct option){"timeout-ms", 1, NULL, OPT_TIMEOUT};
        opts[k++] = (struct option){"help", 0, NULL, 'h'};
        opts[k++] = (struct option){"namesrv", 1, NULL, 'n'};
        opts[k] = (struct option){NULL, 0, NULL, 0};
        optind = 1;
        opterr = 0;
        prepared_for = argc;
    }
    for (;;) {
        int c = getopt_long(argc, argv, spec, opts, NULL);
        *optarg_out = optarg;
        if (c == -1) {
            prepared_for = -1;
            return -1;
        }
        if (c == 'n') {
            cli->namesrv = optarg;
        } else if (c == OPT_JSON) {
            cli->json = true;
        } else if (c == OPT_TIMEOUT) {
            int64_t v = 0;
            if (cli_parse_i64(cli, "--timeout-ms", optarg, 1, 3600000, &v) != 0)
                return '?';
            cli->timeout_ms = (int)v;
        } else if (c == '?' || c == ':') {
            const char *what = c == ':' ? "needs a value" : "is unknown";
            if (optopt)
                cli_usage(cli, "option -%c %s", optopt, what);
            else
                cli_usage(cli, "option %s %s", argv[optind - 1], what);
            prepared_for = -1;
            return '?';
        } else {
            return c; /* 'h' or the subcommand's */
        }
    }
}

int cli_parse_str_opts(rmq_cli_t *cli, int argc, char **argv, const cli_str_opt_t *opts,
                       size_t n, rmq_admin_t **admin)
{
    char shortopts[64] = "";
    cli_opt_t longopts[16];
    size_t k = 0, len = 0;
    for (; k < n && k < 15 && len + 3 < sizeof(shortopts); k++) {
        shortopts[len++] = opts[k].c;
        shortopts[len++] = ':';
        longopts[k] = (cli_opt_t){opts[k].name, 1, opts[k].c};
        *opts[k].value = NULL;
    }
    shortopts[len] = '\0';
    longopts[k] = (cli_opt_t){NULL, 0, 0};
    const char *arg;
    int c;
    while ((c = cli_getopt(cli, argc, argv, shortopts, longopts, &arg)) != -1) {
        if (c == 'h')
            return cli_help(cli);
        size_t i = 0;
        while (i < k && opts[i].c != c)
            i++;
        if (i == k)
            return RMQ_EXIT_USAGE; /* '?': the message is printed */
        *opts[i].value = arg;
    }
    if (cli_no_operands(cli, argc, argv) != 0)
        return RMQ_EXIT_USAGE;
    for (size_t i = 0; i < k; i++)
        if (opts[i].required && (!*opts[i].value || !**opts[i].value))
            return cli_usage(cli, "-%c %s is required", opts[i].c, opts[i].required);
    if (!admin)
        return -1;
    *admin = cli_admin(cli);
    return *admin ? -1 : RMQ_EXIT_FAIL;
}

int cli_parse_one_str_opt(rmq_cli_t *cli, int argc, char **argv, cli_str_opt_t opt,
                          rmq_admin_t **admin)
{
    return cli_parse_str_opts(cli, argc, argv, &opt, 1, admin);
}

int cli_target_addrs(rmq_cli_t *cli, rmq_admin_t *a, const char *broker, const char *cluster,
                     bool need_one, char ***addrs, size_t *n)
{
    *addrs = NULL;
    *n = 0;
    if (broker) {
        *addrs = rmq_malloc(sizeof(char *));
        (*addrs)[(*n)++] = rmq_strdup(broker);
        return 0;
    }
    char err[512];
    if (rmq_admin_master_addrs(a, cluster, addrs, n, err, sizeof(err)) != 0)
        return cli_fail(cli, "%s", cli_first_line(err));
    if (need_one && *n == 0) {
        cli_strv_free(*addrs, *n);
        *addrs = NULL;
        return cli_fail(cli, "cluster %s has no master broker", cluster);
    }
    return 0;
}

int cli_broker_offset(rmq_admin_t *a, const char *addr, rmq_cmd_t *req, int64_t *out, char *err,
                      size_t errlen)
{
    rmq_cmd_t *resp = NULL;
    int rc = rmq_admin_broker_ok(a, addr, req, &resp, err, errlen);
    if (rc != 0)
        return rc;
    rmq_offset_resp_t rh;
    rc = rmq_header_decode(&rmq_get_max_offset_resp_desc, &resp->ext, &rh, err, errlen);
    rmq_cmd_free(resp);
    if (rc == 0)
        *out = rh.offset;
    return rc;
}

int cli_optind(void)
{
    return optind;
}

int cli_parse_i64(rmq_cli_t *cli, const char *flag, const char *v, int64_t min, int64_t max,
                  int64_t *out)
{
    int64_t x;
    if (!v || rmq_parse_i64(v, &x) != 0 || x < min || x > max)
        return cli_usage(cli, "%s wants an integer in [%lld, %lld], not '%s'", flag,
                         (long long)min, (long long)max, v ? v : "");
    *out = x;
    return 0;
}

/* ---- tables ---- */

struct cli_table {
    size_t ncols;
    char **headers;
    char ***rows;
    size_t nrows;
};

cli_table_t *cli_table_new(const char *const *headers)
{
    cli_table_t *t = rmq_calloc(1, sizeof(*t));
    while (headers[t->ncols])
        t->ncols++;
    t->headers = rmq_calloc(t->ncols, sizeof(char *));
    for (size_t i = 0; i < t->ncols; i++)
        t->headers[i] = rmq_strdup(headers[i]);
    return t;
}

void cli_table_row(cli_table_t *t, ...)
{
    va_list ap;
    va_start(ap, t);
    char **row = rmq_calloc(t->ncols, sizeof(char *));
    for (size_t i = 0; i < t->ncols; i++) {
        const char *cell = va_arg(ap, const char *);
        row[i] = rmq_strdup(cell ? cell : "");
    }
    va_end(ap);
    t->rows = rmq_realloc(t->rows, (t->nrows + 1) * sizeof(char **));
    t->rows[t->nrows++] = row;
}

static void print_cell(const char *s, size_t width, bool last)
{
    if (last)
        printf("%s\n", s);
    else
        printf("%-*s  ", (int)width, s);
}

void cli_table_print(rmq_cli_t *cli, cli_table_t *t)
{
    if (cli->json) {
        json_t *arr = json_array();
        for (size_t r = 0; r < t->nrows; r++) {
            json_t *o = json_object();
            for (size_t c = 0; c < t->ncols; c++)
                json_object_set_new(o, t->headers[c], json_string(t->rows[r][c]));
            json_array_append_new(arr, o);
        }
        cli_json_print(arr);
    } else {
        size_t *w = rmq_calloc(t->ncols, sizeof(size_t));
        for (size_t c = 0; c < t->ncols; c++) {
            w[c] = strlen(t->headers[c]);
            for (size_t r = 0; r < t->nrows; r++)
                if (strlen(t->rows[r][c]) > w[c])
                    w[c] = strlen(t->rows[r][c]);
        }
        for (size_t c = 0; c < t->ncols; c++)
            print_cell(t->headers[c], w[c], c + 1 == t->ncols);
        for (size_t r = 0; r < t->nrows; r++)
            for (size_t c = 0; c < t->ncols; c++)
                print_cell(t->rows[r][c], w[c], c + 1 == t->ncols);
        free(w);
    }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++)
            free(t->rows[r][c]);
        free(t->rows[r]);
    }
    for (size_t c = 0; c < t->ncols; c++)
        free(t->headers[c]);
    free(t->headers);
    free(t->rows);
    free(t);
}

void cli_json_print(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    json_decref(v);
}
