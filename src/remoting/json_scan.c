#include "remoting/json_scan.h"

#include <string.h>

#include "base/json_str.h"

#define MAX_DEPTH 64

void rmq_jscan_init(rmq_jscan_t *js, const char *p, size_t n)
{
    js->p = p;
    js->end = p + n;
    js->err = NULL;
    js->err_at = 0;
    js->start = p;
}

bool rmq_jscan_fail(rmq_jscan_t *js, const char *why)
{
    if (!js->err) {
        js->err = why;
        js->err_at = (size_t)(js->p - js->start);
    }
    return false;
}

bool rmq_jscan_at_end(rmq_jscan_t *js)
{
    rmq_jscan_ws(js);
    return js->p == js->end;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static void put_utf8(rmq_buf_t *b, uint32_t cp)
{
    uint8_t u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xC0 | (cp >> 6));
        u[1] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xE0 | (cp >> 12));
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (uint8_t)(0xF0 | (cp >> 18));
        u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 4;
    }
    rmq_buf_append(b, u, n);
}

/* \uXXXX at p (after the backslash-u), with a following low surrogate when
 * the first is a high one.  Lone surrogates become U+FFFD, as jansson would
 * reject and fastjson would keep: neither is worth a dropped connection. */
static bool unicode_escape(rmq_jscan_t *js, rmq_buf_t *b)
{
    if (js->end - js->p < 4)
        return rmq_jscan_fail(js, "truncated \\u escape");
    int hi = hex4(js->p);
    if (hi < 0)
        return rmq_jscan_fail(js, "invalid \\u escape");
    js->p += 4;
    uint32_t cp = (uint32_t)hi;
    if (hi >= 0xD800 && hi <= 0xDBFF && js->end - js->p >= 6 && js->p[0] == '\\' &&
        js->p[1] == 'u') {
        int lo = hex4(js->p + 2);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
            js->p += 6;
        }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        cp = 0xFFFD;
    put_utf8(b, cp);
    return true;
}

static bool escape(rmq_jscan_t *js, rmq_buf_t *b)
{
    if (js->p >= js->end)
        return rmq_jscan_fail(js, "unterminated string");
    char c = *js->p++;
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    const char *hit = c ? strchr(from, c) : NULL;
    if (hit) {
        rmq_buf_append_u8(b, (uint8_t)to[hit - from]);
        return true;
    }
    if (c == 'u')
        return unicode_escape(js, b);
    return rmq_jscan_fail(js, "invalid escape in string");
}

static void skip_plain(rmq_jscan_t *js)
{
    while (js->end - js->p >= 8) {
        uint64_t w;
        memcpy(&w, js->p, sizeof(w));
        if (rmq_json_word_special(w))
            return;
        js->p += 8;
    }
}

/* Up to the next '"', '\\' or control character (or the end). */
static void scan_plain(rmq_jscan_t *js)
{
    skip_plain(js);
    while (js->p < js->end && *js->p != '"' && *js->p != '\\' && (unsigned char)*js->p >= 0x20)
        js->p++;
}

/* A string without escapes is a slice of the input.  One with escapes is
 * decoded into scratch, its plain runs copied whole: a message's properties
 * hold a \u0001 and a \u0002 per property, so runs are short but many. */
static bool string(rmq_jscan_t *js, rmq_buf_t *scratch, rmq_jstr_t *out)
{
    js->p++; /* opening quote */
    const char *start = js->p;
    bool decoded = false;
    for (;;) {
        const char *run = js->p;
        scan_plain(js);
        if (decoded)
            rmq_buf_append(scratch, run, (size_t)(js->p - run));
        if (js->p >= js->end)
            return rmq_jscan_fail(js, "unterminated string");
        if (*js->p == '"')
            break;
        if (*js->p != '\\')
            return rmq_jscan_fail(js, "control character in string");
        if (!decoded) {
            scratch->len = 0;
            rmq_buf_append(scratch, start, (size_t)(js->p - start));
            decoded = true;
        }
        js->p++; /* the backslash */
        if (!escape(js, scratch))
            return false;
    }
    if (decoded) {
        out->s = scratch->len ? (const char *)scratch->data : "";
        out->n = scratch->len;
    } else {
        out->s = start;
        out->n = (size_t)(js->p - start);
    }
    out->decoded = decoded;
    js->p++; /* closing quote */
    return true;
}

static bool digits(rmq_jscan_t *js)
{
    const char *s = js->p;
    while (js->p < js->end && *js->p >= '0' && *js->p <= '9')
        js->p++;
    return js->p > s;
}

static bool number(rmq_jscan_t *js, rmq_jstr_t *out)
{
    const char *s = js->p;
    if (*js->p == '-')
        js->p++;
    if (js->p < js->end && *js->p == '0')
        js->p++;
    else if (!digits(js))
        return rmq_jscan_fail(js, "invalid number");
    if (js->p < js->end && *js->p == '.') {
        js->p++;
        if (!digits(js))
            return rmq_jscan_fail(js, "invalid number");
    }
    if (js->p < js->end && (*js->p == 'e' || *js->p == 'E')) {
        js->p++;
        if (js->p < js->end && (*js->p == '+' || *js->p == '-'))
            js->p++;
        if (!digits(js))
            return rmq_jscan_fail(js, "invalid number");
    }
    out->s = s;
    out->n = (size_t)(js->p - s);
    out->decoded = false;
    return true;
}

static bool literal(rmq_jscan_t *js, const char *word, rmq_jstr_t *out)
{
    size_t n = strlen(word);
    if ((size_t)(js->end - js->p) < n || memcmp(js->p, word, n) != 0)
        return rmq_jscan_fail(js, "invalid literal");
    out->s = js->p;
    out->n = n;
    out->decoded = false;
    js->p += n;
    return true;
}

bool rmq_jscan_scalar(rmq_jscan_t *js, rmq_buf_t *scratch, rmq_jtype_t *type, rmq_jstr_t *out)
{
    *type = rmq_jscan_peek(js);
    switch (*type) {
    case RMQ_J_STRING: return string(js, scratch, out);
    case RMQ_J_NUMBER: return number(js, out);
    case RMQ_J_TRUE: return literal(js, "true", out);
    case RMQ_J_FALSE: return literal(js, "false", out);
    case RMQ_J_NULL: return literal(js, "null", out);
    default: return rmq_jscan_fail(js, "expected a scalar value");
    }
}

static bool skip_value(rmq_jscan_t *js, rmq_buf_t *scratch, int depth);

static bool skip_container(rmq_jscan_t *js, rmq_buf_t *scratch, int depth, char close)
{
    if (depth >= MAX_DEPTH)
        return rmq_jscan_fail(js, "nesting too deep");
    js->p++; /* '{' or '[' */
    if (rmq_jscan_eat(js, close))
        return true;
    do {
        if (close == '}') {
            rmq_jtype_t t;
            rmq_jstr_t k;
            if (rmq_jscan_peek(js) != RMQ_J_STRING || !rmq_jscan_scalar(js, scratch, &t, &k))
                return rmq_jscan_fail(js, "expected an object key");
            if (!rmq_jscan_eat(js, ':'))
                return rmq_jscan_fail(js, "expected ':'");
        }
        if (!skip_value(js, scratch, depth + 1))
            return false;
    } while (rmq_jscan_eat(js, ','));
    return rmq_jscan_eat(js, close) ? true : rmq_jscan_fail(js, "expected ',' or a closing bracket");
}

static bool skip_value(rmq_jscan_t *js, rmq_buf_t *scratch, int depth)
{
    rmq_jtype_t t = rmq_jscan_peek(js);
    if (t == RMQ_J_OBJECT)
        return skip_container(js, scratch, depth, '}');
    if (t == RMQ_J_ARRAY)
        return skip_container(js, scratch, depth, ']');
    rmq_jstr_t s;
    return rmq_jscan_scalar(js, scratch, &t, &s);
}

bool rmq_jscan_skip(rmq_jscan_t *js)
{
    rmq_buf_t scratch = RMQ_BUF_INIT;
    bool ok = skip_value(js, &scratch, 0);
    rmq_buf_free(&scratch);
    return ok;
}

bool rmq_jscan_next_key(rmq_jscan_t *js, bool *first, rmq_buf_t *scratch, rmq_jstr_t *key)
{
    if (*first) {
        *first = false;
        if (rmq_jscan_eat(js, '}'))
            return false;
    } else if (!rmq_jscan_eat(js, ',')) {
        if (!rmq_jscan_eat(js, '}'))
            rmq_jscan_fail(js, "expected ',' or '}'");
        return false;
    }
    rmq_jtype_t t;
    if (rmq_jscan_peek(js) != RMQ_J_STRING || !rmq_jscan_scalar(js, scratch, &t, key)) {
        rmq_jscan_fail(js, "expected an object key");
        return false;
    }
    if (!rmq_jscan_eat(js, ':')) {
        rmq_jscan_fail(js, "expected ':'");
        return false;
    }
    return true;
}
