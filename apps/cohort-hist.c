/*
 * cohort-hist — histograms of datasets with numpy's bin membership: 1-D
 * (np.histogram) and N-D (np.histogramdd), uniform, log-spaced or explicit
 * edges, weights, density, cumulative; streamed in bounded memory.
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_BINS = CLI_OPT_FIRST_FREE, OPT_EDGES, OPT_RANGE, OPT_LOG, OPT_WEIGHTS, OPT_DENSITY, OPT_CUMULATIVE };

static const cli_option options[] = {
    {"input", 'i', "FILE:/PATH", "a data column (repeat for N-D; a 2-D dataset gives one dimension per column)"},
    {"bins", OPT_BINS, "N[,N2...]", "uniform bins per dimension (default 10), or for 1-D numpy's estimator: auto, fd, doane, scott, stone, rice, sturges or sqrt"},
    {"edges", OPT_EDGES, "[D=]E0,E1,...", "explicit bin edges (repeat once per dimension, or name dimension D; its --bins is ignored)"},
    {"range", OPT_RANGE, "LO:HI", "the range of the bins (repeat per dimension; default: the data's min and max)"},
    {"log", OPT_LOG, NULL, "log-spaced bins over --range (as numpy.logspace)"},
    {"weights", OPT_WEIGHTS, "FILE:/PATH", "a weight per row: bins hold sums of weights"},
    {"density", OPT_DENSITY, NULL, "divide by bin volumes and the total (numpy density=True)"},
    {"cumulative", OPT_CUMULATIVE, NULL, "running totals over the bins (1-D)"},
    {"output", 'o', "FILE:/GROUP", "write counts, edges and attributes into an HDF5 group"},
    {"format", CLI_OPT_FORMAT, "FMT", "text (a bar chart, the default), csv or json"},
    {"force", CLI_OPT_FORCE, NULL, "replace the output file if it exists (atomically)"},
    {"append", CLI_OPT_APPEND, NULL, "add to (or replace a group in) an existing output file"},
    CLI_RAW_OPTION,
    {NULL, 0, NULL, NULL},
};

static double bin_value(const cohort_hist *h, int64_t b)
{
    return h->counts ? (double)h->counts[b] : h->values[b];
}

static void print_value(const cohort_hist *h, int64_t b, cli_format f)
{
    if (h->counts)
        printf("%lld", (long long)h->counts[b]);
    else
        cli_print_double(stdout, h->values[b], f);
}

/* The edges of bin b along each dimension. */
static void bin_edges(const cohort_hist *h, int64_t b, double *lo, double *hi)
{
    int64_t stride = h->size;
    for (int d = 0; d < h->ndim; d++) {
        stride /= h->nbins[d];
        int64_t k = (b / stride) % h->nbins[d];
        lo[d] = h->edges[d][k], hi[d] = h->edges[d][k + 1];
    }
}

static void print_text(const cohort_hist *h)
{
    double mx = 0;
    for (int64_t b = 0; b < h->size; b++)
        mx = fmax(mx, bin_value(h, b));
    for (int64_t b = 0; b < h->size; b++) {
        double lo[COHORT_HIST_MAXDIM], hi[COHORT_HIST_MAXDIM], v = bin_value(h, b);
        bin_edges(h, b, lo, hi);
        if (h->ndim > 1 && v == 0)
            continue; /* N-D: only the bins that hold something */
        for (int d = 0; d < h->ndim; d++) {
            bool last = (b / (h->size / h->nbins[0])) == h->nbins[0] - 1 && h->ndim == 1;
            printf("%s[%11.5g, %11.5g%c", d ? " x " : "", lo[d], hi[d], last ? ']' : ')');
        }
        printf(" %12.6g |", v);
        int bar = mx > 0 ? (int)lround(50.0 * v / mx) : 0;
        for (int i = 0; i < bar; i++)
            fputs("\u2588", stdout);
        putchar('\n');
    }
    printf("total %lld rows: %lld NaN, %lld below the range, %lld above\n", (long long)h->total, (long long)h->nan,
           (long long)h->underflow, (long long)h->overflow);
}

static void print_csv(const cohort_hist *h)
{
    for (int d = 0; d < h->ndim; d++)
        printf(h->ndim == 1 ? "lo,hi," : "lo_%d,hi_%d,", d, d);
    printf("%s\n", h->counts ? "count" : "value");
    for (int64_t b = 0; b < h->size; b++) {
        double lo[COHORT_HIST_MAXDIM], hi[COHORT_HIST_MAXDIM];
        bin_edges(h, b, lo, hi);
        for (int d = 0; d < h->ndim; d++) {
            cli_print_double(stdout, lo[d], CLI_FORMAT_CSV);
            putchar(',');
            cli_print_double(stdout, hi[d], CLI_FORMAT_CSV);
            putchar(',');
        }
        print_value(h, b, CLI_FORMAT_CSV);
        putchar('\n');
    }
}

/* Counts nested as the dimensions are: [[...], [...]] for 2-D. */
static void print_nested(const cohort_hist *h, int d, int64_t base, int64_t stride)
{
    putchar('[');
    int64_t inner = stride / h->nbins[d];
    for (int64_t k = 0; k < h->nbins[d]; k++) {
        if (k)
            printf(", ");
        if (d + 1 < h->ndim)
            print_nested(h, d + 1, base + k * inner, inner);
        else
            print_value(h, base + k, CLI_FORMAT_JSON);
    }
    putchar(']');
}

static void print_json(const cohort_hist *h)
{
    printf("{\"edges\": ");
    if (h->ndim == 1) {
        json_numbers(stdout, h->edges[0], h->nbins[0] + 1);
    } else {
        putchar('[');
        for (int d = 0; d < h->ndim; d++) {
            if (d)
                printf(", ");
            json_numbers(stdout, h->edges[d], h->nbins[d] + 1);
        }
        putchar(']');
    }
    printf(", \"counts\": ");
    print_nested(h, 0, 0, h->size);
    printf(", \"nan\": %lld, \"underflow\": %lld, \"overflow\": %lld, \"total\": %lld}\n", (long long)h->nan,
           (long long)h->underflow, (long long)h->overflow, (long long)h->total);
}

/* Write the histogram (the same on every rank) from rank 0 into FILE:/GROUP. */
static int write_hdf5(cli *c, const cohort_hist *h, const char *file, const char *group, const char *inputs)
{
    cohort_output *out = NULL;
    int st = cli_output_open(c, file, inputs, &out);
    char path[4200];
    int64_t mine = c->rank == 0 ? 1 : 0; /* rank 0 writes, the others take part with nothing */
    /* counts: 1-D, or 2-D as a table of nbins[0] rows; higher dimensions flattened in C order */
    int ncols = h->ndim == 2 ? (int)h->nbins[1] : 1;
    int64_t rows = h->size / ncols;
    cohort_column *cols = calloc((size_t)ncols, sizeof *cols);
    double *vals = malloc((size_t)h->size * 8 + 8);
    int64_t *cnts = malloc((size_t)h->size * 8 + 8);
    if (st == COHORT_OK && (!cols || !vals || !cnts))
        st = COHORT_ERR_NOMEM;
    for (int j = 0; st == COHORT_OK && j < ncols; j++) {
        for (int64_t i = 0; i < rows; i++) { /* column j of the C-ordered bins */
            if (h->counts)
                cnts[(size_t)j * (size_t)rows + (size_t)i] = h->counts[i * ncols + j];
            else
                vals[(size_t)j * (size_t)rows + (size_t)i] = h->values[i * ncols + j];
        }
        cols[j] = h->counts ? cohort_column_make(NULL, COHORT_INT64, mine * rows, cnts + (size_t)j * (size_t)rows)
                            : cohort_column_make(NULL, COHORT_DOUBLE, mine * rows, vals + (size_t)j * (size_t)rows);
    }
    snprintf(path, sizeof path, "%s/counts", strcmp(group, "/") ? group : "");
    if (st == COHORT_OK)
        st = cohort_output_write(c->ctx, out, path, cols, ncols, NULL);
    for (int d = 0; st == COHORT_OK && d < h->ndim; d++) {
        cohort_column e = cohort_column_make(NULL, COHORT_DOUBLE, mine * (h->nbins[d] + 1), h->edges[d]);
        if (h->ndim == 1)
            snprintf(path, sizeof path, "%s/edges", strcmp(group, "/") ? group : "");
        else
            snprintf(path, sizeof path, "%s/edges_%d", strcmp(group, "/") ? group : "", d);
        st = cohort_output_write(c->ctx, out, path, &e, 1, NULL);
        if (st == COHORT_OK) /* its own dimension, "edges" ("edges_D"), to xarray */
            st = cohort_output_attach_scale(c->ctx, out, NULL, 0, path, strrchr(path, '/') + 1);
    }
    /* The bin centres, attached to the counts' axes as dimension scales:
     * xarray shows the counts on them (the edges, one longer, cannot be). */
    double *centre = malloc(((size_t)(h->ndim > 0 ? h->nbins[0] : 0) + (h->ndim > 1 ? (size_t)h->nbins[1] : 0)) * 8 + 8);
    if (st == COHORT_OK && !centre)
        st = COHORT_ERR_NOMEM;
    char counts[4200];
    snprintf(counts, sizeof counts, "%s/counts", strcmp(group, "/") ? group : "");
    for (int d = 0, at = 0; st == COHORT_OK && h->ndim <= 2 && d < h->ndim; at += (int)h->nbins[d], d++) {
        for (int64_t k = 0; k < h->nbins[d]; k++)
            centre[at + k] = h->edges[d][k] / 2 + h->edges[d][k + 1] / 2; /* no overflow near DBL_MAX */
        cohort_column e = cohort_column_make(NULL, COHORT_DOUBLE, mine * h->nbins[d], centre + at);
        if (h->ndim == 1)
            snprintf(path, sizeof path, "%s/center", strcmp(group, "/") ? group : "");
        else
            snprintf(path, sizeof path, "%s/center_%d", strcmp(group, "/") ? group : "", d);
        st = cohort_output_write(c->ctx, out, path, &e, 1, NULL);
        if (st == COHORT_OK)
            st = cohort_output_attach_scale(c->ctx, out, counts, d, path, strrchr(path, '/') + 1);
    }
    free(centre);
    static const char *const names[] = {"nan", "underflow", "overflow", "total"};
    int64_t vals4[4] = {h->nan, h->underflow, h->overflow, h->total};
    for (int k = 0; st == COHORT_OK && k < 4; k++)
        st = cohort_output_write_attr(c->ctx, out, group, names[k], COHORT_INT64, 0, 1, &vals4[k]);
    if (st == COHORT_OK && h->ndim > 2)
        st = cohort_output_write_attr(c->ctx, out, group, "shape", COHORT_INT64, 0, h->ndim, h->nbins);
    int code = cli_fail(c, st, true);
    int st2 = cohort_output_close(c->ctx, &out, st == COHORT_OK);
    if (code == CLI_EXIT_OK && st2 != COHORT_OK)
        code = cli_fail(c, st2, true);
    free(cols);
    free(vals);
    free(cnts);
    return code;
}

int main(int argc, char **argv)
{
    cli c = {.prog = "cohort-hist",
             .usage = "--input FILE:/PATH [--input ...] [--bins N[,N...]|auto|fd|...] [--edges [D=]E0,E1,...] [options]",
             .summary = "Histogram of one column (numpy.histogram) or several (numpy.histogramdd), read in parallel\n"
                        "and streamed in bounded memory: half-open bins, the last closed; values outside the range\n"
                        "and NaN are counted aside, never binned.  Without --range the range is the data's global\n"
                        "min and max (NaN excluded).  Counts are identical for any number of ranks.",
             .options = options};
    int code = cli_start(&c, &argc, &argv);
    if (code != CLI_EXIT_OK)
        return cli_finish(&c, code);
    const char *inputs[COHORT_HIST_MAXDIM], *weights = NULL, *output = NULL, *v;
    int nin = 0, nranges = 0, nedges = 0, flags = 0, key, log = 0;
    double *bins = NULL, lo[COHORT_HIST_MAXDIM], hi[COHORT_HIST_MAXDIM], *edges[COHORT_HIST_MAXDIM] = {0};
    int nbins = 0, edges_n[COHORT_HIST_MAXDIM], edges_dim[COHORT_HIST_MAXDIM];
    cohort_hist_bin_rule rule = COHORT_HIST_BINS_GIVEN;
    while ((key = cli_next(&c, argc, argv, &v, &code)) > 0) {
        bool ok = true;
        switch (key) {
        case 'i':
            if (nin == COHORT_HIST_MAXDIM)
                ok = (cli_usage(&c, "at most %d dimensions", COHORT_HIST_MAXDIM), false);
            else
                inputs[nin++] = v;
            break;
        case 'o': output = v; break;
        case OPT_BINS:
            bins = NULL, nbins = 0, rule = COHORT_HIST_BINS_GIVEN;
            if (cohort_hist_bin_rule_parse(v, &rule) != COHORT_OK)
                ok = cli_doubles(&c, "--bins", v, &bins, &nbins);
            break;
        case OPT_EDGES: {
            const char *eq = strchr(v, '='), *list = v;
            int dim = nedges;
            if (eq) { /* D=E0,E1,...: the edges of dimension D */
                char *end;
                long dl = strtol(v, &end, 10);
                if (end != eq || dl < 0 || dl >= COHORT_HIST_MAXDIM) {
                    ok = (cli_usage(&c, "--edges %s: expected D=E0,E1,... with a dimension D from 0", v), false);
                    break;
                }
                dim = (int)dl, list = eq + 1;
            }
            for (int k = 0; ok && k < nedges; k++)
                if (edges_dim[k] == dim)
                    ok = (cli_usage(&c, "--edges: dimension %d given twice", dim), false);
            if (ok && nedges == COHORT_HIST_MAXDIM)
                ok = (cli_usage(&c, "too many --edges"), false);
            if (ok && (ok = cli_doubles(&c, "--edges", list, &edges[nedges], &edges_n[nedges])))
                edges_dim[nedges++] = dim;
            break;
        }
        case OPT_RANGE: {
            char *colon = *v ? strchr(v + 1, ':') : NULL, *end1, *end2;
            if (nranges == COHORT_HIST_MAXDIM || !colon) {
                ok = (cli_usage(&c, "--range %s: expected LO:HI", v), false);
                break;
            }
            lo[nranges] = strtod(v, &end1);
            hi[nranges] = strtod(colon + 1, &end2);
            /* Both bounds, always: "0:" is no range (strtod reads "" as 0). */
            if (end1 == v || end2 == colon + 1)
                ok = (cli_usage(&c, "--range %s: give both bounds, LO:HI (leave --range out for the data's own)", v),
                      false);
            else if (end1 != colon || *end2 || !(lo[nranges] <= hi[nranges]) || !isfinite(lo[nranges]) ||
                     !isfinite(hi[nranges]))
                ok = (cli_usage(&c, "--range %s: expected LO:HI with finite LO <= HI", v), false);
            nranges++;
            break;
        }
        case OPT_LOG: log = 1; break;
        case OPT_WEIGHTS: weights = v; flags |= COHORT_HIST_WEIGHTED; break;
        case OPT_DENSITY: flags |= COHORT_HIST_DENSITY; break;
        case OPT_CUMULATIVE: flags |= COHORT_HIST_CUMULATIVE; break;
        }
        if (!ok)
            return cli_finish(&c, CLI_EXIT_USAGE);
    }
    if (key < 0)
        return cli_finish(&c, code);
    if (cli_optind < argc)
        return cli_finish(&c, cli_usage(&c, "unexpected argument %s", argv[cli_optind]));
    if (nin == 0)
        return cli_finish(&c, cli_usage(&c, "--input is required"));
    if (rule != COHORT_HIST_BINS_GIVEN && (nedges || log || weights))
        return cli_finish(&c, cli_usage(&c, "--bins %s: an estimator takes no --edges, --log or --weights",
                                        "auto|fd|doane|scott|stone|rice|sturges|sqrt"));
    if (log && (nedges || nranges == 0))
        return cli_finish(&c, cli_usage(&c, "--log needs --range LO:HI with LO > 0 (and no --edges)"));
    char file[4096] = "", group[4096] = "";
    if (output && !cli_output_ref(&c, output, file, group, sizeof file))
        return cli_finish(&c, CLI_EXIT_USAGE);

    /* Open the inputs; their columns are the dimensions. */
    cohort_input *ins[COHORT_HIST_MAXDIM + 1] = {0};
    const char *refs[COHORT_HIST_MAXDIM + 1];
    memcpy(refs, inputs, (size_t)nin * sizeof *refs);
    refs[nin] = weights;
    int nall = nin + (weights ? 1 : 0), ndim = 0;
    char inputs_text[8192];
    int st = cli_open_inputs(&c, refs, nall, ins, inputs_text, sizeof inputs_text);
    for (int k = 0; st == COHORT_OK && k < nin; k++)
        ndim += cohort_input_ncols(ins[k]);
    /* The inputs' columns are the files' doing (exit 2). */
    if (st == COHORT_OK && weights && cohort_input_ncols(ins[nin]) != 1)
        code = cli_input_error(&c, "--weights %s has %d columns; weights are one", weights,
                               cohort_input_ncols(ins[nin]));
    if (st != COHORT_OK)
        code = cli_fail(&c, st, false);
    if (code == CLI_EXIT_OK && ndim > COHORT_HIST_MAXDIM)
        code = cli_input_error(&c, "%s %s %d columns; a histogram has at most %d dimensions",
                               nin == 1 ? refs[0] : "the inputs", nin == 1 ? "has" : "have in all", ndim,
                               COHORT_HIST_MAXDIM);
    if (code == CLI_EXIT_OK && ((nbins > 1 && nbins != ndim) || (nranges > 1 && nranges != ndim)))
        code = cli_usage(&c, "give --bins and --range once, or once per dimension (%d)", ndim);
    for (int k = 0; code == CLI_EXIT_OK && k < nedges; k++)
        if (edges_dim[k] >= ndim)
            code = cli_usage(&c, "--edges for dimension %d: there are %d", edges_dim[k], ndim);
    if (code == CLI_EXIT_OK && rule != COHORT_HIST_BINS_GIVEN && ndim > 1)
        code = cli_usage(&c, "bin estimators are for 1-D histograms");
    if (code == CLI_EXIT_OK && (flags & COHORT_HIST_CUMULATIVE) && ndim > 1)
        code = cli_usage(&c, "--cumulative is for 1-D histograms");
    cohort_hist_axis axes[COHORT_HIST_MAXDIM];
    for (int d = 0; code == CLI_EXIT_OK && d < ndim; d++) {
        double b = bins ? bins[nbins > 1 ? d : 0] : 10;
        int e = -1; /* this dimension's --edges, if any */
        for (int k = 0; k < nedges; k++)
            e = edges_dim[k] == d ? k : e;
        if (e < 0 && !(b >= 1 && b == floor(b) && b < 1e12))
            code = cli_usage(&c, "--bins: positive integers expected");
        axes[d] = (cohort_hist_axis){(int64_t)b, nranges ? lo[nranges > 1 ? d : 0] : NAN,
                                     nranges ? hi[nranges > 1 ? d : 0] : NAN, log, e >= 0 ? edges[e] : NULL,
                                     e >= 0 ? edges_n[e] : 0, rule};
    }

    cohort_stream *stream = NULL;
    cohort_hist *h = NULL;
    if (code == CLI_EXIT_OK) {
        st = cohort_stream_open_inputs(c.ctx, ins, nall, 0, &stream);
        cohort_source src;
        if (st == COHORT_OK) {
            cohort_stream_source(stream, &src);
            st = cohort_histogram(c.ctx, &src, axes, ndim, flags, &h);
        }
        code = cli_fail(&c, st, false);
    }
    if (code == CLI_EXIT_OK && output)
        code = write_hdf5(&c, h, file, group, inputs_text);
    else if (code == CLI_EXIT_OK && c.rank == 0) {
        if (c.format == CLI_FORMAT_JSON)
            print_json(h);
        else if (c.format == CLI_FORMAT_CSV)
            print_csv(h);
        else
            print_text(h);
    }
    cohort_hist_destroy(&h);
    cohort_stream_close(&stream);
    cli_close_inputs(ins, nall);
    return cli_finish(&c, code);
}
