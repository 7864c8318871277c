/* outbox_max_bytes bounds the work central has not acknowledged, not the
 * file: a station that filled up during an outage takes work again once
 * central has acknowledged the queue, though every acknowledged op stays
 * in its file for retention_days. Its refusal tells the operator what to
 * do (through the CLI too), and nothing saved is lost or posted twice. */
#include "hb_itest.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILL_SAVES_MAX 20000 /* bound on the loop that fills the outbox */

static hb_h_central_t central;
static hb_h_station_t station;

static uint64_t
save_register(hb_h_client_t *cl, const char *name, char *member_no)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", name, HOURBANK__ROLE__BOTH, 1960, NULL);
    int code = 0;
    char msg[256];
    uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), &code, member_no, msg, sizeof msg);
    hb_h_batch_free(&b);
    if (!seq)
        fail_msg("registration refused: %s", msg);
    return seq;
}

/* A 10-minute service a -> b with a note of HB_NOTE_CHARS_MAX bytes:
 * the seq, or 0 with code and msg. */
static uint64_t
save_long(hb_h_client_t *cl, const char *a, const char *b, int *code, char *msg, size_t msg_size)
{
    static char note[HB_NOTE_BYTES_MAX + 1];
    memset(note, 'n', HB_NOTE_CHARS_MAX);
    hb_h_batch_t *bt = hb_h_batch_new();
    hb_h_batch_service(bt, 0, (int64_t) time(NULL), a, b, 10, "companionship");
    hb_h_batch_op(bt, 0)->service->note = note;
    *code = 0;
    uint64_t seq = hb_h_save(cl, hb_h_batch_op(bt, 0), code, NULL, msg, msg_size);
    hb_h_batch_op(bt, 0)->service->note = NULL;
    hb_h_batch_free(&bt);
    return seq;
}

/* The CLI records fill()'s service a -> b: its exit status and stderr. */
static int
cli_save(const char *a, const char *b, char *err, size_t err_size)
{
    static char note[HB_NOTE_BYTES_MAX + 1];
    memset(note, 'n', HB_NOTE_CHARS_MAX);
    char bin[600], out[1024];
    const char *argv[] = {hb_h_bin("hourbank", bin, sizeof bin), "record", "--provider", a, "--recipient", b,
                          "--duration", "10m", "--category", "companionship", "--note", note, "-c", station.conf,
                          NULL};
    return hb_h_run_capture(argv, station.dir, out, sizeof out, err, err_size);
}

static void
test_full_station_takes_work_after_acks(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_obfull", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, HB_OUTBOX_BYTES_MIN);
    hb_h_station_start(&station);
    hb_h_client_t *cl = hb_h_station_client(&station);
    char a[32], b[32];
    save_register(cl, "Li Wei", a);
    save_register(cl, "Zhang Min", b);
    assert_true(hb_h_wait_drained(cl, 30));

    /* central goes away; the station fills up with work for it */
    hb_h_central_stop(&central, SIGTERM);
    char msg[256];
    int code = 0;
    uint64_t saved = 0;
    for (int i = 0; i < FILL_SAVES_MAX && code == 0; i++)
        if (save_long(cl, a, b, &code, msg, sizeof msg))
            saved++;
    assert_int_equal(code, HOURBANK__RESULT__OUTBOX_FULL);
    print_message("full after %llu saves: %s\n", (unsigned long long) saved, msg);
    assert_true(saved > 100);
    assert_non_null(strstr(msg, "outbox_max_bytes"));
    assert_non_null(strstr(msg, "hourbank status"));
    char err[1024];
    assert_int_equal(cli_save(a, b, err, sizeof err), 75);  /* EX_TEMPFAIL: try again later */
    assert_non_null(strstr(err, "hourbank status"));

    /* central is back and acknowledges everything: the station takes work again */
    hb_h_central_start(&central);
    assert_true(hb_h_wait_drained(cl, 120));
    int64_t file_bytes = hb_h_sqlite_int(station.outbox, "SELECT page_count * page_size FROM pragma_page_count,"
                                                         " pragma_page_size");
    assert_true(file_bytes >= HB_OUTBOX_BYTES_MIN);  /* the acked ops are all still in the file */
    assert_int_equal(hb_h_sqlite_int(station.outbox, "SELECT count(*) FROM ops"), saved + 2);
    uint64_t more = 0;
    for (int i = 0; i < 50; i++)
        if (save_long(cl, a, b, &code, msg, sizeof msg))
            more++;
    assert_int_equal(more, 50);
    assert_int_equal(cli_save(a, b, err, sizeof err), 0);
    assert_true(hb_h_wait_drained(cl, 60));

    /* every save reached central exactly once */
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1"), saved + 2 + 50 + 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT max(seq) FROM op WHERE station_id = 1"), saved + 2 + 50 + 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM member"), 2);
    PQfinish(pg);
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&station, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_station_takes_work_after_acks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
