/* hb_keyfile.h - CURVE key files: one Z85 key (40 characters) per file,
 * optionally followed by a newline. Secret key files are written 0600 and
 * refused when anyone but the owner may read them. */
#ifndef HB_KEYFILE_H
#define HB_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>

#define HB_KEY_Z85_CHARS 40

/* Reads a key into out (NUL-terminated). secret: also check the mode.
 * Returns 0, or -1 with a one-line reason in msg. */
int hb_keyfile_read(const char *path, bool secret, char out[HB_KEY_Z85_CHARS + 1], char *msg,
                    size_t msg_size);

/* Writes key to path (0600 when secret, 0644 otherwise), atomically and
 * without overwriting an existing file. Returns 0, or -1 with msg. */
int hb_keyfile_write(const char *path, bool secret, const char *key, char *msg, size_t msg_size);

#endif
