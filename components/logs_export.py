"""The "Export CSV" button of /logs: the browser reads the server's streamed export, shows how many rows
have come of how many expected, then saves the file (or says the export failed)."""

from __future__ import annotations

import json
from collections.abc import Callable

from nicegui import ui

from services.locales import DEFAULT
from services.units import count_text

BOX_ID = 'lr-export-progress'
CSS = """
#lr-export-progress { display: flex; align-items: center; gap: 8px; font-size: 13px; color: #475467;
  margin-right: 12px; }
#lr-export-progress[hidden] { display: none; }
#lr-export-progress progress { width: 160px; height: 8px; accent-color: #2e7d32; }
#lr-export-progress[data-state="failed"] { color: #912018; }
#lr-export-progress[data-state="failed"] progress { display: none; }
"""
# Reads the stream, counting line ends as rows (minus the header), a progress update at most every 100 ms.
SCRIPT = """
(async () => {
  const box = document.getElementById(%(box)s);
  if (!box || box.dataset.state === 'running') return;
  const bar = box.querySelector('progress'), text = box.querySelector('span');
  const expected = %(expected)s, fmt = (n) => n.toLocaleString(%(tag)s);
  const show = (rows) => {
    bar.max = Math.max(expected, rows, 1); bar.value = rows;
    text.textContent = fmt(rows) + ' of ' + fmt(expected) + ' rows';
  };
  box.hidden = false; box.dataset.state = 'running'; show(0);
  try {
    const response = await fetch(%(url)s, {credentials: 'same-origin', cache: 'no-store'});
    if (!response.ok) throw new Error('the server answered ' + response.status);
    const reader = response.body.getReader(), parts = [];
    let lines = 0, shown = 0;
    for (;;) {
      const {done, value} = await reader.read();
      if (done) break;
      parts.push(value);
      for (let i = value.indexOf(10); i !== -1; i = value.indexOf(10, i + 1)) lines++;
      if (performance.now() - shown > 100) { shown = performance.now(); show(Math.max(lines - 1, 0)); }
    }
    const rows = Math.max(lines - 1, 0);
    show(rows);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob(parts, {type: 'text/csv'}));
    link.download = %(name)s;
    document.body.appendChild(link); link.click(); link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    box.dataset.rows = String(rows); box.dataset.state = 'done';
    text.textContent = 'Saved ' + fmt(rows) + ' rows';
  } catch (error) {
    box.dataset.state = 'failed';
    text.textContent = 'The export failed: ' + (error && error.message ? error.message : 'the connection was lost') +
      '. Try again.';
  }
})();
"""


def export_button(url: str, expected: int, file_name: str, locale: str = DEFAULT) -> Callable[[int], None]:
    """The button and its progress line; `expected`: the rows the view holds (from the rollups); counts read in
    the account's `locale`. Returns the function that changes `expected` (the live log's count grows as
    generations arrive)."""
    ui.add_css(CSS)
    state = {'expected': int(expected)}
    with ui.row().classes('items-center gap-0 flex-wrap justify-end'):
        ui.html(
            f'<div id="{BOX_ID}" hidden aria-live="polite"><progress max="1" value="0"></progress><span></span></div>',
            sanitize=False,
        ).mark('export-progress')
        button = ui.button('Export CSV', icon='download', on_click=lambda: start()).props('outline no-caps')
        button.mark('export-csv')
        with button:
            tip = ui.tooltip(f'{count_text(expected, locale)} rows, streamed from the server')

    def start() -> None:
        ui.run_javascript(
            SCRIPT
            % {
                'box': json.dumps(BOX_ID),
                'expected': state['expected'],
                'url': json.dumps(url),
                'name': json.dumps(file_name),
                'tag': json.dumps(locale.replace('_', '-')),  # the browser's Intl reads BCP 47 tags
            }
        )

    def set_expected(count: int) -> None:
        state['expected'] = int(count)
        tip.text = f'{count_text(count, locale)} rows, streamed from the server'

    return set_expected
