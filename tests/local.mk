# Tests: CUnit programs run under mpirun at 1-4 ranks by tests/mpirun-wrapper.
EXTRA_DIST += tests/mpirun-wrapper.in tests/lsan.supp tests/fixtures.py tests/apptest.py tests/test_gen_info.py tests/test_sort_app.py tests/test_hist_app.py tests/test_stats_app.py tests/test_groupby_app.py tests/test_cf_app.py tests/test_readme.py tests/test_reduce_app.py tests/test_pandas_app.py \
	tests/test_slurm.py tests/slurm-cluster tests/test_man.py tests/test_disk_full.py tests/test_fuzz.py tests/fuzz_corpus.py tests/test_faults.py tests/test_load.py

TEST_EXTENSIONS = .py
PY_LOG_COMPILER = $(PY_RUNNER)

if HAVE_CUNIT
check_LIBRARIES += tests/libharness.a
tests_libharness_a_SOURCES = tests/harness.c tests/harness.h
tests_libharness_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib $(CUNIT_CFLAGS)

T_CPP = $(AM_CPPFLAGS) -I$(top_srcdir)/lib $(CUNIT_CFLAGS)
T_LIBS = tests/libharness.a lib/libcohort.la $(CUNIT_LIBS) -lm
# -no-install: real executables, not libtool wrapper scripts, under mpirun.
T_LINK = $(AM_LDFLAGS) -no-install

check_PROGRAMS += tests/test_core tests/test_comm tests/test_exchange_large
tests_test_core_SOURCES = tests/test_core.c
tests_test_core_CPPFLAGS = $(T_CPP)
tests_test_core_LDADD = $(T_LIBS)
tests_test_core_LDFLAGS = $(T_LINK)
tests_test_comm_SOURCES = tests/test_comm.c
tests_test_comm_CPPFLAGS = $(T_CPP)
tests_test_comm_LDADD = $(T_LIBS)
tests_test_comm_LDFLAGS = $(T_LINK)
tests_test_exchange_large_SOURCES = tests/test_exchange_large.c
tests_test_exchange_large_CPPFLAGS = $(T_CPP)
tests_test_exchange_large_LDADD = $(T_LIBS)
tests_test_exchange_large_LDFLAGS = $(T_LINK)

check_PROGRAMS += tests/test_io tests/test_io_gen2
tests_test_io_SOURCES = tests/test_io.c
tests_test_io_CPPFLAGS = $(T_CPP) $(HDF5_CFLAGS)
tests_test_io_LDADD = $(T_LIBS) $(HDF5_LIBS)
tests_test_io_LDFLAGS = $(T_LINK)
# The I/O tests again with Open MPI's dynamic_gen2 collective-write component,
# and single-file reads with collective transfers (COHORT_HDF5_XFER=collective).
tests_test_io_gen2_SOURCES = tests/test_io.c
tests_test_io_gen2_CPPFLAGS = $(T_CPP) $(HDF5_CFLAGS) -DCOHORT_TEST_FCOLL='"dynamic_gen2"'
tests_test_io_gen2_LDADD = $(T_LIBS) $(HDF5_LIBS)
tests_test_io_gen2_LDFLAGS = $(T_LINK)

check_PROGRAMS += tests/test_sort
tests_test_sort_SOURCES = tests/test_sort.c
tests_test_sort_CPPFLAGS = $(T_CPP)
tests_test_sort_LDADD = $(T_LIBS)
tests_test_sort_LDFLAGS = $(T_LINK)

check_PROGRAMS += tests/test_io_large
tests_test_io_large_SOURCES = tests/test_io_large.c
tests_test_io_large_CPPFLAGS = $(T_CPP) $(HDF5_CFLAGS)
tests_test_io_large_LDADD = $(T_LIBS) $(HDF5_LIBS)
tests_test_io_large_LDFLAGS = $(T_LINK)

check_PROGRAMS += tests/test_kernels
tests_test_kernels_SOURCES = tests/test_kernels.c
tests_test_kernels_CPPFLAGS = $(T_CPP)
tests_test_kernels_LDADD = $(T_LIBS)
tests_test_kernels_LDFLAGS = $(T_LINK)

check_PROGRAMS += tests/test_hist
tests_test_hist_SOURCES = tests/test_hist.c
tests_test_hist_CPPFLAGS = $(T_CPP)
tests_test_hist_LDADD = $(T_LIBS)
tests_test_hist_LDFLAGS = $(T_LINK)

check_PROGRAMS += tests/test_stats
tests_test_stats_SOURCES = tests/test_stats.c
tests_test_stats_CPPFLAGS = $(T_CPP)
tests_test_stats_LDADD = $(T_LIBS)
tests_test_stats_LDFLAGS = $(T_LINK)

check_PROGRAMS += tests/test_groupby
tests_test_groupby_SOURCES = tests/test_groupby.c
tests_test_groupby_CPPFLAGS = $(T_CPP)
tests_test_groupby_LDADD = $(T_LIBS)
tests_test_groupby_LDFLAGS = $(T_LINK)

# Cases ported from numpy's and pandas' own test suites.
check_PROGRAMS += tests/test_ports
tests_test_ports_SOURCES = tests/test_ports.c
tests_test_ports_CPPFLAGS = $(T_CPP)
tests_test_ports_LDADD = $(T_LIBS)
tests_test_ports_LDFLAGS = $(T_LINK)

# The read path over the hostile-input corpus, many files per launch (run by tests/test_fuzz.py).
check_PROGRAMS += tests/fuzz_inputs
tests_fuzz_inputs_SOURCES = tests/fuzz_inputs.c
tests_fuzz_inputs_CPPFLAGS = $(AM_CPPFLAGS) $(HDF5_CFLAGS)
tests_fuzz_inputs_LDADD = lib/libcohort.la $(HDF5_LIBS)
tests_fuzz_inputs_LDFLAGS = $(T_LINK)

check_PROGRAMS += tests/test_sort_large
tests_test_sort_large_SOURCES = tests/test_sort_large.c
tests_test_sort_large_CPPFLAGS = $(T_CPP)
tests_test_sort_large_LDADD = $(T_LIBS)
tests_test_sort_large_LDFLAGS = $(T_LINK)

TESTS += tests/test_core tests/test_kernels tests/test_comm tests/test_exchange_large tests/test_io tests/test_io_gen2 tests/test_sort tests/test_hist tests/test_stats tests/test_groupby tests/test_ports \
	tests/test_sort_large tests/test_io_large

# Program-level tests in Python (numpy/h5py oracles); they run mpirun themselves.
# Sanitizer builds: allocation failures are tested, so they must return NULL
# rather than abort; full unwinding lets leak reports reach Open MPI's frames
# (built without frame pointers), so that tests/lsan.supp can match them.
AM_TESTS_ENVIRONMENT = COHORT_TEST_BUILDDIR='$(abs_top_builddir)' COHORT_TEST_SRCDIR='$(abs_top_srcdir)/tests' \
	MPIEXEC='$(MPIEXEC)' TEST_PYTHON='$(TEST_PYTHON)' PYTHONPATH='$(abs_top_srcdir)/tests' \
	ASAN_OPTIONS="allocator_may_return_null=1:fast_unwind_on_malloc=0$${ASAN_OPTIONS:+:$$ASAN_OPTIONS}" \
	LSAN_OPTIONS="suppressions=$(abs_top_srcdir)/tests/lsan.supp:print_suppressions=0$${LSAN_OPTIONS:+:$$LSAN_OPTIONS}"; \
	export COHORT_TEST_BUILDDIR COHORT_TEST_SRCDIR MPIEXEC TEST_PYTHON PYTHONPATH ASAN_OPTIONS LSAN_OPTIONS;
TESTS += tests/test_gen_info.py tests/test_sort_app.py tests/test_hist_app.py tests/test_stats_app.py tests/test_groupby_app.py tests/test_cf_app.py tests/test_readme.py tests/test_reduce_app.py tests/test_pandas_app.py
# The man pages against --help and the headers.
TESTS += tests/test_man.py
# The whole-system suites, which `make check STRESS_TESTS=` leaves out (CI's
# distcheck, after its first step ran them):
#  - the sbatch scripts of examples/slurm on a real single-node Slurm (root only);
#  - outputs on a full disk (a tmpfs; root only);
#  - damaged and adversarial files and arguments through the library and every program;
#  - signals to a rank or to mpirun mid-run: the output is the previous file, nothing, or complete;
#  - every program at 8 and 16 ranks on the machine's cores (COHORT_LOAD_NP).
STRESS_TESTS = tests/test_slurm.py tests/test_disk_full.py tests/test_fuzz.py tests/test_faults.py tests/test_load.py
TESTS += $(STRESS_TESTS)
LOG_COMPILER = $(top_builddir)/tests/mpirun-wrapper
else
check-local:
	@echo "make check: CUnit was not found at configure time; install libcunit1-dev and re-run configure" >&2
	@exit 1
endif
