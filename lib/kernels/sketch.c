/*
 * sketch.c — a mergeable quantile sketch with a deterministic rank-error
 * bound, for one pass in bounded memory.
 *
 * Levels of compactors: level h holds values of weight 2^h.  Once it holds
 * k or more, it is sorted and every other value of its pairs (alternately
 * the first and the second of each) moves up a level, doubling its weight;
 * an odd value out, the largest, stays.  A compaction at level h moves the
 * rank of any query by at most 2^h, and each consumes at least k values of
 * weight 2^h, so at most N / (k 2^h) happen there: the total rank error is
 * at most N L / k for L levels.  With k >= L / eps the error is at most
 * eps N.  Merging two sketches concatenates each level and compacts what
 * overflows, which keeps the same bound for the merged count N
 * (Manku-Rajagopalan-Lindsay / KLL-style compactors).
 *
 * Why it is fast: a level is kept sorted, so what a compaction moves up (a
 * sorted half) is merged into the level above in linear time; only level 0
 * is sorted from scratch, by a radix sort of the values' order-preserving
 * 64-bit codes (6 passes of 11 bits, the passes whose digit is the same in
 * every value skipped), which the levels hold instead of the values.  A value costs about one radix sort plus a couple
 * of merge steps, not the O(log k) comparisons of a comparison sort at
 * every level it reaches.
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
    if (!(eps >= COHORT_SKETCH_EPS_MIN && eps < 1))
        return COHORT_ERR_ARG; /* a finer sketch would hold more than the data it summarises */
    /* Any k >= L / eps keeps the bound; at least 8192, so that a radix
     * sort's fixed cost (its 6 × 2048 counts) is spread over enough values. */
    int64_t k = (int64_t)ceil(COHORT_SKETCH_LEVELS / eps);
    k = k < 8192 ? 8192 : k;
    s->k = k + (k & 1); /* even, so that a full level's pairs are whole */
    s->eps = eps;
    for (int h = 0; h < COHORT_SKETCH_LEVELS; h++)
        s->sorted[h] = true;
    return COHORT_OK;
}

void cohort__sketch_free(cohort_sketch *s)
{
    for (int h = 0; h < COHORT_SKETCH_LEVELS; h++)
        free(s->level[h]);
    free(s->scratch);
    memset(s, 0, sizeof *s);
}

/* A level's buffer holds up to 2k - 1 values: under k, plus what one
 * compaction below (at most k) or one merged piece (at most k) brings. */
static int level_alloc(cohort_sketch *s, int h)
{
    if (s->level[h] == NULL && (s->level[h] = malloc((size_t)(2 * s->k) * sizeof(uint64_t))) == NULL)
        return COHORT_ERR_NOMEM;
    return COHORT_OK;
}

/* Levels hold the values' order-preserving codes (no NaN): the sign bit of
 * positives flipped, every bit of negatives.  Integer compares, and what the
 * radix sort needs, without converting at every level. */
static inline uint64_t code_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return u ^ ((uint64_t)((int64_t)u >> 63) | ((uint64_t)1 << 63));
}

static inline double value_of(uint64_t u)
{
    u ^= (u >> 63) ? (uint64_t)1 << 63 : ~(uint64_t)0;
    double x;
    memcpy(&x, &u, 8);
    return x;
}

/* Sort a[0, n) by an LSD radix sort of 11-bit digits (6 passes), with
 * s->scratch (2k codes, then the counts) as the other buffer; passes whose
 * digit is the same in every code are skipped.  The result is in a. */
#define DIGIT 11
#define DIGITS 6
#define SCRATCH(k) ((size_t)(2 * (k)) * sizeof(uint64_t) + sizeof(int64_t[DIGITS][1 << DIGIT]))
static void sort_codes(cohort_sketch *s, uint64_t *a, int64_t n)
{
    int64_t(*count)[1 << DIGIT] = (int64_t(*)[1 << DIGIT])(s->scratch + 2 * s->k);
    memset(count, 0, sizeof(int64_t[DIGITS][1 << DIGIT]));
    for (int64_t i = 0; i < n; i++)
        for (int d = 0; d < DIGITS; d++)
            count[d][(a[i] >> (DIGIT * d)) & ((1 << DIGIT) - 1)]++;
    uint64_t *src = a, *dst = s->scratch;
    for (int d = 0; d < DIGITS; d++) {
        int64_t *c = count[d];
        if (c[(a[0] >> (DIGIT * d)) & ((1 << DIGIT) - 1)] == n)
            continue; /* the same digit everywhere: this pass would move nothing */
        int64_t at = 0;
        for (int b = 0; b < 1 << DIGIT; b++) {
            int64_t t = c[b];
            c[b] = at;
            at += t;
        }
        for (int64_t i = 0; i < n; i++)
            dst[c[(src[i] >> (DIGIT * d)) & ((1 << DIGIT) - 1)]++] = src[i];
        uint64_t *t = src;
        src = dst, dst = t;
    }
    if (src != a)
        memcpy(a, src, (size_t)n * sizeof *a);
}

static int compact(cohort_sketch *s, int h);

/* Add x[0, m) to level h: merged in order when both are sorted, else
 * appended (the level is then sorted at its next compaction).  Level h
 * must have room (n[h] + m < 2k). */
static int level_take(cohort_sketch *s, int h, const uint64_t *x, int64_t m, bool sorted)
{
    int st = level_alloc(s, h);
    if (st != COHORT_OK)
        return st;
    uint64_t *a = s->level[h];
    int64_t n = s->n[h];
    if (sorted && s->sorted[h]) {
        /* Merge from the back, in place, without branches on the data
         * (which a merge of random values mispredicts half the time). */
        int64_t i = n - 1, j = m - 1, o = n + m - 1;
        while (i >= 0 && j >= 0) {
            uint64_t ai = a[i], xj = x[j];
            bool from_a = ai > xj;
            a[o--] = from_a ? ai : xj;
            i -= from_a;
            j -= !from_a;
        }
        while (j >= 0)
            a[o--] = x[j--];
    } else {
        memcpy(a + n, x, (size_t)m * sizeof *a);
        s->sorted[h] = n + m <= 1;
    }
    s->n[h] = n + m;
    return s->n[h] >= s->k ? compact(s, h) : COHORT_OK;
}

/* Level h holds k or more values: move half of its pairs up a level. */
static int compact(cohort_sketch *s, int h)
{
    if (h + 1 >= COHORT_SKETCH_LEVELS)
        return COHORT_ERR_OVERFLOW;
    if (s->scratch == NULL && (s->scratch = malloc(SCRATCH(s->k))) == NULL)
        return COHORT_ERR_NOMEM;
    uint64_t *a = s->level[h];
    int64_t n = s->n[h];
    if (!s->sorted[h])
        sort_codes(s, a, n);
    uint64_t odd = a[n - 1]; /* the largest: stays when n is odd */
    int off = s->parity[h];
    s->parity[h] ^= 1;
    int64_t m = n / 2;
    for (int64_t i = 0; i < m; i++)
        a[i] = a[2 * i + off];
    s->n[h] = 0;
    s->sorted[h] = true;
    /* a[0, m) is read before this level is written again: the level above
     * compacts only into levels higher still. */
    int st = level_take(s, h + 1, a, m, true);
    if (n & 1)
        a[0] = odd, s->n[h] = 1;
    return st;
}

int cohort__sketch_add_values(cohort_sketch *s, const double *x, int64_t n, int64_t *nan)
{
    int st = level_alloc(s, 0);
    for (int64_t i = 0; i < n && st == COHORT_OK;) {
        /* Copy the non-NaN values' codes into level 0 until it holds k. */
        uint64_t *a = s->level[0];
        int64_t at = s->n[0], i0 = i, at0 = at;
        for (; i < n && at < s->k; i++) {
            a[at] = code_of(x[i]);
            at += x[i] == x[i];
        }
        *nan += (i - i0) - (at - at0);
        s->count += at - at0;
        s->sorted[0] = at <= 1;
        s->n[0] = at;
        if (at >= s->k)
            st = compact(s, 0);
    }
    return st;
}

int cohort__sketch_merge(cohort_sketch *into, const cohort_sketch *from)
{
    into->count += from->count;
    int st = COHORT_OK;
    for (int h = 0; h < COHORT_SKETCH_LEVELS && st == COHORT_OK; h++)
        for (int64_t at = 0; at < from->n[h] && st == COHORT_OK; at += into->k) {
            int64_t m = from->n[h] - at < into->k ? from->n[h] - at : into->k;
            st = level_take(into, h, from->level[h] + at, m, false);
        }
    return st;
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
            out[at++] = value_of(s->level[h][i]);
}

int cohort__sketch_merge_packed(cohort_sketch *into, const double *in)
{
    const double *vals = in + 2 + COHORT_SKETCH_LEVELS;
    into->count += (int64_t)in[0];
    int st = COHORT_OK;
    for (int h = 0; h < COHORT_SKETCH_LEVELS && st == COHORT_OK; h++) {
        int64_t n = (int64_t)in[2 + h];
        uint64_t codes[1024];
        for (int64_t at = 0; at < n && st == COHORT_OK; at += 1024) {
            int64_t m = n - at < 1024 ? n - at : 1024;
            for (int64_t i = 0; i < m; i++)
                codes[i] = code_of(vals[at + i]);
            st = level_take(into, h, codes, m, false);
        }
        vals += n;
    }
    return st;
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
            all[at++] = (weighted){value_of(s->level[h][i]), (int64_t)1 << h};
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
