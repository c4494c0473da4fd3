/* Socket addresses as the record stores them, and the offset message id. */
#include "protocol/record.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"

#define MSG_ID_V4_LEN 32 /* hex of 4 + 4 + 8 bytes */
#define MSG_ID_V6_LEN 56 /* hex of 16 + 4 + 8 bytes */

/* Digits only, as a port is written; "0".."65535". */
static int parse_port(const char *s, size_t n, int32_t *port)
{
    if (n == 0 || n > 5)
        return -1;
    int32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *port = v;
    return 0;
}

/* ::ffff:a.b.c.d */
static bool is_v4_mapped(const uint8_t a[16])
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    return memcmp(a, prefix, sizeof(prefix)) == 0;
}

static int parse_addr(const char *s, size_t n, rmq_host_t *h)
{
    char tmp[INET6_ADDRSTRLEN];
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    memset(h->addr, 0, sizeof(h->addr));
    if (inet_pton(AF_INET, tmp, h->addr) == 1) {
        h->v6 = false;
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, h->addr) != 1)
        return -1;
    h->v6 = true;
    /* Java turns an IPv4-mapped address into an Inet4Address, so such a host is
     * stored (and its message ids built) as plain IPv4. */
    if (is_v4_mapped(h->addr)) {
        memmove(h->addr, h->addr + 12, 4);
        memset(h->addr + 4, 0, 12);
        h->v6 = false;
    }
    return 0;
}

int rmq_host_parse(const char *ip_port, rmq_host_t *h)
{
    const char *colon = strrchr(ip_port, ':');
    if (!colon)
        return -1;
    rmq_host_t tmp;
    if (parse_port(colon + 1, strlen(colon + 1), &tmp.port) != 0 ||
        parse_addr(ip_port, (size_t)(colon - ip_port), &tmp) != 0)
        return -1;
    *h = tmp;
    return 0;
}

void rmq_host_format(const rmq_host_t *h, char *out, size_t n)
{
    char ip[INET6_ADDRSTRLEN];
    if (!inet_ntop(h->v6 ? AF_INET6 : AF_INET, h->addr, ip, sizeof(ip)))
        ip[0] = '\0';
    snprintf(out, n, "%s:%d", ip, (int)h->port);
}

/* Host address, port and offset in the order of the id (big-endian); returns the length. */
static size_t msg_id_bytes(const rmq_host_t *h, int64_t phys_offset, uint8_t out[28])
{
    size_t alen = h->v6 ? 16 : 4;
    memcpy(out, h->addr, alen);
    rmq_put_be32(out + alen, (uint32_t)h->port);
    rmq_put_be32(out + alen + 4, (uint32_t)((uint64_t)phys_offset >> 32));
    rmq_put_be32(out + alen + 8, (uint32_t)phys_offset);
    return alen + 12;
}

void rmq_msg_id_encode(const rmq_host_t *store_host, int64_t phys_offset, char out[57])
{
    static const char digits[] = "0123456789ABCDEF";
    uint8_t raw[28];
    size_t n = msg_id_bytes(store_host, phys_offset, raw);
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[raw[i] >> 4];
        out[2 * i + 1] = digits[raw[i] & 0xF];
    }
    out[2 * n] = '\0';
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int hex_decode(const char *s, size_t nbytes, uint8_t *out)
{
    for (size_t i = 0; i < nbytes; i++) {
        int hi = hex_val(s[2 * i]);
        int lo = hex_val(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int rmq_msg_id_decode(const char *id, rmq_host_t *store_host, int64_t *phys_offset)
{
    size_t len = strnlen(id, MSG_ID_V6_LEN + 1);
    if (len != MSG_ID_V4_LEN && len != MSG_ID_V6_LEN)
        return -1;
    uint8_t raw[28];
    if (hex_decode(id, len / 2, raw) != 0)
        return -1;
    rmq_host_t h;
    memset(&h, 0, sizeof(h));
    h.v6 = len == MSG_ID_V6_LEN;
    size_t alen = h.v6 ? 16 : 4;
    memcpy(h.addr, raw, alen);
    h.port = (int32_t)rmq_be32(raw + alen);
    *store_host = h;
    *phys_offset = (int64_t)rmq_be64(raw + alen + 4);
    return 0;
}
