/*
 * cohort.h — public interface of libcohort, collective analytics over MPI ranks.
 *
 * Copyright (c) 2026 The Cohort authors. BSD-3-Clause, see COPYING.
 *
 * INTRODUCTION
 *
 *   Cohort sorts, groups, histograms and summarises data that is already
 *   distributed over the ranks of an MPI communicator.  The data model is
 *   simple: every rank holds a contiguous share of each column ("its rows");
 *   the global row order is rank 0's rows, then rank 1's, and so on.  Results
 *   that have an order do not depend on the number of ranks.
 *
 *   Everything starts from a context, created collectively over a
 *   communicator:
 *
 *       cohort_ctx *ctx;
 *       if (cohort_ctx_create(MPI_COMM_WORLD, &ctx) != COHORT_OK) ...
 *       ... collective operations on ctx ...
 *       cohort_ctx_destroy(&ctx);
 *
 *   The HDF5 reading and writing layer lives in <cohort_io.h>; this header
 *   needs only <mpi.h>.
 *
 * ERRORS (the contract every function keeps)
 *
 *   Functions return COHORT_OK (0) or a negative COHORT_ERR_* code; the codes
 *   are fixed and never renumbered.  cohort_strerror() names a code;
 *   cohort_errmsg(ctx) gives the detailed message of the last failure on that
 *   context ("rank 3: <file>:<dataset>: <cause>").
 *
 *   A function marked "Collective" must be called by every rank of the
 *   context's communicator, and returns the SAME status on every rank: each
 *   rank checks its own arguments, the ranks agree once, then all proceed or
 *   all return.  After a failed collective call cohort_errmsg() is the same
 *   text on every rank: the message of the lowest failing rank.  One rank's
 *   bad input never leaves the others waiting.  The library never calls
 *   exit(), abort() or MPI_Abort(), and prints nothing unless verbosity is
 *   raised with cohort_ctx_set_verbosity().
 *
 *   Counts, offsets and displacements are 64-bit everywhere; messages of
 *   more than 2^31 elements or bytes work.
 *
 * OWNERSHIP
 *
 *   Columns passed in are views of caller-owned memory and are never freed
 *   by the library.  Objects the library allocates come back as opaque
 *   handles with a cohort_<object>_destroy(&handle) that accepts NULL and
 *   sets the handle to NULL.
 *
 * THREADS
 *
 *   A context may be used by one thread at a time.  Distinct contexts may be
 *   used concurrently when MPI was initialised with MPI_THREAD_MULTIPLE.
 */
#ifndef COHORT_H
#define COHORT_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                   */
/* ------------------------------------------------------------------------ */

#define COHORT_VERSION_MAJOR 0
#define COHORT_VERSION_MINOR 1
#define COHORT_VERSION_PATCH 0
#define COHORT_VERSION_NUMBER \
    (COHORT_VERSION_MAJOR * 10000 + COHORT_VERSION_MINOR * 100 + COHORT_VERSION_PATCH)
#define COHORT_VERSION_STRING "0.1.0"

/** Version of the library actually linked, as COHORT_VERSION_NUMBER.  Not collective. */
unsigned cohort_version_number(void);
/** Version of the library actually linked, "MAJOR.MINOR.PATCH".  Not collective. */
const char *cohort_version_string(void);

/* ------------------------------------------------------------------------ */
/* Error codes                                                               */
/* ------------------------------------------------------------------------ */

typedef enum cohort_status {
    COHORT_OK = 0,
    COHORT_ERR_ARG = -1,      /**< invalid argument (NULL, negative count, unknown flag) */
    COHORT_ERR_NOMEM = -2,    /**< an allocation failed */
    COHORT_ERR_BUDGET = -3,   /**< the per-rank memory budget would be exceeded */
    COHORT_ERR_MPI = -4,      /**< an MPI call failed */
    COHORT_ERR_IO = -5,       /**< reading or writing a file failed */
    COHORT_ERR_NOTFOUND = -6, /**< a file, dataset or member does not exist */
    COHORT_ERR_TYPE = -7,     /**< unsupported or mismatched data type */
    COHORT_ERR_SIZE = -8,     /**< mismatched lengths or shapes */
    COHORT_ERR_EXISTS = -9,   /**< an output exists and replacing it was not asked for */
    COHORT_ERR_OVERFLOW = -10,/**< an integer result does not fit its type */
    COHORT_ERR_VERIFY = -11,  /**< a self-check of a result failed */
    COHORT_ERR_INTERNAL = -12,/**< a bug in Cohort: please report it */
    COHORT_ERR_VALUE = -13    /**< a value in the data is not allowed (a negative weight) */
} cohort_status;

/** Short constant description of a status code ("invalid argument").  Not collective. */
const char *cohort_strerror(int status);

/* ------------------------------------------------------------------------ */
/* Context                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct cohort_ctx cohort_ctx;

/**
 * Create a context over the ranks of @comm.
 * Collective over @comm.  The communicator is duplicated (so Cohort's
 * messages never mix with the caller's) and MPI errors on it are returned,
 * not fatal.  MPI must be initialised.  On failure *ctx is NULL on every rank.
 * Defaults: verbosity 0 (silent), no progress callback, no memory budget,
 * 1 BLAS thread per rank.
 * Memory: a few hundred bytes plus the duplicated communicator.
 */
int cohort_ctx_create(MPI_Comm comm, cohort_ctx **ctx);

/**
 * cohort_ctx_create() for Fortran, whose communicators are integer handles
 * (`use mpi` or mpi_f08's MPI_Comm%MPI_VAL): bind it through iso_c_binding
 * with the handle passed by value.  See examples/moments.f90.  Collective.
 */
int cohort_ctx_create_fortran(MPI_Fint comm, cohort_ctx **ctx);

/**
 * Free a context and set *ctx to NULL; accepts NULL and a pointer to NULL.
 * Collective over the context's communicator (it frees the duplicate).
 */
void cohort_ctx_destroy(cohort_ctx **ctx);

/** The context's (duplicated) communicator; do not free it.  Not collective. */
MPI_Comm cohort_ctx_comm(const cohort_ctx *ctx);
/** This process's rank in the context's communicator.  Not collective. */
int cohort_ctx_rank(const cohort_ctx *ctx);
/** Number of ranks in the context's communicator.  Not collective. */
int cohort_ctx_size(const cohort_ctx *ctx);

/**
 * Verbosity: 0 silent (default); 1 warnings; 2 phase-level information;
 * 3 debugging.  Messages go to stderr prefixed "cohort[rank]: ".
 * Not collective; may differ between ranks.
 */
void cohort_ctx_set_verbosity(cohort_ctx *ctx, int level);

/**
 * Progress callback: @phase names the current phase, @fraction is in [0, 1]
 * and reflects rank 0's share of the work.  Called on rank 0 only, from
 * inside collective operations, at most about once per percent.
 * Not collective; the callback and @arg matter only on rank 0.
 */
typedef void (*cohort_progress_fn)(void *arg, const char *phase, double fraction);
void cohort_ctx_set_progress(cohort_ctx *ctx, cohort_progress_fn fn, void *arg);

/**
 * Progress with counts, for a display of rate and time left: @done of
 * @total @unit ("rows" for "read", "measure" and "write /PATH"; "steps",
 * "bits" otherwise) of @phase, rank 0's share.  A phase whose count goes
 * back (a new pass over the data, another dataset written) starts again.
 * Called on rank 0 only, at the moments cohort_progress_fn is.
 * Not collective; the callback and @arg matter only on rank 0.
 */
typedef void (*cohort_progress_count_fn)(void *arg, const char *phase, double done, double total, const char *unit);
void cohort_ctx_set_progress_counts(cohort_ctx *ctx, cohort_progress_count_fn fn, void *arg);

/**
 * Told the name of every hidden temporary file an output (cohort_io.h) is
 * written to, on this rank, before the file can exist (before rank 0 copies
 * the file appended to, before any rank creates it), and NULL once it is
 * gone on every rank (renamed into place, or removed).  For a program's
 * signal handler: keep the name where the handler can unlink() it, so that
 * SIGTERM at any moment (a job's time limit) leaves no trace of a killed
 * run; the library itself installs no handler.  Called from
 * cohort_output_open() and cohort_output_close(), never from a signal
 * handler.  Not collective.
 */
typedef void (*cohort_temporary_fn)(void *arg, const char *path);
void cohort_ctx_set_temporary_hook(cohort_ctx *ctx, cohort_temporary_fn fn, void *arg);

/**
 * Per-rank memory budget in bytes for memory that Cohort allocates itself
 * (0 = unlimited, the default).  An operation that would exceed it fails
 * with COHORT_ERR_BUDGET on every rank instead of allocating.
 * Not collective; may differ between ranks.
 */
void cohort_ctx_set_memory_budget(cohort_ctx *ctx, int64_t bytes);

/** Bytes Cohort holds now on this rank, and the most it held since the context was made. */
void cohort_ctx_memory(const cohort_ctx *ctx, int64_t *current, int64_t *peak);

/**
 * Threads OpenBLAS may use on this rank (default 1, so that ranks sharing a
 * node do not oversubscribe its cores).  This is a process-wide OpenBLAS
 * setting, applied now.  Not collective.
 */
void cohort_ctx_set_blas_threads(cohort_ctx *ctx, int threads);

/**
 * The detailed message of the last failure on this context, "" if none.
 * After a failed collective call it is the same text on every rank.
 * The string belongs to the context and stays valid until the next call on it.
 */
const char *cohort_errmsg(const cohort_ctx *ctx);

/**
 * Print the time spent in each phase (read, sort, exchange, …) since the
 * context was made, as min / mean / max over ranks, on rank 0 to @out.
 * Collective.  Memory: O(number of phases).
 */
int cohort_ctx_report_timings(cohort_ctx *ctx, FILE *out);

/* ------------------------------------------------------------------------ */
/* Types and columns                                                         */
/* ------------------------------------------------------------------------ */

/** Element types.  Values are fixed; COHORT_BYTES is a fixed-length byte string. */
typedef enum cohort_type {
    COHORT_INT8 = 1,
    COHORT_INT16 = 2,
    COHORT_INT32 = 3,
    COHORT_INT64 = 4,
    COHORT_UINT8 = 5,
    COHORT_UINT16 = 6,
    COHORT_UINT32 = 7,
    COHORT_UINT64 = 8,
    COHORT_FLOAT = 9,
    COHORT_DOUBLE = 10,
    COHORT_BYTES = 11
} cohort_type;

/** Size in bytes of one element of a numeric type; 0 for COHORT_BYTES (its width is per column) and unknown types. */
size_t cohort_type_size(cohort_type type);
/** "int8" … "uint64", "float", "double", "bytes"; NULL for an unknown type. */
const char *cohort_type_name(cohort_type type);
/** Parse a name as printed by cohort_type_name() (also "float32", "float64"); COHORT_ERR_TYPE if unknown. */
int cohort_type_parse(const char *name, cohort_type *type);
/** 1 for the integer types, 0 otherwise. */
int cohort_type_is_integer(cohort_type type);
/** 1 for the signed integer types, float and double; 0 otherwise. */
int cohort_type_is_signed(cohort_type type);
/** 1 for float and double. */
int cohort_type_is_float(cohort_type type);
/**
 * The predefined MPI datatype of one element (MPI_INT8_T, …, MPI_DOUBLE);
 * for COHORT_BYTES, MPI_BYTE (send @width of them per element).
 * MPI_DATATYPE_NULL for an unknown type.
 */
MPI_Datatype cohort_type_mpi(cohort_type type);

/**
 * A column: a view of @count elements of @type at @data, owned by the caller.
 * @width is the size of one element in bytes: for COHORT_BYTES the string
 * length (values are NUL-padded, compared as unsigned bytes); for numeric
 * types it must equal cohort_type_size(type) (cohort_column_make sets it).
 */
typedef struct cohort_column {
    const char *name; /**< optional; NULL or a caller-owned string */
    cohort_type type;
    size_t width;
    int64_t count; /**< rows on this rank */
    void *data;
} cohort_column;

/** A column view of numeric @data (width = element size).  Not collective. */
cohort_column cohort_column_make(const char *name, cohort_type type, int64_t count, void *data);
/** A column view of fixed-length byte strings of @width bytes each.  Not collective. */
cohort_column cohort_column_make_bytes(const char *name, size_t width, int64_t count, void *data);

/* ------------------------------------------------------------------------ */
/* Tables (library-owned columns)                                            */
/* ------------------------------------------------------------------------ */

/**
 * A table is named columns of equal local length whose memory the library
 * owns (counted against the context's memory budget).  Results of
 * operations come back as tables.  Not collective: each rank has its own.
 */
typedef struct cohort_table cohort_table;

/** Create an empty table of @rows local rows.  Not collective. */
int cohort_table_create(cohort_ctx *ctx, int64_t rows, cohort_table **table);
/**
 * Add a column of @type (and @width bytes per element for COHORT_BYTES,
 * ignored otherwise), its contents undefined (like malloc: the caller or
 * the operation fills it), and return a view of it in @column
 * (may be NULL).  Names are unique within a table.  Not collective.
 * Memory: rows × width bytes.
 */
int cohort_table_add_column(cohort_table *table, const char *name, cohort_type type,
                            size_t width, cohort_column *column);
/** Number of local rows. */
int64_t cohort_table_rows(const cohort_table *table);
/** Number of columns. */
int cohort_table_ncolumns(const cohort_table *table);
/** View of column @i (0-based); a column with type 0 if out of range. */
cohort_column cohort_table_column(const cohort_table *table, int i);
/** Index of the column called @name, or -1. */
int cohort_table_find(const cohort_table *table, const char *name);
/** Free a table and its columns; accepts NULL; sets *table to NULL.  Not collective. */
void cohort_table_destroy(cohort_table **table);

/* ------------------------------------------------------------------------ */
/* Building blocks: partitions, scans, large-count exchange                  */
/* ------------------------------------------------------------------------ */

/**
 * Balanced block partition of @n rows over @parts parts: part @i gets rows
 * [*begin, *begin + *count), the first n % parts parts one row more.  Any
 * @parts >= 1 works, more parts than rows included (the tail parts are empty).
 * Not collective; no communication.
 */
void cohort_partition(int64_t n, int parts, int i, int64_t *begin, int64_t *count);

/** The part that holds row @row (0 <= row < n) in cohort_partition(n, parts, ·). */
int cohort_partition_owner(int64_t n, int parts, int64_t row);

/**
 * Exclusive prefix sums over ranks of @n 64-bit values: prefix[j] is the
 * sum of values[j] on ranks below this one, total[j] the sum over all ranks
 * (either output may be NULL).  Collective; @n equal on every rank.
 * COHORT_ERR_OVERFLOW (on every rank) if a sum does not fit int64.
 * Memory: O(n).
 */
int cohort_scan_int64(cohort_ctx *ctx, const int64_t *values, int64_t *prefix, int64_t *total,
                      int n);

/**
 * First half of an all-to-all exchange: given how many elements this rank
 * sends to each rank (@sendcounts, p entries), learn how many it receives
 * from each (@recvcounts, p entries).  Collective.  Memory: O(p).
 */
int cohort_exchange_counts(cohort_ctx *ctx, const int64_t *sendcounts, int64_t *recvcounts);

/**
 * All-to-all exchange of elements of @elem_size bytes, with 64-bit counts.
 * @sendbuf holds the elements for rank 0, then rank 1, … (sendcounts[j] of
 * them for rank j, packed); @recvbuf receives recvcounts[j] elements from
 * rank j, packed in rank order.  @recvcounts must be what
 * cohort_exchange_counts() returned for these @sendcounts.  A single
 * message may exceed 2^31 elements or bytes (it is sent in pieces).
 * Collective; @elem_size equal on every rank.  The buffers are the caller's;
 * they must not overlap.  Memory: O(p) beyond the buffers.
 */
int cohort_exchange(cohort_ctx *ctx, const void *sendbuf, const int64_t *sendcounts,
                    void *recvbuf, const int64_t *recvcounts, size_t elem_size);

/* ------------------------------------------------------------------------ */
/* Sources of row blocks                                                     */
/* ------------------------------------------------------------------------ */

/**
 * A source of rows in blocks, which an operation may walk more than once
 * (a range pass and then a counting pass; the rounds of a selection).  Each
 * block is ncols column views of equal length.  Operations that take a
 * source use bounded memory whatever the number of rows.
 *
 * next() is collective: every rank calls it until *done is set, which
 * happens on every rank at the same call (a rank out of rows gets blocks of
 * 0 rows until then).  Every call, the last included, sets *cols to views
 * that name the columns and their types (operations read the types from
 * the first call, which may already be the last when there are no rows).  rewind() starts over; collective.  Both return a
 * status, equal on every rank.  The views returned stay valid until the next
 * call.  <cohort_io.h> makes sources of HDF5 datasets (cohort_stream_source);
 * cohort_source_columns makes one of columns in memory.
 */
typedef struct cohort_source {
    int ncols;
    int (*rewind)(void *arg);
    int (*next)(void *arg, const cohort_column **cols, int64_t *rows, int *done);
    void *arg;
} cohort_source;

/** State of a source over in-memory columns; the caller keeps it alive. */
typedef struct cohort_columns_source {
    const cohort_column *cols;
    int ncols;
    int given;
} cohort_columns_source;

/**
 * A source of one block: @cols (@ncols views of this rank's rows, owned by
 * the caller).  @state must outlive the source.  Not collective.
 */
void cohort_source_columns(cohort_source *src, cohort_columns_source *state, const cohort_column *cols, int ncols);

/* ------------------------------------------------------------------------ */
/* Sorting and selection                                                     */
/* ------------------------------------------------------------------------ */

/** Options of cohort_sort() and cohort_select(); a NULL pointer means all zero. */
typedef struct cohort_sort_options {
    int descending; /**< largest first (NaN still last) */
    int verify;     /**< prove the result: order within and across ranks, and an
                         order-independent checksum of the rows before and after;
                         COHORT_ERR_VERIFY if the proof fails.  Costs one pass. */
} cohort_sort_options;

/**
 * Sort the rows of @keys, with @npayloads payload columns travelling along,
 * globally over the context's ranks, in place.
 *
 * Keys: any integer type, float, double, or fixed-length byte strings
 * (compared as unsigned bytes, NUL-padded).  Floats: NaN sorts last in both
 * directions and -0.0 equals +0.0, as in numpy; every bit pattern is kept.
 * Stable: equal keys keep their global input order (rank, then index).
 * Exactly balanced: every rank keeps its row count; rank 0 holds the first
 * keys->count rows of the global order, rank 1 the next, and so on.  Any
 * number of ranks, ranks without rows, more ranks than rows.
 * With @index (NULL or room for keys->count values) each output row also
 * gets its row's original global index (an argsort).
 *
 * On failure the columns hold the same rows, in an unspecified order.
 *
 * Collective; key type, payload types and options equal on every rank.
 * Memory per rank: 2 × rows × (key width + payload widths [+ 8 with
 * @index] [+ key width for float keys holding -0.0 or NaN]), plus O(p)
 * and about 3.5 MiB of the radix sort's histograms and scratch;
 * keys alone (no payload, no index) are sorted in the caller's column plus
 * one buffer of rows × key width (integers as they are, with no pass to
 * encode or decode them).
 * Numeric keys on several ranks (each rank's rows under 2 GiB) are split
 * into up to 2^11 key ranges (2^13 when small) by their top bits before
 * they are sorted: one sum of the ranges' sizes, a selection (a few rounds
 * of O(p) per rank) inside the ranges that straddle a rank boundary, then
 * one all-to-all in which every piece lands in its place, and each range
 * is sorted in cache by its receiver; no merge.  That takes 8 bytes per rank per key range
 * of a rank's slice (p × (2^11 / p + 2) for spread keys), and is not
 * taken past 32 MiB of them (heavy skew on many ranks).  Otherwise (byte
 * strings, larger ranks) rows are sorted locally, split by the selection,
 * exchanged and merged (ceil(lg p) passes).
 */
int cohort_sort(cohort_ctx *ctx, cohort_column *keys, cohort_column *payloads, int npayloads, int64_t *index,
                const cohort_sort_options *opts);

/**
 * Selection: the keys at global positions @positions[0..m) (0-based, in
 * [0, N)) of the sorted order of the ranks' @keys, written to @out (m
 * values of the key type, equal on every rank).  NaN sorts last.  The keys
 * are not modified.  Quantiles and medians build on it.
 * Collective; @m and @positions equal on every rank.
 * Memory per rank: 2 × rows × key width (a sorted local copy), plus O(m).
 */
int cohort_select(cohort_ctx *ctx, const cohort_column *keys, const int64_t *positions, int m,
                  const cohort_sort_options *opts, void *out);

/* ------------------------------------------------------------------------ */
/* Histograms                                                                */
/* ------------------------------------------------------------------------ */

#define COHORT_HIST_MAXDIM 8

/** numpy's bin-count estimators (np.histogram_bin_edges' bins="auto", ...). */
typedef enum cohort_hist_bin_rule {
    COHORT_HIST_BINS_GIVEN = 0, /**< the axis's bins (or edges) as given */
    COHORT_HIST_BINS_AUTO = 1,  /**< the smaller width of fd and sturges (sturges when fd's is 0) */
    COHORT_HIST_BINS_FD = 2,    /**< Freedman-Diaconis: 2 IQR n^(-1/3) */
    COHORT_HIST_BINS_DOANE = 3,
    COHORT_HIST_BINS_SCOTT = 4,
    COHORT_HIST_BINS_STONE = 5, /**< minimal estimated L2 risk over 1 to max(100, sqrt(n)) bins: one
                                     histogram per candidate, as numpy (O(n sqrt(n)) work for large n) */
    COHORT_HIST_BINS_RICE = 6,
    COHORT_HIST_BINS_STURGES = 7,
    COHORT_HIST_BINS_SQRT = 8
} cohort_hist_bin_rule;

/** Parse numpy's name of an estimator ("auto", "fd", ...); COHORT_ERR_ARG otherwise.  Not collective. */
int cohort_hist_bin_rule_parse(const char *name, cohort_hist_bin_rule *rule);

/** The bins along one dimension. */
typedef struct cohort_hist_axis {
    int64_t bins;          /**< number of uniform (or log-spaced) bins; ignored with edges */
    double lo, hi;         /**< the range; both NaN: the global min and max of the non-NaN data */
    int log;               /**< log-spaced bins from lo to hi (both > 0): 10 ** linspace(log10(lo), log10(hi)),
                                log10 and pow taken in long double (each edge within an ulp of the exact
                                value; numpy.logspace's np.power is not correctly rounded on some CPUs) */
    const double *edges;   /**< explicit edges, non-decreasing (the outer ones may be infinite), or NULL */
    int64_t nedges;        /**< number of edges (bins + 1), at least 2 */
    cohort_hist_bin_rule rule; /**< an estimator of the number of uniform bins (1-D, unweighted, not log; bins
                                    is then ignored), or COHORT_HIST_BINS_GIVEN */
} cohort_hist_axis;

enum {
    COHORT_HIST_WEIGHTED = 1,   /**< the source's column after the data columns is a weight */
    COHORT_HIST_DENSITY = 2,    /**< divide by the bin volumes and the total, as numpy's density=True */
    COHORT_HIST_CUMULATIVE = 4  /**< running sums over the bins (1-D only) */
};

/** A histogram, owned by the library; identical on every rank. */
typedef struct cohort_hist {
    int ndim;
    int64_t nbins[COHORT_HIST_MAXDIM];
    double *edges[COHORT_HIST_MAXDIM]; /**< nbins[d] + 1 edges (float64) */
    int64_t size;                      /**< total number of bins (product of nbins), C order */
    int64_t *counts;                   /**< counts when neither weighted nor density, else NULL */
    double *values;                    /**< weighted sums or densities, else NULL */
    int64_t nan;                       /**< rows with NaN in some dimension */
    int64_t underflow, overflow;       /**< rows below (some dimension's) range; else above */
    int64_t total;                     /**< all rows seen: binned + nan + underflow + overflow */
} cohort_hist;

/**
 * Histogram of the rows of @src, whose first @ndim columns are the data
 * (any numeric type) and, with COHORT_HIST_WEIGHTED, the next one the
 * weights.  Bin membership is exactly numpy's: np.histogram for 1-D
 * (half-open bins, the last closed; float32 data binned in float32 as
 * numpy does), np.histogramdd for N-D; values outside the range are not
 * binned but counted as underflow/overflow; NaN is never binned, and a
 * NaN weight makes its bin's sum NaN (as numpy's uniform bins do).  Every
 * row is counted once: total = the bins + nan + underflow + overflow.  An
 * automatic range is the global [min, max] of the non-NaN data
 * ([min-0.5, max+0.5] when min == max, or two ulps per bin each way where
 * 0.5 is below the value's resolution; [0, 1] without data;
 * COHORT_ERR_VALUE, the data's fault, when it is not finite, as numpy
 * refuses it, or cannot be widened), found in a
 * first pass over the source.  Where max - min overflows a double, where
 * numpy's linspace and binning fail, uniform edges are the weighted means
 * min (n - i) / n + max i / n and values are binned by searching them.
 * With a bin-count estimator (axis.rule) the number of bins is numpy's
 * histogram_bin_edges' for that estimator: the non-NaN values within the
 * range (all of them without one) give a width w, and the bins are
 * ceil((hi - lo) / w) over the range (1 when w is 0 or nothing is kept).
 * The estimators' statistics come from exact quantiles and stable moments
 * (extra passes over the source; stone one histogram per candidate count),
 * where numpy uses its own roundings: a count can differ by one where
 * (hi - lo) / w lands within rounding of an integer.  Unlike numpy, NaN
 * values are left out rather than an error.
 * Counts are 64-bit; weighted sums are exact
 * (correctly rounded sums, the same for any number of ranks) up to 65,536
 * bins and compensated beyond.  Reduced once over the ranks.  float64
 * data in uniform 1-D bins, the common case, is counted four values at a
 * time where the CPU has AVX2 (chosen at run time), with the same bins.
 *
 * Collective; the axes and flags equal on every rank.  Memory per rank:
 * the bins (8 bytes each; 544 bytes each when weighted, up to 65,536; 40
 * bytes each for float64 data in uniform 1-D bins, counted in four copies)
 * plus the source's blocks.
 */
int cohort_histogram(cohort_ctx *ctx, cohort_source *src, const cohort_hist_axis *axes, int ndim, int flags,
                     cohort_hist **out);

/** Free a histogram; accepts NULL; sets *h to NULL.  Not collective. */
void cohort_hist_destroy(cohort_hist **h);

/* ------------------------------------------------------------------------ */
/* Quantiles                                                                 */
/* ------------------------------------------------------------------------ */

/** numpy.quantile's 13 methods (numpy >= 1.22), with numpy's names. */
typedef enum cohort_quantile_method {
    COHORT_QUANTILE_LINEAR = 0,   /**< numpy's default (H&F 7): interpolate between the two order statistics */
    COHORT_QUANTILE_LOWER = 1,
    COHORT_QUANTILE_HIGHER = 2,
    COHORT_QUANTILE_NEAREST = 3,  /**< the nearer, ties to the even index */
    COHORT_QUANTILE_MIDPOINT = 4,
    COHORT_QUANTILE_INVERTED_CDF = 5,              /**< H&F 1 */
    COHORT_QUANTILE_AVERAGED_INVERTED_CDF = 6,     /**< H&F 2 */
    COHORT_QUANTILE_CLOSEST_OBSERVATION = 7,       /**< H&F 3 */
    COHORT_QUANTILE_INTERPOLATED_INVERTED_CDF = 8, /**< H&F 4 */
    COHORT_QUANTILE_HAZEN = 9,                     /**< H&F 5 */
    COHORT_QUANTILE_WEIBULL = 10,                  /**< H&F 6 */
    COHORT_QUANTILE_MEDIAN_UNBIASED = 11,          /**< H&F 8 */
    COHORT_QUANTILE_NORMAL_UNBIASED = 12           /**< H&F 9 */
} cohort_quantile_method;

/** Parse numpy's name of a method ("linear", "hazen", ...); COHORT_ERR_ARG otherwise.  Not collective. */
int cohort_quantile_method_parse(const char *name, cohort_quantile_method *method);
/** numpy's name of a method; NULL for an unknown one.  Not collective. */
const char *cohort_quantile_method_name(cohort_quantile_method method);
/** 1 for the methods that return an element of the data (lower, higher, nearest, inverted_cdf,
 *  closest_observation), 0 for those that interpolate.  Not collective. */
int cohort_quantile_method_is_element(cohort_quantile_method method);

/**
 * Exact quantiles of the first column of @src (any numeric type), NaN
 * excluded, with numpy.nanquantile's semantics for @method (the order
 * statistics and interpolation weights computed as numpy computes them,
 * in the same double arithmetic): values[k] is the quantile at probability
 * q[k] in [0, 1], NaN when there is no non-NaN value.  Floats are ordered
 * with -0.0 just below 0.0, so that an element method returns the zero
 * the data holds there (numpy's partition may return either).  *count (may be NULL) receives the number of non-NaN
 * values, *nan (may be NULL) the number of NaN.  By distributed radix
 * selection: each pass over the source counts, for every wanted order
 * statistic, the keys under its known prefix of bits by the next digit,
 * and one reduction of those counts fixes that digit; once at most 2^22
 * keys (over all ranks) remain under the wanted prefixes, one pass keeps
 * them, each rank its own, and the last digits are found from those.
 * Typically 2 passes over the data, at most 4 for 64-bit keys; no data is
 * sorted or moved between ranks.  Identical for any number of ranks.
 * Collective; @q, @m, @method equal on every rank.
 * Memory per rank: O(m × 65536) counts (less for many quantiles), at most
 * 32 MiB of candidate keys, plus the source's blocks.
 */
int cohort_quantiles(cohort_ctx *ctx, cohort_source *src, const double *q, int m, cohort_quantile_method method,
                     double *values, int64_t *count, int64_t *nan);

/**
 * cohort_quantiles() for a method that returns an element of the data
 * (cohort_quantile_method_is_element; COHORT_ERR_ARG otherwise): the m
 * elements, in the column's own type and width, into @elements, as
 * numpy.nanquantile returns them: integers beyond 2^53 exact, floats with
 * their sign of zero.  Without a non-NaN value: NaN for floats, 0 for
 * integers (*count tells).  Collective, as cohort_quantiles, with the same
 * memory.
 */
int cohort_quantile_elements(cohort_ctx *ctx, cohort_source *src, const double *q, int m,
                             cohort_quantile_method method, void *elements, int64_t *count, int64_t *nan);

/**
 * Approximate quantiles in one pass: every value returned has a rank (among
 * the N non-NaN values) within eps × N of the exact one at floor(q (N-1)),
 * guaranteed (a deterministic bound, not a probability).  A mergeable
 * sketch of compactors per rank, merged up a binomial tree (O(log p)
 * messages per rank, none of them O(p)).  Identical results on every rank.
 * For data that can be read only once (a stream, in-situ analysis): it
 * sorts every value once, so it takes 3 to 6 times as long as the few
 * passes of cohort_quantiles over data in memory (bench/hist.sh), which
 * is the faster choice whenever the source can rewind.
 * Collective; @q, @m, @eps equal on every rank; eps in [1e-5, 1) (a finer
 * sketch would need more memory than exact selection: COHORT_ERR_ARG).
 * Memory per rank: 16 k bytes for each level used (k = max(48 / eps, 8192);
 * about log2(N / k) + 1 levels), plus 16 k + 96 KiB of scratch.
 */
int cohort_quantiles_approx(cohort_ctx *ctx, cohort_source *src, const double *q, int m, double eps, double *values,
                            int64_t *count, int64_t *nan);

/* ------------------------------------------------------------------------ */
/* Group-by                                                                  */
/* ------------------------------------------------------------------------ */

/** Aggregates of cohort_groupby(), as bits.  Each value column gets a
 *  result column "<value>_<name>" per aggregate asked for, in this order. */
enum {
    COHORT_AGG_COUNT = 1,      /**< the non-NaN values (pandas' count), int64 */
    COHORT_AGG_SUM = 2,        /**< integers: exact, int64 (uint64 for unsigned values), an error when the
                                    group's sum does not fit; floats: float64, IEEE's infinities */
    COHORT_AGG_MEAN = 4,       /**< float64 */
    COHORT_AGG_MIN = 8,        /**< in the value's type */
    COHORT_AGG_MAX = 16,
    COHORT_AGG_VAR = 32,       /**< sample variance (ddof 1, as pandas), float64; NaN for fewer than 2 values */
    COHORT_AGG_STD = 64,
    COHORT_AGG_FIRST = 128,    /**< the first non-NaN value in global row order */
    COHORT_AGG_LAST = 256,
    COHORT_AGG_PROD = 512,     /**< product: float64 for floats (1 without values, as pandas); integers:
                                    exact, int64 (uint64 for unsigned), an error when it does not fit */
    COHORT_AGG_SEM = 1024,     /**< standard error of the mean, std / sqrt(count), float64 */
    COHORT_AGG_MEDIAN = 2048,  /**< exact, float64: numpy's median of the group's non-NaN values */
    COHORT_AGG_QUANTILE = 4096,/**< exact, float64, at each of opts->quantiles: numpy.quantile's linear
                                    method ("<value>_q<Q>", Q as %g prints it) */
    COHORT_AGG_NUNIQUE = 8192, /**< distinct non-NaN values (pandas' nunique; -0.0 equals 0.0), int64 */
    COHORT_AGG_SIZE = 16384    /**< rows in the group (pandas' size), int64: always computed, the "size" column */
};

/** "count", "sum", … for one aggregate bit; NULL otherwise. */
const char *cohort_agg_name(unsigned agg);

#define COHORT_AGG_MAXQUANTILES 16
/** The most key columns and value columns cohort_groupby() takes. */
#define COHORT_AGG_MAXKEYS 16
#define COHORT_AGG_MAXVALUES 64

/** Options of cohort_groupby(); a NULL pointer means all zero. */
typedef struct cohort_groupby_options {
    unsigned aggs;    /**< COHORT_AGG_* bits; 0 means sum and mean */
    int reproducible; /**< every result bit-identical for any number of ranks and any partition of the
                           rows: float sums exact (correctly rounded), var, std and sem from the exact sums
                           of the values and of their squares; see cohort_groupby for the cost */
    int nquantiles;   /**< with COHORT_AGG_QUANTILE: how many of quantiles[] (1 to COHORT_AGG_MAXQUANTILES) */
    double quantiles[COHORT_AGG_MAXQUANTILES]; /**< probabilities in [0, 1] */
    int keep_nan_keys;/**< float keys: rows whose key is NaN form one group, sorted last (pandas'
                           dropna=False); by default they are dropped (pandas' dropna=True) */
} cohort_groupby_options;

/**
 * Parse a comma-separated list of aggregate names ("size,count,sum,mean,
 * quantile:0.9") into @opts->aggs and @opts->quantiles (other fields
 * untouched).  "quantile:Q" may repeat.  COHORT_ERR_ARG if a name is
 * unknown or a Q is not in [0, 1].  Not collective.
 */
int cohort_agg_parse(const char *list, cohort_groupby_options *opts);

/**
 * Group the rows of @src by its first @nkeys columns and aggregate the
 * other columns.  Keys: integers of any width, float or double (-0.0
 * equals 0.0 and comes out as 0.0; NaN keys as opts->keep_nan_keys says),
 * or fixed-length byte strings (compared as unsigned bytes), composite
 * keys ordered lexicographically.  Values: any numeric type.
 *
 * The result is a table per rank, together the groups in ascending key
 * order (rank 0 the smallest keys), spread over the ranks (never gathered
 * on one); its columns: the keys (named as the source's columns, else k0,
 * k1, …), "size" (int64, the group's rows), then for each value column
 * (named as the source's, else v0, v1, …) and each aggregate asked for,
 * in the order of the COHORT_AGG_* bits, "<value>_<aggregate>" (types at
 * the bits above).  NaN values are skipped by every aggregate but size, as
 * pandas skips them; a group whose values are all NaN has count 0, sum 0,
 * prod 1 and NaN elsewhere.
 *
 * Float sums are Neumaier-compensated and follow IEEE arithmetic as
 * numpy's sum does ([x, inf] gives inf, [-inf, x] -inf, [inf, -inf] NaN,
 * where pandas 1.5's compensated sum gives NaN for [-inf, 1]); var, std and sem
 * come from (count, mean, M2) states updated per value with the mean held
 * in twice a double's precision and M2 compensated, merged with Chan's
 * formula, so that values like 1e12 + noise keep their digits (within a few
 * ulps of the exact variance on such data, where pandas' loses half).  Counts, sizes, integer sums
 * and products, min, max, first, last, median, quantiles and nunique are
 * identical for any number of ranks; float sums, means, variances and
 * products agree to rounding.  With opts->reproducible every result is
 * bit-identical for any number of ranks: float sums exact (xsum),
 * variances from the exact sums of values and squares (n Σx² − (Σx)²
 * formed exactly, then divided once), products of floats in a canonical
 * order.
 *
 * How: each rank aggregates its rows in a hash table (a hot key costs one
 * update, however many rows it has), sorts its groups by key, and the
 * ranks split the key range by distributed selection so that groups
 * spread evenly; one all-to-all moves each group's partial states to the
 * rank owning its key, where sorted runs are merged and equal keys
 * combined.  Median, quantiles and nunique need every value: the
 * (key, value) pairs are sorted across the ranks (cohort_sort, exactly
 * balanced, so a heavy group spreads over many ranks), and each group's
 * order statistics are fetched from where they landed.
 * COHORT_ERR_OVERFLOW when an integer sum or product does not fit its type.
 *
 * Collective; @nkeys, the options and the source's columns equal on every
 * rank.  Memory per rank: about 3 × (groups on this rank) × record bytes
 * (8 + 8 per key word + 8 per value and about 8–40 per aggregate: 16 for
 * sum and prod, 40 for var/std/sem; reproducible: 544 per float sum, 1.6 KiB
 * per value for var/std/sem; records up to 64 bytes are padded to a power
 * of two), at least 2^16 records while the keys span a small range (indexed
 * directly), plus the source's blocks, whatever the number of rows.  Median,
 * quantiles and nunique add 2 × rows × (key bytes + 8) per value column
 * asked for (the sorted pairs).  Cost of the reproducible mode, measured
 * against the default (bench/report): sums and means 3x the time with 1K
 * groups and 6-7x with 1M groups; var, std, sem 4x and 16x; a product of
 * floats goes through the sorted pairs, 6-30x.
 */
int cohort_groupby(cohort_ctx *ctx, cohort_source *src, int nkeys, const cohort_groupby_options *opts,
                   cohort_table **out);

/* ------------------------------------------------------------------------ */
/* Linear aggregates: moments, covariance, PCA, regression                   */
/* ------------------------------------------------------------------------ */

/** Flags of cohort_stats_compute(). */
enum {
    COHORT_STATS_WEIGHTED = 1, /**< the source's last column is a weight per row (>= 0; NaN skips the row) */
    COHORT_STATS_MATRIX = 2,   /**< also the co-moment matrix, for covariance, correlation and PCA */
    COHORT_STATS_NO_MOMENTS = 4,/**< with COHORT_STATS_MATRIX: the matrix alone (cohort_stats_column then fails) */
    COHORT_STATS_REPRODUCIBLE = 8 /**< every result the same bits for any number of ranks and any partition:
                                       exact sums in two passes (see cohort_stats_compute) */
};

/** The one-pass statistics of some columns, owned by the library, the same on every rank. */
typedef struct cohort_stats cohort_stats;

/**
 * Moments of every data column of @src (any numeric type, read as float64)
 * and, with COHORT_STATS_MATRIX, their centred co-moment matrix over the
 * complete rows (those with no NaN in any data column nor in the weight).
 * The data columns are all the source's columns but the weight.
 *
 * One pass over the source.  Each column's moments are one-pass mergeable
 * states (mean and central moment sums M2, M3, M4, merged with Chan's and
 * Pébay's pairwise formulas, about shifted means so that values like
 * 1e9 + noise keep their precision); the matrix is built from blocks of
 * rows centred on their own means through OpenBLAS dsyrk and merged with
 * the co-moment formula.  Ranks merge up a binomial tree, and every rank
 * gets the result.  Results agree for any number of ranks and any
 * partition of the rows to within rounding (about 1e-15 relative for
 * well-conditioned data).
 *
 * With COHORT_STATS_REPRODUCIBLE every result is the same bits for any
 * number of ranks and any partition of the rows: two passes, the first
 * for the exact sums Σ w and Σ w x (the means, rounded once), the second
 * for the exact sums of w (x − mean)^k and w (xᵢ − meanᵢ)(xⱼ − meanⱼ) (each
 * deviation rounded once, products of two doubles exact), the sums merged
 * digit by digit and rounded once; within a few ulps of the exact moments.
 * It costs an exact product and a fixed-point addition per value and per
 * matrix entry per row: measured 70x the default's time for the moments
 * and 100x for the covariance on 10M × 16 (bench/report), and 1 KiB per
 * column moment and per matrix entry: 6 KiB × d plus 0.5 KiB × d² more per
 * rank.
 *
 * Collective; the flags and the source's column count equal on every
 * rank.  COHORT_ERR_VALUE for a negative or infinite weight, COHORT_ERR_TYPE
 * for a non-numeric column.  Memory per rank: O(d) without the matrix;
 * 2 d² doubles with it; plus a block of at most 4 MiB and the source's blocks.
 */
int cohort_stats_compute(cohort_ctx *ctx, cohort_source *src, int flags, cohort_stats **out);

/** Number of data columns; rows seen (every row, NaN included). */
int cohort_stats_ncols(const cohort_stats *s);
int64_t cohort_stats_rows(const cohort_stats *s);

/** The statistics of one column, NaN values excluded. */
typedef struct cohort_column_stats {
    int64_t count;    /**< non-NaN values (rows with a non-NaN value and weight) */
    int64_t nan;      /**< rows skipped for a NaN value or weight */
    double weight;    /**< sum of the weights (= count without weights) */
    double sum;       /**< Σ w x, compensated */
    double mean;      /**< Σ w x / Σ w; NaN without values */
    double var, std;  /**< M2 / (weight − ddof); NaN when weight <= ddof */
    double min, max;  /**< NaN without values */
    double skew;      /**< bias-corrected, as pandas Series.skew(): NaN for weight < 3, 0 when var is 0 */
    double kurtosis;  /**< bias-corrected excess kurtosis, as pandas Series.kurt(): NaN for weight < 4, 0 when var is 0 */
} cohort_column_stats;

/**
 * The statistics of column @j with @ddof delta degrees of freedom for the
 * variance (1 as pandas and np.cov; 0 as np.var).  With weights, they
 * are frequency weights: a row of weight k counts as k rows (so integer
 * weights give pandas' results on the repeated rows), as statsmodels'
 * DescrStatsW.  Not collective.
 */
int cohort_stats_column(const cohort_stats *s, int j, double ddof, cohort_column_stats *out);

/** Rows used for the matrices (complete rows), and their weight; 0 without COHORT_STATS_MATRIX. */
int64_t cohort_stats_matrix_rows(const cohort_stats *s);
double cohort_stats_matrix_weight(const cohort_stats *s);

/**
 * The d × d covariance matrix (row-major, into @cov) over the complete
 * rows, with np.cov's semantics: co-moments / (weight − ddof) (NaN when
 * weight <= ddof).  COHORT_ERR_ARG without COHORT_STATS_MATRIX.  Not collective.
 */
int cohort_stats_covariance(const cohort_stats *s, double ddof, double *cov);

/**
 * The d × d correlation matrix (row-major) as np.corrcoef: cov[i,j] /
 * sqrt(cov[i,i] cov[j,j]) clipped to [-1, 1]; NaN in the rows and columns
 * of constant columns.  Not collective.
 */
int cohort_stats_correlation(const cohort_stats *s, double *corr);

/** Free statistics; accepts NULL; sets *s to NULL.  Not collective. */
void cohort_stats_destroy(cohort_stats **s);

/** Principal components, the same on every rank. */
typedef struct cohort_pca {
    int k, d;
    double *explained_variance;       /**< k eigenvalues of the matrix, largest first */
    double *explained_variance_ratio; /**< each over the sum of all d eigenvalues (the trace) */
    double *components;               /**< k × d, row-major: unit eigenvectors, each signed so
                                           that its largest-magnitude entry is positive */
} cohort_pca;

/**
 * The top @k eigenpairs of the covariance (with @ddof) or, with
 * @use_correlation, the correlation matrix of @s (computed with
 * COHORT_STATS_MATRIX), by LAPACKE dsyevr.  Rank 0 computes, every rank
 * receives the same result.  COHORT_ERR_VALUE when the matrix is not
 * finite (too few rows, infinite values, a constant column's correlation).
 * Collective.  Memory: O(d²).
 */
int cohort_pca_compute(cohort_ctx *ctx, const cohort_stats *s, int k, int use_correlation, double ddof, cohort_pca **out);

/** Free a PCA result; accepts NULL; sets *p to NULL.  Not collective. */
void cohort_pca_destroy(cohort_pca **p);

/** How cohort_regress() solves. */
typedef enum cohort_regress_method {
    COHORT_REGRESS_CHOLESKY = 0, /**< normal equations of the centred data (one pass), Cholesky (LAPACKE dpotrf) */
    COHORT_REGRESS_TSQR = 1      /**< QR of the centred data (two passes: means, then a tall-skinny QR whose
                                      local R factors are merged up a tree): for ill-conditioned data */
} cohort_regress_method;

/** Options of cohort_regress(); a NULL pointer means all zero. */
typedef struct cohort_regress_options {
    cohort_regress_method method;
    double ridge;  /**< L2 penalty λ >= 0 on the coefficients (not the intercept): minimises
                        Σ w (y − b − Xβ)² + λ |β|², as scikit-learn's Ridge(alpha=λ) */
    int weighted;  /**< the source's last column is a weight per row (weighted least squares) */
    int reproducible; /**< the same bits for any number of ranks: the normal equations from the exact co-moments
                           of COHORT_STATS_REPRODUCIBLE (Cholesky only: COHORT_ERR_ARG with TSQR) */
} cohort_regress_options;

/** A fitted linear model y ≈ intercept + X coef, the same on every rank. */
typedef struct cohort_regression {
    int p;                     /**< coefficients (columns of X) */
    int rank;                  /**< numerical rank of the centred X; < p: rank-deficient */
    int64_t rows;              /**< complete rows used (no NaN in X, y or the weight) */
    double intercept;
    double *coef;              /**< p coefficients */
    double *std_error;         /**< p standard errors (classic; see cohort_regress) */
    double intercept_std_error;
    double r2;                 /**< 1 − RSS / TSS; NaN when y is constant */
    double rss;                /**< residual sum of (weighted) squares */
    double sigma2;             /**< RSS / (rows − rank − 1); NaN when that is not positive */
} cohort_regression;

/**
 * Linear least squares of y on X with an intercept: the source's first p
 * columns are X, the next is y, then (opts->weighted) a weight per row.
 * Rows with NaN anywhere in them are dropped.
 *
 * The data is centred (the intercept is ȳ − x̄ᵀβ), then solved by the
 * chosen method.  Rank deficiency (a constant column, duplicated or
 * collinear columns) is detected — Cholesky: an equilibrated factor whose
 * reciprocal condition estimate is below 64 p ε sends the solve to the
 * eigenvalues of G + λI, those below 64 p ε × the largest dropped; TSQR:
 * singular values of R below numpy's cutoff ε max(rows, p) σ_max — and
 * then the minimum-norm least-squares coefficients are returned, as
 * numpy.linalg.lstsq gives on the centred data (the intercept not part of
 * the norm), with rank < p and a warning at verbosity 1.  Standard errors
 * are classic: sigma2 × the diagonal of A⁺ G A⁺, with G the centred Gram
 * matrix and A = G + λI (for OLS of full rank: sigma2 × diag(G⁻¹), as
 * statsmodels; weights are precision weights as in statsmodels' WLS).
 *
 * Collective; p, the options equal on every rank.  Memory per rank:
 * O(p²) plus a block of at most 4 MiB and the source's blocks.
 */
int cohort_regress(cohort_ctx *ctx, cohort_source *src, const cohort_regress_options *opts,
                   cohort_regression **out);

/** Free a regression; accepts NULL; sets *r to NULL.  Not collective. */
void cohort_regression_destroy(cohort_regression **r);

/* ------------------------------------------------------------------------ */
/* Synthetic data                                                            */
/* ------------------------------------------------------------------------ */

/** Value distributions of cohort_generate(). */
typedef enum cohort_dist {
    COHORT_DIST_UNIFORM = 1,   /**< integers uniform in [min, max]; floats in [min, max) */
    COHORT_DIST_NORMAL = 2,    /**< normal(mean, std); integers rounded and clamped to the type */
    COHORT_DIST_ZIPF = 3,      /**< min + floor(exp(u·ln(max−min+2))) − 1: Zipf-like (s ≈ 1), 0 the most frequent */
    COHORT_DIST_SORTED = 4,    /**< non-decreasing from min to max over the global rows */
    COHORT_DIST_REVERSE = 5,   /**< non-increasing from max to min */
    COHORT_DIST_CONSTANT = 6,  /**< every value min */
    COHORT_DIST_FEWUNIQUE = 7  /**< 16 evenly spaced values of [min, max], uniformly */
} cohort_dist;

/** "uniform", "normal", … as accepted by cohort_dist_parse(). */
int cohort_dist_parse(const char *name, cohort_dist *dist);

/**
 * What cohort_generate() makes.  Values depend only on (seed, stream,
 * global row, total_rows): any partition of the rows over any number of
 * ranks gives the same data.  min and max are long double so that every
 * int64 and uint64 bound is exact.
 */
typedef struct cohort_gen_spec {
    cohort_dist dist;
    long double min, max;
    double mean, std;       /**< for COHORT_DIST_NORMAL */
    double nan_fraction;    /**< floats: the share of NaN values, in [0, 1] */
    uint64_t seed;
    uint64_t stream;        /**< column index: independent values per column */
    int64_t total_rows;     /**< global row count (for sorted and reverse) */
} cohort_gen_spec;

/**
 * Fill @col (numeric, col->count elements) with the values of global rows
 * [first_row, first_row + col->count).  Not collective; no allocation.
 * COHORT_ERR_ARG for a bad spec (min > max, NaN fraction outside [0, 1] or
 * on an integer type, bounds outside the type's range).
 */
int cohort_generate(const cohort_gen_spec *spec, int64_t first_row, cohort_column *col);

#ifdef __cplusplus
}
#endif

#endif /* COHORT_H */
