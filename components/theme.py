"""Colours and a few CSS rules shared by every page."""

from nicegui import ui

PRIMARY = '#1f6f50'
CSS = """
body { background: #f4f6f5; }
.lr-header { background: #17563e; }
.lr-nav-link { display: flex; align-items: center; gap: 6px; padding: 6px 10px; border-radius: 8px;
  color: rgba(255,255,255,.85); text-decoration: none; font-size: 0.92rem; }
.lr-nav-link:hover { background: rgba(255,255,255,.12); color: white; }
.lr-nav-active { background: rgba(255,255,255,.18); color: white; font-weight: 600; }
.lr-drawer-active { color: #17563e; font-weight: 600; background: #e6f2ec; }
.lr-demo-banner { background: #fff7e0; border: 1px solid #f1d48a; box-shadow: none; }
.lr-card { border-radius: 12px; box-shadow: 0 1px 2px rgba(16,24,40,.06), 0 1px 3px rgba(16,24,40,.08); }
.lr-card-title { font-size: 0.95rem; font-weight: 600; color: #344054; }
.lr-muted { color: #667085; }
.lr-big { font-size: 2rem; font-weight: 650; letter-spacing: -0.02em; color: #101828; }
.lr-big.text-red-700 { color: #b42318; }
.lr-usage-row { display: flex; gap: 8px; align-items: center; padding: 4px 8px; border-radius: 6px;
  font-size: 0.875rem; }
.lr-usage-row:hover { background: #eef5f1; }
.lr-usage-row-active { background: #dcefe4; font-weight: 600; }
.lr-phone-row { display: flex; flex-direction: column; gap: 2px; padding: 8px 16px; border-top: 1px solid #eaecf0;
  color: #1d2939; text-decoration: none; }
.lr-phone-main, .lr-phone-sub { display: flex; justify-content: space-between; gap: 8px; font-size: 0.875rem;
  font-variant-numeric: tabular-nums; }
.lr-phone-main b { font-weight: 500; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.lr-phone-sub { font-size: 0.75rem; color: #667085; }
.lr-phone-sub span:first-child { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.lr-phone-sub span:last-child, .lr-phone-main span { flex-shrink: 0; }
.tabular-nums { font-variant-numeric: tabular-nums; }
"""


def apply() -> None:
    ui.colors(primary=PRIMARY, secondary='#5b7f95', accent='#b7791f', positive='#1f8a4c', negative='#c0392b')
    ui.add_css(CSS)
