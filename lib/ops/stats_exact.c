/*
 * stats_exact.c — the reproducible statistics (COHORT_STATS_REPRODUCIBLE):
 * the same bits for any number of ranks and any partition of the rows.
 *
 * Floating-point sums depend on their order; these do not, because every
 * sum is exact (the products of two doubles too: kernels/xsum.c's
 * cohort_xsq) and rounded once at the end.  Two passes:
 *  1. per column, the exact Σ w and Σ w x (over its non-NaN values, and
 *     over the complete rows for the matrix): the means, each rounded once;
 *  2. the deviations d = x − mean (one rounding each, the same whatever
 *     the partition) and the exact sums Σ w d, Σ w d², Σ w d³, Σ w d⁴ and
 *     Σ w dᵢ dⱼ (d² and d³ rounded once per value, w and the last factor
 *     multiplied exactly).  The mean's own rounding is removed from the
 *     moments with Σ w d, as moments.c does.
 * Ranks merge the exact sums digit by digit (one reduction per pass); the
 * final formulas then run on values that do not depend on the partition.
 * The result is the state stats.c builds (cohort_moments per column, the
 * co-moment state), so every accessor, the regression's normal equations
 * and PCA work on it unchanged.
 *
 * Cost: a fixed-point sum of 1 KiB per column moment and per matrix entry
 * (d (d + 1) / 2 of them), and one exact product per entry per row: far
 * slower than dsyrk (bench/ measures it).
 */
#include "ops.h"

#include <math.h>
#include <stdlib.h>

#define SB 512 /* rows per sub-block */

/* Where each exact sum lives in the one array of them that ranks reduce. */
typedef struct plan {
    int d;
    bool weighted, moments, matrix;
    int64_t nsum, first2;         /* exact sums in all; the first of pass 2 (pass 1's come before) */
    int64_t w, x;                 /* pass 1: d weights, d weighted values (moments) */
    int64_t cw, cx;               /* pass 1: the complete rows' weight (1), their weighted values (d) */
    int64_t p1, p2, p3, p4;       /* pass 2: d sums of w d^k each (moments) */
    int64_t c1, cc;               /* pass 2: d sums of w d over complete rows; the matrix, upper triangle */
} plan;

static void make_plan(plan *P, int d, bool weighted, bool moments, bool matrix)
{
    int64_t k = 0;
    *P = (plan){d, weighted, moments, matrix, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
    if (moments)
        P->w = k, k += d, P->x = k, k += d;
    if (matrix)
        P->cw = k, k += 1, P->cx = k, k += d;
    P->first2 = k;
    if (moments)
        P->p1 = k, k += d, P->p2 = k, k += d, P->p3 = k, k += d, P->p4 = k, k += d;
    if (matrix)
        P->c1 = k, k += d, P->cc = k, k += (int64_t)d * (d + 1) / 2;
    P->nsum = k;
}

/* Entry (i, j), i <= j, of the upper triangle, column by column. */
static inline int64_t tri(int64_t i, int64_t j) { return j * (j + 1) / 2 + i; }

static void merge_xsq(void *in, void *inout, int *len, MPI_Datatype *t)
{
    (void)t;
    for (int i = 0; i < *len; i++)
        cohort__xsq_merge((cohort_xsq *)inout + i, (const cohort_xsq *)in + i);
}

/* Every rank's exact sums added, on every rank: one reduction. */
static int reduce_sums(cohort_ctx *ctx, cohort_xsq *acc, int64_t n)
{
    MPI_Datatype t;
    MPI_Op op;
    int st = COHORT_MPI(ctx, MPI_Type_contiguous((int)sizeof(cohort_xsq), MPI_BYTE, &t));
    if (st != COHORT_OK)
        return st;
    MPI_Type_commit(&t);
    MPI_Op_create(merge_xsq, 1, &op);
    for (int64_t at = 0; st == COHORT_OK && at < n; at += 1 << 20) /* counts are int */
        st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, acc + at, (int)(n - at < (1 << 20) ? n - at : 1 << 20), t, op,
                                           ctx->comm));
    MPI_Op_free(&op);
    MPI_Type_free(&t);
    return st;
}

static double value(const cohort_xsq *acc, int64_t k) { return cohort__xsq_value(&acc[k]); }

/* The per-row work of one pass over a sub-block: columns x[j] (B values),
 * weights w (or NULL), @mean and @cmean the means of pass 1 (pass 2 only). */
static void take_block(const plan *P, int pass, const double *const *x, const double *w, int64_t B, cohort_xsq *acc,
                       int64_t *count, int64_t *nan, double *mn, double *mx, int64_t *complete, const double *mean,
                       const double *cmean, double *dev)
{
    const int d = P->d;
    for (int64_t r = 0; r < B; r++) {
        double wr = w ? w[r] : 1;
        bool full = wr == wr;
        for (int j = 0; j < d; j++) {
            double v = x[j][r];
            bool ok = v == v && wr == wr;
            full &= ok;
            if (!P->moments)
                continue;
            if (!ok) {
                nan[j] += pass == 1;
                continue;
            }
            if (pass == 1) {
                count[j]++;
                mn[j] = v < mn[j] ? v : mn[j], mx[j] = v > mx[j] ? v : mx[j];
                cohort__xsq_add_product(&acc[P->w + j], wr, 1.0);
                cohort__xsq_add_product(&acc[P->x + j], wr, v);
            } else {
                double e = v - mean[j], e2 = e * e;
                cohort__xsq_add_product(&acc[P->p1 + j], wr, e);
                cohort__xsq_add_product(&acc[P->p2 + j], w ? wr : e, w ? e2 : e); /* unweighted: e² exactly */
                cohort__xsq_add_product(&acc[P->p3 + j], w ? wr : e2, w ? e2 * e : e);
                cohort__xsq_add_product(&acc[P->p4 + j], w ? wr : e2, w ? e2 * e2 : e2);
            }
        }
        if (!P->matrix || !full)
            continue;
        if (pass == 1) {
            (*complete)++;
            cohort__xsq_add_product(&acc[P->cw], wr, 1.0);
            for (int j = 0; j < d; j++)
                cohort__xsq_add_product(&acc[P->cx + j], wr, x[j][r]);
            continue;
        }
        /* Weighted: sqrt(w) d on each side, one rounding each; the
         * product of the two is exact. */
        double sw = w ? sqrt(wr) : 1;
        for (int j = 0; j < d; j++) {
            double e = x[j][r] - cmean[j];
            cohort__xsq_add_product(&acc[P->c1 + j], wr, e);
            dev[j] = w ? e * sw : e;
        }
        for (int j = 0; j < d; j++)
            for (int i = 0; i <= j; i++)
                cohort__xsq_add_product(&acc[P->cc + tri(i, j)], dev[i], dev[j]);
    }
}

/* One pass over the source.  Pass 1 also checks the columns' types and
 * the weights. */
static int pass_over(cohort_ctx *ctx, cohort_source *src, const plan *P, int pass, cohort_xsq *acc, int64_t *count,
                     int64_t *nan, double *mn, double *mx, int64_t *complete, int64_t *rows_seen, const double *mean,
                     const double *cmean, double *buf)
{
    const int d = P->d;
    double *w = buf + (size_t)d * SB, *dev = w + SB;
    const double **xs = (const double **)(dev + d);
    int st = src->rewind(src->arg), lst = COHORT_OK;
    for (int done = 0, checked = 0; st == COHORT_OK;) {
        const cohort_column *cols;
        int64_t rows;
        st = src->next(src->arg, &cols, &rows, &done);
        if (st != COHORT_OK || done)
            break;
        if (pass == 1)
            *rows_seen += rows;
        if (lst == COHORT_OK)
            lst = cohort__stats_check_columns(ctx, cols, src->ncols, rows, &checked);
        for (int64_t at = 0; lst == COHORT_OK && at < rows; at += SB) {
            int64_t B = rows - at < SB ? rows - at : SB;
            if (P->weighted) {
                cohort__column_to_double(&cols[d], at, B, w);
                if (pass == 1)
                    lst = cohort__stats_check_weights(ctx, w, B);
            }
            for (int j = 0; j < d; j++) {
                cohort__column_to_double(&cols[j], at, B, buf + (size_t)j * SB);
                xs[j] = buf + (size_t)j * SB;
            }
            if (lst == COHORT_OK)
                take_block(P, pass, xs, P->weighted ? w : NULL, B, acc, count, nan, mn, mx, complete, mean, cmean, dev);
        }
    }
    return st == COHORT_OK ? lst : st;
}

int cohort__stats_exact(cohort_ctx *ctx, cohort_source *src, int d, bool weighted, bool moments, bool matrix,
                        int64_t *rows, cohort_moments *mom, double *cm)
{
    plan P;
    make_plan(&P, d, weighted, moments, matrix);
    cohort_xsq *acc = NULL;
    double *buf = NULL, *mean = NULL;
    int64_t *ints = NULL;
    size_t buf_bytes = ((size_t)d * SB + SB + (size_t)d) * sizeof(double) + (size_t)d * sizeof(double *);
    int st = cohort__alloc(ctx, (size_t)P.nsum * sizeof *acc, "exact statistics sums", (void **)&acc);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, buf_bytes, "exact statistics block", (void **)&buf);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)(4 * d) * sizeof(double), "exact statistics means", (void **)&mean);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)(2 * d + 2) * sizeof(int64_t), "exact statistics counts", (void **)&ints);
    st = cohort__agree(ctx, st);
    if (st != COHORT_OK)
        goto out;
    for (int64_t k = 0; k < P.nsum; k++)
        cohort__xsq_init(&acc[k]);
    int64_t *count = ints, *nan = ints + d, *complete = ints + 2 * d, *seen = ints + 2 * d + 1;
    double *mn = mean + 2 * d, *mx = mean + 3 * d, *cmean = mean + d;
    memset(ints, 0, (size_t)(2 * d + 2) * sizeof *ints);
    for (int j = 0; j < d; j++)
        mn[j] = INFINITY, mx[j] = -INFINITY;

    /* Pass 1: the means. */
    double t0 = cohort__now();
    st = pass_over(ctx, src, &P, 1, acc, count, nan, mn, mx, complete, seen, NULL, NULL, buf);
    cohort__phase_add(ctx, COHORT_PHASE_LOCAL, t0);
    double t1 = cohort__now();
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = reduce_sums(ctx, acc, P.first2);
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, ints, 2 * d + 2, MPI_INT64_T, MPI_SUM, ctx->comm));
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, mn, d, MPI_DOUBLE, MPI_MIN, ctx->comm));
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, mx, d, MPI_DOUBLE, MPI_MAX, ctx->comm));
    cohort__phase_add(ctx, COHORT_PHASE_REDUCE, t1);
    st = cohort__agree(ctx, st);
    if (st != COHORT_OK)
        goto out;
    double CW = matrix ? value(acc, P.cw) : 0;
    for (int j = 0; j < d; j++) {
        if (moments) {
            double W = value(acc, P.w + j);
            mom[j] = (cohort_moments){.w = W, .sum = value(acc, P.x + j), .min = mn[j], .max = mx[j],
                                      .count = count[j], .nan = nan[j]};
            mean[j] = W > 0 ? mom[j].sum / W : 0;
        }
        if (matrix)
            cmean[j] = CW > 0 ? value(acc, P.cx + j) / CW : 0;
    }

    /* Pass 2: the sums about those means. */
    t0 = cohort__now();
    st = pass_over(ctx, src, &P, 2, acc, count, nan, mn, mx, complete, seen, mean, cmean, buf);
    cohort__phase_add(ctx, COHORT_PHASE_LOCAL, t0);
    t1 = cohort__now();
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = cohort__agree(ctx, reduce_sums(ctx, acc + P.first2, P.nsum - P.first2));
    cohort__phase_add(ctx, COHORT_PHASE_REDUCE, t1);
    if (st != COHORT_OK)
        goto out;
    *rows = *seen;
    for (int j = 0; moments && j < d; j++) {
        cohort_moments *m = &mom[j];
        double W = m->w, S1 = value(acc, P.p1 + j), S2 = value(acc, P.p2 + j), S3 = value(acc, P.p3 + j),
               S4 = value(acc, P.p4 + j);
        double e = W > 0 ? S1 / W : 0; /* the mean's rounding */
        m->mean = W > 0 ? mean[j] : 0, m->mean_lo = e;
        m->m2 = fmax(S2 - W * e * e, 0);
        m->m3 = S3 - 3 * e * S2 + 2 * W * e * e * e;
        m->m4 = fmax(S4 - 4 * e * S3 + 6 * e * e * S2 - 3 * W * e * e * e * e, 0);
        m->sum_c = 0;
    }
    if (matrix) { /* comoments.c's state: rows, W, means hi and lo, the upper triangle column-major */
        double W = CW, *e = mean; /* the moments' means are no longer needed */
        memcpy(&cm[0], complete, 8);
        cm[1] = W;
        for (int j = 0; j < d; j++) {
            e[j] = W > 0 ? value(acc, P.c1 + j) / W : 0;
            cm[2 + j] = cmean[j], cm[2 + d + j] = e[j];
        }
        for (int j = 0; j < d; j++)
            for (int i = 0; i <= j; i++)
                cm[2 + 2 * d + i + (size_t)j * d] = value(acc, P.cc + tri(i, j)) - W * e[i] * e[j];
    }
out:
    cohort__free(ctx, acc, acc ? (size_t)P.nsum * sizeof *acc : 0);
    cohort__free(ctx, buf, buf ? buf_bytes : 0);
    cohort__free(ctx, mean, mean ? (size_t)(4 * d) * sizeof(double) : 0);
    cohort__free(ctx, ints, ints ? (size_t)(2 * d + 2) * sizeof(int64_t) : 0);
    return st;
}
