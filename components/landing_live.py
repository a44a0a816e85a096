"""The dashboard's widgets, kept up to date while the page is open (see components/live.py).

Each card changes only when its own figures changed: the labels whose text changed are updated in place,
and the card is drawn again only when its shape changed (see components/live_slot.py). Top models updates
its chart and Recent transactions its rows, so the chosen metric, the scroll position and anything open
elsewhere on the page stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from components import live
from components.charts import top_models_card
from components.eco_panel import eco_impact_card, eco_view
from components.live_slot import LiveSlot
from components.transactions import recent_transactions
from components.widgets import credit_balance_card, credit_view, usage_today_card, usage_today_view
from services.timeutil import local
from services.usage.landing import Landing, load_landing


class LiveLanding:
    """The four widgets and Recent transactions of a dashboard filtered by `model` and `key`."""

    def __init__(
        self,
        landing: Landing,
        *,
        model: str | None,
        key: int | None,
        today_link: str,
        usage_link: Callable[[str | None], str],
        over_time: str,
        back: str | None,
        view_all: str,
    ) -> None:
        self.model, self.key, self.landing = model, key, landing
        account = landing.account
        with ui.element('div').classes('grid grid-cols-1 md:grid-cols-2 gap-4 w-full lr-widgets') as self.grid:
            self.credit = credit_slot(landing)
            self.today = LiveSlot(
                lambda d: usage_today_card(d.account, d.today, model, key, more=today_link),
                None,
                landing,
                texts=lambda d: usage_today_view(d.account, d.today, model, key),
            )
            self.top = top_models_card(account, landing.top, usage_link=usage_link)
            self.eco = LiveSlot(
                lambda d: eco_impact_card(d.impact, over_time=over_time),
                None,
                landing,
                texts=lambda d: eco_view(d.impact),
            )
        self.recent = recent_transactions(account, landing.recent, back=back, view_all=view_all)
        live.watch(account.id, {'usage', 'balance'}, self.refresh)

    async def refresh(self, tick: live.Tick) -> None:
        account_id, model, key = self.landing.account.id, self.model, self.key
        landing = await tick.shared(
            ('landing', account_id, model, key), lambda: load_landing(account_id, model=model, key_id=key)
        )
        if landing is None or self.grid.is_deleted:
            return
        self.landing = landing
        self.credit.show(landing)
        self.today.show(landing)
        self.top.show(landing.account, landing.top)
        self.eco.show(landing)
        self.recent.show(landing.account, landing.recent)


def month_name(landing: Landing) -> str:
    return local(landing.now, landing.account.timezone).strftime('%B')


def credit_slot(landing: Landing) -> LiveSlot[Landing]:
    """Credit balance, its figures updated in place."""
    return LiveSlot(
        lambda d: credit_balance_card(d.account, d.balance_micros, d.spent_month_micros, month_name(d)),
        None,
        landing,
        texts=lambda d: credit_view(d.account, d.balance_micros, d.spent_month_micros, month_name(d)),
    )


class StartLanding:
    """An empty dashboard: the balance (kept up to date) and the start guide, until the first generation is
    recorded; then the page reloads into the real dashboard."""

    def __init__(self, landing: Landing, guide: Callable[[], None]) -> None:
        self.landing = landing
        with ui.element('div').classes(
            'grid grid-cols-1 md:grid-cols-[minmax(0,1fr)_minmax(0,2fr)] items-start gap-4 w-full'
        ) as self.grid:
            self.credit = credit_slot(landing)
            guide()
        live.watch(landing.account.id, {'usage', 'balance'}, self.refresh)

    async def refresh(self, tick: live.Tick) -> None:
        account_id = self.landing.account.id
        landing = await tick.shared(('landing', account_id, None, None), lambda: load_landing(account_id))
        if landing is None or self.grid.is_deleted:
            return
        if not landing.empty:
            with self.grid:
                ui.navigate.reload()
            return
        self.credit.show(landing)
