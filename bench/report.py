"""The benchmark's table, and its record in bench/RESULTS.md with the machine and the date."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HEADER = """# Benchmark results

Measured by `python bench/run.py` (see the README); newest first. Each run adds a section with the
machine and the date. "met" compares a figure with its target; a miss is explained under the table.
"""


@dataclass
class Row:
    backend: str
    figure: str
    value: str
    target: str | None
    met: bool | None


def table(rows: list[Row]) -> str:
    lines = ['| database | figure | measured | target | met |', '|---|---|---|---|---|']
    for r in rows:
        met = '' if r.met is None else ('yes' if r.met else '**no**')
        lines.append(f'| {r.backend} | {r.figure} | {r.value} | {r.target or ""} | {met} |')
    return '\n'.join(lines)


def machine() -> str:
    cpu = next(
        (
            line.split(':', 1)[1].strip()
            for line in _read('/proc/cpuinfo').splitlines()
            if line.startswith('model name')
        ),
        platform.processor() or 'unknown CPU',
    )
    memory_kib = next(
        (int(line.split()[1]) for line in _read('/proc/meminfo').splitlines() if line.startswith('MemTotal')), 0
    )
    return (
        f'{os.cpu_count()} cores ({cpu}), {memory_kib / 1024 / 1024:.0f} GiB RAM, {platform.system()} '
        f'{platform.release()}; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, '
        f'{_postgres_version()}'
    )


def record(path: Path, rows: list[Row], plan, *, quick: bool, title: str | None = None) -> None:
    existing = path.read_text() if path.exists() else HEADER
    body = existing.removeprefix(HEADER).lstrip('\n')
    now = datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')
    mode = ' (--quick)' if quick else ''
    section = (
        f'## {now}{mode}: {title or f"N = {plan.small:,} and {plan.big:,}"}\n\n'
        f'Machine: {machine()}.\n\n{table(rows)}\n\n' + _misses(rows)
    )
    path.write_text(HEADER + '\n' + section + '\n' + body)


def _misses(rows: list[Row]) -> str:
    missed = [r for r in rows if r.met is False]
    if not missed:
        return 'Every target met.\n'
    return 'Missed: ' + '; '.join(f'{r.backend} {r.figure} ({r.value})' for r in missed) + '.\n'


def _postgres_version() -> str:
    try:
        out = subprocess.run(['psql', '--version'], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return 'no PostgreSQL client'
    return out.replace('psql (PostgreSQL) ', 'PostgreSQL ') or 'no PostgreSQL client'


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ''
