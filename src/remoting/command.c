#include "remoting/command.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

static const char *const g_lang_names[] = {
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
    "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS",
};
#define NLANG (sizeof(g_lang_names) / sizeof(g_lang_names[0]))

static atomic_int g_opaque;

int32_t rmq_cmd_next_opaque(void)
{
    /* Masked to stay non-negative, as the C++ client does: some peers log or
     * index by opaque and a wrapped negative value only confuses them. */
    return (int32_t)((unsigned)atomic_fetch_add(&g_opaque, 1) & 0x7fffffffu);
}

rmq_cmd_t *rmq_cmd_new(void)
{
    /* Not calloc: the extFields' inline arrays need no zeroes, and every
     * command of every request would pay for them. */
    static const rmq_cmd_head_t fresh = {.language = RMQ_LANG_SELF,
                                         .version = RMQ_VERSION_CURRENT,
                                         .serialize_type = RMQ_SERIALIZE_JSON};
    rmq_cmd_t *cmd = rmq_malloc(sizeof(*cmd));
    rmq_cmd_head_restore(&fresh, cmd);
    return cmd;
}

void rmq_cmd_head_save(rmq_cmd_head_t *h, const rmq_cmd_t *req)
{
    h->code = req->code;
    h->language = req->language;
    h->version = req->version;
    h->opaque = req->opaque;
    h->flag = req->flag;
    h->serialize_type = req->serialize_type;
}

void rmq_cmd_head_restore(const rmq_cmd_head_t *h, rmq_cmd_t *out)
{
    out->code = h->code;
    out->language = h->language;
    out->version = h->version;
    out->opaque = h->opaque;
    out->flag = h->flag;
    out->remark = NULL;
    rmq_ext_init(&out->ext);
    out->body = NULL;
    out->body_len = 0;
    out->serialize_type = h->serialize_type;
}

rmq_cmd_t *rmq_cmd_new_request(int32_t code)
{
    rmq_cmd_t *cmd = rmq_cmd_new();
    cmd->code = code;
    cmd->opaque = rmq_cmd_next_opaque();
    return cmd;
}

rmq_cmd_t *rmq_cmd_new_response(const rmq_cmd_t *req, int32_t code, const char *remark)
{
    rmq_cmd_t *cmd = rmq_cmd_new();
    cmd->code = code;
    cmd->opaque = req->opaque;
    cmd->flag = RMQ_FLAG_RESPONSE;
    cmd->serialize_type = req->serialize_type;
    if (remark)
        cmd->remark = rmq_strdup(remark);
    return cmd;
}

rmq_cmd_t *rmq_cmd_dup_request(const rmq_cmd_t *req)
{
    rmq_cmd_t *cmd = rmq_cmd_new_request(req->code);
    cmd->language = req->language;
    cmd->version = req->version;
    cmd->flag = req->flag;
    cmd->serialize_type = req->serialize_type;
    if (req->remark)
        cmd->remark = rmq_strdup(req->remark);
    for (size_t i = 0; i < req->ext.n; i++)
        rmq_ext_set(&cmd->ext, req->ext.kv[i].key, req->ext.kv[i].value);
    if (req->body_len)
        rmq_cmd_set_body(cmd, req->body, req->body_len);
    return cmd;
}

void rmq_cmd_free(rmq_cmd_t *cmd)
{
    if (!cmd)
        return;
    free(cmd->remark);
    rmq_ext_free(&cmd->ext);
    free(cmd->body);
    free(cmd);
}

void rmq_cmd_set_remark(rmq_cmd_t *cmd, const char *fmt, ...)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    rmq_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    free(cmd->remark);
    cmd->remark = rmq_strdup(rmq_buf_cstr(&b));
    rmq_buf_free(&b);
}

void rmq_cmd_set_body(rmq_cmd_t *cmd, const void *p, size_t n)
{
    free(cmd->body);
    cmd->body = NULL;
    cmd->body_len = 0;
    if (n == 0)
        return;
    cmd->body = rmq_malloc(n);
    memcpy(cmd->body, p, n);
    cmd->body_len = n;
}

void rmq_cmd_take_body(rmq_cmd_t *cmd, rmq_buf_t *b)
{
    free(cmd->body);
    cmd->body = rmq_buf_steal(b, &cmd->body_len);
    if (cmd->body_len == 0) {
        free(cmd->body);
        cmd->body = NULL;
    }
}

const char *rmq_language_name(int lang)
{
    if (lang < 0 || (size_t)lang >= NLANG)
        return "OTHER";
    return g_lang_names[lang];
}

int rmq_language_from_name(const char *name, size_t len)
{
    for (size_t i = 0; i < NLANG; i++)
        if (strlen(g_lang_names[i]) == len && memcmp(g_lang_names[i], name, len) == 0)
            return (int)i;
    return -1;
}
