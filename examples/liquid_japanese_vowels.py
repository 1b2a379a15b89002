"""Liquid and continuous-time RNNs on JapaneseVowels: CfC, LTC, LEM and an NCP-wired CfC.

JapaneseVowels (UEA, shipped with sktime): 9 speakers, 12 LPC cepstrum channels, utterances of 7 to 29 frames
(unequal lengths, passed as a list). CfC, LTC and LEM are fitted with the configurations that
``benchmarks/bench_liquid_accuracy.py`` measures over ten seeds (it reads them from here); the NCP-wired CfC is a
sparse network of 64 neurons with a warm-up + cosine schedule.
Then:

- **streaming**: one test utterance is fed frame by frame with ``stream()``, which carries the state across
  calls; the label after the last frame equals ``predict`` on the whole utterance;
- **anytime classification**: the test accuracy when only the first 10%, 20%, ... of every utterance has been
  heard (the prediction a streaming model would give at that point), plotted for every model.

Prints the test accuracy and fit time of every model and writes the plot. ``--smoke`` runs in seconds.

    python examples/liquid_japanese_vowels.py [--smoke] [--models CfC,LTC,LEM,CfC-NCP] [--out liquid_vowels.png]
"""

import argparse
import time

import numpy as np
from tsrnn.datasets import load_classification

from tsrnn import CfCClassifier, LEMClassifier, LTCClassifier

SHARED = dict(pooling="last", batch_size=32, random_state=0)
MODELS = {
    "CfC": (CfCClassifier, dict(units=64, backbone_units=128, mixed_memory=True, lr=2e-3, lr_schedule="cosine",
                                warmup_epochs=5, weight_decay=1.0, max_epochs=150)),
    "LTC": (LTCClassifier, dict(units=64, mixed_memory=True, lr=3e-3, max_epochs=60)),
    "LEM": (LEMClassifier, dict(units=64, dt=0.5, lr=3e-3, weight_decay=0.1, max_epochs=80)),
    # AutoNCP: 64 neurons in inter -> command -> motor (16) layers, about half the possible synapses, no backbone
    "CfC-NCP": (CfCClassifier, dict(units=64, wiring="ncp", lr=1e-2, lr_schedule="cosine", warmup_epochs=5,
                                    max_epochs=150)),
}


def prefixes(X, fraction):
    """The first ``ceil(fraction * T_i)`` frames of every series of the list ``X``."""
    return [x[: int(np.ceil(fraction * len(x)))] for x in X]


def main(smoke=False, models=tuple(MODELS), out="liquid_vowels.png"):
    X, y = load_classification("JapaneseVowels", "train")
    Xt, yt = load_classification("JapaneseVowels", "test")
    if smoke:
        X, y, Xt, yt = X[:60], y[:60], Xt[:40], yt[:40]
    fractions = np.linspace(0.1, 1.0, 10)
    results = {}
    for name in models:
        cls, params = MODELS[name]
        params = {**params, **SHARED}
        if smoke:
            params.update(max_epochs=2, warmup_epochs=1 if "warmup_epochs" in params else 0,
                          units=params["units"] if params.get("wiring") else 8)
        t0 = time.perf_counter()
        clf = cls(**params).fit(X, y)
        seconds = time.perf_counter() - t0
        anytime = [clf.score(prefixes(Xt, f), yt) for f in fractions]
        results[name] = {"accuracy": anytime[-1], "fit_s": seconds, "anytime": anytime}
        print(f"{name:<8} test accuracy {anytime[-1]:.3f} (fit {seconds:.0f} s)", flush=True)
        if name == "CfC-NCP":
            print(f"         wiring: {clf.module_.backbone.layers[0].wiring}")

        # streaming: frame by frame, the state carried across calls
        utterance = Xt[0]
        labels = [clf.stream(utterance[None, k : k + 1], reset=k == 0)[0, -1] for k in range(len(utterance))]
        assert labels[-1] == clf.predict([utterance])[0], "the stream's last label must equal predict"
        print(f"         streamed test utterance 0 ({len(utterance)} frames): labels {' '.join(map(str, labels))} "
              f"(true {yt[0]})")
    plot(results, fractions, out)
    return results


def plot(results, fractions, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, r in results.items():
        ax.plot(100 * fractions, r["anytime"], marker="o", label=f"{name} ({r['accuracy']:.3f})")
    ax.set_xlabel("% of each test utterance heard")
    ax.set_ylabel("test accuracy")
    ax.set_title("JapaneseVowels: anytime classification")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny settings (seconds), used by the tests")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of " + ",".join(MODELS))
    parser.add_argument("--out", default="liquid_vowels.png")
    args = parser.parse_args()
    main(smoke=args.smoke, models=tuple(args.models.split(",")), out=args.out)
