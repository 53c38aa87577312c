/* mpi_init_only.c — MPI_Init and MPI_Finalize, linked with MPI alone: the
 * launch cost every MPI program pays, against which bench/startup.sh
 * measures Cohort's share (its libraries' loading, HDF5, a context). */
#include <mpi.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Finalize();
    return 0;
}
