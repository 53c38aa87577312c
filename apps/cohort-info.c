/*
 * cohort-info — what an HDF5 file (or a set of files) holds, as Cohort
 * reads it: datasets with shape, type, byte order, layout, chunking and
 * filters, and how the rows would be partitioned over P ranks.
 * Rank 0 does the work; other ranks only wait for the verdict.
 */
#include "cli.h"

#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_RANKS = CLI_OPT_FIRST_FREE };

static const cli_option options[] = {
    {"ranks", OPT_RANKS, "P", "show the partition plan for P ranks (default: the ranks running it)"},
    {"format", CLI_OPT_FORMAT, "FMT", "text (default) or json"},
    {NULL, 0, NULL, NULL},
};

typedef struct walk {
    char **paths;
    int n, cap;
} walk;

static herr_t collect(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    walk *w = data;
    (void)obj;
    if (info->type != H5O_TYPE_DATASET)
        return 0;
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 16;
        char **p = realloc(w->paths, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        w->paths = p, w->cap = cap;
    }
    size_t len = strlen(name) + 2;
    if ((w->paths[w->n] = malloc(len)) == NULL)
        return -1;
    snprintf(w->paths[w->n++], len, "/%s", name);
    return 0;
}

/* The CF conventions that apply to a dataset, and the type it reads as:
 * JSON's "cf" member (null if none), or an indented text line (none if none). */
static void print_cf(const cohort_cf *cf, cohort_type stored, bool json)
{
    if (json && cf->flags == 0) {
        printf(", \"cf\": null");
        return;
    }
    if (cf->flags == 0)
        return;
    bool packed = cf->flags & (COHORT_CF_SCALE | COHORT_CF_OFFSET);
    bool masked = cf->flags & (COHORT_CF_FILL | COHORT_CF_MISSING | COHORT_CF_VALID_MIN | COHORT_CF_VALID_MAX);
    const char *read_as = cohort_type_name(packed || (masked && cohort_type_is_integer(stored)) ? COHORT_DOUBLE : stored);
    const char *sep = json ? ", \"cf\": {" : "      CF conventions: ";
    const struct {
        unsigned flag;
        const char *name;
        double v;
    } one[] = {{COHORT_CF_FILL, "_FillValue", cf->fill},       {COHORT_CF_VALID_MIN, "valid_min", cf->valid_min},
               {COHORT_CF_VALID_MAX, "valid_max", cf->valid_max}, {COHORT_CF_SCALE, "scale_factor", cf->scale},
               {COHORT_CF_OFFSET, "add_offset", cf->offset}};
    for (size_t k = 0; k < sizeof one / sizeof one[0]; k++) {
        if (!(cf->flags & one[k].flag))
            continue;
        printf(json ? "%s\"%s\": " : "%s%s ", sep, one[k].name);
        cli_print_number(stdout, one[k].v, false, json ? CLI_FORMAT_JSON : CLI_FORMAT_CSV);
        sep = ", ";
    }
    if (cf->flags & COHORT_CF_MISSING) {
        printf(json ? "%s\"missing_value\": [" : "%smissing_value ", sep);
        for (int i = 0; i < cf->nmissing; i++) {
            printf("%s", i ? (json ? ", " : " ") : "");
            cli_print_number(stdout, cf->missing[i], false, json ? CLI_FORMAT_JSON : CLI_FORMAT_CSV);
        }
        printf("%s", json ? "]" : "");
        sep = ", ";
    }
    if (cf->flags & COHORT_CF_UNSIGNED)
        printf(json ? "%s\"_Unsigned\": true" : "%s_Unsigned", sep);
    if (json)
        printf(", \"read_as\": \"%s\"}", read_as);
    else
        printf("; read as %s (--raw: the stored values)\n", read_as);
}

static const char *layout_name(cohort_layout l)
{
    return l == COHORT_LAYOUT_CHUNKED ? "chunked" : l == COHORT_LAYOUT_COMPACT ? "compact"
         : l == COHORT_LAYOUT_VIRTUAL ? "virtual" : "contiguous";
}

/* Members of a compound dataset, as "name: type" for the description. */
static void print_members(hid_t file, const char *path, bool json)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT), t = d >= 0 ? H5Dget_type(d) : -1;
    if (t >= 0 && H5Tget_class(t) == H5T_COMPOUND) {
        int n = H5Tget_nmembers(t);
        printf(json ? ", \"members\": [" : "      members:");
        for (int i = 0; i < n; i++) {
            char *name = H5Tget_member_name(t, (unsigned)i);
            hid_t mt = H5Tget_member_type(t, (unsigned)i);
            H5T_class_t cls = H5Tget_class(mt);
            size_t size = H5Tget_size(mt);
            const char *kind = cls == H5T_INTEGER ? (H5Tget_sign(mt) == H5T_SGN_2 ? "int" : "uint")
                             : cls == H5T_FLOAT ? "float" : cls == H5T_STRING ? "string" : cls == H5T_ENUM ? "enum"
                             : cls == H5T_ARRAY ? "array" : "other";
            if (json) {
                printf("%s{\"name\": ", i ? ", " : "");
                json_string(stdout, name ? name : "", SIZE_MAX);
                printf(", \"type\": \"%s%zu\"}", kind, cls == H5T_STRING ? size : 8 * size);
            } else {
                printf(" %s (%s%zu)", name ? name : "?", kind, cls == H5T_STRING ? size : 8 * size);
            }
            H5Tclose(mt);
            H5free_memory(name);
        }
        printf(json ? "]" : "\n");
    }
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
}

/* The partition of n rows over p ranks: each rank's rows, and the files
 * they fall in when there are several. */
static void print_plan(int64_t n, int p, const int64_t *first, int nfiles, bool json)
{
    if (json)
        printf("{\"ranks\": %d, \"rows\": %lld, \"ranges\": [", p, (long long)n);
    else
        printf("  partition of %lld rows over %d rank(s):\n", (long long)n, p);
    int f = 0;
    for (int r = 0; r < p; r++) {
        int64_t b, c;
        cohort_partition(n, p, r, &b, &c);
        while (f + 1 < nfiles && first[f + 1] <= b && b < n)
            f++;
        int g = f;
        while (g + 1 < nfiles && first[g + 1] < b + c)
            g++;
        if (json) {
            printf("%s{\"rank\": %d, \"first\": %lld, \"rows\": %lld", r ? ", " : "", r, (long long)b, (long long)c);
            if (nfiles > 1 && c > 0)
                printf(", \"files\": [%d, %d]", f, g);
            printf("}");
        } else if (p <= 64 || r < 8 || r >= p - 8) {
            printf("    rank %d: rows %lld..%lld (%lld)", r, (long long)b, (long long)(b + c), (long long)c);
            if (nfiles > 1 && c > 0)
                printf(", file%s %d%s%.0d", f == g ? "" : "s", f, f == g ? "" : "..", f == g ? 0 : g);
            printf("\n");
        } else if (r == 8) {
            printf("    ...\n");
        }
    }
    if (json)
        printf("]}");
}

static int describe_files(cli *c, char **names, int nfiles, const char *path, int ranks)
{
    bool json = c->format == CLI_FORMAT_JSON;
    int64_t *first = calloc((size_t)nfiles + 1, sizeof *first);
    int code = first ? CLI_EXIT_OK : CLI_EXIT_MEMORY, plan_ok = path[0] != '\0';
    bool damaged = false; /* a dataset that could not be described */
    if (json)
        printf("{\"files\": [");
    for (int i = 0; i < nfiles && code == CLI_EXIT_OK; i++) {
        hid_t file = H5Fopen(names[i], H5F_ACC_RDONLY, H5P_DEFAULT);
        if (file < 0) {
            fprintf(stderr, "%s: error: %s: %s\n", c->prog, names[i],
                    access(names[i], R_OK) != 0 ? strerror(errno) : "not an HDF5 file");
            code = CLI_EXIT_INPUT;
            break;
        }
        walk w = {0};
        H5O_info_t oi;
        if (path[0] && (H5Lexists(file, path, H5P_DEFAULT) <= 0 || H5Oget_info_by_name(file, path, &oi, H5P_DEFAULT) < 0)) {
            fprintf(stderr, "%s: error: %s: no object %s\n", c->prog, names[i], path);
            code = CLI_EXIT_INPUT;
        } else if (path[0] && oi.type == H5O_TYPE_DATASET) {
            collect(file, path + 1, &oi, &w);
        } else {
            /* A corrupt file may open and fail only here: that is an input
             * error, not a shorter listing. */
            hid_t g = H5Oopen(file, path[0] ? path : "/", H5P_DEFAULT);
            if (g < 0 || H5Ovisit(g, H5_INDEX_NAME, H5_ITER_INC, collect, &w) < 0) {
                fprintf(stderr, "%s: error: %s: cannot read its objects (a damaged file?)\n", c->prog, names[i]);
                code = CLI_EXIT_INPUT;
            }
            if (g >= 0)
                H5Oclose(g);
            if (path[0] && strcmp(path, "/")) /* names relative to the group */
                for (int k = 0; k < w.n; k++) {
                    char *full = malloc(strlen(path) + strlen(w.paths[k]) + 1);
                    sprintf(full, "%s%s", path, w.paths[k]);
                    free(w.paths[k]);
                    w.paths[k] = full;
                }
            plan_ok = 0;
        }
        if (json) {
            printf("%s{\"name\": ", i ? ", " : "");
            json_string(stdout, names[i], SIZE_MAX);
            printf(", \"datasets\": [");
        } else {
            printf("%s\n", names[i]);
        }
        for (int k = 0; k < w.n && code == CLI_EXIT_OK; k++) {
            cohort_dataset_info info;
            if (cohort_dataset_describe(c->ctx, file, w.paths[k], &info) != COHORT_OK) {
                /* One dataset HDF5 cannot open (damaged) does not hide the
                 * others; the exit code says the file is not all readable. */
                if (json) {
                    printf("%s{\"path\": ", k ? ", " : "");
                    json_string(stdout, w.paths[k], SIZE_MAX);
                    printf(", \"error\": ");
                    json_string(stdout, cohort_errmsg(c->ctx), SIZE_MAX);
                    printf("}");
                } else {
                    printf("  %-28s cannot be read: %s\n", w.paths[k], cohort_errmsg(c->ctx));
                }
                damaged = true;
                plan_ok = plan_ok && k != 0;
                continue;
            }
            /* Rows as the programs read them: an N-D dataset's values. */
            int64_t rows = info.dims[0];
            for (int d = 1; info.ndims > 2 && d < info.ndims; d++)
                rows *= info.dims[d];
            if (k == 0 && nfiles > 1)
                first[i + 1] = first[i] + rows;
            else if (k == 0)
                first[1] = rows;
            if (json) {
                printf("%s{\"path\": ", k ? ", " : "");
                json_string(stdout, w.paths[k], SIZE_MAX);
                printf(", \"shape\": [");
                for (int d = 0; d < info.ndims && d < COHORT_MAX_DIMS; d++)
                    printf("%s%lld", d ? ", " : "", (long long)info.dims[d]);
                printf("], \"maxshape\": [");
                for (int d = 0; d < info.ndims && d < COHORT_MAX_DIMS; d++)
                    printf(info.maxdims[d] < 0 ? "%snull" : "%s%lld", d ? ", " : "", (long long)info.maxdims[d]);
                printf("], \"type\": ");
                json_string(stdout, info.type_desc, SIZE_MAX);
                printf(", \"cohort_type\": %s%s%s", info.type ? "\"" : "", info.type ? cohort_type_name(info.type) : "null",
                       info.type ? "\"" : "");
                printf(", \"layout\": \"%s\"", layout_name(info.layout));
                if (info.layout == COHORT_LAYOUT_CHUNKED) {
                    printf(", \"chunk\": [");
                    for (int d = 0; d < info.ndims && d < COHORT_MAX_DIMS; d++)
                        printf("%s%lld", d ? ", " : "", (long long)info.chunk[d]);
                    printf("]");
                }
                printf(", \"filters\": [");
                for (int f = 0; f < info.nfilters; f++) {
                    printf("%s{\"id\": %d, \"name\": ", f ? ", " : "", info.filter_id[f]);
                    json_string(stdout, info.filter_name[f], SIZE_MAX);
                    printf(", \"available\": %s}", info.filter_available[f] ? "true" : "false");
                }
                printf("]");
                print_cf(&info.cf, info.type, true);
                print_members(file, w.paths[k], true);
                printf("}");
            } else {
                printf("  %-28s %-26s [", w.paths[k], info.type_desc);
                for (int d = 0; d < info.ndims && d < COHORT_MAX_DIMS; d++)
                    printf("%s%lld", d ? " x " : "", (long long)info.dims[d]);
                printf("] %s", layout_name(info.layout));
                if (info.layout == COHORT_LAYOUT_CHUNKED) {
                    printf(" (chunk");
                    for (int d = 0; d < info.ndims && d < COHORT_MAX_DIMS; d++)
                        printf("%s%lld", d ? " x " : " ", (long long)info.chunk[d]);
                    printf(")");
                }
                for (int f = 0; f < info.nfilters; f++)
                    printf("%s%s(%d)%s", f ? " " : ", filters: ", info.filter_name[f], info.filter_id[f],
                           info.filter_available[f] ? "" : " MISSING");
                printf("\n");
                print_cf(&info.cf, info.type, false);
                print_members(file, w.paths[k], false);
            }
        }
        if (json)
            printf("]}");
        for (int k = 0; k < w.n; k++)
            free(w.paths[k]);
        free(w.paths);
        H5Fclose(file);
    }
    if (code == CLI_EXIT_OK && plan_ok) {
        if (json)
            printf("], \"plan\": ");
        print_plan(first[nfiles], ranks, first, nfiles, json);
        if (json)
            printf("}\n");
    } else if (json) {
        printf("]}\n");
    }
    free(first);
    if (code == CLI_EXIT_OK && damaged) {
        fprintf(stderr, "%s: error: some datasets cannot be read (listed above)\n", c->prog);
        code = CLI_EXIT_INPUT;
    }
    return code;
}

int main(int argc, char **argv)
{
    cli c = {.prog = "cohort-info",
             .usage = "FILE[:/PATH] [--ranks P] [--format text|json]",
             .summary = "Describe the datasets of an HDF5 file, or of the files of a quoted glob, as Cohort reads\n"
                        "them: shape, element type and byte order, layout, chunking, filters (and whether HDF5 can\n"
                        "decode them), compound members; for a dataset, the partition of its rows over P ranks.",
             .options = options};
    int code = cli_start(&c, &argc, &argv);
    if (code != CLI_EXIT_OK)
        return cli_finish(&c, code);
    const char *v;
    int64_t ranks = c.size;
    int key;
    while ((key = cli_next(&c, argc, argv, &v, &code)) > 0)
        if (key == OPT_RANKS && !cli_int64(&c, "--ranks", v, 1, &ranks))
            return cli_finish(&c, CLI_EXIT_USAGE);
    if (key < 0)
        return cli_finish(&c, code);
    if (cli_optind + 1 != argc)
        return cli_finish(&c, cli_usage(&c, "expected one FILE[:/PATH]"));
    if (c.format == CLI_FORMAT_CSV)
        return cli_finish(&c, cli_usage(&c, "--format csv: use text or json"));
    if (ranks > 1 << 24)
        return cli_finish(&c, cli_usage(&c, "--ranks %lld: at most 16777216", (long long)ranks));

    char pattern[4096], path[4096], member[256];
    if (cohort_ref_parse(argv[cli_optind], pattern, path, member, sizeof path) != COHORT_OK || member[0])
        return cli_finish(&c, cli_usage(&c, "%s: expected FILE or FILE:/PATH", argv[cli_optind]));
    if (c.rank == 0) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        glob_t g = {0};
        int rc = glob(pattern, GLOB_NOCHECK, NULL, &g); /* glob sorts the names */
        code = rc != 0 ? (fprintf(stderr, "%s: error: %s: no such file\n", c.prog, pattern), CLI_EXIT_INPUT)
                       : describe_files(&c, g.gl_pathv, (int)g.gl_pathc, path, (int)ranks);
        if (rc == 0)
            globfree(&g);
        fflush(stdout);
    }
    MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return cli_finish(&c, code);
}
