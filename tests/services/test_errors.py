"""Every error a service raises for a refusal is a DomainError of one kind, with a field or a message."""

import importlib
import pickle
import pkgutil

import pytest

import services
from services.account.accounts import AccountError
from services.account.deletion import AccountDeletionError
from services.account.export import ExportError
from services.account.settings import SettingError
from services.billing.ledger import TopUpConflict, TopUpDeclined, TopUpError
from services.billing.payments import PaymentError
from services.errors import (
    KINDS,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PaymentRequired,
    Unavailable,
)
from services.keys.api_keys import KeyForbidden, KeyInputError, KeyNotFound
from services.keys.spend import ModelNotAllowed, SpendLimitReached
from services.money import MoneyError
from services.notifications.inbox import PrefsError
from services.routing.engine import RoutingError
from services.routing.inference import (
    BalanceNotPositive,
    InferenceRefused,
    LimitReached,
    ModelRefused,
    NoRoute,
    RequestInvalid,
    UnknownModel,
)
from services.routing.policies import PolicyError
from services.usage.generations import CursorError
from services.usage.ingest import IngestError
from services.usage.ranges import RangeError
from services.usage.retention import RetentionError

# every service error class: its kind, and the (status, code) the API answers with
ERRORS = {
    AccountError: (InvalidInput, 422, 'invalid'),
    AccountDeletionError: (InvalidInput, 422, 'invalid'),
    SettingError: (InvalidInput, 422, 'invalid'),
    ExportError: (NotFound, 404, 'not_found'),
    TopUpError: (InvalidInput, 422, 'invalid'),
    TopUpDeclined: (PaymentRequired, 402, 'payment_declined'),
    TopUpConflict: (Conflict, 409, 'conflict'),
    PaymentError: (PaymentRequired, 402, 'payment_declined'),
    KeyInputError: (InvalidInput, 422, 'invalid'),
    KeyNotFound: (NotFound, 404, 'not_found'),
    KeyForbidden: (Forbidden, 403, 'forbidden'),
    SpendLimitReached: (PaymentRequired, 402, 'spend_limit_reached'),
    ModelNotAllowed: (Forbidden, 403, 'model_not_allowed'),
    MoneyError: (InvalidInput, 422, 'invalid'),
    PrefsError: (InvalidInput, 422, 'invalid'),
    RoutingError: (Unavailable, 503, 'no_route'),
    PolicyError: (InvalidInput, 422, 'invalid'),
    RequestInvalid: (InvalidInput, 422, 'invalid'),
    UnknownModel: (NotFound, 404, 'unknown_model'),
    BalanceNotPositive: (PaymentRequired, 402, 'balance'),
    LimitReached: (PaymentRequired, 402, 'limit'),
    ModelRefused: (Forbidden, 403, 'model_not_allowed'),
    NoRoute: (Unavailable, 503, 'no_route'),
    CursorError: (InvalidInput, 422, 'invalid'),
    IngestError: (InvalidInput, 422, 'invalid'),
    RetentionError: (InvalidInput, 422, 'invalid'),
    RangeError: (InvalidInput, 422, 'invalid'),
}
# the builtin class each was before, so an `except ValueError` (or LookupError, ...) still catches it
BUILTIN = {
    AccountError: ValueError,
    AccountDeletionError: ValueError,
    SettingError: ValueError,
    ExportError: LookupError,
    TopUpError: ValueError,
    KeyInputError: ValueError,
    KeyNotFound: LookupError,
    KeyForbidden: PermissionError,
    MoneyError: ValueError,
    PrefsError: ValueError,
    RoutingError: ValueError,
    PolicyError: ValueError,
    CursorError: ValueError,
    IngestError: ValueError,
    RetentionError: ValueError,
    RangeError: ValueError,
}


def test_the_kinds_carry_their_status_and_code():
    assert {kind: (kind.status, kind.code) for kind in KINDS} == {
        InvalidInput: (422, 'invalid'),
        NotFound: (404, 'not_found'),
        Conflict: (409, 'conflict'),
        Forbidden: (403, 'forbidden'),
        PaymentRequired: (402, 'payment_required'),
        Unavailable: (503, 'unavailable'),
    }


@pytest.mark.parametrize('error_class', list(ERRORS), ids=lambda c: c.__name__)
def test_every_service_error_is_a_domain_error_of_its_kind(error_class):
    kind, status, code = ERRORS[error_class]
    assert issubclass(error_class, kind) and issubclass(error_class, DomainError)
    assert (error_class.status, error_class.code) == (status, code)
    if error_class in BUILTIN:
        assert issubclass(error_class, BUILTIN[error_class])


@pytest.mark.parametrize('error_class', list(ERRORS), ids=lambda c: c.__name__)
def test_a_field_and_a_message_or_a_message_alone(error_class):
    with_field = error_class('amount', 'must be positive')
    assert (with_field.field, with_field.message, str(with_field)) == (
        'amount',
        'must be positive',
        'amount: must be positive',
    )
    alone = error_class('no key 7 in this account')
    assert (alone.field, alone.message, str(alone)) == (None, 'no key 7 in this account', 'no key 7 in this account')
    copied = pickle.loads(pickle.dumps(with_field))
    assert (type(copied), copied.field, copied.message) == (error_class, 'amount', 'must be positive')


def test_an_error_needs_a_message():
    with pytest.raises(TypeError):
        DomainError()
    with pytest.raises(TypeError):
        DomainError('a', 'b', 'c')


def test_every_error_class_of_the_services_is_listed_here():
    """A new refusal class in services/ gets a kind (and a line above)."""
    found = set()
    for module in _service_modules(services):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, DomainError) and value.__module__ == module.__name__:
                found.add(value)
    assert found - set(KINDS) - {DomainError, InferenceRefused} <= set(ERRORS)


def test_an_inference_refusal_says_its_kind():
    refusals = (RequestInvalid, UnknownModel, BalanceNotPositive, LimitReached, ModelRefused, NoRoute)
    kinds = ['invalid', 'unknown_model', 'balance', 'limit', 'model_not_allowed', 'no_route']
    assert [refusal('m').kind for refusal in refusals] == kinds
    assert all(issubclass(refusal, InferenceRefused) for refusal in refusals)


def _service_modules(package):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):
        if '.migrations' in info.name:
            continue
        yield importlib.import_module(info.name)
