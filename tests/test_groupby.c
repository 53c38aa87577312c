/*
 * test_groupby.c — the distributed group-by against a naive oracle written
 * here (sort the global rows by key, walk the runs in long double), at any
 * rank count, with uneven ranks and an empty one, small blocks, one group,
 * every row its own group, skewed keys, composite keys in one word and in
 * bytes, string keys, NaN values, integer values, first/last in global
 * row order; output in key order across ranks; the reproducible mode
 * bit-identical to one rank; integer overflow and bad input failing on
 * every rank.  (Agreement with pandas is tested in test_groupby_app.py.)
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int64_t rows_of(int r) { return r == 1 ? 0 : 900 + 173 * r; } /* uneven; rank 1 empty */

enum { K_MOD7, K_MOD1000, K_ONE, K_DISTINCT, K_ZIPF, K_WIDENS };

typedef struct data {
    int64_t n, first, N;
    int64_t *k;      /* int64 key */
    int32_t *a;      /* composite: a (int32), b (uint8) */
    uint8_t *b;
    char *s;         /* 12-byte strings */
    int16_t *c;      /* with s: a 14-byte key */
    double *x;       /* values with NaN */
    int32_t *y;      /* integer values */
} data;

static int64_t key_of(int kind, int64_t g)
{
    uint64_t u = t_rand(3, (uint64_t)g);
    switch (kind) {
    case K_MOD7: return (int64_t)(u % 7) - 3;
    case K_MOD1000: return (int64_t)(u % 1000) * 1000003 - 400000000;
    case K_ONE: return 42;
    case K_DISTINCT: return -g;
    case K_WIDENS: return g % 1500 < 700 ? (int64_t)(u % 10) : (int64_t)(u % 5000) * 977; /* narrow, then wide */
    default: return (int64_t)floor(exp((double)(u >> 11) * 0x1.0p-53 * log(1e4))) - 1;
    }
}

/* Row i of @d is global row g. */
static void fill(data *d, int kind, int64_t i, int64_t g)
{
    uint64_t u = t_rand(9, (uint64_t)g);
    d->k[i] = key_of(kind, g);
    d->a[i] = (int32_t)(u % 5) - 2, d->b[i] = (uint8_t)(u >> 8 & 3);
    snprintf(d->s + 12 * i, 12, "s%02d", (int)(u >> 16 & 15)); /* NUL-padded */
    d->c[i] = (int16_t)((int)(u >> 24 & 3) - 1);
    d->x[i] = (u >> 32) % 11 == 0 ? NAN : (double)(u >> 40) * 0x1.0p-24 * 100 - 50;
    d->y[i] = (int32_t)(u >> 33 & 0xFFFF) - 30000;
}

static void make(data *d, int kind)
{
    d->first = 0, d->N = 0;
    for (int r = 0; r < T_size; r++)
        d->first += r < T_rank ? rows_of(r) : 0, d->N += rows_of(r);
    d->n = rows_of(T_rank);
    size_t n = (size_t)d->n + 1;
    d->k = malloc(n * 8), d->a = malloc(n * 4), d->b = malloc(n), d->s = calloc(n, 12), d->c = malloc(n * 2);
    d->x = malloc(n * 8), d->y = malloc(n * 4);
    for (int64_t i = 0; i < d->n; i++)
        fill(d, kind, i, d->first + i);
}

static void release(data *d) { free(d->k), free(d->a), free(d->b), free(d->s), free(d->c), free(d->x), free(d->y); }

/* ---- the oracle -------------------------------------------------------------- */

static const cohort_column *o_keys;
static int o_nkeys;

static int cmp_key(int64_t i, int64_t j)
{
    for (int c = 0; c < o_nkeys; c++) {
        const cohort_column *k = &o_keys[c];
        int r = 0;
        switch (k->type) {
        case COHORT_INT64: { int64_t a = ((int64_t *)k->data)[i], b = ((int64_t *)k->data)[j]; r = (a > b) - (a < b); break; }
        case COHORT_INT32: { int32_t a = ((int32_t *)k->data)[i], b = ((int32_t *)k->data)[j]; r = (a > b) - (a < b); break; }
        case COHORT_INT16: { int16_t a = ((int16_t *)k->data)[i], b = ((int16_t *)k->data)[j]; r = (a > b) - (a < b); break; }
        case COHORT_UINT8: { uint8_t a = ((uint8_t *)k->data)[i], b = ((uint8_t *)k->data)[j]; r = (a > b) - (a < b); break; }
        default: r = memcmp((char *)k->data + i * k->width, (char *)k->data + j * k->width, k->width); break;
        }
        if (r)
            return r;
    }
    return (i > j) - (i < j); /* stable: global row order within a key */
}

static int cmp_idx(const void *a, const void *b) { return cmp_key(*(const int64_t *)a, *(const int64_t *)b); }

/* Equal keys are equal bytes, for integers and strings alike. */
static bool same_key(const cohort_column *keys, int nk, int64_t a, int64_t b)
{
    for (int c = 0; c < nk; c++)
        if (memcmp((char *)keys[c].data + a * keys[c].width, (char *)keys[c].data + b * keys[c].width, keys[c].width))
            return false;
    return true;
}

/* Gather the ranks' result column @name (elements of @w bytes) on every rank. */
static void *gather(const cohort_table *t, const char *name, size_t w, int64_t *total)
{
    int i = cohort_table_find(t, name);
    CU_ASSERT(i >= 0);
    cohort_column c = cohort_table_column(t, i);
    int64_t mine = cohort_table_rows(t) * (int64_t)w;
    int *counts = malloc(sizeof(int) * (size_t)T_size), *displs = malloc(sizeof(int) * (size_t)T_size);
    int m = (int)mine;
    MPI_Allgather(&m, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
    int sum = 0;
    for (int r = 0; r < T_size; r++)
        displs[r] = sum, sum += counts[r];
    void *all = malloc((size_t)sum + 8);
    MPI_Allgatherv(i >= 0 ? c.data : NULL, m, MPI_BYTE, all, counts, displs, MPI_BYTE, MPI_COMM_WORLD);
    *total = sum / (int64_t)w;
    free(counts), free(displs);
    return all;
}

static bool same_double(double a, double b, double rel)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) <= rel * fabs(b) + 1e-300;
}

/* Columns of @t (gathered) that differ from those of the same group-by of
 * the whole data @wc on one rank, bit for bit. */
static int same_as_one_rank(const cohort_table *t, const cohort_column *wc, int ncols, int nk,
                            const cohort_groupby_options *o)
{
    cohort_ctx *self;
    cohort_ctx_create(MPI_COMM_SELF, &self);
    cohort_columns_source cs;
    cohort_source src;
    cohort_source_columns(&src, &cs, wc, ncols);
    cohort_table *ref = NULL;
    int bad = 0;
    CU_ASSERT_EQUAL_FATAL(cohort_groupby(self, &src, nk, o, &ref), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_table_ncolumns(ref), cohort_table_ncolumns(t));
    for (int c = 0; c < cohort_table_ncolumns(ref); c++) {
        cohort_column rc = cohort_table_column(ref, c);
        int64_t got;
        void *all = gather(t, rc.name, rc.width, &got);
        if (got != rc.count || memcmp(all, rc.data, (size_t)got * rc.width) != 0) {
            bad++;
            if (T_rank == 0)
                printf("reproducible column %s differs from one rank's\n", rc.name);
        }
        free(all);
    }
    cohort_table_destroy(&ref);
    cohort_ctx_destroy(&self);
    return bad;
}

/* Group the global rows (every rank builds them: value(g) is deterministic)
 * with the oracle and compare with cohort_groupby's result. */
static void check(int kind, int keyset, int64_t block, unsigned aggs, bool reproducible)
{
    data part, whole;
    make(&part, kind);
    /* The whole data, on every rank: every row of every rank. */
    whole.first = 0, whole.n = 0;
    for (int r = 0; r < T_size; r++)
        whole.n += rows_of(r);
    size_t n = (size_t)whole.n + 1;
    whole.k = malloc(n * 8), whole.a = malloc(n * 4), whole.b = malloc(n), whole.s = calloc(n, 12);
    whole.c = malloc(n * 2), whole.x = malloc(n * 8), whole.y = malloc(n * 4);
    for (int64_t g = 0; g < whole.n; g++)
        fill(&whole, kind, g, g);
    /* Key sets: 0 = k; 1 = (a, b) in one word; 2 = (s, c) as 14 bytes. */
    cohort_column pc[4], wc[4];
    int nk = keyset == 0 ? 1 : 2;
    for (int w = 0; w < 2; w++) {
        data *d = w ? &whole : &part;
        cohort_column *c = w ? wc : pc;
        if (keyset == 0)
            c[0] = cohort_column_make("k", COHORT_INT64, d->n, d->k);
        else if (keyset == 1)
            c[0] = cohort_column_make("a", COHORT_INT32, d->n, d->a), c[1] = cohort_column_make("b", COHORT_UINT8, d->n, d->b);
        else
            c[0] = cohort_column_make_bytes("s", 12, d->n, d->s), c[1] = cohort_column_make("c", COHORT_INT16, d->n, d->c);
        c[nk] = cohort_column_make("x", COHORT_DOUBLE, d->n, d->x);
        c[nk + 1] = cohort_column_make("y", COHORT_INT32, d->n, d->y);
    }
    t_blocks sb;
    cohort_source src = t_blocks_source(&sb, pc, nk + 2, block, MPI_COMM_WORLD);
    cohort_groupby_options o = {.aggs = aggs, .reproducible = reproducible};
    cohort_table *t = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_groupby(T_ctx, &src, nk, &o, &t), COHORT_OK);

    /* The oracle over the whole data. */
    int64_t N = whole.n, *idx = malloc((size_t)(N + 1) * 8);
    for (int64_t i = 0; i < N; i++)
        idx[i] = i;
    o_keys = wc, o_nkeys = nk;
    qsort(idx, (size_t)N, 8, cmp_idx);
    unsigned eff = aggs ? aggs : COHORT_AGG_SUM | COHORT_AGG_MEAN; /* the default */
    int64_t G = 0, got;
    int64_t *count = gather(t, "size", 8, &got);
    int64_t *xcount = eff & COHORT_AGG_COUNT ? gather(t, "x_count", 8, &got) : NULL;
    double *xsem = eff & COHORT_AGG_SEM ? gather(t, "x_sem", 8, &got) : NULL;
    double *xsum = eff & COHORT_AGG_SUM ? gather(t, "x_sum", 8, &got) : NULL;
    double *xmean = eff & COHORT_AGG_MEAN ? gather(t, "x_mean", 8, &got) : NULL;
    double *xvar = eff & COHORT_AGG_VAR ? gather(t, "x_var", 8, &got) : NULL;
    double *xmin = eff & COHORT_AGG_MIN ? gather(t, "x_min", 8, &got) : NULL;
    double *xfirst = eff & COHORT_AGG_FIRST ? gather(t, "x_first", 8, &got) : NULL;
    double *xlast = eff & COHORT_AGG_LAST ? gather(t, "x_last", 8, &got) : NULL;
    int64_t *ysum = eff & COHORT_AGG_SUM ? gather(t, "y_sum", 8, &got) : NULL;
    int32_t *ymax = eff & COHORT_AGG_MAX ? gather(t, "y_max", 4, &got) : NULL;
    int32_t *yfirst = eff & COHORT_AGG_FIRST ? gather(t, "y_first", 4, &got) : NULL;
    int64_t *k0 = keyset == 0 ? gather(t, "k", 8, &got) : NULL;
    int bad = 0;
    for (int64_t i = 0; i < N;) {
        int64_t j = i + 1;
        while (j < N && same_key(wc, nk, idx[i], idx[j]))
            j++;
        /* rows idx[i..j) form one group */
        long double s = 0, s2 = 0;
        int64_t nn = 0, ys = 0;
        double mn = INFINITY, first = NAN, last = NAN;
        int32_t ymx = INT32_MIN;
        for (int64_t r = i; r < j; r++) {
            double x = whole.x[idx[r]];
            ys += whole.y[idx[r]];
            ymx = whole.y[idx[r]] > ymx ? whole.y[idx[r]] : ymx;
            if (x != x)
                continue;
            nn++, s += x, mn = x < mn ? x : mn;
            if (first != first)
                first = x;
            last = x;
        }
        long double mean = nn ? s / nn : 0;
        for (int64_t r = i; r < j; r++)
            if (whole.x[idx[r]] == whole.x[idx[r]])
                s2 += (whole.x[idx[r]] - mean) * (whole.x[idx[r]] - mean);
        if (G < got) {
            bad += count[G] != j - i;
            if (k0)
                bad += k0[G] != whole.k[idx[i]];
            if (xsum)
                bad += !same_double(xsum[G], (double)s, 1e-13) + (ysum[G] != ys);
            if (xmean)
                bad += !same_double(xmean[G], nn ? (double)(s / nn) : NAN, 1e-13);
            if (xvar)
                bad += !same_double(xvar[G], nn >= 2 ? (double)(s2 / (nn - 1)) : NAN, 1e-13);
            if (xsem)
                bad += !same_double(xsem[G], nn >= 2 ? (double)sqrtl(s2 / (nn - 1) / nn) : NAN, 1e-13);
            if (xcount)
                bad += xcount[G] != nn;
            if (xmin)
                bad += !same_double(xmin[G], nn ? mn : NAN, 0);
            if (xfirst)
                bad += !same_double(xfirst[G], first, 0) + (yfirst[G] != whole.y[idx[i]]);
            if (xlast)
                bad += !same_double(xlast[G], last, 0);
            if (ymax)
                bad += ymax[G] != ymx;
        }
        G++;
        i = j;
    }
    CU_ASSERT_EQUAL(got, G);
    CU_ASSERT_EQUAL(bad, 0);
    if (bad)
        printf("kind %d keyset %d: %d mismatches in %lld groups\n", kind, keyset, bad, (long long)G);

    /* The reproducible mode: every column bit-identical to one rank's. */
    if (reproducible)
        bad = same_as_one_rank(t, wc, nk + 2, nk, &o);
    CU_ASSERT_EQUAL(bad, 0);
    free(count), free(xsum), free(xmean), free(xvar), free(xmin), free(xfirst), free(xlast), free(ysum), free(ymax);
    free(yfirst), free(k0), free(idx), free(xcount), free(xsem);
    cohort_table_destroy(&t);
    release(&part), release(&whole);
}

#define ALL (COHORT_AGG_COUNT | COHORT_AGG_SUM | COHORT_AGG_MEAN | COHORT_AGG_MIN | COHORT_AGG_MAX | COHORT_AGG_VAR | \
             COHORT_AGG_STD | COHORT_AGG_FIRST | COHORT_AGG_LAST | COHORT_AGG_SEM)

static void test_few_groups(void) { check(K_MOD7, 0, 1 << 20, ALL, false); }
static void test_many_groups(void) { check(K_MOD1000, 0, 97, ALL, false); }
static void test_one_group(void) { check(K_ONE, 0, 64, ALL, false); }
static void test_distinct(void) { check(K_DISTINCT, 0, 1 << 20, ALL, false); }
static void test_zipf(void) { check(K_ZIPF, 0, 211, 0, false); }
static void test_widens(void) { check(K_WIDENS, 0, 400, ALL, false); }
static void test_composite_word(void) { check(K_MOD7, 1, 300, ALL, false); }
static void test_composite_bytes(void) { check(K_MOD7, 2, 300, ALL, false); }
static void test_reproducible(void) { check(K_MOD1000, 0, 53, ALL, true); }
static void test_reproducible_few(void) { check(K_MOD7, 1, 97, ALL, true); }

/* A small group-by of rows spread over the ranks: global row g of the
 * @n given goes to rank g % T_size (so every split is exercised). */
static cohort_table *small_groupby(cohort_column *cols, int ncols, int nk, const cohort_groupby_options *o, int *st)
{
    cohort_column mine[8];
    void *bufs[8];
    for (int c = 0; c < ncols; c++) {
        int64_t n = cols[c].count, k = 0;
        bufs[c] = malloc((size_t)(n + 1) * cols[c].width);
        for (int64_t g = 0; g < n; g++)
            if (g % T_size == T_rank)
                memcpy((char *)bufs[c] + (size_t)k++ * cols[c].width, (char *)cols[c].data + (size_t)g * cols[c].width,
                       cols[c].width);
        mine[c] = cols[c];
        mine[c].count = k, mine[c].data = bufs[c];
    }
    cohort_columns_source cs;
    cohort_source src;
    cohort_source_columns(&src, &cs, mine, ncols);
    cohort_table *t = NULL;
    *st = cohort_groupby(T_ctx, &src, nk, o, &t);
    for (int c = 0; c < ncols; c++)
        free(bufs[c]);
    return t;
}

/* Column @name of a small result, gathered, as doubles/int64 bits (NULL if absent). */
static void *small_col(const cohort_table *t, const char *name, int64_t *n)
{
    int i = cohort_table_find(t, name);
    int64_t got;
    void *all = gather(t, name, i >= 0 ? cohort_table_column(t, i).width : 8, &got);
    *n = got;
    return all;
}

static bool bits_equal(double a, double b) { return memcmp(&a, &b, 8) == 0; }

/* Integer sums and products overflow only when the final value does not
 * fit, whatever the order of the rows and the number of ranks; uint64
 * values sum exactly (pandas' test_groupby_mean_no_overflow). */
static void test_integer_exactness(void)
{
    int st;
    int64_t one[3] = {1, 1, 1}, big[3] = {(int64_t)1 << 62, (int64_t)1 << 62, -((int64_t)1 << 62)};
    for (int rot = 0; rot < 3; rot++) { /* every order of [2^62, 2^62, -2^62] */
        int64_t v[3] = {big[rot], big[(rot + 1) % 3], big[(rot + 2) % 3]};
        cohort_column c[2] = {cohort_column_make("k", COHORT_INT64, 3, one), cohort_column_make("v", COHORT_INT64, 3, v)};
        cohort_groupby_options o = {.aggs = COHORT_AGG_SUM | COHORT_AGG_MEAN};
        cohort_table *t = small_groupby(c, 2, 1, &o, &st);
        CU_ASSERT_EQUAL(st, COHORT_OK);
        int64_t n, *sum = st == COHORT_OK ? small_col(t, "v_sum", &n) : NULL;
        CU_ASSERT(sum && n == 1 && sum[0] == (int64_t)1 << 62);
        free(sum);
        cohort_table_destroy(&t);
    }
    int64_t over[2] = {INT64_MAX / 2 + 1, INT64_MAX / 2 + 1};
    cohort_column c2[2] = {cohort_column_make("k", COHORT_INT64, 2, one), cohort_column_make("v", COHORT_INT64, 2, over)};
    cohort_table *t = small_groupby(c2, 2, 1, NULL, &st);
    CU_ASSERT_EQUAL(st, COHORT_ERR_OVERFLOW);
    CU_ASSERT(t == NULL);
    cohort_groupby_options only_min = {.aggs = COHORT_AGG_MIN}; /* no sum asked: no overflow */
    t = small_groupby(c2, 2, 1, &only_min, &st);
    CU_ASSERT_EQUAL(st, COHORT_OK);
    cohort_table_destroy(&t);
    /* pandas/tests/groupby/test_function.py::test_groupby_mean_no_overflow: the
     * exact mean correctly rounded is pandas' 3689348814740003840. */
    uint64_t u[5] = {4970, 4749, 4719, 4704, 18446744073699999744ull};
    int64_t k5[5] = {1, 1, 1, 1, 1};
    cohort_column c3[2] = {cohort_column_make("k", COHORT_INT64, 5, k5), cohort_column_make("v", COHORT_UINT64, 5, u)};
    t = small_groupby(c3, 2, 1, NULL, &st);
    CU_ASSERT_EQUAL(st, COHORT_OK);
    if (st == COHORT_OK) {
        int64_t n;
        uint64_t *sum = small_col(t, "v_sum", &n);
        double *mean = small_col(t, "v_mean", &n);
        CU_ASSERT(sum[0] == 18446744073700018886ull && mean[0] == 3689348814740003840.0);
        CU_ASSERT(cohort_table_column(t, cohort_table_find(t, "v_sum")).type == COHORT_UINT64);
        free(sum), free(mean);
    }
    cohort_table_destroy(&t);
    /* Products: [-1, -2^62, -2] is -2^63, which fits, in every order. */
    int64_t pv[3] = {-1, -((int64_t)1 << 62), -2};
    for (int rot = 0; rot < 3; rot++) {
        int64_t v[3] = {pv[rot], pv[(rot + 1) % 3], pv[(rot + 2) % 3]};
        cohort_column c[2] = {cohort_column_make("k", COHORT_INT64, 3, one), cohort_column_make("v", COHORT_INT64, 3, v)};
        cohort_groupby_options o = {.aggs = COHORT_AGG_PROD};
        t = small_groupby(c, 2, 1, &o, &st);
        CU_ASSERT_EQUAL(st, COHORT_OK);
        int64_t n, *prod = st == COHORT_OK ? small_col(t, "v_prod", &n) : NULL;
        CU_ASSERT(prod && prod[0] == INT64_MIN);
        free(prod);
        cohort_table_destroy(&t);
        v[0] = -v[0]; /* 2^63: does not fit */
        t = small_groupby(c, 2, 1, &o, &st);
        CU_ASSERT_EQUAL(st, COHORT_ERR_OVERFLOW);
        cohort_table_destroy(&t);
    }
    int64_t z[3] = {INT64_MAX, INT64_MAX, 0}; /* a zero makes any product fit */
    cohort_column c4[2] = {cohort_column_make("k", COHORT_INT64, 3, one), cohort_column_make("v", COHORT_INT64, 3, z)};
    cohort_groupby_options po = {.aggs = COHORT_AGG_PROD};
    t = small_groupby(c4, 2, 1, &po, &st);
    CU_ASSERT_EQUAL(st, COHORT_OK);
    cohort_table_destroy(&t);
}

/* IEEE arithmetic with infinities, as numpy's sum: [x, inf] is inf,
 * [-inf] is -inf, [inf, -inf] is NaN; in both modes. */
static void test_infinities(void)
{
    int64_t k[9] = {1, 2, 2, 3, 3, 4, 5, 5, 5};
    double v[9] = {-INFINITY, 2, INFINITY, INFINITY, -INFINITY, NAN, 1e308, 1e308, -1e308};
    double want_sum[5] = {-INFINITY, INFINITY, NAN, 0, INFINITY}, want_mean[5] = {-INFINITY, INFINITY, NAN, NAN, INFINITY};
    cohort_column c[2] = {cohort_column_make("k", COHORT_INT64, 9, k), cohort_column_make("v", COHORT_DOUBLE, 9, v)};
    for (int repro = 0; repro < 2; repro++) {
        cohort_groupby_options o = {.aggs = COHORT_AGG_SUM | COHORT_AGG_MEAN | COHORT_AGG_VAR | COHORT_AGG_PROD,
                                    .reproducible = repro};
        int st;
        cohort_table *t = small_groupby(c, 2, 1, &o, &st);
        CU_ASSERT_EQUAL_FATAL(st, COHORT_OK);
        int64_t n;
        double *sum = small_col(t, "v_sum", &n), *mean = small_col(t, "v_mean", &n), *var = small_col(t, "v_var", &n);
        double *prod = small_col(t, "v_prod", &n);
        CU_ASSERT_EQUAL(n, 5);
        for (int g = 0; g < 5 && n == 5; g++) {
            /* [1e308, 1e308, -1e308]: inf by pairs in any order but the exact sum's 1e308 */
            double ws = g == 4 && repro ? 1e308 : want_sum[g], wm = g == 4 && repro ? 1e308 / 3 : want_mean[g];
            bool sum_ok = isnan(ws) ? isnan(sum[g]) : sum[g] == ws;
            if (g == 4 && !repro) /* compensation cannot undo an overflow: inf or 1e308 by the order */
                sum_ok = sum[g] == INFINITY || sum[g] == 1e308;
            CU_ASSERT(sum_ok);
            if (g != 4 || repro)
                CU_ASSERT(isnan(wm) ? isnan(mean[g]) : mean[g] == wm);
            CU_ASSERT(g == 4 || isnan(var[g])); /* an infinity's variance is NaN; one value's too */
        }
        CU_ASSERT(n == 5 && prod[0] == -INFINITY && prod[1] == INFINITY && prod[2] == -INFINITY && prod[3] == 1.0);
        free(sum), free(mean), free(var), free(prod);
        cohort_table_destroy(&t);
    }
}

/* Median, quantiles and nunique against a sort of each group (numpy's
 * formulas), and the reproducible product the same bits at any rank count;
 * float keys with NaN dropped or kept; -0.0 equal to 0.0 as a key. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_order_statistics(void)
{
    enum { N = 2400 };
    double *key = malloc(N * 8), *x = malloc(N * 8);
    int64_t *y = malloc(N * 8);
    for (int64_t g = 0; g < N; g++) {
        uint64_t u = t_rand(71, (uint64_t)g);
        /* keys: a heavy group (0.0 and -0.0), 40 others, NaN */
        key[g] = u % 3 == 0 ? (u & 8 ? -0.0 : 0.0) : u % 97 == 5 ? NAN : (double)(u % 41) * 0.5 - 7;
        x[g] = u % 13 == 0 ? NAN : u % 3 && u % 41 == 20 && (u >> 20) % 3 == 0 ? -0.0 : 1 + (double)((int64_t)(u >> 24) % 2001 - 1000) * 1e-4;
        y[g] = (int64_t)(u >> 30) % 100000 - 50000 + (u % 5 == 0 ? ((int64_t)1 << 60) : 0);
    }
    double qs[3] = {0, 0.3, 1};
    for (int keep = 0; keep < 2; keep++) {
        cohort_groupby_options o = {.aggs = COHORT_AGG_MEDIAN | COHORT_AGG_QUANTILE | COHORT_AGG_NUNIQUE |
                                            COHORT_AGG_COUNT,
                                    .reproducible = 1, .nquantiles = 3, .keep_nan_keys = keep};
        cohort_groupby_options po = {.aggs = COHORT_AGG_PROD, .reproducible = 1, .keep_nan_keys = keep};
        memcpy(o.quantiles, qs, sizeof qs);
        cohort_column c[3] = {cohort_column_make("k", COHORT_DOUBLE, N, key), cohort_column_make("x", COHORT_DOUBLE, N, x),
                              cohort_column_make("y", COHORT_INT64, N, y)};
        int st;
        cohort_table *t = small_groupby(c, 3, 1, &o, &st);
        if (st != COHORT_OK && T_rank == 0)
            printf("%s\n", cohort_errmsg(T_ctx));
        CU_ASSERT_EQUAL_FATAL(st, COHORT_OK);
        int64_t G;
        double *gk = small_col(t, "k", &G), *med = small_col(t, "x_median", &G), *q3 = small_col(t, "x_q0.3", &G);
        double *q0 = small_col(t, "x_q0", &G), *q1 = small_col(t, "x_q1", &G), *ymed = small_col(t, "y_median", &G);
        cohort_table *tp = small_groupby(c, 2, 1, &po, &st); /* the product of x alone: y's overflows */
        CU_ASSERT_EQUAL_FATAL(st, COHORT_OK);
        double *prod = small_col(tp, "x_prod", &G);
        int64_t *nu = small_col(t, "x_nunique", &G), *size = small_col(t, "size", &G);
        CU_ASSERT_EQUAL(G, keep ? 42 : 41);
        int bad = 0;
        double *vals = malloc(N * 8);
        for (int64_t i = 0; i < G; i++) {
            /* The group's values, sorted (NaN out). */
            int64_t n = 0, rows = 0;
            double ys[N];
            int64_t ny = 0;
            for (int64_t g = 0; g < N; g++) {
                bool in = isnan(gk[i]) ? isnan(key[g]) : key[g] == gk[i];
                if (!in)
                    continue;
                rows++;
                ys[ny++] = (double)y[g];
                if (x[g] == x[g])
                    vals[n++] = x[g];
            }
            qsort(vals, (size_t)n, 8, cmp_double);
            qsort(ys, (size_t)ny, 8, cmp_double);
            bad += size[i] != rows;
            double m = n == 0 ? NAN : n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2;
            bad += !(bits_equal(med[i], m) || (m == 0 && med[i] == 0));
            double h = 0.3 * (double)(n - 1), lo = floor(h), gm = h - lo;
            double a = n ? vals[(int64_t)lo] : NAN, b = n ? vals[(int64_t)lo + (lo + 1 < n)] : NAN;
            double want = gm >= 0.5 ? b - (b - a) * (1 - gm) : a + (b - a) * gm;
            bad += !(bits_equal(q3[i], want) || (want == 0 && q3[i] == 0)) || !(n == 0 || q0[i] == vals[0]) ||
                   !(n == 0 || q1[i] == vals[n - 1]);
            double ym = ny % 2 ? ys[ny / 2] : (ys[ny / 2 - 1] + ys[ny / 2]) / 2;
            bad += ymed[i] != ym;
            int64_t distinct = n > 0;
            for (int64_t k = 1; k < n; k++)
                distinct += vals[k] != vals[k - 1]; /* -0.0 == 0.0 */
            bad += nu[i] != distinct;
            long double pr = 1;
            for (int64_t k = 0; k < n; k++)
                pr *= vals[k];
            bad += !same_double(prod[i], (double)pr, 1e-12);
        }
        CU_ASSERT_EQUAL(bad, 0);
        /* Every column the same bits as one rank's, the product included. */
        CU_ASSERT_EQUAL(same_as_one_rank(t, c, 3, 1, &o), 0);
        CU_ASSERT_EQUAL(same_as_one_rank(tp, c, 2, 1, &po), 0);
        cohort_table_destroy(&tp);
        free(vals), free(gk), free(med), free(q3), free(q0), free(q1), free(ymed), free(prod), free(nu), free(size);
        cohort_table_destroy(&t);
    }
    free(key), free(x), free(y);
}

/* Few groups over many ranks: most ranks hold no group after the
 * exchange, yet every distinct count and product reaches its group.  Two
 * keys, a value per row that is distinct within each group. */
static void test_few_groups_many_ranks(void)
{
    enum { N = 40 };
    int64_t k[N];
    double x[N];
    for (int i = 0; i < N; i++)
        k[i] = i % 2 ? 1000 : -1000, x[i] = 1 + i * 0.01;
    cohort_column c[2] = {cohort_column_make("k", COHORT_INT64, N, k), cohort_column_make("x", COHORT_DOUBLE, N, x)};
    cohort_groupby_options o = {.aggs = COHORT_AGG_NUNIQUE | COHORT_AGG_PROD | COHORT_AGG_MEDIAN, .reproducible = 1};
    int st;
    cohort_table *t = small_groupby(c, 2, 1, &o, &st);
    CU_ASSERT_EQUAL_FATAL(st, COHORT_OK);
    int64_t n, *nu = small_col(t, "x_nunique", &n);
    double *prod = small_col(t, "x_prod", &n);
    long double p0 = 1, p1 = 1;
    for (int i = 0; i < N; i++) {
        if (i % 2)
            p1 *= x[i];
        else
            p0 *= x[i];
    }
    CU_ASSERT(n == 2 && nu[0] == N / 2 && nu[1] == N / 2);
    CU_ASSERT(n == 2 && same_double(prod[0], (double)p0, 1e-14) && same_double(prod[1], (double)p1, 1e-14));
    CU_ASSERT_EQUAL(same_as_one_rank(t, c, 2, 1, &o), 0);
    free(nu), free(prod);
    cohort_table_destroy(&t);
}

/* Bad columns and options fail on every rank. */
static void test_errors(void)
{
    int64_t k[2] = {1, 1}, v[2] = {1, 2};
    cohort_column c[2] = {cohort_column_make("k", COHORT_INT64, 2, k), cohort_column_make("v", COHORT_INT64, 2, v)};
    cohort_columns_source cs;
    cohort_source src;
    cohort_table *t = NULL;
    int32_t k32[2] = {1, 2};
    cohort_column mixed[2] = {T_rank == T_size - 1 ? cohort_column_make("k", COHORT_INT32, 2, k32) : c[0], c[1]};
    cohort_source_columns(&src, &cs, mixed, 2);
    CU_ASSERT_EQUAL(cohort_groupby(T_ctx, &src, 1, NULL, &t), T_size > 1 ? COHORT_ERR_ARG : COHORT_OK);
    cohort_table_destroy(&t);
    /* Options that differ between ranks, or quantiles out of range. */
    cohort_source_columns(&src, &cs, c, 2);
    cohort_groupby_options o = {.aggs = COHORT_AGG_QUANTILE, .nquantiles = 1, .quantiles = {T_rank == 0 ? 0.5 : 0.25}};
    CU_ASSERT_EQUAL(cohort_groupby(T_ctx, &src, 1, &o, &t), T_size > 1 ? COHORT_ERR_ARG : COHORT_OK);
    cohort_table_destroy(&t);
    o.quantiles[0] = 1.5;
    CU_ASSERT_EQUAL(cohort_groupby(T_ctx, &src, 1, &o, &t), COHORT_ERR_ARG);
    cohort_groupby_options p = {0};
    CU_ASSERT(cohort_agg_parse("size,count,sum,last", &p) == COHORT_OK &&
              p.aggs == (COHORT_AGG_SIZE | COHORT_AGG_COUNT | COHORT_AGG_SUM | COHORT_AGG_LAST) && p.nquantiles == 0);
    CU_ASSERT(cohort_agg_parse("median,quantile:0.25,quantile:1,nunique,prod,sem", &p) == COHORT_OK &&
              p.nquantiles == 2 && p.quantiles[0] == 0.25 && p.quantiles[1] == 1 &&
              p.aggs == (COHORT_AGG_MEDIAN | COHORT_AGG_QUANTILE | COHORT_AGG_NUNIQUE | COHORT_AGG_PROD | COHORT_AGG_SEM));
    CU_ASSERT(cohort_agg_parse("count,mode", &p) == COHORT_ERR_ARG && cohort_agg_parse("", &p) == COHORT_ERR_ARG);
    CU_ASSERT(cohort_agg_parse("quantile", &p) == COHORT_ERR_ARG && cohort_agg_parse("quantile:2", &p) == COHORT_ERR_ARG &&
              cohort_agg_parse("quantile:x", &p) == COHORT_ERR_ARG);
    CU_ASSERT(strcmp(cohort_agg_name(COHORT_AGG_NUNIQUE), "nunique") == 0 && cohort_agg_name(3) == NULL);
}

int main(int argc, char **argv)
{
    static const t_test tests[] = {
        {"7 groups, every aggregate", test_few_groups},
        {"1000 groups from small blocks", test_many_groups},
        {"one group", test_one_group},
        {"every row its own group", test_distinct},
        {"Zipf keys, default aggregates", test_zipf},
        {"a narrow key range that widens", test_widens},
        {"composite key in one word", test_composite_word},
        {"composite key of bytes", test_composite_bytes},
        {"reproducible, 1000 groups, bit for bit", test_reproducible},
        {"reproducible, large groups, bit for bit", test_reproducible_few},
        {"integer sums and products exact, overflow by the result", test_integer_exactness},
        {"infinities as IEEE arithmetic", test_infinities},
        {"median, quantiles, nunique, products; float keys", test_order_statistics},
        {"few groups over many ranks: counts and products reach their group", test_few_groups_many_ranks},
        {"bad columns and options", test_errors},
        {NULL, NULL},
    };
    return t_main(argc, argv, "groupby", tests);
}
