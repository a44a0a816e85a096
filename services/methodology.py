"""What the methodology page states, taken from the code that computes the numbers (never retyped)."""

from __future__ import annotations

from ecologits.impacts import llm

from services import eco
from services.catalog import get_catalog
from services.eco_impact import COMPARABLE_WITHIN, ESTIMATED_SHARE, SMALL_SAMPLE

ECOLOGITS_DOCS = 'https://ecologits.ai/latest/methodology/llm_inference/'
VERSIONS = [
    {
        'version': eco.METHODOLOGY_VERSION,
        'since': '2026-11',
        'what': 'EcoLogits LLM-inference model, provider PUE, country grid intensity per region; '
        'energy from output tokens only; carbon from electricity use only.',
    }
]


def model_constants() -> dict[str, float]:
    return {
        'gpu_energy_alpha': llm.GPU_ENERGY_ALPHA,
        'gpu_energy_beta': llm.GPU_ENERGY_BETA,
        'gpu_energy_gamma': llm.GPU_ENERGY_GAMMA,
        'latency_alpha': llm.LATENCY_ALPHA,
        'latency_beta': llm.LATENCY_BETA,
        'latency_gamma': llm.LATENCY_GAMMA,
        'batch_size': llm.BATCH_SIZE,
        'gpu_memory_gb': llm.GPU_MEMORY,
        'server_gpus': llm.SERVER_GPUS,
        'server_power_kw': llm.SERVER_POWER,
        'quantization_bits': llm.MODEL_QUANTIZATION_BITS,
    }


def confidence_rules() -> dict[str, str]:
    return {
        'small-sample': f'Fewer than {SMALL_SAMPLE} generations in the window.',
        'estimated-parameters': f'More than {ESTIMATED_SHARE:.0%} of the energy comes from models of estimated size.',
        'world-average-grid': 'A region without a known grid intensity was priced at the world average '
        f'({eco.world_intensity():.0f} g CO2e/kWh).',
        'baseline-estimated': "The baseline model's own size is an estimate, so the comparison inherits its range.",
        'mixed-methodology': 'Records computed with different methodology versions are added together.',
        'comparable': f'Central values within {COMPARABLE_WITHIN:.0%} of each other are called comparable.',
    }


def regions() -> list[dict]:
    return [
        {
            'id': r.id,
            'name': r.name,
            'country': r.country_iso3,
            'intensity': f'{r.grid_intensity_g_per_kwh:,.0f}',
            'source': f'{r.intensity_source} ({r.intensity_year})',
        }
        for r in sorted(get_catalog().regions.values(), key=lambda r: r.grid_intensity_g_per_kwh)
    ]


def providers() -> list[dict]:
    return [
        {'id': p.id, 'name': p.name, 'pue': f'{p.pue:.2f}', 'source': p.pue_source}
        for p in sorted(get_catalog().providers.values(), key=lambda p: p.pue)
    ]
