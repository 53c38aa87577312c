/*
 * bench_startup.c — what a launch costs, stage by stage, inside one
 * process: MPI_Init, HDF5's initialisation, cohort_ctx_create, opening a
 * small input (the file open through MPI-IO, the dataset's description and
 * the agreement over ranks; then again, without the first open's set-up),
 * and MPI_Finalize.  With no argument it stops
 * after MPI_Init (the launcher and MPI alone).  Rank 0 prints the slowest
 * rank's time of each stage in milliseconds; bench/startup.sh adds the
 * launcher's share (the whole command's wall time) around it.
 *
 *   mpirun -n 2 bench/bench_startup [FILE:/DATASET]
 */
#include <cohort.h>
#include <cohort_io.h>
#include <hdf5.h>

#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    double t[7];
    t[0] = now();
    MPI_Init(&argc, &argv);
    t[1] = now();
    int rank = 0, st = COHORT_OK;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    cohort_ctx *ctx = NULL;
    cohort_input *in = NULL;
    t[2] = t[3] = t[4] = t[1];
    if (argc > 1) {
        H5open();
        t[2] = now();
        st = cohort_ctx_create(MPI_COMM_WORLD, &ctx);
        t[3] = now();
        if (st == COHORT_OK)
            st = cohort_input_open(ctx, argv[1], &in);
        cohort_input_close(&in);
        t[4] = now();
        if (st == COHORT_OK) /* again: what every open costs, without the first one's set-up */
            st = cohort_input_open(ctx, argv[1], &in);
        cohort_input_close(&in);
        cohort_ctx_destroy(&ctx);
        t[6] = now();
    } else {
        t[6] = t[4];
    }
    double ms[5] = {1e3 * (t[1] - t[0]), 1e3 * (t[2] - t[1]), 1e3 * (t[3] - t[2]), 1e3 * (t[4] - t[3]),
                    1e3 * (t[6] - t[4])};
    MPI_Allreduce(MPI_IN_PLACE, ms, 5, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Barrier(MPI_COMM_WORLD);
    t[4] = now();
    MPI_Finalize();
    t[5] = now();
    if (rank == 0)
        printf("ranks=%d MPI_Init=%.1fms H5open=%.1fms ctx_create=%.1fms input_open=%.1fms (again: %.1fms) "
               "MPI_Finalize(rank 0)=%.1fms%s\n", size, ms[0], ms[1], ms[2], ms[3], ms[4], 1e3 * (t[5] - t[4]),
               st == COHORT_OK ? "" : " (open failed)");
    return st == COHORT_OK ? 0 : 1;
}
