/*
 * generate.c — deterministic synthetic data for tests, demos and benchmarks.
 *
 * A counter-based generator: each value is a hash of (seed, stream, row),
 * so ranks generate their rows independently and the data never depends
 * on the number of ranks or on how rows are split.
 */
#include "../core/internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

static inline uint64_t mix(uint64_t z) /* splitmix64's finaliser */
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t bits(const cohort_gen_spec *g, uint64_t row, uint64_t lane)
{
    return mix(mix(g->seed ^ (g->stream * 0x9E3779B97F4A7C15ull)) + row * 0xD1B54A32D192ED03ull + lane);
}

static inline double unit(uint64_t u) { return (double)(u >> 11) * 0x1.0p-53; } /* [0, 1) */

int cohort_dist_parse(const char *name, cohort_dist *dist)
{
    static const char *const names[] = {NULL, "uniform", "normal", "zipf", "sorted", "reverse", "constant", "fewunique"};
    for (int i = 1; name && i <= COHORT_DIST_FEWUNIQUE; i++)
        if (strcmp(name, names[i]) == 0) {
            *dist = (cohort_dist)i;
            return COHORT_OK;
        }
    return COHORT_ERR_ARG;
}

static void type_range(cohort_type t, long double *lo, long double *hi)
{
    switch (t) {
    case COHORT_INT8: *lo = INT8_MIN, *hi = INT8_MAX; break;
    case COHORT_INT16: *lo = INT16_MIN, *hi = INT16_MAX; break;
    case COHORT_INT32: *lo = INT32_MIN, *hi = INT32_MAX; break;
    case COHORT_INT64: *lo = (long double)INT64_MIN, *hi = (long double)INT64_MAX; break;
    case COHORT_UINT8: *lo = 0, *hi = UINT8_MAX; break;
    case COHORT_UINT16: *lo = 0, *hi = UINT16_MAX; break;
    case COHORT_UINT32: *lo = 0, *hi = UINT32_MAX; break;
    case COHORT_UINT64: *lo = 0, *hi = (long double)UINT64_MAX; break;
    case COHORT_FLOAT: *lo = -FLT_MAX, *hi = FLT_MAX; break;
    default: *lo = -DBL_MAX, *hi = DBL_MAX; break;
    }
}

/* One value as long double (exact for every integer type), before storing. */
static long double value(const cohort_gen_spec *g, bool integer, int64_t row)
{
    long double lo = g->min, hi = g->max, span = hi - lo;
    uint64_t u = bits(g, (uint64_t)row, 0);
    switch (g->dist) {
    case COHORT_DIST_UNIFORM:
        if (integer) /* multiply-shift onto [0, span] */
            return lo + (long double)(uint64_t)(((unsigned __int128)u * ((unsigned __int128)span + 1)) >> 64);
        return lo + span * (long double)unit(u);
    case COHORT_DIST_NORMAL: { /* Box-Muller */
        double u1 = 1.0 - unit(u), u2 = unit(bits(g, (uint64_t)row, 1));
        long double v = g->mean + g->std * sqrt(-2.0 * log(u1)) * cos(2 * M_PI * u2);
        return integer ? roundl(v) : v;
    }
    case COHORT_DIST_ZIPF: {
        long double k = floorl(expl((long double)unit(u) * logl(span + 2))) - 1;
        return lo + (k > span ? span : k);
    }
    case COHORT_DIST_SORTED:
    case COHORT_DIST_REVERSE: {
        int64_t n = g->total_rows > 1 ? g->total_rows - 1 : 1;
        int64_t r = g->dist == COHORT_DIST_SORTED ? row : n - row;
        if (integer)
            return lo + (long double)(uint64_t)(((unsigned __int128)(uint64_t)r * ((unsigned __int128)span)) / (uint64_t)n);
        return lo + span * ((long double)r / n);
    }
    case COHORT_DIST_CONSTANT:
        return lo;
    case COHORT_DIST_FEWUNIQUE: {
        long double k = (long double)(u % 16);
        return integer ? lo + floorl(span * k / 15) : lo + span * k / 15;
    }
    }
    return 0;
}

#define FILL(T)                                                                         \
    for (int64_t i = 0; i < n; i++) {                                                   \
        long double v = value(g, integer, first + i);                                   \
        ((T *)col->data)[i] = (T)(v < tlo ? tlo : v > thi ? thi : v);                   \
    }

int cohort_generate(const cohort_gen_spec *g, int64_t first, cohort_column *col)
{
    if (g == NULL || col == NULL || col->count < 0 || first < 0 || (col->count > 0 && col->data == NULL))
        return COHORT_ERR_ARG;
    cohort_type t = col->type;
    bool integer = cohort_type_is_integer(t);
    long double tlo, thi;
    type_range(t, &tlo, &thi);
    if (!integer && !cohort_type_is_float(t))
        return COHORT_ERR_TYPE;
    if (g->dist < COHORT_DIST_UNIFORM || g->dist > COHORT_DIST_FEWUNIQUE || !(g->min <= g->max) ||
        g->min < tlo || g->max > thi || !(g->nan_fraction >= 0 && g->nan_fraction <= 1) ||
        (integer && g->nan_fraction > 0) || (g->dist == COHORT_DIST_NORMAL && !(g->std >= 0)))
        return COHORT_ERR_ARG;
    int64_t n = col->count;
    switch (t) {
    case COHORT_INT8: FILL(int8_t) break;
    case COHORT_INT16: FILL(int16_t) break;
    case COHORT_INT32: FILL(int32_t) break;
    case COHORT_INT64: FILL(int64_t) break;
    case COHORT_UINT8: FILL(uint8_t) break;
    case COHORT_UINT16: FILL(uint16_t) break;
    case COHORT_UINT32: FILL(uint32_t) break;
    case COHORT_UINT64: FILL(uint64_t) break;
    case COHORT_FLOAT: FILL(float) break;
    default: FILL(double) break;
    }
    if (g->nan_fraction > 0)
        for (int64_t i = 0; i < n; i++)
            if (unit(bits(g, (uint64_t)(first + i), 2)) < g->nan_fraction) {
                if (t == COHORT_FLOAT)
                    ((float *)col->data)[i] = NAN;
                else
                    ((double *)col->data)[i] = NAN;
            }
    return COHORT_OK;
}
