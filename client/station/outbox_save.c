/* outbox_save.c - saving an operator's work: the station's checks, a seq
 * and (for a registration) a member number, the op packed and stored with
 * its searchable columns, request ids that make a retried save harmless,
 * and the group commit of the saves read in one burst. The rest of the
 * queue is in outbox.c; what the files share is in outbox_int.h. */
#include "outbox.h"
#include "outbox_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "hb_memberno.h"
#include "hb_wire.h"

#ifndef HB_SUMMARY_BYTES_MAX
/* The one-line summary of an op shown by "hourbank queue"; names and
 * reasons are cut to fit. Inside QueuedOp.summary's HB_NOTE_BYTES_MAX. */
#define HB_SUMMARY_BYTES_MAX 200
#endif
_Static_assert(HB_SUMMARY_BYTES_MAX <= HB_NOTE_BYTES_MAX, "a summary must fit QueuedOp.summary");

#define MINUTES_PER_HOUR 60
/* "24h 59m" and the like. */
#define AMOUNT_BYTES 32

const char *const hb_outbox__save_sql[OB_STMT_COUNT] = {
    [OB_SERIAL_SET] = "UPDATE meta SET next_serial = ?1 WHERE id = 1",
    [OB_MEMBER_NO_USED] = "SELECT EXISTS (SELECT 1 FROM members WHERE member_no = ?1)"
                          " OR EXISTS (SELECT 1 FROM ops WHERE kind = 'register' AND member_a = ?1)"
                          /* a later number (a move's), in the directory or saved here */
                          " OR EXISTS (SELECT 1 FROM member_numbers WHERE number = ?1)",
    [OB_OP_INSERT] = "INSERT INTO ops (seq, kind, payload, summary, saved_at, member_a, member_b, minutes, name,"
                     " void_seq, request_id, note, operator, payer)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    /* the unique partial index ops_request */
    [OB_REQUEST_GET] = "SELECT seq, kind, member_a, payload, member_b FROM ops WHERE request_id = ?1",
};


/* Where an op is being built for storage. */
typedef struct {
    Hourbank__Op op;               /* shallow copy of the caller's op, seq set */
    Hourbank__RegisterMember reg;  /* shallow copy, member_no set */
    Hourbank__MoveMember move;     /* shallow copy, new_member_no set */
    char member_no[HB_MEMBER_NO_BUF_BYTES];
    uint32_t next_serial;          /* to persist; 0 = no number allocated */
    uint8_t payload[HB_OP_BYTES_MAX];
    size_t payload_len;
    char summary[HB_SUMMARY_BYTES_MAX + 1];
    bool db_error;                 /* a statement failed: the group fails */
} ob_save_t;

/* The searchable columns of an op (see SCHEMA_SQL). Strings borrowed. */
typedef struct {
    const char *kind, *member_a, *member_b, *name;
    int64_t minutes;
    int64_t void_seq;  /* 0 = none */
    const char *note;  /* a service's note, a gift's or void's reason; NULL = none */
    /* member_a and member_b as first numbers (op_resolve) */
    char first_a[HB_MEMBER_NO_BYTES_MAX + 1], first_b[HB_MEMBER_NO_BYTES_MAX + 1];
} ob_index_t;

static void
op_index(const hb_outbox_t *self, const Hourbank__Op *op, ob_index_t *ix)
{
    memset(ix, 0, sizeof *ix);
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER:
        *ix = (ob_index_t) {"register", op->register_member->member_no, NULL, op->register_member->name, 0, 0, NULL,
                            "", ""};
        break;
    case HOURBANK__OP__KIND_SERVICE:
        *ix = (ob_index_t) {"service", op->service->provider, op->service->recipient, NULL, op->service->minutes, 0,
                            op->service->note, "", ""};
        break;
    case HOURBANK__OP__KIND_GIFT:
        *ix = (ob_index_t) {"gift", op->gift->from_member, op->gift->to_member, NULL, op->gift->minutes, 0,
                            op->gift->reason, "", ""};
        break;
    case HOURBANK__OP__KIND_VOID_OP:
        ix->kind = "void";
        ix->note = op->void_op->reason;
        if (op->void_op->target->station_id == self->station_id && op->void_op->target->seq <= INT64_MAX)
            ix->void_seq = (int64_t) op->void_op->target->seq;
        break;
    case HOURBANK__OP__KIND_DONATION:
        *ix = (ob_index_t) {"donation", op->donation->member, NULL, NULL, op->donation->minutes, 0,
                            op->donation->reason, "", ""};
        break;
    case HOURBANK__OP__KIND_AMEND:
        *ix = (ob_index_t) {"amend", op->amend->member_no, NULL, NULL, 0, 0, op->amend->reason, "", ""};
        break;
    case HOURBANK__OP__KIND_MOVE:
        *ix = (ob_index_t) {"move", op->move->member_no, op->move->new_member_no, NULL, 0, 0, op->move->reason, "",
                            ""};
        break;
    case HOURBANK__OP__KIND_LEAVE:
        *ix = (ob_index_t) {"leave", op->leave->member_no, NULL, NULL, 0, 0, op->leave->reason, "", ""};
        break;
    case HOURBANK__OP__KIND_OPENING:
        *ix = (ob_index_t) {"opening", op->opening->member_no, NULL, NULL, op->opening->minutes, 0,
                            op->opening->source, "", ""};
        break;
    default: hb_unreachable();
    }
    if (ix->note && ix->note[0] == '\0')
        ix->note = NULL;
}

/* The index columns name members by their first number (the directory's
 * identity: pending effects, daily limits and erasure find the member's ops
 * by it, whichever number the operator typed); a registration's number and
 * a move's new number are their own. 0 or -1. */
static int
op_resolve(hb_outbox_t *self, const Hourbank__Op *op, ob_index_t *ix)
{
    bool own_a = op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER;
    bool own_b = op->kind_case == HOURBANK__OP__KIND_MOVE;
    if (ix->member_a && !own_a) {
        if (hb_outbox__resolve(self, ix->member_a, ix->first_a) != 0)
            return -1;
        ix->member_a = ix->first_a;
    }
    if (ix->member_b && !own_b) {
        if (hb_outbox__resolve(self, ix->member_b, ix->first_b) != 0)
            return -1;
        ix->member_b = ix->first_b;
    }
    return 0;
}

/* "1h 30m", "2h", "45m". */
static void
amount_format(char *buf, size_t size, int64_t minutes)
{
    int64_t h = minutes / MINUTES_PER_HOUR, m = minutes % MINUTES_PER_HOUR;
    if (h > 0 && m > 0)
        snprintf(buf, size, "%" PRId64 "h %" PRId64 "m", h, m);
    else if (h > 0)
        snprintf(buf, size, "%" PRId64 "h", h);
    else
        snprintf(buf, size, "%" PRId64 "m", m);
}

/* Makes a summary one line and drops a UTF-8 sequence cut by snprintf. */
static void
summary_tidy(char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char) s[i] < 0x20)
            s[i] = ' ';
    }
    size_t start = len;
    while (start > 0 && ((unsigned char) s[start - 1] & 0xC0u) == 0x80u)
        start--;
    if (start == 0)
        return;
    unsigned char lead = (unsigned char) s[start - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (len - (start - 1) < need)
        s[start - 1] = '\0';
}

#define ARROW "\xE2\x86\x92"  /* U+2192 RIGHTWARDS ARROW */

static void
summary_format(char *out, size_t size, const Hourbank__Op *op)
{
    char amount[AMOUNT_BYTES];
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER:
        snprintf(out, size, "register %s %s", op->register_member->member_no, op->register_member->name);
        break;
    case HOURBANK__OP__KIND_SERVICE:
        amount_format(amount, sizeof amount, op->service->minutes);
        snprintf(out, size, "service %s " ARROW " %s %s %s", op->service->provider, op->service->recipient, amount,
                 op->service->category);
        break;
    case HOURBANK__OP__KIND_GIFT:
        amount_format(amount, sizeof amount, op->gift->minutes);
        snprintf(out, size, "gift %s " ARROW " %s %s", op->gift->from_member, op->gift->to_member, amount);
        break;
    case HOURBANK__OP__KIND_VOID_OP:
        snprintf(out, size, "void station %" PRIu32 " seq %" PRIu64 ": %s", op->void_op->target->station_id,
                 op->void_op->target->seq, op->void_op->reason);
        break;
    case HOURBANK__OP__KIND_DONATION:
        amount_format(amount, sizeof amount, op->donation->minutes);
        snprintf(out, size, "donation %s " ARROW " pool %s", op->donation->member, amount);
        break;
    case HOURBANK__OP__KIND_AMEND:  /* no name here: a summary outlives an erasure */
        snprintf(out, size, "amend %s", op->amend->member_no);
        break;
    case HOURBANK__OP__KIND_MOVE:
        snprintf(out, size, "move %s " ARROW " %s", op->move->member_no, op->move->new_member_no);
        break;
    case HOURBANK__OP__KIND_LEAVE:
        snprintf(out, size, "leave %s", op->leave->member_no);
        break;
    case HOURBANK__OP__KIND_OPENING:
        amount_format(amount, sizeof amount, op->opening->minutes < 0 ? -op->opening->minutes : op->opening->minutes);
        snprintf(out, size, "opening %s %s%s", op->opening->member_no, op->opening->minutes < 0 ? "-" : "", amount);
        break;
    default: hb_unreachable();
    }
    summary_tidy(out);
}

/* A failed statement during a save: a full disk is OUTBOX_FULL, anything
 * else INTERNAL. Marks s (when not NULL): the whole group fails. */
static hb_result_t
save_db_fail(hb_outbox_t *self, ob_save_t *s, const char *what, char *msg, size_t msg_size)
{
    if (s)
        s->db_error = true;
    bool full = (sqlite3_errcode(self->db) & 0xff) == SQLITE_FULL;
    hb_outbox__fail(self, what, msg, msg_size);
    return full ? HB_RESULT_OUTBOX_FULL : HB_RESULT_INTERNAL;
}

/* 1 if member_no is in the directory or in a registration here, 0 if not,
 * -1 on an error. */
static int
member_no_used(hb_outbox_t *self, const char *member_no)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_MEMBER_NO_USED);
    sqlite3_bind_text(st, 1, member_no, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int used = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) != 0 : -1;
    sqlite3_reset(st);
    return used;
}

/* The next free number of this community from serial on: numbers already
 * in the directory or in a registration here are skipped. */
static hb_result_t
member_no_allocate(hb_outbox_t *self, uint32_t serial, ob_save_t *s, char *msg, size_t msg_size)
{
    if (serial < self->serial_min)
        serial = self->serial_min;
    for (; serial >= 1 && serial <= self->serial_max; serial++) {
        int rc = hb_memberno_format(s->member_no, sizeof s->member_no, self->community, serial);
        hb_assert(rc == 0);
        int used = member_no_used(self, s->member_no);
        if (used < 0)
            return save_db_fail(self, s, "check a member number", msg, msg_size);
        if (used == 0) {
            s->next_serial = serial + 1;
            return HB_RESULT_OK;
        }
    }
    snprintf(msg, msg_size, "station %u has used every member number of its range %s-%06u..%06u"
             " (member_serial_min/max in station.yaml and central.yaml)",
             (unsigned) self->station_id, self->community, (unsigned) self->serial_min, (unsigned) self->serial_max);
    return HB_RESULT_INTERNAL;
}

/* Copies op into s with seq (and a member number) set, then packs it. */
static hb_result_t
save_build(hb_outbox_t *self, const Hourbank__Op *op, const ob_meta_t *m, ob_save_t *s, char *msg, size_t msg_size)
{
    s->op = *op;
    s->op.seq = m->last_seq + 1;
    if (op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER || op->kind_case == HOURBANK__OP__KIND_MOVE) {
        /* a move's new card: a number allocated exactly like a registration's */
        hb_result_t r = member_no_allocate(self, m->next_serial, s, msg, msg_size);
        if (r != HB_RESULT_OK)
            return r;
    }
    if (op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER) {
        s->reg = *op->register_member;
        s->reg.member_no = s->member_no;
        s->op.register_member = &s->reg;
    } else if (op->kind_case == HOURBANK__OP__KIND_MOVE) {
        s->move = *op->move;
        s->move.new_member_no = s->member_no;
        s->op.move = &s->move;
    }
    hb_wire_error_t err;
    hb_assert(hb_wire_validate_op(&s->op, HB_WIRE_OP_IN_BATCH, &err) == 0);
    s->payload_len = hourbank__op__get_packed_size(&s->op);
    hb_assert(s->payload_len <= sizeof s->payload);
    size_t packed = hourbank__op__pack(&s->op, s->payload);
    hb_assert(packed == s->payload_len);
    summary_format(s->summary, sizeof s->summary, &s->op);
    return HB_RESULT_OK;
}

/* OUTBOX_FULL if bytes more would take the work central has not
 * acknowledged (pending_bytes, plus what this group stored so far: *group)
 * past max_bytes; else adds bytes to *group. Acknowledged ops kept for
 * retention_days do not count: the limit bounds what a long outage piles
 * up, and frees itself as central acknowledges it. */
static hb_result_t
space_check(hb_outbox_t *self, int64_t *group, int64_t bytes, char *msg, size_t msg_size)
{
    int64_t used = self->pending_bytes + *group;
    if (used + bytes <= self->max_bytes) {
        *group += bytes;
        return HB_RESULT_OK;
    }
    snprintf(msg, msg_size, "station full: %" PRId64 " bytes wait for central, limit %" PRId64 " (outbox_max_bytes);"
             " nothing was saved. Saving resumes once central has the queued work: check the link"
             " (hourbank status)", used, self->max_bytes);
    return HB_RESULT_OUTBOX_FULL;
}

static int
op_insert(hb_outbox_t *self, const ob_save_t *s, const char *request_id, const char *payer, int64_t now)
{
    ob_index_t ix;
    op_index(self, &s->op, &ix);
    if (op_resolve(self, &s->op, &ix) != 0)
        return -1;
    /* a move's new card names the member from now on (undone if central refuses it) */
    if (s->op.kind_case == HOURBANK__OP__KIND_MOVE && hb_outbox__move_number_store(self, ix.member_b, ix.member_a) != 0)
        return -1;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_OP_INSERT);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) s->op.seq);
    sqlite3_bind_text(st, 2, ix.kind, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, s->payload, (int) s->payload_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, s->summary, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    if (ix.member_a)
        sqlite3_bind_text(st, 6, ix.member_a, -1, SQLITE_STATIC);
    if (ix.member_b)
        sqlite3_bind_text(st, 7, ix.member_b, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, ix.minutes);
    if (ix.name)
        sqlite3_bind_text(st, 9, ix.name, -1, SQLITE_STATIC);
    if (ix.void_seq)
        sqlite3_bind_int64(st, 10, ix.void_seq);
    if (request_id && request_id[0])
        sqlite3_bind_text(st, 11, request_id, -1, SQLITE_STATIC);
    if (ix.note)
        sqlite3_bind_text(st, 12, ix.note, -1, SQLITE_STATIC);
    if (s->op.operator_[0] != '\0')
        sqlite3_bind_text(st, 13, s->op.operator_, -1, SQLITE_STATIC);
    if (payer[0] != '\0')
        sqlite3_bind_text(st, 14, payer, -1, SQLITE_STATIC);
    return hb_outbox__run(self, st);
}


/* ---- request ids ---- */

/* What makes two saves the same work: the op without what the station
 * assigns (seq, a registration's number) or the client stamps anew when an
 * operator enters it again (occurred_at). Packs into out; returns the size,
 * 0 if it does not fit (a stored payload that was not written here). */
static size_t
request_content(const Hourbank__Op *op, uint8_t out[HB_OP_BYTES_MAX])
{
    Hourbank__Op copy = *op;
    Hourbank__RegisterMember reg;
    Hourbank__MoveMember move;
    char empty[] = "";
    copy.seq = 0;
    copy.occurred_at = 0;
    if (op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER) {
        reg = *op->register_member;
        reg.member_no = empty;
        copy.register_member = &reg;
    } else if (op->kind_case == HOURBANK__OP__KIND_MOVE) {
        move = *op->move;
        move.new_member_no = empty;
        copy.move = &move;
    }
    if (hourbank__op__get_packed_size(&copy) > HB_OP_BYTES_MAX)
        return 0;
    return hourbank__op__pack(&copy, out);
}

/* Whether the stored payload (the current row of st, column 3) is the same
 * work as op: equal, or (a registration or amendment of a member who left
 * since, outbox_erase.c) equal to op erased; an op central would take
 * cannot equal its erased form, whose personal fields are all empty. A
 * payload that does not decode is not the same. */
static bool
request_same(sqlite3_stmt *st, const Hourbank__Op *op)
{
    Hourbank__Op *stored = hourbank__op__unpack(NULL, (size_t) sqlite3_column_bytes(st, 3), sqlite3_column_blob(st, 3));
    if (stored == NULL)
        return false;
    uint8_t *a = malloc(2 * HB_OP_BYTES_MAX);
    hb_assert(a);
    size_t la = request_content(stored, a), lb = request_content(op, a + HB_OP_BYTES_MAX);
    bool same = la != 0 && la == lb && memcmp(a, a + HB_OP_BYTES_MAX, la) == 0;
    if (!same && la != 0) {
        ob_scrubbed_t erased;
        hb_outbox__scrubbed(op, &erased);
        lb = request_content(&erased.op, a + HB_OP_BYTES_MAX);
        same = la == lb && memcmp(a, a + HB_OP_BYTES_MAX, la) == 0;
    }
    free(a);
    hourbank__op__free_unpacked(stored, NULL);
    return same;
}

/* Inside BEGIN IMMEDIATE: OK, with v->repeated and the stored save's seq
 * (op: v's op as it would be stored, its operator filled in)
 * and member number when v's request id is stored already (committed, or
 * earlier in this group); OK without repeated when it is not (or v has
 * none); EXISTS_WITH_DIFFERENT_PAYLOAD when the id names other work; a disk
 * error (s->db_error). */
static hb_result_t
request_find(hb_outbox_t *self, hb_outbox_save_t *v, const Hourbank__Op *op, ob_save_t *s)
{
    if (v->request_id == NULL || v->request_id[0] == '\0')
        return HB_RESULT_OK;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_REQUEST_GET);
    sqlite3_bind_text(st, 1, v->request_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? HB_RESULT_OK : save_db_fail(self, s, "look up a request id", v->msg, sizeof v->msg);
    }
    uint64_t seq = (uint64_t) sqlite3_column_int64(st, 0);
    bool registration = strcmp((const char *) sqlite3_column_text(st, 1), "register") == 0;
    bool move = strcmp((const char *) sqlite3_column_text(st, 1), "move") == 0;
    hb_result_t r = HB_RESULT_OK;
    if (!request_same(st, op)) {
        snprintf(v->msg, sizeof v->msg, "request id \"%s\" was used for other work (station %" PRIu32 ", seq %" PRIu64
                 "): nothing was saved; save this as new work without that request id", v->request_id,
                 self->station_id, seq);
        r = HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD;
    } else {
        v->repeated = true;
        v->seq = seq;
        if (registration || move)  /* the number allocated: a registration's, a move's new one */
            hb_outbox__column_text(v->member_no, sizeof v->member_no, st, registration ? 2 : 4);
    }
    sqlite3_reset(st);
    return r;
}

/* Inside BEGIN IMMEDIATE: checks (with check) and stores one op of a group
 * with the next seq of m, then advances m. OK, or a refusal (nothing
 * written), or a disk error (s->db_error; the group fails). */
static hb_result_t
save_one(hb_outbox_t *self, hb_outbox_save_t *v, bool check, int64_t now, ob_meta_t *m, int64_t *group,
         ob_save_t *s)
{
    memset(s, 0, sizeof *s);
    hb_assert(m->last_seq < INT64_MAX);
    /* the op as it is stored: with the default operator when it names none */
    Hourbank__Op op = *v->op;
    if (op.operator_[0] == '\0' && v->default_operator)
        op.operator_ = (char *) (uintptr_t) v->default_operator;
    hb_result_t r = v->dry_run ? HB_RESULT_OK : request_find(self, v, &op, s);
    if (r == HB_RESULT_OK && !v->repeated && check)
        r = hb_outbox__operator_check(self, op.operator_, v->msg, sizeof v->msg);
    if (r == HB_RESULT_OK && !v->repeated && check)  /* central judges the window first */
        r = hb_outbox__window_check(self, &op, now, v->msg, sizeof v->msg);
    if (r == HB_RESULT_OK && !v->repeated && check)
        r = hb_outbox__check(self, &op, v->msg, sizeof v->msg);
    if (r == HB_RESULT_OK && !v->repeated && check)  /* issue 15: a possible duplicate */
        r = hb_outbox__lives_check(self, &op, v->confirm_new, v->msg, sizeof v->msg);
    if (r == HB_RESULT_OK && !v->repeated && check)
        r = hb_outbox__foresee(self, &op, now, m->last_seq, v);
    if (r == HB_RESULT_INTERNAL)
        s->db_error = true;  /* a check could not read the file */
    if (r != HB_RESULT_OK || v->repeated || v->dry_run) {
        v->result = r;
        return r;  /* answered as before, refused, or only checked: nothing stored */
    }
    r = save_build(self, &op, m, s, v->msg, sizeof v->msg);
    if (r == HB_RESULT_OK)
        r = space_check(self, group, hb_outbox__op_bytes(s->payload_len, s->summary, v->request_id), v->msg,
                        sizeof v->msg);
    if (r == HB_RESULT_OK && op_insert(self, s, v->request_id, v->payer, now) != 0)
        r = save_db_fail(self, s, "store the operation", v->msg, sizeof v->msg);
    v->result = r;
    if (r != HB_RESULT_OK)
        return r;
    v->seq = s->op.seq;
    if (s->op.kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER || s->op.kind_case == HOURBANK__OP__KIND_MOVE)
        snprintf(v->member_no, sizeof v->member_no, "%s", s->member_no);
    m->last_seq = s->op.seq;
    if (s->next_serial != 0)
        m->next_serial = s->next_serial;
    return HB_RESULT_OK;
}

/* Inside BEGIN IMMEDIATE: every op of the group, then the member serial
 * once (when a number was allocated). OK, or the disk error that fails the group (its
 * reason in msg). */
static hb_result_t
group_in_tx(hb_outbox_t *self, hb_outbox_save_t *saves, size_t n, bool check, int64_t now, char *msg,
            size_t msg_size)
{
    ob_meta_t m;
    if (hb_outbox__meta_read(self, &m) != 0)
        return save_db_fail(self, NULL, "read the sequence", msg, msg_size);
    const ob_meta_t before = m;
    ob_save_t *s = malloc(sizeof *s);
    hb_assert(s);
    hb_result_t r = HB_RESULT_OK;
    int64_t group = 0;  /* OB_SQL_OP_BYTES of the ops stored so far */
    for (size_t i = 0; i < n && r == HB_RESULT_OK; i++) {
        hb_result_t one = save_one(self, &saves[i], check, now, &m, &group, s);
        if (s->db_error) {
            r = one;
            snprintf(msg, msg_size, "%s", saves[i].msg);
            saves[i].result = HB_RESULT_OK;  /* not refused on its own: fails with the group */
        }
    }
    free(s);
    /* the sequence is the highest op stored (see SCHEMA_SQL): nothing to write */
    if (r == HB_RESULT_OK && m.next_serial != before.next_serial &&
        hb_outbox__meta_set_u64(self, OB_SERIAL_SET, m.next_serial) != 0)
        r = save_db_fail(self, NULL, "store the member serial", msg, msg_size);
    if (r == HB_RESULT_OK) {
        self->last_seq = m.last_seq;  /* last_acked is unchanged: new ops are pending */
        self->pending_bytes += group;  /* group_fail reloads both if the commit fails */
    }
    return r;
}

/* The group failed as a whole: nothing is stored; every op that was not
 * refused on its own gets the group's result and reason. */
static void
group_fail(hb_outbox_t *self, hb_outbox_save_t *saves, size_t n, hb_result_t r, const char *msg)
{
    for (size_t i = 0; i < n; i++) {
        hb_outbox_save_t *v = &saves[i];
        if (v->result != HB_RESULT_OK)
            continue;  /* refused on its own: keeps its reason */
        v->result = r;
        v->seq = 0;
        v->member_no[0] = '\0';
        v->repeated = false;
        snprintf(v->msg, sizeof v->msg, "%s", msg);
    }
    hb_outbox__refresh(self);  /* the file says what is true after the rollback */
    hb_outbox__pending_bytes_load(self);
}

/* Checks what a save brings and clears what it will be told. */
static void
save_init(hb_outbox_save_t *v)
{
    hb_wire_error_t err;
    hb_assert(v->op && hb_wire_validate_op(v->op, HB_WIRE_OP_IN_SAVE, &err) == 0);
    hb_assert(v->request_id == NULL || strlen(v->request_id) <= HB_REQUEST_ID_BYTES_MAX);
    v->result = HB_RESULT_OK;
    v->seq = 0;
    v->member_no[0] = '\0';
    v->repeated = false;
    v->msg[0] = '\0';
    v->payer[0] = '\0';
    v->payer_rule = -1;
    v->rules_version = 0;
    v->n_cautions = 0;
}

hb_result_t
hb_outbox__save_in_tx(hb_outbox_t *self, hb_outbox_save_t *v, int64_t now, char *msg, size_t msg_size)
{
    hb_assert(self && v && !sqlite3_get_autocommit(self->db) && !self->restored);
    save_init(v);
    return group_in_tx(self, v, 1, true, now, msg, msg_size);
}

size_t
hb_outbox_save_group(hb_outbox_t *self, hb_outbox_save_t *saves, size_t n, bool check, int64_t now)
{
    hb_assert(self && saves && n >= 1 && n <= HB_SAVE_GROUP_MAX);
    for (size_t i = 0; i < n; i++)
        save_init(&saves[i]);
    char msg[HB_MESSAGE_BYTES_MAX] = "";
    if (self->restored) {  /* its seqs and numbers may be central's already: wait for its marks */
        group_fail(self, saves, n, HB_RESULT_AWAITING_CENTRAL,
                   "this station was restored from a backup and saves again once it has reached central,"
                   " which confirms the seqs and member numbers already used; nothing was saved");
        return 0;
    }
    hb_result_t r = HB_RESULT_OK;
    if (hb_outbox__begin(self, true) != 0)
        r = save_db_fail(self, NULL, "begin a save", msg, sizeof msg);
    if (r == HB_RESULT_OK)
        r = group_in_tx(self, saves, n, check, now, msg, sizeof msg);
    if (r == HB_RESULT_OK && hb_outbox__commit(self) != 0)
        r = save_db_fail(self, NULL, "commit a save", msg, sizeof msg);
    if (r != HB_RESULT_OK) {
        hb_outbox__rollback(self);
        group_fail(self, saves, n, r, msg);
        return 0;
    }
    size_t stored = 0;
    for (size_t i = 0; i < n; i++)
        stored += saves[i].result == HB_RESULT_OK && !saves[i].repeated && !saves[i].dry_run;
    return stored;
}

hb_result_t
hb_outbox_save(hb_outbox_t *self, const Hourbank__Op *op, int64_t now, uint64_t *seq_out,
               char member_no_out[HB_MEMBER_NO_BYTES_MAX + 1], char *msg, size_t msg_size)
{
    hb_assert(self && op && seq_out && member_no_out && msg && msg_size > 0);
    hb_outbox_save_t v = {.op = op};
    hb_outbox_save_group(self, &v, 1, false, now);
    *seq_out = v.seq;
    memcpy(member_no_out, v.member_no, sizeof v.member_no);
    snprintf(msg, msg_size, "%s", v.msg);
    return v.result;
}

