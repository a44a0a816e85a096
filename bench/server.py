"""An app process for the benchmarks: `python app.py` on a free loopback port, against a given database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


class AppProcess:
    def __init__(self, database_url: str):
        self.database_url = database_url
        self.port = _free_port()
        self.base = f'http://127.0.0.1:{self.port}'
        self.process: subprocess.Popen | None = None
        self.cold_start_s: float | None = None

    def __enter__(self) -> AppProcess:
        env = {**os.environ, 'LOWROUTER_DATABASE_URL': self.database_url}
        self.log = tempfile.TemporaryFile()  # not a pipe: an unread pipe would stall a chatty server
        began = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, 'app.py', '--port', str(self.port), '--no-demo'],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
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
        self.log.close()

    def memory_kib(self, field: str = 'VmRSS') -> int:
        """Resident memory (VmRSS) or its peak so far (VmHWM) of the server process, in KiB."""
        assert self.process is not None
        for line in Path(f'/proc/{self.process.pid}/status').read_text().splitlines():
            if line.startswith(field + ':'):
                return int(line.split()[1])
        raise RuntimeError(f'{field} not found')

    def _wait_for_dashboard(self) -> None:
        deadline = time.monotonic() + 120
        with httpx.Client(timeout=60) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    self.log.seek(0)
                    raise RuntimeError(f'the app stopped: {self.log.read().decode()[-2000:]}')
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
