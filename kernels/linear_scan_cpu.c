/* CPU kernels for the generic linear recurrence h_t = a_t * h_{t-1} + b_t (see tsrnn/kernels/cpu.py).
 *
 * Tensors are contiguous (B, L, S); complex tensors are interleaved (re, im) pairs with S counting complex
 * elements. Work is split into (row, block of BLOCK states) tasks; each task walks the sequence once, so the
 * forward reads a and b and writes h exactly once (memory speed), with the previous state row still in cache.
 * lengths (nullable) gives each row's valid length: later steps carry the state unchanged (a = 1, b = 0).
 *
 * Backward (g: adjoint of h, "next" = the step processed after t):
 *   g_t = dh_t + conj(a_next) g_next,  db_t = g_t,  da_t = g_t conj(h_prev),  dh0 = conj(a_first) g_first,
 * with da = db = 0 on steps past a row's length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 512

#define DEFINE_SCAN(SUFFIX, T)                                                                                  \
static void fwd_task_##SUFFIX(const T *restrict a, const T *restrict b, const T *restrict h0, int64_t len,      \
                              T *restrict h, int64_t L, int64_t W, int64_t lo, int64_t hi, int cplx, int rev) \
{                                                                                                               \
    /* W: row width in scalars (S or 2 S); [lo, hi): this task's scalar columns */                              \
    const T *prev = h0 ? h0 : NULL;                                                                             \
    for (int64_t i = 0; i < L; ++i) {                                                                           \
        int64_t t = rev ? L - 1 - i : i;                                                                        \
        const T *at = a + t * W, *bt = b + t * W;                                                               \
        T *ht = h + t * W;                                                                                      \
        if (t >= len) {                                                                                         \
            if (prev) memcpy(ht + lo, prev + lo, (size_t)(hi - lo) * sizeof(T));                                \
            else memset(ht + lo, 0, (size_t)(hi - lo) * sizeof(T));                                             \
        } else if (!prev) {                                                                                     \
            memcpy(ht + lo, bt + lo, (size_t)(hi - lo) * sizeof(T));                                            \
        } else if (cplx) {                                                                                      \
            for (int64_t j = lo; j < hi; j += 2) {                                                              \
                T ar = at[j], ai = at[j + 1], pr = prev[j], pi = prev[j + 1];                                   \
                ht[j] = ar * pr - ai * pi + bt[j];                                                              \
                ht[j + 1] = ar * pi + ai * pr + bt[j + 1];                                                      \
            }                                                                                                   \
        } else {                                                                                                \
            for (int64_t j = lo; j < hi; ++j) ht[j] = at[j] * prev[j] + bt[j];                                  \
        }                                                                                                       \
        prev = ht;                                                                                              \
    }                                                                                                           \
}                                                                                                               \
                                                                                                                \
static void bwd_task_##SUFFIX(const T *restrict a, const T *restrict h, const T *restrict h0, int64_t len,      \
                              const T *restrict dh, T *restrict da, T *restrict db, T *restrict dh0,            \
                              T *restrict g, T *restrict an, int64_t L, int64_t W, int64_t lo, int64_t hi,      \
                              int cplx, int rev)                                                                \
{                                                                                                               \
    /* g, an: scratch rows of width W (adjoint, and the effective a of the step processed after t) */           \
    for (int64_t j = lo; j < hi; ++j) { g[j] = 0; an[j] = 0; }                                                  \
    for (int64_t i = 0; i < L; ++i) {                                                                           \
        int64_t t = rev ? i : L - 1 - i; /* opposite to the forward direction */                                \
        int valid = t < len;                                                                                    \
        int has_prev = rev ? t + 1 < L : t > 0;                                                                 \
        const T *prev = has_prev ? h + (rev ? t + 1 : t - 1) * W : h0;                                          \
        const T *at = a + t * W, *dht = dh + t * W;                                                             \
        T *dat = da + t * W, *dbt = db + t * W;                                                                 \
        if (cplx) {                                                                                             \
            for (int64_t j = lo; j < hi; j += 2) {                                                              \
                T gr = dht[j] + an[j] * g[j] + an[j + 1] * g[j + 1];                                            \
                T gi = dht[j + 1] + an[j] * g[j + 1] - an[j + 1] * g[j];                                        \
                g[j] = gr; g[j + 1] = gi;                                                                       \
                T pr = prev ? prev[j] : 0, pi = prev ? prev[j + 1] : 0;                                         \
                dbt[j] = valid ? gr : 0; dbt[j + 1] = valid ? gi : 0;                                           \
                dat[j] = valid ? gr * pr + gi * pi : 0; dat[j + 1] = valid ? gi * pr - gr * pi : 0;             \
                an[j] = valid ? at[j] : 1; an[j + 1] = valid ? at[j + 1] : 0;                                   \
            }                                                                                                   \
        } else {                                                                                                \
            for (int64_t j = lo; j < hi; ++j) {                                                                 \
                T gj = dht[j] + an[j] * g[j];                                                                   \
                g[j] = gj;                                                                                      \
                T p = prev ? prev[j] : 0;                                                                       \
                dbt[j] = valid ? gj : 0;                                                                        \
                dat[j] = valid ? gj * p : 0;                                                                    \
                an[j] = valid ? at[j] : 1;                                                                      \
            }                                                                                                   \
        }                                                                                                       \
    }                                                                                                           \
    if (dh0) {                                                                                                  \
        if (cplx) {                                                                                             \
            for (int64_t j = lo; j < hi; j += 2) {                                                              \
                dh0[j] = an[j] * g[j] + an[j + 1] * g[j + 1];                                                   \
                dh0[j + 1] = an[j] * g[j + 1] - an[j + 1] * g[j];                                               \
            }                                                                                                   \
        } else {                                                                                                \
            for (int64_t j = lo; j < hi; ++j) dh0[j] = an[j] * g[j];                                            \
        }                                                                                                       \
    }                                                                                                           \
}                                                                                                               \
                                                                                                                \
int scan_fwd_##SUFFIX(const T *a, const T *b, const T *h0, const int64_t *lengths, T *h, int64_t B, int64_t L,  \
                      int64_t W, int cplx, int rev, int threads)                                                \
{                                                                                                               \
    int64_t nblk = (W + BLOCK - 1) / BLOCK;                                                                     \
    _Pragma("omp parallel for num_threads(threads) schedule(static)")                                           \
    for (int64_t task = 0; task < B * nblk; ++task) {                                                           \
        int64_t row = task / nblk, lo = (task % nblk) * BLOCK, hi = lo + BLOCK < W ? lo + BLOCK : W;            \
        fwd_task_##SUFFIX(a + row * L * W, b + row * L * W, h0 ? h0 + row * W : NULL,                           \
                          lengths ? lengths[row] : L, h + row * L * W, L, W, lo, hi, cplx, rev);                \
    }                                                                                                           \
    return 0;                                                                                                   \
}                                                                                                               \
                                                                                                                \
int scan_bwd_##SUFFIX(const T *a, const T *h, const T *h0, const int64_t *lengths, const T *dh, T *da, T *db,   \
                      T *dh0, int64_t B, int64_t L, int64_t W, int cplx, int rev, int threads)                  \
{                                                                                                               \
    T *scratch = (T *)malloc(sizeof(T) * (size_t)(2 * B * W));                                                  \
    if (!scratch) return 1;                                                                                     \
    int64_t nblk = (W + BLOCK - 1) / BLOCK;                                                                     \
    _Pragma("omp parallel for num_threads(threads) schedule(static)")                                           \
    for (int64_t task = 0; task < B * nblk; ++task) {                                                           \
        int64_t row = task / nblk, lo = (task % nblk) * BLOCK, hi = lo + BLOCK < W ? lo + BLOCK : W;            \
        bwd_task_##SUFFIX(a + row * L * W, h + row * L * W, h0 ? h0 + row * W : NULL,                           \
                          lengths ? lengths[row] : L, dh + row * L * W, da + row * L * W, db + row * L * W,     \
                          dh0 ? dh0 + row * W : NULL, scratch + 2 * row * W, scratch + (2 * row + 1) * W,       \
                          L, W, lo, hi, cplx, rev);                                                             \
    }                                                                                                           \
    free(scratch);                                                                                              \
    return 0;                                                                                                   \
}

DEFINE_SCAN(f32, float)
DEFINE_SCAN(f64, double)
