"""Save and load fitted estimators without pickling code.

A saved estimator is a directory with ``config.json`` (format version, tsrnn version, registry name,
``get_params()``, fitted metadata) and ``weights.pt`` (a state dict saved from CPU tensors, loaded with
``weights_only=True``). An estimator last trained by ``partial_fit`` also writes ``optimizer.pt``, the optimizer's
state dict (loaded the same way), so that ``partial_fit`` after :func:`load` continues with the moment estimates
of the call before :func:`save`.
"""

from __future__ import annotations

import json
from pathlib import Path

FORMAT_VERSION = 1
OPTIMIZER_FILE = "optimizer.pt"


def save(estimator, path) -> None:
    """Save a fitted tsrnn estimator to the directory ``path`` (created if missing)."""
    import torch
    from sklearn.utils.validation import check_is_fitted

    import tsrnn

    check_is_fitted(estimator)
    params = {name: _encode(value) for name, value in estimator.get_params(deep=False).items()}
    try:
        json.dumps(params)
    except TypeError as err:
        raise TypeError(f"cannot save: a parameter is not JSON-serializable ({err}); "
                        "trainer_kwargs with objects (callbacks, loggers) cannot be saved") from None
    config = {
        "format_version": FORMAT_VERSION,
        "tsrnn_version": tsrnn.__version__,
        "estimator": estimator._registry_name,
        "params": params,
        "fitted": estimator._fitted_state(),
    }
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(json.dumps(config, indent=2))
    state = {} if estimator.module_ is None else {k: v.detach().cpu() for k, v in estimator.module_.state_dict().items()}
    torch.save(state, path / "weights.pt")
    optimizer_state = getattr(estimator, "_partial_fit_optimizer", None)
    if optimizer_state is not None:
        torch.save(optimizer_state, path / OPTIMIZER_FILE)
    else:  # a directory saved to before, by a partially fitted estimator
        (path / OPTIMIZER_FILE).unlink(missing_ok=True)


def load(path, device: str = "cpu"):
    """Load an estimator written by ``est.save(path)``.

    Parameters
    ----------
    path : str or Path
        Directory written by :meth:`save`.
    device : str
        Where to put the weights (``"cpu"``, ``"cuda"``, ...).

    Returns
    -------
    estimator
        Fitted, with identical predictions to the saved one.
    """
    import torch

    from tsrnn.registry import get_estimator_class

    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"path {str(path)!r} has no config.json: not a saved tsrnn estimator")
    config = json.loads((path / "config.json").read_text())
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unsupported format_version {config.get('format_version')!r} (this tsrnn reads {FORMAT_VERSION})")
    est = get_estimator_class(config["estimator"])(**{name: _decode(v) for name, v in config["params"].items()})
    est._restore_fitted_state(config["fitted"])
    net = est._build_for_load()
    if net is not None:
        net.load_state_dict(torch.load(path / "weights.pt", map_location=device, weights_only=True))
        net = net.to(device).eval()
    est.module_ = net
    if (path / OPTIMIZER_FILE).is_file():
        est._partial_fit_optimizer = torch.load(path / OPTIMIZER_FILE, map_location="cpu", weights_only=True)
    return est


def _plain(value):
    """A numpy scalar as the Python one (JSON has no numpy types)."""
    return value.item() if hasattr(value, "item") and hasattr(value, "dtype") else value


def _encode(value):
    """A parameter for JSON: a dict whose keys are not all strings (e.g. ``class_weight`` by integer label), which
    JSON would turn into strings, becomes ``{"__items__": [[key, value], ...]}``."""
    if isinstance(value, dict) and not all(isinstance(k, str) for k in value):
        return {"__items__": [[_plain(k), _plain(v)] for k, v in value.items()]}
    return value


def _decode(value):
    """Inverse of :func:`_encode`."""
    if isinstance(value, dict) and set(value) == {"__items__"}:
        return {k: v for k, v in value["__items__"]}
    return value
