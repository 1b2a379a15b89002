"""UCR/UEA classification sets bundled with sktime (offline), in tsrnn's panel layout."""

from __future__ import annotations

import numpy as np

#: name -> sktime loader; all ship inside the sktime wheel.
CLASSIFICATION_SETS = {
    "GunPoint": "load_gunpoint",
    "ArrowHead": "load_arrow_head",
    "BasicMotions": "load_basic_motions",
    "JapaneseVowels": "load_japanese_vowels",
    "ItalyPowerDemand": "load_italy_power_demand",
}


def load_classification(name: str, split: str = "train"):
    """Load a bundled UCR/UEA set.

    Parameters
    ----------
    name : str
        One of :data:`CLASSIFICATION_SETS`.
    split : {"train", "test"}

    Returns
    -------
    X : ndarray, shape (n_samples, n_timepoints, n_channels), or list of (n_timepoints_i, n_channels) arrays
        when the series have unequal lengths (JapaneseVowels).
    y : ndarray, shape (n_samples,), str labels
    """
    if name not in CLASSIFICATION_SETS:
        raise ValueError(f"name must be one of {sorted(CLASSIFICATION_SETS)}, got {name!r}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    import sktime.datasets as sd

    loader = getattr(sd, CLASSIFICATION_SETS[name])
    try:
        X, y = loader(split=split.upper(), return_type="numpy3D")
        return np.ascontiguousarray(np.transpose(X, (0, 2, 1)), dtype=np.float64), np.asarray(y)
    except ValueError:  # unequal lengths: nested frame -> list of arrays
        X, y = loader(split=split.upper(), return_type="nested_univ")
        series = [np.stack([np.asarray(X.iloc[i, j], dtype=np.float64) for j in range(X.shape[1])], axis=1)
                  for i in range(X.shape[0])]
        return series, np.asarray(y)
