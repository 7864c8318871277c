/* station_import.c - the rows of one import, held as their parts arrive,
 * checked and stored at the commit (hb_outbox_import), and their results
 * answered in pages (station_import.h). */
#include "station_import.h"
#include "outbox_import.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "hb_wire.h"

/* One row's outcome, kept for the pages of results. */
typedef struct {
    hb_result_t result;
    bool repeated;
    uint64_t seq;
    char member_no[HB_MEMBER_NO_BYTES_MAX + 1];
    char *msg;  /* owned: a refusal's values or prose; NULL when OK */
} kept_result_t;

struct hb_station_import {
    char import_id[HB_IMPORT_ID_BYTES_MAX + 1];  /* "" = none held */
    Hourbank__Envelope **parts;   /* owned: the requests whose rows are held */
    size_t n_parts;
    const Hourbank__ImportRow **rows;  /* borrowed from parts, in import order; not after the commit */
    size_t n_rows;
    bool committed, stored;
    size_t refused, repeated, added;
    kept_result_t *results;       /* n_rows of them once committed */
    /* the last reply and what it points into */
    Hourbank__ImportReply reply;
    Hourbank__ImportResult *page;
    Hourbank__ImportResult **page_ptrs;
    Hourbank__Param (*values)[HB_RESULT_PARAMS_MAX];
    Hourbank__Param *(*value_ptrs)[HB_RESULT_PARAMS_MAX];
    char (*texts)[HB_MESSAGE_BYTES_MAX];
};

hb_station_import_t *
hb_station_import_new(void)
{
    hb_station_import_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->rows = malloc(HB_IMPORT_ROWS_MAX * sizeof *self->rows);
    self->parts = malloc(HB_IMPORT_ROWS_MAX * sizeof *self->parts);  /* a part holds a row at least */
    self->page = malloc(HB_IMPORT_RESULTS_PAGE_MAX * sizeof *self->page);
    self->page_ptrs = malloc(HB_IMPORT_RESULTS_PAGE_MAX * sizeof *self->page_ptrs);
    self->values = malloc(HB_IMPORT_RESULTS_PAGE_MAX * sizeof *self->values);
    self->value_ptrs = malloc(HB_IMPORT_RESULTS_PAGE_MAX * sizeof *self->value_ptrs);
    self->texts = malloc(HB_IMPORT_RESULTS_PAGE_MAX * sizeof *self->texts);
    hb_assert(self->rows && self->parts && self->page && self->page_ptrs && self->values && self->value_ptrs &&
              self->texts);
    return self;
}

/* Drops the import held, if any. */
static void
import_drop(hb_station_import_t *self)
{
    for (size_t i = 0; i < self->n_parts; i++)
        hb_wire_free(&self->parts[i]);
    for (size_t i = 0; self->results && i < self->n_rows; i++)
        free(self->results[i].msg);
    free(self->results);
    self->results = NULL;
    self->n_parts = self->n_rows = 0;
    self->committed = self->stored = false;
    self->refused = self->repeated = self->added = 0;
    self->import_id[0] = '\0';
}

void
hb_station_import_destroy(hb_station_import_t **self_p)
{
    hb_assert(self_p);
    hb_station_import_t *self = *self_p;
    if (!self)
        return;
    import_drop(self);
    free(self->rows);
    free(self->parts);
    free(self->page);
    free(self->page_ptrs);
    free(self->values);
    free(self->value_ptrs);
    free(self->texts);
    free(self);
    *self_p = NULL;
}

/* Takes in the rows of q (ownership of *env_p). OK, or a refusal. */
static hb_result_t
rows_take(hb_station_import_t *self, Hourbank__Envelope **env_p, char *msg, size_t msg_size)
{
    const Hourbank__ImportRequest *q = (*env_p)->import_request;
    bool starts = q->first_row == 0 && (q->n_rows > 0 || q->commit);  /* not a request for results */
    if (starts && strcmp(q->import_id, self->import_id) != 0) {
        if (self->import_id[0])
            hb_log_info("import dropped for a new one import_id=\"%s\" rows=%zu committed=%d", self->import_id,
                        self->n_rows, (int) self->committed);
        import_drop(self);
        snprintf(self->import_id, sizeof self->import_id, "%s", q->import_id);
    }
    if (strcmp(q->import_id, self->import_id) != 0) {
        snprintf(msg, msg_size, "import \"%s\" is not held here (another import began since, or the station"
                 " restarted): nothing of it was stored; run the import again", q->import_id);
        return HB_RESULT_NOT_FOUND;
    }
    if (q->n_rows == 0)
        return HB_RESULT_OK;
    if (self->committed || q->first_row != self->n_rows || self->n_rows + q->n_rows > HB_IMPORT_ROWS_MAX) {
        snprintf(msg, msg_size, "import \"%s\": rows from %" PRIu32 " (%zu of them) do not follow the %zu held%s,"
                 " at most %d in all", q->import_id, q->first_row, q->n_rows, self->n_rows,
                 self->committed ? " and committed" : "", HB_IMPORT_ROWS_MAX);
        return HB_RESULT_MALFORMED;
    }
    for (size_t i = 0; i < q->n_rows; i++)
        self->rows[self->n_rows++] = q->rows[i];
    self->parts[self->n_parts++] = *env_p;
    *env_p = NULL;
    return HB_RESULT_OK;
}

/* Checks and stores every row held (one transaction), keeping outcomes. */
static hb_result_t
commit(hb_station_import_t *self, hb_outbox_t *outbox, const char *default_operator, const Hourbank__ImportRequest *q,
       int64_t now, char *msg, size_t msg_size)
{
    size_t n = self->n_rows;
    hb_outbox_import_row_t *rows = calloc(n ? n : 1, sizeof *rows);
    hb_assert(rows);
    for (size_t i = 0; i < n; i++) {
        rows[i].op = self->rows[i]->save->op;
        rows[i].request_id = self->rows[i]->save->request_id;
        rows[i].member_of = self->rows[i]->member_of;
    }
    hb_outbox_import_t imp = {.dry_run = q->dry_run, .skip_bad = q->skip_bad, .confirm_new = q->confirm_new,
                              .default_operator = default_operator};
    hb_result_t r = hb_outbox_import(outbox, rows, n, &imp, now, msg, msg_size);
    if (r == HB_RESULT_OK) {
        self->results = calloc(n ? n : 1, sizeof *self->results);
        hb_assert(self->results);
        for (size_t i = 0; i < n; i++) {
            kept_result_t *k = &self->results[i];
            k->result = rows[i].result;
            k->repeated = rows[i].repeated;
            k->seq = rows[i].seq;
            memcpy(k->member_no, rows[i].member_no, sizeof k->member_no);
            k->msg = rows[i].result == HB_RESULT_OK ? NULL : strdup(rows[i].msg);
        }
        self->committed = true;
        for (size_t i = 0; i < self->n_parts; i++)  /* the rows are done with: only their results are kept */
            hb_wire_free(&self->parts[i]);
        self->n_parts = 0;
        self->stored = imp.stored;
        self->refused = imp.refused;
        self->repeated = imp.repeated;
        self->added = imp.added;
        hb_log_info("import import_id=\"%s\" rows=%zu added=%zu repeated=%zu refused=%zu dry_run=%d stored=%d",
                    self->import_id, n, imp.added, imp.repeated, imp.refused, (int) q->dry_run, (int) imp.stored);
    }
    free(rows);
    return r;
}

/* Result i of the page from row `row`: its values split in place. */
static void
result_fill(hb_station_import_t *self, size_t i, size_t row)
{
    const kept_result_t *k = &self->results[row];
    Hourbank__ImportResult *out = &self->page[i];
    hourbank__import_result__init(out);
    out->row = (uint32_t) row;
    out->result = (Hourbank__Result) k->result;
    out->seq = k->seq;
    out->member_no = (char *) (uintptr_t) k->member_no;
    out->repeated = k->repeated;
    if (k->msg == NULL)
        return;
    snprintf(self->texts[i], sizeof self->texts[i], "%s", k->msg[0] ? k->msg : hb_result_text(k->result));
    if (hb_wire_params_text(self->texts[i])) {
        out->n_params = hb_wire_params_split(self->texts[i], self->values[i], self->value_ptrs[i],
                                             HB_RESULT_PARAMS_MAX);
        out->params = self->value_ptrs[i];
    } else {
        out->message = self->texts[i];
    }
}

/* The reply: counts, and once committed the results from `from` on, as
 * many as fit a page. */
static void
reply_build(hb_station_import_t *self, size_t from)
{
    Hourbank__ImportReply *r = &self->reply;
    hourbank__import_reply__init(r);
    r->rows = (uint32_t) self->n_rows;
    r->committed = self->committed;
    r->stored = self->stored;
    r->refused = (uint32_t) self->refused;
    r->repeated = (uint32_t) self->repeated;
    r->added = (uint32_t) self->added;
    r->results = self->page_ptrs;
    size_t bytes = 0, i = 0;
    for (size_t row = from; self->committed && row < self->n_rows && i < HB_IMPORT_RESULTS_PAGE_MAX; row++, i++) {
        result_fill(self, i, row);
        bytes += hourbank__import_result__get_packed_size(&self->page[i]) + sizeof(uint32_t);
        if (bytes > HB_IMPORT_RESULTS_PAGE_BYTES_MAX)
            break;
        self->page_ptrs[i] = &self->page[i];
    }
    r->n_results = i;
}

hb_result_t
hb_station_import_answer(hb_station_import_t *self, hb_outbox_t *outbox, const char *default_operator,
                         Hourbank__Envelope **env_p, int64_t now, Hourbank__ImportReply **reply_out,
                         size_t *stored_out, char *msg, size_t msg_size)
{
    hb_assert(self && outbox && env_p && *env_p && (*env_p)->body_case == HOURBANK__ENVELOPE__BODY_IMPORT_REQUEST);
    hb_assert(reply_out && stored_out && msg && msg_size > 0);
    *reply_out = NULL;
    *stored_out = 0;
    Hourbank__ImportRequest q = *(*env_p)->import_request;  /* its scalars: *env_p may be taken */
    hb_result_t r = rows_take(self, env_p, msg, msg_size);
    if (r == HB_RESULT_OK && q.commit && self->committed) {
        snprintf(msg, msg_size, "import \"%s\" was committed already; ask for its results", self->import_id);
        r = HB_RESULT_MALFORMED;
    }
    if (r == HB_RESULT_OK && q.commit) {
        r = commit(self, outbox, default_operator, &q, now, msg, msg_size);
        *stored_out = self->stored ? self->added : 0;
    }
    if (r != HB_RESULT_OK)
        return r;
    if (q.results_from > self->n_rows) {
        snprintf(msg, msg_size, "import \"%s\" holds %zu rows, not %" PRIu32, self->import_id, self->n_rows,
                 q.results_from);
        return HB_RESULT_MALFORMED;
    }
    reply_build(self, q.results_from);
    *reply_out = &self->reply;
    return HB_RESULT_OK;
}
