/* The fused LTC solver over whole sequences for one real type T (included by cpu_ltc.c; SFX(name) appends the
 * precision suffix, SIGMOID is the type's logistic function).
 *
 * Synapses from M sources (the inputs u, or the N neurons' potentials v) onto N neurons are four (M, N) arrays
 * (source i, target j): we = W E, w = W, sig = sigma, nsm = -sigma mu, with activations
 * s_ij = sigmoid(sig_ij x_i + nsm_ij) and sums num_j = sum_i we_ij s_ij, den_j = sum_i w_ij s_ij.
 *
 * Per batch row b and step t (skipped where mask is 0: the state is carried), with the sensory sums
 * (snum, sden) of the input u_t and c_j = cm_j unfolds / dt_{b,t} (dt = 1 when absent), solver steps
 * k < unfolds on the recurrent sums (num, den) of v:
 *   r_j   = 1 / (sden_j + c_j + gleak_j + eps + den_j)
 *   v_j  <- (c_j v_j + snum_j + leak_j + num_j) r_j
 * The forward keeps every solver step's input potentials and r (pot, inv_den) for the backward unless they
 * are NULL (inference). The backward walks the steps in reverse, with g_num = dv r and g_den = -g_num v_next
 * per solver step, and recomputes the activations (synapse_grads):
 *   d we_ij += g_num_j s_ij,  d w_ij += g_den_j s_ij,  ds_ij = (g_num_j we_ij + g_den_j w_ij) s_ij (1 - s_ij)
 *   d nsm_ij += ds_ij,  d sig_ij += ds_ij x_i,  dx_i = sum_j ds_ij sig_ij
 * (the sensory synapses with the step's g_num and g_den summed over its solver steps). The sums over j run
 * along memory (no reduction across SIMD lanes except dx_i's, an OpenMP simd reduction). Parallel over rows;
 * the parameter gradients are summed per block of rows (partials the caller adds up).
 */

/* num_j, den_j (N) of the synapses (we, w, sig, nsm: (M, N)) from sources x (M) */
static void SFX(synapse_sums)(const T *restrict x, const T *restrict we, const T *restrict w,
                              const T *restrict sig, const T *restrict nsm, T *restrict num, T *restrict den,
                              int64_t M, int64_t N)
{
    for (int64_t j = 0; j < N; ++j)
        num[j] = den[j] = 0;
    for (int64_t i = 0; i < M; ++i) {
        const T xi = x[i];
        const T *restrict a = we + i * N, *restrict c = w + i * N, *restrict g = sig + i * N, *restrict m = nsm + i * N;
        for (int64_t j = 0; j < N; ++j) {
            const T s = SIGMOID(g[j] * xi + m[j]);
            num[j] += a[j] * s;
            den[j] += c[j] * s;
        }
    }
}

/* Backward of synapse_sums given d num = gn and d den = gd (N): accumulates into d_we, d_w, d_sig, d_nsm
 * (M, N) and writes dx (M) */
static void SFX(synapse_grads)(const T *restrict x, const T *restrict we, const T *restrict w,
                               const T *restrict sig, const T *restrict nsm, const T *restrict gn,
                               const T *restrict gd, T *restrict d_we, T *restrict d_w, T *restrict d_sig,
                               T *restrict d_nsm, T *restrict dx, int64_t M, int64_t N)
{
    for (int64_t i = 0; i < M; ++i) {
        const T xi = x[i];
        const int64_t o = i * N;
        const T *restrict a = we + o, *restrict c = w + o, *restrict g = sig + o, *restrict m = nsm + o;
        T *restrict qa = d_we + o, *restrict qc = d_w + o, *restrict qg = d_sig + o, *restrict qm = d_nsm + o;
        T acc = 0;
#pragma omp simd reduction(+ : acc)
        for (int64_t j = 0; j < N; ++j) {
            const T s = SIGMOID(g[j] * xi + m[j]);
            qa[j] += gn[j] * s;
            qc[j] += gd[j] * s;
            const T d = (gn[j] * a[j] + gd[j] * c[j]) * (s - s * s);
            qm[j] += d;
            qg[j] += d * xi;
            acc += d * g[j];
        }
        dx[i] = acc;
    }
}

/* Inputs: u (B, L, M); v0 (B, N); dt (B, L) or NULL; mask (B, L) or NULL; the sensory synapses (M, N) and the
 * recurrent ones (N, N); cm, gleak, leak (N). Outputs: y (B, L, N); pot (B, L, unfolds + 1, N) and inv_den
 * (B, L, unfolds, N), or NULL. Returns nonzero when a row's scratch could not be allocated. */
int SFX(ltc_fwd)(const T *u, const T *v0, const T *dt, const uint8_t *mask, const T *swe, const T *sw,
                 const T *ssig, const T *snsm, const T *we, const T *w, const T *sig, const T *nsm, const T *cm,
                 const T *gleak, const T *leak, T *y, T *pot, T *inv_den, int64_t B, int64_t L, int64_t M,
                 int64_t N, int unfolds, T eps, int threads)
{
    int failed = 0;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(| : failed)
    for (int64_t b = 0; b < B; ++b) {
        T *buf = malloc(6 * N * sizeof(T));
        if (!buf) {
            failed = 1;
            continue;
        }
        T *v = buf, *num = buf + N, *den = buf + 2 * N, *c = buf + 3 * N, *snum = buf + 4 * N, *sden = buf + 5 * N;
        memcpy(v, v0 + b * N, N * sizeof(T));
        for (int64_t t = 0; t < L; ++t) {
            const int64_t bt = b * L + t;
            if (!mask || mask[bt]) {
                const T scale = (T)unfolds / (dt ? dt[bt] : (T)1);
                SFX(synapse_sums)(u + bt * M, swe, sw, ssig, snsm, snum, sden, M, N);
                for (int64_t j = 0; j < N; ++j) {
                    c[j] = cm[j] * scale;
                    snum[j] += leak[j];
                    sden[j] += c[j] + gleak[j] + eps;
                }
                for (int k = 0; k < unfolds; ++k) {
                    if (pot)
                        memcpy(pot + (bt * (unfolds + 1) + k) * N, v, N * sizeof(T));
                    SFX(synapse_sums)(v, we, w, sig, nsm, num, den, N, N);
                    T *r = inv_den ? inv_den + (bt * unfolds + k) * N : den; /* inference: r overwrites den */
                    for (int64_t j = 0; j < N; ++j) {
                        const T rj = (T)1 / (sden[j] + den[j]);
                        v[j] = (c[j] * v[j] + snum[j] + num[j]) * rj;
                        r[j] = rj;
                    }
                }
                if (pot)
                    memcpy(pot + (bt * (unfolds + 1) + unfolds) * N, v, N * sizeof(T));
            }
            memcpy(y + bt * N, v, N * sizeof(T));
        }
        free(buf);
    }
    return failed;
}

/* Gradients from grad_y (B, L, N). Outputs: du (B, L, M) (zero at masked steps), dv0 (B, N), and per block of
 * rows (n_blocks, ...; zero-initialized by the caller) the sensory synapses' (M, N) and the recurrent ones'
 * (N, N) gradients and d_cm, d_gleak, d_leak (N). Returns nonzero when a block's scratch could not be
 * allocated. */
int SFX(ltc_bwd)(const T *grad_y, const T *u, const T *dt, const uint8_t *mask, const T *swe, const T *sw,
                 const T *ssig, const T *snsm, const T *we, const T *w, const T *sig, const T *nsm, const T *cm,
                 const T *pot, const T *inv_den, T *du, T *dv0, T *d_swe, T *d_sw, T *d_ssig, T *d_snsm, T *d_we,
                 T *d_w, T *d_sig, T *d_nsm, T *d_cm, T *d_gleak, T *d_leak, int64_t B, int64_t L, int64_t M,
                 int64_t N, int unfolds, int64_t n_blocks, int threads)
{
    int failed = 0;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(| : failed)
    for (int64_t blk = 0; blk < n_blocks; ++blk) {
        T *buf = malloc(8 * N * sizeof(T));
        if (!buf) {
            failed = 1;
            continue;
        }
        T *dv = buf, *dv_in = buf + N, *gn = buf + 2 * N, *gd = buf + 3 * N, *c = buf + 4 * N, *dc = buf + 5 * N;
        T *gsn = buf + 6 * N, *gsd = buf + 7 * N; /* the step's g_num, g_den summed over its solver steps */
        const int64_t MN = M * N, NN = N * N;
        T *p_swe = d_swe + blk * MN, *p_sw = d_sw + blk * MN, *p_ssig = d_ssig + blk * MN, *p_snsm = d_snsm + blk * MN;
        T *p_we = d_we + blk * NN, *p_w = d_w + blk * NN, *p_sig = d_sig + blk * NN, *p_nsm = d_nsm + blk * NN;
        T *p_cm = d_cm + blk * N, *p_gleak = d_gleak + blk * N, *p_leak = d_leak + blk * N;
        for (int64_t b = blk * B / n_blocks; b < (blk + 1) * B / n_blocks; ++b) {
            for (int64_t j = 0; j < N; ++j)
                dv[j] = 0;
            for (int64_t t = L - 1; t >= 0; --t) {
                const int64_t bt = b * L + t;
                for (int64_t j = 0; j < N; ++j)
                    dv[j] += grad_y[bt * N + j];
                if (mask && !mask[bt]) { /* carried state: the gradient passes through */
                    memset(du + bt * M, 0, M * sizeof(T));
                    continue;
                }
                const T scale = (T)unfolds / (dt ? dt[bt] : (T)1);
                for (int64_t j = 0; j < N; ++j) {
                    c[j] = cm[j] * scale;
                    gsn[j] = gsd[j] = dc[j] = 0;
                }
                for (int k = unfolds - 1; k >= 0; --k) {
                    const T *v = pot + (bt * (unfolds + 1) + k) * N, *v_next = v + N;
                    const T *r = inv_den + (bt * unfolds + k) * N;
                    for (int64_t j = 0; j < N; ++j) {
                        gn[j] = dv[j] * r[j];
                        gd[j] = -gn[j] * v_next[j];
                        gsn[j] += gn[j];
                        gsd[j] += gd[j];
                        dc[j] += gn[j] * v[j] + gd[j];
                    }
                    SFX(synapse_grads)(v, we, w, sig, nsm, gn, gd, p_we, p_w, p_sig, p_nsm, dv_in, N, N);
                    for (int64_t j = 0; j < N; ++j)
                        dv_in[j] += gn[j] * c[j];
                    T *swap = dv;
                    dv = dv_in;
                    dv_in = swap;
                }
                SFX(synapse_grads)(u + bt * M, swe, sw, ssig, snsm, gsn, gsd, p_swe, p_sw, p_ssig, p_snsm,
                                   du + bt * M, M, N);
                for (int64_t j = 0; j < N; ++j) {
                    p_gleak[j] += gsd[j];
                    p_leak[j] += gsn[j];
                    p_cm[j] += dc[j] * scale;
                }
            }
            memcpy(dv0 + b * N, dv, N * sizeof(T));
        }
        free(buf);
    }
    return failed;
}
