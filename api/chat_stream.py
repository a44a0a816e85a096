"""Relaying a streamed chat completion: server-sent events pass through as they arrive.

lowrouter always asks the upstream for the final usage chunk (to record the tokens) and passes it on only when
the client asked for it: that chunk has `"choices": []`, and the usual client loop `chunk.choices[0].delta`
fails on it. The closing `data: [DONE]` is held back until the generation is recorded, so a client that saw
the end of its stream can count on the record. A client that goes away mid-stream leaves a record too: the
generation is stored as cancelled with the tokens streamed so far (from the upstream's usage when it came,
otherwise counted from the text and marked as estimated), and the upstream request is closed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import orjson
from fastapi.responses import StreamingResponse
from starlette.types import Send

from services.routing import in_flight
from services.routing.engine import mark_failed, mark_last_attempt
from services.routing.inference import Plan, estimate_tokens, usage_of
from services.routing.upstream_clients import Reply, UpstreamUnavailable

DONE = b'data: [DONE]'
Recorder = Callable[..., Awaitable[object]]


class RelayResponse(StreamingResponse):
    """A streaming response that always finishes its relay (and so its record), also when the client left."""

    async def stream_response(self, send: Send) -> None:
        try:
            await super().stream_response(send)
        finally:
            with anyio.CancelScope(shield=True):
                await self.body_iterator.aclose()  # type: ignore[attr-defined]


class Relay:
    def __init__(self, plan_: Plan, response: Reply, started: float, record: Recorder) -> None:
        self.plan = plan_
        self.response = response
        self.started = started  # when this attempt's upstream call began
        self.record = record
        self.usage: tuple[int, int] | None = None
        self.done = False
        self.text_chars = 0
        self.text_chunks = 0

    async def events(self) -> AsyncIterator[bytes]:
        status, outcome = 'cancelled', 'cancelled'
        first_ms: int | None = None
        pending = b''
        in_flight.begin(self.plan.generation_id, self.plan.account.id)  # its page says "in progress" meanwhile
        try:
            async for piece in self.response.chunks():
                pending += piece
                out, pending = self._complete_events(pending)
                if out:
                    if first_ms is None:
                        first_ms = _ms(self.plan.received)
                    yield out
            if pending.strip():
                yield self._event(pending) or b''
            status, outcome = ('completed', 'ok') if self.done else ('failed', 'stream_ended_early')
        except UpstreamUnavailable as error:
            status, outcome = 'failed', error.kind
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    await self._finish(status, outcome, first_ms)
                finally:
                    in_flight.end(self.plan.generation_id)
        if self.done:
            yield DONE + b'\n\n'

    def _complete_events(self, pending: bytes) -> tuple[bytes, bytes]:
        """The whole events in `pending` as they are to be forwarded, and the incomplete rest."""
        if b'\r\n' in pending:
            pending = pending.replace(b'\r\n', b'\n')
        *events, rest = pending.split(b'\n\n')
        return b''.join(self._event(e + b'\n\n') or b'' for e in events), rest

    def _event(self, event: bytes) -> bytes | None:
        """What to forward of one event (None: nothing), reading usage and text on the way."""
        data = b''.join(line[5:].strip() for line in event.split(b'\n') if line.startswith(b'data:'))
        if data == b'[DONE]':
            self.done = True
            return None  # sent once the generation is recorded
        if not data.startswith(b'{'):
            return event
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            return event
        if not isinstance(chunk, dict):
            return event
        usage = chunk.get('usage')
        if isinstance(usage, dict):
            self.usage = usage_of(chunk)
        choices = chunk.get('choices')
        if isinstance(choices, list):
            for choice in choices:
                delta = choice.get('delta') if isinstance(choice, dict) else None
                text = delta.get('content') if isinstance(delta, dict) else None
                if isinstance(text, str) and text:
                    self.text_chars += len(text)
                    self.text_chunks += 1
        if not choices and usage and not self.plan.wants_usage:
            return None  # the usage-only chunk the client did not ask for
        return event

    async def _finish(self, status: str, outcome: str, first_ms: int | None) -> None:
        await self.response.close(early=not self.done)  # a client that left stops the upstream's generation too
        estimated = self.usage is None and status != 'failed'
        if self.usage is not None:
            prompt, completion = self.usage
        elif estimated:
            prompt, completion = self.plan.prompt_estimate, estimate_tokens(self.text_chars, self.text_chunks)
        else:
            prompt = completion = 0
        mark_last_attempt(self.plan.decision, outcome, ms=_ms(self.started))
        if status == 'failed':
            mark_failed(self.plan.decision, outcome)
        await self.record(self.plan, status, prompt, completion, _ms(self.plan.received), first_ms, estimated=estimated)


def _ms(since: float) -> int:
    return round((time.perf_counter() - since) * 1000)
