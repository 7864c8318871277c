/* cli_passbook_html.c - the passbook as one HTML page to print: no
 * external assets and no script (a station PC prints it offline), inline
 * CSS with @page for A4 or A5 and @media print, lang set, every text
 * escaped here and nowhere else (html_text). The body alone
 * (hb_cli_passbook_html_body) is the console's printable passbook, styled
 * by its own CSS. */
#include "cli.h"
#include "cli_format.h"
#include "cli_passbook_model.h"
#include "hb_assert.h"
#include "hb_i18n.h"

#include <inttypes.h>
#include <string.h>

/* The page's style: the paper's size and margins, then the rest. */
#define CSS_PAGE_A4 "@page { size: A4 portrait; margin: 15mm; }\nbody { font-size: 11pt; }\n"
#define CSS_PAGE_A5 "@page { size: A5 portrait; margin: 10mm; }\nbody { font-size: 9pt; }\n"
#define CSS_COMMON                                                                                           \
    "body { font-family: \"Noto Sans CJK SC\", \"Source Han Sans SC\", \"Microsoft YaHei\", \"SimSun\", "  \
    "sans-serif; color: #000; background: #fff; margin: 0 auto; max-width: 190mm; }\n"                     \
    "header { text-align: center; margin-bottom: 1em; }\n"                                                 \
    "h1 { font-size: 1.5em; margin: 0.2em 0; }\n"                                                          \
    "h2 { font-size: 1.2em; margin: 0.2em 0; letter-spacing: 0.1em; }\n"                                   \
    ".community { margin: 0; }\n"                                                                          \
    "dl.member { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; margin: 0 0 1em; }\n" \
    "dl.member dt { font-weight: bold; }\n"                                                                \
    "dl.member dd { margin: 0; }\n"                                                                        \
    "table { width: 100%; border-collapse: collapse; }\n"                                                  \
    "th, td { border-bottom: 1px solid #888; padding: 0.25em 0.4em; text-align: left; vertical-align: top; }\n" \
    "th { border-bottom: 2px solid #000; }\n"                                                              \
    "td.num, th.num { text-align: right; white-space: nowrap; }\n"                                         \
    "td.day { white-space: nowrap; }\n"                                                                    \
    ".paid { font-size: 0.85em; }\n"                                                                       \
    "tfoot th { border-bottom: none; border-top: 2px solid #000; }\n"                                      \
    "@media print {\n"                                                                                      \
    "  body { max-width: none; }\n"                                                                        \
    "  thead { display: table-header-group; }\n"                                                           \
    "  tfoot { display: table-row-group; }\n"                                                              \
    "  tr { page-break-inside: avoid; break-inside: avoid; }\n"                                            \
    "}\n"

/* text with & < > " ' as character references, control characters as
 * spaces: safe in element content and in quoted attribute values. */
static void
html_text(FILE *out, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc((unsigned char) *p < ' ' || *p == '\x7f' ? ' ' : *p, out); break;
        }
    }
}

/* <tag attrs>text</tag> with text escaped; attrs written as they are (constants only). */
static void
element(FILE *out, const char *tag, const char *attrs, const char *text)
{
    fprintf(out, "<%s%s%s>", tag, attrs ? " " : "", attrs ? attrs : "");
    html_text(out, text);
    fprintf(out, "</%s>", tag);
}

static void
head(FILE *out, const hb_cli_passbook_t *pb, const char *lang, const char *paper)
{
    char title[HB_CLI_TEXT_BYTES_MAX];
    snprintf(title, sizeof title, _("passbook of %s %s"), pb->member_no, pb->member_name);
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n",
            strcmp(lang, "zh_CN") == 0 ? "zh-CN" : "en");
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", out);
    element(out, "title", NULL, title);
    fprintf(out, "\n<style>\n%s%s</style>\n</head>\n", strcmp(paper, "a5") == 0 ? CSS_PAGE_A5 : CSS_PAGE_A4,
            CSS_COMMON);
}

static void
dl_item(FILE *out, const char *label, const char *value)
{
    element(out, "dt", NULL, label);
    element(out, "dd", NULL, value);
    fputc('\n', out);
}

static void
banner(FILE *out, const hb_cli_passbook_t *pb)
{
    char text[HB_CLI_TEXT_BYTES_MAX], t[HB_CLI_FORMAT_BYTES];
    fputs("<header>\n", out);
    if (pb->station_name[0])
        snprintf(text, sizeof text, "%s", pb->station_name);
    else
        snprintf(text, sizeof text, _("station %u"), (unsigned) pb->station_id);
    element(out, "h1", NULL, text);
    fputc('\n', out);
    if (pb->community_name[0])
        snprintf(text, sizeof text, "%s (%s)", pb->community_name, pb->community);
    else
        snprintf(text, sizeof text, "%s", pb->community);
    if (text[0]) {
        element(out, "p", "class=\"community\"", text);
        fputc('\n', out);
    }
    element(out, "h2", NULL, _("TIME BANK PASSBOOK"));
    fputs("\n</header>\n<dl class=\"member\">\n", out);
    dl_item(out, _("name"), pb->member_name[0] ? pb->member_name : "-");
    dl_item(out, _("member no"), pb->member_no);
    dl_item(out, _("period"), hb_cli_period_text(text, sizeof text, pb->period));
    dl_item(out, _("as of"), hb_cli_format_time(t, sizeof t, pb->as_of));
    fputs("</dl>\n", out);
}

/* A cell of minutes; "-" for none, or dash itself when given. */
static void
minutes_cell(FILE *out, int64_t minutes, bool sign, const char *dash)
{
    char d[HB_CLI_FORMAT_BYTES];
    element(out, "td", "class=\"num\"", minutes || !dash ? hb_cli_format_duration(d, sizeof d, minutes, sign) : dash);
}

static void
entry_row(FILE *out, const Hourbank__StatementEntry *e)
{
    char day[HB_CLI_FORMAT_BYTES], service[HB_CLI_TEXT_BYTES_MAX];
    fputs("<tr>", out);
    element(out, "td", "class=\"day\"", hb_cli_period_day(day, sizeof day, e));
    fputs("<td>", out);
    html_text(out, hb_cli_period_service(service, sizeof service, e));
    if (hb_cli_period_guarantee_paid(e)) {
        fputs("<br>", out);
        element(out, "span", "class=\"paid\"", _("paid by the guarantee"));
    }
    fputs("</td>", out);
    minutes_cell(out, e->minutes > 0 ? e->minutes : 0, false, "-");
    minutes_cell(out, e->minutes < 0 ? -e->minutes : 0, false, e->minutes == 0 ? NULL : "-");
    minutes_cell(out, e->balance_after, false, NULL);
    fputs("</tr>\n", out);
}

static void
total_row(FILE *out, const char *label, int64_t minutes)
{
    char d[HB_CLI_FORMAT_BYTES];
    fputs("<tr>", out);
    element(out, "th", "colspan=\"4\" scope=\"row\"", label);
    element(out, "td", "class=\"num\"", hb_cli_format_duration(d, sizeof d, minutes, false));
    fputs("</tr>\n", out);
}

static void
entries_table(FILE *out, const hb_cli_passbook_t *pb)
{
    fputs("<table>\n<thead><tr>", out);
    element(out, "th", "scope=\"col\"", _("DATE"));
    element(out, "th", "scope=\"col\"", _("SERVICE"));
    element(out, "th", "scope=\"col\" class=\"num\"", _("IN"));
    element(out, "th", "scope=\"col\" class=\"num\"", _("OUT"));
    element(out, "th", "scope=\"col\" class=\"num\"", _("BALANCE"));
    fputs("</tr></thead>\n<tbody>\n", out);
    if (pb->n_entries == 0) {
        fputs("<tr>", out);
        element(out, "td", "colspan=\"5\"", _("no entries in this period"));
        fputs("</tr>\n", out);
    }
    for (size_t i = 0; i < pb->n_entries; i++)
        entry_row(out, pb->entries[i]);
    fputs("</tbody>\n<tfoot>\n", out);
    total_row(out, _("opening balance"), pb->opening_minutes);
    total_row(out, _("hours in"), pb->in_minutes);
    total_row(out, _("hours out"), pb->out_minutes);
    total_row(out, _("closing balance"), pb->closing_minutes);
    fputs("<tr>", out);
    element(out, "th", "colspan=\"4\" scope=\"row\"", _("entries"));
    fprintf(out, "<td class=\"num\">%" PRIu64 "</td></tr>\n</tfoot>\n</table>\n", pb->entries_total);
}

void
hb_cli_passbook_html_body(FILE *out, const hb_cli_passbook_t *pb)
{
    hb_assert(out && pb);
    banner(out, pb);
    entries_table(out, pb);
}

void
hb_cli_passbook_html_write(FILE *out, const hb_cli_passbook_t *pb, const char *lang, const char *paper)
{
    hb_assert(out && pb && lang && paper);
    head(out, pb, lang, paper);
    fputs("<body>\n", out);
    hb_cli_passbook_html_body(out, pb);
    fputs("</body>\n</html>\n", out);
}
