/* The broker's JSON files under config/ (reference broker.md 1.9): topics.json,
 * consumerOffset.json, delayOffset.json and subscriptionGroup.json, as Apache
 * RocketMQ 4.9.8 writes and reads them (ConfigManager, MixAll.string2File).
 *
 * Mechanics: a file is replaced atomically and its previous content kept as
 * FILE.bak; loading falls back to FILE.bak when FILE is missing, empty,
 * unreadable or does not parse.
 *
 * Codecs: decoding accepts fastjson's output (bare numeric map keys, tabs and
 * newlines, numbers as strings); missing properties take Java's defaults,
 * unknown ones are ignored, wrong types give ROCKETMQ_ERR__PROTOCOL with a
 * message.  Encoding is compact with property names sorted; maps with Integer
 * keys (queue id, delay level) are written with bare keys ({0:250}) as
 * fastjson does, so a Java broker reads the files back into its
 * Map<Integer, Long> tables.  Structs own their strings and arrays; *_free
 * releases the contents (not the struct itself).  Every *_decode starts from
 * an empty struct and leaves it empty on failure. */
#ifndef RMQ_STORE_CONFIG_FILES_H
#define RMQ_STORE_CONFIG_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "protocol/bodies.h"

/* ---- Generic mechanics ---- */

/* Parses n bytes of file content into arg.  Returns 0, or an error code with
 * a message in err; on failure arg must be left as it was found (or empty),
 * because the parse is retried with FILE.bak. */
typedef int (*rmq_config_parse_fn)(const void *p, size_t n, void *arg, char *err, size_t errlen);

typedef enum rmq_config_source {
    RMQ_CONFIG_FROM_NONE = 0, /* neither file had content: parse was not called */
    RMQ_CONFIG_FROM_FILE,
    RMQ_CONFIG_FROM_BAK,
} rmq_config_source_t;

/* Loads path with ConfigManager.load()'s rules: FILE is parsed; if it is
 * missing, empty, unreadable or rejected by parse, FILE.bak is parsed instead.
 * A missing or empty FILE.bak is success with nothing loaded (Java starts with
 * empty state then); a FILE.bak that cannot be read or parsed is a failure.
 *
 * Returns 0 with *source (may be NULL) telling which file was used; unless it
 * is RMQ_CONFIG_FROM_FILE, err then says why FILE was passed over, for a
 * warning (a corrupt FILE with no FILE.bak loads as empty, as in Java).  On
 * failure returns parse's error (ROCKETMQ_ERR__PROTOCOL) or ROCKETMQ_ERR__IO,
 * with err describing both files. */
int rmq_config_file_load(const char *path, rmq_config_parse_fn parse, void *arg,
                         rmq_config_source_t *source, char *err, size_t errlen);

/* Replaces path with data (rmq_file_write_atomic: the previous content is kept
 * as FILE.bak and a crash leaves the old or the new file, never a torn one).
 * Returns 0, or ROCKETMQ_ERR__IO with errno set. */
int rmq_config_file_persist(const char *path, const void *data, size_t len);

/* ---- Offsets: consumerOffset.json and delayOffset.json ---- */

/* One Integer -> Long map entry: queue id -> next offset to consume, or delay
 * level -> next consume-queue index of SCHEDULE_TOPIC_XXXX. */
typedef struct rmq_offset_pair {
    int32_t id;
    int64_t offset;
} rmq_offset_pair_t;

/* One "topic@group" entry of ConsumerOffsetManager.offsetTable. */
typedef struct rmq_consumer_offset_entry {
    char *key;
    rmq_offset_pair_t *queues;
    size_t nqueues;
} rmq_consumer_offset_entry_t;

/* consumerOffset.json: {"offsetTable":{"topic@group":{0:250,1:249}}}.  Keys
 * must be unique; encoding sorts keys and queue ids.  (5.x adds a dataVersion,
 * which is ignored.) */
typedef struct rmq_consumer_offsets {
    rmq_consumer_offset_entry_t *entries;
    size_t nentries;
} rmq_consumer_offsets_t;

void rmq_consumer_offsets_free(rmq_consumer_offsets_t *t);
/* Appends an entry for key (no lookup: the caller keeps keys unique). */
rmq_consumer_offset_entry_t *rmq_consumer_offsets_add(rmq_consumer_offsets_t *t, const char *key);
/* The entry for key, or NULL (linear search). */
rmq_consumer_offset_entry_t *rmq_consumer_offsets_find(const rmq_consumer_offsets_t *t,
                                                       const char *key);
/* Sets queue_id's offset, replacing an existing value. */
void rmq_consumer_offset_entry_put(rmq_consumer_offset_entry_t *e, int32_t queue_id,
                                   int64_t offset);
void rmq_consumer_offsets_encode(const rmq_consumer_offsets_t *t, rmq_buf_t *out);
int rmq_consumer_offsets_decode(const void *p, size_t n, rmq_consumer_offsets_t *t, char *err,
                                size_t errlen);

/* delayOffset.json: {"offsetTable":{1:37,2:0}} (delay level, 1-based ->
 * offset).  Encoding sorts levels. */
typedef struct rmq_delay_offsets {
    rmq_offset_pair_t *levels;
    size_t nlevels;
} rmq_delay_offsets_t;

void rmq_delay_offsets_free(rmq_delay_offsets_t *d);
/* Sets level's offset, replacing an existing value. */
void rmq_delay_offsets_put(rmq_delay_offsets_t *d, int32_t level, int64_t offset);
/* Returns true and sets *offset if level is present. */
bool rmq_delay_offsets_get(const rmq_delay_offsets_t *d, int32_t level, int64_t *offset);
void rmq_delay_offsets_encode(const rmq_delay_offsets_t *d, rmq_buf_t *out);
int rmq_delay_offsets_decode(const void *p, size_t n, rmq_delay_offsets_t *d, char *err,
                             size_t errlen);

/* ---- subscriptionGroup.json ---- */

/* SubscriptionGroupConfig (4.9.8 fields only; 5.x additions are not kept). */
typedef struct rmq_subscription_group {
    char *group_name;
    bool consume_enable;                     /* true */
    bool consume_from_min_enable;            /* true */
    bool consume_broadcast_enable;           /* true */
    bool notify_consumer_ids_changed_enable; /* true */
    int32_t retry_queue_nums;                /* 1 */
    int32_t retry_max_times;                 /* 16 */
    int64_t broker_id;                       /* 0 (MixAll.MASTER_ID) */
    int64_t which_broker_when_consume_slowly; /* 1 */
} rmq_subscription_group_t;

/* {"dataVersion":{..},"subscriptionGroupTable":{"g":{SubscriptionGroupConfig}}};
 * encoding sorts groups by name. */
typedef struct rmq_subscription_groups {
    rmq_data_version_t data_version;
    rmq_subscription_group_t *groups;
    size_t ngroups;
} rmq_subscription_groups_t;

/* Java defaults; name may be NULL. */
void rmq_subscription_group_init(rmq_subscription_group_t *g, const char *name);
void rmq_subscription_group_free(rmq_subscription_group_t *g);
void rmq_subscription_groups_free(rmq_subscription_groups_t *t);
/* Appends a deep copy of g (no lookup: the caller keeps names unique). */
void rmq_subscription_groups_add(rmq_subscription_groups_t *t, const rmq_subscription_group_t *g);
void rmq_subscription_groups_encode(const rmq_subscription_groups_t *t, rmq_buf_t *out);
int rmq_subscription_groups_decode(const void *p, size_t n, rmq_subscription_groups_t *t,
                                   char *err, size_t errlen);

/* ---- Whole files ----
 *
 * Each load zeroes *t and then applies rmq_config_file_load() (arguments and
 * results as there; nothing loaded leaves *t empty).  Each persist encodes *t
 * and applies rmq_config_file_persist().  topics.json uses the
 * TopicConfigSerializeWrapper codec of protocol/bodies.h. */
int rmq_topics_file_load(const char *path, rmq_register_broker_body_t *t,
                         rmq_config_source_t *source, char *err, size_t errlen);
int rmq_topics_file_persist(const char *path, const rmq_register_broker_body_t *t);
int rmq_consumer_offsets_file_load(const char *path, rmq_consumer_offsets_t *t,
                                   rmq_config_source_t *source, char *err, size_t errlen);
int rmq_consumer_offsets_file_persist(const char *path, const rmq_consumer_offsets_t *t);
int rmq_delay_offsets_file_load(const char *path, rmq_delay_offsets_t *d,
                                rmq_config_source_t *source, char *err, size_t errlen);
int rmq_delay_offsets_file_persist(const char *path, const rmq_delay_offsets_t *d);
int rmq_subscription_groups_file_load(const char *path, rmq_subscription_groups_t *t,
                                      rmq_config_source_t *source, char *err, size_t errlen);
int rmq_subscription_groups_file_persist(const char *path, const rmq_subscription_groups_t *t);

#endif
