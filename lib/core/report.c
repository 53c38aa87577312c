/*
 * report.c — what the library tells its user while it works: log lines
 * (only when asked), the progress callback (rank 0, throttled) and the
 * phase-timing summary.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static const char *const phase_names[COHORT_PHASE_COUNT] = {
    [COHORT_PHASE_READ] = "read",         [COHORT_PHASE_LOCAL] = "local",
    [COHORT_PHASE_SPLIT] = "split",       [COHORT_PHASE_EXCHANGE] = "exchange",
    [COHORT_PHASE_MERGE] = "merge",       [COHORT_PHASE_REDUCE] = "reduce",
    [COHORT_PHASE_VERIFY] = "verify",     [COHORT_PHASE_WRITE] = "write",
};

void cohort__log(const cohort_ctx *ctx, int level, const char *fmt, ...)
{
    if (ctx->verbosity < level)
        return;
    char line[COHORT_ERRMSG_MAX + 64];
    int n = snprintf(line, sizeof line, "cohort[%d]: ", ctx->rank);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line); /* one write per line, so ranks do not interleave mid-line */
}

void cohort__progress(cohort_ctx *ctx, const char *phase, double done, double total, const char *unit)
{
    if (ctx->rank != 0 || ctx->progress_muted > 0 || (ctx->progress_fn == NULL && ctx->progress_count_fn == NULL))
        return;
    double f = total > 0 ? done / total : 1.0;
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    /* Report the start, each percent and the end; a phase that goes back
     * (a new pass, another dataset) or changes name restarts. */
    bool restart = f < ctx->progress_last || strncmp(phase, ctx->progress_phase, sizeof ctx->progress_phase - 1) != 0;
    if (restart || f >= ctx->progress_last + 0.01 || (f == 1.0 && ctx->progress_last < 1.0)) {
        ctx->progress_last = f;
        snprintf(ctx->progress_phase, sizeof ctx->progress_phase, "%s", phase);
        if (ctx->progress_fn)
            ctx->progress_fn(ctx->progress_arg, phase, f);
        if (ctx->progress_count_fn)
            ctx->progress_count_fn(ctx->progress_count_arg, phase, done < total ? done : total, total, unit);
    }
}

int cohort_ctx_report_timings(cohort_ctx *ctx, FILE *out)
{
    double mn[COHORT_PHASE_COUNT], mx[COHORT_PHASE_COUNT], sum[COHORT_PHASE_COUNT];
    cohort__clear_error(ctx);
    int st = COHORT_MPI(ctx, MPI_Reduce(ctx->phase_seconds, mn, COHORT_PHASE_COUNT, MPI_DOUBLE, MPI_MIN, 0, ctx->comm));
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Reduce(ctx->phase_seconds, mx, COHORT_PHASE_COUNT, MPI_DOUBLE, MPI_MAX, 0, ctx->comm));
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Reduce(ctx->phase_seconds, sum, COHORT_PHASE_COUNT, MPI_DOUBLE, MPI_SUM, 0, ctx->comm));
    st = cohort__agree(ctx, st);
    if (st != COHORT_OK || ctx->rank != 0 || out == NULL)
        return st;
    fprintf(out, "%-10s %10s %10s %10s  (seconds over %d ranks)\n", "phase", "min", "mean", "max", ctx->size);
    for (int i = 0; i < COHORT_PHASE_COUNT; i++)
        if (mx[i] > 0)
            fprintf(out, "%-10s %10.4f %10.4f %10.4f\n", phase_names[i], mn[i], sum[i] / ctx->size, mx[i]);
    fflush(out);
    return COHORT_OK;
}
