/*
 * test_kernels.c — node-local kernels against exact oracles: the exact
 * accumulator (xsum) against 128-bit integer arithmetic, and its
 * independence of order and grouping; the radix sort and the merge of
 * sorted runs against a stable comparison sort, for every key width,
 * record size and key shape; counting into uniform bins against numpy's
 * rule; the group-by table's changes of mode; the quantile sketch's
 * rank-error bound, alone and merged.
 */
#include "harness.h"
#include "kernels/kernels.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double xs(const double *v, int n)
{
    cohort_xsum s;
    cohort__xsum_init(&s);
    for (int i = 0; i < n; i++)
        cohort__xsum_add(&s, v[i]);
    return cohort__xsum_value(&s);
}

static bool same_bits(double a, double b) { return memcmp(&a, &b, 8) == 0; }

static void test_xsum_known(void)
{
    double a[] = {1e308, 1e308, -1e308};
    CU_ASSERT(same_bits(xs(a, 3), 1e308)); /* no intermediate overflow */
    double b[] = {1.0, 1e-300, -1.0};
    CU_ASSERT(same_bits(xs(b, 3), 1e-300)); /* no cancellation */
    double c[10];
    for (int i = 0; i < 10; i++)
        c[i] = 0.1;
    CU_ASSERT(same_bits(xs(c, 10), 1.0)); /* fsum([0.1]*10) == 1.0 */
    double d[] = {DBL_MIN / 4, DBL_MIN / 4, -DBL_MIN / 8};
    CU_ASSERT(same_bits(xs(d, 3), DBL_MIN / 4 + DBL_MIN / 8)); /* subnormals */
    double e[] = {DBL_MAX, DBL_MAX};
    CU_ASSERT(isinf(xs(e, 2)) && xs(e, 2) > 0);
    double f[] = {INFINITY, 1, -INFINITY};
    CU_ASSERT(isnan(xs(f, 3)));
    double g[] = {-0.0};
    CU_ASSERT(xs(g, 1) == 0);
    CU_ASSERT(same_bits(xs(NULL, 0), 0.0));
    double h[] = {1.0, 0x1p-53}; /* a tie: rounds to even, 1.0 */
    CU_ASSERT(same_bits(xs(h, 2), 1.0));
    double k[] = {1.0, 0x1p-53, 0x1p-80}; /* just above the tie: rounds up */
    CU_ASSERT(same_bits(xs(k, 3), 1.0 + 0x1p-52));
    double m[] = {-1.5, -2.25};
    CU_ASSERT(same_bits(xs(m, 2), -3.75));
}

/* Values m * 2^s with integer m: the exact sum is an __int128 times 2^s. */
static void test_xsum_against_int128(void)
{
    int bad = 0;
    for (int trial = 0; trial < 200; trial++) {
        int n = 1 + (int)(t_rand(trial, 0) % 5000), s = (int)(t_rand(trial, 1) % 200) - 100;
        double *v = malloc((size_t)n * sizeof *v);
        __int128 exact = 0;
        for (int i = 0; i < n; i++) {
            int64_t mi = (int64_t)(t_rand(trial, (uint64_t)i + 2) >> 11) - ((int64_t)1 << 52);
            if (trial % 3 == 0)
                mi >>= (int)(t_rand(trial, (uint64_t)i + 9999) % 50); /* mixed magnitudes */
            v[i] = ldexp((double)mi, s);
            exact += mi;
        }
        double want = ldexp((double)exact, s); /* int128 -> double rounds to nearest */
        bad += !same_bits(xs(v, n), want);
        /* Any split into parts merged in any order gives the same bits. */
        cohort_xsum parts[4];
        for (int p = 0; p < 4; p++)
            cohort__xsum_init(&parts[p]);
        for (int i = 0; i < n; i++)
            cohort__xsum_add(&parts[t_rand(trial, (uint64_t)i + 77777) % 4], v[n - 1 - i]);
        cohort__xsum_merge(&parts[3], &parts[1]);
        cohort__xsum_merge(&parts[0], &parts[2]);
        cohort__xsum_merge(&parts[3], &parts[0]);
        bad += !same_bits(cohort__xsum_value(&parts[3]), want);
        free(v);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

/* Integers and squares: exact sums of int64, uint64, squares of doubles and
 * of integers, against __int128 (values m 2^s, squares m^2 2^2s), across the
 * whole exponent range (squares beyond DBL_MAX and below the subnormals). */
static void test_xsum_integers_and_squares(void)
{
    int bad = 0;
    cohort_xsum s;
    cohort__xsum_init(&s);
    cohort__xsum_add_int(&s, INT64_MIN), cohort__xsum_add_int(&s, INT64_MAX), cohort__xsum_add_uint(&s, UINT64_MAX);
    bad += !same_bits(cohort__xsum_value(&s), ldexp(1, 64) - 2); /* -2^63 + 2^63 - 1 + 2^64 - 1 */
    for (int trial = 0; trial < 300; trial++) {
        int n = 1 + (int)(t_rand(trial, 0) % 3000);
        int sh = trial % 3 == 0 ? 600 : trial % 3 == 1 ? -600 : (int)(t_rand(trial, 1) % 100) - 50;
        cohort_xsq q[3];
        cohort_xsum s1[3];
        for (int p = 0; p < 3; p++)
            cohort__xsq_init(&q[p]), cohort__xsum_init(&s1[p]);
        __int128 sq = 0, sum = 0;
        for (int i = 0; i < n; i++) {
            int64_t m = (int64_t)(t_rand(trial, (uint64_t)i + 5) >> 34) - ((int64_t)1 << 29); /* |m| < 2^29 */
            double x = ldexp((double)m, sh);
            int p = (int)(t_rand(trial, (uint64_t)i + 99999) % 3);
            cohort__xsq_add_product(&q[p], x, x);
            cohort__xsum_add(&s1[p], x);
            sq += (__int128)m * m, sum += m;
        }
        cohort__xsq_merge(&q[0], &q[2]), cohort__xsq_merge(&q[1], &q[0]);
        cohort__xsum_merge(&s1[0], &s1[2]), cohort__xsum_merge(&s1[1], &s1[0]);
        bad += !same_bits(cohort__xsq_value(&q[1]), ldexp((double)sq, 2 * sh)); /* inf or 0 where out of range */
        /* The variance from the exact sums, against the same formula in
         * integers: (n Σm² − (Σm)²) rounded once, divided once. */
        __int128 T = (__int128)n * sq - sum * sum;
        double want = n > 1 ? ldexp((double)T / ((double)n * (n - 1)), 2 * sh) : NAN;
        double got = cohort__xsum_var(&s1[1], &q[1], n, 1);
        bad += !(same_bits(got, want) || (isnan(got) && isnan(want)));
    }
    /* Integer squares up to 2^126 and the variance of int64 extremes. */
    cohort_xsq q;
    cohort_xsum s1;
    cohort__xsq_init(&q), cohort__xsum_init(&s1);
    int64_t v[3] = {INT64_MAX, INT64_MIN + 1, 0};
    for (int i = 0; i < 3; i++)
        cohort__xsq_add_int_square(&q, v[i]), cohort__xsum_add_int(&s1, v[i]);
    cohort__xsq_add_uint_square(&q, UINT64_MAX);
    cohort__xsum_add_uint(&s1, UINT64_MAX);
    /* Σx² = 2 (2^63 - 1)² + (2^64 - 1)², beyond 128 bits: against long double. */
    long double want_sq = 2.0L * ldexpl(1, 126) + ldexpl(1, 128); /* to 2^-63 relative */
    bad += fabsl((long double)cohort__xsq_value(&q) - want_sq) > want_sq * 0x1p-52L;
    bad += !isnan(cohort__xsum_var(&s1, &q, 1, 1)); /* one value: no sample variance */
    double infs[2] = {INFINITY, 1};
    cohort__xsum_init(&s1), cohort__xsq_init(&q);
    for (int i = 0; i < 2; i++)
        cohort__xsum_add(&s1, infs[i]), cohort__xsq_add_product(&q, infs[i], infs[i]);
    bad += !isnan(cohort__xsum_var(&s1, &q, 2, 1)) || cohort__xsq_value(&q) != INFINITY;
    CU_ASSERT_EQUAL(bad, 0);
}

/* Key shapes that take the radix sort down each of its paths. */
static uint64_t shaped_key(int shape, int64_t i, int64_t n, uint64_t seed)
{
    uint64_t r = t_rand(seed, (uint64_t)i);
    switch (shape) {
    case 0: return r;                                     /* random, every bit */
    case 1: return r % 16;                                /* few distinct values */
    case 2: return 42;                                    /* all equal */
    case 3: return (uint64_t)i * 3;                       /* sorted */
    case 4: return (uint64_t)(n - i) * 1000;              /* reverse sorted */
    case 5: return r % (1 + t_rand(seed + 1, (uint64_t)i) % 1000); /* skewed, Zipf-like */
    case 6: return (r >> 40) << 20 | 0xabcde;             /* constant low digits */
    case 7: return r % 2 ? 1u << 30 : 7;                  /* two values far apart */
    case 8: return i < 5000 ? r % 4096 : r;               /* the first keys vary in fewer bits */
    case 9: return i % 2 ? r : r >> 48;                   /* a heavy small bucket beside random keys */
    case 10: /* sorted but for one pair, at any place in a group of four */
        return (uint64_t)(i == n / 2 + (int64_t)(seed % 4) ? i + 1 : i == n / 2 + (int64_t)(seed % 4) + 1 ? i - 1 : i);
    default: return (r % 300) << 37 | 0x5a5;              /* repeated keys in a narrow span of high bits */
    }
}

typedef struct key_order {
    size_t kw;     /* key bytes */
    uint64_t flip; /* raw keys: compare key ^ flip */
} key_order;

static int cmp_key_then_index(const void *x, const void *y, void *order)
{
    const key_order *o = order;
    size_t kw = o->kw;
    uint64_t a = 0, b = 0, ia, ib;
    memcpy(&a, x, kw), memcpy(&b, y, kw);
    a ^= o->flip, b ^= o->flip;
    memcpy(&ia, (const unsigned char *)x + kw, 8), memcpy(&ib, (const unsigned char *)y + kw, 8);
    return a != b ? (a > b) - (a < b) : (ia > ib) - (ia < ib);
}

/* Records [key (kw bytes) | input index | padding] sorted by the radix
 * sort equal, byte for byte, the stable comparison sort's output; keys
 * stored encoded or raw (compared XOR the sign bit, or all bits), the
 * result asked in either buffer. */
static void test_radix_sort_stable(void)
{
    static const size_t widths[][2] = {{1, 9}, {2, 10}, {4, 12}, {8, 16}, {8, 24}, {4, 300}, {8, 8}};
    static const int64_t sizes[] = {0, 1, 2, 23, 24, 25, 100, 4097, 70000, 200000};
    int bad = 0;
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
        for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++)
            for (int shape = 0; shape < 12; shape++) {
                size_t kw = widths[w][0], R = widths[w][1];
                int64_t n = sizes[z];
                if (R > 100 && n > 4097)
                    continue; /* wide records: the small sizes reach every path */
                /* The scratch 64-byte aligned for even shapes, 8 to 56 bytes
                 * off for odd ones (the streaming scatter's lines are then
                 * not the buffer's). */
                unsigned char *a = calloc((size_t)n + 1, R), *want = calloc((size_t)n + 1, R), *tmp_base = NULL;
                if (posix_memalign((void **)&tmp_base, 64, ((size_t)n + 1) * R + 64) != 0)
                    tmp_base = NULL;
                unsigned char *tmp = tmp_base + (shape % 2) * 8 * (1 + (z + (size_t)shape) % 7);
                uint64_t keep = kw == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * kw)) - 1;
                for (int64_t i = 0; i < n; i++) {
                    uint64_t k = shaped_key(shape, i, n, w * 100 + z) & keep;
                    memcpy(a + (size_t)i * R, &k, kw);
                    if (R >= kw + 8)
                        memcpy(a + (size_t)i * R + kw, &i, 8);
                    for (size_t b = kw + 8; b < R; b++)
                        a[(size_t)i * R + b] = (unsigned char)(i + (int64_t)b);
                }
                memcpy(want, a, (size_t)n * R);
                uint64_t flip = shape % 3 == 0 ? 0 : shape % 3 == 1 ? (uint64_t)1 << (8 * kw - 1) : keep;
                key_order order = {R >= kw + 8 ? kw : 8, flip}; /* bare keys: no index to break ties, none needed */
                qsort_r(want, (size_t)n, R, cmp_key_then_index, &order);
                rec_layout L = {R, kw, false, flip};
                unsigned char *got = cohort__radix_sort(&L, a, tmp, n, shape % 4 < 2 ? tmp : a);
                if (got == NULL || memcmp(got, want, (size_t)n * R) != 0) {
                    if (bad++ < 5)
                        printf("radix sort differs: kw %zu, R %zu, n %lld, shape %d\n", kw, R, (long long)n, shape);
                }
                free(a), free(tmp_base), free(want);
            }
    CU_ASSERT_EQUAL(bad, 0);
}

static int cmp_bytes_then_index(const void *x, const void *y, void *kw_)
{
    size_t kw = *(const size_t *)kw_;
    int c = memcmp(x, y, kw);
    uint64_t ia, ib;
    memcpy(&ia, (const unsigned char *)x + kw, 8), memcpy(&ib, (const unsigned char *)y + kw, 8);
    return c != 0 ? c : (ia > ib) - (ia < ib);
}

/* Sorted runs (some empty) merged in one call equal the stable sort of all
 * their records: equal keys come out in run order; keys encoded or raw. */
static void test_merge_runs_stable(void)
{
    static const size_t layouts[][3] = {{8, 16, 0}, {4, 12, 0}, {8, 8, 0}, {5, 13, 1}, {8, 40, 0}};
    static const int nruns[] = {1, 2, 3, 4, 5, 7, 16, 17, 40};
    int bad = 0;
    for (size_t l = 0; l < sizeof layouts / sizeof *layouts; l++)
        for (size_t r = 0; r < sizeof nruns / sizeof *nruns; r++)
            for (int shape = 0; shape < 3; shape++) {
                size_t kw = layouts[l][0], R = layouts[l][1];
                bool bytes = layouts[l][2];
                int k = nruns[r];
                int64_t counts[40], n = 0;
                for (int j = 0; j < k; j++) { /* every third run empty, others up to 3000 records */
                    counts[j] = j % 3 == 1 ? 0 : (int64_t)(t_rand(l * 100 + r, (uint64_t)j) % 3000);
                    n += counts[j];
                }
                unsigned char *a = calloc((size_t)n + 1, R), *tmp = calloc((size_t)n + 1, R),
                              *want = calloc((size_t)n + 1, R);
                /* integer keys raw (compared XOR the sign bit) for odd run counts */
                uint64_t flip = !bytes && r % 2 ? (uint64_t)1 << (8 * kw - 1) : 0;
                key_order order = {R >= kw + 8 ? kw : 8, flip};
                void *cw = bytes ? (void *)&kw : &order;
                int (*cmp)(const void *, const void *, void *) = bytes ? cmp_bytes_then_index : cmp_key_then_index;
                int64_t at = 0;
                for (int j = 0; j < k; j++) {
                    for (int64_t i = at; i < at + counts[j]; i++) {
                        uint64_t key = t_rand(shape * 7 + 1, (uint64_t)i);
                        key = shape == 0 ? key : shape == 1 ? key % 5 : 3; /* distinct, few, all equal */
                        memcpy(a + (size_t)i * R, &key, kw);
                        if (R >= kw + 8)
                            memcpy(a + (size_t)i * R + kw, &i, 8);
                    }
                    qsort_r(a + (size_t)at * R, (size_t)counts[j], R, cmp, cw);
                    at += counts[j];
                }
                memcpy(want, a, (size_t)n * R);
                qsort_r(want, (size_t)n, R, cmp, cw);
                rec_layout L = {R, kw, bytes, flip};
                unsigned char *got = cohort__merge_runs(&L, a, tmp, counts, k);
                if (got == NULL || memcmp(got, want, (size_t)n * R) != 0) {
                    if (bad++ < 5)
                        printf("merge differs: kw %zu, R %zu, %d runs, shape %d\n", kw, R, k, shape);
                }
                free(a), free(tmp), free(want);
            }
    CU_ASSERT_EQUAL(bad, 0);
}

/* The key encoding of doubles: bare keys (the vector loop) encode as keys
 * inside wider records do (the scalar loop), ascending and descending, for
 * signed zeros, NaNs of any payload, infinities, subnormals; and the
 * encoded keys are in numpy's order (NaN last both ways). */
static void test_encode_doubles(void)
{
    enum { N = 1003 };
    double *x = malloc(N * sizeof *x);
    uint64_t *bare = malloc(N * sizeof *bare), *wide = malloc(2 * N * sizeof *wide);
    for (int64_t i = 0; i < N; i++) {
        uint64_t r = t_rand(5, (uint64_t)i), bits = r ^ (r << 29);
        static const double special[] = {0.0, -0.0, INFINITY, -INFINITY, DBL_TRUE_MIN, -DBL_TRUE_MIN, DBL_MAX, 1};
        if (r % 5 == 0)
            memcpy(&x[i], &bits, 8); /* any bits: NaNs of every payload, subnormals */
        else
            x[i] = r % 5 == 1 ? NAN : special[r % 8];
    }
    cohort_column c = cohort_column_make("x", COHORT_DOUBLE, N, x);
    for (int desc = 0; desc < 2; desc++) {
        cohort__keys_encode(&c, desc, bare, 8);
        cohort__keys_encode(&c, desc, wide, 16);
        int64_t bad = 0;
        for (int64_t i = 0; i < N; i++) {
            bad += bare[i] != wide[2 * i];
            int64_t others[3] = {i - 1, i - 2, i / 2};
            for (int k = 0; k < 3; k++) {
                int64_t j = others[k] < 0 ? 0 : others[k];
                double a = x[i], b = x[j];
                int want = a != a ? (b != b ? 0 : 1) : b != b ? -1 : desc ? (a < b) - (a > b) : (a > b) - (a < b);
                int got = (bare[i] > bare[j]) - (bare[i] < bare[j]);
                bad += got != want;
            }
        }
        CU_ASSERT_EQUAL(bad, 0);
    }
    free(x), free(bare), free(wide);
}

/* numpy.histogram's rule for uniform bins, written out: trunc((v - first)
 * * norm), then one step either way against the looked-up edges. */
static int64_t numpy_bin(const double *e, int64_t n, double first, double last, double norm, double v)
{
    if (v != v)
        return -1;
    if (v < first)
        return -2;
    if (v > last)
        return -3;
    int64_t b = (int64_t)((v - first) * norm);
    if (b == n)
        b--;
    if (v < e[b])
        b--;
    else if (b != n - 1 && v >= e[b + 1])
        b++;
    return b;
}

/* Counting into uniform bins (the vector loop's two paths, and the scalar
 * loop) against numpy's rule, on values on, just below, just above and a
 * few thousand ulps from every edge, NaN, infinities and values outside
 * the range, over ranges far from zero (where the rounding margin is wide
 * or too wide to use); unaligned, with ragged tails. */
static void test_uniform_bins(void)
{
    static const struct { int64_t n; double first, last; } cases[] = {
        {1, 0, 1}, {3, 0.1, 0.7}, {7, -2.5, 3.5}, {10, -2, 3}, {100, -4.75, 5.125}, {1000, 1e15, 1e15 + 977},
        {49, -1e-300, 3e-300}, {127, -1e300, 1e300}, {4096, 0, 1}, {100, 1e12, 1e12 + 1000}, {64, -3e13, 3e13 + 7},
    };
    enum { M = 20011 };
    double *x = malloc((M + 1) * sizeof *x);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        int64_t n = cases[c].n;
        double first = cases[c].first, last = cases[c].last, step = (last - first) / (double)n;
        double norm = (double)n / (last - first);
        double *e = malloc((size_t)(n + 1) * sizeof *e);
        for (int64_t i = 0; i < n; i++)
            e[i] = (double)i * step + first; /* numpy.linspace */
        e[n] = last;
        for (int bent = 0; bent < 2; bent++) {
            if (bent) /* edges that are not linspace's: the kernel must look them up */
                e[(n + 1) / 2] = nextafter(e[(n + 1) / 2], INFINITY);
            cohort_ubins u;
            cohort__ubins_init(&u, n, first, last, norm, step, e);
            CU_ASSERT_EQUAL(u.computable, !bent);
            for (int64_t i = 0; i < M; i++) {
                uint64_t r = t_rand(77 + c, (uint64_t)i);
                double edge = e[(int64_t)(r >> 8) % (n + 1)], f = (double)(r >> 11) * 0x1.0p-53;
                double ulp = edge != 0 ? ldexp(1, ilogb(edge) - 52) : DBL_TRUE_MIN;
                switch (r % 12) {
                case 11: x[1 + i] = edge + (r & 1 ? 1 : -1) * (double)(r >> 40 & 4095) * ulp; break; /* a few ulps off */
                case 0: x[1 + i] = edge; break;
                case 1: x[1 + i] = nextafter(edge, -INFINITY); break;
                case 2: x[1 + i] = nextafter(edge, INFINITY); break;
                case 3: x[1 + i] = r % 3 == 0 ? NAN : r % 3 == 1 ? INFINITY : -INFINITY; break;
                case 4: x[1 + i] = first - f * (last - first) - 1e-300; break;
                case 5: x[1 + i] = last + f * (last - first) + 1e-300; break;
                default: x[1 + i] = first + f * (last - first); break;
                }
            }
            for (int64_t m = M - 3; m <= M; m++) {
                int64_t *counts = calloc((size_t)n, sizeof *counts), *want = calloc((size_t)n, sizeof *want);
                int64_t *sub = malloc(4 * (size_t)(n + 1) * sizeof *sub);
                int64_t tally[3] = {0, 0, 0}, want_tally[3] = {0, 0, 0};
                cohort__ubins_count(&u, x + 1, m, counts, tally, sub);
                for (int64_t i = 0; i < m; i++) {
                    int64_t b = numpy_bin(e, n, first, last, norm, x[1 + i]);
                    if (b < 0)
                        want_tally[-b - 1]++;
                    else
                        want[b]++;
                }
                CU_ASSERT(memcmp(counts, want, (size_t)n * sizeof *want) == 0);
                CU_ASSERT(memcmp(tally, want_tally, sizeof tally) == 0);
                free(counts), free(want), free(sub);
            }
        }
        free(e);
    }
    free(x);
}

/* The group-by table on dense integer keys whose first rows span the whole
 * range: it starts as a hash table, becomes an array indexed by key when
 * it grows, and a key far outside turns it back into a hash table; every
 * group's count and sum stay exact throughout. */
static void test_aggtab_dense_keys(void)
{
    enum { N = 100000, OUT = 10 };
    int64_t *k = malloc((N + OUT) * sizeof *k);
    double *x = malloc((N + OUT) * sizeof *x);
    for (int64_t i = 0; i < N; i++)
        k[i] = i * 7919 % N, x[i] = (double)k[i]; /* a permutation of 0 .. N-1 */
    cohort_column keys = cohort_column_make("k", COHORT_INT64, N, k), vals = cohort_column_make("x", COHORT_DOUBLE, N, x);
    agg_layout *L = malloc(sizeof *L);
    CU_ASSERT_EQUAL_FATAL(cohort__agg_layout(L, &keys, 1, &vals, 1, COHORT_AGG_SUM, false), COHORT_OK);
    agg_table t;
    cohort__aggtab_init(&t, L);
    CU_ASSERT_EQUAL(cohort__aggtab_add(T_ctx, &t, &keys, &vals, N, 0), COHORT_OK);
    CU_ASSERT(t.direct); /* a hash table at first (the first rows span 0 .. N-1), then an array */
    for (int64_t j = 0; j < OUT; j++)
        k[N + j] = ((int64_t)1 << 40) + j, x[N + j] = (double)k[N + j];
    keys.count = vals.count = N + OUT;
    CU_ASSERT_EQUAL(cohort__aggtab_add(T_ctx, &t, &keys, &vals, N + OUT, N), COHORT_OK);
    CU_ASSERT(!t.direct && t.no_direct);
    int64_t n = cohort__aggtab_compact(&t), bad = 0;
    CU_ASSERT_EQUAL(n, N + OUT);
    for (int64_t g = 0; g < n; g++) {
        const unsigned char *r = t.slots + (size_t)g * L->R;
        uint64_t w;
        int64_t count;
        double sum;
        memcpy(&w, r, 8), memcpy(&count, r + L->kw, 8), memcpy(&sum, r + L->v[0].sum, 8);
        int64_t key = (int64_t)(w ^ ((uint64_t)1 << 63)); /* int64 keys are stored with the sign bit flipped */
        int64_t want = key < N ? 2 : 1;
        bad += count != want || sum != (double)key * (double)want || (key >= N && key - ((int64_t)1 << 40) >= OUT);
    }
    CU_ASSERT_EQUAL(bad, 0);
    cohort__aggtab_free(T_ctx, &t);
    free(L), free(k), free(x);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The largest distance, over q = 0, 0.01, …, 1, between floor(q (N - 1))
 * and the ranks [first, last] the sketch's answer holds in sorted[0, N). */
static int64_t sketch_worst_error(const cohort_sketch *s, const double *sorted, int64_t N)
{
    double q[101], got[101];
    for (int j = 0; j <= 100; j++)
        q[j] = j / 100.0;
    CU_ASSERT_EQUAL_FATAL(cohort__sketch_quantiles(s, q, 101, got), COHORT_OK);
    int64_t worst = 0;
    for (int j = 0; j <= 100; j++) {
        int64_t want = (int64_t)floor(q[j] * (double)(N - 1)), lo = 0, hi = N;
        while (lo < hi) { /* first index with sorted[i] >= got */
            int64_t mid = lo + (hi - lo) / 2;
            if (sorted[mid] < got[j])
                lo = mid + 1;
            else
                hi = mid;
        }
        int64_t first = lo, last = first;
        CU_ASSERT_FATAL(first < N && sorted[first] == got[j]); /* an input value */
        while (last + 1 < N && sorted[last + 1] == got[j])
            last++;
        int64_t err = want < first ? first - want : want > last ? want - last : 0;
        worst = err > worst ? err : worst;
    }
    return worst;
}

/* The sketch: every answer within eps N ranks, for data in random, sorted
 * and reversed order, with many duplicates, infinities and both zeros;
 * built in one piece, and in 7 uneven pieces merged through their packed
 * form (as ranks merge them).  NaN are counted aside. */
static void test_sketch_bound(void)
{
    const int64_t N = 300007;
    double *x = malloc((size_t)N * 8), *sorted = malloc((size_t)N * 8);
    uint64_t r = 88172645463325252ull;
    for (int shape = 0; shape < 4; shape++) {
        for (int64_t i = 0; i < N; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            double u = (double)(r >> 11) / 9007199254740992.0;
            x[i] = shape == 3 ? (double)(r % 17) - 8 : ldexp(u - 0.5, (int)(r % 40) - 20);
        }
        x[5] = INFINITY, x[6] = -INFINITY, x[7] = -0.0, x[8] = 0.0;
        memcpy(sorted, x, (size_t)N * 8);
        qsort(sorted, (size_t)N, 8, cmp_dbl);
        if (shape == 1)
            memcpy(x, sorted, (size_t)N * 8);
        if (shape == 2)
            for (int64_t i = 0; i < N; i++)
                x[i] = sorted[N - 1 - i];
        for (double eps = 0.1; eps > 0.0005; eps /= 10) {
            cohort_sketch one, all;
            int64_t nan = 0;
            CU_ASSERT_EQUAL_FATAL(cohort__sketch_init(&one, eps), COHORT_OK);
            CU_ASSERT_EQUAL(cohort__sketch_add_values(&one, x, N, &nan), COHORT_OK);
            CU_ASSERT_EQUAL(one.count, N);
            CU_ASSERT_EQUAL(nan, 0);
            CU_ASSERT(sketch_worst_error(&one, sorted, N) <= (int64_t)ceil(eps * (double)N));
            cohort__sketch_free(&one);
            /* Seven pieces of uneven sizes, each with a NaN, merged. */
            CU_ASSERT_EQUAL_FATAL(cohort__sketch_init(&all, eps), COHORT_OK);
            int64_t cut[8] = {0, 1, 1000, 5000, 123457, 200000, 299999, N};
            for (int p = 0; p < 7; p++) {
                cohort_sketch piece;
                double nanv = NAN;
                CU_ASSERT_EQUAL_FATAL(cohort__sketch_init(&piece, eps), COHORT_OK);
                CU_ASSERT_EQUAL(cohort__sketch_add_values(&piece, x + cut[p], cut[p + 1] - cut[p], &nan), COHORT_OK);
                CU_ASSERT_EQUAL(cohort__sketch_add_values(&piece, &nanv, 1, &nan), COHORT_OK);
                double *packed = malloc(cohort__sketch_size(&piece));
                cohort__sketch_pack(&piece, packed);
                CU_ASSERT_EQUAL(cohort__sketch_merge_packed(&all, packed), COHORT_OK);
                free(packed);
                cohort__sketch_free(&piece);
            }
            CU_ASSERT_EQUAL(all.count, N);
            CU_ASSERT_EQUAL(nan, 7);
            CU_ASSERT(sketch_worst_error(&all, sorted, N) <= (int64_t)ceil(eps * (double)N));
            cohort__sketch_free(&all);
        }
    }
    free(x), free(sorted);
}

int main(int argc, char **argv)
{
    static const t_test tests[] = {
        {"exact sums: known cases", test_xsum_known},
        {"exact sums against 128-bit integers, any grouping", test_xsum_against_int128},
        {"exact sums of integers and squares; the exact variance", test_xsum_integers_and_squares},
        {"radix sort: stable, every key width, record size and key shape", test_radix_sort_stable},
        {"merge of sorted runs: stable, 1 to 40 runs, empty runs", test_merge_runs_stable},
        {"key encoding of doubles: vector and scalar loops agree, numpy's order", test_encode_doubles},
        {"uniform bins: numpy's rule, on and beside every edge", test_uniform_bins},
        {"group-by table: hash, then indexed by dense keys, then hash again", test_aggtab_dense_keys},
        {"quantile sketch: within eps N ranks, alone and merged, any order", test_sketch_bound},
        {NULL, NULL},
    };
    return t_main(argc, argv, "kernels", tests);
}
