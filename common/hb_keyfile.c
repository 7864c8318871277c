#include "hb_keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hb_assert.h"

static bool
is_z85(const char *s, size_t n)
{
    static const char alphabet[] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0' || !strchr(alphabet, s[i]))
            return false;
    return true;
}

int
hb_keyfile_read(const char *path, bool secret, char out[HB_KEY_Z85_CHARS + 1], char *msg, size_t msg_size)
{
    hb_assert(path && out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(msg, msg_size, "could not open key file \"%s\": %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && secret && (st.st_mode & 077)) {
        snprintf(msg, msg_size, "secret key file \"%s\" is readable by others (mode %03o): chmod 600 it",
                 path, (unsigned) (st.st_mode & 0777));
        close(fd);
        return -1;
    }
    char buf[HB_KEY_Z85_CHARS + 2];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n == HB_KEY_Z85_CHARS + 1 && buf[HB_KEY_Z85_CHARS] == '\n')
        n = HB_KEY_Z85_CHARS;
    if (n != HB_KEY_Z85_CHARS || !is_z85(buf, HB_KEY_Z85_CHARS)) {
        snprintf(msg, msg_size, "key file \"%s\" does not hold one %d-character Z85 key", path,
                 HB_KEY_Z85_CHARS);
        return -1;
    }
    memcpy(out, buf, HB_KEY_Z85_CHARS);
    out[HB_KEY_Z85_CHARS] = '\0';
    return 0;
}

int
hb_keyfile_write(const char *path, bool secret, const char *key, char *msg, size_t msg_size)
{
    hb_assert(path && key && strlen(key) == HB_KEY_Z85_CHARS);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, secret ? 0600 : 0644);
    if (fd < 0) {
        snprintf(msg, msg_size, "could not create key file \"%s\": %s", path, strerror(errno));
        return -1;
    }
    char line[HB_KEY_Z85_CHARS + 1];
    memcpy(line, key, HB_KEY_Z85_CHARS);
    line[HB_KEY_Z85_CHARS] = '\n';
    int ok = write(fd, line, sizeof line) == (ssize_t) sizeof line && fsync(fd) == 0;
    if (close(fd) != 0)
        ok = 0;
    if (!ok) {
        snprintf(msg, msg_size, "could not write key file \"%s\": %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}
