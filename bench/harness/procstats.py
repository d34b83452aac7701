"""What a process costs, read from ``/proc``: resident memory and CPU time."""

from __future__ import annotations

import os
import time
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident set size (``VmRSS``) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return 0.0
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def load_average() -> float:
    return os.getloadavg()[0]


CALIBRATION_LOOP = 2_000_000


def machine_speed_ms() -> float:
    """Milliseconds this machine takes right now for a fixed pure-Python loop (best of 3).

    Shared machines change speed between runs (and within one: 2x was seen here); a figure
    measured while this number was twice as high was measured on a machine half as fast."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for n in range(CALIBRATION_LOOP):
            total += n
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)
