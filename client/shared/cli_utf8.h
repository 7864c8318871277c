/* cli_utf8.h - UTF-8 as the CLI needs it: validity, and how many terminal
 * columns a string takes (names may be written in Chinese: two columns per
 * character). No locale is consulted; the tables follow Unicode's East Asian
 * Width property for the wide ranges that occur in names.
 */
#ifndef HB_CLI_UTF8_H
#define HB_CLI_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at s (NUL-terminated) per RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF. Returns its length in bytes
 * with *cp set, or 0 if s does not start a valid sequence (or is at NUL). */
size_t hb_cli_utf8_decode(const char *s, uint32_t *cp);

/* Byte offset of the first invalid sequence in s, or -1 if s is valid. */
long hb_cli_utf8_invalid_at(const char *s);

/* Terminal columns of s: 2 for wide characters, 0 for combining marks and
 * controls, 1 otherwise; an invalid byte counts 1 (shown as a
 * replacement). */
size_t hb_cli_utf8_width(const char *s);

#endif
