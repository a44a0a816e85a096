"""Limits on a routing trace: how deep it nests and how large it is once serialized.

A trace describes a routing decision in a few levels; one nested hundreds of levels deep cannot be
serialized again (JSON encoders and pydantic stop at a depth) and would break every page and answer
that shows it. New traces over a limit are refused (422); a stored one from before these limits is
shown as omitted instead of failing.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

MAX_DEPTH = 16  # nested objects and lists
MAX_BYTES = 64 * 1024  # serialized as compact JSON
OMITTED = (
    f'this routing trace is nested more than {MAX_DEPTH} levels deep or larger than {MAX_BYTES // 1024} KB, '
    'so it is not shown'
)


def check_trace(value: Any) -> Any:
    """A pydantic before-validator: the trace as given, or an error that says which limit it passes."""
    if depth_over(value, MAX_DEPTH):
        raise PydanticCustomError('trace_too_deep', 'nested more than {limit} levels deep', {'limit': MAX_DEPTH})
    if isinstance(value, dict | list) and _size(value) > MAX_BYTES:
        raise PydanticCustomError('trace_too_large', 'larger than {limit} bytes as JSON', {'limit': MAX_BYTES})
    return value


RoutingTrace = Annotated[dict[str, Any], BeforeValidator(check_trace)]


def displayable(trace: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored trace as it can be shown and serialized: itself, or a note that it was omitted."""
    if trace is None or (not depth_over(trace, MAX_DEPTH) and _size(trace) <= MAX_BYTES):
        return trace
    return {'omitted': OMITTED}


def depth_over(value: Any, limit: int) -> bool:
    """Whether objects and lists nest more than `limit` levels deep (without recursion, so any depth is safe)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def _size(value: Any) -> int:
    try:
        return len(json.dumps(value, separators=(',', ':'), default=str))
    except (TypeError, ValueError, RecursionError):
        return MAX_BYTES + 1
