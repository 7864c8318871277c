/* posting_int.h - what posting.c and posting_life.c share: the op being
 * decided and the checks every kind makes. Private to the posting files. */
#ifndef HB_POSTING_INT_H
#define HB_POSTING_INT_H

#include <stdbool.h>

#include "book.h"
#include "posting.h"

/* The pool's system accounts (migrations 0001, 0014). */
#define GUARANTEE_ACCOUNT_ID 1
#define DONATION_ACCOUNT_ID 2
#define OPENING_ACCOUNT_ID 3

/* One op being decided: its input, its stored row, its station. */
typedef struct {
    hb_book_t *book;
    const hb_posting_input_t *in;
    hb_book_op_t *rec;
    const hb_book_station_t *st;
} ctx_t;

/* Refuses the op with code and its values; returns 0. */
int hb_posting__reject(ctx_t *c, hb_result_t code, const char *params);
/* Accepts the op; t is its first transfer (NULL: none). Returns 0. */
int hb_posting__ok(ctx_t *c, const hb_book_transfer_t *t);
/* NO_DISTRICT_RULES for the member (or station) in role. Returns 0. */
int hb_posting__no_rules(ctx_t *c, const char *role, const char *who, const char *district);
/* REGISTRATION_REFUSED when the station may not name no; 1 when it may. */
int hb_posting__refused(ctx_t *c, const char *no);
int hb_posting__refused_either(ctx_t *c, const char *a, const char *b);
/* A new number the station gives (a registration's, a move's): of its
 * community and serial range (NOT_AUTHORIZED), not in use (DUPLICATE,
 * and the number is kept as refused). 1 when it may be given. */
int hb_posting__new_number(ctx_t *c, const char *no);
/* MEMBER_LEFT when m has left; 1 otherwise. */
int hb_posting__gone(ctx_t *c, const hb_book_member_t *m, const char *role, const char *no);
/* Either names the other as family, or both name a same relative. */
bool hb_posting__is_family(const hb_book_member_t *src, const hb_book_member_t *dst);

/* posting_life.c: amend, move, leave, opening, and their op records. */
int hb_posting__amend(ctx_t *c);
int hb_posting__move(ctx_t *c);
int hb_posting__leave(ctx_t *c);
int hb_posting__opening(ctx_t *c);
void hb_posting__life_record(ctx_t *c);

#endif
