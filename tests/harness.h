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

/* Deterministic pseudo-random 64-bit value of (seed, i): splitmix64. */
uint64_t t_rand(uint64_t seed, uint64_t i);

#endif
