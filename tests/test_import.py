"""`import tsrnn` stays cheap; the registry lists every public estimator."""

import subprocess
import sys

import tsrnn
from tsrnn.registry import ESTIMATORS, FAMILIES, get_estimator_class


def test_import_is_lightweight():
    code = ("import sys, tsrnn; heavy = [m for m in ('torch', 'lightning', 'sktime', 'triton', 'torchdiffeq', "
            "'pandas', 'sklearn') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"import tsrnn imported {out}"


def test_every_public_estimator_is_registered():
    public = {n for n in tsrnn.__all__ if n.endswith(("Forecaster", "Classifier", "Regressor", "Reconstructor"))
              and n != "SeasonalNaiveForecaster"}
    assert {name.split(".")[1] for name in ESTIMATORS} == public
    for name in ESTIMATORS:
        assert get_estimator_class(name)._registry_name == name
    for tasks in FAMILIES.values():
        assert set(tasks.values()) <= set(ESTIMATORS)
