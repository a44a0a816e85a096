import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services import db
from services.keys.api_keys import (
    KeyInputError,
    authenticate,
    bulk_update,
    create_key,
    key_status,
    rotate_key,
    update_key,
)

ROOT = Path(__file__).resolve().parents[2]


def test_bulk_actions_change_every_selected_key(session, account):
    keys = [create_key(session, account, name=f'k{i}', scopes=['read']).key for i in range(3)]
    assert bulk_update(session, account, [keys[0].id, keys[1].id], 'add_scope', 'manage') == 2
    assert [k.scopes for k in keys] == [['read', 'manage'], ['read', 'manage'], ['read']]
    bulk_update(session, account, [keys[0].id, keys[1].id], 'set_limit', '12.50')
    assert keys[0].spend_limit_micros == keys[1].spend_limit_micros == 12_500_000
    bulk_update(session, account, [k.id for k in keys], 'revoke')
    assert {key_status(k) for k in keys} == {'revoked'}


def test_a_bulk_action_that_would_leave_a_key_without_scopes_is_refused(session, account):
    lone = create_key(session, account, name='lone', scopes=['read']).key
    with pytest.raises(KeyInputError, match='without any scope'):
        bulk_update(session, account, [lone.id], 'remove_scope', 'read')


def test_grace_period_ends(session, account):
    new = create_key(session, account, name='app', scopes=['read'])
    rotated = rotate_key(session, account, new.key.id, grace='24h')
    later = datetime.now(UTC) + timedelta(hours=25)
    assert authenticate(session, new.secret) is not None
    assert authenticate(session, new.secret, now=later) is None
    assert authenticate(session, rotated.secret, now=later).id == new.key.id


def test_update_validates_and_keeps_what_is_not_given(session, account):
    key = create_key(session, account, name='app', scopes=['read', 'ingest'], spend_limit='10').key
    update_key(session, account, key.id, name='renamed')
    assert (key.name, key.scopes, key.spend_limit_micros) == ('renamed', ['ingest', 'read'], 10_000_000)
    for bad in (
        {'scopes': ['root']},
        {'spend_limit': '-1'},
        {'allowed_models': ['x/y']},
        {'expires_at': datetime(2020, 1, 1, tzinfo=UTC)},
    ):
        with pytest.raises(KeyInputError):
            update_key(session, account, key.id, **bad)


def test_create_key_from_the_command_line(tmp_path, database_url):
    result = subprocess.run(
        [sys.executable, 'app.py', 'create-key', '--name', 'ci', '--scopes', 'ingest,read', '--db', database_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={'PATH': '/usr/bin:/bin', 'LOWROUTER_DEMO': 'false'},
    )
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip().splitlines()[-1]
    db.init_db(database_url)
    with db.session_scope() as session:
        key = authenticate(session, secret)
        assert key.name == 'ci' and key.scopes == ['ingest', 'read']


def test_a_refused_bulk_action_changes_nothing_even_if_the_caller_commits(session, account):
    from services.keys.api_keys import revoke_key

    active = create_key(session, account, name='active', scopes=['read']).key
    revoked = create_key(session, account, name='gone', scopes=['read']).key
    revoke_key(session, account, revoked.id)
    with pytest.raises(KeyInputError, match='revoked'):
        bulk_update(session, account, [active.id, revoked.id], 'add_scope', 'manage')
    session.commit()
    session.refresh(active)
    assert active.scopes == ['read']


def test_a_limit_that_is_not_a_number_is_a_clear_error(session, account):
    for limit in ('abc', 'NaN', '1,000'):
        with pytest.raises(KeyInputError, match='spend_limit'):
            create_key(session, account, name='x', scopes=['read'], spend_limit=limit)
