/*
 * histogram.c — 1-D and N-D histograms with numpy's bin membership,
 * over a source of row blocks, reduced once over the ranks.
 *
 * numpy's exact rules, reproduced here because users compare with it:
 *  - 1-D uniform bins (np.histogram): edges are linspace(first, last, n+1)
 *    (i*step + first, the last edge exactly last); a value's bin is
 *    trunc((x - first) * norm), moved down one if x is below that bin's
 *    left edge and up one if at or above its right edge (not past the last
 *    bin, which is closed).  Arithmetic is in the edges' type: float32 for
 *    float32 data (numpy's type promotion), else float64; integer data is
 *    converted to float64, and norm = n / (last - first) with an exact
 *    integer difference for an automatic integer range.
 *  - explicit or log-spaced edges: bin i holds edges[i] <= x < edges[i+1],
 *    the last bin also x == its right edge (searchsorted, side="right").
 *  - N-D (np.histogramdd): float64 linspace edges per dimension, the same
 *    searchsorted rule in each; a row outside any dimension is not binned.
 * Values are handled in blocks of a few thousand converted on the stack.
 */
#include "ops.h"

#include <math.h>
#include <stdlib.h>

#define CHUNK 2048
#define XSUM_MAX_BINS 65536

/* A row not binned: -(its tally index) - 1, the codes cohort__ubins_bin returns. */
enum { OUT_NAN = -1, OUT_UNDER = -2, OUT_OVER = -3 };

/* How one dimension bins its values. */
typedef struct axis {
    int64_t n;            /* bins */
    double *edges;        /* n + 1, float64 (the result's edges) */
    float *edges32;       /* float32 edges when binning in float32 (1-D float32 data) */
    bool uniform;         /* numpy's fast path (1-D uniform bins) */
    bool f32;             /* arithmetic in float32 */
    float first32, last32, norm32;
    cohort_ubins ub;      /* uniform bins in float64: range, norm, edges */
} axis;

/* Global min and max of a column's non-NaN values, kept exactly for integers. */
typedef struct range {
    double dmin, dmax;
    int64_t imin, imax;   /* signed integer types */
    uint64_t umin, umax;  /* unsigned integer types */
    int64_t count;        /* non-NaN values */
} range;

static void range_add(range *r, const cohort_column *c, int64_t n)
{
    if (c->type == COHORT_DOUBLE) { /* the common case, straight from memory */
        r->count += n - cohort__range_double(c->data, n, &r->dmin, &r->dmax);
    } else if (cohort_type_is_float(c->type)) {
        double buf[CHUNK];
        for (int64_t at = 0; at < n; at += CHUNK) {
            int64_t m = n - at < CHUNK ? n - at : CHUNK;
            cohort__column_to_double(c, at, m, buf);
            for (int64_t i = 0; i < m; i++)
                if (buf[i] == buf[i]) {
                    r->dmin = buf[i] < r->dmin ? buf[i] : r->dmin;
                    r->dmax = buf[i] > r->dmax ? buf[i] : r->dmax;
                    r->count++;
                }
        }
    } else { /* integers, exactly: widened a chunk at a time */
        int64_t buf[CHUNK];
        bool is_signed = cohort_type_is_signed(c->type);
        for (int64_t at = 0; at < n; at += CHUNK) {
            int64_t m = n - at < CHUNK ? n - at : CHUNK;
            cohort__column_to_int64(c, at, m, buf);
            for (int64_t i = 0; i < m; i++) {
                if (is_signed) {
                    r->imin = buf[i] < r->imin ? buf[i] : r->imin;
                    r->imax = buf[i] > r->imax ? buf[i] : r->imax;
                } else {
                    uint64_t v = (uint64_t)buf[i];
                    r->umin = v < r->umin ? v : r->umin;
                    r->umax = v > r->umax ? v : r->umax;
                }
            }
        }
        r->count += n;
    }
}

/* numpy.linspace(first, last, n + 1) in float64.  When last - first
 * overflows (numpy's own linspace then gives NaN and infinities), the
 * edges are the weighted means first (n - i) / n + last i / n instead,
 * which never overflow. */
static void linspace(double first, double last, int64_t n, double *out)
{
    double step = (last - first) / (double)n;
    for (int64_t i = 0; i <= n; i++)
        out[i] = !isfinite(step)   ? first * ((double)(n - i) / (double)n) + last * ((double)i / (double)n)
                 : step != 0 ? (double)i * step + first
                             : (double)i / (double)n * (last - first) + first;
    out[n] = last;
}

/* Whether edges[0..n] increase strictly (bins that can each hold a value). */
static bool strictly_increasing(const double *e, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!(e[i] < e[i + 1]))
            return false;
    return true;
}

/* The index of x under searchsorted(edges, x, side="right") - 1, with the
 * last edge belonging to the last bin; or an OUT_ code. */
static inline int64_t search_bin(const double *e, int64_t n, double x)
{
    if (x != x)
        return OUT_NAN;
    if (x < e[0])
        return OUT_UNDER;
    if (x > e[n])
        return OUT_OVER;
    int64_t lo = 0, hi = n + 1; /* first edge > x */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (e[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t i = lo - 1;
    return i >= n ? n - 1 : i;
}

static inline int64_t uniform_bin32(const axis *a, float x)
{
    if (x != x)
        return OUT_NAN;
    if (x < a->first32)
        return OUT_UNDER;
    if (x > a->last32)
        return OUT_OVER;
    float f = (x - a->first32) * a->norm32;
    int64_t i = (int64_t)f;
    if (i == a->n)
        i--;
    if (x < a->edges32[i])
        i--;
    else if (i != a->n - 1 && x >= a->edges32[i + 1])
        i++;
    return i;
}

/* Bin indices (C order over dimensions) of rows [at, at + m) of a block. */
static void bin_rows(const axis *ax, int ndim, const cohort_column *cols, int64_t at, int64_t m, int64_t *idx)
{
    double buf[CHUNK];
    if (ndim == 1 && ax[0].f32) {
        const float *x = (const float *)cols[0].data + at;
        for (int64_t i = 0; i < m; i++)
            idx[i] = uniform_bin32(&ax[0], x[i]);
        return;
    }
    for (int d = 0; d < ndim; d++) {
        const axis *a = &ax[d];
        cohort__column_to_double(&cols[d], at, m, buf);
        for (int64_t i = 0; i < m; i++) {
            int64_t b = a->uniform ? cohort__ubins_bin(&a->ub, buf[i]) : search_bin(a->edges, a->n, buf[i]);
            if (d == 0) {
                idx[i] = b;
            } else if (idx[i] >= 0) {
                idx[i] = b < 0 ? b : idx[i] * a->n + b;
            } else if (idx[i] != OUT_NAN && b == OUT_NAN) {
                idx[i] = OUT_NAN; /* NaN anywhere makes the row a NaN row */
            } else if (idx[i] == OUT_OVER && b == OUT_UNDER) {
                idx[i] = OUT_UNDER; /* below in some dimension comes first */
            }
        }
    }
}

static void merge_xsums(void *in, void *inout, int *len, MPI_Datatype *t)
{
    (void)t;
    for (int i = 0; i < *len; i++)
        cohort__xsum_merge((cohort_xsum *)inout + i, (const cohort_xsum *)in + i);
}

/* Neumaier-compensated sums, pairs (sum, correction), for many bins. */
typedef struct kahan {
    double s, c;
} kahan;
static inline void kahan_add(kahan *k, double x)
{
    double t = k->s + x;
    k->c += cohort__sum_error(k->s, x, t);
    k->s = t;
}

void cohort_hist_destroy(cohort_hist **hp)
{
    if (hp == NULL || *hp == NULL)
        return;
    cohort_hist *h = *hp;
    for (int d = 0; d < h->ndim; d++)
        free(h->edges[d]);
    free(h->counts);
    free(h->values);
    free(h);
    *hp = NULL;
}

static int check_axes(cohort_ctx *ctx, const cohort_hist_axis *axes, int ndim, int flags)
{
    if (ndim < 1 || ndim > COHORT_HIST_MAXDIM || axes == NULL)
        return COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_histogram: %d dimensions (1 to %d)", ndim, COHORT_HIST_MAXDIM);
    if (flags & ~(COHORT_HIST_WEIGHTED | COHORT_HIST_DENSITY | COHORT_HIST_CUMULATIVE))
        return COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_histogram: unknown flags %#x", flags);
    if ((flags & COHORT_HIST_CUMULATIVE) && ndim > 1)
        return COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_histogram: cumulative histograms are 1-D");
    for (int d = 0; d < ndim; d++) {
        const cohort_hist_axis *a = &axes[d];
        if ((int)a->rule < COHORT_HIST_BINS_GIVEN || a->rule > COHORT_HIST_BINS_SQRT)
            return COHORT_FAIL(ctx, COHORT_ERR_ARG, "dimension %d: unknown bin estimator %d", d, (int)a->rule);
        if (a->rule != COHORT_HIST_BINS_GIVEN && (ndim > 1 || a->edges || a->log || (flags & COHORT_HIST_WEIGHTED)))
            return COHORT_FAIL(ctx, COHORT_ERR_ARG, "bin estimators are for 1-D histograms of uniform bins without "
                                                    "weights (as numpy's)");
        if (a->edges) {
            if (a->nedges < 2)
                return COHORT_FAIL(ctx, COHORT_ERR_ARG, "dimension %d: at least 2 edges are needed", d);
            for (int64_t i = 0; i < a->nedges; i++)
                if (isnan(a->edges[i]) || (i > 0 && a->edges[i] < a->edges[i - 1]))
                    return COHORT_FAIL(ctx, COHORT_ERR_ARG, "dimension %d: edges must be numbers that increase monotonically",
                                       d);
            continue;
        }
        if (a->bins < 1 && a->rule == COHORT_HIST_BINS_GIVEN)
            return COHORT_FAIL(ctx, COHORT_ERR_ARG, "dimension %d: the number of bins must be positive", d);
        bool autorange = isnan(a->lo) && isnan(a->hi);
        if (!autorange && !(isfinite(a->lo) && isfinite(a->hi) && a->lo <= a->hi))
            return COHORT_FAIL(ctx, COHORT_ERR_ARG, "dimension %d: range [%g, %g] must be finite with lo <= hi", d, a->lo,
                               a->hi);
        if (a->log && (autorange || !(a->lo > 0)))
            return COHORT_FAIL(ctx, COHORT_ERR_ARG, "dimension %d: log bins need a given range with lo > 0", d);
    }
    return COHORT_OK;
}

/* Pass 1: the global ranges of the dimensions that need one. */
static int find_ranges(cohort_ctx *ctx, cohort_source *src, const cohort_hist_axis *axes, int ndim, range *r,
                       cohort_type *types)
{
    for (int d = 0; d < ndim; d++)
        r[d] = (range){INFINITY, -INFINITY, INT64_MAX, INT64_MIN, UINT64_MAX, 0, 0};
    int st = src->rewind(src->arg);
    for (int done = 0; st == COHORT_OK;) {
        const cohort_column *cols;
        int64_t rows;
        st = src->next(src->arg, &cols, &rows, &done);
        if (st != COHORT_OK || done)
            break;
        for (int d = 0; d < ndim; d++)
            if (rows > 0 && !axes[d].edges && isnan(axes[d].lo))
                range_add(&r[d], &cols[d], rows);
    }
    if (st != COHORT_OK)
        return st;
    double dmin[COHORT_HIST_MAXDIM], dmax[COHORT_HIST_MAXDIM];
    int64_t imin[COHORT_HIST_MAXDIM], imax[COHORT_HIST_MAXDIM], cnt[COHORT_HIST_MAXDIM];
    uint64_t umin[COHORT_HIST_MAXDIM], umax[COHORT_HIST_MAXDIM];
    for (int d = 0; d < ndim; d++)
        dmin[d] = r[d].dmin, dmax[d] = r[d].dmax, imin[d] = r[d].imin, imax[d] = r[d].imax, umin[d] = r[d].umin,
        umax[d] = r[d].umax, cnt[d] = r[d].count;
    st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, dmin, ndim, MPI_DOUBLE, MPI_MIN, ctx->comm));
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, dmax, ndim, MPI_DOUBLE, MPI_MAX, ctx->comm));
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, imin, ndim, MPI_INT64_T, MPI_MIN, ctx->comm));
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, imax, ndim, MPI_INT64_T, MPI_MAX, ctx->comm));
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, umin, ndim, MPI_UINT64_T, MPI_MIN, ctx->comm));
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, umax, ndim, MPI_UINT64_T, MPI_MAX, ctx->comm));
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, cnt, ndim, MPI_INT64_T, MPI_SUM, ctx->comm));
    for (int d = 0; d < ndim; d++)
        r[d] = (range){dmin[d], dmax[d], imin[d], imax[d], umin[d], umax[d], cnt[d]};
    (void)types;
    return st;
}

/* Edges and binning rule of dimension d. */
static int make_axis(cohort_ctx *ctx, const cohort_hist_axis *spec, const range *r, cohort_type t, bool one_d, axis *a)
{
    if (spec->edges) {
        a->n = spec->nedges - 1;
        a->edges = malloc((size_t)spec->nedges * sizeof *a->edges);
        if (!a->edges)
            return COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for edges");
        memcpy(a->edges, spec->edges, (size_t)spec->nedges * sizeof *a->edges);
        return COHORT_OK;
    }
    a->n = spec->bins;
    a->edges = malloc(((size_t)a->n + 1) * sizeof *a->edges);
    if (!a->edges)
        return COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for %lld edges", (long long)a->n + 1);
    bool autorange = isnan(spec->lo), is_int = cohort_type_is_integer(t), expanded = false;
    double first = spec->lo, last = spec->hi;
    uint64_t int_span = 0; /* exact last - first for an automatic integer range */
    if (autorange) {
        if (r->count == 0) {
            first = 0, last = 1;
        } else if (!is_int) {
            first = r->dmin, last = r->dmax;
        } else if (cohort_type_is_signed(t)) {
            first = (double)r->imin, last = (double)r->imax;
            int_span = (uint64_t)r->imax - (uint64_t)r->imin;
        } else {
            first = (double)r->umin, last = (double)r->umax;
            int_span = r->umax - r->umin;
        }
    }
    if (autorange && !(isfinite(first) && isfinite(last)))
        return COHORT_FAIL(ctx, COHORT_ERR_VALUE,
                           "the automatic range [%g, %g] of the data is not finite: give the range", first, last);
    if (first == last) {
        /* numpy widens an empty range by 0.5 each way; where 0.5 is below
         * the values' resolution (|x| >= 2^52) that is no widening at all,
         * so widen by two ulps per bin instead. */
        double x = first, d = x - 0.5 == x ? ldexp((double)a->n, ilogb(x) - 51) : 0.5;
        first = x - d, last = x + d;
        expanded = true;
        if (!isfinite(first) || !isfinite(last))
            return COHORT_FAIL(ctx, COHORT_ERR_VALUE, "the range of the constant value %g cannot be widened into bins: "
                               "give the range", x);
    }
    if (spec->log) { /* numpy.logspace: 10 ** linspace(log10(lo), log10(hi)), in long double (see cohort.h) */
        linspace((double)log10l(first), (double)log10l(last), a->n, a->edges);
        for (int64_t i = 0; i <= a->n; i++)
            a->edges[i] = (double)powl(10.0L, a->edges[i]);
        return COHORT_OK; /* binned by searching the edges */
    }
    linspace(first, last, a->n, a->edges);
    /* numpy's uniform rule needs a finite positive norm and a finite
     * (x - first) for every x in range; where the span overflows, or the
     * edges collapse, the edges are searched instead (the same bins). */
    double norm = autorange && is_int && !expanded && r->count > 0 ? (double)a->n / (double)int_span
                                                                    : (double)a->n / (last - first);
    if (!one_d || !isfinite(last - first) || !(isfinite(norm) && norm > 0) || !strictly_increasing(a->edges, a->n))
        return COHORT_OK; /* histogramdd, or the rule above: searching the edges, in float64 */
    a->uniform = true;
    cohort__ubins_init(&a->ub, a->n, first, last, norm, (last - first) / (double)a->n, a->edges);
    if (t == COHORT_FLOAT) { /* numpy bins float32 data in float32 */
        float *e32 = malloc(((size_t)a->n + 1) * sizeof *e32);
        if (!e32)
            return COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for edges");
        bool ok = true;
        for (int64_t i = 0; i <= a->n; i++)
            e32[i] = (float)a->edges[i], ok &= i == 0 || e32[i - 1] < e32[i];
        /* norm = n / (last - first): the difference is float32 when both
         * came from the float32 data unexpanded, float64 otherwise. */
        double span = autorange && !expanded && r->count > 0 ? (double)((float)last - (float)first) : last - first;
        float norm32 = (float)((double)a->n / span);
        if (!ok || !isfinite(span) || !(isfinite(norm32) && norm32 > 0)) { /* float32 cannot hold these bins */
            free(e32);
            a->uniform = false;
            return COHORT_OK;
        }
        a->f32 = true, a->edges32 = e32;
        a->first32 = (float)first, a->last32 = (float)last, a->norm32 = norm32;
        for (int64_t i = 0; i <= a->n; i++) /* the result's edges are the float32 ones */
            a->edges[i] = (double)a->edges32[i];
    }
    return COHORT_OK;
}

int cohort_histogram(cohort_ctx *ctx, cohort_source *src, const cohort_hist_axis *axes, int ndim, int flags,
                     cohort_hist **out)
{
    cohort__clear_error(ctx);
    double t0 = cohort__now();
    bool weighted = flags & COHORT_HIST_WEIGHTED;
    int st = out && src ? check_axes(ctx, axes, ndim, flags)
                        : COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_histogram: NULL argument");
    if (out)
        *out = NULL;
    if (st == COHORT_OK && src->ncols < ndim + (weighted ? 1 : 0))
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_histogram: the source has %d columns, %d needed", src->ncols,
                         ndim + (weighted ? 1 : 0));
    int64_t same[2] = {flags, st == COHORT_OK ? axes[0].rule : 0};
    st = cohort__agree_equal(ctx, st, same, 2, "cohort_histogram: the flags or the bin estimator");
    if (st != COHORT_OK)
        return st;

    /* Pass 1 (only when some dimension has an automatic range).  The
     * column types come from the first block. */
    range r[COHORT_HIST_MAXDIM];
    cohort_type types[COHORT_HIST_MAXDIM] = {0};
    bool need_range = false;
    for (int d = 0; d < ndim; d++)
        need_range |= !axes[d].edges && isnan(axes[d].lo);
    st = src->rewind(src->arg);
    {
        const cohort_column *cols;
        int64_t rows;
        int done;
        if (st == COHORT_OK)
            st = src->next(src->arg, &cols, &rows, &done);
        for (int d = 0; st == COHORT_OK && !done && d < ndim + (weighted ? 1 : 0); d++) {
            if (!cohort_type_is_integer(cols[d].type) && !cohort_type_is_float(cols[d].type))
                st = COHORT_FAIL(ctx, COHORT_ERR_TYPE, "histogram column %d is not numeric (%s)", d,
                                 cohort_type_name(cols[d].type) ? cohort_type_name(cols[d].type) : "?");
            else if (d < ndim)
                types[d] = cols[d].type;
        }
        st = cohort__agree(ctx, st);
    }
    if (st == COHORT_OK && need_range)
        st = cohort__agree(ctx, find_ranges(ctx, src, axes, ndim, r, types));

    /* A bin-count estimator: numpy's count of uniform bins over the range
     * (_get_outer_edges: the given range, else the data's, widened by 0.5
     * when empty), from the values within it. */
    cohort_hist_axis spec0 = axes[0];
    if (st == COHORT_OK && spec0.rule != COHORT_HIST_BINS_GIVEN) {
        bool given = !isnan(spec0.lo);
        bool is_int = cohort_type_is_integer(types[0]), is_signed = cohort_type_is_signed(types[0]);
        double first = given ? spec0.lo : r[0].count == 0 ? 0 : !is_int ? r[0].dmin : is_signed ? (double)r[0].imin : (double)r[0].umin;
        double last = given ? spec0.hi : r[0].count == 0 ? 1 : !is_int ? r[0].dmax : is_signed ? (double)r[0].imax : (double)r[0].umax;
        if (first == last)
            first -= 0.5, last += 0.5;
        if (!given && !(isfinite(first) && isfinite(last)))
            st = COHORT_FAIL(ctx, COHORT_ERR_VALUE,
                             "the automatic range [%g, %g] of the data is not finite: give the range", first, last);
        st = cohort__agree(ctx, st);
        if (st == COHORT_OK)
            st = cohort__hist_estimate_bins(ctx, src, 0, spec0.rule, first, last, given, &spec0.bins);
        spec0.rule = COHORT_HIST_BINS_GIVEN;
    }
    axes = ndim == 1 ? &spec0 : axes;

    /* The axes, and the result. */
    axis ax[COHORT_HIST_MAXDIM] = {{0}};
    cohort_hist *h = calloc(1, sizeof *h);
    int64_t size = 1;
    if (h == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    for (int d = 0; st == COHORT_OK && d < ndim; d++) {
        st = make_axis(ctx, &axes[d], &r[d], types[d], ndim == 1, &ax[d]);
        if (st == COHORT_OK && size > INT64_MAX / ax[d].n)
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_histogram: too many bins");
        size *= st == COHORT_OK ? ax[d].n : 1;
    }
    bool exact = weighted && size <= XSUM_MAX_BINS;
    size_t per_bin = !weighted ? sizeof(int64_t) : exact ? sizeof(cohort_xsum) : sizeof(kahan);
    void *acc = NULL;
    if (st == COHORT_OK)
        st = cohort__calloc(ctx, (size_t)size * per_bin, "histogram bins", &acc);
    st = cohort__agree(ctx, st);

    /* Pass 2: bin every row. */
    int64_t tally[4] = {0, 0, 0, 0}; /* nan, under, over, total */
    bool fast = ndim == 1 && !weighted && ax[0].uniform && !ax[0].f32 && types[0] == COHORT_DOUBLE;
    int64_t *sub = NULL; /* four copies of the counts, and a spare bin */
    size_t sub_bytes = fast ? 4 * ((size_t)size + 1) * sizeof *sub : 0;
    if (st == COHORT_OK && fast)
        st = cohort__agree(ctx, cohort__alloc(ctx, sub_bytes, "histogram counts", (void **)&sub));
    if (st == COHORT_OK)
        st = src->rewind(src->arg);
    for (int done = 0; st == COHORT_OK;) {
        const cohort_column *cols;
        int64_t rows;
        st = src->next(src->arg, &cols, &rows, &done);
        if (st != COHORT_OK || done)
            break;
        int64_t idx[CHUNK];
        double w[CHUNK];
        if (fast && rows > 0) {
            cohort__ubins_count(&ax[0].ub, cols[0].data, rows, acc, tally, sub);
            tally[3] += rows;
            continue;
        }
        for (int64_t at = 0; at < rows; at += CHUNK) {
            int64_t m = rows - at < CHUNK ? rows - at : CHUNK;
            bin_rows(ax, ndim, cols, at, m, idx);
            if (weighted)
                cohort__column_to_double(&cols[ndim], at, m, w);
            for (int64_t i = 0; i < m; i++) { /* a NaN weight makes its bin's sum NaN, as numpy */
                int64_t b = idx[i];
                if (b < 0)
                    tally[-b - 1]++;
                else if (!weighted)
                    ((int64_t *)acc)[b]++;
                else if (exact)
                    cohort__xsum_add((cohort_xsum *)acc + b, w[i]);
                else
                    kahan_add((kahan *)acc + b, w[i]);
            }
            tally[3] += m;
        }
    }
    cohort__phase_add(ctx, COHORT_PHASE_LOCAL, t0);

    /* One reduction of the bins (and one of the tallies). */
    double t1 = cohort__now();
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK) {
        st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, tally, 4, MPI_INT64_T, MPI_SUM, ctx->comm));
        if (st == COHORT_OK && !weighted)
            st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, acc, (int)size, MPI_INT64_T, MPI_SUM, ctx->comm));
        else if (st == COHORT_OK && exact) {
            MPI_Datatype t;
            MPI_Op op;
            MPI_Type_contiguous((int)sizeof(cohort_xsum), MPI_BYTE, &t);
            MPI_Type_commit(&t);
            MPI_Op_create(merge_xsums, 1, &op);
            st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, acc, (int)size, t, op, ctx->comm));
            MPI_Op_free(&op);
            MPI_Type_free(&t);
        } else if (st == COHORT_OK) {
            /* Sum then correction, reduced as pairs of doubles. */
            st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, acc, (int)(2 * size), MPI_DOUBLE, MPI_SUM, ctx->comm));
        }
        st = cohort__agree(ctx, st);
    }
    cohort__phase_add(ctx, COHORT_PHASE_REDUCE, t1);

    /* Results: counts or values, density, cumulative. */
    bool as_values = weighted || (flags & COHORT_HIST_DENSITY);
    if (st == COHORT_OK) {
        h->ndim = ndim, h->size = size;
        h->nan = tally[0], h->underflow = tally[1], h->overflow = tally[2], h->total = tally[3];
        for (int d = 0; d < ndim; d++) {
            h->nbins[d] = ax[d].n;
            h->edges[d] = ax[d].edges;
            ax[d].edges = NULL;
        }
        if (as_values && (h->values = malloc((size_t)size * sizeof(double))) == NULL)
            st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
        if (!as_values && (h->counts = malloc((size_t)size * sizeof(int64_t))) == NULL)
            st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    }
    if (st == COHORT_OK) {
        for (int64_t b = 0; b < size; b++) {
            if (!as_values)
                h->counts[b] = ((int64_t *)acc)[b];
            else if (!weighted)
                h->values[b] = (double)((int64_t *)acc)[b];
            else if (exact)
                h->values[b] = cohort__xsum_value((cohort_xsum *)acc + b);
            else
                h->values[b] = ((kahan *)acc)[b].s + ((kahan *)acc)[b].c;
        }
        double sum = 1;
        if (flags & COHORT_HIST_DENSITY) { /* exact (numpy's is exact for counts, pairwise for weights) */
            cohort_xsum all;
            cohort__xsum_init(&all);
            for (int64_t b = 0; b < size; b++)
                cohort__xsum_add(&all, h->values[b]);
            sum = cohort__xsum_value(&all);
        }
        if (flags & COHORT_HIST_CUMULATIVE) { /* 1-D: running totals; with density, the share up to here */
            double run = 0;
            for (int64_t b = 0; b < size; b++) {
                if (as_values)
                    h->values[b] = (run += h->values[b]) / sum;
                else if (b > 0)
                    h->counts[b] += h->counts[b - 1];
            }
        } else if (flags & COHORT_HIST_DENSITY) {
            /* numpy: n / widths / n.sum() (1-D); histogramdd divides by each
             * dimension's widths in turn, then by the sum.  An infinite
             * outer bin has density 0. */
            int64_t stride = size;
            for (int d = 0; d < ndim; d++) {
                stride /= h->nbins[d];
                for (int64_t b = 0; b < size; b++) {
                    int64_t k = (b / stride) % h->nbins[d];
                    h->values[b] = h->values[b] / (h->edges[d][k + 1] - h->edges[d][k]);
                }
            }
            for (int64_t b = 0; b < size; b++)
                h->values[b] = h->values[b] / sum;
        }
    }
    for (int d = 0; d < ndim; d++) {
        free(ax[d].edges);
        free(ax[d].edges32);
    }
    cohort__free(ctx, acc, (size_t)size * per_bin);
    cohort__free(ctx, sub, sub_bytes);
    if (st != COHORT_OK)
        cohort_hist_destroy(&h);
    else
        *out = h;
    return st;
}
