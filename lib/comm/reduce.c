/*
 * reduce.c — reduction of mergeable states (moments, co-moment matrices,
 * R factors) of fixed size up a binomial tree, then a broadcast.
 *
 * MPI_Allreduce with a user operator would do for small states, but the
 * states here may be tens of megabytes (a d × d matrix), their merge is not
 * associative in floating point, and a failed rank must still take part:
 * so the tree is ours.  Every step merges a left neighbour's state (lower
 * ranks, earlier rows) with the right one's, so that order-sensitive
 * merges see the rows in global order; for a given number of ranks the
 * result is deterministic.  Messages go in pieces of at most 2^27 doubles,
 * so states beyond 2^31 bytes work.
 */
#include "comm.h"

#include <stdlib.h>

#define PIECE ((int64_t)1 << 27) /* doubles per message */

static int send_doubles(cohort_ctx *ctx, const double *buf, int64_t n, int to)
{
    int rc = MPI_SUCCESS;
    for (int64_t at = 0; rc == MPI_SUCCESS && at < n; at += PIECE)
        rc = MPI_Send(buf + at, (int)(n - at < PIECE ? n - at : PIECE), MPI_DOUBLE, to, 31, ctx->comm);
    return rc;
}

static int recv_doubles(cohort_ctx *ctx, double *buf, int64_t n, int from)
{
    int rc = MPI_SUCCESS;
    for (int64_t at = 0; rc == MPI_SUCCESS && at < n; at += PIECE)
        rc = MPI_Recv(buf + at, (int)(n - at < PIECE ? n - at : PIECE), MPI_DOUBLE, from, 31, ctx->comm,
                      MPI_STATUS_IGNORE);
    return rc;
}

int cohort__bcast_doubles(cohort_ctx *ctx, double *buf, int64_t n)
{
    int rc = MPI_SUCCESS;
    for (int64_t at = 0; rc == MPI_SUCCESS && at < n; at += PIECE)
        rc = MPI_Bcast(buf + at, (int)(n - at < PIECE ? n - at : PIECE), MPI_DOUBLE, 0, ctx->comm);
    return COHORT_MPI(ctx, rc);
}

int cohort__tree_reduce(cohort_ctx *ctx, int st, double *state, int64_t n, cohort_merge_fn merge, void *arg)
{
    /* The receive buffer is allocated before the tree (and agreed on), so
     * that no rank fails while another is sending to it. */
    double *in = NULL;
    bool receives = ctx->rank % 2 == 0 && ctx->rank + 1 < ctx->size;
    if (st == COHORT_OK && receives)
        st = cohort__alloc(ctx, (size_t)n * sizeof *in, "a state to merge", (void **)&in);
    st = cohort__agree(ctx, st);
    if (st != COHORT_OK) {
        cohort__free(ctx, in, in ? (size_t)n * sizeof *in : 0);
        return st;
    }
    /* From here a rank that fails (a merge) goes on with the tree, telling
     * the rank it sends to instead of sending its state. */
    for (int step = 1; step < ctx->size; step <<= 1) {
        if (ctx->rank % (2 * step) == step) { /* send my state left, then I am done */
            int64_t ok = st == COHORT_OK;
            int rc = MPI_Send(&ok, 1, MPI_INT64_T, ctx->rank - step, 30, ctx->comm);
            if (rc == MPI_SUCCESS && ok)
                rc = send_doubles(ctx, state, n, ctx->rank - step);
            if (st == COHORT_OK)
                st = COHORT_MPI(ctx, rc);
            break;
        }
        if (ctx->rank + step >= ctx->size)
            continue;
        int64_t ok = 0;
        int rc = MPI_Recv(&ok, 1, MPI_INT64_T, ctx->rank + step, 30, ctx->comm, MPI_STATUS_IGNORE);
        if (rc == MPI_SUCCESS && ok)
            rc = recv_doubles(ctx, in, n, ctx->rank + step);
        if (st != COHORT_OK)
            continue; /* already failed: only drained the message */
        if (rc != MPI_SUCCESS)
            st = COHORT_MPI(ctx, rc);
        else if (!ok)
            st = COHORT_FAIL(ctx, COHORT_ERR_INTERNAL, "rank %d failed in the reduction", ctx->rank + step);
        else
            st = merge(arg, state, in);
    }
    cohort__free(ctx, in, in ? (size_t)n * sizeof *in : 0);
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = cohort__agree(ctx, cohort__bcast_doubles(ctx, state, n));
    return st;
}
