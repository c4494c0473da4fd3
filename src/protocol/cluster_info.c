/* ClusterInfo (protocol.md 5.4), the GET_BROKER_CLUSTER_INFO body.  Java
 * always writes it with bare numeric brokerAddrs keys; we read both forms
 * and write the standard one. */
#include "protocol/bodies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "protocol/bodies_int.h"
#include "rocketmq/error.h"

void rmq_cluster_info_free(rmq_cluster_info_t *ci)
{
    if (!ci)
        return;
    for (size_t i = 0; i < ci->nbrokers; i++)
        rmq_broker_data_free(&ci->brokers[i]);
    free(ci->brokers);
    for (size_t i = 0; i < ci->nclusters; i++) {
        free(ci->clusters[i].cluster);
        rmq_str_array_free(ci->clusters[i].broker_names, ci->clusters[i].nbroker_names);
    }
    free(ci->clusters);
    memset(ci, 0, sizeof(*ci));
}

void rmq_cluster_info_encode(const rmq_cluster_info_t *ci, rmq_buf_t *out)
{
    json_t *brokers = json_object();
    for (size_t i = 0; i < ci->nbrokers; i++) {
        const rmq_broker_data_t *bd = &ci->brokers[i];
        rmq_json_set(brokers, bd->broker_name ? bd->broker_name : "", rmq_broker_data_to_json(bd));
    }
    json_t *clusters = json_object();
    for (size_t i = 0; i < ci->nclusters; i++) {
        const rmq_cluster_entry_t *ce = &ci->clusters[i];
        rmq_json_set(clusters, ce->cluster ? ce->cluster : "",
                     rmq_json_str_array_new(ce->broker_names, ce->nbroker_names));
    }
    json_t *j = json_object();
    json_object_set_new(j, "brokerAddrTable", brokers);
    json_object_set_new(j, "clusterAddrTable", clusters);
    rmq_json_dump_append(j, out);
    json_decref(j);
}

static int cluster_fill(const json_t *j, rmq_cluster_info_t *ci, char *err, size_t errlen)
{
    static const char ctx[] = "ClusterInfo";
    json_t *bat, *cat;
    int rc;
    if ((rc = rmq_json_get_container(j, "brokerAddrTable", JSON_OBJECT, &bat, ctx, err, errlen))
            != 0
        || (rc = rmq_json_get_container(j, "clusterAddrTable", JSON_OBJECT, &cat, ctx, err,
                                        errlen)) != 0)
        return rc;

    const char *key;
    json_t *v;
    size_t n = json_object_size(bat);
    if (n)
        ci->brokers = rmq_calloc(n, sizeof(*ci->brokers));
    json_object_foreach(bat, key, v)
    {
        char ictx[96];
        snprintf(ictx, sizeof(ictx), "%s.brokerAddrTable[%.48s]", ctx, key);
        rmq_broker_data_t *bd = &ci->brokers[ci->nbrokers];
        if ((rc = rmq_broker_data_from_json_ctx(v, bd, ictx, err, errlen)) != 0)
            return rc;
        ci->nbrokers++;
        /* The table is keyed by broker name; trust the key if the value lacks it. */
        if (!bd->broker_name)
            bd->broker_name = rmq_strdup(key);
    }

    n = json_object_size(cat);
    if (n)
        ci->clusters = rmq_calloc(n, sizeof(*ci->clusters));
    json_object_foreach(cat, key, v)
    {
        char ictx[96];
        snprintf(ictx, sizeof(ictx), "%s.clusterAddrTable[%.48s]", ctx, key);
        rmq_cluster_entry_t *ce = &ci->clusters[ci->nclusters++];
        ce->cluster = rmq_strdup(key);
        if (!json_is_array(v) && !json_is_null(v))
            return rmq_body_err(err, errlen, "%s: expected an array, got %s", ictx,
                                rmq_json_type_name(v));
        if ((rc = rmq_json_str_array(v, &ce->broker_names, &ce->nbroker_names, ictx, err,
                                     errlen)) != 0)
            return rc;
    }
    return 0;
}

int rmq_cluster_info_decode(const void *p, size_t n, rmq_cluster_info_t *ci, char *err,
                            size_t errlen)
{
    memset(ci, 0, sizeof(*ci));
    json_t *j = rmq_body_parse_object(p, n, "ClusterInfo", err, errlen);
    if (!j)
        return ROCKETMQ_ERR__PROTOCOL;
    int rc = cluster_fill(j, ci, err, errlen);
    json_decref(j);
    if (rc != 0)
        rmq_cluster_info_free(ci);
    return rc;
}
