/*
 * records.c — moving values between row-major records (the rows of a 2-D
 * dataset, a compound table's records) and columns.
 *
 * A tile of rows (COHORT_IO_TILE_BYTES of records) at a time, every column
 * of it before the next tile: the records' cache lines are loaded once for
 * all their columns.  Column after column over a whole piece loaded each
 * record once per column (16 float64 columns of a 64 MiB piece moved 1 GiB
 * through memory; 2-D reads ran at a tenth of the page cache's speed).
 */
#include "io.h"

#include <string.h>

/* @n values of @width bytes, @sstep bytes apart at @src, to @dstep bytes
 * apart at @dst. */
static void copy_strided(unsigned char *dst, size_t dstep, const unsigned char *src, size_t sstep, size_t width,
                         int64_t n)
{
    switch (width) { /* constant widths let the compiler turn each memcpy into one move */
    case 1: for (int64_t i = 0; i < n; i++) dst[(size_t)i * dstep] = src[(size_t)i * sstep]; break;
    case 2: for (int64_t i = 0; i < n; i++) memcpy(dst + (size_t)i * dstep, src + (size_t)i * sstep, 2); break;
    case 4: for (int64_t i = 0; i < n; i++) memcpy(dst + (size_t)i * dstep, src + (size_t)i * sstep, 4); break;
    case 8: for (int64_t i = 0; i < n; i++) memcpy(dst + (size_t)i * dstep, src + (size_t)i * sstep, 8); break;
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy(dst + (size_t)i * dstep, src + (size_t)i * sstep, width);
    }
}

static int64_t tile_rows(size_t record)
{
    size_t t = COHORT_IO_TILE_BYTES / (record ? record : 1);
    return t > 0 ? (int64_t)t : 1;
}

void cohort__records_to_columns(const unsigned char *rec, size_t record, size_t first, size_t stride, size_t width,
                                cohort_column *cols, int ncols, size_t col_width, int64_t at, int64_t n)
{
    int64_t tile = tile_rows(record);
    for (int64_t i0 = 0; i0 < n; i0 += tile) {
        int64_t m = n - i0 < tile ? n - i0 : tile;
        for (int j = 0; j < ncols; j++)
            copy_strided((unsigned char *)cols[j].data + (size_t)at * col_width + (size_t)i0 * width, width,
                         rec + (size_t)i0 * record + first + (size_t)j * stride, record, width, m);
    }
}

void cohort__columns_to_records(unsigned char *rec, size_t record, size_t first, const cohort_column *cols, int ncols,
                                int64_t at, int64_t n)
{
    int64_t tile = tile_rows(record);
    for (int64_t i0 = 0; i0 < n; i0 += tile) {
        int64_t m = n - i0 < tile ? n - i0 : tile;
        size_t off = first;
        for (int j = 0; j < ncols; j++) {
            size_t w = cols[j].type == COHORT_BYTES ? cols[j].width : cohort_type_size(cols[j].type);
            copy_strided(rec + (size_t)i0 * record + off, record, (const unsigned char *)cols[j].data + (size_t)(at + i0) * w,
                         w, w, m);
            off += w;
        }
    }
}
