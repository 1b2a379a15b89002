/* Compiled CPU kernels of tsrnn (loaded by tsrnn/kernels/cpu.py through ctypes; plain C99 + optional OpenMP).
 *
 * cpu_scan_impl.h holds the kernels once, written for a real type T; it is included once per precision:
 *   scan_fwd_f32 / scan_bwd_f32 / ssm_fwd_f32 / ssm_bwd_f32   (float, complex64 as interleaved pairs)
 *   scan_fwd_f64 / scan_bwd_f64 / ssm_fwd_f64 / ssm_bwd_f64   (double, complex128)
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MIN_BLOCK 512
#define CHUNK 32

/* Taylor coefficients of phi1(z) = (e^z - 1) / z and of phi1'(z), for ZOH at small |z| (no cancellation) */
static const double PHI1[7] = {1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040};
static const double DPHI1[7] = {1.0 / 2, 1.0 / 3, 1.0 / 8, 1.0 / 30, 1.0 / 144, 1.0 / 840, 1.0 / 5760};

/* Split B rows of W scalars into just enough blocks (at least `least` wide, even) to give every thread work:
 * whole rows stream best through the prefetchers. */
static int64_t block_width(int64_t B, int64_t W, int threads, int64_t least)
{
    int64_t per_row = B >= threads ? 1 : (threads + B - 1) / B;
    int64_t width = (W + per_row - 1) / per_row;
    width = width < least ? least : width;
    return width + (width & 1);
}

/* Number of channel blocks the SSM kernels split H into (the caller sizes the gap-gradient partials with it). */
int64_t ssm_n_blocks(int64_t B, int64_t H, int threads)
{
    int64_t bh = block_width(B, H, threads, 8);
    return (H + bh - 1) / bh;
}

#define T float
#define SFX(name) name##_f32
#define EXP expf
#define COS cosf
#define SIN sinf
#include "cpu_scan_impl.h"
#undef T
#undef SFX
#undef EXP
#undef COS
#undef SIN

#define T double
#define SFX(name) name##_f64
#define EXP exp
#define COS cos
#define SIN sin
#include "cpu_scan_impl.h"
