/* fuzz_csv.c - libFuzzer target for the strict CSV reader (common/hb_csv.c),
 * what `hourbank import` reads a pilot's files with.
 *
 * Every input is read to its end. Each record has 1..HB_CSV_FIELDS_MAX
 * fields, as many as the first record read, each valid UTF-8 without NUL
 * and at most HB_CSV_FIELD_BYTES_MAX bytes; line numbers never go back;
 * each refusal is one line of text; a fatal refusal is the
 * last thing read; the reader stops within one call per input byte. */
#include "fuzz_common.h"

#include "hb_csv.h"
#include "hb_limits.h"
#include "hb_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_field(const char *f)
{
    size_t len = strlen(f);
    FUZZ_CHECK(len <= HB_CSV_FIELD_BYTES_MAX, "a field of %zu bytes", len);
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t n = hb_utf8_decode((const unsigned char *) f + i, len - i, &cp);
        FUZZ_CHECK(n > 0 && cp != 0, "a field that is not UTF-8 at byte %zu", i);
        i += n;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hb_csv_t *csv = hb_csv_new((const char *) data, size);
    size_t last_line = 0, header = 0, calls = 0;
    for (;; calls++) {
        FUZZ_CHECK(calls <= size + 1, "%zu calls for %zu bytes", calls, size);
        const char *const *f = NULL;
        size_t n = 0, line = 0;
        char msg[HB_MESSAGE_BYTES_MAX];
        hb_csv_status_t st = hb_csv_next(csv, &f, &n, &line, msg, sizeof msg);
        if (st == HB_CSV_END)
            break;
        FUZZ_CHECK(line >= 1 && line >= last_line, "line %zu after line %zu", line, last_line);
        last_line = line;
        if (st != HB_CSV_RECORD) {
            FUZZ_CHECK(msg[0] != '\0' && strchr(msg, '\n') == NULL, "refusal \"%s\"", msg);
            if (st == HB_CSV_FATAL) {
                FUZZ_CHECK(hb_csv_next(csv, &f, &n, &line, msg, sizeof msg) == HB_CSV_END, "a record after a fatal one");
                break;
            }
            continue;
        }
        FUZZ_CHECK(n >= 1 && n <= HB_CSV_FIELDS_MAX, "%zu fields", n);
        if (header == 0)
            header = n;
        FUZZ_CHECK(n == header, "%zu fields, the first record had %zu", n, header);
        for (size_t i = 0; i < n; i++)
            check_field(f[i]);
    }
    hb_csv_destroy(&csv);
    return 0;
}
