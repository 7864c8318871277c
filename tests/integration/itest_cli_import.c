/* Bringing in the books (issue 15): the real `hourbank import members`
 * and `hourbank import balances` against a real hourbank-central
 * (PostgreSQL) and a real hourbank-station.
 *
 * 5,000 members and 5,000 opening balances with exactly 3 bad rows (a
 * birth year out of range, an unknown family_ref, a balance for a ref never
 * imported): the dry runs list exactly those lines and store nothing; an
 * import without --skip-bad stores nothing; with --skip-bad the rest is
 * stored (one transaction at the station), reaches central once (ops of
 * kind register and opening with result OK, the sum of opening minutes),
 * family_refs to earlier and later rows resolve to the right numbers; a
 * rerun posts nothing (the station's last seq and central's counts stay).
 * Also: CSV and header mistakes with their line numbers, duplicate refs, a
 * loop of family_refs, roles in Chinese, amounts as H:MM, the report in
 * Chinese, and an opening balance a second time. */
#include "itest_cli_run.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#define ROWS 5000
#define BAD_YEAR_ROW 1234      /* birth_year 1850 */
#define BAD_FAMILY_ROW 3456    /* family_ref NOPE-REF */
#define FAMILY_EVERY 10        /* row i % 10 == 1 names the row before it; == 5 the row after it */
#define NUMBERS_BYTES (512 * 1024)

static int
setup(void **state)
{
    (void) state;
    cli_start("hb_itest_cli_import", NULL, false);
    return 0;
}

static int64_t
central_int(const char *sql)
{
    PGconn *pg = hb_h_pg(central.conninfo);
    int64_t v = hb_h_pg_int(pg, sql);
    PQfinish(pg);
    return v;
}

static int64_t
station_int(const char *sql)
{
    return hb_h_sqlite_int(station.outbox, sql);
}

static bool
bad_member(int i)
{
    return i == BAD_YEAR_ROW || i == BAD_FAMILY_ROW;
}

/* Whether row i names another row as family (never a bad one). */
static int
family_of(int i)
{
    if (i % FAMILY_EVERY == 1 && !bad_member(i - 1))
        return i - 1;
    if (i % FAMILY_EVERY == 5 && i + 1 < ROWS && !bad_member(i + 1))
        return i + 1;
    return -1;
}

static const char *const roles[] = {"volunteer", "elder", "both", "\xE5\xBF\x97\xE6\x84\xBF\xE8\x80\x85"};

/* members.csv (BOM, CRLF, columns in another order, names with commas in
 * quotes); row i is on line i + 2. */
static void
members_write(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("\xEF\xBB\xBFname,ref,role,birth_year,phone,family_ref,relation\r\n", f);
    for (int i = 0; i < ROWS; i++) {
        char family[32] = "", relation[16] = "";
        int other = family_of(i);
        if (other >= 0) {
            snprintf(family, sizeof family, "P%05d", other);
            snprintf(relation, sizeof relation, "daughter");
        }
        if (i == 7)
            snprintf(family, sizeof family, "%s", vol);  /* a member number already known */
        if (i == BAD_FAMILY_ROW)
            snprintf(family, sizeof family, "NOPE-REF");
        fprintf(f, "\"Liu, Member %d\",P%05d,%s,%d,%s,%s,%s\r\n", i, i, roles[i % 4],
                i == BAD_YEAR_ROW ? 1850 : 1930 + i % 60, i % 3 ? "138 0000 0000" : "", family, relation);
    }
    fclose(f);
}

/* balances.csv: every good member by ref, vol by number, and NOPE99 (a ref
 * never imported); sources of every 100th row span two lines. Returns the
 * line of NOPE99's row and the sum of the good rows' minutes. */
static int
balances_write(const char *path, int64_t *sum)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("member,minutes,source\n", f);
    int line = 2, bad_line = 0;
    *sum = 0;
    for (int i = 0; i < ROWS; i++) {
        int64_t minutes = 60 + i % 500;
        if (i == BAD_YEAR_ROW) {
            fprintf(f, "%s,90,registered by hand\n", vol);
            *sum += 90;
        } else if (i == BAD_FAMILY_ROW) {
            bad_line = line;
            fprintf(f, "NOPE99,60,nobody\n");
        } else if (i % 100 == 0) {
            fprintf(f, "P%05d,%lld:%02lld,\"passbook\np. %d\"\n", i, (long long) (minutes / 60),
                    (long long) (minutes % 60), i);
            *sum += minutes;
            line++;
        } else {
            fprintf(f, "P%05d,%lld,passbook p. %d\n", i, (long long) minutes, i);
            *sum += minutes;
        }
        line++;
    }
    fclose(f);
    return bad_line;
}

static int
lines_starting(const char *text, const char *prefix)
{
    int n = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, strlen(prefix)) == 0;
    return n;
}

/* The member number numbers.csv gives ref. */
static void
number_of(const char *numbers, const char *ref, char out[32])
{
    char needle[64];
    snprintf(needle, sizeof needle, "\n%s,", ref);
    const char *p = strstr(numbers, needle);
    if (!p)
        fail_msg("no %s in the numbers", ref);
    p += strlen(needle);
    size_t n = strcspn(p, ",");
    assert_true(n < 32);
    memcpy(out, p, n);
    out[n] = '\0';
}

static void
expect_fail(int code)
{
    if (g_rc != code)
        fail_msg("exit %d, expected %d\nstdout: %.2000s\nstderr: %s", g_rc, code, g_out, g_err);
}

static void
members_steps(const char *members, const char *numbers_path, int64_t seq0)
{
    char want[128];
    /* the dry run: exactly the two bad lines, nothing stored */
    S("import", "members", members, "--dry-run");
    expect_fail(EX_DATAERR);
    assert_int_equal(lines_starting(g_out, "line "), 2);
    snprintf(want, sizeof want, "line %d: birth year 1850 is out of range", BAD_YEAR_ROW + 2);
    has(g_out, want);
    snprintf(want, sizeof want, "line %d: family_ref NOPE-REF is neither", BAD_FAMILY_ROW + 2);
    has(g_out, want);
    has(g_out, "5000 rows read: 4998 would be imported, 0 already imported, 2 refused; nothing was stored (dry run)");
    assert_int_equal(station_int("SELECT max(seq) FROM ops"), seq0);
    /* without --skip-bad: nothing stored */
    S("import", "members", members);
    expect_fail(EX_DATAERR);
    assert_int_equal(lines_starting(g_out, "line "), 2);
    has(g_out, "5000 rows read, 2 refused: nothing was stored");
    assert_int_equal(station_int("SELECT max(seq) FROM ops"), seq0);
    assert_int_equal(station_int("SELECT count(*) FROM ops"), seq0);
    /* with --skip-bad: the rest, in one go */
    S("import", "members", members, "--skip-bad", "--out", numbers_path);
    expect_ok();
    has(g_out, "5000 rows read: 4998 imported, 0 already imported, 2 refused");
    assert_int_equal(station_int("SELECT count(*) FROM ops WHERE kind = 'register'"), seq0 + ROWS - 2);
    struct stat st;
    assert_int_equal(stat(numbers_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void
balances_steps(const char *balances, int bad_line, int64_t seq1)
{
    char want[160];
    S("import", "balances", balances, "--dry-run");
    expect_fail(EX_DATAERR);
    assert_int_equal(lines_starting(g_out, "line "), 1);
    snprintf(want, sizeof want, "line %d: member NOPE99 was not imported at this station", bad_line);
    has(g_out, want);
    has(g_out, "5000 rows read: 4999 would be imported, 0 already imported, 1 refused");
    S("import", "balances", balances);
    expect_fail(EX_DATAERR);
    has(g_out, want);
    assert_int_equal(station_int("SELECT max(seq) FROM ops"), seq1);
    S("import", "balances", balances, "--skip-bad");
    expect_ok();
    has(g_out, "5000 rows read: 4999 imported, 0 already imported, 1 refused");
    assert_int_equal(station_int("SELECT count(*) FROM ops WHERE kind = 'opening'"), ROWS - 1);
}

/* Central holds what was imported, exactly once. */
static void
central_holds(int64_t sum, const char *numbers)
{
    assert_int_equal(central_int("SELECT count(*) FROM op WHERE kind = 'register' AND result = 1"), 2 + ROWS - 2);
    assert_int_equal(central_int("SELECT count(*) FROM op WHERE kind = 'opening' AND result = 1"), ROWS - 1);
    assert_int_equal(central_int("SELECT count(*) FROM op WHERE result <> 1"), 0);
    assert_int_equal(central_int("SELECT coalesce(sum(minutes), 0) FROM transfer WHERE kind = 'opening'"), sum);
    /* family_refs to the row before and the row after, and to a number */
    char a[32], b[32], sql[256];
    number_of(numbers, "P00011", a);
    number_of(numbers, "P00010", b);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM family_link WHERE member_no = '%s' AND relative = '%s'"
             " AND relation = 'daughter'", a, b);
    assert_int_equal(central_int(sql), 1);
    number_of(numbers, "P00015", a);
    number_of(numbers, "P00016", b);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM family_link WHERE member_no = '%s' AND relative = '%s'", a, b);
    assert_int_equal(central_int(sql), 1);
    number_of(numbers, "P00007", a);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM family_link WHERE member_no = '%s' AND relative = '%s'", a, vol);
    assert_int_equal(central_int(sql), 1);
}

static void
test_import_5000(void **state)
{
    (void) state;
    char members[600], balances[600], numbers_path[600];
    snprintf(members, sizeof members, "%s/members.csv", run_dir);
    snprintf(balances, sizeof balances, "%s/balances.csv", run_dir);
    snprintf(numbers_path, sizeof numbers_path, "%s/numbers.csv", run_dir);
    members_write(members);
    int64_t sum = 0;
    int bad_line = balances_write(balances, &sum);
    setenv("HOURBANK_TIMEOUT_MS", "60000", 1);
    int64_t seq0 = station_int("SELECT max(seq) FROM ops");
    members_steps(members, numbers_path, seq0);
    int64_t seq1 = station_int("SELECT max(seq) FROM ops");
    assert_int_equal(seq1, seq0 + ROWS - 2);
    balances_steps(balances, bad_line, seq1);
    int64_t seq2 = station_int("SELECT max(seq) FROM ops");
    assert_int_equal(seq2, seq1 + ROWS - 1);
    wait_drained();
    static char numbers[NUMBERS_BYTES];
    hb_h_read_file(numbers_path, numbers, sizeof numbers);
    assert_int_equal(lines_starting(numbers, "P"), ROWS - 2);
    central_holds(sum, numbers);
    /* a rerun posts nothing */
    S("import", "members", members, "--skip-bad", "--out", numbers_path);
    expect_ok();
    has(g_out, "5000 rows read: 0 imported, 4998 already imported, 2 refused");
    S("import", "balances", balances, "--skip-bad");
    expect_ok();
    has(g_out, "5000 rows read: 0 imported, 4999 already imported, 1 refused");
    assert_int_equal(station_int("SELECT max(seq) FROM ops"), seq2);
    static char again[NUMBERS_BYTES];
    hb_h_read_file(numbers_path, again, sizeof again);
    assert_string_equal(again, numbers);  /* the same numbers, printed again */
    wait_drained();
    central_holds(sum, numbers);
    unsetenv("HOURBANK_TIMEOUT_MS");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_import_5000, setup, cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
