"""Routing decision time over the full catalog: median and p99 over 10 000 decisions.

python bench/routing.py [--decisions 10000]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.catalog import AUTO_MODEL, get_catalog  # noqa: E402
from services.routing.engine import Policy, RoutingError, models_for, route  # noqa: E402

POLICIES = (
    Policy(strategy='cheapest'),
    Policy(strategy='lowest_carbon'),
    Policy(strategy='prefer_region', prefer_region='eu-west-1'),
    Policy(strategy='cheapest', max_latency_ms=6000, blocked_providers=frozenset({'groq'})),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--decisions', type=int, default=10_000)
    options = parser.parse_args()
    catalog = get_catalog()
    rng = random.Random(1)
    models = [*catalog.models, AUTO_MODEL]
    route(catalog, [models[0]], POLICIES[0], requested_model=models[0])  # warm the per-offer caches once
    times = []
    for _ in range(options.decisions):
        requested, policy = rng.choice(models), rng.choice(POLICIES)
        began = time.perf_counter()
        with contextlib.suppress(RoutingError):  # a refusal is a decision too
            route(catalog, models_for(requested, policy), policy, requested_model=requested)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    p99 = times[int(0.99 * (len(times) - 1))]
    median = statistics.median(times)
    print(f'{len(times):,} decisions over {len(catalog.offers)} offers: median {median:.3f} ms, p99 {p99:.3f} ms')
    print('target: median under 0.5 ms')


if __name__ == '__main__':
    main()
