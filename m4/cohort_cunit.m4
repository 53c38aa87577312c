# COHORT_CHECK_CUNIT: CUnit for make check only.  Without it the library
# and programs still build; make check says why it cannot run.
AC_DEFUN([COHORT_CHECK_CUNIT], [
  PKG_CHECK_MODULES([CUNIT], [cunit], [cohort_have_cunit=yes], [
    cohort_save_LIBS=$LIBS
    AC_CHECK_LIB([cunit], [CU_initialize_registry],
      [cohort_have_cunit=yes CUNIT_LIBS=-lcunit], [cohort_have_cunit=no])
    LIBS=$cohort_save_LIBS])
  AS_IF([test "$cohort_have_cunit" = no],
    [AC_MSG_WARN([CUnit not found: tests are disabled (Debian: apt-get install libcunit1-dev)])])
  AM_CONDITIONAL([HAVE_CUNIT], [test "$cohort_have_cunit" = yes])
])
