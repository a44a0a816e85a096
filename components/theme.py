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
"""


def apply() -> None:
    ui.colors(primary=PRIMARY, secondary='#5b7f95', accent='#b7791f', positive='#1f8a4c', negative='#c0392b')
    ui.add_css(CSS)
