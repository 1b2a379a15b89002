"""Irregular sampling with S5: the same model with and without observation ``times``.

Each series is a two-tone signal observed at 100 random times out of a 200-point grid; the target is the
pair of frequencies. Given ``times``, S5 discretizes with the real gaps; without them it must guess.

    python examples/irregular_sampling.py [--smoke]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_irregular import PARAMS, make_data  # noqa: E402

from tsrnn import S5Regressor  # noqa: E402


def main(smoke: bool = False) -> dict:
    rng = np.random.default_rng(0)
    X, T, y = make_data(64 if smoke else 1000, rng)
    Xt, Tt, yt = make_data(32 if smoke else 300, rng)
    params = dict(PARAMS, max_epochs=1) if smoke else PARAMS
    errors = {}
    for label, fit_t, test_t in (("with times", T, Tt), ("without times", None, None)):
        reg = S5Regressor(**params, random_state=0).fit(X, y, times=fit_t)
        errors[label] = float(np.mean((reg.predict(Xt, times=test_t) - yt) ** 2))
        print(f"{label:<14} test MSE of (f1, f2): {errors[label]:.5f}")
    return errors


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    main(parser.parse_args().smoke)
