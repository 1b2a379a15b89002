"""Run the benchmarks that finish in minutes, then regenerate the docs tables (``make bench``).

The long accuracy runs (``bench_liquid_accuracy.py``, ``bench_dsr.py``, ``bench_warp.py``) and the GPU kernels
(``bench_kernels.py``) are run on their own; their results files are in ``results/`` all the same."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["bench_scan.py", "bench_s5_speed.py", "bench_ssm_speed.py", "bench_irregular.py", "bench_accuracy.py",
           "bench_conv_ssm_accuracy.py", "bench_cyclenet.py", "bench_chimera.py", "bench_liquid_speed.py", "bench_ltc_fit.py",
           "bench_dsr_speed.py", "bench_forecast_memory.py", "bench_quantiles.py", "bench_export.py"]

if __name__ == "__main__":
    for script in SCRIPTS:
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script)], check=True, cwd=HERE)
    subprocess.run([sys.executable, str(HERE / "make_tables.py")], check=True, cwd=HERE)
