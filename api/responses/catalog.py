"""Answers about eco figures, the model catalog and inference."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from api.responses.common import Number, Out, Span

Verdict = Literal['lower', 'higher', 'within', 'no_usage', 'not_comparable']


class Compared(Out):
    """The part of the window in the comparison."""

    requests: int
    energy_wh: Span
    carbon_g: Span
    embodied_g: Span


class Baseline(Out):
    """The same usage with the baseline model."""

    model: str
    name: str
    energy_wh: Span
    carbon_g: Span
    embodied_g: Span


class Caveat(Out):
    code: str
    message: str
    link: str = Field(description='where the methodology page explains it')


class EcoOut(Out):
    days: int
    since: str = Field(description='the start of the window, ISO 8601')
    model: str | None
    requests: int
    prompt_tokens: int
    completion_tokens: int
    energy_wh: Span
    carbon_g: Span
    embodied_g: Span
    compared: Compared
    baseline: Baseline
    energy_verdict: Verdict
    carbon_verdict: Verdict
    summary: str
    reduced_confidence: bool
    caveats: list[Caveat]
    methodology_versions: list[str]
    not_comparable_versions: list[str]


class OfferOut(Out):
    provider: str
    region: str
    input_usd_per_mtok: str = Field(description='a decimal string')
    output_usd_per_mtok: str = Field(description='a decimal string')
    typical_latency_ms: int
    grid_intensity_g_per_kwh: Number
    grid_basis: str
    pue: Number
    energy_wh_per_1k_output_tokens: Span
    carbon_g_per_1k_tokens: Span
    embodied_g_per_1k_tokens: Span
    price_source: str
    as_of: str


class ReviewBand(Out):
    tier: str = Field(description='frontier, mid or small')
    low_wh_per_1k_output_tokens: Number
    high_wh_per_1k_output_tokens: Number
    central_wh_per_1k_output_tokens: Number
    status: Literal['inside', 'below', 'above']
    caveat: str | None


class Disclosure(Out):
    figure: Number
    unit: str
    per: str
    boundary: str
    source: str
    url: str
    as_of: str


class CatalogModel(Out):
    """A model of the catalog, in OpenAI's model shape with the catalog's own fields."""

    id: str
    object: Literal['model']
    created: int = Field(description="Unix time of the catalog row's as_of date")
    owned_by: str
    name: str
    vendor: str
    open_weights: bool
    total_params_b: list[Number] = Field(description='billions of parameters: [low, high]')
    active_params_b: list[Number] = Field(description='billions of parameters: [low, high]')
    params_status: str
    params_source: str
    as_of: str
    energy_wh_per_1k_output_tokens: Span
    review_band: ReviewBand
    vendor_disclosures: list[Disclosure]
    offers: list[OfferOut]


class AutoModel(Out):
    """lowrouter/auto, with the auto pool and strategy in force for the calling key."""

    id: Literal['lowrouter/auto']
    object: Literal['model']
    created: int
    owned_by: Literal['lowrouter']
    name: str
    description: str
    auto_pool: list[str]
    strategy: str


class ModelList(Out):
    object: Literal['list']
    data: list[AutoModel | CatalogModel] = Field(description='lowrouter/auto first')
    methodology_version: str


class ChatCompletionOut(Out):
    """The upstream's chat completion, passed on as it came, with `model` naming the model that answered."""

    model_config = ConfigDict(extra='allow')

    id: str | None = None
    object: str | None = Field(None, description='chat.completion')
    created: int | None = None
    model: str = Field(description='the model that answered (lowrouter/auto resolves to one)')
    choices: list[dict[str, Any]] = Field(default_factory=list)
    usage: dict[str, Any] | None = None


CHAT_STREAM = (
    'With `"stream": true`: server-sent events as the upstream sent them, each `data: {...}` a chat.completion.chunk, '
    'ending with `data: [DONE]` once the generation is recorded.'
)
