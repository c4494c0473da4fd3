#include "base/config.h"

#include <ctype.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/log.h"
#include "base/errmsg.h"
#include "base/mem.h"
#include "base/props.h"

static const char *type_name(rmq_conf_type_t type)
{
    switch (type) {
    case RMQ_CONF_INT:
        return "int";
    case RMQ_CONF_LONG:
        return "long";
    case RMQ_CONF_BOOL:
        return "bool";
    case RMQ_CONF_STRING:
        return "string";
    }
    return "?";
}

/* The range a value must fall in: the row's own unless both ends are 0, and
 * never wider than the field can hold. */
static void effective_range(const rmq_conf_def_t *d, int64_t *lo, int64_t *hi)
{
    if (d->type == RMQ_CONF_INT) {
        *lo = INT32_MIN;
        *hi = INT32_MAX;
    } else {
        *lo = INT64_MIN;
        *hi = INT64_MAX;
    }
    if (d->min == 0 && d->max == 0)
        return;
    if (d->min > *lo)
        *lo = d->min;
    if (d->max < *hi)
        *hi = d->max;
}

/* Strict decimal: optional sign, then digits to the end of the string; no
 * blanks, no hex, no trailing garbage (strtoll accepts all three).  Returns -1
 * if malformed or outside int64_t. */
static int parse_int64(const char *s, int64_t *out)
{
    bool neg = false;
    if (*s == '+' || *s == '-') {
        neg = *s == '-';
        s++;
    }
    if (*s == '\0')
        return -1;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned digit = (unsigned)(*s - '0');
        if (v > (limit - digit) / 10)
            return -1;
        v = v * 10 + digit;
    }
    /* -2^63 has no positive counterpart, so negate in unsigned arithmetic. */
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static char *expand_home(const char *s)
{
    if (s[0] != '~' || s[1] != '/')
        return rmq_strdup(s);
    /* $HOME first, as shells do; the password entry is what Java's user.home
     * uses and covers daemons started without HOME. */
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home || !*home)
        return rmq_strdup(s);
    size_t hlen = strlen(home);
    while (hlen > 0 && home[hlen - 1] == '/')
        hlen--; /* "/root/" + "/x" must not become "/root//x"; "/" gives "/x" */
    size_t rest = strlen(s + 1);
    char *p = rmq_malloc(hlen + rest + 1);
    memcpy(p, home, hlen);
    memcpy(p + hlen, s + 1, rest + 1);
    return p;
}

/* Apache RocketMQ trims string settings (MixAll.properties2Object), which
 * forgives the trailing blanks a properties file keeps in values.  Numbers
 * and bools are not trimmed: Java rejects those too, and the error message
 * quotes the value so the blank is visible. */
static char *trim_expand(const char *value)
{
    while (*value && isspace((unsigned char)*value))
        value++;
    size_t n = strlen(value);
    while (n > 0 && isspace((unsigned char)value[n - 1]))
        n--;
    char *trimmed = rmq_strndup(value, n);
    char *p = expand_home(trimmed);
    free(trimmed);
    return p;
}

static void *field(const rmq_conf_def_t *d, void *obj)
{
    return (char *)obj + d->offset;
}

static const void *cfield(const rmq_conf_def_t *d, const void *obj)
{
    return (const char *)obj + d->offset;
}

/* Parses value into d's field of obj, leaving the field untouched on error. */
static int set_row(const rmq_conf_def_t *d, void *obj, const char *value, char *err,
                   size_t errlen)
{
    switch (d->type) {
    case RMQ_CONF_INT:
    case RMQ_CONF_LONG: {
        int64_t lo, hi, v;
        effective_range(d, &lo, &hi);
        if (!value || parse_int64(value, &v) != 0) {
            rmq_set_err(err, errlen,
                    "invalid value '%s' for %s: not a decimal integer (allowed range [%" PRId64
                    ", %" PRId64 "])",
                    value ? value : "(null)", d->name, lo, hi);
            return RMQ_CONF_INVALID;
        }
        if (v < lo || v > hi) {
            rmq_set_err(err, errlen,
                    "invalid value '%s' for %s: out of range [%" PRId64 ", %" PRId64 "]", value,
                    d->name, lo, hi);
            return RMQ_CONF_INVALID;
        }
        if (d->type == RMQ_CONF_INT)
            *(int32_t *)field(d, obj) = (int32_t)v;
        else
            *(int64_t *)field(d, obj) = v;
        return RMQ_CONF_OK;
    }
    case RMQ_CONF_BOOL:
        /* Java's Boolean.parseBoolean reads any typo as false; refusing it
         * is kinder than silently turning a feature off. */
        if (value && strcasecmp(value, "true") == 0) {
            *(bool *)field(d, obj) = true;
        } else if (value && strcasecmp(value, "false") == 0) {
            *(bool *)field(d, obj) = false;
        } else {
            rmq_set_err(err, errlen, "invalid value '%s' for %s: expected true or false",
                    value ? value : "(null)", d->name);
            return RMQ_CONF_INVALID;
        }
        return RMQ_CONF_OK;
    case RMQ_CONF_STRING: {
        char **slot = field(d, obj);
        free(*slot);
        *slot = value ? trim_expand(value) : NULL;
        return RMQ_CONF_OK;
    }
    }
    rmq_set_err(err, errlen, "%s has an unknown type %d", d->name, (int)d->type);
    return RMQ_CONF_INVALID;
}

void rmq_conf_defaults(const rmq_conf_def_t *defs, void *obj)
{
    for (const rmq_conf_def_t *d = defs; d->name; d++) {
        if (d->type == RMQ_CONF_STRING) {
            /* The field may hold garbage (a fresh struct), so do not free. */
            *(char **)field(d, obj) = d->defval ? expand_home(d->defval) : NULL;
            continue;
        }
        if (!d->defval) {
            if (d->type == RMQ_CONF_INT)
                *(int32_t *)field(d, obj) = 0;
            else if (d->type == RMQ_CONF_LONG)
                *(int64_t *)field(d, obj) = 0;
            else
                *(bool *)field(d, obj) = false;
            continue;
        }
        char err[256];
        if (set_row(d, obj, d->defval, err, sizeof(err)) != RMQ_CONF_OK) {
            /* The table is compiled in: a bad default is a bug to fix now. */
            RMQ_LOGE("config", "bad default in config table: %s", err);
            abort();
        }
    }
}

int rmq_conf_set(const rmq_conf_def_t *defs, void *obj, const char *name, const char *value,
                 char *err, size_t errlen)
{
    for (const rmq_conf_def_t *d = defs; d->name; d++)
        if (strcmp(d->name, name) == 0)
            return set_row(d, obj, value, err, errlen);
    rmq_set_err(err, errlen, "unknown configuration key '%s'", name);
    return RMQ_CONF_UNKNOWN;
}

typedef struct load_ctx {
    const rmq_conf_def_t *defs;
    void *obj;
    const char *path;
    char *err;
    size_t errlen;
} load_ctx_t;

static int load_one(const char *key, const char *value, void *arg)
{
    load_ctx_t *ctx = arg;
    char msg[512];
    int rc = rmq_conf_set(ctx->defs, ctx->obj, key, value, msg, sizeof(msg));
    if (rc == RMQ_CONF_UNKNOWN) {
        RMQ_LOGW("config", "%s: ignoring unknown key '%s'", ctx->path, key);
        return 0;
    }
    if (rc != RMQ_CONF_OK) {
        rmq_set_err(ctx->err, ctx->errlen, "%s: %s", ctx->path, msg);
        return -1;
    }
    return 0;
}

int rmq_conf_load_file(const rmq_conf_def_t *defs, void *obj, const char *path, char *err,
                       size_t errlen)
{
    load_ctx_t ctx = {defs, obj, path, err, errlen};
    return rmq_props_load_file(path, load_one, &ctx, err, errlen) == 0 ? 0 : -1;
}

void rmq_conf_print(const rmq_conf_def_t *defs, const void *obj, FILE *out)
{
    for (const rmq_conf_def_t *d = defs; d->name; d++) {
        const void *f = cfield(d, obj);
        switch (d->type) {
        case RMQ_CONF_INT:
            fprintf(out, "%s=%" PRId32 "\n", d->name, *(const int32_t *)f);
            break;
        case RMQ_CONF_LONG:
            fprintf(out, "%s=%" PRId64 "\n", d->name, *(const int64_t *)f);
            break;
        case RMQ_CONF_BOOL:
            fprintf(out, "%s=%s\n", d->name, *(const bool *)f ? "true" : "false");
            break;
        case RMQ_CONF_STRING: {
            const char *s = *(char *const *)f;
            fprintf(out, "%s=%s\n", d->name, s ? s : "");
            break;
        }
        }
    }
}

/* Writes s as one table cell: '|' would end the cell and a newline the row. */
static void md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

void rmq_conf_print_markdown(const rmq_conf_def_t *defs, FILE *out)
{
    fputs("| key | type | default | range | description |\n", out);
    fputs("|-----|------|---------|-------|-------------|\n", out);
    for (const rmq_conf_def_t *d = defs; d->name; d++) {
        fputs("| `", out);
        md_cell(out, d->name);
        fprintf(out, "` | %s | ", type_name(d->type));
        if (d->defval && *d->defval) {
            fputc('`', out);
            md_cell(out, d->defval);
            fputc('`', out);
        }
        fputs(" | ", out);
        if ((d->type == RMQ_CONF_INT || d->type == RMQ_CONF_LONG) && (d->min || d->max))
            fprintf(out, "%" PRId64 " .. %" PRId64, d->min, d->max);
        fputs(" | ", out);
        md_cell(out, d->doc ? d->doc : "");
        fputs(" |\n", out);
    }
}

void rmq_conf_free(const rmq_conf_def_t *defs, void *obj)
{
    for (const rmq_conf_def_t *d = defs; d->name; d++) {
        if (d->type != RMQ_CONF_STRING)
            continue;
        char **slot = field(d, obj);
        free(*slot);
        *slot = NULL;
    }
}

void rmq_conf_dup_strings(const rmq_conf_def_t *defs, void *obj)
{
    for (const rmq_conf_def_t *d = defs; d->name; d++) {
        if (d->type != RMQ_CONF_STRING)
            continue;
        char **p = (char **)((char *)obj + d->offset);
        *p = rmq_strdup(*p ? *p : "");
    }
}
