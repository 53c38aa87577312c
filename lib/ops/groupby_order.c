/*
 * groupby_order.c — the group aggregates that need every value, not a
 * mergeable state: median, quantiles, nunique, and the product of floats
 * in the reproducible mode.
 *
 * One value column at a time:
 * 1. A pass over the source makes a (key, value) pair per non-NaN value,
 *    both encoded so that memcmp orders them (group key, then value).
 * 2. cohort_sort sorts the pairs across the ranks, exactly balanced: a
 *    group with most of the rows spreads over many ranks, never one.
 * 3. Each group's values are now contiguous in the global order.  The rank
 *    that holds the group (groupby.c's merged records) knows its non-NaN
 *    count, hence, by a scan, where its values start: it asks the ranks
 *    holding the order statistics it needs for them (one exchange each way)
 *    and applies numpy's formulas.
 * 4. The ranks holding pairs count distinct values per run of a key (the
 *    previous rank's last pair tells whether a run's first value is new)
 *    and, for products, multiply each run up a binary tree over the values'
 *    positions within their group, a tree that does not depend on where
 *    the ranks' slices begin; a run cut by a slice boundary sends its
 *    complete subtrees.  These partials travel to the group's rank (one
 *    exchange), which adds the counts and finishes the tree: the product is
 *    the same bits for any number of ranks.
 */
#include "ops.h"

#include <math.h>
#include <stdlib.h>

static inline double get_d(const unsigned char *r, size_t off) { double x; memcpy(&x, r + off, 8); return x; }
static inline int64_t get_i(const unsigned char *r, size_t off) { int64_t x; memcpy(&x, r + off, 8); return x; }

static inline void put_be64(unsigned char *p, uint64_t u)
{
    for (int b = 0; b < 8; b++)
        p[b] = (unsigned char)(u >> (56 - 8 * b));
}

static inline uint64_t get_be64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int b = 0; b < 8; b++)
        u = u << 8 | p[b];
    return u;
}

bool cohort__group_order_wanted(const agg_layout *L, const cohort_groupby_options *o, int j)
{
    if (L->aggs & (COHORT_AGG_MEDIAN | COHORT_AGG_QUANTILE | COHORT_AGG_NUNIQUE))
        return L->nvals > 0;
    for (int k = j < 0 ? 0 : j; k < (j < 0 ? L->nvals : j + 1); k++)
        if ((L->aggs & COHORT_AGG_PROD) && o->reproducible && L->v[k].is_float)
            return true;
    return false;
}

void cohort__group_order_free(cohort_ctx *ctx, cohort_group_order *g)
{
    /* One allocation holds the four arrays (at least one of them: the
     * column was wanted), the first present at its start. */
    void *base = g->median ? (void *)g->median : g->q ? (void *)g->q : g->nunique ? (void *)g->nunique : (void *)g->prod;
    cohort__free(ctx, base, g->bytes);
    memset(g, 0, sizeof *g);
}

/* ---- the canonical product: a binary tree over positions in the group ---- */

/* A subtree of the tree over a group's values: it covers positions
 * [j 2^level, (j + 1) 2^level) and holds their product (positions past the
 * group's end count as 1, which multiplies exactly). */
typedef struct node {
    int64_t level, j;
    double v;
} node;

/* Push value @x at position @pos onto the stack of open subtrees,
 * combining a right child with its left sibling as it completes: what is
 * left is the maximal subtrees of the positions pushed (at most 2 × 64). */
static void tree_push(node *stack, int *top, int64_t pos, double x)
{
    node n = {0, pos, x};
    while ((n.j & 1) && *top > 0 && stack[*top - 1].level == n.level && stack[*top - 1].j == n.j - 1) {
        node left = stack[--*top];
        n = (node){n.level + 1, n.j >> 1, left.v * n.v};
    }
    stack[(*top)++] = n;
}

static int cmp_node(const void *a, const void *b)
{
    const node *x = a, *y = b;
    if (x->level != y->level)
        return x->level < y->level ? -1 : 1;
    return (x->j > y->j) - (x->j < y->j);
}

/* The product of disjoint subtrees that together cover positions [0, n):
 * the tree finished bottom-up, a subtree whose sibling holds no position
 * being its own parent.  Sorts @v (@k nodes) in place. */
static double tree_finish(node *v, int k)
{
    if (k == 0)
        return 1.0;
    qsort(v, (size_t)k, sizeof *v, cmp_node);
    while (!(k == 1 && v[0].j == 0)) {
        /* Raise the lowest level's nodes by one, pairing siblings; they
         * stay below the other nodes' (level, j) order but for ties of
         * level, which the sort settles. */
        int64_t level = v[0].level;
        int in = 0, out = 0;
        while (in < k && v[in].level == level) {
            node a = v[in++];
            if (!(a.j & 1) && in < k && v[in].level == level && v[in].j == a.j + 1)
                a.v *= v[in++].v;
            v[out++] = (node){level + 1, a.j >> 1, a.v};
        }
        while (in < k)
            v[out++] = v[in++];
        k = out;
        qsort(v, (size_t)k, sizeof *v, cmp_node);
    }
    return v[0].v;
}

/* ---- pairs ------------------------------------------------------------------ */

typedef struct job {
    cohort_ctx *ctx;
    const agg_layout *L;
    int j;              /* the value column */
    size_t kw, PW;      /* key bytes of a pair (the group key, big-endian), pair bytes */
    cohort_column like; /* the value column's type, for decoding */
    unsigned char *pairs;
    int64_t n, cap;     /* pairs on this rank, room */
    int64_t *first;     /* p + 1: the global position of each rank's first pair */
} job;

/* The big-endian key of a group record (what pairs carry). */
static void be_key(const agg_layout *L, const unsigned char *rec, unsigned char *out)
{
    if (L->word) {
        uint64_t w;
        memcpy(&w, rec, 8);
        put_be64(out, w);
    } else {
        memcpy(out, rec, L->kw);
    }
}

/* Row i's value as an unsigned integer in the value's order: integers as
 * the sort encodes them, floats in IEEE's total order (-0.0 just below
 * 0.0, so that numpy's signed zeros survive; NaN never comes here). */
static uint64_t value_key(const cohort_column *c, int64_t i)
{
    const unsigned char *p = (const unsigned char *)c->data + (size_t)i * c->width;
    if (c->type == COHORT_DOUBLE) {
        uint64_t u;
        memcpy(&u, p, 8);
        return u >> 63 ? ~u : u | (uint64_t)1 << 63;
    }
    if (c->type == COHORT_FLOAT) {
        uint32_t u;
        memcpy(&u, p, 4);
        return u >> 31 ? (uint32_t)~u : u | (uint32_t)1 << 31;
    }
    uint64_t u = 0;
    cohort_column one = *c;
    one.data = (void *)p, one.count = 1;
    cohort__keys_encode(&one, false, &u, sizeof u);
    return c->width == 8 ? u : c->width == 4 ? (uint32_t)u : c->width == 2 ? (uint16_t)u : (uint8_t)u;
}

/* Two value keys of the same number (for floats, -0.0 and 0.0 too). */
static bool same_value(const job *J, uint64_t a, uint64_t b)
{
    if (a == b)
        return true;
    uint64_t top = J->like.type == COHORT_DOUBLE ? (uint64_t)1 << 63 : J->like.type == COHORT_FLOAT ? 1u << 31 : 0;
    return top && ((a == top && b == top - 1) || (b == top && a == top - 1));
}

static double value_double(const job *J, uint64_t k)
{
    double a, b, d;
    cohort__quantile_key_values(&J->like, k, k, &a, &b, &d);
    return a;
}

static bool is_nan_at(const cohort_column *c, int64_t i)
{
    if (c->type == COHORT_DOUBLE)
        return ((const double *)c->data)[i] != ((const double *)c->data)[i];
    if (c->type == COHORT_FLOAT)
        return ((const float *)c->data)[i] != ((const float *)c->data)[i];
    return false;
}

/* Step 1: this rank's pairs, from a pass over the source. */
static int make_pairs(job *J, cohort_source *src, bool drop_nan_keys)
{
    cohort_ctx *ctx = J->ctx;
    const agg_layout *L = J->L;
    const cohort_column *cols;
    int64_t rows;
    int done = 0, st = src->rewind(src->arg), lst = COHORT_OK;
    unsigned char *keys = malloc(L->kw * 256);
    if (!keys)
        lst = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for group keys");
    while (st == COHORT_OK && (st = src->next(src->arg, &cols, &rows, &done)) == COHORT_OK && !done) {
        const cohort_column *val = &cols[L->nkeys + J->j];
        for (int64_t at = 0; lst == COHORT_OK && at < rows; at += 256) {
            int m = rows - at < 256 ? (int)(rows - at) : 256;
            if (J->n + m > J->cap) { /* grow by half again */
                int64_t room = J->cap + J->cap / 2 + 4096;
                unsigned char *p = NULL;
                lst = cohort__alloc(ctx, (size_t)room * J->PW, "group-by value pairs", (void **)&p);
                if (lst != COHORT_OK)
                    break;
                if (J->n)
                    memcpy(p, J->pairs, (size_t)J->n * J->PW);
                cohort__free(ctx, J->pairs, (size_t)J->cap * J->PW);
                J->pairs = p, J->cap = room;
            }
            cohort__agg_encode_keys(L, cols, at, m, keys);
            for (int i = 0; i < m; i++) {
                const unsigned char *k = keys + (size_t)i * L->kw;
                if (is_nan_at(val, at + i) || (drop_nan_keys && cohort__agg_nan_key(L, k)))
                    continue;
                unsigned char *p = J->pairs + (size_t)J->n * J->PW;
                be_key(L, k, p);
                put_be64(p + J->kw, value_key(val, at + i));
                J->n++;
            }
        }
    }
    free(keys);
    return cohort__agree(ctx, st == COHORT_OK ? lst : st);
}

/* The rank whose pairs hold global position @pos. */
static int holder(const job *J, int64_t pos)
{
    int lo = 0, hi = J->ctx->size - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (J->first[mid] <= pos)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* ---- step 3: median and quantiles ------------------------------------------- */

/* @S: the global position of the first value of this rank's first group. */
static int order_stats(job *J, const cohort_groupby_options *o, const unsigned char *groups, int64_t ng, int64_t S,
                       cohort_group_order *out)
{
    cohort_ctx *ctx = J->ctx;
    const agg_layout *L = J->L;
    const bool med = L->aggs & COHORT_AGG_MEDIAN;
    const int p = ctx->size, nstat = (med ? 1 : 0) + out->nq;
    /* Each statistic reads two positions (one twice when no interpolation). */
    const int64_t nreq = ng * nstat * 2;
    int64_t *pos = NULL, *order = NULL, *counts = NULL, *asked = NULL;
    uint64_t *value = NULL;
    double *gamma = NULL;
    int64_t nin = 0, nout = 0;
    int st = cohort__alloc(ctx, (size_t)nreq * 8, "group-by statistics", (void **)&pos);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)nreq * 8, "group-by statistics", (void **)&order);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)nreq * 8, "group-by statistics", (void **)&value);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)nreq / 2 * 8, "group-by statistics", (void **)&gamma);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)(3 * p + 1) * 8, "group-by statistics", (void **)&counts);
    st = cohort__agree(ctx, st);
    int64_t *sc = counts, *rc = counts + p, *at = counts + 2 * p;
    if (st == COHORT_OK) {
        int64_t r = 0, s = S;
        for (int64_t g = 0; g < ng; g++) {
            const unsigned char *rec = groups + (size_t)g * L->R;
            int64_t nn = get_i(rec, L->kw) - get_i(rec, L->v[J->j].nan);
            for (int k = 0; k < nstat; k++, r += 2) {
                int64_t lo = 0, hi = 0;
                double gm = 0;
                if (nn > 0 && med && k == 0)
                    lo = (nn - 1) / 2, hi = nn / 2; /* numpy.median: the mean of the middle two */
                else if (nn > 0)
                    cohort__quantile_order_stats(COHORT_QUANTILE_LINEAR, nn, o->quantiles[k - (med ? 1 : 0)], &lo,
                                                 &hi, &gm);
                pos[r] = nn > 0 ? s + lo : -1, pos[r + 1] = nn > 0 ? s + hi : -1;
                gamma[r / 2] = gm;
            }
            s += nn;
        }
        /* The requests by holder (a counting sort), each remembering its slot. */
        memset(sc, 0, (size_t)p * 8);
        for (int64_t i = 0; i < nreq; i++)
            if (pos[i] >= 0)
                sc[holder(J, pos[i])]++, nout++;
        at[0] = 0;
        for (int k = 1; k <= p; k++)
            at[k] = at[k - 1] + sc[k - 1];
        for (int64_t i = 0; i < nreq; i++)
            if (pos[i] >= 0)
                order[at[holder(J, pos[i])]++] = i;
        st = cohort_exchange_counts(ctx, sc, rc);
    }
    for (int k = 0; st == COHORT_OK && k < p; k++)
        nin += rc[k];
    if (st == COHORT_OK)
        st = cohort__agree(ctx, cohort__alloc(ctx, (size_t)(nin + nout) * 8, "group-by requests", (void **)&asked));
    if (st == COHORT_OK) {
        int64_t *req = asked + nin; /* the positions asked for, by holder */
        for (int64_t i = 0; i < nout; i++)
            req[i] = pos[order[i]];
        st = cohort_exchange(ctx, req, sc, asked, rc, 8);
        for (int64_t i = 0; st == COHORT_OK && i < nin; i++) { /* answer in place */
            uint64_t v = get_be64(J->pairs + (size_t)(asked[i] - J->first[ctx->rank]) * J->PW + J->kw);
            memcpy(&asked[i], &v, 8);
        }
        if (st == COHORT_OK)
            st = cohort_exchange(ctx, asked, rc, req, sc, 8);
        for (int64_t i = 0; st == COHORT_OK && i < nout; i++)
            memcpy(&value[order[i]], &req[i], 8);
    }
    /* numpy's formulas. */
    for (int64_t g = 0; st == COHORT_OK && g < ng; g++)
        for (int k = 0; k < nstat; k++) {
            int64_t i = (g * nstat + k) * 2;
            double a, b, diff, v = NAN;
            if (pos[i] >= 0) {
                cohort__quantile_key_values(&J->like, value[i], value[i + 1], &a, &b, &diff);
                v = med && k == 0 ? (pos[i] == pos[i + 1] ? a : (a + b) / 2) : cohort__lerp(a, b, diff, gamma[i / 2]);
            }
            if (med && k == 0)
                out->median[g] = v;
            else
                out->q[(size_t)g * (size_t)out->nq + (size_t)(k - (med ? 1 : 0))] = v;
        }
    cohort__free(ctx, pos, pos ? (size_t)nreq * 8 : 0);
    cohort__free(ctx, order, order ? (size_t)nreq * 8 : 0);
    cohort__free(ctx, value, value ? (size_t)nreq * 8 : 0);
    cohort__free(ctx, gamma, gamma ? (size_t)nreq / 2 * 8 : 0);
    cohort__free(ctx, counts, counts ? (size_t)(3 * p + 1) * 8 : 0);
    cohort__free(ctx, asked, asked ? (size_t)(nin + nout) * 8 : 0);
    return st;
}

/* ---- step 4: distinct counts and products, finished where the group is ---- */

/* What the ranks know of each other's pairs: the count, the length of the
 * first and last runs of a key, then the first and last pairs. */
typedef struct edge {
    int64_t n, first_run, last_run;
} edge;
#define EDGE_BYTES(J) (sizeof(edge) + 2 * (J)->PW)

static const edge *edge_of(const job *J, const unsigned char *all, int r) { return (const edge *)(const void *)(all + (size_t)r * EDGE_BYTES(J)); }
static const unsigned char *edge_first(const job *J, const unsigned char *all, int r) { return all + (size_t)r * EDGE_BYTES(J) + sizeof(edge); }
static const unsigned char *edge_last(const job *J, const unsigned char *all, int r) { return edge_first(J, all, r) + J->PW; }

/* A partial for the group's rank: [key | level (-1: a distinct count) | j | bits]. */
#define PART_BYTES(J) ((J)->kw + 24)

static int cmp_part(const void *a, const void *b, void *kwp)
{
    size_t kw = *(const size_t *)kwp;
    int c = memcmp(a, b, kw);
    if (c)
        return c;
    int64_t x[2], y[2];
    memcpy(x, (const unsigned char *)a + kw, 16), memcpy(y, (const unsigned char *)b + kw, 16);
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

static void put_part(const job *J, unsigned char *at, const unsigned char *key, int64_t level, int64_t j, uint64_t bits)
{
    memcpy(at, key, J->kw);
    memcpy(at + J->kw, &level, 8), memcpy(at + J->kw + 8, &j, 8), memcpy(at + J->kw + 16, &bits, 8);
}

static int partials(job *J, const unsigned char *groups, int64_t ng, cohort_group_order *out)
{
    cohort_ctx *ctx = J->ctx;
    const agg_layout *L = J->L;
    const int p = ctx->size, me = ctx->rank;
    const size_t kw = J->kw, PW = J->PW, PB = PART_BYTES(J);
    const bool nuniq = out->nunique != NULL, prod = out->prod != NULL;
    unsigned char *edges = NULL, *owners = NULL, *send = NULL, *recv = NULL;
    int64_t *counts = NULL, nsend = 0, nrecv = 0, maxsend = 0;
    node *stack = NULL;
    /* This rank's runs of a key. */
    int64_t runs = 0, first_run = 0, last_run = 0;
    for (int64_t i = 0, start = 0; i < J->n; i++)
        if (i + 1 == J->n || memcmp(J->pairs + (size_t)i * PW, J->pairs + (size_t)(i + 1) * PW, kw) != 0) {
            if (runs++ == 0)
                first_run = i + 1 - start;
            last_run = i + 1 - start, start = i + 1;
        }
    /* A run is one count and one product but for the first and last runs,
     * which a slice boundary may cut (their subtrees: at most 130 each). */
    maxsend = runs * (nuniq + prod) + (prod ? 2 * 130 : 0);
    int st = cohort__alloc(ctx, (size_t)p * (EDGE_BYTES(J) + 8 + kw), "group-by run edges", (void **)&edges);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)(maxsend + 1) * PB, "group-by partials", (void **)&send);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)(2 * p) * 8, "group-by counts", (void **)&counts);
    if (st == COHORT_OK && prod && (stack = malloc(130 * sizeof *stack)) == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    st = cohort__agree(ctx, st);
    if (st != COHORT_OK)
        goto out;
    owners = edges + (size_t)p * EDGE_BYTES(J);
    /* Everybody's edges, and where every rank's groups begin. */
    {
        unsigned char *mine = malloc(EDGE_BYTES(J) + 8 + kw);
        if (!mine) {
            st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
        } else {
            edge e = {J->n, first_run, last_run};
            memset(mine, 0, EDGE_BYTES(J) + 8 + kw);
            memcpy(mine, &e, sizeof e);
            if (J->n)
                memcpy(mine + sizeof e, J->pairs, PW), memcpy(mine + sizeof e + PW, J->pairs + (size_t)(J->n - 1) * PW, PW);
            int64_t has = ng > 0;
            memcpy(mine + EDGE_BYTES(J), &has, 8);
            if (ng)
                be_key(L, groups, mine + EDGE_BYTES(J) + 8);
            st = COHORT_MPI(ctx, MPI_Allgather(mine, (int)EDGE_BYTES(J), MPI_BYTE, edges, (int)EDGE_BYTES(J), MPI_BYTE,
                                               ctx->comm));
            if (st == COHORT_OK)
                st = COHORT_MPI(ctx, MPI_Allgather(mine + EDGE_BYTES(J), (int)(8 + kw), MPI_BYTE, owners, (int)(8 + kw),
                                                   MPI_BYTE, ctx->comm));
            free(mine);
        }
        st = cohort__agree(ctx, st);
        if (st != COHORT_OK)
            goto out;
    }
    /* The partials, in key order, and the rank each goes to. */
    int64_t *sc = counts, *rc = counts + p;
    memset(sc, 0, (size_t)p * 8);
    int owner = 0, scan = 0;
    for (int64_t r0 = 0, r1; r0 < J->n; r0 = r1) {
        const unsigned char *key = J->pairs + (size_t)r0 * PW;
        for (r1 = r0 + 1; r1 < J->n && memcmp(J->pairs + (size_t)r1 * PW, key, kw) == 0; r1++)
            ;
        /* The group's rank: the last rank with groups whose first group is
         * at or below the key (ranks without groups are passed over). */
        while (scan + 1 < p) {
            int next = scan + 1;
            int64_t has;
            memcpy(&has, owners + (size_t)next * (8 + kw), 8);
            if (has && memcmp(owners + (size_t)next * (8 + kw) + 8, key, kw) > 0)
                break;
            if (has)
                owner = next;
            scan = next;
        }
        int64_t before = nsend;
        if (nuniq) {
            int64_t distinct = 1;
            for (int64_t i = r0 + 1; i < r1; i++)
                distinct += !same_value(J, get_be64(J->pairs + (size_t)(i - 1) * PW + kw),
                                        get_be64(J->pairs + (size_t)i * PW + kw));
            for (int r = me - 1; r0 == 0 && r >= 0; r--) { /* the previous pair, on the previous rank with pairs */
                if (edge_of(J, edges, r)->n == 0)
                    continue;
                const unsigned char *prev = edge_last(J, edges, r);
                distinct -= memcmp(prev, key, kw) == 0 && same_value(J, get_be64(prev + kw), get_be64(key + kw));
                break;
            }
            put_part(J, send + (size_t)nsend++ * PB, key, -1, 0, (uint64_t)distinct);
        }
        if (prod) {
            /* The run's positions in its group: after what earlier ranks hold. */
            int64_t a = 0;
            for (int r = me - 1; r0 == 0 && r >= 0; r--) {
                const edge *e = edge_of(J, edges, r);
                if (e->n == 0)
                    continue;
                if (memcmp(edge_last(J, edges, r), key, kw) != 0)
                    break;
                if (e->first_run == e->n) { /* all of that rank's pairs are this group's */
                    a += e->n;
                    continue;
                }
                a += e->last_run;
                break;
            }
            bool more = false; /* does the group go on after this rank? */
            for (int r = me + 1; r1 == J->n && r < p; r++) {
                if (edge_of(J, edges, r)->n == 0)
                    continue;
                more = memcmp(edge_first(J, edges, r), key, kw) == 0;
                break;
            }
            int top = 0;
            for (int64_t i = r0; i < r1; i++)
                tree_push(stack, &top, a + (i - r0), value_double(J, get_be64(J->pairs + (size_t)i * PW + kw)));
            if (a == 0 && !more) { /* the whole group: finish here */
                double v = tree_finish(stack, top);
                uint64_t bits;
                memcpy(&bits, &v, 8);
                put_part(J, send + (size_t)nsend++ * PB, key, 63, 0, bits);
            } else {
                for (int k = 0; k < top; k++) {
                    uint64_t bits;
                    memcpy(&bits, &stack[k].v, 8);
                    put_part(J, send + (size_t)nsend++ * PB, key, stack[k].level, stack[k].j, bits);
                }
            }
        }
        sc[owner] += nsend - before;
    }
    st = cohort_exchange_counts(ctx, sc, rc);
    for (int k = 0; st == COHORT_OK && k < p; k++)
        nrecv += rc[k];
    if (st == COHORT_OK)
        st = cohort__agree(ctx, cohort__alloc(ctx, (size_t)(nrecv + 1) * PB, "group-by partials", (void **)&recv));
    if (st == COHORT_OK)
        st = cohort_exchange(ctx, send, sc, recv, rc, PB);
    if (st != COHORT_OK)
        goto out;
    /* Each group's partials, in (key, kind, position) order, beside the groups. */
    size_t kwv = kw;
    qsort_r(recv, (size_t)nrecv, PB, cmp_part, &kwv);
    node *nodes = NULL;
    int64_t nodes_cap = 0;
    unsigned char *key = malloc(kw);
    if (!key)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    for (int64_t g = 0, i = 0; st == COHORT_OK && g < ng; g++) {
        be_key(L, groups + (size_t)g * L->R, key);
        int64_t distinct = 0, k = 0;
        while (i < nrecv && memcmp(recv + (size_t)i * PB, key, kw) < 0)
            i++; /* cannot happen: every partial has its group here */
        for (; i < nrecv && memcmp(recv + (size_t)i * PB, key, kw) == 0; i++) {
            const unsigned char *r = recv + (size_t)i * PB;
            int64_t level = get_i(r, kw), j = get_i(r, kw + 8);
            if (level < 0) {
                distinct += get_i(r, kw + 16);
                continue;
            }
            if (k == nodes_cap) {
                node *grown = realloc(nodes, (size_t)(2 * nodes_cap + 64) * sizeof *nodes);
                if (!grown) {
                    st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
                    break;
                }
                nodes = grown, nodes_cap = 2 * nodes_cap + 64;
            }
            nodes[k++] = (node){level, j, get_d(r, kw + 16)};
        }
        if (nuniq)
            out->nunique[g] = distinct;
        if (prod && st == COHORT_OK)
            out->prod[g] = tree_finish(nodes, (int)k);
    }
    free(nodes);
    free(key);
    st = cohort__agree(ctx, st);
out:
    free(stack);
    cohort__free(ctx, edges, edges ? (size_t)p * (EDGE_BYTES(J) + 8 + kw) : 0);
    cohort__free(ctx, send, send ? (size_t)(maxsend + 1) * PB : 0);
    cohort__free(ctx, recv, recv ? (size_t)(nrecv + 1) * PB : 0);
    cohort__free(ctx, counts, counts ? (size_t)(2 * p) * 8 : 0);
    return st;
}

/* ---- the whole ---------------------------------------------------------------- */

int cohort__group_order(cohort_ctx *ctx, cohort_source *src, const agg_layout *L, const cohort_groupby_options *o,
                        int j, const unsigned char *groups, int64_t ng, cohort_group_order *out)
{
    double t0 = cohort__now();
    const agg_value *v = &L->v[j];
    job J = {ctx, L, j, L->word ? 8 : L->kw, (L->word ? 8 : L->kw) + 8, {0}, NULL, 0, 0, NULL};
    J.like = (cohort_column){NULL, v->type, cohort_type_size(v->type), 1, NULL};
    memset(out, 0, sizeof *out);
    out->nq = L->aggs & COHORT_AGG_QUANTILE ? o->nquantiles : 0;
    bool med = L->aggs & COHORT_AGG_MEDIAN, nuniq = L->aggs & COHORT_AGG_NUNIQUE;
    bool prod = (L->aggs & COHORT_AGG_PROD) && o->reproducible && v->is_float;
    size_t per = (med ? 8 : 0) + (size_t)out->nq * 8 + (nuniq ? 8 : 0) + (prod ? 8 : 0);
    unsigned char *mem = NULL;
    int st = cohort__alloc(ctx, (size_t)ng * per, "group-by order statistics", (void **)&mem);
    if (st == COHORT_OK) {
        out->bytes = (size_t)ng * per;
        unsigned char *at = mem;
        if (med)
            out->median = (double *)(void *)at, at += (size_t)ng * 8;
        if (out->nq)
            out->q = (double *)(void *)at, at += (size_t)ng * out->nq * 8;
        if (nuniq)
            out->nunique = (int64_t *)(void *)at, at += (size_t)ng * 8;
        if (prod)
            out->prod = (double *)(void *)at;
    }
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, (size_t)(ctx->size + 1) * 8, "group-by positions", (void **)&J.first);
    st = cohort__agree(ctx, st);
    bool float_keys = false;
    for (int k = 0; k < L->nkeys; k++)
        float_keys |= cohort_type_is_float(L->key_type[k]);
    if (st == COHORT_OK)
        st = make_pairs(&J, src, float_keys && !o->keep_nan_keys);
    cohort__phase_add(ctx, COHORT_PHASE_READ, t0);
    /* 2. Sort the pairs across the ranks. */
    if (st == COHORT_OK) {
        cohort_column col = cohort_column_make_bytes(NULL, J.PW, J.n, J.pairs);
        st = cohort_sort(ctx, &col, NULL, 0, NULL, NULL);
    }
    /* Where each rank's pairs, and this rank's groups' values, begin. */
    int64_t S = 0, mine = 0, total[2] = {0, 0}, local[2] = {0, J.n};
    if (st == COHORT_OK) {
        st = COHORT_MPI(ctx, MPI_Allgather(&J.n, 1, MPI_INT64_T, J.first, 1, MPI_INT64_T, ctx->comm));
        int64_t c = 0;
        for (int r = 0; st == COHORT_OK && r <= ctx->size; r++) {
            int64_t k = r < ctx->size ? J.first[r] : 0;
            J.first[r] = c, c += k;
        }
        for (int64_t g = 0; g < ng; g++)
            mine += get_i(groups + (size_t)g * L->R, L->kw) - get_i(groups + (size_t)g * L->R, v->nan);
        local[0] = mine;
        if (st == COHORT_OK)
            st = COHORT_MPI(ctx, MPI_Exscan(&mine, &S, 1, MPI_INT64_T, MPI_SUM, ctx->comm));
        if (ctx->rank == 0)
            S = 0;
        if (st == COHORT_OK)
            st = COHORT_MPI(ctx, MPI_Allreduce(local, total, 2, MPI_INT64_T, MPI_SUM, ctx->comm));
        if (st == COHORT_OK && total[0] != total[1])
            st = COHORT_FAIL(ctx, COHORT_ERR_INTERNAL, "group-by: %lld values in the groups, %lld pairs",
                             (long long)total[0], (long long)total[1]);
        st = cohort__agree(ctx, st);
    }
    double t1 = cohort__now();
    if (st == COHORT_OK && (med || out->nq))
        st = order_stats(&J, o, groups, ng, S, out);
    if (st == COHORT_OK && (nuniq || prod))
        st = partials(&J, groups, ng, out);
    cohort__phase_add(ctx, COHORT_PHASE_MERGE, t1);
    cohort__free(ctx, J.pairs, (size_t)J.cap * J.PW);
    cohort__free(ctx, J.first, J.first ? (size_t)(ctx->size + 1) * 8 : 0);
    if (st != COHORT_OK)
        cohort__group_order_free(ctx, out);
    return st;
}
