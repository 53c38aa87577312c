/*
 * regress.c — linear least squares with an intercept over a source.
 *
 * Both methods work on centred data, so that the intercept needs no
 * column of ones and large offsets cost no precision:
 *  - Cholesky: one pass builds the co-moment matrix of [X y] (stats.c);
 *    the normal equations (G + λI) β = g are equilibrated and factored by
 *    dpotrf; when that fails or dpocon's estimate says the system is too
 *    ill-conditioned to trust, the pseudo-inverse from dsyevr gives the
 *    minimum-norm solution and the numerical rank.
 *  - TSQR: a first pass finds the means, a second QR-factors each block of
 *    centred rows stacked under the running R (dgeqrf), and the ranks'
 *    R factors are merged up a tree by the QR of two stacked R's.  R has
 *    X's singular values, so the SVD of its X part solves with numpy's
 *    lstsq cutoff (eps · max(rows, p) · σ_max), the ridge is a stack of
 *    sqrt(λ) I under R, and the residual sum of squares comes without
 *    cancellation: ||r_xy − R_xx β||² + r_yy².
 * Rank 0 solves (O(p³)) and broadcasts: every rank gets the same bits.
 */
#include "ops.h"
#include "../comm/comm.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

/* What the solvers hand to finish(): all p × p matrices row-major. */
typedef struct fit {
    int p, rank;
    int64_t rows;
    double W;              /* weight of the rows used */
    const double *xbar;    /* p means */
    double ybar;
    const double *G;       /* centred Gram matrix of X */
    const double *Aplus;   /* (G + λI)⁺ */
    const double *beta;
    double rss, tss;
} fit;

/* The result buffer that rank 0 fills and broadcasts. */
enum { R_INTERCEPT, R_INTERCEPT_SE, R_R2, R_RSS, R_SIGMA2, R_RANK, R_ROWS, R_FIXED };

static void finish(const fit *f, double *out)
{
    int p = f->p;
    double n = (double)f->rows, df = n - f->rank - 1;
    double sigma2 = df > 0 ? f->rss / df : NAN;
    double *T = malloc((size_t)p * p * sizeof *T), *C = malloc((size_t)p * p * sizeof *C);
    double *coef = out + R_FIXED, *se = out + R_FIXED + p;
    memcpy(coef, f->beta, (size_t)p * sizeof *coef);
    if (T && C) { /* Cov(β) = σ² A⁺ G A⁺ */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p, p, p, 1.0, f->Aplus, p, f->G, p, 0.0, T, p);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p, p, p, sigma2, T, p, f->Aplus, p, 0.0, C, p);
    }
    double b0 = f->ybar, v0 = f->W > 0 ? sigma2 / f->W : NAN;
    for (int i = 0; i < p; i++) {
        b0 -= f->xbar[i] * f->beta[i];
        se[i] = C ? sqrt(C[(size_t)i * p + i]) : NAN;
        for (int j = 0; C && j < p; j++)
            v0 += f->xbar[i] * C[(size_t)i * p + j] * f->xbar[j];
    }
    out[R_INTERCEPT] = f->rows > 0 ? b0 : NAN;
    out[R_INTERCEPT_SE] = C ? sqrt(v0) : NAN;
    out[R_R2] = f->tss > 0 ? 1 - f->rss / f->tss : NAN;
    out[R_RSS] = f->rss;
    out[R_SIGMA2] = sigma2;
    out[R_RANK] = f->rank;
    out[R_ROWS] = (double)f->rows;
    free(T), free(C);
}

/* The means of the d columns of a co-moment state (kept as hi + lo). */
static void means(const double *cm, int d, double *out)
{
    for (int j = 0; j < d; j++)
        out[j] = cm[2 + j] + cm[2 + d + j];
}

/* Pseudo-inverse of the symmetric p × p @A (row-major) by eigenvalues,
 * dropping those at most cutoff × the largest; returns the rank kept, or
 * -1 when LAPACK fails. */
static int pinv_sym(int p, const double *A, double cutoff, double *Aplus)
{
    double *a = malloc((size_t)p * p * sizeof *a), *lam = malloc((size_t)p * sizeof *lam);
    double *V = malloc((size_t)p * p * sizeof *V);
    lapack_int *supp = malloc(2 * (size_t)p * sizeof *supp), m = 0;
    int rank = -1;
    if (a && lam && V && supp) {
        memcpy(a, A, (size_t)p * p * sizeof *a);
        if (LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'A', 'U', p, a, p, 0, 0, 0, 0, 0, &m, lam, V, p, supp) == 0) {
            double top = m > 0 ? lam[m - 1] : 0;
            rank = 0;
            memset(Aplus, 0, (size_t)p * p * sizeof *Aplus);
            for (int k = 0; k < m; k++) {
                if (!(lam[k] > cutoff * top))
                    continue;
                rank++;
                cblas_dger(CblasRowMajor, p, p, 1.0 / lam[k], V + k, p, V + k, p, Aplus, p);
            }
        }
    }
    free(a), free(lam), free(V), free(supp);
    return rank;
}

/* The normal equations from the co-moment state of [X y] (d = p + 1). */
static int solve_normal(cohort_ctx *ctx, const double *cm, int p, double ridge, double *out)
{
    int d = p + 1, st = COHORT_OK;
    size_t pp = (size_t)p * p;
    double *M = malloc((size_t)d * d * sizeof *M), *G = malloc(pp * sizeof *G), *A = malloc(pp * sizeof *A);
    double *Af = malloc(pp * sizeof *Af), *Aplus = malloc(pp * sizeof *Aplus), *g = malloc((size_t)p * sizeof *g);
    double *s = malloc((size_t)p * sizeof *s), *beta = malloc((size_t)p * sizeof *beta);
    double *xbar = malloc((size_t)d * sizeof *xbar);
    if (!M || !G || !A || !Af || !Aplus || !g || !s || !beta || !xbar) {
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for the regression");
        goto done;
    }
    cohort__comoments_matrix(d, cm, 1.0, M);
    int64_t rows = cohort__comoments_rows(cm);
    bool equilibrable = true;
    for (int i = 0; i < p; i++) {
        for (int j = 0; j < p; j++)
            G[(size_t)i * p + j] = M[(size_t)i * d + j], A[(size_t)i * p + j] = G[(size_t)i * p + j] + (i == j ? ridge : 0);
        g[i] = M[(size_t)i * d + p];
        double aii = A[(size_t)i * p + i];
        equilibrable &= aii > 0 && isfinite(aii);
        s[i] = aii > 0 ? 1 / sqrt(aii) : 0;
    }
    /* Equilibrated Cholesky, trusted only when well-conditioned. */
    int rank = -1;
    double tol = 64 * p * DBL_EPSILON;
    if (equilibrable) {
        double anorm = 0;
        for (int i = 0; i < p; i++) {
            double col = 0;
            for (int j = 0; j < p; j++)
                Af[(size_t)i * p + j] = s[i] * A[(size_t)i * p + j] * s[j], col += fabs(Af[(size_t)i * p + j]);
            anorm = col > anorm ? col : anorm;
        }
        double rcond = 0;
        if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', p, Af, p) == 0 &&
            LAPACKE_dpocon(LAPACK_ROW_MAJOR, 'U', p, Af, p, anorm, &rcond) == 0 && rcond >= tol) {
            for (int i = 0; i < p; i++)
                beta[i] = s[i] * g[i];
            LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', p, 1, Af, p, beta, 1);
            LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'U', p, Af, p);
            for (int i = 0; i < p; i++) {
                beta[i] *= s[i];
                for (int j = i; j < p; j++) /* dpotri leaves the upper triangle */
                    Aplus[(size_t)i * p + j] = Aplus[(size_t)j * p + i] = s[i] * Af[(size_t)i * p + j] * s[j];
            }
            rank = p;
        }
    }
    if (rank < 0) { /* rank-deficient or too ill-conditioned: the pseudo-inverse */
        rank = pinv_sym(p, A, tol, Aplus);
        if (rank < 0) {
            st = COHORT_FAIL(ctx, COHORT_ERR_INTERNAL, "regression: LAPACKE_dsyevr failed");
            goto done;
        }
        cblas_dgemv(CblasRowMajor, CblasNoTrans, p, p, 1.0, Aplus, p, g, 1, 0.0, beta, 1);
    }
    /* RSS = Syy − 2 βᵀg + βᵀGβ (exact algebra for any β). */
    double syy = M[(size_t)p * d + p], bg = 0, bGb = 0;
    for (int i = 0; i < p; i++) {
        bg += beta[i] * g[i];
        for (int j = 0; j < p; j++)
            bGb += beta[i] * G[(size_t)i * p + j] * beta[j];
    }
    double rss = syy - 2 * bg + bGb;
    means(cm, p + 1, xbar);
    fit f = {p, rank, rows, cm[1], xbar, xbar[p], G, Aplus, beta, rss > 0 ? rss : 0, syy};
    finish(&f, out);
done:
    free(M), free(G), free(A), free(Af), free(Aplus), free(g), free(s), free(beta), free(xbar);
    return st;
}

/* ---- TSQR ------------------------------------------------------------------ */

/* State: rows, weight, R (q × q, column-major, upper). */
typedef struct tsqr {
    int q;
    double *T;   /* (q + rows) × q stack, column-major, leading dimension ld */
    int64_t ld;
    double *tau;
    double *work; /* LAPACK workspace of lwork doubles */
    int64_t lwork;
} tsqr;

/* R := the R factor of [R; Z] where Z (B × q) is already in T below R. */
static int qr_stack(tsqr *t, double *R, int64_t B)
{
    int q = t->q;
    int64_t ld = t->ld;
    for (int j = 0; j < q; j++)
        for (int i = 0; i < q; i++)
            t->T[i + (size_t)j * ld] = i <= j ? R[i + (size_t)j * q] : 0;
    /* The _work variant: no NaN scan of the input, no allocation per call. */
    if (LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)(q + B), q, t->T, (lapack_int)ld, t->tau, t->work,
                            (lapack_int)t->lwork) != 0)
        return COHORT_ERR_INTERNAL;
    for (int j = 0; j < q; j++)
        for (int i = 0; i < q; i++)
            R[i + (size_t)j * q] = i <= j ? t->T[i + (size_t)j * ld] : 0;
    return COHORT_OK;
}

static int merge_r(void *arg, double *left, const double *right)
{
    tsqr *t = arg;
    int q = t->q;
    int64_t a, b;
    memcpy(&a, left, 8), memcpy(&b, right, 8), a += b, memcpy(left, &a, 8);
    left[1] += right[1];
    for (int j = 0; j < q; j++) /* right's R under left's */
        for (int i = 0; i < q; i++)
            t->T[q + i + (size_t)j * t->ld] = right[2 + i + (size_t)j * q];
    return qr_stack(t, left + 2, q);
}

/* Second pass: R of the centred, weighted complete rows of [X y]; @mean
 * holds the q means as hi[q] then lo[q]. */
static int tsqr_pass(cohort_ctx *ctx, cohort_source *src, int p, bool weighted, const double *mean, double *state,
                     tsqr *t)
{
    int q = p + 1, st = COHORT_OK, lst = COHORT_OK;
    int64_t SB = t->ld - q;
    double *D = NULL, *w = NULL;
    int64_t *idx = NULL;
    st = cohort__alloc(ctx, (size_t)(SB * q) * sizeof *D + (size_t)SB * (sizeof *w + sizeof *idx), "regression block",
                       (void **)&D);
    st = cohort__agree(ctx, st);
    if (st != COHORT_OK)
        return st;
    w = D + SB * q, idx = (int64_t *)(w + SB);
    st = src->rewind(src->arg);
    for (int done = 0; st == COHORT_OK;) {
        const cohort_column *cols;
        int64_t rows;
        st = src->next(src->arg, &cols, &rows, &done);
        if (st != COHORT_OK || done)
            break;
        for (int64_t at = 0; lst == COHORT_OK && at < rows; at += SB) {
            int64_t B = rows - at < SB ? rows - at : SB;
            if (weighted)
                cohort__column_to_double(&cols[q], at, B, w);
            for (int j = 0; j < q; j++)
                cohort__column_to_double(&cols[j], at, B, D + (size_t)j * B);
            int64_t k = cohort__keep_complete(q, D, B, weighted ? w : NULL, idx);
            for (int j = 0; j < q; j++)
                for (int64_t r = 0; r < k; r++) /* centred and weighted, under R in the stack */
                    t->T[q + r + (size_t)j * t->ld] =
                        ((D[(size_t)j * k + r] - mean[j]) - mean[q + j]) * (weighted ? sqrt(w[r]) : 1);
            if (k > 0 && qr_stack(t, state + 2, k) != COHORT_OK)
                lst = COHORT_FAIL(ctx, COHORT_ERR_INTERNAL, "regression: LAPACKE_dgeqrf failed");
        }
    }
    cohort__free(ctx, D, (size_t)(SB * q) * sizeof *D + (size_t)SB * (sizeof *w + sizeof *idx));
    return st == COHORT_OK ? lst : st;
}

/* Rank 0: solve from R (q × q column-major) and the pass-1 statistics. */
static int solve_r(cohort_ctx *ctx, const double *state, const double *cm, int p, double ridge, double *out)
{
    int q = p + 1, st = COHORT_OK;
    size_t pp = (size_t)p * p;
    const double *R = state + 2;
    double *T = calloc((size_t)(q + p) * q, sizeof *T), *tau = malloc((size_t)q * sizeof *tau);
    double *Rx = malloc(pp * sizeof *Rx), *S = malloc((size_t)p * sizeof *S), *U = malloc(pp * sizeof *U);
    double *Vt = malloc(pp * sizeof *Vt), *superb = malloc((size_t)p * sizeof *superb);
    double *G = malloc(pp * sizeof *G), *Aplus = calloc(pp, sizeof *Aplus), *beta = calloc((size_t)p, sizeof *beta);
    double *rxy = malloc((size_t)p * sizeof *rxy), *xbar = malloc((size_t)q * sizeof *xbar);
    if (!T || !tau || !Rx || !S || !U || !Vt || !superb || !G || !Aplus || !beta || !rxy || !xbar) {
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for the regression");
        goto done;
    }
    /* G = Rxxᵀ Rxx; TSS = |[rxy; ryy]|²; RSS(β) = |rxy − Rxx β|² + ryy². */
    for (int i = 0; i < p; i++)
        for (int j = 0; j < p; j++) {
            double acc = 0;
            for (int k = 0; k <= (i < j ? i : j); k++)
                acc += R[k + (size_t)i * q] * R[k + (size_t)j * q];
            G[(size_t)i * p + j] = acc;
        }
    double ryy = R[p + (size_t)p * q], tss = ryy * ryy;
    for (int i = 0; i < p; i++)
        tss += R[i + (size_t)p * q] * R[i + (size_t)p * q];
    /* With a ridge, [R; sqrt(λ) I 0] re-factored: its R solves the penalised problem. */
    int64_t ld = q + p;
    for (int j = 0; j < q; j++)
        for (int i = 0; i <= j; i++)
            T[i + (size_t)j * ld] = R[i + (size_t)j * q];
    for (int i = 0; i < p; i++)
        T[q + i + (size_t)i * ld] = sqrt(ridge);
    if (ridge > 0 && LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (lapack_int)ld, q, T, (lapack_int)ld, tau) != 0) {
        st = COHORT_FAIL(ctx, COHORT_ERR_INTERNAL, "regression: LAPACKE_dgeqrf failed");
        goto done;
    }
    for (int i = 0; i < p; i++) {
        rxy[i] = T[i + (size_t)p * ld];
        for (int j = 0; j < p; j++)
            Rx[(size_t)i * p + j] = i <= j ? T[i + (size_t)j * ld] : 0;
    }
    /* SVD of the X part: β = V Σ⁺ Uᵀ rxy, (G + λI)⁺ = V Σ⁺² Vᵀ, numpy's cutoff. */
    if (LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'A', 'A', p, p, Rx, p, S, U, p, Vt, p, superb) != 0) {
        st = COHORT_FAIL(ctx, COHORT_ERR_INTERNAL, "regression: LAPACKE_dgesvd failed");
        goto done;
    }
    int64_t rows = cohort__comoments_rows(cm);
    double cutoff = DBL_EPSILON * (double)(rows > p ? rows : p) * S[0];
    int rank = 0;
    for (int k = 0; k < p; k++) {
        if (!(S[k] > cutoff))
            continue;
        rank++;
        double c = 0;
        for (int i = 0; i < p; i++)
            c += U[(size_t)i * p + k] * rxy[i];
        for (int i = 0; i < p; i++)
            beta[i] += Vt[(size_t)k * p + i] * c / S[k];
        cblas_dger(CblasRowMajor, p, p, 1.0 / (S[k] * S[k]), Vt + (size_t)k * p, 1, Vt + (size_t)k * p, 1, Aplus, p);
    }
    double rss = ryy * ryy;
    for (int i = 0; i < p; i++) {
        double r = R[i + (size_t)p * q];
        for (int j = i; j < p; j++)
            r -= R[i + (size_t)j * q] * beta[j];
        rss += r * r;
    }
    means(cm, p + 1, xbar);
    fit f = {p, rank, rows, cm[1], xbar, xbar[p], G, Aplus, beta, rss, tss};
    finish(&f, out);
done:
    free(T), free(tau), free(Rx), free(S), free(U), free(Vt), free(superb), free(G), free(Aplus), free(beta), free(rxy), free(xbar);
    return st;
}

int cohort_regress(cohort_ctx *ctx, cohort_source *src, const cohort_regress_options *opts, cohort_regression **out)
{
    cohort__clear_error(ctx);
    cohort_regress_options o = opts ? *opts : (cohort_regress_options){0};
    int st = COHORT_OK, p = src ? src->ncols - 1 - (o.weighted ? 1 : 0) : 0;
    if (out)
        *out = NULL;
    if (!src || !out)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_regress: NULL argument");
    else if (p < 1)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_regress: the source needs X columns, then y%s",
                         o.weighted ? ", then the weights" : "");
    else if (!(o.ridge >= 0) || isinf(o.ridge))
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_regress: the ridge penalty must be finite and >= 0");
    else if (o.method != COHORT_REGRESS_CHOLESKY && o.method != COHORT_REGRESS_TSQR)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_regress: unknown method %d", (int)o.method);
    else if (o.reproducible && o.method == COHORT_REGRESS_TSQR)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_regress: the reproducible mode solves the normal equations "
                                              "(Cholesky), not by TSQR");
    int64_t ridge_bits;
    memcpy(&ridge_bits, &o.ridge, 8);
    int64_t same[5] = {p, o.method, o.weighted != 0, ridge_bits, o.reproducible != 0};
    st = cohort__agree_equal(ctx, st, same, 5, "cohort_regress: the columns or options");
    if (st != COHORT_OK)
        return st;

    /* Pass 1: the co-moments of [X y] over the complete rows (for TSQR, their means). */
    int flags = COHORT_STATS_MATRIX | COHORT_STATS_NO_MOMENTS | (o.weighted ? COHORT_STATS_WEIGHTED : 0) |
                (o.reproducible ? COHORT_STATS_REPRODUCIBLE : 0);
    cohort_stats *s = NULL;
    st = cohort_stats_compute(ctx, src, flags, &s);
    if (st != COHORT_OK)
        return st;
    const double *cm = cohort__stats_comoments(s);
    int q = p + 1;
    double *res = calloc(R_FIXED + 2 * (size_t)p, sizeof *res);
    if (res == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    if (o.method == COHORT_REGRESS_CHOLESKY) {
        if (st == COHORT_OK && ctx->rank == 0)
            st = solve_normal(ctx, cm, p, o.ridge, res);
    } else {
        /* Pass 2 and the tree of R factors. */
        double t0 = cohort__now();
        int64_t n = 2 + (int64_t)q * q, SB = cohort__sub_block_rows(q);
        double *state = NULL;
        tsqr t = {q, NULL, (SB > q ? SB : q) + q, NULL, NULL, 64 * (int64_t)q};
        size_t bytes = ((size_t)n + (size_t)(t.ld * q) + (size_t)q + (size_t)t.lwork) * sizeof *state;
        if (st == COHORT_OK)
            st = cohort__calloc(ctx, bytes, "TSQR state", (void **)&state);
        st = cohort__agree(ctx, st);
        if (st == COHORT_OK) {
            t.T = state + n, t.tau = t.T + t.ld * q, t.work = t.tau + q;
            st = tsqr_pass(ctx, src, p, o.weighted, cm + 2, state, &t);
            cohort__phase_add(ctx, COHORT_PHASE_LOCAL, t0);
            double t1 = cohort__now();
            st = cohort__tree_reduce(ctx, cohort__agree(ctx, st), state, n, merge_r, &t);
            cohort__phase_add(ctx, COHORT_PHASE_REDUCE, t1);
        }
        if (st == COHORT_OK && ctx->rank == 0)
            st = solve_r(ctx, state, cm, p, o.ridge, res);
        cohort__free(ctx, state, state ? bytes : 0);
    }
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = cohort__agree(ctx, cohort__bcast_doubles(ctx, res, R_FIXED + 2 * (int64_t)p));
    cohort_regression *r = NULL;
    if (st == COHORT_OK && (r = calloc(1, sizeof *r)) == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK) {
        *r = (cohort_regression){.p = p, .rank = (int)res[R_RANK], .rows = (int64_t)res[R_ROWS],
                                 .intercept = res[R_INTERCEPT], .coef = res + R_FIXED, .std_error = res + R_FIXED + p,
                                 .intercept_std_error = res[R_INTERCEPT_SE], .r2 = res[R_R2], .rss = res[R_RSS],
                                 .sigma2 = res[R_SIGMA2]};
        if (r->rank < p && ctx->rank == 0)
            cohort__log(ctx, 1, "regression: X has rank %d of %d columns (constant or collinear columns): "
                        "the minimum-norm solution is returned", r->rank, p);
        *out = r;
    } else {
        free(res);
        free(r);
    }
    cohort_stats_destroy(&s);
    return st;
}

void cohort_regression_destroy(cohort_regression **r)
{
    if (!r || !*r)
        return;
    free((*r)->coef - R_FIXED); /* the broadcast buffer holds everything */
    free(*r);
    *r = NULL;
}
