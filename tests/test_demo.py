"""The main job runs end to end (smoke settings) and writes its plot and results."""

import json

import pytest


@pytest.mark.slow
def test_demo_smoke(tmp_path, capsys):
    from tsrnn.cli import main

    assert main(["demo", "--smoke", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "S5Forecaster" in out and "SeasonalNaive" in out and "GunPoint" in out
    assert (tmp_path / "forecast.png").stat().st_size > 10_000
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["etth1_lookback96_horizon96"]["S5Forecaster"]["mse"] > 0
