"""Sequential-pixel classification with S4D: scikit-learn's 8x8 digits read as 64-step sequences.

Shows the three views of one trained layer: the FFT convolution used for training, the recurrent scan used
with irregular ``times``, and the step-by-step streaming mode, which give the same outputs.

    python examples/s4d_sequential_digits.py [--smoke]
"""

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_conv_ssm_accuracy import DIGITS, sequential_digits  # noqa: E402

from tsrnn import S4DClassifier  # noqa: E402


def main(smoke: bool = False) -> float:
    Xtr, Xte, ytr, yte = sequential_digits()
    params = dict(DIGITS, max_epochs=1, d_model=8, d_state=8) if smoke else DIGITS
    clf = S4DClassifier(**params, random_state=0).fit(Xtr, ytr)
    acc = clf.score(Xte, yte)
    print(f"sequential digits: test accuracy {acc:.3f}")

    # One layer, three views of the same parameters.
    ssm = clf.module_.backbone.layers[0].mixer
    u = torch.randn(1, 64, ssm.d_model)
    with torch.no_grad():
        conv, _ = ssm(u)
        scan, _ = ssm(u, dt=torch.ones(1, 64))
        h, steps = ssm.initial_state(1), []
        for t in range(64):
            y_t, h = ssm.step(u[:, t], h)
            steps.append(y_t)
    stream = torch.stack(steps, 1)
    print(f"max |conv - scan| = {(conv - scan).abs().max():.2e}, max |conv - stream| = {(conv - stream).abs().max():.2e}")
    return acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    main(parser.parse_args().smoke)
