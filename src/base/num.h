/* Number parsing with Java's rules, for values that travel as text
 * (extFields, properties files, JSON written by fastjson). */
#ifndef RMQ_BASE_NUM_H
#define RMQ_BASE_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Long.parseLong: optional sign, decimal digits only, no blanks, in range.
 * Returns 0, or -1 if s is not such a number. */
int rmq_parse_i64(const char *s, int64_t *out);

/* Writes the decimal text of v (no NUL) into out, which holds at least
 * RMQ_I64_TEXT_MAX bytes; returns the length.  No printf: used on hot paths. */
#define RMQ_I64_TEXT_MAX 20
size_t rmq_fmt_i64(char *out, int64_t v);

#endif
