"""Numbers for reading, shared by pages, e-mails and documents: tokens in k/M, energy in Wh/kWh, carbon in g/kg CO2e."""

from __future__ import annotations


def tokens_text(tokens: int, *, exact: bool = False) -> str:
    if exact or tokens < 10_000:
        return f'{tokens:,}'
    if tokens < 1_000_000:
        return f'{tokens / 1000:,.1f}k'
    if tokens < 1_000_000_000:
        return f'{tokens / 1_000_000:,.2f}M'
    return f'{tokens / 1_000_000_000:,.2f}B'


def energy_text(wh: float) -> str:
    if wh >= 1000:
        return f'{wh / 1000:,.2f} kWh'
    if wh >= 10:
        return f'{wh:,.0f} Wh'
    if wh >= 0.1:
        return f'{wh:,.2f} Wh'
    return f'{wh:,.3f} Wh' if wh >= 0.01 or wh == 0 else f'{wh * 1000:,.2f} mWh'


def carbon_text(grams: float) -> str:
    if grams >= 1000:
        return f'{grams / 1000:,.2f} kg CO2e'
    if grams >= 10:
        return f'{grams:,.0f} g CO2e'
    if grams >= 0.1:
        return f'{grams:,.2f} g CO2e'
    return f'{grams:,.3f} g CO2e' if grams >= 0.01 or grams == 0 else f'{grams * 1000:,.2f} mg CO2e'
