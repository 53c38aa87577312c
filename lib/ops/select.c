/*
 * select.c — exact distributed selection: the keys at given global
 * positions of the (stable) global order, without sorting globally and
 * without gathering data.
 *
 * Every target keeps, on each rank, a bracket [lo, hi) of local positions
 * that may still hold it; over ranks the brackets hold the target.  Each
 * round the rank with the widest bracket proposes a pivot from it
 * (alternately at the target's proportional position, which finds
 * smooth distributions in a few rounds, and at the bracket's middle, which
 * guarantees that the widest bracket halves); all ranks count keys below
 * and at the pivot by binary search, and one sum tells whether the pivot
 * is the key at the target (done), or which side to keep.  Ties are cut
 * by rank at the end with one exclusive scan of the equal counts.
 */
#include "ops.h"

#include <limits.h>
#include <stdlib.h>

/* Target k searches recs[k * step] (n[k * step] records here): step 1, each
 * target its own records; step 0, every target the same. */
static int select_sorted(cohort_ctx *ctx, const rec_layout *L, const void *const *recs, const int64_t *n, int step,
                         const int64_t *targets, int m, int64_t *pos, void *keys_out)
{
    int st = COHORT_OK;
    size_t kw = L->kw;
    if (m == 0)
        return COHORT_OK;

    /* Per target: bracket, global bracket ends, state, global size; then scratch for the reductions. */
    size_t bytes = (size_t)m * (7 * sizeof(int64_t) + 2 * sizeof(int64_t) + 2 * sizeof(int64_t) + 2 * kw + 4);
    unsigned char *mem = NULL;
    st = cohort__calloc(ctx, bytes, "selection state", (void **)&mem);
    st = cohort__agree(ctx, st);
    if (st != COHORT_OK)
        return st;
    int64_t *lo = (int64_t *)mem, *hi = lo + m, *Lo = hi + m, *Hi = Lo + m, *less = Hi + m, *eq = less + m;
    int64_t *N = eq + m, *counts = N + m; /* counts: 2m, less and less-or-equal, summed */
    struct { long v; int r; } *wide = (void *)(counts + 2 * m); /* m, MAXLOC pairs */
    unsigned char *pivots = (unsigned char *)(wide + m), *mine = pivots + (size_t)m * kw;
    char *done = (char *)(mine + (size_t)m * kw);
    st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Allreduce(n, N, step ? m : 1, MPI_INT64_T, MPI_SUM, ctx->comm)));
    if (st != COHORT_OK) {
        cohort__free(ctx, mem, bytes);
        return st;
    }

    int left = 0;
    for (int k = 0; k < m; k++) {
        N[k] = N[k * step];
        lo[k] = 0, hi[k] = n[k * step], Lo[k] = 0, Hi[k] = N[k];
        if (targets[k] >= N[k]) { /* past the end: after every record */
            done[k] = 1;
            less[k] = n[k * step], eq[k] = 0;
        } else {
            left++;
        }
    }
    for (int round = 0; left > 0 && st == COHORT_OK; round++) {
        for (int k = 0; k < m; k++) {
            wide[k].v = done[k] ? -1 : (long)(hi[k] - lo[k]);
            wide[k].r = ctx->rank;
        }
        st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, wide, m, MPI_LONG_INT, MPI_MAXLOC, ctx->comm));
        memset(mine, 0, (size_t)m * kw);
        for (int k = 0; st == COHORT_OK && k < m; k++) {
            if (done[k] || wide[k].r != ctx->rank)
                continue;
            int64_t b = hi[k] - lo[k], c;
            if (round % 2 == 0) /* where the target would sit if keys were spread evenly */
                c = lo[k] + (int64_t)((__int128)(targets[k] - Lo[k]) * b / (Hi[k] - Lo[k]));
            else
                c = lo[k] + b / 2;
            c = c < lo[k] ? lo[k] : c >= hi[k] ? hi[k] - 1 : c;
            memcpy(mine + (size_t)k * kw, (const unsigned char *)recs[k * step] + (size_t)c * L->R, kw);
        }
        if (st == COHORT_OK) /* only the proposing rank has non-zero bytes */
            st = COHORT_MPI(ctx, MPI_Allreduce(mine, pivots, (int)((size_t)m * kw), MPI_BYTE, MPI_BOR, ctx->comm));
        for (int k = 0; st == COHORT_OK && k < m; k++) {
            if (done[k])
                continue;
            const unsigned char *v = pivots + (size_t)k * kw;
            const void *a_k = recs[k * step];
            int64_t a = cohort__lower_bound(L, a_k, n[k * step], v, false), b = cohort__lower_bound(L, a_k, n[k * step], v, true);
            less[k] = a, eq[k] = b - a;
            counts[2 * k] = a, counts[2 * k + 1] = b;
        }
        if (st == COHORT_OK)
            st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, counts, 2 * m, MPI_INT64_T, MPI_SUM, ctx->comm));
        for (int k = 0; st == COHORT_OK && k < m; k++) {
            if (done[k])
                continue;
            int64_t below = counts[2 * k], upto = counts[2 * k + 1], t = targets[k];
            if (below <= t && t < upto) {
                done[k] = 1;
                left--;
                if (keys_out)
                    memcpy((unsigned char *)keys_out + (size_t)k * kw, pivots + (size_t)k * kw, kw);
                Lo[k] = below;
            } else if (t < below) {
                hi[k] = less[k], Hi[k] = below;
            } else {
                lo[k] = less[k] + eq[k], Lo[k] = upto;
            }
        }
    }
    /* Split the keys equal to each target's key by rank: lower ranks first. */
    int64_t *prefix = counts; /* reuse: m entries */
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Exscan(eq, prefix, m, MPI_INT64_T, MPI_SUM, ctx->comm));
    if (ctx->rank == 0)
        memset(prefix, 0, (size_t)m * sizeof *prefix);
    for (int k = 0; st == COHORT_OK && k < m; k++) {
        int64_t take = targets[k] - Lo[k] - prefix[k];
        if (targets[k] >= N[k])
            take = 0;
        take = take < 0 ? 0 : take > eq[k] ? eq[k] : take;
        pos[k] = less[k] + take;
        if (keys_out && targets[k] >= N[k])
            memset((unsigned char *)keys_out + (size_t)k * kw, 0, kw);
    }
    cohort__free(ctx, mem, bytes);
    return cohort__agree(ctx, st);
}

int cohort__select_sorted(cohort_ctx *ctx, const rec_layout *L, const void *recs, int64_t n, const int64_t *targets,
                          int m, int64_t *pos, void *keys_out)
{
    return select_sorted(ctx, L, &recs, &n, 0, targets, m, pos, keys_out);
}

int cohort__select_sorted_each(cohort_ctx *ctx, const rec_layout *L, const void *const *recs, const int64_t *n,
                               const int64_t *targets, int m, int64_t *pos, void *keys_out)
{
    return select_sorted(ctx, L, recs, n, 1, targets, m, pos, keys_out);
}

int cohort_select(cohort_ctx *ctx, const cohort_column *keys, const int64_t *positions, int m,
                  const cohort_sort_options *opts, void *out)
{
    cohort__clear_error(ctx);
    int st = COHORT_OK;
    int64_t n = keys ? keys->count : 0, N = 0;
    bool desc = opts && opts->descending;
    if (keys == NULL || m < 0 || (m > 0 && (positions == NULL || out == NULL)) || n < 0 ||
        (n > 0 && keys->data == NULL) || cohort_type_name(keys->type) == NULL || keys->width == 0)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_select: invalid arguments");
    int64_t same[2] = {st == COHORT_OK ? (int64_t)keys->type : 0, st == COHORT_OK ? (int64_t)keys->width : 0};
    st = cohort__agree_equal(ctx, st, same, 2, "cohort_select: the key type");
    if (st == COHORT_OK)
        st = cohort_scan_int64(ctx, &n, NULL, &N, 1);
    for (int k = 0; st == COHORT_OK && k < m; k++)
        if (positions[k] < 0 || positions[k] >= N)
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_select: position %lld is outside 0..%lld",
                             (long long)positions[k], (long long)N - 1);
    st = cohort__agree(ctx, st);
    if (st != COHORT_OK)
        return st;

    double t0 = cohort__now();
    rec_layout L = {keys->width, keys->width, keys->type == COHORT_BYTES, 0};
    size_t bytes = (size_t)n * L.R, sel_bytes = (size_t)m * (sizeof(int64_t) + L.kw);
    unsigned char *A = NULL, *B = NULL, *sel = NULL;
    st = cohort__alloc(ctx, bytes, "selection keys", (void **)&A);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, bytes, "selection scratch", (void **)&B);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, sel_bytes, "selection results", (void **)&sel);
    unsigned char *sorted = NULL;
    if (st == COHORT_OK) {
        cohort__keys_encode(keys, desc, A, L.R);
        sorted = n > 0 ? cohort__radix_sort(&L, A, B, n, B) : A;
        if (sorted == NULL)
            st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for radix histograms");
    }
    cohort__phase_add(ctx, COHORT_PHASE_LOCAL, t0);
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK) {
        double t1 = cohort__now();
        int64_t *pos = (int64_t *)sel;
        unsigned char *found = sel + (size_t)m * sizeof(int64_t);
        st = cohort__select_sorted(ctx, &L, sorted, n, positions, m, pos, found);
        if (st == COHORT_OK)
            cohort__keys_decode(keys, desc, found, L.kw, m, out);
        cohort__phase_add(ctx, COHORT_PHASE_SPLIT, t1);
    }
    cohort__free(ctx, A, bytes);
    cohort__free(ctx, B, bytes);
    cohort__free(ctx, sel, sel_bytes);
    return st;
}
