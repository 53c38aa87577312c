/*
 * test_sort.c — the distributed sort and selection against an oracle: every
 * rank knows the whole (small) global input, sorts it with qsort using
 * numpy's rules (NaN last, -0.0 == +0.0, stable by global index), and
 * checks its own slice of the result, bit for bit.
 */
#include "harness.h"
#include "ops/ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum { D_UNIFORM, D_SORTED, D_REVERSE, D_EQUAL, D_TWO, D_ZIPF, D_SPECIAL, D_NARROW, D_CLUSTERED } dist;
typedef enum { C_EVEN, C_ONE_RANK, C_EMPTY_RANKS, C_SKEWED, C_TINY } layout;
static const char *const dist_names[] = {"uniform", "sorted", "reverse", "equal", "two", "zipf", "special", "narrow", "clustered"};

/* Rows per rank under each layout, for a global size of about N. */
static int64_t rows_of(layout c, int r, int64_t N)
{
    switch (c) {
    case C_EVEN: return N / T_size + (r < N % T_size);
    case C_ONE_RANK: return r == T_size - 1 ? N : 0;
    case C_EMPTY_RANKS: return r % 2 ? 0 : N / T_size + 7 * r;
    case C_SKEWED: return r == 0 ? N : 3 * r;
    case C_TINY: return r < 2 ? 1 : 0;
    }
    return 0;
}

/* Key of global row g as 8 raw bytes (the first `width` used). */
static void key_of(cohort_type t, size_t width, dist d, int64_t g, int64_t N, unsigned char *out)
{
    uint64_t u = t_rand(77 + (uint64_t)d, (uint64_t)g);
    double x;
    memset(out, 0, width > 8 ? width : 8);
    switch (d) {
    case D_UNIFORM: x = (double)(u % 2000001) - 1000000; break;
    case D_SORTED: x = (double)g; break;
    case D_REVERSE: x = (double)(N - g); break;
    case D_EQUAL: x = 5; break;
    case D_TWO: x = (double)(u % 2); break;
    case D_ZIPF: x = floor(exp((double)(u >> 11) * 0x1.0p-53 * log(1e4))) - 1; break;
    case D_NARROW: x = (double)(u % 7); break;
    case D_CLUSTERED: x = u % 10 ? (double)(u % 1000003) : (double)(u >> 24); break; /* 90% under 2^20 */
    default: { /* floats: NaN, -0.0, +0.0, +-inf, negatives and ties */
        static const double special[] = {NAN, -0.0, 0.0, INFINITY, -INFINITY, -1.5, 2.25, 1e300, -1e-300, 0.0};
        x = (t == COHORT_FLOAT || t == COHORT_DOUBLE) ? special[u % 10] : (double)(u % 5);
        if (x != x && u % 3 == 0)
            x = -NAN; /* a NaN with its sign bit set: must survive */
    }
    }
    switch (t) {
    case COHORT_INT8: { int8_t v = (int8_t)((int64_t)x % 128); memcpy(out, &v, 1); break; }
    case COHORT_UINT8: { uint8_t v = (uint8_t)((int64_t)fabs(x) % 256); memcpy(out, &v, 1); break; }
    case COHORT_INT16: { int16_t v = (int16_t)((int64_t)x % 32768); memcpy(out, &v, 2); break; }
    case COHORT_UINT16: { uint16_t v = (uint16_t)((int64_t)fabs(x) % 65536); memcpy(out, &v, 2); break; }
    case COHORT_INT32: { int32_t v = (int32_t)x * (d == D_UNIFORM ? 1000 : 1); memcpy(out, &v, 4); break; }
    case COHORT_UINT32: { uint32_t v = (uint32_t)fabs(x) * 3000u; memcpy(out, &v, 4); break; }
    case COHORT_INT64: { int64_t v = (int64_t)x * (d == D_UNIFORM ? (int64_t)1 << 40 : 1); memcpy(out, &v, 8); break; }
    case COHORT_UINT64: { uint64_t v = d == D_UNIFORM ? u : (uint64_t)fabs(x); memcpy(out, &v, 8); break; }
    case COHORT_FLOAT: { float v = (float)x; memcpy(out, &v, 4); break; }
    case COHORT_DOUBLE: memcpy(out, &x, 8); break;
    case COHORT_BYTES: { /* strings with shared prefixes, NUL padding and high bytes */
        char s[32];
        snprintf(s, sizeof s, "k%lld", (long long)fabs(x));
        memcpy(out, s, strlen(s) < width ? strlen(s) : width);
        if (u % 11 == 0)
            out[width - 1] = 0xF0;
        break;
    }
    }
}

/* numpy's order on decoded keys: NaN last, -0.0 == 0.0; 0 when equal. */
static cohort_type ORACLE_T;
static size_t ORACLE_W;
static int ORACLE_DESC;
static unsigned char *ORACLE_KEYS;
static int key_cmp(const unsigned char *a, const unsigned char *b)
{
#define CMP(T) do { T x, y; memcpy(&x, a, sizeof x); memcpy(&y, b, sizeof y); return (x > y) - (x < y); } while (0)
    switch (ORACLE_T) {
    case COHORT_INT8: CMP(int8_t);
    case COHORT_INT16: CMP(int16_t);
    case COHORT_INT32: CMP(int32_t);
    case COHORT_INT64: CMP(int64_t);
    case COHORT_UINT8: CMP(uint8_t);
    case COHORT_UINT16: CMP(uint16_t);
    case COHORT_UINT32: CMP(uint32_t);
    case COHORT_UINT64: CMP(uint64_t);
    case COHORT_FLOAT: { float x, y; memcpy(&x, a, 4); memcpy(&y, b, 4);
        if (x != x || y != y) { return (x != x) - (y != y); } return (x > y) - (x < y); }
    case COHORT_DOUBLE: { double x, y; memcpy(&x, a, 8); memcpy(&y, b, 8);
        if (x != x || y != y) { return (x != x) - (y != y); } return (x > y) - (x < y); }
    default: return memcmp(a, b, ORACLE_W);
    }
#undef CMP
}

static bool is_nan(const unsigned char *a)
{
    if (ORACLE_T == COHORT_DOUBLE) { double x; memcpy(&x, a, 8); return x != x; }
    if (ORACLE_T == COHORT_FLOAT) { float x; memcpy(&x, a, 4); return x != x; }
    return false;
}

static int oracle_cmp(const void *pa, const void *pb)
{
    int64_t ia = *(const int64_t *)pa, ib = *(const int64_t *)pb;
    const unsigned char *a = ORACLE_KEYS + (size_t)ia * 8, *b = ORACLE_KEYS + (size_t)ib * 8;
    if (ORACLE_T == COHORT_BYTES)
        a = ORACLE_KEYS + (size_t)ia * ORACLE_W, b = ORACLE_KEYS + (size_t)ib * ORACLE_W;
    int c;
    if (is_nan(a) || is_nan(b)) {
        c = is_nan(a) - is_nan(b); /* NaN last in both directions */
    } else {
        c = ORACLE_DESC ? -key_cmp(a, b) : key_cmp(a, b);
    }
    return c ? c : (ia > ib) - (ia < ib);
}

/* What travels with the keys: nothing (bare keys, sorted without
 * encoding or packing), the argsort index, or payloads and the index. */
typedef enum extras { BARE, WITH_INDEX, WITH_PAYLOADS } extras;

static void check_sort(cohort_type t, size_t width, dist d, layout lay, int64_t N0, bool desc, extras with)
{
    bool payloads = with == WITH_PAYLOADS;
    int64_t n = rows_of(lay, T_rank, N0), before = 0, N = 0;
    for (int r = 0; r < T_size; r++) {
        before += r < T_rank ? rows_of(lay, r, N0) : 0;
        N += rows_of(lay, r, N0);
    }
    size_t kb = t == COHORT_BYTES ? width : 8, w = t == COHORT_BYTES ? width : cohort_type_size(t);
    unsigned char *all = calloc((size_t)N + 1, kb), *keys = malloc((size_t)n * w + 1);
    for (int64_t g = 0; g < N; g++)
        key_of(t, width, d, g, N, all + (size_t)g * kb);
    for (int64_t i = 0; i < n; i++)
        memcpy(keys + (size_t)i * w, all + (size_t)(before + i) * kb, w);
    /* Payloads: the global row as int32 and as a 6-byte string. */
    int32_t *p32 = malloc((size_t)n * 4 + 4);
    char *ps = malloc((size_t)n * 6 + 6);
    int64_t *index = malloc((size_t)n * 8 + 8);
    for (int64_t i = 0; i < n; i++) {
        p32[i] = (int32_t)(before + i);
        snprintf(ps + 6 * i, 7, "r%05d", (int)((before + i) % 100000));
    }
    cohort_column k = t == COHORT_BYTES ? cohort_column_make_bytes("k", width, n, keys)
                                        : cohort_column_make("k", t, n, keys);
    cohort_column pay[2] = {cohort_column_make("p", COHORT_INT32, n, p32), cohort_column_make_bytes("s", 6, n, ps)};
    cohort_sort_options o = {.descending = desc, .verify = 1};
    int st = cohort_sort(T_ctx, &k, payloads ? pay : NULL, payloads ? 2 : 0, with == BARE ? NULL : index, &o);
    CU_ASSERT_EQUAL(st, COHORT_OK);
    if (st != COHORT_OK && T_rank == 0)
        fprintf(stderr, "sort failed: %s\n", cohort_errmsg(T_ctx));

    /* Oracle: stable sort of global indices. */
    int64_t *order = malloc((size_t)N * 8 + 8);
    for (int64_t g = 0; g < N; g++)
        order[g] = g;
    ORACLE_T = t, ORACLE_W = width, ORACLE_DESC = desc, ORACLE_KEYS = all;
    qsort(order, (size_t)N, sizeof *order, oracle_cmp);
    int64_t bad_keys = 0, bad_pay = 0, bad_index = 0;
    for (int64_t i = 0; st == COHORT_OK && i < n; i++) {
        int64_t g = order[before + i];
        bad_keys += memcmp(keys + (size_t)i * w, all + (size_t)g * kb, w) != 0; /* bit for bit */
        bad_index += with != BARE && index[i] != g;
        if (payloads) {
            char s[7];
            snprintf(s, sizeof s, "r%05d", (int)(g % 100000));
            bad_pay += p32[i] != g || memcmp(ps + 6 * i, s, 6) != 0;
        }
    }
    CU_ASSERT_EQUAL(bad_keys, 0);
    CU_ASSERT_EQUAL(bad_index, 0);
    CU_ASSERT_EQUAL(bad_pay, 0);
    if ((bad_keys || bad_index || bad_pay) && T_rank >= 0)
        fprintf(stderr, "rank %d: %s %s layout %d desc %d: %lld keys, %lld index, %lld payload rows wrong\n", T_rank,
                cohort_type_name(t), dist_names[d], (int)lay, desc, (long long)bad_keys, (long long)bad_index,
                (long long)bad_pay);
    free(order);
    free(all);
    free(keys);
    free(p32);
    free(ps);
    free(index);
}

static const cohort_type all_types[] = {COHORT_INT8,   COHORT_INT16,  COHORT_INT32, COHORT_INT64,
                                        COHORT_UINT8,  COHORT_UINT16, COHORT_UINT32, COHORT_UINT64,
                                        COHORT_FLOAT,  COHORT_DOUBLE, COHORT_BYTES};

static void test_types(void)
{
    for (size_t i = 0; i < sizeof all_types / sizeof *all_types; i++)
        for (int desc = 0; desc < 2; desc++)
            check_sort(all_types[i], 12, D_UNIFORM, C_EVEN, 3001, desc, WITH_PAYLOADS);
}

/* Bare keys of every type (the integers sorted raw, without encoding),
 * both directions, small and past the radix sort's bucket pass. */
static void test_bare_keys(void)
{
    for (size_t i = 0; i < sizeof all_types / sizeof *all_types; i++)
        for (int desc = 0; desc < 2; desc++) {
            check_sort(all_types[i], 12, D_UNIFORM, C_EVEN, 3001, desc, BARE);
            check_sort(all_types[i], 12, D_ZIPF, C_EMPTY_RANKS, 3001, desc, BARE);
        }
    for (int desc = 0; desc < 2; desc++) {
        check_sort(COHORT_INT64, 0, D_UNIFORM, C_EVEN, 300007, desc, BARE);
        check_sort(COHORT_UINT32, 0, D_ZIPF, C_SKEWED, 200003, desc, BARE);
        check_sort(COHORT_INT16, 0, D_TWO, C_ONE_RANK, 100003, desc, BARE);
    }
}

static void test_distributions(void)
{
    for (dist d = D_UNIFORM; d <= D_NARROW; d++) {
        check_sort(COHORT_INT64, 0, d, C_EVEN, 5003, false, WITH_PAYLOADS);
        check_sort(COHORT_DOUBLE, 0, d, C_EVEN, 5003, d == D_ZIPF, WITH_INDEX);
        check_sort(COHORT_INT32, 0, d, C_EVEN, 5003, d % 2, BARE);
    }
}

/* Integer keys by the path of ranks over 2 GiB: sorted locally, split,
 * exchanged and merged (the other tests sort them by buckets). */
static void test_merge_path(void)
{
    cohort__sort_merge_only = true;
    for (dist d = D_UNIFORM; d <= D_NARROW; d++)
        check_sort(COHORT_INT64, 0, d, C_EVEN, 3001, d % 2, d % 3 == 0 ? BARE : WITH_PAYLOADS);
    for (layout c = C_EVEN; c <= C_TINY; c++)
        check_sort(COHORT_DOUBLE, 0, D_SPECIAL, c, 2000, c % 2, WITH_INDEX);
    check_sort(COHORT_INT64, 0, D_UNIFORM, C_EVEN, 300007, false, BARE);
    cohort__sort_merge_only = false;
    /* Declined by the bucket path (too many piece counts), after its first
     * read and sums. */
    cohort__sort_pieces_max = 1;
    for (dist d = D_UNIFORM; d <= D_CLUSTERED; d++)
        check_sort(COHORT_UINT32, 0, d, d % 2 ? C_EVEN : C_EMPTY_RANKS, 3001, d % 3 == 0, d % 2 ? BARE : WITH_INDEX);
    cohort__sort_pieces_max = (int64_t)1 << 22;
}

/* Large enough per rank for the radix sort's bucket pass (>= 64Ki records). */
static void test_large_local(void)
{
    check_sort(COHORT_INT64, 0, D_UNIFORM, C_EVEN, 300007, false, WITH_INDEX);
    check_sort(COHORT_DOUBLE, 0, D_SPECIAL, C_EVEN, 300007, true, WITH_PAYLOADS);
    check_sort(COHORT_UINT32, 0, D_ZIPF, C_SKEWED, 200003, false, WITH_PAYLOADS);
    check_sort(COHORT_INT16, 0, D_UNIFORM, C_ONE_RANK, 200003, true, WITH_INDEX);
    /* Two keys: two buckets too large to sort in cache, straddling the
     * ranks' boundaries (merged where they arrive). */
    check_sort(COHORT_INT64, 0, D_TWO, C_EVEN, 300007, false, WITH_PAYLOADS);
    /* Most keys distinct in one such bucket. */
    check_sort(COHORT_INT64, 0, D_CLUSTERED, C_EVEN, 300007, false, WITH_PAYLOADS);
    check_sort(COHORT_DOUBLE, 0, D_CLUSTERED, C_EMPTY_RANKS, 300007, true, BARE);
    check_sort(COHORT_INT64, 0, D_NARROW, C_SKEWED, 200003, true, BARE);
}

static void test_layouts(void)
{
    for (layout c = C_EVEN; c <= C_TINY; c++) {
        check_sort(COHORT_INT32, 0, D_TWO, c, 2000, false, WITH_PAYLOADS);
        check_sort(COHORT_DOUBLE, 0, D_SPECIAL, c, 2000, true, WITH_PAYLOADS);
        check_sort(COHORT_BYTES, 5, D_ZIPF, c, 2000, false, WITH_PAYLOADS);
        check_sort(COHORT_INT64, 0, D_UNIFORM, c, 2000, c % 2, BARE);
    }
}

static void test_special_floats(void)
{
    for (int desc = 0; desc < 2; desc++) {
        check_sort(COHORT_DOUBLE, 0, D_SPECIAL, C_EVEN, 4001, desc, WITH_PAYLOADS);
        check_sort(COHORT_FLOAT, 0, D_SPECIAL, C_EMPTY_RANKS, 4001, desc, WITH_INDEX);
    }
}

static void test_empty(void)
{
    /* No rows anywhere, and keys alone without payloads or index. */
    cohort_column k = cohort_column_make("k", COHORT_INT64, 0, NULL);
    CU_ASSERT_EQUAL(cohort_sort(T_ctx, &k, NULL, 0, NULL, NULL), COHORT_OK);
    int64_t v[3] = {3, 1, 2};
    k = cohort_column_make("k", COHORT_INT64, 3, v);
    CU_ASSERT_EQUAL(cohort_sort(T_ctx, &k, NULL, 0, NULL, NULL), COHORT_OK);
}

static void test_errors(void)
{
    int64_t v[4] = {4, 3, 2, 1};
    double dv[4] = {1, 2, 3, 4};
    cohort_column k = cohort_column_make("k", T_rank == T_size - 1 ? COHORT_DOUBLE : COHORT_INT64, 4,
                                         T_rank == T_size - 1 ? (void *)dv : (void *)v);
    int st = cohort_sort(T_ctx, &k, NULL, 0, NULL, NULL);
    CU_ASSERT_EQUAL(st, T_size > 1 ? COHORT_ERR_ARG : COHORT_OK);
    /* A payload shorter than the keys on rank 0. */
    k = cohort_column_make("k", COHORT_INT64, 4, v);
    cohort_column p = cohort_column_make("p", COHORT_DOUBLE, T_rank == 0 ? 3 : 4, dv);
    CU_ASSERT_EQUAL(cohort_sort(T_ctx, &k, &p, 1, NULL, NULL), COHORT_ERR_SIZE);
    CU_ASSERT_PTR_NOT_NULL(strstr(cohort_errmsg(T_ctx), "rank 0: payload column 0 has 3 rows"));
    /* Over the memory budget on the last rank. */
    if (T_rank == T_size - 1)
        cohort_ctx_set_memory_budget(T_ctx, 16);
    CU_ASSERT_EQUAL(cohort_sort(T_ctx, &k, NULL, 0, NULL, NULL), COHORT_ERR_BUDGET);
    cohort_ctx_set_memory_budget(T_ctx, 0);
}

/* The verification catches a corruption planted after the sort. */
static int corrupt_rank;
static void flip_order(cohort_column *keys, cohort_column *pay, int np)
{
    if (T_rank == corrupt_rank && keys->count >= 2) { /* swap two keys: same rows, wrong order */
        int64_t *k = keys->data, t = k[0];
        k[0] = k[keys->count - 1], k[keys->count - 1] = t;
    }
}
static void drop_row(cohort_column *keys, cohort_column *pay, int np)
{
    if (T_rank == corrupt_rank && keys->count >= 2) /* a duplicated key replaces another: order still fine */
        ((int64_t *)keys->data)[1] = ((int64_t *)keys->data)[0];
}
static void change_payload(cohort_column *keys, cohort_column *pay, int np)
{
    if (T_rank == corrupt_rank && np > 0 && pay[0].count > 0)
        ((int32_t *)pay[0].data)[0] ^= 1;
}

static void test_verify_catches_corruption(void)
{
    void (*hooks[])(cohort_column *, cohort_column *, int) = {flip_order, drop_row, change_payload};
    for (size_t h = 0; h < 3; h++) {
        corrupt_rank = T_size - 1;
        int64_t n = 1000, *k = malloc(8 * (size_t)n);
        int32_t *p = malloc(4 * (size_t)n);
        for (int64_t i = 0; i < n; i++) {
            k[i] = (int64_t)(t_rand(9, (uint64_t)(T_rank * n + i)) % 1000000);
            p[i] = (int32_t)i;
        }
        cohort_column kc = cohort_column_make("k", COHORT_INT64, n, k);
        cohort_column pc = cohort_column_make("p", COHORT_INT32, n, p);
        cohort_sort_options o = {.verify = 1};
        cohort__sort_before_verify = hooks[h];
        int st = cohort_sort(T_ctx, &kc, &pc, 1, NULL, &o);
        cohort__sort_before_verify = NULL;
        CU_ASSERT_EQUAL(st, COHORT_ERR_VERIFY);
        CU_ASSERT_PTR_NOT_NULL(strstr(cohort_errmsg(T_ctx), "verification"));
        if (st != COHORT_ERR_VERIFY)
            fprintf(stderr, "rank %d: hook %zu not caught: %d %s\n", T_rank, h, st, cohort_errmsg(T_ctx));
        free(k);
        free(p);
    }
}

static void test_select(void)
{
    int64_t N0 = 10007;
    for (int desc = 0; desc < 2; desc++)
        for (dist d = D_UNIFORM; d <= D_SPECIAL; d++) {
            int64_t n = rows_of(C_EMPTY_RANKS, T_rank, N0), before = 0, N = 0;
            for (int r = 0; r < T_size; r++) {
                before += r < T_rank ? rows_of(C_EMPTY_RANKS, r, N0) : 0;
                N += rows_of(C_EMPTY_RANKS, r, N0);
            }
            double *all = malloc((size_t)N * 8), *mine = malloc((size_t)n * 8 + 8);
            int64_t *order = malloc((size_t)N * 8);
            for (int64_t g = 0; g < N; g++) {
                key_of(COHORT_DOUBLE, 8, d, g, N, (unsigned char *)&all[g]);
                order[g] = g;
            }
            memcpy(mine, all + before, (size_t)n * 8);
            int64_t pos[6] = {0, N / 4, N / 2, N / 2 + 1, N - 2, N - 1};
            double got[6];
            cohort_sort_options o = {.descending = desc};
            CU_ASSERT_EQUAL(cohort_select(T_ctx, &(cohort_column){"k", COHORT_DOUBLE, 8, n, mine}, pos, 6, &o, got),
                            COHORT_OK);
            ORACLE_T = COHORT_DOUBLE, ORACLE_DESC = desc, ORACLE_KEYS = (unsigned char *)all;
            qsort(order, (size_t)N, sizeof *order, oracle_cmp);
            for (int q = 0; q < 6; q++) {
                double e = all[order[pos[q]]];
                CU_ASSERT((e != e && got[q] != got[q]) || e == got[q]);
            }
            /* The input is untouched. */
            CU_ASSERT_EQUAL(memcmp(mine, all + before, (size_t)n * 8), 0);
            free(all);
            free(mine);
            free(order);
        }
    int64_t bad = -1;
    double x = 1, out;
    CU_ASSERT_EQUAL(cohort_select(T_ctx, &(cohort_column){"k", COHORT_DOUBLE, 8, 1, &x}, &bad, 1, NULL, &out),
                    COHORT_ERR_ARG);
}

int main(int argc, char **argv)
{
    static const t_test tests[] = {
        {"every key type, both directions, with payloads and argsort", test_types},
        {"bare keys, every type, both directions", test_bare_keys},
        {"distributions: uniform, sorted, reverse, equal, two-valued, zipf, narrow", test_distributions},
        {"large local inputs", test_large_local},
        {"integer keys by local sort, exchange and merge (ranks over 2 GiB)", test_merge_path},
        {"layouts: one rank holds all, empty ranks, skew, more ranks than rows", test_layouts},
        {"NaN, -0.0, +0.0, infinities", test_special_floats},
        {"empty input", test_empty},
        {"bad input on one rank", test_errors},
        {"verification catches planted corruption", test_verify_catches_corruption},
        {"selection", test_select},
        {NULL, NULL},
    };
    return t_main(argc, argv, "sort", tests);
}
