#include "hb_utf8.h"

#include "hb_assert.h"

size_t
hb_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
    hb_assert(s && cp && avail >= 1);
    unsigned char lead = s[0], lo = 0x80, hi = 0xBF;
    size_t n;
    uint32_t v;
    if (lead < 0x80) {
        *cp = lead;
        return 1;
    }
    if (lead < 0xC2 || lead > 0xF4)
        return 0;  /* continuation byte, overlong 2-byte lead, or > U+10FFFF */
    if (lead < 0xE0) {
        n = 2, v = lead & 0x1Fu;
    } else if (lead < 0xF0) {
        n = 3, v = lead & 0x0Fu;
        lo = lead == 0xE0 ? 0xA0 : lo;  /* overlong */
        hi = lead == 0xED ? 0x9F : hi;  /* surrogates */
    } else {
        n = 4, v = lead & 0x07u;
        lo = lead == 0xF0 ? 0x90 : lo;  /* overlong */
        hi = lead == 0xF4 ? 0x8F : hi;  /* above U+10FFFF */
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0u) != 0x80u)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    *cp = v;
    return n;
}

