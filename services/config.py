"""Settings: one pydantic-settings class read from LOWROUTER_* variables, overridable on the command line."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_FILE = 'lowrouter.sqlite3'


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix='LOWROUTER_', extra='ignore')

    host: str = '127.0.0.1'
    port: int = 8080
    database_url: str = f'sqlite:///{DEFAULT_DB_FILE}'
    demo: bool = True
    # largest request body /api accepts, in bytes (checked on Content-Length and while the body streams in)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)

    # proxies whose X-Forwarded-For is believed (comma-separated IPs or CIDRs); empty: the direct peer is the client
    trusted_proxies: str = ''
    # host names the app answers to besides loopback names and `host` (comma-separated); other Host headers get 400
    allowed_hosts: str = ''
    # mark the session cookie Secure (sent over HTTPS only); unset: on unless the app listens on loopback
    cookie_secure: bool | None = None
    # processes that read and write large CSV exports in parallel (0: in the app's own process); unset: 2 on a
    # machine with two or more cores
    export_workers: int | None = Field(default=None, ge=0, le=16)

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)

    @property
    def secure_cookies(self) -> bool:
        return not self.is_loopback if self.cookie_secure is None else self.cookie_secure

    @property
    def host_names(self) -> frozenset[str]:
        """Every name a request's Host header may carry (lower case, without port)."""
        given = {name.strip().lower().strip('[]') for name in self.allowed_hosts.split(',') if name.strip()}
        return frozenset({'localhost', '127.0.0.1', '::1', self.host.lower().strip('[]')} | given)

    @property
    def proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        proxies = [p.strip() for p in self.trusted_proxies.split(',') if p.strip()]
        return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def is_loopback_host(host: str) -> bool:
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_current: Settings | None = None


def get_settings() -> Settings:
    """The settings in force: those set by `configure`, else the environment's."""
    return _current if _current is not None else Settings()


def configure(settings: Settings) -> Settings:
    global _current
    _current = settings
    return settings


def sqlite_path(url: str) -> Path | None:
    prefix = 'sqlite:///'
    return Path(url[len(prefix) :]) if url.startswith(prefix) else None
