"""A helper process of large CSV exports (see export_slices): `python -m services.usage.export_worker`.

It reads tasks from its standard input, one JSON line each, and answers each on its standard output with one
JSON line ({"rows", "after", "bytes"}, or {"error"}) followed by that many bytes of UTF-8 text: the lines of
the task's slice, as services.usage.exports.slice_text writes them. It ends when its input ends (the app has
closed its end, or has gone), or after the seconds given as its argument without a task: its memory (about
90 MB, most of it the libraries) is held only while exports are being made.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from datetime import datetime

from services import db
from services.usage import exports
from services.usage._csv_lines import _PageWriter
from services.usage.generations import GenerationFilter

_writer: dict[str, _PageWriter] = {}


def answer(task: dict) -> tuple[dict, bytes]:
    if _attached() != task['url']:
        db.dispose_all()  # another database (the app's tests start one per test): close the last one's files
        db.attach(task['url'])
    given = task['filter']
    moments = {name: datetime.fromisoformat(given[name]) if given[name] else None for name in ('since', 'until')}
    f = GenerationFilter(**(given | moments))
    after = tuple(task['after']) if task['after'] else None
    if _writer.get(task['zone']) is None:  # kept from task to task: its memos of repeated values stay warm
        _writer.clear()
        _writer[task['zone']] = _PageWriter(task['zone'])
    exports.PAGE_ROWS = task['page_rows']
    text, rows, after = exports.slice_text(task['account_id'], f, after, task['pages'], _writer[task['zone']])
    data = text.encode('utf-8')
    return {'rows': rows, 'after': after, 'bytes': len(data)}, data


def _attached() -> str | None:
    try:
        return db.current_url()
    except RuntimeError:
        return None


def main() -> None:
    tasks, out = sys.stdin.buffer, sys.stdout.buffer
    idle = float(sys.argv[1]) if len(sys.argv) > 1 else 300.0
    state = {'busy': False, 'since': time.monotonic()}
    threading.Thread(target=_end_when_idle, args=(state, idle), daemon=True).start()
    for line in tasks:  # until the app closes its end
        state['busy'] = True
        try:
            head, data = answer(json.loads(line))
        except Exception as error:  # said to the app, which ends the export with it; this helper goes on
            traceback.print_exc(file=sys.stderr)
            head, data = {'error': f'{type(error).__name__}: {error}'}, b''
        out.write(json.dumps(head).encode() + b'\n')
        out.write(data)
        out.flush()
        state['since'], state['busy'] = time.monotonic(), False


def _end_when_idle(state: dict, idle: float) -> None:
    """End the process after `idle` seconds without a task (every answer has been written and flushed; a task
    arriving at that very moment finds the pipe closed, and the app gives it to a new helper)."""
    while True:
        time.sleep(min(1.0, idle / 4))
        if not state['busy'] and time.monotonic() - state['since'] > idle:
            os._exit(0)


if __name__ == '__main__':
    main()
