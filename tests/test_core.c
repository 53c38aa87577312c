/*
 * test_core.c — context, error agreement, types, columns, tables, memory
 * accounting and timing report.
 */
#include "harness.h"
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

static void test_version(void)
{
    CU_ASSERT_EQUAL(cohort_version_number(), COHORT_VERSION_NUMBER);
    CU_ASSERT_STRING_EQUAL(cohort_version_string(), COHORT_VERSION_STRING);
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", COHORT_VERSION_MAJOR, COHORT_VERSION_MINOR, COHORT_VERSION_PATCH);
    CU_ASSERT_STRING_EQUAL(COHORT_VERSION_STRING, expect);
}

static void test_strerror(void)
{
    CU_ASSERT_STRING_EQUAL(cohort_strerror(COHORT_OK), "success");
    /* Every code has its own text; unknown codes are named as such. */
    for (int a = COHORT_ERR_VALUE; a <= COHORT_OK; a++) {
        CU_ASSERT_STRING_NOT_EQUAL(cohort_strerror(a), "unknown status");
        for (int b = a + 1; b <= COHORT_OK; b++)
            CU_ASSERT_STRING_NOT_EQUAL(cohort_strerror(a), cohort_strerror(b));
    }
    CU_ASSERT_STRING_EQUAL(cohort_strerror(-999), "unknown status");
    CU_ASSERT_STRING_EQUAL(cohort_strerror(1), "unknown status");
}

static void test_ctx(void)
{
    CU_ASSERT_EQUAL(cohort_ctx_rank(T_ctx), T_rank);
    CU_ASSERT_EQUAL(cohort_ctx_size(T_ctx), T_size);
    /* The communicator is a duplicate, not the caller's. */
    int cmp;
    MPI_Comm_compare(cohort_ctx_comm(T_ctx), MPI_COMM_WORLD, &cmp);
    CU_ASSERT_EQUAL(cmp, MPI_CONGRUENT);

    cohort_ctx *c = NULL;
    CU_ASSERT_EQUAL(cohort_ctx_create(MPI_COMM_SELF, &c), COHORT_OK);
    CU_ASSERT_PTR_NOT_NULL(c);
    if (c) {
        CU_ASSERT_EQUAL(cohort_ctx_size(c), 1);
        CU_ASSERT_STRING_EQUAL(cohort_errmsg(c), "");
    }
    cohort_ctx_destroy(&c);
    CU_ASSERT_PTR_NULL(c);
    cohort_ctx_destroy(&c); /* NULL is fine */
    cohort_ctx_destroy(NULL);
    CU_ASSERT_EQUAL(cohort_ctx_create(MPI_COMM_NULL, &c), COHORT_ERR_ARG);
    CU_ASSERT_EQUAL(cohort_ctx_create(MPI_COMM_WORLD, NULL), COHORT_ERR_ARG);
}

/* One rank fails: every rank gets that code and that rank's message. */
static void test_agree_one_rank_fails(void)
{
    for (int bad = 0; bad < T_size; bad++) {
        cohort__clear_error(T_ctx);
        int local = COHORT_OK;
        if (T_rank == bad)
            local = COHORT_FAIL(T_ctx, COHORT_ERR_IO, "file f.h5: dataset /x: planted failure");
        int st = cohort__agree(T_ctx, local);
        CU_ASSERT_EQUAL(st, COHORT_ERR_IO);
        char expect[128];
        snprintf(expect, sizeof expect, "rank %d: file f.h5: dataset /x: planted failure", bad);
        CU_ASSERT_STRING_EQUAL(cohort_errmsg(T_ctx), expect);
    }
}

/* Several ranks fail differently: the lowest failing rank decides. */
static void test_agree_lowest_rank_wins(void)
{
    cohort__clear_error(T_ctx);
    int local = COHORT_OK;
    if (T_rank >= 1 || T_size == 1)
        local = COHORT_FAIL(T_ctx, T_rank % 2 ? COHORT_ERR_TYPE : COHORT_ERR_SIZE, "cause on rank %d", T_rank);
    int st = cohort__agree(T_ctx, local);
    int first = T_size == 1 ? 0 : 1;
    CU_ASSERT_EQUAL(st, first % 2 ? COHORT_ERR_TYPE : COHORT_ERR_SIZE);
    char expect[64];
    snprintf(expect, sizeof expect, "rank %d: cause on rank %d", first, first);
    CU_ASSERT_STRING_EQUAL(cohort_errmsg(T_ctx), expect);

    /* A failure without a recorded message still gets one. */
    cohort__clear_error(T_ctx);
    st = cohort__agree(T_ctx, T_rank == T_size - 1 ? COHORT_ERR_NOMEM : COHORT_OK);
    CU_ASSERT_EQUAL(st, COHORT_ERR_NOMEM);
    CU_ASSERT_PTR_NOT_NULL(strstr(cohort_errmsg(T_ctx), "out of memory"));

    /* All succeed: OK, and the min-reduction rides along. */
    cohort__clear_error(T_ctx);
    int64_t v[2] = {T_rank + 10, -(T_rank + 10)};
    CU_ASSERT_EQUAL(cohort__agree_min(T_ctx, COHORT_OK, v, 2), COHORT_OK);
    CU_ASSERT_EQUAL(v[0], 10);
    CU_ASSERT_EQUAL(-v[1], T_size - 1 + 10);
}

/* Bad input on one rank through a public collective: nobody hangs, all agree. */
static void test_agree_public_collective(void)
{
    int64_t *send = calloc((size_t)T_size, sizeof *send), *recv = calloc((size_t)T_size, sizeof *recv);
    for (int j = 0; j < T_size; j++)
        send[j] = 1;
    if (T_rank == T_size - 1)
        send[0] = -5;
    int st = cohort_exchange_counts(T_ctx, send, recv);
    CU_ASSERT_EQUAL(st, COHORT_ERR_ARG);
    char expect[32];
    snprintf(expect, sizeof expect, "rank %d: ", T_size - 1);
    CU_ASSERT_EQUAL(strncmp(cohort_errmsg(T_ctx), expect, strlen(expect)), 0);
    /* NULL arguments on rank 0 only. */
    st = cohort_exchange_counts(T_ctx, T_rank == 0 ? NULL : send, recv);
    CU_ASSERT_EQUAL(st, COHORT_ERR_ARG);
    /* The context still works afterwards. */
    send[0] = 1;
    CU_ASSERT_EQUAL(cohort_exchange_counts(T_ctx, send, recv), COHORT_OK);
    CU_ASSERT_STRING_EQUAL(cohort_errmsg(T_ctx), "");
    for (int j = 0; j < T_size; j++)
        CU_ASSERT_EQUAL(recv[j], 1);
    free(send);
    free(recv);
}

static void test_types(void)
{
    static const struct {
        cohort_type t;
        const char *name;
        size_t size;
        int integer, is_signed, is_float;
    } expect[] = {
        {COHORT_INT8, "int8", 1, 1, 1, 0},     {COHORT_INT16, "int16", 2, 1, 1, 0},
        {COHORT_INT32, "int32", 4, 1, 1, 0},   {COHORT_INT64, "int64", 8, 1, 1, 0},
        {COHORT_UINT8, "uint8", 1, 1, 0, 0},   {COHORT_UINT16, "uint16", 2, 1, 0, 0},
        {COHORT_UINT32, "uint32", 4, 1, 0, 0}, {COHORT_UINT64, "uint64", 8, 1, 0, 0},
        {COHORT_FLOAT, "float", 4, 0, 1, 1},   {COHORT_DOUBLE, "double", 8, 0, 1, 1},
    };
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++) {
        cohort_type t = expect[i].t, parsed;
        CU_ASSERT_STRING_EQUAL(cohort_type_name(t), expect[i].name);
        CU_ASSERT_EQUAL(cohort_type_size(t), expect[i].size);
        CU_ASSERT_EQUAL(cohort_type_is_integer(t), expect[i].integer);
        CU_ASSERT_EQUAL(cohort_type_is_signed(t), expect[i].is_signed);
        CU_ASSERT_EQUAL(cohort_type_is_float(t), expect[i].is_float);
        CU_ASSERT_EQUAL(cohort_type_parse(expect[i].name, &parsed), COHORT_OK);
        CU_ASSERT_EQUAL(parsed, t);
        /* The MPI mapping has the element's size, and MPI agrees it is that kind of number. */
        int mpi_size = 0;
        MPI_Type_size(cohort_type_mpi(t), &mpi_size);
        CU_ASSERT_EQUAL((size_t)mpi_size, expect[i].size);
    }
    /* Exact MPI mappings, so reductions use the right arithmetic. */
    CU_ASSERT(cohort_type_mpi(COHORT_INT64) == MPI_INT64_T);
    CU_ASSERT(cohort_type_mpi(COHORT_UINT16) == MPI_UINT16_T);
    CU_ASSERT(cohort_type_mpi(COHORT_DOUBLE) == MPI_DOUBLE);
    CU_ASSERT(cohort_type_mpi(COHORT_FLOAT) == MPI_FLOAT);
    CU_ASSERT(cohort_type_mpi(COHORT_BYTES) == MPI_BYTE);
    CU_ASSERT(cohort_type_mpi((cohort_type)0) == MPI_DATATYPE_NULL);
    CU_ASSERT(cohort_type_mpi((cohort_type)99) == MPI_DATATYPE_NULL);

    cohort_type t;
    CU_ASSERT_EQUAL(cohort_type_parse("float64", &t), COHORT_OK);
    CU_ASSERT_EQUAL(t, COHORT_DOUBLE);
    CU_ASSERT_EQUAL(cohort_type_parse("float32", &t), COHORT_OK);
    CU_ASSERT_EQUAL(t, COHORT_FLOAT);
    CU_ASSERT_EQUAL(cohort_type_parse("bytes", &t), COHORT_OK);
    CU_ASSERT_EQUAL(t, COHORT_BYTES);
    CU_ASSERT_EQUAL(cohort_type_parse("int128", &t), COHORT_ERR_TYPE);
    CU_ASSERT_EQUAL(cohort_type_parse(NULL, &t), COHORT_ERR_ARG);
    CU_ASSERT_PTR_NULL(cohort_type_name((cohort_type)42));
    CU_ASSERT_EQUAL(cohort_type_size(COHORT_BYTES), 0);

    double d[3] = {1, 2, 3};
    cohort_column c = cohort_column_make("x", COHORT_DOUBLE, 3, d);
    CU_ASSERT_EQUAL(c.width, 8);
    CU_ASSERT_EQUAL(c.count, 3);
    CU_ASSERT_PTR_EQUAL(c.data, d);
    char s[2][5] = {"ab", "cdef"};
    c = cohort_column_make_bytes("s", 5, 2, s);
    CU_ASSERT_EQUAL(c.type, COHORT_BYTES);
    CU_ASSERT_EQUAL(c.width, 5);
}

static void test_tables(void)
{
    cohort_ctx *c;
    CU_ASSERT_EQUAL_FATAL(cohort_ctx_create(MPI_COMM_SELF, &c), COHORT_OK);
    cohort_table *t = NULL;
    CU_ASSERT_EQUAL(cohort_table_create(c, -1, &t), COHORT_ERR_ARG);
    CU_ASSERT_PTR_NULL(t);
    CU_ASSERT_EQUAL(cohort_table_create(c, 1000, &t), COHORT_OK);
    cohort_column k, s;
    CU_ASSERT_EQUAL(cohort_table_add_column(t, "key", COHORT_INT64, 0, &k), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_table_add_column(t, "name", COHORT_BYTES, 16, &s), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_table_add_column(t, "key", COHORT_DOUBLE, 0, NULL), COHORT_ERR_ARG);
    CU_ASSERT_EQUAL(cohort_table_add_column(t, "w", COHORT_BYTES, 0, NULL), COHORT_ERR_ARG);
    CU_ASSERT_EQUAL(cohort_table_add_column(t, "u", (cohort_type)77, 0, NULL), COHORT_ERR_TYPE);
    CU_ASSERT_EQUAL(cohort_table_add_column(t, NULL, COHORT_INT8, 0, NULL), COHORT_ERR_ARG);
    for (int i = 0; i < 10; i++) { /* growth past the first allocation */
        char name[8];
        snprintf(name, sizeof name, "v%d", i);
        CU_ASSERT_EQUAL(cohort_table_add_column(t, name, COHORT_UINT8, 0, NULL), COHORT_OK);
    }
    CU_ASSERT_EQUAL(cohort_table_rows(t), 1000);
    CU_ASSERT_EQUAL(cohort_table_ncolumns(t), 12);
    CU_ASSERT_EQUAL(cohort_table_find(t, "name"), 1);
    CU_ASSERT_EQUAL(cohort_table_find(t, "v9"), 11);
    CU_ASSERT_EQUAL(cohort_table_find(t, "nope"), -1);
    cohort_column got = cohort_table_column(t, 0);
    CU_ASSERT_STRING_EQUAL(got.name, "key");
    CU_ASSERT_EQUAL(got.type, COHORT_INT64);
    CU_ASSERT_EQUAL(got.count, 1000);
    CU_ASSERT_PTR_EQUAL(got.data, k.data);
    ((int64_t *)k.data)[999] = 42; /* the whole column is writable */
    CU_ASSERT_EQUAL(((int64_t *)cohort_table_column(t, 0).data)[999], 42);
    CU_ASSERT_EQUAL(cohort_table_column(t, 1).width, 16);
    CU_ASSERT_EQUAL(cohort_table_column(t, 12).type, 0);
    CU_ASSERT_EQUAL(cohort_table_column(t, -1).type, 0);

    int64_t cur, peak;
    cohort_ctx_memory(c, &cur, &peak);
    CU_ASSERT_EQUAL(cur, 1000 * (8 + 16 + 10));
    cohort_table_destroy(&t);
    CU_ASSERT_PTR_NULL(t);
    cohort_table_destroy(&t);
    cohort_table_destroy(NULL);
    cohort_ctx_memory(c, &cur, &peak);
    CU_ASSERT_EQUAL(cur, 0);
    CU_ASSERT_EQUAL(peak, 1000 * (8 + 16 + 10));
    cohort_ctx_destroy(&c);
}

static void test_memory_budget(void)
{
    cohort_ctx *c;
    CU_ASSERT_EQUAL_FATAL(cohort_ctx_create(MPI_COMM_SELF, &c), COHORT_OK);
    cohort_ctx_set_memory_budget(c, 10000);
    cohort_table *t;
    CU_ASSERT_EQUAL(cohort_table_create(c, 1000, &t), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_table_add_column(t, "a", COHORT_INT64, 0, NULL), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_table_add_column(t, "b", COHORT_INT32, 0, NULL), COHORT_ERR_BUDGET);
    CU_ASSERT_PTR_NOT_NULL(strstr(cohort_errmsg(c), "memory budget"));
    CU_ASSERT_EQUAL(cohort_table_ncolumns(t), 1);
    CU_ASSERT_EQUAL(cohort_table_add_column(t, "c", COHORT_UINT16, 0, NULL), COHORT_OK);
    cohort_table_destroy(&t);
    int64_t cur;
    cohort_ctx_memory(c, &cur, NULL);
    CU_ASSERT_EQUAL(cur, 0);

    /* An allocation beyond what the machine has fails cleanly. */
    cohort_ctx_set_memory_budget(c, 0);
    cohort__clear_error(c);
    CU_ASSERT_EQUAL(cohort_table_create(c, INT64_MAX / 2, &t), COHORT_OK);
    CU_ASSERT_EQUAL(cohort_table_add_column(t, "huge", COHORT_INT64, 0, NULL), COHORT_ERR_NOMEM);
    cohort_table_destroy(&t);
    cohort__clear_error(c);
    CU_ASSERT_EQUAL(cohort_table_create(c, (int64_t)1 << 50, &t), COHORT_OK); /* a pebibyte */
    CU_ASSERT_EQUAL(cohort_table_add_column(t, "pebibyte", COHORT_INT8, 0, NULL), COHORT_ERR_NOMEM);
    CU_ASSERT_PTR_NOT_NULL(strstr(cohort_errmsg(c), "pebibyte"));
    cohort_table_destroy(&t);
    cohort_ctx_destroy(&c);
}

static int progress_calls, count_calls, count_restarts;
static double progress_last, count_done_last;
static void on_progress(void *arg, const char *phase, double f)
{
    (void)arg;
    CU_ASSERT(strcmp(phase, "test") == 0 || strcmp(phase, "other") == 0);
    CU_ASSERT(f >= 0 && f <= 1);
    progress_calls++;
    progress_last = f;
}

static void on_counts(void *arg, const char *phase, double done, double total, const char *unit)
{
    (void)arg;
    CU_ASSERT(done >= 0 && done <= total && total == 100000 && strcmp(unit, "rows") == 0);
    count_restarts += done < count_done_last || (strcmp(phase, "other") == 0 && done == 0);
    count_done_last = done;
    count_calls++;
}

static void test_progress_and_timings(void)
{
    cohort_ctx_set_progress(T_ctx, on_progress, NULL);
    cohort_ctx_set_progress_counts(T_ctx, on_counts, NULL);
    progress_calls = count_calls = count_restarts = 0;
    count_done_last = 0;
    for (int i = 0; i <= 100000; i++)
        cohort__progress(T_ctx, "test", i, 100000, "rows");
    /* Muted (inside a call that reports its own progress): nothing. */
    T_ctx->progress_muted++;
    cohort__progress(T_ctx, "test", 5, 100000, "rows");
    T_ctx->progress_muted--;
    if (T_rank == 0) {
        CU_ASSERT(progress_calls >= 100 && progress_calls <= 102);
        CU_ASSERT_EQUAL(count_calls, progress_calls);
        CU_ASSERT_EQUAL(progress_last, 1.0);
    } else {
        CU_ASSERT_EQUAL(progress_calls + count_calls, 0);
    }
    /* Another phase, and the same phase going back (a second pass): each restarts. */
    cohort__progress(T_ctx, "other", 0, 100000, "rows");
    cohort__progress(T_ctx, "other", 100000, 100000, "rows");
    cohort__progress(T_ctx, "other", 10, 100000, "rows");
    CU_ASSERT_EQUAL(count_restarts, T_rank == 0 ? 2 : 0);
    cohort_ctx_set_progress(T_ctx, NULL, NULL);
    cohort_ctx_set_progress_counts(T_ctx, NULL, NULL);

    /* The report is collective, prints on rank 0 only, and shows phases that ran. */
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    T_ctx->phase_seconds[COHORT_PHASE_MERGE] = 0.25 * (T_rank + 1);
    CU_ASSERT_EQUAL(cohort_ctx_report_timings(T_ctx, out), COHORT_OK);
    fclose(out);
    if (T_rank == 0) {
        CU_ASSERT_PTR_NOT_NULL(strstr(text, "merge"));
        char line[128];
        snprintf(line, sizeof line, "merge          0.2500 %10.4f %10.4f", 0.25 * (T_size + 1) / 2, 0.25 * T_size);
        CU_ASSERT_PTR_NOT_NULL(strstr(text, line));
        CU_ASSERT_PTR_NULL(strstr(text, "verify"));
    } else {
        CU_ASSERT_EQUAL(len, 0);
    }
    free(text);
    T_ctx->phase_seconds[COHORT_PHASE_MERGE] = 0;
}

int main(int argc, char **argv)
{
    static const t_test tests[] = {
        {"version", test_version},
        {"strerror", test_strerror},
        {"context", test_ctx},
        {"agreement: one rank fails", test_agree_one_rank_fails},
        {"agreement: lowest failing rank wins", test_agree_lowest_rank_wins},
        {"agreement: bad input to a public collective", test_agree_public_collective},
        {"types and MPI mappings", test_types},
        {"tables", test_tables},
        {"memory budget", test_memory_budget},
        {"progress and timings", test_progress_and_timings},
        {NULL, NULL},
    };
    return t_main(argc, argv, "core", tests);
}
