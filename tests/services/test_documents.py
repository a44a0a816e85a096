"""Receipt and invoice PDFs: real files, read back with pypdf (text, fonts, pages) and drawn with pypdfium2."""

import dataclasses
import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pypdfium2
import pytest

from services.billing._documents import (
    Emissions,
    InvoiceDoc,
    InvoiceLine,
    Party,
    ReceiptDoc,
    TopUpLine,
    render_invoice,
    render_receipt,
)
from services.eco.estimate import LEGACY_VERSION, METHODOLOGY_VERSION
from services.money import format_money

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / 'screenshots'
PARTY = Party('Zoë Ærøskøbing', 'zoe@example.dk')
ZONE = 'Europe/Paris'


def sample_receipt() -> ReceiptDoc:
    return ReceiptDoc(
        number='R-2026-000042',
        issued_at=datetime(2026, 10, 12, 12, 3, tzinfo=UTC),
        timezone=ZONE,
        party=PARTY,
        amount_micros=1_250_500_000,
        currency='EUR',
        method='manual',
        reference='pay_8f3K2mQ9xLz',
    )


def sample_invoice(n_lines: int = 35, opening_micros: int = 10_000_000) -> InvoiceDoc:
    lines = tuple(
        InvoiceLine(f'vendor{i}/model-{i}-instruct', 1_000 + 37 * i, 123_456 * (i + 1), 1_250_000 + 10_000 * i)
        for i in range(n_lines)
    )
    top_ups = (
        TopUpLine(datetime(2026, 10, 3, 8, 0, tzinfo=UTC), 'R-2026-000041', 'manual', 20_000_000),
        TopUpLine(datetime(2026, 10, 12, 12, 3, tzinfo=UTC), None, 'bank_transfer', 1_250_500_000),
    )
    usage = sum(line.cost_micros for line in lines)
    top_ups_micros = sum(t.amount_micros for t in top_ups)
    return InvoiceDoc(
        number='INV-2026-10',
        status='issued',
        period_start=datetime(2026, 9, 30, 22, 0, tzinfo=UTC),  # 1 October, 00:00 in Paris (CEST)
        period_end=datetime(2026, 10, 31, 23, 0, tzinfo=UTC),  # 1 November, 00:00 in Paris (CET)
        timezone=ZONE,
        issued_at=datetime(2026, 11, 1, 8, 15, tzinfo=UTC),
        party=PARTY,
        currency='EUR',
        lines=lines,
        top_ups=top_ups,
        opening_micros=opening_micros,
        top_ups_micros=top_ups_micros,
        usage_micros=usage,
        closing_micros=opening_micros + top_ups_micros - usage,
        emissions=Emissions(1234.5, 800.0, 2100.0, 412.3, 250.0, 690.0, (METHODOLOGY_VERSION,), 31.7, 12.0, 80.4),
    )


def overdrawn_draft() -> InvoiceDoc:
    """Few lines, no top-ups and a negative closing balance: 10.00 - 25.00 = -15.00."""
    lines = (
        InvoiceLine('openai/gpt-4o-mini', 12_345, 9_876_543, 24_999_734),
        InvoiceLine('mistralai/mistral-small', 3, 1_200, 266),
    )
    return dataclasses.replace(
        sample_invoice(),
        status='draft',
        lines=lines,
        top_ups=(),
        top_ups_micros=0,
        usage_micros=25_000_000,
        closing_micros=-15_000_000,
    )


def pdf_text(data: bytes) -> str:
    """The text of every page, pages separated by a form feed."""
    return '\f'.join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def page_count(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def embedded_fonts(data: bytes) -> dict[str, bool]:
    """Base font name -> whether its font file is embedded, over every page."""
    fonts = {}
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in page['/Resources']['/Font'].values():
            font = font.get_object()
            described = font['/DescendantFonts'][0].get_object() if '/DescendantFonts' in font else font
            descriptor = described['/FontDescriptor'].get_object()
            fonts[str(font['/BaseFont'])] = any(k in descriptor for k in ('/FontFile', '/FontFile2', '/FontFile3'))
    return fonts


def screenshot(data: bytes, name: str) -> Path:
    """Page 1 as screenshots/<name>.png (git-ignored), for looking at the layout."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f'{name}.png'
    pypdfium2.PdfDocument(data)[0].render(scale=80 / 72).to_pil().save(path)
    return path


@pytest.mark.parametrize('render', [lambda: render_receipt(sample_receipt()), lambda: render_invoice(sample_invoice())])
def test_documents_are_pdfs_and_rendering_twice_gives_the_same_bytes(render):
    first, second = render(), render()
    assert first.startswith(b'%PDF-')
    assert first == second


def test_the_bytes_do_not_depend_on_the_process():
    """Font subsetting and page-count placeholders must not leak hash seeds or random ids into the file."""
    script = (
        'import sys\n'
        'from services.billing._documents import render_invoice\n'
        'from tests.services.test_documents import sample_invoice\n'
        'sys.stdout.buffer.write(render_invoice(sample_invoice()))\n'
    )
    outputs = [
        subprocess.run(
            [sys.executable, '-c', script],
            cwd=ROOT,
            env={**os.environ, 'PYTHONHASHSEED': seed, 'PYTHONPATH': str(ROOT)},
            capture_output=True,
            check=True,
        ).stdout
        for seed in ('1', '2')
    ]
    assert outputs[0] == outputs[1] == render_invoice(sample_invoice())


def test_metadata_is_fixed_and_dated_at_issue():
    data = render_invoice(sample_invoice())
    assert b'/CreationDate (D:20261101081500Z)' in data
    assert b'/Producer (lowrouter)' in data
    assert b'/Creator (lowrouter)' in data


def test_the_shipped_dejavu_fonts_are_embedded():
    fonts = embedded_fonts(render_receipt(sample_receipt()))
    dejavu = {name: embedded for name, embedded in fonts.items() if 'DejaVuSans' in name}
    assert len(dejavu) == 2  # regular and bold
    assert all(dejavu.values())


def test_receipt_text():
    doc = sample_receipt()
    text = pdf_text(render_receipt(doc))
    assert text.startswith('lowrouter')
    for expected in (
        'Receipt',
        'R-2026-000042',
        'Zoë Ærøskøbing',
        'zoe@example.dk',
        '12 October 2026, 14:03 (Europe/Paris)',  # 12:03 UTC is 14:03 in Paris (CEST)
        'Credit top-up',
        'Manual',
        'pay_8f3K2mQ9xLz',
        'Total paid',
        'Amounts in EUR. This receipt was issued from stored data.',
        'Page 1 of 1',
    ):
        assert expected in text, expected
    total = format_money(doc.amount_micros, 'EUR')
    assert total == '€1,250.50'
    assert text.count(total) == 2  # the table row and "Total paid"


def test_invoice_text_and_totals():
    doc = sample_invoice()
    text = pdf_text(render_invoice(doc))
    for expected in (
        'INV-2026-10',
        'Zoë Ærøskøbing',
        '1 October 2026 – 31 October 2026',
        '(Europe/Paris)',
        '1 November 2026, 09:15 (Europe/Paris)',
        'vendor0/model-0-instruct',
        'vendor34/model-34-instruct',
        '4,320,960',  # tokens of the last line, with thousands separators
        'R-2026-000041',
        'Bank transfer',
        'Opening balance',
        '+ Top-ups',
        '− Usage',
        '= Closing balance',
        'Total for the period',
        'Emissions statement',
        '1.23 kWh (range 0.80–2.10 kWh)',
        'Carbon 412 g CO2e (range 250–690 g CO2e), of which:',
        'Electricity 381 g CO2e from the electricity used',  # 412.3 - 31.7
        'Manufacturing 32 g CO2e (range 12–80 g CO2e) embodied in the hardware used',
        METHODOLOGY_VERSION,
        'Energy covers the prompt and output tokens of your requests',
    ):
        assert expected in text, expected
    assert 'Draft' not in text
    assert '€' in text
    usage = format_money(doc.usage_micros, 'EUR')
    assert usage == '€49.70'
    assert text.count(usage) == 3  # the usage table total, "− Usage" and "Total for the period"
    assert format_money(doc.opening_micros, 'EUR') in text
    assert format_money(doc.top_ups_micros, 'EUR') in text
    assert format_money(doc.closing_micros, 'EUR') == '€1,230.80'
    assert '€1,230.80' in text

    assert 'eco-1' not in text  # no eco-1 records, no eco-1 note


def _statement(text: str) -> str:
    return text[text.index('Emissions statement') : text.index('Methodology')]


def test_every_carbon_figure_of_the_statement_has_one_unit():
    """1.5 kg in total with a 4 mg manufacturing part: all in kg, never kg beside mg."""
    emissions = Emissions(2.0, 1.0, 3.0, 1500.0, 900.0, 2600.0, (METHODOLOGY_VERSION,), 0.004, 0.001, 0.009)
    statement = _statement(pdf_text(render_invoice(dataclasses.replace(sample_invoice(3), emissions=emissions))))
    assert 'Carbon 1.50 kg CO2e (range 0.90–2.60 kg CO2e), of which:' in statement
    assert 'Manufacturing 0.000004 kg CO2e (range 0.000001–0.000009 kg CO2e)' in statement  # at most 6 decimals
    assert 'Electricity 1.50 kg CO2e' in statement
    assert 'mg' not in statement and ' g CO2e' not in statement
    assert 'Energy 2.00 Wh (range 1.00–3.00 Wh)' in statement


def test_a_period_with_eco1_records_says_what_they_leave_out():
    emissions = dataclasses.replace(
        sample_invoice().emissions, methodology_versions=(LEGACY_VERSION, METHODOLOGY_VERSION)
    )
    text = pdf_text(render_invoice(dataclasses.replace(sample_invoice(3), emissions=emissions)))
    assert f'Methodology {LEGACY_VERSION}, {METHODOLOGY_VERSION}' in text
    assert 'Requests recorded with eco-1 count neither their prompt tokens nor manufacturing.' in ' '.join(text.split())


def test_a_statement_issued_before_manufacturing_was_counted_is_printed_as_issued():
    """Snapshots without the manufacturing part (embodied_g None) keep their statement, word for word."""
    old = dataclasses.replace(
        sample_invoice(3),
        emissions=Emissions(1234.5, 800.0, 2100.0, 412.3, 250.0, 690.0, ('eco-1 (EcoLogits 0.11.3)',)),
    )
    text = pdf_text(render_invoice(old))
    assert 'Energy 1.23 kWh (range 0.80–2.10 kWh)' in text
    assert 'Carbon 412 g CO2e (range 250–690 g CO2e)\n' in text
    assert 'Manufacturing' not in text and 'Electricity' not in text
    assert 'input tokens, networks and the manufacture of hardware are not counted' in ' '.join(text.split())


def test_35_lines_take_two_pages_with_the_table_heading_repeated():
    data = render_invoice(sample_invoice(35))
    assert page_count(data) == 2
    pages = pdf_text(data).split('\f')
    pages = [page for page in pages if page.strip()]
    assert len(pages) == 2
    assert 'Page 1 of 2' in pages[0] and 'Page 2 of 2' in pages[1]
    for page in pages:
        heading = next(line for line in page.splitlines() if line.lstrip().startswith('Model'))
        assert heading.split() == ['Model', 'Requests', 'Tokens', 'Cost']
    assert 'vendor34/model-34-instruct' in pages[1]
    assert 'Emissions statement' in pages[1]


def test_a_short_invoice_fits_on_one_page():
    text = pdf_text(render_invoice(sample_invoice(3)))
    assert 'Page 1 of 1' in text


def test_overdrawn_draft_prints_a_minus_sign_and_is_marked():
    doc = overdrawn_draft()
    text = pdf_text(render_invoice(doc))
    closing = format_money(doc.closing_micros, 'EUR')
    assert closing == '-€15.00'
    assert closing in text
    assert 'Draft invoice — not final' in text
    assert 'this document is not a final invoice' in text
    assert 'No top-ups in this period' in text
    usage = _block(text, 'Usage', 'Top-ups')  # €24.999734 and €0.000266, each in cents, add up to €25.00
    assert usage.splitlines()[2:] == [
        'openai/gpt-4o-mini 12,345 9,876,543 €25.00',
        'mistralai/mistral-small 3 1,200 €0.00',
        'Total usage 12,348 9,877,743 €25.00',
    ]
    assert format_money(25_000_000, 'EUR') in text


def _block(text: str, start: str, end: str) -> str:
    return text[text.index(f'\n{start}\n') + 1 : text.index(f'\n{end}\n')]


def _cents(line: str) -> int:
    """The last amount of a printed line, in cents: '€1,230.80' -> 123080, '-€0.01' -> -1."""
    amount = line.rsplit(' ', 1)[-1]
    negative = amount.startswith('-')
    cents = int(amount.lstrip('-€').replace(',', '').replace('.', ''))
    return -cents if negative else cents


def test_the_usage_column_adds_up_as_printed_with_a_rounding_line_when_needed():
    lines = tuple(InvoiceLine(f'vendor/model-{i}', 1, 10, 1_004_999) for i in range(3))  # €1.004999 each
    doc = dataclasses.replace(
        sample_invoice(),
        lines=lines,
        top_ups=(),
        top_ups_micros=0,
        opening_micros=10_004_000,
        usage_micros=3_014_997,
        closing_micros=10_004_000 - 3_014_997,
    )
    usage = _block(pdf_text(render_invoice(doc)), 'Usage', 'Top-ups').splitlines()
    assert usage[2:] == [
        'vendor/model-0 1 10 €1.00',
        'vendor/model-1 1 10 €1.00',
        'vendor/model-2 1 10 €1.00',
        'Rounding €0.01',  # €3.014997 rounds to €3.01, its lines to €1.00 each
        'Total usage 3 30 €3.01',
    ]
    assert sum(_cents(line) for line in usage[2:-1]) == _cents(usage[-1])


def test_the_summary_adds_up_as_printed_with_a_rounding_line_when_needed():
    doc = dataclasses.replace(
        overdrawn_draft(),
        lines=(InvoiceLine('vendor/model', 1, 10, 1_005_000),),
        usage_micros=1_005_000,
        opening_micros=10_004_000,  # €10.004 -> €10.00, less €1.005 -> €1.01, leaves €8.999 -> €9.00
        closing_micros=10_004_000 - 1_005_000,
    )
    text = pdf_text(render_invoice(doc))
    summary = _block(text, 'Summary', 'Emissions statement').splitlines()
    assert summary[1:6] == [
        'Opening balance €10.00',
        '+ Top-ups €0.00',
        '− Usage €1.01',
        '± Rounding €0.01',
        '= Closing balance €9.00',
    ]
    opening, top_ups, usage, rounding, closing = map(_cents, summary[1:6])
    assert opening + top_ups - usage + rounding == closing
    assert 'Total for the period €1.01' in text


def test_the_sample_invoice_adds_up_as_printed():
    text = pdf_text(render_invoice(sample_invoice()))
    usage = [line for line in _block(text, 'Usage', 'Top-ups').splitlines()[2:] if '€' in line]
    assert sum(_cents(line) for line in usage[:-1]) == _cents(usage[-1]) == 4970
    summary = _block(text, 'Summary', 'Emissions statement').splitlines()[1:]
    figures = {line.rsplit(' ', 1)[0]: _cents(line) for line in summary if '€' in line}
    rounding = figures.get('± Rounding', 0)
    assert (
        figures['Opening balance'] + figures['+ Top-ups'] - figures['− Usage'] + rounding
        == figures['= Closing balance']
    )


def test_other_currencies_render():
    receipt = dataclasses.replace(sample_receipt(), currency='GBP', amount_micros=5_000_000)
    invoice = dataclasses.replace(sample_invoice(2), currency='JPY')
    assert '£5.00' in pdf_text(render_receipt(receipt))
    assert '¥' in pdf_text(render_invoice(invoice))


def test_the_contract_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample_receipt().number = 'R-1'  # type: ignore[misc]


def test_page_one_screenshots():
    invoice = screenshot(render_invoice(sample_invoice()), 'invoice-page1')
    receipt = screenshot(render_receipt(sample_receipt()), 'receipt-page1')
    draft = screenshot(render_invoice(overdrawn_draft()), 'invoice-draft-page1')
    for png in (invoice, receipt, draft):
        assert png.read_bytes().startswith(b'\x89PNG')
