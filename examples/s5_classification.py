"""Classify UCR/UEA series with S5: GunPoint (univariate), BasicMotions (6 channels), JapaneseVowels
(unequal lengths). Runs in a few minutes on a laptop CPU; ``--smoke`` runs in seconds.

    python examples/s5_classification.py [--smoke]
"""

import argparse

from tsrnn.datasets import load_classification

from tsrnn import S5Classifier


def main(smoke: bool = False) -> dict:
    params = dict(d_model=64, d_state=64, n_layers=2, bidirectional=True, max_epochs=100, batch_size=16, lr=3e-3)
    if smoke:
        params.update(d_model=8, d_state=8, n_layers=1, max_epochs=1)
    scores = {}
    for name in ("GunPoint", "BasicMotions", "JapaneseVowels"):
        X, y = load_classification(name, "train")
        Xt, yt = load_classification(name, "test")
        clf = S5Classifier(**params, random_state=0).fit(X, y)
        scores[name] = clf.score(Xt, yt)
        print(f"{name:<15} test accuracy {scores[name]:.3f}  ({len(clf.history_)} epochs)")
    return scores


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    main(parser.parse_args().smoke)
