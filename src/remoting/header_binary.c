/* ROCKETMQ binary header serialization (serialize type 1), protocol.md 2.7;
 * Java RocketMQSerializable.  Layout, all big-endian:
 *   int16 code | int8 language | int16 version | int32 opaque | int32 flag |
 *   int32 remarkLength | remark | int32 extLength | ext entries
 * where an ext entry is int16 keyLength | key | int32 valueLength | value.
 * A zero length means null, so empty strings are not representable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "remoting/command.h"
#include "rocketmq/error.h"

int rmq_header_binary_encode(const rmq_cmd_t *cmd, rmq_buf_t *out)
{
    /* The code is a short here: 5.x POP codes (200050...) do not fit. */
    if (cmd->code < INT16_MIN || cmd->code > INT16_MAX)
        return ROCKETMQ_ERR__INVALID_ARG;
    rmq_buf_append_be16(out, (uint16_t)cmd->code);
    rmq_buf_append_u8(out, (uint8_t)cmd->language);
    rmq_buf_append_be16(out, (uint16_t)cmd->version);
    rmq_buf_append_be32(out, (uint32_t)cmd->opaque);
    rmq_buf_append_be32(out, (uint32_t)cmd->flag);
    size_t rlen = cmd->remark ? strlen(cmd->remark) : 0;
    rmq_buf_append_be32(out, (uint32_t)rlen);
    rmq_buf_append(out, cmd->remark, rlen);
    size_t ext_at = out->len;
    rmq_buf_append_be32(out, 0);
    for (size_t i = 0; i < cmd->ext.n; i++) {
        size_t klen = cmd->ext.kv[i].klen, vlen = cmd->ext.kv[i].vlen;
        if (klen == 0 || vlen == 0)
            continue; /* Java skips null entries; empty ones would read back as null */
        if (klen > INT16_MAX)
            return ROCKETMQ_ERR__INVALID_ARG;
        rmq_buf_append_be16(out, (uint16_t)klen);
        rmq_buf_append(out, cmd->ext.kv[i].key, klen);
        rmq_buf_append_be32(out, (uint32_t)vlen);
        rmq_buf_append(out, cmd->ext.kv[i].value, vlen);
    }
    rmq_put_be32(out->data + ext_at, (uint32_t)(out->len - ext_at - 4));
    return 0;
}

static int fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "binary header: %s", what);
    return ROCKETMQ_ERR__PROTOCOL;
}

static int decode_ext(rmq_reader_t *r, rmq_cmd_t *cmd, char *err, size_t errlen)
{
    uint32_t ext_len;
    const uint8_t *block;
    if (rmq_reader_be32(r, &ext_len) || rmq_reader_bytes(r, ext_len, &block))
        return fail(err, errlen, "extFields length beyond header");
    rmq_reader_t er;
    rmq_reader_init(&er, block, ext_len);
    while (rmq_reader_left(&er) > 0) {
        uint16_t klen;
        uint32_t vlen;
        const uint8_t *k, *v;
        if (rmq_reader_be16(&er, &klen) || (int16_t)klen < 0 ||
            rmq_reader_bytes(&er, klen, &k) || rmq_reader_be32(&er, &vlen) ||
            rmq_reader_bytes(&er, vlen, &v))
            return fail(err, errlen, "truncated extFields entry");
        if (klen == 0 || vlen == 0)
            continue; /* null key or value: absent */
        if (memchr(k, 0, klen))
            return fail(err, errlen, "NUL byte in extFields key");
        rmq_ext_setn(&cmd->ext, (const char *)k, klen, (const char *)v, vlen);
    }
    return 0;
}

int rmq_header_binary_decode(const uint8_t *p, size_t n, rmq_cmd_t *cmd, char *err, size_t errlen)
{
    rmq_reader_t r;
    rmq_reader_init(&r, p, n);
    uint16_t code, version;
    uint8_t lang;
    uint32_t opaque, flag, rlen;
    const uint8_t *remark;
    if (rmq_reader_be16(&r, &code) || rmq_reader_u8(&r, &lang) ||
        rmq_reader_be16(&r, &version) || rmq_reader_be32(&r, &opaque) ||
        rmq_reader_be32(&r, &flag) || rmq_reader_be32(&r, &rlen))
        return fail(err, errlen, "shorter than its 21-byte fixed part");
    if (rmq_reader_bytes(&r, rlen, &remark))
        return fail(err, errlen, "remark length beyond header");
    cmd->code = (int16_t)code;
    cmd->language = lang;
    cmd->version = (int16_t)version;
    cmd->opaque = (int32_t)opaque;
    cmd->flag = (int32_t)flag;
    if (rlen > 0)
        cmd->remark = rmq_strndup((const char *)remark, rlen);
    return decode_ext(&r, cmd, err, errlen);
}
