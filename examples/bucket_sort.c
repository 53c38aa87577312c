/*
 * bucket_sort.c — a small MPI program that calls libcohort on its own
 * arrays: every rank makes random keys, the ranks learn the global count
 * with a scan, route each key to the rank that owns its value range with
 * the large-count exchange, sort locally, and check the global order.
 *
 * Build against an installed Cohort:
 *     mpicc bucket_sort.c $(pkg-config --cflags --libs cohort) -o bucket_sort
 *     mpirun -n 4 ./bucket_sort 1000000
 */
#include <cohort.h>

#include <stdio.h>
#include <stdlib.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    cohort_ctx *ctx;
    if (cohort_ctx_create(MPI_COMM_WORLD, &ctx) != COHORT_OK) {
        MPI_Finalize();
        return 5;
    }
    int rank = cohort_ctx_rank(ctx), p = cohort_ctx_size(ctx);
    int64_t n_global = argc > 1 ? atoll(argv[1]) : 1000000, begin, n;
    cohort_partition(n_global, p, rank, &begin, &n);

    /* Keys from a counter-based generator: the same data at any rank count. */
    uint64_t *keys = malloc((size_t)n * sizeof *keys + 1);
    int64_t *sendcounts = calloc((size_t)p, sizeof *sendcounts), *recvcounts = calloc((size_t)p, sizeof *recvcounts);
    for (int64_t i = 0; i < n; i++) {
        uint64_t z = (uint64_t)(begin + i) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        keys[i] = z ^ (z >> 27);
    }
    qsort(keys, (size_t)n, sizeof *keys, cmp_u64); /* rank j owns [j, j+1) * 2^64 / p */
    for (int64_t i = 0; i < n; i++)
        sendcounts[(int)(((unsigned __int128)keys[i] * (unsigned)p) >> 64)]++;

    int st = cohort_exchange_counts(ctx, sendcounts, recvcounts);
    int64_t mine = 0, before = 0, total = 0;
    for (int j = 0; j < p; j++)
        mine += recvcounts[j];
    uint64_t *sorted = malloc((size_t)mine * sizeof *sorted + 1);
    if (st == COHORT_OK)
        st = cohort_exchange(ctx, keys, sendcounts, sorted, recvcounts, sizeof *keys);
    if (st == COHORT_OK)
        st = cohort_scan_int64(ctx, &mine, &before, &total, 1);
    if (st != COHORT_OK) {
        if (rank == 0)
            fprintf(stderr, "bucket_sort: %s\n", cohort_errmsg(ctx));
        cohort_ctx_destroy(&ctx);
        MPI_Finalize();
        return 5;
    }
    qsort(sorted, (size_t)mine, sizeof *sorted, cmp_u64);

    /* Check order within the rank and across the boundary to the next rank. */
    int ok = 1;
    for (int64_t i = 1; i < mine; i++)
        ok &= sorted[i - 1] <= sorted[i];
    uint64_t last = mine ? sorted[mine - 1] : 0, prev_last = 0;
    int has = mine > 0, prev_has = 0;
    MPI_Sendrecv(&last, 1, MPI_UINT64_T, (rank + 1) % p, 0, &prev_last, 1, MPI_UINT64_T, (rank + p - 1) % p, 0,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Sendrecv(&has, 1, MPI_INT, (rank + 1) % p, 1, &prev_has, 1, MPI_INT, (rank + p - 1) % p, 1, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    if (rank > 0 && prev_has && has)
        ok &= prev_last <= sorted[0];
    int all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);

    printf("rank %d: rows %lld..%lld of %lld after the exchange\n", rank, (long long)before,
           (long long)(before + mine), (long long)total);
    fflush(stdout);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        printf("bucket_sort: %lld keys over %d ranks, globally %s (libcohort %s)\n", (long long)total, p,
               all_ok && total == n_global ? "sorted" : "NOT SORTED", cohort_version_string());
        cohort_ctx_report_timings(ctx, stdout);
    } else {
        cohort_ctx_report_timings(ctx, NULL);
    }
    free(keys);
    free(sorted);
    free(sendcounts);
    free(recvcounts);
    cohort_ctx_destroy(&ctx);
    MPI_Finalize();
    return all_ok && total == n_global ? 0 : 1;
}
