"""The training data path: lazily cut forecasting windows, the array dataset, the allocator settings, and the
samples of each process under a distributed strategy."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from tsrnn import CfCForecaster
from tsrnn.data.panel import Panel, to_model_inputs
from tsrnn.data.windowing import Windows, make_windows
from tsrnn.training.trainer import ArrayDataset


def test_windows_index_like_the_materialized_array():
    rows = np.arange(40.0).reshape(20, 2)
    w = Windows(rows, np.array([0, 5, 9]), length=6, offset=2, first=-1.0)
    full = np.stack([rows[s + 2 : s + 8] for s in (0, 5, 9)])
    full[:, 0] = -1.0
    np.testing.assert_array_equal(np.asarray(w), full)
    np.testing.assert_array_equal(np.asarray(w[np.array([2, 0])]), full[[2, 0]])
    assert w.shape == (3, 6, 2) and len(w) == 3
    assert rows[2, 0] == 4.0  # replacing the first row never writes into the rows
    torch_w = w.with_rows(torch.as_tensor(rows))
    assert torch.equal(torch_w[1], torch.as_tensor(full[1]))
    with pytest.raises(ValueError, match="leave the 20 rows"):
        Windows(rows, np.array([0, 15]), length=6)


def test_array_dataset_cuts_windows_per_sample():
    rows = np.random.default_rng(0).standard_normal((30, 3)).astype(np.float32)
    starts = np.arange(0, 21, 4)
    data = ArrayDataset({"x": Windows(rows, starts, 5), "y": np.arange(len(starts)), "dt": None})
    assert len(data) == 6 and set(data[0]) == {"x", "y"}
    torch.testing.assert_close(data[3]["x"], torch.as_tensor(rows[12:17]))


def test_forecaster_windows_equal_the_materialized_ones():
    """Every window input (values with NaN, indicators, gaps, periodic time features) and target of a fit equals
    the window cut from the whole arrays, across several series and a stride."""
    rng = np.random.default_rng(0)
    series = [rng.standard_normal((60, 2)), rng.standard_normal((45, 2))]
    series[0][rng.random((60, 2)) < 0.1] = np.nan
    times = [np.cumsum(rng.uniform(0.5, 1.5, len(s))) for s in series]
    est = CfCForecaster(lookback=10, horizon=4, stride=3, time_periods=(24,), units=4, max_epochs=1,
                        random_state=0).fit(series, times=times)
    lazy = est._window_arrays([(s, t, 0) for s, t in zip(series, times, strict=True)], stride=3)
    cut = [make_windows(est.scaler_.transform(s), 10, 4, 3, t) for s, t in zip(series, times, strict=True)]
    xs, ys, ts = ([c[k] for c in cut] for k in range(3))
    panel = Panel(np.concatenate(xs), np.full(sum(map(len, xs)), 10), np.concatenate(ts))
    materialized = to_model_inputs(panel, est.missing_indicators_, est.time_unit_, (24,))
    assert est.missing_indicators_ and lazy["x"].shape == materialized["x"].shape
    np.testing.assert_array_equal(np.asarray(lazy["x"]), materialized["x"])
    np.testing.assert_array_equal(np.asarray(lazy["dt"]), materialized["dt"])
    np.testing.assert_array_equal(np.asarray(lazy["y"]), np.concatenate(ys).astype(np.float32))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_allocator_settings_and_their_opt_out():
    code = "from tsrnn.training.trainer import keep_freed_memory as k; print(k(), k())"
    on = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    off = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"TSRNN_MALLOC": "default", "PATH": ""}).stdout.split()
    assert on == ["True", "True"] and off == ["False", "False"]


def test_forecaster_predict_in_chunks_equals_one_pass():
    """predict builds the model inputs of a bounded number of contexts at a time; chunking changes nothing."""
    from tsrnn import CycleNetForecaster

    t = np.arange(400.0)
    y = np.stack([np.sin(2 * np.pi * t / 24), np.cos(2 * np.pi * t / 12)], axis=1)
    contexts = np.stack([y[s : s + 30] for s in range(0, 300, 30)])
    times = np.stack([t[s : s + 30] for s in range(0, 300, 30)])
    for est in (CycleNetForecaster(lookback=24, horizon=6, cycle_length=24, max_epochs=1, early_stopping=False,
                                   random_state=0).fit(y, times=t),
                CfCForecaster(lookback=24, horizon=6, units=4, time_periods=(24,), max_epochs=1,
                              random_state=0).fit(y, times=t)):
        whole = est.predict(contexts, times=times)
        est._predict_chunk = 3  # 10 contexts in chunks of 3, 3, 3 and 1
        # float32 GEMMs may round differently for a batch of another size (~1e-7 relative)
        np.testing.assert_allclose(est.predict(contexts, times=times), whole, rtol=1e-5, atol=1e-6)
        assert whole.shape == (10, 6, 2)


DDP_SCRIPT = """
import json, sys

import numpy as np
import torch.distributed as dist

from tsrnn import S5Classifier

if __name__ == "__main__":
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 30))
    y = (X[:, :5].mean(1) > 0).astype(int)
    params = dict(max_epochs=2, d_model=8, d_state=8, n_layers=1, batch_size=32, random_state=0)
    untrained = S5Classifier(**params, trainer_kwargs={"max_epochs": 0}).fit(X, y)
    clf = S5Classifier(**params, trainer_kwargs={"strategy": "ddp", "devices": 2, "accelerator": "cpu"}).fit(X, y)
    with open(f"{sys.argv[1]}/rank{dist.get_rank()}.json", "w") as f:
        json.dump({"history": clf.history_, "proba": clf.predict_proba(X).tolist(),
                   "untrained": untrained.predict_proba(X).tolist()}, f)
"""


def test_distributed_fit_trains_every_process(tmp_path):
    # Two CPU processes (Lightning's ddp launcher re-runs the script): each draws 20 of the 40 samples, fewer
    # than batch_size, so none may drop its only (incomplete) batch; the logged losses are averaged over them.
    script = tmp_path / "fit_ddp.py"
    script.write_text(DDP_SCRIPT)
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, capture_output=True, timeout=300,
                   env={**os.environ, "OMP_NUM_THREADS": "1"})
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [h["epoch"] for h in ranks[0]["history"]] == [0, 1]
    assert ranks[0]["history"] == ranks[1]["history"]  # losses synchronized across the processes
    np.testing.assert_allclose(ranks[0]["proba"], ranks[1]["proba"], atol=1e-6)  # one model, replicated
    assert np.abs(np.subtract(ranks[0]["proba"], ranks[0]["untrained"])).max() > 1e-3  # and it was trained
