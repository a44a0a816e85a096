"""Fixtures of the service tests."""

import pytest

from tests.support.mailbox import Mailbox


@pytest.fixture
def smtp(monkeypatch):
    """A real SMTP server on loopback, and the app configured to send to it; yields its Mailbox."""
    mailbox = Mailbox()
    mailbox.start()
    for name, value in {'HOST': '127.0.0.1', 'PORT': str(mailbox.port), 'SECURITY': 'none'}.items():
        monkeypatch.setenv(f'LOWROUTER_SMTP_{name}', value)
    monkeypatch.setenv('LOWROUTER_SMTP_FROM', 'lowrouter <billing@example.org>')
    yield mailbox
    mailbox.stop()
