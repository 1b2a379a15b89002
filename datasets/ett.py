"""ETTh1 (Electricity Transformer Temperature, hourly) with the standard long-term-forecasting split."""

from __future__ import annotations

from importlib import resources

import numpy as np

#: Row ranges of the standard split (Informer / CycleNet code): 12 / 4 / 4 months.
ETT_SPLITS = {"train": (0, 8640), "val": (8640, 11520), "test": (11520, 14400)}
CHANNELS = ("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT")


def _read_etth1():
    import pandas as pd

    with resources.files("tsrnn.datasets").joinpath("data/ett/ETTh1.csv").open("r") as f:
        return pd.read_csv(f, parse_dates=["date"])


def load_etth1(scale: bool = True, as_frame: bool = False):
    """Load ETTh1 split into train / val / test.

    Parameters
    ----------
    scale : bool
        Standardize every channel with the mean and std of the train rows only.
    as_frame : bool
        Return pandas DataFrames indexed by date instead of arrays.

    Returns
    -------
    dict
        ``train``, ``val``, ``test``: arrays (rows, 7) (or DataFrames); ``columns``; ``mean`` and ``std`` of
        the train rows; ``dates`` of each split.

    Examples
    --------
    >>> data = load_etth1()
    >>> data["train"].shape, data["val"].shape, data["test"].shape
    ((8640, 7), (2880, 7), (2880, 7))
    """
    df = _read_etth1()
    values = df[list(CHANNELS)].to_numpy(dtype=np.float64)
    lo, hi = ETT_SPLITS["train"]
    mean, std = values[lo:hi].mean(axis=0), values[lo:hi].std(axis=0)
    if scale:
        values = (values - mean) / std
    out = {"columns": list(CHANNELS), "mean": mean, "std": std}
    for name, (a, b) in ETT_SPLITS.items():
        out[name] = values[a:b]
        out[f"{name}_dates"] = df["date"].to_numpy()[a:b]
        if as_frame:
            import pandas as pd

            out[name] = pd.DataFrame(values[a:b], columns=list(CHANNELS), index=df["date"].iloc[a:b])
    return out


def ett_windows(split: str, lookback: int, horizon: int, scale: bool = True):
    """All (lookback, horizon) windows of a split, with the standard border convention.

    Validation and test windows start ``lookback`` rows before their split, so the first target row is
    the split's first row; every complete window is returned (none dropped).

    Parameters
    ----------
    split : {"train", "val", "test"}
    lookback, horizon : int
    scale : bool

    Returns
    -------
    X : ndarray, shape (n_windows, lookback, 7)
    Y : ndarray, shape (n_windows, horizon, 7)

    Examples
    --------
    >>> X, Y = ett_windows("test", 96, 96)
    >>> X.shape[0]
    2785
    """
    from tsrnn.data.windowing import make_windows

    if split not in ETT_SPLITS:
        raise ValueError(f"split must be one of {tuple(ETT_SPLITS)}, got {split!r}")
    data = load_etth1(scale=scale)
    full = np.concatenate([data["train"], data["val"], data["test"]])
    a, b = ETT_SPLITS[split]
    start = a if split == "train" else a - lookback
    X, Y, _ = make_windows(full[start:b], lookback, horizon)
    return X, Y
