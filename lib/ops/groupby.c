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
 * 5. Each rank's groups, in key order, become its rows of the result.
 */
#include "ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const agg_names[] = {"count", "sum", "mean", "min", "max", "var", "std", "first", "last"};
#define NAGG 9

const char *cohort_agg_name(unsigned agg)
{
    for (int k = 0; k < NAGG; k++)
        if (agg == 1u << k)
            return agg_names[k];
    return NULL;
}

int cohort_agg_parse(const char *list, unsigned *aggs)
{
    unsigned bits = 0;
    if (!list || !aggs)
        return COHORT_ERR_ARG;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int k = 0;
        while (k < NAGG && !(strlen(agg_names[k]) == len && strncmp(p, agg_names[k], len) == 0))
            k++;
        if (k == NAGG)
            return COHORT_ERR_ARG;
        bits |= 1u << k;
        p += len + (p[len] == ',');
    }
    if (bits == 0)
        return COHORT_ERR_ARG;
    *aggs = bits;
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

/* The result's value of aggregate k of value v in record r, into column c at row i. */
static void put_result(const agg_layout *L, const agg_value *v, const unsigned char *r, int k, cohort_column *c,
                       int64_t i)
{
    int64_t nn, s = 0;
    double d, sum = 0;
    int64_t count, nan;
    memcpy(&count, r + L->kw, 8), memcpy(&nan, r + v->nan, 8);
    nn = count - nan; /* the values that are not NaN */
    if (v->sum != (size_t)-1) {
        if (!v->is_float)
            memcpy(&s, r + v->sum, 8), sum = (double)s;
        else if (L->exact)
            sum = cohort__xsum_value((const cohort_xsum *)(const void *)(r + v->sum));
        else {
            double a, b;
            memcpy(&a, r + v->sum, 8), memcpy(&b, r + v->sum + 8, 8);
            sum = a + b;
        }
    }
    size_t off = 0;
    switch (1u << k) {
    case COHORT_AGG_SUM:
        if (!v->is_float)
            ((int64_t *)c->data)[i] = s;
        else
            ((double *)c->data)[i] = sum;
        return;
    case COHORT_AGG_MEAN: ((double *)c->data)[i] = nn > 0 ? sum / (double)nn : NAN; return;
    case COHORT_AGG_VAR:
    case COHORT_AGG_STD:
        memcpy(&d, r + v->mean + 8, 8);
        d = nn >= 2 ? d / (double)(nn - 1) : NAN;
        ((double *)c->data)[i] = (1u << k) == COHORT_AGG_STD ? sqrt(d) : d;
        return;
    case COHORT_AGG_MIN: off = v->min; break;
    case COHORT_AGG_MAX: off = v->max; break;
    case COHORT_AGG_FIRST: off = v->first; break;
    default: off = v->last; break;
    }
    /* min, max, first, last: in the value's type; NaN when no value. */
    int64_t bits;
    memcpy(&bits, r + off, 8);
    memcpy(&d, r + off, 8);
    if (v->is_float && nn == 0)
        d = NAN;
    switch (v->type) {
    case COHORT_FLOAT: ((float *)c->data)[i] = (float)d; break;
    case COHORT_DOUBLE: ((double *)c->data)[i] = d; break;
    case COHORT_INT8: ((int8_t *)c->data)[i] = (int8_t)bits; break;
    case COHORT_INT16: ((int16_t *)c->data)[i] = (int16_t)bits; break;
    case COHORT_INT32: ((int32_t *)c->data)[i] = (int32_t)bits; break;
    case COHORT_UINT8: ((uint8_t *)c->data)[i] = (uint8_t)bits; break;
    case COHORT_UINT16: ((uint16_t *)c->data)[i] = (uint16_t)bits; break;
    case COHORT_UINT32: ((uint32_t *)c->data)[i] = (uint32_t)bits; break;
    default: memcpy((unsigned char *)c->data + (size_t)i * 8, &bits, 8); break;
    }
}

static cohort_type result_type(const agg_value *v, int k)
{
    switch (1u << k) {
    case COHORT_AGG_SUM: return v->is_float ? COHORT_DOUBLE : COHORT_INT64;
    case COHORT_AGG_MEAN:
    case COHORT_AGG_VAR:
    case COHORT_AGG_STD: return COHORT_DOUBLE;
    default: return v->type;
    }
}

/* The result table of n combined records. */
static int make_table(cohort_ctx *ctx, const agg_layout *L, const unsigned char *recs, int64_t n, char names[][64],
                      cohort_table **out)
{
    cohort_table *t = NULL;
    int st = cohort_table_create(ctx, n, &t);
    cohort_column keys[COHORT_AGG_MAXKEYS];
    for (int j = 0; st == COHORT_OK && j < L->nkeys; j++)
        st = cohort_table_add_column(t, names[j], L->key_type[j], L->key_width[j], &keys[j]);
    cohort_column c;
    if (st == COHORT_OK)
        st = cohort_table_add_column(t, "count", COHORT_INT64, 8, &c);
    if (st == COHORT_OK) {
        cohort__agg_decode_keys(L, recs, n, keys);
        for (int64_t i = 0; i < n; i++)
            memcpy((int64_t *)c.data + i, recs + (size_t)i * L->R + L->kw, 8);
    }
    for (int j = 0; st == COHORT_OK && j < L->nvals; j++)
        for (int k = 1; st == COHORT_OK && k < NAGG; k++) {
            if (!(L->aggs & (1u << k)))
                continue;
            char name[160];
            snprintf(name, sizeof name, "%s_%s", names[L->nkeys + j], agg_names[k]);
            cohort_type type = result_type(&L->v[j], k);
            st = cohort_table_add_column(t, name, type, cohort_type_size(type), &c);
            for (int64_t i = 0; st == COHORT_OK && i < n; i++)
                put_result(L, &L->v[j], recs + (size_t)i * L->R, k, &c, i);
        }
    if (st != COHORT_OK)
        cohort_table_destroy(&t);
    *out = t;
    return st;
}

int cohort_groupby(cohort_ctx *ctx, cohort_source *src, int nkeys, const cohort_groupby_options *opts,
                   cohort_table **out)
{
    cohort__clear_error(ctx);
    double t0 = cohort__now();
    cohort_groupby_options o = opts ? *opts : (cohort_groupby_options){0};
    unsigned aggs = (o.aggs ? o.aggs : COHORT_AGG_SUM | COHORT_AGG_MEAN) | COHORT_AGG_COUNT;
    int st = COHORT_OK, ncols = src ? src->ncols : 0, nvals = ncols - nkeys, p = ctx->size;
    if (out)
        *out = NULL;
    if (!src || !out)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_groupby: NULL argument");
    else if (nkeys < 1 || nkeys > COHORT_AGG_MAXKEYS || nvals < 0 || nvals > COHORT_AGG_MAXVALUES)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_groupby: 1 to %d key columns and at most %d value columns",
                         COHORT_AGG_MAXKEYS, COHORT_AGG_MAXVALUES);
    else if (aggs >= 1u << NAGG)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_groupby: unknown aggregate bits 0x%x", aggs);
    int64_t same[4] = {nkeys, ncols, aggs, o.reproducible != 0};
    st = cohort__agree_equal(ctx, st, same, 4, "cohort_groupby: the keys, columns or options");
    if (st != COHORT_OK)
        return st;

    /* The first block names the columns and their types, which all ranks
     * must share (a rank without rows still sees them). */
    const cohort_column *cols = NULL;
    int64_t rows = 0;
    int done = 0;
    st = src->rewind(src->arg);
    if (st == COHORT_OK)
        st = src->next(src->arg, &cols, &rows, &done);
    char names[COHORT_AGG_MAXKEYS + COHORT_AGG_MAXVALUES][64];
    agg_layout *L = calloc(1, sizeof *L);
    int lst = st == COHORT_OK && L == NULL ? COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory") : COHORT_OK;
    if (st == COHORT_OK && lst == COHORT_OK) {
        for (int j = 0; j < ncols; j++) {
            if (cols[j].name && cols[j].name[0])
                snprintf(names[j], sizeof names[j], "%s", cols[j].name);
            else
                snprintf(names[j], sizeof names[j], j < nkeys ? "k%d" : "v%d", j < nkeys ? j : j - nkeys);
        }
        if (cohort__agg_layout(L, cols, nkeys, cols + nkeys, nvals, aggs, o.reproducible) != COHORT_OK)
            lst = COHORT_FAIL(ctx, COHORT_ERR_TYPE,
                              "group-by keys must be integers or byte strings, and values numeric");
    }
    int64_t print = st == COHORT_OK && cols ? types_print(cols, ncols) : 0;
    st = cohort__agree_equal(ctx, st == COHORT_OK ? lst : st, &print, 1, "cohort_groupby: the column types");

    /* 1. Aggregate the rows locally.  A local failure stops the work, not
     * the reading: the source's calls are collective. */
    agg_table tab;
    cohort__aggtab_init(&tab, L);
    bool overflow = false;
    int64_t seen = 0, base = (int64_t)ctx->rank << 44;
    lst = COHORT_OK;
    while (st == COHORT_OK && !done) {
        if (lst == COHORT_OK && rows > 0)
            lst = cohort__aggtab_add(ctx, &tab, cols, cols + nkeys, rows, base + seen, &overflow);
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
                cohort__agg_merge(L, last, r, &overflow);
            else if (groups++ != i)
                memcpy(merged + (size_t)(groups - 1) * L->R, r, L->R);
        }
    }
    cohort__phase_add(ctx, COHORT_PHASE_MERGE, t3);

    /* An integer sum that overflowed anywhere fails everywhere. */
    int64_t flag[1] = {overflow ? -1 : 0};
    st = cohort__agree_min(ctx, st, flag, 1);
    if (st == COHORT_OK && flag[0] < 0)
        st = cohort__agree(ctx, COHORT_FAIL(ctx, COHORT_ERR_OVERFLOW, "a group's integer sum overflows int64"));
    /* 5. The result. */
    if (st == COHORT_OK)
        st = cohort__agree(ctx, make_table(ctx, L, merged, groups, names, out));
    cohort__free(ctx, recv, (size_t)m * L->R);
    cohort__free(ctx, tmp, (size_t)m * L->R);
    cohort__free(ctx, book, book ? (size_t)(4 * p + 4) * sizeof *book + (size_t)p * L->kw : 0);
    free(L);
    return st;
}
