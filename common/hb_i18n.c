/* hb_i18n.c - the language chosen from the environment and its catalog.
 *
 * Why not glibc's gettext(): it translates only when setlocale() succeeds
 * for the language asked, and setlocale() succeeds only for locales that
 * are generated on the machine. Station PCs, servers and CI rarely have
 * zh_CN.UTF-8 generated, so LANG=zh_CN.UTF-8 would silently print English.
 * The CLI needs no other locale service (it counts columns itself, see
 * client/cli_utf8.c), so this file chooses the language from the same
 * variables gettext reads and reads the GNU .mo file msgfmt writes
 * (catalogs are still written and checked with the gettext tools: po/).
 *
 * The .mo format (GNU gettext manual, "The Format of GNU MO Files"):
 * a header of 32-bit words in the file's byte order - magic 0x950412de,
 * revision, N strings, offset of the originals' table, offset of the
 * translations' table - then two tables of N (length, offset) pairs, the
 * originals sorted by strcmp. Every offset is checked against the file's
 * size before it is used; a file that fails any check is not used (English,
 * one warning on stderr).
 */
#include "hb_i18n.h"
#include "hb_assert.h"
#include "hb_limits.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HB_LOCALEDIR
#define HB_LOCALEDIR "/usr/share/locale"
#endif

#define MO_MAGIC 0x950412deu
#define MO_MAGIC_SWAPPED 0xde120495u
/* Header words: magic, revision, count, originals, translations. */
#define MO_WORD_MAGIC 0
#define MO_WORD_REVISION 1
#define MO_WORD_COUNT 2
#define MO_WORD_ORIGINALS 3
#define MO_WORD_TRANSLATIONS 4
#define MO_HEADER_WORDS 5
/* The major revision is the high half of the revision word; 0 and 1 share
 * the tables read here. */
#define MO_MAJOR_SHIFT 16
#define MO_MAJOR_MAX 1
/* One table entry: length, offset. */
#define MO_ENTRY_BYTES 8
#define MO_WORD_BYTES 4
#define BYTE_BITS 8
#define BYTE_MASK 0xffu

#define DOMAIN "hourbank"
#define LANG_ZH "zh_CN"
#define LANG_EN "en"

typedef struct {
    unsigned char *data;  /* the whole file */
    size_t size;
    uint32_t count;
    uint32_t originals;
    uint32_t translations;
    bool swapped;
} catalog_t;

/* One catalog per language a program may speak: a command-line program
 * loads the one its environment chooses; a server speaking to several
 * people loads both (hb_i18n_init_all) and switches per request. */
static const char *const langs[] = {LANG_ZH, LANG_EN};
#define LANG_COUNT (sizeof langs / sizeof langs[0])
static catalog_t catalogs[LANG_COUNT];
static size_t current;          /* index into langs/catalogs of the language in use */
static bool loaded[LANG_COUNT];  /* its catalog loaded (or known absent: English) */
#define catalog (catalogs[current])

static uint32_t
word_at(const catalog_t *c, size_t off)
{
    const unsigned char *p = c->data + off;
    uint32_t w = 0;
    for (int i = 0; i < MO_WORD_BYTES; i++) {
        int b = c->swapped ? MO_WORD_BYTES - 1 - i : i;
        w |= (uint32_t) p[b] << (BYTE_BITS * i);
    }
    return w;
}

/* Entry i of the table at table: its string, NULL when out of bounds or
 * not NUL-terminated where its length says. */
static const char *
entry_string(const catalog_t *c, uint32_t table, uint32_t i)
{
    size_t at = (size_t) table + (size_t) i * MO_ENTRY_BYTES;
    uint32_t len = word_at(c, at), off = word_at(c, at + MO_WORD_BYTES);
    if ((size_t) off >= c->size || (size_t) len >= c->size - off || c->data[off + len] != '\0')
        return NULL;
    return (const char *) c->data + off;
}

/* Checks the header, the tables and every string; NULL = sound, else why. */
static const char *
catalog_check(catalog_t *c)
{
    if (c->size < MO_HEADER_WORDS * MO_WORD_BYTES)
        return "shorter than a catalog header";
    uint32_t magic = 0;
    for (int i = 0; i < MO_WORD_BYTES; i++)
        magic |= (uint32_t) c->data[i] << (BYTE_BITS * i);
    if (magic != MO_MAGIC && magic != MO_MAGIC_SWAPPED)
        return "not a GNU .mo file (bad magic number)";
    c->swapped = magic == MO_MAGIC_SWAPPED;
    if ((word_at(c, MO_WORD_REVISION * MO_WORD_BYTES) >> MO_MAJOR_SHIFT) > MO_MAJOR_MAX)
        return "unsupported .mo revision";
    c->count = word_at(c, MO_WORD_COUNT * MO_WORD_BYTES);
    c->originals = word_at(c, MO_WORD_ORIGINALS * MO_WORD_BYTES);
    c->translations = word_at(c, MO_WORD_TRANSLATIONS * MO_WORD_BYTES);
    size_t table_bytes = (size_t) c->count * MO_ENTRY_BYTES;
    if (c->count > c->size / MO_ENTRY_BYTES || c->originals > c->size - table_bytes ||
        c->translations > c->size - table_bytes)
        return "a string table lies outside the file";
    const char *prev = NULL;
    for (uint32_t i = 0; i < c->count; i++) {
        const char *o = entry_string(c, c->originals, i);
        if (!o || !entry_string(c, c->translations, i))
            return "a string lies outside the file";
        if (prev && strcmp(prev, o) >= 0)
            return "the original strings are not sorted";
        prev = o;
    }
    return NULL;
}

static void
catalog_free(void)
{
    free(catalog.data);
    memset(&catalog, 0, sizeof catalog);
}

static size_t
lang_index(const char *lang)
{
    for (size_t i = 0; i < LANG_COUNT; i++)
        if (strcmp(langs[i], lang) == 0)
            return i;
    return LANG_COUNT;
}

/* Reads path whole into catalog.data; -1 with errno (EFBIG = too large). */
static int
catalog_read(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) != 0)
        goto done;
    if (!S_ISREG(st.st_mode) || st.st_size > HB_I18N_CATALOG_BYTES_MAX) {
        errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
        goto done;
    }
    catalog.size = (size_t) st.st_size;
    catalog.data = malloc(catalog.size ? catalog.size : 1);
    if (!catalog.data)
        goto done;
    size_t got = 0;
    while (got < catalog.size) {
        ssize_t n = read(fd, catalog.data + got, catalog.size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            errno = n == 0 ? EIO : errno;
            goto done;
        }
        got += (size_t) n;
    }
    rc = 0;
done:
    close(fd);
    return rc;
}

/* Loads the catalog at path; false (English, one warning) when it is bad. */
static bool
catalog_load(const char *path)
{
    catalog_free();
    const char *why = NULL;
    if (catalog_read(path) != 0)
        why = strerror(errno);
    else
        why = catalog_check(&catalog);
    if (!why)
        return true;
    fprintf(stderr, "hourbank: warning: translation catalog \"%s\" not used, English instead: %s\n", path, why);
    catalog_free();
    return false;
}

/* The language one locale or LANGUAGE entry names: zh_CN, en, or NULL for
 * a language without a catalog here (or an empty name). */
static const char *
lang_of(const char *name, size_t len)
{
    if (len >= 2 && strncmp(name, "zh", 2) == 0)
        return LANG_ZH;
    if (len == 0)
        return NULL;
    if ((len >= 2 && strncmp(name, "en", 2) == 0) || (len == 1 && name[0] == 'C') ||
        (len == strlen("POSIX") && strncmp(name, "POSIX", len) == 0))
        return LANG_EN;
    return NULL;
}

/* As gettext: the locale is the first set one of LC_ALL, LC_MESSAGES,
 * LANG; LANGUAGE (a colon list, first language we have wins) overrides
 * it unless the locale is C/POSIX, where gettext ignores LANGUAGE. */
static const char *
choose_lang(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    const char *locale = "";
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && v[0]) {
            locale = v;
            break;
        }
    }
    bool c_locale = !locale[0] || strcmp(locale, "C") == 0 || strcmp(locale, "POSIX") == 0 ||
                    strncmp(locale, "C.", 2) == 0;
    const char *list = getenv("LANGUAGE");
    if (list && list[0] && !c_locale) {
        for (const char *p = list; *p;) {
            size_t len = strcspn(p, ":");
            const char *l = lang_of(p, len);
            if (l)
                return l;
            p += len + (p[len] == ':');
        }
        return LANG_EN;
    }
    const char *l = lang_of(locale, strlen(locale));
    return l ? l : LANG_EN;
}

static bool
is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* <dir>/<lang>/LC_MESSAGES/hourbank.mo into path; false if it is not there. */
static bool
mo_in(const char *dir, const char *lang, char *path, size_t size)
{
    int n = snprintf(path, size, "%s/%s/LC_MESSAGES/" DOMAIN ".mo", dir, lang);
    return n > 0 && (size_t) n < size && is_file(path);
}

/* The catalog's path: HOURBANK_LOCALEDIR alone when set; else a build
 * tree's locale/ next to (or one above) the running program; else the
 * install dir. False when none has one. */
static bool
find_mo(const char *argv0, const char *lang, char *path, size_t size)
{
    const char *env = getenv("HOURBANK_LOCALEDIR");
    if (env && env[0])
        return mo_in(env, lang, path, size);
    char exe[HB_PATH_BYTES_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0)
        exe[n] = '\0';
    else if (argv0 && strchr(argv0, '/') && strlen(argv0) < sizeof exe)
        snprintf(exe, sizeof exe, "%s", argv0);
    else
        exe[0] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
        char dir[HB_PATH_BYTES_MAX + sizeof "/../locale"];
        *slash = '\0';
        snprintf(dir, sizeof dir, "%s/locale", exe[0] ? exe : "/");
        if (mo_in(dir, lang, path, size))
            return true;
        snprintf(dir, sizeof dir, "%s/../locale", exe);
        if (mo_in(dir, lang, path, size))
            return true;
    }
    return mo_in(HB_LOCALEDIR, lang, path, size);
}

/* Loads lang's catalog into its slot and makes lang current; false when
 * it has none (or a damaged one): then its slot is empty (English). */
static bool
load_lang(const char *argv0, const char *lang)
{
    current = lang_index(lang);
    hb_assert(current < LANG_COUNT);
    catalog_free();
    loaded[current] = true;
    char path[HB_PATH_BYTES_MAX + sizeof "/" LANG_ZH "/LC_MESSAGES/" DOMAIN ".mo"];
    if (!find_mo(argv0, lang, path, sizeof path))
        return false;  /* no catalog: English, as gettext does, without a word */
    return catalog_load(path);
}

void
hb_i18n_init(const char *argv0)
{
    for (current = 0; current < LANG_COUNT; current++) {
        catalog_free();
        loaded[current] = false;
    }
    const char *lang = choose_lang();
    if (!load_lang(argv0, lang))
        current = lang_index(LANG_EN);
}

void
hb_i18n_init_all(const char *argv0, const char *lang)
{
    hb_i18n_init(argv0);
    for (size_t i = 0; i < LANG_COUNT; i++)
        if (!loaded[i])
            (void) load_lang(argv0, langs[i]);
    if (!hb_i18n_use(lang))
        current = lang_index(LANG_EN);
}

bool
hb_i18n_use(const char *lang)
{
    size_t i = lang ? lang_index(lang) : LANG_COUNT;
    if (i >= LANG_COUNT || !loaded[i])
        return false;
    current = i;
    return true;
}

const char *
hb_tr(const char *msgid)
{
    if (!msgid || !msgid[0] || !catalog.data)
        return msgid;
    uint32_t lo = 0, hi = catalog.count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const char *o = entry_string(&catalog, catalog.originals, mid);
        int cmp = strcmp(msgid, o);
        if (cmp == 0) {
            const char *t = entry_string(&catalog, catalog.translations, mid);
            return t && t[0] ? t : msgid;
        }
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return msgid;
}

const char *
hb_i18n_lang(void)
{
    /* a language whose catalog is missing is English in every word */
    return catalogs[current].data || strcmp(langs[current], LANG_EN) == 0 ? langs[current] : LANG_EN;
}
