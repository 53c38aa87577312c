/*
 * radix_sort.c — stable LSD radix sort of fixed-size records by their
 * encoded key.
 *
 * Integer keys (the encodings of every numeric type) are read as one
 * machine word per record and sorted by 11-bit digits: 64-bit keys take at
 * most 6 passes.  One read pass builds the histograms of every digit; a
 * digit with the same value in every record (the high bits of small
 * integers, all-equal keys) costs nothing.  Records of 8 and 16 bytes get
 * their own scatter loops so that a move is one or two registers.  Byte
 * strings go byte by byte from their last byte.
 */
#include "kernels.h"

#include <stdlib.h>

#define DBITS 11
#define NB (1 << DBITS)

static inline uint64_t load_key(const unsigned char *r, size_t kw)
{
    uint64_t k = 0; /* little-endian: the first kw bytes are the value */
    memcpy(&k, r, kw);
    return k;
}

/* Move records [0, n) of src to dst by the digit at @shift of @bits bits,
 * using pos[] (bucket starts, advanced).  8-byte records holding just the
 * key move as one word. */
static void scatter(const unsigned char *src, unsigned char *dst, int64_t n, size_t R, size_t kw, int shift,
                    uint64_t mask, int64_t *pos)
{
#define SCATTER(MOVE)                                                             \
    for (int64_t i = 0; i < n; i++) {                                             \
        const unsigned char *r = src + (size_t)i * R;                             \
        uint64_t k = load_key(r, kw);                                             \
        unsigned char *o = dst + (size_t)pos[(k >> shift) & mask]++ * R;          \
        MOVE;                                                                     \
    }
    if (R == 8 && kw == 8)
        for (int64_t i = 0; i < n; i++) {
            uint64_t k;
            memcpy(&k, src + 8 * (size_t)i, 8);
            memcpy(dst + 8 * (size_t)pos[(k >> shift) & mask]++, &k, 8);
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

/* LSD passes over bits [0, bits) of @n records in @a (scratch @tmp),
 * skipping digits that are constant here.  @hist has room for the
 * histograms.  Returns where the result is. */
static unsigned char *lsd(const rec_layout *L, unsigned char *a, unsigned char *tmp, int64_t n, int bits,
                          int64_t *hist)
{
    size_t R = L->R, kw = L->kw;
    int digits = (bits + DBITS - 1) / DBITS;
    if (n < 2 || digits == 0)
        return a;
    memset(hist, 0, (size_t)digits * NB * sizeof *hist);
    for (int64_t i = 0; i < n; i++) {
        uint64_t k = load_key(a + (size_t)i * R, kw);
        for (int d = 0; d < digits; d++)
            hist[(size_t)d * NB + ((k >> (d * DBITS)) & (NB - 1))]++;
    }
    unsigned char *src = a, *dst = tmp;
    for (int d = 0; d < digits; d++) {
        int64_t *pos = hist + (size_t)d * NB, sum = 0;
        bool constant = false;
        for (int b = 0; b < NB; b++) {
            int64_t c = pos[b];
            constant |= c == n;
            pos[b] = sum; /* the histogram becomes the bucket starts */
            sum += c;
        }
        if (constant)
            continue;
        scatter(src, dst, n, R, kw, d * DBITS, NB - 1, pos);
        unsigned char *t = src;
        src = dst;
        dst = t;
    }
    return src;
}

/*
 * Integer keys: one most-significant-digit pass splits the records into
 * up to 2^DBITS buckets by their highest varying bits, then each bucket,
 * small enough to stay in cache for typical sizes, is finished by LSD
 * passes.  Only the first pass goes to main memory at random, which is
 * what bounds radix sorting on most machines.
 */
static void *sort_words(const rec_layout *L, unsigned char *a, unsigned char *tmp, int64_t n)
{
    size_t R = L->R, kw = L->kw;
    uint64_t any = 0, all = ~(uint64_t)0, prev = 0;
    bool sorted = true;
    for (int64_t i = 0; i < n; i++) {
        uint64_t k = load_key(a + (size_t)i * R, kw);
        any |= k, all &= k;
        sorted &= k >= prev;
        prev = k;
    }
    uint64_t varying = any ^ all;
    if (varying == 0 || sorted)
        return a; /* already in order (all equal, or sorted input): nothing to move */
    int high = 63 - __builtin_clzll(varying); /* highest bit that differs */
    int64_t *hist = malloc((size_t)((64 + DBITS - 1) / DBITS) * NB * sizeof *hist);
    if (hist == NULL)
        return NULL;
    if (n < 65536) { /* fits in cache anyway */
        unsigned char *out = lsd(L, a, tmp, n, high + 1, hist);
        free(hist);
        return out;
    }
    int top = high + 1 < DBITS ? high + 1 : DBITS, low = high + 1 - top;
    int64_t *start = hist; /* bucket starts, NB + 1 */
    memset(start, 0, (NB + 1) * sizeof *start);
    uint64_t mask = ((uint64_t)1 << top) - 1;
    for (int64_t i = 0; i < n; i++)
        start[((load_key(a + (size_t)i * R, kw) >> low) & mask) + 1]++;
    for (int b = 0; b < NB; b++)
        start[b + 1] += start[b];
    int64_t *pos = malloc((NB + 1) * sizeof *pos);
    if (pos == NULL) {
        free(hist);
        return NULL;
    }
    memcpy(pos, start, (NB + 1) * sizeof *pos);
    scatter(a, tmp, n, R, kw, low, mask, pos);
    /* Finish each bucket; leave every result in tmp. */
    memcpy(pos, start, (NB + 1) * sizeof *pos); /* hist is reused per bucket below */
    for (int b = 0; b < NB; b++) {
        int64_t s = pos[b], m = pos[b + 1] - pos[b];
        unsigned char *in_tmp = tmp + (size_t)s * R, *in_a = a + (size_t)s * R;
        unsigned char *res = lsd(L, in_tmp, in_a, m, low, hist);
        if (res != in_tmp)
            memcpy(in_tmp, res, (size_t)m * R);
    }
    free(pos);
    free(hist);
    return tmp;
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

void *cohort__radix_sort(const rec_layout *L, void *a, void *tmp, int64_t n)
{
    if (n < 2)
        return a;
    return L->bytes ? sort_bytes(L, a, tmp, n) : sort_words(L, a, tmp, n);
}
