/*
 * bench_hist.c — histogram and exact-median throughput on data in memory:
 * every rank reads its partition of a dataset (not timed), then times a
 * 100-bin histogram over the automatic range (two passes: min/max, then
 * bins) and the exact median (radix selection), best of a few runs.
 *
 *   mpirun -n 2 bench/bench_hist FILE:/x [bins] [repeats]
 */
#include <cohort.h>
#include <cohort_io.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    cohort_ctx *ctx;
    cohort_ctx_create(MPI_COMM_WORLD, &ctx);
    int rank = cohort_ctx_rank(ctx), p = cohort_ctx_size(ctx);
    const char *ref = argc > 1 ? argv[1] : "data.h5:/x";
    int64_t bins = argc > 2 ? atoll(argv[2]) : 100;
    int repeats = argc > 3 ? atoi(argv[3]) : 3;
    cohort_input *in = NULL;
    cohort_table *t = NULL;
    if (cohort_input_open(ctx, ref, &in) != COHORT_OK || cohort_input_read_partition(ctx, in, &t) != COHORT_OK) {
        if (rank == 0)
            fprintf(stderr, "bench_hist: %s\n", cohort_errmsg(ctx));
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    int64_t N = cohort_input_rows(in);
    cohort_column c = cohort_table_column(t, 0);
    cohort_columns_source cs;
    cohort_source src;
    cohort_source_columns(&src, &cs, &c, 1);
    cohort_hist_axis axis = {.bins = bins, .lo = NAN, .hi = NAN};
    double best_h = 1e30, best_m = 1e30, best_a = 1e30, median = 0, approx = 0, q = 0.5;
    for (int k = 0; k < repeats; k++) {
        cohort_hist *h = NULL;
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        int st = cohort_histogram(ctx, &src, &axis, 1, 0, &h);
        double dt = MPI_Wtime() - t0;
        MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        best_h = dt < best_h ? dt : best_h;
        cohort_hist_destroy(&h);
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = MPI_Wtime();
        st |= cohort_quantiles(ctx, &src, &q, 1, COHORT_QUANTILE_LINEAR, &median, NULL, NULL);
        dt = MPI_Wtime() - t0;
        MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        best_m = dt < best_m ? dt : best_m;
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = MPI_Wtime();
        st |= cohort_quantiles_approx(ctx, &src, &q, 1, 0.01, &approx, NULL, NULL);
        dt = MPI_Wtime() - t0;
        MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        best_a = dt < best_a ? dt : best_a;
        if (st != COHORT_OK && rank == 0)
            fprintf(stderr, "bench_hist: %s\n", cohort_errmsg(ctx));
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long rss = ru.ru_maxrss;
    MPI_Allreduce(MPI_IN_PLACE, &rss, 1, MPI_LONG, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0) {
        printf("cohort_histogram  %lld bins ranks=%d values=%lld time=%.3fs rate=%.0f Mvalues/s peak_rss=%.0f MB/rank\n",
               (long long)bins, p, (long long)N, best_h, N / best_h / 1e6, rss / 1024.0);
        printf("cohort_quantiles  median   ranks=%d values=%lld time=%.3fs rate=%.0f Mvalues/s (%.2fx the histogram) "
               "median=%.17g\n",
               p, (long long)N, best_m, N / best_m / 1e6, best_m / best_h, median);
        printf("cohort_quantiles_approx eps=0.01 median ranks=%d values=%lld time=%.3fs rate=%.0f Mvalues/s "
               "(%.2fx the exact median's time) median=%.17g\n",
               p, (long long)N, best_a, N / best_a / 1e6, best_a / best_m, approx);
    }
    cohort_table_destroy(&t);
    cohort_input_close(&in);
    cohort_ctx_destroy(&ctx);
    MPI_Finalize();
    return 0;
}
