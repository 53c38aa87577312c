/*
 * table.c — library-owned tables of named, equal-length columns.
 *
 * Invariants: every column has rows elements of its width; names are
 * unique and owned by the table; memory is counted on the context.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct cohort_table {
    cohort_ctx *ctx;
    int64_t rows;
    int ncols, cap;
    cohort_column *cols;
    size_t *bytes; /* allocation size of each column, for the accounting */
};

int cohort_table_create(cohort_ctx *ctx, int64_t rows, cohort_table **table)
{
    if (table == NULL)
        return COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_table_create: NULL table pointer");
    *table = NULL;
    if (rows < 0)
        return COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_table_create: negative row count %lld",
                           (long long)rows);
    cohort_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory creating a table");
    t->ctx = ctx;
    t->rows = rows;
    *table = t;
    return COHORT_OK;
}

int cohort_table_add_column(cohort_table *t, const char *name, cohort_type type, size_t width,
                            cohort_column *column)
{
    cohort_ctx *ctx = t->ctx;
    if (name == NULL)
        return COHORT_FAIL(ctx, COHORT_ERR_ARG, "a table column needs a name");
    if (cohort_table_find(t, name) >= 0)
        return COHORT_FAIL(ctx, COHORT_ERR_ARG, "table column name '%s' is already used", name);
    if (cohort_type_name(type) == NULL)
        return COHORT_FAIL(ctx, COHORT_ERR_TYPE, "table column '%s': unknown type %d", name, (int)type);
    if (type != COHORT_BYTES)
        width = cohort_type_size(type);
    else if (width == 0)
        return COHORT_FAIL(ctx, COHORT_ERR_ARG, "table column '%s': byte strings need a width", name);

    size_t bytes;
    if (!cohort__size_mul((size_t)t->rows, width, &bytes))
        return COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "table column '%s' is too large", name);
    if (t->ncols == t->cap) {
        int cap = t->cap ? 2 * t->cap : 4;
        cohort_column *cols = realloc(t->cols, (size_t)cap * sizeof *cols);
        if (cols == NULL)
            return COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory growing a table");
        t->cols = cols;
        size_t *b = realloc(t->bytes, (size_t)cap * sizeof *b);
        if (b == NULL)
            return COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory growing a table");
        t->bytes = b;
        t->cap = cap;
    }
    char *own = strdup(name);
    void *data = NULL;
    int st = own ? cohort__alloc(ctx, bytes, name, &data)
                 : COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory naming a column");
    if (st != COHORT_OK) {
        free(own);
        return st;
    }
    cohort_column c = {own, type, width, t->rows, data};
    t->cols[t->ncols] = c;
    t->bytes[t->ncols] = bytes;
    t->ncols++;
    if (column)
        *column = c;
    return COHORT_OK;
}

int64_t cohort_table_rows(const cohort_table *t) { return t->rows; }
int cohort_table_ncolumns(const cohort_table *t) { return t->ncols; }

cohort_column cohort_table_column(const cohort_table *t, int i)
{
    cohort_column none = {NULL, (cohort_type)0, 0, 0, NULL};
    return i >= 0 && i < t->ncols ? t->cols[i] : none;
}

int cohort_table_find(const cohort_table *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return i;
    return -1;
}

void cohort_table_destroy(cohort_table **table)
{
    if (table == NULL || *table == NULL)
        return;
    cohort_table *t = *table;
    for (int i = 0; i < t->ncols; i++) {
        free((char *)t->cols[i].name);
        cohort__free(t->ctx, t->cols[i].data, t->bytes[i]);
    }
    free(t->cols);
    free(t->bytes);
    free(t);
    *table = NULL;
}
