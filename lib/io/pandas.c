/*
 * pandas.c — tables that pandas.read_hdf opens.
 *
 * pandas' "table" format (DataFrame.to_hdf(format="table",
 * data_columns=True); pandas/io/pytables.py) is a PyTables Table: a group
 * with pandas' attributes, holding a 1-D dataset "table" whose elements are
 * compounds of an int64 "index" and one member per column.  PyTables keeps
 * Python objects (lists, dicts, None) in attributes as pickles, protocol 0,
 * in fixed-length strings, and unpickles every string attribute that ends
 * in "." -- so lists of column names are written here as protocol-0 pickle
 * text, which needs no Python to produce.  The attributes are exactly the
 * ones pandas 1.5 writes (checked against a file it wrote, in
 * tests/test_pandas_app.py); the optional PyTables indexes (_i_table) are
 * left out, as pandas writes them only to speed up queries.
 */
#include "io.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing text buffer for pickles. */
typedef struct text {
    char *s;
    size_t len, cap;
    bool failed;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = t->failed ? 0 : vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (t->failed || n < 0)
            return (void)(t->failed = true);
        if (t->s && t->len + (size_t)n < t->cap)
            return (void)(t->len += (size_t)n);
        size_t cap = (t->cap + (size_t)n + 64) * 2;
        char *s = realloc(t->s, cap);
        if (s == NULL)
            return (void)(t->failed = true);
        t->s = s, t->cap = cap;
    }
}

/* Pickle opcode V (a str): the UTF-8 name as raw-unicode-escape text, with
 * every character outside printable ASCII, and the backslash, as \uXXXX
 * (a byte that is not UTF-8 stands for itself, as Latin-1). */
static void put_str(text *t, const char *name)
{
    put(t, "V");
    const unsigned char *p = (const unsigned char *)name;
    while (*p) {
        unsigned cp = *p, extra = cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : cp >= 0xC0 ? 1 : 0;
        bool ok = cp < 0x80 || (cp >= 0xC2 && cp < 0xF5);
        for (unsigned k = 1; ok && k <= extra; k++)
            ok = (p[k] & 0xC0) == 0x80;
        if (ok && extra) {
            cp &= 0x3F >> extra;
            for (unsigned k = 1; k <= extra; k++)
                cp = (cp << 6) | (p[k] & 0x3F);
        } else {
            extra = 0;
        }
        p += 1 + extra;
        if (cp >= 0x20 && cp < 0x7F && cp != '\\')
            put(t, "%c", (char)cp);
        else if (cp <= 0xFFFF)
            put(t, "\\u%04x", cp);
        else
            put(t, "\\U%08x", cp);
    }
    put(t, "\n");
}

/* [name, ...] */
static void put_names(text *t, const cohort_column *cols, int ncols)
{
    put(t, "(l");
    for (int j = 0; j < ncols; j++) {
        put_str(t, cols[j].name);
        put(t, "a");
    }
}

/* numpy's name of a column's dtype, which pandas keeps as "<name>_dtype". */
static void dtype_name(const cohort_column *c, char *buf, size_t size)
{
    if (c->type == COHORT_BYTES)
        snprintf(buf, size, "bytes%zu", 8 * c->width);
    else if (cohort_type_is_float(c->type))
        snprintf(buf, size, "float%zu", 8 * cohort_type_size(c->type));
    else
        snprintf(buf, size, "%s", cohort_type_name(c->type));
}

/* A fixed-length string attribute, as PyTables writes them: a pickle in
 * ASCII; a str in UTF-8, which PyTables reads back as str (not bytes). */
static herr_t attr_chars(hid_t obj, const char *name, const char *value, size_t len, bool utf8)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len > 0 ? len : 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    H5Tset_cset(t, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
    hid_t s = H5Screate(H5S_SCALAR);
    if (H5Aexists(obj, name) > 0)
        H5Adelete(obj, name);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, t, len > 0 ? value : "");
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    return rc;
}

static herr_t attr_text(hid_t obj, const char *name, const char *pickle, size_t len)
{
    return attr_chars(obj, name, pickle, len, false);
}

static herr_t attr_str(hid_t obj, const char *name, const char *value)
{
    return attr_chars(obj, name, value, strlen(value), true);
}

static herr_t attr_int64(hid_t obj, const char *name, int64_t v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    if (H5Aexists(obj, name) > 0)
        H5Adelete(obj, name);
    hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_INT64, &v);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    return rc;
}

/* pandas' attributes of the group and the table (pandas/io/pytables.py:
 * Table.set_attrs, IndexCol/DataCol.set_attr). */
static herr_t write_attributes(hid_t g, hid_t d, const cohort_column *cols, int ncols, int64_t total)
{
    herr_t rc = 0;
    /* PyTables decodes string attributes to str (as pandas needs) only in
     * files whose root says they follow its format 2. */
    hid_t root = H5Oopen(g, "/", H5P_DEFAULT);
    rc |= root < 0 ? -1 : attr_str(root, "PYTABLES_FORMAT_VERSION", "2.1");
    rc |= root < 0 ? -1 : attr_str(root, "CLASS", "GROUP");
    rc |= root < 0 ? -1 : attr_str(root, "VERSION", "1.0");
    if (root >= 0)
        H5Oclose(root);
    rc |= attr_str(g, "CLASS", "GROUP");
    rc |= attr_str(g, "VERSION", "1.0");
    rc |= attr_str(g, "pandas_type", "frame_table");
    rc |= attr_str(g, "pandas_version", "0.15.2");
    rc |= attr_str(g, "table_type", "appendable_frame");
    rc |= attr_str(g, "encoding", "UTF-8");
    rc |= attr_str(g, "errors", "strict");
    rc |= attr_str(g, "nan_rep", "nan");
    rc |= attr_int64(g, "levels", 1);
    text t = {0};
    put(&t, "(l(I0\nVindex\nta.");
    rc |= t.failed ? -1 : attr_text(g, "index_cols", t.s, t.len);
    const char *list_attrs[] = {"values_cols", "data_columns"};
    for (int k = 0; k < 2; k++) {
        t.len = 0;
        put_names(&t, cols, ncols);
        put(&t, ".");
        rc |= t.failed ? -1 : attr_text(g, list_attrs[k], t.s, t.len);
    }
    t.len = 0; /* [(1, [names])]: the columns axis */
    put(&t, "(l(I1\n");
    put_names(&t, cols, ncols);
    put(&t, "ta.");
    rc |= t.failed ? -1 : attr_text(g, "non_index_axes", t.s, t.len);
    t.len = 0; /* {1: {"names": [None], "type": "Index"}, "index": {}, name: {}, ...} */
    put(&t, "(dI1\n(dVnames\n(lNasVtype\nVIndex\nssVindex\n(ds");
    for (int j = 0; j < ncols; j++) {
        put_str(&t, cols[j].name);
        put(&t, "(ds");
    }
    put(&t, ".");
    rc |= t.failed ? -1 : attr_text(g, "info", t.s, t.len);

    rc |= attr_str(d, "CLASS", "TABLE");
    rc |= attr_str(d, "VERSION", "2.7");
    rc |= attr_int64(d, "NROWS", total);
    rc |= attr_str(d, "FIELD_0_NAME", "index");
    rc |= attr_str(d, "index_kind", "integer");
    for (int j = 0; j < ncols; j++) {
        char an[COHORT_PATH_MAX + 32], dt[32];
        snprintf(an, sizeof an, "FIELD_%d_NAME", j + 1);
        rc |= attr_str(d, an, cols[j].name);
        t.len = 0;
        put(&t, "(l");
        put_str(&t, cols[j].name);
        put(&t, "a.");
        snprintf(an, sizeof an, "%s_kind", cols[j].name);
        rc |= t.failed ? -1 : attr_text(d, an, t.s, t.len);
        snprintf(an, sizeof an, "%s_meta", cols[j].name);
        rc |= attr_text(d, an, "N.", 2);
        snprintf(an, sizeof an, "%s_dtype", cols[j].name);
        dtype_name(&cols[j], dt, sizeof dt);
        rc |= attr_str(d, an, dt);
    }
    free(t.s);
    return rc;
}

int cohort_output_write_pandas(cohort_ctx *ctx, cohort_output *o, const char *group, const cohort_column *cols,
                               int ncols)
{
    h5_quiet q;
    cohort__h5_quiet_begin(&q);
    cohort__clear_error(ctx);
    double t0 = cohort__now();
    int st = COHORT_OK;
    if (o == NULL || group == NULL || group[0] != '/' || strlen(group) + 8 >= COHORT_PATH_MAX || cols == NULL ||
        ncols < 1)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_output_write_pandas: invalid arguments");
    for (int j = 0; st == COHORT_OK && j < ncols; j++) {
        const cohort_column *c = &cols[j];
        bool dup = false;
        for (int k = 0; k < j; k++)
            dup = dup || strcmp(cols[k].name, c->name) == 0;
        if (c->name == NULL || c->name[0] == '\0' || strcmp(c->name, "index") == 0 || dup ||
            strlen(c->name) > COHORT_PATH_MAX / 2)
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s: a pandas table needs unique column names other than \"index\" (column %d: %s)",
                             cohort__output_path(o), j, c->name ? c->name : "(none)");
        else if (c->count != cols[0].count || (c->count > 0 && c->data == NULL) ||
                 (!cohort_type_is_integer(c->type) && !cohort_type_is_float(c->type) && c->type != COHORT_BYTES))
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s: column %s of a pandas table: unequal length, no data or no type",
                             cohort__output_path(o), c->name);
    }
    /* The same table on every rank. */
    int64_t same[2] = {ncols, 0};
    uint64_t h = 0; /* unsigned: a signed hash overflows with a few columns */
    for (int j = 0; st == COHORT_OK && j < ncols; j++)
        h = h * 31 + (uint64_t)cols[j].type * 7 + (uint64_t)cols[j].width;
    same[1] = (int64_t)(h & INT64_MAX);
    st = cohort__agree_equal(ctx, st, same, 2, "the columns of a pandas table");
    int64_t n = st == COHORT_OK ? cols[0].count : 0, before = 0, total = 0;
    if (st == COHORT_OK)
        st = cohort_scan_int64(ctx, &n, &before, &total, 1);
    if (st != COHORT_OK) {
        cohort__h5_quiet_end(&q);
        return st;
    }

    /* Records: index, then the columns, packed, in this machine's order. */
    size_t *off = calloc((size_t)ncols, sizeof *off), rec = 8;
    hid_t mtype = H5I_INVALID_HID, g = H5I_INVALID_HID, d = H5I_INVALID_HID, dxpl = H5I_INVALID_HID;
    for (int j = 0; off && j < ncols; j++)
        off[j] = rec, rec += cols[j].type == COHORT_BYTES ? cols[j].width : cohort_type_size(cols[j].type);
    if (off == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    if (st == COHORT_OK) {
        mtype = H5Tcreate(H5T_COMPOUND, rec);
        H5Tinsert(mtype, "index", 0, H5T_NATIVE_INT64);
        for (int j = 0; j < ncols; j++) {
            hid_t ct = cohort_type_hdf5(cols[j].type, cols[j].width);
            if (H5Tinsert(mtype, cols[j].name, off[j], ct) < 0)
                st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: column %s of a pandas table", cohort__output_path(o),
                                     cols[j].name);
            H5Tclose(ct);
        }
    }
    st = cohort__agree(ctx, st);
    char tpath[COHORT_PATH_MAX];
    snprintf(tpath, sizeof tpath, "%s/table", strcmp(group, "/") ? group : "");
    if (st == COHORT_OK)
        st = cohort__output_make_groups(ctx, o, group);
    hid_t fid = cohort__output_fid(o);
    if (st == COHORT_OK && (g = H5Oopen(fid, group, H5P_DEFAULT)) < 0)
        st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot open group %s", cohort__output_path(o), group);
    if (st == COHORT_OK && H5Lexists(fid, tpath, H5P_DEFAULT) > 0 && H5Ldelete(fid, tpath, H5P_DEFAULT) < 0)
        st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot replace %s", cohort__output_path(o), tpath);
    if (st == COHORT_OK) {
        /* Chunked and extendible, as PyTables makes its tables: about 1 MiB chunks. */
        hsize_t dims = (hsize_t)total, maxdims = H5S_UNLIMITED;
        hsize_t chunk = (hsize_t)(((size_t)1 << 20) / rec + 1);
        chunk = chunk < dims ? chunk : dims > 0 ? dims : 1;
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_obj_track_times(dcpl, 0);
        H5Pset_chunk(dcpl, 1, &chunk);
        /* Parallel HDF5 allocates the chunks at creation; without fill
         * values nothing is written then, so that a full disk fails the
         * writes on every rank alike, not the creation on one (the others
         * waiting in its barrier). */
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
        hid_t s = H5Screate_simple(1, &dims, &maxdims);
        d = H5Dcreate2(fid, tpath, mtype, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        H5Sclose(s);
        H5Pclose(dcpl);
        if (d < 0)
            st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot create dataset %s", cohort__output_path(o), tpath);
        else if (write_attributes(g, d, cols, ncols, total) < 0)
            st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot write pandas' attributes of %s",
                                 cohort__output_path(o), group);
    }
    st = cohort__agree(ctx, st);
    if (st == COHORT_ERR_IO) /* a full disk: room for the metadata before HDF5 writes more */
        cohort__output_give_up(ctx, o);
    /* Each rank its rows, independently, a staged piece at a time. */
    int64_t piece = (int64_t)(COHORT_IO_STAGE_BYTES / rec);
    piece = piece > 0 ? piece : 1;
    unsigned char *stage = NULL;
    size_t stage_bytes = n > 0 ? (size_t)(n < piece ? n : piece) * rec : 0;
    if (st == COHORT_OK && stage_bytes)
        st = cohort__alloc(ctx, stage_bytes, "pandas table staging buffer", (void **)&stage);
    if (st == COHORT_OK) {
        dxpl = H5Pcreate(H5P_DATASET_XFER);
        H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_INDEPENDENT);
    }
    for (int64_t at = 0; st == COHORT_OK && at < n; at += piece) {
        int64_t m = n - at < piece ? n - at : piece;
        for (int64_t i = 0; i < m; i++) {
            int64_t index = before + at + i;
            memcpy(stage + (size_t)i * rec, &index, 8);
        }
        cohort__columns_to_records(stage, rec, 8, cols, ncols, at, m);
        if (cohort__h5_transfer(d, mtype, dxpl, before + at, m, 1, stage, true) < 0)
            st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot write rows %lld..%lld of %s", cohort__output_path(o),
                                 (long long)(before + at), (long long)(before + at + m), tpath);
        cohort__progress(ctx, "write", (double)(at + m), (double)n, "rows");
    }
    cohort__free(ctx, stage, stage_bytes);
    st = cohort__agree(ctx, st);
    if (st == COHORT_ERR_IO)
        cohort__output_give_up(ctx, o);
    if (dxpl >= 0)
        H5Pclose(dxpl);
    if (d >= 0 && H5Dclose(d) < 0 && st == COHORT_OK)
        st = cohort__h5_fail(ctx, COHORT_ERR_IO, "%s: cannot close %s", cohort__output_path(o), tpath);
    if (g >= 0)
        H5Oclose(g);
    if (mtype >= 0)
        H5Tclose(mtype);
    free(off);
    st = cohort__agree(ctx, st);
    cohort__phase_add(ctx, COHORT_PHASE_WRITE, t0);
    cohort__h5_quiet_end(&q);
    return st;
}
