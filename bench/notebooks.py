"""Time every notebook top to bottom (nbclient, fresh kernel each): bench/results/notebooks.json.

    python bench/notebooks.py

The goal is under two minutes each at the reduced scale their first cell chooses.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    timings = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        book = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(book, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        timings[path.name] = round(time.perf_counter() - start, 1)
        print(f"{path.name}: {timings[path.name]} s", flush=True)
    result = {"command": "python bench/notebooks.py", "date": time.strftime("%Y-%m-%d"),
              "cores": os.cpu_count(), "machine": platform.platform(),
              "seconds": timings, "goal_seconds": 120}
    (ROOT / "bench" / "results" / "notebooks.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
