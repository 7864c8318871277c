/* cli_suggest.c - "did you mean": the edit distance between a mistyped
 * word and each known one. Hand-written: no Debian C library offers a
 * Damerau-Levenshtein distance, and the words are a few dozen bytes. */
#include "cli_suggest.h"
#include "cli.h"
#include "hb_assert.h"

#include <stdio.h>
#include <string.h>

#define ROW_CELLS (HB_CLI_SUGGEST_BYTES_MAX + 1)

static unsigned
min3(unsigned a, unsigned b, unsigned c)
{
    unsigned m = a < b ? a : b;
    return m < c ? m : c;
}

unsigned
hb_cli_suggest_edits(const char *a, size_t a_len, const char *b, size_t b_len)
{
    hb_assert(a && b);
    if (a_len > HB_CLI_SUGGEST_BYTES_MAX || b_len > HB_CLI_SUGGEST_BYTES_MAX)
        return HB_CLI_SUGGEST_EDITS_MAX + 1;
    /* three rows of the table: i - 2, i - 1 and i */
    unsigned rows[3][ROW_CELLS];
    for (size_t j = 0; j <= b_len; j++)
        rows[0][j] = (unsigned) j;
    for (size_t i = 1; i <= a_len; i++) {
        unsigned *cur = rows[i % 3], *prev = rows[(i - 1) % 3], *prev2 = rows[(i + 1) % 3];
        cur[0] = (unsigned) i;
        for (size_t j = 1; j <= b_len; j++) {
            unsigned cost = a[i - 1] != b[j - 1];
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < cur[j])
                cur[j] = prev2[j - 2] + 1;
        }
    }
    return rows[a_len % 3][b_len];
}

void
hb_cli_suggest_init(hb_cli_suggest_t *s, const char *typed, size_t typed_len)
{
    hb_assert(s && typed);
    *s = (hb_cli_suggest_t){typed, typed_len, NULL, 0, HB_CLI_SUGGEST_EDITS_MAX + 1, false};
}

void
hb_cli_suggest_consider(hb_cli_suggest_t *s, const char *known, size_t known_len)
{
    hb_assert(s && known);
    unsigned edits = hb_cli_suggest_edits(s->typed, s->typed_len, known, known_len);
    if (edits == 0 || edits > s->best_edits)
        return;
    bool same = s->best && s->best_len == known_len && memcmp(s->best, known, known_len) == 0;
    if (edits == s->best_edits) {
        s->tie = s->tie || !same;
        return;
    }
    *s = (hb_cli_suggest_t){s->typed, s->typed_len, known, known_len, edits, false};
}

const char *
hb_cli_suggest_best(const hb_cli_suggest_t *s, char *buf, size_t size)
{
    hb_assert(s && buf && size > 0);
    if (!s->best || s->tie || s->best_edits > HB_CLI_SUGGEST_EDITS_MAX)
        return NULL;
    snprintf(buf, size, "%.*s", (int) s->best_len, s->best);
    return buf;
}
