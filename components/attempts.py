"""The attempts of one generation, in order: which offer was tried, how it ended, and how long it took."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from services.locales import DEFAULT
from services.units import count_text, fixed_text

OK, CANCELLED = 'ok', 'cancelled'
FAILURE_ICON = ('error', 'text-red-700')
OUTCOME_ICONS = {
    OK: ('check_circle', 'text-green-700'),
    CANCELLED: ('do_not_disturb_on', 'text-amber-700'),
}
GRID = 'grid-cols-[minmax(0,1fr)_auto] md:grid-cols-[minmax(0,2fr)_minmax(0,3fr)_6rem]'
KNOWN_FAILURES = {'rate_limited', 'upstream_error', 'timeout', 'connection_error', 'upstream_client_error'}


def should_show(attempts: list[dict[str, Any]]) -> bool:
    """Worth a section when there was more than one attempt, or the one attempt did not simply answer."""
    return len(attempts) > 1 or (len(attempts) == 1 and attempts[0].get('outcome') != OK)


def attempts_section(attempts: list[dict[str, Any]], locale: str = DEFAULT) -> None:
    """Numbered rows, one per attempt: offer, outcome in words (with its reason), time taken (in the account's
    number format)."""
    with ui.column().classes('w-full gap-0 lr-attempts').mark('attempts'):
        ui.label('Attempts').classes('text-sm font-semibold text-slate-800 pb-1')
        for number, attempt in enumerate(attempts, start=1):
            _attempt_row(number, attempt, locale)


def _attempt_row(number: int, attempt: dict[str, Any], locale: str) -> None:
    outcome = attempt.get('outcome')
    icon, colour = outcome_icon(outcome)
    with (
        ui.row()
        .classes('w-full flex-nowrap items-start gap-2 py-2 border-t border-slate-200 lr-attempt')
        .mark(f'attempt-{number}')
    ):
        ui.label(f'{number}.').classes('text-sm lr-muted tabular-nums w-5 shrink-0 text-right')
        ui.icon(icon, size='18px').classes(f'{colour} shrink-0 mt-[1px]')
        # a phone: offer and time on the first line, the outcome below; a wide screen: three columns
        with ui.element('div').classes(f'grid {GRID} gap-x-4 w-full min-w-0'):
            with ui.column().classes('gap-0 min-w-0'):
                ui.label(f'{_text(attempt.get("provider"))} · {_text(attempt.get("region"))}').classes(
                    'text-sm font-medium break-words'
                )
                if attempt.get('model') is not None:
                    ui.label(_text(attempt['model'])).classes('text-xs lr-muted break-all')
            with ui.column().classes('gap-0 min-w-0 order-3 col-span-2 md:order-2 md:col-span-1'):
                ui.label(outcome_words(outcome, attempt.get('retry_after_s'), locale)).classes(
                    f'text-sm {_word_colour(outcome)}'
                ).mark(f'attempt-{number}-outcome')
                if attempt.get('reason'):
                    ui.label(_text(attempt['reason'])).classes('text-xs lr-muted break-words')
            ms = _ms(attempt.get('ms'), locale)
            ui.label(ms or '').classes('text-sm lr-muted tabular-nums text-right order-2 md:order-3').mark(
                f'attempt-{number}-ms' if ms else 'attempt-no-ms'
            )


def outcome_words(outcome: Any, retry_after_s: Any = None, locale: str = DEFAULT) -> str:
    """An outcome code in words: 'rate_limited: 429' -> 'Rate limited (429)'; an unknown one as it is."""
    if not isinstance(outcome, str):
        return 'No outcome recorded' if outcome is None else _text(outcome)
    code, _, detail = (part.strip() for part in outcome.partition(':'))
    if code == OK:
        return 'Answered'
    if code == CANCELLED:
        return 'Client disconnected'
    if code == 'timeout':
        return 'Timed out'
    if code == 'connection_error':
        return 'Could not connect'
    if code == 'upstream_error':
        return f'Server error {detail}'.strip()
    if code == 'upstream_client_error':
        return f'Rejected the request ({detail})' if detail else 'Rejected the request'
    if code == 'rate_limited':
        words = f'Rate limited ({detail})' if detail else 'Rate limited'
        wait = _seconds(retry_after_s, locale)
        return f'{words}, asked to wait {wait}' if wait else words
    return _text(outcome)


def outcome_icon(outcome: Any) -> tuple[str, str]:
    """(icon, colour): a green check only for an answer, amber for a disconnected client, red for a failure."""
    if isinstance(outcome, str) and outcome in OUTCOME_ICONS:
        return OUTCOME_ICONS[outcome]
    return FAILURE_ICON if is_failure(outcome) else ('help_outline', 'text-slate-500')


def is_failure(outcome: Any) -> bool:
    return isinstance(outcome, str) and outcome.partition(':')[0].strip() in KNOWN_FAILURES


def _word_colour(outcome: Any) -> str:
    return {'text-green-700': '', 'text-red-700': 'text-red-800', 'text-amber-700': 'text-amber-900'}.get(
        outcome_icon(outcome)[1], ''
    )


def _seconds(value: Any, locale: str = DEFAULT) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 10**7:
        return None
    if value >= 120:
        return f'{count_text(round(value / 60), locale)} min'
    tenths = round(value, 1)
    return f'{fixed_text(tenths, 0 if tenths == int(tenths) else 1, locale)} s'


def _ms(value: Any, locale: str = DEFAULT) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 10**9:
        return f'{count_text(round(value), locale)} ms'
    return None


def _text(value: Any) -> str:
    return '?' if value is None else str(value)[:200]
