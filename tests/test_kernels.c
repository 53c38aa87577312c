/*
 * test_kernels.c — node-local kernels against exact oracles: the exact
 * accumulator (xsum) against 128-bit integer arithmetic, and its
 * independence of order and grouping.
 */
#include "harness.h"
#include "kernels/kernels.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

static double xs(const double *v, int n)
{
    cohort_xsum s;
    cohort__xsum_init(&s);
    for (int i = 0; i < n; i++)
        cohort__xsum_add(&s, v[i]);
    return cohort__xsum_value(&s);
}

static bool same_bits(double a, double b) { return memcmp(&a, &b, 8) == 0; }

static void test_xsum_known(void)
{
    double a[] = {1e308, 1e308, -1e308};
    CU_ASSERT(same_bits(xs(a, 3), 1e308)); /* no intermediate overflow */
    double b[] = {1.0, 1e-300, -1.0};
    CU_ASSERT(same_bits(xs(b, 3), 1e-300)); /* no cancellation */
    double c[10];
    for (int i = 0; i < 10; i++)
        c[i] = 0.1;
    CU_ASSERT(same_bits(xs(c, 10), 1.0)); /* fsum([0.1]*10) == 1.0 */
    double d[] = {DBL_MIN / 4, DBL_MIN / 4, -DBL_MIN / 8};
    CU_ASSERT(same_bits(xs(d, 3), DBL_MIN / 4 + DBL_MIN / 8)); /* subnormals */
    double e[] = {DBL_MAX, DBL_MAX};
    CU_ASSERT(isinf(xs(e, 2)) && xs(e, 2) > 0);
    double f[] = {INFINITY, 1, -INFINITY};
    CU_ASSERT(isnan(xs(f, 3)));
    double g[] = {-0.0};
    CU_ASSERT(xs(g, 1) == 0);
    CU_ASSERT(same_bits(xs(NULL, 0), 0.0));
    double h[] = {1.0, 0x1p-53}; /* a tie: rounds to even, 1.0 */
    CU_ASSERT(same_bits(xs(h, 2), 1.0));
    double k[] = {1.0, 0x1p-53, 0x1p-80}; /* just above the tie: rounds up */
    CU_ASSERT(same_bits(xs(k, 3), 1.0 + 0x1p-52));
    double m[] = {-1.5, -2.25};
    CU_ASSERT(same_bits(xs(m, 2), -3.75));
}

/* Values m * 2^s with integer m: the exact sum is an __int128 times 2^s. */
static void test_xsum_against_int128(void)
{
    int bad = 0;
    for (int trial = 0; trial < 200; trial++) {
        int n = 1 + (int)(t_rand(trial, 0) % 5000), s = (int)(t_rand(trial, 1) % 200) - 100;
        double *v = malloc((size_t)n * sizeof *v);
        __int128 exact = 0;
        for (int i = 0; i < n; i++) {
            int64_t mi = (int64_t)(t_rand(trial, (uint64_t)i + 2) >> 11) - ((int64_t)1 << 52);
            if (trial % 3 == 0)
                mi >>= (int)(t_rand(trial, (uint64_t)i + 9999) % 50); /* mixed magnitudes */
            v[i] = ldexp((double)mi, s);
            exact += mi;
        }
        double want = ldexp((double)exact, s); /* int128 -> double rounds to nearest */
        bad += !same_bits(xs(v, n), want);
        /* Any split into parts merged in any order gives the same bits. */
        cohort_xsum parts[4];
        for (int p = 0; p < 4; p++)
            cohort__xsum_init(&parts[p]);
        for (int i = 0; i < n; i++)
            cohort__xsum_add(&parts[t_rand(trial, (uint64_t)i + 77777) % 4], v[n - 1 - i]);
        cohort__xsum_merge(&parts[3], &parts[1]);
        cohort__xsum_merge(&parts[0], &parts[2]);
        cohort__xsum_merge(&parts[3], &parts[0]);
        bad += !same_bits(cohort__xsum_value(&parts[3]), want);
        free(v);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

int main(int argc, char **argv)
{
    static const t_test tests[] = {
        {"exact sums: known cases", test_xsum_known},
        {"exact sums against 128-bit integers, any grouping", test_xsum_against_int128},
        {NULL, NULL},
    };
    return t_main(argc, argv, "kernels", tests);
}
