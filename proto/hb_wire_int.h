/* hb_wire_int.h - private to hb_wire.c (envelope, unpack, pack),
 * hb_wire_validate.c (each message's validator) and hb_wire_check.c (field
 * checks and error helpers). Not an API: include it from those files only. */
#ifndef HB_WIRE_INT_H
#define HB_WIRE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_wire.h"

/* Room for a field's path in an error message, e.g. "op seq=12: service." */
#define WHERE_BYTES 64

enum {
    TEXT_LINE = 1 << 0,       /* one line: no control characters */
    TEXT_NOTE = 1 << 1,       /* free text: tab and newline allowed */
    TEXT_REQUIRED = 1 << 2,   /* must not be empty */
    TEXT_MEMBER_NO = 1 << 3,  /* a member number (or "" unless required) */
};

/* One string field of a message, found by offset. Text people write is
 * bounded in characters (max_chars, code points; 0 = bytes only). */
typedef struct {
    const char *name;
    size_t offset;
    size_t max_bytes;
    unsigned flags;
    size_t max_chars;
} text_rule_t;

#define TEXT(type, field, max, flags) {#field, offsetof(type, field), (max), (flags), 0}
#define TEXT_CHARS(type, field, chars, flags) \
    {#field, offsetof(type, field), (chars) * HB_UTF8_CHAR_BYTES_MAX, (flags), (chars)}
#define MEMBER_NO(type, field, flags) \
    {#field, offsetof(type, field), HB_MEMBER_NO_BYTES_MAX, TEXT_MEMBER_NO | (flags), 0}

#define CHECK_TEXTS(err, where, msg, rules) \
    hb_wire__check_texts((err), (where), (msg), (rules), sizeof(rules) / sizeof((rules)[0]))

enum { RESULT_UNSET_OK = 1 << 0, RESULT_OK_OK = 1 << 1 };

/* How much of a Batch is checked. hb_wire_validate checks every op;
 * hb_wire_unpack checks the structure only, so that central can reject a
 * bad op on its own (with hb_wire_validate_op) and still answer the rest:
 * refusing the whole batch would make a station resend it forever. */
typedef enum { BATCH_CHECK_OPS, BATCH_CHECK_STRUCTURE } batch_check_t;

/* hb_wire_check.c: errors */
void hb_wire__error_clear(hb_wire_error_t *err);
int hb_wire__fail(hb_wire_error_t *err, hb_result_t code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void hb_wire__where_format(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* hb_wire_check.c: text */
const char *hb_wire__text_at(const void *msg, size_t offset);
int hb_wire__check_text(hb_wire_error_t *err, const char *where, const text_rule_t *rule, const char *s);
int hb_wire__check_texts(hb_wire_error_t *err, const char *where, const void *msg, const text_rule_t *rules, size_t count);

/* hb_wire_check.c: family links and lists of member numbers */
int hb_wire__check_family_links(hb_wire_error_t *err, const char *where, const char *name,
                                Hourbank__FamilyLink *const *links, size_t n);
int hb_wire__check_member_list(hb_wire_error_t *err, const char *where, const char *name, char *const *list, size_t n,
                               size_t max);

/* hb_wire_check.c: numbers and enums */
int hb_wire__check_i64(hb_wire_error_t *err, const char *where, const char *name, int64_t v, int64_t lo, int64_t hi,
                       hb_result_t code);
int hb_wire__check_u64(hb_wire_error_t *err, const char *where, const char *name, uint64_t v, uint64_t lo, uint64_t hi);
int hb_wire__check_count(hb_wire_error_t *err, const char *where, const char *name, size_t n, size_t lo, size_t hi);
int hb_wire__check_zone(hb_wire_error_t *err, const char *where, const char *name, const char *zone);
int hb_wire__check_time(hb_wire_error_t *err, const char *where, const char *name, int64_t t);
int hb_wire__check_balance(hb_wire_error_t *err, const char *where, const char *name, int64_t minutes);
int hb_wire__check_role(hb_wire_error_t *err, const char *where, Hourbank__Role role);
int hb_wire__check_phone(hb_wire_error_t *err, const char *where, const char *phone);
int hb_wire__check_params(hb_wire_error_t *err, const char *where, Hourbank__Param *const *params, size_t n);
int hb_wire__check_birth_year(hb_wire_error_t *err, const char *where, uint32_t year);
int hb_wire__check_result(hb_wire_error_t *err, const char *where, const char *name, Hourbank__Result result, unsigned allow);
int hb_wire__check_op_ref(hb_wire_error_t *err, const char *where, const char *name, const Hourbank__OpRef *ref);
const void *hb_wire__oneof_member(const ProtobufCMessageDescriptor *desc, const void *msg, int which, const char **name);

/* hb_wire_validate.c: the envelope's body, by its case */
int hb_wire__validate_body(hb_wire_error_t *err, const Hourbank__Envelope *env, batch_check_t batch_check);

/* hb_wire_validate_query.c: queries and their replies */
int hb_wire__validate_balance_query(hb_wire_error_t *err, const char *where, const Hourbank__BalanceQuery *q);
int hb_wire__validate_balance_reply(hb_wire_error_t *err, const char *where, const Hourbank__BalanceReply *r);
int hb_wire__validate_statement_query(hb_wire_error_t *err, const char *where, const Hourbank__StatementQuery *q);
int hb_wire__validate_statement_reply(hb_wire_error_t *err, const char *where, const Hourbank__StatementReply *r);
int hb_wire__validate_member_query(hb_wire_error_t *err, const char *where, const Hourbank__MemberQuery *q);
int hb_wire__validate_member_reply(hb_wire_error_t *err, const char *where, const Hourbank__MemberReply *r);
int hb_wire__validate_directory_query(hb_wire_error_t *err, const char *where, const Hourbank__DirectoryQuery *q);
int hb_wire__validate_directory_reply(hb_wire_error_t *err, const char *where, const Hourbank__DirectoryReply *r);
int hb_wire__validate_rules_reply(hb_wire_error_t *err, const char *where, const Hourbank__RulesReply *r);

/* hb_wire_validate_reconcile.c: reconciliation, and the day and hash
 * fields other messages carry ("" or YYYY-MM-DD; empty, unless required,
 * or 32 bytes) */
int hb_wire__check_day(hb_wire_error_t *err, const char *where, const char *name, const char *day);
int hb_wire__check_hash(hb_wire_error_t *err, const char *where, const char *name, ProtobufCBinaryData h,
                        bool required);
int hb_wire__validate_reconcile_query(hb_wire_error_t *err, const char *where, const Hourbank__ReconcileQuery *q);
int hb_wire__validate_reconcile_reply(hb_wire_error_t *err, const char *where, const Hourbank__ReconcileReply *r);
int hb_wire__validate_reconcile_request(hb_wire_error_t *err, const char *where, const Hourbank__ReconcileRequest *q);
int hb_wire__validate_reconcile_report(hb_wire_error_t *err, const char *where, const Hourbank__ReconcileReport *r);

/* hb_wire_validate_import.c: the local API's import */
int hb_wire__validate_import_request(hb_wire_error_t *err, const char *where, const Hourbank__ImportRequest *q);
int hb_wire__validate_import_reply(hb_wire_error_t *err, const char *where, const Hourbank__ImportReply *r);

#endif
