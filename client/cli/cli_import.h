/* cli_import.h - `hourbank import members FILE` and `hourbank import
 * balances FILE`: a pilot's own records (UTF-8 CSV with a header, RFC
 * 4180) brought in at a station as registrations and opening balances.
 *
 * Every row is checked here first (columns, field syntax, refs and
 * duplicates within the file), then the rows that pass go to the station
 * in parts and are checked and stored there in ONE outbox transaction
 * (ImportRequest, PROTOCOL.md "Local API", "Import"): all of them, or with
 * --skip-bad the good ones, or none (--dry-run, or a refused row without
 * --skip-bad). Each row carries a request id made from the file's kind and
 * its ref or member ("import:member:R17", "import:opening:QX03-000127-6"),
 * so a rerun of the same file stores nothing again and reports the rows
 * as already imported; a balance's member may be a ref imported at this
 * station, which the station resolves from that request id.
 *
 * Split by concern: cli_import.c (the commands, the file, the exchange with
 * the station, the report), cli_import_rows.c (the two files' columns and
 * rows). What they share is below; not an API for other commands. */
#ifndef HB_CLI_IMPORT_H
#define HB_CLI_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "cli_command.h"
#include "hb_csv.h"
#include "hb_memberno.h"
#include "hourbank.pb-c.h"

extern const hb_cli_command_t hb_cli_import_members;
extern const hb_cli_command_t hb_cli_import_balances;

#ifndef HB_CLI_IMPORT_TIMEOUT_MS
/* How long the CLI waits for the station to check and store a whole
 * import (thousands of rows in one transaction) when its own reply
 * timeout is shorter. */
#define HB_CLI_IMPORT_TIMEOUT_MS 120000
#endif
#define HB_CLI_IMPORT_MEMBER_PREFIX "import:member:"
#define HB_CLI_IMPORT_OPENING_PREFIX "import:opening:"

/* One row of a file. Strings owned by the row unless said. */
typedef struct {
    size_t line;                   /* where it starts in the file */
    char *why;                     /* refused here: the reason in the operator's language; NULL = not */
    char *ref;                     /* members: its ref; balances: its member as written */
    char *name;                    /* members: for the printed list of numbers */
    char *family;                  /* members: family_ref as written; NULL = none */
    size_t family_row;             /* members: 1 + the index of the row family_ref names; 0 = none */
    Hourbank__Op op;
    Hourbank__RegisterMember reg;
    Hourbank__OpeningBalance opening;
    char number[HB_MEMBER_NO_BUF_BYTES];  /* a registration's family_of, an opening's member_no */
    char request_id[HB_REQUEST_ID_BYTES_MAX + 1];
    char member_of[HB_REQUEST_ID_BYTES_MAX + 1];  /* "" or the request id that gives the member */
    /* the station's answer (result 0: not sent) */
    int result;
    bool repeated;
    uint64_t seq;
    char member_no[HB_MEMBER_NO_BUF_BYTES];
    char *refusal;                 /* the station's refusal in words; NULL = none */
} hb_cli_import_row_t;

typedef struct {
    bool members;                  /* members.csv, else balances.csv */
    hb_cli_import_row_t *rows;
    size_t n;
    int64_t now;                   /* every op's occurred_at */
    const char *operator_;         /* borrowed: --operator, "" = the station's default */
} hb_cli_import_file_t;

/* Reads the header and every row of csv into file (cli_import_rows.c):
 * each row parsed into its op, or refused with its reason; then the
 * checks across rows (duplicate refs or members, family_ref). Returns 0,
 * or an exit code after reporting (a header that cannot be used, too many
 * rows, no memory). */
int hb_cli_import_rows_read(hb_cli_t *cli, hb_csv_t *csv, hb_cli_import_file_t *file);
/* The order rows are sent in: every row after the row its family_ref
 * names; rows refused here left out. Fills order (file->n entries) and
 * returns how many; a row in a loop of family_refs is refused. */
size_t hb_cli_import_rows_order(hb_cli_import_file_t *file, size_t *order);
/* Frees the rows' strings and the array. */
void hb_cli_import_rows_free(hb_cli_import_file_t *file);
/* Sets row->why from a format (translated by the caller). */
void hb_cli_import_refuse(hb_cli_import_row_t *row, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
