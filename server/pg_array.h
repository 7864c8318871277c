/* pg_array.h - PostgreSQL array literals built in memory (pg_array.c). */
#ifndef HB_PG_ARRAY_H
#define HB_PG_ARRAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One literal being written; the text is owned until hb_pg_array_free. */
typedef struct {
    FILE *f;
    char *text;
    size_t len;
    size_t n;
} hb_pg_array_t;

/* Starts an empty literal "{". */
void hb_pg_array_open(hb_pg_array_t *a);
/* Appends an integer. */
void hb_pg_array_int(hb_pg_array_t *a, int64_t v);
/* Appends text, or an SQL NULL for NULL. */
void hb_pg_array_str(hb_pg_array_t *a, const char *s);
/* Appends v, or an SQL NULL for 0. */
void hb_pg_array_null_if_zero(hb_pg_array_t *a, int64_t v);
/* Closes the literal; the text, borrowed until hb_pg_array_free. */
const char *hb_pg_array_close(hb_pg_array_t *a);
/* Frees n literals (open or closed). */
void hb_pg_array_free(hb_pg_array_t *arrs, size_t n);

#endif
