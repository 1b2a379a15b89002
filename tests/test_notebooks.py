"""Every notebook in examples/notebooks runs at its small setting (TSRNN_SMOKE=1) and writes its figures.

The code cells are executed in order in one namespace (no Jupyter kernel needed); the stored notebooks carry
outputs from a full-size run.
"""

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "examples" / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_produces_figures(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TSRNN_SMOKE", "1")
    cells = json.loads(path.read_text())["cells"]
    code = [("".join(c["source"]) if isinstance(c["source"], list) else c["source"]) for c in cells
            if c["cell_type"] == "code"]
    namespace = {"__name__": "__main__"}
    for source in code:
        exec(compile(source, str(path), "exec"), namespace)  # noqa: S102
    import matplotlib.pyplot as plt

    plt.close("all")
    figures = sorted(p.name for p in tmp_path.glob("*.png"))
    assert len(figures) >= 2, figures
