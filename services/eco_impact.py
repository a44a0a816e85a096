"""Eco impact of a window of usage, compared with a baseline model the operator picks.

The baseline is "the same usage with model X instead": the same completion tokens, served by the
same providers (their PUE) in the same regions (their grid intensity), with X's parameters, through
the same `eco.per_output_token` that stamped every record. Only the model changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session, select

from services import eco
from services.catalog import Catalog, get_catalog
from services.models import Account
from services.rollups import usage_window
from services.timeutil import day_start_utc
from services.units import carbon_text

SMALL_SAMPLE = 100  # fewer generations than this in the window: reduced confidence
ESTIMATED_SHARE = 0.2  # more than this share of energy from estimated models: reduced confidence
COMPARABLE_WITHIN = 0.10  # central values within 10 %: "comparable", no saving claimed either way

Verdict = Literal['saved', 'used_more', 'comparable', 'no_usage']
CAVEATS = {
    'small_sample': 'Few generations in this window, so one unusual request moves the total.',
    'estimated_parameters': 'Much of this energy comes from models whose size is estimated, not published.',
    'world_average_grid': 'Some requests ran in regions without a known grid intensity; the world average was used.',
    'baseline_estimated': "The baseline model's size is itself an estimate.",
    'mixed_methodology': 'Records in this window were computed with more than one methodology version.',
}


@dataclass(frozen=True)
class EcoImpact:
    days: int
    since: datetime
    requests: int
    completion_tokens: int
    energy_wh: eco.Span
    carbon_g: eco.Span
    baseline_model: str
    baseline_energy_wh: eco.Span
    baseline_carbon_g: eco.Span
    verdict: Verdict
    carbon_difference_g: float  # baseline - actual: positive is a saving
    energy_difference_pct: float  # (actual - baseline) / baseline, in percent
    carbon_difference_pct: float  # (baseline - actual) / baseline, in percent
    caveats: list[str] = field(default_factory=list)
    methodology_versions: list[str] = field(default_factory=list)

    @property
    def reduced_confidence(self) -> bool:
        return bool(set(self.caveats) - {'mixed_methodology'})


def eco_impact(
    session: Session,
    account: Account,
    *,
    days: int = 30,
    baseline: str | None = None,
    model: str | None = None,
    key_id: int | None = None,
    now: datetime | None = None,
    catalog: Catalog | None = None,
) -> EcoImpact:
    catalog = catalog or get_catalog()
    baseline = baseline or account.eco_baseline_model
    if baseline not in catalog.models:
        raise ValueError(f'unknown baseline model {baseline!r}')
    since = day_start_utc(account.timezone, now, days_back=days - 1)
    groups = _groups(session, account.id, since, model, key_id)
    requests = sum(g['requests'] for g in groups)
    energy = _total(groups, 'energy_wh')
    carbon = _total(groups, 'carbon_g')
    base_energy, base_carbon, fallback = _baseline(catalog, catalog.models[baseline], groups)
    verdict, energy_pct = _verdict(energy.value, base_energy.value, requests)
    carbon_diff = base_carbon.value - carbon.value
    caveats = []
    if 0 < requests < SMALL_SAMPLE:
        caveats.append('small_sample')
    estimated_energy = sum(g['estimated_energy_wh'] for g in groups)
    if energy.value and estimated_energy / energy.value > ESTIMATED_SHARE:
        caveats.append('estimated_parameters')
    if fallback:
        caveats.append('world_average_grid')
    if catalog.models[baseline].estimated:
        caveats.append('baseline_estimated')
    versions = sorted({v for g in groups for v in g['versions']})
    if len(versions) > 1:
        caveats.append('mixed_methodology')
    return EcoImpact(
        days=days,
        since=since,
        requests=requests,
        completion_tokens=sum(g['completion_tokens'] for g in groups),
        energy_wh=energy,
        carbon_g=carbon,
        baseline_model=baseline,
        baseline_energy_wh=base_energy,
        baseline_carbon_g=base_carbon,
        verdict=verdict,
        carbon_difference_g=carbon_diff,
        energy_difference_pct=energy_pct,
        carbon_difference_pct=100 * carbon_diff / base_carbon.value if base_carbon.value else 0.0,
        caveats=caveats,
        methodology_versions=versions,
    )


def _groups(session: Session, account_id: int, since: datetime, model: str | None, key_id: int | None) -> list[dict]:
    columns = ('requests', 'completion_tokens', 'estimated_energy_wh', 'energy_wh_low', 'energy_wh', 'energy_wh_high')
    columns += ('carbon_g_low', 'carbon_g', 'carbon_g_high')
    usage = usage_window(account_id, since)
    query = select(
        usage.c.provider,
        usage.c.region,
        usage.c.methodology_version,
        *(func.coalesce(func.sum(getattr(usage.c, c)), 0) for c in columns),
    ).group_by(usage.c.provider, usage.c.region, usage.c.methodology_version)
    if model:
        query = query.where(usage.c.model == model)
    if key_id:
        query = query.where(usage.c.api_key_id == key_id)
    merged: dict[tuple[str, str], dict] = {}
    for provider, region, version, *sums in session.exec(query):
        group = merged.setdefault((provider, region), {'provider': provider, 'region': region, 'versions': set()})
        group['versions'].add(version)
        for column, value in zip(columns, sums, strict=True):
            number = int(value) if column in ('requests', 'completion_tokens') else float(value)  # PG sums: numeric
            group[column] = group.get(column, 0) + number
    return list(merged.values())


def _total(groups: list[dict], prefix: str) -> eco.Span:
    return eco.Span(
        sum(g[f'{prefix}_low'] for g in groups),
        sum(g[prefix] for g in groups),
        sum(g[f'{prefix}_high'] for g in groups),
    )


def _baseline(catalog: Catalog, baseline, groups: list[dict]) -> tuple[eco.Span, eco.Span, bool]:
    energy = carbon = eco.Span(0.0, 0.0, 0.0)
    fallback = False
    for g in groups:
        provider = catalog.providers.get(g['provider'])
        intensity, fell_back = eco.grid_intensity(catalog, g['region'])
        fallback |= fell_back
        per_energy, per_carbon = eco.per_output_token(
            baseline, provider.pue if provider else eco.DEFAULT_PUE, intensity
        )
        tokens = g['completion_tokens']
        energy = eco.Span(*(a + b for a, b in zip(_t(energy), _t(per_energy.scaled(tokens)), strict=True)))
        carbon = eco.Span(*(a + b for a, b in zip(_t(carbon), _t(per_carbon.scaled(tokens)), strict=True)))
    return energy, carbon, fallback


def _t(span: eco.Span) -> tuple[float, float, float]:
    return span.low, span.value, span.high


def _verdict(actual: float, baseline: float, requests: int) -> tuple[Verdict, float]:
    if requests == 0 or baseline <= 0:
        return 'no_usage', 0.0
    pct = 100 * (actual - baseline) / baseline
    if abs(pct) <= 100 * COMPARABLE_WITHIN:
        return 'comparable', pct
    return ('saved' if actual < baseline else 'used_more'), pct


def verdict_sentence(impact: EcoImpact, baseline_name: str) -> str:
    """The words that go with the numbers; the panel and the API say the same thing."""
    if impact.verdict == 'no_usage':
        return 'No usage in this window yet.'
    if impact.verdict == 'saved':
        return (
            f'You saved {carbon_text(impact.carbon_difference_g)} ({impact.carbon_difference_pct:.0f} %) '
            f'compared with {baseline_name}.'
        )
    if impact.verdict == 'used_more':
        return f'Your usage used {impact.energy_difference_pct:.0f} % more energy than {baseline_name} would have.'
    return f'About the same energy as {baseline_name} would have used (within {COMPARABLE_WITHIN:.0%}).'


def caveat_anchor(code: str) -> str:
    return code.replace('_', '-')
