/*
 * bench_machine.c — what the machine itself allows when every rank works at
 * once, so that a weak-scaling efficiency can be read against it: each rank
 * runs the same compute-only loop (registers only; shows shared cores and
 * clock drops) and a STREAM triad over arrays of @mb MiB (shows the memory
 * bandwidth the ranks share).  Rank 0 prints the slowest rank's time of
 * each, best of a few runs.  No Cohort code is involved.
 *
 *   mpirun -n P bench/bench_machine [mb]          (default 256 MiB per array)
 */
#include <mpi.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static double slowest(double t)
{
    MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return t;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, p;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &p);
    size_t n = (size_t)(argc > 1 ? atof(argv[1]) : 256) * 1048576 / sizeof(double);
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
    if (a == NULL || b == NULL || c == NULL)
        MPI_Abort(MPI_COMM_WORLD, 1);
    for (size_t i = 0; i < n; i++)
        a[i] = 0, b[i] = (double)i, c[i] = 1;
    double compute = 1e30, triad = 1e30;
    uint64_t sink = 0;
    for (int r = 0; r < 3; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        uint64_t x = 88172645463325252ull + (uint64_t)r; /* four independent xorshift chains */
        uint64_t y = x * 3, z = x * 5, w = x * 7;
        for (long i = 0; i < 100000000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            y ^= y << 13, y ^= y >> 7, y ^= y << 17;
            z ^= z << 13, z ^= z >> 7, z ^= z << 17;
            w ^= w << 13, w ^= w >> 7, w ^= w << 17;
        }
        sink += x ^ y ^ z ^ w;
        double t = slowest(MPI_Wtime() - t0);
        compute = t < compute ? t : compute;
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = MPI_Wtime();
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] + 3.0 * c[i];
        t = slowest(MPI_Wtime() - t0);
        triad = t < triad ? t : triad;
    }
    if (rank == 0)
        printf("machine compute ranks=%d time=%.3fs (registers only)\n"
               "machine triad   ranks=%d time=%.3fs rate=%.1f GB/s in all (%.1f per rank) [%d]\n",
               p, compute, p, triad, 3.0 * n * sizeof(double) * p / triad / 1e9,
               3.0 * n * sizeof(double) / triad / 1e9, (int)(sink & 1 & (uint64_t)(a[n / 2] > 0)));
    free(a), free(b), free(c);
    MPI_Finalize();
    return 0;
}
