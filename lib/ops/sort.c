/*
 * sort.c — the distributed sort: exact, stable, exactly balanced.
 *
 * Each rank packs its rows into records [encoded key | payload bytes |
 * original key when the encoding loses bits | global index]; bare integer
 * keys are sorted as they are (their encoding is an XOR with a constant,
 * which the kernels apply as they read them: rec_layout.flip).  Rank j's
 * output is global positions [S_j, S_j+1), S_j the number of input rows on
 * ranks below j, so every rank keeps its row count.  Then, for numeric
 * keys on several ranks, sort_by_buckets: split by the top digit, cut the
 * buckets that straddle a boundary, exchange, sort each bucket in place.
 * Otherwise (byte strings; ranks over 2 GiB, beyond MPI's int
 * displacements; input in order on every rank; too many pieces):
 * 1. a local radix sort (stable);
 * 2. exact splitters: cohort__select_sorted finds where each S_j falls in
 *    every rank's sorted records, ties cut by rank;
 * 3. one all-to-all exchange (64-bit counts) moves each slice to its rank;
 * 4. the received runs arrive in rank order, each sorted: a stable merge
 *    keeps equal keys in global input order.
 * Last, records are unpacked into the caller's columns, in place.
 *
 * Memory: two buffers of n × R bytes per rank (R = record size), because
 * every rank receives exactly as many records as it sends; about twice the
 * input when payloads make up the record.
 */
#include "ops.h"

#include <limits.h>
#include <stdlib.h>

void (*cohort__sort_before_verify)(cohort_column *keys, cohort_column *payloads, int npayloads);
bool cohort__sort_merge_only;
int64_t cohort__sort_pieces_max = (int64_t)1 << 22;

static int check_column(cohort_ctx *ctx, const cohort_column *c, const char *what, int64_t n)
{
    if (c->count != n)
        return COHORT_FAIL(ctx, COHORT_ERR_SIZE, "%s has %lld rows but the keys have %lld", what, (long long)c->count,
                           (long long)n);
    if (cohort_type_name(c->type) == NULL || c->width == 0 ||
        (c->type != COHORT_BYTES && c->width != cohort_type_size(c->type)))
        return COHORT_FAIL(ctx, COHORT_ERR_TYPE, "%s has an invalid type or width", what);
    if (n > 0 && c->data == NULL)
        return COHORT_FAIL(ctx, COHORT_ERR_ARG, "%s has no data", what);
    return COHORT_OK;
}

/* The rows' checksum: keys and payloads together, row by row. */
static void checksum(const cohort_column *keys, const cohort_column *payloads, int npayloads, cohort_checksum *sum)
{
    cohort__checksum_rows(keys, 1, sum);
    for (int j = 0; j < npayloads; j++) {
        /* Each payload column mixed with its row's key, so rows stay rows. */
        cohort_column pair[2] = {*keys, payloads[j]};
        cohort__checksum_rows(pair, 2, sum);
    }
}

/* Combine "the last key of the nearest non-empty rank below" in MPI_Exscan:
 * each element is [int64 has][key bytes], the later non-empty one wins. */
static size_t boundary_kw;
static void last_nonempty(void *in, void *inout, int *len, MPI_Datatype *t)
{
    (void)t;
    size_t sz = 8 + boundary_kw;
    for (int i = 0; i < *len; i++) {
        unsigned char *a = (unsigned char *)in + (size_t)i * sz, *b = (unsigned char *)inout + (size_t)i * sz;
        int64_t has;
        memcpy(&has, b, 8);
        if (!has)
            memcpy(b, a, sz);
    }
}

/* Order within the rank and across the boundary from the ranks below. */
static int verify_order(cohort_ctx *ctx, const rec_layout *L, const void *recs, int64_t n, unsigned char *scratch)
{
    const unsigned char *r = recs;
    int64_t bad = -1;
    for (int64_t i = 1; i < n && bad < 0; i++)
        if (cohort__key_cmp(L, r + (size_t)(i - 1) * L->R, r + (size_t)i * L->R) > 0)
            bad = i;
    /* A rank that found a fault still takes part in the scan below. */
    int st = bad < 0 ? COHORT_OK
                     : COHORT_FAIL(ctx, COHORT_ERR_VERIFY, "sort verification: local rows %lld and %lld are out of order",
                                   (long long)bad - 1, (long long)bad);
    size_t sz = 8 + L->kw;
    unsigned char *mine = scratch, *below = mine + sz; /* 2 × (8 + kw) bytes */
    memset(mine, 0, 2 * sz);
    int64_t has = n > 0;
    memcpy(mine, &has, 8);
    if (n > 0)
        memcpy(mine + 8, r + (size_t)(n - 1) * L->R, L->kw);
    MPI_Datatype t;
    MPI_Op op;
    boundary_kw = L->kw;
    int mst = COHORT_MPI(ctx, MPI_Type_contiguous((int)sz, MPI_BYTE, &t));
    if (mst == COHORT_OK) {
        MPI_Type_commit(&t);
        MPI_Op_create(last_nonempty, 0, &op);
        mst = COHORT_MPI(ctx, MPI_Exscan(mine, below, 1, t, op, ctx->comm));
        MPI_Op_free(&op);
        MPI_Type_free(&t);
    }
    st = st == COHORT_OK ? mst : st;
    int64_t below_has = 0;
    if (ctx->rank > 0)
        memcpy(&below_has, below, 8);
    if (st == COHORT_OK && below_has && n > 0 && cohort__key_cmp(L, below + 8, r) > 0)
        st = COHORT_FAIL(ctx, COHORT_ERR_VERIFY, "sort verification: the first row is below the last row of a lower rank");
    return st;
}

/* The bucket (key range) of a sorted position, and what the bucket path
 * knows of the global order: the global start of every bucket (Gs, nb + 1)
 * and of every rank's slice (S, p + 1). */
typedef struct bucket_plan {
    int nb;              /* buckets: the top digit's values */
    const int64_t *Gs;   /* global start of each bucket; Gs[nb] = N */
    const int64_t *S;    /* global start of each rank's slice; S[p] = N */
} bucket_plan;

/* The bucket holding global position @g (nb when g is N). */
static int bucket_at(const bucket_plan *P, int64_t g)
{
    int lo = 0, hi = P->nb; /* the last b with Gs[b] <= g, skipping empty buckets */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (P->Gs[mid + 1] <= g)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The part [*lo, *hi) of bucket @b that lies in rank @d's slice, in global
 * positions (empty when they do not meet). */
static void slice_part(const bucket_plan *P, int d, int b, int64_t *lo, int64_t *hi)
{
    *lo = P->Gs[b] > P->S[d] ? P->Gs[b] : P->S[d];
    *hi = P->Gs[b + 1] < P->S[d + 1] ? P->Gs[b + 1] : P->S[d + 1];
}

/* The buckets [*first, *first + return) that meet rank d's slice. */
static int slice_buckets(const bucket_plan *P, int d, int *first)
{
    int64_t a = P->S[d], b = P->S[d + 1];
    *first = a < b ? bucket_at(P, a) : 0;
    return a < b ? bucket_at(P, b - 1) - *first + 1 : 0;
}

/*
 * Sort by buckets.  The keys' top digit splits every rank's records into
 * the same 2^w key ranges ("buckets"); one sum over ranks gives each
 * bucket's global size, so every rank knows which buckets fall whole in
 * which rank's slice.  Only a bucket that straddles a slice boundary (at
 * most one per boundary) is sorted before the exchange, to find the exact
 * cut (cohort__select_sorted_each; ties by rank).  The rest travels
 * unsorted, straight to its place in the receiver's slice (MPI_Alltoallw
 * with a receive type per source: each bucket's pieces in rank order),
 * where each bucket is sorted in cache (the stable sort of pieces in rank
 * order keeps equal keys in global input order); a straddling bucket's
 * pieces arrive sorted and are merged.  A rank's own pieces stay where they
 * are and are copied into their bucket just before it is sorted, when the
 * buckets of its slice all fit in cache.  Against sorting, exchanging and
 * merging, this saves ceil(lg p) passes over memory on every rank.
 *
 * Needs integer keys and every rank's records under 2 GiB (MPI's int
 * displacements); the caller checks both.  Collective.  On return the
 * slice is in A, unless nothing moved and the caller's merge path is to
 * finish: *in_order, every rank's records are in order already; or
 * *declined, the piece counts would take too much memory (below).  On
 * failure *held is the buffer holding this rank's own records (in some
 * order).  Memory beyond A and B: the radix bookkeeping (3.3 MiB), O(2^w)
 * and at most 2^22 piece counts.
 */
static int sort_by_buckets(cohort_ctx *ctx, const rec_layout *L, unsigned char *A, unsigned char *B, int64_t n,
                           const int64_t *S, bool *in_order, bool *declined, unsigned char **held)
{
    int p = ctx->size, r = ctx->rank, st = COHORT_OK;
    size_t R = L->R;
    int64_t most = 0;
    for (int j = 0; j < p; j++)
        most = S[j + 1] - S[j] > most ? S[j + 1] - S[j] : most;
    *in_order = false, *declined = false, *held = A;
    double t0 = cohort__now();

    /* Counts of the top digit, local and global, and the bookkeeping. */
    enum { NBMAX = 1 << COHORT_RADIX_DIGIT_MAX };
    size_t book = (3 * (size_t)(NBMAX + 1) + 2 * (size_t)(p + 1)) * sizeof(int64_t), more = 0;
    int64_t *cnt = NULL;
    unsigned char *mem = NULL; /* the rest of the bookkeeping, once the split is known */
    cohort_radix *X = cohort__radix_new(L, true);
    if (X == NULL)
        st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for radix histograms");
    else
        st = cohort__alloc(ctx, book, "sort bucket counts", (void **)&cnt);
    int64_t *Gs = NULL, *ls = NULL, *pos = NULL, *bj = NULL;
    cohort_radix_survey s = {0};
    uint64_t g[3] = {0, 0, 0};
    if (st == COHORT_OK) {
        Gs = cnt + (NBMAX + 1), ls = Gs + (NBMAX + 1), pos = ls + (NBMAX + 1), bj = pos + (p + 1);
        cohort__radix_survey(L, A, n, most, cnt, &s);
        g[0] = s.any, g[1] = ~s.all, g[2] = !s.sorted;
    }
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK)
        st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, g, 3, MPI_UINT64_T, MPI_BOR, ctx->comm)));
    int bits = cohort__radix_varying_bits(g[0], ~g[1]);
    if (st != COHORT_OK || bits == 0 || g[2] == 0) {
        *in_order = st == COHORT_OK;
        goto done;
    }

    /* Every rank splits by the same digit, the top one of the bits that
     * vary anywhere (and counts again if its first keys guessed another). */
    int w = cohort__radix_digit(most, R, bits), shift = bits - w, nb = 1 << w;
    if (s.w != w || s.shift != shift)
        cohort__radix_count(L, A, n, shift, w, cnt);
    st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Allreduce(cnt, Gs + 1, nb, MPI_INT64_T, MPI_SUM, ctx->comm)));
    if (st != COHORT_OK)
        goto done;
    Gs[0] = 0, ls[0] = 0;
    for (int b = 0; b < nb; b++)
        Gs[b + 1] += Gs[b], ls[b + 1] = ls[b] + cnt[b];
    bucket_plan P = {nb, Gs, S};
    int m = 0; /* boundaries inside a bucket */
    for (int j = 0; j <= p; j++) {
        bj[j] = bucket_at(&P, S[j]);
        m += j > 0 && j < p && bj[j] < nb && S[j] > Gs[bj[j]];
    }
    int fb, nbk = slice_buckets(&P, r, &fb), sends = 0, widest = 0;
    for (int d = 0; d < p; d++) {
        int f, c = slice_buckets(&P, d, &f);
        sends += c;
        widest = c > widest ? c : widest;
    }
    /* A rank receives a count for every bucket of its slice from every
     * rank: p × (2^w / p + 2) for balanced keys, but up to p × 2^w when a
     * slice spans many small buckets.  Past cohort__sort_pieces_max (2^22)
     * counts, every rank (they all know every slice) declines, and the
     * caller's merge path sorts. */
    if ((int64_t)p * widest > cohort__sort_pieces_max) {
        *declined = true;
        goto done;
    }

    /* The rest of the bookkeeping, before any record moves. */
    more = (size_t)m * (sizeof(void *) + 3 * sizeof(int64_t)) + (size_t)(sends + (size_t)p * nbk) * sizeof(int64_t) +
           (size_t)p * (7 * sizeof(int) + 2 * sizeof(MPI_Datatype)) + (size_t)nbk * (sizeof(int) + sizeof(MPI_Aint) + sizeof(int64_t));
    st = cohort__agree(ctx, cohort__alloc(ctx, more, "sort bucket plan", (void **)&mem));
    if (st != COHORT_OK)
        goto done;
    const void **recs = (const void **)(void *)mem;
    int64_t *nrec = (int64_t *)(void *)(recs + m), *target = nrec + m, *cut = target + m;
    int64_t *piece_out = cut + m, *piece_in = piece_out + sends; /* piece_in[s * nbk + i]: source s, bucket fb + i */
    int64_t *off = piece_in + (size_t)p * nbk;
    MPI_Aint *disp = (MPI_Aint *)(void *)(off + nbk);
    MPI_Datatype *types = (MPI_Datatype *)(void *)(disp + nbk);
    MPI_Datatype *stypes = types + p;
    int *ints = (int *)(void *)(stypes + p), *blen = ints + 7 * p;
    int *pc = ints, *pd = pc + p, *qc = pd + p, *qd = qc + p, *sc = qd + p, *sd = sc + p, *ones = sd + p;

    /* Records to B by bucket; the straddling buckets sorted, and cut. */
    if (n > 0)
        cohort__radix_scatter(X, A, B, n, shift, w, ls);
    *held = B;
    int k = 0;
    for (int j = 1, last = -1; j < p; j++) {
        int b = bj[j];
        if (b >= nb || S[j] == Gs[b])
            continue;
        if (b != last) /* once, though several boundaries may fall in it */
            cohort__radix_sort_range(X, B + (size_t)ls[b] * R, A + (size_t)ls[b] * R, ls[b + 1] - ls[b], shift);
        recs[k] = B + (size_t)ls[b] * R, nrec[k] = ls[b + 1] - ls[b], target[k] = S[j] - Gs[b];
        k++, last = b;
    }
    cohort__phase_add(ctx, COHORT_PHASE_LOCAL, t0);
    double t1 = cohort__now();
    st = cohort__select_sorted_each(ctx, L, recs, nrec, target, m, cut, NULL);
    k = 0;
    for (int j = 0; st == COHORT_OK && j <= p; j++) { /* pos[j]: where rank j's records begin in B */
        int b = bj[j];
        pos[j] = j == 0 ? 0 : j == p || b >= nb ? n : S[j] == Gs[b] ? ls[b] : ls[b] + cut[k++];
    }

    /* How many records of each bucket go to each rank, and the receive
     * side's count of every piece. */
    int64_t got = 0;
    for (int d = 0, at = 0; st == COHORT_OK && d < p; d++) {
        int f, c = slice_buckets(&P, d, &f);
        pc[d] = c, pd[d] = at;
        for (int i = 0; i < c; i++) {
            int64_t lo = ls[f + i] > pos[d] ? ls[f + i] : pos[d], hi = ls[f + i + 1] < pos[d + 1] ? ls[f + i + 1] : pos[d + 1];
            piece_out[at + i] = hi > lo ? hi - lo : 0;
        }
        at += c;
        qc[d] = nbk, qd[d] = d * nbk;
    }
    if (st == COHORT_OK)
        st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Alltoallv(piece_out, pc, pd, MPI_INT64_T, piece_in, qc, qd,
                                                              MPI_INT64_T, ctx->comm)));
    for (int q = 0; st == COHORT_OK && q < p * nbk; q++)
        got += piece_in[q];
    if (st == COHORT_OK && got != S[r + 1] - S[r]) /* a broken split must not overrun the buffer */
        st = COHORT_FAIL(ctx, COHORT_ERR_INTERNAL, "sort: would receive %lld rows for %lld", (long long)got,
                         (long long)(S[r + 1] - S[r]));
    st = cohort__agree(ctx, st);
    cohort__phase_add(ctx, COHORT_PHASE_SPLIT, t1);

    /* One exchange: each source's pieces land in their buckets' places,
     * after the pieces of the sources below it. */
    double t2 = cohort__now();
    MPI_Datatype rec = MPI_DATATYPE_NULL;
    int ntypes = 0;
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Type_contiguous((int)R, MPI_BYTE, &rec));
    if (st == COHORT_OK)
        st = COHORT_MPI(ctx, MPI_Type_commit(&rec));
    for (int i = 0; i < nbk; i++) {
        int64_t lo, hi;
        slice_part(&P, r, fb + i, &lo, &hi);
        off[i] = lo - S[r];
    }
    for (int q = 0; st == COHORT_OK && q < p; q++, ntypes++) {
        for (int i = 0; i < nbk; i++) {
            blen[i] = (int)piece_in[(size_t)q * nbk + i];
            disp[i] = (MPI_Aint)((size_t)off[i] * R);
            off[i] += piece_in[(size_t)q * nbk + i];
        }
        st = COHORT_MPI(ctx, MPI_Type_create_hindexed(nbk, blen, disp, rec, &types[q]));
        if (st == COHORT_OK)
            st = COHORT_MPI(ctx, MPI_Type_commit(&types[q]));
        sc[q] = (int)(pos[q + 1] - pos[q]), sd[q] = (int)((size_t)pos[q] * R), ones[q] = 1;
        pd[q] = 0;
    }
    /* This rank's own pieces stay in B, to be copied in cache just before
     * their bucket is sorted, when every bucket is sorted in cache (the
     * part of B that holds them is then never scratch). */
    bool keep_own = true;
    for (int i = 0; i < nbk; i++) {
        int64_t lo, hi;
        slice_part(&P, r, fb + i, &lo, &hi);
        keep_own &= (size_t)(hi - lo) * R <= COHORT_RADIX_IN_CACHE;
    }
    int64_t own = pos[r];
    if (keep_own)
        sc[r] = 0, ones[r] = 0;
    st = cohort__agree(ctx, st);
    if (st == COHORT_OK) {
        for (int q = 0; q < p; q++)
            stypes[q] = rec;
        st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Alltoallw(B, sc, sd, stypes, A, ones, pd, types, ctx->comm)));
    }
    for (int q = 0; q < ntypes; q++)
        MPI_Type_free(&types[q]);
    if (rec != MPI_DATATYPE_NULL)
        MPI_Type_free(&rec);
    cohort__phase_add(ctx, COHORT_PHASE_EXCHANGE, t2);

    /* Each bucket of the slice sorted in place; a straddling one merged. */
    if (st == COHORT_OK) {
        double t3 = cohort__now();
        *held = A;
        for (int i = 0; i < nbk; i++) {
            int b = fb + i;
            int64_t lo, hi;
            slice_part(&P, r, b, &lo, &hi);
            unsigned char *a = A + (size_t)(lo - S[r]) * R, *tmp = B + (size_t)(lo - S[r]) * R;
            if (keep_own) {
                int64_t below = 0, mine = piece_in[(size_t)r * nbk + i];
                for (int q = 0; q < r; q++)
                    below += piece_in[(size_t)q * nbk + i];
                memcpy(a + (size_t)below * R, B + (size_t)own * R, (size_t)mine * R);
                own += mine;
            }
            if (hi - lo < 2)
                continue;
            if ((lo > Gs[b] || hi < Gs[b + 1]) && !keep_own) { /* pieces sorted at their sources */
                int64_t *runs = pos; /* the pieces' lengths, by source (pos is spent) */
                for (int q = 0; q < p; q++)
                    runs[q] = piece_in[(size_t)q * nbk + i];
                unsigned char *res = cohort__merge_runs(L, a, tmp, runs, p);
                if (res == tmp)
                    memcpy(a, tmp, (size_t)(hi - lo) * R);
                if (res != NULL)
                    continue;
            }
            cohort__radix_sort_range(X, a, tmp, hi - lo, shift);
        }
        cohort__phase_add(ctx, COHORT_PHASE_LOCAL, t3);
    }
done:
    cohort__free(ctx, mem, more);
    cohort__free(ctx, cnt, book);
    cohort__radix_free(X);
    return st;
}

int cohort_sort(cohort_ctx *ctx, cohort_column *keys, cohort_column *payloads, int npayloads, int64_t *index,
                const cohort_sort_options *opts)
{
    cohort__clear_error(ctx);
    double t0 = cohort__now();
    int st = COHORT_OK, p = ctx->size;
    bool desc = opts && opts->descending, verify = opts && opts->verify;
    int64_t n = keys ? keys->count : 0;
    if (keys == NULL || npayloads < 0 || (npayloads > 0 && payloads == NULL))
        st = COHORT_FAIL(ctx, COHORT_ERR_ARG, "cohort_sort: no keys or payloads");
    if (st == COHORT_OK)
        st = check_column(ctx, keys, "the key column", n);
    for (int j = 0; st == COHORT_OK && j < npayloads; j++) {
        char what[64];
        snprintf(what, sizeof what, "payload column %d", j);
        st = check_column(ctx, &payloads[j], what, n);
    }

    /* Record layout, which must be the same on every rank. */
    size_t kw = st == COHORT_OK ? keys->width : 0, R = kw;
    uint64_t shape = 1469598103934665603ull; /* FNV over payload types and widths */
    for (int j = 0; st == COHORT_OK && j < npayloads; j++) {
        R += payloads[j].width;
        shape = (shape ^ ((uint64_t)payloads[j].type << 32 | payloads[j].width)) * 1099511628211ull;
    }
    int flags = desc | verify << 1 | (index != NULL) << 2;
    int64_t same[5] = {st == COHORT_OK ? keys->type : 0, (int64_t)kw, npayloads, flags, (int64_t)(shape >> 1)};
    st = cohort__agree_equal(ctx, st, same, 5, "cohort_sort: the key type, payload columns or options");
    if (st != COHORT_OK)
        return st;
    /* Row counts, and whether any rank's keys lose bits in the encoding (then
     * every rank carries the original keys along), in one scan. */
    int64_t local[2] = {n, cohort__key_lossy(keys)}, before2[2], total2[2];
    st = cohort_scan_int64(ctx, local, before2, total2, 2);
    if (st != COHORT_OK)
        return st;
    int64_t before = before2[0], total = total2[0];
    bool lossy = total2[1] > 0;
    cohort__progress(ctx, "sort", 0, 3, "steps"); /* the phase starts */
    size_t off_key = R;
    R += lossy ? kw : 0;
    size_t off_index = R;
    R += index ? 8 : 0;
    rec_layout L = {R, kw, keys->type == COHORT_BYTES, 0};

    /* Global position of every rank's slice. */
    int64_t *starts = NULL, *sc = NULL;
    unsigned char *A = NULL, *B = NULL;
    size_t bytes = (size_t)n * R;
    /* Bare keys are sorted in place: the caller's column is the first of
     * the two buffers, halving the memory and one pass over it. */
    bool in_place = R == kw;
    /* Bare integer keys are not encoded at all: their encoding is an XOR
     * with a constant, which the kernels apply as they compare (L.flip). */
    bool raw = in_place && cohort_type_is_integer(keys->type);
    if (raw) {
        uint64_t width_mask = kw == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * kw)) - 1;
        L.flip = (cohort_type_is_signed(keys->type) ? (uint64_t)1 << (8 * kw - 1) : 0) ^ (desc ? width_mask : 0);
    }
    cohort_checksum sum_in = {0, 0}, sum_out = {0, 0};
    if (total == 0)
        return COHORT_OK;
    size_t book = 4 * (size_t)(p + 1) * sizeof(int64_t) + 2 * (8 + kw);
    st = cohort__alloc(ctx, book, "sort bookkeeping", (void **)&starts);
    if (st == COHORT_OK && in_place)
        A = keys->data;
    else if (st == COHORT_OK)
        st = cohort__alloc(ctx, bytes, "sort records", (void **)&A);
    if (st == COHORT_OK)
        st = cohort__alloc(ctx, bytes, "sort scratch", (void **)&B);
    st = cohort__agree(ctx, st);
    int64_t *pos = NULL, *rc = NULL;
    if (st == COHORT_OK) { /* starts, pos, rc, sc: p + 1 each; then the verification scratch */
        pos = starts + (p + 1), rc = pos + (p + 1), sc = rc + (p + 1);
    }
    if (st == COHORT_OK)
        st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Allgather(&before, 1, MPI_INT64_T, starts, 1, MPI_INT64_T, ctx->comm)));

    /* 1. Pack and sort locally. */
    unsigned char *sorted = NULL, *other = NULL;
    bool borrowed = false; /* in-place mode: the caller's column is a work buffer */
    if (st == COHORT_OK) {
        if (verify)
            checksum(keys, payloads, npayloads, &sum_in);
        if (!raw)
            cohort__keys_encode(keys, desc, A, R);
        borrowed = in_place;
        size_t off = kw;
        for (int j = 0; j < npayloads; j++) {
            size_t w = payloads[j].width;
            const unsigned char *src = payloads[j].data;
            for (int64_t i = 0; i < n; i++)
                memcpy(A + (size_t)i * R + off, src + (size_t)i * w, w);
            off += w;
        }
        if (lossy)
            for (int64_t i = 0; i < n; i++)
                memcpy(A + (size_t)i * R + off_key, (const unsigned char *)keys->data + (size_t)i * kw, kw);
        if (index)
            for (int64_t i = 0; i < n; i++) {
                int64_t g = before + i;
                memcpy(A + (size_t)i * R + off_index, &g, 8);
            }
        starts[p] = total;
        cohort__phase_add(ctx, COHORT_PHASE_LOCAL, t0);
    }

    /* Integer keys on several ranks are sorted by buckets when every
     * rank's records fit MPI's int displacements; otherwise (byte strings,
     * one rank, larger ranks, input in order everywhere, too many pieces)
     * locally, then split, exchanged and merged. */
    int64_t most = 0;
    for (int j = 0; st == COHORT_OK && j < p; j++)
        most = starts[j + 1] - starts[j] > most ? starts[j + 1] - starts[j] : most;
    bool merge_path = true, in_order = false, declined = true;
    if (st == COHORT_OK && p > 1 && !L.bytes && (uint64_t)most * R <= INT_MAX && !cohort__sort_merge_only) {
        st = sort_by_buckets(ctx, &L, A, B, n, starts, &in_order, &declined, &sorted);
        merge_path = in_order || declined;
        other = B;
    }
    if (st == COHORT_OK && declined) {
        double t1 = cohort__now();
        /* The merge of the received runs takes ceil(lg p) passes, each
         * into the other buffer: the sort ends where the merge ends in A,
         * the caller's column when the keys are bare, and is not copied. */
        int passes = 0;
        while ((1 << passes) < p)
            passes++;
        sorted = n > 0 ? cohort__radix_sort(&L, A, B, n, p == 1 || passes % 2 ? A : B) : A;
        if (n > 0 && sorted == NULL) /* (A itself may be NULL: a rank's empty column) */
            st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for radix histograms");
        other = sorted == A ? B : A;
        cohort__phase_add(ctx, COHORT_PHASE_LOCAL, t1);
    }
    cohort__progress(ctx, "sort", 1, 3, "steps");
    st = cohort__agree(ctx, st);

    /* 2-4. Split, exchange, merge. */
    if (st == COHORT_OK && p > 1 && merge_path) {
        double t1 = cohort__now();
        st = cohort__select_sorted(ctx, &L, sorted, n, starts + 1, p - 1, pos + 1, NULL);
        pos[0] = 0, pos[p] = n;
        for (int j = 0; j < p; j++)
            sc[j] = pos[j + 1] - pos[j];
        cohort__phase_add(ctx, COHORT_PHASE_SPLIT, t1);
        if (st == COHORT_OK)
            st = cohort_exchange_counts(ctx, sc, rc);
        int64_t got = 0;
        for (int j = 0; st == COHORT_OK && j < p; j++)
            got += rc[j];
        if (st == COHORT_OK && got != n) /* a broken split must not overrun the buffer */
            st = COHORT_FAIL(ctx, COHORT_ERR_INTERNAL, "sort: would receive %lld rows for %lld", (long long)got,
                             (long long)n);
        st = cohort__agree(ctx, st);
        /* Input already in global order (sorted, all equal): every rank
         * keeps its rows, and nothing is copied or merged. */
        int stay = st == COHORT_OK && sc[ctx->rank] == n;
        if (st == COHORT_OK)
            st = cohort__agree(ctx, COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, &stay, 1, MPI_INT, MPI_LAND, ctx->comm)));
        if (st == COHORT_OK && !stay)
            st = cohort_exchange(ctx, sorted, sc, other, rc, R);
        cohort__progress(ctx, "sort", 2, 3, "steps");
        double t2 = cohort__now();
        if (st == COHORT_OK && !stay) {
            unsigned char *merged = cohort__merge_runs(&L, other, sorted, rc, p);
            if (merged == NULL) /* the received runs still hold every row */
                st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory merging");
            sorted = merged ? merged : other;
        }
        cohort__phase_add(ctx, COHORT_PHASE_MERGE, t2);
        st = cohort__agree(ctx, st);
    }

    /* 5. Unpack in place. */
    if (st == COHORT_OK) {
        double t3 = cohort__now();
        if (lossy)
            for (int64_t i = 0; i < n; i++)
                memcpy((unsigned char *)keys->data + (size_t)i * kw, sorted + (size_t)i * R + off_key, kw);
        else if (raw && sorted != keys->data)
            memcpy(keys->data, sorted, bytes);
        else if (!raw)
            cohort__keys_decode(keys, desc, sorted, R, n, keys->data);
        borrowed = false;
        size_t off = kw;
        for (int j = 0; j < npayloads; j++) {
            size_t w = payloads[j].width;
            unsigned char *dst = payloads[j].data;
            for (int64_t i = 0; i < n; i++)
                memcpy(dst + (size_t)i * w, sorted + (size_t)i * R + off, w);
            off += w;
        }
        if (index)
            for (int64_t i = 0; i < n; i++)
                memcpy(&index[i], sorted + (size_t)i * R + off_index, 8);
        cohort__phase_add(ctx, COHORT_PHASE_MERGE, t3);
    }

    /* Proof: order everywhere, and the same multiset of rows. */
    cohort__progress(ctx, "sort", 3, 3, "steps");
    if (st == COHORT_OK && verify) {
        double t4 = cohort__now();
        cohort__progress(ctx, "verify", 0, 2, "steps");
        if (cohort__sort_before_verify)
            cohort__sort_before_verify(keys, payloads, npayloads);
        /* Re-encode the keys as they now are, so a corrupted key shows
         * (into a buffer that is not the caller's column). */
        unsigned char *check = sorted == keys->data ? B : sorted;
        cohort__keys_encode(keys, desc, check, R);
        rec_layout encoded_layout = L;
        encoded_layout.flip = 0;
        st = verify_order(ctx, &encoded_layout, check, n, (unsigned char *)(sc + (p + 1)));
        cohort__progress(ctx, "verify", 1, 2, "steps");
        checksum(keys, payloads, npayloads, &sum_out);
        uint64_t sums[4] = {sum_in.a, sum_in.b, sum_out.a, sum_out.b};
        int st2 = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, sums, 4, MPI_UINT64_T, MPI_SUM, ctx->comm));
        if (st == COHORT_OK && st2 == COHORT_OK && (sums[0] != sums[2] || sums[1] != sums[3]))
            st = COHORT_FAIL(ctx, COHORT_ERR_VERIFY,
                             "sort verification: the rows after the sort are not the rows before (checksums differ)");
        st = st == COHORT_OK ? st2 : st;
        cohort__progress(ctx, "verify", 2, 2, "steps");
        cohort__phase_add(ctx, COHORT_PHASE_VERIFY, t4);
    }
    if (borrowed) { /* failed midway: give back the caller's keys (in some order) */
        if (sorted != NULL && sorted != keys->data)
            memcpy(keys->data, sorted, bytes);
        if (!raw)
            cohort__keys_decode(keys, desc, keys->data, R, n, keys->data);
    }
    if (!in_place)
        cohort__free(ctx, A, bytes);
    cohort__free(ctx, B, bytes);
    cohort__free(ctx, starts, book);
    return cohort__agree(ctx, st);
}
