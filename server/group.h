/* group.h - one group commit, set-based.
 *
 * hb_group_apply() applies a group of jobs (station batches) in one
 * transaction with a fixed number of statements whatever the number of
 * ops: one pipeline loads every row the ops can read into a book (see
 * book.h) and locks the accounts concerned, the posting rules decide each
 * op in memory (posting.h), and a second pipeline writes the new rows and
 * each touched account's change once, and commits. Per-op statements
 * (hb_apply_op() in SQL) cost about 560 us an op inside PostgreSQL; now
 * about four fifths of the writer's PostgreSQL time is inserting the rows
 * themselves (tests/bench/RESULTS.md). */
#ifndef HB_GROUP_H
#define HB_GROUP_H

#include <stddef.h>

#include <libpq-fe.h>

#include "cache.h"
#include "ledger.h"

/* Called with the statement that failed and its result (NULL when libpq
 * itself failed, e.g. the connection was lost). */
typedef void (hb_group_note_fn)(void *arg, const char *what, const PGresult *r);

/* Prepares the statements on a new connection. Returns 0, or -1 with msg. */
int hb_group_prepare(PGconn *pg, char *msg, size_t msg_size);

/* Applies jobs[0..n) in one transaction and commits, taking from cache
 * (borrowed) what it holds and keeping there what it read (cache.h): fills every job's
 * batch_result, high_water_mark and outcomes. Returns 0 when committed;
 * -1 when a statement failed (note was called); -2 when the group cannot
 * be applied though the database works (logged here: e.g. an op of a
 * station the ledger does not know); HB_GROUP_STALE when a member the
 * cache kept has changed (a new profile version, cache.h): the caller
 * rolls back, empties the cache and applies the group again. After any
 * of these the caller rolls back and no job's results may be used. */
#define HB_GROUP_STALE (-3)
int hb_group_apply(PGconn *pg, hb_cache_t *cache, hb_ledger_job_t *jobs, size_t n, hb_group_note_fn *note,
                   void *note_arg);

#endif
