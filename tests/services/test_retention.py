"""Retention: pruning deletes exactly the raw generations before the cutoff and no total moves by a micro-unit."""

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from services import db
from services.billing.invoices import build_snapshot, current_draft, invoices, month_bounds
from services.billing.ledger import credit_balance
from services.catalog import get_catalog
from services.eco.impact import eco_impact
from services.models import Account, Generation, UsageHour, utcnow
from services.usage.dashboard import top_models, usage_today
from services.usage.generation_ids import new_generation_id
from services.usage.report import usage_grouped
from services.usage.retention import (
    MAX_DAYS,
    RetentionError,
    cutoff_for,
    prune,
    prune_all,
    retention_status,
    set_retention,
    was_pruned,
)
from services.usage.totals import spent_this_month
from tests.services.test_query_plans import _full_scan, _plan, _statements_of
from tests.support import factories

NOW = utcnow()
CUTOFF = cutoff_for(30, NOW)


def _seed(session, account: Account, *, days: int = 80, step_hours: int = 7) -> list[datetime]:
    """Generations every few hours over `days` days, three on the cutoff's edges, and top-ups along the way."""
    offers = get_catalog().offers
    moments = [NOW - timedelta(hours=h, minutes=13) for h in range(0, days * 24, step_hours)]
    moments += [CUTOFF - timedelta(seconds=1), CUTOFF, CUTOFF + timedelta(minutes=1)]
    for i, moment in enumerate(moments):
        factories.generation(
            account,
            session=session,
            offer=offers[i % 6],
            prompt_tokens=900 + 37 * i,
            completion_tokens=120 + 11 * i,
            latency_ms=800 + i,
            created_at=moment,
        )
    for n, days_ago in enumerate((75, 40, 3)):
        at = NOW - timedelta(days=days_ago)
        factories.top_up(account, f'{20 + n}.50', session=session, idempotency_key=f'{account.id}-{n}', at=at)
    factories.invoices(account, session=session, now=NOW)
    session.commit()
    return moments


def _figures(session, account: Account) -> dict:
    """Every total a page, a report or an invoice shows, computed by the services themselves."""
    months = {(d.year, d.month) for d in (NOW - timedelta(days=n) for n in range(0, 85, 5))}
    draft = current_draft(session, account, now=NOW)
    return _rounded(
        {
            'draft': (draft.total_micros, draft.snapshot),
            'balance': credit_balance(session, account),
            'spent_this_month': spent_this_month(session, account, now=NOW),
            'usage_today': asdict(usage_today(session, account, now=NOW)),
            'top_models_30': asdict(top_models(session, account, now=NOW)),
            'top_models_90': asdict(top_models(session, account, days=90, now=NOW)),
            'eco_30': asdict(eco_impact(session, account, now=NOW)),
            'eco_90': asdict(eco_impact(session, account, days=90, now=NOW)),
            'by_day': usage_grouped(session, account, 'day'),
            'by_model': usage_grouped(session, account, 'model'),
            'snapshots': [
                build_snapshot(session, account, *month_bounds(account.timezone, y, m)) for y, m in sorted(months)
            ],
            'invoices': [(i.number, i.status, i.total_micros, i.snapshot) for i in invoices(session, account, now=NOW)],
            'usage_hour': sorted(
                tuple(row.model_dump(exclude={'id'}).values())
                for row in session.exec(select(UsageHour).where(UsageHour.account_id == account.id))
            ),
        }
    )


def _rounded(value):
    """Floats to 12 significant digits: PostgreSQL adds floats in whatever order its plan takes, so a sum over
    other buckets may differ in the last bit. Money is integer and compared exactly."""
    if isinstance(value, float):
        return float(f'{value:.12g}')
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return (
            type(value)(_rounded(v) for v in value)
            if not hasattr(value, '_fields')
            else type(value)(*map(_rounded, value))
        )
    return value


def _stored(session, account_id: int) -> list[datetime]:
    return sorted(session.exec(select(Generation.created_at).where(Generation.account_id == account_id)))


def test_prune_deletes_exactly_the_rows_before_the_cutoff_and_every_total_stays(session, account):
    moments = _seed(session, account)
    other = factories.account(session=session, name='Other Ltd', currency='EUR')  # same old data, no retention
    other_moments = _seed(session, other, days=40, step_hours=11)
    before, before_other = _figures(session, account), _figures(session, other)
    assert before['balance'] != 0 and before['top_models_90']['requests'] > before['top_models_30']['requests']
    assert len(before['invoices']) >= 2
    set_retention(session, account, 30)
    session.commit()
    assert retention_status(session, account, now=NOW).awaiting_pruning == sum(m < CUTOFF for m in moments)

    deleted = prune(session, account, now=NOW, batch=17)

    expected = sorted(m for m in moments if m >= CUTOFF)
    assert deleted == len(moments) - len(expected) > 50
    assert _stored(session, account.id) == expected  # the row at the cutoff itself stays, the one a second before goes
    assert _stored(session, other.id) == sorted(other_moments)
    assert _figures(session, account) == before
    assert _figures(session, other) == before_other
    status = retention_status(session, account, now=NOW)
    assert (status.pruned_before, status.pruned_at, status.pruned_generations) == (CUTOFF, NOW, deleted)
    assert status.awaiting_pruning == 0


def test_only_the_accounts_own_generations_are_deleted(session, account):
    _seed(session, account, days=40, step_hours=13)
    other = factories.account(session=session, name='Other Ltd')
    other_moments = _seed(session, other, days=40, step_hours=13)
    set_retention(session, account, 30)
    set_retention(session, other, 30)  # has retention too, but only `account` is pruned here
    session.commit()
    assert prune(session, account, now=NOW) > 0
    assert _stored(session, other.id) == sorted(other_moments)
    assert session.get(Account, other.id).pruned_at is None


def test_deletes_in_batches_through_the_account_created_index(session, account):
    for _ in range(12):
        factories.generation(account, session=session, prompt_tokens=10, completion_tokens=5)
        session.exec(select(Generation)).all()  # (loads rows into the session: pruning must forget them too)
    session.execute(Generation.__table__.update().values(created_at=NOW - timedelta(days=40)))
    set_retention(session, account, 30)
    session.commit()
    statements = _statements_of(session, lambda: prune(session, account, now=NOW, batch=5))
    deletes = [s for s, _ in statements if s.lstrip().upper().startswith('DELETE FROM GENERATION')]
    assert len(deletes) == 3  # 5 + 5 + 2, each in its own transaction
    selects = [(s, p) for s, p in statements if s.lstrip().upper().startswith('SELECT GENERATION.ID')]
    dialect = session.get_bind().dialect.name
    for statement, parameters in selects:
        assert not _full_scan(dialect, _plan(session, dialect, statement, parameters)), statement
    assert session.exec(select(func.count()).select_from(Generation)).one() == 0
    assert session.exec(select(Generation)).all() == []


def test_prune_all_prunes_every_account_with_retention_and_is_idempotent(session, account):
    _seed(session, account, days=40, step_hours=9)
    keeper = factories.account(session=session, name='Keeps everything')
    keeper_moments = _seed(session, keeper, days=40, step_hours=9)
    set_retention(session, account, 30)
    session.commit()
    first = prune_all(now=NOW)
    assert [(r.account_id, r.retention_days, r.pruned_before) for r in first] == [(account.id, 30, CUTOFF)]
    assert first[0].deleted > 0
    again = prune_all(now=NOW.replace(minute=59, second=59))  # later, within the same hour: the same cutoff
    assert again[0].deleted == 0 and again[0].pruned_before == CUTOFF
    with db.read_scope() as reader:
        assert len(_stored(reader, keeper.id)) == len(keeper_moments)
        assert reader.get(Account, keeper.id).pruned_before is None


def test_a_longer_retention_never_moves_pruned_before_back(session, account):
    _seed(session, account, days=40, step_hours=9)
    set_retention(session, account, 30)
    session.commit()
    prune(session, account, now=NOW)
    set_retention(session, account, 365)
    session.commit()
    late = factories.generation(
        account, session=session, prompt_tokens=1, completion_tokens=1, created_at=CUTOFF - timedelta(days=2)
    )
    session.commit()
    assert retention_status(session, account, now=NOW).awaiting_pruning == 0
    assert prune(session, account, now=NOW + timedelta(hours=1)) == 1  # the late arrival keeps pruned_before true
    assert session.get(Generation, late.id) is None
    assert session.get(Account, account.id).pruned_before == CUTOFF


@pytest.mark.parametrize('days', [0, -3, MAX_DAYS + 1, 1.5, 30.0, '30', True, [30]])
def test_invalid_retention_is_refused_and_nothing_is_written(session, account, days):
    set_retention(session, account, 90)
    session.commit()
    with pytest.raises(RetentionError) as error:
        set_retention(session, account, days)
    session.rollback()
    assert error.value.field == 'retention_days' and error.value.message
    assert session.get(Account, account.id).retention_days == 90


@pytest.mark.parametrize('days', [1, 30, MAX_DAYS, None])
def test_valid_retention_is_stored(session, account, days):
    set_retention(session, account, days)
    session.commit()
    session.expire_all()
    assert session.get(Account, account.id).retention_days == days


def test_the_cutoff_is_a_whole_utc_hour():
    moment = datetime(2026, 11, 20, 15, 37, 12, 345, tzinfo=UTC)
    assert cutoff_for(30, moment) == datetime(2026, 10, 21, 15, tzinfo=UTC)
    assert cutoff_for(1, moment) == datetime(2026, 11, 19, 15, tzinfo=UTC)


def test_was_pruned_only_for_ids_that_existed_when_pruning_ran(session, account):
    then = NOW - timedelta(days=40)
    old = factories.generation(account, session=session, prompt_tokens=5, completion_tokens=5, created_at=then)
    recent = factories.generation(account, session=session, prompt_tokens=5, completion_tokens=5)
    other = factories.account(session=session, name='Other Ltd')
    theirs = factories.generation(other, session=session, prompt_tokens=5, completion_tokens=5, created_at=then)
    set_retention(session, account, 30)
    session.commit()
    assert not was_pruned(account, old.id, session=session)  # no pruning has run yet
    ran_at = utcnow()
    prune(session, account, now=ran_at)
    account = session.get(Account, account.id)
    assert was_pruned(account, old.id, session=session)
    assert was_pruned(account, old.id)  # with its own read-only session
    assert not was_pruned(account, recent.id, session=session)  # still stored
    assert not was_pruned(account, theirs.id, session=session)  # stored, in another account
    assert not was_pruned(account, new_generation_id(now=ran_at + timedelta(seconds=1)), session=session)
    assert not was_pruned(account, 'gen-not-an-id', session=session)
    assert not was_pruned(account, 'req-42', session=session)
