/* outbox_sign_in.c - operators signing in to the console: the PIN checked
 * against its argon2id hash (libsodium crypto_pwhash_str_verify), wrong
 * PINs in a row counted and, past HB_SIGN_IN_FAILURES_FREE, locked out for
 * a doubling time (station.yaml sign_in_lockout, capped at
 * HB_SIGN_IN_LOCKOUT_S_MAX); the count and the lock's end are columns of
 * operators (failed_sign_ins, locked_until), so a restart keeps them. Also
 * the two small writes of the same columns' kind: unlock and language. */
#include "outbox.h"
#include "outbox_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "hb_assert.h"
#include "hb_log.h"

/* An argon2id hash of no one's PIN, made with the parameters every stored
 * PIN has (crypto_pwhash_OPSLIMIT_INTERACTIVE, MEMLIMIT_INTERACTIVE: t=2,
 * m=64 MiB; test_outbox_sign_in checks they are still libsodium's): an
 * unknown, disabled or PIN-less operator is refused only after a
 * verification that costs what a wrong PIN costs, so the time taken tells
 * nothing of which names exist. */
static const char DUMMY_HASH[crypto_pwhash_STRBYTES] =
    "$argon2id$v=19$m=65536,t=2,p=1$hqciRu61nJBeH2rdtZVh8A$gWAZVZlfXGPOpWNJ3Dr8n+yNPp9qzdVX50fOIkXLinE";

/* What sign_in needs of one operator. */
typedef struct {
    bool found, disabled, has_pin;
    char pin_hash[crypto_pwhash_STRBYTES];
    int64_t failures, locked_until;
} sign_in_row_t;

/* 0 with *row filled (found = false when there is none), or -1 (logged). */
static int
read_row(hb_outbox_t *self, const char *name, sign_in_row_t *row)
{
    *row = (sign_in_row_t){0};
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_SIGN_IN_GET);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row->found = true;
        row->has_pin = sqlite3_column_type(st, 0) != SQLITE_NULL;
        if (row->has_pin)
            hb_outbox__column_text(row->pin_hash, sizeof row->pin_hash, st, 0);
        row->disabled = sqlite3_column_int(st, 1) != 0;
        row->failures = sqlite3_column_int64(st, 2);
        row->locked_until = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return hb_outbox__fail(self, "read an operator's sign-in state", NULL, 0);
    return 0;
}

static int
write_state(hb_outbox_t *self, const char *name, int64_t failures, int64_t locked_until, char *msg, size_t msg_size)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_SIGN_IN_SET);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, failures);
    sqlite3_bind_int64(st, 3, locked_until);
    int changed = 0;
    return hb_outbox__write_one(self, st, "store an operator's sign-in state", &changed, msg, msg_size);
}

/* The lock that the failures-th wrong PIN in a row earns, in seconds (0:
 * none yet). */
static int64_t
lock_seconds(int64_t failures, int64_t lockout_s)
{
    if (failures <= HB_SIGN_IN_FAILURES_FREE)
        return 0;
    int64_t doublings = failures - HB_SIGN_IN_FAILURES_FREE - 1;
    int64_t lock = lockout_s < HB_SIGN_IN_LOCKOUT_S_MAX ? lockout_s : HB_SIGN_IN_LOCKOUT_S_MAX;
    for (int64_t i = 0; i < doublings && lock < HB_SIGN_IN_LOCKOUT_S_MAX; i++)
        lock *= 2;
    return lock < HB_SIGN_IN_LOCKOUT_S_MAX ? lock : HB_SIGN_IN_LOCKOUT_S_MAX;
}

/* A wrong PIN for a known operator: counted, locked past the free ones. */
static hb_result_t
wrong_pin(hb_outbox_t *self, const char *name, const sign_in_row_t *row, int64_t now, int64_t lockout_s,
          hb_outbox_sign_in_t *out, char *msg, size_t msg_size)
{
    int64_t failures = row->failures < HB_SIGN_IN_FAILURES_MAX ? row->failures + 1 : HB_SIGN_IN_FAILURES_MAX;
    int64_t lock = lock_seconds(failures, lockout_s);
    if (write_state(self, name, failures, lock ? now + lock : 0, msg, msg_size) != 0)
        return HB_RESULT_INTERNAL;
    if (lock) {
        hb_log_warn("operator locked out operator=\"%s\" failures=%" PRId64 " seconds=%" PRId64, name, failures, lock);
        *out = (hb_outbox_sign_in_t){"locked", lock};
    } else {
        hb_log_warn("sign-in refused operator=\"%s\" reason=pin failures=%" PRId64, name, failures);
        *out = (hb_outbox_sign_in_t){"pin", 0};
    }
    return HB_RESULT_SIGN_IN_REFUSED;
}

/* No hash to check: the dummy's time is spent, and the refusal logged. */
static hb_result_t
refuse_slowly(const char *name, const char *pin, const char *reason, hb_outbox_sign_in_t *out)
{
    if (crypto_pwhash_str_verify(DUMMY_HASH, pin, strlen(pin)) == 0)
        hb_log_debug("a PIN matched the dummy hash operator=\"%s\"", name);  /* refused all the same */
    hb_log_warn("sign-in refused operator=\"%s\" reason=%s", name, reason);
    *out = (hb_outbox_sign_in_t){reason, 0};
    return HB_RESULT_SIGN_IN_REFUSED;
}

hb_result_t
hb_outbox_sign_in(hb_outbox_t *self, const char *name, const char *pin, int64_t now, int64_t lockout_s,
                  hb_outbox_sign_in_t *out, char *msg, size_t msg_size)
{
    hb_assert(self && name && pin && out && msg && lockout_s >= 1);
    hb_assert(sodium_init() >= 0);
    *out = (hb_outbox_sign_in_t){NULL, 0};
    sign_in_row_t row;
    if (read_row(self, name, &row) != 0) {
        snprintf(msg, msg_size, "could not read operator \"%s\"; see the station log", name);
        return HB_RESULT_INTERNAL;
    }
    if (!row.found || row.disabled || !row.has_pin)
        return refuse_slowly(name, pin, !row.found ? "unknown" : row.disabled ? "disabled" : "no_pin", out);
    if (row.locked_until > now) {
        hb_log_warn("sign-in refused operator=\"%s\" reason=locked retry_after=%" PRId64, name,
                    row.locked_until - now);
        *out = (hb_outbox_sign_in_t){"locked", row.locked_until - now};
        return HB_RESULT_SIGN_IN_REFUSED;
    }
    bool right = crypto_pwhash_str_verify(row.pin_hash, pin, strlen(pin)) == 0;
    sodium_memzero(row.pin_hash, sizeof row.pin_hash);
    if (!right)
        return wrong_pin(self, name, &row, now, lockout_s, out, msg, msg_size);
    if ((row.failures != 0 || row.locked_until != 0) && write_state(self, name, 0, 0, msg, msg_size) != 0)
        return HB_RESULT_INTERNAL;
    hb_log_info("operator signed in operator=\"%s\"", name);
    return HB_RESULT_OK;
}

hb_result_t
hb_outbox_operator_unlock(hb_outbox_t *self, const char *name, char *msg, size_t msg_size)
{
    hb_assert(self && name && msg);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_SIGN_IN_SET);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, 0);
    sqlite3_bind_int64(st, 3, 0);
    int changed = 0;
    if (hb_outbox__write_one(self, st, "unlock an operator", &changed, msg, msg_size) != 0)
        return HB_RESULT_INTERNAL;
    if (changed == 0) {
        snprintf(msg, msg_size, "operator \"%s\" is not known at this station (hourbank operator list)", name);
        return HB_RESULT_NOT_FOUND;
    }
    hb_log_info("operator unlocked operator=\"%s\"", name);
    return HB_RESULT_OK;
}

hb_result_t
hb_outbox_operator_set_language(hb_outbox_t *self, const char *name, const char *language, char *msg,
                                size_t msg_size)
{
    hb_assert(self && name && language && msg);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_OPERATOR_LANGUAGE);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, language, -1, SQLITE_STATIC);
    int changed = 0;
    if (hb_outbox__write_one(self, st, "set an operator's language", &changed, msg, msg_size) != 0)
        return HB_RESULT_INTERNAL;
    if (changed == 0) {
        snprintf(msg, msg_size, "operator \"%s\" is not known at this station (hourbank operator list)", name);
        return HB_RESULT_NOT_FOUND;
    }
    hb_log_info("operator language set operator=\"%s\" language=\"%s\"", name, language);
    return HB_RESULT_OK;
}
