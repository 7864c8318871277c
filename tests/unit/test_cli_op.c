/* client/shared/cli_op.c: the ops the CLI and the console build from
 * checked values are the ops the station takes (hb_wire_validate_op), hold
 * copies of what they were given, and lower a typed category. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli_op.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#define NOW 1796000000
#define MSG_BYTES 512

static char a[32], b[32];

static void
valid(const hb_cli_op_t *o)
{
    hb_wire_error_t err;
    if (hb_wire_validate_op(&o->op, HB_WIRE_OP_IN_SAVE, &err) != 0)
        fail_msg("not valid: %s", err.message);
    assert_int_equal(o->op.seq, 0);
    assert_string_equal(o->op.operator_, "");
    assert_int_equal(o->op.occurred_at, NOW);
}

static void
test_service(void **state)
{
    (void) state;
    char note[] = "a walk";
    hb_cli_op_t o;
    hb_cli_op_service(&o, a, b, 90, "companionship", note, NOW);
    note[0] = 'X';  /* the op holds its own copy */
    valid(&o);
    assert_int_equal(o.op.kind_case, HOURBANK__OP__KIND_SERVICE);
    assert_string_equal(o.op.service->provider, a);
    assert_string_equal(o.op.service->recipient, b);
    assert_int_equal(o.op.service->minutes, 90);
    assert_string_equal(o.op.service->category, "companionship");
    assert_string_equal(o.op.service->note, "a walk");
    hb_cli_op_service(&o, a, b, 90, "companionship", NULL, NOW);
    assert_string_equal(o.op.service->note, "");
}

static void
test_gift_donation_void(void **state)
{
    (void) state;
    hb_cli_op_t o;
    hb_cli_op_gift(&o, a, b, 120, "for my mother", NOW);
    valid(&o);
    assert_int_equal(o.op.kind_case, HOURBANK__OP__KIND_GIFT);
    assert_string_equal(o.op.gift->from_member, a);
    assert_string_equal(o.op.gift->to_member, b);
    assert_int_equal(o.op.gift->minutes, 120);
    assert_string_equal(o.op.gift->reason, "for my mother");
    hb_cli_op_donation(&o, a, 15, "for the pool", NOW);
    valid(&o);
    assert_int_equal(o.op.kind_case, HOURBANK__OP__KIND_DONATION);
    assert_string_equal(o.op.donation->member, a);
    assert_int_equal(o.op.donation->minutes, 15);
    hb_cli_op_void(&o, 3, 17, "entered twice", NOW);
    valid(&o);
    assert_int_equal(o.op.kind_case, HOURBANK__OP__KIND_VOID_OP);
    assert_int_equal(o.op.void_op->target->station_id, 3);
    assert_int_equal(o.op.void_op->target->seq, 17);
    assert_string_equal(o.op.void_op->reason, "entered twice");
}

static void
test_register(void **state)
{
    (void) state;
    hb_cli_op_t o;
    hb_cli_op_register(&o, "王秀英", HOURBANK__ROLE__ELDER, 1936, "123 456", a, "女儿", NOW);
    valid(&o);
    const Hourbank__RegisterMember *r = o.op.register_member;
    assert_int_equal(o.op.kind_case, HOURBANK__OP__KIND_REGISTER_MEMBER);
    assert_string_equal(r->member_no, "");
    assert_string_equal(r->name, "王秀英");
    assert_int_equal(r->role, HOURBANK__ROLE__ELDER);
    assert_int_equal(r->birth_year, 1936);
    assert_string_equal(r->phone, "123 456");
    assert_string_equal(r->family_of, a);
    assert_string_equal(r->family_relation, "女儿");
    hb_cli_op_register(&o, "Li", HOURBANK__ROLE__VOLUNTEER, 0, NULL, NULL, NULL, NOW);
    valid(&o);
    assert_string_equal(o.op.register_member->family_of, "");
    assert_string_equal(o.op.register_member->phone, "");
}

static void
test_category(void **state)
{
    (void) state;
    char out[HB_CATEGORY_BYTES_MAX + 1], msg[MSG_BYTES], long_name[HB_CATEGORY_BYTES_MAX + 2];
    assert_int_equal(hb_cli_op_category("--category", "Personal-Care", out, msg, sizeof msg), 0);
    assert_string_equal(out, "personal-care");
    assert_int_equal(hb_cli_op_category("--category", "", out, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "--category"));
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_int_equal(hb_cli_op_category("--category", long_name, out, msg, sizeof msg), -1);
}

int
main(void)
{
    hb_i18n_init(NULL);
    snprintf(a, sizeof a, "%s", "QX03-000001-8");
    snprintf(b, sizeof b, "%s", "QX03-000002-6");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service),
        cmocka_unit_test(test_gift_donation_void),
        cmocka_unit_test(test_register),
        cmocka_unit_test(test_category),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
