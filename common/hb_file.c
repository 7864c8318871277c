/* hb_file.c - see hb_file.h. Plain POSIX and Linux calls: no library does
 * "temp file, fsync, rename, fsync the folder" with the owner and mode
 * rules a service's data needs. */
#include "hb_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hb_assert.h"

void
hb_file_dir(const char *path, char *dir, size_t dir_size)
{
    hb_assert(path && dir && dir_size > 1);
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(dir, dir_size, ".");
        return;
    }
    size_t len = slash == path ? 1 : (size_t) (slash - path);  /* "/x" -> "/" */
    hb_assert(len < dir_size);
    memcpy(dir, path, len);
    dir[len] = '\0';
}

/* hb_file_dir for a path from the world: ENAMETOOLONG rather than assert. */
static int
dir_of(const char *path, char *dir, size_t dir_size)
{
    if (strlen(path) >= dir_size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    hb_file_dir(path, dir, dir_size);
    return 0;
}

/* When run as root: gives fd the owner and group of path's folder. */
static int
own_like_dir(int fd, const char *path)
{
    if (geteuid() != 0)
        return 0;
    char dir[PATH_MAX];
    if (dir_of(path, dir, sizeof dir) != 0)
        return -1;
    struct stat st;
    if (stat(dir, &st) != 0)
        return -1;
    return fchown(fd, st.st_uid, st.st_gid);
}

int
hb_file_temp(const char *path, const char *infix, bool dir_owner, char *tmp, size_t tmp_size)
{
    hb_assert(path && infix && tmp);
    int n = snprintf(tmp, tmp_size, "%s%s" HB_FILE_TEMP_SUFFIX, path, infix);
    if (n < 0 || (size_t) n >= tmp_size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    int rc = fchmod(fd, HB_FILE_MODE_PRIVATE);
    if (rc == 0 && dir_owner)
        rc = own_like_dir(fd, path);
    if (rc == 0)
        rc = fstat(fd, &st);
    if (rc == 0 && (st.st_mode & 07777) != HB_FILE_MODE_PRIVATE) {
        errno = EPERM;  /* the mode did not take: no private file here */
        rc = -1;
    }
    if (rc != 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return fd;
}

static int
sync_fd_of(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    if (close(fd) != 0 && rc == 0)
        return -1;
    errno = saved;
    return rc;
}

int
hb_file_sync(const char *path)
{
    hb_assert(path);
    return sync_fd_of(path, O_RDONLY);
}

int
hb_file_sync_dir(const char *path)
{
    hb_assert(path);
    char dir[PATH_MAX];
    if (dir_of(path, dir, sizeof dir) != 0)
        return -1;
    return sync_fd_of(dir, O_RDONLY | O_DIRECTORY);
}

int
hb_file_rename(const char *from, const char *to, bool replace)
{
    hb_assert(from && to);
    if (replace)
        return rename(from, to);
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* no RENAME_NOREPLACE here: link() fails with EEXIST just as well */
    if (link(from, to) == 0)
        return unlink(from);
    if (errno == EEXIST)
        return -1;
    /* no hard links either (e.g. FAT on a USB stick): check, then rename;
     * only a file created in between by someone else can be replaced */
    struct stat st;
    if (lstat(to, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return errno == ENOENT ? rename(from, to) : -1;
}
