/* cli_suggest.h - "did you mean": the known word closest to a mistyped
 * command, subcommand or option name. */
#ifndef HB_CLI_SUGGEST_H
#define HB_CLI_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *typed;   /* borrowed */
    size_t typed_len;
    const char *best;    /* borrowed from a hb_cli_suggest_consider() call; NULL for none */
    size_t best_len;
    unsigned best_edits;
    bool tie;            /* two different words are closest */
} hb_cli_suggest_t;

/* Edits (Damerau-Levenshtein, optimal string alignment: a byte added,
 * dropped, changed, or two neighbours swapped) from a to b, of a_len and
 * b_len bytes. Words longer than HB_CLI_SUGGEST_BYTES_MAX give
 * HB_CLI_SUGGEST_EDITS_MAX + 1. */
unsigned hb_cli_suggest_edits(const char *a, size_t a_len, const char *b, size_t b_len);

/* Starts a search for the word closest to typed (typed_len bytes of it;
 * borrowed, must outlive s). */
void hb_cli_suggest_init(hb_cli_suggest_t *s, const char *typed, size_t typed_len);

/* Considers known (known_len bytes; borrowed, must outlive s). The same
 * word considered twice counts once; the word typed itself is never
 * suggested. */
void hb_cli_suggest_consider(hb_cli_suggest_t *s, const char *known, size_t known_len);

/* The closest word, NUL-terminated into buf (size bytes), when it is at
 * most HB_CLI_SUGGEST_EDITS_MAX edits away and no other word is as close;
 * NULL otherwise. */
const char *hb_cli_suggest_best(const hb_cli_suggest_t *s, char *buf, size_t size);

#endif
