/* hb_file.h - replacing files durably: a private temp file next to its
 * destination, fsync of a file and of its folder, rename with or without
 * replacing. Used where a file must appear whole or not at all (a new
 * outbox, a backup, a restored outbox).
 *
 * Calls return 0 (or an fd), or -1 with errno set: the caller words the
 * message, naming its own file. */
#ifndef HB_FILE_H
#define HB_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* Files holding members' personal data: the service user's alone. */
#define HB_FILE_MODE_PRIVATE 0600

/* What hb_file_temp() appends after the infix. */
#define HB_FILE_TEMP_SUFFIX "XXXXXX"

/* Creates a new empty file "<path><infix>XXXXXX" (mkostemp) in path's
 * folder, mode 0600 whatever the umask (set and checked). dir_owner: when
 * run as root, the file gets the folder's owner and group (a file root
 * makes in the service user's folder stays usable by the service); not
 * for files put in other people's folders, which would then read them.
 * The name goes to tmp (ENAMETOOLONG when tmp_size cannot hold it).
 * Returns the open fd (O_CLOEXEC; the caller closes it and removes the
 * file if it is not kept), or -1 with errno. */
int hb_file_temp(const char *path, const char *infix, bool dir_owner, char *tmp, size_t tmp_size);

/* fsync of the file at path. */
int hb_file_sync(const char *path);

/* fsync of the folder holding path: makes a rename, link or unlink of
 * path durable. */
int hb_file_sync_dir(const char *path);

/* Renames from to to. replace = false: fails with EEXIST rather than
 * replace an existing to (renameat2 RENAME_NOREPLACE; where the file system
 * lacks it, link and unlink; where that fails too, a check then rename). */
int hb_file_rename(const char *from, const char *to, bool replace);

/* Writes the folder holding path into dir ("." for a bare file name).
 * dir_size must hold it (asserted). */
void hb_file_dir(const char *path, char *dir, size_t dir_size);

#endif
