/* Kernels for one real type T (included by cpu_scan.c; SFX(name) appends the precision suffix).
 *
 * 1. Generic linear scan h_t = a_t * h_{t-1} + b_t (tsrnn.ops.linear_scan, backend "cpu").
 *    Contiguous (B, L, S) tensors; complex ones are interleaved (re, im) pairs and W counts scalars per step.
 *    Tasks are (row, block of scalars); each walks the sequence once, reading a and b and writing h once with
 *    the previous state row still in cache. lengths (nullable): later steps carry the state (a = 1, b = 0).
 *    Backward ("next" = the step processed after t):
 *      g_t = dh_t + conj(a_next) g_next,  db_t = g_t,  da_t = g_t conj(h_prev),  dh0 = conj(a_first) g_first.
 *
 * 2. Fused discretize-and-scan of SISO diagonal SSMs (tsrnn.ops.diag_ssm_scan, backend "cpu"), the same
 *    algorithm as the Triton kernel in diag_ssm_scan.py: per row b and channel h, with pairs for complex values,
 *      Delta = step_h dt_{b,t};  a, g = discretize(Lambda_hn, Delta);  x_t = a x_{t-1} + g B_hn u_{b,t,h}
 *      y_{b,t,h} = k sum_n Re(C_hn x_t) + D_h u_{b,t,h}         (x kept where mask_{b,t} == 0)
 *    The state lives in a task-local buffer; only y, the final state and one checkpoint per CHUNK steps are
 *    written. Backward recomputes each chunk from its checkpoint and walks it backwards (see the Triton
 *    module's docstring for the adjoint equations). Without gaps, a and g B are computed once per task.
 */

/* ---- complex helpers on pairs ---------------------------------------------------------------------- */

static inline void SFX(cmul)(T ar, T ai, T br, T bi, T *r, T *i)
{
    *r = ar * br - ai * bi;
    *i = ar * bi + ai * br;
}

static inline void SFX(cdiv)(T ar, T ai, T br, T bi, T *r, T *i)
{
    T den = br * br + bi * bi;
    *r = (ar * br + ai * bi) / den;
    *i = (ai * br - ar * bi) / den;
}

/* c0 + c1 z + ... + c6 z^6 (Horner) */
static inline void SFX(poly6)(T zr, T zi, const double *c, T *r, T *i)
{
    T pr = (T)c[6], pi = 0;
    for (int k = 5; k >= 0; --k) {
        T qr, qi;
        SFX(cmul)(pr, pi, zr, zi, &qr, &qi);
        pr = qr + (T)c[k];
        pi = qi;
    }
    *r = pr;
    *i = pi;
}

/* Discretization of lambda = (lr, li) with real step d. out: a, gamma, da/dlambda, da/dDelta, dgamma/dlambda,
 * dgamma/dDelta as 6 pairs. method: 0 ZOH (a = e^z, gamma = Delta phi1(z), series for |z| < 0.2), 1 bilinear,
 * 2 Euler, 3 backward Euler; z = Delta lambda. */
static void SFX(discretize)(T lr, T li, T d, int method, T *out)
{
    T zr = d * lr, zi = d * li;
    if (method == 0) {
        T mag = EXP(zr), er = mag * COS(zi), ei = mag * SIN(zi), pr, pi, qr, qi;
        if (zr * zr + zi * zi < (T)0.04) {
            SFX(poly6)(zr, zi, PHI1, &pr, &pi);
            SFX(poly6)(zr, zi, DPHI1, &qr, &qi);
        } else {
            SFX(cdiv)(er - 1, ei, zr, zi, &pr, &pi);
            SFX(cdiv)(er - pr, ei - pi, zr, zi, &qr, &qi);
        }
        T adr, adi;
        SFX(cmul)(lr, li, er, ei, &adr, &adi);
        T v[12] = {er, ei, d * pr, d * pi, d * er, d * ei, adr, adi, d * d * qr, d * d * qi, er, ei};
        memcpy(out, v, sizeof(v));
    } else if (method == 2) {
        T v[12] = {1 + zr, zi, d, 0, d, 0, lr, li, 0, 0, 1, 0};
        memcpy(out, v, sizeof(v));
    } else {
        T half = method == 1 ? (T)0.5 : (T)1, qr, qi, ar, ai, q2r, q2i, adr, adi;
        SFX(cdiv)(1, 0, 1 - half * zr, -half * zi, &qr, &qi);
        if (method == 1)
            SFX(cmul)(1 + (T)0.5 * zr, (T)0.5 * zi, qr, qi, &ar, &ai);
        else {
            ar = qr;
            ai = qi;
        }
        SFX(cmul)(qr, qi, qr, qi, &q2r, &q2i);
        SFX(cmul)(lr, li, q2r, q2i, &adr, &adi);
        T v[12] = {ar, ai, d * qr, d * qi, d * q2r, d * q2i, adr, adi, half * d * d * q2r, half * d * d * q2i, q2r, q2i};
        memcpy(out, v, sizeof(v));
    }
}

/* ---- 1. generic linear scan ------------------------------------------------------------------------ */

static void SFX(scan_fwd_task)(const T *restrict a, const T *restrict b, const T *restrict h0, int64_t len,
                               T *restrict h, int64_t L, int64_t W, int64_t lo, int64_t hi, int cplx, int rev)
{
    const T *prev = h0;
    for (int64_t i = 0; i < L; ++i) {
        int64_t t = rev ? L - 1 - i : i;
        const T *at = a + t * W, *bt = b + t * W;
        T *ht = h + t * W;
        if (t >= len) {
            if (prev)
                memcpy(ht + lo, prev + lo, (size_t)(hi - lo) * sizeof(T));
            else
                memset(ht + lo, 0, (size_t)(hi - lo) * sizeof(T));
        } else if (!prev) {
            memcpy(ht + lo, bt + lo, (size_t)(hi - lo) * sizeof(T));
        } else if (cplx) {
            for (int64_t j = lo; j < hi; j += 2) {
                T ar = at[j], ai = at[j + 1], pr = prev[j], pi = prev[j + 1];
                ht[j] = ar * pr - ai * pi + bt[j];
                ht[j + 1] = ar * pi + ai * pr + bt[j + 1];
            }
        } else {
            for (int64_t j = lo; j < hi; ++j)
                ht[j] = at[j] * prev[j] + bt[j];
        }
        prev = ht;
    }
}

static void SFX(scan_bwd_task)(const T *restrict a, const T *restrict h, const T *restrict h0, int64_t len,
                               const T *restrict dh, T *restrict da, T *restrict db, T *restrict dh0,
                               T *restrict g, T *restrict an, int64_t L, int64_t W, int64_t lo, int64_t hi,
                               int cplx, int rev)
{
    /* g: adjoint of the state; an: effective a of the step processed after t (0 before the first) */
    for (int64_t j = lo; j < hi; ++j)
        g[j] = an[j] = 0;
    for (int64_t i = 0; i < L; ++i) {
        int64_t t = rev ? i : L - 1 - i; /* opposite to the forward direction */
        int valid = t < len;
        int has_prev = rev ? t + 1 < L : t > 0;
        const T *prev = has_prev ? h + (rev ? t + 1 : t - 1) * W : h0;
        const T *at = a + t * W, *dht = dh + t * W;
        T *dat = da + t * W, *dbt = db + t * W;
        if (cplx) {
            for (int64_t j = lo; j < hi; j += 2) {
                T gr = dht[j] + an[j] * g[j] + an[j + 1] * g[j + 1];
                T gi = dht[j + 1] + an[j] * g[j + 1] - an[j + 1] * g[j];
                T pr = prev ? prev[j] : 0, pi = prev ? prev[j + 1] : 0;
                g[j] = gr;
                g[j + 1] = gi;
                dbt[j] = valid ? gr : 0;
                dbt[j + 1] = valid ? gi : 0;
                dat[j] = valid ? gr * pr + gi * pi : 0;
                dat[j + 1] = valid ? gi * pr - gr * pi : 0;
                an[j] = valid ? at[j] : 1;
                an[j + 1] = valid ? at[j + 1] : 0;
            }
        } else {
            for (int64_t j = lo; j < hi; ++j) {
                T gj = dht[j] + an[j] * g[j], p = prev ? prev[j] : 0;
                g[j] = gj;
                dbt[j] = valid ? gj : 0;
                dat[j] = valid ? gj * p : 0;
                an[j] = valid ? at[j] : 1;
            }
        }
    }
    if (!dh0)
        return;
    for (int64_t j = lo; j < hi; j += cplx ? 2 : 1) {
        if (cplx) {
            dh0[j] = an[j] * g[j] + an[j + 1] * g[j + 1];
            dh0[j + 1] = an[j] * g[j + 1] - an[j + 1] * g[j];
        } else {
            dh0[j] = an[j] * g[j];
        }
    }
}

int SFX(scan_fwd)(const T *a, const T *b, const T *h0, const int64_t *lengths, T *h, int64_t B, int64_t L,
                  int64_t W, int cplx, int rev, int threads)
{
    int64_t bw = block_width(B, W, threads, MIN_BLOCK), nblk = (W + bw - 1) / bw;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t task = 0; task < B * nblk; ++task) {
        int64_t row = task / nblk, lo = (task % nblk) * bw, hi = lo + bw < W ? lo + bw : W;
        SFX(scan_fwd_task)(a + row * L * W, b + row * L * W, h0 ? h0 + row * W : NULL, lengths ? lengths[row] : L,
                           h + row * L * W, L, W, lo, hi, cplx, rev);
    }
    return 0;
}

int SFX(scan_bwd)(const T *a, const T *h, const T *h0, const int64_t *lengths, const T *dh, T *da, T *db, T *dh0,
                  int64_t B, int64_t L, int64_t W, int cplx, int rev, int threads)
{
    T *scratch = (T *)malloc(sizeof(T) * (size_t)(2 * B * W));
    if (!scratch)
        return 1;
    int64_t bw = block_width(B, W, threads, MIN_BLOCK), nblk = (W + bw - 1) / bw;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t task = 0; task < B * nblk; ++task) {
        int64_t row = task / nblk, lo = (task % nblk) * bw, hi = lo + bw < W ? lo + bw : W;
        SFX(scan_bwd_task)(a + row * L * W, h + row * L * W, h0 ? h0 + row * W : NULL, lengths ? lengths[row] : L,
                           dh + row * L * W, da + row * L * W, db + row * L * W, dh0 ? dh0 + row * W : NULL,
                           scratch + 2 * row * W, scratch + (2 * row + 1) * W, L, W, lo, hi, cplx, rev);
    }
    free(scratch);
    return 0;
}

/* ---- 2. fused SISO diagonal-SSM discretize-and-scan ------------------------------------------------ */

/* Shared arguments of the SSM kernels (pointers into contiguous tensors; optional ones may be NULL). */
typedef struct {
    const T *u, *dt, *lam, *B, *C, *D, *step;
    const uint8_t *mask;
    int64_t n_batch, L, H, N, n_chunks;
    T k_out;
    int method, rev;
} SFX(ssm_args);

/* a and g B of every (h, n) of a task, when there are no per-step gaps */
static void SFX(ssm_constant)(const SFX(ssm_args) *p, int64_t h_lo, int64_t nh, T *coef)
{
    for (int64_t j = 0; j < nh * p->N; ++j) {
        int64_t q = h_lo * p->N + j;
        T v[12];
        SFX(discretize)(p->lam[2 * q], p->lam[2 * q + 1], p->step[h_lo + j / p->N], p->method, v);
        coef[4 * j] = v[0];
        coef[4 * j + 1] = v[1];
        SFX(cmul)(v[2], v[3], p->B[2 * q], p->B[2 * q + 1], coef + 4 * j + 2, coef + 4 * j + 3);
    }
}

/* one step of a task's channels: x <- a x + g B u (if valid); returns y through yt (nullable) */
static void SFX(ssm_step)(const SFX(ssm_args) *p, int64_t row, int64_t t, int64_t h_lo, int64_t nh, const T *coef,
                          T *restrict x, T *yt)
{
    int64_t N = p->N;
    int valid = p->mask ? p->mask[row * p->L + t] != 0 : 1;
    T gap = p->dt ? p->dt[row * p->L + t] : 1;
    const T *ut = p->u + (row * p->L + t) * p->H + h_lo;
    for (int64_t h = 0; h < nh; ++h) {
        T u = ut[h], acc = 0;
        for (int64_t n = 0; n < N; ++n) {
            int64_t j = h * N + n, q = h_lo * N + j;
            T ar, ai, wr, wi;
            if (coef) {
                ar = coef[4 * j];
                ai = coef[4 * j + 1];
                wr = coef[4 * j + 2];
                wi = coef[4 * j + 3];
            } else {
                T v[12];
                SFX(discretize)(p->lam[2 * q], p->lam[2 * q + 1], p->step[h_lo + h] * gap, p->method, v);
                ar = v[0];
                ai = v[1];
                SFX(cmul)(v[2], v[3], p->B[2 * q], p->B[2 * q + 1], &wr, &wi);
            }
            if (valid) {
                T xr = x[2 * j], xi = x[2 * j + 1];
                x[2 * j] = ar * xr - ai * xi + wr * u;
                x[2 * j + 1] = ar * xi + ai * xr + wi * u;
            }
            acc += p->C[2 * q] * x[2 * j] - p->C[2 * q + 1] * x[2 * j + 1];
        }
        if (yt)
            yt[h] = p->k_out * acc + (p->D ? p->D[h_lo + h] * u : 0);
    }
}

int SFX(ssm_fwd)(const T *u, const T *dt, const uint8_t *mask, const T *lam, const T *Bm, const T *C, const T *D,
                 const T *step, const T *h0, T *y, T *h_last, T *ckpt, int64_t n_batch, int64_t L, int64_t H,
                 int64_t N, T k_out, int method, int rev, int threads)
{
    int64_t n_chunks = (L + CHUNK - 1) / CHUNK;
    SFX(ssm_args) p = {u, dt, lam, Bm, C, D, step, mask, n_batch, L, H, N, n_chunks, k_out, method, rev};
    int64_t bh = block_width(n_batch, H, threads, 8), nblk = (H + bh - 1) / bh;
    int failed = 0;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t task = 0; task < n_batch * nblk; ++task) {
        int64_t row = task / nblk, h_lo = (task % nblk) * bh, nh = h_lo + bh < H ? bh : H - h_lo;
        T *x = (T *)malloc(sizeof(T) * (size_t)(2 * nh * N));
        T *coef = dt ? NULL : (T *)malloc(sizeof(T) * (size_t)(4 * nh * N));
        if (!x || (!dt && !coef)) {
            failed = 1;
        } else {
            if (coef)
                SFX(ssm_constant)(&p, h_lo, nh, coef);
            for (int64_t j = 0; j < 2 * nh * N; ++j)
                x[j] = h0 ? h0[(row * H + h_lo) * N * 2 + j] : 0;
            for (int64_t c = 0; c < n_chunks; ++c) {
                memcpy(ckpt + ((row * n_chunks + c) * H + h_lo) * N * 2, x, sizeof(T) * (size_t)(2 * nh * N));
                int64_t stop = (c + 1) * CHUNK < L ? (c + 1) * CHUNK : L;
                for (int64_t i = c * CHUNK; i < stop; ++i) {
                    int64_t t = rev ? L - 1 - i : i;
                    SFX(ssm_step)(&p, row, t, h_lo, nh, coef, x, y + (row * L + t) * H + h_lo);
                }
            }
            memcpy(h_last + (row * H + h_lo) * N * 2, x, sizeof(T) * (size_t)(2 * nh * N));
        }
        free(x);
        free(coef);
    }
    return failed;
}

/* Backward. Outputs: du (B, L, H); ddt_part (B, L, nblk) (summed over blocks by the caller); per-row
 * partials dlam, dB, dC (B, H, N, 2), dD, dstep (B, H) (summed over rows by the caller); dh0 (B, H, N, 2).
 * dh_last (nullable) is the incoming gradient of the final state. */
int SFX(ssm_bwd)(const T *u, const T *dt, const uint8_t *mask, const T *lam, const T *Bm, const T *C, const T *D,
                 const T *step, const T *ckpt, const T *dy, const T *dh_last, T *du, T *ddt_part, T *dlam, T *dB,
                 T *dC, T *dD, T *dstep, T *dh0, int64_t n_batch, int64_t L, int64_t H, int64_t N, T k_out, int method,
                 int rev, int threads)
{
    int64_t n_chunks = (L + CHUNK - 1) / CHUNK;
    SFX(ssm_args) p = {u, dt, lam, Bm, C, D, step, mask, n_batch, L, H, N, n_chunks, k_out, method, rev};
    int64_t bh = block_width(n_batch, H, threads, 8), nblk = (H + bh - 1) / bh;
    int failed = 0;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t task = 0; task < n_batch * nblk; ++task) {
        int64_t row = task / nblk, blk = task % nblk, h_lo = blk * bh, nh = h_lo + bh < H ? bh : H - h_lo;
        int64_t S = 2 * nh * N, off = (row * H + h_lo) * N * 2;
        T *xs = (T *)malloc(sizeof(T) * (size_t)((CHUNK + 1) * S)); /* checkpoint + the chunk's states */
        T *coef = dt ? NULL : (T *)malloc(sizeof(T) * (size_t)(2 * S)), *grads = NULL;
        if (!dt && coef && (grads = (T *)malloc(sizeof(T) * (size_t)(6 * S)))) { /* 12 values per state */
            SFX(ssm_constant)(&p, h_lo, nh, coef);
            for (int64_t j = 0; j < S / 2; ++j)
                SFX(discretize)(lam[2 * (h_lo * N + j)], lam[2 * (h_lo * N + j) + 1], step[h_lo + j / N], method,
                                grads + 12 * j);
        }
        if (!xs || (!dt && !grads)) {
            failed = 1;
            free(xs);
            free(coef);
            free(grads);
            continue;
        }
        T *g = dh0 + off, *gl = dlam + off, *gb = dB + off, *gc = dC + off;
        for (int64_t j = 0; j < S; ++j) {
            g[j] = dh_last ? dh_last[off + j] : 0;
            gl[j] = gb[j] = gc[j] = 0;
        }
        for (int64_t h = 0; h < nh; ++h)
            dD[row * H + h_lo + h] = dstep[row * H + h_lo + h] = 0;
        for (int64_t c = n_chunks - 1; c >= 0; --c) {
            int64_t start = c * CHUNK, stop = start + CHUNK < L ? start + CHUNK : L;
            memcpy(xs, ckpt + ((row * n_chunks + c) * H + h_lo) * N * 2, sizeof(T) * (size_t)S);
            for (int64_t i = start; i < stop; ++i) {
                memcpy(xs + (i - start + 1) * S, xs + (i - start) * S, sizeof(T) * (size_t)S);
                SFX(ssm_step)(&p, row, rev ? L - 1 - i : i, h_lo, nh, coef, xs + (i - start + 1) * S, NULL);
            }
            for (int64_t i = stop - 1; i >= start; --i) {
                int64_t t = rev ? L - 1 - i : i;
                const T *x = xs + (i - start + 1) * S, *xp = xs + (i - start) * S;
                int valid = mask ? mask[row * L + t] != 0 : 1;
                T gap = dt ? dt[row * L + t] : 1, ddt_acc = 0;
                for (int64_t h = 0; h < nh; ++h) {
                    int64_t hh = h_lo + h;
                    T uu = u[(row * L + t) * H + hh], dyy = dy[(row * L + t) * H + hh];
                    T du_acc = D ? D[hh] * dyy : 0, ddelta = 0, delta = step[hh] * gap;
                    if (D)
                        dD[row * H + hh] += dyy * uu;
                    for (int64_t n = 0; n < N; ++n) {
                        int64_t j = 2 * (h * N + n), q = 2 * (hh * N + n);
                        T cr = C[q], ci = C[q + 1], br = Bm[q], bi = Bm[q + 1], v[12];
                        /* readout y = k Re(C x) + D u */
                        g[j] += k_out * dyy * cr;
                        g[j + 1] -= k_out * dyy * ci;
                        gc[j] += k_out * dyy * x[j];
                        gc[j + 1] -= k_out * dyy * x[j + 1];
                        if (!valid)
                            continue;
                        if (grads)
                            memcpy(v, grads + 6 * j, sizeof(v));
                        else
                            SFX(discretize)(lam[q], lam[q + 1], delta, method, v);
                        T gr = g[j], gi = g[j + 1];
                        /* da = g conj(x_prev); dgamma = g conj(B u); dB += g conj(gamma) u */
                        T da_r = gr * xp[j] + gi * xp[j + 1], da_i = gi * xp[j] - gr * xp[j + 1];
                        T dg_r = (gr * br + gi * bi) * uu, dg_i = (gi * br - gr * bi) * uu;
                        gb[j] += (gr * v[2] + gi * v[3]) * uu;
                        gb[j + 1] += (gi * v[2] - gr * v[3]) * uu;
                        T wr, wi;
                        SFX(cmul)(v[2], v[3], br, bi, &wr, &wi);
                        du_acc += gr * wr + gi * wi;
                        /* dlambda += conj(da/dlambda) da + conj(dgamma/dlambda) dgamma */
                        gl[j] += v[4] * da_r + v[5] * da_i + v[8] * dg_r + v[9] * dg_i;
                        gl[j + 1] += v[4] * da_i - v[5] * da_r + v[8] * dg_i - v[9] * dg_r;
                        ddelta += v[6] * da_r + v[7] * da_i + v[10] * dg_r + v[11] * dg_i;
                        /* g <- conj(a) g */
                        g[j] = v[0] * gr + v[1] * gi;
                        g[j + 1] = v[0] * gi - v[1] * gr;
                    }
                    du[(row * L + t) * H + hh] = du_acc;
                    dstep[row * H + hh] += ddelta * gap;
                    ddt_acc += ddelta * step[hh];
                }
                if (ddt_part)
                    ddt_part[(row * L + t) * nblk + blk] = ddt_acc;
            }
        }
        free(xs);
        free(coef);
        free(grads);
    }
    return failed;
}
