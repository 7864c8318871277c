/* hb_memberno.h - member numbers "CODE-NNNNNN-D".
 *
 * CODE is the community code: HB_COMMUNITY_CODE_BYTES_MIN..MAX characters
 * of [A-Z0-9]. NNNNNN is the serial, exactly HB_MEMBER_SERIAL_DIGITS
 * decimal digits, 1..HB_MEMBER_SERIAL_MAX (zero is never allocated). D is a
 * Damm check digit over the canonical decimal string: each code character
 * as two digits ('0'-'9' -> 00-09, 'A'-'Z' -> 10-35), then the serial's
 * digits. Example: "QX03-000127-D".
 *
 * The check digit catches every single-digit substitution anywhere in the
 * number, every adjacent transposition in the serial, and a letter replaced
 * by another letter of the same group A-J, K-T or U-Z. It cannot catch every
 * letter-for-letter typo in the code: 36 symbols do not fit one decimal
 * check digit. Such a typo names another community, which the caller
 * checks against the known communities.
 *
 * Parsing is strict: uppercase only, no surrounding spaces. Input typed by
 * a person goes through hb_memberno_normalize() first.
 */
#ifndef HB_MEMBERNO_H
#define HB_MEMBERNO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_limits.h"
#include "hb_result.h"

/* Highest serial: HB_MEMBER_SERIAL_DIGITS nines. (Belongs in hb_limits.h.) */
#ifndef HB_MEMBER_SERIAL_MAX
#define HB_MEMBER_SERIAL_MAX 999999u
#endif
_Static_assert(HB_MEMBER_SERIAL_DIGITS == 6, "HB_MEMBER_SERIAL_MAX must have HB_MEMBER_SERIAL_DIGITS nines");

/* Buffer size that holds any member number and its terminating NUL. */
#define HB_MEMBER_NO_BUF_BYTES (HB_MEMBER_NO_BYTES_MAX + 1)

/* True if code is a valid community code: 2..8 characters of [A-Z0-9]. */
bool hb_memberno_code_valid(const char *code);

/* Writes "CODE-NNNNNN-D" into buf (size bytes, NUL-terminated).
 * Returns 0, or -1 if community is not a valid code, serial is outside
 * 1..HB_MEMBER_SERIAL_MAX, or buf is too small (then buf holds ""). */
int hb_memberno_format(char *buf, size_t size, const char *community, uint32_t serial);

/* Parses a member number. On HB_RESULT_OK writes the community code into
 * community_out (HB_COMMUNITY_CODE_BYTES_MAX + 1 bytes) and the serial into
 * serial_out; either may be NULL when not wanted. Returns HB_RESULT_OK or
 * HB_RESULT_BAD_MEMBER_NUMBER (syntax, serial 0 or wrong check digit);
 * outputs are untouched on failure. */
hb_result_t hb_memberno_parse(const char *text, char *community_out, uint32_t *serial_out);

/* For text typed by a person: removes leading and trailing ASCII
 * whitespace and uppercases ASCII letters, in place. */
void hb_memberno_normalize(char *s);

#endif
