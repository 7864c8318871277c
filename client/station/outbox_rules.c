/* outbox_rules.c - the station's copy of the rules: the newest RulesReply
 * central sent, kept packed in table rules with its version, as_of, when
 * it came and how far central's clock was from the station's. The CLI's
 * RulesQuery is answered from it (offline too), and the checks at save
 * (outbox_foresee.c) judge by it. Also the SQL of outbox_foresee.c. */
#include "outbox.h"
#include "outbox_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_log.h"

const char *const hb_outbox__rules_sql[OB_STMT_COUNT] = {
    [OB_RULES_SET] = "INSERT OR REPLACE INTO rules (id, version, as_of, received_at, clock_offset, payload)"
                     " VALUES (1, ?1, ?2, ?3, ?4, ?5)",
    [OB_RULES_GET] = "SELECT payload, clock_offset, received_at FROM rules WHERE id = 1",
    /* what the directory's balances do not show yet of a member, in seq
     * order, and every void (its target may be the member's) */
    [OB_FS_UNSETTLED] = "SELECT seq, payload, result, payer FROM ops"
                        " WHERE in_directory = 0 AND (member_a = ?1 OR member_b = ?1 OR kind = 'void') ORDER BY seq",
    [OB_FS_OP] = "SELECT kind, payload, result, payer FROM ops WHERE seq = ?1",
    [OB_FS_VOIDS_OF] = "SELECT seq, result FROM ops INDEXED BY ops_voids WHERE void_seq = ?1 AND kind = 'void'"
                       " ORDER BY seq",
    /* this station's services of a provider that central accepted or may
     * accept, and not taken back by a void that it accepted or may accept */
    [OB_FS_SERVICES] = "SELECT s.payload, s.result FROM ops s INDEXED BY ops_services"
                       " WHERE s.kind = 'service' AND s.member_a = ?1 AND (s.result IS NULL OR s.result = " OB_SQL_OK ")"
                       " AND NOT EXISTS (SELECT 1 FROM ops v INDEXED BY ops_voids WHERE v.void_seq = s.seq"
                       " AND v.kind = 'void' AND (v.result IS NULL OR v.result = " OB_SQL_OK "))",
    /* minutes the guarantee is foreseen to pay for services the copy's
     * guarantee_left_minutes does not count: pending, or acked since the
     * copy came (?1, the station's clock) */
    [OB_FS_GUARANTEE] = "SELECT coalesce(sum(s.minutes), 0) FROM ops s"
                        " WHERE s.kind = 'service' AND s.payer = 'guarantee'"
                        " AND (s.result IS NULL OR (s.result = " OB_SQL_OK " AND s.acked_at >= ?1))"
                        " AND NOT EXISTS (SELECT 1 FROM ops v INDEXED BY ops_voids WHERE v.void_seq = s.seq"
                        " AND v.kind = 'void' AND (v.result IS NULL OR v.result = " OB_SQL_OK "))",
    /* a registration of either number that central refused here: central
     * then refuses the number's later ops REGISTRATION_REFUSED */
    [OB_FS_REG_REFUSED] = "SELECT EXISTS (SELECT 1 FROM ops INDEXED BY ops_registered"
                          " WHERE kind = 'register' AND member_a IN (?1, ?2)"
                          " AND result IS NOT NULL AND result <> " OB_SQL_OK ")",
    [OB_FS_DIR_MEMBER] = "SELECT balance_minutes, birth_year, community FROM members WHERE member_no = ?1",
};

static void
rules_cache_set(hb_outbox_t *self, Hourbank__RulesReply *rules)
{
    if (self->rules)
        hourbank__rules_reply__free_unpacked(self->rules, NULL);
    self->rules = rules;
}

int
hb_outbox__rules_load(hb_outbox_t *self)
{
    hb_assert(self);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RULES_GET);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        Hourbank__RulesReply *r = hourbank__rules_reply__unpack(NULL, (size_t) sqlite3_column_bytes(st, 0),
                                                                 sqlite3_column_blob(st, 0));
        if (r == NULL)
            hb_log_warn("outbox: the stored copy of the rules does not decode; asked again at the next hello"
                        " path=\"%s\"", self->path);
        rules_cache_set(self, r);
        self->clock_offset = sqlite3_column_int64(st, 1);
        self->rules_received_at = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hb_outbox__fail(self, "read the rules", NULL, 0);
}

int
hb_outbox_rules_set(hb_outbox_t *self, const Hourbank__RulesReply *reply, int64_t now)
{
    hb_assert(self && reply);
    size_t len = hourbank__rules_reply__get_packed_size(reply);
    uint8_t *buf = malloc(len ? len : 1);
    hb_assert(buf);
    hourbank__rules_reply__pack(reply, buf);
    Hourbank__RulesReply *copy = hourbank__rules_reply__unpack(NULL, len, buf);
    hb_assert(copy);  /* packed here */
    int64_t offset = reply->as_of > 0 ? reply->as_of - now : self->clock_offset;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RULES_SET);
    sqlite3_bind_int64(st, 1, reply->version);
    sqlite3_bind_int64(st, 2, reply->as_of);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, offset);
    sqlite3_bind_blob(st, 5, buf, (int) len, SQLITE_STATIC);
    int rc = hb_outbox__run(self, st);
    free(buf);
    if (rc != 0) {
        hourbank__rules_reply__free_unpacked(copy, NULL);
        return hb_outbox__fail(self, "store the rules", NULL, 0);
    }
    rules_cache_set(self, copy);
    self->clock_offset = offset;
    self->rules_received_at = now;
    return 0;
}

const Hourbank__RulesReply *
hb_outbox_rules(const hb_outbox_t *self)
{
    hb_assert(self);
    return self->rules;
}

uint32_t
hb_outbox_rules_version(const hb_outbox_t *self)
{
    hb_assert(self);
    return self->rules ? self->rules->version : 0;
}

void
hb_outbox_set_clock_offset(hb_outbox_t *self, int64_t offset)
{
    hb_assert(self);
    self->clock_offset = offset;
}

int64_t
hb_outbox_clock_offset(const hb_outbox_t *self)
{
    hb_assert(self);
    return self->clock_offset;
}
