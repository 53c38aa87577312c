/*
 * test_ports.c — cases ported from numpy's and pandas' own test suites (as
 * Debian's python3-numpy 1.24 and python3-pandas 1.5 install them), run
 * through the C API with the rows spread over the ranks (row g on rank
 * g % ranks, so that every case is split at 2, 3 and 4 ranks).  Each test
 * names its origin; the expected values are the originals' own.
 *
 * Where Cohort is more exact than numpy or pandas, the case says so and
 * checks against the exact value.  The cases that cannot be expressed are
 * listed at the end of this file, with the reason.
 */
#include "harness.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- rows spread over the ranks ---------------------------------------------- */

typedef struct spread {
    cohort_column cols[8];
    void *buf[8];
    int ncols;
    cohort_columns_source cs;
    cohort_source src;
} spread;

/* A source of this rank's share of @ncols columns of @n global rows. */
static cohort_source *spread_make(spread *s, const cohort_column *cols, int ncols)
{
    s->ncols = ncols;
    for (int c = 0; c < ncols; c++) {
        int64_t n = cols[c].count, k = 0;
        s->buf[c] = malloc((size_t)(n + 1) * cols[c].width);
        for (int64_t g = 0; g < n; g++)
            if (g % T_size == T_rank)
                memcpy((char *)s->buf[c] + (size_t)k++ * cols[c].width, (const char *)cols[c].data + (size_t)g * cols[c].width,
                       cols[c].width);
        s->cols[c] = cols[c];
        s->cols[c].count = k, s->cols[c].data = s->buf[c];
    }
    cohort_source_columns(&s->src, &s->cs, s->cols, ncols);
    return &s->src;
}

static void spread_free(spread *s)
{
    for (int c = 0; c < s->ncols; c++)
        free(s->buf[c]);
}

/* A 1-D histogram of x[0, n) (weights w or NULL). */
static cohort_hist *hist1(const double *x, int64_t n, const double *w, cohort_hist_axis ax, int flags, int *st)
{
    cohort_column cols[2] = {cohort_column_make("x", COHORT_DOUBLE, n, (void *)x),
                             cohort_column_make("w", COHORT_DOUBLE, n, (void *)w)};
    spread s;
    cohort_hist *h = NULL;
    *st = cohort_histogram(T_ctx, spread_make(&s, cols, w ? 2 : 1), &ax, 1, flags | (w ? COHORT_HIST_WEIGHTED : 0), &h);
    spread_free(&s);
    return h;
}

static cohort_hist_axis bins_range(int64_t bins, double lo, double hi)
{
    return (cohort_hist_axis){.bins = bins, .lo = lo, .hi = hi};
}

static cohort_hist_axis bins_auto(int64_t bins) { return bins_range(bins, NAN, NAN); }

static cohort_hist_axis edges_of(const double *e, int64_t ne) { return (cohort_hist_axis){.edges = e, .nedges = ne}; }

static cohort_hist_axis rule_of(cohort_hist_bin_rule r, double lo, double hi)
{
    return (cohort_hist_axis){.bins = 1, .lo = lo, .hi = hi, .rule = r};
}

static int64_t count_sum(const cohort_hist *h)
{
    int64_t s = 0;
    for (int64_t b = 0; h && b < h->size; b++)
        s += h->counts ? h->counts[b] : 0;
    return s;
}

/* numpy.linspace(a, b, n), as numpy computes it. */
static double *linspace(double a, double b, int64_t n)
{
    double *x = malloc((size_t)(n + 1) * sizeof *x), step = (b - a) / (double)(n - 1);
    for (int64_t i = 0; i < n; i++)
        x[i] = (double)i * step + a;
    if (n > 1)
        x[n - 1] = b;
    return x;
}

static bool close_rel(double a, double b, double rel) { return fabs(a - b) <= rel * fabs(b) || a == b; }

/* ==== numpy/lib/tests/test_histograms.py ======================================= */

/* TestHistogram::test_simple: the linspace part (the random part only
 * checks that the counts sum to n, which every test here does). */
static void test_np_hist_simple(void)
{
    int st;
    double *x = linspace(0, 10, 100);
    cohort_hist *h = hist1(x, 100, NULL, bins_auto(10), 0, &st);
    CU_ASSERT_EQUAL_FATAL(st, COHORT_OK);
    for (int b = 0; b < 10; b++)
        CU_ASSERT_EQUAL(h->counts[b], 10);
    cohort_hist_destroy(&h);
    free(x);
}

/* TestHistogram::test_one_bin (ticket 632). */
static void test_np_hist_one_bin(void)
{
    int st;
    double x[4] = {1, 2, 3, 4}, e[2] = {1, 2};
    cohort_hist *h = hist1(x, 4, NULL, edges_of(e, 2), 0, &st);
    CU_ASSERT(st == COHORT_OK && h->counts[0] == 2 && h->edges[0][0] == 1 && h->edges[0][1] == 2);
    cohort_hist_destroy(&h);
    h = hist1(x, 2, NULL, bins_auto(0), 0, &st); /* bins=0: ValueError */
    CU_ASSERT(st == COHORT_ERR_ARG && h == NULL);
    h = hist1(x, 2, NULL, bins_auto(1), 0, &st);
    CU_ASSERT(st == COHORT_OK && h->counts[0] == 2 && h->edges[0][0] == 1. && h->edges[0][1] == 2.);
    cohort_hist_destroy(&h);
}

/* TestHistogram::test_density: non-constant widths, infinite bins, and
 * N. Becker's report (numpy-discussion, 2010-08-06). */
static void test_np_hist_density(void)
{
    int st;
    double v[10], e1[5] = {0, 1, 3, 6, 10}, e2[5] = {0, 1, 3, 6, INFINITY};
    for (int i = 0; i < 10; i++)
        v[i] = i;
    cohort_hist *h = hist1(v, 10, NULL, edges_of(e1, 5), COHORT_HIST_DENSITY, &st);
    CU_ASSERT_EQUAL_FATAL(st, COHORT_OK);
    double area = 0;
    for (int b = 0; b < 4; b++) {
        CU_ASSERT(h->values[b] == .1);
        area += h->values[b] * (e1[b + 1] - e1[b]);
    }
    CU_ASSERT(area == 1);
    cohort_hist_destroy(&h);
    h = hist1(v, 10, NULL, edges_of(e1, 5), 0, &st);
    CU_ASSERT(st == COHORT_OK && h->counts[0] == 1 && h->counts[1] == 2 && h->counts[2] == 3 && h->counts[3] == 4);
    cohort_hist_destroy(&h);
    h = hist1(v, 10, NULL, edges_of(e2, 5), COHORT_HIST_DENSITY, &st);
    CU_ASSERT(st == COHORT_OK && h->values[0] == .1 && h->values[1] == .1 && h->values[2] == .1 && h->values[3] == 0);
    cohort_hist_destroy(&h);
    double x[4] = {1, 2, 3, 4}, e3[3] = {0.5, 1.5, INFINITY};
    h = hist1(x, 4, NULL, edges_of(e3, 3), COHORT_HIST_DENSITY, &st);
    CU_ASSERT(st == COHORT_OK && h->values[0] == .25 && h->values[1] == 0);
    cohort_hist_destroy(&h);
}

/* TestHistogram::test_outliers. */
static void test_np_hist_outliers(void)
{
    int st;
    double a[10], w[10];
    for (int i = 0; i < 10; i++)
        a[i] = i + .5, w[i] = i + .5;
    cohort_hist *h = hist1(a, 10, NULL, bins_range(10, 0, 9), 0, &st);
    CU_ASSERT(st == COHORT_OK && count_sum(h) == 9 && h->overflow == 1);
    cohort_hist_destroy(&h);
    h = hist1(a, 10, NULL, bins_range(10, 1, 10), 0, &st);
    CU_ASSERT(st == COHORT_OK && count_sum(h) == 9 && h->underflow == 1);
    cohort_hist_destroy(&h);
    h = hist1(a, 10, NULL, bins_range(10, 1, 9), COHORT_HIST_DENSITY, &st);
    double area = 0;
    for (int b = 0; st == COHORT_OK && b < 10; b++)
        area += h->values[b] * (h->edges[0][b + 1] - h->edges[0][b]);
    CU_ASSERT(st == COHORT_OK && fabs(area - 1) < 1e-15);
    cohort_hist_destroy(&h);
    h = hist1(a, 10, w, bins_range(10, 1, 9), COHORT_HIST_DENSITY, &st);
    area = 0;
    for (int b = 0; st == COHORT_OK && b < 10; b++)
        area += h->values[b] * (h->edges[0][b + 1] - h->edges[0][b]);
    CU_ASSERT(st == COHORT_OK && fabs(area - 1) < 1e-15);
    cohort_hist_destroy(&h);
    h = hist1(a, 10, w, bins_range(8, 1, 9), 0, &st); /* h == w[1:-1] */
    for (int b = 0; st == COHORT_OK && b < 8; b++)
        CU_ASSERT(h->values[b] == w[b + 1]);
    cohort_hist_destroy(&h);
}

/* TestHistogram::test_weights (the deterministic parts). */
static void test_np_hist_weights(void)
{
    int st;
    double *v = linspace(0, 10, 10), w[10], e[11];
    for (int i = 0; i < 11; i++)
        e[i] = i, w[i < 10 ? i : 9] = i < 5 ? 0 : 1;
    cohort_hist *h = hist1(v, 10, w, edges_of(e, 11), 0, &st);
    for (int b = 0; st == COHORT_OK && b < 10; b++)
        CU_ASSERT(h->values[b] == w[b]);
    CU_ASSERT_EQUAL(st, COHORT_OK);
    cohort_hist_destroy(&h);
    double x[4] = {1, 2, 2, 4}, xw[4] = {4, 3, 2, 1};
    h = hist1(x, 4, xw, bins_auto(4), 0, &st);
    CU_ASSERT(st == COHORT_OK && h->values[0] == 4 && h->values[1] == 5 && h->values[2] == 0 && h->values[3] == 1);
    cohort_hist_destroy(&h);
    h = hist1(x, 4, xw, bins_auto(4), COHORT_HIST_DENSITY, &st);
    double want[4] = {4, 5, 0, 1};
    for (int b = 0; st == COHORT_OK && b < 4; b++)
        CU_ASSERT(close_rel(h->values[b], want[b] / 10. / 3. * 4, 1e-15));
    cohort_hist_destroy(&h);
    double a9[9], w9[9] = {2, 1, 1, 1, 1, 1, 1, 1, 1}, e5[5] = {0, 1, 3, 6, 10}, want5[4] = {.2, .1, .1, .075};
    for (int i = 0; i < 9; i++)
        a9[i] = i;
    h = hist1(a9, 9, w9, edges_of(e5, 5), COHORT_HIST_DENSITY, &st);
    for (int b = 0; st == COHORT_OK && b < 4; b++)
        CU_ASSERT(close_rel(h->values[b], want5[b], 1e-15));
    CU_ASSERT_EQUAL(st, COHORT_OK);
    cohort_hist_destroy(&h);
    free(v);
}

/* TestHistogram::test_empty, test_finite_range, test_invalid_range,
 * test_unsigned_monotonicity_check, test_last_bin_inclusive_range,
 * test_histogram_bin_edges. */
static void test_np_hist_edges_and_ranges(void)
{
    int st;
    double e01[2] = {0, 1};
    cohort_hist *h = hist1(NULL, 0, NULL, edges_of(e01, 2), 0, &st);
    CU_ASSERT(st == COHORT_OK && h->counts[0] == 0 && h->edges[0][0] == 0 && h->edges[0][1] == 1);
    cohort_hist_destroy(&h);
    double *vals = linspace(0, 1, 100);
    h = hist1(vals, 100, NULL, bins_range(10, 0.25, 0.75), 0, &st);
    CU_ASSERT_EQUAL(st, COHORT_OK);
    cohort_hist_destroy(&h);
    h = hist1(vals, 100, NULL, bins_range(10, NAN, 0.75), 0, &st);
    CU_ASSERT_EQUAL(st, COHORT_ERR_ARG);
    h = hist1(vals, 100, NULL, bins_range(10, 0.25, INFINITY), 0, &st);
    CU_ASSERT_EQUAL(st, COHORT_ERR_ARG);
    h = hist1(vals, 100, NULL, bins_range(10, 0.1, 0.01), 0, &st);
    CU_ASSERT_EQUAL(st, COHORT_ERR_ARG);
    double two[1] = {2}, nonmono[3] = {1, 3, 1};
    h = hist1(two, 1, NULL, edges_of(nonmono, 3), 0, &st);
    CU_ASSERT_EQUAL(st, COHORT_ERR_ARG);
    double arr[9] = {0., 0., 0., 1., 2., 3., 3., 4., 5.};
    h = hist1(arr, 9, NULL, bins_range(30, -0.5, 5), 0, &st);
    CU_ASSERT(st == COHORT_OK && h->counts[29] == 1);
    cohort_hist_destroy(&h);
    free(vals);
}

/* TestHistogram::test_bin_edge_cases: every value lies within the edges
 * of the bin it was counted in. */
static void test_np_hist_bin_edge_cases(void)
{
    int st;
    double arr[7] = {337, 404, 739, 806, 1007, 1811, 2012};
    cohort_hist *h = hist1(arr, 7, NULL, bins_range(8296, 2, 2280), 0, &st);
    CU_ASSERT_EQUAL_FATAL(st, COHORT_OK);
    int k = 0;
    for (int64_t b = 0; b < h->size; b++)
        if (h->counts[b] > 0) {
            CU_ASSERT(k < 7 && arr[k] >= h->edges[0][b] && arr[k] < h->edges[0][b + 1]);
            k++;
        }
    CU_ASSERT_EQUAL(k, 7);
    cohort_hist_destroy(&h);
}

/* TestHistogram::test_object_array_of_0d (gh-7864) and
 * test_some_nan_values (gh-7503).  numpy refuses NaN in an automatic
 * range; Cohort leaves NaN out (nanhistogram semantics) and bins the rest. */
static void test_np_hist_nan_and_inf(void)
{
    int st;
    double x[11];
    for (int i = 0; i < 10; i++)
        x[i] = 0.4;
    x[10] = -INFINITY;
    cohort_hist *h = hist1(x, 11, NULL, bins_auto(10), 0, &st);
    CU_ASSERT_EQUAL(st, COHORT_ERR_VALUE); /* autodetected range is not finite: the data's fault */
    x[10] = INFINITY;
    h = hist1(x, 11, NULL, bins_auto(10), 0, &st);
    CU_ASSERT_EQUAL(st, COHORT_ERR_VALUE);
    for (int i = 0; i < 10; i++)
        x[i] = 0.5;
    x[10] = .500000000000001; /* these should not crash */
    h = hist1(x, 11, NULL, bins_auto(10), 0, &st);
    CU_ASSERT(st == COHORT_OK && count_sum(h) == 11);
    cohort_hist_destroy(&h);
    x[10] = .5;
    h = hist1(x, 11, NULL, bins_auto(10), 0, &st);
    CU_ASSERT(st == COHORT_OK && count_sum(h) == 11);
    cohort_hist_destroy(&h);
    double one_nan[3] = {0, 1, NAN}, all_nan[2] = {NAN, NAN}, e01[2] = {0, 1};
    h = hist1(one_nan, 3, NULL, rule_of(COHORT_HIST_BINS_AUTO, 0, 1), 0, &st);
    CU_ASSERT(st == COHORT_OK && count_sum(h) == 2 && h->nan == 1);
    cohort_hist_destroy(&h);
    h = hist1(all_nan, 2, NULL, rule_of(COHORT_HIST_BINS_AUTO, 0, 1), 0, &st);
    CU_ASSERT(st == COHORT_OK && count_sum(h) == 0 && h->nan == 2);
    cohort_hist_destroy(&h);
    h = hist1(one_nan, 3, NULL, edges_of(e01, 2), 0, &st);
    CU_ASSERT(st == COHORT_OK && count_sum(h) == 2);
    cohort_hist_destroy(&h);
    h = hist1(all_nan, 2, NULL, edges_of(e01, 2), 0, &st);
    CU_ASSERT(st == COHORT_OK && count_sum(h) == 0);
    cohort_hist_destroy(&h);
    /* numpy: ValueError on the automatic range; Cohort: the range of [0, 1]. */
    h = hist1(one_nan, 3, NULL, rule_of(COHORT_HIST_BINS_AUTO, NAN, NAN), 0, &st);
    CU_ASSERT(st == COHORT_OK && count_sum(h) == 2);
    cohort_hist_destroy(&h);
}

/* TestHistogram::test_signed_overflow_bounds: int8 to int64 data whose
 * span overflows the type. */
static void test_np_hist_signed_overflow_bounds(void)
{
    for (int bytes = 1; bytes <= 8; bytes *= 2) {
        int exponent = 8 * bytes - 1;
        int64_t lo = (int64_t)(-ldexp(1, exponent)) + 4, hi = (int64_t)(ldexp(1, exponent) - 4);
        unsigned char data[16];
        cohort_type t = bytes == 1 ? COHORT_INT8 : bytes == 2 ? COHORT_INT16 : bytes == 4 ? COHORT_INT32 : COHORT_INT64;
        if (bytes == 8) { /* 2^63 - 4 as int64 */
            hi = INT64_MAX - 3;
            lo = INT64_MIN + 4;
        }
        memcpy(data, &lo, bytes), memcpy(data + bytes, &hi, bytes); /* little-endian: the low bytes */
        cohort_column col = cohort_column_make("a", t, 2, data);
        spread s;
        cohort_hist_axis ax = bins_auto(2);
        cohort_hist *h = NULL;
        CU_ASSERT_EQUAL(cohort_histogram(T_ctx, spread_make(&s, &col, 1), &ax, 1, 0, &h), COHORT_OK);
        if (h) {
            CU_ASSERT(h->counts[0] == 1 && h->counts[1] == 1);
            CU_ASSERT(h->edges[0][0] == (double)lo && h->edges[0][1] == 0 && h->edges[0][2] == (double)hi);
        }
        cohort_hist_destroy(&h);
        spread_free(&s);
    }
}

/* TestHistogram::test_precision: float32 data whose range's ends round to
 * the value in float32 (gh-10322). */
static void test_np_hist_precision(void)
{
    float one = 1.0f;
    double ranges[2][2] = {{1.0 + DBL_EPSILON, 2.0}, {0.0, 1.0 - DBL_EPSILON / 2}};
    for (int k = 0; k < 2; k++) {
        cohort_column col = cohort_column_make("a", COHORT_FLOAT, 1, &one);
        spread s;
        cohort_hist_axis ax = bins_range(1, ranges[k][0], ranges[k][1]);
        cohort_hist *h = NULL;
        CU_ASSERT_EQUAL(cohort_histogram(T_ctx, spread_make(&s, &col, 1), &ax, 1, 0, &h), COHORT_OK);
        CU_ASSERT(h && h->counts[0] == 1);
        cohort_hist_destroy(&h);
        spread_free(&s);
    }
}

/* ---- TestHistogramOptimBinNums ---------------------------------------------------- */

static const cohort_hist_bin_rule RULES[8] = {COHORT_HIST_BINS_FD,     COHORT_HIST_BINS_SCOTT, COHORT_HIST_BINS_RICE,
                                              COHORT_HIST_BINS_STURGES, COHORT_HIST_BINS_DOANE, COHORT_HIST_BINS_SQRT,
                                              COHORT_HIST_BINS_AUTO,   COHORT_HIST_BINS_STONE};
enum { FD, SCOTT, RICE, STURGES, DOANE, SQRT, AUTO, STONE };

static int64_t nbins_of(const double *x, int64_t n, cohort_hist_bin_rule r, double lo, double hi)
{
    int st;
    cohort_hist *h = hist1(x, n, NULL, rule_of(r, lo, hi), 0, &st);
    int64_t b = st == COHORT_OK ? h->nbins[0] : -1;
    cohort_hist_destroy(&h);
    return b;
}

/* The two-peak uniform mixture of test_simple and test_simple_range. */
static double *mixture(int testlen, bool third, int64_t *n)
{
    int64_t n1 = testlen / 5 * 2, n2 = testlen / 5 * 3, n3 = third ? testlen : 0;
    double *x = malloc((size_t)(n1 + n2 + n3) * sizeof *x), *a = linspace(-10, -1, n1), *b = linspace(1, 10, n2);
    double *c = third ? linspace(-100, -50, n3) : NULL;
    memcpy(x, a, (size_t)n1 * 8), memcpy(x + n1, b, (size_t)n2 * 8);
    if (c)
        memcpy(x + n1 + n2, c, (size_t)n3 * 8);
    free(a), free(b), free(c);
    *n = n1 + n2 + n3;
    return x;
}

/* test_empty, test_simple, test_small, test_novariance. */
static void test_np_optim_bins(void)
{
    for (int k = 0; k < 8; k++) { /* test_empty: one bin [0, 1] */
        int st;
        cohort_hist *h = hist1(NULL, 0, NULL, rule_of(RULES[k], NAN, NAN), 0, &st);
        CU_ASSERT(st == COHORT_OK && h->nbins[0] == 1 && h->counts[0] == 0 && h->edges[0][0] == 0 && h->edges[0][1] == 1);
        cohort_hist_destroy(&h);
    }
    static const int lens[3] = {50, 500, 5000};
    static const int64_t simple[3][8] = {{4, 4, 8, 7, 8, 8, 7, 2}, {8, 8, 16, 10, 12, 23, 10, 9},
                                         {17, 17, 35, 14, 17, 71, 17, 20}};
    for (int t = 0; t < 3; t++) {
        int64_t n;
        double *x = mixture(lens[t], false, &n);
        for (int k = 0; k < 8; k++)
            CU_ASSERT_EQUAL(nbins_of(x, n, RULES[k], NAN, NAN), simple[t][k]);
        free(x);
    }
    static const int64_t small[3][8] = {{1, 1, 1, 1, 1, 1, -1, 1}, {2, 1, 3, 2, 1, 2, -1, 1}, {2, 2, 3, 3, 3, 2, -1, 1}};
    for (int len = 1; len <= 3; len++) {
        double x[3] = {0, 1, 2};
        for (int k = 0; k < 8; k++)
            if (small[len - 1][k] > 0)
                CU_ASSERT_EQUAL(nbins_of(x, len, RULES[k], NAN, NAN), small[len - 1][k]);
    }
    double ones[100];
    for (int i = 0; i < 100; i++)
        ones[i] = 1;
    for (int k = 0; k < 8; k++)
        CU_ASSERT_EQUAL(nbins_of(ones, 100, RULES[k], NAN, NAN), 1);
}

/* test_limited_variance, test_outlier, test_simple_range,
 * test_signed_integer_data, test_simple_weighted. */
static void test_np_optim_bins_more(void)
{
    double *lim = malloc(1000 * sizeof *lim);
    for (int i = 0; i < 1000; i++)
        lim[i] = i < 3 ? 0 : i >= 996 ? 100 : 1;
    int st;
    cohort_hist *h = hist1(lim, 1000, NULL, rule_of(COHORT_HIST_BINS_AUTO, NAN, NAN), 0, &st);
    double *want = linspace(0, 100, 12);
    CU_ASSERT(st == COHORT_OK && h->nbins[0] == 11 && memcmp(h->edges[0], want, 12 * 8) == 0);
    cohort_hist_destroy(&h);
    CU_ASSERT_EQUAL(nbins_of(lim, 1000, COHORT_HIST_BINS_FD, NAN, NAN), 1);
    CU_ASSERT_EQUAL(nbins_of(lim, 1000, COHORT_HIST_BINS_STURGES, NAN, NAN), 11);
    free(want), free(lim);
    double *xc = linspace(-10, 10, 50), *xo = linspace(-110, -100, 5), out[55];
    memcpy(out, xo, 5 * 8), memcpy(out + 5, xc, 50 * 8);
    CU_ASSERT_EQUAL(nbins_of(out, 55, COHORT_HIST_BINS_FD, NAN, NAN), 21);
    CU_ASSERT_EQUAL(nbins_of(out, 55, COHORT_HIST_BINS_SCOTT, NAN, NAN), 5);
    CU_ASSERT_EQUAL(nbins_of(out, 55, COHORT_HIST_BINS_DOANE, NAN, NAN), 11);
    CU_ASSERT_EQUAL(nbins_of(out, 55, COHORT_HIST_BINS_STONE, NAN, NAN), 6);
    free(xc), free(xo);
    static const int lens[3] = {50, 500, 5000};
    static const int64_t ranged[3][6] = {{8, 8, 15, 14, 14, 8}, {15, 16, 32, 20, 20, 80}, {33, 33, 69, 27, 33, 80}};
    static const cohort_hist_bin_rule rr[6] = {COHORT_HIST_BINS_FD, COHORT_HIST_BINS_SCOTT, COHORT_HIST_BINS_RICE,
                                               COHORT_HIST_BINS_STURGES, COHORT_HIST_BINS_AUTO, COHORT_HIST_BINS_STONE};
    for (int t = 0; t < 3; t++) {
        int64_t n;
        double *x = mixture(lens[t], true, &n);
        for (int k = 0; k < 6; k++)
            CU_ASSERT_EQUAL(nbins_of(x, n, rr[k], -20, 20), ranged[t][k]);
        free(x);
    }
    /* gh-14379: int8 data as int32 data */
    int8_t a8[3] = {-2, 0, 127};
    int32_t a32[3] = {-2, 0, 127};
    for (int k = 0; k < 8; k++) {
        if (RULES[k] == COHORT_HIST_BINS_SQRT)
            continue;
        cohort_column c8 = cohort_column_make("a", COHORT_INT8, 3, a8), c32 = cohort_column_make("a", COHORT_INT32, 3, a32);
        spread s8, s32;
        cohort_hist_axis ax = rule_of(RULES[k], NAN, NAN);
        cohort_hist *h8 = NULL, *h32 = NULL;
        CU_ASSERT_EQUAL(cohort_histogram(T_ctx, spread_make(&s8, &c8, 1), &ax, 1, 0, &h8), COHORT_OK);
        CU_ASSERT_EQUAL(cohort_histogram(T_ctx, spread_make(&s32, &c32, 1), &ax, 1, 0, &h32), COHORT_OK);
        CU_ASSERT(h8 && h32 && h8->size == h32->size && memcmp(h8->counts, h32->counts, (size_t)h8->size * 8) == 0 &&
                  memcmp(h8->edges[0], h32->edges[0], (size_t)(h8->size + 1) * 8) == 0);
        cohort_hist_destroy(&h8), cohort_hist_destroy(&h32);
        spread_free(&s8), spread_free(&s32);
    }
    double x3[3] = {1, 2, 3}, w3[3] = {1, 2, 3}; /* estimators with weights: TypeError */
    for (int k = 0; k < 8; k++) {
        cohort_hist *hw = hist1(x3, 3, w3, rule_of(RULES[k], NAN, NAN), 0, &st);
        CU_ASSERT(st == COHORT_ERR_ARG && hw == NULL);
    }
    cohort_hist_bin_rule r;
    CU_ASSERT(cohort_hist_bin_rule_parse("mad", &r) == COHORT_ERR_ARG && cohort_hist_bin_rule_parse("IQR", &r) == COHORT_ERR_ARG &&
              cohort_hist_bin_rule_parse("stone", &r) == COHORT_OK && r == COHORT_HIST_BINS_STONE); /* test_incorrect_methods */
}

/* ---- TestHistogramdd ---------------------------------------------------------------- */

static cohort_hist *histdd(const double *const *x, int nd, int64_t n, const cohort_hist_axis *ax, int flags, int *st)
{
    cohort_column cols[8];
    for (int d = 0; d < nd; d++)
        cols[d] = cohort_column_make(NULL, COHORT_DOUBLE, n, (void *)x[d]);
    spread s;
    cohort_hist *h = NULL;
    *st = cohort_histogram(T_ctx, spread_make(&s, cols, nd), ax, nd, flags, &h);
    spread_free(&s);
    return h;
}

/* test_simple (the first three parts), test_identical_samples,
 * test_inf_edges, test_rightmost_binedge, test_equal_edges,
 * test_large_integers (2^60 + [-1, 1] as float64 edges). */
static void test_np_histdd(void)
{
    double x0[6] = {-.5, -.5, -.5, .5, .5, .5}, x1[6] = {.5, 1.5, 2.5, .5, 1.5, 2.5}, x2[6] = {1.5, 2.5, .5, 1.5, 2.5, 2.5};
    const double *x[3] = {x0, x1, x2};
    cohort_hist_axis ax[3] = {bins_range(2, -1, 1), bins_range(3, 0, 3), bins_range(3, 0, 3)};
    static const int64_t answer[18] = {0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1};
    int st;
    cohort_hist *h = histdd(x, 3, 6, ax, 0, &st);
    CU_ASSERT(st == COHORT_OK && h->size == 18 && memcmp(h->counts, answer, sizeof answer) == 0);
    cohort_hist_destroy(&h);
    double ed0[3] = {-2, 0, 2}, ed1[4] = {0, 1, 2, 3};
    cohort_hist_axis axe[3] = {edges_of(ed0, 3), edges_of(ed1, 4), edges_of(ed1, 4)};
    h = histdd(x, 3, 6, axe, COHORT_HIST_DENSITY, &st);
    for (int b = 0; st == COHORT_OK && b < 18; b++)
        CU_ASSERT(h->values[b] == (double)answer[b] / 12.);
    cohort_hist_destroy(&h);
    cohort_hist_axis ax4[3] = {bins_range(2, -1, 1), bins_range(3, 0, 3), bins_range(4, 0, 4)};
    static const int64_t answer4[24] = {0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0};
    h = histdd(x, 3, 6, ax4, COHORT_HIST_DENSITY, &st);
    for (int b = 0; st == COHORT_OK && b < 24; b++)
        CU_ASSERT(fabs(h->values[b] - (double)answer4[b] / 6.) < 1e-4);
    cohort_hist_destroy(&h);
    /* test_identical_samples: zeros, bins=2: edges [-0.5, 0, 0.5] */
    int64_t z[10] = {0};
    cohort_column zc[2] = {cohort_column_make(NULL, COHORT_INT64, 10, z), cohort_column_make(NULL, COHORT_INT64, 10, z)};
    spread s;
    cohort_hist_axis a2[2] = {bins_auto(2), bins_auto(2)};
    CU_ASSERT_EQUAL(cohort_histogram(T_ctx, spread_make(&s, zc, 2), a2, 2, 0, &h), COHORT_OK);
    CU_ASSERT(h && h->edges[0][0] == -0.5 && h->edges[0][1] == 0 && h->edges[0][2] == 0.5);
    cohort_hist_destroy(&h);
    spread_free(&s);
    /* test_inf_edges: x = arange(6).reshape(3, 2), bins=[3, edges] */
    double c0[3] = {0, 2, 4}, c1[3] = {1, 3, 5};
    const double *cx[2] = {c0, c1};
    double ie[3][3] = {{-INFINITY, 2, 10}, {-1, 2, INFINITY}, {-INFINITY, 3, INFINITY}};
    static const int64_t expected[6] = {1, 0, 0, 1, 0, 1};
    for (int k = 0; k < 3; k++) {
        cohort_hist_axis ai[2] = {bins_auto(3), edges_of(ie[k], 3)};
        h = histdd(cx, 2, 3, ai, 0, &st);
        CU_ASSERT(st == COHORT_OK && memcmp(h->counts, expected, sizeof expected) == 0);
        cohort_hist_destroy(&h);
    }
    /* test_rightmost_binedge (gh-4266) */
    double rb[3] = {0., 0.5, 1.0}, xs[4] = {0.9999999995, 1.0, 1.0000000001, 1.0001};
    int64_t in_last[4] = {1, 1, 0, 0};
    for (int k = 0; k < 4; k++) {
        const double *one[1] = {&xs[k]};
        cohort_hist_axis ar = edges_of(rb, 3);
        h = histdd(one, 1, 1, &ar, 0, &st);
        CU_ASSERT(st == COHORT_OK && h->counts[0] == 0 && h->counts[1] == in_last[k]);
        cohort_hist_destroy(&h);
    }
    /* test_equal_edges: x edges [0, 2, 2], y one bin: x == 2 in the final bin */
    double ex[3] = {0, 1, 2}, exe[3] = {0, 2, 2};
    const double *xy[2] = {ex, ex};
    cohort_hist_axis aeq[2] = {edges_of(exe, 3), bins_auto(1)};
    h = histdd(xy, 2, 3, aeq, 0, &st);
    CU_ASSERT(st == COHORT_OK && h->counts[0] == 2 && h->counts[1] == 1);
    cohort_hist_destroy(&h);
    /* test_large_integers: 2^60 + [-1, 1] (float64 edges, as numpy's own test gives) */
    int64_t xi[1] = {0}, yi[1] = {(int64_t)1 << 60};
    double xe[2] = {-1, 1}, ye[2] = {ldexp(1, 60) - 1, ldexp(1, 60) + 1};
    cohort_column li[2] = {cohort_column_make(NULL, COHORT_INT64, 1, xi), cohort_column_make(NULL, COHORT_INT64, 1, yi)};
    cohort_hist_axis al[2] = {edges_of(xe, 2), edges_of(ye, 2)};
    CU_ASSERT_EQUAL(cohort_histogram(T_ctx, spread_make(&s, li, 2), al, 2, 0, &h), COHORT_OK);
    CU_ASSERT(h && h->counts[0] == 1);
    cohort_hist_destroy(&h);
    spread_free(&s);
}

/* ==== numpy/lib/tests/test_function_base.py: TestPercentile, TestQuantile ====== */

static double quantile1(const double *x, int64_t n, double q, cohort_quantile_method m)
{
    cohort_column c = cohort_column_make("x", COHORT_DOUBLE, n, (void *)x);
    spread s;
    double v = -12345;
    CU_ASSERT_EQUAL(cohort_quantiles(T_ctx, spread_make(&s, &c, 1), &q, 1, m, &v, NULL, NULL), COHORT_OK);
    spread_free(&s);
    return v;
}

/* TestPercentile::test_basic (nanquantile semantics: NaN left out, where
 * np.percentile gives NaN), TestQuantile::test_basic, test_max_ulp,
 * TestPercentile::test_linear_interpolation (all nine H&F methods at 40%),
 * test_lower_higher, test_midpoint, test_nearest. */
static void test_np_quantile(void)
{
    double x[8];
    for (int i = 0; i < 8; i++)
        x[i] = i * 0.5;
    CU_ASSERT(quantile1(x, 8, 0, COHORT_QUANTILE_LINEAR) == 0. && quantile1(x, 8, 1, COHORT_QUANTILE_LINEAR) == 3.5 &&
              quantile1(x, 8, 0.5, COHORT_QUANTILE_LINEAR) == 1.75);
    double m[3] = {0.0, 0.2, 0.4}; /* gh-20331: within an ulp of 0.18 */
    CU_ASSERT(fabs(quantile1(m, 3, 0.45, COHORT_QUANTILE_LINEAR) - 0.18) <= nextafter(0.18, 1) - 0.18);
    double arr[5] = {15.0, 20.0, 35.0, 40.0, 50.0};
    static const struct {
        cohort_quantile_method m;
        double want;
    } hf[9] = {{COHORT_QUANTILE_INVERTED_CDF, 20}, {COHORT_QUANTILE_AVERAGED_INVERTED_CDF, 27.5},
               {COHORT_QUANTILE_CLOSEST_OBSERVATION, 20}, {COHORT_QUANTILE_INTERPOLATED_INVERTED_CDF, 20},
               {COHORT_QUANTILE_HAZEN, 27.5}, {COHORT_QUANTILE_WEIBULL, 26}, {COHORT_QUANTILE_LINEAR, 29},
               {COHORT_QUANTILE_MEDIAN_UNBIASED, 27}, {COHORT_QUANTILE_NORMAL_UNBIASED, 27.125}};
    for (int k = 0; k < 9; k++) /* percentile 40: q = 40 / 100, as np.true_divide gives it */
        CU_ASSERT(fabs(quantile1(arr, 5, 40.0 / 100, hf[k].m) - hf[k].want) < 1e-14);
    /* ... and with a NaN (test_linear_nan_1D): nanquantile leaves it out */
    double arr_nan[5] = {15.0, NAN, 35.0, 40.0, 50.0};
    CU_ASSERT(quantile1(arr_nan, 5, 0.4, COHORT_QUANTILE_LINEAR) == 35.0 + (40.0 - 35.0) * 0.2);
    double a10[11];
    for (int i = 0; i < 11; i++)
        a10[i] = i;
    CU_ASSERT(quantile1(a10, 10, 0.5, COHORT_QUANTILE_LOWER) == 4 && quantile1(a10, 10, 0.5, COHORT_QUANTILE_HIGHER) == 5);
    CU_ASSERT(quantile1(a10, 10, 0.51, COHORT_QUANTILE_MIDPOINT) == 4.5 &&
              quantile1(a10 + 1, 9, 0.5, COHORT_QUANTILE_MIDPOINT) == 5 &&
              quantile1(a10, 11, 0.51, COHORT_QUANTILE_MIDPOINT) == 5.5 && quantile1(a10, 11, 0.5, COHORT_QUANTILE_MIDPOINT) == 5);
    CU_ASSERT(quantile1(a10, 10, 0.51, COHORT_QUANTILE_NEAREST) == 5 && quantile1(a10, 10, 0.49, COHORT_QUANTILE_NEAREST) == 4);
    /* TestQuantile::test_quantile_preserve_int_type: nearest of int8 [1, 2] is int8 */
    int8_t i8[2] = {1, 2}, got8 = 0;
    double q5 = 0.5;
    cohort_column c8 = cohort_column_make("x", COHORT_INT8, 2, i8);
    spread s;
    CU_ASSERT_EQUAL(cohort_quantile_elements(T_ctx, spread_make(&s, &c8, 1), &q5, 1, COHORT_QUANTILE_NEAREST, &got8, NULL,
                                             NULL), COHORT_OK);
    CU_ASSERT_EQUAL(got8, 1); /* (n - 1) q = 0.5 rounds half to even: index 0, as numpy's [1] */
    spread_free(&s);
}

/* TestQuantile::test_quantile_monotonic (GH 14685): every method gives a
 * non-decreasing result over p = linspace(0, 1, 101). */
static void test_np_quantile_monotonic(void)
{
    static const double base[18] = {0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 1, 1, 9, 9, 9, 8, 8, 7};
    double data[18], four[4] = {0., 1., 2., 3.}, *p = linspace(0, 1, 101), v[101];
    for (int i = 0; i < 18; i++)
        data[i] = base[i] * 0.1;
    for (int m = 0; m <= COHORT_QUANTILE_NORMAL_UNBIASED; m++)
        for (int which = 0; which < 2; which++) {
            cohort_column c = cohort_column_make("x", COHORT_DOUBLE, which ? 4 : 18, which ? four : data);
            spread s;
            CU_ASSERT_EQUAL(cohort_quantiles(T_ctx, spread_make(&s, &c, 1), p, 101, (cohort_quantile_method)m, v, NULL, NULL),
                            COHORT_OK);
            for (int k = 1; k < 101; k++)
                CU_ASSERT(v[k - 1] <= v[k]);
            spread_free(&s);
        }
    free(p);
}

/* ==== pandas/tests/groupby ===================================================== */

/* Gather a result column of every rank's groups, in order. */
static void *gather(const cohort_table *t, const char *name, int64_t *n)
{
    int i = cohort_table_find(t, name);
    CU_ASSERT(i >= 0);
    cohort_column c = cohort_table_column(t, i >= 0 ? i : 0);
    int m = (int)(cohort_table_rows(t) * (int64_t)c.width), *counts = malloc(sizeof(int) * (size_t)T_size);
    int *displs = malloc(sizeof(int) * (size_t)T_size), sum = 0;
    MPI_Allgather(&m, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
    for (int r = 0; r < T_size; r++)
        displs[r] = sum, sum += counts[r];
    void *all = malloc((size_t)sum + 8);
    MPI_Allgatherv(c.data, m, MPI_BYTE, all, counts, displs, MPI_BYTE, MPI_COMM_WORLD);
    *n = c.width ? sum / (int64_t)c.width : 0;
    free(counts), free(displs);
    return all;
}

static cohort_table *groupby(cohort_column *cols, int ncols, int nkeys, const cohort_groupby_options *o, int *st)
{
    spread s;
    cohort_table *t = NULL;
    *st = cohort_groupby(T_ctx, spread_make(&s, cols, ncols), nkeys, o, &t);
    if (*st != COHORT_OK && T_rank == 0)
        printf("group-by: %s\n", cohort_errmsg(T_ctx));
    spread_free(&s);
    return t;
}

/* test_quantile.py::test_quantile, linear interpolation (Cohort's group
 * quantiles are numpy's linear method; pandas' expected values are
 * Series.quantile's, the same formula), ints, floats, missing data and
 * all-NA groups, at q = 0, 0.25, 0.5, 0.75, 1. */
static void test_pd_groupby_quantile(void)
{
    static const double cases[6][2][5] = {
        {{1, 2, 3, 4, 5}, {5, 4, 3, 2, 1}},         {{1, 2, 3, 4, NAN}, {4, 3, 2, 1, NAN}},
        {{1, 2, 3, 4, 5}, {4, 3, 2, 1, NAN}},       {{1.0, 2.0, 3.0, 4.0, 5.0}, {5.0, 4.0, 3.0, 2.0, 1.0}},
        {{1.0, NAN, 3.0, NAN, 5.0}, {5.0, NAN, 3.0, NAN, 1.0}}, {{NAN, 4.0, NAN, 2.0, NAN}, {NAN, 4.0, NAN, 2.0, NAN}}};
    /* The second and third cases have groups of 4 values: NaN marks the end. */
    for (int c = 0; c < 7; c++) {
        double key[10], val[10];
        int n = 0;
        for (int g = 0; g < 2; g++)
            for (int i = 0; i < 5; i++) {
                double v = c == 6 ? NAN : cases[c][g][i];
                if (c != 6 && c != 4 && c != 5 && v != v)
                    continue; /* a shorter group */
                key[n] = g, val[n++] = v;
            }
        cohort_groupby_options o = {.aggs = COHORT_AGG_QUANTILE, .nquantiles = 5, .quantiles = {0, 0.25, 0.5, 0.75, 1}};
        cohort_column cols[2] = {cohort_column_make("key", COHORT_DOUBLE, n, key), cohort_column_make("val", COHORT_DOUBLE, n, val)};
        int st;
        cohort_table *t = groupby(cols, 2, 1, &o, &st);
        CU_ASSERT_EQUAL_FATAL(st, COHORT_OK);
        for (int k = 0; k < 5; k++) {
            char name[32];
            snprintf(name, sizeof name, "val_q%g", o.quantiles[k]);
            int64_t ng;
            double *got = gather(t, name, &ng);
            CU_ASSERT_EQUAL(ng, 2);
            for (int g = 0; g < 2 && ng == 2; g++) { /* the oracle: sort the group, numpy's linear formula */
                double v[5];
                int m = 0;
                for (int i = 0; i < n; i++)
                    if (key[i] == g && val[i] == val[i])
                        v[m++] = val[i];
                for (int a = 0; a < m; a++)
                    for (int b = a + 1; b < m; b++)
                        if (v[b] < v[a]) {
                            double tmp = v[a];
                            v[a] = v[b], v[b] = tmp;
                        }
                double want = NAN;
                if (m > 0) {
                    double h = (m - 1) * o.quantiles[k], lo = floor(h), gm = h - lo;
                    double a = v[(int)lo], b = v[(int)lo + (lo + 1 < m)];
                    want = gm >= 0.5 ? b - (b - a) * (1 - gm) : a + (b - a) * gm;
                }
                CU_ASSERT(isnan(want) ? isnan(got[g]) : got[g] == want);
            }
            free(got);
        }
        cohort_table_destroy(&t);
    }
}

/* test_quantile.py::test_quantile_array, test_quantile_array2 (RandomState(0)'s
 * integers written out) and test_quantile_missing_group_values_correct_results
 * (NaN keys dropped). */
static void test_pd_groupby_quantile_arrays(void)
{
    int64_t k5[5] = {0, 0, 1, 1, 1}, a5[5] = {0, 1, 2, 3, 4};
    cohort_groupby_options o = {.aggs = COHORT_AGG_QUANTILE, .nquantiles = 2, .quantiles = {0.25, 0.75}};
    cohort_column c5[2] = {cohort_column_make("k", COHORT_INT64, 5, k5), cohort_column_make("A", COHORT_INT64, 5, a5)};
    int st;
    cohort_table *t = groupby(c5, 2, 1, &o, &st);
    int64_t n;
    double *q25 = st == COHORT_OK ? gather(t, "A_q0.25", &n) : NULL;
    CU_ASSERT(q25 && n == 2 && q25[0] == 0.25 && q25[1] == 2.50);
    free(q25);
    cohort_table_destroy(&t);
    int64_t k4[4] = {0, 0, 1, 1}, a4[4] = {0, 1, 2, 3}, b4[4] = {4, 5, 6, 7};
    cohort_column c4[3] = {cohort_column_make("k", COHORT_INT64, 4, k4), cohort_column_make("A", COHORT_INT64, 4, a4),
                           cohort_column_make("B", COHORT_INT64, 4, b4)};
    t = groupby(c4, 3, 1, &o, &st);
    double *A25 = gather(t, "A_q0.25", &n), *A75 = gather(t, "A_q0.75", &n), *B25 = gather(t, "B_q0.25", &n),
           *B75 = gather(t, "B_q0.75", &n);
    CU_ASSERT(st == COHORT_OK && A25[0] == 0.25 && A75[0] == 0.75 && A25[1] == 2.25 && A75[1] == 2.75 && B25[0] == 4.25 &&
              B75[0] == 4.75 && B25[1] == 6.25 && B75[1] == 6.75);
    free(A25), free(A75), free(B25), free(B75);
    cohort_table_destroy(&t);
    /* np.random.RandomState(0).randint(0, 5, size=(10, 3)), columns A, B, C */
    static const int64_t rs[10][3] = {{4, 0, 3}, {3, 3, 1}, {3, 2, 4}, {0, 0, 4}, {2, 1, 0},
                                      {1, 1, 0}, {1, 4, 3}, {0, 3, 0}, {2, 3, 0}, {1, 3, 3}};
    int64_t A[10], B[10], C[10];
    for (int i = 0; i < 10; i++)
        A[i] = rs[i][0], B[i] = rs[i][1], C[i] = rs[i][2];
    cohort_groupby_options o2 = {.aggs = COHORT_AGG_QUANTILE, .nquantiles = 2, .quantiles = {0.3, 0.7}};
    cohort_column c10[3] = {cohort_column_make("A", COHORT_INT64, 10, A), cohort_column_make("B", COHORT_INT64, 10, B),
                            cohort_column_make("C", COHORT_INT64, 10, C)};
    t = groupby(c10, 3, 1, &o2, &st);
    static const double wantB[10] = {0.9, 2.1, 2.2, 3.4, 1.6, 2.4, 2.3, 2.7, 0.0, 0.0},
                        wantC[10] = {1.2, 2.8, 1.8, 3.0, 0.0, 0.0, 1.9, 3.1, 3.0, 3.0};
    double *B3 = gather(t, "B_q0.3", &n), *B7 = gather(t, "B_q0.7", &n), *C3 = gather(t, "C_q0.3", &n),
           *C7 = gather(t, "C_q0.7", &n);
    CU_ASSERT_EQUAL(n, 5);
    for (int g = 0; st == COHORT_OK && g < 5 && n == 5; g++) /* assert_frame_equal: rtol 1e-5 */
        CU_ASSERT(close_rel(B3[g], wantB[2 * g], 1e-12) && close_rel(B7[g], wantB[2 * g + 1], 1e-12) &&
                  close_rel(C3[g], wantC[2 * g], 1e-12) && close_rel(C7[g], wantC[2 * g + 1], 1e-12));
    free(B3), free(B7), free(C3), free(C7);
    cohort_table_destroy(&t);
    static const double keys[4][4] = {{1.0, NAN, 3.0, NAN}, {1.0, NAN, 2.0, 2.0}}, wantk[2][2] = {{1.0, 3.0}, {1.0, 2.0}},
                        wantv[2][2] = {{0.0, 2.0}, {0.0, 2.5}};
    for (int c = 0; c < 2; c++) {
        double key[4], val[4] = {0, 1, 2, 3};
        memcpy(key, keys[c], sizeof key);
        cohort_groupby_options om = {.aggs = COHORT_AGG_MEDIAN | COHORT_AGG_QUANTILE, .nquantiles = 1, .quantiles = {0.5}};
        cohort_column cc[2] = {cohort_column_make("key", COHORT_DOUBLE, 4, key), cohort_column_make("val", COHORT_DOUBLE, 4, val)};
        t = groupby(cc, 2, 1, &om, &st);
        double *gk = gather(t, "key", &n), *med = gather(t, "val_median", &n), *q = gather(t, "val_q0.5", &n);
        CU_ASSERT(st == COHORT_OK && n == 2 && gk[0] == wantk[c][0] && gk[1] == wantk[c][1] && med[0] == wantv[c][0] &&
                  med[1] == wantv[c][1] && q[0] == wantv[c][0] && q[1] == wantv[c][1]);
        free(gk), free(med), free(q);
        cohort_table_destroy(&t);
    }
    int64_t one_k[1] = {0}, one_v[1] = {42}; /* ([0], [42], [0], [42.0]) */
    cohort_column c1[2] = {cohort_column_make("key", COHORT_INT64, 1, one_k), cohort_column_make("val", COHORT_INT64, 1, one_v)};
    cohort_groupby_options om = {.aggs = COHORT_AGG_MEDIAN};
    t = groupby(c1, 2, 1, &om, &st);
    double *med = gather(t, "val_median", &n);
    CU_ASSERT(st == COHORT_OK && n == 1 && med[0] == 42.0);
    free(med);
    cohort_table_destroy(&t);
    cohort_column c0[2] = {cohort_column_make("key", COHORT_INT64, 0, one_k), cohort_column_make("val", COHORT_INT64, 0, one_v)};
    t = groupby(c0, 2, 1, &om, &st); /* ([], [], [], []) */
    CU_ASSERT(st == COHORT_OK && t && cohort_table_rows(t) == 0);
    cohort_table_destroy(&t);
}

/* test_nunique.py::test_nunique (the letters as their byte values), and
 * test_function.py::test_groupby_non_arithmetic_agg_int_like_precision
 * (gh-6620, gh-9311: first, last, min, max, count of 24650000000000001,
 * 24650000000000002 exact). */
static void test_pd_groupby_nunique_and_precision(void)
{
    const char *A = "abbacc", *B = "abxacc", *C = "abbacx";
    uint8_t a[6], b[6], c[6];
    for (int i = 0; i < 6; i++)
        a[i] = (uint8_t)A[i], b[i] = (uint8_t)B[i], c[i] = (uint8_t)C[i];
    cohort_column cols[3] = {cohort_column_make("A", COHORT_UINT8, 6, a), cohort_column_make("B", COHORT_UINT8, 6, b),
                             cohort_column_make("C", COHORT_UINT8, 6, c)};
    cohort_groupby_options o = {.aggs = COHORT_AGG_NUNIQUE};
    int st;
    cohort_table *t = groupby(cols, 3, 1, &o, &st);
    int64_t n, *nb = gather(t, "B_nunique", &n), *nc = gather(t, "C_nunique", &n);
    CU_ASSERT(st == COHORT_OK && n == 3 && nb[0] == 1 && nb[1] == 2 && nb[2] == 1 && nc[0] == 1 && nc[1] == 1 && nc[2] == 2);
    free(nb), free(nc);
    cohort_table_destroy(&t);
    int64_t k[2] = {1, 1}, v[2] = {24650000000000001, 24650000000000002};
    cohort_column c2[2] = {cohort_column_make("a", COHORT_INT64, 2, k), cohort_column_make("b", COHORT_INT64, 2, v)};
    cohort_groupby_options o2 = {.aggs = COHORT_AGG_FIRST | COHORT_AGG_LAST | COHORT_AGG_MIN | COHORT_AGG_MAX | COHORT_AGG_COUNT};
    t = groupby(c2, 2, 1, &o2, &st);
    int64_t *first = gather(t, "b_first", &n), *last = gather(t, "b_last", &n), *mn = gather(t, "b_min", &n),
            *mx = gather(t, "b_max", &n), *cnt = gather(t, "b_count", &n);
    CU_ASSERT(st == COHORT_OK && first[0] == v[0] && last[0] == v[1] && mn[0] == v[0] && mx[0] == v[1] && cnt[0] == 2);
    free(first), free(last), free(mn), free(mx), free(cnt);
    cohort_table_destroy(&t);
}

/* test_libgroupby.py::TestGroupVarFloat64::test_group_var_large_inputs:
 * 10^6 values 10^12 + U(0, 1) in one group; pandas asks for 1/12 within
 * 5e-4 relative of its RandomState(1234) sample (this sample's variance is
 * within 2e-3).  Cohort's is within 1e-14 of the exact variance of the very
 * values (long double two-pass with an exact shift here), in both modes. */
static void test_pd_group_var_large_inputs(void)
{
    enum { N = 1000000 };
    int64_t *k = calloc(N, sizeof *k);
    double *v = malloc(N * sizeof *v);
    long double s = 0, s2 = 0;
    for (int64_t i = 0; i < N; i++)
        v[i] = 1e12 + (double)(t_rand(1234, (uint64_t)i) >> 11) * 0x1.0p-53, s += v[i] - 1e12;
    long double mean = s / N;
    for (int64_t i = 0; i < N; i++)
        s2 += ((long double)(v[i] - 1e12) - mean) * ((long double)(v[i] - 1e12) - mean);
    double exact = (double)(s2 / (N - 1));
    cohort_column cols[2] = {cohort_column_make("k", COHORT_INT64, N, k), cohort_column_make("v", COHORT_DOUBLE, N, v)};
    for (int repro = 0; repro < 2; repro++) {
        cohort_groupby_options o = {.aggs = COHORT_AGG_VAR, .reproducible = repro};
        int st;
        cohort_table *t = groupby(cols, 2, 1, &o, &st);
        int64_t n;
        double *var = gather(t, "v_var", &n);
        CU_ASSERT(st == COHORT_OK && n == 1 && fabs(var[0] - 1.0 / 12) < 2e-3 * (1.0 / 12) && /* another sample */
                  fabs(var[0] - exact) < 1e-14 * exact);
        free(var);
        cohort_table_destroy(&t);
    }
    free(k), free(v);
}

/* ==== numpy/lib/tests/test_nanfunctions.py::TestNanFunctions_Median ============= */

/* test_float_special: the medians of rows holding infinities and NaN, by
 * group-by (row = group); numpy's median of two infinities is the
 * infinity ((inf + inf) / 2), not the linear quantile's NaN. */
static void test_np_nanmedian_float_special(void)
{
    for (int sign = -1; sign <= 1; sign += 2) {
        double inf = sign * INFINITY;
        double rows[3][4] = {{inf, 7, -inf, -9}, {-10, NAN, NAN, 5}, {4, NAN, NAN, inf}};
        double key[12], val[12], want[3] = {-1., -2.5, inf};
        for (int i = 0; i < 12; i++)
            key[i] = i / 4, val[i] = rows[i / 4][i % 4];
        cohort_column cols[2] = {cohort_column_make("k", COHORT_DOUBLE, 12, key), cohort_column_make("v", COHORT_DOUBLE, 12, val)};
        cohort_groupby_options o = {.aggs = COHORT_AGG_MEDIAN};
        int st;
        cohort_table *t = groupby(cols, 2, 1, &o, &st);
        int64_t n;
        double *med = gather(t, "v_median", &n);
        CU_ASSERT(st == COHORT_OK && n == 3 && med[0] == want[0] && med[1] == want[1] && med[2] == want[2]);
        free(med);
        cohort_table_destroy(&t);
        for (int i = 0; i < 10; i++) /* ([nan] * i) + ([inf] * j): the median is inf */
            for (int j = 1; j < 10; j++) {
                double x[20], g[20] = {0};
                for (int e = 0; e < i + j; e++)
                    x[e] = e < i ? NAN : inf;
                cohort_column c2[2] = {cohort_column_make("k", COHORT_DOUBLE, i + j, g),
                                       cohort_column_make("v", COHORT_DOUBLE, i + j, x)};
                t = groupby(c2, 2, 1, &o, &st);
                med = gather(t, "v_median", &n);
                CU_ASSERT(st == COHORT_OK && n == 1 && med[0] == inf);
                free(med);
                cohort_table_destroy(&t);
            }
    }
}

/*
 * Not expressible, and why:
 *  numpy test_histograms.py
 *   - test_type, test_bool_conversion, test_exotic_weights (complex, Decimal),
 *     test_datetime, test_edge_dtype, test_object_array_of_0d's object arrays:
 *     Python types and dtypes Cohort does not have (its results are int64
 *     counts or float64 values; booleans read from HDF5 are int8).
 *   - test_arr_weights_mismatch, test_bin_array_dims, test_error_binnum_type:
 *     argument shapes and Python types the C API cannot be given.
 *   - test_no_side_effects: inputs are const; test_big_arrays: 10 GB.
 *   - test_f32_rounding (np.histogram2d over float32): histogramdd bins in
 *     float64 there too; covered in spirit by test_np_histdd.
 *   - TestHistogramOptimBinNums::test_scott_vs_stone: statistics over
 *     np.random.RandomState draws; the estimators themselves are checked
 *     against numpy on other data in tests/test_hist_app.py.
 *   - TestHistogramdd::test_shape_3d/4d, test_weights, test_empty (3-D of
 *     no rows), test_bins_errors, test_finite_range: random data or argument
 *     shapes; the N-D paths they reach are covered by test_np_histdd and
 *     tests/test_hist.c.
 *  numpy test_function_base.py (TestPercentile, TestQuantile)
 *   - np.percentile's NaN propagation (test_basic's x[1] = nan, test_nan_behavior,
 *     test_linear_nan_1D's NaN result): Cohort computes nanquantile, NaN left out.
 *   - test_fraction, test_api, test_2D, test_axis, test_keepdims, test_out*,
 *     test_extended_axis*, test_percentile_empty_dim, test_*overwrite, test_scalar_q,
 *     the hypothesis tests: Fraction objects, axes, out= arrays and Python API forms.
 *  pandas tests/groupby
 *   - test_quantile's other interpolations (lower, higher, nearest, midpoint)
 *     and timestamps: Cohort's group quantiles are numpy's linear method; the
 *     whole-column quantile has all 13 methods.
 *   - test_nunique's object and datetime columns, dropna=False of values:
 *     values are numeric; NaN values are left out of every aggregate.
 *   - test_groupby_mean_no_overflow is in tests/test_groupby.c; test_ops_general
 *     and test_cython_median (random data against numpy per group) in
 *     tests/test_groupby_app.py.
 */

int main(int argc, char **argv)
{
    static const t_test tests[] = {
        {"numpy TestHistogram::test_simple", test_np_hist_simple},
        {"numpy TestHistogram::test_one_bin", test_np_hist_one_bin},
        {"numpy TestHistogram::test_density", test_np_hist_density},
        {"numpy TestHistogram::test_outliers", test_np_hist_outliers},
        {"numpy TestHistogram::test_weights", test_np_hist_weights},
        {"numpy TestHistogram: empty, ranges, monotonic edges, last bin", test_np_hist_edges_and_ranges},
        {"numpy TestHistogram::test_bin_edge_cases", test_np_hist_bin_edge_cases},
        {"numpy TestHistogram: 0-d objects and NaN values", test_np_hist_nan_and_inf},
        {"numpy TestHistogram::test_signed_overflow_bounds", test_np_hist_signed_overflow_bounds},
        {"numpy TestHistogram::test_precision", test_np_hist_precision},
        {"numpy TestHistogramOptimBinNums: empty, simple, small, no variance", test_np_optim_bins},
        {"numpy TestHistogramOptimBinNums: limited variance, outliers, ranges, ints, weights", test_np_optim_bins_more},
        {"numpy TestHistogramdd", test_np_histdd},
        {"numpy TestPercentile/TestQuantile", test_np_quantile},
        {"numpy TestQuantile::test_quantile_monotonic", test_np_quantile_monotonic},
        {"numpy TestNanFunctions_Median::test_float_special", test_np_nanmedian_float_special},
        {"pandas groupby test_quantile", test_pd_groupby_quantile},
        {"pandas groupby test_quantile_array*, missing group values", test_pd_groupby_quantile_arrays},
        {"pandas groupby test_nunique, int-like precision", test_pd_groupby_nunique_and_precision},
        {"pandas TestGroupVarFloat64::test_group_var_large_inputs", test_pd_group_var_large_inputs},
        {NULL, NULL},
    };
    return t_main(argc, argv, "ports", tests);
}
