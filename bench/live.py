"""Live dashboards under traffic: how soon open /dashboard pages show a committed generation, and what 20
open dashboards of one account cost the server.

    python bench/live.py                     # SQLite: 20 dashboards, 1 000 generations/s for 30 s
    python bench/live.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432 --no-sqlite
    python bench/live.py --seconds 60 --browser-tabs 20 --record

`python app.py --no-demo` runs on a fresh database with one account (2 000 generations of history) and an
ingest key. An open-loop pacer posts batches (100 generations every 100 ms at 1 000/s) to
/api/v1/generations/batch at their planned moments, whether or not earlier answers are back.

The dashboards: `--browser-tabs` of them (2 by default) are Chromium tabs (Playwright, one browser) at phone
size, where Recent transactions is a list of links to /transactions/<id>; a MutationObserver in each notes
when a generation id first appears in the page and the animation frame that paints it. The others are
bench/socket_tabs.py: the page loaded and its socket connected and acknowledged as its script does, without
rendering, noting when an id first arrives in an update. The server does the same for both; a Chromium tab
redrawing the dashboard every second takes 0.1 to 0.4 of a core, so twenty of them would need more than
this 2-core machine and measure the browser, not the server (`--browser-tabs 20` shows it).

Commit to display: one generation per batch is "marked": it carries the time the batch was sent as
created_at, the other generations of the batch 10 s less, so the marked ones are the newest rows and each
stays among the 50 Recent transactions for 5 s. Its display (or arrival) time in a tab minus the time its
batch was sent is the figure: the commit comes after the send, so this overstates the latency by the
request's time up to the commit; minus the time the answer came back (after the commit) understates it,
and is shown too. Every marked generation is looked for in every tab; one that never showed counts as missed.

Server CPU: CPU seconds of the app process alone (all its threads, /proc/<pid>/stat) over wall time from the
pacer's first send to its last answer, with no dashboard open (before opening them and again after closing
them) and with them open: the difference, in cores. On a 2-core machine the server is pinned to the first
core and the browser, the socket tabs and the pacer to the second (--no-pin to share both); other programs
on the machine still use both. Ingest throughput (bench/figures.py: 20 batches of 500 from 2 clients, and
1 000 single generations from 4, as bench/run.py measures them: 300 took a second, too short a sample on a
shared machine) is measured with no dashboard and with them open, the server and its clients unpinned as in
bench/run.py; the browser stays on its core.

Targets: p95 commit to display < 2 s, CPU with the dashboards minus CPU without < 0.25 core, and the ingest
targets of bench/run.py (>= 5 000 generations/s in batches, >= 300 single requests/s) with them open.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import concurrency, figures  # noqa: E402
from bench.pacer import Pacing, Sent, pace  # noqa: E402
from bench.processes import cpu_seconds, pin_threads  # noqa: E402
from bench.report import Row, record, table  # noqa: E402
from bench.server import AppProcess  # noqa: E402
from bench.socket_tabs import SocketTabs  # noqa: E402
from services import db  # noqa: E402

CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run']
PHONE = {'width': 390, 'height': 844}  # Recent transactions is then the list of links (the table is hidden)
SETTLE_S = 3.0  # after the last batch: for the last refresh to reach every tab
CLOSED_S = 12.0  # after closing the tabs: the app forgets a client 10 s after it disconnects
IDLE_S = 5.0
LATENCY_P95_S, EXTRA_CORES, BATCH_GEN_S, SINGLE_REQ_S = 2.0, 0.25, 5000, 300
WATCH_JS = """
(() => {
  const seen = (window.__lrSeen = {});  // generation id -> [first in the DOM, the frame that paints it] (ms)
  const scan = () => {
    const now = Date.now(), fresh = [];
    for (const a of document.querySelectorAll('.lr-transactions-phone a.lr-phone-row')) {
      const id = decodeURIComponent(((a.getAttribute('href') || '').split('/transactions/')[1] || '').split('?')[0]);
      if (id && !(id in seen)) { seen[id] = [now, null]; fresh.push(id); }
    }
    if (fresh.length) requestAnimationFrame(() => { const t = Date.now(); fresh.forEach((id) => (seen[id][1] = t)); });
  };
  new MutationObserver(scan).observe(document, { childList: true, subtree: true });
})();
"""


@dataclass
class Displays:
    """When the marked generations showed in a kind of tab (Chromium, or socket tabs), per tab and generation."""

    tabs: int = 0
    from_send: list[float] = field(default_factory=list)  # seconds
    from_answer: list[float] = field(default_factory=list)
    missed: int = 0
    refreshes: int = 0  # distinct moments something new showed, over every tab

    def add(self, seen: dict[str, float], batches: list[Sent]) -> None:
        self.tabs += 1
        moments = set()
        for sent in batches:
            if sent.marked not in seen:
                self.missed += 1
                continue
            moments.add(seen[sent.marked])
            self.from_send.append(seen[sent.marked] - sent.sent)
            self.from_answer.append(seen[sent.marked] - sent.answered)
        self.refreshes += len(moments)

    def __str__(self) -> str:
        if not self.from_send:
            return f'nothing shown ({self.missed} missed)'
        return (
            f'p50 {_percentile(self.from_send, 50):.2f} s, p95 {_percentile(self.from_send, 95):.2f} s, max '
            f'{max(self.from_send):.2f} s from the send (p95 from the answer {_percentile(self.from_answer, 95):.2f} '
            f's); {len(self.from_send):,} shown, {self.missed} missed, {self.tabs} tabs'
        )


@dataclass
class Result:
    dashboards: int
    rate: int
    pinned: bool
    none: list[Pacing] = field(default_factory=list)  # before opening the dashboards, and after closing them
    live: Pacing = field(default_factory=Pacing)
    idle: tuple[float, float] = (0.0, 0.0)  # cores with no traffic: no dashboard, then the dashboards open
    browser: Displays = field(default_factory=Displays)  # painted in Chromium
    painted_after_dom: list[float] = field(default_factory=list)  # seconds from the DOM change to its frame
    sockets: Displays = field(default_factory=Displays)  # arrived at the socket tabs
    batch: tuple[float, float] = (0.0, 0.0)  # generations/s: none open, then open
    single: tuple[float, float] = (0.0, 0.0)  # requests/s: none open, then open

    @property
    def cpu_none(self) -> float:
        return statistics.mean(p.cpu for p in self.none)

    def rows(self, name: str) -> list[Row]:
        d, rate = self.dashboards, f'{self.rate:,} gen/s'.replace(',', ' ')
        rows = []
        every = self.browser.from_send + self.sockets.from_send
        refreshes = (self.browser.refreshes + self.sockets.refreshes) / max(1, d) / max(1.0, self.live.seconds)
        parts = [f'p95 {_percentile(every, 95):.2f} s over all {d} ({refreshes:.2f} refreshes/s per tab)']
        if self.browser.tabs:
            painted = _percentile(self.painted_after_dom, 95) * 1000
            parts.append(
                f'Chromium: {self.browser}, painted {painted:.0f} ms (p95) after the DOM change, browser '
                f'{self.live.browser_cpu:.2f} cores'
            )
        if self.sockets.tabs:
            parts.append(f'socket tabs, arrival: {self.sockets}')
        value = '; '.join(parts)
        missed = self.browser.missed + self.sockets.missed
        met = bool(every) and _percentile(every, 95) < LATENCY_P95_S and not missed
        rows.append(Row(name, f'live: commit to display, {d} dashboards, {rate}', value, '< 2 s at p95', met))
        extra = self.live.cpu - self.cpu_none
        value = (
            f'+{extra:.3f} cores: {self.live.cpu:.3f} open, {self.cpu_none:.3f} none '
            f'({" and ".join(f"{p.cpu:.3f}" for p in self.none)}); no traffic: {self.idle[1]:.3f} open, '
            f'{self.idle[0]:.3f} none; load average {self.live.load:.1f} open, '
            f'{" and ".join(f"{p.load:.1f}" for p in self.none)} none' + ('' if self.pinned else '; not pinned')
        )
        rows.append(Row(name, f'live: server CPU, {d} dashboards vs none, {rate}', value, '< 0.25 core', extra < 0.25))
        errors = Counter()
        for pacing in (*self.none, self.live):
            errors += pacing.errors
        value = f'{errors.total()} errors' + (f' ({dict(errors)})' if errors else '')
        rows.append(Row(name, f'live: ingest errors at {rate}', value, '0', not errors))
        return rows + [
            Row(
                name,
                f'batch ingest (500 per request), {d} dashboards open',
                f'{self.batch[1]:,.0f} gen/s (none open: {self.batch[0]:,.0f})',
                '>= 5 000 gen/s',
                self.batch[1] >= BATCH_GEN_S,
            ),
            Row(
                name,
                f'single ingest, {d} dashboards open',
                f'{self.single[1]:,.0f} req/s (none open: {self.single[0]:,.0f})',
                '>= 300 req/s',
                self.single[1] >= SINGLE_REQ_S,
            ),
        ]


def measure(
    url: str,
    *,
    seconds: float = 30,
    dashboards: int = 20,
    browser_tabs: int = 2,
    rate: int = 1000,
    batch: int = 100,
    pin: bool = True,
    batches: int = 20,
    singles: int = 1000,
) -> Result:
    """Everything above, on the empty database at `url`."""
    everywhere = os.sched_getaffinity(0)
    pin = pin and len(everywhere) >= 2
    server_cpus, other_cpus = ({min(everywhere)}, everywhere - {min(everywhere)}) if pin else (everywhere, everywhere)
    browser_tabs = min(browser_tabs, dashboards)
    result = Result(dashboards, rate, pin)
    secret = concurrency.prepare(url)
    traffic = {'rate': rate, 'seconds': seconds, 'batch': batch}
    try:
        with AppProcess(url) as app:
            concurrency.seed(app.base, secret, 2000)  # history: the dashboard, not the start guide
            pin_threads(app.process.pid, server_cpus)
            os.sched_setaffinity(0, other_cpus)  # this thread, and what it starts from now: pacer, tabs, browser
            pace(app, secret, **traffic | {'seconds': 3})  # warm up
            idle_none = _idle(app)
            result.none.append(pace(app, secret, **traffic))
            print(f'  none open: {result.none[0].cpu:.3f} cores at {rate} gen/s', flush=True)
            batch_none, single_none = _throughput(app, secret, server_cpus, everywhere, batches, singles)
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright, SocketTabs(app.base, dashboards - browser_tabs) as sockets:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
                context.add_init_script(WATCH_JS)
                pages = [_open(context, app.base) for _ in range(browser_tabs)]
                time.sleep(SETTLE_S)
                result.idle = (idle_none, _idle(app))
                result.live = pace(app, secret, **traffic)
                time.sleep(SETTLE_S)
                _browser_displays(result, [page.evaluate('window.__lrSeen') for page in pages])
                if sockets.connected != sockets.count:
                    raise RuntimeError(f'{sockets.count - sockets.connected} socket tabs lost their connection')
                for seen in sockets.seen:
                    result.sockets.add(seen, result.live.batches)
                print(f'  {dashboards} open: {result.live.cpu:.3f} cores; {result.rows("")[0].value}', flush=True)
                batch_open, single_open = _throughput(app, secret, server_cpus, everywhere, batches, singles)
                context.close()
                browser.close()
            result.batch, result.single = (batch_none, batch_open), (single_none, single_open)
            time.sleep(CLOSED_S)
            result.none.append(pace(app, secret, **traffic))
            print(f'  none open again: {result.none[1].cpu:.3f} cores', flush=True)
    finally:
        os.sched_setaffinity(0, everywhere)
        db.dispose_all()
    return result


def _open(context, base: str):
    page = context.new_page()
    page.goto(base + '/dashboard')
    page.wait_for_selector('.lr-live[data-on="true"]', timeout=60_000)
    page.wait_for_selector('.lr-transactions-phone a.lr-phone-row', timeout=60_000)
    return page


def _browser_displays(result: Result, seen_per_tab: list[dict[str, list]]) -> None:
    """The paint frame's time of each id (its DOM time if no frame came), in seconds."""
    for seen in seen_per_tab:
        painted = {}
        for generation, (in_dom, frame) in seen.items():
            painted[generation] = (frame or in_dom) / 1000
            if frame:
                result.painted_after_dom.append((frame - in_dom) / 1000)
        result.browser.add(painted, result.live.batches)


def _throughput(
    app: AppProcess, secret: str, pinned: set[int], everywhere: set[int], batches: int, singles: int
) -> tuple[float, float]:
    """bench/figures.py's batch and single ingest rates, with the server and the clients on every core (the
    browser stays where it is)."""
    mine = os.sched_getaffinity(0)
    pin_threads(app.process.pid, everywhere)
    os.sched_setaffinity(0, everywhere)
    try:
        batch = figures.ingest_rate(app, secret, batches=batches)
        single = figures.single_rate(app, secret, requests=singles)
    finally:
        pin_threads(app.process.pid, pinned)
        os.sched_setaffinity(0, mine)
    print(f'  batch ingest {batch:,.0f} gen/s, single ingest {single:,.0f} req/s', flush=True)
    return batch, single


def _idle(app: AppProcess) -> float:
    cpu = cpu_seconds(app.process.pid)
    time.sleep(IDLE_S)
    return (cpu_seconds(app.process.pid) - cpu) / IDLE_S


def _percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return sum(values)
    return statistics.quantiles(values, n=100, method='inclusive')[p - 1]


def measure_rows(
    name: str,
    postgres: str | None,
    *,
    seconds: float = 30,
    dashboards: int = 20,
    browser_tabs: int = 2,
    rate: int = 1000,
    pin: bool = True,
) -> list[Row]:
    """For bench/run.py: the figures on a fresh database of the backend `name` ('SQLite' or 'PostgreSQL')."""
    print(f'{name}: {dashboards} live dashboards at {rate} generations/s for {seconds:.0f} s', flush=True)
    url = concurrency.fresh_url(name, postgres, 'live')
    result = measure(url, seconds=seconds, dashboards=dashboards, browser_tabs=browser_tabs, rate=rate, pin=pin)
    return result.rows(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--postgres', metavar='URL', help='a PostgreSQL server URL, without database name')
    parser.add_argument('--no-sqlite', action='store_true', help='measure PostgreSQL only')
    parser.add_argument('--seconds', type=float, default=30, help='of traffic per measurement (30)')
    parser.add_argument('--dashboards', type=int, default=20, help='open dashboards of the account (20)')
    parser.add_argument('--browser-tabs', type=int, default=2, help='of them in Chromium, the rest socket tabs (2)')
    parser.add_argument('--rate', type=int, default=1000, help='generations per second (1000)')
    parser.add_argument('--no-pin', action='store_true', help='let the server and the browser share every core')
    parser.add_argument('--record', action='store_true', help='add the figures to bench/RESULTS.md')
    options = parser.parse_args()
    backends = ([] if options.no_sqlite else ['SQLite']) + (['PostgreSQL'] if options.postgres else [])
    rows: list[Row] = []
    for backend in backends:
        rows += measure_rows(
            backend,
            options.postgres,
            seconds=options.seconds,
            dashboards=options.dashboards,
            browser_tabs=options.browser_tabs,
            rate=options.rate,
            pin=not options.no_pin,
        )
    print()
    print(table(rows))
    if options.record:
        record(ROOT / 'bench' / 'RESULTS.md', rows, None, quick=False, title='live dashboards')
    sys.exit(3 if any(r.met is False for r in rows) else 0)


if __name__ == '__main__':
    main()
