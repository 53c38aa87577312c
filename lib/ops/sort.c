/*
 * sort.c — the distributed sort: exact, stable, exactly balanced.
 *
 * 1. Each rank packs its rows into records [encoded key | payload bytes |
 *    original key when the encoding loses bits | global index] and radix
 *    sorts them (stable).  Bare integer keys are sorted as they are: their
 *    encoding is an XOR with a constant, which the kernels apply as they
 *    read them (rec_layout.flip).
 * 2. Exact splitters: rank j's output is global positions [S_j, S_j+1)
 *    where S_j is the number of input rows on ranks below j, so every rank
 *    keeps its row count; cohort__select_sorted finds where each S_j falls
 *    in every rank's sorted records, ties cut by rank.
 * 3. One all-to-all exchange (64-bit counts) moves each slice to its rank.
 * 4. The received runs arrive in rank order, each sorted: a stable merge
 *    keeps equal keys in global input order.
 * 5. Records are unpacked into the caller's columns, in place.
 *
 * Memory: two buffers of n × R bytes per rank (R = record size), because
 * every rank receives exactly as many records as it sends; about twice the
 * input when payloads make up the record.
 */
#include "ops.h"

#include <stdlib.h>

void (*cohort__sort_before_verify)(cohort_column *keys, cohort_column *payloads, int npayloads);

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
        /* The merge of the received runs takes ceil(lg p) passes, each
         * into the other buffer: the sort ends where the merge ends in A,
         * the caller's column when the keys are bare, and is not copied. */
        int passes = 0;
        while ((1 << passes) < p)
            passes++;
        sorted = n > 0 ? cohort__radix_sort(&L, A, B, n, p == 1 || passes % 2 ? A : B) : A;
        if (sorted == NULL)
            st = COHORT_FAIL(ctx, COHORT_ERR_NOMEM, "out of memory for radix histograms");
        other = sorted == A ? B : A;
        cohort__progress(ctx, "sort", 1, 3);
    }
    cohort__phase_add(ctx, COHORT_PHASE_LOCAL, t0);
    st = cohort__agree(ctx, st);

    /* 2-4. Split, exchange, merge. */
    if (st == COHORT_OK && p > 1) {
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
        cohort__progress(ctx, "sort", 2, 3);
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
    if (st == COHORT_OK && verify) {
        double t4 = cohort__now();
        if (cohort__sort_before_verify)
            cohort__sort_before_verify(keys, payloads, npayloads);
        /* Re-encode the keys as they now are, so a corrupted key shows
         * (into a buffer that is not the caller's column). */
        unsigned char *check = sorted == keys->data ? B : sorted;
        cohort__keys_encode(keys, desc, check, R);
        rec_layout encoded_layout = L;
        encoded_layout.flip = 0;
        st = verify_order(ctx, &encoded_layout, check, n, (unsigned char *)(sc + (p + 1)));
        checksum(keys, payloads, npayloads, &sum_out);
        uint64_t sums[4] = {sum_in.a, sum_in.b, sum_out.a, sum_out.b};
        int st2 = COHORT_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, sums, 4, MPI_UINT64_T, MPI_SUM, ctx->comm));
        if (st == COHORT_OK && st2 == COHORT_OK && (sums[0] != sums[2] || sums[1] != sums[3]))
            st = COHORT_FAIL(ctx, COHORT_ERR_VERIFY,
                             "sort verification: the rows after the sort are not the rows before (checksums differ)");
        st = st == COHORT_OK ? st2 : st;
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
    cohort__progress(ctx, "sort", 3, 3);
    return cohort__agree(ctx, st);
}
