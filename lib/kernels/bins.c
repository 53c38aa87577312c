/*
 * bins.c — counting float64 values into uniform bins with numpy.histogram's
 * rule, the histogram's hot loop.
 *
 * numpy finds a value's bin as trunc((x - first) * norm) and then corrects
 * it by one either way against the edges, which are linspace(first, last,
 * n + 1): edge i is i * step + first, the last one exactly last.  Looking
 * the two edges up costs two dependent loads per value; the vector loop
 * instead computes them, in the same float64 operations as linspace (one
 * multiply, one add, never fused), so it needs no gather and lands on the
 * same bin bit for bit.  cohort__ubins_init checks that the edges it was
 * given are those; if not (a zero step, say) the scalar loop looks them up.
 *
 * Each vector lane counts into its own copy of the counts (bin-major, four
 * lanes per bin), so that equal bins in one vector never wait on each
 * other's increments; values outside the range go to a spare bin n and are
 * tallied with vector compares.
 */
#include "kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define COHORT_HAVE_AVX2_KERNEL 1
#endif

void cohort__ubins_init(cohort_ubins *u, int64_t n, double first, double last, double norm, double step,
                        const double *edges)
{
    *u = (cohort_ubins){n, first, last, norm, step, edges, step > 0 && edges[n] == last};
    for (int64_t i = 0; i < n && u->computable; i++)
        u->computable = edges[i] == (double)i * step + first;
}

/* numpy's rule, one value at a time, looking the edges up. */
static void count_scalar(const cohort_ubins *u, const double *x, int64_t m, int64_t (*sub)[4], int64_t *tally)
{
    int64_t nb = u->n;
    double first = u->first, last = u->last, norm = u->norm;
    const double *e = u->edges;
    for (int64_t i = 0; i < m; i++) {
        double v = x[i];
        if (!(v >= first && v <= last)) { /* rare: NaN or out of range */
            tally[0] += v != v, tally[1] += v < first, tally[2] += v > last;
            continue;
        }
        int64_t b = (int64_t)((v - first) * norm);
        b -= b == nb;
        b -= v < e[b];
        b += (b != nb - 1) & (v >= e[b + 1]);
        sub[b][i & 3]++;
    }
}

#ifdef COHORT_HAVE_AVX2_KERNEL
__attribute__((target("avx2"))) static int64_t count_avx2(const cohort_ubins *u, const double *x, int64_t m,
                                                          int64_t (*sub)[4], int64_t *tally)
{
    const __m256d first = _mm256_set1_pd(u->first), last = _mm256_set1_pd(u->last);
    const __m256d norm = _mm256_set1_pd(u->norm), step = _mm256_set1_pd(u->step);
    const __m256d top = _mm256_set1_pd((double)(u->n - 1)), one = _mm256_set1_pd(1.0);
    const __m256d magic = _mm256_set1_pd(0x1p52); /* t + 2^52 holds the integer t in its low bits */
    const __m256i lane = _mm256_set_epi64x(3, 2, 1, 0);
    const __m256i spare = _mm256_add_epi64(_mm256_set1_epi64x(u->n * 4), lane);
    __m256i under = _mm256_setzero_si256(), over = _mm256_setzero_si256();
    int64_t *counts = &sub[0][0];
    int64_t i = 0;
    for (; i + 4 <= m; i += 4) {
        __m256d v = _mm256_loadu_pd(x + i);
        __m256d lo = _mm256_cmp_pd(v, first, _CMP_LT_OQ), hi = _mm256_cmp_pd(v, last, _CMP_GT_OQ);
        __m256d in = _mm256_and_pd(_mm256_cmp_pd(v, first, _CMP_GE_OQ), _mm256_cmp_pd(v, last, _CMP_LE_OQ));
        __m256d t = _mm256_mul_pd(_mm256_sub_pd(v, first), norm);
        t = _mm256_round_pd(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        t = _mm256_min_pd(t, top); /* trunc == n: the last bin */
        __m256d edge = _mm256_add_pd(_mm256_mul_pd(t, step), first);
        __m256d next = _mm256_add_pd(_mm256_mul_pd(_mm256_add_pd(t, one), step), first);
        __m256d down = _mm256_cmp_pd(v, edge, _CMP_LT_OQ);
        __m256d up = _mm256_and_pd(_mm256_cmp_pd(v, next, _CMP_GE_OQ), _mm256_cmp_pd(t, top, _CMP_LT_OQ));
        __m256i b = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(t, magic)), _mm256_castpd_si256(magic));
        b = _mm256_sub_epi64(_mm256_add_epi64(b, _mm256_castpd_si256(down)), _mm256_castpd_si256(up));
        b = _mm256_add_epi64(_mm256_slli_epi64(b, 2), lane);
        b = _mm256_blendv_epi8(spare, b, _mm256_castpd_si256(in));
        under = _mm256_sub_epi64(under, _mm256_castpd_si256(lo));
        over = _mm256_sub_epi64(over, _mm256_castpd_si256(hi));
        int64_t at[4];
        _mm256_storeu_si256((__m256i *)at, b);
        counts[at[0]]++, counts[at[1]]++, counts[at[2]]++, counts[at[3]]++;
    }
    int64_t lu[4], lov[4];
    _mm256_storeu_si256((__m256i *)lu, under);
    _mm256_storeu_si256((__m256i *)lov, over);
    int64_t below = lu[0] + lu[1] + lu[2] + lu[3], above = lov[0] + lov[1] + lov[2] + lov[3];
    int64_t spilled = sub[u->n][0] + sub[u->n][1] + sub[u->n][2] + sub[u->n][3];
    tally[0] += spilled - below - above; /* the rest of the spare bin is NaN */
    tally[1] += below, tally[2] += above;
    return i;
}
#endif

void cohort__ubins_count(const cohort_ubins *u, const double *x, int64_t m, int64_t *counts, int64_t *tally,
                         int64_t (*sub)[4])
{
    memset(sub, 0, ((size_t)u->n + 1) * sizeof *sub);
    int64_t done = 0;
#ifdef COHORT_HAVE_AVX2_KERNEL
    if (u->computable && __builtin_cpu_supports("avx2"))
        done = count_avx2(u, x, m, sub, tally);
#endif
    count_scalar(u, x + done, m - done, sub, tally);
    for (int64_t b = 0; b < u->n; b++)
        counts[b] += sub[b][0] + sub[b][1] + sub[b][2] + sub[b][3];
}
