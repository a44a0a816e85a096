"""Eco impact of a window of usage, compared with a baseline model the operator picks.

The baseline is "the same usage with model X instead": for every (provider, region, methodology version)
of the window, X on the same prompt and completion tokens and requests, served by the same provider in the
same region, estimated by `eco.estimate` with the very methodology version that stamped those records.
Records of a version that can no longer be computed are left out of the comparison (and named).

Energy and carbon are judged separately and only beyond the uncertainty (services/eco/_verdict.py, which
also words the verdict for the panel, the API and the e-mail).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from services import locales
from services.catalog import Catalog, get_catalog
from services.eco import estimate as eco
from services.eco._verdict import Comparison, Verdict, verdict_sentence
from services.locales import DEFAULT
from services.models import Account
from services.timeutil import day_start_utc
from services.usage.query import usage

SMALL_SAMPLE = 100  # fewer generations than this in the window: reduced confidence
ESTIMATED_SHARE = 0.2  # more than this share of energy from estimated records: reduced confidence
FALLBACK_GRIDS = ('country', 'world')  # grid bases that are an average standing in for the region's own data

CAVEATS = {
    'small_sample': 'Few generations in this window, so one unusual request moves the total.',
    'estimated_parameters': 'Much of this energy rests on estimated inputs: a model size that is not published, '
    "or a region's grid or PUE taken from a wider area.",
    'grid_fallback': 'Some requests ran in regions without grid data of their own; a country or world average '
    'was used.',
    'baseline_estimated': "The baseline model's size is itself an estimate.",
    'mixed_methodology': 'Records in this window were computed with more than one methodology version.',
    'not_comparable': 'Left out of the comparison: records of a methodology version that can no longer be '
    'computed (python app.py eco-recompute recomputes them).',
}


@dataclass(frozen=True)
class EcoImpact:
    days: int
    since: datetime
    requests: int
    prompt_tokens: int
    completion_tokens: int
    energy_wh: eco.Span  # everything in the window, comparable or not
    carbon_g: eco.Span  # electricity + manufacturing
    embodied_g: eco.Span  # manufacturing, part of carbon_g
    baseline_model: str
    comparison: Comparison  # the comparable part against the baseline
    caveats: list[str] = field(default_factory=list)
    methodology_versions: list[str] = field(default_factory=list)
    not_comparable_versions: list[str] = field(default_factory=list)
    until: datetime | None = None  # the window's end (exclusive); None: up to now
    locale: str = DEFAULT  # how the summary's numbers read: the account's (services/locales.py)

    @property
    def energy_verdict(self) -> Verdict:
        return 'not_comparable' if self._nothing_comparable else self.comparison.energy_verdict

    @property
    def carbon_verdict(self) -> Verdict:
        return 'not_comparable' if self._nothing_comparable else self.comparison.carbon_verdict

    @property
    def summary(self) -> str:
        if self._nothing_comparable:
            return (
                f'None of this usage can be compared with {self.comparison.baseline_name}: '
                'its methodology version can no longer be computed.'
            )
        return verdict_sentence(self.comparison, self.locale)

    @property
    def reduced_confidence(self) -> bool:
        return bool(set(self.caveats) - {'mixed_methodology', 'not_comparable'})

    @property
    def _nothing_comparable(self) -> bool:
        return self.requests > 0 and self.comparison.requests == 0


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
    since: datetime | None = None,
    until: datetime | None = None,
) -> EcoImpact:
    """The last `days` days up to now (from local midnight in the account's zone), or with `since` the exact
    window [since, until) (until None: up to now), e.g. the week a weekly summary reports; `days` is then the
    window's length in days, rounded (a week across a clock change is 7)."""
    catalog = catalog or get_catalog()
    baseline = baseline or account.eco_baseline_model
    if baseline not in catalog.models:
        raise ValueError(f'unknown baseline model {baseline!r}')
    if since is None:
        if until is not None:
            raise ValueError('until needs since')
        since = day_start_utc(account.timezone, now, days_back=days - 1)
    else:
        days = max(1, round(((until or now or datetime.now(UTC)) - since) / timedelta(days=1)))
    groups = _groups(session, account.id, since, model, key_id, until)
    comparable = [g for g in groups if eco.computable(g['methodology_version'])]
    estimates = [_baseline_of(catalog, baseline, g) for g in comparable]
    comparison = Comparison(
        baseline_name=catalog.models[baseline].name,
        requests=sum(g['requests'] for g in comparable),
        energy_wh=_total(comparable, 'energy_wh'),
        carbon_g=_total(comparable, 'carbon_g'),
        embodied_g=_total(comparable, 'embodied_g'),
        baseline_energy_wh=_sum(e.energy_wh for e in estimates),
        baseline_carbon_g=_sum(e.carbon_g for e in estimates),
        baseline_embodied_g=_sum(e.embodied_g for e in estimates),
    )
    requests = sum(g['requests'] for g in groups)
    energy = _total(groups, 'energy_wh')
    versions = sorted({g['methodology_version'] for g in groups})
    left_out = sorted({g['methodology_version'] for g in groups} - {g['methodology_version'] for g in comparable})
    caveats = []
    if 0 < requests < SMALL_SAMPLE:
        caveats.append('small_sample')
    if energy.value and sum(g['estimated_energy_wh'] for g in groups) / energy.value > ESTIMATED_SHARE:
        caveats.append('estimated_parameters')
    if any(_grid_fell_back(catalog, e, g) for e, g in zip(estimates, comparable, strict=True)):
        caveats.append('grid_fallback')
    if catalog.models[baseline].estimated:
        caveats.append('baseline_estimated')
    if len(versions) > 1:
        caveats.append('mixed_methodology')
    if left_out:
        caveats.append('not_comparable')
    return EcoImpact(
        days=days,
        since=since,
        requests=requests,
        prompt_tokens=sum(g['prompt_tokens'] for g in groups),
        completion_tokens=sum(g['completion_tokens'] for g in groups),
        energy_wh=energy,
        carbon_g=_total(groups, 'carbon_g'),
        embodied_g=_total(groups, 'embodied_g'),
        baseline_model=baseline,
        comparison=comparison,
        caveats=caveats,
        methodology_versions=versions,
        not_comparable_versions=left_out,
        until=until,
        locale=locales.of(account),
    )


def caveat_text(impact: EcoImpact, code: str) -> str:
    """A caveat's words for this window (the version caveats name their versions)."""
    if code == 'mixed_methodology':
        return f'{CAVEATS[code][:-1]}: {", ".join(impact.methodology_versions)}.'
    if code == 'not_comparable':
        versions = ', '.join(impact.not_comparable_versions)
        return (
            f'Left out of the comparison: records stamped {versions}, a methodology version that can no longer be '
            'computed (python app.py eco-recompute recomputes them).'
        )
    return CAVEATS[code]


def caveat_anchor(code: str) -> str:
    return code.replace('_', '-')


SUMS = ('requests', 'prompt_tokens', 'completion_tokens', 'estimated_energy_wh')
SUMS += tuple(f'{s}{e}' for s in ('energy_wh', 'carbon_g', 'embodied_g') for e in ('_low', '', '_high'))


def _groups(
    session: Session,
    account_id: int,
    since: datetime,
    model: str | None,
    key_id: int | None,
    until: datetime | None = None,
) -> list[dict]:
    """The window's usage per (provider, region, methodology version): what a baseline estimate needs."""
    found = usage(
        session,
        account_id,
        since=since,
        until=until,
        group_by=('provider', 'region', 'methodology_version'),
        model=model or None,
        key_id=key_id or None,
    )
    return [
        {'provider': u.provider, 'region': u.region, 'methodology_version': u.methodology_version}
        | {column: getattr(u, column) for column in SUMS}
        for u in found
    ]


def _baseline_of(catalog: Catalog, baseline: str, group: dict) -> eco.Estimate:
    return eco.estimate(
        catalog,
        baseline,
        group['provider'],
        group['region'],
        group['completion_tokens'],
        prompt_tokens=group['prompt_tokens'],
        requests=group['requests'],
        version=group['methodology_version'],
    )


def _total(groups: list[dict], prefix: str) -> eco.Span:
    return eco.Span(
        sum(g[f'{prefix}_low'] for g in groups),
        sum(g[prefix] for g in groups),
        sum(g[f'{prefix}_high'] for g in groups),
    )


def _sum(spans) -> eco.Span:
    return sum(spans, eco.Span.zero())


def _grid_fell_back(catalog: Catalog, estimate: eco.Estimate, group: dict) -> bool:
    """A country or world average stood in for the region's grid (eco-1 records name no basis: a region
    missing from the catalog was priced at the world average there)."""
    if estimate.grid_basis is None:
        return group['region'] not in catalog.regions
    return estimate.grid_basis in FALLBACK_GRIDS
