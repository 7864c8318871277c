/* cli_format.h - human output: durations, local times, op refs, one-line
 * text. Every function writes a NUL-terminated string into buf (size
 * bytes; cut short if too small) and returns buf, so calls can sit inside
 * a printf argument list. HB_CLI_FORMAT_BYTES is enough for any of them.
 */
#ifndef HB_CLI_FORMAT_H
#define HB_CLI_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for any formatted duration, time, age or op ref. */
#define HB_CLI_FORMAT_BYTES 64

/* Minutes as hours and minutes in the operator's language: "2 h 30 min",
 * "45 min", "2 h", "0 min", "-1 h 15 min" ("2小时30分钟" in Chinese); with
 * sign, positive amounts get a "+" ("+1 h 30 min"). */
char *hb_cli_format_duration(char *buf, size_t size, int64_t minutes, bool sign);

/* Unix seconds in local time, "2026-11-29 14:05"; 0 gives "never". */
char *hb_cli_format_time(char *buf, size_t size, int64_t t);

/* Unix seconds as RFC 3339 in local time with its offset,
 * "2026-11-29T14:05:00+08:00", for JSON; 0 gives "" (callers write null). */
char *hb_cli_format_time_rfc3339(char *buf, size_t size, int64_t t);

/* How long before now t was: "just now", "3 min ago", "2 h 5 min ago",
 * "4 d 3 h ago"; a t after now gives "in 3 min". 0 gives "never". */
char *hb_cli_format_ago(char *buf, size_t size, int64_t t, int64_t now);

/* "STATION:SEQ", e.g. "1:42"; with station 0 (unknown) "seq 42". */
char *hb_cli_format_op_ref(char *buf, size_t size, uint32_t station_id, uint64_t seq);

/* Text from a peer on one line: tab, newline and other control characters
 * become a space. */
char *hb_cli_format_line(char *buf, size_t size, const char *text);

/* The role's word: "volunteer", "elder", "both" ("unknown" otherwise), in
 * English as JSON writes it; text output shows _() of it. */
const char *hb_cli_format_role(int role);

#endif
