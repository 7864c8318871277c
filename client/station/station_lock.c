/* station_lock.c - see station_lock.h. */
#include "station_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hb_assert.h"
#include "hb_file.h"
#include "hb_limits.h"

#define LOCK_SUFFIX ".lock"
/* "<pid>\n" */
#define PID_BYTES 24

struct hb_station_lock {
    int fd;
};

/* Opens the lock file, making it (0600, the folder's owner when root) if
 * it is not there: made under a temp name and linked into place, so that
 * no one ever opens a lock file whose owner or mode is not yet set. */
static int
lock_open(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    char tmp[HB_PATH_BYTES_MAX + HB_PATH_SUFFIX_BYTES_MAX];
    fd = hb_file_temp(path, ".", true, tmp, sizeof tmp);
    if (fd < 0)
        return -1;
    int rc = link(tmp, path);
    int saved = errno;
    unlink(tmp);
    close(fd);
    if (rc != 0 && saved != EEXIST) {  /* EEXIST: another process made it first */
        errno = saved;
        return -1;
    }
    return open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
}

/* The pid the holder wrote, 0 if none can be read. */
static pid_t
holder_pid(int fd)
{
    char buf[PID_BYTES] = "";
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end = NULL;
    long pid = strtol(buf, &end, 10);
    return end != buf && (*end == '\n' || *end == '\0') && pid > 0 ? (pid_t) pid : 0;
}

hb_station_lock_t *
hb_station_lock_take(const char *outbox_path, pid_t *holder, char *msg, size_t msg_size)
{
    hb_assert(outbox_path && holder && msg);
    *holder = -1;
    char path[HB_PATH_BYTES_MAX + HB_PATH_SUFFIX_BYTES_MAX];
    if (strlen(outbox_path) >= HB_PATH_BYTES_MAX) {
        snprintf(msg, msg_size, "the outbox path \"%s\" is longer than %d bytes", outbox_path, HB_PATH_BYTES_MAX - 1);
        return NULL;
    }
    snprintf(path, sizeof path, "%s" LOCK_SUFFIX, outbox_path);
    int fd = lock_open(path);
    if (fd < 0) {
        snprintf(msg, msg_size, "could not open the lock file \"%s\": %s", path, strerror(errno));
        return NULL;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            *holder = holder_pid(fd);
        else
            snprintf(msg, msg_size, "could not lock \"%s\": %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    char line[PID_BYTES];
    int n = snprintf(line, sizeof line, "%ld\n", (long) getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t) n, 0) != n) {
        snprintf(msg, msg_size, "could not write the lock file \"%s\": %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    hb_station_lock_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->fd = fd;
    return self;
}

void
hb_station_lock_release(hb_station_lock_t **self_p)
{
    hb_assert(self_p);
    hb_station_lock_t *self = *self_p;
    if (self == NULL)
        return;
    close(self->fd);  /* drops the flock */
    free(self);
    *self_p = NULL;
}
