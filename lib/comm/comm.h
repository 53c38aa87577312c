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

#endif /* COHORT_COMM_H */
