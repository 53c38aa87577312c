# COHORT_CHECK_HDF5: parallel HDF5 >= 1.10 into HDF5_CFLAGS / HDF5_LIBS.
# Looked for with pkg-config (hdf5-openmpi, then hdf5), else with h5pcc.
# A serial-only HDF5 is an error that names the package to install.
AC_DEFUN([COHORT_CHECK_HDF5], [
  AC_ARG_VAR([H5PCC], [parallel HDF5 compiler wrapper, used when pkg-config does not know HDF5])
  AC_ARG_VAR([HDF5_CFLAGS], [C compiler flags for parallel HDF5, overriding the search])
  AC_ARG_VAR([HDF5_LIBS], [linker flags for parallel HDF5, overriding the search])
  AC_REQUIRE([PKG_PROG_PKG_CONFIG])
  cohort_hdf5_from=
  AS_IF([test -n "$HDF5_CFLAGS$HDF5_LIBS"], [cohort_hdf5_from="HDF5_CFLAGS and HDF5_LIBS"], [
    for cohort_m in hdf5-openmpi hdf5; do
      AS_IF([test -n "$PKG_CONFIG" && $PKG_CONFIG --exists $cohort_m], [
        HDF5_CFLAGS=`$PKG_CONFIG --cflags $cohort_m`
        HDF5_LIBS=`$PKG_CONFIG --libs $cohort_m`
        cohort_hdf5_from="pkg-config $cohort_m"
        break])
    done])
  AS_IF([test -z "$cohort_hdf5_from"], [
    AS_IF([test -z "$H5PCC"], [AC_PATH_PROGS([H5PCC], [h5pcc.openmpi h5pcc])])
    AS_IF([test -z "$H5PCC"],
      [AC_MSG_ERROR([parallel HDF5 not found. Install it (Debian: apt-get install libhdf5-openmpi-dev) or set HDF5_CFLAGS and HDF5_LIBS])])
    # h5pcc -show prints the compile and link line it would run.
    cohort_h5_show=`$H5PCC -show 2>/dev/null`
    HDF5_CFLAGS=`for w in $cohort_h5_show; do case $w in -I*|-D*) printf '%s ' "$w";; esac; done`
    HDF5_LIBS=`for w in $cohort_h5_show; do case $w in -L*|-l*|-Wl,*) printf '%s ' "$w";; esac; done`
    cohort_hdf5_from="$H5PCC -show"])
  AC_MSG_NOTICE([HDF5 flags from $cohort_hdf5_from])
  cohort_save_CPPFLAGS=$CPPFLAGS cohort_save_LIBS=$LIBS
  CPPFLAGS="$HDF5_CFLAGS $CPPFLAGS" LIBS="$HDF5_LIBS $LIBS"
  AC_CHECK_HEADER([hdf5.h], [],
    [AC_MSG_ERROR([hdf5.h not usable with HDF5_CFLAGS=$HDF5_CFLAGS (from $cohort_hdf5_from)])])
  AC_MSG_CHECKING([whether HDF5 is parallel and at least 1.10])
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <hdf5.h>
#ifndef H5_HAVE_PARALLEL
# error serial HDF5
#endif
#if !H5_VERSION_GE(1, 10, 0)
# error HDF5 too old
#endif]], [])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([the HDF5 found ($cohort_hdf5_from) is serial or older than 1.10. Cohort needs parallel HDF5 built with the same MPI: on Debian, apt-get install libhdf5-openmpi-dev])])
  AC_CHECK_FUNC([H5Pset_fapl_mpio], [],
    [AC_MSG_ERROR([cannot link parallel HDF5 with HDF5_LIBS=$HDF5_LIBS])])
  # The high-level library's dimension scales (H5DS): the coordinates
  # xarray and netCDF read.  Debian ships it beside libhdf5 as libhdf5_hl.
  AC_ARG_VAR([HDF5_HL_LIBS], [linker flags for HDF5's high-level library, overriding the search])
  AS_IF([test -z "$HDF5_HL_LIBS"], [HDF5_HL_LIBS=-lhdf5_hl])
  LIBS="$HDF5_HL_LIBS $HDF5_LIBS $cohort_save_LIBS"
  AC_MSG_CHECKING([for H5DSattach_scale with $HDF5_HL_LIBS])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <hdf5_hl.h>]], [[return H5DSattach_scale(0, 0, 0);]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([HDF5's high-level library (dimension scales) not found with HDF5_HL_LIBS=$HDF5_HL_LIBS: set HDF5_HL_LIBS])])
  HDF5_LIBS="$HDF5_HL_LIBS $HDF5_LIBS"
  CPPFLAGS=$cohort_save_CPPFLAGS LIBS=$cohort_save_LIBS
  AC_SUBST([HDF5_CFLAGS])
  AC_SUBST([HDF5_LIBS])
])
