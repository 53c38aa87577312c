/*
 * bench_read.c — read throughput of the HDF5 layer: every rank reads its
 * partition of a dataset (whole, or streamed in blocks), repeatedly.
 * Prints one line: ranks, mode, bytes, best time (slowest rank), GB/s,
 * peak resident memory per rank.
 *
 *   mpirun -n 2 bench/bench_read FILE:/x [partition|stream] [repeats]
 */
#include <cohort.h>
#include <cohort_io.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
    /* As the programs do (cohort_io.h, READING): HDF5's per-chunk filter
     * buffers kept in the heap rather than page-faulted in afresh. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    MPI_Init(&argc, &argv);
    cohort_ctx *ctx;
    cohort_ctx_create(MPI_COMM_WORLD, &ctx);
    int rank = cohort_ctx_rank(ctx), size = cohort_ctx_size(ctx);
    const char *ref = argc > 1 ? argv[1] : "data.h5:/x", *mode = argc > 2 ? argv[2] : "partition";
    int repeats = argc > 3 ? atoi(argv[3]) : 3;
    cohort_input *in = NULL;
    int st = cohort_input_open(ctx, ref, &in);
    double best = 1e30, checksum = 0;
    int64_t bytes = 0;
    for (int k = 0; st == COHORT_OK && k < repeats; k++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        if (strcmp(mode, "stream") == 0) {
            cohort_stream *s = NULL;
            st = cohort_stream_open(ctx, in, 0, &s);
            for (int done = 0; st == COHORT_OK;) {
                const cohort_column *cols;
                int64_t rows;
                st = cohort_stream_next(s, &cols, &rows, NULL, &done);
                if (done || st)
                    break;
                if (rows) /* touch the data so the read cannot be skipped */
                    checksum += ((unsigned char *)cols[0].data)[0];
            }
            cohort_stream_close(&s);
        } else {
            cohort_table *t = NULL;
            st = cohort_input_read_partition(ctx, in, &t);
            if (st == COHORT_OK && cohort_table_rows(t))
                checksum += ((unsigned char *)cohort_table_column(t, 0).data)[0];
            cohort_table_destroy(&t);
        }
        double dt = MPI_Wtime() - t0;
        MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        best = dt < best ? dt : best;
    }
    if (st != COHORT_OK) {
        if (rank == 0)
            fprintf(stderr, "bench_read: %s\n", cohort_errmsg(ctx));
    } else {
        bytes = cohort_input_rows(in) * (int64_t)cohort_input_width(in) * cohort_input_ncols(in);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        long rss = ru.ru_maxrss;
        MPI_Allreduce(MPI_IN_PLACE, &rss, 1, MPI_LONG, MPI_MAX, MPI_COMM_WORLD);
        const char *xfer = getenv("COHORT_HDF5_XFER");
        if (rank == 0)
            printf("cohort %-9s %-11s ranks=%d bytes=%lld time=%.3fs rate=%.2f GB/s peak_rss=%.0f MB/rank (%g)\n", mode,
                   xfer ? xfer : "independent", size, (long long)bytes, best, bytes / best / 1e9, rss / 1024.0,
                   checksum * 0);
    }
    cohort_input_close(&in);
    cohort_ctx_destroy(&ctx);
    MPI_Finalize();
    return st == COHORT_OK ? 0 : 1;
}
