# libcohort: core → comm → kernels → ops, and io beside them.
lib_LTLIBRARIES += lib/libcohort.la
include_HEADERS += include/cohort.h

lib_libcohort_la_SOURCES = \
	lib/core/internal.h \
	lib/core/ctx.c \
	lib/core/error.c \
	lib/core/memory.c \
	lib/core/report.c \
	lib/core/source.c \
	lib/core/table.c \
	lib/core/types.c \
	lib/comm/comm.h \
	lib/comm/exchange.c \
	lib/comm/partition.c \
	lib/comm/reduce.c \
	lib/comm/scan.c

lib_libcohort_la_CPPFLAGS = $(AM_CPPFLAGS) $(HDF5_CFLAGS) $(BLAS_CFLAGS)
lib_libcohort_la_LIBADD = $(HDF5_LIBS) $(BLAS_LIBS) -lm
lib_libcohort_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(COHORT_LT_VERSION) -export-symbols-regex '^cohort_'

# The HDF5 layer.
include_HEADERS += include/cohort_io.h
lib_libcohort_la_SOURCES += \
	lib/io/io.h \
	lib/io/describe.c \
	lib/io/hdf5_util.c \
	lib/io/cf.c \
	lib/io/input.c \
	lib/io/output.c \
	lib/io/pandas.c \
	lib/io/records.c \
	lib/io/ref.c \
	lib/io/stream.c

# Node-local kernels.
lib_libcohort_la_SOURCES += \
	lib/kernels/generate.c \
	lib/kernels/groupagg.c
lib_libcohort_la_SOURCES += \
	lib/kernels/kernels.h \
	lib/kernels/bins.c \
	lib/kernels/checksum.c \
	lib/kernels/comoments.c \
	lib/kernels/keys.c \
	lib/kernels/merge.c \
	lib/kernels/moments.c \
	lib/kernels/radix_sort.c \
	lib/kernels/sketch.c \
	lib/kernels/xsum.c

# Collective operations.
lib_libcohort_la_SOURCES += \
	lib/ops/ops.h \
	lib/ops/groupby.c \
	lib/ops/groupby_order.c \
	lib/ops/hist_bins.c \
	lib/ops/histogram.c \
	lib/ops/pca.c \
	lib/ops/quantile.c \
	lib/ops/regress.c \
	lib/ops/select.c \
	lib/ops/sort.c \
	lib/ops/stats.c \
	lib/ops/stats_exact.c
