/* station_file.c - "hourbank-station backup" and "hourbank-station
 * restore" (see station_file.h): paths, temp files, renames, the lock and
 * what the operator is told. The SQLite work (checks, consistent copies,
 * meta.restored) is the outbox's: outbox_file.c and outbox.c. */
#include "station_file.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "hb_assert.h"
#include "hb_file.h"
#include "outbox.h"
#include "station_lock.h"

/* A message names up to two paths. */
#define MSG_BYTES (2 * HB_PATH_BYTES_MAX + HB_MESSAGE_BYTES_MAX)
#define NAME_BYTES (HB_PATH_BYTES_MAX + HB_PATH_SUFFIX_BYTES_MAX)
/* "2026-12-03 10:15:02 +0800" */
#define TIME_BYTES 40
/* " (pid 4194304)" */
#define PID_TEXT_BYTES 32
#define BACKUP_INFIX ".tmp-"
#define RESTORE_INFIX ".restore-"
#define ASIDE_INFIX ".before-restore-"
#define STOP_COMMAND "systemctl stop hourbank-station"
#define START_COMMAND "systemctl start hourbank-station"

/* What hb_outbox_copy's -1 and -2 mean for the exit status. */
#define COPY_STATUS(rc) ((rc) == -1 ? EX_DATAERR : EX_IOERR)

static int
fail(int status, const char *msg)
{
    fprintf(stderr, "hourbank-station: %s\n", msg);
    return status;
}

static void
time_format(char *buf, size_t size, int64_t t)
{
    time_t tt = (time_t) t;
    struct tm tm;
    if (t <= 0 || localtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
        snprintf(buf, size, "an unknown time");
}

static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Whether dest names the outbox or a file the station keeps beside it. */
static bool
names_station_file(const char *outbox, const char *dest)
{
    static const char *const beside[] = {"", "-wal", "-shm", "-journal", ".lock"};
    char dir[PATH_MAX], dest_dir[PATH_MAX], outbox_dir[PATH_MAX];
    hb_file_dir(dest, dir, sizeof dir);
    if (realpath(dir, dest_dir) == NULL)
        return false;  /* no such folder: dest cannot be there */
    hb_file_dir(outbox, dir, sizeof dir);
    if (realpath(dir, outbox_dir) == NULL || strcmp(dest_dir, outbox_dir) != 0)
        return false;
    const char *d = base_name(dest), *o = base_name(outbox);
    size_t olen = strlen(o);
    for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++) {
        if (strncmp(d, o, olen) == 0 && strcmp(d + olen, beside[i]) == 0)
            return true;
    }
    return false;
}

/* ---- backup ---- */

static int
backup_dest_check(const hb_station_conf_t *conf, const char *dest, bool force, char *msg, size_t msg_size)
{
    struct stat st;
    if (strlen(dest) == 0 || strlen(dest) >= HB_PATH_BYTES_MAX) {
        snprintf(msg, msg_size, "the backup path \"%s\" is empty or longer than %d bytes", dest,
                 HB_PATH_BYTES_MAX - 1);
        return EX_USAGE;
    }
    if (names_station_file(conf->outbox_path, dest)) {
        snprintf(msg, msg_size, "\"%s\" is the station's outbox or a file it keeps beside it: choose another name",
                 dest);
        return EX_USAGE;
    }
    if (!force && lstat(dest, &st) == 0) {
        snprintf(msg, msg_size, "\"%s\" exists: choose another name, or add --force to replace it", dest);
        return EX_CANTCREAT;
    }
    return EX_OK;
}

/* Renames the finished copy tmp to dest. */
static int
backup_install(const char *tmp, const char *dest, bool force, char *msg, size_t msg_size)
{
    if (hb_file_rename(tmp, dest, force) != 0) {
        int status = errno == EEXIST ? EX_CANTCREAT : EX_IOERR;
        if (errno == EEXIST)
            snprintf(msg, msg_size, "\"%s\" exists: choose another name, or add --force to replace it", dest);
        else
            snprintf(msg, msg_size, "could not rename \"%s\" to \"%s\": %s", tmp, dest, strerror(errno));
        hb_outbox_remove(tmp);
        return status;
    }
    if (hb_file_sync_dir(dest) != 0) {
        snprintf(msg, msg_size, "could not fsync the folder of \"%s\": %s", dest, strerror(errno));
        return EX_IOERR;
    }
    return EX_OK;
}

int
hb_station_file_backup(const hb_station_conf_t *conf, const char *dest, bool force)
{
    hb_assert(conf && dest);
    char msg[MSG_BYTES], tmp[NAME_BYTES], taken[TIME_BYTES];
    int status = backup_dest_check(conf, dest, force, msg, sizeof msg);
    if (status != EX_OK)
        return fail(status, msg);
    struct stat st;
    if (lstat(conf->outbox_path, &st) != 0) {
        snprintf(msg, sizeof msg, "could not read the outbox \"%s\": %s", conf->outbox_path, strerror(errno));
        return fail(EX_NOINPUT, msg);
    }
    int fd = hb_file_temp(dest, BACKUP_INFIX, false, tmp, sizeof tmp);
    if (fd < 0) {
        snprintf(msg, sizeof msg, "could not create a file beside \"%s\": %s", dest, strerror(errno));
        return fail(EX_CANTCREAT, msg);
    }
    close(fd);
    time_format(taken, sizeof taken, (int64_t) time(NULL));
    hb_outbox_info_t info;
    int rc = hb_outbox_copy(conf->outbox_path, HB_OUTBOX_COPY_LIVE, tmp, &info, msg, sizeof msg);
    if (rc != 0) {
        hb_outbox_remove(tmp);
        return fail(COPY_STATUS(rc), msg);
    }
    status = backup_install(tmp, dest, force, msg, sizeof msg);
    if (status != EX_OK)
        return fail(status, msg);
    printf("backup \"%s\": %" PRId64 " bytes, station %" PRIu32 " (%s), last seq %" PRIu64 ", taken %s\n", dest,
           info.bytes, info.station_id, info.community, info.last_seq, taken);
    return EX_OK;
}

/* ---- restore ---- */

/* src must be a sound outbox of this station. */
static int
restore_source_check(const hb_station_conf_t *conf, const char *src, hb_outbox_info_t *info, char *msg,
                     size_t msg_size)
{
    struct stat st;
    if (stat(src, &st) != 0) {
        snprintf(msg, msg_size, "could not read \"%s\": %s", src, strerror(errno));
        return EX_NOINPUT;
    }
    if (hb_outbox_inspect(src, info, msg, msg_size) != 0)
        return EX_DATAERR;
    if (info->station_id != conf->station_id || strcmp(info->community, conf->community) != 0) {
        snprintf(msg, msg_size, "\"%s\" is the outbox of station %" PRIu32 " (%s), not of this station %" PRIu32
                 " (%s)", src, info->station_id, info->community, conf->station_id, conf->community);
        return EX_DATAERR;
    }
    return EX_OK;
}

/* Makes tmp beside the outbox: a copy of src at this program's schema,
 * marked restored, closed (no -wal) and fsynced. */
static int
restore_prepare(const hb_station_conf_t *conf, const char *src, char *tmp, hb_outbox_info_t *info, char *msg,
                size_t msg_size)
{
    int fd = hb_file_temp(conf->outbox_path, RESTORE_INFIX, true, tmp, NAME_BYTES);
    if (fd < 0) {
        snprintf(msg, msg_size, "could not create a file beside \"%s\": %s", conf->outbox_path, strerror(errno));
        tmp[0] = '\0';
        return EX_CANTCREAT;
    }
    close(fd);
    int rc = hb_outbox_copy(src, HB_OUTBOX_COPY_FILE, tmp, info, msg, msg_size);
    if (rc != 0)
        return COPY_STATUS(rc);
    hb_outbox_t *ob = hb_outbox_open(tmp, conf->station_id, conf->community, conf->outbox_max_bytes, msg, msg_size);
    if (ob == NULL)
        return EX_DATAERR;
    rc = hb_outbox_mark_restored(ob, msg, msg_size);
    hb_outbox_destroy(&ob);  /* the last connection: SQLite checkpoints and removes the -wal */
    char wal[NAME_BYTES + sizeof "-wal"];
    snprintf(wal, sizeof wal, "%s-wal", tmp);
    if (rc == 0 && access(wal, F_OK) == 0) {
        snprintf(msg, msg_size, "the copy \"%s\" kept a -wal file after it was closed", tmp);
        rc = -1;
    }
    if (rc == 0 && hb_file_sync(tmp) != 0) {
        snprintf(msg, msg_size, "could not fsync \"%s\": %s", tmp, strerror(errno));
        rc = -1;
    }
    return rc == 0 ? EX_OK : EX_IOERR;
}

/* Renames path + suffix to aside + suffix, mode 0600; not there is fine. */
static int
move_beside(const char *path, const char *aside, const char *suffix)
{
    char from[NAME_BYTES], to[NAME_BYTES];
    snprintf(from, sizeof from, "%s%s", path, suffix);
    snprintf(to, sizeof to, "%s%s", aside, suffix);
    if (rename(from, to) != 0)
        return errno == ENOENT ? 0 : -1;
    return chmod(to, HB_FILE_MODE_PRIVATE);
}

/* Keeps the outbox being replaced as aside: a second name for its file
 * (so the outbox path never goes missing), its -wal and -journal moved
 * along, its -shm (rebuilt from the WAL by SQLite) removed. On failure
 * what was moved goes back. */
static int
keep_old(const char *outbox, const char *aside, char *msg, size_t msg_size)
{
    char shm[NAME_BYTES];
    snprintf(shm, sizeof shm, "%s-shm", outbox);
    if (link(outbox, aside) != 0) {
        snprintf(msg, msg_size, "could not keep the outbox \"%s\" as \"%s\": %s", outbox, aside, strerror(errno));
        return -1;
    }
    if (chmod(aside, HB_FILE_MODE_PRIVATE) != 0 || move_beside(outbox, aside, "-wal") != 0 ||
        move_beside(outbox, aside, "-journal") != 0 || (unlink(shm) != 0 && errno != ENOENT)) {
        snprintf(msg, msg_size, "could not keep the outbox \"%s\" as \"%s\": %s", outbox, aside, strerror(errno));
        move_beside(aside, outbox, "-wal");
        move_beside(aside, outbox, "-journal");
        unlink(aside);
        return -1;
    }
    return 0;
}

/* Puts tmp in the outbox's place, keeping the old outbox (if any) as
 * aside ("" when there was none). *replaced: whether tmp took its place
 * (also when the folder's fsync failed afterwards). */
static int
restore_install(const char *outbox, const char *tmp, char *aside, bool *replaced, char *msg, size_t msg_size)
{
    struct stat st;
    aside[0] = '\0';
    if (lstat(outbox, &st) == 0) {
        snprintf(aside, NAME_BYTES, "%s" ASIDE_INFIX "%" PRId64, outbox, (int64_t) time(NULL));
        if (keep_old(outbox, aside, msg, msg_size) != 0)
            return EX_CANTCREAT;
    } else if (errno != ENOENT) {
        snprintf(msg, msg_size, "could not examine the outbox \"%s\": %s", outbox, strerror(errno));
        return EX_IOERR;
    }
    if (hb_file_rename(tmp, outbox, true) != 0) {
        snprintf(msg, msg_size, "could not rename \"%s\" to \"%s\": %s", tmp, outbox, strerror(errno));
        if (aside[0]) {  /* the old outbox is still in place: what was moved goes back */
            move_beside(aside, outbox, "-wal");
            move_beside(aside, outbox, "-journal");
            unlink(aside);
        }
        return EX_IOERR;
    }
    *replaced = true;
    if (hb_file_sync_dir(outbox) != 0) {
        snprintf(msg, msg_size, "the outbox \"%s\" was restored, but its folder could not be fsynced (%s): run "
                 "sync before the station starts", outbox, strerror(errno));
        return EX_IOERR;
    }
    return EX_OK;
}

static void
restore_report(const char *outbox, const char *src, const hb_outbox_info_t *info, const char *aside)
{
    char saved[TIME_BYTES];
    time_format(saved, sizeof saved, info->last_saved_at);
    printf("restored outbox \"%s\" from \"%s\": station %" PRIu32 " (%s), last seq %" PRIu64 ", %s%s\n", outbox, src,
           info->station_id, info->community, info->last_seq, info->last_saved_at ? "its last op saved at " : "",
           info->last_saved_at ? saved : "no op held");
    if (aside[0])
        printf("the outbox it replaced is kept as \"%s\": work saved after the backup that central never "
               "received is only there; keep it for district IT\n", aside);
    printf("saves will wait until the station has reached central, which confirms which seqs and member numbers "
           "are taken: start it (" START_COMMAND ") and see `hourbank queue`\n");
}

static int
restore_locked(const hb_station_conf_t *conf, const char *src, char *msg, size_t msg_size)
{
    hb_outbox_info_t want, info;
    char tmp[NAME_BYTES] = "", aside[NAME_BYTES] = "";
    bool replaced = false;
    int status = restore_source_check(conf, src, &want, msg, msg_size);
    if (status == EX_OK) {
        status = restore_prepare(conf, src, tmp, &info, msg, msg_size);
        if (status == EX_OK)
            status = restore_install(conf->outbox_path, tmp, aside, &replaced, msg, msg_size);
        if (status != EX_OK && !replaced && tmp[0])
            hb_outbox_remove(tmp);
    }
    if (status != EX_OK && !replaced) {
        size_t len = strlen(msg);
        snprintf(msg + len, msg_size - len, "; the outbox \"%s\" was not changed", conf->outbox_path);
        return status;
    }
    if (status != EX_OK)
        return status;
    restore_report(conf->outbox_path, src, &info, aside);
    return EX_OK;
}

int
hb_station_file_restore(const hb_station_conf_t *conf, const char *src)
{
    hb_assert(conf && src);
    char msg[MSG_BYTES] = "";
    pid_t holder;
    hb_station_lock_t *lock = hb_station_lock_take(conf->outbox_path, &holder, msg, sizeof msg);
    if (lock == NULL && holder >= 0) {
        char pid[PID_TEXT_BYTES] = "";
        if (holder > 0)
            snprintf(pid, sizeof pid, " (pid %ld)", (long) holder);
        snprintf(msg, sizeof msg, "the station is running%s; stop it first: " STOP_COMMAND, pid);
        return fail(EX_TEMPFAIL, msg);
    }
    if (lock == NULL)
        return fail(EX_CANTCREAT, msg);
    int status = restore_locked(conf, src, msg, sizeof msg);
    hb_station_lock_release(&lock);
    return status == EX_OK ? EX_OK : fail(status, msg);
}
