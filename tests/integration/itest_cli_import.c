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

/* ---- mistakes in small files ---- */

static void
file_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
headers_refused(const char *path)
{
    file_write(path, "ref,name,role,colour\nA1,x,elder,red\n");
    S("import", "members", path, "--dry-run");
    expect_fail(EX_DATAERR);
    has(g_err, "line 1: unknown column \"colour\"; the columns are ref, name, role, birth_year, phone, family_ref,"
               " relation");
    file_write(path, "ref,name\nA1,x\n");
    S("import", "members", path);
    expect_fail(EX_DATAERR);
    has(g_err, "line 1: column role is missing");
    file_write(path, "member,minutes,hours\nA1,1,1\n");
    S("import", "balances", path);
    expect_fail(EX_DATAERR);
    has(g_err, "line 1: give either a minutes or an hours column");
    file_write(path, "");
    S("import", "balances", path);
    expect_fail(EX_DATAERR);
    has(g_err, "the file is empty");
}

/* Twelve rows on lines 2..14: A1, A2 (family A3, a later row), A3, Z1 are
 * good (roles in Chinese); the others each break one rule. */
static const char members_small[] =
    "ref,name,role,birth_year,family_ref,relation\n"
    "A1,Chen Yi,\xE5\xBF\x97\xE6\x84\xBF\xE8\x80\x85,1950,,\n"      /* 2: 志愿者 */
    "A2,\"Chen \"\"Er\"\"\",\xE8\x80\x81\xE4\xBA\xBA,1951,A3,son\n"  /* 3: 老人, family a later row */
    "A3,Chen San,\xE4\xB8\xA4\xE8\x80\x85,1952,,\n"                  /* 4: 两者 */
    "A1,Dup,elder,1953,,\n"                                           /* 5: ref twice */
    "L1,Loop One,elder,1954,L2,\n"                                    /* 6: a loop */
    "L2,Loop Two,elder,1955,L1,\n"                                    /* 7 */
    "B1,\"Bad \"quote\",elder,1956,,\n"                               /* 8: text after a quote */
    "M1,\"Two\nlines\",elder,1957,,\n"                                /* 9-10: a name on two lines */
    "R1,Rel Only,elder,1958,,cousin\n"                                /* 11: relation alone */
    "X1,Extra,elder,1959,,,extra\n"                                   /* 12: a field too many */
    "Z1,Last,elder,1960,,\n"                                          /* 13 */
    "\"unterminated,Oops,elder,1961,,\n";                             /* 14: a quote never closed */

static void
members_small_checked(const char *path, char *a1, char *a2, char *a3)
{
    file_write(path, members_small);
    S("import", "members", path, "--dry-run");
    expect_fail(EX_DATAERR);
    assert_int_equal(lines_starting(g_out, "line "), 8);
    has(g_out, "line 5: ref A1 is also on line 2: each member has one ref\n");
    has(g_out, "line 6: family_ref L2 names the row on line 7, which is refused\n");
    has(g_out, "line 7: family_ref L1 leads back to this row (a loop)");
    has(g_out, "line 8: text after a closing quote");
    has(g_out, "line 9: name contains a control character");
    has(g_out, "line 11: a relation is given without a family_ref\n");
    has(g_out, "line 12: 7 fields, the header has 6\n");
    has(g_out, "line 14: a quote opened on this line is never closed: the rest of the file cannot be read\n");
    has(g_out, "12 rows read: 4 would be imported, 0 already imported, 8 refused");
    use_lang("zh_CN.UTF-8");
    S("import", "members", path, "--dry-run");
    expect_fail(EX_DATAERR);
    has(g_out, "\xE7\xAC\xAC 5 \xE8\xA1\x8C\xEF\xBC\x9A" "ref A1 ");  /* 第 5 行：ref A1 */
    has(g_out, "\xEF\xBC\x88\xE8\xAF\x95\xE8\xBF\x90\xE8\xA1\x8C\xEF\xBC\x89");  /* （试运行） */
    use_lang("en_US.UTF-8");
    S("import", "members", path, "--skip-bad");
    expect_ok();
    has(g_out, "12 rows read: 4 imported, 0 already imported, 8 refused");
    number_of(g_out, "A1", a1);
    number_of(g_out, "A2", a2);
    number_of(g_out, "A3", a3);
}

static void
balances_small_checked(const char *path, const char *a1)
{
    char text[512];
    snprintf(text, sizeof text,
             "member,hours,source\n"
             "A1,1:30,p. 1\n"       /* 90 */
             "A2,2.5,p. 2\n"        /* 150 */
             "A3,0.01,p. 3\n"       /* 4: not whole minutes */
             "%s,1,by number\n"     /* 60 */
             "A1,2,again\n"         /* 6: A1 twice */
             "Z1,0,zero\n",         /* 7: nothing */
             vol);
    file_write(path, text);
    S("import", "balances", path, "--skip-bad");
    expect_ok();
    has(g_out, "line 4: hours \"0.01\": write hours as 12, 12.5 or 12:30 (signed)\n");
    has(g_out, "line 6: member A1 has a balance on line 2 too");
    has(g_out, "line 7: an opening balance of 0 minutes");
    has(g_out, "6 rows read: 3 imported, 0 already imported, 3 refused");
    /* a second opening balance for A1, now by its number: the station refuses it */
    snprintf(text, sizeof text, "member,minutes\n%s,30\nA3,45\n", a1);
    file_write(path, text);
    S("import", "balances", path, "--dry-run");
    expect_fail(EX_DATAERR);
    assert_int_equal(lines_starting(g_out, "line "), 1);
    snprintf(text, sizeof text, "line 2: member %s already has an opening balance (operation 1:", a1);
    has(g_out, text);
    has(g_out, "2 rows read: 1 would be imported, 0 already imported, 1 refused");
    S("import", "balances", path, "--dry-run", "--json");
    expect_fail(EX_DATAERR);
    has(g_out, "\"dry_run\": true");
    has(g_out, "\"would_import\": 1");
    has(g_out, "\"refused_count\": 1");
    has(g_out, "\"line\": 2");
}

static void
test_import_mistakes(void **state)
{
    (void) state;
    char path[600], a1[32], a2[32], a3[32], sql[256];
    snprintf(path, sizeof path, "%s/small.csv", run_dir);
    headers_refused(path);
    int64_t seq0 = station_int("SELECT max(seq) FROM ops");
    members_small_checked(path, a1, a2, a3);
    assert_int_equal(station_int("SELECT max(seq) FROM ops"), seq0 + 4);
    balances_small_checked(path, a1);
    assert_int_equal(station_int("SELECT max(seq) FROM ops"), seq0 + 7);
    wait_drained();
    snprintf(sql, sizeof sql, "SELECT count(*) FROM family_link WHERE member_no = '%s' AND relative = '%s'"
             " AND relation = 'son'", a2, a3);
    assert_int_equal(central_int(sql), 1);
    assert_int_equal(central_int("SELECT coalesce(sum(minutes), 0) FROM transfer WHERE kind = 'opening'"), 300);
    assert_int_equal(central_int("SELECT count(*) FROM op WHERE result <> 1"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_import_5000, setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_import_mistakes, setup, cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
