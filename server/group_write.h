/* group_write.h - writing a decided group commit's book (group_write.c).
 * Private to group.c. */
#ifndef HB_GROUP_WRITE_H
#define HB_GROUP_WRITE_H

#include <libpq-fe.h>

#include "book.h"
#include "group_pg.h"

/* Writes b's new rows and balance changes through c and commits; results
 * go into res[S_COUNT] (caller clears them). Returns 0, or -1 after note. */
int hb_group_write(hb_group_conn_t *c, const hb_book_t *b, PGresult **res);

#endif
