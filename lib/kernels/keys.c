/*
 * keys.c — order-preserving encodings of keys as unsigned integers.
 *
 * Signed integers: flip the sign bit.  IEEE floats: positive values flip
 * the sign bit, negative values flip every bit; -0.0 encodes as +0.0
 * (numpy compares them equal, so a stable sort keeps their input order)
 * and every NaN as the largest key, so NaNs sort last.  Descending order
 * inverts every bit of the ascending encoding, except NaN, which stays
 * largest.  Byte strings are their own encoding (memcmp order).
 */
#include "kernels.h"

#include <math.h>

size_t cohort__key_width(const cohort_column *keys) { return keys->width; }

bool cohort__key_lossy(const cohort_column *k)
{
    if (k->type == COHORT_DOUBLE) {
        const double *x = k->data;
        for (int64_t i = 0; i < k->count; i++)
            if (x[i] != x[i] || (x[i] == 0 && signbit(x[i])))
                return true;
    } else if (k->type == COHORT_FLOAT) {
        const float *x = k->data;
        for (int64_t i = 0; i < k->count; i++)
            if (x[i] != x[i] || (x[i] == 0 && signbit(x[i])))
                return true;
    }
    return false;
}

#define ENCODE(T, U, expr)                                                    \
    do {                                                                      \
        const T *x = keys->data;                                              \
        for (int64_t i = 0; i < n; i++) {                                     \
            U u = (expr);                                                     \
            memcpy(out + (size_t)i * R, &u, sizeof u);                        \
        }                                                                     \
    } while (0)

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* enc_f64 on bare keys, four at a time (the compiler cannot vectorise it
 * for plain x86-64): the quantiles' and bare sorts' common case.  Returns
 * how many keys it encoded. */
__attribute__((target("avx2"))) static int64_t encode_f64_avx2(const double *x, int64_t n, bool desc, uint64_t *o)
{
    const __m256i sign = _mm256_set1_epi64x(INT64_MIN), zero = _mm256_setzero_si256();
    const __m256i inf = _mm256_set1_epi64x(0x7FF0000000000000), flip = _mm256_set1_epi64x(desc ? -1 : 0);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256i u = _mm256_loadu_si256((const __m256i *)(x + i));
        __m256i mag = _mm256_andnot_si256(sign, u);
        u = _mm256_andnot_si256(_mm256_cmpeq_epi64(mag, zero), u); /* -0.0 as +0.0 */
        __m256i neg = _mm256_cmpgt_epi64(zero, u);
        u = _mm256_xor_si256(u, _mm256_or_si256(neg, sign));
        u = _mm256_add_epi64(_mm256_xor_si256(u, flip), flip); /* descending: ~u - 1 */
        u = _mm256_or_si256(u, _mm256_cmpgt_epi64(mag, inf));  /* NaN: the largest */
        _mm256_storeu_si256((__m256i *)(o + i), u);
    }
    return i;
}
#endif

void cohort__keys_encode(const cohort_column *keys, bool desc, void *records, size_t R)
{
#if defined(__x86_64__) && defined(__GNUC__)
    cohort_column rest;
    if (keys->type == COHORT_DOUBLE && R == 8 && __builtin_cpu_supports("avx2")) {
        int64_t done = encode_f64_avx2(keys->data, keys->count, desc, records);
        rest = *keys, rest.data = (double *)keys->data + done, rest.count -= done;
        keys = &rest, records = (uint64_t *)records + done; /* the tail below */
    }
#endif
    unsigned char *out = records;
    int64_t n = keys->count;
    uint8_t m8 = desc ? UINT8_MAX : 0;
    uint16_t m16 = desc ? UINT16_MAX : 0;
    uint32_t m32 = desc ? UINT32_MAX : 0;
    uint64_t m64 = desc ? UINT64_MAX : 0;
    switch (keys->type) {
    case COHORT_INT8: ENCODE(int8_t, uint8_t, (uint8_t)((uint8_t)x[i] ^ 0x80u) ^ m8); break;
    case COHORT_INT16: ENCODE(int16_t, uint16_t, (uint16_t)((uint16_t)x[i] ^ 0x8000u) ^ m16); break;
    case COHORT_INT32: ENCODE(int32_t, uint32_t, ((uint32_t)x[i] ^ 0x80000000u) ^ m32); break;
    case COHORT_INT64: ENCODE(int64_t, uint64_t, ((uint64_t)x[i] ^ ((uint64_t)1 << 63)) ^ m64); break;
    case COHORT_UINT8: ENCODE(uint8_t, uint8_t, x[i] ^ m8); break;
    case COHORT_UINT16: ENCODE(uint16_t, uint16_t, x[i] ^ m16); break;
    case COHORT_UINT32: ENCODE(uint32_t, uint32_t, x[i] ^ m32); break;
    case COHORT_UINT64: ENCODE(uint64_t, uint64_t, x[i] ^ m64); break;
    case COHORT_FLOAT: ENCODE(float, uint32_t, cohort__enc_f32(x[i], desc)); break;
    case COHORT_DOUBLE: ENCODE(double, uint64_t, cohort__enc_f64(x[i], desc)); break;
    case COHORT_BYTES: {
        const unsigned char *x = keys->data;
        size_t w = keys->width;
        for (int64_t i = 0; i < n; i++) {
            unsigned char *o = out + (size_t)i * R;
            memcpy(o, x + (size_t)i * w, w);
            if (desc)
                for (size_t b = 0; b < w; b++)
                    o[b] = (unsigned char)~o[b];
        }
        break;
    }
    }
}

#define DECODE(T, U, expr)                                                    \
    do {                                                                      \
        T *x = out;                                                           \
        for (int64_t i = 0; i < n; i++) {                                     \
            U u;                                                              \
            memcpy(&u, in + (size_t)i * R, sizeof u);                         \
            x[i] = (T)(expr);                                                 \
        }                                                                     \
    } while (0)

void cohort__keys_decode(const cohort_column *like, bool desc, const void *records, size_t R, int64_t n, void *out)
{
    const unsigned char *in = records;
    uint8_t m8 = desc ? UINT8_MAX : 0;
    uint16_t m16 = desc ? UINT16_MAX : 0;
    uint32_t m32 = desc ? UINT32_MAX : 0;
    uint64_t m64 = desc ? UINT64_MAX : 0;
    switch (like->type) {
    case COHORT_INT8: DECODE(int8_t, uint8_t, (uint8_t)(u ^ m8) ^ 0x80u); break;
    case COHORT_INT16: DECODE(int16_t, uint16_t, (uint16_t)(u ^ m16) ^ 0x8000u); break;
    case COHORT_INT32: DECODE(int32_t, uint32_t, (u ^ m32) ^ 0x80000000u); break;
    case COHORT_INT64: DECODE(int64_t, uint64_t, (u ^ m64) ^ ((uint64_t)1 << 63)); break;
    case COHORT_UINT8: DECODE(uint8_t, uint8_t, u ^ m8); break;
    case COHORT_UINT16: DECODE(uint16_t, uint16_t, u ^ m16); break;
    case COHORT_UINT32: DECODE(uint32_t, uint32_t, u ^ m32); break;
    case COHORT_UINT64: DECODE(uint64_t, uint64_t, u ^ m64); break;
    case COHORT_FLOAT: DECODE(float, uint32_t, cohort__dec_f32(u, desc)); break;
    case COHORT_DOUBLE: DECODE(double, uint64_t, cohort__dec_f64(u, desc)); break;
    case COHORT_BYTES: {
        unsigned char *x = out;
        size_t w = like->width;
        for (int64_t i = 0; i < n; i++) {
            memcpy(x + (size_t)i * w, in + (size_t)i * R, w);
            if (desc)
                for (size_t b = 0; b < w; b++)
                    x[(size_t)i * w + b] = (unsigned char)~x[(size_t)i * w + b];
        }
        break;
    }
    }
}

void cohort__column_to_double(const cohort_column *c, int64_t at, int64_t n, double *out)
{
    const void *p = (const char *)c->data + (size_t)at * c->width;
    if (c->type == COHORT_DOUBLE) {
        memcpy(out, p, (size_t)n * sizeof *out);
        return;
    }
#define CONV(T)                                     \
    for (int64_t i = 0; i < n; i++)                 \
        out[i] = (double)((const T *)p)[i];         \
    break;
    switch (c->type) {
    case COHORT_INT8: CONV(int8_t)
    case COHORT_INT16: CONV(int16_t)
    case COHORT_INT32: CONV(int32_t)
    case COHORT_INT64: CONV(int64_t)
    case COHORT_UINT8: CONV(uint8_t)
    case COHORT_UINT16: CONV(uint16_t)
    case COHORT_UINT32: CONV(uint32_t)
    case COHORT_UINT64: CONV(uint64_t)
    case COHORT_FLOAT: CONV(float)
    default: CONV(double)
    }
#undef CONV
}


void cohort__column_to_int64(const cohort_column *c, int64_t at, int64_t n, int64_t *out)
{
    const void *p = (const char *)c->data + (size_t)at * c->width;
#define WIDEN(T)                                    \
    for (int64_t i = 0; i < n; i++)                 \
        out[i] = (int64_t)((const T *)p)[i];        \
    break;
    switch (c->type) {
    case COHORT_INT8: WIDEN(int8_t)
    case COHORT_INT16: WIDEN(int16_t)
    case COHORT_INT32: WIDEN(int32_t)
    case COHORT_UINT8: WIDEN(uint8_t)
    case COHORT_UINT16: WIDEN(uint16_t)
    case COHORT_UINT32: WIDEN(uint32_t)
    default: memcpy(out, p, (size_t)n * sizeof *out); break; /* int64, uint64 */
    }
#undef WIDEN
}
