/* The message object (Message.java): a topic, a body, a flag and string
 * properties kept in the order they were first set.
 *
 * This is client-library code, so allocation failures come back as
 * ROCKETMQ_ERR__NO_MEMORY instead of aborting the host (rmq_malloc would).
 * Property strings may not contain 0x01 or 0x02: those are the separators
 * of the properties string (protocol.md 6.2), and one inside a value would
 * make the broker and every consumer read different properties. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/num.h"
#include "client/client_int.h"
#include "client/msg_decode.h"
#include "client/msg_int.h"

#define NAME_VALUE_SEPARATOR '\001'
#define PROPERTY_SEPARATOR '\002'

/* MessageConst.STRING_HASH_SET of 4.9.8: the names putUserProperty refuses.
 * (4.9.8 leaves TRAN_PREPARED_QUEUE_OFFSET, TRANSACTION_CHECK_TIMES,
 * CHECK_IMMUNITY_TIME_IN_SECONDS and INNER_MULTI_DISPATCH out of the set,
 * so they are accepted as user properties there and here.) */
static const char *const reserved_names[] = {
    "TRACE_ON",           "MSG_REGION",        "KEYS",
    "TAGS",               "WAIT",              "DELAY",
    "RETRY_TOPIC",        "REAL_TOPIC",        "REAL_QID",
    "TRAN_MSG",           "PGROUP",            "MIN_OFFSET",
    "MAX_OFFSET",         "BUYER_ID",          "ORIGIN_MESSAGE_ID",
    "TRANSFER_FLAG",      "CORRECTION_FLAG",   "MQ2_FLAG",
    "RECONSUME_TIME",     "UNIQ_KEY",          "MAX_RECONSUME_TIMES",
    "CONSUME_START_TIME", "INSTANCE_ID",       "CORRELATION_ID",
    "REPLY_TO_CLIENT",    "TTL",               "ARRIVE_TIME",
    "PUSH_REPLY_TIME",    "CLUSTER",           "MSG_TYPE",
    "INNER_MULTI_QUEUE_OFFSET",
};

static bool is_reserved(const char *name)
{
    for (size_t i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++) {
        if (strcmp(reserved_names[i], name) == 0)
            return true;
    }
    return false;
}

static bool has_separator(const char *s)
{
    return strchr(s, NAME_VALUE_SEPARATOR) || strchr(s, PROPERTY_SEPARATOR);
}

/* String.trim().isEmpty(): trim drops every character <= ' '. */
static bool is_blank(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s > ' ')
            return false;
    }
    return true;
}

static rmq_msg_prop_t *find_prop(const rocketmq_message_t *msg, const char *name)
{
    for (size_t i = 0; i < msg->nprops; i++) {
        if (strcmp(msg->props[i].name, name) == 0)
            return &msg->props[i];
    }
    return NULL;
}

static void remove_prop(rocketmq_message_t *msg, const char *name)
{
    rmq_msg_prop_t *p = find_prop(msg, name);
    if (!p)
        return;
    free(p->name);
    free(p->value);
    size_t i = (size_t)(p - msg->props);
    /* Shift the rest down: the order of the others must not change. */
    memmove(p, p + 1, (msg->nprops - i - 1) * sizeof(*p));
    msg->nprops--;
}

/* Adds or replaces name=value; a replaced property keeps its place. */
static int store_prop(rocketmq_message_t *msg, const char *name, const char *value)
{
    char *v = strdup(value);
    if (!v)
        return rmq_client_fail(ROCKETMQ_ERR__NO_MEMORY, "out of memory setting property %s", name);
    rmq_msg_prop_t *p = find_prop(msg, name);
    if (p) {
        free(p->value);
        p->value = v;
        return 0;
    }
    if (msg->nprops == msg->cap) {
        size_t cap = msg->cap ? msg->cap * 2 : 8;
        rmq_msg_prop_t *np = realloc(msg->props, cap * sizeof(*np));
        if (!np) {
            free(v);
            return rmq_client_fail(ROCKETMQ_ERR__NO_MEMORY, "out of memory setting property %s",
                                   name);
        }
        msg->props = np;
        msg->cap = cap;
    }
    char *n = strdup(name);
    if (!n) {
        free(v);
        return rmq_client_fail(ROCKETMQ_ERR__NO_MEMORY, "out of memory setting property %s", name);
    }
    msg->props[msg->nprops].name = n;
    msg->props[msg->nprops].value = v;
    msg->nprops++;
    return 0;
}

/* The common checks of every property write; a NULL value removes. */
static int put_prop(rocketmq_message_t *msg, const char *name, const char *value)
{
    if (!msg || !name || !*name)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "a property needs a message and a name");
    if (has_separator(name) || (value && has_separator(value)))
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG,
                               "property %s: names and values may not contain 0x01 or 0x02",
                               name);
    if (!value) {
        remove_prop(msg, name);
        return 0;
    }
    return store_prop(msg, name, value);
}

rocketmq_message_t *rocketmq_message_new(const char *topic)
{
    rocketmq_message_t *msg = calloc(1, sizeof(*msg));
    if (!msg)
        return NULL;
    if ((topic && rocketmq_message_set_topic(msg, topic) != 0) ||
        rocketmq_message_set_wait_store_msg_ok(msg, true) != 0) {
        rocketmq_message_destroy(msg);
        return NULL;
    }
    return msg;
}

void rocketmq_message_destroy(rocketmq_message_t *msg)
{
    if (!msg)
        return;
    for (size_t i = 0; i < msg->nprops; i++) {
        free(msg->props[i].name);
        free(msg->props[i].value);
    }
    free(msg->props);
    free(msg->topic);
    free(msg->body);
    free(msg->ext);
    free(msg);
}

rocketmq_message_t *rocketmq_message_dup(const rocketmq_message_t *msg)
{
    if (!msg)
        return NULL;
    rocketmq_message_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->flag = msg->flag;
    if (msg->topic && rocketmq_message_set_topic(c, msg->topic) != 0)
        goto err;
    if (rocketmq_message_set_body(c, msg->body, msg->body_len) != 0)
        goto err;
    for (size_t i = 0; i < msg->nprops; i++) {
        if (store_prop(c, msg->props[i].name, msg->props[i].value) != 0)
            goto err;
    }
    if (msg->ext) {
        if (!(c->ext = malloc(sizeof(*c->ext))))
            goto err;
        *c->ext = *msg->ext;
    }
    return c;
err:
    rocketmq_message_destroy(c);
    return NULL;
}

int rocketmq_message_set_topic(rocketmq_message_t *msg, const char *topic)
{
    if (!msg)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no message");
    char *t = NULL;
    if (topic && !(t = strdup(topic)))
        return rmq_client_fail(ROCKETMQ_ERR__NO_MEMORY, "out of memory setting the topic");
    free(msg->topic);
    msg->topic = t;
    return 0;
}

int rocketmq_message_set_body(rocketmq_message_t *msg, const void *body, size_t len)
{
    if (!msg || (!body && len))
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no message or no body bytes");
    uint8_t *b = NULL;
    if (len) {
        b = malloc(len);
        if (!b)
            return rmq_client_fail(ROCKETMQ_ERR__NO_MEMORY, "out of memory copying a %zu-byte body",
                                   len);
        memcpy(b, body, len);
    }
    free(msg->body);
    msg->body = b;
    msg->body_len = len;
    return 0;
}

int rocketmq_message_set_tags(rocketmq_message_t *msg, const char *tags)
{
    return put_prop(msg, ROCKETMQ_PROPERTY_TAGS, tags);
}

int rocketmq_message_set_keys(rocketmq_message_t *msg, const char *keys)
{
    return put_prop(msg, ROCKETMQ_PROPERTY_KEYS, keys);
}

int rocketmq_message_set_flag(rocketmq_message_t *msg, int32_t flag)
{
    if (!msg)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no message");
    msg->flag = flag;
    return 0;
}

int rocketmq_message_set_delay_time_level(rocketmq_message_t *msg, int level)
{
    if (!msg || level < 0)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "invalid delay level %d", level);
    if (level == 0)
        return put_prop(msg, ROCKETMQ_PROPERTY_DELAY_TIME_LEVEL, NULL);
    char text[RMQ_I64_TEXT_MAX + 1];
    text[rmq_fmt_i64(text, level)] = '\0';
    return put_prop(msg, ROCKETMQ_PROPERTY_DELAY_TIME_LEVEL, text);
}

int rocketmq_message_set_wait_store_msg_ok(rocketmq_message_t *msg, bool wait)
{
    return put_prop(msg, ROCKETMQ_PROPERTY_WAIT_STORE_MSG_OK, wait ? "true" : "false");
}

int rocketmq_message_set_property(rocketmq_message_t *msg, const char *name, const char *value)
{
    return put_prop(msg, name, value);
}

int rocketmq_message_put_user_property(rocketmq_message_t *msg, const char *name,
                                       const char *value)
{
    if (!msg)
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG, "no message");
    /* Java checks the reserved names first, then blank names and values. */
    if (name && is_reserved(name))
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG,
                               "The Property<%s> is used by system, input another please", name);
    if (!name || !value || is_blank(name) || is_blank(value))
        return rmq_client_fail(ROCKETMQ_ERR__INVALID_ARG,
                               "The name or value of property can not be null or blank string!");
    return put_prop(msg, name, value);
}

const char *rocketmq_message_get_topic(const rocketmq_message_t *msg)
{
    return msg ? msg->topic : NULL;
}

const void *rocketmq_message_get_body(const rocketmq_message_t *msg, size_t *len)
{
    if (len)
        *len = msg ? msg->body_len : 0;
    return msg ? msg->body : NULL;
}

const char *rocketmq_message_get_tags(const rocketmq_message_t *msg)
{
    return rocketmq_message_get_property(msg, ROCKETMQ_PROPERTY_TAGS);
}

const char *rocketmq_message_get_keys(const rocketmq_message_t *msg)
{
    return rocketmq_message_get_property(msg, ROCKETMQ_PROPERTY_KEYS);
}

int32_t rocketmq_message_get_flag(const rocketmq_message_t *msg)
{
    return msg ? msg->flag : 0;
}

int rocketmq_message_get_delay_time_level(const rocketmq_message_t *msg)
{
    const char *t = rocketmq_message_get_property(msg, ROCKETMQ_PROPERTY_DELAY_TIME_LEVEL);
    int64_t v;
    /* Java's Integer.parseInt would throw on garbage; a getter that cannot
     * fail reports "no delay" instead. */
    if (!t || rmq_parse_i64(t, &v) != 0 || v < INT32_MIN || v > INT32_MAX)
        return 0;
    return (int)v;
}

bool rocketmq_message_get_wait_store_msg_ok(const rocketmq_message_t *msg)
{
    /* isWaitStoreMsgOK: absent means true; else Boolean.parseBoolean. */
    const char *v = rocketmq_message_get_property(msg, ROCKETMQ_PROPERTY_WAIT_STORE_MSG_OK);
    return !v || strcasecmp(v, "true") == 0;
}

const char *rocketmq_message_get_property(const rocketmq_message_t *msg, const char *name)
{
    if (!msg || !name)
        return NULL;
    const rmq_msg_prop_t *p = find_prop(msg, name);
    return p ? p->value : NULL;
}

const char *rocketmq_message_get_msg_id(const rocketmq_message_t *msg)
{
    /* MessageClientExt.getMsgId: a received message without UNIQ_KEY
     * (sent by an old or non-Java producer) is known by its offset id. */
    const char *uniq =
        rocketmq_message_get_property(msg, ROCKETMQ_PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
    if (!uniq && msg && msg->ext)
        return msg->ext->offset_msg_id;
    return uniq;
}

void rocketmq_message_foreach_property(const rocketmq_message_t *msg,
                                       void (*fn)(const char *name, const char *value, void *arg),
                                       void *arg)
{
    if (!msg || !fn)
        return;
    for (size_t i = 0; i < msg->nprops; i++)
        fn(msg->props[i].name, msg->props[i].value, arg);
}

void rmq_msg_encode_props(const rocketmq_message_t *m, rmq_buf_t *out)
{
    /* Separators go between entries: 4.9.8 strips the final 0x02, and
     * every reader accepts the string with or without it. */
    for (size_t i = 0; i < m->nprops; i++) {
        if (i > 0)
            rmq_buf_append_u8(out, PROPERTY_SEPARATOR);
        rmq_buf_append_str(out, m->props[i].name);
        rmq_buf_append_u8(out, NAME_VALUE_SEPARATOR);
        rmq_buf_append_str(out, m->props[i].value);
    }
}
