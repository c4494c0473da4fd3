/* Configuration as one table per component.
 *
 * Each row names an Apache RocketMQ key (listenPort, kvConfigPath, ...), its
 * type, the offset of the field it fills in the component's config struct, the
 * default (as text), the allowed range and a doc line.  Defaults, -c FILE
 * loading, -p printing and docs all go through the same rows, so they cannot
 * drift apart. */
#ifndef RMQ_BASE_CONFIG_H
#define RMQ_BASE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum rmq_conf_type {
    RMQ_CONF_INT,    /* int32_t field */
    RMQ_CONF_LONG,   /* int64_t field */
    RMQ_CONF_BOOL,   /* bool field: "true"/"false" (any case) */
    RMQ_CONF_STRING, /* char * field, malloc'ed; a leading "~/" expands to $HOME */
} rmq_conf_type_t;

typedef struct rmq_conf_def {
    const char *name;
    rmq_conf_type_t type;
    size_t offset;
    const char *defval;
    int64_t min, max; /* numeric range, inclusive; ignored for strings and bools */
    const char *doc;
} rmq_conf_def_t;

/* Result codes of rmq_conf_set (librdkafka's rd_kafka_conf_res_t shape). */
#define RMQ_CONF_OK 0
#define RMQ_CONF_INVALID (-1)
#define RMQ_CONF_UNKNOWN (-2)

/* defs arrays end with a row whose name is NULL.
 *
 * rmq_conf_defaults fills every field of a fresh obj (it frees nothing);
 * after that, rmq_conf_set replaces (and frees) string fields, trimming blanks
 * as Apache RocketMQ does.  Integers must be plain decimal within [min, max]
 * (min == max == 0: any value the field holds). */
void rmq_conf_defaults(const rmq_conf_def_t *defs, void *obj);
int rmq_conf_set(const rmq_conf_def_t *defs, void *obj, const char *name, const char *value,
                 char *err, size_t errlen);
/* Loads a properties file: unknown keys are logged as warnings and ignored
 * (Apache RocketMQ ignores them too); an invalid value fails the load (-1,
 * with the keys before it already applied). */
int rmq_conf_load_file(const rmq_conf_def_t *defs, void *obj, const char *path, char *err,
                       size_t errlen);
/* Writes "name=value" lines in table order. */
void rmq_conf_print(const rmq_conf_def_t *defs, const void *obj, FILE *out);
/* Writes a Markdown table of the rows (name, default, range, doc). */
void rmq_conf_print_markdown(const rmq_conf_def_t *defs, FILE *out);
void rmq_conf_free(const rmq_conf_def_t *defs, void *obj);
/* After a struct copy (*dst = *src): gives dst its own copies of the string
 * fields (NULL becomes ""), so both can be freed independently. */
void rmq_conf_dup_strings(const rmq_conf_def_t *defs, void *obj);

#endif
