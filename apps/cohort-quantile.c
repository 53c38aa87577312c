/*
 * cohort-quantile — exact quantiles of a dataset (numpy.nanquantile's
 * methods) by distributed selection, streamed in bounded memory.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

enum { OPT_Q = CLI_OPT_FIRST_FREE, OPT_METHOD, OPT_APPROX };

static const cli_option options[] = {
    {"input", 'i', "FILE:/PATH", "the values: a 1-D dataset or a compound member (required)"},
    {"q", OPT_Q, "Q1,Q2,...", "probabilities in [0, 1] (default 0.5)"},
    {"method", OPT_METHOD, "METHOD", "numpy.quantile's: linear (default), lower, higher, nearest, midpoint, inverted_cdf, "
                                     "averaged_inverted_cdf, closest_observation, interpolated_inverted_cdf, hazen, weibull, "
                                     "median_unbiased or normal_unbiased"},
    {"approx", OPT_APPROX, "EPS", "accepted for scripts written for the sketch it once chose: exact selection is faster, so the answer is exact (within any EPS)"},
    {"format", CLI_OPT_FORMAT, "FMT", "text (default), csv or json"},
    CLI_RAW_OPTION,
    {NULL, 0, NULL, NULL},
};

int main(int argc, char **argv)
{
    cli c = {.prog = "cohort-quantile",
             .usage = "--input FILE:/PATH [--q Q1,Q2,...] [--method METHOD] [--format text|csv|json]",
             .summary = "Exact quantiles of a column, NaN excluded and counted (numpy.nanquantile, any of its 13\n"
                        "methods), by distributed selection over all ranks: a few passes over the data, no sort,\n"
                        "bounded memory.  Methods that return an element give it in the column's own type (64-bit\n"
                        "integers exact).",
             .options = options};
    int code = cli_start(&c, &argc, &argv);
    if (code != CLI_EXIT_OK)
        return cli_finish(&c, code);
    const char *input = NULL, *v;
    double *q = NULL, median = 0.5; /* q belongs to c (cli_doubles) */
    int m = 0, key;
    double eps = 0;
    cohort_quantile_method method = COHORT_QUANTILE_LINEAR;
    while ((key = cli_next(&c, argc, argv, &v, &code)) > 0) {
        bool ok = true;
        if (key == 'i')
            input = v;
        else if (key == OPT_Q)
            ok = cli_doubles(&c, "--q", v, &q, &m);
        else if (key == OPT_APPROX)
            ok = cli_double(&c, "--approx", v, &eps) && ((eps > 0 && eps < 1) || (cli_usage(&c, "--approx %s: use 0 < EPS < 1", v), false));
        else if (key == OPT_METHOD && cohort_quantile_method_parse(v, &method) != COHORT_OK)
            ok = (cli_usage(&c, "--method %s: not one of numpy.quantile's methods (see --help)", v), false);
        if (!ok)
            return cli_finish(&c, CLI_EXIT_USAGE);
    }
    if (key < 0)
        return cli_finish(&c, code);
    if (cli_optind < argc)
        return cli_finish(&c, cli_usage(&c, "unexpected argument %s", argv[cli_optind]));
    if (!input)
        return cli_finish(&c, cli_usage(&c, "--input is required"));
    if (!q)
        q = &median, m = 1;
    for (int k = 0; k < m; k++)
        if (!(q[k] >= 0 && q[k] <= 1))
            return cli_finish(&c, cli_usage(&c, "--q: probabilities must be in [0, 1]"));

    cohort_input *in = NULL;
    cohort_stream *s = NULL;
    double *values = malloc((size_t)m * sizeof *values);
    uint64_t *elements = malloc((size_t)m * sizeof *elements); /* room for m of any type */
    bool element = cohort_quantile_method_is_element(method);
    cohort_column out = {NULL, COHORT_DOUBLE, 8, m, values};
    int64_t count = 0, nan = 0;
    int st = cohort_input_open_flags(c.ctx, input, c.raw ? COHORT_INPUT_RAW : 0, &in);
    if (st == COHORT_OK && cohort_input_ncols(in) != 1) {
        code = cli_input_error(&c, "%s has %d columns; quantiles need one", input, cohort_input_ncols(in));
    }
    if (st == COHORT_OK && code == CLI_EXIT_OK)
        st = cohort_stream_open(c.ctx, in, 0, &s);
    if (st == COHORT_OK && code == CLI_EXIT_OK) {
        cohort_source src;
        cohort_stream_source(s, &src);
        /* No sketch for --approx: selection reads the data a few times, yet is
         * 3 to 6 times faster than a one-pass sketch, which must sort every
         * value (bench/hist.sh); cohort_quantiles_approx is for data that
         * can be read only once. */
        if (element) /* the elements themselves, in the column's type */
            st = cohort_quantile_elements(c.ctx, &src, q, m, method, elements, &count, &nan),
            out = (cohort_column){NULL, cohort_input_type(in), cohort_input_width(in), m, elements};
        else
            st = cohort_quantiles(c.ctx, &src, q, m, method, values, &count, &nan);
    }
    if (code == CLI_EXIT_OK)
        code = cli_fail(&c, st, false);
    if (code == CLI_EXIT_OK && c.rank == 0) {
        if (c.format == CLI_FORMAT_JSON) {
            printf("{\"q\": ");
            json_numbers(stdout, q, m);
            printf(", \"values\": [");
            for (int k = 0; k < m; k++)
                printf("%s", k ? ", " : ""), cli_print_cell(stdout, &out, k, CLI_FORMAT_JSON);
            putchar(']');
            printf(", \"count\": %lld, \"nan\": %lld}\n", (long long)count, (long long)nan);
        } else if (c.format == CLI_FORMAT_CSV) {
            printf("q,value\n");
            for (int k = 0; k < m; k++) {
                cli_print_double(stdout, q[k], CLI_FORMAT_CSV);
                putchar(',');
                cli_print_cell(stdout, &out, k, CLI_FORMAT_CSV);
                putchar('\n');
            }
        } else {
            for (int k = 0; k < m; k++) {
                printf("q=%-8g ", q[k]);
                cli_print_cell(stdout, &out, k, element ? CLI_FORMAT_CSV : CLI_FORMAT_TEXT); /* elements in full */
                putchar('\n');
            }
            printf("%lld values, %lld NaN\n", (long long)count, (long long)nan);
        }
    }
    cohort_stream_close(&s);
    cohort_input_close(&in);
    free(values);
    free(elements);
    return cli_finish(&c, code);
}
