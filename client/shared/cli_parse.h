/* cli_parse.h - typed input from the command line, checked before anything
 * is sent.
 *
 * Every parser returns 0 with its value, or -1 with a one-line reason in
 * msg (msg_size bytes) fit to follow "hourbank: ", naming what was typed
 * and how to write it, e.g.
 *   QX03-000127-5 is not a valid member number: the check digit does not match (mistyped?)
 *   "45" has no unit: write 45m for minutes or 45h for hours
 * Input echoed back is quoted with non-printable bytes escaped.
 */
#ifndef HB_CLI_PARSE_H
#define HB_CLI_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_limits.h"
#include "hb_memberno.h"

/* A member number typed by a person: normalized (surrounding spaces
 * dropped, letters uppercased), then checked, check digit included. */
int hb_cli_parse_member_no(const char *text, char out[HB_MEMBER_NO_BUF_BYTES], char *msg, size_t msg_size);

/* A duration: "1h30m", "90m", "2h", "1h 30m" (units h and m, hours first,
 * either case), or as the CLI prints one ("2 h 30 min", "2小时30分钟"). A
 * bare number is refused with a hint. The value must be in min..max
 * minutes; what names the bound in the message, e.g. "one service record"
 * (English, marked N_() by the caller: it is translated here). */
int hb_cli_parse_duration(const char *text, int64_t min, int64_t max, const char *what, int64_t *minutes,
                          char *msg, size_t msg_size);

/* A local date and time "YYYY-MM-DD HH:MM" (or with 'T' between) as Unix
 * seconds. Impossible dates and times skipped by a clock change are
 * refused. */
int hb_cli_parse_time(const char *text, int64_t *t, char *msg, size_t msg_size);

/* "YYYY-MM-DD" (local midnight) or a date and time as above. */
int hb_cli_parse_date(const char *text, int64_t *t, char *msg, size_t msg_size);

/* What of a date (need_time false) or a date and time no time zone can
 * change, for checks before the zone is known: its form and that it is on
 * the calendar. *as_utc: the fields read as UTC, which is within
 * HB_CLI_ZONE_OFFSET_S_MAX of what they mean in any zone. 0, or -1 with msg as
 * hb_cli_parse_time and hb_cli_parse_date say it. */
int hb_cli_parse_moment_form(const char *text, bool need_time, int64_t *as_utc, char *msg, size_t msg_size);

/* An operation reference "STATION:SEQ", e.g. "1:42", both >= 1. */
int hb_cli_parse_op_ref(const char *text, uint32_t *station_id, uint64_t *seq, char *msg, size_t msg_size);

/* A station sequence number >= 1, e.g. "42". */
int hb_cli_parse_seq(const char *text, uint64_t *seq, char *msg, size_t msg_size);

/* "volunteer", "elder" or "both" (either case), as a HOURBANK__ROLE__ value. */
int hb_cli_parse_role(const char *text, int *role, char *msg, size_t msg_size);

/* A four-digit birth year between HB_BIRTH_YEAR_MIN and this_year. */
int hb_cli_parse_birth_year(const char *text, int this_year, uint32_t *year, char *msg, size_t msg_size);

/* Free text given with option name (e.g. "--note", or words marked N_()
 * such as "the search text": translated here): valid UTF-8, at most
 * max_bytes, non-empty when required; control characters refused, except
 * tab and newline when multiline. */
int hb_cli_parse_text(const char *option, const char *text, size_t max_bytes, bool required, bool multiline,
                      char *msg, size_t msg_size);

/* As hb_cli_parse_text, for text people write (names, notes, reasons):
 * at most max_chars characters (code points, HB_*_CHARS_MAX), whatever
 * their bytes. */
int hb_cli_parse_chars(const char *option, const char *text, size_t max_chars, bool required, bool multiline,
                       char *msg, size_t msg_size);

/* --phone: 3..HB_PHONE_CHARS_MAX of digits, '+', '-' and ' ', as
 * RegisterMember.phone takes it. 0, or -1 with msg. */
int hb_cli_parse_phone(const char *text, char *msg, size_t msg_size);

/* A PIN: HB_PIN_DIGITS_MIN..HB_PIN_DIGITS_MAX digits. The message
 * never repeats the PIN. */
int hb_cli_parse_pin(const char *text, char *msg, size_t msg_size);

/* A save's request id as given with --request-id: 1..HB_REQUEST_ID_BYTES_MAX
 * of letters, digits and . _ : - (copied into out). */
int hb_cli_parse_request_id(const char *text, char out[HB_REQUEST_ID_BYTES_MAX + 1], char *msg, size_t msg_size);

/* A reply timeout in milliseconds, HB_CLI_REPLY_TIMEOUT_MS_MIN..MAX. */
int hb_cli_parse_timeout_ms(const char *text, int *ms, char *msg, size_t msg_size);

/* text quoted for a message: in double quotes, non-printable bytes as
 * \xNN, cut to a readable length with "...". */
char *hb_cli_parse_quote(char *buf, size_t size, const char *text);

#endif
