"""Every example runs at its --smoke setting."""

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_smoke(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(path), "--smoke"])
    runpy.run_path(str(path), run_name="__main__")


def test_irregular_pipelines_other_models(tmp_path, monkeypatch):
    """The irregular pipelines' non-default models (LTC, S5) run too: every task, every fit, a finite error."""
    monkeypatch.chdir(tmp_path)
    path = EXAMPLES[0].parent / "irregular_pipelines.py"
    results = runpy.run_path(str(path), run_name="irregular_pipelines")["main"](smoke=True, models=("LTC", "S5"))
    assert sorted({k.split(" / ")[0] for k in results}) == ["LTC", "S5"]
    assert len(results) == 8
    for task, r in results.items():
        assert set(r) == {"with times", "without times", "interpolated"}, task
        assert all(np.isfinite(v) and v >= 0 for v in r.values()), (task, r)
