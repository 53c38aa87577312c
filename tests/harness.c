/*
 * harness.c — MPI + CUnit main shared by the test programs: runs one suite
 * on every rank, prints each rank's failures, and sums them over ranks for
 * one verdict.
 */
#include "harness.h"

#include <CUnit/Basic.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>

/* Open MPI unloads the components it tries and rejects; LeakSanitizer then
 * cannot name the library that made their allocations, and no suppression
 * can match them.  In sanitizer builds the test programs keep every shared
 * object loaded, so that tests/lsan.supp can name Open MPI's own leaks. */
int dlclose(void *handle);
int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
#endif
#include <stdio.h>
#include <stdlib.h>

cohort_ctx *T_ctx;
int T_rank, T_size;

uint64_t t_rand(uint64_t seed, uint64_t i)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + i * 0xD1B54A32D192ED03ull + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A source over columns in memory, in blocks of at most `block` rows. */
static int blocks_rewind(void *arg)
{
    t_blocks *s = arg;
    s->at = 0, s->next = 0;
    return COHORT_OK;
}

static int blocks_next(void *arg, const cohort_column **cols, int64_t *rows, int *done)
{
    t_blocks *s = arg;
    *done = s->next++ >= s->blocks; /* blocks: the most any rank has */
    int64_t n = s->cols[0].count - s->at < s->block ? s->cols[0].count - s->at : s->block;
    for (int j = 0; j < s->ncols; j++) {
        s->view[j] = s->cols[j];
        s->view[j].data = (char *)s->cols[j].data + (size_t)s->at * s->cols[j].width;
        s->view[j].count = n;
    }
    s->at += n;
    *cols = s->view;
    *rows = *done ? 0 : n;
    return COHORT_OK;
}

cohort_source t_blocks_source(t_blocks *s, const cohort_column *cols, int ncols, int64_t block, MPI_Comm comm)
{
    *s = (t_blocks){cols, ncols, block, 0, 0, 0, {{0}}};
    int64_t mine = (cols[0].count + block - 1) / block;
    MPI_Allreduce(&mine, &s->blocks, 1, MPI_INT64_T, MPI_MAX, comm);
    return (cohort_source){ncols, blocks_rewind, blocks_next, s};
}

const char *t_tmpdir(void)
{
    const char *d = getenv("COHORT_TEST_TMPDIR");
    return d && *d ? d : "/tmp";
}

bool (*t_setup)(void);

const char *t_fixtures(void)
{
    static char dir[1024];
    static int done = 0, ok = 0;
    if (!done) {
        snprintf(dir, sizeof dir, "%s/fixtures", t_tmpdir());
        const char *py = getenv("TEST_PYTHON"), *src = getenv("COHORT_TEST_SRCDIR");
        if (T_rank == 0 && py && *py && src) {
            char cmd[4096];
            /* Not under MPI: Debian's h5py picks its MPI build when it sees mpirun. */
            snprintf(cmd, sizeof cmd, "env -u OMPI_COMM_WORLD_SIZE -u PMIX_RANK %s %s/fixtures.py %s", py, src, dir);
            ok = system(cmd) == 0;
            if (!ok)
                fprintf(stderr, "fixtures: '%s' failed\n", cmd);
        }
        MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
        done = 1;
    }
    return ok ? dir : NULL;
}

const char *t_path(const char *dir, const char *name)
{
    static char buf[4][2048];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

int t_main(int argc, char **argv, const char *suite_name, const t_test *tests)
{
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &T_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &T_size);
    if (cohort_ctx_create(MPI_COMM_WORLD, &T_ctx) != COHORT_OK) {
        fprintf(stderr, "rank %d: cannot create a context\n", T_rank);
        MPI_Finalize();
        return 1;
    }

    if (t_setup && !t_setup()) {
        if (T_rank == 0)
            printf("%s: skipped (setup unavailable)\n", suite_name);
        cohort_ctx_destroy(&T_ctx);
        MPI_Finalize();
        return 77;
    }
    long failures = 0;
    if (CU_initialize_registry() != CUE_SUCCESS)
        failures = 1;
    CU_pSuite suite = failures ? NULL : CU_add_suite(suite_name, NULL, NULL);
    for (const t_test *t = tests; suite && t->name; t++)
        if (CU_add_test(suite, t->name, t->fn) == NULL)
            failures++;
    if (!failures) {
        CU_basic_set_mode(T_rank == 0 ? CU_BRM_VERBOSE : CU_BRM_SILENT);
        CU_basic_run_tests();
        failures = (long)CU_get_number_of_failures();
        /* Rank 0's failures CUnit prints itself; the others, here. */
        for (CU_pFailureRecord f = CU_get_failure_list(); T_rank != 0 && f; f = f->pNext)
            fprintf(stderr, "rank %d: %s: %s:%u: %s\n", T_rank, f->pTest ? f->pTest->pName : "?",
                    f->strFileName ? f->strFileName : "?", f->uiLineNumber,
                    f->strCondition ? f->strCondition : "?");
    }
    CU_cleanup_registry();

    long total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (T_rank == 0)
        printf("%s at %d rank(s): %ld failure(s) summed over ranks\n", suite_name, T_size, total);
    cohort_ctx_destroy(&T_ctx);
#if defined(__SANITIZE_ADDRESS__)
    /* Look for leaks now, while Open MPI's components are still loaded:
     * after MPI_Finalize unloads them their allocations cannot be
     * attributed (or suppressed).  This also disables the check at exit. */
    __lsan_do_leak_check();
#endif
    MPI_Finalize();
    return total == 0 ? 0 : 1;
}
