/*
 * partition.c — balanced block partitions of n rows over p parts.
 *
 * The first n % p parts get one row more, so sizes differ by at most one
 * and every part's range follows from (n, p, i) alone: no communication.
 */
#include "../core/internal.h"

void cohort_partition(int64_t n, int parts, int i, int64_t *begin, int64_t *count)
{
    if (n < 0 || parts < 1 || i < 0 || i >= parts) {
        *begin = *count = 0;
        return;
    }
    int64_t q = n / parts, rem = n % parts;
    *begin = (int64_t)i * q + (i < rem ? i : rem);
    *count = q + (i < rem ? 1 : 0);
}

int cohort_partition_owner(int64_t n, int parts, int64_t row)
{
    if (n <= 0 || parts < 1 || row < 0 || row >= n)
        return -1;
    int64_t q = n / parts, rem = n % parts, big = rem * (q + 1);
    return row < big ? (int)(row / (q + 1)) : (int)(rem + (row - big) / q);
}
