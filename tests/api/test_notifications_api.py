"""Notifications over HTTP, with real keys: the bell's list and the preferences of Settings → Notifications,
through the same services, checked against the database."""

from sqlmodel import select

from services import db
from services.account.accounts import create_account
from services.models import Account, Notification
from services.notifications.inbox import latest, prefs, unread
from services.notifications.queue import queue

LIST = '/api/v1/notifications'
PREFS = '/api/v1/notifications/preferences'


def _queue(account_id: int, count: int, tag: str = 'n') -> None:
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        for i in range(count):
            kind = ('receipt', 'low_balance', 'invoice')[i % 3]
            queue(session, account, kind=kind, title=f'{tag} {i}', body=f'body {i}', link='/credits',
                  dedupe_key=f'{tag}-{i}')  # fmt: skip


def _rows(account_id: int) -> list[Notification]:
    with db.read_scope() as session:
        query = select(Notification).where(Notification.account_id == account_id).order_by(Notification.id)
        return list(session.exec(query))


def _account(account_id: int) -> Account:
    with db.read_scope() as session:
        return session.get(Account, account_id)


async def test_the_bell_list_newest_first_with_the_unread_count(api, make_key, account_id):
    read = make_key('read')
    empty = await api.get(LIST, headers=read)
    assert empty.status_code == 200 and empty.json() == {'items': [], 'unread': 0}
    _queue(account_id, 12)
    answer = (await api.get(LIST, headers=read)).json()
    with db.read_scope() as session:
        shown = latest(session, account_id)  # what the bell shows: the latest 10
        assert answer['unread'] == unread(session, account_id) == 12
    assert [item['id'] for item in answer['items']] == [n.id for n in shown]
    assert len(answer['items']) == 10 and answer['items'][0]['title'] == 'n 11'
    first = answer['items'][0]
    assert first['kind'] == 'invoice' and first['body'] == 'body 11' and first['link'] == '/credits'
    assert first['read'] is False and first['read_at'] is None and first['created_at'].endswith('Z')
    every = (await api.get(LIST, params={'limit': 100}, headers=read)).json()
    assert [item['title'] for item in every['items']] == [f'n {i}' for i in range(11, -1, -1)]
    assert [i['id'] for i in (await api.get(LIST, params={'limit': 3}, headers=read)).json()['items']] == [
        n.id for n in shown[:3]
    ]
    for limit in (0, 101, 'ten'):
        bad = await api.get(LIST, params={'limit': limit}, headers=read)
        assert bad.status_code == 422 and bad.json()['error']['message'].startswith('limit: ')


async def test_mark_one_and_all_read(api, make_key, account_id):
    read, manage = make_key('read'), make_key('manage')
    _queue(account_id, 4)
    rows = _rows(account_id)
    target = rows[1]
    answer = await api.post(f'{LIST}/{target.id}/read', headers=manage)
    assert answer.status_code == 200, answer.text
    stored = next(n for n in _rows(account_id) if n.id == target.id)
    assert stored.read_at is not None and answer.json()['read'] is True
    assert answer.json()['read_at'] == stored.read_at.isoformat().replace('+00:00', 'Z')
    assert sum(n.read_at is None for n in _rows(account_id)) == 3
    assert (await api.get(LIST, headers=read)).json()['unread'] == 3
    again = await api.post(f'{LIST}/{target.id}/read', headers=manage)
    assert again.json()['read_at'] == answer.json()['read_at']  # marked once; a second time changes nothing

    everything = await api.post(f'{LIST}/read-all', headers=manage)
    assert everything.status_code == 200 and everything.json() == {'marked': 3, 'unread': 0}
    assert all(n.read_at is not None for n in _rows(account_id))
    listed = (await api.get(LIST, headers=read)).json()
    assert listed['unread'] == 0 and all(item['read'] for item in listed['items'])
    assert (await api.post(f'{LIST}/read-all', headers=manage)).json() == {'marked': 0, 'unread': 0}


async def test_marking_is_refused_for_other_accounts_unknown_ids_and_read_keys(api, make_key, account_id):
    manage, read = make_key('manage'), make_key('read')
    with db.session_scope() as session:
        other = create_account(session, name='Other Co').id
    _queue(other, 1, 'theirs')
    _queue(account_id, 1, 'ours')
    theirs, ours = _rows(other)[0], _rows(account_id)[0]
    for url in (f'{LIST}/{theirs.id}/read', f'{LIST}/999999/read'):
        answer = await api.post(url, headers=manage)
        assert answer.status_code == 404 and answer.json()['error']['code'] == 'not_found', url
    assert (await api.post(f'{LIST}/0/read', headers=manage)).status_code == 422
    assert (await api.post(f'{LIST}/{ours.id}/read', headers=read)).status_code == 403
    assert (await api.post(f'{LIST}/read-all', headers=read)).status_code == 403
    assert (await api.get(LIST)).status_code == 401
    assert (await api.get(LIST, headers=make_key('inference'))).status_code == 403
    assert _rows(other)[0].read_at is None and _rows(account_id)[0].read_at is None


async def test_read_and_change_the_preferences(api, make_key, account_id):
    read, manage = make_key('read'), make_key('manage')
    answer = await api.get(PREFS, headers=read)
    assert answer.status_code == 200
    assert answer.json() == prefs(_account(account_id)) | {
        'low_balance_threshold': '5.000000',
        'currency': 'USD',
        'email': None,
        'email_delivery': False,
    }
    changed = await api.put(
        PREFS, json={'weekly_summary': False, 'receipts_email': False, 'low_balance_threshold': '12.50'}, headers=manage
    )
    assert changed.status_code == 200, changed.text
    account = _account(account_id)
    assert prefs(account) == {
        'low_balance': True,
        'receipts_email': False,
        'invoice_email': True,
        'weekly_summary': False,
        'key_limit_alerts': True,
    }
    assert account.low_balance_threshold_micros == 12_500_000
    assert changed.json()['low_balance_threshold'] == '12.500000'
    assert changed.json() == (await api.get(PREFS, headers=read)).json()
    off = await api.put(PREFS, json={'low_balance_threshold': '0'}, headers=manage)
    assert off.json()['low_balance_threshold'] == '0.000000' and off.json()['weekly_summary'] is False
    assert (await api.put(PREFS, json={}, headers=manage)).json() == off.json()


async def test_bad_preferences_are_refused_field_first_and_write_nothing(api, make_key, account_id):
    manage = make_key('manage')
    before = _account(account_id)
    for body, start in (
        ({'weekly_summary': 'no'}, 'weekly_summary: '),
        ({'weekly_summary': 0}, 'weekly_summary: '),
        ({'weekly_summary': None}, 'weekly_summary: '),
        ({'low_balance_threshold': 5}, 'low_balance_threshold: give the amount as a decimal string'),
        ({'low_balance_threshold': None}, 'low_balance_threshold: '),
        ({'invoice_email': False, 'low_balance_threshold': '-1'}, 'low_balance_threshold: the threshold is 0'),
        ({'invoice_email': False, 'low_balance_threshold': '1.001'}, 'low_balance_threshold: USD amounts have at'),
        ({'invoice_email': False, 'low_balance_threshold': 'lots'}, 'low_balance_threshold: give an amount'),
        ({'invoice_email': False, 'low_balance_threshold': ''}, 'low_balance_threshold: give an amount'),
        ({'invoice_email': False, 'low_balance_threshold': '2000000'}, 'low_balance_threshold: at most'),
        ({'invoice_email': False, 'sms': True}, 'sms: unknown field'),
    ):
        answer = await api.put(PREFS, json=body, headers=manage)
        assert answer.status_code == 422, (body, answer.text)
        error = answer.json()['error']
        assert error['code'] == 'invalid' and error['message'].startswith(start), (body, error)
    refused = await api.put(PREFS, json={'invoice_email': False}, headers=make_key('read'))
    assert refused.status_code == 403
    after = _account(account_id)
    assert after.notification_prefs == before.notification_prefs
    assert after.low_balance_threshold_micros == before.low_balance_threshold_micros == 5_000_000
    assert (await api.get(PREFS)).status_code == 401
