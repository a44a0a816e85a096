"""Login throttling: per client address and for the dashboard's single account, safe under concurrent guesses.

Every attempt is *reserved* (counted as a failure) before the password is checked, under one lock, so N
concurrent guesses cannot all pass the check before the first failure is recorded; a right password then
gives its reservation back.

- Per address: MAX_FAILURES failures within WINDOW_S lock that address for LOCKOUT_S after its latest
  failure; each failure while still in the window locks it again (a growing wait for a persistent guesser).
- Per account: at most ACCOUNT_ATTEMPTS attempts within ACCOUNT_WINDOW_S, from all addresses together. This
  caps the guessing rate of an attacker with many addresses (20 a minute: years for a 12-character password),
  and it is a rate, not a lockout: it never lasts longer than ACCOUNT_WINDOW_S after the attack stops.
  A browser that signed in before (`known_device`, a mark in its signed session cookie) is exempt from it,
  so an attacker keeping the account limit busy still cannot keep the owner out.

The counts live in this process's memory: with several app processes each keeps its own, so the account
rate is per process (a proxy with sticky sessions keeps an address on one process, and per-address
counting stays exact).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import defaultdict, deque
from contextlib import suppress
from dataclasses import dataclass

MAX_FAILURES = 5
WINDOW_S = 300
LOCKOUT_S = 60
ACCOUNT_ATTEMPTS = 20
ACCOUNT_WINDOW_S = 60


@dataclass(frozen=True)
class Ticket:
    """A reserved attempt: give it back with `release` when the password was right."""

    address: str
    at: float
    account_counted: bool


class LoginThrottle:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._account: deque[float] = deque()

    def reserve(self, address: str, *, known_device: bool = False, now: float | None = None) -> Ticket | str:
        """A ticket to check one password, or the message saying why not (and for how long)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = self._failures[address]
            while recent and now - recent[0] > WINDOW_S:
                recent.popleft()
            if len(recent) >= MAX_FAILURES and now - recent[-1] < LOCKOUT_S:
                return f'Too many wrong passwords. Try again in {_seconds(LOCKOUT_S - (now - recent[-1]))} s.'
            while self._account and now - self._account[0] > ACCOUNT_WINDOW_S:
                self._account.popleft()
            if not known_device and len(self._account) >= ACCOUNT_ATTEMPTS:
                wait = ACCOUNT_WINDOW_S - (now - self._account[0])
                return f'Too many sign-in attempts on this dashboard. Try again in {_seconds(wait)} s.'
            recent.append(now)
            if not known_device:
                self._account.append(now)
            return Ticket(address, now, not known_device)

    def release(self, ticket: Ticket) -> None:
        """The password was right: forget the address's failures and give the account its attempt back."""
        with self._lock:
            self._failures.pop(ticket.address, None)
            if ticket.account_counted:
                with suppress(ValueError):  # already out of the window
                    self._account.remove(ticket.at)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()
            self._account.clear()


def client_address(peer: str, forwarded_for: str | None, proxies: tuple) -> str:
    """The client's address: the direct peer, unless the peer is a trusted proxy; then the right-most
    X-Forwarded-For entry that is not a trusted proxy (entries left of it are whatever the client sent)."""
    if not proxies or not _is_in(peer, proxies) or not forwarded_for:
        return peer
    for entry in reversed([e.strip() for e in forwarded_for.split(',') if e.strip()]):
        if not _is_in(entry, proxies):
            try:
                return str(ipaddress.ip_address(entry))
            except ValueError:
                return peer  # garbage in the header: count it against the proxy's own address
    return peer


def _is_in(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _seconds(value: float) -> int:
    return int(value) + 1


throttle = LoginThrottle()
