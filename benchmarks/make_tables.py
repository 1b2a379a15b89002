"""Turn ``results/*.json`` into the reStructuredText tables of ``docs/benchmarks.rst``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "docs" / "_bench_tables.rst"


def _load(name):
    path = HERE / "results" / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _turn_range(res, slow, fast):
    """Range of the per-turn ratios ``slow / fast`` of an interleaved timing."""
    ratios = [a / b for a, b in zip(res["per_turn"][slow], res["per_turn"][fast], strict=True)]
    return f"{min(ratios):.1f}-{max(ratios):.1f}x"


def _table(header, rows):
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = "  ".join("=" * w for w in widths)
    fmt = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip()  # noqa: E731
    return "\n".join([line, fmt(header), line, *[fmt(r) for r in cells[1:]], line, ""])


def _ms(row, key):
    return f"{row[key] * 1e3:.0f}" if key in row else "-"


def _machine(m):
    return (f"*Machine:* {m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch thread(s), load {m['load_avg_1m']:.1f}, "
            f"torch {m['torch']}, {m['date']}.\n")


def _machines(*labelled):
    """The machine line(s) of result files whose entries may come from several runs (``machines`` per entry);
    ``labelled``: (label or None, results) pairs."""
    groups = {}
    for label, res in labelled:
        for key in (res or {}).get("results", {}):
            m = res.get("machines", {}).get(key, res["machine"])
            groups.setdefault((m["cpu"], m["date"]), (m, []))[1].append(f"{label} {key}" if label else key)
    if len(groups) == 1:
        return _machine(next(iter(groups.values()))[0])
    return "\n".join(f"{_machine(m)[:-2]} ({', '.join(keys)}).\n" for m, keys in groups.values())


def main():
    parts = []
    scan = _load("scan")
    if scan:
        parts.append("Linear scan (CPU, complex64)\n----------------------------\n\n``benchmarks/bench_scan.py``: "
                     ":func:`tsrnn.ops.linear_scan` with the compiled (``cpu``) and pure-torch backends vs a per-step "
                     "loop (vectorized over batch and state) vs a same-size tensor copy, allocating (``clone``) and into "
                     "existing memory (``Tensor.copy_``, the memory-speed yardstick). Measured with torch's default "
                     "allocator and with ``THP_MEM_ALLOC_ENABLE=1`` (huge pages for large tensors).\n\n"
                     + _machine(scan["machine"]) + "\n")
        rows = []
        for label, cases in (("default", scan["cases"]), ("THP", scan.get("cases_thp", []))):
            for c in cases:
                for backend in ("cpu", "torch"):
                    if backend in c:
                        r = c[backend]
                        rows.append([label, c["B"], c["L"], c["H"], c["N"], backend, f"{r['scan_s']*1e3:.0f}",
                                     f"{r['scan_fwd_bwd_s']*1e3:.0f}", f"{c['loop_s']*1e3:.0f}", f"{c['copy_s']*1e3:.0f}",
                                     f"{c['copy_into_s']*1e3:.0f}", f"{r['speedup_vs_loop']:.1f}x",
                                     f"{r['scan_over_copy_into']:.1f}x"])
        parts.append(_table(["allocator", "B", "L", "H", "N", "backend", "scan ms", "fwd+bwd ms", "loop ms", "clone ms",
                             "copy into ms", "vs loop", "scan / copy into"], rows))
        m = scan["million_steps"]
        parts.append(f"\n10^6 steps (width {m['width']}, \\|a\\| = {m['abs_a']}): {m['seconds']:.2f} s, finite: "
                     f"{m['finite']}, max \\|h\\| = {m['max_abs_h']:.1f}.\n\n")
    for name, title in (("kernels", "Scan kernels across the shape suite"),
                        ("kernels_thp", "Scan kernels across the shape suite, THP_MEM_ALLOC_ENABLE=1")):
        kern = _load(name)
        if not kern:
            continue
        parts.append(f"{title}\n{'-' * len(title)}\n\n"
                     "``benchmarks/bench_kernels.py``: H = 256, complex64 states (``S = H N / 2``); "
                     "``linear_scan`` and the fused SISO ``diag_ssm_scan`` (ZOH, per-step gaps). Times in ms; "
                     "GB/s counts each op's minimal traffic; the copy column is ``Tensor.copy_`` of a state-sized "
                     "tensor and the last column the compiled scan's time over it. Shapes beyond the memory budget "
                     "are listed as skipped. " + (kern.get("gpu_note") or "") + ".\n\n" + _machine(kern["machine"]) + "\n")
        rows = []
        for r in kern["rows"]:
            if "skipped" in r:
                rows.append([r["op"], r["B"], r["L"], r["N"], "skipped", *[""] * 8])
                continue
            over = f"{r['cpu_fwd_s'] / r['copy_s']:.1f}x" if "cpu_fwd_s" in r else "-"
            rows.append([r["op"], r["B"], r["L"], r["N"], *(_ms(r, k) for k in ("copy_s", "loop_fwd_s", "torch_fwd_s",
                         "cpu_fwd_s", "torch_fwd_bwd_s", "cpu_fwd_bwd_s")),
                         f"{r['cpu_fwd_gbps']:.3g}" if "cpu_fwd_gbps" in r else "-", f"{r['copy_gbps']:.1f}", over])
        parts.append(_table(["op", "B", "L", "N", "copy", "loop fwd", "torch fwd", "cpu fwd", "torch fwd+bwd",
                             "cpu fwd+bwd", "cpu fwd GB/s", "copy GB/s", "cpu / copy"], rows) + "\n")
    s5 = _load("s5_speed")
    if s5:
        sh = s5["shape"]
        parts.append("S5 layer speed (CPU)\n--------------------\n\n``benchmarks/bench_s5_speed.py``: forward+backward "
                     f"at B={sh['B']}, L={sh['L']}, width {sh['width']}, state {sh['state']}.\n\n" + _machine(s5["machine"])
                     + "\n")
        rows = [[k, f"{v*1e3:.1f}" if v else "n/a", f"{s5['speedup'][k]:.2f}x" if v else "n/a"]
                for k, v in s5["seconds"].items()]
        parts.append(_table(["implementation", "ms", "time / tsrnn time"], rows) + "\n")
    acc = _load("accuracy_classification") or _load("accuracy")
    if acc and "classification" in acc:
        parts.append("Classification accuracy\n-----------------------\n\n``benchmarks/bench_accuracy.py``: "
                     "S5Classifier, UCR/UEA train/test splits bundled with sktime, parameters "
                     f"``{acc['classifier_params']}``.\n\n" + _machine(acc["machine"]) + "\n")
        rows = [[k, ", ".join(f"{a:.4f}" for a in v["accuracy"]), f"{v['mean']:.4f}", f"{v['fit_s']:.0f}"]
                for k, v in acc["classification"].items()]
        parts.append(_table(["dataset", "test accuracy per seed", "mean", "fit s"], rows) + "\n")
    fc = _load("accuracy_forecasting") or _load("accuracy")
    if fc and "etth1_96_96" in fc:
        e = fc["etth1_96_96"]
        parts.append("ETTh1 forecasting\n-----------------\n\n``benchmarks/bench_accuracy.py``: lookback 96, horizon "
                     "96, 7 channels, standard split, scaler fit on train, MSE/MAE on scaled test data over all 2,785 "
                     f"windows; S5Forecaster trained on the train split, parameters ``{fc['forecaster_params']}``.\n\n"
                     + _machine(fc["machine"]) + "\n")
        rows = [["S5Forecaster (mean over seeds)", f"{e['S5Forecaster']['mse']:.4f}", f"{e['S5Forecaster']['mae']:.4f}"],
                ["Seasonal naive (24 h)", f"{e['SeasonalNaive(24)']['mse']:.4f}", f"{e['SeasonalNaive(24)']['mae']:.4f}"]]
        parts.append(_table(["model", "test MSE", "test MAE"], rows) + "\n")
    irr = _load("irregular")
    if irr:
        mm = irr["mean_test_mse"]
        parts.append("Irregular sampling\n------------------\n\n``benchmarks/bench_irregular.py``: two-tone signals "
                     "observed at 100 random times out of 200 grid points; S5Regressor predicts both frequencies, "
                     "trained and tested on the same values with and without ``times``.\n\n" + _machine(irr["machine"])
                     + "\n")
        parts.append(_table(["S5Regressor", "test MSE"], [["with times", f"{mm['with_times']:.5f}"],
                                                           ["without times", f"{mm['without_times']:.5f}"]]))
        parts.append(f"\nWith times the error is {irr['ratio_without_over_with']:.1f}x lower.\n")
    conv = _load("conv_ssm_accuracy")
    if conv:
        parts.append("\nConvolutional SSMs: accuracy\n----------------------------\n\n``benchmarks/bench_conv_ssm_accuracy.py``: "
                     "sequential 8x8 digits (scikit-learn, 64 steps, stratified 80/20 split) and GunPoint.\n\n"
                     + _machine(conv["machine"]) + "\n")
        rows = [[fam, task, ", ".join(f"{a:.4f}" for a in r["accuracy"]), f"{r['fit_s']:.0f}"]
                for fam, tasks in conv.items() if fam != "machine" for task, r in tasks.items()]
        parts.append(_table(["family", "dataset", "test accuracy per seed", "fit s"], rows) + "\n")
    sp = _load("ssm_speed")
    if sp:
        parts.append("Convolutional SSMs: speed and memory (CPU)\n------------------------------------------\n\n"
                     "``benchmarks/bench_ssm_speed.py``: forward+backward, one thread; peak memory is the resident-set "
                     "growth of a fresh process.\n\n" + _machine(sp["machine"]) + "\n")
        lay = sp["s4d_layer"]
        rows = [[f"S4D layer B={lay['B']} L={lay['L']} H={lay['H']} N={lay['N']}", f"{lay['seconds']*1e3:.0f}",
                 f"{lay['peak_mib']:.0f}"],
                ["torch.nn.GRU, same shape", f"{sp['gru']['seconds']*1e3:.0f}", f"{sp['gru']['peak_mib']:.0f}"],
                ["4-layer S4D, B=1, L=16,000, H=64", f"{sp['s4d_4layer_L16000']['seconds']*1e3:.0f}",
                 f"{sp['s4d_4layer_L16000']['peak_mib']:.0f}"]]
        for r in sp.get("lssl_vs_s4", []):
            rows.append([f"S4 layer B=8 L={r['L']} H=64 N=64", f"{r['s4']['seconds']*1e3:.0f}", f"{r['s4']['peak_mib']:.0f}"])
            rows.append([f"LSSL layer B=8 L={r['L']} H=64 N=64", f"{r['lssl']['seconds']*1e3:.0f}",
                         f"{r['lssl']['peak_mib']:.0f}"])
        for r in sp.get("s4_length_sweep", []):
            rows.append([f"S4 layer B=1 L={r['L']} H=64 N=64", f"{r['seconds']*1e3:.0f}", f"{r['peak_mib']:.0f}"])
        parts.append(_table(["configuration", "fwd+bwd ms", "peak MiB"], rows))
        parts.append(f"\nS4D is {sp['speedup_s4d_vs_gru']:.1f}x faster than the GRU.\n")
    ls = _load("liquid_speed")
    if ls:

        sh = ls["shape"]
        parts.append("\nLiquid and continuous-time RNNs: speed (CPU)\n---------------------------------------------\n\n"
                     "``benchmarks/bench_liquid_speed.py``: each pass (forward+backward, or the forward alone) at "
                     f"B={sh['B']}, L={sh['L']}, {sh['M']} inputs, "
                     f"{sh['N']} units, one thread; the layers compared with each other take turns in one fresh "
                     f"process, and times and ratios are medians over {len(ls['per_turn']['tsrnn_cfc'])} turns (LTC: "
                     f"{len(ls['per_turn']['tsrnn_ltc'])}), every ratio taken within a turn.\n\n" + _machine(ls["machine"]) + "\n")
        names = {"tsrnn_cfc": "tsrnn CfC", "ncps_cfc": "ncps CfC", "tsrnn_ltc": "tsrnn LTC (6 unfolds), compiled solver",
                 "tsrnn_ltc_torch": "tsrnn LTC (6 unfolds), torch solver",
                 "ncps_ltc": "ncps LTC (6 unfolds)", "tsrnn_lem": "tsrnn LEM",
                 "tsrnn_lem_loop": "tsrnn LEM, autograd step loop", "lstm": "torch.nn.LSTM",
                 "cfc_gemm_floor": "CfC's unavoidable GEMMs alone (floor)"}
        kinds = {"_infer": "forward, no_grad", "_fwd": "forward, autograd on"}
        rows = []
        for k, v in ls["seconds"].items():
            kind = next((s for s in kinds if k.endswith(s)), None)
            rows.append([names[k.removesuffix(kind)] if kind else names[k], kinds[kind] if kind else "fwd+bwd",
                         f"{v * 1e3:.1f}"])
        parts.append(_table(["model", "pass", "ms"], rows))
        r = ls["ratios"]
        parts.append(f"\nncps / tsrnn: CfC {r['cfc_vs_ncps']:.2f}x, LTC {r['ltc_vs_ncps']:.2f}x"
                     + (f" (per turn {_turn_range(ls, 'ncps_ltc', 'tsrnn_ltc')}; the torch solver "
                        f"{r['ltc_torch_vs_ncps']:.2f}x, the compiled one {r['ltc_kernel_vs_torch']:.2f}x faster than it)"
                        if "ltc_kernel_vs_torch" in r else "")
                     + f"; tsrnn CfC / LSTM "
                     f"{r['cfc_over_lstm']:.1f}x"
                     + (f"; CfC / its GEMM floor: tsrnn {r['cfc_over_gemm_floor']:.1f}x, ncps "
                        f"{r['ncps_cfc_over_gemm_floor']:.1f}x" if "cfc_over_gemm_floor" in r else "")
                     + (f"; LEM's step loop / its fused loop {r['lem_loop_vs_fused']:.1f}x, fused LEM / LSTM "
                        f"{r['lem_over_lstm']:.1f}x" if "lem_loop_vs_fused" in r else "")
                     + (f"; prediction (forward under no_grad): ncps CfC / tsrnn CfC {r['cfc_infer_vs_ncps']:.2f}x, "
                        f"tsrnn CfC / LSTM {r['cfc_infer_over_lstm']:.1f}x, LEM / LSTM {r['lem_infer_over_lstm']:.1f}x; "
                        f"the forward with autograd on / under no_grad: CfC {r['cfc_fwd_over_infer']:.2f}x, LEM "
                        f"{r['lem_fwd_over_infer']:.2f}x" if "cfc_infer_vs_ncps" in r else "") + ".\n")
    fit = _load("ltc_fit")
    if fit:
        parts.append(f"\n``benchmarks/bench_ltc_fit.py``: training time of ``LTCClassifier`` on JapaneseVowels "
                     f"({fit['epochs']} epochs, one seed, one thread) with the compiled solver and with the torch "
                     "path (``TSRNN_BACKEND=torch``: the torch solver, or with mixed memory the autograd step loop); "
                     "the fits differ by float32 rounding only.\n\n" + _machine(fit["machine"]) + "\n")
        rows = [[config, f"{r['seconds']['compiled']:.1f}", f"{r['seconds']['torch']:.1f}", f"{r['speedup']:.1f}x",
                 f"{r['accuracy']['compiled']:.3f}", f"{r['accuracy']['torch']:.3f}"] for config, r in fit["configs"].items()]
        parts.append(_table(["configuration", "compiled s", "torch s", "torch / compiled", "accuracy (compiled)",
                             "accuracy (torch)"], rows))
    digits, vowels_, irregular = _load("liquid_digits"), _load("liquid_vowels"), _load("liquid_irregular")
    if digits or vowels_:
        parts.append("\nLiquid and continuous-time RNNs: accuracy\n-----------------------------------------\n\n"
                     "``benchmarks/bench_liquid_accuracy.py``: sequential 8x8 digits (stratified 80/20) and "
                     "JapaneseVowels (UEA train/test), ``pooling=\"last\"``; the configuration of every row is in the "
                     "results file.\n\n" + _machines(("digits", digits), ("JapaneseVowels", vowels_)) + "\n")
        rows = [[task, fam, ", ".join(f"{a:.4f}" for a in r["accuracy"]), f"{r['mean']:.3f}", f"{r['fit_s']:.0f}"]
                for task, res in (("sequential digits", digits), ("JapaneseVowels", vowels_)) if res
                for fam, r in res["results"].items()]
        parts.append(_table(["dataset", "family", "test accuracy per seed (seeds 0, 1, ...)", "mean", "fit s"], rows))
    sweeps = _load("liquid_sweeps")
    if sweeps:
        parts.append("\nSearch runs (``--set`` / ``--first-seed``; ``results/liquid_sweeps.json``): the part, the family, "
                     "the seeds and the configuration of each run; a configuration chosen on some seeds is "
                     "confirmed on others.\n\n" + _machines((None, sweeps)) + "\n")
        rows = [[key, f"{r['mean']:.3f}", f"{min(r['accuracy']):.3f}-{max(r['accuracy']):.3f}"]
                for key, r in sweeps["results"].items()]
        parts.append(_table(["run (part, family, seeds, configuration)", "mean accuracy", "range"], rows))
    if irregular:
        parts.append("\nIrregular pipelines (``examples/irregular_pipelines.py``): test MSE (ETTh1 tasks) or "
                     "test error rate (JapaneseVowels) of the same model fitted with times, without times and on "
                     "the interpolated regular grid. On the ETTh1 tasks CfC and LEM with times also read the daily "
                     "phase (``time_periods=(24,)``); S5 reads the gaps only.\n\n" + _machines((None, irregular)) + "\n")
        rows = [[k, *(f"{v[x]:.4f}" for x in ("with times", "without times", "interpolated")),
                 f"{v['without times'] / max(v['with times'], 1e-12):.2f}x"] for k, v in irregular["results"].items()]
        parts.append(_table(["model / task", "with times", "without times", "interpolated", "without / with"], rows))
    over_seeds = [(name, res) for name, res in (("JapaneseVowels", _load("liquid_irregular_vowels")),
                                                  ("ETTh1", _load("liquid_irregular_etth1"))) if res]
    if over_seeds:
        parts.append("\nThe pipelines over several seeds (``--part irregular_vowels`` / ``irregular_etth1``; each seed "
                     "drops other observations and initializes anew): mean test error rate (JapaneseVowels) or MSE "
                     "(ETTh1), and the ratio of the means; \"with times\" as in the table above.\n\n"
                     + _machines(*((None, res) for _, res in over_seeds)) + "\n")
        rows = [[key, f"{r['seeds'][0]}-{r['seeds'][-1]}",
                 *(f"{np.mean(r['test error'][x]):.4f}" for x in ("with times", "without times", "interpolated")),
                 f"{r['without / with times']:.2f}x"] for _, res in over_seeds for key, r in res["results"].items()]
        parts.append(_table(["model / task", "seeds", "with times", "without times", "interpolated", "without / with"],
                            rows))
    baselines = _load("liquid_irregular_baselines")
    if baselines:
        parts.append("\nWhat the times are worth on the ETTh1 tasks for fixed predictors (no training; test MSE of the "
                     "scaled HUFL target, ``--part baselines``): predictors that use only the order of the "
                     "observations against ones that use their times.\n")
        rows = [[task, name, f"{v:.3f}"] for task, r in baselines["results"].items() for name, v in r.items()]
        parts.append(_table(["task", "predictor", "test MSE"], rows))
    OUT.write_text("\n".join(parts))
    print("wrote", OUT)
    for name, make in (("_cyclenet_table.rst", cyclenet_table), ("_chimera_table.rst", chimera_table),
                       ("_dsr_table.rst", dsr_table), ("_dsr_speed_table.rst", dsr_speed_table),
                       ("_warp_table.rst", warp_table), ("_forecast_memory_table.rst", forecast_memory_table),
                       ("_quantiles_table.rst", quantiles_table), ("_export_table.rst", export_table)):
        (OUT.parent / name).write_text(make())
        print("wrote", OUT.parent / name)


def cyclenet_table() -> str:
    res = _load("cyclenet_etth1")
    if not res:
        return "*(not run yet: benchmarks/bench_cyclenet.py)*\n"
    r = res["results"]
    rows = []
    for key, v in r.items():
        if "seasonal_naive" in key:
            continue
        lookback, horizon, backbone, variant = key.split("_", 3)
        paper = v.get("paper_mse")
        cycle = {"no_cycle": "none (ablation)"}.get(variant, variant.replace("cycle", "W="))
        rows.append([lookback[1:], horizon[1:], backbone, cycle,
                     f"{v['mse']:.4f} ± {v['mse_std']:.4f}", f"{v['mae']:.4f}", f"{paper:.3f}" if paper else "-",
                     f"{100 * (v['mse'] / paper - 1):+.1f}%" if paper else "-",
                     f"{r.get(f'{lookback}_{horizon}_seasonal_naive', {}).get('mse', float('nan')):.4f}",
                     v["seeds"], f"{v['epochs']:.1f}", f"{v['seconds']:.0f}"])
    rows.sort(key=lambda x: (int(x[0]), x[2], int(x[1]), x[3]))
    return (_machine(res["machine"]) + "\n" + _table(["lookback", "horizon", "backbone", "cycle", "test MSE (mean ± std)",
                                                      "MAE", "paper MSE", "vs paper", "seasonal naive", "seeds",
                                                      "epochs", "fit s"], rows))


def dsr_table() -> str:
    res = _load("dsr_lorenz63")
    if not res:
        return "*(not run yet: benchmarks/bench_dsr.py)*\n"
    r = res["results"]
    truth = r.get("ground_truth", {}).get("lyapunov_spectrum", [float("nan")])[0]
    rows = []
    for name, v in r.items():
        if name == "ground_truth":
            continue
        if "skipped" in v:
            rows.append([name, v["skipped"], "", "", "", ""])
            continue
        lyap = v.get("max_lyapunov")
        rows.append([name, f"{v['state_space_divergence']:.3f}", f"{v['power_spectrum_distance']:.3f}",
                     "-" if lyap is None else f"{lyap:.3f} ({100 * (lyap / truth - 1):+.0f}%)",
                     f"{v['fit_seconds']:.0f}" if "fit_seconds" in v else "-", v.get("epochs", "-")])
    return (_machine(res["machine"]) + f"\nGround-truth max Lyapunov exponent (vector field): {truth:.3f}.\n\n"
            + _table(["model", "D_stsp (30 bins)", "D_H (sigma 20)", "max Lyapunov (vs truth)", "fit s", "epochs"],
                     rows))


def forecast_memory_table() -> str:
    res = _load("forecast_memory")
    if not res:
        return "*(not run yet: benchmarks/bench_forecast_memory.py)*\n"
    rows = []
    for key, v in res["results"].items():
        version, shape = key.split(": ", 1)
        if "error" in v:
            size = re.search(r"allocate ([\d.]+ \w+)", v["error"])
            rows.append([shape, version, f"out of memory (allocating {size.group(1) if size else '?'})", "", ""])
        else:
            rows.append([shape, version, v["fit_increase_mb"], v["series_mb"] or "<1", v["materialized_windows_mb"]])
    rows.sort(key=lambda r: (r[0], r[1]))
    return (_machines((None, res)) + "\n"
            + _table(["series (lookback 96, horizon 96)", "version", "peak memory added by fit (MB)",
                      "series, float32 (MB)", "its windows materialized, float32 (MB)"], rows))


def quantiles_table() -> str:
    res = _load("quantiles_etth1")
    if not res:
        return "*(not run yet: benchmarks/bench_quantiles.py)*\n"
    rows = [[name, len(v["runs"]), " / ".join(f"{b:.3f}" for b in v["below"]), f"{v['coverage_80']:.3f}",
             f"{v['width_80']:.3f}", f"{v['pinball']:.4f}", f"{v['mse']:.4f}", f"{v['mae']:.4f}", f"{v['fit_s']:.0f}"]
            for name, v in res["results"].items()]
    return (_machine(res["machine"]) + "\n"
            + _table(["model", "seeds", "share below the 0.1 / 0.5 / 0.9 forecasts", "80% interval coverage",
                      "width", "pinball loss", "median MSE", "median MAE", "fit s"], rows))


def export_table() -> str:
    res = _load("export")
    if not res:
        return "*(not run yet: benchmarks/bench_export.py)*\n"
    rows = [[name, v["n"], _ms(v, "predict_s"), _ms(v, "model_inputs_s"), _ms(v, "program_s"),
             f"{v['program_over_predict']:.2f}x", f"{v['max_abs_diff']:.1e}", f"{v['export_s']:.1f}"]
            for name, v in res["results"].items()]
    return (_machine(res["machine"]) + "\n"
            + _table(["model, data", "series", "predict (ms)", "model_inputs (ms)", "exported program (ms)",
                      "program / predict", "largest difference", "export (s)"], rows))


def dsr_speed_table() -> str:
    res = _load("dsr_speed")
    if not res:
        return "*(not run yet: benchmarks/bench_dsr_speed.py)*\n"
    rows = [[name, f"{v['batch_loop_s'] * 1e3:.1f}", f"{v['batch_fused_s'] * 1e3:.1f}", f"{v['batch_speedup']:.1f}x",
             f"{v['alpha_dense_s'] * 1e3:.1f}", f"{v['alpha_estimate_s'] * 1e3:.1f}", f"{v['epoch_s']:.2f}"]
            for name, v in res["results"].items()]
    return (_machine(res["machine"]) + "\n"
            + _table(["model, forcing", "batch, autograd loop (ms)", "batch, fused (ms)", "speed-up",
                      "alpha estimate, every state (ms)", "alpha estimate, used (ms)", "epoch through the estimator (s)"],
                     rows)
            + f"\nFor scale: the AL-RNN reference PyTorch tutorial, same shapes, {res['reference_tutorial_epoch_s']:.2f} s "
              "per epoch (2000 epochs in 20:53 on unstated hardware).\n")


def chimera_table() -> str:
    res = _load("chimera")
    if not res:
        return "*(not run yet: benchmarks/bench_chimera.py)*\n"
    r = res["results"]
    fc = [[k, v["chimera"]["config"].get("decoder", "closed_loop"), v["chimera"]["config"]["stride"],
           v["chimera"]["runs"][0]["epochs"], f"{v['chimera']['mse']:.4f}", f"{v['chimera']['mae']:.4f}",
           f"{v['chimera']['seconds']:.0f}",
           f"{v['cyclenet_linear']['mse']:.4f}" if v["cyclenet_linear"].get("mse") else "-",
           f"{v['seasonal_naive']['mse']:.4f}"] for k, v in r.items() if k.startswith("etth1")]
    cl = [[k.split("_", 1)[0], k.split("_", 1)[1], f"{v['accuracy']:.4f}", len(v["runs"]), f"{v['seconds']:.0f}"]
          for k, v in r.items() if not k.startswith("etth1")]
    out = _machine(res["machine"]) + "\n"
    if fc:
        out += _table(["task", "decoder", "train stride", "epochs", "Chimera MSE", "Chimera MAE", "Chimera fit s",
                       "CycleNet/Linear MSE",
                       "seasonal naive MSE"], fc) + "\n"
    if cl:
        out += _table(["dataset", "variant", "test accuracy", "seeds", "fit s"], cl)
    return out


def warp_table() -> str:
    parts = []
    msd = _load("warp_msd")
    if msd:
        r = msd["results"]
        models = sorted({k.split("/")[0] for k in r if "/" in k})
        mean = {m: float(np.mean([v["mse"] for k, v in r.items() if k.split("/")[0] == m])) for m in models}
        rows = []
        for m in models:
            runs = [v for k, v in r.items() if k.split("/")[0] == m]
            gru = mean.get("gru" + m[m.rindex("_e"):] if "_e" in m and m[m.rindex("_e") + 2 :].isdigit() else "gru")
            rows.append([m, f"{mean[m]:.5f}", f"{gru / mean[m]:.2f}" if gru else "", runs[0]["n_params"],
                         f"{np.mean([v['seconds'] for v in runs]):.0f}", runs[0]["epochs"], len(runs)])
        for name in ("last_value", "zero_forecast"):
            rows.append([name, f"{r[name]['mse']:.5f}", "", "", "", "", ""])
        parts.append("**Mass-spring-damper** (1,000 training / 200 test series, context 100, forecast 100 steps, "
                     "test MSE in the data's units)\n\n" + _machine(msd["machine"]) + "\n"
                     + _table(["model", "test MSE", "GRU MSE / MSE (same epochs)", "weights", "fit s", "epochs", "seeds"],
                              rows))
    ett = _load("warp_etth1")
    if ett:
        cyc = _load("cyclenet_etth1")
        ref = cyc["results"].get("L96_H96_linear_cycle24", {}).get("mse") if cyc else None
        naive = cyc["results"].get("L96_H96_seasonal_naive", {}).get("mse") if cyc else None
        rows = [[k, f"{v['mse']:.4f}", f"{v['mae']:.4f}", v["epochs"], v["stride"], f"{v['seconds']:.0f}"]
                for k, v in ett["results"].items()]
        parts.append("**ETTh1**, lookback 96, horizon 96, every test window "
                     f"(CycleNet/Linear: {ref:.4f} MSE; seasonal naive: {naive:.4f})\n\n" if ref and naive else
                     "**ETTh1**, lookback 96, horizon 96\n\n")
        parts[-1] += _machine(ett["machine"]) + "\n" + _table(["configuration", "test MSE", "test MAE", "epochs",
                                                                "train stride", "fit s"], rows)
    cls = _load("warp_classification")
    if cls:
        rows = [[k, f"{v['accuracy']:.4f}", v["epochs"], v["root_width"], f"{v['seconds']:.0f}"]
                for k, v in cls["results"].items()]
        parts.append("**Classification** (bundled UEA sets, official split)\n\n" + _machine(cls["machine"]) + "\n"
                     + _table(["dataset / transition", "test accuracy", "epochs", "root width", "fit s"], rows))
    cost = _load("warp_cost")
    if cost:
        rows = [[v["D"], v["T"], v["B"], f"{v['dense'] * 1e3:.1f}", f"{v['diagonal'] * 1e3:.1f}",
                 f"{v['dplr'] * 1e3:.1f}", f"{v['dense_reference_loop'] * 1e3:.1f}",
                 f"{v['gru_same_width'] * 1e3:.1f}", f"{v['dense_over_diagonal']:.1f}",
                 f"{v['reference_over_dense']:.2f}"] for v in cost["results"].values()]
        parts.append("**Cost of the weight recurrence** (forward + backward of the scan alone, ms)\n\n"
                     + _machine(cost["machine"]) + "\n"
                     + _table(["D", "T", "B", "dense", "diagonal", "dplr (r=8)", "dense, step-by-step reference",
                               "GRU (width of the root)", "dense / diagonal", "reference / dense"], rows))
    if not parts:
        return "*(not run yet: benchmarks/bench_warp.py)*\n"
    return "\n".join(parts)


if __name__ == "__main__":
    main()
