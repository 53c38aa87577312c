/*
 * memory.c — allocation counted against the per-rank memory budget.
 *
 * Operations allocate their large buffers here so that a budget can stop
 * them before the kernel's OOM killer does, and so that the peak per rank
 * can be reported.  Small bookkeeping (O(p) arrays) is counted too.
 */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define COHORT_ALIGN 64
/* Large buffers are aligned to, and advised into, transparent huge pages:
 * first-touch page faults then cost 512 times fewer kernel entries, which
 * for a freshly allocated multi-GiB column is most of the time to fill it. */
#define COHORT_HUGE ((size_t)2 << 20)

bool cohort__size_mul(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > SIZE_MAX / b)
        return false;
    *out = a * b;
    return true;
}

int cohort__alloc(cohort_ctx *ctx, size_t bytes, const char *what, void **ptr)
{
    *ptr = NULL;
    if (bytes > (size_t)INT64_MAX - (size_t)ctx->mem_current)
        return COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "cannot allocate %zu bytes for %s", bytes, what);
    int64_t after = ctx->mem_current + (int64_t)bytes;
    if (ctx->mem_budget > 0 && after > ctx->mem_budget)
        return COHORT_FAIL(ctx, COHORT_ERR_BUDGET,
                           "%s needs %zu bytes; %lld of the %lld-byte memory budget are in use",
                           what, bytes, (long long)ctx->mem_current, (long long)ctx->mem_budget);
    void *p = NULL;
    size_t align = bytes >= COHORT_HUGE ? COHORT_HUGE : COHORT_ALIGN;
    size_t rounded = bytes == 0 ? align : (bytes + align - 1) / align * align;
    if (rounded < bytes || posix_memalign(&p, align, rounded) != 0)
        return COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory allocating %zu bytes for %s", bytes, what);
#ifdef MADV_HUGEPAGE
    if (align == COHORT_HUGE)
        madvise(p, rounded, MADV_HUGEPAGE); /* advice only: failure is harmless */
#endif
    ctx->mem_current = after;
    if (after > ctx->mem_peak)
        ctx->mem_peak = after;
    *ptr = p;
    return COHORT_OK;
}

int cohort__calloc(cohort_ctx *ctx, size_t bytes, const char *what, void **ptr)
{
    int st = cohort__alloc(ctx, bytes, what, ptr);
    if (st == COHORT_OK)
        memset(*ptr, 0, bytes);
    return st;
}

void cohort__free(cohort_ctx *ctx, void *ptr, size_t bytes)
{
    if (ptr == NULL)
        return;
    free(ptr);
    ctx->mem_current -= (int64_t)bytes;
}
