/* cli_import.c - `hourbank import members FILE` and `hourbank import
 * balances FILE` (cli_import.h): the file read and checked, the rows sent
 * to the station in parts and stored there in one transaction, and the
 * report: every refused row with its line and reason, the counts, and for
 * members the list of refs and member numbers to print cards from. */
#include "cli_import.h"
#include "cli_json.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "cli_result.h"
#include "cli_save.h"
#include "cli_target.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define OUT_FILE_MODE 0600
/* Randomness in an import's id, printed as twice as many hex digits. */
#define IMPORT_ID_RANDOM_BYTES 16
/* What a row's encoding adds to a part besides its own bytes (tag, length). */
#define ROW_FRAMING_BYTES 8

/* ---- the file ---- */

/* Reads path whole into *data (caller frees). 0, or an exit code. */
static int
file_read(hb_cli_t *cli, const char *path, char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return hb_cli_report_fail(cli, EX_NOINPUT, _("could not open \"%s\": %s"), path, strerror(errno));
    char *buf = malloc(HB_CSV_FILE_BYTES_MAX + 1);
    if (!buf) {
        fclose(f);
        return hb_cli_report_out_of_memory(cli);
    }
    size_t n = fread(buf, 1, HB_CSV_FILE_BYTES_MAX + 1, f);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed || n > HB_CSV_FILE_BYTES_MAX) {
        free(buf);
        return failed ? hb_cli_report_fail(cli, EX_IOERR, _("could not read \"%s\""), path)
                      : hb_cli_report_fail(cli, EX_DATAERR, _("\"%s\" is larger than %d bytes: split the file"), path,
                                           HB_CSV_FILE_BYTES_MAX);
    }
    *data = buf;
    *size = n;
    return 0;
}

/* ---- the exchange with the station ---- */

typedef struct {
    char id[2 * IMPORT_ID_RANDOM_BYTES + 1];
    Hourbank__ImportRow *rows;      /* n_send, in the order sent */
    Hourbank__ImportRow **ptrs;
    Hourbank__SaveRequest *saves;
    const size_t *order;            /* sent row i is file row order[i] */
    size_t n_send;
    bool dry_run, skip_bad, confirm_new;
    /* the station's counts, from the commit's reply */
    uint32_t refused, repeated, added;
    bool stored;
} exchange_t;

/* Sends one request; 0 with *reply_out an ImportReply, or an exit code. */
static int
import_call(hb_cli_t *cli, Hourbank__ImportRequest *q, Hourbank__Envelope **reply_out)
{
    Hourbank__Envelope env;
    hb_wire_envelope_init(&env, 0);
    env.body_case = HOURBANK__ENVELOPE__BODY_IMPORT_REQUEST;
    env.import_request = q;
    int rc = hb_cli_target_station(cli, &env, reply_out);
    if (rc == 0)
        rc = hb_cli_target_expect(cli, *reply_out, HOURBANK__ENVELOPE__BODY_IMPORT_REPLY, _("the import"));
    if (rc != 0)
        hb_wire_free(reply_out);
    return rc;
}

/* The results of one reply into the file's rows; how many. */
static size_t
results_take(hb_cli_t *cli, hb_cli_import_file_t *file, const exchange_t *x, const Hourbank__ImportReply *r)
{
    for (size_t i = 0; i < r->n_results; i++) {
        const Hourbank__ImportResult *res = r->results[i];
        if (res->row >= x->n_send)
            continue;
        hb_cli_import_row_t *row = &file->rows[x->order[res->row]];
        row->result = (int) res->result;
        row->repeated = res->repeated;
        row->seq = res->seq;
        snprintf(row->member_no, sizeof row->member_no, "%s", res->member_no);
        if (res->result == HOURBANK__RESULT__OK)
            continue;
        char text[HB_CLI_TEXT_BYTES_MAX];
        if (res->result == HOURBANK__RESULT__UNKNOWN_MEMBER && res->n_params == 0 && row->member_of[0])
            snprintf(text, sizeof text, file->members ? _("family_ref %s was not registered at this station")
                                                      : _("member %s was not imported at this station: import the "
                                                          "members file first, or give the member number"),
                     file->members ? row->family : row->ref);
        else
            hb_cli_result_render(text, sizeof text, (int) res->result, res->params, res->n_params, res->message, NULL,
                                 NULL);
        free(row->refusal);
        row->refusal = strdup(text);
        hb_assert(row->refusal);
    }
    (void) cli;
    return r->n_results;
}

/* The rows in parts, the last with the commit; then the pages of results. */
static int
exchange_run(hb_cli_t *cli, hb_cli_import_file_t *file, exchange_t *x)
{
    Hourbank__ImportRequest q;
    Hourbank__Envelope *reply = NULL;
    size_t sent = 0;
    int rc = 0;
    do {
        hourbank__import_request__init(&q);
        q.import_id = x->id;
        q.first_row = (uint32_t) sent;
        q.rows = x->ptrs + sent;
        size_t bytes = 0;
        while (sent + q.n_rows < x->n_send && q.n_rows < HB_IMPORT_PART_ROWS_MAX) {
            size_t one = hourbank__import_row__get_packed_size(x->ptrs[sent + q.n_rows]) + ROW_FRAMING_BYTES;
            if (q.n_rows > 0 && bytes + one > HB_IMPORT_PART_BYTES_MAX)
                break;
            bytes += one;
            q.n_rows++;
        }
        sent += q.n_rows;
        q.commit = sent == x->n_send;
        q.dry_run = q.commit && x->dry_run;
        q.skip_bad = q.commit && x->skip_bad;
        q.confirm_new = q.commit && x->confirm_new;
        int timeout = cli->timeout_ms;
        if (q.commit && cli->timeout_ms < HB_CLI_IMPORT_TIMEOUT_MS)
            cli->timeout_ms = HB_CLI_IMPORT_TIMEOUT_MS;
        rc = import_call(cli, &q, &reply);
        cli->timeout_ms = timeout;
        if (rc == 0 && q.commit) {
            x->refused = reply->import_reply->refused;
            x->repeated = reply->import_reply->repeated;
            x->added = reply->import_reply->added;
            x->stored = reply->import_reply->stored;
        }
        bool committed = rc == 0 && q.commit;
        size_t got = committed ? results_take(cli, file, x, reply->import_reply) : 0;
        hb_wire_free(&reply);
        while (committed && rc == 0 && got < x->n_send) {
            hourbank__import_request__init(&q);
            q.import_id = x->id;
            q.results_from = (uint32_t) got;
            rc = import_call(cli, &q, &reply);
            size_t more = rc == 0 ? results_take(cli, file, x, reply->import_reply) : 0;
            hb_wire_free(&reply);
            if (rc == 0 && more == 0)
                rc = hb_cli_report_fail(cli, EX_PROTOCOL, _("the station gave no results from row %zu on"), got);
            got += more;
        }
    } while (rc == 0 && sent < x->n_send);
    return rc;
}

/* Builds the requests' rows (in the order sent) and runs the exchange. */
static int
exchange(hb_cli_t *cli, hb_cli_import_file_t *file, const size_t *order, size_t n_send, exchange_t *x)
{
    unsigned char raw[IMPORT_ID_RANDOM_BYTES];
    hb_assert(sodium_init() >= 0);
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(x->id, sizeof x->id, raw, sizeof raw);
    x->order = order;
    x->n_send = n_send;
    x->rows = calloc(n_send + 1, sizeof *x->rows);
    x->ptrs = calloc(n_send + 1, sizeof *x->ptrs);
    x->saves = calloc(n_send + 1, sizeof *x->saves);
    if (!x->rows || !x->ptrs || !x->saves) {
        free(x->rows), free(x->ptrs), free(x->saves);
        return hb_cli_report_out_of_memory(cli);
    }
    for (size_t i = 0; i < n_send; i++) {
        hb_cli_import_row_t *row = &file->rows[order[i]];
        hourbank__save_request__init(&x->saves[i]);
        x->saves[i].op = &row->op;
        x->saves[i].request_id = row->request_id;
        hourbank__import_row__init(&x->rows[i]);
        x->rows[i].save = &x->saves[i];
        x->rows[i].member_of = row->member_of;
        x->ptrs[i] = &x->rows[i];
    }
    int rc = exchange_run(cli, file, x);
    free(x->rows), free(x->ptrs), free(x->saves);
    return rc;
}

/* ---- the report ---- */

/* One CSV field, quoted when it must be (RFC 4180). */
static void
csv_field(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static bool
numbered(const hb_cli_import_row_t *row)
{
    return !row->why && row->result == HOURBANK__RESULT__OK && row->member_no[0];
}

/* The refs and their member numbers, as CSV. */
static void
numbers_write(FILE *out, const hb_cli_import_file_t *file)
{
    fputs("ref,member_no,name\n", out);
    for (size_t i = 0; i < file->n; i++) {
        const hb_cli_import_row_t *row = &file->rows[i];
        if (!numbered(row))
            continue;
        csv_field(out, row->ref);
        fprintf(out, ",%s,", row->member_no);
        csv_field(out, row->name);
        fputc('\n', out);
    }
}

static int
numbers_to_file(hb_cli_t *cli, const char *path, const hb_cli_import_file_t *file)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, OUT_FILE_MODE);
    if (fd < 0)
        return hb_cli_report_fail(cli, EX_CANTCREAT, _("could not write \"%s\": %s"), path, strerror(errno));
    fchmod(fd, OUT_FILE_MODE);  /* an existing file too */
    FILE *out = fdopen(fd, "w");
    if (!out) {
        close(fd);
        return hb_cli_report_fail(cli, EX_CANTCREAT, _("could not write \"%s\": %s"), path, strerror(errno));
    }
    numbers_write(out, file);
    if (fclose(out) != 0)
        return hb_cli_report_fail(cli, EX_IOERR, _("could not write \"%s\": %s"), path, strerror(errno));
    return 0;
}

static const char *
row_reason(const hb_cli_import_row_t *row)
{
    return row->why ? row->why : row->refusal;
}

static void
report_json(hb_cli_t *cli, const hb_cli_import_file_t *file, const exchange_t *x, size_t refused, bool numbers)
{
    hb_cli_json_t j;
    hb_cli_json_init(&j, cli->out);
    hb_cli_json_object_begin(&j);
    hb_cli_json_kv_string(&j, "kind", file->members ? "members" : "balances");
    hb_cli_json_kv_bool(&j, "dry_run", x->dry_run);
    hb_cli_json_kv_bool(&j, "stored", x->stored);
    hb_cli_json_kv_uint(&j, "rows", file->n);
    hb_cli_json_kv_uint(&j, x->stored ? "imported" : "would_import", x->added);
    hb_cli_json_kv_uint(&j, "already_imported", x->repeated);
    hb_cli_json_kv_uint(&j, "refused_count", refused);
    hb_cli_json_key(&j, "refused");
    hb_cli_json_array_begin(&j);
    for (size_t i = 0; i < file->n; i++) {
        if (!row_reason(&file->rows[i]))
            continue;
        hb_cli_json_object_begin(&j);
        hb_cli_json_kv_uint(&j, "line", file->rows[i].line);
        hb_cli_json_kv_string(&j, "reason", row_reason(&file->rows[i]));
        hb_cli_json_object_end(&j);
    }
    hb_cli_json_array_end(&j);
    hb_cli_json_key(&j, "members");
    hb_cli_json_array_begin(&j);
    for (size_t i = 0; numbers && i < file->n; i++) {
        if (!numbered(&file->rows[i]))
            continue;
        hb_cli_json_object_begin(&j);
        hb_cli_json_kv_string(&j, "ref", file->rows[i].ref);
        hb_cli_json_kv_string(&j, "member_no", file->rows[i].member_no);
        hb_cli_json_object_end(&j);
    }
    hb_cli_json_array_end(&j);
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

/* Every refused row, the numbers (members), then the counts. Returns the
 * exit code. */
static int
report(hb_cli_t *cli, const char *path, const char *out_path, const hb_cli_import_file_t *file, const exchange_t *x)
{
    size_t refused = 0;
    for (size_t i = 0; i < file->n; i++)
        refused += row_reason(&file->rows[i]) != NULL;
    bool numbers = file->members && (x->stored || x->repeated > 0) && !x->dry_run;
    int rc = numbers && out_path ? numbers_to_file(cli, out_path, file) : 0;
    if (cli->json) {
        report_json(cli, file, x, refused, numbers);
    } else {
        for (size_t i = 0; i < file->n; i++)
            if (row_reason(&file->rows[i]))
                fprintf(cli->out, _("line %zu: %s\n"), file->rows[i].line, row_reason(&file->rows[i]));
        if (numbers && !out_path)
            numbers_write(cli->out, file);
        if (x->dry_run)
            fprintf(cli->out, _("%s: %zu rows read: %u would be imported, %u already imported, %zu refused;"
                                " nothing was stored (dry run)\n"), path, file->n, x->added, x->repeated, refused);
        else if (refused > 0 && !x->skip_bad)
            fprintf(cli->out, _("%s: %zu rows read, %zu refused: nothing was stored (correct those rows, or import"
                                " the others with --skip-bad)\n"), path, file->n, refused);
        else
            fprintf(cli->out, _("%s: %zu rows read: %u imported, %u already imported, %zu refused\n"), path, file->n,
                    x->stored ? x->added : 0, x->repeated, refused);
        if (numbers && out_path)
            fprintf(cli->out, _("member numbers written to %s\n"), out_path);
    }
    if (rc != 0)
        return rc;
    return refused > 0 && !(x->skip_bad && !x->dry_run) ? EX_DATAERR : 0;
}

/* ---- the commands ---- */

static int
run_import(hb_cli_t *cli, const hb_cli_args_t *args, bool members)
{
    Hourbank__Op who;
    hourbank__op__init(&who);
    int rc = hb_cli_save_take_operator(cli, args, &who);
    if (rc != 0)
        return rc;
    const char *path = args->operands[0];
    char *data = NULL;
    size_t size = 0;
    rc = file_read(cli, path, &data, &size);
    if (rc != 0)
        return rc;
    hb_cli_import_file_t file = {.members = members, .now = (int64_t) time(NULL), .operator_ = who.operator_};
    hb_csv_t *csv = hb_csv_new(data, size);
    rc = hb_cli_import_rows_read(cli, csv, &file);
    hb_csv_destroy(&csv);
    size_t *order = calloc(file.n + 1, sizeof *order);
    if (rc == 0 && !order)
        rc = hb_cli_report_out_of_memory(cli);
    if (rc == 0) {
        size_t n_send = hb_cli_import_rows_order(&file, order);
        bool bad_here = n_send < file.n;
        exchange_t x = {.skip_bad = hb_cli_command_flag(args, "skip-bad"),
                        .confirm_new = members && hb_cli_command_flag(args, "confirm-new")};
        /* rows refused here and no --skip-bad: the station only checks the rest, so every bad row is told */
        x.dry_run = hb_cli_command_flag(args, "dry-run") || (bad_here && !x.skip_bad);
        rc = exchange(cli, &file, order, n_send, &x);
        x.dry_run = hb_cli_command_flag(args, "dry-run");
        if (rc == 0)
            rc = report(cli, path, members ? hb_cli_command_value(args, "out") : NULL, &file, &x);
    }
    free(order);
    hb_cli_import_rows_free(&file);
    free(data);
    return rc;
}

static int
run_members(hb_cli_t *cli, const hb_cli_args_t *args)
{
    return run_import(cli, args, true);
}

static int
run_balances(hb_cli_t *cli, const hb_cli_args_t *args)
{
    return run_import(cli, args, false);
}

#define IMPORT_DRY_RUN_OPT \
    {"dry-run", 0, NULL, false, N_("check every row and list those that would be refused; store nothing")}
#define IMPORT_SKIP_BAD_OPT \
    {"skip-bad", 0, NULL, false, N_("store the good rows even when some are refused (those are listed)")}

static const hb_cli_opt_t members_opts[] = {
    IMPORT_DRY_RUN_OPT,
    IMPORT_SKIP_BAD_OPT,
    {"confirm-new", 0, NULL, false, N_("register members whose name and birth year are already in the community")},
    {"out", 0, N_("FILE"), false, N_("write the refs and their member numbers to FILE (CSV, mode 0600)")},
    HB_CLI_SAVE_OPERATOR_OPT,
    {NULL, 0, NULL, false, NULL},
};

static const hb_cli_opt_t balances_opts[] = {
    IMPORT_DRY_RUN_OPT,
    IMPORT_SKIP_BAD_OPT,
    HB_CLI_SAVE_OPERATOR_OPT,
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_import_members = {
    .name = "import members",
    .operands = N_("FILE.csv"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("register the members of a pilot's records (CSV) at this station"),
    .description = N_("Reads a UTF-8 CSV file with a header row; columns by name, in any order: ref (the\n"
                      "pilot's own id, unique in the file), name and role (volunteer, elder or both; 志愿者,\n"
                      "老人, 两者) are required; birth_year, phone, family_ref (the ref of another row, or a\n"
                      "member number) and relation are optional. Every row is checked first; if any is\n"
                      "refused nothing is stored and the refused rows are listed with their line numbers,\n"
                      "unless --skip-bad. The rows are stored in one transaction: all or nothing. Running\n"
                      "the same file again stores nothing new (the rows are already imported). Prints the\n"
                      "refs with their new member numbers as CSV (or writes them to --out FILE)."),
    .target = HB_CLI_TARGET_STATION,
    .opts = members_opts,
    .run = run_members,
};

const hb_cli_command_t hb_cli_import_balances = {
    .name = "import balances",
    .operands = N_("FILE.csv"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("post opening balances from a pilot's records (CSV) at this station"),
    .description = N_("Reads a UTF-8 CSV file with a header row; columns by name: member (a member number,\n"
                      "or a ref imported with hourbank import members at this station), minutes or hours\n"
                      "(750, 12:30 or, for hours, 12.5; negative for a debt), and source (optional, e.g.\n"
                      "\"passbook p. 14\"). Each row posts an opening balance, which central keeps apart from\n"
                      "hours served; a member has one. Checked, stored and rerun as hourbank import members."),
    .target = HB_CLI_TARGET_STATION,
    .opts = balances_opts,
    .run = run_balances,
};
