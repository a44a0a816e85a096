"""/keys: create, scope, limit, rotate and revoke API keys; bulk edits on a desktop.

The page stays live: keys created, changed or revoked in another tab or through the API, and their spending,
show within about a second without a reload."""

from __future__ import annotations

from nicegui import ui

from components import live
from components.key_rows import KeyList, read_keys
from components.keys_dialogs import KeyDialogs
from components.shell import frame
from services.models import Account

CSS = """
.lr-scope { display: inline-block; padding: 0 8px; border-radius: 9999px; background: #e6f2ec; color: #17563e;
  font-size: 0.75rem; line-height: 1.35rem; white-space: nowrap; }
.lr-key-revoked > td:not(:first-child) { opacity: .5; }
.lr-key-revoked .lr-scope, .lr-key-card-revoked .lr-scope { background: #eaecf0; color: #475467; }
.lr-key-card-revoked .lr-key-body { opacity: .6; }
.lr-keys td { vertical-align: top; padding-top: 10px; padding-bottom: 10px; }
.lr-keys th { font-weight: 600; color: #475467; }
.lr-bulk-bar { background: #eef5f1; border-top: 1px solid #d0e6da; border-bottom: 1px solid #d0e6da; }
"""


def _column(name: str, label: str, align: str = 'left') -> dict:
    return {'name': name, 'label': label, 'field': name, 'align': align}


COLUMNS = [
    _column('name', 'Key'),
    _column('scopes', 'Scopes'),
    _column('created', 'Created / last used'),
    _column('month', 'This month', 'right'),
    _column('limit', 'Monthly limit'),
    _column('status', 'Status'),
    _column('actions', ''),
]
NAME_SLOT = r"""
<q-td :props="props">
  <div class="font-medium text-slate-900">{{ props.row.name }}</div>
  <div class="font-mono text-xs lr-muted">{{ props.row.prefix }}…</div>
</q-td>
"""
SCOPES_SLOT = r"""
<q-td :props="props">
  <div class="flex flex-wrap gap-1 max-w-[13rem]">
    <span v-for="scope in props.row.scopes.split(', ')" :key="scope" class="lr-scope">{{ scope }}</span>
  </div>
  <div v-if="props.row.models" class="text-xs lr-muted pt-1">{{ props.row.models }}</div>
</q-td>
"""
CREATED_SLOT = r"""
<q-td :props="props">
  <div class="tabular-nums">{{ props.row.created }}</div>
  <div class="text-xs lr-muted tabular-nums">{{ props.row.last_used_text }}</div>
</q-td>
"""
MONTH_SLOT = r"""
<q-td :props="props">
  <div class="tabular-nums">{{ props.row.cost }}</div>
  <div class="text-xs lr-muted tabular-nums">{{ props.row.tokens }}</div>
</q-td>
"""
LIMIT_SLOT = r"""
<q-td :props="props">
  <div :class="['tabular-nums', props.row.over ? 'text-red-700 font-medium' : '']">{{ props.row.limit }}</div>
  <q-linear-progress v-if="props.row.share !== null" :value="props.row.share" rounded size="5px"
    :color="props.row.over ? 'negative' : 'primary'" track-color="grey-3" class="mt-1 max-w-[11rem]" />
</q-td>
"""
STATUS_SLOT = r"""
<q-td :props="props">
  <q-badge :color="props.row.colour" :label="props.row.status_text" class="px-2 py-1" />
  <div v-if="props.row.expires" class="text-xs lr-muted pt-1 whitespace-nowrap">{{ props.row.expires }}</div>
</q-td>
"""
ACTIONS_SLOT = r"""
<q-td :props="props" auto-width>
  <div class="flex flex-nowrap items-center justify-end gap-1">
    <q-btn flat dense no-caps no-wrap size="sm" icon="edit" label="Edit"
      @click="() => $parent.$emit('key_action', {action: 'edit', id: props.row.id})" />
    <template v-if="props.row.status !== 'revoked'">
      <q-btn flat dense no-caps no-wrap size="sm" icon="autorenew" label="Rotate"
        @click="() => $parent.$emit('key_action', {action: 'rotate', id: props.row.id})" />
      <q-btn flat dense no-caps no-wrap size="sm" icon="block" label="Revoke" color="negative"
        @click="() => $parent.$emit('key_action', {action: 'revoke', id: props.row.id})" />
    </template>
    <q-btn flat dense no-caps no-wrap size="sm" icon="insights" label="Usage"
      :href="'/dashboard?key=' + props.row.id" />
  </div>
</q-td>
"""


@ui.page('/keys')
def keys_page() -> None:
    with frame('Keys', active='Keys', live=True) as account:
        if account is None:
            ui.navigate.to('/welcome')
            return
        KeysView(account)


class KeysView:
    """One visitor's keys page: the header, the key list and the dialogs. Live: keys created, changed or revoked
    elsewhere (another tab, the API) and their spending show within about a second, in place: the selection,
    the scroll position and an open dialog stay (an edit dialog says when its key changed meanwhile)."""

    def __init__(self, account: Account) -> None:
        self.account = account
        ui.add_css(CSS)
        root = ui.column().classes('w-full gap-4 p-0')
        self.dialogs = KeyDialogs(account, root, self.refresh)
        self.table: ui.table | None = None
        self.phone: ui.column | None = None
        self.data = read_keys(account.id) or KeyList(account, [], [])
        with root:
            self._header()
            self.key_list()
        live.watch(account.id, {'keys', 'usage'}, self.live_refresh)

    def _header(self) -> None:
        with ui.row().classes('w-full items-start justify-between gap-3 max-sm:flex-col'):
            with ui.column().classes('gap-1 max-w-2xl'):
                ui.label('API keys').classes('text-2xl font-semibold')
                ui.label(
                    'Apps use a key to call lowrouter. Give each app its own key with only the scopes it needs, '
                    'so you can limit, rotate or revoke it without touching the others.'
                ).classes('lr-muted text-sm')
            ui.button('Create key', icon='add', on_click=self.dialogs.create).props('no-caps unelevated').classes(
                'shrink-0'
            ).mark('create-key')

    def refresh(self) -> None:
        """After this page's own change: show it at once, with nothing selected (a bulk action is done)."""
        if self.table is not None and not self.table.is_deleted and self.table.selected:
            self._clear_selection()
        self.show(read_keys(self.account.id))

    async def live_refresh(self, tick: live.Tick) -> None:
        account_id = self.account.id
        self.show(await tick.shared(('keys', account_id), lambda: read_keys(account_id)))

    def show(self, data: KeyList | None) -> None:
        """Put `data` on the page: rows in place when only they changed, the whole list when it appears,
        empties or changes its terms."""
        if data is None:
            return
        before, self.data = self.data, data
        self.account = data.account
        self.dialogs.changed_elsewhere({key.id: key for key in data.keys})
        if data.rows == before.rows and data.terms == before.terms:
            return
        if self.table is None or self.table.is_deleted or not data.rows or data.terms != before.terms:
            self.key_list.refresh()
            return
        rows = _copies(data.rows)
        by_id = {row['id']: row for row in rows}
        self.table.rows = rows
        self.table.selected = [by_id[row['id']] for row in self.table.selected if row['id'] in by_id]
        self.table.update()
        self._selection_changed()
        if self.phone is not None and not self.phone.is_deleted:
            self.phone.clear()
            with self.phone:
                for row in rows:
                    self._phone_card(row)

    @ui.refreshable_method
    def key_list(self) -> None:
        rows = _copies(self.data.rows)
        self.table = self.phone = None
        if not rows:
            self._empty()
            return
        self._desktop(rows)
        with ui.row().classes('md:hidden w-full items-center gap-2 text-sm lr-muted flex-nowrap'):
            ui.icon('desktop_windows', size='18px').classes('shrink-0')
            ui.label('Bulk edits (several keys at once) are available on a wider screen.').mark('desktop-only-note')
        with ui.column().classes('md:hidden w-full gap-3') as self.phone:
            for row in rows:
                self._phone_card(row)

    def _empty(self) -> None:
        with ui.card().classes('lr-card w-full p-6 gap-2 items-start'):
            ui.icon('key', size='36px').classes('text-slate-400')
            ui.label('No keys yet').classes('text-lg font-semibold')
            ui.label('Create a key to let an app call lowrouter. You will see its secret once, right after.').classes(
                'lr-muted'
            )

    def _desktop(self, rows: list[dict]) -> None:
        with ui.card().classes('lr-card w-full p-0 gap-0 max-md:hidden'):
            with ui.row().classes('w-full items-baseline justify-between px-4 pt-4 pb-3 gap-2'):
                ui.label('Your keys').classes('lr-card-title')
                ui.label(f'times in {self.account.timezone} · usage and limits since the 1st of the month').classes(
                    'text-xs lr-muted'
                )
            self.bar = ui.row().classes('lr-bulk-bar w-full items-center gap-2 px-4 py-2').mark('bulk-bar')
            with self.bar:
                self.bar_label = ui.label().classes('font-medium mr-2').mark('selected-count')
                for action, label, icon in (
                    ('add_scope', 'Add scope', 'add_circle_outline'),
                    ('remove_scope', 'Remove scope', 'remove_circle_outline'),
                    ('set_limit', 'Set limit', 'savings'),
                ):
                    ui.button(label, icon=icon, on_click=lambda a=action: self._bulk(a)).props(
                        'flat dense no-caps'
                    ).classes('px-2').mark(f'bulk-{action}')
                ui.button('Revoke', icon='block', on_click=lambda: self._bulk('revoke')).props(
                    'flat dense no-caps color=negative'
                ).classes('px-2').mark('bulk-revoke')
                ui.space()
                ui.button('Clear selection', on_click=self._clear_selection).props('flat dense no-caps').classes('px-2')
            self.bar.set_visibility(False)
            self.table = ui.table(
                columns=COLUMNS, rows=rows, row_key='id', selection='multiple', on_select=self._selection_changed
            )
            self.table.props('flat hide-bottom :pagination="{rowsPerPage: 0}"').classes('w-full lr-keys')
            self.table.props[':table-row-class-fn'] = "row => row.status === 'revoked' ? 'lr-key-revoked' : ''"
            for name, slot in (
                ('name', NAME_SLOT),
                ('scopes', SCOPES_SLOT),
                ('created', CREATED_SLOT),
                ('month', MONTH_SLOT),
                ('limit', LIMIT_SLOT),
                ('status', STATUS_SLOT),
                ('actions', ACTIONS_SLOT),
            ):
                self.table.add_slot(f'body-cell-{name}', slot)
            self.table.on('key_action', lambda e: self._act(e.args['action'], int(e.args['id'])))

    def _act(self, action: str, key_id: int) -> None:
        {'edit': self.dialogs.edit, 'rotate': self.dialogs.rotate, 'revoke': self.dialogs.revoke}[action](key_id)

    def _selection_changed(self) -> None:
        count = len(self.table.selected) if self.table else 0
        self.bar_label.set_text(f'{count} selected')
        self.bar.set_visibility(count > 0)

    def _clear_selection(self) -> None:
        if self.table:
            self.table.selected = []
        self._selection_changed()

    def _bulk(self, action: str) -> None:
        if self.table and self.table.selected:
            self.dialogs.bulk(action, [{'id': r['id'], 'name': r['name']} for r in self.table.selected])

    def _phone_card(self, row: dict) -> None:
        revoked = row['status'] == 'revoked'
        key_id = row['id']
        with (
            ui.card()
            .classes('lr-card w-full p-4 gap-2' + (' lr-key-card-revoked' if revoked else ''))
            .mark(f'key-card-{key_id}')
        ):
            with ui.column().classes('lr-key-body w-full gap-2'):
                with ui.row().classes('w-full items-start justify-between gap-2 flex-nowrap'):
                    with ui.column().classes('gap-0 min-w-0'):
                        ui.label(row['name']).classes('font-semibold truncate')
                        ui.label(f'{row["prefix"]}…').classes('font-mono text-xs lr-muted').mark(f'prefix-{key_id}')
                    ui.badge(row['status_text'], color=row['colour']).classes('px-2 py-1 shrink-0')
                with ui.row().classes('gap-1'):
                    for scope in row['scopes'].split(', '):
                        ui.label(scope).classes('lr-scope')
                _fact('Created', row['created'])
                _fact('Last used', row['last_used'])
                _fact('This month', f'{row["cost"]} · {row["tokens"]}')
                _fact('Limit', row['limit'], warn=row['over'])
                if row['models']:
                    _fact('Models', row['models'])
                if row['expires']:
                    _fact('Expires', row['expires'].split(' ', 1)[1])
            with ui.row().classes('w-full items-center gap-1 pt-1 border-t border-slate-100'):
                ui.button('Edit', icon='edit', on_click=lambda: self.dialogs.edit(key_id)).props(
                    'flat dense no-caps'
                ).mark(f'edit-{key_id}')
                if not revoked:
                    ui.button('Rotate', icon='autorenew', on_click=lambda: self.dialogs.rotate(key_id)).props(
                        'flat dense no-caps'
                    ).mark(f'rotate-{key_id}')
                    ui.button('Revoke', icon='block', on_click=lambda: self.dialogs.revoke(key_id)).props(
                        'flat dense no-caps color=negative'
                    ).mark(f'revoke-{key_id}')
                ui.space()
                ui.link('Usage', f'/dashboard?key={key_id}').classes('text-sm px-2')


def _copies(rows: list[dict]) -> list[dict]:
    """Rows of this page's own (a live read is shared by every open page of the account)."""
    return [dict(row) for row in rows]


def _fact(label: str, value: str, *, warn: bool = False) -> None:
    with ui.row().classes('w-full justify-between text-sm gap-3 flex-nowrap'):
        ui.label(label).classes('lr-muted shrink-0')
        ui.label(value).classes('text-right tabular-nums break-words min-w-0' + (' text-red-700' if warn else ''))
