"""An app process for the benchmarks: `python app.py` on a free loopback port, against a given database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


class AppProcess:
    """`python app.py --no-demo` on a free loopback port. Its log is read through a pipe (kept: the last
    LOG_KEPT bytes), so the process writes no file but the database's."""

    LOG_KEPT = 64_000

    def __init__(self, database_url: str, env: dict[str, str] | None = None):
        self.database_url = database_url
        self.env = env or {}
        self.port = _free_port()
        self.base = f'http://127.0.0.1:{self.port}'
        self.process: subprocess.Popen | None = None
        self.cold_start_s: float | None = None
        self._log = bytearray()

    def __enter__(self) -> AppProcess:
        env = {**os.environ, **self.env, 'LOWROUTER_DATABASE_URL': self.database_url}
        for inherited in ('NICEGUI_USER_SIMULATION', 'PYTEST_CURRENT_TEST', 'NICEGUI_SCREEN_TEST_PORT'):
            env.pop(inherited, None)  # the app runs as a user would run it, not under pytest
        began = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, 'app.py', '--port', str(self.port), '--no-demo'],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        threading.Thread(target=self._drain, daemon=True).start()  # an unread pipe would stall a chatty server
        self._wait_for_dashboard()
        self.cold_start_s = time.perf_counter() - began
        return self

    def __exit__(self, *exc) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()

    @property
    def log(self) -> str:
        return self._log.decode(errors='replace')

    def _drain(self) -> None:
        for line in self.process.stderr:
            self._log += line
            del self._log[: -self.LOG_KEPT]

    def memory_kib(self, field: str = 'VmRSS', *, children: bool = True) -> int:
        """Resident memory (VmRSS) or its peak so far (VmHWM) of the server process, and by default of its child
        processes too (the CSV export's helpers), in KiB."""
        assert self.process is not None
        pids = [self.process.pid]
        if children:  # each thread lists the children it started
            for listed in Path(f'/proc/{self.process.pid}/task').glob('*/children'):
                try:
                    pids += [int(pid) for pid in listed.read_text().split()]
                except FileNotFoundError:  # a thread that has just ended
                    continue
        return sum(_status_kib(pid, field) for pid in pids)

    def _wait_for_dashboard(self) -> None:
        deadline = time.monotonic() + 120
        with httpx.Client(timeout=60) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    time.sleep(0.2)  # the rest of the log
                    raise RuntimeError(f'the app stopped: {self.log[-2000:]}')
                try:
                    if client.get(self.base + '/dashboard').status_code == 200:
                        return
                except httpx.TransportError:
                    time.sleep(0.02)
        raise TimeoutError('the app did not answer /dashboard within 120 s')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _status_kib(pid: int, field: str) -> int:
    """A memory field of /proc/<pid>/status in KiB (0 for a process that has just ended)."""
    try:
        lines = Path(f'/proc/{pid}/status').read_text().splitlines()
    except FileNotFoundError:
        return 0
    for line in lines:
        if line.startswith(field + ':'):
            return int(line.split()[1])
    raise RuntimeError(f'{field} not found')
