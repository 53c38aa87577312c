/*
 * cf.c — the CF conventions' attributes (_FillValue, missing_value,
 * valid_min/valid_max/valid_range, scale_factor/add_offset, _Unsigned):
 * finding them on a dataset, and applying them to values read.
 *
 * What is applied, and where Cohort departs from netCDF4-python and
 * xarray, is documented under READING in cohort_io.h.  The order is
 * netCDF4-python's: a value is missing if it equals the fill value or a
 * missing value (compared bit for bit in the stored type, so that -999
 * is never confused with -999.0000001) or lies outside the valid bounds;
 * the others are unpacked, multiplied by scale_factor, then add_offset
 * added, each only if present (so that an unpacked float keeps the sign
 * of its zeros).
 */
#include "io.h"

#include <math.h>
#include <string.h>

/* Whether attribute @name of @d is a numeric one of 1..@max values. */
static int numeric_attr_count(hid_t d, const char *name, int max)
{
    if (H5Aexists(d, name) <= 0)
        return 0;
    hid_t a = H5Aopen(d, name, H5P_DEFAULT);
    hid_t t = a < 0 ? a : H5Aget_type(a), s = a < 0 ? a : H5Aget_space(a);
    H5T_class_t cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
    hssize_t n = s < 0 ? 0 : H5Sget_simple_extent_npoints(s);
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return (cls == H5T_INTEGER || cls == H5T_FLOAT) && n >= 1 && n <= max ? (int)n : 0;
}

/* Read the @n values of attribute @name as HDF5 converts them to @mtype. */
static bool read_attr(hid_t d, const char *name, hid_t mtype, void *buf)
{
    hid_t a = H5Aopen(d, name, H5P_DEFAULT);
    bool ok = a >= 0 && H5Aread(a, mtype, buf) >= 0;
    if (a >= 0)
        H5Aclose(a);
    return ok;
}

/* A stored value (@width bytes at @p, of @type) as a double. */
static double stored_double(cohort_type type, const void *p)
{
    switch (type) {
#define CASE(T, C)                                                                                                     \
    case C: {                                                                                                          \
        T x;                                                                                                           \
        memcpy(&x, p, sizeof x);                                                                                       \
        return (double)x;                                                                                              \
    }
        CASE(int8_t, COHORT_INT8) CASE(int16_t, COHORT_INT16) CASE(int32_t, COHORT_INT32) CASE(int64_t, COHORT_INT64)
        CASE(uint8_t, COHORT_UINT8) CASE(uint16_t, COHORT_UINT16) CASE(uint32_t, COHORT_UINT32)
        CASE(uint64_t, COHORT_UINT64) CASE(float, COHORT_FLOAT) CASE(double, COHORT_DOUBLE)
#undef CASE
    default: return NAN;
    }
}

/* Values of attribute @name in the stored type (8 bytes each in @bits) and
 * as doubles; the number read, 0 if absent or unusable: a value an integer
 * type cannot hold exactly is unusable (a float type takes the nearest, as
 * numpy's cast does). */
static int stored_values(hid_t d, const char *name, cohort_type type, size_t width, int max, unsigned char (*bits)[8],
                         double *dv)
{
    int n = numeric_attr_count(d, name, max);
    unsigned char buf[COHORT_CF_MISSING_MAX * 8];
    double exact[COHORT_CF_MISSING_MAX];
    hid_t mt = cohort_type_hdf5(type, width);
    bool ok = n > 0 && mt >= 0 && read_attr(d, name, mt, buf) && read_attr(d, name, H5T_NATIVE_DOUBLE, exact);
    if (mt >= 0)
        H5Tclose(mt);
    for (int i = 0; ok && i < n; i++) {
        memset(bits[i], 0, 8);
        memcpy(bits[i], buf + (size_t)i * width, width);
        dv[i] = stored_double(type, bits[i]);
        if (cohort_type_is_integer(type) && !(dv[i] == exact[i]))
            ok = false;
    }
    H5Eclear2(H5E_DEFAULT);
    return ok ? n : 0;
}

/* One double-valued attribute of exactly @n values. */
static bool double_values(hid_t d, const char *name, int n, double *out)
{
    bool ok = numeric_attr_count(d, name, n) == n && read_attr(d, name, H5T_NATIVE_DOUBLE, out);
    H5Eclear2(H5E_DEFAULT);
    return ok;
}

/* The string attribute @name equals @want (fixed or variable length). */
static bool string_attr_is(hid_t d, const char *name, const char *want)
{
    if (H5Aexists(d, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
    }
    bool eq = false;
    hid_t a = H5Aopen(d, name, H5P_DEFAULT), t = H5Aget_type(a);
    if (H5Tget_class(t) == H5T_STRING) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Aread(a, mt, &v) >= 0 && v) {
                eq = strcmp(v, want) == 0;
                H5free_memory(v);
            }
        } else {
            char v[64] = "";
            size_t w = H5Tget_size(t);
            if (w < sizeof v) {
                H5Tset_size(mt, w + 1);
                H5Tset_strpad(mt, H5T_STR_NULLTERM);
                eq = H5Aread(a, mt, v) >= 0 && strcmp(v, want) == 0;
            }
        }
        H5Tclose(mt);
    }
    H5Tclose(t);
    H5Aclose(a);
    H5Eclear2(H5E_DEFAULT);
    return eq;
}

static cohort_type unsigned_of(cohort_type t)
{
    switch (t) {
    case COHORT_INT8: return COHORT_UINT8;
    case COHORT_INT16: return COHORT_UINT16;
    case COHORT_INT32: return COHORT_UINT32;
    case COHORT_INT64: return COHORT_UINT64;
    default: return t;
    }
}

cohort_type cohort__cf_raw_type(const cohort_cf *cf, cohort_type type)
{
    if (!(cf->flags & COHORT_CF_UNSIGNED))
        return type;
    switch (type) {
    case COHORT_UINT8: return COHORT_INT8;
    case COHORT_UINT16: return COHORT_INT16;
    case COHORT_UINT32: return COHORT_INT32;
    case COHORT_UINT64: return COHORT_INT64;
    default: return type;
    }
}

void cohort__cf_inspect(hid_t d, cohort_dataset_info *info, raw_layout *raw)
{
    cohort_cf *cf = &info->cf;
    memset(cf, 0, sizeof *cf);
    cf->scale = 1.0;
    if (info->type == 0 || info->type == COHORT_BYTES)
        return;
    unsigned char bits[COHORT_CF_MISSING_MAX][8];
    double v[2];
    /* Fill and missing values compare bit for bit in the type as stored. */
    if (stored_values(d, "_FillValue", info->type, info->width, 1, bits, &cf->fill) == 1) {
        cf->flags |= COHORT_CF_FILL;
        memcpy(raw->fill, bits[0], 8);
    }
    cf->nmissing = stored_values(d, "missing_value", info->type, info->width, COHORT_CF_MISSING_MAX, raw->missing,
                                 cf->missing);
    if (cf->nmissing > 0)
        cf->flags |= COHORT_CF_MISSING;
    if (cohort_type_is_integer(info->type) && unsigned_of(info->type) != info->type &&
        string_attr_is(d, "_Unsigned", "true")) {
        info->type = unsigned_of(info->type);
        cf->flags |= COHORT_CF_UNSIGNED;
        if (cf->flags & COHORT_CF_FILL)
            cf->fill = stored_double(info->type, raw->fill);
        for (int i = 0; i < cf->nmissing; i++)
            cf->missing[i] = stored_double(info->type, raw->missing[i]);
    }
    if (double_values(d, "valid_range", 2, v)) {
        cf->valid_min = v[0], cf->valid_max = v[1];
        cf->flags |= COHORT_CF_VALID_MIN | COHORT_CF_VALID_MAX;
    } else {
        if (double_values(d, "valid_min", 1, &cf->valid_min))
            cf->flags |= COHORT_CF_VALID_MIN;
        if (double_values(d, "valid_max", 1, &cf->valid_max))
            cf->flags |= COHORT_CF_VALID_MAX;
    }
    if (double_values(d, "scale_factor", 1, &cf->scale))
        cf->flags |= COHORT_CF_SCALE;
    else
        cf->scale = 1.0;
    if (double_values(d, "add_offset", 1, &cf->offset))
        cf->flags |= COHORT_CF_OFFSET;
}

#define CF_MASKS (COHORT_CF_FILL | COHORT_CF_MISSING | COHORT_CF_VALID_MIN | COHORT_CF_VALID_MAX)
#define CF_PACKED (COHORT_CF_SCALE | COHORT_CF_OFFSET)

cohort_type cohort__cf_type(const cohort_cf *cf, cohort_type stored)
{
    if (stored == COHORT_BYTES || stored == 0)
        return stored;
    if (cf->flags & CF_PACKED)
        return COHORT_DOUBLE;
    if ((cf->flags & CF_MASKS) && cohort_type_is_integer(stored))
        return COHORT_DOUBLE;
    return stored;
}

/* Backwards, so that widening in place never overwrites a value not yet read. */
#define CF_DECODE(T)                                                                                                   \
    for (int64_t i = n - 1; i >= 0; i--) {                                                                             \
        T x;                                                                                                           \
        uint64_t b = 0;                                                                                                \
        memcpy(&x, p + (size_t)i * sizeof(T), sizeof x);                                                               \
        memcpy(&b, &x, sizeof x);                                                                                      \
        double y = (double)x;                                                                                          \
        bool miss = (fill_on && b == fill) || (vmin_on && y < vmin) || (vmax_on && y > vmax);                         \
        for (int k = 0; k < nmiss && !miss; k++)                                                                       \
            miss = b == missing[k];                                                                                    \
        if (miss)                                                                                                      \
            y = NAN;                                                                                                   \
        else if (packed) {                                                                                             \
            if (scale_on)                                                                                              \
                y *= scale;                                                                                            \
            if (offset_on)                                                                                             \
                y += offset;                                                                                           \
        }                                                                                                              \
        if (out_float) {                                                                                               \
            float z = (float)y;                                                                                        \
            memcpy(p + (size_t)i * 4, &z, 4);                                                                          \
        } else {                                                                                                       \
            memcpy(p + (size_t)i * 8, &y, 8);                                                                          \
        }                                                                                                              \
    }

void cohort__cf_decode(const cohort_cf *cf, const raw_layout *raw, cohort_type stored, cohort_type out, void *data,
                       int64_t n)
{
    unsigned char *p = data;
    unsigned f = cf->flags;
    bool fill_on = f & COHORT_CF_FILL, vmin_on = f & COHORT_CF_VALID_MIN, vmax_on = f & COHORT_CF_VALID_MAX;
    bool scale_on = f & COHORT_CF_SCALE, offset_on = f & COHORT_CF_OFFSET, packed = f & CF_PACKED;
    bool out_float = out == COHORT_FLOAT;
    int nmiss = f & COHORT_CF_MISSING ? cf->nmissing : 0;
    uint64_t fill = 0, missing[COHORT_CF_MISSING_MAX] = {0};
    size_t w = cohort_type_size(stored);
    memcpy(&fill, raw->fill, w);
    for (int k = 0; k < nmiss; k++)
        memcpy(&missing[k], raw->missing[k], w);
    double vmin = cf->valid_min, vmax = cf->valid_max, scale = cf->scale, offset = cf->offset;
    if (out == stored && !(f & (CF_MASKS | CF_PACKED)))
        return; /* nothing to do */
    switch (stored) {
    case COHORT_INT8: CF_DECODE(int8_t) break;
    case COHORT_INT16: CF_DECODE(int16_t) break;
    case COHORT_INT32: CF_DECODE(int32_t) break;
    case COHORT_INT64: CF_DECODE(int64_t) break;
    case COHORT_UINT8: CF_DECODE(uint8_t) break;
    case COHORT_UINT16: CF_DECODE(uint16_t) break;
    case COHORT_UINT32: CF_DECODE(uint32_t) break;
    case COHORT_UINT64: CF_DECODE(uint64_t) break;
    case COHORT_FLOAT: CF_DECODE(float) break;
    case COHORT_DOUBLE: CF_DECODE(double) break;
    default: break;
    }
}
