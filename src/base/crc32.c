#include "base/crc32.h"

#include <stdbool.h>
#include <zlib.h>

/* On x86-64 with PCLMULQDQ, whole 16-byte blocks are folded with carry-less
 * multiplication (Gopal et al., "Fast CRC Computation for Generic
 * Polynomials Using PCLMULQDQ Instruction", Intel, 2009): four 128-bit lanes
 * advance 64 bytes per round, are folded into one, reduced to 64 and then 32
 * bits, and a Barrett reduction gives the remainder.  The constants are
 * x^k mod P(x) for the reflected CRC-32 polynomial, bit-reflected and
 * shifted left by one, as that paper derives them.  Shorter inputs and the
 * last len % 16 bytes go through zlib. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define CRC_SIMD_MIN 64

__attribute__((target("pclmul,sse4.1"))) static __m128i fold(__m128i x, __m128i k, __m128i next)
{
    __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(hi, lo), next);
}

static inline __attribute__((always_inline, target("pclmul,sse4.1"))) __m128i load(const uint8_t *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* state is the inverted CRC (zlib's internal form); n >= 64, a multiple of 16. */
__attribute__((target("pclmul,sse4.1"))) static uint32_t fold_blocks(uint32_t state,
                                                                    const uint8_t *p, size_t n)
{
    const __m128i k1k2 = _mm_set_epi32(0x00000001, (int)0xc6e41596, 0x00000001, 0x54442bd4);
    const __m128i k3k4 = _mm_set_epi32(0x00000000, (int)0xccaa009e, 0x00000001, 0x751997d0);
    const __m128i k5 = _mm_set_epi32(0x00000000, 0x00000000, 0x00000001, 0x63cd6124);
    const __m128i pu = _mm_set_epi32(0x00000001, (int)0xf7011641, 0x00000001, (int)0xdb710641);
    const __m128i low32 = _mm_setr_epi32(-1, 0, 0, 0);

    __m128i x1 = _mm_xor_si128(load(p), _mm_cvtsi32_si128((int)state));
    __m128i x2 = load(p + 16), x3 = load(p + 32), x4 = load(p + 48);
    p += 64;
    n -= 64;
    for (; n >= 64; p += 64, n -= 64) {
        x1 = fold(x1, k1k2, load(p));
        x2 = fold(x2, k1k2, load(p + 16));
        x3 = fold(x3, k1k2, load(p + 32));
        x4 = fold(x4, k1k2, load(p + 48));
    }
    x1 = fold(x1, k3k4, x2);
    x1 = fold(x1, k3k4, x3);
    x1 = fold(x1, k3k4, x4);
    for (; n >= 16; p += 16, n -= 16)
        x1 = fold(x1, k3k4, load(p));

    /* 128 -> 64 bits */
    __m128i t = _mm_clmulepi64_si128(x1, k3k4, 0x10);
    x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), t);
    /* 64 -> 32 bits */
    t = _mm_srli_si128(x1, 4);
    x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, low32), k5, 0x00), t);
    /* Barrett reduction */
    t = _mm_clmulepi64_si128(_mm_and_si128(x1, low32), pu, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), pu, 0x00);
    return (uint32_t)_mm_extract_epi32(_mm_xor_si128(x1, t), 1);
}

static bool have_clmul(void)
{
    static int cached = -1; /* a benign race: every thread computes the same */
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    }
    return cached;
}

uint32_t rmq_crc32(uint32_t crc, const void *p, size_t n)
{
    const uint8_t *b = p;
    if (n >= CRC_SIMD_MIN && have_clmul()) {
        size_t whole = n & ~(size_t)15;
        crc = ~fold_blocks(~crc, b, whole);
        b += whole;
        n -= whole;
    }
    return n ? (uint32_t)crc32_z(crc, b, n) : crc;
}

#else

uint32_t rmq_crc32(uint32_t crc, const void *p, size_t n)
{
    return (uint32_t)crc32_z(crc, p, n);
}

#endif
