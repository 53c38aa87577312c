/*
 * ops.h — internals shared by the collective operations.  Never installed.
 */
#ifndef COHORT_OPS_H
#define COHORT_OPS_H

#include "../kernels/kernels.h"

/*
 * Distributed selection over records sorted on every rank (layout @L, @n
 * local records).  For each of the @m global positions targets[k] (in
 * [0, N], N the global count) find the local split pos[k]: the number of
 * this rank's records that come before global position targets[k] in the
 * stable global order (ties broken by rank).  When @keys_out is not NULL it
 * receives the encoded key at each position (kw bytes each; zero when the
 * position is N).  Exact; no data is gathered: each round is three small
 * reductions of O(m), and each round shrinks the largest candidate range.
 * Collective; @m and targets equal on every rank.
 */
int cohort__select_sorted(cohort_ctx *ctx, const rec_layout *L, const void *recs, int64_t n, const int64_t *targets,
                          int m, int64_t *pos, void *keys_out);
/* The same, each target k in its own sorted records recs[k] (n[k] of them
 * on this rank): targets[k] is a position in the global order of those.
 * Targets may share records. */
int cohort__select_sorted_each(cohort_ctx *ctx, const rec_layout *L, const void *const *recs, const int64_t *n,
                               const int64_t *targets, int m, int64_t *pos, void *keys_out);

/* For tests: when true, cohort_sort takes the path of byte-string keys and
 * of ranks over 2 GiB for integer keys too (sort locally, split, exchange,
 * merge) rather than sorting by buckets.  False normally. */
extern bool cohort__sort_merge_only;
/* The most piece counts one rank may receive in the bucket path (ranks ×
 * buckets of its slice), past which cohort_sort takes the merge path; 2^22
 * normally, lowered by tests. */
extern int64_t cohort__sort_pieces_max;

/* For tests: called by cohort_sort just before it verifies its result, so
 * that a planted corruption can be shown to be caught.  NULL normally. */
extern void (*cohort__sort_before_verify)(cohort_column *keys, cohort_column *payloads, int npayloads);

/* For tests: the most candidate keys cohort_quantiles gathers to finish in
 * memory (a negative value: never gather, read the data for every digit). */
extern int64_t cohort__quantile_candidates_max;

/* numpy.quantile's method on n sorted values (function_base._quantile):
 * the order statistics it reads (0-based) and the interpolation weight. */
void cohort__quantile_order_stats(cohort_quantile_method method, int64_t n, double q, int64_t *lo, int64_t *hi,
                                  double *gamma);
/* Two encoded keys of a column like @like as numpy computes with them:
 * their values and their difference (in the values' type). */
void cohort__quantile_key_values(const cohort_column *like, uint64_t ka, uint64_t kb, double *a, double *b,
                                 double *diff);
/* numpy's _lerp(a, b, t), given diff = b - a. */
double cohort__lerp(double a, double b, double diff, double t);

/* hist_bins.c: the number of uniform bins that numpy's estimator @rule
 * gives for the non-NaN values of column @col of @src (those within
 * [first, last] when @keep_range), over [first, last].  Collective. */
int cohort__hist_estimate_bins(cohort_ctx *ctx, cohort_source *src, int col, cohort_hist_bin_rule rule, double first,
                               double last, bool keep_range, int64_t *nbins);

/* ---- groupby_order.c: group aggregates that need the values themselves ---- */

/* Per group of this rank (in the order of its merged records), for one
 * value column: what the sorted (key, value) pairs gave.  NULL when not
 * asked for. */
typedef struct cohort_group_order {
    int nq;
    double *median;
    double *q;         /* groups × nq */
    int64_t *nunique;
    double *prod;      /* products of floats in the canonical order (reproducible mode) */
    size_t bytes;      /* of the four arrays, as accounted */
} cohort_group_order;

/* Whether value column @j (any column when j < 0) needs the pairs. */
bool cohort__group_order_wanted(const agg_layout *L, const cohort_groupby_options *o, int j);
/* Fill @out for value column @j from a pass over @src: every rank's @groups
 * merged records (ngroups, key order, NaN keys already dropped as asked).
 * Collective. */
int cohort__group_order(cohort_ctx *ctx, cohort_source *src, const agg_layout *L, const cohort_groupby_options *o,
                        int j, const unsigned char *groups, int64_t ngroups, cohort_group_order *out);
void cohort__group_order_free(cohort_ctx *ctx, cohort_group_order *g);

/* stats.c: what both statistics passes check of a block: every column
 * numeric (on the first block with rows; *@checked then set), every weight
 * >= 0 and finite.  Local statuses, recorded in ctx. */
int cohort__stats_check_columns(cohort_ctx *ctx, const cohort_column *cols, int ncols, int64_t rows, int *checked);
int cohort__stats_check_weights(cohort_ctx *ctx, const double *w, int64_t n);

/* stats_exact.c: the reproducible statistics of the source's first @d
 * columns (then the weights): *@rows, the moments (d of them, when
 * @moments), the co-moment state (comoments.c's layout, when @matrix).
 * Collective. */
int cohort__stats_exact(cohort_ctx *ctx, cohort_source *src, int d, bool weighted, bool moments, bool matrix,
                        int64_t *rows, cohort_moments *mom, double *cm);

/* The co-moment state of statistics computed with COHORT_STATS_MATRIX. */
const double *cohort__stats_comoments(const cohort_stats *s);

#endif
