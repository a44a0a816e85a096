"""A figure with its uncertainty: a central value and its low-high range."""

from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):  # a tuple: cheap to build, as ingestion builds several per generation
    low: float
    value: float
    high: float

    @classmethod
    def zero(cls) -> Span:
        return cls(0.0, 0.0, 0.0)

    def scaled(self, factor: float) -> Span:
        return Span(self.low * factor, self.value * factor, self.high * factor)

    def __add__(self, other: Span) -> Span:  # type: ignore[override]  # figures add, they do not concatenate
        return Span(self.low + other.low, self.value + other.value, self.high + other.high)

    def __sub__(self, other: Span) -> Span:
        """The central difference with the widest range the two ranges allow."""
        return Span(self.low - other.high, self.value - other.value, self.high - other.low)

    def overlaps(self, other: Span) -> bool:
        return self.low <= other.high and other.low <= self.high

    def as_dict(self) -> dict[str, float]:
        return {'low': self.low, 'value': self.value, 'high': self.high}
