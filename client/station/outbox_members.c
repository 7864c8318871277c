/* outbox_members.c - members' lives at the station (issue 15): a member's
 * later numbers (moves) resolving to the first, which is the identity
 * central records ops under; the directory's family links (members.family)
 * and left flag; and the checks at save central is certain to make about
 * them: MEMBER_LEFT, ALREADY_HOME, UNKNOWN_MEMBER for the new kinds, and
 * the station's own POSSIBLE_DUPLICATE of a registration. Erasure of a
 * member who left is in outbox_erase.c. */
#include "outbox.h"
#include "outbox_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "hb_memberno.h"

/* The members an op names, with the role each has in a refusal's values
 * (PROTOCOL.md "Result values"): at most a member, one more, and a list. */
#define NAMED_MAX (2 + HB_FAMILY_LINKS_MAX)
_Static_assert(HB_HEIRS_MAX <= HB_FAMILY_LINKS_MAX, "heirs fit the list of named members");

typedef struct {
    const char *no;
    const char *role;
} named_t;

/* Registrations of a name pending or accepted here, read to compare their
 * birth year: more than one person of one name is rare. */
#define DUP_REGISTRATIONS_MAX 64

const char *const hb_outbox__members_sql[OB_STMT_COUNT] = {
    [OB_MB_RESOLVE] = "SELECT member_no FROM member_numbers WHERE number = ?1",
    /* a move saved here that central refused: its new number is no one's
     * (member_b: the new number, outbox_save.c) */
    [OB_MB_MOVE_UNDO] = "DELETE FROM member_numbers WHERE number ="
                        " (SELECT member_b FROM ops WHERE seq = ?1 AND kind = 'move')",
    [OB_MB_ANY_NUMBER] = "SELECT EXISTS (SELECT 1 FROM member_numbers)",
    [OB_MB_NUMBER_SET] = "INSERT INTO member_numbers (number, member_no) VALUES (?1, ?2)"
                         " ON CONFLICT (number) DO UPDATE SET member_no = excluded.member_no",
    [OB_MB_NUMBERS_GET] = "SELECT number FROM member_numbers INDEXED BY member_numbers_member"
                          " WHERE member_no = ?1 ORDER BY number LIMIT ?2",
    [OB_MB_LEFT] = "SELECT left, community FROM members WHERE member_no = ?1",
    /* a member of this community (?3) with the name (trimmed, ASCII case
     * folded) and birth year */
    [OB_MB_DUP_DIR] = "SELECT member_no FROM members WHERE left = 0 AND birth_year = ?2"
                      " AND lower(trim(name)) = lower(trim(?1))"
                      " AND (community = ?3 OR (community = '' AND member_no LIKE ?3 || '-%'))"
                      " ORDER BY member_no LIMIT 1",
    [OB_MB_DUP_REG] = "SELECT member_a, payload FROM ops INDEXED BY ops_registered WHERE kind = 'register'"
                      " AND (result IS NULL OR result = " OB_SQL_OK ") AND lower(trim(name)) = lower(trim(?1))"
                      " ORDER BY seq LIMIT ?2",
};

/* ---- numbers ---- */

/* The first row's first text column of st into out; 1 found, 0, -1. */
static int
step_text(sqlite3_stmt *st, char *out, size_t size)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        hb_outbox__column_text(out, size, st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
hb_outbox__resolve(hb_outbox_t *self, const char *number, char out[HB_MEMBER_NO_BYTES_MAX + 1])
{
    hb_assert(self && number && out);
    char found[HB_MEMBER_NO_BYTES_MAX + 1];
    int rc = 0;
    if (self->numbers_held) {
        sqlite3_stmt *st = hb_outbox__stmt(self, OB_MB_RESOLVE);
        sqlite3_bind_text(st, 1, number, -1, SQLITE_STATIC);
        rc = step_text(st, found, sizeof found);
    }
    if (rc < 0)
        return -1;
    if (rc == 0)
        snprintf(found, sizeof found, "%s", number);
    memmove(out, found, strlen(found) + 1);
    return 0;
}

bool
hb_outbox__is_member(hb_outbox_t *self, const char *number, const char *first)
{
    if (strcmp(number, first) == 0)
        return true;
    char r[HB_MEMBER_NO_BYTES_MAX + 1];
    return hb_outbox__resolve(self, number, r) == 0 && strcmp(r, first) == 0;
}

static int
number_store(hb_outbox_t *self, const char *number, const char *first)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_MB_NUMBER_SET);
    sqlite3_bind_text(st, 1, number, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, first, -1, SQLITE_STATIC);
    if (hb_outbox__run(self, st) != 0)
        return -1;
    self->numbers_held = true;  /* a rollback leaves it set: a lookup too many, harmless */
    return 0;
}

int
hb_outbox__move_number_store(hb_outbox_t *self, const char *new_no, const char *first)
{
    hb_assert(self && new_no && first);
    return number_store(self, new_no, first);
}

int
hb_outbox__move_refused(hb_outbox_t *self, uint64_t seq)
{
    hb_assert(self);
    if (!self->numbers_held || seq > INT64_MAX)
        return 0;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_MB_MOVE_UNDO);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) seq);
    return hb_outbox__run(self, st);
}

int
hb_outbox__numbers_held_load(hb_outbox_t *self)
{
    hb_assert(self);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_MB_ANY_NUMBER);
    int rc = sqlite3_step(st);
    self->numbers_held = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

int
hb_outbox__numbers_store(hb_outbox_t *self, const Hourbank__Member *m)
{
    for (size_t i = 0; i < m->n_numbers; i++) {
        if (number_store(self, m->numbers[i], m->member_no) != 0)
            return -1;
    }
    return 0;
}

int
hb_outbox__numbers_load(hb_outbox_t *self, hb_outbox_member_t *out)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_MB_NUMBERS_GET);
    sqlite3_bind_text(st, 1, out->member_no, -1, SQLITE_STATIC);
    const size_t max = sizeof out->numbers / sizeof out->numbers[0];
    sqlite3_bind_int64(st, 2, (sqlite3_int64) max);
    int rc;
    out->n_numbers = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n_numbers < max)
        hb_outbox__column_text(out->numbers[out->n_numbers++], sizeof out->numbers[0], st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* ---- family links ---- */

void
hb_outbox__family_encode(const Hourbank__Member *m, char *out, size_t size)
{
    hb_assert(size > 0);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < m->n_family && i < HB_FAMILY_LINKS_MAX; i++) {
        /* hb_wire_validate: a number and a one-line relation, no tab in either */
        int n = snprintf(out + used, size - used, "%s\t%s\n", m->family[i]->member_no, m->family[i]->relation);
        hb_assert(n > 0 && (size_t) n < size - used);
        used += (size_t) n;
    }
}

void
hb_outbox__family_decode(const char *text, hb_outbox_member_t *out)
{
    out->n_family = 0;
    const char *p = text;
    while (*p && out->n_family < HB_FAMILY_LINKS_MAX) {
        size_t line = strcspn(p, "\n"), no = strcspn(p, "\t\n");
        if (no > HB_MEMBER_NO_BYTES_MAX)
            no = HB_MEMBER_NO_BYTES_MAX;
        size_t rel = no < line ? line - no - 1 : 0;
        if (rel > HB_RELATION_BYTES_MAX)
            rel = HB_RELATION_BYTES_MAX;
        snprintf(out->family[out->n_family].member_no, sizeof out->family[0].member_no, "%.*s", (int) no, p);
        snprintf(out->family[out->n_family].relation, sizeof out->family[0].relation, "%.*s", (int) rel,
                 no < line ? p + no + 1 : "");
        out->n_family++;
        p += line + (p[line] == '\n');
    }
}

/* ---- the checks at save ---- */

/* The members op names (borrowed from op), for the kinds of issue 15 and
 * the older ones (whose UNKNOWN_MEMBER hb_outbox__check gives). */
static size_t
named_of(const Hourbank__Op *op, named_t out[NAMED_MAX], bool *new_kind)
{
    size_t n = 0;
    *new_kind = true;
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_AMEND:
        out[n++] = (named_t) {op->amend->member_no, "member"};
        for (size_t i = 0; i < op->amend->n_add_family && n < NAMED_MAX; i++)
            out[n++] = (named_t) {op->amend->add_family[i]->member_no, "family"};
        break;
    case HOURBANK__OP__KIND_MOVE: out[n++] = (named_t) {op->move->member_no, "member"}; break;
    case HOURBANK__OP__KIND_LEAVE:
        out[n++] = (named_t) {op->leave->member_no, "member"};
        for (size_t i = 0; i < op->leave->n_heirs && n < NAMED_MAX; i++)
            out[n++] = (named_t) {op->leave->heirs[i], "heir"};
        break;
    case HOURBANK__OP__KIND_OPENING: out[n++] = (named_t) {op->opening->member_no, "member"}; break;
    default: *new_kind = false; break;
    }
    if (*new_kind)
        return n;
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER: out[n++] = (named_t) {op->register_member->family_of, "family"}; break;
    case HOURBANK__OP__KIND_SERVICE:
        out[n++] = (named_t) {op->service->provider, "provider"};
        out[n++] = (named_t) {op->service->recipient, "recipient"};
        break;
    case HOURBANK__OP__KIND_GIFT:
        out[n++] = (named_t) {op->gift->from_member, "giver"};
        out[n++] = (named_t) {op->gift->to_member, "receiver"};
        break;
    case HOURBANK__OP__KIND_DONATION: out[n++] = (named_t) {op->donation->member, "donor"}; break;
    default: break;  /* a void names no member */
    }
    return n;
}

/* What the directory says of the member first: 1 with *left and community
 * (Member.community, else the number's code), 0 when it does not hold
 * them, -1 on an error. */
static int
directory_of(hb_outbox_t *self, const char *first, bool *left, char community[HB_COMMUNITY_CODE_BYTES_MAX + 1])
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_MB_LEFT);
    sqlite3_bind_text(st, 1, first, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *left = sqlite3_column_int(st, 0) != 0;
        hb_outbox__column_text(community, HB_COMMUNITY_CODE_BYTES_MAX + 1, st, 1);
        if (community[0] == '\0')
            snprintf(community, HB_COMMUNITY_CODE_BYTES_MAX + 1, "%.*s", (int) strcspn(first, "-"), first);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* One named member: UNKNOWN_MEMBER (new kinds only: hb_outbox__check
 * judged the others), MEMBER_LEFT, or for a move's member ALREADY_HOME. */
static hb_result_t
named_check(hb_outbox_t *self, const Hourbank__Op *op, const named_t *m, bool new_kind, char *msg, size_t msg_size)
{
    char first[HB_MEMBER_NO_BYTES_MAX + 1], community[HB_COMMUNITY_CODE_BYTES_MAX + 1] = "";
    bool left = false;
    int in_dir = hb_outbox__resolve(self, m->no, first) == 0 ? directory_of(self, first, &left, community) : -1;
    int known = in_dir == 0 && new_kind ? hb_outbox_member_known(self, m->no) : 1;
    if (in_dir < 0 || known < 0) {
        hb_outbox__fail(self, "look up a member", msg, msg_size);
        return HB_RESULT_INTERNAL;
    }
    if (known == 0) {
        snprintf(msg, msg_size, "role=%s\nmember=%s", m->role, m->no);
        return HB_RESULT_UNKNOWN_MEMBER;
    }
    if (left) {
        snprintf(msg, msg_size, "role=%s\nmember=%s", m->role, m->no);
        return HB_RESULT_MEMBER_LEFT;
    }
    if (op->kind_case == HOURBANK__OP__KIND_MOVE && in_dir == 1 && strcmp(community, self->community) == 0) {
        snprintf(msg, msg_size, "member=%s\ncommunity=%s", m->no, community);
        return HB_RESULT_ALREADY_HOME;
    }
    return HB_RESULT_OK;
}

/* Whether a registration here (the current row of st: member_a, payload)
 * has birth year `year`. */
static bool
registration_born(sqlite3_stmt *st, uint32_t year)
{
    Hourbank__Op *op = hourbank__op__unpack(NULL, (size_t) sqlite3_column_bytes(st, 1), sqlite3_column_blob(st, 1));
    bool same = op && op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER && op->register_member->birth_year == year;
    if (op)
        hourbank__op__free_unpacked(op, NULL);
    return same;
}

/* The member of this community (directory first, then registrations here
 * pending or accepted) with r's name and birth year into found ("" =
 * none). 0 or -1. */
static int
duplicate_find(hb_outbox_t *self, const Hourbank__RegisterMember *r, char found[HB_MEMBER_NO_BYTES_MAX + 1])
{
    found[0] = '\0';
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_MB_DUP_DIR);
    sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->birth_year);
    sqlite3_bind_text(st, 3, self->community, -1, SQLITE_STATIC);
    int rc = step_text(st, found, HB_MEMBER_NO_BYTES_MAX + 1);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    st = hb_outbox__stmt(self, OB_MB_DUP_REG);
    sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, DUP_REGISTRATIONS_MAX);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (registration_born(st, r->birth_year)) {
            hb_outbox__column_text(found, HB_MEMBER_NO_BYTES_MAX + 1, st, 0);
            break;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static hb_result_t
duplicate_check(hb_outbox_t *self, const Hourbank__RegisterMember *r, char *msg, size_t msg_size)
{
    if (r->birth_year == 0)
        return HB_RESULT_OK;  /* no birth year given: not compared */
    char found[HB_MEMBER_NO_BYTES_MAX + 1];
    if (duplicate_find(self, r, found) != 0) {
        hb_outbox__fail(self, "look for a member of the same name", msg, msg_size);
        return HB_RESULT_INTERNAL;
    }
    if (found[0] == '\0')
        return HB_RESULT_OK;
    snprintf(msg, msg_size, "member=%s\nbirth_year=%" PRIu32, found, r->birth_year);
    return HB_RESULT_POSSIBLE_DUPLICATE;
}

hb_result_t
hb_outbox__named_check(hb_outbox_t *self, const Hourbank__Op *op, char *msg, size_t msg_size)
{
    hb_assert(self && op && msg && msg_size > 0);
    named_t named[NAMED_MAX];
    bool new_kind;
    size_t n = named_of(op, named, &new_kind);
    hb_result_t r = HB_RESULT_OK;
    for (size_t i = 0; i < n && r == HB_RESULT_OK; i++) {
        if (named[i].no && named[i].no[0])
            r = named_check(self, op, &named[i], new_kind, msg, msg_size);
    }
    return r;
}

hb_result_t
hb_outbox__lives_check(hb_outbox_t *self, const Hourbank__Op *op, bool confirm_new, char *msg, size_t msg_size)
{
    hb_assert(self && op && msg && msg_size > 0);
    if (op->kind_case != HOURBANK__OP__KIND_REGISTER_MEMBER || confirm_new)
        return HB_RESULT_OK;
    return duplicate_check(self, op->register_member, msg, msg_size);
}

/* ---- what the new kinds move, as foreseen ---- */

void
hb_outbox__lives_effect(hb_outbox_t *self, const Hourbank__Op *op, const char *first, int64_t running, int64_t *in,
                        int64_t *out)
{
    hb_assert(self && op && first && in && out);
    *in = *out = 0;
    if (op->kind_case == HOURBANK__OP__KIND_OPENING && hb_outbox__is_member(self, op->opening->member_no, first)) {
        *in = op->opening->minutes > 0 ? op->opening->minutes : 0;
        *out = op->opening->minutes < 0 ? -op->opening->minutes : 0;
    } else if (op->kind_case == HOURBANK__OP__KIND_LEAVE && hb_outbox__is_member(self, op->leave->member_no, first)) {
        /* the balance settles to 0: to the heirs or the pool, or a debt
         * covered by the donation account. The heirs' shares are not
         * foreseen (caps decide them at central). */
        *out = running > 0 ? running : 0;
        *in = running < 0 ? -running : 0;
    }
}
