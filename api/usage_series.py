"""Usage over time over HTTP: the buckets, groups, shares and changes that the /usage page shows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ReadKey, ReadSessionDep, account_of
from api.errors import ERROR_RESPONSES
from api.responses.series import Metric, SeriesGroup, SeriesOut
from api.schemas import MAX_ID, StatusFilter
from services.money import decimal_string
from services.usage.explorer import explore
from services.usage.ranges import PRESETS, resolve_range

router = APIRouter(prefix='/api/v1', tags=['usage and credits'], responses=ERROR_RESPONSES)
Name = Annotated[str | None, Query(max_length=120)]
Preset = Annotated[str | None, Query(alias='range', max_length=20, description=', '.join(PRESETS) + '; default 30d')]
FirstDay = Annotated[str | None, Query(alias='from', max_length=10, description='custom range: first local day')]
LastDay = Annotated[str | None, Query(alias='to', max_length=10, description='custom range: last local day, included')]
KeyOrNone = Annotated[int | None, Query(alias='key', ge=0, le=MAX_ID, description='only this key id; 0: without a key')]


@router.get(
    '/usage/series',
    response_model=SeriesOut,
    summary='Usage over time: one metric per bucket and group, as the /usage page shows it (scope: read)',
)
def usage_series(
    session: ReadSessionDep,
    key: ReadKey,
    preset: Preset = None,
    first_day: FirstDay = None,
    last_day: LastDay = None,
    metric: Metric = 'tokens',
    group_by: SeriesGroup = 'model',
    model: Name = None,
    provider: Name = None,
    region: Name = None,
    key_id: KeyOrNone = None,
    status: StatusFilter = None,
) -> dict:
    """The range is whole local days of the account's time zone (a preset, or `from` and `to`); the bucket
    (hour, day or week) follows from its length. Invalid ranges answer 422 naming the parameter."""
    account = account_of(session, key)
    period = resolve_range(account.timezone, preset, first_day, last_day)  # RangeError: 422 with its field
    filters = {'model': model, 'provider': provider, 'region': region, 'key_id': key_id, 'status': status}
    found = explore(session, account, period, metric, group_by, filters)
    shown = _money if metric == 'cost' else _plain
    return {
        'range': {
            'preset': period.preset,
            'first_day': period.first.isoformat(),
            'last_day': period.last.isoformat(),
            'timezone': period.zone,
            'since': period.since.isoformat().replace('+00:00', 'Z'),
            'until': period.until.isoformat().replace('+00:00', 'Z'),
            'bucket': period.bucket,
            'note': period.cut_note,
        },
        'metric': metric,
        'unit': found.unit,
        'group_by': group_by,
        'currency': account.currency,
        'buckets': [start.isoformat() for start in found.buckets],
        'total': shown(found.total),
        'previous_total': shown(found.previous_total),
        'groups': [
            {
                'value': g.value,
                'label': g.label,
                'total': shown(g.total),
                'share': g.share,
                'previous': shown(g.previous),
                'change': g.change,
                'values': [shown(v) for v in found.series[g.value].tolist()],
            }
            for g in found.groups
        ],
    }


def _money(micros) -> str:
    return decimal_string(int(micros))


def _plain(value) -> int | float:
    """A count stays an int, energy and carbon stay floats (pandas hands numpy scalars)."""
    return value.item() if hasattr(value, 'item') else value
