/* A station restored from an old backup finds central's high-water mark
 * ahead of its own outbox: it says so loudly, never reuses a seq, and its
 * new work is accepted (no EXISTS_WITH_DIFFERENT_PAYLOAD). */
#include "hb_itest.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static hb_h_central_t central;

static uint64_t
register_one(hb_h_client_t *cl, char *member_no)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Backup test", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    int code;
    char msg[256];
    uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), &code, member_no, msg, sizeof msg);
    hb_h_batch_free(&b);
    if (!seq)
        fail_msg("save refused (%d): %s", code, msg);
    return seq;
}

static void
test_restored_from_old_backup(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_restore", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_t st;
    hb_h_station_init(&st, &central, 4, 0);
    hb_h_station_start(&st);
    hb_h_client_t *cl = hb_h_station_client(&st);
    char no[32];
    for (int i = 0; i < 5; i++)
        register_one(cl, no);
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&st, SIGTERM);   /* a clean stop checkpoints the WAL */
    hb_h_station_copy_outbox(&st, ".backup", false);

    hb_h_station_start(&st);
    cl = hb_h_station_client(&st);
    for (int i = 0; i < 7; i++)
        register_one(cl, no);
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&st, SIGTERM);

    /* the disk dies; the backup from seq 5 comes back */
    hb_h_station_copy_outbox(&st, ".backup", true);
    hb_h_station_start(&st);
    cl = hb_h_station_client(&st);
    Hourbank__Envelope *q = NULL;
    for (int i = 0; i < 100; i++) {  /* wait for the hello */
        hb_wire_free(&q);
        q = hb_h_queue(cl, false);
        if (q && strcmp(q->queue_reply->link, "up") == 0)
            break;
        usleep(100 * 1000);
    }
    assert_string_equal(q->queue_reply->link, "up");
    assert_int_equal(q->queue_reply->central_high_water_mark, 12);
    hb_wire_free(&q);
    uint64_t seq = register_one(cl, no);
    assert_int_equal(seq, 13);  /* never 6..12 again */
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&st, SIGTERM);

    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 4"), 13);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 4 AND result <> 1"), 0);
    PQfinish(pg);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "grep -q 'ALERT central holds seqs up to 12' '%s'", st.log);
    assert_int_equal(system(cmd), 0);
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_restored_from_old_backup)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
