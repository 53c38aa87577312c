/*
 * quantile.c — exact quantiles by distributed radix selection.
 *
 * Keys are encoded as unsigned integers in their order (kernels/keys.c;
 * NaN encodes as the largest key and is left out).  An order statistic is
 * found digit by digit from the top: in each pass over the data every rank
 * counts, for each group of wanted statistics that share the bits found so
 * far, the keys with that prefix by their next digit; one sum over ranks of
 * those counts tells each statistic its next digit.  After the first pass
 * the counts also give the number of keys, hence which order statistics
 * numpy's method needs.  Exact, deterministic, any number of ranks.
 */
#include "ops.h"

#include <math.h>
#include <stdlib.h>

#define CHUNK 2048
/* Gather the remaining candidates once at most this many keys (over all
 * ranks) share the wanted prefixes: 32 MiB of keys at most per rank. */
int64_t cohort__quantile_candidates_max = (int64_t)1 << 22;

static const char *const method_names[] = {"linear", "lower", "higher", "nearest", "midpoint", "inverted_cdf",
                                           "averaged_inverted_cdf", "closest_observation", "interpolated_inverted_cdf",
                                           "hazen", "weibull", "median_unbiased", "normal_unbiased"};
#define NMETHODS 13

int cohort_quantile_method_parse(const char *name, cohort_quantile_method *m)
{
    for (int i = 0; name && i < NMETHODS; i++)
        if (strcmp(name, method_names[i]) == 0) {
            *m = (cohort_quantile_method)i;
            return COHORT_OK;
        }
    return COHORT_ERR_ARG;
}

const char *cohort_quantile_method_name(cohort_quantile_method m)
{
    return (int)m >= 0 && (int)m < NMETHODS ? method_names[m] : NULL;
}

int cohort_quantile_method_is_element(cohort_quantile_method m)
{
    return m == COHORT_QUANTILE_LOWER || m == COHORT_QUANTILE_HIGHER || m == COHORT_QUANTILE_NEAREST ||
           m == COHORT_QUANTILE_INVERTED_CDF || m == COHORT_QUANTILE_CLOSEST_OBSERVATION;
}

/* One wanted order statistic: its global position, and its search state. */
typedef struct target {
    int64_t pos;     /* 0-based among the non-NaN keys in ascending order */
    int64_t rank;    /* position among the keys sharing its prefix */
    uint64_t prefix; /* the bits found so far */
    int group;       /* index of its prefix among this round's groups */
    int64_t count_under; /* keys over all ranks that share the prefix */
} target;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Index of @p in the sorted @v[0..n), or -1. */
static inline int find_group(const uint64_t *v, int n, uint64_t p)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (v[mid] < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo] == p ? lo : -1;
}

/* One pass of the search: which keys it counts, by which digit. */
typedef struct pass {
    int resolved;           /* bits of the wanted prefixes found so far */
    int rshift;             /* key >> rshift is a key's prefix */
    int shift;              /* (key >> shift) & mask is its next digit */
    uint64_t mask;
    uint64_t lo_group, span; /* the wanted prefixes lie in [lo_group, lo_group + span] */
    const uint64_t *groups; /* the wanted prefixes, sorted */
    int ngroups;
    size_t nb;              /* counts per prefix */
    bool gather;            /* also keep the counted keys */
    bool floaty;            /* NaN keys (nan_code) are not counted */
    uint64_t nan_code;
} pass;

/* Count encoded keys k[0, n) by their next digit.  The first pass counts
 * every key by its top digit into two copies of the counts, alternately,
 * so that runs of equal digits do not wait on each other's increments,
 * and counts NaN keys (which land in the top digit's last bin) in *nan.
 * Later passes count only keys under a wanted prefix: one unsigned compare
 * rejects most keys, and predictably, whichever side of the prefixes they
 * lie on. */
static void count_keys(const pass *ps, const uint64_t *k, int64_t n, int64_t *hist, uint64_t *cand, int64_t *kept,
                       int64_t *nan)
{
    if (ps->resolved == 0) {
        int64_t *h0 = hist, *h1 = hist + ps->nb, nans = 0;
        int shift = ps->shift;
        uint64_t code = ps->nan_code;
        bool floaty = ps->floaty;
        int64_t i = 0;
        for (; i + 2 <= n; i += 2) {
            uint64_t u = k[i], v = k[i + 1];
            h0[u >> shift]++;
            h1[v >> shift]++;
            nans += floaty & (u == code), nans += floaty & (v == code);
        }
        for (; i < n; i++)
            h0[k[i] >> shift]++, nans += floaty & (k[i] == code);
        *nan += nans;
        return;
    }
    uint64_t lo = ps->lo_group, span = ps->span;
    for (int64_t i = 0; i < n; i++) {
        uint64_t u = k[i];
        if ((u >> ps->rshift) - lo > span || (ps->floaty && u == ps->nan_code))
            continue;
        int g = ps->ngroups == 1 ? 0 : find_group(ps->groups, ps->ngroups, u >> ps->rshift);
        if (g < 0)
            continue;
        hist[(size_t)g * ps->nb + ((u >> ps->shift) & ps->mask)]++;
        if (ps->gather)
            cand[(*kept)++] = u;
    }
}

/*
 * The order statistics numpy's method reads for probability q of n values
 * and the interpolation weight gamma, step for step as numpy 1.24's
 * function_base._quantile computes them (its _QuantileMethods, _get_indexes,
 * _get_gamma), in the same double arithmetic:
 *  - element methods (lower, higher, nearest, inverted_cdf,
 *    closest_observation) name one index: lo = hi;
 *  - the others a virtual index v: lo = floor(v), hi = lo + 1, gamma =
 *    v - lo; v >= n - 1 reads the last value twice (gamma then counted from
 *    index -1, as numpy does) and v < 0 the first twice; averaged_inverted_cdf
 *    and midpoint fix gamma as numpy does.
 */
void cohort__quantile_order_stats(cohort_quantile_method method, int64_t n, double q, int64_t *lo, int64_t *hi,
                                  double *gamma)
{
    const double nd = (double)n;
    double v = 0, alpha = 0, beta = 0, g = 0;
    int64_t i;
    switch (method) {
    case COHORT_QUANTILE_LOWER: *lo = *hi = (int64_t)floor((double)(n - 1) * q); goto element;
    case COHORT_QUANTILE_HIGHER: *lo = *hi = (int64_t)ceil((double)(n - 1) * q); goto element;
    case COHORT_QUANTILE_NEAREST: *lo = *hi = (int64_t)nearbyint((double)(n - 1) * q); goto element; /* half to even */
    case COHORT_QUANTILE_INVERTED_CDF:
    case COHORT_QUANTILE_CLOSEST_OBSERVATION: { /* _discret_interpolation_to_boundaries */
        double index = method == COHORT_QUANTILE_INVERTED_CDF ? nd * q - 1 : nd * q - 1 - 0.5;
        double prev = floor(index), gm = index - prev;
        bool take_prev = gm == 0 && (method == COHORT_QUANTILE_INVERTED_CDF || fmod(prev, 2) == 0);
        i = (int64_t)(take_prev ? prev : prev + 1);
        *lo = *hi = i < 0 ? 0 : i;
        goto element;
    }
    case COHORT_QUANTILE_MIDPOINT: {
        double h = (double)(n - 1) * q;
        v = 0.5 * (floor(h) + ceil(h));
        break;
    }
    case COHORT_QUANTILE_AVERAGED_INVERTED_CDF: v = nd * q - 1; break;
    case COHORT_QUANTILE_INTERPOLATED_INVERTED_CDF: alpha = 0, beta = 1; goto virtual_index;
    case COHORT_QUANTILE_HAZEN: alpha = 0.5, beta = 0.5; goto virtual_index;
    case COHORT_QUANTILE_WEIBULL: alpha = 0, beta = 0; goto virtual_index;
    case COHORT_QUANTILE_MEDIAN_UNBIASED: alpha = 1 / 3.0, beta = 1 / 3.0; goto virtual_index;
    case COHORT_QUANTILE_NORMAL_UNBIASED: alpha = 3 / 8.0, beta = 3 / 8.0; goto virtual_index;
    default: v = (double)(n - 1) * q; break; /* linear */
    virtual_index: /* _compute_virtual_index */
        v = nd * q + (alpha + q * (1 - alpha - beta)) - 1;
        break;
    }
    /* _get_indexes, then _get_gamma. */
    double prev = floor(v);
    if (v >= nd - 1)
        prev = -1, *lo = *hi = n - 1;
    else if (v < 0)
        prev = 0, *lo = *hi = 0;
    else
        *lo = (int64_t)prev, *hi = *lo + 1;
    g = v - prev;
    if (method == COHORT_QUANTILE_AVERAGED_INVERTED_CDF)
        g = g == 0 ? 0.5 : 1.0;
    else if (method == COHORT_QUANTILE_MIDPOINT)
        g = fmod(v, 1.0) == 0 ? 0 : 0.5;
    if (gamma)
        *gamma = g;
    return;
element:
    if (gamma)
        *gamma = 0;
}

/* The two statistics as numpy computes with them: floats as they are (the
 * difference of float32 values in float32); integers converted, their
 * difference taken in 64 bits (numpy takes it in the values' own type and
 * so wraps for narrow types: [-100, 100] as int8 has median 128 there). */
void cohort__quantile_key_values(const cohort_column *like, uint64_t ka, uint64_t kb, double *a, double *b, double *diff)
{
    uint64_t raw[2] = {0, 0};
    cohort__keys_decode(like, false, &ka, sizeof ka, 1, &raw[0]);
    cohort__keys_decode(like, false, &kb, sizeof kb, 1, &raw[1]);
    if (like->type == COHORT_FLOAT) {
        float x, y;
        memcpy(&x, &raw[0], 4), memcpy(&y, &raw[1], 4);
        *a = x, *b = y, *diff = (double)(float)(y - x); /* numpy subtracts in float32 */
        return;
    }
    if (like->type == COHORT_DOUBLE) {
        memcpy(a, &raw[0], 8), memcpy(b, &raw[1], 8);
        *diff = *b - *a;
        return;
    }
    if (cohort_type_is_signed(like->type)) {
        int sh = 64 - 8 * (int)like->width; /* sign-extend the narrow types */
        int64_t x = (int64_t)(raw[0] << sh) >> sh, y = (int64_t)(raw[1] << sh) >> sh;
        *a = (double)x, *b = (double)y, *diff = (double)(int64_t)((uint64_t)y - (uint64_t)x);
    } else {
        *a = (double)raw[0], *b = (double)raw[1];
        *diff = raw[1] >= raw[0] ? (double)(raw[1] - raw[0]) : -(double)(raw[0] - raw[1]);
    }
}

/* numpy's _lerp(a, b, t): exact at t = 0 and t = 1, symmetric around 0.5. */
double cohort__lerp(double a, double b, double diff, double t)
{
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/* Keys in IEEE's total order for floats (-0.0 just below 0.0, unlike the
 * sort's encoding, which makes them equal), every NaN the largest key;
 * integers as the sort encodes them.  Branch-free integer operations, so
 * that it vectorises (cohort__keys_decode reads both encodings back). */
static COHORT_SIMD_CLONES void encode_total(const cohort_column *c, uint64_t *out)
{
    int64_t n = c->count;
    if (c->type == COHORT_DOUBLE) {
        const uint64_t *x = c->data;
        for (int64_t i = 0; i < n; i++) {
            uint64_t u = x[i], flip = (uint64_t)((int64_t)u >> 63) | (uint64_t)1 << 63;
            out[i] = (u & ~((uint64_t)1 << 63)) > 0x7FF0000000000000ull ? UINT64_MAX : u ^ flip;
        }
    } else if (c->type == COHORT_FLOAT) {
        const uint32_t *x = c->data;
        for (int64_t i = 0; i < n; i++) {
            uint32_t u = x[i], flip = (uint32_t)((int32_t)u >> 31) | (uint32_t)1 << 31;
            out[i] = (u & 0x7FFFFFFFu) > 0x7F800000u ? UINT32_MAX : u ^ flip;
        }
    } else {
        if (c->width < 8)
            memset(out, 0, (size_t)n * sizeof *out);
        cohort__keys_encode(c, false, out, sizeof *out);
    }
}

/* The selection: for each probability q[k] the encoded keys (total order)
 * of the two order statistics numpy's method reads, into klo[k] and
 * khi[k] (the same when it reads one); the column's type into *like, the
 * counts of non-NaN and NaN values into *n_out and *nan_out.  Collective. */
static int select_keys(cohort_ctx *ctx, cohort_source *src, const double *q, int m, cohort_quantile_method method,
                       bool elements, cohort_column *like_out, uint64_t *klo, uint64_t *khi, int64_t *n_out,
                       int64_t *nan_out)
{
    double t0 = cohort__now();
    int st = COHORT_OK;
    if (src == NULL || src->ncols < 1 || m < 0 || (m > 0 && q == NULL) || (int)method < 0 ||
        cohort_quantile_method_name(method) == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_quantiles: invalid arguments");
    else if (elements && !cohort_quantile_method_is_element(method))
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_quantile_elements: %s interpolates: it returns no element",
                         cohort_quantile_method_name(method));
    for (int k = 0; st == COHORT_OK && k < m; k++)
        if (!(q[k] >= 0 && q[k] <= 1))
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_quantiles: probability %g is outside [0, 1]", q[k]);
    int64_t same[2] = {m, method};
    st = cohort__agree_equal(ctx, st, same, 2, "cohort_quantiles: the probabilities or method");
    if (st != COHORT_OK)
        return st;

    /* The key type, from the first block (every rank has the same columns). */
    const cohort_column *cols;
    int64_t rows;
    int done;
    st = src->rewind(src->arg);
    if (st == COHORT_OK)
        st = src->next(src->arg, &cols, &rows, &done);
    cohort_column like = {0};
    if (st == COHORT_OK && !done) {
        like = cols[0];
        if (!cohort_type_is_integer(like.type) && !cohort_type_is_float(like.type))
            st = COHORT_FAIL(ctx, COHORT_ERR_TYPE, "quantiles need a numeric column, not %s",
                             cohort_type_name(like.type) ? cohort_type_name(like.type) : "?");
    }
    st = cohort__agree(ctx, st);
    if (st != COHORT_OK)
        return st;
    int bits = (int)(8 * like.width);

    /* Up to two order statistics per probability; the digit shrinks when
     * many statistics need counts at once, to bound the counts' memory. */
    int maxt = 2 * (m > 0 ? m : 1);
    int D = maxt <= 8 ? 16 : maxt <= 128 ? 12 : 8;
    size_t nb = (size_t)1 << D;
    target *tg = calloc((size_t)maxt, sizeof *tg);
    int *which = calloc((size_t)maxt, sizeof *which); /* per probability: its two targets */
    uint64_t *groups = calloc((size_t)maxt, sizeof *groups), enc[CHUNK];
    int64_t *hist = NULL, N = 0, nan_count = 0;
    size_t hist_bytes = ((size_t)maxt * nb + 1) * sizeof *hist;
    if (!tg || !groups || !which)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, hist_bytes, "quantile counts", (void **)&hist);
    st = cohort__agree(ctx, st);

    int ngroups = 1, ntargets = 0;
    groups[0] = 0;
    /* Once few keys remain under the wanted prefixes, one pass gathers
     * them (each rank its own) and the remaining digits are found from
     * those in memory, without reading the data again. */
    uint64_t *cand = NULL;
    int64_t ncand = 0, cand_cap = 0;
    bool gather = false, in_memory = false;
    for (int resolved = 0; st == COHORT_OK && resolved < bits && (resolved == 0 || ntargets > 0);) {
        int d = bits - resolved < D ? bits - resolved : D, shift = bits - resolved - d;
        uint64_t mask = ((uint64_t)1 << d) - 1;
        memset(hist, 0, ((size_t)ngroups * nb + 1) * sizeof *hist);
        uint64_t lo_group = groups[0], hi_group = groups[ngroups - 1];
        int64_t *nanc = hist + (size_t)ngroups * nb; /* the NaN count rides along */
        int64_t kept = 0;
        pass ps = {resolved, bits - resolved, shift, mask, lo_group, hi_group - lo_group, groups, ngroups, nb,
                   gather, cohort_type_is_float(like.type), like.width == 4 ? UINT32_MAX : UINT64_MAX};
        if (resolved == 0)
            memset(hist + nb, 0, nb * sizeof *hist); /* the first pass's second copy */
        int64_t nan = 0;
        if (in_memory) {
            count_keys(&ps, cand, ncand, hist, cand, &kept, &nan);
        } else {
            st = src->rewind(src->arg);
            for (done = 0; st == COHORT_OK;) {
                st = src->next(src->arg, &cols, &rows, &done);
                if (st != COHORT_OK || done)
                    break;
                for (int64_t at = 0; at < rows; at += CHUNK) {
                    int64_t n = rows - at < CHUNK ? rows - at : CHUNK;
                    cohort_column part = cols[0];
                    part.data = (char *)cols[0].data + (size_t)at * part.width;
                    part.count = n;
                    encode_total(&part, enc);
                    count_keys(&ps, enc, n, hist, cand, &kept, &nan);
                }
            }
        }
        if (resolved == 0) { /* fold the second copy; NaN left out of the top bin */
            for (size_t b = 0; b < nb; b++)
                hist[b] += hist[nb + b];
            if (ps.floaty)
                hist[ps.nan_code >> shift] -= nan;
            *nanc = nan;
        }
        if (gather)
            ncand = kept, in_memory = true, gather = false;
        if (st == COHORT_OK)
            st = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, hist, (int)((size_t)ngroups * nb + 1), MPI_INT64_T,
                                               MPI_SUM, ctx->comm));
        st = cohort__agree(ctx, st);
        if (st != COHORT_OK)
            break;
        if (resolved == 0) {
            /* Now the count is known: which order statistics numpy needs. */
            nan_count = *nanc;
            for (size_t b = 0; b < nb; b++)
                N += hist[b];
            for (int k = 0; N > 0 && k < m; k++) {
                int64_t lo, hi;
                cohort__quantile_order_stats(method, N, q[k], &lo, &hi, NULL);
                which[2 * k] = ntargets, tg[ntargets++].pos = lo;
                which[2 * k + 1] = hi == lo ? which[2 * k] : ntargets;
                if (hi != lo)
                    tg[ntargets++].pos = hi;
            }
            for (int t = 0; t < ntargets; t++)
                tg[t].rank = tg[t].pos, tg[t].prefix = 0, tg[t].group = 0;
        }
        /* Each statistic's next digit, from its group's counts. */
        for (int t = 0; t < ntargets; t++) {
            const int64_t *h = hist + (size_t)tg[t].group * nb;
            int64_t cum = 0;
            size_t b = 0;
            while (b + 1 < ((size_t)1 << d) && cum + h[b] <= tg[t].rank)
                cum += h[b++];
            tg[t].rank -= cum;
            tg[t].prefix = (tg[t].prefix << d) | b;
            tg[t].count_under = h[b]; /* keys, over all ranks, under the new prefix */
        }
        resolved += d;
        /* The next round's groups: the distinct prefixes, sorted. */
        for (int t = 0; t < ntargets; t++)
            groups[t] = tg[t].prefix;
        qsort(groups, (size_t)ntargets, sizeof *groups, cmp_u64);
        ngroups = 0;
        for (int t = 0; t < ntargets; t++)
            if (ngroups == 0 || groups[ngroups - 1] != groups[t])
                groups[ngroups++] = groups[t];
        for (int t = 0; t < ntargets; t++)
            tg[t].group = find_group(groups, ngroups, tg[t].prefix);
        /* How many keys lie under the new prefixes, over all ranks: few
         * enough, and the next pass gathers them. */
        if (!in_memory && resolved < bits && ntargets > 0) {
            int64_t under = 0;
            for (int g = 0; g < ngroups; g++)
                for (int t = 0; t < ntargets; t++)
                    if (tg[t].group == g) {
                        under += tg[t].count_under;
                        break;
                    }
            if (under <= cohort__quantile_candidates_max) {
                cand_cap = under;
                st = cohort__alloc(ctx, (size_t)(cand_cap > 0 ? cand_cap : 1) * sizeof *cand, "quantile candidates",
                                   (void **)&cand);
                st = cohort__agree(ctx, st);
                gather = st == COHORT_OK;
            }
        }
        cohort__progress(ctx, "quantiles", resolved, bits, "bits");
    }

    /* The statistics' keys. */
    if (st == COHORT_OK) {
        for (int k = 0; k < m; k++) {
            klo[k] = N > 0 ? tg[which[2 * k]].prefix : 0;
            khi[k] = N > 0 ? tg[which[2 * k + 1]].prefix : 0;
        }
        *like_out = like;
        *n_out = N;
        *nan_out = nan_count;
    }
    cohort__free(ctx, hist, hist_bytes);
    cohort__free(ctx, cand, cand ? (size_t)(cand_cap > 0 ? cand_cap : 1) * sizeof *cand : 0);
    free(tg);
    free(groups);
    free(which);
    cohort__phase_add(ctx, COHORT_PHASE_SPLIT, t0);
    return st;
}

/* The two front ends: select, then give doubles (numpy's formulas) or
 * the elements themselves. */
static int quantiles(cohort_ctx *ctx, cohort_source *src, const double *q, int m, cohort_quantile_method method,
                     double *values, void *elements, int64_t *count_out, int64_t *nan_out)
{
    cohort__clear_error(ctx);
    cohort_column like = {0};
    uint64_t *keys = malloc(2 * (size_t)(m > 0 ? m : 1) * sizeof *keys);
    int64_t N = 0, nan = 0;
    int st = keys && (m == 0 || values || elements) ? COHORT_OK
                                                    : COHORT_FAIL(ctx, keys ? COHORT_ERR_ARG : COHORT_ERR_NOMEM,
                                                                  "cohort_quantiles: no room for the results");
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = select_keys(ctx, src, q, m, method, elements != NULL, &like, keys, keys + m, &N, &nan);
    for (int k = 0; st == COHORT_OK && k < m; k++) {
        if (elements) { /* the element, in the column's type; without values NaN or 0 */
            unsigned char *out = (unsigned char *)elements + (size_t)k * like.width;
            double d = NAN;
            float f = NAN;
            if (N > 0)
                cohort__keys_decode(&like, false, &keys[k], sizeof keys[k], 1, out);
            else if (cohort_type_is_float(like.type))
                memcpy(out, like.type == COHORT_DOUBLE ? (void *)&d : (void *)&f, like.width);
            else
                memset(out, 0, like.width);
            continue;
        }
        double gamma, a, b, diff;
        int64_t lo, hi;
        if (N == 0) {
            values[k] = NAN;
            continue;
        }
        cohort__quantile_order_stats(method, N, q[k], &lo, &hi, &gamma);
        cohort__quantile_key_values(&like, keys[k], keys[m + k], &a, &b, &diff);
        values[k] = cohort_quantile_method_is_element(method) ? a : cohort__lerp(a, b, diff, gamma);
    }
    if (st == COHORT_OK && count_out)
        *count_out = N;
    if (st == COHORT_OK && nan_out)
        *nan_out = nan;
    free(keys);
    return st;
}

int cohort_quantiles(cohort_ctx *ctx, cohort_source *src, const double *q, int m, cohort_quantile_method method,
                     double *values, int64_t *count_out, int64_t *nan_out)
{
    return quantiles(ctx, src, q, m, method, values, NULL, count_out, nan_out);
}

int cohort_quantile_elements(cohort_ctx *ctx, cohort_source *src, const double *q, int m,
                             cohort_quantile_method method, void *elements, int64_t *count_out, int64_t *nan_out)
{
    return quantiles(ctx, src, q, m, method, NULL, elements, count_out, nan_out);
}

/* Merge the ranks' sketches up a binomial tree into rank 0's.  A rank that
 * failed sends -1 as its size, so that no rank waits for what never comes. */
static int merge_tree(cohort_ctx *ctx, cohort_sketch *sk, int st)
{
    for (int step = 1; step < ctx->size; step <<= 1) {
        if (ctx->rank % (2 * step) == step) { /* send to rank - step, then done */
            int64_t bytes = st == COHORT_OK ? (int64_t)cohort__sketch_size(sk) : -1;
            double *buf = bytes > 0 ? malloc((size_t)bytes) : NULL;
            if (bytes > 0 && buf == NULL)
                bytes = -1, st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory sending a sketch");
            if (buf)
                cohort__sketch_pack(sk, buf);
            int rc = MPI_Send(&bytes, 1, MPI_INT64_T, ctx->rank - step, 7, ctx->comm);
            if (rc == MPI_SUCCESS && bytes > 0) /* sketches stay far below 2 GiB: k L doubles */
                rc = MPI_Send(buf, (int)(bytes / 8), MPI_DOUBLE, ctx->rank - step, 8, ctx->comm);
            free(buf);
            return st == COHORT_OK ? COHORT_MPI(ctx, rc) : st;
        }
        if (ctx->rank % (2 * step) == 0 && ctx->rank + step < ctx->size) {
            int64_t bytes = 0;
            int rc = MPI_Recv(&bytes, 1, MPI_INT64_T, ctx->rank + step, 7, ctx->comm, MPI_STATUS_IGNORE);
            double *buf = bytes > 0 ? malloc((size_t)bytes) : NULL;
            if (rc == MPI_SUCCESS && bytes > 0) {
                double dummy;
                rc = MPI_Recv(buf ? buf : &dummy, buf ? (int)(bytes / 8) : 0, MPI_DOUBLE, ctx->rank + step, 8, ctx->comm,
                              MPI_STATUS_IGNORE);
            }
            if (rc != MPI_SUCCESS && st == COHORT_OK)
                st = COHORT_MPI(ctx, rc);
            else if (bytes < 0 && st == COHORT_OK)
                st = COHORT_FAIL(ctx, COHORT_ERR_INTERNAL, "a sketch from rank %d was lost", ctx->rank + step);
            else if (bytes > 0 && buf == NULL && st == COHORT_OK)
                st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory receiving a sketch");
            else if (bytes > 0 && st == COHORT_OK)
                st = cohort__sketch_merge_packed(sk, buf);
            free(buf);
        }
    }
    return st;
}

int cohort_quantiles_approx(cohort_ctx *ctx, cohort_source *src, const double *q, int m, double eps, double *values,
                            int64_t *count_out, int64_t *nan_out)
{
    cohort__clear_error(ctx);
    double t0 = cohort__now();
    int st = COHORT_OK;
    cohort_sketch sk;
    if (src == NULL || src->ncols < 1 || m < 0 || (m > 0 && (q == NULL || values == NULL)) ||
        cohort__sketch_init(&sk, eps) != COHORT_OK)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_quantiles_approx: invalid arguments (eps must be in [1e-5, 1); cohort_quantiles is exact)");
    for (int k = 0; st == COHORT_OK && k < m; k++)
        if (!(q[k] >= 0 && q[k] <= 1))
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_quantiles_approx: probability %g is outside [0, 1]", q[k]);
    int64_t same[1] = {m};
    st = cohort__agree_equal(ctx, st, same, 1, "cohort_quantiles_approx: the probabilities");
    if (st != COHORT_OK)
        return st;
    /* One pass: NaN counted aside, every other value into the sketch.  A
     * local failure stops the adding, not the reading: the source's calls
     * are collective. */
    int64_t nan_count = 0;
    int lst = COHORT_OK;
    st = src->rewind(src->arg);
    for (int done = 0; st == COHORT_OK;) {
        const cohort_column *cols;
        int64_t rows;
        st = src->next(src->arg, &cols, &rows, &done);
        if (st != COHORT_OK || done)
            break;
        if (lst == COHORT_OK && rows > 0 && !cohort_type_is_integer(cols[0].type) && !cohort_type_is_float(cols[0].type))
            lst = COHORT_FAIL(ctx, COHORT_ERR_TYPE, "quantiles need a numeric column");
        double buf[CHUNK];
        for (int64_t at = 0; lst == COHORT_OK && at < rows; at += CHUNK) {
            int64_t n = rows - at < CHUNK ? rows - at : CHUNK;
            cohort__column_to_double(&cols[0], at, n, buf);
            int ast = cohort__sketch_add_values(&sk, buf, n, &nan_count);
            if (ast != COHORT_OK)
                lst = COHORT_FAIL(ctx, ast, ast == COHORT_ERR_NOMEM ? "out of memory growing the quantile sketch"
                                                                    : "more values than the quantile sketch's levels hold");
        }
    }
    st = st == COHORT_OK ? lst : st;
    cohort__phase_add(ctx, COHORT_PHASE_LOCAL, t0);
    double t1 = cohort__now();
    st = merge_tree(ctx, &sk, st);
    /* Rank 0 answers; everyone agrees, then learns the answer. */
    double *out = calloc((size_t)m + 2, sizeof *out);
    if (out == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory");
    else if (ctx->rank == 0 && st == COHORT_OK) {
        st = cohort__sketch_quantiles(&sk, q, m, out);
        out[m] = (double)sk.count;
    }
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Bcast(out, m + 1, MPI_DOUBLE, 0, ctx->comm)));
    if (st == COHORT_OK)
        st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, &nan_count, 1, MPI_INT64_T, MPI_SUM, ctx->comm)));
    if (st == COHORT_OK) {
        int64_t n = (int64_t)out[m];
        for (int k = 0; k < m; k++)
            values[k] = n > 0 ? out[k] : NAN;
        if (count_out)
            *count_out = n;
        if (nan_out)
            *nan_out = nan_count;
    }
    free(out);
    cohort__sketch_free(&sk);
    cohort__phase_add(ctx, COHORT_PHASE_REDUCE, t1);
    return st;
}
