/*
 * cohort-gen — generate synthetic datasets in parallel.  The values depend
 * only on the arguments, never on the number of ranks.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

enum { OPT_ROWS = CLI_OPT_FIRST_FREE, OPT_TYPE, OPT_DIST, OPT_MIN, OPT_MAX, OPT_MEAN, OPT_STD, OPT_COLS, OPT_NAN,
       OPT_SEED, OPT_CHUNK, OPT_GZIP, OPT_TABLE, OPT_COLUMN, OPT_BLOCK };

static const cli_option options[] = {
    {"output", 'o', "FILE:/PATH", "where to write (required)"},
    {"rows", OPT_ROWS, "N", "number of rows (required; 1e9 notation accepted)"},
    {"type", OPT_TYPE, "TYPE", "int8 … int64, uint8 … uint64, float, double (default double)"},
    {"dist", OPT_DIST, "DIST", "uniform, normal, zipf, sorted, reverse, constant, fewunique (default uniform)"},
    {"min", OPT_MIN, "A", "smallest value (default 0)"},
    {"max", OPT_MAX, "B", "largest value (default 1 for floats, min(10^6, type max) for integers)"},
    {"mean", OPT_MEAN, "M", "mean of the normal distribution (default 0)"},
    {"std", OPT_STD, "S", "standard deviation of the normal distribution (default 1)"},
    {"cols", OPT_COLS, "C", "C columns: a rows x C 2-D dataset, or C value columns with --table (default 1)"},
    {"nan-fraction", OPT_NAN, "F", "make a fraction F of the float columns' values NaN (default 0)"},
    {"seed", OPT_SEED, "S", "random seed (default 42)"},
    {"chunk", OPT_CHUNK, "ROWS", "chunked layout with ROWS rows per chunk (default contiguous)"},
    {"gzip", OPT_GZIP, "LEVEL", "compress with shuffle + deflate at LEVEL 1-9 (chunked)"},
    {"table", OPT_TABLE, NULL, "write a group of equal-length 1-D columns instead of one dataset"},
    {"column", OPT_COLUMN, "SPEC", "a --table column NAME:TYPE:DIST[:MIN:MAX] (repeatable); default: v0 … v<C-1> from --type/--dist"},
    {"block-rows", OPT_BLOCK, "N", "rows generated per block and rank (default 4M): bounds memory"},
    {"force", CLI_OPT_FORCE, NULL, "replace the output file if it exists (atomically)"},
    {"append", CLI_OPT_APPEND, NULL, "add to (or replace an object in) an existing output file"},
    {NULL, 0, NULL, NULL},
};

typedef struct column_spec {
    char name[64];
    cohort_type type;
    cohort_gen_spec gen;
    bool bounds_set;
} column_spec;

/* NAME:TYPE:DIST[:MIN:MAX] */
static bool parse_column(cli *c, const char *s, const cohort_gen_spec *base, column_spec *out)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", s);
    char *name = strtok_r(buf, ":", &save), *type = strtok_r(NULL, ":", &save), *dist = strtok_r(NULL, ":", &save);
    char *lo = strtok_r(NULL, ":", &save), *hi = strtok_r(NULL, ":", &save);
    out->gen = *base;
    out->bounds_set = lo != NULL;
    if (!name || !type || !dist || (lo && !hi) || strtok_r(NULL, ":", &save) || strlen(name) >= sizeof out->name ||
        cohort_type_parse(type, &out->type) != COHORT_OK || out->type == COHORT_BYTES ||
        cohort_dist_parse(dist, &out->gen.dist) != COHORT_OK) {
        cli_usage(c, "--column %s: expected NAME:TYPE:DIST[:MIN:MAX] (e.g. key:int64:zipf:0:1000000)", s);
        return false;
    }
    snprintf(out->name, sizeof out->name, "%s", name);
    char *end;
    if (lo) {
        out->gen.min = strtold(lo, &end);
        bool ok = *end == '\0';
        out->gen.max = strtold(hi, &end);
        if (!ok || *end != '\0') {
            cli_usage(c, "--column %s: MIN and MAX must be numbers", s);
            return false;
        }
    }
    return true;
}

/* The generator's stream of one column: a hash (FNV-1a) of the object's
 * path in the file and the column's name, so that every column of every
 * output is independent of the others (with one seed, /X's second column
 * is not /events/value), while the same command gives the same values at
 * any rank count and into any file. */
static uint64_t column_stream(const char *path, const char *column)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *s = path;; s++) {
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
        if (*s == '\0')
            break;
    }
    for (const char *s = column; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static long double default_max(cohort_type t)
{
    if (cohort_type_is_float(t))
        return 1;
    long double cap = 1000000;
    switch (t) {
    case COHORT_INT8: return 127;
    case COHORT_UINT8: return 255;
    case COHORT_INT16: return 32767;
    case COHORT_UINT16: return 65535;
    default: return cap;
    }
}

int main(int argc, char **argv)
{
    cli c = {.prog = "cohort-gen",
             .usage = "--output FILE:/PATH --rows N [options]",
             .summary = "Generate a synthetic dataset in parallel: each rank makes and writes its share of the rows.\n"
                        "The values depend only on the arguments (a counter-based generator keyed by the\n"
                        "global row), never on the number of ranks.",
             .options = options};
    int code = cli_start(&c, &argc, &argv);
    if (code != CLI_EXIT_OK)
        return cli_finish(&c, code);

    const char *output = NULL, *v;
    int64_t rows = -1, cols = 1, chunk = 0, gzip = 0, seed = 42, block = 4 << 20;
    cohort_type type = COHORT_DOUBLE;
    cohort_gen_spec base = {.dist = COHORT_DIST_UNIFORM, .min = 0, .max = 0, .mean = 0, .std = 1};
    bool table = false, max_set = false;
    double unused;
    column_spec specs[256];
    int nspecs = 0;
    const char *column_args[256];
    int key;
    while ((key = cli_next(&c, argc, argv, &v, &code)) > 0) {
        bool ok = true;
        switch (key) {
        case 'o': output = v; break;
        case OPT_ROWS: ok = cli_int64(&c, "--rows", v, 0, &rows); break;
        case OPT_TYPE:
            if (cohort_type_parse(v, &type) != COHORT_OK || type == COHORT_BYTES)
                ok = (cli_usage(&c, "--type %s: use int8 … int64, uint8 … uint64, float or double", v), false);
            break;
        case OPT_DIST:
            if (cohort_dist_parse(v, &base.dist) != COHORT_OK)
                ok = (cli_usage(&c, "--dist %s: use uniform, normal, zipf, sorted, reverse, constant or fewunique", v), false);
            break;
        case OPT_MIN: ok = cli_double(&c, "--min", v, &unused) && (base.min = strtold(v, NULL), true); break;
        case OPT_MAX: ok = cli_double(&c, "--max", v, &unused) && (base.max = strtold(v, NULL), max_set = true); break;
        case OPT_MEAN: ok = cli_double(&c, "--mean", v, &base.mean); break;
        case OPT_STD: ok = cli_double(&c, "--std", v, &base.std); break;
        case OPT_COLS: ok = cli_int64(&c, "--cols", v, 1, &cols); break;
        case OPT_NAN: ok = cli_double(&c, "--nan-fraction", v, &base.nan_fraction); break;
        case OPT_SEED: ok = cli_int64(&c, "--seed", v, 0, &seed); break;
        case OPT_CHUNK: ok = cli_int64(&c, "--chunk", v, 1, &chunk); break;
        case OPT_GZIP:
            ok = cli_int64(&c, "--gzip", v, 0, &gzip) && (gzip <= 9 || (cli_usage(&c, "--gzip %s: use 1-9", v), false));
            break;
        case OPT_TABLE: table = true; break;
        case OPT_BLOCK: ok = cli_int64(&c, "--block-rows", v, 1, &block); break;
        case OPT_COLUMN:
            if (nspecs == 256)
                ok = (cli_usage(&c, "at most 256 --column options"), false);
            else
                column_args[nspecs++] = v;
            break;
        }
        if (!ok)
            return cli_finish(&c, CLI_EXIT_USAGE);
    }
    if (key < 0)
        return cli_finish(&c, code);
    if (cli_optind < argc)
        return cli_finish(&c, cli_usage(&c, "unexpected argument %s", argv[cli_optind]));
    if (!output || rows < 0)
        return cli_finish(&c, cli_usage(&c, "--output and --rows are required"));
    if (nspecs && !table)
        return cli_finish(&c, cli_usage(&c, "--column needs --table"));
    if (cols > 4096)
        return cli_finish(&c, cli_usage(&c, "--cols %lld: at most 4096", (long long)cols));
    char file[4096], path[4096];
    if (!cli_output_ref(&c, output, file, path, sizeof file))
        return cli_finish(&c, CLI_EXIT_USAGE);

    base.seed = (uint64_t)seed;
    base.total_rows = rows;
    for (int i = 0; i < nspecs; i++) {
        cohort_gen_spec b = base;
        b.min = 0; /* per-column bounds, unless the spec gives them */
        if (!parse_column(&c, column_args[i], &b, &specs[i]))
            return cli_finish(&c, CLI_EXIT_USAGE);
        for (int k = 0; k < i; k++) /* the second would silently replace the first */
            if (strcmp(specs[k].name, specs[i].name) == 0)
                return cli_finish(&c, cli_usage(&c, "--column %s: a second column named %s", column_args[i],
                                                specs[i].name));
    }
    if (nspecs == 0) { /* v0 … or the dataset itself */
        nspecs = table ? (int)cols : 1;
        for (int i = 0; i < nspecs; i++) {
            specs[i].type = type;
            specs[i].gen = base;
            specs[i].bounds_set = max_set;
            snprintf(specs[i].name, sizeof specs[i].name, "v%d", i);
        }
    }
    bool any_float = false;
    for (int i = 0; i < nspecs; i++)
        any_float |= cohort_type_is_float(specs[i].type);
    if (base.nan_fraction > 0 && !any_float)
        return cli_finish(&c, cli_usage(&c, "--nan-fraction %g: no float column to make NaN (integers have none)",
                                        base.nan_fraction));
    for (int i = 0; i < nspecs; i++) {
        cohort_gen_spec *g = &specs[i].gen;
        if (!specs[i].bounds_set)
            g->max = default_max(specs[i].type) > g->min ? default_max(specs[i].type) : g->min;
        if (cohort_type_is_integer(specs[i].type))
            g->nan_fraction = 0; /* --nan-fraction: the float columns; integers have no NaN */
        /* Check the spec once, the same way on every rank. */
        cohort_column probe = cohort_column_make(NULL, specs[i].type, 0, NULL);
        if (cohort_generate(g, 0, &probe) != COHORT_OK)
            return cli_finish(&c, cli_usage(&c, "%s: bounds [%Lg, %Lg] or NaN fraction %g do not suit type %s",
                                            specs[i].name, g->min, g->max, g->nan_fraction,
                                            cohort_type_name(specs[i].type)));
    }

    /* One dataset of `ncols` columns, or a table of nspecs 1-D datasets. */
    int ncols = table ? 1 : (int)cols, ndsets = table ? nspecs : 1;
    cohort_output *out = NULL;
    cohort_write_options wopts = {.chunk_rows = chunk, .gzip_level = (int)gzip};
    int64_t begin, count;
    cohort_partition(rows, c.size, c.rank, &begin, &count);
    /* The same block size and number of steps on every rank: writes are collective. */
    int64_t most = rows / c.size + (rows % c.size ? 1 : 0);
    int64_t brows = most < block ? (most > 0 ? most : 1) : block;
    /* The blocks count against --memory-budget: at most half of it (the
     * write path has the rest), in smaller blocks if need be. */
    int64_t fit = c.memory_budget > 0 ? c.memory_budget / 2 / (8 * (int64_t)ncols) : INT64_MAX;
    brows = brows < fit ? brows : fit;
    int64_t steps = brows > 0 ? (most + brows - 1) / brows : 0;
    cohort_column *colv = calloc((size_t)ncols, sizeof *colv);
    void **bufs = calloc((size_t)ncols, sizeof *bufs);
    int st = colv && bufs && brows > 0 ? COHORT_OK : COHORT_ERR_NOMEM;
    for (int j = 0; st == COHORT_OK && j < ncols; j++)
        if ((bufs[j] = malloc((size_t)brows * 8)) == NULL)
            st = COHORT_ERR_NOMEM;
    int failed = st != COHORT_OK, any = failed; /* agreed, so that no rank waits for one that left */
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any) {
        if (c.rank == 0 && brows <= 0)
            fprintf(stderr, "%s: error: one row of %lld column(s) does not fit half the memory budget of %lld bytes\n",
                    c.prog, (long long)ncols, (long long)c.memory_budget);
        else if (c.rank == 0)
            fprintf(stderr, "%s: error: out of memory for a block of %lld rows\n", c.prog, (long long)brows);
        for (int j = 0; bufs && j < ncols; j++)
            free(bufs[j]);
        free(bufs);
        free(colv);
        return cli_finish(&c, CLI_EXIT_MEMORY);
    }
    st = cli_output_open(&c, file, "", &out);
    for (int ds = 0; st == COHORT_OK && ds < ndsets; ds++) {
        char dpath[4200];
        if (table)
            snprintf(dpath, sizeof dpath, "%s/%s", strcmp(path, "/") ? path : "", specs[ds].name);
        else
            snprintf(dpath, sizeof dpath, "%s", path);
        cohort_type t = specs[ds].type;
        cohort_sink *sink = NULL;
        st = cohort_sink_open(c.ctx, out, dpath, t, 0, ncols, rows, &wopts, &sink);
        for (int64_t k = 0; st == COHORT_OK && k < steps; k++) {
            int64_t off = k * brows < count ? k * brows : count, n = count - off < brows ? count - off : brows;
            for (int j = 0; j < ncols; j++) {
                cohort_gen_spec g = specs[table ? ds : 0].gen;
                char cname[32];
                snprintf(cname, sizeof cname, "c%d", j);
                g.stream = table ? column_stream(path, specs[ds].name) : column_stream(path, ncols > 1 ? cname : "");
                colv[j] = cohort_column_make(NULL, t, n, bufs[j]);
                cohort_generate(&g, begin + off, &colv[j]);
            }
            st = cohort_sink_write(c.ctx, sink, begin + off, colv);
        }
        int st2 = cohort_sink_close(c.ctx, &sink);
        st = st == COHORT_OK ? st2 : st;
    }
    code = cli_fail(&c, st, true);
    int st2 = cohort_output_close(c.ctx, &out, st == COHORT_OK);
    if (code == CLI_EXIT_OK && st2 != COHORT_OK)
        code = cli_fail(&c, st2, true);
    if (code == CLI_EXIT_OK && c.rank == 0)
        printf("cohort-gen: wrote %lld rows x %d column(s) to %s:%s\n", (long long)rows, table ? nspecs : ncols,
               file, path);
    for (int j = 0; j < ncols; j++)
        free(bufs[j]);
    free(bufs);
    free(colv);
    return cli_finish(&c, code);
}
