/* What the producer checks before sending (4.9.8 Validators.checkTopic,
 * checkGroup, checkMessage and TopicValidator.isNotAllowedSendTopic).
 *
 * Codes follow Java's MQClientException: the topic and group checks throw
 * with code -1 (the (message, cause) constructor), which is
 * ROCKETMQ_ERR__INVALID_ARG here; only the message checks use
 * ResponseCode.MESSAGE_ILLEGAL.  The texts are Java's, so a log line reads
 * the same from either client. */
#include <string.h>

#include "base/errmsg.h"
#include "client/msg_int.h"

#define GROUP_MAX_LENGTH 255
#define VALID_CHARS "^[%|a-zA-Z0-9_-]+$"

/* Topics a producer may not send to; the broker refuses them too (16). */
static const char *const not_allowed_send_topics[] = {
    "SCHEDULE_TOPIC_XXXX",        "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC", "SELF_TEST_TOPIC",          "OFFSET_MOVED_EVENT",
};

/* UtilAll.isBlank: NULL, empty, or only Character.isWhitespace characters
 * (the ASCII ones: \t \n \v \f \r, 0x1c-0x1f and space). */
static bool is_blank(const char *s)
{
    if (!s)
        return true;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!(c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)))
            return false;
    }
    return true;
}

/* Java compares String.length(), which counts UTF-16 units, not bytes:
 * count lead bytes, and two units for a 4-byte sequence. */
static size_t java_length(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xc0) != 0x80)
            n++;
        if (*p >= 0xf0)
            n++;
    }
    return n;
}

/* TopicValidator.isTopicOrGroupIllegal: anything outside ^[%|a-zA-Z0-9_-]+$
 * (any non-ASCII byte is illegal as well). */
static bool has_illegal_char(const char *s)
{
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '%' || c == '|' || c == '_' || c == '-';
        if (!ok)
            return true;
    }
    return false;
}

int rmq_validate_topic(const char *topic, char *err, size_t errlen)
{
    if (is_blank(topic)) {
        rmq_set_err(err, errlen, "The specified topic is blank");
        return ROCKETMQ_ERR__INVALID_ARG;
    }
    if (java_length(topic) > ROCKETMQ_TOPIC_MAX) {
        rmq_set_err(err, errlen, "The specified topic is longer than topic max length %d.",
                    ROCKETMQ_TOPIC_MAX);
        return ROCKETMQ_ERR__INVALID_ARG;
    }
    if (has_illegal_char(topic)) {
        rmq_set_err(err, errlen,
                    "The specified topic[%s] contains illegal characters, allowing only %s", topic,
                    VALID_CHARS);
        return ROCKETMQ_ERR__INVALID_ARG;
    }
    return 0;
}

int rmq_validate_group(const char *group, char *err, size_t errlen)
{
    if (is_blank(group)) {
        rmq_set_err(err, errlen, "the specified group is blank");
        return ROCKETMQ_ERR__INVALID_ARG;
    }
    if (java_length(group) > GROUP_MAX_LENGTH) {
        rmq_set_err(err, errlen, "the specified group is longer than group max length %d.",
                    GROUP_MAX_LENGTH);
        return ROCKETMQ_ERR__INVALID_ARG;
    }
    if (has_illegal_char(group)) {
        rmq_set_err(err, errlen,
                    "the specified group[%s] contains illegal characters, allowing only %s", group,
                    VALID_CHARS);
        return ROCKETMQ_ERR__INVALID_ARG;
    }
    return 0;
}

bool rmq_topic_send_forbidden(const char *topic)
{
    if (!topic)
        return false;
    for (size_t i = 0; i < sizeof(not_allowed_send_topics) / sizeof(not_allowed_send_topics[0]);
         i++) {
        if (strcmp(not_allowed_send_topics[i], topic) == 0)
            return true;
    }
    return false;
}

int rmq_validate_message(const rocketmq_message_t *m, int max_size, char *err, size_t errlen)
{
    if (!m) {
        rmq_set_err(err, errlen, "the message is null");
        return ROCKETMQ_ERR_MESSAGE_ILLEGAL;
    }
    int rc = rmq_validate_topic(m->topic, err, errlen);
    if (rc != 0)
        return rc;
    if (rmq_topic_send_forbidden(m->topic)) {
        /* Java's client check uses code -1; only the broker answers 16. */
        rmq_set_err(err, errlen, "Sending message to topic[%s] is forbidden.", m->topic);
        return ROCKETMQ_ERR__INVALID_ARG;
    }
    /* The body is NULL exactly when it is empty (msg_int.h), so Java's
     * "is null" and "length is zero" cases are one case here. */
    if (!m->body || m->body_len == 0) {
        rmq_set_err(err, errlen, "the message body is null");
        return ROCKETMQ_ERR_MESSAGE_ILLEGAL;
    }
    if (max_size < 0 || m->body_len > (size_t)max_size) {
        rmq_set_err(err, errlen, "the message body size over max value, MAX: %d", max_size);
        return ROCKETMQ_ERR_MESSAGE_ILLEGAL;
    }
    return 0;
}
