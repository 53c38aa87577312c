/*
 * internal.h — what every layer of libcohort shares and users never see:
 * the context's layout, error recording and agreement, memory accounting,
 * phase timers, progress and logging.  Never installed.
 */
#ifndef COHORT_CORE_INTERNAL_H
#define COHORT_CORE_INTERNAL_H

#include "cohort.h"

#include <stdarg.h>
#include <stdbool.h>

#define COHORT_ERRMSG_MAX 1024

/* Phases that operations time.  A fixed list, so that every rank reduces the
 * same array whatever code paths it took. */
typedef enum cohort_phase {
    COHORT_PHASE_READ,
    COHORT_PHASE_LOCAL,    /* node-local kernels: sort, hash, bin, moments */
    COHORT_PHASE_SPLIT,    /* splitter / selection search */
    COHORT_PHASE_EXCHANGE, /* all-to-all data movement */
    COHORT_PHASE_MERGE,
    COHORT_PHASE_REDUCE,   /* reductions of partial results */
    COHORT_PHASE_VERIFY,
    COHORT_PHASE_WRITE,
    COHORT_PHASE_COUNT
} cohort_phase;

/*
 * The context.  Invariants: comm is a private duplicate with
 * MPI_ERRORS_RETURN; 0 <= rank < size; mem_current <= mem_peak;
 * mem_budget == 0 or mem_current <= mem_budget; errmsg is NUL-terminated.
 */
struct cohort_ctx {
    MPI_Comm comm;
    int rank, size;
    int verbosity;
    cohort_progress_fn progress_fn;
    void *progress_arg;
    cohort_progress_count_fn progress_count_fn;
    void *progress_count_arg;
    double progress_last;   /* last fraction reported, to throttle the callbacks */
    char progress_phase[64]; /* the phase it was reported for */
    int progress_muted;     /* > 0: inside a call that reports its own progress */
    int64_t mem_budget, mem_current, mem_peak;
    int blas_threads;
    cohort_temporary_fn temporary_fn; /* told of outputs' temporary files (lib/io/output.c) */
    void *temporary_arg;
    double phase_seconds[COHORT_PHASE_COUNT];
    char errmsg[COHORT_ERRMSG_MAX];
};

/* Kernels built twice, for AVX2 and for the baseline x86-64, the better one
 * picked at load time (GCC's function multi-versioning).  Kernels that use
 * it keep the same lanes and order of operations in both, so the result
 * does not depend on the machine. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define COHORT_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define COHORT_SIMD_CLONES
#endif

/* ---- errors ------------------------------------------------------------ */

/* Record a local failure ("rank R: <message>") in ctx->errmsg and return
 * @code, so callers write `return COHORT_FAIL(ctx, COHORT_ERR_ARG, "...")`
 * or `st = COHORT_FAIL(...); goto agree;`.  The first failure recorded since
 * the last agreement wins: later ones are usually its consequences. */
#define COHORT_FAIL(ctx, code, ...) cohort__fail((ctx), (code), __VA_ARGS__)
int cohort__fail(cohort_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Turn an MPI return code into a status, recording the MPI error string. */
int cohort__mpi_check(cohort_ctx *ctx, int mpi_rc, const char *what);
#define COHORT_MPI(ctx, call) cohort__mpi_check((ctx), (call), #call)

/*
 * The agreement point of a collective: every rank passes its local status;
 * every rank gets the status of the lowest failing rank (COHORT_OK if none)
 * and, on failure, that rank's message in ctx->errmsg.  One MPI_Allreduce
 * when all succeeded, plus one MPI_Bcast when some failed.
 */
int cohort__agree(cohort_ctx *ctx, int local_status);

/* The same agreement, folding @n small values into its one MPI_Allreduce:
 * on return (when all succeeded) mins[i] is the minimum of mins[i] over
 * ranks.  Negate a value to get its maximum.  @n <= 16. */
int cohort__agree_min(cohort_ctx *ctx, int local_status, int64_t *mins, int n);

/* Agree on the status and that each of @n values (n <= 8) is the same on
 * every rank, in one reduction; when one differs every rank fails with
 * COHORT_ERR_ARG: "<what> differs across ranks". */
int cohort__agree_equal(cohort_ctx *ctx, int local_status, const int64_t *values, int n, const char *what);

/* Clear the recorded message at the start of a public collective. */
void cohort__clear_error(cohort_ctx *ctx);

/* ---- memory accounting -------------------------------------------------- */

/* Allocate @bytes (may be 0: returns a unique non-NULL pointer) counted
 * against the budget; COHORT_ERR_BUDGET or COHORT_ERR_NOMEM with a recorded
 * message on failure.  @what names the buffer in the message.  64-byte
 * aligned, so that kernels can assume vector alignment. */
int cohort__alloc(cohort_ctx *ctx, size_t bytes, const char *what, void **ptr);
/* Like cohort__alloc, zero-filled. */
int cohort__calloc(cohort_ctx *ctx, size_t bytes, const char *what, void **ptr);
/* Free memory from cohort__alloc of @bytes; accepts NULL. */
void cohort__free(cohort_ctx *ctx, void *ptr, size_t bytes);
/* Multiply two sizes, failing (false) on overflow. */
bool cohort__size_mul(size_t a, size_t b, size_t *out);

/* ceil(a / b) for a >= 0, b > 0, without the overflow of (a + b - 1) / b
 * for an a near 2^63 (a damaged file can declare that many rows). */
static inline int64_t cohort__ceil_div(int64_t a, int64_t b) { return a / b + (a % b != 0); }

/* ---- timers, progress, logging ----------------------------------------- */

static inline double cohort__now(void) { return MPI_Wtime(); }
static inline void cohort__phase_add(cohort_ctx *ctx, cohort_phase phase, double since)
{
    ctx->phase_seconds[phase] += MPI_Wtime() - since;
}

/* Report @done of @total @unit ("rows", "steps") of work in @phase (rank 0
 * only; throttled to about each percent).  A phase that reports a smaller
 * fraction than before, or another name, starts again. */
void cohort__progress(cohort_ctx *ctx, const char *phase, double done, double total, const char *unit);

/* Print to stderr when ctx's verbosity is at least @level. */
void cohort__log(const cohort_ctx *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* COHORT_CORE_INTERNAL_H */
