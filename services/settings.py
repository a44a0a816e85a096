"""Account settings that pages and the API change."""

from __future__ import annotations

from sqlmodel import Session

from services import eco
from services.catalog import get_catalog
from services.models import Account


class SettingError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f'{field}: {message}')
        self.field = field
        self.message = message


def set_eco_baseline(session: Session, account: Account, model_id: str) -> Account:
    if model_id not in get_catalog().models:
        raise SettingError('eco_baseline_model', f'unknown model {model_id!r}')
    account = session.merge(account)
    account.eco_baseline_model = model_id
    session.add(account)
    session.flush()
    return account


def baseline_choices() -> list[dict]:
    """Every catalog model with its energy per 1 000 output tokens (at the default PUE), largest first."""
    rows = []
    for model in get_catalog().models.values():
        energy = eco.energy_per_1k_output_tokens(model)
        rows.append(
            {
                'id': model.id,
                'name': model.name,
                'vendor': model.vendor,
                'energy_wh': energy,
                'params_status': model.params_status,
                'active_params_b': model.active_params_b,
            }
        )
    return sorted(rows, key=lambda r: -r['energy_wh'].value)
