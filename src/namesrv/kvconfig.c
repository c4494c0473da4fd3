#include "namesrv/kvconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
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

static int read_file(const char *path, rmq_buf_t *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 1 : -1;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rmq_buf_append(out, chunk, n);
    int bad = ferror(f);
    fclose(f);
    return bad ? -1 : 0;
}

static int load(rmq_kvconfig_t *kv, const rmq_buf_t *text, char *err, size_t errlen)
{
    json_t *root = rmq_json_loads(text->data, text->len, err, errlen);
    if (!root)
        return -1;
    json_t *table = json_object_get(root, "configTable");
    int rc = 0;
    if (table && !json_is_object(table)) {
        snprintf(err, errlen, "configTable is not an object");
        rc = -1;
    }
    const char *ns, *key;
    json_t *kvs, *v;
    if (rc == 0 && table) {
        json_object_foreach(table, ns, kvs) {
            if (!json_is_object(kvs))
                continue;
            json_object_foreach(kvs, key, v) {
                if (json_is_string(v))
                    rmq_kvconfig_put(kv, ns, key, json_string_value(v));
            }
        }
    }
    json_decref(root);
    return rc;
}

rmq_kvconfig_t *rmq_kvconfig_open(const char *path, char *err, size_t errlen)
{
    rmq_kvconfig_t *kv = rmq_calloc(1, sizeof(*kv));
    kv->table = rmq_map_new();
    rmq_buf_t text = RMQ_BUF_INIT;
    int rc = read_file(path, &text);
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

static void encode(const rmq_kvconfig_t *kv, rmq_buf_t *out)
{
    json_t *table = json_object();
    rmq_map_iter_t it, it2;
    const char *ns, *key;
    void *m, *v;
    rmq_map_iter_init(&it, kv->table);
    while (rmq_map_iter_next(&it, &ns, NULL, &m)) {
        json_t *o = json_object();
        rmq_map_iter_init(&it2, m);
        while (rmq_map_iter_next(&it2, &key, NULL, &v))
            json_object_set_new(o, key, json_string(v));
        json_object_set_new(table, ns, o);
    }
    json_t *root = json_object();
    json_object_set_new(root, "configTable", table);
    rmq_json_dump_append(root, out);
    json_decref(root);
}

static int mkdirs(const char *path)
{
    char *tmp = rmq_strdup(path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
            free(tmp);
            return -1;
        }
        *p = '/';
    }
    free(tmp);
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* tmp -> write -> fsync -> close -> rename over the file -> fsync the
 * directory, so a crash leaves the old or the new file, never a torn one.
 * The previous content is kept as <path>.bak, as Apache RocketMQ does. */
static int write_atomic(const char *path, const rmq_buf_t *data)
{
    if (mkdirs(path) != 0)
        return -1;
    rmq_buf_t tmp = RMQ_BUF_INIT, bak = RMQ_BUF_INIT;
    rmq_buf_printf(&tmp, "%s.tmp", path);
    rmq_buf_printf(&bak, "%s.bak", path);
    int rc = -1;
    int fd = open(rmq_buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        rc = write_all(fd, data->data, data->len) == 0 && fsync(fd) == 0 ? 0 : -1;
        if (close(fd) != 0)
            rc = -1;
    }
    if (rc == 0) {
        if (link(path, rmq_buf_cstr(&bak)) != 0 && errno == EEXIST) {
            unlink(rmq_buf_cstr(&bak));
            link(path, rmq_buf_cstr(&bak)); /* best effort: the .bak is a courtesy */
        }
        rc = rename(rmq_buf_cstr(&tmp), path);
    }
    if (rc != 0) {
        unlink(rmq_buf_cstr(&tmp));
    } else {
        char *dir = rmq_strdup(path);
        int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    rmq_buf_free(&tmp);
    rmq_buf_free(&bak);
    return rc;
}

static int persist(rmq_kvconfig_t *kv)
{
    if (!kv->path)
        return 0; /* still loading */
    rmq_buf_t out = RMQ_BUF_INIT;
    encode(kv, &out);
    int rc = write_atomic(kv->path, &out);
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
