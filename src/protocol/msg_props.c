/* Message properties lookup and the Java String.hashCode used for tag codes
 * and index keys. */
#include "protocol/record.h"

#include <string.h>

#define REPLACEMENT_CHAR 0xFFFDu

bool rmq_props_find(const char *props, size_t len, const char *name, const char **val,
                    size_t *vlen)
{
    size_t nlen = strlen(name);
    bool found = false;
    for (size_t pos = 0; pos < len;) {
        const char *seg = props + pos;
        const char *end = memchr(seg, RMQ_PROP_SEP, len - pos);
        size_t slen = end ? (size_t)(end - seg) : len - pos;
        /* string2messageProperties keeps a segment only with a non-empty name
         * and value; a value may itself hold \001 after the first one. */
        const char *sep = memchr(seg, RMQ_PROP_NAME_VALUE_SEP, slen);
        if (sep && sep > seg && sep < seg + slen - 1 && (size_t)(sep - seg) == nlen &&
            memcmp(seg, name, nlen) == 0) {
            /* No early return: Java fills a HashMap, so a repeated name's last value wins. */
            *val = sep + 1;
            *vlen = slen - nlen - 1;
            found = true;
        }
        pos += slen + 1;
    }
    return found;
}

static bool is_cont(uint8_t b)
{
    return (b & 0xC0) == 0x80;
}

/* Sequence length announced by a lead byte, 0 if it cannot start one. */
static size_t seq_len(uint8_t b)
{
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF)
        return 2;
    if (b >= 0xE0 && b <= 0xEF)
        return 3;
    if (b >= 0xF0 && b <= 0xF4)
        return 4;
    return 0;
}

/* Second bytes that keep the sequence minimal and <= U+10FFFF.  0xED takes the
 * whole continuation range, as Java's decoder does: it rejects an encoded
 * surrogate only once all three bytes are read (see utf8_next). */
static bool second_ok(uint8_t lead, uint8_t b)
{
    if (lead == 0xE0)
        return b >= 0xA0 && b <= 0xBF;
    if (lead == 0xF0)
        return b >= 0x90 && b <= 0xBF;
    if (lead == 0xF4)
        return b >= 0x80 && b <= 0x8F;
    return is_cont(b);
}

/* Decodes one code point from s[0..n) (n >= 1) the way Java's new String(bytes,
 * UTF_8) does: a malformed sequence becomes one U+FFFD covering its longest
 * valid prefix (at least one byte).  Returns the bytes consumed. */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
    size_t need = seq_len(s[0]);
    *cp = REPLACEMENT_CHAR;
    if (need == 1)
        *cp = s[0];
    if (need <= 1)
        return 1;
    size_t got = 1;
    if (n > 1 && second_ok(s[0], s[1]))
        got = 2;
    while (got > 1 && got < need && got < n && is_cont(s[got]))
        got++;
    if (got < need)
        return got;
    uint32_t c = s[0] & (0xFF >> (need + 1));
    for (size_t i = 1; i < need; i++)
        c = c << 6 | (s[i] & 0x3F);
    if (c < 0xD800 || c > 0xDFFF)
        *cp = c;
    return need;
}

int32_t rmq_java_hash(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    uint32_t h = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += utf8_next(p + i, len - i, &cp);
        if (cp >= 0x10000) {
            /* String.hashCode runs over UTF-16 units: a surrogate pair. */
            h = 31 * h + (0xD800 + ((cp - 0x10000) >> 10));
            h = 31 * h + (0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
            h = 31 * h + cp;
        }
    }
    return (int32_t)h;
}

int64_t rmq_tags_code(const char *tags, size_t len)
{
    if (!tags || len == 0)
        return 0;
    return rmq_java_hash(tags, len);
}
