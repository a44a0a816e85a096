import io
import re
from datetime import UTC, datetime

import pypdf
from sqlalchemy import func
from sqlmodel import select

from services.billing._pdf_layout import money
from services.billing.invoices import current_draft, ensure_invoices, invoices
from services.billing.pdfs import invoice_pdf, receipt_pdf
from services.catalog import get_catalog
from services.models import Generation, Invoice, UsageHour
from services.units import CARBON_UNITS, ENERGY_UNITS
from tests.support import factories

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _seed(session, account):
    account.name, account.email, account.currency = 'Zoë Ærøskøbing', 'zoe@example.dk', 'EUR'
    october = datetime(2026, 10, 2, 9, tzinfo=UTC)
    factories.top_up(account, '100.00', session=session, method='bank_transfer', idempotency_key='oct', at=october)
    offers = get_catalog().offers
    for i in range(40):
        factories.generation(
            account,
            session=session,
            offer=offers[i % 5],
            prompt_tokens=20_000 + i,
            completion_tokens=9_000,
            created_at=datetime(2026, 10 + i % 2, 3 + i % 20, 10, tzinfo=UTC).isoformat(),
        )
    november = datetime(2026, 11, 3, 9, tzinfo=UTC)
    factories.top_up(account, '50.00', session=session, method='company_card', idempotency_key='nov', at=november)


def test_closed_months_are_issued_and_reconcile(session, account):
    _seed(session, account)
    assert ensure_invoices(session, account, now=NOW) == 1
    assert ensure_invoices(session, account, now=NOW) == 0  # once
    october = session.exec(select(Invoice).where(Invoice.number == 'INV-2026-10')).one()
    s = october.snapshot
    assert sum(line['cost_micros'] for line in s['lines']) == s['usage_micros'] == october.total_micros
    assert s['opening_micros'] == 0 and s['top_ups_micros'] == 100_000_000
    assert s['closing_micros'] == s['opening_micros'] + s['top_ups_micros'] - s['usage_micros']
    assert sum(line['requests'] for line in s['lines']) == 20
    draft = current_draft(session, account, now=NOW)
    assert draft.status == 'draft' and draft.snapshot['opening_micros'] == s['closing_micros']
    assert draft.snapshot['top_ups_micros'] == 50_000_000
    assert [i.number for i in invoices(session, account, now=NOW)] == ['DRAFT-2026-11', 'INV-2026-10']


def test_invoice_pdf_states_the_totals_and_never_changes(session, account):
    _seed(session, account)
    ensure_invoices(session, account, now=NOW)
    october = session.exec(select(Invoice).where(Invoice.number == 'INV-2026-10')).one()
    first = invoice_pdf(october)
    factories.generation(  # a late record for October: the issued invoice stays as it was
        account,
        session=session,
        offer=get_catalog().offers[0],
        prompt_tokens=1,
        completion_tokens=1,
        created_at='2026-10-15T10:00:00Z',
    )
    session.flush()
    assert invoice_pdf(session.get(Invoice, october.id)) == first
    text = pdf_text(first)
    s = october.snapshot
    for micros in (s['usage_micros'], s['top_ups_micros'], s['closing_micros']):
        assert money(micros, 'EUR') in text  # exact to the micro-unit: the lines add up on paper
    assert 'Zoë Ærøskøbing' in text and 'INV-2026-10' in text and 'Emissions statement' in text


def test_receipt_pdf(session, account):
    account.currency = 'EUR'
    receipt = factories.top_up(account, '42.50', session=session, method='bank_transfer', idempotency_key='r').receipt
    pdf = receipt_pdf(account, receipt)
    assert pdf == receipt_pdf(account, receipt)
    text = pdf_text(pdf)
    assert receipt.number in text and '€42.50' in text


def test_the_emissions_statement_prints_the_sums_of_the_months_generations(session, account):
    """Energy, carbon and manufacturing on the issued PDF are the sums of October's generations (central, low and
    high), within the rounding of the printed digits."""
    _seed(session, account)
    ensure_invoices(session, account, now=NOW)
    october = session.exec(select(Invoice).where(Invoice.number == 'INV-2026-10')).one()
    window = (Generation.account_id == account.id, Generation.created_at >= october.period_start)
    window += (Generation.created_at < october.period_end,)
    columns = ('energy_wh', 'energy_wh_low', 'energy_wh_high', 'carbon_g', 'carbon_g_low', 'carbon_g_high')
    columns += ('embodied_g', 'embodied_g_low', 'embodied_g_high')
    row = session.exec(select(*(func.sum(getattr(Generation, c)) for c in columns)).where(*window)).one()
    sums = dict(zip(columns, row, strict=True))
    assert sums['embodied_g'] > 0 and sums['carbon_g'] > sums['embodied_g']  # eco-2 records: a manufacturing part
    text = ' '.join(pdf_text(invoice_pdf(october)).split())
    energy = _figures(text, 'Energy', ENERGY_UNITS)
    carbon = _figures(text, 'Carbon', CARBON_UNITS)
    electricity = _figures(text, 'Electricity', CARBON_UNITS)
    manufacturing = _figures(text, 'Manufacturing', CARBON_UNITS)
    for printed, central in ((energy, 'energy_wh'), (carbon, 'carbon_g'), (manufacturing, 'embodied_g')):
        for (value, step), suffix in zip(printed, ('', '_low', '_high'), strict=True):
            assert abs(value - sums[central + suffix]) <= step / 2 + 1e-9, (central + suffix, value)
    (value, step), expected = electricity[0], sums['carbon_g'] - sums['embodied_g']
    assert abs(value - expected) <= step / 2 + 1e-9
    units = {m.group(1) for m in re.finditer(r'([mk]?g) CO2e', _statement(text))}
    assert len(units) == 1  # one carbon unit in the whole statement


def test_a_snapshot_issued_before_manufacturing_was_counted_keeps_its_statement(session, account):
    _seed(session, account)
    ensure_invoices(session, account, now=NOW)
    october = session.exec(select(Invoice).where(Invoice.number == 'INV-2026-10')).one()
    old = dict(october.snapshot)
    old['emissions'] = {k: v for k, v in old['emissions'].items() if not k.startswith('embodied')}
    text = pdf_text(invoice_pdf(Invoice(**(october.model_dump() | {'snapshot': old}))))
    assert 'Emissions statement' in text and 'Manufacturing' not in text
    assert 'the manufacture of hardware are not counted' in ' '.join(text.split())


def test_the_snapshot_sums_the_rollups_manufacturing_part(session, account):
    _seed(session, account)
    draft = current_draft(session, account, now=NOW).snapshot['emissions']
    start = datetime.fromisoformat(current_draft(session, account, now=NOW).snapshot['period_start'])
    rollups = session.exec(
        select(
            func.sum(UsageHour.embodied_g), func.sum(UsageHour.embodied_g_low), func.sum(UsageHour.embodied_g_high)
        ).where(UsageHour.account_id == account.id, UsageHour.hour >= start, UsageHour.hour < NOW)
    ).one()
    assert (draft['embodied_g'], draft['embodied_g_low'], draft['embodied_g_high']) == tuple(map(float, rollups))
    assert draft['embodied_g_low'] < draft['embodied_g'] < draft['embodied_g_high']


def pdf_text(data: bytes) -> str:
    return '\f'.join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def _statement(text: str) -> str:
    return text[text.index('Emissions statement') : text.index('Methodology')]


def _figures(text: str, label: str, units: dict[str, float]) -> list[tuple[float, float]]:
    """'Carbon 412 g CO2e (range 250–690 g CO2e)' -> [(412, 1), (250, 1), (690, 1)] in base units (Wh or g), each
    with the size of its last printed digit."""
    unit = '|'.join(re.escape(u) for u in units)
    number = r'([\d,]+(?:\.\d+)?)'
    match = re.search(rf'{label} {number} ({unit})(?: \(range {number}–{number} ({unit})\))?', _statement(text))
    assert match, label
    scale = units[match.group(2)]
    figures = [match.group(1)] + ([match.group(3), match.group(4)] if match.group(3) else [])
    return [(float(f.replace(',', '')) * scale, _step(f) * scale) for f in figures]


def _step(figure: str) -> float:
    decimals = len(figure.partition('.')[2])
    return 10.0**-decimals
