/* test_csv.c - the strict CSV reader (common/hb_csv.c): RFC 4180's cases,
 * and every refusal with its line number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_csv.h"
#include "hb_limits.h"

/* Reads text whole: records joined as "a|b|c" lines into out, refusals as
 * "! <msg>" lines. */
static void
read_all(const char *text, size_t size, char *out, size_t out_size)
{
    hb_csv_t *csv = hb_csv_new(text, size);
    out[0] = '\0';
    for (;;) {
        const char *const *f = NULL;
        size_t n = 0, line = 0;
        char msg[256];
        hb_csv_status_t st = hb_csv_next(csv, &f, &n, &line, msg, sizeof msg);
        if (st == HB_CSV_END)
            break;
        size_t len = strlen(out);
        if (st != HB_CSV_RECORD) {
            snprintf(out + len, out_size - len, "! line %zu: %s\n", line, msg);
            if (st == HB_CSV_FATAL)
                break;
            continue;
        }
        len += (size_t) snprintf(out + len, out_size - len, "%zu:", line);
        for (size_t i = 0; i < n; i++)
            len += (size_t) snprintf(out + len, out_size - len, "%s%s", i ? "|" : "", f[i]);
        snprintf(out + len, out_size - len, "\n");
    }
    hb_csv_destroy(&csv);
}

static void
expect(const char *text, const char *want)
{
    char out[4096];
    read_all(text, strlen(text), out, sizeof out);
    assert_string_equal(out, want);
}

static void
test_plain(void **state)
{
    (void) state;
    expect("a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n");
    expect("a,b,c\r\n1,2,3\r\n", "1:a|b|c\n2:1|2|3\n");
    expect("a,b,c\n1,2,3", "1:a|b|c\n2:1|2|3\n");           /* no final line end */
    expect("a,b,c\n,,\n", "1:a|b|c\n2:||\n");               /* empty fields */
    expect("", "");
    expect("\xEF\xBB\xBFref,name\nR1,x\n", "1:ref|name\n2:R1|x\n");  /* a BOM */
    expect("a,b\n\n1,2\n\r\n", "1:a|b\n3:1|2\n");           /* blank lines skipped, lines still counted */
    expect("name\n\xE5\xBF\x97\xE6\x84\xBF\xE8\x80\x85\n", "1:name\n2:\xE5\xBF\x97\xE6\x84\xBF\xE8\x80\x85\n");
}

static void
test_quoted(void **state)
{
    (void) state;
    expect("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", "1:a|b\n2:x,y|say \"hi\"\n");
    expect("a,b\n\"two\nlines\",z\n3,4\n", "1:a|b\n2:two\nlines|z\n4:3|4\n");   /* the next record is on line 4 */
    expect("a,b\r\n\"cr\r\nlf\",z\r\n", "1:a|b\n2:cr\r\nlf|z\n");
    expect("a,b\n\"\",\"\"\n", "1:a|b\n2:|\n");
    expect("a\n\"\"\"\"\n", "1:a\n2:\"\n");
}

static void
test_refusals(void **state)
{
    (void) state;
    expect("a,b\n1,2,3\n4,5\n", "1:a|b\n! line 2: 3 fields, the header has 2\n3:4|5\n");
    expect("a,b\n1\n", "1:a|b\n! line 2: 1 fields, the header has 2\n");
    expect("a,b\nx\"y,2\n3,4\n", "1:a|b\n! line 2: a quote inside a field that does not start with one (put the "
           "field in quotes and double the quote)\n3:3|4\n");
    expect("a,b\n\"x\"y,2\n3,4\n", "1:a|b\n! line 2: text after a closing quote (a field in quotes must end at the "
           "quote)\n3:3|4\n");
    expect("a,b\n1,2\n\"open,3\n4,5\n", "1:a|b\n2:1|2\n! line 3: a quote opened on this line is never closed: the rest of the file cannot be"
           " read\n");
    expect("a,b\n1,\xFF\n3,4\n", "1:a|b\n! line 2: byte 0xFF is not UTF-8 (save the file as UTF-8)\n3:3|4\n");
    expect("a,b\n1,\xC0\xAF\n", "1:a|b\n! line 2: byte 0xC0 is not UTF-8 (save the file as UTF-8)\n");  /* overlong */
    expect("a,b\n1,2\r3,4\n", "1:a|b\n! line 2: a carriage return without a line feed outside quotes\n");
    /* bad UTF-8 inside quotes, on the quoted field's second line */
    expect("a,b\n\"x\ny\xE4\",2\n", "1:a|b\n! line 3: byte 0xE4 is not UTF-8 (save the file as UTF-8)\n");
}

static void
test_nul_and_limits(void **state)
{
    (void) state;
    char out[4096];
    const char nul[] = "a,b\n1,x\0y\n";
    read_all(nul, sizeof nul - 1, out, sizeof out);
    assert_string_equal(out, "1:a|b\n! line 2: a NUL byte (0x00)\n");
    size_t big = HB_CSV_FIELD_BYTES_MAX + 10;
    char *text = malloc(big + 16);
    assert_non_null(text);
    memcpy(text, "a\n", 2);
    memset(text + 2, 'x', big);
    memcpy(text + 2 + big, "\nok\n", 5);
    read_all(text, strlen(text), out, sizeof out);
    char want[128];
    snprintf(want, sizeof want, "1:a\n! line 2: a field longer than %d bytes\n3:ok\n", HB_CSV_FIELD_BYTES_MAX);
    assert_string_equal(out, want);
    /* HB_CSV_FIELDS_MAX + 1 fields */
    size_t len = 0;
    for (int i = 0; i <= HB_CSV_FIELDS_MAX; i++)
        len += (size_t) snprintf(text + len, big + 16 - len, "%s", i ? ",f" : "f");
    read_all(text, len, out, sizeof out);
    snprintf(want, sizeof want, "! line 1: more than %d fields\n", HB_CSV_FIELDS_MAX);
    assert_string_equal(out, want);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_nul_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
