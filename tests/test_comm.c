/*
 * test_comm.c — partitions, scans and the all-to-all exchange (both its
 * Alltoallv path and its piecewise point-to-point path), against oracles
 * computed independently on every rank.
 */
#include "harness.h"
#include "comm/comm.h"

#include <stdlib.h>
#include <string.h>

static void test_partition(void)
{
    static const int64_t ns[] = {0, 1, 2, 3, 5, 7, 100, 101, 1000003, (int64_t)1 << 40, INT64_MAX / 3};
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++) {
        for (int p = 1; p <= 17; p++) {
            int64_t n = ns[a], expect_begin = 0, small = n / p;
            for (int i = 0; i < p; i++) {
                int64_t b, c;
                cohort_partition(n, p, i, &b, &c);
                CU_ASSERT_EQUAL(b, expect_begin);
                CU_ASSERT(c == small || c == small + 1); /* balanced */
                if (i > 0 && c > 0) { /* owners of the first and last row of the part */
                    CU_ASSERT_EQUAL(cohort_partition_owner(n, p, b), i);
                    CU_ASSERT_EQUAL(cohort_partition_owner(n, p, b + c - 1), i);
                }
                expect_begin = b + c;
            }
            CU_ASSERT_EQUAL(expect_begin, n); /* covers every row once */
        }
    }
    /* More parts than rows: the first n parts get one row, the rest none. */
    int64_t b, c;
    cohort_partition(3, 8, 2, &b, &c);
    CU_ASSERT(b == 2 && c == 1);
    cohort_partition(3, 8, 7, &b, &c);
    CU_ASSERT(b == 3 && c == 0);
    CU_ASSERT_EQUAL(cohort_partition_owner(3, 8, 2), 2);
    CU_ASSERT_EQUAL(cohort_partition_owner(3, 8, 3), -1);
    CU_ASSERT_EQUAL(cohort_partition_owner(0, 8, 0), -1);
    cohort_partition(10, 0, 0, &b, &c);
    CU_ASSERT(b == 0 && c == 0);
}

static void test_scan(void)
{
    enum { N = 5 };
    int64_t v[N], prefix[N], total[N];
    for (int i = 0; i < N; i++)
        v[i] = (int64_t)(t_rand(1, (uint64_t)(T_rank * N + i)) % 1000) - (i == 4 ? 500 : 0);
    CU_ASSERT_EQUAL(cohort_scan_int64(T_ctx, v, prefix, total, N), COHORT_OK);
    for (int i = 0; i < N; i++) {
        int64_t before = 0, all = 0;
        for (int r = 0; r < T_size; r++) {
            int64_t x = (int64_t)(t_rand(1, (uint64_t)(r * N + i)) % 1000) - (i == 4 ? 500 : 0);
            before += r < T_rank ? x : 0;
            all += x;
        }
        CU_ASSERT_EQUAL(prefix[i], before);
        CU_ASSERT_EQUAL(total[i], all);
    }
    /* Either output may be NULL; n = 0 is a no-op. */
    CU_ASSERT_EQUAL(cohort_scan_int64(T_ctx, v, NULL, total, N), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_scan_int64(T_ctx, v, prefix, NULL, N), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_scan_int64(T_ctx, NULL, NULL, NULL, 0), COHORT_OK);

    /* Overflow is reported on every rank, never wrapped. */
    int64_t big = INT64_MAX / 2 + 1;
    int st = cohort_scan_int64(T_ctx, &big, prefix, total, 1);
    CU_ASSERT_EQUAL(st, T_size >= 2 ? COHORT_ERR_OVERFLOW : COHORT_OK);
    /* Large positive then negative values: the running sum is exact in between. */
    int64_t swing = T_rank % 2 == 0 ? INT64_MAX - 10 : -(INT64_MAX - 10);
    st = cohort_scan_int64(T_ctx, &swing, prefix, total, 1);
    CU_ASSERT_EQUAL(st, COHORT_OK);
    if (st == COHORT_OK) {
        CU_ASSERT_EQUAL(prefix[0], T_rank % 2 ? INT64_MAX - 10 : 0);
        CU_ASSERT_EQUAL(total[0], T_size % 2 ? INT64_MAX - 10 : 0);
    }
    /* A NULL input on one rank is an argument error everywhere. */
    st = cohort_scan_int64(T_ctx, T_rank == T_size - 1 ? NULL : v, prefix, total, N);
    CU_ASSERT_EQUAL(st, COHORT_ERR_ARG);
}

/* Element e of the message from rank `from` to rank `to`: a checkable pattern. */
static uint64_t elem_value(int from, int to, int64_t e, uint64_t seed)
{
    return t_rand(seed, ((uint64_t)from << 48) ^ ((uint64_t)to << 32) ^ (uint64_t)e);
}

static int64_t msg_count(int from, int to, uint64_t seed, int64_t max)
{
    /* Some pairs send nothing; rank 0 gets more than the others (skew). */
    uint64_t r = t_rand(seed ^ 0xC0FFEE, (uint64_t)from * 131 + (uint64_t)to);
    if (r % 5 == 0)
        return 0;
    return (int64_t)(r % (uint64_t)max) + (to == 0 ? max : 0);
}

/* Exchange elements of @width bytes (the first 8 carry the pattern) and check every byte. */
static void check_exchange(size_t width, uint64_t seed, int64_t max)
{
    int p = T_size, r = T_rank;
    int64_t *sc = calloc((size_t)p, sizeof *sc), *rc = calloc((size_t)p, sizeof *rc);
    int64_t stotal = 0, rtotal = 0;
    for (int j = 0; j < p; j++) {
        sc[j] = msg_count(r, j, seed, max);
        stotal += sc[j];
    }
    CU_ASSERT_EQUAL(cohort_exchange_counts(T_ctx, sc, rc), COHORT_OK);
    for (int j = 0; j < p; j++) {
        CU_ASSERT_EQUAL(rc[j], msg_count(j, r, seed, max));
        rtotal += rc[j];
    }
    unsigned char *send = malloc((size_t)stotal * width + 1), *recv = malloc((size_t)rtotal * width + 1);
    size_t off = 0;
    for (int j = 0; j < p; j++)
        for (int64_t e = 0; e < sc[j]; e++, off += width) {
            uint64_t v = elem_value(r, j, e, seed);
            memset(send + off, (int)(v & 0xff), width);
            memcpy(send + off, &v, width < 8 ? width : 8);
        }
    memset(recv, 0xAB, (size_t)rtotal * width);
    CU_ASSERT_EQUAL(cohort_exchange(T_ctx, send, sc, recv, rc, width), COHORT_OK);
    off = 0;
    int bad = 0;
    for (int j = 0; j < p; j++)
        for (int64_t e = 0; e < rc[j]; e++, off += width) {
            uint64_t v = elem_value(j, r, e, seed);
            unsigned char expect[64];
            memset(expect, (int)(v & 0xff), width);
            memcpy(expect, &v, width < 8 ? width : 8);
            bad += memcmp(recv + off, expect, width) != 0;
        }
    CU_ASSERT_EQUAL(bad, 0);
    free(send);
    free(recv);
    free(sc);
    free(rc);
}

static void test_exchange_alltoallv(void)
{
    check_exchange(8, 1, 1000);
    check_exchange(1, 2, 5000);
    check_exchange(24, 3, 300); /* record-sized elements */
    check_exchange(8, 4, 1);    /* tiny messages */
}

static void test_exchange_pieces(void)
{
    /* The large-count path with small pieces: many pieces per message,
     * pieces that split elements, and empty messages. */
    static const size_t pieces[] = {7, 64, 1000};
    for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++) {
        cohort__exchange_force_pieces(pieces[i]);
        check_exchange(8, 10 + i, 500);
        check_exchange(13, 20 + i, 100);
    }
    cohort__exchange_force_pieces(0);
}

static void test_exchange_empty_and_errors(void)
{
    int p = T_size;
    int64_t *zero = calloc((size_t)p, sizeof *zero), *rc = calloc((size_t)p, sizeof *rc);
    CU_ASSERT_EQUAL(cohort_exchange_counts(T_ctx, zero, rc), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_exchange(T_ctx, NULL, zero, NULL, rc, 8), COHORT_OK);

    /* Element sizes that differ across ranks: an argument error everywhere. */
    int st = cohort_exchange(T_ctx, NULL, zero, NULL, rc, T_rank == 0 ? 8 : 4);
    CU_ASSERT_EQUAL(st, T_size > 1 ? COHORT_ERR_ARG : COHORT_OK);
    if (T_size > 1)
        CU_ASSERT_PTR_NOT_NULL(strstr(cohort_errmsg(T_ctx), "element size differs"));

    /* A NULL send buffer with data to send, on the last rank only. */
    int64_t *one = calloc((size_t)p, sizeof *one);
    for (int j = 0; j < p; j++)
        one[j] = 1;
    double *buf = calloc((size_t)p, sizeof *buf), *out = calloc((size_t)p, sizeof *out);
    st = cohort_exchange(T_ctx, T_rank == p - 1 ? NULL : buf, one, out, one, sizeof(double));
    CU_ASSERT_EQUAL(st, COHORT_ERR_ARG);
    /* A memory budget too small for the exchange's scratch on rank 0. */
    if (T_rank == 0)
        cohort_ctx_set_memory_budget(T_ctx, 1);
    st = cohort_exchange(T_ctx, buf, one, out, one, sizeof(double));
    CU_ASSERT_EQUAL(st, COHORT_ERR_BUDGET);
    cohort_ctx_set_memory_budget(T_ctx, 0);
    CU_ASSERT_EQUAL(cohort_exchange(T_ctx, buf, one, out, one, sizeof(double)), COHORT_OK);
    free(zero);
    free(rc);
    free(one);
    free(buf);
    free(out);
}

int main(int argc, char **argv)
{
    static const t_test tests[] = {
        {"balanced partitions", test_partition},
        {"exclusive scans", test_scan},
        {"exchange through Alltoallv", test_exchange_alltoallv},
        {"exchange in point-to-point pieces", test_exchange_pieces},
        {"exchange: empty, mismatched and failing ranks", test_exchange_empty_and_errors},
        {NULL, NULL},
    };
    return t_main(argc, argv, "comm", tests);
}
