/*
 * cohort-reduce — the aggregates of an N-D variable over some of its
 * dimensions (netCDF's ncra/ncwa, CDO's timmean/fldmean, xarray's
 * .mean(dim=...)), written as one (N-k)-D dataset per aggregate with the
 * remaining dimensions' coordinates attached as dimension scales.
 *
 * How: each rank streams its range of the variable's values (row-major,
 * as the reader partitions them) and labels every value with the output
 * cell it falls in, counting through the dimensions rather than dividing;
 * the (cell, value) pairs feed the group-by, whose groups are the cells:
 * its exactness and NaN rules carry over (count, sum, min, max, median
 * exact; mean, var, std within a few ulps; --reproducible: the same bits at
 * any rank count), and its results come out in cell order, spread over the
 * ranks, each rank a contiguous range of cells that it writes itself.
 */
#include "cli.h"

#include <glob.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_OVER = CLI_OPT_FIRST_FREE, OPT_AGG, OPT_REPRODUCIBLE, OPT_GZIP };

#define NAME_MAX_LEN 256

static const cli_option options[] = {
    {"input", 'i', "FILE:/PATH", "the N-D variable (required)"},
    {"over", OPT_OVER, "DIMS", "the dimensions to reduce, by name (netCDF/HDF5 dimension scales) or axis number, comma-separated (required)"},
    {"agg", OPT_AGG, "LIST", "aggregates: count,sum,mean,min,max,var,std,sem,median,quantile:Q,prod,nunique (default mean)"},
    {"reproducible", OPT_REPRODUCIBLE, NULL, "every result the same bits for any number of ranks (exact float sums)"},
    {"output", 'o', "FILE:/GROUP", "where to write one dataset per aggregate, with the remaining coordinates (required)"},
    {"gzip", OPT_GZIP, "LEVEL", "compress the outputs (chunked, shuffle + deflate)"},
    {"force", CLI_OPT_FORCE, NULL, "replace the output file if it exists (atomically)"},
    {"append", CLI_OPT_APPEND, NULL, "add to (or replace a group in) an existing output file"},
    CLI_RAW_OPTION,
    {NULL, 0, NULL, NULL},
};

/* One dimension of the variable: its name, and the coordinate (dimension
 * scale) attached to it in the first file, if any; the values only on rank 0. */
typedef struct dim {
    char name[NAME_MAX_LEN];       /* the scale's dataset name, else phony_dim_<axis> */
    char scale_name[NAME_MAX_LEN]; /* the scale's NAME attribute ("" if none) */
    int has_coord;                 /* a coordinate to copy */
    int64_t type, width, count;
    void *values;                  /* rank 0 */
} dim;

typedef struct scale_visit {
    cohort_ctx *ctx;
    hid_t file;
    dim *d;
    int read_values;
} scale_visit;

/* The first scale of a dimension: its name, NAME, and values. */
static herr_t visit_scale(hid_t dset, unsigned axis, hid_t scale, void *arg)
{
    (void)dset, (void)axis;
    scale_visit *v = arg;
    char path[NAME_MAX_LEN * 4] = "";
    H5Iget_name(scale, path, sizeof path);
    const char *slash = strrchr(path, '/');
    snprintf(v->d->name, sizeof v->d->name, "%s", slash ? slash + 1 : path);
    H5DSget_scale_name(scale, v->d->scale_name, sizeof v->d->scale_name);
    cohort_dataset_info info;
    if (v->read_values && cohort_dataset_describe(v->ctx, v->file, path, &info) == COHORT_OK && info.ndims == 1 &&
        info.type != 0) {
        hid_t mt = cohort_type_hdf5(info.type, info.width);
        void *buf = malloc((size_t)(info.dims[0] ? info.dims[0] : 1) * info.width);
        if (buf && mt >= 0 && H5Dread(scale, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) {
            v->d->has_coord = 1;
            v->d->type = info.type, v->d->width = (int64_t)info.width, v->d->count = info.dims[0];
            v->d->values = buf;
        } else {
            free(buf);
        }
        if (mt >= 0)
            H5Tclose(mt);
    }
    return 1; /* the first scale only */
}

/* Rank 0 reads the dimensions of @dataset in the first file of @pattern:
 * their names and coordinates (small 1-D datasets; not the slowest
 * dimension's of a file set, whose coordinate spans the files); every rank
 * gets the names and the coordinates' shapes. */
static void read_dims(cli *c, const char *pattern, const char *dataset, int n, int nfiles, dim *dims)
{
    for (int a = 0; a < n; a++)
        snprintf(dims[a].name, sizeof dims[a].name, "phony_dim_%d", a);
    if (c->rank == 0) {
        glob_t g = {0};
        const char *first = pattern;
        if (strpbrk(pattern, "*?[") && glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0)
            first = g.gl_pathv[0];
        H5E_auto2_t fn;
        void *fd;
        H5Eget_auto2(H5E_DEFAULT, &fn, &fd);
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        hid_t f = H5Fopen(first, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t d = f < 0 ? f : H5Dopen2(f, dataset, H5P_DEFAULT);
        for (int a = 0; d >= 0 && a < n; a++) {
            scale_visit v = {c->ctx, f, &dims[a], a > 0 || nfiles == 1};
            if (H5DSget_num_scales(d, (unsigned)a) > 0)
                H5DSiterate_scales(d, (unsigned)a, NULL, visit_scale, &v);
        }
        if (d >= 0)
            H5Dclose(d);
        if (f >= 0)
            H5Fclose(f);
        H5Eclear2(H5E_DEFAULT);
        H5Eset_auto2(H5E_DEFAULT, fn, fd);
        if (first != pattern)
            globfree(&g);
    }
    MPI_Comm comm = cohort_ctx_comm(c->ctx);
    for (int a = 0; a < n; a++) {
        MPI_Bcast(dims[a].name, NAME_MAX_LEN, MPI_CHAR, 0, comm);
        MPI_Bcast(dims[a].scale_name, NAME_MAX_LEN, MPI_CHAR, 0, comm);
        int64_t meta[4] = {dims[a].has_coord, dims[a].type, dims[a].width, dims[a].count};
        MPI_Bcast(meta, 4, MPI_INT64_T, 0, comm);
        dims[a].has_coord = (int)meta[0], dims[a].type = meta[1], dims[a].width = meta[2], dims[a].count = meta[3];
    }
}

/* --over: names or axis numbers (negative from the end) into keep[]. */
static bool parse_over(cli *c, const char *list, int n, const dim *dims, int *keep, const char *var)
{
    char buf[4096], *save = NULL;
    snprintf(buf, sizeof buf, "%s", list);
    for (int a = 0; a < n; a++)
        keep[a] = 1;
    int reduced = 0;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *end;
        long axis = strtol(t, &end, 10);
        int a = -1;
        if (*t && *end == '\0')
            a = axis < 0 ? (int)(axis + n) : (int)axis, a = a >= 0 && a < n ? a : -2;
        for (int k = 0; a == -1 && k < n; k++)
            if (strcmp(dims[k].name, t) == 0)
                a = k;
        if (a < 0) {
            char have[2048] = "";
            for (int k = 0; k < n; k++)
                snprintf(have + strlen(have), sizeof have - strlen(have), "%s%d %s", k ? ", " : "", k, dims[k].name);
            cli_usage(c, "--over %s: %s has no dimension %s (its dimensions: %s)", list, var, t, have);
            return false;
        }
        if (!keep[a]) {
            cli_usage(c, "--over %s: dimension %s named twice", list, dims[a].name);
            return false;
        }
        keep[a] = 0, reduced++;
    }
    if (reduced == 0) {
        cli_usage(c, "--over %s: name at least one dimension", list);
        return false;
    }
    return true;
}

/* The source the group-by reads: each value with its output cell. */
typedef struct cell_source {
    MPI_Comm comm;
    cohort_stream *stream;
    int n, ncols;              /* dimensions; columns per row (a 2-D table's width, else 1) */
    int64_t dims[COHORT_MAX_DIMS], ostride[COHORT_MAX_DIMS]; /* output stride of each dimension, 0 if reduced */
    cohort_type type;
    size_t width;
    int64_t *cells;
    unsigned char *values;
    int64_t cap;
    cohort_column out[2];
} cell_source;

static int cells_rewind(void *arg)
{
    cohort_stream_rewind(((cell_source *)arg)->stream);
    return COHORT_OK;
}

static int cells_next(void *arg, const cohort_column **cols, int64_t *rows, int *done)
{
    cell_source *s = arg;
    const cohort_column *in;
    int64_t n, first;
    int st = cohort_stream_next(s->stream, &in, &n, &first, done);
    int64_t m = st == COHORT_OK ? n * s->ncols : 0;
    if (m > s->cap) { /* a larger block than any before */
        free(s->cells), free(s->values);
        s->cells = malloc((size_t)m * sizeof *s->cells);
        s->values = malloc((size_t)m * s->width);
        s->cap = s->cells && s->values ? m : 0;
    }
    int bad = m > s->cap;
    /* Every rank answers alike: the stream's status is agreed, the memory is not. */
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, s->comm);
    if (st == COHORT_OK && bad)
        st = COHORT_ERR_NOMEM;
    if (st == COHORT_OK && m > 0) {
        /* The multi-index of the block's first value, then count up. */
        int64_t idx[COHORT_MAX_DIMS], flat = first * s->ncols, cell = 0;
        for (int d = s->n - 1; d >= 0; d--) {
            idx[d] = flat % s->dims[d], flat /= s->dims[d];
            cell += idx[d] * s->ostride[d];
        }
        int last = s->n - 1;
        for (int64_t p = 0; p < m; p++) {
            s->cells[p] = cell;
            idx[last]++, cell += s->ostride[last];
            for (int d = last; d > 0 && idx[d] == s->dims[d]; d--) {
                cell -= idx[d] * s->ostride[d], idx[d] = 0;
                idx[d - 1]++, cell += s->ostride[d - 1];
            }
        }
        for (int64_t i = 0; i < n; i++) /* rows of a table: its columns in row-major order */
            for (int j = 0; j < s->ncols; j++)
                memcpy(s->values + ((size_t)i * (size_t)s->ncols + (size_t)j) * s->width,
                       (const unsigned char *)in[j].data + (size_t)i * s->width, s->width);
    }
    s->out[0] = cohort_column_make("cell", COHORT_INT64, m, s->cells);
    s->out[1] = cohort_column_make("v", s->type, m, s->values);
    *cols = s->out;
    *rows = m;
    return st;
}

/* Write every aggregate of @tab (this rank's cells, from @first on) as a
 * dataset of the remaining dimensions of extents @extent, then the
 * remaining coordinates, attached to each as dimension scales. */
static int write_results(cli *c, cohort_output *out, const cohort_table *tab, const char *group, int n,
                         const int64_t *extent, const int *keep, const dim *dims, int64_t ncells, int64_t first,
                         int gzip, bool want_size)
{
    cohort_write_options w = {.gzip_level = gzip};
    int map[COHORT_MAX_DIMS], k = 0, st = COHORT_OK;
    for (int a = 0; a < n; a++)
        if (keep[a])
            map[k] = a, w.dims[k++] = extent[a];
    w.ndims = k; /* 0 (every dimension reduced): one value, a 1-D dataset of 1 */
    const char *g = strcmp(group, "/") ? group : "";
    char aggs[64][NAME_MAX_LEN];
    int nagg = 0;
    for (int j = 0; st == COHORT_OK && j < cohort_table_ncolumns(tab); j++) {
        cohort_column col = cohort_table_column(tab, j);
        const char *name = strncmp(col.name, "v_", 2) == 0 ? col.name + 2 : col.name;
        if (strcmp(col.name, "cell") == 0 || (strcmp(col.name, "size") == 0 && !want_size) || nagg == 64)
            continue;
        snprintf(aggs[nagg], NAME_MAX_LEN, "%s/%s", g, name);
        cohort_sink *sink = NULL;
        st = cohort_sink_open(c->ctx, out, aggs[nagg], col.type, col.width, 1, ncells, &w, &sink);
        if (st == COHORT_OK)
            st = cohort_sink_write(c->ctx, sink, first, &col);
        int st2 = cohort_sink_close(c->ctx, &sink);
        st = st == COHORT_OK ? st2 : st;
        nagg++;
    }
    /* The coordinates: GROUP/<dimension>, rank 0's values, attached to every aggregate. */
    for (int i = 0; st == COHORT_OK && i < k; i++) {
        const dim *d = &dims[map[i]];
        if (!d->has_coord || d->count != extent[map[i]])
            continue;
        char path[NAME_MAX_LEN + 4200];
        snprintf(path, sizeof path, "%s/%s", g, d->name);
        cohort_column col = cohort_column_make(d->name, (cohort_type)d->type, c->rank == 0 ? d->count : 0,
                                               c->rank == 0 ? d->values : NULL);
        st = cohort_output_write(c->ctx, out, path, &col, 1, NULL);
        for (int a = 0; st == COHORT_OK && a < nagg; a++)
            st = cohort_output_attach_scale(c->ctx, out, aggs[a], i, path, d->scale_name[0] ? d->scale_name : d->name);
    }
    return st;
}

int main(int argc, char **argv)
{
    cli c = {.prog = "cohort-reduce",
             .usage = "--input FILE:/VAR --over DIM[,DIM...] --output FILE:/GROUP [--agg LIST] [options]",
             .summary = "Aggregate an N-D variable over some of its dimensions (as ncra/ncwa, CDO's timmean and\n"
                        "fldmean, xarray's .mean(dim=...)), across all ranks: one (N-k)-D dataset per aggregate,\n"
                        "named after it (mean, std, ...), with the remaining dimensions' coordinates attached as\n"
                        "dimension scales.  Missing values (NaN, or as the CF conventions say) are skipped: a cell\n"
                        "whose values are all missing has count 0, sum 0 and NaN elsewhere (xarray's skipna).\n"
                        "Counts, sums of integers, min, max, median and quantiles are exact and do not depend on\n"
                        "the number of ranks; with --reproducible no result does.",
             .options = options};
    int code = cli_start(&c, &argc, &argv);
    if (code != CLI_EXIT_OK)
        return cli_finish(&c, code);
    const char *input = NULL, *output = NULL, *over = NULL, *v;
    int key;
    int64_t gzip = 0;
    cohort_groupby_options o = {0};
    while ((key = cli_next(&c, argc, argv, &v, &code)) > 0) {
        bool ok = true;
        switch (key) {
        case 'i': input = v; break;
        case 'o': output = v; break;
        case OPT_OVER: over = v; break;
        case OPT_AGG:
            if (cohort_agg_parse(v, &o) != COHORT_OK || (o.aggs & (COHORT_AGG_FIRST | COHORT_AGG_LAST)))
                ok = (cli_usage(&c, "--agg %s: expected a list of count,sum,mean,min,max,var,std,sem,median,"
                                    "quantile:Q (Q in [0, 1], at most %d),prod,nunique,size", v, COHORT_AGG_MAXQUANTILES),
                      false);
            break;
        case OPT_REPRODUCIBLE: o.reproducible = 1; break;
        case OPT_GZIP: ok = cli_int64(&c, "--gzip", v, 1, &gzip) && (gzip <= 9 || (cli_usage(&c, "--gzip %s: 1 to 9", v), false)); break;
        }
        if (!ok)
            return cli_finish(&c, CLI_EXIT_USAGE);
    }
    if (key < 0)
        return cli_finish(&c, code);
    if (cli_optind < argc)
        return cli_finish(&c, cli_usage(&c, "unexpected argument %s", argv[cli_optind]));
    if (!input || !over || !output)
        return cli_finish(&c, cli_usage(&c, "--input, --over and --output are required"));
    if (!o.aggs)
        o.aggs = COHORT_AGG_MEAN;
    bool want_size = o.aggs & COHORT_AGG_SIZE;
    char file[4096] = "", group[4096] = "";
    if (!cli_output_ref(&c, output, file, group, sizeof file))
        return cli_finish(&c, CLI_EXIT_USAGE);

    cohort_input *in = NULL;
    char inputs_text[4200];
    c.input_flags = COHORT_INPUT_FLAT; /* a 2-D variable is a field, its values in order */
    int st = cli_open_inputs(&c, &input, 1, &in, inputs_text, sizeof inputs_text);
    code = cli_fail(&c, st, false);
    if (code != CLI_EXIT_OK) {
        cli_close_inputs(&in, 1);
        return cli_finish(&c, code);
    }
    const cohort_dataset_info *info = cohort_input_info(in);
    cohort_type type = cohort_input_type(in);
    int n = info->ndims;
    int keep[COHORT_MAX_DIMS];
    dim dims[COHORT_MAX_DIMS];
    memset(dims, 0, sizeof dims);
    char pattern[4096], dataset[4096], member[4096];
    cohort_ref_parse(input, pattern, dataset, member, sizeof pattern);
    if (type == COHORT_BYTES || member[0]) {
        code = cli_input_error(&c, "%s: a numeric variable of its own (not a string, not a member of a table) is reduced",
                               input);
        cli_close_inputs(&in, 1);
        return cli_finish(&c, code);
    }
    read_dims(&c, pattern, dataset, n, cohort_input_nfiles(in), dims);
    if (!parse_over(&c, over, n, dims, keep, dataset)) {
        for (int a = 0; a < n; a++)
            free(dims[a].values);
        cli_close_inputs(&in, 1);
        return cli_finish(&c, CLI_EXIT_USAGE);
    }

    /* Output strides over the kept dimensions, row-major; the cell count. */
    cell_source cs = {.comm = cohort_ctx_comm(c.ctx), .n = n, .ncols = cohort_input_ncols(in), .type = type, .width = cohort_input_width(in)};
    int64_t ncells = 1, values = cohort_input_rows(in) * cs.ncols;
    for (int a = n - 1; a >= 0; a--) {
        cs.dims[a] = info->dims[a];
        cs.ostride[a] = keep[a] ? ncells : 0;
        ncells *= keep[a] ? info->dims[a] : 1;
    }
    for (int a = 0; a < n; a++)
        if (!keep[a] && info->dims[a] == 0 && ncells > 0) {
            if (c.rank == 0)
                fprintf(stderr, "%s: error: %s: dimension %s has no extent: nothing to reduce\n", c.prog, input,
                        dims[a].name);
            for (int k = 0; k < n; k++)
                free(dims[k].values);
            cli_close_inputs(&in, 1);
            return cli_finish(&c, CLI_EXIT_INPUT);
        }

    cohort_table *tab = NULL;
    cohort_source src = {.ncols = 2, .rewind = cells_rewind, .next = cells_next, .arg = &cs};
    st = cohort_stream_open(c.ctx, in, 0, &cs.stream);
    if (st == COHORT_OK)
        st = cohort_groupby(c.ctx, &src, 1, &o, &tab);
    /* Every cell is a group, and each rank holds a contiguous run of them. */
    int64_t mine = st == COHORT_OK ? cohort_table_rows(tab) : 0, first = 0, total = 0;
    const int64_t *cell = st == COHORT_OK && mine ? cohort_table_column(tab, 0).data : NULL;
    int contiguous = cell == NULL || cell[mine - 1] - cell[0] == mine - 1;
    MPI_Comm comm = cohort_ctx_comm(c.ctx);
    MPI_Allreduce(&mine, &total, 1, MPI_INT64_T, MPI_SUM, comm);
    MPI_Allreduce(MPI_IN_PLACE, &contiguous, 1, MPI_INT, MPI_MIN, comm);
    MPI_Exscan(&mine, &first, 1, MPI_INT64_T, MPI_SUM, comm);
    if (c.rank == 0)
        first = 0;
    code = cli_fail(&c, st, false);
    if (code == CLI_EXIT_OK && (total != ncells || !contiguous || (cell && cell[0] != first))) {
        if (c.rank == 0)
            fprintf(stderr, "%s: error: %s: internal error: %lld of %lld cells reduced\n", c.prog, input,
                    (long long)total, (long long)ncells);
        code = CLI_EXIT_INTERNAL;
    }
    cohort_output *out = NULL;
    if (code == CLI_EXIT_OK) {
        st = cli_output_open(&c, file, inputs_text, &out);
        if (st == COHORT_OK)
            st = write_results(&c, out, tab, group, n, info->dims, keep, dims, ncells, first, (int)gzip, want_size);
        code = cli_fail(&c, st, true);
        int st2 = cohort_output_close(c.ctx, &out, st == COHORT_OK);
        if (code == CLI_EXIT_OK && st2 != COHORT_OK)
            code = cli_fail(&c, st2, true);
    }
    if (code == CLI_EXIT_OK && c.rank == 0) {
        printf("%s: %lld values of %s reduced over", c.prog, (long long)values, dataset);
        for (int a = 0, k = 0; a < n; a++)
            if (!keep[a])
                printf("%s%s", k++ ? ", " : " ", dims[a].name);
        printf(" into %lld cell(s)", (long long)ncells);
        for (int a = 0, k = 0; a < n; a++)
            if (keep[a])
                printf("%s%s %lld", k++ ? " x " : " (", dims[a].name, (long long)info->dims[a]);
        printf("%s, written to %s:%s\n", ncells > 1 || n > 1 ? ")" : "", file, group);
    }
    cohort_table_destroy(&tab);
    cohort_stream_close(&cs.stream);
    free(cs.cells), free(cs.values);
    for (int a = 0; a < n; a++)
        free(dims[a].values);
    cli_close_inputs(&in, 1);
    return cli_finish(&c, code);
}
