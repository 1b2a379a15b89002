"""Shared helpers for benchmark scripts: timing and machine description."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    """Where a result came from: CPU, threads, load, versions."""
    import torch

    cpu = platform.processor()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_avg_1m": os.getloadavg()[0],
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "date": time.strftime("%Y-%m-%d"),
    }


def timeit(fn, repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def write(name: str, payload: dict) -> Path:
    """Write ``results/<name>.json`` with the machine description."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2))
    return path


def merge(name: str, new: dict, **meta) -> Path:
    """Merge ``new`` into ``results/<name>.json``'s ``results`` (re-read first: runs of other configurations may
    write beside this one) and write it with ``meta`` and the machine description; ``machines`` records the
    machine of every entry written since files kept it."""
    path = RESULTS / f"{name}.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    results = {**old.get("results", {}), **new}
    machines = {**old.get("machines", {}), **dict.fromkeys(new, machine())}
    return write(name, {**meta, "results": dict(sorted(results.items())), "machines": dict(sorted(machines.items()))})
