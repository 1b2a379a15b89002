"""Deploy a fitted classifier with torch alone: export it with ``torch.export``, save a ``.pt2`` file, and
predict in a fresh Python process that imports torch and numpy only (no tsrnn).

LEM on JapaneseVowels (12 channels, series of 7 to 29 steps), with the configuration of
``examples/liquid_japanese_vowels.py``. The exported program takes the model inputs: for
these complete, regularly sampled series, the values ``x`` (n, L, 12) padded with zeros to the exported length L
and a ``mask`` (n, L) that is False at the padding (padded steps leave the state unchanged, so the last state is
that of the last observed step). The example exports with the test series, so L is their longest (29); longer series would need an
example at least as long. The deployment process pads the series itself and returns the class probabilities;
they equal the estimator's ``predict_proba``.

    python examples/export_deployment.py [--smoke] [--out-dir export_output]
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tsrnn.datasets import load_classification

from tsrnn import LEMClassifier

# What runs on the deployment side: torch and numpy, the .pt2 file and the raw series.
DEPLOY = """
import sys
import numpy as np
import torch

program = torch.export.load(sys.argv[1]).module()
data = np.load(sys.argv[2])
series = [data[f"s{i}"] for i in range(len(data.files))]
length = int(sys.argv[3])
x = torch.zeros(len(series), length, series[0].shape[1])
mask = torch.zeros(len(series), length, dtype=torch.bool)
for i, s in enumerate(series):
    x[i, : len(s)] = torch.as_tensor(s, dtype=torch.float32)
    mask[i, : len(s)] = True
np.save(sys.argv[4], program(x=x, mask=mask).numpy())
assert "tsrnn" not in sys.modules
"""


def main(smoke: bool = False, out_dir: str = "export_output") -> dict:
    out = Path(out_dir)
    out.mkdir(exist_ok=True)
    X, y = load_classification("JapaneseVowels", "train")
    Xt, yt = load_classification("JapaneseVowels", "test")
    params = dict(units=64, dt=0.5, lr=3e-3, weight_decay=0.1, max_epochs=80, pooling="last", batch_size=32)
    if smoke:
        params.update(units=8, max_epochs=1)
    clf = LEMClassifier(**params, random_state=0).fit(X, y)

    t0 = time.perf_counter()
    program = clf.export(Xt)  # the test series fix the exported length: their longest
    export_s = time.perf_counter() - t0
    length = clf.model_inputs(Xt)["x"].shape[1]
    torch.export.save(program, out / "lem_vowels.pt2")
    np.savez(out / "series.npz", **{f"s{i}": s for i, s in enumerate(Xt)})

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", DEPLOY, str(out / "lem_vowels.pt2"), str(out / "series.npz"), str(length),
                    str(out / "proba.npy")], check=True)
    deploy_s = time.perf_counter() - t0
    proba = np.load(out / "proba.npy")
    expected = clf.predict_proba(Xt)
    results = {
        "accuracy (deployed)": float(np.mean(clf.classes_[proba.argmax(axis=1)] == yt)),
        "accuracy (estimator)": clf.score(Xt, yt),
        "largest probability difference": float(np.abs(proba - expected).max()),
        "export s": export_s,
        "deployment process s": deploy_s,
        "file MB": (out / "lem_vowels.pt2").stat().st_size / 1e6,
    }
    for k, v in results.items():
        print(f"{k:<32} {v:.3g}")
    if results["largest probability difference"] > 1e-5:
        raise RuntimeError("the deployed program's probabilities differ from predict_proba's")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out-dir", default="export_output", help="where the .pt2 file and the series are written")
    args = parser.parse_args()
    main(args.smoke, args.out_dir)
