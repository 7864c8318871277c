/* cli_statement.c - `statement`: a member's entries, newest page first,
 * each with its day of service, part, counterparty, payer, note, the op it
 * reverses, amount and running balance; the period's totals; and the exact
 * --before to page to older entries. */
#include "cli_statement.h"
#include "cli_format.h"
#include "cli_json.h"
#include "cli_parse.h"
#include "cli_period.h"
#include "cli_report.h"
#include "cli_table.h"
#include "cli_words.h"
#include "cli_zone.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* Columns of the entries' table. */
#define ENTRY_COLUMNS 10
#define DECIMAL 10

typedef struct {
    char member_no[HB_MEMBER_NO_BUF_BYTES];
    hb_cli_period_t period;
    uint64_t before_id;       /* --before; 0 = the newest page */
    uint32_t limit;           /* --limit */
    const char *limit_text;   /* borrowed; NULL when not given */
} statement_args_t;

/* ---- the words of an entry ---- */

/* "STATION:SEQ" of ref into buf, or NULL when there is none. */
static const char *
op_text(char *buf, size_t size, const Hourbank__OpRef *ref)
{
    if (!ref || ref->station_id == 0)
        return NULL;
    return hb_cli_format_op_ref(buf, size, ref->station_id, ref->seq);
}

static const char *
text_or_null(const char *s)
{
    return s && s[0] ? s : NULL;
}

/* Who paid a service, in words; "-" for other kinds. */
static const char *
paid_by_text(const Hourbank__StatementEntry *e, const char *member_no)
{
    if (!e->paid_by || !e->paid_by[0])
        return "-";
    if (strcmp(e->paid_by, "guarantee") == 0)
        return _("the guarantee");
    if (strcmp(e->paid_by, member_no) == 0)
        return _("own hours");
    return e->paid_by;
}

/* The counterparty: a member's number and name, or a system account. */
static char *
with_text(char *buf, size_t size, const Hourbank__StatementEntry *e)
{
    if (!e->counterparty || !e->counterparty[0])
        snprintf(buf, size, "-");
    else if (e->counterparty_name && e->counterparty_name[0])
        snprintf(buf, size, "%s %s", e->counterparty, e->counterparty_name);
    else
        snprintf(buf, size, "%s", hb_cli_words_account(e->counterparty));
    return buf;
}

/* The note, and for a void the op it reverses. */
static char *
note_text(char *buf, size_t size, const Hourbank__StatementEntry *e)
{
    char ref[HB_CLI_FORMAT_BYTES];
    const char *voids = op_text(ref, sizeof ref, e->voids), *note = text_or_null(e->note);
    if (voids && note)
        snprintf(buf, size, _("reverses %s: %s"), voids, note);
    else if (voids)
        snprintf(buf, size, _("reverses %s"), voids);
    else
        snprintf(buf, size, "%s", note ? note : "-");
    return buf;
}

/* ---- JSON ---- */

static void
json_entry(hb_cli_json_t *j, const Hourbank__StatementEntry *e)
{
    char op[HB_CLI_FORMAT_BYTES], voids[HB_CLI_FORMAT_BYTES];
    hb_cli_json_object_begin(j);
    hb_cli_json_kv_uint(j, "transfer_id", e->transfer_id);
    hb_cli_json_kv_time(j, "posted_at", e->posted_at);
    hb_cli_json_kv_time(j, "occurred_at", e->occurred_at);
    hb_cli_json_kv_string(j, "service_day", text_or_null(e->service_day));
    hb_cli_json_kv_string(j, "kind", e->kind);
    hb_cli_json_kv_string(j, "role", text_or_null(e->role));
    hb_cli_json_kv_string(j, "category", text_or_null(e->category));
    hb_cli_json_kv_string(j, "counterparty", text_or_null(e->counterparty));
    hb_cli_json_kv_string(j, "counterparty_name", text_or_null(e->counterparty_name));
    hb_cli_json_kv_string(j, "paid_by", text_or_null(e->paid_by));
    hb_cli_json_kv_int(j, "minutes", e->minutes);
    hb_cli_json_kv_int(j, "balance_after", e->balance_after);
    hb_cli_json_kv_string(j, "note", text_or_null(e->note));
    hb_cli_json_kv_string(j, "op_ref", op_text(op, sizeof op, e->op));
    hb_cli_json_kv_string(j, "voids", op_text(voids, sizeof voids, e->voids));
    hb_cli_json_kv_string(j, "operator", text_or_null(e->operator_));
    hb_cli_json_object_end(j);
}

static bool
has_more(const Hourbank__StatementReply *r)
{
    return r->more || r->next_before_id != 0;
}

static void
json_statement(hb_cli_t *cli, const Hourbank__StatementReply *r, const hb_cli_period_t *p)
{
    hb_cli_json_t j;
    hb_cli_json_init(&j, cli->out);
    hb_cli_json_object_begin(&j);
    hb_cli_json_kv_string(&j, "member_no", r->member_no);
    hb_cli_json_kv_string(&j, "member_name", text_or_null(r->member_name));
    hb_cli_json_kv_time(&j, "since", p->from);  /* --from's older name, for scripts that read it */
    hb_cli_json_kv_time(&j, "from", p->from);
    hb_cli_json_kv_time(&j, "until", p->until);
    hb_cli_json_kv_time(&j, "as_of", r->as_of);
    hb_cli_json_kv_int(&j, "opening_minutes", r->opening_minutes);
    hb_cli_json_kv_int(&j, "in_minutes", r->in_minutes);
    hb_cli_json_kv_int(&j, "out_minutes", r->out_minutes);
    hb_cli_json_kv_int(&j, "closing_minutes", r->closing_minutes);
    hb_cli_json_kv_uint(&j, "entries_total", r->entries_total);
    hb_cli_json_key(&j, "entries");
    hb_cli_json_array_begin(&j);
    for (size_t i = 0; i < r->n_entries; i++)
        json_entry(&j, r->entries[i]);
    hb_cli_json_array_end(&j);
    hb_cli_json_kv_bool(&j, "more", has_more(r));
    hb_cli_json_key(&j, "next_before");
    if (has_more(r) && r->next_before_id)
        hb_cli_json_uint(&j, r->next_before_id);
    else
        hb_cli_json_null(&j);
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

/* ---- text ---- */

/* The period and its balances, one "key  value" line each. */
static int
print_summary(hb_cli_t *cli, const Hourbank__StatementReply *r, const hb_cli_period_t *p)
{
    char d[HB_CLI_FORMAT_BYTES], t[HB_CLI_FORMAT_BYTES], text[HB_CLI_TEXT_BYTES_MAX];
    if (r->member_name && r->member_name[0])
        fprintf(cli->out, _("statement of %s %s\n"), r->member_no, r->member_name);
    else
        fprintf(cli->out, _("statement of %s\n"), r->member_no);
    hb_cli_table_t *tab = hb_cli_table_new(2, NULL);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    hb_cli_table_align_right(tab, 1);
    hb_cli_table_cell(tab, "%s", _("period"));
    hb_cli_table_cell(tab, "%s", hb_cli_period_text(text, sizeof text, p));
    hb_cli_table_cell(tab, "%s", _("opening balance"));
    hb_cli_table_cell(tab, "%s", hb_cli_format_duration(d, sizeof d, r->opening_minutes, false));
    hb_cli_table_cell(tab, "%s", _("in"));
    hb_cli_table_cell(tab, "%s", hb_cli_format_duration(d, sizeof d, r->in_minutes, true));
    hb_cli_table_cell(tab, "%s", _("out"));
    hb_cli_table_cell(tab, "%s", hb_cli_format_duration(d, sizeof d, -r->out_minutes, true));
    hb_cli_table_cell(tab, "%s", _("closing balance"));
    hb_cli_table_cell(tab, "%s", hb_cli_format_duration(d, sizeof d, r->closing_minutes, false));
    hb_cli_table_cell(tab, "%s", _("entries"));
    hb_cli_table_cell(tab, "%" PRIu64, r->entries_total);
    if (hb_cli_table_finish(&tab, cli->out) != 0)
        return hb_cli_report_out_of_memory(cli);
    if (!p->until && r->as_of)
        fprintf(cli->out, _("(closing balance as of %s)\n"), hb_cli_format_time(t, sizeof t, r->as_of));
    return 0;
}

static void
entry_row(hb_cli_table_t *tab, const Hourbank__StatementEntry *e, const char *member_no)
{
    char day[HB_CLI_FORMAT_BYTES], d[HB_CLI_FORMAT_BYTES], op[HB_CLI_FORMAT_BYTES];
    char with[HB_CLI_TEXT_BYTES_MAX], note[HB_CLI_TEXT_BYTES_MAX];
    const char *ref = op_text(op, sizeof op, e->op);
    hb_cli_table_cell(tab, "%" PRIu64, e->transfer_id);
    hb_cli_table_cell(tab, "%s", hb_cli_period_day(day, sizeof day, e));
    if (e->category && e->category[0])
        hb_cli_table_cell(tab, "%s %s", hb_cli_words_kind(e->kind), e->category);
    else
        hb_cli_table_cell(tab, "%s", hb_cli_words_kind(e->kind));
    hb_cli_table_cell(tab, "%s", hb_cli_period_role(e->role));
    hb_cli_table_cell(tab, "%s", with_text(with, sizeof with, e));
    hb_cli_table_cell(tab, "%s", paid_by_text(e, member_no));
    hb_cli_table_cell(tab, "%s", hb_cli_format_duration(d, sizeof d, e->minutes, true));
    hb_cli_table_cell(tab, "%s", hb_cli_format_duration(d, sizeof d, e->balance_after, false));
    hb_cli_table_cell(tab, "%s", ref ? ref : "-");
    hb_cli_table_cell(tab, "%s", note_text(note, sizeof note, e));
}

static int
print_entries(hb_cli_t *cli, const Hourbank__StatementReply *r)
{
    const char *const headers[ENTRY_COLUMNS] = {_("POS"),    _("SERVICE DAY"), _("KIND"),    _("ROLE"), _("WITH"),
                                                _("PAID BY"), _("AMOUNT"),      _("BALANCE"), _("OP"),   _("NOTE")};
    hb_cli_table_t *tab = hb_cli_table_new(ENTRY_COLUMNS, headers);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    hb_cli_table_align_right(tab, 0);
    hb_cli_table_align_right(tab, 6);
    hb_cli_table_align_right(tab, 7);
    for (size_t i = 0; i < r->n_entries; i++)
        entry_row(tab, r->entries[i], r->member_no);
    return hb_cli_table_finish(&tab, cli->out) == 0 ? 0 : hb_cli_report_out_of_memory(cli);
}

/* " --name VALUE" appended to buf, the value quoted when it holds a space. */
static void
append_opt(char *buf, size_t size, const char *name, const char *value)
{
    size_t len = strlen(buf);
    if (!value || len >= size)
        return;
    snprintf(buf + len, size - len, strchr(value, ' ') ? " --%s \"%s\"" : " --%s %s", name, value);
}

/* Where the page ends: the command that shows the older entries. */
static void
print_paging(hb_cli_t *cli, const Hourbank__StatementReply *r, const statement_args_t *a)
{
    if (!has_more(r)) {
        if (a->before_id && r->n_entries)
            fprintf(cli->out, "%s\n", _("no older entries in the period"));
        return;
    }
    uint64_t next = r->next_before_id ? r->next_before_id : r->entries[0]->transfer_id;
    char cmd[HB_CLI_TEXT_BYTES_MAX], pos[HB_CLI_FORMAT_BYTES];
    snprintf(pos, sizeof pos, "%" PRIu64, next);
    snprintf(cmd, sizeof cmd, "hourbank statement %s", a->member_no);
    append_opt(cmd, sizeof cmd, "from", a->period.from_text);
    append_opt(cmd, sizeof cmd, "until", a->period.until_text);
    append_opt(cmd, sizeof cmd, "limit", a->limit_text);
    append_opt(cmd, sizeof cmd, "before", pos);
    fprintf(cli->out, _("older entries not shown; to see them: %s\n"), cmd);
}

static int
print_statement(hb_cli_t *cli, const Hourbank__StatementReply *r, const statement_args_t *a)
{
    int rc = print_summary(cli, r, &a->period);
    if (rc != 0)
        return rc;
    fputc('\n', cli->out);
    if (r->n_entries == 0)
        fprintf(cli->out, "%s\n", a->before_id ? _("no entries before that position") : _("no entries"));
    else if ((rc = print_entries(cli, r)) != 0)
        return rc;
    print_paging(cli, r, a);
    return 0;
}

/* ---- the command ---- */

/* --before and --limit. 0, or an exit code after reporting. */
static int
read_paging(hb_cli_t *cli, const hb_cli_args_t *args, statement_args_t *a)
{
    const char *before = hb_cli_command_value(args, "before");
    char msg[HB_CLI_TEXT_BYTES_MAX], echo[HB_CLI_TEXT_BYTES_MAX];
    a->limit = HB_PAGE_ENTRIES_DEFAULT;
    a->limit_text = hb_cli_command_value(args, "limit");
    if (before && hb_cli_parse_seq(before, &a->before_id, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR,
                                  _("%s is not a position: write the number a statement shows, e.g. --before 1200"),
                                  hb_cli_parse_quote(echo, sizeof echo, before));
    if (a->limit_text) {
        bool digits = a->limit_text[0] && strspn(a->limit_text, "0123456789") == strlen(a->limit_text);
        unsigned long v = digits ? strtoul(a->limit_text, NULL, DECIMAL) : 0;  /* too many digits: ULONG_MAX */
        if (v < 1 || v > HB_STATEMENT_ENTRIES_MAX)
            return hb_cli_report_fail(cli, EX_DATAERR, _("--limit %s is out of range: a page holds 1 to %d entries"),
                                      hb_cli_parse_quote(echo, sizeof echo, a->limit_text), HB_STATEMENT_ENTRIES_MAX);
        a->limit = (uint32_t) v;
    }
    return 0;
}

static int
run_statement(hb_cli_t *cli, const hb_cli_args_t *args)
{
    statement_args_t a;
    memset(&a, 0, sizeof a);
    char msg[HB_CLI_TEXT_BYTES_MAX];
    if (hb_cli_parse_member_no(args->operands[0], a.member_no, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    int rc = hb_cli_period_check(cli, args, &a.period);
    if (rc == 0)
        rc = read_paging(cli, args, &a);
    /* the days typed are the district's, and the entries are shown in its time */
    if (rc == 0)
        rc = hb_cli_zone_ask_station(cli);
    if (rc == 0)
        rc = hb_cli_period_read(cli, &a.period);
    Hourbank__Envelope *reply = NULL;
    if (rc == 0)
        rc = hb_cli_period_ask(cli, a.member_no, &a.period, a.before_id, a.limit, &reply);
    if (rc != 0)
        return rc;
    hb_cli_period_sort(reply->statement_reply);
    if (cli->json)
        json_statement(cli, reply->statement_reply, &a.period);
    else
        rc = print_statement(cli, reply->statement_reply, &a);
    hb_wire_free(&reply);
    return rc;
}

static const hb_cli_opt_t statement_opts[] = {
    {"from", 0, N_("DATE"), false, N_("entries posted from this day on (YYYY-MM-DD, the district's day)")},
    {"until", 0, N_("DATE"), false, N_("entries posted up to the end of this day (YYYY-MM-DD)")},
    {"since", 0, N_("DATE"), false, N_("another name for --from")},
    {"before", 0, N_("POS"), false, N_("older entries: those before this position (the statement prints it)")},
    {"limit", 0, N_("N"), false, N_("entries per page (1 to 200, default 50)")},
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_statement_statement = {
    .name = "statement",
    .operands = N_("MEMBER_NO"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("list a member's ledger entries with balances (needs the link to central)"),
    .description = N_("Lists the member's entries in the ledger in posting order, as central has posted them:\n"
                   "services given and received (also care the guarantee paid, which moves 0 for the\n"
                   "member), gifts, donations and voids, each with its day of service, the other party,\n"
                   "who paid, the note, the amount and the balance after it. The period's opening and\n"
                   "closing balances, hours in and out are shown above. Without --before the newest page\n"
                   "is shown, and the line under it gives the --before to page to older entries.\n"
                   "The station asks central, so this needs the link to be up; operations saved here and\n"
                   "not yet synced are not in it (see hourbank balance and hourbank queue)."),
    .target = HB_CLI_TARGET_STATION,
    .opts = statement_opts,
    .run = run_statement,
};
