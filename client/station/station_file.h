/* station_file.h - the station's outbox file as district IT handles it:
 *   hourbank-station [-c FILE] backup [--force] DEST
 *   hourbank-station [-c FILE] restore SRC
 * Each prints what the operator must know on stdout, or one line with the
 * reason on stderr, and returns an exit status from sysexits.h. */
#ifndef HB_STATION_FILE_H
#define HB_STATION_FILE_H

#include <stdbool.h>

#include "hb_config.h"

/* Copies conf's outbox to dest while the station may be running and
 * saving (a consistent snapshot: hb_outbox_copy, HB_OUTBOX_COPY_LIVE):
 * into "<dest>.tmp-XXXXXX" in dest's folder, fsynced, renamed to dest, the
 * folder fsynced. dest is a new file, mode 0600 whatever the umask; an
 * existing dest is replaced only with force. Refused: a dest that names
 * the outbox or a file the station keeps beside it. conf: borrowed. */
int hb_station_file_backup(const hb_station_conf_t *conf, const char *dest, bool force);

/* Replaces conf's outbox by a copy of the backup src, with the station
 * stopped (the station's lock, station_lock.h, is held throughout). src
 * must be a sound outbox of this station id and community; else nothing
 * changes. The copy is made beside the outbox, upgraded to this program's
 * schema, marked restored (meta.restored = 1: saves wait for central's
 * Welcome), fsynced and renamed over the outbox. The outbox it replaces,
 * with its -wal, is kept as "<outbox>.before-restore-<unix time>", mode
 * 0600. conf: borrowed. */
int hb_station_file_restore(const hb_station_conf_t *conf, const char *src);

#endif
