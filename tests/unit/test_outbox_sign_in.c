/* test_outbox_sign_in.c - operators signing in at the station
 * (client/station/outbox_sign_in.c): the right PIN, the refusals and their
 * reasons, the lockout growing from the fifth wrong PIN to its cap and
 * kept in the file across a reopen, unlock, the language, the upgrade of a
 * version 7 file, and the dummy hash's parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "outbox.h"

#define STATION 1u
#define COMMUNITY "QX03"
#define T0 INT64_C(1704067200)
#define PIN "246810"
#define WRONG "135790"
#define LOCKOUT 60

typedef struct {
    char dir[200], path[256], msg[HB_MESSAGE_BYTES_MAX];
    hb_outbox_t *ob;
} fixture_t;

static void
open_outbox(fixture_t *f)
{
    f->ob = hb_outbox_open(f->path, STATION, COMMUNITY, HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg);
    if (!f->ob)
        fail_msg("%s", f->msg);
}

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "%s/test_outbox_sign_in.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/outbox.db", f->dir);
    open_outbox(f);
    assert_int_equal(hb_outbox_operator_add(f->ob, "wang", PIN, T0, f->msg, sizeof f->msg), HB_RESULT_OK);
    assert_int_equal(hb_outbox_operator_add(f->ob, "li", PIN, T0, f->msg, sizeof f->msg), HB_RESULT_OK);
    assert_int_equal(hb_outbox_operator_add(f->ob, "desk", "", T0, f->msg, sizeof f->msg), HB_RESULT_OK);
    assert_int_equal(hb_outbox_operator_disable(f->ob, "li", f->msg, sizeof f->msg), HB_RESULT_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    hb_outbox_destroy(&f->ob);
    hb_outbox_remove(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Signs name in with pin at now; returns the result, *out the refusal. */
static hb_result_t
sign_in(fixture_t *f, const char *name, const char *pin, int64_t now, hb_outbox_sign_in_t *out)
{
    return hb_outbox_sign_in(f->ob, name, pin, now, LOCKOUT, out, f->msg, sizeof f->msg);
}

/* Expects a refusal for reason (retry_after as given). */
static void
refused(fixture_t *f, const char *name, const char *pin, int64_t now, const char *reason, int64_t retry_after)
{
    hb_outbox_sign_in_t why;
    assert_int_equal(sign_in(f, name, pin, now, &why), HB_RESULT_SIGN_IN_REFUSED);
    assert_string_equal(why.reason, reason);
    assert_int_equal(why.retry_after, retry_after);
}

static void
ok(fixture_t *f, const char *name, const char *pin, int64_t now)
{
    hb_outbox_sign_in_t why;
    assert_int_equal(sign_in(f, name, pin, now, &why), HB_RESULT_OK);
    assert_null(why.reason);
}

/* The operator as listed at now. Caller frees list. */
static const Hourbank__Operator *
listed(fixture_t *f, const char *name, int64_t now, Hourbank__OperatorsReply *list)
{
    assert_int_equal(hb_outbox_operator_one(f->ob, name, NULL, now, list), 1);
    return list->operators[0];
}

static int64_t
locked_until(fixture_t *f, const char *name, int64_t now)
{
    Hourbank__OperatorsReply list;
    int64_t until = listed(f, name, now, &list)->locked_until;
    hb_outbox_operators_free(&list);
    return until;
}

static void
test_reasons(void **state)
{
    fixture_t *f = *state;
    ok(f, "wang", PIN, T0);
    refused(f, "wang", WRONG, T0, "pin", 0);
    refused(f, "zhao", PIN, T0, "unknown", 0);
    refused(f, "li", PIN, T0, "disabled", 0);   /* the right PIN of a disabled operator */
    refused(f, "desk", PIN, T0, "no_pin", 0);
    /* refusing those counted nothing anywhere; one wrong PIN of wang did */
    Hourbank__OperatorsReply list;
    assert_int_equal(hb_outbox_operator_one(f->ob, "zhao", NULL, T0, &list), 0);
    hb_outbox_operators_free(&list);
    assert_int_equal(locked_until(f, "wang", T0), 0);
}

static void
test_lockout_grows_to_its_cap(void **state)
{
    fixture_t *f = *state;
    int64_t now = T0;
    for (int i = 0; i < HB_SIGN_IN_FAILURES_FREE; i++)
        refused(f, "wang", WRONG, now, "pin", 0);
    refused(f, "wang", WRONG, now, "locked", LOCKOUT);          /* the fifth */
    assert_int_equal(locked_until(f, "wang", now), now + LOCKOUT);
    refused(f, "wang", PIN, now + LOCKOUT - 1, "locked", 1);    /* the right PIN too, not counted */
    refused(f, "wang", WRONG, now + 1, "locked", LOCKOUT - 1);  /* nor a wrong one */
    assert_int_equal(locked_until(f, "wang", now + LOCKOUT), 0);  /* over: not listed as locked */
    now += LOCKOUT;
    int64_t want = 2 * LOCKOUT;
    for (; want < HB_SIGN_IN_LOCKOUT_S_MAX; want *= 2) {
        refused(f, "wang", WRONG, now, "locked", want);
        now += want;
    }
    for (int i = 0; i < 3; i++) {                               /* the cap holds */
        refused(f, "wang", WRONG, now, "locked", HB_SIGN_IN_LOCKOUT_S_MAX);
        now += HB_SIGN_IN_LOCKOUT_S_MAX;
    }
    ok(f, "wang", PIN, now);                                    /* resets the count */
    for (int i = 0; i < HB_SIGN_IN_FAILURES_FREE; i++)
        refused(f, "wang", WRONG, now, "pin", 0);
    refused(f, "wang", WRONG, now, "locked", LOCKOUT);
}

static void
test_kept_unlock_and_language(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < HB_SIGN_IN_FAILURES_FREE; i++)
        refused(f, "wang", WRONG, T0, "pin", 0);
    refused(f, "wang", WRONG, T0, "locked", LOCKOUT);
    assert_int_equal(hb_outbox_operator_set_language(f->ob, "wang", "en", f->msg, sizeof f->msg), HB_RESULT_OK);
    assert_int_equal(hb_outbox_operator_set_language(f->ob, "zhao", "en", f->msg, sizeof f->msg),
                     HB_RESULT_NOT_FOUND);
    hb_outbox_destroy(&f->ob);                                  /* a restart */
    open_outbox(f);
    refused(f, "wang", PIN, T0 + 1, "locked", LOCKOUT - 1);
    Hourbank__OperatorsReply list;
    const Hourbank__Operator *o = listed(f, "wang", T0 + 1, &list);
    assert_string_equal(o->language, "en");
    assert_int_equal(o->locked_until, T0 + LOCKOUT);
    hb_outbox_operators_free(&list);
    assert_int_equal(hb_outbox_operator_unlock(f->ob, "wang", f->msg, sizeof f->msg), HB_RESULT_OK);
    assert_int_equal(hb_outbox_operator_unlock(f->ob, "zhao", f->msg, sizeof f->msg), HB_RESULT_NOT_FOUND);
    assert_non_null(strstr(f->msg, "operator \"zhao\" is not known"));
    assert_int_equal(locked_until(f, "wang", T0 + 1), 0);
    /* unlocked: the count starts again from nothing */
    for (int i = 0; i < HB_SIGN_IN_FAILURES_FREE; i++)
        refused(f, "wang", WRONG, T0 + 1, "pin", 0);
    ok(f, "wang", PIN, T0 + 1);
    assert_int_equal(hb_outbox_operator_set_language(f->ob, "wang", "", f->msg, sizeof f->msg), HB_RESULT_OK);
    o = listed(f, "wang", T0 + 1, &list);
    assert_string_equal(o->language, "");
    hb_outbox_operators_free(&list);
}

static void
sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
    sqlite3_close(db);
}

/* A version 7 file (operators without the new columns) is upgraded: its
 * operators keep their PINs and start with no count, no lock, no language. */
static void
test_upgrade_from_7(void **state)
{
    fixture_t *f = *state;
    hb_outbox_destroy(&f->ob);
    sql_exec(f->path, "DROP INDEX ops_resend; ALTER TABLE ops DROP COLUMN payload_hash; ALTER TABLE ops DROP COLUMN"
                      " posted_day; ALTER TABLE ops DROP COLUMN resend; ALTER TABLE meta DROP COLUMN compacted_seq;"
                      " ALTER TABLE meta DROP COLUMN reconciled_at;"
                      " ALTER TABLE operators DROP COLUMN language; ALTER TABLE operators DROP COLUMN failed_sign_ins;"
                      " ALTER TABLE operators DROP COLUMN locked_until; PRAGMA user_version = 7");
    open_outbox(f);
    Hourbank__OperatorsReply list;
    const Hourbank__Operator *o = listed(f, "wang", T0, &list);
    assert_string_equal(o->language, "");
    assert_int_equal(o->locked_until, 0);
    hb_outbox_operators_free(&list);
    ok(f, "wang", PIN, T0);
    refused(f, "wang", WRONG, T0, "pin", 0);
}

/* The dummy hash costs what a stored PIN costs: the parameters every PIN
 * is hashed with are still libsodium's interactive ones, which the dummy
 * (t=2, m=64 MiB) was made with. */
static void
test_dummy_hash_parameters(void **state)
{
    (void) state;
    assert_true(sodium_init() >= 0);
    assert_int_equal(crypto_pwhash_OPSLIMIT_INTERACTIVE, 2);
    assert_int_equal(crypto_pwhash_MEMLIMIT_INTERACTIVE, 64 * 1024 * 1024);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockout_grows_to_its_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kept_unlock_and_language, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_7, setup, teardown),
        cmocka_unit_test(test_dummy_hash_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
