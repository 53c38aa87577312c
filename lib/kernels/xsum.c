/*
 * xsum.c — exact sums of doubles, of integers and of squares, independent
 * of order and grouping.
 *
 * A sum is kept as a fixed-point integer wide enough for every term: digits
 * of 32 bits, each an int64 so that carries can wait (a digit takes 2^30
 * additions of a 32-bit chunk before it must be normalised).
 *   cohort_xsum: 67 digits, bit 0 weighs 2^-1074 (the smallest subnormal):
 *     every finite double, and every int64, is an integer number of units.
 *   cohort_xsq: 134 digits, bit 0 weighs 2^-2148: every product of two
 *     doubles (53-bit integer mantissas multiplied exactly, their exponents
 *     added) and every square of an int64, without overflow or underflow.
 * Adding is a few digit updates; merging two sums is digit-wise addition,
 * which is what makes the result the same for any number of ranks and any
 * split of the data.  A double is produced once, at the end, correctly
 * rounded (to nearest, ties to even).  Infinities and NaN are tracked aside
 * and give the IEEE result (inf + -inf = NaN).
 *
 * The exact variance (cohort__xsum_var) works on the big integers
 * themselves: n Σx² − (Σx)² is n times the sum of squared deviations,
 * exactly, so the only roundings are the last conversion and division, and
 * the result is a function of the multiset of values alone.
 */
#include "kernels.h"

#include <math.h>

/* ---- the fixed-point engine, for any number of digits --------------------- */

/* Bring every digit into [0, 2^32) but the last, which carries the sign. */
static void normalise(int64_t *d, int n)
{
    int64_t carry = 0;
    for (int i = 0; i < n; i++) {
        int64_t v = d[i] + carry;
        if (i + 1 < n) {
            carry = v >> 32; /* arithmetic shift: floor division */
            v -= carry * ((int64_t)1 << 32);
        }
        d[i] = v;
    }
}

/* Add ±m × 2^pos (m < 2^128; pos + 160 bits inside the digits). */
static inline void add_at(int64_t *d, int pos, unsigned __int128 m, bool neg)
{
    int k = pos >> 5, sh = pos & 31;
    unsigned __int128 lo = m << sh;
    int64_t top = sh ? (int64_t)(uint64_t)(m >> (128 - sh)) : 0;
    int64_t c[5] = {(int64_t)(uint32_t)lo, (int64_t)(uint32_t)(lo >> 32), (int64_t)(uint32_t)(lo >> 64),
                    (int64_t)(uint32_t)(lo >> 96), top};
    for (int i = 0; i < 5; i++)
        d[k + i] += neg ? -c[i] : c[i];
}

/* The magnitude of a normalised sum as n + 2 unsigned 32-bit words;
 * returns whether it is negative. */
static bool magnitude(const int64_t *d, int n, uint32_t *mag)
{
    for (int i = 0; i + 1 < n; i++)
        mag[i] = (uint32_t)d[i];
    int64_t top = d[n - 1];
    mag[n - 1] = (uint32_t)top, mag[n] = (uint32_t)((uint64_t)top >> 32), mag[n + 1] = top < 0 ? UINT32_MAX : 0;
    if (top >= 0)
        return false;
    uint64_t carry = 1; /* two's complement: invert, add one */
    for (int i = 0; i < n + 2; i++) {
        uint64_t v = (uint64_t)(uint32_t)~mag[i] + carry;
        mag[i] = (uint32_t)v, carry = v >> 32;
    }
    return true;
}

/* The words @mag[0, len) as m × 2^e, m a double holding the value rounded
 * to 53 bits (nearest, ties to even); 0 for zero. */
static double round_words(const uint32_t *mag, int len, int *e)
{
    int top = len - 1;
    while (top >= 0 && mag[top] == 0)
        top--;
    *e = 0;
    if (top < 0)
        return 0.0;
    /* At least 64 significant bits, and a sticky bit for the rest. */
    unsigned __int128 hi = 0;
    int i = top, bitpos = 32 * (top + 1);
    while (i >= 0 && hi < ((unsigned __int128)1 << 64))
        hi = hi << 32 | mag[i--], bitpos -= 32;
    bool sticky = false;
    for (; i >= 0; i--)
        sticky |= mag[i] != 0;
    int nbits = 128 - (hi >> 64 ? __builtin_clzll((uint64_t)(hi >> 64)) : 64 + __builtin_clzll((uint64_t)hi));
    int drop = nbits - 53;
    unsigned __int128 q = hi;
    if (drop > 0) {
        unsigned __int128 rem = hi & (((unsigned __int128)1 << drop) - 1), half = (unsigned __int128)1 << (drop - 1);
        q = hi >> drop;
        if (rem > half || (rem == half && (sticky || (q & 1))))
            q++; /* may reach 2^53: still exact as a double */
        bitpos += drop;
    }
    *e = bitpos;
    return (double)(uint64_t)q;
}

static void track_special(int8_t *nan, int8_t *pinf, int8_t *ninf, double x)
{
    if (isnan(x))
        *nan = 1;
    else if (x > 0)
        *pinf = 1;
    else
        *ninf = 1;
}

static double special_value(int8_t nan, int8_t pinf, int8_t ninf)
{
    return nan || (pinf && ninf) ? NAN : pinf ? INFINITY : -INFINITY;
}

/* ---- cohort_xsum: sums of doubles and integers ------------------------------ */

void cohort__xsum_init(cohort_xsum *s) { memset(s, 0, sizeof *s); }

static inline void xsum_count(cohort_xsum *s)
{
    if (++s->adds == (1 << 30)) {
        normalise(s->d, COHORT_XSUM_DIGITS);
        s->adds = 0;
    }
}

void cohort__xsum_add(cohort_xsum *s, double x)
{
    if (!isfinite(x)) {
        track_special(&s->nan, &s->pinf, &s->ninf, x);
        return;
    }
    if (x == 0)
        return;
    uint64_t bits;
    memcpy(&bits, &x, 8);
    int exp = (int)((bits >> 52) & 0x7FF);
    uint64_t mant = bits & (((uint64_t)1 << 52) - 1);
    if (exp == 0)
        exp = 1; /* subnormal: same scale as the smallest normal, no hidden bit */
    else
        mant |= (uint64_t)1 << 52;
    int pos = exp - 1; /* bit position of mant's lowest bit above 2^-1074 */
    int k = pos / 32, sh = pos % 32;
    /* mant << sh spans up to 85 bits: three 32-bit chunks (the hot path of
     * add_at, which would touch five). */
    unsigned __int128 m = (unsigned __int128)mant << sh;
    int64_t c0 = (int64_t)(uint32_t)m, c1 = (int64_t)(uint32_t)(m >> 32), c2 = (int64_t)(uint32_t)(m >> 64);
    if (bits >> 63)
        c0 = -c0, c1 = -c1, c2 = -c2;
    s->d[k] += c0;
    s->d[k + 1] += c1;
    s->d[k + 2] += c2;
    xsum_count(s);
}

void cohort__xsum_add_int(cohort_xsum *s, int64_t x)
{
    if (x == 0)
        return;
    uint64_t mag = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    add_at(s->d, 1074, mag, x < 0);
    xsum_count(s);
}

void cohort__xsum_add_uint(cohort_xsum *s, uint64_t x)
{
    if (x == 0)
        return;
    add_at(s->d, 1074, x, false);
    xsum_count(s);
}

void cohort__xsum_merge(cohort_xsum *into, const cohort_xsum *from)
{
    /* Both normalised: digits below 2^32 in magnitude, so sums of up to
     * 2^30 merges cannot overflow. */
    cohort_xsum f = *from;
    normalise(into->d, COHORT_XSUM_DIGITS);
    normalise(f.d, COHORT_XSUM_DIGITS);
    for (int i = 0; i < COHORT_XSUM_DIGITS; i++)
        into->d[i] += f.d[i];
    into->nan |= f.nan, into->pinf |= f.pinf, into->ninf |= f.ninf;
    into->adds = 1; /* not normalised any more */
}

bool cohort__xsum_finite(const cohort_xsum *s) { return !(s->nan || s->pinf || s->ninf); }

/* The @n digits (bit 0 weighing 2^-@unit) as the nearest double. */
static double digits_value(const int64_t *digits, int n, int unit)
{
    int64_t d[COHORT_XSQ_DIGITS];
    uint32_t mag[COHORT_XSQ_DIGITS + 2];
    memcpy(d, digits, (size_t)n * sizeof *d);
    normalise(d, n);
    bool neg = magnitude(d, n, mag);
    int e;
    double m = round_words(mag, n + 2, &e);
    double v = ldexp(m, e - unit);
    return neg ? -v : v;
}

double cohort__xsum_value(const cohort_xsum *s)
{
    if (!cohort__xsum_finite(s))
        return special_value(s->nan, s->pinf, s->ninf);
    /* Units of 2^-1074 are those of the subnormals: a value below 2^53
     * units is exact, so rounding to 53 bits is the only rounding. */
    return digits_value(s->d, COHORT_XSUM_DIGITS, 1074);
}

/* ---- cohort_xsq: sums of squares ---------------------------------------------- */

void cohort__xsq_init(cohort_xsq *s) { memset(s, 0, sizeof *s); }

static inline void xsq_count(cohort_xsq *s)
{
    if (++s->adds == (1 << 30)) {
        normalise(s->d, COHORT_XSQ_DIGITS);
        s->adds = 0;
    }
}

/* A finite double as m × 2^(pos − 1074): its integer mantissa and the
 * position of its lowest bit. */
static inline uint64_t split_double(double x, int *pos, bool *neg)
{
    uint64_t bits;
    memcpy(&bits, &x, 8);
    int exp = (int)((bits >> 52) & 0x7FF);
    uint64_t mant = bits & (((uint64_t)1 << 52) - 1);
    *neg = bits >> 63;
    *pos = exp ? exp - 1 : 0;
    return exp ? mant | (uint64_t)1 << 52 : mant;
}

void cohort__xsq_add_product(cohort_xsq *s, double a, double b)
{
    if (!isfinite(a) || !isfinite(b)) {
        double p = a * b; /* inf × 0 is NaN, as IEEE */
        track_special(&s->nan, &s->pinf, &s->ninf, isnan(p) ? NAN : p);
        return;
    }
    if (a == 0 || b == 0)
        return;
    int pa, pb;
    bool na, nb;
    uint64_t ma = split_double(a, &pa, &na), mb = split_double(b, &pb, &nb);
    add_at(s->d, pa + pb, (unsigned __int128)ma * mb, na != nb);
    xsq_count(s);
}

void cohort__xsq_add_int_square(cohort_xsq *s, int64_t x)
{
    if (x == 0)
        return;
    uint64_t mag = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    add_at(s->d, 2148, (unsigned __int128)mag * mag, false);
    xsq_count(s);
}

void cohort__xsq_add_uint_square(cohort_xsq *s, uint64_t x)
{
    if (x == 0)
        return;
    /* x² may need 128 bits: add it as two halves of 64. */
    unsigned __int128 sq = (unsigned __int128)x * x;
    add_at(s->d, 2148, (uint64_t)sq, false);
    add_at(s->d, 2148 + 64, (uint64_t)(sq >> 64), false);
    xsq_count(s);
    xsq_count(s);
}

void cohort__xsq_merge(cohort_xsq *into, const cohort_xsq *from)
{
    cohort_xsq f = *from;
    normalise(into->d, COHORT_XSQ_DIGITS);
    normalise(f.d, COHORT_XSQ_DIGITS);
    for (int i = 0; i < COHORT_XSQ_DIGITS; i++)
        into->d[i] += f.d[i];
    into->nan |= f.nan, into->pinf |= f.pinf, into->ninf |= f.ninf;
    into->adds = 1;
}

double cohort__xsq_value(const cohort_xsq *s)
{
    if (s->nan || s->pinf || s->ninf)
        return special_value(s->nan, s->pinf, s->ninf);
    return digits_value(s->d, COHORT_XSQ_DIGITS, 2148);
}

/* ---- the exact variance ---------------------------------------------------------- */

/* The highest nonzero word + 1 (0 for zero). */
static int used(const uint32_t *w, int len)
{
    while (len > 0 && w[len - 1] == 0)
        len--;
    return len;
}

/* t += a × b, schoolbook (t has room for la + lb words and its carries). */
static void mul_add(uint32_t *t, const uint32_t *a, int la, const uint32_t *b, int lb)
{
    for (int i = 0; i < la; i++) {
        uint64_t c = 0; /* a[i] b[j] + t + c < 2^64 */
        for (int j = 0; j < lb; j++) {
            c += (uint64_t)a[i] * b[j] + t[i + j];
            t[i + j] = (uint32_t)c;
            c >>= 32;
        }
        for (int k = i + lb; c; k++) {
            c += t[k];
            t[k] = (uint32_t)c;
            c >>= 32;
        }
    }
}

double cohort__xsum_var(const cohort_xsum *s1, const cohort_xsq *s2, int64_t n, double ddof)
{
    if (!cohort__xsum_finite(s1) || s2->nan || s2->pinf || s2->ninf)
        return NAN; /* an infinity among the values: numpy's var is NaN */
    if (!((double)n > ddof))
        return NAN;
    enum { L1 = COHORT_XSUM_DIGITS + 2, L2 = COHORT_XSQ_DIGITS + 2, LT = 2 * L2 };
    int64_t d1[COHORT_XSUM_DIGITS], d2[COHORT_XSQ_DIGITS];
    uint32_t a[L1], b[L2], t[LT], sq[LT];
    memcpy(d1, s1->d, sizeof d1), memcpy(d2, s2->d, sizeof d2);
    normalise(d1, COHORT_XSUM_DIGITS), normalise(d2, COHORT_XSQ_DIGITS);
    magnitude(d1, COHORT_XSUM_DIGITS, a); /* the sign of Σx does not matter: it is squared */
    if (magnitude(d2, COHORT_XSQ_DIGITS, b))
        return NAN; /* a negative sum of squares cannot happen */
    /* t = n × Σx², sq = (Σx)²: both in units of 2^-2148. */
    uint32_t nw[2] = {(uint32_t)n, (uint32_t)((uint64_t)n >> 32)};
    int la = used(a, L1);
    memset(t, 0, sizeof t), memset(sq, 0, sizeof sq);
    mul_add(t, b, used(b, L2), nw, 2);
    mul_add(sq, a, la, a, la);
    /* t −= sq: n Σ(x − mean)², never negative in exact arithmetic. */
    int64_t borrow = 0;
    for (int i = 0; i < LT; i++) {
        int64_t v = (int64_t)t[i] - (int64_t)sq[i] - borrow;
        borrow = v < 0;
        t[i] = (uint32_t)(v + (borrow ? (int64_t)1 << 32 : 0));
    }
    if (borrow)
        return NAN; /* cannot happen: (Σx)² <= n Σx² */
    int e;
    double m = round_words(t, LT, &e);
    /* var = t / (n (n − ddof)) × 2^-2148: one division, then exact scaling
     * (unless the result is subnormal). */
    double q = m / ((double)n * ((double)n - ddof));
    return ldexp(q, e - 2148);
}
