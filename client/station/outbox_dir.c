/* outbox_dir.c - the station's cached view of central: the member
 * directory with balances, member lookup that adds this station's own
 * not-yet-reflected work, the service categories and the district's time
 * zone. Shares the object
 * and the SQLite helpers of outbox.c through outbox_int.h. */
#include "outbox.h"
#include "outbox_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_log.h"

/* The effect on a member's balance of an op: as member_a (provider,
 * giver, donor) + service minutes, - gift and donation minutes, an
 * opening's signed minutes (a leave: hb_outbox_pending only); as
 * member_b + gift minutes.
 * A service's recipient (member_b) is not debited here: central decides
 * who pays, the recipient or the guarantee account. p: column prefix. */
#define EFFECT_AS_A(p) "CASE " p "kind WHEN 'service' THEN " p "minutes WHEN 'gift' THEN -" p "minutes" \
                       " WHEN 'donation' THEN -" p "minutes WHEN 'opening' THEN " p "minutes ELSE 0 END"
#define EFFECT_AS_B(p) "CASE " p "kind WHEN 'gift' THEN " p "minutes ELSE 0 END"

#define MEMBER_COLUMNS "member_no, name, role, birth_year, family_of, balance_minutes"
/* after community (column 6) in a directory row */
#define MEMBER_LIVES_COLUMNS "family, left"

const char *const hb_outbox__dir_sql[OB_STMT_COUNT] = {
    [OB_DIR_UPSERT] = "INSERT INTO members (" MEMBER_COLUMNS ", version, community, " MEMBER_LIVES_COLUMNS ")"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                      " ON CONFLICT (member_no) DO UPDATE SET name = excluded.name, role = excluded.role,"
                      " birth_year = excluded.birth_year, family_of = excluded.family_of,"
                      " balance_minutes = excluded.balance_minutes, version = excluded.version,"
                      " community = excluded.community, family = excluded.family, left = excluded.left",
    [OB_DIR_VERSION_SET] = "UPDATE meta SET directory_version = ?1, directory_synced_at = ?2 WHERE id = 1",
    [OB_DIR_SETTLE] = "UPDATE ops INDEXED BY ops_unsettled_a SET in_directory = 1"
                      " WHERE in_directory = 0 AND result IS NOT NULL",
    [OB_DIR_GET] = "SELECT " MEMBER_COLUMNS ", community, " MEMBER_LIVES_COLUMNS " FROM members WHERE member_no = ?1",
    [OB_DIR_FIND] = "SELECT " MEMBER_COLUMNS ", community, " MEMBER_LIVES_COLUMNS " FROM members"
                    " WHERE instr(lower(name), lower(?1)) > 0 OR instr(member_no, upper(?1)) > 0"
                    " OR member_no IN (SELECT member_no FROM member_numbers WHERE instr(number, upper(?1)) > 0)"
                    " ORDER BY name, member_no LIMIT ?2",
    /* the first registration of a number is the one central can accept */
    [OB_REG_GET] = "SELECT payload, result IS NULL FROM ops WHERE kind = 'register' AND member_a = ?1"
                   " AND (result IS NULL OR result = " OB_SQL_OK ") ORDER BY seq LIMIT 1",
    /* only registrations the directory does not settle yet: once a sync
     * has taken in its result (in_directory = 1) the member is a row of
     * members, found by OB_DIR_FIND; so a search reads the few unsettled
     * ops (a partial index), not every registration kept for retention */
    [OB_REG_FIND] = "SELECT payload, result IS NULL, min(seq) FROM ops INDEXED BY ops_unsettled_a"
                    " WHERE in_directory = 0 AND kind = 'register'"
                    " AND (result IS NULL OR result = " OB_SQL_OK ")"
                    " AND (instr(lower(name), lower(?1)) > 0 OR instr(member_a, upper(?1)) > 0)"
                    " AND member_a NOT IN (SELECT member_no FROM members)"
                    " GROUP BY member_a ORDER BY min(seq) LIMIT ?2",
    /* what a save checks: in the directory, or a registration here that
     * central accepted or may accept (as OB_REG_GET finds) */
    [OB_MEMBER_KNOWN] = "SELECT EXISTS (SELECT 1 FROM members WHERE member_no = ?1)"
                        " OR EXISTS (SELECT 1 FROM ops WHERE kind = 'register' AND member_a = ?1"
                        " AND (result IS NULL OR result = " OB_SQL_OK "))",
    /* ops not yet in the directory's balances, minus voids (not yet in the
     * directory) of this station's own ops that central accepted or may
     * accept; each part searches a partial index (voids are few; as member_b
     * only gifts count, so only gifts are in that index) */
    [OB_PENDING_MINUTES] =
        "SELECT (SELECT coalesce(sum(" EFFECT_AS_A("") "), 0) FROM ops WHERE in_directory = 0 AND member_a = ?1)"
        " + (SELECT coalesce(sum(" EFFECT_AS_B("") "), 0) FROM ops"
        " WHERE in_directory = 0 AND kind = 'gift' AND member_b = ?1)"
        " - (SELECT coalesce(sum(CASE WHEN t.member_a = ?1 THEN " EFFECT_AS_A("t.") " ELSE 0 END"
        " + CASE WHEN t.member_b = ?1 THEN " EFFECT_AS_B("t.") " ELSE 0 END), 0)"
        " FROM ops v INDEXED BY ops_unsettled_voids JOIN ops t ON t.seq = v.void_seq"
        " WHERE v.in_directory = 0 AND v.void_seq IS NOT NULL"
        " AND (t.result IS NULL OR t.result = " OB_SQL_OK "))",
    [OB_CAT_CLEAR] = "DELETE FROM categories",
    [OB_CAT_INSERT] = "INSERT INTO categories (position, name, description) VALUES (?1, ?2, ?3)",
    [OB_CAT_GET] = "SELECT name, description FROM categories ORDER BY position LIMIT ?1",
    [OB_TIME_ZONE_SET] = "UPDATE meta SET time_zone = ?1 WHERE id = 1",
};

/* Ends a transaction begun by a public call: commit if rc >= 0, else (or
 * if the commit fails) roll back and log. Returns rc or -1. */
static int
finish(hb_outbox_t *self, int rc, const char *what)
{
    if (rc < 0)
        hb_outbox__fail(self, what, NULL, 0);
    if (rc >= 0 && hb_outbox__commit(self) != 0)
        rc = hb_outbox__fail(self, "commit", NULL, 0);
    if (rc < 0)
        hb_outbox__rollback(self);
    return rc;
}

/* ---- directory ---- */

static int
member_upsert(hb_outbox_t *self, const Hourbank__Member *m)
{
    char family[OB_FAMILY_TEXT_BYTES];
    hb_outbox__family_encode(m, family, sizeof family);
    if (m->left)
        self->erase_due = true;  /* the name it had here is overwritten: the file is rewritten */
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_DIR_UPSERT);
    sqlite3_bind_text(st, 1, m->member_no ? m->member_no : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->name ? m->name : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, (int) m->role);
    sqlite3_bind_int64(st, 4, m->birth_year);
    sqlite3_bind_text(st, 5, m->family_of ? m->family_of : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, m->balance_minutes);
    sqlite3_bind_int64(st, 7, (sqlite3_int64) m->version);
    sqlite3_bind_text(st, 8, m->community ? m->community : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, family, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, m->left ? 1 : 0);
    if (hb_outbox__run(self, st) != 0)
        return -1;
    return hb_outbox__numbers_store(self, m);
}

static int
apply_in_tx(hb_outbox_t *self, const Hourbank__DirectoryReply *reply, int64_t now)
{
    for (size_t i = 0; i < reply->n_members; i++) {
        hb_assert(reply->members[i]);
        if (member_upsert(self, reply->members[i]) != 0)
            return -1;
    }
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_DIR_VERSION_SET);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) reply->version);
    sqlite3_bind_int64(st, 2, now);
    if (hb_outbox__run(self, st) != 0)
        return -1;
    /* The last page: every op acked before it is now in the balances. */
    if (!reply->more && (hb_outbox__erase_check(self) != 0 ||
                         hb_outbox__run(self, hb_outbox__stmt(self, OB_DIR_SETTLE)) != 0))
        return -1;
    return 0;
}

int
hb_outbox_directory_apply(hb_outbox_t *self, const Hourbank__DirectoryReply *reply, int64_t now)
{
    hb_assert(self && reply && reply->n_members <= HB_PAGE_ENTRIES_MAX);
    if (hb_outbox__begin(self, true) != 0)
        return hb_outbox__fail(self, "begin a directory update", NULL, 0);
    int rc = finish(self, apply_in_tx(self, reply, now), "update the directory");
    /* members who left, and ops of theirs central has answered since:
     * erased (outbox_erase.c); a failure is logged and tried again */
    if (!reply->more)
        hb_outbox__erase(self);
    return rc;
}

uint64_t
hb_outbox_directory_version(hb_outbox_t *self, int64_t *synced_at)
{
    hb_assert(self);
    ob_meta_t m;
    if (hb_outbox__meta_read(self, &m) != 0) {
        hb_outbox__fail(self, "read the directory version", NULL, 0);
        memset(&m, 0, sizeof m);  /* version 0: the next sync starts over */
    }
    if (synced_at)
        *synced_at = m.directory_synced_at;
    return m.directory_version;
}

/* ---- member lookup ---- */

/* The community code a member number begins with. */
static void
community_of(const char *member_no, char *out, size_t size)
{
    size_t n = strcspn(member_no, "-");
    snprintf(out, size, "%.*s", (int) n, member_no);
}

static void
member_from_row(sqlite3_stmt *st, hb_outbox_member_t *out)
{
    memset(out, 0, sizeof *out);
    hb_outbox__column_text(out->member_no, sizeof out->member_no, st, 0);
    hb_outbox__column_text(out->name, sizeof out->name, st, 1);
    out->role = sqlite3_column_int(st, 2);
    out->birth_year = (uint32_t) sqlite3_column_int64(st, 3);
    hb_outbox__column_text(out->family_of, sizeof out->family_of, st, 4);
    out->balance_minutes = sqlite3_column_int64(st, 5);
    out->in_directory = true;
    hb_outbox__column_text(out->community, sizeof out->community, st, 6);
    if (out->community[0] == '\0')  /* a central that did not say: the number's code is the community */
        community_of(out->member_no, out->community, sizeof out->community);
    hb_outbox__family_decode((const char *) sqlite3_column_text(st, 7), out);
    out->left = sqlite3_column_int(st, 8) != 0;
}

/* From a row (payload, pending) of a registration op. -1 if the payload
 * does not decode as one. */
static int
member_from_registration(hb_outbox_t *self, sqlite3_stmt *st, hb_outbox_member_t *out)
{
    size_t len = (size_t) sqlite3_column_bytes(st, 0);
    Hourbank__Op *op = hourbank__op__unpack(NULL, len, sqlite3_column_blob(st, 0));
    if (op == NULL || op->kind_case != HOURBANK__OP__KIND_REGISTER_MEMBER) {
        hb_log_error("outbox: stored registration does not decode path=\"%s\" bytes=%zu", self->path, len);
        if (op)
            hourbank__op__free_unpacked(op, NULL);
        return -1;
    }
    const Hourbank__RegisterMember *r = op->register_member;
    memset(out, 0, sizeof *out);
    snprintf(out->member_no, sizeof out->member_no, "%s", r->member_no);
    snprintf(out->name, sizeof out->name, "%s", r->name);
    snprintf(out->family_of, sizeof out->family_of, "%s", r->family_of);
    out->role = (int) r->role;
    out->birth_year = r->birth_year;
    out->pending_registration = sqlite3_column_int(st, 1) != 0;
    community_of(out->member_no, out->community, sizeof out->community);
    if (r->family_of[0]) {
        out->n_family = 1;
        snprintf(out->family[0].member_no, sizeof out->family[0].member_no, "%s", r->family_of);
        snprintf(out->family[0].relation, sizeof out->family[0].relation, "%s", r->family_relation);
    }
    hourbank__op__free_unpacked(op, NULL);
    return 0;
}

static int
pending_minutes(hb_outbox_t *self, const char *member_no, int64_t *out)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_PENDING_MINUTES);
    sqlite3_bind_text(st, 1, member_no, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* Steps st (bound to one member) and fills out from the directory row
 * (registration = false) or registration row. 1 found, 0 not, -1 error. */
static int
member_step(hb_outbox_t *self, sqlite3_stmt *st, bool registration, hb_outbox_member_t *out)
{
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (found == 1 && registration)
        found = member_from_registration(self, st, out) == 0 ? 1 : -1;
    else if (found == 1)
        member_from_row(st, out);
    sqlite3_reset(st);
    return found;
}

static int
member_lookup(hb_outbox_t *self, const char *number, hb_outbox_member_t *out)
{
    char member_no[HB_MEMBER_NO_BYTES_MAX + 1];
    if (hb_outbox__resolve(self, number, member_no) != 0)
        return -1;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_DIR_GET);
    sqlite3_bind_text(st, 1, member_no, -1, SQLITE_STATIC);
    int found = member_step(self, st, false, out);
    if (found == 0) {
        st = hb_outbox__stmt(self, OB_REG_GET);
        sqlite3_bind_text(st, 1, member_no, -1, SQLITE_STATIC);
        found = member_step(self, st, true, out);
    }
    if (found == 1 && (pending_minutes(self, out->member_no, &out->pending_minutes) != 0 ||
                       hb_outbox__numbers_load(self, out) != 0))
        return -1;
    return found;
}

int
hb_outbox_member(hb_outbox_t *self, const char *member_no, hb_outbox_member_t *out)
{
    hb_assert(self && member_no && out);
    memset(out, 0, sizeof *out);
    if (hb_outbox__begin(self, false) != 0)
        return hb_outbox__fail(self, "begin a member lookup", NULL, 0);
    return finish(self, member_lookup(self, member_no, out), "look up a member");
}

/* 1 known, 0 not, -1 error; one statement (its own read transaction
 * outside an explicit one). */
static int
member_known(hb_outbox_t *self, const char *number)
{
    char member_no[HB_MEMBER_NO_BYTES_MAX + 1];
    if (hb_outbox__resolve(self, number, member_no) != 0)
        return -1;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_MEMBER_KNOWN);
    sqlite3_bind_text(st, 1, member_no, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int known = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) != 0 : -1;
    sqlite3_reset(st);
    return known;
}

int
hb_outbox_member_known(hb_outbox_t *self, const char *member_no)
{
    hb_assert(self && member_no);
    int known = member_known(self, member_no);
    if (known < 0)
        hb_outbox__fail(self, "look up a member", NULL, 0);
    return known;
}

/* ---- the station's checks of an operator's op ---- */

/* UNKNOWN_MEMBER with the first of numbers (NULL or "" skipped) not known
 * here, or OK; INTERNAL on a disk error. roles[i] names numbers[i] in the
 * refusal's values (PROTOCOL.md "Result values"). */
static hb_result_t
members_check(hb_outbox_t *self, const char *const numbers[2], const char *const roles[2], char *msg,
              size_t msg_size)
{
    for (size_t i = 0; i < 2; i++) {
        if (numbers[i] == NULL || numbers[i][0] == '\0')
            continue;
        int known = member_known(self, numbers[i]);
        if (known < 0) {
            hb_outbox__fail(self, "look up a member", msg, msg_size);
            return HB_RESULT_INTERNAL;
        }
        if (known == 0) {
            snprintf(msg, msg_size, "role=%s\nmember=%s", roles[i], numbers[i]);
            return HB_RESULT_UNKNOWN_MEMBER;
        }
    }
    return HB_RESULT_OK;
}

hb_result_t
hb_outbox__check(hb_outbox_t *self, const Hourbank__Op *op, char *msg, size_t msg_size)
{
    hb_assert(self && op && msg && msg_size > 0);
    /* refusals as values, like central's (the CLI words them) */
    const char *names[2] = {NULL, NULL}, *roles[2] = {"", ""};
    const char *same = NULL;
    if (op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER) {
        names[0] = op->register_member->family_of;
        roles[0] = "family";
    } else if (op->kind_case == HOURBANK__OP__KIND_SERVICE) {
        names[0] = op->service->provider;
        names[1] = op->service->recipient;
        roles[0] = "provider";
        roles[1] = "recipient";
        same = "service";
        if (!hb_outbox_category_known(self, op->service->category)) {
            snprintf(msg, msg_size, "category=%s", op->service->category);
            return HB_RESULT_UNKNOWN_CATEGORY;
        }
    } else if (op->kind_case == HOURBANK__OP__KIND_GIFT) {
        names[0] = op->gift->from_member;
        names[1] = op->gift->to_member;
        roles[0] = "giver";
        roles[1] = "receiver";
        same = "gift";
    } else if (op->kind_case == HOURBANK__OP__KIND_DONATION) {
        names[0] = op->donation->member;
        roles[0] = "donor";
    }
    hb_result_t r = members_check(self, names, roles, msg, msg_size);
    if (r == HB_RESULT_OK)  /* members who left, a move home (outbox_members.c) */
        r = hb_outbox__named_check(self, op, msg, msg_size);
    char first[HB_MEMBER_NO_BYTES_MAX + 1];  /* one member by two of their numbers is one member */
    if (r == HB_RESULT_OK && same && hb_outbox__resolve(self, names[0], first) == 0 &&
        hb_outbox__is_member(self, names[1], first)) {
        snprintf(msg, msg_size, "kind=%s\nmember=%s", same, names[0]);
        r = HB_RESULT_SELF_SERVICE;
    }
    return r;
}

/* Runs a search statement (?1 text, ?2 limit) into out; count or -1. */
static int
find_rows(hb_outbox_t *self, ob_stmt_t id, bool registration, const char *text, hb_outbox_member_t *out,
          size_t max)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, id);
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64) max);
    int n = 0, rc = SQLITE_DONE;
    while ((size_t) n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (registration && member_from_registration(self, st, &out[n]) != 0) {
            rc = SQLITE_CORRUPT;
            break;
        }
        if (!registration)
            member_from_row(st, &out[n]);
        n++;
    }
    sqlite3_reset(st);
    return (size_t) n < max && rc != SQLITE_DONE ? -1 : n;
}

static int
find_in_tx(hb_outbox_t *self, const char *text, hb_outbox_member_t *out, size_t max)
{
    int n = find_rows(self, OB_DIR_FIND, false, text, out, max);
    if (n >= 0 && (size_t) n < max) {
        int more = find_rows(self, OB_REG_FIND, true, text, out + n, max - (size_t) n);
        n = more < 0 ? -1 : n + more;
    }
    for (int i = 0; i < n; i++) {
        if (pending_minutes(self, out[i].member_no, &out[i].pending_minutes) != 0 ||
            hb_outbox__numbers_load(self, &out[i]) != 0)
            return -1;
    }
    return n;
}

int
hb_outbox_member_find(hb_outbox_t *self, const char *text, hb_outbox_member_t *out, size_t max)
{
    hb_assert(self && text && (out || max == 0));
    if (max > HB_SEARCH_RESULTS_MAX)
        max = HB_SEARCH_RESULTS_MAX;
    if (max == 0)
        return 0;
    if (hb_outbox__begin(self, false) != 0)
        return hb_outbox__fail(self, "begin a member search", NULL, 0);
    return finish(self, find_in_tx(self, text, out, max), "search members");
}

/* ---- categories ---- */

static int
categories_replace(hb_outbox_t *self, const Hourbank__CategoriesReply *reply)
{
    if (hb_outbox__run(self, hb_outbox__stmt(self, OB_CAT_CLEAR)) != 0)
        return -1;
    for (size_t i = 0; i < reply->n_categories; i++) {
        const Hourbank__Category *c = reply->categories[i];
        hb_assert(c);
        sqlite3_stmt *st = hb_outbox__stmt(self, OB_CAT_INSERT);
        sqlite3_bind_int64(st, 1, (sqlite3_int64) i);
        sqlite3_bind_text(st, 2, c->name ? c->name : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, c->description ? c->description : "", -1, SQLITE_STATIC);
        if (hb_outbox__run(self, st) != 0)
            return -1;
    }
    return 0;
}

/* The cache holds what the file holds: called after a committed change. */
static void
categories_cache_set(hb_outbox_t *self, const Hourbank__CategoriesReply *reply)
{
    self->n_categories = 0;
    for (size_t i = 0; i < reply->n_categories; i++) {
        const char *name = reply->categories[i]->name ? reply->categories[i]->name : "";
        hb_assert(strlen(name) <= HB_CATEGORY_BYTES_MAX);  /* hb_wire_validate checked it */
        snprintf(self->category[self->n_categories++], HB_CATEGORY_BYTES_MAX + 1, "%s", name);
    }
}

int
hb_outbox_categories_set(hb_outbox_t *self, const Hourbank__CategoriesReply *reply)
{
    hb_assert(self && reply && reply->n_categories <= HB_CATEGORIES_MAX);
    if (hb_outbox__begin(self, true) != 0)
        return hb_outbox__fail(self, "begin a categories update", NULL, 0);
    int rc = finish(self, categories_replace(self, reply), "store the categories");
    if (rc == 0)
        categories_cache_set(self, reply);
    return rc;
}

bool
hb_outbox_category_known(hb_outbox_t *self, const char *name)
{
    hb_assert(self && name);
    if (self->n_categories == 0)
        return true;  /* no catalogue cached yet: central will judge */
    for (size_t i = 0; i < self->n_categories; i++) {
        if (strcmp(self->category[i], name) == 0)
            return true;
    }
    return false;
}

int
hb_outbox__categories_load(hb_outbox_t *self)
{
    hb_assert(self);
    self->n_categories = 0;
    Hourbank__CategoriesReply cats;
    int n = hb_outbox_categories_get(self, &cats);
    if (n < 0)
        return -1;  /* logged */
    for (int i = 0; i < n; i++) {
        /* a name that does not fit was not written by this program; no op can name it */
        if (strlen(cats.categories[i]->name) > HB_CATEGORY_BYTES_MAX) {
            hb_log_warn("outbox: category name too long, ignored path=\"%s\" bytes=%zu", self->path,
                        strlen(cats.categories[i]->name));
            continue;
        }
        snprintf(self->category[self->n_categories++], HB_CATEGORY_BYTES_MAX + 1, "%s", cats.categories[i]->name);
    }
    hb_outbox_categories_free(&cats);
    return 0;
}

int
hb_outbox_categories_get(hb_outbox_t *self, Hourbank__CategoriesReply *reply)
{
    hb_assert(self && reply);
    hourbank__categories_reply__init(reply);
    reply->categories = calloc(HB_CATEGORIES_MAX, sizeof *reply->categories);
    hb_assert(reply->categories);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_CAT_GET);
    sqlite3_bind_int(st, 1, HB_CATEGORIES_MAX);
    int rc = SQLITE_DONE;
    while (reply->n_categories < HB_CATEGORIES_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        Hourbank__Category *c = malloc(sizeof *c);
        hb_assert(c);
        hourbank__category__init(c);
        c->name = hb_outbox__column_strdup(st, 0);
        c->description = hb_outbox__column_strdup(st, 1);
        reply->categories[reply->n_categories++] = c;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        hb_outbox__fail(self, "read the categories", NULL, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        hb_outbox_categories_free(reply);
        return -1;
    }
    if (reply->n_categories == 0)
        hb_outbox_categories_free(reply);
    return (int) reply->n_categories;
}

void
hb_outbox_categories_free(Hourbank__CategoriesReply *reply)
{
    hb_assert(reply);
    for (size_t i = 0; i < reply->n_categories; i++) {
        free(reply->categories[i]->name);
        free(reply->categories[i]->description);
        free(reply->categories[i]);
    }
    free(reply->categories);
    reply->categories = NULL;
    reply->n_categories = 0;
}

/* ---- the district's time zone ---- */

const char *
hb_outbox_time_zone(const hb_outbox_t *self)
{
    hb_assert(self);
    return self->time_zone;
}

int
hb_outbox_set_time_zone(hb_outbox_t *self, const char *zone)
{
    hb_assert(self && zone && strlen(zone) <= HB_TIME_ZONE_BYTES_MAX);
    if (strcmp(self->time_zone, zone) == 0)
        return 0;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_TIME_ZONE_SET);
    sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
    if (hb_outbox__run(self, st) != 0)
        return hb_outbox__fail(self, "store the time zone", NULL, 0);
    snprintf(self->time_zone, sizeof self->time_zone, "%s", zone);
    return 1;
}
