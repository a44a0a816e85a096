"""/routing kept up to date while it is open (components/live.py): routing settings and keys changed elsewhere.

What the page shows is read in one go (`read_routing`). The defaults form follows a change made elsewhere
(another tab, the API) in place when it holds no edits of the operator; with unsaved edits it keeps them and
says so, with a button to load the new settings. An open override dialog does the same for its key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.changed_notice import ChangedNotice
from components.routing_form import PolicyForm
from services import db
from services.account.accounts import get_account
from services.keys.api_keys import key_status, list_keys
from services.models import Account, ApiKey
from services.routing.policies import FIELDS, account_settings, applied, key_override

CHANGED = 'These settings were changed elsewhere'


@dataclass(frozen=True)
class Routing:
    account: Account
    defaults: dict[str, Any]  # the account's settings, whole
    keys: list[ApiKey]  # the active keys, oldest first
    overrides: dict[int, dict[str, Any]]  # key id -> its own settings (empty: it follows the defaults)

    def effective(self, key_id: int) -> tuple[dict[str, Any], dict[str, str]]:
        """The settings in force for a key and where each comes from, as services.routing.policies.effective."""
        override = self.overrides[key_id]
        return applied(self.defaults | override), {f: 'key' if f in override else 'account' for f in FIELDS}

    def shown(self) -> list:
        """What the per-key list shows: equal when nothing there changed."""
        return [(k.id, k.name, k.prefix, self.overrides[k.id]) for k in self.keys] + [self.defaults]


def read_routing(account_id: int) -> Routing | None:
    """The account's defaults and its active keys with their overrides; None when the account is gone."""
    with db.read_scope() as session:
        account = get_account(session, account_id)
        if account is None:
            return None
        keys = [k for k in list_keys(session, account) if key_status(k) == 'active']
        overrides = {k.id: key_override(session, account, k.id) for k in keys}
        return Routing(account, account_settings(session, account), keys, overrides)


class OpenOverride:
    """An open override dialog of `key` and what it was loaded with; see the module's docstring."""

    def __init__(
        self, key: ApiKey, form: PolicyForm, notice: ChangedNotice, inherited: dict[str, Any], override: dict
    ) -> None:
        self.key, self.form, self.notice = key, form, notice
        self.inherited, self.override = inherited, override
        self.loaded = form.shown()
        self.latest: Routing | None = None
        notice.load.on_click(self.load)

    def compare(self, data: Routing) -> None:
        if self.form.fields['strategy'].is_deleted:
            return
        self.latest = data
        if self.key.id not in data.overrides:
            text = 'It was revoked or has expired meanwhile: an override of it can no longer be saved.'
            self.notice.show('This key is no longer active', text, can_load=False)
            return
        if (data.defaults, data.overrides[self.key.id]) == (self.inherited, self.override):
            return
        if self.form.shown() == self.loaded:  # nothing edited here: follow the stored settings
            self.load()
            return
        text = (
            'The defaults or this key’s override were saved in another tab or through the API. Your edits here '
            'are not saved yet: saving them replaces that change, or load the new settings.'
        )
        self.notice.show(CHANGED, text)

    def load(self) -> None:
        data = self.latest
        if data is None or self.key.id not in data.overrides:
            return
        self.inherited, self.override = data.defaults, data.overrides[self.key.id]
        self.form.load(self.override, inherited=self.inherited)
        self.loaded = self.form.shown()
        self.notice.hide()
