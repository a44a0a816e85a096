"""E-mail: SMTP settings from the environment, composing messages (text + HTML) and sending them.

LOWROUTER_SMTP_HOST (unset: no e-mail at all), LOWROUTER_SMTP_PORT (587), LOWROUTER_SMTP_USER,
LOWROUTER_SMTP_PASSWORD, LOWROUTER_SMTP_FROM and LOWROUTER_SMTP_SECURITY (starttls | ssl | none).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from services import locales
from services.catalog import display_name
from services.models import Account, ApiKey, Invoice, Receipt
from services.money import format_money, format_total
from services.timeutil import format_local, local
from services.units import carbon_range_text, carbon_text, carbon_unit, count_text, tokens_text

if TYPE_CHECKING:
    from services.eco.impact import EcoImpact

log = logging.getLogger('lowrouter')

SECURITY = ('starttls', 'ssl', 'none')
DEFAULT_FROM = 'lowrouter <no-reply@lowrouter.local>'
TIMEOUT = 30.0  # seconds per SMTP operation: far below the outbox lease


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str | None = None
    password: str | None = None
    sender: str = DEFAULT_FROM
    security: str = 'starttls'

    def describe(self) -> str:
        return f'{self.host}:{self.port} ({self.security})'


def smtp_settings() -> SmtpSettings | None:
    """The SMTP server from the environment, or None when LOWROUTER_SMTP_HOST is not set."""
    host = os.environ.get('LOWROUTER_SMTP_HOST', '').strip()
    if not host:
        return None
    security = os.environ.get('LOWROUTER_SMTP_SECURITY', 'starttls').strip().lower() or 'starttls'
    if security not in SECURITY:
        log.warning('LOWROUTER_SMTP_SECURITY=%r is not one of %s: using starttls', security, ', '.join(SECURITY))
        security = 'starttls'
    port_text = os.environ.get('LOWROUTER_SMTP_PORT', '').strip()
    default_port = 465 if security == 'ssl' else 587
    try:
        port = int(port_text) if port_text else default_port
    except ValueError:
        log.warning('LOWROUTER_SMTP_PORT=%r is not a number: using %d', port_text, default_port)
        port = default_port
    return SmtpSettings(
        host=host,
        port=port,
        user=os.environ.get('LOWROUTER_SMTP_USER') or None,
        password=os.environ.get('LOWROUTER_SMTP_PASSWORD') or None,
        sender=os.environ.get('LOWROUTER_SMTP_FROM', '').strip() or DEFAULT_FROM,
        security=security,
    )


@dataclass(frozen=True)
class Content:
    subject: str
    text: str
    html: str
    title: str = ''  # for the bell, when shorter than the subject

    @property
    def bell_title(self) -> str:
        return (self.title or self.subject)[:200]


def compose(
    subject: str,
    heading: str,
    paragraphs: list[str],
    rows: Sequence[tuple[str, str]] = (),
    sections: Sequence[tuple[str, list[str]]] = (),
) -> Content:
    """One message in plain text and HTML: a heading, paragraphs, an optional two-column table and, after it,
    optional sections (a title and its paragraphs)."""
    width = max((len(label) for label, _ in rows), default=0)
    text = '\n\n'.join([heading, *paragraphs])
    if rows:
        text += '\n\n' + '\n'.join(f'{label.ljust(width)}  {value}' for label, value in rows)
    for title, section in sections:
        text += '\n\n' + '\n'.join([title, *section])
    text += '\n\n-- \nlowrouter · change what you receive in Settings > Notifications\n'
    table = ''
    if rows:
        cells = ''.join(
            f'<tr><td style="padding:4px 16px 4px 0;color:#667085">{escape(label)}</td>'
            f'<td style="padding:4px 0;font-weight:600">{escape(value)}</td></tr>'
            for label, value in rows
        )
        table = f'<table style="border-collapse:collapse;margin:12px 0">{cells}</table>'
    body = ''.join(f'<p style="margin:0 0 12px">{escape(p)}</p>' for p in paragraphs)
    table += ''.join(
        f'<h2 style="font-size:16px;margin:20px 0 8px">{escape(title)}</h2>'
        + ''.join(f'<p style="margin:0 0 12px">{escape(p)}</p>' for p in section)
        for title, section in sections
    )
    html = (
        '<!doctype html><html><body style="margin:0;background:#f4f6f5;font-family:Helvetica,Arial,sans-serif;'
        'color:#1d2939">'
        '<div style="max-width:560px;margin:0 auto;padding:24px">'
        '<div style="color:#17563e;font-weight:700;font-size:18px;margin-bottom:16px">lowrouter</div>'
        '<div style="background:#ffffff;border-radius:12px;padding:24px">'
        f'<h1 style="font-size:20px;margin:0 0 16px">{escape(heading)}</h1>{body}{table}</div>'
        '<p style="font-size:12px;color:#667085;margin-top:16px">'
        'Change what you receive in Settings &gt; Notifications.</p>'
        '</div></body></html>'
    )
    return Content(subject, text, html)


def message_id(outbox_id: int, account_id: int) -> str:
    """The same Message-ID for every attempt of one outbox row, so a receiving server can drop a duplicate."""
    return f'<outbox-{outbox_id}.{account_id}@lowrouter.local>'


def build_message(
    settings: SmtpSettings,
    *,
    outbox_id: int,
    account_id: int,
    to: str,
    subject: str,
    text: str,
    html: str,
    created_at: datetime,
    attachment: tuple[str, bytes] | None = None,
) -> EmailMessage:
    """multipart/alternative (text, HTML), inside multipart/mixed with the PDF when there is one."""
    message = EmailMessage()
    message['Subject'] = subject
    message['From'] = settings.sender
    message['To'] = to
    message['Date'] = format_datetime(created_at)
    message['Message-ID'] = message_id(outbox_id, account_id)
    message.set_content(text)
    message.add_alternative(html, subtype='html')
    if attachment is not None:
        filename, data = attachment
        message.add_attachment(data, maintype='application', subtype='pdf', filename=filename)
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server; raises (smtplib.SMTPException, OSError) when it is not accepted."""
    context = ssl.create_default_context()
    if settings.security == 'ssl':
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
    with client:
        if settings.security == 'starttls':
            client.starttls(context=context)
        if settings.user:
            client.login(settings.user, settings.password or '')
        client.send_message(message)


@dataclass(frozen=True)
class Week:
    label: str  # ISO week, e.g. '2026-W47'
    start: datetime
    end: datetime
    before: tuple[datetime, datetime]  # the week before it


@dataclass(frozen=True)
class WeekStats:
    requests: int
    tokens: int
    cost_micros: int
    carbon_g: float
    top_models: list[tuple[str, int, int]]  # (model, tokens, cost), most tokens first


def last_week(zone: str, now: datetime) -> Week:
    """The last complete ISO week (Monday 00:00 to Monday 00:00 in `zone`) and the week before it, in UTC."""
    today = now.astimezone(ZoneInfo(zone)).date()
    monday = today - timedelta(days=today.weekday())
    start, end, earlier = (
        datetime.combine(day, datetime.min.time(), ZoneInfo(zone)).astimezone(UTC)
        for day in (monday - timedelta(days=7), monday, monday - timedelta(days=14))
    )
    year, week, _ = (monday - timedelta(days=7)).isocalendar()
    return Week(f'{year}-W{week:02d}', start, end, (earlier, start))


def receipt_content(account: Account, receipt: Receipt) -> tuple[Content, str]:
    loc = locales.of(account)
    amount = format_money(receipt.amount_micros, receipt.currency, locale=loc)
    body = f'{amount} was added to your balance. The receipt is on the Credits page.'
    rows = [
        ('Receipt', receipt.number),
        ('Date', f'{format_local(receipt.issued_at, account.timezone)} ({account.timezone})'),
        ('Amount', amount),
        ('Method', (receipt.method or 'manual').replace('_', ' ')),
    ]
    if receipt.reference:
        rows.append(('Reference', receipt.reference))
    paragraphs = [f'Thank you: {amount} was added to your lowrouter balance.', 'The receipt is attached as PDF.']
    return compose(f'Receipt {receipt.number}: {amount} added', f'Receipt {receipt.number}', paragraphs, rows), body


def invoice_content(account: Account, invoice: Invoice) -> tuple[Content, str]:
    loc = locales.of(account)
    month = local(invoice.period_start, account.timezone).strftime('%B %Y')
    total = format_money(invoice.total_micros, invoice.currency, locale=loc)
    body = f'Your invoice for {month} is ready: {total} of usage.'
    closing = (invoice.snapshot or {}).get('closing_micros')
    rows = [('Invoice', invoice.number), ('Period', month), ('Usage', total)]
    if closing is not None:
        rows.append(('Balance at the end of the month', format_money(closing, invoice.currency, locale=loc)))
    paragraphs = [body, 'The invoice is attached as PDF; it is also on the Invoices page and never changes.']
    return compose(f'Invoice {invoice.number} for {month}', f'Invoice for {month}', paragraphs, rows), body


def low_balance_content(account: Account, balance_micros: int) -> Content:
    loc = locales.of(account)
    balance = format_money(balance_micros, account.currency, locale=loc)
    threshold = format_money(account.low_balance_threshold_micros, account.currency, locale=loc)
    paragraphs = [
        f'Your lowrouter balance is {balance}, below your alert threshold of {threshold}.',
        'Top up on the Credits page to keep your balance positive. You get this e-mail once each time the '
        'balance drops below the threshold.',
    ]
    return compose(f'Low balance: {balance} left', 'Your balance is low', paragraphs)


def key_limit_content(
    account: Account, key: ApiKey, used_micros: int, percent: int, now: datetime
) -> tuple[Content, str, str]:
    """The alert for `key` at `percent` of its monthly limit, its bell text and the month ('YYYY-MM')."""
    here, loc = local(now, account.timezone), locales.of(account)
    used = format_money(used_micros, account.currency, locale=loc)
    limit = format_money(key.spend_limit_micros, account.currency, locale=loc)
    body = f'{used} of its {limit} limit spent in {here:%B}.'
    if percent >= 100:
        body += ' Requests with this key are refused until the month ends or you raise its limit.'
    else:
        body += ' At 100 % requests with this key are refused.'
    subject = f'Key "{key.name}" reached {percent} % of its monthly limit'
    content = compose(subject, subject, [f'The key "{key.name}" ({key.prefix}…) has used ' + body])
    return content, body, f'{here:%Y-%m}'


def summary_content(
    account: Account, week: Week, this: WeekStats, before: WeekStats, impact: EcoImpact | None = None
) -> tuple[Content, str]:
    """The weekly summary. With `impact` (eco_impact of exactly this week against the account's baseline) the
    carbon row carries its range and manufacturing part, and a section after the table the verdict sentence
    the dashboard and the API give for that window."""
    zone, currency, loc = account.timezone, account.currency, locales.of(account)
    first, last = local(week.start, zone), local(week.end, zone) - timedelta(days=1)
    cost = _money(this.cost_micros, currency, loc)
    carbon = impact.carbon_g.value if impact is not None else this.carbon_g
    rows = [
        ('Requests', f'{count_text(this.requests, loc)}{_change(this.requests, before.requests)}'),
        ('Tokens', f'{count_text(this.tokens, loc)}{_change(this.tokens, before.tokens)}'),
        ('Cost', f'{cost}{_change(this.cost_micros, before.cost_micros)}'),
    ]
    sections = []
    if impact is None:
        rows.append(('Carbon', f'{carbon_text(carbon, locale=loc)}{_change(carbon, before.carbon_g)}'))
    else:
        rows += _carbon_rows(impact, before.carbon_g, loc)
        if impact.requests:
            sections.append(_comparison_section(impact))
    rows += [
        (
            f'Top model {rank}',
            f'{display_name(model)}: {count_text(tokens, loc)} tokens, {_money(micros, currency, loc)}',
        )
        for rank, (model, tokens, micros) in enumerate(this.top_models, 1)
    ]
    span = f'{first:%b} {first.day} to {last:%b} {last.day}'
    paragraphs = [f'What your account used from {span} ({zone}), compared with the week before.']
    body = f'{tokens_text(this.tokens, locale=loc)} tokens, {cost}, {carbon_text(carbon, locale=loc)}.'
    if before.cost_micros:
        body += f' Cost {_change(this.cost_micros, before.cost_micros).strip(" ()")}.'
    if this.top_models:
        body += f' Top model: {display_name(this.top_models[0][0])}.'
    heading = f'Your week {week.label}'
    subject = f'{heading}: {tokens_text(this.tokens, locale=loc)} tokens, {cost}'
    content = compose(subject, heading, paragraphs, rows, sections)
    return Content(content.subject, content.text, content.html, f'{heading} ({span})'), body


def _carbon_rows(impact: EcoImpact, before_g: float, loc: str) -> list[tuple[str, str]]:
    """'1.2 kg CO2e (0.40–3.1 kg CO2e), +12 % vs the week before' and its manufacturing part, in one unit."""
    carbon, embodied = impact.carbon_g, impact.embodied_g
    unit = carbon_unit([carbon.low, carbon.value, carbon.high])
    figure = carbon_text(carbon.value, unit, locale=loc)
    if carbon.high > carbon.low:
        figure += f' ({carbon_range_text(carbon.low, carbon.high, unit, locale=loc)})'
    change = _change(carbon.value, before_g).strip(' ()')
    rows = [('Carbon', f'{figure}, {change}' if change else figure)]
    if embodied.value > 0:
        rows.append(('of which manufacturing', carbon_text(embodied.value, unit, locale=loc)))
    return rows


def _comparison_section(impact: EcoImpact) -> tuple[str, list[str]]:
    """'Compared with {baseline}': the verdict sentence of the panel and the API (`EcoImpact.summary`, which is
    `verdict_sentence` of the comparison whenever any of the week can be compared)."""
    name = impact.comparison.baseline_name
    note = f'Estimates, for the same requests sent to {name}, your baseline model (change it in Settings).'
    if impact.reduced_confidence:
        note += ' Reduced confidence: the Eco impact panel on the dashboard says why.'
    return f'Compared with {name}', [impact.summary, note]


def _change(now: float, before: float) -> str:
    if not before:
        return ' (none the week before)' if now else ''
    percent = (now - before) * 100 / before
    return ' (same as the week before)' if abs(percent) < 0.5 else f' ({percent:+.0f} % vs the week before)'


def _money(micros: int, currency: str, loc: str) -> str:
    return format_total(micros, currency, locale=loc)  # a week's spend: '< $0.01' rather than '$0.00'
