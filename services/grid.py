"""Grid carbon intensity and PUE of the region that served a generation, from data/grid.csv (see data/README.md).

A region without rows there falls back to the country average of regions.csv, an unknown one to the world average.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ecologits.electricity_mix_repository import electricity_mixes

from services.catalog import Catalog, get_catalog

DEFAULT_PUE = 1.2  # provider not in the catalog (same figure as services.eco.estimate)
DEFAULT_PUE_RANGE = (1.1, DEFAULT_PUE, 1.4)
ASSUMED_PUE = 'industry-typical assumption'  # how providers.csv marks a PUE nobody published
WORLD_ZONE = 'WOR'
CLOUD_NAMES = {'aws': 'AWS', 'gcp': 'Google Cloud', 'azure': 'Azure', 'oracle': 'Oracle Cloud', 'scaleway': 'Scaleway'}
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


@dataclass(frozen=True)
class GridFactors:
    intensity: tuple[float, float, float]  # (low, central, high) g CO2e/kWh
    pue: tuple[float, float, float]  # (low, central, high)
    basis: str  # region | zone | country | world
    year: int | None
    zone: str | None
    note: str


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
    for region, rows in _by_region(catalog).items():
        if len({(g.em_zone, g.basis, g.via) for g in rows}) > 1 or len({g.year for g in rows}) < len(rows):
            problems.append(f'grid {region}: years repeat or differ in zone, basis or via')
    clouds = {r.cloud for r in catalog.regions.values()}
    bad_clouds = [p.id for p in catalog.providers.values() if p.cloud and p.cloud not in clouds]
    return problems + [f'provider {p}: its cloud has no region' for p in bad_clouds]


def grid_factors(catalog: Catalog, region_id: str | None, provider_id: str | None) -> GridFactors:
    """Grid intensity and PUE for a generation served by this provider in this region."""
    region = catalog.regions.get(region_id or '')
    provider = catalog.providers.get(provider_id or '')
    rows = _by_region(catalog).get(region_id or '', ())
    fleet = provider.pue if provider else None
    pue = (fleet, fleet, fleet) if fleet is not None else DEFAULT_PUE_RANGE
    if provider and provider.pue_source.startswith(ASSUMED_PUE):  # no published figure: the typical range
        pue = (min(fleet, DEFAULT_PUE_RANGE[0]), fleet, max(fleet, DEFAULT_PUE_RANGE[2]))
    if region is None:
        world = electricity_mixes.find_electricity_mix(WORLD_ZONE).gwp * 1000
        what = f'Unknown region {region_id}' if region_id else 'No region recorded'
        return GridFactors((world, world, world), pue, 'world', None, None, f'{what}: world average grid')
    if not rows:
        c = region.grid_intensity_g_per_kwh
        note = f'No regional grid data for {region.id}: {region.country_iso3} country average'
        return GridFactors((c, c, c), pue, 'country', region.intensity_year, None, note)
    latest, intensities = rows[-1], [g.intensity for g in rows]
    region_pues = [g.pue for g in rows if g.pue is not None]
    if provider and provider.cloud and provider.cloud == region.cloud and region_pues:
        span = region_pues + [fleet]
        pue = (min(span), region_pues[-1], max(span))
    where, zone = _label(f'{region.cloud}:{region.id}'), f'Electricity Maps zone {latest.em_zone}'
    note = f'Grid of {where} in {latest.year} ({zone})'
    if latest.basis == 'zone':
        note = f'No grid data for {where}: {zone} in {latest.year}, as reported for {_label(latest.via)}'
    return GridFactors(
        (min(intensities), latest.intensity, max(intensities)), pue, latest.basis, latest.year, latest.em_zone, note
    )


def grid_rows() -> list[dict]:
    """One dict per catalog region for the methodology page, lowest intensity first (pue: latest in the data)."""
    catalog, rows = get_catalog(), []
    for region in catalog.regions.values():
        f, own = grid_factors(catalog, region.id, None), _by_region(catalog).get(region.id, ())
        pues = [g.pue for g in own if g.pue is not None]
        low, central, high = f.intensity
        rows.append(
            dict(region=region.id, name=region.name, basis=f.basis, zone=f.zone, via=own[-1].via if own else '',
                 year=f.year, years=f'{own[0].year}-{own[-1].year}' if own else '', intensity=central,
                 intensity_low=low, intensity_high=high, pue=pues[-1] if pues else None, note=f.note)
        )  # fmt: skip
    return sorted(rows, key=lambda r: (r['intensity'], r['region']))


@cache
def _by_region(catalog: Catalog) -> dict[str, tuple[GridRow, ...]]:
    index: dict[str, list[GridRow]] = {}
    for g in catalog.grid:  # sorted by (region, year)
        index.setdefault(g.region, []).append(g)
    return {region: tuple(rows) for region, rows in index.items()}


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


def _label(cloud_region: str) -> str:
    """'aws:ca-central-1' -> 'AWS ca-central-1'; a cloud without a name ('generic') is left out."""
    cloud, _, region_id = cloud_region.partition(':')
    return f'{CLOUD_NAMES[cloud]} {region_id}' if cloud in CLOUD_NAMES else region_id
