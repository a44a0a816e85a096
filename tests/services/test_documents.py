"""Receipt and invoice PDFs: real files, read back with poppler (pdftotext, pdfinfo, pdffonts, pdftoppm)."""

import dataclasses
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.documents import (
    Emissions,
    InvoiceDoc,
    InvoiceLine,
    Party,
    ReceiptDoc,
    TopUpLine,
    render_invoice,
    render_receipt,
)
from services.eco import METHODOLOGY_VERSION
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
        emissions=Emissions(1234.5, 800.0, 2100.0, 412.3, 250.0, 690.0, (METHODOLOGY_VERSION,)),
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


def pdf_text(data: bytes, tmp_path: Path, name: str = 'doc.pdf') -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(['pdftotext', '-layout', str(path), '-'], capture_output=True, check=True, text=True).stdout


def poppler(tool: str, data: bytes, tmp_path: Path) -> str:
    path = tmp_path / 'info.pdf'
    path.write_bytes(data)
    return subprocess.run([tool, str(path)], capture_output=True, check=True, text=True).stdout


def screenshot(data: bytes, tmp_path: Path, name: str) -> Path:
    """Page 1 as screenshots/<name>.png (git-ignored), for looking at the layout."""
    source = tmp_path / f'{name}.pdf'
    source.write_bytes(data)
    SCREENSHOTS.mkdir(exist_ok=True)
    subprocess.run(
        ['pdftoppm', '-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', str(source), str(SCREENSHOTS / name)],
        check=True,
    )
    return SCREENSHOTS / f'{name}.png'


@pytest.mark.parametrize('render', [lambda: render_receipt(sample_receipt()), lambda: render_invoice(sample_invoice())])
def test_documents_are_pdfs_and_rendering_twice_gives_the_same_bytes(render):
    first, second = render(), render()
    assert first.startswith(b'%PDF-')
    assert first == second


def test_the_bytes_do_not_depend_on_the_process():
    """Font subsetting and page-count placeholders must not leak hash seeds or random ids into the file."""
    script = (
        'import sys\n'
        'from services.documents import render_invoice\n'
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


def test_the_shipped_dejavu_fonts_are_embedded(tmp_path):
    fonts = poppler('pdffonts', render_receipt(sample_receipt()), tmp_path)
    embedded = [line for line in fonts.splitlines() if 'DejaVuSans' in line]
    assert len(embedded) == 2  # regular and bold
    assert all(' yes ' in line for line in embedded)


def test_receipt_text(tmp_path):
    doc = sample_receipt()
    text = pdf_text(render_receipt(doc), tmp_path)
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


def test_invoice_text_and_totals(tmp_path):
    doc = sample_invoice()
    text = pdf_text(render_invoice(doc), tmp_path)
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
        '412 g CO2e (range 250–690 g CO2e)',
        METHODOLOGY_VERSION,
        'input tokens, networks and the manufacture of hardware are not counted',
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


def test_35_lines_take_two_pages_with_the_table_heading_repeated(tmp_path):
    data = render_invoice(sample_invoice(35))
    assert 'Pages:           2' in poppler('pdfinfo', data, tmp_path)
    pages = pdf_text(data, tmp_path).split('\f')
    pages = [page for page in pages if page.strip()]
    assert len(pages) == 2
    assert 'Page 1 of 2' in pages[0] and 'Page 2 of 2' in pages[1]
    for page in pages:
        heading = next(line for line in page.splitlines() if line.lstrip().startswith('Model'))
        assert heading.split() == ['Model', 'Requests', 'Tokens', 'Cost']
    assert 'vendor34/model-34-instruct' in pages[1]
    assert 'Emissions statement' in pages[1]


def test_a_short_invoice_fits_on_one_page(tmp_path):
    text = pdf_text(render_invoice(sample_invoice(3)), tmp_path)
    assert 'Page 1 of 1' in text


def test_overdrawn_draft_prints_a_minus_sign_and_is_marked(tmp_path):
    doc = overdrawn_draft()
    text = pdf_text(render_invoice(doc), tmp_path)
    closing = format_money(doc.closing_micros, 'EUR')
    assert closing == '-€15.00'
    assert closing in text
    assert 'Draft invoice — not final' in text
    assert 'this document is not a final invoice' in text
    assert 'No top-ups in this period' in text
    assert '€0.000266' in text  # a sub-cent line is printed exactly, not rounded to €0.00
    assert '€24.999734' in text
    assert format_money(25_000_000, 'EUR') in text


def test_other_currencies_render(tmp_path):
    receipt = dataclasses.replace(sample_receipt(), currency='GBP', amount_micros=5_000_000)
    invoice = dataclasses.replace(sample_invoice(2), currency='JPY')
    assert '£5.00' in pdf_text(render_receipt(receipt), tmp_path)
    assert '¥' in pdf_text(render_invoice(invoice), tmp_path)


def test_the_contract_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample_receipt().number = 'R-1'  # type: ignore[misc]


def test_page_one_screenshots(tmp_path):
    invoice = screenshot(render_invoice(sample_invoice()), tmp_path, 'invoice-page1')
    receipt = screenshot(render_receipt(sample_receipt()), tmp_path, 'receipt-page1')
    draft = screenshot(render_invoice(overdrawn_draft()), tmp_path, 'invoice-draft-page1')
    for png in (invoice, receipt, draft):
        assert png.read_bytes().startswith(b'\x89PNG')
