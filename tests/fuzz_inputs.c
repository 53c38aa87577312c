/*
 * fuzz_inputs.c — the library's read path over the hostile-input corpus
 * (tests/fuzz_corpus.py), in one process per rank so that hundreds of
 * damaged files cost one launch.  Run by tests/test_fuzz.py under mpirun;
 * in a sanitizer build every read is checked for memory errors and leaks.
 *
 * Usage: fuzz_inputs LIST   (one FILE:/PATH reference per line)
 *
 * For each reference, on every rank: open the file with HDF5 and describe
 * every dataset in it (cohort_dataset_describe, as cohort-info does, on
 * whatever a damaged file still lists); then collectively open the
 * reference (cohort_input_open), stream all its blocks and compute the
 * moments and the co-moment matrix of its columns (cohort_stats_compute).
 * The contract checked: every collective returns the same status on every
 * rank, and that status is success or one a damaged file may give (I/O,
 * not found, type, size, value, overflow, budget, memory) — never an
 * invalid-argument, MPI or internal error.  Rank 0 prints one line per
 * reference and a summary; the exit status is 1 if any reference broke the
 * contract.  A crash, a hang (the caller's timeout) or a sanitizer report
 * fails too.  The memory budget (512 MiB per rank) turns absurd declared
 * shapes into COHORT_ERR_BUDGET rather than an allocation the machine
 * cannot give.
 */
#include <cohort.h>
#include <cohort_io.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int allowed(int st)
{
    switch (st) {
    case COHORT_OK:
    case COHORT_ERR_NOMEM:
    case COHORT_ERR_BUDGET:
    case COHORT_ERR_IO:
    case COHORT_ERR_NOTFOUND:
    case COHORT_ERR_TYPE:
    case COHORT_ERR_SIZE:
    case COHORT_ERR_OVERFLOW:
    case COHORT_ERR_VALUE: return 1;
    default: return 0;
    }
}

/* The status of a collective step: the same on every rank, and allowed. */
static int agreed(const char *ref, const char *step, int st, int *failures)
{
    int lo, hi;
    MPI_Allreduce(&st, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&st, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (lo != hi) {
        if (rank == 0)
            printf("FAIL: %s: %s: ranks disagree (statuses %d to %d)\n", ref, step, lo, hi);
        ++*failures;
    } else if (!allowed(st)) {
        if (rank == 0)
            printf("FAIL: %s: %s: %s is not an input's error\n", ref, step, cohort_strerror(st));
        ++*failures;
    }
    return hi;
}

struct visit {
    cohort_ctx *ctx;
    hid_t file;
    int described, refused;
};

static herr_t describe_one(hid_t obj, const char *name, const H5O_info_t *info, void *arg)
{
    (void)obj;
    struct visit *v = arg;
    if (info->type == H5O_TYPE_DATASET) {
        cohort_dataset_info d;
        char path[8192];
        snprintf(path, sizeof path, "/%s", name);
        if (cohort_dataset_describe(v->ctx, v->file, path, &d) == COHORT_OK)
            v->described++;
        else
            v->refused++;
    }
    return 0;
}

/* Not collective: what cohort-info does with a file, on every rank. */
static void describe_file(cohort_ctx *ctx, const char *ref, struct visit *v)
{
    char file[4096], dataset[4096], member[4096];
    if (cohort_ref_parse(ref, file, dataset, member, sizeof file) != COHORT_OK)
        return;
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return;
    v->ctx = ctx;
    v->file = f;
    H5Ovisit(f, H5_INDEX_NAME, H5_ITER_INC, describe_one, v);
    H5Fclose(f);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0); /* a crash still shows the reference it was reading */
    FILE *list = argc > 1 ? fopen(argv[1], "r") : NULL;
    int ok = list != NULL, all_ok;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!all_ok) {
        if (rank == 0)
            fprintf(stderr, "usage: fuzz_inputs LIST (a readable file of FILE:/PATH lines)\n");
        MPI_Finalize();
        return 2;
    }
    cohort_ctx *ctx = NULL;
    if (cohort_ctx_create(MPI_COMM_WORLD, &ctx) != COHORT_OK) {
        MPI_Abort(MPI_COMM_WORLD, 5);
        return 5;
    }
    cohort_ctx_set_memory_budget(ctx, (int64_t)512 << 20);

    int failures = 0, refs = 0, opened = 0, computed = 0;
    struct visit v = {0};
    char line[8192];
    while (fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0])
            continue;
        refs++;
        describe_file(ctx, line, &v);

        cohort_input *in = NULL;
        int st = agreed(line, "open", cohort_input_open(ctx, line, &in), &failures);
        int outcome = st;
        /* A damaged header can declare a valid sparse dataset of billions of
         * rows (unwritten chunks read as fill values): legal, and hours to
         * read.  Such a one is opened, not read. */
        int64_t width = st == COHORT_OK && cohort_input_width(in) ? (int64_t)cohort_input_width(in) : 1;
        if (st == COHORT_OK && cohort_input_rows(in) > ((int64_t)256 << 20) / width) { /* (no overflow) */
            opened++;
            outcome = 1;
        } else if (st == COHORT_OK) {
            opened++;
            cohort_stream *s = NULL;
            st = agreed(line, "stream", cohort_stream_open(ctx, in, (size_t)64 << 10, &s), &failures);
            if (st == COHORT_OK) {
                cohort_source src;
                cohort_stream_source(s, &src);
                cohort_stats *stats = NULL;
                st = agreed(line, "stats", cohort_stats_compute(ctx, &src, COHORT_STATS_MATRIX, &stats), &failures);
                computed += st == COHORT_OK;
                outcome = st;
                cohort_stats_destroy(&stats);
            }
            cohort_stream_close(&s);
        }
        cohort_input_close(&in);
        if (rank == 0)
            printf("%s: %s\n", line, outcome == 1 ? "declared too large to read here" :
                                      outcome == COHORT_OK ? "read" : cohort_strerror(outcome));
    }
    fclose(list);
    if (rank == 0) {
        printf("fuzz_inputs: %d references, %d opened, %d read whole; %d datasets described, %d refused; "
               "%d contract failure(s)\n", refs, opened, computed, v.described, v.refused, failures);
        fflush(stdout);
    }
    cohort_ctx_destroy(&ctx);
    MPI_Finalize();
    return failures ? 1 : 0;
}
