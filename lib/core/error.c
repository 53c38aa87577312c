/*
 * error.c — status strings, failure messages and the agreement point that
 * makes every collective return the same status on every rank.
 */
#include "internal.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

const char *cohort_strerror(int status)
{
    switch (status) {
    case COHORT_OK: return "success";
    case COHORT_ERR_ARG: return "invalid argument";
    case COHORT_ERR_NOMEM: return "out of memory";
    case COHORT_ERR_BUDGET: return "over the memory budget";
    case COHORT_ERR_MPI: return "MPI error";
    case COHORT_ERR_IO: return "I/O error";
    case COHORT_ERR_NOTFOUND: return "not found";
    case COHORT_ERR_TYPE: return "unsupported or mismatched type";
    case COHORT_ERR_SIZE: return "mismatched sizes";
    case COHORT_ERR_EXISTS: return "output exists";
    case COHORT_ERR_OVERFLOW: return "integer overflow";
    case COHORT_ERR_VERIFY: return "verification failed";
    case COHORT_ERR_INTERNAL: return "internal error";
    case COHORT_ERR_VALUE: return "invalid value in the data";
    default: return "unknown status";
    }
}

const char *cohort_errmsg(const cohort_ctx *ctx)
{
    return ctx ? ctx->errmsg : "no context";
}

void cohort__clear_error(cohort_ctx *ctx)
{
    ctx->errmsg[0] = '\0';
}

int cohort__fail(cohort_ctx *ctx, int code, const char *fmt, ...)
{
    if (ctx->errmsg[0] != '\0')
        return code; /* keep the first cause */
    int n = snprintf(ctx->errmsg, sizeof ctx->errmsg, "rank %d: ", ctx->rank);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->errmsg + n, sizeof ctx->errmsg - (size_t)n, fmt, ap);
    va_end(ap);
    cohort__log(ctx, 2, "%s", ctx->errmsg);
    return code;
}

int cohort__mpi_check(cohort_ctx *ctx, int mpi_rc, const char *what)
{
    if (mpi_rc == MPI_SUCCESS)
        return COHORT_OK;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(mpi_rc, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "MPI error %d", mpi_rc);
    return cohort__fail(ctx, COHORT_ERR_MPI, "%s failed: %s", what, text);
}

int cohort__agree(cohort_ctx *ctx, int local_status)
{
    return cohort__agree_min(ctx, local_status, NULL, 0);
}

int cohort__agree_min(cohort_ctx *ctx, int local_status, int64_t *mins, int n)
{
    /* The lowest failing rank decides, so the outcome is deterministic and
     * its message (the root cause, usually) is the one everybody reports. */
    int64_t in[17], out[17];
    in[0] = local_status < 0 ? ctx->rank : INT64_MAX;
    for (int i = 0; i < n; i++)
        in[1 + i] = mins[i];
    if (local_status < 0 && ctx->errmsg[0] == '\0')
        cohort__fail(ctx, local_status, "%s", cohort_strerror(local_status));
    if (n < 0 || n > 16 ||
        MPI_Allreduce(in, out, 1 + n, MPI_INT64_T, MPI_MIN, ctx->comm) != MPI_SUCCESS) {
        /* Without a working communicator no agreement is possible; every
         * rank that gets here reports MPI failure. */
        snprintf(ctx->errmsg, sizeof ctx->errmsg, "rank %d: MPI_Allreduce failed while agreeing on a status",
                 ctx->rank);
        return COHORT_ERR_MPI;
    }
    if (out[0] == INT64_MAX) {
        for (int i = 0; i < n; i++)
            mins[i] = out[1 + i];
        return COHORT_OK;
    }
    int first = (int)out[0];

    struct {
        int status;
        char msg[COHORT_ERRMSG_MAX];
    } verdict;
    if (ctx->rank == first) {
        verdict.status = local_status;
        memcpy(verdict.msg, ctx->errmsg, sizeof verdict.msg);
    }
    if (MPI_Bcast(&verdict, (int)sizeof verdict, MPI_BYTE, first, ctx->comm) != MPI_SUCCESS) {
        snprintf(ctx->errmsg, sizeof ctx->errmsg, "rank %d: MPI_Bcast failed while agreeing on a status",
                 ctx->rank);
        return COHORT_ERR_MPI;
    }
    memcpy(ctx->errmsg, verdict.msg, sizeof ctx->errmsg);
    ctx->errmsg[sizeof ctx->errmsg - 1] = '\0';
    return verdict.status;
}

int cohort__agree_equal(cohort_ctx *ctx, int local_status, const int64_t *values, int n, const char *what)
{
    int64_t mins[16];
    for (int i = 0; i < n && i < 8; i++)
        mins[2 * i] = values[i], mins[2 * i + 1] = -values[i]; /* min and -max */
    int st = cohort__agree_min(ctx, local_status, mins, n <= 8 ? 2 * n : 17);
    for (int i = 0; st == COHORT_OK && i < n; i++)
        if (mins[2 * i] != -mins[2 * i + 1])
            /* Every rank sees the same reduction, so every rank fails here. */
            return cohort__agree(ctx, COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s differs across ranks", what));
    return st;
}
