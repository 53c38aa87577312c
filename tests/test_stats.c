/*
 * test_stats.c — moments, covariance, PCA and regression at any rank count
 * against exact references computed here in long double over the whole
 * (global) data, with uneven ranks, an empty rank, small blocks, NaN rows,
 * values like 1e9 + small noise, frequency weights against repeated rows,
 * exact fits, collinear designs and ridge; and the collective error
 * contract.  (Agreement with numpy/pandas is tested in test_stats_app.py.)
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NC 4

static int64_t rows_of(int r) { return r == 1 ? 0 : 700 + 211 * r; } /* uneven; rank 1 empty */

/* Column j of global row g: 0 uniform with NaN, 1 = 1e9 + noise, 2 an
 * integer pattern on a staircase (steps far larger than the spread within
 * a block: the co-moments must centre such blocks on their own means), 3
 * correlated with 0; the weight (column NC) in {0, 1, 2, 3}. */
static double value(int j, int64_t g)
{
    uint64_t u = t_rand(5 + (uint64_t)j, (uint64_t)g);
    double uni = (double)(u >> 11) * 0x1.0p-53;
    switch (j) {
    case 0: return u % 53 == 0 ? NAN : uni * 4 - 1;
    case 1: return 1e9 + (uni - 0.5) * 1e-3;
    case 2: return (double)(g % 7) - 3 + (double)(g / 300) * 1e5;
    case 3: {
        double x0 = value(0, g);
        return (x0 == x0 ? 2 * x0 : 0.5) + uni;
    }
    default: return (double)(u % 4);
    }
}

typedef struct data {
    double *x[NC + 1];
    int64_t n, first, N;
} data;

static void make(data *d)
{
    d->first = 0, d->N = 0;
    for (int r = 0; r < T_size; r++)
        d->first += r < T_rank ? rows_of(r) : 0, d->N += rows_of(r);
    d->n = rows_of(T_rank);
    for (int j = 0; j <= NC; j++) {
        d->x[j] = malloc((size_t)d->n * 8 + 8);
        for (int64_t i = 0; i < d->n; i++)
            d->x[j][i] = value(j, d->first + i);
    }
}

static void release(data *d)
{
    for (int j = 0; j <= NC; j++)
        free(d->x[j]);
}

static bool near(double a, double b, double rel)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) <= rel * fmax(fabs(b), 1e-300) + 1e-300;
}

/* The exact shift of column j that a reference subtracts before summing:
 * a long double sum of values near 1e9 would itself lose the digits that
 * matter. */
static double shift_of(int j) { return j == 1 ? 1e9 : 0; }

/* Exact moments of column j over all N rows (weighted: w copies of each). */
static void reference(int j, bool weighted, cohort_column_stats *out)
{
    int64_t N = 0;
    for (int r = 0; r < T_size; r++)
        N += rows_of(r);
    long double W = 0, S = 0;
    int64_t count = 0;
    for (int64_t g = 0; g < N; g++) {
        double x = value(j, g), w = weighted ? value(NC, g) : 1;
        if (x == x)
            W += w, S += (long double)w * (x - shift_of(j)), count++;
    }
    long double mean = S / W, m2 = 0, m3 = 0, m4 = 0;
    for (int64_t g = 0; g < N; g++) {
        double x = value(j, g), w = weighted ? value(NC, g) : 1;
        if (x != x)
            continue;
        long double dv = (long double)(x - shift_of(j)) - mean;
        m2 += w * dv * dv, m3 += w * dv * dv * dv, m4 += w * dv * dv * dv * dv;
    }
    long double n = W;
    out->count = count;
    out->nan = N - count;
    out->weight = (double)W;
    out->mean = (double)(mean + shift_of(j));
    out->var = (double)(m2 / (n - 1));
    out->skew = (double)(n * sqrtl(n - 1) / (n - 2) * m3 / powl(m2, 1.5L));
    out->kurtosis = (double)(n * (n + 1) * (n - 1) * m4 / ((n - 2) * (n - 3) * m2 * m2) - 3 * (n - 1) * (n - 1) / ((n - 2) * (n - 3)));
}

static void check_moments(bool weighted, int64_t block, int flags)
{
    data d;
    make(&d);
    cohort_column cols[NC + 1];
    for (int j = 0; j <= NC; j++)
        cols[j] = cohort_column_make(NULL, COHORT_DOUBLE, d.n, d.x[j]);
    t_blocks sb;
    cohort_source src = t_blocks_source(&sb, cols, weighted ? NC + 1 : NC, block, MPI_COMM_WORLD);
    cohort_stats *s = NULL;
    int st = cohort_stats_compute(T_ctx, &src, (weighted ? COHORT_STATS_WEIGHTED : 0) | flags, &s);
    CU_ASSERT_EQUAL_FATAL(st, COHORT_OK);
    CU_ASSERT_EQUAL(cohort_stats_rows(s), d.N);
    for (int j = 0; j < NC; j++) {
        cohort_column_stats got, ref;
        reference(j, weighted, &ref);
        CU_ASSERT_EQUAL(cohort_stats_column(s, j, 1, &got), COHORT_OK);
        CU_ASSERT_EQUAL(got.count, ref.count);
        CU_ASSERT_EQUAL(got.nan, ref.nan);
        CU_ASSERT(near(got.weight, ref.weight, 1e-15));
        CU_ASSERT(fabs(got.mean - ref.mean) <= 1e-14 * (fabs(ref.mean) + sqrt(ref.var))); /* means near 0 */
        CU_ASSERT(near(got.var, ref.var, 1e-12)); /* column 1: 1e9 + noise of 3e-4, relative to the noise */
        CU_ASSERT(near(got.std, sqrt(ref.var), 1e-12));
        CU_ASSERT(fabs(got.skew - ref.skew) < 1e-10 && fabs(got.kurtosis - ref.kurtosis) < 1e-10);
        if (!near(got.var, ref.var, 1e-12) || fabs(got.skew - ref.skew) >= 1e-10)
            printf("column %d: var %.17g (exact %.17g), skew %.17g (%.17g)\n", j, got.var, ref.var, got.skew, ref.skew);
    }
    cohort_stats_destroy(&s);
    release(&d);
}

static void test_moments(void) { check_moments(false, 1 << 20, 0); }
static void test_moments_small_blocks(void) { check_moments(false, 37, 0); }
static void test_moments_weighted(void) { check_moments(true, 101, 0); }
static void test_moments_reproducible(void)
{
    check_moments(false, 37, COHORT_STATS_REPRODUCIBLE);
    check_moments(true, 101, COHORT_STATS_REPRODUCIBLE);
}

/* Tiny and degenerate columns: pandas' NaN and 0 conventions. */
static void test_moments_degenerate(void)
{
    double x[3] = {1, 2, 4}, c[3] = {7, 7, 7}, nan3[3] = {NAN, NAN, NAN};
    int64_t n = T_rank == 0 ? 3 : 0; /* everything on rank 0 */
    cohort_column cols[3] = {cohort_column_make("x", COHORT_DOUBLE, n, x), cohort_column_make("c", COHORT_DOUBLE, n, c),
                             cohort_column_make("nan", COHORT_DOUBLE, n, nan3)};
    cohort_columns_source cs;
    cohort_source src;
    cohort_source_columns(&src, &cs, cols, 3);
    cohort_stats *s = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_stats_compute(T_ctx, &src, COHORT_STATS_MATRIX, &s), COHORT_OK);
    cohort_column_stats a, b, e;
    cohort_stats_column(s, 0, 0, &a);
    cohort_stats_column(s, 1, 1, &b);
    cohort_stats_column(s, 2, 1, &e);
    CU_ASSERT(near(a.var, 14.0 / 9, 1e-15) && near(a.mean, 7.0 / 3, 1e-15) && isnan(a.kurtosis));
    CU_ASSERT(near(a.skew, 3 * sqrt(2) * (20.0 / 9) / pow(14.0 / 3, 1.5), 1e-14)); /* n sqrt(n-1)/(n-2) M3/M2^1.5 */
    CU_ASSERT(b.var == 0 && b.skew == 0 && b.min == 7 && b.max == 7);
    CU_ASSERT(e.count == 0 && e.nan == 3 && isnan(e.mean) && isnan(e.var) && isnan(e.min) && e.sum == 0);
    CU_ASSERT_EQUAL(cohort_stats_matrix_rows(s), 0); /* every row has a NaN */
    double cov[9];
    CU_ASSERT_EQUAL(cohort_stats_covariance(s, 1, cov), COHORT_OK);
    CU_ASSERT(isnan(cov[0]));
    cohort_stats_destroy(&s);
}

/* Covariance over complete rows against a long double two-pass reference. */
static void check_covariance(int flags)
{
    data d;
    make(&d);
    cohort_column cols[NC];
    for (int j = 0; j < NC; j++)
        cols[j] = cohort_column_make(NULL, COHORT_DOUBLE, d.n, d.x[j]);
    t_blocks sb;
    cohort_source src = t_blocks_source(&sb, cols, NC, 64, MPI_COMM_WORLD);
    cohort_stats *s = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_stats_compute(T_ctx, &src, COHORT_STATS_MATRIX | flags, &s), COHORT_OK);
    long double mean[NC] = {0}, C[NC][NC] = {{0}};
    int64_t rows = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t g = 0; g < d.N; g++) {
            double v[NC];
            bool ok = true;
            for (int j = 0; j < NC; j++)
                v[j] = value(j, g) - shift_of(j), ok &= v[j] == v[j];
            if (!ok)
                continue;
            rows += pass == 0;
            for (int i = 0; i < NC; i++) {
                if (pass == 0)
                    mean[i] += v[i];
                for (int j = 0; pass == 1 && j < NC; j++)
                    C[i][j] += ((long double)v[i] - mean[i]) * ((long double)v[j] - mean[j]);
            }
        }
        for (int j = 0; pass == 0 && j < NC; j++)
            mean[j] /= rows;
    }
    CU_ASSERT_EQUAL(cohort_stats_matrix_rows(s), rows);
    double cov[NC * NC], corr[NC * NC];
    CU_ASSERT_EQUAL(cohort_stats_covariance(s, 1, cov), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_stats_correlation(s, corr), COHORT_OK);
    for (int i = 0; i < NC; i++)
        for (int j = 0; j < NC; j++) {
            double ref = (double)(C[i][j] / (rows - 1));
            double scale = sqrt((double)(C[i][i] * C[j][j])) / (rows - 1);
            CU_ASSERT(fabs(cov[i * NC + j] - ref) <= 1e-12 * scale);
            CU_ASSERT(fabs(corr[i * NC + j] - ref / sqrt((double)(C[i][i] * C[j][j])) * (rows - 1)) <= 1e-12);
        }
    /* PCA: eigenvectors of the covariance, largest first, unit length. */
    cohort_pca *p = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_pca_compute(T_ctx, s, 2, 0, 1, &p), COHORT_OK);
    CU_ASSERT(p->explained_variance[0] >= p->explained_variance[1]);
    for (int c = 0; c < 2; c++) {
        double norm = 0, av[NC] = {0};
        for (int i = 0; i < NC; i++) {
            norm += p->components[c * NC + i] * p->components[c * NC + i];
            for (int j = 0; j < NC; j++)
                av[i] += cov[i * NC + j] * p->components[c * NC + j];
        }
        CU_ASSERT(near(norm, 1, 1e-12));
        for (int i = 0; i < NC; i++) /* C v = λ v */
            CU_ASSERT(fabs(av[i] - p->explained_variance[c] * p->components[c * NC + i]) < 1e-10 * p->explained_variance[0]);
    }
    cohort_pca_destroy(&p);
    cohort_stats_destroy(&s);
    release(&d);
}

static void test_covariance(void) { check_covariance(0); }
static void test_covariance_reproducible(void) { check_covariance(COHORT_STATS_REPRODUCIBLE); }

/* The reproducible mode: moments, covariance, correlation, PCA and the
 * regression the same bits as one rank's over the whole data, weighted or
 * not, from blocks of any size. */
static void test_reproducible_bits(void)
{
    data d, whole;
    make(&d);
    whole.n = d.N;
    for (int j = 0; j <= NC; j++) {
        whole.x[j] = malloc((size_t)d.N * 8 + 8);
        for (int64_t g = 0; g < d.N; g++)
            whole.x[j][g] = value(j, g);
    }
    cohort_ctx *self;
    cohort_ctx_create(MPI_COMM_SELF, &self);
    int bad = 0;
    for (int weighted = 0; weighted < 2; weighted++) {
        cohort_column cols[NC + 1], wcols[NC + 1];
        for (int j = 0; j <= NC; j++)
            cols[j] = cohort_column_make(NULL, COHORT_DOUBLE, d.n, d.x[j]),
            wcols[j] = cohort_column_make(NULL, COHORT_DOUBLE, d.N, whole.x[j]);
        int flags = COHORT_STATS_MATRIX | COHORT_STATS_REPRODUCIBLE | (weighted ? COHORT_STATS_WEIGHTED : 0);
        int nc = NC + weighted;
        t_blocks sb;
        cohort_source src = t_blocks_source(&sb, cols, nc, 29, MPI_COMM_WORLD);
        cohort_columns_source cs;
        cohort_source one;
        cohort_source_columns(&one, &cs, wcols, nc);
        cohort_stats *s = NULL, *r = NULL;
        CU_ASSERT_EQUAL_FATAL(cohort_stats_compute(T_ctx, &src, flags, &s), COHORT_OK);
        CU_ASSERT_EQUAL_FATAL(cohort_stats_compute(self, &one, flags, &r), COHORT_OK);
        for (int j = 0; j < NC; j++) {
            cohort_column_stats a, b;
            cohort_stats_column(s, j, 1, &a), cohort_stats_column(r, j, 1, &b);
            bad += memcmp(&a, &b, sizeof a) != 0;
        }
        double c1[NC * NC], c2[NC * NC];
        cohort_stats_covariance(s, 1, c1), cohort_stats_covariance(r, 1, c2);
        bad += memcmp(c1, c2, sizeof c1) != 0;
        cohort_stats_correlation(s, c1), cohort_stats_correlation(r, c2);
        bad += memcmp(c1, c2, sizeof c1) != 0;
        cohort_pca *p = NULL, *q = NULL;
        CU_ASSERT_EQUAL(cohort_pca_compute(T_ctx, s, 3, 0, 1, &p), COHORT_OK);
        CU_ASSERT_EQUAL(cohort_pca_compute(self, r, 3, 0, 1, &q), COHORT_OK);
        if (p && q)
            bad += memcmp(p->components, q->components, 3 * NC * sizeof(double)) != 0 ||
                   memcmp(p->explained_variance, q->explained_variance, 3 * sizeof(double)) != 0;
        cohort_pca_destroy(&p), cohort_pca_destroy(&q);
        /* Regression of column 3 on columns 0-2 (the source's first 4 columns, then the weight). */
        cohort_column rc[5] = {cols[0], cols[1], cols[2], cols[3], cols[NC]}, wr[5] = {wcols[0], wcols[1], wcols[2],
                                                                                      wcols[3], wcols[NC]};
        cohort_regress_options ro = {.weighted = weighted, .reproducible = 1, .ridge = weighted ? 0.5 : 0};
        src = t_blocks_source(&sb, rc, 4 + weighted, 53, MPI_COMM_WORLD);
        cohort_source_columns(&one, &cs, wr, 4 + weighted);
        cohort_regression *g1 = NULL, *g2 = NULL;
        CU_ASSERT_EQUAL(cohort_regress(T_ctx, &src, &ro, &g1), COHORT_OK);
        CU_ASSERT_EQUAL(cohort_regress(self, &one, &ro, &g2), COHORT_OK);
        if (g1 && g2)
            bad += memcmp(g1->coef, g2->coef, 3 * sizeof(double)) != 0 || memcmp(&g1->intercept, &g2->intercept, 8) != 0 ||
                   memcmp(g1->std_error, g2->std_error, 3 * sizeof(double)) != 0 || memcmp(&g1->r2, &g2->r2, 8) != 0;
        cohort_regression_destroy(&g1), cohort_regression_destroy(&g2);
        cohort_stats_destroy(&s), cohort_stats_destroy(&r);
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* TSQR has no reproducible mode. */
    cohort_column cols[4];
    for (int j = 0; j < 4; j++)
        cols[j] = cohort_column_make(NULL, COHORT_DOUBLE, d.n, d.x[j]);
    cohort_columns_source cs;
    cohort_source src;
    cohort_source_columns(&src, &cs, cols, 4);
    cohort_regress_options ro = {.method = COHORT_REGRESS_TSQR, .reproducible = 1};
    cohort_regression *g = NULL;
    CU_ASSERT_EQUAL(cohort_regress(T_ctx, &src, &ro, &g), COHORT_ERR_ARG);
    cohort_ctx_destroy(&self);
    for (int j = 0; j <= NC; j++)
        free(whole.x[j]);
    release(&d);
}

/* y = 3 + 2 x0 − x3 exactly (x0 with NaN rows dropped): every method and
 * ridge 0 finds it; with a duplicated column the rank is short and the
 * minimum-norm solution splits the coefficient. */
static void test_regression(void)
{
    data d;
    make(&d);
    double *y = malloc((size_t)d.n * 8 + 8), *dup = malloc((size_t)d.n * 8 + 8);
    for (int64_t i = 0; i < d.n; i++)
        y[i] = 3 + 2 * d.x[0][i] - d.x[3][i], dup[i] = d.x[0][i];
    for (int method = 0; method < 2; method++) {
        cohort_regress_options o = {.method = method ? COHORT_REGRESS_TSQR : COHORT_REGRESS_CHOLESKY};
        cohort_column cols[4] = {cohort_column_make(NULL, COHORT_DOUBLE, d.n, d.x[0]),
                                 cohort_column_make(NULL, COHORT_DOUBLE, d.n, d.x[3]),
                                 cohort_column_make(NULL, COHORT_DOUBLE, d.n, y),
                                 cohort_column_make(NULL, COHORT_DOUBLE, d.n, d.x[NC])};
        t_blocks sb;
        cohort_source src = t_blocks_source(&sb, cols, 3, 97, MPI_COMM_WORLD);
        cohort_regression *r = NULL;
        CU_ASSERT_EQUAL_FATAL(cohort_regress(T_ctx, &src, &o, &r), COHORT_OK);
        CU_ASSERT(r->rank == 2 && near(r->coef[0], 2, 1e-12) && near(r->coef[1], -1, 1e-12));
        CU_ASSERT(near(r->intercept, 3, 1e-12) && r->r2 > 1 - 1e-13); /* rss <= 1e-13 tss (normal equations cancel) */
        cohort_regression_destroy(&r);

        /* Weighted (rows of weight 0 drop out): the same exact fit. */
        o.weighted = 1;
        src = t_blocks_source(&sb, cols, 4, 97, MPI_COMM_WORLD);
        CU_ASSERT_EQUAL_FATAL(cohort_regress(T_ctx, &src, &o, &r), COHORT_OK);
        CU_ASSERT(near(r->coef[0], 2, 1e-12) && near(r->intercept, 3, 1e-12));
        cohort_regression_destroy(&r);
        o.weighted = 0;

        /* x0 twice: rank 2 of 3, minimum norm gives 1 and 1. */
        cohort_column dcols[4] = {cols[0], cohort_column_make(NULL, COHORT_DOUBLE, d.n, dup), cols[1], cols[2]};
        src = t_blocks_source(&sb, dcols, 4, 97, MPI_COMM_WORLD);
        CU_ASSERT_EQUAL_FATAL(cohort_regress(T_ctx, &src, &o, &r), COHORT_OK);
        CU_ASSERT(r->rank == 2 && near(r->coef[0], 1, 1e-8) && near(r->coef[1], 1, 1e-8) && near(r->coef[2], -1, 1e-8));
        CU_ASSERT(near(r->intercept, 3, 1e-8));
        cohort_regression_destroy(&r);

        /* Ridge: shrinks the coefficients, both methods alike. */
        o.ridge = 1e3;
        src = t_blocks_source(&sb, cols, 3, 97, MPI_COMM_WORLD);
        CU_ASSERT_EQUAL_FATAL(cohort_regress(T_ctx, &src, &o, &r), COHORT_OK);
        CU_ASSERT(fabs(r->coef[0]) < 2 && fabs(r->coef[1]) < 1 && r->rss > 0);
        static double ridge_coef[2][2];
        memcpy(ridge_coef[method], r->coef, sizeof ridge_coef[0]);
        if (method == 1)
            CU_ASSERT(near(ridge_coef[0][0], ridge_coef[1][0], 1e-10) && near(ridge_coef[0][1], ridge_coef[1][1], 1e-10));
        cohort_regression_destroy(&r);
    }
    free(y), free(dup);
    release(&d);
}

/* One rank's bad data or arguments fail every rank with the same status. */
static void test_errors(void)
{
    double x[4] = {1, 2, 3, 4}, w[4] = {1, 1, T_rank == T_size - 1 ? -1 : 1, 1};
    char bytes[8] = "abcdefg";
    cohort_column cols[2] = {cohort_column_make(NULL, COHORT_DOUBLE, 4, x), cohort_column_make(NULL, COHORT_DOUBLE, 4, w)};
    cohort_columns_source cs;
    cohort_source src;
    cohort_stats *s = NULL;
    cohort_source_columns(&src, &cs, cols, 2);
    CU_ASSERT_EQUAL(cohort_stats_compute(T_ctx, &src, COHORT_STATS_WEIGHTED, &s), COHORT_ERR_VALUE);
    CU_ASSERT(s == NULL && strstr(cohort_errmsg(T_ctx), "weight") != NULL);
    if (T_rank == T_size - 1)
        cols[0] = cohort_column_make_bytes(NULL, 2, 4, bytes);
    cohort_source_columns(&src, &cs, cols, 1);
    CU_ASSERT_EQUAL(cohort_stats_compute(T_ctx, &src, 0, &s), COHORT_ERR_TYPE);
    cols[0] = cohort_column_make(NULL, COHORT_DOUBLE, 4, x);
    cohort_source_columns(&src, &cs, cols, 1);
    CU_ASSERT_EQUAL(cohort_stats_compute(T_ctx, &src, T_rank == 0 ? COHORT_STATS_MATRIX : 0, &s),
                    T_size > 1 ? COHORT_ERR_ARG : COHORT_OK);
    cohort_stats_destroy(&s);
    CU_ASSERT_EQUAL(cohort_stats_compute(T_ctx, &src, 0, &s), COHORT_OK);
    cohort_pca *p = NULL;
    CU_ASSERT_EQUAL(cohort_pca_compute(T_ctx, s, 1, 0, 1, &p), COHORT_ERR_ARG); /* no matrix */
    CU_ASSERT_EQUAL(cohort_pca_compute(T_ctx, s, 2, 0, 1, &p), COHORT_ERR_ARG); /* k > d */
    cohort_stats_destroy(&s);
    /* The matrix alone: no per-column moments to ask for; nothing at all is an error. */
    cohort_column_stats cst;
    CU_ASSERT_EQUAL(cohort_stats_compute(T_ctx, &src, COHORT_STATS_MATRIX | COHORT_STATS_NO_MOMENTS, &s), COHORT_OK);
    CU_ASSERT(cohort_stats_column(s, 0, 1, &cst) == COHORT_ERR_ARG && cohort_stats_matrix_rows(s) == 4 * T_size);
    cohort_stats_destroy(&s);
    CU_ASSERT_EQUAL(cohort_stats_compute(T_ctx, &src, COHORT_STATS_NO_MOMENTS, &s), COHORT_ERR_ARG);
    cohort_regression *r = NULL;
    cohort_regress_options o = {.method = COHORT_REGRESS_CHOLESKY, .ridge = T_rank == 0 ? -1 : 0};
    cohort_source_columns(&src, &cs, cols, 2);
    CU_ASSERT_EQUAL(cohort_regress(T_ctx, &src, &o, &r), COHORT_ERR_ARG);
    /* A memory budget too small for the state fails everywhere, cleanly. */
    cohort_ctx_set_memory_budget(T_ctx, T_rank == 0 ? 64 : 0);
    CU_ASSERT_EQUAL(cohort_stats_compute(T_ctx, &src, COHORT_STATS_MATRIX, &s), COHORT_ERR_BUDGET);
    cohort_ctx_set_memory_budget(T_ctx, 0);
    CU_ASSERT(s == NULL && r == NULL);
}

int main(int argc, char **argv)
{
    static const t_test tests[] = {
        {"moments against exact references", test_moments},
        {"moments from small blocks", test_moments_small_blocks},
        {"weighted moments (frequency weights)", test_moments_weighted},
        {"reproducible moments against exact references", test_moments_reproducible},
        {"moments of tiny, constant and all-NaN columns", test_moments_degenerate},
        {"covariance, correlation and PCA", test_covariance},
        {"reproducible covariance, correlation and PCA", test_covariance_reproducible},
        {"reproducible: every result the same bits as one rank's", test_reproducible_bits},
        {"regression: exact fits, rank deficiency, weights, ridge", test_regression},
        {"errors fail on every rank", test_errors},
        {NULL, NULL},
    };
    return t_main(argc, argv, "stats", tests);
}
