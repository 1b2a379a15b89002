/* Compiled CPU kernel of tsrnn's fused LTC solver (loaded by tsrnn/kernels/cpu_ltc.py through ctypes; plain C99
 * + optional OpenMP). cpu_ltc_impl.h holds it once for a real type T; it is included once per precision:
 *   ltc_fwd_f32 / ltc_bwd_f32,  ltc_fwd_f64 / ltc_bwd_f64
 *
 * The solver's cost is its N x N synapse activations per solver step, so the logistic function must vectorize:
 * in float32 it is computed here from a range-reduced exponential (e^z = 2^n e^r, |r| <= ln(2) / 2, a degree-7
 * Taylor polynomial for e^r: relative error below 1e-8, under float32's rounding), which the compiler turns
 * into SIMD code (with -fno-trapping-math, so that the clamps become selects; NaN still propagates); float64
 * uses the C library's exp. Built with -ffp-contract=fast: fused multiply-adds where the CPU has them.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline float sigmoid_f32(float x)
{
    /* 1 / (1 + e^z), z = -x clamped to [-87, 87] (where the logistic is 0 or 1 to float32 precision anyway) */
    float z = -x;
    z = z < -87.0f ? -87.0f : z;
    z = z > 87.0f ? 87.0f : z;
    const float n = (z * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round(z / ln 2) */
    const float r = (z - n * 0.693145751953125f) - n * 1.42860682030941723212e-6f; /* ln 2 split in two */
    /* e^r by Estrin's scheme (short dependency chains) */
    const float r2 = r * r, r4 = r2 * r2;
    const float p = ((1.0f + r) + r2 * (0.5f + r * (1.0f / 6)))
                    + r4 * ((1.0f / 24 + r * (1.0f / 120)) + r2 * (1.0f / 720 + r * (1.0f / 5040)));
    union { int32_t bits; float value; } scale; /* 2^n */
    scale.bits = ((int32_t)n + 127) << 23;
    return 1.0f / (1.0f + p * scale.value);
}

static inline double sigmoid_f64(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

#define T float
#define SFX(name) name##_f32
#define SIGMOID sigmoid_f32
#include "cpu_ltc_impl.h"
#undef T
#undef SFX
#undef SIGMOID

#define T double
#define SFX(name) name##_f64
#define SIGMOID sigmoid_f64
#include "cpu_ltc_impl.h"
