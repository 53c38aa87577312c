/*
 * test_hist.c — histograms and quantiles at any rank count equal the same
 * computation on one rank (every rank also holds the whole input and
 * computes it over MPI_COMM_SELF), also when the input arrives in many
 * small blocks, uneven over ranks, with empty ranks; weighted sums agree
 * bit for bit; the sketch keeps its rank-error bound; bad arguments fail
 * on every rank.  (Agreement with numpy is tested in test_hist_app.py.)
 */
#include "harness.h"
#include "ops/ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Global data: value of row g in column j (NaN, infinities, ties, edges). */
static double value(int j, int64_t g)
{
    uint64_t u = t_rand(31 + (uint64_t)j, (uint64_t)g);
    if (u % 97 == 0)
        return NAN;
    if (u % 89 == 0 && j != 1) /* column 1 (y) stays finite, for automatic ranges */
        return u % 2 ? INFINITY : -INFINITY;
    if (u % 7 == 0)
        return (double)(u % 11) * 0.5 - 2; /* exactly on edges of [-2, 3] in 10 bins */
    return ((double)(u >> 11) * 0x1.0p-53) * 6 - 2.5;
}

static int64_t rows_of(int r) { return r == 1 ? 0 : 1000 + 137 * r; } /* uneven; rank 1 empty */

typedef struct data {
    double *x, *y, *w;
    int64_t n, before, N;
} data;

static void make(data *d, bool whole)
{
    d->before = 0, d->N = 0;
    for (int r = 0; r < T_size; r++) {
        d->before += r < T_rank ? rows_of(r) : 0;
        d->N += rows_of(r);
    }
    int64_t start = whole ? 0 : d->before;
    d->n = whole ? d->N : rows_of(T_rank);
    d->x = malloc((size_t)d->n * 8 + 8), d->y = malloc((size_t)d->n * 8 + 8), d->w = malloc((size_t)d->n * 8 + 8);
    for (int64_t i = 0; i < d->n; i++) {
        d->x[i] = value(0, start + i), d->y[i] = value(1, start + i);
        d->w[i] = fabs(value(2, start + i)) < 1e300 ? value(2, start + i) * 1e-3 + 1 : 0.25;
    }
}

static void release(data *d)
{
    free(d->x), free(d->y), free(d->w);
}

static bool same_hist(const cohort_hist *a, const cohort_hist *b)
{
    if (!a || !b || a->size != b->size || a->nan != b->nan || a->underflow != b->underflow ||
        a->overflow != b->overflow || a->total != b->total)
        return false;
    for (int d = 0; d < a->ndim; d++)
        if (memcmp(a->edges[d], b->edges[d], ((size_t)a->nbins[d] + 1) * 8))
            return false;
    if (a->counts)
        return b->counts && !memcmp(a->counts, b->counts, (size_t)a->size * 8);
    return b->values && !memcmp(a->values, b->values, (size_t)a->size * 8); /* bit for bit */
}

/* @first: the column that is dimension 0 (0 = x, which has infinities; 1 = y). */
static void check_hist_col(const cohort_hist_axis *axes, int ndim, int flags, int first)
{
    data part, whole;
    make(&part, false);
    make(&whole, true);
    cohort_column pc[3] = {cohort_column_make("x", COHORT_DOUBLE, part.n, part.x),
                           cohort_column_make("y", COHORT_DOUBLE, part.n, part.y),
                           cohort_column_make("w", COHORT_DOUBLE, part.n, part.w)};
    cohort_column wc[3] = {cohort_column_make("x", COHORT_DOUBLE, whole.n, whole.x),
                           cohort_column_make("y", COHORT_DOUBLE, whole.n, whole.y),
                           cohort_column_make("w", COHORT_DOUBLE, whole.n, whole.w)};
    if (first == 1)
        pc[0] = pc[1], wc[0] = wc[1];
    if (ndim == 1 && (flags & COHORT_HIST_WEIGHTED)) /* the weights follow the data columns */
        pc[1] = pc[2], wc[1] = wc[2];
    int ncols = ndim + ((flags & COHORT_HIST_WEIGHTED) ? 1 : 0);
    t_blocks sb;
    cohort_source src = t_blocks_source(&sb, pc, ncols, 29, MPI_COMM_WORLD);
    cohort_hist *h = NULL, *ref = NULL;
    CU_ASSERT_EQUAL(cohort_histogram(T_ctx, &src, axes, ndim, flags, &h), COHORT_OK);
    cohort_ctx *self;
    cohort_ctx_create(MPI_COMM_SELF, &self);
    cohort_columns_source cs;
    cohort_source_columns(&src, &cs, wc, ncols);
    CU_ASSERT_EQUAL(cohort_histogram(self, &src, axes, ndim, flags, &ref), COHORT_OK);
    CU_ASSERT(same_hist(h, ref));
    if (ref) {
        CU_ASSERT_EQUAL(ref->total, whole.N);
        int64_t binned = 0;
        for (int64_t b = 0; ref->counts && b < ref->size; b++)
            binned += ref->counts[b];
        if (ref->counts && !(flags & COHORT_HIST_CUMULATIVE))
            CU_ASSERT_EQUAL(binned + ref->nan + ref->underflow + ref->overflow, ref->total);
    }
    cohort_hist_destroy(&h);
    cohort_hist_destroy(&ref);
    cohort_ctx_destroy(&self);
    release(&part);
    release(&whole);
}

static void check_hist(const cohort_hist_axis *axes, int ndim, int flags) { check_hist_col(axes, ndim, flags, 0); }

static void test_histograms(void)
{
    double edges[] = {-3, -1, -1, 0, 0.5, 2.5, 3};
    cohort_hist_axis fixed = {10, -2, 3, 0, NULL, 0, 0}, autor = {7, NAN, NAN, 0, NULL, 0, 0};
    cohort_hist_axis logb = {6, 0.01, 2, 1, NULL, 0, 0}, explicit = {0, NAN, NAN, 0, edges, 7, 0};
    check_hist(&fixed, 1, 0);
    check_hist_col(&autor, 1, 0, 1);
    check_hist(&logb, 1, 0);
    check_hist(&explicit, 1, 0);
    check_hist(&fixed, 1, COHORT_HIST_WEIGHTED);
    check_hist(&fixed, 1, COHORT_HIST_WEIGHTED | COHORT_HIST_DENSITY);
    check_hist_col(&autor, 1, COHORT_HIST_DENSITY | COHORT_HIST_CUMULATIVE, 1);
    check_hist(&explicit, 1, COHORT_HIST_CUMULATIVE);
    cohort_hist_axis two[2] = {{5, -2, 3, 0, NULL, 0, 0}, {4, NAN, NAN, 0, NULL, 0, 0}};
    check_hist(two, 2, 0);
    check_hist(two, 2, COHORT_HIST_DENSITY);
}

static void test_histogram_errors(void)
{
    double x[3] = {1, 2, 3};
    cohort_column c = cohort_column_make("x", COHORT_DOUBLE, 3, x);
    cohort_columns_source cs;
    cohort_source src;
    cohort_source_columns(&src, &cs, &c, 1);
    cohort_hist *h = NULL;
    cohort_hist_axis bad[] = {{0, 0, 1, 0, NULL, 0, 0}, {5, 2, 1, 0, NULL, 0, 0}, {5, -1, 1, 1, NULL, 0, 0},
                              {5, 0, INFINITY, 0, NULL, 0, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CU_ASSERT_EQUAL(cohort_histogram(T_ctx, &src, &bad[i], 1, 0, &h), COHORT_ERR_ARG);
        CU_ASSERT_PTR_NULL(h);
    }
    double inf_data[3] = {1, INFINITY, 3};
    cohort_column ic = cohort_column_make("x", COHORT_DOUBLE, 3, inf_data);
    cohort_source_columns(&src, &cs, &ic, 1);
    cohort_hist_axis autor = {5, NAN, NAN, 0, NULL, 0, 0};
    CU_ASSERT_EQUAL(cohort_histogram(T_ctx, &src, &autor, 1, 0, &h), COHORT_ERR_VALUE); /* the data's fault */
    CU_ASSERT_PTR_NOT_NULL(strstr(cohort_errmsg(T_ctx), "not finite"));
    cohort_source_columns(&src, &cs, &c, 1);
    double e[] = {0, 2, 1};
    cohort_hist_axis dec = {0, NAN, NAN, 0, e, 3, 0};
    CU_ASSERT_EQUAL(cohort_histogram(T_ctx, &src, &dec, 1, 0, &h), COHORT_ERR_ARG);
    cohort_hist_axis ok = {5, 0, 4, 0, NULL, 0, 0};
    CU_ASSERT_EQUAL(cohort_histogram(T_ctx, &src, &ok, 1, COHORT_HIST_WEIGHTED, &h), COHORT_ERR_ARG); /* no weight column */
    /* Strings are not numbers. */
    char s[3][4] = {"a", "b", "c"};
    cohort_column sc = cohort_column_make_bytes("s", 4, 3, s);
    cohort_source_columns(&src, &cs, &sc, 1);
    CU_ASSERT_EQUAL(cohort_histogram(T_ctx, &src, &ok, 1, 0, &h), COHORT_ERR_TYPE);
    /* Flags that differ between ranks. */
    cohort_source_columns(&src, &cs, &c, 1);
    CU_ASSERT_EQUAL(cohort_histogram(T_ctx, &src, &ok, 1, T_rank == 0 ? COHORT_HIST_DENSITY : 0, &h),
                    T_size > 1 ? COHORT_ERR_ARG : COHORT_OK);
    cohort_hist_destroy(&h);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_quantiles(void)
{
    data part, whole;
    make(&part, false);
    make(&whole, true);
    /* The oracle: the non-NaN values, sorted. */
    double *sorted = malloc((size_t)whole.n * 8 + 8);
    int64_t N = 0;
    for (int64_t i = 0; i < whole.n; i++)
        if (whole.x[i] == whole.x[i])
            sorted[N++] = whole.x[i];
    qsort(sorted, (size_t)N, 8, cmp_double);
    double q[] = {0, 0.001, 0.25, 0.5, 0.5001, 0.9, 1};
    int m = 7;
    cohort_column pc = cohort_column_make("x", COHORT_DOUBLE, part.n, part.x);
    for (int method = COHORT_QUANTILE_LINEAR; method <= COHORT_QUANTILE_MIDPOINT; method++) {
        t_blocks sb;
        cohort_source src = t_blocks_source(&sb, &pc, 1, 53, MPI_COMM_WORLD);
        double got[7];
        int64_t count = -1, nan = -1;
        CU_ASSERT_EQUAL(cohort_quantiles(T_ctx, &src, q, m, (cohort_quantile_method)method, got, &count, &nan), COHORT_OK);
        CU_ASSERT_EQUAL(count, N);
        CU_ASSERT_EQUAL(nan + count, whole.N);
        for (int k = 0; k < m; k++) {
            double h = (double)(N - 1) * q[k];
            int64_t lo = (int64_t)floor(h), hi = (int64_t)ceil(h);
            if (method == COHORT_QUANTILE_LOWER)
                CU_ASSERT_EQUAL(got[k], sorted[lo]);
            if (method == COHORT_QUANTILE_HIGHER)
                CU_ASSERT_EQUAL(got[k], sorted[hi]);
            if (method == COHORT_QUANTILE_NEAREST)
                CU_ASSERT_EQUAL(got[k], sorted[(int64_t)nearbyint(h)]);
            if (method == COHORT_QUANTILE_LINEAR && isfinite(sorted[lo]) && isfinite(sorted[hi]))
                CU_ASSERT(got[k] >= sorted[lo] && got[k] <= sorted[hi]);
        }
    }
    /* The sketch: every answer within eps N ranks of floor(q (N - 1)). */
    double eps = 0.01;
    t_blocks sb;
    cohort_source src = t_blocks_source(&sb, &pc, 1, 41, MPI_COMM_WORLD);
    double got[7];
    int64_t count;
    CU_ASSERT_EQUAL(cohort_quantiles_approx(T_ctx, &src, q, m, eps, got, &count, NULL), COHORT_OK);
    CU_ASSERT_EQUAL(count, N);
    for (int k = 0; k < m; k++) {
        int64_t want = (int64_t)floor(q[k] * (double)(N - 1));
        /* The value's ranks in the sorted data: [first, last] positions holding it. */
        int64_t first = 0, last;
        while (first < N && sorted[first] < got[k])
            first++;
        last = first;
        while (last + 1 < N && sorted[last + 1] == got[k])
            last++;
        int64_t err = want < first ? first - want : want > last ? want - last : 0;
        CU_ASSERT(err <= (int64_t)ceil(eps * (double)N));
    }
    /* No values: NaN answers, counts zero. */
    cohort_column none = cohort_column_make("x", COHORT_DOUBLE, 0, NULL);
    cohort_columns_source cs;
    cohort_source_columns(&src, &cs, &none, 1);
    CU_ASSERT_EQUAL(cohort_quantiles(T_ctx, &src, q, m, COHORT_QUANTILE_LINEAR, got, &count, NULL), COHORT_OK);
    CU_ASSERT(isnan(got[3]) && count == 0);
    double badq = 1.5;
    CU_ASSERT_EQUAL(cohort_quantiles(T_ctx, &src, &badq, 1, COHORT_QUANTILE_LINEAR, got, NULL, NULL), COHORT_ERR_ARG);
    CU_ASSERT_EQUAL(cohort_quantiles_approx(T_ctx, &src, q, 1, 0, got, NULL, NULL), COHORT_ERR_ARG);
    /* An accuracy no bounded sketch meets (#21: a heap overflow once). */
    CU_ASSERT_EQUAL(cohort_quantiles_approx(T_ctx, &src, q, 1, 1e-18, got, NULL, NULL), COHORT_ERR_ARG);
    CU_ASSERT_PTR_NOT_NULL(strstr(cohort_errmsg(T_ctx), "1e-5"));
    free(sorted);
    release(&part);
    release(&whole);
}

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Integer keys of every width: exact order statistics. */
static void test_quantiles_integers(void)
{
    static const cohort_type types[] = {COHORT_INT8, COHORT_UINT16, COHORT_INT32, COHORT_UINT64, COHORT_INT64};
    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        int64_t n = 500 + 31 * T_rank, before = 0;
        for (int r = 0; r < T_rank; r++)
            before += 500 + 31 * r;
        int64_t N = before;
        for (int r = T_rank; r < T_size; r++)
            N += 500 + 31 * r;
        int64_t *all = malloc((size_t)N * 8);
        unsigned char *mine = malloc((size_t)n * 8);
        size_t w = cohort_type_size(types[t]);
        for (int64_t g = 0; g < N; g++) {
            int64_t v = (int64_t)(t_rand(5, (uint64_t)g) % 200) - (cohort_type_is_signed(types[t]) ? 100 : 0);
            all[g] = v;
        }
        for (int64_t i = 0; i < n; i++)
            memcpy(mine + (size_t)i * w, &all[before + i], w); /* little-endian truncation keeps small values */
        qsort(all, (size_t)N, 8, cmp_int64);
        cohort_column c = cohort_column_make("k", types[t], n, mine);
        cohort_columns_source cs;
        cohort_source src;
        cohort_source_columns(&src, &cs, &c, 1);
        double q[3] = {0, 0.37, 1}, got[3];
        CU_ASSERT_EQUAL(cohort_quantiles(T_ctx, &src, q, 3, COHORT_QUANTILE_LOWER, got, NULL, NULL), COHORT_OK);
        for (int k = 0; k < 3; k++)
            CU_ASSERT_EQUAL(got[k], (double)all[(int64_t)floor(q[k] * (double)(N - 1))]);
        free(all);
        free(mine);
    }
}

/* The same without gathering the last candidates into memory. */
static void test_quantiles_no_gather(void)
{
    int64_t saved = cohort__quantile_candidates_max;
    cohort__quantile_candidates_max = -1;
    test_quantiles();
    test_quantiles_integers();
    cohort__quantile_candidates_max = saved;
}

int main(int argc, char **argv)
{
    static const t_test tests[] = {
        {"histograms: any rank count, small blocks, empty ranks", test_histograms},
        {"histograms: bad arguments", test_histogram_errors},
        {"quantiles: exact, every method; the sketch's bound", test_quantiles},
        {"quantiles of integers", test_quantiles_integers},
        {"quantiles, reading the data for every digit", test_quantiles_no_gather},
        {NULL, NULL},
    };
    return t_main(argc, argv, "hist", tests);
}
