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
 * The inner loops keep four independent accumulators so that they pipeline
 * (and vectorise) without reassociation by the compiler.
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
    a->sum_c += fabs(a->sum) >= fabs(b->sum) ? (a->sum - t) + b->sum : (b->sum - t) + a->sum;
    a->sum = t;
    a->sum_c += b->sum_c;
    a->min = b->min < a->min ? b->min : a->min;
    a->max = b->max > a->max ? b->max : a->max;
    a->count += b->count;
    a->nan += b->nan;
}

/* The summary of one chunk of at most CHUNK values, @w NULL or weights. */
static void chunk_moments(cohort_moments *c, const double *x, const double *w, int n, double K)
{
    double s1[4] = {0}, sx[4] = {0}, sw[4] = {0}, mn[4], mx[4];
    int64_t cnt[4] = {0};
    for (int l = 0; l < 4; l++)
        mn[l] = INFINITY, mx[l] = -INFINITY;
    int i = 0;
    /* Pass 1: count, weight, sum, shifted sum, extremes.  NaN (in the value
     * or its weight) contributes nothing; comparisons with NaN are false. */
    if (w == NULL) {
        for (; i + 4 <= n; i += 4)
            for (int l = 0; l < 4; l++) {
                double v = x[i + l];
                bool ok = v == v;
                cnt[l] += ok;
                s1[l] += ok ? v - K : 0;
                sx[l] += ok ? v : 0;
                mn[l] = v < mn[l] ? v : mn[l];
                mx[l] = v > mx[l] ? v : mx[l];
            }
        for (; i < n; i++) {
            double v = x[i];
            bool ok = v == v;
            cnt[0] += ok;
            s1[0] += ok ? v - K : 0;
            sx[0] += ok ? v : 0;
            mn[0] = v < mn[0] ? v : mn[0];
            mx[0] = v > mx[0] ? v : mx[0];
        }
    } else {
        for (; i < n; i++) {
            double v = x[i], u = w[i];
            bool ok = v == v && u == u;
            int l = i & 3;
            cnt[l] += ok;
            sw[l] += ok ? u : 0;
            s1[l] += ok ? u * (v - K) : 0;
            sx[l] += ok ? u * v : 0;
            mn[l] = ok && v < mn[l] ? v : mn[l];
            mx[l] = ok && v > mx[l] ? v : mx[l];
        }
    }
    cohort__moments_init(c);
    c->count = cnt[0] + cnt[1] + cnt[2] + cnt[3];
    c->nan = n - c->count;
    c->w = w ? (sw[0] + sw[1]) + (sw[2] + sw[3]) : (double)c->count;
    c->sum = (sx[0] + sx[1]) + (sx[2] + sx[3]);
    for (int l = 0; l < 4; l++)
        c->min = mn[l] < c->min ? mn[l] : c->min, c->max = mx[l] > c->max ? mx[l] : c->max;
    if (!(c->w > 0))
        return;
    double lo = ((s1[0] + s1[1]) + (s1[2] + s1[3])) / c->w; /* the mean is K + lo */

    /* Pass 2: sums of powers of the deviations from that mean. */
    double p1[4] = {0}, p2[4] = {0}, p3[4] = {0}, p4[4] = {0};
    i = 0;
    if (w == NULL) {
        for (; i + 4 <= n; i += 4)
            for (int l = 0; l < 4; l++) {
                double v = x[i + l];
                double d = v == v ? (v - K) - lo : 0, d2 = d * d;
                p1[l] += d, p2[l] += d2, p3[l] += d2 * d, p4[l] += d2 * d2;
            }
        for (; i < n; i++) {
            double v = x[i];
            double d = v == v ? (v - K) - lo : 0, d2 = d * d;
            p1[0] += d, p2[0] += d2, p3[0] += d2 * d, p4[0] += d2 * d2;
        }
    } else {
        for (; i < n; i++) {
            double v = x[i], u = w[i];
            bool ok = v == v && u == u;
            double d = ok ? (v - K) - lo : 0, d2 = d * d, ud2 = ok ? u * d2 : 0;
            int l = i & 3;
            p1[l] += ok ? u * d : 0, p2[l] += ud2, p3[l] += ud2 * d, p4[l] += ud2 * d2;
        }
    }
    double S1 = (p1[0] + p1[1]) + (p1[2] + p1[3]), S2 = (p2[0] + p2[1]) + (p2[2] + p2[3]);
    double S3 = (p3[0] + p3[1]) + (p3[2] + p3[3]), S4 = (p4[0] + p4[1]) + (p4[2] + p4[3]);
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

void cohort__moments_add(cohort_moments *s, const double *x, const double *w, int64_t n)
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
