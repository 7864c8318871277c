/* cli_passbook_text.c - the passbook as text for a receipt printer: every
 * line exactly 32 or 48 terminal columns (a Chinese character takes two,
 * cli_utf8.h), cut or padded with spaces, so the printer never wraps.
 *
 * An entry takes two lines, three when there is something to add:
 *   2026-12-07 personal-care
 *              -          0 min      3 h 15 min     (48: in, out, balance)
 *     paid by the guarantee
 * At 32 columns in and out share one signed column (+ in, - out): three
 * amounts as the CLI writes them ("23 h 59 min", "1499小时59分钟") do not
 * fit in 32 columns. */
#include "cli_format.h"
#include "cli_passbook.h"
#include "cli_utf8.h"
#include "hb_assert.h"
#include "hb_i18n.h"

#include <inttypes.h>
#include <string.h>

/* Columns of the amounts: in and out (48) or the signed amount (32), and
 * the balance; one space between columns. 15 + 1 + 16 = 32 and
 * 15 + 1 + 15 + 1 + 16 = 48. */
#define AMOUNT_COLS 15
#define BALANCE_COLS 16
#define GAP_COLS 1
#define INDENT_COLS 2
/* Bytes of one line: every column a character of the most bytes. */
#define LINE_BYTES (HB_CLI_PASSBOOK_WIDTH_WIDE * HB_UTF8_CHAR_BYTES_MAX + 1)

_Static_assert(AMOUNT_COLS + GAP_COLS + BALANCE_COLS == HB_CLI_PASSBOOK_WIDTH_NARROW, "32: amount and balance");
_Static_assert(2 * (AMOUNT_COLS + GAP_COLS) + BALANCE_COLS == HB_CLI_PASSBOOK_WIDTH_WIDE, "48: in, out, balance");

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
    snprintf(line + len, size - len, "%*s%s%*s", (int) before, "", part, (int) (pad - before), "");
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

static void
header(FILE *out, const hb_cli_passbook_t *pb, int width)
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
    rule(out, width, '-');
}

/* The amounts' line: in and out (48) or the signed amount (32), balance. */
static void
amounts(FILE *out, int width, int64_t in, int64_t out_minutes, int64_t balance, const char *no_move)
{
    char line[LINE_BYTES] = "", a[HB_CLI_FORMAT_BYTES], b[HB_CLI_FORMAT_BYTES];
    if (width == HB_CLI_PASSBOOK_WIDTH_WIDE) {
        field(line, sizeof line, in ? hb_cli_format_duration(a, sizeof a, in, false) : "-", AMOUNT_COLS, RIGHT);
        field(line, sizeof line, " ", GAP_COLS, LEFT);
        field(line, sizeof line, out_minutes ? hb_cli_format_duration(a, sizeof a, out_minutes, false) : no_move,
              AMOUNT_COLS, RIGHT);
    } else {
        const char *amount = in ? hb_cli_format_duration(a, sizeof a, in, true)
                                : out_minutes ? hb_cli_format_duration(a, sizeof a, -out_minutes, true) : no_move;
        field(line, sizeof line, amount, AMOUNT_COLS, RIGHT);
    }
    field(line, sizeof line, " ", GAP_COLS, LEFT);
    field(line, sizeof line, hb_cli_format_duration(b, sizeof b, balance, false), BALANCE_COLS, RIGHT);
    put_line(out, line);
}

static void
entry(FILE *out, int width, const Hourbank__StatementEntry *e)
{
    char day[HB_CLI_FORMAT_BYTES], service[LINE_BYTES], text[LINE_BYTES * 2], zero[HB_CLI_FORMAT_BYTES];
    snprintf(text, sizeof text, "%s %s", hb_cli_period_day(day, sizeof day, e),
             hb_cli_period_service(service, sizeof service, e));
    line1(out, width, text, LEFT);
    hb_cli_format_duration(zero, sizeof zero, 0, false);
    amounts(out, width, e->minutes > 0 ? e->minutes : 0, e->minutes < 0 ? -e->minutes : 0, e->balance_after,
            e->minutes == 0 ? zero : "-");
    if (hb_cli_period_guarantee_paid(e)) {
        char line[LINE_BYTES] = "";
        field(line, sizeof line, "", INDENT_COLS, LEFT);
        field(line, sizeof line, _("paid by the guarantee"), (size_t) width - INDENT_COLS, LEFT);
        put_line(out, line);
    }
}

/* The column heads of the entries. */
static void
heads(FILE *out, int width)
{
    char line[LINE_BYTES] = "", text[LINE_BYTES];
    snprintf(text, sizeof text, "%s / %s", _("DATE"), _("SERVICE"));
    line1(out, width, text, LEFT);
    if (width == HB_CLI_PASSBOOK_WIDTH_WIDE) {
        field(line, sizeof line, _("IN"), AMOUNT_COLS, RIGHT);
        field(line, sizeof line, " ", GAP_COLS, LEFT);
        field(line, sizeof line, _("OUT"), AMOUNT_COLS, RIGHT);
    } else {
        field(line, sizeof line, _("IN + / OUT -"), AMOUNT_COLS, RIGHT);
    }
    field(line, sizeof line, " ", GAP_COLS, LEFT);
    field(line, sizeof line, _("BALANCE"), BALANCE_COLS, RIGHT);
    put_line(out, line);
    rule(out, width, '-');
}

static void
totals(FILE *out, const hb_cli_passbook_t *pb, int width)
{
    char d[HB_CLI_FORMAT_BYTES];
    rule(out, width, '-');
    label_value(out, width, _("opening balance"), hb_cli_format_duration(d, sizeof d, pb->opening_minutes, false));
    label_value(out, width, _("hours in"), hb_cli_format_duration(d, sizeof d, pb->in_minutes, false));
    label_value(out, width, _("hours out"), hb_cli_format_duration(d, sizeof d, pb->out_minutes, false));
    label_value(out, width, _("closing balance"), hb_cli_format_duration(d, sizeof d, pb->closing_minutes, false));
    snprintf(d, sizeof d, "%" PRIu64, pb->entries_total);
    label_value(out, width, _("entries"), d);
    rule(out, width, '=');
}

void
hb_cli_passbook_text_write(FILE *out, const hb_cli_passbook_t *pb, int width)
{
    hb_assert(out && pb);
    hb_assert(width == HB_CLI_PASSBOOK_WIDTH_NARROW || width == HB_CLI_PASSBOOK_WIDTH_WIDE);
    header(out, pb, width);
    heads(out, width);
    if (pb->n_entries == 0)
        line1(out, width, _("no entries in this period"), LEFT);
    for (size_t i = 0; i < pb->n_entries; i++)
        entry(out, width, pb->entries[i]);
    totals(out, pb, width);
}
