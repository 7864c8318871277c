/* cli_utf8.c - UTF-8 decoding and display width. */
#include "cli_utf8.h"
#include "hb_assert.h"
#include "hb_utf8.h"

#include <string.h>

#include <stdbool.h>

size_t
hb_cli_utf8_decode(const char *s, uint32_t *cp)
{
    hb_assert(s && cp);
    if (s[0] == '\0')
        return 0;
    /* a sequence is at most 4 bytes; the NUL ends a truncated one */
    return hb_utf8_decode((const unsigned char *) s, strnlen(s, 4), cp);
}

long
hb_cli_utf8_invalid_at(const char *s)
{
    hb_assert(s);
    for (const char *p = s; *p;) {
        uint32_t cp;
        size_t n = hb_cli_utf8_decode(p, &cp);
        if (n == 0)
            return (long) (p - s);
        p += n;
    }
    return -1;
}

typedef struct {
    uint32_t first, last;
} range_t;

/* Wide (W) and fullwidth (F) blocks: Hangul Jamo, CJK radicals to Yi,
 * Hangul syllables, CJK compatibility, vertical and small forms, fullwidth
 * forms, emoji, and the supplementary ideographic planes. */
static const range_t wide_ranges[] = {
    {0x1100, 0x115F}, {0x2E80, 0x303E}, {0x3041, 0x33FF}, {0x3400, 0x4DBF},
    {0x4E00, 0x9FFF}, {0xA000, 0xA4CF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
    {0xFE10, 0xFE19}, {0xFE30, 0xFE6F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6},
    {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

/* Combining marks (zero width) in the blocks names use. */
static const range_t zero_ranges[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A},
    {0x064B, 0x065F}, {0x200B, 0x200F}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F},
};

static bool
in_ranges(uint32_t cp, const range_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i].first && cp <= r[i].last)
            return true;
    return false;
}

size_t
hb_cli_utf8_width(const char *s)
{
    hb_assert(s);
    size_t width = 0;
    for (const char *p = s; *p;) {
        uint32_t cp;
        size_t n = hb_cli_utf8_decode(p, &cp);
        if (n == 0) {
            width++;
            p++;
            continue;
        }
        p += n;
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) ||
            in_ranges(cp, zero_ranges, sizeof zero_ranges / sizeof zero_ranges[0]))
            continue;
        width += in_ranges(cp, wide_ranges, sizeof wide_ranges / sizeof wide_ranges[0]) ? 2 : 1;
    }
    return width;
}
