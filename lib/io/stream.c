/*
 * stream.c — walking a rank's partition of one or more inputs in blocks of
 * bounded size, so that histograms, statistics and group-by run in bounded
 * memory on data larger than the machines' memory.
 *
 * Several inputs of the same row count walk together: every block holds
 * the same rows of each, their columns side by side.  All ranks make the
 * same number of calls (the most blocks any rank has), because a
 * single-file input may read collectively (COHORT_HDF5_XFER=collective);
 * ranks that ran out of rows read empty blocks until the last.
 */
#include "io.h"

#include <stdlib.h>
#include <string.h>

struct cohort_stream {
    cohort_ctx *ctx;
    cohort_input **in;
    int nin, ncols;
    int64_t begin, count; /* this rank's partition */
    int64_t block_rows, blocks, next;
    cohort_column *cols;  /* ncols views: input 0's columns, then input 1's, ... */
    size_t bytes;         /* allocated for the blocks */
};

int cohort_stream_open_inputs(cohort_ctx *ctx, cohort_input **ins, int nin, size_t block_bytes, cohort_stream **out)
{
    cohort__clear_error(ctx);
    int st = COHORT_OK;
    cohort_stream *s = calloc(1, sizeof *s);
    if (out)
        *out = NULL;
    if (s == NULL || ins == NULL || nin < 1 || out == NULL)
        st = COHORT_FAIL(ctx, s ? COHORT_ERR_ARG : COHORT_ERR_NOMEM, "cohort_stream_open: %s",
                         s ? "invalid arguments" : "out of memory");
    size_t row_bytes = 0;
    for (int k = 0; st == COHORT_OK && k < nin; k++) {
        if (cohort_input_rows(ins[k]) != cohort_input_rows(ins[0]))
            st = COHORT_FAIL(ctx, COHORT_ERR_SIZE, "%s has %lld rows but %s has %lld", cohort_input_ref(ins[k]),
                             (long long)cohort_input_rows(ins[k]), cohort_input_ref(ins[0]),
                             (long long)cohort_input_rows(ins[0]));
        row_bytes += cohort_input_width(ins[k]) * (size_t)cohort_input_ncols(ins[k]);
        s->ncols += cohort_input_ncols(ins[k]);
    }
    if (st == COHORT_OK) {
        s->ctx = ctx;
        s->nin = nin;
        s->in = malloc((size_t)nin * sizeof *s->in);
        s->cols = calloc((size_t)s->ncols, sizeof *s->cols);
        if (!s->in || !s->cols)
            st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    }
    if (st == COHORT_OK) {
        memcpy(s->in, ins, (size_t)nin * sizeof *s->in);
        cohort_partition(cohort_input_rows(ins[0]), ctx->size, ctx->rank, &s->begin, &s->count);
        block_bytes = block_bytes ? block_bytes : COHORT_STREAM_BLOCK_BYTES;
        s->block_rows = block_bytes / row_bytes > 0 ? (int64_t)(block_bytes / row_bytes) : 1;
        if (s->block_rows > s->count)
            s->block_rows = s->count > 0 ? s->count : 1; /* no buffer larger than the partition */
        /* Each column's buffer starts 64-byte aligned, whatever the widths
         * before it (an int16 column must not misalign a float one). */
        s->bytes = 0;
        for (int k = 0; k < nin; k++)
            s->bytes += (size_t)cohort_input_ncols(ins[k]) *
                        (((size_t)s->block_rows * cohort_input_width(ins[k]) + 63) / 64 * 64);
        unsigned char *mem = NULL;
        st = cohort__alloc(ctx, s->bytes, "stream block", (void **)&mem);
        for (int k = 0, j = 0; st == COHORT_OK && k < nin; k++)
            for (int c = 0; c < cohort_input_ncols(ins[k]); c++, j++) {
                size_t w = cohort_input_width(ins[k]);
                s->cols[j] = (cohort_column){cohort_input_column_name(ins[k], c), cohort_input_type(ins[k]), w, 0, mem};
                mem += ((size_t)s->block_rows * w + 63) / 64 * 64;
            }
    }
    int64_t agreed[1] = {s && s->count > 0 ? -cohort__ceil_div(s->count, s->block_rows) : 0};
    st = cohort__agree_min(ctx, st, agreed, 1);
    if (st != COHORT_OK) {
        cohort_stream_close(&s);
        return st;
    }
    s->blocks = -agreed[0];
    *out = s;
    return COHORT_OK;
}

int cohort_stream_open(cohort_ctx *ctx, cohort_input *in, size_t block_bytes, cohort_stream **stream)
{
    return cohort_stream_open_inputs(ctx, &in, 1, block_bytes, stream);
}

int cohort_stream_next(cohort_stream *s, const cohort_column **cols, int64_t *rows, int64_t *first_row, int *done)
{
    *rows = 0;
    *cols = s->cols; /* the columns' names and types, even with no rows */
    *done = s->next >= s->blocks; /* the same on every rank */
    if (*done)
        return COHORT_OK;
    int64_t off = s->next <= s->count / s->block_rows ? s->next * s->block_rows : s->count; /* no overflow */
    int64_t n = s->count - off < s->block_rows ? s->count - off : s->block_rows;
    s->next++;
    int st = COHORT_OK;
    if (off == 0)
        cohort__progress(s->ctx, "read", 0, (double)s->count, "rows"); /* the phase starts */
    s->ctx->progress_muted++; /* the stream's progress is over its blocks, not each block's */
    for (int k = 0, j = 0; st == COHORT_OK && k < s->nin; j += cohort_input_ncols(s->in[k]), k++)
        st = cohort_input_read(s->ctx, s->in[k], s->begin + off, n, &s->cols[j]);
    s->ctx->progress_muted--;
    if (st != COHORT_OK)
        return st;
    *cols = s->cols;
    *rows = n;
    if (first_row)
        *first_row = s->begin + off;
    cohort__progress(s->ctx, "read", (double)(off + n), (double)s->count, "rows");
    return COHORT_OK;
}

void cohort_stream_close(cohort_stream **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    cohort_stream *s = *sp;
    if (s->cols && s->ncols > 0)
        cohort__free(s->ctx, s->cols[0].data, s->bytes);
    free(s->cols);
    free(s->in);
    free(s);
    *sp = NULL;
}

void cohort_stream_rewind(cohort_stream *s) { s->next = 0; }

static int source_rewind(void *arg)
{
    cohort_stream_rewind(arg);
    return COHORT_OK;
}

static int source_next(void *arg, const cohort_column **cols, int64_t *rows, int *done)
{
    return cohort_stream_next(arg, cols, rows, NULL, done);
}

void cohort_stream_source(cohort_stream *s, cohort_source *src)
{
    *src = (cohort_source){s->ncols, source_rewind, source_next, s};
}
