"""An open key edit dialog whose key changes elsewhere (another tab, the API) while it is open.

The dialog never closes by itself. A form without edits follows the stored key in place; a form with edits
keeps them and says so at its top, with a button to load the new values. A key revoked or deleted meanwhile
is said too (saving then fails with the service's own message).
"""

from __future__ import annotations

from components.changed_notice import ChangedNotice
from components.key_form import KeyForm
from services.models import ApiKey


class OpenEdit:
    """An open edit dialog and the key as it showed it. When the key changes elsewhere, a form without edits
    follows it in place; one with edits keeps them and says so, with a button to load the new values."""

    def __init__(self, key: ApiKey, form: KeyForm, notice: ChangedNotice) -> None:
        self.key, self.form, self.notice = key, form, notice
        self.loaded = form.shown()
        self.latest: ApiKey | None = key
        notice.load.on_click(lambda: self.load(self.latest))

    def compare(self, now: ApiKey | None) -> None:
        if self.form.name.is_deleted:
            return
        self.latest = now
        if now is None:
            self.notice.show(
                'This key no longer exists', 'It was deleted elsewhere: there is nothing to save.', can_load=False
            )
            return
        if _settings(now) == _settings(self.key):
            return
        if now.revoked_at is not None:
            self.notice.show(
                'This key was revoked elsewhere', 'A revoked key can no longer be changed.', can_load=False
            )
            return
        if self.form.shown() == self.loaded:  # nothing typed here yet: follow the stored key
            self.load(now)
            return
        self.notice.show(
            'This key was changed elsewhere',
            'Your edits here are not saved yet. Saving them replaces the other change; or load the new values.',
            can_load=True,
        )

    def load(self, key: ApiKey | None) -> None:
        if key is None:
            return
        self.key = key
        self.form.load(key)
        self.loaded = self.form.shown()
        self.notice.hide()


def _settings(key: ApiKey) -> tuple:
    """What the edit form shows of a key, and whether it is revoked."""
    models = tuple(key.allowed_models or ())
    return key.name, tuple(key.scopes), key.spend_limit_micros, models, key.expires_at, key.revoked_at
