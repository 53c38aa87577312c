/*
 * xsum.c — exact sums of doubles, independent of order and grouping.
 *
 * A sum is kept as a fixed-point integer wide enough for every finite
 * double: 67 digits of 32 bits (bit 0 is 2^-1074, the smallest subnormal),
 * each digit an int64 so that carries can wait: a digit takes 2^31 - 1
 * additions of a 32-bit chunk before it must be normalised.  Adding is
 * three digit updates; merging two sums is digit-wise addition, which is
 * what makes the result the same for any number of ranks and any split
 * of the data.  The double is produced once, at the end, correctly
 * rounded (to nearest, ties to even).  Infinities and NaN are tracked
 * aside and give the IEEE result (inf + -inf = NaN).
 */
#include "kernels.h"

#include <math.h>

void cohort__xsum_init(cohort_xsum *s) { memset(s, 0, sizeof *s); }

/* Bring every digit into [0, 2^32) but the last, which carries the sign. */
static void normalise(cohort_xsum *s)
{
    int64_t carry = 0;
    for (int i = 0; i < COHORT_XSUM_DIGITS; i++) {
        int64_t v = s->d[i] + carry;
        if (i + 1 < COHORT_XSUM_DIGITS) {
            carry = v >> 32; /* arithmetic shift: floor division */
            v -= carry * ((int64_t)1 << 32);
        }
        s->d[i] = v;
    }
    s->adds = 0;
}

void cohort__xsum_add(cohort_xsum *s, double x)
{
    if (!isfinite(x)) {
        if (isnan(x))
            s->nan = 1;
        else if (x > 0)
            s->pinf = 1;
        else
            s->ninf = 1;
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
    /* mant << sh spans up to 85 bits: three 32-bit chunks. */
    unsigned __int128 m = (unsigned __int128)mant << sh;
    int64_t c0 = (int64_t)(uint32_t)m, c1 = (int64_t)(uint32_t)(m >> 32), c2 = (int64_t)(uint32_t)(m >> 64);
    if (bits >> 63)
        c0 = -c0, c1 = -c1, c2 = -c2;
    s->d[k] += c0;
    s->d[k + 1] += c1;
    s->d[k + 2] += c2;
    if (++s->adds == (1 << 30))
        normalise(s);
}

void cohort__xsum_merge(cohort_xsum *into, const cohort_xsum *from)
{
    /* Both normalised: digits below 2^32 in magnitude, so sums of up to
     * 2^31 merges cannot overflow. */
    cohort_xsum f = *from;
    normalise(into);
    normalise(&f);
    for (int i = 0; i < COHORT_XSUM_DIGITS; i++)
        into->d[i] += f.d[i];
    into->nan |= f.nan, into->pinf |= f.pinf, into->ninf |= f.ninf;
    into->adds = 1; /* not normalised any more */
}

double cohort__xsum_value(const cohort_xsum *s0)
{
    if (s0->nan || (s0->pinf && s0->ninf))
        return NAN;
    if (s0->pinf)
        return INFINITY;
    if (s0->ninf)
        return -INFINITY;
    cohort_xsum s = *s0;
    normalise(&s);
    /* Two's complement over the digits: make the magnitude positive. */
    bool neg = s.d[COHORT_XSUM_DIGITS - 1] < 0;
    if (neg) {
        int64_t borrow = 0;
        for (int i = 0; i < COHORT_XSUM_DIGITS; i++) {
            int64_t v = -s.d[i] - borrow;
            borrow = 0;
            if (i + 1 < COHORT_XSUM_DIGITS && v < 0) {
                v += (int64_t)1 << 32;
                borrow = 1;
            }
            s.d[i] = v;
        }
    }
    int top = COHORT_XSUM_DIGITS - 1;
    while (top >= 0 && s.d[top] == 0)
        top--;
    if (top < 0)
        return 0.0;
    /* The top digit may exceed 32 bits (the sign digit holds the carries). */
    unsigned __int128 hi = (unsigned __int128)(uint64_t)s.d[top];
    int bitpos = 32 * top; /* weight of hi's bit 0, in bits above 2^-1074 */
    /* Gather at least 64 significant bits plus a sticky bit from the rest. */
    int i = top - 1;
    while (i >= 0 && (hi >> 64) == 0 && hi < ((unsigned __int128)1 << 96)) {
        hi = (hi << 32) | (uint64_t)s.d[i];
        bitpos -= 32;
        i--;
    }
    bool sticky = false;
    for (; i >= 0; i--)
        sticky |= s.d[i] != 0;
    /* hi × 2^(bitpos - 1074): round hi to 53 significant bits (fewer when subnormal). */
    int nbits = 0;
    for (unsigned __int128 t = hi; t; t >>= 1)
        nbits++;
    int e = bitpos + nbits - 1; /* exponent of the leading bit above 2^-1074 */
    int keep = 53;
    if (e < 52) /* subnormal range: fewer bits available */
        keep = e + 1;
    int drop = nbits - keep;
    unsigned __int128 q = hi;
    if (drop > 0) {
        unsigned __int128 rem = hi & (((unsigned __int128)1 << drop) - 1), half = (unsigned __int128)1 << (drop - 1);
        q = hi >> drop;
        if (rem > half || (rem == half && (sticky || (q & 1))))
            q++;
        bitpos += drop;
    } else if (drop < 0) {
        q = hi << -drop;
        bitpos += drop;
    }
    /* q < 2^54 here (it may have rounded up to 2^53); scale exactly. */
    double v = ldexp((double)(uint64_t)q, bitpos - 1074);
    return neg ? -v : v;
}
