/*
 * kernels.h — node-local building blocks of the operations, with no MPI:
 * order-preserving key encodings, radix sort and merging of fixed-size
 * records, row checksums.  Never installed.
 *
 * A "record" is R bytes: an encoded key of kw bytes at offset 0, then
 * whatever travels with it (payload bytes, indices).  Encoded keys compare
 * as unsigned integers (kw = 1, 2, 4, 8; stored in native byte order) or,
 * for byte strings, with memcmp (any kw).
 */
#ifndef COHORT_KERNELS_H
#define COHORT_KERNELS_H

#include "../core/internal.h"

#include <math.h>
#include <string.h>

/* The rounding error of t = s + x, exactly (Neumaier's step): a
 * compensated sum keeps the errors' sum beside the sum. */
static inline double cohort__sum_error(double s, double x, double t)
{
    return fabs(s) >= fabs(x) ? (s - t) + x : (x - t) + s;
}

typedef struct rec_layout {
    size_t R;      /* bytes per record */
    size_t kw;     /* bytes of the encoded key at offset 0 */
    bool bytes;    /* compare keys with memcmp (strings) rather than as unsigned integers */
    uint64_t flip; /* integer keys stored raw: the encoded key is the stored one XOR flip
                      (sign bit, all bits when descending; 0 for keys stored encoded) */
} rec_layout;

/* -1, 0, 1 as the key of record @a is below, equal to, above @b's. */
static inline int cohort__key_cmp(const rec_layout *L, const void *a, const void *b)
{
    if (L->bytes)
        return memcmp(a, b, L->kw);
    uint64_t f = L->flip;
    switch (L->kw) {
    case 1: { uint8_t x = *(const uint8_t *)a ^ (uint8_t)f, y = *(const uint8_t *)b ^ (uint8_t)f; return (x > y) - (x < y); }
    case 2: { uint16_t x, y; memcpy(&x, a, 2); memcpy(&y, b, 2); x ^= (uint16_t)f, y ^= (uint16_t)f; return (x > y) - (x < y); }
    case 4: { uint32_t x, y; memcpy(&x, a, 4); memcpy(&y, b, 4); x ^= (uint32_t)f, y ^= (uint32_t)f; return (x > y) - (x < y); }
    default: { uint64_t x, y; memcpy(&x, a, 8); memcpy(&y, b, 8); x ^= f, y ^= f; return (x > y) - (x < y); }
    }
}

/* ---- keys.c: order-preserving encodings -------------------------------- */

/* One float or double as its encoded key and back (numpy's order: -0.0
 * as +0.0, every NaN the largest key, decoded as the default NaN). */
static inline uint64_t cohort__enc_f64(double v, bool desc)
{
    v = v == 0 ? 0 : v; /* -0.0 as +0.0 */
    uint64_t u;
    memcpy(&u, &v, 8);
    /* Negative: flip every bit; positive: flip the sign bit (branch-free). */
    u ^= (uint64_t)((int64_t)u >> 63) | ((uint64_t)1 << 63);
    u = desc ? ~u - 1 : u; /* ~u - 1: below NaN's UINT64_MAX */
    return v != v ? UINT64_MAX : u;
}

static inline uint32_t cohort__enc_f32(float v, bool desc)
{
    v = v == 0 ? 0 : v;
    uint32_t u;
    memcpy(&u, &v, 4);
    u ^= (uint32_t)((int32_t)u >> 31) | ((uint32_t)1 << 31);
    u = desc ? ~u - 1 : u;
    return v != v ? UINT32_MAX : u;
}

static inline double cohort__dec_f64(uint64_t u, bool desc)
{
    if (u == UINT64_MAX)
        return NAN;
    if (desc)
        u = ~(u + 1);
    u = (u >> 63) ? u & ~((uint64_t)1 << 63) : ~u;
    double v;
    memcpy(&v, &u, 8);
    return v;
}

static inline float cohort__dec_f32(uint32_t u, bool desc)
{
    if (u == UINT32_MAX)
        return NAN;
    if (desc)
        u = ~(u + 1);
    u = (u >> 31) ? u & ~((uint32_t)1 << 31) : ~u;
    float v;
    memcpy(&v, &u, 4);
    return v;
}

/* The encoded key width of a column's keys (its element width). */
size_t cohort__key_width(const cohort_column *keys);

/* Whether a float/double column holds -0.0 or NaN, whose bits the
 * encoding does not keep (both zeros encode alike, all NaNs as the
 * largest key); such keys must travel as a payload too. */
bool cohort__key_lossy(const cohort_column *keys);

/* Encode keys[i] into the first kw bytes of record i (stride R).
 * Ascending or descending; NaN encodes as the largest key either way. */
void cohort__keys_encode(const cohort_column *keys, bool descending, void *records, size_t R);

/* Decode the keys of @n records (stride R) back into @out (the column's type). */
void cohort__keys_decode(const cohort_column *like, bool descending, const void *records, size_t R, int64_t n,
                         void *out);

/* Rows [at, at + n) of a numeric column as doubles. */
void cohort__column_to_double(const cohort_column *c, int64_t at, int64_t n, double *out);
/* Rows [at, at + n) of an integer column widened to 64 bits (a uint64
 * column's bits unchanged: read them back as uint64_t). */
void cohort__column_to_int64(const cohort_column *c, int64_t at, int64_t n, int64_t *out);

/* ---- bins.c: the histogram's passes over float64 values -------------------- */

/* Lower *min and raise *max to the least and greatest non-NaN values of
 * x[0, n); returns the number of NaN values. */
int64_t cohort__range_double(const double *x, int64_t n, double *min, double *max);

/* n uniform bins over [first, last] as numpy.histogram makes them: edges
 * (n + 1 of them) = linspace(first, last, n + 1), norm = n / (last - first). */
typedef struct cohort_ubins {
    int64_t n;
    double first, last, norm, step; /* step: linspace's (last - first) / n */
    const double *edges;            /* borrowed */
    bool computable;                /* edges[i] == i * step + first exactly, n < 2^31 (set by init) */
    double margin;                  /* a fraction of f this far from 0 and 1 needs no correction */
} cohort_ubins;

void cohort__ubins_init(cohort_ubins *u, int64_t n, double first, double last, double norm, double step,
                        const double *edges);

/* numpy.histogram's bin of x, one value: trunc((x - first) * norm),
 * corrected by one either way against the edges; or -1 for NaN, -2 below
 * the range, -3 above it (the index into a tally, less one, negated). */
static inline int64_t cohort__ubins_bin(const cohort_ubins *u, double x)
{
    if (x != x)
        return -1;
    if (x < u->first)
        return -2;
    if (x > u->last)
        return -3;
    int64_t b = (int64_t)((x - u->first) * u->norm);
    b -= b == u->n;
    b -= x < u->edges[b];
    b += (b != u->n - 1) & (x >= u->edges[b + 1]);
    return b;
}

/* Add the bins of x[0, m) to counts[0, n), and the NaN, below-range and
 * above-range values to tally[0..2], with numpy's rule (half-open bins, the
 * last closed).  @sub is scratch of 4 (n + 1) counts. */
void cohort__ubins_count(const cohort_ubins *u, const double *x, int64_t m, int64_t *counts, int64_t *tally,
                         int64_t *sub);

/* ---- radix_sort.c -------------------------------------------------------- */

/* Stable radix sort of @n records in @a, using @tmp (n × R bytes) as
 * scratch; digits whose value is the same in every record are skipped.
 * Returns the buffer holding the sorted records: @want (a or tmp) for
 * integer keys, except that input already in order stays in a; either for
 * byte strings.  NULL when its bookkeeping (about 3.3 MiB: histograms and
 * cache-sized scratch; 2 KiB per key byte for strings) cannot be allocated. */
void *cohort__radix_sort(const rec_layout *L, void *a, void *tmp, int64_t n, const void *want);

/* The pieces of the radix sort that a distributed sort interleaves with
 * its exchange (integer keys: not byte strings).  A cohort_radix holds the
 * bookkeeping of one sort (about 3.3 MiB). */
typedef struct cohort_radix cohort_radix;
#define COHORT_RADIX_DIGIT_MAX 13           /* bits of the widest digit */
#define COHORT_RADIX_IN_CACHE ((size_t)1 << 20) /* bytes of records a level sorts in cache */
/* @near: with the cache-sized scratch (1 MiB) where a bucket too large for
 * the cache finishes (cohort__radix_sort_range needs it). */
cohort_radix *cohort__radix_new(const rec_layout *L, bool near);
void cohort__radix_free(cohort_radix *X);

/* The bits, counted from the lowest, up to the highest in which keys whose
 * OR is @any and AND is @all differ (0: all equal); above them they agree. */
static inline int cohort__radix_varying_bits(uint64_t any, uint64_t all)
{
    return any ^ all ? 64 - __builtin_clzll(any ^ all) : 0;
}

/* What one read of @n records found: the OR and AND of their encoded keys,
 * whether they are in order, and which digit (@w bits at @shift; w = 0:
 * none) it counted into counts[0, 2^w): the top digit a sort of @m records
 * would take, placed where the first few thousand keys vary. */
typedef struct cohort_radix_survey {
    uint64_t any, all;
    bool sorted;
    int shift, w;
} cohort_radix_survey;
void cohort__radix_survey(const rec_layout *L, const void *recs, int64_t n, int64_t m, int64_t *counts,
                          cohort_radix_survey *s);
/* The width of the top digit that splits @m records whose keys vary in
 * their low @bits bits. */
int cohort__radix_digit(int64_t m, size_t R, int bits);
/* Count the digit of @w bits at @shift of @n records into counts[0, 2^w). */
void cohort__radix_count(const rec_layout *L, const void *recs, int64_t n, int shift, int w, int64_t *counts);
/* Move the @n records of @a to @tmp by that digit, stably: bucket b to
 * records starts[b] onwards (starts: the counts' exclusive prefix sums). */
void cohort__radix_scatter(cohort_radix *X, const void *a, void *tmp, int64_t n, int shift, int w,
                           const int64_t *starts);
/* Stable sort of the @m records in @a whose keys agree above bit @bits,
 * in place, using @tmp (m records) as scratch; @tmp is not touched when
 * the records fit COHORT_RADIX_IN_CACHE bytes (they are sorted in cache). */
void cohort__radix_sort_range(cohort_radix *X, void *a, void *tmp, int64_t m, int bits);

/* ---- merge.c --------------------------------------------------------------- */

/* Stable merge of @nruns sorted runs laid out one after another in @a
 * (run k has counts[k] records): equal keys keep run order.  Uses @tmp
 * (as large as a).  Returns the buffer holding the result (a or tmp), or
 * NULL when O(nruns) bookkeeping cannot be allocated. */
void *cohort__merge_runs(const rec_layout *L, void *a, void *tmp, const int64_t *counts, int nruns);

/* Index of the first record (of @n, sorted) whose key is >= @key
 * (strict = false) or > @key (strict = true). */
int64_t cohort__lower_bound(const rec_layout *L, const void *recs, int64_t n, const void *key, bool strict);

/* ---- checksum.c ------------------------------------------------------------ */

/* Order-independent checksum of rows: the sum over rows of a 128-bit mix
 * of each row's bytes (keys, then each column's bytes).  Two multisets of
 * rows differ in their checksums except with probability about 2^-64. */
typedef struct cohort_checksum {
    uint64_t a, b;
} cohort_checksum;
void cohort__checksum_rows(const cohort_column *cols, int ncols, cohort_checksum *sum);

/* ---- xsum.c: exact, order-independent sums of doubles, integers, squares -- */

#define COHORT_XSUM_DIGITS 67
typedef struct cohort_xsum {
    int64_t d[COHORT_XSUM_DIGITS]; /* fixed point, digit i weighs 2^(32 i - 1074) */
    int32_t adds;                  /* additions since the last normalisation */
    int8_t nan, pinf, ninf;
} cohort_xsum;
void cohort__xsum_init(cohort_xsum *s);
void cohort__xsum_add(cohort_xsum *s, double x);
void cohort__xsum_add_int(cohort_xsum *s, int64_t x);
void cohort__xsum_add_uint(cohort_xsum *s, uint64_t x);
/* into += from; both may be used again afterwards. */
void cohort__xsum_merge(cohort_xsum *into, const cohort_xsum *from);
/* The sum, correctly rounded to the nearest double (IEEE's inf and NaN
 * when infinities or NaN were added). */
double cohort__xsum_value(const cohort_xsum *s);
/* No infinity or NaN was added. */
bool cohort__xsum_finite(const cohort_xsum *s);

/* Exact sums of products of two doubles (squares), or of squares of
 * 64-bit integers: the same fixed point twice as wide (1 KiB). */
#define COHORT_XSQ_DIGITS 134
typedef struct cohort_xsq {
    int64_t d[COHORT_XSQ_DIGITS]; /* digit i weighs 2^(32 i - 2148) */
    int32_t adds;
    int8_t nan, pinf, ninf;
} cohort_xsq;
void cohort__xsq_init(cohort_xsq *s);
void cohort__xsq_add_product(cohort_xsq *s, double a, double b);
void cohort__xsq_add_int_square(cohort_xsq *s, int64_t x);
void cohort__xsq_add_uint_square(cohort_xsq *s, uint64_t x);
void cohort__xsq_merge(cohort_xsq *into, const cohort_xsq *from);
double cohort__xsq_value(const cohort_xsq *s);

/* The variance Σ (x − mean)² / (n − ddof) of n values whose exact sum is
 * @s1 and exact sum of squares @s2: n Σx² − (Σx)² is formed exactly, then
 * divided once, so the result depends on the multiset of values alone
 * (within about an ulp of the truth).  NaN when n <= ddof or an infinity
 * or NaN was added. */
double cohort__xsum_var(const cohort_xsum *s1, const cohort_xsq *s2, int64_t n, double ddof);

/* ---- sketch.c: mergeable quantile sketch, rank error <= eps N ---------- */

#define COHORT_SKETCH_LEVELS 48 /* enough for k * 2^47 values */
#define COHORT_SKETCH_EPS_MIN 1e-5 /* k <= 4.8 million: 77 MiB per level at most */
typedef struct cohort_sketch {
    int64_t k;                           /* capacity of a level (even) */
    double eps;
    int64_t count;                       /* values added (NaN excluded by the caller) */
    int64_t n[COHORT_SKETCH_LEVELS];     /* values held at each level */
    int parity[COHORT_SKETCH_LEVELS];    /* which half the next compaction keeps */
    bool sorted[COHORT_SKETCH_LEVELS];   /* whether the level's values are in order */
    uint64_t *level[COHORT_SKETCH_LEVELS]; /* room for 2k values each (their order-preserving
                                              codes), allocated on first use */
    uint64_t *scratch;                   /* the radix sort's second buffer (2k codes) and counts */
} cohort_sketch;
int cohort__sketch_init(cohort_sketch *s, double eps);
void cohort__sketch_free(cohort_sketch *s);
/* Add the non-NaN values of x[0, n); add the number of NaN to *nan. */
int cohort__sketch_add_values(cohort_sketch *s, const double *x, int64_t n, int64_t *nan);
int cohort__sketch_merge(cohort_sketch *into, const cohort_sketch *from);
/* Serialised form, for sending between ranks: bytes, pack, merge. */
size_t cohort__sketch_size(const cohort_sketch *s);
void cohort__sketch_pack(const cohort_sketch *s, double *out);
int cohort__sketch_merge_packed(cohort_sketch *into, const double *in);
/* Values at ranks floor(q (N - 1)), each within eps N ranks of the truth. */
int cohort__sketch_quantiles(const cohort_sketch *s, const double *q, int m, double *out);

/* ---- moments.c: one-pass mergeable moments of a column ---------------- */

/* Values with a NaN (or a NaN weight) are counted in nan and skipped. */
typedef struct cohort_moments {
    double w;                /* weight of the values taken (their count when unweighted) */
    double mean, mean_lo;    /* the mean, as the unevaluated sum mean + mean_lo */
    double m2, m3, m4;       /* the central moment sums Σ w (x − mean)^k */
    double sum, sum_c;       /* Σ w x and its Neumaier correction */
    double min, max;         /* ±inf when no value */
    int64_t count, nan;
} cohort_moments;
void cohort__moments_init(cohort_moments *s);
/* Take @n values of @x, weighted by @w (NULL: weight 1; weights >= 0). */
void cohort__moments_add(cohort_moments *s, const double *x, const double *w, int64_t n);
/* a := the moments of a's values then b's (Pébay's pairwise formulas). */
void cohort__moments_merge(cohort_moments *a, const cohort_moments *b);

/* ---- comoments.c: centred Gram matrix of d columns, mergeable ---------- */

/* A flat state of cohort__comoments_size(d) doubles: rows, weight, the d
 * means as hi[d] then lo[d] (mean = hi + lo), the d × d co-moment sums
 * (upper triangle, column-major). */
int64_t cohort__comoments_size(int d);
void cohort__comoments_init(int d, double *st);
int64_t cohort__comoments_rows(const double *st);
/* Take @B rows whose column j is @cols[j] (B doubles; may be D's own
 * column j, D + j B), weighted by @w (NULL or B weights >= 0); @D (B × d,
 * column-major) receives the shifted block, @work holds 4 d doubles.  With
 * @strict, a block with a NaN or an infinity anywhere is refused (returns
 * false, adds nothing): the caller then drops the incomplete rows
 * (cohort__keep_complete) and adds the rest with @strict false. */
bool cohort__comoments_add(int d, double *st, const double *const *cols, double *D, int64_t B, const double *w,
                           double *work, bool strict);
/* left := the state of left's rows then right's. */
void cohort__comoments_merge(int d, double *left, const double *right);
/* The symmetric d × d matrix of co-moments divided by @denom, row-major. */
void cohort__comoments_matrix(int d, const double *st, double denom, double *out);
/* Keep the rows of D (B × d, column-major) and @w (NULL or B weights) that
 * have no NaN, packed in place as a k × d block; returns k.  @idx: B slots. */
int64_t cohort__keep_complete(int d, double *D, int64_t B, double *w, int64_t *idx);
/* Rows per sub-block of d float64 columns: about 4 MiB, 64 to 2048 rows. */
int64_t cohort__sub_block_rows(int d);

/* ---- groupagg.c: group records and the pre-aggregating hash table ------ */

/* COHORT_AGG_MAXKEYS and COHORT_AGG_MAXVALUES: cohort.h */

/* Where a value column's state lives in a record (offsets; (size_t)-1: absent).
 * nan counts the NaN values: the non-NaN count is the record's count less
 * these, so that a column without NaN costs no count per row. */
typedef struct agg_value {
    cohort_type type;
    bool is_float, is_signed;
    size_t nan;        /* int64 */
    size_t sum;        /* floats: Neumaier's (sum, correction), or a cohort_xsum when exact;
                          integers: an __int128, exact */
    size_t welford;    /* var/std/sem: mean as hi + lo, M2 and its correction, the values seen (5 doubles) */
    size_t s1, sq;     /* var/std/sem when exact: cohort_xsum of the values (the sum's, for
                          floats), cohort_xsq of their squares */
    size_t prod;       /* floats: a double; integers: the magnitude (uint64), then flags */
    size_t min, max, first, last;
} agg_value;

typedef struct agg_layout {
    int nkeys, nvals;
    unsigned aggs;
    bool exact;               /* float sums and variances exact (the reproducible mode) */
    bool word;                /* the key fits a uint64 (compared as an integer) */
    size_t kbytes, kw;        /* key bytes; their room in the record (8, or padded to 8) */
    size_t R;                 /* record bytes: key, count (int64 at kw), states */
    cohort_type key_type[COHORT_AGG_MAXKEYS];
    size_t key_width[COHORT_AGG_MAXKEYS], key_off[COHORT_AGG_MAXKEYS];
    agg_value v[COHORT_AGG_MAXVALUES];
} agg_layout;

/* COHORT_ERR_TYPE when a key or a value is not of a known type, or a value not numeric. */
int cohort__agg_layout(agg_layout *L, const cohort_column *keys, int nkeys, const cohort_column *vals, int nvals,
                       unsigned aggs, bool exact);
uint64_t cohort__agg_hash(const agg_layout *L, const void *key);
/* The keys of rows [at, at + m) encoded, L->kw bytes each, into @kb. */
void cohort__agg_encode_keys(const agg_layout *L, const cohort_column *keys, int64_t at, int m, unsigned char *kb);
/* Whether the record's key has a NaN in a float key column. */
bool cohort__agg_nan_key(const agg_layout *L, const unsigned char *rec);
void cohort__agg_init_record(const agg_layout *L, unsigned char *rec, const void *key);
/* a := a's rows and b's (same key). */
void cohort__agg_merge(const agg_layout *L, unsigned char *a, const unsigned char *b);
/* Flags of an integer product's state. */
enum { COHORT_PROD_NEG = 1, COHORT_PROD_ZERO = 2, COHORT_PROD_OVER = 4 };
/* The key columns (their data sized for n rows) of n records. */
void cohort__agg_decode_keys(const agg_layout *L, const unsigned char *recs, int64_t n, cohort_column *keys);

typedef struct agg_table {
    const agg_layout *L;
    unsigned char *slots; /* cap records; a free slot has count 0 */
    size_t cap, size;
    bool direct;          /* a dense key range: slot = key − base, no hashing */
    bool no_direct;       /* a key fell outside the direct range once: hash for good */
    uint64_t base;
    uint64_t klo, khi;    /* the range of the keys seen (single-word keys) */
} agg_table;
void cohort__aggtab_init(agg_table *t, const agg_layout *L);
void cohort__aggtab_free(cohort_ctx *ctx, agg_table *t);
/* Aggregate @rows rows (positions first_pos + i) into the table. */
int cohort__aggtab_add(cohort_ctx *ctx, agg_table *t, const cohort_column *keys, const cohort_column *vals,
                       int64_t rows, int64_t first_pos);
/* Move the records to the front of the slots; returns their number. */
int64_t cohort__aggtab_compact(agg_table *t);

#endif
