"""Building blocks of the methodology page: section titles, prose, facts and table cells."""

from __future__ import annotations

from nicegui import ui

# Cells of the tables: each shows one row's value, with its note in small type where there is one.


def source_cell(row: dict) -> None:
    ui.link(row['source'], row['url'], new_tab=True)
    ui.label(f'published {row["published"]}').classes('lr-note')


def disclosure_cell(row: dict) -> None:
    if not row['disclosures']:
        ui.label('none published').classes('lr-note')
    for d in row['disclosures']:
        ui.label(f'{d["vendor"]}: {d["figure"]} per {d["per"]}')
        ui.label(f'Counts: {d["boundary"]}.').classes('lr-note')
        ui.link(f'{d["source"]} ({d["as_of"]})', d['url'], new_tab=True).classes('lr-note')


def section(anchor: str, title: str) -> None:
    ui.label(title).classes('text-xl font-semibold pt-6').props['id'] = anchor


def sub(anchor: str, title: str) -> None:
    ui.label(title).classes('text-base font-semibold pt-3').props['id'] = anchor


def anchor(anchor: str) -> None:
    """An older address of a section, kept so links to it still land there."""
    ui.element('span').props['id'] = anchor


def prose(text: str) -> None:
    ui.markdown(text).classes('lr-prose text-sm')


def fact(name: str, value: str, marker: str) -> None:
    with ui.row().classes('gap-1 items-baseline'):
        ui.label(f'{name} =').classes('lr-muted')
        ui.label(value).classes('font-mono').mark(marker)
