/* JSON header serialization (serialize type 0), protocol.md 2.6.
 *
 * Encoding is hand-written: it runs for every command and its shape is fixed
 * (fastjson's sorted property names, nulls omitted, extFields values always
 * strings).  Decoding uses the pull scanner of json_scan.h and accepts what other clients
 * send: extFields values as numbers or booleans (C++, ali-ons), "remark":"",
 * language as a name or a number, any key order, unknown properties. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_str.h"
#include "base/mem.h"
#include "remoting/command.h"
#include "remoting/json_scan.h"
#include "rocketmq/error.h"

/* A string literal without its terminating NUL (no strlen per call). */
#define APPEND_LIT(out, lit) rmq_buf_append((out), (lit), sizeof(lit) - 1)

/* Appends "name":v, (name is a literal without escapes). */
#define APPEND_INT(out, name, v)                                                                   \
    do {                                                                                           \
        APPEND_LIT(out, "\"" name "\":");                                                          \
        rmq_buf_append_i64(out, v);                                                                \
        rmq_buf_append_u8(out, ',');                                                               \
    } while (0)

int rmq_header_json_encode(const rmq_cmd_t *cmd, rmq_buf_t *out)
{
    /* One reservation for the usual header: the fixed parts and the fields. */
    size_t need = 160;
    for (size_t i = 0; i < cmd->ext.n; i++)
        need += cmd->ext.kv[i].klen + cmd->ext.kv[i].vlen + 6;
    rmq_buf_reserve(out, need);
    rmq_buf_append_u8(out, '{');
    APPEND_INT(out, "code", cmd->code);
    if (cmd->ext.n > 0) {
        APPEND_LIT(out, "\"extFields\":{");
        for (size_t i = 0; i < cmd->ext.n; i++) {
            const rmq_ext_kv_t *kv = &cmd->ext.kv[i];
            if (i)
                rmq_buf_append_u8(out, ',');
            rmq_buf_append_json_str(out, kv->key, kv->klen);
            rmq_buf_append_u8(out, ':');
            rmq_buf_append_json_str(out, kv->value, kv->vlen);
        }
        APPEND_LIT(out, "},");
    }
    APPEND_INT(out, "flag", cmd->flag);
    APPEND_LIT(out, "\"language\":\"");
    rmq_buf_append_str(out, rmq_language_name(cmd->language));
    APPEND_LIT(out, "\",");
    APPEND_INT(out, "opaque", cmd->opaque);
    if (cmd->remark) {
        APPEND_LIT(out, "\"remark\":");
        rmq_buf_append_json_str(out, cmd->remark, strlen(cmd->remark));
        rmq_buf_append_u8(out, ',');
    }
    APPEND_LIT(out, "\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
    rmq_buf_append_i64(out, cmd->version);
    rmq_buf_append_u8(out, '}');
    return 0;
}

typedef struct hdr_ctx {
    rmq_jscan_t js;
    rmq_buf_t kbuf; /* decoded keys with escapes */
    rmq_buf_t vbuf; /* decoded values with escapes */
    rmq_cmd_t *cmd;
    char *err;
    size_t errlen;
} hdr_ctx_t;

static bool key_is(const rmq_jstr_t *k, const char *name)
{
    return strlen(name) == k->n && memcmp(k->s, name, k->n) == 0;
}

static bool fail_prop(hdr_ctx_t *c, const char *name, const char *why)
{
    snprintf(c->err, c->errlen, "header property %s %s", name, why);
    return false;
}

/* Parses the text of a scalar as Long.parseLong would. */
static bool jstr_to_i64(const rmq_jstr_t *v, int64_t *out)
{
    char tmp[32];
    if (v->n >= sizeof(tmp))
        return false;
    memcpy(tmp, v->s, v->n);
    tmp[v->n] = '\0';
    return rmq_parse_i64(tmp, out) == 0;
}

/* code, version, opaque, flag: a JSON integer or a numeric string. */
static bool get_i32(hdr_ctx_t *c, const char *name, int32_t *out)
{
    rmq_jtype_t t;
    rmq_jstr_t v;
    if (!rmq_jscan_scalar(&c->js, &c->vbuf, &t, &v))
        return false;
    if (t == RMQ_J_NULL)
        return true;
    int64_t x;
    if ((t != RMQ_J_NUMBER && t != RMQ_J_STRING) || !jstr_to_i64(&v, &x))
        return fail_prop(c, name, "is not an integer");
    if (x < INT32_MIN || x > INT32_MAX)
        return fail_prop(c, name, "out of range");
    *out = (int32_t)x;
    return true;
}

static bool get_language(hdr_ctx_t *c)
{
    rmq_jtype_t t;
    rmq_jstr_t v;
    if (!rmq_jscan_scalar(&c->js, &c->vbuf, &t, &v))
        return false;
    if (t == RMQ_J_NUMBER) {
        int64_t x;
        c->cmd->language = jstr_to_i64(&v, &x) && x >= 0 && x < 256 ? (int)x : RMQ_LANG_OTHER;
        return true;
    }
    if (t == RMQ_J_NULL)
        return true;
    if (t != RMQ_J_STRING)
        return fail_prop(c, "language", "is not a string");
    /* An unknown name (a newer peer) is not an error; it only labels the peer. */
    int lang = rmq_language_from_name(v.s, v.n);
    c->cmd->language = lang >= 0 ? lang : RMQ_LANG_OTHER;
    return true;
}

static bool get_remark(hdr_ctx_t *c)
{
    rmq_jtype_t t;
    rmq_jstr_t v;
    if (!rmq_jscan_scalar(&c->js, &c->vbuf, &t, &v))
        return false;
    if (t == RMQ_J_NULL)
        return true;
    if (t != RMQ_J_STRING)
        return fail_prop(c, "remark", "is not a string");
    free(c->cmd->remark);
    c->cmd->remark = rmq_strndup(v.s, v.n);
    return true;
}

/* extFields values are strings from Java, but numbers and booleans from the
 * C++ client and ali-ons: all are kept as their text, as fastjson does. */
static bool get_ext(hdr_ctx_t *c)
{
    rmq_jtype_t t = rmq_jscan_peek(&c->js);
    if (t == RMQ_J_NULL) {
        rmq_jstr_t v;
        return rmq_jscan_scalar(&c->js, &c->vbuf, &t, &v);
    }
    if (t != RMQ_J_OBJECT || !rmq_jscan_eat(&c->js, '{'))
        return fail_prop(c, "extFields", "is not an object");
    bool first = true;
    rmq_jstr_t k, v;
    while (rmq_jscan_next_key(&c->js, &first, &c->kbuf, &k)) {
        t = rmq_jscan_peek(&c->js);
        if (t == RMQ_J_OBJECT || t == RMQ_J_ARRAY) {
            snprintf(c->err, c->errlen, "extFields value of %.*s is not a scalar", (int)k.n, k.s);
            return false;
        }
        if (!rmq_jscan_scalar(&c->js, &c->vbuf, &t, &v))
            return false;
        /* a raw NUL is refused by the scanner; only \u0000 can bring one */
        if ((k.decoded && memchr(k.s, 0, k.n)) || (v.decoded && memchr(v.s, 0, v.n))) {
            snprintf(c->err, c->errlen, "NUL character in extFields");
            return false;
        }
        if (t != RMQ_J_NULL) /* null means absent */
            rmq_ext_setn(&c->cmd->ext, k.s, k.n, v.s, v.n);
    }
    return c->js.err == NULL;
}

static bool property(hdr_ctx_t *c, const rmq_jstr_t *k)
{
    if (key_is(k, "code"))
        return get_i32(c, "code", &c->cmd->code);
    if (key_is(k, "extFields"))
        return get_ext(c);
    if (key_is(k, "flag"))
        return get_i32(c, "flag", &c->cmd->flag);
    if (key_is(k, "language"))
        return get_language(c);
    if (key_is(k, "opaque"))
        return get_i32(c, "opaque", &c->cmd->opaque);
    if (key_is(k, "remark"))
        return get_remark(c);
    if (key_is(k, "version"))
        return get_i32(c, "version", &c->cmd->version);
    return rmq_jscan_skip(&c->js); /* serializeTypeCurrentRPC and anything new */
}

static bool parse_header(hdr_ctx_t *c)
{
    if (rmq_jscan_peek(&c->js) != RMQ_J_OBJECT) {
        if (!c->js.err)
            snprintf(c->err, c->errlen, "JSON header is not an object");
        return false;
    }
    rmq_jscan_eat(&c->js, '{');
    bool first = true;
    rmq_jstr_t k;
    while (rmq_jscan_next_key(&c->js, &first, &c->kbuf, &k)) {
        /* property() may overwrite kbuf (nested keys): copy short keys out */
        char name[32];
        rmq_jstr_t key = k;
        if (k.n < sizeof(name)) {
            memcpy(name, k.s, k.n);
            key.s = name;
        }
        if (!property(c, &key))
            return false;
    }
    if (c->js.err)
        return false;
    if (!rmq_jscan_at_end(&c->js))
        return rmq_jscan_fail(&c->js, "trailing characters after the header");
    return true;
}

int rmq_header_json_decode(const uint8_t *p, size_t n, rmq_cmd_t *cmd, char *err, size_t errlen)
{
    hdr_ctx_t c = {.cmd = cmd, .err = err, .errlen = errlen};
    rmq_jscan_init(&c.js, (const char *)p, n);
    rmq_buf_init(&c.kbuf);
    rmq_buf_init(&c.vbuf);
    if (errlen)
        err[0] = '\0';
    bool ok = parse_header(&c);
    if (!ok && c.js.err)
        snprintf(err, errlen, "invalid JSON header: %s at %zu", c.js.err, c.js.err_at);
    rmq_buf_free(&c.kbuf);
    rmq_buf_free(&c.vbuf);
    return ok ? 0 : ROCKETMQ_ERR__PROTOCOL;
}
