"""What-if counts the requests a draft would refuse, in all and per key, so the page can ask before saving it."""

from datetime import UTC, datetime, timedelta

from services.routing.whatif import preview
from tests.support import factories

NOW = datetime.now(UTC)
# (model, provider, region, requests with the key, requests without a key)
TRAFFIC = (
    ('openai/gpt-4o-mini', 'openai', 'us-east-1', 3, 2),
    ('mistral/mistral-small', 'mistral', 'fr-par', 4, 5),  # openai does not serve it
    ('google/gemini-2.5-flash', 'google-vertex', 'us-central1', 1, 0),  # nor this
)


def _seed(session, account) -> int:
    key = factories.api_key(account, session=session, name='bot').key
    for model, provider, region, with_key, without in TRAFFIC:
        for n in range(with_key + without):
            where = {'model': model, 'provider': provider, 'region': region}
            factories.generation(
                account,
                session=session,
                prompt_tokens=500,
                completion_tokens=100,
                created_at=NOW - timedelta(hours=n + 1),
                api_key_id=key.id if n < with_key else None,
                **where,
            )
    session.commit()
    return key.id


def test_a_key_draft_counts_the_refusals_of_that_key_only(session, account):
    key_id = _seed(session, account)
    draft = {'strategy': 'fixed_provider', 'fixed_provider': 'openai'}
    result = preview(session, account, key_policies={key_id: draft})
    assert result.before.requests == 15
    assert result.refused(key_id) == (5, 8)  # its Mistral and Gemini requests, of its 8
    assert result.refused() == (5, 15)  # the requests without a key keep the defaults: none refused
    assert result.requests_by_key[0] == 7 and result.refused_by_key[0] == 0  # 0: recorded without a key


def test_an_account_draft_counts_every_refusal(session, account):
    _seed(session, account)
    result = preview(session, account, account_policy={'strategy': 'fixed_provider', 'fixed_provider': 'openai'})
    assert result.refused() == (10, 15) == (result.unroutable_requests, result.before.requests)
    assert result.moved_requests == 0  # the GPT requests stay where they ran


def test_a_draft_that_refuses_nothing_says_so(session, account):
    key_id = _seed(session, account)
    result = preview(session, account, account_policy={'strategy': 'lowest_carbon'})
    assert result.refused() == (0, 15) and result.refused(key_id) == (0, 8)
