/* outbox_file.c - the outbox as a file: is the file at a path whole
 * before SQLite opens it (size and header), what does a file hold
 * (read-only), and a consistent copy of one with SQLite's online backup
 * API. The open path itself is in outbox.c.
 *
 * The size checks read the SQLite file header ourselves
 * (https://www.sqlite.org/fileformat2.html, "The Database Header"): SQLite
 * treats a 0-byte file as an empty database and would make a new outbox of
 * it, reusing seq 1 and serial 1. */
#include "outbox.h"
#include "outbox_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hb_assert.h"
#include "hb_file.h"
#include "hb_log.h"

/* The SQLite file header (fileformat2.html, section 1.3). */
#define HDR_BYTES 100
#define HDR_MAGIC "SQLite format 3"   /* 16 bytes with its NUL */
#define HDR_PAGE_SIZE_AT 16           /* 2 bytes big-endian; 1 means 65536 */
#define HDR_CHANGE_COUNTER_AT 24      /* 4 bytes */
#define HDR_PAGE_COUNT_AT 28          /* 4 bytes: "in-header database size" */
#define HDR_VALID_FOR_AT 92           /* 4 bytes: the change counter the size is valid for */
#define PAGE_BYTES_MIN 512
#define PAGE_BYTES_MAX 65536
/* The WAL file (section 4.1): a header, then frames of a header and a page. */
#define WAL_HEADER_BYTES 32
#define WAL_FRAME_HEADER_BYTES 24
/* "file://" + the path with %, ? and # escaped (3 bytes each) + "?immutable=1" */
#define URI_BYTES (3 * HB_PATH_BYTES_MAX + 64)
#define MODE_OTHERS 077
#define COPY_JOURNAL_MODE "delete"

static const char *const SIDECARS[] = {"-wal", "-shm", "-journal"};

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* The size of path + suffix, or -1 when it is not there. */
static int64_t
sidecar_bytes(const char *path, const char *suffix)
{
    char p[HB_PATH_BYTES_MAX + HB_PATH_SUFFIX_BYTES_MAX];
    struct stat st;
    snprintf(p, sizeof p, "%s%s", path, suffix);
    return stat(p, &st) == 0 ? (int64_t) st.st_size : -1;
}

/* Whether pages of path may live beside it: a WAL with at least one frame
 * (after a crash in the middle of a checkpoint the main file's page 1,
 * written first, may count pages still only in the WAL), or a rollback
 * journal. SQLite's own open then judges the file with them. */
static bool
pages_may_be_beside(const char *path, uint32_t page_bytes)
{
    return sidecar_bytes(path, "-wal") >= WAL_HEADER_BYTES + WAL_FRAME_HEADER_BYTES + (int64_t) page_bytes ||
           sidecar_bytes(path, "-journal") > 0;
}

/* own: the station's outbox, which the hint says how to restore; else a
 * file offered as one (a backup). */
static int
refuse_corrupt(const char *path, bool own, char *msg, size_t msg_size, const char *why)
{
    if (own)
        snprintf(msg, msg_size, "outbox \"%s\" is corrupt (%s); " OB_RESTORE_HINT, path, why);
    else
        snprintf(msg, msg_size, "\"%s\" is not a sound hourbank outbox (%s)", path, why);
    return -1;
}

/* The header of a file of size bytes (> 0) against its size. 1 or -1. */
static int
header_check(const char *path, int64_t size, bool own, char *msg, size_t msg_size)
{
    uint8_t h[HDR_BYTES];
    char why[HB_MESSAGE_BYTES_MAX];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n = fd < 0 ? -1 : pread(fd, h, sizeof h, 0);
    if (n < 0) {
        snprintf(msg, msg_size, "could not read \"%s\": %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    if (n < HDR_BYTES || memcmp(h, HDR_MAGIC, sizeof HDR_MAGIC) != 0)
        return refuse_corrupt(path, own, msg, msg_size, "it does not start with an SQLite header");
    uint32_t page = (uint32_t) h[HDR_PAGE_SIZE_AT] << 8 | h[HDR_PAGE_SIZE_AT + 1];
    if (page == 1)
        page = PAGE_BYTES_MAX;
    if (page < PAGE_BYTES_MIN || page > PAGE_BYTES_MAX || (page & (page - 1)) != 0) {
        snprintf(why, sizeof why, "its header gives the page size %" PRIu32, page);
        return refuse_corrupt(path, own, msg, msg_size, why);
    }
    if (size % page != 0) {
        snprintf(why, sizeof why, "%" PRId64 " bytes is not a whole number of %" PRIu32 "-byte pages", size, page);
        return refuse_corrupt(path, own, msg, msg_size, why);
    }
    /* The in-header size counts the main file's pages once a checkpoint
     * has written page 1 there; it is valid when the change counter
     * matches "version-valid-for" (every SQLite since 3.7.0 keeps them so). */
    uint32_t pages = be32(h + HDR_PAGE_COUNT_AT);
    bool valid = pages != 0 && memcmp(h + HDR_CHANGE_COUNTER_AT, h + HDR_VALID_FOR_AT, 4) == 0;
    if (valid && size / page < pages && !pages_may_be_beside(path, page)) {
        snprintf(why, sizeof why, "%" PRId64 " bytes hold %" PRId64 " pages, its header says %" PRIu32
                 ": the file was cut short", size, size / page, pages);
        return refuse_corrupt(path, own, msg, msg_size, why);
    }
    return 1;
}

/* hb_outbox__file_check for the station's own outbox (own) or any file. */
static int
file_check(const char *path, bool own, char *msg, size_t msg_size)
{
    hb_assert(path && msg);
    if (strlen(path) >= HB_PATH_BYTES_MAX) {
        snprintf(msg, msg_size, "the path \"%s\" is longer than %d bytes", path, HB_PATH_BYTES_MAX - 1);
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(msg, msg_size, "could not examine \"%s\": %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(msg, msg_size, "\"%s\" is not a regular file", path);
        return -1;
    }
    if (st.st_size == 0) {
        snprintf(msg, msg_size, "%s \"%s\" is empty (0 bytes)%s", own ? "outbox" : "file", path,
                 own ? ": " OB_RESTORE_HINT OB_NEW_STATION_HINT : "");
        return -1;
    }
    int rc = header_check(path, (int64_t) st.st_size, own, msg, msg_size);
    if (rc == 1 && own && (st.st_mode & MODE_OTHERS) != 0)
        hb_log_warn("outbox \"%s\" may be read by others (mode %04o): it holds members' personal data; "
                    "chmod 600 it", path, (unsigned) (st.st_mode & 07777));
    return rc;
}

int
hb_outbox__file_check(const char *path, char *msg, size_t msg_size)
{
    return file_check(path, true, msg, msg_size);
}

void
hb_outbox_remove(const char *path)
{
    hb_assert(path && strlen(path) < HB_PATH_BYTES_MAX + HB_PATH_SUFFIX_BYTES_MAX - sizeof "-journal");
    char p[HB_PATH_BYTES_MAX + HB_PATH_SUFFIX_BYTES_MAX];
    unlink(path);
    for (size_t i = 0; i < sizeof SIDECARS / sizeof SIDECARS[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, SIDECARS[i]);
        unlink(p);
    }
}

/* ---- reading a file ---- */

/* Opens path (checked by file_check: shorter than HB_PATH_BYTES_MAX)
 * read-only, changing nothing: with no -wal beside it, as an immutable file
 * (no locks, no -wal or -shm made); else through its WAL. */
static int
open_read_only(const char *path, sqlite3 **db, char *msg, size_t msg_size)
{
    char uri[URI_BYTES];
    size_t n = (size_t) snprintf(uri, sizeof uri, "file:%s", path[0] == '/' ? "//" : "");
    for (const char *c = path; *c; c++) {
        hb_assert(n + 4 < sizeof uri);
        n += (size_t) (strchr("%?#", *c) ? snprintf(uri + n, sizeof uri - n, "%%%02X", (unsigned char) *c)
                                         : snprintf(uri + n, sizeof uri - n, "%c", *c));
    }
    snprintf(uri + n, sizeof uri - n, "%s", sidecar_bytes(path, "-wal") < 0 ? "?immutable=1" : "");
    int rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE, NULL);
    if (rc != SQLITE_OK) {
        snprintf(msg, msg_size, "could not open \"%s\": %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        return -1;
    }
    sqlite3_busy_timeout(*db, HB_BACKUP_BUSY_MS_MAX);
    return 0;
}

/* The first column of sql's first row as int64; -1 on an error or no row. */
static int
query_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* The meta row and the newest op. 1 found, 0 no row, -1 error. */
static int
meta_read(sqlite3 *db, hb_outbox_info_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT station_id, community, max(last_seq, coalesce((SELECT max(seq) FROM ops), 0)),"
                                " coalesce((SELECT saved_at FROM ops ORDER BY seq DESC LIMIT 1), 0)"
                                " FROM meta WHERE id = 1", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->station_id = (uint32_t) sqlite3_column_int64(st, 0);
        hb_outbox__column_text(out->community, sizeof out->community, st, 1);
        out->last_seq = (uint64_t) sqlite3_column_int64(st, 2);
        out->last_saved_at = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The schema version and the meta row of the file open in db. */
static int
describe_meta(sqlite3 *db, const char *path, hb_outbox_info_t *out, char *msg, size_t msg_size)
{
    int64_t version = 0, has_restored = 0, restored = 0;
    int found = -1;
    if (query_int(db, "PRAGMA user_version", &version) == 0 && !hb_outbox__schema_known(version)) {
        snprintf(msg, msg_size, "\"%s\" is not an hourbank outbox this program knows (schema version %" PRId64 ")",
                 path, version);
        return -1;
    }
    if (version != 0)
        found = meta_read(db, out);
    if (found == 0) {
        snprintf(msg, msg_size, "outbox \"%s\" has no meta row: it never held work", path);
        return -1;
    }
    if (found < 0 ||
        query_int(db, "SELECT count(*) FROM pragma_table_info('meta') WHERE name = 'restored'", &has_restored) != 0 ||
        (has_restored && query_int(db, "SELECT restored FROM meta WHERE id = 1", &restored) != 0)) {
        snprintf(msg, msg_size, "could not read outbox \"%s\": %s", path, sqlite3_errmsg(db));
        return -1;
    }
    out->restored = restored != 0;
    return 0;
}

/* Checks the file open in db (quick_check, schema, meta) and reads *out. */
static int
describe(sqlite3 *db, const char *path, hb_outbox_info_t *out, char *msg, size_t msg_size)
{
    hb_outbox_t probe = {.db = db, .path = strdup(path)};
    hb_assert(probe.path);
    int rc = hb_outbox__quick_check(&probe, msg, msg_size);
    free(probe.path);
    char *hint = rc != 0 ? strstr(msg, "; " OB_RESTORE_HINT) : NULL;
    if (hint)
        *hint = '\0';  /* this file is not the station's outbox */
    if (rc != 0 || describe_meta(db, path, out, msg, msg_size) != 0)
        return -1;
    struct stat st;
    out->bytes = stat(path, &st) == 0 ? (int64_t) st.st_size : 0;
    return 0;
}

int
hb_outbox_inspect(const char *path, hb_outbox_info_t *out, char *msg, size_t msg_size)
{
    hb_assert(path && out && msg);
    memset(out, 0, sizeof *out);
    int there = file_check(path, false, msg, msg_size);
    if (there == 0)
        snprintf(msg, msg_size, "\"%s\" does not exist", path);
    if (there != 1)
        return -1;
    sqlite3 *db = NULL;
    int rc = open_read_only(path, &db, msg, msg_size);
    if (rc == 0)
        rc = describe(db, path, out, msg, msg_size);
    sqlite3_close(db);
    return rc;
}

/* ---- copying ---- */

/* Steps a backup to its end; paced: pauses between steps. The source's
 * read transaction is held by the caller, so every step advances (no
 * restart when the station commits meanwhile). */
static int
backup_run(sqlite3 *src, sqlite3 *dst, bool paced, const char *from, char *msg, size_t msg_size)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == NULL) {
        snprintf(msg, msg_size, "could not start copying \"%s\": %s", from, sqlite3_errmsg(dst));
        return -1;
    }
    int rc, remaining = -1;
    while ((rc = sqlite3_backup_step(b, HB_BACKUP_STEP_PAGES)) == SQLITE_OK) {
        int left = sqlite3_backup_remaining(b);
        hb_assert(remaining < 0 || left < remaining);
        remaining = left;
        if (paced)
            sqlite3_sleep(HB_BACKUP_PAUSE_MS);
    }
    int finish = sqlite3_backup_finish(b);
    if (rc == SQLITE_DONE && finish == SQLITE_OK)
        return 0;
    rc = rc != SQLITE_DONE ? rc : finish;
    snprintf(msg, msg_size, "could not copy \"%s\": %s", from, sqlite3_errstr(rc));
    return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB ? -1 : -2;
}

static int
open_source(const char *from, hb_outbox_copy_from_t kind, sqlite3 **src, char *msg, size_t msg_size)
{
    if (kind == HB_OUTBOX_COPY_FILE)
        return open_read_only(from, src, msg, msg_size);
    /* as the station opens it: a reader of the WAL like any other, so SQLite
     * keeps the -wal and -shm right whoever else has the file open */
    int rc = sqlite3_open_v2(from, src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE, NULL);
    if (rc != SQLITE_OK) {
        snprintf(msg, msg_size, "could not open outbox \"%s\": %s", from,
                 *src ? sqlite3_errmsg(*src) : sqlite3_errstr(rc));
        return -1;
    }
    sqlite3_busy_timeout(*src, HB_BACKUP_BUSY_MS_MAX);
    return 0;
}

/* Copies src into the open dst from one snapshot of src. */
static int
copy_snapshot(sqlite3 *src, sqlite3 *dst, hb_outbox_copy_from_t kind, const char *from, char *msg, size_t msg_size)
{
    /* a read transaction pins the snapshot for the whole copy */
    if (sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(msg, msg_size, "could not read \"%s\": %s", from, sqlite3_errmsg(src));
        return -1;  /* not an SQLite file after all, or unreadable */
    }
    int rc = backup_run(src, dst, kind == HB_OUTBOX_COPY_LIVE, from, msg, msg_size);
    sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
    return rc;
}

/* The copy open in dst becomes one self-contained file and is checked. */
static int
copy_settle(sqlite3 *dst, const char *to, hb_outbox_info_t *info, char *msg, size_t msg_size)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(dst, "PRAGMA journal_mode = " COPY_JOURNAL_MODE, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    bool ok = rc == SQLITE_ROW && strcmp((const char *) sqlite3_column_text(st, 0), COPY_JOURNAL_MODE) == 0;
    sqlite3_finalize(st);
    if (!ok) {
        snprintf(msg, msg_size, "could not set journal_mode=" COPY_JOURNAL_MODE " in the copy \"%s\": %s", to,
                 sqlite3_errmsg(dst));
        return -2;
    }
    return describe(dst, to, info, msg, msg_size);  /* -1: what was copied is no sound outbox */
}

int
hb_outbox_copy(const char *from, hb_outbox_copy_from_t kind, const char *to, hb_outbox_info_t *info, char *msg,
               size_t msg_size)
{
    hb_assert(from && to && info && msg);
    memset(info, 0, sizeof *info);
    int there = file_check(from, kind == HB_OUTBOX_COPY_LIVE, msg, msg_size);
    if (there == 0)
        snprintf(msg, msg_size, "there is no outbox at \"%s\"", from);
    if (there != 1)
        return -1;
    sqlite3 *src = NULL, *dst = NULL;
    int rc = open_source(from, kind, &src, msg, msg_size);
    if (rc == 0 && sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE,
                                   NULL) != SQLITE_OK) {
        snprintf(msg, msg_size, "could not open the copy \"%s\": %s", to, dst ? sqlite3_errmsg(dst) : "no memory");
        rc = -2;
    }
    if (rc == 0)
        rc = copy_snapshot(src, dst, kind, from, msg, msg_size);
    sqlite3_close(src);
    if (rc == 0)
        rc = copy_settle(dst, to, info, msg, msg_size);
    if (sqlite3_close(dst) != SQLITE_OK && rc == 0) {
        snprintf(msg, msg_size, "could not close the copy \"%s\": %s", to, sqlite3_errmsg(dst));
        rc = -2;
    }
    if (rc == 0 && sidecar_bytes(to, "-wal") >= 0) {
        snprintf(msg, msg_size, "the copy \"%s\" kept a -wal file after it was closed", to);
        rc = -2;
    }
    if (rc == 0 && hb_file_sync(to) != 0) {
        snprintf(msg, msg_size, "could not fsync the copy \"%s\": %s", to, strerror(errno));
        rc = -2;
    }
    return rc;
}
