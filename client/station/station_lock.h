/* station_lock.h - one hourbank-station per outbox: an exclusive flock(2)
 * on "<outbox_path>.lock" (a file of its own, mode 0600, never removed;
 * it holds the holder's pid as a hint). The daemon holds it for its whole
 * life; "hourbank-station restore" takes it too, so it never replaces the
 * outbox of a running station, and no station starts while it works.
 * The kernel drops the lock when the holder exits, however it exits. */
#ifndef HB_STATION_LOCK_H
#define HB_STATION_LOCK_H

#include <stddef.h>
#include <sys/types.h>

typedef struct hb_station_lock hb_station_lock_t;

/* Takes the lock of the outbox at outbox_path without waiting. Returns the
 * lock (caller owns it: hb_station_lock_release), or NULL: *holder is then
 * the pid of the process holding it (0 when unknown) when another process
 * holds it, else -1 with a one-line reason in msg (the lock file cannot be
 * made or opened). When run as root, a new lock file gets the owner of the
 * outbox's folder. */
hb_station_lock_t *hb_station_lock_take(const char *outbox_path, pid_t *holder, char *msg, size_t msg_size);

/* Releases the lock (the file stays); sets *self_p to NULL. */
void hb_station_lock_release(hb_station_lock_t **self_p);

#endif
