#include "broker/subscription.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "protocol/record.h"

/* String.trim: drops every char <= ' ' at both ends. */
static void java_trim(const char **p, size_t *n)
{
    while (*n > 0 && (unsigned char)(*p)[0] <= ' ') {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && (unsigned char)(*p)[*n - 1] <= ' ')
        (*n)--;
}

static bool has_code(const rmq_sub_expr_t *s, int32_t code)
{
    for (size_t i = 0; i < s->ncodes; i++)
        if (s->codes[i] == code)
            return true;
    return false;
}

/* codeSet is a HashSet: a repeated tag adds nothing. */
static void add_tag(rmq_sub_expr_t *s, const char *tag, size_t n, size_t *cap)
{
    int32_t code = rmq_java_hash(tag, n);
    if (has_code(s, code))
        return;
    if (s->ncodes == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        s->codes = rmq_realloc(s->codes, *cap * sizeof(*s->codes));
    }
    s->codes[s->ncodes++] = code;
}

/* Walks the "||"-separated parts as Java's split does; returns how many parts
 * Java's split would keep (trailing empty parts are removed by split). */
static size_t add_tags(rmq_sub_expr_t *s, const char *expr)
{
    size_t cap = 0, kept = 0, parts = 0;
    const char *p = expr;
    for (;;) {
        const char *sep = strstr(p, "||");
        size_t n = sep ? (size_t)(sep - p) : strlen(p);
        parts++;
        if (n > 0)
            kept = parts;
        const char *t = p;
        java_trim(&t, &n);
        if (n > 0)
            add_tag(s, t, n, &cap);
        if (!sep)
            break;
        p = sep + 2;
    }
    return kept;
}

static bool is_tag_type(const char *type)
{
    return !type || !*type || strcmp(type, "TAG") == 0;
}

rmq_sub_parse_t rmq_sub_expr_parse(const char *expr, const char *type, rmq_sub_expr_t *out)
{
    memset(out, 0, sizeof(*out));
    bool empty = !expr || !*expr;
    if (!is_tag_type(type))
        return empty ? RMQ_SUB_BAD : RMQ_SUB_UNSUPPORTED;
    if (empty || strcmp(expr, "*") == 0) {
        out->all = true;
        return RMQ_SUB_OK;
    }
    if (add_tags(out, expr) == 0) {
        rmq_sub_expr_free(out);
        return RMQ_SUB_BAD;
    }
    return RMQ_SUB_OK;
}

bool rmq_sub_expr_match(const rmq_sub_expr_t *s, int64_t tags_code)
{
    return s->all || has_code(s, (int32_t)(uint32_t)(uint64_t)tags_code);
}

void rmq_sub_expr_free(rmq_sub_expr_t *s)
{
    free(s->codes);
    s->codes = NULL;
    s->ncodes = 0;
}
