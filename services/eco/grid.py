"""Grid carbon intensity and PUE of the region that served a generation, from the catalog's grid rows.

A region without rows there falls back to the country average of regions.csv, an unknown one to the world average.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ecologits.electricity_mix_repository import electricity_mixes

from services.catalog import Catalog, get_catalog
from services.grid_data import GridRow

DEFAULT_PUE = 1.2  # provider not in the catalog (same figure as services.eco.estimate)
DEFAULT_PUE_RANGE = (1.1, DEFAULT_PUE, 1.4)
ASSUMED_PUE = 'industry-typical assumption'  # how providers.csv marks a PUE nobody published
WORLD_ZONE = 'WOR'
CLOUD_NAMES = {'aws': 'AWS', 'gcp': 'Google Cloud', 'azure': 'Azure', 'oracle': 'Oracle Cloud', 'scaleway': 'Scaleway'}


@dataclass(frozen=True)
class GridFactors:
    intensity: tuple[float, float, float]  # (low, central, high) g CO2e/kWh
    pue: tuple[float, float, float]  # (low, central, high)
    basis: str  # region | zone | country | world
    year: int | None
    zone: str | None
    note: str


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


def _label(cloud_region: str) -> str:
    """'aws:ca-central-1' -> 'AWS ca-central-1'; a cloud without a name ('generic') is left out."""
    cloud, _, region_id = cloud_region.partition(':')
    return f'{CLOUD_NAMES[cloud]} {region_id}' if cloud in CLOUD_NAMES else region_id
