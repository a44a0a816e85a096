"""The generation filter of the list, the logs and the CSV export agrees with the usage rollups on keys: 0 means
the generations recorded without a key, which store no key id."""

from __future__ import annotations

from services import db
from services.usage.generations import GenerationFilter, page
from services.usage.query import usage_total
from tests.support import factories


def test_key_zero_lists_the_generations_without_a_key(account):
    key = factories.api_key(account, name='app')
    factories.generations(account, [{'prompt_tokens': 10 + i, 'completion_tokens': 5} for i in range(3)])
    factories.generations(
        account, [{'prompt_tokens': 20 + i, 'completion_tokens': 5} for i in range(2)], api_key_id=key.key.id
    )
    with db.read_scope() as session:
        keyless, _ = page(session, account.id, GenerationFilter(key_id=0))
        keyed, _ = page(session, account.id, GenerationFilter(key_id=key.key.id))
        everything, _ = page(session, account.id, GenerationFilter())
        assert sorted(g.prompt_tokens for g in keyless) == [10, 11, 12]
        assert sorted(g.prompt_tokens for g in keyed) == [20, 21]
        assert len(everything) == 5
        assert usage_total(session, account.id, key_id=0).requests == len(keyless)  # the same meaning as the rollups
