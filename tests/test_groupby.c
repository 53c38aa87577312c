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
    cohort_groupby_options o = {aggs, reproducible};
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
    int64_t *count = gather(t, "count", 8, &got);
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
                bad += !same_double(xvar[G], nn >= 2 ? (double)(s2 / (nn - 1)) : NAN, 1e-10);
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

    /* The reproducible mode: float sums bit-identical to one rank's. */
    if (reproducible && xsum) {
        cohort_ctx *self;
        cohort_ctx_create(MPI_COMM_SELF, &self);
        cohort_columns_source cs;
        cohort_source_columns(&src, &cs, wc, nk + 2);
        cohort_table *ref = NULL;
        CU_ASSERT_EQUAL_FATAL(cohort_groupby(self, &src, nk, &o, &ref), COHORT_OK);
        cohort_column rs = cohort_table_column(ref, cohort_table_find(ref, "x_sum"));
        cohort_column rm = cohort_table_column(ref, cohort_table_find(ref, "x_mean"));
        CU_ASSERT(rs.count == got && memcmp(rs.data, xsum, (size_t)got * 8) == 0);
        CU_ASSERT(rm.count == got && memcmp(rm.data, xmean, (size_t)got * 8) == 0);
        cohort_table_destroy(&ref);
        cohort_ctx_destroy(&self);
    }
    free(count), free(xsum), free(xmean), free(xvar), free(xmin), free(xfirst), free(xlast), free(ysum), free(ymax);
    free(yfirst), free(k0), free(idx);
    cohort_table_destroy(&t);
    release(&part), release(&whole);
}

#define ALL (COHORT_AGG_SUM | COHORT_AGG_MEAN | COHORT_AGG_MIN | COHORT_AGG_MAX | COHORT_AGG_VAR | COHORT_AGG_STD | \
             COHORT_AGG_FIRST | COHORT_AGG_LAST)

static void test_few_groups(void) { check(K_MOD7, 0, 1 << 20, ALL, false); }
static void test_many_groups(void) { check(K_MOD1000, 0, 97, ALL, false); }
static void test_one_group(void) { check(K_ONE, 0, 64, ALL, false); }
static void test_distinct(void) { check(K_DISTINCT, 0, 1 << 20, ALL, false); }
static void test_zipf(void) { check(K_ZIPF, 0, 211, 0, false); }
static void test_widens(void) { check(K_WIDENS, 0, 400, ALL, false); }
static void test_composite_word(void) { check(K_MOD7, 1, 300, ALL, false); }
static void test_composite_bytes(void) { check(K_MOD7, 2, 300, ALL, false); }
static void test_reproducible(void) { check(K_MOD1000, 0, 53, COHORT_AGG_SUM | COHORT_AGG_MEAN, true); }

/* Integer sums that overflow int64, and bad columns, fail on every rank. */
static void test_errors(void)
{
    int64_t k[2] = {1, 1}, v[2] = {INT64_MAX / 2 + 1, INT64_MAX / 2 + 1};
    cohort_column c[2] = {cohort_column_make("k", COHORT_INT64, 2, k), cohort_column_make("v", COHORT_INT64, 2, v)};
    cohort_columns_source cs;
    cohort_source src;
    cohort_source_columns(&src, &cs, c, 2);
    cohort_table *t = NULL;
    CU_ASSERT_EQUAL(cohort_groupby(T_ctx, &src, 1, NULL, &t), COHORT_ERR_OVERFLOW);
    CU_ASSERT(t == NULL);
    /* Only count and min asked: no sum, no overflow. */
    cohort_groupby_options o = {COHORT_AGG_MIN, 0};
    CU_ASSERT_EQUAL(cohort_groupby(T_ctx, &src, 1, &o, &t), COHORT_OK);
    cohort_table_destroy(&t);
    /* A double key is not allowed; one rank with a different type fails everyone. */
    double dk[2] = {1, 2};
    cohort_column bad[2] = {cohort_column_make("k", COHORT_DOUBLE, 2, dk), c[1]};
    cohort_source_columns(&src, &cs, bad, 2);
    CU_ASSERT_EQUAL(cohort_groupby(T_ctx, &src, 1, NULL, &t), COHORT_ERR_TYPE);
    int32_t k32[2] = {1, 2};
    cohort_column mixed[2] = {T_rank == T_size - 1 ? cohort_column_make("k", COHORT_INT32, 2, k32) : c[0], c[1]};
    cohort_source_columns(&src, &cs, mixed, 2);
    CU_ASSERT_EQUAL(cohort_groupby(T_ctx, &src, 1, NULL, &t), T_size > 1 ? COHORT_ERR_ARG : COHORT_OK);
    cohort_table_destroy(&t);
    unsigned a;
    CU_ASSERT(cohort_agg_parse("count,sum,last", &a) == COHORT_OK && a == (COHORT_AGG_COUNT | COHORT_AGG_SUM | COHORT_AGG_LAST));
    CU_ASSERT(cohort_agg_parse("count,median", &a) == COHORT_ERR_ARG && cohort_agg_parse("", &a) == COHORT_ERR_ARG);
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
        {"reproducible sums, bit for bit", test_reproducible},
        {"overflow and bad columns", test_errors},
        {NULL, NULL},
    };
    return t_main(argc, argv, "groupby", tests);
}
