"""Command line: ``tsrnn demo`` runs the main job on shipped data."""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    """Entry point of the ``tsrnn`` command."""
    parser = argparse.ArgumentParser(prog="tsrnn", description="tsrnn command line")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="fit and evaluate S5 on ETTh1 forecasting and GunPoint classification")
    demo.add_argument("--out", default="demo_output", help="directory for the plot and results (default: %(default)s)")
    demo.add_argument("--smoke", action="store_true", help="tiny settings (seconds), used by the tests")
    demo.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        from tsrnn.demo import run_demo

        run_demo(out=args.out, smoke=args.smoke, seed=args.seed)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
