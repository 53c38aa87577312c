/*
 * radix_sort.c — stable radix sort of fixed-size records by their encoded
 * key.
 *
 * Integer keys (the encodings of every numeric type, or raw integers
 * encoded by an XOR as they are read) are read as one machine word per
 * record and sorted most significant digit first, out of place, ending in
 * the buffer the caller asks for: one pass to main memory splits the
 * records into up to 2^11 buckets by their highest varying bits (bare keys
 * through a cache line per bucket, streamed out whole), then each bucket,
 * in cache, is split again until its buckets hold a record or so, which
 * insertion sort finishes (in the cache, then out to the other buffer
 * with streaming stores when that is where it ends; bare keys with 32-bit
 * counters and a digit a bit wider, and, when they repeat, one count of
 * exactly the bits they vary in when those are no more than a digit's).
 * Random 64-bit keys take two scatter passes where least significant digit
 * first would take one per digit; a digit with the same value in every
 * record (the high bits of small integers, the duplicates of a skewed key)
 * costs one read.  Sorted and all-equal input is recognised
 * in the first read and not moved.  Byte strings go LSD, byte by byte from
 * their last byte.
 */
#include "kernels.h"

#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* A digit takes about lg of the records it splits, so that its buckets
 * hold half a record each on average (fewer records for insertion sort to
 * move, measured best against one or two per bucket), up to TOP_BITS bits
 * for a pass over memory (one open line per bucket) and DBITS in cache. */
#define DBITS COHORT_RADIX_DIGIT_MAX
#define NB (1 << DBITS)
#define TOP_BITS 11
#define IN_CACHE COHORT_RADIX_IN_CACHE

/* The encoded key of record @r: its first kw bytes as an integer, XOR
 * @flip (raw integer keys; 0 for keys stored encoded). */
static inline uint64_t load_key(const unsigned char *r, size_t kw, uint64_t flip)
{
    uint64_t k = 0; /* little-endian: the first kw bytes are the value */
    if (kw == 8) /* the common width as one load, not a call to memcpy */
        memcpy(&k, r, 8);
    else
        memcpy(&k, r, kw);
    return k ^ flip;
}

/* Move records [0, n) of src to dst by the digit at @shift of @bits bits,
 * using pos[] (bucket starts, advanced).  8-byte records holding just the
 * key move as one word. */
static void scatter(const unsigned char *src, unsigned char *dst, int64_t n, size_t R, size_t kw, uint64_t flip,
                    int shift, uint64_t mask, int64_t *pos)
{
#define SCATTER(MOVE)                                                             \
    for (int64_t i = 0; i < n; i++) {                                             \
        const unsigned char *r = src + (size_t)i * R;                             \
        uint64_t k = load_key(r, kw, flip);                                       \
        unsigned char *o = dst + (size_t)pos[(k >> shift) & mask]++ * R;          \
        MOVE;                                                                     \
    }
    if (R == 8 && kw == 8)
        for (int64_t i = 0; i < n; i++) {
            uint64_t k;
            memcpy(&k, src + 8 * (size_t)i, 8);
            memcpy(dst + 8 * (size_t)pos[((k ^ flip) >> shift) & mask]++, &k, 8);
        }
    else if (R == 16)
        SCATTER(memcpy(o, r, 16))
    else if (R == 8)
        SCATTER(memcpy(o, r, 8))
    else if (R == 4)
        SCATTER(memcpy(o, r, 4))
    else
        SCATTER(memcpy(o, r, R))
#undef SCATTER
}

/* scatter() for bare 8-byte keys into many buckets of @dst (8-byte
 * aligned; its lines are memory's, wherever dst starts in one): keys
 * gather in a cache line per bucket (@wc, 2^TOP_BITS lines), mirroring
 * the line of memory they go to, and a full line goes out in one
 * streaming store.  Storing each key straight to its bucket keeps as many lines open
 * as there are buckets, more than the core tracks, and every line is first
 * read from memory to be written (a third of the whole sort, measured).
 * The partial lines at a bucket's two ends are stored as usual: the next
 * bucket's keys share them. */
static void scatter_lines(const uint64_t *src, uint64_t *dst, int64_t n, uint64_t flip, int shift, uint64_t mask,
                          const int64_t *start, int64_t *line, uint64_t (*wc)[8])
{
    unsigned char fill[1 << TOP_BITS];
    size_t skew = (uintptr_t)dst / 8 % 8; /* dst's words past a line's start */
    for (uint64_t b = 0; b <= mask; b++) { /* line[b]: where wc[b][0] goes (below 0: the line dst starts in) */
        fill[b] = (unsigned char)((start[b] + skew) & 7);
        line[b] = start[b] - fill[b];
    }
    for (int64_t i = 0; i < n; i++) {
        uint64_t k = src[i], b = ((k ^ flip) >> shift) & mask;
        unsigned f = fill[b];
        wc[b][f] = k;
        if (++f == 8) {
            if (line[b] >= start[b]) {
                uint64_t *o = dst + line[b];
#ifdef __SSE2__
                for (int q = 0; q < 8; q += 2)
                    _mm_stream_si128((__m128i *)(void *)(o + q), _mm_load_si128((const __m128i *)(const void *)&wc[b][q]));
#else
                memcpy(o, wc[b], sizeof wc[b]);
#endif
            } else { /* the bucket's first line, shared with the bucket before */
                int64_t lo = start[b] - line[b];
                memcpy(dst + start[b], &wc[b][lo], (size_t)(8 - lo) * sizeof(uint64_t));
            }
            line[b] += 8, f = 0;
        }
        fill[b] = (unsigned char)f;
    }
    for (uint64_t b = 0; b <= mask; b++) {
        int64_t lo = start[b] > line[b] ? start[b] - line[b] : 0;
        if (fill[b] > lo)
            memcpy(dst + (line[b] + lo), &wc[b][lo], (size_t)(fill[b] - lo) * sizeof(uint64_t));
    }
#ifdef __SSE2__
    _mm_sfence(); /* the streamed lines before anything that follows */
#endif
}

/* Stable insertion sort of a few records, from @src into @dst (which may be
 * @src itself): a record moves left past strictly greater keys only. */
static void insertion(const unsigned char *src, unsigned char *dst, int64_t m, size_t R, size_t kw, uint64_t flip)
{
    if (R == 8 && kw == 8) { /* bare keys: words, each placed as it is read */
        uint64_t *d = (uint64_t *)dst;
        for (int64_t i = 0; i < m; i++) {
            uint64_t k;
            memcpy(&k, src + 8 * (size_t)i, 8);
            int64_t j = i;
            for (; j > 0 && (d[j - 1] ^ flip) > (k ^ flip); j--)
                d[j] = d[j - 1];
            d[j] = k;
        }
        return;
    }
    if (src != dst)
        memcpy(dst, src, (size_t)m * R);
    unsigned char rec[256];
    for (int64_t i = 1; i < m; i++) {
        uint64_t k = load_key(dst + (size_t)i * R, kw, flip);
        int64_t j = i;
        while (j > 0 && load_key(dst + (size_t)(j - 1) * R, kw, flip) > k)
            j--;
        if (j == i)
            continue;
        if (R <= sizeof rec) {
            memcpy(rec, dst + (size_t)i * R, R);
            memmove(dst + (size_t)(j + 1) * R, dst + (size_t)j * R, (size_t)(i - j) * R);
            memcpy(dst + (size_t)j * R, rec, R);
        } else /* wide records: rotate one step at a time, byte by byte */
            for (int64_t q = i; q > j; q--)
                for (size_t b = 0; b < R; b++) {
                    unsigned char t = dst[(size_t)q * R + b];
                    dst[(size_t)q * R + b] = dst[(size_t)(q - 1) * R + b];
                    dst[(size_t)(q - 1) * R + b] = t;
                }
    }
}

enum { SMALL = 24 }; /* buckets this small are finished by insertion sort */

/* Copy @bytes from @src, in cache, to @dst with streaming stores, which do
 * not read dst's lines from memory first (words, where dst allows). */
static void stream_out(const unsigned char *src, unsigned char *dst, size_t bytes)
{
#if defined(__SSE2__) && defined(__x86_64__)
    if ((uintptr_t)dst % 8 == 0 && bytes % 8 == 0) {
        for (size_t i = 0; i < bytes; i += 8) {
            long long w;
            memcpy(&w, src + i, 8);
            _mm_stream_si64((long long *)(void *)(dst + i), w);
        }
        return;
    }
#endif
    memcpy(dst, src, bytes);
}

/* The width of the digit that splits @m records of R bytes whose keys
 * vary in their low @bits bits: lg m, within [4, TOP_BITS] over memory or
 * [4, DBITS] in cache, and at most @bits.  In cache, past 2^(DBITS + 1)
 * records, the digit leaves buckets of about 2^DBITS for the last level:
 * DBITS bits would leave several records per bucket for insertion sort
 * (78000 keys: 13.5 ns/key against 10.1-10.7). */
static int digit_bits(int64_t m, size_t R, int bits)
{
    bool in_cache = (size_t)m * R <= IN_CACHE;
    int most = in_cache ? DBITS : TOP_BITS;
    int w = 63 - __builtin_clzll((uint64_t)m); /* lg m */
    if (in_cache && w > DBITS + 1)
        w -= DBITS;
    w = w < 4 ? 4 : w > most ? most : w;
    return w < bits ? w : bits;
}

typedef struct radix_job {
    size_t R, kw;
    uint64_t flip;     /* the encoded key is the stored integer XOR flip */
    uint64_t (*wc)[8]; /* scatter_lines' cache line per bucket (NULL: not bare keys) */
} radix_job;

/* Move the @m records of @src to @dst by their digit of @w bits at @shift,
 * bucket b to start[b] onwards (@pos: 2^w scratch counters). */
static void split(const radix_job *J, const unsigned char *src, unsigned char *dst, int64_t m, int shift, int w,
                  const int64_t *start, int64_t *pos)
{
    size_t nb = (size_t)1 << w;
    uint64_t mask = nb - 1;
    memcpy(pos, start, nb * sizeof *pos);
    if (J->wc != NULL && J->R == 8 && J->kw == 8 && nb >= 256 && nb <= ((size_t)1 << TOP_BITS) &&
        m >= 64 * (int64_t)nb && (uintptr_t)dst % 8 == 0)
        scatter_lines((const uint64_t *)(const void *)src, (uint64_t *)(void *)dst, m, J->flip, shift, mask, start,
                      pos, J->wc);
    else
        scatter(src, dst, m, J->R, J->kw, J->flip, shift, mask, pos);
}

/* Count the @m bare keys of @s by their digit (@shift, @mask) in @pos,
 * then turn the counts into each bucket's first position; returns the
 * largest count.  With @any and @all, also the OR and AND of the keys
 * (where they are NULL the inlined loop has neither). */
static inline __attribute__((always_inline)) uint32_t count_positions(const uint64_t *s, int64_t m, uint64_t flip,
                                                                      int shift, uint64_t mask, uint32_t *pos,
                                                                      uint64_t *any, uint64_t *all)
{
    size_t nb = (size_t)mask + 1;
    uint64_t o = 0, a = ~(uint64_t)0;
    memset(pos, 0, nb * sizeof *pos);
    for (int64_t i = 0; i < m; i++) {
        uint64_t k = s[i];
        o |= k, a &= k;
        pos[((k ^ flip) >> shift) & mask]++;
    }
    if (any != NULL)
        *any = o, *all = a;
    uint32_t sum = 0, largest = 0;
    for (size_t b = 0; b < nb; b++) {
        uint32_t c = pos[b];
        largest = c > largest ? c : largest;
        pos[b] = sum;
        sum += c;
    }
    return largest;
}

/* msd's level in cache for bare 8-byte keys, when it is the last: one
 * digit, then one insertion pass.  The digit takes one bit more than msd's
 * (half a record per bucket: less for insertion sort to move, measured
 * best), with counters of 32 bits in one array (the counts become the
 * positions) in msd's second row.  Returns false when some bucket holds
 * more than SMALL records and the keys vary in more bits than the digit
 * has; the counts of msd's digit below bit *bitsp (lowered to the top bit
 * the keys vary in) are then in hist[1, 2^w] for msd to go on. */
static bool last_level_words(const radix_job *J, unsigned char *src, unsigned char *dst, int64_t m, int *bitsp,
                             bool to_dst, int64_t *hist)
{
    int bits = *bitsp;
    const uint64_t *s = (const uint64_t *)(const void *)src;
    uint64_t *d = (uint64_t *)(void *)dst;
    int w0 = digit_bits(m, 8, bits), w = w0 < bits ? w0 + 1 : w0, shift = bits - w;
    size_t nb = (size_t)1 << w;
    uint64_t mask = nb - 1, flip = J->flip, any, all;
    uint32_t *pos = (uint32_t *)(void *)(hist + (NB + 1)); /* 2^(DBITS + 1) of them fit */
    uint32_t largest = count_positions(s, m, flip, shift, mask, pos, &any, &all);
    bool exact = false; /* every bucket holds equal keys: nothing left for insertion sort */
    if (largest > SMALL) {
        /* Repeated keys.  When they vary in no more bits than the digit
         * has (a few values, a narrow range), one count of exactly those
         * bits sorts them, each bucket equal keys in input order; when
         * they vary only below the digit's top, the level starts again at
         * the top bit that varies. */
        int top = cohort__radix_varying_bits(any, all), low = top > 0 ? __builtin_ctzll(any ^ all) : 0;
        if (top - low <= w) {
            exact = true, shift = low, mask = ((uint64_t)1 << (top - low)) - 1;
            count_positions(s, m, flip, shift, mask, pos, NULL, NULL);
        } else if (top < bits) {
            *bitsp = top;
            return last_level_words(J, src, dst, m, bitsp, to_dst, hist);
        } else { /* back to msd's digit: w0 bits, buckets merged in pairs when w = w0 + 1 */
            int pair = w - w0;
            hist[0] = 0;
            for (size_t b = 0; b < nb; b++)
                hist[(b >> pair) + 1] = (b & pair ? hist[(b >> pair) + 1] : 0) +
                                        (int64_t)(b + 1 < nb ? pos[b + 1] : (uint32_t)m) - pos[b];
            return false;
        }
    }
    for (int64_t i = 0; i < m; i++) {
        uint64_t k = s[i];
        d[pos[((k ^ flip) >> shift) & mask]++] = k;
    }
    if (!exact)
        insertion(dst, to_dst ? dst : src, m, 8, 8, flip);
    else if (!to_dst)
        memcpy(src, dst, (size_t)m * 8);
    return true;
}

/*
 * Stable most-significant-digit radix sort of the @m records in @src whose
 * keys agree above bit @bits.  The result goes to @dst when @to_dst, else
 * back to @src; the other buffer is scratch.  Each level histograms one
 * digit (up to 2^DBITS buckets, fewer for small buckets), skips it when
 * it is the same in every record, else scatters by it (in input order,
 * so equal keys keep their order) and sorts each bucket on the bits below.
 * Random keys are finished after two levels with a record or so per
 * bucket, where the LSD method would need a pass per digit; heavy
 * duplicates (Zipf, all equal) run out of varying digits early.
 * @hist holds two rows of NB + 1 counters (bucket starts, positions) for
 * each of up to 64 / 4 + 1 levels; @near, IN_CACHE bytes or NULL, is the
 * cache-resident scratch for a bucket small enough to be sorted in cache;
 * @counted: the first level's counts are in hist already.
 */
static void msd(const radix_job *J, unsigned char *src, unsigned char *dst, int64_t m, int bits, bool to_dst,
                int64_t *hist, unsigned char *near, bool counted)
{
    if (J->R == 8 && J->kw == 8 && near == NULL && !counted && m > SMALL && bits > 0 && (size_t)m * 8 <= IN_CACHE) {
        if (last_level_words(J, src, dst, m, &bits, to_dst, hist))
            return;
        counted = true;
    }
    size_t R = J->R, kw = J->kw;
    uint64_t flip = J->flip;
    if (near != NULL && (size_t)m * R <= IN_CACHE) {
        /* Sorted in cache from here: the other buffer is @near, which stays
         * in cache, not this bucket's place in dst, whose lines would be
         * read from memory only to be written and written back unused. */
        msd(J, src, near, m, bits, to_dst, hist, NULL, counted);
        if (to_dst) /* sorted in near: out to dst, in lines that are not read first */
            stream_out(near, dst, (size_t)m * R);
        return;
    }
    while (bits > 0 && m > SMALL) {
        int w = digit_bits(m, R, bits), shift = bits - w;
        uint64_t mask = ((uint64_t)1 << w) - 1;
        size_t nb = (size_t)1 << w;
        int64_t *start = hist; /* bucket starts, nb + 1 */
        if (!counted) {
            memset(start, 0, (nb + 1) * sizeof *start);
            for (int64_t i = 0; i < m; i++)
                start[((load_key(src + (size_t)i * R, kw, flip) >> shift) & mask) + 1]++;
        }
        counted = false;
        int64_t largest = 0;
        for (size_t b = 0; b < nb; b++) {
            largest = start[b + 1] > largest ? start[b + 1] : largest;
            start[b + 1] += start[b];
        }
        bits = shift;
        if (largest == m) {
            /* This digit is the same everywhere: read once for the bits the
             * keys vary in, rather than count digit after digit of a heavy
             * key (Zipf's head, a double's exponent and high bits). */
            uint64_t any = 0, all = ~(uint64_t)0;
            for (int64_t i = 0; i < m; i++) {
                uint64_t k = load_key(src + (size_t)i * R, kw, flip);
                any |= k, all &= k;
            }
            int top = cohort__radix_varying_bits(any, all);
            bits = top < bits ? top : bits;
            continue;
        }
        split(J, src, dst, m, shift, w, start, hist + (NB + 1));
        unsigned char *out = to_dst ? dst : src;
        /* Small buckets are sorted by insertion: all at once when every
         * bucket is small (records never cross a bucket's bounds, so the
         * pass costs little more than a copy), else one by one. */
        if (largest <= SMALL) {
            insertion(dst, out, m, R, kw, flip);
            return;
        }
        for (size_t b = 0; b < nb; b++) {
            int64_t s = start[b], c = start[b + 1] - s;
            if (c > SMALL)
                msd(J, dst + (size_t)s * R, src + (size_t)s * R, c, bits, !to_dst, hist + 2 * (NB + 1), near, false);
            else if (c > 0)
                insertion(dst + (size_t)s * R, out + (size_t)s * R, c, R, kw, flip);
        }
        return;
    }
    if (m > 1 && bits > 0)
        insertion(src, to_dst ? dst : src, m, R, kw, flip);
    else if (to_dst) /* sorted already: one record, or every key equal */
        memcpy(dst, src, (size_t)m * R);
}

struct cohort_radix {
    radix_job J;
    int64_t *hist;       /* two rows of NB + 1 counters per level; a level takes at least 4 bits */
    unsigned char *near; /* IN_CACHE bytes: where a bucket that fits is sorted */
};

cohort_radix *cohort__radix_new(const rec_layout *L, bool near)
{
    cohort_radix *X = calloc(1, sizeof *X);
    if (X == NULL)
        return NULL;
    X->J = (radix_job){L->R, L->kw, L->flip, NULL};
    X->hist = malloc((size_t)2 * (64 / 4 + 1) * (NB + 1) * sizeof *X->hist);
    X->near = near ? malloc(IN_CACHE) : NULL;
    if (X->hist == NULL || (near && X->near == NULL) ||
        (L->R == 8 && posix_memalign((void **)&X->J.wc, 64, ((size_t)1 << TOP_BITS) * sizeof *X->J.wc) != 0)) {
        cohort__radix_free(X);
        return NULL;
    }
    return X;
}

void cohort__radix_free(cohort_radix *X)
{
    if (X == NULL)
        return;
    free(X->J.wc);
    free(X->near);
    free(X->hist);
    free(X);
}

int cohort__radix_digit(int64_t m, size_t R, int bits) { return digit_bits(m, R, bits); }

/* The survey's read of records [0, n): their OR, AND and order (from
 * *any, *all, *sorted, as the head left them: reading the head's keys
 * again changes none of them), and their count by the digit at @shift
 * (@mask: at most 2^TOP_BITS buckets), added to counts[].  Four rows of
 * 32-bit counters are taken in turn, so that a run of keys in one bucket
 * (a heavy value, a double's exponent) does not wait on one counter's
 * last increment; they are added up every 2^30 records. */
static inline __attribute__((always_inline)) void survey_rows(const unsigned char *a, int64_t n, size_t R, size_t kw,
                                                              uint64_t flip, int shift, uint64_t mask, int64_t *counts,
                                                              uint64_t *anyp, uint64_t *allp, bool *sortedp)
{
    uint32_t row[4][1 << TOP_BITS];
    uint64_t any = *anyp, all = *allp, prev = 0;
    bool sorted = *sortedp;
    for (int64_t i = 0; i < n;) {
        int64_t end = n - i > (1 << 30) ? i + (1 << 30) : n;
        memset(row, 0, sizeof row);
        for (; i + 4 <= end; i += 4) {
            uint64_t k0 = load_key(a + (size_t)i * R, kw, flip), k1 = load_key(a + (size_t)(i + 1) * R, kw, flip);
            uint64_t k2 = load_key(a + (size_t)(i + 2) * R, kw, flip), k3 = load_key(a + (size_t)(i + 3) * R, kw, flip);
            any |= k0 | k1 | k2 | k3, all &= k0 & k1 & k2 & k3;
            sorted &= (k0 >= prev) & (k1 >= k0) & (k2 >= k1) & (k3 >= k2);
            prev = k3;
            row[0][(k0 >> shift) & mask]++, row[1][(k1 >> shift) & mask]++;
            row[2][(k2 >> shift) & mask]++, row[3][(k3 >> shift) & mask]++;
        }
        for (; i < end; i++) {
            uint64_t k0 = load_key(a + (size_t)i * R, kw, flip);
            any |= k0, all &= k0;
            sorted &= k0 >= prev;
            prev = k0;
            row[0][(k0 >> shift) & mask]++;
        }
        for (size_t b = 0; b <= mask; b++)
            counts[b] += (int64_t)row[0][b] + row[1][b] + row[2][b] + row[3][b];
    }
    *anyp = any, *allp = all, *sortedp = sorted;
}

/* The first read finds sorted or all-equal input, and which bits vary; it
 * also counts a digit, where the first few thousand keys say the varying
 * bits begin (right, but for rare data). */
void cohort__radix_survey(const rec_layout *L, const void *recs, int64_t n, int64_t m, int64_t *counts,
                          cohort_radix_survey *s)
{
    const unsigned char *a = recs;
    size_t R = L->R, kw = L->kw;
    uint64_t flip = L->flip, any = 0, all = ~(uint64_t)0, prev = 0;
    int64_t i = 0, head = n < 4096 ? n : 4096;
    bool sorted = true;
    for (; i < head; i++) {
        uint64_t k = load_key(a + (size_t)i * R, kw, flip);
        any |= k, all &= k;
        sorted &= k >= prev;
        prev = k;
    }
    int guess = cohort__radix_varying_bits(any, all);
    int w = guess > 0 ? digit_bits(m, R, guess) : 0, shift = guess - w;
    uint64_t mask = ((uint64_t)1 << w) - 1;
    memset(counts, 0, ((size_t)1 << w) * sizeof *counts);
    if (w <= TOP_BITS) { /* the common width and bare keys as constants */
        if (R == 8 && kw == 8)
            survey_rows(a, n, 8, 8, flip, shift, mask, counts, &any, &all, &sorted);
        else if (kw == 8)
            survey_rows(a, n, R, 8, flip, shift, mask, counts, &any, &all, &sorted);
        else
            survey_rows(a, n, R, kw, flip, shift, mask, counts, &any, &all, &sorted);
        *s = (cohort_radix_survey){any, all, sorted, shift, w};
        return;
    }
    for (int64_t j = 0; j < i; j++)
        counts[(load_key(a + (size_t)j * R, kw, flip) >> shift) & mask]++;
    for (; i < n; i++) {
        uint64_t k = load_key(a + (size_t)i * R, kw, flip);
        any |= k, all &= k;
        sorted &= k >= prev;
        prev = k;
        counts[(k >> shift) & mask]++;
    }
    *s = (cohort_radix_survey){any, all, sorted, shift, w};
}

void cohort__radix_count(const rec_layout *L, const void *recs, int64_t n, int shift, int w, int64_t *counts)
{
    const unsigned char *a = recs;
    uint64_t mask = ((uint64_t)1 << w) - 1;
    memset(counts, 0, ((size_t)1 << w) * sizeof *counts);
    for (int64_t i = 0; i < n; i++)
        counts[(load_key(a + (size_t)i * L->R, L->kw, L->flip) >> shift) & mask]++;
}

void cohort__radix_scatter(cohort_radix *X, const void *a, void *tmp, int64_t n, int shift, int w,
                           const int64_t *starts)
{
    split(&X->J, a, tmp, n, shift, w, starts, X->hist);
#ifdef __SSE2__
    _mm_sfence();
#endif
}

void cohort__radix_sort_range(cohort_radix *X, void *a, void *tmp, int64_t m, int bits)
{
    msd(&X->J, a, tmp, m, bits, false, X->hist, X->near, false);
#ifdef __SSE2__
    _mm_sfence(); /* the streamed lines before anything that follows */
#endif
}

static void *sort_words(const rec_layout *L, unsigned char *a, unsigned char *tmp, int64_t n, bool in_a)
{
    /* A sort that fits in cache needs no cache-sized scratch beside it. */
    cohort_radix *X = cohort__radix_new(L, (size_t)n * L->R > IN_CACHE);
    if (X == NULL)
        return NULL;
    cohort_radix_survey s;
    X->hist[0] = 0; /* msd's bucket starts: the counts shifted by one */
    cohort__radix_survey(L, a, n, n, X->hist + 1, &s);
    int bits = cohort__radix_varying_bits(s.any, s.all); /* keys agree above this bit */
    if (bits == 0 || s.sorted) {
        cohort__radix_free(X);
        return a; /* already in order (all equal, or sorted input): nothing to move */
    }
    msd(&X->J, a, tmp, n, bits, !in_a, X->hist, X->near, s.w > 0 && bits == s.shift + s.w);
#ifdef __SSE2__
    _mm_sfence(); /* the streamed lines before anything that follows */
#endif
    cohort__radix_free(X);
    return in_a ? a : tmp;
}

static void *sort_bytes(const rec_layout *L, unsigned char *a, unsigned char *tmp, int64_t n)
{
    size_t R = L->R, kw = L->kw;
    int64_t (*hist)[256] = calloc(kw, sizeof *hist);
    if (hist == NULL)
        return NULL;
    for (int64_t i = 0; i < n; i++)
        for (size_t b = 0; b < kw; b++)
            hist[b][a[(size_t)i * R + b]]++;
    unsigned char *src = a, *dst = tmp;
    for (size_t d = 0; d < kw; d++) {
        size_t off = kw - 1 - d; /* memcmp order: the last byte is least significant */
        int64_t pos[256], sum = 0;
        bool constant = false;
        for (int b = 0; b < 256; b++) {
            constant |= hist[off][b] == n;
            pos[b] = sum;
            sum += hist[off][b];
        }
        if (constant)
            continue;
        for (int64_t i = 0; i < n; i++) {
            const unsigned char *r = src + (size_t)i * R;
            memcpy(dst + (size_t)pos[r[off]]++ * R, r, R);
        }
        unsigned char *t = src;
        src = dst;
        dst = t;
    }
    free(hist);
    return src;
}

void *cohort__radix_sort(const rec_layout *L, void *a, void *tmp, int64_t n, const void *want)
{
    if (n < 2)
        return a;
    return L->bytes ? sort_bytes(L, a, tmp, n) : sort_words(L, a, tmp, n, want == a);
}
