/* group_sql.h - the SQL text of a group commit (group_sql.c), apart from
 * the code that drives libpq with it (group_pg.c). Private to the group_*
 * files. */
#ifndef HB_GROUP_SQL_H
#define HB_GROUP_SQL_H

/* Statements of one group; each pipeline sends some of them in order. */
enum {
    S_BEGIN, S_HW, S_VERSION, S_DRULES, S_PRULES, S_CATEGORIES, S_STATIONS, S_ACCOUNTS, S_MEMBERS,
    S_COMMUNITIES, S_OPS, S_XFERS, S_LOCAL_DAYS, S_REFUSED, S_OPENINGS, S_DAYS,
    S_SETVAL_ACCOUNT, S_SETVAL_TRANSFER, S_NEW_ACCOUNTS, S_NEW_MEMBERS,
    S_NEW_VOIDS, S_NEW_REFUSED, S_LIFE, S_BALANCES, S_SEAL, S_COMMIT, S_COUNT
};

/* Parameters of the statement that takes the most. */
#define HB_GROUP_PARAMS_MAX 15

typedef struct {
    const char *name;
    int n_params;
    const char *sql;
} hb_group_statement_t;

/* Prepared by hb_group_prepare() (group.h) under their names. */
extern const hb_group_statement_t hb_group_statements[S_COUNT];

/* COPY of the new op and transfer rows, in group.c's text format. */
extern const char hb_group_copy_ops_sql[];
extern const char hb_group_copy_xfers_sql[];

#endif
