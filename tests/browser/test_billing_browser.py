from decimal import Decimal

import pypdf
import pypdfium2

from tests.browser.conftest import SCREENSHOTS, no_horizontal_overflow, screenshot


def _money(text: str) -> Decimal:
    """'$1,234.56' -> Decimal('1234.56'); '-$3.00' -> Decimal('-3.00')."""
    return Decimal(text.replace('$', '').replace(',', '').strip())


def _balance(page) -> Decimal:
    return _money(page.locator('.lr-balance').inner_text())


def test_top_up_through_the_page_raises_the_balance_once(server, desktop):
    desktop.goto(f'{server}/credits')
    receipts = desktop.locator('.lr-billing tbody tr')
    receipts.first.wait_for()
    before, count = _balance(desktop), receipts.count()
    desktop.get_by_role('button', name='$10.00').click()
    desktop.get_by_role('button', name='Top up', exact=True).click()
    dialog = desktop.locator('.q-dialog')
    dialog.get_by_text('Add $10.00 to your balance by Bank transfer?').wait_for()
    desktop.wait_for_timeout(400)  # the dialog's fade-in
    desktop.screenshot(path=str(SCREENSHOTS / 'credits-confirm.png'))  # the viewport: the dialog is fixed
    dialog.get_by_role('button', name='Add $10.00').dblclick()  # a double click still credits once
    desktop.get_by_text('Added $10.00 to your balance').wait_for()
    dialog.wait_for(state='detached')
    desktop.wait_for_function(f'document.querySelectorAll(".lr-billing tbody tr").length === {count + 1}')
    assert _balance(desktop) == before + 10
    assert '$10.00' in receipts.first.inner_text()
    desktop.reload()
    receipts.first.wait_for()
    assert _balance(desktop) == before + 10 and receipts.count() == count + 1


def test_a_bad_custom_amount_shows_its_error_on_the_field(server, desktop):
    desktop.goto(f'{server}/credits')
    desktop.get_by_label('Custom amount').fill('2')
    desktop.get_by_role('button', name='Top up', exact=True).click()
    desktop.get_by_text('A top-up is between $5.00 and $10,000.00').wait_for()
    assert desktop.locator('.q-dialog').count() == 0


def test_credits_desktop(server, desktop):
    desktop.goto(f'{server}/credits')
    desktop.locator('.lr-billing tbody tr').first.wait_for()
    for text in ('Credit balance', 'Top up', 'Custom amount', 'Payment method', 'Receipts'):
        assert desktop.get_by_text(text, exact=True).first.is_visible(), text
    assert desktop.get_by_role('button', name='PDF').first.is_visible()
    assert no_horizontal_overflow(desktop)
    screenshot(desktop, 'credits-desktop')


def test_credits_mobile(server, mobile):
    mobile.goto(f'{server}/credits')
    mobile.get_by_role('button', name='Download PDF').first.wait_for()
    assert not mobile.locator('.lr-billing').is_visible()
    assert mobile.get_by_role('button', name='$100.00').is_visible()
    assert no_horizontal_overflow(mobile)
    screenshot(mobile, 'credits-mobile')


def test_invoices_desktop_and_the_pdf_of_an_issued_month(server, desktop, tmp_path):
    desktop.goto(f'{server}/invoices')
    rows = desktop.locator('.lr-billing tbody tr')
    rows.first.wait_for()
    assert 'Draft' in rows.first.inner_text() and 'this month so far' in rows.first.inner_text()
    issued = rows.filter(has_text='Issued')
    assert issued.count() >= 2  # the demo history spans several closed months
    assert no_horizontal_overflow(desktop)
    screenshot(desktop, 'invoices-desktop')

    with desktop.expect_download() as info:
        issued.first.get_by_role('button', name='PDF').click()
    download = info.value
    assert download.suggested_filename.startswith('INV-') and download.suggested_filename.endswith('.pdf')
    pdf = tmp_path / 'invoice.pdf'
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b'%PDF')
    text = ' '.join(pypdf.PdfReader(pdf).pages[-1].extract_text().split())
    assert 'Emissions statement' in text and 'Manufacturing' in text  # the demo is recorded with eco-2
    SCREENSHOTS.mkdir(exist_ok=True)
    target = SCREENSHOTS / 'invoice-demo-page1.png'
    pypdfium2.PdfDocument(pdf)[0].render(scale=80 / 72).to_pil().save(target)
    assert target.stat().st_size > 10_000


def test_invoices_mobile(server, mobile):
    mobile.goto(f'{server}/invoices')
    mobile.get_by_role('button', name='Download PDF').first.wait_for()
    assert not mobile.locator('.lr-billing').is_visible()
    assert mobile.get_by_text('Opening balance').first.is_visible()
    assert no_horizontal_overflow(mobile)
    screenshot(mobile, 'invoices-mobile')
