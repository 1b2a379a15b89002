"""Compiled kernels, installed as ``tsrnn.kernels``; only ``tsrnn.ops`` and the LTC layer import them (lazily).

- :mod:`tsrnn.kernels.cpu`: plain-C CPU kernels (``cpu_scan.c``), compiled on first use with the system's C
  compiler and called through ctypes: the generic scan and the fused SISO discretize-and-scan.
- :mod:`tsrnn.kernels.cpu_ltc`: the LTC layer's fused solver (``cpu_ltc.c``), forward and backward, built the
  same way.
- :mod:`tsrnn.kernels.linear_scan` (Triton): the generic linear recurrence, forward and backward, real and complex
  (as real/imaginary pairs), forward and reverse, initial state, variable lengths, fp32 state with
  fp32/fp16/bf16 inputs.
- :mod:`tsrnn.kernels.diag_ssm_scan` (Triton): the fused diagonal-SSM discretize-and-scan for SISO-per-channel systems
  (ZOH, bilinear, Euler, backward Euler in registers; per-step gaps; masks; reverse; initial state), forward
  writing only ``y`` and chunk checkpoints, backward recomputing each chunk; gradients for every input.

On machines without a GPU the Triton kernels run (slowly) under Triton's interpreter (``TRITON_INTERPRET=1``, set
before this package is imported), which is how the test suite checks them on CPU.
"""
