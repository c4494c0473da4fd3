/* rocketmq_err_str / rocketmq_err_name, generated from ROCKETMQ_ERR_MAP. */
#include "rocketmq/error.h"

#include <stdio.h>

/* Unknown codes get a per-thread "Err-<n>?" so the result is never NULL. */
static _Thread_local char g_unknown[32];

static const char *unknown(int err)
{
    snprintf(g_unknown, sizeof(g_unknown), "Err-%d?", err);
    return g_unknown;
}

const char *rocketmq_err_str(int err)
{
    switch (err) {
#define XX(name, value, text)                                                                      \
    case value:                                                                                    \
        return text;
        ROCKETMQ_ERR_MAP(XX)
#undef XX
    }
    return unknown(err);
}

const char *rocketmq_err_name(int err)
{
    switch (err) {
#define XX(name, value, text)                                                                      \
    case value:                                                                                    \
        return #name;
        ROCKETMQ_ERR_MAP(XX)
#undef XX
    }
    return unknown(err);
}
