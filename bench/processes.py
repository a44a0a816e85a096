"""CPU time of processes, read from /proc (psutil is not needed): for bench/live.py, which weighs the server
against the browser and pins each to its own core."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

TICK = os.sysconf('SC_CLK_TCK')


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system, every thread) the process has used so far."""
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def all_processes() -> dict[int, tuple[int, str]]:
    """Every process: its parent and its command line."""
    found = {}
    for entry in Path('/proc').iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                parent = int((entry / 'stat').read_text().rsplit(')', 1)[1].split()[1])
                found[int(entry.name)] = parent, (entry / 'cmdline').read_bytes().decode(errors='replace')
    return found


def others_cpu_seconds(app) -> float:
    """CPU seconds of the processes this one started (and theirs) but the app: the browser and its driver."""
    found, family, grew = all_processes(), {os.getpid()}, True
    while grew:
        grown = {pid for pid, (parent, _) in found.items() if parent in family and pid != app.process.pid}
        grew, family = bool(grown - family), family | grown
    return sum(cpu_seconds_or_zero(pid) for pid in family - {os.getpid()})


def cpu_seconds_or_zero(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except (OSError, ValueError, IndexError):  # it ended meanwhile
        return 0.0


def pin_threads(pid: int, cpus: set[int]) -> None:
    """Every thread of the process on `cpus` (threads it starts later inherit it from their parent thread)."""
    for task in Path(f'/proc/{pid}/task').iterdir():
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(task.name), cpus)
