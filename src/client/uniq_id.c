/* Unique message ids (MessageClientIDSetter, protocol.md 6.8).
 *
 *   client IP (4 or 16) | pid low 16 bits (2) | random (4)     fixed per process
 *   ms since the start of this month, local time (4) | counter (2)   per id
 *
 * rendered as uppercase hex: 32 characters for an IPv4 host, 56 for IPv6.
 * Java puts its class loader's hash code where the random bytes are; the
 * C++ client uses a random number, as we do, so that two processes that
 * share an address and (after pid reuse) a pid still differ.
 *
 * The time field is the low 32 bits of a 64-bit difference: a 31-day month
 * holds 2.68e9 ms, more than an int, so late in a month Java's (int) cast
 * makes it negative and Java writes it as is.  Only a truly negative
 * difference (the clock stepped back before the month start) is clamped. */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/time.h"
#include "client/msg_int.h"

#define IP_MAX 16
/* Bytes of the fixed part after the address: pid (2) + random (4). */
#define FIX_TAIL 6

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
/* Hex of address + pid + random; written once (and again in a forked
 * child, which has one thread), read by every thread afterwards. */
static char g_prefix[(IP_MAX + FIX_TAIL) * 2 + 1];
static size_t g_ip_len;

/* The current month is [g_month_start, g_next_month_start), in wall-clock
 * ms.  Writers hold g_month_lock and publish start before next, so a
 * reader that sees the new next also sees the new start. */
static pthread_mutex_t g_month_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int64_t g_month_start;
static _Atomic int64_t g_next_month_start;

static atomic_uint g_counter;

static void hex_upper(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0xf];
    }
}

/* UtilAll.isInternalIP: 10/8, 172.16/12, 192.168/16. */
static bool is_private_v4(const uint8_t *a)
{
    return a[0] == 10 || (a[0] == 172 && a[1] >= 16 && a[1] <= 31) ||
           (a[0] == 192 && a[1] == 168);
}

/* Unusable: 0.0.0.0 and loopback (Java would take 127.0.0.1 as public,
 * but an id naming the loopback says nothing about the host). */
static bool is_unusable_v4(const uint8_t *a)
{
    return a[0] == 127 || (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0);
}

/* UtilAll.isInternalV6IP: any-local, link-local (fe80::/10), loopback and
 * site-local (fec0::/10) addresses are not global. */
static bool is_global_v6(const struct in6_addr *a)
{
    return !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_LINKLOCAL(a) &&
           !IN6_IS_ADDR_LOOPBACK(a) && !IN6_IS_ADDR_SITELOCAL(a);
}

/* UtilAll.getIP: the first public IPv4 address, else the first global IPv6
 * one, else the first private IPv4 one.  Returns the length (4 or 16), or
 * 0 when the host has none. */
static size_t pick_ip(uint8_t out[IP_MAX])
{
    struct ifaddrs *list;
    if (getifaddrs(&list) != 0)
        return 0;
    uint8_t v6[16] = {0}, private_v4[4] = {0};
    bool have_v6 = false, have_private = false;
    size_t len = 0;
    for (struct ifaddrs *ifa = list; ifa && len == 0; ifa = ifa->ifa_next) {
        if (!ifa->ifa_addr)
            continue;
        if (ifa->ifa_addr->sa_family == AF_INET) {
            const uint8_t *a =
                (const uint8_t *)&((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
            if (is_unusable_v4(a))
                continue;
            if (!is_private_v4(a)) {
                memcpy(out, a, 4);
                len = 4;
            } else if (!have_private) {
                memcpy(private_v4, a, 4);
                have_private = true;
            }
        } else if (ifa->ifa_addr->sa_family == AF_INET6 && !have_v6) {
            const struct in6_addr *a = &((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
            if (is_global_v6(a)) {
                memcpy(v6, a, 16);
                have_v6 = true;
            }
        }
    }
    freeifaddrs(list);
    if (len == 0 && have_v6) {
        memcpy(out, v6, 16);
        len = 16;
    } else if (len == 0 && have_private) {
        memcpy(out, private_v4, 4);
        len = 4;
    }
    return len;
}

/* MessageClientIDSetter.createFakeIP: the low 4 bytes of the time in ms. */
static size_t fake_ip(uint8_t out[IP_MAX])
{
    uint32_t t = (uint32_t)rmq_now_ms();
    out[0] = (uint8_t)(t >> 24);
    out[1] = (uint8_t)(t >> 16);
    out[2] = (uint8_t)(t >> 8);
    out[3] = (uint8_t)t;
    return 4;
}

/* pid and random bytes: the part of the prefix a forked child must redo. */
static void fill_fix_tail(uint8_t tail[FIX_TAIL])
{
    uint16_t pid = (uint16_t)getpid();
    tail[0] = (uint8_t)(pid >> 8);
    tail[1] = (uint8_t)pid;
    if (getrandom(tail + 2, 4, GRND_NONBLOCK) != 4) {
        /* No entropy yet (early boot): mix the clock and the pid instead. */
        uint32_t x = (uint32_t)rmq_mono_ns() ^ ((uint32_t)getpid() << 16) ^ (uint32_t)rmq_now_ms();
        memcpy(tail + 2, &x, 4);
    }
}

/* Local midnight of the 1st of the month containing now_ms, and of the
 * month after (mktime handles month and year rollover and DST). */
static void month_bounds(int64_t now_ms, int64_t *start, int64_t *next)
{
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    *start = (int64_t)mktime(&tm) * 1000;
    tm.tm_mon += 1;
    tm.tm_isdst = -1;
    *next = (int64_t)mktime(&tm) * 1000;
}

static void set_month(int64_t now_ms)
{
    int64_t start, next;
    month_bounds(now_ms, &start, &next);
    atomic_store_explicit(&g_month_start, start, memory_order_relaxed);
    atomic_store_explicit(&g_next_month_start, next, memory_order_release);
}

/* A forked child keeps the parent's counter and clock, so it must not keep
 * the parent's pid and random bytes too, or both would make the same ids. */
static void after_fork_in_child(void)
{
    uint8_t tail[FIX_TAIL];
    fill_fix_tail(tail);
    hex_upper(tail, FIX_TAIL, g_prefix + g_ip_len * 2);
}

static void init_once(void)
{
    uint8_t fix[IP_MAX + FIX_TAIL];
    g_ip_len = pick_ip(fix);
    if (g_ip_len == 0)
        g_ip_len = fake_ip(fix);
    fill_fix_tail(fix + g_ip_len);
    hex_upper(fix, g_ip_len + FIX_TAIL, g_prefix);
    g_prefix[(g_ip_len + FIX_TAIL) * 2] = '\0';
    set_month(rmq_now_ms());
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

/* Milliseconds since the start of the current month, moving to the next
 * month when it begins. */
static uint32_t month_ms(int64_t now)
{
    if (now >= atomic_load_explicit(&g_next_month_start, memory_order_acquire)) {
        pthread_mutex_lock(&g_month_lock);
        /* Another thread may have moved on while this one waited. */
        if (now >= atomic_load_explicit(&g_next_month_start, memory_order_acquire))
            set_month(now);
        pthread_mutex_unlock(&g_month_lock);
    }
    int64_t diff = now - atomic_load_explicit(&g_month_start, memory_order_relaxed);
    return diff < 0 ? 0 : (uint32_t)diff;
}

void rmq_uniq_id_next(char out[ROCKETMQ_MSG_ID_MAX + 1])
{
    pthread_once(&g_once, init_once);
    size_t fix_len = (g_ip_len + FIX_TAIL) * 2;
    memcpy(out, g_prefix, fix_len);

    /* Java's AtomicInteger.getAndIncrement, of which the id keeps 16 bits,
     * but with the clock read inside the increment: a thread preempted
     * between reading the clock and taking a number could otherwise come
     * back 65536 numbers later with a stale time and repeat an id. */
    unsigned c = atomic_load_explicit(&g_counter, memory_order_acquire);
    int64_t now;
    do {
        now = rmq_now_ms();
    } while (!atomic_compare_exchange_weak_explicit(&g_counter, &c, c + 1, memory_order_acq_rel,
                                                    memory_order_acquire));
    uint32_t t = month_ms(now);
    uint8_t var[6] = {(uint8_t)(t >> 24), (uint8_t)(t >> 16), (uint8_t)(t >> 8), (uint8_t)t,
                      (uint8_t)(c >> 8),  (uint8_t)c};
    hex_upper(var, sizeof(var), out + fix_len);
    out[fix_len + sizeof(var) * 2] = '\0';
}

int rmq_msg_set_uniq_id_if_absent(rocketmq_message_t *m)
{
    if (rocketmq_message_get_msg_id(m))
        return 0;
    char id[ROCKETMQ_MSG_ID_MAX + 1];
    rmq_uniq_id_next(id);
    return rocketmq_message_set_property(m, ROCKETMQ_PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, id);
}
