/*
 * output.c — writing one HDF5 file from all ranks, atomically.
 *
 * The file is created under a hidden temporary name in the target's
 * directory (same file system, so the final rename is atomic), written by
 * all ranks, closed, synced, and renamed onto its final name only when
 * every rank succeeded.  A failure removes the temporary file; a killed
 * job leaves at most a hidden ".NAME.cohort-*.tmp" beside it (NAME's
 * first 64 bytes), never a
 * half-written file under the final name.  Appending copies the existing
 * file first, so the original stays intact until the swap.
 *
 * Transfers: unfiltered datasets are written independently (each rank its
 * contiguous rows: no two-phase I/O, which Open MPI 4.1's default vulcan
 * component has been seen to hang or corrupt); filtered datasets must be
 * written collectively in HDF5 1.10, in lockstep pieces.
 */
#include "io.h"

#include <hdf5_hl.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct cohort_output {
    char final_path[COHORT_PATH_MAX], tmp_path[COHORT_PATH_MAX];
    char created_utc[32];
    char *command_line, *inputs;
    cohort_output_mode mode;
    hid_t fid;
    int reserve_fd;  /* rank 0: room kept for HDF5's last metadata writes (-1: none) */
    bool given_up;   /* a write failed: the file is only closed and removed */
    bool told;       /* the context's temporary hook was given tmp_path */
};

/* Tell the context's hook (cohort_ctx_set_temporary_hook) that the
 * temporary file may come into being (@o's tmp_path), or is gone (NULL). */
static void temporary_tell(cohort_ctx *ctx, cohort_output *o, bool exists)
{
    if (ctx->temporary_fn && exists != o->told)
        ctx->temporary_fn(ctx->temporary_arg, exists ? o->tmp_path : NULL);
    o->told = exists;
}

/* A full disk.  HDF5 1.10 cannot survive a metadata flush that fails: its
 * cache stays half flushed, every later flush (H5Fclose's too) fails, and
 * the file it never closed crashes it in MPI_Finalize.  So metadata must
 * always find room: rank 0 keeps RESERVE_BYTES allocated in a file that is
 * unlinked at once (its space is freed when the descriptor is closed, by
 * the kernel if the job is killed), and gives them back before the last
 * flush; on a failed write, it also drops the temporary file's data before
 * HDF5 writes anything more. */
#define RESERVE_BYTES (1 << 20)

static void reserve_take(cohort_output *o)
{
    /* A file without a name where the file system can make one (O_TMPFILE),
     * so that no kill leaves it; elsewhere named as the temporary files are,
     * so that the README's `find DIR -name '.*.cohort-*.tmp'` lists it. */
    char dir[COHORT_PATH_MAX], name[COHORT_PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s", o->tmp_path);
    o->reserve_fd = open(dirname(dir), O_TMPFILE | O_WRONLY, 0600);
    if (o->reserve_fd < 0 && snprintf(name, sizeof name, "%.*s.reserve.tmp", (int)strlen(o->tmp_path) - 4, o->tmp_path) > 0)
        if ((o->reserve_fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0)
            unlink(name);
    if (o->reserve_fd >= 0) {
        if (posix_fallocate(o->reserve_fd, 0, RESERVE_BYTES) != 0) /* no room even for it: the writes will say */
            close(o->reserve_fd), o->reserve_fd = -1;
    }
}

static void reserve_release(cohort_output *o)
{
    if (o->reserve_fd >= 0)
        close(o->reserve_fd);
    o->reserve_fd = -1;
}

void cohort__output_give_up(cohort_ctx *ctx, cohort_output *o)
{
    if (o == NULL || o->given_up)
        return;
    if (ctx->rank == 0) {
        reserve_release(o);
        int rc = truncate(o->tmp_path, 0);
        (void)rc; /* failing, the close may fail too; the file is removed all the same */
    }
    MPI_Barrier(ctx->comm); /* no rank writes metadata before the room is there */
    o->given_up = true;
}

const char *cohort_output_temporary(const cohort_output *out) { return out ? out->tmp_path : NULL; }
const char *cohort__output_path(const cohort_output *out) { return out->final_path; }
hid_t cohort__output_fid(const cohort_output *out) { return out->fid; }

/* Copy @from to a new file @to (rank 0, for append mode). */
static int copy_file(cohort_ctx *ctx, const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = -1, st = COHORT_OK;
    struct stat sb;
    if (in < 0 || fstat(in, &sb) != 0)
        st = COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: cannot read: %s", from, strerror(errno));
    else if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL, sb.st_mode & 0777)) < 0)
        st = COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: cannot create: %s", to, strerror(errno));
    off_t left = st == COHORT_OK ? sb.st_size : 0;
    while (st == COHORT_OK && left > 0) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
        if (n <= 0) { /* not supported here: plain reads and writes */
            char buf[1 << 16];
            n = read(in, buf, sizeof buf);
            if (n <= 0 || write(out, buf, (size_t)n) != n)
                st = COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: cannot copy to %s: %s", from, to,
                                 n == 0 ? "file shrank" : strerror(errno));
        }
        left -= n > 0 ? n : 0;
    }
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0 && st == COHORT_OK)
        st = COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: %s", to, strerror(errno));
    if (st != COHORT_OK && out >= 0)
        unlink(to);
    return st;
}

/* Whether the file @sb describes is one that @inputs (the references read,
 * separated by spaces, as given to cohort_output_open) names, globs
 * expanded. */
static bool is_an_input(const struct stat *sb, const char *inputs)
{
    char *copy = strdup(inputs ? inputs : ""), *save = NULL;
    char *pattern = malloc(3 * (size_t)COHORT_PATH_MAX), *dset = pattern + COHORT_PATH_MAX,
         *member = dset + COHORT_PATH_MAX;
    bool hit = false;
    for (char *tok = copy && pattern ? strtok_r(copy, " ", &save) : NULL; tok && !hit; tok = strtok_r(NULL, " ", &save)) {
        if (cohort_ref_parse(tok, pattern, dset, member, COHORT_PATH_MAX) != COHORT_OK)
            continue;
        glob_t g;
        if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
            continue;
        for (size_t i = 0; i < g.gl_pathc && !hit; i++) {
            struct stat in;
            hit = stat(g.gl_pathv[i], &in) == 0 && in.st_dev == sb->st_dev && in.st_ino == sb->st_ino;
        }
        globfree(&g);
    }
    free(copy);
    free(pattern);
    return hit;
}

/* Rank 0's checks and preparation; fills the temporary name and time. */
static int prepare(cohort_ctx *ctx, cohort_output *o)
{
    struct stat sb;
    /* Through a symbolic link, the file it names is written (and the link
     * kept), as when a program opens it for writing. */
    char resolved[PATH_MAX];
    if (lstat(o->final_path, &sb) == 0 && S_ISLNK(sb.st_mode) && realpath(o->final_path, resolved) &&
        strlen(resolved) < sizeof o->final_path - 64)
        snprintf(o->final_path, sizeof o->final_path, "%s", resolved);
    bool exists = stat(o->final_path, &sb) == 0;
    if (exists && S_ISDIR(sb.st_mode))
        return COHORT_FAIL(ctx, COHORT_ERR_EXISTS, "%s: is a directory", o->final_path);
    /* The rename at the end would put a regular file in place of a device,
     * FIFO or socket (/dev/null, as root). */
    if (exists && !S_ISREG(sb.st_mode))
        return COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: is not a regular file; outputs are written only over regular files",
                           o->final_path);
    /* Replacing or appending to an input would lose it (by device and
     * inode: another name or a hard link is the same file). */
    if (exists && is_an_input(&sb, o->inputs))
        return COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: is one of the inputs; write the output to another file",
                           o->final_path);
    if (exists && o->mode == COHORT_OUTPUT_APPEND && H5Fis_hdf5(o->final_path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: not an HDF5 file, so nothing to append to", o->final_path);
    }
    if (o->mode == COHORT_OUTPUT_CREATE && exists)
        return COHORT_FAIL(ctx, COHORT_ERR_EXISTS, "%s: exists", o->final_path);
    if (o->mode == COHORT_OUTPUT_APPEND && !exists)
        return COHORT_FAIL(ctx, COHORT_ERR_NOTFOUND, "%s: does not exist, so nothing to append to", o->final_path);
    char dir[COHORT_PATH_MAX], base[COHORT_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", o->final_path);
    snprintf(base, sizeof base, "%s", o->final_path);
    const char *d = dirname(dir), *b = basename(base);
    if (access(d, W_OK | X_OK) != 0)
        return COHORT_FAIL(ctx, errno == ENOENT ? COHORT_ERR_NOTFOUND : COHORT_ERR_IO,
                           "%s: cannot write in directory %s: %s", o->final_path, d, strerror(errno));
    long name_max = pathconf(d, _PC_NAME_MAX);
    if (strlen(b) > (size_t)(name_max > 0 ? name_max : 255))
        return COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: %s (%zu bytes; at most %ld in %s)", o->final_path,
                           strerror(ENAMETOOLONG), strlen(b), name_max > 0 ? name_max : 255L, d);
    /* The temporary name holds at most 64 bytes of the output's, so that it
     * never grows past a file name's limit: MPI-IO derives names from it
     * (Open MPI's shared file pointer file), and aborted on long ones. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int n = snprintf(o->tmp_path, sizeof o->tmp_path, "%s/.%.64s.cohort-%ld-%ld.tmp", d, b, (long)getpid(),
                     (long)(now.tv_nsec ^ now.tv_sec));
    if (n < 0 || (size_t)n >= sizeof o->tmp_path)
        return COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s: path too long", o->final_path);
    temporary_tell(ctx, o, true);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    strftime(o->created_utc, sizeof o->created_utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (o->mode == COHORT_OUTPUT_APPEND)
        return copy_file(ctx, o->final_path, o->tmp_path);
    return COHORT_OK;
}

int cohort_output_open(cohort_ctx *ctx, const char *path, cohort_output_mode mode, const char *command_line,
                       const char *inputs, cohort_output **out)
{
    h5_quiet q;
    cohort__h5_quiet_begin(&q);
    cohort__clear_error(ctx);
    int st = COHORT_OK;
    cohort_output *o = calloc(1, sizeof *o);
    if (out)
        *out = NULL;
    if (o == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    else if (out == NULL || path == NULL || path[0] == '\0' || mode < COHORT_OUTPUT_CREATE || mode > COHORT_OUTPUT_APPEND)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_output_open: invalid arguments");
    else if (strlen(path) >= sizeof o->final_path - 64)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s: path too long", path);
    else
        st = cohort__hints_check(ctx);
    if (o)
        o->fid = H5I_INVALID_HID, o->reserve_fd = -1;
    if (st == COHORT_OK) {
        o->mode = mode;
        snprintf(o->final_path, sizeof o->final_path, "%s", path);
        o->command_line = strdup(command_line ? command_line : "");
        o->inputs = strdup(inputs ? inputs : "");
        if (!o->command_line || !o->inputs)
            st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    }
    if (st == COHORT_OK && ctx->rank == 0)
        st = prepare(ctx, o);
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK) {
        st = COHORT_MPI(ctx, MPI_Bcast(o->tmp_path, sizeof o->tmp_path, MPI_CHAR, 0, ctx->comm));
        if (st == COHORT_OK) /* rank 0 may have followed a link */
            st = COHORT_MPI(ctx, MPI_Bcast(o->final_path, sizeof o->final_path, MPI_CHAR, 0, ctx->comm));
        if (st == COHORT_OK)
            st = COHORT_MPI(ctx, MPI_Bcast(o->created_utc, sizeof o->created_utc, MPI_CHAR, 0, ctx->comm));
        st = cohort__agree(ctx, st);
        if (st == COHORT_OK)
            temporary_tell(ctx, o, true);
    }
    if (st == COHORT_OK) {
        hid_t fapl = cohort__fapl(ctx->comm);
        if (mode == COHORT_OUTPUT_APPEND)
            o->fid = fapl < 0 ? fapl : H5Fopen(o->tmp_path, H5F_ACC_RDWR, fapl);
        else
            o->fid = fapl < 0 ? fapl : H5Fcreate(o->tmp_path, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
        if (fapl >= 0)
            H5Pclose(fapl);
        if (o->fid < 0)
            st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot %s", o->final_path,
                                 mode == COHORT_OUTPUT_APPEND ? "open a copy for appending (is it an HDF5 file?)" : "create");
        if (st == COHORT_OK && ctx->rank == 0)
            reserve_take(o);
        st = cohort__agree(ctx, st);
    }
    if (st != COHORT_OK) {
        if (o) {
            /* The temporary file (rank 0's copy of a file appended to, or
             * the one created) is gone before the hook hears so. */
            if (ctx->rank == 0 && o->told)
                reserve_release(o), unlink(o->tmp_path);
            temporary_tell(ctx, o, false);
            free(o->command_line);
            free(o->inputs);
        }
        free(o);
    } else {
        *out = o;
    }
    cohort__h5_quiet_end(&q);
    return st;
}

/* ---- objects and attributes ---------------------------------------------- */

/* Create the groups above @path (and @path itself when @self) if missing.  Collective. */
static int make_groups(cohort_ctx *ctx, cohort_output *o, const char *path, bool self)
{
    char prefix[COHORT_PATH_MAX];
    size_t len = strlen(path);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && !(self && path[i] == '\0'))
            continue;
        memcpy(prefix, path, i);
        prefix[i] = '\0';
        if (H5Lexists(o->fid, prefix, H5P_DEFAULT) > 0)
            continue;
        hid_t g = H5Gcreate2(o->fid, prefix, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0)
            return cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot create group %s", o->final_path, prefix);
        H5Gclose(g);
    }
    return COHORT_OK;
}

static int attr_write(cohort_ctx *ctx, cohort_output *o, hid_t obj, const char *objname, const char *name,
                      hid_t type, int64_t count, const void *data)
{
    hsize_t n = (hsize_t)count;
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
        return cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot replace attribute %s of %s", o->final_path, name, objname);
    hid_t s = count < 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t a = s < 0 ? s : H5Acreate2(obj, name, type, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, type, data);
    if (a >= 0)
        H5Aclose(a);
    if (s >= 0)
        H5Sclose(s);
    if (rc < 0)
        return cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot write attribute %s of %s", o->final_path, name, objname);
    return COHORT_OK;
}

/* A scalar variable-length UTF-8 string attribute: h5py reads it as str. */
static int attr_string(cohort_ctx *ctx, cohort_output *o, hid_t obj, const char *objname, const char *name,
                       const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    int st = attr_write(ctx, o, obj, objname, name, t, -1, &value);
    H5Tclose(t);
    return st;
}

static int write_provenance(cohort_ctx *ctx, cohort_output *o, hid_t d, const char *dset)
{
    int64_t ranks = ctx->size;
    int st = attr_string(ctx, o, d, dset, "cohort_version", COHORT_VERSION_STRING);
    if (st == COHORT_OK)
        st = attr_string(ctx, o, d, dset, "command_line", o->command_line);
    if (st == COHORT_OK)
        st = attr_string(ctx, o, d, dset, "inputs", o->inputs);
    if (st == COHORT_OK)
        st = attr_write(ctx, o, d, dset, "ranks", H5T_NATIVE_INT64, -1, &ranks);
    if (st == COHORT_OK)
        st = attr_string(ctx, o, d, dset, "created_utc", o->created_utc);
    return st;
}

int cohort_output_write_attr(cohort_ctx *ctx, cohort_output *o, const char *obj, const char *name, cohort_type type,
                             size_t width, int64_t count, const void *data)
{
    h5_quiet q;
    cohort__h5_quiet_begin(&q);
    cohort__clear_error(ctx);
    int st = COHORT_OK;
    if (o == NULL || obj == NULL || obj[0] != '/' || name == NULL || count < 0 || (count > 0 && data == NULL))
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_output_write_attr: invalid arguments");
    hid_t t = st == COHORT_OK ? cohort_type_hdf5(type, width) : H5I_INVALID_HID;
    if (st == COHORT_OK && t < 0)
        st = COHORT_FAIL(ctx, COHORT_ERR_TYPE, "cohort_output_write_attr: unknown type %d", (int)type);
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = make_groups(ctx, o, obj, true);
    hid_t h = st == COHORT_OK ? H5Oopen(o->fid, obj, H5P_DEFAULT) : H5I_INVALID_HID;
    if (st == COHORT_OK && h < 0)
        st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot open %s", o->final_path, obj);
    /* Rank 0's values, so that every rank writes the same metadata. */
    size_t bytes = (size_t)count * (type == COHORT_BYTES ? width : cohort_type_size(type));
    void *mine = st == COHORT_OK ? malloc(bytes + 1) : NULL;
    if (st == COHORT_OK && mine == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    if (st == COHORT_OK) {
        memcpy(mine, data, bytes);
        st = COHORT_MPI(ctx, MPI_Bcast(mine, (int)bytes, MPI_BYTE, 0, ctx->comm));
    }
    if (st == COHORT_OK)
        st = attr_write(ctx, o, h, obj, name, t, count == 1 && type != COHORT_BYTES ? -1 : count, mine);
    free(mine);
    if (h >= 0)
        H5Oclose(h);
    if (t >= 0)
        H5Tclose(t);
    st = cohort__agree(ctx, st);
    cohort__h5_quiet_end(&q);
    return st;
}

int cohort__output_make_groups(cohort_ctx *ctx, cohort_output *o, const char *group)
{
    return strcmp(group, "/") ? make_groups(ctx, o, group, true) : COHORT_OK;
}

/* ---- datasets -------------------------------------------------------------- */

static hid_t dataset_create(cohort_ctx *ctx, cohort_output *o, const char *dset, hid_t ftype, int ncols,
                            int64_t total, const cohort_write_options *opts, bool *filtered)
{
    hsize_t dims[COHORT_MAX_DIMS] = {(hsize_t)total, (hsize_t)ncols};
    hsize_t maxdims[COHORT_MAX_DIMS] = {H5S_UNLIMITED, (hsize_t)ncols};
    int rank = ncols > 1 ? 2 : 1;
    if (opts && opts->ndims > 0) { /* an N-D shape of fixed extent */
        rank = opts->ndims;
        for (int k = 0; k < rank; k++)
            dims[k] = maxdims[k] = (hsize_t)opts->dims[k];
    }
    int64_t chunk_rows = opts ? opts->chunk_rows : 0;
    int gzip = opts ? opts->gzip_level : 0;
    bool chunked = chunk_rows > 0 || gzip > 0;
    *filtered = gzip > 0;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0); /* the same bytes whenever it is written */
    if (chunked) {
        if (chunk_rows <= 0) { /* about 1 MiB chunks, no larger than the data */
            chunk_rows = (int64_t)(((size_t)1 << 20) / (H5Tget_size(ftype) * (size_t)ncols)) + 1;
            chunk_rows = chunk_rows < total ? chunk_rows : total > 0 ? total : 1;
        }
        hsize_t chunk[COHORT_MAX_DIMS] = {(hsize_t)chunk_rows, (hsize_t)ncols};
        if (opts && opts->ndims > 0) { /* whole slabs of the slowest dimension, about 1 MiB */
            hsize_t slab = 1;
            for (int k = 1; k < rank; k++)
                slab *= (chunk[k] = dims[k] > 0 ? dims[k] : 1);
            hsize_t rows0 = (hsize_t)(((size_t)1 << 20) / (H5Tget_size(ftype) * slab)) + 1;
            chunk[0] = opts->chunk_rows > 0 ? (hsize_t)opts->chunk_rows : rows0 < dims[0] ? rows0 : dims[0] ? dims[0] : 1;
        }
        H5Pset_chunk(dcpl, rank, chunk);
        if (gzip == 0) /* allocated at creation, nothing written then (see pandas.c) */
            H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
        if (gzip > 0) {
            H5Pset_shuffle(dcpl);
            H5Pset_deflate(dcpl, (unsigned)gzip);
        }
    } else {
        /* Allocate at creation and never write fill values: parallel HDF5
         * would otherwise write the whole dataset twice (~10x slower). */
        H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    }
    hid_t s = H5Screate_simple(rank, dims, chunked ? maxdims : NULL);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(o->fid, dset, ftype, s, lcpl, dcpl, H5P_DEFAULT);
    if (d < 0)
        cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot create dataset %s", o->final_path, dset);
    H5Pclose(lcpl);
    H5Sclose(s);
    H5Pclose(dcpl);
    return d;
}

/* A chunk of @opts->chunk_rows rows must be under HDF5's 4 GiB limit, and a
 * compressed one must fit the budget: HDF5 holds it, and its compressed
 * copy, in memory while it is written. */
static int check_chunk(cohort_ctx *ctx, const cohort_output *o, const char *dset, size_t width, int ncols,
                       const cohort_write_options *opts)
{
    uint64_t row = (uint64_t)width * (uint64_t)ncols; /* an N-D dataset's chunk is whole slabs */
    for (int k = 1; opts->ndims > 1 && k < opts->ndims && k < COHORT_MAX_DIMS; k++)
        row = opts->dims[k] > 0 && row <= UINT32_MAX ? row * (uint64_t)opts->dims[k] : row;
    uint64_t bytes = (uint64_t)opts->chunk_rows <= UINT32_MAX / row ? (uint64_t)opts->chunk_rows * row : UINT64_MAX;
    if (bytes > UINT32_MAX)
        return COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s: dataset %s: chunks of %lld rows are over 4 GiB (HDF5's limit)",
                           o->final_path, dset, (long long)opts->chunk_rows);
    if (opts->gzip_level > 0 && ctx->mem_budget > 0 && 2 * bytes > (uint64_t)ctx->mem_budget)
        return COHORT_FAIL(ctx, COHORT_ERR_BUDGET,
                           "%s: dataset %s: compressed chunks of %llu bytes need twice that in memory; the memory budget is %lld bytes",
                           o->final_path, dset, (unsigned long long)bytes, (long long)ctx->mem_budget);
    return COHORT_OK;
}

struct cohort_sink {
    cohort_output *out;
    char name[COHORT_PATH_MAX];
    hid_t d, mtype, dxpl;
    cohort_type type;
    size_t width;
    int ncols;
    int64_t rows;
    bool flat;        /* an N-D dataset written as its row-major values */
    int64_t written;  /* rows this rank has written, for the progress report */
    bool filtered; /* collective transfers, in lockstep pieces */
};

int cohort_sink_open(cohort_ctx *ctx, cohort_output *o, const char *dset, cohort_type type, size_t width, int ncols,
                     int64_t rows, const cohort_write_options *opts, cohort_sink **out)
{
    h5_quiet q;
    cohort__h5_quiet_begin(&q);
    cohort__clear_error(ctx);
    int st = COHORT_OK;
    if (type != COHORT_BYTES)
        width = cohort_type_size(type);
    cohort_sink *s = calloc(1, sizeof *s);
    if (out)
        *out = NULL;
    if (s == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    else if (o == NULL || out == NULL || dset == NULL || dset[0] != '/' || strlen(dset) >= sizeof s->name ||
             ncols < 1 || rows < 0)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_sink_open: invalid arguments");
    else if (cohort_type_name(type) == NULL || width == 0)
        st = COHORT_FAIL(ctx, COHORT_ERR_TYPE, "%s: dataset %s: invalid type", o->final_path, dset);
    else if (rows > 0 && (uint64_t)rows > (uint64_t)INT64_MAX / width / (uint64_t)ncols)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s: dataset %s: %lld rows of %d x %zu bytes are more than 2^63 bytes",
                         o->final_path, dset, (long long)rows, ncols, width);
    else if (opts && opts->ndims != 0) {
        int64_t values = 1;
        bool ok = ncols == 1 && opts->ndims > 0 && opts->ndims <= COHORT_MAX_DIMS;
        for (int k = 0; ok && k < opts->ndims; k++)
            ok = opts->dims[k] >= 0 && (opts->dims[k] == 0 || values <= INT64_MAX / opts->dims[k]) &&
                 (values *= opts->dims[k], true);
        if (!ok || values != rows)
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s: dataset %s: a shape of %d dimension(s) that does not hold %lld values of one column",
                             o->final_path, dset, opts->ndims, (long long)rows);
    }
    if (st == COHORT_OK && opts && opts->chunk_rows > 0)
        st = check_chunk(ctx, o, dset, width, ncols, opts);
    /* Every rank must create the same dataset. */
    int64_t same[3] = {type, (int64_t)width, ncols};
    st = cohort__agree_equal(ctx, st, same, 3, "the type or column count of a dataset written");
    if (st == COHORT_OK) {
        s->out = o;
        snprintf(s->name, sizeof s->name, "%s", dset);
        s->type = type, s->width = width, s->ncols = ncols, s->rows = rows;
        s->flat = opts && opts->ndims > 1;
        s->d = s->dxpl = H5I_INVALID_HID;
        s->mtype = cohort_type_hdf5(type, width);
        if (H5Lexists(o->fid, dset, H5P_DEFAULT) > 0 && H5Ldelete(o->fid, dset, H5P_DEFAULT) < 0)
            st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot replace %s", o->final_path, dset);
        H5Eclear2(H5E_DEFAULT);
        if (st == COHORT_OK && (s->d = dataset_create(ctx, o, dset, s->mtype, ncols, rows, opts, &s->filtered)) < 0)
            st = COHORT_ERR_IO;
        if (st == COHORT_OK)
            st = write_provenance(ctx, o, s->d, dset);
        char phase[64];
        snprintf(phase, sizeof phase, "write %s", dset);
        cohort__progress(ctx, phase, 0, (double)rows / ctx->size, "rows"); /* the phase starts */
        if (st == COHORT_OK) {
            s->dxpl = H5Pcreate(H5P_DATASET_XFER);
            H5Pset_dxpl_mpio(s->dxpl, s->filtered ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT);
        }
        st = cohort__agree(ctx, st);
    }
    if (st == COHORT_ERR_IO && s && s->out) /* a full disk: room for the metadata before HDF5 writes more */
        cohort__output_give_up(ctx, o);
    if (st != COHORT_OK) {
        if (s && s->out)
            cohort_sink_close(ctx, &s);
        free(s);
    } else {
        *out = s;
    }
    cohort__h5_quiet_end(&q);
    return st;
}

/* Rows [row, row + n) of the dataset from the columns' rows [at, at + n). */
static int write_rows(cohort_ctx *ctx, cohort_sink *s, const cohort_column *cols, int64_t row, int64_t at, int64_t n,
                      void *stage)
{
    size_t w = s->width;
    int ncols = s->ncols;
    const void *buf = ncols == 1 ? (const unsigned char *)cols[0].data + (size_t)at * w : stage;
    if (ncols > 1)
        cohort__columns_to_records(stage, (size_t)ncols * w, 0, cols, ncols, at, n);
    herr_t rc = s->flat ? cohort__h5_transfer_flat(s->d, s->mtype, s->dxpl, row, n, (void *)buf, true)
                        : cohort__h5_transfer(s->d, s->mtype, s->dxpl, row, n, ncols, (void *)buf, true);
    if (rc < 0)
        return cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot write rows %lld..%lld of %s", s->out->final_path,
                               (long long)row, (long long)(row + n), s->name);
    return COHORT_OK;
}

int cohort_sink_write(cohort_ctx *ctx, cohort_sink *s, int64_t first_row, const cohort_column *cols)
{
    h5_quiet q;
    cohort__h5_quiet_begin(&q);
    cohort__clear_error(ctx);
    double t0 = cohort__now();
    int st = COHORT_OK;
    int64_t n = cols ? cols[0].count : 0;
    if (s == NULL || cols == NULL || n < 0 || first_row < 0 || first_row > s->rows - n)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_sink_write: rows %lld..%lld are outside the dataset",
                         (long long)first_row, (long long)(first_row + n));
    for (int j = 0; st == COHORT_OK && j < s->ncols; j++) {
        const cohort_column *c = &cols[j];
        if (c->count != n || c->type != s->type || c->width != s->width)
            st = COHORT_FAIL(ctx, COHORT_ERR_SIZE, "%s: column %d written to %s differs in length or type",
                             s->out->final_path, j, s->name);
        else if (n > 0 && c->data == NULL)
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s: column %d written to %s has no data", s->out->final_path, j,
                             s->name);
    }
    size_t row_bytes = s ? s->width * (size_t)s->ncols : 1;
    int64_t piece_rows = (int64_t)((s && s->ncols > 1 ? COHORT_IO_STAGE_BYTES : COHORT_IO_PIECE_BYTES) / row_bytes);
    piece_rows = piece_rows > 0 ? piece_rows : 1;
    void *stage = NULL;
    size_t stage_bytes = s && s->ncols > 1 && n > 0 ? (size_t)(n < piece_rows ? n : piece_rows) * row_bytes : 0;
    if (st == COHORT_OK && stage_bytes)
        st = cohort__alloc(ctx, stage_bytes, "write staging buffer", &stage);
    int64_t agreed[1] = {-cohort__ceil_div(n, piece_rows)};
    st = cohort__agree_min(ctx, st, agreed, 1);
    if (st == COHORT_OK) {
        /* Collective (filtered) writes go in lockstep, and failures are
         * agreed after the loop so no rank leaves the others waiting. */
        int64_t steps = s->filtered ? -agreed[0] : cohort__ceil_div(n, piece_rows);
        for (int64_t k = 0; k < steps && (s->filtered || st == COHORT_OK); k++) {
            int64_t at = k * piece_rows < n ? k * piece_rows : n;
            int64_t m = n - at < piece_rows ? n - at : piece_rows;
            int rc = write_rows(ctx, s, cols, first_row + at, at, m, stage);
            st = st == COHORT_OK ? rc : st;
            s->written += m;
            /* Rank 0's share of the rows is about rows / ranks. */
            char phase[64];
            snprintf(phase, sizeof phase, "write %s", s->name);
            cohort__progress(ctx, phase, (double)s->written, (double)s->rows / ctx->size, "rows");
        }
        st = cohort__agree(ctx, st);
        if (st == COHORT_ERR_IO) /* agreed: every rank gives up together */
            cohort__output_give_up(ctx, s->out);
    }
    cohort__free(ctx, stage, stage_bytes);
    cohort__phase_add(ctx, COHORT_PHASE_WRITE, t0);
    cohort__h5_quiet_end(&q);
    return st;
}

int cohort_sink_close(cohort_ctx *ctx, cohort_sink **sp)
{
    if (sp == NULL || *sp == NULL)
        return COHORT_OK;
    cohort_sink *s = *sp;
    h5_quiet q;
    cohort__h5_quiet_begin(&q);
    int st = COHORT_OK;
    /* Chunks still in HDF5's cache are written here (a full disk shows now,
     * not as a file whose chunks do not inflate).  On a failure the file is
     * given up, which makes room, and the close is tried again: a dataset
     * left open would keep the file from closing.  (H5Dflush would say the
     * same first, but in HDF5 1.10.8 it keeps the library from closing.) */
    if (s->d >= 0 && H5Dclose(s->d) < 0)
        st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot write %s", s->out->final_path, s->name);
    else
        s->d = H5I_INVALID_HID;
    st = cohort__agree(ctx, st);
    if (st != COHORT_OK) {
        cohort__output_give_up(ctx, s->out);
        if (s->d >= 0 && H5Dclose(s->d) < 0)
            H5Eclear2(H5E_DEFAULT);
    }
    if (s->dxpl >= 0)
        H5Pclose(s->dxpl);
    if (s->mtype >= 0)
        H5Tclose(s->mtype);
    free(s);
    *sp = NULL;
    st = cohort__agree(ctx, st);
    cohort__h5_quiet_end(&q);
    return st;
}

int cohort_output_write(cohort_ctx *ctx, cohort_output *o, const char *dset, const cohort_column *cols, int ncols,
                        const cohort_write_options *opts)
{
    cohort__clear_error(ctx);
    int st = COHORT_OK;
    if (cols == NULL || ncols < 1)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_output_write: no columns");
    int64_t n = st == COHORT_OK ? cols[0].count : 0, before = 0, total = 0;
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = cohort_scan_int64(ctx, &n, &before, &total, 1);
    cohort_sink *s = NULL;
    if (st == COHORT_OK)
        st = cohort_sink_open(ctx, o, dset, cols[0].type, cols[0].width, ncols, total, opts, &s);
    if (st == COHORT_OK)
        st = cohort_sink_write(ctx, s, before, cols);
    if (s != NULL) {
        int st2 = cohort_sink_close(ctx, &s);
        st = st == COHORT_OK ? st2 : st;
    }
    return st;
}

/* Make the data durable before it gets its final name: 0, or -1 with
 * errno (a file system may report a full disk only here). */
static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd), saved = errno;
    if (close(fd) != 0 && rc == 0)
        return -1;
    errno = saved;
    return rc;
}

int cohort_output_close(cohort_ctx *ctx, cohort_output **op, int commit)
{
    if (op == NULL || *op == NULL)
        return COHORT_OK;
    cohort_output *o = *op;
    h5_quiet q;
    cohort__h5_quiet_begin(&q);
    /* Keep only if every rank asks to.  Aborting keeps the caller's error
     * message, which usually explains why. */
    int keep = commit ? 1 : 0, all_keep = 0;
    int st = COHORT_MPI(ctx, MPI_Allreduce(&keep, &all_keep, 1, MPI_INT, MPI_MIN, ctx->comm));
    if (all_keep && o->given_up) { /* a write failed, and the caller did not notice */
        st = COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: a write failed, so it is not kept", o->final_path);
    } else if (all_keep) {
        /* The last metadata written while the file can still be given up
         * cleanly (see RESERVE_BYTES), in the reserve's room. */
        cohort__clear_error(ctx);
        if (ctx->rank == 0)
            reserve_release(o);
        MPI_Barrier(ctx->comm);
        if (st == COHORT_OK && H5Fflush(o->fid, H5F_SCOPE_GLOBAL) < 0)
            st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot write", o->final_path);
    }
    st = all_keep ? cohort__agree(ctx, st) : st;
    if (!all_keep || st != COHORT_OK)
        cohort__output_give_up(ctx, o);
    if (H5Fclose(o->fid) < 0 && st == COHORT_OK)
        st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot close", o->final_path);
    if (all_keep)
        st = cohort__agree(ctx, st);
    if (ctx->rank == 0) {
        int rc = -1;
        reserve_release(o);
        if (all_keep && st == COHORT_OK && sync_path(o->tmp_path) != 0)
            st = COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: cannot write: %s", o->final_path, strerror(errno));
        if (all_keep && st == COHORT_OK) {
            if (o->mode == COHORT_OUTPUT_CREATE) /* never clobber a file that appeared meanwhile */
                rc = renameat2(AT_FDCWD, o->tmp_path, AT_FDCWD, o->final_path, RENAME_NOREPLACE);
            if (o->mode != COHORT_OUTPUT_CREATE || (rc != 0 && errno == EINVAL)) /* file system without it */
                rc = rename(o->tmp_path, o->final_path);
            if (rc != 0) {
                st = COHORT_FAIL(ctx, errno == EEXIST ? COHORT_ERR_EXISTS : COHORT_ERR_IO,
                                 "%s: cannot rename into place: %s", o->final_path, strerror(errno));
            } else {
                char dir[COHORT_PATH_MAX];
                snprintf(dir, sizeof dir, "%s", o->final_path);
                sync_path(dirname(dir));
            }
        }
        if (rc != 0)
            unlink(o->tmp_path);
    }
    /* Also when aborting: on return the temporary is gone on every rank. */
    st = all_keep ? cohort__agree(ctx, st) : cohort__agree(ctx, COHORT_OK);
    temporary_tell(ctx, o, false);
    free(o->command_line);
    free(o->inputs);
    free(o);
    *op = NULL;
    cohort__h5_quiet_end(&q);
    return all_keep ? st : COHORT_OK;
}

int cohort_output_attach_scale(cohort_ctx *ctx, cohort_output *o, const char *dset, int axis, const char *scale,
                               const char *name)
{
    h5_quiet q;
    cohort__h5_quiet_begin(&q);
    cohort__clear_error(ctx);
    int st = COHORT_OK;
    hid_t d = H5I_INVALID_HID, sc = H5I_INVALID_HID;
    if (o == NULL || scale == NULL || (dset && axis < 0))
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_output_attach_scale: invalid arguments");
    if (st == COHORT_OK && ((dset && (d = H5Dopen2(o->fid, dset, H5P_DEFAULT)) < 0) ||
                            (sc = H5Dopen2(o->fid, scale, H5P_DEFAULT)) < 0))
        st = cohort__h5_fail(ctx, COHORT_ERR_NOTFOUND, "%s: no dataset %s", o->final_path,
                             dset && d < 0 ? dset : scale);
    /* Already a scale (attached to several datasets): keep its name. */
    if (st == COHORT_OK && H5DSis_scale(sc) <= 0 && H5DSset_scale(sc, name) < 0)
        st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot make %s a dimension scale", o->final_path, scale);
    if (st == COHORT_OK && dset && H5DSattach_scale(d, sc, (unsigned)axis) < 0)
        st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot attach %s to dimension %d of %s", o->final_path, scale,
                             axis, dset);
    H5Eclear2(H5E_DEFAULT);
    if (sc >= 0)
        H5Dclose(sc);
    if (d >= 0)
        H5Dclose(d);
    st = cohort__agree(ctx, st);
    cohort__h5_quiet_end(&q);
    return st;
}
