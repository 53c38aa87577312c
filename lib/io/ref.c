/*
 * ref.c — dataset references ("FILE:/path#member") and the expansion of a
 * file glob into a list of names, done once on rank 0 and shared, so that
 * a thousand ranks do not list the same directory a thousand times.
 */
#include "io.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>

int cohort_ref_parse(const char *ref, char *file, char *dataset, char *member, size_t size)
{
    if (ref == NULL || file == NULL || dataset == NULL || member == NULL || size == 0)
        return COHORT_ERR_ARG;
    file[0] = dataset[0] = member[0] = '\0';
    const char *split = strstr(ref, ":/");
    size_t flen = split ? (size_t)(split - ref) : strlen(ref);
    if (flen == 0 || flen >= size)
        return COHORT_ERR_ARG;
    memcpy(file, ref, flen);
    file[flen] = '\0';
    if (!split)
        return COHORT_OK;
    const char *path = split + 1, *hash = strrchr(path, '#');
    size_t plen = hash ? (size_t)(hash - path) : strlen(path);
    if (plen >= size || (hash && (hash[1] == '\0' || strlen(hash + 1) >= size)))
        return COHORT_ERR_ARG;
    memcpy(dataset, path, plen);
    dataset[plen] = '\0';
    /* "/grp/" names the group itself: drop trailing slashes but keep "/". */
    while (plen > 1 && dataset[plen - 1] == '/')
        dataset[--plen] = '\0';
    if (hash)
        strcpy(member, hash + 1);
    return COHORT_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The files of @pattern in strcmp order (a name without glob characters is
 * itself), as one block of NUL-separated names.  Collective. */
int cohort__expand_files(cohort_ctx *ctx, const char *pattern, char **names_out, int *count_out)
{
    int st = COHORT_OK;
    int64_t hdr[2] = {0, 0}; /* count, bytes */
    char *block = NULL;
    *names_out = NULL;
    *count_out = 0;
    if (ctx->rank == 0) {
        glob_t g = {0};
        int rc = strpbrk(pattern, "*?[") ? glob(pattern, GLOB_NOSORT, NULL, &g) : -1;
        if (rc == 0) {
            qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, by_name);
            for (size_t i = 0; i < g.gl_pathc; i++)
                hdr[1] += (int64_t)strlen(g.gl_pathv[i]) + 1;
            hdr[0] = (int64_t)g.gl_pathc;
        } else if (rc == -1) {
            hdr[0] = 1, hdr[1] = (int64_t)strlen(pattern) + 1;
        } else if (rc == GLOB_NOMATCH) {
            st = COHORT_FAIL(ctx, COHORT_ERR_NOTFOUND, "%s: no file matches", pattern);
        } else {
            st = COHORT_FAIL(ctx, COHORT_ERR_IO, "%s: cannot list the files that match", pattern);
        }
        if (st == COHORT_OK && hdr[1] > INT32_MAX)
            st = COHORT_FAIL(ctx, COHORT_ERR_SIZE, "%s: too many files", pattern);
        if (st == COHORT_OK && (block = malloc((size_t)hdr[1])) == NULL)
            st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory listing %s", pattern);
        if (st == COHORT_OK) {
            if (rc == 0)
                for (size_t i = 0, off = 0; i < g.gl_pathc; i++) {
                    size_t n = strlen(g.gl_pathv[i]) + 1;
                    memcpy(block + off, g.gl_pathv[i], n);
                    off += n;
                }
            else
                memcpy(block, pattern, (size_t)hdr[1]);
        }
        if (rc == 0)
            globfree(&g);
    }
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Bcast(hdr, 2, MPI_INT64_T, 0, ctx->comm)));
    if (st == COHORT_OK && ctx->rank != 0 && (block = malloc((size_t)hdr[1])) == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory listing %s", pattern);
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Bcast(block, (int)hdr[1], MPI_CHAR, 0, ctx->comm)));
    if (st != COHORT_OK) {
        free(block);
        return st;
    }
    *names_out = block;
    *count_out = (int)hdr[0];
    return COHORT_OK;
}
