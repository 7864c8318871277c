/* query_member.c - Member messages from rows of HB_QUERY_MEMBER_COLS
 * (member_now, migration 0014): the profile in force, every family link
 * with its relation, the member's later numbers, and whether they left. */
#include "query_int.h"

#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"

enum {
    C_NO, C_NAME, C_ROLE, C_BIRTH, C_FAMILY_OF, C_BALANCE, C_VERSION, C_COMMUNITY, C_RELATIVES, C_RELATIONS,
    C_NUMBERS, C_LEFT
};

/* The reply's arrays (query_int.h, arrays[]). */
enum { P_LINKS, P_LINK_PTRS, P_NUMBERS, P_TEXT };

/* Pieces of s separated by sep, at most max, split in place into out. */
static size_t
split(char *s, char sep, char **out, size_t max)
{
    size_t n = 0;
    if (!s[0])
        return 0;
    for (char *p = s; n < max;) {
        out[n++] = p;
        char *end = strchr(p, sep);
        if (!end)
            break;
        *end = '\0';
        p = end + 1;
    }
    return n;
}

/* How many pieces split(s, sep) gives. */
static size_t
pieces(const char *s, char sep)
{
    size_t n = s[0] ? 1 : 0;
    for (; *s; s++)
        n += *s == sep;
    return n;
}

/* Room for every link and number of every row, and a copy of their text
 * to split. */
static void
reserve(hb_query_reply_t *r, int rows)
{
    size_t links = 0, numbers = 0, text = 0;
    for (int i = 0; i < rows; i++) {
        const char *rel = PQgetvalue(r->res, i, C_RELATIVES), *num = PQgetvalue(r->res, i, C_NUMBERS);
        links += pieces(rel, ',');
        numbers += pieces(num, ',');
        text += strlen(rel) + strlen(PQgetvalue(r->res, i, C_RELATIONS)) + strlen(num) + 3;
    }
    hb_assert(!r->arrays[P_LINKS]);
    r->arrays[P_LINKS] = calloc(links + 1, sizeof(Hourbank__FamilyLink));
    r->arrays[P_LINK_PTRS] = calloc(links + 1, sizeof(Hourbank__FamilyLink *));
    r->arrays[P_NUMBERS] = calloc(numbers + 1, sizeof(char *));
    r->arrays[P_TEXT] = calloc(text + 1, 1);
    hb_assert(r->arrays[P_LINKS] && r->arrays[P_LINK_PTRS] && r->arrays[P_NUMBERS] && r->arrays[P_TEXT]);
}

/* A copy of row i's column col in the reply's text, to split. */
static char *
copy(hb_query_reply_t *r, size_t *used, int i, int col)
{
    const char *v = PQgetvalue(r->res, i, col);
    char *out = (char *) r->arrays[P_TEXT] + *used;
    size_t len = strlen(v);
    memcpy(out, v, len + 1);
    *used += len + 1;
    return out;
}

/* Row i's family links and later numbers into m. */
static void
fill_lists(hb_query_reply_t *r, int i, Hourbank__Member *m, size_t *links, size_t *numbers, size_t *used)
{
    char *relatives[HB_FAMILY_LINKS_MAX], *relations[HB_FAMILY_LINKS_MAX];
    size_t n = split(copy(r, used, i, C_RELATIVES), ',', relatives, HB_FAMILY_LINKS_MAX);
    char *rel_text = copy(r, used, i, C_RELATIONS);
    size_t n_rel = n ? split(rel_text, '\n', relations, HB_FAMILY_LINKS_MAX) : 0;
    Hourbank__FamilyLink *l = (Hourbank__FamilyLink *) r->arrays[P_LINKS] + *links;
    Hourbank__FamilyLink **lp = (Hourbank__FamilyLink **) r->arrays[P_LINK_PTRS] + *links;
    for (size_t k = 0; k < n; k++) {
        hourbank__family_link__init(&l[k]);
        l[k].member_no = relatives[k];
        l[k].relation = k < n_rel ? relations[k] : (char *) "";
        lp[k] = &l[k];
    }
    m->family = lp;
    m->n_family = n;
    *links += n;
    char **np = (char **) r->arrays[P_NUMBERS] + *numbers;
    m->n_numbers = split(copy(r, used, i, C_NUMBERS), ',', np, HB_MEMBER_NUMBERS_MAX - 1);
    m->numbers = np;
    *numbers += m->n_numbers;
}

void
hb_query__fill_members(hb_query_reply_t *r, Hourbank__Member ***out, size_t *n_out)
{
    int n = PQntuples(r->res);
    Hourbank__Member *m = calloc((size_t) n + 1, sizeof *m);
    Hourbank__Member **p = calloc((size_t) n + 1, sizeof *p);
    hb_assert(m && p);
    reserve(r, n);
    size_t links = 0, numbers = 0, used = 0;
    for (int i = 0; i < n; i++) {
        hourbank__member__init(&m[i]);
        m[i].member_no = PQgetvalue(r->res, i, C_NO);
        m[i].name = PQgetvalue(r->res, i, C_NAME);
        m[i].role = (Hourbank__Role) hb_query__col_i64(r->res, i, C_ROLE);
        m[i].birth_year = (uint32_t) hb_query__col_i64(r->res, i, C_BIRTH);
        m[i].family_of = PQgetvalue(r->res, i, C_FAMILY_OF);
        m[i].balance_minutes = hb_query__col_i64(r->res, i, C_BALANCE);
        m[i].version = (uint64_t) hb_query__col_i64(r->res, i, C_VERSION);
        m[i].community = PQgetvalue(r->res, i, C_COMMUNITY);
        m[i].left = PQgetvalue(r->res, i, C_LEFT)[0] == 't';
        fill_lists(r, i, &m[i], &links, &numbers, &used);
        p[i] = &m[i];
    }
    r->rows = m;
    r->row_ptrs = (void **) p;
    *out = p;
    *n_out = (size_t) n;
}
