/* Typed property access for the body codecs (see bodies_int.h). */
#include "protocol/bodies_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "protocol/bodies.h"
#include "rocketmq/error.h"

int rmq_body_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return ROCKETMQ_ERR__PROTOCOL;
}

json_t *rmq_body_parse_object(const void *p, size_t n, const char *ctx, char *err, size_t errlen)
{
    if (!p || n == 0) {
        rmq_body_err(err, errlen, "%s: empty body", ctx);
        return NULL;
    }
    char jerr[160] = "";
    json_t *j = rmq_json_loads(p, n, jerr, sizeof(jerr));
    if (!j) {
        rmq_body_err(err, errlen, "%s: %s", ctx, jerr);
        return NULL;
    }
    if (!json_is_object(j)) {
        rmq_body_err(err, errlen, "%s: expected an object, got %s", ctx, rmq_json_type_name(j));
        json_decref(j);
        return NULL;
    }
    return j;
}

const char *rmq_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "real";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

int rmq_json_value_i64(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_string(v))
        return rmq_parse_i64(json_string_value(v), out);
    if (json_is_real(v)) {
        double d = json_real_value(v);
        /* 2^63 is exact as a double; inside the range the cast is defined,
         * and the round trip tells whether d was integral (NaN fails both). */
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
            return -1;
        int64_t i = (int64_t)d;
        if ((double)i != d)
            return -1;
        *out = i;
        return 0;
    }
    return -1;
}

int rmq_json_get_i64(const json_t *obj, const char *key, int64_t def, int64_t *out,
                     const char *ctx, char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return 0;
    }
    if (rmq_json_value_i64(v, out) != 0)
        return rmq_body_err(err, errlen, "%s.%s: expected an integer, got %s", ctx, key,
                            rmq_json_type_name(v));
    return 0;
}

int rmq_json_get_i32(const json_t *obj, const char *key, int32_t def, int32_t *out,
                     const char *ctx, char *err, size_t errlen)
{
    int64_t v;
    int rc = rmq_json_get_i64(obj, key, def, &v, ctx, err, errlen);
    if (rc != 0)
        return rc;
    if (v < INT32_MIN || v > INT32_MAX)
        return rmq_body_err(err, errlen, "%s.%s: %" PRId64 " out of int range", ctx, key, v);
    *out = (int32_t)v;
    return 0;
}

int rmq_json_get_bool(const json_t *obj, const char *key, bool def, bool *out, const char *ctx,
                      char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return 0;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    /* fastjson reads "true"/"false" and 0/1 into a boolean too. */
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
            *out = s[0] == 't';
            return 0;
        }
    } else if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
        *out = json_integer_value(v) == 1;
        return 0;
    }
    return rmq_body_err(err, errlen, "%s.%s: expected a boolean, got %s", ctx, key,
                        rmq_json_type_name(v));
}

char *rmq_json_value_strdup(const json_t *v)
{
    if (json_is_string(v))
        return rmq_strdup(json_string_value(v));
    if (json_is_integer(v)) {
        char tmp[32];
        snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return rmq_strdup(tmp);
    }
    return NULL;
}

int rmq_json_get_str(const json_t *obj, const char *key, char **out, const char *ctx, char *err,
                     size_t errlen)
{
    *out = NULL;
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    *out = rmq_json_value_strdup(v);
    if (!*out)
        return rmq_body_err(err, errlen, "%s.%s: expected a string, got %s", ctx, key,
                            rmq_json_type_name(v));
    return 0;
}

int rmq_json_get_container(const json_t *obj, const char *key, json_type type, json_t **out,
                           const char *ctx, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (json_typeof(v) != type)
        return rmq_body_err(err, errlen, "%s.%s: expected an %s, got %s", ctx, key,
                            type == JSON_OBJECT ? "object" : "array", rmq_json_type_name(v));
    *out = v;
    return 0;
}

void rmq_str_array_free(char **a, size_t n)
{
    if (!a)
        return;
    for (size_t i = 0; i < n; i++)
        free(a[i]);
    free(a);
}

int rmq_json_str_array(const json_t *arr, char ***out, size_t *n, const char *ctx, char *err,
                       size_t errlen)
{
    *out = NULL;
    *n = 0;
    size_t count = json_array_size(arr);
    if (count == 0)
        return 0;
    char **a = rmq_calloc(count, sizeof(*a));
    size_t k = 0;
    for (size_t i = 0; i < count; i++) {
        const json_t *v = json_array_get(arr, i);
        /* A Java list may hold nulls; there is nothing to keep of them. */
        if (json_is_null(v))
            continue;
        a[k] = rmq_json_value_strdup(v);
        if (!a[k]) {
            rmq_str_array_free(a, k);
            return rmq_body_err(err, errlen, "%s[%zu]: expected a string, got %s", ctx, i,
                                rmq_json_type_name(v));
        }
        k++;
    }
    if (k == 0) {
        free(a);
        return 0;
    }
    *out = a;
    *n = k;
    return 0;
}

/* Length of the well-formed UTF-8 sequence at s (same rules as jansson:
 * no overlongs, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
        min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        cp = c & 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* Returns s itself when valid, else a malloc'ed copy with U+FFFD for each bad byte. */
static char *utf8_fix(const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t n = strlen(s), i = 0;
    while (i < n) {
        size_t l = utf8_seq(p + i, n - i);
        if (l == 0)
            break;
        i += l;
    }
    if (i == n)
        return (char *)s;
    rmq_buf_t b = RMQ_BUF_INIT;
    rmq_buf_append(&b, s, i);
    while (i < n) {
        size_t l = utf8_seq(p + i, n - i);
        if (l == 0) {
            rmq_buf_append(&b, "\xef\xbf\xbd", 3);
            i++;
        } else {
            rmq_buf_append(&b, p + i, l);
            i += l;
        }
    }
    rmq_buf_cstr(&b);
    return (char *)b.data;
}

json_t *rmq_json_string(const char *s)
{
    char *fixed = utf8_fix(s);
    json_t *v = json_string(fixed);
    if (fixed != s)
        free(fixed);
    return v;
}

void rmq_json_set(json_t *obj, const char *key, json_t *v)
{
    char *fixed = utf8_fix(key);
    json_object_set_new(obj, fixed, v);
    if (fixed != key)
        free(fixed);
}

json_t *rmq_json_str_array_new(char *const *a, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        if (a[i])
            json_array_append_new(arr, rmq_json_string(a[i]));
    }
    return arr;
}
