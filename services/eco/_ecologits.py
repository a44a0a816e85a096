"""Method (a) of eco-2: EcoLogits' own bottom-up model of one LLM request, in closed form.

EcoLogits (`ecologits.impacts.llm`) evaluates a small graph per request. Per model it is:

    generation time  t = min(measured latency, output tokens / tps + ttft)     (tps, ttft: EcoLogits' measured
                         deployment figures when it ships them; else its latency regression per token, ttft 0)
    IT energy          = n_gpu · output tokens · e_gpu(active params)  +  t · server power · n_gpu / 8 / batch
    energy             = PUE · IT energy
    manufacturing      = t · (n_gpu / 8 · server embodied + n_gpu · GPU embodied) / (lifespan · batch)

so lowrouter computes the coefficients once per model and applies them per record: the same numbers as
`ecologits.tracers.utils.llm_impacts` (tests check parity for every catalog model), at a fraction of the cost.
A parameter range is evaluated at its two ends, as EcoLogits does: low end -> low figure, high end -> high.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from ecologits.impacts import llm
from ecologits.model_repository import models as ecologits_models

from services.catalog import Model


@dataclass(frozen=True)
class Coefficients:
    """EcoLogits' model at one end of a parameter range: energy in kWh, manufacturing in kg CO2e."""

    gpu_kwh_per_token: float  # all the model's GPUs together, before PUE
    server_kw: float  # the request's share of the server's non-GPU power
    seconds_per_token: float
    ttft_s: float
    embodied_kg_per_s: float

    def generation_seconds(self, output_tokens: float, latency_s: float | None, requests: float = 1) -> float:
        modelled = output_tokens * self.seconds_per_token + requests * self.ttft_s
        return modelled if latency_s is None else min(latency_s, modelled)

    def it_kwh(self, output_tokens: float, seconds: float) -> float:
        return output_tokens * self.gpu_kwh_per_token + seconds * self.server_kw / 3600

    def embodied_kg(self, seconds: float) -> float:
        return seconds * self.embodied_kg_per_s

    @property
    def it_kwh_per_token(self) -> float:
        """The marginal IT energy of one more token (decode time included): what a prompt token is scaled from."""
        return self.gpu_kwh_per_token + self.seconds_per_token * self.server_kw / 3600


@cache
def coefficients(model: Model) -> tuple[Coefficients, Coefficients]:
    """(low end, high end) of the model's parameter range."""
    deployment = _deployment(model)
    tps, ttft = (deployment.tps, deployment.ttft) if deployment else (None, None)
    ends = zip(model.active_params_b, model.total_params_b, strict=True)
    low, high = (_at(active, total, tps, ttft) for active, total in ends)
    return low, high


def measured_deployment(model: Model) -> tuple[float, float] | None:
    """EcoLogits' measured (tokens per second, time to first token in s) for the model, when it ships them."""
    deployment = _deployment(model)
    return (deployment.tps, deployment.ttft) if deployment and deployment.tps else None


def _deployment(model: Model):
    entry = ecologits_models.find_model(provider=model.ecologits_provider, model_name=model.ecologits_name)
    return entry.deployment if entry is not None else None


def _at(active_b: float, total_b: float, tps: float | None, ttft: float | None) -> Coefficients:
    gpus = gpu_count(total_b)
    batch = llm.BATCH_SIZE
    gpu_kwh = (llm.GPU_ENERGY_ALPHA * math.exp(llm.GPU_ENERGY_BETA * batch) * active_b + llm.GPU_ENERGY_GAMMA) / 1000
    regression = llm.LATENCY_ALPHA * active_b + llm.LATENCY_BETA * batch + llm.LATENCY_GAMMA
    per_token = regression if tps is None else 1 / tps  # seconds per output token
    server_share = gpus / llm.SERVER_GPUS
    embodied = server_share * llm.SERVER_EMBODIED_IMPACT_GWP + gpus * llm.GPU_EMBODIED_IMPACT_GWP
    return Coefficients(
        gpu_kwh_per_token=gpus * gpu_kwh,
        server_kw=llm.SERVER_POWER * server_share / batch,
        seconds_per_token=per_token,
        ttft_s=ttft or 0.0,
        embodied_kg_per_s=embodied / (llm.HARDWARE_LIFESPAN * batch),
    )


def gpu_count(total_params_b: float) -> int:
    """GPUs of EcoLogits' reference size to hold the weights, rounded up to a power of two."""
    memory_gb = 1.2 * total_params_b * llm.MODEL_QUANTIZATION_BITS / 8
    return 2 ** math.ceil(math.log2(math.ceil(memory_gb / llm.GPU_MEMORY)))
