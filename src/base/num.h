/* Number parsing with Java's rules, for values that travel as text
 * (extFields, properties files, JSON written by fastjson). */
#ifndef RMQ_BASE_NUM_H
#define RMQ_BASE_NUM_H

#include <stdint.h>

/* Long.parseLong: optional sign, decimal digits only, no blanks, in range.
 * Returns 0, or -1 if s is not such a number. */
int rmq_parse_i64(const char *s, int64_t *out);

#endif
