#include "base/props.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/errmsg.h"
#include "base/file.h"
#include "base/mem.h"

/* Bytes other than escapes are passed through untouched.  Java's
 * Properties.load(InputStream) decodes the file as ISO-8859-1, which would turn
 * UTF-8 text into mojibake; treating the file as UTF-8 is what users of a C
 * server expect, and ASCII files (all real broker.conf files) read the same
 * either way. */

typedef struct parser {
    const char *text;
    size_t len;
    size_t pos;
    int lineno;        /* 1-based number of the natural line at pos */
    const char *error; /* syntax error, reported by rmq_props_load_file */
    int error_line;
} parser_t;

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

static void skip_blanks(parser_t *p)
{
    while (p->pos < p->len && is_blank(p->text[p->pos]))
        p->pos++;
}

/* Consumes one line terminator (\n, \r\n or a lone \r) if there is one. */
static void skip_eol(parser_t *p)
{
    if (p->pos < p->len && p->text[p->pos] == '\r') {
        p->pos++;
        if (p->pos < p->len && p->text[p->pos] == '\n')
            p->pos++;
        p->lineno++;
    } else if (p->pos < p->len && p->text[p->pos] == '\n') {
        p->pos++;
        p->lineno++;
    }
}

static void skip_to_eol(parser_t *p)
{
    while (p->pos < p->len && p->text[p->pos] != '\r' && p->text[p->pos] != '\n')
        p->pos++;
}

/* Assembles the next logical line into line (which has room for the whole
 * text), joining continued lines.  Returns 0 at the end of the text. */
static int next_line(parser_t *p, char *line, size_t *outlen, int *first_line)
{
    for (;;) {
        skip_blanks(p);
        if (p->pos >= p->len)
            return 0;
        char c = p->text[p->pos];
        if (c == '#' || c == '!') {
            /* A comment is never continued, even if it ends in a backslash. */
            skip_to_eol(p);
        } else if (c != '\r' && c != '\n') {
            break;
        }
        skip_eol(p);
    }

    *first_line = p->lineno;
    size_t n = 0;
    for (;;) {
        size_t seg = n;
        while (p->pos < p->len && p->text[p->pos] != '\r' && p->text[p->pos] != '\n')
            line[n++] = p->text[p->pos++];
        /* Only the backslashes of this natural line count: an even run is a
         * run of escaped backslashes, an odd one ends in a continuation. */
        size_t bs = 0;
        while (bs < n - seg && line[n - 1 - bs] == '\\')
            bs++;
        if (bs % 2 == 0) {
            skip_eol(p);
            break;
        }
        n--;
        if (p->pos >= p->len)
            break; /* a continuation at end of text just ends the line, as in Java */
        skip_eol(p);
        skip_blanks(p);
    }
    *outlen = n;
    return 1;
}

static int hex4(const char *s, size_t avail, uint32_t *out)
{
    if (avail < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes escapes from in[0..n) into out; the output is never longer than the
 * input (\uXXXX is 6 bytes for at most 3 of UTF-8, a surrogate pair 12 for 4),
 * so out may be sized by the input.  Returns an error text or NULL. */
static const char *unescape(const char *in, size_t n, char *out, size_t *outlen)
{
    size_t o = 0;
    size_t i = 0;
    while (i < n) {
        char c = in[i++];
        if (c != '\\') {
            out[o++] = c;
            continue;
        }
        if (i >= n)
            break; /* cannot happen after line joining; drop it like Java would */
        c = in[i++];
        switch (c) {
        case 't':
            out[o++] = '\t';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'u': {
            uint32_t cp;
            if (hex4(in + i, n - i, &cp) != 0)
                return "malformed \\uXXXX escape";
            i += 4;
            /* Java strings are UTF-16, so characters beyond the BMP are
             * written as two escapes; join them into one code point. */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (n - i >= 6 && in[i] == '\\' && in[i + 1] == 'u' &&
                    hex4(in + i + 2, n - i - 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            if (cp == 0)
                return "\\u0000 cannot be stored in a C string";
            o += put_utf8(out + o, cp);
            break;
        }
        default:
            /* Any other escaped character stands for itself: \\ \= \: \# \  */
            out[o++] = c;
            break;
        }
    }
    *outlen = o;
    return NULL;
}

static int parse(parser_t *p, rmq_props_cb cb, void *arg)
{
    char *line = rmq_malloc(p->len + 1);
    char *kv = rmq_malloc(p->len + 2); /* key, NUL, value, NUL */
    int rc = 0;
    size_t n;
    int first_line;
    while (next_line(p, line, &n, &first_line)) {
        /* The key ends at the first unescaped '=', ':' or blank. */
        size_t k = 0;
        int escaped = 0;
        while (k < n) {
            char c = line[k];
            if (!escaped && (c == '=' || c == ':' || is_blank(c)))
                break;
            escaped = c == '\\' ? !escaped : 0;
            k++;
        }
        /* Blanks around the separator go; a blank separator may be followed
         * by one '=' or ':' ("key = value"). */
        size_t v = k;
        if (v < n) {
            int has_sep = !is_blank(line[v]);
            v++;
            while (v < n && is_blank(line[v]))
                v++;
            if (!has_sep && v < n && (line[v] == '=' || line[v] == ':')) {
                v++;
                while (v < n && is_blank(line[v]))
                    v++;
            }
        }

        size_t klen, vlen = 0;
        char *val = NULL;
        const char *e = unescape(line, k, kv, &klen);
        if (!e) {
            kv[klen] = '\0';
            val = kv + klen + 1;
            e = unescape(line + v, n - v, val, &vlen);
        }
        if (e) {
            p->error = e;
            p->error_line = first_line;
            rc = -1;
            break;
        }
        val[vlen] = '\0';
        rc = cb(kv, val, arg);
        if (rc != 0)
            break;
    }
    free(line);
    free(kv);
    return rc;
}

int rmq_props_parse(const char *text, size_t len, rmq_props_cb cb, void *arg)
{
    parser_t p = {.text = text, .len = len, .lineno = 1};
    return parse(&p, cb, arg);
}

int rmq_props_load_file(const char *path, rmq_props_cb cb, void *arg, char *err, size_t errlen)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    if (rmq_file_read(path, &b) != 0) {
        rmq_set_err(err, errlen, "cannot read %s: %s", path, strerror(errno));
        rmq_buf_free(&b);
        return -1;
    }
    parser_t p = {.text = (const char *)b.data, .len = b.len, .lineno = 1};
    int rc = parse(&p, cb, arg);
    /* A callback that stops the parse reports its own error. */
    if (p.error)
        rmq_set_err(err, errlen, "%s:%d: %s", path, p.error_line, p.error);
    rmq_buf_free(&b);
    return rc;
}
