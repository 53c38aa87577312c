/*
 * groupagg.c — group records and the hash table that pre-aggregates rows.
 *
 * A group record is [encoded key | count | one state per value column].
 * The key is the key columns' order-preserving encodings (signed integers
 * with the sign bit flipped, big-endian), concatenated: as one uint64 when
 * they fit in 8 bytes (compared as an integer), else as bytes padded to a
 * multiple of 8 (compared with memcmp).  Either way records sort by key in
 * lexicographic key order with the sort's record kernels.
 *
 * A value's state holds only what its aggregates need: the count of NaN
 * values (the non-NaN count is the group's count less it, so a chunk
 * without NaN costs no count per value); the sum (for integers a 128-bit
 * integer, exact, so that an int64 or uint64 result overflows only when the
 * final value does, whatever the order of the rows; for floats
 * Neumaier-compensated, or exact with xsum in the reproducible mode);
 * mean and M2 for var, std and sem (Welford per row with the mean kept as
 * an unevaluated sum hi + lo, so that values like 1e12 + noise keep their
 * digits, and Chan's merge), or in the reproducible mode the exact sums of
 * the values and of their squares, from which the variance is formed
 * exactly; the product (integers: the magnitude with its sign, a zero and
 * an overflow flag, order-independent for the same reason as the sum);
 * min, max; first and last with their row positions (rank << 44 | local
 * row), so that merging in any order keeps global row order.
 *
 * The table is open addressing with linear probing on a strong 64-bit mix
 * of the key; a slot is free while its count is 0.  While the keys fit in
 * one word and span a range of less than 2^16 values, the table is an
 * array indexed by key (no hash, no probe: what small dimension keys get);
 * a hash table about to grow becomes such an array too when the keys seen
 * span no more than half its new size (dense identifiers: the array is no
 * larger than the hash table would be).  The first key outside the range
 * turns it into a hash table for good.  Rows are taken in
 * chunks: keys encoded and hashed first, slots prefetched a few rows ahead,
 * so that the misses of a table larger than the cache overlap.
 */
#include "kernels.h"

#include <math.h>
#include <stdlib.h>

#define NONE ((size_t)-1)
#define CHUNK 256
#define AHEAD 16 /* rows between a slot's prefetch and its use (8 to 32 measured alike) */
#define DIRECT_SLOTS ((uint64_t)1 << 16) /* a key range this small is indexed directly */
#define CACHED_BYTES ((size_t)256 << 10) /* groups this few stay in cache: no prefetch */

static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t hash_key(const agg_layout *L, const void *key)
{
    if (L->word) {
        uint64_t k;
        memcpy(&k, key, 8);
        return mix64(k + 0x9E3779B97F4A7C15ull);
    }
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < L->kw; i += 8) {
        uint64_t w;
        memcpy(&w, (const unsigned char *)key + i, 8);
        h = mix64(h ^ w) + i;
    }
    return h;
}

int cohort__agg_layout(agg_layout *L, const cohort_column *keys, int nkeys, const cohort_column *vals, int nvals,
                       unsigned aggs, bool exact)
{
    memset(L, 0, sizeof *L);
    L->nkeys = nkeys, L->nvals = nvals, L->aggs = aggs, L->exact = exact;
    size_t K = 0;
    for (int j = 0; j < nkeys; j++) {
        if (keys[j].type < COHORT_INT8 || keys[j].type > COHORT_BYTES)
            return COHORT_ERR_TYPE;
        L->key_type[j] = keys[j].type, L->key_width[j] = keys[j].width, L->key_off[j] = K;
        K += keys[j].width;
    }
    L->word = K <= 8;
    L->kbytes = K;
    L->kw = L->word ? 8 : (K + 7) / 8 * 8;
    size_t off = L->kw + 8; /* the count */
    bool sum = aggs & (COHORT_AGG_SUM | COHORT_AGG_MEAN);
    bool var = aggs & (COHORT_AGG_VAR | COHORT_AGG_STD | COHORT_AGG_SEM);
    for (int j = 0; j < nvals; j++) {
        agg_value *v = &L->v[j];
        if (!cohort_type_is_integer(vals[j].type) && !cohort_type_is_float(vals[j].type))
            return COHORT_ERR_TYPE;
        v->type = vals[j].type;
        v->is_float = cohort_type_is_float(v->type);
        v->is_signed = cohort_type_is_signed(v->type);
        v->nan = off, off += 8;
        v->sum = v->welford = v->s1 = v->sq = v->prod = v->min = v->max = v->first = v->last = NONE;
        /* An exact variance needs the exact sum of the values: for floats
         * the sum's own state. */
        if (sum || (var && exact && v->is_float)) {
            v->sum = off;
            off += !v->is_float ? 16 : exact ? sizeof(cohort_xsum) : 16;
        }
        if (var && !exact)
            v->welford = off, off += 40;
        if (var && exact) {
            if (v->is_float)
                v->s1 = v->sum;
            else
                v->s1 = off, off += sizeof(cohort_xsum);
            v->sq = off, off += sizeof(cohort_xsq);
        }
        if (aggs & COHORT_AGG_PROD)
            v->prod = off, off += 16;
        if (aggs & COHORT_AGG_MIN)
            v->min = off, off += 8;
        if (aggs & COHORT_AGG_MAX)
            v->max = off, off += 8;
        if (aggs & COHORT_AGG_FIRST)
            v->first = off, off += 16; /* value, position */
        if (aggs & COHORT_AGG_LAST)
            v->last = off, off += 16;
    }
    L->R = (off + 7) / 8 * 8;
    /* Up to a cache line, a power of two: no record straddles two lines,
     * so a row costs one miss in a table larger than the cache. */
    for (size_t r = 16; r <= 64; r *= 2)
        if (L->R <= r) {
            L->R = r;
            break;
        }
    return COHORT_OK;
}

/* Encode row i of the key columns into key (L->kw bytes). */
static inline void encode_key(const agg_layout *L, const cohort_column *keys, int64_t i, unsigned char *key)
{
    uint64_t word = 0;
    if (!L->word)
        memset(key, 0, L->kw);
    for (int j = 0; j < L->nkeys; j++) {
        const unsigned char *p = (const unsigned char *)keys[j].data + (size_t)i * L->key_width[j];
        uint64_t u;
        switch (L->key_type[j]) {
        case COHORT_INT8: u = (uint8_t)(*(const int8_t *)p ^ 0x80); break;
        case COHORT_INT16: { int16_t x; memcpy(&x, p, 2); u = (uint16_t)((uint16_t)x ^ 0x8000u); break; }
        case COHORT_INT32: { int32_t x; memcpy(&x, p, 4); u = (uint32_t)x ^ 0x80000000u; break; }
        case COHORT_INT64: { int64_t x; memcpy(&x, p, 8); u = (uint64_t)x ^ ((uint64_t)1 << 63); break; }
        case COHORT_UINT8: u = *p; break;
        case COHORT_UINT16: { uint16_t x; memcpy(&x, p, 2); u = x; break; }
        case COHORT_UINT32: { uint32_t x; memcpy(&x, p, 4); u = x; break; }
        case COHORT_UINT64: memcpy(&u, p, 8); break;
        case COHORT_FLOAT: { float x; memcpy(&x, p, 4); u = cohort__enc_f32(x, false); break; }
        case COHORT_DOUBLE: { double x; memcpy(&x, p, 8); u = cohort__enc_f64(x, false); break; }
        default: /* bytes: as they are */
            if (L->word) {
                for (size_t b = 0; b < L->key_width[j]; b++)
                    word = word << 8 | p[b];
            } else {
                memcpy(key + L->key_off[j], p, L->key_width[j]);
            }
            continue;
        }
        size_t w = L->key_width[j];
        if (L->word) {
            word = w == 8 ? u : word << (8 * w) | u;
        } else {
            for (size_t b = 0; b < w; b++) /* big-endian */
                key[L->key_off[j] + b] = (unsigned char)(u >> (8 * (w - 1 - b)));
        }
    }
    if (L->word) {
        word <<= 8 * (8 - L->kbytes); /* left-aligned: the same order, and all 8 bytes hash */
        memcpy(key, &word, 8);
    }
}

void cohort__agg_decode_keys(const agg_layout *L, const unsigned char *recs, int64_t n, cohort_column *keys)
{
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *key = recs + (size_t)i * L->R;
        uint64_t word = 0;
        unsigned char be[8];
        if (L->word) {
            memcpy(&word, key, 8);
            for (int b = 0; b < 8; b++)
                be[b] = (unsigned char)(word >> (56 - 8 * b));
            key = be; /* now big-endian bytes, as in the bytes layout */
        }
        for (int j = 0; j < L->nkeys; j++) {
            const unsigned char *p = key + L->key_off[j];
            unsigned char *out = (unsigned char *)keys[j].data + (size_t)i * L->key_width[j];
            size_t w = L->key_width[j];
            if (L->key_type[j] == COHORT_BYTES) {
                memcpy(out, p, w);
                continue;
            }
            uint64_t u = 0;
            for (size_t b = 0; b < w; b++)
                u = u << 8 | p[b];
            if (L->key_type[j] == COHORT_DOUBLE) {
                double x = cohort__dec_f64(u, false);
                memcpy(&u, &x, 8);
            } else if (L->key_type[j] == COHORT_FLOAT) {
                float x = cohort__dec_f32((uint32_t)u, false);
                uint32_t b32;
                memcpy(&b32, &x, 4);
                u = b32;
            } else if (cohort_type_is_signed(L->key_type[j])) {
                u ^= (uint64_t)1 << (8 * w - 1);
            }
            switch (w) { /* little-endian hosts: the low bytes of u */
            case 1: { uint8_t x = (uint8_t)u; memcpy(out, &x, 1); break; }
            case 2: { uint16_t x = (uint16_t)u; memcpy(out, &x, 2); break; }
            case 4: { uint32_t x = (uint32_t)u; memcpy(out, &x, 4); break; }
            default: memcpy(out, &u, 8); break;
            }
        }
    }
}

uint64_t cohort__agg_hash(const agg_layout *L, const void *key) { return hash_key(L, key); }

bool cohort__agg_nan_key(const agg_layout *L, const unsigned char *rec)
{
    unsigned char be[8];
    if (L->word) { /* the word's bytes, big-endian, as in the bytes layout */
        uint64_t word;
        memcpy(&word, rec, 8);
        for (int b = 0; b < 8; b++)
            be[b] = (unsigned char)(word >> (56 - 8 * b));
        rec = be;
    }
    for (int j = 0; j < L->nkeys; j++) {
        if (!cohort_type_is_float(L->key_type[j]))
            continue;
        const unsigned char *p = rec + L->key_off[j];
        bool all = true; /* NaN encodes as all ones */
        for (size_t b = 0; b < L->key_width[j]; b++)
            all &= p[b] == 0xFF;
        if (all)
            return true;
    }
    return false;
}

/* ---- states ------------------------------------------------------------ */

static inline double get_d(const unsigned char *r, size_t off) { double x; memcpy(&x, r + off, 8); return x; }
static inline void put_d(unsigned char *r, size_t off, double x) { memcpy(r + off, &x, 8); }
static inline int64_t get_i(const unsigned char *r, size_t off) { int64_t x; memcpy(&x, r + off, 8); return x; }
static inline void put_i(unsigned char *r, size_t off, int64_t x) { memcpy(r + off, &x, 8); }
static inline __int128 get_w(const unsigned char *r, size_t off) { __int128 x; memcpy(&x, r + off, 16); return x; }
static inline void put_w(unsigned char *r, size_t off, __int128 x) { memcpy(r + off, &x, 16); }

/* hi + lo := hi + lo + x, renormalised (Knuth's two-sum: |lo| stays below
 * half an ulp of hi whatever their magnitudes). */
static inline void dd_add(double *hi, double *lo, double x)
{
    double t = *lo + x, s = *hi + t, b = s - *hi;
    *lo = (*hi - (s - b)) + (t - b);
    *hi = s;
}

/* M2 and its correction at @w + 16, + 24 += @x (Neumaier). */
static inline void m2_add(unsigned char *r, size_t w, double x)
{
    double m = get_d(r, w + 16), t = m + x;
    put_d(r, w + 24, get_d(r, w + 24) + cohort__sum_error(m, x, t));
    put_d(r, w + 16, t);
}

/* One value into a Welford state [mean hi, mean lo, M2, M2's correction,
 * n] at @w: the mean in twice a double's precision, M2 compensated, so
 * that neither the offset of the values nor their number costs digits. */
static inline void welford_add(unsigned char *r, size_t w, double x)
{
    double hi = get_d(r, w), lo = get_d(r, w + 8), n = get_d(r, w + 32) + 1;
    double d = (x - hi) - lo; /* x − hi is exact when x is near the mean */
    dd_add(&hi, &lo, d / n);
    m2_add(r, w, d * ((x - hi) - lo));
    put_d(r, w, hi), put_d(r, w + 8, lo), put_d(r, w + 32, n);
}

/* An integer product's state [magnitude, flags] times x (its bits, read
 * as signed or unsigned).  The magnitude never shrinks (|x| >= 1 unless
 * x is 0), so an overflow seen on the way is an overflow of the result:
 * the verdict does not depend on the order. */
static inline void iprod_mul(unsigned char *r, size_t off, int64_t x, bool is_signed)
{
    int64_t flags = get_i(r, off + 8);
    if (x == 0) {
        put_i(r, off + 8, flags | COHORT_PROD_ZERO);
        return;
    }
    bool neg = is_signed && x < 0;
    uint64_t mag = neg ? 0 - (uint64_t)x : (uint64_t)x;
    unsigned __int128 p = (unsigned __int128)(uint64_t)get_i(r, off) * mag;
    if (p >> 64)
        flags |= COHORT_PROD_OVER, p = UINT64_MAX;
    put_i(r, off, (int64_t)(uint64_t)p);
    put_i(r, off + 8, flags ^ (neg ? COHORT_PROD_NEG : 0));
}

void cohort__agg_init_record(const agg_layout *L, unsigned char *rec, const void *key)
{
    memset(rec, 0, L->R);
    memcpy(rec, key, L->kw);
    for (int j = 0; j < L->nvals; j++) {
        const agg_value *v = &L->v[j];
        if (v->sum != NONE && v->is_float && L->exact)
            cohort__xsum_init((cohort_xsum *)(void *)(rec + v->sum));
        if (v->s1 != NONE && v->s1 != v->sum)
            cohort__xsum_init((cohort_xsum *)(void *)(rec + v->s1));
        if (v->sq != NONE)
            cohort__xsq_init((cohort_xsq *)(void *)(rec + v->sq));
        if (v->prod != NONE) {
            if (v->is_float)
                put_d(rec, v->prod, 1.0);
            else
                put_i(rec, v->prod, 1);
        }
        if (v->is_float) {
            if (v->min != NONE)
                put_d(rec, v->min, INFINITY);
            if (v->max != NONE)
                put_d(rec, v->max, -INFINITY);
        } else {
            if (v->min != NONE)
                put_i(rec, v->min, v->is_signed ? INT64_MAX : -1); /* -1: UINT64_MAX */
            if (v->max != NONE)
                put_i(rec, v->max, v->is_signed ? INT64_MIN : 0);
        }
        if (v->first != NONE)
            put_i(rec, v->first + 8, INT64_MAX);
        if (v->last != NONE)
            put_i(rec, v->last + 8, -1);
    }
}

void cohort__agg_merge(const agg_layout *L, unsigned char *a, const unsigned char *b)
{
    put_i(a, L->kw, get_i(a, L->kw) + get_i(b, L->kw));
    for (int j = 0; j < L->nvals; j++) {
        const agg_value *v = &L->v[j];
        if (v->sum != NONE) {
            if (!v->is_float) {
                put_w(a, v->sum, get_w(a, v->sum) + get_w(b, v->sum));
            } else if (L->exact) {
                cohort__xsum_merge((cohort_xsum *)(void *)(a + v->sum), (const cohort_xsum *)(const void *)(b + v->sum));
            } else { /* Neumaier over the two sums, then the corrections */
                double s = get_d(a, v->sum), x = get_d(b, v->sum), t = s + x;
                double c = get_d(a, v->sum + 8) + get_d(b, v->sum + 8);
                c += cohort__sum_error(s, x, t);
                put_d(a, v->sum, t), put_d(a, v->sum + 8, c);
            }
        }
        if (v->s1 != NONE && v->s1 != v->sum)
            cohort__xsum_merge((cohort_xsum *)(void *)(a + v->s1), (const cohort_xsum *)(const void *)(b + v->s1));
        if (v->sq != NONE)
            cohort__xsq_merge((cohort_xsq *)(void *)(a + v->sq), (const cohort_xsq *)(const void *)(b + v->sq));
        size_t w = v->welford;
        double na = w != NONE ? get_d(a, w + 32) : 0, nb = w != NONE ? get_d(b, w + 32) : 0;
        if (w != NONE && nb > 0) { /* Chan, with the means' difference from both parts */
            if (na == 0) {
                memcpy(a + w, b + w, 40);
            } else {
                double n = na + nb, d = (get_d(b, w) - get_d(a, w)) + (get_d(b, w + 8) - get_d(a, w + 8));
                double hi = get_d(a, w), lo = get_d(a, w + 8);
                m2_add(a, w, get_d(b, w + 16));
                m2_add(a, w, d * (d / n) * na * nb);
                put_d(a, w + 24, get_d(a, w + 24) + get_d(b, w + 24));
                dd_add(&hi, &lo, d * (nb / n));
                put_d(a, w, hi), put_d(a, w + 8, lo), put_d(a, w + 32, n);
            }
        }
        if (v->prod != NONE) {
            if (v->is_float) {
                put_d(a, v->prod, get_d(a, v->prod) * get_d(b, v->prod));
            } else {
                int64_t fb = get_i(b, v->prod + 8);
                iprod_mul(a, v->prod, get_i(b, v->prod), false); /* magnitudes */
                put_i(a, v->prod + 8, (get_i(a, v->prod + 8) ^ (fb & COHORT_PROD_NEG)) | (fb & ~COHORT_PROD_NEG));
            }
        }
        put_i(a, v->nan, get_i(a, v->nan) + get_i(b, v->nan));
        if (v->is_float) {
            if (v->min != NONE && get_d(b, v->min) < get_d(a, v->min))
                put_d(a, v->min, get_d(b, v->min));
            if (v->max != NONE && get_d(b, v->max) > get_d(a, v->max))
                put_d(a, v->max, get_d(b, v->max));
        } else if (v->is_signed) {
            if (v->min != NONE && get_i(b, v->min) < get_i(a, v->min))
                put_i(a, v->min, get_i(b, v->min));
            if (v->max != NONE && get_i(b, v->max) > get_i(a, v->max))
                put_i(a, v->max, get_i(b, v->max));
        } else {
            if (v->min != NONE && (uint64_t)get_i(b, v->min) < (uint64_t)get_i(a, v->min))
                put_i(a, v->min, get_i(b, v->min));
            if (v->max != NONE && (uint64_t)get_i(b, v->max) > (uint64_t)get_i(a, v->max))
                put_i(a, v->max, get_i(b, v->max));
        }
        if (v->first != NONE && get_i(b, v->first + 8) < get_i(a, v->first + 8))
            memcpy(a + v->first, b + v->first, 16);
        if (v->last != NONE && get_i(b, v->last + 8) > get_i(a, v->last + 8))
            memcpy(a + v->last, b + v->last, 16);
    }
}

/* ---- the hash table ------------------------------------------------------ */

void cohort__aggtab_init(agg_table *t, const agg_layout *L)
{
    memset(t, 0, sizeof *t);
    t->L = L;
    t->klo = UINT64_MAX;
}

void cohort__aggtab_free(cohort_ctx *ctx, agg_table *t)
{
    if (t->slots == NULL)
        return;
    cohort__free(ctx, t->slots, t->cap * t->L->R);
    t->slots = NULL, t->cap = t->size = 0;
}

static inline bool slot_used(const agg_table *t, const unsigned char *s) { return get_i(s, t->L->kw) != 0; }

static inline unsigned char *probe(const agg_table *t, const unsigned char *key, uint64_t h)
{
    const agg_layout *L = t->L;
    size_t mask = t->cap - 1, i = (size_t)h & mask;
    for (;;) {
        unsigned char *s = t->slots + i * L->R;
        if (!slot_used(t, s))
            return s;
        if (L->word ? memcmp(s, key, 8) == 0 : memcmp(s, key, L->kw) == 0)
            return s;
        i = (i + 1) & mask;
    }
}

/* A key as an integer that counts up by one: the word right-aligned. */
static inline int dense_shift(const agg_layout *L) { return L->kbytes >= 8 ? 0 : 64 - 8 * (int)L->kbytes; }

static inline uint64_t dense_key(const agg_layout *L, const unsigned char *key)
{
    uint64_t w;
    memcpy(&w, key, 8);
    return w >> dense_shift(L);
}

/* Move every group into a new table of @cap slots: a hash table (cap a
 * power of two), or with @direct an array indexed by key − @base. */
static int remake(cohort_ctx *ctx, agg_table *t, size_t cap, bool direct, uint64_t base)
{
    const agg_layout *L = t->L;
    unsigned char *slots = NULL;
    int st = cohort__calloc(ctx, cap * L->R, direct ? "group-by direct table" : "group-by hash table",
                            (void **)&slots);
    if (st != COHORT_OK)
        return st;
    agg_table next = *t;
    next.slots = slots, next.cap = cap, next.direct = direct, next.base = base;
    for (size_t i = 0; i < t->cap; i++) {
        const unsigned char *s = t->slots + i * L->R;
        if (slot_used(t, s))
            memcpy(direct ? slots + (dense_key(L, s) - base) * L->R : probe(&next, s, hash_key(L, s)), s, L->R);
    }
    cohort__free(ctx, t->slots, t->cap * L->R);
    *t = next;
    return COHORT_OK;
}

/* The keys seen [klo, khi] centred in an array with a quarter more room
 * (keys drawn from a dense range soon show nearly all of it), at most
 * @most slots. */
static int to_direct(cohort_ctx *ctx, agg_table *t, size_t most)
{
    uint64_t span = t->khi - t->klo + 1, n = span + span / 4 + 1024;
    n = n < most ? n : most;
    uint64_t margin = (n - span) / 2;
    return remake(ctx, t, (size_t)n, true, t->klo > margin ? t->klo - margin : 0);
}

/* Double the table (or make the first one); dense keys get an array. */
static int grow(cohort_ctx *ctx, agg_table *t)
{
    size_t cap = t->cap ? 2 * t->cap : 1024;
    if (t->L->word && !t->no_direct && t->klo <= t->khi && t->khi - t->klo < cap / 2)
        return to_direct(ctx, t, cap);
    return remake(ctx, t, cap, false, 0);
}

/* Direct mode ends: every group into a hash table with room for @more. */
static int to_hash(cohort_ctx *ctx, agg_table *t, size_t more)
{
    size_t cap = 1024;
    while (2 * (t->size + more) > cap)
        cap *= 2;
    return remake(ctx, t, cap, false, 0);
}

/* Direct mode: keep it (or start it) when the chunk's keys fit the range;
 * leave it when they do not.  Returns a status.  The keys' range is tracked
 * only while it may still decide: in direct mode one compare per key does. */
static int choose_mode(cohort_ctx *ctx, agg_table *t, const unsigned char *kb, int m)
{
    const agg_layout *L = t->L;
    if (!L->word || t->no_direct)
        return COHORT_OK;
    const uint64_t *keys = (const uint64_t *)(const void *)kb;
    const int shift = dense_shift(L);
    if (t->direct) {
        const uint64_t base = t->base, cap = t->cap;
        bool out = false;
        for (int i = 0; i < m; i++)
            out |= (keys[i] >> shift) - base >= cap;
        if (!out)
            return COHORT_OK;
        t->no_direct = true;
        return to_hash(ctx, t, (size_t)m);
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < m; i++) {
        uint64_t k = keys[i] >> shift;
        lo = k < lo ? k : lo, hi = k > hi ? k : hi;
    }
    t->klo = lo < t->klo ? lo : t->klo, t->khi = hi > t->khi ? hi : t->khi;
    if (t->cap == 0 && hi - lo < DIRECT_SLOTS / 2) /* the first chunk decides */
        return remake(ctx, t, DIRECT_SLOTS, true, lo > DIRECT_SLOTS / 4 ? lo - DIRECT_SLOTS / 4 : 0);
    return COHORT_OK;
}

/* The keys of rows [at, at + m) encoded: one integer key column straight
 * (the common case, no per-row switch), else row by row. */
void cohort__agg_encode_keys(const agg_layout *L, const cohort_column *keys, int64_t at, int m, unsigned char *kb)
{
    uint64_t *w = (uint64_t *)(void *)kb;
    if (L->word && L->nkeys == 1 && L->key_type[0] != COHORT_BYTES) {
        const void *p = (const unsigned char *)keys[0].data + (size_t)at * L->key_width[0];
        int sh = 8 * (8 - (int)L->key_width[0]); /* left-aligned, as encode_key */
        switch (L->key_type[0]) {
        case COHORT_INT64: for (int i = 0; i < m; i++) w[i] = (uint64_t)((const int64_t *)p)[i] ^ (1ull << 63); return;
        case COHORT_UINT64: for (int i = 0; i < m; i++) w[i] = ((const uint64_t *)p)[i]; return;
        case COHORT_INT32:
            for (int i = 0; i < m; i++) w[i] = (uint64_t)((uint32_t)((const int32_t *)p)[i] ^ 0x80000000u) << sh;
            return;
        case COHORT_UINT32: for (int i = 0; i < m; i++) w[i] = (uint64_t)((const uint32_t *)p)[i] << sh; return;
        default: break;
        }
    }
    for (int i = 0; i < m; i++)
        encode_key(L, keys, at + i, kb + (size_t)i * L->kw);
}

/* Find or make the slot of each row's key; count the row. */
static void find_slots(agg_table *t, const unsigned char *kb, const uint64_t *h, int m, unsigned char **slot)
{
    const agg_layout *L = t->L;
    size_t mask = t->cap - 1, R = L->R, kw = L->kw;
    unsigned char *slots = t->slots;
    for (int i = 0; i < m; i++) {
        if (i + AHEAD < m) /* the slot of a row a few ahead: its miss overlaps this row's work */
            __builtin_prefetch(slots + ((size_t)h[i + AHEAD] & mask) * R, 1);
        const unsigned char *key = kb + (size_t)i * kw;
        size_t j = (size_t)h[i] & mask;
        unsigned char *s;
        for (;; j = (j + 1) & mask) {
            s = slots + j * R;
            int64_t c = get_i(s, kw);
            if (c == 0) {
                cohort__agg_init_record(L, s, key);
                t->size++;
                break;
            }
            if (L->word ? get_i(s, 0) == get_i(key, 0) : memcmp(s, key, kw) == 0)
                break;
        }
        put_i(s, kw, get_i(s, kw) + 1);
        slot[i] = s;
    }
}

/* Count a row into its direct slot @s, making the group when the slot is
 * free (count 0).  Returns whether the group is new. */
static inline bool count_row(const agg_layout *L, unsigned char *s, const unsigned char *key)
{
    int64_t c = get_i(s, 8);
    if (c == 0)
        cohort__agg_init_record(L, s, key);
    put_i(s, 8, c + 1);
    return c == 0;
}

/* Direct mode: each row's slot is its key's; count the row.  Slots first,
 * then rows, their slots prefetched AHEAD ahead (an array larger than the
 * cache misses as a hash table does).  The layout is read into locals once:
 * the stores into records could alias it. */
static void direct_slots(agg_table *t, const unsigned char *kb, int m, unsigned char **slot)
{
    const agg_layout *L = t->L;
    const size_t R = L->R;
    const int shift = dense_shift(L);
    unsigned char *const slots = t->slots;
    const uint64_t kbase = t->base, *keys = (const uint64_t *)(const void *)kb;
    size_t fresh = 0;
    if (t->size * R <= CACHED_BYTES) { /* the groups so far fit in cache: one pass */
        for (int i = 0; i < m; i++) {
            slot[i] = slots + ((keys[i] >> shift) - kbase) * R;
            fresh += count_row(L, slot[i], kb + (size_t)i * 8);
        }
        t->size += fresh;
        return;
    }
    for (int i = 0; i < m; i++) {
        slot[i] = slots + ((keys[i] >> shift) - kbase) * R;
        if (i < AHEAD)
            __builtin_prefetch(slot[i], 1);
    }
    for (int i = 0; i < m; i++) {
        if (i + AHEAD < m)
            __builtin_prefetch(slot[i + AHEAD], 1);
        fresh += count_row(L, slot[i], kb + (size_t)i * 8);
    }
    t->size += fresh;
}

/* Whether any of x[0, m) is NaN: two at a time with a vector compare (a
 * scalar loop costs as much as the sum it would spare). */
static bool any_nan(const double *x, int m)
{
    typedef double v2d __attribute__((vector_size(16)));
    typedef long long v2l __attribute__((vector_size(16)));
    v2l acc = {0, 0};
    int i = 0;
    for (; i + 2 <= m; i += 2) {
        v2d v;
        memcpy(&v, x + i, sizeof v);
        acc |= v != v;
    }
    bool nan = (acc[0] | acc[1]) != 0;
    for (; i < m; i++)
        nan |= x[i] != x[i];
    return nan;
}

/* Take a chunk of one value column into its groups' states: one loop per
 * kind of state, so that each loop is short and branch-free.  The value's
 * layout is a local copy: stores into records could alias *@vp, which
 * would reload every offset on every row. */
static void take_values(const agg_layout *L, const agg_value *vp, unsigned char **slot, const double *xd,
                        const int64_t *xi, int m, int64_t pos)
{
    const agg_value V = *vp, *v = &V;
    const bool exact = L->exact;
    bool nan = false;
    if (v->is_float) {
        nan = any_nan(xd, m); /* a chunk without NaN (the common case) skips its tests */
        if (v->sum != NONE && !exact && !nan) {
            for (int i = 0; i < m; i++) {
                unsigned char *r = slot[i];
                double x = xd[i], s = get_d(r, v->sum), c = get_d(r, v->sum + 8), t = s + x;
                c += cohort__sum_error(s, x, t);
                put_d(r, v->sum, t), put_d(r, v->sum + 8, c);
            }
        } else if (v->sum != NONE && !exact) {
            for (int i = 0; i < m; i++) { /* NaN adds 0, and is counted apart */
                unsigned char *r = slot[i];
                double x = xd[i], s = get_d(r, v->sum), c = get_d(r, v->sum + 8);
                bool ok = x == x;
                x = ok ? x : 0;
                double t = s + x;
                c += cohort__sum_error(s, x, t);
                put_d(r, v->sum, t), put_d(r, v->sum + 8, c);
                put_i(r, v->nan, get_i(r, v->nan) + !ok);
            }
        } else {
            for (int i = 0; nan && i < m; i++)
                put_i(slot[i], v->nan, get_i(slot[i], v->nan) + (xd[i] != xd[i]));
            if (v->sum != NONE) /* exact */
                for (int i = 0; i < m; i++)
                    if (xd[i] == xd[i])
                        cohort__xsum_add((cohort_xsum *)(void *)(slot[i] + v->sum), xd[i]);
        }
        if (v->sq != NONE)
            for (int i = 0; i < m; i++)
                if (xd[i] == xd[i])
                    cohort__xsq_add_product((cohort_xsq *)(void *)(slot[i] + v->sq), xd[i], xd[i]);
        if (v->prod != NONE)
            for (int i = 0; i < m; i++)
                if (xd[i] == xd[i])
                    put_d(slot[i], v->prod, get_d(slot[i], v->prod) * xd[i]);
    } else {
        if (v->sum != NONE && v->is_signed)
            for (int i = 0; i < m; i++)
                put_w(slot[i], v->sum, get_w(slot[i], v->sum) + xi[i]);
        else if (v->sum != NONE)
            for (int i = 0; i < m; i++)
                put_w(slot[i], v->sum, get_w(slot[i], v->sum) + (uint64_t)xi[i]);
        if (v->sq != NONE)
            for (int i = 0; i < m; i++) {
                cohort_xsum *s1 = (cohort_xsum *)(void *)(slot[i] + v->s1);
                cohort_xsq *sq = (cohort_xsq *)(void *)(slot[i] + v->sq);
                if (v->is_signed)
                    cohort__xsum_add_int(s1, xi[i]), cohort__xsq_add_int_square(sq, xi[i]);
                else
                    cohort__xsum_add_uint(s1, (uint64_t)xi[i]), cohort__xsq_add_uint_square(sq, (uint64_t)xi[i]);
            }
        if (v->prod != NONE)
            for (int i = 0; i < m; i++)
                iprod_mul(slot[i], v->prod, xi[i], v->is_signed);
    }
    if (v->welford != NONE) /* with its own count: a group may recur within the chunk */
        for (int i = 0; i < m; i++) {
            double x = v->is_float ? xd[i] : v->is_signed ? (double)xi[i] : (double)(uint64_t)xi[i];
            if (x == x)
                welford_add(slot[i], v->welford, x);
        }
    if (v->min != NONE || v->max != NONE || v->first != NONE || v->last != NONE)
        for (int i = 0; i < m; i++) {
            if (nan && xd[i] != xd[i])
                continue;
            unsigned char *r = slot[i];
            int64_t bits = xi[i];
            if (v->is_float)
                memcpy(&bits, &xd[i], 8);
            if (v->is_float) {
                if (v->min != NONE && xd[i] < get_d(r, v->min))
                    put_d(r, v->min, xd[i]);
                if (v->max != NONE && xd[i] > get_d(r, v->max))
                    put_d(r, v->max, xd[i]);
            } else if (v->is_signed) {
                if (v->min != NONE && bits < get_i(r, v->min))
                    put_i(r, v->min, bits);
                if (v->max != NONE && bits > get_i(r, v->max))
                    put_i(r, v->max, bits);
            } else {
                if (v->min != NONE && (uint64_t)bits < (uint64_t)get_i(r, v->min))
                    put_i(r, v->min, bits);
                if (v->max != NONE && (uint64_t)bits > (uint64_t)get_i(r, v->max))
                    put_i(r, v->max, bits);
            }
            if (v->first != NONE && pos + i < get_i(r, v->first + 8))
                put_i(r, v->first, bits), put_i(r, v->first + 8, pos + i);
            if (v->last != NONE && pos + i > get_i(r, v->last + 8))
                put_i(r, v->last, bits), put_i(r, v->last + 8, pos + i);
        }
}

int cohort__aggtab_add(cohort_ctx *ctx, agg_table *t, const cohort_column *keys, const cohort_column *vals,
                       int64_t rows, int64_t first_pos)
{
    const agg_layout *L = t->L;
    uint64_t kbuf[CHUNK * 4];
    unsigned char *kheap = NULL, *kb = (unsigned char *)kbuf;
    if (L->kw * CHUNK > sizeof kbuf && (kb = kheap = malloc(L->kw * CHUNK)) == NULL)
        return COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for group keys");
    uint64_t h[CHUNK];
    double xd[CHUNK];
    int64_t xi[CHUNK];
    unsigned char *slot[CHUNK];
    int st = COHORT_OK;
    for (int64_t at = 0; at < rows && st == COHORT_OK; at += CHUNK) {
        int m = rows - at < CHUNK ? (int)(rows - at) : CHUNK;
        cohort__agg_encode_keys(L, keys, at, m, kb);
        st = choose_mode(ctx, t, kb, m);
        /* Room for every row of the chunk being new, at load <= 1/2 (a
         * growing table may become a direct one). */
        while (st == COHORT_OK && !t->direct && 2 * (t->size + (size_t)m) > t->cap)
            st = grow(ctx, t);
        if (st != COHORT_OK)
            break;
        if (t->direct) {
            direct_slots(t, kb, m, slot);
        } else {
            /* Hashes first, the first rows' slots prefetched; find_slots
             * keeps prefetching AHEAD rows ahead, so that a few misses are
             * always in flight (as many as the core can track). */
            for (int i = 0; i < m; i++) {
                h[i] = hash_key(L, kb + (size_t)i * L->kw);
                if (i < AHEAD)
                    __builtin_prefetch(t->slots + ((size_t)h[i] & (t->cap - 1)) * L->R, 1);
            }
            find_slots(t, kb, h, m, slot);
        }
        if (st != COHORT_OK)
            break;
        for (int j = 0; j < L->nvals; j++) { /* value by value: one conversion per chunk */
            const agg_value *v = &L->v[j];
            const double *d = xd; /* 64-bit columns are read in place */
            const int64_t *w = xi;
            if (vals[j].type == COHORT_DOUBLE)
                d = (const double *)vals[j].data + at;
            else if (vals[j].type == COHORT_INT64)
                w = (const int64_t *)vals[j].data + at;
            else if (v->is_float)
                cohort__column_to_double(&vals[j], at, m, xd);
            else
                cohort__column_to_int64(&vals[j], at, m, xi);
            take_values(L, v, slot, d, w, m, first_pos + at);
        }
    }
    free(kheap);
    return st;
}

int64_t cohort__aggtab_compact(agg_table *t)
{
    size_t R = t->L->R, n = 0;
    for (size_t i = 0; i < t->cap; i++) {
        unsigned char *s = t->slots + i * R;
        if (slot_used(t, s)) {
            if (n != i)
                memcpy(t->slots + n * R, s, R);
            n++;
        }
    }
    return (int64_t)n;
}
