"""The catalog shipped in data/: models, providers, regions, offers and FX rates, each row with its source."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path

from services.grid_data import GridRow, grid_problems, load_grid

DATA = Path(__file__).resolve().parent.parent / 'data'
AUTO_MODEL = 'lowrouter/auto'


@dataclass(frozen=True)
class Model:
    id: str
    name: str
    vendor: str
    open_weights: bool
    ecologits_provider: str
    ecologits_name: str
    total_params_b: tuple[float, float]
    active_params_b: tuple[float, float]
    params_status: str  # verified | estimated
    params_source: str
    as_of: str

    @property
    def estimated(self) -> bool:
        return self.params_status == 'estimated'


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    pue: float
    pue_source: str
    as_of: str
    cloud: str = ''  # cloud whose data centres serve it in that cloud's regions (aws, gcp, azure, scaleway), or ''


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    cloud: str
    country_iso3: str
    grid_intensity_g_per_kwh: float
    intensity_source: str
    intensity_year: int


@dataclass(frozen=True)
class Offer:
    provider: str
    model: str
    region: str
    input_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal
    typical_latency_ms: int
    price_source: str
    as_of: str


@dataclass(frozen=True)
class FxRate:
    currency: str
    per_usd: Decimal
    as_of: str
    source: str


@dataclass(frozen=True, eq=False)  # hashed by identity: per-catalog caches key on it
class Catalog:
    models: dict[str, Model]
    providers: dict[str, Provider]
    regions: dict[str, Region]
    offers: tuple[Offer, ...]
    fx: dict[str, FxRate]
    grid: tuple[GridRow, ...] = ()  # data/grid.csv, see services/grid_data.py

    def offers_for(self, model_id: str) -> list[Offer]:
        return list(self._offers_by_model.get(model_id, ()))

    @cached_property
    def _offers_by_model(self) -> dict[str, tuple[Offer, ...]]:
        """The offers of each model, in catalog order (every recorded generation looks its model up)."""
        by_model: dict[str, list[Offer]] = {}
        for o in self.offers:
            by_model.setdefault(o.model, []).append(o)
        return {model: tuple(offers) for model, offers in by_model.items()}

    def offer(self, model_id: str, provider: str, region: str) -> Offer | None:
        return next((o for o in self.offers if (o.model, o.provider, o.region) == (model_id, provider, region)), None)

    def cheapest_offer(self, model_id: str) -> Offer | None:
        offers = self.offers_for(model_id)
        return (
            min(offers, key=lambda o: (o.input_usd_per_mtok + o.output_usd_per_mtok, o.provider, o.region))
            if offers
            else None
        )

    @property
    def currencies(self) -> list[str]:
        return sorted(self.fx)


def display_name(model_id: str) -> str:
    """The catalog's display name ('GPT-4o mini'), or the id for a model the catalog no longer lists."""
    model = get_catalog().models.get(model_id)
    return model.name if model else model_id


@cache
def get_catalog() -> Catalog:
    return load_catalog(DATA)


def load_catalog(folder: Path) -> Catalog:
    models = {r['id']: _model(r) for r in _rows(folder / 'models.csv')}
    providers = {
        r['id']: Provider(r['id'], r['name'], float(r['pue']), r['pue_source'], r['as_of'], r['cloud'])
        for r in _rows(folder / 'providers.csv')
    }
    regions = {
        r['id']: Region(
            r['id'],
            r['name'],
            r['cloud'],
            r['country_iso3'],
            float(r['grid_intensity_g_per_kwh']),
            r['intensity_source'],
            int(r['intensity_year']),
        )
        for r in _rows(folder / 'regions.csv')
    }
    offers = tuple(
        Offer(
            r['provider'],
            r['model'],
            r['region'],
            Decimal(r['input_usd_per_mtok']),
            Decimal(r['output_usd_per_mtok']),
            int(r['typical_latency_ms']),
            r['price_source'],
            r['as_of'],
        )
        for r in _rows(folder / 'offers.csv')
    )
    fx = {
        r['currency']: FxRate(r['currency'], Decimal(r['per_usd']), r['as_of'], r['source'])
        for r in _rows(folder / 'fx.csv')
    }
    return Catalog(models, providers, regions, offers, fx, load_grid(folder))


def catalog_problems(catalog: Catalog) -> list[str]:
    """Everything wrong with a catalog, in words; empty when it is sound."""
    problems = []
    for o in catalog.offers:
        where = f'offer {o.provider}/{o.model}/{o.region}'
        if o.model not in catalog.models:
            problems.append(f'{where}: unknown model')
        if o.provider not in catalog.providers:
            problems.append(f'{where}: unknown provider')
        if o.region not in catalog.regions:
            problems.append(f'{where}: unknown region')
        if o.input_usd_per_mtok <= 0 or o.output_usd_per_mtok <= 0 or o.typical_latency_ms <= 0:
            problems.append(f'{where}: non-positive price or latency')
        if not o.price_source or not o.as_of:
            problems.append(f'{where}: no source')
    for m in catalog.models.values():
        if min(m.total_params_b + m.active_params_b) <= 0:
            problems.append(f'model {m.id}: non-positive parameters')
        if m.params_status not in ('verified', 'estimated') or not m.params_source or not m.as_of:
            problems.append(f'model {m.id}: no status or source')
        if not catalog.offers_for(m.id):
            problems.append(f'model {m.id}: no offer')
    for p in catalog.providers.values():
        if p.pue < 1 or not p.pue_source:
            problems.append(f'provider {p.id}: PUE below 1 or no source')
    for r in catalog.regions.values():
        if r.grid_intensity_g_per_kwh <= 0 or not r.intensity_source or not r.intensity_year:
            problems.append(f'region {r.id}: no positive intensity with a source')
    for f in catalog.fx.values():
        if f.per_usd <= 0 or not f.source or not f.as_of:
            problems.append(f'fx {f.currency}: no positive rate with a source')
    if 'USD' not in catalog.fx or catalog.fx['USD'].per_usd != 1:
        problems.append('fx: USD must be 1')
    problems += grid_problems(catalog)
    return problems


def _model(r: dict[str, str]) -> Model:
    return Model(
        r['id'],
        r['name'],
        r['vendor'],
        r['open_weights'].strip().lower() == 'true',
        r['ecologits_provider'],
        r['ecologits_name'],
        (float(r['total_params_b_min']), float(r['total_params_b_max'])),
        (float(r['active_params_b_min']), float(r['active_params_b_max'])),
        r['params_status'],
        r['params_source'],
        r['as_of'],
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f))
