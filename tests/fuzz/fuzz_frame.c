/* libFuzzer target for the remoting codec: the input is a TCP byte stream.
 *
 * Every complete frame is decoded; whatever decodes must survive a re-encode
 * and decode again with the same header fields, because the name server
 * answers with commands built from what it decoded.  The two header decoders
 * are also fed the raw input directly, so the fuzzer does not have to
 * discover the frame prefix to reach them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "remoting/command.h"

/* Smaller than the 16 MiB default so that the "too large" path is reachable
 * with inputs libFuzzer can produce. */
#define MAX_FRAME ((size_t)1 << 20)

static void die(const char *what)
{
    fprintf(stderr, "fuzz_frame: %s\n", what);
    abort();
}

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static void roundtrip(const rmq_cmd_t *cmd)
{
    rmq_buf_t out = RMQ_BUF_INIT;
    /* Encoding may legitimately refuse (e.g. a binary header with a key
     * longer than a short); what it does produce must decode. */
    if (rmq_cmd_encode(cmd, &out) != 0) {
        if (out.len != 0)
            die("failed encode left bytes behind");
        rmq_buf_free(&out);
        return;
    }
    size_t flen = 0;
    const char *why = NULL;
    if (rmq_frame_check(out.data, out.len, RMQ_FRAME_MAX_DEFAULT, &flen, &why) != 1 ||
        flen != out.len)
        die("re-encoded frame fails the frame check");
    char err[256];
    rmq_cmd_t *again = NULL;
    if (rmq_cmd_decode(out.data, out.len, &again, err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_frame: re-decode: %s\n", err);
        die("re-encoded frame does not decode");
    }
    if (again->code != cmd->code || again->opaque != cmd->opaque || again->flag != cmd->flag ||
        again->version != cmd->version || again->serialize_type != cmd->serialize_type)
        die("header fields changed in the round trip");
    if (again->body_len != cmd->body_len ||
        (cmd->body_len && memcmp(again->body, cmd->body, cmd->body_len) != 0))
        die("body changed in the round trip");
    /* JSON carries every string exactly; the binary form cannot carry empty
     * values or bytes after a NUL, so only JSON is held to equality. */
    if (cmd->serialize_type == RMQ_SERIALIZE_JSON) {
        if (!str_eq(again->remark, cmd->remark))
            die("remark changed in the round trip");
        if (again->ext.n != cmd->ext.n)
            die("extFields count changed in the round trip");
        for (size_t i = 0; i < cmd->ext.n; i++)
            if (!str_eq(rmq_ext_get(&again->ext, cmd->ext.kv[i].key), cmd->ext.kv[i].value))
                die("extFields value changed in the round trip");
    }
    rmq_cmd_free(again);
    rmq_buf_free(&out);
}

static void decode_frame(const uint8_t *p, size_t n)
{
    char err[256];
    rmq_cmd_t *cmd = NULL;
    if (rmq_cmd_decode(p, n, &cmd, err, sizeof(err)) != 0) {
        if (cmd)
            die("failed decode returned a command");
        return;
    }
    roundtrip(cmd);
    rmq_cmd_free(cmd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rmq_log_set_level(RMQ_LOG_ERROR);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* As the connection reader does: peel frames off the stream until one is
     * incomplete or the length prefix is invalid (which closes the connection). */
    size_t off = 0;
    while (off < size) {
        size_t flen = 0;
        const char *why = NULL;
        int rc = rmq_frame_check(data + off, size - off, MAX_FRAME, &flen, &why);
        if (rc < 0 && !why)
            die("invalid frame without a reason");
        if (rc <= 0)
            break;
        if (flen < 8 || flen > size - off || flen > MAX_FRAME)
            die("frame length out of bounds");
        decode_frame(data + off, flen);
        off += flen;
    }

    /* Header decoders on their own; a copy without slack makes ASan catch
     * any read past n. */
    char err[256];
    uint8_t *copy = malloc(size ? size : 1);
    if (size)
        memcpy(copy, data, size);
    rmq_cmd_t *cmd = rmq_cmd_new();
    if (rmq_header_json_decode(copy, size, cmd, err, sizeof(err)) == 0)
        roundtrip(cmd);
    rmq_cmd_free(cmd);

    cmd = rmq_cmd_new();
    cmd->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
    if (rmq_header_binary_decode(copy, size, cmd, err, sizeof(err)) == 0)
        roundtrip(cmd);
    rmq_cmd_free(cmd);
    free(copy);
    return 0;
}
