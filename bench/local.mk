# Benchmarks: programs built with the tree, scripts that run them beside
# their baselines (speed is measured here, never asserted in tests).
noinst_PROGRAMS += bench/bench_read
bench_bench_read_SOURCES = bench/bench_read.c
bench_bench_read_CPPFLAGS = $(AM_CPPFLAGS) $(HDF5_CFLAGS)
bench_bench_read_LDADD = lib/libcohort.la $(HDF5_LIBS)
EXTRA_DIST += bench/read.sh bench/h5py_read.py bench/sort.sh bench/mpi4py_samplesort.py
noinst_PROGRAMS += bench/bench_sort
bench_bench_sort_SOURCES = bench/bench_sort.c
bench_bench_sort_CPPFLAGS = $(AM_CPPFLAGS) $(HDF5_CFLAGS)
bench_bench_sort_LDADD = lib/libcohort.la $(HDF5_LIBS) -lm
noinst_PROGRAMS += bench/bench_hist
bench_bench_hist_SOURCES = bench/bench_hist.c
bench_bench_hist_CPPFLAGS = $(AM_CPPFLAGS) $(HDF5_CFLAGS)
bench_bench_hist_LDADD = lib/libcohort.la $(HDF5_LIBS) -lm
EXTRA_DIST += bench/hist.sh bench/numpy_hist.py
noinst_PROGRAMS += bench/bench_stats
bench_bench_stats_SOURCES = bench/bench_stats.c
bench_bench_stats_CPPFLAGS = $(AM_CPPFLAGS) $(HDF5_CFLAGS) $(BLAS_CFLAGS)
bench_bench_stats_LDADD = lib/libcohort.la $(HDF5_LIBS) $(BLAS_LIBS) -lm
EXTRA_DIST += bench/stats.sh bench/numpy_stats.py
noinst_PROGRAMS += bench/bench_groupby
bench_bench_groupby_SOURCES = bench/bench_groupby.c
bench_bench_groupby_CPPFLAGS = $(AM_CPPFLAGS) $(HDF5_CFLAGS)
bench_bench_groupby_LDADD = lib/libcohort.la $(HDF5_LIBS)
EXTRA_DIST += bench/groupby.sh bench/pandas_groupby.py bench/duckdb_groupby.mjs
# cohort-reduce beside xarray + netCDF4-python, whole programs (not in the report yet).
EXTRA_DIST += bench/reduce.sh bench/xarray_reduce.py
# What a launch costs, stage by stage, and Cohort's share of it.
noinst_PROGRAMS += bench/bench_startup
bench_bench_startup_SOURCES = bench/bench_startup.c
bench_bench_startup_CPPFLAGS = $(AM_CPPFLAGS) $(HDF5_CFLAGS)
bench_bench_startup_LDADD = lib/libcohort.la $(HDF5_LIBS)
noinst_PROGRAMS += bench/mpi_init_only
bench_mpi_init_only_SOURCES = bench/mpi_init_only.c
EXTRA_DIST += bench/startup.sh
noinst_PROGRAMS += bench/bench_machine
bench_bench_machine_SOURCES = bench/bench_machine.c
# Weak scaling from 1 to 16 ranks (the device machine), with the machine's own ceiling.
EXTRA_DIST += bench/scaling.sh
# The whole report: every benchmark with its baselines, tables and plots
# into bench/report (bench/report.sh --quick for a smoke run).
EXTRA_DIST += bench/report.sh bench/report.py
bench: all
	$(SHELL) $(srcdir)/bench/report.sh
.PHONY: bench
