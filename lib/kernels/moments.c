/*
 * moments.c — one-pass, mergeable moments of a column: count, weight, mean,
 * central moment sums M2..M4, sum, min, max.
 *
 * Values are taken in chunks of CHUNK (in cache).  Each chunk is summarised
 * by two passes over it: its mean, computed about a shift K near the mean
 * (the running mean) so that data like 1e9 + noise loses nothing, then the
 * sums of powers of the deviations from that mean, corrected for the
 * rounding left in it.  Means are kept as unevaluated sums hi + lo of two
 * doubles (hi the shift), so that the differences of means that the merges
 * use keep their digits even when the mean is large against the spread.
 * The chunk's summary is then merged into the running
 * state with Pébay's pairwise formulas (Chan et al. for M2) — the same
 * merge that combines ranks.  Nowhere is a variance formed as a difference
 * of sums of squares.
 *
 * The inner loops keep four independent accumulators (vector lanes) so that
 * they pipeline and vectorise without reassociation by the compiler.
 */
#include "kernels.h"

#include <math.h>

#define CHUNK 2048

void cohort__moments_init(cohort_moments *s)
{
    memset(s, 0, sizeof *s);
    s->min = INFINITY, s->max = -INFINITY;
}

/* Add @b's values to @a (Pébay 2008, eq. 3.1 and its M3/M4 analogues;
 * weights as real-valued frequencies).  Counts, extremes and sums too. */
void cohort__moments_merge(cohort_moments *a, const cohort_moments *b)
{
    double na = a->w, nb = b->w, n = na + nb;
    if (nb > 0 && na > 0) {
        double d = (b->mean - a->mean) + (b->mean_lo - a->mean_lo), dn = d / n, dn2 = dn * dn;
        double m2 = a->m2 + b->m2 + d * dn * na * nb;
        double m3 = a->m3 + b->m3 + d * dn2 * na * nb * (na - nb) + 3 * dn * (na * b->m2 - nb * a->m2);
        double m4 = a->m4 + b->m4 + d * dn2 * dn * na * nb * (na * na - na * nb + nb * nb) +
                    6 * dn2 * (na * na * b->m2 + nb * nb * a->m2) + 4 * dn * (na * b->m3 - nb * a->m3);
        double hi = a->mean, lo = a->mean_lo + nb * dn, s = hi + lo; /* two-sum renormalisation */
        double bb = s - hi;
        a->mean = s, a->mean_lo = (hi - (s - bb)) + (lo - bb);
        a->m2 = m2, a->m3 = m3, a->m4 = m4;
    } else if (nb > 0) {
        a->mean = b->mean, a->mean_lo = b->mean_lo, a->m2 = b->m2, a->m3 = b->m3, a->m4 = b->m4;
    }
    a->w = n;
    /* Neumaier: the two compensated sums, then their corrections. */
    double t = a->sum + b->sum;
    a->sum_c += cohort__sum_error(a->sum, b->sum, t);
    a->sum = t;
    a->sum_c += b->sum_c;
    a->min = b->min < a->min ? b->min : a->min;
    a->max = b->max > a->max ? b->max : a->max;
    a->count += b->count;
    a->nan += b->nan;
}

typedef double v4d __attribute__((vector_size(32)));
typedef __typeof__((v4d){0} == (v4d){0}) v4i; /* what comparing two v4d gives: lanes of all ones or zeros */

/* Macros rather than functions: a 32-byte vector argument would change the ABI. */
#define keep(mask, a) ((v4d)((v4i)(a) & (mask)))
#define lanes_sum(a) (((a)[0] + (a)[1]) + ((a)[2] + (a)[3]))

/* Four values from @x (and weights from @w) at i; past n, NaN (skipped). */
static inline __attribute__((always_inline)) void load4(const double *x, const double *w, int i, int n, v4d *v, v4d *u)
{
    if (i + 4 <= n) {
        memcpy(v, x + i, sizeof *v);
        if (w)
            memcpy(u, w + i, sizeof *u);
        return;
    }
    double a[4] = {NAN, NAN, NAN, NAN}, b[4] = {NAN, NAN, NAN, NAN};
    memcpy(a, x + i, (size_t)(n - i) * sizeof *a);
    if (w)
        memcpy(b, w + i, (size_t)(n - i) * sizeof *b);
    memcpy(v, a, sizeof *v), memcpy(u, b, sizeof *u);
}

/* The summary of one chunk of at most CHUNK values, @w NULL or weights.
 * Written in GCC vector extensions: four lanes, each an independent
 * accumulator, so the same code is two SSE2 or one AVX2 operation per
 * step, and the result is the same bits on either. */
static inline __attribute__((always_inline)) void chunk_moments(cohort_moments *c, const double *x, const double *w,
                                                                int n, double K)
{
    const v4d vK = {K, K, K, K}, zero = {0, 0, 0, 0};
    v4d s1 = zero, sx = zero, sw = zero, u = {1, 1, 1, 1};
    v4d mn = {INFINITY, INFINITY, INFINITY, INFINITY}, mx = -mn;
    v4i cnt = (v4i)zero;
    /* Pass 1: count, weight, sum, shifted sum, extremes.  NaN (in the value
     * or its weight) contributes nothing. */
    for (int i = 0; i < n; i += 4) {
        v4d v;
        load4(x, w, i, n, &v, &u);
        v4i ok = v == v;
        if (w)
            ok &= u == u;
        cnt -= ok;
        v4d dv = v - vK, xv = v;
        if (w)
            sw += keep(ok, u), dv *= u, xv *= u;
        s1 += keep(ok, dv);
        sx += keep(ok, xv);
        v4i lt = (v < mn) & ok, gt = (v > mx) & ok;
        mn = (v4d)(((v4i)v & lt) | ((v4i)mn & ~lt));
        mx = (v4d)(((v4i)v & gt) | ((v4i)mx & ~gt));
    }
    cohort__moments_init(c);
    c->count = cnt[0] + cnt[1] + cnt[2] + cnt[3];
    c->nan = n - c->count;
    c->w = w ? lanes_sum(sw) : (double)c->count;
    c->sum = lanes_sum(sx);
    for (int l = 0; l < 4; l++)
        c->min = mn[l] < c->min ? mn[l] : c->min, c->max = mx[l] > c->max ? mx[l] : c->max;
    if (!(c->w > 0))
        return;
    double lo = lanes_sum(s1) / c->w; /* the mean is K + lo */

    /* Pass 2: sums of powers of the deviations from that mean. */
    const v4d vlo = {lo, lo, lo, lo};
    v4d p1 = zero, p2 = zero, p3 = zero, p4 = zero;
    for (int i = 0; i < n; i += 4) {
        v4d v;
        load4(x, w, i, n, &v, &u);
        v4i ok = v == v;
        if (w)
            ok &= u == u;
        v4d d = keep(ok, (v - vK) - vlo), d2 = d * d, ud = d, ud2 = d2;
        if (w)
            ud = keep(ok, u * d), ud2 = keep(ok, u * d2);
        p1 += ud, p2 += ud2, p3 += ud2 * d, p4 += ud2 * d2;
    }
    double S1 = lanes_sum(p1), S2 = lanes_sum(p2), S3 = lanes_sum(p3), S4 = lanes_sum(p4);
    /* The mean's own rounding: move it by e = S1 / W and the sums with it
     * (S1 is then exactly W e: the binomial expansions below). */
    double e = S1 / c->w, W = c->w;
    c->mean = K, c->mean_lo = lo + e;
    c->m2 = S2 - W * e * e;
    c->m3 = S3 - 3 * e * S2 + 2 * W * e * e * e;
    c->m4 = S4 - 4 * e * S3 + 6 * e * e * S2 - 3 * W * e * e * e * e;
    if (c->m2 < 0)
        c->m2 = 0;
    if (c->m4 < 0)
        c->m4 = 0;
}

COHORT_SIMD_CLONES void cohort__moments_add(cohort_moments *s, const double *x, const double *w, int64_t n)
{
    for (int64_t at = 0; at < n; at += CHUNK) {
        int m = n - at < CHUNK ? (int)(n - at) : CHUNK;
        /* The shift: the running mean, else the chunk's first finite value. */
        double K = 0;
        if (s->w > 0 && isfinite(s->mean))
            K = s->mean;
        else
            for (int i = 0; i < m; i++)
                if (isfinite(x[at + i])) {
                    K = x[at + i];
                    break;
                }
        cohort_moments c;
        chunk_moments(&c, x + at, w ? w + at : NULL, m, K);
        cohort__moments_merge(s, &c);
    }
}
