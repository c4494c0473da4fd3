/* DataVersion (COMMON/DataVersion.java): how a broker tells the name server
 * whether its topic table changed since the last registration. */
#include "protocol/bodies.h"

#include <string.h>

#include "base/time.h"
#include "protocol/bodies_int.h"
#include "rocketmq/error.h"

json_t *rmq_data_version_to_json(const rmq_data_version_t *dv)
{
    json_t *j = json_object();
    json_object_set_new(j, "counter", json_integer(dv->counter));
    /* 4.9 has no stateVersion; writing 0 would only add noise for old peers. */
    if (dv->state_version != 0)
        json_object_set_new(j, "stateVersion", json_integer(dv->state_version));
    json_object_set_new(j, "timestamp", json_integer(dv->timestamp));
    return j;
}

int rmq_data_version_from_json(const json_t *j, rmq_data_version_t *dv, char *err, size_t errlen)
{
    static const char ctx[] = "DataVersion";
    rmq_data_version_t v = {0, 0, 0};
    memset(dv, 0, sizeof(*dv));
    if (!json_is_object(j))
        return rmq_body_err(err, errlen, "%s: expected an object, got %s", ctx,
                            j ? rmq_json_type_name(j) : "nothing");
    int rc;
    if ((rc = rmq_json_get_i64(j, "timestamp", 0, &v.timestamp, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_i64(j, "counter", 0, &v.counter, ctx, err, errlen)) != 0
        || (rc = rmq_json_get_i64(j, "stateVersion", 0, &v.state_version, ctx, err, errlen)) != 0)
        return rc;
    *dv = v;
    return 0;
}

bool rmq_data_version_equal(const rmq_data_version_t *a, const rmq_data_version_t *b)
{
    return a->timestamp == b->timestamp && a->counter == b->counter
           && a->state_version == b->state_version;
}

void rmq_data_version_next(rmq_data_version_t *dv)
{
    dv->timestamp = rmq_now_ms();
    dv->counter++;
}

void rmq_data_version_encode(const rmq_data_version_t *dv, rmq_buf_t *out)
{
    json_t *j = rmq_data_version_to_json(dv);
    rmq_json_dump_append(j, out);
    json_decref(j);
}

int rmq_data_version_decode(const void *p, size_t n, rmq_data_version_t *dv, char *err,
                            size_t errlen)
{
    memset(dv, 0, sizeof(*dv));
    json_t *j = rmq_body_parse_object(p, n, "DataVersion", err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    int rc = rmq_data_version_from_json(j, dv, err, errlen);
    json_decref(j);
    return rc;
}
