/*
 * harness.h — the shared main of Cohort's CUnit test programs.
 *
 * Every rank runs every test; a test body may use collectives, so use
 * only non-fatal CU_ASSERT* in them (a fatal assert on one rank would leave
 * the others waiting).  The verdict is the number of failures summed over
 * ranks; exit status 0 when it is zero, 1 otherwise, 77 to skip.
 */
#ifndef COHORT_TEST_HARNESS_H
#define COHORT_TEST_HARNESS_H

#include <CUnit/CUnit.h>
#include <cohort.h>
#include <stdbool.h>

/* The context over MPI_COMM_WORLD that tests share. */
extern cohort_ctx *T_ctx;
extern int T_rank, T_size;

/* A test: name and body; lists end with {NULL, NULL}. */
typedef struct t_test {
    const char *name;
    void (*fn)(void);
} t_test;

/* Run one suite on every rank; returns the verdict for main() to return. */
int t_main(int argc, char **argv, const char *suite, const t_test *tests);

/* A scratch directory for this run of the program, shared by all ranks. */
const char *t_tmpdir(void);

/* Write the HDF5 fixtures (tests/fixtures.py, with Debian's h5py, pandas and
 * netCDF4) into t_tmpdir()/fixtures once; returns that directory, or NULL
 * when no test python was configured or the script failed.  Collective. */
const char *t_fixtures(void);

/* "dir/name" in a static buffer (one of a few, so two can be used at once). */
const char *t_path(const char *dir, const char *name);

/* Set before t_main to run once after MPI starts; returning false skips
 * the whole program (exit 77) on every rank. */
extern bool (*t_setup)(void);

/* Deterministic pseudo-random 64-bit value of (seed, i): splitmix64. */
uint64_t t_rand(uint64_t seed, uint64_t i);

/* A source over columns in memory (ncols <= 8), in blocks of at most
 * @block rows; every rank gets as many calls as the rank with the most
 * blocks.  Collective over @comm (one reduction). */
typedef struct t_blocks {
    const cohort_column *cols;
    int ncols;
    int64_t block, at, blocks, next;
    cohort_column view[8];
} t_blocks;
cohort_source t_blocks_source(t_blocks *s, const cohort_column *cols, int ncols, int64_t block, MPI_Comm comm);

#endif
