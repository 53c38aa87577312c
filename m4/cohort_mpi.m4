# COHORT_PROG_MPICC: use the MPI C compiler wrapper as CC.  Call before
# AC_PROG_CC.  MPICC= overrides the search.
AC_DEFUN([COHORT_PROG_MPICC], [
  AC_ARG_VAR([MPICC], [MPI C compiler wrapper (default: the first of mpicc.openmpi, mpicc)])
  AS_IF([test -z "$MPICC"], [AC_PATH_PROGS([MPICC], [mpicc.openmpi mpicc])])
  AS_IF([test -z "$MPICC"],
    [AC_MSG_ERROR([no MPI C compiler found. Install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev) or set MPICC=/path/to/mpicc])])
  CC="$MPICC"
])

# COHORT_CHECK_MPI: after AC_PROG_CC, check that MPI programs link and find
# the launcher the tests use (MPIEXEC= overrides).
AC_DEFUN([COHORT_CHECK_MPI], [
  AC_MSG_CHECKING([whether $CC links MPI programs])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <mpi.h>]],
      [[MPI_Init(0, 0); MPI_Finalize();]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([$CC cannot build MPI programs; set MPICC to an MPI compiler wrapper])])
  AC_MSG_CHECKING([for Open MPI])
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <mpi.h>
#ifndef OPEN_MPI
# error not Open MPI
#endif]], [])],
    [cohort_mpi_flavor="Open MPI"], [cohort_mpi_flavor="other MPI (untested)"])
  AC_MSG_RESULT([$cohort_mpi_flavor])
  AC_ARG_VAR([MPIEXEC], [MPI launcher for the tests and the demo (default: mpirun)])
  AS_IF([test -z "$MPIEXEC"], [AC_PATH_PROGS([MPIEXEC], [mpirun.openmpi mpirun mpiexec])])
  AS_IF([test -z "$MPIEXEC"], [AC_MSG_WARN([no mpirun found: make check and make demo will fail])])
])
