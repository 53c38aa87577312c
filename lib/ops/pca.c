/*
 * pca.c — principal components from the co-moment matrix: the top k
 * eigenpairs by LAPACKE dsyevr.  Rank 0 solves and broadcasts, so that
 * every rank holds the very same bits whatever BLAS kernels each node's
 * CPU selects.
 */
#include "ops.h"
#include "../comm/comm.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

/* Solve on rank 0: out = [k values, k ratios, k × d components]. */
static int solve(cohort_ctx *ctx, const cohort_stats *s, int k, int use_corr, double ddof, double *out)
{
    int d = cohort_stats_ncols(s), st = COHORT_OK;
    double *a = malloc((size_t)d * d * sizeof *a), *wv = malloc((size_t)d * sizeof *wv);
    double *z = malloc((size_t)d * k * sizeof *z);
    lapack_int *supp = malloc(2 * (size_t)d * sizeof *supp);
    if (!a || !wv || !z || !supp) {
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for PCA");
        goto done;
    }
    st = use_corr ? cohort_stats_correlation(s, a) : cohort_stats_covariance(s, ddof, a);
    if (st != COHORT_OK) {
        st = COHORT_FAIL(ctx, st, "PCA: no co-moment matrix (compute the statistics with COHORT_STATS_MATRIX)");
        goto done;
    }
    double trace = 0;
    for (int i = 0; i < d; i++)
        trace += a[(size_t)i * d + i];
    for (size_t i = 0; i < (size_t)d * d; i++)
        if (!isfinite(a[i])) {
            st = COHORT_FAIL(ctx, COHORT_ERR_VALUE, "PCA: the %s matrix is not finite (%s)",
                             use_corr ? "correlation" : "covariance",
                             use_corr ? "too few rows, or a constant column" : "too few rows, or infinite values");
            goto done;
        }
    lapack_int m = 0;
    lapack_int info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', d, a, d, 0, 0, d - k + 1, d, 0, &m, wv, z, k,
                                     supp);
    if (info != 0 || m != k) {
        st = COHORT_FAIL(ctx, COHORT_ERR_INTERNAL, "PCA: LAPACKE_dsyevr failed (info %d)", (int)info);
        goto done;
    }
    /* dsyevr returns ascending eigenvalues: the largest is the last. */
    for (int c = 0; c < k; c++) {
        int src = k - 1 - c;
        out[c] = wv[src];
        out[k + c] = wv[src] / trace;
        double big = 0, sign = 1;
        for (int i = 0; i < d; i++)
            if (fabs(z[(size_t)i * k + src]) > big)
                big = fabs(z[(size_t)i * k + src]), sign = z[(size_t)i * k + src] < 0 ? -1 : 1;
        for (int i = 0; i < d; i++)
            out[2 * k + (size_t)c * d + i] = sign * z[(size_t)i * k + src];
    }
done:
    free(a), free(wv), free(z), free(supp);
    return st;
}

int cohort_pca_compute(cohort_ctx *ctx, const cohort_stats *s, int k, int use_corr, double ddof, cohort_pca **out)
{
    cohort__clear_error(ctx);
    int st = COHORT_OK, d = cohort_stats_ncols(s);
    if (out)
        *out = NULL;
    if (!s || !out || k < 1 || k > d || !(ddof >= 0))
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_pca_compute: k must be in [1, %d] (the number of columns)", d);
    int64_t same[2] = {k, use_corr != 0};
    st = cohort__agree_equal(ctx, st, same, 2, "cohort_pca_compute: k or the matrix");
    if (st != COHORT_OK)
        return st;
    cohort_pca *p = calloc(1, sizeof *p);
    double *buf = calloc((size_t)k * (2 + (size_t)d), sizeof *buf);
    if (!p || !buf)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for PCA");
    else if (ctx->rank == 0)
        st = solve(ctx, s, k, use_corr, ddof, buf);
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = cohort__agree(ctx, cohort__bcast_doubles(ctx, buf, (int64_t)k * (2 + d)));
    if (st == COHORT_OK) {
        *p = (cohort_pca){k, d, buf, buf + k, buf + 2 * k};
        *out = p;
    } else {
        free(buf);
        free(p);
    }
    return st;
}

void cohort_pca_destroy(cohort_pca **p)
{
    if (!p || !*p)
        return;
    free((*p)->explained_variance); /* one allocation holds all three */
    free(*p);
    *p = NULL;
}
