/* cli_parse.c - checked input: member numbers, durations, dates, refs. */
#include "cli_parse.h"
#include "cli.h"
#include "cli_format.h"
#include "cli_utf8.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MEMBER_NO_EXAMPLE "QX03-000127-6"
#define MINUTES_PER_HOUR 60
/* Digits of one number in a duration: 999,999,999 hours still fit int64. */
#define DURATION_DIGITS_MAX 9
/* Digits of a uint64. */
#define U64_DIGITS_MAX 20
/* Input bytes echoed back in a message before it is cut with "...". */
#define ECHO_BYTES_MAX 48
#define YEAR_DIGITS 4
#define FIELD_DIGITS 2
#define MONTHS_PER_YEAR 12
#define HOURS_PER_DAY 24
#define TM_YEAR_BASE 1900

static int fail(char *msg, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- echoing input ---- */

char *
hb_cli_parse_quote(char *buf, size_t size, const char *text)
{
    hb_assert(buf && size >= 8 && text);
    size_t o = 0;
    buf[o++] = '"';
    const char *p = text;
    while (*p && o + 8 < size && (size_t) (p - text) < ECHO_BYTES_MAX) {
        uint32_t cp;
        size_t n = hb_cli_utf8_decode(p, &cp);
        bool plain = n > 1 ? cp >= 0xA0 : (n == 1 && cp >= 0x20 && cp < 0x7F && cp != '"' && cp != '\\');
        if (!plain) {
            o += (size_t) snprintf(buf + o, size - o, "\\x%02X", (unsigned char) *p++);
            continue;
        }
        if (o + n + 5 > size)
            break;
        memcpy(buf + o, p, n);
        o += n, p += n;
    }
    if (*p)
        o += (size_t) snprintf(buf + o, size - o, "...");
    snprintf(buf + o, size - o, "\"");
    return buf;
}

/* ---- member numbers ---- */

/* Text shown bare when it looks like a member number, quoted otherwise. */
static char *
echo_member(char *buf, size_t size, const char *s)
{
    size_t len = strlen(s);
    bool bare = len > 0 && len <= ECHO_BYTES_MAX && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == len;
    if (bare)
        snprintf(buf, size, "%s", s);
    else
        hb_cli_parse_quote(buf, size, s);
    return buf;
}

/* Why s (normalized, not a valid number) is not a member number. */
static const char *
member_problem(const char *s)
{
    /* MEMBER_NO_EXAMPLE written out: a msgid is one literal */
    const char *syntax = _("expected CODE-NNNNNN-D such as QX03-000127-6");
    if (!*s)
        return _("it is empty; member numbers look like QX03-000127-6");
    const char *dash = strchr(s, '-');
    size_t code_len = dash ? (size_t) (dash - s) : 0;
    if (!dash || code_len > HB_COMMUNITY_CODE_BYTES_MAX)
        return syntax;
    char code[HB_COMMUNITY_CODE_BYTES_MAX + 1];
    memcpy(code, s, code_len);
    code[code_len] = '\0';
    const char *rest = dash + 1;
    if (!hb_memberno_code_valid(code) || strlen(rest) != HB_MEMBER_SERIAL_DIGITS + 2 ||
        strspn(rest, "0123456789") != HB_MEMBER_SERIAL_DIGITS || rest[HB_MEMBER_SERIAL_DIGITS] != '-' ||
        rest[HB_MEMBER_SERIAL_DIGITS + 1] < '0' || rest[HB_MEMBER_SERIAL_DIGITS + 1] > '9')
        return syntax;
    uint32_t serial = (uint32_t) strtoul(rest, NULL, 10);
    if (serial == 0)
        return _("serial 000000 is never issued");
    char right[HB_MEMBER_NO_BUF_BYTES];
    if (hb_memberno_format(right, sizeof right, code, serial) == 0 && strcmp(right, s) != 0)
        return _("the check digit does not match (mistyped?)");
    return syntax;
}

int
hb_cli_parse_member_no(const char *text, char out[HB_MEMBER_NO_BUF_BYTES], char *msg, size_t msg_size)
{
    hb_assert(text && out && msg);
    char copy[HB_CLI_TEXT_BYTES_MAX];
    snprintf(copy, sizeof copy, "%s", text);
    hb_memberno_normalize(copy);
    if (strlen(copy) <= HB_MEMBER_NO_BYTES_MAX && hb_memberno_parse(copy, NULL, NULL) == HB_RESULT_OK) {
        memcpy(out, copy, strlen(copy) + 1);
        return 0;
    }
    char echo[HB_CLI_TEXT_BYTES_MAX];
    return fail(msg, msg_size, _("%s is not a valid member number: %s"), echo_member(echo, sizeof echo, copy),
                member_problem(copy));
}

/* ---- durations ---- */

static const char *
skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* The unit at p: hours, minutes, or neither (*len = 0). Units as typed
 * (h, m) and as printed ("2 h 30 min", "2小时30分钟"). */
static void
duration_unit(const char *p, bool *hour, size_t *len)
{
    static const struct {
        const char *word;
        bool hour;
    } units[] = {{"min", false}, {"MIN", false}, {"h", true}, {"H", true}, {"m", false}, {"M", false},
                 {"\xE5\xB0\x8F\xE6\x97\xB6", true},   /* 小时 */
                 {"\xE5\x88\x86\xE9\x92\x9F", false},  /* 分钟 */
                 {"\xE5\x88\x86", false}};                /* 分 */
    *len = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0] && !*len; i++) {
        if (strncmp(p, units[i].word, strlen(units[i].word)) == 0) {
            *hour = units[i].hour;
            *len = strlen(units[i].word);
        }
    }
}

/* Minutes in "1h30m" / "90m" / "2h" / "1h 30m" / "2 h 30 min"; -1 on bad
 * syntax. *minutes_over: minutes after hours went past 59 ("1h70m"). */
static int64_t
duration_value(const char *text, bool *minutes_over)
{
    *minutes_over = false;
    const char *p = skip_spaces(text);
    int64_t total = 0;
    int parts = 0;
    bool minutes_seen = false;
    while (*p) {
        int64_t n = 0;
        size_t digits = 0, unit_len = 0;
        bool hour = false;
        for (; *p >= '0' && *p <= '9' && digits < DURATION_DIGITS_MAX + 1; p++, digits++)
            n = n * 10 + (*p - '0');
        if (digits > 0)
            p = skip_spaces(p);
        duration_unit(p, &hour, &unit_len);
        if (digits == 0 || digits > DURATION_DIGITS_MAX || unit_len == 0 || minutes_seen || (hour && parts > 0))
            return -1;
        *minutes_over = *minutes_over || (!hour && parts > 0 && n >= MINUTES_PER_HOUR);
        total += hour ? n * MINUTES_PER_HOUR : n;
        minutes_seen = !hour;
        parts++;
        p = skip_spaces(p + unit_len);
    }
    return parts ? total : -1;
}

int
hb_cli_parse_duration(const char *text, int64_t min, int64_t max, const char *what, int64_t *minutes,
                      char *msg, size_t msg_size)
{
    hb_assert(text && what && minutes && msg && min <= max);
    char echo[HB_CLI_TEXT_BYTES_MAX], bound[HB_CLI_TEXT_BYTES_MAX], got[HB_CLI_TEXT_BYTES_MAX];
    const char *t = skip_spaces(text);
    size_t digits = strspn(t, "0123456789");
    if (digits > 0 && digits <= DURATION_DIGITS_MAX && *skip_spaces(t + digits) == '\0')
        return fail(msg, msg_size, _("%s has no unit: write %.*sm for minutes or %.*sh for hours"),
                    hb_cli_parse_quote(echo, sizeof echo, text), (int) digits, t, (int) digits, t);
    bool minutes_over = false;
    int64_t v = duration_value(text, &minutes_over);
    if (v < 0)
        return fail(msg, msg_size, _("%s is not a duration: write hours and minutes such as 1h30m, 90m or 2h"),
                    hb_cli_parse_quote(echo, sizeof echo, text));
    if (minutes_over)
        return fail(msg, msg_size, _("%s is not a duration: minutes go up to 59 after hours (write %lldh%02lldm or %lldm)"),
                    hb_cli_parse_quote(echo, sizeof echo, text), (long long) (v / MINUTES_PER_HOUR),
                    (long long) (v % MINUTES_PER_HOUR), (long long) v);
    if (v < min || v > max) {
        bool low = v < min;
        hb_cli_format_duration(got, sizeof got, v, false);
        hb_cli_format_duration(bound, sizeof bound, low ? min : max, false);
        if (low)
            return fail(msg, msg_size, _("duration %s is too short: %s holds at least %s"), got, _(what), bound);
        return fail(msg, msg_size, _("duration %s is too long: %s holds at most %s"), got, _(what), bound);
    }
    *minutes = v;
    return 0;
}

/* ---- dates and times ---- */

/* Reads exactly n digits at *p and advances. */
static bool
read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* "YYYY-MM-DD" then, if present or need_time, " HH:MM" or "THH:MM". */
static bool
datetime_fields(const char *text, bool need_time, struct tm *tm)
{
    const char *p = skip_spaces(text);
    int y, mo, d, h = 0, mi = 0;
    if (!read_digits(&p, YEAR_DIGITS, &y) || *p++ != '-' || !read_digits(&p, FIELD_DIGITS, &mo) ||
        *p++ != '-' || !read_digits(&p, FIELD_DIGITS, &d))
        return false;
    if (*p == 'T')
        p++;
    else
        p = skip_spaces(p);
    if (*p || need_time) {
        if (!read_digits(&p, FIELD_DIGITS, &h) || *p++ != ':' || !read_digits(&p, FIELD_DIGITS, &mi))
            return false;
    }
    if (*skip_spaces(p))
        return false;
    memset(tm, 0, sizeof *tm);
    tm->tm_year = y - TM_YEAR_BASE, tm->tm_mon = mo - 1, tm->tm_mday = d;
    tm->tm_hour = h, tm->tm_min = mi, tm->tm_isdst = -1;
    return true;
}

static int
days_in_month(int year, int month /* 1..12 */)
{
    static const int days[MONTHS_PER_YEAR] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* Whether tm (fields as typed) is a day of the calendar and a time of day. */
static bool
on_calendar(const struct tm *typed)
{
    int year = typed->tm_year + TM_YEAR_BASE, month = typed->tm_mon + 1;
    return month >= 1 && month <= MONTHS_PER_YEAR && typed->tm_mday >= 1 &&
           typed->tm_mday <= days_in_month(year, month) && typed->tm_hour < HOURS_PER_DAY &&
           typed->tm_min < MINUTES_PER_HOUR;
}

/* tm (fields as typed) to Unix seconds; 0 ok, -1 impossible, -2 skipped
 * by a clock change. */
static int
local_seconds(const struct tm *typed, int64_t *t)
{
    if (!on_calendar(typed))
        return -1;
    struct tm tm = *typed;
    time_t v = mktime(&tm);
    if (v == (time_t) -1 && errno == EOVERFLOW)
        return -1;
    if (tm.tm_year != typed->tm_year || tm.tm_mon != typed->tm_mon || tm.tm_mday != typed->tm_mday ||
        tm.tm_hour != typed->tm_hour || tm.tm_min != typed->tm_min)
        return -2;
    *t = (int64_t) v;
    return 0;
}

/* The fields of text into tm, on the calendar; 0, or -1 with msg. */
static int
moment_fields(const char *text, bool need_time, struct tm *tm, char *msg, size_t msg_size)
{
    char echo[HB_CLI_TEXT_BYTES_MAX];
    if (!datetime_fields(text, need_time, tm))
        return fail(msg, msg_size,
                    need_time ? _("%s is not a date and time: write \"YYYY-MM-DD HH:MM\" in local time, "
                                  "e.g. \"2026-11-29 14:05\"")
                              : _("%s is not a date: write YYYY-MM-DD, e.g. 2026-11-01"),
                    hb_cli_parse_quote(echo, sizeof echo, text));
    if (!on_calendar(tm))
        return fail(msg, msg_size, _("%s is not a real date and time"), hb_cli_parse_quote(echo, sizeof echo, text));
    return 0;
}

int
hb_cli_parse_moment_form(const char *text, bool need_time, int64_t *as_utc, char *msg, size_t msg_size)
{
    hb_assert(text && as_utc && msg);
    struct tm tm;
    if (moment_fields(text, need_time, &tm, msg, msg_size) != 0)
        return -1;
    *as_utc = (int64_t) timegm(&tm);
    return 0;
}

static int
parse_moment(const char *text, bool need_time, int64_t *t, char *msg, size_t msg_size)
{
    hb_assert(text && t && msg);
    char echo[HB_CLI_TEXT_BYTES_MAX];
    struct tm tm;
    if (moment_fields(text, need_time, &tm, msg, msg_size) != 0)
        return -1;
    errno = 0;
    int rc = local_seconds(&tm, t);
    if (rc == -1)
        return fail(msg, msg_size, _("%s is not a real date and time"), hb_cli_parse_quote(echo, sizeof echo, text));
    if (rc == -2)
        return fail(msg, msg_size, _("%s does not exist in local time (the clocks were changed then)"),
                    hb_cli_parse_quote(echo, sizeof echo, text));
    return 0;
}

int
hb_cli_parse_time(const char *text, int64_t *t, char *msg, size_t msg_size)
{
    return parse_moment(text, true, t, msg, msg_size);
}

int
hb_cli_parse_date(const char *text, int64_t *t, char *msg, size_t msg_size)
{
    return parse_moment(text, false, t, msg, msg_size);
}

/* ---- references and numbers ---- */

/* len decimal digits (1..U64_DIGITS_MAX) at s as a uint64; false if not
 * all digits or too big. */
static bool
digits_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > U64_DIGITS_MAX || strspn(s, "0123456789") < len)
        return false;
    char buf[U64_DIGITS_MAX + 1];
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    unsigned long long v = strtoull(buf, NULL, 10);
    if (errno == ERANGE)
        return false;
    *out = (uint64_t) v;
    return true;
}

int
hb_cli_parse_op_ref(const char *text, uint32_t *station_id, uint64_t *seq, char *msg, size_t msg_size)
{
    hb_assert(text && station_id && seq && msg);
    const char *colon = strchr(text, ':');
    uint64_t st = 0, sq = 0;
    if (colon && digits_u64(text, (size_t) (colon - text), &st) && digits_u64(colon + 1, strlen(colon + 1), &sq) &&
        st >= 1 && st <= UINT32_MAX && sq >= 1) {
        *station_id = (uint32_t) st;
        *seq = sq;
        return 0;
    }
    char echo[HB_CLI_TEXT_BYTES_MAX];
    return fail(msg, msg_size,
                _("%s is not an operation reference: write STATION:SEQ as printed when it was saved, e.g. 1:42"),
                hb_cli_parse_quote(echo, sizeof echo, text));
}

int
hb_cli_parse_seq(const char *text, uint64_t *seq, char *msg, size_t msg_size)
{
    hb_assert(text && seq && msg);
    uint64_t v = 0;
    if (digits_u64(text, strlen(text), &v) && v >= 1) {
        *seq = v;
        return 0;
    }
    char echo[HB_CLI_TEXT_BYTES_MAX];
    return fail(msg, msg_size, _("%s is not a sequence number: write the number shown by hourbank queue, e.g. 42"),
                hb_cli_parse_quote(echo, sizeof echo, text));
}

int
hb_cli_parse_role(const char *text, int *role, char *msg, size_t msg_size)
{
    hb_assert(text && role && msg);
    static const struct {
        const char *word;
        int role;
    } roles[] = {{"volunteer", HOURBANK__ROLE__VOLUNTEER}, {"elder", HOURBANK__ROLE__ELDER},
                 {"both", HOURBANK__ROLE__BOTH}};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (strcasecmp(text, roles[i].word) == 0) {
            *role = roles[i].role;
            return 0;
        }
    }
    char echo[HB_CLI_TEXT_BYTES_MAX];
    return fail(msg, msg_size, _("%s is not a role: use volunteer, elder or both"),
                hb_cli_parse_quote(echo, sizeof echo, text));
}

int
hb_cli_parse_birth_year(const char *text, int this_year, uint32_t *year, char *msg, size_t msg_size)
{
    hb_assert(text && year && msg);
    char echo[HB_CLI_TEXT_BYTES_MAX];
    uint64_t v = 0;
    if (strlen(text) != YEAR_DIGITS || !digits_u64(text, YEAR_DIGITS, &v))
        return fail(msg, msg_size, _("%s is not a birth year: write four digits, e.g. 1956"),
                    hb_cli_parse_quote(echo, sizeof echo, text));
    if (v < HB_BIRTH_YEAR_MIN || v > (uint64_t) this_year)
        return fail(msg, msg_size, _("birth year %llu is out of range %d..%d"), (unsigned long long) v, HB_BIRTH_YEAR_MIN,
                    this_year);
    *year = (uint32_t) v;
    return 0;
}

int
hb_cli_parse_text(const char *option, const char *text, size_t max_bytes, bool required, bool multiline,
                  char *msg, size_t msg_size)
{
    hb_assert(option && text && msg);
    size_t len = strlen(text);
    if (required && len == 0)
        return fail(msg, msg_size, _("%s must not be empty"), _(option));
    if (len > max_bytes)
        return fail(msg, msg_size, _("%s is %zu bytes long, the limit is %zu: shorten it"), _(option), len, max_bytes);
    long bad = hb_cli_utf8_invalid_at(text);
    if (bad >= 0)
        return fail(msg, msg_size, _("%s is not valid UTF-8 (at byte %ld): check the terminal's encoding"), _(option),
                    bad);
    for (size_t at = 0, n; at < len; at += n) {
        uint32_t cp;
        n = hb_cli_utf8_decode(text + at, &cp);
        bool allowed = multiline && (cp == '\n' || cp == '\t');
        if ((cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) && !allowed)
            return fail(msg, msg_size, _("%s contains a control character (byte %zu)%s"), _(option), at,
                        multiline ? "" : _(": it must be one line"));
    }
    return 0;
}

int
hb_cli_parse_chars(const char *option, const char *text, size_t max_chars, bool required, bool multiline,
                   char *msg, size_t msg_size)
{
    if (hb_cli_parse_text(option, text, max_chars * HB_UTF8_CHAR_BYTES_MAX, required, multiline, msg, msg_size) != 0)
        return -1;
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        chars += (*p & 0xC0u) != 0x80u;  /* valid UTF-8: count the lead bytes */
    if (chars > max_chars)
        return fail(msg, msg_size, _("%s is %zu characters long, the limit is %zu: shorten it"), option, chars,
                    max_chars);
    return 0;
}

int
hb_cli_parse_phone(const char *text, char *msg, size_t msg_size)
{
    hb_assert(text && msg);
    size_t len = strlen(text);
    if (len >= HB_PHONE_CHARS_MIN && len <= HB_PHONE_CHARS_MAX && strspn(text, "0123456789+- ") == len)
        return 0;
    char echo[HB_CLI_TEXT_BYTES_MAX];
    return fail(msg, msg_size, _("%s is not a phone number: write %d to %d digits, '+', '-' or spaces"),
                hb_cli_parse_quote(echo, sizeof echo, text), HB_PHONE_CHARS_MIN, HB_PHONE_CHARS_MAX);
}

/* ---- request ids, timeouts ---- */

/* The characters of a request id the CLI accepts: what it generates (hex)
 * and what other clients' ids use (UUIDs, prefixes), nothing a shell or a
 * log line would need quoted. */
#define REQUEST_ID_CHARS "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ._:-"

int
hb_cli_parse_request_id(const char *text, char out[HB_REQUEST_ID_BYTES_MAX + 1], char *msg, size_t msg_size)
{
    hb_assert(text && out && msg);
    size_t len = strlen(text);
    if (len >= 1 && len <= HB_REQUEST_ID_BYTES_MAX && strspn(text, REQUEST_ID_CHARS) == len) {
        memcpy(out, text, len + 1);
        return 0;
    }
    char echo[HB_CLI_TEXT_BYTES_MAX];
    return fail(msg, msg_size, _("%s is not a request id: give the --request-id printed when the save may have been "
                                 "made (1 to %d letters, digits, '.', '_', ':' or '-')"),
                hb_cli_parse_quote(echo, sizeof echo, text), HB_REQUEST_ID_BYTES_MAX);
}

int
hb_cli_parse_timeout_ms(const char *text, int *ms, char *msg, size_t msg_size)
{
    hb_assert(text && ms && msg);
    uint64_t v = 0;
    if (digits_u64(text, strlen(text), &v) && v >= HB_CLI_REPLY_TIMEOUT_MS_MIN && v <= HB_CLI_REPLY_TIMEOUT_MS_MAX) {
        *ms = (int) v;
        return 0;
    }
    char echo[HB_CLI_TEXT_BYTES_MAX];
    return fail(msg, msg_size, _("%s is not a timeout: give milliseconds from %d to %d, e.g. 5000"),
                hb_cli_parse_quote(echo, sizeof echo, text), HB_CLI_REPLY_TIMEOUT_MS_MIN,
                HB_CLI_REPLY_TIMEOUT_MS_MAX);
}

int
hb_cli_parse_pin(const char *text, char *msg, size_t msg_size)
{
    hb_assert(text && msg);
    size_t len = strlen(text);
    if (len >= HB_PIN_DIGITS_MIN && len <= HB_PIN_DIGITS_MAX && strspn(text, "0123456789") == len)
        return 0;
    snprintf(msg, msg_size, _("a PIN is %d to %d digits"), HB_PIN_DIGITS_MIN, HB_PIN_DIGITS_MAX);
    return -1;
}
