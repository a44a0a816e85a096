"""Receipts and monthly invoices as PDF bytes: pure rendering from plain data, no database, no UI.

Callers build the dataclasses below from stored records. Rendering is deterministic: the same document gives
byte-identical PDFs (creation date = issue date, fixed producer/creator, fpdf2's /ID is a hash of the content).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services import units
from services.billing import _pdf_layout as layout
from services.locales import DEFAULT
from services.money import round_to_currency
from services.timeutil import local


@dataclass(frozen=True)
class Party:
    """The account holder."""

    name: str
    email: str | None


@dataclass(frozen=True)
class ReceiptDoc:
    number: str  # e.g. 'R-2026-000042'
    issued_at: datetime  # aware UTC
    timezone: str  # IANA zone of the account; dates are shown in it
    party: Party
    amount_micros: int
    currency: str  # ISO 4217
    method: str  # e.g. 'manual'
    reference: str  # payment reference from the gateway
    locale: str = DEFAULT  # how its amounts read: the account's (services/locales.py)


@dataclass(frozen=True)
class InvoiceLine:
    model: str  # model id, e.g. 'openai/gpt-4o-mini'
    requests: int
    tokens: int
    cost_micros: int


@dataclass(frozen=True)
class TopUpLine:
    date: datetime  # aware UTC
    receipt_number: str | None
    method: str
    amount_micros: int


@dataclass(frozen=True)
class Emissions:
    """Sums over the period (Wh, g CO2e). carbon_g includes embodied_g, the hardware's manufacturing share;
    embodied_g is None for a statement issued before that share was recorded, which is printed as it was."""

    energy_wh: float
    energy_wh_low: float
    energy_wh_high: float
    carbon_g: float
    carbon_g_low: float
    carbon_g_high: float
    methodology_versions: tuple[str, ...]
    embodied_g: float | None = None
    embodied_g_low: float | None = None
    embodied_g_high: float | None = None


@dataclass(frozen=True)
class InvoiceDoc:
    number: str  # e.g. 'INV-2026-10'
    status: str  # 'issued' or 'draft'
    period_start: datetime  # aware UTC, local midnight of the 1st
    period_end: datetime  # aware UTC, exclusive
    timezone: str
    issued_at: datetime  # aware UTC (for a draft: when it was generated)
    party: Party
    currency: str
    lines: tuple[InvoiceLine, ...]
    top_ups: tuple[TopUpLine, ...]
    opening_micros: int
    top_ups_micros: int
    usage_micros: int  # == sum of line costs
    closing_micros: int  # == opening + top_ups - usage
    emissions: Emissions
    locale: str = DEFAULT  # how its amounts read: the account's when the snapshot was taken


ESTIMATE_NOTE = (
    'Estimates. Energy covers the prompt and output tokens of your requests, datacentre overhead included; carbon is '
    "that electricity on the grid of the region that served each request, plus the requests' share of the "
    "hardware's manufacturing. Networks and your own devices are not counted."
)
ROUNDING_LABEL = 'Rounding'  # the line that makes amounts rounded one by one add up as printed
LEGACY_NOTE = 'Requests recorded with eco-1 count neither their prompt tokens nor manufacturing.'
ISSUED_BEFORE_MANUFACTURING_NOTE = (  # the note of statements issued before manufacturing was counted (unchanged)
    'These figures are estimates: they cover the electricity used to generate the output tokens of your requests '
    'and the emissions of that electricity; input tokens, networks and the manufacture of hardware are not counted.'
)


def render_receipt(doc: ReceiptDoc) -> bytes:
    with layout.numbers_in(doc.locale):
        return _receipt(doc)


def _receipt(doc: ReceiptDoc) -> bytes:
    pdf = layout.DocumentPDF(
        title=f'Receipt {doc.number}',
        kind=f'Receipt {doc.number}',
        footer_note=f'Amounts in {doc.currency}. This receipt was issued from stored data.',
        created=doc.issued_at,
    )
    layout.title(pdf, 'Receipt')
    layout.two_blocks(
        pdf,
        [
            ('Number', doc.number),
            ('Date', f'{layout.moment_text(local(doc.issued_at, doc.timezone))} ({doc.timezone})'),
        ],
        _billed_to(doc.party),
    )
    amount = layout.money(doc.amount_micros, doc.currency)
    layout.data_table(
        pdf,
        ('Description', 'Payment method', 'Reference', 'Amount'),
        [('Credit top-up', layout.label_text(doc.method), doc.reference, amount)],
        widths=(2.6, 2.6, 3.6, 2.2),
        align=('LEFT', 'LEFT', 'LEFT', 'RIGHT'),
    )
    layout.highlight(pdf, 'Total paid', amount)
    layout.note(
        pdf,
        f'The amount above was added to the prepaid credit of {doc.party.name}. '
        'Usage is deducted from that credit and listed on the monthly invoice.',
    )
    return bytes(pdf.output())


def render_invoice(doc: InvoiceDoc) -> bytes:
    with layout.numbers_in(doc.locale):
        return _invoice(doc)


def _invoice(doc: InvoiceDoc) -> bytes:
    draft = doc.status == 'draft'
    heading = 'Draft invoice — not final' if draft else 'Invoice'
    pdf = layout.DocumentPDF(
        title=f'{heading} {doc.number}',
        kind=f'{"Draft invoice" if draft else "Invoice"} {doc.number}',
        footer_note=f'Amounts in {doc.currency}. This {"draft" if draft else "invoice"} was produced from stored data.',
        created=doc.issued_at,
    )
    layout.title(pdf, heading, alert=draft)
    issued = f'{layout.moment_text(local(doc.issued_at, doc.timezone))} ({doc.timezone})'
    if draft:
        layout.banner(
            pdf,
            f'DRAFT — generated on {issued}. The period may still be open and the figures below can change; '
            'this document is not a final invoice.',
        )
    layout.two_blocks(
        pdf,
        [
            ('Number', doc.number),
            ('Period', period_text(doc)),
            ('Generated' if draft else 'Issued', issued),
        ],
        _billed_to(doc.party),
    )
    _usage(pdf, doc)
    _top_ups(pdf, doc)
    _summary(pdf, doc)
    _emissions(pdf, doc.emissions)
    return bytes(pdf.output())


def period_text(doc: InvoiceDoc) -> str:
    """'1 October 2026 – 31 October 2026 (Europe/Paris)': the last day is the one before the exclusive end."""
    first = local(doc.period_start, doc.timezone).date()
    last = (local(doc.period_end, doc.timezone) - timedelta(microseconds=1)).date()
    return f'{layout.day_text(first)} – {layout.day_text(last)} ({doc.timezone})'


def _billed_to(party: Party) -> list[tuple[str, str]]:
    rows = [('Billed to', party.name)]
    if party.email:
        rows.append(('', party.email))
    return rows


def _usage(pdf: layout.DocumentPDF, doc: InvoiceDoc) -> None:
    layout.section(pdf, 'Usage')
    if not doc.lines:
        layout.note(pdf, 'No usage in this period.')
        pdf.ln(6)
        return
    rounded = [round_to_currency(line.cost_micros, doc.currency) for line in doc.lines]
    rows = [
        (line.model, layout.count_text(line.requests), layout.count_text(line.tokens), layout.money(cost, doc.currency))
        for line, cost in zip(doc.lines, rounded, strict=True)
    ]
    usage = round_to_currency(doc.usage_micros, doc.currency)  # the exact total, rounded once
    if usage != sum(rounded):  # each line rounded on its own: the difference, so that the column adds up
        rows.append((ROUNDING_LABEL, '', '', layout.money(usage - sum(rounded), doc.currency)))
    total = (
        'Total usage',
        layout.count_text(sum(line.requests for line in doc.lines)),
        layout.count_text(sum(line.tokens for line in doc.lines)),
        layout.money(usage, doc.currency),
    )
    layout.data_table(
        pdf,
        ('Model', 'Requests', 'Tokens', 'Cost'),
        rows,
        widths=(4.6, 1.6, 2, 2),
        align=('LEFT', 'RIGHT', 'RIGHT', 'RIGHT'),
        total=total,
    )


def _top_ups(pdf: layout.DocumentPDF, doc: InvoiceDoc) -> None:
    layout.section(pdf, 'Top-ups')
    if not doc.top_ups:
        layout.note(pdf, 'No top-ups in this period.')
        pdf.ln(6)
        return
    rows = [
        (
            layout.day_text(local(top_up.date, doc.timezone).date()),
            top_up.receipt_number or '—',
            layout.label_text(top_up.method),
            layout.money(top_up.amount_micros, doc.currency),
        )
        for top_up in doc.top_ups
    ]
    layout.data_table(
        pdf,
        ('Date', 'Receipt', 'Method', 'Amount'),
        rows,
        widths=(2.6, 2.8, 2.4, 2.4),
        align=('LEFT', 'LEFT', 'LEFT', 'RIGHT'),
    )


def _summary(pdf: layout.DocumentPDF, doc: InvoiceDoc) -> None:
    """Opening + top-ups − usage = closing, each rounded once from its exact amount; a rounding line when the
    rounded figures would not add up as printed."""
    layout.section(pdf, 'Summary', keep_with=60)
    opening, top_ups, usage, closing = (
        round_to_currency(micros, doc.currency)
        for micros in (doc.opening_micros, doc.top_ups_micros, doc.usage_micros, doc.closing_micros)
    )
    rows = [
        ('Opening balance', layout.money(opening, doc.currency)),
        ('+ Top-ups', layout.money(top_ups, doc.currency)),
        ('− Usage', layout.money(usage, doc.currency)),
    ]
    if closing != opening + top_ups - usage:
        rows.append((f'± {ROUNDING_LABEL}', layout.money(closing - (opening + top_ups - usage), doc.currency)))
    rows.append(('= Closing balance', layout.money(closing, doc.currency)))
    layout.summary(pdf, rows, emphasis_from=len(rows) - 1)
    layout.highlight(pdf, 'Total for the period', layout.money(usage, doc.currency))


def _emissions(pdf: layout.DocumentPDF, emissions: Emissions) -> None:
    if emissions.embodied_g is None:
        layout.section(pdf, 'Emissions statement', keep_with=40)
        _emissions_as_issued(pdf, emissions)
        return
    layout.section(pdf, 'Emissions statement', keep_with=46)  # the lines and the note stay on one page
    layout.key_values(pdf, emission_rows(emissions), x=layout.MARGIN, width=pdf.epw, label_width=34)
    pdf.ln(3)
    legacy = any(v.startswith('eco-1') for v in emissions.methodology_versions)
    layout.note(pdf, f'{ESTIMATE_NOTE} {LEGACY_NOTE}' if legacy else ESTIMATE_NOTE)


def emission_rows(e: Emissions) -> list[tuple[str, str]]:
    """The statement's lines: energy, carbon and its two parts (every carbon figure in one unit), methodology."""
    energy_unit = units.energy_unit([e.energy_wh, e.energy_wh_low, e.energy_wh_high])
    electricity_g = e.carbon_g - (e.embodied_g or 0.0)
    embodied = (e.embodied_g or 0.0, e.embodied_g_low or 0.0, e.embodied_g_high or 0.0)
    carbon_unit = units.carbon_unit([e.carbon_g, e.carbon_g_low, e.carbon_g_high, electricity_g, *embodied])
    carbon = _span(units.carbon_number, carbon_unit, e.carbon_g, e.carbon_g_low, e.carbon_g_high)
    return [
        ('Energy', _span(units.energy_number, energy_unit, e.energy_wh, e.energy_wh_low, e.energy_wh_high)),
        ('Carbon', f'{carbon}, of which:'),
        (
            '  Electricity',
            f'{units.carbon_number(electricity_g, carbon_unit, locale=layout.number_locale())} {carbon_unit} '
            'from the electricity used',
        ),
        ('  Manufacturing', f'{_span(units.carbon_number, carbon_unit, *embodied)} embodied in the hardware used'),
        ('Methodology', ', '.join(e.methodology_versions) or 'none recorded'),
    ]


def _span(number, unit: str, value: float, low: float, high: float) -> str:
    """'1.23 kWh (range 0.80–2.10 kWh)': the three in one unit."""
    loc = layout.number_locale()
    central, lo, hi = (number(x, unit, locale=loc) for x in (value, low, high))
    return f'{central} {unit} (range {lo}–{hi} {unit})'


def _emissions_as_issued(pdf: layout.DocumentPDF, emissions: Emissions) -> None:
    """The statement of invoices issued before manufacturing was counted: kept as it was, so a re-download of such
    an invoice is the same document."""
    energy = layout.energy_span_text(emissions.energy_wh, emissions.energy_wh_low, emissions.energy_wh_high)
    carbon = layout.carbon_span_text(emissions.carbon_g, emissions.carbon_g_low, emissions.carbon_g_high)
    versions = ', '.join(emissions.methodology_versions) or 'none recorded'
    layout.key_values(
        pdf,
        [('Energy', energy), ('Carbon', carbon), ('Methodology', versions)],
        x=layout.MARGIN,
        width=pdf.epw,
        label_width=30,
    )
    pdf.ln(3)
    layout.note(pdf, ISSUED_BEFORE_MANUFACTURING_NOTE)
