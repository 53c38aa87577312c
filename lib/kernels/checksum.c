/*
 * checksum.c — order-independent checksums of rows, to prove that an
 * operation that moves rows (the sort) kept every row exactly once.
 *
 * Each row's bytes are mixed into two 64-bit hashes; the checksum is their
 * sum over rows (mod 2^64), which does not depend on the order of rows or
 * on how they are spread over ranks.
 */
#include "kernels.h"

static inline uint64_t mix64(uint64_t z)
{
    z ^= z >> 33;
    z *= 0xFF51AFD7ED558CCDull;
    z ^= z >> 33;
    z *= 0xC4CEB9FE1A85EC53ull;
    return z ^ (z >> 33);
}

void cohort__checksum_rows(const cohort_column *cols, int ncols, cohort_checksum *sum)
{
    int64_t n = ncols > 0 ? cols[0].count : 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t h1 = 0x9E3779B97F4A7C15ull, h2 = 0x632BE59BD9B4E019ull;
        for (int c = 0; c < ncols; c++) {
            const unsigned char *p = (const unsigned char *)cols[c].data + (size_t)i * cols[c].width;
            size_t w = cols[c].width;
            for (size_t o = 0; o < w; o += 8) {
                uint64_t v = 0;
                memcpy(&v, p + o, w - o < 8 ? w - o : 8);
                h1 = mix64(h1 ^ v) + (uint64_t)c;
                h2 = mix64(h2 + v * 0xD1B54A32D192ED03ull) ^ (uint64_t)c;
            }
        }
        sum->a += h1;
        sum->b += h2;
    }
}
