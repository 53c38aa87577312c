/*
 * comm.h — internal knobs of the communication layer.  Never installed.
 */
#ifndef COHORT_COMM_H
#define COHORT_COMM_H

#include "../core/internal.h"

/* Largest single message of the piecewise exchange path, in bytes: pieces
 * are counted in MPI_BYTE, and MPI 3.1 counts are int. */
#define COHORT_EXCHANGE_PIECE_BYTES ((size_t)1 << 30)

/* For tests: force the piecewise point-to-point path of cohort_exchange()
 * and set its piece size (0 restores the defaults).  Not thread-safe. */
void cohort__exchange_force_pieces(size_t piece_bytes);

/*
 * Merge the ranks' states of @n doubles up a binomial tree and give every
 * rank the result.  merge(arg, left, right) folds @right (the state of the
 * rows after @left's) into @left and returns a status.  @st is this rank's
 * status so far: a failed rank still takes part, and every rank returns the
 * agreed status.  Collective; @n equal on every rank.  Memory: one extra
 * state on the ranks that receive.
 */
typedef int (*cohort_merge_fn)(void *arg, double *left, const double *right);
int cohort__tree_reduce(cohort_ctx *ctx, int st, double *state, int64_t n, cohort_merge_fn merge, void *arg);

/* MPI_Bcast of @n doubles from rank 0, in pieces (any n).  Collective. */
int cohort__bcast_doubles(cohort_ctx *ctx, double *buf, int64_t n);

#endif /* COHORT_COMM_H */
