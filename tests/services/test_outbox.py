"""The e-mail outbox against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from html import escape

import pytest
from sqlmodel import func, select

from services import db
from services.account.accounts import create_account
from services.billing.pdfs import receipt_pdf
from services.catalog import get_catalog
from services.eco._verdict import verdict_sentence
from services.eco.impact import eco_impact
from services.keys.api_keys import create_key
from services.models import Account, ApiKey, Generation, KeySpend, Notification, Outbox, utcnow
from services.notifications import outbox
from services.notifications.mailer import last_week
from services.timeutil import local
from services.units import carbon_range_text, carbon_text, carbon_unit
from services.usage.ingest import record_generation
from tests.support import factories

RECEIPT = {'amount': '25.00', 'method': 'bank_transfer', 'idempotency_key': 'top-up-1'}  # a top-up's receipt


@pytest.fixture
def mailable(session, account) -> Account:
    account.email = 'ops@example.com'
    session.add(account)
    session.commit()
    return account


def _rows() -> list[Outbox]:
    with db.session_scope() as session:
        return list(session.exec(select(Outbox).order_by(Outbox.id)))


def _notifications(kind: str) -> list[Notification]:
    with db.session_scope() as session:
        return list(session.exec(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))


def test_a_receipt_is_delivered_with_text_html_and_its_pdf(smtp, mailable):
    receipt = factories.top_up(mailable, **RECEIPT).receipt
    with db.session_scope() as session:
        assert outbox.email_receipt(session, mailable, receipt)
    assert outbox.deliver_due() == 1
    [message] = smtp.messages
    row = _rows()[0]
    assert (row.status, row.attempts, row.sent_at is not None) == ('sent', 1, True)
    assert message['To'] == 'ops@example.com' and message['From'] == 'lowrouter <billing@example.org>'
    assert message['Message-ID'] == f'<outbox-{row.id}.{mailable.id}@lowrouter.local>'
    assert receipt.number in message['Subject'] and '$25.00' in message['Subject']
    assert '$25.00' in message.get_body(('plain',)).get_content()
    assert '<h1' in message.get_body(('html',)).get_content()
    [pdf] = list(message.iter_attachments())
    assert pdf.get_content_type() == 'application/pdf' and pdf.get_filename() == f'{receipt.number}.pdf'
    assert pdf.get_content() == receipt_pdf(mailable, receipt)
    assert [n.title for n in _notifications('receipt')] == [row.subject]


def test_the_same_event_twice_is_one_row_and_one_message(smtp, mailable):
    receipt = factories.top_up(mailable, **RECEIPT).receipt
    for _ in range(2):
        with db.session_scope() as session:
            outbox.email_receipt(session, mailable, receipt)
    assert len(_rows()) == 1
    assert outbox.deliver_due() == 1
    assert outbox.deliver_due() == 0
    assert len(smtp.messages) == 1 and len(_notifications('receipt')) == 1


def test_nothing_is_queued_without_smtp_an_address_or_the_preference(monkeypatch, session, account):
    receipt = factories.top_up(account, **RECEIPT).receipt
    with db.session_scope() as session:
        assert not outbox.email_receipt(session, account, receipt)  # no SMTP and no address
    monkeypatch.setenv('LOWROUTER_SMTP_HOST', '127.0.0.1')
    with db.session_scope() as session:
        assert not outbox.email_receipt(session, account, receipt)  # no address
        stored = session.get(Account, account.id)
        stored.email, stored.notification_prefs = 'ops@example.com', {'receipts_email': False}
    with db.session_scope() as session:
        assert not outbox.email_receipt(session, session.get(Account, account.id), receipt)  # preference off
        stored = session.get(Account, account.id)
        stored.notification_prefs, stored.is_demo = {}, True
    with db.session_scope() as session:
        assert not outbox.email_receipt(
            session, session.get(Account, account.id), receipt
        )  # the demo's made-up address
    assert _rows() == [] and len(_notifications('receipt')) == 1  # the bell still has it


def test_a_refusing_server_schedules_retries_with_backoff_then_gives_up(smtp, mailable):
    smtp.refuse = True
    with db.session_scope() as session:
        outbox.email_receipt(session, mailable, factories.top_up(mailable, **RECEIPT).receipt)
    now = utcnow() + timedelta(seconds=1)
    assert outbox.deliver_due(now=now) == 0
    [row] = _rows()
    assert (row.status, row.attempts, row.sent_at) == ('pending', 1, None)
    assert row.next_attempt_at == now + timedelta(minutes=1) and '451' in row.last_error
    assert outbox.deliver_due(now=now + timedelta(seconds=30)) == 0 and _rows()[0].attempts == 1  # not due yet
    now += timedelta(minutes=1)
    assert outbox.deliver_due(now=now) == 0
    assert (_rows()[0].attempts, _rows()[0].next_attempt_at) == (2, now + timedelta(minutes=2))
    delays = []
    while _rows()[0].status == 'pending':
        row = _rows()[0]
        delays.append(row.next_attempt_at - now)
        now = row.next_attempt_at
        outbox.deliver_due(now=now)
    assert delays == [timedelta(minutes=m) for m in (2, 4, 8, 16, 32, 60)]  # capped at one hour
    row = _rows()[0]
    assert (row.status, row.attempts, row.sent_at) == ('failed', 8, None) and '451' in row.last_error
    assert outbox.deliver_due(now=now + timedelta(days=1)) == 0 and smtp.messages == []


def test_an_unreachable_server_is_retried_and_then_delivered(smtp, mailable):
    smtp.stop()
    with db.session_scope() as session:
        outbox.email_receipt(session, mailable, factories.top_up(mailable, **RECEIPT).receipt)
    now = utcnow() + timedelta(seconds=1)
    assert outbox.deliver_due(now=now) == 0
    row = _rows()[0]
    assert (row.status, row.attempts, row.next_attempt_at) == ('pending', 1, now + timedelta(minutes=1))
    smtp.start()  # the server is back
    assert outbox.deliver_due(now=now + timedelta(minutes=1)) == 1
    assert _rows()[0].status == 'sent' and len(smtp.messages) == 1


def test_a_process_dying_after_its_claim_leaves_a_row_that_is_sent_once_later(smtp, mailable):
    with db.session_scope() as session:
        outbox.email_receipt(session, mailable, factories.top_up(mailable, **RECEIPT).receipt)
    now = utcnow() + timedelta(seconds=1)
    [stale] = outbox.claim_due(now=now)  # ... and the process dies before sending
    assert (_rows()[0].status, _rows()[0].claimed_until) == ('sending', now + outbox.LEASE)
    assert outbox.deliver_due(now=now + timedelta(minutes=1)) == 0  # the lease still holds
    assert outbox.deliver_due(now=now + timedelta(minutes=6)) == 1
    assert outbox.deliver_due(now=now + timedelta(minutes=20)) == 0
    assert len(smtp.messages) == 1
    row = _rows()[0]
    assert (row.status, row.attempts) == ('sent', 2)
    outbox._finish(stale, now, None)  # the dead run's late report changes nothing
    assert _rows()[0].attempts == 2 and _rows()[0].sent_at == row.sent_at


def test_two_concurrent_deliveries_send_each_row_exactly_once(smtp, mailable):
    with db.session_scope() as session:
        for i in range(6):
            outbox.enqueue_email(
                session, mailable, 'weekly_summary', f'test:{i}', f'Message {i}', 'text', '<p>html</p>'
            )
    now = utcnow() + timedelta(seconds=1)
    start = threading.Barrier(2)
    sent = []

    def deliver() -> None:
        start.wait()
        sent.append(outbox.deliver_due(now=now, limit=4))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(sent) == 6 and max(sent) == 4  # SQLite: one after the other; PostgreSQL: SKIP LOCKED
    assert sorted(m['Subject'] for m in smtp.messages) == [f'Message {i}' for i in range(6)]
    assert {r.status for r in _rows()} == {'sent'} and {r.attempts for r in _rows()} == {1}


def test_low_balance_alert_is_one_bell_item_and_one_email_per_crossing(smtp, mailable):
    for _ in range(2):
        with db.session_scope() as session:
            assert outbox.notify_low_balance(session, session.get(Account, mailable.id))
    assert len(_notifications('low_balance')) == 1 and [r.kind for r in _rows()] == ['low_balance']
    factories.top_up(mailable, **RECEIPT)  # balance 25.00 > 5.00: no alert
    with db.session_scope() as session:
        assert not outbox.notify_low_balance(session, session.get(Account, mailable.id))
    assert outbox.deliver_due() == 1 and 'below your alert threshold of $5.00' in str(smtp.messages[0])


def _weekly_usage(account: Account) -> None:
    with db.session_scope() as session:
        for day, tokens in ((datetime(2026, 3, 4, 10, tzinfo=UTC), 3000), (datetime(2026, 2, 25, 9, tzinfo=UTC), 1000)):
            for model in ('openai/gpt-4o-mini', 'mistral/mistral-small'):
                factories.generation(
                    account, session=session, model=model, prompt_tokens=tokens, completion_tokens=500, created_at=day
                )


def test_the_weekly_summary_is_made_once_per_week_even_from_two_threads(smtp, mailable):
    _weekly_usage(mailable)
    now = datetime(2026, 3, 11, 12, tzinfo=UTC)  # a Wednesday: last week is 2026-W10 (March 2 to 8)
    assert outbox.weekly_summaries(now) == 1
    assert outbox.weekly_summaries(now + timedelta(days=2)) == 0
    [row] = _rows()
    assert (row.kind, row.dedupe_key) == ('weekly_summary', 'weekly:2026-W10')
    assert 'Tokens' in row.text_body and '7,000' in row.text_body and '+133 % vs the week before' in row.text_body
    assert 'GPT-4o mini' in row.html_body and 'CO2e' in row.text_body and '\nCompared with GPT-4o\n' in row.text_body
    next_week = now + timedelta(days=7)  # W11 compared with W10
    threads = [threading.Thread(target=outbox.weekly_summaries, args=(next_week,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.dedupe_key for r in _rows()] == ['weekly:2026-W10', 'weekly:2026-W11']
    assert 'Compared with' not in _rows()[1].text_body  # no usage in W11: nothing to compare
    assert len(_notifications('weekly_summary')) == 2
    assert outbox.deliver_due() == 2 and len(smtp.messages) == 2


def test_no_weekly_summary_when_the_preference_is_off(smtp, mailable):
    _weekly_usage(mailable)
    with db.session_scope() as session:
        session.get(Account, mailable.id).notification_prefs = {'weekly_summary': False}
    assert outbox.weekly_summaries(datetime(2026, 3, 11, 12, tzinfo=UTC)) == 0
    assert _rows() == [] and _notifications('weekly_summary') == []


def test_key_limit_alerts_at_80_and_100_percent_once_each(smtp, mailable):
    now = datetime(2026, 3, 15, 12, tzinfo=UTC)
    with db.session_scope() as session:
        key = ApiKey(account_id=mailable.id, name='batch', prefix='lr_batch', secret_hash='h' * 64)
        key.spend_limit_micros = 10_000_000
        session.add(key)
        session.flush()
        usage = KeySpend(account_id=mailable.id, hour=now - timedelta(hours=2), api_key_id=key.id)
        usage.cost_micros = 7_900_000  # what the key spent, by recording time: what its limit counts
        session.add(usage)

    def check() -> list[str]:
        with db.session_scope() as session:
            outbox.check_key_limits(session, session.get(Account, mailable.id), now=now)
        return [n.dedupe_key for n in _notifications('key_limit')]

    assert check() == []  # 79 %
    _spend(usage.id, 8_000_000)
    assert check() == check() == [f'key_limit:{key.id}:2026-03:80']
    _spend(usage.id, 10_000_000)
    assert check() == check() == [f'key_limit:{key.id}:2026-03:80', f'key_limit:{key.id}:2026-03:100']
    assert [r.subject for r in _rows()] == [f'Key "batch" reached {p} % of its monthly limit' for p in (80, 100)]
    assert outbox.deliver_due() == 2 and len(smtp.messages) == 2


def _spend(usage_id: int, micros: int) -> None:
    with db.session_scope() as session:
        session.get(KeySpend, usage_id).cost_micros = micros


def test_a_worker_round_issues_last_months_invoice_and_mails_it_with_its_pdf(smtp, mailable):
    from services.billing.pdfs import invoice_pdf
    from services.models import Invoice
    from workers.delivery import run_once

    with db.session_scope() as session:
        for day in (datetime(2026, 1, 20, tzinfo=UTC), datetime(2026, 2, 10, tzinfo=UTC)):
            data = {'model': 'openai/gpt-4o', 'prompt_tokens': 900, 'completion_tokens': 80, 'created_at': day}
            record_generation(session, mailable, data)
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert run_once(now) == 2 and run_once(now) == 0  # January's invoice is not announced, nothing twice
    with db.session_scope() as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == 'INV-2026-02')).one()
    message, low = sorted(smtp.messages, key=lambda m: m['Subject'])
    assert message['Subject'] == 'Invoice INV-2026-02 for February 2026'
    assert low['Subject'].startswith('Low balance: -$')  # no top-up: the balance is below zero
    assert [a.get_content() for a in message.iter_attachments()] == [invoice_pdf(invoice)]
    assert [n.title for n in _notifications('invoice')] == [message['Subject']]


@pytest.fixture
def _app_database(database_url, monkeypatch):
    monkeypatch.setenv('LOWROUTER_DEMO', 'false')


@pytest.fixture
def api(_app_database, user):
    """The real app in-process over HTTP (NiceGUI's user fixture), on this test's database."""
    return user.http_client


async def test_the_weekly_verdict_is_the_panel_and_api_sentence_for_that_week(smtp, api):
    now = utcnow()
    small, large = 'meta-llama/llama-3.1-8b-instruct', 'meta-llama/llama-3.1-405b-instruct'
    with db.session_scope() as session:
        account = create_account(session, name='Week Co', timezone='Europe/Paris')
        account.email, account.eco_baseline_model = 'ops@example.com', large
        week = last_week(account.timezone, now)
        offer = get_catalog().offers_for(small)[0]
        moments = [week.start + timedelta(hours=5 * i + 1) for i in range(30)] + [week.start - timedelta(hours=3)]
        for i, moment in enumerate(moments):
            data = {'model': small, 'provider': offer.provider, 'region': offer.region, 'created_at': moment}
            record_generation(session, account, data | {'prompt_tokens': 800 + i, 'completion_tokens': 300})
        secret = create_key(session, account, name='read', scopes=['read']).secret
    with db.session_scope() as session:
        assert outbox.weekly_summary(session, session.get(Account, account.id), now=now)
    assert outbox.deliver_due() == 1
    [message] = smtp.messages
    text, html = (message.get_body((kind,)).get_content().replace('\r\n', '\n') for kind in ('plain', 'html'))

    with db.session_scope() as session:
        impact = eco_impact(session, session.get(Account, account.id), since=week.start, until=week.end)
        columns = ('carbon_g_low', 'carbon_g', 'carbon_g_high', 'embodied_g')
        count, *stored = session.exec(
            select(func.count(), *(func.sum(getattr(Generation, c)) for c in columns)).where(
                Generation.account_id == account.id,
                Generation.created_at >= week.start,
                Generation.created_at < week.end,
            )
        ).one()
    low, value, high, embodied = (float(v) for v in stored)
    sentence = verdict_sentence(impact.comparison)
    assert count == impact.requests == 30 and sentence == impact.summary and sentence.startswith('You saved ')
    assert (impact.carbon_g.low, impact.carbon_g.value, impact.carbon_g.high) == pytest.approx((low, value, high))
    assert impact.embodied_g.value == pytest.approx(embodied) and 0 < embodied < value

    unit = carbon_unit([low, value, high])
    carbon = f'{carbon_text(value, unit)} ({carbon_range_text(low, high, unit)}), +'  # then the change in %
    assert f'\nCarbon{" " * 18}{carbon}' in text  # labels padded to 'of which manufacturing', 22 characters
    assert f'\nof which manufacturing  {carbon_text(embodied, unit)}\n' in text
    assert f'\n\nCompared with Llama 3.1 405B Instruct\n{sentence}\n' in text
    assert f'>{escape(carbon)}' in html and f'<p style="margin:0 0 12px">{escape(sentence)}</p>' in html
    assert '>Compared with Llama 3.1 405B Instruct</h2>' in html

    # the API's window of `days` days ending today starts on the week's Monday and holds no later usage
    days = (local(now, account.timezone).date() - local(week.start, account.timezone).date()).days + 1
    response = await api.get(f'/api/v1/eco?days={days}', headers={'Authorization': f'Bearer {secret}'})
    assert response.status_code == 200
    body = response.json()
    assert body['since'] == week.start.isoformat() and body['requests'] == 30
    assert body['baseline']['model'] == large and body['summary'] == sentence
    assert body['carbon_g'] == pytest.approx(impact.carbon_g.as_dict(), rel=1e-12)
