/*
 * merge.c — stable merging of sorted runs of records, and binary search.
 *
 * Runs are merged pairwise, neighbours first ((0,1), (2,3), …), for
 * ceil(log2 runs) passes over the data; the left run wins ties, so equal
 * keys keep the order of the runs (the sort's runs arrive in rank order,
 * which makes the whole sort stable).
 */
#include "kernels.h"

#include <stdlib.h>

static void merge2(const rec_layout *L, const unsigned char *x, int64_t nx, const unsigned char *y, int64_t ny,
                   unsigned char *out)
{
    size_t R = L->R;
    int64_t i = 0, j = 0;
    if (R == 8 && L->kw == 8 && !L->bytes) { /* bare 64-bit keys: branch-free selection */
        const uint64_t *a = (const uint64_t *)x, *b = (const uint64_t *)y;
        uint64_t *o = (uint64_t *)out;
        /* From both ends at once: the smallest to the front, the largest to
         * the back, two independent chains where one waits on each load.
         * In s steps neither end can take more than s of a run, so with
         * 2 s <= the shorter run the two never meet and need no bounds
         * checks; the middle is merged again the same way.  Ties: the front
         * takes a's key and the back b's, the stable merge's order (equal
         * bare keys are the same bytes anyway). */
        uint64_t f = L->flip; /* raw integer keys compare as key ^ f */
        int64_t ie = nx - 1, je = ny - 1;
        uint64_t *oe = o + nx + ny - 1;
        for (int64_t s; (s = ((ie - i < je - j ? ie - i : je - j) + 1) / 2) >= 16;)
            for (int64_t t = 0; t < s; t++) { /* selections by mask: a branch would guess wrong half the time */
                uint64_t x0 = a[i], y0 = b[j], x1 = a[ie], y1 = b[je];
                uint64_t right = (y0 ^ f) < (x0 ^ f), left = (x1 ^ f) > (y1 ^ f), mr = -right, ml = -left;
                *o++ = (y0 & mr) | (x0 & ~mr);
                *oe-- = (x1 & ml) | (y1 & ~ml);
                j += right, i += 1 - right;
                ie -= left, je -= 1 - left;
            }
        nx = ie + 1, ny = je + 1; /* what is left lies between the two ends */
        while (i < nx && j < ny) {
            bool right = (b[j] ^ f) < (a[i] ^ f);
            *o++ = right ? b[j] : a[i];
            j += right;
            i += !right;
        }
        out = (unsigned char *)o;
    }
    while (i < nx && j < ny) {
        const unsigned char *a = x + (size_t)i * R, *b = y + (size_t)j * R;
        if (cohort__key_cmp(L, b, a) < 0) {
            memcpy(out, b, R);
            j++;
        } else {
            memcpy(out, a, R);
            i++;
        }
        out += R;
    }
    memcpy(out, x + (size_t)i * R, (size_t)(nx - i) * R);
    out += (size_t)(nx - i) * R;
    memcpy(out, y + (size_t)j * R, (size_t)(ny - j) * R);
}

void *cohort__merge_runs(const rec_layout *L, void *a, void *tmp, const int64_t *counts, int nruns)
{
    size_t R = L->R;
    /* Run lengths of the current pass, merged in place of the array. */
    int64_t *len = malloc((size_t)(nruns > 0 ? nruns : 1) * sizeof *len);
    if (len == NULL)
        return NULL;
    int m = 0;
    for (int k = 0; k < nruns; k++)
        if (counts[k] > 0)
            len[m++] = counts[k];
    unsigned char *src = a, *dst = tmp;
    while (m > 1) {
        size_t off = 0;
        int out = 0;
        for (int k = 0; k < m; k += 2) {
            int64_t a = len[k], b = k + 1 < m ? len[k + 1] : 0; /* read before len[out] is written */
            if (b > 0)
                merge2(L, src + off, a, src + off + (size_t)a * R, b, dst + off);
            else
                memcpy(dst + off, src + off, (size_t)a * R);
            len[out++] = a + b;
            off += (size_t)(a + b) * R;
        }
        m = out;
        unsigned char *t = src;
        src = dst;
        dst = t;
    }
    free(len);
    return src;
}

int64_t cohort__lower_bound(const rec_layout *L, const void *recs, int64_t n, const void *key, bool strict)
{
    const unsigned char *r = recs;
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = cohort__key_cmp(L, r + (size_t)mid * L->R, key);
        if (c < 0 || (strict && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
