/*
 * cohort-sort — sort a dataset across ranks, with payload columns and an
 * optional argsort index, and write the result.  The output's bytes do not
 * depend on the number of ranks.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

enum { OPT_WITH = CLI_OPT_FIRST_FREE, OPT_INDEX, OPT_DESC, OPT_VERIFY, OPT_GZIP, OPT_PANDAS };

static const cli_option options[] = {
    {"input", 'i', "FILE:/PATH", "the keys: a 1-D dataset or a compound member (required)"},
    {"output", 'o', "FILE:/PATH", "where to write the sorted keys (required)"},
    {"with", OPT_WITH, "FILE:/PATH", "a payload column permuted with the keys, written next to the output under its own name (repeatable)"},
    {"index", OPT_INDEX, "NAME", "also write each row's original global index (int64) next to the output as NAME"},
    {"descending", OPT_DESC, NULL, "largest first (NaN still last)"},
    {"verify", OPT_VERIFY, NULL, "prove the result: order across ranks and a checksum of all rows before and after"},
    {"gzip", OPT_GZIP, "LEVEL", "compress the outputs (chunked, shuffle + deflate)"},
    {"pandas", OPT_PANDAS, "/GROUP", "also write the keys, payloads and index as one table that pandas.read_hdf(FILE, GROUP) opens (a second copy)"},
    {"force", CLI_OPT_FORCE, NULL, "replace the output file if it exists (atomically)"},
    {"append", CLI_OPT_APPEND, NULL, "add to (or replace objects in) an existing output file"},
    CLI_RAW_OPTION,
    {NULL, 0, NULL, NULL},
};

/* The name a column gets in the output: the member, or the last path component. */
static const char *column_name(const char *ref)
{
    const char *hash = strrchr(ref, '#'), *slash = strrchr(ref, '/');
    return hash ? hash + 1 : slash ? slash + 1 : ref;
}

int main(int argc, char **argv)
{
    cli c = {.prog = "cohort-sort",
             .usage = "--input FILE:/PATH --output FILE:/PATH [--with FILE:/PATH ...] [--index NAME] [options]",
             .summary = "Sort a dataset over all ranks: stable (equal keys keep their order), exactly balanced, for\n"
                        "every integer type, float, double and strings (fixed- or variable-length); NaN last.  Payload columns\n"
                        "(--with) travel with the keys and are written beside the output dataset.",
             .options = options};
    int code = cli_start(&c, &argc, &argv);
    if (code != CLI_EXIT_OK)
        return cli_finish(&c, code);
    const char *input = NULL, *output = NULL, *index_name = NULL, *pandas = NULL, *v;
    const char *with[64];
    int nwith = 0, key;
    int64_t gzip = 0;
    cohort_sort_options so = {0};
    while ((key = cli_next(&c, argc, argv, &v, &code)) > 0) {
        switch (key) {
        case 'i': input = v; break;
        case 'o': output = v; break;
        case OPT_INDEX: index_name = v; break;
        case OPT_PANDAS:
            if (v[0] != '/')
                return cli_finish(&c, cli_usage(&c, "--pandas %s: name a group, as /GROUP", v));
            pandas = v;
            break;
        case OPT_DESC: so.descending = 1; break;
        case OPT_VERIFY: so.verify = 1; break;
        case OPT_GZIP:
            if (!cli_int64(&c, "--gzip", v, 1, &gzip) || gzip > 9)
                return cli_finish(&c, gzip > 9 ? cli_usage(&c, "--gzip %s: use 1-9", v) : CLI_EXIT_USAGE);
            break;
        case OPT_WITH:
            if (nwith == 64)
                return cli_finish(&c, cli_usage(&c, "at most 64 --with columns"));
            with[nwith++] = v;
            break;
        }
    }
    if (key < 0)
        return cli_finish(&c, code);
    if (cli_optind < argc)
        return cli_finish(&c, cli_usage(&c, "unexpected argument %s", argv[cli_optind]));
    if (!input || !output)
        return cli_finish(&c, cli_usage(&c, "--input and --output are required"));
    char file[4096], path[4096];
    if (!cli_output_ref(&c, output, file, path, sizeof file))
        return cli_finish(&c, CLI_EXIT_USAGE);
    /* Output names: FILE:/dir/y, and /dir/<payload>, /dir/<index>, all distinct. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    const char *names[66];
    int nnames = 0;
    names[nnames++] = strrchr(path, '/') + 1;
    for (int j = 0; j < nwith; j++)
        names[nnames++] = column_name(with[j]);
    if (index_name)
        names[nnames++] = index_name;
    for (int a = 0; a < nnames; a++) {
        if (!names[a][0] || strchr(names[a], '/'))
            return cli_finish(&c, cli_usage(&c, "output name '%s' is not a plain name", names[a]));
        for (int b = 0; b < a; b++)
            if (strcmp(names[a], names[b]) == 0)
                return cli_finish(&c, cli_usage(&c, "two outputs would both be called %s/%s", dir, names[a]));
    }

    /* Read keys and payloads: each rank its balanced share. */
    cohort_input *in = NULL, *win[64] = {0};
    cohort_table *keys = NULL, *pay[64] = {0};
    cohort_column cols[64 * 16];
    int ncols = 0, wcols[64];
    int64_t *index = NULL;
    size_t inputs_len = strlen(input) + 1;
    int st = cohort_input_open_flags(c.ctx, input, c.raw ? COHORT_INPUT_RAW : 0, &in);
    if (st == COHORT_OK && cohort_input_ncols(in) != 1) {
        code = cli_input_error(&c, "%s has %d columns; the keys must be one column (a 1-D dataset or a member)", input,
                               cohort_input_ncols(in));
        cohort_input_close(&in);
        return cli_finish(&c, code);
    }
    if (st == COHORT_OK)
        st = cohort_input_read_partition(c.ctx, in, &keys);
    for (int j = 0; st == COHORT_OK && j < nwith; j++) {
        inputs_len += strlen(with[j]) + 1;
        st = cohort_input_open_flags(c.ctx, with[j], c.raw ? COHORT_INPUT_RAW : 0, &win[j]);
        if (st == COHORT_OK && cohort_input_rows(win[j]) != cohort_input_rows(in)) {
            code = cli_input_error(&c, "%s has %lld rows but the keys %s have %lld", with[j],
                                   (long long)cohort_input_rows(win[j]), input, (long long)cohort_input_rows(in));
            break;
        }
        if (st == COHORT_OK && ncols + cohort_input_ncols(win[j]) > 64 * 16) {
            code = cli_input_error(&c, "the --with inputs have more than %d columns in all", 64 * 16);
            break;
        }
        if (st == COHORT_OK)
            st = cohort_input_read_partition(c.ctx, win[j], &pay[j]);
        wcols[j] = st == COHORT_OK ? cohort_table_ncolumns(pay[j]) : 0;
        for (int k = 0; st == COHORT_OK && k < wcols[j]; k++)
            cols[ncols++] = cohort_table_column(pay[j], k);
    }
    if (code == CLI_EXIT_OK && st != COHORT_OK)
        code = cli_fail(&c, st, false);

    /* Sort. */
    cohort_column k = keys ? cohort_table_column(keys, 0) : (cohort_column){0};
    if (code == CLI_EXIT_OK && index_name && (index = malloc((size_t)k.count * sizeof *index + 8)) == NULL)
        code = CLI_EXIT_MEMORY; /* the same on every rank only by luck: agree below */
    MPI_Allreduce(MPI_IN_PLACE, &code, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (code == CLI_EXIT_OK) {
        st = cohort_sort(c.ctx, &k, cols, ncols, index, &so);
        code = cli_fail(&c, st, false);
    }

    /* Write: keys, payloads, index; atomically. */
    if (code == CLI_EXIT_OK) {
        char *inputs = malloc(inputs_len + 1), dpath[8300];
        snprintf(inputs, inputs_len + 1, "%s", input);
        for (int j = 0; j < nwith; j++)
            strcat(strcat(inputs, " "), with[j]);
        cohort_output *out = NULL;
        cohort_write_options wo = {.gzip_level = (int)gzip};
        st = cli_output_open(&c, file, inputs, &out);
        if (st == COHORT_OK)
            st = cohort_output_write(c.ctx, out, path, &k, 1, &wo);
        for (int j = 0, at = 0; st == COHORT_OK && j < nwith; at += wcols[j], j++) {
            snprintf(dpath, sizeof dpath, "%s/%s", dir, column_name(with[j]));
            st = cohort_output_write(c.ctx, out, dpath, &cols[at], wcols[j], &wo);
        }
        if (st == COHORT_OK && index) {
            cohort_column ic = cohort_column_make(index_name, COHORT_INT64, k.count, index);
            snprintf(dpath, sizeof dpath, "%s/%s", dir, index_name);
            st = cohort_output_write(c.ctx, out, dpath, &ic, 1, &wo);
        }
        if (st == COHORT_OK && pandas) { /* the columns by their names in the output */
            cohort_column *all = malloc(((size_t)ncols + 2) * sizeof *all);
            int nall = 0;
            st = all ? COHORT_OK : COHORT_ERR_NOMEM;
            if (all) {
                all[nall] = k;
                all[nall++].name = strrchr(path, '/') + 1;
                for (int j = 0, at = 0; j < nwith; at += wcols[j], j++)
                    for (int q = 0; q < wcols[j]; q++) {
                        all[nall] = cols[at + q];
                        if (wcols[j] == 1)
                            all[nall].name = column_name(with[j]);
                        nall++;
                    }
                if (index)
                    all[nall++] = cohort_column_make(index_name, COHORT_INT64, k.count, index);
                st = cohort_output_write_pandas(c.ctx, out, pandas, all, nall);
            }
            free(all);
        }
        code = cli_fail(&c, st, true);
        int st2 = cohort_output_close(c.ctx, &out, st == COHORT_OK);
        if (code == CLI_EXIT_OK && st2 != COHORT_OK)
            code = cli_fail(&c, st2, true);
        if (code == CLI_EXIT_OK && c.rank == 0)
            printf("cohort-sort: sorted %lld rows%s%s into %s:%s\n", (long long)cohort_input_rows(in),
                   so.descending ? " (descending)" : "", so.verify ? ", verified" : "", file, path);
        free(inputs);
    }
    free(index);
    for (int j = 0; j < nwith; j++) {
        cohort_table_destroy(&pay[j]);
        cohort_input_close(&win[j]);
    }
    cohort_table_destroy(&keys);
    cohort_input_close(&in);
    return cli_finish(&c, code);
}
