#include "broker/stats.h"

#include <string.h>

#include "protocol/heartbeat.h"

static void totals(const rmq_store_stats_t *s, int64_t out[RMQ_STATS_KINDS])
{
    out[RMQ_STATS_PUT] = s->put_messages;
    out[RMQ_STATS_GET_FOUND] = s->get_hits;
    out[RMQ_STATS_GET_MISS] = s->get_times - s->get_hits;
    out[RMQ_STATS_GET_TOTAL] = s->get_times;
    out[RMQ_STATS_TRANSFERED] = s->get_found;
}

void rmq_broker_stats_init(rmq_broker_stats_t *st)
{
    memset(st, 0, sizeof(*st));
}

void rmq_broker_stats_sample(rmq_broker_stats_t *st, const rmq_store_stats_t *now, int64_t now_ms)
{
    rmq_stats_sample_t *slot;
    if (st->n < RMQ_STATS_SAMPLES) {
        slot = &st->ring[(st->first + st->n++) % RMQ_STATS_SAMPLES];
    } else {
        slot = &st->ring[st->first];
        st->first = (st->first + 1) % RMQ_STATS_SAMPLES;
    }
    slot->ts_ms = now_ms;
    totals(now, slot->total);
    if (st->n == 1) { /* the first sample opens the first minute */
        st->minute_start_ms = now_ms;
        memcpy(st->at_minute_start, now->put_latency, sizeof(st->at_minute_start));
    } else if (now_ms - st->minute_start_ms >= 60000) {
        for (int i = 0; i < RMQ_STORE_LATENCY_BUCKETS; i++)
            st->last_minute[i] = now->put_latency[i] - st->at_minute_start[i];
        memcpy(st->at_minute_start, now->put_latency, sizeof(st->at_minute_start));
        st->minute_start_ms = now_ms;
        st->have_last_minute = true;
    }
}

static const rmq_stats_sample_t *nth_from_last(const rmq_broker_stats_t *st, size_t k)
{
    return &st->ring[(st->first + st->n - 1 - k) % RMQ_STATS_SAMPLES];
}

/* CallSnapshot.getTPS between the newest sample and the one `window`
 * samples before it. */
static void tps_window(const rmq_broker_stats_t *st, rmq_stats_kind_t kind, size_t window,
                       rmq_buf_t *out)
{
    if (st->n <= window)
        return;
    const rmq_stats_sample_t *last = nth_from_last(st, 0), *before = nth_from_last(st, window);
    int64_t dt = last->ts_ms - before->ts_ms;
    double tps = dt > 0 ? (double)(last->total[kind] - before->total[kind]) / (double)dt * 1000.0
                        : 0.0;
    rmq_buf_append_java_double(out, tps);
}

void rmq_broker_stats_tps(const rmq_broker_stats_t *st, rmq_stats_kind_t kind, rmq_buf_t *out)
{
    tps_window(st, kind, 10, out);
    rmq_buf_append_str(out, " ");
    tps_window(st, kind, 60, out);
    rmq_buf_append_str(out, " ");
    tps_window(st, kind, 600, out);
}

/* The smallest latency (bucket upper bound, ms) under which a fraction px
 * of the puts fall. */
static double percentile(const int64_t *h, int64_t total, double px)
{
    static const double coarse_upper[] = {2000, 3000, 4000, 5000, 10000, 10000};
    if (total <= 0)
        return 0.0;
    int64_t want = (int64_t)((double)total * px + 0.999999), seen = 0;
    for (int i = 0; i < RMQ_STORE_LATENCY_BUCKETS; i++) {
        seen += h[i];
        if (seen >= want)
            return i < 1000 ? (double)i + 1.0 : coarse_upper[i - 1000];
    }
    return coarse_upper[5];
}

void rmq_broker_stats_latency(const rmq_broker_stats_t *st, const rmq_store_stats_t *now,
                              rmq_buf_t *dist, double *p99, double *p999)
{
    static const struct {
        const char *name;
        int64_t below_ms; /* exclusive upper bound; -1: the rest */
    } java[] = {
        {"[<=0ms]", 1},         {"[0~10ms]", 10},     {"[10~50ms]", 50},  {"[50~100ms]", 100},
        {"[100~200ms]", 200},   {"[200~500ms]", 500}, {"[500ms~1s]", 1000}, {"[1~2s]", 2000},
        {"[2~3s]", 3000},       {"[3~4s]", 4000},     {"[4~5s]", 5000},   {"[5~10s]", 10000},
        {"[10s~]", -1},
    };
    int64_t h[RMQ_STORE_LATENCY_BUCKETS], total = 0;
    for (int i = 0; i < RMQ_STORE_LATENCY_BUCKETS; i++) {
        h[i] = st->have_last_minute ? st->last_minute[i] : now->put_latency[i] - st->at_minute_start[i];
        total += h[i];
    }
    int b = 0;
    for (size_t j = 0; j < sizeof(java) / sizeof(java[0]); j++) {
        int end = java[j].below_ms < 0 ? RMQ_STORE_LATENCY_BUCKETS
                                       : rmq_store_latency_bucket(java[j].below_ms);
        int64_t c = 0;
        for (; b < end; b++)
            c += h[b];
        rmq_buf_printf(dist, "%s:%lld ", java[j].name, (long long)c);
    }
    *p99 = percentile(h, total, 0.99);
    *p999 = percentile(h, total, 0.999);
}
