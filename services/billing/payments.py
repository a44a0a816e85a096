"""Payment gateways. A real card processor is a new class with the same `charge` method, nothing more."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from services.errors import PaymentRequired


class PaymentError(PaymentRequired):
    """The gateway declined or failed; nothing is credited."""

    code = 'payment_declined'


@dataclass(frozen=True)
class Payment:
    reference: str
    method: str


class PaymentGateway(Protocol):
    name: str
    methods: dict[str, str]  # method id -> label shown to the operator

    def charge(self, *, amount_micros: int, currency: str, method: str, idempotency_key: str) -> Payment:
        """Collect the money or raise PaymentError. Called once per idempotency key."""
        ...


class ManualGateway:
    """A local single-user install has no card processor: record an offline payment at once."""

    name = 'manual'
    methods = {
        'bank_transfer': 'Bank transfer (recorded manually)',
        'company_card': 'Company card (charged outside lowrouter)',
        'manual': 'Other / adjustment',
    }

    def charge(self, *, amount_micros: int, currency: str, method: str, idempotency_key: str) -> Payment:
        if method not in self.methods:
            raise PaymentError(f'unknown payment method {method!r}')
        digest = hashlib.sha256(f'{idempotency_key}|{amount_micros}|{currency}'.encode()).hexdigest()[:12].upper()
        return Payment(reference=f'MAN-{digest}', method=method)


DEFAULT_GATEWAY = ManualGateway()
