/* MD5 as specified by RFC 1321: 64-byte blocks, four rounds of sixteen
 * steps, little-endian words, length in bits appended after a 0x80 pad. */
#include "base/md5.h"

#include <string.h>

/* Per step: the shift (by round and step % 4) and the additive constant
 * floor(2^32 * |sin(i + 1)|). */
static const uint8_t SHIFT[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

static const uint32_t K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static uint32_t rotl(uint32_t x, unsigned s)
{
    return (x << s) | (x >> (32 - s));
}

static void block(uint32_t st[4], const uint8_t *b)
{
    uint32_t m[16];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 | (uint32_t)b[4 * i + 2] << 16 |
               (uint32_t)b[4 * i + 3] << 24;
    uint32_t a = st[0], bb = st[1], c = st[2], d = st[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        switch (i / 16) {
        case 0:
            f = (bb & c) | (~bb & d);
            g = i;
            break;
        case 1:
            f = (bb & d) | (c & ~d);
            g = (5 * i + 1) % 16;
            break;
        case 2:
            f = bb ^ c ^ d;
            g = (3 * i + 5) % 16;
            break;
        default:
            f = c ^ (bb | ~d);
            g = (7 * i) % 16;
            break;
        }
        uint32_t t = d;
        d = c;
        c = bb;
        bb = bb + rotl(a + f + K[i] + m[g], SHIFT[i / 16][i % 4]);
        a = t;
    }
    st[0] += a;
    st[1] += bb;
    st[2] += c;
    st[3] += d;
}

void rmq_md5(const void *p, size_t n, uint8_t out[16])
{
    uint32_t st[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    const uint8_t *in = p;
    size_t left = n;
    for (; left >= 64; in += 64, left -= 64)
        block(st, in);

    /* Tail: the rest, 0x80, zeros up to 56 mod 64, then the bit length. */
    uint8_t tail[128] = {0};
    if (left > 0)
        memcpy(tail, in, left);
    tail[left] = 0x80;
    size_t tlen = left < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++)
        tail[tlen - 8 + (size_t)i] = (uint8_t)(bits >> (8 * i));
    block(st, tail);
    if (tlen == 128)
        block(st, tail + 64);

    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (uint8_t)(st[i] >> (8 * j));
}
