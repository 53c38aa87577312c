/*
 * groupby.c — distributed group-by with mergeable aggregates.
 *
 * 1. Each rank walks its rows once, aggregating them into a hash table of
 *    group records (groupagg.c): memory follows the number of groups, not
 *    of rows, and a hot key costs one slot.
 * 2. It sorts its records by key (the sort's radix kernel).
 * 3. Split points: the keys at global positions k G / p of the ranks'
 *    sorted records (distributed selection, G records in all); every
 *    record whose key is below split k goes to a rank below k, so that all
 *    the partial records of a key meet on one rank.
 * 4. One all-to-all moves the records; the received runs (one per sender,
 *    each sorted) are merged, and equal neighbours combined.
 * 5. Median, quantiles, nunique and the reproducible products of floats
 *    need the values themselves: groupby_order.c sorts (key, value) pairs
 *    across the ranks and sends each group's results to the rank that
 *    holds it.
 * 6. Each rank's groups, in key order, become its rows of the result; the
 *    exact integer sums and products are checked against their type here,
 *    so that an overflow depends on the final value alone.
 */
#include "ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const agg_names[] = {"count", "sum",  "mean",   "min",      "max",     "var",  "std", "first",
                                        "last",  "prod", "sem",    "median",   "quantile", "nunique", "size"};
#define NAGG 15

const char *cohort_agg_name(unsigned agg)
{
    for (int k = 0; k < NAGG; k++)
        if (agg == 1u << k)
            return agg_names[k];
    return NULL;
}

int cohort_agg_parse(const char *list, cohort_groupby_options *opts)
{
    unsigned bits = 0;
    int nq = 0;
    double q[COHORT_AGG_MAXQUANTILES];
    if (!list || !opts)
        return COHORT_ERR_ARG;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len > 9 && strncmp(p, "quantile:", 9) == 0) { /* quantile:Q */
            char num[64], *end;
            if (len - 9 >= sizeof num || nq == COHORT_AGG_MAXQUANTILES)
                return COHORT_ERR_ARG;
            memcpy(num, p + 9, len - 9), num[len - 9] = 0;
            q[nq] = strtod(num, &end);
            if (*end || !(q[nq] >= 0 && q[nq] <= 1))
                return COHORT_ERR_ARG;
            nq++, bits |= COHORT_AGG_QUANTILE;
        } else {
            int k = 0;
            while (k < NAGG && !(strlen(agg_names[k]) == len && strncmp(p, agg_names[k], len) == 0))
                k++;
            if (k == NAGG || (1u << k) == COHORT_AGG_QUANTILE) /* bare "quantile": which one? */
                return COHORT_ERR_ARG;
            bits |= 1u << k;
        }
        p += len + (p[len] == ',');
    }
    if (bits == 0)
        return COHORT_ERR_ARG;
    opts->aggs = bits;
    opts->nquantiles = nq;
    memcpy(opts->quantiles, q, (size_t)nq * sizeof *q);
    return COHORT_OK;
}

/* A fingerprint of the columns' types and widths, to agree on in one value. */
static int64_t types_print(const cohort_column *cols, int n)
{
    uint64_t h = 1469598103934665603ull;
    for (int j = 0; j < n; j++)
        h = (h ^ ((uint64_t)cols[j].type * 1000003u + cols[j].width)) * 1099511628211ull;
    return (int64_t)(h >> 1);
}

static inline double get_d(const unsigned char *r, size_t off) { double x; memcpy(&x, r + off, 8); return x; }
static inline int64_t get_i(const unsigned char *r, size_t off) { int64_t x; memcpy(&x, r + off, 8); return x; }

/* The non-NaN values of value @v in record @r. */
static int64_t nonnan(const agg_layout *L, const agg_value *v, const unsigned char *r)
{
    return get_i(r, L->kw) - get_i(r, v->nan);
}

/* An exact integer sum or product as its result type; false when it does not fit. */
static bool fits(const agg_value *v, __int128 x)
{
    return v->is_signed ? x >= INT64_MIN && x <= INT64_MAX : x >= 0 && x <= (__int128)UINT64_MAX;
}

/* The group's float sum: Neumaier's sum and correction, or the exact sum. */
static double float_sum(const agg_layout *L, const agg_value *v, const unsigned char *r)
{
    if (L->exact)
        return cohort__xsum_value((const cohort_xsum *)(const void *)(r + v->sum));
    double t = get_d(r, v->sum);
    /* An infinite or NaN sum is IEEE's ([x, inf] is inf); the correction
     * would turn it into NaN. */
    return isfinite(t) ? t + get_d(r, v->sum + 8) : t;
}

/* The exact integer sum divided by n, to the nearest double but for a
 * double rounding (64-bit long double first) that is rarely one ulp. */
static double int_mean(__int128 s, int64_t n) { return (double)((long double)s / (long double)n); }

static double variance(const agg_layout *L, const agg_value *v, const unsigned char *r)
{
    int64_t nn = nonnan(L, v, r);
    if (L->exact)
        return cohort__xsum_var((const cohort_xsum *)(const void *)(r + v->s1),
                                (const cohort_xsq *)(const void *)(r + v->sq), nn, 1.0);
    return nn >= 2 ? (get_d(r, v->welford + 16) + get_d(r, v->welford + 24)) / (double)(nn - 1) : NAN;
}

/* The integer product in record @r, into *out; false when it does not fit. */
static bool int_prod(const agg_value *v, const unsigned char *r, __int128 *out)
{
    uint64_t mag = (uint64_t)get_i(r, v->prod);
    int64_t flags = get_i(r, v->prod + 8);
    *out = 0;
    if (flags & COHORT_PROD_ZERO)
        return true;
    if (flags & COHORT_PROD_OVER)
        return false;
    *out = flags & COHORT_PROD_NEG ? -(__int128)mag : (__int128)mag;
    return fits(v, *out);
}

/* Store an element of the value's type (its bits in @bits, or the double @d). */
static void put_typed(cohort_type type, void *data, int64_t i, int64_t bits, double d)
{
    switch (type) {
    case COHORT_FLOAT: ((float *)data)[i] = (float)d; break;
    case COHORT_DOUBLE: ((double *)data)[i] = d; break;
    case COHORT_INT8: ((int8_t *)data)[i] = (int8_t)bits; break;
    case COHORT_INT16: ((int16_t *)data)[i] = (int16_t)bits; break;
    case COHORT_INT32: ((int32_t *)data)[i] = (int32_t)bits; break;
    case COHORT_UINT8: ((uint8_t *)data)[i] = (uint8_t)bits; break;
    case COHORT_UINT16: ((uint16_t *)data)[i] = (uint16_t)bits; break;
    case COHORT_UINT32: ((uint32_t *)data)[i] = (uint32_t)bits; break;
    default: memcpy((unsigned char *)data + (size_t)i * 8, &bits, 8); break;
    }
}

/* The result's value of aggregate @agg of value @v in record @r (group @i
 * on this rank), into column @c at row i; COHORT_ERR_OVERFLOW when an
 * exact integer result does not fit its type. */
static int put_result(const agg_layout *L, const agg_value *v, const cohort_group_order *ord, const unsigned char *r,
                      unsigned agg, int qk, cohort_column *c, int64_t i)
{
    int64_t nn = nonnan(L, v, r);
    double *d = c->data;
    __int128 w;
    switch (agg) {
    case COHORT_AGG_COUNT: ((int64_t *)c->data)[i] = nn; return COHORT_OK;
    case COHORT_AGG_SUM:
        if (v->is_float) {
            d[i] = float_sum(L, v, r);
            return COHORT_OK;
        }
        memcpy(&w, r + v->sum, 16);
        if (!fits(v, w))
            return COHORT_ERR_OVERFLOW;
        put_typed(v->is_signed ? COHORT_INT64 : COHORT_UINT64, c->data, i, (int64_t)w, 0);
        return COHORT_OK;
    case COHORT_AGG_MEAN:
        if (nn == 0)
            d[i] = NAN;
        else if (v->is_float)
            d[i] = float_sum(L, v, r) / (double)nn;
        else
            memcpy(&w, r + v->sum, 16), d[i] = int_mean(w, nn);
        return COHORT_OK;
    case COHORT_AGG_VAR: d[i] = variance(L, v, r); return COHORT_OK;
    case COHORT_AGG_STD: d[i] = sqrt(variance(L, v, r)); return COHORT_OK;
    case COHORT_AGG_SEM: d[i] = sqrt(variance(L, v, r)) / sqrt((double)nn); return COHORT_OK;
    case COHORT_AGG_PROD:
        if (v->is_float) {
            d[i] = ord && ord->prod ? ord->prod[i] : get_d(r, v->prod);
            return COHORT_OK;
        }
        if (!int_prod(v, r, &w))
            return COHORT_ERR_OVERFLOW;
        put_typed(v->is_signed ? COHORT_INT64 : COHORT_UINT64, c->data, i, (int64_t)w, 0);
        return COHORT_OK;
    case COHORT_AGG_MEDIAN: d[i] = ord->median[i]; return COHORT_OK;
    case COHORT_AGG_QUANTILE: d[i] = ord->q[(size_t)i * (size_t)ord->nq + (size_t)qk]; return COHORT_OK;
    case COHORT_AGG_NUNIQUE: ((int64_t *)c->data)[i] = ord->nunique[i]; return COHORT_OK;
    default: break;
    }
    /* min, max, first, last: in the value's type; NaN when no value. */
    size_t off = agg == COHORT_AGG_MIN ? v->min : agg == COHORT_AGG_MAX ? v->max : agg == COHORT_AGG_FIRST ? v->first
                                                                                                          : v->last;
    int64_t bits = get_i(r, off);
    double x = get_d(r, off);
    put_typed(v->type, c->data, i, bits, v->is_float && nn == 0 ? NAN : x);
    return COHORT_OK;
}

static cohort_type result_type(const agg_value *v, unsigned agg)
{
    switch (agg) {
    case COHORT_AGG_COUNT:
    case COHORT_AGG_NUNIQUE: return COHORT_INT64;
    case COHORT_AGG_SUM:
    case COHORT_AGG_PROD: return v->is_float ? COHORT_DOUBLE : v->is_signed ? COHORT_INT64 : COHORT_UINT64;
    case COHORT_AGG_MIN:
    case COHORT_AGG_MAX:
    case COHORT_AGG_FIRST:
    case COHORT_AGG_LAST: return v->type;
    default: return COHORT_DOUBLE;
    }
}

/* The result table of n combined records. */
static int make_table(cohort_ctx *ctx, const agg_layout *L, const cohort_groupby_options *o,
                      const cohort_group_order *ord, const unsigned char *recs, int64_t n, char *const *names,
                      cohort_table **out)
{
    cohort_table *t = NULL;
    int st = cohort_table_create(ctx, n, &t);
    cohort_column keys[COHORT_AGG_MAXKEYS];
    for (int j = 0; st == COHORT_OK && j < L->nkeys; j++)
        st = cohort_table_add_column(t, names[j], L->key_type[j], L->key_width[j], &keys[j]);
    cohort_column c;
    if (st == COHORT_OK)
        st = cohort_table_add_column(t, "size", COHORT_INT64, 8, &c);
    if (st == COHORT_OK) {
        cohort__agg_decode_keys(L, recs, n, keys);
        for (int64_t i = 0; i < n; i++)
            memcpy((int64_t *)c.data + i, recs + (size_t)i * L->R + L->kw, 8);
    }
    for (int j = 0; st == COHORT_OK && j < L->nvals; j++)
        for (int k = 0; st == COHORT_OK && k < NAGG; k++) {
            unsigned agg = 1u << k;
            if (!(L->aggs & agg) || agg == COHORT_AGG_SIZE)
                continue;
            for (int qk = 0; st == COHORT_OK && qk < (agg == COHORT_AGG_QUANTILE ? o->nquantiles : 1); qk++) {
                /* The value's whole name and the aggregate's (never cut, so
                 * that two long names stay two columns). */
                size_t size = strlen(names[L->nkeys + j]) + 48;
                char *name = malloc(size);
                if (name && agg == COHORT_AGG_QUANTILE)
                    snprintf(name, size, "%s_q%g", names[L->nkeys + j], o->quantiles[qk]);
                else if (name)
                    snprintf(name, size, "%s_%s", names[L->nkeys + j], agg_names[k]);
                cohort_type type = result_type(&L->v[j], agg);
                st = name ? cohort_table_add_column(t, name, type, cohort_type_size(type), &c)
                          : COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
                free(name);
                for (int64_t i = 0; st == COHORT_OK && i < n; i++)
                    if (put_result(L, &L->v[j], ord ? &ord[j] : NULL, recs + (size_t)i * L->R, agg, qk, &c, i) !=
                        COHORT_OK)
                        st = COHORT_FAIL(ctx, COHORT_ERR_OVERFLOW, "the integer %s of %s overflows %s in a group",
                                         agg_names[k], names[L->nkeys + j], cohort_type_name(type));
            }
        }
    if (st != COHORT_OK)
        cohort_table_destroy(&t);
    *out = t;
    return st;
}

/* Steps 1-4: the groups of this rank's key range, merged, in key order, in
 * *@merged (@m records of room: free with cohort__free); *@groups of them. */
static int aggregate(cohort_ctx *ctx, cohort_source *src, const agg_layout *L, const cohort_column *cols,
                     int64_t rows, int done, unsigned char **merged_out, int64_t *room, int64_t *groups_out)
{
    double t0 = cohort__now();
    int st = COHORT_OK, lst = COHORT_OK, p = ctx->size;
    /* 1. Aggregate the rows locally.  A local failure stops the work, not
     * the reading: the source's calls are collective. */
    agg_table tab;
    cohort__aggtab_init(&tab, L);
    int64_t seen = 0, base = (int64_t)ctx->rank << 44;
    while (st == COHORT_OK && !done) {
        if (lst == COHORT_OK && rows > 0)
            lst = cohort__aggtab_add(ctx, &tab, cols, cols + L->nkeys, rows, base + seen);
        seen += rows;
        st = src->next(src->arg, &cols, &rows, &done);
    }
    st = cohort__agree(ctx, st == COHORT_OK ? lst : st);
    int64_t n = st == COHORT_OK ? cohort__aggtab_compact(&tab) : 0;

    /* 2. Sort the groups by key. */
    rec_layout RL = {L->R, L->kw, !L->word, 0};
    unsigned char *tmp = NULL, *sorted = NULL, *recv = NULL, *merged = NULL;
    int64_t *book = NULL, m = 0;
    size_t nbytes = (size_t)n * L->R;
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, nbytes, "group-by sort scratch", (void **)&tmp);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)(4 * p + 4) * sizeof *book + (size_t)p * L->kw, "group-by bookkeeping",
                           (void **)&book);
    if (st == COHORT_OK && (sorted = n > 0 ? cohort__radix_sort(&RL, tab.slots, tmp, n, tmp) : tmp) == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for radix histograms");
    cohort__phase_add(ctx, COHORT_PHASE_LOCAL, t0);
    st = cohort__agree(ctx, st);

    /* 3-4. Split the key range, exchange, merge the runs. */
    int64_t *targets = book, *pos = book + p, *sc = book + 2 * p, *rc = book + 3 * p;
    unsigned char *split = (unsigned char *)(book + 4 * p + 4);
    if (st == COHORT_OK) {
        double t1 = cohort__now();
        int64_t G = 0;
        st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Allreduce(&n, &G, 1, MPI_INT64_T, MPI_SUM, ctx->comm)));
        for (int k = 1; k < p; k++)
            targets[k - 1] = (int64_t)((__int128)G * k / p);
        if (st == COHORT_OK && p > 1)
            st = cohort__select_sorted(ctx, &RL, sorted, n, targets, p - 1, pos, split);
        int64_t prev = 0;
        for (int k = 0; st == COHORT_OK && k < p; k++) {
            int64_t next = k == p - 1 || targets[k] >= G ? n
                                                         : cohort__lower_bound(&RL, sorted, n, split + (size_t)k * L->kw, false);
            next = next < prev ? prev : next;
            sc[k] = next - prev, prev = next;
        }
        cohort__phase_add(ctx, COHORT_PHASE_SPLIT, t1);
        if (st == COHORT_OK)
            st = cohort_exchange_counts(ctx, sc, rc);
        for (int k = 0; st == COHORT_OK && k < p; k++)
            m += rc[k];
        if (st == COHORT_OK)
            st = cohort__alloc(ctx, (size_t)m * L->R, "group-by received groups", (void **)&recv);
        st = cohort__agree(ctx, st);
        double t2 = cohort__now();
        if (st == COHORT_OK)
            st = cohort_exchange(ctx, sorted, sc, recv, rc, L->R);
        cohort__phase_add(ctx, COHORT_PHASE_EXCHANGE, t2);
    }
    cohort__aggtab_free(ctx, &tab); /* the sent records are no longer needed */
    cohort__free(ctx, tmp, nbytes);
    tmp = NULL;
    double t3 = cohort__now();
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)m * L->R, "group-by merge scratch", (void **)&tmp);
    if (st == COHORT_OK && (merged = cohort__merge_runs(&RL, recv, tmp, rc, p)) == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory merging");
    int64_t groups = 0;
    if (st == COHORT_OK) { /* combine equal neighbours, in place */
        for (int64_t i = 0; i < m; i++) {
            unsigned char *r = merged + (size_t)i * L->R, *last = merged + (size_t)(groups - 1) * L->R;
            if (groups > 0 && cohort__key_cmp(&RL, last, r) == 0)
                cohort__agg_merge(L, last, r);
            else if (groups++ != i)
                memcpy(merged + (size_t)(groups - 1) * L->R, r, L->R);
        }
    }
    cohort__phase_add(ctx, COHORT_PHASE_MERGE, t3);
    /* The buffer not holding the result goes; the caller frees the other. */
    cohort__free(ctx, merged == recv ? tmp : recv, (size_t)m * L->R);
    if (st != COHORT_OK) {
        cohort__free(ctx, merged == recv ? recv : tmp, (size_t)m * L->R);
        merged = NULL, m = 0, groups = 0;
    }
    cohort__free(ctx, book, book ? (size_t)(4 * p + 4) * sizeof *book + (size_t)p * L->kw : 0);
    *merged_out = merged, *room = m, *groups_out = groups;
    return st;
}

/* Drop the groups whose key has a NaN (pandas' dropna), in place. */
static int64_t drop_nan_keys(const agg_layout *L, unsigned char *recs, int64_t n)
{
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (!cohort__agg_nan_key(L, recs + (size_t)i * L->R)) {
            if (k != i)
                memcpy(recs + (size_t)k * L->R, recs + (size_t)i * L->R, L->R);
            k++;
        }
    return k;
}

int cohort_groupby(cohort_ctx *ctx, cohort_source *src, int nkeys, const cohort_groupby_options *opts,
                   cohort_table **out)
{
    cohort__clear_error(ctx);
    cohort_groupby_options o = opts ? *opts : (cohort_groupby_options){0};
    unsigned aggs = (o.aggs ? o.aggs : COHORT_AGG_SUM | COHORT_AGG_MEAN) | COHORT_AGG_SIZE;
    int st = COHORT_OK, ncols = src ? src->ncols : 0, nvals = ncols - nkeys;
    if (out)
        *out = NULL;
    if (!src || !out)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_groupby: NULL argument");
    else if (nkeys < 1 || nkeys > COHORT_AGG_MAXKEYS || nvals < 0 || nvals > COHORT_AGG_MAXVALUES)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_groupby: 1 to %d key columns and at most %d value columns",
                         COHORT_AGG_MAXKEYS, COHORT_AGG_MAXVALUES);
    else if (aggs >= 1u << NAGG)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_groupby: unknown aggregate bits 0x%x", aggs);
    else if ((aggs & COHORT_AGG_QUANTILE) && (o.nquantiles < 1 || o.nquantiles > COHORT_AGG_MAXQUANTILES))
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_groupby: 1 to %d quantiles", COHORT_AGG_MAXQUANTILES);
    if (!(aggs & COHORT_AGG_QUANTILE))
        o.nquantiles = 0;
    for (int k = 0; st == COHORT_OK && k < o.nquantiles; k++)
        if (!(o.quantiles[k] >= 0 && o.quantiles[k] <= 1))
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_groupby: quantile %g is outside [0, 1]", o.quantiles[k]);
    /* The quantiles' bits travel as one hash: every rank must ask the same. */
    uint64_t qh = 0;
    for (int k = 0; k < o.nquantiles; k++) {
        uint64_t b;
        memcpy(&b, &o.quantiles[k], 8);
        qh = (qh ^ b) * 1099511628211ull;
    }
    int64_t same[7] = {nkeys, ncols, aggs, o.reproducible != 0, o.nquantiles, (int64_t)(qh >> 1),
                       o.keep_nan_keys != 0};
    st = cohort__agree_equal(ctx, st, same, 7, "cohort_groupby: the keys, columns or options");
    if (st != COHORT_OK)
        return st;
    o.aggs = aggs;

    /* The first block names the columns and their types, which all ranks
     * must share (a rank without rows still sees them). */
    const cohort_column *cols = NULL;
    int64_t rows = 0;
    int done = 0;
    st = src->rewind(src->arg);
    if (st == COHORT_OK)
        st = src->next(src->arg, &cols, &rows, &done);
    char *names[COHORT_AGG_MAXKEYS + COHORT_AGG_MAXVALUES] = {0}; /* the columns' names, copied whole */
    agg_layout *L = calloc(1, sizeof *L);
    int lst = st == COHORT_OK && L == NULL ? COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory") : COHORT_OK;
    if (st == COHORT_OK && lst == COHORT_OK && cols == NULL) /* the types come from the first block */
        lst = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_groupby: the source's first block names no columns");
    if (st == COHORT_OK && lst == COHORT_OK) {
        for (int j = 0; j < ncols && lst == COHORT_OK; j++) {
            size_t size = cols[j].name && cols[j].name[0] ? strlen(cols[j].name) + 1 : 16;
            if ((names[j] = malloc(size)) == NULL)
                lst = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
            else if (cols[j].name && cols[j].name[0])
                memcpy(names[j], cols[j].name, size);
            else
                snprintf(names[j], size, j < nkeys ? "k%d" : "v%d", j < nkeys ? j : j - nkeys);
        }
        if (lst == COHORT_OK && cohort__agg_layout(L, cols, nkeys, cols + nkeys, nvals, aggs, o.reproducible) != COHORT_OK)
            lst = COHORT_FAIL(ctx, COHORT_ERR_TYPE, "group-by keys must be numbers or byte strings, and values numeric");
    }
    int64_t print = st == COHORT_OK && cols ? types_print(cols, ncols) : 0;
    st = cohort__agree_equal(ctx, st == COHORT_OK ? lst : st, &print, 1, "cohort_groupby: the column types");

    unsigned char *merged = NULL;
    int64_t room = 0, groups = 0;
    if (st == COHORT_OK)
        st = aggregate(ctx, src, L, cols, rows, done, &merged, &room, &groups);
    bool float_keys = false;
    for (int j = 0; j < nkeys && st == COHORT_OK; j++)
        float_keys |= cohort_type_is_float(L->key_type[j]);
    if (st == COHORT_OK && float_keys && !o.keep_nan_keys)
        groups = drop_nan_keys(L, merged, groups);

    /* 5. What needs the values themselves, value column by value column. */
    cohort_group_order *ord = NULL;
    if (st == COHORT_OK && cohort__group_order_wanted(L, &o, -1)) {
        ord = calloc((size_t)nvals, sizeof *ord);
        st = cohort__agree(ctx, ord ? COHORT_OK : COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory"));
        for (int j = 0; st == COHORT_OK && j < nvals; j++)
            if (cohort__group_order_wanted(L, &o, j))
                st = cohort__group_order(ctx, src, L, &o, j, merged, groups, &ord[j]);
    }

    /* 6. The result. */
    if (st == COHORT_OK && (st = cohort__agree(ctx, make_table(ctx, L, &o, ord, merged, groups, names, out))) != COHORT_OK)
        cohort_table_destroy(out); /* another rank's failed */
    for (int j = 0; ord && j < nvals; j++)
        cohort__group_order_free(ctx, &ord[j]);
    free(ord);
    cohort__free(ctx, merged, (size_t)room * L->R);
    free(L);
    for (int j = 0; j < ncols; j++)
        free(names[j]);
    return st;
}
