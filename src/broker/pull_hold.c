/* Long polling (PullRequestHoldService, reference broker.md 5.5 and 8.7).
 *
 * A pull that found nothing waits here under "topic@queueId" until a message
 * beyond its offset arrives and passes its tag filter, or until its deadline;
 * then the pull is run again (never held twice) and answered.  Everything
 * runs on the broker loop: arrivals come from the store's dispatch thread
 * through rmq_broker_post.  One timer, running only while something is held,
 * answers expired holds within TICK_MS and, like Java's hold thread, re-reads
 * the queues' max offsets every few seconds in case an arrival was missed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/time.h"
#include "broker/broker_int.h"
#include "broker/subscription.h"

#define TICK_MS 100
#define LONG_POLLING_CHECK_MS 5000 /* Java's hold thread period with long polling on */
#define MAX_TIMEOUT_MS (INT64_C(1) << 40) /* keeps now + timeout from overflowing */

typedef struct hold {
    rmq_conn_t *conn; /* referenced */
    rmq_cmd_t *req;
    int64_t offset;   /* pullFromThisOffset */
    int64_t deadline; /* monotonic ms */
    rmq_sub_expr_t filter;
} hold_t;

/* The holds of one queue. */
typedef struct hold_list {
    char *topic;
    int32_t queue_id;
    hold_t **items;
    size_t n, cap;
} hold_list_t;

struct rmq_pull_hold {
    rmq_broker_t *b;
    rmq_map_t *table; /* "topic@queueId" -> hold_list_t */
    size_t count;
    uv_timer_t timer;
    bool timer_init;
    int64_t next_offset_check; /* monotonic ms */
};

struct rmq_pull_hold *rmq_pull_hold_new(rmq_broker_t *b)
{
    struct rmq_pull_hold *h = rmq_calloc(1, sizeof(*h));
    h->b = b;
    h->table = rmq_map_new();
    return h;
}

static void hold_free(hold_t *x)
{
    rmq_cmd_free(x->req);
    rmq_conn_release(x->conn);
    rmq_sub_expr_free(&x->filter);
    free(x);
}

static void list_free(void *v)
{
    hold_list_t *l = v;
    for (size_t i = 0; i < l->n; i++)
        hold_free(l->items[i]);
    free(l->items);
    free(l->topic);
    free(l);
}

static void list_add(hold_list_t *l, hold_t *x)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->items = rmq_realloc(l->items, l->cap * sizeof(*l->items));
    }
    l->items[l->n++] = x;
}

static void on_timer_closed(uv_handle_t *t)
{
    free(t->data);
}

/* Held pulls are dropped unanswered, as Java's do at shutdown: their
 * connections are about to close. */
void rmq_pull_hold_free(struct rmq_pull_hold *h)
{
    if (!h)
        return;
    rmq_map_free(h->table, list_free);
    h->table = NULL;
    if (h->timer_init)
        uv_close((uv_handle_t *)&h->timer, on_timer_closed);
    else
        free(h);
}

/* Runs the pull again and answers it (no second hold, no offset commit). */
static void wake(struct rmq_pull_hold *h, hold_t *x)
{
    h->count--;
    atomic_store(&h->b->held_pulls, h->count);
    if (rmq_conn_is_open(x->conn) && rmq_pull_execute(h->b, x->conn, x->req, false)) {
        /* Cannot happen: a re-run never suspends.  Keep ownership sane anyway. */
        x->req = NULL;
    }
    hold_free(x);
}

typedef struct wake_args {
    int64_t max_offset; /* what the queue holds now, as far as the caller knows */
    bool check_offsets; /* false: deadlines only */
    bool has_tags;      /* false: the periodic check, where the filter passes */
    int64_t tags_code;
    int64_t now;
} wake_args_t;

/* notifyMessageArriving for one held pull: true if it must be answered now. */
static bool due(const struct rmq_pull_hold *h, const hold_list_t *l, const hold_t *x,
                const wake_args_t *a)
{
    if (a->check_offsets) {
        int64_t newest = a->max_offset;
        if (newest <= x->offset)
            newest = rmq_store_max_offset(h->b->store, l->topic, l->queue_id);
        if (newest > x->offset && (!a->has_tags || rmq_sub_expr_match(&x->filter, a->tags_code)))
            return true;
    }
    return a->now >= x->deadline;
}

/* Answers the due pulls of one queue, drops those whose connection closed;
 * frees the list (and its table entry) when nothing is left. */
static void scan_list(struct rmq_pull_hold *h, const char *key, hold_list_t *l,
                      const wake_args_t *a)
{
    /* Detached first, as Java's cloneListAndClear: a re-run may not see it. */
    hold_t **items = l->items;
    size_t n = l->n;
    l->items = NULL;
    l->n = l->cap = 0;
    for (size_t i = 0; i < n; i++) {
        hold_t *x = items[i];
        if (!rmq_conn_is_open(x->conn)) {
            h->count--;
            atomic_store(&h->b->held_pulls, h->count);
            hold_free(x);
        } else if (due(h, l, x, a)) {
            wake(h, x);
        } else {
            list_add(l, x);
        }
    }
    free(items);
    if (l->n == 0) {
        rmq_smap_del(h->table, key);
        list_free(l);
    }
}

static void on_tick(uv_timer_t *t)
{
    struct rmq_pull_hold *h = t->data;
    wake_args_t a = {.now = rmq_mono_ms()};
    a.check_offsets = a.now >= h->next_offset_check;
    if (a.check_offsets) {
        const rmq_broker_config_t *cfg = &h->b->cfg;
        h->next_offset_check =
            a.now + (cfg->longPollingEnable ? LONG_POLLING_CHECK_MS : cfg->shortPollingTimeMills);
    }
    rmq_map_iter_t it;
    const char *key;
    void *v;
    rmq_map_iter_init(&it, h->table);
    /* scan_list deletes only the entry just returned, which the iterator allows. */
    while (rmq_map_iter_next(&it, &key, NULL, &v)) {
        hold_list_t *l = v;
        if (a.check_offsets)
            a.max_offset = rmq_store_max_offset(h->b->store, l->topic, l->queue_id);
        scan_list(h, key, l, &a);
    }
    if (h->count == 0)
        uv_timer_stop(&h->timer);
}

static void ensure_timer(struct rmq_pull_hold *h)
{
    if (!h->timer_init) {
        uv_timer_init(rmq_loop_uv(h->b->loop), &h->timer);
        h->timer.data = h;
        h->timer_init = true;
    }
    if (!uv_is_active((uv_handle_t *)&h->timer)) {
        const rmq_broker_config_t *cfg = &h->b->cfg;
        h->next_offset_check =
            rmq_mono_ms() + (cfg->longPollingEnable ? LONG_POLLING_CHECK_MS
                                                    : cfg->shortPollingTimeMills);
        uv_timer_start(&h->timer, on_tick, TICK_MS, TICK_MS);
    }
}

/* "topic@queueId", malloc'ed. */
static char *make_key(const char *topic, int32_t queue_id)
{
    size_t n = strlen(topic) + 16;
    char *key = rmq_malloc(n);
    snprintf(key, n, "%s@%d", topic, (int)queue_id);
    return key;
}

void rmq_pull_hold_suspend(rmq_broker_t *b, rmq_conn_t *conn, rmq_cmd_t *req, const char *topic,
                           int32_t queue_id, int64_t offset, int64_t timeout_ms,
                           struct rmq_sub_expr *filter)
{
    struct rmq_pull_hold *h = b->holds;
    char *key = make_key(topic, queue_id);
    hold_list_t *l = rmq_smap_get(h->table, key);
    if (!l) {
        l = rmq_calloc(1, sizeof(*l));
        l->topic = rmq_strdup(topic);
        l->queue_id = queue_id;
        rmq_smap_put(h->table, key, l);
    }
    free(key);
    if (timeout_ms < 0)
        timeout_ms = 0;
    else if (timeout_ms > MAX_TIMEOUT_MS)
        timeout_ms = MAX_TIMEOUT_MS;
    hold_t *x = rmq_calloc(1, sizeof(*x));
    rmq_conn_keep(conn);
    x->conn = conn;
    x->req = req;
    x->offset = offset;
    x->deadline = rmq_mono_ms() + timeout_ms;
    x->filter = *filter;
    memset(filter, 0, sizeof(*filter));
    list_add(l, x);
    h->count++;
    atomic_store(&h->b->held_pulls, h->count);
    ensure_timer(h);
    /* An arrival dispatched before held_pulls said so was not posted (see
     * on_arrival): read the queue's end again now that it is published.  If
     * it moved, the timer checks offsets at once, in the next loop turn: a
     * re-run here would answer and free the request its caller is still
     * using (its offset commit reads the header). */
    atomic_thread_fence(memory_order_seq_cst);
    if (rmq_store_max_offset(b->store, topic, queue_id) > offset) {
        h->next_offset_check = 0;
        uv_timer_start(&h->timer, on_tick, 0, TICK_MS);
    }
}

void rmq_pull_hold_notify(rmq_broker_t *b, const char *topic, int32_t queue_id,
                          int64_t max_offset, int64_t tags_code)
{
    struct rmq_pull_hold *h = b->holds;
    /* A late arrival may run on the dispatch thread once the loop is stopping. */
    if (!h || h->count == 0 || !rmq_loop_in_thread(b->loop))
        return;
    /* Java's dispatcher notifies only a master with long polling on; otherwise
     * the periodic check (every shortPollingTimeMills) is what wakes holds. */
    if (!b->cfg.longPollingEnable || b->cfg.brokerId != 0)
        return;
    char *key = make_key(topic, queue_id);
    hold_list_t *l = rmq_smap_get(h->table, key);
    if (!l) {
        free(key);
        return;
    }
    wake_args_t a = {
        .max_offset = max_offset,
        .check_offsets = true,
        .has_tags = true,
        .tags_code = tags_code,
        .now = rmq_mono_ms(),
    };
    scan_list(h, key, l, &a);
    free(key);
}
