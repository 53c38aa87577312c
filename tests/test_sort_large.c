/*
 * test_sort_large.c — a sort whose all-to-all moves one message of more
 * than 2^31 bytes each way between ranks 0 and 1: rank 0 starts with the
 * largest keys and rank 1 with the smallest, so each must send everything
 * to the other.  Records are 24 bytes (int64 key + 16-byte string).
 * Memory: about 6.5 GB on each of ranks 0 and 1; other ranks hold nothing.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define ROWS ((int64_t)90 * 1000 * 1000) /* x 24 bytes = 2.16 GB per message */

static void test_sort_over_2g(void)
{
    int64_t n = T_rank < 2 ? ROWS : 0;
    int64_t *k = malloc((size_t)n * 8 + 8);
    char *s = malloc((size_t)n * 16 + 16);
    int have = k && s, all = 0;
    MPI_Allreduce(&have, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    CU_ASSERT_FATAL(all); /* the same verdict everywhere */
    /* Rank 0: the largest keys, descending; rank 1: the smallest. */
    for (int64_t i = 0; i < n; i++) {
        k[i] = T_rank == 0 ? (T_size > 1 ? ROWS : 0) + (ROWS - 1 - i) : ROWS - 1 - i;
        memset(s + 16 * i, 'a' + (int)(k[i] % 26), 16);
        memcpy(s + 16 * i, &k[i], 8);
    }
    cohort_column kc = cohort_column_make("k", COHORT_INT64, n, k);
    cohort_column sc = cohort_column_make_bytes("s", 16, n, s);
    cohort_sort_options o = {.verify = 1};
    int st = cohort_sort(T_ctx, &kc, &sc, 1, NULL, &o);
    CU_ASSERT_EQUAL(st, COHORT_OK);
    if (st != COHORT_OK && T_rank == 0)
        fprintf(stderr, "%s\n", cohort_errmsg(T_ctx));
    int64_t base = T_rank == 1 ? ROWS : 0, bad = 0;
    for (int64_t i = 0; st == COHORT_OK && i < n; i++) {
        int64_t v;
        memcpy(&v, s + 16 * i, 8);
        bad += k[i] != base + i || v != k[i] || s[16 * i + 15] != 'a' + (char)(k[i] % 26);
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(k);
    free(s);
}

int main(int argc, char **argv)
{
    static const t_test tests[] = {
        {"sort with a message over 2^31 bytes", test_sort_over_2g},
        {NULL, NULL},
    };
    return t_main(argc, argv, "sort_large", tests);
}
