"""The create/edit form of an API key, and the small conversions it needs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from nicegui import ui

from components.safe import set_error, set_props
from services.catalog import get_catalog
from services.keys.api_keys import SCOPES
from services.models import Account, ApiKey
from services.money import MoneyError, currency_symbol, parse_amount, to_decimal
from services.timeutil import local

SCOPE_HELP = {
    'inference': 'call models through the router',
    'ingest': 'record generations',
    'read': 'read usage, generations and the model list',
    'manage': 'manage keys and account settings',
}
LIMIT_HELP = 'Enter an amount like 25.00, or leave it empty for no limit'


def limit_value(text: str | None) -> str | None:
    """The limit as the decimal string the service takes, None when empty; MoneyError when unreadable."""
    text = (text or '').strip()
    if not text:
        return None
    parse_amount(text)  # the service's own check lets odd text ("abc", "NaN") through as a crash
    return text


def limit_text(micros: int | None) -> str:
    """12_500_000 -> '12.50' for an input field."""
    if micros is None:
        return ''
    amount = to_decimal(micros)
    return f'{amount:.2f}' if amount == amount.quantize(Decimal('0.01')) else f'{amount.normalize():f}'


def expiry_value(text: str | None, zone: str) -> datetime | None:
    """'2026-12-31' -> the end of that day in `zone`, as aware UTC; ValueError when not a date."""
    text = (text or '').strip()
    if not text:
        return None
    day = date.fromisoformat(text)
    return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def expiry_date(moment: datetime | None, zone: str) -> str:
    return '' if moment is None else local(moment, zone).date().isoformat()


def sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


class KeyForm:
    """The fields shared by the create and edit dialogs."""

    def __init__(self, account: Account, key: ApiKey | None = None) -> None:
        self.zone = account.timezone
        self.initial_expiry = expiry_date(key.expires_at if key else None, self.zone)
        self.name = (
            ui.input('Name', value=key.name if key else '', placeholder='e.g. production-web')
            .props('outlined dense hint="Something that tells you which app uses it"')
            .classes('w-full')
            .mark('key-name')
        )
        with ui.column().classes('w-full gap-0'):
            ui.label('Scopes: what the key may do').classes('text-sm font-medium text-slate-700')
            self.scopes: dict[str, ui.checkbox] = {}
            for scope in SCOPES:
                with ui.row().classes('items-center gap-0 flex-nowrap'):
                    self.scopes[scope] = (
                        ui.checkbox(scope, value=scope in (key.scopes if key else ['inference']))
                        .props('dense')
                        .classes('pr-2 py-1')
                        .mark(f'scope-{scope}')
                    )
                    ui.label(SCOPE_HELP.get(scope, '')).classes('text-xs lr-muted')
            self.scopes_error = ui.label().classes('text-xs text-negative pt-1').mark('scopes-error')
            self.scopes_error.set_visibility(False)
        symbol = currency_symbol(account.currency)
        self.limit = (
            ui.input('Monthly spend limit (optional)', value=limit_text(key.spend_limit_micros if key else None))
            .props('outlined dense')
            .classes('w-full')
            .mark('key-limit')
        )
        set_props(self.limit, prefix=symbol, suffix=f'{account.currency} a month', hint=LIMIT_HELP)
        models = sorted(get_catalog().models)
        current_models = list(key.allowed_models or []) if key else []
        self.models = (
            ui.select(
                sorted(set(models) | set(current_models)),
                value=current_models,
                label='Allowed models (optional)',
                multiple=True,
                with_input=True,
            )
            .props('outlined dense use-chips clearable hint="Leave empty to allow every model"')
            .classes('w-full')
            .mark('key-models')
        )
        self.expiry = (
            ui.date_input('Expires on (optional)', value=self.initial_expiry, placeholder='YYYY-MM-DD')
            .props('outlined dense clearable')
            .classes('w-full')
            .mark('key-expiry')
        )
        today = local(datetime.now(UTC), self.zone).date()
        set_props(self.expiry, hint=f'Stops working at the end of that day ({self.zone})')
        self.expiry.picker.props['minimal'] = True
        self.expiry.picker.props[':options'] = f"day => day >= '{today:%Y/%m/%d}'"  # no past days to pick
        self.fields: dict[str, ui.element] = {
            'name': self.name,
            'spend_limit': self.limit,
            'allowed_models': self.models,
            'expires_at': self.expiry,
        }

    def shown(self) -> tuple:
        """What the fields hold as typed: equal to an earlier `shown()` when nothing was edited since."""
        scopes = tuple(box.value for box in self.scopes.values())
        return self.name.value, scopes, self.limit.value, tuple(self.models.value or ()), self.expiry.value

    def load(self, key: ApiKey) -> None:
        """Show `key` as it is now (it was changed elsewhere), in place: the dialog stays open."""
        self.clear_errors()
        self.initial_expiry = expiry_date(key.expires_at, self.zone)
        self.name.value = key.name
        for scope, box in self.scopes.items():
            box.value = scope in key.scopes
        self.limit.value = limit_text(key.spend_limit_micros)
        models = list(key.allowed_models or [])
        self.models.set_options(sorted(set(self.models.options) | set(models)), value=models)
        self.expiry.value = self.initial_expiry

    def values(self, *, editing: bool = False) -> dict | None:
        """The service's keyword arguments, or None (with the problems shown) when a field cannot be read."""
        self.clear_errors()
        fields: dict = {
            'name': (self.name.value or '').strip(),
            'scopes': [scope for scope, box in self.scopes.items() if box.value],
            'allowed_models': list(self.models.value or []) or None,
        }
        problems = {}
        if not fields['name']:
            problems['name'] = 'Give the key a name, e.g. the app that will use it'
        if not fields['scopes']:
            problems['scopes'] = 'Choose at least one scope'
        try:
            fields['spend_limit'] = limit_value(self.limit.value)
        except MoneyError:
            problems['spend_limit'] = LIMIT_HELP
        if not editing or (self.expiry.value or '').strip() != self.initial_expiry:
            try:
                fields['expires_at'] = expiry_value(self.expiry.value, self.zone)
            except ValueError:
                problems['expires_at'] = 'Enter a date as YYYY-MM-DD, or pick one from the calendar'
        for field, message in problems.items():
            self.show_error(field, message)
        return None if problems else fields

    def show_error(self, field: str, message: str) -> bool:
        """Put `message` on the field; False when the form has no such field."""
        if field == 'scopes':
            self.scopes_error.set_text(sentence(message))
            self.scopes_error.set_visibility(True)
            return True
        element = self.fields.get(field)
        if element is None:
            return False
        set_error(element, sentence(message))
        return True

    def clear_errors(self) -> None:
        self.scopes_error.set_visibility(False)
        for element in self.fields.values():
            set_error(element, None)
