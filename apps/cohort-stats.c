/*
 * cohort-stats — one pass of per-column moments (and covariance,
 * correlation, PCA) over datasets read in parallel; a linear regression
 * in a second pass.
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_COV = CLI_OPT_FIRST_FREE, OPT_CORR, OPT_REGRESS, OPT_RIDGE, OPT_TSQR, OPT_PCA, OPT_PCA_CORR, OPT_DDOF,
       OPT_WEIGHTS, OPT_REPRODUCIBLE };

#define MAX_INPUTS 256

static const cli_option options[] = {
    {"input", 'i', "FILE:/PATH", "columns: a 2-D dataset (one variable per column), a 1-D dataset or a member (repeat)"},
    {"cov", OPT_COV, NULL, "the covariance matrix (np.cov) over the rows with no NaN"},
    {"corr", OPT_CORR, NULL, "the correlation matrix (np.corrcoef) over the rows with no NaN"},
    {"regress", OPT_REGRESS, "FILE:/Y", "least squares of Y on the input columns, with an intercept"},
    {"ridge", OPT_RIDGE, "L", "ridge penalty L on the coefficients (default 0)"},
    {"tsqr", OPT_TSQR, NULL, "regress by a tall-skinny QR (for ill-conditioned data) instead of Cholesky"},
    {"pca", OPT_PCA, "K", "the top K principal components of the covariance matrix"},
    {"pca-corr", OPT_PCA_CORR, NULL, "PCA of the correlation matrix instead"},
    {"ddof", OPT_DDOF, "D", "delta degrees of freedom of var, std and cov (default 1)"},
    {"weights", OPT_WEIGHTS, "FILE:/W", "a frequency weight per row (a precision weight in the regression)"},
    {"reproducible", OPT_REPRODUCIBLE, NULL, "every result the same bits for any number of ranks (exact sums, two passes; slower)"},
    {"output", 'o', "FILE:/GROUP", "write the results as datasets into an HDF5 group"},
    {"format", CLI_OPT_FORMAT, "FMT", "text (default) or json"},
    {"force", CLI_OPT_FORCE, NULL, "replace the output file if it exists (atomically)"},
    {"append", CLI_OPT_APPEND, NULL, "add to (or replace a group in) an existing output file"},
    CLI_RAW_OPTION,
    {NULL, 0, NULL, NULL},
};

typedef struct job {
    int d;
    char **names;
    const char *target_name;
    bool cov, corr, weighted;
    double ddof, ridge;
    int pca_k, pca_corr, tsqr, reproducible;
    cohort_stats *stats;
    cohort_column_stats *cols;
    double *covm, *corrm;
    cohort_pca *pca;
    cohort_regression *reg;
} job;

static void json_matrix(const double *m, int r, int c)
{
    putchar('[');
    for (int i = 0; i < r; i++) {
        if (i)
            printf(", ");
        json_numbers(stdout, m + (size_t)i * c, c);
    }
    putchar(']');
}

static void json_field(const char *name, double v)
{
    printf(", \"%s\": ", name);
    cli_print_double(stdout, v, CLI_FORMAT_JSON);
}

static void print_json(const job *j)
{
    printf("{\"rows\": %lld, \"columns\": [", (long long)cohort_stats_rows(j->stats));
    for (int k = 0; k < j->d; k++) {
        const cohort_column_stats *s = &j->cols[k];
        printf("%s{\"name\": ", k ? ", " : "");
        json_string(stdout, j->names[k], SIZE_MAX);
        printf(", \"count\": %lld, \"nan\": %lld", (long long)s->count, (long long)s->nan);
        if (j->weighted)
            json_field("weight", s->weight);
        json_field("sum", s->sum), json_field("mean", s->mean), json_field("var", s->var);
        json_field("std", s->std), json_field("min", s->min), json_field("max", s->max);
        json_field("skew", s->skew), json_field("kurtosis", s->kurtosis);
        putchar('}');
    }
    putchar(']');
    if (j->cov || j->corr || j->pca_k)
        printf(", \"matrix_rows\": %lld", (long long)cohort_stats_matrix_rows(j->stats));
    if (j->cov)
        printf(", \"cov\": "), json_matrix(j->covm, j->d, j->d);
    if (j->corr)
        printf(", \"corr\": "), json_matrix(j->corrm, j->d, j->d);
    if (j->reg) {
        const cohort_regression *r = j->reg;
        printf(", \"regression\": {\"target\": ");
        json_string(stdout, j->target_name, SIZE_MAX);
        printf(", \"method\": \"%s\", \"rows\": %lld", j->tsqr ? "tsqr" : "cholesky", (long long)r->rows);
        json_field("ridge", j->ridge);
        json_field("intercept", r->intercept);
        json_field("intercept_stderr", r->intercept_std_error);
        printf(", \"coef\": "), json_numbers(stdout, r->coef, r->p);
        printf(", \"stderr\": "), json_numbers(stdout, r->std_error, r->p);
        json_field("r2", r->r2), json_field("rss", r->rss), json_field("sigma2", r->sigma2);
        printf(", \"rank\": %d}", r->rank);
    }
    if (j->pca) {
        const cohort_pca *p = j->pca;
        printf(", \"pca\": {\"matrix\": \"%s\", \"explained_variance\": ", j->pca_corr ? "corr" : "cov");
        json_numbers(stdout, p->explained_variance, p->k);
        printf(", \"explained_variance_ratio\": ");
        json_numbers(stdout, p->explained_variance_ratio, p->k);
        printf(", \"components\": ");
        json_matrix(p->components, p->k, p->d);
        putchar('}');
    }
    printf("}\n");
}

/* The width of the name column: the longest name, so that no name is cut
 * (two long names that share a prefix must stay two). */
static int name_width(const job *j)
{
    size_t w = 14;
    for (int k = 0; k < j->d; k++)
        w = strlen(j->names[k]) > w ? strlen(j->names[k]) : w;
    return w > 4096 ? 4096 : (int)w;
}

static void text_matrix(const job *j, const char *title, const double *m)
{
    int w = name_width(j), cw = 13; /* cells: as wide as a number or the longest name */
    for (int k = 0; k < j->d; k++)
        cw = (int)strlen(j->names[k]) > cw ? (int)strlen(j->names[k]) : cw;
    printf("\n%s (%lld complete rows):\n%-*s", title, (long long)cohort_stats_matrix_rows(j->stats), w, "");
    for (int k = 0; k < j->d; k++)
        printf(" %*s", cw, j->names[k]);
    putchar('\n');
    for (int i = 0; i < j->d; i++) {
        printf("%-*s", w, j->names[i]);
        for (int k = 0; k < j->d; k++)
            printf(" %*.6g", cw, m[(size_t)i * j->d + k]);
        putchar('\n');
    }
}

static void print_text(const job *j)
{
    printf("%lld rows, %d column%s%s\n", (long long)cohort_stats_rows(j->stats), j->d, j->d == 1 ? "" : "s",
           j->weighted ? ", weighted" : "");
    int w = name_width(j);
    printf("%-*s %12s %8s %13s %13s %13s %13s %9s %9s\n", w, "column", "count", "nan", "mean", "std", "min", "max",
           "skew", "kurtosis");
    for (int k = 0; k < j->d; k++) {
        const cohort_column_stats *s = &j->cols[k];
        printf("%-*s %12lld %8lld %13.6g %13.6g %13.6g %13.6g %9.4g %9.4g\n", w, j->names[k], (long long)s->count,
               (long long)s->nan, s->mean, s->std, s->min, s->max, s->skew, s->kurtosis);
    }
    if (j->cov)
        text_matrix(j, "covariance", j->covm);
    if (j->corr)
        text_matrix(j, "correlation", j->corrm);
    if (j->reg) {
        const cohort_regression *r = j->reg;
        printf("\nregression of %s (%s%s, %lld rows, rank %d): R^2 = %.6g, sigma^2 = %.6g\n", j->target_name,
               j->tsqr ? "TSQR" : "Cholesky", j->ridge > 0 ? ", ridge" : "", (long long)r->rows, r->rank, r->r2,
               r->sigma2);
        printf("%-*s %15s %15s\n", w, "term", "coefficient", "std error");
        printf("%-*s %15.8g %15.8g\n", w, "(intercept)", r->intercept, r->intercept_std_error);
        for (int k = 0; k < r->p; k++)
            printf("%-*s %15.8g %15.8g\n", w, j->names[k], r->coef[k], r->std_error[k]);
    }
    if (j->pca) {
        const cohort_pca *p = j->pca;
        printf("\nprincipal components of the %s matrix:\n", j->pca_corr ? "correlation" : "covariance");
        for (int c = 0; c < p->k; c++) {
            printf("PC%-3d variance %12.6g (%5.1f%%):", c + 1, p->explained_variance[c],
                   100 * p->explained_variance_ratio[c]);
            for (int k = 0; k < p->d; k++)
                printf(" %8.4f", p->components[(size_t)c * p->d + k]);
            putchar('\n');
        }
    }
}

/* Rank 0 writes @n doubles (or int64) as dataset @name in @group; the others take part. */
static int put(cli *c, cohort_output *out, const char *group, const char *name, cohort_type t, const void *v,
               int64_t rows, int ncols)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", strcmp(group, "/") ? group : "", name);
    cohort_column *cols = calloc((size_t)ncols, sizeof *cols);
    double *tmp = ncols > 1 ? malloc((size_t)rows * ncols * sizeof *tmp) : NULL;
    if (!cols || (ncols > 1 && !tmp)) {
        free(cols);
        return COHORT_ERR_NOMEM; /* every rank allocates the same sizes */
    }
    int64_t mine = c->rank == 0 ? rows : 0;
    for (int k = 0; k < ncols; k++) {
        const void *data = v;
        if (ncols > 1) { /* a row-major matrix into column views */
            for (int64_t i = 0; i < rows; i++)
                tmp[(size_t)k * rows + i] = ((const double *)v)[(size_t)i * ncols + k];
            data = tmp + (size_t)k * rows;
        }
        cols[k] = cohort_column_make(NULL, t, mine, (void *)data);
    }
    int st = cohort_output_write(c->ctx, out, path, cols, ncols, NULL);
    free(cols);
    free(tmp);
    return st;
}

static int write_hdf5(cli *c, const job *j, const char *file, const char *group, const char *inputs)
{
    cohort_output *out = NULL;
    int st = cli_output_open(c, file, inputs, &out);
    int d = j->d;
    size_t width = 1;
    for (int k = 0; k < d; k++)
        width = strlen(j->names[k]) > width ? strlen(j->names[k]) : width;
    char *names = calloc((size_t)d, width);
    double *v = malloc((size_t)d * sizeof *v);
    int64_t *iv = malloc((size_t)d * sizeof *iv);
    if (st == COHORT_OK && (!names || !v || !iv))
        st = COHORT_ERR_NOMEM;
    if (st == COHORT_OK) {
        for (int k = 0; k < d; k++)
            memcpy(names + (size_t)k * width, j->names[k], strlen(j->names[k]));
        cohort_column nc = cohort_column_make_bytes(NULL, width, c->rank == 0 ? d : 0, names);
        char path[4400];
        snprintf(path, sizeof path, "%s/names", strcmp(group, "/") ? group : "");
        st = cohort_output_write(c->ctx, out, path, &nc, 1, NULL);
    }
    for (int f = 0; st == COHORT_OK && f < 2; f++) {
        for (int k = 0; k < d; k++)
            iv[k] = f == 0 ? j->cols[k].count : j->cols[k].nan;
        st = put(c, out, group, f == 0 ? "count" : "nan", COHORT_INT64, iv, d, 1);
    }
    static const char *const fields[] = {"weight", "sum", "mean", "var", "std", "min", "max", "skew", "kurtosis"};
    for (int f = j->weighted ? 0 : 1; st == COHORT_OK && f < 9; f++) {
        for (int k = 0; k < d; k++) {
            const cohort_column_stats *s = &j->cols[k];
            double all[9] = {s->weight, s->sum, s->mean, s->var, s->std, s->min, s->max, s->skew, s->kurtosis};
            v[k] = all[f];
        }
        st = put(c, out, group, fields[f], COHORT_DOUBLE, v, d, 1);
    }
    /* The per-column table again, as one table pandas.read_hdf(FILE, GROUP)
     * opens: a row per column (rank 0's), the fields above as columns. */
    double *tv = st == COHORT_OK ? malloc((size_t)d * 9 * sizeof *tv) : NULL;
    int64_t *tc = st == COHORT_OK ? malloc((size_t)d * 2 * sizeof *tc) : NULL;
    if (st == COHORT_OK && (!tv || !tc))
        st = COHORT_ERR_NOMEM;
    if (st == COHORT_OK) {
        int64_t mine = c->rank == 0 ? d : 0;
        cohort_column tcols[12];
        int nt = 0;
        tcols[nt++] = cohort_column_make_bytes("names", width, mine, names);
        for (int k = 0; k < d; k++)
            tc[k] = j->cols[k].count, tc[d + k] = j->cols[k].nan;
        tcols[nt++] = cohort_column_make("count", COHORT_INT64, mine, tc);
        tcols[nt++] = cohort_column_make("nan", COHORT_INT64, mine, tc + d);
        for (int f = j->weighted ? 0 : 1; f < 9; f++) {
            for (int k = 0; k < d; k++) {
                const cohort_column_stats *s = &j->cols[k];
                double all[9] = {s->weight, s->sum, s->mean, s->var, s->std, s->min, s->max, s->skew, s->kurtosis};
                tv[(size_t)f * d + k] = all[f];
            }
            tcols[nt++] = cohort_column_make(fields[f], COHORT_DOUBLE, mine, tv + (size_t)f * d);
        }
        st = cohort_output_write_pandas(c->ctx, out, strcmp(group, "") ? group : "/", tcols, nt);
    }
    free(tv);
    free(tc);
    int64_t rows = cohort_stats_rows(j->stats), mrows = cohort_stats_matrix_rows(j->stats);
    if (st == COHORT_OK)
        st = cohort_output_write_attr(c->ctx, out, group, "rows", COHORT_INT64, 0, 1, &rows);
    if (st == COHORT_OK && (j->cov || j->corr || j->pca))
        st = cohort_output_write_attr(c->ctx, out, group, "matrix_rows", COHORT_INT64, 0, 1, &mrows);
    if (st == COHORT_OK && j->cov)
        st = put(c, out, group, "cov", COHORT_DOUBLE, j->covm, d, d);
    if (st == COHORT_OK && j->corr)
        st = put(c, out, group, "corr", COHORT_DOUBLE, j->corrm, d, d);
    if (st == COHORT_OK && j->reg) {
        const cohort_regression *r = j->reg;
        char sub[4400];
        snprintf(sub, sizeof sub, "%s/regression", strcmp(group, "/") ? group : "");
        st = put(c, out, sub, "coef", COHORT_DOUBLE, r->coef, r->p, 1);
        if (st == COHORT_OK)
            st = put(c, out, sub, "stderr", COHORT_DOUBLE, r->std_error, r->p, 1);
        static const char *const an[] = {"intercept", "intercept_stderr", "r2", "rss", "sigma2", "ridge"};
        double av[6] = {r->intercept, r->intercept_std_error, r->r2, r->rss, r->sigma2, j->ridge};
        for (int k = 0; st == COHORT_OK && k < 6; k++)
            st = cohort_output_write_attr(c->ctx, out, sub, an[k], COHORT_DOUBLE, 0, 1, &av[k]);
        int64_t ia[2] = {r->rows, r->rank};
        if (st == COHORT_OK)
            st = cohort_output_write_attr(c->ctx, out, sub, "rows", COHORT_INT64, 0, 1, &ia[0]);
        if (st == COHORT_OK)
            st = cohort_output_write_attr(c->ctx, out, sub, "rank", COHORT_INT64, 0, 1, &ia[1]);
        if (st == COHORT_OK)
            st = cohort_output_write_attr(c->ctx, out, sub, "target", COHORT_BYTES, strlen(j->target_name), 1,
                                          j->target_name);
    }
    if (st == COHORT_OK && j->pca) {
        const cohort_pca *p = j->pca;
        char sub[4400];
        snprintf(sub, sizeof sub, "%s/pca", strcmp(group, "/") ? group : "");
        st = put(c, out, sub, "explained_variance", COHORT_DOUBLE, p->explained_variance, p->k, 1);
        if (st == COHORT_OK)
            st = put(c, out, sub, "explained_variance_ratio", COHORT_DOUBLE, p->explained_variance_ratio, p->k, 1);
        if (st == COHORT_OK)
            st = put(c, out, sub, "components", COHORT_DOUBLE, p->components, p->k, p->d);
    }
    int code = cli_fail(c, st, true);
    int st2 = cohort_output_close(c->ctx, &out, st == COHORT_OK);
    if (code == CLI_EXIT_OK && st2 != COHORT_OK)
        code = cli_fail(c, st2, true);
    free(names), free(v), free(iv);
    return code;
}

int main(int argc, char **argv)
{
    cli c = {.prog = "cohort-stats",
             .usage = "--input FILE:/PATH [--input ...] [--cov] [--corr] [--regress FILE:/Y] [--pca K] [options]",
             .summary = "Count, NaN, sum, mean, var, std, min, max, skewness and kurtosis of every column (pandas'\n"
                        "definitions, NaN skipped), and with --cov/--corr/--pca the matrices over the rows with no\n"
                        "NaN, in one pass of mergeable, numerically stable states over all ranks.  --regress fits\n"
                        "Y on the columns with an intercept (a second pass); rank-deficient designs get the\n"
                        "minimum-norm solution and a warning.  --reproducible: every result the same bits for any\n"
                        "number of ranks, from exact sums in two passes.",
             .options = options};
    int code = cli_start(&c, &argc, &argv);
    if (code != CLI_EXIT_OK)
        return cli_finish(&c, code);
    const char *inputs[MAX_INPUTS], *target = NULL, *weights = NULL, *output = NULL, *v;
    int nin = 0, key;
    job j = {.ddof = 1};
    while ((key = cli_next(&c, argc, argv, &v, &code)) > 0) {
        bool ok = true;
        int64_t k;
        switch (key) {
        case 'i':
            if (nin == MAX_INPUTS)
                ok = (cli_usage(&c, "at most %d inputs", MAX_INPUTS), false);
            else
                inputs[nin++] = v;
            break;
        case 'o': output = v; break;
        case OPT_COV: j.cov = true; break;
        case OPT_CORR: j.corr = true; break;
        case OPT_REGRESS: target = v; break;
        case OPT_RIDGE:
            ok = cli_double(&c, "--ridge", v, &j.ridge);
            if (ok && !(j.ridge >= 0 && isfinite(j.ridge)))
                ok = (cli_usage(&c, "--ridge: a finite value >= 0 expected"), false);
            break;
        case OPT_TSQR: j.tsqr = 1; break;
        case OPT_PCA: ok = cli_int64(&c, "--pca", v, 1, &k), j.pca_k = ok && k < 1 << 30 ? (int)k : 0; break;
        case OPT_PCA_CORR: j.pca_corr = 1; break;
        case OPT_DDOF:
            ok = cli_double(&c, "--ddof", v, &j.ddof);
            if (ok && !(j.ddof >= 0 && isfinite(j.ddof)))
                ok = (cli_usage(&c, "--ddof: a finite value >= 0 expected"), false);
            break;
        case OPT_WEIGHTS: weights = v; j.weighted = true; break;
        case OPT_REPRODUCIBLE: j.reproducible = 1; break;
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
    if (c.format == CLI_FORMAT_CSV)
        return cli_finish(&c, cli_usage(&c, "--format: text or json"));
    if (j.pca_corr && !j.pca_k)
        return cli_finish(&c, cli_usage(&c, "--pca-corr goes with --pca K"));
    if ((j.ridge > 0 || j.tsqr) && !target)
        return cli_finish(&c, cli_usage(&c, "--ridge and --tsqr go with --regress"));
    if (j.tsqr && j.reproducible)
        return cli_finish(&c, cli_usage(&c, "--reproducible solves the normal equations: not with --tsqr"));
    char file[4096] = "", group[4096] = "";
    if (output && !cli_output_ref(&c, output, file, group, sizeof file))
        return cli_finish(&c, CLI_EXIT_USAGE);

    /* Open everything: the inputs, the target, the weights. */
    int nall = nin + (target ? 1 : 0) + (weights ? 1 : 0);
    cohort_input *ins[MAX_INPUTS + 2] = {0};
    const char *refs[MAX_INPUTS + 2];
    memcpy(refs, inputs, (size_t)nin * sizeof *refs);
    if (target)
        refs[nin] = target;
    if (weights)
        refs[nall - 1] = weights;
    char inputs_text[16384];
    int st = cli_open_inputs(&c, refs, nall, ins, inputs_text, sizeof inputs_text);
    for (int k = 0; st == COHORT_OK && k < nall; k++)
        if (k < nin)
            j.d += cohort_input_ncols(ins[k]);
        else if (cohort_input_ncols(ins[k]) != 1 && code == CLI_EXIT_OK)
            code = cli_input_error(&c, "%s has %d columns; one expected", refs[k], cohort_input_ncols(ins[k]));
    if (st != COHORT_OK)
        code = cli_fail(&c, st, false);
    if (code == CLI_EXIT_OK && j.pca_k > j.d)
        code = cli_usage(&c, "--pca %d: there are %d columns", j.pca_k, j.d);
    if (code == CLI_EXIT_OK && (j.names = calloc((size_t)j.d, sizeof *j.names)) == NULL)
        code = cli_fail(&c, COHORT_ERR_NOMEM, false);
    for (int k = 0, at = 0; code == CLI_EXIT_OK && k < nin; k++)
        for (int m = 0; m < cohort_input_ncols(ins[k]); m++)
            j.names[at++] = (char *)cohort_input_column_name(ins[k], m);
    if (target && code == CLI_EXIT_OK)
        j.target_name = cohort_input_column_name(ins[nin], 0);

    /* Pass 1: moments (and the matrix) of the inputs [and the weights]. */
    cohort_stream *stream = NULL;
    cohort_source src;
    if (code == CLI_EXIT_OK) {
        cohort_input *pass[MAX_INPUTS + 1];
        memcpy(pass, ins, (size_t)nin * sizeof *pass);
        if (weights)
            pass[nin] = ins[nall - 1];
        int flags = (weights ? COHORT_STATS_WEIGHTED : 0) | (j.cov || j.corr || j.pca_k ? COHORT_STATS_MATRIX : 0) |
                    (j.reproducible ? COHORT_STATS_REPRODUCIBLE : 0);
        st = cohort_stream_open_inputs(c.ctx, pass, nin + (weights ? 1 : 0), 0, &stream);
        if (st == COHORT_OK) {
            cohort_stream_source(stream, &src);
            st = cohort_stats_compute(c.ctx, &src, flags, &j.stats);
        }
        cohort_stream_close(&stream);
        j.cols = calloc((size_t)j.d, sizeof *j.cols);
        if (st == COHORT_OK && j.cols == NULL)
            st = COHORT_ERR_NOMEM;
        for (int k = 0; st == COHORT_OK && k < j.d; k++)
            st = cohort_stats_column(j.stats, k, j.ddof, &j.cols[k]);
        size_t dd = (size_t)j.d * (size_t)j.d;
        if (st == COHORT_OK && j.cov && ((j.covm = malloc(dd * sizeof(double))) == NULL ||
                                         cohort_stats_covariance(j.stats, j.ddof, j.covm) != COHORT_OK))
            st = COHORT_ERR_NOMEM;
        if (st == COHORT_OK && j.corr && ((j.corrm = malloc(dd * sizeof(double))) == NULL ||
                                          cohort_stats_correlation(j.stats, j.corrm) != COHORT_OK))
            st = COHORT_ERR_NOMEM;
        if (st == COHORT_OK && j.pca_k)
            st = cohort_pca_compute(c.ctx, j.stats, j.pca_k, j.pca_corr, j.ddof, &j.pca);
        code = cli_fail(&c, st, false);
    }
    /* Pass 2: the regression over the inputs, the target [and the weights]. */
    if (code == CLI_EXIT_OK && target) {
        st = cohort_stream_open_inputs(c.ctx, ins, nall, 0, &stream);
        cohort_regress_options ro = {j.tsqr ? COHORT_REGRESS_TSQR : COHORT_REGRESS_CHOLESKY, j.ridge, weights != NULL,
                                     j.reproducible};
        if (st == COHORT_OK) {
            cohort_stream_source(stream, &src);
            st = cohort_regress(c.ctx, &src, &ro, &j.reg);
        }
        cohort_stream_close(&stream);
        code = cli_fail(&c, st, false);
        if (code == CLI_EXIT_OK && j.reg->rank < j.reg->p && c.rank == 0)
            fprintf(stderr,
                    "%s: warning: the columns have rank %d of %d (constant or collinear columns): "
                    "minimum-norm coefficients\n",
                    c.prog, j.reg->rank, j.reg->p);
    }
    if (code == CLI_EXIT_OK && output)
        code = write_hdf5(&c, &j, file, group, inputs_text);
    else if (code == CLI_EXIT_OK && c.rank == 0) {
        if (c.format == CLI_FORMAT_JSON)
            print_json(&j);
        else
            print_text(&j);
    }
    cohort_stats_destroy(&j.stats);
    cohort_pca_destroy(&j.pca);
    cohort_regression_destroy(&j.reg);
    free(j.cols), free(j.covm), free(j.corrm), free(j.names);
    cli_close_inputs(ins, nall);
    return cli_finish(&c, code);
}
