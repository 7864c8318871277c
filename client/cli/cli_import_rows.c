/* cli_import_rows.c - the columns and rows of the two files `hourbank
 * import` reads (cli_import.h): members.csv (ref, name, role, birth_year,
 * phone, family_ref, relation) and balances.csv (member, minutes or hours,
 * source), each row checked as `member add` checks what is typed, then the
 * checks across rows. */
#include "cli_import.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_map.h"
#include "hb_wire.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#define TM_YEAR_BASE 1900
#define MINUTES_PER_HOUR 60
#define HUNDREDTHS 100
/* "H:MM": at most this many digits of hours (HB_OPENING_MINUTES_MAX / 60 has 6) */
#define HOURS_DIGITS_MAX 7

typedef enum {
    COL_REF, COL_NAME, COL_ROLE, COL_BIRTH_YEAR, COL_PHONE, COL_FAMILY_REF, COL_RELATION,
    COL_MEMBER, COL_MINUTES, COL_HOURS, COL_SOURCE, COL_COUNT
} col_t;

static const struct {
    const char *name;
    bool members;   /* a column of members.csv, else of balances.csv */
    bool required;
} columns[COL_COUNT] = {
    [COL_REF] = {"ref", true, true},          [COL_NAME] = {"name", true, true},
    [COL_ROLE] = {"role", true, true},        [COL_BIRTH_YEAR] = {"birth_year", true, false},
    [COL_PHONE] = {"phone", true, false},     [COL_FAMILY_REF] = {"family_ref", true, false},
    [COL_RELATION] = {"relation", true, false}, [COL_MEMBER] = {"member", false, true},
    [COL_MINUTES] = {"minutes", false, false}, [COL_HOURS] = {"hours", false, false},
    [COL_SOURCE] = {"source", false, false},
};

/* The roles in Chinese, as a pilot's spreadsheet may write them. */
static const struct {
    const char *word, *role;
} role_words[] = {{"\xE5\xBF\x97\xE6\x84\xBF\xE8\x80\x85", "volunteer"},  /* 志愿者 */
                  {"\xE8\x80\x81\xE4\xBA\xBA", "elder"},                  /* 老人 */
                  {"\xE4\xB8\xA4\xE8\x80\x85", "both"}};                  /* 两者 */

void
hb_cli_import_refuse(hb_cli_import_row_t *row, const char *fmt, ...)
{
    if (row->why)
        return;  /* the first reason is the one told */
    char text[HB_CLI_TEXT_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    row->why = strdup(text);
    hb_assert(row->why);
}

/* The text without surrounding spaces, in buf. */
static const char *
trimmed(const char *s, char *buf, size_t size)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    snprintf(buf, size, "%.*s", (int) len, s);
    return buf;
}

/* The header: which field holds each column (-1 = none). 0, or an exit
 * code after reporting. */
static int
header_read(hb_cli_t *cli, const char *const *f, size_t n, bool members, int col[COL_COUNT])
{
    char name[HB_CLI_TEXT_BYTES_MAX], list[HB_CLI_TEXT_BYTES_MAX] = "";
    for (int c = 0; c < COL_COUNT; c++) {
        col[c] = -1;
        if (columns[c].members == members)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "", columns[c].name);
    }
    for (size_t i = 0; i < n; i++) {
        trimmed(f[i], name, sizeof name);
        for (char *p = name; *p; p++)
            *p = (char) tolower((unsigned char) *p);
        int found = -1;
        for (int c = 0; c < COL_COUNT && found < 0; c++)
            if (columns[c].members == members && strcmp(columns[c].name, name) == 0)
                found = c;
        if (found < 0)
            return hb_cli_report_fail(cli, EX_DATAERR, _("line 1: unknown column %s; the columns are %s"),
                                      hb_cli_parse_quote(name, sizeof name, f[i]), list);
        if (col[found] >= 0)
            return hb_cli_report_fail(cli, EX_DATAERR, _("line 1: column %s is there twice"), columns[found].name);
        col[found] = (int) i;
    }
    for (int c = 0; c < COL_COUNT; c++)
        if (columns[c].members == members && columns[c].required && col[c] < 0)
            return hb_cli_report_fail(cli, EX_DATAERR, _("line 1: column %s is missing (the columns are %s)"),
                                      columns[c].name, list);
    if (!members && (col[COL_MINUTES] < 0) == (col[COL_HOURS] < 0))
        return hb_cli_report_fail(cli, EX_DATAERR, _("line 1: give either a minutes or an hours column"));
    return 0;
}

/* Field c of the record, trimmed into buf; "" when the file has no such column. */
static const char *
field(const char *const *f, const int col[COL_COUNT], col_t c, char *buf, size_t size)
{
    return col[c] < 0 ? "" : trimmed(f[col[c]], buf, size);
}

static int
this_year(void)
{
    time_t now = time(NULL);
    struct tm tm;
    return localtime_r(&now, &tm) ? tm.tm_year + TM_YEAR_BASE : HB_BIRTH_YEAR_MAX;
}

static void
ref_check(hb_cli_import_row_t *row, const char *column, const char *ref)
{
    char msg[HB_CLI_TEXT_BYTES_MAX];
    if (hb_cli_parse_text(column, ref, HB_IMPORT_REF_BYTES_MAX, true, false, msg, sizeof msg) != 0)
        hb_cli_import_refuse(row, "%s", msg);
}

/* A members.csv row into a registration. */
static void
member_row(hb_cli_import_row_t *row, const char *const *f, const int col[COL_COUNT])
{
    char buf[HB_CSV_FIELD_BYTES_MAX + 1], msg[HB_CLI_TEXT_BYTES_MAX];
    hourbank__register_member__init(&row->reg);
    row->ref = strdup(field(f, col, COL_REF, buf, sizeof buf));
    row->name = strdup(field(f, col, COL_NAME, buf, sizeof buf));
    hb_assert(row->ref && row->name);
    ref_check(row, "ref", row->ref);
    if (hb_cli_parse_chars(N_("name"), row->name, HB_NAME_CHARS_MAX, true, false, msg, sizeof msg) != 0)
        hb_cli_import_refuse(row, "%s", msg);
    const char *role = field(f, col, COL_ROLE, buf, sizeof buf);
    for (size_t i = 0; i < sizeof role_words / sizeof role_words[0]; i++)
        if (strcmp(role, role_words[i].word) == 0)
            role = role_words[i].role;
    int r = 0;
    if (hb_cli_parse_role(role, &r, msg, sizeof msg) != 0)
        hb_cli_import_refuse(row, "%s", msg);
    row->reg.role = (Hourbank__Role) r;
    const char *year = field(f, col, COL_BIRTH_YEAR, buf, sizeof buf);
    if (year[0] && hb_cli_parse_birth_year(year, this_year(), &row->reg.birth_year, msg, sizeof msg) != 0)
        hb_cli_import_refuse(row, "%s", msg);
    const char *phone = field(f, col, COL_PHONE, buf, sizeof buf);
    if (phone[0] && hb_cli_parse_phone(phone, msg, sizeof msg) != 0)
        hb_cli_import_refuse(row, "%s", msg);
    row->reg.phone = strdup(phone);
    const char *family = field(f, col, COL_FAMILY_REF, buf, sizeof buf);
    row->family = family[0] ? strdup(family) : NULL;
    const char *relation = field(f, col, COL_RELATION, buf, sizeof buf);
    if (hb_cli_parse_chars(N_("relation"), relation, HB_RELATION_CHARS_MAX, false, false, msg, sizeof msg) != 0)
        hb_cli_import_refuse(row, "%s", msg);
    else if (relation[0] && !row->family)
        hb_cli_import_refuse(row, _("a relation is given without a family_ref"));
    row->reg.family_relation = strdup(relation);
    hb_assert(row->reg.phone && row->reg.family_relation);
    row->reg.name = row->name;
    row->reg.member_no = row->number + sizeof row->number - 1;  /* "": the station allocates it */
    row->reg.family_of = row->number;
    row->op.kind_case = HOURBANK__OP__KIND_REGISTER_MEMBER;
    row->op.register_member = &row->reg;
    snprintf(row->request_id, sizeof row->request_id, HB_CLI_IMPORT_MEMBER_PREFIX "%s", row->ref);
}

/* "90", "-90", "1:30", "-1:30" as minutes; hours: "1:30", "1.5", "2". */
static bool
amount_parse(const char *text, bool hours, int64_t *minutes)
{
    const char *p = text;
    bool negative = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    int64_t whole = 0, part = 0;
    int digits = 0, part_digits = 0;
    for (; isdigit((unsigned char) *p) && digits < HOURS_DIGITS_MAX + 2; p++, digits++)
        whole = whole * 10 + (*p - '0');
    if (digits == 0 || digits > HOURS_DIGITS_MAX + 1)
        return false;
    char sep = *p;
    if (sep == ':' || (hours && sep == '.')) {
        for (p++; isdigit((unsigned char) *p) && part_digits < 2; p++, part_digits++)
            part = part * 10 + (*p - '0');
        if (*p != '\0' || part_digits == 0 || (sep == ':' && (part_digits != 2 || part >= MINUTES_PER_HOUR)))
            return false;
        if (sep == '.') {  /* hundredths of an hour: whole minutes only */
            part = part_digits == 1 ? part * 10 : part;
            if (part * MINUTES_PER_HOUR % HUNDREDTHS != 0)
                return false;
            part = part * MINUTES_PER_HOUR / HUNDREDTHS;
        }
        whole = whole * MINUTES_PER_HOUR + part;
    } else if (*p != '\0') {
        return false;
    } else if (hours) {
        whole *= MINUTES_PER_HOUR;
    }
    *minutes = negative ? -whole : whole;
    return true;
}

/* A balances.csv row into an opening balance. */
static void
balance_row(hb_cli_import_row_t *row, const char *const *f, const int col[COL_COUNT])
{
    char buf[HB_CSV_FIELD_BYTES_MAX + 1], msg[HB_CLI_TEXT_BYTES_MAX];
    hourbank__opening_balance__init(&row->opening);
    row->ref = strdup(field(f, col, COL_MEMBER, buf, sizeof buf));
    hb_assert(row->ref);
    if (hb_cli_parse_member_no(row->ref, row->number, msg, sizeof msg) == 0) {
        snprintf(row->request_id, sizeof row->request_id, HB_CLI_IMPORT_OPENING_PREFIX "%s", row->number);
    } else {  /* a ref of members.csv, imported here */
        row->number[0] = '\0';
        ref_check(row, "member", row->ref);
        snprintf(row->member_of, sizeof row->member_of, HB_CLI_IMPORT_MEMBER_PREFIX "%s", row->ref);
        snprintf(row->request_id, sizeof row->request_id, HB_CLI_IMPORT_OPENING_PREFIX "%s", row->ref);
    }
    bool hours = col[COL_HOURS] >= 0;
    const char *amount = field(f, col, hours ? COL_HOURS : COL_MINUTES, buf, sizeof buf);
    if (!amount_parse(amount, hours, &row->opening.minutes))
        hb_cli_import_refuse(row, hours ? _("hours %s: write hours as 12, 12.5 or 12:30 (signed)")
                                        : _("minutes %s: write minutes as 750 or as hours and minutes 12:30 (signed)"),
                             hb_cli_parse_quote(msg, sizeof msg, amount));
    else if (row->opening.minutes == 0 || row->opening.minutes > HB_OPENING_MINUTES_MAX ||
             row->opening.minutes < -HB_OPENING_MINUTES_MAX)
        hb_cli_import_refuse(row, _("an opening balance of %lld minutes: it must not be 0 and at most %lld either way"),
                             (long long) row->opening.minutes, (long long) HB_OPENING_MINUTES_MAX);
    char *source = strdup(col[COL_SOURCE] < 0 ? "" : f[col[COL_SOURCE]]);
    hb_assert(source);
    if (hb_cli_parse_chars(N_("source"), source, HB_NOTE_CHARS_MAX, false, true, msg, sizeof msg) != 0)
        hb_cli_import_refuse(row, "%s", msg);
    row->opening.source = source;
    row->opening.member_no = row->number;
    row->op.kind_case = HOURBANK__OP__KIND_OPENING;
    row->op.opening = &row->opening;
}

/* Points each row's op at its parts, once the array no longer moves. */
static void
rows_link(hb_cli_import_file_t *file)
{
    for (size_t i = 0; i < file->n; i++) {
        hb_cli_import_row_t *row = &file->rows[i];
        hourbank__op__init(&row->op);
        row->op.occurred_at = file->now;
        row->op.operator_ = (char *) (uintptr_t) file->operator_;
        if (file->members) {
            row->op.kind_case = HOURBANK__OP__KIND_REGISTER_MEMBER;
            row->op.register_member = &row->reg;
            row->reg.name = row->name;
            row->reg.member_no = (char *) (uintptr_t) "";  /* the station allocates it */
            row->reg.family_of = row->number;
        } else {
            row->op.kind_case = HOURBANK__OP__KIND_OPENING;
            row->op.opening = &row->opening;
            row->opening.member_no = row->number;
        }
    }
}

/* Each row not refused as the station's boundary will judge it (its
 * member, when the station fills it in, stood for by a valid number), so
 * that one row the checks above let through cannot refuse a whole part. */
static void
rows_validate(hb_cli_import_file_t *file)
{
    char placeholder[HB_MEMBER_NO_BUF_BYTES];
    hb_assert(hb_memberno_format(placeholder, sizeof placeholder, "AA", 1) == 0);
    for (size_t i = 0; i < file->n; i++) {
        hb_cli_import_row_t *row = &file->rows[i];
        if (row->why)
            continue;
        Hourbank__Op op = row->op;
        Hourbank__RegisterMember reg = row->reg;
        Hourbank__OpeningBalance opening = row->opening;
        if (file->members) {
            reg.family_of = row->member_of[0] ? placeholder : row->number;
            op.register_member = &reg;
        } else {
            opening.member_no = row->member_of[0] ? placeholder : row->number;
            op.opening = &opening;
        }
        hb_wire_error_t err;
        if (hb_wire_validate_op(&op, HB_WIRE_OP_IN_SAVE, &err) != 0)
            hb_cli_import_refuse(row, "%s", err.message);
    }
}

/* Refs (members) or members (balances) named twice; then each family_ref:
 * a ref of another row (whose number the station fills in), else a
 * member number. */
static void
rows_cross_check(hb_cli_import_file_t *file)
{
    hb_map_t *seen = hb_map_new(file->n + 1);
    for (size_t i = 0; i < file->n; i++) {
        hb_cli_import_row_t *row = &file->rows[i];
        if (!row->ref || !row->ref[0])
            continue;
        const char *key = !file->members && row->number[0] ? row->number : row->ref;
        hb_cli_import_row_t *first = hb_map_get(seen, key, strlen(key));
        if (first && file->members)
            hb_cli_import_refuse(row, _("ref %s is also on line %zu: each member has one ref"), row->ref, first->line);
        else if (first)
            hb_cli_import_refuse(row, _("member %s has a balance on line %zu too: one opening balance a member"),
                                 row->ref, first->line);
        else
            hb_map_put(seen, key, strlen(key), row);
    }
    for (size_t i = 0; file->members && i < file->n; i++) {
        hb_cli_import_row_t *row = &file->rows[i];
        if (!row->family)
            continue;
        hb_cli_import_row_t *other = hb_map_get(seen, row->family, strlen(row->family));
        char msg[HB_CLI_TEXT_BYTES_MAX];
        if (other == row) {
            hb_cli_import_refuse(row, _("family_ref %s is the row itself"), row->family);
        } else if (other) {
            row->family_row = (size_t) (other - file->rows) + 1;
            snprintf(row->member_of, sizeof row->member_of, HB_CLI_IMPORT_MEMBER_PREFIX "%s", other->ref);
        } else if (hb_cli_parse_member_no(row->family, row->number, msg, sizeof msg) != 0) {
            hb_cli_import_refuse(row, _("family_ref %s is neither a ref of this file nor a member number"),
                                 row->family);
        }
    }
    hb_map_destroy(&seen);
}

int
hb_cli_import_rows_read(hb_cli_t *cli, hb_csv_t *csv, hb_cli_import_file_t *file)
{
    const char *const *f = NULL;
    size_t n = 0, line = 0, cap = 0;
    char msg[HB_CLI_TEXT_BYTES_MAX];
    int col[COL_COUNT];
    hb_csv_status_t st = hb_csv_next(csv, &f, &n, &line, msg, sizeof msg);
    if (st == HB_CSV_END)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", _("the file is empty: it has no header"));
    if (st != HB_CSV_RECORD)
        return hb_cli_report_fail(cli, EX_DATAERR, _("line %zu: %s"), line, msg);
    int rc = header_read(cli, f, n, file->members, col);
    while (rc == 0 && (st = hb_csv_next(csv, &f, &n, &line, msg, sizeof msg)) != HB_CSV_END) {
        if (file->n == HB_IMPORT_ROWS_MAX)
            return hb_cli_report_fail(cli, EX_DATAERR, _("more than %d rows: split the file"), HB_IMPORT_ROWS_MAX);
        if (file->n == cap) {
            cap = cap ? cap * 2 : 1024;
            hb_cli_import_row_t *rows = realloc(file->rows, cap * sizeof *rows);
            if (!rows)
                return hb_cli_report_out_of_memory(cli);
            file->rows = rows;
        }
        hb_cli_import_row_t *row = &file->rows[file->n++];
        memset(row, 0, sizeof *row);
        row->line = line;
        if (st != HB_CSV_RECORD) {
            hb_cli_import_refuse(row, "%s", msg);
            if (st == HB_CSV_FATAL)
                break;
        } else if (file->members) {
            member_row(row, f, col);
        } else {
            balance_row(row, f, col);
        }
    }
    if (rc != 0)
        return rc;
    rows_link(file);
    rows_cross_check(file);
    rows_validate(file);
    return 0;
}

enum { UNPLACED, WALKING, PLACED, REFUSED };

/* Places the chain that rows[stack[0..depth)] walked up, from its top
 * down: a row whose family row is not placed (refused, or a loop) is
 * refused. */
static void
chain_place(hb_cli_import_file_t *file, const size_t *stack, size_t depth, unsigned char *state, size_t *order,
            size_t *count)
{
    for (size_t d = depth; d-- > 0;) {
        size_t k = stack[d];
        hb_cli_import_row_t *row = &file->rows[k];
        size_t parent = row->family_row;
        if (parent && state[parent - 1] == WALKING) {
            hb_cli_import_refuse(row, _("family_ref %s leads back to this row (a loop): give each link on one row"
                                        " only"), row->family);
            state[k] = REFUSED;
        } else if (parent && state[parent - 1] != PLACED) {
            hb_cli_import_refuse(row, _("family_ref %s names the row on line %zu, which is refused"), row->family,
                                 file->rows[parent - 1].line);
            state[k] = REFUSED;
        } else {
            order[(*count)++] = k;
            state[k] = PLACED;
        }
    }
}

size_t
hb_cli_import_rows_order(hb_cli_import_file_t *file, size_t *order)
{
    unsigned char *state = calloc(file->n + 1, 1);
    size_t *stack = malloc((file->n + 1) * sizeof *stack);
    hb_assert(state && stack);
    for (size_t i = 0; i < file->n; i++)
        state[i] = file->rows[i].why ? REFUSED : UNPLACED;
    size_t count = 0;
    for (size_t i = 0; i < file->n; i++) {
        size_t depth = 0;
        for (size_t j = i; state[j] == UNPLACED;) {
            state[j] = WALKING;
            stack[depth++] = j;
            if (!file->rows[j].family_row)
                break;
            j = file->rows[j].family_row - 1;
        }
        chain_place(file, stack, depth, state, order, &count);
    }
    free(stack);
    free(state);
    return count;
}

void
hb_cli_import_rows_free(hb_cli_import_file_t *file)
{
    for (size_t i = 0; i < file->n; i++) {
        hb_cli_import_row_t *row = &file->rows[i];
        free(row->why);
        free(row->ref);
        free(row->name);
        free(row->family);
        free(row->refusal);
        if (file->members) {
            free(row->reg.phone);
            free(row->reg.family_relation);
        } else {
            free(row->opening.source);
        }
    }
    free(file->rows);
    file->rows = NULL;
    file->n = 0;
}
