"""Upstream providers the router can call, from a TOML file (LOWROUTER_UPSTREAMS, default upstreams.toml).

    [providers.openai]
    base_url = "https://api.openai.com/v1"
    api_key_env = "OPENAI_API_KEY"          # the variable holding the key; omit for a keyless local server
    [providers.openai.models]                # optional: catalog id -> the provider's own model name
    "openai/gpt-4o-mini" = "gpt-4o-mini"
    # timeout_s = 60                         # optional: seconds to wait for the upstream between bytes
    # http2 = true                           # optional: HTTP/2 (TLS upstreams that offer it)

A provider is configured when it is in the file and its key variable is set. Others are never picked.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FILE = 'upstreams.toml'


class UpstreamConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Upstream:
    provider: str
    base_url: str
    api_key: str | None
    models: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 60.0
    http2: bool = False  # HTTP/2 through httpx (for TLS upstreams that offer it); else a keep-alive HTTP/1.1 pool

    def model_name(self, model_id: str) -> str:
        return self.models.get(model_id) or model_id.split('/', 1)[-1]

    def headers(self) -> dict[str, str]:
        return {'Authorization': f'Bearer {self.api_key}'} if self.api_key else {}


def load_upstreams(path: str | Path | None = None) -> dict[str, Upstream]:
    path = Path(path or os.environ.get('LOWROUTER_UPSTREAMS') or DEFAULT_FILE)
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding='utf-8'))
    except tomllib.TOMLDecodeError as error:
        raise UpstreamConfigError(f'{path.name}: {error}') from None
    upstreams = {}
    for provider, entry in (data.get('providers') or {}).items():
        if not isinstance(entry, dict) or not str(entry.get('base_url', '')).startswith(('http://', 'https://')):
            raise UpstreamConfigError(f'{path.name}: providers.{provider} needs a base_url starting with http(s)://')
        key_env = entry.get('api_key_env')
        key = os.environ.get(key_env) if key_env else None
        if key_env and not key:
            continue  # named but not set: not configured
        upstreams[provider] = Upstream(
            provider=provider,
            base_url=entry['base_url'].rstrip('/'),
            api_key=key,
            models=dict(entry.get('models') or {}),
            timeout_s=float(entry.get('timeout_s', 60)),
            http2=entry.get('http2') is True,
        )
    return upstreams
