/* cli.h - what every module of the `hourbank` command-line tool shares:
 * the run's context and the tool's own bounds.
 *
 * The CLI is split by concern, prefix = file name:
 *   cli_main.c      main(): the context on stdout/stderr, then dispatch
 *   cli_dispatch.c  the command table, global options, `hourbank --help`
 *   cli_command.c   one command's options and operands: parsing and --help
 *   cli_parse.c     typed input: member numbers, durations, times, op refs
 *   cli_format.c    human output: durations, local times, op refs
 *   cli_zone.c      the district's time zone as TZ, for every date read and time printed
 *   cli_json.c      the JSON emitter behind --json
 *   cli_table.c     aligned text tables
 *   cli_utf8.c      UTF-8 validity and terminal width (wide CJK characters)
 *   cli_period.c    a member's entries over a period: days, query, words
 *   cli_statement.c, cli_passbook.c (+ _text.c, _html.c): statement, passbook
 *   cli_report.c    the one error line and the sysexits.h exit codes
 *   cli_result.c    a result's code and values as a sentence, with members' names
 *   cli_names.c     members' names from the station: "Name (NUMBER)"
 *   cli_confirm.c   what a save (or a dry run) says: the op in words, who pays, cautions
 *   cli_conn.c      one request, one reply over ZeroMQ (plain or CURVE)
 *   cli_target.c    which station or central to ask, from options and config
 *   cli_life.c, cli_leave.c: member amend, move and leave (issue 15)
 *   cli_member.c, cli_save.c, cli_balance.c, cli_queue.c, cli_lookup.c,
 *   cli_categories.c, cli_rules.c, cli_admin.c, cli_keygen.c: the commands
 */
#ifndef HB_CLI_H
#define HB_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hb_limits.h"

/* Bounds of the CLI. They describe this tool, not the protocol, so they
 * live here; the definitions in hb_limits.h win once they exist there. */
#ifndef HB_CLI_REPLY_TIMEOUT_MS
/* How long the CLI waits for a reply: a local save is one fsync and a
 * query one round trip to central; past this the peer is not there. */
#define HB_CLI_REPLY_TIMEOUT_MS 5000
#endif
/* HOURBANK_TIMEOUT_MS, the environment's reply timeout (milliseconds):
 * tests and slow PCs; below the minimum nothing local can answer. */
#define HB_CLI_TIMEOUT_ENV "HOURBANK_TIMEOUT_MS"
#ifndef HB_CLI_REPLY_TIMEOUT_MS_MIN
#define HB_CLI_REPLY_TIMEOUT_MS_MIN 100
#endif
#ifndef HB_CLI_REPLY_TIMEOUT_MS_MAX
#define HB_CLI_REPLY_TIMEOUT_MS_MAX 600000
#endif
#ifndef HB_CLI_SAVE_RESENDS
/* How often a save that got no reply is sent again (same request id)
 * before the CLI says it may have been saved: once covers a station that
 * was busy (a backup holding the outbox's lock, a slow disk) for up to
 * twice the timeout. */
#define HB_CLI_SAVE_RESENDS 1
#endif
#ifndef HB_CLI_REQUEST_ID_RANDOM_BYTES
/* Randomness in a save's request id, printed as twice as many hex digits. */
#define HB_CLI_REQUEST_ID_RANDOM_BYTES 16
#endif
#ifndef HB_CLI_ZONE_OFFSET_S_MAX
/* The farthest any time zone's clock is from UTC, in seconds (Kiribati,
 * UTC+14; the farthest behind is UTC-12): a wall-clock time read before
 * the district's zone is known means an instant within this of its fields
 * read as UTC. */
#define HB_CLI_ZONE_OFFSET_S_MAX (14 * 3600)
#endif
#ifndef HB_CLI_OPTS_MAX
/* Options of one command, the common ones included. */
#define HB_CLI_OPTS_MAX 16
#endif
#ifndef HB_CLI_REPEATS_MAX
/* Values of repeatable options one command takes in all (`member amend`:
 * every family link added and removed; `member leave`: every heir). */
#define HB_CLI_REPEATS_MAX (2 * HB_FAMILY_LINKS_MAX)
#endif
#ifndef HB_CLI_OPERANDS_MAX
/* Operands (words that are not options) of one command. */
#define HB_CLI_OPERANDS_MAX 4
#endif
#ifndef HB_CLI_JSON_DEPTH_MAX
/* Nesting of the JSON documents the CLI prints (object > array > object). */
#define HB_CLI_JSON_DEPTH_MAX 8
#endif
#ifndef HB_CLI_TABLE_COLUMNS_MAX
/* Columns of a printed table: the widest is `stations` (11). */
#define HB_CLI_TABLE_COLUMNS_MAX 11
#endif
#ifndef HB_CLI_TABLE_ROWS_MAX
/* Rows of a printed table: the longest list a reply carries. */
#define HB_CLI_TABLE_ROWS_MAX HB_STATIONS_MAX
#endif
#ifndef HB_CLI_TEXT_BYTES_MAX
/* Any one line the CLI formats (cells, messages, typed input echoed back). */
#define HB_CLI_TEXT_BYTES_MAX 1024
#endif
#ifndef HB_CLI_SUGGEST_EDITS_MAX
/* "did you mean": a known word is suggested for a mistyped one at most
 * this many edits away (a letter added, dropped, changed, or two swapped). */
#define HB_CLI_SUGGEST_EDITS_MAX 2
#endif
#ifndef HB_CLI_SUGGEST_BYTES_MAX
/* Longest word compared for "did you mean" (command and option names are
 * shorter; a longer typed word gets no suggestion). */
#define HB_CLI_SUGGEST_BYTES_MAX 32
#endif
#ifndef HB_CLI_PASSBOOK_ENTRIES_MAX
/* Entries one passbook prints (all pages of its period): ten years of a
 * volunteer serving every day, twice; a longer period is printed in parts
 * (--from/--until), and the CLI keeps them all in memory at once. */
#define HB_CLI_PASSBOOK_ENTRIES_MAX 8000
#endif
#ifndef HB_CLI_PASSBOOK_WIDTH_NARROW
/* Columns of a receipt printer's line: 58 mm paper prints 32, 80 mm 48. */
#define HB_CLI_PASSBOOK_WIDTH_NARROW 32
#define HB_CLI_PASSBOOK_WIDTH_WIDE 48
#endif
_Static_assert(HB_CLI_REPLY_TIMEOUT_MS >= HB_CLI_REPLY_TIMEOUT_MS_MIN &&
               HB_CLI_REPLY_TIMEOUT_MS <= HB_CLI_REPLY_TIMEOUT_MS_MAX, "the default timeout is a valid one");
_Static_assert(HB_CLI_REQUEST_ID_RANDOM_BYTES * 2 <= HB_REQUEST_ID_BYTES_MAX, "a request id fits SaveRequest");

/* Where the tool looks when no option names a file. */
#define HB_CLI_STATION_CONF_DEFAULT "/etc/hourbank/station.yaml"
#define HB_CLI_ADMIN_CONF_DEFAULT "/etc/hourbank/admin.yaml"

/* One run of the tool. Set up by main() (or a test), filled in by the
 * option parser, read by the commands. */
typedef struct {
    FILE *out;                 /* borrowed: results (text or one JSON document) */
    FILE *err;                 /* borrowed: the error line */
    const char *command;       /* the command being run, e.g. "member add" */
    bool json;                 /* --json */
    const char *station;       /* --station ENDPOINT; NULL = from station.yaml */
    const char *config_path;   /* -c FILE; NULL = HB_CLI_STATION_CONF_DEFAULT */
    const char *admin_path;    /* --admin FILE; NULL = HB_CLI_ADMIN_CONF_DEFAULT */
    int timeout_ms;            /* reply timeout */
    uint32_t station_id;       /* of the station asked, once known; 0 = unknown */
    char endpoint[HB_PATH_BYTES_MAX]; /* the station or central asked, once known; "" before */
    bool zone_noted;           /* said on err that this PC's zone is used (cli_zone.c): once a run */
    int target;                /* the command's hb_cli_target_t (cli_command.h), once known; 0 before */
    bool quiet;                /* failures are returned without the error line (a lookup that may fail) */
    struct hb_cli_names *names; /* members' names asked this run (cli_names.c); NULL before */
} hb_cli_t;

#endif
