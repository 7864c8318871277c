/* Operators signing in to the console at a real station (issue 16), through
 * its local API as the console does: the right PIN answers that one
 * operator; a wrong PIN, an unknown or disabled operator and one without a
 * PIN are refused SIGN_IN_REFUSED with their reason, the last three no
 * faster than a wrong PIN; the fifth wrong PIN in a row locks the operator
 * (the right PIN refused too, with retry_after), the lock ends by itself,
 * grows with each further wrong PIN, survives a kill and restart of the
 * station, shows in `hourbank operator list`, and `hourbank operator
 * unlock` ends it; a right PIN resets the count. An operator's language is
 * set, answered at sign-in and in the list, and kept over a restart. The
 * queue's link_down_since is 0 while the link is up, about the moment
 * central went away after that, and the station's start when it never
 * reached central. station.yaml's sign_in_lockout is 2 s here. */
#include "hb_itest.h"
#include "hb_clock.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define OUT_BYTES 16384
#define CONF_BYTES 8192
#define PIN "97531864"
#define WRONG "12345678"
#define LOCKOUT_S 2
#define FREE_FAILURES 4  /* HB_SIGN_IN_FAILURES_FREE */

static hb_h_central_t central;
static hb_h_station_t st;

/* Appends lines to the station's station.yaml (before it starts). */
static void
station_conf_append(hb_h_station_t *s, const char *lines)
{
    char conf[CONF_BYTES];
    hb_h_read_file(s->conf, conf, sizeof conf - strlen(lines) - 1);
    strcat(conf, lines);
    hb_h_write_file(s->conf, conf);
}

/* Runs `hourbank ARGS... -c station.yaml` (NULL-ended); exit code, output. */
static int
cli(char *out, char *err, const char *first, ...)
{
    char bin[600];
    const char *argv[32] = {hb_h_bin("hourbank", bin, sizeof bin)};
    size_t n = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < 28; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n++] = "-c";
    argv[n++] = st.conf;
    argv[n] = NULL;
    return hb_h_run_capture(argv, st.dir, out, OUT_BYTES, err, OUT_BYTES);
}

/* `printf 'PIN\n' | hourbank operator add NAME --pin`. */
static void
add_with_pin(const char *name, const char *pin)
{
    char bin[600], cmd[2048], out[OUT_BYTES], err[OUT_BYTES];
    snprintf(cmd, sizeof cmd, "printf '%s\\n' | '%s' operator add '%s' --pin -c '%s'", pin,
             hb_h_bin("hourbank", bin, sizeof bin), name, st.conf);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    if (hb_h_run_capture(argv, st.dir, out, OUT_BYTES, err, OUT_BYTES) != 0)
        fail_msg("operator add %s: %s", name, err);
}

/* An OperatorRequest through the local API; the reply (caller frees), and
 * in *ms how long the station took. */
static Hourbank__Envelope *
ask(const char *action, const char *name, const char *pin, const char *language, int64_t *ms)
{
    hb_h_client_t *cl = hb_h_station_client(&st);
    Hourbank__OperatorRequest q;
    hourbank__operator_request__init(&q);
    q.action = (char *) (uintptr_t) action;
    q.name = (char *) (uintptr_t) name;
    q.pin = (char *) (uintptr_t) pin;
    q.language = (char *) (uintptr_t) language;
    Hourbank__Envelope env;
    hourbank__envelope__init(&env);
    env.body_case = HOURBANK__ENVELOPE__BODY_OPERATOR_REQUEST;
    env.operator_request = &q;
    int64_t start = hb_clock_ms();
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 10000);
    if (ms)
        *ms = hb_clock_ms() - start;
    hb_h_client_destroy(&cl);
    assert_non_null(r);
    return r;
}

/* The value name of an ErrorReply ("" when absent). */
static const char *
param_of(const Hourbank__ErrorReply *e, const char *name)
{
    for (size_t i = 0; i < e->n_params; i++)
        if (strcmp(e->params[i]->name, name) == 0)
            return e->params[i]->value;
    return "";
}

/* sign_in refused for reason; returns retry_after (0 when absent) and the
 * time taken in *ms (may be NULL). */
static int64_t
refused(const char *name, const char *pin, const char *reason, int64_t *ms)
{
    Hourbank__Envelope *r = ask("sign_in", name, pin, "", ms);
    if (r->body_case != HOURBANK__ENVELOPE__BODY_ERROR)
        fail_msg("sign_in %s: not refused (body %d), want reason %s", name, (int) r->body_case, reason);
    assert_int_equal(r->error->code, HOURBANK__RESULT__SIGN_IN_REFUSED);
    assert_string_equal(param_of(r->error, "reason"), reason);
    int64_t retry_after = strtoll(param_of(r->error, "retry_after"), NULL, 10);
    assert_true(strcmp(reason, "locked") == 0 ? retry_after > 0 : param_of(r->error, "retry_after")[0] == '\0');
    hb_wire_free(&r);
    return retry_after;
}

/* sign_in succeeds: exactly that operator, with its language. */
static void
signed_in(const char *name, const char *language)
{
    Hourbank__Envelope *r = ask("sign_in", name, PIN, "", NULL);
    if (r->body_case != HOURBANK__ENVELOPE__BODY_OPERATORS_REPLY)
        fail_msg("sign_in %s refused: %s (%s)", name, r->error ? param_of(r->error, "reason") : "?",
                 r->error ? r->error->message : "");
    assert_int_equal(r->operators_reply->n_operators, 1);
    assert_string_equal(r->operators_reply->operators[0]->name, name);
    assert_string_equal(r->operators_reply->operators[0]->language, language);
    assert_int_equal(r->operators_reply->operators[0]->locked_until, 0);
    hb_wire_free(&r);
}

static void
restart_station(int sig)
{
    hb_h_station_stop(&st, sig);
    hb_h_station_start(&st);
}

static void
test_refusals_and_their_cost(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_sign_in", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&st, &central, 1, 0);
    station_conf_append(&st, "sign_in_lockout: 2s\nlanguage: en\n");
    hb_h_station_start(&st);
    add_with_pin("wang", PIN);
    add_with_pin("li", PIN);
    add_with_pin("timing", PIN);
    char out[OUT_BYTES], err[OUT_BYTES];
    assert_int_equal(cli(out, err, "operator", "add", "zhao", NULL), 0);  /* no PIN */
    assert_int_equal(cli(out, err, "operator", "disable", "li", NULL), 0);

    signed_in("wang", "");
    int64_t wrong_ms = 0, unknown_ms = 0, disabled_ms = 0, no_pin_ms = 0;
    refused("timing", WRONG, "pin", &wrong_ms);
    refused("nobody", PIN, "unknown", &unknown_ms);
    refused("li", PIN, "disabled", &disabled_ms);  /* the right PIN of a disabled operator */
    refused("zhao", PIN, "no_pin", &no_pin_ms);
    print_message("refused after: wrong PIN %lld ms, unknown %lld ms, disabled %lld ms, no PIN %lld ms\n",
                  (long long) wrong_ms, (long long) unknown_ms, (long long) disabled_ms, (long long) no_pin_ms);
    /* an argon2id check each: not a quick "no such name" */
    assert_true(unknown_ms * 2 >= wrong_ms && disabled_ms * 2 >= wrong_ms && no_pin_ms * 2 >= wrong_ms);
    assert_true(hb_h_log_count(st.log, "sign-in refused operator=\"nobody\" reason=unknown") == 1);
    assert_int_equal(hb_h_log_count(st.log, PIN), 0);
    assert_int_equal(hb_h_log_count(st.log, WRONG), 0);
    /* a malformed PIN is the wire's business: not counted */
    Hourbank__Envelope *r = ask("sign_in", "wang", "12", "", NULL);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__MALFORMED);
    hb_wire_free(&r);
}

static void
test_lockout(void **state)
{
    (void) state;
    char out[OUT_BYTES], err[OUT_BYTES];
    for (int i = 0; i < FREE_FAILURES; i++)
        refused("wang", WRONG, "pin", NULL);
    int64_t first = refused("wang", WRONG, "locked", NULL);
    assert_int_equal(first, LOCKOUT_S);
    assert_true(refused("wang", PIN, "locked", NULL) > 0);  /* the right PIN, refused and not counted */
    assert_int_equal(hb_h_log_count(st.log, "operator locked out operator=\"wang\" failures=5"), 1);
    assert_int_equal(cli(out, err, "operator", "list", NULL), 0);
    assert_non_null(strstr(out, "locked until"));
    assert_int_equal(cli(out, err, "operator", "list", "--json", NULL), 0);
    const char *wang = strstr(out, "\"name\": \"wang\"");
    assert_non_null(wang);
    const char *until = strstr(wang, "\"locked_until\": ");
    assert_non_null(until);
    assert_int_equal(until[strlen("\"locked_until\": ")], '"');  /* a time, not null */

    /* over by itself; the next wrong PIN locks for twice as long */
    sleep(LOCKOUT_S + 1);
    int64_t second = refused("wang", WRONG, "locked", NULL);
    print_message("locked for %lld s, then %lld s\n", (long long) first, (long long) second);
    assert_int_equal(second, 2 * LOCKOUT_S);
    sleep(2 * LOCKOUT_S + 1);
    signed_in("wang", "");  /* the right PIN after the lock: works, and resets the count */
    for (int i = 0; i < FREE_FAILURES; i++)
        refused("wang", WRONG, "pin", NULL);
    assert_int_equal(refused("wang", WRONG, "locked", NULL), LOCKOUT_S);  /* from the start again */

    /* the lock is in the outbox: a killed and restarted station keeps it */
    restart_station(SIGKILL);
    assert_true(refused("wang", PIN, "locked", NULL) > 0);
    assert_int_equal(cli(out, err, "operator", "unlock", "wang", NULL), 0);
    assert_null(strstr(out, "locked until"));
    assert_int_equal(cli(out, err, "operator", "unlock", "nobody", NULL), EX_NOINPUT);
    assert_non_null(strstr(err, "operator \"nobody\" is not known"));
    signed_in("wang", "");
    /* unlocked and signed in: four wrong PINs are only counted again */
    for (int i = 0; i < FREE_FAILURES; i++)
        refused("wang", WRONG, "pin", NULL);
    signed_in("wang", "");
}

static void
test_language(void **state)
{
    (void) state;
    char out[OUT_BYTES], err[OUT_BYTES];
    Hourbank__Envelope *r = ask("language", "wang", "", "zh_CN", NULL);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_OPERATORS_REPLY);
    hb_wire_free(&r);
    r = ask("language", "nobody", "", "en", NULL);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__NOT_FOUND);
    hb_wire_free(&r);
    r = ask("language", "wang", "", "fr", NULL);
    assert_int_equal(r->error->code, HOURBANK__RESULT__MALFORMED);
    hb_wire_free(&r);
    signed_in("wang", "zh_CN");
    assert_int_equal(cli(out, err, "operator", "list", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"language\": \"zh_CN\""));
    assert_int_equal(cli(out, err, "operator", "list", NULL), 0);
    assert_non_null(strstr(out, "LANGUAGE"));
    assert_non_null(strstr(out, "zh_CN"));
    restart_station(SIGTERM);
    signed_in("wang", "zh_CN");
    r = ask("language", "wang", "", "", NULL);  /* back to the station's */
    hb_wire_free(&r);
    signed_in("wang", "");
    /* `hourbank --help` puts a space between a long command and its summary */
    assert_int_equal(cli(out, err, "--help", NULL), 0);
    assert_non_null(strstr(out, "operator disable stop an operator"));
    assert_non_null(strstr(out, "operator unlock let an operator"));
}

static Hourbank__QueueReply *
queue_reply(Hourbank__Envelope **env)
{
    hb_h_client_t *cl = hb_h_station_client(&st);
    *env = hb_h_queue(cl, false);
    hb_h_client_destroy(&cl);
    assert_non_null(*env);
    return (*env)->queue_reply;
}

/* Waits until the link is (up) or is not "up"; false after limit_s. */
static bool
wait_link(bool up, int limit_s)
{
    for (int i = 0; i < limit_s * 10; i++) {
        Hourbank__Envelope *env;
        bool is_up = strcmp(queue_reply(&env)->link, "up") == 0;
        hb_wire_free(&env);
        if (is_up == up)
            return true;
        usleep(100 * 1000);
    }
    return false;
}

static void
test_link_down_since(void **state)
{
    (void) state;
    assert_true(wait_link(true, 15));
    Hourbank__Envelope *env;
    assert_int_equal(queue_reply(&env)->link_down_since, 0);
    hb_wire_free(&env);
    sleep(2);
    int64_t before = (int64_t) time(NULL);
    hb_h_central_stop(&central, SIGKILL);
    assert_true(wait_link(false, 15));
    int64_t after = (int64_t) time(NULL);
    int64_t since = queue_reply(&env)->link_down_since;
    hb_wire_free(&env);
    print_message("central killed between %lld and %lld: link down since %lld\n", (long long) before,
                  (long long) after, (long long) since);
    assert_true(since >= before && since <= after);
    /* still the same a little later: the moment it went, not "now" */
    sleep(2);
    assert_int_equal(queue_reply(&env)->link_down_since, since);
    hb_wire_free(&env);

    /* a station that never reached central: since its start */
    hb_h_station_stop(&st, SIGTERM);
    int64_t start = (int64_t) time(NULL);
    hb_h_station_start(&st);
    int64_t started = (int64_t) time(NULL);
    sleep(1);
    Hourbank__QueueReply *q = queue_reply(&env);
    assert_string_not_equal(q->link, "up");
    assert_true(q->link_down_since >= start && q->link_down_since <= started);
    hb_wire_free(&env);
    hb_h_station_stop(&st, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals_and_their_cost),
        cmocka_unit_test(test_lockout),
        cmocka_unit_test(test_language),
        cmocka_unit_test(test_link_down_since),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
