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

void cohort__comoments_add(int d, double *st, double *D, int64_t B, const double *w, double *work)
{
    if (B == 0)
        return;
    double *hi = st + 2, *lo = st + 2 + d, *C = st + 2 + 2 * d;
    double *K = work, *blo = work + d, *delta = work + 2 * d, *s = work + 3 * d;
    double W = 0;
    if (w) {
        for (int64_t r = 0; r < B; r++)
            W += w[r];
    } else {
        W = (double)B;
    }
    /* The block's means as K + blo, K the running mean's high part (or the
     * block's first value): x − K is exact for values near the mean. */
    for (int j = 0; j < d; j++) {
        const double *x = D + (size_t)j * (size_t)B;
        double k = st[1] > 0 && isfinite(hi[j]) ? hi[j] : (isfinite(x[0]) ? x[0] : 0), acc = 0;
        if (w)
            for (int64_t r = 0; r < B; r++)
                acc += w[r] * (x[r] - k);
        else
            for (int64_t r = 0; r < B; r++)
                acc += x[r] - k;
        K[j] = k, blo[j] = W > 0 ? acc / W : 0;
    }
    /* Centre (and weight by sqrt(w)), keeping the residual sums s = Σ w d. */
    for (int j = 0; j < d; j++) {
        double *x = D + (size_t)j * (size_t)B, k = K[j], m = blo[j], acc = 0;
        if (w) {
            for (int64_t r = 0; r < B; r++) {
                double dv = (x[r] - k) - m;
                acc += w[r] * dv;
                x[r] = dv * sqrt(w[r]);
            }
        } else {
            for (int64_t r = 0; r < B; r++) {
                double dv = (x[r] - k) - m;
                acc += dv;
                x[r] = dv;
            }
        }
        s[j] = acc;
    }
    /* C += Dᵀ D, then remove the residual: the exact block co-moment about
     * the corrected mean K + blo + s / W is Dᵀ D − s sᵀ / W. */
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
int64_t cohort__keep_complete(int d, double *D, int64_t B, double *w, int64_t *idx)
{
    int64_t nans = 0; /* the common case, no NaN at all, checked column by column */
    for (int j = 0; j < d; j++)
        for (int64_t r = 0; r < B; r++)
            nans += D[(size_t)j * B + r] != D[(size_t)j * B + r];
    for (int64_t r = 0; w && r < B; r++)
        nans += w[r] != w[r];
    if (nans == 0)
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
