# COHORT_CHECK_BLAS: OpenBLAS (CBLAS, and its thread control) with LAPACKE
# into BLAS_CFLAGS / BLAS_LIBS.
AC_DEFUN([COHORT_CHECK_BLAS], [
  PKG_CHECK_MODULES([BLAS], [openblas lapacke], [cohort_blas_from="pkg-config openblas lapacke"], [
    BLAS_CFLAGS=${BLAS_CFLAGS:-} BLAS_LIBS=${BLAS_LIBS:--lopenblas -llapacke}
    cohort_blas_from="BLAS_LIBS=$BLAS_LIBS"])
  cohort_save_CPPFLAGS=$CPPFLAGS cohort_save_LIBS=$LIBS
  CPPFLAGS="$BLAS_CFLAGS $CPPFLAGS" LIBS="$BLAS_LIBS $LIBS"
  AC_CHECK_HEADERS([cblas.h lapacke.h], [],
    [AC_MSG_ERROR([OpenBLAS/LAPACKE headers not found. Install them (Debian: apt-get install libopenblas-dev liblapacke-dev)])])
  AC_CHECK_FUNCS([openblas_set_num_threads cblas_dsyrk LAPACKE_dpotrf LAPACKE_dsyevr], [],
    [AC_MSG_ERROR([cannot link OpenBLAS with LAPACKE ($cohort_blas_from). Install libopenblas-dev and liblapacke-dev])])
  CPPFLAGS=$cohort_save_CPPFLAGS LIBS=$cohort_save_LIBS
  AC_SUBST([BLAS_CFLAGS])
  AC_SUBST([BLAS_LIBS])
])
