/* Writing JSON strings by hand on hot paths (command headers), where building
 * a jansson tree per request would cost more than the request itself. */
#ifndef RMQ_BASE_JSON_STR_H
#define RMQ_BASE_JSON_STR_H

#include <stddef.h>

#include "base/buf.h"

/* Appends s[0..n) as a quoted JSON string: '"' and '\\' escaped, \b \f \n \r \t
 * in short form, other bytes below 0x20 as \u00XX (what fastjson writes, so the
 * U+0001/U+0002 separators of message properties survive).  Bytes >= 0x80 are
 * copied as they are (the caller passes UTF-8). */
void rmq_buf_append_json_str(rmq_buf_t *b, const char *s, size_t n);

#endif
