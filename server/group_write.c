/* group_write.c - the second pipeline of a group commit: the book's new
 * rows and each touched account's change, written once, then COMMIT.
 * Moved from group.c. */
#include "group_write.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "group_copy.h"
#include "group_sql.h"
#include "pg_array.h"
#include "hb_assert.h"
#include "hb_wire.h"
#include "posting.h"

/* ---- writing ---- */

enum {
    A_ACC_ID, A_ACC_DISTRICT, A_ACC_DEBITS, A_ACC_CREDITS,
    A_MEM_NO, A_MEM_COMMUNITY, A_MEM_ACCOUNT, A_MEM_NAME, A_MEM_ROLE, A_MEM_BIRTH, A_MEM_FAMILY,
    A_MEM_STATION, A_MEM_SEQ, A_MEM_PHONE, A_MEM_RELATION,
    A_V_TS, A_V_TQ, A_V_VS, A_V_VQ,
    A_B_ID, A_B_DEBITS, A_B_CREDITS,
    A_R_STATION, A_R_NO, A_R_SEQ, A_R_RESULT,
    A_L_KIND, A_L_MEMBER, A_L_STATION, A_L_SEQ, A_L_NAME, A_L_BIRTH, A_L_PHONE, A_L_CLEAR, A_L_COMMUNITY, A_L_ALIAS,
    A_L_FAM_I, A_L_FAM_NO, A_L_FAM_REL, A_L_REM_I, A_L_REM_NO,
    A_SEAL_STATION, A_SEAL_BUCKET,
    A_WRITE_COUNT
};


static void
write_accounts_members(const hb_book_t *b, hb_pg_array_t *a)
{
    for (size_t i = 0; i < b->n_accounts; i++) {
        const hb_book_account_t *acc = &b->account_rows[i];
        if (acc->is_new) {  /* inserted with this group's amounts */
            hb_pg_array_int(&a[A_ACC_ID], acc->id);
            hb_pg_array_str(&a[A_ACC_DISTRICT], acc->district);
            hb_pg_array_int(&a[A_ACC_DEBITS], acc->add_debits);
            hb_pg_array_int(&a[A_ACC_CREDITS], acc->add_credits);
        } else if (acc->add_debits || acc->add_credits) {  /* updated once, whatever the transfers */
            hb_pg_array_int(&a[A_B_ID], acc->id);
            hb_pg_array_int(&a[A_B_DEBITS], acc->add_debits);
            hb_pg_array_int(&a[A_B_CREDITS], acc->add_credits);
        }
    }
    for (size_t i = 0; i < b->n_members; i++) {
        const hb_book_member_t *m = &b->member_rows[i];
        if (!m->is_new)
            continue;
        hb_pg_array_str(&a[A_MEM_NO], m->member_no);
        hb_pg_array_str(&a[A_MEM_COMMUNITY], m->community);
        hb_pg_array_int(&a[A_MEM_ACCOUNT], m->account->id);
        hb_pg_array_str(&a[A_MEM_NAME], m->name);
        hb_pg_array_int(&a[A_MEM_ROLE], m->role);
        hb_pg_array_null_if_zero(&a[A_MEM_BIRTH], m->birth_year);
        hb_pg_array_str(&a[A_MEM_FAMILY], m->family[0] ? m->family : NULL);  /* one link at registration */
        hb_pg_array_int(&a[A_MEM_STATION], m->station_id);
        hb_pg_array_int(&a[A_MEM_SEQ], (int64_t) m->seq);
        hb_pg_array_str(&a[A_MEM_PHONE], m->phone);
        hb_pg_array_str(&a[A_MEM_RELATION], m->relation);
    }
}

/* The first number of a member an op names (posting found each). */
static const char *
first_number(const hb_book_t *b, const char *no)
{
    const hb_book_member_t *m = hb_book_member(b, no);
    hb_assert(m);
    return m->member_no;
}

/* An amend's changes: NULL where a field stays. */
static void
write_amend(const hb_book_t *b, const Hourbank__AmendMember *am, int64_t i, hb_pg_array_t *a)
{
    hb_pg_array_str(&a[A_L_NAME], am->name[0] ? am->name : NULL);
    hb_pg_array_null_if_zero(&a[A_L_BIRTH], am->birth_year);
    hb_pg_array_str(&a[A_L_PHONE], am->phone[0] ? am->phone : NULL);
    hb_pg_array_str(&a[A_L_CLEAR], am->clear_phone ? "t" : "f");
    for (size_t k = 0; k < am->n_add_family; k++) {
        hb_pg_array_int(&a[A_L_FAM_I], i);
        hb_pg_array_str(&a[A_L_FAM_NO], first_number(b, am->add_family[k]->member_no));
        hb_pg_array_str(&a[A_L_FAM_REL], am->add_family[k]->relation);
    }
    for (size_t k = 0; k < am->n_remove_family; k++) {
        const hb_book_member_t *m = hb_book_member(b, am->remove_family[k]);
        hb_pg_array_int(&a[A_L_REM_I], i);
        hb_pg_array_str(&a[A_L_REM_NO], m ? m->member_no : am->remove_family[k]);
    }
}

/* Amend, move and leave, in posting order, for hb_life_apply(). */
static void
write_life(const hb_book_t *b, hb_pg_array_t *a)
{
    for (size_t i = 0; i < b->n_life; i++) {
        const hb_book_life_t *l = &b->life_rows[i];
        const Hourbank__Op *op = l->op;
        hb_pg_array_str(&a[A_L_KIND], hb_posting_kind_name(l->rec->kind));
        hb_pg_array_str(&a[A_L_MEMBER], l->member->member_no);
        hb_pg_array_int(&a[A_L_STATION], l->rec->station_id);
        hb_pg_array_int(&a[A_L_SEQ], (int64_t) l->rec->seq);
        hb_pg_array_str(&a[A_L_COMMUNITY], l->community);
        hb_pg_array_str(&a[A_L_ALIAS], op->kind_case == HOURBANK__OP__KIND_MOVE ? op->move->new_member_no : NULL);
        if (op->kind_case == HOURBANK__OP__KIND_AMEND) {
            write_amend(b, op->amend, (int64_t) i + 1, a);  /* hb_life_apply counts from 1 */
        } else {
            hb_pg_array_str(&a[A_L_NAME], NULL);
            hb_pg_array_str(&a[A_L_BIRTH], NULL);
            hb_pg_array_str(&a[A_L_PHONE], NULL);
            hb_pg_array_str(&a[A_L_CLEAR], "f");
        }
    }
}

static void
write_void_links(const hb_book_t *b, hb_pg_array_t *a)
{
    for (size_t i = 0; i < b->n_void_links; i++) {
        const hb_book_void_link_t *v = &b->void_links[i];
        hb_pg_array_int(&a[A_V_TS], v->target_station);
        hb_pg_array_int(&a[A_V_TQ], (int64_t) v->target_seq);
        hb_pg_array_int(&a[A_V_VS], v->void_station);
        hb_pg_array_int(&a[A_V_VQ], (int64_t) v->void_seq);
    }
}

static void
write_refusals(const hb_book_t *b, hb_pg_array_t *a)
{
    for (size_t i = 0; i < b->n_refusals; i++) {
        const hb_book_refusal_t *r = &b->refusal_rows[i];
        if (!r->is_new)
            continue;
        hb_pg_array_int(&a[A_R_STATION], r->station_id);
        hb_pg_array_str(&a[A_R_NO], r->member_no);
        hb_pg_array_int(&a[A_R_SEQ], (int64_t) r->seq);
        hb_pg_array_int(&a[A_R_RESULT], r->result);
    }
}
/* ---- reconcile_bucket: sealed as ops are posted (migration 0015) ---- */

static void
seal(hb_pg_array_t *a, int64_t station, uint64_t bucket)
{
    hb_pg_array_int(&a[A_SEAL_STATION], station);
    hb_pg_array_int(&a[A_SEAL_BUCKET], (int64_t) bucket);
}

/* Per station of the group, with its mark before the group (S_HW) and
 * after: every bucket whose last seq falls in (before, after], and every
 * earlier complete bucket that got a new row (a resend filling a hole).
 * Nothing on most groups: a bucket ends once per HB_RECONCILE_BUCKET_OPS
 * ops. Duplicates are dropped by the statement. */
static void
write_seals(const hb_book_t *b, const PGresult *hw, hb_pg_array_t *a)
{
    const uint64_t ops = HB_RECONCILE_BUCKET_OPS;
    for (int r = 0; r < PQntuples(hw); r++) {
        uint32_t station = (uint32_t) strtoll(PQgetvalue(hw, r, 0), NULL, 10);
        uint64_t before = (uint64_t) strtoll(PQgetvalue(hw, r, 1), NULL, 10), after = before;
        for (size_t i = 0; i < b->n_new_ops; i++)
            if (b->new_ops[i]->station_id == station && b->new_ops[i]->seq > after)
                after = b->new_ops[i]->seq;
        for (uint64_t k = before / ops; k < after / ops; k++)
            seal(a, station, k);
        for (size_t i = 0; i < b->n_new_ops; i++) {
            const hb_book_op_t *op = b->new_ops[i];
            uint64_t k = (op->seq - 1) / ops;
            if (op->station_id == station && op->seq <= before && (k + 1) * ops <= after)
                seal(a, station, k);
        }
    }
}

/* ---- COPY: op and transfer rows go in at PostgreSQL's bulk pace ---- */

/* Queues stmt with n_params arrays starting at a[first] when they hold rows. */
static void
add_rows_call(hb_group_call_t *calls, size_t *n, int stmt, hb_pg_array_t *a, int first, int n_arrays)
{
    if (a[first].n == 0)
        return;
    const char *v[HB_GROUP_PARAMS_MAX];
    for (int i = 0; i < n_arrays; i++)
        v[i] = a[first + i].text;
    hb_group_pg_add_call(calls, n, stmt, v, n_arrays);
}

/* Accounts and members first (ops and transfers refer to them), then the
 * op and transfer rows by COPY, then void links, balances and COMMIT. */
int
hb_group_write(hb_group_conn_t *c, const hb_book_t *b, PGresult **res)
{
    hb_pg_array_t a[A_WRITE_COUNT];
    for (int i = 0; i < A_WRITE_COUNT; i++)
        hb_pg_array_open(&a[i]);
    write_accounts_members(b, a);
    write_void_links(b, a);
    write_refusals(b, a);
    write_life(b, a);
    write_seals(b, res[S_HW], a);
    for (int i = 0; i < A_WRITE_COUNT; i++)
        hb_pg_array_close(&a[i]);
    char last_account[24], last_transfer[24];
    snprintf(last_account, sizeof last_account, "%" PRId64, b->next_account_id - 1);
    snprintf(last_transfer, sizeof last_transfer, "%" PRId64, b->next_transfer_id - 1);
    const char *none[1] = {NULL}, *acc_seq[] = {last_account}, *xfer_seq[] = {last_transfer};
    hb_group_call_t calls[S_COUNT];
    size_t n = 0;
    if (b->next_account_id > b->first_account_id)
        hb_group_pg_add_call(calls, &n, S_SETVAL_ACCOUNT, acc_seq, 1);
    if (b->next_transfer_id > b->first_transfer_id)
        hb_group_pg_add_call(calls, &n, S_SETVAL_TRANSFER, xfer_seq, 1);
    add_rows_call(calls, &n, S_NEW_ACCOUNTS, a, A_ACC_ID, 4);
    add_rows_call(calls, &n, S_NEW_MEMBERS, a, A_MEM_NO, 11);
    int rc = n > 0 ? hb_group_pg_run(c, calls, n, res) : 0;
    if (rc == 0)
        rc = hb_group_pg_copy(c, hb_group_copy_ops_sql, b, hb_group_copy_op_rows);
    if (rc == 0)
        rc = hb_group_pg_copy(c, hb_group_copy_xfers_sql, b, hb_group_copy_transfer_rows);
    n = 0;
    add_rows_call(calls, &n, S_NEW_VOIDS, a, A_V_TS, 4);
    add_rows_call(calls, &n, S_NEW_REFUSED, a, A_R_STATION, 4);
    add_rows_call(calls, &n, S_LIFE, a, A_L_KIND, 15);
    add_rows_call(calls, &n, S_BALANCES, a, A_B_ID, 3);
    add_rows_call(calls, &n, S_SEAL, a, A_SEAL_STATION, 2);  /* after the op rows' COPY */
    hb_group_pg_add_call(calls, &n, S_COMMIT, none, 0);
    if (rc == 0)
        rc = hb_group_pg_run(c, calls, n, res);
    hb_pg_array_free(a, A_WRITE_COUNT);
    return rc;
}
