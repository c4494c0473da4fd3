#include "protocol/header.h"

#include <stdio.h>
#include <string.h>

#include "rocketmq/error.h"

static int decode_field(const rmq_header_field_t *f, const rmq_ext_t *ext, size_t *hint,
                        char *base, char *err, size_t errlen)
{
    const char *v = rmq_ext_get_near(ext, f->name, f->name_len, hint);
    if (!v) {
        if (f->required) {
            snprintf(err, errlen, "the custom field <%s> is null", f->name);
            return ROCKETMQ_ERR__PROTOCOL;
        }
        return 0;
    }
    int rc = 0;
    switch (f->type) {
    case RMQ_HF_STR:
        *(const char **)(base + f->offset) = v;
        break;
    case RMQ_HF_I32:
        rc = rmq_ext_parse_i32(v, (int32_t *)(base + f->offset));
        break;
    case RMQ_HF_I64:
        rc = rmq_ext_parse_i64(v, (int64_t *)(base + f->offset));
        break;
    case RMQ_HF_BOOL:
        rmq_ext_parse_bool(v, (bool *)(base + f->offset));
        break;
    }
    if (rc != 0) {
        snprintf(err, errlen, "the custom field <%s> has an invalid value \"%s\"", f->name, v);
        return ROCKETMQ_ERR__PROTOCOL;
    }
    if (f->presence != RMQ_HF_NO_PRESENCE)
        *(bool *)(base + f->presence) = true;
    return 0;
}

int rmq_header_decode(const rmq_header_desc_t *d, const rmq_ext_t *ext, void *out, char *err,
                      size_t errlen)
{
    (void)d->name;
    for (size_t i = 0; i < d->nfields; i++) {
        const rmq_header_field_t *f = &d->fields[i];
        switch (f->type) {
        case RMQ_HF_STR: *(const char **)((char *)out + f->offset) = NULL; break;
        case RMQ_HF_I32: *(int32_t *)((char *)out + f->offset) = 0; break;
        case RMQ_HF_I64: *(int64_t *)((char *)out + f->offset) = 0; break;
        case RMQ_HF_BOOL: *(bool *)((char *)out + f->offset) = false; break;
        }
        if (f->presence != RMQ_HF_NO_PRESENCE)
            *(bool *)((char *)out + f->presence) = false;
    }
    /* Senders mostly write the fields in the table's order: each lookup
     * starts where the previous one matched. */
    size_t hint = 0;
    for (size_t i = 0; i < d->nfields; i++) {
        int rc = decode_field(&d->fields[i], ext, &hint, out, err, errlen);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void rmq_header_encode(const rmq_header_desc_t *d, const void *in, rmq_ext_t *ext)
{
    const char *base = in;
    for (size_t i = 0; i < d->nfields; i++) {
        const rmq_header_field_t *f = &d->fields[i];
        if (f->presence != RMQ_HF_NO_PRESENCE && !*(const bool *)(base + f->presence))
            continue;
        /* Values as text, keys with the lengths the table knows. */
        char tmp[RMQ_I64_TEXT_MAX];
        const char *v = tmp;
        size_t n;
        switch (f->type) {
        case RMQ_HF_STR:
            v = *(const char *const *)(base + f->offset);
            if (!v)
                continue;
            n = strlen(v);
            break;
        case RMQ_HF_I32: n = rmq_fmt_i64(tmp, *(const int32_t *)(base + f->offset)); break;
        case RMQ_HF_I64: n = rmq_fmt_i64(tmp, *(const int64_t *)(base + f->offset)); break;
        default: /* RMQ_HF_BOOL */
            v = *(const bool *)(base + f->offset) ? "true" : "false";
            n = strlen(v);
            break;
        }
        rmq_ext_setn(ext, f->name, f->name_len, v, n);
    }
}
