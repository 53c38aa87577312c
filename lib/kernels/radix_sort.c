/*
 * radix_sort.c — stable LSD radix sort of fixed-size records by their
 * encoded key, one byte per pass.
 *
 * One read pass builds the histograms of every key byte; a byte whose
 * value is the same in every record (the high bytes of small integers,
 * all-equal keys, sorted runs of a narrow range) costs nothing.  Each
 * remaining pass scatters records to their buckets; record sizes of 8 and
 * 16 bytes get their own loops so that each move is one or two registers.
 */
#include "kernels.h"

#include <stdlib.h>

/* The byte of the key that is digit d (0 = least significant). */
static inline size_t digit_offset(const rec_layout *L, size_t d)
{
    /* Integer keys are stored in native (little-endian) order; byte
     * strings compare from their first byte, so their last is least. */
    return L->bytes ? L->kw - 1 - d : d;
}

#define SCATTER(MOVE)                                                              \
    for (int64_t i = 0; i < n; i++) {                                              \
        const unsigned char *r = src + (size_t)i * R;                              \
        unsigned char *o = dst + (size_t)pos[r[off]]++ * R;                        \
        MOVE;                                                                      \
    }

void *cohort__radix_sort(const rec_layout *L, void *a, void *tmp, int64_t n)
{
    size_t R = L->R, kw = L->kw;
    if (n < 2)
        return a;
    int64_t (*hist)[256] = calloc(kw, sizeof *hist);
    if (hist == NULL)
        return NULL;
    const unsigned char *base = a;
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *r = base + (size_t)i * R;
        for (size_t d = 0; d < kw; d++)
            hist[d][r[digit_offset(L, d)]]++;
    }
    unsigned char *src = a, *dst = tmp;
    for (size_t d = 0; d < kw; d++) {
        size_t off = digit_offset(L, d);
        int64_t pos[256], sum = 0;
        bool constant = false;
        for (int b = 0; b < 256; b++) {
            constant |= hist[d][b] == n;
            pos[b] = sum;
            sum += hist[d][b];
        }
        if (constant)
            continue;
        if (R == 8)
            SCATTER(memcpy(o, r, 8))
        else if (R == 16)
            SCATTER(memcpy(o, r, 16))
        else if (R == 4)
            SCATTER(memcpy(o, r, 4))
        else
            SCATTER(memcpy(o, r, R))
        unsigned char *t = src;
        src = dst;
        dst = t;
    }
    free(hist);
    return src;
}
