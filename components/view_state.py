"""What /usage and /logs show, kept in the URL so that a view can be bookmarked and shared.

Query parameters (all optional):
- range: a preset of services/usage/ranges.py (today, 7d, 30d, this_month, last_month, 90d, custom);
  from, to: the first and last local day of a custom range, YYYY-MM-DD
- metric (usage only): requests, tokens, cost, energy, carbon; group (usage only): model, provider, region,
  key, status
- filters: model, provider, region, key (an API key's id; 0: recorded without a key), status (completed,
  failed, cancelled)

`View.from_query` never raises: a value it cannot use is dropped and named in `problems`, which the page
shows, so a mistyped link still opens a page that says what it ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from urllib.parse import urlencode

METRICS = {'requests': 'Requests', 'tokens': 'Tokens', 'cost': 'Cost', 'energy': 'Energy', 'carbon': 'Carbon'}
GROUPS = {'model': 'Model', 'provider': 'Provider', 'region': 'Region', 'key': 'API key', 'status': 'Status'}
STATUSES = {'completed': 'Completed', 'failed': 'Failed', 'cancelled': 'Cancelled'}
FILTERS = ('model', 'provider', 'region', 'key', 'status')
DEFAULT_METRIC, DEFAULT_GROUP = 'tokens', 'model'
MAX_TEXT = 120  # a model, provider or region name is never longer


@dataclass(frozen=True)
class View:
    range: str | None = None  # None: the default preset
    start: str | None = None  # 'from' in the URL
    end: str | None = None  # 'to' in the URL
    metric: str = DEFAULT_METRIC
    group: str = DEFAULT_GROUP
    model: str | None = None
    provider: str | None = None
    region: str | None = None
    key: int | None = None
    status: str | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> View:
        problems: list[str] = []
        values: dict = {}
        for name, attribute in (('range', 'range'), ('from', 'start'), ('to', 'end')):
            text = (params.get(name) or '').strip()
            if text:
                values[attribute] = text[:40]
        for name, allowed, default in (('metric', METRICS, DEFAULT_METRIC), ('group', GROUPS, DEFAULT_GROUP)):
            text = (params.get(name) or '').strip()
            if text and text not in allowed:
                problems.append(f'unknown {name} “{text[:40]}”: showing {allowed[default].lower()}')
            elif text:
                values[name] = text
        for name in ('model', 'provider', 'region'):
            text = (params.get(name) or '').strip()
            if len(text) > MAX_TEXT:
                problems.append(f'the {name} filter is too long and was ignored')
            elif text:
                values[name] = text
        key = (params.get('key') or '').strip()
        if key:
            if key.isdigit() and len(key) < 12:
                values['key'] = int(key)
            else:
                problems.append(f'“{key[:40]}” is not a key id; the key filter was ignored')
        status = (params.get('status') or '').strip()
        if status and status not in STATUSES:
            problems.append(f'unknown status “{status[:40]}”: use completed, failed or cancelled')
        elif status:
            values['status'] = status
        return cls(**values, problems=tuple(problems))

    def filters(self) -> dict[str, str | int]:
        """The filters that are set, by name (model, provider, region, key, status)."""
        return {name: getattr(self, name) for name in FILTERS if getattr(self, name) is not None}

    def changed(self, **changes) -> View:
        """This view with some fields changed (a filter set to None is removed); problems are not carried."""
        return replace(self, **changes, problems=())

    def query(self, **changes) -> str:
        """The URL query of this view (with `changes`), '' when everything is at its default; e.g.
        '?range=7d&metric=cost&model=openai%2Fgpt-4o'."""
        view = self.changed(**changes) if changes else self
        pairs = []
        for f in fields(View):
            if f.name == 'problems':
                continue
            value = getattr(view, f.name)
            if value is None or value == f.default:
                continue
            pairs.append(({'start': 'from', 'end': 'to'}.get(f.name, f.name), str(value)))
        return '?' + urlencode(pairs) if pairs else ''

    def with_filter(self, name: str, value: str | int | None) -> View:
        if name not in FILTERS:
            raise ValueError(f'not a filter: {name}')
        return self.changed(**{name: value})
