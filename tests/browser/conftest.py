"""Real Chromium (Debian's /usr/bin/chromium) against `python app.py` started as a user would start it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / 'screenshots'
CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
]
DESKTOP = {'width': 1280, 'height': 800}
MOBILE = {'width': 390, 'height': 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def server(tmp_path_factory) -> Iterator[str]:
    """The app with its demo account on a fresh database, once per module; yields the base URL."""
    with fresh_database(tmp_path_factory.mktemp('app')) as database_url:
        yield from serve(database_url)


def serve(
    database_url: str, *options: str, env: dict[str, str] | None = None, processes: list | None = None
) -> Iterator[str]:
    """Run `python app.py` on `database_url` until the generator is closed; yields the base URL (and appends
    the process to `processes`, for tests that stop it their own way)."""
    port = _free_port()
    env = {**os.environ, **(env or {}), 'LOWROUTER_DATABASE_URL': database_url}
    for inherited in ('NICEGUI_USER_SIMULATION', 'PYTEST_CURRENT_TEST', 'NICEGUI_SCREEN_TEST_PORT'):
        env.pop(inherited, None)  # the app runs as a user would run it, not under pytest
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below; a pipe could fill up and block the app)
    process = subprocess.Popen(
        [sys.executable, 'app.py', '--port', str(port), *options],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f'http://127.0.0.1:{port}'
    if processes is not None:
        processes.append(process)
    try:
        _wait_for(f'{base}/dashboard', process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_for(url: str, process: subprocess.Popen, log, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    # one client for all the polls: each new httpx client builds an SSL context (tens of ms of CPU), which
    # every 0.2 s took the CPU from the starting app
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f'app exited early:\n{log.read().decode()}')
            try:
                if client.get(url).status_code in (200, 303):  # 303: the login gate answered
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    log.seek(0)
    raise TimeoutError(f'{url} did not answer within {timeout} s:\n{log.read().decode()[-3000:]}')


@pytest.fixture(scope='module')
def browser():
    """Per module: Playwright's sync API keeps an event loop running, which must end before async UI tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f'{CHROMIUM} is missing: install Debian chromium (see .ci/run)')
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport=DESKTOP)
    yield context.new_page()
    context.close()


@pytest.fixture
def mobile(browser):
    context = browser.new_context(viewport=MOBILE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot. A full-page one may first shrink the window to measure the page, which re-creates
    the table rows and drops the keyboard focus: take what shows a focus with `full_page=False`."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f'{name}.png'
    page.screenshot(path=str(path), full_page=full_page)
    return path


def mark_x(mark: str) -> str:
    """A page function: for each element matching its selector argument, the x position of the last `mark` ('.' or
    ',') in its text, measured on the rendered glyphs (None without one). Equal positions: aligned numbers."""
    return """(selector) => [...document.querySelectorAll(selector)].map((element) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.textContent.lastIndexOf('MARK');
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + 1);
      return range.getBoundingClientRect().left;
    }
  }
  return null;
})""".replace('MARK', mark)


def no_horizontal_overflow(page) -> bool:
    return page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')
