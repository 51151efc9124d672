"""How long `floorboard --help` takes to start, against `python -c pass` in the same run: the
median of alternating runs of each, so the machine's noise hits both alike."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

FLOORBOARD = str(Path(sys.executable).parent / "floorboard")


def _seconds(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    return time.perf_counter() - started


def run(rounds: int = 15, advance=lambda: None) -> dict:
    help_s, bare_s, command_s = [], [], []
    for _ in range(rounds):
        bare_s.append(_seconds([sys.executable, "-c", "pass"]))
        help_s.append(_seconds([FLOORBOARD, "--help"]))
        command_s.append(_seconds([FLOORBOARD, "floors", "--help"]))
        advance()
    return {
        "rounds": rounds,
        "help_s": statistics.median(help_s),
        "python_pass_s": statistics.median(bare_s),
        "floors_help_s": statistics.median(command_s),
        "help_over_python": statistics.median(help_s) / statistics.median(bare_s),
    }
