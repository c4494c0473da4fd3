#include "protocol/codes.h"

#include <stddef.h>

const char *rmq_request_code_name(int code)
{
    switch (code) {
#define XX(name, value)                                                                            \
    case value:                                                                                    \
        return #name;
        RMQ_REQUEST_CODE_MAP(XX)
#undef XX
    }
    return NULL;
}
