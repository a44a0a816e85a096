"""The start guide an account that has recorded nothing yet sees on its dashboard: make a key, send a first request,
configure an upstream."""

from __future__ import annotations

from nicegui import ui

from components.widgets import card

MODEL = 'lowrouter/auto'


def curl_example(base_url: str) -> str:
    """A first chat completion through this server, with the key in an environment variable."""
    return (
        f'curl {base_url}/api/v1/chat/completions \\\n'
        '  -H "Authorization: Bearer $LOWROUTER_API_KEY" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f'  -d \'{{"model": "{MODEL}", "messages": [{{"role": "user", "content": "Hello"}}]}}\''
    )


def start_guide_card(base_url: str, providers: list[str]) -> None:
    """Three steps; `base_url` is this server as the browser reached it, `providers` the configured upstreams."""
    with card('Get started', subtitle='nothing recorded yet').classes('lr-start-guide').mark('start-guide'):
        ui.label('Your usage, costs and carbon show here once this account has recorded its first request.').classes(
            'text-sm lr-muted'
        )
        with _step(1, 'Create an API key'):
            ui.label('Give each app its own key; a key with the inference scope can call the router.').classes(
                'text-sm'
            )
            ui.link('Create a key', '/keys').classes('text-sm font-medium').mark('guide-keys')
        with _step(2, 'Send a first request'):
            ui.label(
                f'Any OpenAI-compatible client works: set its base URL to {base_url}/api/v1. With curl, and the '
                'key in LOWROUTER_API_KEY:'
            ).classes('text-sm break-words')
            example = curl_example(base_url)
            with ui.element('div').classes('relative w-full min-w-0'):
                ui.label(example).classes(
                    'lr-guide-code w-full font-mono text-xs whitespace-pre overflow-x-auto rounded-lg border '
                    'border-slate-200 bg-slate-50 p-3 pr-10'
                ).mark('guide-curl')
                ui.button(icon='content_copy', on_click=lambda: _copy(example)).props(
                    'flat round dense size=sm aria-label="Copy the example"'
                ).classes('absolute top-1 right-1').tooltip('Copy')
            ui.label(
                'Already call providers some other way? Record each generation with POST /api/v1/generations '
                '(a key with the ingest scope).'
            ).classes('text-xs lr-muted')
        with _step(3, 'Configure an upstream'):
            if providers:
                ui.label(f'Configured: {", ".join(providers)}. The router picks among these.').classes('text-sm').mark(
                    'guide-providers'
                )
            else:
                ui.label(
                    'No provider is configured yet, so requests are answered 503 no_route. Copy '
                    'upstreams.example.toml to upstreams.toml, keep the providers you use and set their key '
                    'variables; the file is read again when it changes.'
                ).classes('text-sm').mark('guide-providers')


def _step(number: int, title: str) -> ui.column:
    with ui.row().classes('w-full items-start gap-3 flex-nowrap pt-2'):
        ui.label(str(number)).classes(
            'shrink-0 w-6 h-6 rounded-full bg-green-100 text-green-900 text-sm font-semibold text-center leading-6'
        )
        body = ui.column().classes('gap-1 grow min-w-0').mark(f'guide-step-{number}')
        with body:
            ui.label(title).classes('font-semibold text-slate-800')
    return body


def _copy(text: str) -> None:
    ui.clipboard.write(text)
    ui.notify('Example copied', type='positive', position='top')
