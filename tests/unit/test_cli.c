/* test_cli.c - the `hourbank` CLI without a daemon: typed input (member
 * numbers, durations, dates, op refs), output (durations, local times, JSON
 * escaping, tables), option parsing and --help, errors refused before any
 * station is asked, keygen, admin.yaml, and every command's output against
 * a fake station and a fake central speaking the real protocol (plain ipc
 * and CURVE with a ZAP handler that can refuse the key). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cli.h"
#include "cli_dispatch.h"
#include "cli_format.h"
#include "cli_json.h"
#include "cli_parse.h"
#include "cli_suggest.h"
#include "cli_table.h"
#include "cli_utf8.h"
#include "hb_admin_conf.h"
#include "hb_keyfile.h"
#include "hb_wire.h"

#define MSG_BYTES 1024
/* QX03-000127-6 is valid (pinned in test_memberno.c); -5 has a wrong check digit. */
#define GOOD_NO "QX03-000127-6"
#define BAD_CHECK_NO "QX03-000127-5"

static char msg[MSG_BYTES];

static void
use_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static bool
have_zone(const char *zone)
{
    char path[256];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone);
    return access(path, R_OK) == 0;
}

/* ---- member numbers ---- */

static void
test_member_no_accepts_and_normalizes(void **state)
{
    (void) state;
    char no[HB_MEMBER_NO_BUF_BYTES];
    assert_int_equal(hb_cli_parse_member_no(GOOD_NO, no, msg, sizeof msg), 0);
    assert_string_equal(no, GOOD_NO);
    assert_int_equal(hb_cli_parse_member_no("  qx03-000127-6\t", no, msg, sizeof msg), 0);
    assert_string_equal(no, GOOD_NO);
}

static void
member_no_refused(const char *text, const char *expected)
{
    char no[HB_MEMBER_NO_BUF_BYTES] = "untouched";
    assert_int_equal(hb_cli_parse_member_no(text, no, msg, sizeof msg), -1);
    assert_string_equal(msg, expected);
    assert_string_equal(no, "untouched");
}

static void
test_member_no_refusals(void **state)
{
    (void) state;
    member_no_refused(BAD_CHECK_NO, BAD_CHECK_NO " is not a valid member number: the check digit does not match "
                                                 "(mistyped?)");
    /* typed in lowercase: echoed normalized */
    member_no_refused("qx03-000127-5", BAD_CHECK_NO " is not a valid member number: the check digit does not match "
                                                    "(mistyped?)");
    /* adjacent transposition in the serial */
    member_no_refused("QX03-001027-6", "QX03-001027-6 is not a valid member number: the check digit does not match "
                                       "(mistyped?)");
    member_no_refused("QX03-000000-0", "QX03-000000-0 is not a valid member number: serial 000000 is never issued");
    member_no_refused("QX03-00127-6", "QX03-00127-6 is not a valid member number: expected CODE-NNNNNN-D such as "
                                      "QX03-000127-6");
    member_no_refused("QX03000127", "QX03000127 is not a valid member number: expected CODE-NNNNNN-D such as "
                                    "QX03-000127-6");
    member_no_refused("", "\"\" is not a valid member number: it is empty; member numbers look like QX03-000127-6");
    member_no_refused("QX03 000127 6", "\"QX03 000127 6\" is not a valid member number: expected CODE-NNNNNN-D "
                                       "such as QX03-000127-6");
    member_no_refused("QX03-000127-6\x1b[2J", "\"QX03-000127-6\\x1B[2J\" is not a valid member number: expected "
                                              "CODE-NNNNNN-D such as QX03-000127-6");
    member_no_refused("ABCDEFGHI-000001-0", "ABCDEFGHI-000001-0 is not a valid member number: expected CODE-NNNNNN-D "
                                            "such as QX03-000127-6");
}

/* ---- durations ---- */

static int64_t
duration_ok(const char *text)
{
    int64_t m = -1;
    assert_int_equal(hb_cli_parse_duration(text, 1, HB_RECORD_MINUTES_MAX, "one service record", &m, msg, sizeof msg),
                     0);
    return m;
}

static void
duration_refused(const char *text, const char *expected)
{
    int64_t m = -7;
    assert_int_equal(hb_cli_parse_duration(text, 1, HB_RECORD_MINUTES_MAX, "one service record", &m, msg, sizeof msg),
                     -1);
    assert_int_equal(m, -7);
    assert_string_equal(msg, expected);
}

static void
test_duration_parse(void **state)
{
    (void) state;
    assert_int_equal(duration_ok("1h30m"), 90);
    assert_int_equal(duration_ok("90m"), 90);
    assert_int_equal(duration_ok("2h"), 120);
    assert_int_equal(duration_ok("1h 30m"), 90);
    assert_int_equal(duration_ok(" 1H30M "), 90);
    assert_int_equal(duration_ok("1m"), 1);
    /* as printed, in both languages */
    assert_int_equal(duration_ok("2 h 30 min"), 150);
    assert_int_equal(duration_ok("45 min"), 45);
    assert_int_equal(duration_ok("2\xE5\xB0\x8F\xE6\x97\xB6" "30\xE5\x88\x86\xE9\x92\x9F"), 150);
    assert_int_equal(duration_ok("24h"), HB_RECORD_MINUTES_MAX);
    assert_int_equal(duration_ok("23h59m"), HB_RECORD_MINUTES_MAX - 1);
    assert_int_equal(duration_ok("70m"), 70);  /* minutes alone may pass 59 */
    /* minutes after hours go up to 59, in every form the tool prints */
    duration_refused("1h70m", "\"1h70m\" is not a duration: minutes go up to 59 after hours (write 2h10m or 130m)");
    duration_refused("23h60m", "\"23h60m\" is not a duration: minutes go up to 59 after hours (write 24h00m or 1440m)");
    duration_refused("2 h 60 min", "\"2 h 60 min\" is not a duration: minutes go up to 59 after hours "
                                   "(write 3h00m or 180m)");
    duration_refused("2\xE5\xB0\x8F\xE6\x97\xB6" "75\xE5\x88\x86\xE9\x92\x9F",
                     "\"2\xE5\xB0\x8F\xE6\x97\xB6" "75\xE5\x88\x86\xE9\x92\x9F\" is not a duration: minutes go up to 59 "
                     "after hours (write 3h15m or 195m)");
    duration_refused("45", "\"45\" has no unit: write 45m for minutes or 45h for hours");
    duration_refused(" 2 ", "\" 2 \" has no unit: write 2m for minutes or 2h for hours");
    static const char syntax[] = " is not a duration: write hours and minutes such as 1h30m, 90m or 2h";
    static const char *const bad[] = {"1.5h", "", "h", "30m1h", "1h1h", "1h30", "-1h", "1d", "1 x", "m30", "1mh",
                                      "9999999999h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char expected[MSG_BYTES], q[MSG_BYTES];
        snprintf(expected, sizeof expected, "%s%s", hb_cli_parse_quote(q, sizeof q, bad[i]), syntax);
        duration_refused(bad[i], expected);
    }
    duration_refused("0m", "duration 0 min is too short: one service record holds at least 1 min");
    duration_refused("24h1m", "duration 24 h 1 min is too long: one service record holds at most 24 h");
    duration_refused("999999999h", "duration 999999999 h is too long: one service record holds at most 24 h");
}

static void
test_duration_format(void **state)
{
    (void) state;
    char b[HB_CLI_FORMAT_BYTES];
    assert_string_equal(hb_cli_format_duration(b, sizeof b, 0, false), "0 min");
    assert_string_equal(hb_cli_format_duration(b, sizeof b, 0, true), "0 min");
    assert_string_equal(hb_cli_format_duration(b, sizeof b, 45, false), "45 min");
    assert_string_equal(hb_cli_format_duration(b, sizeof b, 120, false), "2 h");
    assert_string_equal(hb_cli_format_duration(b, sizeof b, 150, false), "2 h 30 min");
    assert_string_equal(hb_cli_format_duration(b, sizeof b, 150, true), "+2 h 30 min");
    assert_string_equal(hb_cli_format_duration(b, sizeof b, -75, true), "-1 h 15 min");
    assert_string_equal(hb_cli_format_duration(b, sizeof b, 90000, false), "1500 h");
    assert_string_equal(hb_cli_format_duration(b, sizeof b, INT64_MIN, false), "-153722867280912930 h 8 min");
    /* what is printed parses back */
    for (int64_t m = 1; m <= HB_RECORD_MINUTES_MAX; m += 7)
        assert_int_equal(duration_ok(hb_cli_format_duration(b, sizeof b, m, false)), m);
}

/* ---- dates and times ---- */

static void
test_time_parse_and_format(void **state)
{
    (void) state;
    use_tz("UTC");
    int64_t t = 0;
    char b[HB_CLI_FORMAT_BYTES];
    assert_int_equal(hb_cli_parse_time("2026-11-29 14:05", &t, msg, sizeof msg), 0);
    assert_int_equal(t, 1795961100);
    assert_string_equal(hb_cli_format_time(b, sizeof b, t), "2026-11-29 14:05");
    assert_string_equal(hb_cli_format_time_rfc3339(b, sizeof b, t), "2026-11-29T14:05:00+00:00");
    assert_int_equal(hb_cli_parse_time("2026-11-29T14:05", &t, msg, sizeof msg), 0);
    assert_int_equal(t, 1795961100);
    assert_string_equal(hb_cli_format_time(b, sizeof b, 0), "never");
    assert_string_equal(hb_cli_format_time_rfc3339(b, sizeof b, 0), "");
    assert_int_equal(hb_cli_parse_date("2026-11-29", &t, msg, sizeof msg), 0);
    assert_int_equal(t, 1795961100 - 14 * 3600 - 5 * 60);
    assert_int_equal(hb_cli_parse_date("2024-02-29", &t, msg, sizeof msg), 0);  /* leap day */
}

static void
test_time_refusals(void **state)
{
    (void) state;
    use_tz("UTC");
    int64_t t = 42;
    assert_int_equal(hb_cli_parse_time("2026-11-29", &t, msg, sizeof msg), -1);
    assert_string_equal(msg, "\"2026-11-29\" is not a date and time: write \"YYYY-MM-DD HH:MM\" in local time, "
                             "e.g. \"2026-11-29 14:05\"");
    assert_int_equal(hb_cli_parse_time("29.11.2026 14:05", &t, msg, sizeof msg), -1);
    assert_int_equal(hb_cli_parse_time("2026-11-29 14:05:30", &t, msg, sizeof msg), -1);
    assert_int_equal(hb_cli_parse_time("2026-02-30 10:00", &t, msg, sizeof msg), -1);
    assert_string_equal(msg, "\"2026-02-30 10:00\" is not a real date and time");
    assert_int_equal(hb_cli_parse_time("2025-02-29 10:00", &t, msg, sizeof msg), -1);
    assert_int_equal(hb_cli_parse_time("2026-11-29 24:00", &t, msg, sizeof msg), -1);
    assert_int_equal(hb_cli_parse_time("2026-11-29 12:60", &t, msg, sizeof msg), -1);
    assert_int_equal(hb_cli_parse_date("2026-13-01", &t, msg, sizeof msg), -1);
    assert_int_equal(hb_cli_parse_date("2026-11", &t, msg, sizeof msg), -1);
    assert_string_equal(msg, "\"2026-11\" is not a date: write YYYY-MM-DD, e.g. 2026-11-01");
    assert_int_equal(t, 42);
}

static void
test_time_zones(void **state)
{
    (void) state;
    char b[HB_CLI_FORMAT_BYTES];
    int64_t t = 0;
    if (have_zone("Asia/Shanghai")) {
        use_tz("Asia/Shanghai");
        assert_int_equal(hb_cli_parse_time("2026-11-29 14:05", &t, msg, sizeof msg), 0);
        assert_int_equal(t, 1795961100 - 8 * 3600);
        assert_string_equal(hb_cli_format_time(b, sizeof b, t), "2026-11-29 14:05");
        assert_string_equal(hb_cli_format_time_rfc3339(b, sizeof b, t), "2026-11-29T14:05:00+08:00");
    }
    if (have_zone("Europe/Berlin")) {
        use_tz("Europe/Berlin");
        /* 02:30 on the spring-forward day does not exist */
        assert_int_equal(hb_cli_parse_time("2026-03-29 02:30", &t, msg, sizeof msg), -1);
        assert_string_equal(msg, "\"2026-03-29 02:30\" does not exist in local time (the clocks were changed then)");
        assert_int_equal(hb_cli_parse_time("2026-03-29 03:30", &t, msg, sizeof msg), 0);
        assert_string_equal(hb_cli_format_time_rfc3339(b, sizeof b, t), "2026-03-29T03:30:00+02:00");
    }
    use_tz("America/St_Johns");
    if (have_zone("America/St_Johns")) {
        assert_string_equal(hb_cli_format_time_rfc3339(b, sizeof b, 1795961100), "2026-11-29T10:35:00-03:30");
    }
    use_tz("UTC");
}

static void
test_ago(void **state)
{
    (void) state;
    char b[HB_CLI_FORMAT_BYTES];
    int64_t now = 1795961100;
    assert_string_equal(hb_cli_format_ago(b, sizeof b, 0, now), "never");
    assert_string_equal(hb_cli_format_ago(b, sizeof b, now - 59, now), "just now");
    assert_string_equal(hb_cli_format_ago(b, sizeof b, now - 180, now), "3 min ago");
    assert_string_equal(hb_cli_format_ago(b, sizeof b, now - 7500, now), "2 h 5 min ago");
    assert_string_equal(hb_cli_format_ago(b, sizeof b, now - 7200, now), "2 h ago");
    assert_string_equal(hb_cli_format_ago(b, sizeof b, now - (4 * 86400 + 3 * 3600 + 60), now), "4 d 3 h ago");
    assert_string_equal(hb_cli_format_ago(b, sizeof b, now - 2 * 86400, now), "2 d ago");
    assert_string_equal(hb_cli_format_ago(b, sizeof b, now + 180, now), "in 3 min");
}

/* ---- op refs, seqs, roles, birth years, text ---- */

static void
test_op_refs(void **state)
{
    (void) state;
    uint32_t st = 0;
    uint64_t seq = 0;
    assert_int_equal(hb_cli_parse_op_ref("1:42", &st, &seq, msg, sizeof msg), 0);
    assert_int_equal(st, 1);
    assert_int_equal(seq, 42);
    assert_int_equal(hb_cli_parse_op_ref("4294967295:18446744073709551615", &st, &seq, msg, sizeof msg), 0);
    assert_int_equal(st, UINT32_MAX);
    assert_true(seq == UINT64_MAX);
    static const char *const bad[] = {"42", "0:1", "1:0", "4294967296:1", "1:18446744073709551616", ":1", "1:",
                                      "1:2:3", "a:1", " 1:2", "1:+2", "-1:2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        st = 9, seq = 9;
        assert_int_equal(hb_cli_parse_op_ref(bad[i], &st, &seq, msg, sizeof msg), -1);
        assert_int_equal(st, 9);
        assert_non_null(strstr(msg, "is not an operation reference: write STATION:SEQ"));
    }
    char b[HB_CLI_FORMAT_BYTES];
    assert_string_equal(hb_cli_format_op_ref(b, sizeof b, 3, 17), "3:17");
    assert_string_equal(hb_cli_format_op_ref(b, sizeof b, 0, 17), "seq 17");
    assert_int_equal(hb_cli_parse_seq("17", &seq, msg, sizeof msg), 0);
    assert_int_equal(seq, 17);
    assert_int_equal(hb_cli_parse_seq("0", &seq, msg, sizeof msg), -1);
    assert_int_equal(hb_cli_parse_seq("1:17", &seq, msg, sizeof msg), -1);
    assert_string_equal(msg, "\"1:17\" is not a sequence number: write the number shown by hourbank queue, e.g. 42");
}

static void
test_roles_years_text(void **state)
{
    (void) state;
    int role = 0;
    uint32_t year = 0;
    assert_int_equal(hb_cli_parse_role("Volunteer", &role, msg, sizeof msg), 0);
    assert_int_equal(role, HOURBANK__ROLE__VOLUNTEER);
    assert_int_equal(hb_cli_parse_role("both", &role, msg, sizeof msg), 0);
    assert_int_equal(role, HOURBANK__ROLE__BOTH);
    assert_int_equal(hb_cli_parse_role("nurse", &role, msg, sizeof msg), -1);
    assert_string_equal(msg, "\"nurse\" is not a role: use volunteer, elder or both");
    assert_int_equal(hb_cli_parse_birth_year("1956", 2026, &year, msg, sizeof msg), 0);
    assert_int_equal(year, 1956);
    assert_int_equal(hb_cli_parse_birth_year("2027", 2026, &year, msg, sizeof msg), -1);
    assert_string_equal(msg, "birth year 2027 is out of range 1900..2026");
    assert_int_equal(hb_cli_parse_birth_year("56", 2026, &year, msg, sizeof msg), -1);
    assert_int_equal(hb_cli_parse_birth_year("1899", 2026, &year, msg, sizeof msg), -1);
    assert_int_equal(hb_cli_parse_text("--name", "王秀英", HB_NAME_BYTES_MAX, true, false, msg, sizeof msg), 0);
    assert_int_equal(hb_cli_parse_text("--name", "", HB_NAME_BYTES_MAX, true, false, msg, sizeof msg), -1);
    assert_string_equal(msg, "--name must not be empty");
    assert_int_equal(hb_cli_parse_text("--name", "a\nb", HB_NAME_BYTES_MAX, true, false, msg, sizeof msg), -1);
    assert_string_equal(msg, "--name contains a control character (byte 1): it must be one line");
    assert_int_equal(hb_cli_parse_text("--note", "a\nb\tc", HB_NOTE_BYTES_MAX, false, true, msg, sizeof msg), 0);
    assert_int_equal(hb_cli_parse_text("--note", "a\xc2\x85", HB_NOTE_BYTES_MAX, false, true, msg, sizeof msg), -1);
    assert_int_equal(hb_cli_parse_text("--note", "caf\xe9", HB_NOTE_BYTES_MAX, false, true, msg, sizeof msg), -1);
    assert_string_equal(msg, "--note is not valid UTF-8 (at byte 3): check the terminal's encoding");
    char big[HB_NAME_BYTES_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(hb_cli_parse_text("--name", big, HB_NAME_BYTES_MAX, true, false, msg, sizeof msg), -1);
    assert_string_equal(msg, "--name is 161 bytes long, the limit is 160: shorten it");
    big[HB_NAME_BYTES_MAX] = '\0';
    assert_int_equal(hb_cli_parse_text("--name", big, HB_NAME_BYTES_MAX, true, false, msg, sizeof msg), 0);
    /* names, notes and reasons are counted in characters */
    char li[HB_NOTE_BYTES_MAX + 8] = "";
    for (int i = 0; i < HB_NOTE_CHARS_MAX; i++)
        strcat(li, "\xE6\x9D\x8E");  /* U+674E, three bytes */
    assert_int_equal(hb_cli_parse_chars("--note", li, HB_NOTE_CHARS_MAX, false, true, msg, sizeof msg), 0);
    strcat(li, "a");
    assert_int_equal(hb_cli_parse_chars("--note", li, HB_NOTE_CHARS_MAX, false, true, msg, sizeof msg), -1);
    assert_string_equal(msg, "--note is 513 characters long, the limit is 512: shorten it");
    memset(big, 'x', HB_NAME_CHARS_MAX + 1);
    big[HB_NAME_CHARS_MAX + 1] = '\0';
    assert_int_equal(hb_cli_parse_chars("--name", big, HB_NAME_CHARS_MAX, true, false, msg, sizeof msg), -1);
    assert_string_equal(msg, "--name is 41 characters long, the limit is 40: shorten it");
    big[HB_NAME_CHARS_MAX] = '\0';
    assert_int_equal(hb_cli_parse_chars("--name", big, HB_NAME_CHARS_MAX, true, false, msg, sizeof msg), 0);
    assert_int_equal(hb_cli_parse_chars("--name", "a\nb", HB_NAME_CHARS_MAX, true, false, msg, sizeof msg), -1);
}

/* ---- JSON ---- */

/* Runs fn on a JSON emitter over a memory stream; returns the text (free). */
static char *
json_text(void (*fn)(hb_cli_json_t *j))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    hb_cli_json_t j;
    hb_cli_json_init(&j, f);
    fn(&j);
    fclose(f);
    return buf;
}

static void
json_doc(hb_cli_json_t *j)
{
    hb_cli_json_object_begin(j);
    hb_cli_json_kv_string(j, "member_no", GOOD_NO);
    hb_cli_json_kv_int(j, "balance_minutes", -90);
    hb_cli_json_kv_uint(j, "seq", UINT64_MAX);
    hb_cli_json_kv_bool(j, "ok", true);
    hb_cli_json_kv_string(j, "as_of", NULL);
    hb_cli_json_key(j, "list");
    hb_cli_json_array_begin(j);
    hb_cli_json_int(j, 1);
    hb_cli_json_object_begin(j);
    hb_cli_json_object_end(j);
    hb_cli_json_array_begin(j);
    hb_cli_json_array_end(j);
    hb_cli_json_null(j);
    hb_cli_json_array_end(j);
    hb_cli_json_object_end(j);
    hb_cli_json_finish(j);
}

static void
test_json_structure(void **state)
{
    (void) state;
    char *text = json_text(json_doc);
    assert_string_equal(text, "{\n"
                              "  \"member_no\": \"QX03-000127-6\",\n"
                              "  \"balance_minutes\": -90,\n"
                              "  \"seq\": 18446744073709551615,\n"
                              "  \"ok\": true,\n"
                              "  \"as_of\": null,\n"
                              "  \"list\": [\n"
                              "    1,\n"
                              "    {},\n"
                              "    [],\n"
                              "    null\n"
                              "  ]\n"
                              "}\n");
    free(text);
}

static char *
escaped(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    hb_cli_json_write_string(f, s);
    fclose(f);
    return buf;
}

static void
assert_escapes(const char *in, const char *out)
{
    char *got = escaped(in);
    assert_string_equal(got, out);
    free(got);
}

static void
test_json_escaping(void **state)
{
    (void) state;
    assert_escapes("plain", "\"plain\"");
    assert_escapes("say \"hi\"\\", "\"say \\\"hi\\\"\\\\\"");
    assert_escapes("a\nb\tc\rd\be\ff", "\"a\\nb\\tc\\rd\\be\\ff\"");
    assert_escapes("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
    assert_escapes("王秀英 ü €", "\"王秀英 ü €\"");
    assert_escapes("😀", "\"😀\"");
    /* invalid UTF-8 becomes U+FFFD, one per bad byte */
    assert_escapes("caf\xe9!", "\"caf\xef\xbf\xbd!\"");
    assert_escapes("\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"");          /* overlong '/' */
    assert_escapes("\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* surrogate */
    assert_escapes("\xe4\xb8", "\"\xef\xbf\xbd\xef\xbf\xbd\"");           /* cut short */
    assert_escapes("/", "\"/\"");
}

/* ---- tables and widths ---- */

static void
test_utf8_width(void **state)
{
    (void) state;
    assert_int_equal(hb_cli_utf8_width("abc"), 3);
    assert_int_equal(hb_cli_utf8_width("王秀英"), 6);
    assert_int_equal(hb_cli_utf8_width("Zoë"), 3);
    assert_int_equal(hb_cli_utf8_width("Zoe\xcc\x88"), 3);  /* combining diaeresis */
    assert_int_equal(hb_cli_utf8_width("\xff"), 1);
    assert_int_equal(hb_cli_utf8_invalid_at("ok\xff"), 2);
    assert_int_equal(hb_cli_utf8_invalid_at("王"), -1);
}

static void
test_table(void **state)
{
    (void) state;
    static const char *const headers[] = {"NO", "NAME", "BALANCE", "NOTE"};
    hb_cli_table_t *t = hb_cli_table_new(4, headers);
    assert_non_null(t);
    hb_cli_table_align_right(t, 2);
    hb_cli_table_cell(t, "%s", GOOD_NO);
    hb_cli_table_cell(t, "王秀英");
    hb_cli_table_cell(t, "12h 30m");
    hb_cli_table_cell(t, "line\nbreak");
    hb_cli_table_cell(t, "QX03-000128-4");
    hb_cli_table_cell(t, "Li Wei");
    hb_cli_table_cell(t, "%dm", 5);
    hb_cli_table_cell(t, "%s", "");
    assert_int_equal(hb_cli_table_rows(t), 2);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(hb_cli_table_finish(&t, f), 0);
    assert_null(t);
    fclose(f);
    assert_string_equal(buf, "NO             NAME    BALANCE  NOTE\n"
                             "QX03-000127-6  王秀英  12h 30m  line break\n"
                             "QX03-000128-4  Li Wei       5m\n");
    free(buf);
}

static void
test_request_id_and_timeout(void **state)
{
    (void) state;
    char id[HB_REQUEST_ID_BYTES_MAX + 1], long_id[HB_REQUEST_ID_BYTES_MAX + 2];
    assert_int_equal(hb_cli_parse_request_id("0123456789abcdef0123456789abcdef", id, msg, sizeof msg), 0);
    assert_string_equal(id, "0123456789abcdef0123456789abcdef");
    assert_int_equal(hb_cli_parse_request_id("550e8400-e29b-41d4-a716-446655440000", id, msg, sizeof msg), 0);
    assert_int_equal(hb_cli_parse_request_id("pos:3_b.7", id, msg, sizeof msg), 0);
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    static const char *const bad[] = {"", "has space", "quote'd", "tab\there", "中文"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(hb_cli_parse_request_id(bad[i], id, msg, sizeof msg), -1);
    assert_int_equal(hb_cli_parse_request_id(long_id, id, msg, sizeof msg), -1);
    assert_string_equal(msg, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" is not a request id: give the "
                             "--request-id printed when the save may have been made (1 to 64 letters, digits, '.', "
                             "'_', ':' or '-')");
    long_id[HB_REQUEST_ID_BYTES_MAX] = '\0';
    assert_int_equal(hb_cli_parse_request_id(long_id, id, msg, sizeof msg), 0);
    int ms = 0;
    assert_int_equal(hb_cli_parse_timeout_ms("5000", &ms, msg, sizeof msg), 0);
    assert_int_equal(ms, 5000);
    assert_int_equal(hb_cli_parse_timeout_ms("100", &ms, msg, sizeof msg), 0);
    assert_int_equal(hb_cli_parse_timeout_ms("600000", &ms, msg, sizeof msg), 0);
    assert_int_equal(hb_cli_parse_timeout_ms("99", &ms, msg, sizeof msg), -1);
    assert_string_equal(msg, "\"99\" is not a timeout: give milliseconds from 100 to 600000, e.g. 5000");
    assert_int_equal(hb_cli_parse_timeout_ms("600001", &ms, msg, sizeof msg), -1);
    assert_int_equal(hb_cli_parse_timeout_ms("5s", &ms, msg, sizeof msg), -1);
    assert_int_equal(hb_cli_parse_timeout_ms("", &ms, msg, sizeof msg), -1);
}

/* ---- running the CLI in process ---- */

typedef struct {
    int rc;
    char *out;
    char *err;
} run_t;

#define ARGS_MAX 32
static int g_timeout_ms = 2000;

/* Runs `hourbank words...` (NULL-terminated) with stdout and stderr captured. */
static run_t
run_words(const char *const *words)
{
    run_t r = {0};
    size_t out_len = 0, err_len = 0;
    char *argv[ARGS_MAX + 1];
    int argc = 0;
    argv[argc++] = strdup("hourbank");
    for (; words[argc - 1] && argc < ARGS_MAX; argc++)
        argv[argc] = strdup(words[argc - 1]);
    argv[argc] = NULL;
    hb_cli_t cli = {0};
    cli.out = open_memstream(&r.out, &out_len);
    cli.err = open_memstream(&r.err, &err_len);
    cli.timeout_ms = g_timeout_ms;
    r.rc = hb_cli_dispatch_run(&cli, argc, argv);
    fclose(cli.out);
    fclose(cli.err);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return r;
}

#define RUN(...) run_words((const char *const[]){__VA_ARGS__, NULL})

static void
run_free(run_t *r)
{
    free(r->out);
    free(r->err);
}

/* An error run: exit code, nothing on stdout, exactly one line on stderr. */
static void
assert_error(run_t r, int rc, const char *line)
{
    if (r.rc != rc || strcmp(r.err, line) != 0)
        print_error("rc=%d err=%s", r.rc, r.err);
    assert_int_equal(r.rc, rc);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, line);
    run_free(&r);
}

/* A station that is certainly not running: if a command contacted it, the
 * run would end in EX_UNAVAILABLE. */
#define NO_STATION "--station", "ipc:///tmp/hb-test-cli-no-station.sock"

static void
test_usage_errors(void **state)
{
    (void) state;
    assert_error(RUN(""), EX_USAGE, "hourbank: \"\" is not a command (see hourbank --help)\n");
    assert_error(RUN("frobnicate"), EX_USAGE, "hourbank: \"frobnicate\" is not a command (see hourbank --help)\n");
    assert_error(RUN("--bogus"), EX_USAGE, "hourbank: unknown option \"--bogus\" (see hourbank --help)\n");
    assert_error(RUN("member"), EX_USAGE, "hourbank: member needs a subcommand: add, show, find, amend, move or leave "
                                          "(see hourbank --help)\n");
    assert_error(RUN("member", "delete", GOOD_NO), EX_USAGE,
                 "hourbank: member \"delete\" is not a command: member takes add, show, find, amend, move or leave (see hourbank --help)\n");
    assert_error(RUN("balance"), EX_USAGE, "hourbank: balance needs MEMBER_NO (see hourbank balance --help)\n");
    assert_error(RUN("balance", GOOD_NO, GOOD_NO), EX_USAGE,
                 "hourbank: balance does not take \"QX03-000127-6\" (see hourbank balance --help)\n");
    assert_error(RUN("balance", GOOD_NO, "--nmae", "x"), EX_USAGE,
                 "hourbank: balance has no option \"--nmae\" (see hourbank balance --help)\n");
    assert_error(RUN("record", "--provider", GOOD_NO), EX_USAGE,
                 "hourbank: record needs --recipient MEMBER_NO (see hourbank record --help)\n");
    assert_error(RUN("record", "--provider", GOOD_NO, "--provider", GOOD_NO), EX_USAGE,
                 "hourbank: --provider is given twice (see hourbank record --help)\n");
    assert_error(RUN("balance", GOOD_NO, "--station"), EX_USAGE,
                 "hourbank: --station needs a value: --station ENDPOINT (see hourbank balance --help)\n");
    assert_error(RUN("balance", GOOD_NO, "--station", "/run/station.sock"), EX_USAGE,
                 "hourbank: --station \"/run/station.sock\" is not an endpoint: write it as "
                 "ipc:///run/hourbank/station.sock (see hourbank balance --help)\n");
    assert_error(RUN("queue", "--rejected=yes"), EX_USAGE,
                 "hourbank: --rejected takes no value (see hourbank queue --help)\n");
    /* admin options belong to admin commands */
    assert_error(RUN("balance", GOOD_NO, "--admin", "a.yaml"), EX_USAGE,
                 "hourbank: balance has no option \"--admin\" (see hourbank balance --help)\n");
    assert_error(RUN("keygen"), EX_USAGE, "hourbank: keygen needs DIR/NAME (see hourbank keygen --help)\n");
    assert_error(RUN("member", "add", "--name", "Li", "--role", "nurse", NO_STATION), EX_USAGE,
                 "hourbank: \"nurse\" is not a role: use volunteer, elder or both (see hourbank member add --help)\n");
}

/* ---- did you mean ---- */

static unsigned
edits(const char *a, const char *b)
{
    return hb_cli_suggest_edits(a, strlen(a), b, strlen(b));
}

static void
test_suggest(void **state)
{
    (void) state;
    assert_int_equal(edits("status", "status"), 0);
    assert_int_equal(edits("", "abc"), 3);
    assert_int_equal(edits("balnce", "balance"), 1);     /* dropped */
    assert_int_equal(edits("stauts", "status"), 1);      /* swapped neighbours: one edit, not two */
    assert_int_equal(edits("qeueu", "queue"), 2);
    assert_int_equal(edits("recrod", "record"), 1);
    assert_int_equal(edits("kitten", "sitting"), 3);
    assert_int_equal(edits("ca", "abc"), 3);             /* optimal string alignment, not unrestricted */
    char longer[HB_CLI_SUGGEST_BYTES_MAX + 2];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(edits(longer, longer), HB_CLI_SUGGEST_EDITS_MAX + 1);  /* too long to compare */
    char buf[HB_CLI_SUGGEST_BYTES_MAX + 1];
    hb_cli_suggest_t sg;
    hb_cli_suggest_init(&sg, "shw", 3);
    hb_cli_suggest_consider(&sg, "show", 4);
    hb_cli_suggest_consider(&sg, "find", 4);
    hb_cli_suggest_consider(&sg, "show", 4);  /* the same word twice is no tie */
    assert_string_equal(hb_cli_suggest_best(&sg, buf, sizeof buf), "show");
    hb_cli_suggest_init(&sg, "ab", 2);
    hb_cli_suggest_consider(&sg, "abc", 3);
    hb_cli_suggest_consider(&sg, "abd", 3);   /* two as close: no suggestion */
    assert_null(hb_cli_suggest_best(&sg, buf, sizeof buf));
    hb_cli_suggest_init(&sg, "x", 1);
    hb_cli_suggest_consider(&sg, "void", 4);  /* three edits: too far */
    assert_null(hb_cli_suggest_best(&sg, buf, sizeof buf));
    hb_cli_suggest_init(&sg, "add", 3);
    hb_cli_suggest_consider(&sg, "add", 3);   /* the word itself is not suggested */
    assert_null(hb_cli_suggest_best(&sg, buf, sizeof buf));

    /* commands, subcommands and options, with the exit code of any usage error */
    assert_error(RUN("balnce", GOOD_NO), EX_USAGE,
                 "hourbank: \"balnce\" is not a command; did you mean balance? (see hourbank --help)\n");
    assert_error(RUN("stauts"), EX_USAGE,
                 "hourbank: \"stauts\" is not a command; did you mean status? (see hourbank --help)\n");
    assert_error(RUN("hepl"), EX_USAGE, "hourbank: \"hepl\" is not a command; did you mean help? (see hourbank --help)\n");
    assert_error(RUN("help", "membr"), EX_USAGE,
                 "hourbank: \"membr\" is not a command; did you mean member? (see hourbank --help)\n");
    assert_error(RUN("member", "fnd", "wang"), EX_USAGE,
                 "hourbank: member \"fnd\" is not a command: member takes add, show, find, amend, move or leave; did you mean find? "
                 "(see hourbank --help)\n");
    assert_error(RUN("queue", "dismis", "1:8"), EX_USAGE,
                 "hourbank: queue \"dismis\" is not a command: queue takes dismiss, show or find; did you mean "
                 "dismiss? (see hourbank --help)\n");
    assert_error(RUN("--jsno", "status"), EX_USAGE,
                 "hourbank: unknown option \"--jsno\"; did you mean --json? (see hourbank --help)\n");
    assert_error(RUN("--verison"), EX_USAGE,
                 "hourbank: unknown option \"--verison\"; did you mean --version? (see hourbank --help)\n");
    assert_error(RUN("record", "--provder", GOOD_NO), EX_USAGE,
                 "hourbank: record has no option \"--provder\"; did you mean --provider? (see hourbank record --help)\n");
    assert_error(RUN("status", "--statoin=ipc:///x"), EX_USAGE,
                 "hourbank: status has no option \"--statoin=ipc:///x\"; did you mean --station? "
                 "(see hourbank status --help)\n");
    /* only what applies to the command is suggested: no --admin for a station command */
    assert_error(RUN("balance", GOOD_NO, "--admni", "a.yaml"), EX_USAGE,
                 "hourbank: balance has no option \"--admni\" (see hourbank balance --help)\n");
    /* nothing close, or two as close: no suggestion */
    assert_error(RUN("sta"), EX_USAGE, "hourbank: \"sta\" is not a command (see hourbank --help)\n");
    assert_error(RUN("member", "x"), EX_USAGE, "hourbank: member \"x\" is not a command: member takes add, show, "
                                               "find, amend, move or leave (see hourbank --help)\n");
}

static void
test_help_everywhere(void **state)
{
    (void) state;
    size_t count = 0;
    const hb_cli_command_t *const *commands = hb_cli_dispatch_commands(&count);
    assert_true(count >= 15);
    for (size_t i = 0; i < count; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s", commands[i]->name);
        char *space = strchr(name, ' ');
        run_t r = space ? (*space = '\0', RUN(name, space + 1, "--help")) : RUN(name, "--help");
        char usage[128];
        snprintf(usage, sizeof usage, "usage: hourbank %s", commands[i]->name);
        assert_int_equal(r.rc, 0);
        assert_string_equal(r.err, "");
        assert_true(strncmp(r.out, usage, strlen(usage)) == 0);
        assert_non_null(strstr(r.out, "--json"));
        assert_non_null(strstr(r.out, "-h, --help"));
        for (const hb_cli_opt_t *o = commands[i]->opts; o && o->name; o++) {
            char opt[64];
            snprintf(opt, sizeof opt, "--%s", o->name);
            assert_non_null(strstr(r.out, opt));
        }
        run_free(&r);
        /* -h, before the command, and `help COMMAND` say the same */
        run_t r2 = space ? RUN("help", name, space + 1) : RUN("help", name);
        assert_int_equal(r2.rc, 0);
        assert_true(strncmp(r2.out, usage, strlen(usage)) == 0);
        run_free(&r2);
    }
    run_t r = RUN("--help");
    assert_int_equal(r.rc, 0);
    for (size_t i = 0; i < count; i++)
        assert_non_null(strstr(r.out, commands[i]->summary));
    run_free(&r);
    r = RUN("--version");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "hourbank " HB_VERSION "\n");
    run_free(&r);
    r = RUN("-V");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "hourbank " HB_VERSION "\n");
    assert_string_equal(r.err, "");
    run_free(&r);
    /* a group of subcommands: each with its summary, however help is asked for */
    static const char member_help[] = "usage: hourbank member SUBCOMMAND [ARGS]\n\nsubcommands:\n"
                                      "  add             register a new member and print the new member number\n"
                                      "  show            show one member: name, role, family, balance\n"
                                      "  find            find members whose name contains TEXT\n"
                                      "  amend           correct a member's name, birth year, phone or family links\n"
                                      "  move            move a member from another community to this station's: a new "
                                      "card number\n"
                                      "  leave           a member leaves the scheme (or has died): hours settled, "
                                      "personal data erased\n"
                                      "\nRun hourbank member SUBCOMMAND --help for its options.\n";
    static const char *const member_asks[][3] = {{"member", "--help", NULL}, {"member", "-h", NULL},
                                                 {"help", "member", NULL}, {"--help", "member", NULL}};
    for (size_t i = 0; i < sizeof member_asks / sizeof member_asks[0]; i++) {
        r = run_words(member_asks[i]);
        assert_int_equal(r.rc, 0);
        assert_string_equal(r.err, "");
        assert_string_equal(r.out, member_help);
        run_free(&r);
    }
    r = RUN("operator", "--help");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "  add             "));
    assert_non_null(strstr(r.out, "  disable         "));
    run_free(&r);
    /* even a command that needs operands shows its help with --help alone */
    r = RUN("record", "-h");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "--provider MEMBER_NO"));
    run_free(&r);
}

/* Bad input is refused before the station is asked. */
static void
test_refused_before_contact(void **state)
{
    (void) state;
    static const char check[] = "hourbank: " BAD_CHECK_NO " is not a valid member number: the check digit does "
                                "not match (mistyped?)\n";
    assert_error(RUN("balance", BAD_CHECK_NO, NO_STATION), EX_DATAERR, check);
    assert_error(RUN("member", "show", BAD_CHECK_NO, NO_STATION), EX_DATAERR, check);
    assert_error(RUN("statement", BAD_CHECK_NO, NO_STATION), EX_DATAERR, check);
    assert_error(RUN("record", "--provider", GOOD_NO, "--recipient", BAD_CHECK_NO, "--duration", "1h",
                     "--category", "companionship", NO_STATION),
                 EX_DATAERR, check);
    assert_error(RUN("gift", "--from", BAD_CHECK_NO, "--to", GOOD_NO, "--duration", "1h", "--reason", "x",
                     NO_STATION),
                 EX_DATAERR, check);
    assert_error(RUN("member", "add", "--name", "Li", "--role", "elder", "--family", BAD_CHECK_NO, NO_STATION),
                 EX_DATAERR, check);
    assert_error(RUN("record", "--provider", GOOD_NO, "--recipient", "QX03-000128-4", "--duration", "45",
                     "--category", "companionship", NO_STATION),
                 EX_DATAERR, "hourbank: \"45\" has no unit: write 45m for minutes or 45h for hours\n");
    assert_error(RUN("record", "--provider", GOOD_NO, "--recipient", GOOD_NO, "--duration", "1h", "--category",
                     "companionship", NO_STATION),
                 EX_DATAERR, "hourbank: the provider and the recipient are the same member (" GOOD_NO "): a service "
                             "is given to someone else\n");
    assert_error(RUN("record", "--provider", GOOD_NO, "--recipient", "QX03-000128-4", "--duration", "1h",
                     "--category", "companionship", "--at", "2999-01-01 10:00", NO_STATION),
                 EX_DATAERR, "hourbank: --at 2999-01-01 10:00 is in the future: record services once they have "
                             "happened\n");
    assert_error(RUN("void", "42", "--reason", "typo", NO_STATION), EX_DATAERR,
                 "hourbank: \"42\" is not an operation reference: write STATION:SEQ as printed when it was saved, "
                 "e.g. 1:42\n");
    assert_error(RUN("gift", "--from", GOOD_NO, "--to", "QX03-000128-4", "--duration", "2h", "--reason", "",
                     NO_STATION),
                 EX_DATAERR, "hourbank: --reason must not be empty\n");
    assert_error(RUN("queue", "dismiss", "x", NO_STATION), EX_DATAERR,
                 "hourbank: \"x\" is not an operation: write STATION:SEQ as printed when it was saved, e.g. 1:57, "
                 "or the SEQ alone\n");
    assert_error(RUN("queue", "dismiss", "1:x", NO_STATION), EX_DATAERR,
                 "hourbank: \"1:x\" is not an operation: write STATION:SEQ as printed when it was saved, e.g. 1:57, "
                 "or the SEQ alone\n");
    assert_error(RUN("statement", GOOD_NO, "--since", "yesterday", NO_STATION), EX_DATAERR,
                 "hourbank: \"yesterday\" is not a date: write YYYY-MM-DD, e.g. 2026-11-01\n");
    /* and good input does reach for the station, which is not there */
    assert_error(RUN("balance", GOOD_NO, NO_STATION), EX_UNAVAILABLE,
                 "hourbank: the station at ipc:///tmp/hb-test-cli-no-station.sock does not answer: is "
                 "hourbank-station running?\n");
}

/* ---- keygen ---- */

static char g_dir[256];

static const char *
tmp_dir(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/hb_test_cli_XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    return g_dir;
}

static char *
path_in(char *buf, size_t size, const char *dir, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
    return buf;
}

static mode_t
mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static void
test_keygen(void **state)
{
    (void) state;
    const char *dir = tmp_dir();
    char base[512], pub_path[512], sec_path[512], line[1024];
    path_in(base, sizeof base, dir, "station1");
    path_in(pub_path, sizeof pub_path, dir, "station1.public");
    path_in(sec_path, sizeof sec_path, dir, "station1.secret");
    mode_t old = umask(077);  /* a strict umask must not hide the public key */
    run_t r = RUN("keygen", base);
    umask(old);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.err, "");
    assert_int_equal(mode_of(pub_path), 0644);
    assert_int_equal(mode_of(sec_path), 0600);
    char pub[HB_KEY_Z85_CHARS + 1], sec[HB_KEY_Z85_CHARS + 1], derived[HB_KEY_Z85_CHARS + 1];
    assert_int_equal(hb_keyfile_read(pub_path, false, pub, msg, sizeof msg), 0);
    assert_int_equal(hb_keyfile_read(sec_path, true, sec, msg, sizeof msg), 0);
    assert_int_equal(zmq_curve_public(derived, sec), 0);
    assert_string_equal(derived, pub);  /* a real pair */
    snprintf(line, sizeof line, "public key: %s\n", pub);
    assert_non_null(strstr(r.out, line));
    run_free(&r);
    /* never overwrites, and leaves both files as they were */
    snprintf(line, sizeof line, "hourbank: %s already exists: keygen never overwrites a key (move the old pair "
                                "away first if you mean to replace it)\n", sec_path);
    assert_error(RUN("keygen", base), EX_CANTCREAT, line);
    char again[HB_KEY_Z85_CHARS + 1];
    assert_int_equal(hb_keyfile_read(pub_path, false, again, msg, sizeof msg), 0);
    assert_string_equal(again, pub);
    /* a lone public file also blocks */
    assert_int_equal(unlink(sec_path), 0);
    snprintf(line, sizeof line, "hourbank: %s already exists: keygen never overwrites a key (move the old pair "
                                "away first if you mean to replace it)\n", pub_path);
    assert_error(RUN("keygen", base), EX_CANTCREAT, line);
    assert_int_equal(access(sec_path, F_OK), -1);
    unlink(pub_path);
    /* --json */
    r = RUN("keygen", base, "--json");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "\"public_key_file\": \""));
    assert_non_null(strstr(r.out, "\"secret_key_file\": \""));
    assert_non_null(strstr(r.out, "\"public_key\": \""));
    run_free(&r);
    unlink(pub_path);
    unlink(sec_path);
    /* a folder that does not exist: nothing left behind */
    path_in(base, sizeof base, dir, "missing/admin");
    r = RUN("keygen", base);
    assert_int_equal(r.rc, EX_CANTCREAT);
    assert_non_null(strstr(r.err, "could not create key file"));
    run_free(&r);
    assert_error(RUN("keygen", "keys/"), EX_USAGE, "hourbank: \"keys/\" is not a key name: give DIR/NAME, e.g. "
                                                   "/etc/hourbank/keys/station1 (see hourbank keygen --help)\n");
    rmdir(dir);
}

/* ---- admin.yaml ---- */

#define KEY1 "&0@+1j/eF[}.s%M5V(Wcher)8royWP}ElvO:?zr["

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
test_admin_conf(void **state)
{
    (void) state;
    const char *dir = tmp_dir();
    char path[512], expected[1024];
    path_in(path, sizeof path, dir, "admin.yaml");
    static hb_config_errors_t errors;
    write_file(path, "central_endpoint: \"tcp://10.0.0.5:7400\"\n"
                     "central_public_key: \"" KEY1 "\"\n"
                     "public_key_file: \"keys/admin.public\"\n"
                     "secret_key_file: \"/etc/hourbank/keys/admin.secret\"\n");
    hb_admin_conf_t *conf = hb_admin_conf_load(path, &errors);
    assert_non_null(conf);
    assert_string_equal(conf->central_endpoint, "tcp://10.0.0.5:7400");
    assert_string_equal(conf->central_public_key, KEY1);
    snprintf(expected, sizeof expected, "%s/keys/admin.public", dir);
    assert_string_equal(conf->public_key_file, expected);  /* relative to the file */
    assert_string_equal(conf->secret_key_file, "/etc/hourbank/keys/admin.secret");
    hb_admin_conf_destroy(&conf);
    assert_null(conf);
    write_file(path, "central_endpoint: \"10.0.0.5:7400\"\n"
                     "central_public_key: \"short\"\n"
                     "public_key_file: \"keys/admin.public\"\n"
                     "secret_key_flie: \"keys/admin.secret\"\n");
    assert_null(hb_admin_conf_load(path, &errors));
    assert_int_equal(errors.count, 4);
    snprintf(expected, sizeof expected, "%s:1:1: missing required key \"secret_key_file\"", path);
    assert_string_equal(errors.text[0], expected);
    snprintf(expected, sizeof expected, "%s:1:19: \"central_endpoint\" must be a zeromq endpoint such as "
                                        "\"tcp://127.0.0.1:7400\", got \"10.0.0.5:7400\"", path);
    assert_string_equal(errors.text[1], expected);
    snprintf(expected, sizeof expected, "%s:2:21: \"central_public_key\" must be a 40-character Z85 curve key, "
                                        "got \"short\"", path);
    assert_string_equal(errors.text[2], expected);
    snprintf(expected, sizeof expected, "%s:4:1: unknown key \"secret_key_flie\"", path);
    assert_string_equal(errors.text[3], expected);
    /* the CLI reports the first problem and counts the rest */
    snprintf(expected, sizeof expected, "--admin=%s", path);
    run_t r = RUN("stations", expected);
    assert_int_equal(r.rc, EX_CONFIG);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "missing required key \"secret_key_file\""));
    assert_non_null(strstr(r.err, "(and 3 more problems) (name the admin configuration with --admin FILE)\n"));
    run_free(&r);
    unlink(path);
    snprintf(expected, sizeof expected, "hourbank: %s: could not open file: No such file or directory (name the "
                                        "admin configuration with --admin FILE)\n", path);
    assert_error(RUN("verify", "--admin", path), EX_CONFIG, expected);
    rmdir(dir);
}

/* ---- a fake station / central speaking the real protocol ---- */

/* Builds the reply to req: fills env (correlation id already set) with
 * bodies that live in static storage of the responder. */
typedef void (*respond_fn)(const Hourbank__Envelope *req, Hourbank__Envelope *env);

typedef struct {
    char endpoint[256];
    bool curve;
    char server_pub[41], server_sec[41];
    bool deny;          /* the ZAP handler refuses every key */
    bool garbage;       /* answer bytes that do not decode */
    bool silent;        /* never answer */
    int silent_first;   /* do not answer requests 1..silent_first (counted in requests) */
    bool stale_first;   /* send a reply for another correlation id first */
    respond_fn respond;
    void *ctx, *router, *zap;
    pthread_t thread;
    volatile int stop;
    int requests;
    int saves;          /* save requests received; their request and correlation ids: */
    char save_ids[8][HB_REQUEST_ID_BYTES_MAX + 1];
    uint64_t save_corr[8];
    void *last;         /* the last request as received (malloc) */
    size_t last_size;
    char zap_key[41];   /* Z85 client key the ZAP handler saw */
} fake_t;

static fake_t g_fake;

/* The zone the fake station (and central) says, and whether the station
 * is too old to know the question (then it answers MALFORMED). */
static char g_fake_zone[64] = "UTC";
static bool g_zone_unsupported;

/* A TimeZoneQuery, whatever the test's responder. */
static void
respond_time_zone(const Hourbank__Envelope *req, Hourbank__Envelope *env)
{
    (void) req;
    static Hourbank__TimeZoneReply r;
    static Hourbank__ErrorReply e;
    static char why[] = "the station does not answer this message type (41)";
    if (g_zone_unsupported) {
        hourbank__error_reply__init(&e);
        e.code = HOURBANK__RESULT__MALFORMED;
        e.message = why;
        env->body_case = HOURBANK__ENVELOPE__BODY_ERROR;
        env->error = &e;
        return;
    }
    hourbank__time_zone_reply__init(&r);
    r.time_zone = g_fake_zone;
    env->body_case = HOURBANK__ENVELOPE__BODY_TIME_ZONE_REPLY;
    env->time_zone_reply = &r;
}

static void
zap_answer(fake_t *f)
{
    zmq_msg_t frames[8];
    int n = 0, more = 1;
    while (more && n < 8) {
        zmq_msg_init(&frames[n]);
        zmq_msg_recv(&frames[n], f->zap, 0);
        more = zmq_msg_more(&frames[n]);
        n++;
    }
    if (n >= 7 && zmq_msg_size(&frames[6]) == 32)
        zmq_z85_encode(f->zap_key, zmq_msg_data(&frames[6]), 32);
    const char *status = f->deny ? "400" : "200";
    zmq_send(f->zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(f->zap, zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), ZMQ_SNDMORE);
    zmq_send(f->zap, status, 3, ZMQ_SNDMORE);
    zmq_send(f->zap, f->deny ? "denied" : "OK", f->deny ? 6 : 2, ZMQ_SNDMORE);
    zmq_send(f->zap, "admin", 5, ZMQ_SNDMORE);
    zmq_send(f->zap, "", 0, 0);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&frames[i]);
}

static void
send_reply(fake_t *f, zmq_msg_t *rid, Hourbank__Envelope *env)
{
    void *data = NULL;
    size_t size = 0;
    assert_int_equal(hb_wire_pack(env, &data, &size), 0);
    zmq_send(f->router, zmq_msg_data(rid), zmq_msg_size(rid), ZMQ_SNDMORE);
    zmq_send(f->router, data, size, 0);
    free(data);
}

static void respond_save(const Hourbank__Envelope *req, Hourbank__Envelope *env);
static void respond_balance(const Hourbank__Envelope *req, Hourbank__Envelope *env);

/* The name the fake station knows for GOOD_NO (other numbers: none). */
#define GOOD_NAME "Wang Xiuying"

/* A confirmation's or a balance's question for a member's name (an exact
 * MemberQuery to a fake that answers saves or balances), or a void's for
 * its target (QueueQuery.seq): answered here (GOOD_NAME for GOOD_NO; the
 * target is not held), not counted and not kept as the last request, so
 * the tests see the save or balance query they sent. */
static bool
answer_name(fake_t *f, zmq_msg_t *rid, zmq_msg_t *body)
{
    if (f->respond != respond_save && f->respond != respond_balance)
        return false;
    hb_wire_error_t err;
    Hourbank__Envelope *req = hb_wire_unpack(zmq_msg_data(body), zmq_msg_size(body), &err);
    bool lookup = req && req->body_case == HOURBANK__ENVELOPE__BODY_MEMBER_QUERY && req->member_query->member_no[0];
    bool void_target = req && req->body_case == HOURBANK__ENVELOPE__BODY_QUEUE_QUERY && req->queue_query->seq;
    if (void_target) {  /* a void's confirmation asks for its target: not held here */
        static char why[] = "no such op";
        Hourbank__ErrorReply e;
        hourbank__error_reply__init(&e);
        e.code = HOURBANK__RESULT__NOT_FOUND;
        e.message = why;
        Hourbank__Envelope env;
        hb_wire_envelope_init(&env, req->correlation_id);
        env.body_case = HOURBANK__ENVELOPE__BODY_ERROR;
        env.error = &e;
        send_reply(f, rid, &env);
        hb_wire_free(&req);
        return true;
    }
    if (lookup) {
        static char no[] = GOOD_NO, name[] = GOOD_NAME, empty[] = "";
        Hourbank__Member m, *ms[1] = {&m};
        hourbank__member__init(&m);
        m.member_no = no;
        m.name = name;
        m.role = HOURBANK__ROLE__ELDER;
        m.family_of = empty;
        Hourbank__MemberReply r;
        hourbank__member_reply__init(&r);
        bool known = strcmp(req->member_query->member_no, GOOD_NO) == 0;
        r.members = known ? ms : NULL;
        r.n_members = known ? 1 : 0;
        Hourbank__Envelope env;
        hb_wire_envelope_init(&env, req->correlation_id);
        env.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_REPLY;
        env.member_reply = &r;
        send_reply(f, rid, &env);
    }
    hb_wire_free(&req);
    return lookup;
}

static void
fake_answer(fake_t *f)
{
    zmq_msg_t rid, body;
    zmq_msg_init(&rid);
    zmq_msg_init(&body);
    zmq_msg_recv(&rid, f->router, 0);
    zmq_msg_recv(&body, f->router, 0);
    if (!f->silent && answer_name(f, &rid, &body)) {
        zmq_msg_close(&rid);
        zmq_msg_close(&body);
        return;
    }
    free(f->last);
    f->last_size = zmq_msg_size(&body);
    f->last = malloc(f->last_size);
    memcpy(f->last, zmq_msg_data(&body), f->last_size);
    f->requests++;
    hb_wire_error_t err;
    Hourbank__Envelope *req = hb_wire_unpack(f->last, f->last_size, &err);
    if (req && req->body_case == HOURBANK__ENVELOPE__BODY_SAVE && f->saves < 8) {
        snprintf(f->save_ids[f->saves], sizeof f->save_ids[0], "%s", req->save->request_id);
        f->save_corr[f->saves++] = req->correlation_id;
    }
    if (req && !f->silent && f->requests > f->silent_first) {
        Hourbank__Envelope env;
        hb_wire_envelope_init(&env, req->correlation_id + 1);
        if (req->body_case == HOURBANK__ENVELOPE__BODY_TIME_ZONE_QUERY)
            respond_time_zone(req, &env);
        else
            f->respond(req, &env);
        if (f->stale_first)
            send_reply(f, &rid, &env);
        env.correlation_id = req->correlation_id;
        if (f->garbage) {
            zmq_send(f->router, zmq_msg_data(&rid), zmq_msg_size(&rid), ZMQ_SNDMORE);
            zmq_send(f->router, "\x08\x01garbage", 9, 0);
        } else {
            send_reply(f, &rid, &env);
        }
    }
    hb_wire_free(&req);
    zmq_msg_close(&rid);
    zmq_msg_close(&body);
}

static void *
fake_loop(void *arg)
{
    fake_t *f = arg;
    while (!f->stop) {
        zmq_pollitem_t items[2] = {{f->router, 0, ZMQ_POLLIN, 0}, {f->zap, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, f->zap ? 2 : 1, 20) <= 0)
            continue;
        if (f->zap && (items[1].revents & ZMQ_POLLIN))
            zap_answer(f);
        if (items[0].revents & ZMQ_POLLIN)
            fake_answer(f);
    }
    return NULL;
}

static void
fake_start(fake_t *f, respond_fn respond, bool curve)
{
    memset(f, 0, sizeof *f);
    f->respond = respond;
    f->curve = curve;
    snprintf(f->endpoint, sizeof f->endpoint, "ipc:///tmp/hb-test-cli-%d-%s.sock", (int) getpid(),
             curve ? "central" : "station");
    f->ctx = zmq_ctx_new();
    f->router = zmq_socket(f->ctx, ZMQ_ROUTER);
    int zero = 0, one = 1;
    zmq_setsockopt(f->router, ZMQ_LINGER, &zero, sizeof zero);
    if (curve) {
        assert_int_equal(zmq_curve_keypair(f->server_pub, f->server_sec), 0);
        f->zap = zmq_socket(f->ctx, ZMQ_REP);
        zmq_setsockopt(f->zap, ZMQ_LINGER, &zero, sizeof zero);
        assert_int_equal(zmq_bind(f->zap, "inproc://zeromq.zap.01"), 0);
        zmq_setsockopt(f->router, ZMQ_CURVE_SERVER, &one, sizeof one);
        zmq_setsockopt(f->router, ZMQ_CURVE_SECRETKEY, f->server_sec, 40);
    }
    assert_int_equal(zmq_bind(f->router, f->endpoint), 0);
    assert_int_equal(pthread_create(&f->thread, NULL, fake_loop, f), 0);
}

static void
fake_stop(fake_t *f)
{
    f->stop = 1;
    pthread_join(f->thread, NULL);
    zmq_close(f->router);
    if (f->zap)
        zmq_close(f->zap);
    zmq_ctx_term(f->ctx);
    unlink(f->endpoint + strlen("ipc://"));
    free(f->last);
    f->last = NULL;
}

/* The last request the fake received, decoded (caller frees). */
static Hourbank__Envelope *
fake_last(fake_t *f)
{
    hb_wire_error_t err;
    Hourbank__Envelope *env = hb_wire_unpack(f->last, f->last_size, &err);
    if (!env)
        print_error("last request invalid: %s\n", err.message);
    assert_non_null(env);
    return env;
}

/* station.yaml for station 7 at the fake's endpoint; returns its path. */
static char g_station_yaml[512];

static const char *
station_yaml(const char *endpoint)
{
    char text[2048];
    snprintf(g_station_yaml, sizeof g_station_yaml, "/tmp/hb-test-cli-%d-station.yaml", (int) getpid());
    snprintf(text, sizeof text,
             "station_id: 7\ncommunity: QX03\ncentral_endpoint: \"tcp://127.0.0.1:7400\"\n"
             "central_public_key: \"%s\"\npublic_key_file: \"station.public\"\n"
             "secret_key_file: \"station.secret\"\noutbox_path: \"outbox.sqlite\"\nipc_endpoint: \"%s\"\n",
             KEY1, endpoint);
    write_file(g_station_yaml, text);
    return g_station_yaml;
}

static int
fake_station_setup(void **state)
{
    (void) state;
    use_tz("UTC");
    snprintf(g_fake_zone, sizeof g_fake_zone, "UTC");
    g_zone_unsupported = false;
    return 0;
}

/* The run's stdout and exit code must be exactly these; stderr empty. */
static void
assert_output(run_t r, const char *out)
{
    if (r.rc != 0 || strcmp(r.out, out) != 0)
        print_error("rc=%d\nout=[%s]\nerr=[%s]\n", r.rc, r.out, r.err);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.err, "");
    assert_string_equal(r.out, out);
    run_free(&r);
}

/* ---- responders ---- */

static Hourbank__ErrorReply g_error;
static hb_result_t g_error_code;     /* when set, every request gets this ErrorReply */
static char g_error_message[256];

static bool
answer_error(Hourbank__Envelope *env)
{
    if (!g_error_code)
        return false;
    hourbank__error_reply__init(&g_error);
    g_error.code = (Hourbank__Result) g_error_code;
    g_error.message = g_error_message;
    env->body_case = HOURBANK__ENVELOPE__BODY_ERROR;
    env->error = &g_error;
    return true;
}

static bool g_save_repeated;  /* the fake station says it saw the request id before */

static void
respond_save(const Hourbank__Envelope *req, Hourbank__Envelope *env)
{
    static Hourbank__SaveReply r;
    static char no[] = GOOD_NO, empty[] = "";
    if (answer_error(env))
        return;
    hourbank__save_reply__init(&r);
    r.seq = 42;
    r.repeated = g_save_repeated;
    r.member_no = req->save->op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER ? no : empty;
    env->body_case = HOURBANK__ENVELOPE__BODY_SAVE_REPLY;
    env->save_reply = &r;
}

static void
respond_balance(const Hourbank__Envelope *req, Hourbank__Envelope *env)
{
    static Hourbank__BalanceReply r;
    static char no[HB_MEMBER_NO_BUF_BYTES];
    if (answer_error(env))
        return;
    hourbank__balance_reply__init(&r);
    /* also answers other questions with a balance (the "wrong kind" test) */
    snprintf(no, sizeof no, "%s",
             req->body_case == HOURBANK__ENVELOPE__BODY_BALANCE_QUERY ? req->balance_query->member_no : GOOD_NO);
    r.member_no = no;
    r.balance_minutes = 750;
    r.pending_minutes = -90;
    r.as_of = 1795961100;
    env->body_case = HOURBANK__ENVELOPE__BODY_BALANCE_REPLY;
    env->balance_reply = &r;
}

static Hourbank__Member g_members[2];
static Hourbank__Member *g_member_ptrs[2];
static size_t g_member_count = 2;

static void
respond_members(const Hourbank__Envelope *req, Hourbank__Envelope *env)
{
    (void) req;
    static Hourbank__MemberReply r;
    static char no1[] = GOOD_NO, no2[] = "QX03-000128-4", n1[] = "王秀英", n2[] = "Li Wei", empty[] = "";
    if (answer_error(env))
        return;
    for (int i = 0; i < 2; i++) {
        hourbank__member__init(&g_members[i]);
        g_member_ptrs[i] = &g_members[i];
    }
    g_members[0].member_no = no1, g_members[0].name = n1, g_members[0].role = HOURBANK__ROLE__ELDER;
    g_members[0].birth_year = 1938, g_members[0].family_of = no2, g_members[0].balance_minutes = 150;
    g_members[1].member_no = no2, g_members[1].name = n2, g_members[1].role = HOURBANK__ROLE__VOLUNTEER;
    g_members[1].family_of = empty, g_members[1].balance_minutes = 6000;
    hourbank__member_reply__init(&r);
    r.members = g_member_ptrs;
    r.n_members = g_member_count;
    env->body_case = HOURBANK__ENVELOPE__BODY_MEMBER_REPLY;
    env->member_reply = &r;
}

static void
test_fake_member_add(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_save, false);
    const char *conf = station_yaml(g_fake.endpoint);
    assert_output(RUN("member", "add", "--name", "王秀英", "--role", "Elder", "--birth-year", "1938", "--family",
                      " qx03-000128-4 ", "-c", conf),
                  GOOD_NO " registered, saved as 7:42 (pending sync)\n  王秀英 (" GOOD_NO "), family of QX03-000128-4\n");
    Hourbank__Envelope *req = fake_last(&g_fake);
    assert_int_equal(req->body_case, HOURBANK__ENVELOPE__BODY_SAVE);
    const Hourbank__Op *op = req->save->op;
    assert_int_equal(op->seq, 0);
    assert_true(llabs(op->occurred_at - (int64_t) time(NULL)) < 60);
    assert_int_equal(op->kind_case, HOURBANK__OP__KIND_REGISTER_MEMBER);
    assert_string_equal(op->register_member->member_no, "");
    assert_string_equal(op->register_member->name, "王秀英");
    assert_int_equal(op->register_member->role, HOURBANK__ROLE__ELDER);
    assert_int_equal(op->register_member->birth_year, 1938);
    assert_string_equal(op->register_member->family_of, "QX03-000128-4");
    hb_wire_free(&req);
    assert_output(RUN("--json", "-c", conf, "member", "add", "--name", "Li Wei", "--role", "volunteer"),
                  "{\n  \"member_no\": \"" GOOD_NO "\",\n  \"op_ref\": \"7:42\",\n  \"station_id\": 7,\n"
                  "  \"seq\": 42,\n  \"status\": \"pending\",\n  \"repeated\": false,\n  \"dry_run\": false,\n"
                  "  \"members\": [\n    {\n      \"role\": \"member\",\n      \"member_no\": \"" GOOD_NO "\",\n"
                  "      \"name\": \"Li Wei\"\n    }\n  ],\n  \"payer\": null,\n  \"payer_rule\": null,\n"
                  "  \"cautions\": []\n}\n");
    /* without a station.yaml the station's id is unknown: the seq is still printed */
    assert_output(RUN("member", "add", "--name", "Li Wei", "--role", "volunteer", "--station", g_fake.endpoint),
                  GOOD_NO " registered, saved as seq 42 (pending sync)\n  Li Wei (" GOOD_NO ")\n");
    g_error_code = HB_RESULT_OUTBOX_FULL;
    snprintf(g_error_message, sizeof g_error_message, "the outbox is full (268435456 bytes)");
    assert_error(RUN("member", "add", "--name", "Li Wei", "--role", "volunteer", "-c", conf), EX_TEMPFAIL,
                 "hourbank: the member was not registered: the outbox is full (268435456 bytes) (OUTBOX_FULL)\n");
    g_error_code = 0;
    fake_stop(&g_fake);
}

static void
test_fake_record_gift_void(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_save, false);
    const char *conf = station_yaml(g_fake.endpoint);
    assert_output(RUN("record", "--provider", "qx03-000128-4", "--recipient", GOOD_NO, "--duration", "1h30m",
                      "--category", "Companionship", "--at", "2024-05-01 09:30", "--note", "read the paper", "-c",
                      conf),
                  "saved as 7:42 (pending sync)\n  QX03-000128-4 served Wang Xiuying (" GOOD_NO
                  ") for 1 h 30 min (companionship)\n");
    Hourbank__Envelope *req = fake_last(&g_fake);
    const Hourbank__Op *op = req->save->op;
    assert_int_equal(op->kind_case, HOURBANK__OP__KIND_SERVICE);
    assert_int_equal(op->occurred_at, 1714555800);
    assert_string_equal(op->service->provider, "QX03-000128-4");
    assert_string_equal(op->service->recipient, GOOD_NO);
    assert_int_equal(op->service->minutes, 90);
    assert_string_equal(op->service->category, "companionship");
    assert_string_equal(op->service->note, "read the paper");
    hb_wire_free(&req);
    assert_output(RUN("gift", "--from", GOOD_NO, "--to", "QX03-000128-4", "--duration", "2h", "--reason",
                      "for my mother", "-c", conf, "--json"),
                  "{\n  \"op_ref\": \"7:42\",\n  \"station_id\": 7,\n  \"seq\": 42,\n  \"status\": \"pending\",\n"
                  "  \"repeated\": false,\n  \"dry_run\": false,\n  \"members\": [\n    {\n      \"role\": \"giver\",\n"
                  "      \"member_no\": \"" GOOD_NO "\",\n      \"name\": \"Wang Xiuying\"\n    },\n    {\n"
                  "      \"role\": \"receiver\",\n      \"member_no\": \"QX03-000128-4\",\n      \"name\": null\n"
                  "    }\n  ],\n  \"payer\": null,\n  \"payer_rule\": null,\n  \"cautions\": []\n}\n");
    req = fake_last(&g_fake);
    assert_int_equal(req->save->op->kind_case, HOURBANK__OP__KIND_GIFT);
    assert_int_equal(req->save->op->gift->minutes, 120);
    assert_string_equal(req->save->op->gift->reason, "for my mother");
    hb_wire_free(&req);
    assert_output(RUN("void", "3:17", "--reason", "entered twice", "-c", conf),
                  "saved as 7:42 (pending sync)\n  cancels 3:17\n");
    req = fake_last(&g_fake);
    assert_int_equal(req->save->op->kind_case, HOURBANK__OP__KIND_VOID_OP);
    assert_int_equal(req->save->op->void_op->target->station_id, 3);
    assert_int_equal(req->save->op->void_op->target->seq, 17);
    assert_string_equal(req->save->op->void_op->reason, "entered twice");
    hb_wire_free(&req);
    g_error_code = HB_RESULT_UNKNOWN_CATEGORY;
    snprintf(g_error_message, sizeof g_error_message,
             "service category \"gardening\" is not in the catalogue (see: hourbank categories)");
    assert_error(RUN("record", "--provider", "QX03-000128-4", "--recipient", GOOD_NO, "--duration", "90m",
                     "--category", "gardening", "-c", conf),
                 EX_DATAERR, "hourbank: the record was not saved: service category \"gardening\" is not in the "
                             "catalogue (see: hourbank categories) (UNKNOWN_CATEGORY)\n");
    g_error_code = HB_RESULT_UNKNOWN_MEMBER;
    snprintf(g_error_message, sizeof g_error_message, "member QX03-000128-4 is not registered");
    assert_error(RUN("record", "--provider", "QX03-000128-4", "--recipient", GOOD_NO, "--duration", "90m",
                     "--category", "companionship", "-c", conf),
                 EX_NOINPUT, "hourbank: the record was not saved: member QX03-000128-4 is not registered "
                             "(UNKNOWN_MEMBER)\n");
    g_error_code = 0;
    assert_int_equal(g_fake.requests, 6);  /* 5 saves, and the zone asked before reading --at */
    fake_stop(&g_fake);
}

static void
test_fake_balance(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_balance, false);
    const char *conf = station_yaml(g_fake.endpoint);
    assert_output(RUN("balance", "qx03-000127-6", "-c", conf),
                  "balance of Wang Xiuying (" GOOD_NO ")\n"
                  "  synced       12 h 30 min  with central, as of 2026-11-29 14:05\n"
                  "  pending in         0 min  saved here, not yet at central\n"
                  "  pending out  -1 h 30 min  saved here, not yet at central\n"
                  "  available           11 h  synced + pending in - pending out\n");
    assert_output(RUN("balance", GOOD_NO, "-c", conf, "--json"),
                  "{\n  \"member_no\": \"" GOOD_NO "\",\n  \"name\": \"Wang Xiuying\",\n  \"balance_minutes\": 750,\n"
                  "  \"pending_minutes\": -90,\n  \"as_of\": \"2026-11-29T14:05:00+00:00\",\n"
                  "  \"synced_minutes\": 750,\n  \"pending_in_minutes\": 0,\n  \"pending_out_minutes\": 90,\n"
                  "  \"available_minutes\": 660\n}\n");
    Hourbank__Envelope *req = fake_last(&g_fake);
    assert_int_equal(req->body_case, HOURBANK__ENVELOPE__BODY_BALANCE_QUERY);
    assert_string_equal(req->balance_query->member_no, GOOD_NO);
    hb_wire_free(&req);
    g_error_code = HB_RESULT_NOT_FOUND;
    snprintf(g_error_message, sizeof g_error_message, "no such member");
    assert_error(RUN("balance", GOOD_NO, "-c", conf), EX_NOINPUT,
                 "hourbank: member " GOOD_NO " not found at this station or in the last directory snapshot\n");
    g_error_code = 0;
    fake_stop(&g_fake);
}

static void
test_fake_members(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_members, false);
    const char *conf = station_yaml(g_fake.endpoint);
    g_member_count = 1;
    assert_output(RUN("member", "show", GOOD_NO, "-c", conf),
                  "member no   " GOOD_NO "\n"
                  "name        王秀英\n"
                  "role        elder\n"
                  "birth year  1938\n"
                  "family      QX03-000128-4\n"
                  "balance     2 h 30 min (as last synced)\n");
    assert_output(RUN("member", "show", GOOD_NO, "-c", conf, "--json"),
                  "{\n  \"member_no\": \"" GOOD_NO "\",\n  \"name\": \"王秀英\",\n  \"role\": \"elder\",\n"
                  "  \"birth_year\": 1938,\n  \"family_of\": \"QX03-000128-4\",\n  \"balance_minutes\": 150,\n"
                  "  \"left\": false,\n  \"family\": [],\n  \"numbers\": []\n}\n");
    /* a reply about another member is not this member */
    assert_error(RUN("member", "show", "QX03-000128-4", "-c", conf), EX_NOINPUT,
                 "hourbank: member QX03-000128-4 not found at this station or in the last directory snapshot\n");
    g_member_count = 2;
    assert_output(RUN("member", "find", "wei", "-c", conf),
                  "MEMBER NO      NAME    ROLE       BORN     BALANCE\n"
                  GOOD_NO "  王秀英  elder      1938  2 h 30 min\n"
                  "QX03-000128-4  Li Wei  volunteer  -          100 h\n");
    Hourbank__Envelope *req = fake_last(&g_fake);
    assert_string_equal(req->member_query->text, "wei");
    assert_string_equal(req->member_query->member_no, "");
    hb_wire_free(&req);
    assert_output(RUN("member", "find", "wei", "-c", conf, "--json"),
                  "{\n  \"members\": [\n    {\n      \"member_no\": \"" GOOD_NO "\",\n      \"name\": \"王秀英\",\n"
                  "      \"role\": \"elder\",\n      \"birth_year\": 1938,\n      \"family_of\": \"QX03-000128-4\",\n"
                  "      \"balance_minutes\": 150,\n      \"left\": false,\n      \"family\": [],\n      \"numbers\": []\n    },\n    {\n      \"member_no\": \"QX03-000128-4\",\n"
                  "      \"name\": \"Li Wei\",\n      \"role\": \"volunteer\",\n      \"birth_year\": null,\n"
                  "      \"family_of\": null,\n      \"balance_minutes\": 6000,\n      \"left\": false,\n"
                  "      \"family\": [],\n      \"numbers\": []\n    }\n  ],\n  \"more\": false\n}\n");
    g_member_count = 0;
    assert_output(RUN("member", "find", "zhang", "-c", conf), "no member found whose name contains \"zhang\"\n");
    assert_output(RUN("member", "find", "zhang", "-c", conf, "--json"), "{\n  \"members\": [],\n  \"more\": false\n}\n");
    /* a member number finds by number */
    assert_output(RUN("member", "find", GOOD_NO, "-c", conf), "no member found whose name contains \"" GOOD_NO "\"\n");
    req = fake_last(&g_fake);
    assert_string_equal(req->member_query->member_no, GOOD_NO);
    hb_wire_free(&req);
    g_member_count = 2;
    g_error_code = HB_RESULT_NOT_FOUND;
    assert_error(RUN("member", "show", GOOD_NO, "-c", conf), EX_NOINPUT,
                 "hourbank: member " GOOD_NO " not found at this station or in the last directory snapshot\n");
    g_error_code = 0;
    fake_stop(&g_fake);
}

static bool g_statement_empty;
static bool g_statement_more;  /* the fake's page is not the period's oldest */
static uint64_t g_statement_total;  /* entries_total when not 0 */

static void
respond_statement(const Hourbank__Envelope *req, Hourbank__Envelope *env)
{
    (void) req;
    static Hourbank__StatementReply r;
    static Hourbank__StatementEntry e[3];
    static Hourbank__StatementEntry *p[3];
    static Hourbank__OpRef ref, voided;
    static char no[] = GOOD_NO, other[] = "QX03-000128-4", service[] = "service", gift[] = "gift", cat[] = "meal-delivery",
                empty[] = "", name[] = "王秀英", other_name[] = "Zhang Wei", guarantee[] = "guarantee",
                provider[] = "provider", recipient[] = "recipient", receiver[] = "receiver", day1[] = "2026-11-28",
                day2[] = "2026-11-29", note[] = "for you", desk[] = "desk";
    if (answer_error(env))
        return;
    for (int i = 0; i < 3; i++) {
        hourbank__statement_entry__init(&e[i]);
        p[i] = &e[i];
        e[i].counterparty = other, e[i].counterparty_name = other_name, e[i].kind = service, e[i].category = cat;
        e[i].operator_ = desk;
    }
    hourbank__op_ref__init(&ref);
    ref.station_id = 1, ref.seq = 42;
    hourbank__op_ref__init(&voided);
    /* newest first, as central pages them: opening 30 + 90 + 120 - 60 = 180 */
    e[0].transfer_id = 9, e[0].posted_at = e[0].occurred_at = 1795961100, e[0].minutes = -60, e[0].op = &ref;
    e[0].role = recipient, e[0].paid_by = no, e[0].service_day = day2, e[0].balance_after = 180;
    e[1].transfer_id = 5, e[1].posted_at = e[1].occurred_at = 1795961100 - 86400, e[1].minutes = 90;
    e[1].role = provider, e[1].paid_by = guarantee, e[1].service_day = day1, e[1].balance_after = 120;
    e[2].transfer_id = 7, e[2].posted_at = 1795961100 - 3600, e[2].occurred_at = 0, e[2].minutes = 120;
    e[2].kind = gift, e[2].category = empty, e[2].role = receiver, e[2].note = note, e[2].balance_after = 240;
    e[2].voids = &voided;  /* station 0: no op reversed */
    hourbank__statement_reply__init(&r);
    r.member_no = no;
    r.member_name = name;
    r.entries = g_statement_empty ? NULL : p;
    r.n_entries = g_statement_empty ? 0 : 3;
    r.opening_minutes = 30, r.in_minutes = 210, r.out_minutes = 60, r.closing_minutes = 180;
    r.entries_total = g_statement_total ? g_statement_total : g_statement_empty ? 0 : g_statement_more ? 5 : 3;
    r.more = g_statement_more;
    r.next_before_id = g_statement_more ? 5 : 0;
    r.as_of = 1795961100 + 60;
    env->body_case = HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY;
    env->statement_reply = &r;
}

static void
test_fake_statement(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_statement, false);
    const char *conf = station_yaml(g_fake.endpoint);
    assert_output(RUN("statement", GOOD_NO, "--since", "2026-11-01", "-c", conf),
                  "statement of " GOOD_NO " 王秀英\n"
                  "period           from 2026-11-01\n"
                  "opening balance           30 min\n"
                  "in                   +3 h 30 min\n"
                  "out                         -1 h\n"
                  "closing balance              3 h\n"
                  "entries                        3\n"
                  "(closing balance as of 2026-11-29 14:06)\n"
                  "\n"
                  "POS  SERVICE DAY  KIND                   ROLE       WITH                     PAID BY        "
                  "     AMOUNT  BALANCE  OP    NOTE\n"
                  "  5  2026-11-28   service meal-delivery  provider   QX03-000128-4 Zhang Wei  the guarantee  "
                  "+1 h 30 min      2 h  -     -\n"
                  "  7  2026-11-29   gift                   receiver   QX03-000128-4 Zhang Wei  -              "
                  "       +2 h      4 h  -     for you\n"
                  "  9  2026-11-29   service meal-delivery  recipient  QX03-000128-4 Zhang Wei  own hours      "
                  "       -1 h      3 h  1:42  -\n");
    Hourbank__Envelope *req = fake_last(&g_fake);
    assert_string_equal(req->statement_query->member_no, GOOD_NO);
    assert_int_equal(req->statement_query->since, 1795961100 - 28 * 86400 - 14 * 3600 - 5 * 60);
    assert_int_equal(req->statement_query->from, req->statement_query->since);
    assert_int_equal(req->statement_query->until, 0);
    assert_int_equal(req->statement_query->before_id, 0);
    assert_int_equal(req->statement_query->limit, HB_PAGE_ENTRIES_DEFAULT);
    hb_wire_free(&req);
    run_t r = RUN("statement", GOOD_NO, "-c", conf, "--json");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "\"member_name\": \"王秀英\",\n  \"since\": null,\n  \"from\": null,\n"
                                  "  \"until\": null,\n"));
    assert_non_null(strstr(r.out, "\"opening_minutes\": 30,\n  \"in_minutes\": 210,\n  \"out_minutes\": 60,\n"
                                  "  \"closing_minutes\": 180,\n  \"entries_total\": 3,\n"
                                  "  \"entries\": [\n    {\n      \"transfer_id\": 5,\n"));
    assert_non_null(strstr(r.out, "\"occurred_at\": null,\n      \"service_day\": null,\n      \"kind\": \"gift\",\n"
                                  "      \"role\": \"receiver\",\n      \"category\": null,\n"
                                  "      \"counterparty\": \"QX03-000128-4\",\n"
                                  "      \"counterparty_name\": \"Zhang Wei\",\n      \"paid_by\": null,\n"
                                  "      \"minutes\": 120,\n      \"balance_after\": 240,\n"
                                  "      \"note\": \"for you\",\n      \"op_ref\": null,\n      \"voids\": null,\n"
                                  "      \"operator\": \"desk\"\n"));
    assert_non_null(strstr(r.out, "\"op_ref\": \"1:42\",\n      \"voids\": null,\n      \"operator\": \"desk\"\n"
                                  "    }\n  ],\n  \"more\": false,\n  \"next_before\": null\n}\n"));
    run_free(&r);
    /* a page with older entries: the exact command for them, the same period */
    g_statement_more = true;
    r = RUN("statement", GOOD_NO, "--from", "2026-11-01", "--until", "2026-11-30 12:00", "--limit", "3", "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "period           2026-11-01 to 2026-11-30 12:00\n"));
    assert_non_null(strstr(r.out, "\nolder entries not shown; to see them: hourbank statement " GOOD_NO
                                  " --from 2026-11-01 --until \"2026-11-30 12:00\" --limit 3 --before 5\n"));
    run_free(&r);
    req = fake_last(&g_fake);
    assert_int_equal(req->statement_query->until, 1796040000);  /* 2026-11-30 12:00 UTC */
    assert_int_equal(req->statement_query->limit, 3);
    hb_wire_free(&req);
    r = RUN("statement", GOOD_NO, "--until", "2026-11-29", "--before", "7", "-c", conf, "--json");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "\"until\": \"2026-11-30T00:00:00+00:00\""));  /* the end of the day */
    assert_non_null(strstr(r.out, "\"more\": true,\n  \"next_before\": 5\n}\n"));
    run_free(&r);
    req = fake_last(&g_fake);
    assert_int_equal(req->statement_query->until, 1795996800);  /* 2026-11-30 00:00 UTC */
    assert_int_equal(req->statement_query->before_id, 7);
    hb_wire_free(&req);
    g_statement_more = false;
    assert_error(RUN("statement", GOOD_NO, "--from", "2026-11-02", "--since", "2026-11-01", "-c", conf), EX_USAGE,
                 "hourbank: --since is another name for --from: give one of them (see hourbank statement --help)\n");
    assert_error(RUN("statement", GOOD_NO, "--before", "x", "-c", conf), EX_DATAERR,
                 "hourbank: \"x\" is not a position: write the number a statement shows, e.g. --before 1200\n");
    assert_error(RUN("statement", GOOD_NO, "--limit", "0", "-c", conf), EX_DATAERR,
                 "hourbank: --limit \"0\" is out of range: a page holds 1 to 200 entries\n");
    g_statement_empty = true;
    run_t e = RUN("statement", GOOD_NO, "-c", conf);
    assert_int_equal(e.rc, 0);
    if (!strstr(e.out, "\nentries                    0\n") || !strstr(e.out, "\n\nno entries\n"))
        fail_msg("%s", e.out);
    run_free(&e);
    assert_output(RUN("statement", GOOD_NO, "-c", conf, "--json"),
                  "{\n  \"member_no\": \"" GOOD_NO "\",\n  \"member_name\": \"王秀英\",\n  \"since\": null,\n"
                  "  \"from\": null,\n  \"until\": null,\n  \"as_of\": \"2026-11-29T14:06:00+00:00\",\n"
                  "  \"opening_minutes\": 30,\n  \"in_minutes\": 210,\n  \"out_minutes\": 60,\n"
                  "  \"closing_minutes\": 180,\n  \"entries_total\": 0,\n  \"entries\": [],\n  \"more\": false,\n"
                  "  \"next_before\": null\n}\n");
    g_statement_empty = false;
    g_error_code = HB_RESULT_UNAVAILABLE;
    assert_error(RUN("statement", GOOD_NO, "-c", conf), EX_UNAVAILABLE,
                 "hourbank: statements come from central, which this station cannot reach now: try again when "
                 "hourbank status shows the link up\n");
    g_error_code = 0;
    fake_stop(&g_fake);
}


/* What respond_passbook changes in respond_statement's page: nothing;
 * the newest entry care the guarantee paid; the widest amounts a reply
 * may hold (entries within an account's bounds, totals unbounded). */
static enum { PB_AS_STATEMENT, PB_GUARANTEE, PB_ABSURD } g_passbook_page;

static void
passbook_page(Hourbank__StatementReply *r)
{
    static char guarantee[] = "guarantee", recipient[] = "recipient", care[] = "personal-care";
    if (g_passbook_page == PB_GUARANTEE) {
        Hourbank__StatementEntry *e = r->entries[0];
        e->minutes = 0, e->paid_by = guarantee, e->role = recipient, e->category = care, e->balance_after = 240;
        r->out_minutes = 0, r->closing_minutes = 240;
    } else if (g_passbook_page == PB_ABSURD) {
        r->entries[0]->minutes = -HB_ACCOUNT_MINUTES_MAX, r->entries[0]->balance_after = -HB_ACCOUNT_MINUTES_MAX;
        r->entries[1]->balance_after = HB_ACCOUNT_MINUTES_MAX, r->entries[2]->minutes = HB_ACCOUNT_MINUTES_MAX;
        r->opening_minutes = -HB_ACCOUNT_MINUTES_MAX, r->in_minutes = INT64_MAX, r->out_minutes = INT64_MAX;
    }
}

/* The station answers RulesQuery with its name and community; every
 * other question as respond_statement (and passbook_page). */
static void
respond_passbook(const Hourbank__Envelope *req, Hourbank__Envelope *env)
{
    static Hourbank__RulesReply r;
    static Hourbank__CommunityInfo c[2];
    static Hourbank__CommunityInfo *cp[2];
    static char name[] = "Qingxi one", code[] = "QX03", other[] = "QH01", district[] = "GULOU", cname[] = "青溪社区",
                oname[] = "Qinhuai";
    if (req->body_case != HOURBANK__ENVELOPE__BODY_RULES_QUERY) {
        respond_statement(req, env);
        if (env->body_case == HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY && env->statement_reply->n_entries == 3)
            passbook_page(env->statement_reply);
        return;
    }
    hourbank__rules_reply__init(&r);
    for (int i = 0; i < 2; i++) {
        hourbank__community_info__init(&c[i]);
        cp[i] = &c[i];
        c[i].district = district;
    }
    c[0].code = other, c[0].name = oname;
    c[1].code = code, c[1].name = cname;
    r.communities = cp, r.n_communities = 2;
    r.station_id = 1, r.station_name = name, r.community = code, r.as_of = 1795961100;
    env->body_case = HOURBANK__ENVELOPE__BODY_RULES_REPLY;
    env->rules_reply = &r;
}

/* Every line of text is width columns. */
static void
assert_widths(const char *text, size_t width)
{
    char line[1024];
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        assert_true(n < sizeof line);
        memcpy(line, p, n);
        line[n] = '\0';
        if (hb_cli_utf8_width(line) != width)
            fail_msg("%zu columns, not %zu: \"%s\"\n%s", hb_cli_utf8_width(line), width, line, text);
        p += n + (p[n] == '\n');
    }
}

/* out holds needle (shown with out when not). */
static void
text_has(const char *out, const char *needle)
{
    if (!strstr(out, needle))
        fail_msg("lacks \"%s\":\n%s", needle, out);
}

static void
test_fake_passbook(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_passbook, false);
    const char *conf = station_yaml(g_fake.endpoint);
    run_t r = RUN("passbook", GOOD_NO, "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.err, "");
    assert_widths(r.out, 32);
    text_has(r.out, ("================================\n           Qingxi one           \n"
                                  "        青溪社区 (QX03)         \n       TIME BANK PASSBOOK       \n"));
    text_has(r.out, ("\nname: 王秀英                    \nmember no: " GOOD_NO "        \n"
                                  "period: all entries             \nas of: 2026-11-29 14:06         \n"));
    /* the entries' days, as the lines give no year */
    text_has(r.out, "\nas of: 2026-11-29 14:06         \ndays: 2026-11-28 to 2026-11-29  \n");
    /* one line per entry, posting order, H:MM; the 32 columns' signed
     * amount; the service gets what the amounts leave */
    text_has(r.out, ("\nhours (h:mm); + in, - out       \nDATE  SERVICE        +/- BALANCE\n"
                     "--------------------------------\n"
                     "11-28 meal-deliver +1:30    2:00\n"
                     "11-29 gift         +2:00    4:00\n"
                     "11-29 meal-deliver -1:00    3:00\n"
                     "--------------------------------\n"));
    text_has(r.out, ("\nopening balance             0:30\nhours in                    3:30\n"
                     "hours out                   1:00\nclosing balance             3:00\n"
                     "entries                        3\n================================\n"));
    assert_null(strstr(r.out, "* paid by the guarantee"));  /* no such entry: no footnote */
    run_free(&r);
    r = RUN("passbook", GOOD_NO, "--width", "48", "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_widths(r.out, 48);
    /* 48: the full date, in and out apart; no days line (the dates say) */
    text_has(r.out, ("\nas of: 2026-11-29 14:06                         \n"
                     "------------------------------------------------\nhours (h:mm)                                    \n"
                     "DATE       SERVICE               IN  OUT BALANCE\n"
                     "------------------------------------------------\n"
                     "2026-11-28 meal-delivery       1:30    -    2:00\n"
                     "2026-11-29 gift                2:00    -    4:00\n"
                     "2026-11-29 meal-delivery          - 1:00    3:00\n"
                     "------------------------------------------------\n"));
    run_free(&r);
    r = RUN("passbook", GOOD_NO, "--width", "48", "--lang", "zh_CN", "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_widths(r.out, 48);
    text_has(r.out, ("时间银行存折"));
    text_has(r.out, ("\n时长（小时:分钟）                               \n"
                     "日期       服务                   存入 支出 余额\n"
                     "------------------------------------------------\n"
                     "2026-11-28 meal-delivery          1:30    - 2:00\n"));
    text_has(r.out, "\n期末余额                                    3:00\n");
    run_free(&r);
    r = RUN("passbook", GOOD_NO, "--lang", "zh_CN", "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_widths(r.out, 32);
    /* narrower heads leave the service ten columns: the full date */
    assert_null(strstr(r.out, "日期："));
    text_has(r.out, ("\n时长（小时:分钟）；+存入，-支出 \n日期       服务         +/- 余额\n"
                     "--------------------------------\n2026-11-28 meal-deliv +1:30 2:00\n"
                     "2026-11-29 赠送       +2:00 4:00\n2026-11-29 meal-deliv -1:00 3:00\n"));
    run_free(&r);
    /* care the guarantee paid: still one line, marked, and the footnote */
    g_passbook_page = PB_GUARANTEE;
    r = RUN("passbook", GOOD_NO, "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_widths(r.out, 32);
    text_has(r.out, ("11-29 gift         +2:00    4:00\n11-29 personal-ca*  0:00    4:00\n"
                     "* paid by the guarantee         \n--------------------------------\n"));
    run_free(&r);
    r = RUN("passbook", GOOD_NO, "--width", "48", "--lang", "zh_CN", "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_widths(r.out, 48);
    text_has(r.out, ("\n2026-11-29 personal-care*            - 0:00 4:00\n"
                     "* 由保障账户支付                                \n"));
    run_free(&r);
    /* the widest amounts: still exactly the width, one line each, the
     * entries' amounts whole (the totals' columns give way) */
    g_passbook_page = PB_ABSURD;
    for (int w = 0; w < 2; w++) {
        r = RUN("passbook", GOOD_NO, "--width", w ? "48" : "32", "--lang", w ? "en" : "zh_CN", "-c", conf);
        assert_int_equal(r.rc, 0);
        assert_widths(r.out, w ? 48 : 32);
        text_has(r.out, w ? "\nas of: 2026-11-29 14:06                         \n-"
                          : "\n日期：2026-11-28 至 2026-11-29  \n");
        text_has(r.out, w ? ("\n2026-11-28 meal-d      1:30         -  100000:00\n"
                             "2026-11-29 gift   100000:00         -       4:00\n"
                             "2026-11-29 meal-d         - 100000:00 -100000:00\n")
                          : ("\n11-28 meal      +1:30  100000:00\n11-29 赠送 +100000:00       4:00\n"
                             "11-29 meal -100000:00 -100000:00\n"));
        text_has(r.out, "153722867280912930:07\n");  /* hours in */
        run_free(&r);
    }
    g_passbook_page = PB_AS_STATEMENT;
    /* the language is back for what follows */
    r = RUN("passbook", GOOD_NO, "--html", "-", "--paper", "a5", "-c", conf);
    assert_int_equal(r.rc, 0);
    text_has(r.out, ("<!DOCTYPE html>\n<html lang=\"en\">\n"));
    text_has(r.out, ("@page { size: A5 portrait;"));
    text_has(r.out, ("<h1>Qingxi one</h1>\n<p class=\"community\">青溪社区 (QX03)</p>\n"));
    text_has(r.out, ("<tr><td class=\"day\">2026-11-28</td><td>meal-delivery</td>"
                                  "<td class=\"num\">1 h 30 min</td><td class=\"num\">-</td>"
                                  "<td class=\"num\">2 h</td></tr>\n"));
    assert_null(strstr(r.out, "<script"));
    run_free(&r);
    Hourbank__Envelope *req = fake_last(&g_fake);
    assert_int_equal(req->body_case, HOURBANK__ENVELOPE__BODY_RULES_QUERY);
    hb_wire_free(&req);
    /* more than one page: every page is asked for, going back */
    g_statement_more = true;
    r = RUN("passbook", GOOD_NO, "-c", conf);
    assert_int_equal(r.rc, EX_PROTOCOL);  /* the fake gives next_before_id 5 every time: it does not go back */
    assert_string_equal(r.err, "hourbank: central's statement pages do not go back: next position 5 after 5\n");
    run_free(&r);
    g_statement_more = false;
    /* more than a passbook holds: said after the first page */
    g_statement_total = HB_CLI_PASSBOOK_ENTRIES_MAX + 1;
    assert_error(RUN("passbook", GOOD_NO, "-c", conf), EX_DATAERR,
                 "hourbank: the period holds more than 8000 entries, more than one passbook prints: print it in parts "
                 "with --from and --until\n");
    g_statement_total = 0;
    assert_error(RUN("passbook", GOOD_NO, "--lang", "fr", "-c", conf), EX_USAGE,
                 "hourbank: --lang \"fr\": a passbook is printed in zh_CN or en (see hourbank passbook --help)\n");
    assert_error(RUN("passbook", GOOD_NO, "--json", "-c", conf), EX_USAGE,
                 "hourbank: a passbook is text or HTML (--html); for JSON use hourbank statement --json (see hourbank "
                 "passbook --help)\n");
    fake_stop(&g_fake);
    /* a station with no copy of the rules (or older): its number, and a note */
    fake_start(&g_fake, respond_statement, false);
    conf = station_yaml(g_fake.endpoint);
    r = RUN("passbook", GOOD_NO, "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.err, "hourbank: note: the station does not say its name and community (it has no copy of "
                               "the district's rules yet, or runs an older hourbank-station); the passbook shows its "
                               "number instead\n");
    assert_widths(r.out, 32);
    text_has(r.out, "================================\n           station 7            \n       TIME BANK PASSBOOK");
    run_free(&r);
    fake_stop(&g_fake);
}

static bool g_queue_dismissed;  /* the fake station's rejection 40 was dismissed before */

static void
respond_queue(const Hourbank__Envelope *req, Hourbank__Envelope *env)
{
    static Hourbank__QueueReply r;
    static Hourbank__QueuedOp ops[2];
    static Hourbank__QueuedOp *p[2];
    static char up[] = "up", service[] = "service", s1[] = "QX03-000128-4 -> " GOOD_NO ", 1h 30m, companionship",
                s2[] = "QX03-000128-4 -> " GOOD_NO ", 20h, companionship", m2[] = "the payer holds 2h 30m",
                empty[] = "";
    if (answer_error(env))
        return;
    for (int i = 0; i < 2; i++) {
        hourbank__queued_op__init(&ops[i]);
        p[i] = &ops[i];
        ops[i].kind = service;
    }
    ops[0].seq = 41, ops[0].summary = s1, ops[0].saved_at = 1795961100 - 600, ops[0].message = empty;
    ops[1].seq = 40, ops[1].summary = s2, ops[1].saved_at = 1795961100 - 900, ops[1].message = m2;
    ops[1].result = HOURBANK__RESULT__INSUFFICIENT_BALANCE;
    hourbank__queue_reply__init(&r);
    r.pending = 1, r.rejected = 1, r.oldest_pending_at = 1795961100 - 600, r.last_sync = 1795961100 - 120;
    r.link = up, r.last_acked_seq = 40, r.central_high_water_mark = 40, r.time_zone = g_fake_zone;
    bool rejected_only = req->body_case == HOURBANK__ENVELOPE__BODY_QUEUE_QUERY && req->queue_query->rejected_only;
    r.ops = rejected_only ? &p[1] : p;
    r.n_ops = rejected_only ? 1 : 2;
    ops[1].dismissed = g_queue_dismissed;
    uint64_t seq = req->body_case == HOURBANK__ENVELOPE__BODY_QUEUE_QUERY ? req->queue_query->seq : 0;
    if (seq)  /* one op by its seq, as queue show and queue dismiss ask */
        r.ops = seq == 41 ? &p[0] : &p[1], r.n_ops = seq == 41 || seq == 40 ? 1 : 0;
    if (req->body_case == HOURBANK__ENVELOPE__BODY_DISMISS)
        r.rejected = 0, r.n_ops = 0;
    env->body_case = HOURBANK__ENVELOPE__BODY_QUEUE_REPLY;
    env->queue_reply = &r;
}

static void
test_fake_queue(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_queue, false);
    const char *conf = station_yaml(g_fake.endpoint);
    run_t r = RUN("queue", "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_true(strncmp(r.out, "link up, last sync 2026-11-29 14:03 (", 37) == 0);
    assert_non_null(strstr(r.out, "; 1 pending, 1 rejected\n"
                                  "OP    SAVED             KIND     STATUS    DETAILS\n"
                                  "7:41  2026-11-29 13:55  service  pending   QX03-000128-4 -> " GOOD_NO ", 1h 30m, "
                                  "companionship\n"
                                  "7:40  2026-11-29 13:50  service  rejected  QX03-000128-4 -> " GOOD_NO ", 20h, "
                                  "companionship: the payer holds 2h 30m (INSUFFICIENT_BALANCE)\n"
                                  "1 rejected: hourbank queue --rejected\n"));
    run_free(&r);
    r = RUN("queue", "--rejected", "-c", conf, "--json");
    assert_int_equal(r.rc, 0);
    static const char head[] = "{\n  \"station_id\": 7,\n  \"link\": \"up\",\n  \"time_zone\": \"UTC\",\n"
                               "  \"pending\": 1,\n  \"rejected\": 1,\n"
                               "  \"last_sync\": \"2026-11-29T14:03:00+00:00\",\n"
                               "  \"oldest_pending_at\": \"2026-11-29T13:55:00+00:00\",\n  \"lag_seconds\": ";
    assert_true(strncmp(r.out, head, strlen(head)) == 0);
    assert_non_null(strstr(r.out, "  \"last_acked_seq\": 40,\n  \"central_high_water_mark\": 40,\n  \"changed\": 0,\n"
                                  "  \"alert\": null,\n  \"saves_blocked\": false,\n  \"ops\": [\n"
                                  "    {\n      \"seq\": 40,\n      \"op_ref\": \"7:40\",\n      \"kind\": \"service\",\n"));
    assert_non_null(strstr(r.out, "      \"status\": \"rejected\",\n      \"result\": \"INSUFFICIENT_BALANCE\",\n"
                                  "      \"code\": 12,\n      \"message\": \"the payer holds 2h 30m\",\n"
                                  "      \"note\": null,\n      \"operator\": null,\n      \"params\": {},\n      \"acked_at\": null,\n      \"transfer_id\": null,\n"
                                  "      \"request_id\": null,\n      \"dismissed\": false,\n      \"changed\": false,\n"
                                  "      \"prior_result\": null,\n      \"prior_code\": null,\n"
                                  "      \"prior_message\": null\n    }\n  ]\n}\n"));
    run_free(&r);
    Hourbank__Envelope *req = fake_last(&g_fake);
    assert_true(req->queue_query->rejected_only);
    hb_wire_free(&req);
    r = RUN("status", "-c", conf);
    assert_int_equal(r.rc, 0);
    char expected[512];
    snprintf(expected, sizeof expected, "station       7 at %s\nlink          up\n"
             "time zone     UTC (the district's, from central)\nlast sync     2026-11-29 14:03 (", g_fake.endpoint);
    assert_true(strncmp(r.out, expected, strlen(expected)) == 0);
    assert_non_null(strstr(r.out, ")\nlag           "));
    assert_non_null(strstr(r.out, " (the oldest operation not yet at central)\n"
                                  "pending       1, oldest saved 2026-11-29 13:55 ("));
    assert_non_null(strstr(r.out, "rejected      1 (see hourbank queue --rejected)\n"
                                  "acknowledged  up to seq 40 (central's high-water mark: 40)\n"));
    run_free(&r);
    r = RUN("status", "-c", conf, "--json");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "\"pending\": 1,\n  \"rejected\": 1,\n  \"last_sync\": \"2026-11-29T14:03:00+00:00\""));
    assert_null(strstr(r.out, "\"ops\""));
    run_free(&r);
    assert_output(RUN("queue", "dismiss", "40", "-c", conf), "dismissed 7:40; 0 rejected left\n");
    req = fake_last(&g_fake);
    assert_int_equal(req->body_case, HOURBANK__ENVELOPE__BODY_DISMISS);
    assert_int_equal(req->dismiss->seq, 40);
    hb_wire_free(&req);
    /* the form the queue prints */
    assert_output(RUN("queue", "dismiss", "7:40", "-c", conf), "dismissed 7:40; 0 rejected left\n");
    req = fake_last(&g_fake);
    assert_int_equal(req->body_case, HOURBANK__ENVELOPE__BODY_DISMISS);
    assert_int_equal(req->dismiss->seq, 40);
    hb_wire_free(&req);
    /* another station's op: refused before the station is asked */
    assert_error(RUN("queue", "dismiss", "8:40", "-c", conf), EX_NOINPUT,
                 "hourbank: could not dismiss 8:40: operation 8:40 was saved at station 8, this is station 7: ask "
                 "that station\n");
    /* a pending op: nothing dismissed, and the station is not asked to */
    assert_error(RUN("queue", "dismiss", "7:41", "-c", conf), EX_NOINPUT,
                 "hourbank: could not dismiss 7:41: nothing dismissed: it is pending, not rejected (only rejected "
                 "operations are dismissed)\n");
    req = fake_last(&g_fake);
    assert_int_equal(req->body_case, HOURBANK__ENVELOPE__BODY_QUEUE_QUERY);
    assert_int_equal(req->queue_query->seq, 41);
    hb_wire_free(&req);
    g_queue_dismissed = true;
    assert_output(RUN("queue", "dismiss", "40", "-c", conf), "nothing dismissed: 7:40 was dismissed before; "
                                                             "1 rejected left\n");
    req = fake_last(&g_fake);
    assert_int_equal(req->body_case, HOURBANK__ENVELOPE__BODY_QUEUE_QUERY);
    hb_wire_free(&req);
    g_queue_dismissed = false;
    g_error_code = HB_RESULT_NOT_FOUND;
    snprintf(g_error_message, sizeof g_error_message, "seq 39 is not a rejected operation");
    assert_error(RUN("queue", "dismiss", "39", "-c", conf), EX_NOINPUT,
                 "hourbank: could not dismiss 7:39: seq 39 is not a rejected operation (NOT_FOUND)\n");
    g_error_code = 0;
    fake_stop(&g_fake);
}

/* The station's district's zone, not this PC's, for every date read and
 * time printed (issue 12, item 3): the PC runs in New York, the fake
 * station says Asia/Shanghai. */
static void
test_fake_local_days(void **state)
{
    (void) state;
    if (!have_zone("Asia/Shanghai") || !have_zone("America/New_York"))
        skip();
    fake_start(&g_fake, respond_statement, false);
    const char *conf = station_yaml(g_fake.endpoint);
    snprintf(g_fake_zone, sizeof g_fake_zone, "Asia/Shanghai");
    /* "2026-11-01" is Shanghai's midnight: 2026-10-31 16:00 UTC (1793491200 is 2026-11-01 00:00 UTC) */
    use_tz("America/New_York");
    run_t r = RUN("statement", GOOD_NO, "--since", "2026-11-01", "-c", conf);
    if (r.rc != 0 || r.err[0])
        print_error("rc=%d err=%s", r.rc, r.err);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.err, "");
    assert_non_null(strstr(r.out, "period           from 2026-11-01\n"));
    assert_non_null(strstr(r.out, "(closing balance as of 2026-11-29 22:06)\n"));  /* Shanghai's clock */
    run_free(&r);
    Hourbank__Envelope *req = fake_last(&g_fake);
    assert_int_equal(req->statement_query->since, 1793491200 - 8 * 3600);
    hb_wire_free(&req);
    use_tz("America/New_York");
    r = RUN("statement", GOOD_NO, "-c", conf, "--json");
    assert_non_null(strstr(r.out, "\"occurred_at\": \"2026-11-29T22:05:00+08:00\""));
    run_free(&r);
    /* the station does not know yet: New York, said once */
    g_fake_zone[0] = '\0';
    use_tz("America/New_York");
    r = RUN("statement", GOOD_NO, "--since", "2026-11-01", "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.err, "hourbank: note: the station does not know its district's time zone yet (it learns it "
                               "from central when it next connects); dates and times here are in this computer's "
                               "time zone (America/New_York)\n");
    assert_non_null(strstr(r.out, "(closing balance as of 2026-11-29 09:06)\n"));
    run_free(&r);
    req = fake_last(&g_fake);
    assert_int_equal(req->statement_query->since, 1793491200 + 4 * 3600);  /* still EDT: the clocks go back at 02:00 */
    hb_wire_free(&req);
    /* a zone this PC lacks: its own, said */
    snprintf(g_fake_zone, sizeof g_fake_zone, "Mars/Olympus_Mons");
    use_tz("America/New_York");
    r = RUN("statement", GOOD_NO, "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.err, "hourbank: note: the time zone Mars/Olympus_Mons is not installed on this computer "
                               "(install the tzdata package); dates and times here are in this computer's time "
                               "zone (America/New_York)\n");
    run_free(&r);
    /* a station older than the question */
    g_zone_unsupported = true;
    use_tz("America/New_York");
    r = RUN("statement", GOOD_NO, "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.err, "hourbank: note: the station does not say its district's time zone (it runs an older "
                               "hourbank-station); dates and times here are in this computer's time zone "
                               "(America/New_York)\n");
    run_free(&r);
    fake_stop(&g_fake);

    /* --at is Shanghai's wall clock: 09:30 there is 01:30 UTC */
    g_zone_unsupported = false;
    snprintf(g_fake_zone, sizeof g_fake_zone, "Asia/Shanghai");
    fake_start(&g_fake, respond_save, false);
    use_tz("America/New_York");
    assert_output(RUN("record", "--provider", "QX03-000128-4", "--recipient", GOOD_NO, "--duration", "1h",
                      "--category", "companionship", "--at", "2024-05-01 09:30", "-c", conf),
                  "saved as 7:42 (pending sync)\n  QX03-000128-4 served Wang Xiuying (" GOOD_NO ") for 1 h (companionship)\n");
    req = fake_last(&g_fake);
    assert_int_equal(req->save->op->occurred_at, 1714555800 - 8 * 3600);
    hb_wire_free(&req);
    fake_stop(&g_fake);

    /* the station's queue says its zone: no question asked */
    fake_start(&g_fake, respond_queue, false);
    use_tz("America/New_York");
    r = RUN("queue", "--rejected", "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.err, "");
    assert_true(strncmp(r.out, "link up, last sync 2026-11-29 22:03 (", 37) == 0);
    run_free(&r);
    assert_int_equal(g_fake.requests, 1);
    fake_stop(&g_fake);
}

static void
respond_categories(const Hourbank__Envelope *req, Hourbank__Envelope *env)
{
    (void) req;
    static Hourbank__CategoriesReply r;
    static Hourbank__Category c[2];
    static Hourbank__Category *p[2];
    static char n1[] = "companionship", d1[] = "visits, walks, conversation", n2[] = "meal-delivery", d2[] = "";
    hourbank__category__init(&c[0]);
    hourbank__category__init(&c[1]);
    c[0].name = n1, c[0].description = d1, c[1].name = n2, c[1].description = d2;
    p[0] = &c[0], p[1] = &c[1];
    hourbank__categories_reply__init(&r);
    r.categories = p;
    r.n_categories = 2;
    env->body_case = HOURBANK__ENVELOPE__BODY_CATEGORIES_REPLY;
    env->categories_reply = &r;
}

static void
test_fake_categories(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_categories, false);
    const char *conf = station_yaml(g_fake.endpoint);
    assert_output(RUN("categories", "-c", conf), "CATEGORY       DESCRIPTION\n"
                                                 "companionship  visits, walks, conversation\n"
                                                 "meal-delivery\n");
    assert_output(RUN("categories", "-c", conf, "--json"),
                  "{\n  \"categories\": [\n    {\n      \"name\": \"companionship\",\n"
                  "      \"description\": \"visits, walks, conversation\"\n    },\n    {\n"
                  "      \"name\": \"meal-delivery\",\n      \"description\": \"\"\n    }\n  ]\n}\n");
    fake_stop(&g_fake);
}

/* Replies for other requests, broken replies, no replies. */
static void
test_fake_transport(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_balance, false);
    const char *conf = station_yaml(g_fake.endpoint);
    g_fake.stale_first = true;
    run_t r = RUN("balance", GOOD_NO, "-c", conf, "--json");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "\"balance_minutes\": 750"));
    run_free(&r);
    g_fake.stale_first = false;
    g_fake.garbage = true;
    r = RUN("balance", GOOD_NO, "-c", conf);
    assert_int_equal(r.rc, EX_PROTOCOL);
    assert_string_equal(r.out, "");
    assert_true(strncmp(r.err, "hourbank: the station at ipc://", 31) == 0);
    assert_non_null(strstr(r.err, " answered with nonsense: the reply is not valid: "));
    run_free(&r);
    g_fake.garbage = false;
    /* an answer of the wrong kind */
    r = RUN("queue", "-c", conf);
    assert_int_equal(r.rc, EX_PROTOCOL);
    assert_non_null(strstr(r.err, "hourbank: could not read the queue: the answer is of the wrong kind"));
    run_free(&r);
    g_fake.silent = true;
    g_timeout_ms = 300;
    char expected[512];
    snprintf(expected, sizeof expected, "hourbank: the station at %s does not answer: is hourbank-station running?\n",
             g_fake.endpoint);
    assert_error(RUN("balance", GOOD_NO, "-c", conf), EX_UNAVAILABLE, expected);
    g_timeout_ms = 2000;
    fake_stop(&g_fake);
    /* the station gone: its socket file is gone too */
    assert_error(RUN("balance", GOOD_NO, "-c", conf), EX_UNAVAILABLE, expected);
    /* a station.yaml that does not exist */
    assert_error(RUN("balance", GOOD_NO, "-c", "/nonexistent/station.yaml"), EX_CONFIG,
                 "hourbank: /nonexistent/station.yaml: could not open file: No such file or directory (name the "
                 "station with --station ENDPOINT or its station.yaml with -c FILE)\n");
    unlink(conf);
}

/* ---- saves that may have been made: request ids and the resend ---- */

static bool
is_hex32(const char *s)
{
    return strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32;
}

#define RECORD_ARGS "record", "--provider", "QX03-000128-4", "--recipient", GOOD_NO, "--duration", "1h", \
                    "--category", "companionship"
/* What RECORD_ARGS prints under "saved as": the fake station names GOOD_NO only. */
#define RECORD_SAID "  QX03-000128-4 served Wang Xiuying (" GOOD_NO ") for 1 h (companionship)\n"

static void
test_fake_save_request_ids(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_save, false);
    const char *conf = station_yaml(g_fake.endpoint);
    /* every save carries a fresh random id */
    assert_output(RUN(RECORD_ARGS, "-c", conf), "saved as 7:42 (pending sync)\n" RECORD_SAID);
    assert_output(RUN(RECORD_ARGS, "-c", conf), "saved as 7:42 (pending sync)\n" RECORD_SAID);
    assert_int_equal(g_fake.saves, 2);
    assert_true(is_hex32(g_fake.save_ids[0]));
    assert_true(is_hex32(g_fake.save_ids[1]));
    assert_string_not_equal(g_fake.save_ids[0], g_fake.save_ids[1]);
    /* --request-id is sent as typed, on every save command */
    assert_output(RUN(RECORD_ARGS, "--request-id", "abc-1", "-c", conf), "saved as 7:42 (pending sync)\n" RECORD_SAID);
    assert_output(RUN("gift", "--from", GOOD_NO, "--to", "QX03-000128-4", "--duration", "1h", "--reason", "x",
                      "--request-id", "abc-2", "-c", conf),
                  "saved as 7:42 (pending sync)\n  Wang Xiuying (" GOOD_NO ") gives 1 h to QX03-000128-4\n");
    assert_output(RUN("void", "7:41", "--reason", "x", "--request-id", "abc-3", "-c", conf),
                  "saved as 7:42 (pending sync)\n  cancels 7:41\n");
    assert_output(RUN("member", "add", "--name", "Li Wei", "--role", "volunteer", "--request-id", "abc-4", "-c",
                      conf),
                  GOOD_NO " registered, saved as 7:42 (pending sync)\n  Li Wei (" GOOD_NO ")\n");
    assert_int_equal(g_fake.saves, 6);
    assert_string_equal(g_fake.save_ids[2], "abc-1");
    assert_string_equal(g_fake.save_ids[5], "abc-4");
    /* a bad id is refused before the station is asked */
    assert_error(RUN(RECORD_ARGS, "--request-id", "two words", "-c", conf), EX_DATAERR,
                 "hourbank: \"two words\" is not a request id: give the --request-id printed when the save may "
                 "have been made (1 to 64 letters, digits, '.', '_', ':' or '-')\n");
    assert_int_equal(g_fake.saves, 6);
    /* the station saw the id before: an earlier run saved it */
    g_save_repeated = true;
    assert_output(RUN(RECORD_ARGS, "--request-id", "abc-1", "-c", conf),
                  "already saved as 7:42 by an earlier attempt with this request id: nothing new was saved (see "
                  "hourbank queue show 7:42)\n" RECORD_SAID);
    assert_output(RUN("member", "add", "--name", "Li Wei", "--role", "volunteer", "--request-id", "abc-4", "-c",
                      conf, "--json"),
                  "{\n  \"member_no\": \"" GOOD_NO "\",\n  \"op_ref\": \"7:42\",\n  \"station_id\": 7,\n"
                  "  \"seq\": 42,\n  \"status\": \"pending\",\n  \"repeated\": true,\n  \"dry_run\": false,\n"
                  "  \"members\": [\n    {\n      \"role\": \"member\",\n      \"member_no\": \"" GOOD_NO "\",\n"
                  "      \"name\": \"Li Wei\"\n    }\n  ],\n  \"payer\": null,\n  \"payer_rule\": null,\n"
                  "  \"cautions\": []\n}\n");
    /* the id reused for other work is the operator's mistake */
    g_error_code = HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD;
    snprintf(g_error_message, sizeof g_error_message, "request id \"abc-1\" was used for other work");
    assert_error(RUN(RECORD_ARGS, "--request-id", "abc-1", "-c", conf), EX_DATAERR,
                 "hourbank: the record was not saved: request id \"abc-1\" was used for other work "
                 "(EXISTS_WITH_DIFFERENT_PAYLOAD)\n");
    g_error_code = 0;
    g_save_repeated = false;
    fake_stop(&g_fake);
}

static void
test_fake_save_resent(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_save, false);
    const char *conf = station_yaml(g_fake.endpoint);
    g_timeout_ms = 300;
    /* the first send is not answered, the resend is: the station recognised
     * the id, and that save is this run's own */
    g_fake.silent_first = 1;
    g_save_repeated = true;
    assert_output(RUN(RECORD_ARGS, "-c", conf), "saved as 7:42 (pending sync)\n" RECORD_SAID);
    assert_int_equal(g_fake.saves, 2);
    assert_true(is_hex32(g_fake.save_ids[0]));
    assert_string_equal(g_fake.save_ids[0], g_fake.save_ids[1]);  /* the SAME request */
    assert_true(g_fake.save_corr[0] == g_fake.save_corr[1]);
    g_save_repeated = false;
    /* no answer at all: it may have been saved; how to look, how to retry */
    g_fake.silent = true;
    run_t r = RUN(RECORD_ARGS, "--note", "read the paper\nand tea", "-c", conf);
    assert_int_equal(g_fake.saves, 4);
    assert_string_equal(g_fake.save_ids[2], g_fake.save_ids[3]);
    char want[1024];
    snprintf(want, sizeof want, "hourbank: the record may have been saved: the station at %s did not answer in time "
                                "(sent 2 times, waited 300ms each); before entering it again, look for it with "
                                "hourbank queue find --note 'read the paper' or hourbank queue; or run the same "
                                "command again with --request-id %s: the station saves it at most once\n",
             g_fake.endpoint, g_fake.save_ids[2]);
    assert_error(r, EX_TEMPFAIL, want);
    /* the printed id is the one to give: it is sent as it is */
    r = RUN(RECORD_ARGS, "--request-id", g_fake.save_ids[2], "-c", conf);
    assert_int_equal(r.rc, EX_TEMPFAIL);
    assert_non_null(strstr(r.err, g_fake.save_ids[2]));
    run_free(&r);
    assert_string_equal(g_fake.save_ids[4], g_fake.save_ids[2]);
    /* a registration: look for the name; a reason is cut before a quote */
    r = RUN("member", "add", "--name", "Li Wei", "--role", "volunteer", "-c", conf);
    assert_int_equal(r.rc, EX_TEMPFAIL);
    static const char reg_head[] = "hourbank: the registration may have been saved: ";
    assert_true(strncmp(r.err, reg_head, strlen(reg_head)) == 0);
    assert_non_null(strstr(r.err, "look for it with hourbank member find 'Li Wei' or hourbank queue; "));
    run_free(&r);
    r = RUN("gift", "--from", GOOD_NO, "--to", "QX03-000128-4", "--duration", "1h", "--reason", "for mum's care",
            "-c", conf);
    assert_non_null(strstr(r.err, "hourbank: the gift may have been saved: "));
    assert_non_null(strstr(r.err, "look for it with hourbank queue find --note 'for mum' or hourbank queue; "));
    run_free(&r);
    r = RUN(RECORD_ARGS, "-c", conf);  /* no note: the pending list */
    assert_non_null(strstr(r.err, "; before entering it again, look for it with hourbank queue; or run "));
    run_free(&r);
    /* a query is never resent and keeps its words */
    int before = g_fake.requests;
    snprintf(want, sizeof want, "hourbank: the station at %s does not answer: is hourbank-station running?\n",
             g_fake.endpoint);
    assert_error(RUN("balance", GOOD_NO, "-c", conf), EX_UNAVAILABLE, want);
    assert_int_equal(g_fake.requests, before + 1);
    g_timeout_ms = 2000;
    fake_stop(&g_fake);
}

/* ---- queue show, queue find, queue --changed, notices ---- */

static bool g_notices;  /* the fake station reports saves blocked, a changed op and an alert */

static void
respond_lookup(const Hourbank__Envelope *req, Hourbank__Envelope *env)
{
    static Hourbank__QueueReply r;
    static Hourbank__QueuedOp op;
    static Hourbank__QueuedOp *p[1];
    static char up[] = "up", service[] = "service", summary[] = "QX03-000128-4 -> " GOOD_NO ", 1h 30m, companionship",
                note[] = "50% off_peak", now[] = "the payer holds 0m", empty[] = "", rid[] = "0123abcd",
                alert[] = "central is behind this station: it lost acknowledged work", nf[] = "station 7 has not "
                                                                                             "saved seq 99 (its last "
                                                                                             "is 41)";
    const Hourbank__QueueQuery *q = req->queue_query;
    if (q->seq && q->seq != 41) {
        g_error_code = HB_RESULT_NOT_FOUND;
        snprintf(g_error_message, sizeof g_error_message, "%s", nf);
        answer_error(env);
        g_error_code = 0;
        return;
    }
    hourbank__queued_op__init(&op);
    op.seq = 41, op.kind = service, op.summary = summary, op.saved_at = 1795961100 - 600, op.note = note;
    op.result = HOURBANK__RESULT__INSUFFICIENT_BALANCE, op.message = now, op.acked_at = 1795961100 - 300;
    op.request_id = rid, op.prior_result = HOURBANK__RESULT__OK, op.prior_message = empty, op.dismissed = true;
    p[0] = &op;
    hourbank__queue_reply__init(&r);
    r.link = up, r.last_sync = 1795961100 - 120, r.last_acked_seq = 41, r.central_high_water_mark = 41;
    r.station_id = 7, r.time_zone = g_fake_zone;
    r.changed = g_notices ? 1 : 0, r.alert = g_notices ? alert : empty, r.saves_blocked = g_notices;
    bool none = q->note_contains[0] && !strstr(note, q->note_contains);
    r.ops = none ? NULL : p;
    r.n_ops = none ? 0 : 1;
    env->body_case = HOURBANK__ENVELOPE__BODY_QUEUE_REPLY;
    env->queue_reply = &r;
}

static void
test_fake_queue_show(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_lookup, false);
    const char *conf = station_yaml(g_fake.endpoint);
    static const char shown[] =
        "op            7:41\n"
        "kind          service\n"
        "summary       QX03-000128-4 -> " GOOD_NO ", 1h 30m, companionship\n"
        "note          50% off_peak\n"
        "status        rejected, dismissed, changed when resent\n"
        "saved         2026-11-29 13:55\n"
        "acknowledged  2026-11-29 14:00\n"
        "result        INSUFFICIENT_BALANCE (12): the payer holds 0m\n"
        "transfer      -\n"
        "request id    0123abcd\n"
        "entered by    -\n"
        "changed       central answered OK when first sent, INSUFFICIENT_BALANCE: the payer holds 0m when resent\n";
    assert_output(RUN("queue", "show", "7:41", "-c", conf), shown);
    Hourbank__Envelope *req = fake_last(&g_fake);
    assert_int_equal(req->queue_query->seq, 41);
    assert_false(req->queue_query->changed_only);
    assert_string_equal(req->queue_query->note_contains, "");
    hb_wire_free(&req);
    assert_output(RUN("queue", "show", "41", "-c", conf), shown);
    assert_output(RUN("queue", "show", "41", "-c", conf, "--json"),
                  "{\n  \"seq\": 41,\n  \"op_ref\": \"7:41\",\n  \"kind\": \"service\",\n"
                  "  \"summary\": \"QX03-000128-4 -> " GOOD_NO ", 1h 30m, companionship\",\n"
                  "  \"saved_at\": \"2026-11-29T13:55:00+00:00\",\n  \"status\": \"rejected\",\n"
                  "  \"result\": \"INSUFFICIENT_BALANCE\",\n  \"code\": 12,\n  \"message\": \"the payer holds 0m\",\n"
                  "  \"note\": \"50% off_peak\",\n  \"operator\": null,\n  \"params\": {},\n  \"acked_at\": \"2026-11-29T14:00:00+00:00\",\n"
                  "  \"transfer_id\": null,\n  \"request_id\": \"0123abcd\",\n  \"dismissed\": true,\n"
                  "  \"changed\": true,\n  \"prior_result\": \"OK\",\n  \"prior_code\": 1,\n"
                  "  \"prior_message\": null\n}\n");
    /* another station's op (not asked for), a seq the station does not hold, not a reference */
    int asked = g_fake.requests;
    assert_error(RUN("queue", "show", "3:41", "-c", conf), EX_NOINPUT,
                 "hourbank: could not show 3:41: operation 3:41 was saved at station 3, this is station 7: ask that "
                 "station\n");
    assert_int_equal(g_fake.requests, asked);
    /* without station.yaml the station's answer says which station it is */
    char again[512];
    snprintf(again, sizeof again, "hourbank: could not show 3:41: operation 3:41 was saved at station 3, this is "
                                  "station 7: ask that station\n");
    assert_error(RUN("queue", "show", "3:41", "--station", g_fake.endpoint), EX_NOINPUT, again);
    assert_int_equal(g_fake.requests, asked + 1);
    assert_error(RUN("queue", "show", "99", "-c", conf), EX_NOINPUT,
                 "hourbank: could not show 99: station 7 has not saved seq 99 (its last is 41) (NOT_FOUND)\n");
    int before = g_fake.requests;
    assert_error(RUN("queue", "show", "1:x", "-c", conf), EX_DATAERR,
                 "hourbank: \"1:x\" is not an operation: write STATION:SEQ as printed when it was saved, e.g. 1:57, "
                 "or the SEQ alone\n");
    assert_int_equal(g_fake.requests, before);
    fake_stop(&g_fake);
}

static void
test_fake_queue_find_changed(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_lookup, false);
    const char *conf = station_yaml(g_fake.endpoint);
    run_t r = RUN("queue", "find", "--note", "50% off_", "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "1 operation whose note contains \"50% off_\", newest first\n"
                               "OP    SAVED             KIND     STATUS                                    NOTE          "
                               "DETAILS\n"
                               "7:41  2026-11-29 13:55  service  rejected, dismissed, changed when resent  "
                               "50% off_peak  QX03-000128-4 -> " GOOD_NO ", 1h 30m, companionship\n");
    run_free(&r);
    Hourbank__Envelope *req = fake_last(&g_fake);
    assert_string_equal(req->queue_query->note_contains, "50% off_");
    assert_int_equal(req->queue_query->seq, 0);
    hb_wire_free(&req);
    assert_output(RUN("queue", "find", "--note", "送餐", "-c", conf),
                  "no operation held at this station has a note containing \"送餐\"\n");
    r = RUN("queue", "find", "--note", "off", "-c", conf, "--json");
    assert_int_equal(r.rc, 0);
    static const char found_head[] = "{\n  \"station_id\": 7,\n  \"note_contains\": \"off\",\n"
                                     "  \"order\": \"newest_first\",\n  \"more\": false,\n  \"ops\": [\n    {\n"
                                     "      \"seq\": 41,\n";
    assert_true(strncmp(r.out, found_head, strlen(found_head)) == 0);
    run_free(&r);
    assert_error(RUN("queue", "find", "--note", "", "-c", conf), EX_DATAERR, "hourbank: --note must not be empty\n");
    char long_text[HB_SEARCH_BYTES_MAX + 2];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    assert_error(RUN("queue", "find", "--note", long_text, "-c", conf), EX_DATAERR,
                 "hourbank: --note is 65 bytes long, the limit is 64: shorten it\n");
    assert_error(RUN("queue", "find", "-c", conf), EX_USAGE,
                 "hourbank: queue find needs --note TEXT (see hourbank queue find --help)\n");
    /* ops that changed when resent */
    r = RUN("queue", "--changed", "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "7:41  2026-11-29 13:55  service  rejected  QX03-000128-4 -> " GOOD_NO ", 1h 30m, "
                                  "companionship: central answered OK when first sent, INSUFFICIENT_BALANCE: the "
                                  "payer holds 0m when resent\n"
                                  "central lost these acknowledgements"));
    run_free(&r);
    req = fake_last(&g_fake);
    assert_true(req->queue_query->changed_only);
    assert_false(req->queue_query->rejected_only);
    hb_wire_free(&req);
    r = RUN("queue", "--changed", "-c", conf, "--json");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "\"changed\": true,\n      \"prior_result\": \"OK\",\n      \"prior_code\": 1,\n"));
    run_free(&r);
    assert_error(RUN("queue", "--changed", "--rejected", "-c", conf), EX_USAGE,
                 "hourbank: --rejected and --changed are two different lists: give one (see hourbank queue --help)\n");
    fake_stop(&g_fake);
}

static void
test_fake_status_notices(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_lookup, false);
    const char *conf = station_yaml(g_fake.endpoint);
    /* none set: no extra rows, the keys still in --json */
    run_t r = RUN("status", "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_null(strstr(r.out, "saves"));
    assert_null(strstr(r.out, "alert"));
    run_free(&r);
    r = RUN("status", "-c", conf, "--json");
    assert_non_null(strstr(r.out, "  \"changed\": 0,\n  \"alert\": null,\n  \"saves_blocked\": false\n}\n"));
    run_free(&r);
    g_notices = true;
    r = RUN("status", "-c", conf);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "acknowledged  up to seq 41 (central's high-water mark: 41)\n"
                                  "saves         blocked: saves wait for central: the station was restored from a "
                                  "backup\n"
                                  "changed       1 operation changed result when resent to central (see hourbank "
                                  "queue --changed)\n"
                                  "alert         central is behind this station: it lost acknowledged work\n"));
    run_free(&r);
    r = RUN("status", "-c", conf, "--json");
    assert_non_null(strstr(r.out, "  \"changed\": 1,\n  \"alert\": \"central is behind this station: it lost "
                                  "acknowledged work\",\n  \"saves_blocked\": true\n}\n"));
    run_free(&r);
    r = RUN("queue", "-c", conf);
    assert_non_null(strstr(r.out, "; 0 pending, 0 rejected\n"
                                  "saves wait for central: the station was restored from a backup\n"
                                  "1 operation changed result when resent to central: see hourbank queue --changed\n"
                                  "alert: central is behind this station: it lost acknowledged work\nOP "));
    run_free(&r);
    g_notices = false;
    fake_stop(&g_fake);
}

/* ---- admin commands against a fake central over CURVE ---- */

static bool g_verify_ok = true;

static void
respond_central(const Hourbank__Envelope *req, Hourbank__Envelope *env)
{
    static Hourbank__StationsReply sr;
    static Hourbank__StationInfo st[2];
    static Hourbank__StationInfo *sp[2];
    static Hourbank__VerifyReply vr;
    static char n1[] = "Fuzimiao Station", n2[] = "Ninghai Road", c1[] = "QX03", c2[] = "GL01",
                p1[] = "account 17: balance 90 but transfers sum to 60";
    static char *problems[] = {p1};
    if (req->body_case == HOURBANK__ENVELOPE__BODY_VERIFY_QUERY) {
        hourbank__verify_reply__init(&vr);
        vr.ok = g_verify_ok, vr.accounts = 42, vr.transfers = 1234, vr.obligation_minutes = 750;
        vr.problems = g_verify_ok ? NULL : problems;
        vr.n_problems = g_verify_ok ? 0 : 1;
        env->body_case = HOURBANK__ENVELOPE__BODY_VERIFY_REPLY;
        env->verify_reply = &vr;
        return;
    }
    for (int i = 0; i < 2; i++) {
        hourbank__station_info__init(&st[i]);
        sp[i] = &st[i];
    }
    st[0].station_id = 1, st[0].name = n1, st[0].community = c1, st[0].last_contact = 1795961100, st[0].active = true;
    st[0].high_water_mark = 41, st[0].ops_accepted = 40, st[0].ops_rejected = 1;
    st[1].station_id = 12, st[1].name = n2, st[1].community = c2;
    hourbank__stations_reply__init(&sr);
    sr.stations = sp;
    sr.n_stations = 2;
    sr.time_zone = g_fake_zone;
    env->body_case = HOURBANK__ENVELOPE__BODY_STATIONS_REPLY;
    env->stations_reply = &sr;
}

/* admin.yaml and a fresh admin key pair in a scratch folder; returns the
 * admin.yaml path. server_key: the key admin.yaml names for central. */
static char g_admin_yaml[512], g_admin_pub[41];

static const char *
admin_yaml(const char *dir, const char *endpoint, const char *server_key)
{
    char sec[41], pub_path[512], sec_path[512], text[2048];
    assert_int_equal(zmq_curve_keypair(g_admin_pub, sec), 0);
    path_in(pub_path, sizeof pub_path, dir, "admin.public");
    path_in(sec_path, sizeof sec_path, dir, "admin.secret");
    unlink(pub_path);
    unlink(sec_path);
    assert_int_equal(hb_keyfile_write(pub_path, false, g_admin_pub, msg, sizeof msg), 0);
    assert_int_equal(hb_keyfile_write(sec_path, true, sec, msg, sizeof msg), 0);
    path_in(g_admin_yaml, sizeof g_admin_yaml, dir, "admin.yaml");
    snprintf(text, sizeof text,
             "central_endpoint: \"%s\"\ncentral_public_key: \"%s\"\npublic_key_file: \"admin.public\"\n"
             "secret_key_file: \"admin.secret\"\n",
             endpoint, server_key);
    write_file(g_admin_yaml, text);
    return g_admin_yaml;
}

static void
test_fake_central(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_central, true);
    const char *dir = tmp_dir();
    const char *conf = admin_yaml(dir, g_fake.endpoint, g_fake.server_pub);
    run_t r = RUN("stations", "--admin", conf);
    if (r.rc != 0)
        print_error("%s", r.err);
    assert_int_equal(r.rc, 0);
    assert_string_equal(g_fake.zap_key, g_admin_pub);  /* central saw the admin key */

    assert_true(strncmp(r.out, "ID  NAME              COMMUNITY  STATE    LAST CONTACT      ", 60) == 0);
    assert_non_null(strstr(r.out, " 1  Fuzimiao Station  QX03       active   2026-11-29 14:05  "));
    /* the LAG column's width depends on today's clock: check up to it */
    assert_non_null(strstr(r.out, "12  Ninghai Road      GL01       retired  never "));
    run_free(&r);
    r = RUN("--admin", conf, "stations", "--json");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "\"station_id\": 1,\n      \"name\": \"Fuzimiao Station\",\n"
                                  "      \"community\": \"QX03\",\n      \"active\": true,\n"
                                  "      \"last_contact\": \"2026-11-29T14:05:00+00:00\",\n      \"lag_seconds\": "));
    assert_non_null(strstr(r.out, "\"last_contact\": null,\n      \"lag_seconds\": null,\n"
                                  "      \"high_water_mark\": 0,\n"));
    run_free(&r);
    assert_output(RUN("verify", "--admin", conf),
                  "the ledger is sound: 42 accounts, 1234 transfers; the guarantee's outstanding obligation is "
                  "12 h 30 min\n");
    g_verify_ok = false;
    r = RUN("verify", "--admin", conf, "--json");
    assert_int_equal(r.rc, EX_DATAERR);
    assert_string_equal(r.out, "{\n  \"ok\": false,\n  \"accounts\": 42,\n  \"transfers\": 1234,\n"
                               "  \"obligation_minutes\": 750,\n  \"problems\": [\n"
                               "    \"account 17: balance 90 but transfers sum to 60\"\n  ]\n}\n");
    assert_string_equal(r.err, "hourbank: the ledger failed verification with 1 problem\n");
    run_free(&r);
    g_verify_ok = true;
    /* a key central does not admit */
    g_fake.deny = true;
    r = RUN("verify", "--admin", conf);
    assert_int_equal(r.rc, EX_NOPERM);
    assert_string_equal(r.out, "");
    assert_true(strncmp(r.err, "hourbank: central at ipc://", 27) == 0);
    assert_non_null(strstr(r.err, " refused the connection: the server refused this key (status 400) (is the public "
                                  "key in "));
    assert_non_null(strstr(r.err, "/admin.public listed in admin_public_keys of central.yaml?)\n"));
    run_free(&r);
    g_fake.deny = false;
    /* a secret key others may read is refused before connecting */
    char sec_path[512];
    path_in(sec_path, sizeof sec_path, dir, "admin.secret");
    chmod(sec_path, 0644);
    r = RUN("verify", "--admin", conf);
    assert_int_equal(r.rc, EX_CONFIG);
    assert_non_null(strstr(r.err, "is readable by others (mode 644): chmod 600 it\n"));
    run_free(&r);
    fake_stop(&g_fake);
    /* central not running */
    chmod(sec_path, 0600);
    g_timeout_ms = 300;
    r = RUN("verify", "--admin", conf);
    g_timeout_ms = 2000;
    assert_int_equal(r.rc, EX_UNAVAILABLE);
    assert_non_null(strstr(r.err, " does not answer: is hourbank-central running there, and is the public key in "));
    run_free(&r);
    char path[512];
    unlink(path_in(path, sizeof path, dir, "admin.public"));
    unlink(sec_path);
    unlink(conf);
    rmdir(dir);
}

/* The wrong server key: the handshake cannot succeed. */
static void
test_fake_central_wrong_server_key(void **state)
{
    (void) state;
    fake_start(&g_fake, respond_central, true);
    const char *dir = tmp_dir();
    char other_pub[41], other_sec[41];
    assert_int_equal(zmq_curve_keypair(other_pub, other_sec), 0);
    const char *conf = admin_yaml(dir, g_fake.endpoint, other_pub);
    run_t r = RUN("stations", "--admin", conf);
    assert_int_equal(r.rc, EX_NOPERM);
    assert_string_equal(r.out, "");
    char expected[1024];
    snprintf(expected, sizeof expected, "hourbank: central at %s refused the connection: the encrypted handshake "
                                        "failed (is central_public_key in %s central's public key?)\n",
             g_fake.endpoint, conf);
    assert_string_equal(r.err, expected);
    assert_int_equal(g_fake.requests, 0);

    run_free(&r);
    fake_stop(&g_fake);
    char path[512];
    unlink(path_in(path, sizeof path, dir, "admin.public"));
    unlink(path_in(path, sizeof path, dir, "admin.secret"));
    unlink(conf);
    rmdir(dir);
}

int
main(void)
{
    use_tz("UTC");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_member_no_accepts_and_normalizes),
        cmocka_unit_test(test_member_no_refusals),
        cmocka_unit_test(test_duration_parse),
        cmocka_unit_test(test_duration_format),
        cmocka_unit_test(test_time_parse_and_format),
        cmocka_unit_test(test_time_refusals),
        cmocka_unit_test(test_time_zones),
        cmocka_unit_test(test_ago),
        cmocka_unit_test(test_op_refs),
        cmocka_unit_test(test_roles_years_text),
        cmocka_unit_test(test_request_id_and_timeout),
        cmocka_unit_test(test_json_structure),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_utf8_width),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_help_everywhere),
        cmocka_unit_test(test_refused_before_contact),
        cmocka_unit_test(test_keygen),
        cmocka_unit_test(test_admin_conf),
        cmocka_unit_test_setup(test_fake_member_add, fake_station_setup),
        cmocka_unit_test_setup(test_fake_record_gift_void, fake_station_setup),
        cmocka_unit_test_setup(test_fake_balance, fake_station_setup),
        cmocka_unit_test_setup(test_fake_members, fake_station_setup),
        cmocka_unit_test_setup(test_fake_statement, fake_station_setup),
        cmocka_unit_test_setup(test_fake_passbook, fake_station_setup),
        cmocka_unit_test_setup(test_fake_local_days, fake_station_setup),
        cmocka_unit_test_setup(test_fake_queue, fake_station_setup),
        cmocka_unit_test_setup(test_fake_categories, fake_station_setup),
        cmocka_unit_test_setup(test_fake_transport, fake_station_setup),
        cmocka_unit_test_setup(test_fake_save_request_ids, fake_station_setup),
        cmocka_unit_test_setup(test_fake_save_resent, fake_station_setup),
        cmocka_unit_test_setup(test_fake_queue_show, fake_station_setup),
        cmocka_unit_test_setup(test_fake_queue_find_changed, fake_station_setup),
        cmocka_unit_test_setup(test_fake_status_notices, fake_station_setup),
        cmocka_unit_test_setup(test_fake_central, fake_station_setup),
        cmocka_unit_test_setup(test_fake_central_wrong_server_key, fake_station_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
