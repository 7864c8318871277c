/* hb_browser.h - helpers for the console's browser tests (label "browser"):
 * a real hourbank-console beside a harness station, operators with PINs
 * added by the real CLI, and a Python Selenium script from tests/browser/
 * run in phases: the script asks the C side for things between its phases
 * (stop central, start it again, note an op it saved) on a line protocol.
 * Test code only. Include after hb_harness.h (or hb_itest.h): that header
 * is not guarded whole against a second inclusion. */
#ifndef HB_BROWSER_H
#define HB_BROWSER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A request line of the script is "@@ WORDS\n" on its standard output; the
 * C side answers with one line on the script's standard input. */
#define HB_B_REQUEST_PREFIX "@@ "
#define HB_B_LINE_BYTES 4096

/* A real hourbank-console serving the station's station.yaml. */
typedef struct {
    char conf[640];   /* the station's station.yaml, the console keys appended */
    char log[700];    /* the console's stdout and stderr */
    char base[64];    /* "http://127.0.0.1:PORT" */
    int port;
    pid_t pid;
} hb_b_console_t;

/* Picks a free loopback port and appends the console keys to s's
 * station.yaml: console_listen on that port, then extra_yaml as it is
 * (whole lines: language, console_session_idle, ...; NULL for none).
 * Call after hb_h_station_init, before the station and console start. */
void hb_b_console_init(hb_b_console_t *con, const hb_h_station_t *s, const char *extra_yaml);
/* As hb_b_console_init, for a second console on the same station with
 * other console keys: a copy of s's station.yaml named yaml_name in the
 * same folder (the relative paths still hold). Call before
 * hb_b_console_init, whose keys the copy would otherwise repeat. */
void hb_b_console_init_as(hb_b_console_t *con, const hb_h_station_t *s, const char *yaml_name,
                          const char *extra_yaml);
/* Starts `hourbank-console -c station.yaml` and waits until its port
 * accepts a connection; fails the test when it exits or never listens. */
void hb_b_console_start(hb_b_console_t *con);
/* Sends sig and reaps it; the wait status. */
int hb_b_console_stop(hb_b_console_t *con, int sig);

/* `hourbank operator add NAME --pin [extra...] -c station.yaml` with the
 * PIN typed as a line of standard input. extra: NULL-ended further
 * arguments (NULL for none). Returns the exit code; err receives stderr. */
int hb_b_operator_add(const hb_h_station_t *s, const char *name, const char *pin, const char *const extra[],
                      char *err, size_t err_size);

/* What the C side does for one request (its words after the prefix, the
 * newline gone): writes the one-line answer into reply ("ok" or "error:
 * why") and returns false when the request failed (the script then fails
 * too). Must not fail the test itself: the script is still running. */
typedef bool (*hb_b_request_fn)(const char *request, char *reply, size_t reply_size, void *user);

/* The script's exit status when it ran through but some page had text cut
 * or overflowing, or an untranslated word (hbconsole.py PROBLEMS_EXIT): the
 * driver still checks what was saved, then fails. */
#define HB_B_SCRIPT_PROBLEMS 3

/* Runs `python3 tests/browser/SCRIPT ARGS...` (HB_PYTHON, else
 * /usr/bin/python3) with HB_SOURCE_DIR and HB_BUILD_DIR in its
 * environment, answering its requests with fn; every other line of its
 * output is copied to ours. Returns its exit code (128 + signal), or -1
 * when a request failed. */
int hb_b_script(const char *script, const char *const args[], hb_b_request_fn fn, void *user);

/* The database check after a day: every op the script said it saved is at
 * central exactly once, as it said it (kind, operator, minutes, accepted),
 * with its one transfer (a void: its target's transfer reversed once);
 * every member it registered is there, registered once by its operator;
 * central holds no other op of the station; the balances are as said. */
typedef struct {
    unsigned station;
    unsigned long long seq;         /* 0: a registration known by its member */
    char kind[16];                  /* register, service, gift, donation, void */
    char operator[64];
    char member[64];                /* a registration's member number */
    long long minutes;              /* -1: not checked */
    unsigned long long target_seq;  /* a void's target (same station) */
} hb_b_saved_t;

typedef struct {
    char member[64];
    long long minutes;
} hb_b_balance_t;

#define HB_B_SAVED_MAX 64
typedef struct {
    hb_b_saved_t op[HB_B_SAVED_MAX];
    size_t n;
    hb_b_balance_t balance[HB_B_SAVED_MAX];
    size_t balances;
} hb_b_day_t;

/* Notes one request of the script for the check:
 *   saved REF KIND OPERATOR MINUTES|- [TARGET_REF]
 *   registered MEMBER_NO OPERATOR
 *   balance MEMBER_NO MINUTES       (central's balance once all is synced)
 * false with reply set when it does not parse or the list is full. */
bool hb_b_day_note(hb_b_day_t *day, const char *request, char *reply, size_t reply_size);
/* Asserts the check above on central's database; prints each op checked. */
void hb_b_day_check(const hb_b_day_t *day, PGconn *pg, unsigned station);

#endif
