/* Helpers shared by the body codecs (src/protocol/{data_version,topic_config,
 * route_data,cluster_info,small_bodies}.c); not part of the module's API.
 *
 * Reading: every getter treats a missing property and JSON null alike (the
 * default is used), converts what fastjson would convert (numeric strings to
 * integers, integers to strings) and reports anything else as
 * ROCKETMQ_ERR__PROTOCOL naming "<ctx>.<key>", so a bad body from a broker
 * is diagnosable from the log line alone.
 *
 * Writing: strings that come from C code may not be valid UTF-8, which jansson
 * refuses; rmq_json_string() and rmq_json_set() replace bad bytes with U+FFFD
 * (what Java's new String(bytes, UTF_8) does) instead of dropping the value. */
#ifndef RMQ_PROTOCOL_BODIES_INT_H
#define RMQ_PROTOCOL_BODIES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/num.h"
#include "protocol/bodies.h"

/* Formats into err (if err != NULL) and returns ROCKETMQ_ERR__PROTOCOL. */
int rmq_body_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* rmq_json_loads() plus a check that the top level is an object. */
json_t *rmq_body_parse_object(const void *p, size_t n, const char *ctx, char *err, size_t errlen);

/* Name of a JSON value's type for messages ("string", "object", ...). */
const char *rmq_json_type_name(const json_t *v);

int rmq_json_get_i64(const json_t *obj, const char *key, int64_t def, int64_t *out,
                     const char *ctx, char *err, size_t errlen);
int rmq_json_get_i32(const json_t *obj, const char *key, int32_t def, int32_t *out,
                     const char *ctx, char *err, size_t errlen);
int rmq_json_get_bool(const json_t *obj, const char *key, bool def, bool *out, const char *ctx,
                      char *err, size_t errlen);
/* *out is a new string, or NULL when the property is absent. */
int rmq_json_get_str(const json_t *obj, const char *key, char **out, const char *ctx, char *err,
                     size_t errlen);
/* *out is a borrowed object (or array, per type), or NULL when absent. */
int rmq_json_get_container(const json_t *obj, const char *key, json_type type, json_t **out,
                           const char *ctx, char *err, size_t errlen);
/* Converts a JSON integer, integral real or decimal string. Returns 0 or -1. */
int rmq_json_value_i64(const json_t *v, int64_t *out);
/* Copies a JSON string (or integer, as decimal text). Returns NULL on another type. */
char *rmq_json_value_strdup(const json_t *v);
/* Copies an array of strings; *out gets *n entries. */
int rmq_json_str_array(const json_t *arr, char ***out, size_t *n, const char *ctx, char *err,
                       size_t errlen);
void rmq_str_array_free(char **a, size_t n);

/* rmq_broker_data_from_json() naming ctx in its messages. */
int rmq_broker_data_from_json_ctx(const json_t *j, rmq_broker_data_t *bd, const char *ctx,
                                  char *err, size_t errlen);

json_t *rmq_json_string(const char *s);
/* json_object_set_new with a key that may not be valid UTF-8; v is stolen. */
void rmq_json_set(json_t *obj, const char *key, json_t *v);
json_t *rmq_json_str_array_new(char *const *a, size_t n);

#endif
