from datetime import UTC, datetime, timedelta

from nicegui.testing import User
from sqlmodel import func, select

from services import db
from services.account.accounts import current_account
from services.billing.invoices import month_bounds
from services.billing.ledger import credit_balance
from services.billing.payments import DEFAULT_GATEWAY, PaymentError
from services.billing.pdfs import invoice_pdf, receipt_pdf
from services.models import Invoice, LedgerEntry, Receipt
from services.money import format_money
from services.timeutil import local
from tests.support import factories
from workers.delivery import sweep


def _count(model) -> int:
    with db.session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _entries() -> list[LedgerEntry]:
    with db.session_scope() as session:
        return list(session.exec(select(LedgerEntry)))


def _balance() -> int:
    with db.session_scope() as session:
        return credit_balance(session, current_account(session))


def _shown_balance(user: User) -> str:
    return user.find(marker='balance').elements.pop().text


async def _confirm(user: User, title: str) -> None:
    user.find(marker='top-up').click()
    await user.should_see(title)
    user.find(marker='confirm-top-up').click()


async def test_a_preset_top_up_credits_once_and_refreshes_balance_and_receipts(user: User):
    factories.account(currency='EUR', timezone='Europe/Paris')
    await user.open('/credits')
    await user.should_see('No receipts yet')
    assert _shown_balance(user) == '€0.00'
    user.find(marker='preset-50000000').click()
    user.find(marker='payment-method').elements.pop().value = 'bank_transfer'
    await _confirm(user, 'Add €50.00 to your balance by Bank transfer?')
    await user.should_see('Added €50.00 to your balance')

    [entry] = _entries()
    assert (entry.kind, entry.amount_micros, entry.currency, entry.method) == (
        'top_up',
        50_000_000,
        'EUR',
        'bank_transfer',
    )
    with db.session_scope() as session:
        [receipt] = session.exec(select(Receipt)).all()
    assert receipt.ledger_entry_id == entry.id and receipt.amount_micros == 50_000_000
    assert _balance() == 50_000_000
    await user.should_see(marker='card-receipt-1')  # the list was rebuilt in the background
    assert _shown_balance(user) == format_money(_balance(), 'EUR') == '€50.00'
    table = user.find(marker='receipts-table').elements.pop()
    assert [(r['number'], r['amount'], r['method']) for r in table.rows] == [
        (receipt.number, '€50.00', 'Bank transfer')
    ]
    await user.should_not_see('No receipts yet')


async def test_clicking_confirm_twice_in_the_same_dialog_credits_once(user: User):
    factories.account(currency='EUR', timezone='Europe/Paris')
    await user.open('/credits')
    user.find(marker='preset-25000000').click()
    user.find(marker='top-up').click()
    await user.should_see('Add €25.00 to your balance')
    confirm = user.find(marker='confirm-top-up')
    confirm.click()
    confirm.click()  # before the first click is done: the same dialog, the same idempotency key
    await user.should_see('Added €25.00 to your balance')
    await user.should_see(marker='card-receipt-1')
    assert _count(LedgerEntry) == 1 and _count(Receipt) == 1
    assert _balance() == 25_000_000
    assert _shown_balance(user) == '€25.00'


async def test_a_custom_amount_is_credited_and_bad_amounts_write_nothing(user: User):
    factories.account(currency='EUR', timezone='Europe/Paris')
    await user.open('/credits')
    amount = user.find(marker='custom-amount').elements.pop()

    for text, message in (('2', 'A top-up is between €5.00 and €10,000.00'), ('abc', 'Enter an amount like 50.00')):
        amount.value = text
        user.find(marker='top-up').click()
        await user.should_see(message)
        assert amount.props['error'] is True and amount.props['error-message'] == message
        await user.should_not_see(marker='confirm-top-up')
        assert _count(LedgerEntry) == 0 and _count(Receipt) == 0

    amount.value = '12.34'
    assert 'error' not in amount.props  # typing again clears the error
    user.find(marker='payment-method').elements.pop().value = 'company_card'
    await _confirm(user, 'Add €12.34 to your balance by Company card?')
    await user.should_see('Added €12.34 to your balance')
    [entry] = _entries()
    assert (entry.amount_micros, entry.method) == (12_340_000, 'company_card')
    await user.should_see(marker='card-receipt-1')
    assert _shown_balance(user) == '€12.34'


async def test_an_amount_the_service_refuses_goes_on_the_field_and_writes_nothing(user: User, monkeypatch):
    monkeypatch.setattr('components.top_up.MIN_TOP_UP', 1_000_000)  # the page lets '2' through; the service does not
    factories.account(currency='EUR', timezone='Europe/Paris')
    await user.open('/credits')
    amount = user.find(marker='custom-amount').elements.pop()
    amount.value = '2'
    await _confirm(user, 'Add €2.00 to your balance')
    await user.should_see('A top-up is between €5.00 and €10,000.00')
    await user.should_not_see(marker='confirm-top-up')
    assert amount.props['error-message'] == 'A top-up is between €5.00 and €10,000.00'
    assert _count(LedgerEntry) == 0 and _count(Receipt) == 0


async def test_a_declined_payment_keeps_the_dialog_and_a_retry_credits_once(user: User, monkeypatch):
    calls = []

    def declined(**kwargs):
        calls.append(kwargs['idempotency_key'])
        raise PaymentError('the bank is closed')

    monkeypatch.setattr(DEFAULT_GATEWAY, 'charge', declined)
    factories.account(currency='EUR', timezone='Europe/Paris')
    await user.open('/credits')
    await _confirm(user, 'Add €25.00 to your balance')
    await user.should_see('The payment did not go through: the bank is closed. Nothing was added.')
    assert _count(LedgerEntry) == 0 and _count(Receipt) == 0
    monkeypatch.undo()
    user.find(marker='confirm-top-up').click()  # the retry, in the same dialog
    await user.should_see('Added €25.00 to your balance')
    [entry] = _entries()
    assert entry.idempotency_key == calls[0]  # the key of the declined attempt: one key per confirmation
    await user.should_not_see(marker='confirm-top-up')  # the dialog closed after the top-up
    assert _count(LedgerEntry) == 1 and _balance() == 25_000_000


async def test_low_balance_shows_a_warning(user: User):
    factories.account(currency='EUR', timezone='Europe/Paris')
    await user.open('/credits')
    await user.should_see('below your low-balance threshold of €5.00')


async def test_receipt_pdf_download_is_the_stored_receipt(user: User):
    account = factories.account(currency='EUR', timezone='Europe/Paris')
    receipt = factories.top_up(account, '30.00', idempotency_key='seed').receipt
    await user.open('/credits')
    await user.should_see(receipt.number)
    await user.should_see('Other / adjustment')
    user.find(marker=f'pdf-receipt-{receipt.id}').click()
    response = await user.download.next()
    assert response.content.startswith(b'%PDF')
    with db.session_scope() as session:
        stored = session.get(Receipt, receipt.id)
        assert response.content == receipt_pdf(current_account(session), stored)
    user.find(marker='receipts-table').trigger('pdf', {'id': receipt.id, 'number': receipt.number})  # desktop row
    assert (await user.download.next()).content == response.content


def _seed_previous_month(account) -> tuple[str, str, str]:
    """Usage and a top-up last month (account time zone), usage this month: (last month's number, months)."""
    now = datetime.now(UTC)
    here = local(now, account.timezone)
    start, _ = month_bounds(account.timezone, here.year, here.month)
    last_month = start - timedelta(days=10)
    with db.session_scope() as session:
        factories.top_up(
            account, '40.00', session=session, method='bank_transfer', idempotency_key='old', at=last_month
        )
        for when in (last_month, last_month + timedelta(hours=1), now - timedelta(minutes=5)):
            factories.generation(
                account, session=session, prompt_tokens=90_000, completion_tokens=30_000, created_at=when
            )
    previous = local(last_month, account.timezone)
    return f'INV-{previous.year}-{previous.month:02d}', previous.strftime('%B %Y'), here.strftime('%B %Y')


async def test_invoices_lists_the_issued_month_and_a_draft_and_pdfs_never_change(user: User):
    account = factories.account(currency='EUR', timezone='Europe/Paris')
    number, previous_month, this_month = _seed_previous_month(account)
    await user.open('/invoices')  # opening the page issues nothing (the background job does, at month close)
    rows = user.find(marker='invoices-table').elements.pop().rows  # and stores nothing: the draft is computed
    assert [(r['period'], r['status']) for r in rows] == [(this_month, 'Draft')] and _count(Invoice) == 0
    sweep(datetime.now(UTC))  # one round of the job
    await user.open('/invoices')
    await user.should_see('never changes afterwards')
    table = user.find(marker='invoices-table').elements.pop()
    assert [(r['period'], r['status']) for r in table.rows] == [(this_month, 'Draft'), (previous_month, 'Issued')]
    assert table.rows[1]['number'] == number
    assert table.rows[0]['status_note'] == 'this month so far, not final'
    with db.session_scope() as session:
        issued = session.exec(select(Invoice).where(Invoice.number == number)).one()
        expected = invoice_pdf(issued)
    assert table.rows[1]['total'] == format_money(issued.total_micros, 'EUR') != '€0.00'
    assert table.rows[1]['opening'] == '€0.00'
    assert table.rows[1]['closing'] == format_money(issued.snapshot['closing_micros'], 'EUR')
    assert table.rows[0]['opening'] == table.rows[1]['closing']

    user.find(marker=f'pdf-invoice-{number}').click()
    first = await user.download.next()
    await user.open('/invoices')  # opening the page again recomputes the draft, never the issued invoice
    user.find(marker=f'pdf-invoice-{number}').click()
    second = await user.download.next()
    assert first.content.startswith(b'%PDF')
    assert first.content == second.content == expected

    draft_number = table.rows[0]['number']
    user.find(marker=f'pdf-invoice-{draft_number}').click()
    draft = await user.download.next()
    assert draft.content.startswith(b'%PDF') and draft.content != expected


async def test_invoices_without_any_activity_shows_an_empty_state(user: User):
    factories.account(currency='EUR', timezone='Europe/Paris')
    await user.open('/invoices')
    await user.should_see('No billing history yet')
    await user.should_not_see(marker='invoices-table')


async def test_without_an_account_both_pages_go_to_onboarding(user: User):
    for path in ('/credits', '/invoices'):
        await user.open(path)
        await user.should_see('Welcome to lowrouter')


async def test_in_german_an_amount_is_typed_and_shown_as_a_german_reader_writes_it(user: User):
    """With the locale de_DE, '1.234,56' is 1 234.56 (not 1.23456 or an error), the confirmation and the
    balance read '1.234,56 €', and a bad amount's help shows a decimal comma; nothing is written for it."""
    factories.account(currency='EUR', timezone='Europe/Berlin', locale='de_DE')
    await user.open('/credits')
    amount = user.find(marker='custom-amount').elements.pop()
    for text, message in (
        ('2', 'A top-up is between 5,00\xa0€ and 10.000,00\xa0€'),
        ('1.23,4', 'Enter an amount like 50,00'),
    ):
        amount.value = text
        user.find(marker='top-up').click()
        await user.should_see(message)
        assert amount.props['error-message'] == message
        assert _count(LedgerEntry) == 0
    amount.value = '1.234,56'
    await _confirm(user, 'Add 1.234,56\xa0€ to your balance by')
    await user.should_see('Added 1.234,56\xa0€ to your balance')
    [entry] = _entries()
    assert entry.amount_micros == 1_234_560_000
    assert _shown_balance(user) == format_money(1_234_560_000, 'EUR', locale='de_DE') == '1.234,56\xa0€'
