/*
 * stats.c — per-column moments and the co-moment matrix of a source, in
 * one pass, merged over the ranks; covariance and correlation from them.
 *
 * Rows are taken in sub-blocks of SB rows (at most about 4 MiB of float64):
 * each column is converted into one column-major sub-block D, its moments
 * are taken from there (in cache), and then the complete rows of D go to
 * the co-moment matrix.  So the source's data is read from memory once.
 */
#include "ops.h"
#include "../comm/comm.h"

#include <math.h>
#include <stdlib.h>

#define MOMENT_DOUBLES ((int64_t)(sizeof(cohort_moments) / sizeof(double)))
_Static_assert(sizeof(cohort_moments) % sizeof(double) == 0, "moments pack into doubles");

struct cohort_stats {
    int d;
    bool matrix, moments;
    int64_t rows;
    cohort_moments *cols; /* d */
    double *cm;           /* co-moment state (cohort__comoments_size(d)), or NULL */
};

/* The flat state that travels between ranks: rows, d moments, the matrix. */
typedef struct layout {
    int d;
    bool moments, matrix;
} layout;

static int64_t state_size(const layout *L)
{
    return 1 + (L->moments ? L->d * MOMENT_DOUBLES : 0) + (L->matrix ? cohort__comoments_size(L->d) : 0);
}

static int merge_states(void *arg, double *left, const double *right)
{
    const layout *L = arg;
    int64_t a, b;
    memcpy(&a, left, 8), memcpy(&b, right, 8), a += b, memcpy(left, &a, 8);
    left++, right++;
    if (L->moments) {
        for (int j = 0; j < L->d; j++) {
            cohort_moments x, y;
            memcpy(&x, left + j * MOMENT_DOUBLES, sizeof x);
            memcpy(&y, right + j * MOMENT_DOUBLES, sizeof y);
            cohort__moments_merge(&x, &y);
            memcpy(left + j * MOMENT_DOUBLES, &x, sizeof x);
        }
        left += L->d * MOMENT_DOUBLES, right += L->d * MOMENT_DOUBLES;
    }
    if (L->matrix)
        cohort__comoments_merge(L->d, left, right);
    return COHORT_OK;
}

int cohort__stats_check_columns(cohort_ctx *ctx, const cohort_column *cols, int ncols, int64_t rows, int *checked)
{
    for (int j = 0; !*checked && rows > 0 && j < ncols; j++)
        if (!cohort_type_is_integer(cols[j].type) && !cohort_type_is_float(cols[j].type))
            return COHORT_FAIL(ctx, COHORT_ERR_TYPE, "statistics column %d (%s) is not numeric", j,
                               cols[j].name ? cols[j].name : "?");
    *checked |= rows > 0;
    return COHORT_OK;
}

int cohort__stats_check_weights(cohort_ctx *ctx, const double *w, int64_t n)
{
    for (int64_t r = 0; r < n; r++)
        if (w[r] < 0 || isinf(w[r]))
            return COHORT_FAIL(ctx, COHORT_ERR_VALUE, "weight %g is negative or infinite", w[r]);
    return COHORT_OK;
}

/* The reproducible mode: stats_exact.c's two passes of exact sums. */
static int reproducible(cohort_ctx *ctx, cohort_source *src, int flags, int d, cohort_stats **out)
{
    bool moments = !(flags & COHORT_STATS_NO_MOMENTS), matrix = flags & COHORT_STATS_MATRIX;
    int st = COHORT_OK;
    cohort_stats *s = calloc(1, sizeof *s);
    if (s == NULL || (s->cols = calloc((size_t)d, sizeof *s->cols)) == NULL ||
        (matrix && (s->cm = calloc((size_t)cohort__comoments_size(d), sizeof *s->cm)) == NULL))
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = cohort__stats_exact(ctx, src, d, flags & COHORT_STATS_WEIGHTED, moments, matrix, &s->rows, s->cols, s->cm);
    if (st == COHORT_OK)
        s->d = d, s->matrix = matrix, s->moments = moments;
    else
        cohort_stats_destroy(&s);
    *out = s;
    return st;
}

int cohort_stats_compute(cohort_ctx *ctx, cohort_source *src, int flags, cohort_stats **out)
{
    cohort__clear_error(ctx);
    double t0 = cohort__now();
    bool weighted = flags & COHORT_STATS_WEIGHTED;
    int st = COHORT_OK, d = src ? src->ncols - (weighted ? 1 : 0) : 0;
    if (out)
        *out = NULL;
    bool moments = !(flags & COHORT_STATS_NO_MOMENTS);
    if (!src || !out ||
        (flags & ~(COHORT_STATS_WEIGHTED | COHORT_STATS_MATRIX | COHORT_STATS_NO_MOMENTS | COHORT_STATS_REPRODUCIBLE)) ||
        (!moments && !(flags & COHORT_STATS_MATRIX)))
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_stats_compute: invalid flags");
    else if (d < 1)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_stats_compute: the source has no data column");
    int64_t same[2] = {flags, src ? src->ncols : 0};
    st = cohort__agree_equal(ctx, st, same, 2, "cohort_stats_compute: the flags or the source's columns");
    if (st != COHORT_OK)
        return st;
    if (flags & COHORT_STATS_REPRODUCIBLE)
        return reproducible(ctx, src, flags, d, out);

    layout L = {d, moments, (flags & COHORT_STATS_MATRIX) != 0};
    int64_t n = state_size(&L), SB = cohort__sub_block_rows(d);
    double *state = NULL, *D = NULL, *w = NULL, *work = NULL;
    const double **xs = NULL; /* each column of the sub-block: the source's own float64, or converted into D */
    int64_t *idx = NULL;
    cohort_moments *mom = NULL;
    cohort_stats *s = calloc(1, sizeof *s);
    if (s == NULL || (s->cols = calloc((size_t)d, sizeof *s->cols)) == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    if (st == COHORT_OK)
        st = cohort__calloc(ctx, (size_t)n * sizeof *state, "statistics state", (void **)&state);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)(SB * d) * sizeof *D, "statistics block", (void **)&D);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)SB * (sizeof *w + sizeof *idx) + 4 * (size_t)d * sizeof *work +
                                    (size_t)d * sizeof *xs,
                           "statistics scratch", (void **)&w);
    if (st == COHORT_OK) {
        idx = (int64_t *)(w + SB);
        work = (double *)(idx + SB);
        xs = (const double **)(work + 4 * d);
        mom = s->cols;
        for (int j = 0; j < d; j++)
            cohort__moments_init(&mom[j]);
        if (L.matrix)
            cohort__comoments_init(d, state + 1 + (moments ? d * MOMENT_DOUBLES : 0));
    }
    st = cohort__agree(ctx, st);
    double *cm = st == COHORT_OK && L.matrix ? state + 1 + (moments ? d * MOMENT_DOUBLES : 0) : NULL;

    /* The pass.  A local failure stops the work, not the reading (the
     * source's calls are collective). */
    int64_t rows_seen = 0;
    int lst = COHORT_OK;
    if (st == COHORT_OK)
        st = src->rewind(src->arg);
    for (int done = 0, checked = 0; st == COHORT_OK;) {
        const cohort_column *cols;
        int64_t rows;
        st = src->next(src->arg, &cols, &rows, &done);
        if (st != COHORT_OK || done)
            break;
        rows_seen += rows;
        if (lst == COHORT_OK)
            lst = cohort__stats_check_columns(ctx, cols, src->ncols, rows, &checked);
        for (int64_t at = 0; lst == COHORT_OK && at < rows; at += SB) {
            int64_t B = rows - at < SB ? rows - at : SB;
            if (weighted) {
                cohort__column_to_double(&cols[d], at, B, w);
                if ((lst = cohort__stats_check_weights(ctx, w, B)) != COHORT_OK)
                    break;
            }
            for (int j = 0; j < d; j++) {
                double *x = D + (size_t)j * (size_t)B;
                if (cols[j].type != COHORT_DOUBLE)
                    cohort__column_to_double(&cols[j], at, B, x);
                else /* straight from the source */
                    x = (double *)cols[j].data + at;
                if (moments)
                    cohort__moments_add(&mom[j], x, weighted ? w : NULL, B);
                xs[j] = x;
            }
            /* The matrix takes complete rows only: a block with a NaN (rare)
             * is copied again, and its incomplete rows dropped. */
            if (cm && !cohort__comoments_add(d, cm, xs, D, B, weighted ? w : NULL, work, true)) {
                for (int j = 0; j < d; j++)
                    cohort__column_to_double(&cols[j], at, B, D + (size_t)j * (size_t)B);
                int64_t k = cohort__keep_complete(d, D, B, weighted ? w : NULL, idx);
                for (int j = 0; j < d; j++)
                    xs[j] = D + (size_t)j * (size_t)k;
                cohort__comoments_add(d, cm, xs, D, k, weighted ? w : NULL, work, false);
            }
        }
    }
    st = st == COHORT_OK ? lst : st;
    cohort__phase_add(ctx, COHORT_PHASE_LOCAL, t0);

    /* Merge over the ranks. */
    double t1 = cohort__now();
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK) {
        memcpy(state, &rows_seen, 8);
        for (int j = 0; moments && j < d; j++)
            memcpy(state + 1 + j * MOMENT_DOUBLES, &mom[j], sizeof *mom);
        st = cohort__tree_reduce(ctx, st, state, n, merge_states, &L);
    }
    if (st == COHORT_OK) {
        s->d = d, s->matrix = L.matrix, s->moments = moments;
        memcpy(&s->rows, state, 8);
        for (int j = 0; moments && j < d; j++)
            memcpy(&mom[j], state + 1 + j * MOMENT_DOUBLES, sizeof *mom);
        if (L.matrix && (s->cm = malloc((size_t)cohort__comoments_size(d) * sizeof *s->cm)) == NULL)
            st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
        else if (L.matrix)
            memcpy(s->cm, cm, (size_t)cohort__comoments_size(d) * sizeof *s->cm);
        st = cohort__agree(ctx, st);
    }
    cohort__phase_add(ctx, COHORT_PHASE_REDUCE, t1);
    cohort__free(ctx, state, state ? (size_t)n * sizeof *state : 0);
    cohort__free(ctx, D, D ? (size_t)(SB * d) * sizeof *D : 0);
    cohort__free(ctx, w, w ? (size_t)SB * (sizeof *w + sizeof *idx) + 4 * (size_t)d * sizeof *work : 0);
    if (st != COHORT_OK)
        cohort_stats_destroy(&s);
    *out = s;
    return st;
}

int cohort_stats_ncols(const cohort_stats *s) { return s ? s->d : 0; }
int64_t cohort_stats_rows(const cohort_stats *s) { return s ? s->rows : 0; }

int cohort_stats_column(const cohort_stats *s, int j, double ddof, cohort_column_stats *out)
{
    if (!s || !out || j < 0 || j >= s->d || !(ddof >= 0) || !s->moments)
        return COHORT_ERR_ARG;
    const cohort_moments *m = &s->cols[j];
    double n = m->w, nan = NAN;
    bool any = m->w > 0;
    *out = (cohort_column_stats){.count = m->count, .nan = m->nan, .weight = m->w, .sum = m->sum + m->sum_c};
    out->mean = any ? m->mean + m->mean_lo : nan;
    out->min = m->count > 0 ? m->min : nan;
    out->max = m->count > 0 ? m->max : nan;
    out->var = n - ddof > 0 ? m->m2 / (n - ddof) : nan;
    out->std = sqrt(out->var);
    /* pandas' nanskew and nankurt, with sums of powers of deviations. */
    if (n < 3)
        out->skew = nan;
    else if (m->m2 == 0)
        out->skew = 0;
    else
        out->skew = n * sqrt(n - 1) / (n - 2) * (m->m3 / pow(m->m2, 1.5));
    if (n < 4)
        out->kurtosis = nan;
    else if (m->m2 == 0)
        out->kurtosis = 0;
    else
        out->kurtosis = n * (n + 1) * (n - 1) * m->m4 / ((n - 2) * (n - 3) * m->m2 * m->m2) -
                        3 * (n - 1) * (n - 1) / ((n - 2) * (n - 3));
    return COHORT_OK;
}

int64_t cohort_stats_matrix_rows(const cohort_stats *s) { return s && s->cm ? cohort__comoments_rows(s->cm) : 0; }
double cohort_stats_matrix_weight(const cohort_stats *s) { return s && s->cm ? s->cm[1] : 0; }

/* For regression: the co-moment state (NULL without the matrix). */
const double *cohort__stats_comoments(const cohort_stats *s) { return s ? s->cm : NULL; }

int cohort_stats_covariance(const cohort_stats *s, double ddof, double *cov)
{
    if (!s || !s->cm || !cov || !(ddof >= 0))
        return COHORT_ERR_ARG;
    double denom = s->cm[1] - ddof;
    cohort__comoments_matrix(s->d, s->cm, denom > 0 ? denom : NAN, cov);
    return COHORT_OK;
}

int cohort_stats_correlation(const cohort_stats *s, double *corr)
{
    int st = cohort_stats_covariance(s, 1, corr);
    if (st != COHORT_OK)
        return st;
    int d = s->d;
    double *sd = malloc((size_t)d * sizeof *sd);
    if (sd == NULL)
        return COHORT_ERR_NOMEM;
    for (int i = 0; i < d; i++)
        sd[i] = sqrt(corr[(size_t)i * d + i]);
    /* np.corrcoef: c / d[:, None] / d[None, :], clipped; 0 / 0 is NaN. */
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double v = corr[(size_t)i * d + j] / sd[i] / sd[j];
            corr[(size_t)i * d + j] = v > 1 ? 1 : v < -1 ? -1 : v;
        }
    free(sd);
    return COHORT_OK;
}

void cohort_stats_destroy(cohort_stats **s)
{
    if (!s || !*s)
        return;
    free((*s)->cols);
    free((*s)->cm);
    free(*s);
    *s = NULL;
}
