/*
 * sketch.c — a mergeable quantile sketch with a deterministic rank-error
 * bound, for one pass in bounded memory.
 *
 * Levels of compactors: level h holds up to k values of weight 2^h.  A
 * full level is sorted and every other value (alternately the odd and
 * the even ones) moves up a level, doubling its weight.  A compaction at
 * level h moves the rank of any query by at most 2^h, and each needs k
 * values of weight 2^h, so at most N / (k 2^h) happen there: the total
 * rank error is at most N L / k for L levels.  With k >= L / eps the
 * error is at most eps N.  Merging two sketches concatenates each level
 * and compacts what overflows, which keeps the same bound for the merged
 * count N (Manku-Rajagopalan-Lindsay / KLL-style compactors).
 */
#include "kernels.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cohort__sketch_init(cohort_sketch *s, double eps)
{
    memset(s, 0, sizeof *s);
    if (!(eps > 0 && eps < 1))
        return COHORT_ERR_ARG;
    int64_t k = (int64_t)ceil(COHORT_SKETCH_LEVELS / eps);
    s->k = k + (k & 1); /* even, so that a compaction halves exactly */
    s->eps = eps;
    return COHORT_OK;
}

void cohort__sketch_free(cohort_sketch *s)
{
    for (int h = 0; h < COHORT_SKETCH_LEVELS; h++)
        free(s->level[h]);
    memset(s, 0, sizeof *s);
}

/* Make room at level h for one more value, compacting upwards as needed. */
static int compact(cohort_sketch *s, int h)
{
    if (h + 1 >= COHORT_SKETCH_LEVELS)
        return COHORT_ERR_OVERFLOW;
    qsort(s->level[h], (size_t)s->n[h], sizeof(double), cmp_double);
    int off = s->parity[h];
    s->parity[h] ^= 1;
    for (int64_t i = off; i < s->n[h]; i += 2) {
        if (s->level[h + 1] == NULL && (s->level[h + 1] = malloc((size_t)s->k * sizeof(double))) == NULL)
            return COHORT_ERR_NOMEM;
        if (s->n[h + 1] == s->k) {
            int st = compact(s, h + 1);
            if (st != COHORT_OK)
                return st;
        }
        s->level[h + 1][s->n[h + 1]++] = s->level[h][i];
    }
    s->n[h] = 0;
    return COHORT_OK;
}

static int push(cohort_sketch *s, int h, double x)
{
    if (s->level[h] == NULL && (s->level[h] = malloc((size_t)s->k * sizeof(double))) == NULL)
        return COHORT_ERR_NOMEM;
    if (s->n[h] == s->k) {
        int st = compact(s, h);
        if (st != COHORT_OK)
            return st;
    }
    s->level[h][s->n[h]++] = x;
    return COHORT_OK;
}

int cohort__sketch_add(cohort_sketch *s, double x)
{
    s->count++;
    return push(s, 0, x);
}

int cohort__sketch_merge(cohort_sketch *into, const cohort_sketch *from)
{
    into->count += from->count;
    for (int h = 0; h < COHORT_SKETCH_LEVELS; h++)
        for (int64_t i = 0; i < from->n[h]; i++) {
            int st = push(into, h, from->level[h][i]);
            if (st != COHORT_OK)
                return st;
        }
    return COHORT_OK;
}

size_t cohort__sketch_size(const cohort_sketch *s)
{
    size_t n = 2 + COHORT_SKETCH_LEVELS;
    for (int h = 0; h < COHORT_SKETCH_LEVELS; h++)
        n += (size_t)s->n[h];
    return n * sizeof(double);
}

/* [count, k, n[0..L), values level by level] as doubles (counts are exact below 2^53). */
void cohort__sketch_pack(const cohort_sketch *s, double *out)
{
    size_t at = 0;
    out[at++] = (double)s->count;
    out[at++] = (double)s->k;
    for (int h = 0; h < COHORT_SKETCH_LEVELS; h++)
        out[at++] = (double)s->n[h];
    for (int h = 0; h < COHORT_SKETCH_LEVELS; h++)
        for (int64_t i = 0; i < s->n[h]; i++)
            out[at++] = s->level[h][i];
}

int cohort__sketch_merge_packed(cohort_sketch *into, const double *in)
{
    cohort_sketch view = {0};
    size_t at = 2;
    view.count = (int64_t)in[0];
    view.k = (int64_t)in[1];
    double *vals = (double *)in + 2 + COHORT_SKETCH_LEVELS;
    for (int h = 0; h < COHORT_SKETCH_LEVELS; h++) {
        view.n[h] = (int64_t)in[at++];
        view.level[h] = vals;
        vals += view.n[h];
    }
    return cohort__sketch_merge(into, &view);
}

typedef struct weighted {
    double x;
    int64_t w;
} weighted;

static int cmp_weighted(const void *a, const void *b)
{
    return cmp_double(&((const weighted *)a)->x, &((const weighted *)b)->x);
}

int cohort__sketch_quantiles(const cohort_sketch *s, const double *q, int m, double *out)
{
    size_t total = 0;
    for (int h = 0; h < COHORT_SKETCH_LEVELS; h++)
        total += (size_t)s->n[h];
    weighted *all = malloc((total + 1) * sizeof *all);
    if (all == NULL)
        return COHORT_ERR_NOMEM;
    size_t at = 0;
    for (int h = 0; h < COHORT_SKETCH_LEVELS; h++)
        for (int64_t i = 0; i < s->n[h]; i++)
            all[at++] = (weighted){s->level[h][i], (int64_t)1 << h};
    qsort(all, total, sizeof *all, cmp_weighted);
    for (int k = 0; k < m; k++) {
        /* The value at (0-based) rank floor(q (N - 1)): the first whose
         * cumulative weight passes that rank. */
        double target = floor(q[k] * (double)(s->count - 1));
        int64_t cum = 0;
        out[k] = total ? all[total - 1].x : NAN;
        for (size_t i = 0; i < total; i++) {
            cum += all[i].w;
            if ((double)cum > target) {
                out[k] = all[i].x;
                break;
            }
        }
    }
    free(all);
    return COHORT_OK;
}
