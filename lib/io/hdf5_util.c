/*
 * hdf5_util.c — small HDF5 helpers of the I/O layer: error silencing and
 * reporting, type mapping, byte swapping, file access lists.
 */
#include "io.h"

#include <stdlib.h>

#include <stdio.h>
#include <string.h>

void cohort__h5_quiet_begin(h5_quiet *q)
{
    H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void cohort__h5_quiet_end(const h5_quiet *q)
{
    H5Eset_auto2(H5E_DEFAULT, q->fn, q->data);
}

/* The last record walked is the innermost (the root cause): keep it. */
static herr_t keep_innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    size_t size = 256;
    (void)n;
    if (e->desc && e->desc[0])
        snprintf(buf, size, "%s", e->desc);
    return 0;
}

const char *cohort__h5_cause(char *buf, size_t size)
{
    char tmp[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, tmp);
    H5Eclear2(H5E_DEFAULT);
    snprintf(buf, size, "%s", tmp);
    return buf;
}

int cohort__h5_fail(cohort_ctx *ctx, int code, const char *fmt, ...)
{
    char what[COHORT_ERRMSG_MAX / 2], cause[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    cohort__h5_cause(cause, sizeof cause);
    if (cause[0])
        return cohort__fail(ctx, code, "%s (HDF5: %s)", what, cause);
    return cohort__fail(ctx, code, "%s", what);
}

hid_t cohort_type_hdf5(cohort_type type, size_t width)
{
    switch (type) {
    case COHORT_INT8: return H5Tcopy(H5T_NATIVE_INT8);
    case COHORT_INT16: return H5Tcopy(H5T_NATIVE_INT16);
    case COHORT_INT32: return H5Tcopy(H5T_NATIVE_INT32);
    case COHORT_INT64: return H5Tcopy(H5T_NATIVE_INT64);
    case COHORT_UINT8: return H5Tcopy(H5T_NATIVE_UINT8);
    case COHORT_UINT16: return H5Tcopy(H5T_NATIVE_UINT16);
    case COHORT_UINT32: return H5Tcopy(H5T_NATIVE_UINT32);
    case COHORT_UINT64: return H5Tcopy(H5T_NATIVE_UINT64);
    case COHORT_FLOAT: return H5Tcopy(H5T_NATIVE_FLOAT);
    case COHORT_DOUBLE: return H5Tcopy(H5T_NATIVE_DOUBLE);
    case COHORT_BYTES: {
        if (width == 0)
            return H5I_INVALID_HID;
        hid_t t = H5Tcopy(H5T_C_S1);
        if (t >= 0 && (H5Tset_size(t, width) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0)) {
            H5Tclose(t);
            return H5I_INVALID_HID;
        }
        return t;
    }
    }
    return H5I_INVALID_HID;
}

void cohort__byteswap(void *data, size_t n, size_t width)
{
    unsigned char *p = data;
    switch (width) {
    case 2:
        for (size_t i = 0; i < n; i++) {
            uint16_t v;
            memcpy(&v, p + 2 * i, 2);
            v = __builtin_bswap16(v);
            memcpy(p + 2 * i, &v, 2);
        }
        break;
    case 4:
        for (size_t i = 0; i < n; i++) {
            uint32_t v;
            memcpy(&v, p + 4 * i, 4);
            v = __builtin_bswap32(v);
            memcpy(p + 4 * i, &v, 4);
        }
        break;
    case 8:
        for (size_t i = 0; i < n; i++) {
            uint64_t v;
            memcpy(&v, p + 8 * i, 8);
            v = __builtin_bswap64(v);
            memcpy(p + 8 * i, &v, 8);
        }
        break;
    default: /* 1-byte elements and strings have no byte order */
        break;
    }
}

/* The MPI-IO hints of COHORT_MPIIO_HINTS ("key=value,key=value", commas,
 * semicolons or blanks between them) into a new MPI_Info, or MPI_INFO_NULL
 * when unset.  False when malformed (a pair without '=', an empty key, a
 * key or value MPI cannot take). */
static bool parse_hints(MPI_Info *info)
{
    const char *env = getenv("COHORT_MPIIO_HINTS");
    *info = MPI_INFO_NULL;
    if (env == NULL || env[strspn(env, " \t,;")] == '\0')
        return true;
    char buf[4096];
    if (strlen(env) >= sizeof buf || MPI_Info_create(info) != MPI_SUCCESS)
        return false;
    strcpy(buf, env);
    bool ok = true;
    char *save = NULL;
    for (char *kv = strtok_r(buf, " \t,;", &save); ok && kv; kv = strtok_r(NULL, " \t,;", &save)) {
        char *eq = strchr(kv, '=');
        ok = eq && eq != kv && eq[1] != '\0' && (size_t)(eq - kv) < MPI_MAX_INFO_KEY &&
             strlen(eq + 1) < MPI_MAX_INFO_VAL;
        if (ok) {
            *eq = '\0';
            ok = MPI_Info_set(*info, kv, eq + 1) == MPI_SUCCESS;
        }
    }
    if (!ok)
        MPI_Info_free(info);
    return ok;
}

int cohort__hints_check(cohort_ctx *ctx)
{
    MPI_Info info;
    if (!parse_hints(&info))
        return COHORT_FAIL(ctx, COHORT_ERR_ARG, "COHORT_MPIIO_HINTS=%s: expected key=value pairs separated by commas",
                           getenv("COHORT_MPIIO_HINTS"));
    if (info != MPI_INFO_NULL)
        MPI_Info_free(&info);
    return COHORT_OK;
}

hid_t cohort__fapl(MPI_Comm comm)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return fapl;
    /* Files opened through MPI-IO get the user's hints (HDF5 keeps a copy). */
    MPI_Info info = MPI_INFO_NULL;
    if (comm != MPI_COMM_NULL)
        parse_hints(&info);
    herr_t rc = comm != MPI_COMM_NULL ? H5Pset_fapl_mpio(fapl, comm, info) : 0;
    if (info != MPI_INFO_NULL)
        MPI_Info_free(&info);
    if (rc < 0) {
        H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
    /* Large objects start on 1 MiB boundaries: file-system stripes and
     * pages line up, which makes parallel writes several times faster. */
    H5Pset_alignment(fapl, (hsize_t)1 << 20, (hsize_t)1 << 20);
    return fapl;
}

/* Add to @fs's selection the flat (row-major) range [first, first + n) of
 * dimensions d.. within the slab start[0..d), count 1 each: a partial slab
 * of dimension d, then whole slabs, then a partial one, each partial one
 * selected the same way one dimension down.  At most 2 (rank - d) - 1
 * hyperslabs. */
static herr_t select_flat(hid_t fs, int rank, const hsize_t *dims, hsize_t *start, hsize_t *count, int d,
                          hsize_t first, hsize_t n, bool *any)
{
    if (n == 0)
        return 0;
    hsize_t inner = 1;
    for (int k = d + 1; k < rank; k++)
        inner *= dims[k];
    hsize_t i = first / inner, off = first % inner;
    herr_t rc = 0;
    if (off != 0 || n < inner) { /* a partial slab: one dimension down */
        hsize_t m = inner - off < n ? inner - off : n;
        start[d] = i, count[d] = 1;
        rc = select_flat(fs, rank, dims, start, count, d + 1, off, m, any);
        i++, n -= m;
    }
    hsize_t whole = n / inner;
    if (rc >= 0 && whole > 0) {
        start[d] = i, count[d] = whole;
        for (int k = d + 1; k < rank; k++)
            start[k] = 0, count[k] = dims[k];
        rc = H5Sselect_hyperslab(fs, *any ? H5S_SELECT_OR : H5S_SELECT_SET, start, NULL, count, NULL);
        *any = true;
        i += whole, n -= whole * inner;
    }
    if (rc >= 0 && n > 0) {
        start[d] = i, count[d] = 1;
        rc = select_flat(fs, rank, dims, start, count, d + 1, 0, n, any);
    }
    return rc;
}

herr_t cohort__h5_transfer_flat(hid_t d, hid_t mtype, hid_t dxpl, int64_t first, int64_t n, void *buf, bool write)
{
    hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK], count[H5S_MAX_RANK];
    hsize_t melems = (hsize_t)n, one = 1;
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(1, melems ? &melems : &one, NULL);
    int rank = fs < 0 ? -1 : H5Sget_simple_extent_dims(fs, dims, NULL);
    herr_t rc = fs < 0 || ms < 0 || rank < 1 ? -1 : 0;
    bool any = false;
    if (rc >= 0 && melems > 0)
        rc = select_flat(fs, rank, dims, start, count, 0, (hsize_t)first, melems, &any);
    else if (rc >= 0) /* nothing here, but the call still matches the other ranks' */
        rc = H5Sselect_none(fs) < 0 || H5Sselect_none(ms) < 0 ? -1 : 0;
    static char dummy[64];
    void *b = melems ? buf : dummy;
    if (rc >= 0)
        rc = write ? H5Dwrite(d, mtype, ms, fs, dxpl, b) : H5Dread(d, mtype, ms, fs, dxpl, b);
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    return rc;
}

herr_t cohort__h5_transfer(hid_t d, hid_t mtype, hid_t dxpl, int64_t row, int64_t n, int64_t ncols, void *buf,
                           bool write)
{
    /* Whole rows of a 1-D or rows x ncols dataset are a flat range of whole
     * slabs: one hyperslab. */
    return cohort__h5_transfer_flat(d, mtype, dxpl, row * ncols, n * ncols, buf, write);
}
