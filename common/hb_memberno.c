#include "hb_memberno.h"
#include "hb_assert.h"

#include <stdio.h>
#include <string.h>

#define DECIMAL_BASE 10u
/* '-' + serial + '-' + check digit, after the code. */
#define MEMBERNO_TAIL_BYTES (1 + HB_MEMBER_SERIAL_DIGITS + 2)

/* Damm's weakly totally anti-symmetric quasigroup of order 10 (H. M. Damm,
 * 2004): detects all single-digit errors and all adjacent transpositions. */
static const uint8_t damm_table[10][10] = {
    {0, 3, 1, 7, 5, 9, 8, 6, 4, 2}, {7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
    {4, 2, 0, 6, 8, 7, 1, 3, 5, 9}, {1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
    {6, 1, 2, 3, 0, 4, 5, 9, 7, 8}, {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
    {5, 8, 6, 9, 7, 2, 0, 1, 3, 4}, {8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
    {9, 4, 3, 8, 6, 1, 7, 2, 0, 5}, {2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
};

static bool
code_char_valid(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

/* '0'-'9' -> 0-9, 'A'-'Z' -> 10-35. */
static unsigned
code_char_value(char c)
{
    hb_assert(code_char_valid(c));
    if (c <= '9')
        return (unsigned) (c - '0');
    return DECIMAL_BASE + (unsigned) (c - 'A');
}

/* Check digit over the canonical decimal string of code (len chars, valid)
 * followed by the serial's HB_MEMBER_SERIAL_DIGITS digits. */
static unsigned
check_digit(const char *code, size_t len, uint32_t serial)
{
    unsigned interim = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned v = code_char_value(code[i]);
        interim = damm_table[interim][v / DECIMAL_BASE];
        interim = damm_table[interim][v % DECIMAL_BASE];
    }
    uint32_t divisor = (HB_MEMBER_SERIAL_MAX + 1u) / DECIMAL_BASE;
    for (int i = 0; i < HB_MEMBER_SERIAL_DIGITS; i++) {
        interim = damm_table[interim][(serial / divisor) % DECIMAL_BASE];
        divisor /= DECIMAL_BASE;
    }
    return interim;
}

/* Length of the code if text starts with a valid code, else 0. */
static size_t
code_length(const char *text)
{
    size_t len = 0;
    while (len <= HB_COMMUNITY_CODE_BYTES_MAX && code_char_valid(text[len]))
        len++;
    if (len < HB_COMMUNITY_CODE_BYTES_MIN || len > HB_COMMUNITY_CODE_BYTES_MAX)
        return 0;
    return len;
}

bool
hb_memberno_code_valid(const char *code)
{
    hb_assert(code);
    size_t len = code_length(code);
    return len != 0 && code[len] == '\0';
}

int
hb_memberno_format(char *buf, size_t size, const char *community, uint32_t serial)
{
    hb_assert(buf && size > 0);
    buf[0] = '\0';
    if (community == NULL || !hb_memberno_code_valid(community))
        return -1;
    if (serial < 1 || serial > HB_MEMBER_SERIAL_MAX)
        return -1;
    size_t len = strlen(community);
    if (size < len + MEMBERNO_TAIL_BYTES + 1)
        return -1;
    int n = snprintf(buf, size, "%s-%0*u-%u", community, HB_MEMBER_SERIAL_DIGITS, (unsigned) serial,
                     check_digit(community, len, serial));
    hb_assert(n == (int) (len + MEMBERNO_TAIL_BYTES));
    return 0;
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly HB_MEMBER_SERIAL_DIGITS digits; false if any is not a digit. */
static bool
read_serial(const char *s, uint32_t *serial)
{
    uint32_t v = 0;
    for (int i = 0; i < HB_MEMBER_SERIAL_DIGITS; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * DECIMAL_BASE + (uint32_t) (s[i] - '0');
    }
    *serial = v;
    return true;
}

hb_result_t
hb_memberno_parse(const char *text, char *community_out, uint32_t *serial_out)
{
    hb_assert(text);
    size_t len = code_length(text);
    if (len == 0 || text[len] != '-')
        return HB_RESULT_BAD_MEMBER_NUMBER;
    const char *tail = text + len + 1;
    uint32_t serial;
    if (!read_serial(tail, &serial) || serial == 0)
        return HB_RESULT_BAD_MEMBER_NUMBER;
    tail += HB_MEMBER_SERIAL_DIGITS;
    if (tail[0] != '-' || !is_digit(tail[1]) || tail[2] != '\0')
        return HB_RESULT_BAD_MEMBER_NUMBER;
    if ((unsigned) (tail[1] - '0') != check_digit(text, len, serial))
        return HB_RESULT_BAD_MEMBER_NUMBER;
    if (community_out) {
        memcpy(community_out, text, len);
        community_out[len] = '\0';
    }
    if (serial_out)
        *serial_out = serial;
    return HB_RESULT_OK;
}

static bool
is_ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void
hb_memberno_normalize(char *s)
{
    hb_assert(s);
    size_t start = 0;
    while (is_ascii_space(s[start]))
        start++;
    size_t len = strlen(s + start);
    while (len > 0 && is_ascii_space(s[start + len - 1]))
        len--;
    memmove(s, s + start, len);
    s[len] = '\0';
    for (size_t i = 0; i < len; i++) {
        if (s[i] >= 'a' && s[i] <= 'z')
            s[i] = (char) (s[i] - 'a' + 'A');
    }
}
