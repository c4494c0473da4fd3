#include "base/json_str.h"

#include <string.h>

void rmq_buf_append_json_str(rmq_buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    rmq_buf_reserve(b, n + 2);
    rmq_buf_append_u8(b, '"');
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    for (size_t i = 0; i < n; i++) {
        while (n - i >= 8) { /* skip plain words */
            uint64_t w;
            memcpy(&w, s + i, sizeof(w));
            if (rmq_json_word_special(w))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rmq_buf_append(b, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t elen = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xf];
            elen = 6;
        }
        rmq_buf_append(b, esc, elen);
    }
    rmq_buf_append(b, s + run, n - run);
    rmq_buf_append_u8(b, '"');
}
