from services import auth


def test_wrong_passwords_lock_the_client_out_for_a_while(monkeypatch):
    monkeypatch.setenv('LOWROUTER_DASHBOARD_PASSWORD', 'right-password')
    auth.login_config.cache_clear()
    try:
        assert auth.login_config().enabled and auth.login_config().password_hash.startswith('$argon2')
        for i in range(auth.MAX_FAILURES):
            assert auth.check_password('10.0.0.9', 'wrong', now=100.0 + i) == (False, 'That password is not right.')
        accepted, message = auth.check_password('10.0.0.9', 'right-password', now=110.0)
        assert not accepted and 'Too many' in message  # locked even with the right password
        assert auth.check_password('10.0.0.10', 'right-password', now=110.0) == (True, None)  # another client
        assert auth.check_password('10.0.0.9', 'right-password', now=110.0 + auth.LOCKOUT_S) == (True, None)
    finally:
        auth.login_config.cache_clear()


def test_the_storage_secret_is_made_once_and_shared(session, monkeypatch):
    monkeypatch.delenv('LOWROUTER_STORAGE_SECRET', raising=False)
    first = auth.storage_secret(session)
    assert len(first) > 40 and auth.storage_secret(session) == first
