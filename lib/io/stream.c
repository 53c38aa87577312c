/*
 * stream.c — walking a rank's partition of an input in blocks of bounded
 * size, so that histograms, statistics and group-by run in bounded memory
 * on data larger than the machines' memory.
 *
 * All ranks make the same number of calls (the most blocks any rank has),
 * because a single-file input reads collectively; ranks that ran out of
 * rows read empty blocks until the last.
 */
#include "io.h"

#include <stdlib.h>

struct cohort_stream {
    cohort_ctx *ctx;
    cohort_input *in;
    int64_t begin, count;  /* this rank's partition */
    int64_t block_rows, blocks, next;
    cohort_column *cols;
    size_t bytes_per_col;
};

int cohort_stream_open(cohort_ctx *ctx, cohort_input *in, size_t block_bytes, cohort_stream **out)
{
    cohort__clear_error(ctx);
    int st = COHORT_OK;
    cohort_stream *s = calloc(1, sizeof *s);
    if (out)
        *out = NULL;
    if (s == NULL || in == NULL || out == NULL)
        st = COHORT_FAIL(ctx, s ? COHORT_ERR_ARG : COHORT_ERR_NOMEM, "cohort_stream_open: %s",
                         s ? "NULL argument" : "out of memory");
    int ncols = in ? cohort_input_ncols(in) : 0;
    size_t row_bytes = in ? cohort_input_width(in) * (size_t)ncols : 1;
    if (st == COHORT_OK) {
        s->ctx = ctx;
        s->in = in;
        cohort_partition(cohort_input_rows(in), ctx->size, ctx->rank, &s->begin, &s->count);
        block_bytes = block_bytes ? block_bytes : COHORT_STREAM_BLOCK_BYTES;
        s->block_rows = block_bytes / row_bytes > 0 ? (int64_t)(block_bytes / row_bytes) : 1;
        if (s->block_rows > s->count)
            s->block_rows = s->count > 0 ? s->count : 1; /* no buffer larger than the partition */
        s->cols = calloc((size_t)ncols, sizeof *s->cols);
        s->bytes_per_col = (size_t)s->block_rows * cohort_input_width(in);
        if (s->cols == NULL)
            st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
        for (int j = 0; st == COHORT_OK && j < ncols; j++) {
            s->cols[j] = (cohort_column){cohort_input_column_name(in, j), cohort_input_type(in),
                                         cohort_input_width(in), 0, NULL};
            st = cohort__alloc(ctx, s->bytes_per_col, "stream block", &s->cols[j].data);
        }
    }
    int64_t agreed[1] = {s && s->count > 0 ? -((s->count + s->block_rows - 1) / s->block_rows) : 0};
    st = cohort__agree_min(ctx, st, agreed, 1);
    if (st != COHORT_OK) {
        cohort_stream_close(&s);
        return st;
    }
    s->blocks = -agreed[0];
    *out = s;
    return COHORT_OK;
}

int cohort_stream_next(cohort_stream *s, const cohort_column **cols, int64_t *rows, int64_t *first_row, int *done)
{
    *rows = 0;
    *done = s->next >= s->blocks; /* the same on every rank */
    if (*done)
        return COHORT_OK;
    int64_t off = s->next * s->block_rows < s->count ? s->next * s->block_rows : s->count;
    int64_t n = s->count - off < s->block_rows ? s->count - off : s->block_rows;
    s->next++;
    int st = cohort_input_read(s->ctx, s->in, s->begin + off, n, s->cols);
    if (st != COHORT_OK)
        return st;
    *cols = s->cols;
    *rows = n;
    if (first_row)
        *first_row = s->begin + off;
    cohort__progress(s->ctx, "read", (double)(off + n), (double)s->count);
    return COHORT_OK;
}

void cohort_stream_close(cohort_stream **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    cohort_stream *s = *sp;
    int ncols = s->in ? cohort_input_ncols(s->in) : 0;
    for (int j = 0; s->cols && j < ncols; j++)
        cohort__free(s->ctx, s->cols[j].data, s->bytes_per_col);
    free(s->cols);
    free(s);
    *sp = NULL;
}
