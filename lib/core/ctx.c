/*
 * ctx.c — the context: a private duplicate of the caller's communicator
 * plus the per-rank settings and accounting every operation consults.
 */
#include "internal.h"

#include <cblas.h> /* openblas_set_num_threads */
#include <stdlib.h>
#include <string.h>

int cohort_ctx_create(MPI_Comm comm, cohort_ctx **ctx_out)
{
    if (ctx_out == NULL)
        return COHORT_ERR_ARG; /* cannot agree without somewhere to put the context */
    *ctx_out = NULL;
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized || comm == MPI_COMM_NULL)
        return COHORT_ERR_ARG;

    /* Allocation may fail on one rank only; agree on the caller's
     * communicator before duplicating it, since MPI_Comm_dup is collective. */
    cohort_ctx *ctx = calloc(1, sizeof *ctx);
    int ok = ctx != NULL, all_ok = 0;
    if (MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, comm) != MPI_SUCCESS || !all_ok) {
        free(ctx);
        return all_ok ? COHORT_ERR_MPI : COHORT_ERR_NOMEM;
    }
    if (MPI_Comm_dup(comm, &ctx->comm) != MPI_SUCCESS) {
        free(ctx);
        return COHORT_ERR_MPI;
    }
    MPI_Comm_set_errhandler(ctx->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(ctx->comm, &ctx->rank);
    MPI_Comm_size(ctx->comm, &ctx->size);
    ctx->progress_last = -1.0;
    cohort_ctx_set_blas_threads(ctx, 1);
    *ctx_out = ctx;
    return COHORT_OK;
}

int cohort_ctx_create_fortran(MPI_Fint comm, cohort_ctx **ctx_out)
{
    return cohort_ctx_create(MPI_Comm_f2c(comm), ctx_out);
}

void cohort_ctx_destroy(cohort_ctx **ctx)
{
    if (ctx == NULL || *ctx == NULL)
        return;
    MPI_Comm_free(&(*ctx)->comm);
    free(*ctx);
    *ctx = NULL;
}

MPI_Comm cohort_ctx_comm(const cohort_ctx *ctx) { return ctx->comm; }
int cohort_ctx_rank(const cohort_ctx *ctx) { return ctx->rank; }
int cohort_ctx_size(const cohort_ctx *ctx) { return ctx->size; }

void cohort_ctx_set_verbosity(cohort_ctx *ctx, int level) { ctx->verbosity = level; }

void cohort_ctx_set_progress(cohort_ctx *ctx, cohort_progress_fn fn, void *arg)
{
    ctx->progress_fn = fn;
    ctx->progress_arg = arg;
    ctx->progress_last = -1.0;
}

void cohort_ctx_set_progress_counts(cohort_ctx *ctx, cohort_progress_count_fn fn, void *arg)
{
    ctx->progress_count_fn = fn;
    ctx->progress_count_arg = arg;
    ctx->progress_last = -1.0;
}

void cohort_ctx_set_temporary_hook(cohort_ctx *ctx, cohort_temporary_fn fn, void *arg)
{
    ctx->temporary_fn = fn;
    ctx->temporary_arg = arg;
}

void cohort_ctx_set_memory_budget(cohort_ctx *ctx, int64_t bytes)
{
    ctx->mem_budget = bytes > 0 ? bytes : 0;
}

void cohort_ctx_memory(const cohort_ctx *ctx, int64_t *current, int64_t *peak)
{
    if (current)
        *current = ctx->mem_current;
    if (peak)
        *peak = ctx->mem_peak;
}

void cohort_ctx_set_blas_threads(cohort_ctx *ctx, int threads)
{
    ctx->blas_threads = threads > 0 ? threads : 1;
    openblas_set_num_threads(ctx->blas_threads);
}

unsigned cohort_version_number(void) { return COHORT_VERSION_NUMBER; }
const char *cohort_version_string(void) { return COHORT_VERSION_STRING; }
