/* The name server's KV config (KVConfigManager): namespace -> key -> value,
 * persisted after every change to kvConfigPath as
 * {"configTable":{"<namespace>":{"<key>":"<value>"}}} and loaded at start. */
#ifndef RMQ_NAMESRV_KVCONFIG_H
#define RMQ_NAMESRV_KVCONFIG_H

#include <stddef.h>

#include "base/map.h"

#define RMQ_NAMESPACE_ORDER_TOPIC_CONFIG "ORDER_TOPIC_CONFIG"

typedef struct rmq_kvconfig rmq_kvconfig_t;

/* Loads path if it exists.  NULL with err filled if it exists but cannot be
 * read or parsed (refusing to start beats silently dropping the config). */
rmq_kvconfig_t *rmq_kvconfig_open(const char *path, char *err, size_t errlen);
void rmq_kvconfig_free(rmq_kvconfig_t *kv);
/* Both return 0, or ROCKETMQ_ERR__IO if the file could not be written (the
 * change is kept in memory and the error logged). */
int rmq_kvconfig_put(rmq_kvconfig_t *kv, const char *ns, const char *key, const char *value);
int rmq_kvconfig_delete(rmq_kvconfig_t *kv, const char *ns, const char *key);
const char *rmq_kvconfig_get(const rmq_kvconfig_t *kv, const char *ns, const char *key);
/* The namespace's key -> value map (char * values), or NULL if empty. */
const rmq_map_t *rmq_kvconfig_namespace(const rmq_kvconfig_t *kv, const char *ns);

#endif
