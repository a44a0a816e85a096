"""One vocabulary for what a service refuses: a DomainError of a kind, with the field it concerns.

A service raises one of its own error classes (KeyInputError, TopUpError, ...), each a subclass of one kind
below. Interfaces read the kind instead of knowing every class: the API answers `status` with `code` and
str(error) in one exception handler (api/errors.py), and pages show the message on the form field named by
`field` (components/form_errors.py). `status` is a plain number that says what kind of refusal it is; services
import nothing from the interfaces to use it.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal of the domain: nothing was written. `field` names the input to fix, when there is one.

    Raised as `SomeError(message)` or `SomeError(field, message)`; str(error) is `field: message`, or the
    message alone when there is no field.
    """

    status = 422  # a refusal of no more specific kind is invalid input
    code = 'invalid'

    def __init__(self, *parts: str) -> None:
        if len(parts) not in (1, 2):
            raise TypeError(f'{type(self).__name__} takes a message, or a field and a message')
        super().__init__(*parts)  # kept as given, so the error pickles and copies
        self.field: str | None = parts[0] if len(parts) == 2 else None
        self.message: str = parts[-1]

    def __str__(self) -> str:
        return f'{self.field}: {self.message}' if self.field else self.message


class InvalidInput(DomainError):
    """The input cannot be used as given."""

    status = 422
    code = 'invalid'


class NotFound(DomainError):
    """What the input names does not exist (in this account)."""

    status = 404
    code = 'not_found'


class Conflict(DomainError):
    """The input contradicts what is stored, e.g. an idempotency key used for something else."""

    status = 409
    code = 'conflict'


class Forbidden(DomainError):
    """The caller may not do this, e.g. grant more than it holds or use a model it is not allowed."""

    status = 403
    code = 'forbidden'


class PaymentRequired(DomainError):
    """Money stands in the way: a declined payment, a balance or a spend limit used up."""

    status = 402
    code = 'payment_required'


class Unavailable(DomainError):
    """Nothing can serve the request now, e.g. no configured provider offers the model."""

    status = 503
    code = 'unavailable'


KINDS: tuple[type[DomainError], ...] = (InvalidInput, NotFound, Conflict, Forbidden, PaymentRequired, Unavailable)
