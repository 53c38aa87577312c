/*
 * bench_sort.c — in-memory distributed sort throughput: every rank makes
 * N/p keys (same data at any rank count), sorts them with cohort_sort
 * (repeats, fresh copy each time), and rank 0 prints the best time (slowest
 * rank), keys/s overall and per rank, and peak memory.
 *
 *   mpirun -n 2 bench/bench_sort TYPE DIST N [repeats] [verify]
 *   mpirun -n 2 bench/bench_sort FILE:/x - - [repeats] [verify]
 *   TYPE int64|double; DIST uniform|zipf|constant|sorted (cohort_generate);
 *   or the keys of an HDF5 dataset, read before the clock starts.
 */
#include <cohort.h>
#include <cohort_io.h>

#include <math.h>
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
    const char *tname = argc > 1 ? argv[1] : "int64", *dname = argc > 2 ? argv[2] : "uniform";
    int64_t N = argc > 3 ? (int64_t)atof(argv[3]) : 10000000;
    int repeats = argc > 4 ? atoi(argv[4]) : 3, verify = argc > 5 ? atoi(argv[5]) : 0;
    cohort_type t;
    cohort_dist d;
    int64_t begin, n;
    void *orig, *keys;
    cohort_column c;
    cohort_table *table = NULL;
    if (strstr(tname, ":/")) { /* keys from a file */
        cohort_input *in = NULL;
        if (cohort_input_open(ctx, tname, &in) != COHORT_OK || cohort_input_read_partition(ctx, in, &table) != COHORT_OK) {
            if (rank == 0)
                fprintf(stderr, "bench_sort: %s\n", cohort_errmsg(ctx));
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        N = cohort_input_rows(in);
        c = cohort_table_column(table, 0);
        t = c.type;
        n = c.count;
        orig = c.data;
        tname = cohort_type_name(t);
        dname = "file";
        cohort_input_close(&in);
    } else {
        if (cohort_type_parse(tname, &t) != COHORT_OK || cohort_dist_parse(dname, &d) != COHORT_OK) {
            if (rank == 0)
                fprintf(stderr, "usage: bench_sort int64|double uniform|zipf|constant|sorted N [repeats] [verify]\n");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        cohort_partition(N, p, rank, &begin, &n);
        orig = malloc((size_t)n * 8 + 8);
        cohort_gen_spec g = {.dist = d, .min = 0, .max = t == COHORT_DOUBLE ? 1 : 1e15L, .seed = 1, .total_rows = N};
        if (d == COHORT_DIST_ZIPF)
            g.max = 1e6L;
        c = cohort_column_make("k", t, n, orig);
        cohort_generate(&g, begin, &c);
    }
    keys = malloc((size_t)n * c.width + 8);
    double best = 1e30;
    cohort_sort_options o = {.verify = verify};
    for (int k = 0; k < repeats; k++) {
        memcpy(keys, orig, (size_t)n * c.width);
        c.data = keys;
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        int st = cohort_sort(ctx, &c, NULL, 0, NULL, &o);
        double dt = MPI_Wtime() - t0;
        MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (st != COHORT_OK) {
            if (rank == 0)
                fprintf(stderr, "bench_sort: %s\n", cohort_errmsg(ctx));
            break;
        }
        best = dt < best ? dt : best;
    }
    if (getenv("COHORT_BENCH_PHASES")) /* where the time went, summed over the repeats */
        cohort_ctx_report_timings(ctx, stdout);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long rss = ru.ru_maxrss;
    MPI_Allreduce(MPI_IN_PLACE, &rss, 1, MPI_LONG, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0) {
        printf("cohort_sort %-6s %-8s ranks=%d keys=%lld verify=%d time=%.3fs rate=%.1f Mkeys/s (%.1f per rank) "
               "peak_rss=%.0f MB/rank\n",
               tname, dname, p, (long long)N, verify, best, N / best / 1e6, N / best / 1e6 / p, rss / 1024.0);
    }
    if (table)
        cohort_table_destroy(&table);
    else
        free(orig);
    free(keys);
    cohort_ctx_destroy(&ctx);
    MPI_Finalize();
    return 0;
}
