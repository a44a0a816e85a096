"""Building blocks shared by the answer models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

MONEY_PATTERN = r'^-?[0-9]+\.[0-9]{6}$'

# a JSON number kept as it is: an int stays an int (pydantic's float would turn 0 into 0.0)
Number = Annotated[int | float, WithJsonSchema({'type': 'number'})]
Money = Annotated[str, Field(pattern=MONEY_PATTERN, description='a decimal string with 6 decimals, e.g. "12.500000"')]
Time = Annotated[str, Field(description='ISO 8601, in UTC, e.g. "2026-11-01T09:30:00Z"')]
Link = Annotated[str, Field(description='a path on this server')]


class Out(BaseModel):
    """An answer object: exactly the fields it names."""

    model_config = ConfigDict(extra='forbid')


class Span(Out):
    """A figure with its uncertainty range."""

    low: Number
    value: Number
    high: Number


NEXT_CURSOR = 'give it as `cursor` for the next page; null on the last page (lists never paged say null)'


def non_json(media_type: str, description: str, *, binary: bool = False) -> dict[str, Any]:
    """The documented 200 of an answer that is not JSON (a PDF, a CSV file, a stream of events)."""
    schema = {'type': 'string', 'format': 'binary'} if binary else {'type': 'string'}
    return {'description': description, 'content': {media_type: {'schema': schema}}}
