/* cli_op.h - an Op from values already checked (client/shared/cli_parse.h),
 * as the CLI's commands and the console's pages both save them: one
 * builder per kind, so the two programs send the same op for the same
 * input.
 *
 * An hb_cli_op_t holds the Op and everything it points to (copies of the
 * strings given), so it can outlive the caller's input; it needs no
 * destroy. The builders only assemble: the whole op is checked again by
 * hb_wire_validate_op() before it is sent.
 */
#ifndef HB_CLI_OP_H
#define HB_CLI_OP_H

#include <stddef.h>
#include <stdint.h>

#include "hb_limits.h"
#include "hb_memberno.h"
#include "hourbank.pb-c.h"

typedef struct {
    Hourbank__Op op;      /* op.operator_ "": the caller sets it */
    union {
        Hourbank__ServiceRecord service;
        Hourbank__Gift gift;
        Hourbank__Donation donation;
        Hourbank__Void void_op;
        Hourbank__RegisterMember reg;
    } kind;
    Hourbank__OpRef target;
    char member_a[HB_MEMBER_NO_BUF_BYTES];   /* provider, giver, donor, family_of */
    char member_b[HB_MEMBER_NO_BUF_BYTES];   /* recipient, receiver; "" */
    char category[HB_CATEGORY_BYTES_MAX + 1];
    char text[HB_NOTE_BYTES_MAX + 1];        /* note or reason */
    char name[HB_NAME_BYTES_MAX + 1];
    char phone[HB_PHONE_BYTES_MAX + 1];
    char relation[HB_RELATION_BYTES_MAX + 1];
} hb_cli_op_t;

/* A category as typed: one catalogue word, capitals lowered, at most
 * HB_CATEGORY_BYTES_MAX bytes. 0, or -1 with msg (what names the field,
 * e.g. "--category"). */
int hb_cli_op_category(const char *what, const char *text, char out[HB_CATEGORY_BYTES_MAX + 1], char *msg,
                       size_t msg_size);

/* note: "" or NULL = none. */
void hb_cli_op_service(hb_cli_op_t *o, const char *provider, const char *recipient, int64_t minutes,
                       const char *category, const char *note, int64_t occurred_at);
void hb_cli_op_gift(hb_cli_op_t *o, const char *from, const char *to, int64_t minutes, const char *reason,
                    int64_t occurred_at);
void hb_cli_op_donation(hb_cli_op_t *o, const char *member, int64_t minutes, const char *reason,
                        int64_t occurred_at);
void hb_cli_op_void(hb_cli_op_t *o, uint32_t station_id, uint64_t seq, const char *reason, int64_t occurred_at);
/* member_no "" (the station allocates it); birth_year 0, phone,
 * family_of and relation NULL or "" = not given. */
void hb_cli_op_register(hb_cli_op_t *o, const char *name, int role, uint32_t birth_year, const char *phone,
                        const char *family_of, const char *relation, int64_t occurred_at);

#endif
