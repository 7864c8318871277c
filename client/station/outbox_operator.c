/* outbox_operator.c - the station's operators: who may save here, with an
 * optional PIN kept only as an argon2id hash (libsodium crypto_pwhash_str)
 * for the console to check at sign-in. Each save's operator is checked
 * against this table inside the save's transaction (outbox_save.c). */
#include "outbox.h"
#include "outbox_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hb_assert.h"
#include "hb_log.h"

/* An Operator as read_operator() takes it (OB_OPERATOR_LIST, OB_OPERATOR_ONE). */
#define OPERATOR_COLUMNS "name, disabled, pin_hash IS NOT NULL, created_at, language, locked_until"

const char *const hb_outbox__operator_sql[OB_STMT_COUNT] = {
    [OB_OPERATOR_INSERT] = "INSERT INTO operators (name, pin_hash, disabled, created_at) VALUES (?1, ?2, 0, ?3)"
                           " ON CONFLICT (name) DO NOTHING",
    [OB_OPERATOR_DISABLE] = "UPDATE operators SET disabled = 1 WHERE name = ?1",
    [OB_OPERATOR_GET] = "SELECT disabled FROM operators WHERE name = ?1",
    [OB_OPERATOR_LIST] = "SELECT " OPERATOR_COLUMNS " FROM operators ORDER BY name LIMIT ?1",
    [OB_OPERATOR_ONE] = "SELECT " OPERATOR_COLUMNS " FROM operators WHERE name = ?1",
    [OB_SIGN_IN_GET] = "SELECT pin_hash, disabled, failed_sign_ins, locked_until FROM operators WHERE name = ?1",
    [OB_SIGN_IN_SET] = "UPDATE operators SET failed_sign_ins = ?2, locked_until = ?3 WHERE name = ?1",
    [OB_OPERATOR_LANGUAGE] = "UPDATE operators SET language = ?2 WHERE name = ?1",
};

/* 1 enabled, 2 disabled, 0 not here, -1 on an error (left in the db). */
static int
state_of(hb_outbox_t *self, const char *name)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_OPERATOR_GET);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int state = rc == SQLITE_ROW ? (sqlite3_column_int(st, 0) ? 2 : 1) : rc == SQLITE_DONE ? 0 : -1;
    sqlite3_reset(st);
    return state;
}

int
hb_outbox_operator_state(hb_outbox_t *self, const char *name)
{
    hb_assert(self && name);
    int state = state_of(self, name);
    if (state < 0)
        hb_outbox__fail(self, "read the operators", NULL, 0);
    return state;
}

hb_result_t
hb_outbox__operator_check(hb_outbox_t *self, const char *name, char *msg, size_t msg_size)
{
    hb_assert(self && name && msg);
    /* the refusal's values (PROTOCOL.md "Result values"): the CLI words them */
    if (name[0] == '\0') {
        snprintf(msg, msg_size, "operator=\nstate=none");
        return HB_RESULT_UNKNOWN_OPERATOR;
    }
    int state = state_of(self, name);
    if (state < 0) {
        hb_outbox__fail(self, "read the operators", msg, msg_size);
        return HB_RESULT_INTERNAL;
    }
    if (state == 1)
        return HB_RESULT_OK;
    snprintf(msg, msg_size, "operator=%s\nstate=%s", name, state == 0 ? "unknown" : "disabled");
    return HB_RESULT_UNKNOWN_OPERATOR;
}

/* The PIN's argon2id hash into out; 0, or -1 (out of memory). */
static int
pin_hash(const char *pin, char out[crypto_pwhash_STRBYTES])
{
    hb_assert(sodium_init() >= 0);
    return crypto_pwhash_str(out, pin, strlen(pin), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

/* One write in its own transaction: st (bound) changes one row, or none
 * (*changed = 0). 0, or -1 with msg. */
int
hb_outbox__write_one(hb_outbox_t *self, sqlite3_stmt *st, const char *what, int *changed, char *msg, size_t msg_size)
{
    if (hb_outbox__begin(self, true) != 0)
        return hb_outbox__fail(self, what, msg, msg_size);
    if (hb_outbox__run(self, st) != 0) {
        hb_outbox__fail(self, what, msg, msg_size);
        hb_outbox__rollback(self);
        return -1;
    }
    *changed = sqlite3_changes(self->db);
    if (hb_outbox__commit(self) != 0) {
        hb_outbox__fail(self, what, msg, msg_size);
        hb_outbox__rollback(self);
        return -1;
    }
    return 0;
}

hb_result_t
hb_outbox_operator_add(hb_outbox_t *self, const char *name, const char *pin, int64_t now, char *msg,
                       size_t msg_size)
{
    hb_assert(self && name && name[0] && pin && msg);
    char hash[crypto_pwhash_STRBYTES];
    if (pin[0] && pin_hash(pin, hash) != 0) {
        snprintf(msg, msg_size, "could not hash the PIN of operator \"%s\": out of memory", name);
        return HB_RESULT_INTERNAL;
    }
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_OPERATOR_INSERT);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (pin[0])
        sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    int changed = 0;
    int rc = hb_outbox__write_one(self, st, "add an operator", &changed, msg, msg_size);
    sodium_memzero(hash, sizeof hash);
    if (rc != 0)
        return HB_RESULT_INTERNAL;
    if (changed == 0) {
        snprintf(msg, msg_size, "operator \"%s\" exists already (hourbank operator list); names are never reused",
                 name);
        return HB_RESULT_DUPLICATE;
    }
    hb_log_info("operator added name=\"%s\" pin=%s", name, pin[0] ? "yes" : "no");
    return HB_RESULT_OK;
}

hb_result_t
hb_outbox_operator_disable(hb_outbox_t *self, const char *name, char *msg, size_t msg_size)
{
    hb_assert(self && name && msg);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_OPERATOR_DISABLE);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int changed = 0;
    if (hb_outbox__write_one(self, st, "disable an operator", &changed, msg, msg_size) != 0)
        return HB_RESULT_INTERNAL;
    if (changed == 0) {
        snprintf(msg, msg_size, "operator \"%s\" is not known at this station (hourbank operator list)", name);
        return HB_RESULT_NOT_FOUND;
    }
    hb_log_info("operator disabled name=\"%s\"", name);
    return HB_RESULT_OK;
}

/* The row st stands on as a new Operator (caller owns it); locked_until
 * only while it lies after now. */
static Hourbank__Operator *
read_operator(sqlite3_stmt *st, const char *default_name, int64_t now)
{
    Hourbank__Operator *o = malloc(sizeof *o);
    hb_assert(o);
    hourbank__operator__init(o);
    o->name = hb_outbox__column_strdup(st, 0);
    o->disabled = sqlite3_column_int(st, 1) != 0;
    o->has_pin = sqlite3_column_int(st, 2) != 0;
    o->created_at = sqlite3_column_int64(st, 3);
    o->is_default = default_name && strcmp(default_name, o->name) == 0;
    o->language = hb_outbox__column_strdup(st, 4);
    int64_t locked_until = sqlite3_column_int64(st, 5);
    o->locked_until = locked_until > now ? locked_until : 0;
    return o;
}

int
hb_outbox_operator_list(hb_outbox_t *self, const char *default_name, int64_t now, Hourbank__OperatorsReply *reply)
{
    hb_assert(self && reply);
    reply->operators = calloc(HB_OPERATORS_MAX, sizeof *reply->operators);
    hb_assert(reply->operators);
    reply->n_operators = 0;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_OPERATOR_LIST);
    sqlite3_bind_int64(st, 1, HB_OPERATORS_MAX);
    int rc;
    while (reply->n_operators < HB_OPERATORS_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW)
        reply->operators[reply->n_operators++] = read_operator(st, default_name, now);
    sqlite3_reset(st);
    if (reply->n_operators < HB_OPERATORS_MAX && rc != SQLITE_DONE) {
        hb_outbox__fail(self, "list the operators", NULL, 0);
        hb_outbox_operators_free(reply);
        return -1;
    }
    return (int) reply->n_operators;
}

int
hb_outbox_operator_one(hb_outbox_t *self, const char *name, const char *default_name, int64_t now,
                       Hourbank__OperatorsReply *reply)
{
    hb_assert(self && name && reply);
    reply->operators = calloc(1, sizeof *reply->operators);
    hb_assert(reply->operators);
    reply->n_operators = 0;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_OPERATOR_ONE);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        reply->operators[reply->n_operators++] = read_operator(st, default_name, now);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        hb_outbox__fail(self, "read an operator", NULL, 0);
        hb_outbox_operators_free(reply);
        return -1;
    }
    return (int) reply->n_operators;
}

void
hb_outbox_operators_free(Hourbank__OperatorsReply *reply)
{
    hb_assert(reply);
    for (size_t i = 0; i < reply->n_operators; i++) {
        free(reply->operators[i]->name);
        free(reply->operators[i]->language);
        free(reply->operators[i]);
    }
    free(reply->operators);
    reply->operators = NULL;
    reply->n_operators = 0;
}
