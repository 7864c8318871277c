/* test_i18n.c - common/hb_i18n.c: the language chosen from the environment
 * as gettext chooses it, the .mo catalog read and searched, and damaged
 * catalogs refused (English, one warning). The catalog is
 * tests/unit/i18n_test.po compiled by msgfmt at build time
 * ($HB_TEST_LOCALEDIR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hb_i18n.h"

/* Sizes of the test's own buffers. */
#define PATH_BYTES 1024
#define FILE_BYTES (64 * 1024)
/* Offsets in a .mo header (32-bit words): count, originals' table. */
#define MO_COUNT_AT 8
#define MO_ORIGINALS_AT 12
#define MO_HEADER_BYTES 28

static const char *
test_dir(void)
{
    const char *d = getenv("HB_TEST_LOCALEDIR");
    assert_non_null(d);
    return d;
}

/* A clean environment: only the variables given are set. */
static void
env_set(const char *language, const char *lc_all, const char *lc_messages, const char *lang)
{
    const char *names[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
    const char *values[] = {language, lc_all, lc_messages, lang};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (values[i])
            setenv(names[i], values[i], 1);
        else
            unsetenv(names[i]);
    }
}

static const char *
lang_for(const char *language, const char *lc_all, const char *lc_messages, const char *lang)
{
    setenv("HOURBANK_LOCALEDIR", test_dir(), 1);
    env_set(language, lc_all, lc_messages, lang);
    hb_i18n_init("test_i18n");
    return hb_i18n_lang();
}

static void
test_choose_language(void **state)
{
    (void) state;
    assert_string_equal(lang_for(NULL, NULL, NULL, "zh_CN.UTF-8"), "zh_CN");
    assert_string_equal(lang_for(NULL, NULL, NULL, "zh_CN"), "zh_CN");
    assert_string_equal(lang_for(NULL, NULL, NULL, "zh"), "zh_CN");
    assert_string_equal(lang_for(NULL, NULL, NULL, "zh_SG.UTF-8"), "zh_CN");
    assert_string_equal(lang_for(NULL, NULL, NULL, "en_US.UTF-8"), "en");
    assert_string_equal(lang_for(NULL, NULL, NULL, "fr_FR.UTF-8"), "en");
    assert_string_equal(lang_for(NULL, NULL, NULL, NULL), "en");
    assert_string_equal(lang_for(NULL, NULL, NULL, "C.UTF-8"), "en");
    /* LC_ALL, then LC_MESSAGES, then LANG */
    assert_string_equal(lang_for(NULL, "zh_CN.UTF-8", "en_US.UTF-8", "en_US.UTF-8"), "zh_CN");
    assert_string_equal(lang_for(NULL, "en_US.UTF-8", "zh_CN.UTF-8", "zh_CN.UTF-8"), "en");
    assert_string_equal(lang_for(NULL, NULL, "zh_CN.UTF-8", "en_US.UTF-8"), "zh_CN");
    assert_string_equal(lang_for(NULL, "", "", "zh_CN.UTF-8"), "zh_CN");
    /* LANGUAGE first: the first language with a catalog here wins */
    assert_string_equal(lang_for("zh_CN:en", NULL, NULL, "en_US.UTF-8"), "zh_CN");
    assert_string_equal(lang_for("de:fr:zh", NULL, NULL, "en_US.UTF-8"), "zh_CN");
    assert_string_equal(lang_for("en_GB:zh_CN", NULL, NULL, "zh_CN.UTF-8"), "en");
    assert_string_equal(lang_for("zh_CN", "en_US.UTF-8", NULL, NULL), "zh_CN");
    /* ... except in the C locale, where gettext ignores it */
    assert_string_equal(lang_for("zh_CN", NULL, NULL, "C"), "en");
    assert_string_equal(lang_for("zh_CN", NULL, NULL, NULL), "en");
}

static void
test_lookup(void **state)
{
    (void) state;
    assert_string_equal(lang_for(NULL, NULL, NULL, "zh_CN.UTF-8"), "zh_CN");
    assert_string_equal(hb_tr("Apple"), "苹果");
    assert_string_equal(hb_tr("balance"), "余额");
    assert_string_equal(hb_tr("hello"), "你好");
    assert_string_equal(hb_tr("member %s not found"), "未找到会员 %s");
    assert_string_equal(hb_tr("middle"), "中间");
    assert_string_equal(hb_tr("zebra"), "斑马");
    /* words the catalog lacks stay English (msgfmt leaves an untranslated
     * entry out of the .mo, so that case is this one); before the first,
     * between two and after the last entry */
    assert_string_equal(hb_tr("untranslated here"), "untranslated here");
    const char *absent[] = {"", "AAA", "banana", "hello!", "hell", "zzz", "~"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        assert_string_equal(hb_tr(absent[i]), absent[i]);
    /* English: no translation at all */
    assert_string_equal(lang_for(NULL, NULL, NULL, "en_US.UTF-8"), "en");
    assert_string_equal(hb_tr("hello"), "hello");
}

static void
test_missing_catalog_is_english(void **state)
{
    (void) state;
    setenv("HOURBANK_LOCALEDIR", "/nonexistent/hourbank-locale", 1);
    env_set(NULL, NULL, NULL, "zh_CN.UTF-8");
    hb_i18n_init("test_i18n");
    assert_string_equal(hb_i18n_lang(), "en");
    assert_string_equal(hb_tr("hello"), "hello");
}

/* Reads the good catalog into buf; returns its size. */
static size_t
good_catalog(unsigned char *buf, size_t size)
{
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "%s/zh_CN/LC_MESSAGES/hourbank.mo", test_dir());
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, size, f);
    fclose(f);
    assert_true(n > MO_HEADER_BYTES && n < size);
    return n;
}

static void
put_word(unsigned char *p, uint32_t w)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char) (w >> (8 * i));  /* msgfmt writes the build machine's (little) order */
}

/* Installs bytes as the zh_CN catalog of a fresh dir, loads it under
 * LANG=zh_CN and returns how many warning lines went to stderr. */
static int
load_damaged(const unsigned char *bytes, size_t n)
{
    char dir[sizeof "/tmp/hb-test-i18n.XXXXXX"], path[PATH_BYTES];
    snprintf(dir, sizeof dir, "/tmp/hb-test-i18n.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/zh_CN", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/zh_CN/LC_MESSAGES", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/zh_CN/LC_MESSAGES/hourbank.mo", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);

    char errpath[PATH_BYTES];
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    setenv("HOURBANK_LOCALEDIR", dir, 1);
    env_set(NULL, NULL, NULL, "zh_CN.UTF-8");
    hb_i18n_init("test_i18n");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);

    f = fopen(errpath, "r");
    assert_non_null(f);
    int lines = 0, c;
    while ((c = fgetc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    unlink(errpath);
    unlink(path);
    snprintf(path, sizeof path, "%s/zh_CN/LC_MESSAGES", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/zh_CN", dir);
    rmdir(path);
    rmdir(dir);
    return lines;
}

static void
assert_english_after(const unsigned char *bytes, size_t n)
{
    assert_int_equal(load_damaged(bytes, n), 1);
    assert_string_equal(hb_i18n_lang(), "en");
    assert_string_equal(hb_tr("hello"), "hello");
    assert_string_equal(hb_tr("zebra"), "zebra");
}

static void
test_damaged_catalogs(void **state)
{
    (void) state;
    static unsigned char good[FILE_BYTES], bad[FILE_BYTES];
    size_t n = good_catalog(good, sizeof good);

    /* the good bytes through the same path load: the checks below fail
     * for the damage alone */
    assert_int_equal(load_damaged(good, n), 0);
    assert_string_equal(hb_i18n_lang(), "zh_CN");
    assert_string_equal(hb_tr("hello"), "你好");

    assert_english_after(good, 0);                   /* empty file */
    assert_english_after(good, MO_HEADER_BYTES - 1); /* shorter than a header */
    assert_english_after(good, n / 2);               /* cut in the middle */

    memcpy(bad, good, n);
    bad[0] ^= 0xff;                                  /* bad magic */
    assert_english_after(bad, n);

    memcpy(bad, good, n);
    put_word(bad + MO_COUNT_AT, 0x7fffffffu);        /* more strings than the file holds */
    assert_english_after(bad, n);

    memcpy(bad, good, n);
    put_word(bad + MO_ORIGINALS_AT, (uint32_t) n);   /* table past the end */
    assert_english_after(bad, n);

    uint32_t originals = (uint32_t) good[MO_ORIGINALS_AT] | (uint32_t) good[MO_ORIGINALS_AT + 1] << 8 |
                         (uint32_t) good[MO_ORIGINALS_AT + 2] << 16 | (uint32_t) good[MO_ORIGINALS_AT + 3] << 24;
    memcpy(bad, good, n);
    put_word(bad + originals + 8 + 4, 0xfffffff0u);  /* a string's offset far outside */
    assert_english_after(bad, n);

    memcpy(bad, good, n);
    put_word(bad + originals + 8, 0xffffu);          /* a string's length past its NUL */
    assert_english_after(bad, n);

    memcpy(bad, good, n);                            /* two originals swapped: not sorted */
    memcpy(bad + originals + 8, good + originals + 16, 8);
    memcpy(bad + originals + 16, good + originals + 8, 8);
    assert_english_after(bad, n);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choose_language),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_missing_catalog_is_english),
        cmocka_unit_test(test_damaged_catalogs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
