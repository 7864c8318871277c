/* The `hourbank` CLI as operators and district IT run it: the real binary
 * against a real hourbank-central (PostgreSQL) and a real hourbank-station.
 * Every command's human and --json output, and the error paths: a mistyped
 * member number (refused before the station is asked), an unknown member,
 * a bad duration, a refused admin key, central down, the station down. */
#include "hb_itest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "hb_keyfile.h"
#include "hb_memberno.h"

#define OUT_BYTES (256 * 1024)
#define ERR_BYTES 4096
#define WORDS_MAX 32
/* How long the directory may take to show a synced balance. */
#define SYNC_WAIT_S 30

static hb_h_central_t central;
static hb_h_station_t station;
static char admin_yaml[700];
static char run_dir[512];
/* Members registered through the CLI: a volunteer, an elder (born 1936,
 * family of the volunteer) and a young elder with no hours. */
static char vol[32], eld[32], young[32];

/* ---- running the binary ---- */

static int g_rc;
static char g_out[OUT_BYTES], g_err[ERR_BYTES];

/* Runs `hourbank words... extra...` (both NULL-terminated); fills g_rc,
 * g_out and g_err. */
static void
run_hourbank(const char *const *words, const char *const *extra)
{
    char bin[600];
    const char *argv[WORDS_MAX + 1];
    int argc = 0;
    argv[argc++] = hb_h_bin("hourbank", bin, sizeof bin);
    for (; *words && argc < WORDS_MAX - 2; words++)
        argv[argc++] = *words;
    for (; extra && *extra && argc < WORDS_MAX; extra++)
        argv[argc++] = *extra;
    argv[argc] = NULL;
    g_rc = hb_h_run_capture(argv, run_dir, g_out, sizeof g_out, g_err, sizeof g_err);
}

/* A station command: -c station.yaml added. */
#define S(...) run_hourbank((const char *const[]){__VA_ARGS__, NULL}, (const char *const[]){"-c", station.conf, NULL})
/* An admin command: --admin admin.yaml added. */
#define A(...) run_hourbank((const char *const[]){__VA_ARGS__, NULL}, (const char *const[]){"--admin", admin_yaml, NULL})
/* Nothing added. */
#define X(...) run_hourbank((const char *const[]){__VA_ARGS__, NULL}, NULL)

static void
expect_ok(void)
{
    if (g_rc != 0)
        fail_msg("exit %d\nstdout: %s\nstderr: %s", g_rc, g_out, g_err);
    assert_string_equal(g_err, "");
}

static void
expect_out(const char *out)
{
    expect_ok();
    assert_string_equal(g_out, out);
}

static void
expect_has(const char *needle)
{
    expect_ok();
    if (!strstr(g_out, needle))
        fail_msg("stdout lacks \"%s\":\n%s", needle, g_out);
}

/* stdout holds needle (shown with the output when not). */
static void
out_has(const char *needle)
{
    if (!strstr(g_out, needle))
        fail_msg("stdout lacks \"%s\":\n%s", needle, g_out);
}

/* An error: the exit code, nothing on stdout, exactly this line on stderr. */
static void
expect_error(int rc, const char *line)
{
    if (g_rc != rc || strcmp(g_err, line) != 0)
        fail_msg("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant:   %s", g_rc, rc, g_out, g_err, line);
    assert_string_equal(g_out, "");
}

/* The string value of "key" in a JSON document (first occurrence). */
static const char *
json_str(const char *doc, const char *key, char *buf, size_t size)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(doc, pat);
    if (!p)
        fail_msg("no string \"%s\" in:\n%s", key, doc);
    p += strlen(pat);
    size_t n = strcspn(p, "\"");
    assert_true(n < size);
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

/* The integer value of "key" in a JSON document; fails if absent. */
static long long
json_int(const char *doc, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(doc, pat);
    if (!p)
        fail_msg("no \"%s\" in:\n%s", key, doc);
    return strtoll(p + strlen(pat), NULL, 10);
}

static void
wait_drained(void)
{
    hb_h_client_t *cl = hb_h_station_client(&station);
    assert_true(hb_h_wait_drained(cl, SYNC_WAIT_S));
    hb_h_client_destroy(&cl);
}

/* Polls `balance --json` until the synced balance is want. */
static void
wait_balance(const char *member_no, long long want)
{
    for (int i = 0; i < SYNC_WAIT_S * 10; i++) {
        S("balance", member_no, "--json");
        expect_ok();
        if (json_int(g_out, "balance_minutes") == want && json_int(g_out, "pending_minutes") == 0)
            return;
        usleep(100 * 1000);
    }
    fail_msg("balance of %s never became %lld: %s", member_no, want, g_out);
}

/* ---- setup ---- */

static int
setup(void **state)
{
    (void) state;
    setenv("TZ", "UTC", 1);
    snprintf(run_dir, sizeof run_dir, "%s", hb_h_tmpdir("hb_itest_cli"));
    hb_h_central_init(&central, "hb_itest_cli", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    /* admin.yaml with the admin key central.yaml lists */
    snprintf(admin_yaml, sizeof admin_yaml, "%s", hb_h_admin_yaml(&central, run_dir));
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    if (station.pid)
        hb_h_station_stop(&station, SIGTERM);
    if (central.pid)
        hb_h_central_stop(&central, SIGTERM);
    return 0;
}

/* ---- local: keygen ---- */

static void
test_keygen(void **state)
{
    (void) state;
    char base[600], pub_path[700], sec_path[700], key[41], msg[256], line[1024];
    snprintf(base, sizeof base, "%s/station9", run_dir);
    snprintf(pub_path, sizeof pub_path, "%s.public", base);
    snprintf(sec_path, sizeof sec_path, "%s.secret", base);
    X("keygen", base);
    expect_has("public key: ");
    struct stat st;
    assert_int_equal(stat(pub_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(stat(sec_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(hb_keyfile_read(pub_path, false, key, msg, sizeof msg), 0);
    assert_int_equal(hb_keyfile_read(sec_path, true, key, msg, sizeof msg), 0);
    X("keygen", base);
    snprintf(line, sizeof line, "hourbank: %s already exists: keygen never overwrites a key (move the old pair "
                                "away first if you mean to replace it)\n", sec_path);
    expect_error(EX_CANTCREAT, line);
    snprintf(base, sizeof base, "%s/admin9", run_dir);
    X("keygen", base, "--json");
    expect_ok();
    char got[700];
    snprintf(pub_path, sizeof pub_path, "%s.public", base);
    assert_string_equal(json_str(g_out, "public_key_file", got, sizeof got), pub_path);
    assert_int_equal(hb_keyfile_read(pub_path, false, key, msg, sizeof msg), 0);
    assert_string_equal(json_str(g_out, "public_key", got, sizeof got), key);
}

/* ---- the station: catalogue and members ---- */

static void
test_categories(void **state)
{
    (void) state;
    S("categories");
    expect_out("CATEGORY       DESCRIPTION\n"
               "companionship  visits and conversation\n"
               "meal-delivery  bringing meals\n"
               "personal-care  bathing and dressing\n");
    S("categories", "--json");
    expect_has("{\n  \"categories\": [\n    {\n      \"name\": \"companionship\",\n"
               "      \"description\": \"visits and conversation\"\n    },\n");
}

/* "QX03-000001-x registered, saved as 1:N (pending sync)" -> the number. */
static void
registered(char *out, size_t size)
{
    expect_ok();
    size_t n = strcspn(g_out, " ");
    assert_true(n < size);
    memcpy(out, g_out, n);
    out[n] = '\0';
    char tail[128];
    snprintf(tail, sizeof tail, "%s registered, saved as 1:", out);
    assert_true(strncmp(g_out, tail, strlen(tail)) == 0);
    out_has(" (pending sync)\n");
    assert_int_equal(hb_memberno_parse(out, NULL, NULL), HB_RESULT_OK);
    assert_true(strncmp(out, "QX03-", 5) == 0);
}

static void
test_members(void **state)
{
    (void) state;
    S("member", "add", "--name", "Zhang Wei", "--role", "volunteer", "--birth-year", "1961");
    registered(vol, sizeof vol);
    S("member", "add", "--name", "王秀英", "--role", "elder", "--birth-year", "1936", "--family", vol);
    registered(eld, sizeof eld);
    S("member", "add", "--name", "Li Na", "--role", "elder", "--birth-year", "1970", "--json");
    expect_ok();
    json_str(g_out, "member_no", young, sizeof young);
    out_has("\"op_ref\": \"1:3\",\n  \"station_id\": 1,\n  \"seq\": 3,\n"
                                  "  \"status\": \"pending\",\n  \"repeated\": false,\n  \"dry_run\": false,\n");
    out_has("\"role\": \"member\",\n      \"member_no\": \"");
    out_has("\",\n      \"name\": \"Li Na\"\n");

    char want[1024];
    S("member", "show", eld);
    snprintf(want, sizeof want, "member no   %s\nname        王秀英\nrole        elder\nbirth year  1936\n"
                                "family      Zhang Wei (%s)\nbalance     0 min (as last synced)\n", eld, vol);
    expect_out(want);
    S("member", "show", vol, "--json");
    snprintf(want, sizeof want, "{\n  \"member_no\": \"%s\",\n  \"name\": \"Zhang Wei\",\n  \"role\": \"volunteer\",\n"
                                "  \"birth_year\": 1961,\n  \"family_of\": null,\n  \"balance_minutes\": 0,\n"
                                "  \"left\": false,\n  \"family\": [],\n  \"numbers\": []\n}\n", vol);
    expect_out(want);
    S("member", "find", "Zhang");
    snprintf(want, sizeof want, "MEMBER NO      NAME       ROLE       BORN  BALANCE\n"
                                "%s  Zhang Wei  volunteer  1961    0 min\n", vol);
    expect_out(want);
    S("member", "find", "秀", "--json");
    expect_has("\"members\": [\n    {\n      \"member_no\": \"");
    out_has(eld);
    S("member", "find", "nobody-has-this-name");
    expect_out("no member found whose name contains \"nobody-has-this-name\"\n");
}

/* Mistyped and unknown members. */
static void
test_member_errors(void **state)
{
    (void) state;
    /* the last digit changed: the check digit catches it before the station is asked */
    char typo[32], line[512];
    snprintf(typo, sizeof typo, "%s", vol);
    size_t last = strlen(typo) - 1;
    typo[last] = typo[last] == '9' ? '0' : (char) (typo[last] + 1);
    S("balance", typo);
    snprintf(line, sizeof line, "hourbank: %s is not a valid member number: the check digit does not match "
                                "(mistyped?)\n", typo);
    expect_error(EX_DATAERR, line);
    S("record", "--provider", vol, "--recipient", typo, "--duration", "1h", "--category", "companionship");
    expect_error(EX_DATAERR, line);
    /* a real number that nobody holds */
    const char *ghost = hb_h_member("QX03", 4242);
    S("member", "show", ghost);
    snprintf(line, sizeof line, "hourbank: member %s not found at this station or in the last directory snapshot\n",
             ghost);
    expect_error(EX_NOINPUT, line);
    S("balance", ghost);
    expect_error(EX_NOINPUT, line);
    S("record", "--provider", vol, "--recipient", ghost, "--duration", "1h", "--category", "companionship");
    assert_int_equal(g_rc, EX_NOINPUT);
    assert_string_equal(g_out, "");
    assert_true(strncmp(g_err, "hourbank: the record was not saved: ", 36) == 0);
    assert_non_null(strstr(g_err, ghost));
    assert_non_null(strstr(g_err, "(UNKNOWN_MEMBER)\n"));
    /* bad durations */
    S("record", "--provider", vol, "--recipient", eld, "--duration", "45", "--category", "companionship");
    expect_error(EX_DATAERR, "hourbank: \"45\" has no unit: write 45m for minutes or 45h for hours\n");
    S("record", "--provider", vol, "--recipient", eld, "--duration", "1,5h", "--category", "companionship");
    expect_error(EX_DATAERR, "hourbank: \"1,5h\" is not a duration: write hours and minutes such as 1h30m, 90m or "
                             "2h\n");
    S("record", "--provider", vol, "--recipient", eld, "--duration", "25h", "--category", "companionship");
    expect_error(EX_DATAERR, "hourbank: duration 25 h is too long: one service record holds at most 24 h\n");
    S("record", "--provider", vol, "--recipient", eld, "--duration", "1h", "--category", "gardening");
    assert_int_equal(g_rc, EX_DATAERR);
    assert_non_null(strstr(g_err, "(UNKNOWN_CATEGORY)\n"));
    /* nothing of this was saved */
    S("queue", "--json");
    expect_ok();
    assert_null(strstr(g_out, ghost));
}

/* "saved as 1:N (pending sync)\n" -> N. */
static unsigned long long
saved_seq(void)
{
    expect_ok();
    unsigned long long seq = 0;
    char tail[32] = "";
    if (sscanf(g_out, "saved as 1:%llu %31[^\n]", &seq, tail) != 2 || strcmp(tail, "(pending sync)") != 0)
        fail_msg("unexpected output: %s", g_out);
    return seq;
}

static void
test_records_balance_statement(void **state)
{
    (void) state;
    /* the elder is over 80: the guarantee pays personal care in this district */
    S("record", "--provider", vol, "--recipient", eld, "--duration", "1h30m", "--category", "personal-care",
      "--note", "bath and breakfast");
    unsigned long long first = saved_seq();
    S("record", "--provider", vol, "--recipient", eld, "--duration", "45m", "--category", "Personal-Care", "--json");
    expect_ok();
    unsigned long long second = (unsigned long long) json_int(g_out, "seq");
    assert_int_equal(second, first + 1);
    char ref[64], want[512];
    snprintf(ref, sizeof ref, "1:%llu", second);
    snprintf(want, sizeof want, "{\n  \"op_ref\": \"%s\",\n  \"station_id\": 1,\n  \"seq\": %llu,\n"
                                "  \"status\": \"pending\",\n  \"repeated\": false,\n  \"dry_run\": false,\n"
                                "  \"members\": [\n    {\n      \"role\": \"provider\",\n      \"member_no\": \"%s\",\n"
                                "      \"name\": \"Zhang Wei\"\n    },\n    {\n      \"role\": \"recipient\",\n"
                                "      \"member_no\": \"%s\",\n      \"name\": \"\xE7\x8E\x8B\xE7\xA7\x80\xE8\x8B\xB1\"\n    }\n  ],\n",
             ref, second, vol, eld);  /* 王秀英 */
    if (strncmp(g_out, want, strlen(want)) != 0)
        fail_msg("does not begin with\n%s\n%s", want, g_out);
    /* the second was a mistake */
    S("void", ref, "--reason", "entered twice");
    assert_int_equal(saved_seq(), second + 1);
    S("gift", "--from", vol, "--to", eld, "--duration", "30m", "--reason", "for my mother");
    assert_int_equal(saved_seq(), second + 2);
    wait_drained();
    wait_balance(vol, 60);
    wait_balance(eld, 30);

    S("balance", vol);
    expect_ok();
    snprintf(want, sizeof want, "balance of Zhang Wei (%s)\n  synced         1 h  with central, as of 20", vol);
    if (strncmp(g_out, want, strlen(want)) != 0)
        fail_msg("does not begin with\n%s\n%s", want, g_out);
    out_has("\n  pending in   0 min  saved here, not yet at central\n"
            "  pending out  0 min  saved here, not yet at central\n"
            "  available      1 h  synced + pending in - pending out\n");
    S("balance", eld, "--json");
    snprintf(want, sizeof want, "{\n  \"member_no\": \"%s\",\n  \"name\": \"\xE7\x8E\x8B\xE7\xA7\x80\xE8\x8B\xB1\",\n"
                                "  \"balance_minutes\": 30,\n  \"pending_minutes\": 0,\n  \"as_of\": \"", eld);
    expect_ok();
    assert_true(strncmp(g_out, want, strlen(want)) == 0);
    out_has("+00:00\",\n  \"synced_minutes\": 30,\n  \"pending_in_minutes\": 0,\n  \"pending_out_minutes\": 0,\n"
            "  \"available_minutes\": 30\n}\n");

    S("statement", vol);
    expect_ok();
    snprintf(want, sizeof want, "statement of %s Zhang Wei\nperiod           all entries\n", vol);
    assert_true(strncmp(g_out, want, strlen(want)) == 0);
    out_has("+1 h 30 min");
    out_has("+45 min");
    out_has("-45 min");
    out_has("-30 min");
    const char *count = strstr(g_out, "\nentries ");
    assert_non_null(count);
    assert_int_equal(atoi(count + strlen("\nentries ")), 4);
    snprintf(want, sizeof want, "1:%llu  bath and breakfast\n", first);
    out_has(want);
    S("statement", eld, "--since", "2000-01-01", "--json");
    expect_ok();
    snprintf(want, sizeof want, "{\n  \"member_no\": \"%s\",\n  \"member_name\": \"王秀英\",\n"
                                "  \"since\": \"2000-01-01T00:00:00+00:00\",\n", eld);
    assert_true(strncmp(g_out, want, strlen(want)) == 0);
    out_has("\"kind\": \"gift\"");
    out_has("\"minutes\": 30,");
    out_has("\"more\": false,\n  \"next_before\": null\n}\n");
    /* entries from the future: none */
    S("statement", vol, "--since", "2999-01-01");
    expect_ok();
    out_has("\nperiod           from 2999-01-01\n");
    out_has("\n\nno entries\n");
}

/* A rejection: listed with its reason until dismissed; queue and status. */
static void
test_queue_and_status(void **state)
{
    (void) state;
    /* companionship is paid by the recipient, who holds no hours */
    S("record", "--provider", vol, "--recipient", young, "--duration", "2h", "--category", "companionship");
    unsigned long long seq = saved_seq();
    wait_drained();
    S("queue", "--rejected");
    expect_ok();
    char want[512];
    assert_true(strncmp(g_out, "link up, last sync ", 19) == 0);
    out_has("; 0 pending, 1 rejected\nOP ");
    out_has("  SAVED             KIND     BY    STATUS    DETAILS\n");  /* BY: who entered it */
    snprintf(want, sizeof want, "1:%llu  ", seq);
    out_has(want);
    out_has("  service  " HB_H_DEFAULT_OPERATOR "  rejected  ");
    out_has("(INSUFFICIENT_BALANCE)\n");
    out_has("once a rejected operation is dealt with: hourbank queue dismiss STATION:SEQ\n");
    S("queue", "--rejected", "--json");
    expect_ok();
    assert_int_equal(json_int(g_out, "pending"), 0);
    assert_int_equal(json_int(g_out, "rejected"), 1);
    out_has("\"link\": \"up\"");
    out_has("\"last_sync\": \"20");
    out_has("\"status\": \"rejected\",\n      \"result\": \"INSUFFICIENT_BALANCE\",\n"
                                  "      \"code\": 12,\n");
    S("status");
    expect_ok();
    assert_true(strncmp(g_out, "station       1 at ipc://", 25) == 0);
    out_has("\nlink          up\ntime zone     UTC (the district's, from central)\nlast sync     20");
    out_has("\nlag           none: everything saved here has reached central\n"
            "pending       0\nrejected      1 (see hourbank queue --rejected)\n");
    snprintf(want, sizeof want, "acknowledged  up to seq %llu (central's high-water mark: %llu)\n", seq, seq);
    out_has(want);
    S("status", "--json");
    expect_ok();
    assert_int_equal(json_int(g_out, "station_id"), 1);
    assert_int_equal(json_int(g_out, "pending"), 0);
    assert_int_equal(json_int(g_out, "rejected"), 1);
    assert_int_equal(json_int(g_out, "last_acked_seq"), (long long) seq);
    assert_null(strstr(g_out, "\"ops\""));
    char seq_text[32];
    snprintf(seq_text, sizeof seq_text, "%llu", seq);
    S("queue", "dismiss", seq_text);
    snprintf(want, sizeof want, "dismissed 1:%llu; 0 rejected left\n", seq);
    expect_out(want);
    S("queue");
    expect_ok();
    out_has("; 0 pending, 0 rejected\n"
                                  "the queue is empty: everything saved here has reached central\n");
    S("queue", "--json");
    expect_ok();
    out_has("\"ops\": []");
    /* an accepted op is not a rejection to dismiss */
    S("queue", "dismiss", "1");
    expect_error(EX_NOINPUT, "hourbank: could not dismiss 1:1: nothing dismissed: it is accepted, not rejected "
                             "(only rejected operations are dismissed)\n");
    /* a second time: nothing to do, and it says so */
    S("queue", "dismiss", seq_text);
    snprintf(want, sizeof want, "nothing dismissed: 1:%llu was dismissed before; 0 rejected left\n", seq);
    expect_out(want);
}

/* ---- admin commands: central, with the admin key ---- */

static void
test_admin(void **state)
{
    (void) state;
    A("stations");
    expect_ok();
    assert_true(strncmp(g_out, "ID  NAME           COMMUNITY  STATE   LAST CONTACT      ", 55) == 0);
    out_has("\n 1  Qingxi one     QX03       active  20");
    out_has("\n 4  Qinhuai four   QH01       ");
    A("stations", "--json");
    expect_ok();
    out_has("{\n  \"stations\": [\n    {\n      \"station_id\": 1,\n"
                                  "      \"name\": \"Qingxi one\",\n      \"community\": \"QX03\",\n");
    out_has("\"lag_seconds\": ");
    A("verify");
    expect_ok();
    assert_true(strncmp(g_out, "the ledger is sound: ", 21) == 0);
    out_has(" transfers; the guarantee's outstanding obligation is 1 h 30 min\n");
    A("verify", "--json");
    expect_ok();
    out_has("{\n  \"ok\": true,\n  \"accounts\": ");
    out_has("\"obligation_minutes\": 90,\n  \"problems\": []\n}\n");

    /* a key central does not list */
    char base[600], text[2048], other_yaml[700];
    snprintf(base, sizeof base, "%s/stranger", run_dir);
    X("keygen", base);
    expect_ok();
    snprintf(other_yaml, sizeof other_yaml, "%s/stranger.yaml", run_dir);
    snprintf(text, sizeof text, "central_endpoint: \"%s\"\ncentral_public_key: \"%s\"\n"
                                "public_key_file: stranger.public\nsecret_key_file: stranger.secret\n",
             central.endpoint, central.central_pub);
    hb_h_write_file(other_yaml, text);
    X("verify", "--admin", other_yaml);
    char want[2048];
    snprintf(want, sizeof want, "hourbank: central at %s refused the connection: the server refused this key "
                                "(status 400) (is the public key in %s.public listed in admin_public_keys of "
                                "central.yaml?)\n", central.endpoint, base);
    expect_error(EX_NOPERM, want);
    /* a station key is not an admin key either */
    snprintf(text, sizeof text, "central_endpoint: \"%s\"\ncentral_public_key: \"%s\"\n"
                                "public_key_file: \"%s/station.public\"\nsecret_key_file: \"%s/station.secret\"\n",
             central.endpoint, central.central_pub, station.dir, station.dir);
    hb_h_write_file(other_yaml, text);
    X("stations", "--admin", other_yaml);
    assert_int_equal(g_rc, EX_NOPERM);
    assert_string_equal(g_out, "");
    assert_non_null(strstr(g_err, "NOT_AUTHORIZED"));
}

/* ---- offline: central down, then the station down ---- */

static void
test_offline(void **state)
{
    (void) state;
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st));
    /* saving goes on */
    S("record", "--provider", vol, "--recipient", eld, "--duration", "15m", "--category", "companionship");
    unsigned long long seq = saved_seq();
    S("balance", vol);
    expect_has("\n  pending in      +15 min  saved here, not yet at central\n"
               "  pending out       0 min  saved here, not yet at central\n"
               "  available    1 h 15 min  synced + pending in - pending out\n");
    S("queue");
    expect_ok();
    out_has("; 1 pending, 0 rejected\n");
    char want[2048];
    snprintf(want, sizeof want, "\n1:%llu  ", seq);
    out_has(want);
    out_has("  service  " HB_H_DEFAULT_OPERATOR "  pending  ");
    S("status", "--json");
    expect_ok();
    assert_null(strstr(g_out, "\"link\": \"up\""));
    assert_int_equal(json_int(g_out, "pending"), 1);
    out_has("\"oldest_pending_at\": \"20");
    /* statements need central */
    S("statement", vol);
    expect_error(EX_UNAVAILABLE, "hourbank: statements come from central, which this station cannot reach now: "
                                 "try again when hourbank status shows the link up\n");
    /* admin commands need central */
    A("verify");
    snprintf(want, sizeof want, "hourbank: central at %s does not answer: is hourbank-central running there, and "
                                "is the public key in %s/admin.public listed in admin_public_keys of central.yaml?\n",
             central.endpoint, run_dir);
    expect_error(EX_UNAVAILABLE, want);
    /* the station down */
    hb_h_station_stop(&station, SIGTERM);
    S("balance", vol);
    snprintf(want, sizeof want, "hourbank: the station at %s does not answer: is hourbank-station running?\n",
             station.ipc);
    expect_error(EX_UNAVAILABLE, want);
    S("member", "add", "--name", "Late Comer", "--role", "volunteer");
    expect_error(EX_UNAVAILABLE, want);
    /* --station overrides station.yaml */
    X("status", "--station", station.ipc);
    expect_error(EX_UNAVAILABLE, want);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen),
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_member_errors),
        cmocka_unit_test(test_records_balance_statement),
        cmocka_unit_test(test_queue_and_status),
        cmocka_unit_test(test_admin),
        cmocka_unit_test(test_offline),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
