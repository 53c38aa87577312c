/*
 * test_exchange_large.c — one message of more than 2^31 bytes (and, with
 * 1-byte elements, more than 2^31 elements) between ranks 0 and 1, or to
 * itself at 1 rank.  The other ranks take part with empty messages.
 * Memory: about 4.4 GB on each of ranks 0 and 1.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define BIG_BYTES (((size_t)1 << 31) + ((size_t)1 << 20) + 24) /* 2 GiB + 1 MiB + 24 */

static int peer(void) { return T_size == 1 ? 0 : T_rank == 0 ? 1 : T_rank == 1 ? 0 : -1; }

static void big_exchange(size_t elem_size)
{
    int p = T_size, to = peer();
    int64_t *sc = calloc((size_t)p, sizeof *sc), *rc = calloc((size_t)p, sizeof *rc);
    size_t bytes = to >= 0 ? BIG_BYTES : 0;
    if (to >= 0)
        sc[to] = (int64_t)(bytes / elem_size);
    CU_ASSERT_EQUAL(cohort_exchange_counts(T_ctx, sc, rc), COHORT_OK);
    if (to >= 0)
        CU_ASSERT_EQUAL(rc[to], (int64_t)(bytes / elem_size));

    /* Words carry (sender, index), so a misplaced or missing piece shows. */
    size_t words = bytes / 8;
    uint64_t *send = malloc(bytes + 8), *recv = malloc(bytes + 8);
    int have = send != NULL && recv != NULL, all = 0;
    MPI_Allreduce(&have, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    CU_ASSERT_FATAL(all); /* same verdict on every rank: safe to stop here */
    for (size_t i = 0; i < words; i++)
        send[i] = ((uint64_t)T_rank << 56) ^ (i * 0x9E3779B97F4A7C15ull);
    memset(recv, 0, bytes);

    CU_ASSERT_EQUAL(cohort_exchange(T_ctx, send, sc, recv, rc, elem_size), COHORT_OK);
    size_t bad = 0;
    for (size_t i = 0; i < words; i++)
        bad += recv[i] != (((uint64_t)to << 56) ^ (i * 0x9E3779B97F4A7C15ull));
    CU_ASSERT_EQUAL(bad, 0);
    free(send);
    free(recv);
    free(sc);
    free(rc);
}

/* 2^31+ one-byte elements: counts beyond int, so the piecewise path. */
static void test_over_2g_elements(void) { big_exchange(1); }

/* 2^28+ eight-byte elements: counts fit int but the message exceeds 2 GiB. */
static void test_over_2g_bytes(void) { big_exchange(8); }

int main(int argc, char **argv)
{
    static const t_test tests[] = {
        {"message over 2^31 elements", test_over_2g_elements},
        {"message over 2^31 bytes", test_over_2g_bytes},
        {NULL, NULL},
    };
    return t_main(argc, argv, "exchange_large", tests);
}
