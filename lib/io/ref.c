/*
 * ref.c — dataset references ("FILE:/path#member") and the expansion of a
 * file glob into a list of names, done once on rank 0 and shared, so that
 * a thousand ranks do not list the same directory a thousand times.
 */
#include "io.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The length of the file part of an h5ls-style "FILE/path/in/file": the
 * prefix, ending before a '/', that is a regular file (at most one can be,
 * as a file is no directory); 0 if none is. */
static size_t h5ls_file_length(const char *ref)
{
    struct stat sb;
    char buf[4096];
    size_t len = strlen(ref);
    if (len >= sizeof buf || strpbrk(ref, "*?[") || (stat(ref, &sb) == 0))
        return 0; /* a glob, or the whole of it exists: it is the file */
    memcpy(buf, ref, len + 1);
    for (size_t i = 1; i < len; i++) {
        if (buf[i] != '/')
            continue;
        buf[i] = '\0';
        bool file = stat(buf, &sb) == 0 && S_ISREG(sb.st_mode);
        buf[i] = '/';
        if (file)
            return i;
    }
    return 0;
}

int cohort_ref_parse(const char *ref, char *file, char *dataset, char *member, size_t size)
{
    if (ref == NULL || file == NULL || dataset == NULL || member == NULL || size == 0)
        return COHORT_ERR_ARG;
    file[0] = dataset[0] = member[0] = '\0';
    /* The file ends at the first ":/"; else at the last ':' (FILE:path,
     * h5dump's spelling without the leading slash); else, h5ls's FILE/path,
     * where a prefix of it is an existing file. */
    const char *split = strstr(ref, ":/"), *path = NULL;
    size_t flen = strlen(ref);
    if (split) {
        flen = (size_t)(split - ref), path = split + 1;
    } else if ((split = strrchr(ref, ':')) != NULL && split[1] != '\0') {
        flen = (size_t)(split - ref), path = split + 1;
    } else if (split == NULL && (flen = h5ls_file_length(ref)) > 0) {
        path = ref + flen;
    } else {
        flen = strlen(ref) - (split != NULL); /* "FILE:" names the file */
    }
    if (flen == 0 || flen >= size)
        return COHORT_ERR_ARG;
    memcpy(file, ref, flen);
    file[flen] = '\0';
    if (!path)
        return COHORT_OK;
    const char *hash = strrchr(path, '#');
    size_t plen = hash ? (size_t)(hash - path) : strlen(path);
    size_t slash = path[0] != '/'; /* a relative path is from the root */
    if (plen + slash >= size || (hash && (hash[1] == '\0' || strlen(hash + 1) >= size)))
        return COHORT_ERR_ARG;
    dataset[0] = '/';
    memcpy(dataset + slash, path, plen);
    plen += slash;
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
