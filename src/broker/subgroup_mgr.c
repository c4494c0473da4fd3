/* Subscription group configs and subscriptionGroup.json
 * (SubscriptionGroupManager, reference broker.md 1.9, 10.6). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "broker/broker_int.h"
#include "rocketmq/error.h"

#define MOD "broker"
/* MixAll.isSysConsumerGroup: such groups are created even without auto-creation. */
#define SYS_GROUP_PREFIX "CID_RMQ_SYS_"

struct rmq_subgroup_mgr {
    char *path;
    rmq_map_t *table; /* group -> rmq_subscription_group_t * */
    rmq_data_version_t version;
    bool auto_create;
};

static void group_free(void *p)
{
    rmq_subscription_group_free(p);
    free(p);
}

/* Stores a copy of g, replacing (and freeing) any previous config. */
static rmq_subscription_group_t *table_put(rmq_subgroup_mgr_t *sm,
                                           const rmq_subscription_group_t *g)
{
    rmq_subscription_group_t *copy = rmq_malloc(sizeof(*copy));
    *copy = *g;
    copy->group_name = rmq_strdup(g->group_name);
    rmq_subscription_group_t *old = rmq_smap_put(sm->table, copy->group_name, copy);
    if (old)
        group_free(old);
    return copy;
}

static rmq_subscription_group_t *put_default(rmq_subgroup_mgr_t *sm, const char *name)
{
    rmq_subscription_group_t g;
    rmq_subscription_group_init(&g, name);
    rmq_subscription_group_t *made = table_put(sm, &g);
    rmq_subscription_group_free(&g);
    return made;
}

/* SubscriptionGroupManager.init(): always in memory, all with defaults. */
static void add_builtins(rmq_subgroup_mgr_t *sm)
{
    static const char *const names[] = {
        "TOOLS_CONSUMER",     "FILTERSRV_CONSUMER",    "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY",
        "CID_ONSAPI_PULL",    "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        put_default(sm, names[i]);
}

/* The file's entries overwrite the built-ins; its data version is taken as is. */
static int load_file(rmq_subgroup_mgr_t *sm, char *err, size_t errlen)
{
    rmq_subscription_groups_t file;
    rmq_config_source_t source;
    char why[1024];
    int rc = rmq_subscription_groups_file_load(sm->path, &file, &source, why, sizeof(why));
    if (rc != 0) {
        rmq_set_err(err, errlen, "cannot load subscription groups: %s", why);
        return rc;
    }
    /* A missing file is a first start; anything else lost data. */
    if (source == RMQ_CONFIG_FROM_BAK
        || (source == RMQ_CONFIG_FROM_NONE && access(sm->path, F_OK) == 0))
        RMQ_LOGW(MOD, "subscription groups: %s", why);
    if (source != RMQ_CONFIG_FROM_NONE) {
        for (size_t i = 0; i < file.ngroups; i++)
            table_put(sm, &file.groups[i]);
        sm->version = file.data_version;
        RMQ_LOGI(MOD, "%zu subscription groups loaded from %s%s", file.ngroups, sm->path,
                 source == RMQ_CONFIG_FROM_BAK ? ".bak" : "");
    }
    rmq_subscription_groups_free(&file);
    return 0;
}

rmq_subgroup_mgr_t *rmq_subgroup_mgr_open(const char *path, bool auto_create, char *err,
                                          size_t errlen)
{
    rmq_subgroup_mgr_t *sm = rmq_calloc(1, sizeof(*sm));
    sm->path = rmq_strdup(path);
    sm->table = rmq_map_new();
    sm->auto_create = auto_create;
    sm->version.timestamp = rmq_now_ms(); /* new DataVersion() */
    add_builtins(sm);
    if (load_file(sm, err, errlen) != 0) {
        rmq_subgroup_mgr_free(sm);
        return NULL;
    }
    return sm;
}

void rmq_subgroup_mgr_free(rmq_subgroup_mgr_t *sm)
{
    if (!sm)
        return;
    rmq_map_free(sm->table, group_free);
    free(sm->path);
    free(sm);
}

/* The whole file: data version and the groups sorted by name. */
static void fill_file(rmq_subgroup_mgr_t *sm, rmq_subscription_groups_t *out)
{
    memset(out, 0, sizeof(*out));
    out->data_version = sm->version;
    size_t n;
    const char **keys = rmq_smap_keys_sorted(sm->table, &n);
    for (size_t i = 0; i < n; i++)
        rmq_subscription_groups_add(out, rmq_smap_get(sm->table, keys[i]));
    free(keys);
}

/* ConfigManager.persist(): a failure is logged and the table kept, as in Java. */
static int changed(rmq_subgroup_mgr_t *sm)
{
    rmq_data_version_next(&sm->version);
    rmq_subscription_groups_t file;
    fill_file(sm, &file);
    int rc = rmq_subscription_groups_file_persist(sm->path, &file);
    if (rc != 0)
        RMQ_LOGE(MOD, "cannot write %s: %s", sm->path, strerror(errno));
    rmq_subscription_groups_free(&file);
    return rc;
}

const rmq_subscription_group_t *rmq_subgroup_mgr_find(rmq_subgroup_mgr_t *sm, const char *group)
{
    rmq_subscription_group_t *g = rmq_smap_get(sm->table, group);
    if (g)
        return g;
    if (!sm->auto_create && strncmp(group, SYS_GROUP_PREFIX, strlen(SYS_GROUP_PREFIX)) != 0)
        return NULL;
    g = put_default(sm, group);
    RMQ_LOGI(MOD, "subscription group %s auto-created", group);
    changed(sm);
    return g;
}

int rmq_subgroup_mgr_update(rmq_subgroup_mgr_t *sm, const rmq_subscription_group_t *g)
{
    if (!g->group_name || !g->group_name[0])
        return ROCKETMQ_ERR__INVALID_ARG;
    RMQ_LOGI(MOD, "subscription group %s %s", g->group_name,
             rmq_smap_get(sm->table, g->group_name) ? "updated" : "created");
    table_put(sm, g);
    return changed(sm);
}

int rmq_subgroup_mgr_delete(rmq_subgroup_mgr_t *sm, const char *group)
{
    rmq_subscription_group_t *old = rmq_smap_del(sm->table, group);
    if (!old) {
        /* Java answers SUCCESS for an unknown group too. */
        RMQ_LOGW(MOD, "delete of unknown subscription group %s", group);
        return 0;
    }
    group_free(old);
    RMQ_LOGI(MOD, "subscription group %s deleted", group);
    return changed(sm);
}

void rmq_subgroup_mgr_encode(rmq_subgroup_mgr_t *sm, rmq_buf_t *out)
{
    rmq_subscription_groups_t file;
    fill_file(sm, &file);
    rmq_subscription_groups_encode(&file, out);
    rmq_subscription_groups_free(&file);
}
