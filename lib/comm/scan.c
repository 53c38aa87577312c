/*
 * scan.c — exclusive prefix sums of int64 values over ranks.
 *
 * Sums are carried in 128 bits so that overflow is detected exactly,
 * whatever the signs and the reduction order, and reported as a status
 * instead of wrapping.
 */
#include "../core/internal.h"

#include <stdlib.h>

static void sum_int128(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    const __int128 *a = in;
    __int128 *b = inout;
    for (int i = 0; i < *len; i++)
        b[i] += a[i];
}

static bool fits_int64(__int128 v) { return v >= INT64_MIN && v <= INT64_MAX; }

int cohort_scan_int64(cohort_ctx *ctx, const int64_t *values, int64_t *prefix, int64_t *total, int n)
{
    cohort__clear_error(ctx);
    int st = COHORT_OK;
    if (n < 0 || (n > 0 && values == NULL))
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_scan_int64: %s", n < 0 ? "negative length" : "NULL values");
    if (n <= 0)
        return cohort__agree(ctx, st);

    __int128 *mine = calloc((size_t)n * 3, sizeof *mine);
    if (mine == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "cohort_scan_int64: out of memory");
    st = cohort__agree(ctx, st);
    if (st != COHORT_OK) {
        free(mine);
        return st;
    }
    __int128 *incl = mine + n, *sum = mine + 2 * n;
    for (int i = 0; i < n; i++)
        mine[i] = values[i];

    MPI_Datatype t128 = MPI_DATATYPE_NULL;
    MPI_Op op = MPI_OP_NULL;
    st = COHORT_MPI(ctx, MPI_Type_contiguous((int)sizeof(__int128), MPI_BYTE, &t128));
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Type_commit(&t128));
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Op_create(sum_int128, 1, &op));
    /* Inclusive scan, then the last rank's inclusive sums are the totals. */
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Scan(mine, incl, n, t128, op, ctx->comm));
    if (st == COHORT_OK) {
        for (int i = 0; i < n; i++)
            sum[i] = incl[i];
        st = COHORT_MPI(ctx, MPI_Bcast(sum, n, t128, ctx->size - 1, ctx->comm));
    }
    for (int i = 0; st == COHORT_OK && i < n; i++) {
        __int128 before = incl[i] - mine[i];
        if (!fits_int64(before) || !fits_int64(sum[i]))
            st = COHORT_FAIL(ctx, COHORT_ERR_OVERFLOW, "prefix sum %d over ranks does not fit int64", i);
        else {
            if (prefix)
                prefix[i] = (int64_t)before;
            if (total)
                total[i] = (int64_t)sum[i];
        }
    }
    if (op != MPI_OP_NULL)
        MPI_Op_free(&op);
    if (t128 != MPI_DATATYPE_NULL)
        MPI_Type_free(&t128);
    free(mine);
    return cohort__agree(ctx, st);
}
