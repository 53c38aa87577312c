/*
 * cli.c — the conventions every bundled program follows, written once.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_optind;

static const cli_option common_options[] = {
    {"verbose", 'v', NULL, "on stderr: a line per phase as it ends and the phase timings over ranks; -vv also each rank's errors as they happen"},
    {"progress", CLI_OPT_PROGRESS, NULL, "on stderr, a line per phase redrawn in place: a bar, the rate and the time left (off unless asked: the same under mpirun, srun and in batch jobs)"},
    {"no-progress", CLI_OPT_NO_PROGRESS, NULL, "no progress bar"},
    {"memory-budget", CLI_OPT_MEMORY, "BYTES", "fail cleanly (exit 4) rather than use more than BYTES per rank (suffixes K, M, G)"},
    {"help", 'h', NULL, "show this help and exit"},
    {"version", CLI_OPT_VERSION, NULL, "show the version and exit"},
    {NULL, 0, NULL, NULL},
};

/* @x with an SI prefix: "12.3 M". */
static void si(double x, char *buf, size_t size)
{
    const char *p = " kMGTP";
    int k = 0;
    while (x >= 999.5 && k < 5)
        x /= 1000, k++;
    snprintf(buf, size, x < 9.95 && k ? "%.1f %c" : "%.0f %c", x, p[k]);
}

static void clock_text(double s, char *buf, size_t size)
{
    long t = (long)(s + 0.5);
    if (s < 59.95)
        snprintf(buf, size, "%.1f s", s);
    else if (t >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
}

/* Rank 0's progress.  With --progress: one line per phase, redrawn in
 * place (a bar, the percentage, the rate and the time left; the time taken
 * once done).  With -v alone: one line per phase when it ends, for logs. */
static void progress_counts(void *arg, const char *phase, double done, double total, const char *unit)
{
    cli *c = arg;
    double now = MPI_Wtime(), f = total > 0 ? done / total : 1.0;
    bool restart = strcmp(phase, c->bar_phase) != 0 || f < c->bar_last;
    if (restart) {
        if (c->bar_open)
            fputc('\n', stderr); /* the previous phase stopped short of 100% */
        snprintf(c->bar_phase, sizeof c->bar_phase, "%s", phase);
        c->bar_start = now;
        c->bar_open = false;
    }
    c->bar_last = f;
    double elapsed = now - c->bar_start;
    /* Rows make a rate (rank 0's: every rank has about as many); steps do not. */
    bool rows = strcmp(unit, "rows") == 0;
    char amount[64] = "", t[32] = "", d[32], n[32];
    si(done, d, sizeof d), si(total, n, sizeof n);
    if (rows && elapsed > 0)
        si(done / elapsed, amount, sizeof amount), strcat(amount, "rows/s per rank");
    else if (!rows)
        snprintf(amount, sizeof amount, "%.0f/%.0f %s", done, total, unit);
    if (f >= 1.0) {
        clock_text(elapsed, t, sizeof t);
        if (c->progress)
            fprintf(stderr, "\r%s: %-12.40s [%s] 100%%  %s  done in %s\033[K\n", c->prog, phase,
                    "##############################", amount, t);
        else if (rows)
            fprintf(stderr, "%s: %s: %srows on rank 0 in %s (%s)\n", c->prog, phase, n, t, amount);
        else
            fprintf(stderr, "%s: %s: %s in %s\n", c->prog, phase, amount, t);
        c->bar_open = false;
    } else if (c->progress) {
        int filled = (int)(f * 30);
        if (done > 0 && elapsed > 0.5)
            clock_text(elapsed * (1 - f) / f, t, sizeof t);
        else
            snprintf(t, sizeof t, "?");
        fprintf(stderr, "\r%s: %-12.40s [%.*s%*s] %3d%%  %s  %s left\033[K", c->prog, phase, filled,
                "##############################", 30 - filled, "", (int)(f * 100), amount, t);
        c->bar_open = true;
    }
    fflush(stderr);
}

/* The temporary file of the output being written, for the signal handler:
 * written while disarmed, read only while armed. */
static char guarded_path[4200];
static volatile sig_atomic_t guard_armed;

static void unlink_and_die(int sig)
{
    if (guard_armed)
        unlink(guarded_path); /* async-signal-safe; every rank tries, one succeeds */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* The library's temporary hook: @path may come into being, or is gone (NULL). */
static void guard_temporary(void *arg, const char *path)
{
    (void)arg;
    guard_armed = 0;
    if (path && strlen(path) < sizeof guarded_path) {
        memcpy(guarded_path, path, strlen(path) + 1);
        guard_armed = 1;
    }
}

static void guard_install(cohort_ctx *ctx)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction sa = {0}, old;
        sa.sa_handler = unlink_and_die;
        sigemptyset(&sa.sa_mask);
        /* Leave a signal the program was started ignoring (nohup) ignored. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
    }
    cohort_ctx_set_temporary_hook(ctx, guard_temporary, NULL);
}

int cli_start(cli *c, int *argc, char ***argv)
{
    int provided;
    /* Open MPI 4.1's collective-write components (vulcan, the default, and
     * two_phase, dynamic_gen2) lose a write's error: on a full disk a
     * compressed output reported success and its chunks did not inflate.
     * "individual" reports it, at the same speed for Cohort's writes (each
     * rank's rows are contiguous).  A user's own choice (mpirun --mca fcoll,
     * or the variable) is kept. */
    setenv("OMPI_MCA_fcoll", "individual", 0);
    /* A file size limit (ulimit -f) is a failed write, exit 3 with the
     * temporary file removed, not a kill by SIGXFSZ that leaves it. */
    signal(SIGXFSZ, SIG_IGN);
#ifdef __GLIBC__
    /* glibc hands a freed buffer over 128 KiB back to the system (and trims
     * the heap's top past 2x that), so buffers allocated per chunk or per
     * piece page-fault in afresh each time: HDF5's filter pipeline
     * allocates two per compressed chunk, and gzip reads ran 5x slower
     * (0.08 against 0.4 GB/s for chunks of 8 MiB).  Up to 32 MiB come from
     * the heap, and up to 64 MiB of freed heap is kept for the next one. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return CLI_EXIT_INTERNAL;
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    /* Formats and progress follow the options alone, never isatty(): Open
     * MPI gives ranks a pseudo-terminal, srun and batch jobs do not, and the
     * same command must give the same output under each. */
    c->progress = false;
    c->format = CLI_FORMAT_TEXT;
    size_t len = 1;
    for (int i = 0; i < *argc; i++)
        len += strlen((*argv)[i]) + 1;
    c->command_line = calloc(len, 1);
    for (int i = 0; c->command_line && i < *argc; i++) {
        /* The program by its name, not by where it was run from. */
        const char *slash = i == 0 ? strrchr((*argv)[0], '/') : NULL;
        strcat(c->command_line, slash ? slash + 1 : (*argv)[i]);
        if (i + 1 < *argc)
            strcat(c->command_line, " ");
    }
    int st = cohort_ctx_create(MPI_COMM_WORLD, &c->ctx);
    if (st != COHORT_OK || c->command_line == NULL) {
        if (c->rank == 0)
            fprintf(stderr, "%s: error: cannot start: %s\n", c->prog, cohort_strerror(st));
        return CLI_EXIT_INTERNAL;
    }
    guard_install(c->ctx);
    return CLI_EXIT_OK;
}

static void print_option(FILE *f, const cli_option *o)
{
    char head[64];
    if (o->key > 0 && o->key < 256)
        snprintf(head, sizeof head, "-%c, --%s%s%s", o->key, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    else
        snprintf(head, sizeof head, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    fprintf(f, "  %-30s %s\n", head, o->help);
}

static void print_help(const cli *c)
{
    printf("Usage: %s %s\n\n%s\n\nOptions:\n", c->prog, c->usage, c->summary);
    for (const cli_option *o = c->options; o->name; o++)
        print_option(stdout, o);
    for (const cli_option *o = common_options; o->name; o++)
        print_option(stdout, o);
    printf("\nExit status: 0 success, 1 usage error, 2 input error, 3 output error,\n"
           "4 out of memory or over the memory budget, 5 MPI or internal error.\n"
           "Run it with mpirun or srun; every rank reads and writes its share.\n");
}

/* "prog: error: MESSAGE" on rank 0, the message cut at @room bytes, then
 * the --help hint for usage errors. */
static void report(const cli *c, size_t room, bool hint, const char *fmt, va_list ap)
{
    char msg[8192];
    vsnprintf(msg, room < sizeof msg ? room : sizeof msg, fmt, ap);
    if (hint)
        fprintf(stderr, "%s: error: %s (try %s --help)\n", c->prog, msg, c->prog);
    else
        fprintf(stderr, "%s: error: %s\n", c->prog, msg);
}

int cli_usage(cli *c, const char *fmt, ...)
{
    if (c->rank == 0) {
        va_list ap;
        va_start(ap, fmt);
        report(c, 1024, true, fmt, ap);
        va_end(ap);
    }
    return CLI_EXIT_USAGE;
}

int cli_input_error(cli *c, const char *fmt, ...)
{
    if (c->rank == 0) {
        va_list ap;
        va_start(ap, fmt);
        report(c, 8192, false, fmt, ap);
        va_end(ap);
    }
    return CLI_EXIT_INPUT;
}

static bool parse_bytes(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1024.0; end++; break;
    case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
    }
    if (end == s || *end != '\0' || errno || !(v >= 0) || v * mult > 9e18)
        return false;
    *out = (int64_t)(v * mult);
    return true;
}

int cli_next(cli *c, int argc, char **argv, const char **value, int *exit_code)
{
    static struct option *longopts;
    static char shortopts[256];
    if (longopts == NULL) {
        int n = 0, k = 0;
        for (const cli_option *o = c->options; o->name; o++)
            n++;
        for (const cli_option *o = common_options; o->name; o++)
            n++;
        longopts = calloc((size_t)n + 1, sizeof *longopts);
        if (longopts == NULL) {
            *exit_code = CLI_EXIT_MEMORY;
            return -1;
        }
        size_t sp = 0;
        shortopts[sp++] = ':';
        for (int pass = 0; pass < 2; pass++)
            for (const cli_option *o = pass ? common_options : c->options; o->name; o++) {
                longopts[k++] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL, o->key};
                if (o->key > 0 && o->key < 256 && sp + 3 < sizeof shortopts) {
                    shortopts[sp++] = (char)o->key;
                    if (o->arg)
                        shortopts[sp++] = ':';
                }
            }
        opterr = 0;
    }
    for (;;) {
        int key = getopt_long(argc, argv, shortopts, longopts, NULL);
        *value = optarg;
        cli_optind = optind;
        switch (key) {
        case -1:
            cohort_ctx_set_progress_counts(c->ctx, (c->progress || c->verbose) && c->rank == 0 ? progress_counts : NULL,
                                           c);
            return 0;
        case '?':
            *exit_code = optopt ? cli_usage(c, "unknown option -%c", optopt)
                                : cli_usage(c, "unknown option %s", argv[optind - 1]);
            return -1;
        case ':':
            *exit_code = cli_usage(c, "option %s needs a value", argv[optind - 1]);
            return -1;
        case 'h':
            if (c->rank == 0)
                print_help(c);
            *exit_code = CLI_EXIT_OK;
            return -1;
        case CLI_OPT_VERSION:
            if (c->rank == 0)
                printf("%s (Cohort) %s\n", c->prog, cohort_version_string());
            *exit_code = CLI_EXIT_OK;
            return -1;
        case 'v':
            c->verbose++;
            cohort_ctx_set_verbosity(c->ctx, c->verbose);
            break;
        case CLI_OPT_PROGRESS:
            c->progress = c->rank == 0;
            break;
        case CLI_OPT_NO_PROGRESS:
            c->progress = false;
            break;
        case CLI_OPT_MEMORY: {
            int64_t bytes;
            if (!parse_bytes(optarg, &bytes)) {
                *exit_code = cli_usage(c, "--memory-budget %s: not a size in bytes (e.g. 512M, 4G)", optarg);
                return -1;
            }
            cohort_ctx_set_memory_budget(c->ctx, bytes);
            c->memory_budget = bytes;
            break;
        }
        case CLI_OPT_FORMAT:
            if (strcmp(optarg, "text") == 0)
                c->format = CLI_FORMAT_TEXT;
            else if (strcmp(optarg, "csv") == 0)
                c->format = CLI_FORMAT_CSV;
            else if (strcmp(optarg, "json") == 0)
                c->format = CLI_FORMAT_JSON;
            else {
                *exit_code = cli_usage(c, "--format %s: use text, csv or json", optarg);
                return -1;
            }
            break;
        case CLI_OPT_RAW:
            c->raw = true;
            break;
        case CLI_OPT_FORCE:
        case CLI_OPT_APPEND:
            if (c->output_mode != COHORT_OUTPUT_CREATE) {
                *exit_code = cli_usage(c, "--force and --append exclude each other");
                return -1;
            }
            c->output_mode = key == CLI_OPT_FORCE ? COHORT_OUTPUT_FORCE : COHORT_OUTPUT_APPEND;
            break;
        default:
            return key;
        }
    }
}

int cli_fail(cli *c, int status, bool output)
{
    int code;
    switch (status) {
    case COHORT_OK: return CLI_EXIT_OK;
    case COHORT_ERR_NOMEM:
    case COHORT_ERR_BUDGET: code = CLI_EXIT_MEMORY; break;
    case COHORT_ERR_MPI:
    case COHORT_ERR_INTERNAL:
    case COHORT_ERR_VERIFY: code = CLI_EXIT_INTERNAL; break;
    case COHORT_ERR_EXISTS: code = CLI_EXIT_OUTPUT; break;
    case COHORT_ERR_ARG: code = CLI_EXIT_USAGE; break;
    default: code = output ? CLI_EXIT_OUTPUT : CLI_EXIT_INPUT; break;
    }
    if (c->rank == 0) {
        /* The agreed message is "rank R: cause"; say the rank at the end. */
        const char *msg = cohort_errmsg(c->ctx);
        int r = -1, skip = 0;
        if (sscanf(msg, "rank %d: %n", &r, &skip) == 1 && skip > 0)
            msg += skip;
        const char *hint = status == COHORT_ERR_EXISTS ? " (use --force to replace it or --append to add to it)" : "";
        if (c->size > 1 && r >= 0)
            fprintf(stderr, "%s: error: %s%s [rank %d]\n", c->prog, msg[0] ? msg : cohort_strerror(status), hint, r);
        else
            fprintf(stderr, "%s: error: %s%s\n", c->prog, msg[0] ? msg : cohort_strerror(status), hint);
    }
    return code;
}

int cli_finish(cli *c, int code)
{
    if (c->bar_open) /* a phase cut short by an error */
        fputc('\n', stderr);
    if (c->ctx) {
        if (c->verbose && code == CLI_EXIT_OK)
            cohort_ctx_report_timings(c->ctx, stderr);
        cohort_ctx_destroy(&c->ctx);
    }
    free(c->command_line);
    for (int k = 0; k < c->nlists; k++)
        free(c->lists[k]);
    free(c->lists);
    fflush(stdout);
    MPI_Finalize();
    return code;
}

bool cli_int64(cli *c, const char *opt, const char *s, int64_t min, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    /* Also accept counts written 1e9 (exact integers only). */
    if (end != s && (*end == 'e' || *end == 'E')) {
        double d = strtod(s, &end);
        if (*end == '\0' && d == floor(d) && d < 9.2e18 && d > -9.2e18)
            v = (long long)d;
        else
            errno = ERANGE; /* 1e30 is no int64, nor 1.5e0 an integer: never a silent 1 */
    }
    if (end == s || *end != '\0' || errno || v < min) {
        cli_usage(c, "%s %s: expected an integer of at least %lld", opt, s, (long long)min);
        return false;
    }
    *out = v;
    return true;
}

bool cli_double(cli *c, const char *opt, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE) {
        cli_usage(c, "%s %s: expected a number", opt, s);
        return false;
    }
    *out = v;
    return true;
}

bool cli_doubles(cli *c, const char *opt, const char *s, double **out, int *n)
{
    int cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    double *v = malloc((size_t)cap * sizeof *v), **lists = realloc(c->lists, (size_t)(c->nlists + 1) * sizeof *lists);
    if (lists)
        c->lists = lists;
    if (!v || !lists) {
        free(v);
        cli_usage(c, "%s: out of memory", opt);
        return false;
    }
    c->lists[c->nlists++] = v;
    char *copy = strdup(s), *save = NULL;
    int k = 0;
    bool ok = copy != NULL;
    for (char *tok = ok ? strtok_r(copy, ",", &save) : NULL; ok && tok; tok = strtok_r(NULL, ",", &save))
        ok = cli_double(c, opt, tok, &v[k++]);
    free(copy);
    if (ok && k == 0)
        ok = (cli_usage(c, "%s: expected a comma-separated list of numbers", opt), false);
    if (ok)
        *out = v, *n = k;
    return ok;
}

bool cli_output_ref(cli *c, const char *ref, char *file, char *path, size_t size)
{
    char member[16];
    if (cohort_ref_parse(ref, file, path, member, size) != COHORT_OK || path[0] == '\0' || member[0] != '\0' ||
        strpbrk(file, "*?[")) {
        /* h5ls's FILE/path names an existing file only: suggest the colon. */
        static const char *const ext[] = {".h5/", ".hdf5/", ".he5/", ".nc/", ".nc4/", ".hdf/"};
        const char *at = NULL;
        for (size_t k = 0; k < sizeof ext / sizeof ext[0] && !strchr(ref, ':'); k++) {
            const char *e = strstr(ref, ext[k]);
            if (e && (!at || e < at))
                at = e + strlen(ext[k]) - 1;
        }
        if (at)
            cli_usage(c, "--output %s: expected FILE:/path; write %.*s:%s", ref, (int)(at - ref), ref, at);
        else
            cli_usage(c, "--output %s: expected FILE:/path (one file, an object path, no #member)", ref);
        return false;
    }
    return true;
}

void cli_print_number(FILE *f, double v, bool single, cli_format fmt)
{
    if (fmt == CLI_FORMAT_JSON)
        json_number(f, v, single);
    else if (isnan(v) || isinf(v))
        fputs(isnan(v) ? "nan" : v > 0 ? "inf" : "-inf", f);
    else if (fmt == CLI_FORMAT_TEXT) /* a table to read: 7 digits */
        fprintf(f, "%.7g", v);
    else
        json_number(f, v, single); /* a finite number: the same shortest text */
}

void cli_print_double(FILE *f, double v, cli_format fmt) { cli_print_number(f, v, false, fmt); }

/* @n bytes of @s as one CSV field: quoted (quotes doubled) when it holds a
 * separator, a quote or a line break (RFC 4180). */
void cli_csv_field(FILE *t, const char *s, size_t n)
{
    bool quote = false;
    for (size_t k = 0; k < n; k++) /* not strcspn: no NUL after a full-width string */
        quote |= s[k] == ',' || s[k] == '"' || s[k] == '\n' || s[k] == '\r';
    if (quote)
        putc('"', t);
    for (size_t k = 0; k < n; k++) {
        if (quote && s[k] == '"')
            putc('"', t);
        putc(s[k], t);
    }
    if (quote)
        putc('"', t);
}

void cli_print_cell(FILE *t, const cohort_column *c, int64_t i, cli_format f)
{
    const void *p = (const char *)c->data + (size_t)i * c->width;
    switch (c->type) {
    case COHORT_INT8: fprintf(t, "%d", *(const int8_t *)p); break;
    case COHORT_INT16: fprintf(t, "%d", *(const int16_t *)p); break;
    case COHORT_INT32: fprintf(t, "%d", *(const int32_t *)p); break;
    case COHORT_INT64: fprintf(t, "%lld", (long long)*(const int64_t *)p); break;
    case COHORT_UINT8: fprintf(t, "%u", *(const uint8_t *)p); break;
    case COHORT_UINT16: fprintf(t, "%u", *(const uint16_t *)p); break;
    case COHORT_UINT32: fprintf(t, "%u", *(const uint32_t *)p); break;
    case COHORT_UINT64: fprintf(t, "%llu", (unsigned long long)*(const uint64_t *)p); break;
    case COHORT_FLOAT: cli_print_number(t, *(const float *)p, true, f); break;
    case COHORT_DOUBLE: cli_print_number(t, *(const double *)p, false, f); break;
    default: { /* a string, NUL-padded */
        const char *s = p;
        size_t n = strnlen(s, c->width);
        if (f == CLI_FORMAT_JSON) {
            json_string(t, s, n);
            break;
        }
        if (f == CLI_FORMAT_CSV)
            cli_csv_field(t, s, n);
        else
            fwrite(s, 1, n, t);
    }
    }
}


int cli_open_inputs(cli *c, const char *const *refs, int n, cohort_input **ins, char *text, size_t size)
{
    int st = COHORT_OK;
    text[0] = '\0';
    for (int k = 0; st == COHORT_OK && k < n; k++) {
        st = cohort_input_open_flags(c->ctx, refs[k], (c->raw ? COHORT_INPUT_RAW : 0) | c->input_flags, &ins[k]);
        size_t used = strlen(text);
        snprintf(text + used, size - used, "%s%s", k ? " " : "", refs[k]);
    }
    return st;
}

void cli_close_inputs(cohort_input **ins, int n)
{
    for (int k = 0; k < n; k++)
        cohort_input_close(&ins[k]);
}

int cli_output_open(cli *c, const char *file, const char *inputs, cohort_output **out)
{
    return cohort_output_open(c->ctx, file, c->output_mode, c->command_line, inputs, out);
}
