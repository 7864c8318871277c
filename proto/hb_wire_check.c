/* hb_wire_check.c - field-level checks shared by the message validators:
 * the error helpers (filling hb_wire_error_t), text fields (UTF-8, control
 * characters, member numbers), numbers, time zones and enums. Private to the
 * wire module; declared in hb_wire_int.h. */
#include "hb_wire_int.h"
#include "hb_utf8.h"
#include "hb_assert.h"
#include "hb_memberno.h"
#include "hb_zone.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A member number quoted with every byte escaped as \xNN, plus NUL. */
#define QUOTED_MEMBER_NO_BYTES (HB_MEMBER_NO_BYTES_MAX * 4 + 1)
/* A time zone field quoted back: each byte may become \xNN. */
#define QUOTED_ZONE_BYTES (HB_TIME_ZONE_BYTES_MAX * 4 + 1)

/* The characters of a result value's name (Param.name). */
#define PARAM_NAME_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_"

/* ---- errors ---- */

void
hb_wire__error_clear(hb_wire_error_t *err)
{
    err->code = HB_RESULT_OK;
    err->message[0] = '\0';
    err->correlation_id = 0;
}


/* Fills err and returns -1, so validators can `return hb_wire__fail(...)`. */
int
hb_wire__fail(hb_wire_error_t *err, hb_result_t code, const char *fmt, ...)
{
    hb_assert(code != HB_RESULT_OK && code != HB_RESULT_UNSET);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* Formats the path of a field for error messages; a path cut short only
 * shortens a message, so truncation is accepted here. */

void
hb_wire__where_format(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, size, fmt, ap);
    va_end(ap);
}

/* ---- UTF-8 and text ---- */

/* C0 controls, DEL and C1 controls (terminals act on all of them). */
static bool
is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}


const char *
hb_wire__text_at(const void *msg, size_t offset)
{
    const char *const *field = (const char *const *) (const void *) ((const char *) msg + offset);
    return *field ? *field : "";
}

/* Copies s into out, printable ASCII as is and every other byte as \xNN. */
static void
quote_bytes(char *out, size_t size, const char *s)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *) s; *p && o + 5 <= size; p++) {
        if (*p >= 0x20 && *p < 0x7F && *p != '"' && *p != '\\')
            out[o++] = (char) *p;
        else
            o += (size_t) snprintf(out + o, size - o, "\\x%02X", *p);
    }
    out[o] = '\0';
}

static int
check_member_no(hb_wire_error_t *err, const char *where, const text_rule_t *rule, const char *s)
{
    size_t len = strlen(s);
    if (len == 0 && !(rule->flags & TEXT_REQUIRED))
        return 0;
    if (len == 0)
        return hb_wire__fail(err, HB_RESULT_BAD_MEMBER_NUMBER, "%s%s is empty, a member number is required", where,
                    rule->name);
    if (len > rule->max_bytes)
        return hb_wire__fail(err, HB_RESULT_BAD_MEMBER_NUMBER, "%s%s is %zu bytes, a member number has at most %zu",
                    where, rule->name, len, rule->max_bytes);
    if (hb_memberno_parse(s, NULL, NULL) != HB_RESULT_OK) {
        char quoted[QUOTED_MEMBER_NO_BYTES];
        quote_bytes(quoted, sizeof quoted, s);
        return hb_wire__fail(err, HB_RESULT_BAD_MEMBER_NUMBER, "%s%s=\"%s\" is not a valid member number", where,
                    rule->name, quoted);
    }
    return 0;
}

int
hb_wire__check_text(hb_wire_error_t *err, const char *where, const text_rule_t *rule, const char *s)
{
    if (rule->flags & TEXT_MEMBER_NO)
        return check_member_no(err, where, rule, s);
    size_t len = strlen(s);
    if (len > rule->max_bytes)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s is %zu bytes, limit %zu", where, rule->name, len,
                    rule->max_bytes);
    if (len == 0 && (rule->flags & TEXT_REQUIRED))
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s must not be empty", where, rule->name);
    const unsigned char *u = (const unsigned char *) s;
    size_t chars = 0;
    for (size_t at = 0, n; at < len; at += n, chars++) {
        uint32_t cp;
        n = hb_utf8_decode(u + at, len - at, &cp);
        if (n == 0)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s is not valid UTF-8 at byte %zu", where, rule->name, at);
        bool allowed = (rule->flags & TEXT_NOTE) && (cp == '\n' || cp == '\t');
        if (is_control(cp) && !allowed)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s contains control character U+%04" PRIX32 " at byte %zu",
                        where, rule->name, cp, at);
    }
    if (rule->max_chars != 0 && chars > rule->max_chars)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s is %zu characters, limit %zu", where, rule->name, chars,
                    rule->max_chars);
    return 0;
}

/* "" (not given) or HB_PHONE_CHARS_MIN..HB_PHONE_CHARS_MAX of digits, '+',
 * '-' and ' ': what a phone number is written with, in any country. */
int
hb_wire__check_phone(hb_wire_error_t *err, const char *where, const char *phone)
{
    size_t len = strlen(phone);
    if (len == 0)
        return 0;
    if (len < HB_PHONE_CHARS_MIN || len > HB_PHONE_CHARS_MAX)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sphone is %zu characters, allowed %d..%d", where, len,
                    HB_PHONE_CHARS_MIN, HB_PHONE_CHARS_MAX);
    size_t bad = strspn(phone, "0123456789+- ");
    if (bad < len)
        return hb_wire__fail(err, HB_RESULT_MALFORMED,
                    "%sphone has byte 0x%02X at %zu: only digits, '+', '-' and ' ' are allowed", where,
                    (unsigned char) phone[bad], bad);
    return 0;
}

/* Result values: at most HB_PARAMS_MAX, each a name of lowercase letters,
 * digits and '_' (a key such as "held_minutes") and a one-line value
 * (PROTOCOL.md, "Result values"). */
int
hb_wire__check_params(hb_wire_error_t *err, const char *where, Hourbank__Param *const *params, size_t n)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__Param, name, HB_PARAM_NAME_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT(Hourbank__Param, value, HB_PARAM_VALUE_BYTES_MAX, TEXT_LINE),
    };
    if (hb_wire__check_count(err, where, "params", n, 0, HB_PARAMS_MAX) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%sparams[%zu].", where, i);
        if (params[i] == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sparams[%zu] is missing", where, i);
        if (CHECK_TEXTS(err, sub, params[i], rules) != 0)
            return -1;
        const char *name = params[i]->name;
        if (strspn(name, PARAM_NAME_CHARS) != strlen(name))
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sname has byte 0x%02X at %zu: a value's name is"
                        " lowercase letters, digits and '_'", sub, (unsigned char) name[strspn(name, PARAM_NAME_CHARS)],
                        strspn(name, PARAM_NAME_CHARS));
    }
    return 0;
}

int
hb_wire__check_texts(hb_wire_error_t *err, const char *where, const void *msg, const text_rule_t *rules, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (hb_wire__check_text(err, where, &rules[i], hb_wire__text_at(msg, rules[i].offset)) != 0)
            return -1;
    }
    return 0;
}

/* ---- numbers and enums ---- */

int
hb_wire__check_i64(hb_wire_error_t *err, const char *where, const char *name, int64_t v, int64_t lo, int64_t hi,
          hb_result_t code)
{
    if (v >= lo && v <= hi)
        return 0;
    if (hi == INT64_MAX)
        return hb_wire__fail(err, code, "%s%s=%" PRId64 " must be at least %" PRId64, where, name, v, lo);
    return hb_wire__fail(err, code, "%s%s=%" PRId64 " out of range %" PRId64 "..%" PRId64, where, name, v, lo, hi);
}

int
hb_wire__check_u64(hb_wire_error_t *err, const char *where, const char *name, uint64_t v, uint64_t lo, uint64_t hi)
{
    if (v >= lo && v <= hi)
        return 0;
    if (hi == UINT64_MAX)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s=%" PRIu64 " must be at least %" PRIu64, where, name, v, lo);
    return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s=%" PRIu64 " out of range %" PRIu64 "..%" PRIu64, where, name, v,
                lo, hi);
}

int
hb_wire__check_count(hb_wire_error_t *err, const char *where, const char *name, size_t n, size_t lo, size_t hi)
{
    if (n >= lo && n <= hi)
        return 0;
    return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s has %zu entries, allowed %zu..%zu", where, name, n, lo, hi);
}

/* A tz database name (hb_zone.h), or "" where the field may be unset: the
 * CLI installs it as its TZ, so nothing else is let through. */
int
hb_wire__check_zone(hb_wire_error_t *err, const char *where, const char *name, const char *zone)
{
    size_t len = strlen(zone);
    if (len == 0 || hb_zone_name_ok(zone))
        return 0;
    if (len > HB_TIME_ZONE_BYTES_MAX)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s is %zu bytes, limit %d", where, name, len,
                    HB_TIME_ZONE_BYTES_MAX);
    char quoted[QUOTED_ZONE_BYTES];
    quote_bytes(quoted, sizeof quoted, zone);
    return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s=\"%s\" is not a tz database name", where, name, quoted);
}

/* Instants are Unix seconds; before 1970 is never right. */
int
hb_wire__check_time(hb_wire_error_t *err, const char *where, const char *name, int64_t t)
{
    return hb_wire__check_i64(err, where, name, t, 0, INT64_MAX, HB_RESULT_MALFORMED);
}

int
hb_wire__check_balance(hb_wire_error_t *err, const char *where, const char *name, int64_t minutes)
{
    return hb_wire__check_i64(err, where, name, minutes, -HB_ACCOUNT_MINUTES_MAX, HB_ACCOUNT_MINUTES_MAX,
                     HB_RESULT_MALFORMED);
}

/* Registered members are volunteers, elders or both; ROLE_UNSET is not a role. */
int
hb_wire__check_role(hb_wire_error_t *err, const char *where, Hourbank__Role role)
{
    int v = (int) role;
    if (v == HOURBANK__ROLE__VOLUNTEER || v == HOURBANK__ROLE__ELDER || v == HOURBANK__ROLE__BOTH)
        return 0;
    return hb_wire__fail(err, HB_RESULT_MALFORMED, "%srole=%d is not VOLUNTEER, ELDER or BOTH", where, v);
}

int
hb_wire__check_birth_year(hb_wire_error_t *err, const char *where, uint32_t year)
{
    if (year == 0)
        return 0;
    return hb_wire__check_i64(err, where, "birth_year", year, HB_BIRTH_YEAR_MIN, HB_BIRTH_YEAR_MAX, HB_RESULT_MALFORMED);
}

/* A known result code; UNSET and OK only where allow says so. */
int
hb_wire__check_result(hb_wire_error_t *err, const char *where, const char *name, Hourbank__Result result, unsigned allow)
{
    int v = (int) result;
    if (!hb_result_is_known(v))
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s=%d is not a known result code", where, name, v);
    if ((v == HB_RESULT_UNSET && !(allow & RESULT_UNSET_OK)) || (v == HB_RESULT_OK && !(allow & RESULT_OK_OK)))
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s=%s is not allowed here", where, name,
                    hb_result_name((hb_result_t) v));
    return 0;
}

int
hb_wire__check_op_ref(hb_wire_error_t *err, const char *where, const char *name, const Hourbank__OpRef *ref)
{
    char sub[WHERE_BYTES];
    hb_wire__where_format(sub, sizeof sub, "%s%s.", where, name);
    if (hb_wire__check_u64(err, sub, "station_id", ref->station_id, 1, HB_STATION_ID_MAX) != 0)
        return -1;
    return hb_wire__check_u64(err, sub, "seq", ref->seq, 1, HB_SEQ_MAX);
}

/* The member of a oneof selected by its case (a field number), or NULL
 * if the case names no field; *name is the field's name in the .proto. */
const void *
hb_wire__oneof_member(const ProtobufCMessageDescriptor *desc, const void *msg, int which, const char **name)
{
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field(desc, (unsigned) which);
    if (field == NULL || field->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    *name = field->name;
    return *(const void *const *) (const void *) ((const char *) msg + field->offset);
}

/* Family links: at most HB_FAMILY_LINKS_MAX, each a member number and a
 * relation of one line, no relative twice. */
int
hb_wire__check_family_links(hb_wire_error_t *err, const char *where, const char *name,
                            Hourbank__FamilyLink *const *links, size_t n)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__FamilyLink, member_no, TEXT_REQUIRED),
        TEXT_CHARS(Hourbank__FamilyLink, relation, HB_RELATION_CHARS_MAX, TEXT_LINE),
    };
    if (hb_wire__check_count(err, where, name, n, 0, HB_FAMILY_LINKS_MAX) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%s%s[%zu].", where, name, i);
        if (links[i] == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s[%zu] is missing", where, name, i);
        if (CHECK_TEXTS(err, sub, links[i], rules) != 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(links[j]->member_no, links[i]->member_no) == 0)
                return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s names %s twice", where, name,
                                     links[i]->member_no);
    }
    return 0;
}

/* Member numbers in a list: at most max, each valid, none twice. */
int
hb_wire__check_member_list(hb_wire_error_t *err, const char *where, const char *name, char *const *list, size_t n,
                           size_t max)
{
    const text_rule_t rule = {name, 0, HB_MEMBER_NO_BYTES_MAX, TEXT_MEMBER_NO | TEXT_REQUIRED, 0};
    if (hb_wire__check_count(err, where, name, n, 0, max) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (hb_wire__check_text(err, where, &rule, list[i]) != 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(list[j], list[i]) == 0)
                return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s names %s twice", where, name, list[i]);
    }
    return 0;
}
