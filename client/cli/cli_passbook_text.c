/* cli_passbook_text.c - the passbook as text for a receipt printer: every
 * line exactly 32 or 48 terminal columns (a Chinese character takes two,
 * cli_utf8.h), cut or padded with spaces, so the printer never wraps.
 *
 * One line per entry, amounts as hours and minutes "H:MM" (the line over
 * the column heads says so):
 *   DATE       SERVICE               IN  OUT BALANCE      (48)
 *   2026-12-07 personal-care*         -  0:00    3:15
 *   DATE  SERVICE        +/- BALANCE                      (32)
 *   12-07 personal-ca*  0:00    3:15
 *   * paid by the guarantee
 * The amounts' columns are as wide as this passbook's widest amounts (its
 * entries' and totals'); the service gets the rest, cut on a character.
 * At 32 in and out share one signed column (+ in, - out), and the date is
 * MM-DD when the full one would leave the service too few columns (a
 * "days" line in the header gives the years). */
#include "cli_format.h"
#include "cli_passbook.h"
#include "cli_utf8.h"
#include "hb_assert.h"
#include "hb_i18n.h"

#include <inttypes.h>
#include <string.h>

/* One space between columns; a continued line is indented. */
#define GAP_COLS 1
#define INDENT_COLS 2
/* Bytes of one line: every column a character of the most bytes. */
#define LINE_BYTES (HB_CLI_PASSBOOK_WIDTH_WIDE * HB_UTF8_CHAR_BYTES_MAX + 1)
/* An amount "H:MM": minutes per hour; room for "-", the 20 digits of an
 * int64's hours, ":MM" and NUL. */
#define MINUTES_PER_HOUR 60
#define AMOUNT_BYTES 32
/* "YYYY-MM-DD" and its short form "MM-DD" (from its 6th byte). */
#define DATE_COLS 10
#define SHORT_DATE_COLS 5
#define SHORT_DATE_FROM 5
/* At 32 columns the full date stays only when the service keeps this
 * many columns; else the short one. */
#define SERVICE_COLS_MIN 10
/* The mark after the service of care the guarantee paid. */
#define GUARANTEE_MARK "*"
#define GUARANTEE_MARK_COLS 1
/* The head of the 32 columns' signed amount (+ in, - out). */
#define SIGNED_HEAD "+/-"

typedef enum { LEFT, RIGHT, CENTER } align_t;

/* The columns of the character at s (n bytes). */
static size_t
char_cols(const char *s, size_t n)
{
    char one[HB_UTF8_CHAR_BYTES_MAX + 1];
    hb_assert(n >= 1 && n <= HB_UTF8_CHAR_BYTES_MAX);
    memcpy(one, s, n);
    one[n] = '\0';
    return hb_cli_utf8_width(one);
}

/* text on one line, cut to at most cols columns (never in a character),
 * into buf; *used its columns. */
static void
cut(char *buf, size_t size, const char *text, size_t cols, size_t *used)
{
    char line[LINE_BYTES * 2];
    hb_cli_format_line(line, sizeof line, text);  /* no control characters: they take no column */
    size_t at = 0, w = 0;
    for (const char *p = line; *p;) {
        uint32_t cp;
        size_t n = hb_cli_utf8_decode(p, &cp);
        size_t c = n ? char_cols(p, n) : 1;
        if (n == 0)
            n = 1;
        if (w + c > cols || at + n >= size)
            break;
        memcpy(buf + at, p, n);
        at += n, w += c, p += n;
    }
    buf[at] = '\0';
    *used = w;
}

/* Appends text fitted into exactly cols columns to line. */
static void
field(char *line, size_t size, const char *text, size_t cols, align_t align)
{
    char part[LINE_BYTES];
    size_t used = 0, len = strlen(line);
    cut(part, sizeof part, text, cols, &used);
    size_t pad = cols - used, before = align == RIGHT ? pad : align == CENTER ? pad / 2 : 0;
    size_t n = strlen(part);
    hb_assert(len + pad + n < size);  /* a line holds its columns at the widest characters */
    memset(line + len, ' ', before);
    memcpy(line + len + before, part, n);
    memset(line + len + before + n, ' ', pad - before);
    line[len + pad + n] = '\0';
}

static void
put_line(FILE *out, const char *line)
{
    fprintf(out, "%s\n", line);
}

/* One line: text in width columns. */
static void
line1(FILE *out, int width, const char *text, align_t align)
{
    char line[LINE_BYTES] = "";
    field(line, sizeof line, text, (size_t) width, align);
    put_line(out, line);
}

/* A line of width copies of c. */
static void
rule(FILE *out, int width, char c)
{
    char line[LINE_BYTES];
    memset(line, c, (size_t) width);
    line[width] = '\0';
    put_line(out, line);
}

/* "label value": the value right-aligned; both cut to fit. */
static void
label_value(FILE *out, int width, const char *label, const char *value)
{
    char line[LINE_BYTES] = "";
    size_t vcols = hb_cli_utf8_width(value);
    if (vcols > (size_t) width - GAP_COLS)
        vcols = (size_t) width - GAP_COLS;
    field(line, sizeof line, label, (size_t) width - vcols - GAP_COLS, LEFT);
    field(line, sizeof line, " ", GAP_COLS, LEFT);
    field(line, sizeof line, value, vcols, RIGHT);
    put_line(out, line);
}

/* "label: value", or the label alone and the value indented on the next
 * line when both do not fit. */
static void
label_line(FILE *out, int width, const char *label, const char *value)
{
    char text[LINE_BYTES * 2];
    snprintf(text, sizeof text, _("%s: %s"), label, value);
    if (hb_cli_utf8_width(text) <= (size_t) width) {
        line1(out, width, text, LEFT);
        return;
    }
    snprintf(text, sizeof text, _("%s:"), label);
    line1(out, width, text, LEFT);
    char line[LINE_BYTES] = "";
    field(line, sizeof line, "", INDENT_COLS, LEFT);
    field(line, sizeof line, value, (size_t) width - INDENT_COLS, LEFT);
    put_line(out, line);
}

/* How an amount is written: with "-" when negative (PLAIN), with "+" or
 * "-" unless 0 (SIGNED), or without its sign (ABS). */
typedef enum { HM_PLAIN, HM_SIGNED, HM_ABS } hm_sign_t;

/* minutes as hours and minutes "H:MM" ("2:30", "0:10", "1499:59"; "+2:30"
 * signed) into buf, exactly: no decimals. Returns buf. */
static char *
hm(char *buf, size_t size, int64_t minutes, hm_sign_t sign)
{
    uint64_t m = minutes < 0 ? (uint64_t) (-(minutes + 1)) + 1 : (uint64_t) minutes;
    const char *s = sign == HM_ABS ? "" : minutes < 0 ? "-" : sign == HM_SIGNED && minutes > 0 ? "+" : "";
    snprintf(buf, size, "%s%" PRIu64 ":%02u", s, m / MINUTES_PER_HOUR, (unsigned) (m % MINUTES_PER_HOUR));
    return buf;
}

/* An entry's amounts as its line shows them: in and out apart (48; "-"
 * on the side it did not move), or the signed amount in "in" (32). */
typedef struct {
    char in[AMOUNT_BYTES], out[AMOUNT_BYTES], balance[AMOUNT_BYTES];
} amounts_t;

static void
amounts_of(const Hourbank__StatementEntry *e, bool wide, amounts_t *a)
{
    hm(a->balance, sizeof a->balance, e->balance_after, HM_PLAIN);
    a->out[0] = '\0';
    if (!wide) {
        hm(a->in, sizeof a->in, e->minutes, HM_SIGNED);
        return;
    }
    snprintf(a->in, sizeof a->in, "-");
    snprintf(a->out, sizeof a->out, "-");
    if (e->minutes > 0)
        hm(a->in, sizeof a->in, e->minutes, HM_ABS);
    else  /* 0 too: care the guarantee paid moved nothing out */
        hm(a->out, sizeof a->out, e->minutes, HM_ABS);
}

/* The columns of this passbook's entry lines. */
typedef struct {
    bool wide;        /* 48: in and out apart; 32: one signed column */
    bool short_date;  /* "MM-DD" (the header gives the years) */
    size_t date, service, in, out, balance;  /* out is 0 at 32 */
} layout_t;

static size_t
widest(size_t cols, const char *text)
{
    size_t w = hb_cli_utf8_width(text);
    return w > cols ? w : cols;
}

static size_t
line_cols(const layout_t *l)
{
    return l->date + GAP_COLS + l->service + GAP_COLS + l->in + (l->wide ? GAP_COLS + l->out : 0) + GAP_COLS +
           l->balance;
}

/* The amounts' columns: their heads and the widest of the entries, and
 * of the totals when with_totals. */
static void
measure(const hb_cli_passbook_t *pb, layout_t *l, bool with_totals)
{
    char t[AMOUNT_BYTES];
    amounts_t a;
    l->in = widest(0, l->wide ? _("IN") : SIGNED_HEAD);
    l->out = l->wide ? widest(0, _("OUT")) : 0;
    l->balance = widest(0, _("BALANCE"));
    for (size_t i = 0; i < pb->n_entries; i++) {
        amounts_of(pb->entries[i], l->wide, &a);
        l->in = widest(l->in, a.in);
        l->out = l->wide ? widest(l->out, a.out) : 0;
        l->balance = widest(l->balance, a.balance);
    }
    if (!with_totals)
        return;
    l->in = widest(l->in, hm(t, sizeof t, pb->in_minutes, l->wide ? HM_PLAIN : HM_SIGNED));
    l->in = l->wide ? l->in : widest(l->in, hm(t, sizeof t, -pb->out_minutes, HM_SIGNED));
    l->out = l->wide ? widest(l->out, hm(t, sizeof t, pb->out_minutes, HM_PLAIN)) : 0;
    l->balance = widest(l->balance, hm(t, sizeof t, pb->opening_minutes, HM_PLAIN));
    l->balance = widest(l->balance, hm(t, sizeof t, pb->closing_minutes, HM_PLAIN));
}

/* The columns of the entry lines, exactly width together: the amounts as
 * measured, the date, and the service the rest. The totals' amounts
 * give way when not even the short date leaves them room (central sends
 * in and out unbounded); the full date stays unless the amounts leave no
 * room for it (at 32, with SERVICE_COLS_MIN for the service). When not
 * even that fits (the reply's bounds allow no such entries), the amounts
 * are cut (in, out, then balance, then the date): never a wider line. */
static void
layout(const hb_cli_passbook_t *pb, int width, layout_t *l)
{
    memset(l, 0, sizeof *l);
    l->wide = width == HB_CLI_PASSBOOK_WIDTH_WIDE;
    measure(pb, l, true);
    l->date = SHORT_DATE_COLS;
    if (line_cols(l) > (size_t) width)
        measure(pb, l, false);
    l->date = DATE_COLS;
    if (line_cols(l) + (l->wide ? 0 : SERVICE_COLS_MIN) > (size_t) width)
        l->short_date = true, l->date = SHORT_DATE_COLS;
    size_t *cuttable[] = {&l->in, &l->out, &l->balance, &l->date};
    for (size_t i = 0; i < sizeof cuttable / sizeof cuttable[0] && line_cols(l) > (size_t) width; i++) {
        size_t over = line_cols(l) - (size_t) width;
        *cuttable[i] -= over < *cuttable[i] ? over : *cuttable[i];
    }
    l->service = (size_t) width - line_cols(l);
    hb_assert(line_cols(l) == (size_t) width);
}

static void
header(FILE *out, const hb_cli_passbook_t *pb, const layout_t *l, int width)
{
    char text[LINE_BYTES * 2], t[HB_CLI_FORMAT_BYTES];
    rule(out, width, '=');
    if (pb->station_name[0])
        line1(out, width, pb->station_name, CENTER);
    else {
        snprintf(text, sizeof text, _("station %u"), (unsigned) pb->station_id);
        line1(out, width, text, CENTER);
    }
    if (pb->community_name[0])
        snprintf(text, sizeof text, "%s (%s)", pb->community_name, pb->community);
    else
        snprintf(text, sizeof text, "%s", pb->community);
    if (text[0])
        line1(out, width, text, CENTER);
    line1(out, width, _("TIME BANK PASSBOOK"), CENTER);
    rule(out, width, '-');
    label_line(out, width, _("name"), pb->member_name[0] ? pb->member_name : "-");
    label_line(out, width, _("member no"), pb->member_no);
    label_line(out, width, _("period"), hb_cli_period_text(text, sizeof text, pb->period));
    label_line(out, width, _("as of"), hb_cli_format_time(t, sizeof t, pb->as_of));
    if (l->short_date && pb->n_entries > 0) {  /* the entries' days without their years */
        char first[HB_CLI_FORMAT_BYTES], last[HB_CLI_FORMAT_BYTES];
        snprintf(text, sizeof text, _("%s to %s"), hb_cli_period_day(first, sizeof first, pb->entries[0]),
                 hb_cli_period_day(last, sizeof last, pb->entries[pb->n_entries - 1]));
        label_line(out, width, _("days"), text);
    }
    rule(out, width, '-');
}

/* The day as the layout writes it: "YYYY-MM-DD" or "MM-DD". */
static const char *
day_text(const layout_t *l, const char *day)
{
    return l->short_date && strlen(day) == DATE_COLS ? day + SHORT_DATE_FROM : day;
}

static void
gap(char *line, size_t size)
{
    field(line, size, " ", GAP_COLS, LEFT);
}

/* One entry, one line: date, service (and the mark of care the guarantee
 * paid), in, out (48) or the signed amount (32), balance. */
static void
entry(FILE *out, const layout_t *l, const Hourbank__StatementEntry *e)
{
    char line[LINE_BYTES] = "", day[HB_CLI_FORMAT_BYTES], service[LINE_BYTES], marked[LINE_BYTES];
    amounts_t a;
    amounts_of(e, l->wide, &a);
    field(line, sizeof line, day_text(l, hb_cli_period_day(day, sizeof day, e)), l->date, LEFT);
    gap(line, sizeof line);
    hb_cli_period_service(service, sizeof service, e);
    if (hb_cli_period_guarantee_paid(e) && l->service >= GUARANTEE_MARK_COLS) {
        size_t used;
        cut(marked, sizeof marked - sizeof GUARANTEE_MARK, service, l->service - GUARANTEE_MARK_COLS, &used);
        strcat(marked, GUARANTEE_MARK);
        field(line, sizeof line, marked, l->service, LEFT);
    } else
        field(line, sizeof line, service, l->service, LEFT);
    gap(line, sizeof line);
    field(line, sizeof line, a.in, l->in, RIGHT);
    if (l->wide) {
        gap(line, sizeof line);
        field(line, sizeof line, a.out, l->out, RIGHT);
    }
    gap(line, sizeof line);
    field(line, sizeof line, a.balance, l->balance, RIGHT);
    put_line(out, line);
}

/* The unit, and the column heads of the entries. */
static void
heads(FILE *out, const layout_t *l, int width)
{
    char line[LINE_BYTES] = "";
    line1(out, width, l->wide ? _("hours (h:mm)") : _("hours (h:mm); + in, - out"), LEFT);
    field(line, sizeof line, _("DATE"), l->date, LEFT);
    gap(line, sizeof line);
    field(line, sizeof line, _("SERVICE"), l->service, LEFT);
    gap(line, sizeof line);
    field(line, sizeof line, l->wide ? _("IN") : SIGNED_HEAD, l->in, RIGHT);
    if (l->wide) {
        gap(line, sizeof line);
        field(line, sizeof line, _("OUT"), l->out, RIGHT);
    }
    gap(line, sizeof line);
    field(line, sizeof line, _("BALANCE"), l->balance, RIGHT);
    put_line(out, line);
    rule(out, width, '-');
}

/* The footnote of the mark, when an entry carries it. */
static void
footnote(FILE *out, const hb_cli_passbook_t *pb, const layout_t *l, int width)
{
    char text[LINE_BYTES];
    bool marked = false;
    for (size_t i = 0; i < pb->n_entries; i++)
        marked = marked || hb_cli_period_guarantee_paid(pb->entries[i]);
    if (!marked || l->service < GUARANTEE_MARK_COLS)
        return;
    snprintf(text, sizeof text, "%s %s", GUARANTEE_MARK, _("paid by the guarantee"));
    line1(out, width, text, LEFT);
}

static void
totals(FILE *out, const hb_cli_passbook_t *pb, int width)
{
    char d[AMOUNT_BYTES];
    rule(out, width, '-');
    label_value(out, width, _("opening balance"), hm(d, sizeof d, pb->opening_minutes, HM_PLAIN));
    label_value(out, width, _("hours in"), hm(d, sizeof d, pb->in_minutes, HM_PLAIN));
    label_value(out, width, _("hours out"), hm(d, sizeof d, pb->out_minutes, HM_PLAIN));
    label_value(out, width, _("closing balance"), hm(d, sizeof d, pb->closing_minutes, HM_PLAIN));
    snprintf(d, sizeof d, "%" PRIu64, pb->entries_total);
    label_value(out, width, _("entries"), d);
    rule(out, width, '=');
}

void
hb_cli_passbook_text_write(FILE *out, const hb_cli_passbook_t *pb, int width)
{
    hb_assert(out && pb);
    hb_assert(width == HB_CLI_PASSBOOK_WIDTH_NARROW || width == HB_CLI_PASSBOOK_WIDTH_WIDE);
    layout_t l;
    layout(pb, width, &l);
    header(out, pb, &l, width);
    heads(out, &l, width);
    if (pb->n_entries == 0)
        line1(out, width, _("no entries in this period"), LEFT);
    for (size_t i = 0; i < pb->n_entries; i++)
        entry(out, &l, pb->entries[i]);
    footnote(out, pb, &l, width);
    totals(out, pb, width);
}
