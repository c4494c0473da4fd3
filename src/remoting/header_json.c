/* JSON header serialization (serialize type 0), protocol.md 2.6.
 *
 * Encoding is hand-written: it runs for every command and its shape is fixed
 * (fastjson's sorted property names, nulls omitted, extFields values always
 * strings).  Decoding goes through jansson and accepts what other clients
 * send: extFields values as numbers or booleans (C++, ali-ons), "remark":"",
 * language as a name or a number, any key order, unknown properties. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_str.h"
#include "base/mem.h"
#include "remoting/command.h"
#include "rocketmq/error.h"

static void append_int(rmq_buf_t *out, const char *name, int64_t v)
{
    rmq_buf_printf(out, "\"%s\":%" PRId64 ",", name, v);
}

int rmq_header_json_encode(const rmq_cmd_t *cmd, rmq_buf_t *out)
{
    rmq_buf_append_u8(out, '{');
    append_int(out, "code", cmd->code);
    if (cmd->ext.n > 0) {
        rmq_buf_append_str(out, "\"extFields\":{");
        for (size_t i = 0; i < cmd->ext.n; i++) {
            const rmq_ext_kv_t *kv = &cmd->ext.kv[i];
            if (i)
                rmq_buf_append_u8(out, ',');
            rmq_buf_append_json_str(out, kv->key, strlen(kv->key));
            rmq_buf_append_u8(out, ':');
            rmq_buf_append_json_str(out, kv->value, strlen(kv->value));
        }
        rmq_buf_append_str(out, "},");
    }
    append_int(out, "flag", cmd->flag);
    rmq_buf_printf(out, "\"language\":\"%s\",", rmq_language_name(cmd->language));
    append_int(out, "opaque", cmd->opaque);
    if (cmd->remark) {
        rmq_buf_append_str(out, "\"remark\":");
        rmq_buf_append_json_str(out, cmd->remark, strlen(cmd->remark));
        rmq_buf_append_u8(out, ',');
    }
    rmq_buf_append_str(out, "\"serializeTypeCurrentRPC\":\"JSON\",");
    rmq_buf_printf(out, "\"version\":%" PRId32 "}", cmd->version);
    return 0;
}

/* Reads an int32 property that may be a JSON integer or a numeric string. */
static int get_i32(json_t *obj, const char *name, int32_t *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return 0;
    int64_t x;
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (!json_is_string(v) || rmq_parse_i64(json_string_value(v), &x) != 0) {
        snprintf(err, errlen, "header property %s is not an integer", name);
        return -1;
    }
    if (x < INT32_MIN || x > INT32_MAX) {
        snprintf(err, errlen, "header property %s out of range", name);
        return -1;
    }
    *out = (int32_t)x;
    return 0;
}

static int get_language(json_t *obj, rmq_cmd_t *cmd, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, "language");
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        cmd->language = (int)json_integer_value(v);
        return 0;
    }
    if (!json_is_string(v)) {
        snprintf(err, errlen, "header property language is not a string");
        return -1;
    }
    /* An unknown name (a newer peer) is not an error; it only labels the peer. */
    int lang = rmq_language_from_name(json_string_value(v), json_string_length(v));
    cmd->language = lang >= 0 ? lang : RMQ_LANG_OTHER;
    return 0;
}

/* extFields values are strings from Java, but numbers and booleans from the
 * C++ client and ali-ons; all become their text form, as fastjson does. */
static int put_ext_value(rmq_cmd_t *cmd, const char *key, json_t *v, char *err, size_t errlen)
{
    char tmp[64];
    if (json_is_string(v)) {
        rmq_ext_setn(&cmd->ext, key, strlen(key), json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        rmq_ext_set(&cmd->ext, key, tmp);
    } else if (json_is_real(v)) {
        snprintf(tmp, sizeof(tmp), "%.17g", json_real_value(v));
        rmq_ext_set(&cmd->ext, key, tmp);
    } else if (json_is_boolean(v)) {
        rmq_ext_set(&cmd->ext, key, json_is_true(v) ? "true" : "false");
    } else if (json_is_null(v)) {
        /* null means absent */
    } else {
        snprintf(err, errlen, "extFields value of %s is not a scalar", key);
        return -1;
    }
    return 0;
}

static int get_ext(json_t *obj, rmq_cmd_t *cmd, char *err, size_t errlen)
{
    json_t *ext = json_object_get(obj, "extFields");
    if (!ext || json_is_null(ext))
        return 0;
    if (!json_is_object(ext)) {
        snprintf(err, errlen, "extFields is not an object");
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(ext, key, v) {
        if (put_ext_value(cmd, key, v, err, errlen))
            return -1;
    }
    return 0;
}

static int get_remark(json_t *obj, rmq_cmd_t *cmd, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, "remark");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, errlen, "remark is not a string");
        return -1;
    }
    cmd->remark = rmq_strndup(json_string_value(v), json_string_length(v));
    return 0;
}

int rmq_header_json_decode(const uint8_t *p, size_t n, rmq_cmd_t *cmd, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *obj = json_loadb((const char *)p, n, 0, &jerr);
    if (!obj) {
        snprintf(err, errlen, "invalid JSON header: %s at %d", jerr.text, jerr.position);
        return ROCKETMQ_ERR__PROTOCOL;
    }
    int rc = ROCKETMQ_ERR__PROTOCOL;
    if (!json_is_object(obj)) {
        snprintf(err, errlen, "JSON header is not an object");
        goto out;
    }
    if (get_i32(obj, "code", &cmd->code, err, errlen) ||
        get_i32(obj, "version", &cmd->version, err, errlen) ||
        get_i32(obj, "opaque", &cmd->opaque, err, errlen) ||
        get_i32(obj, "flag", &cmd->flag, err, errlen) || get_language(obj, cmd, err, errlen) ||
        get_remark(obj, cmd, err, errlen) || get_ext(obj, cmd, err, errlen))
        goto out;
    rc = 0;
out:
    json_decref(obj);
    return rc;
}
