/* rmq_crc32 against zlib's crc32_z: every length around the block sizes of
 * the folded path, every alignment, continued CRCs, and the check value of
 * the CRC-32 catalogue. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/crc32.h"

static void check_value(void **state)
{
    (void)state;
    assert_int_equal(rmq_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(rmq_crc32(0, "", 0), 0);
    /* 64 bytes: the smallest input of the folded path */
    char a64[65];
    memset(a64, 'a', 64);
    a64[64] = '\0';
    assert_int_equal(rmq_crc32(0, a64, 64), (uint32_t)crc32_z(0, (const Bytef *)a64, 64));
}

static void same_as_zlib(void **state)
{
    (void)state;
    enum { MAX = 1100, PAD = 16 };
    uint8_t *buf = malloc(MAX + PAD);
    uint32_t seed = 12345;
    for (size_t i = 0; i < MAX + PAD; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (uint8_t)(seed >> 16);
    }
    for (size_t off = 0; off < PAD; off++) {
        for (size_t n = 0; n <= MAX; n++) {
            uint32_t want = (uint32_t)crc32_z(0, buf + off, n);
            uint32_t got = rmq_crc32(0, buf + off, n);
            if (got != want)
                fail_msg("length %zu offset %zu: %08x, zlib %08x", n, off, got, want);
            /* continued from a previous CRC, split at an odd point */
            size_t cut = n / 3;
            uint32_t part = rmq_crc32(rmq_crc32(0, buf + off, cut), buf + off + cut, n - cut);
            if (part != want)
                fail_msg("length %zu split at %zu: %08x, zlib %08x", n, cut, part, want);
        }
    }
    /* all ones and all zeros, long */
    memset(buf, 0xff, MAX);
    assert_int_equal(rmq_crc32(0, buf, MAX), (uint32_t)crc32_z(0, buf, MAX));
    memset(buf, 0, MAX);
    assert_int_equal(rmq_crc32(7, buf, MAX), (uint32_t)crc32_z(7, buf, MAX));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_value),
        cmocka_unit_test(same_as_zlib),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
