#include "namesrv/kvconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "protocol/bodies.h"
#include "rocketmq/error.h"

struct rmq_kvconfig {
    char *path;
    rmq_map_t *table; /* namespace -> (key -> char *) */
};

static void free_ns(void *p)
{
    rmq_map_free(p, free);
}

static int load(rmq_kvconfig_t *kv, const rmq_buf_t *text, char *err, size_t errlen)
{
    rmq_map_t *table;
    if (rmq_kv_config_wrapper_decode(text->data, text->len, &table, err, errlen) != 0)
        return -1;
    rmq_map_free(kv->table, free_ns);
    kv->table = table;
    return 0;
}

rmq_kvconfig_t *rmq_kvconfig_open(const char *path, char *err, size_t errlen)
{
    rmq_kvconfig_t *kv = rmq_calloc(1, sizeof(*kv));
    kv->table = rmq_map_new();
    rmq_buf_t text = RMQ_BUF_INIT;
    int rc = rmq_file_read(path, &text);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    } else if (rc == 0 && text.len > 0) {
        char jerr[160] = "";
        /* path is set only after loading, so the load does not rewrite the file */
        if (load(kv, &text, jerr, sizeof(jerr)) != 0) {
            snprintf(err, errlen, "cannot parse %s: %s", path, jerr);
            rc = -1;
        } else {
            RMQ_LOGI("namesrv", "KV config loaded from %s", path);
        }
    }
    rmq_buf_free(&text);
    kv->path = rmq_strdup(path);
    if (rc < 0) {
        rmq_kvconfig_free(kv);
        return NULL;
    }
    return kv;
}

void rmq_kvconfig_free(rmq_kvconfig_t *kv)
{
    if (!kv)
        return;
    rmq_map_free(kv->table, free_ns);
    free(kv->path);
    free(kv);
}

static int persist(rmq_kvconfig_t *kv)
{
    if (!kv->path)
        return 0; /* still loading */
    rmq_buf_t out = RMQ_BUF_INIT;
    rmq_kv_config_wrapper_encode(kv->table, &out);
    int rc = rmq_file_write_atomic(kv->path, out.data, out.len);
    rmq_buf_free(&out);
    if (rc != 0) {
        RMQ_LOGE("namesrv", "cannot write KV config to %s: %s", kv->path, strerror(errno));
        return ROCKETMQ_ERR__IO;
    }
    return 0;
}

int rmq_kvconfig_put(rmq_kvconfig_t *kv, const char *ns, const char *key, const char *value)
{
    rmq_map_t *m = rmq_smap_get(kv->table, ns);
    if (!m) {
        m = rmq_map_new();
        rmq_smap_put(kv->table, ns, m);
    }
    free(rmq_smap_put(m, key, rmq_strdup(value)));
    if (kv->path)
        RMQ_LOGI("namesrv", "KV config put: %s %s=%s", ns, key, value);
    return persist(kv);
}

int rmq_kvconfig_delete(rmq_kvconfig_t *kv, const char *ns, const char *key)
{
    rmq_map_t *m = rmq_smap_get(kv->table, ns);
    if (!m)
        return 0;
    char *old = rmq_smap_del(m, key);
    if (!old)
        return 0;
    free(old);
    if (rmq_map_size(m) == 0)
        free_ns(rmq_smap_del(kv->table, ns));
    RMQ_LOGI("namesrv", "KV config deleted: %s %s", ns, key);
    return persist(kv);
}

const char *rmq_kvconfig_get(const rmq_kvconfig_t *kv, const char *ns, const char *key)
{
    rmq_map_t *m = rmq_smap_get(kv->table, ns);
    return m ? rmq_smap_get(m, key) : NULL;
}

const rmq_map_t *rmq_kvconfig_namespace(const rmq_kvconfig_t *kv, const char *ns)
{
    rmq_map_t *m = rmq_smap_get(kv->table, ns);
    return m && rmq_map_size(m) > 0 ? m : NULL;
}
