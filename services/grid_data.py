"""The per-region grid rows of data/grid.csv (see data/README.md), loaded and checked with the catalog.

How a generation's region turns into grid intensity and PUE is eco's business: services/eco/grid.py.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.catalog import Catalog

VIA = re.compile(r'^(aws|gcp|azure|oracle):[a-z0-9-]+$')  # '<cloud>:<region id in the source file>'


@dataclass(frozen=True)
class GridRow:
    region: str
    year: int
    em_zone: str
    intensity: float  # g CO2e/kWh
    pue: float | None
    basis: str  # region | zone
    via: str  # zone rows: the source row used, '<cloud>:<region>'; region rows: ''
    source: str
    as_of: str


def load_grid(folder: Path) -> tuple[GridRow, ...]:
    """The rows of folder/grid.csv by region and year (none when the file is absent)."""
    path = folder / 'grid.csv'
    if not path.exists():
        return ()
    with path.open(newline='', encoding='utf-8') as f:
        rows = [_row(r) for r in csv.DictReader(f)]
    return tuple(sorted(rows, key=lambda g: (g.region, g.year)))


def grid_problems(catalog: Catalog) -> list[str]:
    """Everything wrong with the catalog's grid rows, in words."""
    problems = []
    for g in catalog.grid:
        where = f'grid {g.region}/{g.year}'
        if g.region not in catalog.regions:
            problems.append(f'{where}: unknown region')
        if g.year <= 0 or g.intensity <= 0 or not g.em_zone or not g.source or not g.as_of:
            problems.append(f'{where}: no whole-number year, or no positive intensity with a zone and source')
        if g.pue is not None and g.pue < 1:
            problems.append(f'{where}: PUE below 1')
        zone_via = bool(VIA.match(g.via)) and g.via.partition(':')[2] != g.region
        if not ((g.basis == 'region' and not g.via) or (g.basis == 'zone' and zone_via)):
            problems.append(f'{where}: basis {g.basis!r} does not match via {g.via!r}')
    by_region: dict[str, list[GridRow]] = {}
    for g in catalog.grid:
        by_region.setdefault(g.region, []).append(g)
    for region, rows in by_region.items():
        if len({(g.em_zone, g.basis, g.via) for g in rows}) > 1 or len({g.year for g in rows}) < len(rows):
            problems.append(f'grid {region}: years repeat or differ in zone, basis or via')
    clouds = {r.cloud for r in catalog.regions.values()}
    bad_clouds = [p.id for p in catalog.providers.values() if p.cloud and p.cloud not in clouds]
    return problems + [f'provider {p}: its cloud has no region' for p in bad_clouds]


def _row(r: dict[str, str]) -> GridRow:
    """One row of grid.csv; unreadable numbers load as 0 or -1, which grid_problems reports."""
    year, intensity = r['year'].strip(), _number(r['grid_intensity_g_per_kwh']) or 0.0
    return GridRow(r['region'], int(year) if year.isdigit() else 0, r['em_zone'], intensity, _number(r['pue']),
                   r['basis'], r['via'], r['source'], r['as_of'])  # fmt: skip


def _number(text: str) -> float | None:
    try:
        return float(text) if text.strip() else None
    except ValueError:
        return -1.0
