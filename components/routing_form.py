"""The routing-policy form (account defaults, or a key's override with an "inherit" box per field) and its texts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from components.key_form import sentence
from components.safe import set_error, set_props
from services.catalog import display_name, get_catalog
from services.money import MoneyError, format_money, parse_amount
from services.routing.policies import FIELDS, PolicyError

STRATEGY_LABELS = {
    'cheapest': 'Cheapest',
    'lowest_carbon': 'Lowest carbon',
    'prefer_region': 'Prefer a region',
    'fixed_provider': 'Fixed provider',
}
STRATEGY_HINTS = {
    'cheapest': 'The lowest list price for each request; the fastest offer among equals.',
    'lowest_carbon': 'The least CO2e per token (clean grids, efficient data centres); the cheapest among equals.',
    'prefer_region': 'The offer nearest one region (same country, then continent); the cheapest among equals.',
    'fixed_provider': 'Always one provider; requests for a model it does not serve are refused.',
}
STRATEGY_SLOT = (
    '<div class="py-1 leading-tight"><div class="font-medium">{{ props.label }}</div>'
    + ''.join(
        f'<div v-if="props.label === \'{STRATEGY_LABELS[s]}\'" class="text-xs lr-muted">{h}</div>'
        for s, h in STRATEGY_HINTS.items()
    )
    + '</div>'
)
NEEDS = {'prefer_region': 'prefer_region', 'fixed_provider': 'fixed_provider'}  # strategy -> the field it needs
PRICE_HELP = 'Enter a price above 0 (at most 1000), e.g. 2.50, or leave it empty for no cap'
LATENCY_HELP = 'Enter whole milliseconds above 0, e.g. 1500, or leave it empty for no cap'
FRIENDLY = {'max_price_per_mtok': PRICE_HELP, 'max_latency_ms': LATENCY_HELP}


def region_label(region_id: str | None) -> str:
    region = get_catalog().regions.get(region_id or '')
    return region.name if region else (region_id or 'none')


def provider_label(provider_id: str | None) -> str:
    provider = get_catalog().providers.get(provider_id or '')
    return provider.name if provider else (provider_id or 'none')


def price_text(price: Any) -> str:
    if price in (None, ''):
        return 'no cap'
    try:
        return f'{format_money(parse_amount(str(price)), "USD", precise=True)} per 1M tokens'
    except MoneyError:
        return str(price)


def pool_text(models: list[str] | None) -> str:
    names = [display_name(m) for m in models or []]
    if len(names) <= 2:
        return ', '.join(names) or 'none'
    return f'{names[0]}, {names[1]} and {len(names) - 2} more'


def limits_text(settings: dict[str, Any]) -> str:
    """Allowed and blocked providers and regions in a few words ('any' when there are none)."""
    parts = []
    if settings.get('allowed_providers') is not None:
        parts.append('only ' + ', '.join(settings['allowed_providers']))
    if settings.get('blocked_providers'):
        parts.append('not ' + ', '.join(settings['blocked_providers']))
    if settings.get('allowed_regions') is not None:
        parts.append('only in ' + ', '.join(settings['allowed_regions']))
    if settings.get('blocked_regions'):
        parts.append('not in ' + ', '.join(settings['blocked_regions']))
    return '; '.join(parts) or 'any provider and region'


LIMIT_FIELDS = ('allowed_providers', 'blocked_providers', 'allowed_regions', 'blocked_regions')


def policy_summary(settings: dict[str, Any]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(marker, label, value text, fields it shows) for the facts of a key's policy that matter."""
    strategy = settings['strategy']
    latency = settings['max_latency_ms']
    rows = [('strategy', 'Strategy', STRATEGY_LABELS.get(strategy, strategy), ('strategy',))]
    if strategy == 'prefer_region':
        rows.append(('prefer_region', 'Prefer region', region_label(settings['prefer_region']), ('prefer_region',)))
    if strategy == 'fixed_provider':
        rows.append(('fixed_provider', 'Provider', provider_label(settings['fixed_provider']), ('fixed_provider',)))
    rows += [
        ('allow_fallbacks', 'Fallbacks', 'on' if settings['allow_fallbacks'] else 'off', ('allow_fallbacks',)),
        ('max_price_per_mtok', 'Max price', price_text(settings['max_price_per_mtok']), ('max_price_per_mtok',)),
        ('max_latency_ms', 'Max latency', 'no cap' if latency is None else f'{int(latency):,} ms', ('max_latency_ms',)),
        ('limits', 'Providers and regions', limits_text(settings), LIMIT_FIELDS),
        ('auto_pool', 'Auto pool', pool_text(settings['auto_pool']), ('auto_pool',)),
    ]
    return rows


def field_error(error: PolicyError) -> tuple[str, str]:
    """(field, friendly message) of a service error; model-level errors say 'field: message'."""
    field, message = error.field, error.message
    if field not in FIELDS and ': ' in message and message.split(': ', 1)[0] in FIELDS:
        field, message = message.split(': ', 1)
    if field in FRIENDLY and message.startswith('Input should'):
        message = FRIENDLY[field]
    return field, sentence(message)


def missing_need(settings: dict[str, Any]) -> PolicyError | None:
    """The strategy's required field, when empty (checked before a preview; Save lets the service say it)."""
    needed = NEEDS.get(settings.get('strategy', ''))
    if needed and not settings.get(needed):
        what = 'region to prefer' if needed == 'prefer_region' else 'provider to use'
        return PolicyError(needed, f'choose the {what}')
    return None


class PolicyForm:
    """Every policy field; with `inherited` (the account defaults), each gets an "inherit" box: a key's override."""

    def __init__(
        self,
        values: dict[str, Any],
        *,
        inherited: dict[str, Any] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        catalog = get_catalog()
        self.inherited = inherited
        self.on_change = on_change or (lambda: None)
        self.current = dict(inherited or {}) | values  # what each field starts with
        self.overridden = set(values) if inherited is not None else set()
        self.fields: dict[str, ui.element] = {}
        self.inherit: dict[str, ui.checkbox] = {}
        self.rows: dict[str, ui.row] = {}
        regions = {r.id: f'{r.name} · {r.id}' for r in catalog.regions.values()}
        providers = {p.id: p.name for p in catalog.providers.values()}
        models = {m: display_name(m) for m in sorted(catalog.models)}
        with ui.column().classes('w-full gap-3 lr-policy-form'):
            with self._slot('strategy'):
                ui.label('Strategy: how lowrouter picks where a request runs').classes('text-sm font-medium')
                strategy = ui.radio(STRATEGY_LABELS, value=self.current['strategy']).props('dense')
                strategy.add_slot('label', STRATEGY_SLOT)
                strategy.classes('lr-strategy w-full').mark('strategy')
                self._add('strategy', strategy)
            with self._slot('prefer_region'):
                self._add('prefer_region', self._select(regions, 'Region to prefer', 'prefer-region', with_input=True))
            self.rows['prefer_region'].bind_visibility_from(strategy, 'value', lambda v: v == 'prefer_region')
            with self._slot('fixed_provider'):
                self._add('fixed_provider', self._select(providers, 'Provider to use', 'fixed-provider'))
            self.rows['fixed_provider'].bind_visibility_from(strategy, 'value', lambda v: v == 'fixed_provider')
            with self._slot('allow_fallbacks'):
                switch = ui.switch('If the picked provider fails, try the next best offer (fallbacks)')
                self._add('allow_fallbacks', switch.props('dense').classes('text-sm py-2').mark('allow-fallbacks'))
            columns = 'sm:grid-cols-2' if inherited is None else ''
            with ui.element('div').classes(f'w-full grid grid-cols-1 {columns} gap-3'):
                with self._slot('max_price_per_mtok'):
                    price = ui.input('Max price per 1M tokens').classes('w-full').mark('max-price')
                    price.props('outlined dense prefix="$" suffix="USD" inputmode=decimal')
                    price.props('hint="Optional · input and output blended"')
                    self._add('max_price_per_mtok', price)
                with self._slot('max_latency_ms'):
                    latency = ui.input('Max typical latency').classes('w-full').mark('max-latency')
                    latency.props('outlined dense suffix="ms" inputmode=numeric hint="Optional · skips slower offers"')
                    self._add('max_latency_ms', latency)
                for field, label, options in (
                    ('allowed_providers', 'Only these providers', providers),
                    ('blocked_providers', 'Never these providers', providers),
                    ('allowed_regions', 'Only these regions', regions),
                    ('blocked_regions', 'Never these regions', regions),
                ):
                    with self._slot(field):
                        hint = 'Optional · empty means any' if field.startswith('allowed') else 'Optional'
                        select = self._select(options, label, field.replace('_', '-'), multiple=True)
                        self._add(field, set_props(select, hint=hint))
            with self._slot('auto_pool'):
                pool = self._select(models, 'Auto pool', 'auto-pool', multiple=True)
                hint = 'The models lowrouter/auto picks from'
                self._add('auto_pool', set_props(pool, hint=hint))

    def _select(self, options: dict, label: str, marker: str, *, multiple: bool = False, **kw: Any) -> ui.select:
        select = ui.select(options, label=label, multiple=multiple, clearable=True, **kw).mark(marker)
        return select.props('outlined dense' + (' use-chips' if multiple else '')).classes('w-full')

    def _slot(self, field: str) -> ui.element:
        """A row for one field: the field, then (for a key) its inherit box."""
        row = ui.row().classes('w-full items-start gap-2 flex-nowrap').mark(f'slot-{field}')
        self.rows[field] = row
        if self.inherited is not None:
            with row:
                column = ui.column().classes('grow min-w-0 gap-1')
                box = ui.checkbox('inherit', value=field not in self.overridden)
                box.props('dense').classes('shrink-0 text-sm lr-muted pt-2').mark(f'inherit-{field}')
                self.inherit[field] = box
            return column
        return row.classes('flex-col gap-1')

    def _add(self, field: str, element: ui.element) -> None:
        self.fields[field] = element
        self._set(field, self.current.get(field))
        element.on_value_change(lambda: self._changed(field))
        if field in self.inherit:
            self.inherit[field].on_value_change(lambda e: self._inherit_changed(field, e.value))
            element.set_enabled(not self.inherit[field].value)

    def _changed(self, field: str) -> None:
        set_error(self.fields[field], None)
        self.on_change()

    def _inherit_changed(self, field: str, inherit: bool) -> None:
        element = self.fields[field]
        if inherit and self.inherited is not None:
            self._set(field, self.inherited.get(field))
        element.set_enabled(not inherit)
        self.on_change()

    def _set(self, field: str, value: Any) -> None:
        if field in ('max_price_per_mtok', 'max_latency_ms'):
            value = '' if value is None else str(value)
        elif isinstance(self.fields[field], ui.select) and self.fields[field].multiple:
            value = list(value or [])
        self.fields[field].value = value

    def load(self, values: dict[str, Any], *, inherited: dict[str, Any] | None = None) -> None:
        """Show other settings in place (they were changed elsewhere); for a key, `inherited` are the defaults."""
        if self.inherited is not None and inherited is not None:
            self.inherited = inherited
        self.current = dict(self.inherited or {}) | values
        self.overridden = set(values) if self.inherited is not None else set()
        for field, element in self.fields.items():
            if field in self.inherit:
                self.inherit[field].value = field not in self.overridden
                element.set_enabled(field in self.overridden)
            self._set(field, self.current.get(field))
        self.clear_errors()

    # reading the form

    def shown(self) -> tuple:
        """What the fields hold as typed (with the inherit boxes): equal to an earlier `shown()` when nothing was
        edited since."""
        fields = tuple((field, _frozen(element.value)) for field, element in self.fields.items())
        return fields, tuple((field, box.value) for field, box in self.inherit.items())

    def values(self) -> dict[str, Any]:
        """The settings the form shows: all of them for the account, only the overridden ones for a key."""
        strategy = self.fields['strategy'].value
        settings: dict[str, Any] = {}
        for field, element in self.fields.items():
            if field in self.inherit and self.inherit[field].value:
                continue
            value = element.value
            if field in NEEDS.values() and NEEDS.get(strategy) != field:
                continue  # a region or provider for a strategy not in force is not kept (nor is it an override)
            if field == 'max_price_per_mtok':
                value = (value or '').strip() or None
            elif field == 'max_latency_ms':
                value = (value or '').strip().replace(',', '').replace(' ', '') or None
            elif field in ('allowed_providers', 'allowed_regions'):
                value = list(value) if value else None
            elif field in ('blocked_providers', 'blocked_regions', 'auto_pool'):
                value = list(value or [])
            settings[field] = value
        return settings

    def show_error(self, error: PolicyError) -> str:
        """Put the service's message on its field; returns the message."""
        field, message = field_error(error)
        element = self.fields.get(field)
        if element is None:
            ui.notify(message, type='negative')
        else:
            if field in self.inherit:
                self.inherit[field].value = False
            set_error(element, message)
        return message

    def clear_errors(self) -> None:
        for element in self.fields.values():
            set_error(element, None)


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
