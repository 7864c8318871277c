/* test_memberno.c - member numbers: format, parse, check digit, normalize. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_memberno.h"

/* Codes at both length limits, letters only, digits only, mixed. */
static const char *const codes[] = {"QX03", "AB", "00", "ZZZZZZZZ", "12345678", "A0B1C2", "Q7"};
#define CODES_COUNT (sizeof codes / sizeof codes[0])

/* Serials spread over the whole range, both ends included. */
#define SERIAL_STRIDE 7919u

static void
format_ok(char *buf, const char *code, uint32_t serial)
{
    assert_int_equal(hb_memberno_format(buf, HB_MEMBER_NO_BUF_BYTES, code, serial), 0);
}

static bool
parses(const char *text)
{
    return hb_memberno_parse(text, NULL, NULL) == HB_RESULT_OK;
}

/* Pinned values, computed independently: Damm("572") = 4 (Damm's own
 * example; leading zeros do not change a Damm check digit), and QX03 ->
 * "26330003" + "000127" -> 6. */
static void
test_known_values(void **state)
{
    (void) state;
    char buf[HB_MEMBER_NO_BUF_BYTES];
    format_ok(buf, "00", 572);
    assert_string_equal(buf, "00-000572-4");
    format_ok(buf, "QX03", 127);
    assert_string_equal(buf, "QX03-000127-6");
    format_ok(buf, "AB", 1);
    assert_string_equal(buf, "AB-000001-2");
    format_ok(buf, "ZZZZZZZZ", 999999);
    assert_string_equal(buf, "ZZZZZZZZ-999999-7");
    assert_int_equal(strlen(buf), HB_MEMBER_NO_BYTES_MAX);
}

static void
test_round_trip(void **state)
{
    (void) state;
    for (size_t c = 0; c < CODES_COUNT; c++) {
        for (uint32_t serial = 1; serial <= HB_MEMBER_SERIAL_MAX; serial += SERIAL_STRIDE) {
            char buf[HB_MEMBER_NO_BUF_BYTES];
            char code[HB_COMMUNITY_CODE_BYTES_MAX + 1] = "";
            uint32_t parsed = 0;
            format_ok(buf, codes[c], serial);
            assert_int_equal(hb_memberno_parse(buf, code, &parsed), HB_RESULT_OK);
            assert_string_equal(code, codes[c]);
            assert_int_equal(parsed, serial);
        }
        char buf[HB_MEMBER_NO_BUF_BYTES];
        uint32_t parsed = 0;
        format_ok(buf, codes[c], HB_MEMBER_SERIAL_MAX);
        assert_int_equal(hb_memberno_parse(buf, NULL, &parsed), HB_RESULT_OK);
        assert_int_equal(parsed, HB_MEMBER_SERIAL_MAX);
    }
}

static void
test_format_refuses(void **state)
{
    (void) state;
    char buf[HB_MEMBER_NO_BUF_BYTES];
    static const char *const bad_codes[] = {"", "Q", "ABCDEFGHI", "qx03", "QX-3", "QX 3", "QX\xC3\x9C"};
    for (size_t i = 0; i < sizeof bad_codes / sizeof bad_codes[0]; i++) {
        strcpy(buf, "junk");
        assert_int_equal(hb_memberno_format(buf, sizeof buf, bad_codes[i], 1), -1);
        assert_string_equal(buf, "");
    }
    assert_int_equal(hb_memberno_format(buf, sizeof buf, NULL, 1), -1);
    assert_int_equal(hb_memberno_format(buf, sizeof buf, "QX03", 0), -1);
    assert_int_equal(hb_memberno_format(buf, sizeof buf, "QX03", HB_MEMBER_SERIAL_MAX + 1), -1);
    assert_int_equal(hb_memberno_format(buf, sizeof buf, "QX03", UINT32_MAX), -1);
    /* "QX03-000127-6" is 13 bytes: 13 is too small, 14 fits */
    assert_int_equal(hb_memberno_format(buf, 13, "QX03", 127), -1);
    assert_string_equal(buf, "");
    assert_int_equal(hb_memberno_format(buf, 14, "QX03", 127), 0);
    assert_string_equal(buf, "QX03-000127-6");
}

static void
test_parse_refuses_syntax(void **state)
{
    (void) state;
    static const char *const bad[] = {
        "",                    /* empty */
        "QX03-000127",         /* no check digit */
        "QX03-000127-",        /* empty check digit */
        "QX03-000127-66",      /* two check digits */
        "QX03-00127-6",        /* 5-digit serial */
        "QX03-0000127-6",      /* 7-digit serial */
        "Q-000127-6",          /* 1-char code */
        "ABCDEFGHI-000127-6",  /* 9-char code */
        "-000127-6",           /* no code */
        "qx03-000127-6",       /* lowercase */
        "Qx03-000127-6",       /* one lowercase letter */
        " QX03-000127-6",      /* leading space */
        "QX03-000127-6 ",      /* trailing space */
        "QX03-000127-6\n",     /* trailing newline */
        "QX03 000127 6",       /* spaces for dashes */
        "QX03_000127_6",       /* other separator */
        "QX03000127-6",        /* missing dash */
        "QX03-0001A7-6",       /* letter in serial */
        "QX03-000127-A",       /* letter as check digit */
        "QX03-+00127-6",       /* sign in serial */
        "QX03-000127-6-1",     /* extra group */
        "QX\xC3\x9C-000127-6", /* non-ASCII code */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parses(bad[i]))
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_true(parses("QX03-000127-6"));
}

/* Serial 0 is never allocated, whatever the check digit. */
static void
test_parse_refuses_serial_zero(void **state)
{
    (void) state;
    char text[] = "QX03-000000-0";
    for (char d = '0'; d <= '9'; d++) {
        text[strlen(text) - 1] = d;
        assert_false(parses(text));
    }
}

static void
test_parse_leaves_outputs_on_failure(void **state)
{
    (void) state;
    char code[HB_COMMUNITY_CODE_BYTES_MAX + 1] = "KEEP";
    uint32_t serial = 42;
    assert_int_equal(hb_memberno_parse("QX03-000127-5", code, &serial), HB_RESULT_BAD_MEMBER_NUMBER);
    assert_string_equal(code, "KEEP");
    assert_int_equal(serial, 42);
}

/* Every digit anywhere (code digits, serial, check digit) replaced by each
 * other digit must be refused. */
static void
test_every_digit_substitution_caught(void **state)
{
    (void) state;
    size_t checked = 0;
    for (size_t c = 0; c < CODES_COUNT; c++) {
        for (uint32_t serial = 1; serial <= HB_MEMBER_SERIAL_MAX; serial += SERIAL_STRIDE) {
            char good[HB_MEMBER_NO_BUF_BYTES];
            format_ok(good, codes[c], serial);
            for (size_t pos = 0; good[pos]; pos++) {
                if (good[pos] < '0' || good[pos] > '9')
                    continue;
                for (char d = '0'; d <= '9'; d++) {
                    if (d == good[pos])
                        continue;
                    char typo[HB_MEMBER_NO_BUF_BYTES];
                    strcpy(typo, good);
                    typo[pos] = d;
                    if (parses(typo))
                        fail_msg("typo \"%s\" of \"%s\" accepted", typo, good);
                    checked++;
                }
            }
        }
    }
    assert_true(checked > 50000);
}

/* A letter replaced by another letter with the same tens digit in the
 * canonical string (A-J, K-T, U-Z) changes one decimal digit: caught. */
static void
test_same_group_letter_substitution_caught(void **state)
{
    (void) state;
    static const char groups[][11] = {"ABCDEFGHIJ", "KLMNOPQRST", "UVWXYZ"};
    for (uint32_t serial = 1; serial <= HB_MEMBER_SERIAL_MAX; serial += SERIAL_STRIDE * 10) {
        char good[HB_MEMBER_NO_BUF_BYTES];
        format_ok(good, "QX03", serial);
        for (size_t pos = 0; pos < 2; pos++) {
            const char *group = NULL;
            for (size_t g = 0; g < 3; g++)
                group = strchr(groups[g], good[pos]) ? groups[g] : group;
            assert_non_null(group);
            for (const char *l = group; *l; l++) {
                char typo[HB_MEMBER_NO_BUF_BYTES];
                strcpy(typo, good);
                typo[pos] = *l;
                assert_true(parses(typo) == (*l == good[pos]));
            }
        }
    }
}

/* Every adjacent transposition of two different serial digits is refused,
 * for every serial whose digits allow one. */
static void
test_every_serial_transposition_caught(void **state)
{
    (void) state;
    size_t checked = 0;
    for (uint32_t serial = 1; serial <= HB_MEMBER_SERIAL_MAX; serial += 37) {
        char good[HB_MEMBER_NO_BUF_BYTES];
        format_ok(good, "QX03", serial);
        char *digits = good + strlen("QX03-");
        for (int i = 0; i + 1 < HB_MEMBER_SERIAL_DIGITS; i++) {
            if (digits[i] == digits[i + 1])
                continue;
            char swapped[HB_MEMBER_NO_BUF_BYTES];
            strcpy(swapped, good);
            char *s = swapped + strlen("QX03-");
            s[i] = digits[i + 1];
            s[i + 1] = digits[i];
            if (parses(swapped))
                fail_msg("transposition \"%s\" of \"%s\" accepted", swapped, good);
            checked++;
        }
    }
    assert_true(checked > 50000);
}

static void
test_code_valid(void **state)
{
    (void) state;
    assert_true(hb_memberno_code_valid("QX03"));
    assert_true(hb_memberno_code_valid("AB"));
    assert_true(hb_memberno_code_valid("ABCDEFGH"));
    assert_false(hb_memberno_code_valid("A"));
    assert_false(hb_memberno_code_valid("ABCDEFGHI"));
    assert_false(hb_memberno_code_valid("qx03"));
    assert_false(hb_memberno_code_valid("QX03-"));
    assert_false(hb_memberno_code_valid(""));
}

static void
test_normalize(void **state)
{
    (void) state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"  qx03-000127-6 \t\n", "QX03-000127-6"},
        {"QX03-000127-6", "QX03-000127-6"},
        {"\tab-000001-2", "AB-000001-2"},
        {"   ", ""},
        {"", ""},
        {"a b", "A B"},  /* inner spaces stay: parse refuses them */
        {"z\xC3\xA9", "Z\xC3\xA9"},  /* only ASCII letters change */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        strcpy(buf, cases[i].in);
        hb_memberno_normalize(buf);
        assert_string_equal(buf, cases[i].out);
    }
    char typed[] = " qx03-000127-6 ";
    assert_false(parses(typed));
    hb_memberno_normalize(typed);
    assert_true(parses(typed));
}

/* ---- the numbers people copy from the examples ---- */

#define EXAMPLE_FILE_BYTES_MAX (256 * 1024)

/* Every "CODE-NNNNNN-D" in the file at HB_SOURCE_DIR/rel must parse; the
 * count found is returned. A text that names a number as a mistyped one
 * says "not a valid" on the same line, and is skipped. */
static int
example_numbers_valid(const char *rel)
{
    const char *dir = getenv("HB_SOURCE_DIR");
    assert_non_null(dir);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[EXAMPLE_FILE_BYTES_MAX];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    int found = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, "not a valid"))
            continue;
        for (char *p = line; (p = strchr(p, '-')) != NULL; p++) {
            char *start = p;
            while (start > line && (isupper((unsigned char) start[-1]) || isdigit((unsigned char) start[-1])))
                start--;
            size_t len = strspn(start, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
            if (start == p || len != (size_t) (p - start) + 1 + HB_MEMBER_SERIAL_DIGITS + 2 ||
                strspn(p + 1, "0123456789") != HB_MEMBER_SERIAL_DIGITS || p[7] != '-' || !isdigit((unsigned char) p[8]))
                continue;
            char number[HB_MEMBER_NO_BUF_BYTES];
            snprintf(number, sizeof number, "%.*s", (int) len, start);
            if (!parses(number))
                fail_msg("%s: example member number %s has a wrong check digit", rel, number);
            found++;
            p = start + len - 1;
        }
    }
    return found;
}

static void
test_example_numbers_valid(void **state)
{
    (void) state;
    assert_true(example_numbers_valid("config/central.example.yaml") >= 1);
    assert_true(example_numbers_valid("config/station.example.yaml") >= 1);
    assert_true(example_numbers_valid("proto/PROTOCOL.md") >= 1);
    example_numbers_valid("README.md");
    assert_true(example_numbers_valid("deploy/hourbank.1") >= 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_format_refuses),
        cmocka_unit_test(test_parse_refuses_syntax),
        cmocka_unit_test(test_parse_refuses_serial_zero),
        cmocka_unit_test(test_parse_leaves_outputs_on_failure),
        cmocka_unit_test(test_every_digit_substitution_caught),
        cmocka_unit_test(test_same_group_letter_substitution_caught),
        cmocka_unit_test(test_every_serial_transposition_caught),
        cmocka_unit_test(test_code_valid),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_example_numbers_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
