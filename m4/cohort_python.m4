# COHORT_CHECK_TEST_PYTHON: a python3 with numpy and h5py for test fixtures
# and oracles (Debian's python3-numpy, python3-h5py).  The system python is
# tried first: a pyenv or venv python3 first on PATH usually lacks them.
AC_DEFUN([COHORT_CHECK_TEST_PYTHON], [
  AC_ARG_VAR([TEST_PYTHON], [python3 with numpy and h5py, for test fixtures])
  AC_MSG_CHECKING([for a python3 with numpy and h5py])
  AS_IF([test -z "$TEST_PYTHON"], [
    for cohort_py in /usr/bin/python3 python3; do
      AS_IF([$cohort_py -c 'import numpy, h5py' >/dev/null 2>&1], [TEST_PYTHON=$cohort_py; break])
    done])
  AS_IF([test -n "$TEST_PYTHON"], [AC_MSG_RESULT([$TEST_PYTHON]); PY_RUNNER=$TEST_PYTHON],
    [AC_MSG_RESULT([no (fixture-based tests will be skipped)]); PY_RUNNER="$SHELL -c 'exit 77'"])
  # What runs the program-level tests written in Python (exit 77: skipped).
  AC_SUBST([PY_RUNNER])
])
