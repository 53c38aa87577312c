/*
 * io.h — internal pieces of the HDF5 layer shared by its files.  Never installed.
 */
#ifndef COHORT_IO_INTERNAL_H
#define COHORT_IO_INTERNAL_H

#include "../core/internal.h"
#include "cohort_io.h"

#define COHORT_PATH_MAX 4096

/* Largest transfer of one H5Dread/H5Dwrite call per rank: HDF5 1.10 fails
 * on independent transfers over 2 GiB, and a piece bounds staging memory. */
#define COHORT_IO_PIECE_BYTES ((size_t)1 << 30)
/* Staging piece when data needs converting (members, 2-D rows, strides):
 * small enough to stay in cache between HDF5's copy into it and the
 * conversion out of it (64 MiB made 2-D reads 2.2x slower than 2 MiB). */
#define COHORT_IO_STAGE_BYTES ((size_t)2 << 20)
/* Records moved to or from columns together (records.c). */
#define COHORT_IO_TILE_BYTES ((size_t)32 << 10)

/* Rows [0, n) of the records at @rec (@record bytes each) into the columns:
 * column j's value, @width bytes, is @first + j * @stride bytes into a
 * record, and the n values land packed at @width from byte @at × @col_width
 * of the column (where row @at of the column's type begins: values still
 * to be unpacked in place to a wider type, as the CF conventions do, are
 * packed at their stored width). */
void cohort__records_to_columns(const unsigned char *rec, size_t record, size_t first, size_t stride, size_t width,
                                cohort_column *cols, int ncols, size_t col_width, int64_t at, int64_t n);
/* The columns' rows [at, at + n) into records [0, n) at @rec, packed from
 * byte @first of each record in column order, each at its type's width. */
void cohort__columns_to_records(unsigned char *rec, size_t record, size_t first, const cohort_column *cols, int ncols,
                                int64_t at, int64_t n);

/* HDF5's automatic error printing is silenced inside the library; these
 * save and restore the caller's handler around each public entry point. */
typedef struct h5_quiet {
    H5E_auto2_t fn;
    void *data;
} h5_quiet;
void cohort__h5_quiet_begin(h5_quiet *q);
void cohort__h5_quiet_end(const h5_quiet *q);

/* HDF5's innermost error message on the default stack ("" if none), for
 * the cause part of error messages.  Clears the stack. */
const char *cohort__h5_cause(char *buf, size_t size);

/* Record a failure "<what>: <HDF5 cause>" with @code. */
int cohort__h5_fail(cohort_ctx *ctx, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* How the bytes of one element are laid out in the file, beyond what the
 * public cohort_dataset_info says: the record read per row, and where the
 * column's element sits in it. */
typedef struct raw_layout {
    size_t record;        /* bytes per row as stored (width × columns, or the compound's size) */
    size_t offset;        /* offset of the (first) element within the record */
    size_t stride;        /* distance between consecutive columns within a record (2-D) */
    int ncols;
    bool swap;            /* byte order differs from this machine's */
    bool vlen;            /* variable-length strings: char * in the record as read; the
                             width is found by a pass over the values (input.c) */
    bool whole_record;    /* a compound's member read within its whole record, as stored
                             (no member needs converting), at @offset */
    /* The CF conventions' values in the stored type, this machine's byte
     * order, for exact comparison (info->cf has them as doubles). */
    unsigned char fill[8], missing[COHORT_CF_MISSING_MAX][8];
} raw_layout;

/* Apply the CF conventions @cf (@raw's fill and missing values) to @n
 * values of @stored type packed at @data, in place, giving values of type
 * @out (COHORT_DOUBLE, or the stored float type itself) packed at @data:
 * missing ones NaN, packed ones unpacked.  @data must hold n values of @out. */
void cohort__cf_decode(const cohort_cf *cf, const raw_layout *raw, cohort_type stored, cohort_type out, void *data,
                       int64_t n);

/* Find the CF conventions' attributes on dataset @d (info->type, width
 * already classified) into info->cf and @raw; _Unsigned changes info->type. */
void cohort__cf_inspect(hid_t d, cohort_dataset_info *info, raw_layout *raw);

/* The type as stored, before _Unsigned: what COHORT_INPUT_RAW reads. */
cohort_type cohort__cf_raw_type(const cohort_cf *cf, cohort_type type);

/* The type values of @stored type read as under the conventions @cf. */
cohort_type cohort__cf_type(const cohort_cf *cf, cohort_type stored);

/* Describe @path in @file; with @member, the member of a compound.  On
 * success fills @info (type of the column) and @raw.  Errors name
 * @file_name and the dataset. */
int cohort__dataset_inspect(cohort_ctx *ctx, hid_t file, const char *file_name, const char *path,
                            const char *member, cohort_dataset_info *info, raw_layout *raw);

/* Reverse the bytes of @n elements of @width bytes in place. */
void cohort__byteswap(void *data, size_t n, size_t width);

/* A file access property list: MPI-IO over @comm with the hints of
 * COHORT_MPIIO_HINTS, or the default POSIX driver when comm is
 * MPI_COMM_NULL.  Caller closes it. */
hid_t cohort__fapl(MPI_Comm comm);

/* COHORT_ERR_ARG if COHORT_MPIIO_HINTS is set but malformed.  Not collective. */
int cohort__hints_check(cohort_ctx *ctx);



/* Read or write rows [row, row + n) of all @ncols columns of dataset @d
 * (1-D, or 2-D rows x ncols) from/to @buf, packed row-major, without type
 * conversion (@mtype is the dataset's own type).  n = 0 selects nothing but
 * still makes the call, as collective transfers need.  HDF5 status. */
herr_t cohort__h5_transfer(hid_t d, hid_t mtype, hid_t dxpl, int64_t row, int64_t n, int64_t ncols, void *buf,
                           bool write);

/* The same for the flat (row-major) elements [first, first + n) of an N-D
 * dataset @d of any rank, as a few hyperslabs, into/from @buf packed. */
herr_t cohort__h5_transfer_flat(hid_t d, hid_t mtype, hid_t dxpl, int64_t first, int64_t n, void *buf, bool write);

/* An output's final name (for messages) and its open file; its group
 * @group and the groups above it, created if missing.  Collective. */
const char *cohort__output_path(const cohort_output *out);
hid_t cohort__output_fid(const cohort_output *out);
/* A write to @out failed: drop what the temporary file holds (and the room
 * kept for metadata) before HDF5 writes more, so that closing it cannot fail
 * for want of space.  Collective; once per output; cohort_output_close then
 * removes it. */
void cohort__output_give_up(cohort_ctx *ctx, cohort_output *out);
int cohort__output_make_groups(cohort_ctx *ctx, cohort_output *out, const char *group);

/* Expand a file glob on rank 0 and share the names (NUL-separated, strcmp
 * order) with every rank; free(*names) when done.  Collective. */
int cohort__expand_files(cohort_ctx *ctx, const char *pattern, char **names, int *count);
#endif
