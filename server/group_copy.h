/* group_copy.h - a group commit's new rows as COPY text (group_copy.c). */
#ifndef HB_GROUP_COPY_H
#define HB_GROUP_COPY_H

#include <stdio.h>

#include "book.h"

/* The book's new op rows, then its new transfer rows, one line each, in
 * the column order of hb_group_copy_ops_sql and hb_group_copy_xfers_sql. */
void hb_group_copy_op_rows(const hb_book_t *b, FILE *f);
void hb_group_copy_transfer_rows(const hb_book_t *b, FILE *f);

#endif
