/* cli_words.c - words peers send as data, in the operator's language. */
#include "cli_words.h"
#include "cli_format.h"
#include "hb_assert.h"
#include "hb_i18n.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUTES_PER_HOUR 60
#define DECIMAL 10
#define ARROW "\xE2\x86\x92"  /* U+2192 RIGHTWARDS ARROW, as the station writes it */

typedef struct {
    const char *word, *shown;
} word_t;

static const char *
lookup(const word_t *words, size_t n, const char *word)
{
    for (size_t i = 0; word && i < n; i++)
        if (strcmp(words[i].word, word) == 0)
            return _(words[i].shown);
    return word ? word : "";
}

#define LOOKUP(words, word) lookup(words, sizeof words / sizeof words[0], word)

const char *
hb_cli_words_kind(const char *kind)
{
    static const word_t words[] = {
        {"register", N_("registration")}, {"service", N_("service")}, {"overflow", N_("overflow")},
        {"gift", N_("gift")},             {"void", N_("void")},       {"donation", N_("donation")},
        {"invalid", N_("invalid")},       {"amend", N_("correction")}, {"move", N_("move")},
        {"leave", N_("leave")},           {"opening", N_("opening balance")},
    };
    return LOOKUP(words, kind);
}

const char *
hb_cli_words_account(const char *counterparty)
{
    static const word_t words[] = {{"guarantee", N_("guarantee account")},
                                   {"donation", N_("donation account")},
                                   {"opening", N_("opening balances account")}};
    return LOOKUP(words, counterparty);
}

const char *
hb_cli_words_link(const char *link)
{
    static const word_t words[] = {
        {"up", N_("up")}, {"down", N_("down")}, {"connecting", N_("connecting")},
    };
    return LOOKUP(words, link);
}

const char *
hb_cli_words_status(const char *status)
{
    static const word_t words[] = {
        {"pending", N_("pending")}, {"accepted", N_("accepted")}, {"rejected", N_("rejected")},
    };
    return LOOKUP(words, status);
}

const char *
hb_cli_words_state(const char *state)
{
    static const word_t words[] = {{"active", N_("active")}, {"retired", N_("retired")}};
    return LOOKUP(words, state);
}

/* ---- summaries ---- */

/* Reads digits then unit at *p ("12h"); advances past it. */
static bool
amount_part(const char **p, char unit, int64_t *out)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, DECIMAL);
    if (errno != 0 || *end != unit || (end[1] != ' ' && end[1] != '\0'))
        return false;
    *out = (int64_t) v;
    *p = end + 1;
    return true;
}

/* "1h 30m", "2h" or "45m" at *p as minutes; *p moves past it and one space. */
static bool
amount(const char **p, int64_t *minutes)
{
    int64_t h = 0, m = 0;
    const char *s = *p;
    bool has_h = amount_part(&s, 'h', &h);
    if (has_h && *s == ' ' && s[1] >= '0' && s[1] <= '9') {
        const char *t = s + 1;
        if (amount_part(&t, 'm', &m))
            s = t;
    } else if (!has_h && !amount_part(&s, 'm', &m)) {
        return false;
    }
    if (*s == ' ')
        s++;
    *minutes = h * MINUTES_PER_HOUR + m;
    *p = s;
    return true;
}

/* "A → B AMOUNT REST" after the kind word: false if it is not that. */
static bool
transfer(char *buf, size_t size, const char *s)
{
    const char *arrow = strstr(s, " " ARROW " ");
    if (!arrow)
        return false;
    const char *to = arrow + strlen(" " ARROW " ");
    const char *after = strchr(to, ' ');
    if (!after)
        return false;
    const char *rest = after + 1;
    int64_t minutes = 0;
    if (!amount(&rest, &minutes))
        return false;
    char d[HB_CLI_FORMAT_BYTES];
    hb_cli_format_duration(d, sizeof d, minutes, false);
    snprintf(buf, size, "%.*s " ARROW " %.*s %s%s%s", (int) (arrow - s), s, (int) (after - to), to, d,
             rest[0] ? " " : "", rest);
    return true;
}

/* "station S seq Q: REASON" after "void ". */
static bool
voided(char *buf, size_t size, const char *s)
{
    unsigned long station = 0;
    unsigned long long seq = 0;
    int used = 0;
    if (sscanf(s, "station %lu seq %llu:%n", &station, &seq, &used) != 2 || used == 0)
        return false;
    const char *reason = s + used;
    if (*reason == ' ')
        reason++;
    snprintf(buf, size, _("of %lu:%llu: %s"), station, seq, reason);
    return true;
}

/* "NO AMOUNT" after "opening ": the amount signed, in the operator's words. */
static bool
opening(char *buf, size_t size, const char *s)
{
    const char *space = strchr(s, ' ');
    if (!space)
        return false;
    const char *rest = space + 1;
    bool negative = *rest == '-';
    int64_t minutes = 0;
    if (negative)
        rest++;
    if (!amount(&rest, &minutes) || *rest)
        return false;
    char d[HB_CLI_FORMAT_BYTES];
    hb_cli_format_duration(d, sizeof d, negative ? -minutes : minutes, true);
    snprintf(buf, size, "%.*s %s", (int) (space - s), s, d);
    return true;
}

/* The rest after a kind word that needs no rewording: "amend NO",
 * "move A → B", "leave NO". */
static bool
plain(const char *s, const char *kind, const char **rest)
{
    size_t n = strlen(kind);
    if (strncmp(s, kind, n) != 0 || s[n] != ' ')
        return false;
    *rest = s + n + 1;
    return true;
}

char *
hb_cli_words_summary(char *buf, size_t size, const char *summary)
{
    hb_assert(buf && size > 0);
    const char *s = summary ? summary : "";
    bool done = false;
    if (strncmp(s, "register ", strlen("register ")) == 0) {
        snprintf(buf, size, "%s", s + strlen("register "));
        done = true;
    } else if (strncmp(s, "service ", strlen("service ")) == 0) {
        done = transfer(buf, size, s + strlen("service "));
    } else if (strncmp(s, "gift ", strlen("gift ")) == 0) {
        done = transfer(buf, size, s + strlen("gift "));
    } else if (strncmp(s, "void ", strlen("void ")) == 0) {
        done = voided(buf, size, s + strlen("void "));
    } else if (strncmp(s, "opening ", strlen("opening ")) == 0) {
        done = opening(buf, size, s + strlen("opening "));
    } else {
        const char *rest = NULL;
        done = plain(s, "amend", &rest) || plain(s, "move", &rest) || plain(s, "leave", &rest);
        if (done)
            snprintf(buf, size, "%s", rest);
    }
    if (!done)
        snprintf(buf, size, "%s", s);
    return buf;
}

const char *
hb_cli_words_gifts(const char *gifts)
{
    if (gifts && strcmp(gifts, "none") == 0)
        return _("not allowed");
    if (gifts && strcmp(gifts, "family") == 0)
        return _("to registered family members only");
    if (gifts && strcmp(gifts, "any") == 0)
        return _("to any member");
    return gifts ? gifts : "";
}

const char *
hb_cli_words_leaver(const char *leaver_hours)
{
    if (leaver_hours && strcmp(leaver_hours, "pool") == 0)
        return _("their hours go to the pool");
    if (leaver_hours && strcmp(leaver_hours, "family") == 0)
        return _("their hours go to the family members named (heirs), in equal shares; the rest to the pool");
    if (!leaver_hours || !leaver_hours[0])
        return _("not said (central is older than this rule)");
    return leaver_hours;
}
