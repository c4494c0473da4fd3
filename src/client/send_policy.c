/* The retry and timeout rules of DefaultMQProducerImpl.sendDefaultImpl and
 * MQClientAPIImpl.onExceptionImpl (4.9.8; protocol.md 9.6). */
#include "client/producer_int.h"

bool rmq_send_retryable(int err)
{
    switch (err) {
    /* broker codes sendDefaultImpl retries on */
    case ROCKETMQ_ERR_SYSTEM_ERROR:
    case ROCKETMQ_ERR_SERVICE_NOT_AVAILABLE:
    case ROCKETMQ_ERR_NO_PERMISSION:
    case ROCKETMQ_ERR_TOPIC_NOT_EXIST:
    case ROCKETMQ_ERR_NO_BUYER_ID:
    case ROCKETMQ_ERR_NOT_IN_CURRENT_UNIT:
    /* RemotingException and MQClientException: another broker may do */
    case ROCKETMQ_ERR__TRANSPORT:
    case ROCKETMQ_ERR__TIMEOUT:
    case ROCKETMQ_ERR__NOT_FOUND:
        return true;
    default:
        return false;
    }
}

bool rmq_send_async_retryable(int err)
{
    return err == ROCKETMQ_ERR__TRANSPORT || err == ROCKETMQ_ERR__TIMEOUT;
}

int64_t rmq_send_time_left(int64_t begin, int64_t now, int timeout_ms)
{
    return (int64_t)timeout_ms - (now - begin);
}
