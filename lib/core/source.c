/*
 * source.c — the source of row blocks over columns already in memory: one
 * block, then done.  (Sources over HDF5 datasets live in lib/io.)
 */
#include "internal.h"

static int columns_rewind(void *arg)
{
    ((cohort_columns_source *)arg)->given = 0;
    return COHORT_OK;
}

static int columns_next(void *arg, const cohort_column **cols, int64_t *rows, int *done)
{
    cohort_columns_source *s = arg;
    /* Every rank has exactly one block, so "done" falls on the same call. */
    *done = s->given;
    *rows = s->given || s->ncols == 0 ? 0 : s->cols[0].count;
    *cols = s->cols;
    s->given = 1;
    return COHORT_OK;
}

void cohort_source_columns(cohort_source *src, cohort_columns_source *state, const cohort_column *cols, int ncols)
{
    *state = (cohort_columns_source){cols, ncols, 0};
    *src = (cohort_source){ncols, columns_rewind, columns_next, state};
}
