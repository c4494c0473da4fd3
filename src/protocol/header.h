/* Typed request/response headers <-> extFields.
 *
 * Java maps its CommandCustomHeader classes to extFields by reflection; here
 * each header is a plain struct plus a table of its fields (name, type,
 * offset, required), and two generic functions convert in both directions.
 * Decoded strings are borrowed from the command's extFields: the header
 * struct is valid as long as the command it came from. */
#ifndef RMQ_PROTOCOL_HEADER_H
#define RMQ_PROTOCOL_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remoting/ext_fields.h"

typedef enum rmq_hf_type {
    RMQ_HF_STR,  /* const char * */
    RMQ_HF_I32,  /* int32_t */
    RMQ_HF_I64,  /* int64_t */
    RMQ_HF_BOOL, /* bool */
} rmq_hf_type_t;

#define RMQ_HF_NO_PRESENCE ((size_t)-1)

typedef struct rmq_header_field {
    const char *name; /* the Java field name, e.g. "brokerName" */
    rmq_hf_type_t type;
    size_t offset;
    bool required; /* @CFNotNull */
    /* For optional boxed values (Integer, Long, Boolean): offset of a bool
     * telling whether the value is present; RMQ_HF_NO_PRESENCE otherwise
     * (strings use NULL for absent). */
    size_t presence;
    size_t name_len; /* strlen(name), known when the table is built */
} rmq_header_field_t;

typedef struct rmq_header_desc {
    const char *name; /* Java class name, for messages */
    const rmq_header_field_t *fields;
    size_t nfields;
} rmq_header_desc_t;

/* Zeroes out, then fills it from ext.  Returns 0, or ROCKETMQ_ERR__PROTOCOL
 * with err set to the message Java gives ("the custom field <x> is null") or
 * naming the field whose value does not parse. */
int rmq_header_decode(const rmq_header_desc_t *d, const rmq_ext_t *ext, void *out, char *err,
                      size_t errlen);
/* Writes every present field of in into ext. */
void rmq_header_encode(const rmq_header_desc_t *d, const void *in, rmq_ext_t *ext);

#define RMQ_HF(st, field, type, req)                                                               \
    {#field, type, offsetof(st, field), req, RMQ_HF_NO_PRESENCE, sizeof(#field) - 1}
#define RMQ_HF_OPT(st, field, type)                                                                \
    {#field, type, offsetof(st, field), false, offsetof(st, has_##field), sizeof(#field) - 1}
#define RMQ_HEADER_DESC(name, fields) {name, fields, sizeof(fields) / sizeof(fields[0])}

#endif
