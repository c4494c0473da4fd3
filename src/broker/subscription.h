/* Subscription expressions of TAG type (FilterAPI.buildSubscriptionData) and
 * the consume-queue level tag filter (ExpressionMessageFilter
 * .isMatchedByConsumeQueue); reference broker.md 8.2 and 8.3. */
#ifndef RMQ_BROKER_SUBSCRIPTION_H
#define RMQ_BROKER_SUBSCRIPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rmq_sub_expr {
    bool all;        /* "*", "" or no expression: every message */
    int32_t *codes;  /* distinct Java hash codes of the tags */
    size_t ncodes;
} rmq_sub_expr_t;

typedef enum rmq_sub_parse {
    RMQ_SUB_OK = 0,
    RMQ_SUB_BAD = -1,         /* SUBSCRIPTION_PARSE_FAILED */
    RMQ_SUB_UNSUPPORTED = -2, /* a non-TAG type (SQL92): property filtering is off */
} rmq_sub_parse_t;

/* Parses expr (may be NULL) of type (NULL or "" means TAG): split on "||",
 * each part trimmed as Java's String.trim, empty parts dropped.  An
 * expression made only of "||" is refused, as Java's split leaves no part.
 * Non-TAG types: an empty expression is refused, any other is unsupported. */
rmq_sub_parse_t rmq_sub_expr_parse(const char *expr, const char *type, rmq_sub_expr_t *out);
/* The tag filter: everything for "*", else the low 32 bits of the tags code
 * (Java's (int) tagsCode) must be one of the codes. */
bool rmq_sub_expr_match(const rmq_sub_expr_t *s, int64_t tags_code);
void rmq_sub_expr_free(rmq_sub_expr_t *s);

#endif
