/*
 * input.c — opening a dataset reference for reading, and reading ranges of
 * its global rows.
 *
 * Opening: rank 0 expands the glob; each file is inspected by one rank
 * (block partition of the files) with the POSIX driver; the descriptions
 * are all-gathered, so every rank knows every file's row count and layout
 * (O(files) memory, no O(p) step on a root).
 *
 * Reading: a single file is opened by all ranks together through MPI-IO,
 * and each rank reads its range, one contiguous hyperslab, with
 * independent transfers (collective with COHORT_HDF5_XFER=collective).
 * Collective buffering serves many small or interleaved requests; ours
 * are large and contiguous.  On one 16-core node, 16 ranks read at
 * 3.3 GB/s with collective transfers through Open MPI 4.1's OMPIO and at
 * 24.5 GB/s with independent ones.  Several files are opened by each rank
 * on its own, only those that overlap the ranges it reads.  Data is always
 * read in the file's own type (no HDF5 conversion, which would silently
 * turn a collective transfer independent, and costs a copy) and converted
 * here: byte order, compound member extraction, 2-D rows into columns.
 */
#include "io.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the inspecting rank learns about one file; all-gathered as bytes. */
typedef struct file_meta {
    int64_t rows;
    cohort_dataset_info info;
    raw_layout raw;
} file_meta;

struct cohort_input {
    cohort_ctx *ctx;
    char *ref;
    char dataset[COHORT_PATH_MAX], member[COHORT_PATH_MAX];
    char *names_block; /* NUL-separated file names */
    char **names;
    int nfiles;
    file_meta *meta;   /* per file */
    int64_t *first;    /* first global row of each file; first[nfiles] = rows */
    cohort_dataset_info info; /* type and width as read: after the CF conventions */
    int64_t rows;             /* global rows: the values of an N-D dataset (3 or more dimensions) */
    cohort_type stored_type;  /* as stored (after _Unsigned) */
    size_t stored_width;
    bool decode;              /* some file's values go through cohort__cf_decode */
    bool flat;                /* COHORT_INPUT_FLAT: a 2-D dataset read as its values */
    bool vlen;                /* variable-length strings, read fixed-width at info.width */
    int64_t vlen_limit;       /* the longest string allowed (COHORT_STRING_WIDTH_MAX) */
    int64_t vlen_longest;     /* measuring: the longest string seen on this rank */
    int64_t vlen_bad_row;     /* measuring: this rank's first row over the limit (-1: none) */
    int64_t vlen_bad_len;
    char *colname_block;  /* the columns' names, NUL-separated, whole (never cut) */
    int64_t colname_bytes;
    char **colnames;      /* each column's name, pointing into colname_block */
    bool direct;       /* 1-D, not a member: read straight into the column */
    size_t max_record; /* largest stored row over the files, for staging */
    bool shared;       /* one file, opened by all ranks through MPI-IO */
    bool collective;   /* collective transfers (shared only) */
    int open_file;     /* index of the open file, -1 if none */
    hid_t fid, did, mtype;
};

static void close_file(cohort_input *in)
{
    if (in->mtype >= 0)
        H5Tclose(in->mtype);
    if (in->did >= 0)
        H5Dclose(in->did);
    if (in->fid >= 0)
        H5Fclose(in->fid);
    in->mtype = in->did = in->fid = H5I_INVALID_HID;
    in->open_file = -1;
}

/* Whether the dataset reads as one column of its values in row-major
 * order: any but a 2-D table (and that too under COHORT_INPUT_FLAT). */
static bool one_column(const cohort_input *in, const cohort_dataset_info *info)
{
    return info->ndims != 2 || in->flat;
}

/* Open file @i read-only: through MPI-IO over the context's ranks when the
 * input is shared (collective), else with the POSIX driver (this rank only). */
static int open_file(cohort_ctx *ctx, cohort_input *in, int i)
{
    if (in->open_file == i)
        return COHORT_OK;
    close_file(in);
    const char *name = in->names[i];
    hid_t fapl = cohort__fapl(in->shared ? ctx->comm : MPI_COMM_NULL);
    in->fid = fapl < 0 ? fapl : H5Fopen(name, H5F_ACC_RDONLY, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (in->fid < 0)
        return cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot open", name);
    in->did = H5Dopen2(in->fid, in->dataset, H5P_DEFAULT);
    in->mtype = in->did < 0 ? in->did : H5Dget_type(in->did);
    if (in->mtype >= 0 && in->member[0] && !in->meta[i].raw.whole_record) {
        /* A member: ask HDF5 for it alone, a compound of that one member,
         * so that the others are neither copied nor converted (a variable-
         * length string among them would be allocated for nothing). */
        hid_t whole = in->mtype;
        int idx = H5Tget_member_index(whole, in->member);
        hid_t mt = idx < 0 ? H5I_INVALID_HID : H5Tget_member_type(whole, (unsigned)idx);
        in->mtype = mt < 0 ? mt : H5Tcreate(H5T_COMPOUND, H5Tget_size(mt));
        if (in->mtype >= 0 && H5Tinsert(in->mtype, in->member, 0, mt) < 0) {
            H5Tclose(in->mtype);
            in->mtype = H5I_INVALID_HID;
        }
        if (mt >= 0)
            H5Tclose(mt);
        H5Tclose(whole);
    }
    if (in->mtype < 0) {
        close_file(in);
        return cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot open dataset %s", name, in->dataset);
    }
    in->open_file = i;
    return COHORT_OK;
}

/* Why a file cannot be opened, in words a user can act on. */
static int explain_open_failure(cohort_ctx *ctx, const char *name)
{
    if (access(name, F_OK) != 0)
        return COHORT_FAIL(ctx, COHORT_ERR_NOTFOUND, "%s: %s", name, strerror(errno));
    if (access(name, R_OK) != 0)
        return COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: %s", name, strerror(errno));
    htri_t h5 = H5Fis_hdf5(name);
    H5Eclear2(H5E_DEFAULT);
    if (h5 <= 0)
        return COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: not an HDF5 file", name);
    return cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot open", name);
}

static int compare_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* @n names packed NUL-separated into one new buffer of *@bytes bytes (one
 * broadcast sends them all); NULL if any is empty or two are equal, as
 * column names must be neither, or if memory runs out. */
static char *pack_names(const char *const *v, int n, int64_t *bytes)
{
    const char **sorted = malloc((size_t)n * sizeof *sorted);
    bool ok = sorted != NULL;
    int64_t total = 0;
    for (int j = 0; ok && j < n; j++) {
        ok = v[j] && v[j][0];
        total += ok ? (int64_t)strlen(v[j]) + 1 : 0;
        sorted[j] = v[j];
    }
    if (ok) { /* unique: sorted, no two neighbours equal (n log n for wide tables) */
        qsort(sorted, (size_t)n, sizeof *sorted, compare_names);
        for (int j = 1; ok && j < n; j++)
            ok = strcmp(sorted[j - 1], sorted[j]) != 0;
    }
    free(sorted);
    char *block = ok && total <= INT_MAX ? malloc((size_t)total) : NULL;
    for (int64_t j = 0, at = 0; block && j < n; j++) {
        size_t len = strlen(v[j]) + 1;
        memcpy(block + at, v[j], len);
        at += (int64_t)len;
    }
    *bytes = block ? total : 0;
    return block;
}

/* Column names of a 2-D dataset from a string attribute "columns" or
 * "column_names" with one entry per column, if it has one: packed as
 * pack_names packs them, or NULL. */
static char *names_from_attribute(hid_t d, int ncols, int64_t *bytes)
{
    static const char *const attrs[] = {"columns", "column_names"};
    char *block = NULL;
    for (size_t a = 0; a < 2 && block == NULL; a++) {
        if (H5Aexists(d, attrs[a]) <= 0)
            continue;
        hid_t at = H5Aopen(d, attrs[a], H5P_DEFAULT), t = H5Aget_type(at), s = H5Aget_space(at);
        if (H5Tget_class(t) == H5T_STRING && H5Sget_simple_extent_npoints(s) == ncols) {
            char **v = calloc((size_t)ncols, sizeof *v);
            if (H5Tis_variable_str(t) > 0) {
                hid_t mt = H5Tcopy(H5T_C_S1);
                H5Tset_size(mt, H5T_VARIABLE);
                H5Tset_cset(mt, H5Tget_cset(t));
                if (v && H5Aread(at, mt, v) >= 0) {
                    block = pack_names((const char *const *)v, ncols, bytes);
                    H5Dvlen_reclaim(mt, s, H5P_DEFAULT, v);
                }
                H5Tclose(mt);
            } else {
                size_t w = H5Tget_size(t);
                char *buf = v ? calloc((size_t)ncols, w + 1) : NULL;
                hid_t mt = H5Tcopy(H5T_C_S1);
                H5Tset_size(mt, w + 1);
                H5Tset_strpad(mt, H5T_STR_NULLTERM);
                if (buf && H5Aread(at, mt, buf) >= 0) {
                    for (int j = 0; j < ncols; j++)
                        v[j] = buf + (size_t)j * (w + 1);
                    block = pack_names((const char *const *)v, ncols, bytes);
                }
                H5Tclose(mt);
                free(buf);
            }
            free(v);
        }
        H5Sclose(s);
        H5Tclose(t);
        H5Aclose(at);
        H5Eclear2(H5E_DEFAULT);
    }
    return block;
}

/* Rank 0: the columns' names, whole: a member's name, a 1-D dataset's own
 * name, a 2-D dataset's from its attribute or else c0, c1, ... */
static int name_columns(cohort_ctx *ctx, cohort_input *in, hid_t fid, int n)
{
    in->colname_block = NULL;
    if (in->member[0] || (n == 1 && one_column(in, &in->info))) {
        const char *slash = strrchr(in->dataset, '/');
        const char *name = in->member[0] ? in->member : slash ? slash + 1 : in->dataset;
        size_t len = strlen(name) + 1;
        if ((in->colname_block = malloc(len)) != NULL)
            memcpy(in->colname_block, name, len), in->colname_bytes = (int64_t)len;
    } else {
        hid_t d = fid >= 0 ? H5Dopen2(fid, in->dataset, H5P_DEFAULT) : H5I_INVALID_HID;
        if (d >= 0) {
            in->colname_block = names_from_attribute(d, n, &in->colname_bytes);
            H5Dclose(d);
        }
        H5Eclear2(H5E_DEFAULT);
        if (in->colname_block == NULL && (in->colname_block = malloc((size_t)n * 12)) != NULL) {
            int64_t at = 0;
            for (int j = 0; j < n; j++)
                at += sprintf(in->colname_block + at, "c%d", j) + 1;
            in->colname_bytes = at;
        }
    }
    return in->colname_block ? COHORT_OK : COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory naming %d columns", n);
}

/* Every rank: each column's name, pointing into the packed block. */
static int index_columns(cohort_ctx *ctx, cohort_input *in, int n)
{
    if ((in->colnames = malloc((size_t)n * sizeof *in->colnames)) == NULL)
        return COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory naming %d columns", n);
    for (int64_t j = 0, at = 0; j < n; j++) {
        in->colnames[j] = in->colname_block + at;
        at += (int64_t)strlen(in->colnames[j]) + 1;
    }
    return COHORT_OK;
}

/* Inspect this rank's block of the files; on rank 0 also name the columns
 * from file 0 (which is always in rank 0's block). */
static int inspect_my_files(cohort_ctx *ctx, cohort_input *in, file_meta *mine, int64_t fbegin, int64_t fcount)
{
    for (int64_t k = 0; k < fcount; k++) {
        int i = (int)(fbegin + k);
        const char *name = in->names[i];
        /* open() of a FIFO waits for a writer forever; devices are no files either. */
        struct stat sb;
        if (stat(name, &sb) == 0 && !S_ISREG(sb.st_mode))
            return COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: not a regular file (a %s)", name,
                               S_ISDIR(sb.st_mode) ? "directory" : S_ISFIFO(sb.st_mode) ? "FIFO" : "device or socket");
        hid_t fapl = cohort__fapl(MPI_COMM_NULL);
        hid_t fid = H5Fopen(name, H5F_ACC_RDONLY, fapl);
        H5Pclose(fapl);
        if (fid < 0)
            return explain_open_failure(ctx, name);
        int st = cohort__dataset_inspect(ctx, fid, name, in->dataset, in->member, &mine[k].info, &mine[k].raw);
        if (st == COHORT_OK && mine[k].info.ndims == 2 && in->flat) /* one column of all the values */
            mine[k].raw.ncols = 1, mine[k].raw.record = mine[k].raw.stride;
        else if (st == COHORT_OK && mine[k].info.ndims == 2 && mine[k].info.dims[1] > COHORT_COLUMNS_MAX)
            st = COHORT_FAIL(ctx, COHORT_ERR_SIZE,
                             "%s: dataset %s has %lld columns; a 2-D dataset is read as a table of at most %d columns (cohort-reduce reads it as a field)",
                             name, in->dataset, (long long)mine[k].info.dims[1], COHORT_COLUMNS_MAX);
        mine[k].rows = mine[k].info.dims[0];
        for (int d = 1; st == COHORT_OK && one_column(in, &mine[k].info) && d < mine[k].info.ndims; d++) {
            int64_t e = mine[k].info.dims[d];
            if (e > 0 && mine[k].rows > INT64_MAX / e)
                st = COHORT_FAIL(ctx, COHORT_ERR_SIZE, "%s: dataset %s has more than 2^63 values", name, in->dataset);
            else
                mine[k].rows *= e;
        }
        for (int f = 0; st == COHORT_OK && f < mine[k].info.nfilters; f++)
            if (!mine[k].info.filter_available[f])
                st = COHORT_FAIL(ctx, COHORT_ERR_IO,
                                 "%s: dataset %s needs HDF5 filter %d (%s), which is not available: install its plugin and set HDF5_PLUGIN_PATH",
                                 name, in->dataset, mine[k].info.filter_id[f], mine[k].info.filter_name[f]);
        if (st == COHORT_OK && i == 0) {
            in->info = mine[k].info;
            st = name_columns(ctx, in, fid, mine[k].raw.ncols);
        }
        H5Fclose(fid);
        if (st != COHORT_OK)
            return st;
    }
    return COHORT_OK;
}

/* Every file must have file 0's element type and columns. */
static int check_consistent(cohort_ctx *ctx, const cohort_input *in)
{
    const file_meta *f0 = &in->meta[0];
    for (int i = 1; i < in->nfiles; i++) {
        const file_meta *f = &in->meta[i];
        if (f->info.type != f0->info.type || f->info.width != f0->info.width)
            return COHORT_FAIL(ctx, COHORT_ERR_TYPE, "%s: dataset %s is %s but %s has %s", in->names[i], in->dataset,
                               f->info.type_desc, in->names[0], f0->info.type_desc);
        if (f->raw.ncols != f0->raw.ncols || f->info.ndims != f0->info.ndims)
            return COHORT_FAIL(ctx, COHORT_ERR_SIZE, "%s: dataset %s has %d column(s) but %s has %d", in->names[i],
                               in->dataset, f->raw.ncols, in->names[0], f0->raw.ncols);
        /* N-D files are concatenated along the slowest dimension. */
        for (int d = 1; one_column(in, &f0->info) && d < f0->info.ndims; d++)
            if (f->info.dims[d] != f0->info.dims[d])
                return COHORT_FAIL(ctx, COHORT_ERR_SIZE, "%s: dataset %s has extent %lld in dimension %d but %s has %lld",
                                   in->names[i], in->dataset, (long long)f->info.dims[d], d, in->names[0],
                                   (long long)f0->info.dims[d]);
    }
    return COHORT_OK;
}

/* The type values are read as: the stored one, or float64 when the CF
 * conventions of any file make it so (files may differ in attributes). */
static void decide_types(cohort_input *in, bool raw)
{
    in->stored_type = in->meta[0].info.type;
    in->stored_width = in->meta[0].info.width;
    in->decode = false;
    if (raw) {
        in->stored_type = in->info.type = cohort__cf_raw_type(&in->meta[0].info.cf, in->stored_type);
        memset(&in->info.cf, 0, sizeof in->info.cf);
        in->info.cf.scale = 1.0;
        return;
    }
    cohort_type type = in->stored_type;
    for (int i = 0; i < in->nfiles; i++)
        if (cohort__cf_type(&in->meta[i].info.cf, in->stored_type) == COHORT_DOUBLE)
            type = COHORT_DOUBLE;
    for (int i = 0; i < in->nfiles; i++)
        if (in->meta[i].info.cf.flags & ~(unsigned)COHORT_CF_UNSIGNED)
            in->decode = true;
    in->decode = in->decode || type != in->stored_type;
    in->info.type = type;
    in->info.width = type == COHORT_BYTES ? in->stored_width : cohort_type_size(type);
}

static int input_read(cohort_ctx *ctx, cohort_input *in, int64_t begin, int64_t count, cohort_column *cols,
                      bool measure);

/* The width variable-length strings are read at: one pass in which every
 * rank measures its share of the rows, then the longest over all ranks
 * (at least 1 byte).  A string longer than the limit is an error naming
 * the first such row.  Collective. */
static int measure_strings(cohort_ctx *ctx, cohort_input *in)
{
    in->vlen_limit = COHORT_STRING_WIDTH_MAX;
    const char *env = getenv("COHORT_STRING_WIDTH_MAX");
    char *end = NULL;
    long long v = env ? strtoll(env, &end, 10) : 0;
    int st = COHORT_OK;
    if (env && (end == env || *end != '\0' || v < 1 || v > ((int64_t)1 << 30)))
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "COHORT_STRING_WIDTH_MAX=%s: expected a byte count from 1 to 2^30", env);
    else if (env)
        in->vlen_limit = v;
    st = cohort__agree(ctx, st);
    if (st != COHORT_OK)
        return st;
    int64_t begin, count;
    cohort_partition(in->rows, ctx->size, ctx->rank, &begin, &count);
    in->vlen_longest = 0, in->vlen_bad_row = -1, in->vlen_bad_len = 0;
    st = input_read(ctx, in, begin, count, NULL, true);
    if (st != COHORT_OK)
        return st;
    /* Ranks hold rows in order, so the lowest failing rank has the first
     * row over the limit, and its message is the one agreed on. */
    if (in->vlen_bad_row >= 0) {
        int f = 0;
        while (in->first[f + 1] <= in->vlen_bad_row)
            f++;
        st = COHORT_FAIL(ctx, COHORT_ERR_SIZE,
                         "%s: row %lld of %s holds a string of %lld bytes, more than the %lld that variable-length "
                         "strings may have (they are read fixed-width; set COHORT_STRING_WIDTH_MAX to allow more)",
                         in->names[f], (long long)(in->vlen_bad_row - in->first[f]), in->dataset,
                         (long long)in->vlen_bad_len, (long long)in->vlen_limit);
    }
    st = cohort__agree(ctx, st);
    int64_t longest = in->vlen_longest;
    if (st == COHORT_OK)
        st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, &longest, 1, MPI_INT64_T, MPI_MAX, ctx->comm)));
    if (st != COHORT_OK)
        return st;
    in->info.width = in->stored_width = (size_t)(longest > 0 ? longest : 1);
    return COHORT_OK;
}

int cohort_input_open(cohort_ctx *ctx, const char *ref, cohort_input **in_out)
{
    return cohort_input_open_flags(ctx, ref, 0, in_out);
}

int cohort_input_open_flags(cohort_ctx *ctx, const char *ref, unsigned flags, cohort_input **in_out)
{
    h5_quiet q;
    cohort__h5_quiet_begin(&q);
    cohort__clear_error(ctx);
    int st = COHORT_OK, p = ctx->size;
    char pattern[COHORT_PATH_MAX];
    file_meta *mine = NULL;
    int *counts = NULL;
    cohort_input *in = calloc(1, sizeof *in);
    if (in_out)
        *in_out = NULL;
    if (in) {
        in->ctx = ctx;
        in->open_file = -1;
        in->fid = in->did = in->mtype = H5I_INVALID_HID;
    }
    if (in == NULL || in_out == NULL || ref == NULL) {
        st = COHORT_FAIL(ctx, in ? COHORT_ERR_ARG : COHORT_ERR_NOMEM, "cohort_input_open: %s",
                         in ? "NULL argument" : "out of memory");
    } else {
        in->ref = strdup(ref);
        if (strlen(ref) >= sizeof in->dataset) /* no file or dataset of that name can be opened: not found */
            st = COHORT_FAIL(ctx, COHORT_ERR_NOTFOUND, "%.64s...: name too long (%zu bytes; file names and dataset paths are at most %d)",
                             ref, strlen(ref), (int)sizeof in->dataset - 1);
        else if (cohort_ref_parse(ref, pattern, in->dataset, in->member, sizeof in->dataset) != COHORT_OK ||
            strlen(in->member) >= sizeof in->member)
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s: not a dataset reference (FILE:/path/to/dataset[#member])", ref);
        else if (in->dataset[0] == '\0')
            st = access(pattern, F_OK) == 0 || strpbrk(pattern, "*?[")
                     ? COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s: names no dataset (write %s:/path/to/dataset)", ref, pattern)
                     : COHORT_FAIL(ctx, COHORT_ERR_NOTFOUND,
                                   "%s: no such file (a dataset is named FILE:/path/to/dataset, or FILE/path/to/dataset when FILE exists)",
                                   ref);
        else if (flags & ~(unsigned)(COHORT_INPUT_RAW | COHORT_INPUT_FLAT))
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s: unknown flags 0x%x", ref, flags);
        in->flat = flags & COHORT_INPUT_FLAT;
    }
    /* A misspelt transfer mode is an error, not quietly the default. */
    const char *xfer = getenv("COHORT_HDF5_XFER");
    if (st == COHORT_OK && xfer && strcmp(xfer, "collective") != 0 && strcmp(xfer, "independent") != 0)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s: COHORT_HDF5_XFER=%s: expected collective or independent", ref, xfer);
    if (st == COHORT_OK)
        st = cohort__hints_check(ctx);
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = cohort__expand_files(ctx, pattern, &in->names_block, &in->nfiles);
    if (st == COHORT_OK) {
        in->names = malloc((size_t)in->nfiles * sizeof *in->names);
        in->meta = calloc((size_t)in->nfiles, sizeof *in->meta);
        in->first = malloc(((size_t)in->nfiles + 1) * sizeof *in->first);
        counts = malloc(2 * (size_t)p * sizeof *counts);
        if (!in->names || !in->meta || !in->first || !counts)
            st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for %d files", in->nfiles);
        for (int i = 0, off = 0; st == COHORT_OK && i < in->nfiles; i++) {
            in->names[i] = in->names_block + off;
            off += (int)strlen(in->names[i]) + 1;
        }
    }
    /* Inspect: each rank its block of the files. */
    int64_t fbegin = 0, fcount = 0;
    if (st == COHORT_OK) {
        cohort_partition(in->nfiles, p, ctx->rank, &fbegin, &fcount);
        mine = calloc((size_t)fcount + 1, sizeof *mine);
        st = mine ? inspect_my_files(ctx, in, mine, fbegin, fcount)
                  : COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    }
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK) {
        int *rc = counts, *rd = counts + p;
        for (int r = 0; r < p; r++) {
            int64_t b, c;
            cohort_partition(in->nfiles, p, r, &b, &c);
            rc[r] = (int)(c * (int64_t)sizeof(file_meta));
            rd[r] = (int)(b * (int64_t)sizeof(file_meta));
        }
        st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Allgatherv(mine, rc[ctx->rank], MPI_BYTE, in->meta, rc, rd,
                                                               MPI_BYTE, ctx->comm)));
    }
    if (st == COHORT_OK) {
        /* File 0's description and column names travel from rank 0. */
        in->info = in->meta[0].info;
        int n = in->meta[0].raw.ncols;
        st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Bcast(&in->colname_bytes, 1, MPI_INT64_T, 0, ctx->comm)));
        if (st == COHORT_OK && ctx->rank != 0 && (in->colname_block = malloc((size_t)in->colname_bytes)) == NULL)
            st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory naming %d columns", n);
        st = cohort__agree(ctx, st);
        if (st == COHORT_OK) /* pack_names keeps it under 2^31 bytes */
            st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Bcast(in->colname_block, (int)in->colname_bytes, MPI_CHAR, 0,
                                                              ctx->comm)));
        if (st == COHORT_OK)
            st = cohort__agree(ctx, index_columns(ctx, in, n));
    }
    if (st == COHORT_OK) {
        /* Identical on every rank: no agreement needed beyond the message. */
        int local = check_consistent(ctx, in);
        in->first[0] = 0;
        for (int i = 0; i < in->nfiles; i++) {
            /* A damaged or hostile file can declare 2^63 rows: every byte
             * offset of the input must fit int64 (and the sum of the files). */
            int64_t room = INT64_MAX - in->first[i];
            size_t record = in->meta[i].raw.record ? in->meta[i].raw.record : 1;
            if (in->meta[i].rows > room || in->meta[i].rows > INT64_MAX / (int64_t)record) {
                if (local == COHORT_OK)
                    local = COHORT_FAIL(ctx, COHORT_ERR_SIZE,
                                        "%s: dataset %s declares %lld rows of %zu bytes: more than 2^63 bytes%s",
                                        in->names[i], in->dataset, (long long)in->meta[i].rows, record,
                                        i ? " with the files before it" : "");
                room = 0;
            }
            in->first[i + 1] = in->first[i] + (in->meta[i].rows > room ? room : in->meta[i].rows);
        }
        in->rows = in->first[in->nfiles];
        in->info.dims[0] = 0;
        for (int i = 0; i < in->nfiles && local == COHORT_OK; i++)
            in->info.dims[0] += in->meta[i].info.dims[0];
        decide_types(in, flags & COHORT_INPUT_RAW);
        in->vlen = in->meta[0].raw.vlen;
        in->direct = one_column(in, &in->info) && in->member[0] == '\0' && !in->vlen;
        for (int i = 0; i < in->nfiles; i++)
            if (in->meta[i].raw.record > in->max_record)
                in->max_record = in->meta[i].raw.record;
        st = cohort__agree(ctx, local);
    }
    if (st == COHORT_OK) {
        in->shared = in->nfiles == 1;
        in->collective = in->shared && xfer && strcmp(xfer, "collective") == 0;
        if (in->shared)
            st = cohort__agree(ctx, open_file(ctx, in, 0));
    }
    if (st == COHORT_OK && in->vlen)
        st = measure_strings(ctx, in);
    free(mine);
    free(counts);
    if (st != COHORT_OK)
        cohort_input_close(&in);
    else
        *in_out = in;
    cohort__h5_quiet_end(&q);
    return st;
}

void cohort_input_close(cohort_input **inp)
{
    if (inp == NULL || *inp == NULL)
        return;
    cohort_input *in = *inp;
    h5_quiet q;
    cohort__h5_quiet_begin(&q);
    close_file(in);
    cohort__h5_quiet_end(&q);
    free(in->ref);
    free(in->names_block);
    free(in->names);
    free(in->meta);
    free(in->first);
    free(in->colnames);
    free(in->colname_block);
    free(in);
    *inp = NULL;
}

int64_t cohort_input_rows(const cohort_input *in) { return in->rows; }
int cohort_input_ncols(const cohort_input *in) { return in->meta[0].raw.ncols; }
cohort_type cohort_input_type(const cohort_input *in) { return in->info.type; }
size_t cohort_input_width(const cohort_input *in) { return in->info.width; }
const char *cohort_input_ref(const cohort_input *in) { return in->ref; }
int cohort_input_nfiles(const cohort_input *in) { return in->nfiles; }
const cohort_dataset_info *cohort_input_info(const cohort_input *in) { return &in->info; }

const char *cohort_input_column_name(const cohort_input *in, int j)
{
    return j >= 0 && j < cohort_input_ncols(in) ? in->colnames[j] : NULL;
}

/* ---- reading ------------------------------------------------------------- */

/* Move @n stored rows at @src into the columns from row @at (columns of
 * @at_width bytes per row), packed at the stored @width, fixing byte order. */
static void convert_rows(const raw_layout *raw, size_t width, size_t at_width, const unsigned char *src, int64_t n,
                         cohort_column *cols, int64_t at)
{
    cohort__records_to_columns(src, raw->record, raw->offset, raw->stride, width, cols, raw->ncols, at_width, at, n);
    for (int j = 0; raw->swap && j < raw->ncols; j++)
        cohort__byteswap((unsigned char *)cols[j].data + (size_t)at * at_width, (size_t)n, width);
}

/* One H5Dread of rows [row, row + n) of the open file (n may be 0: an
 * empty selection, so that collective reads stay matched across ranks). */
static int read_rows(cohort_ctx *ctx, cohort_input *in, hid_t dxpl, int64_t row, int64_t n, void *buf)
{
    const file_meta *m = &in->meta[in->open_file];
    int64_t ncols = m->raw.ncols;
    herr_t rc = m->info.ndims > 2 || in->flat ? cohort__h5_transfer_flat(in->did, in->mtype, dxpl, row, n, buf, false)
                                  : cohort__h5_transfer(in->did, in->mtype, dxpl, row, n, ncols, buf, false);
    if (rc < 0)
        return cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot read rows %lld..%lld of %s", in->names[in->open_file],
                               (long long)row, (long long)(row + n), in->dataset);
    return COHORT_OK;
}

/* Rows [at, at + n) of the columns, read packed at the stored width from
 * row @at on, become values of the type read (file @f's conventions). */
static void decode_rows(const cohort_input *in, int f, cohort_column *cols, int ncols, int64_t at, int64_t n)
{
    if (!in->decode)
        return;
    for (int j = 0; j < ncols; j++)
        cohort__cf_decode(&in->meta[f].info.cf, &in->meta[f].raw, in->stored_type, in->info.type,
                          (unsigned char *)cols[j].data + (size_t)at * in->info.width, n);
}

/* Variable-length strings: @n stored rows at @src (char * where the
 * elements are) into the columns from row @at, fixed-width and zero-padded
 * (NULL reads as empty); or, @measure, only their longest length and the
 * first row (global: @row0 + i) over the limit.  Then HDF5's memory for
 * the strings is freed. */
static void vlen_rows(cohort_input *in, const raw_layout *raw, unsigned char *src, int64_t n, cohort_column *cols,
                      int64_t at, int64_t row0, bool measure)
{
    size_t width = in->info.width;
    for (int j = 0; j < raw->ncols; j++)
        for (int64_t i = 0; i < n; i++) {
            const char *str;
            memcpy(&str, src + raw->offset + (size_t)j * raw->stride + (size_t)i * raw->record, sizeof str);
            size_t len = str ? strlen(str) : 0;
            if (measure) {
                in->vlen_longest = (int64_t)len > in->vlen_longest ? (int64_t)len : in->vlen_longest;
                if ((int64_t)len > in->vlen_limit && in->vlen_bad_row < 0)
                    in->vlen_bad_row = row0 + i, in->vlen_bad_len = (int64_t)len;
                continue;
            }
            unsigned char *dst = (unsigned char *)cols[j].data + (size_t)(at + i) * width;
            len = len < width ? len : width; /* measured: never cut */
            memcpy(dst, str ? str : "", len);
            memset(dst + len, 0, width - len);
        }
    /* Every element read: one per column of a row (a member is read alone,
     * as a one-member compound: one per row). */
    hsize_t elems = (hsize_t)n * (hsize_t)raw->ncols;
    hid_t space = H5Screate_simple(1, &elems, NULL);
    if (space >= 0 && n > 0)
        H5Dvlen_reclaim(in->mtype, space, H5P_DEFAULT, src);
    if (space >= 0)
        H5Sclose(space);
}

int cohort_input_read(cohort_ctx *ctx, cohort_input *in, int64_t begin, int64_t count, cohort_column *cols)
{
    return input_read(ctx, in, begin, count, cols, false);
}

static int input_read(cohort_ctx *ctx, cohort_input *in, int64_t begin, int64_t count, cohort_column *cols,
                      bool measure)
{
    h5_quiet q;
    cohort__h5_quiet_begin(&q);
    cohort__clear_error(ctx);
    double t0 = cohort__now();
    int st = COHORT_OK, ncols = in ? cohort_input_ncols(in) : 0;
    size_t width = in ? in->info.width : 0;
    if (in == NULL || (cols == NULL && !measure) || begin < 0 || count < 0 || begin > cohort_input_rows(in) - count)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_input_read: rows %lld..%lld are not in the input",
                         (long long)begin, (long long)(begin + count));
    for (int j = 0; st == COHORT_OK && !measure && j < ncols; j++)
        if (count > 0 && cols[j].data == NULL)
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_input_read: column %d has no buffer", j);

    /* Plain 1-D data is read straight into the column; anything else is
     * staged a piece at a time and converted. */
    bool direct = in && in->direct;
    size_t record = in ? in->max_record : 1;
    if (in && in->vlen) /* a piece's strings live in HDF5's memory until converted: count them in */
        record += (measure ? 64 : in->info.width) + 16;
    int64_t piece_rows = (int64_t)((direct ? COHORT_IO_PIECE_BYTES : COHORT_IO_STAGE_BYTES) / record);
    if (piece_rows < 1)
        piece_rows = 1;
    unsigned char *stage = NULL;
    size_t stage_bytes = 0;
    if (st == COHORT_OK && !direct && count > 0) {
        stage_bytes = (size_t)(count < piece_rows ? count : piece_rows) * record;
        st = cohort__alloc(ctx, stage_bytes, "read staging buffer", (void **)&stage);
    }
    cohort__progress(ctx, measure ? "measure" : "read", 0, (double)count, "rows"); /* the phase starts */
    /* Collective transfers need the same number of H5Dread calls on every rank. */
    int64_t agreed[1] = {-cohort__ceil_div(count, piece_rows ? piece_rows : 1)};
    st = cohort__agree_min(ctx, st, agreed, 1);
    int64_t pieces = -agreed[0];

    hid_t dxpl = H5P_DEFAULT;
    if (st == COHORT_OK && in->shared) {
        dxpl = H5Pcreate(H5P_DATASET_XFER);
        H5Pset_dxpl_mpio(dxpl, in->collective ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT);
    }
    if (st == COHORT_OK && in->collective) {
        /* One file, all ranks in lockstep; failures are agreed at the end
         * so that no rank leaves the others inside a collective read. */
        for (int64_t k = 0; k < pieces; k++) {
            int64_t off = k * piece_rows < count ? k * piece_rows : count;
            int64_t n = count - off < piece_rows ? count - off : piece_rows;
            void *buf = direct ? (unsigned char *)cols[0].data + (size_t)off * width : stage;
            int rc = read_rows(ctx, in, dxpl, begin + off, n, buf);
            if (rc == COHORT_OK && in->vlen)
                vlen_rows(in, &in->meta[0].raw, stage, n, cols, off, begin + off, measure);
            else if (rc == COHORT_OK && !direct)
                convert_rows(&in->meta[0].raw, in->stored_width, width, stage, n, cols, off);
            else if (rc == COHORT_OK && in->meta[0].raw.swap)
                cohort__byteswap(buf, (size_t)n, in->stored_width);
            if (rc == COHORT_OK && !measure)
                decode_rows(in, 0, cols, ncols, off, n);
            if (st == COHORT_OK)
                st = rc;
            cohort__progress(ctx, measure ? "measure" : "read", (double)(off + n), (double)count, "rows");
        }
    } else if (st == COHORT_OK) {
        /* Each rank on its own: walk the files that overlap the range. */
        int64_t off = 0;
        int f = 0;
        while (st == COHORT_OK && off < count) {
            int64_t row = begin + off;
            while (in->first[f + 1] <= row)
                f++;
            st = open_file(ctx, in, f);
            int64_t n = in->first[f + 1] - row < count - off ? in->first[f + 1] - row : count - off;
            n = n < piece_rows ? n : piece_rows;
            void *buf = direct ? (unsigned char *)cols[0].data + (size_t)off * width : stage;
            if (st == COHORT_OK)
                st = read_rows(ctx, in, dxpl, row - in->first[f], n, buf);
            if (st == COHORT_OK && in->vlen)
                vlen_rows(in, &in->meta[f].raw, stage, n, cols, off, row, measure);
            else if (st == COHORT_OK && !direct)
                convert_rows(&in->meta[f].raw, in->stored_width, width, stage, n, cols, off);
            else if (st == COHORT_OK && in->meta[f].raw.swap)
                cohort__byteswap(buf, (size_t)n, in->stored_width);
            if (st == COHORT_OK && !measure)
                decode_rows(in, f, cols, ncols, off, n);
            off += n;
            cohort__progress(ctx, measure ? "measure" : "read", (double)off, (double)count, "rows");
        }
    }
    if (dxpl != H5P_DEFAULT)
        H5Pclose(dxpl);
    for (int j = 0; st == COHORT_OK && !measure && j < ncols; j++)
        cols[j].count = count;
    cohort__free(ctx, stage, stage_bytes);
    st = cohort__agree(ctx, st);
    cohort__phase_add(ctx, COHORT_PHASE_READ, t0);
    cohort__h5_quiet_end(&q);
    return st;
}

int cohort_input_read_partition(cohort_ctx *ctx, cohort_input *in, cohort_table **table)
{
    int64_t begin, count;
    int st = COHORT_OK, ncols = cohort_input_ncols(in);
    cohort_column *cols = calloc((size_t)ncols, sizeof *cols);
    cohort_partition(cohort_input_rows(in), ctx->size, ctx->rank, &begin, &count);
    *table = NULL;
    cohort__clear_error(ctx);
    if (cols == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    if (st == COHORT_OK)
        st = cohort_table_create(ctx, count, table);
    for (int j = 0; st == COHORT_OK && j < ncols; j++)
        st = cohort_table_add_column(*table, in->colnames[j], in->info.type, in->info.width, &cols[j]);
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = cohort_input_read(ctx, in, begin, count, cols);
    if (st != COHORT_OK)
        cohort_table_destroy(table);
    free(cols);
    return st;
}
