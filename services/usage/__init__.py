"""Usage: recording generations and every figure about them.

Public modules: `ingest` (the one way a generation is recorded), `generation_ids` (ids that tell when they
were recorded), `rollups` (hourly and daily totals every page reads), `query` (the one usage query over them)
and `local_days` (its fast reads per local day), `totals`, `dashboard` and `report` (what pages and the API
show), `ranges` (date ranges in the account's zone), `explorer` (/usage), `logs` and `lookup` (/logs),
`generations` (listing, cursor paging), `exports` (CSV), `retention` (pruning), `trace_limits`. `_csv_lines`
is internal.
"""
