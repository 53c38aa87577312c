/*
 * bins.c — the histogram's two passes over float64 values: their range,
 * then their counts in uniform bins by numpy.histogram's rule.
 *
 * The range pass keeps eight minima and maxima in two vectors each, so
 * that it runs at memory speed rather than at one compare's latency per
 * value.
 *
 * numpy finds a value's bin as t = trunc(f), f = (x - first) * norm, then
 * corrects it by one either way against the edges, which are
 * linspace(first, last, n + 1): edge i is i * step + first, the last one
 * exactly last.  The vector loop (AVX2, chosen at run time) takes four
 * values at a time in two ways:
 *
 *  - When f's fraction lies well inside (margin, 1 - margin), the value
 *    lies strictly between t's two edges, so numpy makes no correction and
 *    the bin is t.  The margin bounds the rounding in f and in the edges
 *    (see cohort__ubins_init); it is some 1e-12 of a bin for data of
 *    moderate magnitude, so nearly every vector takes this path.
 *  - Otherwise (a value on or near an edge, NaN, outside the range) the
 *    vector is binned by numpy's rule, with the two edges computed in the
 *    same float64 operations as linspace (one multiply, one add, never
 *    fused) rather than loaded, which lands on the same bin bit for bit.
 *
 * cohort__ubins_init checks that the edges it was given are linspace's; if
 * not (a zero step, say) the scalar loop looks them up.  Each lane counts
 * into its own copy of the counts, so that equal bins in one vector never
 * wait on each other's increments; values outside the range go to a spare
 * bin n.
 */
#include "kernels.h"

#include <math.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define COHORT_HAVE_AVX2_KERNEL 1
#endif

void cohort__ubins_init(cohort_ubins *u, int64_t n, double first, double last, double norm, double step,
                        const double *edges)
{
    *u = (cohort_ubins){n, first, last, norm, step, edges, step > 0 && n < INT32_MAX && edges[n] == last, INFINITY};
    for (int64_t i = 0; i < n && u->computable; i++)
        u->computable = edges[i] == (double)i * step + first;
    /* In bins, f is within 4.01 n 2^-53 of (x - first) / bin width (three
     * roundings in f, two in norm), plus 2 M norm 2^-52 when norm came from
     * an exact integer span whose ends are rounded (M the larger of |first|
     * and |last|); edge i is within n 2^-51 + M norm 2^-53 of first + i
     * bin widths.  The margin is four times their sum, and more. */
    double M = fmax(fabs(first), fabs(last));
    double margin = 0x1p-40 + (double)n * 0x1p-48 + M * norm * 0x1p-48;
    if (u->computable && margin < 0.125)
        u->margin = margin;
}

/* numpy's rule, one value at a time, looking the edges up. */
static void count_scalar(const cohort_ubins *u, const double *x, int64_t m, int64_t *sub, int64_t *tally)
{
    for (int64_t i = 0; i < m; i++) {
        int64_t b = cohort__ubins_bin(u, x[i]);
        if (b < 0)
            tally[-b - 1]++;
        else
            sub[(i & 3) * (u->n + 1) + b]++;
    }
}

#ifdef COHORT_HAVE_AVX2_KERNEL
__attribute__((target("avx2"))) static int64_t count_avx2(const cohort_ubins *u, const double *x, int64_t m,
                                                          int64_t *sub, int64_t *tally)
{
    const __m256d first = _mm256_set1_pd(u->first), last = _mm256_set1_pd(u->last);
    const __m256d norm = _mm256_set1_pd(u->norm), step = _mm256_set1_pd(u->step);
    const __m256d top = _mm256_set1_pd((double)(u->n - 1)), one = _mm256_set1_pd(1.0);
    const __m256d low = _mm256_set1_pd(u->margin), high = _mm256_set1_pd(1 - u->margin);
    /* t + 2^52 holds the integer t in the low 32 bits of its own bits */
    const __m256d magic = _mm256_set1_pd(0x1p52);
    const __m256i top_bits = _mm256_castpd_si256(_mm256_add_pd(top, magic));
    const __m256i spare = _mm256_castpd_si256(_mm256_set1_pd(0x1p52 + (double)u->n));
    __m256i under = _mm256_setzero_si256(), over = _mm256_setzero_si256();
    int64_t stride = u->n + 1;
    int64_t *c0 = sub, *c1 = sub + stride, *c2 = sub + 2 * stride, *c3 = sub + 3 * stride;
    int64_t i = 0;
    for (; i + 4 <= m; i += 4) {
        __m256d v = _mm256_loadu_pd(x + i);
        __m256d t = _mm256_mul_pd(_mm256_sub_pd(v, first), norm);
        __m256d frac = t;
        t = _mm256_round_pd(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        frac = _mm256_sub_pd(frac, t); /* exact */
        __m256d out = _mm256_or_pd(_mm256_cmp_pd(v, first, _CMP_NGE_UQ), _mm256_cmp_pd(v, last, _CMP_NLE_UQ));
        __m256d near = _mm256_or_pd(_mm256_cmp_pd(frac, low, _CMP_LT_OQ), _mm256_cmp_pd(frac, high, _CMP_GT_OQ));
        __m256i b;
        if (_mm256_movemask_pd(_mm256_or_pd(out, near)) == 0) {
            b = _mm256_castpd_si256(_mm256_add_pd(t, magic));
        } else { /* numpy's rule, with the edges computed */
            __m256d lo = _mm256_cmp_pd(v, first, _CMP_LT_OQ), hi = _mm256_cmp_pd(v, last, _CMP_GT_OQ);
            t = _mm256_min_pd(t, top); /* trunc == n: the last bin */
            __m256d edge = _mm256_add_pd(_mm256_mul_pd(t, step), first);
            __m256d next = _mm256_add_pd(_mm256_mul_pd(_mm256_add_pd(t, one), step), first);
            __m256d down = _mm256_cmp_pd(v, edge, _CMP_LT_OQ), up = _mm256_cmp_pd(v, next, _CMP_GE_OQ);
            b = _mm256_castpd_si256(_mm256_add_pd(t, magic));
            b = _mm256_sub_epi64(_mm256_add_epi64(b, _mm256_castpd_si256(down)), _mm256_castpd_si256(up));
            b = _mm256_min_epi32(b, top_bits); /* never up from the last bin (high halves are equal) */
            b = _mm256_blendv_epi8(b, spare, _mm256_castpd_si256(out));
            under = _mm256_sub_epi64(under, _mm256_castpd_si256(lo));
            over = _mm256_sub_epi64(over, _mm256_castpd_si256(hi));
        }
        int64_t at[4];
        _mm256_storeu_si256((__m256i *)at, b);
        c0[(uint32_t)at[0]]++, c1[(uint32_t)at[1]]++, c2[(uint32_t)at[2]]++, c3[(uint32_t)at[3]]++;
    }
    int64_t lu[4], lov[4];
    _mm256_storeu_si256((__m256i *)lu, under);
    _mm256_storeu_si256((__m256i *)lov, over);
    int64_t below = lu[0] + lu[1] + lu[2] + lu[3], above = lov[0] + lov[1] + lov[2] + lov[3];
    int64_t spilled = c0[u->n] + c1[u->n] + c2[u->n] + c3[u->n];
    tally[0] += spilled - below - above; /* the rest of the spare bin is NaN */
    tally[1] += below, tally[2] += above;
    return i;
}
#endif

#ifdef COHORT_HAVE_AVX2_KERNEL
__attribute__((target("avx2"))) static int64_t range_avx2(const double *x, int64_t n, double *min, double *max,
                                                          int64_t *nan)
{
    /* min_pd(v, m) is v < m ? v : m, so NaN values are passed over */
    __m256d mn0 = _mm256_set1_pd(*min), mn1 = mn0, mx0 = _mm256_set1_pd(*max), mx1 = mx0;
    __m256i nan0 = _mm256_setzero_si256(), nan1 = nan0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256d a = _mm256_loadu_pd(x + i), b = _mm256_loadu_pd(x + i + 4);
        mn0 = _mm256_min_pd(a, mn0), mn1 = _mm256_min_pd(b, mn1);
        mx0 = _mm256_max_pd(a, mx0), mx1 = _mm256_max_pd(b, mx1);
        nan0 = _mm256_sub_epi64(nan0, _mm256_castpd_si256(_mm256_cmp_pd(a, a, _CMP_UNORD_Q)));
        nan1 = _mm256_sub_epi64(nan1, _mm256_castpd_si256(_mm256_cmp_pd(b, b, _CMP_UNORD_Q)));
    }
    double lo[4], hi[4];
    int64_t k[4];
    _mm256_storeu_pd(lo, _mm256_min_pd(mn0, mn1));
    _mm256_storeu_pd(hi, _mm256_max_pd(mx0, mx1));
    _mm256_storeu_si256((__m256i *)k, _mm256_add_epi64(nan0, nan1));
    for (int j = 0; j < 4; j++) {
        *min = lo[j] < *min ? lo[j] : *min;
        *max = hi[j] > *max ? hi[j] : *max;
        *nan += k[j];
    }
    return i;
}
#endif

int64_t cohort__range_double(const double *x, int64_t n, double *min, double *max)
{
    int64_t i = 0, nan = 0;
#ifdef COHORT_HAVE_AVX2_KERNEL
    if (__builtin_cpu_supports("avx2"))
        i = range_avx2(x, n, min, max, &nan);
#endif
    double mn = *min, mx = *max;
    for (; i < n; i++) {
        double v = x[i];
        nan += v != v;
        mn = v < mn ? v : mn; /* NaN compares false: passed over */
        mx = v > mx ? v : mx;
    }
    *min = mn, *max = mx;
    return nan;
}

void cohort__ubins_count(const cohort_ubins *u, const double *x, int64_t m, int64_t *counts, int64_t *tally,
                         int64_t *sub)
{
    int64_t stride = u->n + 1;
    memset(sub, 0, 4 * (size_t)stride * sizeof *sub);
    int64_t done = 0;
#ifdef COHORT_HAVE_AVX2_KERNEL
    if (u->computable && __builtin_cpu_supports("avx2"))
        done = count_avx2(u, x, m, sub, tally);
#endif
    count_scalar(u, x + done, m - done, sub, tally);
    for (int64_t b = 0; b < u->n; b++)
        counts[b] += sub[b] + sub[stride + b] + sub[2 * stride + b] + sub[3 * stride + b];
}
