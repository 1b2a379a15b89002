"""Triton kernels, installed as ``tsrnn.kernels``; only ``tsrnn.ops`` imports them.

No kernel ships yet: the fused discretize-and-scan and linear-scan Triton kernels are the subject of the
kernels issue. Until then every op runs its torch backend and ``backend="triton"`` raises a clear error.
"""
