/* station_import.h - the station's side of `hourbank import`
 * (ImportRequest, PROTOCOL.md "Local API", "Import"): the rows of one
 * import held in memory as their parts arrive, then checked and stored in
 * one outbox transaction (outbox_import.h), then their results handed out
 * in pages. One import at a time: a request for a new import_id starting
 * at row 0 drops the one held (whose next request is answered NOT_FOUND:
 * nothing of it was stored unless it was committed). */
#ifndef HB_STATION_IMPORT_H
#define HB_STATION_IMPORT_H

#include <stddef.h>

#include "hb_result.h"
#include "hourbank.pb-c.h"
#include "outbox.h"

typedef struct hb_station_import hb_station_import_t;

/* Caller owns the result. */
hb_station_import_t *hb_station_import_new(void);
void hb_station_import_destroy(hb_station_import_t **self_p);

/* Answers *env_p (an ImportRequest that hb_wire_unpack validated; takes
 * ownership and sets *env_p = NULL when its rows are kept) against outbox
 * (borrowed). default_operator: borrowed, as hb_outbox_save_t's. Returns
 * OK with *reply_out (borrowed, valid until the next call or destroy), or
 * the refusal for an ErrorReply with its text in msg. *stored_out: ops
 * stored (the link to kick). */
hb_result_t hb_station_import_answer(hb_station_import_t *self, hb_outbox_t *outbox, const char *default_operator,
                                     Hourbank__Envelope **env_p, int64_t now, Hourbank__ImportReply **reply_out,
                                     size_t *stored_out, char *msg, size_t msg_size);

#endif
