/* Java-properties files (java.util.Properties.load semantics), the format of
 * Apache RocketMQ's namesrv.properties and broker.conf. */
#ifndef RMQ_BASE_PROPS_H
#define RMQ_BASE_PROPS_H

#include <stddef.h>

/* Called once per key/value in file order; a non-zero return stops parsing and
 * is returned by the parse function. */
typedef int (*rmq_props_cb)(const char *key, const char *value, void *arg);

/* Parses text: '#' and '!' comment lines, "key=value", "key:value" and
 * "key value" forms, whitespace around the separator ignored, backslash line
 * continuation, escapes \t \n \r \f \\ \uXXXX (emitted as UTF-8).  Returns 0,
 * the callback's non-zero result, or -1 on a malformed \uXXXX escape (as Java
 * throws; \u0000 is refused too since C strings cannot hold it). */
int rmq_props_parse(const char *text, size_t len, rmq_props_cb cb, void *arg);
/* Reads and parses a file; -1 with a message in err if it cannot be read or
 * has a malformed escape ("path:line: ...").  err is left alone when the
 * callback stops the parse: the callback reports its own errors. */
int rmq_props_load_file(const char *path, rmq_props_cb cb, void *arg, char *err, size_t errlen);

#endif
