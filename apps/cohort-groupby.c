/*
 * cohort-groupby — group rows by key columns and aggregate value columns,
 * over datasets read in parallel; the groups come out in key order, spread
 * over the ranks, written in parallel or printed through rank 0 one rank
 * at a time (bounded memory).
 */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_KEYS = CLI_OPT_FIRST_FREE, OPT_VALUES, OPT_AGG, OPT_REPRODUCIBLE, OPT_DROPNA };

#define MAX_INPUTS 64
#define CHUNK_BYTES ((size_t)1 << 20) /* printed text travels to rank 0 in pieces of about this */

static const cli_option options[] = {
    {"keys", 'k', "FILE:/PATH", "a key column: integers, floats or strings, fixed- or variable-length (repeat for a composite key)"},
    {"values", 'V', "FILE:/PATH", "a numeric value column to aggregate (repeat)"},
    {"agg", OPT_AGG, "LIST",
     "aggregates, as pandas names them: size,count,sum,mean,min,max,var,std,sem,prod,first,last,median,quantile:Q,nunique (default sum,mean)"},
    {"reproducible", OPT_REPRODUCIBLE, NULL, "every result the same bits for any number of ranks (exact float sums)"},
    {"dropna", OPT_DROPNA, "yes|no", "float keys: drop the rows whose key is NaN (yes, the default, as pandas) or keep them as one group, last"},
    {"output", 'o', "FILE:/GROUP", "write one dataset per result column into an HDF5 group"},
    {"format", CLI_OPT_FORMAT, "FMT", "text (a table, the default), csv or json"},
    {"force", CLI_OPT_FORCE, NULL, "replace the output file if it exists (atomically)"},
    {"append", CLI_OPT_APPEND, NULL, "add to (or replace a group in) an existing output file"},
    CLI_RAW_OPTION,
    {NULL, 0, NULL, NULL},
};

/* The width of a column in the text table. */
static int text_width(const cohort_column *c)
{
    int w = c->type == COHORT_BYTES ? (int)c->width : 13;
    return (int)strlen(c->name) > w ? (int)strlen(c->name) : w;
}

/* Rows [from, to) of the result as text; @first: whether row `from` is the
 * first of the whole result (JSON separators). */
static void format_rows(FILE *t, const cohort_table *tab, int64_t from, int64_t to, bool first, cli_format f)
{
    int nc = cohort_table_ncolumns(tab);
    for (int64_t i = from; i < to; i++) {
        if (f == CLI_FORMAT_JSON)
            fputs(first && i == from ? "\n  {" : ",\n  {", t);
        for (int j = 0; j < nc; j++) {
            cohort_column c = cohort_table_column(tab, j);
            if (f == CLI_FORMAT_JSON) {
                fputs(j ? ", " : "", t);
                json_string(t, c.name, SIZE_MAX);
                fputs(": ", t);
            } else if (f == CLI_FORMAT_CSV && j) {
                putc(',', t);
            }
            if (f == CLI_FORMAT_TEXT) {
                char *cell = NULL;
                size_t len = 0;
                FILE *m = open_memstream(&cell, &len);
                if (m) {
                    cli_print_cell(m, &c, i, f);
                    fclose(m);
                }
                fprintf(t, "%*s", text_width(&c) + (j ? 1 : 0), cell ? cell : "");
                free(cell);
            } else {
                cli_print_cell(t, &c, i, f);
            }
        }
        fputs(f == CLI_FORMAT_JSON ? "}" : "\n", t);
    }
}

/* Print the result: rank 0 its rows, then each rank's in turn, in pieces. */
static int print_result(cli *c, const cohort_table *tab, int64_t groups)
{
    MPI_Comm comm = cohort_ctx_comm(c->ctx);
    int64_t n = cohort_table_rows(tab), before = 0;
    MPI_Exscan(&n, &before, 1, MPI_INT64_T, MPI_SUM, comm);
    if (c->rank == 0)
        before = 0;
    int nc = cohort_table_ncolumns(tab);
    if (c->rank == 0) { /* the header */
        if (c->format == CLI_FORMAT_JSON)
            printf("{\"groups\": %lld, \"rows\": [", (long long)groups);
        for (int j = 0; c->format != CLI_FORMAT_JSON && j < nc; j++) {
            const char *name = cohort_table_column(tab, j).name;
            if (c->format == CLI_FORMAT_CSV)
                fputs(j ? "," : "", stdout), cli_csv_field(stdout, name, strlen(name));
            else {
                cohort_column col = cohort_table_column(tab, j);
                printf("%*s", text_width(&col) + (j ? 1 : 0), name);
            }
        }
        if (c->format != CLI_FORMAT_JSON)
            putchar('\n');
    }
    /* Rows per piece: about CHUNK_BYTES of text. */
    int64_t step = (int64_t)(CHUNK_BYTES / (16 * (size_t)nc + 16)) + 1;
    for (int r = 0; r < c->size; r++) {
        if (c->rank == r) {
            for (int64_t at = 0; at < n; at += step) {
                char *text = NULL;
                size_t len = 0;
                FILE *m = open_memstream(&text, &len);
                int64_t to = n - at < step ? n : at + step;
                if (m) {
                    format_rows(m, tab, at, to, before + at == 0, c->format);
                    fclose(m);
                }
                if (r == 0) {
                    fwrite(text, 1, len, stdout);
                } else {
                    int64_t l = (int64_t)len;
                    MPI_Send(&l, 1, MPI_INT64_T, 0, 40, comm);
                    MPI_Send(text, (int)l, MPI_CHAR, 0, 41, comm);
                }
                free(text);
            }
            if (r != 0) {
                int64_t end = -1;
                MPI_Send(&end, 1, MPI_INT64_T, 0, 40, comm);
            }
        } else if (c->rank == 0) {
            for (;;) {
                int64_t len;
                MPI_Recv(&len, 1, MPI_INT64_T, r, 40, comm, MPI_STATUS_IGNORE);
                if (len < 0)
                    break;
                char *buf = malloc((size_t)len + 1);
                MPI_Recv(buf, (int)len, MPI_CHAR, r, 41, comm, MPI_STATUS_IGNORE);
                fwrite(buf, 1, (size_t)len, stdout);
                free(buf);
            }
        }
    }
    if (c->rank == 0 && c->format == CLI_FORMAT_JSON)
        printf("%s]}\n", groups ? "\n" : "");
    if (c->rank == 0 && c->format == CLI_FORMAT_TEXT)
        printf("%lld groups\n", (long long)groups);
    fflush(stdout);
    return CLI_EXIT_OK;
}

static int write_hdf5(cli *c, const cohort_table *tab, int nkeycols, const char *file, const char *group,
                      const char *inputs)
{
    cohort_output *out = NULL;
    int st = cli_output_open(c, file, inputs, &out);
    const char *g = strcmp(group, "/") ? group : "";
    for (int j = 0; st == COHORT_OK && j < cohort_table_ncolumns(tab); j++) {
        cohort_column col = cohort_table_column(tab, j);
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", g, col.name);
        st = cohort_output_write(c->ctx, out, path, &col, 1, NULL);
    }
    /* One key: unique and sorted, the coordinate of every result column
     * (a dimension scale; xarray indexes the results by it). */
    for (int j = 1; st == COHORT_OK && nkeycols == 1 && j < cohort_table_ncolumns(tab); j++) {
        const char *key = cohort_table_column(tab, 0).name;
        char path[4400], scale[4400];
        snprintf(path, sizeof path, "%s/%s", g, cohort_table_column(tab, j).name);
        snprintf(scale, sizeof scale, "%s/%s", g, key);
        st = cohort_output_attach_scale(c->ctx, out, path, 0, scale, key);
    }
    /* The same columns as one table that pandas.read_hdf(FILE, GROUP) opens
     * (a small second copy), unless a column is itself named "table". */
    int ncols = cohort_table_ncolumns(tab);
    cohort_column *all = malloc((size_t)ncols * sizeof *all);
    bool clash = false;
    if (st == COHORT_OK && all == NULL)
        st = COHORT_ERR_NOMEM;
    for (int j = 0; st == COHORT_OK && j < ncols; j++)
        all[j] = cohort_table_column(tab, j), clash = clash || strcmp(all[j].name, "table") == 0;
    if (st == COHORT_OK && !clash)
        st = cohort_output_write_pandas(c->ctx, out, group, all, ncols);
    else if (st == COHORT_OK && c->rank == 0)
        fprintf(stderr, "%s: note: a column is named \"table\", the name pandas' table takes: no pandas table written\n",
                c->prog);
    free(all);
    int code = cli_fail(c, st, true);
    int st2 = cohort_output_close(c->ctx, &out, st == COHORT_OK);
    if (code == CLI_EXIT_OK && st2 != COHORT_OK)
        code = cli_fail(c, st2, true);
    return code;
}

int main(int argc, char **argv)
{
    cli c = {.prog = "cohort-groupby",
             .usage = "--keys FILE:/K [--keys ...] --values FILE:/V [--values ...] [--agg LIST] [options]",
             .summary = "Group the rows by the key columns and aggregate the value columns, across all ranks: local\n"
                        "hash aggregation, one exchange of partial groups, results in key order spread over the\n"
                        "ranks.  The column \"size\" is the rows of each group; NaN values are skipped by every other\n"
                        "aggregate (as pandas).  Integer sums and products are exact (an error when they do not fit\n"
                        "int64, or uint64 for unsigned values); median, quantiles and nunique are exact.  Sizes,\n"
                        "counts, integer results, min, max, first, last, median, quantiles and nunique do not\n"
                        "depend on the number of ranks; with --reproducible no result does.",
             .options = options};
    int code = cli_start(&c, &argc, &argv);
    if (code != CLI_EXIT_OK)
        return cli_finish(&c, code);
    const char *keys[MAX_INPUTS], *values[MAX_INPUTS], *output = NULL, *v;
    int nk = 0, nv = 0, key;
    cohort_groupby_options o = {0};
    while ((key = cli_next(&c, argc, argv, &v, &code)) > 0) {
        bool ok = true;
        switch (key) {
        case 'k':
        case 'V':
            if ((key == 'k' ? nk : nv) == MAX_INPUTS)
                ok = (cli_usage(&c, "at most %d --keys and --values each", MAX_INPUTS), false);
            else if (key == 'k')
                keys[nk++] = v;
            else
                values[nv++] = v;
            break;
        case 'o': output = v; break;
        case OPT_AGG:
            if (cohort_agg_parse(v, &o) != COHORT_OK)
                ok = (cli_usage(&c, "--agg %s: expected a list of size,count,sum,mean,min,max,var,std,sem,prod,first,last,"
                                    "median,quantile:Q (Q in [0, 1], at most %d),nunique", v, COHORT_AGG_MAXQUANTILES), false);
            break;
        case OPT_REPRODUCIBLE: o.reproducible = 1; break;
        case OPT_DROPNA:
            if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0)
                o.keep_nan_keys = strcmp(v, "no") == 0;
            else
                ok = (cli_usage(&c, "--dropna %s: use yes or no", v), false);
            break;
        }
        if (!ok)
            return cli_finish(&c, CLI_EXIT_USAGE);
    }
    if (key < 0)
        return cli_finish(&c, code);
    if (cli_optind < argc)
        return cli_finish(&c, cli_usage(&c, "unexpected argument %s", argv[cli_optind]));
    if (nk == 0)
        return cli_finish(&c, cli_usage(&c, "--keys is required"));
    if (o.aggs && (o.aggs & ~(unsigned)COHORT_AGG_SIZE) && nv == 0)
        return cli_finish(&c, cli_usage(&c, "--agg %s needs --values", "aggregates other than size"));
    if (!o.aggs && nv == 0)
        o.aggs = COHORT_AGG_SIZE; /* keys alone: the size of each group */
    char file[4096] = "", group[4096] = "";
    if (output && !cli_output_ref(&c, output, file, group, sizeof file))
        return cli_finish(&c, CLI_EXIT_USAGE);

    /* Open the inputs; the keys' columns come first in the stream. */
    cohort_input *ins[2 * MAX_INPUTS] = {0};
    const char *refs[2 * MAX_INPUTS];
    memcpy(refs, keys, (size_t)nk * sizeof *refs);
    memcpy(refs + nk, values, (size_t)nv * sizeof *refs);
    char inputs_text[16384];
    int st = cli_open_inputs(&c, refs, nk + nv, ins, inputs_text, sizeof inputs_text), nkeycols = 0;
    for (int k = 0; st == COHORT_OK && k < nk; k++)
        nkeycols += cohort_input_ncols(ins[k]);
    code = cli_fail(&c, st, false);
    /* 2-D inputs bring their columns: too many is the files' doing (exit 2),
     * named here rather than as cohort_groupby's invalid argument. */
    int nvalcols = 0;
    for (int k = nk; code == CLI_EXIT_OK && k < nk + nv; k++)
        nvalcols += cohort_input_ncols(ins[k]);
    if (code == CLI_EXIT_OK && (nkeycols > COHORT_AGG_MAXKEYS || nvalcols > COHORT_AGG_MAXVALUES)) {
        bool keys_over = nkeycols > COHORT_AGG_MAXKEYS;
        int n = keys_over ? nk : nv;
        code = cli_input_error(&c, "%s%s %s %d %s columns; at most %d are grouped on at once",
                               n == 1 ? "" : "the inputs from ",
                               n == 1 ? refs[keys_over ? 0 : nk] : keys_over ? "--keys" : "--values",
                               n == 1 ? "has" : "have", keys_over ? nkeycols : nvalcols, keys_over ? "key" : "value",
                               keys_over ? COHORT_AGG_MAXKEYS : COHORT_AGG_MAXVALUES);
    }
    cohort_stream *stream = NULL;
    cohort_table *tab = NULL;
    int64_t groups = 0;
    if (code == CLI_EXIT_OK) {
        st = cohort_stream_open_inputs(c.ctx, ins, nk + nv, 0, &stream);
        cohort_source src;
        if (st == COHORT_OK) {
            cohort_stream_source(stream, &src);
            st = cohort_groupby(c.ctx, &src, nkeycols, &o, &tab);
        }
        if (st == COHORT_OK) {
            groups = cohort_table_rows(tab);
            MPI_Allreduce(MPI_IN_PLACE, &groups, 1, MPI_INT64_T, MPI_SUM, cohort_ctx_comm(c.ctx));
        }
        code = cli_fail(&c, st, false);
    }
    if (code == CLI_EXIT_OK && output)
        code = write_hdf5(&c, tab, nkeycols, file, group, inputs_text);
    else if (code == CLI_EXIT_OK)
        code = print_result(&c, tab, groups);
    cohort_table_destroy(&tab);
    cohort_stream_close(&stream);
    cli_close_inputs(ins, nk + nv);
    return cli_finish(&c, code);
}
