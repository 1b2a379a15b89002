"""Datasets shipped with tsrnn (installed as ``tsrnn.datasets``) and wrappers of sktime's bundled sets.

- :func:`load_etth1`: ETTh1 (CC BY-ND 4.0, shipped unmodified in ``data/ett/``) with the standard
  Informer/CycleNet split and train-only scaling.
- :func:`ltsf_windows`, :func:`ltsf_fit`, :func:`ltsf_evaluate`: the standard long-term forecasting protocol
  on ETTh1 (split, train-only scaling, every test window, batch-size-invariant MSE / MAE).
- :func:`make_trajectory` (Lorenz-63, Rössler), :func:`make_lorenz96`: ground-truth chaotic systems for
  dynamical-systems reconstruction (scipy integration, transient, standardization, observation noise).
- :func:`make_mass_spring_damper`: panels of damped oscillators with per-series parameters (WARP's MSD task).
- :func:`load_classification`: UCR/UEA sets that sktime bundles offline, in tsrnn's panel layout
  ``(n_samples, n_timepoints, n_channels)`` (or a list of arrays for unequal lengths).
- :func:`etth1_irregular_queries`, :func:`etth1_irregular_forecast`, :func:`irregular_classification`,
  :func:`mass_spring_damper_irregular`: irregularly sampled versions of those,
  deterministic by seed, with the interpolation baseline on the regular grid.
"""

from tsrnn.datasets.classification import CLASSIFICATION_SETS, load_classification
from tsrnn.datasets.dynamical import SYSTEMS, make_lorenz96, make_trajectory
from tsrnn.datasets.ett import ETT_SPLITS, ett_windows, load_etth1
from tsrnn.datasets.irregular import (
    etth1_irregular_forecast,
    etth1_irregular_queries,
    irregular_classification,
    mass_spring_damper_irregular,
)
from tsrnn.datasets.ltsf import ltsf_evaluate, ltsf_fit, ltsf_windows
from tsrnn.datasets.physical import make_mass_spring_damper

__all__ = [
    "CLASSIFICATION_SETS",
    "ETT_SPLITS",
    "SYSTEMS",
    "ett_windows",
    "etth1_irregular_forecast",
    "etth1_irregular_queries",
    "irregular_classification",
    "load_classification",
    "load_etth1",
    "ltsf_evaluate",
    "ltsf_fit",
    "ltsf_windows",
    "make_lorenz96",
    "make_mass_spring_damper",
    "mass_spring_damper_irregular",
    "make_trajectory",
]
