/* RemotingCommand: one request or response of Apache RocketMQ's remoting
 * protocol (reference: protocol.md sections 1 and 2; Java
 * remoting/.../protocol/RemotingCommand.java).
 *
 * Frame on the wire:
 *   int32 BE length      bytes after this field: 4 + headerLength + bodyLength
 *   int32 BE word        serialize type << 24 | headerLength (24 bits)
 *   header               JSON (type 0) or ROCKETMQ binary (type 1)
 *   body                 the rest of the frame */
#ifndef RMQ_REMOTING_COMMAND_H
#define RMQ_REMOTING_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "remoting/ext_fields.h"

#define RMQ_SERIALIZE_JSON 0
#define RMQ_SERIALIZE_ROCKETMQ 1

/* Flag bits (RemotingCommand RPC_TYPE / RPC_ONEWAY). */
#define RMQ_FLAG_RESPONSE 0x1
#define RMQ_FLAG_ONEWAY 0x2

/* MQVersion ordinal of Apache RocketMQ 4.9.8: what we send, so that peers
 * treat us as a modern 4.9 client or server (standard route JSON, etc). */
#define RMQ_VERSION_CURRENT 409

/* Default largest frame (com.rocketmq.remoting.frameMaxLength). */
#define RMQ_FRAME_MAX_DEFAULT (16 * 1024 * 1024)

/* LanguageCode; JSON carries the name, the binary header the byte. */
typedef enum rmq_language {
    RMQ_LANG_JAVA = 0,
    RMQ_LANG_CPP = 1,
    RMQ_LANG_DOTNET = 2,
    RMQ_LANG_PYTHON = 3,
    RMQ_LANG_DELPHI = 4,
    RMQ_LANG_ERLANG = 5,
    RMQ_LANG_RUBY = 6,
    RMQ_LANG_OTHER = 7,
    RMQ_LANG_HTTP = 8,
    RMQ_LANG_GO = 9,
    RMQ_LANG_PHP = 10,
    RMQ_LANG_OMS = 11,
    RMQ_LANG_RUST = 12,
    RMQ_LANG_NODE_JS = 13,
} rmq_language_t;

/* What rocketmq-c says it is: CPP, as the reference C++ client does. */
#define RMQ_LANG_SELF RMQ_LANG_CPP

typedef struct rmq_cmd {
    int32_t code;
    int language; /* rmq_language_t */
    int32_t version;
    int32_t opaque;
    int32_t flag;
    char *remark; /* NULL when absent */
    rmq_ext_t ext;
    uint8_t *body; /* NULL when empty */
    size_t body_len;
    uint8_t serialize_type; /* RMQ_SERIALIZE_*; responses follow the request's */
} rmq_cmd_t;

/* A request with a fresh process-wide opaque, our language and version. */
rmq_cmd_t *rmq_cmd_new_request(int32_t code);
/* A response for req: same opaque and serialize type, response flag set. */
rmq_cmd_t *rmq_cmd_new_response(const rmq_cmd_t *req, int32_t code, const char *remark);
rmq_cmd_t *rmq_cmd_new(void);
/* A copy of a request with a fresh opaque (a retry is a new request). */
rmq_cmd_t *rmq_cmd_dup_request(const rmq_cmd_t *req);
void rmq_cmd_free(rmq_cmd_t *cmd);
int32_t rmq_cmd_next_opaque(void);

/* What answering a request reads of it (rmq_cmd_new_response, the replies
 * of conn.h), for whoever answers after the request is gone: a few words,
 * where a whole command with its inline extFields is a KiB. */
typedef struct rmq_cmd_head {
    int32_t code;
    int language;
    int32_t version;
    int32_t opaque;
    int32_t flag;
    uint8_t serialize_type;
} rmq_cmd_head_t;

void rmq_cmd_head_save(rmq_cmd_head_t *h, const rmq_cmd_t *req);
/* Makes *out a request with h's fields and nothing else (no remark,
 * extFields or body; rmq_cmd_free is not needed), to answer with. */
void rmq_cmd_head_restore(const rmq_cmd_head_t *h, rmq_cmd_t *out);

void rmq_cmd_set_remark(rmq_cmd_t *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copies the bytes. */
void rmq_cmd_set_body(rmq_cmd_t *cmd, const void *p, size_t n);
/* Takes ownership of the buffer's bytes and leaves it empty. */
void rmq_cmd_take_body(rmq_cmd_t *cmd, rmq_buf_t *b);

static inline bool rmq_cmd_is_response(const rmq_cmd_t *cmd)
{
    return (cmd->flag & RMQ_FLAG_RESPONSE) != 0;
}

static inline bool rmq_cmd_is_oneway(const rmq_cmd_t *cmd)
{
    return (cmd->flag & RMQ_FLAG_ONEWAY) != 0;
}

const char *rmq_language_name(int lang);
/* Returns the code for a name, or -1. */
int rmq_language_from_name(const char *name, size_t len);

/* ---- codec (codec.c, header_json.c, header_binary.c) ---- */

/* Appends the whole frame (length prefix included) in cmd->serialize_type.
 * Returns 0, or ROCKETMQ_ERR__INVALID_ARG if the header does not fit the
 * 24-bit length or a binary header cannot represent the command. */
int rmq_cmd_encode(const rmq_cmd_t *cmd, rmq_buf_t *out);

/* Frame boundary check on the first avail bytes of a stream.  Returns 1 and
 * sets *frame_len (length prefix included) when a whole frame is present, 0
 * when more bytes are needed, -1 when the length prefix is invalid (below the
 * 4-byte minimum, negative, or above max_frame); *why names the problem. */
int rmq_frame_check(const uint8_t *p, size_t avail, size_t max_frame, size_t *frame_len,
                    const char **why);

/* Decodes one frame (length prefix included, as delimited by rmq_frame_check).
 * Returns 0 and a new command, or ROCKETMQ_ERR__PROTOCOL with err filled
 * (bad header length, unknown serialize type, malformed header). */
int rmq_cmd_decode(const uint8_t *frame, size_t len, rmq_cmd_t **out, char *err, size_t errlen);

int rmq_header_json_encode(const rmq_cmd_t *cmd, rmq_buf_t *out);
int rmq_header_json_decode(const uint8_t *p, size_t n, rmq_cmd_t *cmd, char *err, size_t errlen);
int rmq_header_binary_encode(const rmq_cmd_t *cmd, rmq_buf_t *out);
int rmq_header_binary_decode(const uint8_t *p, size_t n, rmq_cmd_t *cmd, char *err, size_t errlen);

#endif
