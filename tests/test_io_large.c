/*
 * test_io_large.c — HDF5 transfers of more than 2 GiB by one rank, which
 * HDF5 1.10 cannot do in one call: rank 0 writes 2^28 + 2^20 doubles
 * (2.01 GiB) of a dataset in one cohort_output_write and reads them back
 * in one cohort_input_read; the other ranks take part with nothing.
 * Also 2-D transfers that take several staging pieces, unevenly over ranks.
 * Memory: about 4.1 GB on rank 0; disk: 2.1 GB in the test directory.
 */
#include "harness.h"

#include <cohort_io.h>
#include <stdlib.h>
#include <string.h>

#define BIG (((int64_t)1 << 28) + ((int64_t)1 << 20))

static void test_over_2g_per_rank(void)
{
    const char *file = t_path(t_tmpdir(), "big.h5");
    int64_t n = T_rank == 0 ? BIG : 0;
    double *x = malloc((size_t)n * 8 + 8);
    int have = x != NULL, all = 0;
    MPI_Allreduce(&have, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    CU_ASSERT_FATAL(all);
    for (int64_t i = 0; i < n; i++)
        x[i] = (double)i * 0.5;
    cohort_column c = cohort_column_make("x", COHORT_DOUBLE, n, x);
    cohort_output *out = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_output_open(T_ctx, file, COHORT_OUTPUT_CREATE, "test_io_large", "", &out), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_output_write(T_ctx, out, "/x", &c, 1, NULL), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_output_close(T_ctx, &out, 1), COHORT_OK);

    char ref[2048];
    snprintf(ref, sizeof ref, "%s:/x", file);
    cohort_input *in = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, ref, &in), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_input_rows(in), BIG);
    memset(x, 0, (size_t)n * 8);
    CU_ASSERT_EQUAL(cohort_input_read(T_ctx, in, 0, n, &c), COHORT_OK);
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++)
        bad += x[i] != (double)i * 0.5;
    CU_ASSERT_EQUAL(bad, 0);
    cohort_input_close(&in);
    free(x);
    if (T_rank == 0)
        remove(file);
    MPI_Barrier(MPI_COMM_WORLD);
}

/* 2-D data goes through a staging buffer of 64 MiB: rank 0 writes 6M x 3
 * doubles (144 MB, three pieces) while the others write a few rows, and
 * every rank reads back an uneven range, so pieces differ across ranks in
 * the collective lockstep. */
static void test_staged_pieces(void)
{
    const char *file = t_path(t_tmpdir(), "wide.h5");
    int64_t n = T_rank == 0 ? 6000000 : 5, before = T_rank == 0 ? 0 : 6000000 + 5 * (T_rank - 1);
    int64_t total = 6000000 + 5 * (T_size - 1);
    double *m = malloc((size_t)n * 3 * 8);
    for (int j = 0; j < 3; j++)
        for (int64_t i = 0; i < n; i++)
            m[(size_t)j * (size_t)n + (size_t)i] = (double)(before + i) * 3 + j;
    cohort_column cols[3];
    for (int j = 0; j < 3; j++)
        cols[j] = cohort_column_make(NULL, COHORT_DOUBLE, n, m + (size_t)j * (size_t)n);
    cohort_output *out = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_output_open(T_ctx, file, COHORT_OUTPUT_CREATE, NULL, NULL, &out), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_output_write(T_ctx, out, "/m", cols, 3, NULL), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_output_close(T_ctx, &out, 1), COHORT_OK);
    free(m);

    char ref[2048];
    snprintf(ref, sizeof ref, "%s:/m", file);
    cohort_input *in = NULL;
    CU_ASSERT_EQUAL_FATAL(cohort_input_open(T_ctx, ref, &in), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_input_rows(in), total);
    /* The last rank reads most of the rows, the others a little. */
    int64_t begin = T_rank == T_size - 1 ? 100 : 7 * T_rank, count = T_rank == T_size - 1 ? total - 100 : 3;
    double *r = malloc((size_t)count * 3 * 8);
    for (int j = 0; j < 3; j++)
        cols[j] = cohort_column_make(NULL, COHORT_DOUBLE, 0, r + (size_t)j * (size_t)count);
    CU_ASSERT_EQUAL(cohort_input_read(T_ctx, in, begin, count, cols), COHORT_OK);
    int64_t bad = 0;
    for (int j = 0; j < 3; j++)
        for (int64_t i = 0; i < count; i++)
            bad += r[(size_t)j * (size_t)count + (size_t)i] != (double)(begin + i) * 3 + j;
    CU_ASSERT_EQUAL(bad, 0);
    free(r);
    cohort_input_close(&in);
}

int main(int argc, char **argv)
{
    static const t_test tests[] = {
        {"one rank writes and reads over 2 GiB", test_over_2g_per_rank},
        {"2-D transfers in several staged pieces", test_staged_pieces},
        {NULL, NULL},
    };
    return t_main(argc, argv, "io_large", tests);
}
