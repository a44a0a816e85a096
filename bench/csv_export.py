"""Throughput of GET /api/v1/generations.csv over HTTP on loopback, and the server's memory meanwhile.

    python bench/csv_export.py                      # N = 1 000 000, SQLite file bench/out/dashboard-1000000.sqlite3
    python bench/csv_export.py --rows 100000
    python bench/csv_export.py --db-url postgresql+psycopg://user@127.0.0.1/bench_{n}
    python bench/csv_export.py --gzip               # as clients that accept gzip (browsers, httpx) get it

The database is filled by bench/dashboard.py's fill() when it holds fewer than N generations (and kept).
The app runs as `python app.py --no-demo` on loopback; a key with the read scope is made with
`python app.py create-key`; the whole export is downloaded once, streamed, after a warm-up request.
Figures: rows per second from the request to the last byte, time to the first byte, and the growth of
the server process's resident memory over the download (its peak, VmHWM, reset just before; or, where
that cannot be reset, VmRSS sampled every 20 ms).

measure_csv(url, rows_expected) does one measurement on an existing database and returns the figures.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXPORT = '/api/v1/generations.csv'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--rows', type=int, default=1_000_000, help='generations in the database (N)')
    parser.add_argument('--db-url', default=f'sqlite:///{ROOT / "bench" / "out" / "dashboard-{n}.sqlite3"}')
    parser.add_argument('--gzip', action='store_true', help='accept gzip (decoded by the client, as it counts rows)')
    options = parser.parse_args()
    from bench.dashboard import fill

    url = options.db_url.format(n=options.rows)
    fill(url, options.rows)
    result = measure_csv(url, _count(url), gzip=options.gzip)
    print(
        f'{result["rows"]:,} rows, {result["megabytes"]:.0f} MB in {result["seconds"]:.1f} s: '
        f'{result["rows_per_second"]:,.0f} rows/s, {result["megabytes_per_second"]:.0f} MB/s, '
        f'first byte after {result["first_byte_ms"]:.0f} ms; server CPU {result["server_cpu_us_per_row"]:.1f} us/row; '
        f'server memory +{result["peak_rss_growth_mb"]:.1f} MB at peak ({result["memory_method"]})',
        flush=True,
    )
    if not result['complete']:
        sys.exit(f'expected {result["rows_expected"]:,} rows, got {result["rows"]:,}')


def measure_csv(url: str, rows_expected: int, *, gzip: bool = False) -> dict:
    """Download the whole CSV export of the database at `url` from a fresh server; the figures as a dict.

    `gzip`: accept a gzip-compressed response (the client decompresses it as it reads)."""
    secret = _create_key(url)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, 'app.py', '--port', str(port), '--no-demo'],
        cwd=ROOT,
        env={**os.environ, 'LOWROUTER_DATABASE_URL': url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f'http://127.0.0.1:{port}'
        headers = {'Authorization': f'Bearer {secret}', 'Accept-Encoding': 'gzip' if gzip else 'identity'}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            _wait(client)
            warm = client.get(EXPORT, params={'from': '2999-01-01T00:00:00Z'})  # the header alone
            assert warm.status_code == 200 and warm.text.startswith('id,'), warm.text[:200]
            rss_before = _status_kb(process.pid, 'VmRSS')
            hwm_reset = _reset_peak(process.pid)
            sampler = _Sampler(process.pid)
            if not hwm_reset:
                sampler.start()
            cpu_before = _cpu_seconds(process.pid)
            began = time.perf_counter()
            first_byte = None
            size = lines = 0
            with client.stream('GET', EXPORT) as response:
                assert response.status_code == 200, response.read()[:200]
                for chunk in response.iter_bytes(1 << 20):
                    if first_byte is None:
                        first_byte = time.perf_counter() - began
                    size += len(chunk)
                    lines += chunk.count(b'\n')  # one per row (the bench data holds no line breaks in text)
            seconds = time.perf_counter() - began
            server_cpu = _cpu_seconds(process.pid) - cpu_before
            sampler.stop()
            peak = _status_kb(process.pid, 'VmHWM') if hwm_reset else max(sampler.peak, rss_before)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    rows = lines - 1  # less the header
    return {
        'rows': rows,
        'rows_expected': rows_expected,
        'complete': rows == rows_expected,
        'seconds': seconds,
        'rows_per_second': rows / seconds,
        'gzip': gzip,
        'megabytes': size / 1e6,  # as decoded
        'megabytes_per_second': size / 1e6 / seconds,
        'first_byte_ms': (first_byte or seconds) * 1000,
        'server_cpu_seconds': server_cpu,
        'server_cpu_us_per_row': server_cpu / max(rows, 1) * 1e6,
        'rss_before_mb': rss_before / 1024,
        'peak_rss_growth_mb': (peak - rss_before) / 1024,
        'memory_method': 'VmHWM reset before the download' if hwm_reset else 'VmRSS sampled every 20 ms',
    }


def _count(url: str) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from services import db
    from services.models import Generation

    db.init_db(url)
    with db.read_scope() as session:
        count = session.exec(select(func.count()).select_from(Generation)).one()
    db.dispose_all()
    return count


def _create_key(url: str) -> str:
    done = subprocess.run(
        [sys.executable, 'app.py', 'create-key', '--name', 'bench', '--scopes', 'read', '--db', url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (all its threads)."""
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith(field + ':'):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux: write 5 to clear_refs); False if not allowed."""
    try:
        Path(f'/proc/{pid}/clear_refs').write_text('5')
    except OSError:
        return False
    return _status_kb(pid, 'VmHWM') <= _status_kb(pid, 'VmRSS') + 1024


class _Sampler:
    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _status_kb(self.pid, 'VmRSS'))


def _wait(client: httpx.Client) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if client.get('/api/openapi.json').status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError('the app did not start within 60 s')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


if __name__ == '__main__':
    main()
