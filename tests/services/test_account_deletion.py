import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlmodel import func, select

from services.account.accounts import create_account
from services.account.deletion import AccountDeletionError, delete_account
from services.account.export import build_export
from services.models import ACCOUNT_TABLES, Account, ApiKey, Invoice, Outbox, Receipt, utcnow
from services.timeutil import local
from tests.support import factories

MODELS = ('openai/gpt-4o-mini', 'mistral/mistral-small', 'openai/gpt-4o')


def _seed(session, account: Account, tag: str, generations: int) -> dict:
    """Rows of `account` in every table of ACCOUNT_TABLES, through the services where there is one."""
    new = factories.api_key(
        account, session=session, name=f'{tag} app', scopes=['inference', 'ingest'], spend_limit='25.00'
    )
    factories.api_key(account, session=session, name=f'{tag} reporting', scopes=['read'])
    now = utcnow()
    for i in range(generations):
        factories.generation(
            account,
            session=session,
            model=MODELS[i % 3],
            prompt_tokens=1000 + i,
            completion_tokens=300 + i,
            created_at=now - timedelta(days=45 if i % 2 else 0, minutes=i),  # last month too: an invoice
            api_key_id=new.key.id,
        )
    factories.top_up(account, '20.00', session=session, idempotency_key=f'{tag}-1')
    factories.top_up(account, '35.50', session=session, idempotency_key=f'{tag}-2')
    factories.invoices(account, session=session)
    factories.routing_policy(account, {'strategy': 'lowest_carbon', 'max_latency_ms': 4000}, session=session)
    factories.routing_policy(account, {'strategy': 'cheapest'}, session=session, key_id=new.key.id)
    factories.notification(account, session=session, body='Thanks', link='/credits', dedupe_key=f'{tag}-n')
    session.add(
        Outbox(
            account_id=account.id,
            kind='receipt',
            dedupe_key=f'{tag}-mail',
            to_address='ops@example.com',
            subject='Your receipt',
            text_body='Thanks',
            html_body='<p>Thanks</p>',
        )
    )
    session.commit()
    return {'secret': new.secret, 'hash': new.key.secret_hash}


def _counts(session, account_id: int) -> dict[str, int]:
    counts = {
        table.__tablename__: session.exec(
            select(func.count()).select_from(table).where(table.account_id == account_id)
        ).one()
        for table in ACCOUNT_TABLES
    }
    counts['account'] = session.exec(select(func.count()).select_from(Account).where(Account.id == account_id)).one()
    return counts


@pytest.fixture
def seeded(session, account):
    secrets = _seed(session, account, 'a', generations=6)
    other = create_account(session, name='Other Ltd', currency='EUR')
    _seed(session, other, 'b', generations=3)
    return account, other, secrets


def test_seed_has_rows_in_every_table(session, seeded):
    account, other, _ = seeded
    for owner in (account, other):
        assert all(_counts(session, owner.id).values()), _counts(session, owner.id)


def test_the_export_zip_holds_csv_pdfs_and_settings_without_secrets(session, seeded):
    account, _, secrets = seeded
    data = build_export(account.id)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[:3] == ['README.txt', 'settings.json', 'generations.csv']
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in archive.infolist())

    rows = list(csv.reader(io.StringIO(archive.read('generations.csv').decode())))
    assert rows[0][0] == 'id' and len(rows) == 1 + 6  # the other account's generations are not in it

    receipts = session.exec(select(Receipt).where(Receipt.account_id == account.id).order_by(Receipt.seq)).all()
    issued = session.exec(select(Invoice).where(Invoice.account_id == account.id)).all()
    assert {i.status for i in issued} == {'issued'}  # the export issued and stored nothing
    draft = local(utcnow(), account.timezone).strftime('DRAFT-%Y-%m')
    assert [n for n in names if n.startswith('receipts/')] == [f'receipts/{r.number}.pdf' for r in receipts]
    expected = sorted([f'invoices/{i.number}.pdf' for i in issued] + [f'invoices/{draft}.pdf'])
    assert sorted(n for n in names if n.startswith('invoices/')) == expected
    for name in names:
        if name.endswith('.pdf'):
            assert archive.read(name).startswith(b'%PDF'), name

    text = archive.read('settings.json').decode()
    settings = json.loads(text)
    assert secrets['hash'] not in text and secrets['secret'] not in text and 'secret_hash' not in text
    assert settings['account']['name'] == 'Test Account'
    assert (settings['account']['currency'], settings['account']['timezone']) == ('USD', 'Europe/Paris')
    assert settings['routing']['account_defaults']['strategy'] == 'lowest_carbon'
    assert [o['settings'] for o in settings['routing']['key_overrides']] == [{'strategy': 'cheapest'}]
    keys = session.exec(select(ApiKey).where(ApiKey.account_id == account.id).order_by(ApiKey.id)).all()
    assert [(k['name'], k['prefix'], k['scopes']) for k in settings['keys']] == [
        (k.name, k.prefix, k.scopes) for k in keys
    ]
    assert settings['keys'][0]['monthly_spend_limit'] == '25.000000'
    for blob in (archive.read(n) for n in names):
        assert secrets['hash'].encode() not in blob and secrets['secret'].encode() not in blob
    assert 'receipts/' in archive.read('README.txt').decode()


def test_the_export_lists_files_in_a_stable_order(seeded):
    account, _, _ = seeded
    first = zipfile.ZipFile(io.BytesIO(build_export(account.id))).namelist()
    assert zipfile.ZipFile(io.BytesIO(build_export(account.id))).namelist() == first


@pytest.mark.parametrize('typed', ['', 'test account', 'Test Account!', 'Other Ltd', None])
def test_a_wrong_name_deletes_nothing(session, seeded, typed):
    account, other, _ = seeded
    before = _counts(session, account.id), _counts(session, other.id)
    with pytest.raises(AccountDeletionError) as caught:
        delete_account(session, account.id, typed)
    assert caught.value.field == 'confirm_name' and 'Test Account' in caught.value.message
    session.commit()
    assert (_counts(session, account.id), _counts(session, other.id)) == before


def test_the_right_name_deletes_every_row_of_that_account_only(session, seeded):
    account, other, _ = seeded
    before, other_before = _counts(session, account.id), _counts(session, other.id)
    deleted = delete_account(session, account.id, '  Test Account ')
    session.commit()
    assert deleted == before
    assert set(_counts(session, account.id).values()) == {0}
    assert _counts(session, other.id) == other_before
    assert session.get(Account, account.id) is None


def test_the_deletion_is_the_callers_one_transaction(session, seeded):
    account, _, _ = seeded
    before = _counts(session, account.id)
    delete_account(session, account.id, 'Test Account')
    assert set(_counts(session, account.id).values()) == {0}
    session.rollback()
    assert _counts(session, account.id) == before


def test_an_unknown_account_is_refused(session, seeded):
    with pytest.raises(AccountDeletionError) as caught:
        delete_account(session, 9999, 'Test Account')
    assert caught.value.field == 'account'
