/*
 * comoments.c — the centred Gram matrix of d columns, one pass, mergeable.
 *
 * State (flat, so that ranks can send it as it is): rows taken, their
 * weight W, the d means (each as an unevaluated sum hi + lo of two doubles,
 * so that differences of means keep their digits), and the d × d co-moment sums
 *     C[i,j] = Σ_rows w (x_i − mean_i)(x_j − mean_j),
 * of which the upper triangle (column-major, i <= j) is kept.  A block of
 * rows is centred on its own mean (found about the running mean, so that
 * large offsets cost no precision), its Gram matrix added with one
 * OpenBLAS dsyrk, and the difference of the means folded in with one dsyr:
 *     C = C_a + C_b + (W_a W_b / W) δ δᵀ,   δ = mean_b − mean_a,
 * the co-moment form of Chan's update.  Merging two ranks' states is the
 * same formula.  No sum of squares minus a square of sums anywhere.
 */
#include "kernels.h"

#include <cblas.h>
#include <math.h>

int64_t cohort__comoments_size(int d) { return 2 + 2 * (int64_t)d + (int64_t)d * d; }

static int64_t get_rows(const double *st)
{
    int64_t r;
    memcpy(&r, &st[0], sizeof r);
    return r;
}

static void set_rows(double *st, int64_t r) { memcpy(&st[0], &r, sizeof r); }

void cohort__comoments_init(int d, double *st)
{
    memset(st, 0, (size_t)cohort__comoments_size(d) * sizeof *st);
}

int64_t cohort__comoments_rows(const double *st) { return get_rows(st); }

/* Move the means (hi + lo) to those of the union with (W_b, hi_b + lo_b);
 * C is done apart. */
static void fold_means(int d, double *st, double wb, const double *hi_b, const double *lo_b)
{
    double wa = st[1], w = wa + wb, *hi = st + 2, *lo = st + 2 + d;
    for (int i = 0; i < d && wb > 0; i++) {
        if (wa > 0) {
            double delta = (hi_b[i] - hi[i]) + (lo_b[i] - lo[i]);
            double h = hi[i], l = lo[i] + delta * (wb / w), s = h + l, bb = s - h; /* two-sum */
            hi[i] = s, lo[i] = (h - (s - bb)) + (l - bb);
        } else {
            hi[i] = hi_b[i], lo[i] = lo_b[i];
        }
    }
    st[1] = w;
}

typedef double v4d __attribute__((vector_size(32)));

/* out := (in − k) sqrt(w) (in may be out); returns Σ w (in − k) and *s2 =
 * Σ w (in − k)², in four lanes (so that it pipelines).  Reading the
 * source here, rather than copying it first, saves a pass over the block. */
static inline __attribute__((always_inline)) double shift(const double *in, double *out, const double *w, int64_t n,
                                                          double k, double *s2)
{
    v4d a1 = {0, 0, 0, 0}, a2 = a1, vk = {k, k, k, k};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4d v, u;
        memcpy(&v, in + i, sizeof v);
        v -= vk;
        if (w) {
            memcpy(&u, w + i, sizeof u);
            a1 += u * v;
            for (int l = 0; l < 4; l++)
                v[l] *= sqrt(u[l]);
        } else {
            a1 += v;
        }
        a2 += v * v;
        memcpy(out + i, &v, sizeof v);
    }
    double t1 = 0, t2 = 0;
    for (; i < n; i++) {
        double v = in[i] - k;
        t1 += (w ? w[i] : 1) * v;
        out[i] = v = w ? v * sqrt(w[i]) : v;
        t2 += v * v;
    }
    *s2 = ((a2[0] + a2[1]) + (a2[2] + a2[3])) + t2;
    return ((a1[0] + a1[1]) + (a1[2] + a1[3])) + t1;
}

/* After shift(): x := x − m sqrt(w); returns Σ w (x − k − m). */
static double recentre(double *x, const double *w, int64_t n, double m)
{
    double acc = 0;
    for (int64_t i = 0; i < n; i++) {
        double r = w ? sqrt(w[i]) : 1;
        x[i] -= m * r;
        acc += r * x[i];
    }
    return acc;
}

/* The NaN check of cohort__keep_complete: Σ x · 0, NaN when some x is NaN or infinite. */
static inline __attribute__((always_inline)) double nan_sum(const double *x, int64_t n)
{
    v4d acc = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4d v;
        memcpy(&v, x + i, sizeof v);
        acc += v * 0; /* NaN (and inf) stay NaN; everything else is 0 */
    }
    double tail = 0;
    for (; i < n; i++)
        tail += x[i] * 0;
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + tail;
}

COHORT_SIMD_CLONES bool cohort__comoments_add(int d, double *st, const double *const *cols, double *D, int64_t B,
                                               const double *w, double *work, bool strict)
{
    if (B == 0)
        return true;
    double *hi = st + 2, *lo = st + 2 + d, *C = st + 2 + 2 * d;
    double *K = work, *blo = work + d, *delta = work + 2 * d, *s = work + 3 * d;
    double W = 0;
    if (w) {
        for (int64_t r = 0; r < B; r++)
            W += w[r];
    } else {
        W = (double)B;
    }
    /* Shift each column by K, the running mean's high part (or the block's
     * first value): x − K is exact for values near the mean, and Dᵀ D −
     * s sᵀ / W is the block's co-moment matrix.  That subtraction cancels
     * when the block's mean is far from K against its spread (data that
     * drifts, steps): then the column is centred on its own mean first, so
     * that at most about 10 bits are lost to cancellation either way. */
    for (int j = 0; j < d; j++) {
        double *x = D + (size_t)j * (size_t)B, s2;
        K[j] = st[1] > 0 && isfinite(hi[j]) ? hi[j] : (isfinite(cols[j][0]) ? cols[j][0] : 0);
        s[j] = shift(cols[j], x, w, B, K[j], &s2);
        if (strict && !(isfinite(s[j]) && isfinite(s2)))
            return false; /* a NaN or an infinity somewhere: the caller sorts the rows out */
        blo[j] = 0;
        double mean_part = W > 0 ? s[j] * (s[j] / W) : 0;
        if (W > 0 && !(mean_part <= 1024 * (s2 - mean_part)) && mean_part != 0) {
            blo[j] = s[j] / W;
            s[j] = recentre(x, w, B, blo[j]);
        }
    }
    /* C += Dᵀ D, then remove the residual: the exact block co-moment about
     * its mean K + blo + s / W is Dᵀ D − s sᵀ / W. */
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, d, (int)B, 1.0, D, (int)B, 1.0, C, d);
    if (W > 0) {
        cblas_dsyr(CblasColMajor, CblasUpper, d, -1.0 / W, s, 1, C, d);
        for (int j = 0; j < d; j++)
            blo[j] += s[j] / W;
    }
    /* Chan: the difference of the means. */
    double wa = st[1];
    if (wa > 0 && W > 0) {
        for (int j = 0; j < d; j++)
            delta[j] = (K[j] - hi[j]) + (blo[j] - lo[j]);
        cblas_dsyr(CblasColMajor, CblasUpper, d, wa * W / (wa + W), delta, 1, C, d);
    }
    fold_means(d, st, W, K, blo);
    set_rows(st, get_rows(st) + B);
    return true;
}

void cohort__comoments_merge(int d, double *left, const double *right)
{
    double *C = left + 2 + 2 * d, wa = left[1], wb = right[1];
    const double *Cb = right + 2 + 2 * d, *hi_b = right + 2, *lo_b = right + 2 + d;
    const double *hi = left + 2, *lo = left + 2 + d;
    for (int j = 0; j < d; j++) /* upper triangle */
        for (int i = 0; i <= j; i++)
            C[i + (size_t)j * d] += Cb[i + (size_t)j * d];
    if (wa > 0 && wb > 0) {
        double f = wa * wb / (wa + wb);
        for (int j = 0; j < d; j++) {
            double dj = (hi_b[j] - hi[j]) + (lo_b[j] - lo[j]);
            for (int i = 0; i <= j; i++)
                C[i + (size_t)j * d] += f * ((hi_b[i] - hi[i]) + (lo_b[i] - lo[i])) * dj;
        }
    }
    fold_means(d, left, wb, hi_b, lo_b);
    set_rows(left, get_rows(left) + get_rows(right));
}

void cohort__comoments_matrix(int d, const double *st, double denom, double *out)
{
    const double *C = st + 2 + 2 * d;
    for (int j = 0; j < d; j++)
        for (int i = 0; i <= j; i++)
            out[(size_t)i * d + j] = out[(size_t)j * d + i] = C[i + (size_t)j * d] / denom;
}

/* Keep the rows of D (B × d, column-major) and w whose values and weight are
 * all non-NaN, in place (each row moves only down); returns their number. */
COHORT_SIMD_CLONES int64_t cohort__keep_complete(int d, double *D, int64_t B, double *w, int64_t *idx)
{
    /* The common case, no NaN at all (an infinity takes the slow way). */
    double sum = 0;
    for (int j = 0; j < d; j++)
        sum += nan_sum(D + (size_t)j * B, B);
    if (w)
        sum += nan_sum(w, B);
    if (sum == 0)
        return B;
    int64_t k = 0;
    for (int64_t r = 0; r < B; r++) {
        bool ok = !w || w[r] == w[r];
        for (int j = 0; ok && j < d; j++)
            ok = D[(size_t)j * B + r] == D[(size_t)j * B + r];
        if (ok)
            idx[k++] = r;
    }
    if (k == B)
        return B;
    for (int j = 0; j < d; j++) /* destination index j k + i <= source j B + idx[i] */
        for (int64_t i = 0; i < k; i++)
            D[(size_t)j * k + i] = D[(size_t)j * B + idx[i]];
    if (w)
        for (int64_t i = 0; i < k; i++)
            w[i] = w[idx[i]];
    return k;
}

int64_t cohort__sub_block_rows(int d)
{
    int64_t sb = ((int64_t)4 << 20) / (8 * (int64_t)d);
    return sb < 64 ? 64 : sb > 2048 ? 2048 : sb;
}
