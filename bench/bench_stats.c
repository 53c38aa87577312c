/*
 * bench_stats.c — throughput of the linear aggregates on data in memory:
 * every rank reads its partition of a rows × d dataset (not timed), then
 * times per-column moments, the covariance alone, both in one pass, and the regression of
 * the last column on the others (Cholesky and TSQR), best of a few runs;
 * and, as the ceiling of the covariance, one OpenBLAS dsyrk over the same
 * rows already laid out as one matrix (no centring, no merging).
 *
 * With "exact", the reproducible mode (exact sums, two passes) of the
 * moments, the covariance and the Cholesky regression instead.
 *
 *   mpirun -n 2 bench/bench_stats FILE:/X [repeats] [exact]
 */
#include <cohort.h>
#include <cohort_io.h>

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int exact_flag; /* COHORT_STATS_REPRODUCIBLE in the exact runs */

static double best_of(cohort_ctx *ctx, int repeats, int what, cohort_source *src)
{
    double best = 1e30;
    for (int k = 0; k < repeats; k++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        int st;
        if (what < 3) {
            cohort_stats *s = NULL;
            static const int flags[] = {0, COHORT_STATS_MATRIX | COHORT_STATS_NO_MOMENTS, COHORT_STATS_MATRIX};
            st = cohort_stats_compute(ctx, src, flags[what] | exact_flag, &s);
            cohort_stats_destroy(&s);
        } else {
            cohort_regress_options o = {.method = what == 3 ? COHORT_REGRESS_CHOLESKY : COHORT_REGRESS_TSQR,
                                        .reproducible = exact_flag != 0};
            cohort_regression *r = NULL;
            st = cohort_regress(ctx, src, &o, &r);
            cohort_regression_destroy(&r);
        }
        double dt = MPI_Wtime() - t0;
        MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        best = dt < best ? dt : best;
        if (st != COHORT_OK && cohort_ctx_rank(ctx) == 0)
            fprintf(stderr, "bench_stats: %s\n", cohort_errmsg(ctx));
    }
    return best;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    cohort_ctx *ctx;
    cohort_ctx_create(MPI_COMM_WORLD, &ctx);
    int rank = cohort_ctx_rank(ctx), p = cohort_ctx_size(ctx);
    const char *ref = argc > 1 ? argv[1] : "data.h5:/X";
    int repeats = argc > 2 ? atoi(argv[2]) : 3;
    cohort_input *in = NULL;
    cohort_table *t = NULL;
    if (cohort_input_open(ctx, ref, &in) != COHORT_OK || cohort_input_read_partition(ctx, in, &t) != COHORT_OK) {
        if (rank == 0)
            fprintf(stderr, "bench_stats: %s\n", cohort_errmsg(ctx));
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    int64_t N = cohort_input_rows(in), n = cohort_table_rows(t);
    int d = cohort_table_ncolumns(t);
    cohort_column *cols = malloc((size_t)d * sizeof *cols);
    for (int j = 0; j < d; j++)
        cols[j] = cohort_table_column(t, j);
    cohort_columns_source cs;
    cohort_source src;
    cohort_source_columns(&src, &cs, cols, d);
    if (argc > 3 && strcmp(argv[3], "exact") == 0) {
        exact_flag = COHORT_STATS_REPRODUCIBLE;
        double t_mom = best_of(ctx, repeats, 0, &src), t_cov = best_of(ctx, repeats, 1, &src);
        double t_chol = best_of(ctx, repeats, 3, &src), gb = (double)N * d * 8 / 1e9;
        if (rank == 0) {
            printf("cohort_stats(exact)   moments  ranks=%d rows=%lld cols=%d time=%.3fs rate=%.3f GB/s\n", p, (long long)N,
                   d, t_mom, gb / t_mom);
            printf("cohort_stats(exact)   cov      ranks=%d rows=%lld cols=%d time=%.3fs rate=%.3f GB/s\n", p, (long long)N,
                   d, t_cov, gb / t_cov);
            printf("cohort_regress(exact) cholesky ranks=%d rows=%lld cols=%d time=%.3fs rate=%.3f GB/s\n", p,
                   (long long)N, d, t_chol, gb / t_chol);
        }
        free(cols);
        cohort_table_destroy(&t);
        cohort_input_close(&in);
        cohort_ctx_destroy(&ctx);
        MPI_Finalize();
        return 0;
    }
    double t_mom = best_of(ctx, repeats, 0, &src), t_cov = best_of(ctx, repeats, 1, &src);
    double t_both = best_of(ctx, repeats, 2, &src);
    double t_chol = best_of(ctx, repeats, 3, &src), t_qr = best_of(ctx, repeats, 4, &src);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long rss = ru.ru_maxrss;
    MPI_Allreduce(MPI_IN_PLACE, &rss, 1, MPI_LONG, MPI_MAX, MPI_COMM_WORLD);

    /* The dsyrk ceiling: the local rows as one column-major matrix. */
    double *A = malloc((size_t)n * d * sizeof *A + 8), *C = calloc((size_t)d * d, sizeof *C), t_syrk = 1e30;
    for (int j = 0; j < d; j++)
        memcpy(A + (size_t)j * n, cols[j].data, (size_t)n * sizeof *A);
    for (int k = 0; k < repeats; k++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (int64_t at = 0; at < n; at += 1 << 20) { /* int-sized pieces */
            int m = n - at < (1 << 20) ? (int)(n - at) : 1 << 20;
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, d, m, 1.0, A + at, (int)n, 1.0, C, d);
        }
        double dt = MPI_Wtime() - t0;
        MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        t_syrk = dt < t_syrk ? dt : t_syrk;
    }
    if (rank == 0) {
        double gb = (double)N * d * 8 / 1e9;
        printf("cohort_stats      moments      ranks=%d rows=%lld cols=%d time=%.3fs rate=%.2f GB/s peak_rss=%.0f MB/rank\n",
               p, (long long)N, d, t_mom, gb / t_mom, rss / 1024.0);
        printf("cohort_stats      cov          ranks=%d rows=%lld cols=%d time=%.3fs rate=%.2f GB/s (%.2fx raw dsyrk)\n", p,
               (long long)N, d, t_cov, gb / t_cov, t_cov / t_syrk);
        printf("cohort_stats      moments+cov  ranks=%d rows=%lld cols=%d time=%.3fs rate=%.2f GB/s (one pass)\n", p,
               (long long)N, d, t_both, gb / t_both);
        printf("cohort_regress    cholesky     ranks=%d rows=%lld cols=%d time=%.3fs rate=%.2f GB/s\n", p, (long long)N, d,
               t_chol, gb / t_chol);
        printf("cohort_regress    tsqr         ranks=%d rows=%lld cols=%d time=%.3fs rate=%.2f GB/s\n", p, (long long)N, d,
               t_qr, gb / t_qr);
        printf("openblas_dsyrk    raw X'X      ranks=%d rows=%lld cols=%d time=%.3fs rate=%.1f GFLOP/s\n", p, (long long)N, d,
               t_syrk, (double)N * d * (d + 1) / t_syrk / 1e9);
    }
    free(A), free(C), free(cols);
    cohort_table_destroy(&t);
    cohort_input_close(&in);
    cohort_ctx_destroy(&ctx);
    MPI_Finalize();
    return 0;
}
