/* Consume offsets (RemoteBrokerOffsetStore, LocalFileOffsetStore;
 * protocol.md 9.9).  In memory: the next offset to consume per queue, as the
 * consume services report it (the lowest unconsumed message, so a crash
 * never skips one).  Clustering consumers keep them at the broker
 * (UPDATE_CONSUMER_OFFSET one-way every persistConsumerOffsetInterval, at
 * shutdown and when a queue is dropped; QUERY_CONSUMER_OFFSET when a queue
 * is assigned); broadcasting ones in a local file,
 * <dir>/<clientId>/<group>/offsets.json, in the shape Java writes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "client/consumer_int.h"
#include "protocol/bodies.h"
#include "protocol/codes.h"
#include "protocol/pull_headers.h"

typedef struct entry {
    rocketmq_message_queue_t mq;
    int64_t offset;
} entry_t;

struct rmq_offset_store {
    rmq_instance_t *inst;
    char *group;
    bool remote;
    char *path; /* local: the offsets file */
    pthread_mutex_t lock;
    rmq_map_t *table; /* mq key -> entry_t * */
};

rmq_offset_store_t *rmq_offset_store_new(rmq_instance_t *inst, const char *group, bool remote,
                                         const char *local_dir)
{
    rmq_offset_store_t *os = rmq_calloc(1, sizeof(*os));
    os->inst = inst;
    os->group = rmq_strdup(group);
    os->remote = remote;
    if (!remote) {
        size_t n = strlen(local_dir) + strlen(rmq_instance_client_id(inst)) + strlen(group) + 32;
        os->path = rmq_malloc(n);
        snprintf(os->path, n, "%s/%s/%s/offsets.json", local_dir, rmq_instance_client_id(inst),
                 group);
    }
    pthread_mutex_init(&os->lock, NULL);
    os->table = rmq_map_new();
    return os;
}

void rmq_offset_store_free(rmq_offset_store_t *os)
{
    if (!os)
        return;
    rmq_map_free(os->table, free);
    pthread_mutex_destroy(&os->lock);
    free(os->path);
    free(os->group);
    free(os);
}

static void set_locked(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq, int64_t offset,
                       bool increase_only)
{
    char key[320];
    rmq_mq_key(mq, key, sizeof(key));
    entry_t *e = rmq_smap_get(os->table, key);
    if (!e) {
        e = rmq_calloc(1, sizeof(*e));
        e->mq = *mq;
        e->offset = offset;
        rmq_smap_put(os->table, key, e);
    } else if (!increase_only || offset > e->offset) {
        e->offset = offset;
    }
}

void rmq_offset_store_update(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq,
                             int64_t offset, bool increase_only)
{
    pthread_mutex_lock(&os->lock);
    set_locked(os, mq, offset, increase_only);
    pthread_mutex_unlock(&os->lock);
}

static bool memory_offset(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq, int64_t *out)
{
    char key[320];
    rmq_mq_key(mq, key, sizeof(key));
    pthread_mutex_lock(&os->lock);
    entry_t *e = rmq_smap_get(os->table, key);
    if (e)
        *out = e->offset;
    pthread_mutex_unlock(&os->lock);
    return e != NULL;
}

/* The master's address of mq's broker, refreshing the route once. */
static bool master_addr(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq, char *out,
                        size_t n)
{
    bool slave = false;
    if (rmq_instance_subscribe_addr(os->inst, mq->broker_name, 0, out, n, &slave) && !slave)
        return true;
    rmq_instance_update_route(os->inst, mq->topic, NULL, 0);
    return rmq_instance_subscribe_addr(os->inst, mq->broker_name, 0, out, n, &slave) && !slave;
}

/* fetchConsumeOffsetFromBroker: >= 0, -1 (the broker has none, or answered
 * an error), -2 (could not ask). */
static int64_t fetch_remote(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq)
{
    char addr[160];
    if (!master_addr(os, mq, addr, sizeof(addr)))
        return -2;
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_QUERY_CONSUMER_OFFSET);
    rmq_query_consumer_offset_req_t h = {os->group, mq->topic, mq->queue_id};
    rmq_header_encode(&rmq_query_consumer_offset_req_desc, &h, &req->ext);
    rmq_cmd_t *resp = NULL;
    int err = rmq_rclient_invoke_sync(rmq_instance_rclient(os->inst), addr, req, 5000, &resp);
    int64_t result = -2;
    if (err == 0 && resp->code == 0) {
        rmq_offset_resp_t r;
        char why[128];
        if (rmq_header_decode(&rmq_query_consumer_offset_resp_desc, &resp->ext, &r, why,
                              sizeof(why)) == 0)
            result = r.offset;
    } else if (err == 0) {
        result = -1; /* QUERY_NOT_FOUND and other broker errors */
    }
    rmq_cmd_free(resp);
    return result;
}

int64_t rmq_offset_store_read(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq, int type)
{
    int64_t off;
    if (type != RMQ_READ_FROM_STORE && memory_offset(os, mq, &off))
        return off;
    if (type == RMQ_READ_FROM_MEMORY)
        return -1;
    if (!os->remote) {
        /* the file was loaded at start: what memory has is what it had */
        return memory_offset(os, mq, &off) ? off : -1;
    }
    off = fetch_remote(os, mq);
    if (off >= 0)
        rmq_offset_store_update(os, mq, off, false);
    return off;
}

int rmq_offset_store_to_broker(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq,
                               int64_t offset, bool oneway)
{
    char addr[160];
    if (!master_addr(os, mq, addr, sizeof(addr)))
        return ROCKETMQ_ERR__NOT_FOUND;
    rmq_cmd_t *req = rmq_cmd_new_request(RMQ_REQ_UPDATE_CONSUMER_OFFSET);
    rmq_update_consumer_offset_req_t h = {os->group, mq->topic, mq->queue_id, offset};
    rmq_header_encode(&rmq_update_consumer_offset_req_desc, &h, &req->ext);
    if (oneway)
        return rmq_rclient_invoke_oneway(rmq_instance_rclient(os->inst), addr, req);
    rmq_cmd_t *resp = NULL;
    int err = rmq_rclient_invoke_sync(rmq_instance_rclient(os->inst), addr, req, 5000, &resp);
    if (err == 0)
        err = resp->code;
    rmq_cmd_free(resp);
    return err;
}

/* ---- the local file ---- */

static void write_file(rmq_offset_store_t *os)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    rmq_buf_append_str(&b, "{\"offsetTable\":{");
    pthread_mutex_lock(&os->lock);
    size_t n = 0;
    const char **keys = rmq_smap_keys_sorted(os->table, &n);
    for (size_t i = 0; i < n; i++) {
        entry_t *e = rmq_smap_get(os->table, keys[i]);
        rmq_message_queue_t mq = {e->mq.topic, e->mq.broker_name, e->mq.queue_id};
        json_t *k = rmq_message_queue_to_json(&mq);
        if (i)
            rmq_buf_append_u8(&b, ',');
        rmq_json_dump_append(k, &b); /* an object key, as fastjson writes it */
        json_decref(k);
        rmq_buf_printf(&b, ":%lld", (long long)e->offset);
    }
    pthread_mutex_unlock(&os->lock);
    free(keys);
    rmq_buf_append_str(&b, "}}");
    char dir[1024];
    rmq_str_copy(dir, sizeof(dir), os->path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if (rmq_mkdir_p(dir) != 0 || rmq_file_write_atomic(os->path, b.data, b.len) != 0)
        RMQ_LOGW("client", "cannot write %s: %s", os->path, strerror(errno));
    rmq_buf_free(&b);
}

void rmq_offset_store_load(rmq_offset_store_t *os)
{
    if (os->remote)
        return;
    rmq_buf_t text = RMQ_BUF_INIT;
    if (rmq_file_read(os->path, &text) != 0) {
        rmq_buf_free(&text);
        return; /* no file yet */
    }
    char why[128];
    json_t *j = rmq_json_loads(text.data, text.len, why, sizeof(why));
    json_t *table = j ? json_object_get(j, "offsetTable") : NULL;
    const char *k;
    json_t *v;
    json_object_foreach(table, k, v)
    {
        json_t *kj = json_loads(k, 0, NULL);
        rmq_message_queue_t mq;
        int64_t off;
        if (kj && rmq_message_queue_from_json(kj, &mq, why, sizeof(why)) == 0) {
            if (json_is_integer(v) && (off = json_integer_value(v)) >= 0 && strlen(mq.topic) <= ROCKETMQ_TOPIC_MAX &&
                strlen(mq.broker_name) <= ROCKETMQ_BROKER_NAME_MAX) {
                rocketmq_message_queue_t m;
                memset(&m, 0, sizeof(m));
                rmq_str_copy(m.topic, sizeof(m.topic), mq.topic);
                rmq_str_copy(m.broker_name, sizeof(m.broker_name), mq.broker_name);
                m.queue_id = mq.queue_id;
                rmq_offset_store_update(os, &m, off, false);
            }
            rmq_message_queue_free(&mq);
        }
        json_decref(kj);
    }
    if (!j)
        RMQ_LOGW("client", "%s: %s", os->path, why);
    json_decref(j);
    rmq_buf_free(&text);
}

/* ---- persistence ---- */

static bool owned(const rocketmq_message_queue_t *mq, const rocketmq_message_queue_t *mqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (mqs[i].queue_id == mq->queue_id && strcmp(mqs[i].topic, mq->topic) == 0 &&
            strcmp(mqs[i].broker_name, mq->broker_name) == 0)
            return true;
    return false;
}

void rmq_offset_store_persist_all(rmq_offset_store_t *os, const rocketmq_message_queue_t *mqs,
                                  size_t n)
{
    if (!os->remote) {
        write_file(os);
        return;
    }
    entry_t *todo = rmq_calloc(n ? n : 1, sizeof(*todo));
    size_t k = 0;
    pthread_mutex_lock(&os->lock);
    rmq_map_iter_t it;
    const char *key;
    size_t kl;
    void *v;
    rmq_map_iter_init(&it, os->table);
    while (rmq_map_iter_next(&it, &key, &kl, &v)) {
        entry_t *e = v;
        if (owned(&e->mq, mqs, n) && k < n) {
            todo[k++] = *e;
        } else { /* a queue no longer ours: forgotten */
            rmq_map_del(os->table, key, kl);
            free(e);
        }
    }
    pthread_mutex_unlock(&os->lock);
    for (size_t i = 0; i < k; i++)
        rmq_offset_store_to_broker(os, &todo[i].mq, todo[i].offset, true);
    free(todo);
}

void rmq_offset_store_persist(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq)
{
    int64_t off;
    if (!memory_offset(os, mq, &off))
        return;
    if (os->remote)
        rmq_offset_store_to_broker(os, mq, off, true);
    else
        write_file(os);
}

void rmq_offset_store_remove(rmq_offset_store_t *os, const rocketmq_message_queue_t *mq)
{
    char key[320];
    rmq_mq_key(mq, key, sizeof(key));
    pthread_mutex_lock(&os->lock);
    free(rmq_smap_del(os->table, key));
    pthread_mutex_unlock(&os->lock);
}
