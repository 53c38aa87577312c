/*
 * bench_groupby.c — group-by throughput on data in memory: every rank
 * reads its partition of a key column and a value column (not timed), then
 * times cohort_groupby's aggregates (count, sum and mean by default) per key, best
 * of a few runs.
 *
 *   mpirun -n 2 bench/bench_groupby FILE:/keys FILE:/values [repeats] [exact|default] [AGGS]
 * ("exact": the reproducible mode; AGGS as cohort-groupby --agg takes them)
 */
#include <cohort.h>
#include <cohort_io.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    cohort_ctx *ctx;
    cohort_ctx_create(MPI_COMM_WORLD, &ctx);
    int rank = cohort_ctx_rank(ctx), p = cohort_ctx_size(ctx);
    int repeats = argc > 3 ? atoi(argv[3]) : 3;
    cohort_input *in[2] = {NULL, NULL};
    cohort_table *t[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++)
        if (cohort_input_open(ctx, argc > k + 1 ? argv[k + 1] : "data.h5:/k", &in[k]) != COHORT_OK ||
            cohort_input_read_partition(ctx, in[k], &t[k]) != COHORT_OK) {
            if (rank == 0)
                fprintf(stderr, "bench_groupby: %s\n", cohort_errmsg(ctx));
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    int64_t N = cohort_input_rows(in[0]), groups = 0;
    cohort_column cols[2] = {cohort_table_column(t[0], 0), cohort_table_column(t[1], 0)};
    cohort_columns_source cs;
    cohort_source src;
    cohort_source_columns(&src, &cs, cols, 2);
    int exact = argc > 4 && strcmp(argv[4], "exact") == 0;
    const char *aggs = argc > 5 ? argv[5] : "count,sum,mean";
    cohort_groupby_options o = {0};
    if (cohort_agg_parse(aggs, &o) != COHORT_OK) {
        if (rank == 0)
            fprintf(stderr, "bench_groupby: aggregates %s?\n", aggs);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    o.reproducible = exact;
    double best = 1e30;
    for (int k = 0; k < repeats; k++) {
        cohort_table *g = NULL;
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        if (cohort_groupby(ctx, &src, 1, &o, &g) != COHORT_OK && rank == 0)
            fprintf(stderr, "bench_groupby: %s\n", cohort_errmsg(ctx));
        double dt = MPI_Wtime() - t0;
        MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        best = dt < best ? dt : best;
        groups = cohort_table_rows(g);
        MPI_Allreduce(MPI_IN_PLACE, &groups, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
        cohort_table_destroy(&g);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long rss = ru.ru_maxrss;
    MPI_Allreduce(MPI_IN_PLACE, &rss, 1, MPI_LONG, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0)
        printf("cohort_groupby%s ranks=%d rows=%lld groups=%lld aggs=%s time=%.3fs rate=%.1f Mrows/s peak_rss=%.0f MB/rank\n",
               exact ? "(exact)" : "       ", p, (long long)N, (long long)groups, aggs, best, N / best / 1e6, rss / 1024.0);
    if (getenv("COHORT_BENCH_PHASES")) /* where the time went, summed over the runs */
        cohort_ctx_report_timings(ctx, stdout);
    for (int k = 0; k < 2; k++) {
        cohort_table_destroy(&t[k]);
        cohort_input_close(&in[k]);
    }
    cohort_ctx_destroy(&ctx);
    MPI_Finalize();
    return 0;
}
