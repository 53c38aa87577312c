/*
 * exchange.c — all-to-all exchange with 64-bit counts.
 *
 * MPI 3.1 (Open MPI 4.1) counts and displacements are int.  When every
 * count and displacement of every rank fits an int in units of one element,
 * the exchange is one MPI_Alltoallv over a contiguous element type, so MPI
 * picks its best algorithm.  Otherwise (some message or buffer beyond 2^31
 * elements, or elements too large to describe) it falls back to pairwise
 * point-to-point rounds, each message split into pieces of at most
 * COHORT_EXCHANGE_PIECE_BYTES.  All ranks choose the same path: the choice
 * is folded into the argument agreement.
 */
#include "comm.h"

#include <limits.h>
#include <string.h>

static size_t piece_override;
static bool force_pieces;

void cohort__exchange_force_pieces(size_t piece_bytes)
{
    piece_override = piece_bytes;
    force_pieces = piece_bytes != 0;
}

int cohort_exchange_counts(cohort_ctx *ctx, const int64_t *sendcounts, int64_t *recvcounts)
{
    cohort__clear_error(ctx);
    int st = COHORT_OK;
    if (sendcounts == NULL || recvcounts == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_exchange_counts: NULL counts");
    for (int j = 0; st == COHORT_OK && j < ctx->size; j++)
        if (sendcounts[j] < 0)
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_exchange_counts: negative count %lld for rank %d",
                             (long long)sendcounts[j], j);
    st = cohort__agree(ctx, st);
    if (st != COHORT_OK)
        return st;
    st = COHORT_MPI(ctx, MPI_Alltoall(sendcounts, 1, MPI_INT64_T, recvcounts, 1, MPI_INT64_T, ctx->comm));
    return cohort__agree(ctx, st);
}

/* Whether counts[] and their packed displacements all fit an int. */
static bool fits_int(const int64_t *counts, int p)
{
    int64_t displ = 0;
    for (int j = 0; j < p; j++) {
        if (counts[j] > INT_MAX || displ > INT_MAX)
            return false;
        displ += counts[j];
    }
    return true;
}

/* O(p) scratch of both paths, allocated before the agreement so that a
 * rank short of memory fails before anybody starts sending. */
typedef struct scratch {
    int *ints;       /* counts and displacements as int, 4p (Alltoallv path) */
    size_t *displ;   /* byte displacements, 2p (pieces path) */
    MPI_Request *req;
    size_t nreq, bytes;
} scratch;

static int exchange_alltoallv(cohort_ctx *ctx, scratch *w, const void *sendbuf, const int64_t *sendcounts,
                              void *recvbuf, const int64_t *recvcounts, size_t elem_size)
{
    int p = ctx->size;
    int *sc = w->ints, *sd = w->ints + p, *rc = w->ints + 2 * p, *rd = w->ints + 3 * p;
    int64_t so = 0, ro = 0;
    for (int j = 0; j < p; j++) {
        sc[j] = (int)sendcounts[j], sd[j] = (int)so, so += sendcounts[j];
        rc[j] = (int)recvcounts[j], rd[j] = (int)ro, ro += recvcounts[j];
    }
    MPI_Datatype elem;
    int st = COHORT_MPI(ctx, MPI_Type_contiguous((int)elem_size, MPI_BYTE, &elem));
    if (st == COHORT_OK) {
        st = COHORT_MPI(ctx, MPI_Type_commit(&elem));
        if (st == COHORT_OK)
            st = COHORT_MPI(ctx, MPI_Alltoallv(sendbuf, sc, sd, elem, recvbuf, rc, rd, elem, ctx->comm));
        MPI_Type_free(&elem);
    }
    return st;
}

static size_t npieces(size_t bytes, size_t piece) { return (bytes + piece - 1) / piece; }

/* Round s pairs each rank with (rank + s) to send and (rank - s) to receive,
 * so every round is a permutation and no rank is flooded. */
static int exchange_pieces(cohort_ctx *ctx, scratch *w, const void *sendbuf, const int64_t *sendcounts,
                           void *recvbuf, const int64_t *recvcounts, size_t elem_size, size_t piece)
{
    int p = ctx->size, r = ctx->rank, st = COHORT_OK;
    size_t *sdispl = w->displ, *rdispl = w->displ + p;
    size_t so = 0, ro = 0;
    for (int j = 0; j < p; j++) {
        sdispl[j] = so, so += (size_t)sendcounts[j] * elem_size;
        rdispl[j] = ro, ro += (size_t)recvcounts[j] * elem_size;
    }
    const char *src = sendbuf;
    char *dst = recvbuf;
    if (sendcounts[r] > 0)
        memcpy(dst + rdispl[r], src + sdispl[r], (size_t)sendcounts[r] * elem_size);

    for (int s = 1; s < p && st == COHORT_OK; s++) {
        int to = (r + s) % p, from = (r - s + p) % p;
        size_t sbytes = (size_t)sendcounts[to] * elem_size, rbytes = (size_t)recvcounts[from] * elem_size;
        /* Pieces between one pair share a tag: MPI keeps them in order. */
        int k = 0;
        for (size_t off = 0; off < rbytes && st == COHORT_OK; off += piece, k++) {
            size_t len = rbytes - off < piece ? rbytes - off : piece;
            st = COHORT_MPI(ctx, MPI_Irecv(dst + rdispl[from] + off, (int)len, MPI_BYTE, from, 0, ctx->comm, &w->req[k]));
        }
        for (size_t off = 0; off < sbytes && st == COHORT_OK; off += piece, k++) {
            size_t len = sbytes - off < piece ? sbytes - off : piece;
            st = COHORT_MPI(ctx, MPI_Isend(src + sdispl[to] + off, (int)len, MPI_BYTE, to, 0, ctx->comm, &w->req[k]));
        }
        if (st == COHORT_OK)
            st = COHORT_MPI(ctx, MPI_Waitall(k, w->req, MPI_STATUSES_IGNORE));
        cohort__progress(ctx, "exchange", s, p - 1, "steps");
    }
    return st;
}

int cohort_exchange(cohort_ctx *ctx, const void *sendbuf, const int64_t *sendcounts, void *recvbuf,
                    const int64_t *recvcounts, size_t elem_size)
{
    cohort__clear_error(ctx);
    double t0 = cohort__now();
    int p = ctx->size, st = COHORT_OK;
    size_t piece = piece_override ? piece_override : COHORT_EXCHANGE_PIECE_BYTES;
    size_t stotal = 0, rtotal = 0, maxreq = 0;
    scratch w = {0};
    if (sendcounts == NULL || recvcounts == NULL || elem_size == 0)
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_exchange: %s",
                         elem_size == 0 ? "zero element size" : "NULL counts");
    for (int j = 0; j < p && st == COHORT_OK; j++) {
        size_t sb, rb;
        if (sendcounts[j] < 0 || recvcounts[j] < 0)
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_exchange: negative count for rank %d", j);
        else if (!cohort__size_mul((size_t)sendcounts[j], elem_size, &sb) ||
                 !cohort__size_mul((size_t)recvcounts[j], elem_size, &rb) || sb > SIZE_MAX - stotal ||
                 rb > SIZE_MAX - rtotal)
            st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_exchange: buffer size overflows");
        else {
            stotal += sb, rtotal += rb;
            /* Rank j is the send peer and (2r - j) mod p the receive peer of the same round. */
            size_t n = npieces(sb, piece) + npieces((size_t)recvcounts[(2 * (int64_t)ctx->rank - j + 2 * (int64_t)p) % p] * elem_size, piece);
            maxreq = n > maxreq ? n : maxreq;
        }
    }
    if (st == COHORT_OK && ((stotal > 0 && sendbuf == NULL) || (rtotal > 0 && recvbuf == NULL)))
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_exchange: NULL buffer");
    if (st == COHORT_OK) {
        w.nreq = maxreq;
        w.bytes = 4 * (size_t)p * sizeof(int) + 2 * (size_t)p * sizeof(size_t) + maxreq * sizeof(MPI_Request);
        st = cohort__alloc(ctx, w.bytes, "exchange scratch", (void **)&w.displ);
        w.ints = (int *)(w.displ + 2 * p);
        w.req = (MPI_Request *)(w.ints + 4 * p);
    }

    /* One allreduce agrees on the status, on elem_size, and on the path. */
    bool fits = st == COHORT_OK && fits_int(sendcounts, p) && fits_int(recvcounts, p);
    int64_t agreed[3] = {(int64_t)elem_size, -(int64_t)elem_size, fits && !force_pieces && elem_size <= INT_MAX};
    st = cohort__agree_min(ctx, st, agreed, 3);
    if (st == COHORT_OK && agreed[0] != -agreed[1])
        st = cohort__agree(ctx, COHORT_FAIL(ctx, COHORT_ERR_ARG,
                                            "cohort_exchange: element size differs across ranks (%lld to %lld bytes)",
                                            (long long)agreed[0], (long long)-agreed[1]));
    if (st == COHORT_OK) {
        if (agreed[2])
            st = exchange_alltoallv(ctx, &w, sendbuf, sendcounts, recvbuf, recvcounts, elem_size);
        else
            st = exchange_pieces(ctx, &w, sendbuf, sendcounts, recvbuf, recvcounts, elem_size, piece);
        st = cohort__agree(ctx, st);
    }
    cohort__free(ctx, w.displ, w.bytes);
    cohort__phase_add(ctx, COHORT_PHASE_EXCHANGE, t0);
    return st;
}
