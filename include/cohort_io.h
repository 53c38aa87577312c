/*
 * cohort_io.h — reading and writing partitioned HDF5 datasets in parallel.
 *
 * Copyright (c) 2026 The Cohort authors. BSD-3-Clause, see COPYING.
 *
 * DATASET REFERENCES
 *
 *   A reference names one column source:
 *       FILE:/path/to/dataset           a 1-D or 2-D dataset
 *       FILE:/path/to/table#member      a member of a compound dataset
 *                                       (pandas/PyTables tables, H5TB tables)
 *       'run/part-*.h5:/x'              a glob: the files in byte order of
 *                                       their names, rows concatenated
 *   The file part is split from the dataset at the first ":/".  The
 *   spellings of HDF5's own tools are accepted too: FILE:path/to/dataset
 *   (h5dump's, split at the last ':', the path taken from the root) and
 *   FILE/path/to/dataset (h5ls's, where the file is the prefix that is an
 *   existing regular file; not for globs, nor for outputs not yet written).
 *   A 2-D dataset is a table of its columns ("c0", "c1", … or the names in a
 *   string attribute "columns" or "column_names" on the dataset).  A
 *   dataset of 3 or more dimensions (a (time, lat, lon) field) is one
 *   column: its values in row-major order, the flat sequence numpy's
 *   ravel() gives; a rank's rows are then a range of that sequence, read
 *   as a few hyperslabs (whole slabs of the slowest dimension between a
 *   partial one at each end).
 *
 * READING
 *
 *   cohort_input_open() inspects the files (each file by one rank) and agrees
 *   on the type and the row counts; the global rows are the files' rows in
 *   order.  Each rank then reads any range of global rows: its balanced
 *   partition (cohort_input_read_partition) or bounded blocks of it
 *   (cohort_stream_*).  Data is read in the file's own type and converted in
 *   memory (byte order, compound members, 2-D rows into columns), so that a
 *   collective transfer stays collective.  Transfers are split
 *   under 2 GiB per rank per call (HDF5 1.10 fails beyond).  A single file is
 *   opened by all ranks together (MPI-IO) and each rank reads its range with
 *   independent transfers (one contiguous hyperslab needs no collective
 *   buffering); the environment variable COHORT_HDF5_XFER=collective makes
 *   them collective.  A set of files is read by each rank on its own,
 *   opening only the files its rows fall in.
 *
 *   CF CONVENTIONS.  Unless the input is opened with COHORT_INPUT_RAW, the
 *   attributes netCDF-4 and the CF conventions define are applied as
 *   netCDF4-python and xarray apply them, to 1-D and 2-D numeric datasets
 *   (compound members carry no attributes of their own):
 *       _FillValue, missing_value      values equal to them are missing
 *       valid_min, valid_max,          values outside are missing
 *       valid_range
 *       scale_factor, add_offset       value = stored × scale + offset
 *       _Unsigned = "true"             signed integers read as unsigned
 *   A missing value reads as NaN, which every operation skips as pandas
 *   does (the group-by and the statistics skip it; the histogram counts
 *   it apart).  So a packed variable, or an integer one with missing
 *   values, reads as float64; a float one keeps its type.  Fill and
 *   missing values are compared exactly, in the stored type; the valid
 *   bounds as doubles (exact for every stored value but int64 and uint64
 *   beyond 2^53).  An attribute of the wrong shape or type (a string
 *   _FillValue, say), or a fill value the stored type cannot hold, is
 *   ignored, as netCDF4-python ignores it.  Like xarray, and unlike
 *   netCDF4-python, netCDF's default fill values (9.96921e36 for floats …)
 *   are not missing unless an attribute says so.  The files of a glob may
 *   differ in their attributes (each file's apply to its rows).
 *
 *   Supported element types: integers of 8–64 bits signed or unsigned,
 *   IEEE float and double, either byte order; enums over integers (h5py's
 *   bool) as their base integer; fixed-length strings as COHORT_BYTES;
 *   variable-length strings (h5py's and pandas' default for text), as
 *   datasets or compound members, as COHORT_BYTES too: opening the input
 *   measures them (one collective pass over the values, each rank its
 *   share of the rows), and they are read at the longest one's width,
 *   zero-padded, a NULL string as empty.  A string longer than
 *   COHORT_STRING_WIDTH_MAX bytes (or the environment variable of that
 *   name) is a COHORT_ERR_SIZE error naming the file and row.  References,
 *   opaque, array, bitfield, time and variable-length sequences are
 *   COHORT_ERR_TYPE errors naming the dataset and its type.
 *   Layouts: contiguous, chunked, compact; gzip, shuffle, fletcher32, szip
 *   and any filter whose plugin HDF5 can load (a missing one is an error
 *   naming its id); extendible datasets; soft and external links.
 *   Each rank decompresses the chunks of its own rows.  HDF5's filters
 *   allocate two buffers per compressed chunk; glibc gives any over
 *   128 KiB back to the system when freed, so each chunk's page-faults in
 *   afresh, and gzip reads of 8 MiB chunks run 5x slower.  The bundled
 *   programs keep them (mallopt(M_MMAP_THRESHOLD, 32 MiB) and
 *   mallopt(M_TRIM_THRESHOLD, 64 MiB) before MPI_Init); a program linking
 *   Cohort may do the same, or set GLIBC_TUNABLES=glibc.malloc.
 *   mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864.
 *
 * WRITING
 *
 *   An output is one HDF5 file written by all ranks, each its own rows of
 *   each dataset.  It appears atomically: it is written under a temporary
 *   name in the target's directory and renamed onto the final name only
 *   when every rank succeeded; on failure (or when the process dies) the
 *   final name is untouched.  Every dataset written carries provenance
 *   attributes (cohort_version, command_line, inputs, ranks, created_utc).
 *   Unfiltered datasets are written with independent transfers (each rank
 *   one contiguous hyperslab, so no two-phase collective buffering is
 *   involved); compressed ones need collective transfers in HDF5 1.10.
 *
 *   A full disk, or any failed write, is an error (COHORT_ERR_IO) and the
 *   output is not kept: a dataset's cached chunks are written when its sink
 *   closes and the metadata before the file is closed, each checked, and
 *   rank 0 keeps 1 MiB of room for the metadata (HDF5 1.10 cannot close a
 *   file whose metadata failed to write).  Open MPI 4.1's collective-write
 *   components vulcan (its default), two_phase and dynamic_gen2 lose write
 *   errors, so that a compressed output on a full disk seemed written:
 *   programs linking Cohort should set OMPI_MCA_fcoll=individual (as
 *   Cohort's own do unless it is set) or use ROMIO (--mca io romio321).
 *
 * MPI-IO HINTS
 *
 *   Every file opened through MPI-IO (a single input, every output) gets
 *   the hints of the environment variable COHORT_MPIIO_HINTS, key=value
 *   pairs separated by commas ("striping_factor=8,striping_unit=4194304",
 *   "cb_nodes=4"); unset, MPI_INFO_NULL.  A malformed value makes
 *   cohort_input_open() and cohort_output_open() fail with COHORT_ERR_ARG.
 *
 * HDF5 ERRORS
 *
 *   The library silences HDF5's automatic error printing during its calls
 *   (and restores the caller's setting); HDF5's innermost error message is
 *   part of cohort_errmsg().
 */
#ifndef COHORT_IO_H
#define COHORT_IO_H

#include <cohort.h>
#include <hdf5.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The HDF5 native memory type of @type (H5T_NATIVE_INT8, …, H5T_NATIVE_DOUBLE;
 * for COHORT_BYTES a new fixed-length string type of @width bytes, NUL-padded).
 * The caller closes the result with H5Tclose().  H5I_INVALID_HID if unknown.
 * Not collective.
 */
hid_t cohort_type_hdf5(cohort_type type, size_t width);

/* ------------------------------------------------------------------------ */
/* Dataset references                                                        */
/* ------------------------------------------------------------------------ */

/**
 * Split a reference into its file part (a name or a glob), dataset path
 * ("" if none) and member ("" if none), each written NUL-terminated into a
 * buffer of @size bytes.  COHORT_ERR_ARG if malformed or too long.
 * Not collective.
 */
int cohort_ref_parse(const char *ref, char *file, char *dataset, char *member, size_t size);

/* ------------------------------------------------------------------------ */
/* Describing datasets                                                        */
/* ------------------------------------------------------------------------ */

typedef enum cohort_layout {
    COHORT_LAYOUT_CONTIGUOUS = 1,
    COHORT_LAYOUT_CHUNKED = 2,
    COHORT_LAYOUT_COMPACT = 3,
    COHORT_LAYOUT_VIRTUAL = 4
} cohort_layout;

#define COHORT_MAX_FILTERS 8
#define COHORT_MAX_DIMS 32 /* HDF5's H5S_MAX_RANK */

/* The CF conventions (netCDF's "Attribute Conventions") a dataset carries. */
#define COHORT_CF_FILL 0x01      /**< _FillValue: that value is missing */
#define COHORT_CF_MISSING 0x02   /**< missing_value (one or more values): missing */
#define COHORT_CF_VALID_MIN 0x04 /**< valid_min, or valid_range[0]: values below are missing */
#define COHORT_CF_VALID_MAX 0x08 /**< valid_max, or valid_range[1]: values above are missing */
#define COHORT_CF_SCALE 0x10     /**< scale_factor: value = stored × scale_factor + add_offset */
#define COHORT_CF_OFFSET 0x20    /**< add_offset */
#define COHORT_CF_UNSIGNED 0x40  /**< _Unsigned = "true": signed integers stored, unsigned meant */
#define COHORT_CF_MISSING_MAX 8  /**< missing_value entries honoured (more is COHORT_ERR_TYPE) */

/** What the attributes of a dataset say about its values (see READING). */
typedef struct cohort_cf {
    unsigned flags;          /**< COHORT_CF_* found; 0 when none apply */
    int nmissing;            /**< entries of missing_value */
    double fill, missing[COHORT_CF_MISSING_MAX], valid_min, valid_max, scale, offset; /**< as doubles, for display */
} cohort_cf;

/** What cohort_input_open() found, and what cohort-info shows. */
typedef struct cohort_dataset_info {
    int ndims;                 /**< 1 to COHORT_MAX_DIMS */
    int64_t dims[COHORT_MAX_DIMS];    /**< current extent (rows, columns, …) */
    int64_t maxdims[COHORT_MAX_DIMS]; /**< -1 = unlimited */
    cohort_type type;          /**< 0 when the type is unsupported */
    size_t width;              /**< bytes per element (string length for COHORT_BYTES) */
    int big_endian;            /**< file byte order of numeric data */
    char type_desc[96];        /**< e.g. "int32 big-endian", "compound of 5 members", "variable-length string" */
    cohort_layout layout;
    int64_t chunk[COHORT_MAX_DIMS];   /**< chunk dims when chunked, else 0 */
    int nfilters;
    int filter_id[COHORT_MAX_FILTERS];
    char filter_name[COHORT_MAX_FILTERS][32];
    int filter_available[COHORT_MAX_FILTERS]; /**< 0: HDF5 cannot load the plugin */
    cohort_cf cf;              /**< CF conventions on the dataset (numeric datasets, not members) */
} cohort_dataset_info;

/**
 * Describe the dataset @path of the open HDF5 file @file (without reading
 * its data).  COHORT_ERR_NOTFOUND if it does not exist.  Not collective.
 */
int cohort_dataset_describe(cohort_ctx *ctx, hid_t file, const char *path, cohort_dataset_info *info);

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct cohort_input cohort_input;

/**
 * Open a reference for reading.  Collective; @ref equal on every rank.
 * Rank 0 expands a glob and shares the list; each file is inspected by one
 * rank; all files must hold the dataset with the same element type and
 * column count.  Files are opened read-only.  Errors (COHORT_ERR_NOTFOUND,
 * COHORT_ERR_TYPE, COHORT_ERR_SIZE, COHORT_ERR_IO) name the file, dataset
 * and cause.  Memory: O(number of files) per rank.
 */
int cohort_input_open(cohort_ctx *ctx, const char *ref, cohort_input **in);

/** The longest variable-length string an input reads (bytes): every row
 *  of such a column takes the longest string's width in memory.  The
 *  environment variable COHORT_STRING_WIDTH_MAX (1 to 2^30) overrides it. */
#define COHORT_STRING_WIDTH_MAX 4096
/** The most columns a 2-D dataset read as a table may have (COHORT_ERR_SIZE
 *  beyond): a wider one is a field, for cohort-reduce, and a declared shape
 *  is checked before anything is sized by it. */
#define COHORT_COLUMNS_MAX 65536

/** Flags of cohort_input_open_flags(). */
#define COHORT_INPUT_RAW 0x1  /**< read the stored values: no CF conventions applied */
#define COHORT_INPUT_FLAT 0x2 /**< a 2-D dataset too reads as one column of its values,
                                   row-major, as N-D ones do (for fields, not tables) */

/**
 * cohort_input_open() with @flags (0 or COHORT_INPUT_RAW | COHORT_INPUT_FLAT),
 * equal on every rank.  Collective.
 */
int cohort_input_open_flags(cohort_ctx *ctx, const char *ref, unsigned flags, cohort_input **in);

/** Close an input; accepts NULL, sets *in to NULL.  Collective (it may close a shared file). */
void cohort_input_close(cohort_input **in);

/** Global number of rows (over all files). */
int64_t cohort_input_rows(const cohort_input *in);
/** Number of columns: 1 for a 1-D dataset or a member, d for a rows × d dataset. */
int cohort_input_ncols(const cohort_input *in);
/** Element type and width (bytes) of every column, as read into memory. */
cohort_type cohort_input_type(const cohort_input *in);
size_t cohort_input_width(const cohort_input *in);
/** Name of column @j: the member, the dataset's last path component, or c0, c1, … / the column-name attribute. */
const char *cohort_input_column_name(const cohort_input *in, int j);
/** The reference as given, for messages and provenance. */
const char *cohort_input_ref(const cohort_input *in);
/** Number of files behind the reference. */
int cohort_input_nfiles(const cohort_input *in);
/** Description of the dataset (from the first file; dims[0] is the global row count; type and
 *  width as read, after the CF conventions; cf.flags is 0 when opened raw). */
const cohort_dataset_info *cohort_input_info(const cohort_input *in);

/**
 * Read global rows [begin, begin + count) into @cols (ncols column views,
 * each with room for @count elements of the input's type, data owned by the
 * caller; their count fields are set to @count).  Collective: every rank
 * calls, each with its own range (count 0 is fine).
 * Memory: one transfer piece (≤ 1 GiB) beyond the output when the data
 * needs conversion; none otherwise.
 */
int cohort_input_read(cohort_ctx *ctx, cohort_input *in, int64_t begin, int64_t count, cohort_column *cols);

/**
 * Read this rank's balanced partition of the rows (cohort_partition over
 * the context's ranks) into a new table with one column per input column,
 * named as cohort_input_column_name().  Collective.
 * Memory: the partition's rows × ncols × width, owned by the table.
 */
int cohort_input_read_partition(cohort_ctx *ctx, cohort_input *in, cohort_table **table);

/* Streaming: walk this rank's partition in blocks of bounded size. */
typedef struct cohort_stream cohort_stream;

/** Default block size of a stream, in bytes of converted data per rank. */
#define COHORT_STREAM_BLOCK_BYTES ((size_t)64 << 20)

/**
 * Start walking this rank's partition of @in in blocks of at most
 * @block_bytes (0 = COHORT_STREAM_BLOCK_BYTES) per rank.  Collective.
 * Memory: one block (block_bytes, at least one row) per rank.
 */
int cohort_stream_open(cohort_ctx *ctx, cohort_input *in, size_t block_bytes, cohort_stream **stream);

/**
 * The same over several inputs of equal row counts, walked together: each
 * block holds the same rows of every input, their columns side by side in
 * the order of @ins (which must outlive the stream).  Different row counts
 * are COHORT_ERR_SIZE.  Collective.  Memory: one block of all inputs.
 */
int cohort_stream_open_inputs(cohort_ctx *ctx, cohort_input **ins, int nin, size_t block_bytes,
                              cohort_stream **stream);

/**
 * Read the next block.  Collective: all ranks call it until *done is set,
 * which happens on all ranks at the same call; a rank whose partition is
 * exhausted gets blocks of 0 rows until then.  On return @cols points to
 * ncols column views of *rows rows, valid until the next call.  @first_row
 * (may be NULL) receives the block's first global row.
 */
int cohort_stream_next(cohort_stream *stream, const cohort_column **cols, int64_t *rows,
                       int64_t *first_row, int *done);

/** Start the walk over from the first block.  Not collective (no I/O). */
void cohort_stream_rewind(cohort_stream *stream);

/**
 * A block source (see cohort.h) over @stream, for operations that take
 * sources; the stream must outlive the source.  Not collective.
 */
void cohort_stream_source(cohort_stream *stream, cohort_source *src);

/** Free a stream; accepts NULL; sets *stream to NULL.  Not collective. */
void cohort_stream_close(cohort_stream **stream);

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum cohort_output_mode {
    COHORT_OUTPUT_CREATE = 0, /**< the file must not exist */
    COHORT_OUTPUT_FORCE = 1,  /**< replace the file if it exists (atomically) */
    COHORT_OUTPUT_APPEND = 2  /**< copy the existing file, add or replace objects, swap atomically */
} cohort_output_mode;

typedef struct cohort_output cohort_output;

/**
 * Begin writing the file @path.  Collective; arguments equal on every rank.
 * @command_line and @inputs (either may be NULL) are recorded in the
 * provenance attributes of every dataset written.
 * COHORT_ERR_EXISTS if the file exists in CREATE mode; COHORT_ERR_NOTFOUND
 * if it does not exist in APPEND mode; COHORT_ERR_IO if the directory is not
 * writable.  Memory: O(1).
 */
int cohort_output_open(cohort_ctx *ctx, const char *path, cohort_output_mode mode, const char *command_line,
                       const char *inputs, cohort_output **out);

/**
 * The hidden temporary file the output is written to until
 * cohort_output_close() renames it (the same name on every rank; valid
 * until then).  A program's signal handler learns it earlier, before the
 * file can exist, from cohort_ctx_set_temporary_hook().  Not collective.
 */
const char *cohort_output_temporary(const cohort_output *out);

/** Dataset creation options for cohort_output_write(). */
typedef struct cohort_write_options {
    int64_t chunk_rows; /**< 0: contiguous (unless gzip); else chunked with this many rows per chunk */
    int gzip_level;     /**< 0: no compression; 1–9: deflate with shuffle (chunked) */
    int ndims;          /**< 0: rows (× columns); ≥ 1 (one column): a dataset of shape dims[0..ndims),
                             whose rows are its values in row-major order (their product is the rows) */
    int64_t dims[COHORT_MAX_DIMS];
} cohort_write_options;

/**
 * Write a dataset @dset (a path; missing groups are created; an existing
 * object of that name is replaced) of the ranks' @cols rows concatenated in
 * rank order, in the columns' type.  @ncols > 1 writes a rows × ncols 2-D
 * dataset from @ncols column views of equal length.  Collective; @dset,
 * the type and @ncols equal on every rank.  @opts may be NULL.
 * Memory: one 2-D row-major piece (≤ 2 MiB) when ncols > 1.
 * Equivalent to cohort_sink_open with the global row count, one
 * cohort_sink_write at this rank's offset, and cohort_sink_close.
 */
int cohort_output_write(cohort_ctx *ctx, cohort_output *out, const char *dset, const cohort_column *cols,
                        int ncols, const cohort_write_options *opts);

/* A dataset written in several steps (e.g. blocks generated or streamed in
 * bounded memory). */
typedef struct cohort_sink cohort_sink;

/**
 * Create dataset @dset of @rows global rows (× @ncols columns when > 1) of
 * @type (@width bytes for COHORT_BYTES), with its provenance attributes.
 * Collective; all arguments equal on every rank.
 */
int cohort_sink_open(cohort_ctx *ctx, cohort_output *out, const char *dset, cohort_type type, size_t width,
                     int ncols, int64_t rows, const cohort_write_options *opts, cohort_sink **sink);

/**
 * Write rows [first_row, first_row + cols[0].count) of the dataset from
 * @cols (ncols views).  Collective: every rank calls it the same number of
 * times (count 0 is fine); ranks write disjoint rows.
 * Memory: one 2-D row-major piece (≤ 2 MiB) when ncols > 1.
 */
int cohort_sink_write(cohort_ctx *ctx, cohort_sink *sink, int64_t first_row, const cohort_column *cols);

/** Finish the dataset; accepts NULL; sets *sink to NULL.  Collective. */
int cohort_sink_close(cohort_ctx *ctx, cohort_sink **sink);

/**
 * Make dataset @scale (1-D) a dimension scale named @name (NULL: its own
 * name) and attach it to dimension @axis of dataset @dset, as HDF5's H5DS
 * API does: the coordinates netCDF-4 and xarray read (xarray names the
 * dimension @name, with @scale's values as its coordinate).  With @dset
 * NULL, @scale only becomes a scale: a coordinate of its own dimension
 * (netCDF's coordinate variable).  Collective; arguments equal on every rank.
 */
int cohort_output_attach_scale(cohort_ctx *ctx, cohort_output *out, const char *dset, int axis, const char *scale,
                               const char *name);

/**
 * Write @cols (@ncols columns of equal length on each rank; the ranks'
 * rows concatenated in rank order) as a table pandas opens:
 * pandas.read_hdf(FILE, @group) returns a DataFrame of these columns, by
 * their names (cols[j].name: unique, not "index"), indexed 0 .. rows-1.
 * It is pandas' "table" format, as DataFrame.to_hdf(format="table",
 * data_columns=True) writes it: dataset @group/table, a compound of an
 * int64 "index" and the columns, with PyTables' and pandas' attributes on
 * it and on @group (which may hold other objects too).  Numbers keep their
 * type; COHORT_BYTES columns read as str (UTF-8; pandas reads the string
 * "nan" as NaN).  Collective; @group and the columns' names, types and
 * widths equal on every rank.  Memory: one piece of records (≤ 2 MiB).
 */
int cohort_output_write_pandas(cohort_ctx *ctx, cohort_output *out, const char *group, const cohort_column *cols,
                               int ncols);

/**
 * Write a scalar or 1-D attribute on object @obj (a group or dataset path,
 * created as a group if missing).  Collective; all arguments equal on every
 * rank (rank 0's values are written).  @type numeric or COHORT_BYTES
 * (@count strings of @width bytes).
 */
int cohort_output_write_attr(cohort_ctx *ctx, cohort_output *out, const char *obj, const char *name,
                             cohort_type type, size_t width, int64_t count, const void *data);

/**
 * Finish: with @commit and every rank successful so far, flush, close and
 * rename the file onto its final name; otherwise remove the temporary file
 * and leave the final name as it was.  Collective.  Frees *out, sets it to
 * NULL, accepts NULL.  Returns the agreed status of the whole output.
 */
int cohort_output_close(cohort_ctx *ctx, cohort_output **out, int commit);

#ifdef __cplusplus
}
#endif

#endif /* COHORT_IO_H */
