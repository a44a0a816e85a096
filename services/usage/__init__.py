"""Usage: recording generations and every figure about them.

Public modules: `ingest` (the one way a generation is recorded), `rollups` (hourly and daily totals every
page reads), `totals`, `dashboard` and `report` (what pages and the API show), `generations` (listing, cursor
paging), `exports` (CSV), `retention` (pruning), `trace_limits`. `_csv_lines` is internal.
"""
