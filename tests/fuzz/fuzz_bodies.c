/* libFuzzer target for the name-server bodies (protocol/bodies.h): the same
 * input goes to the tolerant JSON reader and to every body decoder (the KV
 * config file's too), since a peer may send any bytes as any body.
 *
 * What decodes is encoded again and must decode again: the name server
 * re-encodes what brokers send it (routes, cluster info), so a decoded value
 * that cannot be written back out would be a bug too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/map.h"
#include "protocol/bodies.h"

static void die(const char *what, const char *err)
{
    fprintf(stderr, "fuzz_bodies: %s%s%s\n", what, err ? ": " : "", err ? err : "");
    abort();
}

static char g_err[512];

static void fuzz_route(const uint8_t *p, size_t n)
{
    rmq_topic_route_t r;
    if (rmq_topic_route_decode(p, n, &r, g_err, sizeof(g_err)) != 0)
        return;
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_topic_route_encode(&r, &out);
    rmq_topic_route_t again;
    if (rmq_topic_route_decode(out.data, out.len, &again, g_err, sizeof(g_err)) != 0)
        die("re-encoded TopicRouteData does not decode", g_err);
    if (again.nqueue_datas != r.nqueue_datas || again.nbroker_datas != r.nbroker_datas)
        die("TopicRouteData changed in the round trip", NULL);
    rmq_topic_route_free(&again);
    rmq_topic_route_free(&r);
    rmq_buf_free(&out);
}

static void fuzz_cluster_info(const uint8_t *p, size_t n)
{
    rmq_cluster_info_t ci;
    if (rmq_cluster_info_decode(p, n, &ci, g_err, sizeof(g_err)) != 0)
        return;
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_cluster_info_encode(&ci, &out);
    rmq_cluster_info_t again;
    if (rmq_cluster_info_decode(out.data, out.len, &again, g_err, sizeof(g_err)) != 0)
        die("re-encoded ClusterInfo does not decode", g_err);
    rmq_cluster_info_free(&again);
    rmq_cluster_info_free(&ci);
    rmq_buf_free(&out);
}

/* Writes b both ways and reads both back. */
static void register_body_roundtrip(const rmq_register_broker_body_t *b)
{
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_register_broker_body_t again;
    rmq_register_broker_body_encode(b, &out);
    if (rmq_register_broker_body_decode(out.data, out.len, &again, g_err, sizeof(g_err)) != 0)
        die("re-encoded RegisterBrokerBody does not decode", g_err);
    if (!rmq_data_version_equal(&again.data_version, &b->data_version))
        die("RegisterBrokerBody dataVersion changed in the round trip", NULL);
    rmq_register_broker_body_free(&again);
    rmq_buf_free(&out);
}

static void fuzz_register_body(const uint8_t *p, size_t n)
{
    rmq_register_broker_body_t b;
    if (rmq_register_broker_body_decode(p, n, &b, g_err, sizeof(g_err)) == 0) {
        register_body_roundtrip(&b);
        rmq_register_broker_body_free(&b);
    }
    if (rmq_topic_config_wrapper_decode(p, n, &b, g_err, sizeof(g_err)) == 0) {
        register_body_roundtrip(&b);
        rmq_register_broker_body_free(&b);
    }
}

static void fuzz_register_compressed(const uint8_t *p, size_t n)
{
    rmq_register_broker_body_t b;
    if (rmq_register_broker_body_decode_compressed(p, n, &b, g_err, sizeof(g_err)) != 0)
        return;
    /* Topic names read from the compressed form hold no space or NUL, so
     * they survive the space-separated encoding. */
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_register_broker_body_encode_compressed(&b, &out);
    rmq_register_broker_body_t again;
    if (rmq_register_broker_body_decode_compressed(out.data, out.len, &again, g_err,
                                                   sizeof(g_err)) != 0)
        die("re-encoded compressed RegisterBrokerBody does not decode", g_err);
    if (again.ntopics != b.ntopics)
        die("compressed RegisterBrokerBody lost topics in the round trip", NULL);
    rmq_register_broker_body_free(&again);
    register_body_roundtrip(&b);
    rmq_register_broker_body_free(&b);
    rmq_buf_free(&out);
}

static void fuzz_data_version(const uint8_t *p, size_t n)
{
    rmq_data_version_t dv;
    if (rmq_data_version_decode(p, n, &dv, g_err, sizeof(g_err)) != 0)
        return;
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_data_version_encode(&dv, &out);
    rmq_data_version_t again;
    if (rmq_data_version_decode(out.data, out.len, &again, g_err, sizeof(g_err)) != 0)
        die("re-encoded DataVersion does not decode", g_err);
    if (!rmq_data_version_equal(&dv, &again))
        die("DataVersion changed in the round trip", NULL);
    rmq_buf_free(&out);
}

static void fuzz_topic_list(const uint8_t *p, size_t n)
{
    rmq_topic_list_t tl;
    if (rmq_topic_list_decode(p, n, &tl, g_err, sizeof(g_err)) != 0)
        return;
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_topic_list_encode(&tl, &out);
    rmq_topic_list_t again;
    if (rmq_topic_list_decode(out.data, out.len, &again, g_err, sizeof(g_err)) != 0)
        die("re-encoded TopicList does not decode", g_err);
    if (again.ntopics != tl.ntopics)
        die("TopicList changed in the round trip", NULL);
    rmq_topic_list_free(&again);
    rmq_topic_list_free(&tl);
    rmq_buf_free(&out);
}

static void fuzz_kv_table(const uint8_t *p, size_t n)
{
    rmq_map_t *m = NULL;
    if (rmq_kv_table_decode(p, n, &m, g_err, sizeof(g_err)) != 0) {
        if (m)
            die("failed KVTable decode returned a map", NULL);
        return;
    }
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_kv_table_encode(m, &out);
    rmq_map_t *again = NULL;
    if (rmq_kv_table_decode(out.data, out.len, &again, g_err, sizeof(g_err)) != 0)
        die("re-encoded KVTable does not decode", g_err);
    if (rmq_map_size(again) != rmq_map_size(m))
        die("KVTable changed in the round trip", NULL);
    rmq_map_free(again, free);
    rmq_map_free(m, free);
    rmq_buf_free(&out);
}

static void free_namespace(void *m)
{
    rmq_map_free(m, free);
}

static void fuzz_kv_config(const uint8_t *p, size_t n)
{
    rmq_map_t *m = NULL;
    if (rmq_kv_config_wrapper_decode(p, n, &m, g_err, sizeof(g_err)) != 0) {
        if (m)
            die("failed KVConfig decode returned a map", NULL);
        return;
    }
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_kv_config_wrapper_encode(m, &out);
    rmq_map_t *again = NULL;
    if (rmq_kv_config_wrapper_decode(out.data, out.len, &again, g_err, sizeof(g_err)) != 0)
        die("re-encoded KVConfig does not decode", g_err);
    if (rmq_map_size(again) != rmq_map_size(m))
        die("KVConfig changed in the round trip", NULL);
    rmq_map_free(again, free_namespace);
    rmq_map_free(m, free_namespace);
    rmq_buf_free(&out);
}

static void fuzz_json_loads(const uint8_t *p, size_t n)
{
    json_t *j = rmq_json_loads(p, n, g_err, sizeof(g_err));
    if (!j)
        return;
    /* Whatever it accepted is plain JSON now, and must dump and reload. */
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_json_dump_append(j, &out);
    json_t *again = rmq_json_loads(out.data, out.len, g_err, sizeof(g_err));
    if (!again)
        die("dumped JSON does not reload", g_err);
    if (!json_equal(j, again))
        die("JSON changed in the dump/reload round trip", NULL);
    json_decref(again);
    json_decref(j);
    rmq_buf_free(&out);
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
    /* An exact-size copy: ASan then flags any read past the end, and a
     * zero-length input is a real pointer with nothing behind it. */
    uint8_t *p = malloc(size ? size : 1);
    if (size)
        memcpy(p, data, size);
    fuzz_json_loads(p, size);
    fuzz_route(p, size);
    fuzz_cluster_info(p, size);
    fuzz_register_body(p, size);
    fuzz_register_compressed(p, size);
    fuzz_data_version(p, size);
    fuzz_topic_list(p, size);
    fuzz_kv_table(p, size);
    fuzz_kv_config(p, size);
    free(p);
    return 0;
}
