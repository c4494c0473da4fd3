/* The broker's running statistics (StoreStatsService, 4.9.8): every second
 * a sample of the store's totals, kept ten minutes, gives the TPS figures
 * of GET_BROKER_RUNTIME_INFO over 10 s, 1 min and 10 min; every minute a
 * copy of the put latency histogram gives the distribution and the 99th and
 * 99.9th percentiles of the last complete minute.  Loop thread only. */
#ifndef RMQ_BROKER_STATS_H
#define RMQ_BROKER_STATS_H

#include "base/buf.h"
#include "store/store.h"

#define RMQ_STATS_SAMPLES 601 /* MAX_RECORDS_OF_SAMPLING + 1 */

typedef enum rmq_stats_kind {
    RMQ_STATS_PUT = 0,         /* putTps: messages stored */
    RMQ_STATS_GET_FOUND = 1,   /* getFoundTps: reads that returned messages */
    RMQ_STATS_GET_MISS = 2,    /* getMissTps: reads that returned none */
    RMQ_STATS_GET_TOTAL = 3,   /* getTotalTps */
    RMQ_STATS_TRANSFERED = 4,  /* getTransferedTps: messages returned */
    RMQ_STATS_KINDS = 5,
} rmq_stats_kind_t;

typedef struct rmq_stats_sample {
    int64_t ts_ms;
    int64_t total[RMQ_STATS_KINDS];
} rmq_stats_sample_t;

typedef struct rmq_broker_stats {
    rmq_stats_sample_t ring[RMQ_STATS_SAMPLES];
    size_t first, n; /* oldest sample, count */
    int64_t minute_start_ms;
    int64_t at_minute_start[RMQ_STORE_LATENCY_BUCKETS]; /* histogram then */
    int64_t last_minute[RMQ_STORE_LATENCY_BUCKETS];     /* the last full minute */
    bool have_last_minute;
} rmq_broker_stats_t;

void rmq_broker_stats_init(rmq_broker_stats_t *st);
/* Takes a sample (every second) and rolls the minute over when due. */
void rmq_broker_stats_sample(rmq_broker_stats_t *st, const rmq_store_stats_t *now, int64_t now_ms);
/* "a b c": the TPS over the last 10, 60 and 600 samples, each as Java's
 * Double.toString, or empty while there are not that many samples yet (as
 * Java prints it). */
void rmq_broker_stats_tps(const rmq_broker_stats_t *st, rmq_stats_kind_t kind, rmq_buf_t *out);
/* The last full minute's put latencies (the current one before the first
 * minute is over): Java's 13 putMessageDistributeTime buckets, and the
 * percentiles in ms ("%.2f"). */
void rmq_broker_stats_latency(const rmq_broker_stats_t *st, const rmq_store_stats_t *now,
                              rmq_buf_t *dist, double *p99, double *p999);

#endif
