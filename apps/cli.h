/*
 * cli.h — what every bundled program shares: MPI and context start-up,
 * option parsing with generated --help, the common options, exit codes,
 * the one-line error report from rank 0, and output formats.
 *
 * Programs use only the public API (cohort.h, cohort_io.h) and this file.
 */
#ifndef COHORT_CLI_H
#define COHORT_CLI_H

#include "json.h"

#include <cohort.h>
#include <cohort_io.h>
#include <stdbool.h>

/* Exit codes, identical on every rank. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 1,
    CLI_EXIT_INPUT = 2,    /* missing/unreadable file or dataset, unsupported type, mismatched lengths */
    CLI_EXIT_OUTPUT = 3,   /* output exists without --force, cannot be created or written */
    CLI_EXIT_MEMORY = 4,   /* out of memory or over the memory budget */
    CLI_EXIT_INTERNAL = 5  /* MPI or internal error */
};

/* Keys of the long-only options cli_next() handles itself.  A program that
 * takes --format, --force/--append or --raw lists them in its own table
 * (--raw as CLI_RAW_OPTION); the others are always there. */
enum {
    CLI_OPT_VERSION = 1000,
    CLI_OPT_PROGRESS,
    CLI_OPT_NO_PROGRESS,
    CLI_OPT_MEMORY,
    CLI_OPT_FORMAT,
    CLI_OPT_FORCE,
    CLI_OPT_APPEND,
    CLI_OPT_RAW,
    CLI_OPT_FIRST_FREE /* programs number their own long-only options from here */
};

#define CLI_RAW_OPTION                                                                                                 \
    {"raw", CLI_OPT_RAW, NULL,                                                                                         \
     "read the stored values: no _FillValue, missing_value, valid range or scale_factor/add_offset applied"}

typedef enum cli_format { CLI_FORMAT_TEXT, CLI_FORMAT_CSV, CLI_FORMAT_JSON } cli_format;

/* One program option; lists end with a NULL name.  @arg names the value
 * in --help (NULL: the option takes none). */
typedef struct cli_option {
    const char *name;
    int key;          /* short option character, or a value >= 256 */
    const char *arg;
    const char *help;
} cli_option;

typedef struct cli {
    const char *prog;        /* "cohort-gen" */
    const char *usage;       /* the synopsis after the program name */
    const char *summary;     /* one paragraph for --help */
    const cli_option *options;
    cohort_ctx *ctx;
    int rank, size;
    int verbose;
    bool progress;
    /* The progress display: the phase on the line being drawn, and when it began. */
    char bar_phase[64];
    double bar_start, bar_last;
    bool bar_open;
    cli_format format;
    bool raw;                /* --raw: inputs without the CF conventions (COHORT_INPUT_RAW) */
    unsigned input_flags;    /* more flags of cli_open_inputs' inputs (COHORT_INPUT_FLAT) */
    int64_t memory_budget;   /* --memory-budget (0: none), for what a program allocates itself */
    cohort_output_mode output_mode;
    char *command_line;      /* argv joined, for provenance */
    double **lists;          /* what cli_doubles returned, freed by cli_finish */
    int nlists;
} cli;

/* Start MPI and a context over MPI_COMM_WORLD.  Returns an exit code: 0 to
 * go on, else the program returns cli_finish(&c, code) at once. */
int cli_start(cli *c, int *argc, char ***argv);

/*
 * Parse the next option: returns its key (and *value its argument), 0
 * at the end (*optind_out: index of the first operand), or -1 after a usage
 * error or --help/--version (then *exit_code is what to exit with).  The
 * common options are handled here: -h/--help, --version, -v/--verbose,
 * --progress/--no-progress, --memory-budget, and, if the program lists
 * them, --format, --force, --append and --raw.
 */
int cli_next(cli *c, int argc, char **argv, const char **value, int *exit_code);
extern int cli_optind;

/* Report a usage error on rank 0 ("prog: error: ...", then a --help hint). */
int cli_usage(cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report an input error the program found in the data, not the library
 * (a dataset of more columns than the operation takes), on rank 0
 * ("prog: error: ..."); returns CLI_EXIT_INPUT. */
int cli_input_error(cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report a failed library call on rank 0 and return its exit code; @output
 * says whether it happened while writing (exit 3) or reading (exit 2). */
int cli_fail(cli *c, int status, bool output);

/* Print timings when verbose, free the context, finalize MPI; returns @code. */
int cli_finish(cli *c, int code);

/* Parsers for option values; false (and a usage message) when malformed.
 * cli_doubles' list belongs to @c until cli_finish, so that a program may
 * return at any usage error without freeing it (an option given twice
 * leaves its first list there too). */
bool cli_int64(cli *c, const char *opt, const char *s, int64_t min, int64_t *out);
bool cli_double(cli *c, const char *opt, const char *s, double *out);
bool cli_doubles(cli *c, const char *opt, const char *s, double **out, int *n);

/* A reference "FILE:/path" for output: splits the file and the object path. */
bool cli_output_ref(cli *c, const char *ref, char *file, char *path, size_t size);

/*
 * cohort_output_open in the program's output mode (--force, --append), with
 * its command line as provenance; close with cohort_output_close.  From
 * cli_start on, SIGTERM, SIGINT and SIGHUP (Slurm's time limit, scancel,
 * Ctrl-C) unlink an output's temporary file before the program dies of the
 * signal (the library names it through cohort_ctx_set_temporary_hook before
 * the file can exist), so that a killed run leaves nothing behind, not even
 * a hidden temporary file.
 */
int cli_output_open(cli *c, const char *file, const char *inputs, cohort_output **out);

/* Open the inputs @refs[0..n) into @ins (zeroed by the caller), stopping at
 * the first failure; collective.  @text receives the references, space-
 * separated, for the outputs' provenance.  Returns a cohort status (the
 * error is in c's context).  cli_close_inputs closes every opened one. */
int cli_open_inputs(cli *c, const char *const *refs, int n, cohort_input **ins, char *text, size_t size);
void cli_close_inputs(cohort_input **ins, int n);

/* Print a number (a float's value when @single): JSON as json.h writes
 * it; CSV the shortest text that reads back exactly, NaN and infinities as
 * nan, inf, -inf (what pandas.read_csv and numpy read back); text 7 digits. */
void cli_print_number(FILE *f, double v, bool single, cli_format fmt);
void cli_print_double(FILE *f, double v, cli_format fmt);
/* Element @i of column @c in its own type (integers exact), as above; a
 * string as a JSON string, a CSV field (cli_csv_field), or as it is. */
void cli_print_cell(FILE *f, const cohort_column *c, int64_t i, cli_format fmt);
/* @n bytes of @s as one CSV field: quoted (quotes doubled) when it holds a
 * separator, a quote or a line break (RFC 4180). */
void cli_csv_field(FILE *f, const char *s, size_t n);

#endif
