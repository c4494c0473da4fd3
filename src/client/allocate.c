/* Queue allocation strategies of the 4.9.8 Java client (protocol.md 9.8):
 * AllocateMessageQueueAveragely, ...AveragelyByCircle, ...ByConfig and
 * ...ConsistentHash with ConsistentHashRouter's ring and MD5 hash.
 *
 * Every consumer of a group computes its share on its own, so the results
 * must match Java's exactly, down to the order of the sorts and the ring's
 * handling of equal hashes. */
#include "client/allocate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/md5.h"
#include "base/mem.h"
#include "rocketmq/error.h"

/* ConsistentHash's default virtual nodes per client. */
#define VNODES 10

/* ---- String.compareTo on UTF-16 code units ---- */

/* One code point of UTF-8 at *p (not at its NUL); malformed bytes become
 * U+FFFD one byte at a time. */
static uint32_t utf8_next(const unsigned char **p)
{
    const unsigned char *s = *p;
    uint32_t c = s[0];
    int more = c >= 0xF0 && c <= 0xF4 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : 0;
    if (c < 0x80 || more == 0 || c > 0xF4) {
        *p = s + 1;
        return c < 0x80 ? c : 0xFFFD;
    }
    c &= 0x3Fu >> more;
    for (int i = 1; i <= more; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *p = s + 1;
            return 0xFFFD;
        }
        c = c << 6 | (s[i] & 0x3Fu);
    }
    static const uint32_t MIN[4] = {0, 0x80, 0x800, 0x10000};
    if (c < MIN[more] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *p = s + 1;
        return 0xFFFD;
    }
    *p = s + 1 + more;
    return c;
}

/* The next UTF-16 unit of a string, -1 at its end; *low holds the second
 * half of a surrogate pair still to come. */
static long utf16_next(const unsigned char **p, uint32_t *low)
{
    if (*low) {
        long u = *low;
        *low = 0;
        return u;
    }
    if (**p == '\0')
        return -1;
    uint32_t c = utf8_next(p);
    if (c < 0x10000)
        return c;
    c -= 0x10000;
    *low = 0xDC00 | (c & 0x3FF);
    return 0xD800 | (c >> 10);
}

static int java_strcmp(const char *a, const char *b)
{
    const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;
    uint32_t la = 0, lb = 0;
    for (;;) {
        long ua = utf16_next(&pa, &la), ub = utf16_next(&pb, &lb);
        if (ua != ub)
            return ua < ub ? -1 : 1;
        if (ua < 0)
            return 0;
    }
}

int rmq_mq_compare(const rocketmq_message_queue_t *a, const rocketmq_message_queue_t *b)
{
    int r = java_strcmp(a->topic, b->topic);
    if (r == 0)
        r = java_strcmp(a->broker_name, b->broker_name);
    if (r == 0)
        r = (a->queue_id > b->queue_id) - (a->queue_id < b->queue_id);
    return r;
}

static int mq_cmp(const void *a, const void *b)
{
    return rmq_mq_compare(a, b);
}

void rmq_mq_sort(rocketmq_message_queue_t *mqs, size_t n)
{
    if (n > 1)
        qsort(mqs, n, sizeof(*mqs), mq_cmp);
}

static int cid_cmp(const void *a, const void *b)
{
    return java_strcmp(*(char *const *)a, *(char *const *)b);
}

void rmq_cid_sort(char **ids, size_t n)
{
    if (n > 1)
        qsort(ids, n, sizeof(*ids), cid_cmp);
}

/* ---- consistent hash ---- */

int64_t rmq_consistent_hash(const char *key, size_t len)
{
    uint8_t d[16];
    rmq_md5(key, len, d);
    /* MD5Hash.hash: h <<= 8; h |= digest[i] & 0xFF for i = 0..3. */
    int64_t h = 0;
    for (int i = 0; i < 4; i++)
        h = (h << 8) | d[i];
    return h;
}

typedef struct ring_entry {
    int64_t hash;
    size_t node; /* index into cid_all of the first client id with that key */
} ring_entry_t;

/* First entry with hash >= h (n when none). */
static size_t ring_lower_bound(const ring_entry_t *ring, size_t n, int64_t h)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ring[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Fills mine[i] for the queues routed to cid_all[self]. */
static void consistent_hash(size_t self, const rocketmq_message_queue_t *mq_all, size_t nmq,
                            char *const *cid_all, size_t ncid, unsigned char *mine)
{
    /* The ring, a TreeMap<Long, VirtualNode>: sorted by hash, a later put
     * of an equal hash replaces the node.  Equal client ids are one node
     * (routing compares keys), so each is named by its first index, and
     * count[] is getExistingReplicas: a repeated id's virtual nodes go on
     * numbering from the ones already on the ring. */
    ring_entry_t *ring = rmq_malloc(ncid * VNODES * sizeof(*ring));
    size_t *count = rmq_calloc(ncid, sizeof(*count));
    size_t nring = 0;
    for (size_t c = 0; c < ncid; c++) {
        size_t node = c;
        for (size_t k = 0; k < c; k++)
            if (strcmp(cid_all[k], cid_all[c]) == 0) {
                node = k;
                break;
            }
        size_t len = strlen(cid_all[c]);
        char *key = rmq_malloc(len + 32);
        size_t existing = count[node];
        for (size_t i = 0; i < VNODES; i++) {
            int klen = snprintf(key, len + 32, "%s-%zu", cid_all[c], i + existing);
            int64_t h = rmq_consistent_hash(key, (size_t)klen);
            size_t at = ring_lower_bound(ring, nring, h);
            if (at < nring && ring[at].hash == h) {
                count[ring[at].node]--;
            } else {
                memmove(ring + at + 1, ring + at, (nring - at) * sizeof(*ring));
                nring++;
                ring[at].hash = h;
            }
            ring[at].node = node;
            count[node]++;
        }
        free(key);
    }

    /* routeNode(mq.toString()): tailMap(hash).firstKey(), else firstKey(). */
    char key[sizeof("MessageQueue [topic=, brokerName=, queueId=]") + ROCKETMQ_TOPIC_MAX +
             ROCKETMQ_BROKER_NAME_MAX + 16];
    for (size_t q = 0; q < nmq; q++) {
        const rocketmq_message_queue_t *mq = &mq_all[q];
        int klen = snprintf(key, sizeof(key), "MessageQueue [topic=%.*s, brokerName=%.*s, queueId=%d]",
                            (int)strnlen(mq->topic, sizeof(mq->topic)), mq->topic,
                            (int)strnlen(mq->broker_name, sizeof(mq->broker_name)), mq->broker_name,
                            mq->queue_id);
        size_t at = ring_lower_bound(ring, nring, rmq_consistent_hash(key, (size_t)klen));
        if (at == nring)
            at = 0;
        mine[q] = ring[at].node == self;
    }
    free(count);
    free(ring);
}

/* ---- allocate ---- */

static void copy_out(const rocketmq_message_queue_t *mqs, size_t n, rocketmq_message_queue_t **out,
                     size_t *nout)
{
    if (n == 0)
        return;
    *out = rmq_malloc(n * sizeof(**out));
    memcpy(*out, mqs, n * sizeof(**out));
    *nout = n;
}

int rmq_allocate(rocketmq_allocate_strategy_t strategy, const char *cid,
                 const rocketmq_message_queue_t *mq_all, size_t nmq, char *const *cid_all,
                 size_t ncid, const rocketmq_message_queue_t *config, size_t nconfig,
                 rocketmq_message_queue_t **out, size_t *nout)
{
    if (out == NULL || nout == NULL)
        return ROCKETMQ_ERR__INVALID_ARG;
    *out = NULL;
    *nout = 0;
    switch (strategy) {
    case ROCKETMQ_ALLOCATE_BY_CONFIG:
        /* AllocateMessageQueueByConfig skips check(): the list, whoever asks. */
        if (config != NULL)
            copy_out(config, nconfig, out, nout);
        return 0;
    case ROCKETMQ_ALLOCATE_AVERAGELY:
    case ROCKETMQ_ALLOCATE_AVERAGELY_BY_CIRCLE:
    case ROCKETMQ_ALLOCATE_CONSISTENT_HASH:
        break;
    default:
        return ROCKETMQ_ERR__INVALID_ARG;
    }

    /* AbstractAllocateMessageQueueStrategy.check: Java throws on empty
     * inputs (the rebalance of the topic is then skipped) and returns an
     * empty list when cid is not in cidAll. */
    if (cid == NULL || cid[0] == '\0' || mq_all == NULL || nmq == 0 || cid_all == NULL || ncid == 0)
        return 0;
    size_t index = ncid;
    for (size_t i = 0; i < ncid && index == ncid; i++)
        if (strcmp(cid_all[i], cid) == 0)
            index = i; /* indexOf: the first */
    if (index == ncid)
        return 0;

    unsigned char *mine = rmq_calloc(nmq, 1);
    if (strategy == ROCKETMQ_ALLOCATE_AVERAGELY) {
        size_t mod = nmq % ncid;
        size_t avg = nmq <= ncid ? 1 : (mod > 0 && index < mod ? nmq / ncid + 1 : nmq / ncid);
        size_t start = mod > 0 && index < mod ? index * avg : index * avg + mod;
        /* range = min(avg, nmq - start), nothing when negative; the Java
         * (start + i) % nmq never wraps within that range. */
        for (size_t i = 0; i < avg && start + i < nmq; i++)
            mine[start + i] = 1;
    } else if (strategy == ROCKETMQ_ALLOCATE_AVERAGELY_BY_CIRCLE) {
        for (size_t i = index; i < nmq; i += ncid)
            mine[i] = 1;
    } else {
        consistent_hash(index, mq_all, nmq, cid_all, ncid, mine);
    }

    size_t n = 0;
    for (size_t i = 0; i < nmq; i++)
        n += mine[i];
    if (n > 0) {
        *out = rmq_malloc(n * sizeof(**out));
        for (size_t i = 0, j = 0; i < nmq; i++)
            if (mine[i])
                (*out)[j++] = mq_all[i];
        *nout = n;
    }
    free(mine);
    return 0;
}
