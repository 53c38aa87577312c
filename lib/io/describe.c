/*
 * describe.c — what a dataset holds, from its metadata alone: shape,
 * element type and byte order, layout, chunking, filters; and, for
 * reading, where each column's bytes sit in a stored row.
 */
#include "io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool host_big_endian(void) { return H5Tget_order(H5T_NATIVE_INT) == H5T_ORDER_BE; }

/* Map an element type (not compound) to a Cohort type, or explain why not. */
static int classify(hid_t t, cohort_type *type, size_t *width, int *big_endian, char *desc, size_t dsize)
{
    H5T_class_t cls = H5Tget_class(t);
    size_t size = H5Tget_size(t);
    *type = 0, *width = size, *big_endian = 0;
    switch (cls) {
    case H5T_ENUM: { /* h5py stores numpy bool as an enum over int8 */
        hid_t base = H5Tget_super(t);
        int st = classify(base, type, width, big_endian, desc, dsize);
        H5Tclose(base);
        if (st == COHORT_OK)
            snprintf(desc + strlen(desc), dsize - strlen(desc), " enum");
        return st;
    }
    case H5T_INTEGER: {
        int is_signed = H5Tget_sign(t) == H5T_SGN_2;
        static const cohort_type s[] = {[1] = COHORT_INT8, [2] = COHORT_INT16, [4] = COHORT_INT32, [8] = COHORT_INT64};
        static const cohort_type u[] = {[1] = COHORT_UINT8, [2] = COHORT_UINT16, [4] = COHORT_UINT32, [8] = COHORT_UINT64};
        if (size == 1 || size == 2 || size == 4 || size == 8)
            *type = is_signed ? s[size] : u[size];
        *big_endian = H5Tget_order(t) == H5T_ORDER_BE;
        snprintf(desc, dsize, "%s%zu %s", is_signed ? "int" : "uint", 8 * size,
                 *big_endian ? "big-endian" : "little-endian");
        break;
    }
    case H5T_FLOAT: {
        *big_endian = H5Tget_order(t) == H5T_ORDER_BE;
        /* Only IEEE binary32/binary64; half floats and long doubles are not. */
        hid_t ieee = size == 4 ? (*big_endian ? H5T_IEEE_F32BE : H5T_IEEE_F32LE)
                   : size == 8 ? (*big_endian ? H5T_IEEE_F64BE : H5T_IEEE_F64LE) : H5I_INVALID_HID;
        if (ieee != H5I_INVALID_HID && H5Tequal(t, ieee) > 0)
            *type = size == 4 ? COHORT_FLOAT : COHORT_DOUBLE;
        snprintf(desc, dsize, "float%zu %s%s", 8 * size, *big_endian ? "big-endian" : "little-endian",
                 *type ? "" : " (not IEEE binary32/64)");
        break;
    }
    case H5T_STRING:
        *type = COHORT_BYTES;
        if (H5Tis_variable_str(t) > 0) {
            *width = 0; /* unknown until the values are measured */
            snprintf(desc, dsize, "variable-length string");
        } else {
            snprintf(desc, dsize, "string(%zu)", size);
        }
        break;
    case H5T_COMPOUND:
        snprintf(desc, dsize, "compound of %d members", H5Tget_nmembers(t));
        break;
    case H5T_TIME: snprintf(desc, dsize, "time"); break;
    case H5T_BITFIELD: snprintf(desc, dsize, "bitfield(%zu)", size); break;
    case H5T_OPAQUE: snprintf(desc, dsize, "opaque(%zu)", size); break;
    case H5T_REFERENCE: snprintf(desc, dsize, "reference"); break;
    case H5T_VLEN: snprintf(desc, dsize, "variable-length sequence"); break;
    case H5T_ARRAY: snprintf(desc, dsize, "array"); break;
    default: snprintf(desc, dsize, "unknown type class %d", (int)cls); break;
    }
    return *type ? COHORT_OK : COHORT_ERR_TYPE;
}

/* Whether every member of compound @t reads as its stored bytes: numbers,
 * enums, bitfields, opaque and fixed-length strings (and arrays and
 * compounds of those), so that HDF5 converts nothing when records are read
 * in the file's own type.  A variable-length member is not: read, it is
 * allocated. */
static bool plain_record(hid_t t)
{
    bool plain = true;
    int n = H5Tget_nmembers(t);
    for (int k = 0; plain && k < n; k++) {
        hid_t m = H5Tget_member_type(t, (unsigned)k);
        H5T_class_t c = m < 0 ? H5T_NO_CLASS : H5Tget_class(m);
        if (c == H5T_COMPOUND)
            plain = plain_record(m);
        else if (c == H5T_ARRAY) {
            hid_t base = H5Tget_super(m);
            H5T_class_t bc = base < 0 ? H5T_NO_CLASS : H5Tget_class(base);
            plain = bc == H5T_INTEGER || bc == H5T_FLOAT || (bc == H5T_STRING && H5Tis_variable_str(base) == 0);
            if (base >= 0)
                H5Tclose(base);
        } else
            plain = c == H5T_INTEGER || c == H5T_FLOAT || c == H5T_ENUM || c == H5T_BITFIELD || c == H5T_OPAQUE ||
                    (c == H5T_STRING && H5Tis_variable_str(m) == 0);
        if (m >= 0)
            H5Tclose(m);
    }
    return plain && n > 0;
}

/* Comma-separated member names of a compound, for error messages. */
static void member_list(hid_t t, char *buf, size_t size)
{
    int n = H5Tget_nmembers(t);
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        char *name = H5Tget_member_name(t, (unsigned)i);
        size_t len = strlen(buf);
        if (name && len + strlen(name) + 3 < size)
            snprintf(buf + len, size - len, "%s%s", i ? ", " : "", name);
        H5free_memory(name);
    }
}

static void describe_storage(hid_t dcpl, cohort_dataset_info *info)
{
    H5D_layout_t layout = H5Pget_layout(dcpl);
    info->layout = layout == H5D_CHUNKED ? COHORT_LAYOUT_CHUNKED
                 : layout == H5D_COMPACT ? COHORT_LAYOUT_COMPACT
                 : layout == H5D_VIRTUAL ? COHORT_LAYOUT_VIRTUAL : COHORT_LAYOUT_CONTIGUOUS;
    if (layout == H5D_CHUNKED) {
        hsize_t chunk[H5S_MAX_RANK] = {0};
        int n = H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk);
        for (int i = 0; i < n && i < COHORT_MAX_DIMS; i++)
            info->chunk[i] = (int64_t)chunk[i];
    }
    int nf = H5Pget_nfilters(dcpl);
    for (int i = 0; i < nf && info->nfilters < COHORT_MAX_FILTERS; i++) {
        unsigned flags, cd[8];
        size_t ncd = 8;
        char name[32] = "";
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof name, name, NULL);
        int k = info->nfilters++;
        info->filter_id[k] = (int)id;
        snprintf(info->filter_name[k], sizeof info->filter_name[k], "%s", name[0] ? name : "unnamed");
        info->filter_available[k] = H5Zfilter_avail(id) > 0;
    }
}

/* Whether every link on @path resolves to an object (following soft and
 * external links), without HDF5 errors for a missing component. */
static bool path_exists(hid_t file, const char *path)
{
    size_t len = strlen(path);
    if (len < 2 || path[0] != '/')
        return false;
    char *prefix = malloc(len + 1); /* any length: HDF5 names have no limit */
    bool ok = prefix != NULL;
    for (size_t i = 1; ok && i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        memcpy(prefix, path, i);
        prefix[i] = '\0';
        if (H5Lexists(file, prefix, H5P_DEFAULT) <= 0 || H5Oexists_by_name(file, prefix, H5P_DEFAULT) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            ok = false;
        }
    }
    free(prefix);
    return ok;
}

int cohort__dataset_inspect(cohort_ctx *ctx, hid_t file, const char *fname, const char *path,
                            const char *member, cohort_dataset_info *info, raw_layout *raw)
{
    memset(info, 0, sizeof *info);
    memset(raw, 0, sizeof *raw);
    int st = COHORT_OK;
    hid_t d = H5I_INVALID_HID, t = H5I_INVALID_HID, s = H5I_INVALID_HID, dcpl = H5I_INVALID_HID,
          mt = H5I_INVALID_HID;

    if (!path_exists(file, path))
        return COHORT_FAIL(ctx, COHORT_ERR_NOTFOUND, "%s: no dataset %s", fname, path);
    H5O_info_t oinfo;
    if (H5Oget_info_by_name(file, path, &oinfo, H5P_DEFAULT) < 0)
        return cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot read the object header of %s", fname, path);
    if (oinfo.type != H5O_TYPE_DATASET)
        return COHORT_FAIL(ctx, COHORT_ERR_NOTFOUND, "%s: %s is a %s, not a dataset", fname, path,
                           oinfo.type == H5O_TYPE_GROUP ? "group" : "named type or unknown object");
    if ((d = H5Dopen2(file, path, H5P_DEFAULT)) < 0 || (t = H5Dget_type(d)) < 0 ||
        (s = H5Dget_space(d)) < 0 || (dcpl = H5Dget_create_plist(d)) < 0) {
        st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot open dataset %s", fname, path);
        goto out;
    }

    hsize_t dims[H5S_MAX_RANK], maxdims[H5S_MAX_RANK];
    info->ndims = H5Sget_simple_extent_ndims(s);
    H5Sget_simple_extent_dims(s, dims, maxdims);
    for (int i = 0; i < info->ndims && i < COHORT_MAX_DIMS; i++) {
        info->dims[i] = (int64_t)dims[i];
        info->maxdims[i] = maxdims[i] == H5S_UNLIMITED ? -1 : (int64_t)maxdims[i];
    }
    describe_storage(dcpl, info);

    size_t width;
    if (H5Tget_class(t) == H5T_COMPOUND) {
        if (!member || !member[0]) {
            char members[512];
            member_list(t, members, sizeof members);
            st = COHORT_FAIL(ctx, COHORT_ERR_TYPE, "%s: %s is a compound dataset: name one member as %s#MEMBER (members: %s)",
                             fname, path, path, members);
            snprintf(info->type_desc, sizeof info->type_desc, "compound of %d members", H5Tget_nmembers(t));
            goto out;
        }
        int idx = H5Tget_member_index(t, member);
        if (idx < 0) {
            char members[512];
            H5Eclear2(H5E_DEFAULT);
            member_list(t, members, sizeof members);
            st = COHORT_FAIL(ctx, COHORT_ERR_NOTFOUND, "%s: %s has no member '%s' (members: %s)", fname, path, member,
                             members);
            goto out;
        }
        /* Records whose members all read as stored are read whole and the
         * member taken from them in cache (input.c); otherwise HDF5 is asked
         * for a one-member compound, and a row as staged is the member
         * alone (a variable-length member beside it is never allocated). */
        mt = H5Tget_member_type(t, (unsigned)idx);
        raw->whole_record = plain_record(t);
        raw->record = raw->whole_record ? H5Tget_size(t) : H5Tget_size(mt);
        raw->offset = raw->whole_record ? H5Tget_member_offset(t, (unsigned)idx) : 0;
        raw->ncols = 1;
        if (classify(mt, &info->type, &width, &info->big_endian, info->type_desc, sizeof info->type_desc) != COHORT_OK) {
            st = COHORT_FAIL(ctx, COHORT_ERR_TYPE, "%s: member %s#%s has unsupported type %s", fname, path, member,
                             info->type_desc);
            goto out;
        }
    } else {
        if (member && member[0]) {
            st = COHORT_FAIL(ctx, COHORT_ERR_TYPE, "%s: %s is not a compound dataset, so it has no member '%s'",
                             fname, path, member);
            goto out;
        }
        if (classify(t, &info->type, &width, &info->big_endian, info->type_desc, sizeof info->type_desc) != COHORT_OK) {
            st = COHORT_FAIL(ctx, COHORT_ERR_TYPE, "%s: dataset %s has unsupported type %s", fname, path,
                             info->type_desc);
            goto out;
        }
        /* Capped before it becomes an int (a tiny file may declare 2^32 + 1
         * columns, which would read as 1); input.c refuses more than
         * COHORT_COLUMNS_MAX from info->dims. */
        raw->ncols = info->ndims != 2 ? 1 : info->dims[1] > COHORT_COLUMNS_MAX ? COHORT_COLUMNS_MAX + 1 : (int)info->dims[1];
        raw->stride = width ? width : sizeof(char *);
        raw->record = raw->stride * (size_t)raw->ncols;
    }
    raw->vlen = info->type == COHORT_BYTES && width == 0;
    info->width = width;
    raw->swap = info->type != COHORT_BYTES && width > 1 && info->big_endian != host_big_endian();
    if (!member || !member[0])
        cohort__cf_inspect(d, info, raw);
    else
        info->cf.scale = 1.0;

    if (info->ndims < 1) {
        st = COHORT_FAIL(ctx, COHORT_ERR_SIZE, "%s: dataset %s is a scalar (no dimensions); Cohort reads 1-D columns, 2-D tables (rows x columns) and N-D variables",
                         fname, path);
        goto out;
    }
    if (info->ndims >= 2 && member && member[0]) {
        st = COHORT_FAIL(ctx, COHORT_ERR_SIZE, "%s: %s is a %d-D compound dataset; members of 1-D tables only", fname, path, info->ndims);
        goto out;
    }
    if (info->ndims == 2 && info->dims[1] == 0) {
        st = COHORT_FAIL(ctx, COHORT_ERR_SIZE, "%s: dataset %s has no columns", fname, path);
        goto out;
    }
    /* A damaged dataspace can declare far more values than a contiguous or
     * compact dataset's storage holds (2^63 - 1 rows over 30 bytes): an
     * input error, not a read that runs off the storage.  (Storage not yet
     * allocated, 0 bytes, reads as fill values, as h5py reads it.) */
    if (info->layout == COHORT_LAYOUT_CONTIGUOUS || info->layout == COHORT_LAYOUT_COMPACT) {
        hsize_t storage = H5Dget_storage_size(d), need = H5Tget_size(t);
        for (int i = 0; i < info->ndims && storage > 0 && need <= storage; i++)
            need = dims[i] && need > storage / dims[i] ? storage + 1 : need * dims[i];
        if (storage > 0 && need > storage) {
            st = COHORT_FAIL(ctx, COHORT_ERR_SIZE,
                             "%s: dataset %s declares more values than its %s storage of %llu bytes holds (a damaged file)",
                             fname, path, info->layout == COHORT_LAYOUT_COMPACT ? "compact" : "contiguous",
                             (unsigned long long)storage);
            goto out;
        }
    }
out:
    if (mt >= 0)
        H5Tclose(mt);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
    return st;
}

int cohort_dataset_describe(cohort_ctx *ctx, hid_t file, const char *path, cohort_dataset_info *info)
{
    h5_quiet q;
    cohort__h5_quiet_begin(&q);
    cohort__clear_error(ctx);
    raw_layout raw;
    char name[COHORT_PATH_MAX] = "file";
    H5Fget_name(file, name, sizeof name);
    int st = cohort__dataset_inspect(ctx, file, name, path, NULL, info, &raw);
    /* A compound, an unsupported type or shape still has a useful description. */
    if (st == COHORT_ERR_TYPE || st == COHORT_ERR_SIZE) {
        cohort__clear_error(ctx);
        st = COHORT_OK;
    }
    cohort__h5_quiet_end(&q);
    return st;
}
