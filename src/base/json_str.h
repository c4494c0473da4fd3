/* Writing JSON strings by hand on hot paths (command headers), where building
 * a jansson tree per request would cost more than the request itself. */
#ifndef RMQ_BASE_JSON_STR_H
#define RMQ_BASE_JSON_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Eight bytes at a time: does the word hold a '"', a '\\' or a control
 * character, one of the bytes a JSON string cannot carry as it is?  (Each
 * term is the classic "has a byte below n" test, exact for n <= 0x80: bytes
 * of 0x80 and above never match.)  Header strings are mostly plain; the byte
 * loop was the largest single cost of decoding a send's header. */
static inline bool rmq_json_word_special(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    return (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) & highs;
}

/* Appends s[0..n) as a quoted JSON string: '"' and '\\' escaped, \b \f \n \r \t
 * in short form, other bytes below 0x20 as \u00XX (what fastjson writes, so the
 * U+0001/U+0002 separators of message properties survive).  Bytes >= 0x80 are
 * copied as they are (the caller passes UTF-8). */
void rmq_buf_append_json_str(rmq_buf_t *b, const char *s, size_t n);

#endif
