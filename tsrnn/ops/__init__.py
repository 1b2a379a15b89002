"""Functional ops: tensors in, tensors out, no parameters.

Every op has a ``*_ref`` reference written straight from its formula and a dispatcher taking
``backend="auto" | "reference" | "torch" | "triton"``.
"""

from tsrnn.ops.discretize import discretize_diag, discretize_diag_ref, phi1
from tsrnn.ops.hippo import (
    gbt,
    hippo,
    hippo_legs,
    hippo_legs_low_rank,
    hippo_low_rank,
    hippo_n,
    hippo_n_eig,
    legs_online_projection,
    legs_reconstruct,
    nplr,
)
from tsrnn.ops.scan import linear_scan, linear_scan_ref
from tsrnn.ops.ssm_scan import diag_ssm_scan, diag_ssm_scan_ref

__all__ = [
    "diag_ssm_scan",
    "diag_ssm_scan_ref",
    "discretize_diag",
    "discretize_diag_ref",
    "gbt",
    "hippo",
    "hippo_legs",
    "hippo_legs_low_rank",
    "hippo_n",
    "hippo_low_rank",
    "hippo_n_eig",
    "legs_online_projection",
    "legs_reconstruct",
    "nplr",
    "linear_scan",
    "linear_scan_ref",
    "phi1",
]
