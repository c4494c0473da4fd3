/* libFuzzer target for the store's decoders: stored records (what recovery
 * and dispatch read from disk, and what a PULL body carries), batch bodies,
 * message ids, properties, and the broker config files. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/config_files.h"
#include "protocol/record.h"

static void records(const uint8_t *data, size_t size)
{
    /* Walk the input as a commit-log segment, as recovery does. */
    size_t pos = 0;
    for (int guard = 0; pos < size && guard < 4096; guard++) {
        rmq_record_t rec;
        rmq_record_status_t st = rmq_record_parse(data + pos, size - pos, true, &rec);
        if (st != RMQ_RECORD_OK)
            break; /* bad, or BLANK: readers move on to the next file, whatever its size says */
        if (rec.total_size <= 0 || (size_t)rec.total_size > size - pos)
            abort(); /* parse promised a size it cannot deliver */
        const char *v;
        size_t n;
        rmq_props_find(rec.properties, (size_t)rec.properties_len, "TAGS", &v, &n);
        rmq_java_hash(rec.topic, (size_t)rec.topic_len);
        pos += (size_t)rec.total_size;
    }
}

static int count_item(const rmq_batch_item_t *item, void *arg)
{
    (void)item;
    ++*(int *)arg;
    return 0;
}

static void config_files(const uint8_t *data, size_t size)
{
    char err[256];
    rmq_consumer_offsets_t co;
    memset(&co, 0, sizeof(co));
    if (rmq_consumer_offsets_decode(data, size, &co, err, sizeof(err)) == 0)
        rmq_consumer_offsets_free(&co);
    rmq_delay_offsets_t d;
    memset(&d, 0, sizeof(d));
    if (rmq_delay_offsets_decode(data, size, &d, err, sizeof(err)) == 0)
        rmq_delay_offsets_free(&d);
    rmq_subscription_groups_t sg;
    memset(&sg, 0, sizeof(sg));
    if (rmq_subscription_groups_decode(data, size, &sg, err, sizeof(err)) == 0)
        rmq_subscription_groups_free(&sg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    records(data, size);
    int items = 0;
    rmq_batch_foreach(data, size, count_item, &items);
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    rmq_host_t h;
    int64_t off;
    rmq_msg_id_decode(text, &h, &off);
    rmq_host_parse(text, &h);
    const char *v;
    size_t n;
    rmq_props_find(text, size, "KEYS", &v, &n);
    free(text);
    config_files(data, size);
    return 0;
}
