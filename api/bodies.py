"""Request bodies of the HTTP API, as pydantic models: FastAPI checks them and the OpenAPI document shows them.

They check shape (types, lengths, unknown fields: 422); the services check meaning (a known model, a
future expiry, an amount in range) and word the messages, field first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator, model_validator

from services.usage.ingest import MAX_TOKENS, GenerationIn
from services.usage.retention import MAX_DAYS
from services.usage.trace_limits import depth_over

Scope = Literal['inference', 'ingest', 'read', 'manage']
MAX_BATCH = 1000  # generations in one batch
MAX_CHAT_DEPTH = 64  # nested objects and lists in a chat request (tool schemas nest; hundreds of levels do not)


class Body(BaseModel):
    model_config = ConfigDict(extra='forbid')


class KeyCreate(Body):
    model_config = ConfigDict(
        json_schema_extra={'examples': [{'name': 'ci', 'scopes': ['ingest', 'read'], 'spend_limit': '25.00'}]}
    )

    name: str = Field(max_length=120)
    scopes: list[Scope] = Field(min_length=1, max_length=4)
    spend_limit: str | None = Field(None, max_length=40, description='per calendar month, a decimal string')
    allowed_models: list[Annotated[str, Field(max_length=120)]] | None = Field(None, max_length=200)
    expires_at: datetime | None = Field(None, description='ISO 8601 with a time zone, in the future')


class KeyChanges(Body):
    """Only the fields given change."""

    model_config = ConfigDict(json_schema_extra={'examples': [{'spend_limit': '50.00'}, {'expires_at': None}]})

    name: str | None = Field(None, max_length=120)
    scopes: list[Scope] | None = Field(None, min_length=1, max_length=4)
    spend_limit: str | None = Field(None, max_length=40, description='per calendar month, a decimal string')
    allowed_models: list[Annotated[str, Field(max_length=120)]] | None = Field(None, max_length=200)
    expires_at: datetime | None = None


class Rotation(Body):
    grace: Literal['none', '1h', '24h'] = 'none'


class TopUpIn(Body):
    model_config = ConfigDict(json_schema_extra={'examples': [{'amount': '50.00', 'method': 'bank_transfer'}]})

    amount: str = Field(max_length=40, description='a decimal string in the account currency, e.g. "50.00"')
    method: str = Field('bank_transfer', max_length=60, description='see GET /api/v1/credits/methods')

    @field_validator('amount', mode='before')
    @classmethod
    def _decimal_string(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError('give the amount as a decimal string, e.g. "50.00"')
        return value


class RetentionIn(Body):
    model_config = ConfigDict(json_schema_extra={'examples': [{'retention_days': 90}, {'retention_days': None}]})

    retention_days: Annotated[int, Strict(), Field(ge=1, le=MAX_DAYS)] | None = Field(
        description=f'keep raw generations 1 to {MAX_DAYS} days; null keeps them all'
    )


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra='allow')  # name, tool_calls, tool_call_id… pass through

    role: str = Field(max_length=40)
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """OpenAI's chat-completions request; parameters not listed here pass through to the provider."""

    model_config = ConfigDict(
        extra='allow',
        json_schema_extra={
            'examples': [{'model': 'lowrouter/auto', 'messages': [{'role': 'user', 'content': 'Hello'}]}]
        },
    )

    model: str = Field(min_length=1, max_length=120, description='"lowrouter/auto" or a model id')
    messages: list[ChatMessage] = Field(min_length=1)
    stream: Annotated[bool, Strict()] = False
    max_tokens: Annotated[int, Strict(), Field(ge=1, le=MAX_TOKENS)] | None = None
    max_completion_tokens: Annotated[int, Strict(), Field(ge=1, le=MAX_TOKENS)] | None = None
    stream_options: dict[str, Any] | None = None

    @model_validator(mode='before')
    @classmethod
    def _not_too_deep(cls, value: Any) -> Any:
        if depth_over(value, MAX_CHAT_DEPTH):
            raise ValueError(f'body: nested more than {MAX_CHAT_DEPTH} levels deep')
        return value


def external_id_of(item: Any) -> str | None:
    """The external id a generation gives, as it is stored (stripped), or None when it gives none usable."""
    value = item.get('external_id') if isinstance(item, dict) else None
    return value.strip() or None if isinstance(value, str) else None


class GenerationDoc(GenerationIn):
    """The documented shape of a generation sent to POST /generations (the endpoint parses it by hand, fast)."""

    model_config = ConfigDict(extra='forbid')

    cost: str | None = Field(None, max_length=40, description='a decimal string; default: the offer prices')
    created_at: datetime | None = Field(None, description='ISO 8601 with a time zone; default: now')


def _request_body(schema: dict[str, Any], example: dict[str, Any]) -> dict[str, Any]:
    content = {'application/json': {'schema': schema, 'example': example}}
    return {'requestBody': {'required': True, 'content': content}}


_GENERATION = GenerationDoc.model_json_schema()
GENERATION_EXAMPLE = {
    'model': 'openai/gpt-4o-mini',
    'provider': 'openai',
    'region': 'us-east-1',
    'prompt_tokens': 812,
    'completion_tokens': 240,
    'latency_ms': 1830,
    'external_id': 'req-42',
}
GENERATION_BODY = _request_body(_GENERATION, GENERATION_EXAMPLE)
GENERATION_BATCH_BODY = _request_body(
    {
        'type': 'object',
        'properties': {
            'generations': {'type': 'array', 'items': _GENERATION, 'minItems': 1, 'maxItems': MAX_BATCH},
        },
        'required': ['generations'],
        'additionalProperties': False,
    },
    {'generations': [GENERATION_EXAMPLE]},
)
