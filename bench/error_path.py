"""How fast the CLI fails: median CPU and wall time of error exits and ``devise --help``.

Each case runs ``python -m simulation.cli ...`` as a subprocess (what the ``devise`` script
runs) in a temporary folder holding a few broken scenario files; the CPU time is the child's
user + system time. Usage: ``python bench/error_path.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILES = {
    "bad_toml.toml": "[scenario\nname = 'x'\n",
    "bad_key.toml": "[scenario]\nname = 'x'\nregions = ['ES13']\nscael = 0.1\n",
    "ok.toml": "[scenario]\nname = 'ok'\nregions = ['ES13']\n",
    "bad_value.toml": ("[scenario]\nname = 'y'\nregions = ['ES13']\n[[instruments]]\n"
                       "type = 'innovation_voucher'\nbudget_per_year = 1e5\n"
                       "voucher_value = 1e12\n"),
    "bad_sweep.toml": "[sweep]\nname = 'x'\nbase = 'ok.toml'\ndesign = 'lhs'\nsampels = 10\n",
    "bad_design.toml": "[design]\nname = 'x'\nbsae = 'ok.toml'\n",
}

CASES = (
    ("devise --help", ["--help"], 0),
    ("unknown command", ["frobnicate"], 2),
    ("bad option value (--scale 3)", ["run", "bad_key.toml", "--scale", "3"], 2),
    ("run: missing file", ["run", "nonexistent.toml"], 2),
    ("run: invalid TOML", ["run", "bad_toml.toml"], 2),
    ("compare: missing policy file", ["compare", "bad_key.toml", "nonexistent.toml"], 2),
    ("calibrate: unknown region", ["calibrate", "--region", "ES31"], 2),
    ("run: misspelled key", ["run", "bad_key.toml"], 2),
    ("run: instrument value out of bounds", ["run", "bad_value.toml"], 2),
    ("compare: misspelled key in a policy", ["compare", "ok.toml", "bad_key.toml"], 2),
    ("sweep: misspelled key", ["sweep", "bad_sweep.toml"], 2),
    ("design: misspelled key", ["design", "bad_design.toml"], 2),
)


def timed(args: list[str], folder: Path) -> tuple[int, float, float]:
    """Run the CLI once; return its exit code, CPU seconds and wall seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", *args], cwd=folder,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc.returncode, cpu, wall


def main() -> None:
    """Print one row per case: exit code, median CPU and wall seconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each case (default 5)")
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in FILES.items():
            (folder / name).write_text(text)
        print(f"{'case':<40} {'exit':>4} {'CPU s':>6} {'wall s':>6}   (median of {repeat})")
        for label, args, expected in CASES:
            runs = [timed(args, folder) for _ in range(repeat)]
            codes = {code for code, _, _ in runs}
            code = codes.pop() if len(codes) == 1 else -1
            flag = "" if code == expected else f"  (expected exit {expected})"
            print(f"{label:<40} {code:>4} {statistics.median(r[1] for r in runs):>6.2f} "
                  f"{statistics.median(r[2] for r in runs):>6.2f}{flag}")


if __name__ == "__main__":
    main()
