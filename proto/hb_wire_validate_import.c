/* hb_wire_validate_import.c - the validators of the local API's import
 * (ImportRequest, ImportReply; PROTOCOL.md "Local API", "Import"). Called
 * by hb_wire__validate_body (hb_wire_validate.c). */
#include "hb_wire_int.h"
#include "hb_assert.h"
#include "hb_memberno.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The community and serial of the number a row's op is checked with when
 * member_of leaves its member to the station: any valid number does. */
#define PLACEHOLDER_COMMUNITY "AA"
#define PLACEHOLDER_SERIAL 1

/* A row's op as a save must hold it, its member filled in with a valid
 * placeholder when member_of names the registration that gives it. */
static int
check_row_op(hb_wire_error_t *err, const char *where, const Hourbank__ImportRow *row)
{
    const Hourbank__Op *op = row->save->op;
    Hourbank__Op copy = *op;
    Hourbank__RegisterMember reg;
    Hourbank__OpeningBalance opening;
    char number[HB_MEMBER_NO_BUF_BYTES];
    hb_assert(hb_memberno_format(number, sizeof number, PLACEHOLDER_COMMUNITY, PLACEHOLDER_SERIAL) == 0);
    if (row->member_of[0] != '\0') {
        if (op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER && op->register_member->family_of[0] == '\0') {
            reg = *op->register_member;
            reg.family_of = number;
            copy.register_member = &reg;
        } else if (op->kind_case == HOURBANK__OP__KIND_OPENING && op->opening->member_no[0] == '\0') {
            opening = *op->opening;
            opening.member_no = number;
            copy.opening = &opening;
        } else {
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%smember_of is given, but the op is not a registration"
                                 " without family_of nor an opening balance without member_no", where);
        }
    }
    hb_wire_error_t sub;
    if (hb_wire_validate_op(&copy, HB_WIRE_OP_IN_SAVE, &sub) == 0)
        return 0;
    return hb_wire__fail(err, sub.code, "%s%s", where, sub.message);
}

static int
check_row(hb_wire_error_t *err, const char *where, const Hourbank__ImportRow *row)
{
    static const text_rule_t row_rules[] = {
        TEXT(Hourbank__ImportRow, member_of, HB_REQUEST_ID_BYTES_MAX, TEXT_LINE),
    };
    static const text_rule_t save_rules[] = {
        TEXT(Hourbank__SaveRequest, request_id, HB_REQUEST_ID_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
    };
    if (row->save == NULL || row->save->op == NULL)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%ssave.op is missing", where);
    char save_where[WHERE_BYTES];
    hb_wire__where_format(save_where, sizeof save_where, "%ssave.", where);
    if (CHECK_TEXTS(err, where, row, row_rules) != 0 || CHECK_TEXTS(err, save_where, row->save, save_rules) != 0)
        return -1;
    if (row->save->dry_run || row->save->confirm_new)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%ssave.dry_run and save.confirm_new are set by the"
                             " ImportRequest, not by a row", where);
    return check_row_op(err, where, row);
}

int
hb_wire__validate_import_request(hb_wire_error_t *err, const char *where, const Hourbank__ImportRequest *q)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__ImportRequest, import_id, HB_IMPORT_ID_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
    };
    if (CHECK_TEXTS(err, where, q, rules) != 0 ||
        hb_wire__check_count(err, where, "rows", q->n_rows, 0, HB_IMPORT_PART_ROWS_MAX) != 0 ||
        hb_wire__check_u64(err, where, "first_row", q->first_row, 0, HB_IMPORT_ROWS_MAX) != 0 ||
        hb_wire__check_u64(err, where, "results_from", q->results_from, 0, HB_IMPORT_ROWS_MAX) != 0)
        return -1;
    if ((q->dry_run || q->skip_bad || q->confirm_new) && !q->commit)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sdry_run, skip_bad and confirm_new go with commit", where);
    if (q->results_from != 0 && (q->n_rows != 0 || q->commit))
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sresults_from=%" PRIu32 " asks for results: no rows, no"
                             " commit", where, q->results_from);
    for (size_t i = 0; i < q->n_rows; i++) {
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%srows[%zu].", where, i);
        if (q->rows[i] == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%srows[%zu] is missing", where, i);
        if (check_row(err, sub, q->rows[i]) != 0)
            return -1;
    }
    return 0;
}

static int
check_result(hb_wire_error_t *err, const char *where, const Hourbank__ImportResult *r)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__ImportResult, member_no, 0),
        TEXT(Hourbank__ImportResult, message, HB_MESSAGE_BYTES_MAX, TEXT_NOTE),
    };
    if (hb_wire__check_u64(err, where, "row", r->row, 0, HB_IMPORT_ROWS_MAX - 1) != 0 ||
        hb_wire__check_result(err, where, "result", r->result, RESULT_OK_OK) != 0 ||
        hb_wire__check_params(err, where, r->params, r->n_params) != 0 || CHECK_TEXTS(err, where, r, rules) != 0)
        return -1;
    return 0;
}

int
hb_wire__validate_import_reply(hb_wire_error_t *err, const char *where, const Hourbank__ImportReply *r)
{
    if (hb_wire__check_u64(err, where, "rows", r->rows, 0, HB_IMPORT_ROWS_MAX) != 0 ||
        hb_wire__check_count(err, where, "results", r->n_results, 0, HB_IMPORT_RESULTS_PAGE_MAX) != 0 ||
        hb_wire__check_u64(err, where, "refused", r->refused, 0, r->rows) != 0 ||
        hb_wire__check_u64(err, where, "repeated", r->repeated, 0, r->rows) != 0 ||
        hb_wire__check_u64(err, where, "added", r->added, 0, r->rows) != 0)
        return -1;
    for (size_t i = 0; i < r->n_results; i++) {
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%sresults[%zu].", where, i);
        if (r->results[i] == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sresults[%zu] is missing", where, i);
        if (check_result(err, sub, r->results[i]) != 0)
            return -1;
        if (r->results[i]->row >= r->rows)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%srow=%" PRIu32 " is not below rows=%" PRIu32, sub,
                                 r->results[i]->row, r->rows);
    }
    return 0;
}
