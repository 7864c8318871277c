/* The station's outbox file through its life, against a real station and
 * central: "hourbank-station backup" takes a consistent copy while the
 * station runs and saves go on; "restore" is refused while the station
 * runs, and for another station's file (the outbox untouched); with the
 * station stopped it installs the copy marked restored, keeps the old
 * outbox aside, all files 0600, and the station starts on it and never
 * reuses a seq. A second daemon on the same outbox is refused, and so is
 * a 0-byte outbox, left as it was. */
#include "hb_itest.h"

#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>
#include <sqlite3.h>

#define FILL_OPS 2500        /* with NOTE_BYTES notes: a few MiB, several backup steps */
#define NOTE_BYTES 480
#define BACKUP_TRIES 5       /* backups taken until one overlaps a save */
#define EXIT_WAIT_MS 15000   /* how long a refused daemon may take to exit */
#define PATH_BYTES 1024

static hb_h_central_t central;

/* ---- saving ---- */

typedef struct {
    hb_h_station_t *st;
    char provider[32], recipient[32];
    atomic_int stop;
    atomic_ullong saved, refused, last_seq;
    pthread_t thread;
} saver_t;

static uint64_t
save_service(hb_h_client_t *cl, const char *provider, const char *recipient, const char *note, int *code)
{
    hb_h_batch_t *b = hb_h_batch_new();
    /* spread over 25 days: a provider's day holds 12h, and the station
     * refuses a service over it at save */
    static atomic_int spread;
    int64_t day = atomic_fetch_add(&spread, 1) % 25;
    hb_h_batch_service(b, 0, (int64_t) time(NULL) - day * 24 * 3600, provider, recipient, 1, "personal-care");
    hb_h_batch_op(b, 0)->service->note = (char *) (uintptr_t) note;
    char msg[256];
    uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), code, NULL, msg, sizeof msg);
    hb_h_batch_free(&b);
    return seq;
}

static void
register_one(hb_h_client_t *cl, const char *name, uint32_t birth_year, char *member_no)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", name, HOURBANK__ROLE__BOTH, birth_year, NULL);
    int code;
    char msg[256];
    uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), &code, member_no, msg, sizeof msg);
    hb_h_batch_free(&b);
    if (!seq)
        fail_msg("registration refused (%d): %s", code, msg);
}

static void *
saver_run(void *arg)
{
    saver_t *s = arg;
    hb_h_client_t *cl = hb_h_station_client(s->st);
    while (!atomic_load(&s->stop)) {
        int code;
        uint64_t seq = save_service(cl, s->provider, s->recipient, "during the backup", &code);
        if (seq) {
            atomic_store(&s->last_seq, seq);
            atomic_fetch_add(&s->saved, 1);
        } else {
            atomic_fetch_add(&s->refused, 1);
        }
    }
    hb_h_client_destroy(&cl);
    return NULL;
}

/* ---- files ---- */

/* Runs "hourbank-station -c conf a1 a2 a3" (a2, a3 may be NULL), its
 * output in out (emptied first). Returns the exit code. */
static int
station_cmd(const hb_h_station_t *st, const char *out, const char *a1, const char *a2, const char *a3)
{
    char bin[600];
    char *argv[] = {(char *) (uintptr_t) hb_h_bin("hourbank-station", bin, sizeof bin), "-c",
                    (char *) (uintptr_t) st->conf, (char *) (uintptr_t) a1, (char *) (uintptr_t) a2,
                    (char *) (uintptr_t) a3, NULL};
    unlink(out);
    return hb_h_run(argv, out);
}

static void
expect_output(const char *out, const char *needle)
{
    if (hb_h_log_count(out, needle) < 1) {
        char cmd[PATH_BYTES + 16];
        snprintf(cmd, sizeof cmd, "cat '%s'", out);
        if (system(cmd) != 0)
            print_error("(no output)\n");
        fail_msg("the output lacks \"%s\"", needle);
    }
}

static int64_t
sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char uri[PATH_BYTES + 32];
    snprintf(uri, sizeof uri, "file:%s?immutable=1", path);  /* files at rest: nothing made beside them */
    assert_int_equal(sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

#define LAST_SEQ_SQL "SELECT max(last_seq, coalesce((SELECT max(seq) FROM ops), 0)) FROM meta"

static struct stat
stat_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        fail_msg("no file \"%s\"", path);
    return st;
}

static unsigned
mode_of(const char *path)
{
    return (unsigned) (stat_of(path).st_mode & 07777);
}

/* The names in dir that contain needle; the first goes to found. */
static int
names_with(const char *dir, const char *needle, char *found, size_t size)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, needle) == NULL)
            continue;
        if (n++ == 0 && found)
            snprintf(found, size, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    return n;
}

static void
expect_no_temp_files(const char *dir)
{
    assert_int_equal(names_with(dir, ".tmp-", NULL, 0), 0);
    assert_int_equal(names_with(dir, ".restore-", NULL, 0), 0);
    assert_int_equal(names_with(dir, ".new-", NULL, 0), 0);
}

/* Waits for pid to exit; its exit code, or fails the test. */
static int
wait_exit(pid_t pid, int timeout_ms)
{
    int status = 0;
    for (int waited = 0; waited < timeout_ms; waited += 50) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(50 * 1000);
    }
    hb_h_stop(pid, SIGKILL);
    fail_msg("pid %ld did not exit within %d ms", (long) pid, timeout_ms);
    return -1;
}

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the scenario, in steps ---- */

/* Backups while the saver saves, until one overlaps a save. Checks each:
 * a consistent snapshot (ops 1..S, S between the saves before and after). */
static void
backup_while_saving(hb_h_station_t *st, saver_t *sv, const char *backup, const char *out)
{
    bool overlapped = false;
    for (int i = 0; i < BACKUP_TRIES && !overlapped; i++) {
        uint64_t before = atomic_load(&sv->last_seq), saved = atomic_load(&sv->saved);
        int64_t t0 = now_ms();
        assert_int_equal(station_cmd(st, out, "backup", i ? "--force" : backup, i ? backup : NULL), 0);
        int64_t ms = now_ms() - t0;
        uint64_t after = atomic_load(&sv->last_seq);
        overlapped = atomic_load(&sv->saved) > saved;
        print_message("backup %d: %lld ms, saves %llu..%llu meanwhile\n", i, (long long) ms,
                      (unsigned long long) before, (unsigned long long) after);
        expect_output(out, "backup \"");
        expect_output(out, "station 1 (QX03), last seq ");
        int64_t s = sql_int(backup, LAST_SEQ_SQL);
        /* the saver has at most one save in flight: committed, its reply not yet read */
        assert_true((uint64_t) s >= before && (uint64_t) s <= after + 1);
        assert_int_equal(sql_int(backup, "SELECT count(*) FROM ops"), s);  /* 1..S, none missing */
        assert_int_equal(sql_int(backup, "SELECT count(*) FROM pragma_quick_check WHERE quick_check = 'ok'"), 1);
        assert_int_equal(mode_of(backup), 0600);
    }
    assert_true(overlapped);
}

static void
refusals_while_running(hb_h_station_t *st, const char *backup, const char *out)
{
    struct stat before = stat_of(st->outbox);
    assert_int_equal(station_cmd(st, out, "backup", backup, NULL), EX_CANTCREAT);  /* no --force */
    expect_output(out, "exists: choose another name, or add --force to replace it");
    assert_int_equal(station_cmd(st, out, "backup", "--force", st->outbox), EX_USAGE);
    expect_output(out, "is the station's outbox or a file it keeps beside it");
    assert_int_equal(station_cmd(st, out, "restore", backup, NULL), EX_TEMPFAIL);
    char want[128];
    snprintf(want, sizeof want, "the station is running (pid %ld); stop it first: systemctl stop hourbank-station",
             (long) st->pid);
    expect_output(out, want);
    /* a second daemon on the same outbox */
    char bin[600];
    char *argv[] = {(char *) (uintptr_t) hb_h_bin("hourbank-station", bin, sizeof bin), "-c", st->conf, NULL};
    pid_t second = hb_h_spawn(argv, out);
    assert_int_not_equal(wait_exit(second, EXIT_WAIT_MS), 0);
    snprintf(want, sizeof want, "is in use by another hourbank-station (pid %ld)", (long) st->pid);
    expect_output(out, want);
    struct stat after = stat_of(st->outbox);
    assert_int_equal(after.st_ino, before.st_ino);
    assert_int_equal(names_with(st->dir, "before-restore", NULL, 0), 0);
    hb_h_client_t *cl = hb_h_station_client(st);  /* the first one still answers */
    Hourbank__Envelope *q = hb_h_queue(cl, false);
    assert_non_null(q);
    hb_wire_free(&q);
    hb_h_client_destroy(&cl);
}

/* With the station stopped: files that are not this station's are refused
 * and the outbox stays as it is. */
static void
refusals_of_sources(hb_h_station_t *st, const char *backup, const char *out)
{
    struct stat before = stat_of(st->outbox);
    char other[PATH_BYTES], cmd[3 * PATH_BYTES];
    snprintf(other, sizeof other, "%s/other-station.db", st->dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", backup, other);
    assert_int_equal(system(cmd), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE meta SET station_id = 2", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(station_cmd(st, out, "restore", other, NULL), EX_DATAERR);
    expect_output(out, "is the outbox of station 2 (QX03), not of this station 1 (QX03)");
    expect_output(out, "was not changed");
    assert_int_equal(truncate(other, 0), 0);
    assert_int_equal(station_cmd(st, out, "restore", other, NULL), EX_DATAERR);
    expect_output(out, "is empty (0 bytes)");
    assert_int_equal(station_cmd(st, out, "restore", "/nonexistent/backup.db", NULL), EX_NOINPUT);
    unlink(other);
    struct stat after = stat_of(st->outbox);
    assert_int_equal(after.st_ino, before.st_ino);
    assert_int_equal(after.st_size, before.st_size);
    assert_int_equal(after.st_mtime, before.st_mtime);
    assert_int_equal(names_with(st->dir, "before-restore", NULL, 0), 0);
    expect_no_temp_files(st->dir);
}

static void
restore_and_check(hb_h_station_t *st, const char *backup, const char *out, int64_t last_before)
{
    int64_t s = sql_int(backup, LAST_SEQ_SQL);
    assert_int_equal(station_cmd(st, out, "restore", backup, NULL), 0);
    char want[2 * PATH_BYTES];
    snprintf(want, sizeof want, "restored outbox \"%s\" from \"%s\": station 1 (QX03), last seq %lld", st->outbox,
             backup, (long long) s);
    expect_output(out, want);
    expect_output(out, "saves will wait until the station has reached central");
    assert_int_equal(sql_int(st->outbox, "SELECT restored FROM meta"), 1);
    assert_int_equal(sql_int(st->outbox, LAST_SEQ_SQL), s);
    assert_int_equal(sql_int(st->outbox, "PRAGMA user_version"), sql_int(backup, "PRAGMA user_version"));
    assert_int_equal(mode_of(st->outbox), 0600);
    char aside[PATH_BYTES], lock[PATH_BYTES];
    assert_int_equal(names_with(st->dir, "outbox.sqlite.before-restore-", aside, sizeof aside), 1);
    expect_output(out, aside);
    assert_int_equal(mode_of(aside), 0600);
    assert_int_equal(sql_int(aside, LAST_SEQ_SQL), last_before);  /* the old outbox, whole */
    assert_int_equal(sql_int(aside, "SELECT restored FROM meta"), 0);
    snprintf(lock, sizeof lock, "%s.lock", st->outbox);
    assert_int_equal(mode_of(lock), 0600);
    expect_no_temp_files(st->dir);
    char wal[PATH_BYTES];
    snprintf(wal, sizeof wal, "%s-wal", st->outbox);
    assert_int_not_equal(access(wal, F_OK), 0);  /* no WAL of the old file pairs with the new one */
}

/* The station starts on the restored file and goes on past central's mark. */
static void
start_restored(hb_h_station_t *st, const char *provider, const char *recipient, int64_t s, int64_t t)
{
    hb_h_station_start(st);
    char want[PATH_BYTES + 64];
    snprintf(want, sizeof want, "outbox=%s last_seq=%lld ", st->outbox, (long long) s);
    assert_true(hb_h_log_wait(st->log, want, 1, 5000));
    hb_h_client_t *cl = hb_h_station_client(st);
    Hourbank__Envelope *q = NULL;
    for (int i = 0; i < 100; i++) {  /* the Welcome with central's mark */
        hb_wire_free(&q);
        q = hb_h_queue(cl, false);
        if (q && strcmp(q->queue_reply->link, "up") == 0 && q->queue_reply->central_high_water_mark == (uint64_t) t)
            break;
        usleep(100 * 1000);
    }
    assert_non_null(q);
    assert_int_equal(q->queue_reply->central_high_water_mark, t);
    hb_wire_free(&q);
    uint64_t seq = 0;
    for (int i = 0; i < 100 && seq == 0; i++) {  /* AWAITING_CENTRAL until the marks are confirmed */
        int code;
        seq = save_service(cl, provider, recipient, "after the restore", &code);
        if (seq == 0 && code != HOURBANK__RESULT__AWAITING_CENTRAL)
            fail_msg("save refused after the restore: %d", code);
        if (seq == 0)
            usleep(100 * 1000);
    }
    assert_int_equal(seq, t + 1);  /* never S+1..T again */
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
    hb_h_station_stop(st, SIGTERM);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1"), t + 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1 AND result = 3"), 0);
    PQfinish(pg);
}

static void
test_backup_and_restore(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_sbackup", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_t st;
    hb_h_station_init(&st, &central, 1, 0);
    hb_h_station_start(&st);
    assert_int_equal(mode_of(st.outbox), 0600);  /* a new outbox, made under umask 022 */
    saver_t sv = {.st = &st};
    hb_h_client_t *cl = hb_h_station_client(&st);
    register_one(cl, "Volunteer", 1960, sv.provider);
    register_one(cl, "Elder", 1938, sv.recipient);
    char note[NOTE_BYTES + 1];
    memset(note, 'n', NOTE_BYTES);
    note[NOTE_BYTES] = '\0';
    int code;
    for (int i = 0; i < FILL_OPS; i++)
        assert_int_not_equal(save_service(cl, sv.provider, sv.recipient, note, &code), 0);

    char backup[PATH_BYTES], out[PATH_BYTES];
    snprintf(backup, sizeof backup, "%s/backup.db", hb_h_tmpdir("hb_backup"));
    snprintf(out, sizeof out, "%s/command.out", st.dir);
    assert_int_equal(pthread_create(&sv.thread, NULL, saver_run, &sv), 0);
    while (atomic_load(&sv.saved) < 5)
        usleep(10 * 1000);
    backup_while_saving(&st, &sv, backup, out);
    refusals_while_running(&st, backup, out);
    atomic_store(&sv.stop, 1);
    assert_int_equal(pthread_join(sv.thread, NULL), 0);
    assert_int_equal(atomic_load(&sv.refused), 0);
    char dir[PATH_BYTES];
    snprintf(dir, sizeof dir, "%s", backup);
    *strrchr(dir, '/') = '\0';
    expect_no_temp_files(dir);

    assert_true(hb_h_wait_drained(cl, 60));  /* central holds every op */
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&st, SIGTERM);
    int64_t t = sql_int(st.outbox, LAST_SEQ_SQL);
    int64_t s = sql_int(backup, LAST_SEQ_SQL);
    assert_true(s < t);
    refusals_of_sources(&st, backup, out);
    restore_and_check(&st, backup, out, t);
    start_restored(&st, sv.provider, sv.recipient, s, t);
    hb_h_central_stop(&central, SIGTERM);
}

/* A 0-byte outbox (a crash while an older hourbank created it, a bad
 * copy) is refused: the daemon exits with the reason and leaves it. */
static void
test_empty_outbox_refused(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_sbackup0", NULL, NULL, NULL);
    hb_h_station_t st;
    hb_h_station_init(&st, &central, 3, 0);
    FILE *f = fopen(st.outbox, "w");
    assert_non_null(f);
    assert_int_equal(fclose(f), 0);
    unsigned mode = mode_of(st.outbox);
    char bin[600];
    char *argv[] = {(char *) (uintptr_t) hb_h_bin("hourbank-station", bin, sizeof bin), "-c", st.conf, NULL};
    pid_t pid = hb_h_spawn(argv, st.log);
    assert_int_not_equal(wait_exit(pid, EXIT_WAIT_MS), 0);
    char want[PATH_BYTES];
    snprintf(want, sizeof want, "outbox \"%s\" is empty (0 bytes): restore it from a backup with "
             "`hourbank-station restore FILE`; to start a new station remove it", st.outbox);
    expect_output(st.log, want);
    assert_int_equal(stat_of(st.outbox).st_size, 0);
    assert_int_equal(mode_of(st.outbox), mode);
    char wal[PATH_BYTES];
    snprintf(wal, sizeof wal, "%s-wal", st.outbox);
    assert_int_not_equal(access(wal, F_OK), 0);
    expect_no_temp_files(st.dir);
}

int
main(void)
{
    umask(022);  /* the daemons inherit it: their files must be 0600 anyway */
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_backup_and_restore),
                                       cmocka_unit_test(test_empty_outbox_refused)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
