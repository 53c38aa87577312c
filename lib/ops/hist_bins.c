/*
 * hist_bins.c — numpy's bin-count estimators (np.histogram_bin_edges with
 * bins="auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt"),
 * over the ranks.
 *
 * numpy (lib/histograms.py, _get_bin_edges) keeps the data within the
 * range, asks the estimator for a bin width, and takes
 * ceil((last - first) / width) bins (1 when the width is 0 or no value is
 * kept).  The estimators need, of the kept values: their count and spread
 * (sqrt, sturges, rice), standard deviation (scott), skewness (doane),
 * interquartile range (fd, auto) or, for stone, the histogram at every
 * bin count from 1 to max(100, sqrt(n)).  Here they come from the
 * library's own collective operations over a source of the kept values:
 * cohort_stats_compute (one pass, stable moments), cohort_quantiles
 * (numpy's linear percentiles, exact), and for stone passes that count
 * many uniform histograms at once, by numpy's rule.  numpy computes the
 * standard deviation and skewness with its own roundings; where the ratio
 * of the range to the width lands within rounding of an integer the two
 * may take one bin apart (documented in cohort.h).
 */
#include "ops.h"

#include <math.h>
#include <stdlib.h>

static const char *const rule_names[] = {"", "auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt"};
#define NRULES 9

int cohort_hist_bin_rule_parse(const char *name, cohort_hist_bin_rule *rule)
{
    for (int k = 1; name && k < NRULES; k++)
        if (strcmp(name, rule_names[k]) == 0) {
            *rule = (cohort_hist_bin_rule)k;
            return COHORT_OK;
        }
    return COHORT_ERR_ARG;
}

/* ---- a source of the kept values: column @col of @in within [lo, hi] ----- */

typedef struct kept {
    cohort_ctx *ctx;
    cohort_source *in;
    int col;
    double lo, hi;
    double *buf;
    int64_t cap;
    cohort_column out;
} kept;

static int kept_rewind(void *arg)
{
    kept *s = arg;
    return s->in->rewind(s->in->arg);
}

static int kept_next(void *arg, const cohort_column **cols, int64_t *rows, int *done)
{
    kept *s = arg;
    const cohort_column *in;
    int64_t n;
    int st = s->in->next(s->in->arg, &in, &n, done);
    *rows = 0, *cols = &s->out;
    s->out = cohort_column_make(NULL, COHORT_DOUBLE, 0, s->buf);
    if (st != COHORT_OK || *done)
        return st;
    if (n > s->cap) {
        double *buf = NULL;
        st = cohort__alloc(s->ctx, (size_t)n * sizeof *buf, "kept values", (void **)&buf);
        if (st == COHORT_OK) {
            cohort__free(s->ctx, s->buf, (size_t)s->cap * sizeof *s->buf);
            s->buf = buf, s->cap = n;
        }
    }
    /* A source's status is the same on every rank: next() is collective. */
    if ((st = cohort__agree(s->ctx, st)) != COHORT_OK)
        return st;
    int64_t k = 0;
    for (int64_t at = 0; at < n; at += 1024) {
        double chunk[1024];
        int64_t m = n - at < 1024 ? n - at : 1024;
        cohort__column_to_double(&in[s->col], at, m, chunk);
        for (int64_t i = 0; i < m; i++)
            if (chunk[i] >= s->lo && chunk[i] <= s->hi) /* NaN never */
                s->buf[k++] = chunk[i];
    }
    s->out = cohort_column_make(NULL, COHORT_DOUBLE, k, s->buf);
    *rows = k;
    return COHORT_OK;
}

/* ---- stone: the histograms at every bin count, many per pass ------------- */

/* Σ over bins of (count / n)², for each bin count m in [m0, m1), by
 * numpy.histogram's rule over [first, last]: into sums[m - m0]. */
static int stone_batch(cohort_ctx *ctx, cohort_source *src, double first, double last, int64_t n, int64_t m0,
                       int64_t m1, double *sums)
{
    int64_t total = 0;
    for (int64_t m = m0; m < m1; m++)
        total += m + 1; /* counts, and the edges below */
    int64_t *counts = NULL;
    double *edges = NULL;
    cohort_ubins *ub = NULL;
    int st = cohort__calloc(ctx, (size_t)total * sizeof *counts, "stone's counts", (void **)&counts);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)total * sizeof *edges, "stone's edges", (void **)&edges);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)(m1 - m0) * sizeof *ub, "stone's bins", (void **)&ub);
    st = cohort__agree(ctx, st);
    for (int64_t m = m0, at = 0; st == COHORT_OK && m < m1; at += m + 1, m++) {
        double step = (last - first) / (double)m, *e = edges + at;
        for (int64_t i = 0; i <= m; i++) /* numpy.linspace */
            e[i] = (double)i * step + first;
        e[m] = last;
        cohort__ubins_init(&ub[m - m0], m, first, last, (double)m / (last - first), step, e);
    }
    if (st == COHORT_OK)
        st = src->rewind(src->arg);
    for (int done = 0; st == COHORT_OK;) {
        const cohort_column *cols;
        int64_t rows;
        st = src->next(src->arg, &cols, &rows, &done);
        if (st != COHORT_OK || done)
            break;
        const double *x = cols[0].data;
        for (int64_t m = m0, at = 0; m < m1; at += m + 1, m++)
            for (int64_t i = 0; i < rows; i++) {
                int64_t b = cohort__ubins_bin(&ub[m - m0], x[i]);
                counts[at + (b >= 0 ? b : m)] += b >= 0; /* kept values are all in range */
            }
    }
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, counts, (int)total, MPI_INT64_T, MPI_SUM,
                                                              ctx->comm)));
    for (int64_t m = m0, at = 0; st == COHORT_OK && m < m1; at += m + 1, m++) {
        double s = 0; /* p_k.dot(p_k), p_k = counts / n */
        for (int64_t k = 0; k < m; k++) {
            double p = (double)counts[at + k] / (double)n;
            s += p * p;
        }
        sums[m - m0] = s;
    }
    cohort__free(ctx, counts, counts ? (size_t)total * sizeof *counts : 0);
    cohort__free(ctx, edges, edges ? (size_t)total * sizeof *edges : 0);
    cohort__free(ctx, ub, ub ? (size_t)(m1 - m0) * sizeof *ub : 0);
    return st;
}

/* numpy's _hist_bin_stone: the bin count in [1, max(100, sqrt(n))] that
 * minimises the estimated L2 risk; the width ptp / that count. */
static int stone_width(cohort_ctx *ctx, cohort_source *src, double first, double last, int64_t n, double ptp,
                       double *width)
{
    *width = 0;
    if (n <= 1 || ptp == 0)
        return COHORT_OK;
    int64_t upper = (int64_t)sqrt((double)n);
    upper = upper > 100 ? upper : 100;
    double best = INFINITY, *sums = NULL;
    int64_t best_m = 1;
    int st = cohort__agree(ctx, cohort__alloc(ctx, (size_t)upper * sizeof *sums, "stone's risks", (void **)&sums));
    /* Batches of bin counts whose counts take at most 2^21 int64 (16 MiB). */
    for (int64_t m0 = 1; st == COHORT_OK && m0 <= upper;) {
        int64_t m1 = m0, cells = 0;
        while (m1 <= upper && (m1 == m0 || cells + m1 + 1 <= ((int64_t)1 << 21)))
            cells += m1 + 1, m1++;
        st = stone_batch(ctx, src, first, last, n, m0, m1, sums + (m0 - 1));
        m0 = m1;
    }
    for (int64_t m = 1; st == COHORT_OK && m <= upper; m++) {
        double hh = ptp / (double)m, jhat = (2 - (double)(n + 1) * sums[m - 1]) / hh;
        if (jhat < best) /* the first minimum, as Python's min() */
            best = jhat, best_m = m;
    }
    if (st == COHORT_OK)
        *width = ptp / (double)best_m;
    cohort__free(ctx, sums, sums ? (size_t)upper * sizeof *sums : 0);
    return st;
}

int cohort__hist_estimate_bins(cohort_ctx *ctx, cohort_source *src, int col, cohort_hist_bin_rule rule, double first,
                               double last, bool keep_range, int64_t *nbins)
{
    kept k = {ctx, src, col, keep_range ? first : -INFINITY, keep_range ? last : INFINITY, NULL, 0, {0}};
    cohort_source ks = {1, kept_rewind, kept_next, &k};
    cohort_stats *s = NULL;
    cohort_column_stats cs = {0};
    *nbins = 1;
    int st = cohort_stats_compute(ctx, &ks, 0, &s);
    if (st == COHORT_OK)
        cohort_stats_column(s, 0, 0, &cs); /* ddof 0: np.std */
    cohort_stats_destroy(&s);
    int64_t n = cs.count;
    double nd = (double)n, ptp = cs.max - cs.min, width = 0, iqr = 0;
    if (st == COHORT_OK && n > 0 && (rule == COHORT_HIST_BINS_FD || rule == COHORT_HIST_BINS_AUTO)) {
        double q[2] = {0.75, 0.25}, v[2];
        st = cohort_quantiles(ctx, &ks, q, 2, COHORT_QUANTILE_LINEAR, v, NULL, NULL);
        iqr = v[0] - v[1];
    }
    double sturges = ptp / (log2(nd) + 1.0), fd = 2.0 * iqr * pow(nd, -1.0 / 3.0);
    if (st == COHORT_OK && n > 0)
        switch (rule) {
        case COHORT_HIST_BINS_SQRT: width = ptp / sqrt(nd); break;
        case COHORT_HIST_BINS_STURGES: width = sturges; break;
        case COHORT_HIST_BINS_RICE: width = ptp / (2.0 * pow(nd, 1.0 / 3)); break;
        case COHORT_HIST_BINS_SCOTT: width = pow(24.0 * pow(M_PI, 0.5) / nd, 1.0 / 3.0) * cs.std; break;
        case COHORT_HIST_BINS_FD: width = fd; break;
        case COHORT_HIST_BINS_AUTO: width = fd ? fmin(fd, sturges) : sturges; break;
        case COHORT_HIST_BINS_DOANE:
            if (n > 2 && cs.std > 0) {
                double sg1 = sqrt(6.0 * (nd - 2) / ((nd + 1.0) * (nd + 3)));
                /* numpy's g1 = mean(((x - mean) / std)³), the biased skewness; cohort's skew is
                 * pandas' bias-corrected one, g1 sqrt(n (n - 1)) / (n - 2). */
                double g1 = cs.skew * (nd - 2) / sqrt(nd * (nd - 1));
                width = ptp / (1.0 + log2(nd) + log2(1.0 + fabs(g1) / sg1));
            }
            break;
        case COHORT_HIST_BINS_STONE: st = stone_width(ctx, &ks, first, last, n, ptp, &width); break;
        default: break;
        }
    if (st == COHORT_OK && n > 0 && width != 0) {
        double b = ceil((last - first) / width);
        if (!(b >= 1 && b <= 1e9))
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "the %s estimator asks for %g bins", rule_names[rule], b);
        else
            *nbins = (int64_t)b;
    }
    cohort__free(ctx, k.buf, (size_t)k.cap * sizeof *k.buf);
    return cohort__agree(ctx, st);
}
