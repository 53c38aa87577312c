/*
 * test_io.c — the HDF5 layer against fixtures written by h5py, pandas and
 * netCDF4 (tests/fixtures.py): every supported type, byte order, layout,
 * filter and link; compound members; 2-D tables; partitioned file sets;
 * streaming; the errors users meet; and atomic writes.  At every rank
 * count each rank's rows must equal the formula the fixture was written
 * with, i.e. what a serial read gives.
 */
#include "harness.h"

#include <cohort_io.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *FX;

static bool setup(void)
{
    FX = t_fixtures();
    return FX != NULL;
}

static const char *ref(const char *file, const char *rest)
{
    static char buf[2][2048];
    static int k;
    k ^= 1;
    snprintf(buf[k], sizeof buf[k], "%s/%s%s", FX, file, rest);
    return buf[k];
}

static double get(const cohort_column *c, int64_t k)
{
    switch (c->type) {
    case COHORT_INT8: return ((int8_t *)c->data)[k];
    case COHORT_INT16: return ((int16_t *)c->data)[k];
    case COHORT_INT32: return ((int32_t *)c->data)[k];
    case COHORT_INT64: return (double)((int64_t *)c->data)[k];
    case COHORT_UINT8: return ((uint8_t *)c->data)[k];
    case COHORT_UINT16: return ((uint16_t *)c->data)[k];
    case COHORT_UINT32: return ((uint32_t *)c->data)[k];
    case COHORT_UINT64: return (double)((uint64_t *)c->data)[k];
    case COHORT_FLOAT: return ((float *)c->data)[k];
    case COHORT_DOUBLE: return ((double *)c->data)[k];
    default: return NAN;
    }
}

typedef double (*formula)(int64_t i, int j);

/* Read @r's partition at this rank count and compare every value. */
static void check_read(const char *r, cohort_type type, int ncols, int64_t rows, formula f)
{
    cohort_input *in = NULL;
    cohort_table *t = NULL;
    int st = cohort_input_open(T_ctx, r, &in);
    CU_ASSERT_EQUAL(st, COHORT_OK);
    if (st != COHORT_OK) {
        if (T_rank == 0)
            fprintf(stderr, "open %s: %s\n", r, cohort_errmsg(T_ctx));
        return;
    }
    CU_ASSERT_EQUAL(cohort_input_type(in), type);
    CU_ASSERT_EQUAL(cohort_input_ncols(in), ncols);
    CU_ASSERT_EQUAL(cohort_input_rows(in), rows);
    st = cohort_input_read_partition(T_ctx, in, &t);
    CU_ASSERT_EQUAL(st, COHORT_OK);
    if (st == COHORT_OK) {
        int64_t begin, count, bad = 0;
        cohort_partition(rows, T_size, T_rank, &begin, &count);
        CU_ASSERT_EQUAL(cohort_table_rows(t), count);
        for (int j = 0; j < ncols; j++) {
            cohort_column c = cohort_table_column(t, j);
            for (int64_t k = 0; k < count; k++)
                bad += get(&c, k) != f(begin + k, j);
        }
        CU_ASSERT_EQUAL(bad, 0);
    }
    cohort_table_destroy(&t);
    cohort_input_close(&in);
}

static double f_x(int64_t i, int j) { return (double)i * 0.5 - 3; }
static double f_signed(int64_t i, int j) { return (double)(i % 100) - 50; }
static double f_unsigned(int64_t i, int j) { return (double)(i % 200); }
static double f_quarter(int64_t i, int j) { return (double)i * 0.25; }
static double f_index(int64_t i, int j) { return (double)i; }
static double f_neg(int64_t i, int j) { return -(double)i; }
static double f_twice(int64_t i, int j) { return 2.0 * (double)i; }
static double f_flag(int64_t i, int j) { return i % 3 == 0; }
static double f_m(int64_t i, int j) { return (double)i * 10 + j; }
static double f_raw(int64_t i, int j) { return (double)i * 3 + j; }
static double f_tiny(int64_t i, int j) { return (double)(7 + i); }
static double f_half_index(int64_t i, int j) { return (double)(float)((double)i * 0.5); }

static void test_ref_parse(void)
{
    char f[64], d[64], m[64];
    CU_ASSERT_EQUAL(cohort_ref_parse("a.h5:/x/y#col", f, d, m, 64), COHORT_OK);
    CU_ASSERT_STRING_EQUAL(f, "a.h5");
    CU_ASSERT_STRING_EQUAL(d, "/x/y");
    CU_ASSERT_STRING_EQUAL(m, "col");
    CU_ASSERT_EQUAL(cohort_ref_parse("run/part-*.h5:/x", f, d, m, 64), COHORT_OK);
    CU_ASSERT_STRING_EQUAL(f, "run/part-*.h5");
    CU_ASSERT_STRING_EQUAL(d, "/x");
    CU_ASSERT_STRING_EQUAL(m, "");
    CU_ASSERT_EQUAL(cohort_ref_parse("file.h5", f, d, m, 64), COHORT_OK);
    CU_ASSERT_STRING_EQUAL(f, "file.h5");
    CU_ASSERT_STRING_EQUAL(d, "");
    CU_ASSERT_EQUAL(cohort_ref_parse("f.h5:/g/", f, d, m, 64), COHORT_OK);
    CU_ASSERT_STRING_EQUAL(d, "/g");
    CU_ASSERT_EQUAL(cohort_ref_parse(":/x", f, d, m, 64), COHORT_ERR_ARG);
    CU_ASSERT_EQUAL(cohort_ref_parse("f.h5:/x#", f, d, m, 64), COHORT_ERR_ARG);
    CU_ASSERT_EQUAL(cohort_ref_parse("a-very-long-file-name.h5:/x", f, d, m, 8), COHORT_ERR_ARG);
    /* h5dump's spelling: the path after the last ':' is from the root. */
    CU_ASSERT_EQUAL(cohort_ref_parse("a.h5:x/y#col", f, d, m, 64), COHORT_OK);
    CU_ASSERT_STRING_EQUAL(f, "a.h5");
    CU_ASSERT_STRING_EQUAL(d, "/x/y");
    CU_ASSERT_STRING_EQUAL(m, "col");
    CU_ASSERT_EQUAL(cohort_ref_parse("a.h5:", f, d, m, 64), COHORT_OK);
    CU_ASSERT_STRING_EQUAL(f, "a.h5");
    CU_ASSERT_STRING_EQUAL(d, "");
    /* h5ls's spelling: split where a prefix is an existing file. */
    char dir[] = "/tmp/cohort-ref-XXXXXX", file[96], ref[128];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/d.h5", dir);
    FILE *fp = fopen(file, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fclose(fp);
    snprintf(ref, sizeof ref, "%s/events/key", file);
    CU_ASSERT_EQUAL(cohort_ref_parse(ref, f, d, m, 64), COHORT_OK);
    CU_ASSERT_STRING_EQUAL(f, file);
    CU_ASSERT_STRING_EQUAL(d, "/events/key");
    snprintf(ref, sizeof ref, "%s/none.h5/x", dir); /* no prefix is a file: all of it is the file */
    CU_ASSERT_EQUAL(cohort_ref_parse(ref, f, d, m, 64), COHORT_OK);
    CU_ASSERT_STRING_EQUAL(f, ref);
    CU_ASSERT_STRING_EQUAL(d, "");
    remove(file);
    rmdir(dir);
}

static void test_hdf5_mapping(void)
{
    static const struct {
        cohort_type t;
        hid_t native;
    } map[] = {{COHORT_INT8, 0}, {COHORT_INT16, 0}, {COHORT_INT32, 0}, {COHORT_INT64, 0}, {COHORT_UINT8, 0},
               {COHORT_UINT16, 0}, {COHORT_UINT32, 0}, {COHORT_UINT64, 0}, {COHORT_FLOAT, 0}, {COHORT_DOUBLE, 0}};
    hid_t natives[] = {H5T_NATIVE_INT8, H5T_NATIVE_INT16, H5T_NATIVE_INT32, H5T_NATIVE_INT64, H5T_NATIVE_UINT8,
                       H5T_NATIVE_UINT16, H5T_NATIVE_UINT32, H5T_NATIVE_UINT64, H5T_NATIVE_FLOAT, H5T_NATIVE_DOUBLE};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        hid_t t = cohort_type_hdf5(map[i].t, 0);
        CU_ASSERT(H5Tequal(t, natives[i]) > 0);
        CU_ASSERT_EQUAL(H5Tget_size(t), cohort_type_size(map[i].t));
        H5Tclose(t);
    }
    hid_t s = cohort_type_hdf5(COHORT_BYTES, 12);
    CU_ASSERT_EQUAL(H5Tget_class(s), H5T_STRING);
    CU_ASSERT_EQUAL(H5Tget_size(s), 12);
    CU_ASSERT_EQUAL(H5Tget_strpad(s), H5T_STR_NULLPAD);
    H5Tclose(s);
    CU_ASSERT(cohort_type_hdf5(COHORT_BYTES, 0) < 0);
    CU_ASSERT(cohort_type_hdf5((cohort_type)99, 0) < 0);
}

static void test_types(void)
{
    static const struct {
        const char *name;
        cohort_type t;
        formula f;
    } cases[] = {
        {"i8_le", COHORT_INT8, f_signed},      {"u8_le", COHORT_UINT8, f_unsigned},
        {"i16_le", COHORT_INT16, f_signed},    {"i16_be", COHORT_INT16, f_signed},
        {"u16_le", COHORT_UINT16, f_unsigned}, {"u16_be", COHORT_UINT16, f_unsigned},
        {"i32_le", COHORT_INT32, f_signed},    {"i32_be", COHORT_INT32, f_signed},
        {"u32_le", COHORT_UINT32, f_unsigned}, {"u32_be", COHORT_UINT32, f_unsigned},
        {"i64_le", COHORT_INT64, f_signed},    {"i64_be", COHORT_INT64, f_signed},
        {"u64_le", COHORT_UINT64, f_unsigned}, {"u64_be", COHORT_UINT64, f_unsigned},
        {"f32_le", COHORT_FLOAT, f_quarter},   {"f32_be", COHORT_FLOAT, f_quarter},
        {"f64_le", COHORT_DOUBLE, f_quarter},  {"f64_be", COHORT_DOUBLE, f_quarter},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char rest[64];
        snprintf(rest, sizeof rest, ":/%s", cases[k].name);
        check_read(ref("types.h5", rest), cases[k].t, 1, 1003, cases[k].f);
    }
    check_read(ref("plain.h5", ":/x"), COHORT_DOUBLE, 1, 1003, f_x);
    check_read(ref("plain.h5", ":/flag"), COHORT_INT8, 1, 1003, f_flag); /* h5py bool: enum over int8 */
    /* N-D: the values in row-major order, each rank's range a few hyperslabs */
    check_read(ref("plain.h5", ":/cube"), COHORT_DOUBLE, 1, 105, f_index);
    check_read(ref("plain.h5", ":/nd4"), COHORT_INT32, 1, 420, f_index); /* chunked, gzip */
}

static void test_layouts_and_links(void)
{
    check_read(ref("layout.h5", ":/data/gz"), COHORT_INT32, 1, 1003, f_index);  /* gzip+shuffle+fletcher32 */
    check_read(ref("layout.h5", ":/data/szip"), COHORT_INT64, 1, 1003, f_index);
    check_read(ref("layout.h5", ":/ext"), COHORT_DOUBLE, 1, 1003, f_twice);     /* extendible */
    check_read(ref("layout.h5", ":/a/b/c/x"), COHORT_INT64, 1, 1003, f_neg);    /* nested groups */
    check_read(ref("layout.h5", ":/soft"), COHORT_INT64, 1, 1003, f_neg);
    check_read(ref("layout.h5", ":/hard"), COHORT_INT64, 1, 1003, f_neg);
    check_read(ref("layout.h5", ":/elink"), COHORT_DOUBLE, 1, 1003, f_x);      /* external link */
    check_read(ref("plain.h5", ":/compact"), COHORT_INT32, 1, 50, f_index);
    check_read(ref("plain.h5", ":/tiny"), COHORT_INT16, 1, 3, f_tiny);          /* more ranks than rows */
    check_read(ref("plain.h5", ":/empty"), COHORT_DOUBLE, 1, 0, f_index);       /* zero rows */
    check_read(ref("netcdf.nc", ":/temp"), COHORT_FLOAT, 1, 1003, f_half_index); /* netCDF-4 */
}

static void test_tables(void)
{
    check_read(ref("matrix.h5", ":/m"), COHORT_DOUBLE, 5, 1003, f_m);
    check_read(ref("matrix.h5", ":/raw"), COHORT_INT32, 3, 1003, f_raw); /* big-endian, chunked 2-D */
    check_read(ref("pandas.h5", ":/df/table#a"), COHORT_INT64, 1, 1003, f_index);
    check_read(ref("pandas.h5", ":/df/table#b"), COHORT_DOUBLE, 1, 1003, f_quarter);

    cohort_input *in = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, ref("matrix.h5", ":/m"), &in), COHORT_OK);
    CU_ASSERT_STRING_EQUAL(cohort_input_column_name(in, 0), "a");
    CU_ASSERT_STRING_EQUAL(cohort_input_column_name(in, 4), "e");
    CU_ASSERT_PTR_NULL(cohort_input_column_name(in, 5));
    cohort_input_close(&in);
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, ref("matrix.h5", ":/raw"), &in), COHORT_OK);
    CU_ASSERT_STRING_EQUAL(cohort_input_column_name(in, 2), "c2");
    cohort_input_close(&in);
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, ref("pandas.h5", ":/df/table#b"), &in), COHORT_OK);
    CU_ASSERT_STRING_EQUAL(cohort_input_column_name(in, 0), "b");
    cohort_input_close(&in);
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, ref("plain.h5", ":/x"), &in), COHORT_OK);
    CU_ASSERT_STRING_EQUAL(cohort_input_column_name(in, 0), "x");
    cohort_input_close(&in);
}

/* Reads of many staging pieces and conversion tiles, whose boundaries fall
 * mid-chunk and mid-tile: every layout's values (fixtures.py, pieces.h5). */
static void test_pieces(void)
{
    const int64_t big = 400009;
    check_read(ref("pieces.h5", ":/m"), COHORT_DOUBLE, 5, big, f_m);
    check_read(ref("pieces.h5", ":/raw"), COHORT_INT32, 3, big, f_raw); /* big-endian, chunked 2-D */
    check_read(ref("pieces.h5", ":/z"), COHORT_INT64, 1, big, f_index); /* gzip + shuffle */
    check_read(ref("pieces.h5", ":/df/table#a"), COHORT_INT64, 1, big, f_index);
    check_read(ref("pieces.h5", ":/df/table#b"), COHORT_DOUBLE, 1, big, f_quarter);
    check_read(ref("pieces.h5", ":/rec#a"), COHORT_INT32, 1, big, f_index); /* big-endian, in whole records */
    check_read(ref("pieces.h5", ":/rec#b"), COHORT_DOUBLE, 1, big, f_quarter);
    check_read(ref("pieces.h5", ":/vrec#a"), COHORT_INT64, 1, big, f_index); /* beside a variable-length string */

    /* And written: columns into row-major records over many pieces, read back. */
    int64_t begin, count;
    cohort_partition(big, T_size, T_rank, &begin, &count);
    int32_t *m = malloc((size_t)count * 3 * sizeof *m + 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    cohort_column cm[3];
    for (int j = 0; j < 3; j++) {
        for (int64_t k = 0; k < count; k++)
            m[(size_t)j * (size_t)count + (size_t)k] = (int32_t)f_raw(begin + k, j);
        cm[j] = cohort_column_make(NULL, COHORT_INT32, count, m + (size_t)j * (size_t)count);
    }
    const char *file = t_path(t_tmpdir(), "pieces-out.h5");
    char r[2048];
    snprintf(r, sizeof r, "%s:/m", file);
    cohort_output *out = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_output_open(T_ctx, file, COHORT_OUTPUT_FORCE, NULL, NULL, &out), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_output_write(T_ctx, out, "/m", cm, 3, NULL), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_output_close(T_ctx, &out, 1), COHORT_OK);
    check_read(r, COHORT_INT32, 3, big, f_raw);
    free(m);
}

/* Strings: a fixed-length dataset and a string member of a pandas table. */
static void test_strings(void)
{
    cohort_input *in = NULL;
    cohort_table *t = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, ref("plain.h5", ":/s"), &in), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_input_type(in), COHORT_BYTES);
    CU_ASSERT_EQUAL(cohort_input_width(in), 8);
    CU_ASSERT_EQUAL(cohort_input_read_partition(T_ctx, in, &t), COHORT_OK);
    int64_t begin, count, bad = 0;
    cohort_partition(1003, T_size, T_rank, &begin, &count);
    cohort_column c = cohort_table_column(t, 0);
    for (int64_t k = 0; t && k < count; k++) {
        char expect[8] = {0};
        snprintf(expect, sizeof expect, "k%03d", (int)((begin + k) % 1000));
        bad += memcmp((char *)c.data + 8 * k, expect, 8) != 0;
    }
    CU_ASSERT_EQUAL(bad, 0);
    cohort_table_destroy(&t);
    cohort_input_close(&in);

    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, ref("pandas.h5", ":/df/table#s"), &in), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_input_type(in), COHORT_BYTES);
    CU_ASSERT_EQUAL(cohort_input_read_partition(T_ctx, in, &t), COHORT_OK);
    c = cohort_table_column(t, 0);
    size_t w = c.width;
    bad = 0;
    for (int64_t k = 0; t && k < count; k++) {
        char expect[16] = {0};
        snprintf(expect, sizeof expect, "k%d", (int)((begin + k) % 7));
        bad += strncmp((char *)c.data + w * (size_t)k, expect, w) != 0;
    }
    CU_ASSERT_EQUAL(bad, 0);
    cohort_table_destroy(&t);
    cohort_input_close(&in);
}

/* Rows [begin, begin + count) of a column of fixed-width strings equal
 * @want(row), zero-padded to the column's width. */
static int64_t strings_differ(cohort_column c, int64_t begin, int64_t count, void (*want)(int64_t, char *))
{
    int64_t bad = 0;
    char *expect = calloc(c.width + 64, 1);
    for (int64_t k = 0; k < count; k++) {
        memset(expect, 0, c.width + 64);
        want(begin + k, expect);
        bad += memcmp((char *)c.data + c.width * (size_t)k, expect, c.width) != 0;
    }
    free(expect);
    return bad;
}

static void expect_error(const char *r, int code, const char *needle1, const char *needle2);

static void want_vs(int64_t i, char *s) { sprintf(s, "%.*s%d", (int)(i % 11), "vvvvvvvvvv", (int)i); }
static void want_vset(int64_t i, char *s) { sprintf(s, i < 150 ? "s%d" : "long-string-%d", (int)i); }

/* Variable-length strings: measured, then read at the longest one's width,
 * zero-padded; as a dataset, a compound member and over a set of files;
 * one longer than the limit is an error naming the row. */
static void test_vlen_strings(void)
{
    const char *refs[] = {":/vs", ":/vt#name"};
    for (int r = 0; r < 2; r++) {
        cohort_input *in = NULL;
        cohort_table *t = NULL;
        CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, ref("plain.h5", refs[r]), &in), COHORT_OK);
        CU_ASSERT_EQUAL(cohort_input_type(in), COHORT_BYTES);
        CU_ASSERT_EQUAL(cohort_input_width(in), 14); /* row 1000: 1000 % 11 = 10 v's, then "1000" */
        CU_ASSERT_EQUAL(cohort_input_read_partition(T_ctx, in, &t), COHORT_OK);
        int64_t begin, count;
        cohort_partition(1003, T_size, T_rank, &begin, &count);
        CU_ASSERT_EQUAL(t ? strings_differ(cohort_table_column(t, 0), begin, count, want_vs) : -1, 0);
        cohort_table_destroy(&t);
        cohort_input_close(&in);
    }
    cohort_input *in = NULL;
    cohort_table *t = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, ref("vset-*.h5", ":/s"), &in), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_input_width(in), 15); /* long-string-399 */
    CU_ASSERT_EQUAL(cohort_input_read_partition(T_ctx, in, &t), COHORT_OK);
    int64_t begin, count;
    cohort_partition(400, T_size, T_rank, &begin, &count);
    CU_ASSERT_EQUAL(t ? strings_differ(cohort_table_column(t, 0), begin, count, want_vset) : -1, 0);
    cohort_table_destroy(&t);
    cohort_input_close(&in);
    /* Row 5 ("vvvvv5") is the first longer than 5 bytes. */
    setenv("COHORT_STRING_WIDTH_MAX", "5", 1);
    expect_error(ref("plain.h5", ":/vs"), COHORT_ERR_SIZE, "plain.h5", "row 5 of /vs holds a string of 6 bytes");
    setenv("COHORT_STRING_WIDTH_MAX", "five", 1);
    expect_error(ref("plain.h5", ":/vs"), COHORT_ERR_ARG, "COHORT_STRING_WIDTH_MAX=five", "byte count");
    unsetenv("COHORT_STRING_WIDTH_MAX");
}

/* A glob: files in byte order of their names, a file of zero rows, ranges across files. */
static void test_file_sets(void)
{
    check_read(ref("part-*.h5", ":/x"), COHORT_INT64, 1, 1003, f_index);
    cohort_input *in = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, ref("part-*.h5", ":/x"), &in), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_input_nfiles(in), 4);
    /* Every rank reads an arbitrary range that crosses files. */
    int64_t begin = 250 + 37 * T_rank, count = 500, bad = 0;
    int64_t *buf = malloc(500 * sizeof *buf);
    cohort_column col = cohort_column_make("x", COHORT_INT64, 0, buf);
    CU_ASSERT_EQUAL(cohort_input_read(T_ctx, in, begin, count, &col), COHORT_OK);
    CU_ASSERT_EQUAL(col.count, 500);
    for (int64_t k = 0; k < count; k++)
        bad += buf[k] != begin + k;
    CU_ASSERT_EQUAL(bad, 0);
    /* Out of range on one rank: an argument error everywhere. */
    CU_ASSERT_EQUAL(cohort_input_read(T_ctx, in, T_rank == T_size - 1 ? 900 : 0, 200, &col), COHORT_ERR_ARG);
    free(buf);
    cohort_input_close(&in);

    /* Files whose element types differ (float32 and float64) cannot be concatenated. */
    CU_ASSERT_EQUAL(cohort_input_open(T_ctx, ref("part-*.h5", ":/y"), &in), COHORT_ERR_TYPE);
    CU_ASSERT_PTR_NULL(in);
    CU_ASSERT_PTR_NOT_NULL(strstr(cohort_errmsg(T_ctx), "part-3.h5"));
}

/* Streaming: blocks cover the partition exactly once, in order, with the
 * same number of calls on every rank. */
static void check_stream(const char *r, size_t block_bytes)
{
    cohort_input *in = NULL;
    cohort_stream *s = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, r, &in), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_stream_open(T_ctx, in, block_bytes, &s), COHORT_OK);
    int64_t begin, count, seen = 0, bad = 0, calls = 0;
    cohort_partition(cohort_input_rows(in), T_size, T_rank, &begin, &count);
    for (;;) {
        const cohort_column *cols;
        int64_t rows, first;
        int done;
        int st = cohort_stream_next(s, &cols, &rows, &first, &done);
        CU_ASSERT_EQUAL(st, COHORT_OK);
        if (st != COHORT_OK || done)
            break;
        calls++;
        size_t limit = block_bytes ? block_bytes : COHORT_STREAM_BLOCK_BYTES;
        CU_ASSERT(rows * (int64_t)cohort_input_width(in) <= (int64_t)limit || rows == 1);
        if (rows > 0)
            CU_ASSERT_EQUAL(first, begin + seen);
        for (int64_t k = 0; k < rows; k++)
            bad += get(&cols[0], k) != (double)(begin + seen + k);
        seen += rows;
    }
    CU_ASSERT_EQUAL(seen, count);
    CU_ASSERT_EQUAL(bad, 0);
    int64_t mx = calls, mn = calls;
    MPI_Allreduce(MPI_IN_PLACE, &mx, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, &mn, 1, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
    CU_ASSERT_EQUAL(mx, mn);
    cohort_stream_close(&s);
    cohort_input_close(&in);
}

static void test_stream(void)
{
    check_stream(ref("layout.h5", ":/data/gz"), 7 * 4);   /* 7 rows a block, compressed chunks */
    check_stream(ref("part-*.h5", ":/x"), 64 * 8);        /* blocks across files */
    check_stream(ref("layout.h5", ":/data/szip"), 1);     /* one row a block */
    check_stream(ref("layout.h5", ":/data/gz"), 0);       /* default block size */
    check_stream(ref("plain.h5", ":/empty"), 100);
}

/* A bad input: the same code and message on every rank, naming file, dataset and cause. */
static void expect_error(const char *r, int code, const char *needle1, const char *needle2)
{
    cohort_input *in = NULL;
    int st = cohort_input_open(T_ctx, r, &in);
    CU_ASSERT_EQUAL(st, code);
    CU_ASSERT_PTR_NULL(in);
    const char *msg = cohort_errmsg(T_ctx);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, needle1));
    if (needle2)
        CU_ASSERT_PTR_NOT_NULL(strstr(msg, needle2));
    if (st != code || !strstr(msg, needle1) || (needle2 && !strstr(msg, needle2)))
        fprintf(stderr, "rank %d: %s -> %d '%s'\n", T_rank, r, st, msg);
    /* The same text everywhere. */
    char first[1024];
    snprintf(first, sizeof first, "%s", msg);
    MPI_Bcast(first, sizeof first, MPI_CHAR, 0, MPI_COMM_WORLD);
    CU_ASSERT_STRING_EQUAL(first, msg);
    cohort_input_close(&in);
}

static void test_errors(void)
{
    expect_error(ref("nope.h5", ":/x"), COHORT_ERR_NOTFOUND, "nope.h5", "No such file");
    expect_error(ref("nope-*.h5", ":/x"), COHORT_ERR_NOTFOUND, "nope-*.h5", "no file matches");
    expect_error(ref("not_hdf5.h5", ":/x"), COHORT_ERR_IO, "not_hdf5.h5", "not an HDF5 file");
    expect_error(ref("plain.h5", ":/missing"), COHORT_ERR_NOTFOUND, "plain.h5", "/missing");
    expect_error(ref("plain.h5", ":/grp"), COHORT_ERR_NOTFOUND, "/grp", "group");
    expect_error(ref("layout.h5", ":/dangling"), COHORT_ERR_NOTFOUND, "layout.h5", "/dangling");
    expect_error(ref("plain.h5", ":/half"), COHORT_ERR_TYPE, "/half", "float16");
    expect_error(ref("plain.h5", ":/scalar"), COHORT_ERR_SIZE, "/scalar", "a scalar");
    expect_error(ref("plain.h5", ":/x#a"), COHORT_ERR_TYPE, "/x", "not a compound");
    expect_error(ref("pandas.h5", ":/df/table"), COHORT_ERR_TYPE, "/df/table", "members: index, a, b, s");
    expect_error(ref("pandas.h5", ":/df/table#zz"), COHORT_ERR_NOTFOUND, "no member 'zz'", "members: index");
    expect_error(ref("missing_filter.h5", ":/x"), COHORT_ERR_IO, "missing_filter.h5", "filter 200");
    expect_error(ref("mixed-*.h5", ":/x"), COHORT_ERR_TYPE, "mixed-2.h5", "float64");
    expect_error(ref("plain.h5", ""), COHORT_ERR_ARG, "plain.h5", "names no dataset");
    /* A misspelt transfer mode fails; the mode this run set is restored. */
    const char *set = getenv("COHORT_HDF5_XFER");
    char *was = set ? strdup(set) : NULL;
    setenv("COHORT_HDF5_XFER", "colective", 1);
    expect_error(ref("plain.h5", ":/x"), COHORT_ERR_ARG, "COHORT_HDF5_XFER=colective", "collective or independent");
    if (was)
        setenv("COHORT_HDF5_XFER", was, 1);
    else
        unsetenv("COHORT_HDF5_XFER");
    free(was);
    /* MPI-IO hints: malformed ones fail reads and writes alike; good ones are taken. */
    setenv("COHORT_MPIIO_HINTS", "cb_nodes=1,striping_factor", 1);
    expect_error(ref("plain.h5", ":/x"), COHORT_ERR_ARG, "COHORT_MPIIO_HINTS=cb_nodes=1,striping_factor", "key=value");
    cohort_output *out = NULL;
    CU_ASSERT_EQUAL(cohort_output_open(T_ctx, t_path(t_tmpdir(), "hints.h5"), COHORT_OUTPUT_FORCE, NULL, NULL, &out),
                    COHORT_ERR_ARG);
    CU_ASSERT_PTR_NULL(out);
    setenv("COHORT_MPIIO_HINTS", "cb_nodes=1; romio_cb_read=disable  striping_unit=1048576", 1);
    cohort_input *in = NULL;
    CU_ASSERT_EQUAL(cohort_input_open(T_ctx, ref("plain.h5", ":/x"), &in), COHORT_OK);
    cohort_input_close(&in);
    unsetenv("COHORT_MPIIO_HINTS");
}

/* One rank's bad reference: every rank gets that rank's error, nobody hangs. */
static void test_error_on_one_rank(void)
{
    cohort_input *in = NULL;
    /* The reference must be equal on every rank; here it is not, on purpose,
     * as an input that only one rank can see fails in the same way. */
    int st = cohort_input_open(T_ctx, T_rank == T_size - 1 ? ref("plain.h5", ":/half") : ref("plain.h5", ":/x"), &in);
    if (T_size > 1) {
        /* Rank 0 inspects the only file, so rank 0's view decides: x is fine. */
        CU_ASSERT_EQUAL(st, COHORT_OK);
    } else {
        CU_ASSERT_EQUAL(st, COHORT_ERR_TYPE);
    }
    cohort_input_close(&in);
    /* A memory budget too small for the partition on rank 0 only. */
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, ref("plain.h5", ":/x"), &in), COHORT_OK);
    cohort_table *t = NULL;
    if (T_rank == 0)
        cohort_ctx_set_memory_budget(T_ctx, 64);
    CU_ASSERT_EQUAL(cohort_input_read_partition(T_ctx, in, &t), COHORT_ERR_BUDGET);
    CU_ASSERT_PTR_NULL(t);
    CU_ASSERT_PTR_NOT_NULL(strstr(cohort_errmsg(T_ctx), "rank 0: "));
    cohort_ctx_set_memory_budget(T_ctx, 0);
    cohort_input_close(&in);
}

/* ---- writing --------------------------------------------------------------- */

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* No temporary file left beside the outputs. */
static int stray_temporaries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d))
        n += strstr(e->d_name, ".cohort-") != NULL;
    if (d)
        closedir(d);
    return n;
}

/* Each rank writes rows of a known formula; more ranks than rows on the last
 * rank count (rank r writes r % 3 == 2 ? 0 : r + 2 rows). */
static int64_t my_rows(int r) { return r % 3 == 2 ? 0 : r + 2; }

static void write_and_check(const char *file, cohort_output_mode mode, const cohort_write_options *opts)
{
    int64_t n = my_rows(T_rank), before = 0, total = 0;
    for (int r = 0; r < T_size; r++) {
        before += r < T_rank ? my_rows(r) : 0;
        total += my_rows(r);
    }
    double *x = malloc((size_t)n * sizeof *x + 8);
    int32_t *m = malloc((size_t)n * 3 * sizeof *m + 8);
    char *s = malloc((size_t)n * 5 + 1);
    for (int64_t k = 0; k < n; k++) {
        x[k] = (double)(before + k) * 1.5;
        for (int j = 0; j < 3; j++)
            m[(size_t)j * (size_t)n + (size_t)k] = (int32_t)((before + k) * 3 + j);
        snprintf(s + 5 * k, 6, "s%04d", (int)(before + k));
    }
    cohort_column cx = cohort_column_make("x", COHORT_DOUBLE, n, x);
    cohort_column cm[3], cs = cohort_column_make_bytes("s", 5, n, s);
    for (int j = 0; j < 3; j++)
        cm[j] = cohort_column_make(NULL, COHORT_INT32, n, m + (size_t)j * (size_t)n);
    cohort_output *out = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_output_open(T_ctx, file, mode, "test_io write", "inputs here", &out), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_output_write(T_ctx, out, "/g/x", &cx, 1, opts), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_output_write(T_ctx, out, "/g/m", cm, 3, opts), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_output_write(T_ctx, out, "/g/s", &cs, 1, opts), COHORT_OK);
    int64_t attr[2] = {7, 9};
    CU_ASSERT_EQUAL(cohort_output_write_attr(T_ctx, out, "/g", "sizes", COHORT_INT64, 0, 2, attr), COHORT_OK);
    CU_ASSERT_FALSE(exists(file) && mode == COHORT_OUTPUT_CREATE); /* not under its name before the end */
    CU_ASSERT_EQUAL(cohort_output_close(T_ctx, &out, 1), COHORT_OK);
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT(exists(file));

    /* Read it back through the reader: every value, at this rank count. */
    char r[2048];
    snprintf(r, sizeof r, "%s:/g/x", file);
    cohort_input *in = NULL;
    cohort_table *t = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, r, &in), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_input_rows(in), total);
    CU_ASSERT_EQUAL(cohort_input_read_partition(T_ctx, in, &t), COHORT_OK);
    int64_t b, c, bad = 0;
    cohort_partition(total, T_size, T_rank, &b, &c);
    for (int64_t k = 0; t && k < c; k++)
        bad += ((double *)cohort_table_column(t, 0).data)[k] != (double)(b + k) * 1.5;
    CU_ASSERT_EQUAL(bad, 0);
    cohort_table_destroy(&t);
    cohort_input_close(&in);
    snprintf(r, sizeof r, "%s:/g/m", file);
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, r, &in), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_input_ncols(in), 3);
    CU_ASSERT_EQUAL(cohort_input_read_partition(T_ctx, in, &t), COHORT_OK);
    bad = 0;
    for (int j = 0; t && j < 3; j++)
        for (int64_t k = 0; k < c; k++)
            bad += ((int32_t *)cohort_table_column(t, j).data)[k] != (b + k) * 3 + j;
    CU_ASSERT_EQUAL(bad, 0);
    cohort_table_destroy(&t);
    cohort_input_close(&in);
    snprintf(r, sizeof r, "%s:/g/s", file);
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, r, &in), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_input_width(in), 5);
    CU_ASSERT_EQUAL(cohort_input_read_partition(T_ctx, in, &t), COHORT_OK);
    bad = 0;
    for (int64_t k = 0; t && k < c; k++) {
        char expect[6];
        snprintf(expect, sizeof expect, "s%04d", (int)(b + k));
        bad += memcmp((char *)cohort_table_column(t, 0).data + 5 * k, expect, 5) != 0;
    }
    CU_ASSERT_EQUAL(bad, 0);
    cohort_table_destroy(&t);
    cohort_input_close(&in);
    free(x);
    free(m);
    free(s);
}

/* Provenance attributes on each dataset, read with HDF5 directly on rank 0. */
static void check_provenance(const char *file, const char *dset)
{
    if (T_rank != 0)
        return;
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT), d = H5Dopen2(f, dset, H5P_DEFAULT);
    CU_ASSERT(d >= 0);
    static const char *const names[] = {"cohort_version", "command_line", "inputs", "ranks", "created_utc"};
    for (int k = 0; k < 5; k++)
        CU_ASSERT(H5Aexists(d, names[k]) > 0);
    int64_t ranks = 0;
    hid_t a = H5Aopen(d, "ranks", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_INT64, &ranks);
    CU_ASSERT_EQUAL(ranks, T_size);
    H5Aclose(a);
    char *cmd = NULL;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    a = H5Aopen(d, "command_line", H5P_DEFAULT);
    H5Aread(a, t, &cmd);
    CU_ASSERT_STRING_EQUAL(cmd ? cmd : "", "test_io write");
    H5free_memory(cmd);
    H5Aclose(a);
    H5Tclose(t);
    H5Dclose(d);
    H5Fclose(f);
}

static void test_write(void)
{
    const char *dir = t_tmpdir();
    const char *file = t_path(dir, "out.h5");
    write_and_check(file, COHORT_OUTPUT_CREATE, NULL);
    check_provenance(file, "/g/x");
    check_provenance(file, "/g/m");

    /* It exists now: CREATE refuses, on every rank, and leaves it alone. */
    cohort_output *out = NULL;
    CU_ASSERT_EQUAL(cohort_output_open(T_ctx, file, COHORT_OUTPUT_CREATE, NULL, NULL, &out), COHORT_ERR_EXISTS);
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT_PTR_NOT_NULL(strstr(cohort_errmsg(T_ctx), "out.h5"));
    /* FORCE replaces it; compressed chunked datasets go through collective writes. */
    cohort_write_options gz = {.chunk_rows = 2, .gzip_level = 5};
    write_and_check(file, COHORT_OUTPUT_FORCE, &gz);
    cohort_write_options chunked = {.chunk_rows = 3, .gzip_level = 0};
    write_and_check(file, COHORT_OUTPUT_APPEND, &chunked);
    CU_ASSERT_EQUAL(stray_temporaries(dir), 0);
    /* APPEND needs the file; a missing directory is an error. */
    CU_ASSERT_EQUAL(cohort_output_open(T_ctx, t_path(dir, "none.h5"), COHORT_OUTPUT_APPEND, NULL, NULL, &out),
                    COHORT_ERR_NOTFOUND);
    CU_ASSERT_EQUAL(cohort_output_open(T_ctx, t_path(dir, "no/dir.h5"), COHORT_OUTPUT_CREATE, NULL, NULL, &out),
                    COHORT_ERR_NOTFOUND);
    CU_ASSERT_EQUAL(cohort_output_open(T_ctx, t_path(dir, "not_hdf5.txt"), COHORT_OUTPUT_FORCE, NULL, NULL, &out),
                    COHORT_OK); /* FORCE does not care what was there */
    cohort_output_close(T_ctx, &out, 0);
}

/* A failed write leaves neither a final file nor a temporary; an aborted
 * replacement leaves the old file intact. */
static void test_write_failures(void)
{
    const char *dir = t_tmpdir();
    const char *file = t_path(dir, "fail.h5");
    cohort_output *out = NULL;
    double v[4] = {1, 2, 3, 4};
    CU_ASSERT_EQUAL_FATAL(cohort_output_open(T_ctx, file, COHORT_OUTPUT_CREATE, NULL, NULL, &out), COHORT_OK);
    /* Ranks disagree on the type: an error everywhere, then abort. */
    cohort_column c = cohort_column_make("v", T_rank == T_size - 1 && T_size > 1 ? COHORT_INT64 : COHORT_DOUBLE, 4, v);
    int st = cohort_output_write(T_ctx, out, "/v", &c, 1, NULL);
    CU_ASSERT_EQUAL(st, T_size > 1 ? COHORT_ERR_ARG : COHORT_OK);
    if (T_size > 1)
        CU_ASSERT_PTR_NOT_NULL(strstr(cohort_errmsg(T_ctx), "differs across ranks"));
    /* A NULL buffer on rank 0 only. */
    cohort_column bad = cohort_column_make("w", COHORT_DOUBLE, 4, T_rank == 0 ? NULL : v);
    CU_ASSERT_EQUAL(cohort_output_write(T_ctx, out, "/w", &bad, 1, NULL), COHORT_ERR_ARG);
    CU_ASSERT_PTR_NOT_NULL(strstr(cohort_errmsg(T_ctx), "rank 0: "));
    CU_ASSERT_EQUAL(cohort_output_close(T_ctx, &out, 0), COHORT_OK);
    CU_ASSERT_FALSE(exists(file));
    CU_ASSERT_EQUAL(stray_temporaries(dir), 0);

    /* Replace an existing file, but abort: the old contents stay. */
    const char *keep = t_path(dir, "keep.h5");
    c = cohort_column_make("v", COHORT_DOUBLE, 4, v);
    CU_ASSERT_EQUAL_FATAL(cohort_output_open(T_ctx, keep, COHORT_OUTPUT_CREATE, NULL, NULL, &out), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_output_write(T_ctx, out, "/v", &c, 1, NULL), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_output_close(T_ctx, &out, 1), COHORT_OK);
    struct stat before, after;
    stat(keep, &before);
    for (int mode = COHORT_OUTPUT_FORCE; mode <= COHORT_OUTPUT_APPEND; mode++) {
        CU_ASSERT_EQUAL_FATAL(cohort_output_open(T_ctx, keep, (cohort_output_mode)mode, NULL, NULL, &out), COHORT_OK);
        CU_ASSERT_EQUAL(cohort_output_write(T_ctx, out, "/other", &c, 1, NULL), COHORT_OK);
        /* One rank does not commit: nobody does. */
        CU_ASSERT_EQUAL(cohort_output_close(T_ctx, &out, T_rank != T_size - 1), COHORT_OK);
        stat(keep, &after);
        CU_ASSERT_EQUAL(before.st_ino, after.st_ino);
        CU_ASSERT_EQUAL(before.st_size, after.st_size);
        CU_ASSERT_EQUAL(before.st_mtime, after.st_mtime);
    }
    CU_ASSERT_EQUAL(stray_temporaries(dir), 0);
    MPI_Barrier(MPI_COMM_WORLD);
}

/* The temporary hook: told the temporary's name before the file exists,
 * the name cohort_output_temporary gives, and NULL once it is gone, for
 * commits, aborts, appends and failed opens alike. */
typedef struct told {
    int calls, named;
    char path[4300];
    bool existed; /* whether the file existed when its name was told */
} told;

static void hook(void *arg, const char *path)
{
    told *t = arg;
    t->calls++;
    if (path) {
        t->named++;
        snprintf(t->path, sizeof t->path, "%s", path);
        t->existed = exists(path);
    } else {
        t->path[0] = '\0';
    }
}

static void test_temporary_hook(void)
{
    const char *dir = t_tmpdir();
    const char *file = t_path(dir, "hooked.h5");
    double v[3] = {1, 2, 3};
    cohort_column c = cohort_column_make("v", COHORT_DOUBLE, 3, v);
    cohort_output *out = NULL;
    told t = {0};
    cohort_ctx_set_temporary_hook(T_ctx, hook, &t);
    for (int mode = COHORT_OUTPUT_CREATE; mode <= COHORT_OUTPUT_APPEND; mode++)
        for (int commit = 0; commit <= 1; commit++) {
            memset(&t, 0, sizeof t);
            /* CREATE must find no file; the others need one (the first commit leaves it). */
            if (mode == COHORT_OUTPUT_CREATE && T_rank == 0)
                unlink(file);
            MPI_Barrier(MPI_COMM_WORLD);
            CU_ASSERT_EQUAL_FATAL(cohort_output_open(T_ctx, file, (cohort_output_mode)mode, NULL, NULL, &out), COHORT_OK);
            CU_ASSERT_EQUAL(t.calls, 1);
            /* Rank 0 is told before it creates (or copies) the file; the others
             * after the broadcast of its name, before their own create (which
             * rank 0's may precede). */
            if (T_rank == 0)
                CU_ASSERT_FALSE(t.existed);
            CU_ASSERT_STRING_EQUAL(t.path, cohort_output_temporary(out));
            CU_ASSERT_TRUE(exists(t.path));
            char name[4300];
            snprintf(name, sizeof name, "%s", t.path);
            CU_ASSERT_EQUAL(cohort_output_write(T_ctx, out, "/v", &c, 1, NULL), COHORT_OK);
            CU_ASSERT_EQUAL(cohort_output_close(T_ctx, &out, commit), COHORT_OK);
            CU_ASSERT_EQUAL(t.calls, 2);
            CU_ASSERT_EQUAL(t.named, 1);
            CU_ASSERT_STRING_EQUAL(t.path, "");
            CU_ASSERT_FALSE(exists(name));
            CU_ASSERT_EQUAL(exists(file), commit || mode != COHORT_OUTPUT_CREATE);
        }
    /* A failed open: CREATE over an existing file is refused before any name. */
    memset(&t, 0, sizeof t);
    CU_ASSERT_EQUAL(cohort_output_open(T_ctx, file, COHORT_OUTPUT_CREATE, NULL, NULL, &out), COHORT_ERR_EXISTS);
    CU_ASSERT_EQUAL(t.named, 0);
    CU_ASSERT_EQUAL(t.calls, 0);
    cohort_ctx_set_temporary_hook(T_ctx, NULL, NULL);
    CU_ASSERT_EQUAL(stray_temporaries(dir), 0);
    MPI_Barrier(MPI_COMM_WORLD);
}

int main(int argc, char **argv)
{
#ifdef COHORT_TEST_FCOLL
    /* The same tests with Open MPI's other collective I/O component, and
     * single-file reads with collective transfers. */
    setenv("OMPI_MCA_fcoll", COHORT_TEST_FCOLL, 1);
    setenv("COHORT_HDF5_XFER", "collective", 1);
#endif
    static const t_test tests[] = {
        {"dataset references", test_ref_parse},
        {"HDF5 native type mapping", test_hdf5_mapping},
        {"every element type and byte order", test_types},
        {"layouts, filters, links, netCDF-4", test_layouts_and_links},
        {"2-D tables and compound members", test_tables},
        {"reads of many staging pieces and tiles", test_pieces},
        {"fixed-length strings", test_strings},
        {"variable-length strings: measured, then fixed-width; the limit", test_vlen_strings},
        {"partitioned file sets", test_file_sets},
        {"streaming in blocks", test_stream},
        {"bad inputs", test_errors},
        {"errors on one rank", test_error_on_one_rank},
        {"atomic writes", test_write},
        {"failed and aborted writes", test_write_failures},
        {"the temporary file's hook", test_temporary_hook},
        {NULL, NULL},
    };
    t_setup = setup;
    return t_main(argc, argv, "io", tests);
}
