"""Accuracy of the liquid / continuous-time families (CfC, LEM, LTC) on bundled data, and the irregular pipelines.

- Sequential 8x8 digits (scikit-learn): 64 steps, 1 channel, stratified 80/20 split. Issue target: LEM and
  CfC >= 0.95 test accuracy.
- JapaneseVowels (UEA, bundled with sktime; unequal lengths 7-29, 12 channels). Issue target >= 0.95.
- Irregular pipelines (``examples/irregular_pipelines.py``): ETTh1 forecast at an irregular horizon, a
  simulated oscillator forecast, ETTh1 queries and JapaneseVowels with dropped frames, each model with times,
  without times and on interpolated data. Issue target: with times at least 1.5x lower error than without.
- Irregular pipelines over seeds: JapaneseVowels (``--part irregular_vowels``) and the two ETTh1 tasks
  (``--part irregular_etth1``), once per seed.
- Irregular baselines: what the times are worth on the two ETTh1 tasks for simple fixed predictors (no
  training): predictors that may use only the order of the observations against ones that use their times.

    python benchmarks/bench_liquid_accuracy.py [--part digits,vowels,irregular,irregular_vowels,
                                                      irregular_etth1,baselines]
                                               [--families CfC,LEM,LTC]
                                               [--seeds 1] [--first-seed 0] [--set key=value ...]

Each part writes ``results/liquid_<part>.json`` (a run of some families keeps the other families' entries; ``machines``
records the machine of every entry). A run with ``--set`` (a configuration changed from ``CONFIGS``, values read
as JSON, e.g. ``--set lr_decay=0.98 --set units=128``) or on other seeds is a search run: it is recorded in
``results/liquid_sweeps.json`` under the part, family, seeds and full configuration, never as the part's result. Choose a
configuration on some seeds and confirm it on others (``--first-seed``): the best of many configurations on the
same seeds overstates it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from _common import merge
from bench_conv_ssm_accuracy import sequential_digits
from tsrnn.datasets import etth1_irregular_forecast, etth1_irregular_queries, load_classification

from tsrnn import CfCClassifier, LEMClassifier, LTCClassifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import irregular_pipelines  # noqa: E402
import liquid_japanese_vowels  # noqa: E402

CONFIGS = {  # per dataset: the best configuration found for each family (digits: the paper's LEM dt for sMNIST)
    "digits": {
        "CfC": (CfCClassifier, dict(units=64, mode="no_gate", mixed_memory=True, lr=2e-3, lr_schedule="cosine",
                                    warmup_epochs=5, max_epochs=100, trainer_kwargs={"gradient_clip_val": 1.0})),
        "LEM": (LEMClassifier, dict(units=128, dt=0.21, lr=3e-3, max_epochs=120,
                                    trainer_kwargs={"gradient_clip_val": 1.0})),
        "LTC": (LTCClassifier, dict(units=32, mixed_memory=True, lr=3e-3, max_epochs=30)),
    },
    # the same configurations as the example examples/liquid_japanese_vowels.py (defined there)
    "vowels": {name: liquid_japanese_vowels.MODELS[name] for name in ("CfC", "LEM", "LTC")},
}


def vowels():
    X, y = load_classification("JapaneseVowels", "train")
    Xt, yt = load_classification("JapaneseVowels", "test")
    return X, Xt, y, yt


def classification(make, configs, seeds, families):
    Xtr, Xte, ytr, yte = make()
    out = {}
    for name, (cls, params) in configs.items():
        if name not in families:
            continue
        accs, secs = [], []
        for seed in seeds:
            t0 = time.perf_counter()
            clf = cls(**params, pooling="last", batch_size=32, random_state=seed).fit(Xtr, ytr)
            secs.append(time.perf_counter() - t0)
            accs.append(clf.score(Xte, yte))
            print(f"{name:<4} {make.__name__:<18} seed {seed}: accuracy {accs[-1]:.4f} ({secs[-1]:.0f} s)", flush=True)
        out[name] = {"accuracy": accs, "mean": float(np.mean(accs)), "fit_s": float(np.mean(secs)),
                     "params": {**{k: v for k, v in params.items() if k != "trainer_kwargs"},
                                **params.get("trainer_kwargs", {})}}
    return out


def irregular_baselines(n: int = 2000, seed: int = 1000) -> dict:
    """Test MSE of fixed predictors of the scaled HUFL target on the ETTh1 test windows of the pipelines.

    Queries (an hour inside the window): the mean of the two observed neighbours (order only) against linear
    interpolation between them in time. Forecast (1-24 h after the window): the last observed value and the
    window mean (order only) against the interpolated value 24 h before the query (needs the times).
    """
    out = {}
    d = etth1_irregular_queries("test", n, seed=seed)
    neighbours, interpolated = [], []
    for x, t, q in zip(d["X"], d["times"], d["query"], strict=True):
        at, v = int(np.flatnonzero(t == q)[0]), x[:, 0]
        before = [i for i in range(at) if not np.isnan(v[i])][-1:]
        after = [i for i in range(at + 1, len(v)) if not np.isnan(v[i])][:1]
        idx = before + after
        neighbours.append(np.mean(v[idx]))
        interpolated.append(np.interp(q, t[idx], v[idx]))
    mse = lambda p, y: float(np.mean((np.asarray(p) - y) ** 2))  # noqa: E731
    out["ETTh1 queries"] = {"variance": float(np.var(d["y"])), "neighbour mean (order only)": mse(neighbours, d["y"]),
                            "interpolation in time": mse(interpolated, d["y"])}
    d = etth1_irregular_forecast("test", n, seed=seed)
    last, mean, daily = [], [], []
    for x, g, q in zip(d["X"], d["X_grid"], d["query"], strict=True):
        v = x[:-1, 0][~np.isnan(x[:-1, 0])]
        last.append(v[-1])
        mean.append(v.mean())
        daily.append(g[q - 24, 0])
    out["ETTh1 forecast"] = {"variance": float(np.var(d["y"])), "last value (order only)": mse(last, d["y"]),
                             "window mean (order only)": mse(mean, d["y"]), "value 24 h before (times)": mse(daily, d["y"])}
    for task, r in out.items():
        print(task, ", ".join(f"{k} {v:.3f}" for k, v in r.items()))
    return out


def irregular_over_seeds(tasks, seeds, families) -> dict:
    """Pipelines of ``examples/irregular_pipelines.py`` over several seeds (each seed draws other dropped
    observations and another initialization): per-seed test error with times, without times and on the
    interpolated grid, and the ratio of the mean errors without / with times. ``tasks`` maps a task name to its
    pipeline function; results are keyed ``"<family> / <task>"``."""
    out = {}
    for name in families:
        for task, run in tasks.items():
            runs = []
            for seed in seeds:  # printed as each seed finishes
                runs.append(run(name, seed=seed))
                print(f"{name:<4} irregular {task} seed {seed}: " + ", ".join(f"{k} {v:.4f}" for k, v in runs[-1].items()),
                      flush=True)
            errors = {label: [r[label] for r in runs] for label in irregular_pipelines.VARIANTS}
            out[f"{name} / {task}"] = {
                "seeds": list(seeds), "test error": errors,
                "without / with times": float(np.mean(errors["without times"]) / np.mean(errors["with times"]))}
    return out


def _parse_setting(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise SystemExit(f"--set expects KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value  # a bare string such as mode=no_gate


def _changed(params: dict, changes: dict) -> dict:
    """``params`` with ``changes`` applied; Trainer arguments (``gradient_clip_val``) go into ``trainer_kwargs``."""
    trainer = {"gradient_clip_val", "gradient_clip_algorithm", "accumulate_grad_batches"}
    out = {**params, **{k: v for k, v in changes.items() if k not in trainer}}
    kwargs = {**params.get("trainer_kwargs", {}), **{k: v for k, v in changes.items() if k in trainer}}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}  # --set gradient_clip_val=null removes it
    out.pop("trainer_kwargs", None)
    return {**out, "trainer_kwargs": kwargs} if kwargs else out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", default="digits,vowels,irregular")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--families", default="CfC,LEM,LTC")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="change a parameter of the configurations run (a search run; value read as JSON)")
    args = parser.parse_args()
    seeds, families = list(range(args.first_seed, args.first_seed + args.seeds)), args.families.split(",")
    changes = dict(_parse_setting(s) for s in args.set)
    datasets = {"digits": sequential_digits, "vowels": vowels}
    if changes and not set(args.part.split(",")) <= set(datasets):
        raise SystemExit(f"--set applies to the parts {sorted(datasets)} only, got --part {args.part}")
    for part in args.part.split(","):  # one results file per part, so parts can run in parallel
        if part in datasets:
            configs = {name: (cls, _changed(params, changes)) for name, (cls, params) in CONFIGS[part].items()}
            result = classification(datasets[part], configs, seeds, families)
            if changes or args.first_seed:  # a search run
                runs = {f"{part} {name} seeds {seeds[0]}-{seeds[-1]} {json.dumps(r['params'], sort_keys=True)}": r
                        for name, r in result.items()}  # keyed by the full configuration, which CONFIGS may leave
                print("wrote", merge("liquid_sweeps", runs))
                continue
        elif part == "irregular_vowels":
            result = irregular_over_seeds({"JapaneseVowels": irregular_pipelines.japanese_vowels}, seeds, families)
        elif part == "irregular_etth1":
            result = irregular_over_seeds({"ETTh1 forecast": irregular_pipelines.etth1_forecast,
                                           "ETTh1 queries": irregular_pipelines.etth1_queries}, seeds, families)
        elif part == "baselines":
            result = irregular_baselines()
        else:
            result = irregular_pipelines.main(models=tuple(families))
        part = "irregular_baselines" if part == "baselines" else part
        print("wrote", merge(f"liquid_{part}", result))  # a run of some families keeps the others' entries


if __name__ == "__main__":
    main()
