/* Frame level of the codec: length prefix and the serialize-type word. */
#include <stdio.h>
#include <stdlib.h>

#include "remoting/command.h"
#include "rocketmq/error.h"

#define HEADER_LEN_MAX 0xFFFFFFu

int rmq_cmd_encode(const rmq_cmd_t *cmd, rmq_buf_t *out)
{
    size_t start = out->len;
    /* Reserve the two words, write the header after them, then patch. */
    rmq_buf_reserve(out, 8);
    out->len += 8;
    int rc = cmd->serialize_type == RMQ_SERIALIZE_ROCKETMQ ? rmq_header_binary_encode(cmd, out)
                                                           : rmq_header_json_encode(cmd, out);
    size_t hlen = out->len - start - 8;
    if (rc == 0 && hlen > HEADER_LEN_MAX)
        rc = ROCKETMQ_ERR__INVALID_ARG;
    if (rc == 0 && 4 + hlen + cmd->body_len > (size_t)INT32_MAX)
        rc = ROCKETMQ_ERR__INVALID_ARG;
    if (rc != 0) {
        out->len = start;
        return rc;
    }
    rmq_buf_append(out, cmd->body, cmd->body_len);
    rmq_put_be32(out->data + start, (uint32_t)(4 + hlen + cmd->body_len));
    rmq_put_be32(out->data + start + 4, ((uint32_t)cmd->serialize_type << 24) | (uint32_t)hlen);
    return 0;
}

int rmq_frame_check(const uint8_t *p, size_t avail, size_t max_frame, size_t *frame_len,
                    const char **why)
{
    if (avail < 4)
        return 0;
    int32_t len = (int32_t)rmq_be32(p);
    if (len < 4) {
        /* Negative lengths land here too: every frame holds at least the word. */
        *why = len < 0 ? "negative frame length" : "frame length below 4";
        return -1;
    }
    if ((size_t)len + 4 > max_frame) {
        *why = "frame larger than the maximum frame length";
        return -1;
    }
    if (avail < (size_t)len + 4)
        return 0;
    *frame_len = (size_t)len + 4;
    return 1;
}

int rmq_cmd_decode(const uint8_t *frame, size_t len, rmq_cmd_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (len < 8 || rmq_be32(frame) != len - 4) {
        snprintf(err, errlen, "truncated frame");
        return ROCKETMQ_ERR__PROTOCOL;
    }
    uint32_t word = rmq_be32(frame + 4);
    uint8_t type = (uint8_t)(word >> 24);
    size_t hlen = word & HEADER_LEN_MAX;
    if (hlen > len - 8) {
        snprintf(err, errlen, "header length %zu beyond frame of %zu bytes", hlen, len - 4);
        return ROCKETMQ_ERR__PROTOCOL;
    }
    if (type != RMQ_SERIALIZE_JSON && type != RMQ_SERIALIZE_ROCKETMQ) {
        snprintf(err, errlen, "unknown serialize type %u", type);
        return ROCKETMQ_ERR__PROTOCOL;
    }
    rmq_cmd_t *cmd = rmq_cmd_new();
    cmd->serialize_type = type;
    /* Defaults of a Java RemotingCommand that lacks the property. */
    cmd->language = RMQ_LANG_JAVA;
    cmd->version = 0;
    const uint8_t *hdr = frame + 8;
    int rc = type == RMQ_SERIALIZE_JSON ? rmq_header_json_decode(hdr, hlen, cmd, err, errlen)
                                        : rmq_header_binary_decode(hdr, hlen, cmd, err, errlen);
    if (rc != 0) {
        rmq_cmd_free(cmd);
        return ROCKETMQ_ERR__PROTOCOL;
    }
    rmq_cmd_set_body(cmd, hdr + hlen, len - 8 - hlen);
    *out = cmd;
    return 0;
}
