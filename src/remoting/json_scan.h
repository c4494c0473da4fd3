/* A small pull parser for the JSON command header.
 *
 * The header is parsed for every request, and building a jansson tree for it
 * (a dozen allocations) cost more than the rest of a name-server request.
 * This scanner walks the text once and hands out strings and numbers without
 * a tree; strings without escapes point straight into the input.  It is strict
 * JSON (RFC 8259) except that it does not validate UTF-8, and it bounds
 * nesting when skipping values it does not need. */
#ifndef RMQ_REMOTING_JSON_SCAN_H
#define RMQ_REMOTING_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

typedef struct rmq_jscan {
    const char *p;
    const char *end;
    const char *err; /* first error, static text */
    size_t err_at;   /* offset of the error */
    const char *start;
} rmq_jscan_t;

typedef enum rmq_jtype {
    RMQ_J_STRING,
    RMQ_J_NUMBER,
    RMQ_J_TRUE,
    RMQ_J_FALSE,
    RMQ_J_NULL,
    RMQ_J_OBJECT,
    RMQ_J_ARRAY,
    RMQ_J_ERROR,
} rmq_jtype_t;

/* A scalar as text: for strings the decoded bytes, for numbers and literals
 * the text as written.  s points into the input or into the scratch buffer
 * passed to rmq_jscan_scalar, and is valid until that buffer changes. */
typedef struct rmq_jstr {
    const char *s;
    size_t n;
    bool decoded; /* escapes were decoded (only then can it hold a NUL) */
} rmq_jstr_t;

void rmq_jscan_init(rmq_jscan_t *js, const char *p, size_t n);

/* Inline: called several times per header key, and compact headers (the
 * usual case) have no whitespace at all. */
static inline void rmq_jscan_ws(rmq_jscan_t *js)
{
    while (js->p < js->end &&
           (*js->p == ' ' || *js->p == '\t' || *js->p == '\n' || *js->p == '\r'))
        js->p++;
}

/* The type of the next value, after skipping whitespace (does not consume it). */
static inline rmq_jtype_t rmq_jscan_peek(rmq_jscan_t *js)
{
    rmq_jscan_ws(js);
    if (js->err || js->p >= js->end)
        return RMQ_J_ERROR;
    switch (*js->p) {
    case '"': return RMQ_J_STRING;
    case '{': return RMQ_J_OBJECT;
    case '[': return RMQ_J_ARRAY;
    case 't': return RMQ_J_TRUE;
    case 'f': return RMQ_J_FALSE;
    case 'n': return RMQ_J_NULL;
    default:
        return (*js->p == '-' || (*js->p >= '0' && *js->p <= '9')) ? RMQ_J_NUMBER : RMQ_J_ERROR;
    }
}

/* Consumes expected punctuation ('{', '}', ':', ',') after whitespace. */
static inline bool rmq_jscan_eat(rmq_jscan_t *js, char c)
{
    rmq_jscan_ws(js);
    if (js->p < js->end && *js->p == c) {
        js->p++;
        return true;
    }
    return false;
}
/* Consumes a string, number, true, false or null; strings with escapes are
 * decoded into scratch (cleared first). */
bool rmq_jscan_scalar(rmq_jscan_t *js, rmq_buf_t *scratch, rmq_jtype_t *type, rmq_jstr_t *out);
/* Consumes any value, objects and arrays included (nesting bounded). */
bool rmq_jscan_skip(rmq_jscan_t *js);
/* Object iteration: call after '{' was eaten.  Returns true with the next key
 * in *key (decoded into scratch), positioned before the value; false at '}'
 * (consumed) or on error (js->err set). */
bool rmq_jscan_next_key(rmq_jscan_t *js, bool *first, rmq_buf_t *scratch, rmq_jstr_t *key);
/* True when only whitespace remains. */
bool rmq_jscan_at_end(rmq_jscan_t *js);
bool rmq_jscan_fail(rmq_jscan_t *js, const char *why);

#endif
