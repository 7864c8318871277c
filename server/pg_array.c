/* pg_array.c - PostgreSQL array literals ({1,2,"a\\"b",NULL}) built in
 * memory, to pass a whole column of values as one text parameter. */
#include "pg_array.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"


void
hb_pg_array_open(hb_pg_array_t *a)
{
    memset(a, 0, sizeof *a);
    a->f = open_memstream(&a->text, &a->len);
    hb_assert(a->f);
    fputc('{', a->f);
}

static void
array_sep(hb_pg_array_t *a)
{
    if (a->n++ > 0)
        fputc(',', a->f);
}

void
hb_pg_array_int(hb_pg_array_t *a, int64_t v)
{
    array_sep(a);
    fprintf(a->f, "%" PRId64, v);
}

/* NULL becomes an SQL NULL; text is quoted with " and \ escaped. */
void
hb_pg_array_str(hb_pg_array_t *a, const char *s)
{
    array_sep(a);
    if (!s) {
        fputs("NULL", a->f);
        return;
    }
    fputc('"', a->f);
    while (*s) {  /* runs without " and \ in one fwrite (group_copy.c's copy_text) */
        size_t n = strcspn(s, "\"\\");
        fwrite(s, 1, n, a->f);
        s += n;
        if (*s) {
            fputc('\\', a->f);
            fputc(*s++, a->f);
        }
    }
    fputc('"', a->f);
}

void
hb_pg_array_null_if_zero(hb_pg_array_t *a, int64_t v)
{
    if (v == 0)
        hb_pg_array_str(a, NULL);
    else
        hb_pg_array_int(a, v);
}

/* Closes the literal; the text is freed by arr_free. */
const char *
hb_pg_array_close(hb_pg_array_t *a)
{
    fputc('}', a->f);
    fclose(a->f);
    a->f = NULL;
    return a->text;
}

void
hb_pg_array_free(hb_pg_array_t *arrs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (arrs[i].f)
            fclose(arrs[i].f);
        free(arrs[i].text);
    }
}
