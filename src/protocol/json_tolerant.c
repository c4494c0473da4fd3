/* Reading fastjson output with jansson.
 *
 * fastjson writes map keys that are not Strings without quotes: Long keys as
 * bare numbers ({0:"addr"}) and bean keys as whole objects
 * ({{"brokerName":"b","queueId":0,"topic":"T"}:{...}}).  Rather than writing a
 * second JSON parser, a single pass rewrites those keys into strings and
 * copies every other token unchanged (only whitespace between tokens is
 * dropped); jansson then does the real parsing
 * and validation.  The pass only has to know where keys are, so it tracks
 * structure, skips strings, and copies scalar tokens unchecked.
 *
 * The input is untrusted (bodies from any peer, fuzzed in tests): every read
 * is bounds-checked and nesting is limited to MAX_DEPTH, so a hostile body
 * cannot exhaust the stack. */
#include "protocol/bodies.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "rocketmq/error.h"

/* RocketMQ bodies nest at most ~6 levels; 64 leaves room for any sane peer. */
#define MAX_DEPTH 64

typedef struct norm {
    const uint8_t *s;
    size_t len;
    size_t pos;
    char *err;
    size_t errlen;
} norm_t;

static int norm_value(norm_t *n, rmq_buf_t *out, int depth);

static int norm_fail(norm_t *n, const char *what)
{
    if (n->err && n->errlen)
        snprintf(n->err, n->errlen, "json: %s at offset %zu", what, n->pos);
    return -1;
}

static void skip_ws(norm_t *n)
{
    while (n->pos < n->len) {
        uint8_t c = n->s[n->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        n->pos++;
    }
}

static bool is_delim(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':' || c == '['
           || c == ']' || c == '{' || c == '}' || c == '"';
}

/* Characters fastjson can put in an unquoted key: numbers (Long, Integer,
 * negative, decimal) and identifiers (true/false, Java-style names). */
static bool is_bare_key_char(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
           || c == '$' || c == '-' || c == '+' || c == '.';
}

/* Copies a string token verbatim; escapes are only skipped, jansson checks them. */
static int norm_string(norm_t *n, rmq_buf_t *out)
{
    size_t start = n->pos;
    size_t i = start + 1;
    while (i < n->len) {
        uint8_t c = n->s[i];
        if (c == '\\') {
            i += 2;
            continue;
        }
        if (c == '"') {
            rmq_buf_append(out, n->s + start, i + 1 - start);
            n->pos = i + 1;
            return 0;
        }
        i++;
    }
    return norm_fail(n, "unterminated string");
}

static int norm_scalar(norm_t *n, rmq_buf_t *out)
{
    size_t start = n->pos;
    while (n->pos < n->len && !is_delim(n->s[n->pos]))
        n->pos++;
    if (n->pos == start)
        return norm_fail(n, n->pos < n->len ? "unexpected character" : "unexpected end of input");
    rmq_buf_append(out, n->s + start, n->pos - start);
    return 0;
}

/* An object or array in key position becomes a string holding its compact,
 * key-sorted JSON, so equal MessageQueues always give equal keys whatever
 * order or spacing the writer used. */
static int norm_composite_key(norm_t *n, rmq_buf_t *out, int depth)
{
    rmq_buf_t kb = RMQ_BUF_INIT;
    if (norm_value(n, &kb, depth + 1) != 0) {
        rmq_buf_free(&kb);
        return -1;
    }
    json_error_t je;
    json_t *k = json_loadb((const char *)kb.data, kb.len, 0, &je);
    rmq_buf_free(&kb);
    if (!k)
        return norm_fail(n, "invalid object key");
    char *text = json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(k);
    if (!text)
        return norm_fail(n, "invalid object key");
    json_t *ks = json_string(text);
    free(text);
    if (!ks)
        return norm_fail(n, "invalid object key");
    rmq_json_dump_append(ks, out);
    json_decref(ks);
    return 0;
}

static int norm_key(norm_t *n, rmq_buf_t *out, int depth)
{
    if (n->pos >= n->len)
        return norm_fail(n, "unexpected end of input");
    uint8_t c = n->s[n->pos];
    if (c == '"')
        return norm_string(n, out);
    if (c == '{' || c == '[')
        return norm_composite_key(n, out, depth);
    size_t start = n->pos;
    while (n->pos < n->len && is_bare_key_char(n->s[n->pos]))
        n->pos++;
    if (n->pos == start)
        return norm_fail(n, "invalid object key");
    rmq_buf_append_u8(out, '"');
    rmq_buf_append(out, n->s + start, n->pos - start);
    rmq_buf_append_u8(out, '"');
    return 0;
}

static int norm_object(norm_t *n, rmq_buf_t *out, int depth)
{
    rmq_buf_append_u8(out, '{');
    n->pos++;
    skip_ws(n);
    if (n->pos < n->len && n->s[n->pos] == '}') {
        rmq_buf_append_u8(out, '}');
        n->pos++;
        return 0;
    }
    for (;;) {
        skip_ws(n);
        if (norm_key(n, out, depth) != 0)
            return -1;
        skip_ws(n);
        if (n->pos >= n->len || n->s[n->pos] != ':')
            return norm_fail(n, "expected ':'");
        rmq_buf_append_u8(out, ':');
        n->pos++;
        if (norm_value(n, out, depth + 1) != 0)
            return -1;
        skip_ws(n);
        if (n->pos >= n->len)
            return norm_fail(n, "unexpected end of input");
        uint8_t c = n->s[n->pos++];
        rmq_buf_append_u8(out, c);
        if (c == '}')
            return 0;
        if (c != ',') {
            n->pos--;
            return norm_fail(n, "expected ',' or '}'");
        }
    }
}

static int norm_array(norm_t *n, rmq_buf_t *out, int depth)
{
    rmq_buf_append_u8(out, '[');
    n->pos++;
    skip_ws(n);
    if (n->pos < n->len && n->s[n->pos] == ']') {
        rmq_buf_append_u8(out, ']');
        n->pos++;
        return 0;
    }
    for (;;) {
        if (norm_value(n, out, depth + 1) != 0)
            return -1;
        skip_ws(n);
        if (n->pos >= n->len)
            return norm_fail(n, "unexpected end of input");
        uint8_t c = n->s[n->pos++];
        rmq_buf_append_u8(out, c);
        if (c == ']')
            return 0;
        if (c != ',') {
            n->pos--;
            return norm_fail(n, "expected ',' or ']'");
        }
    }
}

static int norm_value(norm_t *n, rmq_buf_t *out, int depth)
{
    skip_ws(n);
    if (n->pos >= n->len)
        return norm_fail(n, "unexpected end of input");
    uint8_t c = n->s[n->pos];
    if (c == '{' || c == '[') {
        if (depth >= MAX_DEPTH)
            return norm_fail(n, "nesting too deep");
        return c == '{' ? norm_object(n, out, depth) : norm_array(n, out, depth);
    }
    if (c == '"')
        return norm_string(n, out);
    return norm_scalar(n, out);
}

json_t *rmq_json_loads(const void *text, size_t len, char *err, size_t errlen)
{
    norm_t n = {text, text ? len : 0, 0, err, errlen};
    rmq_buf_t out = RMQ_BUF_INIT;
    if (norm_value(&n, &out, 0) != 0) {
        rmq_buf_free(&out);
        return NULL;
    }
    skip_ws(&n);
    if (n.pos != n.len) {
        norm_fail(&n, "trailing data");
        rmq_buf_free(&out);
        return NULL;
    }
    /* Flags 0: "\u0000" inside strings is rejected, so every string we hand
     * out is a complete C string; the top level must be an object or array,
     * which every RocketMQ body is. */
    json_error_t je;
    json_t *j = json_loadb((const char *)out.data, out.len, 0, &je);
    rmq_buf_free(&out);
    if (!j && err && errlen)
        snprintf(err, errlen, "json: %s", je.text);
    return j;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
    rmq_buf_append(data, buffer, size);
    return 0;
}

void rmq_json_dump_append(const json_t *j, rmq_buf_t *out)
{
    /* Only fails for values built with the *_nocheck constructors, which the
     * codecs never use; a NULL j (builder hit OOM) appends nothing. */
    if (j)
        json_dump_callback(j, dump_cb, out, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}
